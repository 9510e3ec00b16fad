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
    /// Write the offline kit: one self-contained HTML file (no network needed to open or
    /// print it) with every plan and its action cards, the contact directory with private
    /// numbers, who is on call, the state of the services and the latest signed journal
    /// checkpoint. In the organisation's language unless `--language` says otherwise.
    OfflineKit {
        #[arg(long)]
        org: String,
        #[arg(long)]
        out: PathBuf,
        /// sv, da, nb or en.
        #[arg(long)]
        language: Option<String>,
    },
    /// Write the public status page and its feeds (Atom, JSON Feed, CAP) as static files,
    /// the same bytes this server serves, so a second host can serve them if this one is
    /// overwhelmed: `DIR/status/{org}/index.html` and the rest, and `DIR/static/app.css`.
    StatusSite {
        #[arg(long)]
        org: String,
        #[arg(long)]
        out: PathBuf,
        /// The address the files will be served at (their feeds and CAP messages link to
        /// it); the configured public address by default.
        #[arg(long)]
        base_url: Option<String>,
        /// Keep running and write the files again after every change (looked for every
        /// two seconds), until interrupted.
        #[arg(long)]
        every_change: bool,
    },
}

pub async fn run(config: Config, cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    let (org, slug, version, out) = match cmd {
        ExportCommand::Plan {
            org,
            slug,
            version,
            out,
        } => (org, slug, version, out),
        ExportCommand::OfflineKit { org, out, language } => {
            return offline_kit(config, &org, &out, language.as_deref()).await
        }
        ExportCommand::StatusSite {
            org,
            out,
            base_url,
            every_change,
        } => return status_site(config, &org, &out, base_url, every_change).await,
    };
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

async fn offline_kit(
    config: Config,
    org: &str,
    out: &std::path::Path,
    language: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), org).await?;
    let lang = match language {
        Some(code) => beredskap_i18n::Lang::parse(code)
            .ok_or_else(|| anyhow::anyhow!("--language {code:?}: one of sv, da, nb, en"))?,
        None => beredskap_app::messages::language(&org),
    };
    let kit = beredskap_app::offline_kit::contents(&app, &operator(), &org)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let checkpoint = beredskap_server::web::offline_kit::latest_checkpoint(&config.data_dir);
    let html = beredskap_server::web::offline_kit::render(lang, &org, &kit, checkpoint.as_ref())?;
    beredskap_server::files::write_durably(out, html.as_bytes())
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(ExitCode::SUCCESS)
}

async fn status_site(
    config: Config,
    org: &str,
    out: &std::path::Path,
    base_url: Option<String>,
    every_change: bool,
) -> anyhow::Result<ExitCode> {
    use beredskap_server::status_site::{render, write_files, Addresses, Layout};
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), org).await?;
    let base = base_url.unwrap_or_else(|| config.public_url());
    let addresses = Addresses {
        base: base.trim_end_matches('/').to_owned(),
        layout: Layout::Files,
    };
    let mut previous = None;
    loop {
        let head = app.store().journal_head(org.id).await?.0;
        let status = beredskap_app::status::public_status(&app, org.slug.as_str())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let site = render(&status, &addresses, previous.as_ref())?;
        let written = write_files(&site, out)
            .with_context(|| format!("cannot write under {}", out.display()))?;
        let _ = writeln!(
            std::io::stdout(),
            "wrote {written} files under {}",
            out.display()
        );
        if !every_change {
            return Ok(ExitCode::SUCCESS);
        }
        // Again when the journal moves on (every change is journaled), or when what is
        // shown changes by time alone.
        let until = site.valid_until;
        previous = Some(site);
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
                _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            }
            let moved = app.store().journal_head(org.id).await?.0 != head;
            if moved || app.clock.now() >= until {
                break;
            }
        }
    }
}
