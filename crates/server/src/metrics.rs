//! What an operator's Prometheus reads at `/metrics`, in the OpenMetrics text format made
//! by the Prometheus project's own client crate: request latency by route, live streams,
//! the outboxes' depth and age, hand-offs by channel, provider and outcome, refused
//! sign-ins, and each organisation's journal head.
//!
//! Counters are kept as things happen; the outboxes and journal heads are read from the
//! store when scraped, so every node reports the same backlog whichever did the work.
//! Each server has its own registry (tests run many servers in one process).

use beredskap_core::register::ContactKind;
use beredskap_core::store::{OperationsFigures, StoreError};
use beredskap_core::Store;
use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// The content type of what `render` makes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Request latency buckets in seconds: from a page served from memory to a slow export.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/api/v1/orgs/{org}/alerts`), never the path itself: ids
    /// would make a series per thing.
    route: String,
    /// `2xx`, `3xx`, `4xx` or `5xx`.
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HandOffLabels {
    channel: String,
    provider: String,
    /// `sent`, `retry` (failed for now), `uncertain` (no answer: maybe taken) or
    /// `rejected` (refused for good, or no such provider).
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutboxLabels {
    outbox: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrgLabels {
    org: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
    hand_offs: Family<HandOffLabels, Counter>,
    sign_in_refusals: Family<ReasonLabels, Counter>,
    live_streams: Gauge,
    outbox_due: Family<OutboxLabels, Gauge>,
    outbox_claimed: Family<OutboxLabels, Gauge>,
    outbox_oldest: Family<OutboxLabels, FloatGauge>,
    journal_head: Family<OrgLabels, Gauge>,
    /// One scrape at a time: the gauges read from the store are set, then encoded.
    scraping: tokio::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("beredskap");
        let requests = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its response's headers, by route",
            Unit::Seconds,
            requests.clone(),
        );
        let hand_offs = Family::<HandOffLabels, Counter>::default();
        registry.register(
            "hand_offs",
            "Messages handed to a provider (alerts, subscribers, enrolment links, sign-in \
             codes), by channel, provider and outcome; every try counts",
            hand_offs.clone(),
        );
        let sign_in_refusals = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "sign_in_refusals",
            "Sign-in steps refused, by reason",
            sign_in_refusals.clone(),
        );
        let live_streams = Gauge::default();
        registry.register(
            "live_streams",
            "Live event streams open on this node",
            live_streams.clone(),
        );
        let outbox_due = Family::<OutboxLabels, Gauge>::default();
        registry.register(
            "outbox_due",
            "Outbox rows due and waiting for a worker, on all nodes",
            outbox_due.clone(),
        );
        let outbox_claimed = Family::<OutboxLabels, Gauge>::default();
        registry.register(
            "outbox_claimed",
            "Outbox rows taken by a worker and not yet recorded, on all nodes",
            outbox_claimed.clone(),
        );
        let outbox_oldest = Family::<OutboxLabels, FloatGauge>::default();
        registry.register_with_unit(
            "outbox_oldest_due_age",
            "How long the longest-waiting due outbox row has waited (0 when none waits)",
            Unit::Seconds,
            outbox_oldest.clone(),
        );
        let journal_head = Family::<OrgLabels, Gauge>::default();
        registry.register(
            "journal_head",
            "The sequence number of each organisation's latest journal entry",
            journal_head.clone(),
        );
        Self {
            registry,
            requests,
            hand_offs,
            sign_in_refusals,
            live_streams,
            outbox_due,
            outbox_claimed,
            outbox_oldest,
            journal_head,
            scraping: tokio::sync::Mutex::new(()),
        }
    }

    /// A request answered: its method, route pattern, status and time taken.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        // Anyone can send any method name: one series each would grow without bound.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: class.to_owned(),
            })
            .observe(seconds);
    }

    /// A message handed to a provider, or refused on the way.
    pub fn hand_off(&self, channel: &str, provider: &str, outcome: &str) {
        self.hand_offs
            .get_or_create(&HandOffLabels {
                channel: channel.to_owned(),
                provider: provider.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// A sign-in step refused, for `reason` (`wrong_credentials`, `locked`, …).
    pub fn sign_in_refused(&self, reason: &str) {
        self.sign_in_refusals
            .get_or_create(&ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// A live stream opened; it counts until the guard is dropped.
    pub fn live_stream(self: &Arc<Self>) -> LiveStreamGuard {
        self.live_streams.inc();
        LiveStreamGuard {
            metrics: self.clone(),
        }
    }

    /// The text a scrape gets: the store's figures at `now`, then everything encoded.
    pub async fn render(
        &self,
        store: &dyn Store,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let figures = store.operations_figures(now).await?;
        let _one_at_a_time = self.scraping.lock().await;
        self.set_figures(&figures, now);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .map_err(|e| StoreError::Backend(format!("encoding metrics: {e}")))?;
        Ok(text)
    }

    fn set_figures(&self, figures: &OperationsFigures, now: DateTime<Utc>) {
        // An organisation deleted since the last scrape disappears from it.
        self.journal_head.clear();
        for (slug, seq) in &figures.journal_heads {
            self.journal_head
                .get_or_create(&OrgLabels { org: slug.clone() })
                .set(*seq);
        }
        for backlog in &figures.outboxes {
            let labels = OutboxLabels {
                outbox: backlog.outbox.to_owned(),
            };
            self.outbox_due.get_or_create(&labels).set(backlog.due);
            self.outbox_claimed
                .get_or_create(&labels)
                .set(backlog.claimed);
            let age = backlog
                .oldest_due
                .map(|due| ((now - due).num_milliseconds() as f64 / 1000.0).max(0.0))
                .unwrap_or(0.0);
            self.outbox_oldest.get_or_create(&labels).set(age);
        }
    }
}

/// Counts a live stream while it is held.
pub struct LiveStreamGuard {
    metrics: Arc<Metrics>,
}

impl Drop for LiveStreamGuard {
    fn drop(&mut self) {
        self.metrics.live_streams.dec();
    }
}

/// A provider whose every hand-off is counted by channel, provider and outcome.
pub struct Counted {
    inner: Arc<dyn crate::notify::Provider>,
    channel: &'static str,
    metrics: Arc<Metrics>,
}

impl Counted {
    pub fn wrap(
        inner: Arc<dyn crate::notify::Provider>,
        channel: ContactKind,
        metrics: Arc<Metrics>,
    ) -> Arc<dyn crate::notify::Provider> {
        Arc::new(Counted {
            inner,
            channel: channel.as_str(),
            metrics,
        })
    }
}

#[async_trait::async_trait]
impl crate::notify::Provider for Counted {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    async fn send(
        &self,
        message: &crate::notify::OutgoingMessage,
    ) -> Result<String, crate::notify::NotifyError> {
        self.send_via(message).await.map(|(_, id)| id)
    }

    async fn send_via(
        &self,
        message: &crate::notify::OutgoingMessage,
    ) -> Result<(&'static str, String), crate::notify::NotifyError> {
        use crate::notify::NotifyError;
        let result = self.inner.send_via(message).await;
        // A failover names the provider that took the message; a failure, the primary.
        let (provider, outcome) = match &result {
            Ok((provider, _)) => (*provider, "sent"),
            Err(NotifyError::Temporary { .. }) => (self.inner.name(), "retry"),
            Err(NotifyError::Uncertain { .. }) => (self.inner.name(), "uncertain"),
            Err(_) => (self.inner.name(), "rejected"),
        };
        self.metrics.hand_off(self.channel, provider, outcome);
        result
    }
}
