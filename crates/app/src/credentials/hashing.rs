//! A fixed pool of threads for Argon2id, the one thing an unauthenticated request can make
//! the server do that costs real memory (19 MiB for each hash being computed).
//!
//! Sign-in forms are open to anyone, so without a bound a burst of bogus sign-ins would
//! compute as many hashes at once as arrive (60 at once took a server to 1.26 GB). Here at
//! most one hash per core runs at a time, a short queue waits, and anything beyond is
//! refused at once with [`Busy`], which pages and the API answer with 503 and `Retry-After`.
//! Each thread reuses one block of Argon2 memory while work keeps coming and lets it go
//! when the queue is empty, so the memory goes back once a burst is over.

use super::password;
use argon2::password_hash::{PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The pool is full: try again in a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password checking is busy")]
pub struct Busy;

/// The most Argon2 memory a stored hash may ask for (a hash with more is not checked):
/// keeps a tampered or foreign hash from allocating without bound.
const MAX_BLOCKS: u32 = 64 * 1024;

enum Job {
    Verify {
        secret: String,
        phc: String,
        reply: oneshot::Sender<bool>,
    },
    Hash {
        secrets: Vec<String>,
        reply: oneshot::Sender<Result<Vec<String>, argon2::password_hash::Error>>,
    },
}

/// Hands Argon2 work to a fixed set of threads. Cheap to clone; the threads end when the
/// last clone is dropped.
#[derive(Clone)]
pub struct HashingPool {
    jobs: SyncSender<Job>,
}

impl HashingPool {
    /// `threads` hashes at once (at least one), and `queue` more waiting.
    pub fn new(threads: usize, queue: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (jobs, incoming) = sync_channel(queue);
        let incoming = Arc::new(Mutex::new(incoming));
        for n in 0..threads {
            let incoming = incoming.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&incoming))?;
        }
        Ok(Self { jobs })
    }

    /// One thread per core, and four jobs per thread waiting.
    pub fn for_this_machine() -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, cores * 4)
    }

    /// Whether `secret` matches a stored PHC string; a malformed hash never matches.
    pub async fn verify(&self, secret: String, phc: String) -> Result<bool, Busy> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify { secret, phc, reply })?;
        answer.await.map_err(|_| Busy)
    }

    /// Argon2id PHC strings for each secret, each with its own salt, in one job (an
    /// enrolment hashes a password and ten recovery codes).
    pub async fn hash_all(
        &self,
        secrets: Vec<String>,
    ) -> Result<Result<Vec<String>, argon2::password_hash::Error>, Busy> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash { secrets, reply })?;
        answer.await.map_err(|_| Busy)
    }

    fn submit(&self, job: Job) -> Result<(), Busy> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) | TrySendError::Disconnected(_) => Busy,
        })
    }
}

fn work(incoming: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        // Wait for work without the memory: an idle pool holds none.
        let job = {
            let Ok(queue) = incoming.lock() else { return };
            match queue.try_recv() {
                Ok(job) => job,
                Err(_) => {
                    memory = Vec::new();
                    match queue.recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    }
                }
            }
        };
        match job {
            Job::Verify { secret, phc, reply } => {
                let _ = reply.send(verify_with(&mut memory, &secret, &phc));
            }
            Job::Hash { secrets, reply } => {
                let hashed = secrets.iter().map(|s| password::hash(s)).collect();
                let _ = reply.send(hashed);
            }
        }
    }
}

/// Argon2 verification into memory this thread keeps between jobs.
fn verify_with(memory: &mut Vec<Block>, secret: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(expected), Some(salt)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.hash,
        parsed.salt,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    if params.m_cost() > MAX_BLOCKS {
        return false;
    }
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    argon
        .hash_password_into_with_memory(secret.as_bytes(), salt, &mut out, &mut memory[..blocks])
        .is_ok()
        && crate::credentials::constant_time_eq(&out, expected.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_what_password_hash_made_and_refuses_the_rest() {
        let pool = HashingPool::new(1, 4).unwrap();
        let hashes = pool
            .hash_all(vec!["korrekt häst batteri".into()])
            .await
            .unwrap()
            .unwrap();
        let phc = hashes[0].clone();
        assert!(password::verify("korrekt häst batteri", &phc));
        assert!(pool
            .verify("korrekt häst batteri".into(), phc.clone())
            .await
            .unwrap());
        assert!(!pool
            .verify("korrekt häst batteri!".into(), phc)
            .await
            .unwrap());
        assert!(!pool.verify("x".into(), "not a hash".into()).await.unwrap());
        let greedy = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(!pool.verify("x".into(), greedy.into()).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_pool_refuses_at_once_instead_of_queueing_without_bound() {
        let pool = HashingPool::new(1, 2).unwrap();
        let phc = password::hash("korrekt häst batteri").unwrap();
        let burst = (0..20).map(|_| pool.verify("wrong".into(), phc.clone()));
        let results = futures_util::future::join_all(burst).await;
        let busy = results.iter().filter(|r| **r == Err(Busy)).count();
        let checked = results.iter().filter(|r| **r == Ok(false)).count();
        assert!(
            busy >= 17,
            "one running and two waiting at most: {results:?}"
        );
        assert_eq!(busy + checked, 20);
        // Once the burst is over, the pool takes work again.
        assert_eq!(pool.verify("wrong".into(), phc).await, Ok(false));
    }
}
