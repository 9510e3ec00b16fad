//! Subscriptions to the status page's notices, by email and by SMS, for citizens and
//! partners. A request is only a request until its owner confirms it from the message
//! it sends (double opt-in); then each notice about a service they chose, and each of its
//! updates, goes to them through the public outbox, which the delivery worker drains like
//! the alerting outbox (leases, retries, idempotency keys, the providers' rate limits).
//! Only what is needed is kept: the address, the language, the services and when it was
//! confirmed. No name, no IP address; unsubscribing deletes the subscription and every
//! message row that names its address, and the journal records the change without it.

use crate::alerting::DeliveryOutcome;
use crate::domain::{EmailAddress, PhoneNumber, Region};
use crate::error::{FieldErrors, Problem};
use crate::ids::{NoticeId, OrgId, ServiceId};
use crate::journal::Actor;
use crate::register::ContactKind;
use crate::store::StoreResult;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long a request waits for its confirmation before it is forgotten.
pub const REQUEST_HOURS: i64 = 48;
/// Unconfirmed requests an organisation holds at once: each one sent a message, and an
/// SMS costs money, so a flood of made-up numbers stops here.
pub const MAX_PENDING_REQUESTS: i64 = 1_000;
/// How long a message row (which names its address) is kept after it went out.
pub const DELIVERY_KEPT_DAYS: i64 = 30;
/// The longest address taken.
pub const MAX_ADDRESS_CHARS: usize = 254;
/// Services one subscription may name (an organisation has at most this many anyway).
pub const MAX_SERVICES: usize = 100;

/// What the subscription form sends.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// `email` or `sms`.
    pub channel: String,
    /// An email address, or a mobile number (national form in the organisation's country,
    /// or with its country code).
    pub address: String,
    /// The services to hear about; none: every notice.
    #[serde(default)]
    pub services: Vec<ServiceId>,
    /// The language messages come in (`sv`, `da`, `nb`, `en`).
    #[serde(default)]
    pub lang: String,
}

/// A request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscriptionRequest {
    pub channel: ContactKind,
    /// Normalised: a lower-case email address or an E.164 number.
    pub address: String,
    pub services: Vec<ServiceId>,
    pub lang: String,
}

impl SubscriptionInput {
    /// Checks every field; `lang` must already be one of the catalogue's codes (the
    /// caller knows which it has).
    pub fn validate(
        &self,
        region: Region,
        lang: &str,
    ) -> Result<NewSubscriptionRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let channel = match self.channel.as_str() {
            "email" => Some(ContactKind::Email),
            "sms" => Some(ContactKind::Sms),
            _ => {
                errors.add(
                    "channel",
                    Problem::OneOf {
                        choices: "email, sms".into(),
                    },
                );
                None
            }
        };
        let address = match channel {
            _ if self.address.trim().is_empty() => {
                errors.add("address", Problem::Empty);
                None
            }
            // Longer than any email address may be (RFC 5321), and than any number: not
            // handed to the parsers at all.
            _ if self.address.chars().count() > MAX_ADDRESS_CHARS => {
                errors.add(
                    "address",
                    Problem::TooLong {
                        max: MAX_ADDRESS_CHARS,
                    },
                );
                None
            }
            Some(ContactKind::Email) => match EmailAddress::parse(&self.address) {
                Ok(email) => Some(email.as_str().to_owned()),
                Err(e) => {
                    errors.add("address", e);
                    None
                }
            },
            Some(_) => match PhoneNumber::parse(&self.address, region) {
                Ok(number) => Some(number.as_str().to_owned()),
                Err(e) => {
                    errors.add("address", e);
                    None
                }
            },
            None => None,
        };
        if self.services.len() > MAX_SERVICES {
            errors.add("services", Problem::TooMany { max: MAX_SERVICES });
        }
        let mut services = self.services.clone();
        services.sort();
        services.dedup();
        errors.into_result()?;
        match (channel, address) {
            (Some(channel), Some(address)) => Ok(NewSubscriptionRequest {
                channel,
                address,
                services,
                lang: lang.to_owned(),
            }),
            _ => Err(FieldErrors::single("address", Problem::Missing)),
        }
    }
}

/// A confirmed subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Subscription {
    pub id: crate::ids::SubscriptionId,
    #[serde(skip)]
    pub org_id: OrgId,
    pub channel: ContactKind,
    pub address: String,
    pub lang: String,
    /// None: every notice.
    pub services: Vec<ServiceId>,
    pub confirmed_at: DateTime<Utc>,
}

impl Subscription {
    /// Whether a notice (or update) about `services` goes to this subscription: when it
    /// names none, when the subscription names none, or when they share one.
    pub fn wants(&self, services: &[ServiceId]) -> bool {
        services.is_empty()
            || self.services.is_empty()
            || self.services.iter().any(|s| services.contains(s))
    }
}

/// A request waiting for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRequest {
    pub id: crate::ids::SubscriptionRequestId,
    pub org_id: OrgId,
    pub channel: ContactKind,
    pub address: String,
    pub lang: String,
    pub services: Vec<ServiceId>,
    pub created_at: DateTime<Utc>,
}

impl SubscriptionRequest {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now - self.created_at > Duration::hours(REQUEST_HOURS)
    }
}

/// What a message of the public outbox carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicPurpose {
    /// The confirmation a request asks for.
    Confirm {
        request: crate::ids::SubscriptionRequestId,
    },
    /// A notice's update `seq`, to a subscription.
    Notice {
        subscription: crate::ids::SubscriptionId,
        notice: NoticeId,
        seq: i64,
    },
}

/// One message of the public outbox, as a worker claims it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicDelivery {
    pub id: crate::ids::PublicDeliveryId,
    pub org_id: OrgId,
    pub purpose: PublicPurpose,
    pub channel: ContactKind,
    pub address: String,
    pub lang: String,
    pub attempts: i32,
    /// Sent to the provider, so a message handed over again is not a second message.
    pub idempotency_key: String,
}

/// How many subscribe, for the staff's view; no addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SubscriberCounts {
    pub email: u32,
    pub sms: u32,
    /// Subscriptions that hear about every notice.
    pub all_services: u32,
    /// Per service named by at least one subscription.
    pub by_service: Vec<ServiceCount>,
    /// Requests waiting for their confirmation.
    pub unconfirmed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServiceCount {
    pub service_id: ServiceId,
    pub subscribers: u32,
}

/// How a subscription came to be removed, as the journal records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The link in a message, from its page.
    Link,
    /// A mail program's one-click unsubscribe (RFC 8058).
    OneClick,
    /// Staff, on the subscriber's request.
    OnRequest,
}

impl Removal {
    pub fn as_str(self) -> &'static str {
        match self {
            Removal::Link => "link",
            Removal::OneClick => "one_click",
            Removal::OnRequest => "on_request",
        }
    }
}

#[async_trait::async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// Keeps a request and puts its confirmation in the public outbox, together. Forgets
    /// the organisation's expired requests first. `Invalid` on `services[i]` for a service
    /// not in use; `Invalid` on `address` with `TryLater` when the organisation already
    /// has [`MAX_PENDING_REQUESTS`].
    async fn request_subscription(
        &self,
        org: OrgId,
        new: NewSubscriptionRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<SubscriptionRequest>;
    /// A request still waiting; `NotFound` once confirmed, expired or another org's.
    async fn subscription_request(
        &self,
        org: OrgId,
        id: crate::ids::SubscriptionRequestId,
        now: DateTime<Utc>,
    ) -> StoreResult<SubscriptionRequest>;
    /// Makes the request a subscription (replacing the services and language of one the
    /// address already has), forgets every request for the address, journals it without
    /// the address. `NotFound` as for [`Self::subscription_request`].
    async fn confirm_subscription(
        &self,
        actor: &Actor,
        org: OrgId,
        id: crate::ids::SubscriptionRequestId,
        now: DateTime<Utc>,
    ) -> StoreResult<Subscription>;
    /// `NotFound` once removed, or for another organisation's.
    async fn subscription(
        &self,
        org: OrgId,
        id: crate::ids::SubscriptionId,
    ) -> StoreResult<Subscription>;
    /// Deletes the subscription and every message row naming its address; journaled
    /// without the address. False when it was already gone.
    async fn remove_subscription(
        &self,
        actor: &Actor,
        org: OrgId,
        id: crate::ids::SubscriptionId,
        how: Removal,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Deletes everything held about an address in the organisation (subscription,
    /// requests, message rows), on its owner's request. Returns how many subscriptions and
    /// requests went.
    async fn erase_subscriber(
        &self,
        actor: &Actor,
        org: OrgId,
        channel: ContactKind,
        address: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u32>;
    async fn subscriber_counts(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> StoreResult<SubscriberCounts>;
    /// Takes up to `limit` public messages that are due (or whose lease ran out), oldest
    /// first; also forgets expired requests and message rows older than
    /// [`DELIVERY_KEPT_DAYS`].
    async fn claim_public_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> StoreResult<Vec<PublicDelivery>>;
    /// Still claimed, i.e. not removed meanwhile by an unsubscribe.
    async fn public_delivery_wanted(&self, id: crate::ids::PublicDeliveryId) -> StoreResult<bool>;
    async fn finish_public_delivery(
        &self,
        id: crate::ids::PublicDeliveryId,
        outcome: DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(channel: &str, address: &str) -> SubscriptionInput {
        SubscriptionInput {
            channel: channel.into(),
            address: address.into(),
            services: vec![],
            lang: String::new(),
        }
    }

    #[test]
    fn an_address_is_kept_in_one_form_and_a_bad_one_is_named() {
        let ok = input("sms", "070-123 45 67")
            .validate(Region::Se, "sv")
            .unwrap();
        assert_eq!(ok.address, "+46701234567");
        assert_eq!(ok.channel, ContactKind::Sms);
        let ok = input("email", " Anna@Example.ORG ")
            .validate(Region::Se, "sv")
            .unwrap();
        assert_eq!(ok.address, "anna@example.org");
        let bad = input("email", "anna")
            .validate(Region::Se, "sv")
            .unwrap_err();
        assert_eq!(bad.0[0].field, "address");
        assert_eq!(bad.0[0].problem, Problem::NotAnEmail);
        let bad = input("fax", "1").validate(Region::Se, "sv").unwrap_err();
        assert_eq!(bad.0[0].field, "channel");
        let huge = "1".repeat(1_000_000);
        let bad = input("sms", &huge).validate(Region::Se, "sv").unwrap_err();
        assert_eq!(bad.0[0].problem, Problem::TooLong { max: 254 });
        let bad = input("sms", "").validate(Region::Se, "sv").unwrap_err();
        assert_eq!(bad.0[0].field, "address");
        assert_eq!(bad.0[0].problem, Problem::Empty);
    }

    #[test]
    fn a_subscription_hears_about_its_services_and_about_everything_general() {
        let (a, b) = (ServiceId::new(), ServiceId::new());
        let mut s = Subscription {
            id: crate::ids::SubscriptionId::new(),
            org_id: OrgId::new(),
            channel: ContactKind::Email,
            address: "a@example.org".into(),
            lang: "sv".into(),
            services: vec![a],
            confirmed_at: "2026-12-02T10:00:00Z".parse().unwrap(),
        };
        assert!(s.wants(&[a, b]));
        assert!(!s.wants(&[b]));
        assert!(s.wants(&[]));
        s.services.clear();
        assert!(s.wants(&[b]));
    }
}
