//! Live updates. The organisation's journal is the ordered event stream: a client that
//! says "I have seen up to seq N" first gets what it missed from the store, then live
//! events, with no gaps and no repeats.
//!
//! The hub reads newly committed journal entries and broadcasts them, each serialised once,
//! to every subscriber of the organisation; a subscriber filters out what its person may
//! not see. Entries nobody sees live (answers to alerts, register changes) are not
//! broadcast at all: with thousands of subscribers, each would wake every one of them for
//! nothing. Each event says which broadcast event came before it, so a subscriber still
//! knows when it has missed one. Writers call [`Hub::publish`] after their commit; a slow
//! poll also picks up writes made by other processes (the command line, another node).

use beredskap_core::{AccountId, ChannelId, JournalEntry, MessageId, OrgId, Store, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc};

/// How many events a slow subscriber may fall behind before it re-reads from the store.
const BROADCAST_CAPACITY: usize = 4096;
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
    /// The seq of the event broadcast before this one: everything between went to nobody.
    /// (For an event read from the store, the seq before its own.)
    pub after: i64,
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
            after: entry.seq - 1,
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

struct Feed {
    sender: broadcast::Sender<Arc<Event>>,
    /// The last journal seq read and dealt with.
    published: i64,
    /// The seq of the last event broadcast.
    sent: i64,
}

/// Per-organisation broadcast of committed journal entries.
pub struct Hub {
    store: Arc<dyn Store>,
    /// Events a subscriber may fall behind before it re-reads from the store.
    capacity: usize,
    feeds: Mutex<HashMap<OrgId, Feed>>,
    /// One publisher at a time per hub, so entries go out in order exactly once.
    publishing: tokio::sync::Mutex<()>,
}

impl Hub {
    pub fn new(store: Arc<dyn Store>) -> Arc<Hub> {
        Self::with_capacity(store, BROADCAST_CAPACITY)
    }

    /// A hub whose subscribers fall behind after `capacity` events (tests use a small one
    /// to take the path a slow client takes).
    pub fn with_capacity(store: Arc<dyn Store>, capacity: usize) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            capacity: capacity.max(1),
            feeds: Mutex::new(HashMap::new()),
            publishing: tokio::sync::Mutex::new(()),
        })
    }

    fn feeds(&self) -> std::sync::MutexGuard<'_, HashMap<OrgId, Feed>> {
        // A panic while holding this lock leaves plain data behind; keep going.
        self.feeds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Subscribes to the organisation's live events. Subscribe first, then read what was
    /// missed, so nothing falls between the two.
    pub async fn subscribe(
        &self,
        org: OrgId,
    ) -> Result<broadcast::Receiver<Arc<Event>>, StoreError> {
        if let Some(feed) = self.feeds().get(&org) {
            return Ok(feed.sender.subscribe());
        }
        let (head, _) = self.store.journal_head(org).await?;
        let mut feeds = self.feeds();
        let feed = feeds.entry(org).or_insert_with(|| Feed {
            sender: broadcast::channel(self.capacity).0,
            published: head,
            sent: head,
        });
        Ok(feed.sender.subscribe())
    }

    /// Broadcasts the organisation's entries committed since the last call. Call after a
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
                let mut event = Event::from_entry(entry);
                if !event.goes_live() {
                    continue;
                }
                event.after = feed.sent;
                feed.sent = event.seq;
                // No receivers is not an error: the entry is in the store for later.
                let _ = feed.sender.send(Arc::new(event));
            }
            feed.published = last;
            if feed.sender.receiver_count() == 0 {
                feeds.remove(&org);
                return;
            }
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
    let mut live = hub.subscribe(org).await?;
    let mut seen = Visibility::load(store.as_ref(), org, account).await?;
    // A client that says it has seen more than there is (a stale id from before a restore,
    // a made-up one) is taken to have seen everything: otherwise it would wait, missing
    // every event, until the journal caught up with its number.
    let (head, _) = store.journal_head(org).await?;
    let mut last = after.min(head);
    let mut chunk: Vec<u8> = Vec::new();
    'catch_up: loop {
        // What was missed, from the store.
        loop {
            let page = store.journal_page(org, last, CATCH_UP_PAGE).await?;
            let entries = conceal_deleted(store.as_ref(), org, page).await?;
            let done = entries.len() < CATCH_UP_PAGE as usize;
            for entry in &entries {
                let event = Event::from_entry(entry);
                if event.changes_visibility() {
                    seen = Visibility::load(store.as_ref(), org, account).await?;
                }
                last = event.seq;
                if seen.allows(&event) {
                    chunk.extend_from_slice(&event.frame);
                }
            }
            if !chunk.is_empty() && out.send(std::mem::take(&mut chunk).into()).await.is_err() {
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
            let mut next = match received {
                Ok(event) => Some(event),
                Err(broadcast::error::RecvError::Lagged(_)) => continue 'catch_up,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            };
            while let Some(event) = next.take() {
                if event.seq > last {
                    if event.after > last {
                        // A broadcast event was missed: read it from the store.
                        if !chunk.is_empty()
                            && out.send(std::mem::take(&mut chunk).into()).await.is_err()
                        {
                            return Ok(());
                        }
                        continue 'catch_up;
                    }
                    if event.changes_visibility() {
                        seen = Visibility::load(store.as_ref(), org, account).await?;
                    }
                    last = event.seq;
                    if seen.allows(&event) {
                        chunk.extend_from_slice(&event.frame);
                    }
                }
                if chunk.len() < CHUNK_BYTES {
                    next = match live.try_recv() {
                        Ok(event) => Some(event),
                        Err(broadcast::error::TryRecvError::Lagged(_)) => {
                            if !chunk.is_empty()
                                && out.send(std::mem::take(&mut chunk).into()).await.is_err()
                            {
                                return Ok(());
                            }
                            continue 'catch_up;
                        }
                        Err(_) => None,
                    };
                }
            }
            if !chunk.is_empty() && out.send(std::mem::take(&mut chunk).into()).await.is_err() {
                return Ok(());
            }
        }
    }
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
