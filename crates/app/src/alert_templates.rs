//! Alert templates: written ahead by a crisis lead, previewed (whom they reach on which
//! channels, now) and sent in two taps. Whoever may send alerts may keep templates.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::alert_templates::{reach, AlertTemplate, Reach, TemplateInput};
use beredskap_core::alerting::Alert;
use beredskap_core::register::Org;
use beredskap_core::store::Conflict;
use beredskap_core::{AlertTemplateId, FieldError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// A template as it would go out now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplatePreview {
    pub template: AlertTemplate,
    /// Whom it reaches if sent now; none if it cannot be sent as it stands.
    pub reach: Option<Reach>,
    /// The people it cannot reach, by name, in the reach's order.
    pub unreachable_names: Vec<String>,
    /// Why it cannot be sent as it stands, e.g. a group deleted since it was saved. Empty
    /// when it can be.
    #[schema(value_type = Vec<beredskap_core::error::FieldErrorSchema>)]
    pub problems: Vec<FieldError>,
}

pub async fn list(app: &App, caller: &Caller, org: &Org) -> Result<Vec<AlertTemplate>, Error> {
    permit(caller, UseCase::SendAlert)?;
    Ok(app.store.alert_templates(org.id).await?)
}

/// The template as saved, to change it.
pub async fn template(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: AlertTemplateId,
) -> Result<AlertTemplate, Error> {
    permit(caller, UseCase::SendAlert)?;
    Ok(app.store.alert_template(org.id, id).await?)
}

/// The template and whom it would reach if sent now.
pub async fn preview(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: AlertTemplateId,
) -> Result<TemplatePreview, Error> {
    permit(caller, UseCase::SendAlert)?;
    let template = app.store.alert_template(org.id, id).await?;
    let audience = match template
        .alert
        .clone()
        .validate(caller.account().map(|a| a.id))
    {
        Ok(new) => app
            .store
            .alert_audience(org.id, &new, app.clock.now())
            .await
            .map_err(|e| match e {
                StoreError::Invalid(fields) => Error::Invalid(fields.within("alert")),
                other => Error::Store(other),
            }),
        Err(fields) => Err(Error::Invalid(fields.within("alert"))),
    };
    let (reach, problems) = match audience {
        Ok(audience) => (Some(reach(&audience)), Vec::new()),
        Err(Error::Invalid(fields)) => (None, fields.0),
        Err(other) => return Err(other),
    };
    let unreachable_names = match &reach {
        Some(r) if !r.unreachable.is_empty() => {
            let names = crate::alerts::names(app.store(), org.id).await?;
            r.unreachable
                .iter()
                .filter_map(|id| names.get(id).cloned())
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(TemplatePreview {
        template,
        reach,
        unreachable_names,
        problems,
    })
}

/// Saves a new template (`id` none) or a new version of one.
pub async fn save(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: Option<AlertTemplateId>,
    input: TemplateInput,
) -> Result<AlertTemplate, Error> {
    permit(caller, UseCase::SendAlert)?;
    let draft = input
        .validate(id, caller.account().map(|a| a.id))
        .map_err(Error::Invalid)?;
    Ok(app
        .store
        .save_alert_template(&caller.actor(), org.id, draft, app.clock.now())
        .await?)
}

pub async fn delete(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: AlertTemplateId,
) -> Result<(), Error> {
    permit(caller, UseCase::SendAlert)?;
    Ok(app
        .store
        .delete_alert_template(&caller.actor(), org.id, id)
        .await?)
}

/// Sends the template as the alert it holds. `version` is the version the sender saw in
/// the preview: if it has been saved since, nothing is sent.
pub async fn send(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: AlertTemplateId,
    version: i64,
) -> Result<Alert, Error> {
    permit(caller, UseCase::SendAlert)?;
    let template = app.store.alert_template(org.id, id).await?;
    if template.version != version {
        return Err(StoreError::Conflict(Conflict::AlertTemplateChanged).into());
    }
    crate::alerts::send(app, caller, org, template.alert).await
}
