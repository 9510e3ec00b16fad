//! The public status page: what anyone may read without signing in — the organisation's
//! ways to get in touch when its own channels are down, and its services with their state
//! (the name and the state only: the impact and workaround on the overview are written for
//! staff) — and the crisis leads' use case that keeps those ways.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::continuity::notices::{
    Kind, NewNotice, Notice, UpdateInput, SHOWN_AFTER_END_DAYS,
};
use beredskap_core::continuity::press::{PressRelease, PressReleaseInput};
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
    /// The newest [`beredskap_core::continuity::press::SHOWN`], newest first.
    pub press_releases: Vec<PressRelease>,
    /// When a service's public state last changed, if one has.
    pub changed_at: Option<DateTime<Utc>>,
    /// When what is shown would change by time alone (an ended notice leaving the page).
    pub changes_by_itself_at: Option<DateTime<Utc>>,
    /// When this was read.
    pub read_at: DateTime<Utc>,
}

/// The organisation with the slug, for a public page; `NotFound` for a slug no
/// organisation has (or one that is not a slug).
pub async fn public_org(app: &App, slug: &str) -> Result<Org, Error> {
    let slug = Slug::parse(slug).map_err(|_| Error::Store(StoreError::NotFound))?;
    app.store
        .org_by_slug(&slug)
        .await?
        .ok_or(Error::Store(StoreError::NotFound))
}

/// The page of the organisation with the slug, for anyone: no caller, nothing private.
/// `NotFound` for a slug no organisation has (or one that is not a slug).
pub async fn public_status(app: &App, slug: &str) -> Result<PublicStatus, Error> {
    let org = public_org(app, slug).await?;
    let services = app.store.services(org.id).await?;
    let contacts = app.store.public_contacts(org.id).await?;
    let now = app.clock.now();
    let shown_after_end = Duration::days(SHOWN_AFTER_END_DAYS);
    let notices = app.store.notices(org.id, now - shown_after_end).await?;
    let press_releases = app
        .store
        .press_releases(org.id, beredskap_core::continuity::press::SHOWN)
        .await?;
    Ok(PublicStatus {
        press_releases,
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
    // Its subscribers' messages were queued with it.
    app.wake.deliveries_due();
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
    app.wake.deliveries_due();
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

/// A press release written from the template in `lang`, for the communicator to edit:
/// the organisation and the date, what the incident's latest notice says (without an
/// incident, the newest open real disruption's; or a line asking for it), the services it
/// is about (or those disrupted now, as the public sees them without an incident), the ways
/// to reach the organisation, where to read more (`status_url`) and the caller as the
/// media contact. Marked at the top when the incident is an exercise. Nothing is saved.
pub async fn press_release_draft(
    app: &App,
    caller: &Caller,
    org: &Org,
    incident: Option<IncidentId>,
    lang: beredskap_i18n::Lang,
    status_url: &str,
) -> Result<PressReleaseInput, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let incident = match incident {
        Some(id) => Some(app.store.incident(org.id, id).await?),
        None => None,
    };
    let now = app.clock.now();
    let shown_since = now - Duration::days(SHOWN_AFTER_END_DAYS);
    // The incident's newest notice; without an incident, the newest open disruption that
    // is not a drill's (an exercise's words must not reach a real press release).
    let shown = app.store.notices(org.id, shown_since).await?;
    let notice = match &incident {
        Some(i) => shown.into_iter().find(|n| n.incident_id == Some(i.id)),
        None => shown
            .into_iter()
            .find(|n| n.is_open() && n.kind == Kind::Disruption && !n.exercise),
    };
    let services = app.store.services(org.id).await?;
    let affected: Vec<String> = match &notice {
        Some(n) => services
            .iter()
            .filter(|s| n.latest().services.contains(&s.id))
            .map(|s| s.name.clone())
            .collect(),
        // A drill's states are the staff's, not the public's.
        None => services
            .iter()
            .filter(|s| match &incident {
                Some(_) => s.state.is_disrupted(),
                None => s.public_state.is_disrupted(),
            })
            .map(|s| s.name.clone())
            .collect(),
    };
    let text = notice
        .as_ref()
        .and_then(|n| n.latest().text(lang.code()).cloned());
    let org_name = org.name.as_str();
    let what = text
        .as_ref()
        .map(|t| t.title.clone())
        .or_else(|| incident.as_ref().map(|i| i.title.clone()))
        .unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    if incident.as_ref().is_some_and(|i| i.exercise) {
        lines.push(lang.text("press-exercise").to_owned());
        lines.push(String::new());
    }
    let date = org.zone().local(now).format("%Y-%m-%d").to_string();
    lines.push(lang.format(
        "press-dateline",
        &[("org", org_name.into()), ("date", date.into())],
    ));
    lines.push(String::new());
    match text.as_ref().filter(|t| !t.body.is_empty()) {
        Some(t) => lines.push(t.body.clone()),
        None => lines.push(lang.format("press-what", &[("org", org_name.into())])),
    }
    if !affected.is_empty() {
        lines.push(String::new());
        lines.push(lang.format("press-affects", &[("services", affected.join(", ").into())]));
    }
    let ways = app.store.public_contacts(org.id).await?;
    if !ways.is_empty() {
        lines.push(String::new());
        lines.push(lang.text("press-reach").to_owned());
        if let Some(phone) = &ways.phone {
            let number = beredskap_core::domain::readable_number(phone, org.region);
            lines.push(format!("{}: {number}", lang.text("status-phone")));
        }
        if let Some(address) = &ways.address {
            lines.push(format!("{}: {address}", lang.text("status-address")));
        }
        if let Some(hours) = &ways.opening_hours {
            lines.push(format!("{}: {hours}", lang.text("status-hours")));
        }
    }
    lines.push(String::new());
    lines.push(lang.format("press-more", &[("url", status_url.into())]));
    if let Some(account) = caller.account() {
        if let Some(person) = app.store.person(org.id, account.person_id).await? {
            lines.push(lang.format("press-media", &[("name", person.name.into())]));
        }
    }
    let mut title = lang.format(
        "press-title",
        &[("org", org_name.into()), ("what", what.into())],
    );
    if what_is_empty(&title, org_name) {
        title = org_name.to_owned();
    }
    Ok(PressReleaseInput {
        incident: incident.map(|i| i.id),
        lang: lang.code().to_owned(),
        title,
        body: lines.join("\n"),
    })
}

/// The title's "what" was left empty (no notice and no incident).
fn what_is_empty(title: &str, org: &str) -> bool {
    title.trim_end().trim_end_matches(':') == org
}

/// The organisation's newest press releases, for the crisis leads' list.
pub async fn press_releases(
    app: &App,
    caller: &Caller,
    org: &Org,
) -> Result<Vec<PressRelease>, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    Ok(app
        .store
        .press_releases(org.id, beredskap_core::continuity::press::SHOWN)
        .await?)
}

/// Publishes a press release on the status page and in its feeds at once, as edited;
/// marked as an exercise when its incident is one.
pub async fn publish_press_release(
    app: &App,
    caller: &Caller,
    org: &Org,
    input: &PressReleaseInput,
) -> Result<PressRelease, Error> {
    permit(caller, UseCase::KeepPublicStatus)?;
    let exercise = match input.incident {
        Some(id) => app.store.incident(org.id, id).await?.exercise,
        None => false,
    };
    let new = input.validate(exercise).map_err(Error::Invalid)?;
    // The template's line asking what happened, in any language, must not be published.
    let org_name = org.name.as_str();
    if beredskap_i18n::Lang::all().any(|l| {
        new.body
            .contains(&l.format("press-what", &[("org", org_name.into())]))
    }) {
        return Err(Error::Invalid(beredskap_core::FieldErrors::single(
            "body",
            beredskap_core::Problem::PlaceholderLeft,
        )));
    }
    let by = caller.account().map(|a| a.person_id);
    let published = app
        .store
        .publish_press_release(&caller.actor(), org.id, new, by, app.clock.now())
        .await?;
    app.wake.published(org.id).await;
    Ok(published)
}
