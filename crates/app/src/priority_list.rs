//! The priority list of citizens with special needs, and its calls during an incident.
//!
//! Opening it takes two things: a role that may at all (a member or above, never a guest,
//! never the command line) and holding one of the positions the organisation has named
//! for it. Administrators name the positions and import the list without opening it; an
//! import shows how many, not who. The lead of an incident may start its calls without
//! opening the list either, and sees them counted; the holders of the named positions make
//! the calls and record what came of them. Every opening is journaled by the store in the
//! same transaction as the read.

use crate::policy::{allows, permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::continuity::priority::{
    parse_priority_csv, AccessInput, CallReportInput, CallsSummary, Citizen, PriorityCall,
    PriorityListInfo, RowProblem,
};
use beredskap_core::register::Org;
use beredskap_core::{CallId, EntryId, FieldErrors, IncidentId, Problem};
use chrono::{DateTime, Utc};

/// What the caller may do with the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Holds a named position: opens the list and makes the calls.
    pub opens: bool,
    /// Names the positions and imports the list (an administrator).
    pub keeps: bool,
}

/// Whether the caller holds one of the positions named in `info` (and may open the list
/// by role at all).
async fn holds_named_position(
    app: &App,
    caller: &Caller,
    org: &Org,
    info: &PriorityListInfo,
) -> Result<bool, Error> {
    let Some(account) = caller.account() else {
        return Ok(false);
    };
    if !allows(caller, UseCase::ReadPriorityList) || info.positions.is_empty() {
        return Ok(false);
    }
    let positions = app.store.list_positions(org.id).await?;
    Ok(positions
        .iter()
        .filter(|p| info.positions.contains(&p.id))
        .any(|p| p.holders.contains(&account.person_id)))
}

fn refused() -> Error {
    Error::Refused {
        use_case: UseCase::ReadPriorityList,
        least: UseCase::ReadPriorityList.least(),
    }
}

/// Refuses anyone who may not open the list: by the table's role, then by holding a
/// named position.
async fn require_named(app: &App, caller: &Caller, org: &Org) -> Result<(), Error> {
    permit(caller, UseCase::ReadPriorityList)?;
    let info = app.store.priority_list_info(org.id).await?;
    match holds_named_position(app, caller, org, &info).await? {
        true => Ok(()),
        false => Err(refused()),
    }
}

/// What the caller may do, with what anyone who may do anything sees: how many, since
/// when, the named positions. Refused for anyone who may do nothing with it.
pub async fn access(
    app: &App,
    caller: &Caller,
    org: &Org,
) -> Result<(PriorityListInfo, Access), Error> {
    let info = app.store.priority_list_info(org.id).await?;
    let access = Access {
        opens: holds_named_position(app, caller, org, &info).await?,
        keeps: allows(caller, UseCase::KeepPriorityList),
    };
    match access.opens || access.keeps {
        true => Ok((info, access)),
        false => Err(refused()),
    }
}

/// Whether the caller may open the list (for a link to it); never an error.
pub async fn may_open(app: &App, caller: &Caller, org: &Org) -> bool {
    matches!(access(app, caller, org).await, Ok((_, a)) if a.opens)
}

/// The list, for a holder of a named position; the opening is journaled. With `words`,
/// only the citizens matching every word (name, address, need, contact person, number).
pub async fn open(
    app: &App,
    caller: &Caller,
    org: &Org,
    words: Option<&str>,
) -> Result<Vec<Citizen>, Error> {
    require_named(app, caller, org).await?;
    let mut citizens = app
        .store
        .open_priority_list(&caller.actor(), org.id)
        .await?;
    if let Some(words) = words.map(str::trim).filter(|w| !w.is_empty()) {
        citizens.retain(|c| matches(c, words));
    }
    Ok(citizens)
}

fn matches(c: &Citizen, words: &str) -> bool {
    let text = [
        Some(c.name.as_str()),
        Some(c.address.as_str()),
        c.phone.as_deref(),
        Some(c.need.as_str()),
        c.contact_person.as_deref(),
    ]
    .iter()
    .flatten()
    .copied()
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase();
    words
        .split_whitespace()
        .all(|w| text.contains(&w.to_lowercase()))
}

/// Why an import was refused: every problem of the file by line and column, or the caller.
/// Nothing was applied.
#[derive(Debug, thiserror::Error)]
pub enum ImportRefused {
    #[error("{} problem(s) in the file", .0.len())]
    File(Vec<RowProblem>),
    #[error(transparent)]
    Use(#[from] Error),
}

/// Replaces the list with the file's, all or nothing: an administrator's or a named
/// holder's to do.
pub async fn import(
    app: &App,
    caller: &Caller,
    org: &Org,
    csv: &[u8],
) -> Result<PriorityListInfo, ImportRefused> {
    let info = app
        .store
        .priority_list_info(org.id)
        .await
        .map_err(Error::from)?;
    let may = allows(caller, UseCase::KeepPriorityList)
        || holds_named_position(app, caller, org, &info).await?;
    if !may {
        return Err(Error::Refused {
            use_case: UseCase::KeepPriorityList,
            least: UseCase::KeepPriorityList.least(),
        }
        .into());
    }
    let citizens = parse_priority_csv(csv, org.region).map_err(ImportRefused::File)?;
    let info = app
        .store
        .replace_priority_list(&caller.actor(), org.id, citizens, app.clock.now())
        .await
        .map_err(Error::from)?;
    Ok(info)
}

/// Names the positions whose holders open the list, and the days calls keep their details.
pub async fn set_access(
    app: &App,
    caller: &Caller,
    org: &Org,
    input: AccessInput,
) -> Result<PriorityListInfo, Error> {
    permit(caller, UseCase::KeepPriorityList)?;
    let access = input.validate().map_err(Error::Invalid)?;
    Ok(app
        .store
        .set_priority_list_access(&caller.actor(), org.id, access)
        .await?)
}

/// The incident's calls counted, for anyone who follows the incident.
pub async fn summary(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
) -> Result<CallsSummary, Error> {
    permit(caller, UseCase::ReadIncidents)?;
    let found = app.store.incident(org.id, incident).await?;
    crate::incidents::readable(app, caller, org, &found).await?;
    Ok(app.store.priority_calls_summary(org.id, incident).await?)
}

/// Makes the incident's calls from the list: for whoever leads incidents or holds a named
/// position. Once; asking again changes nothing. An empty list has nothing to call.
pub async fn start_calls(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
) -> Result<CallsSummary, Error> {
    let info = app.store.priority_list_info(org.id).await?;
    if !allows(caller, UseCase::LeadIncidents)
        && !holds_named_position(app, caller, org, &info).await?
    {
        permit(caller, UseCase::LeadIncidents)?;
    }
    if info.citizens == 0 {
        return Err(Error::Invalid(FieldErrors::single(
            "priority_list",
            Problem::Empty,
        )));
    }
    let by = caller.account().map(|a| a.person_id);
    let summary = app
        .store
        .start_priority_calls(&caller.actor(), org.id, incident, by, app.clock.now())
        .await?;
    app.wake.published(org.id).await;
    Ok(summary)
}

/// The incident's calls with each citizen's details, for a holder of a named position;
/// the opening is journaled.
pub async fn calls(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
) -> Result<Vec<PriorityCall>, Error> {
    require_named(app, caller, org).await?;
    Ok(app
        .store
        .open_priority_calls(&caller.actor(), org.id, incident)
        .await?)
}

/// Records what came of a call, for a holder of a named position.
pub async fn report_call(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    call: CallId,
    input: CallReportInput,
) -> Result<PriorityCall, Error> {
    permit(caller, UseCase::ReadPriorityList)?;
    permit(caller, UseCase::WorkIncidents)?;
    require_named(app, caller, org).await?;
    let report = input.validate(call).map_err(Error::Invalid)?;
    let by = caller.account().map(|a| a.person_id);
    let done = app
        .store
        .report_priority_call(
            &caller.actor(),
            org.id,
            incident,
            report,
            by,
            app.clock.now(),
        )
        .await?;
    app.wake.published(org.id).await;
    Ok(done)
}

/// Keeps the calls' details past the purge, by a decision in the incident's log.
pub async fn keep_calls(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    decision: EntryId,
) -> Result<CallsSummary, Error> {
    permit(caller, UseCase::LeadIncidents)?;
    Ok(app
        .store
        .keep_priority_calls(&caller.actor(), org.id, incident, decision)
        .await?)
}

/// Purges the details of ended incidents' calls whose days are over: Beredskap's own work
/// (a worker), or an operator's. How many incidents' calls were purged.
pub async fn purge_calls(app: &App, caller: &Caller, now: DateTime<Utc>) -> Result<usize, Error> {
    if !matches!(caller, Caller::System | Caller::Operator(_)) {
        return Err(Error::Refused {
            use_case: UseCase::KeepPriorityList,
            least: UseCase::KeepPriorityList.least(),
        });
    }
    Ok(app.store.purge_priority_calls(&caller.actor(), now).await?)
}
