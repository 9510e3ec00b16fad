//! The public status page (`/status/{org}`): no sign-in, no script, no form — the ways to
//! get in touch first, then each service with its state. Its own light page rather than
//! the staff pages' frame, so a citizen on a slow phone gets a few kilobytes; the language
//! links are plain links (`?lang=`). The crisis leads' form for the ways to get in touch
//! is `/services/public`.

use super::form::FormProblems;
use super::i18n::PageTexts as _;
use super::session::SignedIn;
use super::{render, when, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::status as use_case;
use beredskap_core::continuity::status::PublicContactsInput;
use beredskap_core::domain::readable_number;
use beredskap_core::FieldErrors;
use beredskap_i18n::Lang;
use serde::Deserialize;
use sha2::Digest as _;

struct ServiceRow {
    name: String,
    state: &'static str,
    state_label: &'static str,
}

#[derive(Template)]
#[template(path = "status.html")]
struct PublicPage {
    lang: Lang,
    t: &'static super::Texts,
    langs: Vec<Lang>,
    slug: String,
    org: String,
    phone: String,
    phone_href: String,
    address: String,
    opening_hours: String,
    note: Vec<String>,
    services: Vec<ServiceRow>,
    updated: String,
}

/// The page's language: the link's (`?lang=`), the browser's, the organisation's, Swedish.
/// No cookie is read or set: the page is the same for everyone who asks the same.
fn language(uri: &Uri, headers: &HeaderMap, org_language: Option<&str>) -> Lang {
    let from_query = uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    });
    from_query
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .or_else(|| org_language.and_then(Lang::parse))
        .unwrap_or_else(Lang::fallback)
}

/// The public page. Outside the staff pages' frame: no session or CSRF cookie is read or
/// set, so it may be cached (briefly, by anyone) and a browser that has it gets `304 Not
/// Modified` by its `ETag` (a hash of the bytes) while nothing has changed.
pub async fn public(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let status = match use_case::public_status(&state.app, &slug).await {
        Ok(status) => status,
        Err(e) => {
            let lang = language(&uri, &headers, None);
            let t = lang.texts();
            let code = match AppError::from(e) {
                AppError::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            let text = match code {
                StatusCode::NOT_FOUND => t.not_found,
                _ => t.unavailable,
            };
            return (code, text).into_response();
        }
    };
    let lang = language(&uri, &headers, status.org.language.as_deref());
    let t = lang.texts();
    let c = &status.contacts;
    let region = status.org.region;
    let page = PublicPage {
        lang,
        t,
        langs: Lang::all().collect(),
        slug: status.org.slug.to_string(),
        org: status.org.name.clone(),
        phone: c
            .phone
            .as_deref()
            .map(|p| readable_number(p, region))
            .unwrap_or_default(),
        phone_href: c
            .phone
            .as_deref()
            .map(|p| format!("tel:{p}"))
            .unwrap_or_default(),
        address: c.address.clone().unwrap_or_default(),
        opening_hours: c.opening_hours.clone().unwrap_or_default(),
        note: c
            .note
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect(),
        services: status
            .services
            .iter()
            .map(|s| ServiceRow {
                name: s.name.clone(),
                state: s.state.as_str(),
                state_label: t.service_state(s.state),
            })
            .collect(),
        updated: status
            .changed_at
            .map(|at| {
                t.lang.format(
                    "status-updated",
                    &[("when", when(at, status.org.zone()).into())],
                )
            })
            .unwrap_or_default(),
    };
    let Ok(html) = page.render() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, t.server_error).into_response();
    };
    let digest = sha2::Sha256::digest(html.as_bytes());
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let common = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "public, max-age=10".to_owned()),
        (header::VARY, "Accept-Language".to_owned()),
        (header::CONTENT_LANGUAGE, lang.code().to_owned()),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    match unchanged {
        true => (StatusCode::NOT_MODIFIED, common).into_response(),
        false => (
            StatusCode::OK,
            common,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
    }
}

#[derive(Template)]
#[template(path = "public_contacts.html")]
struct FormPage {
    page: Page,
    slug: String,
    phone: String,
    address: String,
    opening_hours: String,
    note: String,
    problems: FormProblems,
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    opening_hours: String,
    #[serde(default)]
    note: String,
}

fn form_page(
    ctx: &WebContext,
    me: &SignedIn,
    form: &ContactsForm,
    errors: Option<&FieldErrors>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let problems = match errors {
        Some(errors) => {
            let place = |field: &str| match field {
                "phone" => ("phone", t.status_phone.to_owned()),
                "address" => ("address", t.status_address.to_owned()),
                "opening_hours" => ("opening_hours", t.status_hours.to_owned()),
                _ => ("note", t.status_note.to_owned()),
            };
            FormProblems::new(
                errors,
                t.lang,
                place,
                &["phone", "address", "opening_hours", "note"],
            )
        }
        None => FormProblems::default(),
    };
    render(
        problems.status(),
        &FormPage {
            page: Page::signed_in(ctx, me, t.public_contacts_title),
            slug: me.org.slug.to_string(),
            phone: form.phone.clone(),
            address: form.address.clone(),
            opening_hours: form.opening_hours.clone(),
            note: form.note.clone(),
            problems,
        },
    )
}

/// The form with what is set now.
pub async fn contacts_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let c = use_case::contacts(&state.app, &me.caller(), &me.org).await?;
    let form = ContactsForm {
        csrf: String::new(),
        phone: c
            .phone
            .as_deref()
            .map(|p| readable_number(p, me.org.region))
            .unwrap_or_default(),
        address: c.address.unwrap_or_default(),
        opening_hours: c.opening_hours.unwrap_or_default(),
        note: c.note.unwrap_or_default(),
    };
    form_page(&ctx, &me, &form, None)
}

pub async fn set_contacts(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<ContactsForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let input = PublicContactsInput {
        phone: form.phone.clone(),
        address: form.address.clone(),
        opening_hours: form.opening_hours.clone(),
        note: form.note.clone(),
    };
    match use_case::set_contacts(&state.app, &me.caller(), &me.org, &input).await {
        Ok(_) => Ok(Redirect::to("/services/public").into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) => form_page(&ctx, &me, &form, Some(&errors)),
            other => Err(other.into()),
        },
    }
}
