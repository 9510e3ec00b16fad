//! The public status page: what anyone may read without signing in — the organisation's
//! ways to get in touch when its own channels are down, and its services with their state
//! (the name and the state only: the impact and workaround on the overview are written for
//! staff) — and the crisis leads' use case that keeps those ways.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::continuity::services::Service;
use beredskap_core::continuity::status::{PublicContacts, PublicContactsInput};
use beredskap_core::register::Org;
use beredskap_core::{Slug, StoreError};
use chrono::{DateTime, Utc};

/// Everything the public page shows.
#[derive(Debug, Clone)]
pub struct PublicStatus {
    pub org: Org,
    pub contacts: PublicContacts,
    /// In the overview's order.
    pub services: Vec<Service>,
    /// When a service last changed state, if any has.
    pub changed_at: Option<DateTime<Utc>>,
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
    Ok(PublicStatus {
        changed_at: services.iter().map(|s| s.changed_at).max(),
        org,
        contacts,
        services,
    })
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
