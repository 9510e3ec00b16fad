//! `PriorityListStore` for each backend: a module of it, as `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::continuity::priority::{
    AccessInput, CallReport, CallsSummary, Citizen, PriorityCall, PriorityListInfo,
    PriorityListStore,
};
use beredskap_core::store::StoreResult;
use beredskap_core::{Actor, EntryId, IncidentId, OrgId, PersonId};
use chrono::{DateTime, Utc};

#[async_trait::async_trait]
impl PriorityListStore for Backend {
    async fn priority_list_info(&self, org: OrgId) -> StoreResult<PriorityListInfo> {
        self.read(move |c| Box::pin(ops::priority::info(c, org)))
            .await
    }

    async fn replace_priority_list(
        &self,
        actor: &Actor,
        org: OrgId,
        citizens: Vec<Citizen>,
        now: DateTime<Utc>,
    ) -> StoreResult<PriorityListInfo> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::priority::replace(c, &actor, org, citizens, now).await })
        })
        .await
    }

    async fn set_priority_list_access(
        &self,
        actor: &Actor,
        org: OrgId,
        access: AccessInput,
    ) -> StoreResult<PriorityListInfo> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::priority::set_access(c, &actor, org, access).await })
        })
        .await
    }

    async fn open_priority_list(&self, actor: &Actor, org: OrgId) -> StoreResult<Vec<Citizen>> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::priority::open_list(c, &actor, org).await })
        })
        .await
    }

    async fn start_priority_calls(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<CallsSummary> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::priority::start_calls(c, &actor, org, incident, by, now).await },
            )
        })
        .await
    }

    async fn open_priority_calls(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
    ) -> StoreResult<Vec<PriorityCall>> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::priority::open_calls(c, &actor, org, incident).await })
        })
        .await
    }

    async fn priority_calls_summary(
        &self,
        org: OrgId,
        incident: IncidentId,
    ) -> StoreResult<CallsSummary> {
        self.read(move |c| Box::pin(ops::priority::summary(c, org, incident)))
            .await
    }

    async fn report_priority_call(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        report: CallReport,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<PriorityCall> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::priority::report_call(c, &actor, org, incident, report, by, now).await
            })
        })
        .await
    }

    async fn keep_priority_calls(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        decision: EntryId,
    ) -> StoreResult<CallsSummary> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::priority::keep_calls(c, &actor, org, incident, decision).await },
            )
        })
        .await
    }

    async fn purge_priority_calls(&self, actor: &Actor, now: DateTime<Utc>) -> StoreResult<usize> {
        let candidates = self
            .read(move |c| Box::pin(ops::priority::purge_candidates(c)))
            .await?;
        let mut purged = 0;
        for (org, incident, _) in candidates.into_iter().filter(|(_, _, due)| *due <= now) {
            let actor = actor.clone();
            let done = self
                .write_in(org, move |c| {
                    Box::pin(async move {
                        ops::priority::purge_calls(c, &actor, org, incident, now).await
                    })
                })
                .await?;
            purged += usize::from(done);
        }
        Ok(purged)
    }
}
