//! Alert pages: the list, sending an alert, its live roster with CSV export and closing,
//! answering from the start page, and the signed answer link that needs no sign-in.

use super::form::{field, Fields, FormProblems};
use super::session::SignedIn;
use super::{render, when, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::alerts::{self, RecipientState, RosterLine};
use beredskap_app::policy::{permit, UseCase};
use beredskap_core::alerting::{
    Alert, AlertInput, AlertStatus, GroupEscalation, Recipients, RosterCounts, RosterQuery,
    Severity,
};
use beredskap_core::Problem;
use beredskap_core::{AlertId, FieldErrors, GroupId, PositionId};
use std::collections::HashMap;

fn status_label(t: &super::Texts, status: AlertStatus) -> &'static str {
    match status {
        AlertStatus::Active => t.alert_status_active,
        AlertStatus::Resolved => t.alert_status_resolved,
        AlertStatus::Cancelled => t.alert_status_cancelled,
    }
}

fn severity_label(t: &super::Texts, severity: Severity) -> &'static str {
    t.severity(severity)
}

fn state_label(t: &super::Texts, state: RecipientState) -> &'static str {
    match state {
        RecipientState::Unreachable => t.state_unreachable,
        RecipientState::Failed => t.state_failed,
        RecipientState::Waiting => t.state_waiting,
        RecipientState::Sent => t.state_sent,
        RecipientState::Delivered => t.state_delivered,
        RecipientState::Seen => t.state_seen,
        RecipientState::Answered => t.state_answered,
        RecipientState::NotNeeded => t.state_not_needed,
    }
}

fn counts(t: &super::Texts, recipients: u32, answered: u32, unreachable: u32) -> String {
    t.alert_counts(answered, recipients, unreachable)
}

// ------------------------------------------------------------------ the list

struct AlertRow {
    id: String,
    message: String,
    exercise: bool,
    check: bool,
    status: &'static str,
    active: bool,
    sent: String,
    counts: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    page: Page,
    alerts: Vec<AlertRow>,
    /// Active alerts that are not exercises or contact checks: the live figure.
    active_real: usize,
    groups: Vec<(String, String)>,
    /// A week from now, the contact check's suggested deadline (yyyy-mm-dd).
    default_deadline: String,
    /// Saved alerts (id, name), for those who may send them.
    templates: Vec<(String, String)>,
    may_send: bool,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let summaries = alerts::list(&state.app, &me.caller(), me.org.id, 100).await?;
    let active_real = summaries
        .iter()
        .filter(|s| {
            s.alert.status == AlertStatus::Active
                && !s.alert.exercise
                && s.alert.contact_check_until.is_none()
        })
        .count();
    let groups = beredskap_app::register::groups(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    let templates = super::alert_templates::names(&state, &me).await?;
    let alerts = summaries
        .into_iter()
        .map(|s| AlertRow {
            id: s.alert.id.to_string(),
            message: s.alert.message.clone(),
            exercise: s.alert.exercise,
            check: s.alert.contact_check_until.is_some(),
            status: status_label(t, s.alert.status),
            active: s.alert.status == AlertStatus::Active,
            sent: when(s.alert.created_at, me.org.zone()),
            counts: counts(t, s.recipients, s.answered, s.unreachable),
        })
        .collect();
    render(
        StatusCode::OK,
        &AlertsPage {
            page: Page::signed_in(&ctx, &me, t.alerts_title),
            alerts,
            active_real,
            groups,
            templates,
            may_send: beredskap_app::policy::allows(&me.caller(), UseCase::SendAlert),
            default_deadline: (me.org.zone().today(state.clock.now()) + chrono::Duration::days(7))
                .format("%Y-%m-%d")
                .to_string(),
        },
    )
}

// ------------------------------------------------------------------ sending

#[derive(Template)]
#[template(path = "alert_new.html")]
struct NewAlertPage {
    page: Page,
    /// Every problem, in the reader's language, each with the input it belongs to.
    problems: FormProblems,
    severities: Vec<(&'static str, &'static str)>,
    groups: Vec<(String, String)>,
    positions: Vec<(String, String)>,
    /// What was typed, kept when the form comes back with errors.
    form: Fields,
}

impl NewAlertPage {
    fn value(&self, name: &str) -> String {
        field(&self.form, name)
    }

    fn checked(&self, name: &str, value: &str) -> bool {
        self.form.iter().any(|(k, v)| k == name && v == value)
    }

    /// What is wrong with one input, shown beside it; empty if nothing is.
    fn error(&self, input: &str) -> String {
        self.problems.error(input)
    }

    /// `aria-describedby` for an input: its hint, and its error when it has one.
    fn described_by(&self, input: &str, hint: &str) -> String {
        self.problems.described_by(input, hint)
    }
}

pub(super) async fn new_alert_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    problems: FormProblems,
    form: Fields,
) -> Result<Response, WebError> {
    permit(&me.caller(), UseCase::SendAlert)?;
    let t = ctx.t();
    let groups = beredskap_app::register::groups(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    let positions = beredskap_app::register::positions(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let status = problems.status();
    render(
        status,
        &NewAlertPage {
            page: Page::signed_in(ctx, me, t.alert_new),
            problems,
            severities: vec![
                ("critical", t.severity_critical),
                ("warning", t.severity_warning),
                ("info", t.severity_info),
            ],
            groups,
            positions,
            form,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct NewAlertQuery {
    /// A template to start from: the form opens filled in with it, to change and save
    /// it again or to send a changed copy.
    template: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Query(query): Query<NewAlertQuery>,
) -> Result<Response, WebError> {
    if let Some(id) = query.template.as_deref().and_then(|t| t.parse().ok()) {
        let fields = super::alert_templates::template_fields(&state, &me, id).await?;
        return new_alert_page(&state, &ctx, &me, FormProblems::default(), fields).await;
    }
    let defaults = vec![
        ("step_minutes".to_owned(), "5".to_owned()),
        ("repeats".to_owned(), "0".to_owned()),
        ("deputies".to_owned(), "on".to_owned()),
        ("escalate_min".to_owned(), "1".to_owned()),
        ("escalate_after".to_owned(), "15".to_owned()),
    ];
    new_alert_page(&state, &ctx, &me, FormProblems::default(), defaults).await
}

/// Reads the form into an alert; the errors name the form's own fields.
/// People named in the form's free-text field, by name or employee number (external id),
/// each matched exactly once in the register.
fn named_people(
    fields: &Fields,
    people: &[beredskap_core::register::Person],
    errors: &mut FieldErrors,
) -> Vec<beredskap_core::PersonId> {
    let mut found = Vec::new();
    for wanted in field(fields, "people").split(',').map(str::trim) {
        if wanted.is_empty() {
            continue;
        }
        let matches: Vec<_> = people
            .iter()
            .filter(|p| {
                p.external_id.as_deref() == Some(wanted) || p.name.eq_ignore_ascii_case(wanted)
            })
            .collect();
        match matches.as_slice() {
            [one] => found.push(one.id),
            _ => errors.add(
                "people",
                Problem::NotInRegister {
                    name: wanted.to_owned(),
                },
            ),
        }
    }
    found
}

/// Reads the form into an alert. What cannot be read (a number that is not one) is
/// recorded in `errors` and given a stand-in, so the rest is still checked and every
/// problem is shown at once.
fn read_form(
    fields: &Fields,
    people: Vec<beredskap_core::PersonId>,
    errors: &mut FieldErrors,
) -> AlertInput {
    let number = |name: &str, errors: &mut FieldErrors| -> u32 {
        field(fields, name).trim().parse().unwrap_or_else(|_| {
            errors.add(name, Problem::NotANumber);
            1
        })
    };
    // The form offers only these; anything else is the most careful choice.
    let severity = Severity::parse(&field(fields, "severity")).unwrap_or(Severity::Critical);
    let ids = |name: &str| -> Vec<uuid::Uuid> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.parse().ok())
            .collect()
    };
    let options: Vec<String> = field(fields, "options")
        .split(',')
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    let step_minutes = number("step_minutes", errors);
    let repeats = number("repeats", errors);
    let escalation = match field(fields, "escalate_group").parse::<uuid::Uuid>() {
        Ok(group) => Some(GroupEscalation {
            group: GroupId(group),
            min_answers: number("escalate_min", errors),
            after_minutes: number("escalate_after", errors),
        }),
        Err(_) => None,
    };
    AlertInput {
        message: field(fields, "message"),
        severity,
        recipients: Recipients {
            people,
            groups: ids("group").into_iter().map(GroupId).collect(),
            positions: ids("position").into_iter().map(PositionId).collect(),
            deputies: field(fields, "deputies") == "on",
        },
        options,
        exercise: field(fields, "exercise") == "on",
        step_minutes,
        repeats,
        repeat_minutes: 15,
        escalation,
    }
}

/// The form's inputs from top to bottom: the summary lists problems in this order.
const FORM_ORDER: [&str; 9] = [
    "message",
    "people",
    "options",
    "step_minutes",
    "repeats",
    "escalate_group",
    "escalate_min",
    "escalate_after",
    "template_name",
];

/// Every problem in the reader's language, with the input it belongs to, in the order
/// the form shows them.
pub(super) fn messages(t: &super::Texts, errors: &FieldErrors) -> FormProblems {
    let place = |field: &str| (input_for(field), label_for(t, field));
    FormProblems::new(errors, t.lang, place, &FORM_ORDER)
}

/// The form input a field of the alert belongs to.
fn input_for(field: &str) -> &'static str {
    match field.split(['[', '.']).next().unwrap_or(field) {
        "message" => "message",
        "options" => "options",
        "step_minutes" => "step_minutes",
        "repeats" | "repeat_minutes" => "repeats",
        "escalate_min" => "escalate_min",
        "escalate_after" => "escalate_after",
        "escalation" if field.ends_with("min_answers") => "escalate_min",
        "escalation" if field.ends_with("after_minutes") => "escalate_after",
        "escalation" | "escalate_group" => "escalate_group",
        "template_name" => "template_name",
        _ => "people",
    }
}

/// The form's label for an input's field name, so the error names what the person sees.
fn label_for(t: &super::Texts, field: &str) -> String {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match (base, field) {
        ("message", _) => t.alert_message.to_owned(),
        ("recipients", f) if f.contains("positions") => t.alert_positions.to_owned(),
        ("recipients", f) if f.contains("people") => t.alert_people.to_owned(),
        ("people", _) => t.alert_people.to_owned(),
        // Shown at the people field, where the form asks for whom.
        ("recipients", _) => t.alert_people.to_owned(),
        ("options", _) => t.alert_options.to_owned(),
        ("template_name", _) => t.template_name.to_owned(),
        ("step_minutes", _) => t.alert_step.to_owned(),
        ("repeats", _) => t.alert_repeats.to_owned(),
        ("escalation" | "escalate_min" | "escalate_after" | "escalate_group", _) => {
            t.alert_escalate_group.to_owned()
        }
        _ => field.to_owned(),
    }
}

/// The alert a submitted form describes, for someone who may send alerts; what cannot be
/// read is recorded in `problems` (see [`read_form`]).
pub(super) async fn submitted_alert(
    state: &AppState,
    me: &SignedIn,
    fields: &Fields,
    problems: &mut FieldErrors,
) -> Result<AlertInput, WebError> {
    permit(&me.caller(), UseCase::SendAlert)?;
    let register = match field(fields, "people").trim().is_empty() {
        true => Vec::new(),
        false => beredskap_app::register::people(&state.app, &me.caller(), &me.org).await?,
    };
    let people = named_people(fields, &register, problems);
    Ok(read_form(fields, people, problems))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let t = ctx.t();
    let mut problems = FieldErrors::new();
    let input = submitted_alert(&state, &me, &fields, &mut problems).await?;
    if !problems.is_empty() {
        // What the form could not read, and everything the alert's own rules find in
        // the rest: all at once, not in rounds.
        if let Err(more) = input.validate(Some(me.account.id)) {
            problems.0.extend(more.0);
        }
        let shown = messages(t, &problems);
        return new_alert_page(&state, &ctx, &me, shown, fields).await;
    }
    match alerts::send(&state.app, &me.caller(), &me.org, input).await {
        Ok(alert) => Ok(Redirect::to(&format!("/alerts/{}", alert.id)).into_response()),
        Err(beredskap_app::Error::Invalid(errors)) => {
            let shown = messages(t, &errors);
            new_alert_page(&state, &ctx, &me, shown, fields).await
        }
        Err(other) => Err(AppError::from(other).into()),
    }
}

// ------------------------------------------------------------------ one alert

struct LineView {
    /// "2/3" in a contact check.
    confirmed: String,
    name: String,
    reason: String,
    state: &'static str,
    state_class: &'static str,
    channel: String,
    at: String,
    answer: String,
    error: String,
}

#[derive(Template)]
#[template(path = "alert_roster.html")]
struct RosterFragment {
    t: &'static super::Texts,
    counts: String,
    /// While an alert to thousands is still being planned: how many are left; else empty.
    planning: String,
    /// A poll's answers so far: "Ja 6 · Nej 1 · inget svar 3"; empty for an alert that
    /// only asks to be acknowledged.
    tally: String,
    check: bool,
    lines: Vec<LineView>,
    /// Everyone, or those in one state, each with how many; empty when all are in one.
    filters: Vec<FilterLink>,
    /// "Sida 2 av 10"; empty when there is one page.
    page_of: String,
    previous: Option<String>,
    next: Option<String>,
    /// How the alert goes, updated with the roster; none for a contact check.
    readiness: Option<ReadinessView>,
}

struct ReadinessView {
    first_answer: String,
    within: String,
    not_reached: Vec<(String, String)>,
    /// "… and 1,200 more" when the list is cut; else empty.
    not_reached_more: String,
    /// Reached, without an answer: names only.
    silent: Vec<String>,
    silent_more: String,
}

/// A choice of which recipients the roster shows.
struct FilterLink {
    label: String,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "alert.html")]
struct AlertPage {
    page: Page,
    id: String,
    /// The roster fragment as shown (its filter and page), for the script to fetch again.
    roster_src: String,
    alert: Alert,
    severity: &'static str,
    status: &'static str,
    active: bool,
    sent: String,
    /// The roster fragment, rendered.
    roster: String,
    check: bool,
    /// The incident whose alarm this is, if any.
    incident: Option<(String, String)>,
    /// For an announcement sent out beyond the app: where it stands in its channel, if
    /// the reader can see it there.
    announcement: Option<String>,
}

/// The names of the groups and positions a roster's reasons name, by slug.
#[derive(Default)]
struct Names {
    groups: HashMap<String, String>,
    positions: HashMap<String, String>,
}

impl Names {
    /// Read as the viewer may (a guest following an alert sees slugs instead).
    async fn of(state: &AppState, me: &SignedIn) -> Names {
        let groups = beredskap_app::register::groups(&state.app, &me.caller(), &me.org).await;
        let positions = beredskap_app::register::positions(&state.app, &me.caller(), &me.org).await;
        Names {
            groups: groups
                .unwrap_or_default()
                .into_iter()
                .map(|g| (g.slug.to_string(), g.name))
                .collect(),
            positions: positions
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.slug.to_string(), p.name))
                .collect(),
        }
    }
}

/// Why someone is on the roster, in words: "i gruppen Krisledning", "ersättare för Sara
/// Olsson (TiB)".
fn reason_words(t: &super::Texts, line: &RosterLine, names: &Names) -> String {
    let name_of = |map: &HashMap<String, String>, slug: &str| {
        map.get(slug).cloned().unwrap_or_else(|| slug.to_owned())
    };
    let lang = t.lang;
    match line.reason.split_once(':') {
        Some(("group", slug)) => lang.format(
            "reason-group",
            &[("group", name_of(&names.groups, slug).into())],
        ),
        Some(("escalation", slug)) => lang.format(
            "reason-escalation",
            &[("group", name_of(&names.groups, slug).into())],
        ),
        Some(("position", slug)) => name_of(&names.positions, slug),
        Some(("deputy", slug)) => lang.format(
            "reason-deputy",
            &[
                ("holder", line.follows.clone().unwrap_or_default().into()),
                ("position", name_of(&names.positions, slug).into()),
            ],
        ),
        _ => t.reason_person.to_owned(),
    }
}

/// A channel as people call it: "sms", "e-post", "länk i meddelandet".
pub(super) fn channel_words(t: &super::Texts, channel: &str) -> String {
    match channel {
        "sms" => t.channel_sms,
        "email" => t.channel_email,
        "push" => t.channel_push,
        "voice" => t.channel_voice,
        "web" => t.channel_web,
        "link" => t.channel_link,
        other => other,
    }
    .to_owned()
}

/// A poll's answers so far, "Ja 6 · Nej 1 · inget svar 3"; empty for an alert that only
/// asks to be acknowledged.
pub(super) fn tally_text(t: &super::Texts, alert: &Alert, counts: &RosterCounts) -> String {
    alerts::tally(alert, counts)
        .map(|tally| {
            tally
                .options
                .iter()
                .map(|(option, n)| format!("{option} {n}"))
                .chain(std::iter::once(format!(
                    "{} {}",
                    t.alert_no_answer, tally.unanswered
                )))
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .unwrap_or_default()
}

/// Which page of the roster is shown: those in one state (all when none) and the page,
/// from 1. Anything else in the address is ignored.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RosterParams {
    state: Option<String>,
    /// Text, so that a mistyped page shows the first instead of an error page.
    page: Option<String>,
}

impl RosterParams {
    fn state(&self) -> Option<RecipientState> {
        self.state.as_deref().and_then(RecipientState::parse)
    }

    fn page(&self) -> u32 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    }

    fn query(&self) -> RosterQuery {
        RosterQuery {
            states: self.state().into_iter().collect(),
            offset: (self.page() - 1)
                .saturating_mul(alerts::ROSTER_PAGE)
                .min(alerts::ROSTER_OFFSET_MAX),
            limit: alerts::ROSTER_PAGE,
        }
    }

    /// The address of `page` of those in `state`.
    fn href(state: Option<RecipientState>, page: u32) -> String {
        match (state, page) {
            (None, 1) => "?".to_owned(),
            (None, p) => format!("?page={p}"),
            (Some(s), 1) => format!("?state={}", s.as_str()),
            (Some(s), p) => format!("?state={}&page={p}", s.as_str()),
        }
    }
}

/// How many roster pages those in `shown` (everyone when none) fill; at least one.
fn pages_of(counts: &RosterCounts, shown: Option<RecipientState>) -> u32 {
    let of_shown = match shown {
        Some(s) => counts.of(s),
        None => counts.total(),
    };
    of_shown.div_ceil(alerts::ROSTER_PAGE).max(1)
}

/// Names in each of the readiness section's lists on the page; the roster's pages give
/// the rest.
const READINESS_ON_PAGE: u32 = 20;

/// The alert and its roster's page, with its figures, as the page and its script show it.
async fn roster_for(
    state: &AppState,
    t: &'static super::Texts,
    me: &SignedIn,
    id: AlertId,
    params: &RosterParams,
) -> Result<(Alert, RosterFragment), WebError> {
    let caller = me.caller();
    let mut view = alerts::roster_page(&state.app, &caller, me.org.id, id, params.query()).await?;
    // A page past the end (an old address, or a state whose count fell while the page was
    // open and refreshing) shows the last page instead of an empty list under its counts.
    let last = pages_of(&view.counts, params.state());
    let clamped;
    let params = match view.lines.is_empty() && params.page() > last {
        false => params,
        true => {
            clamped = RosterParams {
                state: params.state.clone(),
                page: Some(last.to_string()),
            };
            view = alerts::roster_page(&state.app, &caller, me.org.id, id, clamped.query()).await?;
            &clamped
        }
    };
    let readiness = match view.alert.contact_check_until {
        Some(_) => None,
        None => {
            Some(alerts::readiness_of_view(&state.app, &caller, &view, READINESS_ON_PAGE).await?)
        }
    };
    let names = Names::of(state, me).await;
    let fragment = roster_fragment(t, &view, readiness, me.org.zone(), &names, params);
    Ok((view.alert, fragment))
}

fn roster_fragment(
    t: &'static super::Texts,
    view: &alerts::RosterView,
    readiness: Option<alerts::Readiness>,
    zone: beredskap_core::TimeZone,
    names: &Names,
    params: &RosterParams,
) -> RosterFragment {
    let (alert, c) = (&view.alert, &view.counts);
    let total = c.total();
    let counts = match alert.contact_check_until {
        Some(deadline) => {
            t.check_progress(c.of(RecipientState::Answered), total, &when(deadline, zone))
        }
        None => counts(
            t,
            total,
            c.of(RecipientState::Answered),
            c.of(RecipientState::Unreachable),
        ),
    };
    let tally = tally_text(t, alert, c);
    let planning = match alert.unplanned {
        0 => String::new(),
        n => t.alert_planning(n, total.saturating_add(n)),
    };
    let shown = params.state();
    let pages = pages_of(c, shown);
    let page = params.page().min(pages);
    // A filter only when there is something to choose between.
    let filters = match c.by_state.len() > 1 || shown.is_some() {
        false => Vec::new(),
        true => std::iter::once(FilterLink {
            label: format!("{} ({total})", t.roster_all),
            href: RosterParams::href(None, 1),
            current: shown.is_none(),
        })
        .chain(c.by_state.iter().map(|(s, n)| FilterLink {
            label: format!("{} ({n})", state_label(t, *s)),
            href: RosterParams::href(Some(*s), 1),
            current: shown == Some(*s),
        }))
        .collect(),
    };
    RosterFragment {
        t,
        counts,
        planning,
        tally,
        check: alert.contact_check_until.is_some(),
        lines: view
            .lines
            .iter()
            .map(|l| line_view(t, l, zone, names))
            .collect(),
        filters,
        page_of: match pages {
            1 => String::new(),
            _ => t.roster_page_of(page, pages),
        },
        previous: (page > 1).then(|| RosterParams::href(shown, page - 1)),
        next: (page < pages).then(|| RosterParams::href(shown, page + 1)),
        readiness: readiness.map(|r| readiness_view(t, r)),
    }
}

fn readiness_view(t: &super::Texts, r: alerts::Readiness) -> ReadinessView {
    let first_answer = match r.first_answer_seconds {
        Some(s) => format!("{} min {} s", s / 60, s % 60),
        None => t.readiness_none.to_owned(),
    };
    let more = |total: u32, listed: usize| match total
        .saturating_sub(u32::try_from(listed).unwrap_or(u32::MAX))
    {
        0 => String::new(),
        n => t.readiness_more(n),
    };
    ReadinessView {
        first_answer,
        within: format!(
            "{} % / {} % / {} %",
            r.answered_within_5_min, r.answered_within_15_min, r.answered_within_60_min
        ),
        not_reached_more: more(r.not_reached_total, r.not_reached.len()),
        silent_more: more(r.silent_total, r.silent.len()),
        not_reached: r
            .not_reached
            .iter()
            .map(|n| {
                let why = match n.state {
                    RecipientState::Failed => format!("{}: {}", t.state_failed, n.why),
                    RecipientState::Unreachable | RecipientState::Waiting => {
                        state_label(t, n.state).to_owned()
                    }
                    _ => t.why_silent.to_owned(),
                };
                (n.name.clone(), why)
            })
            .collect(),
        silent: r.silent.into_iter().map(|n| n.name).collect(),
    }
}

fn line_view(
    t: &super::Texts,
    l: &RosterLine,
    zone: beredskap_core::TimeZone,
    names: &Names,
) -> LineView {
    let (state_class, at) = match l.state {
        RecipientState::Answered => ("ok", l.answered_at),
        RecipientState::Seen => ("progress", l.seen_at),
        RecipientState::Delivered => ("progress", l.delivered_at),
        RecipientState::Sent => ("progress", l.first_sent_at),
        RecipientState::Waiting | RecipientState::NotNeeded => ("waiting", None),
        RecipientState::Failed | RecipientState::Unreachable => ("problem", None),
    };
    let answer = match (&l.answer, l.state) {
        (Some(a), _) => a.clone(),
        (None, RecipientState::Answered) => t.alert_acknowledged.to_owned(),
        _ => String::new(),
    };
    let channel = match (&l.answered_via, &l.first_sent_channel) {
        (Some(via), _) if l.state == RecipientState::Answered => channel_words(t, via),
        (_, Some(c)) => channel_words(t, c),
        _ => String::new(),
    };
    LineView {
        confirmed: format!("{}/{}", l.confirmed_points, l.checked_points),
        name: l.name.clone(),
        reason: reason_words(t, l, names),
        state: state_label(t, l.state),
        state_class,
        channel,
        at: at.map(|t| when(t, zone)).unwrap_or_default(),
        answer,
        // Once someone has answered, a failed later step no longer matters to the reader.
        error: match l.state {
            RecipientState::Answered => String::new(),
            _ => l.last_error.clone().unwrap_or_default(),
        },
    }
}

fn alert_id(raw: &str) -> Result<AlertId, WebError> {
    raw.parse()
        .map(AlertId)
        .map_err(|_| WebError(AppError::NotFound, None))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<RosterParams>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let id = alert_id(&id)?;
    let (alert, roster) = roster_for(&state, t, &me, id, &params).await?;
    let roster = roster
        .render()
        .map_err(|e| WebError(AppError::Internal(format!("template: {e}")), None))?;
    let incident = beredskap_app::incidents::for_alert(&state.app, &me.caller(), &me.org, id)
        .await?
        .map(|i| (i.id.to_string(), i.title));
    // The link back only for a reader who is in the channel; a failure to read is still
    // a failure.
    let announcement = match alert.announcement {
        Some(message) => {
            match beredskap_app::conversation::message(&state.app, &me.caller(), &me.org, message)
                .await
                .map_err(AppError::from)
            {
                Ok((m, _)) => Some(format!("/c/{}#m-{}", m.channel_id, m.id)),
                Err(AppError::NotFound | AppError::Forbidden | AppError::Refused { .. }) => {
                    Some(String::new())
                }
                Err(other) => return Err(other.into()),
            }
        }
        None => None,
    };
    render(
        StatusCode::OK,
        &AlertPage {
            incident,
            announcement,
            page: Page::signed_in(&ctx, &me, t.alert_roster),
            roster_src: format!(
                "/alerts/{id}/roster{}",
                RosterParams::href(params.state(), params.page())
            ),
            id: id.to_string(),
            severity: severity_label(t, alert.severity),
            status: status_label(t, alert.status),
            active: alert.status == AlertStatus::Active,
            sent: when(alert.created_at, me.org.zone()),
            check: alert.contact_check_until.is_some(),
            alert,
            roster,
        },
    )
}

/// The roster alone, which the page's script fetches again every few seconds.
pub async fn roster(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<RosterParams>,
) -> Result<Response, WebError> {
    let id = alert_id(&id)?;
    let (_, fragment) = roster_for(&state, ctx.t(), &me, id, &params).await?;
    let html = fragment
        .render()
        .map_err(|e| WebError(AppError::Internal(format!("template: {e}")), None))?;
    Ok(Html(html).into_response())
}

pub async fn csv(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    permit(&me.caller(), UseCase::FollowAlerts)?;
    let id = alert_id(&id)?;
    Ok(crate::http::alert_roster_csv(&state, &me.caller(), &me.org, id).await?)
}

pub async fn close(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    permit(&me.caller(), UseCase::CloseAlert)?;
    let id = alert_id(&id)?;
    let status = match field(&fields, "status").as_str() {
        "resolved" => AlertStatus::Resolved,
        "cancelled" => AlertStatus::Cancelled,
        _ => {
            return Err(AppError::invalid(
                "status",
                Problem::OneOf {
                    choices: "resolved, cancelled".into(),
                },
            )
            .into())
        }
    };
    alerts::close(&state.app, &me.caller(), &me.org, id, status).await?;
    Ok(Redirect::to(&format!("/alerts/{id}")).into_response())
}

/// A signed-in person answers from the start page.
pub async fn answer(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let id = alert_id(&id)?;
    alerts::answer(
        &state.app,
        &me.caller(),
        &me.org,
        id,
        me.account.person_id,
        Some(field(&fields, "answer")),
        "web",
    )
    .await?;
    Ok(Redirect::to("/").into_response())
}

// ------------------------------------------------------------------ the answer link

#[derive(Template)]
#[template(path = "answer.html")]
struct AnswerPage {
    page: Page,
    token: String,
    org: String,
    alert: Option<Alert>,
    /// Shown instead of the question: answered, closed, not valid.
    outcome: Option<&'static str>,
    marker: &'static str,
}

async fn answer_page(
    state: &AppState,
    ctx: &WebContext,
    token: &str,
    answer: Option<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let mut page = AnswerPage {
        page: Page::new(ctx, t.alert_answer_title),
        token: token.to_owned(),
        org: String::new(),
        alert: None,
        outcome: Some(t.alert_link_invalid),
        marker: t.alert_exercise_badge,
    };
    let Some((alert_id, person)) = state.links.verify(token) else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    let system = beredskap_app::Caller::System;
    let found = alerts::for_answer_link(&state.app, &system, alert_id, person).await;
    let (alert, org, recipient) = match found {
        Ok(found) => found,
        Err(beredskap_app::Error::Store(beredskap_core::StoreError::NotFound)) => {
            return render(StatusCode::NOT_FOUND, &page)
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    page.org = org.name.clone();
    page.outcome = None;
    if alert.status != AlertStatus::Active {
        page.outcome = Some(t.alert_closed);
    } else if recipient.answered_at.is_some() {
        page.outcome = Some(t.alert_already);
    } else if let Some(choice) = answer {
        alerts::answer(
            &state.app,
            &beredskap_app::Caller::System,
            &org,
            alert.id,
            person,
            Some(choice),
            "link",
        )
        .await?;
        page.outcome = Some(t.alert_thanks);
    } else {
        alerts::seen(
            &state.app,
            &beredskap_app::Caller::System,
            &org,
            alert.id,
            person,
        )
        .await?;
    }
    page.alert = Some(alert);
    render(StatusCode::OK, &page)
}

/// Opening the link shows the question and notes that the person has seen it; nothing
/// is answered by a GET, so link scanners in mail systems answer nothing.
pub async fn link(
    State(state): State<AppState>,
    ctx: WebContext,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    answer_page(&state, &ctx, &token, None).await
}

/// The button on the link's page. The signed token is the authority here; there is no
/// session, so no CSRF cookie is asked for.
pub async fn link_answer(
    State(state): State<AppState>,
    ctx: WebContext,
    Path(token): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    answer_page(&state, &ctx, &token, Some(field(&fields, "answer"))).await
}

// ------------------------------------------------------------------ push on this device

/// The key a browser subscribes to push with.
pub async fn push_key(State(state): State<AppState>) -> Response {
    state.vapid_public_key.clone().into_response()
}

/// A browser's push subscription, from the start page's "alerts on this device": kept as
/// one of the person's contact points, confirmed (the device itself asked), first in
/// their order so an alert reaches the phone before it costs an SMS.
pub async fn push_subscribe(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    super::passkeys::csrf_header(&ctx, &headers)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| WebError(AppError::invalid("subscription", Problem::NotUtf8), None))?;
    beredskap_app::register::add_push_device(&state.app, &me.caller(), &me.org, text)
        .await
        .map_err(AppError::from)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ------------------------------------------------------------------ contact checks

pub async fn start_check(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    permit(&me.caller(), UseCase::StartContactCheck)?;
    let groups: Vec<GroupId> = fields
        .iter()
        .filter(|(k, _)| k == "group")
        .filter_map(|(_, v)| v.parse().ok().map(GroupId))
        .collect();
    // The deadline is the end of the chosen day, on the organisation's clock.
    let deadline = chrono::NaiveDate::parse_from_str(&field(&fields, "deadline"), "%Y-%m-%d")
        .ok()
        .and_then(|d| me.org.zone().end_of_day(d))
        .ok_or_else(|| WebError(AppError::invalid("deadline", Problem::NotADate), None))?;
    let input = beredskap_core::alerting::ContactCheckInput {
        recipients: Recipients {
            groups,
            ..Recipients::default()
        },
        deadline,
        message: String::new(),
    };
    let check = alerts::start_contact_check(&state.app, &me.caller(), &me.org, input).await?;
    Ok(Redirect::to(&format!("/alerts/{}", check.id)).into_response())
}

#[derive(Template)]
#[template(path = "check.html")]
struct CheckPage {
    page: Page,
    token: String,
    /// Where this went: a masked number or address.
    channel: String,
    outcome: Option<&'static str>,
}

/// A contact check's link: shows which contact point it checks; the button confirms it.
/// A GET confirms nothing, so mail scanners that follow links cannot.
pub async fn check_link(
    State(state): State<AppState>,
    ctx: WebContext,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    check_page(&state, &ctx, &token, false).await
}

pub async fn check_confirm(
    State(state): State<AppState>,
    ctx: WebContext,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    check_page(&state, &ctx, &token, true).await
}

async fn check_page(
    state: &AppState,
    ctx: &WebContext,
    token: &str,
    confirm: bool,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let mut page = CheckPage {
        page: Page::new(ctx, t.check_confirm_title),
        token: token.to_owned(),
        channel: String::new(),
        outcome: Some(t.alert_link_invalid),
    };
    let Some(id) = state.links.verify_check(token) else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    let system = beredskap_app::Caller::System;
    let Some(delivery) = alerts::for_check_link(&state.app, &system, id).await? else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    page.channel = format!(
        "{}: {}",
        delivery.channel.as_str(),
        crate::notify::masked(&delivery.address)
    );
    page.outcome = None;
    if delivery.confirmed_at.is_some() {
        page.outcome = Some(t.check_confirmed);
    } else if confirm {
        page.outcome =
            match alerts::confirm_contact_point(&state.app, &beredskap_app::Caller::System, id)
                .await?
            {
                Some(_) => Some(t.check_confirmed),
                None => Some(t.alert_closed),
            };
    }
    render(StatusCode::OK, &page)
}

// ------------------------------------------------------------------ positions on call

struct PositionView {
    name: String,
    on_call: String,
    deputies: Vec<String>,
    /// The next weeks: (from, until, name).
    shifts: Vec<(String, String, String)>,
    calendar: String,
}

#[derive(Template)]
#[template(path = "positions.html")]
struct PositionsPage {
    page: Page,
    positions: Vec<PositionView>,
}

/// Who holds each position now, who steps in, and the weeks ahead; anyone signed in may
/// look (members need to know whom to call).
pub async fn positions(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let caller = me.caller();
    let names: std::collections::HashMap<_, _> =
        beredskap_app::register::people(&state.app, &caller, &me.org)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
    let name = |p: &beredskap_core::PersonId| names.get(p).cloned().unwrap_or_default();
    let now = state.clock.now();
    let mut views = Vec::new();
    for position in beredskap_app::register::positions(&state.app, &caller, &me.org).await? {
        let (rotation, overrides) =
            beredskap_app::rotations::schedule(&state.app, &caller, &me.org, &position).await?;
        let holders =
            beredskap_core::rotation::holders_at(&position, rotation.as_ref(), &overrides, now);
        let shifts = beredskap_core::rotation::shifts(
            rotation.as_ref(),
            &overrides,
            now,
            now + chrono::Duration::weeks(4),
        );
        views.push(PositionView {
            on_call: holders
                .first()
                .map(name)
                .unwrap_or_else(|| t.positions_nobody.to_owned()),
            deputies: holders.iter().skip(1).map(name).collect(),
            shifts: shifts
                .iter()
                .map(|s| {
                    let zone = me.org.zone();
                    (when(s.start, zone), when(s.end, zone), name(&s.person_id))
                })
                .collect(),
            calendar: state.links.calendar_url(position.id),
            name: position.name,
        });
    }
    render(
        StatusCode::OK,
        &PositionsPage {
            page: Page::signed_in(&ctx, &me, t.positions_title),
            positions: views,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::i18n::PageTexts as _;
    use super::*;

    fn line(reason: &str, follows: Option<&str>) -> RosterLine {
        RosterLine {
            person_id: beredskap_core::PersonId::new(),
            name: "Lars Nilsson".into(),
            reason: reason.into(),
            state: RecipientState::Waiting,
            answer: None,
            answered_via: None,
            answered_at: None,
            seen_at: None,
            first_sent_channel: None,
            first_sent_at: None,
            delivered_at: None,
            sent: 0,
            pending: 1,
            last_error: None,
            confirmed_points: 0,
            checked_points: 0,
            follows: follows.map(str::to_owned),
        }
    }

    #[test]
    fn a_roster_says_why_in_words() {
        let t = beredskap_i18n::Lang::parse("sv").unwrap().texts();
        let names = Names {
            groups: [("krisledning".to_owned(), "Krisledningsgrupp".to_owned())].into(),
            positions: [("tib".to_owned(), "TiB".to_owned())].into(),
        };
        let said = |reason: &str, follows| reason_words(t, &line(reason, follows), &names);
        assert_eq!(
            said("deputy:tib", Some("Sara Olsson")),
            "ersättare för Sara Olsson (TiB)"
        );
        assert_eq!(said("position:tib", None), "TiB");
        assert_eq!(
            said("group:krisledning", None),
            "i gruppen Krisledningsgrupp"
        );
        assert_eq!(
            said("escalation:krisledning", None),
            "eskalering till Krisledningsgrupp"
        );
        assert_eq!(said("person", None), "vald som mottagare");
        // A group since renamed or removed is still named, by its slug.
        assert_eq!(said("group:borta", None), "i gruppen borta");
        assert_eq!(channel_words(t, "link"), "länken i meddelandet");
    }
}
