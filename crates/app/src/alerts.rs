//! Alerts and contact checks: sending, answering, closing, and the roster as people read
//! it (the page, the API, the CSV and the command line all show the same lines).

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
pub use beredskap_core::alerting::RecipientState;
use beredskap_core::alerting::{
    Alert, AlertInput, AlertStatus, AlertSummary, Answer, ContactCheckInput, Delivery,
    DeliveryKind, DeliveryStatus, ReplyOutcome, RosterCounts, RosterEntry, RosterQuery,
};
use beredskap_core::register::Org;
use beredskap_core::{
    AlertId, DeliveryId, FieldErrors, OrgId, PersonId, Problem, Store, StoreError,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Sends an alert. The delivery worker is woken, so the first hand-off does not wait for
/// its next round, and live pages are told.
pub async fn send(
    app: &App,
    caller: &Caller,
    org: &Org,
    input: AlertInput,
) -> Result<Alert, Error> {
    permit(caller, UseCase::SendAlert)?;
    let new = input
        .validate(caller.account().map(|a| a.id))
        .map_err(Error::Invalid)?;
    let alert = app
        .store
        .create_alert(&caller.actor(), org.id, new, app.clock.now())
        .await?;
    app.wake.deliveries_due();
    app.wake.published(org.id).await;
    Ok(alert)
}

/// Starts a contact-check campaign: everyone chosen is asked to confirm each contact point.
pub async fn start_contact_check(
    app: &App,
    caller: &Caller,
    org: &Org,
    input: ContactCheckInput,
) -> Result<Alert, Error> {
    permit(caller, UseCase::StartContactCheck)?;
    let now = app.clock.now();
    let new = input
        .validate(
            caller.account().map(|a| a.id),
            now,
            &crate::messages::contact_check_message(org),
        )
        .map_err(Error::Invalid)?;
    let check = app
        .store
        .create_alert(&caller.actor(), org.id, new, now)
        .await?;
    app.wake.deliveries_due();
    app.wake.published(org.id).await;
    Ok(check)
}

/// Records a recipient's answer; every pending step for them stops. A person answers only
/// for themselves; Beredskap answers for the person a verified link or SMS reply names.
/// True if it was their first answer.
pub async fn answer(
    app: &App,
    caller: &Caller,
    org: &Org,
    alert: AlertId,
    person: PersonId,
    choice: Option<String>,
    via: &str,
) -> Result<bool, Error> {
    own(caller, person)?;
    let choice = choice.filter(|c| !c.trim().is_empty());
    let answered = app
        .store
        .answer_alert(
            &caller.actor(),
            org.id,
            alert,
            Answer {
                person,
                choice,
                via: via.to_owned(),
                at: app.clock.now(),
            },
        )
        .await?;
    app.wake.published(org.id).await;
    Ok(answered)
}

/// Notes that a recipient opened the alert (its page or its link): the roster shows them
/// as having seen it.
pub async fn seen(
    app: &App,
    caller: &Caller,
    org: &Org,
    alert: AlertId,
    person: PersonId,
) -> Result<(), Error> {
    own(caller, person)?;
    app.store
        .mark_alert_seen(org.id, alert, person, app.clock.now())
        .await?;
    app.wake.published(org.id).await;
    Ok(())
}

/// An SMS reply, already verified as coming from the gateway: it answers the newest open
/// alert sent to that number (of the organisation that owns the number replied to).
pub async fn answer_by_reply(
    app: &App,
    caller: &Caller,
    from: &str,
    to: Option<&str>,
    text: &str,
) -> Result<ReplyOutcome, Error> {
    on_a_verified_signal(caller)?;
    let outcome = app
        .store
        .answer_by_reply(from, to, text, app.clock.now())
        .await?;
    if let ReplyOutcome::Matched(m) = &outcome {
        app.wake.published(m.org_id).await;
    }
    Ok(outcome)
}

/// A contact check's link followed and confirmed: that contact point reaches its person.
/// None if the check is over.
pub async fn confirm_contact_point(
    app: &App,
    caller: &Caller,
    delivery: DeliveryId,
) -> Result<Option<Delivery>, Error> {
    on_a_verified_signal(caller)?;
    let confirmed = app
        .store
        .confirm_contact_point(delivery, app.clock.now())
        .await?;
    if let Some(d) = &confirmed {
        app.wake.published(d.org_id).await;
    }
    Ok(confirmed)
}

/// What a recipient's answer link shows: the alert, its organisation and the person's
/// place in it (whether they answered). Not found if the link names no such alert.
pub async fn for_answer_link(
    app: &App,
    caller: &Caller,
    alert: AlertId,
    person: PersonId,
) -> Result<(Alert, Org, beredskap_core::alerting::RosterEntry), Error> {
    on_a_verified_signal(caller)?;
    let alert = app.store.alert_by_id(alert).await?;
    let org = app
        .store
        .org(alert.org_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let recipient = app.store.alert_recipient(org.id, alert.id, person).await?;
    Ok((alert, org, recipient))
}

/// The delivery a contact check's link names, if there is one.
pub async fn for_check_link(
    app: &App,
    caller: &Caller,
    delivery: DeliveryId,
) -> Result<Option<Delivery>, Error> {
    on_a_verified_signal(caller)?;
    Ok(app.store.delivery(delivery).await?)
}

/// Answering by phone number or by a contact check's delivery is for Beredskap itself, on
/// a signal the adapter verified (a signed webhook, a signed link): an account naming
/// someone else's number or delivery would answer for them.
fn on_a_verified_signal(caller: &Caller) -> Result<(), Error> {
    permit(caller, UseCase::AnswerAlert)?;
    match caller {
        Caller::Account(_) => Err(Error::Refused {
            use_case: UseCase::AnswerAlert,
            least: UseCase::AnswerAlert.least(),
        }),
        Caller::Operator(_) | Caller::System => Ok(()),
    }
}

/// An answer is the recipient's own: an account answers only for its person.
fn own(caller: &Caller, person: PersonId) -> Result<(), Error> {
    permit(caller, UseCase::AnswerAlert)?;
    match caller.account() {
        Some(account) if account.person_id != person => Err(Error::Refused {
            use_case: UseCase::AnswerAlert,
            least: UseCase::AnswerAlert.least(),
        }),
        _ => Ok(()),
    }
}

/// Resolves or cancels an alert; pending steps stop and everyone it reached is told.
pub async fn close(
    app: &App,
    caller: &Caller,
    org: &Org,
    alert: AlertId,
    status: AlertStatus,
) -> Result<Alert, Error> {
    permit(caller, UseCase::CloseAlert)?;
    let closed = app
        .store
        .close_alert(&caller.actor(), org.id, alert, status, app.clock.now())
        .await?;
    app.wake.deliveries_due();
    app.wake.published(org.id).await;
    Ok(closed)
}

/// The newest alerts with how many were alerted, answered and could not be reached.
pub async fn list(
    app: &App,
    caller: &Caller,
    org: OrgId,
    limit: u32,
) -> Result<Vec<AlertSummary>, Error> {
    permit(caller, UseCase::FollowAlerts)?;
    Ok(app.store.list_alerts(org, limit).await?)
}

/// The caller's own active alerts they have not answered yet (none for an operator).
pub async fn open_for_me(app: &App, caller: &Caller, org: OrgId) -> Result<Vec<Alert>, Error> {
    permit(caller, UseCase::AnswerAlert)?;
    match caller.account() {
        Some(account) => Ok(app.store.open_alerts_for(org, account.person_id).await?),
        None => Ok(Vec::new()),
    }
}

/// An alert of the organisation with its roster as people read it.
pub async fn roster(
    app: &App,
    caller: &Caller,
    org: OrgId,
    id: AlertId,
) -> Result<(Alert, Vec<RosterLine>), Error> {
    permit(caller, UseCase::FollowAlerts)?;
    Ok(alert_with_roster(app.store(), org, id).await?)
}

/// A page of an alert's roster with the figures of all of it: what the roster page and the
/// API show of an alert to 100,000 without reading it all.
#[derive(Debug, Clone)]
pub struct RosterView {
    pub alert: Alert,
    pub counts: RosterCounts,
    pub lines: Vec<RosterLine>,
}

/// Lines per roster page unless asked otherwise, and at most.
pub const ROSTER_PAGE: u32 = 100;
pub const ROSTER_PAGE_MAX: u32 = 1000;
/// The furthest line a page may start at (what the API documents as a 32-bit offset).
pub const ROSTER_OFFSET_MAX: u32 = i32::MAX as u32;

/// An alert with one page of its roster (`query`, of 1 to [`ROSTER_PAGE_MAX`] lines) and
/// the figures of the whole.
pub async fn roster_page(
    app: &App,
    caller: &Caller,
    org: OrgId,
    id: AlertId,
    query: RosterQuery,
) -> Result<RosterView, Error> {
    permit(caller, UseCase::FollowAlerts)?;
    if !(1..=ROSTER_PAGE_MAX).contains(&query.limit) {
        let problem = Problem::Range {
            min: 1,
            max: i64::from(ROSTER_PAGE_MAX),
        };
        return Err(Error::Invalid(FieldErrors::single("limit", problem)));
    }
    if query.offset > ROSTER_OFFSET_MAX {
        let problem = Problem::Range {
            min: 0,
            max: i64::from(ROSTER_OFFSET_MAX),
        };
        return Err(Error::Invalid(FieldErrors::single("offset", problem)));
    }
    let alert = app.store.alert(org, id).await?;
    let counts = app.store.alert_roster_counts(org, id).await?;
    let entries = app.store.alert_roster_page(org, id, query).await?;
    Ok(RosterView {
        alert,
        counts,
        lines: roster_lines(&entries),
    })
}

/// An alert's roster figures alone: for a list of alerts to follow.
pub async fn roster_counts(
    app: &App,
    caller: &Caller,
    org: OrgId,
    id: AlertId,
) -> Result<RosterCounts, Error> {
    permit(caller, UseCase::FollowAlerts)?;
    Ok(app.store.alert_roster_counts(org, id).await?)
}

/// Names listed at most in each of the readiness report's lists in the API; the roster's
/// pages, filtered by state, give the rest.
pub const READINESS_NAMES: u32 = 1000;

/// How an alert went ([`Readiness`]), from its roster's figures and the first `names` (by
/// name) of those not reached and of those silent.
pub async fn readiness_of(
    app: &App,
    caller: &Caller,
    org: OrgId,
    id: AlertId,
    names: u32,
) -> Result<(Alert, Readiness), Error> {
    permit(caller, UseCase::FollowAlerts)?;
    let alert = app.store.alert(org, id).await?;
    let counts = app.store.alert_roster_counts(org, id).await?;
    let report = readiness_from(app.store(), &alert, &counts, names).await?;
    Ok((alert, report))
}

/// The readiness report of a roster already read ([`roster_page`]): only its two lists
/// are read, not the figures again.
pub async fn readiness_of_view(
    app: &App,
    caller: &Caller,
    view: &RosterView,
    names: u32,
) -> Result<Readiness, Error> {
    permit(caller, UseCase::FollowAlerts)?;
    readiness_from(app.store(), &view.alert, &view.counts, names).await
}

async fn readiness_from(
    store: &dyn Store,
    alert: &Alert,
    counts: &RosterCounts,
    names: u32,
) -> Result<Readiness, Error> {
    let mut lists = Vec::new();
    for states in [NOT_REACHED.to_vec(), SILENT.to_vec()] {
        let query = RosterQuery {
            states,
            offset: 0,
            limit: names,
        };
        let entries = store
            .alert_roster_page(alert.org_id, alert.id, query)
            .await?;
        lists.push(roster_lines(&entries));
    }
    let silent = lists.pop().unwrap_or_default();
    let not_reached = lists.pop().unwrap_or_default();
    Ok(readiness(alert, counts, &not_reached, &silent))
}

/// Without an answer and not reached: nothing could be handed over, or not yet.
pub const NOT_REACHED: [RecipientState; 3] = [
    RecipientState::Unreachable,
    RecipientState::Failed,
    RecipientState::Waiting,
];
/// Reached (handed over, delivered or seen) and silent.
pub const SILENT: [RecipientState; 3] = [
    RecipientState::Sent,
    RecipientState::Delivered,
    RecipientState::Seen,
];

/// The roster as CSV (see [`roster_csv_header`]), a part of [`ROSTER_PAGE_MAX`] lines at
/// a time in the people's order, however many it holds: each part is read, written out
/// and dropped before the next. Permission is checked before the first part.
pub async fn roster_csv_parts(
    app: &App,
    caller: &Caller,
    org: OrgId,
    id: AlertId,
) -> Result<impl futures_util::Stream<Item = Result<Vec<u8>, Error>> + Send + 'static, Error> {
    permit(caller, UseCase::FollowAlerts)?;
    app.store.alert(org, id).await?;
    /// Where the CSV stands.
    enum Part {
        Header,
        After(Option<PersonId>),
    }
    Ok(futures_util::stream::try_unfold(
        (app.store.clone(), Some(Part::Header)),
        move |(store, part)| async move {
            let after = match part {
                None => return Ok(None),
                Some(Part::Header) => {
                    let header = roster_csv_header()?;
                    return Ok(Some((header, (store, Some(Part::After(None))))));
                }
                Some(Part::After(after)) => after,
            };
            let entries = store
                .alert_roster_after(org, id, after, ROSTER_PAGE_MAX)
                .await?;
            let Some(last) = entries.last().map(|e| e.person_id) else {
                return Ok(None);
            };
            let next =
                (entries.len() == ROSTER_PAGE_MAX as usize).then_some(Part::After(Some(last)));
            let lines = roster_csv_lines(&roster_lines(&entries))?;
            Ok(Some((lines, (store, next))))
        },
    ))
}

/// How an alert went, for drills above all: time to the first answer, the share who had
/// answered within 5, 15 and 60 minutes, and who was not reached, with why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Readiness {
    pub recipients: u32,
    pub answered: u32,
    /// Seconds from sending to the first answer.
    pub first_answer_seconds: Option<i64>,
    /// Percent of recipients who had answered within 5, 15 and 60 minutes.
    pub answered_within_5_min: u32,
    pub answered_within_15_min: u32,
    pub answered_within_60_min: u32,
    /// Everyone without an answer whom the alert has not reached: name and why
    /// (unreachable, failed with the provider's error, or not yet handed over); the first
    /// of `not_reached_total` by name ([`READINESS_NAMES`] in the API).
    pub not_reached: Vec<NotReached>,
    pub not_reached_total: u32,
    /// Everyone the alert reached (handed over, delivered or seen) who has not answered;
    /// the first of `silent_total` by name.
    pub silent: Vec<NotReached>,
    pub silent_total: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotReached {
    pub name: String,
    pub state: RecipientState,
    pub why: String,
}

/// How a poll stands: each option with how many chose it, in the alert's order, and how
/// many have not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub options: Vec<(String, u32)>,
    pub unanswered: u32,
}

/// The poll's tally; none for an alert that only asks to be acknowledged.
pub fn tally(alert: &Alert, counts: &RosterCounts) -> Option<Tally> {
    if alert.options.is_empty() {
        return None;
    }
    let count = |wanted: &str| {
        counts
            .answers
            .iter()
            .filter(|(answer, _)| answer.as_deref() == Some(wanted))
            .map(|(_, n)| n)
            .sum()
    };
    let chosen: u32 = counts
        .answers
        .iter()
        .filter(|(answer, _)| answer.is_some())
        .map(|(_, n)| n)
        .sum();
    Some(Tally {
        options: alert
            .options
            .iter()
            .map(|o| (o.clone(), count(o)))
            .collect(),
        unanswered: counts.total().saturating_sub(chosen),
    })
}

/// The readiness report from the roster's figures and the lines of those `not_reached`
/// and those `silent` (as many as are to be listed).
pub fn readiness(
    alert: &Alert,
    counts: &RosterCounts,
    not_reached: &[RosterLine],
    silent: &[RosterLine],
) -> Readiness {
    let total = u64::from(counts.total());
    let share = |within: u32| -> u32 {
        match total {
            0 => 0,
            n => u32::try_from(u64::from(within) * 100 / n).unwrap_or(100),
        }
    };
    Readiness {
        recipients: counts.total(),
        answered: counts.answered(),
        first_answer_seconds: counts
            .first_answer_at
            .map(|t| (t - alert.created_at).num_seconds()),
        answered_within_5_min: share(counts.answered_within[0]),
        answered_within_15_min: share(counts.answered_within[1]),
        answered_within_60_min: share(counts.answered_within[2]),
        not_reached_total: NOT_REACHED.iter().map(|s| counts.of(*s)).sum(),
        not_reached: without_answer(not_reached),
        silent_total: SILENT.iter().map(|s| counts.of(*s)).sum(),
        silent: without_answer(silent),
    }
}

/// Those without an answer, with why.
fn without_answer(lines: &[RosterLine]) -> Vec<NotReached> {
    lines
        .iter()
        .map(|l| NotReached {
            name: l.name.clone(),
            state: l.state,
            why: match l.state {
                RecipientState::Unreachable => "no contact point".to_owned(),
                RecipientState::Failed => l
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "every hand-off failed".to_owned()),
                RecipientState::Waiting => "not yet handed over".to_owned(),
                _ => "reached, no answer".to_owned(),
            },
        })
        .collect()
}

/// One recipient's line in the roster as shown and exported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RosterLine {
    pub person_id: PersonId,
    pub name: String,
    pub reason: String,
    pub state: RecipientState,
    pub answer: Option<String>,
    pub answered_via: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub seen_at: Option<DateTime<Utc>>,
    /// The first channel the alert was handed over on, and when.
    pub first_sent_channel: Option<String>,
    pub first_sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Hand-offs made so far (the alert's, not the closing notice).
    pub sent: u32,
    /// Hand-offs still planned.
    pub pending: u32,
    /// The last provider error, if any.
    pub last_error: Option<String>,
    /// In a contact check: contact points confirmed, of those asked about.
    pub confirmed_points: u32,
    pub checked_points: u32,
    /// The holder or deputy this person steps in after, by name.
    pub follows: Option<String>,
}

/// The roster's lines as people read them, in the store's order.
pub fn roster_lines(roster: &[RosterEntry]) -> Vec<RosterLine> {
    roster
        .iter()
        .map(|r| {
            let alert_steps: Vec<_> = r
                .deliveries
                .iter()
                .filter(|d| d.kind == DeliveryKind::Alert)
                .collect();
            let sent: Vec<_> = alert_steps
                .iter()
                .filter(|d| d.status == DeliveryStatus::Sent)
                .collect();
            let first = sent.iter().min_by_key(|d| d.sent_at);
            let delivered_at = sent.iter().filter_map(|d| d.delivered_at).min();
            let pending = alert_steps
                .iter()
                .filter(|d| matches!(d.status, DeliveryStatus::Pending | DeliveryStatus::Claimed))
                .count();
            RosterLine {
                person_id: r.person_id,
                name: r.name.clone(),
                reason: r.reason.clone(),
                follows: r.follows_name.clone(),
                state: r.state,
                answer: r.answer.clone(),
                answered_via: r.answered_via.clone(),
                answered_at: r.answered_at,
                seen_at: r.seen_at,
                first_sent_channel: first.map(|d| d.channel.as_str().to_owned()),
                first_sent_at: first.and_then(|d| d.sent_at),
                delivered_at,
                sent: u32::try_from(sent.len()).unwrap_or(u32::MAX),
                pending: u32::try_from(pending).unwrap_or(u32::MAX),
                last_error: alert_steps.iter().rev().find_map(|d| d.last_error.clone()),
                confirmed_points: u32::try_from(
                    alert_steps
                        .iter()
                        .filter(|d| d.confirmed_at.is_some())
                        .count(),
                )
                .unwrap_or(u32::MAX),
                checked_points: u32::try_from(alert_steps.len()).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The roster as CSV, one line per recipient, times in UTC (RFC 3339); every cell safe to
/// open in a spreadsheet.
pub fn roster_csv(lines: &[RosterLine]) -> Result<String, Error> {
    let mut out = roster_csv_header()?;
    out.extend(roster_csv_lines(lines)?);
    String::from_utf8(out).map_err(|e| Error::Internal(format!("roster CSV: {e}")))
}

/// The roster CSV's first line.
fn roster_csv_header() -> Result<Vec<u8>, Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "person_id",
        "name",
        "reason",
        "state",
        "answer",
        "answered_via",
        "answered_at",
        "seen_at",
        "first_sent_channel",
        "first_sent_at",
        "delivered_at",
        "sent",
        "pending",
        "last_error",
    ];
    out.write_record(header).map_err(csv_failed)?;
    out.into_inner()
        .map_err(|e| Error::Internal(format!("roster CSV: {e}")))
}

fn csv_failed(e: csv::Error) -> Error {
    Error::Internal(format!("roster CSV: {e}"))
}

/// Roster CSV lines, without the header.
fn roster_csv_lines(lines: &[RosterLine]) -> Result<Vec<u8>, Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for l in lines {
        let cells = [
            l.person_id.to_string(),
            l.name.clone(),
            l.reason.clone(),
            l.state.as_str().to_owned(),
            l.answer.clone().unwrap_or_default(),
            l.answered_via.clone().unwrap_or_default(),
            time(l.answered_at),
            time(l.seen_at),
            l.first_sent_channel.clone().unwrap_or_default(),
            time(l.first_sent_at),
            time(l.delivered_at),
            l.sent.to_string(),
            l.pending.to_string(),
            l.last_error.clone().unwrap_or_default(),
        ];
        let safe = cells
            .iter()
            .map(|c| beredskap_core::spreadsheet::safe_cell(c).into_owned());
        out.write_record(safe).map_err(csv_failed)?;
    }
    out.into_inner()
        .map_err(|e| Error::Internal(format!("roster CSV: {e}")))
}

/// Everyone's names, for a roster or a schedule.
pub async fn names(store: &dyn Store, org: OrgId) -> Result<HashMap<PersonId, String>, StoreError> {
    Ok(store
        .list_people(org)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// An alert with its roster, unchecked: for [`roster`] and for reports that have already
/// been permitted.
async fn alert_with_roster(
    store: &dyn Store,
    org: OrgId,
    id: AlertId,
) -> Result<(Alert, Vec<RosterLine>), StoreError> {
    let alert = store.alert(org, id).await?;
    let roster = store.alert_roster(org, id).await?;
    Ok((alert, roster_lines(&roster)))
}
