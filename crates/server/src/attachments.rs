//! Attached files on disk: stored content-addressed under `data_dir/attachments`, written
//! to a temporary file, synced and renamed, so a crash never leaves half a file under a
//! real name. What may be attached is the use case's (`beredskap_app::attachments`).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The server's [`beredskap_app::attachments::Files`]: a directory.
pub struct DiskFiles {
    pub data_dir: PathBuf,
}

#[async_trait::async_trait]
impl beredskap_app::attachments::Files for DiskFiles {
    async fn put(&self, bytes: Vec<u8>) -> std::io::Result<String> {
        let data_dir = self.data_dir.clone();
        tokio::task::spawn_blocking(move || store(&data_dir, &bytes))
            .await
            .map_err(std::io::Error::other)?
    }

    async fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(path_for(&self.data_dir, sha256)).await
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
