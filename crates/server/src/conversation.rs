//! What the API and the pages share about conversation beyond the use cases (which are in
//! `beredskap_app::conversation` and `beredskap_app::attachments`): the server's search
//! index and attachment files handed to them, and a file's download headers.

use crate::attachments::DiskFiles;
use crate::error::AppError;
use crate::state::AppState;
use beredskap_app::Caller;
use beredskap_core::conversation::Attachment;
use beredskap_core::register::Org;
use beredskap_core::AttachmentId;

/// Messages the person may see that match `words`, best first.
pub async fn search(
    state: &AppState,
    org: &Org,
    caller: &Caller,
    words: &str,
) -> Result<Vec<crate::search::Hit>, AppError> {
    let index = crate::search::Searcher::of(&state.search);
    Ok(beredskap_app::conversation::search(&state.app, &index, caller, org, words).await?)
}

/// The server's attachment files.
pub fn files(state: &AppState) -> DiskFiles {
    DiskFiles {
        data_dir: state.config.data_dir.clone(),
    }
}

/// Checks and stores an uploaded file; it is attached when a message names it.
pub async fn upload(
    state: &AppState,
    org: &Org,
    caller: &Caller,
    filename: &str,
    bytes: axum::body::Bytes,
) -> Result<Attachment, AppError> {
    let max_mb = state.config.attachment_max_mb;
    Ok(beredskap_app::attachments::upload(
        &state.app,
        &files(state),
        caller,
        org,
        filename,
        bytes.to_vec(),
        max_mb,
    )
    .await?)
}

/// The bytes of an attachment the person may fetch, with headers that keep a browser
/// from running or sniffing it: only images are shown in the page, the rest is saved.
pub async fn download(
    state: &AppState,
    org: &Org,
    caller: &Caller,
    id: AttachmentId,
) -> Result<axum::response::Response, AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (attachment, bytes) =
        beredskap_app::attachments::download(&state.app, &files(state), caller, org, id).await?;
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
