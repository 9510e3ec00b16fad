//! Incidents in the API: activate a plan, follow an incident's checklist and roles, tick
//! tasks, hand over roles, end it. The same use cases as the pages.

use super::api::{created, parse_id, ApiJson, ApiPath, ApiQuery};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use beredskap_app::incident_log as log_use_case;
use beredskap_app::incidents::{self as use_case, Activation};
use beredskap_core::alerting::Severity;
use beredskap_core::continuity::incidents::{Incident, IncidentTask, Role, RoleHolder, Via};
use beredskap_core::continuity::log::{DecisionInput, LogEntry, ReportInput, SectionChange};
use beredskap_core::register::Scope;
use beredskap_core::{AccountId, EntryId, IncidentId, PersonId, PlanId, TaskId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(activate))
        .routes(routes!(list_incidents))
        .routes(routes!(get_incident))
        .routes(routes!(set_task))
        .routes(routes!(hand_over))
        .routes(routes!(close_incident))
        .routes(routes!(get_log))
        .routes(routes!(record_decision))
        .routes(routes!(write_report))
        .routes(routes!(approve_entry))
        .routes(routes!(decline_entry))
        .routes(routes!(set_cadence))
        .routes(routes!(invite_guest))
        .routes(routes!(remove_guest))
}

/// How a plan is activated.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ActivateInput {
    severity: Severity,
    /// A drill: marked as such in the alarm, the channel and the incident.
    #[serde(default)]
    exercise: bool,
}

/// Activates a plan: opens an incident with its channel and checklist and sends the plan's
/// alarm, all in one transaction.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/plans/{id}/activate", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = PlanId, Path)),
    request_body = ActivateInput,
    security(("bearer" = [])),
    responses((status = 201, body = Incident), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ActivateInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let plan: PlanId = parse_id(&id)?;
    let activation = Activation {
        plan,
        severity: input.severity,
        exercise: input.exercise,
        via: Via::Api,
        on_behalf_of: None,
    };
    let incident = use_case::activate(&state.app, &caller.who(), &org, activation).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/incidents/{}", org.slug, incident.id),
        incident,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Ended incidents too.
    #[serde(default)]
    closed: bool,
}

/// The incidents under way (and ended ones with `closed=true`), newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/incidents", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [Incident])))]
async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Incident>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        use_case::incidents(&state.app, &caller.who(), &org, query.closed).await?,
    ))
}

/// An incident with its checklist and every holder of its roles.
#[derive(Debug, Serialize, ToSchema)]
struct IncidentView {
    incident: Incident,
    tasks: Vec<IncidentTask>,
    roles: Vec<RoleHolder>,
    /// The guests' accounts invited to it.
    guests: Vec<AccountId>,
    /// The calls made from the priority list, counted (nobody's details).
    priority_calls: beredskap_core::continuity::priority::CallsSummary,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/incidents/{id}", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = IncidentView), (status = 404, body = ErrorBody)))]
async fn get_incident(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<IncidentView>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let who = caller.who();
    let sheet = use_case::sheet(&state.app, &who, &org, id).await?;
    let priority_calls = beredskap_app::priority_list::summary(&state.app, &who, &org, id).await?;
    Ok(Json(IncidentView {
        incident: sheet.incident,
        tasks: sheet.tasks,
        roles: sheet.roles,
        guests: sheet.guests.iter().map(|a| a.id).collect(),
        priority_calls,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TaskInput {
    done: bool,
}

/// Ticks a task off (`done: true`) or back on.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/tasks/{task}", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path),
        ("task" = TaskId, Path)),
    request_body = TaskInput,
    security(("bearer" = [])),
    responses((status = 200, body = IncidentTask), (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody)))]
async fn set_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, task)): ApiPath<(String, String, String)>,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<Json<IncidentTask>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let task: TaskId = parse_id(&task)?;
    Ok(Json(
        use_case::set_task(&state.app, &caller.who(), &org, id, task, input.done).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct HandOverInput {
    role: Role,
    person: PersonId,
}

/// Hands a role of the incident to a person of the organisation; the hand-over is kept.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/roles", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    request_body = HandOverInput,
    security(("bearer" = [])),
    responses((status = 200, body = RoleHolder), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn hand_over(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<HandOverInput>,
) -> Result<Json<RoleHolder>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    Ok(Json(
        use_case::hand_over(
            &state.app,
            &caller.who(),
            &org,
            id,
            input.role,
            input.person,
        )
        .await?,
    ))
}

/// Ends an incident: its checklist and roles are locked.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/close", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Incident), (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended already", body = ErrorBody)))]
async fn close_incident(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Incident>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    Ok(Json(
        use_case::close(&state.app, &caller.who(), &org, id).await?,
    ))
}

/// An entry of the log as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
struct EntryView {
    #[serde(flatten)]
    entry: LogEntry,
    /// For a report in the shared picture after another: what changed in its conditions,
    /// actions and needs, in that order.
    changes: Option<Vec<SectionChange>>,
}

/// The incident's log: the shared picture, and the entries waiting for the scribe when
/// the caller wrote them, approves them or leads the incident.
#[derive(Debug, Serialize, ToSchema)]
struct LogView {
    entries: Vec<EntryView>,
    /// When the next situation report is due, with a cadence and the incident open.
    report_due: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the caller approves significant entries now.
    approves: bool,
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/incidents/{id}/log", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = LogView), (status = 404, body = ErrorBody)))]
async fn get_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<LogView>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let incident = use_case::sheet(&state.app, &caller.who(), &org, id)
        .await?
        .incident;
    let log = log_use_case::log(&state.app, &caller.who(), &org, &incident).await?;
    Ok(Json(LogView {
        entries: log
            .entries
            .into_iter()
            .map(|e| EntryView {
                entry: e.entry,
                changes: e.changes.map(Vec::from),
            })
            .collect(),
        report_due: log.report_due,
        approves: log.approves,
    }))
}

/// Records a decision: what, who took it, why and when (now when left out). A
/// significant one enters the shared picture once the scribe approves it.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/decisions", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    request_body = DecisionInput,
    security(("bearer" = [])),
    responses((status = 201, body = LogEntry), (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn record_decision(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let entry = log_use_case::record_decision(&state.app, &caller.who(), &org, id, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/incidents/{id}/log", org.slug),
        entry,
    ))
}

/// Writes a situation report: conditions, actions, needs.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/reports", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    request_body = ReportInput,
    security(("bearer" = [])),
    responses((status = 201, body = LogEntry), (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn write_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ReportInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let entry = log_use_case::write_report(&state.app, &caller.who(), &org, id, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/incidents/{id}/log", org.slug),
        entry,
    ))
}

/// Approves a significant entry into the shared picture: the scribe's to do (the lead's
/// while nobody is scribe).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/log/{entry}/approve",
    tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path),
        ("entry" = EntryId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = LogEntry),
        (status = 403, description = "Not the incident's scribe", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody)))]
async fn approve_entry(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, entry)): ApiPath<(String, String, String)>,
) -> Result<Json<LogEntry>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let entry: EntryId = parse_id(&entry)?;
    Ok(Json(
        log_use_case::approve(&state.app, &caller.who(), &org, id, entry).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CadenceInput {
    /// Minutes between situation reports, 0 to 1440; 0 for no reminders.
    #[schema(minimum = 0, maximum = 1440)]
    report_every_minutes: i64,
}

/// Sets how often a situation report is due; the scribe and the lead are reminded when
/// one is late.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/incidents/{id}/cadence", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    request_body = CadenceInput,
    security(("bearer" = [])),
    responses((status = 200, body = Incident), (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_cadence(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<CadenceInput>,
) -> Result<Json<Incident>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    Ok(Json(
        log_use_case::set_cadence(
            &state.app,
            &caller.who(),
            &org,
            id,
            input.report_every_minutes,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GuestInput {
    /// A guest's account of the organisation.
    account: AccountId,
}

/// Invites a guest (from a partner organisation) to the incident: they see it, its log and
/// its channel, and no other incident. Inviting again changes nothing.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/guests", tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    request_body = GuestInput,
    security(("bearer" = [])),
    responses((status = 200, description = "Every guest invited now", body = [AccountId]),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn invite_guest(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<GuestInput>,
) -> Result<Json<Vec<AccountId>>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let who = caller.who();
    use_case::invite_guest(&state.app, &who, &org, id, input.account).await?;
    let sheet = use_case::sheet(&state.app, &who, &org, id).await?;
    Ok(Json(sheet.guests.iter().map(|a| a.id).collect()))
}

/// Takes a guest off the incident and out of its channel (also after it has ended).
/// Removing an account that is not a guest of it changes nothing.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/incidents/{id}/guests/{account}",
    tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path),
        ("account" = AccountId, Path)),
    security(("bearer" = [])),
    responses((status = 200, description = "Every guest invited now", body = [AccountId]),
        (status = 404, body = ErrorBody)))]
async fn remove_guest(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, account)): ApiPath<(String, String, String)>,
) -> Result<Json<Vec<AccountId>>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let account: AccountId = parse_id(&account)?;
    let who = caller.who();
    use_case::remove_guest(&state.app, &who, &org, id, account).await?;
    let sheet = use_case::sheet(&state.app, &who, &org, id).await?;
    Ok(Json(sheet.guests.iter().map(|a| a.id).collect()))
}

/// Sends a significant entry back: it stays out of the shared picture. The scribe's to do
/// (the lead's while nobody is scribe); 409 for one approved already.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/log/{entry}/decline",
    tag = "incidents",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path),
        ("entry" = EntryId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = LogEntry),
        (status = 403, description = "Not the incident's scribe", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Approved already, or the incident has ended", body = ErrorBody)))]
async fn decline_entry(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, entry)): ApiPath<(String, String, String)>,
) -> Result<Json<LogEntry>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let entry: EntryId = parse_id(&entry)?;
    Ok(Json(
        log_use_case::decline(&state.app, &caller.who(), &org, id, entry).await?,
    ))
}
