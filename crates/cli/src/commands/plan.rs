//! `beredskap plan activate`: a plan activated from the command line of the server's
//! machine, on behalf of a person with an account (the incident's first lead).

use super::{open_store, operator, org_by_slug, say};
use beredskap_server::Config;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum PlanCommand {
    /// Activate a plan: open an incident with its channel and checklist, send its alarm.
    Activate {
        #[arg(long)]
        org: String,
        #[arg(long)]
        slug: String,
        /// info, warning or critical.
        #[arg(long, default_value = "warning")]
        severity: String,
        /// A drill: marked as such in the alarm, the channel and the incident.
        #[arg(long)]
        exercise: bool,
        /// The login of the person activating it (the incident's first lead).
        #[arg(long = "as")]
        login: String,
    },
}

pub async fn run(config: Config, cmd: PlanCommand) -> anyhow::Result<ExitCode> {
    let PlanCommand::Activate {
        org,
        slug,
        severity,
        exercise,
        login,
    } = cmd;
    let severity = beredskap_core::alerting::Severity::parse(&severity).ok_or_else(|| {
        anyhow::anyhow!("--severity {severity:?}: one of info, warning, critical")
    })?;
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let org = org_by_slug(app.store(), &org).await?;
    let parsed =
        beredskap_core::Slug::parse(&slug).map_err(|e| anyhow::anyhow!("--slug {slug:?}: {e}"))?;
    let plan = beredskap_app::plans::by_slug(&app, &operator(), &org, &parsed)
        .await
        .map_err(|_| anyhow::anyhow!("{} has no plan {slug:?}", org.slug))?;
    let email = beredskap_core::EmailAddress::parse(&login)
        .map_err(|e| anyhow::anyhow!("--as {login:?}: {e}"))?;
    let account = app
        .store()
        .account_by_login(org.id, &email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("--as {login:?}: no account of {}", org.slug))?;
    let activation = beredskap_app::incidents::Activation {
        plan: plan.id,
        severity,
        exercise,
        via: beredskap_core::continuity::incidents::Via::Cli,
        on_behalf_of: Some(account.id),
    };
    let incident = beredskap_app::incidents::activate(&app, &operator(), &org, activation)
        .await
        .map_err(|e| anyhow::anyhow!("not activated: {e}"))?;
    say(format!(
        "incident {} opened: \"{}\"{}, alarm {}",
        incident.id,
        incident.title,
        if incident.exercise { " (exercise)" } else { "" },
        incident
            .alert_id
            .map_or("none".to_owned(), |a| a.to_string())
    ));
    Ok(ExitCode::SUCCESS)
}
