//! Bulk activation, shared by both backends: the child `activation` of each backend's `ops`
//! module. A batch's rows are an outbox with the alerts' columns, so the alerts' claim and
//! finish serve it.

use super::*;
use beredskap_core::activation::{
    ActivationBatch, ActivationBatchId, ActivationSend, ActivationSendId, NewActivation,
    PlannedSend, SendPlan, SendStatus, Unreachable,
};
use beredskap_core::alerting::DeliveryOutcome;

const SEND_COLUMNS: &str = "id, batch_id, org_id, person_id, account_id, channel, address, \
    reason, status, attempts, idempotency_key, sent_at, last_error";

fn send_of(r: &DbRow, activated: bool) -> StoreResult<ActivationSend> {
    let status: String = col(r, "status")?;
    let reason: Option<String> = col(r, "reason")?;
    let status = match status.as_str() {
        "pending" | "claimed" => SendStatus::Waiting,
        "sent" => SendStatus::Sent,
        "failed" => SendStatus::Failed,
        "unreachable" => SendStatus::Unreachable(
            reason
                .as_deref()
                .and_then(Unreachable::parse)
                .ok_or_else(|| corrupt("activation_sends.reason", format!("{reason:?}")))?,
        ),
        other => return Err(corrupt("activation_sends.status", other)),
    };
    let channel: Option<String> = col(r, "channel")?;
    Ok(ActivationSend {
        id: ActivationSendId(col(r, "id")?),
        batch_id: ActivationBatchId(col(r, "batch_id")?),
        org_id: OrgId(col(r, "org_id")?),
        person_id: PersonId(col(r, "person_id")?),
        account_id: col::<Option<Uuid>>(r, "account_id")?.map(AccountId),
        channel: channel
            .map(|c| ContactKind::parse(&c).map_err(|e| corrupt("activation_sends.channel", e)))
            .transpose()?,
        address: col(r, "address")?,
        status,
        attempts: col(r, "attempts")?,
        idempotency_key: col(r, "idempotency_key")?,
        sent_at: col(r, "sent_at")?,
        last_error: col(r, "last_error")?,
        activated,
    })
}

fn batch_of(r: &DbRow) -> StoreResult<ActivationBatch> {
    Ok(ActivationBatch {
        id: ActivationBatchId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        group_id: col::<Option<Uuid>>(r, "group_id")?.map(GroupId),
        started_at: col(r, "started_at")?,
        started_by: col::<Option<Uuid>>(r, "started_by")?.map(PersonId),
    })
}

/// The person's account, and whether it has been activated.
async fn account_of(
    conn: &mut Conn,
    org: OrgId,
    person: PersonId,
) -> StoreResult<Option<(AccountId, bool)>> {
    let row = sqlx::query(
        "SELECT a.id, c.password_hash FROM accounts a \
         LEFT JOIN credentials c ON c.account_id = a.id \
         WHERE a.org_id = $1 AND a.person_id = $2",
    )
    .bind(org.0)
    .bind(person.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.map(|r| {
        let hash: Option<String> = col(&r, "password_hash")?;
        Ok((AccountId(col(&r, "id")?), hash.is_some()))
    })
    .transpose()
}

async fn waiting_elsewhere(conn: &mut Conn, org: OrgId, person: PersonId) -> StoreResult<bool> {
    let found: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM activation_sends \
         WHERE org_id = $1 AND person_id = $2 AND status IN ('pending', 'claimed') LIMIT 1",
    )
    .bind(org.0)
    .bind(person.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    Ok(found.is_some())
}

/// What one row of a new batch holds.
struct Row {
    account: Option<AccountId>,
    channel: Option<ContactKind>,
    address: Option<String>,
    unreachable: Option<Unreachable>,
}

impl Row {
    fn unreachable(account: Option<AccountId>, why: Unreachable) -> Self {
        Row {
            account,
            channel: None,
            address: None,
            unreachable: Some(why),
        }
    }
}

/// A planned person's row, with their account made when they have none (and whether it
/// was).
async fn row_for(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    role: Role,
    existing: Option<(AccountId, bool)>,
    planned: PlannedSend,
) -> StoreResult<(Row, bool)> {
    let existing = existing.map(|(id, _)| id);
    let (login, channel, address) = match planned.plan {
        SendPlan::Unreachable(why) => return Ok((Row::unreachable(existing, why), false)),
        SendPlan::Send {
            login,
            channel,
            address,
        } => (login, channel, address),
    };
    let sending = |account| Row {
        account: Some(account),
        channel: Some(channel),
        address: Some(address),
        unreachable: None,
    };
    if let Some(account) = existing {
        return Ok((sending(account), false));
    }
    let Some(login) = login else {
        return Ok((Row::unreachable(None, Unreachable::NoLogin), false));
    };
    if account_by_login(conn, org, &login).await?.is_some() {
        return Ok((Row::unreachable(None, Unreachable::LoginTaken), false));
    }
    let account = insert_account(conn, actor, org, planned.person_id, login, role).await?;
    Ok((sending(account.id), true))
}

pub async fn start(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewActivation,
    now: DateTime<Utc>,
) -> StoreResult<ActivationBatch> {
    let people: Vec<PersonId> = new.planned.iter().map(|p| p.person_id).collect();
    check_people(conn, org, "people", &people).await?;
    if let Some(group) = new.group {
        let found: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM org_groups WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(group.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
    }
    let batch = ActivationBatch {
        id: ActivationBatchId::new(),
        org_id: org,
        group_id: new.group,
        started_at: now,
        started_by: new.started_by,
    };
    sqlx::query(
        "INSERT INTO activation_batches (id, org_id, group_id, started_at, started_by) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(batch.id.0)
    .bind(org.0)
    .bind(batch.group_id.map(|g| g.0))
    .bind(now)
    .bind(batch.started_by.map(|p| p.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let (mut queued, mut unreachable, mut accounts_made) = (0u32, 0u32, 0u32);
    for planned in new.planned {
        let person = planned.person_id;
        if waiting_elsewhere(conn, org, person).await? {
            continue;
        }
        let existing = account_of(conn, org, person).await?;
        if matches!(existing, Some((_, true))) {
            continue;
        }
        let (row, made) = row_for(conn, actor, org, new.role, existing, planned).await?;
        accounts_made += u32::from(made);
        let id = ActivationSendId::new();
        let status = match row.unreachable {
            Some(_) => {
                unreachable += 1;
                "unreachable"
            }
            None => {
                queued += 1;
                "pending"
            }
        };
        sqlx::query(
            "INSERT INTO activation_sends (id, batch_id, org_id, person_id, account_id, \
             channel, address, reason, due_at, status, attempts, idempotency_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11)",
        )
        .bind(id.0)
        .bind(batch.id.0)
        .bind(org.0)
        .bind(person.0)
        .bind(row.account.map(|a| a.0))
        .bind(row.channel.map(ContactKind::as_str))
        .bind(row.address)
        .bind(row.unreachable.map(Unreachable::as_str))
        .bind(now)
        .bind(status)
        .bind(format!("activation-{id}"))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "activation.started",
            format!("activation:{}", batch.id),
            serde_json::json!({
                "group_id": batch.group_id,
                "role": new.role.as_str(),
                "links": queued,
                "unreachable": unreachable,
                "accounts_made": accounts_made,
            }),
        ),
    )
    .await?;
    Ok(batch)
}

pub async fn waiting(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<PersonId>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT person_id FROM activation_sends \
         WHERE org_id = $1 AND status IN ('pending', 'claimed')",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(PersonId).collect())
}

pub async fn batches(conn: &mut Conn, org: OrgId) -> StoreResult<Vec<ActivationBatch>> {
    sqlx::query(
        "SELECT id, org_id, group_id, started_at, started_by FROM activation_batches \
         WHERE org_id = $1 ORDER BY started_at DESC, id DESC",
    )
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(batch_of)
    .collect()
}

pub async fn batch(
    conn: &mut Conn,
    org: OrgId,
    id: ActivationBatchId,
) -> StoreResult<(ActivationBatch, Vec<ActivationSend>)> {
    let batch = sqlx::query(
        "SELECT id, org_id, group_id, started_at, started_by FROM activation_batches \
         WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let rows = sqlx::query(&format!(
        "SELECT {SEND_COLUMNS}, (SELECT c.password_hash FROM credentials c \
             WHERE c.account_id = activation_sends.account_id) AS password_hash \
         FROM activation_sends WHERE org_id = $1 AND batch_id = $2 ORDER BY id"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let sends = rows
        .iter()
        .map(|r| {
            let hash: Option<String> = col(r, "password_hash")?;
            send_of(r, hash.is_some())
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((batch_of(&batch)?, sends))
}

pub async fn claim(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: u32,
    lease: chrono::Duration,
    node: Uuid,
) -> StoreResult<Vec<ActivationSend>> {
    let rows = super::alerting::claim_outbox_rows(
        conn,
        "activation_sends",
        SEND_COLUMNS,
        now,
        limit,
        lease,
        node,
    )
    .await?;
    let mut claimed = rows
        .iter()
        .map(|r| send_of(r, false))
        .collect::<StoreResult<Vec<_>>>()?;
    claimed.sort_by_key(|s| s.id);
    Ok(claimed)
}

pub async fn wanted(conn: &mut Conn, id: ActivationSendId, node: Uuid) -> StoreResult<bool> {
    super::alerting::outbox_row_claimed(conn, "activation_sends", id.0, node).await
}

pub async fn finish(
    conn: &mut Conn,
    id: ActivationSendId,
    outcome: DeliveryOutcome,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    super::alerting::finish_outbox_row(conn, "activation_sends", "('claimed')", id.0, outcome, now)
        .await
}
