//! The status page's notices' and press releases' SQL shared by both backends: the child
//! `notices` of each backend's `ops` module. Both are public, so they are journaled whole.

use super::*;
use beredskap_core::continuity::notices::{
    Kind, NewNotice, Notice, NoticeText, NoticeUpdate, Phase, UpdateDraft, MAX_OPEN, MAX_UPDATES,
};
use beredskap_core::continuity::press::{NewPressRelease, PressRelease};
use beredskap_core::{IncidentId, NoticeId, PressReleaseId, ServiceId};

const NOTICE_COLUMNS: &str =
    "id, org_id, incident_id, kind, exercise, starts_at, ends_at, published_at";

async fn with_updates(conn: &mut Conn, row: &DbRow) -> StoreResult<Notice> {
    let id = NoticeId(col(row, "id")?);
    let kind: String = col(row, "kind")?;
    let rows = sqlx::query(
        "SELECT seq, at, written_by, phase, texts, services FROM public_notice_updates \
         WHERE notice_id = $1 ORDER BY seq",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut updates = Vec::with_capacity(rows.len());
    for r in &rows {
        let phase: String = col(r, "phase")?;
        let texts: String = col(r, "texts")?;
        let services: String = col(r, "services")?;
        updates.push(NoticeUpdate {
            seq: col(r, "seq")?,
            at: col(r, "at")?,
            by: col::<Option<Uuid>>(r, "written_by")?.map(PersonId),
            phase: Phase::parse(&phase).ok_or_else(|| corrupt("notice phase", &phase))?,
            texts: serde_json::from_str::<Vec<NoticeText>>(&texts)
                .map_err(|e| corrupt("notice texts", e))?,
            services: serde_json::from_str::<Vec<ServiceId>>(&services)
                .map_err(|e| corrupt("notice services", e))?,
        });
    }
    if updates.is_empty() {
        return Err(corrupt("notice", "without updates"));
    }
    Ok(Notice {
        id,
        org_id: OrgId(col(row, "org_id")?),
        incident_id: col::<Option<Uuid>>(row, "incident_id")?.map(IncidentId),
        kind: Kind::parse(&kind).map_err(|_| corrupt("notice kind", &kind))?,
        exercise: col(row, "exercise")?,
        starts_at: col(row, "starts_at")?,
        ends_at: col(row, "ends_at")?,
        updates,
    })
}

pub async fn notices(
    conn: &mut Conn,
    org: OrgId,
    ended_since: DateTime<Utc>,
) -> StoreResult<Vec<Notice>> {
    let rows = sqlx::query(&format!(
        "SELECT {NOTICE_COLUMNS} FROM public_notices \
         WHERE org_id = $1 AND (ended_at IS NULL OR ended_at >= $2) \
         ORDER BY published_at DESC, id DESC"
    ))
    .bind(org.0)
    .bind(ended_since)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut notices = Vec::with_capacity(rows.len());
    for row in &rows {
        notices.push(with_updates(conn, row).await?);
    }
    Ok(notices)
}

pub async fn notice(conn: &mut Conn, org: OrgId, id: NoticeId) -> StoreResult<Notice> {
    let row = sqlx::query(&format!(
        "SELECT {NOTICE_COLUMNS} FROM public_notices WHERE org_id = $1 AND id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    with_updates(conn, &row).await
}

/// The incident a notice or press release comes from is the organisation's (`NotFound`
/// otherwise); none is fine.
async fn incident_is_the_orgs(
    conn: &mut Conn,
    org: OrgId,
    incident: Option<IncidentId>,
) -> StoreResult<()> {
    let Some(incident) = incident else {
        return Ok(());
    };
    let known: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM incidents WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(incident.0)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    match known {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Each service is one of the organisation's in use: `Invalid` on `services[i]` naming
/// the first that is not (a notice's, a subscription's).
pub(super) async fn check_services(
    conn: &mut Conn,
    org: OrgId,
    services: &[ServiceId],
) -> StoreResult<()> {
    for (i, id) in services.iter().enumerate() {
        let known: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM services WHERE org_id = $1 AND id = $2 AND retired_at IS NULL",
        )
        .bind(org.0)
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        if known == 0 {
            return Err(StoreError::invalid(
                &format!("services[{i}]"),
                Problem::UnknownService,
            ));
        }
    }
    Ok(())
}

/// Stores an update, sets the notice's window and end from it and puts it in the public
/// outbox for its subscribers; not journaled (the callers journal what they did, with the
/// update whole).
async fn insert_update(
    conn: &mut Conn,
    org: OrgId,
    id: NoticeId,
    seq: i64,
    update: &UpdateDraft,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    check_services(conn, org, &update.services).await?;
    let texts = serde_json::to_string(&update.texts).map_err(|e| corrupt("notice texts", e))?;
    let services =
        serde_json::to_string(&update.services).map_err(|e| corrupt("notice services", e))?;
    sqlx::query(
        "INSERT INTO public_notice_updates \
         (notice_id, seq, at, written_by, phase, texts, services) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.0)
    .bind(seq)
    .bind(now)
    .bind(by.map(|p| p.0))
    .bind(update.phase.as_str())
    .bind(&texts)
    .bind(&services)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE public_notices SET updates = $2, ended_at = $3, starts_at = $4, ends_at = $5 \
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(seq)
    .bind(update.phase.ends().then_some(now))
    .bind(update.starts_at)
    .bind(update.ends_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    super::subscriptions::enqueue_notice(conn, org, id, seq, &update.services, now).await?;
    Ok(())
}

/// The update as journaled: all of it, since all of it is public.
fn journaled(seq: i64, update: &UpdateDraft) -> serde_json::Value {
    serde_json::json!({
        "seq": seq,
        "phase": update.phase.as_str(),
        "texts": update.texts,
        "services": update.services,
        "starts_at": update.starts_at,
        "ends_at": update.ends_at,
    })
}

pub async fn publish(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewNotice,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<Notice> {
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM public_notices WHERE org_id = $1 AND ended_at IS NULL",
    )
    .bind(org.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if usize::try_from(open).unwrap_or(usize::MAX) >= MAX_OPEN {
        return Err(StoreError::invalid(
            "phase",
            Problem::TooMany { max: MAX_OPEN },
        ));
    }
    incident_is_the_orgs(conn, org, new.incident_id).await?;
    let id = NoticeId::new();
    sqlx::query(
        "INSERT INTO public_notices \
         (id, org_id, incident_id, kind, exercise, published_at, updates) \
         VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(new.incident_id.map(|i| i.0))
    .bind(new.kind.as_str())
    .bind(new.exercise)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    insert_update(conn, org, id, 1, &new.first, by, now).await?;
    let mut details = journaled(1, &new.first);
    details["kind"] = new.kind.as_str().into();
    details["exercise"] = new.exercise.into();
    details["incident"] = serde_json::json!(new.incident_id);
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new("status.notice_published", format!("notice:{id}"), details),
    )
    .await?;
    notice(conn, org, id).await
}

pub async fn update(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: NoticeId,
    update: UpdateDraft,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<Notice> {
    let current = notice(conn, org, id).await?;
    if !current.is_open() {
        return Err(StoreError::Conflict(Conflict::NoticeEnded));
    }
    if current.updates.len() >= MAX_UPDATES {
        return Err(StoreError::invalid(
            "texts",
            Problem::TooMany { max: MAX_UPDATES },
        ));
    }
    let seq = current.latest().seq + 1;
    insert_update(conn, org, id, seq, &update, by, now).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "status.notice_updated",
            format!("notice:{id}"),
            journaled(seq, &update),
        ),
    )
    .await?;
    notice(conn, org, id).await
}

const PRESS_COLUMNS: &str =
    "id, org_id, incident_id, exercise, lang, title, body, published_at, published_by";

fn press_release_of(r: &DbRow) -> StoreResult<PressRelease> {
    Ok(PressRelease {
        id: PressReleaseId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        incident_id: col::<Option<Uuid>>(r, "incident_id")?.map(IncidentId),
        exercise: col(r, "exercise")?,
        lang: col(r, "lang")?,
        title: col(r, "title")?,
        body: col(r, "body")?,
        published_at: col(r, "published_at")?,
        by: col::<Option<Uuid>>(r, "published_by")?.map(PersonId),
    })
}

pub async fn press_releases(
    conn: &mut Conn,
    org: OrgId,
    limit: usize,
) -> StoreResult<Vec<PressRelease>> {
    let rows = sqlx::query(&format!(
        "SELECT {PRESS_COLUMNS} FROM press_releases WHERE org_id = $1 \
         ORDER BY published_at DESC, id DESC LIMIT $2"
    ))
    .bind(org.0)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(press_release_of).collect()
}

pub async fn publish_press_release(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewPressRelease,
    by: Option<PersonId>,
    now: DateTime<Utc>,
) -> StoreResult<PressRelease> {
    incident_is_the_orgs(conn, org, new.incident_id).await?;
    let id = PressReleaseId::new();
    sqlx::query(
        "INSERT INTO press_releases \
         (id, org_id, incident_id, exercise, lang, title, body, published_at, published_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(new.incident_id.map(|i| i.0))
    .bind(new.exercise)
    .bind(&new.lang)
    .bind(&new.title)
    .bind(&new.body)
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
            "status.press_release_published",
            format!("press_release:{id}"),
            serde_json::json!({
                "incident": new.incident_id,
                "exercise": new.exercise,
                "lang": new.lang,
                "title": new.title,
                "body": new.body,
            }),
        ),
    )
    .await?;
    Ok(PressRelease {
        id,
        org_id: org,
        incident_id: new.incident_id,
        exercise: new.exercise,
        lang: new.lang,
        title: new.title,
        body: new.body,
        published_at: now,
        by,
    })
}
