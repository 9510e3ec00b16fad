//! Signing in: password first, then a code from the authenticator app or a recovery code.

use super::session::{SignedIn, PENDING_COOKIE, SESSION_COOKIE};
use super::{cookie_value, render, with_cookies, Page, WebContext, WebError};
use crate::accounts::{new_secret, secret_hash};
use crate::credentials::constant_time_eq;
use crate::credentials::{recovery, totp};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_core::auth::{
    AttemptReservation, NewSession, Reserved, SecondFactor, SessionId, ThrottlePolicy,
};
use beredskap_core::register::{Account, Org};
use beredskap_core::{Actor, EmailAddress, Slug};
use serde::Deserialize;
use std::net::SocketAddr;

/// How long the second step may take after the password was accepted.
const PENDING_MINUTES: i64 = 10;
/// Wrong codes allowed in one sign-in before it starts over.
const MAX_CODE_ATTEMPTS: u32 = 5;

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
        let orgs = state.store.list_orgs().await?;
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

/// A hash to verify against when the login is unknown, so a wrong login takes as long
/// as a wrong password and does not reveal which accounts exist. It has the parameters of
/// every stored hash; no password produces its all-zero output.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lkZWNveWRlY295$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

pub(super) fn client(headers: &HeaderMap, addr: SocketAddr) -> (String, String) {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    (addr.ip().to_string(), agent)
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
    let orgs = state.store.list_orgs().await?;
    let org = match Slug::parse(&typed_slug(&form.org)) {
        Ok(slug) => orgs.into_iter().find(|o| o.slug == slug),
        Err(_) if orgs.len() == 1 => orgs.into_iter().next(),
        Err(_) => None,
    };
    let email = form.email.as_str();
    let Some(org) = org else {
        let error = Some(t.wrong_credentials.to_owned());
        let status = StatusCode::UNAUTHORIZED;
        return sign_in_again(
            &state,
            &ctx,
            &headers,
            Some(&form.org),
            email,
            error,
            status,
        )
        .await;
    };
    let slug = org.slug.to_string();
    let (ip, agent) = client(&headers, addr);
    let keys = throttle_keys(&org, email, &ip);
    // Counted before the password is checked, so a burst cannot be checked past the limit.
    let reserved = match reserve(&state, &keys).await? {
        Ok(reserved) => reserved,
        Err(wait) => {
            let error = Some(t.throttled_for(wait));
            let status = StatusCode::TOO_MANY_REQUESTS;
            return sign_in_again(&state, &ctx, &headers, Some(&slug), email, error, status).await;
        }
    };
    let account = match EmailAddress::parse(email) {
        Ok(login) => state.store.account_by_login(org.id, &login).await?,
        Err(_) => None,
    };
    let credentials = match &account {
        Some(a) => Some(state.store.credentials(org.id, a.id).await?),
        None => None,
    };
    let stored_hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let checked_hash = stored_hash.clone().unwrap_or_else(|| DECOY_HASH.to_owned());
    let verified = match state
        .hashing
        .verify(form.password.clone(), checked_hash)
        .await
    {
        Ok(verified) => verified,
        Err(_busy) => {
            // Not checked, so not counted.
            state.store.refund_attempt(&reserved).await?;
            let error = Some(t.sign_in_busy.to_owned());
            let status = StatusCode::SERVICE_UNAVAILABLE;
            let page =
                sign_in_again(&state, &ctx, &headers, Some(&slug), email, error, status).await?;
            return Ok(crate::error::retry_later(page));
        }
    };
    let password_ok = verified && stored_hash.is_some();
    let has_totp = credentials
        .as_ref()
        .is_some_and(|c| c.totp_secret.is_some());
    let has_passkey = match (&account, password_ok) {
        (Some(a), true) => !state.store.passkeys(org.id, a.id).await?.is_empty(),
        _ => false,
    };
    let needs_factor = account
        .as_ref()
        .is_none_or(|a| org.needs_second_factor(a.role));
    let refused = match (&account, password_ok) {
        (None, _) => Some("unknown login"),
        (Some(_), false) => Some("wrong password"),
        (Some(_), true) => None,
    };
    if let Some(reason) = refused {
        let account_id = account.as_ref().map(|a| a.id);
        let failure = Failure {
            org: org.id,
            account: account_id,
            login: email,
            reason,
            ip: &ip,
        };
        let error = refuse(&state, &ctx, reserved.lockout, failure).await?;
        let status = StatusCode::UNAUTHORIZED;
        return sign_in_again(
            &state,
            &ctx,
            &headers,
            Some(&slug),
            email,
            Some(error),
            status,
        )
        .await;
    }
    // The password was right: this attempt was no failure.
    state.store.refund_attempt(&reserved).await?;
    let Some(account) = account else {
        return Err(AppError::Unauthorized.into());
    };
    if !has_totp && !has_passkey {
        if needs_factor {
            // The password was right, so saying what is missing reveals nothing new.
            let reason = "no second factor";
            state
                .store
                .record_sign_in_failure(org.id, Some(account.id), email, reason, &ip)
                .await?;
            let error = Some(t.second_factor_missing.to_owned());
            let status = StatusCode::FORBIDDEN;
            return sign_in_again(&state, &ctx, &headers, Some(&slug), email, error, status).await;
        }
        // The organisation lets this person sign in with the password alone.
        let cookies = start_session(&state, &ctx, "", &keys, account, None, ip, agent).await?;
        return Ok(with_cookies(Redirect::to("/").into_response(), cookies));
    }
    let secret = new_secret();
    let expires = state.clock.now() + chrono::Duration::minutes(PENDING_MINUTES);
    state
        .store
        .create_pending_sign_in(&secret_hash(&secret), &account, expires, None)
        .await?;
    let cookie = ctx.cookie(PENDING_COOKIE, &secret, Some(PENDING_MINUTES * 60));
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/sign-in/code"),
    )
        .into_response())
}

/// A refused sign-in, as the journal records it (never the secret tried).
pub(super) struct Failure<'a> {
    pub org: beredskap_core::OrgId,
    pub account: Option<beredskap_core::AccountId>,
    pub login: &'a str,
    pub reason: &'a str,
    pub ip: &'a str,
}

/// Journals a refused sign-in, already counted by `reserve`; returns what to tell the
/// person: that sign-in is now locked, when counting this attempt locked it.
pub(super) async fn refuse(
    state: &AppState,
    ctx: &WebContext,
    lockout: Option<chrono::DateTime<chrono::Utc>>,
    failure: Failure<'_>,
) -> Result<String, WebError> {
    let locked = lockout.map(|until| until - state.clock.now());
    let reason = match locked {
        Some(wait) => format!(
            "{}; sign-in locked for {} s",
            failure.reason,
            wait.num_seconds()
        ),
        None => failure.reason.to_owned(),
    };
    state
        .store
        .record_sign_in_failure(
            failure.org,
            failure.account,
            failure.login,
            &reason,
            failure.ip,
        )
        .await?;
    Ok(match locked {
        Some(wait) => ctx.t().throttled_for(wait),
        None => ctx.t().wrong_credentials.to_owned(),
    })
}

/// Counts an attempt under every key before its secret is checked. `Ok` with what was
/// counted (to refund if the secret is right), or `Err` with how long sign-in is still
/// locked, when nothing may be checked.
pub(super) async fn reserve(
    state: &AppState,
    keys: &[(String, ThrottlePolicy)],
) -> Result<Result<Reserved, chrono::Duration>, WebError> {
    let now = state.clock.now();
    Ok(match state.store.reserve_attempt(keys, now).await? {
        AttemptReservation::Granted(reserved) => Ok(reserved),
        AttemptReservation::Locked { until } => Err(until - now),
    })
}

/// The keys failures are counted under: the login typed (known or not) and the address.
pub(super) fn throttle_keys(org: &Org, login: &str, ip: &str) -> [(String, ThrottlePolicy); 2] {
    [
        (
            format!("login:{}:{}", org.slug, login.trim().to_lowercase()),
            ThrottlePolicy::ACCOUNT,
        ),
        (format!("ip:{ip}"), ThrottlePolicy::ADDRESS),
    ]
}

/// How long sign-in is still locked for any of the keys.
pub(super) async fn blocked(
    state: &AppState,
    keys: &[(String, ThrottlePolicy)],
) -> Result<Option<chrono::Duration>, WebError> {
    let now = state.clock.now();
    let mut longest = None;
    for (key, _) in keys {
        let wait = state.store.throttle(key).await?.blocked_at(now);
        longest = longest.max(wait);
    }
    Ok(longest)
}

/// A sign-in between its first and second step.
pub(super) struct Pending {
    pub hash: String,
    pub account: Account,
    /// Set when the second step is a one-time code sent to the person.
    pub code_hash: Option<String>,
}

pub(super) async fn pending(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Pending>, WebError> {
    let Some(secret) = cookie_value(headers, PENDING_COOKIE, state.config.secure_cookies()) else {
        return Ok(None);
    };
    let hash = secret_hash(secret);
    Ok(state
        .store
        .pending_sign_in(&hash, state.clock.now())
        .await?
        .map(|(account, _attempts, code_hash)| Pending {
            hash,
            account,
            code_hash,
        }))
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

/// Checks a typed code as a TOTP code, then as a recovery code; marks it used.
async fn check_code(
    state: &AppState,
    account: &Account,
    code: &str,
    sent_code_hash: Option<&str>,
) -> Result<Option<SecondFactor>, WebError> {
    // A sign-in started with a sent code takes that code and nothing else.
    if let Some(expected) = sent_code_hash {
        let typed: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
        let matches = constant_time_eq(secret_hash(&typed).as_bytes(), expected.as_bytes());
        return Ok(matches.then_some(SecondFactor::FallbackCode));
    }
    let credentials = state.store.credentials(account.org_id, account.id).await?;
    if let Some(secret) = &credentials.totp_secret {
        let now = u64::try_from(state.clock.now().timestamp()).unwrap_or(0);
        if let Some(step) = totp::verify(secret, code, now, credentials.totp_last_step) {
            if state
                .store
                .use_totp_step(account.org_id, account.id, step)
                .await?
            {
                return Ok(Some(SecondFactor::Totp));
            }
        }
    }
    if let Some((id, secret)) = recovery::parse(code) {
        let stored = state
            .store
            .recovery_code_hash(account.org_id, account.id, &id)
            .await?;
        if let Some(hash) = stored {
            if state
                .hashing
                .verify(secret, hash)
                .await
                .map_err(AppError::from)?
                && state
                    .store
                    .use_recovery_code(&Actor::account(account.id), account.org_id, account.id, &id)
                    .await?
            {
                return Ok(Some(SecondFactor::RecoveryCode));
            }
        }
    }
    Ok(None)
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
    let Some(Pending {
        hash: pending_hash,
        account,
        code_hash,
        ..
    }) = pending(&state, &headers).await?
    else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let (ip, agent) = client(&headers, addr);
    let org = state
        .store
        .org(account.org_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let keys = throttle_keys(&org, account.login.as_str(), &ip);
    let now = state.clock.now();
    // Both counts are taken before the code is looked at: one pending sign-in gets at
    // most MAX_CODE_ATTEMPTS checks, however many arrive at once.
    let reserved = state
        .store
        .reserve_pending_attempt(&pending_hash, MAX_CODE_ATTEMPTS, now)
        .await?;
    let Some(attempts) = reserved else {
        state.store.delete_pending_sign_in(&pending_hash).await?;
        let error = Some(t.too_many_attempts.to_owned());
        return sign_in_again(
            &state,
            &ctx,
            &headers,
            None,
            "",
            error,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    };
    let reserved = match reserve(&state, &keys).await? {
        Ok(reserved) => reserved,
        Err(wait) => {
            state.store.delete_pending_sign_in(&pending_hash).await?;
            let error = Some(t.throttled_for(wait));
            return sign_in_again(
                &state,
                &ctx,
                &headers,
                None,
                "",
                error,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
    };
    let factor = match check_code(&state, &account, &form.code, code_hash.as_deref()).await {
        Ok(factor) => factor,
        Err(e) => {
            // Not checked (the server was busy, or failed), so not counted.
            state.store.refund_attempt(&reserved).await?;
            return Err(e);
        }
    };
    let Some(factor) = factor else {
        let failure = Failure {
            org: org.id,
            account: Some(account.id),
            login: account.login.as_str(),
            reason: "wrong code",
            ip: &ip,
        };
        let message = refuse(&state, &ctx, reserved.lockout, failure).await?;
        if reserved.lockout.is_some() {
            state.store.delete_pending_sign_in(&pending_hash).await?;
            let status = StatusCode::TOO_MANY_REQUESTS;
            return sign_in_again(&state, &ctx, &headers, None, "", Some(message), status).await;
        }
        if attempts >= MAX_CODE_ATTEMPTS {
            state.store.delete_pending_sign_in(&pending_hash).await?;
            let error = Some(t.too_many_attempts.to_owned());
            return sign_in_again(
                &state,
                &ctx,
                &headers,
                None,
                "",
                error,
                StatusCode::UNAUTHORIZED,
            )
            .await;
        }
        let page = CodePage {
            page: Page::new(&ctx, t.second_factor_title),
            error: Some(t.wrong_code),
            notice: None,
        };
        return render(StatusCode::UNAUTHORIZED, &page);
    };
    state.store.refund_attempt(&reserved).await?;
    let cookies = start_session(
        &state,
        &ctx,
        &pending_hash,
        &keys,
        account,
        Some(factor),
        ip,
        agent,
    )
    .await?;
    Ok(with_cookies(Redirect::to("/").into_response(), cookies))
}

/// Ends a pending sign-in with a session; returns the cookies to set. The attempt that
/// got here was refunded by the caller; the login's earlier failures are forgotten.
#[allow(clippy::too_many_arguments)]
pub(super) async fn start_session(
    state: &AppState,
    ctx: &WebContext,
    pending_hash: &str,
    keys: &[(String, ThrottlePolicy)],
    account: Account,
    factor: Option<SecondFactor>,
    ip: String,
    user_agent: String,
) -> Result<Vec<axum::http::HeaderValue>, WebError> {
    state.store.delete_pending_sign_in(pending_hash).await?;
    let org_id = account.org_id;
    if let Some((login_key, _)) = keys.first() {
        state.store.clear_throttle(login_key).await?;
    }
    let secret = new_secret();
    let max_age = i64::from(state.config.session_max_hours) * 3600;
    // The person's own language follows them to this device; until they choose one, the
    // organisation's, unless this device chose one.
    let org_language = match ctx.lang_chosen {
        true => None,
        false => state
            .store
            .org(account.org_id)
            .await?
            .map(|org| org.language_code().to_owned()),
    };
    let language = account
        .language
        .as_deref()
        .or(org_language.as_deref())
        .and_then(super::i18n::Lang::parse)
        .map(|lang| ctx.cookie(super::LANG_COOKIE, lang.code(), Some(365 * 24 * 3600)));
    state
        .store
        .create_session(NewSession {
            id: SessionId::new(),
            secret_hash: secret_hash(&secret),
            account,
            expires_at: state.clock.now() + chrono::Duration::seconds(max_age),
            second_factor: factor,
            user_agent,
            ip,
        })
        .await?;
    let mut cookies = vec![
        ctx.cookie(SESSION_COOKIE, &secret, Some(max_age)),
        ctx.cookie(PENDING_COOKIE, "", Some(0)),
    ];
    cookies.extend(language);
    // The device remembers the organisation, so the next sign-in needs no address.
    if let Some(org) = state.store.org(org_id).await? {
        let year = Some(365 * 24 * 3600);
        cookies.push(ctx.cookie(LAST_ORG_COOKIE, org.slug.as_str(), year));
    }
    Ok(cookies)
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
    let actor = Actor::account(signed_in.account.id);
    state
        .store
        .revoke_session(&actor, signed_in.org.id, signed_in.session.id)
        .await?;
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
