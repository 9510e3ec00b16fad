//! The embedded default: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! All writes go through one writer task that owns the only writing connection. It takes
//! every write that is waiting and commits them together (group commit, `batch.rs`): one
//! fsync acknowledges the whole batch. Reads use a separate pool of
//! read-only connections, which WAL lets run beside the writer.

use crate::batch::{self, WriteJob};
use crate::{OpenError, OpenOptions};
use beredskap_core::store::StoreError;
use beredskap_core::store::StoreResult;
use futures_util::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Executor};
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const BACKEND_NAME: &str = "sqlite";
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

type Backend = SqliteStore;

/// What this backend does differently, for the SQL in `shared/` (which is compiled once
/// per backend, as ordinary modules of it).
mod dialect {
    use super::ops::{db, Conn};
    use beredskap_core::store::StoreResult;
    use beredskap_core::OrgId;

    pub type Db = sqlx::Sqlite;

    /// How a worker claims outbox rows without waiting for another worker's.
    pub const SKIP_LOCKED: &str = "";

    /// The order a claim takes due outbox rows in: the earliest due first, walking the
    /// `(status, due_at)` index and stopping at the batch.
    pub const DUE_ORDER: &str = " ORDER BY due_at";

    /// `column` is one of `ids`: a list of parameters (SQLite prepares statements cheaply).
    pub fn push_among(q: &mut sqlx::QueryBuilder<'_, Db>, column: &str, ids: Vec<uuid::Uuid>) {
        q.push(format!("{column} IN ("));
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        q.push(")");
    }

    /// The hand-offs `(id, sent_at, provider, provider_ref)` as rows, a `VALUES` list.
    pub fn push_handed(
        q: &mut sqlx::QueryBuilder<'_, Db>,
        handed: &[(uuid::Uuid, chrono::DateTime<chrono::Utc>, String, String)],
    ) {
        q.push_values(handed, |mut b, (id, at, provider, provider_ref)| {
            b.push_bind(*id)
                .push_bind(*at)
                .push_bind(provider.clone())
                .push_bind(provider_ref.clone());
        });
    }

    /// Every SQLite write already runs alone, in the writer's `BEGIN IMMEDIATE`
    /// transaction; there is nothing to lock. An unknown organisation is still refused,
    /// by the foreign keys and by `append_journal`.
    pub async fn lock_org(_conn: &mut Conn, _org: OrgId) -> StoreResult<()> {
        Ok(())
    }

    /// SQLite's writer holds no journal head (see `lock_org`), so its batches defer no
    /// appends: nothing to write.
    pub async fn write_deferred_journal(_conn: &mut Conn) -> StoreResult<()> {
        Ok(())
    }

    /// What makes a commit durable, as the writing connection reports it.
    pub async fn durability(conn: &mut Conn) -> StoreResult<Vec<(String, String)>> {
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
        let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
        let synchronous = match synchronous {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            _ => "unknown",
        };
        Ok(vec![
            ("synchronous".into(), synchronous.into()),
            ("journal_mode".into(), journal_mode),
        ])
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

pub struct SqliteStore {
    jobs: mpsc::Sender<WriteJob<SqliteConnection>>,
    readers: SqlitePool,
    /// The node this store's claims are made in.
    node: beredskap_core::NodeId,
}

impl SqliteStore {
    /// One node per SQLite file: nobody to tell.
    async fn signal_other_nodes(
        &self,
        _signals: &[beredskap_core::store::NodeSignal],
    ) -> StoreResult<()> {
        Ok(())
    }

    async fn listener_for_nodes(
        &self,
    ) -> StoreResult<Option<Box<dyn beredskap_core::store::NodeListener>>> {
        Ok(None)
    }

    pub async fn open(path: &Path, options: &OpenOptions) -> Result<Self, OpenError> {
        let url = format!("sqlite://{}", path.display());
        if !options.create && !path.exists() {
            return Err(OpenError::SqliteMissing(path.to_owned()));
        }
        if options.create {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| OpenError::Connect {
                    url: url.clone(),
                    reason: format!("cannot create directory {}: {e}", dir.display()),
                })?;
            }
        }
        let connect_error = |e: sqlx::Error| OpenError::Connect {
            url: url.clone(),
            reason: e.to_string(),
        };
        let base = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Statement journals (a statement changing many rows inside a transaction)
            // in memory: in files they were a write per page, some 7 % of the CPU of a blast.
            .pragma("temp_store", "memory")
            .busy_timeout(BUSY_TIMEOUT)
            .disable_statement_logging();
        let mut writer = base
            .clone()
            .create_if_missing(options.create)
            .connect()
            .await
            .map_err(connect_error)?;
        MIGRATOR
            .run(&mut writer)
            .await
            .map_err(|e| OpenError::Migrate {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        let readers = SqlitePoolOptions::new()
            .max_connections(options.max_connections.clamp(1, 8))
            .connect_with(base.read_only(true))
            .await
            .map_err(connect_error)?;
        // The batch bound also bounds how long one batch holds the write lock.
        let max_batch = options.max_batch.max(1);
        let (jobs, queue) = mpsc::channel(4 * max_batch);
        tokio::spawn(run_writer(writer, queue, max_batch));
        Ok(Self {
            jobs,
            readers,
            node: beredskap_core::NodeId(uuid::Uuid::new_v4()),
        })
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let mut conn = self
            .readers
            .acquire()
            .await
            .map_err(crate::map_sqlx_error)?;
        f(&mut conn).await
    }

    /// Queues a write for the writer task and waits until its batch is committed.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (job, answer) = batch::job(f);
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        answer.wait().await
    }

    /// A write to one organisation's data. Every write already has the one writer to
    /// itself; the organisation changes nothing here.
    async fn write_in<T, F>(&self, _org: beredskap_core::OrgId, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        self.write(f).await
    }
}

/// Runs fixed statements (see `batch::Exec`).
fn exec<'c>(conn: &'c mut SqliteConnection, sql: &'static str) -> BoxFuture<'c, StoreResult<()>> {
    Box::pin(async move {
        // A plain string goes as a simple query: several statements in one round trip.
        conn.execute(sql)
            .await
            .map(|_| ())
            .map_err(crate::map_sqlx_error)
    })
}

async fn run_writer(
    mut conn: SqliteConnection,
    mut queue: mpsc::Receiver<WriteJob<SqliteConnection>>,
    max_batch: usize,
) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        match exec(&mut conn, "BEGIN IMMEDIATE").await {
            // SQLite reports a failed ROLLBACK only when there was no transaction left to
            // end: the connection is fit either way.
            Ok(()) => {
                batch::commit_batch(&mut conn, exec, jobs).await;
            }
            Err(e) => batch::refuse_all(jobs, &e),
        }
    }
    let _ = conn.close().await;
}

/// `ops::seed_register` in one transaction, on a connection of its own.
pub(crate) async fn seed_register(
    path: &Path,
    org: beredskap_core::OrgId,
    group_slug: &str,
    people: &[(String, Vec<beredskap_core::register::ContactPoint>)],
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<beredskap_core::GroupId> {
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .map_err(crate::map_sqlx_error)?;
    let mut tx = conn.begin().await.map_err(crate::map_sqlx_error)?;
    let group = ops::seed_register(&mut tx, org, group_slug, people, now).await?;
    tx.commit().await.map_err(crate::map_sqlx_error)?;
    Ok(group)
}
