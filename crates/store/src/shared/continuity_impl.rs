//! `ContinuityStore` for each backend: a module of it, as `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::continuity::plans::{Plan, PlanDocument, PlanSave};
use beredskap_core::continuity::services::{Service, ServiceChange, ServiceDraft, StatusChange};
use beredskap_core::continuity::ContinuityStore;
use beredskap_core::store::StoreResult;
use beredskap_core::{Actor, OrgId, PersonId, PlanId, ServiceId, Slug};
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

    async fn plans(&self, org: OrgId) -> StoreResult<Vec<Plan>> {
        self.read(move |c| Box::pin(ops::continuity::plans(c, org)))
            .await
    }

    async fn plan(&self, org: OrgId, id: PlanId) -> StoreResult<Plan> {
        self.read(move |c| Box::pin(ops::continuity::plan(c, org, id)))
            .await
    }

    async fn plan_by_slug(&self, org: OrgId, slug: &Slug) -> StoreResult<Option<Plan>> {
        let slug = slug.clone();
        self.read(move |c| {
            Box::pin(async move { ops::continuity::plan_by_slug(c, org, &slug).await })
        })
        .await
    }

    async fn save_plan(
        &self,
        actor: &Actor,
        org: OrgId,
        save: PlanSave,
        now: DateTime<Utc>,
    ) -> StoreResult<Plan> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::continuity::save_plan(c, &actor, org, save, now).await
            })
        })
        .await
    }

    async fn plan_version(
        &self,
        org: OrgId,
        id: PlanId,
        version: i64,
    ) -> StoreResult<PlanDocument> {
        self.read(move |c| Box::pin(ops::continuity::plan_version(c, org, id, version)))
            .await
    }

    async fn approve_plan(
        &self,
        actor: &Actor,
        org: OrgId,
        id: PlanId,
        version: i64,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Plan> {
        let actor = actor.clone();
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::continuity::approve_plan(c, &actor, org, id, version, by, now).await
            })
        })
        .await
    }
}
