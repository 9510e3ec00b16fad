//! The continuity plan at work: the overview of what is affected (services and their
//! state), and — as the plan grows — plans, incidents and their logs. The storage trait
//! for all of it is [`ContinuityStore`], a part of [`crate::Store`].

pub mod examples;
pub mod incidents;
pub mod log;
pub mod notices;
pub mod plans;
pub mod press;
pub mod priority;
pub mod services;
pub mod status;
pub mod subscriptions;

use crate::alerting::NewAlert;
use crate::domain::Slug;
use crate::ids::{AlertId, EntryId, IncidentId, OrgId, PersonId, PlanId, ServiceId};
use crate::journal::Actor;
use crate::store::StoreResult;
use chrono::{DateTime, Utc};
use incidents::{Incident, IncidentTask, NewIncident, RoleHolder};
use log::{EntryDraft, LogEntry};
use plans::{Plan, PlanDocument};
use services::{Service, ServiceChange, ServiceDraft, StatusChange};

#[async_trait::async_trait]
pub trait ContinuityStore: Send + Sync {
    /// The organisation's services in use, in the order they were added.
    async fn services(&self, org: OrgId) -> StoreResult<Vec<Service>>;
    /// One service in use; `NotFound` for a retired one or another organisation's.
    async fn service(&self, org: OrgId, id: ServiceId) -> StoreResult<Service>;
    /// Adds a service in the state `unknown`, set by `by`. `Conflict::ServiceName` when
    /// another service in use has the name (ignoring case); `Invalid` on `name` when the
    /// organisation already has [`services::MAX_SERVICES`].
    async fn create_service(
        &self,
        actor: &Actor,
        org: OrgId,
        draft: ServiceDraft,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Service>;
    /// Changes a service's name, owner and alternative; its state stays.
    async fn update_service(
        &self,
        actor: &Actor,
        org: OrgId,
        id: ServiceId,
        draft: ServiceDraft,
    ) -> StoreResult<Service>;
    /// Takes a service off the list. Its history stays, for the reports of incidents it
    /// was part of.
    async fn retire_service(
        &self,
        actor: &Actor,
        org: OrgId,
        id: ServiceId,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Sets a service's state, impact and workaround, keeps the change in its history
    /// and journals it. `by` is the person who said so, when a person did.
    async fn set_service_status(
        &self,
        actor: &Actor,
        org: OrgId,
        id: ServiceId,
        change: StatusChange,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Service>;
    /// Every state change of the organisation's services (retired ones too) at or after
    /// `since`, oldest first, with the state each was in before `since` as its first
    /// entry: what an incident's report needs to tell how long each was down.
    async fn service_history(
        &self,
        org: OrgId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ServiceChange>>;

    /// The organisation's plans, newest version of each, by title.
    async fn plans(&self, org: OrgId) -> StoreResult<Vec<Plan>>;
    async fn plan(&self, org: OrgId, id: PlanId) -> StoreResult<Plan>;
    async fn plan_by_slug(&self, org: OrgId, slug: &Slug) -> StoreResult<Option<Plan>>;
    /// Saves the document as the plan's next version, or as version 1 of a new plan with
    /// the slug. A document the same as the newest version saves nothing (an import run
    /// twice changes nothing). With `expected`, refuses with `Conflict::PlanChanged` when
    /// the newest version is no longer that one (someone saved in between).
    async fn save_plan(
        &self,
        actor: &Actor,
        org: OrgId,
        save: plans::PlanSave,
        now: DateTime<Utc>,
    ) -> StoreResult<Plan>;
    /// One version of a plan's document.
    async fn plan_version(&self, org: OrgId, id: PlanId, version: i64)
        -> StoreResult<PlanDocument>;
    /// Records that `by` approved `version`, which must be the newest
    /// (`Conflict::PlanChanged` otherwise); the review is due `review_months` later.
    async fn approve_plan(
        &self,
        actor: &Actor,
        org: OrgId,
        id: PlanId,
        version: i64,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Plan>;

    /// Opens an incident in one transaction: its channel, the plan's alarm (with every
    /// delivery planned), its checklist and its first lead. Nothing of it if any part
    /// fails.
    async fn open_incident(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewIncident,
        now: DateTime<Utc>,
    ) -> StoreResult<Incident>;
    /// The organisation's incidents, newest first; open ones only unless `closed`.
    async fn incidents(&self, org: OrgId, closed: bool) -> StoreResult<Vec<Incident>>;
    async fn incident(&self, org: OrgId, id: IncidentId) -> StoreResult<Incident>;
    /// The checklist, due first.
    async fn incident_tasks(&self, org: OrgId, id: IncidentId) -> StoreResult<Vec<IncidentTask>>;
    /// Ticks a task off (or back on) as `by`; `Conflict::IncidentClosed` once the incident
    /// has ended.
    async fn set_task_done(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        change: incidents::TaskChange,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<IncidentTask>;
    /// Every holder of every role, oldest first; the current ones have no `until`.
    async fn incident_roles(&self, org: OrgId, id: IncidentId) -> StoreResult<Vec<RoleHolder>>;
    /// Hands `role` to `to` (a person of the organisation), ending the current holder's.
    async fn hand_over_role(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        handover: incidents::Handover,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<RoleHolder>;
    /// Ends an incident; `Conflict::IncidentClosed` if it has ended already.
    async fn close_incident(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Incident>;

    /// The incident's log, oldest first: every entry, approved or not.
    async fn incident_log(&self, org: OrgId, id: IncidentId) -> StoreResult<Vec<LogEntry>>;
    /// Writes an entry in the log as `by` and journals its whole text. A significant
    /// entry written by the incident's scribe (or by its lead while nobody is scribe) is
    /// approved as it is written. `Conflict::IncidentClosed` once the incident has ended;
    /// `Invalid` when the log holds [`log::MAX_ENTRIES`].
    async fn write_log_entry(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        draft: EntryDraft,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<LogEntry>;
    /// Approves a significant entry into the shared picture. Only the incident's scribe
    /// may (its lead while nobody is scribe): `Forbidden` for anyone else. Approving an
    /// entry in the picture already changes nothing, whoever asks.
    async fn approve_log_entry(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        entry: EntryId,
        by: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<LogEntry>;
    /// Sends a significant entry back: it stays out of the shared picture. The same rule as
    /// approving for who may; `Conflict::EntryDecided` for one approved (or not significant);
    /// sending back one sent back already changes nothing.
    async fn decline_log_entry(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        entry: EntryId,
        by: PersonId,
        now: DateTime<Utc>,
    ) -> StoreResult<LogEntry>;
    /// Sets the minutes between situation reports (`None`: no cadence).
    async fn set_report_cadence(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        every_minutes: Option<u32>,
        now: DateTime<Utc>,
    ) -> StoreResult<Incident>;
    /// Sends `alert` as the reminder that the report due at `due` is overdue, unless a
    /// reminder went out at or after `due` already (by this node or another): the alert's
    /// id when this call sent it. The claim and the alert are one transaction.
    async fn remind_report(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        due: DateTime<Utc>,
        alert: NewAlert,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AlertId>>;

    /// Invites a guest's account to the incident: it may read the incident, its log and
    /// its channel (it is made a member), and no other incident. `Invalid` on `account`
    /// for an account that is not a guest's or not the organisation's; inviting again
    /// changes nothing.
    async fn invite_guest(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        account: crate::ids::AccountId,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Takes a guest off the incident and out of its channel; also once it has ended, so
    /// access can be withdrawn afterwards. Removing an account not invited changes nothing.
    async fn remove_guest(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IncidentId,
        account: crate::ids::AccountId,
        by: Option<PersonId>,
    ) -> StoreResult<()>;
    /// The guests' accounts invited to the incident, in the order they were invited.
    async fn incident_guests(
        &self,
        org: OrgId,
        id: IncidentId,
    ) -> StoreResult<Vec<crate::ids::AccountId>>;

    /// Sets (or with `None`, removes) an account's PIN for activating plans by SMS, as a
    /// hash; journaled without it.
    async fn set_activation_pin(
        &self,
        actor: &Actor,
        org: OrgId,
        account: crate::ids::AccountId,
        pin_hash: Option<String>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The account's PIN hash, if it has set one.
    async fn activation_pin(
        &self,
        org: OrgId,
        account: crate::ids::AccountId,
    ) -> StoreResult<Option<String>>;

    /// The status page's ways to get in touch (all left out until set).
    async fn public_contacts(&self, org: OrgId) -> StoreResult<status::PublicContacts>;
    /// Replaces the status page's ways to get in touch; journaled whole (they are public).
    async fn set_public_contacts(
        &self,
        actor: &Actor,
        org: OrgId,
        contacts: status::PublicContacts,
        now: DateTime<Utc>,
    ) -> StoreResult<status::PublicContacts>;
}
