//! The JSON API under `/api/v1`. Each handler's `#[utoipa::path]` is the source of the
//! OpenAPI document, and `routes!` registers the same handlers in the router, so the
//! document cannot list a route the server does not have, or miss one it has.

use super::auth::Caller;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use beredskap_app::register;
use beredskap_core::register::{
    ApiToken, Group, NewGroup, NewPosition, Org, Person, PersonInput, Position, Scope,
};
use beredskap_core::Problem;
use beredskap_core::{AccountId, ApiTokenId, GroupId, JournalEntry, PersonId, PositionId};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Beredskap API",
        description = "The register (organisations, people, groups, positions) and the journal of one organisation. Authenticate with `Authorization: Bearer <token>` from `beredskap admin token`."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody)),
    tags(
        (name = "organisations"), (name = "people"), (name = "groups"),
        (name = "positions"), (name = "journal"), (name = "accounts"), (name = "conversation"),
        (name = "alerts"), (name = "services"), (name = "plans"), (name = "incidents"),
        (name = "priority list"), (name = "status page")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The operations of one path, with their method (the API uses these five).
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<
    Item = (
        utoipa::openapi::path::HttpMethod,
        &mut utoipa::openapi::path::Operation,
    ),
> {
    use utoipa::openapi::path::HttpMethod;
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op?)))
}

/// Adds the answers every operation can give to its documented ones, so the document is
/// complete without each handler repeating them: 401 without a valid token, 403 when the
/// role or the token's scope is not enough, 404 for an organisation or thing the caller
/// cannot see, 422 for a parameter or body that does not hold, 409 when a change meets
/// another one.
pub fn complete_responses(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{HttpMethod, Operation};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let answer = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    let add = |op: &mut Operation, code: &str, description: &str| {
        op.responses
            .responses
            .entry(code.to_owned())
            .or_insert_with(|| answer(description));
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        let in_org = path.starts_with("/api/v1/orgs/{org}");
        let has_id = path.contains("/{id}") || path.contains("/{emoji}");
        for (method, op) in operations(item) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if secured {
                add(op, "401", "No valid API token");
                add(
                    op,
                    "403",
                    "The account's role or the token's scope does not allow it",
                );
            }
            if path.starts_with("/api/v1/hooks/") {
                add(
                    op,
                    "404",
                    "This webhook is off: no provider or secret is configured",
                );
            }
            if in_org || has_id {
                add(
                    op,
                    "404",
                    "No such organisation or thing, or not one the caller may see",
                );
            }
            let has_input =
                op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            if has_input {
                add(
                    op,
                    "422",
                    "A parameter or the body does not hold; `fields` names each",
                );
            }
            if secured && !matches!(method, HttpMethod::Get) {
                add(op, "409", "The change conflicts with the current state");
            }
        }
    }
}

/// Turns the text formats typed fields carry (`one-line-text` and the others of
/// `beredskap_core::text`) into the exact pattern the server checks them with, so a
/// client and a fuzzer know which texts are refused.
pub fn apply_text_patterns(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaFormat};
    use utoipa::openapi::RefOr;
    fn walk(schema: &mut RefOr<Schema>) {
        let RefOr::T(schema) = schema else { return };
        match schema {
            Schema::Object(object) => {
                if let Some(SchemaFormat::Custom(format)) = &object.format {
                    let max = object.max_length.unwrap_or(usize::MAX / 2);
                    if let Some(pattern) = beredskap_core::text::schema_pattern(format, max) {
                        object.pattern = Some(pattern);
                        object.format = None;
                        // The pattern counts what is left after trimming; a raw length
                        // would refuse a padded text the server takes.
                        object.max_length = None;
                        object.min_length = None;
                    }
                }
                object.properties.values_mut().for_each(walk);
            }
            Schema::Array(array) => {
                if let ArrayItems::RefOrSchema(items) = &mut array.items {
                    walk(items);
                }
            }
            Schema::AllOf(all) => all.items.iter_mut().for_each(walk),
            Schema::OneOf(one) => one.items.iter_mut().for_each(walk),
            Schema::AnyOf(any) => any.items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    if let Some(components) = openapi.components.as_mut() {
        components.schemas.values_mut().for_each(walk);
    }
    for item in openapi.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            for parameter in op.parameters.iter_mut().flatten() {
                if let Some(schema) = parameter.schema.as_mut() {
                    walk(schema);
                }
            }
        }
    }
}

/// `uploads` is the body limit of the attachment upload.
pub fn routes(uploads: axum::extract::DefaultBodyLimit) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_orgs))
        .routes(routes!(get_org))
        .routes(routes!(list_people, create_person))
        .routes(routes!(get_person, replace_person))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(set_group_members))
        .routes(routes!(list_positions, create_position))
        .routes(routes!(set_position_holders))
        .routes(routes!(journal))
        .routes(routes!(list_accounts))
        .routes(routes!(account_sessions))
        .routes(routes!(end_session))
        .routes(routes!(list_tokens))
        .routes(routes!(revoke_token))
        .merge(super::channels::routes(uploads))
        .merge(super::alerts::routes())
        .merge(super::alert_templates::routes())
        .merge(super::activation::routes())
        .merge(super::services::routes())
        .merge(super::plans::routes())
        .merge(super::incidents::routes())
        .merge(super::priority_list::routes())
        .merge(super::notices::routes())
}

/// A JSON body whose errors name the field they concern (`contact_points[1].value`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::invalid("body", Problem::NotJson));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::invalid("body", malformed(e.body_text())))?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::invalid("body", malformed(e.to_string())))?;
        // Every body of the API is an object. serde would also read a struct from an
        // array of its fields in order (`[[]]` as `{"members": []}`), which the schema
        // does not allow.
        if !value.is_object() {
            return Err(AppError::invalid(
                "body",
                malformed("expected a JSON object".to_owned()),
            ));
        }
        serde_path_to_error::deserialize(whole_numbers(value))
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { "body".to_owned() } else { path };
                AppError::invalid(&field, malformed(e.into_inner().to_string()))
            })
    }
}

/// JSON Schema counts `3.0` as an integer; so does the API: a number with no fraction
/// becomes an integer before the body is read into its type.
fn whole_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^53 every whole f64 is exact as an integer.
            if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                Value::from(f as i64)
            } else {
                Value::Number(n)
            }
        }
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, whole_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A query string whose errors are the API's JSON error naming the parameter, not
/// axum's plain-text 400.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." {
                    "query".to_owned()
                } else {
                    path
                };
                AppError::invalid(&field, malformed(e.into_inner().to_string()))
            })
    }
}

/// Path parameters; a path that cannot be read (not UTF-8 once decoded) names nothing
/// here, so it is not found, with the API's JSON error.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|_| AppError::NotFound)
    }
}

pub(crate) fn created<T: serde::Serialize>(location: String, body: T) -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    if let Ok(value) = location.parse() {
        headers.insert(header::LOCATION, value);
    }
    (StatusCode::CREATED, headers, Json(body))
}

pub(crate) fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// The organisations the caller belongs to (one per token).
#[utoipa::path(get, path = "/api/v1/orgs", tag = "organisations",
    security(("bearer" = [])),
    responses((status = 200, body = [Org]), (status = 401, body = ErrorBody)))]
async fn list_orgs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Org>>, AppError> {
    Ok(Json(
        beredskap_app::settings::orgs(&state.app, &caller.who()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}", tag = "organisations",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = Org), (status = 404, body = ErrorBody)))]
async fn get_org(caller: Caller, ApiPath(org): ApiPath<String>) -> Result<Json<Org>, AppError> {
    Ok(Json(caller.org(&org)?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/people", tag = "people",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Person]), (status = 403, body = ErrorBody)))]
async fn list_people(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Person>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        register::people(&state.app, &caller.who(), &org).await?,
    ))
}

/// Adds a person. Phone numbers without a country code are read in the organisation's region.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/people", tag = "people",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = PersonInput,
    security(("bearer" = [])),
    responses((status = 201, body = Person), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_person(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<PersonInput>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let person = register::create_person(&state.app, &caller.who(), &org, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/people/{}", org.slug, person.id),
        person,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/people/{id}", tag = "people",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = PersonId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Person), (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Person>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let id: PersonId = parse_id(&id)?;
    Ok(Json(
        register::person(&state.app, &caller.who(), &org, id).await?,
    ))
}

/// Replaces a person's fields and contact points. A contact point that stays keeps its
/// verification.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/people/{id}", tag = "people",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = PersonId, Path)),
    request_body = PersonInput,
    security(("bearer" = [])),
    responses((status = 200, body = Person), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn replace_person(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<PersonInput>,
) -> Result<Json<Person>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: PersonId = parse_id(&id)?;
    Ok(Json(
        register::replace_person(&state.app, &caller.who(), &org, id, input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/groups", tag = "groups",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Group])))]
async fn list_groups(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Group>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        register::groups(&state.app, &caller.who(), &org).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/groups", tag = "groups",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = NewGroup,
    security(("bearer" = [])),
    responses((status = 201, body = Group), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_group(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<NewGroup>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let group = register::create_group(&state.app, &caller.who(), &org, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/groups/{}", org.slug, group.id),
        group,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersInput {
    /// The group's members after the change: exactly these people.
    pub members: Vec<PersonId>,
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/groups/{id}/members", tag = "groups",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = GroupId, Path)),
    request_body = MembersInput,
    security(("bearer" = [])),
    responses((status = 200, body = Group), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_group_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<MembersInput>,
) -> Result<Json<Group>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: GroupId = parse_id(&id)?;
    Ok(Json(
        register::set_group_members(&state.app, &caller.who(), &org, id, input.members).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/orgs/{org}/positions", tag = "positions",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Position])))]
async fn list_positions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Position>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        register::positions(&state.app, &caller.who(), &org).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/orgs/{org}/positions", tag = "positions",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = NewPosition,
    security(("bearer" = [])),
    responses((status = 201, body = Position), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_position(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<NewPosition>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let position = register::create_position(&state.app, &caller.who(), &org, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/positions/{}", org.slug, position.id),
        position,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldersInput {
    /// The holder first, then the deputies in the order they step in.
    pub holders: Vec<PersonId>,
}

#[utoipa::path(put, path = "/api/v1/orgs/{org}/positions/{id}/holders", tag = "positions",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = PositionId, Path)),
    request_body = HoldersInput,
    security(("bearer" = [])),
    responses((status = 200, body = Position), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_position_holders(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<HoldersInput>,
) -> Result<Json<Position>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let id: PositionId = parse_id(&id)?;
    Ok(Json(
        register::set_position_holders(&state.app, &caller.who(), &org, id, input.holders).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// Return entries after this sequence number (0: from the start).
    #[serde(default)]
    pub after: i64,
    /// At most this many entries (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// The organisation's journal, in order: every change, hash-chained.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/journal", tag = "journal",
    params(("org" = String, Path, description = "Organisation slug"), JournalQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [JournalEntry]), (status = 403, body = ErrorBody)))]
async fn journal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<JournalQuery>,
) -> Result<Json<Vec<JournalEntry>>, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    let limit = query.limit.unwrap_or(100);
    let who = caller.who();
    let page = beredskap_app::accounts::journal(&state.app, &who, &org, query.after, limit);
    Ok(Json(page.await?))
}

/// Everyone who can sign in to the organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/accounts", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [beredskap_core::register::Account]), (status = 403, body = ErrorBody)))]
async fn list_accounts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<beredskap_core::register::Account>>, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    Ok(Json(
        beredskap_app::accounts::list(&state.app, &caller.who(), &org).await?,
    ))
}

/// A signed-in device, as its owner and administrators see it.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct SessionView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// totp, recovery_code, passkey or fallback_code.
    pub second_factor: Option<String>,
    pub user_agent: String,
    pub ip: String,
}

/// An account's live sessions. Administrators see anyone's; others only their own.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/accounts/{id}/sessions", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = AccountId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = [SessionView]), (status = 403, body = ErrorBody)))]
async fn account_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Vec<SessionView>>, AppError> {
    let org = caller.org(&org)?;
    let id: AccountId = parse_id(&id)?;
    if id != caller.account.id {
        caller.scope(Scope::Admin)?;
    }
    let sessions = beredskap_app::accounts::sessions(&state.app, &caller.who(), &org, id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id.0,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            second_factor: s.second_factor.map(|f| f.as_str().to_owned()),
            user_agent: s.user_agent,
            ip: s.ip,
        })
        .collect();
    Ok(Json(sessions))
}

/// Signs a device out: an administrator ends anyone's session (a lost phone, a person who
/// left).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/sessions/{id}", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = String, Path, format = Uuid)),
    security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn end_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    let id = beredskap_core::auth::SessionId(parse_id(&id)?);
    beredskap_app::accounts::end_session(&state.app, &caller.who(), &org, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's API tokens, revoked ones too, newest first. Secrets are never shown
/// again after a token is issued.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/tokens", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [ApiToken]), (status = 403, body = ErrorBody)))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<ApiToken>>, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    Ok(Json(
        beredskap_app::accounts::tokens(&state.app, &caller.who(), &org).await?,
    ))
}

/// Revokes an API token: an administrator any of the organisation's, anyone the token
/// they are calling with.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/tokens/{id}", tag = "accounts",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ApiTokenId, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<StatusCode, AppError> {
    let org = caller.org(&org)?;
    let id: ApiTokenId = parse_id(&id)?;
    if id != caller.token.id {
        caller.scope(Scope::Admin)?;
    }
    beredskap_app::accounts::revoke_token(
        &state.app,
        &caller.who(),
        &org,
        id,
        Some(caller.token.id),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A body or parameter the parser could not read: its technical detail, for developers.
fn malformed(detail: String) -> beredskap_core::Problem {
    beredskap_core::Problem::Malformed { detail }
}
