//! The overview of what is affected, in the API: the organisation's services with their
//! state, kept by crisis leads and administrators, and a service's state set in one call.

use super::api::{created, parse_id, ApiJson, ApiPath};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use beredskap_app::services as use_case;
use beredskap_core::continuity::services::{Service, ServiceInput, StatusInput};
use beredskap_core::register::Scope;
use beredskap_core::ServiceId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_services, add_service))
        .routes(routes!(get_service, change_service, retire_service))
        .routes(routes!(set_status))
}

/// The services in use, in the list's order, each with its state now.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/services", tag = "services",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Service])))]
async fn list_services(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Service>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        use_case::services(&state.app, &caller.who(), &org).await?,
    ))
}

/// Adds a service to the list, in the state `unknown`. A name is unique among the
/// services in use, ignoring case.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/services", tag = "services",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = ServiceInput,
    security(("bearer" = [])),
    responses((status = 201, body = Service), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<ServiceInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let service = use_case::add_service(&state.app, &caller.who(), &org, &input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/services/{}", org.slug, service.id),
        service,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/services/{id}", tag = "services",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ServiceId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody)))]
async fn get_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Service>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: ServiceId = parse_id(&id)?;
    Ok(Json(
        use_case::service(&state.app, &caller.who(), &org, id).await?,
    ))
}

/// Replaces a service's name, owner and alternative; its state stays.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/services/{id}", tag = "services",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ServiceId, Path)),
    request_body = ServiceInput,
    security(("bearer" = [])),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ServiceInput>,
) -> Result<Json<Service>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: ServiceId = parse_id(&id)?;
    Ok(Json(
        use_case::change_service(&state.app, &caller.who(), &org, id, &input).await?,
    ))
}

/// Takes a service off the list; its history stays for the reports of past incidents.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/services/{id}", tag = "services",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ServiceId, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn retire_service(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: ServiceId = parse_id(&id)?;
    use_case::retire_service(&state.app, &caller.who(), &org, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a service's state. `impact` and `workaround` left out keep the ones it has; an
/// empty string clears them. Journaled and kept in the service's history.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/services/{id}/status", tag = "services",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ServiceId, Path)),
    request_body = StatusInput,
    security(("bearer" = [])),
    responses((status = 200, body = Service), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<StatusInput>,
) -> Result<Json<Service>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: ServiceId = parse_id(&id)?;
    Ok(Json(
        use_case::set_status(&state.app, &caller.who(), &org, id, &input).await?,
    ))
}
