//! `NoticeStore` and `PressReleaseStore` for each backend: a module of it, as
//! `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::continuity::notices::{NewNotice, Notice, NoticeStore, UpdateDraft};
use beredskap_core::continuity::press::{NewPressRelease, PressRelease, PressReleaseStore};
use beredskap_core::store::StoreResult;
use beredskap_core::{Actor, NoticeId, OrgId, PersonId};
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
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::notices::publish(c, &actor, org, new, by, now).await
            })
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
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::notices::update(c, &actor, org, id, update, by, now).await
            })
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
        self.write(move |c| {
            Box::pin(async move {
                ops::lock_org(c, org).await?;
                ops::notices::publish_press_release(c, &actor, org, new, by, now).await
            })
        })
        .await
    }
}
