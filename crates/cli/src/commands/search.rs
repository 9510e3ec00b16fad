use super::{open_store, say};
use beredskap_server::search::SearchIndex;
use beredskap_server::Config;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum SearchCommand {
    /// Throw the message search index away and build it again from the journal. Stop the
    /// server first: it holds the index open.
    Rebuild,
}

pub async fn run(config: Config, cmd: SearchCommand) -> anyhow::Result<ExitCode> {
    let SearchCommand::Rebuild = cmd;
    let store = open_store(&config, false).await?;
    let dir = SearchIndex::dir(&config.data_dir);
    let read = SearchIndex::rebuild(&dir, store)
        .await
        .map_err(|e| match e {
            beredskap_server::search::SearchError::Index(tantivy_error)
                if tantivy_error.to_string().contains("LockBusy")
                    || tantivy_error.to_string().contains("lock") =>
            {
                anyhow::anyhow!(
                    "the search index in {} is in use: stop the server first ({tantivy_error})",
                    dir.display()
                )
            }
            other => other.into(),
        })?;
    say(format!(
        "search index rebuilt in {} from {read} journal entries",
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}
