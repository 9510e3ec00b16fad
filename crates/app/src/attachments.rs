//! Attached files: their type is read from their bytes (never from what the sender
//! claims); the bytes are kept by a [`Files`] port, content-addressed.

use crate::conversation::person;
use crate::policy::{Caller, UseCase};
use crate::{App, Error};
use beredskap_core::conversation::{Attachment, NewAttachment};
use beredskap_core::register::Org;
use beredskap_core::{AttachmentId, FieldErrors};

/// What can be attached, by detected type.
const ALLOWED: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", beredskap_core::Problem::from(self.clone()))]
pub enum Refusal {
    Empty,
    TooLarge(u32),
    Type,
}

impl From<Refusal> for beredskap_core::Problem {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Empty => beredskap_core::Problem::FileEmpty,
            Refusal::TooLarge(mb) => beredskap_core::Problem::FileTooLarge { mb },
            Refusal::Type => beredskap_core::Problem::FileType,
        }
    }
}

/// The file's content type, if it may be attached. Plain text has no signature: a `.txt`
/// or `.csv` file that is valid UTF-8 without control characters counts as text.
pub fn check(bytes: &[u8], filename: &str, max_mb: u32) -> Result<&'static str, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if bytes.len() as u64 > u64::from(max_mb) * 1024 * 1024 {
        return Err(Refusal::TooLarge(max_mb));
    }
    if let Some(kind) = infer::get(bytes) {
        return ALLOWED
            .iter()
            .find(|t| **t == kind.mime_type())
            .copied()
            .ok_or(Refusal::Type);
    }
    let lower = filename.to_lowercase();
    let text = std::str::from_utf8(bytes).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    });
    match (text, lower.rsplit('.').next()) {
        (true, Some("txt")) => Ok("text/plain; charset=utf-8"),
        (true, Some("csv")) => Ok("text/csv; charset=utf-8"),
        _ => Err(Refusal::Type),
    }
}

/// A file name safe to show and to send back: the last path part, no control characters
/// or quotes, at most 200 characters.
pub fn clean_filename(raw: &str) -> String {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(200)
        .collect();
    match name.trim() {
        "" => "file".to_owned(),
        n => n.to_owned(),
    }
}

/// Where attached files' bytes are kept, by their SHA-256: the same bytes once.
#[async_trait::async_trait]
pub trait Files: Send + Sync {
    /// Keeps the bytes (once per content) whole, surviving a crash; their SHA-256 in hex.
    async fn put(&self, bytes: Vec<u8>) -> std::io::Result<String>;
    async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>>;
}

/// Checks and keeps an uploaded file; it is attached when a message names it. Uploading
/// is part of posting: people with an account, never an operator.
pub async fn upload(
    app: &App,
    files: &dyn Files,
    caller: &Caller,
    org: &Org,
    filename: &str,
    bytes: Vec<u8>,
    max_mb: u32,
) -> Result<Attachment, Error> {
    let account = person(caller, UseCase::Post)?;
    let filename = clean_filename(filename);
    let content_type = check(&bytes, &filename, max_mb)
        .map_err(|refusal| Error::Invalid(FieldErrors::single("file", refusal)))?;
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let sha256 = files
        .put(bytes)
        .await
        .map_err(|e| Error::Internal(format!("storing an attachment: {e}")))?;
    Ok(app
        .store
        .add_attachment(
            &caller.actor(),
            org.id,
            account.id,
            NewAttachment {
                sha256,
                size,
                content_type: content_type.to_owned(),
                filename,
            },
        )
        .await?)
}

/// An attachment the person may fetch (its message is in a channel they are in, or they
/// uploaded it), with its bytes.
pub async fn download(
    app: &App,
    files: &dyn Files,
    caller: &Caller,
    org: &Org,
    id: AttachmentId,
) -> Result<(Attachment, Vec<u8>), Error> {
    let account = person(caller, UseCase::ReadConversation)?;
    let attachment = app.store.attachment_for(org.id, account.id, id).await?;
    let bytes = files
        .get(&attachment.sha256)
        .await
        .map_err(|e| Error::Internal(format!("attachment {}: {e}", attachment.sha256)))?;
    Ok((attachment, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(check(PNG, "bild.png", 1), Ok("image/png"));
        assert_eq!(check(PNG, "lista.txt", 1), Ok("image/png"));
        assert_eq!(check(b"%PDF-1.7\n...", "a.pdf", 1), Ok("application/pdf"));
        assert_eq!(
            check(b"MZ\x90\0\x03\0\0\0", "rapport.pdf", 1),
            Err(Refusal::Type)
        );
        assert_eq!(
            check(b"namn;telefon\nAnna;070\n", "lista.csv", 1),
            Ok("text/csv; charset=utf-8")
        );
        assert_eq!(
            check(b"<script>alert(1)</script>", "sida.html", 1),
            Err(Refusal::Type)
        );
        assert_eq!(check(b"", "tom.txt", 1), Err(Refusal::Empty));
        assert_eq!(
            check(&vec![b'a'; 1024 * 1024 + 1], "stor.txt", 1),
            Err(Refusal::TooLarge(1))
        );
    }

    #[test]
    fn file_names_lose_paths_and_quotes() {
        assert_eq!(
            clean_filename(r#"C:\Users\anna\plan "v2".pdf"#),
            "plan v2.pdf"
        );
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("  "), "file");
    }
}
