//! The overview of what is affected (`/services`): every service with its state, the
//! most severe first, set with one tap (a form per state, no JavaScript needed); a
//! service's page to describe the impact and the workaround; forms to keep the list.

use super::form::FormProblems;
use super::session::SignedIn;
use super::{render, when, Page, Texts, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::policy::allows;
use beredskap_app::services as use_case;
use beredskap_app::UseCase;
use beredskap_core::continuity::services::{Service, ServiceInput, ServiceState, StatusInput};
use beredskap_core::{FieldErrors, ServiceId};
use serde::Deserialize;

/// One state button of the one-tap row.
struct StateChoice {
    code: &'static str,
    label: &'static str,
    /// "Works" also clears the impact and the workaround.
    clears: bool,
}

struct ServiceRow {
    id: String,
    name: String,
    state: &'static str,
    state_label: &'static str,
    changed: String,
    impact: String,
    workaround: String,
    owner: String,
    alternative: String,
    /// The states it can be set to now (all but its own).
    choices: Vec<StateChoice>,
}

/// `who` set its state, when a person did.
fn row(t: &Texts, me: &SignedIn, who: Option<&str>, s: &Service) -> ServiceRow {
    ServiceRow {
        id: s.id.to_string(),
        name: s.name.clone(),
        state: s.state.as_str(),
        state_label: t.service_state(s.state),
        changed: t.services_changed(&when(s.changed_at, me.org.zone()), who),
        impact: s.impact.clone().unwrap_or_default(),
        workaround: s.workaround.clone().unwrap_or_default(),
        owner: s.owner.clone().unwrap_or_default(),
        alternative: s.alternative.clone().unwrap_or_default(),
        choices: ServiceState::ALL
            .iter()
            .filter(|state| **state != s.state)
            .map(|state| StateChoice {
                code: state.as_str(),
                label: t.service_state(*state),
                clears: *state == ServiceState::Works,
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "services.html")]
struct ListPage {
    page: Page,
    summary: String,
    services: Vec<ServiceRow>,
    may_set: bool,
    may_keep: bool,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let overview = use_case::overview(&state.app, &me.caller(), &me.org).await?;
    let summary = t.services_summary(
        overview.count(ServiceState::Down),
        overview.count(ServiceState::Degraded),
        overview.count(ServiceState::Unknown),
        overview.count(ServiceState::Works),
    );
    render(
        StatusCode::OK,
        &ListPage {
            page: Page::signed_in(&ctx, &me, t.services_title),
            summary,
            services: overview
                .services
                .iter()
                .map(|s| {
                    let who = s.changed_by.and_then(|p| overview.names.get(&p));
                    row(t, &me, who.map(String::as_str), s)
                })
                .collect(),
            may_set: allows(&me.caller(), UseCase::SetServiceState),
            may_keep: allows(&me.caller(), UseCase::KeepServices),
        },
    )
}

// ------------------------------------------------------------------ state

#[derive(Template)]
#[template(path = "service_status.html")]
struct StatusPage {
    page: Page,
    service: ServiceRow,
    states: Vec<(&'static str, &'static str)>,
    chosen: String,
    impact: String,
    workaround: String,
    problems: FormProblems,
    may_keep: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    /// Left out by a one-tap button: the service keeps its impact.
    impact: Option<String>,
    workaround: Option<String>,
}

fn parse_id(raw: &str) -> Result<ServiceId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

fn status_problems(t: &Texts, errors: &FieldErrors) -> FormProblems {
    let place = |field: &str| match field {
        "impact" => ("impact", t.services_impact.to_owned()),
        "workaround" => ("workaround", t.services_workaround.to_owned()),
        _ => ("state", t.services_state.to_owned()),
    };
    FormProblems::new(errors, t.lang, place, &["state", "impact", "workaround"])
}

async fn status_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    id: ServiceId,
    sent: Option<&StatusForm>,
    problems: FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    if !allows(&me.caller(), UseCase::SetServiceState) {
        return Err(AppError::Forbidden.into());
    }
    let (service, who) = use_case::described(&state.app, &me.caller(), &me.org, id).await?;
    let service = &service;
    let status = problems.status();
    let (chosen, impact, workaround) = match sent {
        Some(f) => (
            f.state.clone(),
            f.impact.clone().unwrap_or_default(),
            f.workaround.clone().unwrap_or_default(),
        ),
        None => (
            service.state.as_str().to_owned(),
            service.impact.clone().unwrap_or_default(),
            service.workaround.clone().unwrap_or_default(),
        ),
    };
    render(
        status,
        &StatusPage {
            page: Page::signed_in(ctx, me, t.services_describe),
            service: row(t, me, who.as_deref(), service),
            states: ServiceState::ALL
                .iter()
                .map(|s| (s.as_str(), t.service_state(*s)))
                .collect(),
            chosen,
            impact,
            workaround,
            problems,
            may_keep: allows(&me.caller(), UseCase::KeepServices),
        },
    )
}

pub async fn status_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    status_page(&state, &ctx, &me, id, None, FormProblems::default()).await
}

/// One tap from the list (the state alone) or the service's form (with impact and
/// workaround): back to the list at the service.
pub async fn set_status(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id = parse_id(&id)?;
    let t = ctx.t();
    let parsed = ServiceState::parse(&form.state);
    let result = match parsed {
        Ok(service_state) => {
            let input = StatusInput {
                state: service_state,
                impact: form.impact.clone(),
                workaround: form.workaround.clone(),
            };
            use_case::set_status(&state.app, &me.caller(), &me.org, id, &input)
                .await
                .map_err(AppError::from)
        }
        Err(problem) => Err(AppError::Invalid(FieldErrors::single("state", problem))),
    };
    match result {
        Ok(service) => {
            Ok(Redirect::to(&format!("/services#service-{}", service.id)).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            let problems = status_problems(t, &errors);
            status_page(&state, &ctx, &me, id, Some(&form), problems).await
        }
        Err(other) => Err(other.into()),
    }
}

// ------------------------------------------------------------------ the list

#[derive(Template)]
#[template(path = "service_form.html")]
struct ServiceFormPage {
    page: Page,
    /// Where the form posts.
    action: String,
    /// The service being changed (its id), or none for a new one.
    id: Option<String>,
    name: String,
    owner: String,
    alternative: String,
    problems: FormProblems,
}

#[derive(Debug, Default, Deserialize)]
pub struct ServiceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    alternative: String,
}

fn service_problems(t: &Texts, errors: &FieldErrors) -> FormProblems {
    let place = |field: &str| match field {
        "owner" => ("owner", t.services_owner.to_owned()),
        "alternative" => ("alternative", t.services_alternative.to_owned()),
        _ => ("name", t.name.to_owned()),
    };
    FormProblems::new(errors, t.lang, place, &["name", "owner", "alternative"])
}

fn service_form_page(
    ctx: &WebContext,
    me: &SignedIn,
    id: Option<ServiceId>,
    form: &ServiceForm,
    problems: FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    if !allows(&me.caller(), UseCase::KeepServices) {
        return Err(AppError::Forbidden.into());
    }
    let status = problems.status();
    let (title, action) = match id {
        Some(id) => (t.services_edit_title, format!("/services/{id}/edit")),
        None => (t.services_new_title, "/services/new".to_owned()),
    };
    render(
        status,
        &ServiceFormPage {
            page: Page::signed_in(ctx, me, title),
            action,
            id: id.map(|id| id.to_string()),
            name: form.name.clone(),
            owner: form.owner.clone(),
            alternative: form.alternative.clone(),
            problems,
        },
    )
}

pub async fn new_form(ctx: WebContext, me: SignedIn) -> Result<Response, WebError> {
    service_form_page(
        &ctx,
        &me,
        None,
        &ServiceForm::default(),
        FormProblems::default(),
    )
}

fn input(form: &ServiceForm) -> ServiceInput {
    ServiceInput {
        name: form.name.clone(),
        owner: Some(form.owner.clone()),
        alternative: Some(form.alternative.clone()),
    }
}

/// What a refused list change shows: the form again with its problems, or the refusal.
fn refused(
    ctx: &WebContext,
    me: &SignedIn,
    id: Option<ServiceId>,
    form: &ServiceForm,
    error: AppError,
) -> Result<Response, WebError> {
    match error {
        // A name another service has is the name field's problem.
        AppError::Invalid(errors) | AppError::Conflict(errors) => {
            let problems = service_problems(ctx.t(), &errors);
            service_form_page(ctx, me, id, form, problems)
        }
        other => Err(other.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<ServiceForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    match use_case::add_service(&state.app, &me.caller(), &me.org, &input(&form)).await {
        Ok(service) => {
            Ok(Redirect::to(&format!("/services#service-{}", service.id)).into_response())
        }
        Err(e) => refused(&ctx, &me, None, &form, AppError::from(e)),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    if !allows(&me.caller(), UseCase::KeepServices) {
        return Err(AppError::Forbidden.into());
    }
    let service = use_case::service(&state.app, &me.caller(), &me.org, id).await?;
    let form = ServiceForm {
        csrf: String::new(),
        name: service.name,
        owner: service.owner.unwrap_or_default(),
        alternative: service.alternative.unwrap_or_default(),
    };
    service_form_page(&ctx, &me, Some(id), &form, FormProblems::default())
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ServiceForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id = parse_id(&id)?;
    match use_case::change_service(&state.app, &me.caller(), &me.org, id, &input(&form)).await {
        Ok(service) => {
            Ok(Redirect::to(&format!("/services#service-{}", service.id)).into_response())
        }
        Err(e) => refused(&ctx, &me, Some(id), &form, AppError::from(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn retire(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id = parse_id(&id)?;
    use_case::retire_service(&state.app, &me.caller(), &me.org, id).await?;
    Ok(Redirect::to("/services").into_response())
}
