//! The public status page: what anyone may read without signing in — the organisation's
//! ways to get in touch when its own channels are down, and its services with their state
//! (the name and the state only: the impact and workaround on the overview are written for
//! staff) — and the crisis leads' use case that keeps those ways.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::continuity::notices::{
    Kind, NewNotice, Notice, UpdateInput, SHOWN_AFTER_END_DAYS,
};
use beredskap_core::continuity::services::Service;
use beredskap_core::continuity::status::{PublicContacts, PublicContactsInput};
use beredskap_core::register::Org;
use beredskap_core::store::Conflict;
use beredskap_core::{IncidentId, NoticeId, Slug, StoreError};
use chrono::{DateTime, Duration, Utc};

/// Everything the public page shows.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    pub org: Org,
    pub contacts: PublicContacts,
    /// In the overview's order; the page shows each one's public state.
    pub services: Vec<Service>,
    /// Open ones and those ended in the last [`SHOWN_AFTER_END_DAYS`], newest first.
    pub notices: Vec<Notice>,
    /// When a service's public state last changed, if one has.
    pub changed_at: Option<DateTime<Utc>>,
    /// When what is shown would change by time alone (an ended notice leaving the page).
    pub changes_by_itself_at: Option<DateTime<Utc>>,
    /// When this was read.
    pub read_at: DateTime<Utc>,
}

/// The page of the organisation with the slug, for anyone: no caller, nothing private.
/// `NotFound` for a slug no organisation has (or one that is not a slug).
pub async fn public_status(app: &App, slug: &str) -> Result<PublicStatus, Error> {
    let slug = Slug::parse(slug).map_err(|_| Error::Store(StoreError::NotFound))?;
    let org = app
        .store
        .org_by_slug(&slug)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))?;
    let services = app.store.services(org.id).await?;
    let contacts = app.store.public_contacts(org.id).await?;
    let now = app.clock.now();
    let shown_after_end = Duration::days(SHOWN_AFTER_END_DAYS);
    let notices = app.store.notices(org.id, now - shown_after_end).await?;
    Ok(PublicStatus {
        changed_at: services.iter().map(|s| s.public_changed_at).max(),
        changes_by_itself_at: notices
            .iter()
            .filter_map(|n| n.ended_at())
            .map(|ended| ended + shown_after_end)
            .min(),
        read_at: now,
        org,
        contacts,
        services,
        notices,
    })
}

/// The notices still shown, for the crisis leads' list (the same as the public page's).
pub async fn notices(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Notice>, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let since = app.clock.now() - Duration::days(SHOWN_AFTER_END_DAYS);
    Ok(app.store.notices(org.id, since).await?)
}

/// One notice, for the form that updates it.
pub async fn notice(app: &App, caller: &Caller, org: &Org, id: NoticeId) -> Result<Notice, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    Ok(app.store.notice(org.id, id).await?)
}

/// The notices published from an incident, newest first, for its page.
pub async fn incident_notices(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
) -> Result<Vec<Notice>, Error> {
    permit(caller, UseCase::ReadIncidents)?;
    // Shown for as long as the page shows them: an incident's are few.
    let since = app.clock.now() - Duration::days(SHOWN_AFTER_END_DAYS);
    let all = app.store.notices(org.id, since).await?;
    Ok(all
        .into_iter()
        .filter(|n| n.incident_id == Some(incident))
        .collect())
}

/// The incident a notice is about to be published from, for the form (which says when it
/// is an exercise): `Conflict::IncidentClosed` once it has ended.
pub async fn incident_for_notice(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: IncidentId,
) -> Result<beredskap_core::continuity::incidents::Incident, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let incident = app.store.incident(org.id, id).await?;
    if !incident.is_open() {
        return Err(StoreError::Conflict(Conflict::IncidentClosed).into());
    }
    Ok(incident)
}

/// Publishes a notice on the status page, from an incident (marked as an exercise when the
/// incident is one; refused once it has ended) or on its own (planned maintenance, say).
pub async fn publish_notice(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: Option<IncidentId>,
    kind: Kind,
    input: &UpdateInput,
) -> Result<Notice, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let now = app.clock.now();
    let first = input.validate(kind, now).map_err(Error::Invalid)?;
    let exercise = match incident {
        Some(id) => incident_for_notice(app, caller, org, id).await?.exercise,
        None => false,
    };
    let new = NewNotice {
        incident_id: incident,
        kind,
        exercise,
        first,
    };
    let by = caller.account().map(|a| a.person_id);
    let notice = app
        .store
        .publish_notice(&caller.actor(), org.id, new, by, now)
        .await?;
    app.wake.published(org.id).await;
    Ok(notice)
}

/// Adds an update to a notice: the whole of it as it should now read.
pub async fn update_notice(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: NoticeId,
    input: &UpdateInput,
) -> Result<Notice, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let now = app.clock.now();
    let current = app.store.notice(org.id, id).await?;
    let update = input.validate(current.kind, now).map_err(Error::Invalid)?;
    let by = caller.account().map(|a| a.person_id);
    let notice = app
        .store
        .update_notice(&caller.actor(), org.id, id, update, by, now)
        .await?;
    app.wake.published(org.id).await;
    Ok(notice)
}

/// The ways to get in touch as set, for the form that keeps them.
pub async fn contacts(app: &App, caller: &Caller, org: &Org) -> Result<PublicContacts, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    Ok(app.store.public_contacts(org.id).await?)
}

/// Replaces the ways to get in touch; every field checked first, nothing half-applied.
pub async fn set_contacts(
    app: &App,
    caller: &Caller,
    org: &Org,
    input: &PublicContactsInput,
) -> Result<PublicContacts, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let contacts = input.validate(org.region).map_err(Error::Invalid)?;
    let saved = app
        .store
        .set_public_contacts(&caller.actor(), org.id, contacts, app.clock.now())
        .await?;
    app.wake.published(org.id).await;
    Ok(saved)
}
