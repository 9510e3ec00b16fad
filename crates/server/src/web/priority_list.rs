//! The priority list in the pages: the list itself for the holders of the named positions
//! (searchable, each number a link to call), who may open it and the import for
//! administrators (who never see it), and an incident's calls with one form per citizen.
//! No JavaScript is needed.

use super::incidents::CsrfForm;
use super::session::SignedIn;
use super::{render, when, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::priority_list::{self as use_case, Access, ImportRefused};
use beredskap_core::continuity::priority::{
    AccessInput, CallOutcome, CallReportInput, CallsSummary, Citizen, PriorityCall,
};
use beredskap_core::domain::readable_number;
use beredskap_core::{CallId, EntryId, FieldErrors, IncidentId, PositionId, Problem, Region};
use serde::Deserialize;

fn parse<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

fn invalid(field: &str, problem: Problem) -> WebError {
    WebError(AppError::Invalid(FieldErrors::single(field, problem)), None)
}

/// A citizen as a row: the number as a link to call.
pub struct CitizenRow {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub phone_href: String,
    pub need: String,
    pub contact_person: String,
}

fn citizen_row(c: &Citizen, region: Region) -> CitizenRow {
    CitizenRow {
        name: c.name.clone(),
        address: c.address.clone(),
        phone: c
            .phone
            .as_deref()
            .map(|p| readable_number(p, region))
            .unwrap_or_default(),
        phone_href: c
            .phone
            .as_deref()
            .map(|p| format!("tel:{p}"))
            .unwrap_or_default(),
        need: c.need.clone(),
        contact_person: c.contact_person.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "priority_list.html")]
struct ListPage {
    page: Page,
    access: Access,
    count: String,
    imported: String,
    /// The list, for a holder of a named position (`None` for an administrator).
    citizens: Option<Vec<CitizenRow>>,
    q: String,
    /// Every position: id, name, whether named.
    positions: Vec<(String, String, bool)>,
    calls_days: u32,
    problems: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
}

async fn list_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    q: String,
    problems: Vec<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let caller = me.caller();
    let (info, access) = use_case::access(&state.app, &caller, &me.org).await?;
    let citizens = match access.opens {
        true => {
            let found = use_case::open(&state.app, &caller, &me.org, Some(&q)).await?;
            Some(
                found
                    .iter()
                    .map(|c| citizen_row(c, me.org.region))
                    .collect(),
            )
        }
        false => None,
    };
    let positions = match access.keeps {
        true => state
            .app
            .store
            .list_positions(me.org.id)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|p| {
                let named = info.positions.contains(&p.id);
                (p.id.to_string(), p.name, named)
            })
            .collect(),
        false => Vec::new(),
    };
    let status = match problems.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    render(
        status,
        &ListPage {
            page: Page::signed_in(ctx, me, t.prio_title),
            access,
            count: t
                .lang
                .format("prio-count", &[("count", info.citizens.into())]),
            imported: match info.imported_at {
                Some(at) => t
                    .lang
                    .format("prio-imported", &[("when", when(at, me.org.zone()).into())]),
                None => t.prio_never.to_owned(),
            },
            citizens,
            q,
            positions,
            calls_days: info.calls_days,
            problems,
        },
    )
}

/// The list (for the named) and its settings (for administrators); each time the list is
/// shown, the journal records it.
pub async fn page(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let q = query.q.trim().chars().take(200).collect();
    list_page(&state, &ctx, &me, q, Vec::new()).await
}

/// Who opens the list, and how long calls keep their details: checkboxes and a number.
pub async fn set_access(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    ctx.check_csrf(&headers, &field("csrf"))?;
    if !beredskap_app::policy::allows(&me.caller(), beredskap_app::UseCase::KeepPriorityList) {
        return Err(AppError::Forbidden.into());
    }
    let calls_days = field("calls_days")
        .parse()
        .map_err(|_| invalid("calls_days", Problem::NotANumber))?;
    let positions = fields
        .iter()
        .filter(|(k, _)| k == "positions")
        .map(|(_, v)| {
            v.parse::<PositionId>()
                .map_err(|_| invalid("positions", Problem::UnknownPosition))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let input = AccessInput {
        positions,
        calls_days,
    };
    use_case::set_access(&state.app, &me.caller(), &me.org, input).await?;
    Ok(Redirect::to("/priority-list#access").into_response())
}

/// A file sent from the page: the whole list or nothing, each problem by line and column.
pub async fn import(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    request: axum::extract::Request,
) -> Result<Response, WebError> {
    use axum::extract::FromRequest;
    let t = ctx.t();
    // Someone who may do nothing with the list is refused before the file is read.
    use_case::access(&state.app, &me.caller(), &me.org).await?;
    let bad = |detail: String| invalid("file", Problem::Malformed { detail });
    let mut parts = axum::extract::Multipart::from_request(request, &state)
        .await
        .map_err(|e| bad(e.body_text()))?;
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = parts.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name().unwrap_or_default() {
            "file" => file = Some(field.bytes().await.map_err(|e| bad(e.body_text()))?),
            "csrf" => csrf = field.text().await.map_err(|e| bad(e.body_text()))?,
            _ => {}
        }
    }
    ctx.check_csrf(&headers, &csrf)?;
    let file = file.unwrap_or_default();
    match use_case::import(&state.app, &me.caller(), &me.org, &file).await {
        Ok(_) => Ok(Redirect::to("/priority-list").into_response()),
        Err(ImportRefused::File(problems)) => {
            let shown = problems
                .iter()
                .map(|p| {
                    let line = usize::try_from(p.line).unwrap_or(0);
                    t.plans_file_problem(line, &p.column, &p.problem.text(t.lang))
                })
                .collect();
            list_page(&state, &ctx, &me, String::new(), shown).await
        }
        Err(ImportRefused::Use(e)) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ an incident's calls

/// The calls' section of an incident's page: counted, for everyone who follows it.
pub struct CallsView {
    pub summary: CallsSummary,
    /// "8 of 40 called: …".
    pub counts: String,
    /// "Kept by the decision …", "Purged …" or when they will be purged.
    pub keeping: String,
    pub may_start: bool,
    pub may_open: bool,
    pub may_keep: bool,
    /// Decisions in the shared picture the lead may keep them by: id and text.
    pub decisions: Vec<(String, String)>,
    pub list_empty: bool,
}

pub async fn calls_view(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    incident: &beredskap_core::continuity::incidents::Incident,
    decisions: Vec<(String, String)>,
) -> Result<CallsView, WebError> {
    let t = ctx.t();
    let caller = me.caller();
    let summary = use_case::summary(&state.app, &caller, &me.org, incident.id).await?;
    let access = use_case::access(&state.app, &caller, &me.org).await.ok();
    let info = state
        .app
        .store
        .priority_list_info(me.org.id)
        .await
        .map_err(AppError::from)?;
    let opens = access.is_some_and(|(_, a)| a.opens);
    let leads = beredskap_app::policy::allows(&caller, beredskap_app::UseCase::LeadIncidents);
    let zone = me.org.zone();
    let counts = t.calls_counts(&summary);
    let keeping = match (summary.purged_at, summary.kept_by, incident.closed_at) {
        (Some(at), _, _) => t
            .lang
            .format("prio-calls-purged", &[("when", when(at, zone).into())]),
        (None, Some(_), _) => t.prio_calls_kept.to_owned(),
        (None, None, Some(closed)) => t.lang.format(
            "prio-calls-purge-at",
            &[(
                "when",
                when(
                    closed + chrono::Duration::days(info.calls_days.into()),
                    zone,
                )
                .into(),
            )],
        ),
        (None, None, None) => t
            .lang
            .format("prio-calls-purge-days", &[("days", info.calls_days.into())]),
    };
    Ok(CallsView {
        may_start: incident.is_open()
            && summary.started_at.is_none()
            && info.citizens > 0
            && (leads || opens),
        may_open: opens && summary.started_at.is_some(),
        may_keep: leads
            && summary.started_at.is_some()
            && summary.kept_by.is_none()
            && summary.purged_at.is_none(),
        list_empty: info.citizens == 0,
        summary,
        counts,
        keeping,
        decisions,
    })
}

/// One call as a row of the calls page.
pub struct CallRow {
    pub id: String,
    /// The citizen's name, for the buttons' accessible names (empty once purged).
    pub name: String,
    pub citizen: Option<CitizenRow>,
    pub outcome: &'static str,
    pub outcome_code: &'static str,
    pub note: String,
    pub last: String,
}

#[derive(Template)]
#[template(path = "priority_calls.html")]
struct CallsPage {
    page: Page,
    id: String,
    title: String,
    exercise: bool,
    open: bool,
    counts: String,
    /// Not called yet, or not reached: still to call.
    to_call: Vec<CallRow>,
    escalated: Vec<CallRow>,
    reached: Vec<CallRow>,
}

impl super::Texts {
    /// "8 of 40 called: …": the calls counted, as the incident, the calls page and the
    /// after-action report say it.
    pub fn calls_counts(&self, c: &CallsSummary) -> String {
        self.lang.format(
            "prio-calls-counts",
            &[
                ("called", (c.total - c.open).into()),
                ("total", c.total.into()),
                ("reached", c.reached.into()),
                ("not_reached", c.not_reached.into()),
                ("escalated", c.escalated.into()),
            ],
        )
    }

    pub fn call_outcome(&self, outcome: Option<CallOutcome>) -> &'static str {
        match outcome {
            None => self.prio_outcome_open,
            Some(CallOutcome::Reached) => self.prio_outcome_reached,
            Some(CallOutcome::NotReached) => self.prio_outcome_not_reached,
            Some(CallOutcome::Escalated) => self.prio_outcome_escalated,
        }
    }
}

/// The incident's calls, for the holders of the named positions (journaled).
pub async fn calls(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let id: IncidentId = parse(&id)?;
    let caller = me.caller();
    let incident = state
        .app
        .store
        .incident(me.org.id, id)
        .await
        .map_err(AppError::from)?;
    let calls = use_case::calls(&state.app, &caller, &me.org, id).await?;
    let names = beredskap_app::incidents::sheet(&state.app, &caller, &me.org, id)
        .await?
        .names;
    let zone = me.org.zone();
    let row = |c: &PriorityCall| CallRow {
        id: c.id.to_string(),
        name: c
            .citizen
            .as_ref()
            .map(|z| z.name.clone())
            .unwrap_or_default(),
        citizen: c.citizen.as_ref().map(|z| citizen_row(z, me.org.region)),
        outcome: t.call_outcome(c.outcome),
        outcome_code: c.outcome.map(CallOutcome::as_str).unwrap_or(""),
        note: c.note.clone().unwrap_or_default(),
        last: match c.called_at {
            Some(at) => t.lang.format(
                "prio-call-last",
                &[
                    ("when", when(at, zone).into()),
                    (
                        "who",
                        c.called_by
                            .and_then(|p| names.get(&p).cloned())
                            .unwrap_or_else(|| t.incident_nobody.to_owned())
                            .into(),
                    ),
                    ("attempts", c.attempts.into()),
                ],
            ),
            None => String::new(),
        },
    };
    let pick = |keep: &dyn Fn(Option<CallOutcome>) -> bool| -> Vec<CallRow> {
        calls.iter().filter(|c| keep(c.outcome)).map(row).collect()
    };
    let summary = CallsSummary::of(&calls);
    render(
        StatusCode::OK,
        &CallsPage {
            page: Page::signed_in(&ctx, &me, t.prio_calls_title),
            id: id.to_string(),
            title: incident.title.clone(),
            exercise: incident.exercise,
            open: incident.is_open(),
            counts: t.calls_counts(&summary),
            to_call: pick(&|o| matches!(o, None | Some(CallOutcome::NotReached))),
            escalated: pick(&|o| o == Some(CallOutcome::Escalated)),
            reached: pick(&|o| o == Some(CallOutcome::Reached)),
        },
    )
}

/// Starts the incident's calls from the list: from its page.
pub async fn start(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    use_case::start_calls(&state.app, &me.caller(), &me.org, id).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#calls")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CallForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
}

/// What came of one call: one of three buttons, and a note.
pub async fn report(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path((id, call)): Path<(String, String)>,
    Form(form): Form<CallForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    let call: CallId = parse(&call)?;
    let outcome = match form.outcome.as_str() {
        "" => None,
        code => Some(CallOutcome::parse(code).ok_or_else(|| {
            invalid(
                "outcome",
                Problem::OneOf {
                    choices: "reached, not_reached, escalated".into(),
                },
            )
        })?),
    };
    let input = CallReportInput {
        outcome,
        note: form.note,
    };
    use_case::report_call(&state.app, &me.caller(), &me.org, id, call, input).await?;
    Ok(Redirect::to(&format!("/incidents/{id}/calls#call-{call}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct KeepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// Keeps the calls' details past the purge, by a decision in the log.
pub async fn keep(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<KeepForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    if !beredskap_app::policy::allows(&me.caller(), beredskap_app::UseCase::LeadIncidents) {
        return Err(AppError::Forbidden.into());
    }
    let id: IncidentId = parse(&id)?;
    let decision: EntryId = form
        .decision
        .parse()
        .map_err(|_| invalid("decision", Problem::Missing))?;
    use_case::keep_calls(&state.app, &me.caller(), &me.org, id, decision).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#calls")).into_response())
}
