// The SQL operations shared by both backends. This file is compiled twice, by
// `include!` from `sqlite.rs` and from `postgres.rs`, each of which defines `type Db`
// first. The statements are written in the subset both dialects accept (`$n` parameters,
// `RETURNING`, `ON CONFLICT`, `SAVEPOINT`); anything dialect-specific stays in the backends.
// Every function takes the connection of a transaction that the backend opened.

use beredskap_core::import::{ImportChange, ImportReport, ImportRow};
use beredskap_core::journal::{self, canonical_json, entry_hash, HashInput, GENESIS_HASH};
use beredskap_core::register::{
    Account, ApiToken, ContactKind, ContactLabel, ContactPoint, Group, NewGroup, NewOrg,
    NewPosition, Org, Person, PersonDraft, Position, Role, TokenGrant,
};
use beredskap_core::store::{StoreError, StoreResult};
use beredskap_core::{
    AccountId, Actor, ApiTokenId, EmailAddress, GroupId, JournalEntry, NewJournalEntry, OrgId,
    PersonId, PositionId, Region, Slug,
};
use chrono::{DateTime, Utc};
use sqlx::Row as _;
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

fn db(e: sqlx::Error) -> StoreError {
    crate::map_sqlx_error(e)
}

// ---------------------------------------------------------------- journal

/// Appends one entry to the organisation's chain. The `UPDATE … RETURNING` on the head row
/// both takes the next number and locks the head until the transaction ends.
pub async fn append_journal(
    conn: &mut Conn,
    org: OrgId,
    actor: &Actor,
    entry: NewJournalEntry,
) -> StoreResult<JournalEntry> {
    let head =
        sqlx::query("UPDATE journal_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash")
            .bind(org.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
    let seq: i64 = col(&head, "seq")?;
    let prev_hash: String = col(&head, "hash")?;
    let at = journal::now();
    let payload = canonical_json(&entry.payload);
    let hash = entry_hash(
        &prev_hash,
        &HashInput {
            seq,
            org_id: org,
            at,
            actor: actor.as_str(),
            kind: entry.kind,
            subject: &entry.subject,
            payload: &payload,
        },
    );
    sqlx::query(
        "INSERT INTO journal (org_id, seq, at, actor, kind, subject, payload, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(org.0)
    .bind(seq)
    .bind(at)
    .bind(actor.as_str())
    .bind(entry.kind)
    .bind(&entry.subject)
    .bind(&payload)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(JournalEntry {
        seq,
        org_id: org,
        at,
        actor: actor.clone(),
        kind: entry.kind.to_owned(),
        subject: entry.subject,
        payload,
        prev_hash,
        hash,
    })
}

pub async fn journal_page(
    conn: &mut Conn,
    org: OrgId,
    after_seq: i64,
    limit: u32,
) -> StoreResult<Vec<JournalEntry>> {
    let rows = sqlx::query(
        "SELECT org_id, seq, at, actor, kind, subject, payload, prev_hash, hash FROM journal \
         WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
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
                prev_hash: col(r, "prev_hash")?,
                hash: col(r, "hash")?,
            })
        })
        .collect()
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
    let slug: String = col(r, "slug")?;
    let region: String = col(r, "region")?;
    Ok(Org {
        id: OrgId(col(r, "id")?),
        slug: Slug::parse(&slug).map_err(|e| corrupt("slug", e))?,
        name: col(r, "name")?,
        region: Region::parse(&region).map_err(|e| corrupt("region", e))?,
        created_at: col(r, "created_at")?,
    })
}

pub async fn insert_org(conn: &mut Conn, actor: &Actor, new: NewOrg) -> StoreResult<Org> {
    if org_by_slug(conn, &new.slug).await?.is_some() {
        return Err(StoreError::Conflict {
            constraint: "orgs_slug_key".into(),
        });
    }
    let org = Org {
        id: OrgId::new(),
        slug: new.slug,
        name: new.name,
        region: new.region,
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

pub async fn org_by_slug(conn: &mut Conn, slug: &Slug) -> StoreResult<Option<Org>> {
    sqlx::query("SELECT id, slug, name, region, created_at FROM orgs WHERE slug = $1")
        .bind(slug.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .as_ref()
        .map(org_from_row)
        .transpose()
}

pub async fn list_orgs(conn: &mut Conn) -> StoreResult<Vec<Org>> {
    let rows = sqlx::query("SELECT id, slug, name, region, created_at FROM orgs ORDER BY slug")
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
        Some(id) if Some(PersonId(id)) != except => Err(StoreError::Conflict {
            constraint: "people_org_external_id_key".into(),
        }),
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
                "is listed twice",
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
                "is not a person in this organisation",
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- groups

async fn group_members(conn: &mut Conn, group: GroupId) -> StoreResult<Vec<PersonId>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT m.person_id FROM group_members m JOIN people p ON p.id = m.person_id \
         WHERE m.group_id = $1 ORDER BY p.name, p.id",
    )
    .bind(group.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(PersonId).collect())
}

fn group_from_row(r: &DbRow, members: Vec<PersonId>) -> StoreResult<Group> {
    let slug: String = col(r, "slug")?;
    Ok(Group {
        id: GroupId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        slug: Slug::parse(&slug).map_err(|e| corrupt("slug", e))?,
        name: col(r, "name")?,
        members,
    })
}

async fn group(conn: &mut Conn, org: OrgId, id: GroupId) -> StoreResult<Group> {
    let row =
        sqlx::query("SELECT id, org_id, slug, name FROM org_groups WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
    let members = group_members(conn, id).await?;
    group_from_row(&row, members)
}

pub async fn insert_group(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewGroup,
) -> StoreResult<Group> {
    let name = beredskap_core::register::parse_name(&new.name)
        .map_err(|e| StoreError::invalid("name", &e.to_string()))?;
    let taken: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM org_groups WHERE org_id = $1 AND slug = $2")
            .bind(org.0)
            .bind(new.slug.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    if taken.is_some() {
        return Err(StoreError::Conflict {
            constraint: "org_groups_org_slug_key".into(),
        });
    }
    let group = Group {
        id: GroupId::new(),
        org_id: org,
        slug: new.slug,
        name,
        members: Vec::new(),
    };
    sqlx::query("INSERT INTO org_groups (id, org_id, slug, name) VALUES ($1, $2, $3, $4)")
        .bind(group.id.0)
        .bind(org.0)
        .bind(group.slug.as_str())
        .bind(&group.name)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new("group.created", format!("group:{}", group.id), &group),
    )
    .await?;
    Ok(group)
}

pub async fn list_groups(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Group>> {
    let mut members: HashMap<Uuid, Vec<PersonId>> = HashMap::new();
    let member_rows = sqlx::query(
        "SELECT m.group_id, m.person_id FROM group_members m \
         JOIN org_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id \
         WHERE g.org_id = $1 ORDER BY p.name, p.id",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    for r in &member_rows {
        members
            .entry(col(r, "group_id")?)
            .or_default()
            .push(PersonId(col(r, "person_id")?));
    }
    let rows = sqlx::query(
        "SELECT id, org_id, slug, name FROM org_groups WHERE org_id = $1 ORDER BY slug",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            let id: Uuid = col(r, "id")?;
            group_from_row(r, members.remove(&id).unwrap_or_default())
        })
        .collect()
}

pub async fn set_group_members(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: GroupId,
    members: Vec<PersonId>,
) -> StoreResult<Group> {
    let before = group(conn, org, id).await?;
    check_people(conn, org, "members", &members).await?;
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    for person in &members {
        sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)")
            .bind(id.0)
            .bind(person.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    let after = group(conn, org, id).await?;
    if before.members != after.members {
        append_journal(
            conn,
            org,
            actor,
            NewJournalEntry::new(
                "group.members_set",
                format!("group:{id}"),
                serde_json::json!({ "members": &after.members }),
            ),
        )
        .await?;
    }
    Ok(after)
}

// ---------------------------------------------------------------- positions

async fn position_holders(conn: &mut Conn, position: PositionId) -> StoreResult<Vec<PersonId>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT person_id FROM position_holders WHERE position_id = $1 ORDER BY ord",
    )
    .bind(position.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(PersonId).collect())
}

fn position_from_row(r: &DbRow, holders: Vec<PersonId>) -> StoreResult<Position> {
    let slug: String = col(r, "slug")?;
    Ok(Position {
        id: PositionId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        slug: Slug::parse(&slug).map_err(|e| corrupt("slug", e))?,
        name: col(r, "name")?,
        holders,
    })
}

async fn position(conn: &mut Conn, org: OrgId, id: PositionId) -> StoreResult<Position> {
    let row =
        sqlx::query("SELECT id, org_id, slug, name FROM positions WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
    let holders = position_holders(conn, id).await?;
    position_from_row(&row, holders)
}

pub async fn insert_position(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewPosition,
) -> StoreResult<Position> {
    let name = beredskap_core::register::parse_name(&new.name)
        .map_err(|e| StoreError::invalid("name", &e.to_string()))?;
    let taken: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM positions WHERE org_id = $1 AND slug = $2")
            .bind(org.0)
            .bind(new.slug.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    if taken.is_some() {
        return Err(StoreError::Conflict {
            constraint: "positions_org_slug_key".into(),
        });
    }
    let position = Position {
        id: PositionId::new(),
        org_id: org,
        slug: new.slug,
        name,
        holders: Vec::new(),
    };
    sqlx::query("INSERT INTO positions (id, org_id, slug, name) VALUES ($1, $2, $3, $4)")
        .bind(position.id.0)
        .bind(org.0)
        .bind(position.slug.as_str())
        .bind(&position.name)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "position.created",
            format!("position:{}", position.id),
            &position,
        ),
    )
    .await?;
    Ok(position)
}

pub async fn list_positions(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Position>> {
    let mut holders: HashMap<Uuid, Vec<PersonId>> = HashMap::new();
    let holder_rows = sqlx::query(
        "SELECT h.position_id, h.person_id FROM position_holders h \
         JOIN positions p ON p.id = h.position_id WHERE p.org_id = $1 ORDER BY h.position_id, h.ord",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    for r in &holder_rows {
        holders
            .entry(col(r, "position_id")?)
            .or_default()
            .push(PersonId(col(r, "person_id")?));
    }
    let rows =
        sqlx::query("SELECT id, org_id, slug, name FROM positions WHERE org_id = $1 ORDER BY slug")
            .bind(org.0)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    rows.iter()
        .map(|r| {
            let id: Uuid = col(r, "id")?;
            position_from_row(r, holders.remove(&id).unwrap_or_default())
        })
        .collect()
}

pub async fn set_position_holders(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: PositionId,
    holders: Vec<PersonId>,
) -> StoreResult<Position> {
    let before = position(conn, org, id).await?;
    check_people(conn, org, "holders", &holders).await?;
    sqlx::query("DELETE FROM position_holders WHERE position_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    for (ord, person) in holders.iter().enumerate() {
        sqlx::query(
            "INSERT INTO position_holders (position_id, ord, person_id) VALUES ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(ord as i32)
        .bind(person.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    let after = Position {
        holders,
        ..before.clone()
    };
    if before.holders != after.holders {
        append_journal(
            conn,
            org,
            actor,
            NewJournalEntry::new(
                "position.holders_set",
                format!("position:{id}"),
                serde_json::json!({ "holders": &after.holders }),
            ),
        )
        .await?;
    }
    Ok(after)
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
        sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)")
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

const ACCOUNT_COLUMNS: &str = "a.id, a.org_id, a.person_id, a.login, a.role, a.created_at";

fn account_from_row(r: &DbRow) -> StoreResult<Account> {
    let login: String = col(r, "login")?;
    let role: String = col(r, "role")?;
    Ok(Account {
        id: AccountId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        person_id: PersonId(col(r, "person_id")?),
        login: EmailAddress::parse(&login).map_err(|e| corrupt("login", e))?,
        role: Role::parse(&role).map_err(|e| corrupt("role", e))?,
        created_at: col(r, "created_at")?,
    })
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
        .map_err(|_| StoreError::invalid("person", "is not a person in this organisation"))?;
    if account_by_login(conn, org, &login).await?.is_some() {
        return Err(StoreError::Conflict {
            constraint: "accounts_org_login_key".into(),
        });
    }
    let account = Account {
        id: AccountId::new(),
        org_id: org,
        person_id: person,
        login,
        role,
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
    secret_hash: String,
) -> StoreResult<ApiToken> {
    check_account(conn, org, account).await?;
    let token = ApiToken {
        id: ApiTokenId::new(),
        org_id: org,
        account_id: account,
        label,
        created_at: journal::now(),
    };
    sqlx::query(
        "INSERT INTO api_tokens (id, org_id, account_id, label, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.id.0)
    .bind(org.0)
    .bind(account.0)
    .bind(&token.label)
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

pub async fn token_grant(conn: &mut Conn, secret_hash: &str) -> StoreResult<Option<TokenGrant>> {
    let Some(r) = sqlx::query(&format!(
        "SELECT t.id AS token_id, t.label, t.created_at AS token_created_at, {ACCOUNT_COLUMNS} \
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL"
    ))
    .bind(secret_hash)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let account = account_from_row(&r)?;
    Ok(Some(TokenGrant {
        token: ApiToken {
            id: ApiTokenId(col(&r, "token_id")?),
            org_id: account.org_id,
            account_id: account.id,
            label: col(&r, "label")?,
            created_at: col(&r, "token_created_at")?,
        },
        account,
    }))
}
