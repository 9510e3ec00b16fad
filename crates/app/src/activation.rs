//! Bulk activation: an administrator sends enrolment links to everyone in a group, or the
//! whole register, who has not activated an account — by SMS, or to a private email
//! address, as the register holds them. First a preview says how many will get a link on
//! which channel and who cannot be reached and why; starting makes the accounts and queues
//! the links; the delivery worker hands them over ([`send_one`]) and the batch's page
//! shows progress and who has activated.
//!
//! Unlike a single account's link, which goes only to an address the administrator typed
//! (and so vouched for), these go to the register's addresses: the organisation's own
//! import is what vouches for them. A wrong number there gets a stranger a link that still
//! asks them to choose a password and a second factor, and the administrator sees on the
//! batch's page who activated.

use crate::accounts::LinkSettings;
use crate::policy::{permit, Caller, UseCase};
use crate::sign_in::{Courier, NotSent};
use crate::{App, Error};
use beredskap_core::activation::{
    ActivationBatch, ActivationBatchId, ActivationSend, NewActivation, PlannedSend, SendPlan,
    SendStatus, Unreachable,
};
use beredskap_core::alerting::DeliveryOutcome;
use beredskap_core::register::{ContactKind, ContactLabel, Org, Person, Role};
use beredskap_core::{Actor, EmailAddress, GroupId, PersonId, Store};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// Who a batch is for, and what it would do, before it is started.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    /// People who would get a link, by channel.
    pub by_sms: u32,
    pub by_email: u32,
    /// People nothing can be sent to, by name, with the reason.
    pub unreachable: Vec<(String, Unreachable)>,
    /// People in scope who have activated an account already (nothing is sent to them).
    pub already_active: u32,
    /// People in scope whose link from an earlier batch is still waiting to be sent.
    pub on_the_way: u32,
    planned: Vec<PlannedSend>,
}

impl Preview {
    pub fn links(&self) -> u32 {
        self.by_sms + self.by_email
    }
}

/// The address a link goes to: a mobile number first (what people carry when the
/// organisation's IT is down), else a private email address; only kinds a configured
/// provider sends to.
fn link_address(
    person: &Person,
    courier: &dyn Courier,
) -> Result<(ContactKind, String), Unreachable> {
    let candidates: Vec<_> = person
        .contact_points
        .iter()
        .filter(|cp| {
            cp.kind == ContactKind::Sms
                || (cp.kind == ContactKind::Email && cp.label == ContactLabel::Private)
        })
        .collect();
    if candidates.is_empty() {
        return Err(Unreachable::NoAddress);
    }
    [ContactKind::Sms, ContactKind::Email]
        .into_iter()
        .filter(|kind| courier.reaches(*kind))
        .find_map(|kind| candidates.iter().find(|cp| cp.kind == kind))
        .map(|cp| (cp.kind, cp.value.clone()))
        .ok_or(Unreachable::NoProvider)
}

/// The address to sign in with: the work email, else a private one.
fn login_of(person: &Person) -> Option<EmailAddress> {
    let emails = || {
        person
            .contact_points
            .iter()
            .filter(|cp| cp.kind == ContactKind::Email)
    };
    emails()
        .find(|cp| cp.label == ContactLabel::Work)
        .or_else(|| emails().next())
        .and_then(|cp| EmailAddress::parse(&cp.value).ok())
}

/// What starting a batch for `group` (none: the whole register) would do now.
pub async fn preview(
    app: &App,
    caller: &Caller,
    courier: &dyn Courier,
    org: &Org,
    group: Option<GroupId>,
) -> Result<Preview, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let store = app.store();
    let in_scope: Option<HashSet<PersonId>> = match group {
        None => None,
        Some(id) => Some(
            store
                .list_groups(org.id)
                .await?
                .into_iter()
                .find(|g| g.id == id)
                .ok_or_else(|| {
                    Error::Invalid(beredskap_core::FieldErrors::single(
                        "group",
                        beredskap_core::Problem::UnknownGroup,
                    ))
                })?
                .members
                .into_iter()
                .collect(),
        ),
    };
    let mut accounts: HashMap<PersonId, beredskap_core::AccountId> = HashMap::new();
    for account in store.list_accounts(org.id).await? {
        accounts.insert(account.person_id, account.id);
    }
    let waiting: HashSet<PersonId> = store
        .waiting_activations(org.id)
        .await?
        .into_iter()
        .collect();
    let mut preview = Preview::default();
    for person in store.list_people(org.id).await? {
        if !person.active || in_scope.as_ref().is_some_and(|s| !s.contains(&person.id)) {
            continue;
        }
        if waiting.contains(&person.id) {
            preview.on_the_way += 1;
            continue;
        }
        if let Some(account) = accounts.get(&person.id) {
            let credentials = store.credentials(org.id, *account).await?;
            if credentials.password_hash.is_some() {
                preview.already_active += 1;
                continue;
            }
        }
        let plan = match (link_address(&person, courier), login_of(&person)) {
            (Err(why), _) => SendPlan::Unreachable(why),
            (Ok(_), None) if !accounts.contains_key(&person.id) => {
                SendPlan::Unreachable(Unreachable::NoLogin)
            }
            (Ok((channel, address)), login) => SendPlan::Send {
                login,
                channel,
                address,
            },
        };
        match &plan {
            SendPlan::Unreachable(why) => preview.unreachable.push((person.name.clone(), *why)),
            SendPlan::Send { channel, .. } if *channel == ContactKind::Sms => preview.by_sms += 1,
            SendPlan::Send { .. } => preview.by_email += 1,
        }
        preview.planned.push(PlannedSend {
            person_id: person.id,
            plan,
        });
    }
    preview
        .unreachable
        .sort_by_key(|(name, _)| name.to_lowercase());
    Ok(preview)
}

/// Starts a batch as [`preview`] plans it now: accounts (members) for those without, and
/// their links queued for the delivery worker. Refused with `Invalid` on `group` when it
/// would send no link.
pub async fn start(
    app: &App,
    caller: &Caller,
    courier: &dyn Courier,
    org: &Org,
    group: Option<GroupId>,
) -> Result<ActivationBatch, Error> {
    let preview = preview(app, caller, courier, org, group).await?;
    if preview.links() == 0 {
        return Err(Error::Invalid(beredskap_core::FieldErrors::single(
            "group",
            beredskap_core::Problem::NoAudience,
        )));
    }
    let batch = app
        .store
        .start_activation(
            &caller.actor(),
            org.id,
            NewActivation {
                group,
                role: Role::Member,
                started_by: caller.account().map(|a| a.person_id),
                planned: preview.planned,
            },
            app.clock.now(),
        )
        .await?;
    app.wake.deliveries_due();
    Ok(batch)
}

/// The organisation's batches, newest first (administrators).
pub async fn batches(app: &App, caller: &Caller, org: &Org) -> Result<Vec<ActivationBatch>, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    Ok(app.store.activation_batches(org.id).await?)
}

/// One batch's line for each person, with their name and how far it has come.
#[derive(Debug, Clone)]
pub struct Progress {
    pub batch: ActivationBatch,
    /// The group's name; none for the whole register.
    pub group_name: Option<String>,
    pub sends: Vec<(String, ActivationSend)>,
}

impl Progress {
    pub fn count(&self, wanted: fn(&SendStatus) -> bool) -> usize {
        self.sends.iter().filter(|(_, s)| wanted(&s.status)).count()
    }

    pub fn activated(&self) -> usize {
        self.sends.iter().filter(|(_, s)| s.activated).count()
    }
}

pub async fn progress(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: ActivationBatchId,
) -> Result<Progress, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let (batch, sends) = app.store.activation_batch(org.id, id).await?;
    let names = crate::alerts::names(app.store(), org.id).await?;
    let group_name = match batch.group_id {
        None => None,
        Some(group) => app
            .store
            .list_groups(org.id)
            .await?
            .into_iter()
            .find(|g| g.id == group)
            .map(|g| g.name),
    };
    let mut sends: Vec<(String, ActivationSend)> = sends
        .into_iter()
        .map(|s| (names.get(&s.person_id).cloned().unwrap_or_default(), s))
        .collect();
    sends.sort_by_key(|(name, _)| name.to_lowercase());
    Ok(Progress {
        batch,
        group_name,
        sends,
    })
}

/// Hands one claimed link over (the delivery worker's part): a new one-time enrolment
/// secret for the account, valid as `settings` say, in the organisation's language, to
/// the address the batch chose.
pub async fn send_one(
    store: &dyn Store,
    courier: &dyn Courier,
    org: &Org,
    send: &ActivationSend,
    settings: &LinkSettings<'_>,
    now: DateTime<Utc>,
) -> DeliveryOutcome {
    let failed = |error: String| DeliveryOutcome::Failed { error };
    let (Some(account_id), Some(channel), Some(address)) =
        (send.account_id, send.channel, send.address.as_deref())
    else {
        return failed("nothing to send to".into());
    };
    if !courier.reaches(channel) {
        return failed(format!("no provider for {}", channel.as_str()));
    }
    let person = match store.person(org.id, send.person_id).await {
        Ok(Some(person)) => person,
        Ok(None) => return failed("person removed".into()),
        Err(e) => return retry(now, send, e.to_string()),
    };
    let link = match crate::accounts::make_enrolment(
        store,
        &Actor::system(),
        org,
        account_id,
        settings,
        now,
    )
    .await
    {
        Ok(link) => link,
        Err(e) => return retry(now, send, e.to_string()),
    };
    let posted = crate::accounts::post_enrolment_link(
        courier,
        org,
        &person.name,
        channel,
        address,
        &link,
        settings.hours,
    )
    .await;
    match posted {
        Ok(provider) => {
            let mut entry = crate::accounts::enrolment_sent(account_id, channel, address, provider);
            entry.payload["activation"] = serde_json::json!(send.batch_id);
            if let Err(e) = store.append_journal(&Actor::system(), org.id, entry).await {
                tracing::warn!(error = %e, "the journal did not take an activation link's sending");
            }
            DeliveryOutcome::Sent {
                provider: provider.to_owned(),
                provider_ref: String::new(),
            }
        }
        Err(NotSent::Rejected(detail)) => failed(detail),
        Err(NotSent::Unavailable(reason)) => retry(now, send, reason),
    }
}

/// Tries again later, a little later each time; gives up after a day's worth of tries.
fn retry(now: DateTime<Utc>, send: &ActivationSend, error: String) -> DeliveryOutcome {
    const MOST_ATTEMPTS: i32 = 8;
    if send.attempts >= MOST_ATTEMPTS {
        return DeliveryOutcome::Failed { error };
    }
    let wait = 30i64 << send.attempts.clamp(0, 10);
    DeliveryOutcome::Retry {
        at: now + chrono::Duration::seconds(wait),
        error,
    }
}
