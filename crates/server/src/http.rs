//! HTTP pieces the pages and the API share: the live event stream, the roster download and
//! the body limit for files. Both `web` and `routes` use these; neither uses the other.

use crate::error::AppError;
use crate::live;
use crate::state::AppState;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use beredskap_app::alerts;
use beredskap_core::register::Account;
use beredskap_core::{AlertId, OrgId, Store};
use std::sync::Arc;

/// The origin forms must come from: `scheme://host[:port]` of `public_url`. Worked out
/// once at start.
#[derive(Debug, Clone)]
pub struct SiteOrigin {
    origin: String,
    /// A plain `http://localhost` (development, tests) is ours on any port.
    any_port: bool,
}

impl SiteOrigin {
    pub fn of(public_url: &str) -> Self {
        match url::Url::parse(public_url) {
            Ok(url) => Self {
                origin: url.origin().ascii_serialization(),
                any_port: url.scheme() == "http"
                    && url.host_str() == Some("localhost")
                    && url.port().is_none(),
            },
            Err(_) => Self {
                origin: public_url.to_owned(),
                any_port: false,
            },
        }
    }

    /// Whether an origin (`scheme://host[:port]`, as in an `Origin` header) is this site.
    pub fn is_ours(&self, origin: &str) -> bool {
        origin == self.origin
            || self.any_port
                && origin
                    .strip_prefix(self.origin.as_str())
                    .and_then(|rest| rest.strip_prefix(':'))
                    .is_some_and(|port| {
                        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                    })
    }
}

/// The body limit of the two routes that take a file: the attachment limit, plus room
/// for the form around it. Both are behind sign-in, which their handlers check before
/// they read the body.
pub fn attachment_body_limit(config: &crate::config::Config) -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max((config.attachment_max_mb as usize + 1) * 1024 * 1024)
}

/// An alert's roster as a CSV download, streamed a part at a time: 100,000 lines are
/// never in memory at once. A failure after the first part can only cut the download
/// short (the status is already sent); it is logged.
pub async fn alert_roster_csv(
    state: &AppState,
    caller: &beredskap_app::Caller,
    org: &beredskap_core::register::Org,
    id: AlertId,
) -> Result<Response, AppError> {
    use futures_util::StreamExt as _;
    let parts = alerts::roster_csv_parts(&state.app, caller, org.id, id).await?;
    let csv = axum::body::Body::from_stream(parts.map(move |part| {
        part.map_err(|e| {
            tracing::warn!(alert = %id, error = %e, "the roster CSV was cut short");
            std::io::Error::other("the roster could not be read")
        })
    }));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"alert-{id}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// The live stream for one account, shared by the API and the pages.
pub async fn event_stream(
    state: &AppState,
    org: OrgId,
    account: &Account,
    headers: &HeaderMap,
    after: Option<i64>,
) -> Result<Response, AppError> {
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    // "From now" is from when the stream opens, before its headers go out: a client that
    // claims to have seen beyond the head (a stale id from before a restore, a made-up
    // one) gets everything that happens once it is connected, even what lands before the
    // follower below has started.
    let head = state.store.journal_head(org).await?.0;
    let after = match last_event_id.or(after) {
        Some(seq) => seq.clamp(0, head),
        None => head,
    };
    let (sender, receiver) = tokio::sync::mpsc::channel::<axum::body::Bytes>(64);
    let store: Arc<dyn Store> = state.store.clone();
    let hub = state.hub.clone();
    let account_id = account.id;
    let counted = state.metrics.live_stream();
    tokio::spawn(async move {
        let _counted = counted;
        if let Err(e) = live::follow(store, hub, org, account_id, after, sender).await {
            tracing::warn!(error = %e, "live updates stopped");
        }
    });
    // Chunks of events (gathered by `follow`); when nothing happens, a comment now and
    // then keeps proxies from closing the connection.
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let first =
            match tokio::time::timeout(std::time::Duration::from_secs(15), receiver.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => return None,
                Err(_) => {
                    let ping = axum::body::Bytes::from_static(b": keep-alive\n\n");
                    return Some((Ok::<_, std::convert::Infallible>(ping), receiver));
                }
            };
        Some((Ok(first), receiver))
    });
    let response = (
        [
            (axum::http::header::CONTENT_TYPE, "text/event-stream"),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
            // Proxies must not hold events back.
            (
                axum::http::HeaderName::from_static("x-accel-buffering"),
                "no",
            ),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response();
    Ok(response)
}
