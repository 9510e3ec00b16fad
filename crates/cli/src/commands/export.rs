//! `beredskap export`: what the organisation keeps outside Beredskap.

use super::{open_store, operator, org_by_slug};
use anyhow::Context;
use beredskap_server::Config;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Write a plan as YAML (the form `import plan` reads), to a file or to standard output.
    Plan {
        #[arg(long)]
        org: String,
        #[arg(long)]
        slug: String,
        /// An earlier version; the newest by default.
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(config: Config, cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    let ExportCommand::Plan {
        org,
        slug,
        version,
        out,
    } = cmd;
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), &org).await?;
    let parsed =
        beredskap_core::Slug::parse(&slug).map_err(|e| anyhow::anyhow!("--slug {slug:?}: {e}"))?;
    let plan = beredskap_app::plans::by_slug(&app, &operator(), &org, &parsed)
        .await
        .map_err(|_| anyhow::anyhow!("{} has no plan {slug:?}", org.slug))?;
    let (_, yaml) = beredskap_app::plans::export_yaml(&app, &operator(), &org, plan.id, version)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match out {
        Some(path) => std::fs::write(&path, yaml)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().write_all(yaml.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
