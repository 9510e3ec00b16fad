mod admin;
mod alert;
mod backup;
mod config;
mod export;
mod healthcheck;
mod import;
mod journal;
mod notify;
mod plan;
mod rotation;
mod search;
mod serve;
mod subscribers;

use anyhow::Context;
use beredskap_core::{Actor, Slug, Store};
use beredskap_server::Config;
use beredskap_store::OpenOptions;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Beredskap: communication, alerting and continuity plans for when the normal IT is down.
#[derive(Debug, Parser)]
#[command(name = "beredskap", version)]
pub struct Cli {
    /// A TOML configuration file; settings in BEREDSKAP_* environment variables override it.
    #[arg(long, global = true, env = "BEREDSKAP_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Bring the database schema up to date and exit.
    Migrate {
        /// Create the SQLite file if it does not exist.
        #[arg(long)]
        create: bool,
    },
    /// Check that a running server is ready; exit code 0 if it is.
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Print an example configuration, or check one.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Organisations, accounts and API tokens.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Import data from the organisation's own systems.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Write the organisation's plans out, for keeping outside Beredskap.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Activate a continuity plan.
    #[command(subcommand)]
    Plan(plan::PlanCommand),
    /// Check the tamper-evident journal.
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Send, follow and close alerts.
    #[command(subcommand)]
    Alert(alert::AlertCommand),
    /// On-call rotations of positions.
    #[command(subcommand)]
    Rotation(rotation::RotationCommand),
    /// Check the notification providers.
    #[command(subcommand)]
    Notify(notify::NotifyCommand),
    /// The message search index.
    #[command(subcommand)]
    Search(search::SearchCommand),
    /// Subscribers to the status page's notices: counts, and erasure on request.
    #[command(subcommand)]
    Subscribers(subscribers::SubscribersCommand),
    /// Copy the embedded database, its attachments and a signed checkpoint to a directory,
    /// while the server runs (PostgreSQL: says what to use instead).
    Backup(backup::BackupArgs),
    /// Restore a backup into a new data directory; refuses a damaged or incomplete one.
    Restore(backup::RestoreArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let load = || Config::load(cli.config.as_deref()).context("loading configuration");
    match cli.command {
        Command::Serve(args) => serve::run(load()?, args).await,
        Command::Migrate { create } => {
            let config = load()?;
            let store = open_store(&config, create).await?;
            say(format!("{} schema is up to date", store.backend()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Healthcheck(args) => healthcheck::run(load()?, args).await,
        Command::Config(cmd) => config::run(cli.config.as_deref(), cmd),
        Command::Admin(cmd) => admin::run(load()?, cmd).await,
        Command::Import(cmd) => import::run(load()?, cmd).await,
        Command::Export(cmd) => export::run(load()?, cmd).await,
        Command::Plan(cmd) => plan::run(load()?, cmd).await,
        Command::Journal(cmd) => journal::run(load()?, cmd).await,
        Command::Search(cmd) => search::run(load()?, cmd).await,
        Command::Subscribers(cmd) => subscribers::run(load()?, cmd).await,
        Command::Notify(cmd) => notify::run(load()?, cmd).await,
        Command::Alert(cmd) => alert::run(load()?, cmd).await,
        Command::Rotation(cmd) => rotation::run(load()?, cmd).await,
        Command::Backup(args) => backup::backup(load()?, args).await,
        Command::Restore(args) => backup::restore(args).await,
    }
}

/// Opens the configured database. The default SQLite file in the data directory is
/// created when missing; an explicitly configured one only with `create`.
pub async fn open_store(config: &Config, create: bool) -> anyhow::Result<Arc<dyn Store>> {
    let db = config.database()?;
    let options = OpenOptions {
        create: create || !db.explicit,
        max_connections: config.database_max_connections,
        ..OpenOptions::default()
    };
    Ok(beredskap_store::open(&db.url, &options).await?)
}

/// The use cases over the configured store, waking a server running on the same data
/// directory, so what the command line changes goes out as fast as through the API.
pub fn app(config: &Config, store: Arc<dyn Store>) -> beredskap_app::App {
    beredskap_app::App::new(
        store,
        Arc::new(beredskap_core::clock::SystemClock),
        Arc::new(beredskap_server::wake::ThroughSocket::new(&config.data_dir)),
    )
}

/// The operator at the command line, as the use cases know them.
pub fn operator() -> beredskap_app::Caller {
    beredskap_app::Caller::Operator(cli_actor())
}

/// The operator at the command line, as the journal records them.
pub fn cli_actor() -> Actor {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    Actor::cli(&user)
}

pub async fn org_by_slug(
    store: &dyn Store,
    slug: &str,
) -> anyhow::Result<beredskap_core::register::Org> {
    let parsed = Slug::parse(slug).map_err(|e| anyhow::anyhow!("--org {slug:?}: {e}"))?;
    store
        .org_by_slug(&parsed)
        .await?
        .with_context(|| format!("no organisation {slug:?}; see `beredskap admin list-orgs`"))
}

/// A use case's field problems as the flags they name: `--starts: …; --member: …`.
pub fn fields(e: beredskap_core::FieldErrors) -> anyhow::Error {
    let text: Vec<String> =
        e.0.iter()
            .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.problem))
            .collect();
    anyhow::anyhow!("{}", text.join("; "))
}

/// Writes a line to standard output. A closed pipe (`beredskap … | head`) is not an error.
pub fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}
