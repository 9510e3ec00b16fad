// `AlertStore` for the backend that includes this file (see `store_impl.rs`).

use beredskap_core::alerting::{
    Alert, AlertStore, Answer, Delivery, DeliveryOutcome, NewAlert, RosterEntry,
};
use beredskap_core::{AlertId, DeliveryId};

#[async_trait::async_trait]
impl AlertStore for Backend {
    async fn create_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewAlert,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Alert> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::alerting::create_alert(c, &actor, org, new, now).await
            })
        })
        .await
    }

    async fn answer_alert(
        &self,
        actor: &Actor,
        org: OrgId,
        alert: AlertId,
        answer: Answer,
    ) -> StoreResult<bool> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::alerting::answer_alert(c, &actor, org, alert, answer).await
            })
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<Delivery>> {
        self.write(move |c| {
            Box::pin(async move { ops::alerting::claim_deliveries(c, now, limit, lease).await })
        })
        .await
    }

    async fn alert(&self, org: OrgId, id: AlertId) -> StoreResult<Alert> {
        self.read(move |c| Box::pin(async move { ops::alerting::alert(c, org, id).await }))
            .await
    }

    async fn delivery_wanted(&self, id: DeliveryId) -> StoreResult<bool> {
        self.read(move |c| Box::pin(async move { ops::alerting::delivery_wanted(c, id).await }))
            .await
    }

    async fn finish_delivery(
        &self,
        id: DeliveryId,
        outcome: DeliveryOutcome,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<bool> {
        self.write(move |c| {
            Box::pin(async move { ops::alerting::finish_delivery(c, id, outcome, now).await })
        })
        .await
    }

    async fn alert_roster(&self, org: OrgId, alert: AlertId) -> StoreResult<Vec<RosterEntry>> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::alert_roster(c, org, alert).await })
        })
        .await
    }
}
