//! The continuity plan's SQL shared by both backends: the child `continuity` of each
//! backend's `ops` module.

use super::*;
use beredskap_core::alerting::NewAlert;
use beredskap_core::alerting::Severity;
use beredskap_core::continuity::incidents::{
    Handover, Incident, IncidentTask, NewIncident, Role, RoleHolder, TaskChange, Via,
};
use beredskap_core::continuity::log::{EntryBody, EntryDraft, LogEntry, MAX_ENTRIES};
use beredskap_core::continuity::plans::{Approval, Plan, PlanDocument, PlanSave};
use beredskap_core::continuity::services::{
    Service, ServiceChange, ServiceDraft, ServiceState, StatusChange, MAX_SERVICES,
};
use beredskap_core::continuity::status::PublicContacts;
use beredskap_core::{AlertId, ChannelId, EntryId, IncidentId, PlanId, ServiceId, TaskId};

const SERVICE_COLUMNS: &str = "id, org_id, name, owner, alternative, state, impact, workaround, \
                               changed_at, changed_by, public_state, public_changed_at";

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
        public_state: state_of(&col::<String>(r, "public_state")?)?,
        public_changed_at: col(r, "public_changed_at")?,
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
         changed_at, changed_by, public_state, public_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $9)",
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
    if !change.exercise {
        sqlx::query(
            "UPDATE services SET public_state = $3, public_changed_at = $4 \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org.0)
        .bind(id.0)
        .bind(change.state.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
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
                "exercise": change.exercise,
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

// ---------------------------------------------------------------- plans

/// A plan with its newest version's document.
const PLAN_SELECT: &str = "SELECT p.id, p.org_id, p.slug, p.version, p.updated_at, p.updated_by, \
    p.approved_version, p.approved_by, p.approved_at, p.review_by, v.document FROM plans p \
    JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version";

fn plan_of(r: &DbRow) -> StoreResult<Plan> {
    let slug: String = col(r, "slug")?;
    let document: String = col(r, "document")?;
    let approved_version: Option<i64> = col(r, "approved_version")?;
    let approved_at: Option<DateTime<Utc>> = col(r, "approved_at")?;
    let review_by: Option<DateTime<Utc>> = col(r, "review_by")?;
    let approval = match (approved_version, approved_at, review_by) {
        (Some(version), Some(at), Some(review_by)) => Some(Approval {
            version,
            by: col::<Option<Uuid>>(r, "approved_by")?.map(PersonId),
            at,
            review_by,
        }),
        _ => None,
    };
    Ok(Plan {
        id: PlanId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        slug: Slug::parse(&slug).map_err(|e| corrupt("plan slug", e))?,
        version: col(r, "version")?,
        document: serde_json::from_str(&document).map_err(|e| corrupt("plan", e))?,
        updated_at: col(r, "updated_at")?,
        updated_by: col::<Option<Uuid>>(r, "updated_by")?.map(PersonId),
        approval,
    })
}

pub async fn plans(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<Plan>> {
    let rows = sqlx::query(&format!(
        "{PLAN_SELECT} WHERE p.org_id = $1 ORDER BY p.title, p.slug"
    ))
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(plan_of).collect()
}

pub async fn plan(conn: &mut Conn, org: OrgId, id: PlanId) -> StoreResult<Plan> {
    let row = sqlx::query(&format!("{PLAN_SELECT} WHERE p.org_id = $1 AND p.id = $2"))
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    plan_of(&row)
}

pub async fn plan_by_slug(conn: &mut Conn, org: OrgId, slug: &Slug) -> StoreResult<Option<Plan>> {
    let row = sqlx::query(&format!(
        "{PLAN_SELECT} WHERE p.org_id = $1 AND p.slug = $2"
    ))
    .bind(org.0)
    .bind(slug.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.as_ref().map(plan_of).transpose()
}

pub async fn save_plan(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    save: PlanSave,
    now: DateTime<Utc>,
) -> StoreResult<Plan> {
    let PlanSave {
        slug,
        document,
        expected,
        by,
    } = save;
    let slug = &slug;
    let current = plan_by_slug(conn, org, slug).await?;
    if let (Some(expected), Some(current)) = (expected, &current) {
        if current.version != expected {
            return Err(StoreError::Conflict(Conflict::PlanChanged));
        }
    }
    let json = serde_json::to_string(&document).map_err(|e| StoreError::Backend(e.to_string()))?;
    let (id, version) = match &current {
        // Nothing new: an import run twice changes nothing.
        Some(plan) if plan.document == document => return Ok(plan.clone()),
        Some(plan) => {
            sqlx::query(
                "UPDATE plans SET version = $3, title = $4, updated_at = $5, updated_by = $6 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(org.0)
            .bind(plan.id.0)
            .bind(plan.version + 1)
            .bind(&document.title)
            .bind(now)
            .bind(by.map(|p| p.0))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            (plan.id, plan.version + 1)
        }
        None => {
            let id = PlanId::new();
            sqlx::query(
                "INSERT INTO plans (id, org_id, slug, title, version, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6)",
            )
            .bind(id.0)
            .bind(org.0)
            .bind(slug.as_str())
            .bind(&document.title)
            .bind(now)
            .bind(by.map(|p| p.0))
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            (id, 1)
        }
    };
    sqlx::query(
        "INSERT INTO plan_versions (plan_id, version, document, saved_at, saved_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(version)
    .bind(&json)
    .bind(now)
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            if version == 1 {
                "plan.created"
            } else {
                "plan.saved"
            },
            format!("plan:{id}"),
            serde_json::json!({
                "slug": slug.as_str(),
                "version": version,
                // The whole text: the journal is the record of what the plan said when.
                "document": document,
            }),
        ),
    )
    .await?;
    plan(conn, org, id).await
}

pub async fn plan_version(
    conn: &mut Conn,
    org: OrgId,
    id: PlanId,
    version: i64,
) -> StoreResult<PlanDocument> {
    let document: String = sqlx::query_scalar(
        "SELECT v.document FROM plan_versions v JOIN plans p ON p.id = v.plan_id \
         WHERE p.org_id = $1 AND p.id = $2 AND v.version = $3",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    serde_json::from_str(&document).map_err(|e| corrupt("plan", e))
}

pub async fn approve_plan(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: PlanId,
    version: i64,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<Plan> {
    let current = plan(conn, org, id).await?;
    if current.version != version {
        return Err(StoreError::Conflict(Conflict::PlanChanged));
    }
    let months = chrono::Months::new(current.document.review_months);
    let review_by = now.checked_add_months(months).unwrap_or(now);
    sqlx::query(
        "UPDATE plans SET approved_version = $3, approved_by = $4, approved_at = $5, \
         review_by = $6 WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(version)
    .bind(by.map(|p| p.0))
    .bind(now)
    .bind(review_by)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO plan_approvals (plan_id, version, approved_by, approved_at, review_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(version)
    .bind(by.map(|p| p.0))
    .bind(now)
    .bind(review_by)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "plan.approved",
            format!("plan:{id}"),
            serde_json::json!({
                "slug": current.slug.as_str(),
                "version": version,
                "by": by.map(|p| p.to_string()),
                "review_by": review_by,
            }),
        ),
    )
    .await?;
    plan(conn, org, id).await
}

// ---------------------------------------------------------------- incidents

const INCIDENT_COLUMNS: &str = "id, org_id, title, plan_id, plan_version, severity, exercise, \
    channel_id, alert_id, opened_at, opened_by, via, closed_at, report_every_minutes";

fn incident_of(r: &DbRow) -> StoreResult<Incident> {
    let severity: String = col(r, "severity")?;
    let via: String = col(r, "via")?;
    Ok(Incident {
        id: IncidentId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        title: col(r, "title")?,
        plan_id: col::<Option<Uuid>>(r, "plan_id")?.map(PlanId),
        plan_version: col(r, "plan_version")?,
        severity: Severity::parse(&severity).ok_or_else(|| corrupt("severity", &severity))?,
        exercise: col(r, "exercise")?,
        channel_id: ChannelId(col(r, "channel_id")?),
        alert_id: col::<Option<Uuid>>(r, "alert_id")?.map(AlertId),
        opened_at: col(r, "opened_at")?,
        opened_by: col::<Option<Uuid>>(r, "opened_by")?.map(PersonId),
        via: Via::parse(&via).ok_or_else(|| corrupt("via", &via))?,
        closed_at: col(r, "closed_at")?,
        report_every_minutes: col::<Option<i64>>(r, "report_every_minutes")?
            .and_then(|m| u32::try_from(m).ok()),
    })
}

pub async fn open_incident(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewIncident,
    now: DateTime<Utc>,
) -> StoreResult<Incident> {
    let channel =
        super::conversation::create_channel(conn, actor, org, new.creator, new.channel).await?;
    let alert = match new.alert {
        Some(alert) => Some(super::alerting::create_alert(conn, actor, org, alert, now).await?),
        None => None,
    };
    let id = IncidentId::new();
    sqlx::query(
        "INSERT INTO incidents (id, org_id, title, plan_id, plan_version, severity, exercise, \
         channel_id, alert_id, opened_at, opened_by, via, report_every_minutes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(&new.title)
    .bind(new.plan.map(|(p, _)| p.0))
    .bind(new.plan.map(|(_, v)| v))
    .bind(new.severity.as_str())
    .bind(new.exercise)
    .bind(channel.id.0)
    .bind(alert.as_ref().map(|a| a.id.0))
    .bind(now)
    .bind(new.opened_by.map(|p| p.0))
    .bind(new.via.as_str())
    .bind(new.report_every_minutes.map(i64::from))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    for (place, task) in new.tasks.iter().enumerate() {
        sqlx::query(
            "INSERT INTO incident_tasks (id, incident_id, place, position, assignee, text, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(TaskId::new().0)
        .bind(id.0)
        .bind(i64::try_from(place).unwrap_or(i64::MAX))
        .bind(&task.position)
        .bind(task.assignee.map(|p| p.0))
        .bind(&task.text)
        .bind(task.due_at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    if let Some(lead) = new.lead {
        check_people(conn, org, "lead", &[lead]).await?;
        sqlx::query(
            "INSERT INTO incident_roles (incident_id, role, person_id, since, handed_by) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(Role::Lead.as_str())
        .bind(lead.0)
        .bind(now)
        .bind(lead.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.opened",
            format!("incident:{id}"),
            serde_json::json!({
                "title": new.title,
                "plan": new.plan.map(|(p, v)| serde_json::json!({"id": p.to_string(), "version": v})),
                "severity": new.severity.as_str(),
                "exercise": new.exercise,
                "via": new.via.as_str(),
                "channel": channel.id.to_string(),
                "alert": alert.as_ref().map(|a| a.id.to_string()),
                "tasks": new.tasks.len(),
                "lead": new.lead.map(|p| p.to_string()),
            }),
        ),
    )
    .await?;
    incident(conn, org, id).await
}

/// The incident, if it is still open: `Conflict::IncidentClosed` once it has ended.
pub(super) async fn open_incident_in(
    conn: &mut Conn,
    org: OrgId,
    id: IncidentId,
) -> StoreResult<Incident> {
    let found = incident(conn, org, id).await?;
    match found.is_open() {
        true => Ok(found),
        false => Err(StoreError::Conflict(Conflict::IncidentClosed)),
    }
}

pub async fn incidents(conn: &mut Conn, org: OrgId, closed: bool) -> StoreResult<Vec<Incident>> {
    let rows = sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents \
         WHERE org_id = $1 AND ($2 OR closed_at IS NULL) ORDER BY opened_at DESC"
    ))
    .bind(org.0)
    .bind(closed)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(incident_of).collect()
}

pub async fn incident(conn: &mut Conn, org: OrgId, id: IncidentId) -> StoreResult<Incident> {
    let row = sqlx::query(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    incident_of(&row)
}

fn task_of(r: &DbRow) -> StoreResult<IncidentTask> {
    Ok(IncidentTask {
        id: TaskId(col(r, "id")?),
        incident_id: IncidentId(col(r, "incident_id")?),
        position: col(r, "position")?,
        assignee: col::<Option<Uuid>>(r, "assignee")?.map(PersonId),
        text: col(r, "text")?,
        due_at: col(r, "due_at")?,
        done_at: col(r, "done_at")?,
        done_by: col::<Option<Uuid>>(r, "done_by")?.map(PersonId),
    })
}

pub async fn incident_tasks(
    conn: &mut Conn,
    org: OrgId,
    id: IncidentId,
) -> StoreResult<Vec<IncidentTask>> {
    incident(conn, org, id).await?;
    let rows = sqlx::query(
        "SELECT id, incident_id, position, assignee, text, due_at, done_at, done_by \
         FROM incident_tasks WHERE incident_id = $1 ORDER BY place",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(task_of).collect()
}

pub async fn set_task_done(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    incident_id: IncidentId,
    change: TaskChange,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<IncidentTask> {
    let TaskChange { task, done } = change;
    open_incident_in(conn, org, incident_id).await?;
    let (done_at, done_by) = match done {
        true => (Some(now), by.map(|p| p.0)),
        false => (None, None),
    };
    let row = sqlx::query(
        "UPDATE incident_tasks SET done_at = $3, done_by = $4 \
         WHERE incident_id = $1 AND id = $2 \
         RETURNING id, incident_id, position, assignee, text, due_at, done_at, done_by",
    )
    .bind(incident_id.0)
    .bind(task.0)
    .bind(done_at)
    .bind(done_by)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let task = task_of(&row)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            if done {
                "incident.task_done"
            } else {
                "incident.task_reopened"
            },
            format!("incident:{incident_id}"),
            serde_json::json!({
                "task": task.id.to_string(),
                "text": task.text,
                "by": by.map(|p| p.to_string()),
            }),
        ),
    )
    .await?;
    Ok(task)
}

pub async fn incident_roles(
    conn: &mut Conn,
    org: OrgId,
    id: IncidentId,
) -> StoreResult<Vec<RoleHolder>> {
    incident(conn, org, id).await?;
    let rows = sqlx::query(
        "SELECT role, person_id, since, until, handed_by FROM incident_roles \
         WHERE incident_id = $1 ORDER BY since",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            let role: String = col(r, "role")?;
            Ok(RoleHolder {
                role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
                person: PersonId(col(r, "person_id")?),
                since: col(r, "since")?,
                until: col(r, "until")?,
                by: col::<Option<Uuid>>(r, "handed_by")?.map(PersonId),
            })
        })
        .collect()
}

pub async fn hand_over_role(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    handover: Handover,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<RoleHolder> {
    let Handover { role, to } = handover;
    open_incident_in(conn, org, id).await?;
    check_people(conn, org, "person", &[to]).await?;
    let before: Option<Uuid> = sqlx::query_scalar(
        "SELECT person_id FROM incident_roles WHERE incident_id = $1 AND role = $2 AND until IS NULL",
    )
    .bind(id.0)
    .bind(role.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE incident_roles SET until = $3 WHERE incident_id = $1 AND role = $2 AND until IS NULL",
    )
    .bind(id.0)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO incident_roles (incident_id, role, person_id, since, handed_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(role.as_str())
    .bind(to.0)
    .bind(now)
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.role_handed_over",
            format!("incident:{id}"),
            serde_json::json!({
                "role": role.as_str(),
                "from": before.map(|p| p.to_string()),
                "to": to.to_string(),
                "by": by.map(|p| p.to_string()),
            }),
        ),
    )
    .await?;
    Ok(RoleHolder {
        role,
        person: to,
        since: now,
        until: None,
        by,
    })
}

pub async fn close_incident(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<Incident> {
    let closed = sqlx::query(
        "UPDATE incidents SET closed_at = $3, closed_by = $4 \
         WHERE org_id = $1 AND id = $2 AND closed_at IS NULL",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(now)
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if closed.rows_affected() != 1 {
        // Not found, or ended already.
        incident(conn, org, id).await?;
        return Err(StoreError::Conflict(Conflict::IncidentClosed));
    }
    sqlx::query("UPDATE incident_roles SET until = $2 WHERE incident_id = $1 AND until IS NULL")
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
            "incident.closed",
            format!("incident:{id}"),
            serde_json::json!({ "by": by.map(|p| p.to_string()) }),
        ),
    )
    .await?;
    incident(conn, org, id).await
}

// ---------------------------------------------------------------- the incident log

const ENTRY_COLUMNS: &str = "id, incident_id, kind, what, who, why, decided_at, conditions, \
    actions, needs, significant, written_at, written_by, approved_at, approved_by, declined_at, \
    declined_by";

fn entry_of(r: &DbRow) -> StoreResult<LogEntry> {
    let kind: String = col(r, "kind")?;
    let text = |name: &str| -> StoreResult<String> {
        Ok(col::<Option<String>>(r, name)?.unwrap_or_default())
    };
    let body = match kind.as_str() {
        "decision" => EntryBody::Decision {
            what: text("what")?,
            who: text("who")?,
            why: text("why")?,
            decided_at: col::<Option<DateTime<Utc>>>(r, "decided_at")?
                .ok_or_else(|| corrupt("decision time", "none"))?,
        },
        "report" => EntryBody::Report {
            conditions: text("conditions")?,
            actions: text("actions")?,
            needs: text("needs")?,
        },
        other => return Err(corrupt("log entry kind", other)),
    };
    Ok(LogEntry {
        id: EntryId(col(r, "id")?),
        incident_id: IncidentId(col(r, "incident_id")?),
        body,
        significant: col(r, "significant")?,
        written_at: col(r, "written_at")?,
        written_by: col::<Option<Uuid>>(r, "written_by")?.map(PersonId),
        approved_at: col(r, "approved_at")?,
        approved_by: col::<Option<Uuid>>(r, "approved_by")?.map(PersonId),
        declined_at: col(r, "declined_at")?,
        declined_by: col::<Option<Uuid>>(r, "declined_by")?.map(PersonId),
    })
}

pub async fn incident_log(
    conn: &mut Conn,
    org: OrgId,
    id: IncidentId,
) -> StoreResult<Vec<LogEntry>> {
    incident(conn, org, id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM incident_log WHERE incident_id = $1 ORDER BY written_at, id"
    ))
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(entry_of).collect()
}

/// Who approves significant entries now: the scribe, or the lead while nobody is scribe.
async fn approver(conn: &mut Conn, id: IncidentId) -> StoreResult<Option<PersonId>> {
    let holder = |role: Role| {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT person_id FROM incident_roles \
             WHERE incident_id = $1 AND role = $2 AND until IS NULL",
        )
        .bind(id.0)
        .bind(role.as_str())
    };
    let scribe = holder(Role::Scribe)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let person = match scribe {
        Some(p) => Some(p),
        None => holder(Role::Lead)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?,
    };
    Ok(person.map(PersonId))
}

pub async fn write_log_entry(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    draft: EntryDraft,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<LogEntry> {
    open_incident_in(conn, org, id).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incident_log WHERE incident_id = $1")
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_ENTRIES {
        return Err(StoreError::invalid(
            "entry",
            Problem::TooMany { max: MAX_ENTRIES },
        ));
    }
    // The scribe's own significant entry needs no second look.
    let approved = match draft.significant && by.is_some() {
        true => approver(conn, id).await? == by,
        false => false,
    };
    let entry_id = EntryId::new();
    let (what, who, why, decided_at, conditions, actions, needs) = match &draft.body {
        EntryBody::Decision {
            what,
            who,
            why,
            decided_at,
        } => (
            Some(what),
            Some(who),
            Some(why),
            Some(*decided_at),
            None,
            None,
            None,
        ),
        EntryBody::Report {
            conditions,
            actions,
            needs,
        } => (
            None,
            None,
            None,
            None,
            Some(conditions),
            Some(actions),
            Some(needs),
        ),
    };
    sqlx::query(
        "INSERT INTO incident_log (id, incident_id, kind, what, who, why, decided_at, \
         conditions, actions, needs, significant, written_at, written_by, approved_at, \
         approved_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(entry_id.0)
    .bind(id.0)
    .bind(draft.body.kind())
    .bind(what)
    .bind(who)
    .bind(why)
    .bind(decided_at)
    .bind(conditions)
    .bind(actions)
    .bind(needs)
    .bind(draft.significant)
    .bind(now)
    .bind(by.map(|p| p.0))
    .bind(approved.then_some(now))
    .bind(by.filter(|_| approved).map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let entry = LogEntry {
        id: entry_id,
        incident_id: id,
        body: draft.body,
        significant: draft.significant,
        written_at: now,
        written_by: by,
        approved_at: approved.then_some(now),
        approved_by: by.filter(|_| approved),
        declined_at: None,
        declined_by: None,
    };
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            match entry.body {
                EntryBody::Decision { .. } => "incident.decision_recorded",
                EntryBody::Report { .. } => "incident.report_written",
            },
            format!("incident:{id}"),
            serde_json::json!({ "entry": entry }),
        ),
    )
    .await?;
    Ok(entry)
}

/// One entry of an incident's log; `NotFound` for another incident's.
pub(super) async fn log_entry(
    conn: &mut Conn,
    id: IncidentId,
    entry_id: EntryId,
) -> StoreResult<LogEntry> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM incident_log WHERE incident_id = $1 AND id = $2"
    ))
    .bind(id.0)
    .bind(entry_id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    entry_of(&row)
}

pub async fn approve_log_entry(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    entry_id: EntryId,
    by: PersonId,
    now: DateTime<Utc>,
) -> StoreResult<LogEntry> {
    open_incident_in(conn, org, id).await?;
    let entry = log_entry(conn, id, entry_id).await?;
    // In the picture already: nothing to approve, and nothing it would tell anyone.
    if entry.in_picture() {
        return Ok(entry);
    }
    if entry.declined_at.is_some() {
        return Err(StoreError::Conflict(Conflict::EntryDecided));
    }
    if approver(conn, id).await? != Some(by) {
        return Err(StoreError::Forbidden(
            "only the incident's scribe approves an entry",
        ));
    }
    sqlx::query("UPDATE incident_log SET approved_at = $2, approved_by = $3 WHERE id = $1")
        .bind(entry_id.0)
        .bind(now)
        .bind(by.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.entry_approved",
            format!("incident:{id}"),
            serde_json::json!({ "entry": entry_id.to_string(), "by": by.to_string() }),
        ),
    )
    .await?;
    Ok(LogEntry {
        approved_at: Some(now),
        approved_by: Some(by),
        ..entry
    })
}

pub async fn decline_log_entry(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    entry_id: EntryId,
    by: PersonId,
    now: DateTime<Utc>,
) -> StoreResult<LogEntry> {
    open_incident_in(conn, org, id).await?;
    let entry = log_entry(conn, id, entry_id).await?;
    if entry.in_picture() {
        return Err(StoreError::Conflict(Conflict::EntryDecided));
    }
    if entry.declined_at.is_some() {
        return Ok(entry);
    }
    if approver(conn, id).await? != Some(by) {
        return Err(StoreError::Forbidden(
            "only the incident's scribe sends an entry back",
        ));
    }
    sqlx::query("UPDATE incident_log SET declined_at = $2, declined_by = $3 WHERE id = $1")
        .bind(entry_id.0)
        .bind(now)
        .bind(by.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.entry_declined",
            format!("incident:{id}"),
            serde_json::json!({ "entry": entry_id.to_string(), "by": by.to_string() }),
        ),
    )
    .await?;
    Ok(LogEntry {
        declined_at: Some(now),
        declined_by: Some(by),
        ..entry
    })
}

pub async fn set_report_cadence(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    every_minutes: Option<u32>,
) -> StoreResult<Incident> {
    open_incident_in(conn, org, id).await?;
    sqlx::query("UPDATE incidents SET report_every_minutes = $3 WHERE org_id = $1 AND id = $2")
        .bind(org.0)
        .bind(id.0)
        .bind(every_minutes.map(i64::from))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.report_cadence_set",
            format!("incident:{id}"),
            serde_json::json!({ "every_minutes": every_minutes }),
        ),
    )
    .await?;
    incident(conn, org, id).await
}

pub async fn remind_report(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    due: DateTime<Utc>,
    alert: NewAlert,
    now: DateTime<Utc>,
) -> StoreResult<Option<AlertId>> {
    let claimed = sqlx::query(
        "UPDATE incidents SET report_reminded_at = $3 \
         WHERE org_id = $1 AND id = $2 AND closed_at IS NULL \
         AND (report_reminded_at IS NULL OR report_reminded_at < $4)",
    )
    .bind(org.0)
    .bind(id.0)
    .bind(now)
    .bind(due)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if claimed.rows_affected() != 1 {
        return Ok(None);
    }
    let alert = super::alerting::create_alert(conn, actor, org, alert, now).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.report_overdue",
            format!("incident:{id}"),
            serde_json::json!({ "due": due, "alert": alert.id.to_string() }),
        ),
    )
    .await?;
    Ok(Some(alert.id))
}

// ---------------------------------------------------------------- guests

pub async fn invite_guest(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    account: AccountId,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let found = open_incident_in(conn, org, id).await?;
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM accounts WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(account.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    match role.as_deref() {
        None => return Err(StoreError::invalid("account", Problem::UnknownAccount)),
        Some("guest") => {}
        Some(_) => return Err(StoreError::invalid("account", Problem::NotAGuest)),
    }
    let added = sqlx::query(
        "INSERT INTO incident_guests (incident_id, account_id, invited_at, invited_by) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(id.0)
    .bind(account.0)
    .bind(now)
    .bind(by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if added.rows_affected() == 0 {
        return Ok(());
    }
    super::conversation::insert_members(conn, org, found.channel_id, &[account], now).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.guest_invited",
            format!("incident:{id}"),
            serde_json::json!({
                "account": account.to_string(),
                "channel": found.channel_id.to_string(),
                "by": by.map(|p| p.to_string()),
            }),
        ),
    )
    .await?;
    Ok(())
}

pub async fn remove_guest(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: IncidentId,
    account: AccountId,
    by: Option<PersonId>,
) -> StoreResult<()> {
    let found = incident(conn, org, id).await?;
    let removed =
        sqlx::query("DELETE FROM incident_guests WHERE incident_id = $1 AND account_id = $2")
            .bind(id.0)
            .bind(account.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    if removed.rows_affected() == 0 {
        // Not (or no longer) a guest of it: nothing to take away.
        return Ok(());
    }
    sqlx::query("DELETE FROM channel_members WHERE channel_id = $1 AND account_id = $2")
        .bind(found.channel_id.0)
        .bind(account.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "incident.guest_removed",
            format!("incident:{id}"),
            serde_json::json!({
                "account": account.to_string(),
                "channel": found.channel_id.to_string(),
                "by": by.map(|p| p.to_string()),
            }),
        ),
    )
    .await?;
    Ok(())
}

pub async fn incident_guests(
    conn: &mut Conn,
    org: OrgId,
    id: IncidentId,
) -> StoreResult<Vec<AccountId>> {
    incident(conn, org, id).await?;
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT account_id FROM incident_guests WHERE incident_id = $1 ORDER BY invited_at",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(AccountId).collect())
}

// ---------------------------------------------------------------- activation PINs

pub async fn set_activation_pin(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    account: AccountId,
    pin_hash: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    check_account(conn, org, account).await?;
    sqlx::query("DELETE FROM activation_pins WHERE account_id = $1")
        .bind(account.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if let Some(hash) = &pin_hash {
        sqlx::query(
            "INSERT INTO activation_pins (account_id, org_id, pin_hash, set_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(account.0)
        .bind(org.0)
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            match pin_hash {
                Some(_) => "account.activation_pin_set",
                None => "account.activation_pin_removed",
            },
            format!("account:{account}"),
            serde_json::json!({}),
        ),
    )
    .await?;
    Ok(())
}

pub async fn activation_pin(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT pin_hash FROM activation_pins WHERE org_id = $1 AND account_id = $2")
        .bind(org.0)
        .bind(account.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)
}

pub async fn public_contacts(conn: &mut Conn, org: OrgId) -> StoreResult<PublicContacts> {
    let row = sqlx::query(
        "SELECT phone, address, opening_hours, note FROM public_contacts WHERE org_id = $1",
    )
    .bind(org.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    match row {
        Some(r) => Ok(PublicContacts {
            phone: col(&r, "phone")?,
            address: col(&r, "address")?,
            opening_hours: col(&r, "opening_hours")?,
            note: col(&r, "note")?,
        }),
        None => Ok(PublicContacts::default()),
    }
}

pub async fn set_public_contacts(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    contacts: PublicContacts,
    now: DateTime<Utc>,
) -> StoreResult<PublicContacts> {
    sqlx::query(
        "INSERT INTO public_contacts (org_id, phone, address, opening_hours, note, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (org_id) DO UPDATE SET phone = $2, address = $3, opening_hours = $4, \
         note = $5, changed_at = $6",
    )
    .bind(org.0)
    .bind(&contacts.phone)
    .bind(&contacts.address)
    .bind(&contacts.opening_hours)
    .bind(&contacts.note)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "status.contacts_set",
            format!("org:{org}"),
            serde_json::to_value(&contacts).map_err(|e| corrupt("public contacts", e))?,
        ),
    )
    .await?;
    Ok(contacts)
}
