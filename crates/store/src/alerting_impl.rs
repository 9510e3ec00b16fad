// `AlertStore` for the backend that includes this file (see `store_impl.rs`).

use beredskap_core::alerting::{Alert, AlertStore, Answer, Delivery, NewAlert, RosterEntry};
use beredskap_core::AlertId;

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

    async fn alert_roster(&self, org: OrgId, alert: AlertId) -> StoreResult<Vec<RosterEntry>> {
        self.read(move |c| {
            Box::pin(async move { ops::alerting::alert_roster(c, org, alert).await })
        })
        .await
    }
}
