//! `ContinuityStore` for each backend: a module of it, as `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::continuity::services::{Service, ServiceChange, ServiceDraft, StatusChange};
use beredskap_core::continuity::ContinuityStore;
use beredskap_core::store::StoreResult;
use beredskap_core::{Actor, OrgId, PersonId, ServiceId};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl ContinuityStore for Backend {
    async fn services(&self, org: OrgId) -> StoreResult<Vec<Service>> {
        self.read(move |c| Box::pin(ops::continuity::services(c, org)))
            .await
    }

    async fn service(&self, org: OrgId, id: ServiceId) -> StoreResult<Service> {
        self.read(move |c| Box::pin(ops::continuity::service(c, org, id)))
            .await
    }

    async fn create_service(
        &self,
        actor: &Actor,
        org: OrgId,
        draft: ServiceDraft,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Service> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::continuity::create_service(c, &actor, org, draft, by, now).await
            })
        })
        .await
    }

    async fn update_service(
        &self,
        actor: &Actor,
        org: OrgId,
        id: ServiceId,
        draft: ServiceDraft,
    ) -> StoreResult<Service> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::continuity::update_service(c, &actor, org, id, draft).await
            })
        })
        .await
    }

    async fn retire_service(
        &self,
        actor: &Actor,
        org: OrgId,
        id: ServiceId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::continuity::retire_service(c, &actor, org, id, now).await
            })
        })
        .await
    }

    async fn set_service_status(
        &self,
        actor: &Actor,
        org: OrgId,
        id: ServiceId,
        change: StatusChange,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Service> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::continuity::set_service_status(c, &actor, org, id, change, by, now).await
            })
        })
        .await
    }

    async fn service_history(
        &self,
        org: OrgId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ServiceChange>> {
        self.read(move |c| Box::pin(ops::continuity::service_history(c, org, since)))
            .await
    }
}
