//! Conversation: channels, posting, edits and reactions, announcements and who has read
//! them, redaction. Each change is published to live clients after it commits, and the
//! search indexer is woken for text that changed.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::alerting::Schedule;
use beredskap_core::conversation::{
    mentioned_names, mentions_by_name, parse_body, parse_emoji, parse_idempotency_key, Channel,
    ChannelKind, Message, MessageChange, NewChannel, NewMessage, Posted, Receipt, SendOut,
};
use beredskap_core::register::{Account, Org};
use beredskap_core::{AccountId, AttachmentId, ChannelId, FieldErrors, MessageId};
use serde::Deserialize;
use utoipa::ToSchema;

/// A message as a client sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    #[schema(min_length = 1, max_length = 20000, format = "many-lines-text")]
    pub body: String,
    /// Answer in the thread of this message.
    #[serde(default)]
    pub thread_root: Option<MessageId>,
    /// Must be confirmed read by everyone in the channel (crisis leads and administrators).
    #[serde(default)]
    pub announcement: bool,
    /// Also send it by SMS, email and push to everyone in the channel's audience,
    /// including people without an account, through the alerting outbox; each is asked
    /// to confirm by link or SMS reply, and the announcement's roster is the alert's
    /// (crisis leads and administrators; makes the message an announcement).
    #[serde(default)]
    pub send_out: bool,
    /// Any text unique to this post, chosen by the client; a retried post with the same
    /// key lands once. May also be sent as the `Idempotency-Key` header.
    #[serde(default)]
    #[schema(
        pattern = "^[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[\\u0000-\\u0008\\u000e-\\u001f\\u0021-\\u007f](?:[\\u0000-\\u007f]{0,198}[\\u0000-\\u0008\\u000e-\\u001f\\u0021-\\u007f])?[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
    )]
    pub idempotency_key: Option<String>,
    /// Files uploaded beforehand (`POST …/attachments`) to attach.
    #[serde(default)]
    pub attachments: Vec<AttachmentId>,
}

/// Longest reason an administrator may give for a redaction.
pub const MAX_REDACTION_REASON_CHARS: usize = 500;

fn invalid(e: beredskap_core::FieldError) -> Error {
    Error::Invalid(FieldErrors(vec![e]))
}

/// The account a conversation use case acts as: conversation is between people, so an
/// operator or Beredskap itself has no part in it.
pub(crate) fn person(caller: &Caller, use_case: UseCase) -> Result<&Account, Error> {
    permit(caller, use_case)?;
    caller.account().ok_or(Error::Refused {
        use_case,
        least: use_case.least(),
    })
}

pub async fn create_channel(
    app: &App,
    caller: &Caller,
    org: &Org,
    new: NewChannel,
) -> Result<Channel, Error> {
    if new.kind == ChannelKind::Org {
        permit(caller, UseCase::CreateOrgChannel)?;
    }
    let by = person(caller, UseCase::CreateChannel)?;
    let new = new.validate(&org.classifications).map_err(Error::Invalid)?;
    let channel = app
        .store
        .create_channel(&caller.actor(), org.id, by.id, new)
        .await?;
    app.wake.published(org.id).await;
    Ok(channel)
}

pub async fn add_members(
    app: &App,
    caller: &Caller,
    org: &Org,
    channel: ChannelId,
    members: Vec<AccountId>,
) -> Result<(), Error> {
    let by = person(caller, UseCase::InviteToChannel)?;
    app.store
        .add_channel_members(&caller.actor(), org.id, by.id, channel, members)
        .await?;
    app.wake.published(org.id).await;
    Ok(())
}

/// The accounts named with `@` in a body: by their name in the register (`@Erik
/// Johansson`), by the part of their sign-in before `@`, or by the whole sign-in.
async fn mentions(app: &App, org: &Org, body: &str) -> Result<Vec<AccountId>, Error> {
    let names = mentioned_names(body);
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let people: std::collections::HashMap<beredskap_core::PersonId, String> = app
        .store
        .list_people(org.id)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    Ok(app
        .store
        .list_accounts(org.id)
        .await?
        .into_iter()
        .filter(|a| {
            let login = a.login.as_str().to_lowercase();
            let local = login.split('@').next().unwrap_or_default().to_owned();
            names.iter().any(|n| *n == login || *n == local)
                || people
                    .get(&a.person_id)
                    .is_some_and(|name| mentions_by_name(body, name))
        })
        .map(|a| a.id)
        .collect())
}

/// Suggestions offered at most as someone types a mention.
pub const MENTION_SUGGESTIONS: usize = 8;

/// The names a person may mention that fit what they have typed after `@` ("er", "Erik
/// Jo"): people with an account, whose name or one of its words begins with it, those
/// whose name begins with it first. Guests, who do not see the register, get none.
pub async fn mention_suggestions(
    app: &App,
    caller: &Caller,
    org: &Org,
    typed: &str,
) -> Result<Vec<String>, Error> {
    permit(caller, UseCase::ReadConversation)?;
    let typed = typed.trim().to_lowercase();
    if typed.is_empty()
        || typed.chars().count() > 40
        || !crate::policy::allows(caller, UseCase::ReadRegister)
    {
        return Ok(Vec::new());
    }
    let with_account: std::collections::HashSet<beredskap_core::PersonId> = app
        .store
        .list_accounts(org.id)
        .await?
        .into_iter()
        .map(|a| a.person_id)
        .collect();
    let mut found: Vec<(bool, String)> = app
        .store
        .list_people(org.id)
        .await?
        .into_iter()
        .filter(|p| p.active && with_account.contains(&p.id))
        .filter_map(|p| {
            let lower = p.name.to_lowercase();
            let whole = lower.starts_with(&typed);
            let word = lower
                .split([' ', '-'])
                .skip(1)
                .any(|w| w.starts_with(&typed));
            (whole || word).then_some((!whole, p.name))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    found.dedup_by(|a, b| a.1 == b.1);
    Ok(found
        .into_iter()
        .take(MENTION_SUGGESTIONS)
        .map(|(_, name)| name)
        .collect())
}

/// How long an announcement sent out waits for a confirmation before it tries the
/// person's next contact point.
const SEND_OUT_STEP: chrono::Duration = chrono::Duration::minutes(5);

/// Posts a message in a channel the person is in (the store checks membership).
pub async fn post(
    app: &App,
    caller: &Caller,
    org: &Org,
    channel: ChannelId,
    input: PostInput,
) -> Result<Posted, Error> {
    let announcement = input.announcement || input.send_out;
    if announcement {
        permit(caller, UseCase::Announce)?;
    }
    if input.send_out {
        permit(caller, UseCase::SendAlert)?;
    }
    let by = person(caller, UseCase::Post)?;
    let body = parse_body(&input.body).map_err(invalid)?;
    let idempotency_key = input
        .idempotency_key
        .as_deref()
        .map(parse_idempotency_key)
        .transpose()
        .map_err(invalid)?;
    let mentions = mentions(app, org, &body).await?;
    let posted = app
        .store
        .post_message(
            &caller.actor(),
            org.id,
            by.id,
            NewMessage {
                channel,
                thread_root: input.thread_root,
                body,
                announcement,
                mentions,
                attachments: input.attachments,
                idempotency_key,
                send_out: input.send_out.then(|| SendOut {
                    schedule: Schedule::once(SEND_OUT_STEP),
                    at: app.clock.now(),
                }),
            },
        )
        .await?;
    if posted.created {
        if input.send_out {
            app.wake.deliveries_due();
        }
        app.wake.published(org.id).await;
        app.wake.search_due();
    }
    Ok(posted)
}

/// Edits, deletes, reacts to, confirms or marks a message seen (the store checks that an
/// edit or deletion is the author's own).
pub async fn change(
    app: &App,
    caller: &Caller,
    org: &Org,
    message: MessageId,
    change: MessageChange,
) -> Result<Message, Error> {
    let by = person(caller, UseCase::ChangeMessage)?;
    if change == MessageChange::Delete {
        let (found, _) = app.store.message_for(org.id, by.id, message).await?;
        if found.author != by.id {
            permit(caller, UseCase::DeleteOthersMessages)?;
        }
    }
    let change = match change {
        MessageChange::Edit(body) => MessageChange::Edit(parse_body(&body).map_err(invalid)?),
        MessageChange::React(e) => MessageChange::React(parse_emoji(&e).map_err(invalid)?),
        MessageChange::Unreact(e) => MessageChange::Unreact(parse_emoji(&e).map_err(invalid)?),
        other => other,
    };
    let message = app
        .store
        .change_message(&caller.actor(), org.id, by.id, message, change)
        .await?;
    app.wake.published(org.id).await;
    app.wake.search_due();
    Ok(message)
}

/// Removes a message's text posted by mistake from the channel, every version, the search
/// index, its files and the journal (administrators only); the redaction and its reason
/// are journaled and the chain stays verifiable.
pub async fn redact(
    app: &App,
    caller: &Caller,
    org: &Org,
    message: MessageId,
    reason: &str,
) -> Result<Message, Error> {
    // Before the reason is looked at: someone who may not redact learns nothing more.
    person(caller, UseCase::Redact)?;
    let lines = beredskap_core::text::Lines::One;
    let reason =
        beredskap_core::text::required("reason", reason, MAX_REDACTION_REASON_CHARS, lines)
            .map_err(invalid)?;
    let redacted = app
        .store
        .redact_message(&caller.actor(), org.id, message, reason)
        .await?;
    app.wake.published(org.id).await;
    app.wake.redacted(redacted.unreferenced_files).await;
    Ok(redacted.message)
}

/// Who an announcement went to and where they stand: the app's receipts, and when it was
/// sent out beyond the app, the alert carrying it, whose roster has everyone.
#[derive(Debug, Clone)]
pub struct AnnouncementRoster {
    pub message: Message,
    pub receipts: Vec<Receipt>,
    pub sent_out: Option<beredskap_core::AlertId>,
}

/// An announcement's roster: for its author, and for crisis leads and administrators.
pub async fn roster(
    app: &App,
    caller: &Caller,
    org: &Org,
    message: MessageId,
) -> Result<AnnouncementRoster, Error> {
    let by = person(caller, UseCase::Post)?;
    let (message, _) = app.store.message_for(org.id, by.id, message).await?;
    if !message.announcement {
        return Err(beredskap_core::StoreError::NotFound.into());
    }
    if message.author != by.id {
        permit(caller, UseCase::SeeWhoRead)?;
    }
    let receipts = app.store.receipts(org.id, message.id).await?;
    let sent_out = app.store.announcement_alert(org.id, message.id).await?;
    Ok(AnnouncementRoster {
        message,
        receipts,
        sent_out,
    })
}

/// Longest search text.
pub const MAX_SEARCH_CHARS: usize = 500;

/// One search result.
#[derive(Debug, Clone)]
pub struct Hit {
    pub message: MessageId,
    pub channel: ChannelId,
    pub seq: i64,
    /// The matching passage, HTML-escaped, with the matched words in `<b>`.
    pub snippet_html: String,
    /// Who wrote it, when and where, as the searcher sees them (filled in by [`search`]
    /// from the message itself; the index knows only the words).
    pub about: Option<HitAbout>,
}

/// A hit's author, time and channel.
#[derive(Debug, Clone)]
pub struct HitAbout {
    pub author: beredskap_core::AccountId,
    pub author_name: String,
    pub posted_at: chrono::DateTime<chrono::Utc>,
    pub channel_name: String,
}

/// Where messages are found by their words.
#[async_trait::async_trait]
pub trait MessageIndex: Send + Sync {
    /// Messages of `org` in `channels` that match `words`, best first.
    async fn search(
        &self,
        org: &Org,
        channels: Vec<ChannelId>,
        words: String,
    ) -> Result<Vec<Hit>, Error>;
}

/// Messages the person may see (in channels they are in) that match `words`, best first.
pub async fn search(
    app: &App,
    index: &dyn MessageIndex,
    caller: &Caller,
    org: &Org,
    words: &str,
) -> Result<Vec<Hit>, Error> {
    let by = person(caller, UseCase::ReadConversation)?;
    if words.chars().count() > MAX_SEARCH_CHARS {
        let problem = beredskap_core::Problem::TooLong {
            max: MAX_SEARCH_CHARS,
        };
        return Err(Error::Invalid(FieldErrors::single("q", problem)));
    }
    let seen: std::collections::HashMap<ChannelId, String> = app
        .store
        .channels_for(org.id, by.id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let hits = index
        .search(org, seen.keys().copied().collect(), words.to_owned())
        .await?;
    // Each hit read again as the searcher may see it now: a message deleted or moved out of
    // their sight since it was indexed is not shown. One read for all of them.
    let ids = hits.iter().map(|h| h.message).collect();
    let messages: std::collections::HashMap<MessageId, beredskap_core::conversation::MessageHead> =
        app.store
            .message_heads(org.id, ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let mut found = Vec::with_capacity(hits.len());
    for mut hit in hits {
        let Some(message) = messages.get(&hit.message) else {
            continue;
        };
        let Some(channel_name) = seen.get(&message.channel_id) else {
            continue;
        };
        if message.deleted {
            continue;
        }
        hit.about = Some(HitAbout {
            author: message.author,
            author_name: String::new(),
            posted_at: message.created_at,
            channel_name: channel_name.clone(),
        });
        found.push(hit);
    }
    let authors: Vec<_> = found
        .iter()
        .filter_map(|h| h.about.as_ref().map(|a| a.author))
        .collect();
    let names = app.store.display_names(org.id, authors).await?;
    for about in found.iter_mut().filter_map(|h| h.about.as_mut()) {
        about.author_name = names.get(&about.author).cloned().unwrap_or_default();
    }
    Ok(found)
}

/// Most channels and incidents a search lists by name.
const MAX_PLACES: usize = 20;

/// Channels and incidents found by their names.
#[derive(Debug, Clone, Default, serde::Serialize, ToSchema)]
pub struct Places {
    pub channels: Vec<Channel>,
    /// Open ones first, then the newest.
    pub incidents: Vec<beredskap_core::continuity::incidents::Incident>,
}

/// The channels the person is in, and the incidents they may read, whose name or title
/// `words` finds: other forms and compounds too ([`beredskap_core::words::name_matches`]).
pub async fn find_places(
    app: &App,
    caller: &Caller,
    org: &Org,
    words: &str,
) -> Result<Places, Error> {
    let by = person(caller, UseCase::ReadConversation)?;
    if words.chars().count() > MAX_SEARCH_CHARS {
        let problem = beredskap_core::Problem::TooLong {
            max: MAX_SEARCH_CHARS,
        };
        return Err(Error::Invalid(FieldErrors::single("q", problem)));
    }
    let found = |name: &str| beredskap_core::words::name_matches(words, name);
    let channels = app
        .store
        .channels_for(org.id, by.id)
        .await?
        .into_iter()
        .filter(|c| found(&c.name))
        .take(MAX_PLACES)
        .collect();
    let mut incidents = Vec::new();
    if crate::policy::allows(caller, UseCase::ReadIncidents) {
        incidents = crate::incidents::incidents(app, caller, org, true)
            .await?
            .into_iter()
            .filter(|i| found(&i.title))
            .collect();
        incidents.sort_by_key(|i| (i.closed_at.is_some(), std::cmp::Reverse(i.opened_at)));
        incidents.truncate(MAX_PLACES);
    }
    Ok(Places {
        channels,
        incidents,
    })
}

// ------------------------------------------------------------------ reading

/// The channels the person is in.
pub async fn channels(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Channel>, Error> {
    let me = person(caller, UseCase::ReadConversation)?;
    Ok(app.store.channels_for(org.id, me.id).await?)
}

/// One channel the person is in; any other is not found.
pub async fn channel(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: ChannelId,
) -> Result<Channel, Error> {
    let me = person(caller, UseCase::ReadConversation)?;
    Ok(app.store.channel_for(org.id, me.id, id).await?)
}

/// A page of a channel's messages, newest first.
pub async fn messages(
    app: &App,
    caller: &Caller,
    org: &Org,
    channel: ChannelId,
    page: beredskap_core::conversation::Page,
) -> Result<Vec<Message>, Error> {
    let me = person(caller, UseCase::ReadConversation)?;
    Ok(app
        .store
        .channel_messages(org.id, me.id, channel, page)
        .await?)
}

/// A message and the answers in its thread.
pub async fn thread(
    app: &App,
    caller: &Caller,
    org: &Org,
    root: MessageId,
) -> Result<Vec<Message>, Error> {
    let me = person(caller, UseCase::ReadConversation)?;
    Ok(app.store.thread(org.id, me.id, root).await?)
}

/// One message in a channel the person is in, with its channel.
pub async fn message(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: MessageId,
) -> Result<(Message, Channel), Error> {
    let me = person(caller, UseCase::ReadConversation)?;
    Ok(app.store.message_for(org.id, me.id, id).await?)
}

/// Earlier texts of an edited message: (version, text, when).
pub async fn versions(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: MessageId,
) -> Result<Vec<(i32, String, chrono::DateTime<chrono::Utc>)>, Error> {
    let me = person(caller, UseCase::ReadConversation)?;
    let (message, _) = app.store.message_for(org.id, me.id, id).await?;
    if message.deleted_at.is_some() {
        permit(caller, UseCase::ReadRecords)?;
    }
    Ok(app.store.message_versions(org.id, me.id, id).await?)
}

/// Announcements the person has yet to confirm.
pub async fn unconfirmed(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Message>, Error> {
    let me = person(caller, UseCase::ReadConversation)?;
    Ok(app.store.unconfirmed_announcements(org.id, me.id).await?)
}

/// The names messages are shown with, for these accounts.
pub async fn names(
    app: &App,
    caller: &Caller,
    org: &Org,
    accounts: Vec<AccountId>,
) -> Result<std::collections::HashMap<AccountId, String>, Error> {
    person(caller, UseCase::ReadConversation)?;
    Ok(app.store.display_names(org.id, accounts).await?)
}

/// Everyone with an account, by name, to choose a new channel's members from.
pub async fn people_to_invite(
    app: &App,
    caller: &Caller,
    org: &Org,
) -> Result<std::collections::HashMap<AccountId, String>, Error> {
    person(caller, UseCase::InviteToChannel)?;
    let people = crate::alerts::names(app.store(), org.id).await?;
    Ok(app
        .store
        .list_accounts(org.id)
        .await?
        .into_iter()
        .map(|a| {
            let name = people
                .get(&a.person_id)
                .cloned()
                .unwrap_or_else(|| a.login.to_string());
            (a.id, name)
        })
        .collect())
}

/// A channel the person is in, with the people who have an account and are not in it
/// yet (who can be added), by name.
pub async fn people_to_add(
    app: &App,
    caller: &Caller,
    org: &Org,
    channel: ChannelId,
) -> Result<(Channel, Vec<(AccountId, String)>), Error> {
    let me = person(caller, UseCase::InviteToChannel)?;
    let channel = app.store.channel_for(org.id, me.id, channel).await?;
    let audience = app.store.channel_audience(org.id, channel.id).await?;
    let mut addable: Vec<(AccountId, String)> = people_to_invite(app, caller, org)
        .await?
        .into_iter()
        .filter(|(id, _)| !audience.contains(id))
        .collect();
    addable.sort_by_key(|(_, name)| name.to_lowercase());
    Ok((channel, addable))
}

/// Where the organisation's live events stand now: a page shows what was committed up to
/// here and takes the rest live.
pub async fn live_position(app: &App, caller: &Caller, org: &Org) -> Result<i64, Error> {
    person(caller, UseCase::ReadConversation)?;
    Ok(app.store.journal_head(org.id).await?.0)
}
