//! Alert templates in the API: kept, previewed (whom they reach on which channels) and
//! sent as the alert they hold.

use super::api::{created, parse_id, ApiJson, ApiPath};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use beredskap_app::alert_templates::{self, TemplatePreview};
use beredskap_core::alert_templates::{AlertTemplate, TemplateInput};
use beredskap_core::alerting::Alert;
use beredskap_core::register::Scope;
use beredskap_core::AlertTemplateId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(preview_template, save_template, delete_template))
        .routes(routes!(send_template))
}

/// The organisation's alert templates, by name (crisis leads and administrators).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/alert-templates", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [AlertTemplate]), (status = 403, body = ErrorBody)))]
async fn list_templates(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<AlertTemplate>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        alert_templates::list(&state.app, &caller.who(), &org).await?,
    ))
}

/// Saves an alert as a template: checked as sending it would be, its recipients the
/// organisation's. The name is unique in the organisation (in any case).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/alert-templates", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = TemplateInput,
    security(("bearer" = [])),
    responses((status = 201, body = AlertTemplate), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let saved = alert_templates::save(&state.app, &caller.who(), &org, None, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/alert-templates/{}", org.slug, saved.id),
        saved,
    ))
}

/// A template and whom it would reach if sent now: how many people, on which channels,
/// and who cannot be reached. Nothing is sent.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/alert-templates/{id}", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Template id")),
    security(("bearer" = [])),
    responses((status = 200, body = TemplatePreview), (status = 404, body = ErrorBody)))]
async fn preview_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<TemplatePreview>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: AlertTemplateId = parse_id(&id)?;
    Ok(Json(
        alert_templates::preview(&state.app, &caller.who(), &org, id).await?,
    ))
}

/// Saves a new version of a template. With `version`, refused (409) if it has been saved
/// since that version.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/alert-templates/{id}", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Template id")),
    request_body = TemplateInput,
    security(("bearer" = [])),
    responses((status = 200, body = AlertTemplate), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn save_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<Json<AlertTemplate>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: AlertTemplateId = parse_id(&id)?;
    Ok(Json(
        alert_templates::save(&state.app, &caller.who(), &org, Some(id), input).await?,
    ))
}

/// Deletes a template (journaled with its name).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/alert-templates/{id}", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Template id")),
    security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: AlertTemplateId = parse_id(&id)?;
    alert_templates::delete(&state.app, &caller.who(), &org, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendTemplateInput {
    /// The version the sender previewed; if the template has been saved since, nothing
    /// is sent (409).
    pub version: i64,
}

/// Sends the alert a template holds, as `POST …/alerts` would.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/alert-templates/{id}/send", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Template id")),
    request_body = SendTemplateInput,
    security(("bearer" = [])),
    responses((status = 201, body = Alert), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn send_template(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<SendTemplateInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: AlertTemplateId = parse_id(&id)?;
    let alert = alert_templates::send(&state.app, &caller.who(), &org, id, input.version).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/alerts/{}", org.slug, alert.id),
        alert,
    ))
}
