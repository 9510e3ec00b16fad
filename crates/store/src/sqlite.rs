//! The embedded default: one SQLite file in WAL mode with `synchronous=FULL`.
//!
//! All writes go through one writer task that owns the only writing connection. It takes
//! every write that is waiting, runs each in its own savepoint inside one transaction, and
//! commits them together (group commit): one fsync acknowledges the whole batch, and a
//! write that fails rolls back only its own savepoint. Reads use a separate pool of
//! read-only connections, which WAL lets run beside the writer.

use crate::{OpenError, OpenOptions};
use beredskap_core::store::StoreError;
use beredskap_core::store::StoreResult;
use futures_util::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};
use std::any::Any;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

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

    /// Every SQLite write already runs alone, in the writer's `BEGIN IMMEDIATE`
    /// transaction; there is nothing to lock. An unknown organisation is still refused,
    /// by the foreign keys and by `append_journal`.
    pub async fn lock_org(_conn: &mut Conn, _org: OrgId) -> StoreResult<()> {
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

type AnyValue = Box<dyn Any + Send>;
type RunFn = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<AnyValue>> + Send,
>;

struct WriteJob {
    run: RunFn,
    reply: oneshot::Sender<StoreResult<AnyValue>>,
}

pub struct SqliteStore {
    jobs: mpsc::Sender<WriteJob>,
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
        let max_batch = options.sqlite_max_batch.max(1);
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
        let (reply, answer) = oneshot::channel();
        let run: RunFn = Box::new(move |conn| {
            Box::pin(async move { f(conn).await.map(|v| Box::new(v) as AnyValue) })
        });
        self.jobs
            .send(WriteJob { run, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        let value = answer.await.map_err(|_| {
            StoreError::Unavailable("the SQLite writer stopped before committing".into())
        })??;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| StoreError::Backend("the SQLite writer returned another type".into()))
    }
}

/// Runs one fixed statement. Boxed so the writer task's future stays `Send` for every
/// connection lifetime (the generic `execute` future trips the compiler's HRTB check).
fn exec<'c>(conn: &'c mut SqliteConnection, sql: &'static str) -> BoxFuture<'c, StoreResult<()>> {
    Box::pin(async move {
        sqlx::query(sql)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(crate::map_sqlx_error)
    })
}

async fn run_writer(
    mut conn: SqliteConnection,
    mut queue: mpsc::Receiver<WriteJob>,
    max_batch: usize,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch).await;
    }
    let _ = conn.close().await;
}

async fn commit_batch(conn: &mut SqliteConnection, batch: Vec<WriteJob>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        for job in batch {
            let _ = job.reply.send(Err(e.clone()));
        }
        return;
    }
    // A lone write needs no savepoint: if it fails, the transaction is simply rolled back.
    let isolate = batch.len() > 1;
    let mut done = Vec::with_capacity(batch.len());
    let mut broken = None;
    for job in batch {
        if broken.is_some() {
            done.push((
                job.reply,
                Err(StoreError::Unavailable("batch aborted".into())),
            ));
            continue;
        }
        if isolate {
            if let Err(e) = exec(conn, "SAVEPOINT write_job").await {
                broken = Some(e.clone());
                done.push((job.reply, Err(e)));
                continue;
            }
        }
        let result = (job.run)(conn).await;
        let end = match (isolate, result.is_ok()) {
            (false, _) => Ok(()),
            (true, true) => exec(conn, "RELEASE SAVEPOINT write_job").await,
            (true, false) => match exec(conn, "ROLLBACK TO SAVEPOINT write_job").await {
                Ok(()) => exec(conn, "RELEASE SAVEPOINT write_job").await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = end {
            // SQLite rolls back the whole transaction on some errors (I/O, full disk);
            // then nothing in this batch can be committed.
            broken = Some(e);
        }
        done.push((job.reply, result));
    }
    let nothing_to_commit = done.iter().all(|(_, result)| result.is_err());
    let outcome = match broken {
        Some(e) => Err(e),
        None if nothing_to_commit => exec(conn, "ROLLBACK").await,
        None => exec(conn, "COMMIT").await,
    };
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "SQLite batch not committed");
        let _ = exec(conn, "ROLLBACK").await;
    }
    for (reply, result) in done {
        let _ = reply.send(match (&outcome, result) {
            (_, Err(job_error)) => Err(job_error),
            (Err(e), Ok(_)) => Err(e.clone()),
            (Ok(()), Ok(value)) => Ok(value),
        });
    }
}
