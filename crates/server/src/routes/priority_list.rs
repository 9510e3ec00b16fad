//! The priority list in the API: the list itself and an incident's calls for the holders
//! of the named positions (every read journaled), who may open it for administrators, and
//! starting and keeping an incident's calls. The same use cases as the pages; the list is
//! imported from a file (`beredskap import priority-list`, or the page).

use super::api::{parse_id, ApiJson, ApiPath};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use beredskap_app::priority_list as use_case;
use beredskap_core::continuity::priority::{
    AccessInput, CallReportInput, CallsSummary, Citizen, PriorityCall, PriorityListInfo,
};
use beredskap_core::register::Scope;
use beredskap_core::{CallId, EntryId, IncidentId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_list))
        .routes(routes!(set_access))
        .routes(routes!(get_calls, start_calls))
        .routes(routes!(report_call))
        .routes(routes!(keep_calls))
}

/// The list, with what is known of it.
#[derive(Debug, Serialize, ToSchema)]
struct ListView {
    info: PriorityListInfo,
    citizens: Vec<Citizen>,
}

/// The whole list, in the file's order: for holders of the named positions only (403 for
/// anyone else); the read is journaled.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/priority-list", tag = "priority list",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = ListView), (status = 403, body = ErrorBody)))]
async fn get_list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<ListView>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let who = caller.who();
    let citizens = use_case::open(&state.app, &who, &org, None).await?;
    let (info, _) = use_case::access(&state.app, &who, &org).await?;
    Ok(Json(ListView { info, citizens }))
}

/// Names the positions whose holders open the list, and the days an ended incident's
/// calls keep their details: an administrator's to set.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/priority-list/access", tag = "priority list",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = AccessInput,
    security(("bearer" = [])),
    responses((status = 200, body = PriorityListInfo), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_access(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<AccessInput>,
) -> Result<Json<PriorityListInfo>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    Ok(Json(
        use_case::set_access(&state.app, &caller.who(), &org, input).await?,
    ))
}

/// The incident's calls with each citizen's details: for holders of the named positions
/// only; the read is journaled.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/incidents/{id}/priority-calls",
    tag = "priority list",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = [PriorityCall]), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_calls(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Vec<PriorityCall>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    Ok(Json(
        use_case::calls(&state.app, &caller.who(), &org, id).await?,
    ))
}

/// Makes a call of every citizen on the list for the incident: for whoever leads incidents
/// or holds a named position. Once; asking again changes nothing.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/priority-calls",
    tag = "priority list",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = CallsSummary), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody),
        (status = 422, description = "The list is empty", body = ErrorBody)))]
async fn start_calls(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<CallsSummary>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    Ok(Json(
        use_case::start_calls(&state.app, &caller.who(), &org, id).await?,
    ))
}

/// Records what came of a call (again after a first try): for holders of the named
/// positions.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/priority-calls/{call}",
    tag = "priority list",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path),
        ("call" = CallId, Path)),
    request_body = CallReportInput,
    security(("bearer" = [])),
    responses((status = 200, body = PriorityCall), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn report_call(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, call)): ApiPath<(String, String, String)>,
    ApiJson(input): ApiJson<CallReportInput>,
) -> Result<Json<PriorityCall>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    let call: CallId = parse_id(&call)?;
    Ok(Json(
        use_case::report_call(&state.app, &caller.who(), &org, id, call, input).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct KeepInput {
    /// A decision in the incident's shared picture.
    decision: EntryId,
}

/// Keeps the calls' details past the purge, by a decision in the incident's log.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/incidents/{id}/priority-calls/keep",
    tag = "priority list",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = IncidentId, Path)),
    request_body = KeepInput,
    security(("bearer" = [])),
    responses((status = 200, body = CallsSummary), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The calls have been purged", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn keep_calls(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<KeepInput>,
) -> Result<Json<CallsSummary>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: IncidentId = parse_id(&id)?;
    Ok(Json(
        use_case::keep_calls(&state.app, &caller.who(), &org, id, input.decision).await?,
    ))
}
