//! Incidents: activating a plan, working its checklist, handing over its roles, ending
//! it. Activation writes everything in one transaction — the incident, its channel, the
//! plan's alarm with every delivery planned, the checklist and the first lead — so a
//! failure leaves nothing behind, then wakes the delivery worker.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::alerting::{AlertInput, Recipients, Severity};
use beredskap_core::continuity::incidents::{
    checklist, Handover, Incident, IncidentTask, NewIncident, Role, RoleHolder, TaskChange, Via,
};
use beredskap_core::conversation::{ChannelKind, NewChannel};
use beredskap_core::register::{Account, Org};
use beredskap_core::rotation::holders_at;
use beredskap_core::{AccountId, IncidentId, PersonId, PlanId, Problem, StoreError, TaskId};
use std::collections::HashMap;

/// What the activator chooses.
#[derive(Debug, Clone)]
pub struct Activation {
    pub plan: PlanId,
    pub severity: Severity,
    pub exercise: bool,
    pub via: Via,
    /// For an operator at the command line: the account the incident is opened for (its
    /// channel's creator and the incident's first lead). An account caller is itself.
    pub on_behalf_of: Option<AccountId>,
}

/// Activates a plan: see the module's documentation.
pub async fn activate(
    app: &App,
    caller: &Caller,
    org: &Org,
    activation: Activation,
) -> Result<Incident, Error> {
    permit(caller, UseCase::ActivatePlans)?;
    let store = app.store();
    let activator: Account = match (caller.account(), activation.on_behalf_of) {
        (Some(account), _) => account.clone(),
        (None, Some(id)) => store
            .list_accounts(org.id)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                Error::Invalid(beredskap_core::FieldErrors::single(
                    "as",
                    Problem::UnknownAccount,
                ))
            })?,
        (None, None) => {
            return Err(Error::Invalid(beredskap_core::FieldErrors::single(
                "as",
                Problem::Missing,
            )))
        }
    };
    let plan = store.plan(org.id, activation.plan).await?;
    let doc = &plan.document;
    let now = app.clock.now();
    // Who is on call for each position now, and the positions and groups by slug.
    let positions = store.list_positions(org.id).await?;
    let mut on_call: HashMap<String, (String, Option<PersonId>)> = HashMap::new();
    let mut position_people: HashMap<String, Vec<PersonId>> = HashMap::new();
    for position in &positions {
        let rotation = store.rotation(org.id, position.id).await?;
        let overrides = store.overrides(org.id, position.id).await?;
        let holders = holders_at(position, rotation.as_ref(), &overrides, now);
        on_call.insert(
            position.slug.to_string(),
            (position.name.clone(), holders.first().copied()),
        );
        position_people.insert(position.slug.to_string(), holders);
    }
    let groups = store.list_groups(org.id).await?;
    let tasks = checklist(doc, activation.severity, now, |slug| {
        match on_call.get(slug) {
            Some((name, person)) => (Some(name.clone()), *person),
            None => (None, None),
        }
    });
    let alarm_positions: Vec<_> = positions
        .iter()
        .filter(|p| doc.alarm.positions.contains(&p.slug.to_string()))
        .collect();
    let alarm_groups: Vec<_> = groups
        .iter()
        .filter(|g| doc.alarm.groups.contains(&g.slug.to_string()))
        .collect();
    let alert = match alarm_positions.is_empty() && alarm_groups.is_empty() {
        true => None,
        false => {
            let input = AlertInput {
                message: doc.alarm.message.clone(),
                severity: activation.severity,
                recipients: Recipients {
                    people: Vec::new(),
                    groups: alarm_groups.iter().map(|g| g.id).collect(),
                    positions: alarm_positions.iter().map(|p| p.id).collect(),
                    deputies: false,
                },
                options: Vec::new(),
                exercise: activation.exercise,
                step_minutes: 5,
                repeats: 2,
                repeat_minutes: 15,
                escalation: None,
            };
            Some(input.validate(Some(activator.id)).map_err(Error::Invalid)?)
        }
    };
    // The channel is for everyone the plan involves: the activator, everyone alarmed and
    // everyone with a task, as far as they have accounts.
    let mut people: Vec<PersonId> = vec![activator.person_id];
    for p in &alarm_positions {
        people.extend(
            position_people
                .get(&p.slug.to_string())
                .into_iter()
                .flatten(),
        );
    }
    for g in &alarm_groups {
        people.extend(g.members.iter().copied());
    }
    people.extend(tasks.iter().filter_map(|t| t.assignee));
    let accounts = store.list_accounts(org.id).await?;
    let members: Vec<AccountId> = accounts
        .iter()
        .filter(|a| a.id != activator.id && people.contains(&a.person_id))
        .map(|a| a.id)
        .collect();
    let stamp = org.zone().local(now).format("%Y-%m-%d %H:%M");
    let mut name = format!("{} {stamp}", doc.title);
    if activation.exercise {
        name = crate::messages::exercise(org, name);
    }
    let name: String = name.chars().take(200).collect();
    let classification = org
        .classifications
        .get(1)
        .or_else(|| org.classifications.first())
        .cloned()
        .unwrap_or_default();
    let channel = NewChannel {
        kind: ChannelKind::Incident,
        name,
        classification,
        group_id: None,
        members,
    }
    .validate(&org.classifications)
    .map_err(Error::Invalid)?;
    let new = NewIncident {
        title: doc.title.clone(),
        plan: Some((plan.id, plan.version)),
        severity: activation.severity,
        exercise: activation.exercise,
        via: activation.via,
        opened_by: Some(activator.person_id),
        channel,
        creator: activator.id,
        alert,
        tasks,
        lead: Some(activator.person_id),
    };
    let incident = app
        .store
        .open_incident(&caller.actor(), org.id, new, now)
        .await?;
    app.wake.deliveries_due();
    app.wake.published(org.id).await;
    Ok(incident)
}

/// An incident with its checklist, its roles and the names of the people in them.
#[derive(Debug, Clone)]
pub struct IncidentSheet {
    pub incident: Incident,
    pub tasks: Vec<IncidentTask>,
    pub roles: Vec<RoleHolder>,
    pub names: HashMap<PersonId, String>,
}

impl IncidentSheet {
    /// Who holds `role` now.
    pub fn holder(&self, role: Role) -> Option<PersonId> {
        self.roles
            .iter()
            .find(|r| r.role == role && r.until.is_none())
            .map(|r| r.person)
    }
}

pub async fn incidents(
    app: &App,
    caller: &Caller,
    org: &Org,
    closed: bool,
) -> Result<Vec<Incident>, Error> {
    permit(caller, UseCase::ReadIncidents)?;
    Ok(app.store.incidents(org.id, closed).await?)
}

pub async fn sheet(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: IncidentId,
) -> Result<IncidentSheet, Error> {
    permit(caller, UseCase::ReadIncidents)?;
    let store = app.store();
    Ok(IncidentSheet {
        incident: store.incident(org.id, id).await?,
        tasks: store.incident_tasks(org.id, id).await?,
        roles: store.incident_roles(org.id, id).await?,
        names: crate::alerts::names(store, org.id).await?,
    })
}

/// Ticks a task off, or back on.
pub async fn set_task(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    task: TaskId,
    done: bool,
) -> Result<IncidentTask, Error> {
    permit(caller, UseCase::WorkIncidents)?;
    let by = caller.account().map(|a| a.person_id);
    let change = TaskChange { task, done };
    let task = app
        .store
        .set_task_done(
            &caller.actor(),
            org.id,
            incident,
            change,
            by,
            app.clock.now(),
        )
        .await?;
    app.wake.published(org.id).await;
    Ok(task)
}

/// Hands a role of the incident to a person of the organisation.
pub async fn hand_over(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    role: Role,
    to: PersonId,
) -> Result<RoleHolder, Error> {
    permit(caller, UseCase::LeadIncidents)?;
    let by = caller.account().map(|a| a.person_id);
    let holder = app
        .store
        .hand_over_role(
            &caller.actor(),
            org.id,
            incident,
            Handover { role, to },
            by,
            app.clock.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Invalid(_) => Error::Invalid(beredskap_core::FieldErrors::single(
                "person",
                Problem::UnknownPerson,
            )),
            other => Error::Store(other),
        })?;
    app.wake.published(org.id).await;
    Ok(holder)
}

/// Ends an incident.
pub async fn close(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
) -> Result<Incident, Error> {
    permit(caller, UseCase::LeadIncidents)?;
    let by = caller.account().map(|a| a.person_id);
    let closed = app
        .store
        .close_incident(&caller.actor(), org.id, incident, by, app.clock.now())
        .await?;
    app.wake.published(org.id).await;
    Ok(closed)
}
