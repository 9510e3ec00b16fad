//! Continuity plans: read by every member (the action cards are everyone's), written,
//! imported and approved by crisis leads and administrators. Every save is a new version;
//! an approval names the version it approves.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::contacts::ExternalContact;
use beredskap_core::continuity::plans::{
    parse_yaml, to_yaml, validate, Plan, PlanContext, PlanDocument, PlanFileProblem, PlanSave,
};
use beredskap_core::register::Org;
use beredskap_core::{PersonId, PlanId, Slug};
use std::collections::HashMap;

/// What the organisation's plans may refer to: its positions, groups and external
/// contacts.
pub async fn context(app: &App, org: &Org) -> Result<PlanContext, Error> {
    let store = app.store();
    Ok(PlanContext {
        positions: store
            .list_positions(org.id)
            .await?
            .into_iter()
            .map(|p| p.slug.to_string())
            .collect(),
        groups: store
            .list_groups(org.id)
            .await?
            .into_iter()
            .map(|g| g.slug.to_string())
            .collect(),
        contacts: store
            .external_contacts(org.id)
            .await?
            .into_iter()
            .map(|c| c.contact.name)
            .collect(),
    })
}

pub async fn plans(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Plan>, Error> {
    permit(caller, UseCase::ReadPlans)?;
    Ok(app.store.plans(org.id).await?)
}

pub async fn plan(app: &App, caller: &Caller, org: &Org, id: PlanId) -> Result<Plan, Error> {
    permit(caller, UseCase::ReadPlans)?;
    Ok(app.store.plan(org.id, id).await?)
}

pub async fn by_slug(app: &App, caller: &Caller, org: &Org, slug: &Slug) -> Result<Plan, Error> {
    permit(caller, UseCase::ReadPlans)?;
    app.store
        .plan_by_slug(org.id, slug)
        .await?
        .ok_or(Error::Store(beredskap_core::StoreError::NotFound))
}

/// One version of a plan as YAML (the newest without `version`).
pub async fn export_yaml(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: PlanId,
    version: Option<i64>,
) -> Result<(Plan, String), Error> {
    permit(caller, UseCase::ReadPlans)?;
    let plan = app.store.plan(org.id, id).await?;
    let document = match version {
        Some(v) if v != plan.version => app.store.plan_version(org.id, id, v).await?,
        _ => plan.document.clone(),
    };
    let yaml = to_yaml(&document);
    Ok((plan, yaml))
}

/// Saves a plan edited in the pages or the API: checked against the organisation, every
/// problem named by its field. `expected` is the version the editor opened (none for a
/// new plan), so two people editing at once do not overwrite each other.
pub async fn save(
    app: &App,
    caller: &Caller,
    org: &Org,
    slug: &Slug,
    raw: &PlanDocument,
    expected: Option<i64>,
) -> Result<Plan, Error> {
    permit(caller, UseCase::KeepPlans)?;
    let ctx = context(app, org).await?;
    let document = validate(raw, &ctx).map_err(Error::Invalid)?;
    let save = PlanSave {
        slug: slug.clone(),
        document,
        expected,
        by: caller.account().map(|a| a.person_id),
    };
    Ok(app
        .store
        .save_plan(&caller.actor(), org.id, save, app.clock.now())
        .await?)
}

/// The problems a plan would be refused for, without saving it (a form with problems of
/// its own is shown with these too, all at once).
pub async fn problems(
    app: &App,
    caller: &Caller,
    org: &Org,
    raw: &PlanDocument,
) -> Result<beredskap_core::FieldErrors, Error> {
    permit(caller, UseCase::KeepPlans)?;
    let ctx = context(app, org).await?;
    Ok(validate(raw, &ctx).err().unwrap_or_default())
}

/// Why a plan file was refused: every problem by line, or the use case's refusal.
#[derive(Debug, thiserror::Error)]
pub enum PlanRefused {
    #[error("{} problems in the file", .0.len())]
    File(Vec<PlanFileProblem>),
    #[error(transparent)]
    Use(#[from] Error),
}

/// Imports a plan file as the next version of the plan with `slug` (or a new plan).
/// Nothing is saved from a file with any problem.
pub async fn import_yaml(
    app: &App,
    caller: &Caller,
    org: &Org,
    slug: &Slug,
    yaml: &str,
) -> Result<Plan, PlanRefused> {
    permit(caller, UseCase::KeepPlans)?;
    let ctx = context(app, org).await?;
    let document = parse_yaml(yaml, &ctx).map_err(PlanRefused::File)?;
    let save = PlanSave {
        slug: slug.clone(),
        document,
        expected: None,
        by: caller.account().map(|a| a.person_id),
    };
    Ok(app
        .store
        .save_plan(&caller.actor(), org.id, save, app.clock.now())
        .await
        .map_err(Error::from)?)
}

/// Records the caller's approval of `version`, which must be the newest.
pub async fn approve(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: PlanId,
    version: i64,
) -> Result<Plan, Error> {
    permit(caller, UseCase::ApprovePlans)?;
    let by = caller.account().map(|a| a.person_id);
    Ok(app
        .store
        .approve_plan(&caller.actor(), org.id, id, version, by, app.clock.now())
        .await?)
}

/// A plan with what its pages show beside it: the names of the positions and groups it
/// refers to, who is on call for each action card now, the contacts with their numbers,
/// and who saved and approved it.
#[derive(Debug, Clone)]
pub struct PlanSheet {
    pub plan: Plan,
    /// Position slug to name.
    pub positions: HashMap<String, String>,
    /// Group slug to name.
    pub groups: HashMap<String, String>,
    /// Position slug to the name of whoever is on call now.
    pub on_call: HashMap<String, String>,
    /// The plan's contacts as the directory has them, in the plan's order.
    pub contacts: Vec<ExternalContact>,
    pub updated_by: Option<String>,
    pub approved_by: Option<String>,
}

pub async fn sheet(app: &App, caller: &Caller, org: &Org, id: PlanId) -> Result<PlanSheet, Error> {
    permit(caller, UseCase::ReadPlans)?;
    let store = app.store();
    let plan = store.plan(org.id, id).await?;
    let names = crate::alerts::names(store, org.id).await?;
    let now = app.clock.now();
    let mut positions = HashMap::new();
    let mut on_call = HashMap::new();
    for position in store.list_positions(org.id).await? {
        let slug = position.slug.to_string();
        if plan
            .document
            .action_cards
            .iter()
            .any(|c| c.position == slug)
        {
            let holders = crate::rotations::holders_now(app, org, &position, now).await?;
            if let Some(name) = holders.first().and_then(|p| names.get(p)) {
                on_call.insert(slug.clone(), name.clone());
            }
        }
        positions.insert(slug, position.name);
    }
    let groups = store
        .list_groups(org.id)
        .await?
        .into_iter()
        .map(|g| (g.slug.to_string(), g.name))
        .collect();
    let directory = store.external_contacts(org.id).await?;
    let contacts = plan
        .document
        .contacts
        .iter()
        .filter_map(|name| directory.iter().find(|c| &c.contact.name == name).cloned())
        .collect();
    let name_of = |p: Option<PersonId>| p.and_then(|p| names.get(&p).cloned());
    Ok(PlanSheet {
        updated_by: name_of(plan.updated_by),
        approved_by: name_of(plan.approval.as_ref().and_then(|a| a.by)),
        plan,
        positions,
        groups,
        on_call,
        contacts,
    })
}
