use super::{open_store, operator, org_by_slug, say};
use beredskap_app::{alerts, App};
use beredskap_core::alerting::{AlertInput, AlertStatus, GroupEscalation, Recipients, Severity};
use beredskap_core::register::Org;
use beredskap_core::{AlertId, Store};
use beredskap_server::Config;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum AlertCommand {
    /// Send an alert. A running server hands it to the providers within a second.
    Send(SendArgs),
    /// The newest alerts with their answer counts.
    List {
        #[arg(long)]
        org: String,
    },
    /// An alert's roster: who was reached, how, and what they answered.
    Show {
        #[arg(long)]
        org: String,
        /// The alert's id (from `alert list`).
        id: String,
        /// Print the roster as CSV instead.
        #[arg(long)]
        csv: bool,
    },
    /// Resolve or cancel an alert; everyone it reached is told.
    Close {
        #[arg(long)]
        org: String,
        id: String,
        /// Cancel (a false alarm) instead of resolving.
        #[arg(long)]
        cancel: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    #[arg(long)]
    org: String,
    /// The text; it goes out as SMS, so keep it short (at most 600 characters).
    #[arg(long)]
    message: String,
    /// info, warning or critical.
    #[arg(long, default_value = "critical")]
    severity: String,
    /// A group's slug; repeat for more.
    #[arg(long = "group")]
    groups: Vec<String>,
    /// A position's slug (its holder, then the deputies); repeat for more.
    #[arg(long = "position")]
    positions: Vec<String>,
    /// A person's external id or Beredskap id; repeat for more.
    #[arg(long = "person")]
    people: Vec<String>,
    /// Deputies step in for recipients who hold a position and stay silent.
    #[arg(long)]
    deputies: bool,
    /// A poll answer, e.g. `--option Ja --option Nej`; none means acknowledge.
    #[arg(long = "option")]
    options: Vec<String>,
    /// An exercise: marked as such in every message.
    #[arg(long)]
    exercise: bool,
    /// Minutes between a person's channels.
    #[arg(long, default_value_t = 5)]
    step_minutes: u32,
    /// Further rounds for those who stay silent (0 to 10).
    #[arg(long, default_value_t = 0)]
    repeats: u32,
    /// Also alert this group if fewer than --escalate-min have said yes in time.
    #[arg(long)]
    escalate_group: Option<String>,
    #[arg(long, default_value_t = 1)]
    escalate_min: u32,
    /// Minutes to wait before checking.
    #[arg(long, default_value_t = 15)]
    escalate_after: u32,
}

pub async fn run(config: Config, cmd: AlertCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let s = app.store();
    match cmd {
        AlertCommand::Send(args) => send(&config, &app, args).await,
        AlertCommand::List { org } => {
            let org = org_by_slug(s, &org).await?;
            for a in alerts::list(&app, &operator(), org.id, 100).await? {
                say(format!(
                    "{}  {}  {:?}{}  {}/{} answered, {} unreachable  {}",
                    a.alert.id,
                    a.alert.created_at.format("%Y-%m-%d %H:%M"),
                    a.alert.status,
                    if a.alert.exercise { " EXERCISE" } else { "" },
                    a.answered,
                    a.recipients,
                    a.unreachable,
                    a.alert.message.replace('\n', " "),
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        AlertCommand::Show { org, id, csv } => {
            let org = org_by_slug(s, &org).await?;
            let id = alert_id(&id)?;
            let (alert, lines) = match alerts::roster(&app, &operator(), org.id, id).await {
                Err(beredskap_app::Error::Store(beredskap_core::StoreError::NotFound)) => {
                    anyhow::bail!("no alert {id} in {}", org.slug)
                }
                other => other?,
            };
            if csv {
                let text = alerts::roster_csv(&lines)?;
                say(text.trim_end());
                return Ok(ExitCode::SUCCESS);
            }
            say(format!("{:?}: {}", alert.status, alert.message));
            for l in lines {
                say(format!(
                    "{:<24} {:<11} {:<10} {:<6} {}",
                    l.name,
                    l.state.as_str(),
                    l.answer.unwrap_or_default(),
                    l.answered_via.or(l.first_sent_channel).unwrap_or_default(),
                    l.reason
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        AlertCommand::Close { org, id, cancel } => {
            let org = org_by_slug(s, &org).await?;
            let status = match cancel {
                true => AlertStatus::Cancelled,
                false => AlertStatus::Resolved,
            };
            let closed = alerts::close(&app, &operator(), &org, alert_id(&id)?, status)
                .await
                .map_err(|e| match e {
                    beredskap_app::Error::Store(beredskap_core::StoreError::Conflict(_)) => {
                        anyhow::anyhow!("alert {id} is already closed")
                    }
                    beredskap_app::Error::Store(beredskap_core::StoreError::NotFound) => {
                        anyhow::anyhow!("no alert {id} in {}", org.slug)
                    }
                    other => other.into(),
                })?;
            say(format!("alert {} is {:?}", closed.id, closed.status));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn alert_id(raw: &str) -> anyhow::Result<AlertId> {
    raw.parse()
        .map(AlertId)
        .map_err(|_| anyhow::anyhow!("{raw:?} is not an alert id; see `beredskap alert list`"))
}

async fn send(config: &Config, app: &App, args: SendArgs) -> anyhow::Result<ExitCode> {
    let s = app.store();
    let org = org_by_slug(s, &args.org).await?;
    let severity = Severity::parse(&args.severity).ok_or_else(|| {
        anyhow::anyhow!(
            "--severity {:?}: must be info, warning or critical",
            args.severity
        )
    })?;
    let groups = s.list_groups(org.id).await?;
    let group = |slug: &str, flag: &str| -> anyhow::Result<beredskap_core::GroupId> {
        groups
            .iter()
            .find(|g| g.slug.as_str() == slug)
            .map(|g| g.id)
            .ok_or_else(|| anyhow::anyhow!("{flag} {slug:?}: no such group in {}", org.slug))
    };
    let positions = s.list_positions(org.id).await?;
    let recipients = Recipients {
        people: people(s, &org, &args.people).await?,
        groups: args
            .groups
            .iter()
            .map(|g| group(g, "--group"))
            .collect::<anyhow::Result<_>>()?,
        positions: args
            .positions
            .iter()
            .map(|slug| {
                positions
                    .iter()
                    .find(|p| p.slug.as_str() == slug)
                    .map(|p| p.id)
                    .ok_or_else(|| anyhow::anyhow!("--position {slug:?}: no such position"))
            })
            .collect::<anyhow::Result<_>>()?,
        deputies: args.deputies,
    };
    let escalation = match &args.escalate_group {
        Some(slug) => Some(GroupEscalation {
            group: group(slug, "--escalate-group")?,
            min_answers: args.escalate_min,
            after_minutes: args.escalate_after,
        }),
        None => None,
    };
    let input = AlertInput {
        message: args.message,
        severity,
        recipients,
        options: args.options,
        exercise: args.exercise,
        step_minutes: args.step_minutes,
        repeats: args.repeats,
        repeat_minutes: 15,
        escalation,
    };
    let alert = alerts::send(app, &operator(), &org, input)
        .await
        .map_err(|e| match e {
            beredskap_app::Error::Invalid(e) => {
                let fields: Vec<String> =
                    e.0.iter()
                        .map(|f| format!("{}: {}", flag_for(&f.field), f.problem))
                        .collect();
                anyhow::anyhow!("{}", fields.join("; "))
            }
            other => other.into(),
        })?;
    let summary = s
        .list_alerts(org.id, 20)
        .await?
        .into_iter()
        .find(|a| a.alert.id == alert.id);
    let (recipients, unreachable) = summary
        .map(|a| (a.recipients, a.unreachable))
        .unwrap_or_default();
    say(format!(
        "alert {} sent to {recipients} people ({unreachable} cannot be reached); follow it at {}/alerts/{}",
        alert.id,
        config.public_url(),
        alert.id
    ));
    Ok(ExitCode::SUCCESS)
}

/// The command-line flag for a field of the alert, so an error names what was typed.
fn flag_for(field: &str) -> String {
    match field.split(['[', '.']).next().unwrap_or(field) {
        "recipients" => "--group/--position/--person".to_owned(),
        "options" => "--option".to_owned(),
        "escalation" => "--escalate-min/--escalate-after".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// People by Beredskap id or by the external id from the organisation's own register.
async fn people(
    s: &dyn Store,
    org: &Org,
    wanted: &[String],
) -> anyhow::Result<Vec<beredskap_core::PersonId>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let everyone = s.list_people(org.id).await?;
    wanted
        .iter()
        .map(|w| {
            everyone
                .iter()
                .find(|p| p.id.to_string() == *w || p.external_id.as_deref() == Some(w.as_str()))
                .map(|p| p.id)
                .ok_or_else(|| anyhow::anyhow!("--person {w:?}: no such person in {}", org.slug))
        })
        .collect()
}
