//! Sending messages to people: one `Provider` trait; SMTP; SMS over HTTP (46elks, Twilio,
//! a generic signed webhook) with an optional secondary that takes over and a rate limit
//! per provider; push (Web Push with VAPID, and UnifiedPush/ntfy endpoints). Sign-in uses
//! them for enrolment links and one-time codes; alerting builds on them.

mod push;
pub mod signatures;
mod sms;
mod smtp;

pub use push::PushProvider;
pub use sms::{FortySixElks, SignedWebhook, Twilio};
pub use smtp::SmtpProvider;

use crate::config::{Config, SmsConfig, SmsProviderKind};
use beredskap_core::register::ContactKind;
use std::sync::Arc;
use std::time::Duration;

/// One message to one address (an email address or an E.164 number).
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub to: String,
    /// Used by email; SMS ignores it.
    pub subject: String,
    pub body: String,
    /// Lets a provider recognise a message handed over again (after a crash or a
    /// retry): the same key, the same message.
    pub idempotency_key: Option<String>,
    /// Where the message leads (an alert's answer link); push opens it when tapped.
    pub link: Option<String>,
    /// The SMS sender: the organisation's own number, so replies come back to it. None:
    /// the provider's configured sender. Email and push ignore it.
    pub from: Option<String>,
    /// A file sent with an email (the offline kit); SMS and push ignore it.
    pub attachment: Option<Attachment>,
    /// Where a subscriber's mail program unsubscribes them in one click (RFC 8058): sent
    /// as `List-Unsubscribe` with `List-Unsubscribe-Post`. SMS and push ignore it.
    pub unsubscribe: Option<String>,
}

/// A file attached to an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// `text/html; charset=utf-8`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum NotifyError {
    #[error("no {0} provider is configured")]
    NotConfigured(&'static str),
    /// The provider refused this message; sending it again will not help.
    #[error("the provider refused the message: {0}")]
    Rejected(String),
    /// Worth another try, after `retry_after` if the provider said so.
    #[error("the provider failed for now: {reason}")]
    Temporary {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// No answer came after the message was sent: the provider may have taken it. Worth
    /// another try with the same idempotency key, not a second provider at once.
    #[error("the provider did not answer in time: {reason}")]
    Uncertain { reason: String },
    #[error("provider configuration: {0}")]
    Config(String),
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn name(&self) -> &'static str;
    /// Hands the message to the provider; returns the provider's id for it.
    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError>;
    /// As `send`, also saying which provider took it (a failover may have).
    async fn send_via(
        &self,
        message: &OutgoingMessage,
    ) -> Result<(&'static str, String), NotifyError> {
        Ok((self.name(), self.send(message).await?))
    }
}

/// A provider that could not be reached: worth another try.
fn unreachable(e: reqwest::Error) -> NotifyError {
    // A connection never made took nothing; a request sent without an answer may have.
    if e.is_timeout() && !e.is_connect() {
        return NotifyError::Uncertain {
            reason: e.without_url().to_string(),
        };
    }
    NotifyError::Temporary {
        reason: e.without_url().to_string(),
        retry_after: None,
    }
}

/// Reads an HTTP provider's answer: the body when it took the message; for 429 and 5xx a
/// temporary failure (after its Retry-After, if it gave one); any other refusal is final.
async fn http_answer(response: reqwest::Response) -> Result<String, NotifyError> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await;
    if status.is_success() {
        return text.map_err(|e| NotifyError::Temporary {
            reason: format!("unreadable answer: {}", e.without_url()),
            retry_after: None,
        });
    }
    let text: String = text.unwrap_or_default().chars().take(300).collect();
    if status.as_u16() == 429 || status.is_server_error() {
        Err(NotifyError::Temporary {
            reason: format!("{status}: {text}"),
            retry_after,
        })
    } else {
        Err(NotifyError::Rejected(format!("{status}: {text}")))
    }
}

/// The primary provider, and the secondary when the primary fails for now (a refused
/// connection, a server error, a timeout, its own 429). A refusal of the message itself
/// is not retried elsewhere: the number or text is the problem, not the provider.
pub struct Failover {
    pub primary: Arc<dyn Provider>,
    pub secondary: Arc<dyn Provider>,
    /// Idempotency keys of messages the primary left unanswered once: the next try of
    /// the same message goes to the secondary if the primary is silent again.
    uncertain: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Most keys remembered as unanswered; past it the memory starts over (a message then
/// waits one more round for the primary).
const UNCERTAIN_KEPT: usize = 100_000;

impl Failover {
    pub fn new(primary: Arc<dyn Provider>, secondary: Arc<dyn Provider>) -> Self {
        Failover {
            primary,
            secondary,
            uncertain: Default::default(),
        }
    }

    fn uncertain(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.uncertain.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait::async_trait]
impl Provider for Failover {
    fn name(&self) -> &'static str {
        self.primary.name()
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError> {
        self.send_via(message).await.map(|(_, id)| id)
    }

    async fn send_via(
        &self,
        message: &OutgoingMessage,
    ) -> Result<(&'static str, String), NotifyError> {
        let result = match self.primary.send_via(message).await {
            Err(NotifyError::Temporary { reason, .. }) => {
                tracing::warn!(
                    primary = self.primary.name(),
                    secondary = self.secondary.name(),
                    %reason,
                    "the primary provider failed; the secondary takes over"
                );
                self.secondary.send_via(message).await
            }
            // The primary may have the message. The first time, it is tried again later
            // through the primary with the same key (a gateway that took it answers with
            // its id, and nobody gets it twice); if the primary is silent again, the
            // secondary sends it: a message twice beats an alert lost.
            Err(NotifyError::Uncertain { reason }) => {
                let first_time = match &message.idempotency_key {
                    Some(key) => {
                        let mut uncertain = self.uncertain();
                        if uncertain.len() >= UNCERTAIN_KEPT {
                            uncertain.clear();
                        }
                        uncertain.insert(key.clone())
                    }
                    None => false,
                };
                if first_time {
                    return Err(NotifyError::Uncertain { reason });
                }
                tracing::warn!(
                    primary = self.primary.name(),
                    secondary = self.secondary.name(),
                    %reason,
                    "the primary provider is silent again; the secondary takes over"
                );
                self.secondary.send_via(message).await
            }
            other => other,
        };
        if let (Ok(_), Some(key)) = (&result, &message.idempotency_key) {
            self.uncertain().remove(key);
        }
        result
    }
}

type Limiter = governor::DefaultDirectRateLimiter;

/// A provider held to a number of messages a second (its contract's limit), so a blast
/// to thousands waits its turn instead of collecting 429s.
pub struct RateLimited {
    inner: Arc<dyn Provider>,
    limiter: Limiter,
}

impl RateLimited {
    /// `inner` unchanged when `per_second` is 0.
    pub fn wrap(inner: Arc<dyn Provider>, per_second: u32) -> Arc<dyn Provider> {
        match std::num::NonZeroU32::new(per_second) {
            Some(rate) => Arc::new(RateLimited {
                inner,
                limiter: governor::RateLimiter::direct(governor::Quota::per_second(rate)),
            }),
            None => inner,
        }
    }
}

#[async_trait::async_trait]
impl Provider for RateLimited {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError> {
        self.limiter.until_ready().await;
        self.inner.send(message).await
    }

    async fn send_via(
        &self,
        message: &OutgoingMessage,
    ) -> Result<(&'static str, String), NotifyError> {
        self.limiter.until_ready().await;
        self.inner.send_via(message).await
    }
}

/// The providers this server has, by channel.
#[derive(Clone, Default)]
pub struct Notifier {
    pub email: Option<Arc<dyn Provider>>,
    pub sms: Option<Arc<dyn Provider>>,
    /// Needs the server's VAPID key from the store, so the application sets it.
    pub push: Option<Arc<dyn Provider>>,
}

/// One SMS provider as configured, with its rate limit.
pub fn sms_provider(config: &SmsConfig) -> Result<Arc<dyn Provider>, NotifyError> {
    let provider: Arc<dyn Provider> = match config.provider {
        SmsProviderKind::FortySixElks => Arc::new(FortySixElks::new(config)?),
        SmsProviderKind::Twilio => Arc::new(Twilio::new(config)?),
        SmsProviderKind::Webhook => Arc::new(SignedWebhook::new(config)?),
    };
    Ok(RateLimited::wrap(provider, config.rate_per_second))
}

impl Notifier {
    pub fn from_config(config: &Config) -> Result<Self, NotifyError> {
        let email = match &config.smtp {
            Some(smtp) => Some(Arc::new(SmtpProvider::new(smtp)?) as Arc<dyn Provider>),
            None => None,
        };
        let sms = match (&config.sms, &config.sms_secondary) {
            (Some(primary), Some(secondary)) => Some(Arc::new(Failover::new(
                sms_provider(primary)?,
                sms_provider(secondary)?,
            )) as Arc<dyn Provider>),
            (Some(primary), None) => Some(sms_provider(primary)?),
            (None, _) => None,
        };
        Ok(Self {
            email,
            sms,
            push: None,
        })
    }

    /// The same providers, each hand-off counted in `metrics`.
    pub fn counted(self, metrics: &Arc<crate::metrics::Metrics>) -> Self {
        let count = |provider: Option<Arc<dyn Provider>>, kind| {
            provider.map(|p| crate::metrics::Counted::wrap(p, kind, metrics.clone()))
        };
        Self {
            email: count(self.email, ContactKind::Email),
            sms: count(self.sms, ContactKind::Sms),
            push: count(self.push, ContactKind::Push),
        }
    }

    /// The provider for a kind of contact point, if configured.
    pub fn for_kind(&self, kind: ContactKind) -> Option<&Arc<dyn Provider>> {
        match kind {
            ContactKind::Email => self.email.as_ref(),
            ContactKind::Sms => self.sms.as_ref(),
            ContactKind::Push => self.push.as_ref(),
            ContactKind::Voice => None,
        }
    }
}

/// Hides most of an address for logs and screens: `+4670*****67`, `an***@example.org`.
pub use beredskap_app::sign_in::masked;

/// Sign-in codes and enrolment links go out at once through the same providers, outside
/// the alerting outbox.
#[async_trait::async_trait]
impl beredskap_app::sign_in::Courier for Notifier {
    fn reaches(&self, kind: ContactKind) -> bool {
        self.for_kind(kind).is_some()
    }

    async fn send_now(
        &self,
        letter: beredskap_app::sign_in::Letter<'_>,
    ) -> Result<&'static str, beredskap_app::sign_in::NotSent> {
        use beredskap_app::sign_in::NotSent;
        let provider = self
            .for_kind(letter.kind)
            .ok_or_else(|| NotSent::Unavailable("no provider".into()))?;
        let message = OutgoingMessage {
            to: letter.to.to_owned(),
            subject: letter.subject.to_owned(),
            body: letter.body.to_owned(),
            idempotency_key: None,
            link: None,
            from: letter.from.map(str::to_owned),
            attachment: None,
            unsubscribe: None,
        };
        match provider.send_via(&message).await {
            Ok((name, _id)) => Ok(name),
            Err(NotifyError::Rejected(detail)) => Err(NotSent::Rejected(detail)),
            Err(other) => Err(NotSent::Unavailable(other.to_string())),
        }
    }
}
