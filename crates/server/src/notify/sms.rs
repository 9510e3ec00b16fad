//! SMS over HTTP in three shapes: 46elks, Twilio's Messages API, and a generic signed
//! webhook for any other gateway. They share how an answer is read: 2xx is handed over,
//! 429 and 5xx are worth another try (after Retry-After), other 4xx refuse the message.

use super::{http_answer, unreachable, NotifyError, OutgoingMessage, Provider};
use crate::config::SmsConfig;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// Connections per gateway kept open: an alert to thousands sends hundreds at a time.
const IDLE_CONNECTIONS: usize = 256;

fn client(config: &SmsConfig) -> Result<reqwest::Client, NotifyError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(u64::from(
            config.timeout_seconds.max(1),
        )))
        .pool_max_idle_per_host(IDLE_CONNECTIONS)
        .build()
        .map_err(|e| NotifyError::Config(e.to_string()))
}

fn password(config: &SmsConfig) -> Result<SecretString, NotifyError> {
    config
        .password
        .clone()
        .ok_or_else(|| NotifyError::Config("sms.password: missing".into()))
}

/// Reads a gateway's answer; `id_field` names the message id in its JSON.
async fn read_answer(response: reqwest::Response, id_field: &str) -> Result<String, NotifyError> {
    let text = http_answer(response).await?;
    let body: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| NotifyError::Temporary {
            reason: format!("unreadable answer: {e}"),
            retry_after: None,
        })?;
    Ok(body[id_field].as_str().unwrap_or_default().to_owned())
}

/// SMS through the 46elks HTTP API: `POST /a1/sms` with `from`, `to` and `message` as a
/// form, HTTP basic authentication, a JSON answer with the message `id`. 46elks takes no
/// idempotency key, so a crash between hand-off and record can repeat a message.
pub struct FortySixElks {
    client: reqwest::Client,
    url: String,
    username: String,
    password: SecretString,
    sender: String,
}

impl FortySixElks {
    pub fn new(config: &SmsConfig) -> Result<Self, NotifyError> {
        Ok(Self {
            client: client(config)?,
            url: config.url.clone(),
            username: config.username.clone(),
            password: password(config)?,
            sender: config.sender.clone(),
        })
    }
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
                ("from", message.from.as_deref().unwrap_or(&self.sender)),
                ("to", message.to.as_str()),
                ("message", message.body.as_str()),
            ])
            .send()
            .await
            .map_err(unreachable)?;
        read_answer(response, "id").await
    }
}

/// SMS through Twilio's Messages API: `POST …/Accounts/{AccountSid}/Messages.json` with
/// `To`, `Body` and `From` (or `MessagingServiceSid` when the sender starts with `MG`),
/// basic authentication with the account SID and auth token, a JSON answer with `sid`.
pub struct Twilio {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    token: SecretString,
    sender: String,
}

impl Twilio {
    pub fn new(config: &SmsConfig) -> Result<Self, NotifyError> {
        Ok(Self {
            client: client(config)?,
            url: config.url.clone(),
            account_sid: config.username.clone(),
            token: password(config)?,
            sender: config.sender.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Provider for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError> {
        let sender = message.from.as_deref().unwrap_or(&self.sender);
        let from_field = match sender.starts_with("MG") {
            true => "MessagingServiceSid",
            false => "From",
        };
        let response = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(self.token.expose_secret()))
            .form(&[
                ("To", message.to.as_str()),
                (from_field, sender),
                ("Body", message.body.as_str()),
            ])
            .send()
            .await
            .map_err(unreachable)?;
        read_answer(response, "sid").await
    }
}

/// Any gateway that takes `POST {url}` with JSON `{"to", "message", "idempotency_key"}`,
/// an `Idempotency-Key` header, and `X-Beredskap-Signature: t=<unix>,v1=<hex>` (HMAC-SHA256
/// with the password over `"<t>.<body>"`), and answers JSON `{"id"}`. A gateway that honours
/// the key hands a message over twice only once.
pub struct SignedWebhook {
    client: reqwest::Client,
    url: String,
    secret: SecretString,
    sender: String,
}

impl SignedWebhook {
    pub fn new(config: &SmsConfig) -> Result<Self, NotifyError> {
        Ok(Self {
            client: client(config)?,
            url: config.url.clone(),
            secret: password(config)?,
            sender: config.sender.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Provider for SignedWebhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError> {
        let body = serde_json::json!({
            "from": message.from.as_deref().unwrap_or(&self.sender),
            "to": message.to,
            "message": message.body,
            "idempotency_key": message.idempotency_key,
        })
        .to_string();
        // The gateway checks the signature's age against its own clock: the machine's.
        let now = crate::clock::Clock::now(&crate::clock::SystemClock).timestamp();
        let signature = format!(
            "t={now},v1={}",
            crate::notify::signatures::webhook_mac(
                self.secret.expose_secret().as_bytes(),
                now,
                body.as_bytes()
            )
        );
        let mut request = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("x-beredskap-signature", signature);
        if let Some(key) = &message.idempotency_key {
            request = request.header("idempotency-key", key);
        }
        let response = request.body(body).send().await.map_err(unreachable)?;
        read_answer(response, "id").await
    }
}
