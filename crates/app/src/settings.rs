//! What an administrator decides for the organisation: how people sign in, its time zone
//! and language, its own SMS number, the classification labels channels carry.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::register::{NewOrg, Org, OrgSettings};
use beredskap_core::{FieldErrors, PhoneNumber, Problem};

/// A new organisation on this server: for its operator, never an organisation's account.
pub async fn create_org(app: &App, caller: &Caller, new: NewOrg) -> Result<Org, Error> {
    permit(caller, UseCase::CreateOrg)?;
    Ok(app.store.create_org(&caller.actor(), new).await?)
}

/// The organisations the caller may see: an account its own, the operator every one.
pub async fn orgs(app: &App, caller: &Caller) -> Result<Vec<Org>, Error> {
    if let Caller::Account(account) = caller {
        let all = app.store.list_orgs().await?;
        return Ok(all.into_iter().filter(|o| o.id == account.org_id).collect());
    }
    permit(caller, UseCase::CreateOrg)?;
    Ok(app.store.list_orgs().await?)
}

/// Sign-in rules, time zone and language. A language must be one of the catalogue's.
pub async fn update(
    app: &App,
    caller: &Caller,
    org: &Org,
    settings: OrgSettings,
) -> Result<Org, Error> {
    permit(caller, UseCase::ChangeOrgSettings)?;
    if let Some(code) = &settings.language {
        language_of_the_catalogue(code)?;
    }
    Ok(app
        .store
        .update_org_settings(&caller.actor(), org.id, settings)
        .await?)
}

/// Refuses a code that is not one of the catalogue's languages exactly (`nb`, not `no`):
/// what is stored is what the pages and messages look up.
pub(crate) fn language_of_the_catalogue(code: &str) -> Result<(), Error> {
    match beredskap_i18n::Lang::parse(code).is_some_and(|l| l.code() == code) {
        true => Ok(()),
        false => Err(Error::Invalid(FieldErrors::single(
            "language",
            Problem::NotALanguage,
        ))),
    }
}

/// The organisation's own SMS number (its SMS come from it and replies to it answer only
/// its alerts); none shares the server's sender.
pub async fn set_sms_number(
    app: &App,
    caller: &Caller,
    org: &Org,
    number: Option<PhoneNumber>,
) -> Result<Org, Error> {
    permit(caller, UseCase::ChangeOrgSettings)?;
    Ok(app
        .store
        .set_org_sms_number(&caller.actor(), org.id, number)
        .await?)
}

/// The classification labels channels can carry, least restricted first.
pub async fn set_classifications(
    app: &App,
    caller: &Caller,
    org: &Org,
    labels: Vec<String>,
) -> Result<Org, Error> {
    permit(caller, UseCase::ChangeOrgSettings)?;
    Ok(app
        .store
        .set_classifications(&caller.actor(), org.id, labels)
        .await?)
}
