//! The delivery worker: takes due deliveries from the outbox, hands each to the provider
//! for its channel, and records what happened. `run_once` does one round, so tests drive
//! it step by step instead of waiting for a timer. Also here: the signed answer links that
//! alerts carry, and the text of each message.

use crate::notify::{Notifier, NotifyError, OutgoingMessage};
use base64::Engine as _;
use beredskap_core::activation::ActivationSend;
use beredskap_core::alerting::{Alert, Delivery, DeliveryOutcome};
use beredskap_core::continuity::notices::Notice;
use beredskap_core::continuity::subscriptions::{PublicDelivery, PublicPurpose};
use beredskap_core::register::{ContactKind, Org};
use beredskap_core::{AlertId, PersonId, Store, StoreError};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use std::collections::HashMap;
use std::sync::Arc;

/// Deliveries claimed at a time.
const BATCH: u32 = 512;
/// Hand-offs in flight at once: providers answer in tens to hundreds of milliseconds, so
/// a blast to thousands needs hundreds at a time (1000/s at 300 ms each is 300).
const IN_FLIGHT: usize = 512;
/// How long a worker may hold a delivery before another may take it over, unless
/// configured: longer than a hand-off takes (a provider call times out after 20 s; a
/// delivery is claimed only shortly before it is sent), short enough that a crashed
/// worker's deliveries go out again within half a minute.
const LEASE_SECONDS: i64 = 30;
/// People planned per transaction after an alert's first wave: enough to keep well ahead
/// of the providers, few enough that the hand-offs' results (on SQLite, behind the same
/// one writer) wait only a few milliseconds for a part.
const PLANNING_PART: u32 = 2000;
/// The wait after a first temporary failure when the provider names none; it doubles
/// with each further try, up to `RETRY_MOST_SECONDS`.
const RETRY_FIRST_SECONDS: i64 = 5;
const RETRY_MOST_SECONDS: i64 = 300;

/// The wait before another try of a message tried `attempts` times that failed for a
/// while and whose provider named no wait. A relay that refused one of a burst of new
/// connections is worth another try within seconds (an alert is urgent; the next channel
/// comes only at its step), one that stays down is not asked every few seconds.
fn retry_wait(attempts: i32) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(8);
    chrono::Duration::seconds((RETRY_FIRST_SECONDS << doublings).min(RETRY_MOST_SECONDS))
}

/// How long a bulk activation's links last unless the server says (`enrolment_link_hours`).
const ENROLMENT_HOURS: u32 = 72;
/// The name of the key answer links are signed with, shared by every node.
pub const LINK_KEY: &str = "answer-links";
/// The name of the VAPID key push messages are signed with.
pub const VAPID_KEY: &str = "vapid";

type HmacSha256 = Hmac<sha2::Sha256>;

/// Answer links: `/a/{token}`, where the token names the alert and the person and is
/// signed with the server's key, so it cannot be made up or altered. It works until the
/// person has answered or the alert is closed; opening it only shows the question, and
/// answering takes a button press (a POST), so mail scanners that follow links answer
/// nothing.
pub struct AnswerLinks {
    key: Vec<u8>,
    base: String,
}

impl AnswerLinks {
    pub fn new(key: Vec<u8>, public_url: &str) -> Self {
        Self {
            key,
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Reads the shared key from the store (making it the first time).
    pub async fn load(store: &dyn Store, public_url: &str) -> Result<Self, StoreError> {
        let fresh: [u8; 32] = rand::random();
        let key = store.signing_key(LINK_KEY, fresh.to_vec()).await?;
        Ok(Self::new(key, public_url))
    }

    /// `ids` with a 16-byte HMAC tag for `purpose` (so a token for one purpose cannot stand
    /// for another), base64url.
    fn sign(&self, purpose: &[u8], ids: &[&uuid::Uuid]) -> String {
        let mut bytes: Vec<u8> = ids.iter().flat_map(|id| *id.as_bytes()).collect();
        if let Ok(mut mac) = HmacSha256::new_from_slice(&self.key) {
            mac.update(purpose);
            mac.update(&bytes);
            bytes.extend_from_slice(&mac.finalize().into_bytes()[..16]);
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The `count` ids a token for `purpose` names, if its tag holds (compared in constant
    /// time).
    fn open(&self, purpose: &[u8], token: &str, count: usize) -> Option<Vec<uuid::Uuid>> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let len = 16 * count;
        if bytes.len() != len + 16 {
            return None;
        }
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(purpose);
        mac.update(&bytes[..len]);
        mac.verify_truncated_left(&bytes[len..]).ok()?;
        bytes[..len]
            .chunks(16)
            .map(|id| uuid::Uuid::from_slice(id).ok())
            .collect()
    }

    pub fn token(&self, alert: AlertId, person: PersonId) -> String {
        self.sign(ANSWER, &[&alert.0, &person.0])
    }

    /// A form's CSRF token for a session (or, before sign-in, a device cookie): hex of the
    /// keyed hash, so only this server can make the token that goes with a cookie.
    pub fn csrf_token(&self, basis: &str) -> String {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(b"csrf\0");
        mac.update(basis.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The site's address, as links are made with it.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn url(&self, alert: AlertId, person: PersonId) -> String {
        format!("{}/a/{}", self.base, self.token(alert, person))
    }

    /// The alert and person a token names, if the signature holds.
    pub fn verify(&self, token: &str) -> Option<(AlertId, PersonId)> {
        match self.open(ANSWER, token, 2)?.as_slice() {
            [alert, person] => Some((AlertId(*alert), PersonId(*person))),
            _ => None,
        }
    }

    /// A calendar subscription's address for a position's rotation, for calendar apps
    /// that cannot send an API token.
    pub fn calendar_url(&self, position: beredskap_core::PositionId) -> String {
        format!(
            "{}/calendar/{}.ics",
            self.base,
            self.sign(CALENDAR, &[&position.0])
        )
    }

    pub fn verify_calendar(&self, token: &str) -> Option<beredskap_core::PositionId> {
        let ids = self.open(CALENDAR, token, 1)?;
        ids.first().copied().map(beredskap_core::PositionId)
    }

    /// A contact check's link for one delivery, i.e. one contact point of one person.
    pub fn check_url(&self, delivery: beredskap_core::DeliveryId) -> String {
        format!("{}/k/{}", self.base, self.sign(CHECK, &[&delivery.0]))
    }

    pub fn verify_check(&self, token: &str) -> Option<beredskap_core::DeliveryId> {
        let ids = self.open(CHECK, token, 1)?;
        ids.first().copied().map(beredskap_core::DeliveryId)
    }

    /// The status page of an organisation, in a language.
    pub fn status_url(&self, slug: &str, lang: &str) -> String {
        format!("{}/status/{slug}?lang={lang}", self.base)
    }

    /// The link a subscription request's message carries: it opens a page that confirms
    /// with a button (a POST), so a mail scanner following it confirms nothing.
    /// In the language the request was made in, whatever the browser that opens it.
    pub fn subscription_confirm_url(
        &self,
        slug: &str,
        request: beredskap_core::SubscriptionRequestId,
        lang: &str,
    ) -> String {
        format!(
            "{}/status/{slug}/confirm/{}?lang={lang}",
            self.base,
            self.sign(SUBSCRIBE, &[&request.0])
        )
    }

    pub fn verify_subscription_confirm(
        &self,
        token: &str,
    ) -> Option<beredskap_core::SubscriptionRequestId> {
        let ids = self.open(SUBSCRIBE, token, 1)?;
        ids.first()
            .copied()
            .map(beredskap_core::SubscriptionRequestId)
    }

    /// A subscription's unsubscribe link: its page, and its one-click POST (RFC 8058).
    pub fn unsubscribe_url(
        &self,
        slug: &str,
        subscription: beredskap_core::SubscriptionId,
        lang: &str,
    ) -> String {
        format!(
            "{}/status/{slug}/unsubscribe/{}?lang={lang}",
            self.base,
            self.sign(UNSUBSCRIBE, &[&subscription.0])
        )
    }

    pub fn verify_unsubscribe(&self, token: &str) -> Option<beredskap_core::SubscriptionId> {
        let ids = self.open(UNSUBSCRIBE, token, 1)?;
        ids.first().copied().map(beredskap_core::SubscriptionId)
    }
}

/// What each kind of signed token is for.
const ANSWER: &[u8] = b"beredskap answer link v1";
const CALENDAR: &[u8] = b"beredskap calendar v1";
const CHECK: &[u8] = b"beredskap contact check v1";
const SUBSCRIBE: &[u8] = b"beredskap subscription confirm v1";
const UNSUBSCRIBE: &[u8] = b"beredskap unsubscribe v1";

/// What each hand-off needs; shared by the tasks a round runs at once.
struct Worker {
    store: Arc<dyn Store>,
    notifier: Notifier,
    links: Arc<AnswerLinks>,
    /// When a hand-off finished.
    clock: Arc<dyn crate::clock::Clock>,
    /// How long the enrolment links of a bulk activation last.
    enrolment_hours: u32,
}

pub struct Dispatcher {
    worker: Arc<Worker>,
    lease: chrono::Duration,
    /// Once cancelled, nothing more is claimed or started: the server is stopping.
    stop: tokio_util::sync::CancellationToken,
}

type Context = Arc<(Org, Alert)>;

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, notifier: Notifier, links: Arc<AnswerLinks>) -> Self {
        Self {
            worker: Arc::new(Worker {
                store,
                notifier,
                links,
                clock: Arc::new(crate::clock::SystemClock),
                enrolment_hours: ENROLMENT_HOURS,
            }),
            lease: chrono::Duration::seconds(LEASE_SECONDS),
            stop: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Stops claiming and starting hand-offs when `stop` is cancelled; those under way
    /// finish, and what was claimed but not started is left for `Store::leave_nodes`.
    pub fn with_stop(mut self, stop: tokio_util::sync::CancellationToken) -> Self {
        self.stop = stop;
        self
    }

    /// With the server's clock (a test's manual one) instead of the machine's.
    pub fn with_clock(mut self, clock: Arc<dyn crate::clock::Clock>) -> Self {
        // Only ever called while building, before the worker is shared.
        if let Some(worker) = Arc::get_mut(&mut self.worker) {
            worker.clock = clock;
        }
        self
    }

    /// With enrolment links that last `hours` (`enrolment_link_hours`).
    pub fn with_enrolment_hours(mut self, hours: u32) -> Self {
        // Only ever called while building, before the worker is shared.
        if let Some(worker) = Arc::get_mut(&mut self.worker) {
            worker.enrolment_hours = hours;
        }
        self
    }

    /// With a lease of its own (`delivery_lease_seconds`).
    pub fn with_lease(mut self, seconds: u32) -> Self {
        self.lease = chrono::Duration::seconds(i64::from(seconds));
        self
    }

    /// Brings in escalation groups that are due, then hands every delivery due at `now`
    /// to its provider, up to `IN_FLIGHT` at a time: staff alerts first, then the public
    /// outbox (subscription confirmations, notices to subscribers), then bulk activation
    /// links. An alert to thousands is planned in parts meanwhile, each part's deliveries
    /// claimed as soon as it is written. Returns how many deliveries and queued people
    /// were taken.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.worker.store.escalate_due(now).await?;
        let round = Round::starting(now, self.lease);
        let stop = &self.stop;
        let parts = Parts::default();
        let planning = async {
            let mut planned = 0;
            let result = loop {
                if stop.is_cancelled() {
                    break Ok(planned);
                }
                match self.worker.store.plan_alerts(PLANNING_PART).await {
                    Ok(0) => break Ok(planned),
                    Ok(n) => {
                        planned += n as usize;
                        parts.written();
                    }
                    Err(e) => break Err(e),
                }
            };
            parts.finished();
            result
        };
        let (finished, recording) = tokio::sync::mpsc::channel(TASKS);
        let (wanted, asking) = tokio::sync::mpsc::channel(TASKS);
        let mut outbox = AlertOutbox {
            worker: self.worker.clone(),
            round,
            contexts: HashMap::new(),
            desk: Desk { wanted, finished },
        };
        let sending = async {
            let sent = pump(stop, Some(&parts), &mut outbox, &self.worker, round).await;
            // The last senders to the desk go with the outbox: answering and recording end
            // once the hand-offs have asked and their outcomes are written.
            drop(outbox);
            sent
        };
        let answered = answer_wanted(self.worker.store.as_ref(), asking);
        let recorded = record_finished(self.worker.store.as_ref(), recording);
        let (planned, alerts, answered, recorded) =
            tokio::join!(planning, sending, answered, recorded);
        answered?;
        recorded?;
        let alerts = alerts? + planned?;
        let public = pump(
            stop,
            None,
            &mut PublicOutbox {
                worker: self.worker.clone(),
                round,
                orgs: HashMap::new(),
                notices: HashMap::new(),
            },
            &self.worker,
            round,
        )
        .await?;
        let activation = pump(
            stop,
            None,
            &mut ActivationOutbox {
                worker: self.worker.clone(),
                round,
                orgs: HashMap::new(),
            },
            &self.worker,
            round,
        )
        .await?;
        Ok(alerts + public + activation)
    }
}

/// One outbox as the pump drains it: claiming a batch (with what its hand-offs need to
/// know), and handing one over.
#[async_trait::async_trait]
trait Outbox: Send {
    type Job: Send + 'static;
    async fn claim(&mut self, limit: u32) -> Result<Vec<Self::Job>, StoreError>;
    /// The hand-off of `job`: it holds one of the `gate`'s places only while the
    /// provider has the message, and records the outcome after leaving it.
    fn hand_over(worker: Arc<Worker>, round: Round, gate: Gate, job: Self::Job) -> BoxedHandOff;
}

type BoxedHandOff =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send>>;

/// The time of a round: the moment it was started for (a test's round may be for a later
/// moment than the clock's), moved on by the time the round has taken. A round of a large
/// alert lasts minutes: its claims must still be leased from when they are made, and a
/// retry counted from when the provider asked for it.
#[derive(Clone, Copy)]
struct Round {
    started_for: DateTime<Utc>,
    started: std::time::Instant,
    lease: chrono::Duration,
}

impl Round {
    fn starting(now: DateTime<Utc>, lease: chrono::Duration) -> Self {
        Self {
            started_for: now,
            started: std::time::Instant::now(),
            lease,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.started_for
            + chrono::Duration::from_std(self.started.elapsed()).unwrap_or(chrono::Duration::MAX)
    }

    /// Whether a hand-off that took its place at `entered` may wait `wait` and try again
    /// there: a short wait a provider asked for (a 429's `Retry-After`), well inside the
    /// lease of its claim. A longer one goes back to the outbox.
    fn may_wait(&self, entered: std::time::Instant, wait: std::time::Duration) -> bool {
        let half_lease = self.lease.to_std().unwrap_or_default() / 2;
        wait <= WAIT_IN_PLACE && entered.elapsed() + wait < half_lease
    }
}

/// The longest wait a provider may ask for that a hand-off sits out in its place.
const WAIT_IN_PLACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The places at the providers: at most `IN_FLIGHT` messages are with them at once, as
/// with a client that does nothing else. Recording what became of a message happens after
/// its place is given back, so a slow write (behind a part of an alert being planned, on
/// SQLite's one writer) does not leave the provider pipe part empty.
#[derive(Clone)]
struct Gate {
    places: Arc<tokio::sync::Semaphore>,
    stop: tokio_util::sync::CancellationToken,
}

impl Gate {
    fn new(stop: &tokio_util::sync::CancellationToken) -> Self {
        Self {
            places: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
            stop: stop.clone(),
        }
    }

    /// Waits for a place; none once the server is stopping (what was claimed and not
    /// started is left for `Store::leave_nodes`).
    async fn enter(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        tokio::select! {
            biased;
            () = self.stop.cancelled() => None,
            place = self.places.acquire() => place.ok(),
        }
    }
}

/// The parts of alerts planned while the alert outbox is pumped: each one written is more
/// to claim, and the pump stops only once planning has finished too.
#[derive(Default)]
struct Parts {
    written: std::sync::atomic::AtomicU64,
    finished: std::sync::atomic::AtomicBool,
    changed: tokio::sync::Notify,
}

impl Parts {
    fn written(&self) {
        self.written
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    fn finished(&self) {
        self.finished
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    fn count(&self) -> u64 {
        self.written.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn is_finished(&self) -> bool {
        self.finished.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until a part beyond the `seen`th is written or planning has finished.
    async fn next(&self, seen: u64) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the check, so a part written in between still wakes it.
            changed.as_mut().enable();
            if self.count() != seen || self.is_finished() {
                return;
            }
            changed.await;
        }
    }
}

/// Hand-offs started but not finished at most: those with a provider, and as many again
/// waiting for a place or recording their outcome.
const TASKS: usize = 2 * IN_FLIGHT;

/// Drains an outbox. Claiming runs beside the hand-offs: the next batch is claimed while
/// earlier ones are with the providers, so a place given back is taken again at once,
/// and what is claimed and waiting stays under two batches (well inside the lease). With
/// `parts`, it claims again after each part planned meanwhile and goes on until planning
/// is done.
async fn pump<O: Outbox>(
    stop: &tokio_util::sync::CancellationToken,
    parts: Option<&Parts>,
    outbox: &mut O,
    worker: &Arc<Worker>,
    round: Round,
) -> Result<usize, StoreError> {
    let (claimed_tx, mut claimed) = tokio::sync::mpsc::channel::<O::Job>(BATCH as usize);
    let claiming = async move {
        let mut taken = 0;
        loop {
            let seen = parts.map_or(0, Parts::count);
            let finished_before = parts.is_none_or(Parts::is_finished);
            // Claimed only once the whole batch has room to wait in.
            let room = tokio::select! {
                biased;
                () = stop.cancelled() => break,
                room = claimed_tx.reserve_many(BATCH as usize) => match room {
                    Ok(room) => room,
                    Err(_) => break,
                },
            };
            let batch = outbox.claim(BATCH).await?;
            let full = batch.len() == BATCH as usize;
            taken += batch.len();
            for (place, job) in room.zip(batch) {
                place.send(job);
            }
            if full {
                continue;
            }
            match parts {
                // Drained for now: the next part planned brings more.
                Some(parts) if !finished_before => tokio::select! {
                    biased;
                    () = stop.cancelled() => break,
                    () = parts.next(seen) => {}
                },
                _ => break,
            }
        }
        Ok::<_, StoreError>(taken)
    };
    let handing_over = async {
        let gate = Gate::new(stop);
        let mut running = tokio::task::JoinSet::new();
        let mut open = true;
        let mut first_error = None;
        loop {
            tokio::select! {
                job = claimed.recv(), if open && running.len() < TASKS => match job {
                    // Stopping: what is under way finishes, nothing new starts.
                    Some(_) if stop.is_cancelled() => {}
                    Some(job) => {
                        running.spawn(O::hand_over(worker.clone(), round, gate.clone(), job));
                    }
                    None => open = false,
                },
                Some(done) = running.join_next(), if !running.is_empty() => match done {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        first_error.get_or_insert(e);
                    }
                    Err(panicked) => {
                        first_error.get_or_insert(StoreError::Backend(format!(
                            "a hand-off task failed: {panicked}"
                        )));
                    }
                },
                else => break,
            }
        }
        first_error
    };
    let (taken, failed) = tokio::join!(claiming, handing_over);
    match (taken, failed) {
        (Err(e), _) | (Ok(_), Some(e)) => Err(e),
        (Ok(taken), None) => Ok(taken),
    }
}

/// What became of a hand-off of a staff alert, and when, on its way to the store.
type Finished = (beredskap_core::DeliveryId, DeliveryOutcome, DateTime<Utc>);

/// Outcomes recorded in one write at most.
const RECORD_BATCH: usize = 256;

/// How long recording waits for more outcomes once one has come: at a thousand hand-offs
/// a second, tens of outcomes per write instead of one or two, each write a transaction
/// and a flush of the database's log. An outcome not yet written when the server dies is
/// sent again under its idempotency key, which the providers' own keys catch.
const RECORD_LINGER: std::time::Duration = std::time::Duration::from_millis(20);

/// How long the answering of hand-offs' asks waits for more once one has come: a few
/// milliseconds of a hand-off's place at the provider, for a read of several at once.
const ASK_LINGER: std::time::Duration = std::time::Duration::from_millis(2);

/// Waits for the next of `items` and gathers those that come within `linger` of it, up to
/// `max` in `batch`; none once every sender is gone.
async fn gather<T>(
    items: &mut tokio::sync::mpsc::Receiver<T>,
    batch: &mut Vec<T>,
    max: usize,
    linger: std::time::Duration,
) -> usize {
    if items.recv_many(batch, max).await == 0 {
        return 0;
    }
    let until = tokio::time::Instant::now() + linger;
    while batch.len() < max {
        let left = max - batch.len();
        match tokio::time::timeout_at(until, items.recv_many(batch, left)).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    batch.len()
}

/// A hand-off asking whether its delivery is still wanted, and where the answer goes.
type WantedAsk = (
    beredskap_core::DeliveryId,
    tokio::sync::oneshot::Sender<bool>,
);

/// Where the hand-offs of staff alerts ask and report: whether a delivery is still
/// wanted, and what became of it. Each is answered or written for many hand-offs at once.
#[derive(Clone)]
struct Desk {
    wanted: tokio::sync::mpsc::Sender<WantedAsk>,
    finished: tokio::sync::mpsc::Sender<Finished>,
}

impl Desk {
    /// Whether the delivery `id` should still go out, asked right before its hand-off.
    async fn still_wanted(&self, id: beredskap_core::DeliveryId) -> Result<bool, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let stopped = || StoreError::Unavailable("checking hand-offs has stopped".into());
        self.wanted
            .send((id, answer))
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())
    }
}

/// Answers the hand-offs asking whether their deliveries are still wanted, all those
/// waiting in one read: one read per hand-off was, on PostgreSQL, a round trip and a
/// statement for each message sent. Ends when every asker is gone; the first failure is
/// reported then (its askers fail with it, and their claims are taken again once their
/// lease runs out).
async fn answer_wanted(
    store: &dyn Store,
    mut asks: tokio::sync::mpsc::Receiver<WantedAsk>,
) -> Result<(), StoreError> {
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    let mut first_error = None;
    while gather(&mut asks, &mut batch, RECORD_BATCH, ASK_LINGER).await > 0 {
        let ids = batch.iter().map(|(id, _)| *id).collect();
        match store.deliveries_wanted(ids).await {
            Ok(wanted) => {
                for (id, answer) in batch.drain(..) {
                    // An asker that is gone (the server stopping) needs no answer.
                    let _ = answer.send(wanted.contains(&id));
                }
            }
            Err(e) => {
                batch.clear();
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Records the outcomes of hand-offs as they come, all those waiting in one write: one
/// write per hand-off made the writes, not the providers, the bound on an alert to
/// thousands. Ends when every sender is gone; the first failure is reported then (what
/// was not recorded is claimed again once its lease runs out, and its idempotency key
/// keeps a gateway from sending it twice).
async fn record_finished(
    store: &dyn Store,
    mut finished: tokio::sync::mpsc::Receiver<Finished>,
) -> Result<(), StoreError> {
    let mut batch = Vec::with_capacity(RECORD_BATCH);
    let mut first_error = None;
    while gather(&mut finished, &mut batch, RECORD_BATCH, RECORD_LINGER).await > 0 {
        if let Err(e) = store.finish_deliveries(std::mem::take(&mut batch)).await {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Staff alerts.
struct AlertOutbox {
    worker: Arc<Worker>,
    round: Round,
    contexts: HashMap<AlertId, Context>,
    desk: Desk,
}

#[async_trait::async_trait]
impl Outbox for AlertOutbox {
    type Job = (Context, Delivery, Desk);

    async fn claim(&mut self, limit: u32) -> Result<Vec<Self::Job>, StoreError> {
        let store = &self.worker.store;
        let claimed = store
            .claim_deliveries(self.round.now(), limit, self.round.lease)
            .await?;
        let mut jobs = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            let context = match self.contexts.entry(delivery.alert_id) {
                std::collections::hash_map::Entry::Occupied(known) => known.get().clone(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let org = store
                        .org(delivery.org_id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let alert = store.alert(org.id, delivery.alert_id).await?;
                    slot.insert(Arc::new((org, alert))).clone()
                }
            };
            jobs.push((context, delivery, self.desk.clone()));
        }
        Ok(jobs)
    }

    fn hand_over(
        worker: Arc<Worker>,
        round: Round,
        gate: Gate,
        (context, delivery, desk): Self::Job,
    ) -> BoxedHandOff {
        Box::pin(async move {
            worker
                .deliver(&gate, &context, delivery, round, &desk)
                .await
        })
    }
}

/// Enrolment links of bulk activations.
struct ActivationOutbox {
    worker: Arc<Worker>,
    round: Round,
    orgs: HashMap<beredskap_core::OrgId, Arc<Org>>,
}

#[async_trait::async_trait]
impl Outbox for ActivationOutbox {
    type Job = (Arc<Org>, ActivationSend);

    async fn claim(&mut self, limit: u32) -> Result<Vec<Self::Job>, StoreError> {
        let store = &self.worker.store;
        let claimed = store
            .claim_activation_sends(self.round.now(), limit, self.round.lease)
            .await?;
        let mut jobs = Vec::with_capacity(claimed.len());
        for send in claimed {
            let org = match self.orgs.get(&send.org_id) {
                Some(org) => org.clone(),
                None => {
                    let org = Arc::new(store.org(send.org_id).await?.ok_or(StoreError::NotFound)?);
                    self.orgs.insert(org.id, org.clone());
                    org
                }
            };
            jobs.push((org, send));
        }
        Ok(jobs)
    }

    fn hand_over(
        worker: Arc<Worker>,
        round: Round,
        gate: Gate,
        (org, send): Self::Job,
    ) -> BoxedHandOff {
        Box::pin(async move {
            let Some(place) = gate.enter().await else {
                return Ok(());
            };
            if !worker.store.activation_send_wanted(send.id).await? {
                return Ok(());
            }
            let settings = beredskap_app::accounts::LinkSettings {
                public_url: worker.links.base(),
                hours: worker.enrolment_hours,
            };
            let outcome = beredskap_app::activation::send_one(
                worker.store.as_ref(),
                &worker.notifier,
                &org,
                &send,
                &settings,
                round.now(),
            )
            .await;
            drop(place);
            worker
                .store
                .finish_activation_send(send.id, outcome, worker.clock.now())
                .await
                .map(|_| ())
        })
    }
}

/// Subscription confirmations and notices to subscribers.
struct PublicOutbox {
    worker: Arc<Worker>,
    round: Round,
    orgs: HashMap<beredskap_core::OrgId, Arc<Org>>,
    /// By notice and update: an update published while a fan-out is under way is read
    /// afresh, not looked for in the notice as read before it.
    notices: HashMap<(beredskap_core::NoticeId, i64), Arc<Notice>>,
}

/// A public message with what it is made from: its organisation, and its notice when it
/// carries one.
type PublicJob = (Arc<Org>, Option<Arc<Notice>>, PublicDelivery);

#[async_trait::async_trait]
impl Outbox for PublicOutbox {
    type Job = PublicJob;

    async fn claim(&mut self, limit: u32) -> Result<Vec<Self::Job>, StoreError> {
        let store = &self.worker.store;
        let claimed = store
            .claim_public_deliveries(self.round.now(), limit, self.round.lease)
            .await?;
        let mut jobs = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            let org = match self.orgs.get(&delivery.org_id) {
                Some(org) => org.clone(),
                None => {
                    let org = Arc::new(
                        store
                            .org(delivery.org_id)
                            .await?
                            .ok_or(StoreError::NotFound)?,
                    );
                    self.orgs.insert(org.id, org.clone());
                    org
                }
            };
            let notice = match delivery.purpose {
                PublicPurpose::Notice { notice, seq, .. } => {
                    Some(match self.notices.get(&(notice, seq)) {
                        Some(known) => known.clone(),
                        None => {
                            let read = Arc::new(store.notice(org.id, notice).await?);
                            self.notices.insert((notice, seq), read.clone());
                            read
                        }
                    })
                }
                PublicPurpose::Confirm { .. } => None,
            };
            jobs.push((org, notice, delivery));
        }
        Ok(jobs)
    }

    fn hand_over(worker: Arc<Worker>, round: Round, gate: Gate, job: Self::Job) -> BoxedHandOff {
        Box::pin(async move { worker.deliver_public(&gate, job, round).await })
    }
}

/// An outbox row being handed over, to ask whether it is still wanted.
#[derive(Clone, Copy)]
enum Row<'a> {
    /// A delivery, tried `.1` times with this try.
    Alert(beredskap_core::DeliveryId, i32, &'a Desk),
    Public(beredskap_core::PublicDeliveryId, i32),
}

impl Row<'_> {
    /// How many times the row has been tried, this try included.
    fn attempts(&self) -> i32 {
        match self {
            Row::Alert(_, attempts, _) | Row::Public(_, attempts) => *attempts,
        }
    }
}

impl Worker {
    async fn deliver(
        &self,
        gate: &Gate,
        context: &(Org, Alert),
        delivery: Delivery,
        round: Round,
        desk: &Desk,
    ) -> Result<(), StoreError> {
        let (org, alert) = context;
        let outcome = match self.notifier.for_kind(delivery.channel) {
            None => Some(DeliveryOutcome::Failed {
                error: format!("no {} provider is configured", delivery.channel.as_str()),
            }),
            Some(provider) => {
                let message = self.alert_message(org, alert, &delivery);
                let row = Row::Alert(delivery.id, delivery.attempts, desk);
                self.send(gate, round, row, provider.as_ref(), &message)
                    .await?
            }
        };
        if let Some(outcome) = outcome {
            let at = self.clock.now();
            // Closed only once recording has stopped, which waits for this sender.
            desk.finished
                .send((delivery.id, outcome, at))
                .await
                .map_err(|_| StoreError::Unavailable("recording hand-offs has stopped".into()))?;
        }
        Ok(())
    }

    fn alert_message(&self, org: &Org, alert: &Alert, delivery: &Delivery) -> OutgoingMessage {
        let link = match alert.contact_check_until {
            Some(_) => self.links.check_url(delivery.id),
            None => self.links.url(alert.id, delivery.person_id),
        };
        let (subject, body) = beredskap_app::messages::compose(org, alert, delivery.kind, &link);
        OutgoingMessage {
            to: delivery.address.clone(),
            subject,
            body,
            idempotency_key: Some(delivery.idempotency_key.clone()),
            link: Some(link),
            from: org.sms_number.clone(),
            attachment: None,
            unsubscribe: None,
        }
    }

    /// Hands `message` to `provider` in a place of the `gate`, and says what became of it;
    /// nothing when the server is stopping or `row` is no longer wanted (its person
    /// answered, its subscriber left). A provider asking for a short wait gets it with the
    /// place held, as it would from a client that does nothing else: fewer requests, not
    /// the same number from others.
    async fn send(
        &self,
        gate: &Gate,
        round: Round,
        row: Row<'_>,
        provider: &dyn crate::notify::Provider,
        message: &OutgoingMessage,
    ) -> Result<Option<DeliveryOutcome>, StoreError> {
        let Some(_place) = gate.enter().await else {
            return Ok(None);
        };
        let entered = std::time::Instant::now();
        loop {
            let wanted = match row {
                Row::Alert(id, _, desk) => desk.still_wanted(id).await?,
                Row::Public(id, _) => self.store.public_delivery_wanted(id).await?,
            };
            if !wanted {
                return Ok(None);
            }
            let result = provider.send_via(message).await;
            if let Err(NotifyError::Temporary {
                retry_after: Some(wait),
                ..
            }) = &result
            {
                if round.may_wait(entered, *wait) {
                    tokio::select! {
                        () = tokio::time::sleep(*wait) => continue,
                        () = gate.stop.cancelled() => {}
                    }
                }
            }
            return Ok(Some(outcome(result, row.attempts(), round.now())));
        }
    }

    /// Hands a public message over: a request's confirmation, or a notice's update to a
    /// subscriber, in the language they chose.
    async fn deliver_public(
        &self,
        gate: &Gate,
        job: PublicJob,
        round: Round,
    ) -> Result<(), StoreError> {
        let (org, notice, delivery) = job;
        let outcome = match self.notifier.for_kind(delivery.channel) {
            None => Some(DeliveryOutcome::Failed {
                error: format!("no {} provider is configured", delivery.channel.as_str()),
            }),
            Some(provider) => match self.public_message(&org, notice.as_deref(), &delivery) {
                Some(message) => {
                    let row = Row::Public(delivery.id, delivery.attempts);
                    self.send(gate, round, row, provider.as_ref(), &message)
                        .await?
                }
                None => Some(DeliveryOutcome::Failed {
                    error: "the notice's update is gone".into(),
                }),
            },
        };
        match outcome {
            Some(outcome) => self
                .store
                .finish_public_delivery(delivery.id, outcome, self.clock.now())
                .await
                .map(|_| ()),
            None => Ok(()),
        }
    }

    fn public_message(
        &self,
        org: &Org,
        notice: Option<&Notice>,
        delivery: &PublicDelivery,
    ) -> Option<OutgoingMessage> {
        let lang = beredskap_i18n::Lang::from_code(&delivery.lang)
            .unwrap_or_else(|| beredskap_app::messages::language(org));
        let slug = org.slug.as_str();
        let (subject, body, link, unsubscribe) = match (delivery.purpose, notice) {
            (PublicPurpose::Confirm { request }, _) => {
                let link = self
                    .links
                    .subscription_confirm_url(slug, request, lang.code());
                let (subject, body) =
                    beredskap_app::messages::subscription_confirm(org, lang, &link);
                (subject, body, link, None)
            }
            (
                PublicPurpose::Notice {
                    subscription, seq, ..
                },
                Some(notice),
            ) => {
                let update = notice.updates.iter().find(|u| u.seq == seq)?;
                let status = self.links.status_url(slug, lang.code());
                let leave = self.links.unsubscribe_url(slug, subscription, lang.code());
                let (subject, mail, sms) = beredskap_app::messages::notice_to_subscriber(
                    org, lang, notice, update, &status, &leave,
                );
                let body = match delivery.channel {
                    ContactKind::Email => mail,
                    _ => sms,
                };
                (subject, body, status, Some(leave))
            }
            (PublicPurpose::Notice { .. }, None) => return None,
        };
        Some(OutgoingMessage {
            to: delivery.address.clone(),
            subject,
            body,
            idempotency_key: Some(delivery.idempotency_key.clone()),
            link: Some(link),
            from: org.sms_number.clone(),
            attachment: None,
            unsubscribe,
        })
    }
}

/// What a provider's answer means for the outbox row.
fn outcome(
    result: Result<(&'static str, String), NotifyError>,
    attempts: i32,
    now: DateTime<Utc>,
) -> DeliveryOutcome {
    match result {
        Ok((provider, provider_ref)) => DeliveryOutcome::Sent {
            provider: provider.to_owned(),
            provider_ref,
        },
        Err(NotifyError::Temporary {
            reason,
            retry_after,
        }) => {
            let wait = retry_after
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .unwrap_or_else(|| retry_wait(attempts));
            DeliveryOutcome::Retry {
                at: now + wait,
                error: reason,
            }
        }
        // Maybe taken: the next try carries the same idempotency key.
        Err(NotifyError::Uncertain { reason }) => DeliveryOutcome::Retry {
            at: now + retry_wait(attempts),
            error: reason,
        },
        Err(other) => DeliveryOutcome::Failed {
            error: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_moves_on_with_its_time_and_sits_out_only_short_waits() {
        let start: DateTime<Utc> = "2026-12-03T10:00:00Z".parse().unwrap();
        let round = Round::starting(start, chrono::Duration::seconds(30));
        std::thread::sleep(std::time::Duration::from_millis(20));
        // A claim late in a long round is leased from then, not from the round's start.
        assert!(round.now() >= start + chrono::Duration::milliseconds(20));
        let second = std::time::Duration::from_secs(1);
        let entered = std::time::Instant::now();
        assert!(round.may_wait(entered, second));
        assert!(round.may_wait(entered, 5 * second));
        assert!(!round.may_wait(entered, 6 * second), "back to the outbox");
        let long_ago = entered.checked_sub(12 * second).unwrap();
        assert!(round.may_wait(long_ago, 2 * second));
        assert!(
            !round.may_wait(long_ago, 4 * second),
            "not past half the claim's lease"
        );
    }

    #[test]
    fn a_failed_try_is_retried_within_seconds_then_ever_less_often() {
        let now: DateTime<Utc> = "2026-12-04T10:00:00Z".parse().unwrap();
        let refused = || {
            Err(NotifyError::Temporary {
                reason: "connection refused".into(),
                retry_after: None,
            })
        };
        let due = |outcome: DeliveryOutcome| match outcome {
            DeliveryOutcome::Retry { at, .. } => (at - now).num_seconds(),
            other => panic!("not a retry: {other:?}"),
        };
        let waits: Vec<i64> = (1..=9)
            .map(|tries| due(outcome(refused(), tries, now)))
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        // A wait the provider names is kept, whatever the tries.
        let named = Err(NotifyError::Temporary {
            reason: "429".into(),
            retry_after: Some(std::time::Duration::from_secs(7)),
        });
        assert_eq!(due(outcome(named, 4, now)), 7);
        // Maybe taken (no answer in time): tried again as soon, under the same key.
        let unanswered = Err(NotifyError::Uncertain {
            reason: "timed out".into(),
        });
        assert_eq!(due(outcome(unanswered, 2, now)), 10);
    }

    #[test]
    fn an_answer_link_names_its_alert_and_person_and_cannot_be_altered() {
        let links = AnswerLinks::new(vec![7; 32], "https://beredskap.example/");
        let (alert, person) = (AlertId::new(), PersonId::new());
        let token = links.token(alert, person);
        assert_eq!(links.verify(&token), Some((alert, person)));
        assert!(links
            .url(alert, person)
            .starts_with("https://beredskap.example/a/"));
        // Another person's id with the same tag, or another key, does not verify.
        let other = links.token(alert, PersonId::new());
        let forged = format!("{}{}", &other[..43], &token[43..]);
        assert_eq!(links.verify(&forged), None);
        let elsewhere = AnswerLinks::new(vec![8; 32], "https://x");
        assert_eq!(elsewhere.verify(&token), None);
        assert_eq!(links.verify("kort"), None);
        // A token signed for one purpose does not open another.
        let position = beredskap_core::PositionId::new();
        let calendar = links.calendar_url(position);
        let token = calendar
            .trim_start_matches("https://beredskap.example/calendar/")
            .trim_end_matches(".ics");
        assert_eq!(links.verify_calendar(token), Some(position));
        assert_eq!(links.verify_check(token), None);
        // A subscription's confirmation does not unsubscribe, nor the other way round, and
        // each link keeps the language it was asked in.
        let request = beredskap_core::SubscriptionRequestId::new();
        let confirm = links.subscription_confirm_url("lillby", request, "da");
        let token = confirm
            .trim_start_matches("https://beredskap.example/status/lillby/confirm/")
            .trim_end_matches("?lang=da");
        assert_eq!(links.verify_subscription_confirm(token), Some(request));
        assert_eq!(links.verify_unsubscribe(token), None);
        let subscription = beredskap_core::SubscriptionId::new();
        let leave = links.unsubscribe_url("lillby", subscription, "sv");
        let token = leave
            .trim_start_matches("https://beredskap.example/status/lillby/unsubscribe/")
            .trim_end_matches("?lang=sv");
        assert_eq!(links.verify_unsubscribe(token), Some(subscription));
        assert_eq!(links.verify_subscription_confirm(token), None);
    }
}
