//! Sending messages to people: one `Provider` trait, an SMTP provider and an SMS provider
//! over HTTP. Sign-in uses them for enrolment links and one-time codes; alerting builds
//! on them.

mod sms;
mod smtp;

pub use sms::FortySixElks;
pub use smtp::SmtpProvider;

use crate::config::{Config, SmsProviderKind};
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
    #[error("provider configuration: {0}")]
    Config(String),
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn name(&self) -> &'static str;
    /// Hands the message to the provider; returns the provider's id for it.
    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError>;
}

/// The providers this server has, by channel.
#[derive(Clone, Default)]
pub struct Notifier {
    pub email: Option<Arc<dyn Provider>>,
    pub sms: Option<Arc<dyn Provider>>,
}

impl Notifier {
    pub fn from_config(config: &Config) -> Result<Self, NotifyError> {
        let email = match &config.smtp {
            Some(smtp) => Some(Arc::new(SmtpProvider::new(smtp)?) as Arc<dyn Provider>),
            None => None,
        };
        let sms = match &config.sms {
            Some(sms) => match sms.provider {
                SmsProviderKind::FortySixElks => {
                    Some(Arc::new(FortySixElks::new(sms)?) as Arc<dyn Provider>)
                }
            },
            None => None,
        };
        Ok(Self { email, sms })
    }

    /// The provider for a kind of contact point, if configured.
    pub fn for_kind(&self, kind: ContactKind) -> Option<&Arc<dyn Provider>> {
        match kind {
            ContactKind::Email => self.email.as_ref(),
            ContactKind::Sms => self.sms.as_ref(),
            ContactKind::Voice | ContactKind::Push => None,
        }
    }
}

/// Hides most of an address for logs and screens: `+4670*****67`, `an***@example.org`.
pub fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let keep: String = local.chars().take(2).collect();
            format!("{keep}***@{domain}")
        }
        None => {
            let chars: Vec<char> = address.chars().collect();
            if chars.len() <= 6 {
                return "*".repeat(chars.len());
            }
            let head: String = chars[..5].iter().collect();
            let tail: String = chars[chars.len() - 2..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_masked() {
        assert_eq!(super::masked("+46701234567"), "+4670*****67");
        assert_eq!(super::masked("anna@example.org"), "an***@example.org");
    }
}
