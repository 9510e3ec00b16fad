//! The continuity plan's SQL shared by both backends: the child `continuity` of each
//! backend's `ops` module.

use super::*;
use beredskap_core::continuity::services::{
    Service, ServiceChange, ServiceDraft, ServiceState, StatusChange, MAX_SERVICES,
};
use beredskap_core::ServiceId;

const SERVICE_COLUMNS: &str = "id, org_id, name, owner, alternative, state, impact, workaround, \
                               changed_at, changed_by";

fn state_of(code: &str) -> StoreResult<ServiceState> {
    ServiceState::parse(code).map_err(|_| corrupt("service state", code))
}

fn service_of(r: &DbRow) -> StoreResult<Service> {
    let state: String = col(r, "state")?;
    Ok(Service {
        id: ServiceId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        name: col(r, "name")?,
        owner: col(r, "owner")?,
        alternative: col(r, "alternative")?,
        state: state_of(&state)?,
        impact: col(r, "impact")?,
        workaround: col(r, "workaround")?,
        changed_at: col(r, "changed_at")?,
        changed_by: col::<Option<Uuid>>(r, "changed_by")?.map(PersonId),
    })
}

pub async fn services(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Service>> {
    let rows = sqlx::query(&format!(
        "SELECT {SERVICE_COLUMNS} FROM services \
         WHERE org_id = $1 AND retired_at IS NULL ORDER BY place"
    ))
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(service_of).collect()
}

pub async fn service(conn: &mut Conn, org: OrgId, id: ServiceId) -> StoreResult<Service> {
    let row = sqlx::query(&format!(
        "SELECT {SERVICE_COLUMNS} FROM services \
         WHERE org_id = $1 AND id = $2 AND retired_at IS NULL"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    service_of(&row)
}

fn name_key(name: &str) -> String {
    name.to_lowercase()
}

pub async fn create_service(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    draft: ServiceDraft,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<Service> {
    let (count, last): (i64, Option<i64>) = {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MAX(place) AS last FROM services \
             WHERE org_id = $1 AND retired_at IS NULL",
        )
        .bind(org.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        (col(&row, "n")?, col(&row, "last")?)
    };
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_SERVICES {
        return Err(StoreError::invalid(
            "name",
            Problem::TooMany { max: MAX_SERVICES },
        ));
    }
    let id = ServiceId::new();
    sqlx::query(
        "INSERT INTO services (id, org_id, place, name, name_key, owner, alternative, state, \
         changed_at, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(last.unwrap_or(0) + 1)
    .bind(&draft.name)
    .bind(name_key(&draft.name))
    .bind(&draft.owner)
    .bind(&draft.alternative)
    .bind(ServiceState::Unknown.as_str())
    .bind(now)
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO service_changes (service_id, org_id, at, state, changed_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(now)
    .bind(ServiceState::Unknown.as_str())
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new("service.created", format!("service:{id}"), &draft),
    )
    .await?;
    service(conn, org, id).await
}

pub async fn update_service(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: ServiceId,
    draft: ServiceDraft,
) -> StoreResult<Service> {
    let before = service(conn, org, id).await?;
    sqlx::query(
        "UPDATE services SET name = $3, name_key = $4, owner = $5, alternative = $6 \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(&draft.name)
    .bind(name_key(&draft.name))
    .bind(&draft.owner)
    .bind(&draft.alternative)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "service.changed",
            format!("service:{id}"),
            serde_json::json!({
                "before": {
                    "name": before.name,
                    "owner": before.owner,
                    "alternative": before.alternative,
                },
                "after": draft,
            }),
        ),
    )
    .await?;
    service(conn, org, id).await
}

pub async fn retire_service(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: ServiceId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let before = service(conn, org, id).await?;
    sqlx::query(
        "UPDATE services SET retired_at = $3, name_key = NULL WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "service.retired",
            format!("service:{id}"),
            serde_json::json!({ "name": before.name }),
        ),
    )
    .await?;
    Ok(())
}

pub async fn set_service_status(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: ServiceId,
    change: StatusChange,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<Service> {
    let before = service(conn, org, id).await?;
    sqlx::query(
        "UPDATE services SET state = $3, impact = $4, workaround = $5, changed_at = $6, \
         changed_by = $7 WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(change.state.as_str())
    .bind(&change.impact)
    .bind(&change.workaround)
    .bind(now)
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO service_changes \
         (service_id, org_id, at, state, impact, workaround, changed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(now)
    .bind(change.state.as_str())
    .bind(&change.impact)
    .bind(&change.workaround)
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "service.status_set",
            format!("service:{id}"),
            serde_json::json!({
                "name": before.name,
                "from": before.state.as_str(),
                "to": change.state.as_str(),
                "impact": change.impact,
                "workaround": change.workaround,
            }),
        ),
    )
    .await?;
    service(conn, org, id).await
}

pub async fn service_history(
    conn: &mut Conn,
    org: OrgId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<ServiceChange>> {
    // Each service's last change before `since` (the state it was in when the window
    // opened), then every change inside it.
    let rows = sqlx::query(
        "SELECT c.service_id, s.name, c.state, c.impact, c.workaround, c.at, c.changed_by \
         FROM service_changes c JOIN services s ON s.id = c.service_id \
         WHERE c.org_id = $1 AND (c.at >= $2 OR c.at = ( \
             SELECT MAX(p.at) FROM service_changes p \
             WHERE p.service_id = c.service_id AND p.at < $2)) \
         ORDER BY c.at, s.place",
    )
    .bind(org.0)
    .bind(since)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            let state: String = col(r, "state")?;
            Ok(ServiceChange {
                service_id: ServiceId(col(r, "service_id")?),
                name: col(r, "name")?,
                state: state_of(&state)?,
                impact: col(r, "impact")?,
                workaround: col(r, "workaround")?,
                at: col(r, "at")?,
                by: col::<Option<Uuid>>(r, "changed_by")?.map(PersonId),
            })
        })
        .collect()
}
