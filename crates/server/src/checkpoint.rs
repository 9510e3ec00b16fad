//! Signed checkpoints of the journal heads, kept outside the database.
//!
//! The hash chain shows that no row was changed, but someone with write access to the
//! database can cut rows from the end and move the head back with them: the shorter chain
//! is still a valid chain. A checkpoint closes that gap. The server signs every
//! organisation's head (seq and hash) with an Ed25519 key kept in a file, not in the
//! database, and writes the result to `data_dir/checkpoints/`, into every backup and, when
//! asked, to administrators' private email. `journal verify --checkpoint FILE` then fails
//! when the database ends before a signed head or holds another row at its seq.

use beredskap_core::journal::canonical_json;
use beredskap_core::{OrgId, Store, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `format` of every checkpoint this version writes.
pub const FORMAT: &str = "beredskap-checkpoint-1";
/// The newest checkpoint, beside the dated ones.
pub const LATEST: &str = "latest.json";

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("checkpoint {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("the checkpoint's signature is not valid: {0}")]
    Signature(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// One organisation's journal head, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub org: OrgId,
    pub slug: String,
    pub seq: i64,
    pub hash: String,
}

/// Every organisation's head at one moment, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub format: String,
    pub signed_at: DateTime<Utc>,
    /// The signing key's public half, hex.
    pub public_key: String,
    pub heads: Vec<Head>,
    /// Ed25519 over the canonical JSON of every other field, hex.
    pub signature: String,
}

impl Checkpoint {
    fn signed_bytes(
        format: &str,
        signed_at: DateTime<Utc>,
        public_key: &str,
        heads: &[Head],
    ) -> Vec<u8> {
        let body = serde_json::json!({
            "format": format,
            "signed_at": signed_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "public_key": public_key,
            "heads": heads,
        });
        canonical_json(&body).into_bytes()
    }

    /// Checks the signature, and that it was made by `expected_key` (hex) when given; the
    /// key named inside the checkpoint proves nothing by itself.
    pub fn verify_signature(&self, expected_key: Option<&str>) -> Result<(), CheckpointError> {
        if self.format != FORMAT {
            return Err(CheckpointError::Signature("unknown format"));
        }
        if expected_key.is_some_and(|k| !k.eq_ignore_ascii_case(&self.public_key)) {
            return Err(CheckpointError::Signature(
                "it was signed with another key than this server's",
            ));
        }
        let key = hex::decode(&self.public_key)
            .map_err(|_| CheckpointError::Signature("the public key is not hex"))?;
        let signature = hex::decode(&self.signature)
            .map_err(|_| CheckpointError::Signature("the signature is not hex"))?;
        let bytes = Self::signed_bytes(&self.format, self.signed_at, &self.public_key, &self.heads);
        UnparsedPublicKey::new(&ED25519, key)
            .verify(&bytes, &signature)
            .map_err(|_| CheckpointError::Signature("the heads or the time were changed"))
    }

    pub fn head(&self, org: OrgId) -> Option<&Head> {
        self.heads.iter().find(|h| h.org == org)
    }

    /// Reads and parses a checkpoint file (the signature is checked separately).
    pub fn read(path: &Path) -> Result<Checkpoint, CheckpointError> {
        let file_error = |reason: String| CheckpointError::File {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| file_error(e.to_string()))
    }
}

/// The server's checkpoint signing key.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    public_hex: String,
}

impl SigningKey {
    fn from_seed(seed: &[u8], path: &Path) -> Result<SigningKey, CheckpointError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|e| CheckpointError::Key {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let public_hex = hex::encode(pair.public_key().as_ref());
        Ok(SigningKey { pair, public_hex })
    }

    /// Reads the key (64 hex digits, the Ed25519 seed) from `path`.
    pub fn load(path: &Path) -> Result<SigningKey, CheckpointError> {
        let key_error = |reason: String| CheckpointError::Key {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| key_error(e.to_string()))?;
        let seed = hex::decode(text.trim())
            .ok()
            .filter(|s| s.len() == 32)
            .ok_or_else(|| key_error("is not 64 hex digits".into()))?;
        Self::from_seed(&seed, path)
    }

    /// Reads the key, or makes a new one readable by this user only if there is none.
    pub fn load_or_create(path: &Path) -> Result<SigningKey, CheckpointError> {
        if path.exists() {
            return Self::load(path);
        }
        let mut seed = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed).map_err(
            |_| CheckpointError::Key {
                path: path.to_owned(),
                reason: "no randomness".into(),
            },
        )?;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut file = tempfile::NamedTempFile::new_in(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        std::io::Write::write_all(&mut file, format!("{}\n", hex::encode(seed)).as_bytes())?;
        file.as_file().sync_all()?;
        // Two processes creating it at once: the first one's key wins, both use it.
        match file.persist_noclobber(path) {
            Ok(_) => Self::from_seed(&seed, path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(e.error.into()),
        }
    }

    pub fn public_hex(&self) -> &str {
        &self.public_hex
    }

    pub fn sign(&self, heads: Vec<Head>, signed_at: DateTime<Utc>) -> Checkpoint {
        let bytes = Checkpoint::signed_bytes(FORMAT, signed_at, &self.public_hex, &heads);
        Checkpoint {
            format: FORMAT.into(),
            signed_at,
            public_key: self.public_hex.clone(),
            heads,
            signature: hex::encode(self.pair.sign(&bytes).as_ref()),
        }
    }
}

/// Where checkpoints are written.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("checkpoints")
}

/// Every organisation's head now.
pub async fn current_heads(store: &dyn Store) -> Result<Vec<Head>, StoreError> {
    let mut heads = Vec::new();
    for org in store.list_orgs().await? {
        let (seq, hash) = store.journal_head(org.id).await?;
        heads.push(Head {
            org: org.id,
            slug: org.slug.to_string(),
            seq,
            hash,
        });
    }
    Ok(heads)
}

/// Writes `checkpoint` as `dir/<time>.json` and `dir/latest.json`; returns the first.
pub fn save(dir: &Path, checkpoint: &Checkpoint) -> std::io::Result<PathBuf> {
    let text = serde_json::to_string_pretty(checkpoint).map_err(std::io::Error::other)?;
    let name = checkpoint
        .signed_at
        .format("%Y%m%dT%H%M%S%.6fZ.json")
        .to_string();
    let path = dir.join(name);
    crate::files::write_durably(&path, text.as_bytes())?;
    crate::files::write_durably(&dir.join(LATEST), text.as_bytes())?;
    Ok(path)
}

/// How the database compares with a checkpoint, per organisation in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// The database holds the signed head (and maybe more after it).
    Holds { signed_seq: i64 },
    /// The database ends before the signed head: rows were cut from the end.
    Behind { signed_seq: i64, database_seq: i64 },
    /// The row at the signed seq is another one: the journal was rewritten.
    Disagrees { signed_seq: i64 },
    /// The organisation is gone from the database.
    Missing,
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Comparison::Holds { signed_seq } => {
                write!(f, "holds the signed head at seq {signed_seq}")
            }
            Comparison::Behind {
                signed_seq,
                database_seq,
            } => write!(
                f,
                "the database ends at seq {database_seq}, before the signed head at seq \
                 {signed_seq}: rows were cut from the end"
            ),
            Comparison::Disagrees { signed_seq } => write!(
                f,
                "the row at seq {signed_seq} is not the one signed: the journal was rewritten"
            ),
            Comparison::Missing => write!(f, "the organisation is missing from the database"),
        }
    }
}

/// Compares one organisation's journal with its signed head.
pub async fn compare(store: &dyn Store, head: &Head) -> Result<Comparison, StoreError> {
    let (database_seq, _) = match store.journal_head(head.org).await {
        Ok(h) => h,
        Err(StoreError::NotFound) => return Ok(Comparison::Missing),
        Err(e) => return Err(e),
    };
    if head.seq == 0 {
        return Ok(Comparison::Holds { signed_seq: 0 });
    }
    let row = store.journal_page(head.org, head.seq - 1, 1).await?;
    Ok(match row.first() {
        Some(entry) if entry.seq == head.seq && entry.hash == head.hash => Comparison::Holds {
            signed_seq: head.seq,
        },
        Some(entry) if entry.seq == head.seq => Comparison::Disagrees {
            signed_seq: head.seq,
        },
        _ => Comparison::Behind {
            signed_seq: head.seq,
            database_seq,
        },
    })
}

/// Takes checkpoints: on demand, and from the server at an interval when something changed.
pub struct Checkpointer {
    store: std::sync::Arc<dyn Store>,
    key: SigningKey,
    dir: PathBuf,
    /// The heads of the last checkpoint written, so an idle server writes no new ones.
    last: tokio::sync::Mutex<Option<Vec<Head>>>,
}

impl Checkpointer {
    pub fn new(store: std::sync::Arc<dyn Store>, key: SigningKey, dir: PathBuf) -> Checkpointer {
        let last = Checkpoint::read(&dir.join(LATEST)).ok().map(|c| c.heads);
        Checkpointer {
            store,
            key,
            dir,
            last: tokio::sync::Mutex::new(last),
        }
    }

    pub fn public_hex(&self) -> &str {
        self.key.public_hex()
    }

    /// Signs and saves the heads now.
    pub async fn take(&self, now: DateTime<Utc>) -> Result<(Checkpoint, PathBuf), CheckpointError> {
        let mut last = self.last.lock().await;
        let heads = current_heads(self.store.as_ref()).await?;
        self.sign_and_save(&mut last, heads, now)
    }

    /// Takes a checkpoint if any head moved since the last one; returns it.
    pub async fn run_once(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        let mut last = self.last.lock().await;
        let heads = current_heads(self.store.as_ref()).await?;
        if last.as_ref() == Some(&heads) {
            return Ok(None);
        }
        Ok(Some(self.sign_and_save(&mut last, heads, now)?.0))
    }

    fn sign_and_save(
        &self,
        last: &mut Option<Vec<Head>>,
        heads: Vec<Head>,
        now: DateTime<Utc>,
    ) -> Result<(Checkpoint, PathBuf), CheckpointError> {
        let checkpoint = self.key.sign(heads.clone(), now);
        let path = save(&self.dir, &checkpoint)?;
        *last = Some(heads);
        Ok((checkpoint, path))
    }
}

/// The checkpoint mail, in the organisation's language.
fn mail_text(org: &beredskap_core::register::Org, json: &str) -> (String, String) {
    beredskap_app::messages::checkpoint_mail(org, json)
}

impl Checkpointer {
    /// Mails each organisation's administrators a checkpoint of their organisation's head
    /// alone (another organisation's name or head is none of theirs), to their verified
    /// private addresses. Returns how many mails went out.
    pub async fn email_administrators(
        &self,
        checkpoint: &Checkpoint,
        email: &dyn crate::notify::Provider,
    ) -> Result<usize, CheckpointError> {
        use beredskap_core::register::{ContactKind, ContactLabel, Role};
        let mut sent = 0;
        for head in &checkpoint.heads {
            let Some(org) = self.store.org(head.org).await? else {
                continue;
            };
            let own = self.key.sign(vec![head.clone()], checkpoint.signed_at);
            let json = serde_json::to_string_pretty(&own).map_err(std::io::Error::other)?;
            let (subject, body) = mail_text(&org, &json);
            let admins: std::collections::HashSet<_> = self
                .store
                .list_accounts(org.id)
                .await?
                .into_iter()
                .filter(|a| a.role == Role::Admin)
                .map(|a| a.person_id)
                .collect();
            for person in self.store.list_people(org.id).await? {
                if !admins.contains(&person.id) {
                    continue;
                }
                let private = person.contact_points.iter().find(|cp| {
                    cp.verified
                        && cp.kind == ContactKind::Email
                        && cp.label == ContactLabel::Private
                });
                let Some(address) = private else {
                    continue;
                };
                let message = crate::notify::OutgoingMessage {
                    to: address.value.clone(),
                    subject: subject.clone(),
                    body: body.clone(),
                    idempotency_key: None,
                    link: None,
                    from: None,
                    attachment: None,
                    unsubscribe: None,
                };
                match email.send(&message).await {
                    Ok(_) => sent += 1,
                    Err(e) => tracing::warn!(error = %e, "checkpoint mail not sent"),
                }
            }
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dir: &Path) -> SigningKey {
        SigningKey::load_or_create(&dir.join("checkpoint.key")).unwrap()
    }

    fn heads() -> Vec<Head> {
        vec![Head {
            org: OrgId::new(),
            slug: "lillby".into(),
            seq: 42,
            hash: "ab".repeat(32),
        }]
    }

    fn a_moment() -> chrono::DateTime<Utc> {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_checkpoint_verifies_and_any_change_breaks_the_signature() {
        let dir = tempfile::tempdir().unwrap();
        let key = key(dir.path());
        let signed = key.sign(heads(), a_moment());
        signed.verify_signature(Some(key.public_hex())).unwrap();
        let mut rewound = signed.clone();
        rewound.heads[0].seq = 41;
        assert!(rewound.verify_signature(None).is_err());
        let mut later = signed.clone();
        later.signed_at += chrono::Duration::seconds(1);
        assert!(later.verify_signature(None).is_err());
        // Signed again with another key: valid in itself, but not this server's.
        let other = SigningKey::load_or_create(&dir.path().join("other.key")).unwrap();
        let forged = other.sign(rewound.heads.clone(), a_moment());
        forged.verify_signature(None).unwrap();
        assert!(forged.verify_signature(Some(key.public_hex())).is_err());
    }

    #[test]
    fn the_key_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = key(dir.path());
        let again = key(dir.path());
        assert_eq!(first.public_hex(), again.public_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("checkpoint.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        std::fs::write(dir.path().join("bad.key"), "not a key").unwrap();
        let err = SigningKey::load(&dir.path().join("bad.key")).err().unwrap();
        assert!(err.to_string().contains("64 hex digits"), "{err}");
    }

    #[test]
    fn saved_checkpoints_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let signed = key(dir.path()).sign(heads(), beredskap_core::journal::now());
        let path = save(dir.path(), &signed).unwrap();
        assert_eq!(Checkpoint::read(&path).unwrap(), signed);
        assert_eq!(Checkpoint::read(&dir.path().join(LATEST)).unwrap(), signed);
        Checkpoint::read(&path)
            .unwrap()
            .verify_signature(None)
            .unwrap();
    }
}
