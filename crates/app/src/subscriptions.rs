//! Subscriptions to the status page's notices, for anyone: asking (which sends a message
//! to confirm with), confirming, leaving; and for crisis leads, how many there are and
//! erasing an address on its owner's request. The links that confirm and leave are signed
//! by the server; here they arrive as the ids they name.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::auth::{AttemptReservation, ThrottlePolicy};
use beredskap_core::continuity::subscriptions::{
    Removal, SubscriberCounts, Subscription, SubscriptionInput, SubscriptionRequest,
};
use beredskap_core::register::{ContactKind, Org};
use beredskap_core::{
    Actor, FieldErrors, Problem, StoreError, SubscriptionId, SubscriptionRequestId,
};

/// Requests per address: three, then growing waits up to a day, so nobody can use the
/// form to flood someone's phone or inbox.
const PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
    free_failures: 3,
    first_block_seconds: 3600,
    max_block_seconds: 24 * 3600,
};
/// Requests per IP address: a town's library shares one, so more room, then up to a day.
const PER_IP: ThrottlePolicy = ThrottlePolicy {
    free_failures: 20,
    first_block_seconds: 600,
    max_block_seconds: 24 * 3600,
};

fn hashed(s: &str) -> String {
    crate::accounts::secret_hash(s)[..32].to_owned()
}

/// The key requests for an address are counted under: a hash, not the address, and
/// deleted with the subscription.
fn address_key(org: &Org, channel: ContactKind, address: &str) -> String {
    format!(
        "subscribe:{}:{}",
        org.id,
        hashed(&format!("{}:{address}", channel.as_str()))
    )
}

/// Asks for a subscription: checks it, counts it against the address and the asker's IP
/// address (kept only as a hash, like the address), keeps the request and sends the
/// message to confirm it with. The answer is the same whether the address already
/// subscribes or not, so the form tells nobody who does.
pub async fn subscribe(
    app: &App,
    org: &Org,
    input: &SubscriptionInput,
    lang: &str,
    ip: &str,
) -> Result<SubscriptionRequest, Error> {
    let new = input.validate(org.region, lang).map_err(Error::Invalid)?;
    let keys = [
        (address_key(org, new.channel, &new.address), PER_ADDRESS),
        (format!("subscribe-ip:{}", hashed(ip)), PER_IP),
    ];
    let now = app.clock.now();
    if let AttemptReservation::Locked { .. } = app.store.reserve_attempt(&keys, now).await? {
        return Err(Error::Invalid(FieldErrors::single(
            "address",
            Problem::TryLater,
        )));
    }
    let request = app.store.request_subscription(org.id, new, now).await?;
    app.wake.deliveries_due();
    Ok(request)
}

/// A request still waiting for its confirmation, for the page that confirms it.
pub async fn pending(
    app: &App,
    org: &Org,
    id: SubscriptionRequestId,
) -> Result<SubscriptionRequest, Error> {
    Ok(app
        .store
        .subscription_request(org.id, id, app.clock.now())
        .await?)
}

/// Confirms a request: from now on its address hears about the services it named.
pub async fn confirm(
    app: &App,
    org: &Org,
    id: SubscriptionRequestId,
) -> Result<Subscription, Error> {
    Ok(app
        .store
        .confirm_subscription(&Actor::public(), org.id, id, app.clock.now())
        .await?)
}

/// A subscription, for the page that ends it (which shows everything kept about it).
pub async fn subscription(app: &App, org: &Org, id: SubscriptionId) -> Result<Subscription, Error> {
    Ok(app.store.subscription(org.id, id).await?)
}

/// Ends a subscription and deletes what was kept about it. False when it was gone
/// already (a second click is not an error).
pub async fn unsubscribe(
    app: &App,
    org: &Org,
    id: SubscriptionId,
    how: Removal,
) -> Result<bool, Error> {
    let subscription = match app.store.subscription(org.id, id).await {
        Ok(subscription) => subscription,
        Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let removed = app
        .store
        .remove_subscription(&Actor::public(), org.id, id, how, app.clock.now())
        .await?;
    // Nothing keyed on the address stays behind, not even its count of requests.
    let key = address_key(org, subscription.channel, &subscription.address);
    app.store.clear_throttle(&key).await?;
    Ok(removed)
}

/// How many subscribe, per channel and service; no addresses.
pub async fn counts(app: &App, caller: &Caller, org: &Org) -> Result<SubscriberCounts, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    Ok(app.store.subscriber_counts(org.id, app.clock.now()).await?)
}

/// Deletes everything kept about an address (its owner asked, by phone or letter).
/// Returns how many subscriptions and requests went; the journal records the erasure
/// without the address.
pub async fn erase(
    app: &App,
    caller: &Caller,
    org: &Org,
    channel: &str,
    address: &str,
) -> Result<u32, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let input = SubscriptionInput {
        channel: channel.to_owned(),
        address: address.to_owned(),
        services: Vec::new(),
        lang: String::new(),
    };
    let checked = input.validate(org.region, "").map_err(Error::Invalid)?;
    let erased = app
        .store
        .erase_subscriber(
            &caller.actor(),
            org.id,
            checked.channel,
            &checked.address,
            app.clock.now(),
        )
        .await?;
    let key = address_key(org, checked.channel, &checked.address);
    app.store.clear_throttle(&key).await?;
    Ok(erased)
}
