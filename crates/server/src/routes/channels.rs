//! The conversation API: channels, messages, threads, reactions, announcements and the
//! live event stream. Guests are served too, but see only the channels they are invited to.

use super::api::{created, parse_id, ApiJson, ApiPath, ApiQuery};
use super::auth::Caller;
use crate::conversation;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use beredskap_app::conversation::PostInput;
use beredskap_core::conversation::{Channel, Message, MessageChange, NewChannel, Page, Receipt};
use beredskap_core::register::Scope;
use beredskap_core::Problem;
use beredskap_core::{AccountId, ChannelId, MessageId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes(uploads: axum::extract::DefaultBodyLimit) -> OpenApiRouter<AppState> {
    use utoipa_axum::router::UtoipaMethodRouterExt;
    OpenApiRouter::new()
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(add_members))
        .routes(routes!(list_messages, post_message))
        .routes(routes!(edit_message, delete_message))
        .routes(routes!(thread))
        .routes(routes!(versions))
        .routes(routes!(redact))
        .routes(routes!(react, unreact))
        .routes(routes!(seen))
        .routes(routes!(confirm))
        .routes(routes!(receipts))
        .routes(routes!(unconfirmed))
        .routes(routes!(events))
        .routes(routes!(search))
        .routes(routes!(search_places))
        .routes(routes!(upload).layer(uploads))
        .routes(routes!(download))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, as it will be shown.
    #[param(min_length = 1, max_length = 200)]
    pub filename: String,
}

/// Uploads a file (the request body, as is) to attach to a message: name its id in
/// `attachments` when posting. Images, PDF, office documents and plain text, up to the
/// configured size; the type is read from the bytes.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/attachments", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("bearer" = [])),
    responses((status = 201, body = beredskap_core::conversation::Attachment), (status = 422, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let attachment =
        conversation::upload(&state, &org, &caller.who(), &query.filename, body).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/attachments/{}", org.slug, attachment.id),
        attachment,
    ))
}

/// An attached file, for those who may see its message (or its uploader, before that).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/attachments/{id}", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = beredskap_core::AttachmentId, Path)),
    security(("bearer" = [])),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Response, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    conversation::download(&state, &org, &caller.who(), parse_id(&id)?).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words to find; stemmed in the organisation's language, all must match.
    #[param(max_length = 500)]
    pub q: String,
}

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub message_id: MessageId,
    pub channel_id: ChannelId,
    pub seq: i64,
    /// The matching passage, HTML-escaped, the matched words in `<b>`.
    pub snippet_html: String,
    pub author_id: Option<beredskap_core::AccountId>,
    /// The author's name as people are shown.
    pub author_name: Option<String>,
    pub posted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub channel_name: Option<String>,
}

/// Searches the messages of the channels the caller may see, best match first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/search", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), SearchQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [SearchHit]), (status = 503, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<SearchHit>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let hits = conversation::search(&state, &org, &caller.who(), &query.q).await?;
    Ok(Json(
        hits.into_iter()
            .map(|h| SearchHit {
                message_id: h.message,
                channel_id: h.channel,
                seq: h.seq,
                snippet_html: h.snippet_html,
                author_id: h.about.as_ref().map(|a| a.author),
                author_name: h.about.as_ref().map(|a| a.author_name.clone()),
                posted_at: h.about.as_ref().map(|a| a.posted_at),
                channel_name: h.about.map(|a| a.channel_name),
            })
            .collect(),
    ))
}

/// The channels the caller is in and the incidents they may read whose name or title the
/// words find (other forms and compounds too: `stabsrum` finds *Stabsrummet*), at most 20
/// of each; open incidents first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/search/places", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), SearchQuery),
    security(("bearer" = [])),
    responses((status = 200, body = beredskap_app::conversation::Places),
        (status = 422, body = ErrorBody)))]
async fn search_places(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<beredskap_app::conversation::Places>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        beredskap_app::conversation::find_places(&state.app, &caller.who(), &org, &query.q).await?,
    ))
}

/// The channels the caller may see.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/channels", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Channel])))]
async fn list_channels(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Channel>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        beredskap_app::conversation::channels(&state.app, &caller.who(), &org).await?,
    ))
}

/// Creates a channel; the caller becomes a member. Organisation-wide channels are made by
/// crisis leads and administrators; guests make none.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/channels", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug")),
    request_body = NewChannel,
    security(("bearer" = [])),
    responses((status = 201, body = Channel), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_channel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
    ApiJson(input): ApiJson<NewChannel>,
) -> Result<impl IntoResponse, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    let channel =
        beredskap_app::conversation::create_channel(&state.app, &caller.who(), &org, input).await?;
    Ok(created(
        format!("/api/v1/orgs/{}/channels/{}", org.slug, channel.id),
        channel,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersInput {
    /// Accounts to add; those already in the channel stay as they are.
    pub members: Vec<AccountId>,
}

/// Invites people (partner organisations' guests too) to a channel.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/channels/{id}/members", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ChannelId, Path)),
    request_body = MembersInput,
    security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<MembersInput>,
) -> Result<StatusCode, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    beredskap_app::conversation::add_members(
        &state.app,
        &caller.who(),
        &org,
        parse_id(&id)?,
        input.members,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Only messages with a smaller `seq` (for older pages).
    pub before: Option<i64>,
    /// At most this many (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The channel's messages (first messages of threads), oldest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/channels/{id}/messages", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ChannelId, Path), MessagesQuery),
    security(("bearer" = [])),
    responses((status = 200, body = [Message]), (status = 404, body = ErrorBody)))]
async fn list_messages(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> Result<Json<Vec<Message>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid(
            "limit",
            Problem::Range { min: 1, max: 200 },
        ));
    }
    let page = Page {
        before: query.before,
        limit,
    };
    Ok(Json(
        beredskap_app::conversation::messages(
            &state.app,
            &caller.who(),
            &org,
            parse_id(&id)?,
            page,
        )
        .await?,
    ))
}

/// Posts a message. Answered 201 once it is committed; a retry with the same idempotency
/// key is answered 200 with the same message.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/channels/{id}/messages", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = ChannelId, Path),
        ("Idempotency-Key" = Option<String>, Header, pattern = "^[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[\\u0000-\\u0008\\u000e-\\u001f\\u0021-\\u007f](?:[\\u0000-\\u007f]{0,198}[\\u0000-\\u0008\\u000e-\\u001f\\u0021-\\u007f])?[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "Instead of `idempotency_key` in the body")),
    request_body = PostInput,
    security(("bearer" = [])),
    responses((status = 201, body = Message), (status = 200, body = Message, description = "An earlier post with the same key"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(mut input): ApiJson<PostInput>,
) -> Result<Response, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(&org)?;
    if let Some(header) = headers.get("idempotency-key") {
        // A bad key is refused wherever it is sent, even beside a good one in the body.
        let refused = || AppError::invalid("Idempotency-Key", Problem::NotAscii { max: 200 });
        let key = header.to_str().map_err(|_| refused())?;
        beredskap_core::conversation::parse_idempotency_key(key).map_err(|_| refused())?;
        if input.idempotency_key.is_none() {
            input.idempotency_key = Some(key.to_owned());
        }
    }
    let posted =
        beredskap_app::conversation::post(&state.app, &caller.who(), &org, parse_id(&id)?, input)
            .await?;
    if posted.created {
        let location = format!(
            "/api/v1/orgs/{}/messages/{}/thread",
            org.slug, posted.message.id
        );
        Ok(created(location, posted.message).into_response())
    } else {
        Ok(Json(posted.message).into_response())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    #[schema(min_length = 1, max_length = 20000, format = "many-lines-text")]
    pub body: String,
}

async fn change(
    state: &AppState,
    caller: &Caller,
    org: &str,
    id: &str,
    change: MessageChange,
) -> Result<Json<Message>, AppError> {
    caller.scope(Scope::Write)?;
    let org = caller.org(org)?;
    Ok(Json(
        beredskap_app::conversation::change(&state.app, &caller.who(), &org, parse_id(id)?, change)
            .await?,
    ))
}

/// Edits the caller's own message; every earlier text is kept.
#[utoipa::path(patch, path = "/api/v1/orgs/{org}/messages/{id}", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    request_body = EditInput,
    security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn edit_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<EditInput>,
) -> Result<Json<Message>, AppError> {
    change(&state, &caller, &org, &id, MessageChange::Edit(input.body)).await
}

/// Deletes a message (its author, a crisis lead or an administrator). The text leaves
/// the channel and stays in the journal.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/messages/{id}", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_message(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Message>, AppError> {
    change(&state, &caller, &org, &id, MessageChange::Delete).await
}

/// A thread: its first message and every answer, oldest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/messages/{id}/thread", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = [Message]), (status = 404, body = ErrorBody)))]
async fn thread(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Vec<Message>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        beredskap_app::conversation::thread(&state.app, &caller.who(), &org, parse_id(&id)?)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Version {
    pub version: i32,
    pub body: String,
    pub written_at: chrono::DateTime<chrono::Utc>,
}

/// Every text a message has had, oldest first. Once the message is deleted only an
/// administrator may read them.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/messages/{id}/versions", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = [Version]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Vec<Version>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let versions =
        beredskap_app::conversation::versions(&state.app, &caller.who(), &org, parse_id(&id)?)
            .await?
            .into_iter()
            .map(|(version, body, written_at)| Version {
                version,
                body,
                written_at,
            })
            .collect();
    Ok(Json(versions))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactInput {
    /// Why the text is removed; kept in the journal (one line, at most 500 characters).
    #[schema(min_length = 1, max_length = 500, format = "one-line-text")]
    pub reason: String,
}

/// Removes text posted by mistake (administrators): the message is deleted, and its text
/// leaves every version, the search index, its attachments and the journal's payloads.
/// The journal still verifies and records who redacted what, when and why.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/messages/{id}/redact", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    request_body = RedactInput,
    security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn redact(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<RedactInput>,
) -> Result<Json<Message>, AppError> {
    caller.scope(Scope::Admin)?;
    let org = caller.org(&org)?;
    let message = parse_id(&id)?;
    Ok(Json(
        beredskap_app::conversation::redact(
            &state.app,
            &caller.who(),
            &org,
            message,
            &input.reason,
        )
        .await?,
    ))
}

/// Adds the caller's reaction (once per emoji).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/messages/{id}/reactions/{emoji}", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path), ("emoji" = String, Path, pattern = "^[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\u0000-\\u001f\\u007f-\\u009f]{1,32}[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "One emoji or a short word such as +1")),
    security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody)))]
async fn react(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, emoji)): ApiPath<(String, String, String)>,
) -> Result<Json<Message>, AppError> {
    change(&state, &caller, &org, &id, MessageChange::React(emoji)).await
}

#[utoipa::path(delete, path = "/api/v1/orgs/{org}/messages/{id}/reactions/{emoji}", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path), ("emoji" = String, Path, pattern = "^[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\u0000-\\u001f\\u007f-\\u009f]{1,32}[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$", description = "One emoji or a short word such as +1")),
    security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody)))]
async fn unreact(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id, emoji)): ApiPath<(String, String, String)>,
) -> Result<Json<Message>, AppError> {
    change(&state, &caller, &org, &id, MessageChange::Unreact(emoji)).await
}

/// Marks an announcement seen by the caller.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/messages/{id}/seen", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn seen(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Message>, AppError> {
    change(&state, &caller, &org, &id, MessageChange::Seen).await
}

/// Confirms the caller has read an announcement.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/messages/{id}/confirm", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Message), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Message>, AppError> {
    change(&state, &caller, &org, &id, MessageChange::Confirm).await
}

/// Who an announcement was sent to, and who has seen and confirmed it. For its sender,
/// crisis leads and administrators.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/messages/{id}/receipts", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), ("id" = MessageId, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = [Receipt]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn receipts(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org, id)): ApiPath<(String, String)>,
) -> Result<Json<Vec<Receipt>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    let roster =
        beredskap_app::conversation::roster(&state.app, &caller.who(), &org, parse_id(&id)?)
            .await?;
    Ok(Json(roster.receipts))
}

/// Announcements the caller has not confirmed yet.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/announcements/unconfirmed", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug")),
    security(("bearer" = [])),
    responses((status = 200, body = [Message])))]
async fn unconfirmed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<String>,
) -> Result<Json<Vec<Message>>, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    Ok(Json(
        beredskap_app::conversation::unconfirmed(&state.app, &caller.who(), &org).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The last `seq` the client has seen; it then gets everything after it. Without it
    /// (and without `Last-Event-ID`), only what happens from now on.
    pub after: Option<i64>,
}

/// Live updates as server-sent events: each event's `id` is its `seq`, and its data is
/// `{"seq","kind","at","data"}`. Reconnecting with `Last-Event-ID` (browsers do this by
/// themselves) or `?after=` gives exactly what was missed, in order, then live events.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/events", tag = "conversation",
    params(("org" = String, Path, description = "Organisation slug"), EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The last seq seen; wins over `after`")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "The event stream")))]
async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiPath(org): ApiPath<String>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Response, AppError> {
    caller.scope(Scope::Read)?;
    let org = caller.org(&org)?;
    crate::http::event_stream(&state, org.id, &caller.account, &headers, query.after).await
}
