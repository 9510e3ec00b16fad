use super::{NotifyError, OutgoingMessage, Provider};
use crate::config::{SmtpConfig, SmtpSecurity};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

/// The longest a send waits for one of the connections, well inside a claim's lease.
const CONNECTION_WAIT: Duration = Duration::from_secs(10);

/// Email through an SMTP server of the organisation's choosing — ideally not its own
/// mail server, which may be the thing that is down.
pub struct SmtpProvider {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// A place per connection: a send waits here for one.
    connections: tokio::sync::Semaphore,
}

impl SmtpProvider {
    pub fn new(config: &SmtpConfig) -> Result<Self, NotifyError> {
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            NotifyError::Config(format!("smtp.{what}: {e}"))
        };
        let from: Mailbox = config.from.parse().map_err(|e| bad("from", &e))?;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host).port(config.port);
        let tls = || TlsParameters::new(config.host.clone()).map_err(|e| bad("host", &e));
        builder = match config.security {
            SmtpSecurity::Starttls => builder.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
            SmtpSecurity::None => builder.tls(Tls::None),
        };
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        // The connections (`smtp.connections`) are both pooled and bounded: lettre's pool
        // bounds only the idle ones. Without the semaphore, every email of a blast beyond
        // them opened a connection of its own and closed it after one message: a node in
        // the middle of a blast had about a hundred at once, a relay's accept queue
        // overflowed after a restart (greetings never came, every email waited for the
        // timeout and its retry), and a real relay refuses that many from one client.
        let connections = config.connections.max(1);
        let pool = lettre::transport::smtp::PoolConfig::new().max_size(connections);
        Ok(Self {
            transport: builder
                .timeout(Some(Duration::from_secs(20)))
                .pool_config(pool)
                .build(),
            from,
            connections: tokio::sync::Semaphore::new(connections as usize),
        })
    }
}

#[async_trait::async_trait]
impl Provider for SmtpProvider {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<String, NotifyError> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|e| NotifyError::Rejected(format!("recipient: {e}")))?;
        // The same key gives the same Message-ID, so a message handed over twice (a crash
        // between sending and recording it) can be recognised as one by mail software.
        let message_id = message.idempotency_key.as_ref().map(|key| {
            let host = self.from.email.domain();
            let safe: String = key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("<{safe}@{host}>")
        });
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(message_id)
            .subject(&message.subject);
        if let Some(url) = &message.unsubscribe {
            use lettre::message::header::{HeaderName, HeaderValue};
            // RFC 8058: the mail program POSTs `List-Unsubscribe=One-Click` to the URL, so
            // leaving takes one click and no page; an https URL only (no mailto:).
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let email = match &message.attachment {
            // Swedish and Danish text: say it is UTF-8, or mail readers guess Latin-1.
            None => builder
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(message.body.clone()),
            Some(file) => {
                let content_type = lettre::message::header::ContentType::parse(&file.content_type)
                    .map_err(|e| NotifyError::Rejected(format!("attachment: {e}")))?;
                builder.multipart(
                    lettre::message::MultiPart::mixed()
                        .singlepart(lettre::message::SinglePart::plain(message.body.clone()))
                        .singlepart(
                            lettre::message::Attachment::new(file.filename.clone())
                                .body(file.bytes.clone(), content_type),
                        ),
                )
            }
        }
        .map_err(|e| NotifyError::Rejected(e.to_string()))?;
        // Waiting long for a connection would outlast the claim: another try comes later.
        let busy = || NotifyError::Temporary {
            reason: "every connection to the relay is busy".into(),
            retry_after: None,
        };
        let _connection = tokio::time::timeout(CONNECTION_WAIT, self.connections.acquire())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        match self.transport.send(email).await {
            Ok(response) => Ok(response.message().collect::<Vec<_>>().join(" ")),
            Err(e) if e.is_permanent() => Err(NotifyError::Rejected(e.to_string())),
            Err(e) => Err(NotifyError::Temporary {
                reason: e.to_string(),
                retry_after: None,
            }),
        }
    }
}
