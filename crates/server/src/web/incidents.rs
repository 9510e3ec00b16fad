//! Incidents in the pages: activating a plan from its page, the list (`/incidents`), an
//! incident with its checklist (ticked with one tap, from any number of devices), its
//! roles and their hand-overs, links to its channel, alarm and plan, and ending it.

use super::session::SignedIn;
use super::{render, when, Page, Texts, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::incidents::{self as use_case, Activation};
use beredskap_app::policy::allows;
use beredskap_app::UseCase;
use beredskap_core::alerting::Severity;
use beredskap_core::continuity::incidents::{Incident, Role, Via};
use beredskap_core::{FieldErrors, IncidentId, PersonId, PlanId, Problem, TaskId};
use serde::Deserialize;

fn parse<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

/// A choice that is not one of the form's.
fn not_one_of(field: &str, choices: &str) -> WebError {
    WebError(
        AppError::Invalid(FieldErrors::single(
            field,
            Problem::OneOf {
                choices: choices.into(),
            },
        )),
        None,
    )
}

/// How an incident was opened, as the pages name it (the same in every language).
pub fn via_label(via: Via) -> &'static str {
    match via {
        Via::Web => "web",
        Via::Api => "API",
        Via::Cli => "CLI",
        Via::Sms => "SMS",
    }
}

impl Texts {
    pub fn incident_role(&self, role: Role) -> &'static str {
        match role {
            Role::Lead => self.incident_role_lead,
            Role::Scribe => self.incident_role_scribe,
            Role::Liaison => self.incident_role_liaison,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    exercise: Option<String>,
}

/// The activation form on a plan's page.
pub async fn activate(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ActivateForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    // Someone who may not activate is refused before the form is read.
    if !allows(&me.caller(), UseCase::ActivatePlans) {
        return Err(AppError::Forbidden.into());
    }
    let plan: PlanId = parse(&id)?;
    let severity = Severity::parse(&form.severity)
        .ok_or_else(|| not_one_of("severity", "info, warning, critical"))?;
    let activation = Activation {
        plan,
        severity,
        exercise: form.exercise.is_some(),
        via: Via::Web,
        on_behalf_of: None,
    };
    let incident = use_case::activate(&state.app, &me.caller(), &me.org, activation).await?;
    Ok(Redirect::to(&format!("/incidents/{}", incident.id)).into_response())
}

struct Row {
    id: String,
    title: String,
    exercise: bool,
    severity: &'static str,
    opened: String,
    closed: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage {
    page: Page,
    incidents: Vec<Row>,
    closed: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    closed: Option<String>,
}

fn row(t: &Texts, me: &SignedIn, i: &Incident) -> Row {
    Row {
        id: i.id.to_string(),
        title: i.title.clone(),
        exercise: i.exercise,
        severity: t.severity(i.severity),
        opened: when(i.opened_at, me.org.zone()),
        closed: i
            .closed_at
            .map(|c| when(c, me.org.zone()))
            .unwrap_or_default(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let closed = query.closed.is_some();
    let incidents = use_case::incidents(&state.app, &me.caller(), &me.org, closed).await?;
    render(
        StatusCode::OK,
        &ListPage {
            page: Page::signed_in(&ctx, &me, t.incidents_title),
            incidents: incidents.iter().map(|i| row(t, &me, i)).collect(),
            closed,
        },
    )
}

struct TaskRow {
    id: String,
    text: String,
    position: String,
    assignee: String,
    due: String,
    late: bool,
    done: bool,
    done_by: String,
}

struct RoleRow {
    role: &'static str,
    code: &'static str,
    holder: String,
    since: String,
    /// Earlier holders, oldest first: name and from–to.
    earlier: Vec<String>,
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    page: Page,
    id: String,
    title: String,
    exercise: bool,
    severity: &'static str,
    opened: String,
    closed: String,
    channel: String,
    alert: Option<String>,
    /// "1 of 2 have answered", for the alarm.
    alarm: String,
    plan: Option<String>,
    left: String,
    tasks: Vec<TaskRow>,
    roles: Vec<RoleRow>,
    people: Vec<(String, String)>,
    may_work: bool,
    may_lead: bool,
    may_follow_alerts: bool,
    log: super::incident_log::PictureView,
    approves: bool,
    may_read_report: bool,
    may_read_plans: bool,
    /// Invited guests: account id and name.
    guests: Vec<(String, String)>,
    may_remove_guests: bool,
    /// Guests' accounts the lead may invite: id and name.
    invitable: Vec<(String, String)>,
    /// The calls made from the priority list, counted.
    calls: super::priority_list::CallsView,
    /// The notices on the status page published from it.
    notices: Vec<super::notices::NoticeRow>,
    may_publish: bool,
    may_update: bool,
    slug: String,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let id: IncidentId = parse(&id)?;
    let sheet = use_case::sheet(&state.app, &me.caller(), &me.org, id).await?;
    let zone = me.org.zone();
    let now = state.clock.now();
    let name = |p: Option<PersonId>| {
        p.and_then(|p| sheet.names.get(&p).cloned())
            .unwrap_or_else(|| t.incident_nobody.to_owned())
    };
    let i = &sheet.incident;
    let via = via_label(i.via);
    let opened = t.lang.format(
        "incident-opened",
        &[
            ("when", when(i.opened_at, zone).into()),
            ("who", name(i.opened_by).into()),
            ("via", via.into()),
        ],
    );
    let closed = i
        .closed_at
        .map(|c| {
            t.lang
                .format("incident-closed-at", &[("when", when(c, zone).into())])
        })
        .unwrap_or_default();
    let left = sheet.tasks.iter().filter(|t| t.done_at.is_none()).count();
    let tasks = sheet
        .tasks
        .iter()
        .map(|task| TaskRow {
            id: task.id.to_string(),
            text: task.text.clone(),
            position: task.position.clone().unwrap_or_default(),
            assignee: name(task.assignee),
            due: t
                .lang
                .format("incident-due", &[("when", when(task.due_at, zone).into())]),
            late: task.is_late(now),
            done: task.done_at.is_some(),
            done_by: task
                .done_at
                .map(|d| {
                    t.lang.format(
                        "incident-done-by",
                        &[
                            ("when", when(d, zone).into()),
                            ("who", name(task.done_by).into()),
                        ],
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|role| {
            let current = sheet
                .roles
                .iter()
                .find(|r| r.role == *role && r.until.is_none());
            RoleRow {
                role: t.incident_role(*role),
                code: role.as_str(),
                holder: name(current.map(|r| r.person)),
                since: current
                    .map(|r| {
                        t.lang
                            .format("incident-since", &[("when", when(r.since, zone).into())])
                    })
                    .unwrap_or_default(),
                earlier: sheet
                    .roles
                    .iter()
                    .filter(|r| r.role == *role && r.until.is_some())
                    .map(|r| {
                        let until = r.until.map(|u| when(u, zone)).unwrap_or_default();
                        format!(
                            "{} ({} – {until})",
                            name(Some(r.person)),
                            when(r.since, zone)
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let mut people: Vec<(String, String)> = sheet
        .names
        .iter()
        .map(|(id, n)| (id.to_string(), n.clone()))
        .collect();
    people.sort_by_key(|(_, n)| n.to_lowercase());
    let caller = me.caller();
    // A guest's name with their login, which tells whose organisation they are from.
    let account_name = |a: &beredskap_core::register::Account| match sheet.names.get(&a.person_id) {
        Some(n) => format!("{n} ({})", a.login.as_str()),
        None => a.login.as_str().to_owned(),
    };
    let log = beredskap_app::incident_log::log(&state.app, &caller, &me.org, i).await?;
    let log =
        super::incident_log::picture(t, zone, &sheet.names, &log, i.report_every_minutes, now);
    // The decisions in the shared picture, shortened, for keeping the calls by one.
    let decisions = log
        .decisions
        .iter()
        .map(|d| {
            let short: String = d.what.chars().take(80).collect();
            (d.id.clone(), short)
        })
        .collect();
    let calls = super::priority_list::calls_view(&state, &ctx, &me, i, decisions).await?;
    let notices =
        beredskap_app::status::incident_notices(&state.app, &caller, &me.org, i.id).await?;
    render(
        StatusCode::OK,
        &IncidentPage {
            page: Page::signed_in(&ctx, &me, t.incidents_title),
            id: i.id.to_string(),
            title: i.title.clone(),
            exercise: i.exercise,
            severity: t.severity(i.severity),
            opened,
            closed,
            channel: i.channel_id.to_string(),
            alert: i.alert_id.map(|a| a.to_string()),
            alarm: sheet
                .alarm
                .map(|a| t.alert_counts(a.answered, a.recipients, a.unreachable))
                .unwrap_or_default(),
            plan: i.plan_id.map(|p| p.to_string()),
            left: t.lang.format(
                "incident-tasks-left",
                &[("left", left.into()), ("total", sheet.tasks.len().into())],
            ),
            tasks,
            roles,
            people,
            may_work: i.is_open() && allows(&caller, UseCase::WorkIncidents),
            may_lead: i.is_open() && allows(&caller, UseCase::LeadIncidents),
            may_follow_alerts: allows(&caller, UseCase::FollowAlerts),
            approves: log.approves && i.is_open(),
            may_read_report: allows(&caller, UseCase::ReadAfterAction),
            may_read_plans: allows(&caller, UseCase::ReadPlans),
            guests: sheet
                .guests
                .iter()
                .map(|a| (a.id.to_string(), account_name(a)))
                .collect(),
            may_remove_guests: allows(&caller, UseCase::LeadIncidents),
            invitable: sheet
                .invitable
                .iter()
                .map(|a| (a.id.to_string(), account_name(a)))
                .collect(),
            log,
            calls,
            notices: super::notices::rows(t, &me, &notices),
            may_publish: i.is_open() && allows(&caller, UseCase::KeepPublicStatus),
            may_update: allows(&caller, UseCase::KeepPublicStatus),
            slug: me.org.slug.to_string(),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct TaskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    done: String,
}

/// One tap on a task: done, or back to not done.
pub async fn task(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path((id, task)): Path<(String, String)>,
    Form(form): Form<TaskForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    let task: TaskId = parse(&task)?;
    let done = form.done == "yes";
    use_case::set_task(&state.app, &me.caller(), &me.org, id, task, done).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#task-{task}")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    person: String,
}

pub async fn hand_over(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    if !allows(&me.caller(), UseCase::LeadIncidents) {
        return Err(AppError::Forbidden.into());
    }
    let id: IncidentId = parse(&id)?;
    let role =
        Role::parse(&form.role).ok_or_else(|| not_one_of("role", "lead, scribe, liaison"))?;
    let to: PersonId = form.person.parse().map_err(|_| {
        WebError(
            AppError::Invalid(FieldErrors::single("person", Problem::UnknownPerson)),
            None,
        )
    })?;
    use_case::hand_over(&state.app, &me.caller(), &me.org, id, role, to).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#roles")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct GuestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
}

pub async fn invite_guest(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<GuestForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    if !allows(&me.caller(), UseCase::LeadIncidents) {
        return Err(AppError::Forbidden.into());
    }
    let id: IncidentId = parse(&id)?;
    let account: beredskap_core::AccountId = form.account.parse().map_err(|_| {
        WebError(
            AppError::Invalid(FieldErrors::single("account", Problem::UnknownAccount)),
            None,
        )
    })?;
    use_case::invite_guest(&state.app, &me.caller(), &me.org, id, account).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#guests")).into_response())
}

pub async fn remove_guest(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path((id, account)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    let account: beredskap_core::AccountId = parse(&account)?;
    use_case::remove_guest(&state.app, &me.caller(), &me.org, id, account).await?;
    Ok(Redirect::to(&format!("/incidents/{id}#guests")).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

pub async fn close(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: IncidentId = parse(&id)?;
    use_case::close(&state.app, &me.caller(), &me.org, id).await?;
    Ok(Redirect::to(&format!("/incidents/{id}")).into_response())
}

// ------------------------------------------------------------------ the SMS PIN

#[derive(Template)]
#[template(path = "activation_pin.html")]
struct PinPage {
    page: Page,
    has_pin: bool,
    number: String,
    problems: super::form::FormProblems,
}

async fn pin_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    problems: super::form::FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let has_pin = use_case::has_activation_pin(&state.app, &me.caller(), &me.org).await?;
    let number = me
        .org
        .sms_number
        .as_ref()
        .map(|n| {
            let shown = beredskap_core::domain::readable_number(n, me.org.region);
            t.lang
                .format("activation-pin-number", &[("number", shown.into())])
        })
        .unwrap_or_default();
    render(
        problems.status(),
        &PinPage {
            page: Page::signed_in(ctx, me, t.activation_pin_title),
            has_pin,
            number,
            problems,
        },
    )
}

pub async fn pin_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    pin_page(&state, &ctx, &me, super::form::FormProblems::default()).await
}

#[derive(Debug, Default, Deserialize)]
pub struct PinForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pin: String,
    #[serde(default)]
    remove: Option<String>,
}

pub async fn pin_save(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<PinForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let t = ctx.t();
    let pin = match form.remove {
        Some(_) => None,
        None => Some(form.pin.as_str()),
    };
    let hashing = &state.sign_in.hashing;
    match use_case::set_activation_pin(&state.app, &me.caller(), &me.org, hashing, pin).await {
        Ok(()) => Ok(Redirect::to("/activation-pin").into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => {
                let place = |_: &str| ("pin", t.activation_pin_label.to_owned());
                let problems = super::form::FormProblems::new(&errors, t.lang, place, &["pin"]);
                pin_page(&state, &ctx, &me, problems).await
            }
            other => Err(other.into()),
        },
    }
}
