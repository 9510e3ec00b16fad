//! An incident's log: decisions and situation reports, the scribe's approval of the
//! significant ones, the cadence of reports and the reminder when one is overdue.
//!
//! What a caller sees of the log is the shared picture — every entry not significant or
//! approved — plus the entries still waiting, when the caller wrote them or is the one
//! to approve them (the scribe, or the lead while nobody is scribe) or leads the incident.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::alerting::{AlertInput, Recipients, Severity};
use beredskap_core::continuity::incidents::{Incident, Role, RoleHolder};
use beredskap_core::continuity::log::{
    parse_cadence, report_changes, report_due, DecisionInput, EntryBody, LogEntry, ReportInput,
    SectionChange,
};
use beredskap_core::register::Org;
use beredskap_core::{EntryId, FieldErrors, IncidentId, PersonId};
use chrono::{DateTime, Utc};

/// The log as one caller sees it.
#[derive(Debug, Clone)]
pub struct IncidentLog {
    /// Oldest first, each with what changed since the report before it in the picture
    /// (for a report that has one).
    pub entries: Vec<ShownEntry>,
    /// When the next situation report is due, with a cadence.
    pub report_due: Option<DateTime<Utc>>,
    /// Whether the caller is the one to approve significant entries now.
    pub approves: bool,
}

#[derive(Debug, Clone)]
pub struct ShownEntry {
    pub entry: LogEntry,
    /// For a report: what changed in conditions, actions and needs since the last report
    /// in the picture; `None` for the first one and for decisions.
    pub changes: Option<[SectionChange; 3]>,
}

impl IncidentLog {
    /// Whether the next report is overdue at `now`.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.report_due.is_some_and(|due| due < now)
    }

    /// The entries waiting for the scribe, and those the scribe sent back.
    pub fn waiting(&self) -> impl Iterator<Item = &ShownEntry> {
        self.entries.iter().filter(|e| !e.entry.in_picture())
    }
}

/// When the latest situation report was written, approved or not: the cadence runs from it.
fn last_report(entries: &[LogEntry]) -> Option<DateTime<Utc>> {
    entries
        .iter()
        .filter(|e| matches!(e.body, EntryBody::Report { .. }))
        .map(|e| e.written_at)
        .max()
}

/// Who approves significant entries now: the scribe, or the lead while nobody is scribe.
pub fn approver(roles: &[RoleHolder]) -> Option<PersonId> {
    let now = |role: Role| {
        roles
            .iter()
            .find(|r| r.role == role && r.until.is_none())
            .map(|r| r.person)
    };
    now(Role::Scribe).or_else(|| now(Role::Lead))
}

/// The log of an incident, as the caller may see it.
pub async fn log(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: &Incident,
) -> Result<IncidentLog, Error> {
    permit(caller, UseCase::ReadIncidents)?;
    crate::incidents::readable(app, caller, org, incident).await?;
    let store = app.store();
    let all = store.incident_log(org.id, incident.id).await?;
    let roles = store.incident_roles(org.id, incident.id).await?;
    let me = caller.account().map(|a| a.person_id);
    let approves = me.is_some() && approver(&roles) == me;
    let leads = me.is_some_and(|me| {
        roles
            .iter()
            .any(|r| r.role == Role::Lead && r.until.is_none() && r.person == me)
    });
    let operator = caller.account().is_none();
    let last_report = last_report(&all);
    let mut entries = Vec::new();
    let mut previous: Option<&EntryBody> = None;
    for entry in &all {
        let shown = entry.in_picture()
            || operator
            || approves
            || leads
            || (me.is_some() && entry.written_by == me);
        if !shown {
            continue;
        }
        let changes = match (&entry.body, entry.in_picture()) {
            (EntryBody::Report { .. }, true) => {
                let changes = previous.and_then(|p| report_changes(p, &entry.body));
                previous = Some(&entry.body);
                changes
            }
            (EntryBody::Report { .. }, false) => {
                previous.and_then(|p| report_changes(p, &entry.body))
            }
            _ => None,
        };
        entries.push(ShownEntry {
            entry: entry.clone(),
            changes,
        });
    }
    Ok(IncidentLog {
        entries,
        report_due: match incident.is_open() {
            true => report_due(
                incident.opened_at,
                last_report,
                incident.report_every_minutes,
            ),
            false => None,
        },
        approves,
    })
}

/// Records a decision.
pub async fn record_decision(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    input: DecisionInput,
) -> Result<LogEntry, Error> {
    permit(caller, UseCase::WorkIncidents)?;
    let now = app.clock.now();
    let draft = input.validate(now).map_err(Error::Invalid)?;
    write(app, caller, org, incident, draft, now).await
}

/// Writes a situation report.
pub async fn write_report(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    input: ReportInput,
) -> Result<LogEntry, Error> {
    permit(caller, UseCase::WorkIncidents)?;
    let draft = input.validate().map_err(Error::Invalid)?;
    write(app, caller, org, incident, draft, app.clock.now()).await
}

async fn write(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    draft: beredskap_core::continuity::log::EntryDraft,
    now: DateTime<Utc>,
) -> Result<LogEntry, Error> {
    let by = caller.account().map(|a| a.person_id);
    let entry = app
        .store
        .write_log_entry(&caller.actor(), org.id, incident, draft, by, now)
        .await?;
    app.wake.published(org.id).await;
    Ok(entry)
}

/// Approves a significant entry into the shared picture: the scribe's to do (the lead's
/// while nobody is scribe).
pub async fn approve(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    entry: EntryId,
) -> Result<LogEntry, Error> {
    decide(app, caller, org, (incident, entry), true).await
}

/// Sends a significant entry back: it stays out of the shared picture. The scribe's to do
/// (the lead's while nobody is scribe), as approving is.
pub async fn decline(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    entry: EntryId,
) -> Result<LogEntry, Error> {
    decide(app, caller, org, (incident, entry), false).await
}

/// The scribe's decision on a significant entry: into the picture, or sent back. Who the
/// scribe is now is the store's check, in the same transaction as the change.
async fn decide(
    app: &App,
    caller: &Caller,
    org: &Org,
    (incident, entry): (IncidentId, EntryId),
    approve: bool,
) -> Result<LogEntry, Error> {
    permit(caller, UseCase::WorkIncidents)?;
    let Some(account) = caller.account() else {
        return Err(Error::Store(beredskap_core::StoreError::Forbidden(
            match approve {
                true => "only the incident's scribe approves an entry",
                false => "only the incident's scribe sends an entry back",
            },
        )));
    };
    let (actor, by, now) = (caller.actor(), account.person_id, app.clock.now());
    let store = app.store();
    let entry = match approve {
        true => {
            store
                .approve_log_entry(&actor, org.id, incident, entry, by, now)
                .await?
        }
        false => {
            store
                .decline_log_entry(&actor, org.id, incident, entry, by, now)
                .await?
        }
    };
    app.wake.published(org.id).await;
    Ok(entry)
}

/// Sets the minutes between situation reports; 0 for none.
pub async fn set_cadence(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    minutes: i64,
) -> Result<Incident, Error> {
    permit(caller, UseCase::LeadIncidents)?;
    let every = parse_cadence(minutes)
        .map_err(|p| Error::Invalid(FieldErrors::single("report_every_minutes", p)))?;
    let incident = app
        .store
        .set_report_cadence(&caller.actor(), org.id, incident, every, app.clock.now())
        .await?;
    app.wake.published(org.id).await;
    Ok(incident)
}

/// One round of the reminder: for every open incident whose next situation report is
/// overdue, alerts its scribe and lead (once per missed report, however many servers
/// run this). Returns how many reminders went out.
pub async fn remind_overdue_reports(
    app: &App,
    caller: &Caller,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    if !matches!(caller, Caller::System | Caller::Operator(_)) {
        return Err(Error::Refused {
            use_case: UseCase::LeadIncidents,
            least: UseCase::LeadIncidents.least(),
        });
    }
    let store = app.store();
    let mut sent = 0;
    for org in store.list_orgs().await? {
        for incident in store.incidents(org.id, false).await? {
            let entries = store.incident_log(org.id, incident.id).await?;
            let Some(due) = report_due(
                incident.opened_at,
                last_report(&entries),
                incident.report_every_minutes,
            ) else {
                continue;
            };
            if due >= now {
                continue;
            }
            let roles = store.incident_roles(org.id, incident.id).await?;
            let mut people: Vec<PersonId> = Vec::new();
            for role in [Role::Scribe, Role::Lead] {
                if let Some(holder) = roles.iter().find(|r| r.role == role && r.until.is_none()) {
                    if !people.contains(&holder.person) {
                        people.push(holder.person);
                    }
                }
            }
            if people.is_empty() {
                continue;
            }
            let when = org.zone().local(due).format("%H:%M").to_string();
            let input = AlertInput {
                message: crate::messages::report_overdue(&org, &incident.title, &when),
                severity: Severity::Info,
                recipients: Recipients {
                    people,
                    ..Recipients::default()
                },
                options: Vec::new(),
                exercise: incident.exercise,
                step_minutes: 5,
                repeats: 0,
                repeat_minutes: 15,
                escalation: None,
            };
            let alert = input.validate(None).map_err(Error::Invalid)?;
            if store
                .remind_report(&caller.actor(), org.id, incident.id, due, alert, now)
                .await?
                .is_some()
            {
                sent += 1;
                app.wake.published(org.id).await;
            }
        }
    }
    if sent > 0 {
        app.wake.deliveries_due();
    }
    Ok(sent)
}
