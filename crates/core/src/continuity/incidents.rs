//! Incidents: a plan activated. Activation opens an incident with its own channel, the
//! checklist made from the plan's action cards (each task to whoever is on call for its
//! position, due a number of minutes after activation), the plan's alarm sent through the
//! alerting, and the roles of the incident (lead, scribe, liaison) with every hand-over
//! kept. An exercise is marked as such everywhere.

use crate::alerting::{NewAlert, Severity};
use crate::continuity::plans::PlanDocument;
use crate::conversation::NewChannel;
use crate::ids::{AccountId, AlertId, ChannelId, IncidentId, OrgId, PersonId, PlanId, TaskId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How an incident was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Web,
    Api,
    Cli,
    Sms,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Api => "api",
            Via::Cli => "cli",
            Via::Sms => "sms",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Via::Web, Via::Api, Via::Cli, Via::Sms]
            .into_iter()
            .find(|v| v.as_str() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Incident {
    pub id: IncidentId,
    pub org_id: OrgId,
    pub title: String,
    /// The plan activated, and which version of it.
    pub plan_id: Option<PlanId>,
    pub plan_version: Option<i64>,
    pub severity: Severity,
    pub exercise: bool,
    pub channel_id: ChannelId,
    /// The plan's alarm, when it alerted anyone.
    pub alert_id: Option<AlertId>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: Option<PersonId>,
    pub via: Via,
    pub closed_at: Option<DateTime<Utc>>,
    /// Minutes between situation reports; `None` for no cadence.
    pub report_every_minutes: Option<u32>,
}

impl Incident {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// One task of an incident's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IncidentTask {
    pub id: TaskId,
    pub incident_id: IncidentId,
    /// The position's name whose action card it came from.
    pub position: Option<String>,
    /// Whoever was on call for the position at activation.
    pub assignee: Option<PersonId>,
    pub text: String,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<PersonId>,
}

impl IncidentTask {
    /// Not done and past its due time.
    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        self.done_at.is_none() && self.due_at < now
    }

    /// Done after its due time.
    pub fn was_late(&self) -> bool {
        self.done_at.is_some_and(|d| d > self.due_at)
    }
}

/// The roles of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = IncidentRole)]
pub enum Role {
    /// Leads the incident.
    Lead,
    /// Keeps the log and approves significant entries.
    Scribe,
    /// Keeps in touch with partners.
    Liaison,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Lead, Role::Scribe, Role::Liaison];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::Scribe => "scribe",
            Role::Liaison => "liaison",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == code)
    }
}

/// Who held a role, from when (and until, once handed over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RoleHolder {
    pub role: Role,
    pub person: PersonId,
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    /// Who handed it over (or took it at activation).
    pub by: Option<PersonId>,
}

/// A task ticked off, or back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskChange {
    pub task: TaskId,
    pub done: bool,
}

/// A role handed to someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handover {
    pub role: Role,
    pub to: PersonId,
}

/// A task to put on the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub position: Option<String>,
    pub assignee: Option<PersonId>,
    pub text: String,
    pub due_at: DateTime<Utc>,
}

/// Everything an activation writes, in one transaction.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub title: String,
    pub plan: Option<(PlanId, i64)>,
    pub severity: Severity,
    pub exercise: bool,
    pub via: Via,
    pub opened_by: Option<PersonId>,
    /// The incident's channel, created by `creator`.
    pub channel: NewChannel,
    pub creator: AccountId,
    /// The plan's alarm, when it alerts anyone.
    pub alert: Option<NewAlert>,
    pub tasks: Vec<NewTask>,
    /// The incident's first lead (the activator).
    pub lead: Option<PersonId>,
    /// Minutes between situation reports.
    pub report_every_minutes: Option<u32>,
}

/// The checklist from a plan's action cards at `severity`: tasks whose lowest severity is
/// above it are left out; each is due its minutes after `now` and goes to whoever
/// `on_call` names for its position (the position's name and the person, if anyone).
pub fn checklist(
    plan: &PlanDocument,
    severity: Severity,
    now: DateTime<Utc>,
    on_call: impl Fn(&str) -> (Option<String>, Option<PersonId>),
) -> Vec<NewTask> {
    let mut tasks = Vec::new();
    for card in &plan.action_cards {
        let (position, assignee) = on_call(&card.position);
        for task in &card.tasks {
            if task.at_least.is_some_and(|least| severity < least) {
                continue;
            }
            tasks.push(NewTask {
                position: position.clone(),
                assignee,
                text: task.task.clone(),
                due_at: now + Duration::minutes(i64::from(task.after_minutes)),
            });
        }
    }
    // Due first on top; a card's order kept within the same minute.
    tasks.sort_by_key(|t| t.due_at);
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuity::plans::{ActionCard, PlanTask};
    use chrono::TimeZone;

    #[test]
    fn the_checklist_has_the_tasks_for_the_severity_due_from_activation_to_whoever_is_on_call() {
        let task = |after_minutes, text: &str, at_least| PlanTask {
            after_minutes,
            task: text.into(),
            at_least,
        };
        let plan = PlanDocument {
            action_cards: vec![
                ActionCard {
                    position: "tib".into(),
                    duties: String::new(),
                    tasks: vec![
                        task(0, "Ring IT", None),
                        task(30, "Ring länsstyrelsen", Some(Severity::Critical)),
                    ],
                },
                ActionCard {
                    position: "vakant".into(),
                    duties: String::new(),
                    tasks: vec![task(10, "Informera personalen", None)],
                },
            ],
            ..PlanDocument::default()
        };
        let now = Utc
            .with_ymd_and_hms(2026, 12, 2, 7, 40, 0)
            .single()
            .unwrap();
        let anna = PersonId::new();
        let on_call = |slug: &str| match slug {
            "tib" => (Some("TiB".to_owned()), Some(anna)),
            _ => (Some("Vakant".to_owned()), None),
        };
        let warning = checklist(&plan, Severity::Warning, now, on_call);
        let texts: Vec<&str> = warning.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Ring IT", "Informera personalen"],
            "critical-only left out"
        );
        assert_eq!(warning[0].assignee, Some(anna));
        assert_eq!(warning[1].assignee, None, "nobody on call");
        assert_eq!(warning[1].due_at, now + Duration::minutes(10));
        let critical = checklist(&plan, Severity::Critical, now, on_call);
        assert_eq!(critical.len(), 3);
        assert_eq!(critical[2].text, "Ring länsstyrelsen");
    }
}
