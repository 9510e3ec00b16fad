//! Live updates. The organisation's journal is the ordered event stream: a client that
//! says "I have seen up to seq N" first gets what it missed from the store, then live
//! events, with no gaps and no repeats.
//!
//! The hub reads newly committed journal entries, serialises each once, and hands it to
//! the streams that may show it: a channel's events to the streams of those who see the
//! channel, nothing for entries nobody sees live (answers to alerts, register changes).
//! With thousands of streams open in one organisation, a post wakes its channel's members,
//! not everyone. Each stream has a bounded queue; one that overflows re-reads from the
//! store. Writers call [`Hub::publish`] after their commit; a slow poll also picks up
//! writes made by other processes (the command line, another node).

use beredskap_core::{AccountId, ChannelId, JournalEntry, MessageId, OrgId, Store, StoreError};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// How many events a slow stream may fall behind before it re-reads from the store.
const QUEUE_CAPACITY: usize = 1024;
/// Journal entries read per catch-up query.
const CATCH_UP_PAGE: u32 = 500;

/// Who may receive an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Everyone who can see the channel.
    Channel(ChannelId),
    /// Only these accounts, and only while they can see the channel (a receipt goes to
    /// the reader's own devices and to the announcement's author).
    Accounts(ChannelId, Vec<AccountId>),
    /// Nobody over the live stream (register changes, sign-ins).
    Nobody,
}

/// One journal entry as live clients receive it, serialised once.
#[derive(Debug)]
pub struct Event {
    pub seq: i64,
    pub kind: String,
    pub audience: Audience,
    /// The whole server-sent event (`id: …\ndata: {"seq","kind","at","data"}\n\n`), built
    /// once for every subscriber. serde_json never writes a raw line break, so one `data:` line holds it.
    pub frame: axum::body::Bytes,
}

impl Event {
    pub fn from_entry(entry: &JournalEntry) -> Event {
        let payload: serde_json::Value =
            serde_json::from_str(&entry.payload).unwrap_or(serde_json::Value::Null);
        let channel = entry
            .subject
            .strip_prefix("channel:")
            .and_then(|id| id.parse().ok())
            .map(ChannelId);
        let audience = match (channel, entry.kind.as_str()) {
            (None, _) => Audience::Nobody,
            (Some(c), "announcement.seen" | "announcement.confirmed") => {
                let ids = ["account", "author"]
                    .iter()
                    .filter_map(|k| payload.get(*k)?.as_str()?.parse().ok())
                    .map(AccountId)
                    .collect();
                Audience::Accounts(c, ids)
            }
            (Some(c), _) => Audience::Channel(c),
        };
        let json = serde_json::json!({
            "seq": entry.seq,
            "kind": entry.kind,
            "at": entry.at,
            "data": payload,
        })
        .to_string();
        let frame = format!("id: {}\ndata: {json}\n\n", entry.seq);
        Event {
            seq: entry.seq,
            kind: entry.kind.clone(),
            audience,
            frame: frame.into(),
        }
    }

    /// Whether this event changes which channels someone may see.
    fn changes_visibility(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "channel.created" | "channel.members_added"
        )
    }

    /// Whether a subscriber could do anything with it.
    fn goes_live(&self) -> bool {
        self.audience != Audience::Nobody || self.changes_visibility()
    }
}

/// Journal entries as members may see them: the text of a message deleted since is left out
/// of its posting and its edits (only the records view shows it), so a client replaying
/// the stream from the start sees no more than one that watched the deletion happen.
pub async fn conceal_deleted(
    store: &dyn Store,
    org: OrgId,
    mut entries: Vec<JournalEntry>,
) -> Result<Vec<JournalEntry>, StoreError> {
    // Each posting or edit, parsed once, with the message it carries.
    let mut texts: Vec<(usize, MessageId, serde_json::Map<String, serde_json::Value>)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if !matches!(entry.kind.as_str(), "message.posted" | "message.edited") {
            continue;
        }
        let Ok(serde_json::Value::Object(payload)) = serde_json::from_str(&entry.payload) else {
            continue;
        };
        let id = payload.get("id").and_then(|v| v.as_str()?.parse().ok());
        if let Some(id) = id {
            texts.push((i, MessageId(id), payload));
        }
    }
    if texts.is_empty() {
        return Ok(entries);
    }
    let ids = texts.iter().map(|(_, id, _)| *id).collect();
    let deleted = store.deleted_messages(org, ids).await?;
    for (i, id, mut payload) in texts {
        if deleted.contains(&id) {
            payload.insert("body".into(), serde_json::Value::from(""));
            payload.insert("deleted".into(), serde_json::Value::from(true));
            entries[i].payload = serde_json::Value::Object(payload).to_string();
        }
    }
    Ok(entries)
}

/// One live stream as the hub knows it: whose it is and where its events go (which
/// channels it sees is in the feed's `by_channel`).
struct Subscriber {
    account: AccountId,
    queue: mpsc::Sender<Arc<Event>>,
    /// Set when an event did not fit in the queue: the stream re-reads from the store.
    lagged: Arc<AtomicBool>,
}

impl Subscriber {
    fn deliver(&self, event: &Arc<Event>) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send(event.clone()) {
            self.lagged.store(true, Ordering::Release);
        }
    }
}

struct Feed {
    /// The last journal seq read and dealt with.
    published: i64,
    subscribers: HashMap<u64, Subscriber>,
    /// Who sees each channel, so an event wakes only the streams that show it.
    by_channel: HashMap<ChannelId, HashSet<u64>>,
}

impl Feed {
    fn unlink(&mut self, id: u64, channels: &HashSet<ChannelId>) {
        for channel in channels {
            if let Some(ids) = self.by_channel.get_mut(channel) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_channel.remove(channel);
                }
            }
        }
    }

    fn link(&mut self, id: u64, channels: &HashSet<ChannelId>) {
        for channel in channels {
            self.by_channel.entry(*channel).or_default().insert(id);
        }
    }

    /// Hands the event to the streams that may show it: a channel's events to those who
    /// see the channel, a receipt to its reader and author, a change of who sees what to
    /// everyone (each reloads what it may see).
    fn route(&self, event: Arc<Event>) {
        if event.changes_visibility() {
            for subscriber in self.subscribers.values() {
                subscriber.deliver(&event);
            }
            return;
        }
        let (channel, accounts) = match &event.audience {
            Audience::Channel(c) => (c, None),
            Audience::Accounts(c, ids) => (c, Some(ids)),
            Audience::Nobody => return,
        };
        for id in self.by_channel.get(channel).into_iter().flatten() {
            let Some(subscriber) = self.subscribers.get(id) else {
                continue;
            };
            if accounts.is_none_or(|ids| ids.contains(&subscriber.account)) {
                subscriber.deliver(&event);
            }
        }
    }
}

/// Per-organisation routing of committed journal entries to live streams.
pub struct Hub {
    store: Arc<dyn Store>,
    /// Events a stream may fall behind before it re-reads from the store.
    capacity: usize,
    feeds: Mutex<HashMap<OrgId, Feed>>,
    next_id: AtomicU64,
    /// One publisher at a time per hub, so entries go out in order exactly once.
    publishing: tokio::sync::Mutex<()>,
}

/// A live stream's place in the hub: events for the channels it sees, in journal order.
/// Dropping it leaves the hub.
pub struct Subscription {
    hub: Arc<Hub>,
    org: OrgId,
    id: u64,
    channels: HashSet<ChannelId>,
    queue: mpsc::Receiver<Arc<Event>>,
    lagged: Arc<AtomicBool>,
}

impl Subscription {
    /// The next event, or None when the hub is gone.
    pub async fn recv(&mut self) -> Option<Arc<Event>> {
        self.queue.recv().await
    }

    /// An event already waiting, if any.
    pub fn try_recv(&mut self) -> Option<Arc<Event>> {
        self.queue.try_recv().ok()
    }

    /// Whether events were dropped since the last call because the queue was full: the
    /// stream must re-read from the store what it has not seen.
    pub fn lagged(&self) -> bool {
        self.lagged.swap(false, Ordering::Acquire)
    }

    /// Changes which channels' events come. Events published before the change are not
    /// sent again: read them from the store afterwards.
    pub fn set_channels(&mut self, channels: HashSet<ChannelId>) {
        let mut feeds = self.hub.feeds();
        if let Some(feed) = feeds.get_mut(&self.org) {
            feed.unlink(self.id, &self.channels);
            feed.link(self.id, &channels);
        }
        self.channels = channels;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut feeds = self.hub.feeds();
        if let Some(feed) = feeds.get_mut(&self.org) {
            feed.unlink(self.id, &self.channels);
            feed.subscribers.remove(&self.id);
            if feed.subscribers.is_empty() {
                feeds.remove(&self.org);
            }
        }
    }
}

impl Hub {
    pub fn new(store: Arc<dyn Store>) -> Arc<Hub> {
        Self::with_capacity(store, QUEUE_CAPACITY)
    }

    /// A hub whose streams fall behind after `capacity` events (tests use a small one to
    /// take the path a slow client takes).
    pub fn with_capacity(store: Arc<dyn Store>, capacity: usize) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            capacity: capacity.max(1),
            feeds: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            publishing: tokio::sync::Mutex::new(()),
        })
    }

    fn feeds(&self) -> std::sync::MutexGuard<'_, HashMap<OrgId, Feed>> {
        // A panic while holding this lock leaves plain data behind; keep going.
        self.feeds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to the organisation's live events for `channels` (and every change of
    /// who sees what). Subscribe first, then read what was missed, so nothing falls
    /// between the two.
    pub async fn subscribe(
        self: &Arc<Self>,
        org: OrgId,
        account: AccountId,
        channels: HashSet<ChannelId>,
    ) -> Result<Subscription, StoreError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, queue) = mpsc::channel(self.capacity);
        let lagged = Arc::new(AtomicBool::new(false));
        loop {
            // A new feed starts at the journal's head: what came before is in the store.
            let head = if self.feeds().contains_key(&org) {
                None
            } else {
                Some(self.store.journal_head(org).await?.0)
            };
            let mut feeds = self.feeds();
            let feed = match feeds.entry(org) {
                Entry::Occupied(feed) => feed.into_mut(),
                Entry::Vacant(vacant) => match head {
                    Some(published) => vacant.insert(Feed {
                        published,
                        subscribers: HashMap::new(),
                        by_channel: HashMap::new(),
                    }),
                    // The feed closed since the check: read the head again.
                    None => continue,
                },
            };
            feed.link(id, &channels);
            feed.subscribers.insert(
                id,
                Subscriber {
                    account,
                    queue: sender,
                    lagged: lagged.clone(),
                },
            );
            drop(feeds);
            return Ok(Subscription {
                hub: self.clone(),
                org,
                id,
                channels,
                queue,
                lagged,
            });
        }
    }

    /// Routes the organisation's entries committed since the last call. Call after a
    /// write commits; does nothing if nobody listens.
    pub async fn publish(&self, org: OrgId) {
        let _one_at_a_time = self.publishing.lock().await;
        loop {
            let Some(after) = self.feeds().get(&org).map(|f| f.published) else {
                return;
            };
            let page = self.store.journal_page(org, after, CATCH_UP_PAGE).await;
            let entries = match page {
                Ok(page) => conceal_deleted(self.store.as_ref(), org, page).await,
                Err(e) => Err(e),
            };
            let entries = match entries {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: reading the journal failed");
                    return;
                }
            };
            let Some(last) = entries.last().map(|e| e.seq) else {
                return;
            };
            let mut feeds = self.feeds();
            let Some(feed) = feeds.get_mut(&org) else {
                return;
            };
            for entry in &entries {
                let event = Event::from_entry(entry);
                if event.goes_live() {
                    feed.route(Arc::new(event));
                }
            }
            feed.published = last;
            if entries.len() < CATCH_UP_PAGE as usize {
                return;
            }
        }
    }

    /// Publishes for every organisation someone listens to: picks up writes made outside
    /// this process.
    pub async fn publish_all(&self) {
        let orgs: Vec<OrgId> = self.feeds().keys().copied().collect();
        for org in orgs {
            self.publish(org).await;
        }
    }

    /// Number of organisations with live subscribers.
    pub fn live_orgs(&self) -> usize {
        self.feeds().len()
    }
}

/// What one subscriber may see; refreshed when channels or memberships change.
struct Visibility {
    account: AccountId,
    channels: HashSet<ChannelId>,
}

impl Visibility {
    async fn load(store: &dyn Store, org: OrgId, account: AccountId) -> Result<Self, StoreError> {
        let channels = store
            .channels_for(org, account)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        Ok(Visibility { account, channels })
    }

    fn allows(&self, event: &Event) -> bool {
        match &event.audience {
            Audience::Channel(c) => self.channels.contains(c),
            Audience::Accounts(c, ids) => self.channels.contains(c) && ids.contains(&self.account),
            Audience::Nobody => false,
        }
    }
}

/// Most bytes of events gathered into one chunk for the connection.
const CHUNK_BYTES: usize = 64 * 1024;

/// Streams the events `account` may see after `after`, then live ones, into `out` as
/// chunks of server-sent events, until the receiving side goes away. Events already
/// waiting are gathered into one chunk: under load one wake-up and one write carry many.
pub async fn follow(
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    org: OrgId,
    account: AccountId,
    after: i64,
    out: mpsc::Sender<axum::body::Bytes>,
) -> Result<(), StoreError> {
    // What she may see, then the subscription for it, then what was missed from the store:
    // a change of who sees what committed after the first step is either read from the
    // store or comes live (those go to every stream).
    let mut seen = Visibility::load(store.as_ref(), org, account).await?;
    let mut live = hub.subscribe(org, account, seen.channels.clone()).await?;
    // A client that says it has seen more than there is (a stale id from before a restore,
    // a made-up one) is taken to have seen everything: otherwise it would wait, missing
    // every event, until the journal caught up with its number.
    let (head, _) = store.journal_head(org).await?;
    let mut last = after.min(head);
    let mut chunk: Vec<u8> = Vec::new();
    'catch_up: loop {
        // What was missed, from the store. After a change of what she sees, read once
        // more: what her new channels got before the subscription changed is only there.
        loop {
            let page = store.journal_page(org, last, CATCH_UP_PAGE).await?;
            let entries = conceal_deleted(store.as_ref(), org, page).await?;
            let mut done = entries.len() < CATCH_UP_PAGE as usize;
            for entry in &entries {
                let event = Event::from_entry(entry);
                if event.changes_visibility() {
                    seen = Visibility::load(store.as_ref(), org, account).await?;
                    live.set_channels(seen.channels.clone());
                    done = false;
                }
                last = event.seq;
                if seen.allows(&event) {
                    chunk.extend_from_slice(&event.frame);
                }
            }
            if !flush(&out, &mut chunk).await {
                return Ok(());
            }
            if done {
                break;
            }
        }
        // Live, skipping what the catch-up already delivered.
        loop {
            // A client gone while nothing happens ends its follower at once, not at the
            // organisation's next event.
            let received = tokio::select! {
                _ = out.closed() => return Ok(()),
                received = live.recv() => received,
            };
            let Some(mut event) = received else {
                return Ok(());
            };
            loop {
                // Events dropped from a full queue, or channels she sees now that got
                // events before her subscription changed: read them from the store.
                let mut from_store = live.lagged();
                if !from_store && event.seq > last {
                    last = event.seq;
                    from_store = event.changes_visibility();
                    if from_store {
                        seen = Visibility::load(store.as_ref(), org, account).await?;
                        live.set_channels(seen.channels.clone());
                    }
                    if seen.allows(&event) {
                        chunk.extend_from_slice(&event.frame);
                    }
                }
                if from_store {
                    if !flush(&out, &mut chunk).await {
                        return Ok(());
                    }
                    continue 'catch_up;
                }
                if chunk.len() >= CHUNK_BYTES {
                    break;
                }
                match live.try_recv() {
                    Some(next) => event = next,
                    None => break,
                }
            }
            if !flush(&out, &mut chunk).await {
                return Ok(());
            }
        }
    }
}

/// Sends the events gathered so far, if any; false when the client has gone.
async fn flush(out: &mpsc::Sender<axum::body::Bytes>, chunk: &mut Vec<u8>) -> bool {
    chunk.is_empty() || out.send(std::mem::take(chunk).into()).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, kind: &str, subject: &str, payload: serde_json::Value) -> JournalEntry {
        JournalEntry {
            seq,
            org_id: OrgId::new(),
            at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            actor: beredskap_core::Actor::system(),
            kind: kind.into(),
            subject: subject.into(),
            payload: payload.to_string(),
            payload_hash: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn only_channel_events_go_live_and_receipts_only_to_reader_and_author() {
        let channel = ChannelId::new();
        let (reader, author, other) = (AccountId::new(), AccountId::new(), AccountId::new());
        let subject = format!("channel:{channel}");
        let posted = Event::from_entry(&entry(
            7,
            "message.posted",
            &subject,
            serde_json::json!({"body": "hej"}),
        ));
        assert_eq!(posted.audience, Audience::Channel(channel));
        let frame = std::str::from_utf8(&posted.frame).unwrap();
        assert!(
            frame.starts_with("id: 7\ndata: ") && frame.ends_with("\n\n"),
            "{frame}"
        );
        let data = frame
            .lines()
            .nth(1)
            .unwrap()
            .strip_prefix("data: ")
            .unwrap();
        let json: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(
            (json["seq"].as_i64(), json["data"]["body"].as_str()),
            (Some(7), Some("hej"))
        );
        let person = Event::from_entry(&entry(
            8,
            "person.created",
            "person:x",
            serde_json::json!({}),
        ));
        assert_eq!(person.audience, Audience::Nobody);
        let seen = Event::from_entry(&entry(
            9,
            "announcement.confirmed",
            &subject,
            serde_json::json!({"account": reader, "author": author}),
        ));
        let sees = |account| Visibility {
            account,
            channels: [channel].into(),
        };
        assert!(sees(reader).allows(&seen) && sees(author).allows(&seen));
        assert!(!sees(other).allows(&seen));
        assert!(sees(other).allows(&posted));
        let outside = Visibility {
            account: other,
            channels: HashSet::new(),
        };
        assert!(!outside.allows(&posted));
    }
}
