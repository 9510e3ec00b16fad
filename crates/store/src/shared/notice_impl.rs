//! `NoticeStore`, `PressReleaseStore` and `SubscriptionStore` for each backend: a module of it, as
//! `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::alerting::DeliveryOutcome;
use beredskap_core::continuity::notices::{NewNotice, Notice, NoticeStore, UpdateDraft};
use beredskap_core::continuity::press::{NewPressRelease, PressRelease, PressReleaseStore};
use beredskap_core::continuity::subscriptions::{
    NewSubscriptionRequest, PublicDelivery, Removal, SubscriberCounts, Subscription,
    SubscriptionRequest, SubscriptionStore,
};
use beredskap_core::register::ContactKind;
use beredskap_core::store::StoreResult;
use beredskap_core::{
    Actor, NoticeId, OrgId, PersonId, PublicDeliveryId, SubscriptionId, SubscriptionRequestId,
};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl NoticeStore for Backend {
    async fn notices(&self, org: OrgId, ended_since: DateTime<Utc>) -> StoreResult<Vec<Notice>> {
        self.read(move |c| Box::pin(ops::notices::notices(c, org, ended_since)))
            .await
    }

    async fn notice(&self, org: OrgId, id: NoticeId) -> StoreResult<Notice> {
        self.read(move |c| Box::pin(ops::notices::notice(c, org, id)))
            .await
    }

    async fn publish_notice(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewNotice,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Notice> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::notices::publish(c, &actor, org, new, by, now).await })
        })
        .await
    }

    async fn update_notice(
        &self,
        actor: &Actor,
        org: OrgId,
        id: NoticeId,
        update: UpdateDraft,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Notice> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::notices::update(c, &actor, org, id, update, by, now).await })
        })
        .await
    }
}

#[async_trait::async_trait]
impl PressReleaseStore for Backend {
    async fn press_releases(&self, org: OrgId, limit: usize) -> StoreResult<Vec<PressRelease>> {
        self.read(move |c| Box::pin(ops::notices::press_releases(c, org, limit)))
            .await
    }

    async fn publish_press_release(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewPressRelease,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<PressRelease> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::notices::publish_press_release(c, &actor, org, new, by, now).await
            })
        })
        .await
    }
}

#[async_trait::async_trait]
impl SubscriptionStore for Backend {
    async fn request_subscription(
        &self,
        org: OrgId,
        new: NewSubscriptionRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<SubscriptionRequest> {
        self.write_in(org, move |c| {
            Box::pin(async move {
                // Counting the organisation's requests and adding one must not race: the
                // organisation is locked (on SQLite, every write runs alone).
                ops::subscriptions::request(c, org, new, now).await
            })
        })
        .await
    }

    async fn subscription_request(
        &self,
        org: OrgId,
        id: SubscriptionRequestId,
        now: DateTime<Utc>,
    ) -> StoreResult<SubscriptionRequest> {
        self.read(move |c| Box::pin(ops::subscriptions::pending_request(c, org, id, now)))
            .await
    }

    async fn confirm_subscription(
        &self,
        actor: &Actor,
        org: OrgId,
        id: SubscriptionRequestId,
        now: DateTime<Utc>,
    ) -> StoreResult<Subscription> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::subscriptions::confirm(c, &actor, org, id, now).await })
        })
        .await
    }

    async fn subscription(&self, org: OrgId, id: SubscriptionId) -> StoreResult<Subscription> {
        self.read(move |c| Box::pin(ops::subscriptions::subscription_by_id(c, org, id)))
            .await
    }

    async fn remove_subscription(
        &self,
        actor: &Actor,
        org: OrgId,
        id: SubscriptionId,
        how: Removal,
        _now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::subscriptions::remove(c, &actor, org, id, how).await })
        })
        .await
    }

    async fn erase_subscriber(
        &self,
        actor: &Actor,
        org: OrgId,
        channel: ContactKind,
        address: &str,
        _now: DateTime<Utc>,
    ) -> StoreResult<u32> {
        let actor = actor.clone();
        let address = address.to_owned();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::subscriptions::erase(c, &actor, org, channel, &address).await },
            )
        })
        .await
    }

    async fn subscriber_counts(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
    ) -> StoreResult<SubscriberCounts> {
        self.read(move |c| Box::pin(ops::subscriptions::counts(c, org, now)))
            .await
    }

    async fn claim_public_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<PublicDelivery>> {
        let node = self.node.0;
        self.write(move |c| Box::pin(ops::subscriptions::claim(c, now, limit, lease, node)))
            .await
    }

    async fn public_delivery_wanted(&self, id: PublicDeliveryId) -> StoreResult<bool> {
        let node = self.node.0;
        self.read(move |c| Box::pin(ops::subscriptions::wanted(c, id, node)))
            .await
    }

    async fn finish_public_delivery(
        &self,
        id: PublicDeliveryId,
        outcome: DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write(move |c| Box::pin(ops::subscriptions::finish(c, id, outcome, now)))
            .await
    }
}
