//! The communicator's press release: the template filled in (`/press/new`, from an
//! incident's page or the status page's list), edited, and published on the status page.

use super::form::FormProblems;
use super::session::SignedIn;
use super::{render, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::status as use_case;
use beredskap_core::continuity::press::PressReleaseInput;
use beredskap_core::{FieldErrors, IncidentId};
use beredskap_i18n::Lang;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "press_form.html")]
struct FormPage {
    page: Page,
    back: String,
    incident: String,
    exercise: bool,
    /// The template in each language: its name and the link to it.
    templates: Vec<(Lang, String)>,
    lang: String,
    title: String,
    body: String,
    problems: FormProblems,
}

#[derive(Debug, Default, Deserialize)]
pub struct DraftQuery {
    #[serde(default)]
    incident: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PressForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    incident: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

fn incident_of(raw: Option<&str>) -> Result<Option<IncidentId>, WebError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) => Ok(Some(
            id.parse().map_err(|_| WebError::from(AppError::NotFound))?,
        )),
    }
}

fn back(incident: Option<IncidentId>) -> String {
    match incident {
        Some(id) => format!("/incidents/{id}#notices"),
        None => "/services/public#press".to_owned(),
    }
}

async fn form_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    input: &PressReleaseInput,
    errors: Option<&FieldErrors>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let exercise = match input.incident {
        Some(id) => use_case::incident_for_notice(&state.app, &me.caller(), &me.org, id)
            .await
            .map(|i| i.exercise)
            .unwrap_or(false),
        None => false,
    };
    let problems = match errors {
        Some(errors) => FormProblems::new(
            errors,
            t.lang,
            |f: &str| match f {
                "title" => ("title", t.press_title_field.to_owned()),
                "lang" => ("lang", t.press_template_in.to_owned()),
                _ => ("body", t.press_body_field.to_owned()),
            },
            &["lang", "title", "body"],
        ),
        None => FormProblems::default(),
    };
    let incident = input.incident.map(|i| i.to_string()).unwrap_or_default();
    let templates = Lang::all()
        .map(|l| {
            let mut href = format!("/press/new?lang={}", l.code());
            if !incident.is_empty() {
                href.push_str(&format!("&incident={incident}"));
            }
            (l, href)
        })
        .collect();
    render(
        problems.status(),
        &FormPage {
            page: Page::signed_in(ctx, me, t.press_new),
            back: back(input.incident),
            incident,
            exercise,
            templates,
            lang: input.lang.clone(),
            title: input.title.clone(),
            body: input.body.clone(),
            problems,
        },
    )
}

/// The template, filled in, in the language asked for (the organisation's by default).
pub async fn new_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Query(query): Query<DraftQuery>,
) -> Result<Response, WebError> {
    let incident = incident_of(query.incident.as_deref())?;
    let lang = query
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| Lang::parse(me.org.language_code()))
        .unwrap_or_else(Lang::fallback);
    let status_url = format!(
        "{}/status/{}",
        state.config.public_url().trim_end_matches('/'),
        me.org.slug
    );
    let draft = use_case::press_release_draft(
        &state.app,
        &me.caller(),
        &me.org,
        incident,
        lang,
        &status_url,
    )
    .await?;
    form_page(&state, &ctx, &me, &draft, None).await
}

pub async fn publish(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<PressForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let input = PressReleaseInput {
        incident: incident_of(Some(&form.incident))?,
        lang: form.lang.clone(),
        title: form.title.clone(),
        body: form.body.clone(),
    };
    match use_case::publish_press_release(&state.app, &me.caller(), &me.org, &input).await {
        Ok(published) => Ok(Redirect::to(&back(published.incident_id)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => form_page(&state, &ctx, &me, &input, Some(&errors)).await,
            other => Err(other.into()),
        },
    }
}
