//! Conversation SQL shared by both backends: the child `conversation` of each backend's
//! `ops` module, so it uses the same connection type and helpers.

use super::*;
use beredskap_core::alerting::{AlertStatus, NewAlert, Recipients, Severity};
use beredskap_core::conversation::{
    Attachment, AttachmentRef, Channel, ChannelKind, Message, MessageChange, MessageHead,
    NewAttachment, NewChannel, NewMessage, Page, Posted, Reaction, Receipt, Redacted, SendOut,
};
use beredskap_core::Problem;
use beredskap_core::{AttachmentId, ChannelId, GroupId, MessageId};

const CHANNEL_COLUMNS: &str =
    "c.id, c.org_id, c.kind, c.name, c.classification, c.group_id, c.created_at";

/// Whether account `a` may see channel `c`: everyone but guests sees the organisation's
/// channels; a group's channel is seen by the group's people as the group is now (so it
/// follows later changes to the group); anyone added to a channel sees it.
const MAY_SEE: &str = "((c.kind = 'org' AND a.role <> 'guest') \
    OR (c.kind = 'group' AND EXISTS (SELECT 1 FROM group_members g \
        WHERE g.group_id = c.group_id AND g.person_id = a.person_id)) \
    OR EXISTS (SELECT 1 FROM channel_members m WHERE m.channel_id = c.id AND m.account_id = a.id))";

fn channel_from_row(r: &DbRow) -> StoreResult<Channel> {
    let kind: String = col(r, "kind")?;
    let group: Option<Uuid> = col(r, "group_id")?;
    Ok(Channel {
        id: ChannelId(col(r, "id")?),
        org_id: OrgId(col(r, "org_id")?),
        kind: ChannelKind::parse(&kind).ok_or_else(|| corrupt("channels.kind", &kind))?,
        name: col(r, "name")?,
        classification: col(r, "classification")?,
        group_id: group.map(GroupId),
        created_at: col(r, "created_at")?,
    })
}

fn subject(channel: ChannelId) -> String {
    format!("channel:{channel}")
}

/// The channel if `account` (of `org`) may see it; `NotFound` otherwise.
pub async fn channel_for(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    channel: ChannelId,
) -> StoreResult<Channel> {
    let row = sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels c JOIN accounts a ON a.id = $3 AND a.org_id = c.org_id \
         WHERE c.org_id = $1 AND c.id = $2 AND {MAY_SEE}"
    ))
    .bind(org.0)
    .bind(channel.0)
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    channel_from_row(&row)
}

pub async fn channels_for(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
) -> StoreResult<Vec<Channel>> {
    let rows = sqlx::query(&format!(
        "SELECT {CHANNEL_COLUMNS} FROM channels c JOIN accounts a ON a.id = $2 AND a.org_id = c.org_id \
         WHERE c.org_id = $1 AND {MAY_SEE} ORDER BY c.name, c.id"
    ))
    .bind(org.0)
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(channel_from_row).collect()
}

pub async fn channel_audience(
    conn: &mut Conn,
    org: OrgId,
    channel: ChannelId,
) -> StoreResult<Vec<AccountId>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
        "SELECT a.id FROM accounts a JOIN channels c ON c.id = $2 AND c.org_id = a.org_id \
         WHERE a.org_id = $1 AND {MAY_SEE} ORDER BY a.id"
    ))
    .bind(org.0)
    .bind(channel.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(AccountId).collect())
}

/// Adds members who are accounts of `org`; already-members are left as they are. Returns
/// those who were added.
pub(super) async fn insert_members(
    conn: &mut Conn,
    org: OrgId,
    channel: ChannelId,
    members: &[AccountId],
    now: DateTime<Utc>,
) -> StoreResult<Vec<AccountId>> {
    let mut added = Vec::new();
    for (i, member) in members.iter().enumerate() {
        check_account(conn, org, *member)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    StoreError::invalid(&format!("members[{i}]"), Problem::UnknownAccount)
                }
                other => other,
            })?;
        let done = sqlx::query(
            "INSERT INTO channel_members (channel_id, account_id, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(channel.0)
        .bind(member.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        if done.rows_affected() == 1 {
            added.push(*member);
        }
    }
    Ok(added)
}

pub async fn create_channel(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    creator: AccountId,
    new: NewChannel,
) -> StoreResult<Channel> {
    check_account(conn, org, creator).await?;
    if let Some(group) = new.group_id {
        let found: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM org_groups WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(group.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::invalid("group_id", Problem::UnknownGroup));
        }
    }
    let channel = Channel {
        id: ChannelId::new(),
        org_id: org,
        kind: new.kind,
        name: new.name,
        classification: new.classification,
        group_id: new.group_id,
        created_at: journal::now(),
    };
    sqlx::query(
        "INSERT INTO channels (id, org_id, kind, name, classification, group_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(channel.id.0)
    .bind(org.0)
    .bind(channel.kind.as_str())
    .bind(&channel.name)
    .bind(&channel.classification)
    .bind(channel.group_id.map(|g| g.0))
    .bind(channel.created_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    // A group's people see its channel through the group (see `MAY_SEE`), so only the
    // creator and those named are added.
    let mut members = vec![creator];
    members.extend(new.members.iter().filter(|m| **m != creator));
    let added = insert_members(conn, org, channel.id, &members, channel.created_at).await?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "channel.created",
            subject(channel.id),
            serde_json::json!({ "channel": &channel, "members": added }),
        ),
    )
    .await?;
    Ok(channel)
}

pub async fn add_channel_members(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    by: AccountId,
    channel: ChannelId,
    members: Vec<AccountId>,
) -> StoreResult<()> {
    channel_for(conn, org, by, channel).await?;
    let added = insert_members(conn, org, channel, &members, journal::now()).await?;
    if !added.is_empty() {
        append_journal(
            conn,
            org,
            actor,
            NewJournalEntry::new(
                "channel.members_added",
                subject(channel),
                serde_json::json!({ "channel_id": channel, "members": added }),
            ),
        )
        .await?;
    }
    Ok(())
}

const MESSAGE_COLUMNS: &str = "m.id, m.channel_id, m.seq, m.thread_root, m.author, m.body, \
    m.announcement, m.version, m.created_at, m.edited_at, m.deleted_at, m.redacted_at";

fn message_from_row(r: &DbRow) -> StoreResult<Message> {
    let root: Option<Uuid> = col(r, "thread_root")?;
    Ok(Message {
        id: MessageId(col(r, "id")?),
        channel_id: ChannelId(col(r, "channel_id")?),
        seq: col(r, "seq")?,
        thread_root: root.map(MessageId),
        author: AccountId(col(r, "author")?),
        body: col(r, "body")?,
        announcement: col(r, "announcement")?,
        version: col(r, "version")?,
        mentions: Vec::new(),
        reactions: Vec::new(),
        attachments: Vec::new(),
        replies: 0,
        created_at: col(r, "created_at")?,
        edited_at: col(r, "edited_at")?,
        deleted_at: col(r, "deleted_at")?,
        redacted_at: col(r, "redacted_at")?,
    })
}

/// `$start, $start+1, …` for an `IN (…)` list of `n` values.
fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fills in mentions, reactions and reply counts for messages read from their table.
async fn complete(conn: &mut Conn, rows: Vec<DbRow>) -> StoreResult<Vec<Message>> {
    let mut messages = rows
        .iter()
        .map(message_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    if messages.is_empty() {
        return Ok(messages);
    }
    let ids: Vec<Uuid> = messages.iter().map(|m| m.id.0).collect();
    let list = placeholders(1, ids.len());
    let index: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();

    let sql = format!(
        "SELECT message_id, account_id FROM message_mentions WHERE message_id IN ({list}) \
         ORDER BY account_id"
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    for r in query.fetch_all(&mut *conn).await.map_err(db)? {
        let message: Uuid = col(&r, "message_id")?;
        if let Some(i) = index.get(&message) {
            messages[*i]
                .mentions
                .push(AccountId(col(&r, "account_id")?));
        }
    }

    let sql = format!(
        "SELECT message_id, account_id, emoji FROM reactions WHERE message_id IN ({list}) \
         ORDER BY reacted_at, account_id"
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    for r in query.fetch_all(&mut *conn).await.map_err(db)? {
        let message: Uuid = col(&r, "message_id")?;
        let emoji: String = col(&r, "emoji")?;
        let account = AccountId(col(&r, "account_id")?);
        if let Some(i) = index.get(&message) {
            let reactions = &mut messages[*i].reactions;
            match reactions.iter_mut().find(|x| x.emoji == emoji) {
                Some(reaction) => reaction.accounts.push(account),
                None => reactions.push(Reaction {
                    emoji,
                    accounts: vec![account],
                }),
            }
        }
    }

    let sql = format!(
        "SELECT id, message_id, filename, size, content_type FROM attachments \
         WHERE message_id IN ({list}) ORDER BY created_at, id"
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    for r in query.fetch_all(&mut *conn).await.map_err(db)? {
        let message: Uuid = col(&r, "message_id")?;
        if let Some(i) = index.get(&message) {
            messages[*i].attachments.push(AttachmentRef {
                id: AttachmentId(col(&r, "id")?),
                filename: col(&r, "filename")?,
                size: col(&r, "size")?,
                content_type: col(&r, "content_type")?,
            });
        }
    }

    let sql = format!(
        "SELECT thread_root, COUNT(*) AS replies FROM messages WHERE thread_root IN ({list}) \
         AND deleted_at IS NULL GROUP BY thread_root"
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    for r in query.fetch_all(&mut *conn).await.map_err(db)? {
        let root: Uuid = col(&r, "thread_root")?;
        if let Some(i) = index.get(&root) {
            messages[*i].replies = col(&r, "replies")?;
        }
    }
    Ok(messages)
}

async fn load_message(conn: &mut Conn, org: OrgId, id: MessageId) -> StoreResult<Message> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.org_id = $1 AND m.id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    complete(conn, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The message, if `account` may see its channel.
pub async fn visible_message(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    id: MessageId,
) -> StoreResult<(Message, Channel)> {
    let message = load_message(conn, org, id).await?;
    let channel = channel_for(conn, org, account, message.channel_id).await?;
    Ok((message, channel))
}

pub async fn message_heads(
    conn: &mut Conn,
    org: OrgId,
    ids: Vec<MessageId>,
) -> StoreResult<Vec<MessageHead>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // By id alone, the organisation checked on each row: with `org_id = $1` beside the
    // list, SQLite walks the organisation's (org, seq) index over every message it has.
    let sql = format!(
        "SELECT id, channel_id, author, created_at, deleted_at, org_id FROM messages \
         WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in &ids {
        query = query.bind(id.0);
    }
    let mut found: HashMap<MessageId, MessageHead> = HashMap::with_capacity(ids.len());
    for row in query.fetch_all(&mut *conn).await.map_err(db)? {
        if col::<Uuid>(&row, "org_id")? != org.0 {
            continue;
        }
        let head = MessageHead {
            id: MessageId(col(&row, "id")?),
            channel_id: ChannelId(col(&row, "channel_id")?),
            author: AccountId(col(&row, "author")?),
            created_at: col(&row, "created_at")?,
            deleted: col::<Option<DateTime<Utc>>>(&row, "deleted_at")?.is_some(),
        };
        found.insert(head.id, head);
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

pub async fn post_message(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    author: AccountId,
    new: NewMessage,
) -> StoreResult<Posted> {
    if let Some(key) = &new.idempotency_key {
        let earlier = sqlx::query(
            "SELECT id, channel_id, body FROM messages WHERE author = $1 AND idempotency_key = $2",
        )
        .bind(author.0)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        if let Some(r) = earlier {
            let channel: Uuid = col(&r, "channel_id")?;
            let body: String = col(&r, "body")?;
            if channel != new.channel.0 || body != new.body {
                return Err(StoreError::Conflict(Conflict::MessageIdempotencyKey));
            }
            let message = load_message(conn, org, MessageId(col(&r, "id")?)).await?;
            return Ok(Posted {
                message,
                created: false,
            });
        }
    }
    let channel = channel_for(conn, org, author, new.channel).await?;
    // An answer to an answer joins the thread of the first message.
    let thread_root = match new.thread_root {
        None => None,
        Some(parent) => {
            let row = sqlx::query(
                "SELECT id, thread_root FROM messages WHERE org_id = $1 AND id = $2 AND channel_id = $3",
            )
            .bind(org.0)
            .bind(parent.0)
            .bind(new.channel.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::invalid("thread_root", Problem::UnknownMessage))?;
            let root: Option<Uuid> = col(&row, "thread_root")?;
            Some(MessageId(root.unwrap_or(parent.0)))
        }
    };
    let audience = channel_audience(conn, org, new.channel).await?;
    let send_out = match (new.announcement, new.send_out) {
        (true, Some(send)) => Some((send, people_reached(conn, org, &channel, author).await?)),
        _ => None,
    };
    // An announcement asks each reader to confirm: to nobody it would show "0 of 0
    // confirmed" as if it had gone out.
    let nobody_in_app = audience.iter().all(|a| *a == author);
    let nobody_beyond = send_out
        .as_ref()
        .is_none_or(|(_, people)| people.is_empty());
    if new.announcement && nobody_in_app && nobody_beyond {
        return Err(StoreError::invalid("announcement", Problem::NoAudience));
    }
    let mut mentions: Vec<AccountId> = new
        .mentions
        .iter()
        .filter(|m| audience.contains(m))
        .copied()
        .collect();
    mentions.sort();
    mentions.dedup();
    let now = journal::now();
    let id = MessageId::new();
    let entry = append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "message.posted",
            subject(new.channel),
            serde_json::json!({
                "id": id,
                "channel_id": new.channel,
                "thread_root": thread_root,
                "author": author,
                "body": &new.body,
                "announcement": new.announcement,
                "mentions": &mentions,
                "attachments": &new.attachments,
            }),
        ),
    )
    .await?;
    sqlx::query(
        "INSERT INTO messages (id, org_id, channel_id, seq, thread_root, author, body, \
         announcement, version, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)",
    )
    .bind(id.0)
    .bind(org.0)
    .bind(new.channel.0)
    .bind(entry.seq)
    .bind(thread_root.map(|r| r.0))
    .bind(author.0)
    .bind(&new.body)
    .bind(new.announcement)
    .bind(&new.idempotency_key)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO message_versions (message_id, version, body, written_at) VALUES ($1, 1, $2, $3)",
    )
    .bind(id.0)
    .bind(&new.body)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    for mention in &mentions {
        sqlx::query("INSERT INTO message_mentions (message_id, account_id) VALUES ($1, $2)")
            .bind(id.0)
            .bind(mention.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    let mut attachments = Vec::new();
    for (i, attachment) in new.attachments.iter().enumerate() {
        let row = sqlx::query(
            "UPDATE attachments SET message_id = $1 WHERE id = $2 AND org_id = $3 \
             AND uploaded_by = $4 AND message_id IS NULL \
             RETURNING id, filename, size, content_type",
        )
        .bind(id.0)
        .bind(attachment.0)
        .bind(org.0)
        .bind(author.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::invalid(&format!("attachments[{i}]"), Problem::NotYourUpload))?;
        attachments.push(AttachmentRef {
            id: AttachmentId(col(&row, "id")?),
            filename: col(&row, "filename")?,
            size: col(&row, "size")?,
            content_type: col(&row, "content_type")?,
        });
    }
    if new.announcement {
        for person in audience.iter().filter(|a| **a != author) {
            sqlx::query(
                "INSERT INTO receipts (message_id, account_id, sent_at) VALUES ($1, $2, $3)",
            )
            .bind(id.0)
            .bind(person.0)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        }
    }
    if let Some((send, people)) = send_out {
        let message = (id, new.body.as_str(), author);
        send_out_announcement(conn, actor, org, message, people, send).await?;
    }
    Ok(Posted {
        message: Message {
            id,
            channel_id: new.channel,
            seq: entry.seq,
            thread_root,
            author,
            body: new.body,
            announcement: new.announcement,
            version: 1,
            mentions,
            reactions: Vec::new(),
            attachments,
            replies: 0,
            created_at: now,
            edited_at: None,
            deleted_at: None,
            redacted_at: None,
        },
        created: true,
    })
}

/// The people an announcement sent out reaches, but its author: everyone who can see the
/// channel, and each person without an account who would see it with one (for the
/// organisation's channels everyone in the register, for a group's channel the group's
/// people).
async fn people_reached(
    conn: &mut Conn,
    org: OrgId,
    channel: &Channel,
    author: AccountId,
) -> StoreResult<Vec<PersonId>> {
    let without_account = "NOT EXISTS (SELECT 1 FROM accounts x WHERE x.person_id = p.id)";
    let beyond = match channel.kind {
        ChannelKind::Org => without_account.to_owned(),
        ChannelKind::Group => format!(
            "{without_account} AND EXISTS (SELECT 1 FROM group_members g \
             WHERE g.group_id = c.group_id AND g.person_id = p.id)"
        ),
        ChannelKind::Incident | ChannelKind::Direct => "1 = 0".to_owned(),
    };
    let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
        "SELECT p.id FROM people p JOIN channels c ON c.id = $2 \
         WHERE p.org_id = $1 AND p.active \
         AND p.id <> (SELECT person_id FROM accounts WHERE id = $3) \
         AND (({beyond}) OR EXISTS (SELECT 1 FROM accounts a \
             WHERE a.org_id = $1 AND a.person_id = p.id AND {MAY_SEE})) \
         ORDER BY p.name, p.id"
    ))
    .bind(org.0)
    .bind(channel.id.0)
    .bind(author.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    Ok(ids.into_iter().map(PersonId).collect())
}

/// Sends an announcement beyond the app as an alert that names it, in the transaction that
/// posts it: an acknowledgement asked of each person on their contact points in order.
/// The alert's copy of the text is what its messages and answer pages show.
async fn send_out_announcement(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    (message, body, author): (MessageId, &str, AccountId),
    people: Vec<PersonId>,
    send: SendOut,
) -> StoreResult<()> {
    let new = NewAlert {
        created_by: Some(author),
        message: body.to_owned(),
        severity: Severity::Info,
        recipients: Recipients {
            people,
            groups: Vec::new(),
            positions: Vec::new(),
            deputies: false,
        },
        options: Vec::new(),
        exercise: false,
        schedule: send.schedule,
        escalation: None,
        contact_check_until: None,
        announcement: Some(message),
    };
    super::alerting::create_alert(conn, actor, org, new, send.at).await?;
    Ok(())
}

/// A confirmation in the app answers the announcement's alert too, if it was sent out: no
/// more SMS or email goes to the person, and the roster shows where they confirmed.
async fn confirm_sent_out(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    message: MessageId,
    by: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let found = sqlx::query(
        "SELECT al.id AS alert_id, a.person_id FROM alerts al JOIN accounts a ON a.id = $3 \
         WHERE al.org_id = $1 AND al.message_id = $2 AND al.status = 'active'",
    )
    .bind(org.0)
    .bind(message.0)
    .bind(by.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(row) = found else {
        return Ok(());
    };
    let answer = beredskap_core::alerting::Answer {
        person: PersonId(col(&row, "person_id")?),
        choice: None,
        via: "web".to_owned(),
        at: now,
    };
    let alert = beredskap_core::AlertId(col(&row, "alert_id")?);
    match super::alerting::answer_alert(conn, actor, org, alert, answer).await {
        // Not among those it was sent to (given an account or added to the channel since).
        Ok(_) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Takes a message's text out of the channel (every version stays in `message_versions`
/// and the journal); returns the journal entry's kind and payload for the caller to write.
async fn delete_text(
    conn: &mut Conn,
    id: MessageId,
    channel: ChannelId,
    now: DateTime<Utc>,
) -> StoreResult<(&'static str, serde_json::Value)> {
    sqlx::query("UPDATE messages SET body = '', deleted_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    // An announcement sent out is withdrawn with it: nothing more goes out, and no one is
    // asked to confirm what is gone.
    let withdrawn: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM alerts WHERE message_id = $1 AND status = 'active'")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    let mut payload = serde_json::json!({ "id": id, "channel_id": channel });
    if let Some(alert) = withdrawn.map(beredskap_core::AlertId) {
        // Quietly: nobody is sent word of it, unlike an alert cancelled by hand.
        let cancelled =
            super::alerting::stop_alert(conn, alert, AlertStatus::Cancelled, now).await?;
        payload["withdrawn_alert"] = serde_json::json!(alert);
        payload["cancelled_deliveries"] = serde_json::json!(cancelled);
    }
    Ok(("message.deleted", payload))
}

pub async fn change_message(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    by: AccountId,
    id: MessageId,
    change: MessageChange,
) -> StoreResult<Message> {
    let (message, channel) = visible_message(conn, org, by, id).await?;
    let now = journal::now();
    if message.deleted_at.is_some() && !matches!(change, MessageChange::Seen) {
        return Err(StoreError::Conflict(Conflict::MessageDeleted));
    }
    let (kind, payload) = match change {
        MessageChange::Edit(body) => {
            if message.author != by {
                return Err(StoreError::Forbidden("only the author may edit a message"));
            }
            if body == message.body {
                return Ok(message);
            }
            let version = message.version + 1;
            sqlx::query(
                "UPDATE messages SET body = $2, version = $3, edited_at = $4 WHERE id = $1",
            )
            .bind(id.0)
            .bind(&body)
            .bind(version)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            sqlx::query(
                "INSERT INTO message_versions (message_id, version, body, written_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id.0)
            .bind(version)
            .bind(&body)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            // What is still to be sent out, and its answer page, say what the message
            // says now.
            sqlx::query("UPDATE alerts SET message = $2 WHERE message_id = $1")
                .bind(id.0)
                .bind(&body)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            (
                "message.edited",
                serde_json::json!({ "id": id, "channel_id": channel.id, "version": version, "body": body }),
            )
        }
        // Whether someone else's message may be deleted is the use case's to decide.
        MessageChange::Delete => delete_text(conn, id, channel.id, now).await?,
        MessageChange::React(emoji) => {
            let done = sqlx::query(
                "INSERT INTO reactions (message_id, account_id, emoji, reacted_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(id.0)
            .bind(by.0)
            .bind(&emoji)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            if done.rows_affected() == 0 {
                return Ok(message);
            }
            (
                "reaction.added",
                serde_json::json!({ "message": id, "channel_id": channel.id, "account": by, "emoji": emoji }),
            )
        }
        MessageChange::Unreact(emoji) => {
            let done = sqlx::query(
                "DELETE FROM reactions WHERE message_id = $1 AND account_id = $2 AND emoji = $3",
            )
            .bind(id.0)
            .bind(by.0)
            .bind(&emoji)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
            if done.rows_affected() == 0 {
                return Ok(message);
            }
            (
                "reaction.removed",
                serde_json::json!({ "message": id, "channel_id": channel.id, "account": by, "emoji": emoji }),
            )
        }
        MessageChange::Seen | MessageChange::Confirm => {
            if !message.announcement {
                return Err(StoreError::Conflict(Conflict::MessageNotAnnouncement));
            }
            let confirm = change == MessageChange::Confirm;
            let sql = if confirm {
                "UPDATE receipts SET confirmed_at = $3, seen_at = COALESCE(seen_at, $3) \
                 WHERE message_id = $1 AND account_id = $2 AND confirmed_at IS NULL"
            } else {
                "UPDATE receipts SET seen_at = $3 \
                 WHERE message_id = $1 AND account_id = $2 AND seen_at IS NULL"
            };
            let done = sqlx::query(sql)
                .bind(id.0)
                .bind(by.0)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            if done.rows_affected() == 0 {
                return Ok(message);
            }
            if confirm {
                confirm_sent_out(conn, actor, org, id, by, now).await?;
            }
            (
                if confirm {
                    "announcement.confirmed"
                } else {
                    "announcement.seen"
                },
                // The author is named so live updates of the roster go to them alone.
                serde_json::json!({
                    "message": id,
                    "channel_id": channel.id,
                    "account": by,
                    "author": message.author,
                }),
            )
        }
    };
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(kind, subject(channel.id), payload),
    )
    .await?;
    load_message(conn, org, id).await
}

pub async fn channel_messages(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    channel: ChannelId,
    page: Page,
) -> StoreResult<Vec<Message>> {
    channel_for(conn, org, account, channel).await?;
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.channel_id = $1 \
         AND m.thread_root IS NULL AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3"
    ))
    .bind(channel.0)
    .bind(page.before.unwrap_or(i64::MAX))
    .bind(i64::from(page.limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut messages = complete(conn, rows).await?;
    messages.reverse();
    Ok(messages)
}

pub async fn thread(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    root: MessageId,
) -> StoreResult<Vec<Message>> {
    let (first, _) = visible_message(conn, org, account, root).await?;
    let root = first.thread_root.unwrap_or(first.id);
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.org_id = $1 \
         AND (m.id = $2 OR m.thread_root = $2) ORDER BY m.seq"
    ))
    .bind(org.0)
    .bind(root.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    complete(conn, rows).await
}

pub async fn message_versions(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    id: MessageId,
) -> StoreResult<Vec<(i32, String, DateTime<Utc>)>> {
    // Whether a deleted message's versions may be read is the use case's to decide.
    visible_message(conn, org, account, id).await?;
    let rows = sqlx::query(
        "SELECT version, body, written_at FROM message_versions WHERE message_id = $1 ORDER BY version",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| Ok((col(r, "version")?, col(r, "body")?, col(r, "written_at")?)))
        .collect()
}

/// Journal rows written before payload hashes commit to their payload: removing it would
/// break the chain.
fn recorded_before_redaction() -> StoreError {
    StoreError::invalid("message", Problem::NotRedactable)
}

/// The message kinds whose journal payload carries a message's text.
const TEXT_KINDS: [&str; 2] = ["message.posted", "message.edited"];

pub async fn redact_message(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    id: MessageId,
    reason: String,
) -> StoreResult<Redacted> {
    // The rows to redact may have been appended earlier in this batch.
    write_deferred_journal(conn).await?;
    let message = load_message(conn, org, id).await?;
    if message.redacted_at.is_some() {
        return Err(StoreError::Conflict(Conflict::MessageRedacted));
    }
    let subject = subject(message.channel_id);
    // Every journal row that carries this message's text: its posting and its edits.
    let rows = sqlx::query(
        "SELECT seq, kind, payload, payload_hash FROM journal \
         WHERE org_id = $1 AND subject = $2 AND seq >= $3 AND kind IN ($4, $5) ORDER BY seq",
    )
    .bind(org.0)
    .bind(&subject)
    .bind(message.seq)
    .bind(TEXT_KINDS[0])
    .bind(TEXT_KINDS[1])
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut seqs = Vec::new();
    for r in &rows {
        let payload: String = col(r, "payload")?;
        let value: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        if value.get("id").and_then(|v| v.as_str()) != Some(id.to_string().as_str()) {
            continue;
        }
        let hash: Option<String> = col(r, "payload_hash")?;
        if hash.is_none() {
            return Err(recorded_before_redaction());
        }
        seqs.push(col::<i64>(r, "seq")?);
    }
    // A file's name can hold the same mistake: the uploads' rows are redacted too.
    for file in &message.attachments {
        let rows = sqlx::query(
            "SELECT seq, payload_hash FROM journal \
             WHERE org_id = $1 AND subject = $2 AND kind = 'attachment.uploaded'",
        )
        .bind(org.0)
        .bind(format!("attachment:{}", file.id))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        for r in &rows {
            let hash: Option<String> = col(r, "payload_hash")?;
            if hash.is_none() {
                return Err(recorded_before_redaction());
            }
            seqs.push(col::<i64>(r, "seq")?);
        }
    }
    seqs.sort_unstable();
    let now = journal::now();
    if message.deleted_at.is_none() {
        // Deleted first, as members see it: the text leaves channels, search and live views.
        let (kind, payload) = delete_text(conn, id, message.channel_id, now).await?;
        append_journal(
            conn,
            org,
            actor,
            NewJournalEntry::new(kind, subject.clone(), payload),
        )
        .await?;
    }
    let recorded = append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            journal::REDACTED_KIND,
            format!("message:{id}"),
            serde_json::json!({
                "message": id,
                "channel_id": message.channel_id,
                "seqs": &seqs,
                "reason": reason,
            }),
        ),
    )
    .await?;
    for seq in &seqs {
        sqlx::query(
            "INSERT INTO journal_redactions (org_id, seq, redaction_seq) VALUES ($1, $2, $3)",
        )
        .bind(org.0)
        .bind(seq)
        .bind(recorded.seq)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE journal SET payload = $3 WHERE org_id = $1 AND seq = $2")
            .bind(org.0)
            .bind(seq)
            .bind(journal::REDACTED_PAYLOAD)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    // The copy an announcement sent out kept for its answer pages goes too.
    sqlx::query("UPDATE alerts SET message = '' WHERE message_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("UPDATE message_versions SET body = '' WHERE message_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("UPDATE messages SET redacted_at = $2 WHERE id = $1")
        .bind(id.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    // A file can hold the same mistake: its records go, and files nothing else uses are
    // handed back for the caller to delete.
    let files: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments WHERE message_id = $1")
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    sqlx::query("DELETE FROM attachments WHERE message_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let mut unreferenced_files = Vec::new();
    for sha in files {
        let still_used: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM attachments WHERE sha256 = $1 LIMIT 1")
                .bind(&sha)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        if still_used.is_none() {
            unreferenced_files.push(sha);
        }
    }
    Ok(Redacted {
        message: load_message(conn, org, id).await?,
        seqs,
        redaction_seq: recorded.seq,
        unreferenced_files,
    })
}

pub async fn deleted_messages(
    conn: &mut Conn,
    org: OrgId,
    ids: Vec<MessageId>,
) -> StoreResult<std::collections::HashSet<MessageId>> {
    let mut deleted = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id FROM messages WHERE org_id = $1 AND deleted_at IS NOT NULL AND id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, Uuid>(&sql).bind(org.0);
        for id in chunk {
            query = query.bind(id.0);
        }
        for id in query.fetch_all(&mut *conn).await.map_err(db)? {
            deleted.insert(MessageId(id));
        }
    }
    Ok(deleted)
}

pub async fn receipts(conn: &mut Conn, org: OrgId, id: MessageId) -> StoreResult<Vec<Receipt>> {
    load_message(conn, org, id).await?;
    let rows = sqlx::query(
        "SELECT account_id, sent_at, seen_at, confirmed_at FROM receipts WHERE message_id = $1 \
         ORDER BY account_id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Receipt {
                account_id: AccountId(col(r, "account_id")?),
                sent_at: col(r, "sent_at")?,
                seen_at: col(r, "seen_at")?,
                confirmed_at: col(r, "confirmed_at")?,
            })
        })
        .collect()
}

pub async fn unconfirmed_announcements(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
) -> StoreResult<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM receipts r JOIN messages m ON m.id = r.message_id \
         WHERE r.account_id = $1 AND m.org_id = $2 AND r.confirmed_at IS NULL \
         AND m.deleted_at IS NULL ORDER BY m.seq"
    ))
    .bind(account.0)
    .bind(org.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    complete(conn, rows).await
}

fn attachment_from_row(r: &DbRow) -> StoreResult<Attachment> {
    let message: Option<Uuid> = col(r, "message_id")?;
    Ok(Attachment {
        id: AttachmentId(col(r, "id")?),
        message_id: message.map(MessageId),
        uploaded_by: AccountId(col(r, "uploaded_by")?),
        sha256: col(r, "sha256")?,
        size: col(r, "size")?,
        content_type: col(r, "content_type")?,
        filename: col(r, "filename")?,
        created_at: col(r, "created_at")?,
    })
}

const ATTACHMENT_COLUMNS: &str = "t.id, t.message_id, t.uploaded_by, t.sha256, t.size, \
    t.content_type, t.filename, t.created_at";

pub async fn add_attachment(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    by: AccountId,
    new: NewAttachment,
) -> StoreResult<Attachment> {
    check_account(conn, org, by).await?;
    let attachment = Attachment {
        id: AttachmentId::new(),
        message_id: None,
        uploaded_by: by,
        sha256: new.sha256,
        size: new.size,
        content_type: new.content_type,
        filename: new.filename,
        created_at: journal::now(),
    };
    sqlx::query(
        "INSERT INTO attachments (id, org_id, uploaded_by, sha256, size, content_type, filename, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(attachment.id.0)
    .bind(org.0)
    .bind(by.0)
    .bind(&attachment.sha256)
    .bind(attachment.size)
    .bind(&attachment.content_type)
    .bind(&attachment.filename)
    .bind(attachment.created_at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    append_journal(
        conn,
        org,
        actor,
        NewJournalEntry::new(
            "attachment.uploaded",
            format!("attachment:{}", attachment.id),
            &attachment,
        ),
    )
    .await?;
    Ok(attachment)
}

pub async fn attachment_for(
    conn: &mut Conn,
    org: OrgId,
    account: AccountId,
    id: AttachmentId,
) -> StoreResult<Attachment> {
    let row = sqlx::query(&format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments t WHERE t.org_id = $1 AND t.id = $2"
    ))
    .bind(org.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    let attachment = attachment_from_row(&row)?;
    match attachment.message_id {
        None if attachment.uploaded_by == account => Ok(attachment),
        None => Err(StoreError::NotFound),
        Some(message) => {
            let message = load_message(conn, org, message).await?;
            if message.deleted_at.is_some() {
                return Err(StoreError::NotFound);
            }
            channel_for(conn, org, account, message.channel_id).await?;
            Ok(attachment)
        }
    }
}

pub async fn set_classifications(
    conn: &mut Conn,
    actor: &Actor,
    org: OrgId,
    labels: Vec<String>,
) -> StoreResult<Org> {
    let labels = beredskap_core::conversation::parse_classifications(&labels)
        .map_err(StoreError::Invalid)?;
    let updated = sqlx::query("UPDATE orgs SET classifications = $2 WHERE id = $1")
        .bind(org.0)
        .bind(labels.join("\n"))
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
            "org.classifications_changed",
            format!("org:{org}"),
            serde_json::json!({ "classifications": labels }),
        ),
    )
    .await?;
    super::org(conn, org).await?.ok_or(StoreError::NotFound)
}

pub async fn display_names(
    conn: &mut Conn,
    org: OrgId,
    mut accounts: Vec<AccountId>,
) -> StoreResult<HashMap<AccountId, String>> {
    accounts.sort();
    accounts.dedup();
    if accounts.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT a.id, p.name FROM accounts a JOIN people p ON p.id = a.person_id \
         WHERE a.org_id = $1 AND a.id IN ({})",
        placeholders(2, accounts.len())
    );
    let mut query = sqlx::query(&sql).bind(org.0);
    for account in &accounts {
        query = query.bind(account.0);
    }
    query
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .iter()
        .map(|r| Ok((AccountId(col(r, "id")?), col(r, "name")?)))
        .collect()
}
