use super::say;
use beredskap_core::{EmailAddress, PhoneNumber, Region};
use beredskap_server::notify::{masked, Notifier, OutgoingMessage};
use beredskap_server::Config;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum NotifyCommand {
    /// Send a test message through the configured provider for an address: SMS for a
    /// phone number, email for an email address.
    Test {
        /// A mobile number (`070-123 45 67`, `+4670…`) or an email address.
        #[arg(long)]
        to: String,
        /// Country for numbers written without a country code: SE, DK, NO or FI.
        #[arg(long, default_value = "SE")]
        region: String,
    },
}

pub async fn run(config: Config, cmd: NotifyCommand) -> anyhow::Result<ExitCode> {
    let NotifyCommand::Test { to, region } = cmd;
    let notifier = Notifier::from_config(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let region = Region::parse(&region).map_err(|e| anyhow::anyhow!("--region {region:?}: {e}"))?;
    let (provider, address) = if to.contains('@') {
        let email = EmailAddress::parse(&to).map_err(|e| anyhow::anyhow!("--to {to:?}: {e}"))?;
        let provider = notifier.email.clone().ok_or_else(|| {
            anyhow::anyhow!("--to is an email address, but no [smtp] is configured")
        })?;
        (provider, email.as_str().to_owned())
    } else {
        let phone =
            PhoneNumber::parse(&to, region).map_err(|e| anyhow::anyhow!("--to {to:?}: {e}"))?;
        let provider = notifier
            .sms
            .clone()
            .ok_or_else(|| anyhow::anyhow!("--to is a phone number, but no [sms] is configured"))?;
        (provider, phone.as_str().to_owned())
    };
    let message = OutgoingMessage {
        to: address.clone(),
        subject: "Beredskap: test".into(),
        body: "Beredskap: this is a test message. If it reached you, this channel works.".into(),
        idempotency_key: None,
        link: None,
        from: None,
        attachment: None,
        unsubscribe: None,
    };
    match provider.send(&message).await {
        Ok(id) => {
            say(format!(
                "sent by {} to {} (id {id})",
                provider.name(),
                masked(&address)
            ));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(anyhow::anyhow!(
            "{} did not take the message: {e}",
            provider.name()
        )),
    }
}
