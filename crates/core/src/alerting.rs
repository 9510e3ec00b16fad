//! Alerts: who is reached, on which channel, when — and the rule that an answer on any
//! channel stops everything still pending for that person.
//!
//! Planning is pure: from the recipients' contact points it lays out every delivery step
//! up front (step 0 now, each further step one wait later). The store commits the alert and
//! all its planned deliveries in one transaction (the outbox); workers hand due deliveries
//! to providers; an answer cancels the person's pending steps in the transaction that
//! records it.

use crate::error::{FieldError, FieldErrors};
use crate::ids::{AccountId, AlertId, DeliveryId, GroupId, MessageId, OrgId, PersonId, PositionId};
use crate::journal::Actor;
use crate::register::{ContactKind, ContactPoint};
use crate::store::StoreResult;
use crate::Problem;
use async_trait::async_trait;
use chrono::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest alert text: it must fit a few SMS parts.
pub const MAX_MESSAGE_CHARS: usize = 600;
/// Poll answers an alert may offer.
pub const MAX_OPTIONS: usize = 6;
/// Further rounds through a silent person's channels: enough for a night, bounded so a
/// forgotten alert does not text people for ever.
pub const MAX_REPEATS: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: &'static [Severity] = &[Severity::Info, Severity::Warning, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Severity::Info, Severity::Warning, Severity::Critical]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Who an alert is for, as the sender names them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recipients {
    #[serde(default)]
    pub people: Vec<PersonId>,
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// A position reaches its holder; the deputies step in when the holder is silent.
    #[serde(default)]
    pub positions: Vec<PositionId>,
    /// For everyone alerted who holds a position: that position's deputies step in, in
    /// order, while they are silent.
    #[serde(default)]
    pub deputies: bool,
}

/// An alert as the sender writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertInput {
    #[schema(min_length = 1, max_length = 600, format = "many-lines-text")]
    pub message: String,
    pub severity: Severity,
    pub recipients: Recipients,
    /// Empty: the answer is an acknowledgement. Otherwise a short poll, e.g. yes / no.
    #[serde(default)]
    #[schema(max_items = 6)]
    pub options: Vec<String>,
    /// An exercise: marked as such in every message and kept out of live statistics.
    #[serde(default)]
    pub exercise: bool,
    /// Minutes between one channel and the next for a person who has not answered.
    #[serde(default = "default_step_minutes")]
    #[schema(minimum = 1, maximum = 240)]
    pub step_minutes: u32,
    /// How many more rounds through a silent person's channels (0 to 10).
    #[serde(default)]
    #[schema(maximum = 10)]
    pub repeats: u32,
    /// Minutes from the last step of one round to the first of the next.
    #[serde(default = "default_repeat_minutes")]
    #[schema(minimum = 1, maximum = 1440)]
    pub repeat_minutes: u32,
    /// Alert a further group if too few have answered in time.
    #[serde(default)]
    pub escalation: Option<GroupEscalation>,
}

/// "If fewer than `min_answers` have answered within `after_minutes`, alert `group`."
/// For a poll, only the first option (e.g. "Ja") counts as an answer here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupEscalation {
    pub group: GroupId,
    #[schema(minimum = 1)]
    pub min_answers: u32,
    #[schema(minimum = 1, maximum = 1440)]
    pub after_minutes: u32,
}

fn default_step_minutes() -> u32 {
    5
}

fn default_repeat_minutes() -> u32 {
    15
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
    pub schedule: Schedule,
    /// The group, how many covering answers are enough, and when to check.
    pub escalation: Option<(GroupId, u32, Duration)>,
    /// Set for a contact check: its deadline.
    pub contact_check_until: Option<DateTime<Utc>>,
    /// Set for an announcement sent out beyond the app: the message it carries.
    pub announcement: Option<MessageId>,
}

/// When each step of a person's escalation falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// From one channel to the next.
    pub step: Duration,
    /// Further rounds through the person's channels.
    pub repeats: u32,
    /// From the last step of a round to the first of the next.
    pub repeat_every: Duration,
}

impl Schedule {
    pub fn once(step: Duration) -> Self {
        Schedule {
            step,
            repeats: 0,
            repeat_every: step,
        }
    }
}

impl AlertInput {
    pub fn validate(self, created_by: Option<AccountId>) -> Result<NewAlert, FieldErrors> {
        let mut errors = Vec::new();
        let lines = crate::text::Lines::Many;
        let message = crate::text::required("message", &self.message, MAX_MESSAGE_CHARS, lines)
            .unwrap_or_else(|e| {
                errors.push(e);
                String::new()
            });
        let r = &self.recipients;
        if r.people.is_empty() && r.groups.is_empty() && r.positions.is_empty() {
            errors.push(FieldError::new("recipients", Problem::NoRecipients));
        }
        let mut options: Vec<String> = Vec::new();
        for (i, option) in self.options.iter().enumerate() {
            let o = option.trim();
            if o.is_empty() || o.chars().count() > 40 {
                errors.push(FieldError::new(
                    format!("options[{i}]"),
                    Problem::Range { min: 1, max: 40 },
                ));
            } else if options.iter().any(|x| x.eq_ignore_ascii_case(o)) {
                errors.push(FieldError::new(format!("options[{i}]"), Problem::Duplicate));
            } else {
                options.push(o.to_owned());
            }
        }
        if options.len() == 1 || self.options.len() > MAX_OPTIONS {
            errors.push(FieldError::new(
                "options",
                Problem::Answers { max: MAX_OPTIONS },
            ));
        }
        if !(1..=240).contains(&self.step_minutes) {
            errors.push(FieldError::new(
                "step_minutes",
                Problem::Range { min: 1, max: 240 },
            ));
        }
        if self.repeats > MAX_REPEATS {
            errors.push(FieldError::new(
                "repeats",
                Problem::Range {
                    min: 0,
                    max: i64::from(MAX_REPEATS),
                },
            ));
        }
        if !(1..=1440).contains(&self.repeat_minutes) {
            errors.push(FieldError::new(
                "repeat_minutes",
                Problem::Range { min: 1, max: 1440 },
            ));
        }
        if let Some(e) = &self.escalation {
            if e.min_answers == 0 {
                errors.push(FieldError::new(
                    "escalation.min_answers",
                    Problem::Range {
                        min: 1,
                        max: i64::from(u32::MAX),
                    },
                ));
            }
            if !(1..=1440).contains(&e.after_minutes) {
                errors.push(FieldError::new(
                    "escalation.after_minutes",
                    Problem::Range { min: 1, max: 1440 },
                ));
            }
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
            schedule: Schedule {
                step: Duration::minutes(i64::from(self.step_minutes)),
                repeats: self.repeats,
                repeat_every: Duration::minutes(i64::from(self.repeat_minutes)),
            },
            escalation: self.escalation.map(|e| {
                (
                    e.group,
                    e.min_answers,
                    Duration::minutes(i64::from(e.after_minutes)),
                )
            }),
            contact_check_until: None,
            announcement: None,
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

/// One person to plan for.
#[derive(Debug, Clone)]
pub struct PlanRecipient {
    pub person: PersonId,
    pub points: Vec<ContactPoint>,
    /// A deputy starts when the person before them in the position has had their first
    /// round without answering. That person must come earlier in the list.
    pub follows: Option<PersonId>,
}

/// The contact points an alert can use, each once: those the person has confirmed first,
/// in their order, then the unconfirmed ones (an imported number not yet checked may
/// still be the one that reaches them).
pub(crate) fn usable(points: &[ContactPoint]) -> Vec<&ContactPoint> {
    let mut seen: Vec<&ContactPoint> = Vec::new();
    let confirmed = points.iter().filter(|p| p.verified);
    let unconfirmed = points.iter().filter(|p| !p.verified);
    for point in confirmed.chain(unconfirmed).filter(|p| can_deliver(p.kind)) {
        if !seen
            .iter()
            .any(|s| s.kind == point.kind && s.value == point.value)
        {
            seen.push(point);
        }
    }
    seen
}

fn times(d: Duration, n: usize) -> Duration {
    d * i32::try_from(n).unwrap_or(i32::MAX)
}

/// Lays out every step for every person: their contact points (confirmed first) in their
/// own order, one `step` apart, then the same again `repeats` times, each round starting
/// `repeat_every` after the last step of the one before. A deputy's first step comes one
/// step after the last step of their predecessor's first round (at once if the
/// predecessor cannot be reached). A person without a usable contact point gets no step
/// (the roster shows them as unreachable).
pub fn plan(recipients: &[PlanRecipient], schedule: &Schedule) -> Vec<PlannedDelivery> {
    let mut planned = Vec::new();
    // When each person's first round starts and how many steps it has.
    let mut starts: Vec<(PersonId, Duration, usize)> = Vec::new();
    for r in recipients {
        let points = usable(&r.points);
        let start = r
            .follows
            .and_then(|p| starts.iter().find(|(q, _, _)| *q == p))
            .map(|(_, start, n)| *start + times(schedule.step, *n))
            .unwrap_or_else(Duration::zero);
        starts.push((r.person, start, points.len()));
        if points.is_empty() {
            continue;
        }
        let round = times(schedule.step, points.len() - 1) + schedule.repeat_every;
        for repeat in 0..=schedule.repeats as usize {
            for (i, point) in points.iter().enumerate() {
                let n = repeat * points.len() + i;
                planned.push(PlannedDelivery {
                    person: r.person,
                    step: u32::try_from(n).unwrap_or(u32::MAX),
                    channel: point.kind,
                    address: point.value.clone(),
                    after: start + times(round, repeat) + times(schedule.step, i),
                });
            }
        }
    }
    planned
}

/// Whether an answer stands for the person's chain (their position's holder and deputies)
/// and counts towards a group escalation's minimum: an acknowledgement does, and so does
/// the first option of a poll ("Ja"); "Nej" lets the deputies go on being alerted.
pub fn covers(options: &[String], answer: Option<&str>) -> bool {
    match (options.first(), answer) {
        (None, _) => true,
        (Some(first), Some(answer)) => first.eq_ignore_ascii_case(answer),
        (Some(_), None) => false,
    }
}

/// Reads an SMS reply as an answer: any text acknowledges; a poll takes an option's text
/// (any case, also as the first word: "ja, om 20 min") or its number ("1"). None when it
/// cannot be understood.
pub fn parse_reply(options: &[String], text: &str) -> Option<Option<String>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if options.is_empty() {
        return Some(None);
    }
    let lowered = text.to_lowercase();
    if let Some(o) = options.iter().find(|o| o.to_lowercase() == lowered) {
        return Some(Some(o.clone()));
    }
    let first = lowered
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())?;
    if let Ok(n) = first.parse::<usize>() {
        return options.get(n.checked_sub(1)?).cloned().map(Some);
    }
    options
        .iter()
        .find(|o| o.to_lowercase() == first)
        .cloned()
        .map(Some)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Active,
    Resolved,
    Cancelled,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Active => "active",
            AlertStatus::Resolved => "resolved",
            AlertStatus::Cancelled => "cancelled",
        }
    }
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
    pub closed_at: Option<DateTime<Utc>>,
    /// A contact check rather than an alert: its deadline.
    pub contact_check_until: Option<DateTime<Utc>>,
    /// An announcement sent out by SMS, email and push rather than an alert: the message
    /// it carries. Its roster is the announcement's.
    pub announcement: Option<MessageId>,
    /// People it reaches whose deliveries are not planned yet: an alert to thousands is
    /// planned in parts while its first wave is already being sent.
    pub unplanned: u32,
}

/// A contact-check campaign as the sender writes it: everyone named is asked, on every
/// contact point they have, to confirm that it reaches them, by the deadline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCheckInput {
    pub recipients: Recipients,
    pub deadline: DateTime<Utc>,
    /// Shown before the link; a default in the organisation's language when empty.
    #[serde(default)]
    #[schema(max_length = 600, format = "many-lines-text-or-empty")]
    pub message: String,
}

impl ContactCheckInput {
    pub fn validate(
        self,
        created_by: Option<AccountId>,
        now: DateTime<Utc>,
        default_message: &str,
    ) -> Result<NewAlert, FieldErrors> {
        let mut errors = Vec::new();
        let r = &self.recipients;
        if r.people.is_empty() && r.groups.is_empty() && r.positions.is_empty() {
            errors.push(FieldError::new("recipients", Problem::NoRecipients));
        }
        if self.deadline <= now {
            errors.push(FieldError::new("deadline", Problem::InThePast));
        } else if self.deadline - now > Duration::days(90) {
            errors.push(FieldError::new(
                "deadline",
                Problem::TooFarAhead { days: 90 },
            ));
        }
        let lines = crate::text::Lines::Many;
        let message = match crate::text::clean("message", &self.message, MAX_MESSAGE_CHARS, lines) {
            Ok(m) if m.is_empty() => default_message.to_owned(),
            Ok(m) => m,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        Ok(NewAlert {
            created_by,
            message,
            severity: Severity::Info,
            recipients: Recipients {
                deputies: false,
                ..self.recipients
            },
            options: Vec::new(),
            exercise: false,
            schedule: Schedule::once(Duration::minutes(5)),
            escalation: None,
            contact_check_until: Some(self.deadline),
            announcement: None,
        })
    }
}

/// A contact check's steps: every contact point at once, confirmed or not (that is what
/// is being checked).
pub fn plan_check(recipients: &[PlanRecipient]) -> Vec<PlannedDelivery> {
    let mut planned = Vec::new();
    for r in recipients {
        let mut seen: Vec<&ContactPoint> = Vec::new();
        for point in r.points.iter().filter(|p| can_deliver(p.kind)) {
            if seen
                .iter()
                .any(|s| s.kind == point.kind && s.value == point.value)
            {
                continue;
            }
            seen.push(point);
            planned.push(PlannedDelivery {
                person: r.person,
                step: u32::try_from(seen.len() - 1).unwrap_or(u32::MAX),
                channel: point.kind,
                address: point.value.clone(),
                after: Duration::zero(),
            });
        }
    }
    planned
}

/// An alert with its counts, for lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AlertSummary {
    pub alert: Alert,
    pub recipients: u32,
    /// Recipients who have answered, in any way.
    pub answered: u32,
    /// Recipients with no usable contact point.
    pub unreachable: u32,
}

/// What a delivery carries: the alert itself, or the notice that it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    Alert,
    Resolved,
    Cancelled,
}

impl DeliveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Alert => "alert",
            DeliveryKind::Resolved => "resolved",
            DeliveryKind::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            DeliveryKind::Alert,
            DeliveryKind::Resolved,
            DeliveryKind::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
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
    pub kind: DeliveryKind,
    pub sent_at: Option<DateTime<Utc>>,
    /// When the provider reported it delivered to the phone.
    pub delivered_at: Option<DateTime<Utc>>,
    pub provider: Option<String>,
    pub last_error: Option<String>,
    /// A contact check's point confirmed by its person, through the link.
    pub confirmed_at: Option<DateTime<Utc>>,
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
    /// When they first opened the alert (its page or its link).
    pub seen_at: Option<DateTime<Utc>>,
    /// The holder or deputy this person steps in after.
    pub follows: Option<PersonId>,
    /// Their name in the register, and the name of whom they follow.
    pub name: String,
    pub follows_name: Option<String>,
    /// Where they stand, as the store works it out from their deliveries.
    pub state: RecipientState,
}

/// Where a recipient stands, furthest first: what a crisis leader scans the roster for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    /// Nothing can reach them: no contact point an alert can use.
    Unreachable,
    /// Every hand-off failed.
    Failed,
    /// Nothing handed over yet (a deputy waiting for their turn, or the first step).
    Waiting,
    /// Handed to a provider.
    Sent,
    /// The provider reported it delivered.
    Delivered,
    /// They opened the alert's page or link.
    Seen,
    Answered,
    /// Not alerted after all: someone else covered their position first, or the alert
    /// was closed before their turn.
    NotNeeded,
}

impl RecipientState {
    /// Every state, furthest first (the roster's order).
    pub const ALL: [RecipientState; 8] = [
        RecipientState::Unreachable,
        RecipientState::Failed,
        RecipientState::Waiting,
        RecipientState::Sent,
        RecipientState::Delivered,
        RecipientState::Seen,
        RecipientState::Answered,
        RecipientState::NotNeeded,
    ];

    /// Its place in the roster's order, as the store sorts by it.
    pub fn rank(self) -> i32 {
        match self {
            RecipientState::Unreachable => 0,
            RecipientState::Failed => 1,
            RecipientState::Waiting => 2,
            RecipientState::Sent => 3,
            RecipientState::Delivered => 4,
            RecipientState::Seen => 5,
            RecipientState::Answered => 6,
            RecipientState::NotNeeded => 7,
        }
    }

    pub fn from_rank(rank: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.rank() == rank)
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecipientState::Unreachable => "unreachable",
            RecipientState::Failed => "failed",
            RecipientState::Waiting => "waiting",
            RecipientState::Sent => "sent",
            RecipientState::Delivered => "delivered",
            RecipientState::Seen => "seen",
            RecipientState::Answered => "answered",
            RecipientState::NotNeeded => "not_needed",
        }
    }
}

/// Which part of a roster to read: those in `states` (everyone when empty), furthest
/// first and then by name, `limit` lines from `offset`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RosterQuery {
    pub states: Vec<RecipientState>,
    pub offset: u32,
    pub limit: u32,
}

/// Minutes after sending within which the readiness report counts answers.
pub const READINESS_MINUTES: [i64; 3] = [5, 15, 60];

/// A roster's figures, counted by the database however many it holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RosterCounts {
    /// Recipients in each state that has any.
    pub by_state: Vec<(RecipientState, u32)>,
    /// Answers given, by answer (`None`: acknowledged without a choice).
    pub answers: Vec<(Option<String>, u32)>,
    pub first_answer_at: Option<DateTime<Utc>>,
    /// Answers within each of [`READINESS_MINUTES`] of sending.
    pub answered_within: [u32; 3],
}

impl RosterCounts {
    pub fn total(&self) -> u32 {
        self.by_state.iter().map(|(_, n)| n).sum()
    }

    pub fn of(&self, state: RecipientState) -> u32 {
        self.by_state
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n)
    }

    pub fn answered(&self) -> u32 {
        self.answers.iter().map(|(_, n)| n).sum()
    }
}

/// What became of an SMS reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyMatch {
    pub org_id: OrgId,
    pub alert_id: AlertId,
    pub person_id: PersonId,
    /// False when the text could not be read as an answer (nothing was recorded).
    pub understood: bool,
    /// True when this reply was the person's first answer.
    pub answered: bool,
}

/// What an SMS reply turned out to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// No open alert was sent to that number (from the number the reply went to).
    Unmatched,
    /// Open alerts of several organisations share the number the reply went to: which
    /// one it answers cannot be known, so it answers none.
    Ambiguous {
        orgs: Vec<OrgId>,
    },
    Matched(ReplyMatch),
}

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Who an alert would reach if it were sent now, with their contact points, in the
    /// order it would alert them; nothing is written. Unknown recipients are refused as
    /// sending refuses them.
    async fn alert_audience(
        &self,
        org: OrgId,
        new: &NewAlert,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<PlanRecipient>>;
    /// The organisation's alert templates, by name.
    async fn alert_templates(
        &self,
        org: OrgId,
    ) -> StoreResult<Vec<crate::alert_templates::AlertTemplate>>;
    async fn alert_template(
        &self,
        org: OrgId,
        id: crate::AlertTemplateId,
    ) -> StoreResult<crate::alert_templates::AlertTemplate>;
    /// Saves a new template, or a new version of one (refused with a conflict if it has
    /// been saved since `version`), journaled. Its recipients must be the organisation's.
    async fn save_alert_template(
        &self,
        actor: &Actor,
        org: OrgId,
        template: crate::alert_templates::TemplateDraft,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::alert_templates::AlertTemplate>;
    async fn delete_alert_template(
        &self,
        actor: &Actor,
        org: OrgId,
        id: crate::AlertTemplateId,
    ) -> StoreResult<()>;
    /// The alert that carries an announcement sent out beyond the app, if it was.
    async fn announcement_alert(
        &self,
        org: OrgId,
        message: MessageId,
    ) -> StoreResult<Option<AlertId>>;

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
    /// Which of the claimed deliveries `ids` should still go out: claimed by this node
    /// and not cancelled by an answer or a close since.
    async fn deliveries_wanted(
        &self,
        ids: Vec<DeliveryId>,
    ) -> StoreResult<std::collections::HashSet<DeliveryId>>;
    /// Records what became of several claimed deliveries in one write, each at its own
    /// moment: a hand-off as sent if the delivery is still claimed or was cancelled
    /// meanwhile (handed over is the truth), a retry or failure only if still claimed;
    /// a delivery in any other state is left as it is.
    async fn finish_deliveries(
        &self,
        finished: Vec<(DeliveryId, DeliveryOutcome, DateTime<Utc>)>,
    ) -> StoreResult<()>;
    /// Every recipient with their deliveries and answer.
    async fn alert_roster(&self, org: OrgId, alert: AlertId) -> StoreResult<Vec<RosterEntry>>;

    /// One page of a roster, in the roster's order: for an alert to thousands.
    async fn alert_roster_page(
        &self,
        org: OrgId,
        alert: AlertId,
        query: RosterQuery,
    ) -> StoreResult<Vec<RosterEntry>>;

    /// Up to `limit` lines of a roster after the person `after`, in the order of the
    /// people's ids: to stream a roster of any size, a part at a time.
    async fn alert_roster_after(
        &self,
        org: OrgId,
        alert: AlertId,
        after: Option<PersonId>,
        limit: u32,
    ) -> StoreResult<Vec<RosterEntry>>;

    /// A roster's figures: how many in each state, the answers, how fast they came.
    async fn alert_roster_counts(&self, org: OrgId, alert: AlertId) -> StoreResult<RosterCounts>;
    /// Resolves or cancels an active alert: stops every pending delivery and queues a
    /// notice to everyone an alert was handed to, on the channel that first reached them.
    async fn close_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        alert: AlertId,
        status: AlertStatus,
        now: DateTime<Utc>,
    ) -> StoreResult<Alert>;
    /// The newest alerts first, with their counts.
    async fn list_alerts(&self, org: OrgId, limit: u32) -> StoreResult<Vec<AlertSummary>>;
    /// Active alerts sent to this person that they have not answered, newest first.
    async fn open_alerts_for(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<Alert>>;
    /// Checks every group escalation that is due: where too few covering answers came in,
    /// the group's members who were not yet alerted become recipients from now. Returns
    /// how many alerts escalated.
    async fn escalate_due(&self, now: DateTime<Utc>) -> StoreResult<u32>;

    /// Plans the next part (up to `limit` people) of the oldest alert still being planned,
    /// in one transaction; when nobody is left queued, ends that alert's planning with its
    /// totals in the journal. Returns how many queued people it took (0: nothing to plan).
    async fn plan_alerts(&self, limit: u32) -> StoreResult<u32>;
    /// Records an SMS reply from `from` as an answer to the newest active alert handed to
    /// that number and not yet answered, among the alerts of the organisation whose own
    /// number `to` is (or, for the server's shared number, of organisations without one).
    async fn answer_by_reply(
        &self,
        from: &str,
        to: Option<&str>,
        text: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<ReplyOutcome>;
    /// Notes that the person opened the alert; the first time counts.
    async fn mark_alert_seen(
        &self,
        org: OrgId,
        alert: AlertId,
        person: PersonId,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// A provider's delivery report; false if no delivery has that reference.
    async fn delivery_report(
        &self,
        provider: &str,
        provider_ref: &str,
        delivered_at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Puts a position on a rotation (replacing any it had). Members must be people of
    /// the organisation.
    async fn set_rotation(
        &self,
        actor: &Actor,
        org: OrgId,
        rotation: crate::rotation::Rotation,
    ) -> StoreResult<crate::rotation::Rotation>;
    async fn rotation(
        &self,
        org: OrgId,
        position: PositionId,
    ) -> StoreResult<Option<crate::rotation::Rotation>>;
    async fn add_override(
        &self,
        actor: &Actor,
        org: OrgId,
        o: crate::rotation::Override,
    ) -> StoreResult<crate::rotation::Override>;
    /// A position's overrides, oldest first.
    async fn overrides(
        &self,
        org: OrgId,
        position: PositionId,
    ) -> StoreResult<Vec<crate::rotation::Override>>;
    /// An alert by its id alone, for a signed answer link (which names no organisation).
    async fn alert_by_id(&self, id: AlertId) -> StoreResult<Alert>;
    /// One recipient's line, with their deliveries.
    async fn alert_recipient(
        &self,
        org: OrgId,
        alert: AlertId,
        person: PersonId,
    ) -> StoreResult<RosterEntry>;
    /// Confirms the contact point a contact check's delivery went to: the delivery is
    /// marked, the person's contact point becomes confirmed, and when all their points
    /// are, they count as having answered. None for an unknown delivery or a closed check.
    async fn confirm_contact_point(
        &self,
        delivery: DeliveryId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Delivery>>;
    async fn delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>>;
    /// The named signing key, made from `fresh` the first time any node asks.
    async fn signing_key(&self, name: &str, fresh: Vec<u8>) -> StoreResult<Vec<u8>>;
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
        let people = [
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
        let people: Vec<PlanRecipient> = people
            .into_iter()
            .map(|(person, points)| PlanRecipient {
                person,
                points,
                follows: None,
            })
            .collect();
        let planned = plan(&people, &Schedule::once(Duration::minutes(5)));
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
        // Unconfirmed comes after confirmed, voice is skipped, the same number twice is
        // one step.
        assert_eq!(
            of(bo),
            [(0, ContactKind::Sms, 0), (1, ContactKind::Email, 5)]
        );
        assert_eq!(of(cecilia), [(0, ContactKind::Email, 0)], "still tried");
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
            repeats: 11,
            repeat_minutes: 15,
            escalation: Some(GroupEscalation {
                group: GroupId::new(),
                min_answers: 0,
                after_minutes: 10,
            }),
        };
        let fields: Vec<_> = input
            .validate(None)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "message",
                "recipients",
                "options",
                "step_minutes",
                "repeats",
                "escalation.min_answers"
            ]
        );
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
            repeats: 0,
            repeat_minutes: 15,
            escalation: None,
        }
        .validate(None)
        .unwrap();
        assert_eq!(ok.options, ["Ja", "Nej"]);
        assert_eq!(ok.schedule.step, Duration::minutes(3));
        assert_eq!(ok.schedule.repeats, 0);
    }

    fn sms(n: &str) -> ContactPoint {
        point(ContactKind::Sms, n, true)
    }

    #[test]
    fn deputies_follow_a_silent_holder_and_rounds_repeat() {
        let (holder, deputy, second, unreachable) = (
            PersonId::new(),
            PersonId::new(),
            PersonId::new(),
            PersonId::new(),
        );
        let recipients = [
            PlanRecipient {
                person: holder,
                points: vec![sms("+46701"), point(ContactKind::Email, "h@x.se", true)],
                follows: None,
            },
            PlanRecipient {
                person: deputy,
                points: vec![sms("+46702")],
                follows: Some(holder),
            },
            PlanRecipient {
                person: unreachable,
                points: vec![],
                follows: Some(deputy),
            },
            PlanRecipient {
                person: second,
                points: vec![sms("+46703")],
                follows: Some(unreachable),
            },
        ];
        let schedule = Schedule {
            step: Duration::minutes(5),
            repeats: 2,
            repeat_every: Duration::minutes(30),
        };
        let planned = plan(&recipients, &schedule);
        let of = |p: PersonId| -> Vec<(u32, i64)> {
            planned
                .iter()
                .filter(|d| d.person == p)
                .map(|d| (d.step, d.after.num_minutes()))
                .collect()
        };
        // Two channels five minutes apart; the next round 30 minutes after the last step.
        assert_eq!(
            of(holder),
            [(0, 0), (1, 5), (2, 35), (3, 40), (4, 70), (5, 75)]
        );
        // The deputy starts one step after the holder's first round.
        assert_eq!(of(deputy), [(0, 10), (1, 40), (2, 70)]);
        // Nobody can be reached in between: the next deputy starts at once after them.
        assert_eq!(of(second), [(0, 15), (1, 45), (2, 75)]);
    }

    #[test]
    fn an_sms_reply_is_read_as_an_answer() {
        let poll = vec!["Ja".to_owned(), "Nej".to_owned(), "Om en timme".to_owned()];
        assert_eq!(parse_reply(&[], "ok"), Some(None));
        assert_eq!(parse_reply(&[], "  "), None);
        assert_eq!(parse_reply(&poll, "JA"), Some(Some("Ja".into())));
        assert_eq!(parse_reply(&poll, "nej, sjuk"), Some(Some("Nej".into())));
        assert_eq!(
            parse_reply(&poll, "om en timme"),
            Some(Some("Om en timme".into()))
        );
        assert_eq!(parse_reply(&poll, "3"), Some(Some("Om en timme".into())));
        assert_eq!(parse_reply(&poll, "4"), None);
        assert_eq!(parse_reply(&poll, "0"), None);
        assert_eq!(parse_reply(&poll, "kanske"), None);
        assert!(covers(&poll, Some("ja")));
        assert!(!covers(&poll, Some("Nej")));
        assert!(covers(&[], None));
    }
}
