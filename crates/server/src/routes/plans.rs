//! Continuity plans in the API: read them (newest version, with the last approval) and
//! get one version as the YAML file the pages and `beredskap import plan` take.

use super::api::{parse_id, ApiPath, ApiQuery};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use beredskap_app::plans as use_case;
use beredskap_core::continuity::plans::{Plan, PlanDocument};
use beredskap_core::register::Scope;
use beredskap_core::PlanId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plans))
        .routes(routes!(get_plan))
        .routes(routes!(plan_yaml))
}

/// The organisation's plans, each in its newest version with its last approval.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/plans", tag = "plans",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Plan])))]
async fn list_plans(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Plan>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        use_case::plans(&state.app, &caller.who(), &org).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/plans/{id}", tag = "plans",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = PlanId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)))]
async fn get_plan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Plan>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: PlanId = parse_id(&id)?;
    Ok(Json(
        use_case::plan(&state.app, &caller.who(), &org, id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct VersionQuery {
    /// An earlier version; the newest when left out.
    #[param(minimum = 1)]
    version: Option<i64>,
}

/// One version of a plan as YAML.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/plans/{id}/plan.yaml", tag = "plans",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = PlanId, Path),
        VersionQuery),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/yaml", body = PlanDocument,
            description = "The plan's file: the document, as YAML"),
        (status = 404, body = ErrorBody)))]
async fn plan_yaml(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> Result<Response, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: PlanId = parse_id(&id)?;
    let (_, yaml) =
        use_case::export_yaml(&state.app, &caller.who(), &org, id, query.version).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        yaml,
    )
        .into_response())
}
