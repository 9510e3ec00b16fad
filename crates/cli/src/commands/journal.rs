use super::{open_store, org_by_slug, say};
use beredskap_core::store::verify_journal;
use beredskap_server::Config;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum JournalCommand {
    /// Check every organisation's hash chain; exit code 2 if one is broken.
    Verify {
        /// Check only this organisation.
        #[arg(long)]
        org: Option<String>,
    },
}

pub async fn run(config: Config, cmd: JournalCommand) -> anyhow::Result<ExitCode> {
    let JournalCommand::Verify { org } = cmd;
    let store = open_store(&config, false).await?;
    let orgs = match org {
        Some(slug) => vec![org_by_slug(store.as_ref(), &slug).await?],
        None => store.list_orgs().await?,
    };
    let mut broken = false;
    for org in orgs {
        match verify_journal(store.as_ref(), org.id).await? {
            Ok(report) => {
                say(format!(
                    "{}: {} entries, chain intact",
                    org.slug, report.entries
                ));
                for r in report.redactions {
                    say(format!(
                        "{}: seq {} redacted by {} at {} (entry {})",
                        org.slug,
                        r.seq,
                        r.by.as_str(),
                        r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        r.redaction_seq
                    ));
                }
            }
            Err(b) => {
                broken = true;
                say(format!(
                    "{}: BROKEN at seq {}: {}",
                    org.slug, b.seq, b.problem
                ));
            }
        }
    }
    Ok(if broken {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
