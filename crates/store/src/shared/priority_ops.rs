//! The priority list's SQL shared by both backends: the child `priority` of each backend's
//! `ops` module. The journal entries here name counts, ids and outcomes, never a
//! citizen's details, so that what is purged is gone.

use super::continuity::{log_entry, open_incident_in};
use super::*;
use beredskap_core::continuity::log::EntryBody;
use beredskap_core::continuity::priority::{
    AccessInput, CallOutcome, CallReport, CallsSummary, Citizen, PriorityCall, PriorityListInfo,
    DEFAULT_CALLS_DAYS,
};
use beredskap_core::{CallId, EntryId, IncidentId};

pub async fn info(conn: &mut Conn, org: OrgId) -> StoreResult<PriorityListInfo> {
    let citizens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM priority_list WHERE org_id = $1")
        .bind(org.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    let settings =
        sqlx::query("SELECT calls_days, imported_at FROM priority_list_settings WHERE org_id = $1")
            .bind(org.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    let (calls_days, imported_at) = match settings {
        Some(row) => (
            u32::try_from(col::<i64>(&row, "calls_days")?).unwrap_or(DEFAULT_CALLS_DAYS),
            col::<Option<DateTime<Utc>>>(&row, "imported_at")?,
        ),
        None => (DEFAULT_CALLS_DAYS, None),
    };
    let positions: Vec<Uuid> = sqlx::query_scalar(
        "SELECT position_id FROM priority_list_positions WHERE org_id = $1 ORDER BY position_id",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(PriorityListInfo {
        citizens: usize::try_from(citizens).unwrap_or(0),
        imported_at,
        positions: positions.into_iter().map(PositionId).collect(),
        calls_days,
    })
}

/// The organisation's settings row, made with the defaults if it has none.
async fn ensure_settings(conn: &mut Conn, org: OrgId) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO priority_list_settings (org_id, calls_days) VALUES ($1, $2) \
         ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(org.0)
    .bind(i64::from(DEFAULT_CALLS_DAYS))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn replace(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    citizens: Vec<Citizen>,
    now: DateTime<Utc>,
) -> StoreResult<PriorityListInfo> {
    let before = info(conn, org).await?.citizens;
    sqlx::query("DELETE FROM priority_list WHERE org_id = $1")
        .bind(org.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    for (place, c) in citizens.iter().enumerate() {
        sqlx::query(
            "INSERT INTO priority_list \
             (id, org_id, place, name, address, phone, need, contact_person) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(Uuid::new_v4())
        .bind(org.0)
        .bind(i64::try_from(place).unwrap_or(i64::MAX))
        .bind(&c.name)
        .bind(&c.address)
        .bind(&c.phone)
        .bind(&c.need)
        .bind(&c.contact_person)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    ensure_settings(conn, org).await?;
    sqlx::query("UPDATE priority_list_settings SET imported_at = $2 WHERE org_id = $1")
        .bind(org.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_list.replaced",
            format!("org:{org}"),
            serde_json::json!({ "before": before, "after": citizens.len() }),
        ),
    )
    .await?;
    info(conn, org).await
}

pub async fn set_access(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    access: AccessInput,
) -> StoreResult<PriorityListInfo> {
    for position in &access.positions {
        let known: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM positions WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(position.0)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
        if known == 0 {
            return Err(StoreError::invalid("positions", Problem::UnknownPosition));
        }
    }
    ensure_settings(conn, org).await?;
    sqlx::query("UPDATE priority_list_settings SET calls_days = $2 WHERE org_id = $1")
        .bind(org.0)
        .bind(i64::from(access.calls_days))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM priority_list_positions WHERE org_id = $1")
        .bind(org.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    for position in &access.positions {
        sqlx::query("INSERT INTO priority_list_positions (org_id, position_id) VALUES ($1, $2)")
            .bind(org.0)
            .bind(position.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    let positions: Vec<String> = access.positions.iter().map(ToString::to_string).collect();
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_list.access_set",
            format!("org:{org}"),
            serde_json::json!({ "positions": positions, "calls_days": access.calls_days }),
        ),
    )
    .await?;
    info(conn, org).await
}

fn citizen_of(r: &DbRow) -> StoreResult<Option<Citizen>> {
    let name: Option<String> = col(r, "name")?;
    let Some(name) = name else {
        return Ok(None);
    };
    Ok(Some(Citizen {
        name,
        address: col::<Option<String>>(r, "address")?.unwrap_or_default(),
        phone: col(r, "phone")?,
        need: col::<Option<String>>(r, "need")?.unwrap_or_default(),
        contact_person: col(r, "contact_person")?,
    }))
}

/// The organisation's list in the file's order, unrecorded: for the store's own use.
async fn list(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Citizen>> {
    let rows = sqlx::query(
        "SELECT name, address, phone, need, contact_person FROM priority_list \
         WHERE org_id = $1 ORDER BY place",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(rows
        .iter()
        .map(citizen_of)
        .collect::<StoreResult<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect())
}

pub async fn open_list(conn: &mut Conn, actor: &Actor, org: OrgId) -> StoreResult<Vec<Citizen>> {
    let citizens = list(conn, org).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_list.opened",
            format!("org:{org}"),
            serde_json::json!({ "citizens": citizens.len() }),
        ),
    )
    .await?;
    Ok(citizens)
}

const CALL_COLUMNS: &str = "id, incident_id, name, address, phone, need, contact_person, \
                            outcome, note, attempts, called_by, called_at";

fn call_of(r: &DbRow) -> StoreResult<PriorityCall> {
    let outcome: Option<String> = col(r, "outcome")?;
    let outcome = match outcome {
        Some(code) => Some(CallOutcome::parse(&code).ok_or_else(|| corrupt("outcome", &code))?),
        None => None,
    };
    Ok(PriorityCall {
        id: CallId(col(r, "id")?),
        incident_id: IncidentId(col(r, "incident_id")?),
        citizen: citizen_of(r)?,
        outcome,
        note: col(r, "note")?,
        attempts: u32::try_from(col::<i64>(r, "attempts")?).unwrap_or(u32::MAX),
        called_by: col::<Option<Uuid>>(r, "called_by")?.map(PersonId),
        called_at: col(r, "called_at")?,
    })
}

async fn calls(conn: &mut Conn, incident: IncidentId) -> StoreResult<Vec<PriorityCall>> {
    let rows = sqlx::query(&format!(
        "SELECT {CALL_COLUMNS} FROM priority_calls WHERE incident_id = $1 ORDER BY place"
    ))
    .bind(incident.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(call_of).collect()
}

pub async fn summary(
    conn: &mut Conn,
    org: OrgId,
    incident: IncidentId,
) -> StoreResult<CallsSummary> {
    let row = sqlx::query(
        "SELECT calls_started_at, calls_kept_by, calls_purged_at FROM incidents \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(incident.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let counts = sqlx::query(
        "SELECT outcome, COUNT(*) AS n FROM priority_calls WHERE incident_id = $1 GROUP BY outcome",
    )
    .bind(incident.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut summary = CallsSummary {
        started_at: col(&row, "calls_started_at")?,
        kept_by: col::<Option<Uuid>>(&row, "calls_kept_by")?.map(EntryId),
        purged_at: col(&row, "calls_purged_at")?,
        ..CallsSummary::default()
    };
    for count in &counts {
        let n = usize::try_from(col::<i64>(count, "n")?).unwrap_or(0);
        let outcome: Option<String> = col(count, "outcome")?;
        summary.total += n;
        match outcome.as_deref().and_then(CallOutcome::parse) {
            None => summary.open += n,
            Some(CallOutcome::Reached) => summary.reached += n,
            Some(CallOutcome::NotReached) => summary.not_reached += n,
            Some(CallOutcome::Escalated) => summary.escalated += n,
        }
    }
    Ok(summary)
}

pub async fn start_calls(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    incident: IncidentId,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<CallsSummary> {
    open_incident_in(conn, org, incident).await?;
    // Once per incident: whoever asks second finds them started.
    let claimed = sqlx::query(
        "UPDATE incidents SET calls_started_at = $3 \
         WHERE org_id = $1 AND id = $2 AND calls_started_at IS NULL",
    )
    .bind(org.0)
    .bind(incident.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if claimed == 0 {
        return summary(conn, org, incident).await;
    }
    let citizens = list(conn, org).await?;
    for (place, c) in citizens.iter().enumerate() {
        sqlx::query(
            "INSERT INTO priority_calls \
             (id, incident_id, place, name, address, phone, need, contact_person, attempts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
        )
        .bind(CallId::new().0)
        .bind(incident.0)
        .bind(i64::try_from(place).unwrap_or(i64::MAX))
        .bind(&c.name)
        .bind(&c.address)
        .bind(&c.phone)
        .bind(&c.need)
        .bind(&c.contact_person)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_calls.started",
            format!("incident:{incident}"),
            serde_json::json!({ "calls": citizens.len(), "by": by.map(|p| p.to_string()) }),
        ),
    )
    .await?;
    summary(conn, org, incident).await
}

pub async fn open_calls(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    incident: IncidentId,
) -> StoreResult<Vec<PriorityCall>> {
    // The incident is the organisation's, or there is nothing to see.
    super::continuity::incident(conn, org, incident).await?;
    let found = calls(conn, incident).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_calls.opened",
            format!("incident:{incident}"),
            serde_json::json!({ "calls": found.len() }),
        ),
    )
    .await?;
    Ok(found)
}

pub async fn report_call(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    incident: IncidentId,
    report: CallReport,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<PriorityCall> {
    open_incident_in(conn, org, incident).await?;
    let row = sqlx::query(&format!(
        "UPDATE priority_calls SET outcome = $3, note = $4, attempts = attempts + 1, \
         called_by = $5, called_at = $6 \
         WHERE incident_id = $1 AND id = $2 AND name IS NOT NULL \
         RETURNING {CALL_COLUMNS}"
    ))
    .bind(incident.0)
    .bind(report.call.0)
    .bind(report.outcome.as_str())
    .bind(&report.note)
    .bind(by.map(|p| p.0))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let call = call_of(&row)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_call.reported",
            format!("incident:{incident}"),
            serde_json::json!({
                "call": call.id.to_string(),
                "outcome": report.outcome.as_str(),
                "attempt": call.attempts,
                "note": report.note.is_some(),
            }),
        ),
    )
    .await?;
    Ok(call)
}

pub async fn keep_calls(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    incident: IncidentId,
    decision: EntryId,
) -> StoreResult<CallsSummary> {
    super::continuity::incident(conn, org, incident).await?;
    let refused = || StoreError::invalid("decision", Problem::UnknownMessage);
    let entry = match log_entry(conn, incident, decision).await {
        Err(StoreError::NotFound) => return Err(refused()),
        found => found?,
    };
    if !matches!(entry.body, EntryBody::Decision { .. }) || !entry.in_picture() {
        return Err(refused());
    }
    let found = summary(conn, org, incident).await?;
    if found.purged_at.is_some() {
        return Err(StoreError::Conflict(Conflict::CallsPurged));
    }
    sqlx::query("UPDATE incidents SET calls_kept_by = $3 WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(incident.0)
        .bind(decision.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_calls.kept",
            format!("incident:{incident}"),
            serde_json::json!({ "decision": decision.to_string() }),
        ),
    )
    .await?;
    summary(conn, org, incident).await
}

/// Ended incidents with calls not purged nor kept, with their organisation and when they
/// may be purged.
pub async fn purge_candidates(
    conn: &mut Conn,
) -> StoreResult<Vec<(OrgId, IncidentId, DateTime<Utc>)>> {
    let rows = sqlx::query(
        "SELECT i.org_id, i.id, i.closed_at, s.calls_days FROM incidents i \
         LEFT JOIN priority_list_settings s ON s.org_id = i.org_id \
         WHERE i.closed_at IS NOT NULL AND i.calls_started_at IS NOT NULL \
         AND i.calls_purged_at IS NULL AND i.calls_kept_by IS NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            let closed: DateTime<Utc> = col(r, "closed_at")?;
            let days =
                col::<Option<i64>>(r, "calls_days")?.unwrap_or(i64::from(DEFAULT_CALLS_DAYS));
            Ok((
                OrgId(col(r, "org_id")?),
                IncidentId(col(r, "id")?),
                closed + chrono::Duration::days(days),
            ))
        })
        .collect()
}

/// Purges one incident's calls unless they were kept or purged since they were found;
/// whether this call purged them.
pub async fn purge_calls(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    incident: IncidentId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let claimed = sqlx::query(
        "UPDATE incidents SET calls_purged_at = $3 \
         WHERE org_id = $1 AND id = $2 AND closed_at IS NOT NULL \
         AND calls_purged_at IS NULL AND calls_kept_by IS NULL",
    )
    .bind(org.0)
    .bind(incident.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if claimed == 0 {
        return Ok(false);
    }
    let purged = sqlx::query(
        "UPDATE priority_calls SET name = NULL, address = NULL, phone = NULL, need = NULL, \
         contact_person = NULL, note = NULL WHERE incident_id = $1",
    )
    .bind(incident.0)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "priority_calls.purged",
            format!("incident:{incident}"),
            serde_json::json!({ "calls": purged }),
        ),
    )
    .await?;
    Ok(true)
}
