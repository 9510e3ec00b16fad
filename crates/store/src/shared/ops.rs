//! The SQL operations shared by both backends. This file is compiled twice, as the `ops`
//! module of `sqlite.rs` and of `postgres.rs` (`#[path]`), each of which has a `dialect`
//! module with its `Db` and what it does differently. The statements are written in the
//! subset both dialects accept (`$n` parameters, `RETURNING`, `ON CONFLICT`, `SAVEPOINT`);
//! anything dialect-specific stays in the backends. Every function takes the connection of
//! a transaction that the backend opened.

use beredskap_core::auth::{
    AttemptReservation, Credentials, Enrolment, NewCredentials, NewSession, PasskeyChange,
    Reserved, ReservedKey, SecondFactor, Session, SessionId, StoredPasskey, Throttle,
    ThrottlePolicy,
};
use beredskap_core::import::{ImportChange, ImportReport, ImportRow};
use beredskap_core::journal::{
    self, canonical_json, entry_hash, payload_digest, HashInput, PayloadCommitment, GENESIS_HASH,
};
use beredskap_core::register::{
    Account, ApiToken, ContactKind, ContactLabel, ContactPoint, Group, NewGroup, NewOrg,
    NewPosition, Org, OrgSettings, Person, PersonDraft, Position, Role, Scope, TokenGrant,
};
use beredskap_core::store::{Conflict, StoreError, StoreResult};
use beredskap_core::Problem;
use beredskap_core::{
    AccountId, Actor, ApiTokenId, EmailAddress, GroupId, JournalEntry, NewJournalEntry, OrgId,
    PersonId, PositionId, Region, Slug, TimeZone,
};
use chrono::{DateTime, Utc};
use sqlx::Row as _;

pub use super::dialect::{durability, lock_org};
use super::dialect::{push_among, push_handed, write_deferred_journal, Db, DUE_ORDER, SKIP_LOCKED};

#[path = "conversation_ops.rs"]
pub mod conversation;

#[path = "alerting_ops.rs"]
pub mod alerting;

#[path = "directory_ops.rs"]
pub mod directory;

#[path = "continuity_ops.rs"]
pub mod continuity;

#[path = "priority_ops.rs"]
pub mod priority;

#[path = "notice_ops.rs"]
pub mod notices;

#[path = "subscription_ops.rs"]
pub mod subscriptions;

#[path = "activation_ops.rs"]
pub mod activation;

#[path = "alert_template_ops.rs"]
pub mod alert_templates;

use std::collections::HashMap;
use uuid::Uuid;

pub type Conn = <Db as sqlx::Database>::Connection;
type DbRow = <Db as sqlx::Database>::Row;

fn col<'r, T>(row: &'r DbRow, name: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(name).map_err(crate::map_sqlx_error)
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} is not valid: {error}"))
}

pub(super) fn db(e: sqlx::Error) -> StoreError {
    crate::map_sqlx_error(e)
}

// ---------------------------------------------------------------- journal

/// Appends one entry to the organisation's chain.
///
/// Outside a batch (or for another organisation than the batch's) the `UPDATE … RETURNING`
/// on the head row both takes the next number and locks the head until the transaction
/// ends. Inside a batch that holds the organisation's head the number and link come from
/// the held head (`batch::HeldHead`): a batch that defers its appends keeps the entry to
/// write before its commit; otherwise the insert itself checks that the head row still is
/// that head (a write rolled back earlier in the batch makes it stale, and then the head
/// is read again). Whenever the entry is inserted, the trigger `journal_advance_head`
/// moves the head row to it.
pub async fn append_journal(
    conn: &mut Conn,
    org: OrgId,
    actor: &Actor,
    entry: NewJournalEntry,
) -> StoreResult<JournalEntry> {
    let payload = canonical_json(&entry.payload);
    let payload_hash = payload_digest(&payload);
    if let Some(held) = crate::batch::held_head(org) {
        let next = chained_entry(org, actor, &entry, held, (&payload, &payload_hash));
        if crate::batch::defer_append(&next) {
            return Ok(next);
        }
        if insert_journal_entry(conn, &next, true).await? {
            crate::batch::advance_held_head(org, next.seq, &next.hash);
            return Ok(next);
        }
    }
    let head =
        sqlx::query("UPDATE journal_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash")
            .bind(org.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
    // The head's number is already the new entry's; its hash is still the predecessor's
    // (the insert's trigger moves it).
    let (seq, hash): (i64, String) = (col(&head, "seq")?, col(&head, "hash")?);
    let next = chained_entry(
        org,
        actor,
        &entry,
        (seq - 1, hash),
        (&payload, &payload_hash),
    );
    if !insert_journal_entry(conn, &next, false).await? {
        return Err(StoreError::Backend("journal entry not inserted".into()));
    }
    crate::batch::advance_held_head(org, next.seq, &next.hash);
    Ok(next)
}

/// `entry` as the journal entry after `(seq, hash)`: numbered, timed, and linked.
fn chained_entry(
    org: OrgId,
    actor: &Actor,
    entry: &NewJournalEntry,
    (prev_seq, prev_hash): (i64, String),
    (payload, payload_hash): (&str, &str),
) -> JournalEntry {
    let at = journal::now();
    let seq = prev_seq + 1;
    let hash = entry_hash(
        &prev_hash,
        &HashInput {
            seq,
            org_id: org,
            at,
            actor: actor.as_str(),
            kind: entry.kind,
            subject: &entry.subject,
            payload: PayloadCommitment::Digest(payload_hash),
        },
    );
    JournalEntry {
        seq,
        org_id: org,
        at,
        actor: actor.clone(),
        kind: entry.kind.to_owned(),
        subject: entry.subject.clone(),
        payload: payload.to_owned(),
        payload_hash: Some(payload_hash.to_owned()),
        prev_hash,
        hash,
    }
}

/// Inserts `entry`; with `check_head`, only if the head row is the entry's predecessor
/// (false when it is not).
async fn insert_journal_entry(
    conn: &mut Conn,
    entry: &JournalEntry,
    check_head: bool,
) -> StoreResult<bool> {
    let sql = match check_head {
        true => {
            "INSERT INTO journal \
             (org_id, seq, at, actor, kind, subject, payload, payload_hash, prev_hash, hash) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 \
             FROM journal_heads WHERE org_id = $1 AND seq = $2 - 1 AND hash = $9)"
        }
        false => {
            "INSERT INTO journal \
             (org_id, seq, at, actor, kind, subject, payload, payload_hash, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        }
    };
    let inserted = sqlx::query(sql)
        .bind(entry.org_id.0)
        .bind(entry.seq)
        .bind(entry.at)
        .bind(entry.actor.as_str())
        .bind(&entry.kind)
        .bind(&entry.subject)
        .bind(&entry.payload)
        .bind(&entry.payload_hash)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
    Ok(inserted > 0)
}

pub async fn journal_page(
    conn: &mut Conn,
    org: OrgId,
    after_seq: i64,
    limit: u32,
) -> StoreResult<Vec<JournalEntry>> {
    let rows = sqlx::query(
        "SELECT org_id, seq, at, actor, kind, subject, payload, payload_hash, prev_hash, hash \
         FROM journal WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(org.0)
    .bind(after_seq)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(JournalEntry {
                seq: col(r, "seq")?,
                org_id: OrgId(col(r, "org_id")?),
                at: col(r, "at")?,
                actor: Actor::from_stored(col(r, "actor")?),
                kind: col(r, "kind")?,
                subject: col(r, "subject")?,
                payload: col(r, "payload")?,
                payload_hash: col(r, "payload_hash")?,
                prev_hash: col(r, "prev_hash")?,
                hash: col(r, "hash")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- nodes

/// The outboxes whose rows nodes claim.
const OUTBOX_TABLES: [&str; 3] = ["deliveries", "public_deliveries", "activation_sends"];

/// Frees what `nodes` hold: their claimed rows are pending again, for any node to take.
async fn free_claims_of(conn: &mut Conn, nodes: &[Uuid]) -> StoreResult<u64> {
    let mut freed = 0;
    for node in nodes {
        for table in OUTBOX_TABLES {
            freed += sqlx::query(&format!(
                "UPDATE {table} SET status = 'pending', claimed_until = NULL, claimed_by = NULL \
                 WHERE status = 'claimed' AND claimed_by = $1"
            ))
            .bind(node)
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
        }
    }
    Ok(freed)
}

/// Leaves out `nodes`, freeing what they held.
async fn drop_nodes(conn: &mut Conn, nodes: &[Uuid]) -> StoreResult<u64> {
    let freed = free_claims_of(conn, nodes).await?;
    for node in nodes {
        sqlx::query("DELETE FROM nodes WHERE id = $1")
            .bind(node)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(freed)
}

async fn record_node(
    conn: &mut Conn,
    node: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let seen = sqlx::query("UPDATE nodes SET seen_at = $2 WHERE id = $1")
        .bind(node)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
    if seen == 0 {
        sqlx::query("INSERT INTO nodes (id, name, started_at, seen_at) VALUES ($1, $2, $3, $3)")
            .bind(node)
            .bind(name)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

pub async fn join_nodes(
    conn: &mut Conn,
    node: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let earlier: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM nodes WHERE name = $1 AND id <> $2")
            .bind(name)
            .bind(node)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let freed = drop_nodes(conn, &earlier).await?;
    record_node(conn, node, name, now).await?;
    Ok(freed)
}

pub async fn node_heartbeat(
    conn: &mut Conn,
    node: Uuid,
    name: &str,
    now: DateTime<Utc>,
    silent_since: DateTime<Utc>,
) -> StoreResult<u64> {
    // Thought gone by another node (its heartbeats did not land), this node joins again;
    // what it held has been freed, and its hand-offs check that before they go.
    record_node(conn, node, name, now).await?;
    let silent: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM nodes WHERE seen_at < $1 AND id <> $2")
            .bind(silent_since)
            .bind(node)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let mut freed = drop_nodes(conn, &silent).await?;
    // A claim can land after its node was left out: a run killed in the middle of a claim
    // leaves the statement to finish on the database server, after the run that took its
    // name has freed what it held. It would wait for its lease (a blast's half minute);
    // claims of a node no longer listed are freed here instead.
    for table in OUTBOX_TABLES {
        freed += sqlx::query(&format!(
            "UPDATE {table} SET status = 'pending', claimed_until = NULL, claimed_by = NULL \
             WHERE status = 'claimed' AND claimed_by IS NOT NULL \
             AND claimed_by NOT IN (SELECT id FROM nodes)"
        ))
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
    }
    Ok(freed)
}

pub async fn leave_nodes(conn: &mut Conn, node: Uuid) -> StoreResult<u64> {
    drop_nodes(conn, &[node]).await
}

/// The journal heads and the outboxes' backlogs: one query per table, each on an index.
pub async fn operations_figures(
    conn: &mut Conn,
    now: DateTime<Utc>,
) -> StoreResult<beredskap_core::store::OperationsFigures> {
    let heads = sqlx::query(
        "SELECT o.slug, h.seq FROM journal_heads h JOIN orgs o ON o.id = h.org_id ORDER BY o.slug",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let journal_heads = heads
        .iter()
        .map(|r| Ok((col(r, "slug")?, col(r, "seq")?)))
        .collect::<StoreResult<Vec<_>>>()?;
    let mut outboxes = Vec::with_capacity(3);
    for (outbox, table) in [
        ("alerts", "deliveries"),
        ("public", "public_deliveries"),
        ("activation", "activation_sends"),
    ] {
        let row = sqlx::query(&format!(
            "SELECT \
               (SELECT COUNT(*) FROM {table} WHERE status = 'pending' AND due_at <= $1) AS due, \
               (SELECT COUNT(*) FROM {table} WHERE status = 'claimed') AS claimed, \
               (SELECT MIN(due_at) FROM {table} WHERE status = 'pending' AND due_at <= $1) \
                 AS oldest"
        ))
        .bind(now)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        outboxes.push(beredskap_core::store::OutboxBacklog {
            outbox,
            due: col(&row, "due")?,
            claimed: col(&row, "claimed")?,
            oldest_due: col(&row, "oldest")?,
        });
    }
    Ok(beredskap_core::store::OperationsFigures {
        journal_heads,
        outboxes,
    })
}

pub async fn journal_head(conn: &mut Conn, org: OrgId) -> StoreResult<(i64, String)> {
    let row = sqlx::query("SELECT seq, hash FROM journal_heads WHERE org_id = $1")
        .bind(org.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    Ok((col(&row, "seq")?, col(&row, "hash")?))
}

// ---------------------------------------------------------------- organisations

fn org_from_row(r: &DbRow) -> StoreResult<Org> {
    org_from_prefixed_row(r, "")
}

/// An organisation from a row whose columns are named `prefix` and the column's name: a
/// join's row names them apart from its other tables' (see [`ORG_COLUMNS_AS_O`]).
fn org_from_prefixed_row(r: &DbRow, prefix: &str) -> StoreResult<Org> {
    let name = |column: &str| format!("{prefix}{column}");
    let slug: String = col(r, &name("slug"))?;
    let region: String = col(r, &name("region"))?;
    let region = Region::parse(&region).map_err(|e| corrupt("region", e))?;
    Ok(Org {
        id: OrgId(col(r, &name("id"))?),
        slug: Slug::parse(&slug).map_err(|e| corrupt("slug", e))?,
        name: col(r, &name("name"))?,
        region,
        fallback_sign_in: col(r, &name("fallback_sign_in"))?,
        members_need_second_factor: col(r, &name("members_need_second_factor"))?,
        classifications: {
            let stored: Option<String> = col(r, &name("classifications"))?;
            match stored {
                Some(labels) => labels.lines().map(str::to_owned).collect(),
                None => beredskap_core::conversation::default_classifications(region),
            }
        },
        sms_number: col(r, &name("sms_number"))?,
        time_zone: col::<Option<String>>(r, &name("time_zone"))?
            .map(|zone| TimeZone::parse(&zone).map_err(|e| corrupt("orgs.time_zone", e)))
            .transpose()?,
        language: col(r, &name("language"))?,
        created_at: col(r, &name("created_at"))?,
    })
}

/// An organisation's columns in a join, the table as `o` and each column named `o_…`, for
/// [`org_from_prefixed_row`] with `"o_"`.
const ORG_COLUMNS_AS_O: &str = "o.id AS o_id, o.slug AS o_slug, o.name AS o_name, \
    o.region AS o_region, o.fallback_sign_in AS o_fallback_sign_in, \
    o.members_need_second_factor AS o_members_need_second_factor, \
    o.classifications AS o_classifications, o.sms_number AS o_sms_number, \
    o.time_zone AS o_time_zone, o.language AS o_language, o.created_at AS o_created_at";

pub async fn insert_org(conn: &mut Conn, actor: &Actor, new: NewOrg) -> StoreResult<Org> {
    if org_by_slug(conn, &new.slug).await?.is_some() {
        return Err(StoreError::Conflict(Conflict::OrgSlug));
    }
    let org = Org {
        id: OrgId::new(),
        slug: new.slug,
        name: new.name,
        region: new.region,
        fallback_sign_in: false,
        members_need_second_factor: true,
        classifications: beredskap_core::conversation::default_classifications(new.region),
        sms_number: None,
        time_zone: None,
        language: None,
        created_at: journal::now(),
    };
    sqlx::query(
        "INSERT INTO orgs (id, slug, name, region, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org.id.0)
    .bind(org.slug.as_str())
    .bind(&org.name)
    .bind(org.region.as_str())
    .bind(org.created_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query("INSERT INTO journal_heads (org_id, seq, hash) VALUES ($1, 0, $2)")
        .bind(org.id.0)
        .bind(GENESIS_HASH)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org.id,
        actor,
        NewJournalEntry::new("org.created", format!("org:{}", org.id), &org),
    )
    .await?;
    Ok(org)
}

pub async fn org(conn: &mut Conn, id: OrgId) -> StoreResult<Option<Org>> {
    sqlx::query(
        "SELECT id, slug, name, region, fallback_sign_in, members_need_second_factor, classifications, sms_number, time_zone, language, created_at FROM orgs WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .as_ref()
    .map(org_from_row)
    .transpose()
}

pub async fn org_by_slug(conn: &mut Conn, slug: &Slug) -> StoreResult<Option<Org>> {
    sqlx::query(
        "SELECT id, slug, name, region, fallback_sign_in, members_need_second_factor, classifications, sms_number, time_zone, language, created_at FROM orgs WHERE slug = $1",
    )
    .bind(slug.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .as_ref()
    .map(org_from_row)
    .transpose()
}

pub async fn update_org_settings(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    settings: OrgSettings,
) -> StoreResult<Org> {
    if let Some(code) = &settings.language {
        language_shaped(code)?;
    }
    let updated = sqlx::query(
        "UPDATE orgs SET fallback_sign_in = $2, members_need_second_factor = $3, time_zone = $4, \
         language = $5 WHERE id = $1",
    )
    .bind(org.0)
    .bind(settings.fallback_sign_in)
    .bind(settings.members_need_second_factor)
    .bind(settings.time_zone.map(TimeZone::name))
    .bind(&settings.language)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new("org.settings_changed", format!("org:{org}"), settings),
    )
    .await?;
    let row = sqlx::query(
        "SELECT id, slug, name, region, fallback_sign_in, members_need_second_factor, classifications, sms_number, time_zone, language, created_at FROM orgs WHERE id = $1",
    )
    .bind(org.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    org_from_row(&row)
}

pub async fn set_org_sms_number(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    number: Option<beredskap_core::PhoneNumber>,
) -> StoreResult<Org> {
    let number = number.map(|n| n.as_str().to_owned());
    let updated = sqlx::query("UPDATE orgs SET sms_number = $2 WHERE id = $1")
        .bind(org.0)
        .bind(&number)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "org.sms_number_set",
            format!("org:{org}"),
            serde_json::json!({ "sms_number": number }),
        ),
    )
    .await?;
    self::org(conn, org).await?.ok_or(StoreError::NotFound)
}

pub async fn list_orgs(conn: &mut Conn) -> StoreResult<Vec<Org>> {
    let rows = sqlx::query(
        "SELECT id, slug, name, region, fallback_sign_in, members_need_second_factor, classifications, sms_number, time_zone, language, created_at FROM orgs ORDER BY slug",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(org_from_row).collect()
}

// ---------------------------------------------------------------- people

const PERSON_COLUMNS: &str = "id, org_id, external_id, name, title, active, created_at, updated_at";

fn person_from_row(r: &DbRow, contact_points: Vec<ContactPoint>) -> StoreResult<Person> {
    Ok(Person {
        id: PersonId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        external_id: col(r, "external_id")?,
        name: col(r, "name")?,
        title: col(r, "title")?,
        active: col(r, "active")?,
        contact_points,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

fn contact_point_from_row(r: &DbRow) -> StoreResult<ContactPoint> {
    let kind: String = col(r, "kind")?;
    let label: String = col(r, "label")?;
    Ok(ContactPoint {
        kind: ContactKind::parse(&kind).map_err(|e| corrupt("contact kind", e))?,
        label: ContactLabel::parse(&label).map_err(|e| corrupt("contact label", e))?,
        value: col(r, "value")?,
        verified: col(r, "verified")?,
    })
}

pub async fn person(conn: &mut Conn, org: OrgId, id: PersonId) -> StoreResult<Option<Person>> {
    let Some(row) = sqlx::query(&format!(
        "SELECT {PERSON_COLUMNS} FROM people WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let cps = sqlx::query(
        "SELECT kind, label, value, verified FROM contact_points WHERE person_id = $1 ORDER BY ord",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(contact_point_from_row)
    .collect::<StoreResult<Vec<_>>>()?;
    person_from_row(&row, cps).map(Some)
}

async fn person_by_external_id(
    conn: &mut Conn,
    org: OrgId,
    external_id: &str,
) -> StoreResult<Option<Person>> {
    let id: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND external_id = $2")
            .bind(org.0)
            .bind(external_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    match id {
        Some(id) => person(conn, org, PersonId(id)).await,
        None => Ok(None),
    }
}

pub async fn list_people(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Person>> {
    let mut by_person: HashMap<Uuid, Vec<ContactPoint>> = HashMap::new();
    let cp_rows = sqlx::query(
        "SELECT cp.person_id, cp.kind, cp.label, cp.value, cp.verified FROM contact_points cp \
         JOIN people p ON p.id = cp.person_id WHERE p.org_id = $1 ORDER BY cp.person_id, cp.ord",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    for r in &cp_rows {
        by_person
            .entry(col(r, "person_id")?)
            .or_default()
            .push(contact_point_from_row(r)?);
    }
    let rows = sqlx::query(&format!(
        "SELECT {PERSON_COLUMNS} FROM people WHERE org_id = $1 ORDER BY name, id"
    ))
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            let id: Uuid = col(r, "id")?;
            person_from_row(r, by_person.remove(&id).unwrap_or_default())
        })
        .collect()
}

/// Inserts a person's contact points in one statement (a new person has none yet).
async fn insert_contact_points(
    conn: &mut Conn,
    person: PersonId,
    contact_points: &[ContactPoint],
) -> StoreResult<()> {
    if contact_points.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..contact_points.len())
        .map(|i| {
            let p = i * 6;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO contact_points (person_id, ord, kind, label, value, verified) VALUES {}",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (ord, cp) in contact_points.iter().enumerate() {
        query = query
            .bind(person.0)
            .bind(ord as i32)
            .bind(cp.kind.as_str())
            .bind(cp.label.as_str())
            .bind(&cp.value)
            .bind(cp.verified);
    }
    query.execute(&mut *conn).await.map_err(db)?;
    Ok(())
}

async fn replace_contact_points(
    conn: &mut Conn,
    person: PersonId,
    contact_points: &[ContactPoint],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM contact_points WHERE person_id = $1")
        .bind(person.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    insert_contact_points(conn, person, contact_points).await
}

async fn check_external_id_free(
    conn: &mut Conn,
    org: OrgId,
    external_id: Option<&str>,
    except: Option<PersonId>,
) -> StoreResult<()> {
    let Some(external_id) = external_id else {
        return Ok(());
    };
    let holder: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND external_id = $2")
            .bind(org.0)
            .bind(external_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    match holder {
        Some(id) if Some(PersonId(id)) != except => {
            Err(StoreError::Conflict(Conflict::PersonExternalId))
        }
        _ => Ok(()),
    }
}

pub async fn insert_person(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    draft: PersonDraft,
) -> StoreResult<Person> {
    // A taken external id is refused by `people_org_external_id_key`.
    let now = journal::now();
    let person = Person {
        id: PersonId::new(),
        org_id: org,
        external_id: draft.external_id,
        name: draft.name,
        title: draft.title,
        active: draft.active,
        contact_points: draft.contact_points,
        created_at: now,
        updated_at: now,
    };
    sqlx::query(&format!(
        "INSERT INTO people ({PERSON_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(person.id.0)
    .bind(org.0)
    .bind(&person.external_id)
    .bind(&person.name)
    .bind(&person.title)
    .bind(person.active)
    .bind(person.created_at)
    .bind(person.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    insert_contact_points(conn, person.id, &person.contact_points).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new("person.created", format!("person:{}", person.id), &person),
    )
    .await?;
    Ok(person)
}

/// Names the fields in which `draft` differs from `person`.
fn changed_fields(person: &Person, draft: &PersonDraft) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if person.external_id != draft.external_id {
        fields.push("external_id");
    }
    if person.name != draft.name {
        fields.push("name");
    }
    if person.title != draft.title {
        fields.push("title");
    }
    if person.active != draft.active {
        fields.push("active");
    }
    if person.contact_points != draft.contact_points {
        fields.push("contact_points");
    }
    fields
}

/// A contact point that stays keeps the `verified` flag the person earned for it.
fn keep_verification(existing: &Person, draft: &mut PersonDraft) {
    for cp in &mut draft.contact_points {
        let was_verified = existing
            .contact_points
            .iter()
            .any(|old| old.kind == cp.kind && old.value == cp.value && old.verified);
        cp.verified |= was_verified;
    }
}

/// Replaces a person's fields; returns the person and which fields changed
/// (nothing is written, not even to the journal, when nothing changed).
async fn update_person(
    conn: &mut Conn,
    actor: &Actor,
    existing: Person,
    mut draft: PersonDraft,
) -> StoreResult<(Person, Vec<&'static str>)> {
    keep_verification(&existing, &mut draft);
    let fields = changed_fields(&existing, &draft);
    if fields.is_empty() {
        return Ok((existing, fields));
    }
    check_external_id_free(
        conn,
        existing.org_id,
        draft.external_id.as_deref(),
        Some(existing.id),
    )
    .await?;
    let person = Person {
        external_id: draft.external_id,
        name: draft.name,
        title: draft.title,
        active: draft.active,
        contact_points: draft.contact_points,
        updated_at: journal::now(),
        ..existing
    };
    sqlx::query(
        "UPDATE people SET external_id = $2, name = $3, title = $4, active = $5, updated_at = $6 \
         WHERE id = $1",
    )
    .bind(person.id.0)
    .bind(&person.external_id)
    .bind(&person.name)
    .bind(&person.title)
    .bind(person.active)
    .bind(person.updated_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if fields.contains(&"contact_points") {
        replace_contact_points(conn, person.id, &person.contact_points).await?;
    }
    append_journal(
        conn,
        person.org_id,
        actor,
        NewJournalEntry::new(
            "person.updated",
            format!("person:{}", person.id),
            serde_json::json!({ "changed": fields, "person": &person }),
        ),
    )
    .await?;
    Ok((person, fields))
}

pub async fn replace_person(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: PersonId,
    draft: PersonDraft,
) -> StoreResult<Person> {
    let existing = person(conn, org, id).await?.ok_or(StoreError::NotFound)?;
    Ok(update_person(conn, actor, existing, draft).await?.0)
}

/// Checks that every id is a person of `org`, naming the first that is not.
async fn check_people(
    conn: &mut Conn,
    org: OrgId,
    field: &str,
    ids: &[PersonId],
) -> StoreResult<()> {
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(StoreError::invalid(
                &format!("{field}[{i}]"),
                Problem::Duplicate,
            ));
        }
        let found: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::invalid(
                &format!("{field}[{i}]"),
                Problem::UnknownPerson,
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- groups and positions

/// Groups and positions have the same shape: a slugged, named list of people in one
/// organisation. One set of helpers serves both, parameterised by these table names.
struct PeopleList {
    table: &'static str,
    link_table: &'static str,
    owner_column: &'static str,
    /// How the people are listed: by name for groups, in the given order for positions.
    order: &'static str,
    /// What a taken slug is.
    slug_taken: beredskap_core::store::Conflict,
    /// Journal subject prefix and entry kinds.
    subject: &'static str,
    created: &'static str,
    people_set: &'static str,
    /// The field naming the people, in input errors and journal payloads.
    people_field: &'static str,
}

const GROUPS: PeopleList = PeopleList {
    table: "org_groups",
    link_table: "group_members",
    owner_column: "group_id",
    order: "p.name, p.id",
    slug_taken: Conflict::GroupSlug,
    subject: "group",
    created: "group.created",
    people_set: "group.members_set",
    people_field: "members",
};

const POSITIONS: PeopleList = PeopleList {
    table: "positions",
    link_table: "position_holders",
    owner_column: "position_id",
    order: "l.ord",
    slug_taken: Conflict::PositionSlug,
    subject: "position",
    created: "position.created",
    people_set: "position.holders_set",
    people_field: "holders",
};

/// One group or position as read from its table.
struct Listed {
    id: Uuid,
    org_id: OrgId,
    slug: Slug,
    name: String,
    people: Vec<PersonId>,
}

impl From<Listed> for Group {
    fn from(l: Listed) -> Self {
        Group {
            id: GroupId(l.id),
            org_id: l.org_id,
            slug: l.slug,
            name: l.name,
            members: l.people,
        }
    }
}

impl From<Listed> for Position {
    fn from(l: Listed) -> Self {
        Position {
            id: PositionId(l.id),
            org_id: l.org_id,
            slug: l.slug,
            name: l.name,
            holders: l.people,
        }
    }
}

impl PeopleList {
    fn listed_from_row(&self, r: &DbRow, people: Vec<PersonId>) -> StoreResult<Listed> {
        let slug: String = col(r, "slug")?;
        Ok(Listed {
            id: col(r, "id")?,
            org_id: OrgId(col(r, "org_id")?),
            slug: Slug::parse(&slug).map_err(|e| corrupt("slug", e))?,
            name: col(r, "name")?,
            people,
        })
    }

    /// The people of every list of one organisation, keyed by list id.
    async fn people_by_list(
        &self,
        conn: &mut Conn,
        org: OrgId,
    ) -> StoreResult<HashMap<Uuid, Vec<PersonId>>> {
        let rows = sqlx::query(&format!(
            "SELECT l.{owner} AS owner, l.person_id FROM {link} l \
             JOIN {table} t ON t.id = l.{owner} JOIN people p ON p.id = l.person_id \
             WHERE t.org_id = $1 ORDER BY l.{owner}, {order}",
            owner = self.owner_column,
            link = self.link_table,
            table = self.table,
            order = self.order,
        ))
        .bind(org.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        let mut people: HashMap<Uuid, Vec<PersonId>> = HashMap::new();
        for r in &rows {
            people
                .entry(col(r, "owner")?)
                .or_default()
                .push(PersonId(col(r, "person_id")?));
        }
        Ok(people)
    }

    async fn one(&self, conn: &mut Conn, org: OrgId, id: Uuid) -> StoreResult<Listed> {
        let row = sqlx::query(&format!(
            "SELECT id, org_id, slug, name FROM {} WHERE org_id = $1 AND id = $2",
            self.table
        ))
        .bind(org.0)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
        let people: Vec<Uuid> = sqlx::query_scalar(&format!(
            "SELECT l.person_id FROM {link} l JOIN people p ON p.id = l.person_id \
             WHERE l.{owner} = $1 ORDER BY {order}",
            link = self.link_table,
            owner = self.owner_column,
            order = self.order,
        ))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        self.listed_from_row(&row, people.into_iter().map(PersonId).collect())
    }

    async fn all(&self, conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Listed>> {
        let mut people = self.people_by_list(conn, org).await?;
        let rows = sqlx::query(&format!(
            "SELECT id, org_id, slug, name FROM {} WHERE org_id = $1 ORDER BY slug",
            self.table
        ))
        .bind(org.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                let id: Uuid = col(r, "id")?;
                self.listed_from_row(r, people.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    async fn insert<T: From<Listed> + serde::Serialize>(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        org: OrgId,
        slug: Slug,
        name: &str,
    ) -> StoreResult<T> {
        let name = beredskap_core::register::parse_name(name)
            .map_err(|e| StoreError::invalid("name", e))?;
        let taken: Option<Uuid> = sqlx::query_scalar(&format!(
            "SELECT id FROM {} WHERE org_id = $1 AND slug = $2",
            self.table
        ))
        .bind(org.0)
        .bind(slug.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        if taken.is_some() {
            return Err(StoreError::Conflict(self.slug_taken.clone()));
        }
        let id = Uuid::now_v7();
        sqlx::query(&format!(
            "INSERT INTO {} (id, org_id, slug, name) VALUES ($1, $2, $3, $4)",
            self.table
        ))
        .bind(id)
        .bind(org.0)
        .bind(slug.as_str())
        .bind(&name)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        let created = T::from(Listed {
            id,
            org_id: org,
            slug,
            name,
            people: Vec::new(),
        });
        append_journal(
            conn,
            org,
            actor,
            NewJournalEntry::new(self.created, format!("{}:{id}", self.subject), &created),
        )
        .await?;
        Ok(created)
    }

    /// Makes the list's people exactly `people`, in that order.
    async fn set_people<T: From<Listed>>(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        org: OrgId,
        id: Uuid,
        people: &[PersonId],
    ) -> StoreResult<T> {
        let before = self.one(conn, org, id).await?;
        check_people(conn, org, self.people_field, people).await?;
        sqlx::query(&format!(
            "DELETE FROM {} WHERE {} = $1",
            self.link_table, self.owner_column
        ))
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        for (ord, person) in people.iter().enumerate() {
            sqlx::query(&format!(
                "INSERT INTO {} ({}, ord, person_id) VALUES ($1, $2, $3)",
                self.link_table, self.owner_column
            ))
            .bind(id)
            .bind(ord as i32)
            .bind(person.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        }
        let after = self.one(conn, org, id).await?;
        if before.people != after.people {
            append_journal(
                conn,
                org,
                actor,
                NewJournalEntry::new(
                    self.people_set,
                    format!("{}:{id}", self.subject),
                    serde_json::json!({ (self.people_field): &after.people }),
                ),
            )
            .await?;
        }
        Ok(after.into())
    }

    async fn list<T: From<Listed>>(&self, conn: &mut Conn, org: OrgId) -> StoreResult<Vec<T>> {
        Ok(self
            .all(conn, org)
            .await?
            .into_iter()
            .map(T::from)
            .collect())
    }
}

pub async fn insert_group(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewGroup,
) -> StoreResult<Group> {
    GROUPS.insert(conn, actor, org, new.slug, &new.name).await
}

pub async fn list_groups(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Group>> {
    GROUPS.list(conn, org).await
}

pub async fn set_group_members(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: GroupId,
    members: Vec<PersonId>,
) -> StoreResult<Group> {
    GROUPS.set_people(conn, actor, org, id.0, &members).await
}

pub async fn insert_position(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewPosition,
) -> StoreResult<Position> {
    POSITIONS
        .insert(conn, actor, org, new.slug, &new.name)
        .await
}

pub async fn list_positions(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Position>> {
    POSITIONS.list(conn, org).await
}

pub async fn set_position_holders(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: PositionId,
    holders: Vec<PersonId>,
) -> StoreResult<Position> {
    POSITIONS.set_people(conn, actor, org, id.0, &holders).await
}

// ---------------------------------------------------------------- import

/// Applies every row inside a savepoint, which a dry run rolls back, so a dry run
/// exercises exactly the code a real import runs.
pub async fn import_people(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    rows: Vec<ImportRow>,
    dry_run: bool,
) -> StoreResult<ImportReport> {
    // A dry run's appends are rolled back with its savepoint: they cannot wait for the
    // commit with the batch's.
    write_deferred_journal(conn).await?;
    sqlx::query("SAVEPOINT import_people")
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let result = apply_import(conn, actor, org, rows).await;
    let end = if dry_run || result.is_err() {
        "ROLLBACK TO SAVEPOINT import_people"
    } else {
        "RELEASE SAVEPOINT import_people"
    };
    sqlx::query(end).execute(&mut *conn).await.map_err(db)?;
    if dry_run || result.is_err() {
        sqlx::query("RELEASE SAVEPOINT import_people")
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    result
}

async fn apply_import(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    rows: Vec<ImportRow>,
) -> StoreResult<ImportReport> {
    let mut report = ImportReport::default();
    let mut groups: HashMap<Slug, GroupId> = list_groups(conn, org)
        .await?
        .into_iter()
        .map(|g| (g.slug, g.id))
        .collect();
    for row in rows {
        let (person, mut fields, created) =
            match person_by_external_id(conn, org, &row.external_id).await? {
                Some(existing) => {
                    let (p, f) = update_person(conn, actor, existing, row.person).await?;
                    (p, f, false)
                }
                None => (
                    insert_person(conn, actor, org, row.person).await?,
                    vec![],
                    true,
                ),
            };
        if let Some(wanted) = &row.groups {
            let mut wanted_ids = Vec::new();
            for slug in wanted {
                let id = match groups.get(slug) {
                    Some(id) => *id,
                    None => {
                        let g = insert_group(
                            conn,
                            actor,
                            org,
                            NewGroup {
                                slug: slug.clone(),
                                name: slug.to_string(),
                            },
                        )
                        .await?;
                        report.groups_created.push(slug.clone());
                        groups.insert(slug.clone(), g.id);
                        g.id
                    }
                };
                wanted_ids.push(id);
            }
            if set_person_groups(conn, actor, org, person.id, &wanted_ids).await? {
                fields.push("groups");
            }
        }
        let change = ImportChange {
            line: row.line,
            external_id: row.external_id,
            name: person.name,
            fields,
        };
        if created {
            report.created.push(change);
        } else if change.fields.is_empty() {
            report.unchanged += 1;
        } else {
            report.updated.push(change);
        }
    }
    Ok(report)
}

/// Makes `person` a member of exactly `wanted`; returns whether anything changed.
async fn set_person_groups(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    person: PersonId,
    wanted: &[GroupId],
) -> StoreResult<bool> {
    let current: Vec<Uuid> = sqlx::query_scalar(
        "SELECT m.group_id FROM group_members m JOIN org_groups g ON g.id = m.group_id \
         WHERE m.person_id = $1 AND g.org_id = $2",
    )
    .bind(person.0)
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut changed = false;
    for group in current.iter().filter(|g| !wanted.contains(&GroupId(**g))) {
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND person_id = $2")
            .bind(group)
            .bind(person.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        changed = true;
    }
    for group in wanted.iter().filter(|g| !current.contains(&g.0)) {
        sqlx::query(
            // The last place from the end of `group_members_order`, not a MAX over
            // the whole group.
            "INSERT INTO group_members (group_id, ord, person_id) \
             VALUES ($1, COALESCE((SELECT ord FROM group_members WHERE group_id = $1 \
             ORDER BY ord DESC LIMIT 1), -1) + 1, $2)",
        )
        .bind(group.0)
        .bind(person.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        changed = true;
    }
    if changed {
        append_journal(
            conn,
            org,
            actor,
            NewJournalEntry::new(
                "person.groups_set",
                format!("person:{person}"),
                serde_json::json!({ "groups": wanted }),
            ),
        )
        .await?;
    }
    Ok(changed)
}

// ---------------------------------------------------------------- accounts and tokens

const ACCOUNT_COLUMNS: &str =
    "a.id, a.org_id, a.person_id, a.login, a.role, a.language, a.created_at";

fn account_from_row(r: &DbRow) -> StoreResult<Account> {
    let login: String = col(r, "login")?;
    let role: String = col(r, "role")?;
    Ok(Account {
        id: AccountId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        person_id: PersonId(col(r, "person_id")?),
        login: EmailAddress::parse(&login).map_err(|e| corrupt("login", e))?,
        role: Role::parse(&role).map_err(|e| corrupt("role", e))?,
        language: col(r, "language")?,
        created_at: col(r, "created_at")?,
    })
}

/// Which languages exist is the text catalogue's business (the pages and the command line
/// offer only those); the store keeps anything shaped like a language code, nothing else.
fn language_shaped(code: &str) -> StoreResult<()> {
    match (2..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) {
        true => Ok(()),
        false => Err(StoreError::invalid("language", Problem::NotALanguage)),
    }
}

pub async fn set_account_language(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    language: Option<String>,
) -> StoreResult<()> {
    if let Some(code) = &language {
        language_shaped(code)?;
    }
    let updated = sqlx::query("UPDATE accounts SET language = $3 WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(account.0)
        .bind(&language)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "account.language_changed",
            format!("account:{account}"),
            serde_json::json!({ "language": language }),
        ),
    )
    .await?;
    Ok(())
}

pub async fn insert_account(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    person: PersonId,
    login: EmailAddress,
    role: Role,
) -> StoreResult<Account> {
    check_people(conn, org, "person", &[person])
        .await
        .map_err(|_| StoreError::invalid("person", Problem::UnknownPerson))?;
    if account_by_login(conn, org, &login).await?.is_some() {
        return Err(StoreError::Conflict(Conflict::AccountLogin));
    }
    let account = Account {
        id: AccountId::new(),
        org_id: org,
        person_id: person,
        login,
        role,
        language: None,
        created_at: journal::now(),
    };
    sqlx::query(
        "INSERT INTO accounts (id, org_id, person_id, login, role, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account.id.0)
    .bind(org.0)
    .bind(person.0)
    .bind(account.login.as_str())
    .bind(role.as_str())
    .bind(account.created_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "account.created",
            format!("account:{}", account.id),
            &account,
        ),
    )
    .await?;
    Ok(account)
}

pub async fn account_by_login(
    conn: &mut Conn,
    org: OrgId,
    login: &EmailAddress,
) -> StoreResult<Option<Account>> {
    sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.org_id = $1 AND a.login = $2"
    ))
    .bind(org.0)
    .bind(login.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .as_ref()
    .map(account_from_row)
    .transpose()
}

pub async fn list_accounts(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Account>> {
    let rows = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.org_id = $1 ORDER BY a.login"
    ))
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(account_from_row).collect()
}

pub async fn revoke_api_token(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    token: ApiTokenId,
) -> StoreResult<bool> {
    let revoked = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org.0)
    .bind(token.0)
    .bind(journal::now())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if revoked.rows_affected() != 1 {
        return Ok(false);
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "api_token.revoked",
            format!("api_token:{token}"),
            serde_json::json!({}),
        ),
    )
    .await?;
    Ok(true)
}

async fn check_account(conn: &mut Conn, org: OrgId, account: AccountId) -> StoreResult<()> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(account.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

pub async fn insert_enrolment(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    secret_hash: String,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    check_account(conn, org, account).await?;
    sqlx::query(
        "INSERT INTO enrolments (secret_hash, org_id, account_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&secret_hash)
    .bind(org.0)
    .bind(account.0)
    .bind(expires_at)
    .bind(journal::now())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    // The journal records that a link was issued, never the secret or its hash.
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "enrolment.issued",
            format!("account:{account}"),
            serde_json::json!({ "expires_at": expires_at }),
        ),
    )
    .await?;
    Ok(())
}

pub async fn insert_api_token(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    label: String,
    scopes: Vec<Scope>,
    secret_hash: String,
) -> StoreResult<ApiToken> {
    check_account(conn, org, account).await?;
    if scopes.is_empty() {
        return Err(StoreError::Invalid(beredskap_core::FieldErrors::single(
            "scopes",
            Problem::NoScope,
        )));
    }
    let token = ApiToken {
        id: ApiTokenId::new(),
        org_id: org,
        account_id: account,
        label,
        scopes,
        created_at: journal::now(),
        revoked_at: None,
    };
    sqlx::query(
        "INSERT INTO api_tokens (id, org_id, account_id, label, scopes, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.id.0)
    .bind(org.0)
    .bind(account.0)
    .bind(&token.label)
    .bind(Scope::join(&token.scopes))
    .bind(&secret_hash)
    .bind(token.created_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "api_token.created",
            format!("api_token:{}", token.id),
            &token,
        ),
    )
    .await?;
    Ok(token)
}

const TOKEN_COLUMNS: &str = "t.id AS token_id, t.account_id AS token_account_id, \
    t.org_id AS token_org_id, t.label, t.scopes, t.created_at AS token_created_at, t.revoked_at";

fn token_from_row(r: &DbRow) -> StoreResult<ApiToken> {
    let scopes: String = col(r, "scopes")?;
    Ok(ApiToken {
        id: ApiTokenId(col(r, "token_id")?),
        org_id: OrgId(col(r, "token_org_id")?),
        account_id: AccountId(col(r, "token_account_id")?),
        label: col(r, "label")?,
        scopes: Scope::parse_list(&scopes).map_err(|e| corrupt("api_tokens.scopes", e))?,
        created_at: col(r, "token_created_at")?,
        revoked_at: col(r, "revoked_at")?,
    })
}

pub async fn token_grant(conn: &mut Conn, secret_hash: &str) -> StoreResult<Option<TokenGrant>> {
    let Some(r) = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS}, {ACCOUNT_COLUMNS}, {ORG_COLUMNS_AS_O} \
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
         JOIN orgs o ON o.id = a.org_id \
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL"
    ))
    .bind(secret_hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    Ok(Some(TokenGrant {
        token: token_from_row(&r)?,
        account: account_from_row(&r)?,
        org: org_from_prefixed_row(&r, "o_")?,
    }))
}

/// The organisation's tokens, revoked ones too, newest first.
pub async fn list_api_tokens(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<ApiToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t WHERE t.org_id = $1 \
         ORDER BY t.created_at DESC, t.id DESC"
    ))
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(token_from_row).collect()
}

// ---------------------------------------------------------------- sign-in

pub async fn enrolment(conn: &mut Conn, secret_hash: &str) -> StoreResult<Option<Enrolment>> {
    let Some(r) = sqlx::query(&format!(
        "SELECT e.expires_at, e.used_at, {ACCOUNT_COLUMNS} FROM enrolments e \
         JOIN accounts a ON a.id = e.account_id WHERE e.secret_hash = $1"
    ))
    .bind(secret_hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    Ok(Some(Enrolment {
        account: account_from_row(&r)?,
        expires_at: col(&r, "expires_at")?,
        used_at: col(&r, "used_at")?,
    }))
}

pub async fn complete_enrolment(
    conn: &mut Conn,
    secret_hash: &str,
    credentials: NewCredentials,
    now: DateTime<Utc>,
) -> StoreResult<Account> {
    let found = enrolment(conn, secret_hash)
        .await?
        .ok_or(StoreError::NotFound)?;
    let account = found.account;
    lock_org(conn, account.org_id).await?;
    if found.expires_at <= now {
        return Err(StoreError::invalid("link", Problem::Expired));
    }
    let used = sqlx::query(
        "UPDATE enrolments SET used_at = $2 WHERE secret_hash = $1 AND used_at IS NULL",
    )
    .bind(secret_hash)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if used.rows_affected() != 1 {
        return Err(StoreError::invalid("link", Problem::AlreadyUsed));
    }
    sqlx::query(
        "INSERT INTO credentials (account_id, password_hash, totp_secret, totp_last_step, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
         password_hash = excluded.password_hash, totp_secret = excluded.totp_secret, \
         totp_last_step = excluded.totp_last_step, updated_at = excluded.updated_at",
    )
    .bind(account.id.0)
    .bind(&credentials.password_hash)
    .bind(&credentials.totp_secret)
    .bind(credentials.totp_last_step)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    replace_recovery_codes(conn, account.id, &credentials.recovery_codes).await?;
    append_journal(
        conn,
        account.org_id,
        &Actor::account(account.id),
        NewJournalEntry::new(
            "enrolment.completed",
            format!("account:{}", account.id),
            serde_json::json!({
                "totp": credentials.totp_secret.is_some(),
                "recovery_codes": credentials.recovery_codes.len(),
            }),
        ),
    )
    .await?;
    Ok(account)
}

async fn replace_recovery_codes(
    conn: &mut Conn,
    account: AccountId,
    codes: &[(String, String)],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
        .bind(account.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    for (id, hash) in codes {
        sqlx::query(
            "INSERT INTO recovery_codes (account_id, code_id, code_hash) VALUES ($1, $2, $3)",
        )
        .bind(account.0)
        .bind(id)
        .bind(hash)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

pub async fn credentials(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
) -> StoreResult<Credentials> {
    check_account(conn, org, account).await?;
    let row = sqlx::query(
        "SELECT password_hash, totp_secret, totp_last_step FROM credentials WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
    )
    .bind(account.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let mut credentials = Credentials {
        recovery_codes_left: u32::try_from(left).unwrap_or(0),
        ..Credentials::default()
    };
    if let Some(r) = row {
        credentials.password_hash = col(&r, "password_hash")?;
        credentials.totp_secret = col(&r, "totp_secret")?;
        credentials.totp_last_step = col(&r, "totp_last_step")?;
    }
    Ok(credentials)
}

pub async fn set_password(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    password_hash: String,
) -> StoreResult<()> {
    check_account(conn, org, account).await?;
    sqlx::query(
        "INSERT INTO credentials (account_id, password_hash, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET password_hash = excluded.password_hash, \
         updated_at = excluded.updated_at",
    )
    .bind(account.0)
    .bind(&password_hash)
    .bind(journal::now())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "credentials.password_set",
            format!("account:{account}"),
            serde_json::json!({}),
        ),
    )
    .await?;
    Ok(())
}

pub async fn use_totp_step(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    step: i64,
) -> StoreResult<bool> {
    check_account(conn, org, account).await?;
    let updated = sqlx::query(
        "UPDATE credentials SET totp_last_step = $2 WHERE account_id = $1 \
         AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(account.0)
    .bind(step)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(updated.rows_affected() == 1)
}

pub async fn recovery_code_hash(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    code_id: &str,
) -> StoreResult<Option<String>> {
    check_account(conn, org, account).await?;
    sqlx::query_scalar(
        "SELECT code_hash FROM recovery_codes WHERE account_id = $1 AND code_id = $2 AND used_at IS NULL",
    )
    .bind(account.0)
    .bind(code_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)
}

pub async fn use_recovery_code(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    code_id: &str,
) -> StoreResult<bool> {
    check_account(conn, org, account).await?;
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_id = $2 AND used_at IS NULL",
    )
    .bind(account.0)
    .bind(code_id)
    .bind(journal::now())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if used.rows_affected() != 1 {
        return Ok(false);
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "credentials.recovery_code_used",
            format!("account:{account}"),
            serde_json::json!({ "code_id": code_id }),
        ),
    )
    .await?;
    Ok(true)
}

pub async fn create_pending_sign_in(
    conn: &mut Conn,
    secret_hash: &str,
    account: &Account,
    expires_at: DateTime<Utc>,
    code_hash: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO pending_sign_ins (secret_hash, org_id, account_id, expires_at, attempts, code_hash) \
         VALUES ($1, $2, $3, $4, 0, $5)",
    )
    .bind(secret_hash)
    .bind(account.org_id.0)
    .bind(account.id.0)
    .bind(expires_at)
    .bind(code_hash)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn pending_sign_in(
    conn: &mut Conn,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(Account, u32, Option<String>)>> {
    let Some(r) = sqlx::query(&format!(
        "SELECT p.expires_at, p.attempts, p.code_hash, {ACCOUNT_COLUMNS} FROM pending_sign_ins p \
         JOIN accounts a ON a.id = p.account_id WHERE p.secret_hash = $1"
    ))
    .bind(secret_hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let expires_at: DateTime<Utc> = col(&r, "expires_at")?;
    if expires_at <= now {
        return Ok(None);
    }
    let attempts: i32 = col(&r, "attempts")?;
    Ok(Some((
        account_from_row(&r)?,
        u32::try_from(attempts).unwrap_or(0),
        col(&r, "code_hash")?,
    )))
}

pub async fn reserve_pending_attempt(
    conn: &mut Conn,
    secret_hash: &str,
    max: u32,
    now: DateTime<Utc>,
) -> StoreResult<Option<u32>> {
    let attempts: Option<i32> = sqlx::query_scalar(
        "UPDATE pending_sign_ins SET attempts = attempts + 1 \
         WHERE secret_hash = $1 AND attempts < $2 AND expires_at > $3 RETURNING attempts",
    )
    .bind(secret_hash)
    .bind(i32::try_from(max).unwrap_or(i32::MAX))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    Ok(attempts.map(|a| u32::try_from(a).unwrap_or(0)))
}

pub async fn delete_pending_sign_in(conn: &mut Conn, secret_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM pending_sign_ins WHERE secret_hash = $1")
        .bind(secret_hash)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

const SESSION_COLUMNS: &str = "s.id AS session_id, s.org_id AS session_org_id, \
    s.account_id AS session_account_id, s.created_at AS session_created_at, s.last_seen_at, \
    s.expires_at, s.second_factor, s.user_agent, s.ip";

fn session_from_row(r: &DbRow) -> StoreResult<Session> {
    let factor: Option<String> = col(r, "second_factor")?;
    Ok(Session {
        id: SessionId(col(r, "session_id")?),
        org_id: OrgId(col(r, "session_org_id")?),
        account_id: AccountId(col(r, "session_account_id")?),
        created_at: col(r, "session_created_at")?,
        last_seen_at: col(r, "last_seen_at")?,
        expires_at: col(r, "expires_at")?,
        second_factor: factor.as_deref().and_then(SecondFactor::parse),
        user_agent: col(r, "user_agent")?,
        ip: col(r, "ip")?,
    })
}

pub async fn create_session(conn: &mut Conn, new: NewSession) -> StoreResult<Session> {
    let now = journal::now();
    let session = Session {
        id: new.id,
        org_id: new.account.org_id,
        account_id: new.account.id,
        created_at: now,
        last_seen_at: now,
        expires_at: new.expires_at,
        second_factor: new.second_factor,
        user_agent: new.user_agent,
        ip: new.ip,
    };
    sqlx::query(
        "INSERT INTO sessions (id, secret_hash, org_id, account_id, created_at, last_seen_at, \
         expires_at, second_factor, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
    )
    .bind(session.id.0)
    .bind(&new.secret_hash)
    .bind(session.org_id.0)
    .bind(session.account_id.0)
    .bind(now)
    .bind(session.expires_at)
    .bind(session.second_factor.map(SecondFactor::as_str))
    .bind(&session.user_agent)
    .bind(&session.ip)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        session.org_id,
        &Actor::account(session.account_id),
        NewJournalEntry::new(
            "signin.succeeded",
            format!("account:{}", session.account_id),
            serde_json::json!({
                "session": session.id,
                "second_factor": session.second_factor,
                "ip": &session.ip,
                "user_agent": &session.user_agent,
            }),
        ),
    )
    .await?;
    Ok(session)
}

pub async fn session_by_secret(
    conn: &mut Conn,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(Session, Account)>> {
    let Some(r) = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS}, {ACCOUNT_COLUMNS} FROM sessions s \
         JOIN accounts a ON a.id = s.account_id WHERE s.secret_hash = $1 AND s.revoked_at IS NULL"
    ))
    .bind(secret_hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let session = session_from_row(&r)?;
    if session.expires_at <= now {
        return Ok(None);
    }
    Ok(Some((session, account_from_row(&r)?)))
}

pub async fn touch_session(conn: &mut Conn, id: SessionId, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn list_sessions(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Session>> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.org_id = $1 AND s.account_id = $2 \
         AND s.revoked_at IS NULL ORDER BY s.created_at DESC, s.id DESC"
    ))
    .bind(org.0)
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let sessions = rows
        .iter()
        .map(session_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(sessions
        .into_iter()
        .filter(|s| s.expires_at > now)
        .collect())
}

pub async fn revoke_session(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: SessionId,
) -> StoreResult<bool> {
    let account: Option<Uuid> = sqlx::query_scalar(
        "UPDATE sessions SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL \
         RETURNING account_id",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(journal::now())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(account) = account else {
        return Ok(false);
    };
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "session.revoked",
            format!("session:{id}"),
            serde_json::json!({ "account": account }),
        ),
    )
    .await?;
    Ok(true)
}

pub async fn record_sign_in_failure(
    conn: &mut Conn,
    org: OrgId,
    account: Option<AccountId>,
    login: &str,
    reason: &str,
    ip: &str,
) -> StoreResult<()> {
    let subject = match account {
        Some(a) => format!("account:{a}"),
        None => "account:unknown".to_owned(),
    };
    let login: String = login.chars().take(200).collect();
    append_journal(
        conn,
        org,
        &Actor::system(),
        NewJournalEntry::new(
            "signin.failed",
            subject,
            serde_json::json!({ "login": login, "reason": reason, "ip": ip }),
        ),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- throttling

pub async fn throttle(conn: &mut Conn, key: &str) -> StoreResult<Throttle> {
    let Some(r) =
        sqlx::query("SELECT failures, blocked_until FROM sign_in_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
    else {
        return Ok(Throttle::default());
    };
    let failures: i32 = col(&r, "failures")?;
    Ok(Throttle {
        failures: u32::try_from(failures).unwrap_or(0),
        blocked_until: col(&r, "blocked_until")?,
    })
}

/// Counts one attempt under `key` unless it is locked at `now`; None when it is locked.
/// The upsert takes the row's lock, so concurrent attempts count one after another.
async fn count_attempt(
    conn: &mut Conn,
    key: &str,
    policy: ThrottlePolicy,
    now: DateTime<Utc>,
) -> StoreResult<Option<ReservedKey>> {
    let previous = throttle(conn, key).await?.blocked_until;
    let failures: Option<i32> = sqlx::query_scalar(
        "INSERT INTO sign_in_throttle (key, failures) VALUES ($1, 1) \
         ON CONFLICT (key) DO UPDATE SET failures = sign_in_throttle.failures + 1 \
         WHERE sign_in_throttle.blocked_until IS NULL OR sign_in_throttle.blocked_until <= $2 \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(failures) = failures else {
        return Ok(None);
    };
    let failures = u32::try_from(failures).unwrap_or(u32::MAX);
    let locked_until = policy.block_after(failures).map(|d| now + d);
    if locked_until.is_some() {
        sqlx::query("UPDATE sign_in_throttle SET blocked_until = $2 WHERE key = $1")
            .bind(key)
            .bind(locked_until)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(Some(ReservedKey {
        key: key.to_owned(),
        locked_until,
        previous,
    }))
}

pub async fn reserve_attempt(
    conn: &mut Conn,
    keys: &[(String, ThrottlePolicy)],
    now: DateTime<Utc>,
) -> StoreResult<AttemptReservation> {
    let mut counted: Vec<ReservedKey> = Vec::new();
    for (key, policy) in keys {
        match count_attempt(conn, key, *policy, now).await? {
            Some(reserved) => counted.push(reserved),
            None => {
                // Locked: what this attempt counted under the other keys is taken back.
                refund_attempt(conn, &counted).await?;
                let until = throttle(conn, key).await?.blocked_until.unwrap_or(now);
                return Ok(AttemptReservation::Locked { until });
            }
        }
    }
    let lockout = counted.iter().filter_map(|k| k.locked_until).max();
    Ok(AttemptReservation::Granted(Reserved {
        lockout,
        keys: counted,
    }))
}

/// Takes one count back from each key, and the lock counting it set (while the key is
/// locked no other attempt changes it, so an equal lock is this attempt's).
pub async fn refund_attempt(conn: &mut Conn, keys: &[ReservedKey]) -> StoreResult<()> {
    for k in keys {
        sqlx::query(
            "UPDATE sign_in_throttle SET failures = failures - 1, \
             blocked_until = CASE WHEN blocked_until = $2 THEN $3 ELSE blocked_until END \
             WHERE key = $1 AND failures > 0",
        )
        .bind(&k.key)
        .bind(k.locked_until)
        .bind(k.previous)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

pub async fn clear_throttle(conn: &mut Conn, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

// ---------------------------------------------------------------- passkeys

fn passkey_from_row(r: &DbRow) -> StoreResult<StoredPasskey> {
    Ok(StoredPasskey {
        id: col(r, "id")?,
        account_id: AccountId(col(r, "account_id")?),
        credential_id: col(r, "credential_id")?,
        passkey: col(r, "passkey")?,
        name: col(r, "name")?,
        created_at: col(r, "created_at")?,
        last_used_at: col(r, "last_used_at")?,
    })
}

pub async fn add_passkey(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    credential_id: &str,
    passkey: &str,
    name: &str,
) -> StoreResult<StoredPasskey> {
    check_account(conn, org, account).await?;
    let stored = StoredPasskey {
        id: Uuid::now_v7(),
        account_id: account,
        credential_id: credential_id.to_owned(),
        passkey: passkey.to_owned(),
        name: name.to_owned(),
        created_at: journal::now(),
        last_used_at: None,
    };
    sqlx::query(
        "INSERT INTO passkeys (id, account_id, credential_id, passkey, name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(stored.id)
    .bind(account.0)
    .bind(&stored.credential_id)
    .bind(&stored.passkey)
    .bind(&stored.name)
    .bind(stored.created_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "credentials.passkey_added",
            format!("account:{account}"),
            serde_json::json!({ "passkey": stored.id, "name": name }),
        ),
    )
    .await?;
    Ok(stored)
}

pub async fn passkeys(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
) -> StoreResult<Vec<StoredPasskey>> {
    check_account(conn, org, account).await?;
    let rows = sqlx::query(
        "SELECT id, account_id, credential_id, passkey, name, created_at, last_used_at \
         FROM passkeys WHERE account_id = $1 ORDER BY created_at, id",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(passkey_from_row).collect()
}

pub async fn change_passkey(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    passkey: Uuid,
    change: PasskeyChange,
) -> StoreResult<bool> {
    check_account(conn, org, account).await?;
    let (query, kind, payload) = match &change {
        PasskeyChange::Rename(name) => {
            let name = beredskap_core::register::parse_name(name)
                .map_err(|e| StoreError::Invalid(beredskap_core::FieldErrors::single("name", e)))?;
            (
                sqlx::query("UPDATE passkeys SET name = $3 WHERE account_id = $1 AND id = $2")
                    .bind(account.0)
                    .bind(passkey)
                    .bind(name.clone()),
                "credentials.passkey_renamed",
                serde_json::json!({ "passkey": passkey, "name": name }),
            )
        }
        PasskeyChange::Remove => (
            sqlx::query("DELETE FROM passkeys WHERE account_id = $1 AND id = $2")
                .bind(account.0)
                .bind(passkey),
            "credentials.passkey_removed",
            serde_json::json!({ "passkey": passkey }),
        ),
    };
    if query.execute(&mut *conn).await.map_err(db)?.rows_affected() != 1 {
        return Ok(false);
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(kind, format!("account:{account}"), payload),
    )
    .await?;
    Ok(true)
}

pub async fn passkey_used(
    conn: &mut Conn,
    account: AccountId,
    credential_id: &str,
    passkey: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE passkeys SET passkey = $3, last_used_at = $4 \
         WHERE account_id = $1 AND credential_id = $2",
    )
    .bind(account.0)
    .bind(credential_id)
    .bind(passkey)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn save_ceremony(
    conn: &mut Conn,
    key: &str,
    account: AccountId,
    state: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM webauthn_ceremonies WHERE key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO webauthn_ceremonies (key, account_id, state, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(key)
    .bind(account.0)
    .bind(state)
    .bind(expires_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn take_ceremony(
    conn: &mut Conn,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(AccountId, String)>> {
    let row = sqlx::query(
        "DELETE FROM webauthn_ceremonies WHERE key = $1 RETURNING account_id, state, expires_at",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(r) = row else {
        return Ok(None);
    };
    let expires_at: DateTime<Utc> = col(&r, "expires_at")?;
    if expires_at <= now {
        return Ok(None);
    }
    Ok(Some((AccountId(col(&r, "account_id")?), col(&r, "state")?)))
}

// ---------------------------------------------------------------- seeding

/// A university's register in seconds, for tests and benchmarks that need one: `people`
/// (active, each with their contact points in order) and one group `group_slug` holding
/// them all in that order, written straight into the tables a thousand rows per
/// statement, with no journal entries. Never used by the server.
pub async fn seed_register(
    conn: &mut Conn,
    org: OrgId,
    group_slug: &str,
    people: &[(String, Vec<ContactPoint>)],
    now: DateTime<Utc>,
) -> StoreResult<GroupId> {
    const ROWS: usize = 1000;
    let group = GroupId::new();
    sqlx::query("INSERT INTO org_groups (id, org_id, slug, name) VALUES ($1, $2, $3, $3)")
        .bind(group.0)
        .bind(org.0)
        .bind(group_slug)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let ids: Vec<PersonId> = people.iter().map(|_| PersonId::new()).collect();
    for start in (0..people.len()).step_by(ROWS) {
        let end = (start + ROWS).min(people.len());
        let chunk: Vec<usize> = (start..end).collect();
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO people (id, org_id, name, active, created_at, updated_at) ",
        );
        q.push_values(&chunk, |mut b, i| {
            b.push_bind(ids[*i].0)
                .push_bind(org.0)
                .push_bind(people[*i].0.clone())
                .push_bind(true)
                .push_bind(now)
                .push_bind(now);
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
        let points: Vec<(PersonId, usize, &ContactPoint)> = chunk
            .iter()
            .flat_map(|i| {
                let id = ids[*i];
                people[*i]
                    .1
                    .iter()
                    .enumerate()
                    .map(move |(n, p)| (id, n, p))
            })
            .collect();
        for points in points.chunks(ROWS) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO contact_points (person_id, ord, kind, label, value, verified) ",
            );
            q.push_values(points, |mut b, (id, n, p)| {
                b.push_bind(id.0)
                    .push_bind(i32::try_from(*n).unwrap_or(i32::MAX))
                    .push_bind(p.kind.as_str())
                    .push_bind(p.label.as_str())
                    .push_bind(p.value.clone())
                    .push_bind(p.verified);
            });
            q.build().execute(&mut *conn).await.map_err(db)?;
        }
        let mut q =
            sqlx::QueryBuilder::<Db>::new("INSERT INTO group_members (group_id, ord, person_id) ");
        q.push_values(&chunk, |mut b, i| {
            b.push_bind(group.0)
                .push_bind(i32::try_from(*i).unwrap_or(i32::MAX))
                .push_bind(ids[*i].0);
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(group)
}
