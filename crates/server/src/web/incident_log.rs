//! An incident's log in the pages: the shared picture on the incident's page (the latest
//! situation report with what changed since the one before, the decisions, and what waits
//! for the scribe), a form each for a decision and a report, the whole log on a page of
//! its own, the scribe's approval and the lead's cadence. No JavaScript is needed.

use super::form::FormProblems;
use super::incidents::CsrfForm;
use super::session::SignedIn;
use super::{render, when, Page, Texts, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::incident_log::{self as use_case, IncidentLog, ShownEntry};
use beredskap_app::incidents as incidents_use_case;
use beredskap_app::policy::allows;
use beredskap_app::UseCase;
use beredskap_core::continuity::log::{DecisionInput, EntryBody, ReportInput};
use beredskap_core::{EntryId, FieldErrors, IncidentId, PersonId, Problem};
use serde::Deserialize;
use std::collections::HashMap;

fn parse<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

/// One section of a report as shown: its points, and what changed in it.
pub struct SectionView {
    pub label: &'static str,
    pub lines: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// One entry of the log as the pages show it.
pub struct EntryView {
    pub id: String,
    pub decision: bool,
    /// A decision's text, who took it and when, and why.
    pub what: String,
    pub decided: String,
    pub why: String,
    /// A report's sections.
    pub sections: Vec<SectionView>,
    /// Whether there was a report before to compare with, and nothing changed.
    pub compared: bool,
    pub unchanged: bool,
    pub written: String,
    pub significant: bool,
    pub waiting: bool,
    pub approved: String,
    /// "Sent back … by …", for one the scribe sent back.
    pub declined: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn entry_view(
    t: &Texts,
    zone: beredskap_core::TimeZone,
    names: &HashMap<PersonId, String>,
    shown: &ShownEntry,
) -> EntryView {
    let e = &shown.entry;
    let name = |p: Option<PersonId>| {
        p.and_then(|p| names.get(&p).cloned())
            .unwrap_or_else(|| t.incident_nobody.to_owned())
    };
    let written = t.lang.format(
        "incident-written-by",
        &[
            ("when", when(e.written_at, zone).into()),
            ("who", name(e.written_by).into()),
        ],
    );
    let approved = match (e.significant, e.approved_at) {
        (true, Some(at)) => t.lang.format(
            "incident-approved-by",
            &[
                ("when", when(at, zone).into()),
                ("who", name(e.approved_by).into()),
            ],
        ),
        _ => String::new(),
    };
    let declined = match e.declined_at {
        Some(at) => t.lang.format(
            "incident-declined-by",
            &[
                ("when", when(at, zone).into()),
                ("who", name(e.declined_by).into()),
            ],
        ),
        None => String::new(),
    };
    let mut view = EntryView {
        id: e.id.to_string(),
        decision: false,
        what: String::new(),
        decided: String::new(),
        why: String::new(),
        sections: Vec::new(),
        compared: shown.changes.is_some(),
        unchanged: shown
            .changes
            .as_ref()
            .is_some_and(|c| c.iter().all(|s| s.is_empty())),
        written,
        significant: e.significant,
        waiting: e.is_waiting(),
        approved,
        declined,
    };
    match &e.body {
        EntryBody::Decision {
            what,
            who,
            why,
            decided_at,
        } => {
            view.decision = true;
            view.what = what.clone();
            view.why = why.clone();
            view.decided = t.lang.format(
                "incident-decided-by",
                &[
                    ("who", who.clone().into()),
                    ("when", when(*decided_at, zone).into()),
                ],
            );
        }
        EntryBody::Report {
            conditions,
            actions,
            needs,
        } => {
            let labels = [t.incident_conditions, t.incident_actions, t.incident_needs];
            let texts = [conditions, actions, needs];
            for (i, (label, text)) in labels.iter().zip(texts).enumerate() {
                let change = shown.changes.as_ref().map(|c| &c[i]);
                view.sections.push(SectionView {
                    label,
                    lines: lines(text),
                    added: change.map(|c| c.added.clone()).unwrap_or_default(),
                    removed: change.map(|c| c.removed.clone()).unwrap_or_default(),
                });
            }
        }
    }
    view
}

/// What the incident's page shows of the log.
pub struct PictureView {
    /// The latest report in the shared picture.
    pub report: Option<EntryView>,
    /// Decisions in the picture, newest first.
    pub decisions: Vec<EntryView>,
    /// Entries waiting for the scribe that the caller may see.
    pub waiting: Vec<EntryView>,
    /// Entries the scribe sent back that the caller may see.
    pub declined: Vec<EntryView>,
    pub approves: bool,
    /// "Next report due …" or "overdue since …".
    pub due: String,
    pub overdue: bool,
    pub cadence: String,
}

pub fn picture(
    t: &Texts,
    zone: beredskap_core::TimeZone,
    names: &HashMap<PersonId, String>,
    log: &IncidentLog,
    every: Option<u32>,
    now: chrono::DateTime<chrono::Utc>,
) -> PictureView {
    let in_picture = || log.entries.iter().filter(|e| e.entry.in_picture());
    let overdue = log.overdue(now);
    PictureView {
        report: in_picture()
            .rfind(|e| matches!(e.entry.body, EntryBody::Report { .. }))
            .map(|e| entry_view(t, zone, names, e)),
        decisions: in_picture()
            .filter(|e| matches!(e.entry.body, EntryBody::Decision { .. }))
            .rev()
            .map(|e| entry_view(t, zone, names, e))
            .collect(),
        waiting: log
            .waiting()
            .filter(|e| e.entry.is_waiting())
            .map(|e| entry_view(t, zone, names, e))
            .collect(),
        declined: log
            .waiting()
            .filter(|e| e.entry.declined_at.is_some())
            .map(|e| entry_view(t, zone, names, e))
            .collect(),
        approves: log.approves,
        due: log
            .report_due
            .map(|due| {
                t.lang.format(
                    match overdue {
                        true => "incident-report-overdue",
                        false => "incident-report-due",
                    },
                    &[("when", when(due, zone).into())],
                )
            })
            .unwrap_or_default(),
        overdue,
        cadence: every.map(|m| m.to_string()).unwrap_or_else(|| "0".into()),
    }
}

// ------------------------------------------------------------------ the whole log

#[derive(Template)]
#[template(path = "incident_log.html")]
struct LogPage {
    page: Page,
    id: String,
    title: String,
    exercise: bool,
    entries: Vec<EntryView>,
    approves: bool,
    may_work: bool,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let id: IncidentId = parse(&id)?;
    let caller = me.caller();
    let sheet = incidents_use_case::sheet(&state.app, &caller, &me.org, id).await?;
    let log = use_case::log(&state.app, &caller, &me.org, &sheet.incident).await?;
    let zone = me.org.zone();
    render(
        StatusCode::OK,
        &LogPage {
            page: Page::signed_in(&ctx, &me, t.incident_log),
            id: id.to_string(),
            title: sheet.incident.title.clone(),
            exercise: sheet.incident.exercise,
            entries: log
                .entries
                .iter()
                .rev()
                .map(|e| entry_view(t, zone, &sheet.names, e))
                .collect(),
            approves: log.approves,
            may_work: sheet.incident.is_open() && allows(&caller, UseCase::WorkIncidents),
        },
    )
}

// ------------------------------------------------------------------ a decision

#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    who: String,
    #[serde(default)]
    why: String,
    #[serde(default)]
    decided_at: String,
    #[serde(default)]
    significant: Option<String>,
}

#[derive(Template)]
#[template(path = "incident_decision.html")]
struct DecisionPage {
    page: Page,
    id: String,
    title: String,
    what: String,
    who: String,
    why: String,
    decided_at: String,
    significant: bool,
    problems: FormProblems,
}

/// The form's local time, as `<input type="datetime-local">` writes it.
const LOCAL_TIME: &str = "%Y-%m-%dT%H:%M";

async fn decision_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    id: IncidentId,
    form: &DecisionForm,
    problems: FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    if !allows(&me.caller(), UseCase::WorkIncidents) {
        return Err(AppError::Forbidden.into());
    }
    let sheet = incidents_use_case::sheet(&state.app, &me.caller(), &me.org, id).await?;
    render(
        problems.status(),
        &DecisionPage {
            page: Page::signed_in(ctx, me, t.incident_decision_record),
            id: id.to_string(),
            title: sheet.incident.title,
            what: form.what.clone(),
            who: form.who.clone(),
            why: form.why.clone(),
            decided_at: form.decided_at.clone(),
            significant: form.significant.is_some(),
            problems,
        },
    )
}

pub async fn decision_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: IncidentId = parse(&id)?;
    let now = state.clock.now();
    let form = DecisionForm {
        who: me.name.clone(),
        decided_at: me.org.zone().local(now).format(LOCAL_TIME).to_string(),
        ..DecisionForm::default()
    };
    decision_page(&state, &ctx, &me, id, &form, FormProblems::default()).await
}

fn decision_problems(t: &Texts, errors: &FieldErrors) -> FormProblems {
    let place = |field: &str| match field {
        "who" => ("who", t.incident_decision_who.to_owned()),
        "why" => ("why", t.incident_decision_why.to_owned()),
        "decided_at" => ("decided_at", t.incident_decision_when.to_owned()),
        _ => ("what", t.incident_decision_what.to_owned()),
    };
    FormProblems::new(errors, t.lang, place, &["what", "who", "why", "decided_at"])
}

pub async fn record_decision(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    let t = ctx.t();
    // The time as typed, on the organisation's clock; empty means now.
    let decided_at = match form.decided_at.trim() {
        "" => None,
        typed => match chrono::NaiveDateTime::parse_from_str(typed, LOCAL_TIME)
            .ok()
            .and_then(|local| me.org.zone().moment(local))
        {
            Some(at) => Some(at),
            None => {
                let errors = FieldErrors::single("decided_at", Problem::NotADate);
                let problems = decision_problems(t, &errors);
                return decision_page(&state, &ctx, &me, id, &form, problems).await;
            }
        },
    };
    let input = DecisionInput {
        what: form.what.clone(),
        who: form.who.clone(),
        why: form.why.clone(),
        decided_at,
        significant: form.significant.is_some(),
    };
    match use_case::record_decision(&state.app, &me.caller(), &me.org, id, input).await {
        Ok(entry) => {
            let anchor = match entry.in_picture() {
                true => "decisions",
                false => "waiting",
            };
            Ok(Redirect::to(&format!("/incidents/{id}#{anchor}")).into_response())
        }
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                let problems = decision_problems(t, &errors);
                decision_page(&state, &ctx, &me, id, &form, problems).await
            }
            other => Err(other.into()),
        },
    }
}

// ------------------------------------------------------------------ a situation report

#[derive(Debug, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    conditions: String,
    #[serde(default)]
    actions: String,
    #[serde(default)]
    needs: String,
    #[serde(default)]
    significant: Option<String>,
}

#[derive(Template)]
#[template(path = "incident_report.html")]
struct ReportPage {
    page: Page,
    id: String,
    title: String,
    conditions: String,
    actions: String,
    needs: String,
    significant: bool,
    prefilled: bool,
    problems: FormProblems,
}

async fn report_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    id: IncidentId,
    form: &ReportForm,
    problems: FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    if !allows(&me.caller(), UseCase::WorkIncidents) {
        return Err(AppError::Forbidden.into());
    }
    let sheet = incidents_use_case::sheet(&state.app, &me.caller(), &me.org, id).await?;
    // A fresh form starts from the latest report in the picture: the writer changes what
    // has changed, and the next report shows just that.
    let mut shown = (
        form.conditions.clone(),
        form.actions.clone(),
        form.needs.clone(),
    );
    let mut prefilled = false;
    if form.csrf.is_empty() {
        let log = use_case::log(&state.app, &me.caller(), &me.org, &sheet.incident).await?;
        if let Some(EntryBody::Report {
            conditions,
            actions,
            needs,
        }) = log
            .entries
            .iter()
            .filter(|e| e.entry.in_picture())
            .map(|e| &e.entry.body)
            .rfind(|b| matches!(b, EntryBody::Report { .. }))
        {
            shown = (conditions.clone(), actions.clone(), needs.clone());
            prefilled = true;
        }
    }
    render(
        problems.status(),
        &ReportPage {
            page: Page::signed_in(ctx, me, t.incident_report_write),
            id: id.to_string(),
            title: sheet.incident.title,
            conditions: shown.0,
            actions: shown.1,
            needs: shown.2,
            significant: form.significant.is_some(),
            prefilled,
            problems,
        },
    )
}

pub async fn report_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: IncidentId = parse(&id)?;
    report_page(
        &state,
        &ctx,
        &me,
        id,
        &ReportForm::default(),
        FormProblems::default(),
    )
    .await
}

pub async fn write_report(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ReportForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    let t = ctx.t();
    let input = ReportInput {
        conditions: form.conditions.clone(),
        actions: form.actions.clone(),
        needs: form.needs.clone(),
        significant: form.significant.is_some(),
    };
    match use_case::write_report(&state.app, &me.caller(), &me.org, id, input).await {
        Ok(entry) => {
            let anchor = match entry.in_picture() {
                true => "picture",
                false => "waiting",
            };
            Ok(Redirect::to(&format!("/incidents/{id}#{anchor}")).into_response())
        }
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                let place = |field: &str| match field {
                    "actions" => ("actions", t.incident_actions.to_owned()),
                    "needs" => ("needs", t.incident_needs.to_owned()),
                    _ => ("conditions", t.incident_conditions.to_owned()),
                };
                let problems =
                    FormProblems::new(&errors, t.lang, place, &["conditions", "actions", "needs"]);
                report_page(&state, &ctx, &me, id, &form, problems).await
            }
            other => Err(other.into()),
        },
    }
}

// ------------------------------------------------------------------ approval, cadence

pub async fn decline(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path((id, entry)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    let entry: EntryId = parse(&entry)?;
    use_case::decline(&state.app, &me.caller(), &me.org, id, entry).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#declined")).into_response())
}

pub async fn approve(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path((id, entry)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    let entry: EntryId = parse(&entry)?;
    use_case::approve(&state.app, &me.caller(), &me.org, id, entry).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#picture")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CadenceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    report_every_minutes: String,
}

pub async fn set_cadence(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CadenceForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    if !allows(&me.caller(), UseCase::LeadIncidents) {
        return Err(AppError::Forbidden.into());
    }
    let id: IncidentId = parse(&id)?;
    let minutes: i64 = form.report_every_minutes.trim().parse().map_err(|_| {
        WebError(
            AppError::Invalid(FieldErrors::single(
                "report_every_minutes",
                Problem::NotANumber,
            )),
            None,
        )
    })?;
    use_case::set_cadence(&state.app, &me.caller(), &me.org, id, minutes).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#picture")).into_response())
}
