//! `ContinuityStore` for each backend: a module of it, as `store_impl.rs` is.

use super::{ops, Backend};
use beredskap_core::alerting::NewAlert;
use beredskap_core::continuity::incidents::{
    Handover, Incident, IncidentTask, NewIncident, RoleHolder, TaskChange,
};
use beredskap_core::continuity::log::{EntryDraft, LogEntry};
use beredskap_core::continuity::plans::{Plan, PlanDocument, PlanSave};
use beredskap_core::continuity::services::{Service, ServiceChange, ServiceDraft, StatusChange};
use beredskap_core::continuity::ContinuityStore;
use beredskap_core::store::StoreResult;
use beredskap_core::{
    Actor, AlertId, EntryId, IncidentId, OrgId, PersonId, PlanId, ServiceId, Slug,
};
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
        self.write_in(org, move |c| {
            Box::pin(async move {
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
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::continuity::update_service(c, &actor, org, id, draft).await },
            )
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::continuity::retire_service(c, &actor, org, id, now).await })
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
        self.write_in(org, move |c| {
            Box::pin(async move {
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
        self.write_in(org, move |c| {
            Box::pin(async move { ops::continuity::save_plan(c, &actor, org, save, now).await })
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
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::approve_plan(c, &actor, org, id, version, by, now).await
            })
        })
        .await
    }

    async fn open_incident(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewIncident,
        now: DateTime<Utc>,
    ) -> StoreResult<Incident> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move { ops::continuity::open_incident(c, &actor, org, new, now).await })
        })
        .await
    }

    async fn incidents(&self, org: OrgId, closed: bool) -> StoreResult<Vec<Incident>> {
        self.read(move |c| Box::pin(ops::continuity::incidents(c, org, closed)))
            .await
    }

    async fn incident(&self, org: OrgId, id: IncidentId) -> StoreResult<Incident> {
        self.read(move |c| Box::pin(ops::continuity::incident(c, org, id)))
            .await
    }

    async fn incident_tasks(&self, org: OrgId, id: IncidentId) -> StoreResult<Vec<IncidentTask>> {
        self.read(move |c| Box::pin(ops::continuity::incident_tasks(c, org, id)))
            .await
    }

    async fn set_task_done(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        change: TaskChange,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<IncidentTask> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::set_task_done(c, &actor, org, incident, change, by, now).await
            })
        })
        .await
    }

    async fn incident_roles(&self, org: OrgId, id: IncidentId) -> StoreResult<Vec<RoleHolder>> {
        self.read(move |c| Box::pin(ops::continuity::incident_roles(c, org, id)))
            .await
    }

    async fn hand_over_role(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        handover: Handover,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<RoleHolder> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::hand_over_role(c, &actor, org, id, handover, by, now).await
            })
        })
        .await
    }

    async fn close_incident(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Incident> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::continuity::close_incident(c, &actor, org, id, by, now).await },
            )
        })
        .await
    }

    async fn incident_log(&self, org: OrgId, id: IncidentId) -> StoreResult<Vec<LogEntry>> {
        self.read(move |c| Box::pin(ops::continuity::incident_log(c, org, id)))
            .await
    }

    async fn write_log_entry(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        draft: EntryDraft,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<LogEntry> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::write_log_entry(c, &actor, org, id, draft, by, now).await
            })
        })
        .await
    }

    async fn approve_log_entry(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        entry: EntryId,
        by: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<LogEntry> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::approve_log_entry(c, &actor, org, id, entry, by, now).await
            })
        })
        .await
    }

    async fn decline_log_entry(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        entry: EntryId,
        by: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<LogEntry> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::decline_log_entry(c, &actor, org, id, entry, by, now).await
            })
        })
        .await
    }

    async fn set_report_cadence(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        every_minutes: Option<u32>,
        _now: DateTime<Utc>,
    ) -> StoreResult<Incident> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::set_report_cadence(c, &actor, org, id, every_minutes).await
            })
        })
        .await
    }

    async fn remind_report(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        due: DateTime<Utc>,
        alert: NewAlert,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AlertId>> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::remind_report(c, &actor, org, id, due, alert, now).await
            })
        })
        .await
    }

    async fn invite_guest(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        account: beredskap_core::AccountId,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::invite_guest(c, &actor, org, id, account, by, now).await
            })
        })
        .await
    }

    async fn remove_guest(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        account: beredskap_core::AccountId,
        by: Option<PersonId>,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(
                async move { ops::continuity::remove_guest(c, &actor, org, id, account, by).await },
            )
        })
        .await
    }

    async fn incident_guests(
        &self,
        org: OrgId,
        id: IncidentId,
    ) -> StoreResult<Vec<beredskap_core::AccountId>> {
        self.read(move |c| Box::pin(ops::continuity::incident_guests(c, org, id)))
            .await
    }

    async fn set_activation_pin(
        &self,
        actor: &Actor,
        org: OrgId,
        account: beredskap_core::AccountId,
        pin_hash: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::set_activation_pin(c, &actor, org, account, pin_hash, now).await
            })
        })
        .await
    }

    async fn activation_pin(
        &self,
        org: OrgId,
        account: beredskap_core::AccountId,
    ) -> StoreResult<Option<String>> {
        self.read(move |c| Box::pin(ops::continuity::activation_pin(c, org, account)))
            .await
    }

    async fn public_contacts(
        &self,
        org: OrgId,
    ) -> StoreResult<beredskap_core::continuity::status::PublicContacts> {
        self.read(move |c| Box::pin(ops::continuity::public_contacts(c, org)))
            .await
    }

    async fn set_public_contacts(
        &self,
        actor: &Actor,
        org: OrgId,
        contacts: beredskap_core::continuity::status::PublicContacts,
        now: DateTime<Utc>,
    ) -> StoreResult<beredskap_core::continuity::status::PublicContacts> {
        let actor = actor.clone();
        self.write_in(org, move |c| {
            Box::pin(async move {
                ops::continuity::set_public_contacts(c, &actor, org, contacts, now).await
            })
        })
        .await
    }
}
