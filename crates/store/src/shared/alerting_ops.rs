//! Alerting SQL shared by both backends: the child `alerting` of each backend's `ops`
//! module. `super::SKIP_LOCKED` and `super::DUE_ORDER` are the dialect differences:
//! PostgreSQL workers on several nodes skip rows another has locked (SQLite has a single
//! writer), and a claim there takes due rows in no order.

use super::*;
use beredskap_core::alerting::{
    covers, parse_reply, plan, plan_check, Alert, AlertStatus, AlertSummary, Answer, Delivery,
    DeliveryKind, DeliveryOutcome, DeliveryStatus, NewAlert, PlanRecipient, PlannedDelivery,
    RecipientState, ReplyMatch, RosterCounts, RosterEntry, RosterQuery, Schedule, Severity,
    READINESS_MINUTES,
};
use beredskap_core::rotation::{holders_at, Override, Rotation};
use beredskap_core::Problem;
use beredskap_core::{AlertId, DeliveryId, MessageId, OverrideId};
use std::collections::HashSet;

/// Rows per multi-row INSERT: well under both databases' limits on bound parameters.
const INSERT_CHUNK: usize = 1000;

/// A recipient as chosen: why, and where they stand in a position's chain.
struct Chosen {
    person: PersonId,
    reason: String,
    /// The position's first person in this alert; a covering answer from anyone in the
    /// chain stops the rest of it.
    chain_root: Option<PersonId>,
    /// The person before them in the chain.
    follows: Option<PersonId>,
}

/// The recipients chosen so far, each once, in the order chosen. A blast to thousands
/// looks people up here for every member and holder, so by index, not by scanning.
#[derive(Default)]
struct ChosenSet {
    list: Vec<Chosen>,
    index: HashMap<PersonId, usize>,
}

impl ChosenSet {
    fn add(&mut self, c: Chosen) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.index.entry(c.person) {
            slot.insert(self.list.len());
            self.list.push(c);
        }
    }

    fn get_mut(&mut self, person: PersonId) -> Option<&mut Chosen> {
        let at = *self.index.get(&person)?;
        self.list.get_mut(at)
    }

    fn contains(&self, person: PersonId) -> bool {
        self.index.contains_key(&person)
    }
}

/// A position's people at `now` in the order an alert reaches them: whoever is on call by
/// its rotation, then the listed deputies.
async fn position_holders(
    conn: &mut Conn,
    org: OrgId,
    position: &Position,
    now: DateTime<Utc>,
) -> StoreResult<Vec<PersonId>> {
    let rotation = rotation(conn, org, position.id).await?;
    let overrides = overrides(conn, org, position.id).await?;
    Ok(holders_at(position, rotation.as_ref(), &overrides, now))
}

/// Whom an alert reaches as chosen: the people named and the positions' chains, each once
/// and in memory (a few dozen at most), and the groups, whose members (thousands at a
/// university) are queued in the database by [`queue_group`] instead.
struct Audience {
    chosen: Vec<Chosen>,
    /// Each group named, once, in the order named, with its slug.
    groups: Vec<(GroupId, String)>,
}

/// Ends `q` with `{column} IN (…ids…){tail}`.
fn push_in_list(q: &mut sqlx::QueryBuilder<'_, Db>, column: &str, ids: &[PersonId], tail: &str) {
    q.push(format!(" AND {column} IN ("));
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id.0);
    }
    q.push(format!("){tail}"));
}

/// The people of `ids` in `column` of the rows `select` (ending `… = `) finds for
/// `scope`, in one statement per thousand.
async fn people_among(
    conn: &mut Conn,
    select: &'static str,
    scope: Uuid,
    column: &str,
    ids: &[PersonId],
) -> StoreResult<HashSet<PersonId>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let mut q = sqlx::QueryBuilder::<Db>::new(select);
        q.push_bind(scope);
        push_in_list(&mut q, column, chunk, "");
        let ids: Vec<Uuid> = q
            .build_query_scalar()
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        found.extend(ids.into_iter().map(PersonId));
    }
    Ok(found)
}

/// The people of `ids` that are the organisation's.
async fn known_people(
    conn: &mut Conn,
    org: OrgId,
    ids: &[PersonId],
) -> StoreResult<HashSet<PersonId>> {
    let select = "SELECT id FROM people WHERE org_id = ";
    people_among(conn, select, org.0, "id", ids).await
}

/// The people of `ids` that are already recipients of `alert`.
async fn recipients_among(
    conn: &mut Conn,
    alert: AlertId,
    ids: &[PersonId],
) -> StoreResult<HashSet<PersonId>> {
    let select = "SELECT person_id FROM alert_recipients WHERE alert_id = ";
    people_among(conn, select, alert.0, "person_id", ids).await
}

/// The first of `groups` (in their order) that `person` belongs to, by its slug.
async fn group_of(
    conn: &mut Conn,
    groups: &[(GroupId, String)],
    person: PersonId,
) -> StoreResult<Option<String>> {
    if groups.is_empty() {
        return Ok(None);
    }
    let theirs: HashSet<Uuid> =
        sqlx::query_scalar("SELECT group_id FROM group_members WHERE person_id = $1")
            .bind(person.0)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?
            .into_iter()
            .collect();
    Ok(groups
        .iter()
        .find(|(g, _)| theirs.contains(&g.0))
        .map(|(_, slug)| slug.clone()))
}

/// The recipients, each once, with why they were chosen: people as named, groups by
/// their members, positions by whoever is on call with the deputies following in order. A
/// holder already chosen directly or by a group is alerted at once and still leads the
/// chain, so their answer covers the position. Everyone in a chain is chosen here, a group
/// member too, so a deputy's predecessor is planned in the same wave as the deputy.
async fn resolve(
    conn: &mut Conn,
    org: OrgId,
    new: &NewAlert,
    now: DateTime<Utc>,
) -> StoreResult<Audience> {
    let mut chosen = ChosenSet::default();
    let known = known_people(conn, org, &new.recipients.people).await?;
    for (i, person) in new.recipients.people.iter().enumerate() {
        if !known.contains(person) {
            return Err(StoreError::invalid(
                &format!("recipients.people[{i}]"),
                Problem::UnknownPerson,
            ));
        }
        chosen.add(plain(*person, "person".to_owned()));
    }
    let slugs: HashMap<Uuid, String> =
        sqlx::query("SELECT id, slug FROM org_groups WHERE org_id = $1")
            .bind(org.0)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?
            .iter()
            .map(|r| Ok((col(r, "id")?, col(r, "slug")?)))
            .collect::<StoreResult<_>>()?;
    let mut groups: Vec<(GroupId, String)> = Vec::new();
    for (i, id) in new.recipients.groups.iter().enumerate() {
        let slug = slugs.get(&id.0).ok_or_else(|| {
            StoreError::invalid(&format!("recipients.groups[{i}]"), Problem::UnknownGroup)
        })?;
        if !groups.iter().any(|(g, _)| g == id) {
            groups.push((*id, slug.clone()));
        }
    }
    if let Some((group, _, _)) = &new.escalation {
        if !slugs.contains_key(&group.0) {
            return Err(StoreError::invalid(
                "escalation.group",
                Problem::UnknownGroup,
            ));
        }
    }
    let positions = super::list_positions(conn, org).await?;
    // Each position to follow, with its people now (on call first).
    let mut chains: Vec<(&Position, Vec<PersonId>)> = Vec::new();
    for (i, id) in new.recipients.positions.iter().enumerate() {
        let position = positions.iter().find(|p| p.id == *id).ok_or_else(|| {
            StoreError::invalid(
                &format!("recipients.positions[{i}]"),
                Problem::UnknownPosition,
            )
        })?;
        chains.push((position, position_holders(conn, org, position, now).await?));
    }
    if new.recipients.deputies {
        for position in &positions {
            if chains.iter().any(|(p, _)| p.id == position.id) {
                continue;
            }
            let holders = position_holders(conn, org, position, now).await?;
            let Some(holder) = holders.first().copied() else {
                continue;
            };
            if chosen.contains(holder) || group_of(conn, &groups, holder).await?.is_some() {
                chains.push((position, holders));
            }
        }
    }
    for (position, holders) in chains {
        let mut root: Option<PersonId> = None;
        let mut previous: Option<PersonId> = None;
        for (n, person) in holders.iter().enumerate() {
            let chain = *root.get_or_insert(*person);
            if !chosen.contains(*person) {
                if let Some(slug) = group_of(conn, &groups, *person).await? {
                    chosen.add(plain(*person, format!("group:{slug}")));
                }
            }
            match chosen.get_mut(*person) {
                // Someone already alerted directly joins the chain only as its holder: a
                // deputy's answer to the group alert does not stand for the position.
                Some(existing) if n == 0 => {
                    existing.chain_root.get_or_insert(chain);
                }
                Some(_) => {}
                None => chosen.add(Chosen {
                    person: *person,
                    reason: match n {
                        0 => format!("position:{}", position.slug),
                        _ => format!("deputy:{}", position.slug),
                    },
                    chain_root: Some(chain),
                    follows: previous,
                }),
            }
            previous = Some(*person);
        }
    }
    Ok(Audience {
        chosen: chosen.list,
        groups,
    })
}

fn plain(person: PersonId, reason: String) -> Chosen {
    Chosen {
        person,
        reason,
        chain_root: None,
        follows: None,
    }
}

/// The active people among `people`, with their contact points in their order, in one
/// statement per thousand.
async fn load_active(
    conn: &mut Conn,
    org: OrgId,
    people: &[PersonId],
) -> StoreResult<HashMap<PersonId, Vec<ContactPoint>>> {
    let mut found: HashMap<PersonId, Vec<ContactPoint>> = HashMap::new();
    for chunk in people.chunks(INSERT_CHUNK) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "SELECT p.id AS person_id, cp.kind, cp.label, cp.value, cp.verified \
             FROM people p LEFT JOIN contact_points cp ON cp.person_id = p.id \
             WHERE p.active AND p.org_id = ",
        );
        q.push_bind(org.0);
        push_in_list(&mut q, "p.id", chunk, " ORDER BY p.id, cp.ord");
        for r in q.build().fetch_all(&mut *conn).await.map_err(db)? {
            let points = found.entry(PersonId(col(&r, "person_id")?)).or_default();
            if col::<Option<String>>(&r, "kind")?.is_some() {
                points.push(super::contact_point_from_row(&r)?);
            }
        }
    }
    Ok(found)
}

/// Inserts recipients, many rows per statement.
async fn insert_recipients(conn: &mut Conn, alert: AlertId, chosen: &[&Chosen]) -> StoreResult<()> {
    for chunk in chosen.chunks(INSERT_CHUNK) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO alert_recipients (alert_id, person_id, reason, chain_root, follows) ",
        );
        q.push_values(chunk, |mut b, c| {
            b.push_bind(alert.0)
                .push_bind(c.person.0)
                .push_bind(&c.reason)
                .push_bind(c.chain_root.map(|p| p.0))
                .push_bind(c.follows.map(|p| p.0));
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// The planned deliveries as rows, each due `after` its person's start.
fn delivery_rows(
    alert: AlertId,
    planned: &[PlannedDelivery],
    start: impl Fn(PersonId) -> DateTime<Utc>,
) -> Vec<DeliveryRow> {
    planned
        .iter()
        .map(|d| DeliveryRow {
            person: d.person,
            step: i32::try_from(d.step).unwrap_or(i32::MAX),
            channel: d.channel.as_str().to_owned(),
            address: d.address.clone(),
            due_at: start(d.person) + d.after,
            idempotency_key: format!("{}:{}:{}", alert, d.person, d.step),
            kind: DeliveryKind::Alert,
        })
        .collect()
}

/// One delivery to insert.
struct DeliveryRow {
    person: PersonId,
    step: i32,
    channel: String,
    address: String,
    due_at: DateTime<Utc>,
    idempotency_key: String,
    kind: DeliveryKind,
}

/// Inserts pending deliveries, many rows per statement.
async fn insert_deliveries(
    conn: &mut Conn,
    alert: AlertId,
    org: OrgId,
    rows: &[DeliveryRow],
) -> StoreResult<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO deliveries (id, alert_id, org_id, person_id, step, channel, address, \
             due_at, status, attempts, idempotency_key, kind) ",
        );
        q.push_values(chunk, |mut b, d| {
            b.push_bind(DeliveryId::new().0)
                .push_bind(alert.0)
                .push_bind(org.0)
                .push_bind(d.person.0)
                .push_bind(d.step)
                .push_bind(d.channel.clone())
                .push_bind(d.address.clone())
                .push_bind(d.due_at)
                .push_bind("pending")
                .push_bind(0_i32)
                .push_bind(d.idempotency_key.clone())
                .push_bind(d.kind.as_str());
        });
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// The active people among `chosen`, and each as planning sees them.
async fn active_targets<'c>(
    conn: &mut Conn,
    org: OrgId,
    chosen: &'c [Chosen],
) -> StoreResult<(Vec<&'c Chosen>, Vec<PlanRecipient>)> {
    let people: Vec<PersonId> = chosen.iter().map(|c| c.person).collect();
    let mut points = load_active(conn, org, &people).await?;
    let active: Vec<&Chosen> = chosen
        .iter()
        .filter(|c| points.contains_key(&c.person))
        .collect();
    let targets = active
        .iter()
        .map(|c| PlanRecipient {
            person: c.person,
            points: points.remove(&c.person).unwrap_or_default(),
            follows: c.follows,
        })
        .collect();
    Ok((active, targets))
}

/// Whom the alert would reach if sent now; nothing is written.
pub async fn alert_audience(
    conn: &mut Conn,
    org: OrgId,
    new: &NewAlert,
    now: DateTime<Utc>,
) -> StoreResult<Vec<PlanRecipient>> {
    let audience = resolve(conn, org, new, now).await?;
    let mut chosen = ChosenSet::default();
    for c in audience.chosen {
        chosen.add(c);
    }
    for (group, slug) in &audience.groups {
        let members: Vec<Uuid> = sqlx::query_scalar(
            "SELECT person_id FROM group_members WHERE group_id = $1 ORDER BY ord",
        )
        .bind(group.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        for person in members {
            chosen.add(plain(PersonId(person), format!("group:{slug}")));
        }
    }
    Ok(active_targets(conn, org, &chosen.list).await?.1)
}

/// Plans and inserts deliveries for newly chosen recipients (those still active), from
/// `now`. Returns (recipients, deliveries) added.
async fn add_recipients(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    chosen: &[Chosen],
    schedule: Option<&Schedule>,
    now: DateTime<Utc>,
) -> StoreResult<(usize, usize)> {
    let (active, targets) = active_targets(conn, org, chosen).await?;
    // No schedule: a contact check, every point at once.
    let planned = match schedule {
        Some(schedule) => plan(&targets, schedule),
        None => plan_check(&targets),
    };
    insert_recipients(conn, alert, &active).await?;
    insert_deliveries(conn, alert, org, &delivery_rows(alert, &planned, |_| now)).await?;
    Ok((active.len(), planned.len()))
}

/// Queues a group's active members who are not yet the alert's recipients (nor queued) to
/// be planned from `start_at`, in the group's order, in one statement however many they
/// are. Returns how many were queued.
async fn queue_group(
    conn: &mut Conn,
    alert: AlertId,
    group: GroupId,
    reason: &str,
    start_at: DateTime<Utc>,
) -> StoreResult<usize> {
    let queued = sqlx::query(
        "INSERT INTO alert_planning (alert_id, person_id, reason, start_at) \
         SELECT $1, gm.person_id, $3, $4 FROM group_members gm \
         JOIN people p ON p.id = gm.person_id \
         WHERE gm.group_id = $2 AND p.active AND NOT EXISTS \
             (SELECT 1 FROM alert_recipients r WHERE r.alert_id = $1 AND r.person_id = gm.person_id) \
         ORDER BY gm.ord \
         ON CONFLICT (alert_id, person_id) DO NOTHING",
    )
    .bind(alert.0)
    .bind(group.0)
    .bind(reason)
    .bind(start_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(usize::try_from(queued).unwrap_or(usize::MAX))
}

/// People of an alert's first wave, planned in the transaction that sends it: the rest
/// follow in parts, which the delivery worker plans while it sends (`Store::plan_alerts`).
pub const FIRST_WAVE: u32 = 1000;

/// What one part of an alert's planning wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlannedPart {
    /// Queued people taken (planned, or dropped as no longer active).
    pub taken: usize,
    pub recipients: usize,
    pub deliveries: usize,
}

/// Plans the next `limit` people queued for `alert`, in queue order: their recipients and
/// deliveries are written and their queue rows deleted in the caller's transaction, so a
/// part is planned entirely or not at all. The alert's row is locked first, so closing it
/// waits for a part under way (and then cancels what it wrote) and two nodes never plan
/// the same alert at once. A closed alert plans nothing.
pub async fn plan_part(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    limit: u32,
) -> StoreResult<PlannedPart> {
    let Some(row) = sqlx::query(
        "UPDATE alerts SET planning = planning WHERE id = $1 AND org_id = $2 \
         AND status = 'active' RETURNING kind, step_seconds, repeats, repeat_seconds",
    )
    .bind(alert.0)
    .bind(org.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(PlannedPart::default());
    };
    let seqs: Vec<i64> = sqlx::query_scalar(
        "SELECT seq FROM alert_planning WHERE alert_id = $1 ORDER BY seq LIMIT $2",
    )
    .bind(alert.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let (Some(first), Some(last)) = (seqs.first().copied(), seqs.last().copied()) else {
        return Ok(PlannedPart::default());
    };
    // Each queued person still active, with their contact points.
    let rows = sqlx::query(
        "SELECT q.person_id, q.reason, q.start_at, cp.kind, cp.label, cp.value, cp.verified \
         FROM alert_planning q JOIN people p ON p.id = q.person_id \
         LEFT JOIN contact_points cp ON cp.person_id = q.person_id \
         WHERE q.alert_id = $1 AND q.seq BETWEEN $2 AND $3 AND p.active \
         ORDER BY q.seq, cp.ord",
    )
    .bind(alert.0)
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    // Those already recipients (named, or reached by an escalation meanwhile) are not
    // planned again. Asked by their ids: as `NOT EXISTS` in the query above, PostgreSQL
    // planned it from statistics taken before the alert (no recipients yet) as a scan of
    // all the alert's recipients for each person queued, quadratic in the alert's size.
    let mut queued: Vec<PersonId> = Vec::new();
    for r in &rows {
        let person = PersonId(col(r, "person_id")?);
        if queued.last() != Some(&person) {
            queued.push(person);
        }
    }
    let already = recipients_among(conn, alert, &queued).await?;
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut targets: Vec<PlanRecipient> = Vec::new();
    let mut starts: HashMap<PersonId, DateTime<Utc>> = HashMap::new();
    for r in &rows {
        let person = PersonId(col(r, "person_id")?);
        if already.contains(&person) {
            continue;
        }
        if chosen.last().map(|c| c.person) != Some(person) {
            chosen.push(plain(person, col(r, "reason")?));
            targets.push(PlanRecipient {
                person,
                points: Vec::new(),
                follows: None,
            });
            starts.insert(person, col(r, "start_at")?);
        }
        if col::<Option<String>>(r, "kind")?.is_some() {
            if let Some(target) = targets.last_mut() {
                target.points.push(super::contact_point_from_row(r)?);
            }
        }
    }
    let kind: String = col(&row, "kind")?;
    let planned = if kind == "contact_check" {
        plan_check(&targets)
    } else {
        plan(
            &targets,
            &Schedule {
                step: chrono::Duration::seconds(col::<i32>(&row, "step_seconds")?.into()),
                repeats: u32::try_from(col::<i32>(&row, "repeats")?).unwrap_or(0),
                repeat_every: chrono::Duration::seconds(col::<i32>(&row, "repeat_seconds")?.into()),
            },
        )
    };
    let chosen_refs: Vec<&Chosen> = chosen.iter().collect();
    insert_recipients(conn, alert, &chosen_refs).await?;
    // Every planned person has a start; were one missing, due at once is the safe side.
    let rows = delivery_rows(alert, &planned, |p| {
        starts.get(&p).copied().unwrap_or_default()
    });
    insert_deliveries(conn, alert, org, &rows).await?;
    sqlx::query("DELETE FROM alert_planning WHERE alert_id = $1 AND seq BETWEEN $2 AND $3")
        .bind(alert.0)
        .bind(first)
        .bind(last)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(PlannedPart {
        taken: seqs.len(),
        recipients: chosen.len(),
        deliveries: planned.len(),
    })
}

/// Queues `groups` for an alert and plans its first wave; if people remain queued, the
/// alert is marked as planning for the worker to go on. Returns what was queued and what
/// the first wave planned.
async fn queue_and_plan_first_wave(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    groups: &[(GroupId, String)],
    reason: &str,
    start_at: DateTime<Utc>,
) -> StoreResult<(usize, PlannedPart)> {
    let mut queued = 0;
    for (group, slug) in groups {
        queued += queue_group(conn, alert, *group, &format!("{reason}:{slug}"), start_at).await?;
    }
    if queued == 0 {
        return Ok((0, PlannedPart::default()));
    }
    let first = plan_part(conn, org, alert, FIRST_WAVE).await?;
    if first.taken < queued {
        sqlx::query("UPDATE alerts SET planning = TRUE WHERE id = $1")
            .bind(alert.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok((queued, first))
}

/// Alerts still being planned, oldest first, each with whether people remain queued.
pub async fn alerts_planning(conn: &mut Conn) -> StoreResult<Vec<(OrgId, AlertId, bool)>> {
    sqlx::query(
        "SELECT a.org_id, a.id, EXISTS (SELECT 1 FROM alert_planning q WHERE q.alert_id = a.id) \
         AS queued FROM alerts a WHERE a.planning ORDER BY a.created_at, a.id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        Ok((
            OrgId(col(r, "org_id")?),
            AlertId(col(r, "id")?),
            col(r, "queued")?,
        ))
    })
    .collect()
}

/// Ends an alert's planning once nobody is left queued (under the organisation's lock, so
/// an escalation queuing more cannot slip in between): the journal records how many
/// recipients and deliveries it has in all. False if it was not planning or people remain.
pub async fn finish_planning(conn: &mut Conn, org: OrgId, alert: AlertId) -> StoreResult<bool> {
    let ended = sqlx::query(
        "UPDATE alerts SET planning = FALSE WHERE id = $1 AND org_id = $2 AND planning \
         AND NOT EXISTS (SELECT 1 FROM alert_planning q WHERE q.alert_id = $1)",
    )
    .bind(alert.0)
    .bind(org.0)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if ended == 0 {
        return Ok(false);
    }
    let recipients: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM alert_recipients WHERE alert_id = $1")
            .bind(alert.0)
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    let deliveries: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE alert_id = $1 AND kind = 'alert'",
    )
    .bind(alert.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        &Actor::system(),
        NewJournalEntry::new(
            "alert.planned",
            format!("alert:{alert}"),
            serde_json::json!({ "recipients": recipients, "deliveries": deliveries }),
        ),
    )
    .await?;
    Ok(true)
}

fn seconds(d: chrono::Duration) -> i32 {
    i32::try_from(d.num_seconds()).unwrap_or(i32::MAX)
}

/// Sends an alert: the alert, its named people and positions' chains, and a first wave of
/// its groups' members are planned here; the groups' other members are queued in the same
/// transaction and planned in parts by the worker ([`plan_part`]), so the first message
/// goes out within a second however many the alert reaches.
pub async fn create_alert(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    new: NewAlert,
    now: DateTime<Utc>,
) -> StoreResult<Alert> {
    let audience = resolve(conn, org, &new, now).await?;
    let mut alert = Alert {
        id: AlertId::new(),
        org_id: org,
        created_by: new.created_by,
        message: new.message,
        severity: new.severity,
        options: new.options,
        exercise: new.exercise,
        status: AlertStatus::Active,
        created_at: now,
        closed_at: None,
        contact_check_until: new.contact_check_until,
        announcement: new.announcement,
        unplanned: 0,
    };
    let schedule = new.schedule;
    sqlx::query(
        "INSERT INTO alerts (id, org_id, created_by, message, severity, options, exercise, \
         status, created_at, step_seconds, repeats, repeat_seconds, escalate_group_id, \
         escalate_min_answers, escalate_at, kind, deadline_at, message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17)",
    )
    .bind(alert.id.0)
    .bind(org.0)
    .bind(alert.created_by.map(|a| a.0))
    .bind(&alert.message)
    .bind(alert.severity.as_str())
    .bind(serde_json::to_string(&alert.options).unwrap_or_else(|_| "[]".into()))
    .bind(alert.exercise)
    .bind(now)
    .bind(seconds(schedule.step))
    .bind(i32::try_from(schedule.repeats).unwrap_or(i32::MAX))
    .bind(seconds(schedule.repeat_every))
    .bind(new.escalation.map(|(g, _, _)| g.0))
    .bind(
        new.escalation
            .map(|(_, n, _)| i32::try_from(n).unwrap_or(i32::MAX)),
    )
    .bind(new.escalation.map(|(_, _, after)| now + after))
    .bind(match (new.contact_check_until, new.announcement) {
        (Some(_), _) => "contact_check",
        (None, Some(_)) => "announcement",
        (None, None) => "alert",
    })
    .bind(new.contact_check_until)
    .bind(new.announcement.map(|m| m.0))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let plan_by = match new.contact_check_until {
        Some(_) => None,
        None => Some(&schedule),
    };
    let (recipients, deliveries) =
        add_recipients(conn, org, alert.id, &audience.chosen, plan_by, now).await?;
    let (queued, first_wave) =
        queue_and_plan_first_wave(conn, org, alert.id, &audience.groups, "group", now).await?;
    let unplanned = queued.saturating_sub(first_wave.taken);
    alert.unplanned = u32::try_from(unplanned).unwrap_or(u32::MAX);
    // An announcement's text is journaled with the message it is; a copy here would
    // outlive the message's redaction.
    let mut journaled = serde_json::json!(&alert);
    if alert.announcement.is_some() {
        journaled["message"] = serde_json::Value::String(String::new());
    }
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            match (new.contact_check_until, new.announcement) {
                (Some(_), _) => "contact_check.sent",
                (None, Some(_)) => "announcement.sent_out",
                (None, None) => "alert.sent",
            },
            format!("alert:{}", alert.id),
            serde_json::json!({
                "alert": journaled,
                // Everyone it reaches; those still unplanned get their deliveries in
                // parts, and `alert.planned` gives the totals.
                "recipients": recipients + first_wave.recipients + unplanned,
                "deliveries": deliveries + first_wave.deliveries,
                "step_minutes": schedule.step.num_minutes(),
                "repeats": schedule.repeats,
                "repeat_minutes": schedule.repeat_every.num_minutes(),
                "escalation": new.escalation.map(|(g, n, after)| serde_json::json!({
                    "group": g, "min_answers": n, "after_minutes": after.num_minutes(),
                })),
            }),
        ),
    )
    .await?;
    Ok(alert)
}

pub async fn announcement_alert(
    conn: &mut Conn,
    org: OrgId,
    message: MessageId,
) -> StoreResult<Option<AlertId>> {
    let id: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM alerts WHERE org_id = $1 AND message_id = $2")
            .bind(org.0)
            .bind(message.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    Ok(id.map(AlertId))
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
    let row =
        sqlx::query("SELECT options, status, message_id FROM alerts WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(alert.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
    let status: String = col(&row, "status")?;
    if status != "active" {
        return Err(StoreError::Conflict(Conflict::AlertClosed));
    }
    let options: String = col(&row, "options")?;
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
                        Problem::OneOf {
                            choices: options.join(", "),
                        },
                    )
                })?,
        ),
        (false, None) => return Err(StoreError::invalid("answer", Problem::AnswerRequired)),
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
    let announcement: Option<Uuid> = col(&row, "message_id")?;
    if let Some(message) = announcement {
        confirm_announcement(conn, actor, org, MessageId(message), person, now).await?;
    }
    // The rule the roster depends on: once someone has answered, nothing more goes to them.
    let mut cancelled = sqlx::query(
        "UPDATE deliveries SET status = 'cancelled' WHERE alert_id = $1 AND person_id = $2 \
         AND status IN ('pending', 'claimed')",
    )
    .bind(alert.0)
    .bind(person.0)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    // A covering answer stands for the position: its holder and deputies are not needed.
    if covers(&options, answer.as_deref()) {
        let root: Option<Uuid> = sqlx::query_scalar(
            "SELECT chain_root FROM alert_recipients WHERE alert_id = $1 AND person_id = $2",
        )
        .bind(alert.0)
        .bind(person.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        if let Some(root) = root {
            cancelled += sqlx::query(
                "UPDATE deliveries SET status = 'cancelled' WHERE alert_id = $1 \
                 AND status IN ('pending', 'claimed') AND person_id IN \
                 (SELECT person_id FROM alert_recipients WHERE alert_id = $1 AND chain_root = $2)",
            )
            .bind(alert.0)
            .bind(root)
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
        }
    }
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
                "cancelled_deliveries": cancelled,
            }),
        ),
    )
    .await?;
    Ok(true)
}

/// An answer to an announcement's alert, by SMS or link, confirms the announcement in the
/// app for the person's account too, and tells its author's roster.
async fn confirm_announcement(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    message: MessageId,
    person: PersonId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let accounts: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE receipts SET confirmed_at = $3, seen_at = COALESCE(seen_at, $3) \
         WHERE message_id = $1 \
         AND account_id IN (SELECT id FROM accounts WHERE person_id = $2) \
         AND confirmed_at IS NULL RETURNING account_id",
    )
    .bind(message.0)
    .bind(person.0)
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    if accounts.is_empty() {
        return Ok(());
    }
    let found = sqlx::query("SELECT channel_id, author FROM messages WHERE id = $1")
        .bind(message.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    let channel: Uuid = col(&found, "channel_id")?;
    let author: Uuid = col(&found, "author")?;
    for account in accounts {
        append_journal(
            conn,
            org,
            actor,
            NewJournalEntry::new(
                "announcement.confirmed",
                format!("channel:{channel}"),
                serde_json::json!({
                    "message": message,
                    "channel_id": channel,
                    "account": account,
                    "author": author,
                }),
            ),
        )
        .await?;
    }
    Ok(())
}

const DELIVERY_COLUMNS: &str = "id, alert_id, org_id, person_id, step, channel, address, \
    due_at, status, attempts, idempotency_key, kind, sent_at, delivered_at, provider, last_error, \
    confirmed_at";

fn delivery_from_row(r: &DbRow) -> StoreResult<Delivery> {
    let channel: String = col(r, "channel")?;
    let status: String = col(r, "status")?;
    let kind: String = col(r, "kind")?;
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
        kind: DeliveryKind::parse(&kind).ok_or_else(|| corrupt("deliveries.kind", &kind))?,
        sent_at: col(r, "sent_at")?,
        delivered_at: col(r, "delivered_at")?,
        provider: col(r, "provider")?,
        last_error: col(r, "last_error")?,
        confirmed_at: col(r, "confirmed_at")?,
    })
}

/// An outbox table's due rows (claimed by a worker whose lease ran out, then pending and
/// due, oldest first), up to `limit`, claimed until `now + lease` with one more attempt
/// counted; `columns` of each returned. The alerts' and the public outbox share it.
///
/// Two statements, each an ordered walk of the `(status, due_at)` index that stops at
/// `limit`: one condition `OR` the other made SQLite gather and sort every due row for
/// each batch, which for an alert to 100,000 people planned ahead of sending was every
/// claim reading and sorting up to 100,000 rows.
pub(super) async fn claim_outbox_rows(
    conn: &mut Conn,
    table: &'static str,
    columns: &'static str,
    now: DateTime<Utc>,
    limit: u32,
    lease: chrono::Duration,
    node: Uuid,
) -> StoreResult<Vec<DbRow>> {
    let mut claimed = Vec::new();
    for (due, order) in [
        (
            "status = 'claimed' AND claimed_until < $1",
            " ORDER BY claimed_until",
        ),
        ("status = 'pending' AND due_at <= $1", DUE_ORDER),
    ] {
        let left = i64::from(limit) - claimed.len() as i64;
        if left <= 0 {
            break;
        }
        let rows = sqlx::query(&format!(
            "UPDATE {table} SET status = 'claimed', claimed_until = $2, claimed_by = $4, \
             attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM {table} WHERE {due}{order} LIMIT $3{}) \
             RETURNING {columns}",
            super::SKIP_LOCKED
        ))
        .bind(now)
        .bind(now + lease)
        .bind(left)
        .bind(node)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        claimed.extend(rows);
    }
    Ok(claimed)
}

pub async fn claim_deliveries(
    conn: &mut Conn,
    now: DateTime<Utc>,
    limit: u32,
    lease: chrono::Duration,
    node: Uuid,
) -> StoreResult<Vec<Delivery>> {
    let rows = claim_outbox_rows(
        conn,
        "deliveries",
        DELIVERY_COLUMNS,
        now,
        limit,
        lease,
        node,
    )
    .await?;
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
    roster_lines(
        conn,
        org,
        alert,
        "",
        &[],
        " ORDER BY state, name, person_id",
    )
    .await
}

/// Each recipient of alert `$2` of organisation `$1` with their name, the name of whom
/// they follow, and where they stand (`state`, a [`RecipientState::rank`]) worked out
/// from their alert's deliveries in one pass over them: the one definition of a
/// recipient's state, for a page, a count or a stream alike. `{people}` narrows the
/// deliveries read to the people wanted (`person_id …`), so one line or one part of a
/// stream does not read the whole alert's.
const ROSTER_SELECT: &str = "SELECT r.person_id, r.reason, r.answer, r.answered_at, \
    r.answered_via, r.seen_at, r.follows, p.name, f.name AS follows_name, \
    CASE WHEN r.answered_at IS NOT NULL THEN 6 \
         WHEN r.seen_at IS NOT NULL THEN 5 \
         WHEN d.delivered > 0 THEN 4 \
         WHEN d.sent > 0 THEN 3 \
         WHEN d.steps IS NULL THEN 0 \
         WHEN d.cancelled = d.steps THEN 7 \
         WHEN d.pending = 0 AND d.failed > 0 THEN 1 \
         ELSE 2 END AS state \
    FROM alert_recipients r JOIN alerts a ON a.id = r.alert_id \
    JOIN people p ON p.id = r.person_id LEFT JOIN people f ON f.id = r.follows \
    LEFT JOIN (SELECT person_id, COUNT(*) AS steps, \
        SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END) AS sent, \
        SUM(CASE WHEN status = 'sent' AND delivered_at IS NOT NULL THEN 1 ELSE 0 END) \
            AS delivered, \
        SUM(CASE WHEN status IN ('pending', 'claimed') THEN 1 ELSE 0 END) AS pending, \
        SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, \
        SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled \
        FROM deliveries WHERE alert_id = $2 AND kind = 'alert'{people} GROUP BY person_id) d \
        ON d.person_id = r.person_id \
    WHERE a.org_id = $1 AND r.alert_id = $2";

/// [`ROSTER_SELECT`] over the deliveries of those `people` picks (`AND person_id …`, or
/// empty for all).
fn roster_select(people: &str) -> String {
    ROSTER_SELECT.replace("{people}", people)
}

/// Roster lines of `alert` from [`ROSTER_SELECT`] narrowed by `filter` (`AND …` on the
/// selection's columns, binding `binds` from `$3`; a filter on `person_id` narrows the
/// deliveries read too) and ordered and cut by `tail`, each with its deliveries.
async fn roster_lines(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    filter: &str,
    binds: &[Uuid],
    tail: &str,
) -> StoreResult<Vec<RosterEntry>> {
    let people = match filter.trim_start().starts_with("AND person_id") {
        true => filter,
        false => "",
    };
    let sql = format!(
        "SELECT * FROM ({}) x WHERE TRUE{filter}{tail}",
        roster_select(people)
    );
    let mut query = sqlx::query(&sql).bind(org.0).bind(alert.0);
    for b in binds {
        query = query.bind(*b);
    }
    let rows = query.fetch_all(&mut *conn).await.map_err(db)?;
    let mut roster = rows
        .iter()
        .map(|r| {
            let state: i32 = col(r, "state")?;
            Ok(RosterEntry {
                person_id: PersonId(col(r, "person_id")?),
                reason: col(r, "reason")?,
                deliveries: Vec::new(),
                answer: col(r, "answer")?,
                answered_at: col(r, "answered_at")?,
                answered_via: col(r, "answered_via")?,
                seen_at: col(r, "seen_at")?,
                follows: col::<Option<Uuid>>(r, "follows")?.map(PersonId),
                name: col(r, "name")?,
                follows_name: col(r, "follows_name")?,
                state: RecipientState::from_rank(state)
                    .ok_or_else(|| corrupt("roster state", state))?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let at: HashMap<PersonId, usize> = roster
        .iter()
        .enumerate()
        .map(|(i, e)| (e.person_id, i))
        .collect();
    let people: Vec<PersonId> = roster.iter().map(|e| e.person_id).collect();
    for chunk in people.chunks(INSERT_CHUNK) {
        let mut q = sqlx::QueryBuilder::<Db>::new(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE alert_id = "
        ));
        q.push_bind(alert.0);
        push_in_list(&mut q, "person_id", chunk, " ORDER BY person_id, step");
        for row in q.build().fetch_all(&mut *conn).await.map_err(db)? {
            let d = delivery_from_row(&row)?;
            if let Some(entry) = at.get(&d.person_id).and_then(|i| roster.get_mut(*i)) {
                entry.deliveries.push(d);
            }
        }
    }
    Ok(roster)
}

pub async fn alert_roster_page(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    query: &RosterQuery,
) -> StoreResult<Vec<RosterEntry>> {
    let filter = match query.states.is_empty() {
        true => String::new(),
        false => format!(
            " AND state IN ({})",
            query
                .states
                .iter()
                .map(|s| s.rank().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let tail = format!(
        " ORDER BY state, name, person_id LIMIT {} OFFSET {}",
        query.limit, query.offset
    );
    roster_lines(conn, org, alert, &filter, &[], &tail).await
}

pub async fn alert_roster_after(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    after: Option<PersonId>,
    limit: u32,
) -> StoreResult<Vec<RosterEntry>> {
    // The part's last person first, so only the part's deliveries are read.
    let after = after.map_or(Uuid::nil(), |p| p.0);
    let last: Option<Uuid> = sqlx::query_scalar(&format!(
        "SELECT person_id FROM alert_recipients WHERE alert_id = $1 AND person_id > $2 \
         ORDER BY person_id LIMIT 1 OFFSET {}",
        limit.saturating_sub(1)
    ))
    .bind(alert.0)
    .bind(after)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let tail = " ORDER BY person_id";
    match last {
        Some(last) => {
            let filter = " AND person_id > $3 AND person_id <= $4";
            roster_lines(conn, org, alert, filter, &[after, last], tail).await
        }
        None => roster_lines(conn, org, alert, " AND person_id > $3", &[after], tail).await,
    }
}

pub async fn alert_roster_counts(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
) -> StoreResult<RosterCounts> {
    let sent: DateTime<Utc> =
        sqlx::query_scalar("SELECT created_at FROM alerts WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(alert.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let by_state = sqlx::query(&format!(
        "SELECT state, COUNT(*) AS n FROM ({}) x GROUP BY state ORDER BY state",
        roster_select("")
    ))
    .bind(org.0)
    .bind(alert.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(|r| {
        let state: i32 = col(r, "state")?;
        Ok((
            RecipientState::from_rank(state).ok_or_else(|| corrupt("roster state", state))?,
            count(col(r, "n")?),
        ))
    })
    .collect::<StoreResult<Vec<_>>>()?;
    let answers = sqlx::query(
        "SELECT answer, COUNT(*) AS n FROM alert_recipients WHERE alert_id = $1 \
         AND answered_at IS NOT NULL GROUP BY answer ORDER BY answer",
    )
    .bind(alert.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(|r| Ok((col(r, "answer")?, count(col(r, "n")?))))
    .collect::<StoreResult<Vec<_>>>()?;
    let [five, fifteen, sixty] = READINESS_MINUTES.map(|m| sent + chrono::Duration::minutes(m));
    let r = sqlx::query(
        "SELECT MIN(answered_at) AS first, \
         COALESCE(SUM(CASE WHEN answered_at <= $2 THEN 1 ELSE 0 END), 0) AS five, \
         COALESCE(SUM(CASE WHEN answered_at <= $3 THEN 1 ELSE 0 END), 0) AS fifteen, \
         COALESCE(SUM(CASE WHEN answered_at <= $4 THEN 1 ELSE 0 END), 0) AS sixty \
         FROM alert_recipients WHERE alert_id = $1 AND answered_at IS NOT NULL",
    )
    .bind(alert.0)
    .bind(five)
    .bind(fifteen)
    .bind(sixty)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(RosterCounts {
        by_state,
        answers,
        first_answer_at: col(&r, "first")?,
        answered_within: [
            count(col(&r, "five")?),
            count(col(&r, "fifteen")?),
            count(col(&r, "sixty")?),
        ],
    })
}

const ALERT_COLUMNS: &str = "id, org_id, created_by, message, severity, options, exercise, \
    status, created_at, closed_at, deadline_at, message_id";

/// An alert's columns from `alerts` as `a`, with how many people are still queued for
/// planning.
fn alert_columns() -> String {
    let mut columns: Vec<String> = ALERT_COLUMNS
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect();
    columns.push(
        "(SELECT COUNT(*) FROM alert_planning q WHERE q.alert_id = a.id) AS unplanned".into(),
    );
    columns.join(", ")
}

fn alert_from_row(r: &DbRow) -> StoreResult<Alert> {
    let severity: String = col(r, "severity")?;
    let status: String = col(r, "status")?;
    let options: String = col(r, "options")?;
    let created_by: Option<Uuid> = col(r, "created_by")?;
    let announcement: Option<Uuid> = col(r, "message_id")?;
    Ok(Alert {
        id: AlertId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        created_by: created_by.map(AccountId),
        message: col(r, "message")?,
        severity: Severity::parse(&severity)
            .ok_or_else(|| corrupt("alerts.severity", &severity))?,
        options: serde_json::from_str(&options).map_err(|e| corrupt("alerts.options", e))?,
        exercise: col(r, "exercise")?,
        status: [
            AlertStatus::Active,
            AlertStatus::Resolved,
            AlertStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == status)
        .ok_or_else(|| corrupt("alerts.status", &status))?,
        created_at: col(r, "created_at")?,
        closed_at: col(r, "closed_at")?,
        contact_check_until: col(r, "deadline_at")?,
        announcement: announcement.map(MessageId),
        unplanned: u32::try_from(col::<i64>(r, "unplanned")?).unwrap_or(u32::MAX),
    })
}

pub async fn alert(conn: &mut Conn, org: OrgId, id: AlertId) -> StoreResult<Alert> {
    let r = sqlx::query(&format!(
        "SELECT {} FROM alerts a WHERE a.org_id = $1 AND a.id = $2",
        alert_columns()
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    alert_from_row(&r)
}

/// Whether an outbox row is still claimed by `node`: not answered, cancelled or deleted
/// since, nor freed for another node (this one was thought gone).
pub(super) async fn outbox_row_claimed(
    conn: &mut Conn,
    table: &'static str,
    id: Uuid,
    node: Uuid,
) -> StoreResult<bool> {
    // By its key alone, the rest compared here: with `claimed_by = $2` in the query,
    // PostgreSQL chose the index of claims by node and read every claim of the node for
    // each hand-off.
    let row = sqlx::query(&format!(
        "SELECT status, claimed_by FROM {table} WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(row) = row else {
        return Ok(false);
    };
    held_by(&row, node)
}

/// Whether an outbox row read with its `status` and `claimed_by` is claimed by `node`.
fn held_by(row: &DbRow, node: Uuid) -> StoreResult<bool> {
    let status: String = col(row, "status")?;
    let by: Option<Uuid> = col(row, "claimed_by")?;
    Ok(status == "claimed" && by == Some(node))
}

/// Which of `ids` this node still holds claimed, in one statement per thousand: asked
/// before each hand-off, and asked for many hand-offs at once.
pub async fn deliveries_wanted(
    conn: &mut Conn,
    ids: &[DeliveryId],
    node: Uuid,
) -> StoreResult<HashSet<DeliveryId>> {
    let mut wanted = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(INSERT_CHUNK) {
        // By key alone, the rest compared here (see `outbox_row_claimed`).
        let mut q =
            sqlx::QueryBuilder::<Db>::new("SELECT id, status, claimed_by FROM deliveries WHERE ");
        super::push_among(&mut q, "id", chunk.iter().map(|id| id.0).collect());
        for row in q.build().fetch_all(&mut *conn).await.map_err(db)? {
            if held_by(&row, node)? {
                wanted.insert(DeliveryId(col(&row, "id")?));
            }
        }
    }
    Ok(wanted)
}

/// Records what became of a claimed outbox row. A hand-off is recorded as sent from any of
/// `sent_from` (the alerts' also from `cancelled`: a reply can arrive before the hand-off
/// is recorded, and handed over is the truth); a retry or failure only while claimed.
pub(super) async fn finish_outbox_row(
    conn: &mut Conn,
    table: &'static str,
    sent_from: &'static str,
    id: Uuid,
    outcome: DeliveryOutcome,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (sent, retry, failed) = (
        format!(
            "UPDATE {table} SET status = 'sent', sent_at = $2, provider = $3, \
             provider_ref = $4, claimed_until = NULL WHERE id = $1 AND status IN {sent_from}"
        ),
        format!(
            "UPDATE {table} SET status = 'pending', due_at = $2, last_error = $3, \
             claimed_until = NULL WHERE id = $1 AND status = 'claimed'"
        ),
        format!(
            "UPDATE {table} SET status = 'failed', last_error = $2, claimed_until = NULL \
             WHERE id = $1 AND status = 'claimed'"
        ),
    );
    let query = match &outcome {
        DeliveryOutcome::Sent {
            provider,
            provider_ref,
        } => sqlx::query(&sent)
            .bind(id)
            .bind(now)
            .bind(provider)
            .bind(provider_ref),
        DeliveryOutcome::Retry { at, error } => sqlx::query(&retry).bind(id).bind(*at).bind(error),
        DeliveryOutcome::Failed { error } => sqlx::query(&failed).bind(id).bind(error),
    };
    Ok(query.execute(&mut *conn).await.map_err(db)?.rows_affected() == 1)
}

pub async fn finish_delivery(
    conn: &mut Conn,
    id: DeliveryId,
    outcome: DeliveryOutcome,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    finish_outbox_row(
        conn,
        "deliveries",
        "('claimed', 'cancelled')",
        id.0,
        outcome,
        now,
    )
    .await
}

/// Hand-offs recorded as sent in one statement at most. Few enough that PostgreSQL looks
/// each up by its key: at 500 against 100,000 deliveries it chose to read them all.
const FINISH_CHUNK: usize = 128;

/// Records what became of several claimed deliveries, each as [`finish_delivery`] would:
/// those sent (nearly all of a batch in a blast) in one statement per `FINISH_CHUNK`,
/// retries and failures one by one. A statement each made recording, not the providers,
/// the cost of an alert to thousands on PostgreSQL, a round trip per hand-off.
pub async fn finish_deliveries(
    conn: &mut Conn,
    finished: Vec<(DeliveryId, DeliveryOutcome, DateTime<Utc>)>,
) -> StoreResult<()> {
    let mut sent = Vec::with_capacity(finished.len());
    for (id, outcome, at) in finished {
        match outcome {
            DeliveryOutcome::Sent {
                provider,
                provider_ref,
            } => sent.push((id.0, at, provider, provider_ref)),
            other => {
                finish_delivery(conn, id, other, at).await?;
            }
        }
    }
    for chunk in sent.chunks(FINISH_CHUNK) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, ..)| *id).collect();
        let late = reached_after_close(conn, ids).await?;
        let mut q =
            sqlx::QueryBuilder::<Db>::new("WITH handed (id, sent_at, provider, provider_ref) AS (");
        super::push_handed(&mut q, chunk);
        // As `finish_outbox_row`: sent also from cancelled, a reply may have come first.
        q.push(
            ") UPDATE deliveries SET status = 'sent', sent_at = handed.sent_at, \
             provider = handed.provider, provider_ref = handed.provider_ref, \
             claimed_until = NULL FROM handed WHERE deliveries.id = handed.id \
             AND deliveries.status IN ('claimed', 'cancelled')",
        );
        q.build().execute(&mut *conn).await.map_err(db)?;
        let at = chunk.iter().map(|(id, at, ..)| (*id, *at)).collect();
        queue_late_close_notices(conn, late, &at).await?;
    }
    Ok(())
}

/// The key of the notice that alert `alert` is over for `person`: one per person and
/// alert, whether queued at the close or for a hand-off recorded after it.
fn close_notice_key(alert: Uuid, person: Uuid, kind: DeliveryKind) -> String {
    format!("{alert}:{person}:{}", kind.as_str())
}

/// A hand-off of an alert recorded after the alert was closed: the person has the alert
/// and must hear that it is over.
struct ReachedAfterClose {
    delivery: Uuid,
    alert: Uuid,
    org: Uuid,
    person: Uuid,
    channel: String,
    address: String,
    kind: DeliveryKind,
}

/// Among `ids`, the deliveries of alerts closed while the provider had them: closing
/// cancelled them, and told only those already recorded as reached that the alert is over.
async fn reached_after_close(
    conn: &mut Conn,
    ids: Vec<Uuid>,
) -> StoreResult<Vec<ReachedAfterClose>> {
    let mut q = sqlx::QueryBuilder::<Db>::new(
        "SELECT d.id, d.alert_id, d.org_id, d.person_id, d.channel, d.address, \
         a.status AS alert_status FROM deliveries d JOIN alerts a ON a.id = d.alert_id \
         WHERE d.status = 'cancelled' AND d.kind = 'alert' AND a.status <> 'active' AND ",
    );
    super::push_among(&mut q, "d.id", ids);
    let rows = q.build().fetch_all(&mut *conn).await.map_err(db)?;
    let mut late = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind = match col::<String>(r, "alert_status")?.as_str() {
            "resolved" => DeliveryKind::Resolved,
            _ => DeliveryKind::Cancelled,
        };
        late.push(ReachedAfterClose {
            delivery: col(r, "id")?,
            alert: col(r, "alert_id")?,
            org: col(r, "org_id")?,
            person: col(r, "person_id")?,
            channel: col(r, "channel")?,
            address: col(r, "address")?,
            kind,
        });
    }
    Ok(late)
}

/// Queues the notice that the alert is over for each of `late`, due when their hand-off
/// was recorded (`at`, by delivery), on the channel that reached them; one per person and
/// alert (the key `close_alert` gives it: someone told at the close is not told again).
async fn queue_late_close_notices(
    conn: &mut Conn,
    mut late: Vec<ReachedAfterClose>,
    at: &HashMap<Uuid, DateTime<Utc>>,
) -> StoreResult<()> {
    late.sort_by_key(|l| (l.alert, l.person));
    late.dedup_by_key(|l| (l.alert, l.person));
    if late.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::QueryBuilder::<Db>::new(
        "INSERT INTO deliveries (id, alert_id, org_id, person_id, step, channel, address, \
         due_at, status, attempts, idempotency_key, kind) ",
    );
    q.push_values(&late, |mut b, l| {
        b.push_bind(DeliveryId::new().0)
            .push_bind(l.alert)
            .push_bind(l.org)
            .push_bind(l.person)
            .push_bind(0_i32)
            .push_bind(l.channel.clone())
            .push_bind(l.address.clone())
            .push_bind(at.get(&l.delivery).copied().unwrap_or_default())
            .push_bind("pending")
            .push_bind(0_i32)
            .push_bind(close_notice_key(l.alert, l.person, l.kind))
            .push_bind(l.kind.as_str());
    });
    q.push(" ON CONFLICT (idempotency_key) DO NOTHING");
    q.build().execute(&mut *conn).await.map_err(db)?;
    Ok(())
}

/// Closes an alert as `status` and cancels every hand-off still to come; returns how many
/// were cancelled. Telling those already reached is the caller's to decide.
pub(super) async fn stop_alert(
    conn: &mut Conn,
    id: AlertId,
    status: AlertStatus,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    sqlx::query("UPDATE alerts SET status = $2, closed_at = $3, planning = FALSE WHERE id = $1")
        .bind(id.0)
        .bind(status.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    // Nobody still queued is planned now.
    sqlx::query("DELETE FROM alert_planning WHERE alert_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(sqlx::query(
        "UPDATE deliveries SET status = 'cancelled' WHERE alert_id = $1 \
         AND status IN ('pending', 'claimed')",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected())
}

pub async fn close_alert(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: AlertId,
    status: AlertStatus,
    now: DateTime<Utc>,
) -> StoreResult<Alert> {
    let kind = match status {
        AlertStatus::Resolved => DeliveryKind::Resolved,
        AlertStatus::Cancelled => DeliveryKind::Cancelled,
        AlertStatus::Active => {
            return Err(StoreError::invalid(
                "status",
                Problem::OneOf {
                    choices: "resolved, cancelled".into(),
                },
            ))
        }
    };
    let mut closed = alert(conn, org, id).await?;
    if closed.status != AlertStatus::Active {
        return Err(StoreError::Conflict(Conflict::AlertClosed));
    }
    let stopped = stop_alert(conn, id, status, now).await?;
    // Everyone the alert reached hears that it is over, on the channel that reached them
    // first.
    let reached = sqlx::query(
        "SELECT person_id, channel, address FROM deliveries WHERE alert_id = $1 \
         AND kind = 'alert' AND status = 'sent' ORDER BY person_id, step",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut notices: Vec<(Uuid, String, String)> = Vec::new();
    for r in &reached {
        let person: Uuid = col(r, "person_id")?;
        if notices.last().map(|n| n.0) != Some(person) {
            notices.push((person, col(r, "channel")?, col(r, "address")?));
        }
    }
    let rows: Vec<DeliveryRow> = notices
        .iter()
        .map(|(person, channel, address)| DeliveryRow {
            person: PersonId(*person),
            step: 0,
            channel: channel.clone(),
            address: address.clone(),
            due_at: now,
            idempotency_key: close_notice_key(id.0, *person, kind),
            kind,
        })
        .collect();
    insert_deliveries(conn, id, org, &rows).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            match kind {
                DeliveryKind::Resolved => "alert.resolved",
                _ => "alert.cancelled",
            },
            format!("alert:{id}"),
            serde_json::json!({
                "stopped_deliveries": stopped,
                "notices": notices.len(),
            }),
        ),
    )
    .await?;
    closed.status = status;
    closed.closed_at = Some(now);
    Ok(closed)
}

pub async fn list_alerts(
    conn: &mut Conn,
    org: OrgId,
    limit: u32,
) -> StoreResult<Vec<AlertSummary>> {
    let rows = sqlx::query(&format!(
        "SELECT {}, \
         (SELECT COUNT(*) FROM alert_recipients r WHERE r.alert_id = a.id) AS recipients, \
         (SELECT COUNT(*) FROM alert_recipients r WHERE r.alert_id = a.id \
             AND r.answered_at IS NOT NULL) AS answered, \
         (SELECT COUNT(*) FROM alert_recipients r WHERE r.alert_id = a.id AND NOT EXISTS \
             (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id \
              AND d.person_id = r.person_id)) AS unreachable \
         FROM alerts a WHERE a.org_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2",
        alert_columns()
    ))
    .bind(org.0)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let count = |r: &DbRow, name: &str| -> StoreResult<u32> {
        let n: i64 = col(r, name)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    };
    rows.iter()
        .map(|r| {
            Ok(AlertSummary {
                alert: alert_from_row(r)?,
                recipients: count(r, "recipients")?,
                answered: count(r, "answered")?,
                unreachable: count(r, "unreachable")?,
            })
        })
        .collect()
}

pub async fn open_alerts_for(
    conn: &mut Conn,
    org: OrgId,
    person: PersonId,
) -> StoreResult<Vec<Alert>> {
    let columns = alert_columns();
    let rows = sqlx::query(&format!(
        "SELECT {columns} FROM alerts a JOIN alert_recipients r ON r.alert_id = a.id \
         WHERE a.org_id = $1 AND r.person_id = $2 AND a.status = 'active' \
         AND r.answered_at IS NULL AND a.message_id IS NULL ORDER BY a.created_at DESC"
    ))
    .bind(org.0)
    .bind(person.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(alert_from_row).collect()
}

/// Alerts whose group escalation is due, with their organisation.
pub async fn escalations_due(
    conn: &mut Conn,
    now: DateTime<Utc>,
) -> StoreResult<Vec<(OrgId, AlertId)>> {
    let rows = sqlx::query(
        "SELECT org_id, id FROM alerts WHERE status = 'active' AND escalated_at IS NULL \
         AND escalate_at <= $1 ORDER BY escalate_at",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| Ok((OrgId(col(r, "org_id")?), AlertId(col(r, "id")?))))
        .collect()
}

/// Checks one alert's group escalation (again, under the organisation's lock): true if
/// it alerted the group.
pub async fn escalate(
    conn: &mut Conn,
    org: OrgId,
    id: AlertId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let Some(r) = sqlx::query(
        "SELECT options, escalate_group_id, escalate_min_answers \
         FROM alerts WHERE id = $1 AND org_id = $2 AND status = 'active' \
         AND escalated_at IS NULL AND escalate_at <= $3",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(false);
    };
    let options: String = col(&r, "options")?;
    let options: Vec<String> =
        serde_json::from_str(&options).map_err(|e| corrupt("alerts.options", e))?;
    let group: Option<Uuid> = col(&r, "escalate_group_id")?;
    let min: Option<i32> = col(&r, "escalate_min_answers")?;
    sqlx::query("UPDATE alerts SET escalated_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let answers = sqlx::query(
        "SELECT person_id, answer FROM alert_recipients WHERE alert_id = $1 \
         AND answered_at IS NOT NULL",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut covering = 0_i32;
    for a in &answers {
        let answer: Option<String> = col(a, "answer")?;
        if covers(&options, answer.as_deref()) {
            covering += 1;
        }
    }
    let (Some(group), Some(min)) = (group, min) else {
        return Ok(false);
    };
    if covering >= min {
        return Ok(false);
    }
    let slug: String = sqlx::query_scalar("SELECT slug FROM org_groups WHERE id = $1")
        .bind(group)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::invalid("escalation.group", Problem::UnknownGroup))?;
    let (queued, first_wave) = queue_and_plan_first_wave(
        conn,
        org,
        id,
        &[(GroupId(group), slug.clone())],
        "escalation",
        now,
    )
    .await?;
    append_journal(
        conn,
        org,
        &Actor::system(),
        NewJournalEntry::new(
            "alert.escalated",
            format!("alert:{id}"),
            serde_json::json!({
                "group": slug,
                "answers": covering,
                "min_answers": min,
                "recipients": first_wave.recipients + queued.saturating_sub(first_wave.taken),
                "deliveries": first_wave.deliveries,
            }),
        ),
    )
    .await?;
    Ok(true)
}

/// Where an SMS reply from `from` to `to` belongs: the newest active alert handed (or being
/// handed) to `from` by SMS and not answered, among the alerts of the organisation whose
/// own number `to` is or, when `to` is no organisation's, of the organisations without a
/// number of their own (they share the server's sender). When those alerts belong to
/// several organisations, the reply could be meant for any: it is ambiguous.
pub async fn reply_target(
    conn: &mut Conn,
    from: &str,
    to: Option<&str>,
) -> StoreResult<ReplyTarget> {
    let rows = sqlx::query(
        "SELECT a.org_id, a.id, d.person_id, a.options, o.sms_number FROM deliveries d \
         JOIN alerts a ON a.id = d.alert_id \
         JOIN orgs o ON o.id = a.org_id \
         JOIN alert_recipients r ON r.alert_id = d.alert_id AND r.person_id = d.person_id \
         WHERE d.channel = 'sms' AND d.address = $1 AND d.status IN ('sent', 'claimed') \
         AND d.kind = 'alert' AND a.status = 'active' AND r.answered_at IS NULL \
         ORDER BY a.created_at DESC, a.id",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut candidates = Vec::new();
    for r in &rows {
        let number: Option<String> = col(r, "sms_number")?;
        candidates.push((OrgId(col(r, "org_id")?), number, r));
    }
    let to = to.map(str::trim).filter(|t| !t.is_empty());
    let own: Vec<_> = candidates
        .iter()
        .filter(|(_, number, _)| number.is_some() && number.as_deref() == to)
        .collect();
    let chosen: Vec<_> = if !own.is_empty() {
        own
    } else {
        let shared: Vec<_> = candidates.iter().filter(|(_, n, _)| n.is_none()).collect();
        // A reply to a number we do not know (an old sender, a gateway that leaves `to`
        // out) still finds its alert when only one organisation could mean it.
        if shared.is_empty() {
            candidates.iter().collect()
        } else {
            shared
        }
    };
    let mut orgs: Vec<OrgId> = chosen.iter().map(|(o, _, _)| *o).collect();
    orgs.sort_by_key(|o| o.0);
    orgs.dedup();
    let Some((org, _, r)) = chosen.first() else {
        return Ok(ReplyTarget::None);
    };
    if orgs.len() > 1 {
        return Ok(ReplyTarget::Ambiguous(orgs));
    }
    let options: String = col(r, "options")?;
    Ok(ReplyTarget::One {
        org: *org,
        alert: AlertId(col(r, "id")?),
        person: PersonId(col(r, "person_id")?),
        options: serde_json::from_str(&options).map_err(|e| corrupt("alerts.options", e))?,
    })
}

/// See [`reply_target`].
pub enum ReplyTarget {
    None,
    Ambiguous(Vec<OrgId>),
    One {
        org: OrgId,
        alert: AlertId,
        person: PersonId,
        options: Vec<String>,
    },
}

pub async fn answer_by_reply(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    person: PersonId,
    options: &[String],
    text: &str,
    at: DateTime<Utc>,
) -> StoreResult<ReplyMatch> {
    let mut result = ReplyMatch {
        org_id: org,
        alert_id: alert,
        person_id: person,
        understood: false,
        answered: false,
    };
    let Some(choice) = parse_reply(options, text) else {
        return Ok(result);
    };
    result.understood = true;
    let answer = Answer {
        person,
        choice,
        via: "sms".to_owned(),
        at,
    };
    result.answered = answer_alert(conn, &Actor::system(), org, alert, answer).await?;
    Ok(result)
}

pub async fn mark_alert_seen(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    person: PersonId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let first = sqlx::query(
        "UPDATE alert_recipients SET seen_at = $4 WHERE alert_id = $1 AND person_id = $2 \
         AND seen_at IS NULL AND alert_id IN (SELECT id FROM alerts WHERE org_id = $3)",
    )
    .bind(alert.0)
    .bind(person.0)
    .bind(org.0)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if first == 1 {
        append_journal(
            conn,
            org,
            &Actor::system(),
            NewJournalEntry::new(
                "alert.seen",
                format!("alert:{alert}"),
                serde_json::json!({ "person": person }),
            ),
        )
        .await?;
    }
    Ok(())
}

pub async fn delivery_report(
    conn: &mut Conn,
    provider: &str,
    provider_ref: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let known = sqlx::query(
        "UPDATE deliveries SET delivered_at = COALESCE(delivered_at, $3) \
         WHERE provider = $1 AND provider_ref = $2",
    )
    .bind(provider)
    .bind(provider_ref)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(known > 0)
}

pub async fn signing_key(conn: &mut Conn, name: &str, fresh: Vec<u8>) -> StoreResult<Vec<u8>> {
    sqlx::query(
        "INSERT INTO signing_keys (name, key_bytes) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query_scalar("SELECT key_bytes FROM signing_keys WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)
}

pub async fn alert_recipient(
    conn: &mut Conn,
    org: OrgId,
    alert: AlertId,
    person: PersonId,
) -> StoreResult<RosterEntry> {
    roster_lines(conn, org, alert, " AND person_id = $3", &[person.0], "")
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

pub async fn alert_by_id(conn: &mut Conn, id: AlertId) -> StoreResult<Alert> {
    let r = sqlx::query(&format!(
        "SELECT {} FROM alerts a WHERE a.id = $1",
        alert_columns()
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    alert_from_row(&r)
}

async fn check_position(conn: &mut Conn, org: OrgId, position: PositionId) -> StoreResult<()> {
    let known: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM positions WHERE org_id = $1 AND id = $2")
            .bind(org.0)
            .bind(position.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    known.map(|_| ()).ok_or(StoreError::NotFound)
}

pub async fn set_rotation(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    r: Rotation,
) -> StoreResult<Rotation> {
    check_position(conn, org, r.position_id).await?;
    super::check_people(conn, org, "members", &r.members).await?;
    let members = serde_json::to_string(&r.members).map_err(|e| corrupt("rotation", e))?;
    sqlx::query("DELETE FROM rotations WHERE position_id = $1")
        .bind(r.position_id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO rotations (position_id, org_id, starts_at, period_days, members) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(r.position_id.0)
    .bind(org.0)
    .bind(r.starts_at)
    .bind(i32::try_from(r.period_days).unwrap_or(7))
    .bind(&members)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new("rotation.set", format!("position:{}", r.position_id), &r),
    )
    .await?;
    Ok(r)
}

pub async fn rotation(
    conn: &mut Conn,
    org: OrgId,
    position: PositionId,
) -> StoreResult<Option<Rotation>> {
    let Some(r) = sqlx::query(
        "SELECT starts_at, period_days, members FROM rotations \
         WHERE org_id = $1 AND position_id = $2",
    )
    .bind(org.0)
    .bind(position.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let members: String = col(&r, "members")?;
    Ok(Some(Rotation {
        position_id: position,
        starts_at: col(&r, "starts_at")?,
        period_days: u32::try_from(col::<i32>(&r, "period_days")?).unwrap_or(7),
        members: serde_json::from_str(&members).map_err(|e| corrupt("rotations.members", e))?,
    }))
}

pub async fn add_override(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    o: Override,
) -> StoreResult<Override> {
    check_position(conn, org, o.position_id).await?;
    if super::person(conn, org, o.person_id).await?.is_none() {
        return Err(StoreError::invalid("person", Problem::UnknownPerson));
    }
    sqlx::query(
        "INSERT INTO rotation_overrides (id, org_id, position_id, person_id, from_at, until_at, \
         reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(o.id.0)
    .bind(org.0)
    .bind(o.position_id.0)
    .bind(o.person_id.0)
    .bind(o.from)
    .bind(o.until)
    .bind(&o.reason)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "rotation.override",
            format!("position:{}", o.position_id),
            &o,
        ),
    )
    .await?;
    Ok(o)
}

pub async fn overrides(
    conn: &mut Conn,
    org: OrgId,
    position: PositionId,
) -> StoreResult<Vec<Override>> {
    let rows = sqlx::query(
        "SELECT id, person_id, from_at, until_at, reason FROM rotation_overrides \
         WHERE org_id = $1 AND position_id = $2 ORDER BY id",
    )
    .bind(org.0)
    .bind(position.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Override {
                id: OverrideId(col(r, "id")?),
                position_id: position,
                person_id: PersonId(col(r, "person_id")?),
                from: col(r, "from_at")?,
                until: col(r, "until_at")?,
                reason: col(r, "reason")?,
            })
        })
        .collect()
}

pub async fn delivery(conn: &mut Conn, id: DeliveryId) -> StoreResult<Option<Delivery>> {
    let row = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.as_ref().map(delivery_from_row).transpose()
}

pub async fn confirm_contact_point(
    conn: &mut Conn,
    id: DeliveryId,
    at: DateTime<Utc>,
) -> StoreResult<Option<Delivery>> {
    let Some(d) = delivery(conn, id).await? else {
        return Ok(None);
    };
    let check = alert(conn, d.org_id, d.alert_id).await?;
    if check.contact_check_until.is_none() || check.status != AlertStatus::Active {
        return Ok(None);
    }
    if d.confirmed_at.is_some() {
        return Ok(Some(d));
    }
    sqlx::query("UPDATE deliveries SET confirmed_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "UPDATE contact_points SET verified = $4 WHERE person_id = $1 AND kind = $2 \
         AND value = $3",
    )
    .bind(d.person_id.0)
    .bind(d.channel.as_str())
    .bind(&d.address)
    .bind(true)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deliveries WHERE alert_id = $1 AND person_id = $2 \
         AND kind = 'alert' AND confirmed_at IS NULL",
    )
    .bind(d.alert_id.0)
    .bind(d.person_id.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if open == 0 {
        sqlx::query(
            "UPDATE alert_recipients SET answer = 'confirmed', answered_at = $3, \
             answered_via = 'link' WHERE alert_id = $1 AND person_id = $2 \
             AND answered_at IS NULL",
        )
        .bind(d.alert_id.0)
        .bind(d.person_id.0)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    append_journal(
        conn,
        d.org_id,
        &Actor::system(),
        NewJournalEntry::new(
            "contact_check.confirmed",
            format!("alert:{}", d.alert_id),
            serde_json::json!({
                "person": d.person_id,
                "channel": d.channel.as_str(),
                "all_confirmed": open == 0,
            }),
        ),
    )
    .await?;
    Ok(Some(Delivery {
        confirmed_at: Some(at),
        ..d
    }))
}
