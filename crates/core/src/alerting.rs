//! Alerts: who is reached, on which channel, when — and the rule that an answer on any
//! channel stops everything still pending for that person.
//!
//! Planning is pure: from the recipients' contact points it lays out every delivery step
//! up front (step 0 now, each further step one wait later). The store commits the alert and
//! all its planned deliveries in one transaction (the outbox); workers hand due deliveries
//! to providers; an answer cancels the person's pending steps in the transaction that
//! records it.

use crate::error::{FieldError, FieldErrors};
use crate::ids::{AccountId, AlertId, DeliveryId, GroupId, OrgId, PersonId, PositionId};
use crate::journal::Actor;
use crate::register::{ContactKind, ContactPoint};
use crate::store::StoreResult;
use async_trait::async_trait;
use chrono::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest alert text: it must fit a few SMS parts.
pub const MAX_MESSAGE_CHARS: usize = 600;
/// Poll answers an alert may offer.
pub const MAX_OPTIONS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// Who an alert is for, as the sender names them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    #[serde(default)]
    pub people: Vec<PersonId>,
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// A position reaches its holder; the deputies step in when the holder is silent.
    #[serde(default)]
    pub positions: Vec<PositionId>,
}

/// An alert as the sender writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertInput {
    pub message: String,
    pub severity: Severity,
    pub recipients: Recipients,
    /// Empty: the answer is an acknowledgement. Otherwise a short poll, e.g. yes / no.
    #[serde(default)]
    pub options: Vec<String>,
    /// An exercise: marked as such in every message and kept out of live statistics.
    #[serde(default)]
    pub exercise: bool,
    /// Minutes between one channel and the next for a person who has not answered.
    #[serde(default = "default_step_minutes")]
    pub step_minutes: u32,
}

fn default_step_minutes() -> u32 {
    5
}

/// A checked alert.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub created_by: Option<AccountId>,
    pub message: String,
    pub severity: Severity,
    pub recipients: Recipients,
    pub options: Vec<String>,
    pub exercise: bool,
    pub step: Duration,
}

impl AlertInput {
    pub fn validate(self, created_by: Option<AccountId>) -> Result<NewAlert, FieldErrors> {
        let mut errors = Vec::new();
        let message = self.message.trim().to_owned();
        if message.is_empty() {
            errors.push(FieldError::new("message", "must not be empty"));
        } else if message.chars().count() > MAX_MESSAGE_CHARS {
            errors.push(FieldError::new(
                "message",
                format!("must be at most {MAX_MESSAGE_CHARS} characters"),
            ));
        }
        let r = &self.recipients;
        if r.people.is_empty() && r.groups.is_empty() && r.positions.is_empty() {
            errors.push(FieldError::new(
                "recipients",
                "must name at least one person, group or position",
            ));
        }
        let mut options: Vec<String> = Vec::new();
        for (i, option) in self.options.iter().enumerate() {
            let o = option.trim();
            if o.is_empty() || o.chars().count() > 40 {
                errors.push(FieldError::new(
                    format!("options[{i}]"),
                    "must be 1 to 40 characters",
                ));
            } else if options.iter().any(|x| x.eq_ignore_ascii_case(o)) {
                errors.push(FieldError::new(format!("options[{i}]"), "is given twice"));
            } else {
                options.push(o.to_owned());
            }
        }
        if options.len() == 1 || self.options.len() > MAX_OPTIONS {
            errors.push(FieldError::new(
                "options",
                format!("must be empty (acknowledge) or 2 to {MAX_OPTIONS} answers"),
            ));
        }
        if !(1..=240).contains(&self.step_minutes) {
            errors.push(FieldError::new("step_minutes", "must be 1 to 240"));
        }
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        Ok(NewAlert {
            created_by,
            message,
            severity: self.severity,
            recipients: self.recipients,
            options,
            exercise: self.exercise,
            step: Duration::minutes(i64::from(self.step_minutes)),
        })
    }
}

/// One planned hand-off to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDelivery {
    pub person: PersonId,
    /// 0 for the first channel, 1 for the next, …
    pub step: u32,
    pub channel: ContactKind,
    pub address: String,
    /// How long after the alert is sent this step is due.
    pub after: Duration,
}

/// The channels an alert can go out on today; voice calls come with a provider for them.
fn can_deliver(kind: ContactKind) -> bool {
    matches!(
        kind,
        ContactKind::Sms | ContactKind::Email | ContactKind::Push
    )
}

/// Lays out every step for every person: their verified contact points in their own
/// order, one `step` apart. A person without a usable contact point gets no step (the
/// roster shows them as unreachable, and why).
pub fn plan(people: &[(PersonId, Vec<ContactPoint>)], step: Duration) -> Vec<PlannedDelivery> {
    let mut planned = Vec::new();
    for (person, points) in people {
        let mut seen: Vec<(&ContactKind, &str)> = Vec::new();
        let usable = points.iter().filter(|p| p.verified && can_deliver(p.kind));
        for point in usable {
            if seen.contains(&(&point.kind, point.value.as_str())) {
                continue;
            }
            seen.push((&point.kind, point.value.as_str()));
            let n = u32::try_from(seen.len() - 1).unwrap_or(u32::MAX);
            planned.push(PlannedDelivery {
                person: *person,
                step: n,
                channel: point.kind,
                address: point.value.clone(),
                after: step * i32::try_from(n).unwrap_or(i32::MAX),
            });
        }
    }
    planned
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Active,
    Resolved,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Alert {
    pub id: AlertId,
    pub org_id: OrgId,
    pub created_by: Option<AccountId>,
    pub message: String,
    pub severity: Severity,
    pub options: Vec<String>,
    pub exercise: bool,
    pub status: AlertStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its time.
    Pending,
    /// Taken by a worker until its lease ends.
    Claimed,
    /// Handed to a provider.
    Sent,
    Failed,
    /// Not needed: the person answered, or the alert was closed.
    Cancelled,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Claimed => "claimed",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Claimed,
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
            DeliveryStatus::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// One hand-off in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: DeliveryId,
    pub alert_id: AlertId,
    pub org_id: OrgId,
    pub person_id: PersonId,
    pub step: i32,
    pub channel: ContactKind,
    pub address: String,
    pub due_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// Sent to the provider, so a retried hand-off is not a second message.
    pub idempotency_key: String,
}

/// What a worker reports for a delivery it claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent {
        provider: String,
        provider_ref: String,
    },
    /// A temporary failure: try again at `at` (a provider's Retry-After is honoured).
    Retry { at: DateTime<Utc>, error: String },
    /// Will not work by trying again (a refused number, no provider for the channel).
    Failed { error: String },
}

/// A person's answer to an alert, from whichever channel it came.
#[derive(Debug, Clone)]
pub struct Answer {
    pub person: PersonId,
    /// The chosen option of a poll; none for an acknowledgement.
    pub choice: Option<String>,
    /// `web`, `sms`, `email`, `link`.
    pub via: String,
    pub at: DateTime<Utc>,
}

/// One recipient's line in the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RosterEntry {
    pub person_id: PersonId,
    /// Why they were alerted: `person`, `group:<slug>` or `position:<slug>`.
    pub reason: String,
    pub deliveries: Vec<Delivery>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// Where the answer came from: `web`, `sms`, `email`, `link`.
    pub answered_via: Option<String>,
}

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Resolves the recipients, plans every delivery and commits the alert with all of
    /// them in one transaction. People without a usable contact point are recipients with
    /// no deliveries.
    async fn create_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewAlert,
        now: DateTime<Utc>,
    ) -> StoreResult<Alert>;
    /// Records a person's answer and cancels their pending deliveries, together. True for
    /// the first answer; a later one changes nothing. A poll answer must be one of its
    /// options.
    async fn answer_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        alert: AlertId,
        answer: Answer,
    ) -> StoreResult<bool>;
    /// Takes up to `limit` deliveries that are due (or whose worker's lease ran out) for
    /// `lease`, oldest first.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<Delivery>>;
    /// The alert, if it is the organisation's.
    async fn alert(&self, org: OrgId, id: AlertId) -> StoreResult<Alert>;
    /// Whether a claimed delivery should still go out (not cancelled by an answer since).
    async fn delivery_wanted(&self, id: DeliveryId) -> StoreResult<bool>;
    /// Records what became of a claimed delivery; false if it is no longer claimed.
    async fn finish_delivery(
        &self,
        id: DeliveryId,
        outcome: DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Every recipient with their deliveries and answer.
    async fn alert_roster(&self, org: OrgId, alert: AlertId) -> StoreResult<Vec<RosterEntry>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::ContactLabel;

    fn point(kind: ContactKind, value: &str, verified: bool) -> ContactPoint {
        ContactPoint {
            kind,
            label: ContactLabel::Work,
            value: value.into(),
            verified,
        }
    }

    #[test]
    fn each_person_is_reached_in_their_own_order_one_step_apart() {
        let (anna, bo, cecilia) = (PersonId::new(), PersonId::new(), PersonId::new());
        let people = vec![
            (
                anna,
                vec![
                    point(ContactKind::Push, "https://push.example/a", true),
                    point(ContactKind::Sms, "+46701234567", true),
                    point(ContactKind::Email, "anna@example.org", true),
                ],
            ),
            (
                bo,
                vec![
                    point(ContactKind::Email, "bo@example.org", false),
                    point(ContactKind::Voice, "+46709999999", true),
                    point(ContactKind::Sms, "+46707654321", true),
                    point(ContactKind::Sms, "+46707654321", true),
                ],
            ),
            (
                cecilia,
                vec![point(ContactKind::Email, "c@example.org", false)],
            ),
        ];
        let planned = plan(&people, Duration::minutes(5));
        let of = |p: PersonId| -> Vec<(u32, ContactKind, i64)> {
            planned
                .iter()
                .filter(|d| d.person == p)
                .map(|d| (d.step, d.channel, d.after.num_minutes()))
                .collect()
        };
        assert_eq!(
            of(anna),
            [
                (0, ContactKind::Push, 0),
                (1, ContactKind::Sms, 5),
                (2, ContactKind::Email, 10)
            ]
        );
        // Unverified and voice are skipped, the same number twice is one step.
        assert_eq!(of(bo), [(0, ContactKind::Sms, 0)]);
        assert!(of(cecilia).is_empty(), "unreachable: nothing verified");
    }

    #[test]
    fn an_alert_names_what_is_wrong_with_it() {
        let input = AlertInput {
            message: " ".into(),
            severity: Severity::Critical,
            recipients: Recipients::default(),
            options: vec!["Ja".into()],
            exercise: false,
            step_minutes: 0,
        };
        let fields: Vec<_> = input
            .validate(None)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["message", "recipients", "options", "step_minutes"]);
        let ok = AlertInput {
            message: "Kan du komma in?".into(),
            severity: Severity::Warning,
            recipients: Recipients {
                people: vec![PersonId::new()],
                ..Recipients::default()
            },
            options: vec![" Ja ".into(), "Nej".into()],
            exercise: true,
            step_minutes: 3,
        }
        .validate(None)
        .unwrap();
        assert_eq!(ok.options, ["Ja", "Nej"]);
        assert_eq!(ok.step, Duration::minutes(3));
    }
}
