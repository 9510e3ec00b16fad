//! The offline kit: what a crisis lead needs when Beredskap itself cannot be reached —
//! every plan with its action cards, the whole contact directory with private numbers,
//! who is on call, the overview of services — read in one go so the file made from it
//! is one moment's picture.

use crate::directory::Directory;
use crate::plans::PlanSheet;
use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::continuity::services::Service;
use beredskap_core::register::Org;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct OfflineKit {
    /// Every plan, newest version, by title.
    pub plans: Vec<PlanSheet>,
    pub directory: Directory,
    pub services: Vec<Service>,
    /// Who changed each service's state last, by person.
    pub names: std::collections::HashMap<beredskap_core::PersonId, String>,
    pub made_at: DateTime<Utc>,
}

pub async fn contents(app: &App, caller: &Caller, org: &Org) -> Result<OfflineKit, Error> {
    permit(caller, UseCase::TakeOfflineKit)?;
    let mut plans = Vec::new();
    for plan in app.store.plans(org.id).await? {
        plans.push(crate::plans::sheet(app, caller, org, plan.id).await?);
    }
    Ok(OfflineKit {
        plans,
        directory: crate::directory::directory(app, caller, org, None).await?,
        services: app.store.services(org.id).await?,
        names: crate::alerts::names(app.store(), org.id).await?,
        made_at: app.clock.now(),
    })
}
