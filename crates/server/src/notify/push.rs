//! Push without a third-party cloud of our choosing: a person's push contact point is
//! either a browser's Web Push subscription (JSON with `endpoint` and `keys`; the message
//! is encrypted to the browser, RFC 8291, and signed with our VAPID key, RFC 8292) or a
//! UnifiedPush/ntfy endpoint URL (the text is POSTed to it, e.g. a self-hosted ntfy).

use super::{http_answer, unreachable, NotifyError, OutgoingMessage, Provider};
use base64::Engine as _;
use std::time::Duration;
use web_push_native::jwt_simple::algorithms::ES256KeyPair;
use web_push_native::{p256, Auth, WebPushBuilder};

pub struct PushProvider {
    client: reqwest::Client,
    vapid: ES256KeyPair,
    /// Who runs this server, for push services (a URL or `mailto:`).
    contact: String,
}

#[derive(serde::Deserialize)]
struct Subscription {
    endpoint: String,
    keys: SubscriptionKeys,
}

#[derive(serde::Deserialize)]
struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

fn b64(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()
}

impl PushProvider {
    /// `key` is the VAPID private key (32 bytes), kept in the store so every node signs
    /// with the same one.
    pub fn new(key: &[u8], contact: &str) -> Result<Self, NotifyError> {
        let vapid = ES256KeyPair::from_bytes(key)
            .map_err(|e| NotifyError::Config(format!("VAPID key: {e}")))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| NotifyError::Config(e.to_string()))?;
        Ok(Self {
            client,
            vapid,
            contact: contact.to_owned(),
        })
    }

    /// A fresh VAPID private key.
    pub fn generate_key() -> Vec<u8> {
        ES256KeyPair::generate().to_bytes()
    }

    /// The public key browsers subscribe with (`applicationServerKey`), base64url.
    pub fn public_key(&self) -> String {
        use web_push_native::jwt_simple::algorithms::ECDSAP256PublicKeyLike as _;
        let point = self.vapid.public_key().public_key().to_bytes_uncompressed();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(point)
    }

    async fn web_push(
        &self,
        subscription: &str,
        message: &OutgoingMessage,
    ) -> Result<String, NotifyError> {
        let bad = |what: &str| NotifyError::Rejected(format!("push subscription: {what}"));
        let sub: Subscription =
            serde_json::from_str(subscription).map_err(|_| bad("not a subscription"))?;
        let endpoint = sub.endpoint.parse().map_err(|_| bad("endpoint"))?;
        let public = b64(&sub.keys.p256dh)
            .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok())
            .ok_or_else(|| bad("keys.p256dh"))?;
        let auth = b64(&sub.keys.auth)
            .filter(|a| a.len() == 16)
            .map(|a| Auth::clone_from_slice(&a))
            .ok_or_else(|| bad("keys.auth"))?;
        let payload = serde_json::json!({
            "title": message.subject,
            "body": message.body,
            "url": message.link,
            "tag": message.idempotency_key,
        })
        .to_string();
        let request = WebPushBuilder::new(endpoint, public, auth)
            .with_valid_duration(Duration::from_secs(24 * 3600))
            .with_vapid(&self.vapid, &self.contact)
            .build(payload)
            .map_err(|e| NotifyError::Rejected(format!("push message: {e:?}")))?;
        let mut request = reqwest::Request::try_from(request)
            .map_err(|e| NotifyError::Rejected(format!("push request: {e}")))?;
        // An alert should wake the phone (RFC 8030 section 5.3).
        request
            .headers_mut()
            .insert("urgency", reqwest::header::HeaderValue::from_static("high"));
        let response = self.client.execute(request).await.map_err(unreachable)?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        http_answer(response).await.map(|_| location)
    }

    async fn endpoint_push(
        &self,
        url: &str,
        message: &OutgoingMessage,
    ) -> Result<String, NotifyError> {
        let mut request = self
            .client
            .post(url)
            .header("title", header_text(&message.subject))
            .header("priority", "urgent")
            .header("tags", "rotating_light")
            .body(message.body.clone());
        if let Some(link) = &message.link {
            request = request.header("click", link);
        }
        let response = request.send().await.map_err(unreachable)?;
        let text = http_answer(response).await?;
        let id = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        Ok(id)
    }
}

/// Header values are ASCII: ntfy reads RFC 2047 encoded words for the rest.
fn header_text(text: &str) -> String {
    match text.is_ascii() {
        true => text.to_owned(),
        false => format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        ),
    }
}

#[async_trait::async_trait]
impl Provider for PushProvider {
    fn name(&self) -> &'static str {
        "push"
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError> {
        self.send_via(message).await.map(|(_, id)| id)
    }

    async fn send_via(
        &self,
        message: &OutgoingMessage,
    ) -> Result<(&'static str, String), NotifyError> {
        let to = message.to.trim();
        if to.starts_with('{') {
            return Ok(("webpush", self.web_push(to, message).await?));
        }
        if to.starts_with("https://") || to.starts_with("http://") {
            return Ok(("ntfy", self.endpoint_push(to, message).await?));
        }
        Err(NotifyError::Rejected(
            "a push contact point is a Web Push subscription or an endpoint URL".into(),
        ))
    }
}
