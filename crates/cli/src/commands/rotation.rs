use super::{fields, open_store, operator, org_by_slug, say};
use beredskap_app::rotations;
use beredskap_core::clock::{Clock, SystemClock};
use beredskap_core::register::{Org, Position};
use beredskap_core::rotation::{holders_at, shifts, OverrideInput, RotationInput};
use beredskap_core::{PersonId, Store};
use beredskap_server::Config;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum RotationCommand {
    /// Put a position on a rotation: each member in turn for a period (a week).
    Set {
        #[arg(long)]
        org: String,
        /// The position's slug.
        #[arg(long)]
        position: String,
        /// When the first member's first period begins (RFC 3339, e.g.
        /// 2026-11-30T07:00:00Z).
        #[arg(long)]
        starts: String,
        #[arg(long, default_value_t = 7)]
        period_days: u32,
        /// A member's external id or Beredskap id, in turn order; repeat.
        #[arg(long = "member", required = true)]
        members: Vec<String>,
    },
    /// Put someone else on call for a while.
    Override {
        #[arg(long)]
        org: String,
        #[arg(long)]
        position: String,
        #[arg(long)]
        person: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        until: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Who is on call now and over the next weeks, and the calendar address.
    Show {
        #[arg(long)]
        org: String,
        #[arg(long)]
        position: String,
        #[arg(long, default_value_t = 8)]
        weeks: i64,
    },
}

fn time(flag: &str, raw: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| anyhow::anyhow!("{flag} {raw:?}: {e} (use e.g. 2026-11-30T07:00:00Z)"))
}

async fn position(s: &dyn Store, org: &Org, slug: &str) -> anyhow::Result<Position> {
    s.list_positions(org.id)
        .await?
        .into_iter()
        .find(|p| p.slug.as_str() == slug)
        .ok_or_else(|| anyhow::anyhow!("--position {slug:?}: no such position in {}", org.slug))
}

async fn person(s: &dyn Store, org: &Org, flag: &str, wanted: &str) -> anyhow::Result<PersonId> {
    s.list_people(org.id)
        .await?
        .into_iter()
        .find(|p| p.id.to_string() == wanted || p.external_id.as_deref() == Some(wanted))
        .map(|p| p.id)
        .ok_or_else(|| anyhow::anyhow!("{flag} {wanted:?}: no such person in {}", org.slug))
}

pub async fn run(config: Config, cmd: RotationCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&config, false).await?;
    let app = super::app(&config, store);
    let s = app.store();
    let no_field = |e: beredskap_app::Error| match e {
        beredskap_app::Error::Invalid(e) => fields(e),
        other => other.into(),
    };
    match cmd {
        RotationCommand::Set {
            org,
            position: slug,
            starts,
            period_days,
            members,
        } => {
            let org = org_by_slug(s, &org).await?;
            let position = position(s, &org, &slug).await?;
            let mut ids = Vec::new();
            for m in &members {
                ids.push(person(s, &org, "--member", m).await?);
            }
            let rotation = RotationInput {
                starts_at: time("--starts", &starts)?,
                period_days,
                members: ids,
            };
            rotations::set_rotation(&app, &operator(), &org, &position, rotation)
                .await
                .map_err(no_field)?;
            say(format!(
                "{} rotates among {} people",
                position.name,
                members.len()
            ));
        }
        RotationCommand::Override {
            org,
            position: slug,
            person: who,
            from,
            until,
            reason,
        } => {
            let org = org_by_slug(s, &org).await?;
            let position = position(s, &org, &slug).await?;
            let o = OverrideInput {
                person: person(s, &org, "--person", &who).await?,
                from: time("--from", &from)?,
                until: time("--until", &until)?,
                reason,
            };
            rotations::add_override(&app, &operator(), &org, &position, o)
                .await
                .map_err(no_field)?;
            say(format!(
                "{who} is on call for {} from {from} until {until}",
                position.name
            ));
        }
        RotationCommand::Show {
            org,
            position: slug,
            weeks,
        } => {
            let org = org_by_slug(s, &org).await?;
            let position = position(s, &org, &slug).await?;
            let (rotation, overrides) =
                rotations::schedule(&app, &operator(), &org, &position).await?;
            let names: HashMap<PersonId, String> = beredskap_app::alerts::names(s, org.id).await?;
            let name = |p: &PersonId| names.get(p).cloned().unwrap_or_else(|| p.to_string());
            let now = SystemClock.now();
            let order: Vec<String> = holders_at(&position, rotation.as_ref(), &overrides, now)
                .iter()
                .map(name)
                .collect();
            say(format!("{} now: {}", position.name, order.join(", then ")));
            for shift in shifts(
                rotation.as_ref(),
                &overrides,
                now,
                now + chrono::Duration::weeks(weeks),
            ) {
                say(format!(
                    "{} – {}  {}{}",
                    shift.start.format("%Y-%m-%d %H:%M"),
                    shift.end.format("%Y-%m-%d %H:%M"),
                    name(&shift.person_id),
                    if shift.by_override { " (override)" } else { "" }
                ));
            }
            let links =
                beredskap_server::alerting::AnswerLinks::load(s, &config.public_url()).await?;
            say(format!("calendar: {}", links.calendar_url(position.id)));
        }
    }
    Ok(ExitCode::SUCCESS)
}
