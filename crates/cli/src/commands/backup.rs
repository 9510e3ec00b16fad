//! `beredskap backup` and `beredskap restore`: a consistent copy of the embedded database,
//! the attachments it refers to and a fresh signed checkpoint, with a manifest of
//! checksums that `restore` checks before it writes anything.

use super::say;
use anyhow::{bail, Context};
use beredskap_core::store::verify_journal;
use beredskap_server::checkpoint::{self, Checkpoint, Checkpointer, Comparison, SigningKey};
use beredskap_server::Config;
use beredskap_store::{DatabaseUrl, OpenOptions};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

/// The manifest's `format`.
const FORMAT: &str = "beredskap-backup-1";
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "beredskap.db";
const CHECKPOINT: &str = "checkpoint.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    created_at: chrono::DateTime<chrono::Utc>,
    /// The version of Beredskap that wrote it.
    version: String,
    /// Every organisation's journal head in the copied database.
    heads: Vec<checkpoint::Head>,
    /// Every file of the backup but the manifest, with its size and SHA-256.
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    path: String,
    size: u64,
    sha256: String,
}

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// A new or empty directory to write the backup to.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup directory (what `beredskap backup --out` wrote).
    #[arg(long)]
    from: PathBuf,
    /// A new or empty data directory to restore into; start the server with it as
    /// `BEREDSKAP_DATA_DIR`.
    #[arg(long)]
    data_dir: PathBuf,
}

/// Refuses a directory that exists with something in it.
fn must_be_new_or_empty(dir: &Path, what: &str) -> anyhow::Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{what} {} is not empty; give a new or empty directory",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("{what} {}", dir.display())),
    }
}

/// Copies `from` to `to` and returns the copy's size and SHA-256, read as it was copied.
fn copy_hashed(from: &Path, to: &Path) -> anyhow::Result<(u64, String)> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut input = std::fs::File::open(from).with_context(|| from.display().to_string())?;
    let mut output = std::fs::File::create(to).with_context(|| to.display().to_string())?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = input.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n])?;
        size += n as u64;
    }
    output.sync_all()?;
    Ok((size, hex::encode(hasher.finalize())))
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut input = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut input, &mut hasher)?;
    Ok((size, hex::encode(hasher.finalize())))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Every organisation's head, read from a database file.
async fn heads_of(conn: &mut sqlx::SqliteConnection) -> anyhow::Result<Vec<checkpoint::Head>> {
    let rows = sqlx::query(
        "SELECT o.id, o.slug, h.seq, h.hash FROM journal_heads h JOIN orgs o ON o.id = h.org_id \
         ORDER BY o.slug",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(checkpoint::Head {
                org: beredskap_core::OrgId(r.try_get("id")?),
                slug: r.try_get("slug")?,
                seq: r.try_get("seq")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect()
}

pub async fn backup(config: Config, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let db = config.database()?;
    let DatabaseUrl::Sqlite(source) = &db.url else {
        say(
            "This server keeps its data in PostgreSQL; back it up with PostgreSQL's own tools:\n\
             \x20 pg_dump --format=custom --file=beredskap.dump \"$BEREDSKAP_DATABASE_URL\"\n\
             \x20   (a consistent copy taken while the server runs; restore with pg_restore)\n\
             \x20 pg_basebackup --pgdata=/backup/base --wal-method=stream\n\
             \x20   (a copy of the whole cluster, for point-in-time recovery with archived WAL)\n\
             and copy the data directory's attachments/ and checkpoints/ beside it.\n\
             See README.md, \"Backup and restore\".",
        );
        return Ok(ExitCode::from(1));
    };
    if !source.exists() {
        bail!("no database at {}", source.display());
    }
    let out = &args.out;
    must_be_new_or_empty(out, "backup directory")?;
    std::fs::create_dir_all(out)?;

    // A checkpoint first: the copy taken after it holds at least every head it signs.
    let store = super::open_store(&config, false).await?;
    let key = SigningKey::load_or_create(&config.checkpoint_key_path())?;
    let signer = Checkpointer::new(store.clone(), key, checkpoint::dir(&config.data_dir));
    let (_, checkpoint_path) = signer.take(beredskap_core::journal::now()).await?;

    // One read transaction copies the whole database while the server goes on writing.
    let snapshot = out.join(DATABASE);
    let mut conn = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new()
            .filename(source)
            .read_only(true)
            .busy_timeout(std::time::Duration::from_secs(30)),
    )
    .await
    .with_context(|| format!("opening {}", source.display()))?;
    let target = snapshot.to_string_lossy().replace('\'', "''");
    sqlx::query(&format!("VACUUM INTO '{target}'"))
        .execute(&mut conn)
        .await
        .context("copying the database")?;
    conn.close().await?;

    let mut copy =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", snapshot.display()))
            .await?;
    let heads = heads_of(&mut copy).await?;
    let files: Vec<String> = sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments")
        .fetch_all(&mut copy)
        .await?;
    copy.close().await?;

    let mut entries = Vec::new();
    let (size, sha256) = hash_file(&snapshot)?;
    entries.push(FileEntry {
        path: DATABASE.into(),
        size,
        sha256,
    });
    let (size, sha256) = copy_hashed(&checkpoint_path, &out.join(CHECKPOINT))?;
    entries.push(FileEntry {
        path: CHECKPOINT.into(),
        size,
        sha256,
    });
    for sha in &files {
        let from = beredskap_server::attachments::path_for(&config.data_dir, sha);
        let relative = from
            .strip_prefix(&config.data_dir)
            .unwrap_or(&from)
            .to_path_buf();
        let (size, copied) = copy_hashed(&from, &out.join(&relative))
            .with_context(|| format!("attachment {sha} (the database refers to it)"))?;
        if copied != *sha {
            bail!(
                "attachment {} is damaged: its content does not match its name",
                from.display()
            );
        }
        entries.push(FileEntry {
            path: relative.to_string_lossy().into_owned(),
            size,
            sha256: copied,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        created_at: beredskap_core::journal::now(),
        version: env!("CARGO_PKG_VERSION").into(),
        heads,
        files: entries,
    };
    // The manifest last, and atomically: a backup without one is incomplete.
    let text = serde_json::to_string_pretty(&manifest)?;
    beredskap_server::files::write_durably(&out.join(MANIFEST), text.as_bytes())?;
    for head in &manifest.heads {
        say(format!("{}: journal to seq {}", head.slug, head.seq));
    }
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    say(format!(
        "backup written to {}: {} files, {:.1} MB, with a signed checkpoint",
        out.display(),
        manifest.files.len(),
        bytes as f64 / 1e6
    ));
    Ok(ExitCode::SUCCESS)
}

/// A path from a manifest, if it stays inside the backup.
fn inside(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(relative);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !relative.is_empty()).then_some(path)
}

/// Reads the manifest and checks every file it lists.
fn checked_manifest(from: &Path) -> anyhow::Result<Manifest> {
    let text = match std::fs::read_to_string(from.join(MANIFEST)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "incomplete backup: {} has no {MANIFEST} (was the backup interrupted?)",
            from.display()
        ),
        Err(e) => return Err(e).context(MANIFEST),
    };
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("damaged backup: {MANIFEST}"))?;
    if manifest.format != FORMAT {
        bail!("{MANIFEST}: unknown format {:?}", manifest.format);
    }
    if !manifest.files.iter().any(|f| f.path == DATABASE) {
        bail!("incomplete backup: {MANIFEST} lists no {DATABASE}");
    }
    for entry in &manifest.files {
        let Some(relative) = inside(&entry.path) else {
            bail!(
                "damaged backup: {MANIFEST} names {:?}, outside the backup",
                entry.path
            );
        };
        let path = from.join(relative);
        let (size, sha256) = match hash_file(&path) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("incomplete backup: {} is missing", entry.path)
            }
            Err(e) => return Err(e).with_context(|| entry.path.clone()),
        };
        if size != entry.size || sha256 != entry.sha256 {
            bail!(
                "damaged backup: {} does not match its checksum in {MANIFEST}",
                entry.path
            );
        }
    }
    Ok(manifest)
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let manifest = checked_manifest(&args.from)?;
    let target = &args.data_dir;
    must_be_new_or_empty(target, "data directory")?;
    // Everything goes into a directory beside the target, renamed into place only once the
    // restored journal verifies: a failed restore leaves no half-filled data directory.
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let staging = tempfile::Builder::new()
        .prefix(".beredskap-restore-")
        .tempdir_in(&parent)?;
    for entry in &manifest.files {
        let Some(relative) = inside(&entry.path) else {
            bail!("damaged backup: {:?} is outside the backup", entry.path);
        };
        let (_, sha256) = copy_hashed(&args.from.join(&relative), &staging.path().join(&relative))?;
        if sha256 != entry.sha256 {
            bail!("{} changed while it was being restored", entry.path);
        }
    }

    let database = staging.path().join(DATABASE);
    let store = beredskap_store::open(
        &DatabaseUrl::Sqlite(database.clone()),
        &OpenOptions {
            create: false,
            ..OpenOptions::default()
        },
    )
    .await
    .context("opening the restored database")?;
    let mut problems = Vec::new();
    for head in &manifest.heads {
        match verify_journal(store.as_ref(), head.org).await? {
            Ok(report) if report.entries == head.seq => say(format!(
                "{}: {} entries, chain intact, the same head as when backed up",
                head.slug, report.entries
            )),
            Ok(report) => problems.push(format!(
                "{}: the journal ends at seq {}, the manifest says {}",
                head.slug, report.entries, head.seq
            )),
            Err(broken) => problems.push(format!(
                "{}: journal broken at seq {}: {}",
                head.slug, broken.seq, broken.problem
            )),
        }
        let (_, hash) = store.journal_head(head.org).await?;
        if hash != head.hash {
            problems.push(format!(
                "{}: the journal head is not the one backed up",
                head.slug
            ));
        }
    }
    let signed = Checkpoint::read(&staging.path().join(CHECKPOINT))?;
    signed.verify_signature(None)?;
    for head in &signed.heads {
        match checkpoint::compare(store.as_ref(), head).await? {
            Comparison::Holds { .. } => {}
            problem => problems.push(format!(
                "{}: against the backup's checkpoint: {problem}",
                head.slug
            )),
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            say(p.clone());
        }
        bail!("the backup's database does not verify; nothing was restored");
    }
    say(format!(
        "holds the backup's checkpoint of {}, signed with key {}",
        signed
            .signed_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        signed.public_key
    ));
    let indexed = beredskap_server::search::SearchIndex::rebuild(
        &beredskap_server::search::SearchIndex::dir(staging.path()),
        store.clone(),
    )
    .await
    .context("rebuilding the search index")?;
    drop(store);
    // The checkpoint goes where the server keeps them, so verify finds it later.
    let kept = checkpoint::dir(staging.path());
    std::fs::create_dir_all(&kept)?;
    std::fs::copy(
        staging.path().join(CHECKPOINT),
        kept.join(checkpoint::LATEST),
    )?;

    let staged = staging.keep();
    if target.exists() {
        std::fs::remove_dir(target)?;
    }
    std::fs::rename(&staged, target)?;
    sync_dir(&parent)?;
    say(format!(
        "search index rebuilt: {indexed} journal entries read"
    ));
    say(format!(
        "restored into {}; start the server with BEREDSKAP_DATA_DIR={}",
        target.display(),
        target.display()
    ));
    Ok(ExitCode::SUCCESS)
}
