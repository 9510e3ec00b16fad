use super::{NotifyError, OutgoingMessage, Provider};
use crate::config::SmsConfig;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// SMS through the 46elks HTTP API: `POST /a1/sms` with `from`, `to` and `message` as a
/// form, HTTP basic authentication, a JSON answer with the message `id`.
pub struct FortySixElks {
    client: reqwest::Client,
    url: String,
    username: String,
    password: SecretString,
    sender: String,
}

impl FortySixElks {
    pub fn new(config: &SmsConfig) -> Result<Self, NotifyError> {
        let password = config
            .password
            .clone()
            .ok_or_else(|| NotifyError::Config("sms.password: missing".into()))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| NotifyError::Config(e.to_string()))?;
        Ok(Self {
            client,
            url: config.url.clone(),
            username: config.username.clone(),
            password,
            sender: config.sender.clone(),
        })
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[async_trait::async_trait]
impl Provider for FortySixElks {
    fn name(&self) -> &'static str {
        "46elks"
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError> {
        let response = self
            .client
            .post(&self.url)
            .basic_auth(&self.username, Some(self.password.expose_secret()))
            .form(&[
                ("from", self.sender.as_str()),
                ("to", message.to.as_str()),
                ("message", message.body.as_str()),
            ])
            .send()
            .await
            .map_err(|e| NotifyError::Temporary {
                reason: e.without_url().to_string(),
                retry_after: None,
            })?;
        let status = response.status();
        if status.is_success() {
            let body: serde_json::Value =
                response.json().await.map_err(|e| NotifyError::Temporary {
                    reason: format!("unreadable answer: {}", e.without_url()),
                    retry_after: None,
                })?;
            return Ok(body["id"].as_str().unwrap_or_default().to_owned());
        }
        let wait = retry_after(response.headers());
        let text: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        if status.as_u16() == 429 || status.is_server_error() {
            Err(NotifyError::Temporary {
                reason: format!("{status}: {text}"),
                retry_after: wait,
            })
        } else {
            Err(NotifyError::Rejected(format!("{status}: {text}")))
        }
    }
}
