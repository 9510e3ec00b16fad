//! Enrolment: the one-time link from an administrator, where a person chooses a password,
//! connects an authenticator app and gets recovery codes to print.

use super::{render, Page, WebContext, WebError};
use crate::accounts::secret_hash;
use crate::credentials::{password, recovery, totp};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use beredskap_core::auth::{Enrolment, NewCredentials};
use beredskap_core::StoreError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    page: Page,
    name: String,
    login: String,
    totp_secret: String,
    qr_svg: String,
    password_error: Option<&'static str>,
    code_error: Option<&'static str>,
    /// The organisation lets this person skip the app.
    app_optional: bool,
}

#[derive(Template)]
#[template(path = "enrolled.html")]
struct EnrolledPage {
    page: Page,
    codes: Vec<String>,
    org: String,
}

/// The enrolment behind a link, or the page that explains why it cannot be used.
async fn open_enrolment(
    state: &AppState,
    ctx: &WebContext,
    secret: &str,
) -> Result<(Enrolment, String, bool), WebError> {
    let t = ctx.t();
    let enrolment = state
        .store
        .enrolment(&secret_hash(secret))
        .await?
        .ok_or(WebError(AppError::NotFound, Some(t.link_unknown)))?;
    if enrolment.used_at.is_some() {
        return Err(WebError(AppError::NotFound, Some(t.link_used)));
    }
    if enrolment.expires_at <= state.clock.now() {
        return Err(WebError(AppError::NotFound, Some(t.link_expired)));
    }
    let name = state
        .store
        .person(enrolment.account.org_id, enrolment.account.person_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let app_optional = state
        .store
        .org(enrolment.account.org_id)
        .await?
        .is_some_and(|org| !org.needs_second_factor(enrolment.account.role));
    Ok((enrolment, name, app_optional))
}

struct Problems {
    password: Option<&'static str>,
    code: Option<&'static str>,
}

fn enrol_page(
    ctx: &WebContext,
    enrolment: &Enrolment,
    name: String,
    secret: &[u8],
    problems: Problems,
    app_optional: bool,
) -> Result<EnrolPage, WebError> {
    let login = enrolment.account.login.to_string();
    let url = totp::otpauth_url(secret, "Beredskap", &login)
        .map_err(|e| WebError(AppError::Internal(e), None))?;
    Ok(EnrolPage {
        page: Page::new(ctx, ctx.t().enrol_title),
        name,
        login,
        totp_secret: totp::secret_base32(secret),
        qr_svg: totp::qr_svg(&url).map_err(|e| WebError(AppError::Internal(e), None))?,
        password_error: problems.password,
        code_error: problems.code,
        app_optional,
    })
}

pub async fn form(
    State(state): State<AppState>,
    ctx: WebContext,
    Path(secret): Path<String>,
) -> Result<Response, WebError> {
    let (enrolment, name, app_optional) = open_enrolment(&state, &ctx, &secret).await?;
    let none = Problems {
        password: None,
        code: None,
    };
    let page = enrol_page(
        &ctx,
        &enrolment,
        name,
        &totp::new_secret(),
        none,
        app_optional,
    )?;
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct EnrolForm {
    csrf: String,
    password: String,
    password_again: String,
    /// The app secret shown on the form, sent back so the QR code stays valid on errors.
    totp_secret: String,
    code: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(form): Form<EnrolForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let t = ctx.t();
    let (enrolment, name, app_optional) = open_enrolment(&state, &ctx, &secret).await?;
    let totp_secret = totp_rs::Secret::Encoded(form.totp_secret.clone())
        .to_bytes()
        .ok()
        .filter(|s| s.len() >= 16)
        .unwrap_or_else(totp::new_secret);
    let login = enrolment.account.login.to_string();
    let password_error = match password::check_strength(&form.password, &[&name, &login]) {
        Err(problem) => Some(t.password_problem(&problem)),
        Ok(()) if form.password != form.password_again => Some(t.passwords_differ),
        Ok(()) => None,
    };
    let now = state.clock.now();
    let now_unix = u64::try_from(now.timestamp()).unwrap_or(0);
    let skipped = app_optional && form.code.trim().is_empty();
    let step = totp::verify(&totp_secret, &form.code, now_unix, None);
    let code_error = (step.is_none() && !skipped).then_some(t.wrong_app_code);
    if password_error.is_some() || code_error.is_some() {
        let problems = Problems {
            password: password_error,
            code: code_error,
        };
        let page = enrol_page(&ctx, &enrolment, name, &totp_secret, problems, app_optional)?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let codes = recovery::new_set();
    // The password first, then the recovery codes' secrets, in one job for the pool.
    let secrets = std::iter::once(form.password.clone())
        .chain(codes.iter().map(|c| c.secret.clone()))
        .collect();
    let mut hashes = state
        .hashing
        .hash_all(secrets)
        .await
        .map_err(AppError::from)?
        .map_err(|e| WebError(AppError::Internal(e.to_string()), None))?
        .into_iter();
    let password_hash = hashes
        .next()
        .ok_or_else(|| WebError(AppError::Internal("no password hash".into()), None))?;
    let code_hashes: Vec<String> = hashes.collect();
    let credentials = NewCredentials {
        password_hash,
        totp_secret: step.map(|_| totp_secret),
        totp_last_step: step,
        recovery_codes: codes
            .iter()
            .zip(code_hashes)
            .map(|(c, h)| (c.id.clone(), h))
            .collect(),
    };
    match state
        .store
        .complete_enrolment(&secret_hash(&secret), credentials, now)
        .await
    {
        Ok(_) => {}
        // Used or expired between opening the form and sending it.
        Err(StoreError::Invalid(_)) => return Err(WebError(AppError::NotFound, Some(t.link_used))),
        Err(e) => return Err(e.into()),
    }
    let org = state
        .store
        .org(enrolment.account.org_id)
        .await?
        .map(|o| o.slug.to_string())
        .unwrap_or_default();
    render(
        StatusCode::OK,
        &EnrolledPage {
            page: Page::new(&ctx, t.recovery_title),
            codes: codes.into_iter().map(|c| c.printed).collect(),
            org,
        },
    )
}
