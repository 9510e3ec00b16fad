//! `ActivationStore` for each backend: a module of it, as `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::activation::{
    ActivationBatch, ActivationBatchId, ActivationSend, ActivationSendId, ActivationStore,
    NewActivation,
};
use beredskap_core::alerting::DeliveryOutcome;
use beredskap_core::store::StoreResult;
use beredskap_core::{Actor, OrgId, PersonId};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl ActivationStore for Backend {
    async fn start_activation(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewActivation,
        now: DateTime<Utc>,
    ) -> StoreResult<ActivationBatch> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::activation::start(c, &actor, org, new, now).await })
        })
        .await
    }

    async fn waiting_activations(&self, org: OrgId) -> StoreResult<Vec<PersonId>> {
        self.read(move |c| Box::pin(ops::activation::waiting(c, org)))
            .await
    }

    async fn activation_batches(&self, org: OrgId) -> StoreResult<Vec<ActivationBatch>> {
        self.read(move |c| Box::pin(ops::activation::batches(c, org)))
            .await
    }

    async fn activation_batch(
        &self,
        org: OrgId,
        id: ActivationBatchId,
    ) -> StoreResult<(ActivationBatch, Vec<ActivationSend>)> {
        self.read(move |c| Box::pin(ops::activation::batch(c, org, id)))
            .await
    }

    async fn claim_activation_sends(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<ActivationSend>> {
        let node = self.node.0;
        self.write(move |c| Box::pin(ops::activation::claim(c, now, limit, lease, node)))
            .await
    }

    async fn activation_send_wanted(&self, id: ActivationSendId) -> StoreResult<bool> {
        let node = self.node.0;
        self.read(move |c| Box::pin(ops::activation::wanted(c, id, node)))
            .await
    }

    async fn finish_activation_send(
        &self,
        id: ActivationSendId,
        outcome: DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.write(move |c| Box::pin(ops::activation::finish(c, id, outcome, now)))
            .await
    }
}
