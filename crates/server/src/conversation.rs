//! What the API and the pages share about conversation: who may do what, input checks,
//! mentions, and publishing each change to live clients after it commits.

use crate::error::AppError;
use crate::state::AppState;
use beredskap_core::conversation::{
    mentioned_names, parse_body, parse_emoji, parse_idempotency_key, Attachment, Channel,
    ChannelKind, Message, MessageChange, NewAttachment, NewChannel, NewMessage, Posted, Receipt,
};
use beredskap_core::register::{Account, Org, Role};
use beredskap_core::Problem;
use beredskap_core::{AccountId, Actor, AttachmentId, ChannelId, FieldErrors, MessageId};
use serde::Deserialize;
use utoipa::ToSchema;

/// A message as a client sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    #[schema(min_length = 1, max_length = 20000, format = "many-lines-text")]
    pub body: String,
    /// Answer in the thread of this message.
    #[serde(default)]
    pub thread_root: Option<MessageId>,
    /// Must be confirmed read by everyone in the channel (crisis leads and administrators).
    #[serde(default)]
    pub announcement: bool,
    /// Any text unique to this post, chosen by the client; a retried post with the same
    /// key lands once. May also be sent as the `Idempotency-Key` header.
    #[serde(default)]
    #[schema(
        pattern = "^[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[\\u0000-\\u0008\\u000e-\\u001f\\u0021-\\u007f](?:[\\u0000-\\u007f]{0,198}[\\u0000-\\u0008\\u000e-\\u001f\\u0021-\\u007f])?[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub idempotency_key: Option<String>,
    /// Files uploaded beforehand (`POST …/attachments`) to attach.
    #[serde(default)]
    pub attachments: Vec<AttachmentId>,
}

fn invalid(e: beredskap_core::FieldError) -> AppError {
    AppError::Invalid(FieldErrors(vec![e]))
}

pub async fn create_channel(
    state: &AppState,
    org: &Org,
    by: &Account,
    new: NewChannel,
) -> Result<Channel, AppError> {
    if by.role < Role::Member {
        return Err(AppError::Refused("guests cannot create channels"));
    }
    if new.kind == ChannelKind::Org && by.role < Role::CrisisLead {
        return Err(AppError::Refused(
            "only crisis leads and administrators create organisation-wide channels",
        ));
    }
    let new = new
        .validate(&org.classifications)
        .map_err(AppError::Invalid)?;
    let channel = state
        .store
        .create_channel(&Actor::account(by.id), org.id, by.id, new)
        .await?;
    state.hub.publish(org.id).await;
    Ok(channel)
}

pub async fn add_members(
    state: &AppState,
    org: &Org,
    by: &Account,
    channel: ChannelId,
    members: Vec<AccountId>,
) -> Result<(), AppError> {
    if by.role < Role::Member {
        return Err(AppError::Refused("guests cannot invite people"));
    }
    state
        .store
        .add_channel_members(&Actor::account(by.id), org.id, by.id, channel, members)
        .await?;
    state.hub.publish(org.id).await;
    Ok(())
}

/// The accounts named with `@` in a body: by the part of their sign-in before `@`, or
/// the whole sign-in.
async fn mentions(state: &AppState, org: &Org, body: &str) -> Result<Vec<AccountId>, AppError> {
    let names = mentioned_names(body);
    if names.is_empty() {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .list_accounts(org.id)
        .await?
        .into_iter()
        .filter(|a| {
            let login = a.login.as_str().to_lowercase();
            let local = login.split('@').next().unwrap_or_default().to_owned();
            names.iter().any(|n| *n == login || *n == local)
        })
        .map(|a| a.id)
        .collect())
}

pub async fn post(
    state: &AppState,
    org: &Org,
    by: &Account,
    channel: ChannelId,
    input: PostInput,
) -> Result<Posted, AppError> {
    let body = parse_body(&input.body).map_err(invalid)?;
    let idempotency_key = input
        .idempotency_key
        .as_deref()
        .map(parse_idempotency_key)
        .transpose()
        .map_err(invalid)?;
    if input.announcement && by.role < Role::CrisisLead {
        return Err(AppError::Refused(
            "only crisis leads and administrators send announcements",
        ));
    }
    let mentions = mentions(state, org, &body).await?;
    let posted = state
        .store
        .post_message(
            &Actor::account(by.id),
            org.id,
            by.id,
            NewMessage {
                channel,
                thread_root: input.thread_root,
                body,
                announcement: input.announcement,
                mentions,
                attachments: input.attachments,
                idempotency_key,
            },
        )
        .await?;
    if posted.created {
        state.hub.publish(org.id).await;
        state.wake_search();
    }
    Ok(posted)
}

pub async fn change(
    state: &AppState,
    org: &Org,
    by: &Account,
    message: MessageId,
    change: MessageChange,
) -> Result<Message, AppError> {
    let change = match change {
        MessageChange::Edit(body) => MessageChange::Edit(parse_body(&body).map_err(invalid)?),
        MessageChange::React(e) => MessageChange::React(parse_emoji(&e).map_err(invalid)?),
        MessageChange::Unreact(e) => MessageChange::Unreact(parse_emoji(&e).map_err(invalid)?),
        other => other,
    };
    let message = state
        .store
        .change_message(&Actor::account(by.id), org.id, by.id, message, change)
        .await?;
    state.hub.publish(org.id).await;
    state.wake_search();
    Ok(message)
}

/// Longest search text.
pub const MAX_SEARCH_CHARS: usize = 500;

/// Longest reason an administrator may give for a redaction.
pub const MAX_REDACTION_REASON_CHARS: usize = 500;

/// Removes a message's text posted by mistake from the channel, every version, the search
/// index, its files and the journal (administrators only); the redaction and its reason
/// are journaled and the chain stays verifiable.
pub async fn redact(
    state: &AppState,
    org: &Org,
    by: &Account,
    message: MessageId,
    reason: &str,
) -> Result<Message, AppError> {
    // Before the reason is looked at: someone who may not redact learns nothing more.
    if by.role < Role::Admin {
        return Err(AppError::Refused("only administrators redact messages"));
    }
    let lines = beredskap_core::text::Lines::One;
    let reason =
        beredskap_core::text::required("reason", reason, MAX_REDACTION_REASON_CHARS, lines)
            .map_err(invalid)?;
    let redacted = state
        .store
        .redact_message(&Actor::account(by.id), org.id, by.id, message, reason)
        .await?;
    for sha256 in &redacted.unreferenced_files {
        let path = crate::attachments::path_for(&state.config.data_dir, sha256);
        if let Err(e) = tokio::fs::remove_file(&path).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(file = %path.display(), error = %e, "redaction: removing a file failed");
            }
        }
    }
    state.hub.publish(org.id).await;
    if let Ok(search) = &state.search {
        if let Err(e) = search.purge_deleted().await {
            tracing::warn!(error = %e, "redaction: the search index still holds the text");
        }
    }
    Ok(redacted.message)
}

/// An announcement's roster, for its author and for crisis leads and administrators.
pub async fn roster(
    state: &AppState,
    org: &Org,
    by: &Account,
    message: MessageId,
) -> Result<(Message, Vec<Receipt>), AppError> {
    let (message, _) = state.store.message_for(org.id, by.id, message).await?;
    if !message.announcement {
        return Err(AppError::NotFound);
    }
    if message.author != by.id && by.role < Role::CrisisLead {
        return Err(AppError::Refused(
            "only the sender, crisis leads and administrators see who has read an announcement",
        ));
    }
    let receipts = state.store.receipts(org.id, message.id).await?;
    Ok((message, receipts))
}

/// Messages the person may see that match `words`, best first.
pub async fn search(
    state: &AppState,
    org: &Org,
    by: &Account,
    words: &str,
) -> Result<Vec<crate::search::Hit>, AppError> {
    if words.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::invalid(
            "q",
            Problem::TooLong {
                max: MAX_SEARCH_CHARS,
            },
        ));
    }
    let index = state
        .search
        .as_ref()
        .map_err(|reason| AppError::Unavailable(format!("search: {reason}")))?
        .clone();
    let channels: Vec<ChannelId> = state
        .store
        .channels_for(org.id, by.id)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let (org_id, region, words) = (org.id, org.region, words.to_owned());
    tokio::task::spawn_blocking(move || index.search(org_id, region, &channels, &words))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Checks and stores an uploaded file; it is attached when a message names it.
pub async fn upload(
    state: &AppState,
    org: &Org,
    by: &Account,
    filename: &str,
    bytes: axum::body::Bytes,
) -> Result<Attachment, AppError> {
    let max_mb = state.config.attachment_max_mb;
    let filename = crate::attachments::clean_filename(filename);
    let content_type = crate::attachments::check(&bytes, &filename, max_mb)
        .map_err(|refusal| AppError::invalid("file", refusal))?;
    let data_dir = state.config.data_dir.clone();
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let sha256 = tokio::task::spawn_blocking(move || crate::attachments::store(&data_dir, &bytes))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("storing an attachment: {e}")))?;
    Ok(state
        .store
        .add_attachment(
            &Actor::account(by.id),
            org.id,
            by.id,
            NewAttachment {
                sha256,
                size,
                content_type: content_type.to_owned(),
                filename,
            },
        )
        .await?)
}

/// The bytes of an attachment the person may fetch, with headers that keep a browser
/// from running or sniffing it: only images are shown in the page, the rest is saved.
pub async fn download(
    state: &AppState,
    org: &Org,
    by: &Account,
    id: AttachmentId,
) -> Result<axum::response::Response, AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let attachment = state.store.attachment_for(org.id, by.id, id).await?;
    let path = crate::attachments::path_for(&state.config.data_dir, &attachment.sha256);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| AppError::Internal(format!("attachment {}: {e}", path.display())))?;
    let disposition = if attachment.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    // RFC 6266: an ASCII fallback and the real name percent-encoded.
    let ascii: String = attachment
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = attachment
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, attachment.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}
