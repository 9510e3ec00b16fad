//! `beredskap subscribers`: how many subscribe to the status page's notices, and erasing an
//! address whose owner asked (by phone or letter) to be deleted.

use super::{fields, open_store, operator, org_by_slug, say};
use beredskap_server::Config;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum SubscribersCommand {
    /// Subscriptions per channel and service, and requests waiting for their
    /// confirmation; no addresses.
    Count {
        #[arg(long)]
        org: String,
    },
    /// Delete everything kept about an address: its subscription, its unconfirmed
    /// requests and its messages. The journal records the erasure, not the address.
    Erase {
        #[arg(long)]
        org: String,
        /// email or sms.
        #[arg(long)]
        channel: String,
        /// The email address or mobile number, as its owner gave it.
        #[arg(long)]
        address: String,
    },
}

pub async fn run(config: Config, cmd: SubscribersCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    match cmd {
        SubscribersCommand::Count { org } => {
            let org = org_by_slug(app.store(), &org).await?;
            let counts = beredskap_app::subscriptions::counts(&app, &operator(), &org)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let services = app.store().services(org.id).await?;
            say(format!("email\t{}", counts.email));
            say(format!("sms\t{}", counts.sms));
            say(format!("unconfirmed\t{}", counts.unconfirmed));
            say(format!("all services\t{}", counts.all_services));
            for count in counts.by_service {
                let name = services
                    .iter()
                    .find(|s| s.id == count.service_id)
                    .map_or_else(|| count.service_id.to_string(), |s| s.name.clone());
                say(format!("{name}\t{}", count.subscribers));
            }
        }
        SubscribersCommand::Erase {
            org,
            channel,
            address,
        } => {
            let org = org_by_slug(app.store(), &org).await?;
            let erased =
                beredskap_app::subscriptions::erase(&app, &operator(), &org, &channel, &address)
                    .await
                    .map_err(|e| match e {
                        beredskap_app::Error::Invalid(e) => fields(e),
                        other => other.into(),
                    })?;
            say(format!("erased {erased}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
