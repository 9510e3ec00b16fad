//! The overview of what is affected: the organisation's services with their state now.
//! Members read it; crisis leads and administrators keep the list and set states (one
//! tap each, journaled, kept in the service's history).

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::continuity::services::{
    Service, ServiceInput, ServiceState, StatusChange, StatusInput,
};
use beredskap_core::register::Org;
use beredskap_core::{PersonId, ServiceId};
use std::collections::HashMap;

/// The list as a page shows it.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The most severe first (down, degraded, unknown, works), then in the list's order.
    pub services: Vec<Service>,
    /// The names of the people who set the states.
    pub names: HashMap<PersonId, String>,
}

impl Overview {
    /// How many services are in `state`.
    pub fn count(&self, state: ServiceState) -> usize {
        self.services.iter().filter(|s| s.state == state).count()
    }
}

/// Down first: what a crisis lead looks for.
pub fn severity(state: ServiceState) -> u8 {
    match state {
        ServiceState::Down => 0,
        ServiceState::Degraded => 1,
        ServiceState::Unknown => 2,
        ServiceState::Works => 3,
    }
}

pub async fn overview(app: &App, caller: &Caller, org: &Org) -> Result<Overview, Error> {
    permit(caller, UseCase::ReadOverview)?;
    let mut services = app.store.services(org.id).await?;
    // A stable sort keeps the list's own order within each state.
    services.sort_by_key(|s| severity(s.state));
    let names = crate::alerts::names(app.store(), org.id).await?;
    Ok(Overview { services, names })
}

/// The services in the list's own order, for the API.
pub async fn services(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Service>, Error> {
    permit(caller, UseCase::ReadOverview)?;
    Ok(app.store.services(org.id).await?)
}

pub async fn service(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: ServiceId,
) -> Result<Service, Error> {
    permit(caller, UseCase::ReadOverview)?;
    Ok(app.store.service(org.id, id).await?)
}

/// One service with the name of the person who set its state, if a person did.
pub async fn described(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: ServiceId,
) -> Result<(Service, Option<String>), Error> {
    permit(caller, UseCase::ReadOverview)?;
    let service = app.store.service(org.id, id).await?;
    let who = match service.changed_by {
        Some(person) => app.store.person(org.id, person).await?.map(|p| p.name),
        None => None,
    };
    Ok((service, who))
}

pub async fn add_service(
    app: &App,
    caller: &Caller,
    org: &Org,
    input: &ServiceInput,
) -> Result<Service, Error> {
    permit(caller, UseCase::KeepServices)?;
    let draft = input.validate().map_err(Error::Invalid)?;
    let by = caller.account().map(|a| a.person_id);
    Ok(app
        .store
        .create_service(&caller.actor(), org.id, draft, by, app.clock.now())
        .await?)
}

pub async fn change_service(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: ServiceId,
    input: &ServiceInput,
) -> Result<Service, Error> {
    permit(caller, UseCase::KeepServices)?;
    let draft = input.validate().map_err(Error::Invalid)?;
    Ok(app
        .store
        .update_service(&caller.actor(), org.id, id, draft)
        .await?)
}

pub async fn retire_service(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: ServiceId,
) -> Result<(), Error> {
    permit(caller, UseCase::KeepServices)?;
    Ok(app
        .store
        .retire_service(&caller.actor(), org.id, id, app.clock.now())
        .await?)
}

/// Sets a service's state. An impact or workaround left out keeps the one it has; an
/// empty one clears it.
/// Whether every open incident is an exercise (and one is open): a state set then is the
/// drill's, and the public status page keeps showing the one before.
async fn only_exercises_open(app: &App, org: &Org) -> Result<bool, Error> {
    let open = app.store.incidents(org.id, false).await?;
    Ok(!open.is_empty() && open.iter().all(|i| i.exercise))
}

pub async fn set_status(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: ServiceId,
    input: &StatusInput,
) -> Result<Service, Error> {
    permit(caller, UseCase::SetServiceState)?;
    let current = app.store.service(org.id, id).await?;
    let mut change: StatusChange = input.validate(&current).map_err(Error::Invalid)?;
    change.exercise = only_exercises_open(app, org).await?;
    let by = caller.account().map(|a| a.person_id);
    let service = app
        .store
        .set_service_status(&caller.actor(), org.id, id, change, by, app.clock.now())
        .await?;
    app.wake.published(org.id).await;
    Ok(service)
}
