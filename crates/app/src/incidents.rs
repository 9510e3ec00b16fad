//! Incidents: activating a plan, working its checklist, handing over its roles, ending
//! it. Activation writes everything in one transaction — the incident, its channel, the
//! plan's alarm with every delivery planned, the checklist and the first lead — so a
//! failure leaves nothing behind, then wakes the delivery worker.

use crate::policy::{allows, permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::alerting::{AlertInput, Recipients, Severity};
use beredskap_core::continuity::incidents::{
    checklist, Handover, Incident, IncidentTask, NewIncident, Role, RoleHolder, TaskChange, Via,
};
use beredskap_core::conversation::{ChannelKind, NewChannel};
use beredskap_core::register::{Account, Org};
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
        let holders = crate::rotations::holders_now(app, org, position, now).await?;
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
        report_every_minutes: Some(beredskap_core::continuity::log::DEFAULT_REPORT_MINUTES),
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
    /// The alarm's progress: how many answered, of how many, and how many could not be
    /// reached.
    pub alarm: Option<AlarmCounts>,
    /// The guests invited to it, in the order they were invited.
    pub guests: Vec<Account>,
    /// The guests' accounts the caller could invite (none unless the caller may lead).
    pub invitable: Vec<Account>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlarmCounts {
    pub answered: u32,
    pub recipients: u32,
    pub unreachable: u32,
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

/// A guest reads only the incidents they are invited to (any other is not found);
/// everyone else who may read incidents reads them all.
pub async fn readable(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: &Incident,
) -> Result<(), Error> {
    match caller.account() {
        Some(a) if a.role == beredskap_core::register::Role::Guest => {
            match app
                .store
                .incident_guests(org.id, incident.id)
                .await?
                .contains(&a.id)
            {
                true => Ok(()),
                false => Err(Error::Store(StoreError::NotFound)),
            }
        }
        _ => Ok(()),
    }
}

pub async fn incidents(
    app: &App,
    caller: &Caller,
    org: &Org,
    closed: bool,
) -> Result<Vec<Incident>, Error> {
    permit(caller, UseCase::ReadIncidents)?;
    let mut shown = Vec::new();
    for incident in app.store.incidents(org.id, closed).await? {
        if readable(app, caller, org, &incident).await.is_ok() {
            shown.push(incident);
        }
    }
    Ok(shown)
}

pub async fn sheet(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: IncidentId,
) -> Result<IncidentSheet, Error> {
    permit(caller, UseCase::ReadIncidents)?;
    let store = app.store();
    let incident = store.incident(org.id, id).await?;
    readable(app, caller, org, &incident).await?;
    let guest_ids = store.incident_guests(org.id, id).await?;
    let accounts = match guest_ids.is_empty() && !allows(caller, UseCase::LeadIncidents) {
        true => Vec::new(),
        false => store.list_accounts(org.id).await?,
    };
    let guests: Vec<Account> = guest_ids
        .iter()
        .filter_map(|g| accounts.iter().find(|a| a.id == *g).cloned())
        .collect();
    let invitable: Vec<Account> = match allows(caller, UseCase::LeadIncidents) && incident.is_open()
    {
        true => accounts
            .iter()
            .filter(|a| a.role == beredskap_core::register::Role::Guest)
            .filter(|a| !guest_ids.contains(&a.id))
            .cloned()
            .collect(),
        false => Vec::new(),
    };
    let alarm = match incident.alert_id {
        Some(alert) => {
            let roster = store.alert_roster(org.id, alert).await?;
            let count = |f: &dyn Fn(&beredskap_core::alerting::RosterEntry) -> bool| {
                u32::try_from(roster.iter().filter(|e| f(e)).count()).unwrap_or(u32::MAX)
            };
            Some(AlarmCounts {
                answered: count(&|e| e.answered_at.is_some()),
                recipients: count(&|_| true),
                unreachable: count(&|e| e.deliveries.is_empty()),
            })
        }
        None => None,
    };
    Ok(IncidentSheet {
        tasks: store.incident_tasks(org.id, id).await?,
        roles: store.incident_roles(org.id, id).await?,
        names: crate::alerts::names(store, org.id).await?,
        incident,
        alarm,
        guests,
        invitable,
    })
}

/// The incident whose alarm `alert` is, if any.
pub async fn for_alert(
    app: &App,
    caller: &Caller,
    org: &Org,
    alert: beredskap_core::AlertId,
) -> Result<Option<Incident>, Error> {
    Ok(incidents(app, caller, org, true)
        .await?
        .into_iter()
        .find(|i| i.alert_id == Some(alert)))
}

/// Takes a guest off the incident and out of its channel.
pub async fn remove_guest(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    account: AccountId,
) -> Result<(), Error> {
    permit(caller, UseCase::LeadIncidents)?;
    let by = caller.account().map(|a| a.person_id);
    app.store
        .remove_guest(&caller.actor(), org.id, incident, account, by)
        .await?;
    app.wake.published(org.id).await;
    Ok(())
}

/// Invites a guest's account to the incident: they see it, its log and its channel.
pub async fn invite_guest(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: IncidentId,
    account: AccountId,
) -> Result<(), Error> {
    permit(caller, UseCase::LeadIncidents)?;
    let by = caller.account().map(|a| a.person_id);
    app.store
        .invite_guest(
            &caller.actor(),
            org.id,
            incident,
            account,
            by,
            app.clock.now(),
        )
        .await?;
    app.wake.published(org.id).await;
    Ok(())
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

// ------------------------------------------------------------------ by SMS

/// The first word of an activation by SMS, in every language the pages speak.
const ACTIVATE_WORDS: [&str; 4] = ["AKTIVERA", "AKTIVER", "AKTIVÉR", "ACTIVATE"];
/// The word that makes it an exercise.
const EXERCISE_WORDS: [&str; 5] = ["ÖVNING", "OVNING", "ØVELSE", "OVELSE", "EXERCISE"];

/// `AKTIVERA [ÖVNING] <plan> <PIN>`, read from an SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCommand {
    pub exercise: bool,
    pub slug: String,
    pub pin: String,
}

/// Reads an activation from an SMS; `None` when the text is not one (a reply to an alert).
pub fn parse_sms_command(text: &str) -> Option<SmsCommand> {
    let mut words = text.split_whitespace();
    let first = words.next()?.to_uppercase();
    if !ACTIVATE_WORDS.contains(&first.as_str()) {
        return None;
    }
    let mut rest: Vec<&str> = words.collect();
    let exercise = rest
        .first()
        .is_some_and(|w| EXERCISE_WORDS.contains(&w.to_uppercase().as_str()));
    if exercise {
        rest.remove(0);
    }
    Some(SmsCommand {
        exercise,
        slug: rest.first().map(|s| s.to_lowercase()).unwrap_or_default(),
        pin: rest.get(1).map(|s| (*s).to_owned()).unwrap_or_default(),
    })
}

/// What an SMS to the organisation's number led to.
#[derive(Debug)]
pub enum SmsActivation {
    /// Not an activation: read it as a reply to an alert.
    NotACommand,
    /// Nothing activated; the answer to send, in the organisation's language, and the
    /// number to send it from.
    Refused {
        answer: String,
        from: Option<String>,
    },
    Activated {
        incident: Incident,
        answer: String,
        from: Option<String>,
    },
}

/// Activates a plan from an SMS Beredskap has verified came through its gateway: from a
/// crisis lead's or administrator's own confirmed mobile number, with the PIN they set.
/// Every attempt from a number counts against it until one succeeds, so a PIN cannot be
/// guessed; a refusal never says which part was wrong, and is journaled.
pub async fn activate_by_sms(
    app: &App,
    caller: &Caller,
    hashing: &crate::credentials::hashing::HashingPool,
    sms: SmsInput<'_>,
) -> Result<SmsActivation, Error> {
    if !matches!(caller, Caller::System) {
        return Err(Error::Refused {
            use_case: UseCase::ActivatePlans,
            least: UseCase::ActivatePlans.least(),
        });
    }
    let Some(command) = parse_sms_command(sms.text) else {
        return Ok(SmsActivation::NotACommand);
    };
    let store = app.store();
    // The organisations the number texted belongs to: the one whose own number it is, or
    // those sharing the server's.
    let orgs = store.list_orgs().await?;
    let own: Vec<Org> = orgs
        .iter()
        .filter(|o| sms.to.is_some() && o.sms_number.as_deref() == sms.to)
        .cloned()
        .collect();
    let orgs: Vec<Org> = match own.is_empty() {
        false => own,
        true => orgs
            .into_iter()
            .filter(|o| o.sms_number.is_none())
            .collect(),
    };
    let Some(first) = orgs.first().cloned() else {
        return Ok(SmsActivation::NotACommand);
    };
    let refused = |org: &Org| SmsActivation::Refused {
        answer: crate::messages::activation_refused(org),
        from: org.sms_number.clone(),
    };
    let now = app.clock.now();
    let key = format!("sms-activation:{}", sms.from);
    let reserved = match app
        .store
        .reserve_attempt(&[(key, beredskap_core::auth::ThrottlePolicy::ACCOUNT)], now)
        .await?
    {
        beredskap_core::auth::AttemptReservation::Granted(r) => r,
        beredskap_core::auth::AttemptReservation::Locked { until } => {
            let minutes = ((until - now).num_seconds() + 59) / 60;
            return Ok(SmsActivation::Refused {
                answer: crate::messages::activation_locked(&first, minutes.max(1)),
                from: first.sms_number.clone(),
            });
        }
    };
    // Who sent it: a crisis lead or administrator whose confirmed mobile number it is.
    for org in &orgs {
        let people = store.list_people(org.id).await?;
        let senders: Vec<PersonId> = people
            .iter()
            .filter(|p| {
                p.active
                    && p.contact_points.iter().any(|cp| {
                        cp.kind == beredskap_core::register::ContactKind::Sms
                            && cp.verified
                            && cp.value == sms.from
                    })
            })
            .map(|p| p.id)
            .collect();
        if senders.is_empty() {
            continue;
        }
        let Some(plan) = store
            .plan_by_slug(
                org.id,
                &match beredskap_core::Slug::parse(&command.slug) {
                    Ok(slug) => slug,
                    Err(_) => continue,
                },
            )
            .await?
        else {
            continue;
        };
        for account in store.list_accounts(org.id).await? {
            if !senders.contains(&account.person_id)
                || account.role < UseCase::ActivatePlans.least()
            {
                continue;
            }
            let Some(hash) = store.activation_pin(org.id, account.id).await? else {
                continue;
            };
            if !hashing.verify(command.pin.clone(), hash).await? {
                continue;
            }
            app.store.refund_attempt(&reserved).await?;
            let activation = Activation {
                plan: plan.id,
                severity: plan.document.alarm.severity,
                exercise: command.exercise,
                via: Via::Sms,
                on_behalf_of: None,
            };
            let incident = activate(app, &Caller::Account(account), org, activation).await?;
            let link = format!(
                "{}/incidents/{}",
                sms.site.trim_end_matches('/'),
                incident.id
            );
            let title = match incident.exercise {
                true => crate::messages::exercise(org, incident.title.clone()),
                false => incident.title.clone(),
            };
            return Ok(SmsActivation::Activated {
                answer: crate::messages::activation_done(org, &title, &link),
                from: org.sms_number.clone(),
                incident,
            });
        }
    }
    // Journaled where the number texted belongs, with the number masked.
    let masked: String = match sms.from.len() > 4 {
        true => format!("…{}", &sms.from[sms.from.len() - 4..]),
        false => "…".to_owned(),
    };
    store
        .append_journal(
            &caller.actor(),
            first.id,
            beredskap_core::NewJournalEntry::new(
                "incident.sms_activation_refused",
                format!("org:{}", first.id),
                serde_json::json!({ "from": masked, "plan": command.slug }),
            ),
        )
        .await?;
    Ok(refused(&first))
}

/// An SMS as the gateway brought it.
#[derive(Debug, Clone, Copy)]
pub struct SmsInput<'a> {
    pub from: &'a str,
    /// The number it was sent to, when the gateway says.
    pub to: Option<&'a str>,
    pub text: &'a str,
    /// The site's address, for the incident's link.
    pub site: &'a str,
}

/// Sets the caller's PIN for activating plans by SMS (6 to 12 digits), or removes it.
pub async fn set_activation_pin(
    app: &App,
    caller: &Caller,
    org: &Org,
    hashing: &crate::credentials::hashing::HashingPool,
    pin: Option<&str>,
) -> Result<(), Error> {
    permit(caller, UseCase::ActivatePlans)?;
    let Some(account) = caller.account() else {
        return Err(Error::Refused {
            use_case: UseCase::ActivatePlans,
            least: UseCase::ActivatePlans.least(),
        });
    };
    let hash = match pin.map(str::trim) {
        None => None,
        Some(pin) => {
            let digits = pin.chars().all(|c| c.is_ascii_digit());
            if !digits || !(6..=12).contains(&pin.len()) {
                return Err(Error::Invalid(beredskap_core::FieldErrors::single(
                    "pin",
                    Problem::PinDigits,
                )));
            }
            let hashed = hashing
                .hash_all(vec![pin.to_owned()])
                .await?
                .map_err(|e| Error::Internal(e.to_string()))?;
            hashed.into_iter().next()
        }
    };
    app.store
        .set_activation_pin(&caller.actor(), org.id, account.id, hash, app.clock.now())
        .await?;
    Ok(())
}

/// Whether the caller has set a PIN for activating plans by SMS.
pub async fn has_activation_pin(app: &App, caller: &Caller, org: &Org) -> Result<bool, Error> {
    permit(caller, UseCase::ActivatePlans)?;
    match caller.account() {
        Some(account) => Ok(app
            .store
            .activation_pin(org.id, account.id)
            .await?
            .is_some()),
        None => Ok(false),
    }
}
