use super::{open_store, org_by_slug, say};
use anyhow::Context;
use beredskap_core::store::verify_journal;
use beredskap_server::checkpoint::{self, Checkpoint, Checkpointer, Comparison, SigningKey};
use beredskap_server::Config;
use chrono::SecondsFormat;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum JournalCommand {
    /// Check every organisation's hash chain; exit code 2 if one is broken.
    Verify {
        /// Check only this organisation.
        #[arg(long)]
        org: Option<String>,
        /// Also check that the database still holds every head this signed checkpoint
        /// names (rows cut from the end and a rewound head are caught).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The key the checkpoint must be signed with (hex); default: this server's key
        /// file.
        #[arg(long, requires = "checkpoint")]
        public_key: Option<String>,
    },
    /// Sign a checkpoint of every organisation's journal head now and save it in
    /// data_dir/checkpoints; prints its path.
    Checkpoint,
}

pub async fn run(config: Config, cmd: JournalCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        JournalCommand::Verify {
            org,
            checkpoint,
            public_key,
        } => verify(config, org, checkpoint, public_key).await,
        JournalCommand::Checkpoint => {
            let store = open_store(&config, false).await?;
            let key = SigningKey::load_or_create(&config.checkpoint_key_path())?;
            let signer = Checkpointer::new(store, key, checkpoint::dir(&config.data_dir));
            let (signed, path) = signer.take(beredskap_core::journal::now()).await?;
            for head in &signed.heads {
                say(format!("{}: seq {} signed", head.slug, head.seq));
            }
            say(format!("checkpoint written to {}", path.display()));
            say(format!("signed with key {}", signed.public_key));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The checkpoint, with its signature checked against the expected key.
fn checked_checkpoint(
    config: &Config,
    path: &std::path::Path,
    public_key: Option<String>,
) -> anyhow::Result<Checkpoint> {
    let signed = Checkpoint::read(path)?;
    let expected = match public_key {
        Some(key) => key,
        None => {
            let key_file = config.checkpoint_key_path();
            let key = SigningKey::load(&key_file).with_context(|| {
                "no key to check the checkpoint's signature with: give --public-key".to_owned()
            })?;
            key.public_hex().to_owned()
        }
    };
    signed.verify_signature(Some(&expected))?;
    Ok(signed)
}

async fn verify(
    config: Config,
    org: Option<String>,
    checkpoint: Option<PathBuf>,
    public_key: Option<String>,
) -> anyhow::Result<ExitCode> {
    let signed = match &checkpoint {
        Some(path) => Some(checked_checkpoint(&config, path, public_key)?),
        None => None,
    };
    let store = open_store(&config, false).await?;
    let orgs = match &org {
        Some(slug) => vec![org_by_slug(store.as_ref(), slug).await?],
        None => store.list_orgs().await?,
    };
    let mut broken = false;
    for org in &orgs {
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
                        r.at.to_rfc3339_opts(SecondsFormat::Secs, true),
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
    if let Some(signed) = signed {
        let when = signed.signed_at.to_rfc3339_opts(SecondsFormat::Secs, true);
        for head in &signed.heads {
            if org.as_deref().is_some_and(|slug| slug != head.slug) {
                continue;
            }
            match checkpoint::compare(store.as_ref(), head).await? {
                Comparison::Holds { signed_seq } => say(format!(
                    "{}: holds the checkpoint of {when} (seq {signed_seq})",
                    head.slug
                )),
                problem => {
                    broken = true;
                    say(format!(
                        "{}: BROKEN against the checkpoint of {when}: {problem}",
                        head.slug
                    ));
                }
            }
        }
    }
    Ok(if broken {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
