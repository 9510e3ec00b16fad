//! Signing in: password first, then a code from the authenticator app or a recovery code.

use super::session::{SignedIn, PENDING_COOKIE, SESSION_COOKIE};
use super::{cookie_value, render, with_cookies, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::sign_in::{self, AfterPassword, Client, Refusal, Started};
use beredskap_core::register::Org;
use beredskap_core::Slug;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    page: Page,
    choice: OrgChoice,
    email: String,
    error: Option<String>,
    /// Whether the chosen organisation lets people sign in with a one-time code.
    fallback: bool,
}

/// The cookie that remembers, on this device, the organisation last signed in to.
pub(super) const LAST_ORG_COOKIE: &str = "org";

/// How the sign-in page asks which organisation: it never lists the server's
/// organisations unless `list_organisations` is on.
pub(super) enum OrgChoice {
    /// The server has no organisation yet.
    None,
    /// Known from the address (`/o/{slug}/sign-in`), the device, or the only one there is.
    /// `other` offers to type another one.
    Known { org: Org, other: bool },
    /// Every organisation, to choose from (`list_organisations = true`).
    Listed { orgs: Vec<Org>, selected: String },
    /// Typed by the person: the organisation's short name from its address.
    Typed(String),
}

impl OrgChoice {
    /// `wanted` is a slug from the address or a refused form; `remembered` whether the
    /// device's remembered organisation may be used.
    pub(super) async fn make(
        state: &AppState,
        headers: &HeaderMap,
        wanted: Option<&str>,
        remembered: bool,
    ) -> Result<OrgChoice, WebError> {
        let orgs = sign_in::organisations(&state.app)
            .await
            .map_err(AppError::from)?;
        let several = orgs.len() > 1;
        let find = |slug: &str| orgs.iter().find(|o| o.slug.as_str() == slug).cloned();
        if state.config.list_organisations {
            let selected = wanted
                .and_then(find)
                .or_else(|| orgs.first().cloned())
                .map(|o| o.slug.to_string())
                .unwrap_or_default();
            return Ok(match orgs.is_empty() {
                true => OrgChoice::None,
                false => OrgChoice::Listed { orgs, selected },
            });
        }
        if let Some(slug) = wanted.filter(|s| !s.is_empty()) {
            return Ok(match find(slug) {
                Some(org) => OrgChoice::Known {
                    org,
                    other: several,
                },
                None => OrgChoice::Typed(slug.to_owned()),
            });
        }
        if !several {
            return Ok(match orgs.into_iter().next() {
                Some(org) => OrgChoice::Known { org, other: false },
                None => OrgChoice::None,
            });
        }
        let secure = state.config.secure_cookies();
        let last = cookie_value(headers, LAST_ORG_COOKIE, secure).filter(|_| remembered);
        Ok(match last.and_then(find) {
            Some(org) => OrgChoice::Known { org, other: true },
            None => OrgChoice::Typed(String::new()),
        })
    }

    /// The slug the form sends when the person does not choose.
    fn slug(&self) -> &str {
        match self {
            OrgChoice::Known { org, .. } => org.slug.as_str(),
            OrgChoice::Listed { selected, .. } => selected,
            OrgChoice::Typed(typed) => typed,
            OrgChoice::None => "",
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    page: Page,
    error: Option<&'static str>,
    /// Shown after a one-time code was asked for.
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct OrgQuery {
    org: Option<String>,
    /// Ask for the organisation even if the device remembers one.
    #[serde(default)]
    other: Option<String>,
}

fn sign_in_page(
    ctx: &WebContext,
    choice: OrgChoice,
    email: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let fallback = match &choice {
        OrgChoice::Known { org, .. } => org.fallback_sign_in,
        OrgChoice::Listed { orgs, selected } => orgs
            .iter()
            .any(|o| o.slug.as_str() == selected && o.fallback_sign_in),
        OrgChoice::Typed(_) | OrgChoice::None => false,
    };
    render(
        status,
        &SignInPage {
            page: Page::new(ctx, ctx.t().sign_in),
            choice,
            email: email.to_owned(),
            error,
            fallback,
        },
    )
}

/// The organisation's short name from what a person typed: the name itself in any case,
/// or its whole sign-in address pasted from a mail.
pub(super) fn typed_slug(typed: &str) -> String {
    let typed = typed.trim();
    let slug = match typed.find("/o/") {
        Some(at) => typed[at + 3..].split('/').next().unwrap_or(""),
        None => typed,
    };
    slug.to_lowercase()
}

/// The sign-in page again, after a refusal, for the organisation tried (`wanted`) or the
/// one the device remembers.
async fn sign_in_again(
    state: &AppState,
    ctx: &WebContext,
    headers: &HeaderMap,
    wanted: Option<&str>,
    email: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let choice = OrgChoice::make(state, headers, wanted, true).await?;
    sign_in_page(ctx, choice, email, error, status)
}

/// `/sign-in`: the organisation from `?org=`, the device, or the only one there is.
pub async fn form(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    Query(query): Query<OrgQuery>,
) -> Result<Response, WebError> {
    let remembered = query.other.is_none();
    let choice = OrgChoice::make(&state, &headers, query.org.as_deref(), remembered).await?;
    sign_in_page(&ctx, choice, "", None, StatusCode::OK)
}

/// `/o/{slug}/sign-in`: an organisation's own sign-in address. An unknown one is not found.
pub async fn org_form(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let choice = OrgChoice::make(&state, &headers, Some(&slug), false).await?;
    if matches!(choice, OrgChoice::Typed(_) | OrgChoice::None)
        || (matches!(choice, OrgChoice::Listed { .. }) && choice.slug() != slug)
    {
        return Err(AppError::NotFound.into());
    }
    sign_in_page(&ctx, choice, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
    #[serde(default)]
    org: String,
    email: String,
    password: String,
}

pub(super) fn client(headers: &HeaderMap, addr: SocketAddr) -> Client {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    Client {
        ip: addr.ip().to_string(),
        user_agent,
    }
}

/// What a refusal tells the person, and with which status.
pub(super) fn refusal_text(ctx: &WebContext, refusal: Refusal) -> (String, StatusCode) {
    let t = ctx.t();
    match refusal {
        Refusal::WrongCredentials => (t.wrong_credentials.to_owned(), StatusCode::UNAUTHORIZED),
        Refusal::Locked(wait) => (t.throttled_for(wait), StatusCode::TOO_MANY_REQUESTS),
        // This attempt was checked, and was wrong.
        Refusal::WrongNowLocked(wait) => (t.throttled_for(wait), StatusCode::UNAUTHORIZED),
        Refusal::SecondFactorMissing => (t.second_factor_missing.to_owned(), StatusCode::FORBIDDEN),
        Refusal::TooManyAttempts | Refusal::NotStarted => {
            (t.too_many_attempts.to_owned(), StatusCode::UNAUTHORIZED)
        }
        Refusal::WrongCode => (t.wrong_code.to_owned(), StatusCode::UNAUTHORIZED),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: WebContext,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let t = ctx.t();
    let orgs = sign_in::organisations(&state.app)
        .await
        .map_err(AppError::from)?;
    let org = match Slug::parse(&typed_slug(&form.org)) {
        Ok(slug) => orgs.into_iter().find(|o| o.slug == slug),
        Err(_) if orgs.len() == 1 => orgs.into_iter().next(),
        Err(_) => None,
    };
    let email = form.email.as_str();
    let Some(org) = org else {
        state
            .metrics
            .sign_in_refused(Refusal::WrongCredentials.code());
        let error = Some(t.wrong_credentials.to_owned());
        let status = StatusCode::UNAUTHORIZED;
        let wanted = Some(form.org.as_str());
        return sign_in_again(&state, &ctx, &headers, wanted, email, error, status).await;
    };
    let slug = org.slug.to_string();
    let client = client(&headers, addr);
    let outcome = sign_in::with_password(
        &state.app,
        &state.sign_in,
        &org,
        email,
        &form.password,
        &client,
    )
    .await;
    if let Ok(Err(refusal)) = &outcome {
        state.metrics.sign_in_refused(refusal.code());
    }
    match outcome {
        Ok(Ok(AfterPassword::SignedIn(started))) => {
            let cookies = session_cookies(&ctx, *started);
            Ok(with_cookies(Redirect::to("/").into_response(), cookies))
        }
        Ok(Ok(AfterPassword::SecondStep {
            pending_secret,
            valid_for,
        })) => {
            let max_age = Some(valid_for.num_seconds());
            let cookie = ctx.cookie(PENDING_COOKIE, &pending_secret, max_age);
            Ok((
                [(header::SET_COOKIE, cookie)],
                Redirect::to("/sign-in/code"),
            )
                .into_response())
        }
        Ok(Err(refusal)) => {
            let (error, status) = refusal_text(&ctx, refusal);
            let wanted = Some(slug.as_str());
            sign_in_again(&state, &ctx, &headers, wanted, email, Some(error), status).await
        }
        Err(beredskap_app::Error::Busy) => {
            let error = Some(t.sign_in_busy.to_owned());
            let status = StatusCode::SERVICE_UNAVAILABLE;
            let page =
                sign_in_again(&state, &ctx, &headers, Some(&slug), email, error, status).await?;
            Ok(crate::error::retry_later(page))
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// The secret of the sign-in waiting for its second step on this device, if any.
pub(super) fn pending_secret<'h>(state: &AppState, headers: &'h HeaderMap) -> Option<&'h str> {
    cookie_value(headers, PENDING_COOKIE, state.config.secure_cookies())
}

/// The sign-in waiting for its second step on this device, if it has not expired.
pub(super) async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<sign_in::Pending>, WebError> {
    match pending_secret(state, headers) {
        Some(secret) => Ok(sign_in::pending(&state.app, secret)
            .await
            .map_err(AppError::from)?),
        None => Ok(None),
    }
}

#[derive(Deserialize)]
pub struct CodeQuery {
    sent: Option<u8>,
}

pub async fn code_form(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    Query(query): Query<CodeQuery>,
) -> Result<Response, WebError> {
    // After asking for a one-time code the page looks the same whether or not one was sent.
    if query.sent.is_none() && pending(&state, &headers).await?.is_none() {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    render(
        StatusCode::OK,
        &CodePage {
            page: Page::new(&ctx, ctx.t().second_factor_title),
            error: None,
            notice: query.sent.map(|_| ctx.t().code_sent),
        },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

pub async fn code_submit(
    State(state): State<AppState>,
    ctx: WebContext,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let t = ctx.t();
    let Some(secret) = pending_secret(&state, &headers) else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let client = client(&headers, addr);
    let outcome = sign_in::with_code(&state.app, &state.sign_in, secret, &form.code, &client)
        .await
        .map_err(AppError::from)?;
    if let Err(refusal) = &outcome {
        state.metrics.sign_in_refused(refusal.code());
    }
    match outcome {
        Ok(started) => {
            let cookies = session_cookies(&ctx, started);
            Ok(with_cookies(Redirect::to("/").into_response(), cookies))
        }
        Err(Refusal::NotStarted) => Ok(Redirect::to("/sign-in").into_response()),
        // Another code may be tried on the same page.
        Err(Refusal::WrongCode) => {
            let page = CodePage {
                page: Page::new(&ctx, t.second_factor_title),
                error: Some(t.wrong_code),
                notice: None,
            };
            render(StatusCode::UNAUTHORIZED, &page)
        }
        // The sign-in is over: it starts again from the password.
        Err(Refusal::WrongNowLocked(wait)) => {
            let (error, status) = (t.throttled_for(wait), StatusCode::TOO_MANY_REQUESTS);
            sign_in_again(&state, &ctx, &headers, None, "", Some(error), status).await
        }
        Err(refusal) => {
            let (error, status) = refusal_text(&ctx, refusal);
            sign_in_again(&state, &ctx, &headers, None, "", Some(error), status).await
        }
    }
}

/// The cookies a new session sets: its secret, the pending sign-in cleared, the language
/// and the organisation this device remembers.
pub(super) fn session_cookies(ctx: &WebContext, started: Started) -> Vec<HeaderValue> {
    let max_age = started.max_age.num_seconds();
    // The person's own language follows them to this device; until they choose one, the
    // organisation's, unless this device chose one.
    let org_language = (!ctx.lang_chosen).then(|| started.org.language_code().to_owned());
    let language = started
        .account
        .language
        .as_deref()
        .or(org_language.as_deref())
        .and_then(super::i18n::Lang::parse)
        .map(|lang| ctx.cookie(super::LANG_COOKIE, lang.code(), Some(365 * 24 * 3600)));
    let mut cookies = vec![
        ctx.cookie(SESSION_COOKIE, &started.secret, Some(max_age)),
        ctx.cookie(PENDING_COOKIE, "", Some(0)),
    ];
    cookies.extend(language);
    // The device remembers the organisation, so the next sign-in needs no address.
    let year = Some(365 * 24 * 3600);
    cookies.push(ctx.cookie(LAST_ORG_COOKIE, started.org.slug.as_str(), year));
    cookies
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    signed_in: SignedIn,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let caller = signed_in.caller();
    let session = signed_in.session.id;
    beredskap_app::accounts::end_session(&state.app, &caller, &signed_in.org, session)
        .await
        .map_err(AppError::from)?;
    Ok((
        [
            (header::SET_COOKIE, ctx.cookie(SESSION_COOKIE, "", Some(0))),
            // Pages kept for offline reading hold messages: none may outlive the session
            // on a shared or lost device.
            (
                HeaderName::from_static("clear-site-data"),
                HeaderValue::from_static("\"cache\", \"storage\""),
            ),
        ],
        Redirect::to("/sign-in"),
    )
        .into_response())
}
