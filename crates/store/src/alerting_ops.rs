// Alerting SQL shared by both backends, included inside each backend's `ops` module as its
// child `alerting`. `super::SKIP_LOCKED` is the one dialect difference: PostgreSQL workers
// on several nodes skip rows another has locked; SQLite has a single writer.

use super::*;
use beredskap_core::alerting::{
    plan, Alert, AlertStatus, Answer, Delivery, DeliveryOutcome, DeliveryStatus, NewAlert,
    RosterEntry, Severity,
};
use beredskap_core::{AlertId, DeliveryId};

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// The recipients, each once, with why they were chosen: people as named, groups by
/// their members, positions by their holder.
/// People named directly are loaded here to check them; they are returned so they are not
/// read again.
async fn resolve(
    conn: &mut Conn,
    org: OrgId,
    new: &NewAlert,
) -> StoreResult<(Vec<(PersonId, String)>, HashMap<PersonId, Person>)> {
    let mut loaded = HashMap::new();
    let mut chosen: Vec<(PersonId, String)> = Vec::new();
    let mut add = |person: PersonId, reason: String| {
        if !chosen.iter().any(|(p, _)| *p == person) {
            chosen.push((person, reason));
        }
    };
    for (i, person) in new.recipients.people.iter().enumerate() {
        let Some(found) = super::person(conn, org, *person).await? else {
            return Err(StoreError::invalid(
                &format!("recipients.people[{i}]"),
                "is not a person in this organisation",
            ));
        };
        loaded.insert(*person, found);
        add(*person, "person".to_owned());
    }
    let groups = super::list_groups(conn, org).await?;
    for (i, id) in new.recipients.groups.iter().enumerate() {
        let group = groups.iter().find(|g| g.id == *id).ok_or_else(|| {
            StoreError::invalid(
                &format!("recipients.groups[{i}]"),
                "is not a group of this organisation",
            )
        })?;
        for person in &group.members {
            add(*person, format!("group:{}", group.slug));
        }
    }
    let positions = super::list_positions(conn, org).await?;
    for (i, id) in new.recipients.positions.iter().enumerate() {
        let position = positions.iter().find(|p| p.id == *id).ok_or_else(|| {
            StoreError::invalid(
                &format!("recipients.positions[{i}]"),
                "is not a position of this organisation",
            )
        })?;
        if let Some(holder) = position.holders.first() {
            add(*holder, format!("position:{}", position.slug));
        }
    }
    Ok((chosen, loaded))
}

pub async fn create_alert(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewAlert,
    now: DateTime<Utc>,
) -> StoreResult<Alert> {
    let (recipients, mut loaded) = resolve(conn, org, &new).await?;
    let mut people = Vec::new();
    for (id, _) in &recipients {
        let person = match loaded.remove(id) {
            Some(person) => person,
            None => super::person(conn, org, *id)
                .await?
                .ok_or(StoreError::NotFound)?,
        };
        if person.active {
            people.push((*id, person.contact_points));
        }
    }
    let planned = plan(&people, new.step);
    let alert = Alert {
        id: AlertId::new(),
        org_id: org,
        created_by: new.created_by,
        message: new.message,
        severity: new.severity,
        options: new.options,
        exercise: new.exercise,
        status: AlertStatus::Active,
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO alerts (id, org_id, created_by, message, severity, options, exercise, \
         status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8)",
    )
    .bind(alert.id.0)
    .bind(org.0)
    .bind(alert.created_by.map(|a| a.0))
    .bind(&alert.message)
    .bind(severity_str(alert.severity))
    .bind(serde_json::to_string(&alert.options).unwrap_or_else(|_| "[]".into()))
    .bind(alert.exercise)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    for (person, reason) in recipients
        .iter()
        .filter(|(p, _)| people.iter().any(|(q, _)| q == p))
    {
        sqlx::query(
            "INSERT INTO alert_recipients (alert_id, person_id, reason) VALUES ($1, $2, $3)",
        )
        .bind(alert.id.0)
        .bind(person.0)
        .bind(reason)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    for d in &planned {
        sqlx::query(
            "INSERT INTO deliveries (id, alert_id, org_id, person_id, step, channel, address, \
             due_at, status, attempts, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9)",
        )
        .bind(DeliveryId::new().0)
        .bind(alert.id.0)
        .bind(org.0)
        .bind(d.person.0)
        .bind(i32::try_from(d.step).unwrap_or(i32::MAX))
        .bind(d.channel.as_str())
        .bind(&d.address)
        .bind(now + d.after)
        .bind(format!("{}:{}:{}", alert.id, d.person, d.step))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "alert.sent",
            format!("alert:{}", alert.id),
            serde_json::json!({
                "alert": &alert,
                "recipients": people.len(),
                "deliveries": planned.len(),
            }),
        ),
    )
    .await?;
    Ok(alert)
}

pub async fn answer_alert(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    alert: AlertId,
    given: Answer,
) -> StoreResult<bool> {
    let Answer {
        person,
        choice: answer,
        via,
        at: now,
    } = given;
    let via = via.as_str();
    let options: String =
        sqlx::query_scalar("SELECT options FROM alerts WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(alert.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
    let options: Vec<String> =
        serde_json::from_str(&options).map_err(|e| corrupt("alerts.options", e))?;
    let answer = match (options.is_empty(), answer) {
        (true, _) => None,
        (false, Some(a)) => Some(
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(a.trim()))
                .cloned()
                .ok_or_else(|| {
                    StoreError::invalid(
                        "answer",
                        &format!("must be one of: {}", options.join(", ")),
                    )
                })?,
        ),
        (false, None) => {
            return Err(StoreError::invalid(
                "answer",
                "this alert asks for an answer",
            ))
        }
    };
    let answered = sqlx::query(
        "UPDATE alert_recipients SET answer = $3, answered_at = $4, answered_via = $5 \
         WHERE alert_id = $1 AND person_id = $2 AND answered_at IS NULL",
    )
    .bind(alert.0)
    .bind(person.0)
    .bind(&answer)
    .bind(now)
    .bind(via)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if answered.rows_affected() == 0 {
        let known: Option<Uuid> = sqlx::query_scalar(
            "SELECT person_id FROM alert_recipients WHERE alert_id = $1 AND person_id = $2",
        )
        .bind(alert.0)
        .bind(person.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        return match known {
            Some(_) => Ok(false),
            None => Err(StoreError::NotFound),
        };
    }
    // The rule the roster depends on: once someone has answered, nothing more goes to them.
    let cancelled = sqlx::query(
        "UPDATE deliveries SET status = 'cancelled' WHERE alert_id = $1 AND person_id = $2 \
         AND status IN ('pending', 'claimed')",
    )
    .bind(alert.0)
    .bind(person.0)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "alert.answered",
            format!("alert:{alert}"),
            serde_json::json!({
                "person": person,
                "answer": answer,
                "via": via,
                "cancelled_deliveries": cancelled.rows_affected(),
            }),
        ),
    )
    .await?;
    Ok(true)
}

const DELIVERY_COLUMNS: &str = "id, alert_id, org_id, person_id, step, channel, address, \
    due_at, status, attempts, idempotency_key";

fn delivery_from_row(r: &DbRow) -> StoreResult<Delivery> {
    let channel: String = col(r, "channel")?;
    let status: String = col(r, "status")?;
    Ok(Delivery {
        id: DeliveryId(col(r, "id")?),
        alert_id: AlertId(col(r, "alert_id")?),
        org_id: OrgId(col(r, "org_id")?),
        person_id: PersonId(col(r, "person_id")?),
        step: col(r, "step")?,
        channel: ContactKind::parse(&channel).map_err(|e| corrupt("deliveries.channel", e))?,
        address: col(r, "address")?,
        due_at: col(r, "due_at")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt("deliveries.status", &status))?,
        attempts: col(r, "attempts")?,
        idempotency_key: col(r, "idempotency_key")?,
    })
}

pub async fn claim_deliveries(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: u32,
    lease: chrono::Duration,
) -> StoreResult<Vec<Delivery>> {
    let rows = sqlx::query(&format!(
        "UPDATE deliveries SET status = 'claimed', claimed_until = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM deliveries \
             WHERE (status = 'pending' AND due_at <= $1) \
                OR (status = 'claimed' AND claimed_until < $1) \
             ORDER BY due_at LIMIT $3{}) \
         RETURNING {DELIVERY_COLUMNS}",
        super::SKIP_LOCKED
    ))
    .bind(now)
    .bind(now + lease)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut claimed = rows
        .iter()
        .map(delivery_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    claimed.sort_by_key(|d| (d.due_at, d.id));
    Ok(claimed)
}

pub async fn alert_roster(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
) -> StoreResult<Vec<RosterEntry>> {
    let rows = sqlx::query(
        "SELECT r.person_id, r.reason, r.answer, r.answered_at, r.answered_via \
         FROM alert_recipients r JOIN alerts a ON a.id = r.alert_id \
         WHERE a.org_id = $1 AND a.id = $2 ORDER BY r.person_id",
    )
    .bind(org.0)
    .bind(alert.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut roster = rows
        .iter()
        .map(|r| {
            Ok(RosterEntry {
                person_id: PersonId(col(r, "person_id")?),
                reason: col(r, "reason")?,
                deliveries: Vec::new(),
                answer: col(r, "answer")?,
                answered_at: col(r, "answered_at")?,
                answered_via: col(r, "answered_via")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let deliveries = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE alert_id = $1 ORDER BY person_id, step"
    ))
    .bind(alert.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    for row in &deliveries {
        let d = delivery_from_row(row)?;
        if let Some(entry) = roster.iter_mut().find(|e| e.person_id == d.person_id) {
            entry.deliveries.push(d);
        }
    }
    Ok(roster)
}

pub async fn alert(conn: &mut Conn, org: OrgId, id: AlertId) -> StoreResult<Alert> {
    let r = sqlx::query(
        "SELECT id, org_id, created_by, message, severity, options, exercise, status, created_at \
         FROM alerts WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let severity: String = col(&r, "severity")?;
    let status: String = col(&r, "status")?;
    let options: String = col(&r, "options")?;
    let created_by: Option<Uuid> = col(&r, "created_by")?;
    Ok(Alert {
        id: AlertId(col(&r, "id")?),
        org_id: OrgId(col(&r, "org_id")?),
        created_by: created_by.map(AccountId),
        message: col(&r, "message")?,
        severity: match severity.as_str() {
            "info" => Severity::Info,
            "warning" => Severity::Warning,
            "critical" => Severity::Critical,
            other => return Err(corrupt("alerts.severity", other)),
        },
        options: serde_json::from_str(&options).map_err(|e| corrupt("alerts.options", e))?,
        exercise: col(&r, "exercise")?,
        status: match status.as_str() {
            "active" => AlertStatus::Active,
            "resolved" => AlertStatus::Resolved,
            "cancelled" => AlertStatus::Cancelled,
            other => return Err(corrupt("alerts.status", other)),
        },
        created_at: col(&r, "created_at")?,
    })
}

pub async fn delivery_wanted(conn: &mut Conn, id: DeliveryId) -> StoreResult<bool> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM deliveries WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    Ok(status.as_deref() == Some("claimed"))
}

pub async fn finish_delivery(
    conn: &mut Conn,
    id: DeliveryId,
    outcome: DeliveryOutcome,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let query = match &outcome {
        DeliveryOutcome::Sent {
            provider,
            provider_ref,
        } => sqlx::query(
            "UPDATE deliveries SET status = 'sent', sent_at = $2, provider = $3, \
             provider_ref = $4, claimed_until = NULL WHERE id = $1 AND status = 'claimed'",
        )
        .bind(id.0)
        .bind(now)
        .bind(provider)
        .bind(provider_ref),
        DeliveryOutcome::Retry { at, error } => sqlx::query(
            "UPDATE deliveries SET status = 'pending', due_at = $2, last_error = $3, \
             claimed_until = NULL WHERE id = $1 AND status = 'claimed'",
        )
        .bind(id.0)
        .bind(*at)
        .bind(error),
        DeliveryOutcome::Failed { error } => sqlx::query(
            "UPDATE deliveries SET status = 'failed', last_error = $2, claimed_until = NULL \
             WHERE id = $1 AND status = 'claimed'",
        )
        .bind(id.0)
        .bind(error),
    };
    Ok(query.execute(&mut *conn).await.map_err(db)?.rows_affected() == 1)
}
