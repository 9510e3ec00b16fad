//! PostgreSQL, for production and for several stateless app nodes on one database.
//! Commits are durable (`synchronous_commit = on`); PostgreSQL's own replication provides
//! high availability.
//!
//! Every write to an organisation's data appends to its hash-chained journal, so writers
//! of one organisation take turns on the chain's head row, each holding it through its
//! commit. To make that turn count, each node commits an organisation's waiting writes
//! together (group commit, `batch.rs`): one writer task per organisation with writes on
//! this node, one transaction and one turn on the head for the whole batch. Writers of
//! different organisations do not wait for each other.

use crate::batch::{self, Ran, WriteJob};
use crate::{OpenError, OpenOptions};
use beredskap_core::store::{NodeListener, NodeSignal, StoreError, StoreResult};
use beredskap_core::OrgId;
use futures_util::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const BACKEND_NAME: &str = "postgres";

type Backend = PgStore;

/// What this backend does differently, for the SQL in `shared/` (which is compiled once
/// per backend, as ordinary modules of it).
mod dialect {
    use super::ops::{db, Conn};
    use beredskap_core::journal::JournalEntry;
    use beredskap_core::store::{StoreError, StoreResult};
    use beredskap_core::OrgId;

    pub type Db = sqlx::Postgres;

    /// How a worker claims outbox rows without waiting for another worker's.
    pub const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

    /// The order a claim takes due outbox rows in: none. Ordered by `due_at`, PostgreSQL
    /// gathered every due row and sorted them to take a batch (its statistics, older than
    /// a large alert's rows, promise a few hundred): 36–63 ms per claim of 512 in the
    /// middle of an alert to 100,000, growing with what was left. Unordered, the scan stops
    /// at the batch. Every row taken is due; in a blast, rows are stored in the order they
    /// were planned, which is the order they fell due, and a retry or a later step falls
    /// due after the rows of the alert already waiting, as it would be ordered.
    pub const DUE_ORDER: &str = "";

    /// `column` is one of `ids`, as one array: the statement's text is the same for any
    /// number of ids, so PostgreSQL prepares and plans it once per connection, not once per
    /// length of a list (planning those was more of its time than running them).
    pub fn push_among(q: &mut sqlx::QueryBuilder<'_, Db>, column: &str, ids: Vec<uuid::Uuid>) {
        q.push(format!("{column} = ANY("));
        q.push_bind(ids);
        q.push(")");
    }

    /// The hand-offs `(id, sent_at, provider, provider_ref)` as rows of a `SELECT`, from
    /// four arrays: one statement text for any number of them (see `push_among`).
    pub fn push_handed(
        q: &mut sqlx::QueryBuilder<'_, Db>,
        handed: &[(uuid::Uuid, chrono::DateTime<chrono::Utc>, String, String)],
    ) {
        q.push("SELECT * FROM UNNEST(");
        q.push_bind(handed.iter().map(|h| h.0).collect::<Vec<_>>());
        q.push("::uuid[], ");
        q.push_bind(handed.iter().map(|h| h.1).collect::<Vec<_>>());
        q.push("::timestamptz[], ");
        q.push_bind(handed.iter().map(|h| h.2.clone()).collect::<Vec<_>>());
        q.push("::text[], ");
        q.push_bind(handed.iter().map(|h| h.3.clone()).collect::<Vec<_>>());
        q.push("::text[])");
    }

    /// Locks the organisation's journal head first thing in a writing transaction, so
    /// concurrent writers of one organisation queue here (keeping the chain gapless) instead
    /// of deadlocking later on rows they both touch.
    pub async fn lock_org(conn: &mut Conn, org: OrgId) -> StoreResult<()> {
        lock_org_head(conn, org).await.map(|_| ())
    }

    /// `lock_org`, answering with the head it locked: `(seq, hash)`.
    pub async fn lock_org_head(conn: &mut Conn, org: OrgId) -> StoreResult<(i64, String)> {
        let locked: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM journal_heads WHERE org_id = $1 FOR UPDATE")
                .bind(org.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
        locked.ok_or(StoreError::NotFound)
    }

    /// Writes the journal entries the batch has deferred (`batch::HeldHead::deferred`), in
    /// their order, in one statement, and ends the deferral: the rest of the batch writes
    /// its appends as it goes. A write that reads or changes the journal, or opens a
    /// savepoint of its own, calls this first; the batch calls it before its commit.
    pub async fn write_deferred_journal(conn: &mut Conn) -> StoreResult<()> {
        let entries = crate::batch::end_deferral();
        if entries.is_empty() {
            return Ok(());
        }
        // Arrays, not a `VALUES` row per entry: one statement text, prepared once, for any
        // number of entries. The text columns are bound borrowed, not copied again.
        let text = |f: fn(&JournalEntry) -> &str| entries.iter().map(f).collect::<Vec<_>>();
        let inserted = sqlx::query(
            "INSERT INTO journal \
             (org_id, seq, at, actor, kind, subject, payload, payload_hash, prev_hash, hash) \
             SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::timestamptz[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) \
             ORDER BY 2",
        )
        .bind(entries.iter().map(|e| e.org_id.0).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.seq).collect::<Vec<_>>())
        .bind(entries.iter().map(|e| e.at).collect::<Vec<_>>())
        .bind(text(|e| e.actor.as_str()))
        .bind(text(|e| &e.kind))
        .bind(text(|e| &e.subject))
        .bind(text(|e| &e.payload))
        .bind(
            entries
                .iter()
                .map(|e| e.payload_hash.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(text(|e| &e.prev_hash))
        .bind(text(|e| &e.hash))
        .execute(&mut *conn)
        .await
        .map_err(db)?
        .rows_affected();
        match usize::try_from(inserted).is_ok_and(|n| n == entries.len()) {
            true => Ok(()),
            false => Err(StoreError::Backend(format!(
                "{inserted} of {} deferred journal entries written",
                entries.len()
            ))),
        }
    }

    /// What makes a commit durable, as a writing connection reports it.
    pub async fn durability(conn: &mut Conn) -> StoreResult<Vec<(String, String)>> {
        let mut settings = Vec::new();
        for name in ["synchronous_commit", "fsync", "full_page_writes"] {
            let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
            settings.push((name.to_owned(), value));
        }
        Ok(settings)
    }
}

#[path = "shared/ops.rs"]
mod ops;

#[path = "shared/store_impl.rs"]
mod store_impl;

#[path = "shared/conversation_impl.rs"]
mod conversation_impl;

#[path = "shared/alerting_impl.rs"]
mod alerting_impl;

#[path = "shared/continuity_impl.rs"]
mod continuity_impl;

#[path = "shared/priority_impl.rs"]
mod priority_impl;

#[path = "shared/notice_impl.rs"]
mod notice_impl;

#[path = "shared/activation_impl.rs"]
mod activation_impl;

pub struct PgStore {
    pool: PgPool,
    /// The node this store's claims are made in.
    node: beredskap_core::NodeId,
    writers: Arc<OrgWriters>,
}

/// Most writes in one PostgreSQL batch. Each write of a batch is a subtransaction (its
/// savepoint); past 64 in one transaction, PostgreSQL's per-backend cache of them
/// overflows and every other session's visibility checks slow down.
const PG_MAX_BATCH: usize = 64;

/// How long an organisation's writer waits for another write before it ends.
const WRITER_IDLE: Duration = Duration::from_secs(30);

/// How long a connection may have waited in the pool before it is tested again on the way
/// out (see `open`).
const TEST_IDLE_AFTER: Duration = Duration::from_secs(1);

/// The writer tasks of the organisations with writes on this node, by organisation.
struct OrgWriters {
    pool: PgPool,
    max_batch: usize,
    queues: Mutex<HashMap<OrgId, mpsc::Sender<WriteJob<PgConnection>>>>,
}

impl OrgWriters {
    /// The organisation's queue, starting its writer if it has none.
    fn queue(self: &Arc<Self>, org: OrgId) -> mpsc::Sender<WriteJob<PgConnection>> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = queues.get(&org).filter(|q| !q.is_closed()) {
            return queue.clone();
        }
        let (queue, jobs) = mpsc::channel(4 * self.max_batch);
        queues.insert(org, queue.clone());
        tokio::spawn(run_org_writer(Arc::downgrade(self), org, jobs));
        queue
    }
}

/// One organisation's writer: takes every write waiting for it, up to `max_batch`, and
/// commits them in one transaction. It ends when the store is dropped, or after
/// [`WRITER_IDLE`] without writes (an organisation writes again later through a new one).
async fn run_org_writer(
    writers: Weak<OrgWriters>,
    org: OrgId,
    mut jobs: mpsc::Receiver<WriteJob<PgConnection>>,
) {
    // Set after a write failed in a batch without savepoints; cleared by a batch with
    // savepoints whose every write was committed.
    let mut careful = false;
    loop {
        let first = match tokio::time::timeout(WRITER_IDLE, jobs.recv()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(_idle) => {
                let Some(writers) = writers.upgrade() else {
                    return;
                };
                // Under the lock no write can find this queue, so none is left behind:
                // one sent before is taken here, one sent after finds the queue closed
                // and starts a new writer.
                let mut queues = writers.queues.lock().unwrap_or_else(|p| p.into_inner());
                match jobs.try_recv() {
                    Ok(job) => job,
                    Err(_) => {
                        queues.remove(&org);
                        jobs.close();
                        return;
                    }
                }
            }
        };
        let Some(writers) = writers.upgrade() else {
            first.refuse(StoreError::Unavailable("the store was closed".into()));
            return;
        };
        let mut batch = vec![first];
        while batch.len() < writers.max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if !careful && batch::may_run_unguarded(&batch) {
            match run_batch(&writers.pool, org, batch, Guard::None).await {
                Ran::Done(_) => continue,
                Ran::Failed { batch: back, .. } => {
                    // A write failed: the batch runs again with savepoints, as do the
                    // batches after it until one has every write committed.
                    careful = true;
                    batch = back;
                }
            }
        }
        if let Ran::Done(end) = run_batch(&writers.pool, org, batch, Guard::Savepoints).await {
            careful = !end.all_committed;
        }
    }
}

/// Whether a batch's writes each run in a savepoint.
enum Guard {
    None,
    Savepoints,
}

/// Runs a batch in a transaction of its own on a connection from the pool.
async fn run_batch(
    pool: &PgPool,
    org: OrgId,
    batch: Vec<WriteJob<PgConnection>>,
    guard: Guard,
) -> Ran<PgConnection> {
    let refused = |batch, e: &StoreError, clean| {
        batch::refuse_all(batch, e);
        Ran::Done(batch::BatchEnd {
            clean,
            all_committed: false,
        })
    };
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return refused(batch, &crate::map_sqlx_error(e), true),
    };
    // The organisation's turn on its journal head, once for the whole batch; the
    // batch's appends chain on from the head it read.
    let begun = match exec(&mut conn, "BEGIN").await {
        Ok(()) => dialect::lock_org_head(&mut conn, org).await,
        Err(e) => Err(e),
    };
    let ran = match begun {
        Ok((seq, hash)) => {
            let deferred = match guard {
                Guard::None => Some(Vec::new()),
                Guard::Savepoints => None,
            };
            let head = batch::HeldHead {
                org,
                seq,
                hash,
                deferred,
            };
            let run = async {
                match guard {
                    Guard::Savepoints => {
                        Ran::Done(batch::commit_batch(&mut *conn, exec, batch).await)
                    }
                    Guard::None => {
                        batch::commit_unguarded(&mut *conn, exec, write_deferred, batch).await
                    }
                }
            };
            batch::with_held_head(head, run).await
        }
        Err(e) => {
            let clean = exec(&mut conn, "ROLLBACK").await.is_ok();
            refused(batch, &e, clean)
        }
    };
    if !ran.clean() {
        // It may still be inside the failed transaction: not fit for the pool.
        conn.close_on_drop();
    }
    ran
}

/// Writes the batch's deferred journal entries (see `batch::Flush`).
fn write_deferred(conn: &mut PgConnection) -> BoxFuture<'_, StoreResult<()>> {
    Box::pin(dialect::write_deferred_journal(conn))
}

/// Runs fixed statements (see `batch::Exec`).
fn exec<'c>(conn: &'c mut PgConnection, sql: &'static str) -> BoxFuture<'c, StoreResult<()>> {
    Box::pin(async move {
        // A plain string goes as a simple query: several statements in one round trip.
        conn.execute(sql)
            .await
            .map(|_| ())
            .map_err(crate::map_sqlx_error)
    })
}

/// The channel the nodes on one database signal each other on.
const NODE_CHANNEL: &str = "beredskap";

/// A signal as sent: the sending node (so it can skip its own), then what happened.
fn signal_payload(node: beredskap_core::NodeId, signal: &NodeSignal) -> String {
    match signal {
        NodeSignal::Published(org) => format!("{node} published {org}"),
        NodeSignal::DeliveriesDue => format!("{node} deliveries"),
    }
}

/// A signal as received, unless it is this node's own or not understood.
fn read_signal(node: beredskap_core::NodeId, payload: &str) -> Option<NodeSignal> {
    let mut words = payload.split(' ');
    let from = words.next()?;
    if from == node.to_string() {
        return None;
    }
    match (words.next()?, words.next()) {
        ("published", Some(org)) => org
            .parse()
            .ok()
            .map(|org| NodeSignal::Published(beredskap_core::OrgId(org))),
        ("deliveries", None) => Some(NodeSignal::DeliveriesDue),
        _ => None,
    }
}

/// LISTEN on a connection of its own.
struct PgNodeListener {
    listener: sqlx::postgres::PgListener,
    node: beredskap_core::NodeId,
}

#[async_trait::async_trait]
impl NodeListener for PgNodeListener {
    async fn next(&mut self) -> StoreResult<NodeSignal> {
        loop {
            let notification = self.listener.recv().await.map_err(crate::map_sqlx_error)?;
            if let Some(signal) = read_signal(self.node, notification.payload()) {
                return Ok(signal);
            }
        }
    }
}

impl PgStore {
    /// One statement for the lot: a burst of writes costs one round trip.
    async fn signal_other_nodes(&self, signals: &[NodeSignal]) -> StoreResult<()> {
        if signals.is_empty() {
            return Ok(());
        }
        let payloads: Vec<String> = signals
            .iter()
            .map(|s| signal_payload(self.node, s))
            .collect();
        sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(NODE_CHANNEL)
            .bind(payloads)
            .execute(&self.pool)
            .await
            .map_err(crate::map_sqlx_error)?;
        Ok(())
    }

    async fn listener_for_nodes(&self) -> StoreResult<Option<Box<dyn NodeListener>>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .map_err(crate::map_sqlx_error)?;
        listener
            .listen(NODE_CHANNEL)
            .await
            .map_err(crate::map_sqlx_error)?;
        Ok(Some(Box::new(PgNodeListener {
            listener,
            node: self.node,
        })))
    }

    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self, OpenError> {
        let shown = crate::redact_password(url);
        let connect_error = |e: sqlx::Error| OpenError::Connect {
            url: shown.clone(),
            reason: e.to_string(),
        };
        let connect = PgConnectOptions::from_str(url)
            .map_err(connect_error)?
            .application_name("beredskap")
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            // A connection is tested when it goes back to the pool (sqlx always does); one
            // used again soon after is not tested a second time, which would cost every
            // read and every batch a round trip more. One idle for longer may have lost
            // its server meanwhile, and is.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= TEST_IDLE_AFTER {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // An acknowledged write must be on disk, whatever the server default.
                    conn.execute("SET synchronous_commit = on").await?;
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(connect_error)?;
        MIGRATOR.run(&pool).await.map_err(|e| OpenError::Migrate {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let writers = Arc::new(OrgWriters {
            pool: pool.clone(),
            max_batch: options.max_batch.clamp(1, PG_MAX_BATCH),
            queues: Mutex::default(),
        });
        Ok(Self {
            pool,
            node: beredskap_core::NodeId(uuid::Uuid::new_v4()),
            writers,
        })
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let mut conn = self.pool.acquire().await.map_err(crate::map_sqlx_error)?;
        f(&mut conn).await
    }

    /// A write to one organisation's data, run with the organisation's journal head locked
    /// and committed together with the organisation's other writes waiting on this node.
    async fn write_in<T, F>(&self, org: OrgId, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>>
            + Clone
            + Send
            + 'static,
    {
        let (mut job, answer) = batch::job_again(f);
        // A writer that ended between finding its queue and sending hands the job back;
        // the next try starts a new writer.
        for _ in 0..3 {
            match self.writers.queue(org).send(job).await {
                Ok(()) => return answer.wait().await,
                Err(mpsc::error::SendError(back)) => job = back,
            }
        }
        job.refuse(StoreError::Unavailable(
            "no writer for the organisation".into(),
        ));
        answer.wait().await
    }

    /// A write in a transaction of its own.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let mut tx = self.pool.begin().await.map_err(crate::map_sqlx_error)?;
        match f(&mut tx).await {
            Ok(value) => {
                tx.commit().await.map_err(crate::map_sqlx_error)?;
                Ok(value)
            }
            Err(e) => {
                // Dropping the transaction would roll back too, but only later, on the pool.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }
}

/// `ops::seed_register` in one transaction, on a connection of its own.
pub(crate) async fn seed_register(
    url: &str,
    org: OrgId,
    group_slug: &str,
    people: &[(String, Vec<beredskap_core::register::ContactPoint>)],
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<beredskap_core::GroupId> {
    use sqlx::Connection;
    let mut conn = PgConnection::connect(url)
        .await
        .map_err(crate::map_sqlx_error)?;
    let mut tx = conn.begin().await.map_err(crate::map_sqlx_error)?;
    let group = ops::seed_register(&mut tx, org, group_slug, people, now).await?;
    tx.commit().await.map_err(crate::map_sqlx_error)?;
    Ok(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_reads_the_others_signals_and_skips_its_own() {
        let (me, other) = (beredskap_core::NodeId::new(), beredskap_core::NodeId::new());
        let org = beredskap_core::OrgId::new();
        for signal in [NodeSignal::Published(org), NodeSignal::DeliveriesDue] {
            assert_eq!(
                read_signal(me, &signal_payload(other, &signal)),
                Some(signal)
            );
            assert_eq!(read_signal(me, &signal_payload(me, &signal)), None);
        }
        assert_eq!(
            read_signal(me, &format!("{other} published nonsense")),
            None
        );
        assert_eq!(read_signal(me, ""), None);
    }
}
