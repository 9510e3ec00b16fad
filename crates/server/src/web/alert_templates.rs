//! Alert templates on the pages: saved from the alert form, listed under Larm and on the
//! start page, and sent in two taps — the template's page says whom it reaches on which
//! channels now, and one button sends it.

use super::alerts::{channel_words, messages, new_alert_page, submitted_alert};
use super::form::{field, Fields};
use super::session::SignedIn;
use super::{render, when, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::alert_templates::{self, TemplatePreview};
use beredskap_app::policy::{allows, UseCase};
use beredskap_core::alert_templates::TemplateInput;
use beredskap_core::store::Conflict;
use beredskap_core::{AlertTemplateId, FieldErrors, Problem, StoreError};

/// The templates (id, name) for someone who may send them; none for anyone else.
pub(super) async fn names(
    state: &AppState,
    me: &SignedIn,
) -> Result<Vec<(String, String)>, WebError> {
    let caller = me.caller();
    if !allows(&caller, UseCase::SendAlert) {
        return Ok(Vec::new());
    }
    Ok(alert_templates::list(&state.app, &caller, &me.org)
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect())
}

/// The alert form's fields as a template fills them in, to change it or send a copy.
pub(super) async fn template_fields(
    state: &AppState,
    me: &SignedIn,
    id: AlertTemplateId,
) -> Result<Fields, WebError> {
    let caller = me.caller();
    let template = alert_templates::template(&state.app, &caller, &me.org, id).await?;
    let a = &template.alert;
    let mut fields: Fields = vec![
        ("template".into(), template.id.to_string()),
        ("version".into(), template.version.to_string()),
        ("template_name".into(), template.name.clone()),
        ("message".into(), a.message.clone()),
        ("severity".into(), a.severity.as_str().into()),
        ("options".into(), a.options.join(", ")),
        ("step_minutes".into(), a.step_minutes.to_string()),
        ("repeats".into(), a.repeats.to_string()),
    ];
    if a.recipients.deputies {
        fields.push(("deputies".into(), "on".into()));
    }
    if a.exercise {
        fields.push(("exercise".into(), "on".into()));
    }
    fields.extend(
        a.recipients
            .groups
            .iter()
            .map(|g| ("group".into(), g.to_string())),
    );
    fields.extend(
        a.recipients
            .positions
            .iter()
            .map(|p| ("position".into(), p.to_string())),
    );
    if !a.recipients.people.is_empty() {
        let register = beredskap_app::register::people(&state.app, &caller, &me.org).await?;
        // The form names people by employee number where they have one (names can repeat).
        let named: Vec<String> = a
            .recipients
            .people
            .iter()
            .filter_map(|id| register.iter().find(|p| p.id == *id))
            .map(|p| p.external_id.clone().unwrap_or_else(|| p.name.clone()))
            .collect();
        fields.push(("people".into(), named.join(", ")));
    }
    match &a.escalation {
        Some(e) => fields.extend([
            ("escalate_group".into(), e.group.to_string()),
            ("escalate_min".into(), e.min_answers.to_string()),
            ("escalate_after".into(), e.after_minutes.to_string()),
        ]),
        None => fields.extend([
            ("escalate_min".into(), "1".into()),
            ("escalate_after".into(), "15".into()),
        ]),
    }
    Ok(fields)
}

/// The form's "save as template": a new template, or a new version of the one the form
/// was opened from. Problems come back on the form, each at its input.
pub async fn save(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let t = ctx.t();
    let mut problems = FieldErrors::new();
    let input = TemplateInput {
        name: field(&fields, "template_name"),
        alert: submitted_alert(&state, &me, &fields, &mut problems).await?,
        version: field(&fields, "version").parse().ok(),
    };
    let id: Option<AlertTemplateId> = field(&fields, "template").parse().ok();
    if !problems.is_empty() {
        if let Err(more) = input.validate(id, Some(me.account.id)) {
            problems.0.extend(on_the_form(more).0);
        }
        return new_alert_page(&state, &ctx, &me, messages(t, &problems), fields).await;
    }
    let problems = match alert_templates::save(&state.app, &me.caller(), &me.org, id, input).await {
        Ok(saved) => {
            return Ok(Redirect::to(&format!("/alerts/templates/{}", saved.id)).into_response())
        }
        Err(beredskap_app::Error::Invalid(errors)) => on_the_form(errors),
        Err(beredskap_app::Error::Store(StoreError::Conflict(Conflict::AlertTemplateName))) => {
            FieldErrors::single("template_name", Problem::Taken)
        }
        Err(beredskap_app::Error::Store(StoreError::Conflict(Conflict::AlertTemplateChanged))) => {
            FieldErrors::single("template_name", Problem::Changed)
        }
        Err(other) => return Err(AppError::from(other).into()),
    };
    new_alert_page(&state, &ctx, &me, messages(t, &problems), fields).await
}

/// A template's problems as the alert form names its inputs: `name` is the template's
/// name field, `alert.message` the message.
fn on_the_form(errors: FieldErrors) -> FieldErrors {
    FieldErrors(
        errors
            .0
            .into_iter()
            .map(|mut e| {
                e.field = match e.field.strip_prefix("alert.") {
                    Some(rest) => rest.to_owned(),
                    None if e.field == "name" => "template_name".to_owned(),
                    None => e.field,
                };
                e
            })
            .collect(),
    )
}

#[derive(Template)]
#[template(path = "alert_template.html")]
struct TemplatePage {
    page: Page,
    id: String,
    name: String,
    version: i64,
    message: String,
    exercise: bool,
    severity: &'static str,
    options: String,
    /// Groups, positions and people, by name.
    recipients: Vec<String>,
    deputies: bool,
    saved: String,
    /// "12 personer larmas", empty if it cannot be sent as it stands.
    reach: String,
    /// "sms: 10 personer", one line per channel.
    channels: Vec<String>,
    deputies_count: String,
    unreachable: Vec<String>,
    /// Why it cannot be sent now, in the reader's language.
    problems: Vec<String>,
    /// A problem with the last press of Send (the template changed meanwhile).
    send_error: String,
}

async fn template_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    preview: TemplatePreview,
    send_error: String,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let caller = me.caller();
    let template = preview.template;
    let a = &template.alert;
    let mut recipients = Vec::new();
    if !a.recipients.groups.is_empty() {
        let groups = beredskap_app::register::groups(&state.app, &caller, &me.org).await?;
        recipients.extend(
            groups
                .into_iter()
                .filter(|g| a.recipients.groups.contains(&g.id))
                .map(|g| g.name),
        );
    }
    if !a.recipients.positions.is_empty() {
        let positions = beredskap_app::register::positions(&state.app, &caller, &me.org).await?;
        recipients.extend(
            positions
                .into_iter()
                .filter(|p| a.recipients.positions.contains(&p.id))
                .map(|p| p.name),
        );
    }
    if !a.recipients.people.is_empty() {
        let people = beredskap_app::register::people(&state.app, &caller, &me.org).await?;
        recipients.extend(
            people
                .into_iter()
                .filter(|p| a.recipients.people.contains(&p.id))
                .map(|p| p.name),
        );
    }
    let (reach, channels, deputies_count) = match &preview.reach {
        Some(r) => (
            t.lang
                .format("template-reach", &[("people", r.people.into())]),
            r.channels
                .iter()
                .map(|c| {
                    t.lang.format(
                        "template-channel",
                        &[
                            ("channel", channel_words(t, c.channel.as_str()).into()),
                            ("people", c.people.into()),
                        ],
                    )
                })
                .collect(),
            match r.deputies {
                0 => String::new(),
                n => t
                    .lang
                    .format("template-deputies", &[("deputies", n.into())]),
            },
        ),
        None => (String::new(), Vec::new(), String::new()),
    };
    let status = match send_error.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::CONFLICT,
    };
    render(
        status,
        &TemplatePage {
            page: Page::signed_in(ctx, me, t.templates_title),
            id: template.id.to_string(),
            name: template.name.clone(),
            version: template.version,
            message: a.message.clone(),
            exercise: a.exercise,
            severity: t.severity(a.severity),
            options: a.options.join(" / "),
            recipients,
            deputies: a.recipients.deputies,
            saved: when(template.saved_at, me.org.zone()),
            reach,
            channels,
            deputies_count,
            unreachable: preview.unreachable_names,
            problems: preview
                .problems
                .iter()
                .map(|p| p.problem.text(t.lang))
                .collect(),
            send_error,
        },
    )
}

fn template_id(raw: &str) -> Result<AlertTemplateId, WebError> {
    raw.parse().map_err(|_| WebError::from(AppError::NotFound))
}

/// First tap: the template and whom it reaches now.
pub async fn show(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let preview =
        alert_templates::preview(&state.app, &me.caller(), &me.org, template_id(&id)?).await?;
    template_page(&state, &ctx, &me, preview, String::new()).await
}

/// Second tap: sends the version that was shown. If it has been saved since, the page
/// comes back with the new version and says so; nothing is sent.
pub async fn send(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let id = template_id(&id)?;
    let version = field(&fields, "version").parse().unwrap_or(0);
    match alert_templates::send(&state.app, &me.caller(), &me.org, id, version).await {
        Ok(alert) => Ok(Redirect::to(&format!("/alerts/{}", alert.id)).into_response()),
        Err(beredskap_app::Error::Store(StoreError::Conflict(Conflict::AlertTemplateChanged))) => {
            let preview = alert_templates::preview(&state.app, &me.caller(), &me.org, id).await?;
            let shown = ctx.t().template_changed.to_owned();
            template_page(&state, &ctx, &me, preview, shown).await
        }
        Err(beredskap_app::Error::Invalid(errors)) => {
            let preview = alert_templates::preview(&state.app, &me.caller(), &me.org, id).await?;
            let t = ctx.t();
            let shown = errors
                .0
                .iter()
                .map(|e| e.problem.text(t.lang))
                .collect::<Vec<_>>()
                .join("; ");
            let mut page = template_page(&state, &ctx, &me, preview, shown).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
        Err(other) => Err(AppError::from(other).into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    alert_templates::delete(&state.app, &me.caller(), &me.org, template_id(&id)?).await?;
    Ok(Redirect::to("/alerts#templates").into_response())
}
