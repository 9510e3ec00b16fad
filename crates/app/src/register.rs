//! The register: people with their contact points, groups, positions with holder and
//! deputies, and the import from the organisation's own records. Members read it (a
//! crisis needs names and numbers); administrators change it.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::import::{ImportReport, ImportRow};
use beredskap_core::register::{
    ContactKind, ContactLabel, ContactPoint, Group, NewGroup, NewPosition, Org, Person,
    PersonDraft, PersonInput, Position,
};
use beredskap_core::{GroupId, PersonId, PositionId, StoreError};

/// Everyone in the register; private numbers and addresses only for those who may see
/// them.
pub async fn people(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Person>, Error> {
    permit(caller, UseCase::ReadRegister)?;
    let people = app.store.list_people(org.id).await?;
    Ok(
        match crate::policy::allows(caller, UseCase::SeePrivateContacts) {
            true => people,
            false => people
                .into_iter()
                .map(crate::directory::without_private)
                .collect(),
        },
    )
}

pub async fn person(app: &App, caller: &Caller, org: &Org, id: PersonId) -> Result<Person, Error> {
    permit(caller, UseCase::ReadRegister)?;
    let person = app
        .store
        .person(org.id, id)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))?;
    Ok(
        match crate::policy::allows(caller, UseCase::SeePrivateContacts) {
            true => person,
            false => crate::directory::without_private(person),
        },
    )
}

pub async fn groups(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Group>, Error> {
    permit(caller, UseCase::ReadRegister)?;
    Ok(app.store.list_groups(org.id).await?)
}

pub async fn positions(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Position>, Error> {
    permit(caller, UseCase::ReadRegister)?;
    Ok(app.store.list_positions(org.id).await?)
}

/// A new person; phone numbers without a country code are read in the organisation's
/// region.
pub async fn create_person(
    app: &App,
    caller: &Caller,
    org: &Org,
    input: PersonInput,
) -> Result<Person, Error> {
    permit(caller, UseCase::ChangeRegister)?;
    let draft = input.validate(org.region).map_err(Error::Invalid)?;
    Ok(app
        .store
        .create_person(&caller.actor(), org.id, draft)
        .await?)
}

/// Replaces a person's fields and contact points; a contact point that stays keeps its
/// verification.
pub async fn replace_person(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: PersonId,
    input: PersonInput,
) -> Result<Person, Error> {
    permit(caller, UseCase::ChangeRegister)?;
    let draft = input.validate(org.region).map_err(Error::Invalid)?;
    Ok(app
        .store
        .replace_person(&caller.actor(), org.id, id, draft)
        .await?)
}

pub async fn create_group(
    app: &App,
    caller: &Caller,
    org: &Org,
    new: NewGroup,
) -> Result<Group, Error> {
    permit(caller, UseCase::ChangeRegister)?;
    Ok(app.store.create_group(&caller.actor(), org.id, new).await?)
}

/// Makes the group's members exactly `members`.
pub async fn set_group_members(
    app: &App,
    caller: &Caller,
    org: &Org,
    group: GroupId,
    members: Vec<PersonId>,
) -> Result<Group, Error> {
    permit(caller, UseCase::ChangeRegister)?;
    Ok(app
        .store
        .set_group_members(&caller.actor(), org.id, group, members)
        .await?)
}

pub async fn create_position(
    app: &App,
    caller: &Caller,
    org: &Org,
    new: NewPosition,
) -> Result<Position, Error> {
    permit(caller, UseCase::ChangeRegister)?;
    Ok(app
        .store
        .create_position(&caller.actor(), org.id, new)
        .await?)
}

/// The holder first, then the deputies in the order they step in.
pub async fn set_position_holders(
    app: &App,
    caller: &Caller,
    org: &Org,
    position: PositionId,
    holders: Vec<PersonId>,
) -> Result<Position, Error> {
    permit(caller, UseCase::ChangeRegister)?;
    Ok(app
        .store
        .set_position_holders(&caller.actor(), org.id, position, holders)
        .await?)
}

/// Applies parsed import rows in one transaction, matching people by external id; with
/// `dry_run` nothing changes and the report says what would have.
pub async fn import_people(
    app: &App,
    caller: &Caller,
    org: &Org,
    rows: Vec<ImportRow>,
    dry_run: bool,
) -> Result<ImportReport, Error> {
    permit(caller, UseCase::ChangeRegister)?;
    Ok(app
        .store
        .import_people(&caller.actor(), org.id, rows, dry_run)
        .await?)
}

/// This device, for alerts by push: a browser's push subscription kept as the person's own
/// contact point, confirmed (the device itself asked), first in their order so an alert
/// reaches the phone before it costs an SMS. The same browser subscribing again replaces
/// its old subscription.
pub async fn add_push_device(
    app: &App,
    caller: &Caller,
    org: &Org,
    subscription: &str,
) -> Result<(), Error> {
    let me = crate::conversation::person(caller, UseCase::AddPushDevice)?;
    let value = beredskap_core::register::parse_push_target(subscription)
        .map_err(|e| Error::Invalid(beredskap_core::FieldErrors::single("subscription", e)))?;
    let person = app
        .store
        .person(org.id, me.person_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let endpoint_of = |v: &str| {
        serde_json::from_str::<serde_json::Value>(v)
            .ok()
            .and_then(|j| j["endpoint"].as_str().map(str::to_owned))
    };
    let endpoint = endpoint_of(&value);
    let mut points: Vec<ContactPoint> = person
        .contact_points
        .into_iter()
        .filter(|p| {
            !(p.kind == ContactKind::Push
                && (p.value == value || (endpoint.is_some() && endpoint_of(&p.value) == endpoint)))
        })
        .collect();
    points.insert(
        0,
        ContactPoint {
            kind: ContactKind::Push,
            label: ContactLabel::Work,
            value,
            verified: true,
        },
    );
    let draft = PersonDraft {
        external_id: person.external_id,
        name: person.name,
        title: person.title,
        active: person.active,
        contact_points: points,
    };
    app.store
        .replace_person(&caller.actor(), org.id, person.id, draft)
        .await?;
    Ok(())
}
