//! Attached files: their type is read from their bytes (never from what the sender
//! claims), and they are stored content-addressed under `data_dir/attachments`, written to
//! a temporary file, synced and renamed, so a crash never leaves half a file under a
//! real name.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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

pub fn path_for(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir
        .join("attachments")
        .join(sha256.get(..2).unwrap_or("00"))
        .join(sha256)
}

/// Stores the bytes (once per content) and returns their SHA-256 in hex.
pub fn store(data_dir: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let path = path_for(data_dir, &sha256);
    if path.exists() {
        return Ok(sha256);
    }
    crate::files::write_durably(&path, bytes)?;
    Ok(sha256)
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

    #[test]
    fn the_same_bytes_are_stored_once_under_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let a = store(dir.path(), b"hej").unwrap();
        let b = store(dir.path(), b"hej").unwrap();
        assert_eq!(a, b);
        assert_eq!(std::fs::read(path_for(dir.path(), &a)).unwrap(), b"hej");
        assert_eq!(a, hex::encode(Sha256::digest(b"hej")));
    }
}
