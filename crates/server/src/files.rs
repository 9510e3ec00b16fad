//! Files that must survive a crash whole: written beside their place, synced, renamed
//! into place, and the rename synced too.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` so that after a crash the file is either as it was or all of
/// `bytes`, never half.
pub fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // The new name must survive a crash too.
    std::fs::File::open(dir)?.sync_all()
}
