//! The status page's notices in the API: list them, publish one (from an incident or on
//! its own), read one, and add an update. The same use cases as the pages; the public
//! page and its feeds are at `/status/{org}`.

use super::api::{created, parse_id, ApiJson, ApiPath, ApiQuery};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use beredskap_app::status as use_case;
use beredskap_core::continuity::notices::{Notice, PublishInput, UpdateInput};
use beredskap_core::continuity::press::{PressRelease, PressReleaseInput};
use beredskap_core::continuity::subscriptions::SubscriberCounts;
use beredskap_core::register::Scope;
use beredskap_core::NoticeId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, publish))
        .routes(routes!(get_notice))
        .routes(routes!(update))
        .routes(routes!(press_releases, publish_press_release))
        .routes(routes!(press_release_draft))
        .routes(routes!(subscribers))
        .routes(routes!(erase_subscriber))
}

/// The notices the status page shows: open ones, and those ended in the last week; newest
/// first, each with its updates.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/notices", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Notice]), (status = 403, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Notice>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        use_case::notices(&state.app, &caller.who(), &org).await?,
    ))
}

/// Publishes a notice on the status page at once. From an incident it is marked as an
/// exercise when the incident is one; an ended incident publishes no new notice (409).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/notices", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = PublishInput,
    security(("bearer" = [])),
    responses((status = 201, body = Notice), (status = 403, body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 409, description = "The incident has ended", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<PublishInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let notice = use_case::publish_notice(
        &state.app,
        &caller.who(),
        &org,
        input.incident,
        input.kind,
        &input.first(),
    )
    .await?;
    Ok(created(
        format!("/api/v1/orgs/{}/notices/{}", org.slug, notice.id),
        notice,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/notices/{id}", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = NoticeId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Notice), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_notice(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Notice>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: NoticeId = parse_id(&id)?;
    Ok(Json(
        use_case::notice(&state.app, &caller.who(), &org, id).await?,
    ))
}

/// Adds an update: the whole notice as it should now read. `resolved` (or `completed`
/// for maintenance) ends it; an ended notice takes no more updates (409).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/notices/{id}/updates", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = NoticeId, Path)),
    request_body = UpdateInput,
    security(("bearer" = [])),
    responses((status = 200, body = Notice), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The notice has ended", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<UpdateInput>,
) -> Result<Json<Notice>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: NoticeId = parse_id(&id)?;
    Ok(Json(
        use_case::update_notice(&state.app, &caller.who(), &org, id, &input).await?,
    ))
}

/// The newest press releases, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/press-releases", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [PressRelease]), (status = 403, body = ErrorBody)))]
async fn press_releases(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<PressRelease>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        use_case::press_releases(&state.app, &caller.who(), &org).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DraftQuery {
    /// The incident it is about, if any.
    incident: Option<beredskap_core::IncidentId>,
    /// sv, da, nb or en; the organisation's language by default.
    #[param(pattern = "^(sv|da|nb|en)$")]
    lang: Option<String>,
}

/// The template filled in with what is known, to edit and send back to publish. Nothing
/// is saved.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/press-releases/draft", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug"), DraftQuery),
    security(("bearer" = [])),
    responses((status = 200, body = PressReleaseInput), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn press_release_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<DraftQuery>,
) -> Result<Json<PressReleaseInput>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let lang = match query.lang.as_deref() {
        Some(code) => beredskap_i18n::Lang::from_code(code)
            .ok_or_else(|| AppError::invalid("lang", beredskap_core::Problem::NotALanguage))?,
        None => beredskap_i18n::Lang::parse(org.language_code())
            .unwrap_or_else(beredskap_i18n::Lang::fallback),
    };
    let status_url = format!(
        "{}/status/{}",
        state.config.public_url().trim_end_matches('/'),
        org.slug
    );
    Ok(Json(
        use_case::press_release_draft(
            &state.app,
            &caller.who(),
            &org,
            query.incident,
            lang,
            &status_url,
        )
        .await?,
    ))
}

/// Publishes a press release on the status page and in its feeds at once, as written;
/// marked as an exercise when its incident is one. `200`, not `201`: a press release has
/// no address of its own to send with it (it is read in the list).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/press-releases", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = PressReleaseInput,
    security(("bearer" = [])),
    responses((status = 200, body = PressRelease), (status = 403, body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn publish_press_release(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<PressReleaseInput>,
) -> Result<Json<PressRelease>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    Ok(Json(
        use_case::publish_press_release(&state.app, &caller.who(), &org, &input).await?,
    ))
}

/// How many subscribe to the notices, per channel and per service; no addresses.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/subscribers", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = SubscriberCounts), (status = 403, body = ErrorBody)))]
async fn subscribers(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<SubscriberCounts>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        beredskap_app::subscriptions::counts(&state.app, &caller.who(), &org).await?,
    ))
}

/// An address whose owner asked for their data to be deleted.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseInput {
    /// `email` or `sms`.
    #[schema(pattern = "^(email|sms)$")]
    pub channel: String,
    /// As the owner gives it: an email address, or a mobile number.
    pub address: String,
}

/// What an erasure removed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// Subscriptions and unconfirmed requests deleted (0 when the address had none).
    pub erased: u32,
}

/// Deletes everything kept about an address (its subscription, requests and messages), as
/// its owner asked by phone or letter. Journaled without the address.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/subscribers/erase", tag = "status page",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = EraseInput,
    security(("bearer" = [])),
    responses((status = 200, body = Erased), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn erase_subscriber(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<EraseInput>,
) -> Result<Json<Erased>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let erased = beredskap_app::subscriptions::erase(
        &state.app,
        &caller.who(),
        &org,
        &input.channel,
        &input.address,
    )
    .await?;
    Ok(Json(Erased { erased }))
}
