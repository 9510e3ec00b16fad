//! What the API and the pages share about conversation beyond the use cases (which are in
//! `beredskap_app::conversation`): search over the index, and attachment files.

use crate::error::AppError;
use crate::state::AppState;
use beredskap_core::conversation::{Attachment, NewAttachment};
use beredskap_core::register::{Account, Org};
use beredskap_core::Problem;
use beredskap_core::{Actor, AttachmentId, ChannelId};

/// Longest search text.
pub const MAX_SEARCH_CHARS: usize = 500;

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
