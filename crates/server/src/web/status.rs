//! The public status page (`/status/{org}`) and its feeds: no sign-in, no script, no form —
//! the ways to get in touch first, then the notices, then each service with its state. Its
//! own light page rather than the staff pages' frame, so a citizen on a slow phone gets a
//! few kilobytes; the language links are plain links (`?lang=`). The documents are made
//! by [`crate::status_site`]. The crisis leads' form for the ways to get in touch is
//! `/services/public`.

use super::form::FormProblems;
use super::i18n::PageTexts as _;
use super::session::SignedIn;
use super::{render, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use crate::status_site::{Addresses, Doc, DocKey, Layout};
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

/// The page's language: the link's (`?lang=`), the browser's, the organisation's.
/// No cookie is read or set: the page is the same for everyone who asks the same.
fn language(uri: &Uri, headers: &HeaderMap, default: Lang) -> Lang {
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
        .unwrap_or(default)
}

async fn serve(
    state: &AppState,
    slug: &str,
    uri: &Uri,
    headers: &HeaderMap,
    key: impl FnOnce(Lang) -> DocKey,
    by_language: bool,
) -> Response {
    let app = state.app.clone();
    let addresses = Addresses {
        base: state.config.public_url().trim_end_matches('/').to_owned(),
        layout: Layout::Served,
    };
    let site = state
        .status_sites
        .site(slug, state.clock.now(), |previous| async move {
            let status = use_case::public_status(&app, slug).await?;
            crate::status_site::render(&status, &addresses, previous.as_deref())
                .map_err(|e| beredskap_app::Error::Internal(e.to_string()))
        })
        .await;
    let site = match site {
        Ok(site) => site,
        Err(e) => {
            let t = language(uri, headers, Lang::fallback()).texts();
            let (code, text) = match AppError::from(e) {
                AppError::NotFound => (StatusCode::NOT_FOUND, t.not_found),
                AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, t.server_error),
                _ => (StatusCode::SERVICE_UNAVAILABLE, t.unavailable),
            };
            return (code, text).into_response();
        }
    };
    let lang = language(uri, headers, site.default_lang);
    let Some(doc) = site.doc(&key(lang)) else {
        let t = lang.texts();
        return (StatusCode::NOT_FOUND, t.not_found).into_response();
    };
    let last_modified = doc
        .last_modified
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let mut common = vec![
        (header::ETAG, doc.etag.clone()),
        (header::LAST_MODIFIED, last_modified),
        (header::CACHE_CONTROL, "public, max-age=10".to_owned()),
    ];
    if by_language {
        common.push((header::VARY, "Accept-Language".to_owned()));
    }
    if let Some(lang) = doc.lang {
        common.push((header::CONTENT_LANGUAGE, lang.code().to_owned()));
    }
    let mut response = match unchanged(headers, doc) {
        true => StatusCode::NOT_MODIFIED.into_response(),
        false => (
            [(header::CONTENT_TYPE, doc.content_type)],
            doc.bytes.clone(),
        )
            .into_response(),
    };
    for (name, value) in common {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// The browser has these bytes: by the `ETag` it sends, or when it sends none, by its copy
/// being as new as the bytes (`If-Modified-Since`, to the second).
fn unchanged(headers: &HeaderMap, doc: &Doc) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return tags
            .split(',')
            .any(|tag| tag.trim() == doc.etag || tag.trim() == "*");
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| doc.last_modified.timestamp() <= since.timestamp())
}

/// The public page. Outside the staff pages' frame: no session or CSRF cookie is read or
/// set, so it may be cached (briefly, by anyone). It is made once per change and served
/// from memory; a browser that has it gets `304 Not Modified` by its `ETag` (a hash of
/// the bytes) or its `Last-Modified`.
pub async fn public(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&state, &slug, &uri, &headers, DocKey::Page, true).await
}

/// The notices as an Atom feed, in the language asked for (`?lang=`), else the browser's.
pub async fn atom(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&state, &slug, &uri, &headers, DocKey::Atom, true).await
}

/// The notices as a JSON Feed 1.1.
pub async fn json(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&state, &slug, &uri, &headers, DocKey::Json, true).await
}

/// The CAP 1.2 messages now current, one per notice, inline in an Atom feed.
pub async fn cap_index(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    serve(&state, &slug, &uri, &headers, |_| DocKey::CapIndex, false).await
}

/// One CAP 1.2 message (`{identifier}.xml`), as referred to by later ones.
pub async fn cap_message(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let identifier = file.strip_suffix(".xml").unwrap_or_default().to_owned();
    serve(
        &state,
        &slug,
        &uri,
        &headers,
        move |_| DocKey::Cap(identifier),
        false,
    )
    .await
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
    notices: Vec<super::notices::NoticeRow>,
    may_update: bool,
    /// Title, when, and whether from an exercise.
    press: Vec<(String, String, bool)>,
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

async fn form_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    form: &ContactsForm,
    errors: Option<&FieldErrors>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let notices = use_case::notices(&state.app, &me.caller(), &me.org).await?;
    let press = use_case::press_releases(&state.app, &me.caller(), &me.org).await?;
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
            notices: super::notices::rows(t, me, &notices),
            may_update: true,
            press: press
                .iter()
                .map(|p| {
                    (
                        p.title.clone(),
                        super::when(p.published_at, me.org.zone()),
                        p.exercise,
                    )
                })
                .collect(),
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
    form_page(&state, &ctx, &me, &form, None).await
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
            AppError::Invalid(errors) => form_page(&state, &ctx, &me, &form, Some(&errors)).await,
            other => Err(other.into()),
        },
    }
}
