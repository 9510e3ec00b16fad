//! The alerting API: send, follow and close alerts, answer them, and the signed webhooks
//! by which an SMS gateway brings replies and delivery reports.

use super::api::{created, parse_id, ApiJson, ApiPath, ApiQuery};
use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use beredskap_app::alerts::{self, RosterLine};
use beredskap_core::alerting::{
    Alert, AlertInput, AlertStatus, AlertSummary, ReplyOutcome, RosterQuery,
};
use beredskap_core::register::Scope;
use beredskap_core::Problem;
use beredskap_core::{AlertId, OrgId};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts, send_alert))
        .routes(routes!(open_alerts))
        .routes(routes!(get_alert))
        .routes(routes!(roster_csv))
        .routes(routes!(answer_alert))
        .routes(routes!(close_alert))
        .routes(routes!(start_contact_check))
        .routes(routes!(readiness))
        .routes(routes!(get_rotation, set_rotation))
        .routes(routes!(add_override))
        .routes(routes!(sms_reply))
        .routes(routes!(sms_delivered))
}

/// Sends an alert (crisis leads and administrators). Recipients are resolved, every
/// delivery is planned and all of it is committed before this answers.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/alerts", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = AlertInput,
    security(("bearer" = [])),
    responses((status = 201, body = Alert), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn send_alert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<AlertInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let alert = alerts::send(&state.app, &caller.who(), &org, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/alerts/{}", org.slug, alert.id),
        alert,
    ))
}

/// The newest alerts, with how many were alerted, answered and could not be reached.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/alerts", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [AlertSummary])))]
async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<AlertSummary>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        alerts::list(&state.app, &caller.who(), org.id, 100).await?,
    ))
}

/// The caller's own active alerts that they have not answered yet.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/alerts/open", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Alert])))]
async fn open_alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Alert>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        alerts::open_for_me(&state.app, &caller.who(), org.id).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    pub alert: Alert,
    /// Recipients planned so far (`alert.unplanned` more are to come).
    pub recipients: u32,
    /// How many recipients are in each state that has any.
    pub states: Vec<StateCount>,
    /// One page of the roster: those still to reach first, then by name.
    pub roster: Vec<RosterLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateCount {
    pub state: alerts::RecipientState,
    pub recipients: u32,
}

/// Which page of the roster: those in `state` (everyone without it), `limit` lines (100
/// unless given, at most 1,000) from `offset`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterPageQuery {
    pub state: Option<alerts::RecipientState>,
    #[param(minimum = 0, maximum = 2147483647)]
    pub offset: Option<u32>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// An alert and a page of its live roster: for each recipient sent / delivered / seen /
/// answered, by which channel and when, with the answer; with how many are in each state.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/alerts/{id}", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Alert id"), RosterPageQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AlertDetail), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn get_alert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<RosterPageQuery>,
) -> Result<Json<AlertDetail>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: AlertId = parse_id(&id)?;
    let view = alerts::roster_page(
        &state.app,
        &caller.who(),
        org.id,
        id,
        RosterQuery {
            states: page.state.into_iter().collect(),
            offset: page.offset.unwrap_or(0),
            limit: page.limit.unwrap_or(alerts::ROSTER_PAGE),
        },
    )
    .await?;
    Ok(Json(AlertDetail {
        recipients: view.counts.total(),
        states: view
            .counts
            .by_state
            .iter()
            .map(|(state, n)| StateCount {
                state: *state,
                recipients: *n,
            })
            .collect(),
        alert: view.alert,
        roster: view.lines,
    }))
}

/// The roster as CSV (UTF-8, one line per recipient, times in UTC).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/alerts/{id}/roster.csv", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Alert id")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn roster_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Response, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: AlertId = parse_id(&id)?;
    crate::http::alert_roster_csv(&state, &caller.who(), &org, id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// One of the alert's options; leave out to acknowledge.
    #[serde(default)]
    pub answer: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerResult {
    /// False if an earlier answer already stood (the first answer counts).
    pub recorded: bool,
}

/// Answers an alert sent to the caller. Every pending step for them stops.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/alerts/{id}/answer", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Alert id")),
    request_body = AnswerInput,
    security(("bearer" = [])),
    responses((status = 200, body = AnswerResult), (status = 404, body = ErrorBody),
        (status = 409, description = "The alert is closed", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn answer_alert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> Result<Json<AnswerResult>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: AlertId = parse_id(&id)?;
    let recorded = alerts::answer(
        &state.app,
        &caller.who(),
        &org,
        id,
        caller.account.person_id,
        input.answer,
        "web",
    )
    .await?;
    Ok(Json(AnswerResult { recorded }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    pub status: ClosedAs,
}

/// How an alert ends.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClosedAs {
    Resolved,
    Cancelled,
}

impl From<ClosedAs> for AlertStatus {
    fn from(c: ClosedAs) -> Self {
        match c {
            ClosedAs::Resolved => AlertStatus::Resolved,
            ClosedAs::Cancelled => AlertStatus::Cancelled,
        }
    }
}

/// Resolves or cancels an alert: pending steps stop and everyone it reached is told.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/alerts/{id}/close", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Alert id")),
    request_body = CloseInput,
    security(("bearer" = [])),
    responses((status = 200, body = Alert), (status = 403, body = ErrorBody),
        (status = 409, description = "The alert is already closed", body = ErrorBody)))]
async fn close_alert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<CloseInput>,
) -> Result<Json<Alert>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: AlertId = parse_id(&id)?;
    Ok(Json(
        alerts::close(&state.app, &caller.who(), &org, id, input.status.into()).await?,
    ))
}

/// Checks who sent an SMS webhook, in whichever way the gateway can sign:
/// - `X-Twilio-Signature`, with a configured Twilio provider's auth token;
/// - HTTP basic authentication with `webhook_secret` as the password (46elks cannot sign,
///   but calls a URL with credentials in it);
/// - `X-Beredskap-Signature` with `webhook_secret` (any other gateway).
///
/// 404 when SMS is not configured; 401 when the request is not from the gateway.
fn verified_form(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
    path: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let providers: Vec<&crate::config::SmsConfig> =
        [&state.config.sms, &state.config.sms_secondary]
            .into_iter()
            .flatten()
            .collect();
    if providers.is_empty() {
        return Err(AppError::NotFound);
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let refused = |reason: &str| {
        tracing::warn!(%reason, "SMS webhook refused");
        AppError::Unauthorized
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let secret = providers
        .iter()
        .find_map(|p| p.webhook_secret.as_ref())
        .map(|s| s.expose_secret().as_bytes().to_vec());
    if let Some(signature) = header("x-twilio-signature") {
        let url = format!("{}{path}", state.config.public_url());
        let matches = providers
            .iter()
            .filter(|p| p.provider == crate::config::SmsProviderKind::Twilio)
            .filter_map(|p| p.password.as_ref())
            .any(|token| {
                let expected = crate::notify::signatures::twilio_signature(
                    token.expose_secret().as_bytes(),
                    &url,
                    &form,
                );
                crate::credentials::constant_time_eq(expected.as_bytes(), signature.as_bytes())
            });
        return match matches {
            true => Ok(form),
            false => Err(refused("the Twilio signature does not match")),
        };
    }
    let secret = secret.ok_or_else(|| refused("no webhook_secret is configured"))?;
    if let Some(basic) = header("authorization").and_then(|v| v.strip_prefix("Basic ")) {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .map_err(|_| refused("unreadable basic authentication"))?;
        let password = decoded
            .iter()
            .position(|b| *b == b':')
            .map(|at| &decoded[at + 1..])
            .unwrap_or_default();
        return match crate::credentials::constant_time_eq(password, &secret) {
            true => Ok(form),
            false => Err(refused("wrong webhook password")),
        };
    }
    crate::notify::signatures::verify_webhook(
        &secret,
        header("x-beredskap-signature"),
        body,
        state.clock.now(),
    )
    .map_err(refused)?;
    Ok(form)
}

fn field<'f>(form: &'f [(String, String)], names: &[&str]) -> Option<&'f str> {
    form.iter()
        .find(|(k, _)| names.contains(&k.as_str()))
        .map(|(_, v)| v.as_str())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyResult {
    /// An active alert was sent to this number and is not yet answered.
    pub matched: bool,
    /// The text was read as an answer.
    pub understood: bool,
    /// It was the person's first answer and is recorded.
    pub recorded: bool,
    /// The text activated a plan (`AKTIVERA <plan> <PIN>` from a crisis lead's number).
    pub activated: bool,
}

/// An SMS reply, from the gateway: a form with `from` and `message` (46elks' names;
/// Twilio's `From` and `Body` also do), signed with `X-Twilio-Signature`, basic
/// authentication with `webhook_secret`, or `X-Beredskap-Signature`. The reply answers the
/// newest active alert sent to that number.
#[utoipa::path(post, path = "/api/v1/hooks/sms/reply", tag = "alerts",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = ReplyResult), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn sms_reply(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ReplyResult>, AppError> {
    let form = verified_form(&state, &headers, &body, "/api/v1/hooks/sms/reply")?;
    let from = field(&form, &["from", "From"]).ok_or_else(|| missing("from"))?;
    let to = field(&form, &["to", "To"]);
    let text = field(&form, &["message", "Body"]).ok_or_else(|| missing("message"))?;
    // `AKTIVERA <plan> <PIN>` activates a plan; anything else is a reply to an alert.
    let sms = beredskap_app::incidents::SmsInput {
        from: from.trim(),
        to,
        text,
        site: state.links.base(),
    };
    let activation = beredskap_app::incidents::activate_by_sms(
        &state.app,
        &beredskap_app::Caller::System,
        &state.sign_in.hashing,
        sms,
    )
    .await?;
    match activation {
        beredskap_app::incidents::SmsActivation::NotACommand => {}
        beredskap_app::incidents::SmsActivation::Refused {
            answer,
            from: sender,
        } => {
            answer_sms(&state, from.trim(), answer, sender).await;
            return Ok(Json(ReplyResult {
                matched: false,
                understood: false,
                recorded: false,
                activated: false,
            }));
        }
        beredskap_app::incidents::SmsActivation::Activated {
            answer,
            from: sender,
            ..
        } => {
            answer_sms(&state, from.trim(), answer, sender).await;
            return Ok(Json(ReplyResult {
                matched: false,
                understood: true,
                recorded: true,
                activated: true,
            }));
        }
    }
    let outcome = alerts::answer_by_reply(
        &state.app,
        &beredskap_app::Caller::System,
        from.trim(),
        to,
        text,
    )
    .await?;
    let matched = match outcome {
        ReplyOutcome::Matched(m) => m,
        ReplyOutcome::Unmatched => {
            return Ok(Json(ReplyResult {
                matched: false,
                understood: false,
                recorded: false,
                activated: false,
            }))
        }
        ReplyOutcome::Ambiguous { orgs } => {
            explain_ambiguous_reply(&state, &orgs, from.trim(), to).await;
            return Ok(Json(ReplyResult {
                matched: false,
                understood: false,
                recorded: false,
                activated: false,
            }));
        }
    };
    if !matched.understood {
        explain_reply(&state, &matched, from.trim()).await;
    }
    Ok(Json(ReplyResult {
        matched: true,
        understood: matched.understood,
        recorded: matched.answered,
        activated: false,
    }))
}

fn missing(name: &str) -> AppError {
    AppError::Invalid(beredskap_core::FieldErrors::single(name, Problem::Missing))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResult {
    /// A delivery with this provider id was found.
    pub known: bool,
}

/// A delivery report from the gateway: a form with `id` (the provider's message id) and
/// `status`; only `delivered` is recorded. Signed like replies.
#[utoipa::path(post, path = "/api/v1/hooks/sms/delivered", tag = "alerts",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = ReportResult), (status = 401, body = ErrorBody)))]
async fn sms_delivered(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ReportResult>, AppError> {
    let form = verified_form(&state, &headers, &body, "/api/v1/hooks/sms/delivered")?;
    let id = field(&form, &["id", "MessageSid"]).ok_or_else(|| missing("id"))?;
    let status = field(&form, &["status", "MessageStatus"]).unwrap_or_default();
    if status != "delivered" {
        return Ok(Json(ReportResult { known: false }));
    }
    // Twilio names its fields its own way; any other report is the primary provider's.
    let provider = match field(&form, &["MessageSid"]) {
        Some(_) => "twilio",
        None => state
            .notifier
            .sms
            .as_ref()
            .map(|p| p.name())
            .unwrap_or_default(),
    };
    let known = state
        .store
        .delivery_report(provider, id, state.clock.now())
        .await?;
    Ok(Json(ReportResult { known }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotationView {
    pub rotation: Option<beredskap_core::rotation::Rotation>,
    pub overrides: Vec<beredskap_core::rotation::Override>,
    /// Who an alert to the position reaches now, in order: on call first, then deputies.
    pub holders_now: Vec<beredskap_core::PersonId>,
    /// Who is on call over the next eight weeks.
    pub shifts: Vec<beredskap_core::rotation::Shift>,
    /// A secret address calendar apps can subscribe to (iCalendar).
    pub calendar_url: String,
}

async fn position_of(
    state: &AppState,
    org: &beredskap_core::register::Org,
    id: &str,
) -> Result<beredskap_core::register::Position, AppError> {
    let id: beredskap_core::PositionId = parse_id(id)?;
    state
        .store
        .list_positions(org.id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)
}

/// A position's rotation, overrides, who is on call now and the weeks ahead.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/positions/{id}/rotation", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Position id")),
    security(("bearer" = [])),
    responses((status = 200, body = RotationView), (status = 404, body = ErrorBody)))]
async fn get_rotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<RotationView>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let position = position_of(&state, &org, &id).await?;
    let (rotation, overrides) =
        beredskap_app::rotations::schedule(&state.app, &caller.who(), &org, &position).await?;
    let now = state.clock.now();
    Ok(Json(RotationView {
        holders_now: beredskap_core::rotation::holders_at(
            &position,
            rotation.as_ref(),
            &overrides,
            now,
        ),
        shifts: beredskap_core::rotation::shifts(
            rotation.as_ref(),
            &overrides,
            now,
            now + chrono::Duration::weeks(8),
        ),
        calendar_url: state.links.calendar_url(position.id),
        rotation,
        overrides,
    }))
}

/// Puts a position on a weekly (or other) rotation, replacing the one it had.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/positions/{id}/rotation", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Position id")),
    request_body = beredskap_core::rotation::RotationInput,
    security(("bearer" = [])),
    responses((status = 200, body = beredskap_core::rotation::Rotation),
        (status = 422, body = ErrorBody)))]
async fn set_rotation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<beredskap_core::rotation::RotationInput>,
) -> Result<Json<beredskap_core::rotation::Rotation>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let position = position_of(&state, &org, &id).await?;
    Ok(Json(
        beredskap_app::rotations::set_rotation(&state.app, &caller.who(), &org, &position, input)
            .await?,
    ))
}

/// Puts someone else on call for a while (illness, a swap).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/positions/{id}/overrides", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Position id")),
    request_body = beredskap_core::rotation::OverrideInput,
    security(("bearer" = [])),
    responses((status = 201, body = beredskap_core::rotation::Override),
        (status = 422, body = ErrorBody)))]
async fn add_override(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<beredskap_core::rotation::OverrideInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let position = position_of(&state, &org, &id).await?;
    let o =
        beredskap_app::rotations::add_override(&state.app, &caller.who(), &org, &position, input)
            .await?;
    Ok(created(
        format!(
            "/api/v1/orgs/{}/positions/{}/rotation",
            org.slug, position.id
        ),
        o,
    ))
}

/// The calendar feed behind a rotation's secret address: `/calendar/{token}.ics`.
pub async fn calendar_feed(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, AppError> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let id = state
        .links
        .verify_calendar(token)
        .ok_or(AppError::NotFound)?;
    let (org, position) = find_position(&state, id).await?;
    let rotation = state.store.rotation(org.id, position.id).await?;
    let overrides = state.store.overrides(org.id, position.id).await?;
    let names = alerts::names(state.store.as_ref(), org.id).await?;
    let body = crate::rotations::ical(
        &position,
        rotation.as_ref(),
        &overrides,
        &names,
        state.clock.now(),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// A position by id alone (the calendar token names no organisation).
async fn find_position(
    state: &AppState,
    id: beredskap_core::PositionId,
) -> Result<
    (
        beredskap_core::register::Org,
        beredskap_core::register::Position,
    ),
    AppError,
> {
    for org in state.store.list_orgs().await? {
        if let Some(p) = state
            .store
            .list_positions(org.id)
            .await?
            .into_iter()
            .find(|p| p.id == id)
        {
            return Ok((org, p));
        }
    }
    Err(AppError::NotFound)
}

/// Starts a contact check: everyone named gets a message on every contact point they have,
/// each with a link that confirms that point. Follow it like an alert (its roster).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/contact-checks", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = beredskap_core::alerting::ContactCheckInput,
    security(("bearer" = [])),
    responses((status = 201, body = Alert), (status = 422, body = ErrorBody)))]
async fn start_contact_check(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<beredskap_core::alerting::ContactCheckInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let check = alerts::start_contact_check(&state.app, &caller.who(), &org, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/alerts/{}", org.slug, check.id),
        check,
    ))
}

/// How an alert (or drill) went: time to first answer, share answered within 5, 15 and
/// 60 minutes, and who was not reached and why.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/alerts/{id}/readiness", tag = "alerts",
    params(("org" = String, Path, description = "Organisation slug"),
        ("id" = String, Path, description = "Alert id")),
    security(("bearer" = [])),
    responses((status = 200, body = alerts::Readiness)))]
async fn readiness(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<alerts::Readiness>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: AlertId = parse_id(&id)?;
    let (_, report) = alerts::readiness_of(
        &state.app,
        &caller.who(),
        org.id,
        id,
        alerts::READINESS_NAMES,
    )
    .await?;
    Ok(Json(report))
}

/// Answers an SMS reply with a short text, from `from` (so it comes from the number the
/// reply went to). Best effort: the alert's own steps go on regardless.
async fn answer_sms(state: &AppState, to: &str, body: String, from: Option<String>) {
    let Some(sms) = &state.notifier.sms else {
        return;
    };
    let message = crate::notify::OutgoingMessage {
        to: to.to_owned(),
        subject: String::new(),
        body,
        idempotency_key: None,
        link: None,
        from,
        attachment: None,
        unsubscribe: None,
    };
    if let Err(e) = sms.send(&message).await {
        tracing::warn!(error = %e, "could not answer an SMS reply");
    }
}

/// Tells someone who has open alerts from several organisations on one number that a
/// reply cannot say which it answers: the link in the alert can. In the language of the
/// newest alert's organisation.
async fn explain_ambiguous_reply(state: &AppState, orgs: &[OrgId], to: &str, via: Option<&str>) {
    let Some(first) = orgs.first() else {
        return;
    };
    let Ok(Some(org)) = state.store.org(*first).await else {
        return;
    };
    let body = beredskap_app::messages::ambiguous_reply_help(&org);
    answer_sms(state, to, body, via.map(str::to_owned)).await;
}

/// Tells someone whose SMS reply could not be read how to answer.
async fn explain_reply(state: &AppState, m: &beredskap_core::alerting::ReplyMatch, to: &str) {
    let (Ok(Some(org)), Ok(alert)) = (
        state.store.org(m.org_id).await,
        state.store.alert(m.org_id, m.alert_id).await,
    ) else {
        return;
    };
    let body = beredskap_app::messages::reply_help(&org, &alert.options);
    answer_sms(state, to, body, org.sms_number.clone()).await;
}
