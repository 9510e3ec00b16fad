//! Accepting connections with limits an attacker cannot sit out: at most `max_connections`
//! at once, request headers (and the wait for the next request on a kept-alive
//! connection) within `header_timeout_seconds`, a TLS handshake within the same, and a
//! request body at a minimum pace. A crowd of slow or idle sockets is closed on time
//! and cannot starve a person's request. Responses that stream (live updates) are not
//! limited: they send heartbeats of their own.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// How long a stopping server lets requests in flight finish.
const GRACE: Duration = Duration::from_secs(10);

/// The limits, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// For the request line and headers, the wait for the next request on an idle
    /// connection, and the TLS handshake.
    pub header_timeout: Duration,
    /// A body gets this long, plus a second for every `BODY_MIN_BYTES_PER_SECOND` it
    /// has delivered: a large upload on a slow phone finishes, a trickle does not.
    pub body_timeout: Duration,
}

impl Limits {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_connections: config.max_connections as usize,
            header_timeout: Duration::from_secs(u64::from(config.header_timeout_seconds)),
            body_timeout: Duration::from_secs(u64::from(config.body_timeout_seconds)),
        }
    }
}

/// 8 KiB/s: a 25 MB attachment may take 50 minutes; 1 byte every 5 s is cut off.
const BODY_MIN_BYTES_PER_SECOND: u64 = 8 * 1024;

/// Serves `router` on `listener` (through TLS when given) until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, or the client gave up: wait a moment, go on.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // At the cap a new connection is closed at once rather than queued behind the
        // slow ones; the timeouts free places within seconds.
        let Ok(place) = open.clone().try_acquire_owned() else {
            tracing::debug!(%remote, "connection refused: at max_connections");
            continue;
        };
        let router = router.clone();
        let tls = tls.clone();
        let stopping = shutdown.clone();
        tokio::spawn(async move {
            let _place = place;
            let _ = stream.set_nodelay(true);
            match tls {
                None => serve_one(stream, remote, router, limits, stopping).await,
                Some(tls) => {
                    let handshake = tokio::time::timeout(limits.header_timeout, tls.accept(stream));
                    match handshake.await {
                        Ok(Ok(stream)) => serve_one(stream, remote, router, limits, stopping).await,
                        Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    // Wait for the requests in flight, as long as the grace period allows.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(GRACE, open.acquire_many(all)).await;
    Ok(())
}

async fn serve_one<I>(
    io: I,
    remote: SocketAddr,
    router: Router,
    limits: Limits,
    shutdown: CancellationToken,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            let req = req.map(|body| Body::new(PacedBody::new(Body::new(body), limits)));
            router.clone().oneshot(req)
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let connection = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%remote, error = %e, "connection ended");
            }
        }
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(GRACE, connection).await;
        }
    }
}

/// A request body that must keep a minimum pace (see [`Limits::body_timeout`]).
struct PacedBody {
    inner: Body,
    started: Instant,
    received: u64,
    limits: Limits,
    deadline: Pin<Box<Sleep>>,
}

impl PacedBody {
    fn new(inner: Body, limits: Limits) -> Self {
        let started = Instant::now();
        Self {
            inner,
            started,
            received: 0,
            limits,
            deadline: Box::pin(tokio::time::sleep_until(started + limits.body_timeout)),
        }
    }

    fn allowed(&self) -> Instant {
        let paced = Duration::from_secs(self.received / BODY_MIN_BYTES_PER_SECOND);
        self.started + self.limits.body_timeout + paced
    }
}

/// What a handler reading a body too slowly gets; it answers 400 and the connection,
/// with its body unread, is closed.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
struct TooSlow;

impl HttpBody for PacedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let allowed = this.allowed();
                    this.deadline.as_mut().reset(allowed);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(TooSlow)))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
