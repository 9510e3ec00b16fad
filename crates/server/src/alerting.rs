//! The delivery worker: takes due deliveries from the outbox, hands each to the provider
//! for its channel, and records what happened. `run_once` does one round, so tests drive
//! it step by step instead of waiting for a timer.

use crate::notify::{Notifier, NotifyError, OutgoingMessage};
use beredskap_core::alerting::{Alert, Delivery, DeliveryOutcome};
use beredskap_core::register::Org;
use beredskap_core::{AlertId, Region, Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Deliveries taken per round.
const BATCH: u32 = 100;
/// How long a worker may hold a delivery before another may take it over.
const LEASE_SECONDS: i64 = 60;
/// The wait after a temporary failure when the provider names none.
const RETRY_SECONDS: i64 = 30;

pub struct Dispatcher {
    store: Arc<dyn Store>,
    notifier: Notifier,
}

/// The exercise marker, in the organisation's language, on every message of a drill.
pub fn exercise_marker(region: Region) -> &'static str {
    match region {
        Region::Se | Region::Fi => "ÖVNING",
        Region::Dk => "ØVELSE",
        Region::No => "ØVELSE",
    }
}

/// The text of an alert as it goes out on SMS and email.
pub fn compose(org: &Org, alert: &Alert) -> (String, String) {
    let mut body = String::new();
    if alert.exercise {
        body.push_str(exercise_marker(org.region));
        body.push_str(": ");
    }
    body.push_str(&alert.message);
    if !alert.options.is_empty() {
        let answer = match org.region {
            Region::Se | Region::Fi => "Svara",
            Region::Dk | Region::No => "Svar",
        };
        body.push_str(&format!(" {answer}: {}", alert.options.join(" / ")));
    }
    let subject = match alert.exercise {
        true => format!("{}: Beredskap – {}", exercise_marker(org.region), org.name),
        false => format!("Beredskap – {}", org.name),
    };
    (subject, body)
}

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, notifier: Notifier) -> Self {
        Self { store, notifier }
    }

    /// Hands every due delivery to its provider. Returns how many were taken.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let claimed = self
            .store
            .claim_deliveries(now, BATCH, chrono::Duration::seconds(LEASE_SECONDS))
            .await?;
        let mut alerts: HashMap<AlertId, (Org, Alert)> = HashMap::new();
        for delivery in &claimed {
            // Someone may have answered since the claim: then nothing more goes to them.
            if !self.store.delivery_wanted(delivery.id).await? {
                continue;
            }
            let (org, alert) = match alerts.entry(delivery.alert_id) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let org = self
                        .store
                        .org(delivery.org_id)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                    let alert = self.store.alert(org.id, delivery.alert_id).await?;
                    slot.insert((org, alert))
                }
            };
            let outcome = self.hand_over(org, alert, delivery, now).await;
            self.store
                .finish_delivery(delivery.id, outcome, now)
                .await?;
        }
        Ok(claimed.len())
    }

    async fn hand_over(
        &self,
        org: &Org,
        alert: &Alert,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> DeliveryOutcome {
        let Some(provider) = self.notifier.for_kind(delivery.channel) else {
            return DeliveryOutcome::Failed {
                error: format!("no {} provider is configured", delivery.channel.as_str()),
            };
        };
        let (subject, body) = compose(org, alert);
        let message = OutgoingMessage {
            to: delivery.address.clone(),
            subject,
            body,
            idempotency_key: Some(delivery.idempotency_key.clone()),
        };
        match provider.send(&message).await {
            Ok(provider_ref) => DeliveryOutcome::Sent {
                provider: provider.name().to_owned(),
                provider_ref,
            },
            Err(NotifyError::Temporary {
                reason,
                retry_after,
            }) => {
                let wait = retry_after
                    .and_then(|d| chrono::Duration::from_std(d).ok())
                    .unwrap_or(chrono::Duration::seconds(RETRY_SECONDS));
                DeliveryOutcome::Retry {
                    at: now + wait,
                    error: reason,
                }
            }
            Err(other) => DeliveryOutcome::Failed {
                error: other.to_string(),
            },
        }
    }
}
