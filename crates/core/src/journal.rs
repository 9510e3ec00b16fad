//! The journal: one append-only, hash-chained record per organisation of every change.
//!
//! Each entry's hash is `SHA-256(prev_hash || canonical JSON of the entry)`, where the
//! canonical JSON covers every stored field but the hashes themselves, and the payload by
//! its own hash (`payload_sha256`). Editing, deleting or reordering a row therefore breaks
//! the chain at that row, which [`ChainVerifier`] reports.
//!
//! Committing to the payload's hash rather than the payload lets an administrator
//! **redact** a payload (text posted by mistake) and leave the chain checkable: the row
//! keeps its payload hash, its payload becomes JSON `null`, and a later `journal.redacted`
//! entry names the rows it redacted. A payload missing without such an entry is tampering.
//! Rows written before payload hashes existed (`payload_hash` is `None`) commit to the
//! payload itself; they verify as before and cannot be redacted.

use crate::ids::OrgId;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of an organisation's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change, as written in the journal: `system`, `cli:alice`, `account:<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    pub fn system() -> Self {
        Self("system".into())
    }

    /// An operator at the command line; `user` is the operating-system user name.
    pub fn cli(user: &str) -> Self {
        let clean: String = user
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .take(64)
            .collect();
        Self(format!("cli:{clean}"))
    }

    /// Someone outside the organisation, through a signed link of theirs (a subscriber
    /// confirming or leaving); who they are is not recorded.
    pub fn public() -> Self {
        Self("public".into())
    }

    pub fn account(id: crate::ids::AccountId) -> Self {
        Self(format!("account:{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from storage.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// A change to record, before the store gives it a place in the chain.
#[derive(Debug, Clone)]
pub struct NewJournalEntry {
    /// What happened, e.g. `person.created`.
    pub kind: &'static str,
    /// What it happened to, e.g. `person:<uuid>`.
    pub subject: String,
    pub payload: Value,
}

impl NewJournalEntry {
    pub fn new(kind: &'static str, subject: impl Into<String>, payload: impl Serialize) -> Self {
        Self {
            kind,
            subject: subject.into(),
            // Serialising our own plain data types cannot fail; keep the change anyway.
            payload: serde_json::to_value(payload).unwrap_or(Value::Null),
        }
    }
}

/// One journal row as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct JournalEntry {
    /// Position in the organisation's sequence: 1, 2, 3… with no gaps.
    pub seq: i64,
    pub org_id: OrgId,
    pub at: DateTime<Utc>,
    #[schema(value_type = String)]
    pub actor: Actor,
    pub kind: String,
    pub subject: String,
    /// Canonical JSON text of the payload; `null` once redacted.
    pub payload: String,
    /// SHA-256 of the payload as written, which the entry's hash commits to. `None` on rows
    /// from before redaction existed, whose hash commits to the payload itself.
    pub payload_hash: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The kind of the entry that records a redaction; its payload lists the redacted `seqs`.
pub const REDACTED_KIND: &str = "journal.redacted";
/// What a redacted row's payload becomes.
pub const REDACTED_PAYLOAD: &str = "null";

/// Hex SHA-256 of a canonical payload text.
pub fn payload_digest(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

/// The current time, truncated to the microseconds both databases keep, so a timestamp
/// hashes the same before it is stored and after it is read back.
pub fn now() -> DateTime<Utc> {
    use crate::clock::Clock;
    // The moment of the commit, by the machine's clock (not a test's manual one).
    let t = crate::clock::SystemClock.now();
    let micros = t.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(t)
}

/// JSON with object keys sorted and no insignificant white space.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The fields an entry's hash covers.
pub struct HashInput<'a> {
    pub seq: i64,
    pub org_id: OrgId,
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub payload: PayloadCommitment<'a>,
}

/// What an entry's hash commits to for its payload.
#[derive(Debug, Clone, Copy)]
pub enum PayloadCommitment<'a> {
    /// The payload's SHA-256 (every entry written now).
    Digest(&'a str),
    /// The canonical payload text itself (rows from before redaction existed).
    Inline(&'a str),
}

pub fn entry_hash(prev_hash: &str, input: &HashInput<'_>) -> String {
    let mut body = serde_json::json!({
        "seq": input.seq,
        "org": input.org_id.to_string(),
        "at": input.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "actor": input.actor,
        "kind": input.kind,
        "subject": input.subject,
    });
    match input.payload {
        PayloadCommitment::Digest(digest) => body["payload_sha256"] = Value::from(digest),
        PayloadCommitment::Inline(text) => {
            // A payload that is not JSON (only possible if someone edited the row) hashes
            // as a string, which then fails to match the stored hash.
            body["payload"] =
                serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()));
        }
    }
    let mut hasher = Sha256::new();
    hasher.update(hex::decode(prev_hash).unwrap_or_else(|_| prev_hash.as_bytes().to_vec()));
    hasher.update(canonical_json(&body).as_bytes());
    hex::encode(hasher.finalize())
}

impl JournalEntry {
    pub fn recomputed_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            &HashInput {
                seq: self.seq,
                org_id: self.org_id,
                at: self.at,
                actor: self.actor.as_str(),
                kind: &self.kind,
                subject: &self.subject,
                payload: match &self.payload_hash {
                    Some(digest) => PayloadCommitment::Digest(digest),
                    None => PayloadCommitment::Inline(&self.payload),
                },
            },
        )
    }
}

/// A redacted row, as verification reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactionNote {
    /// The row whose payload was removed.
    pub seq: i64,
    /// Who redacted it and when: the actor and time of the `journal.redacted` entry.
    pub by: Actor,
    pub at: DateTime<Utc>,
    /// The `journal.redacted` entry.
    pub redaction_seq: i64,
}

/// A chain that verified: how many entries, and which were redacted by whom.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainReport {
    pub entries: i64,
    pub redactions: Vec<RedactionNote>,
}

/// Where and how an organisation's chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("journal of organisation {org_id} is broken at seq {seq}: {problem}")]
pub struct ChainBreak {
    pub org_id: OrgId,
    pub seq: i64,
    pub problem: String,
}

/// Walks one organisation's entries in sequence order and stops at the first broken link.
pub struct ChainVerifier {
    org_id: OrgId,
    next_seq: i64,
    prev_hash: String,
    /// Rows whose payload is gone, not yet accounted for by a `journal.redacted` entry.
    unexplained: std::collections::BTreeSet<i64>,
    redactions: Vec<RedactionNote>,
}

impl ChainVerifier {
    pub fn new(org_id: OrgId) -> Self {
        Self {
            org_id,
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
            unexplained: Default::default(),
            redactions: Vec::new(),
        }
    }

    fn broken(&self, seq: i64, problem: impl Into<String>) -> ChainBreak {
        ChainBreak {
            org_id: self.org_id,
            seq,
            problem: problem.into(),
        }
    }

    pub fn check(&mut self, entry: &JournalEntry) -> Result<(), ChainBreak> {
        if entry.org_id != self.org_id {
            return Err(self.broken(entry.seq, "row belongs to another organisation"));
        }
        if entry.seq > self.next_seq {
            return Err(self.broken(
                self.next_seq,
                format!(
                    "rows {} to {} are missing (deleted)",
                    self.next_seq,
                    entry.seq - 1
                ),
            ));
        }
        if entry.seq < self.next_seq {
            return Err(self.broken(entry.seq, "row appears out of order or twice"));
        }
        if entry.prev_hash != self.prev_hash {
            return Err(self.broken(
                entry.seq,
                "prev_hash does not match the row before it (rows were edited, deleted or reordered)",
            ));
        }
        if entry.recomputed_hash() != entry.hash {
            return Err(self.broken(
                entry.seq,
                "content does not match its hash (the row was edited)",
            ));
        }
        if let Some(digest) = &entry.payload_hash {
            if payload_digest(&entry.payload) != *digest {
                if entry.payload != REDACTED_PAYLOAD {
                    return Err(self.broken(
                        entry.seq,
                        "payload does not match its hash (the row was edited)",
                    ));
                }
                self.unexplained.insert(entry.seq);
            }
        }
        if entry.kind == REDACTED_KIND {
            let payload: Value = serde_json::from_str(&entry.payload).unwrap_or(Value::Null);
            let seqs = payload
                .get("seqs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_i64);
            for seq in seqs {
                if self.unexplained.remove(&seq) {
                    self.redactions.push(RedactionNote {
                        seq,
                        by: entry.actor.clone(),
                        at: entry.at,
                        redaction_seq: entry.seq,
                    });
                }
            }
        }
        self.next_seq += 1;
        self.prev_hash = entry.hash.clone();
        Ok(())
    }

    /// Compares the end of the walk with the head the store keeps for the organisation.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<ChainReport, ChainBreak> {
        let last = self.next_seq - 1;
        if head_seq > last {
            return Err(self.broken(
                last + 1,
                format!(
                    "rows {} to {head_seq} are missing (deleted from the end)",
                    last + 1
                ),
            ));
        }
        if head_seq < last || head_hash != self.prev_hash {
            return Err(self.broken(last, "the chain head does not match the last row"));
        }
        if let Some(&seq) = self.unexplained.first() {
            return Err(self.broken(seq, "the payload was removed without a journaled redaction"));
        }
        Ok(ChainReport {
            entries: last,
            redactions: self.redactions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, {"z": 0, "y": "å"}], "c": null}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":null,"d":[1,{"y":"å","z":0}]},"b":1}"#
        );
    }

    fn entry(org_id: OrgId, seq: i64, prev: &str, kind: &str, payload: Value) -> JournalEntry {
        let payload = canonical_json(&payload);
        let mut e = JournalEntry {
            seq,
            org_id,
            at: now(),
            actor: Actor::system(),
            kind: kind.into(),
            subject: format!("thing:{seq}"),
            payload_hash: Some(payload_digest(&payload)),
            payload,
            prev_hash: prev.to_owned(),
            hash: String::new(),
        };
        e.hash = e.recomputed_hash();
        e
    }

    fn chain(n: i64) -> Vec<JournalEntry> {
        let org_id = OrgId::new();
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let e = entry(org_id, seq, &prev, "test", serde_json::json!({"n": seq}));
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    /// `chain(n)` followed by a `journal.redacted` entry naming `seqs`.
    fn chain_with_redaction(n: i64, seqs: &[i64]) -> Vec<JournalEntry> {
        let mut c = chain(n);
        let last = &c[c.len() - 1];
        let (org, prev) = (last.org_id, last.hash.clone());
        let mut redaction = entry(
            org,
            n + 1,
            &prev,
            REDACTED_KIND,
            serde_json::json!({"seqs": seqs, "reason": "personnummer"}),
        );
        redaction.actor = Actor::cli("admin");
        redaction.hash = redaction.recomputed_hash();
        c.push(redaction);
        c
    }

    fn verify(entries: &[JournalEntry]) -> Result<ChainReport, ChainBreak> {
        let mut v = ChainVerifier::new(entries[0].org_id);
        for e in entries {
            v.check(e)?;
        }
        let head = entries.iter().map(|e| (e.seq, e.hash.clone())).max();
        let (seq, hash) = head.unwrap_or((0, GENESIS_HASH.into()));
        v.finish(seq, &hash)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let report = verify(&chain(5)).unwrap();
        assert_eq!((report.entries, report.redactions.len()), (5, 0));
    }

    #[test]
    fn a_journaled_redaction_verifies_and_is_reported() {
        let mut c = chain_with_redaction(5, &[2, 4]);
        c[1].payload = REDACTED_PAYLOAD.into();
        c[3].payload = REDACTED_PAYLOAD.into();
        let report = verify(&c).unwrap();
        assert_eq!(report.entries, 6);
        let redacted: Vec<_> = report
            .redactions
            .iter()
            .map(|r| (r.seq, r.by.as_str(), r.redaction_seq))
            .collect();
        assert_eq!(redacted, [(2, "cli:admin", 6), (4, "cli:admin", 6)]);
    }

    #[test]
    fn a_payload_removed_without_a_journaled_redaction_is_found() {
        // The redaction entry names row 2 only; row 3 was emptied behind its back.
        let mut c = chain_with_redaction(5, &[2]);
        c[1].payload = REDACTED_PAYLOAD.into();
        c[2].payload = REDACTED_PAYLOAD.into();
        let err = verify(&c).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(
            err.problem.contains("without a journaled redaction"),
            "{err}"
        );
    }

    #[test]
    fn a_payload_replaced_by_other_text_is_found_even_with_a_redaction() {
        let mut c = chain_with_redaction(5, &[2]);
        c[1].payload = r#"{"n":99}"#.into();
        let err = verify(&c).unwrap_err();
        assert_eq!(err.seq, 2);
        assert!(err.problem.contains("edited"), "{err}");
    }

    #[test]
    fn rows_from_before_payload_hashes_verify_and_catch_edits() {
        let org_id = OrgId::new();
        let mut legacy = entry(org_id, 1, GENESIS_HASH, "test", serde_json::json!({"n": 1}));
        legacy.payload_hash = None;
        legacy.hash = legacy.recomputed_hash();
        let next = entry(org_id, 2, &legacy.hash, "test", serde_json::json!({"n": 2}));
        let mut c = vec![legacy, next];
        assert_eq!(verify(&c).unwrap().entries, 2);
        // Without a payload hash the payload itself is in the chain: emptying it breaks it.
        c[0].payload = REDACTED_PAYLOAD.into();
        assert_eq!(verify(&c).unwrap_err().seq, 1);
    }

    #[test]
    fn an_edited_payload_is_found() {
        let mut c = chain(5);
        c[2].payload = r#"{"n":99}"#.into();
        assert_eq!(verify(&c).unwrap_err().seq, 3);
        // Editing the payload hash to match as well breaks the entry's own hash.
        c[2].payload_hash = Some(payload_digest(&c[2].payload));
        assert_eq!(verify(&c).unwrap_err().seq, 3);
    }

    #[test]
    fn an_edited_actor_is_found() {
        let mut c = chain(5);
        c[1].actor = Actor::cli("mallory");
        assert_eq!(verify(&c).unwrap_err().seq, 2);
    }

    #[test]
    fn a_deleted_row_is_found() {
        let mut c = chain(5);
        c.remove(3);
        let err = verify(&c).unwrap_err();
        assert_eq!(err.seq, 4);
        assert!(err.problem.contains("missing"), "{err}");
    }

    #[test]
    fn swapped_rows_are_found() {
        let mut c = chain(5);
        c.swap(1, 2);
        (c[1].seq, c[2].seq) = (2, 3);
        assert_eq!(verify(&c).unwrap_err().seq, 2);
    }

    #[test]
    fn a_row_cut_from_the_end_is_found_against_the_head() {
        let c = chain(5);
        let mut v = ChainVerifier::new(c[0].org_id);
        for e in &c[..4] {
            v.check(e).unwrap();
        }
        assert_eq!(v.finish(5, &c[4].hash).unwrap_err().seq, 5);
    }
}
