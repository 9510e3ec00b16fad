//! Bulk activation in the API: the preview (who gets a link on which channel, who cannot
//! be reached and why), starting a batch, and following it (sent, waiting, activated).

use super::api::{created, parse_id, ApiJson, ApiPath};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use beredskap_app::activation;
use beredskap_core::activation::{ActivationBatch, ActivationBatchId, SendStatus};
use beredskap_core::register::{ContactKind, Scope};
use beredskap_core::{GroupId, PersonId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_batches, start_batch))
        .routes(routes!(preview_batch))
        .routes(routes!(get_batch))
}

/// Whose links: a group's people, or (without `group`) the whole register.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivationInput {
    #[serde(default)]
    pub group: Option<GroupId>,
}

/// Someone who would get no link, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreachablePerson {
    pub name: String,
    /// `no_address` (no mobile number or private email in the register), `no_provider`
    /// (no SMS or email service for it), `no_login` (no email to sign in with) or
    /// `login_taken` (the address is another account's login).
    pub reason: &'static str,
}

/// What starting a batch would do now; nothing is sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivationPreview {
    pub by_sms: u32,
    pub by_email: u32,
    /// People who have activated an account already.
    pub already_active: u32,
    /// People whose link from an earlier batch is still waiting to be sent.
    pub on_the_way: u32,
    pub unreachable: Vec<UnreachablePerson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Batch {
    pub id: ActivationBatchId,
    /// None for the whole register.
    pub group_id: Option<GroupId>,
    pub started_at: DateTime<Utc>,
    pub started_by: Option<PersonId>,
}

impl From<ActivationBatch> for Batch {
    fn from(b: ActivationBatch) -> Self {
        Batch {
            id: b.id,
            group_id: b.group_id,
            started_at: b.started_at,
            started_by: b.started_by,
        }
    }
}

/// One person's link.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchLine {
    pub person_id: PersonId,
    pub name: String,
    /// `waiting`, `sent`, `unreachable` or `failed`.
    pub status: &'static str,
    /// Why they were not reached (as in the preview), for `unreachable`.
    pub reason: Option<&'static str>,
    pub channel: Option<ContactKind>,
    /// The address, masked (`+46 70… 67`).
    pub address: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The provider's last error, for `failed` (or a retry still to come).
    pub error: Option<String>,
    /// Whether they have activated their account (chosen a password), now.
    pub activated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchProgress {
    pub batch: Batch,
    pub group_name: Option<String>,
    pub sent: u32,
    pub waiting: u32,
    pub unreachable: u32,
    pub failed: u32,
    pub activated: u32,
    /// Everyone in the batch, by name.
    pub people: Vec<BatchLine>,
}

/// What a batch for a group (or the whole register) would do now: how many get a link by
/// SMS and by email, and who cannot be reached and why (administrators).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/activations/preview", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = ActivationInput,
    security(("bearer" = [])),
    responses((status = 200, body = ActivationPreview), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn preview_batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<ActivationInput>,
) -> Result<Json<ActivationPreview>, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    let p = activation::preview(
        &state.app,
        &caller.who(),
        &state.notifier,
        &org,
        input.group,
    )
    .await?;
    Ok(Json(ActivationPreview {
        by_sms: p.by_sms,
        by_email: p.by_email,
        already_active: p.already_active,
        on_the_way: p.on_the_way,
        unreachable: p
            .unreachable
            .into_iter()
            .map(|(name, why)| UnreachablePerson {
                name,
                reason: why.as_str(),
            })
            .collect(),
    }))
}

/// Starts a batch: accounts (members) for those without one, and their links queued for
/// the delivery worker, which makes each link's secret as it hands it over. Refused (422
/// on `group`) when it would send no link (administrators).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/activations", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = ActivationInput,
    security(("bearer" = [])),
    responses((status = 201, body = Batch), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn start_batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<ActivationInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    let batch = activation::start(
        &state.app,
        &caller.who(),
        &state.notifier,
        &org,
        input.group,
    )
    .await?;
    Ok(created(
        format!("/api/v1/orgs/{}/activations/{}", org.slug, batch.id),
        Batch::from(batch),
    ))
}

/// The organisation's batches, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/activations", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Batch]), (status = 403, body = ErrorBody)))]
async fn list_batches(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Batch>>, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    Ok(Json(
        activation::batches(&state.app, &caller.who(), &org)
            .await?
            .into_iter()
            .map(Batch::from)
            .collect(),
    ))
}

/// A batch's progress: sent, waiting, not reached, failed and activated, with a line per
/// person (administrators).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/activations/{id}", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Batch id")),
    security(("bearer" = [])),
    responses((status = 200, body = BatchProgress), (status = 404, body = ErrorBody)))]
async fn get_batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<BatchProgress>, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    let id: ActivationBatchId = parse_id(&id)?;
    let p = activation::progress(&state.app, &caller.who(), &org, id).await?;
    let count = |wanted: fn(&SendStatus) -> bool| u32::try_from(p.count(wanted)).unwrap_or(0);
    let progress = BatchProgress {
        sent: count(|s| *s == SendStatus::Sent),
        waiting: count(|s| *s == SendStatus::Waiting),
        unreachable: count(|s| matches!(s, SendStatus::Unreachable(_))),
        failed: count(|s| *s == SendStatus::Failed),
        activated: u32::try_from(p.activated()).unwrap_or(0),
        group_name: p.group_name.clone(),
        batch: Batch::from(p.batch.clone()),
        people: p
            .sends
            .iter()
            .map(|(name, s)| BatchLine {
                person_id: s.person_id,
                name: name.clone(),
                status: match s.status {
                    SendStatus::Waiting => "waiting",
                    SendStatus::Sent => "sent",
                    SendStatus::Unreachable(_) => "unreachable",
                    SendStatus::Failed => "failed",
                },
                reason: match s.status {
                    SendStatus::Unreachable(why) => Some(why.as_str()),
                    _ => None,
                },
                channel: s.channel,
                address: s.address.as_deref().map(beredskap_app::sign_in::masked),
                sent_at: s.sent_at,
                error: s.last_error.clone(),
                activated: s.activated,
            })
            .collect(),
    };
    Ok(Json(progress))
}
