//! Group commit, for both backends: writes that wait together are run one after another in
//! one transaction, each in its own savepoint, and acknowledged by one commit. A write that
//! fails rolls back only its own savepoint; one that succeeds is answered only after the
//! commit.
//!
//! On PostgreSQL, where every statement is a round trip, a batch of writes that can run
//! again is first tried without savepoints (`commit_unguarded`): when one of them fails
//! the whole transaction is rolled back and the batch runs again, with savepoints. Such a
//! batch also writes its journal entries together, just before its commit (see
//! [`HeldHead::deferred`]).

use beredskap_core::journal::JournalEntry;
use beredskap_core::store::{StoreError, StoreResult};
use beredskap_core::OrgId;
use futures_util::future::BoxFuture;
use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use tokio::sync::oneshot;

pub(crate) type AnyValue = Box<dyn Any + Send>;
type RunFn<C> = Box<dyn for<'c> FnOnce(&'c mut C) -> BoxFuture<'c, StoreResult<AnyValue>> + Send>;
type RunAgainFn<C> =
    Box<dyn for<'c> Fn(&'c mut C) -> BoxFuture<'c, StoreResult<AnyValue>> + Send + Sync>;

/// What a queued write runs: once, or as often as its batch needs.
enum Work<C> {
    Once(RunFn<C>),
    Again(RunAgainFn<C>),
}

impl<C> Work<C> {
    async fn run(self, conn: &mut C) -> StoreResult<AnyValue> {
        match self {
            Work::Once(f) => f(conn).await,
            Work::Again(f) => f(conn).await,
        }
    }
}

/// Runs fixed statements (one or several, `;`-separated) on the connection. Boxed so the writer's future stays `Send`
/// for every connection lifetime (the generic `execute` future trips the compiler's HRTB
/// check).
pub(crate) type Exec<C> = for<'c> fn(&'c mut C, &'static str) -> BoxFuture<'c, StoreResult<()>>;

/// Writes what the batch has put off until its commit (see [`HeldHead::deferred`]).
pub(crate) type Flush<C> = for<'c> fn(&'c mut C) -> BoxFuture<'c, StoreResult<()>>;

/// One write waiting for its turn in a batch, and where to send its answer.
pub(crate) struct WriteJob<C> {
    work: Work<C>,
    reply: oneshot::Sender<StoreResult<AnyValue>>,
}

/// Where a queued write's answer arrives.
pub(crate) struct Answer<T> {
    answer: oneshot::Receiver<StoreResult<AnyValue>>,
    _value: std::marker::PhantomData<fn() -> T>,
}

/// A write as a job for a writer, and the place its answer will arrive.
pub(crate) fn job<C, T, F>(f: F) -> (WriteJob<C>, Answer<T>)
where
    C: Send + 'static,
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut C) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
{
    let run: RunFn<C> = Box::new(move |conn| {
        Box::pin(async move { f(conn).await.map(|v| Box::new(v) as AnyValue) })
    });
    queued(Work::Once(run))
}

/// A write that can run more than once (its closure is cloned for each run), so that its
/// batch may first be tried without savepoints.
pub(crate) fn job_again<C, T, F>(f: F) -> (WriteJob<C>, Answer<T>)
where
    C: Send + 'static,
    T: Send + 'static,
    F: for<'c> FnOnce(&'c mut C) -> BoxFuture<'c, StoreResult<T>> + Clone + Send + 'static,
{
    // `Sync` for the boxed `Fn`: the closure sits behind a mutex it is only cloned under.
    let f = std::sync::Mutex::new(f);
    let run: RunAgainFn<C> = Box::new(move |conn| {
        let f = f.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Box::pin(async move { f(conn).await.map(|v| Box::new(v) as AnyValue) })
    });
    queued(Work::Again(run))
}

fn queued<C, T>(work: Work<C>) -> (WriteJob<C>, Answer<T>) {
    let (reply, answer) = oneshot::channel();
    (
        WriteJob { work, reply },
        Answer {
            answer,
            _value: std::marker::PhantomData,
        },
    )
}

impl<C> WriteJob<C> {
    /// Answers without running: the batch could not start.
    pub(crate) fn refuse(self, e: StoreError) {
        let _ = self.reply.send(Err(e));
    }

    fn can_run_again(&self) -> bool {
        matches!(self.work, Work::Again(_))
    }
}

/// Answers every write of a batch that could not start.
pub(crate) fn refuse_all<C>(batch: Vec<WriteJob<C>>, e: &StoreError) {
    for job in batch {
        job.refuse(e.clone());
    }
}

impl<T: 'static> Answer<T> {
    /// Waits until the write's batch is committed (or has failed).
    pub(crate) async fn wait(self) -> StoreResult<T> {
        let value = self.answer.await.map_err(|_| {
            StoreError::Unavailable("the writer stopped before committing".into())
        })??;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| StoreError::Backend("the writer returned another type".into()))
    }
}

/// How a batch ended.
pub(crate) struct BatchEnd {
    /// The connection was left outside a transaction, fit for another use.
    pub clean: bool,
    /// Every write of the batch was committed.
    pub all_committed: bool,
}

/// Whether `batch` may be tried without savepoints: more than one write (a lone write has
/// none anyway), each of which can run again.
pub(crate) fn may_run_unguarded<C>(batch: &[WriteJob<C>]) -> bool {
    batch.len() > 1 && batch.iter().all(WriteJob::can_run_again)
}

/// What came of running a batch.
pub(crate) enum Ran<C> {
    /// Committed (or the commit failed, and every write was told), and answered.
    Done(BatchEnd),
    /// Only without savepoints: a write failed and the transaction was rolled back.
    /// Nothing is answered, and the batch is to run again with savepoints (on another
    /// connection unless `clean`).
    Failed {
        batch: Vec<WriteJob<C>>,
        clean: bool,
    },
}

impl<C> Ran<C> {
    /// The connection was left outside a transaction, fit for another use.
    pub(crate) fn clean(&self) -> bool {
        match self {
            Ran::Done(end) => end.clean,
            Ran::Failed { clean, .. } => *clean,
        }
    }
}

/// Runs every write of the batch (all of which can run again, see `may_run_unguarded`) in
/// the transaction the writer has just begun, one after another with no savepoint between
/// them, then `flush`, and commits. A write (or the flush) that fails leaves the batch to
/// be run again with savepoints by `commit_batch`: the others' first results are dropped
/// with the rolled-back transaction.
pub(crate) async fn commit_unguarded<C>(
    conn: &mut C,
    exec: Exec<C>,
    flush: Flush<C>,
    batch: Vec<WriteJob<C>>,
) -> Ran<C> {
    // A write that could run only once would leave the batch impossible to run again:
    // then none runs here.
    let runs: Option<Vec<&RunAgainFn<C>>> = batch
        .iter()
        .map(|job| match &job.work {
            Work::Again(f) => Some(f),
            Work::Once(_) => None,
        })
        .collect();
    let mut values = Vec::with_capacity(batch.len());
    for f in runs.unwrap_or_default() {
        match f(conn).await {
            Ok(value) => values.push(value),
            Err(_) => break,
        }
    }
    if values.len() < batch.len() || flush(conn).await.is_err() {
        let clean = exec(conn, "ROLLBACK").await.is_ok();
        return Ran::Failed { batch, clean };
    }
    let outcome = exec(conn, "COMMIT").await;
    let mut clean = true;
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "batch of writes not committed");
        clean = exec(conn, "ROLLBACK").await.is_ok();
    }
    let all_committed = outcome.is_ok();
    for (job, value) in batch.into_iter().zip(values) {
        let _ = job.reply.send(match &outcome {
            Ok(()) => Ok(value),
            Err(e) => Err(e.clone()),
        });
    }
    Ran::Done(BatchEnd {
        clean,
        all_committed,
    })
}

/// Runs the batch in the transaction the writer has just begun, each write in a savepoint,
/// and answers every write.
pub(crate) async fn commit_batch<C>(
    conn: &mut C,
    exec: Exec<C>,
    batch: Vec<WriteJob<C>>,
) -> BatchEnd {
    // A lone write needs no savepoint: if it fails, the transaction is simply rolled back.
    let isolate = batch.len() > 1;
    let mut done = Vec::with_capacity(batch.len());
    let mut broken = None;
    // A write that succeeded keeps its savepoint until the next one starts: releasing it
    // and opening the next go in one round trip.
    let mut unreleased = false;
    for job in batch {
        if broken.is_some() {
            done.push((
                job.reply,
                Err(StoreError::Unavailable("batch aborted".into())),
            ));
            continue;
        }
        if isolate {
            let open = match unreleased {
                true => "RELEASE SAVEPOINT write_job; SAVEPOINT write_job",
                false => "SAVEPOINT write_job",
            };
            if let Err(e) = exec(conn, open).await {
                broken = Some(e.clone());
                done.push((job.reply, Err(e)));
                continue;
            }
        }
        let result = job.work.run(conn).await;
        unreleased = isolate && result.is_ok();
        if isolate && result.is_err() {
            if let Err(e) = exec(
                conn,
                "ROLLBACK TO SAVEPOINT write_job; RELEASE SAVEPOINT write_job",
            )
            .await
            {
                // The database rolled back the whole transaction (SQLite on I/O errors or
                // a full disk, either on a lost connection); nothing in this batch can
                // commit.
                broken = Some(e);
            }
        }
        done.push((job.reply, result));
    }
    let nothing_to_commit = done.iter().all(|(_, result)| result.is_err());
    // COMMIT also releases a savepoint still open: its write is committed with the rest.
    let outcome = match broken {
        Some(e) => Err(e),
        None if nothing_to_commit => exec(conn, "ROLLBACK").await,
        None => exec(conn, "COMMIT").await,
    };
    let mut clean = true;
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "batch of writes not committed");
        clean = exec(conn, "ROLLBACK").await.is_ok();
    }
    let all_committed = outcome.is_ok() && done.iter().all(|(_, result)| result.is_ok());
    for (reply, result) in done {
        let _ = reply.send(match (&outcome, result) {
            (_, Err(job_error)) => Err(job_error),
            (Err(e), Ok(_)) => Err(e.clone()),
            (Ok(()), Ok(value)) => Ok(value),
        });
    }
    BatchEnd {
        clean,
        all_committed,
    }
}

/// The journal head of the organisation whose turn a batch holds (its head row locked at
/// the start of the transaction), as the batch's writes have advanced it. An append then
/// takes its number and link from here instead of a round trip to the head row.
///
/// It is only a hint: a write whose savepoint rolls back (or a dry run inside one) takes
/// its appends back in the database but not here. Every append made from it therefore
/// checks, in the same statement, that the head still is what it holds, and reads the
/// head again when it is not (`ops::append_journal`).
pub(crate) struct HeldHead {
    pub org: OrgId,
    pub seq: i64,
    pub hash: String,
    /// Present while the batch defers its appends: the entries appended, in order, to be
    /// written in one statement before the commit instead of one round trip each. Only a
    /// batch without savepoints defers (nothing in it is rolled back alone, so the held
    /// head is the head); a write that reads or changes the journal itself, or opens a
    /// savepoint of its own, first writes them and ends the deferral for the rest of the
    /// batch (`dialect::write_deferred_journal`).
    pub deferred: Option<Vec<JournalEntry>>,
}

tokio::task_local! {
    static HELD_HEAD: RefCell<Option<HeldHead>>;
}

/// Runs `work` (a batch, in the writer's task) with `head` held.
pub(crate) async fn with_held_head<F: Future>(head: HeldHead, work: F) -> F::Output {
    HELD_HEAD.scope(RefCell::new(Some(head)), work).await
}

/// The held head's `(seq, hash)` if this task holds `org`'s head.
pub(crate) fn held_head(org: OrgId) -> Option<(i64, String)> {
    HELD_HEAD
        .try_with(|held| match &*held.borrow() {
            Some(h) if h.org == org => Some((h.seq, h.hash.clone())),
            _ => None,
        })
        .ok()
        .flatten()
}

impl HeldHead {
    fn advance(&mut self, seq: i64, hash: &str) {
        self.seq = seq;
        hash.clone_into(&mut self.hash);
    }
}

/// Records that `org`'s head is now `(seq, hash)`, if this task holds it.
pub(crate) fn advance_held_head(org: OrgId, seq: i64, hash: &str) {
    let _ = HELD_HEAD.try_with(|held| {
        if let Some(h) = held.borrow_mut().as_mut().filter(|h| h.org == org) {
            h.advance(seq, hash);
        }
    });
}

/// Keeps `entry` (numbered and linked from the held head) to be written before the
/// commit, and advances the held head to it. False, and nothing kept, when this task does
/// not defer `entry`'s organisation's appends.
pub(crate) fn defer_append(entry: &JournalEntry) -> bool {
    HELD_HEAD
        .try_with(|held| {
            let mut held = held.borrow_mut();
            let Some(h) = held.as_mut().filter(|h| h.org == entry.org_id) else {
                return false;
            };
            let Some(deferred) = h.deferred.as_mut() else {
                return false;
            };
            deferred.push(entry.clone());
            h.advance(entry.seq, &entry.hash);
            true
        })
        .unwrap_or(false)
}

/// The appends deferred so far, in order; the batch defers no more after this.
pub(crate) fn end_deferral() -> Vec<JournalEntry> {
    HELD_HEAD
        .try_with(|held| {
            held.borrow_mut()
                .as_mut()
                .and_then(|h| h.deferred.take())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}
