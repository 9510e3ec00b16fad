//! Subscriptions to notices and the public outbox, shared by both backends: the child
//! `subscriptions` of each backend's `ops` module. The journal records each change by the
//! subscription's id, never its address, so deleting the rows here deletes the person's
//! data while the record of what happened stays whole.

use super::*;
use beredskap_core::alerting::DeliveryOutcome;
use beredskap_core::continuity::subscriptions::{
    NewSubscriptionRequest, PublicDelivery, PublicPurpose, Removal, ServiceCount, SubscriberCounts,
    Subscription, SubscriptionRequest, DELIVERY_KEPT_DAYS, MAX_PENDING_REQUESTS, REQUEST_HOURS,
};
use beredskap_core::register::ContactKind;
use beredskap_core::{
    NoticeId, PublicDeliveryId, ServiceId, SubscriptionId, SubscriptionRequestId,
};

/// Rows per INSERT of notice messages.
const INSERT_CHUNK: usize = 500;

fn services_of(r: &DbRow) -> StoreResult<Vec<ServiceId>> {
    let services: String = col(r, "services")?;
    serde_json::from_str(&services).map_err(|e| corrupt("subscription services", e))
}

fn channel_of(r: &DbRow) -> StoreResult<ContactKind> {
    let channel: String = col(r, "channel")?;
    ContactKind::parse(&channel).map_err(|e| corrupt("subscription channel", e))
}

fn request_of(r: &DbRow) -> StoreResult<SubscriptionRequest> {
    Ok(SubscriptionRequest {
        id: SubscriptionRequestId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        channel: channel_of(r)?,
        address: col(r, "address")?,
        lang: col(r, "lang")?,
        services: services_of(r)?,
        created_at: col(r, "created_at")?,
    })
}

fn subscription_of(r: &DbRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: SubscriptionId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        channel: channel_of(r)?,
        address: col(r, "address")?,
        lang: col(r, "lang")?,
        services: services_of(r)?,
        confirmed_at: col(r, "confirmed_at")?,
    })
}

fn expired_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Duration::hours(REQUEST_HOURS)
}

/// Forgets requests nobody confirmed in time, with their messages (in one organisation,
/// or in all).
async fn forget_expired(
    conn: &mut Conn,
    org: Option<OrgId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let before = expired_before(now);
    sqlx::query(
        "DELETE FROM public_deliveries WHERE request_id IN (SELECT id FROM subscription_requests \
         WHERE created_at < $1 AND ($2 IS NULL OR org_id = $2))",
    )
    .bind(before)
    .bind(org.map(|o| o.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "DELETE FROM subscription_requests WHERE created_at < $1 AND ($2 IS NULL OR org_id = $2)",
    )
    .bind(before)
    .bind(org.map(|o| o.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn request(
    conn: &mut Conn,
    org: OrgId,
    new: NewSubscriptionRequest,
    now: DateTime<Utc>,
) -> StoreResult<SubscriptionRequest> {
    super::notices::check_services(conn, org, &new.services).await?;
    forget_expired(conn, Some(org), now).await?;
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM subscription_requests WHERE org_id = $1")
            .bind(org.0)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    if pending >= MAX_PENDING_REQUESTS {
        return Err(StoreError::invalid("address", Problem::TryLater));
    }
    let id = SubscriptionRequestId::new();
    let services = serde_json::to_string(&new.services).map_err(|e| corrupt("services", e))?;
    sqlx::query(
        "INSERT INTO subscription_requests (id, org_id, channel, address, lang, services, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(new.channel.as_str())
    .bind(&new.address)
    .bind(&new.lang)
    .bind(&services)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO public_deliveries (id, org_id, purpose, request_id, channel, address, \
         lang, due_at, status, attempts, idempotency_key) \
         VALUES ($1, $2, 'confirm', $3, $4, $5, $6, $7, 'pending', 0, $8)",
    )
    .bind(PublicDeliveryId::new().0)
    .bind(org.0)
    .bind(id.0)
    .bind(new.channel.as_str())
    .bind(&new.address)
    .bind(&new.lang)
    .bind(now)
    .bind(format!("confirm:{id}"))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(SubscriptionRequest {
        id,
        org_id: org,
        channel: new.channel,
        address: new.address,
        lang: new.lang,
        services: new.services,
        created_at: now,
    })
}

pub async fn pending_request(
    conn: &mut Conn,
    org: OrgId,
    id: SubscriptionRequestId,
    now: DateTime<Utc>,
) -> StoreResult<SubscriptionRequest> {
    let row = sqlx::query(
        "SELECT id, org_id, channel, address, lang, services, created_at \
         FROM subscription_requests WHERE org_id = $1 AND id = $2",
    )
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let request = request_of(&row)?;
    if request.expired(now) {
        return Err(StoreError::NotFound);
    }
    Ok(request)
}

const SUBSCRIPTION_COLUMNS: &str = "id, org_id, channel, address, lang, services, confirmed_at";

async fn by_address(
    conn: &mut Conn,
    org: OrgId,
    channel: ContactKind,
    address: &str,
) -> StoreResult<Option<Subscription>> {
    sqlx::query(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions \
         WHERE org_id = $1 AND channel = $2 AND address = $3"
    ))
    .bind(org.0)
    .bind(channel.as_str())
    .bind(address)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .as_ref()
    .map(subscription_of)
    .transpose()
}

/// Deletes the requests for an address and their messages; how many requests went.
async fn forget_requests(
    conn: &mut Conn,
    org: OrgId,
    channel: ContactKind,
    address: &str,
) -> StoreResult<u64> {
    sqlx::query(
        "DELETE FROM public_deliveries WHERE request_id IN (SELECT id FROM subscription_requests \
         WHERE org_id = $1 AND channel = $2 AND address = $3)",
    )
    .bind(org.0)
    .bind(channel.as_str())
    .bind(address)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(sqlx::query(
        "DELETE FROM subscription_requests WHERE org_id = $1 AND channel = $2 AND address = $3",
    )
    .bind(org.0)
    .bind(channel.as_str())
    .bind(address)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected())
}

pub async fn confirm(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: SubscriptionRequestId,
    now: DateTime<Utc>,
) -> StoreResult<Subscription> {
    let request = pending_request(conn, org, id, now).await?;
    let services = serde_json::to_string(&request.services).map_err(|e| corrupt("services", e))?;
    let existing = by_address(conn, org, request.channel, &request.address).await?;
    let subscription = match existing {
        Some(current) => {
            sqlx::query(
                "UPDATE subscriptions SET lang = $2, services = $3, confirmed_at = $4 \
                 WHERE id = $1",
            )
            .bind(current.id.0)
            .bind(&request.lang)
            .bind(&services)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            current.id
        }
        None => {
            let id = SubscriptionId::new();
            sqlx::query(&format!(
                "INSERT INTO subscriptions ({SUBSCRIPTION_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(id.0)
            .bind(org.0)
            .bind(request.channel.as_str())
            .bind(&request.address)
            .bind(&request.lang)
            .bind(&services)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            id
        }
    };
    forget_requests(conn, org, request.channel, &request.address).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "status.subscription_confirmed",
            format!("subscription:{subscription}"),
            serde_json::json!({
                "channel": request.channel.as_str(),
                "lang": request.lang,
                "services": request.services,
            }),
        ),
    )
    .await?;
    subscription_by_id(conn, org, subscription).await
}

pub async fn subscription_by_id(
    conn: &mut Conn,
    org: OrgId,
    id: SubscriptionId,
) -> StoreResult<Subscription> {
    let row = sqlx::query(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    subscription_of(&row)
}

pub async fn remove(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: SubscriptionId,
    how: Removal,
) -> StoreResult<bool> {
    sqlx::query("DELETE FROM public_deliveries WHERE subscription_id = $1 AND org_id = $2")
        .bind(id.0)
        .bind(org.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let gone = sqlx::query("DELETE FROM subscriptions WHERE id = $1 AND org_id = $2")
        .bind(id.0)
        .bind(org.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
    if gone == 0 {
        return Ok(false);
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "status.subscription_removed",
            format!("subscription:{id}"),
            serde_json::json!({ "how": how.as_str() }),
        ),
    )
    .await?;
    Ok(true)
}

pub async fn erase(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    channel: ContactKind,
    address: &str,
) -> StoreResult<u32> {
    let mut gone = forget_requests(conn, org, channel, address).await?;
    if let Some(subscription) = by_address(conn, org, channel, address).await? {
        remove(conn, actor, org, subscription.id, Removal::OnRequest).await?;
        gone += 1;
    }
    // Anything else that names the address (a notice message of a subscription removed
    // while it was in flight).
    sqlx::query(
        "DELETE FROM public_deliveries WHERE org_id = $1 AND channel = $2 AND address = $3",
    )
    .bind(org.0)
    .bind(channel.as_str())
    .bind(address)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(u32::try_from(gone).unwrap_or(u32::MAX))
}

pub async fn counts(
    conn: &mut Conn,
    org: OrgId,
    now: DateTime<Utc>,
) -> StoreResult<SubscriberCounts> {
    let rows = sqlx::query("SELECT channel, services FROM subscriptions WHERE org_id = $1")
        .bind(org.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let mut counts = SubscriberCounts::default();
    let mut by_service: HashMap<ServiceId, u32> = HashMap::new();
    for r in &rows {
        match channel_of(r)? {
            ContactKind::Email => counts.email += 1,
            _ => counts.sms += 1,
        }
        let services = services_of(r)?;
        if services.is_empty() {
            counts.all_services += 1;
        }
        for s in services {
            *by_service.entry(s).or_default() += 1;
        }
    }
    let mut by_service: Vec<ServiceCount> = by_service
        .into_iter()
        .map(|(service_id, subscribers)| ServiceCount {
            service_id,
            subscribers,
        })
        .collect();
    by_service.sort_by_key(|c| (std::cmp::Reverse(c.subscribers), c.service_id));
    counts.by_service = by_service;
    let unconfirmed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM subscription_requests WHERE org_id = $1 AND created_at >= $2",
    )
    .bind(org.0)
    .bind(expired_before(now))
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    counts.unconfirmed = u32::try_from(unconfirmed).unwrap_or(u32::MAX);
    Ok(counts)
}

/// Puts a notice's update `seq` in the public outbox for every subscription that wants
/// it, in the transaction that stores the update.
pub async fn enqueue_notice(
    conn: &mut Conn,
    org: OrgId,
    notice: NoticeId,
    seq: i64,
    services: &[ServiceId],
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let rows = sqlx::query(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE org_id = $1"
    ))
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut wanting = Vec::new();
    for r in &rows {
        let subscription = subscription_of(r)?;
        if subscription.wants(services) {
            wanting.push(subscription);
        }
    }
    for chunk in wanting.chunks(INSERT_CHUNK) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO public_deliveries (id, org_id, purpose, subscription_id, notice_id, \
             seq, channel, address, lang, due_at, status, attempts, idempotency_key) ",
        );
        q.push_values(chunk, |mut b, s| {
            b.push_bind(PublicDeliveryId::new().0)
                .push_bind(org.0)
                .push_bind("notice")
                .push_bind(s.id.0)
                .push_bind(notice.0)
                .push_bind(seq)
                .push_bind(s.channel.as_str())
                .push_bind(s.address.clone())
                .push_bind(s.lang.clone())
                .push_bind(now)
                .push_bind("pending")
                .push_bind(0_i32)
                .push_bind(format!("notice:{notice}:{seq}:{}", s.id));
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(wanting.len())
}

const PUBLIC_DELIVERY_COLUMNS: &str = "id, org_id, purpose, request_id, subscription_id, \
     notice_id, seq, channel, address, lang, attempts, idempotency_key, due_at";

fn public_delivery_of(r: &DbRow) -> StoreResult<PublicDelivery> {
    let purpose: String = col(r, "purpose")?;
    let purpose = match purpose.as_str() {
        "confirm" => PublicPurpose::Confirm {
            request: SubscriptionRequestId(
                col::<Option<Uuid>>(r, "request_id")?
                    .ok_or_else(|| corrupt("public delivery", "confirm without request"))?,
            ),
        },
        "notice" => PublicPurpose::Notice {
            subscription: SubscriptionId(
                col::<Option<Uuid>>(r, "subscription_id")?
                    .ok_or_else(|| corrupt("public delivery", "without subscription"))?,
            ),
            notice: NoticeId(
                col::<Option<Uuid>>(r, "notice_id")?
                    .ok_or_else(|| corrupt("public delivery", "without notice"))?,
            ),
            seq: col::<Option<i64>>(r, "seq")?
                .ok_or_else(|| corrupt("public delivery", "without seq"))?,
        },
        other => return Err(corrupt("public delivery purpose", other)),
    };
    Ok(PublicDelivery {
        id: PublicDeliveryId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        purpose,
        channel: channel_of(r)?,
        address: col(r, "address")?,
        lang: col(r, "lang")?,
        attempts: col(r, "attempts")?,
        idempotency_key: col(r, "idempotency_key")?,
    })
}

pub async fn claim(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: u32,
    lease: chrono::Duration,
    node: Uuid,
) -> StoreResult<Vec<PublicDelivery>> {
    forget_expired(conn, None, now).await?;
    sqlx::query("DELETE FROM public_deliveries WHERE status IN ('sent', 'failed') AND due_at < $1")
        .bind(now - chrono::Duration::days(DELIVERY_KEPT_DAYS))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let rows = super::alerting::claim_outbox_rows(
        conn,
        "public_deliveries",
        PUBLIC_DELIVERY_COLUMNS,
        now,
        limit,
        lease,
        node,
    )
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for r in &rows {
        let due: DateTime<Utc> = col(r, "due_at")?;
        claimed.push((due, public_delivery_of(r)?));
    }
    claimed.sort_by_key(|(due, d)| (*due, d.id));
    Ok(claimed.into_iter().map(|(_, d)| d).collect())
}

pub async fn wanted(conn: &mut Conn, id: PublicDeliveryId, node: Uuid) -> StoreResult<bool> {
    super::alerting::outbox_row_claimed(conn, "public_deliveries", id.0, node).await
}

pub async fn finish(
    conn: &mut Conn,
    id: PublicDeliveryId,
    outcome: DeliveryOutcome,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    // No other state to send from: unsubscribing deletes the row instead of cancelling it.
    super::alerting::finish_outbox_row(conn, "public_deliveries", "('claimed')", id.0, outcome, now)
        .await
}
