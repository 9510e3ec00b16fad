//! Waking the delivery worker and live pages after a use case wrote something: at once
//! within the server, and through a socket in the data directory from another process on
//! the same machine (the command line), so `beredskap alert send` goes out as fast as an
//! alert sent through the API instead of at the worker's next round.
//!
//! The socket carries only "look now" (one word per datagram), never data: whoever can
//! write to it can at most make the worker look at the outbox early. It is created
//! owner-only in the data directory, which the server holds locked.

use crate::live::Hub;
use beredskap_app::Wakeups;
use beredskap_core::store::NodeSignal;
use beredskap_core::OrgId;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Notify;

const DELIVERIES: &[u8] = b"deliveries";
const PUBLISHED: &[u8] = b"published";

/// Where a running server listens for wake-ups.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("wake.sock")
}

/// The server's own wake-ups: the worker's notify, the live hub, the status sites, the
/// search index and the attachment files.
pub struct InProcess {
    pub deliveries_due: Arc<Notify>,
    pub hub: Arc<Hub>,
    pub search: Option<Arc<crate::search::SearchIndex>>,
    pub data_dir: PathBuf,
    /// The public status sites in memory, made again after a change.
    pub status_sites: Arc<crate::status_site::StatusSites>,
    /// To the other nodes on the database (PostgreSQL), through `signal_nodes`.
    pub other_nodes: Option<tokio::sync::mpsc::Sender<NodeSignal>>,
}

impl InProcess {
    fn tell_other_nodes(&self, signal: NodeSignal) {
        if let Some(other_nodes) = &self.other_nodes {
            // Full: a burst is being sent already; the other nodes' polls catch up.
            let _ = other_nodes.try_send(signal);
        }
    }
}

#[async_trait::async_trait]
impl Wakeups for InProcess {
    fn deliveries_due(&self) {
        self.deliveries_due.notify_one();
        self.tell_other_nodes(NodeSignal::DeliveriesDue);
    }

    async fn published(&self, org: OrgId) {
        self.tell_other_nodes(NodeSignal::Published(org));
        self.status_sites.changed(org);
        self.hub.publish(org).await;
    }

    fn search_due(&self) {
        if let Some(search) = &self.search {
            search.wake.notify_one();
        }
    }

    async fn redacted(&self, unreferenced_files: Vec<String>) {
        for sha256 in &unreferenced_files {
            let path = crate::attachments::path_for(&self.data_dir, sha256);
            if let Err(e) = tokio::fs::remove_file(&path).await {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(file = %path.display(), error = %e, "redaction: removing a file failed");
                }
            }
        }
        if let Some(search) = &self.search {
            if let Err(e) = search.purge_deleted().await {
                tracing::warn!(error = %e, "redaction: the search index still holds the text");
            }
        }
    }
}

/// A running server's wake-ups, from another process: a datagram to its socket. No server
/// running is normal (the next one to start reads the outbox), so failures are ignored.
pub struct ThroughSocket {
    path: PathBuf,
}

impl ThroughSocket {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            path: socket_path(data_dir),
        }
    }

    fn send(&self, word: &[u8]) {
        let sent = std::os::unix::net::UnixDatagram::unbound()
            .and_then(|socket| socket.send_to(word, &self.path));
        if let Err(e) = sent {
            tracing::debug!(error = %e, path = %self.path.display(), "no server to wake");
        }
    }
}

#[async_trait::async_trait]
impl Wakeups for ThroughSocket {
    fn deliveries_due(&self) {
        self.send(DELIVERIES);
    }

    async fn published(&self, _org: OrgId) {
        self.send(PUBLISHED);
    }

    // The server's indexer also follows the journal every few seconds.
    fn search_due(&self) {}

    // Redaction is a conversation use case, which has no command-line caller.
    async fn redacted(&self, _unreferenced_files: Vec<String>) {}
}

/// The server's end of the socket, bound before the server serves.
pub struct Listener {
    socket: tokio::net::UnixDatagram,
    path: PathBuf,
}

impl Listener {
    /// Binds the socket. A file left by an earlier server is removed first: the caller
    /// holds the data directory's lock, so no other server is using it.
    pub fn bind(data_dir: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        let path = socket_path(data_dir);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let socket = tokio::net::UnixDatagram::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Self { socket, path })
    }

    /// Wakes the worker or the hub for each datagram until `stop`; removes the socket.
    pub async fn run(
        self,
        deliveries_due: Arc<Notify>,
        hub: Arc<Hub>,
        status_sites: Arc<crate::status_site::StatusSites>,
        stop: tokio_util::sync::CancellationToken,
    ) {
        let mut word = [0u8; 16];
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                received = self.socket.recv(&mut word) => match received {
                    Ok(n) if &word[..n] == DELIVERIES => deliveries_due.notify_one(),
                    Ok(n) if &word[..n] == PUBLISHED => {
                        status_sites.all_changed();
                        hub.publish_all().await;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "wake-up socket failed");
                        break;
                    }
                },
            }
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Sends what this node's writes signal to the other nodes: whatever piled up while the
/// last lot was being sent goes as one lot, each signal once.
pub async fn signal_other_nodes(
    store: Arc<dyn beredskap_core::Store>,
    mut signals: tokio::sync::mpsc::Receiver<NodeSignal>,
) {
    while let Some(first) = signals.recv().await {
        let mut lot = vec![first];
        while let Ok(next) = signals.try_recv() {
            if !lot.contains(&next) {
                lot.push(next);
            }
        }
        if let Err(e) = store.signal_nodes(&lot).await {
            tracing::warn!(error = %e, "the other nodes could not be told; their polls catch up");
        }
    }
}

/// Acts on the other nodes' signals: their writes reach this node's live clients and
/// status sites, and their alerts wake this node's worker, at once.
pub async fn listen_to_other_nodes(
    store: Arc<dyn beredskap_core::Store>,
    deliveries_due: Arc<Notify>,
    hub: Arc<Hub>,
    status_sites: Arc<crate::status_site::StatusSites>,
    stop: tokio_util::sync::CancellationToken,
) {
    // Made once; after a lost connection `next` reconnects by itself.
    let mut listener = loop {
        match store.listen_to_nodes().await {
            Ok(None) => return,
            Ok(Some(listener)) => break listener,
            Err(e) => tracing::warn!(error = %e, "listening to the other nodes failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    };
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return,
            next = listener.next() => next,
        };
        match next {
            Ok(NodeSignal::Published(org)) => {
                status_sites.changed(org);
                hub.publish(org).await;
            }
            Ok(NodeSignal::DeliveriesDue) => deliveries_due.notify_one(),
            Err(e) => {
                tracing::debug!(error = %e, "the other nodes' signals paused");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
            }
        }
    }
}
