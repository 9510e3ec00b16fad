//! Enrolment: the one-time link from an administrator, where a person chooses a password,
//! connects an authenticator app and gets recovery codes to print.

use super::{render, Page, WebContext, WebError};
use crate::credentials::totp;
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use beredskap_app::sign_in::{
    self, EnrolmentAnswers, EnrolmentOutcome, LinkProblem, OpenEnrolment, PasswordAnswerProblem,
};
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
    /// The password as typed, when only the code was wrong: nobody should have to type a
    /// good password twice because of a code that expired. The page is never cached.
    kept_password: String,
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

/// The page that explains why a link cannot be used.
fn link_refused(ctx: &WebContext, problem: LinkProblem) -> WebError {
    let t = ctx.t();
    let text = match problem {
        LinkProblem::Unknown => t.link_unknown,
        LinkProblem::Used => t.link_used,
        LinkProblem::Expired => t.link_expired,
    };
    WebError(AppError::NotFound, Some(text))
}

/// The `otpauth://` link as an SVG QR code, to show inline in the page.
fn qr_svg(url: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

struct Problems {
    password: Option<&'static str>,
    code: Option<&'static str>,
    /// The password to fill in again (empty: none).
    kept_password: String,
}

fn enrol_page(
    ctx: &WebContext,
    open: OpenEnrolment,
    secret: &[u8],
    problems: Problems,
) -> Result<EnrolPage, WebError> {
    let login = open.enrolment.account.login.to_string();
    let url = totp::otpauth_url(secret, "Beredskap", &login)
        .map_err(|e| WebError(AppError::Internal(e), None))?;
    Ok(EnrolPage {
        page: Page::new(ctx, ctx.t().enrol_title),
        name: open.name,
        login,
        totp_secret: totp::secret_base32(secret),
        qr_svg: qr_svg(&url).map_err(|e| WebError(AppError::Internal(e), None))?,
        password_error: problems.password,
        code_error: problems.code,
        kept_password: problems.kept_password,
        app_optional: open.app_optional,
    })
}

pub async fn form(
    State(state): State<AppState>,
    ctx: WebContext,
    Path(secret): Path<String>,
) -> Result<Response, WebError> {
    let open = sign_in::open_enrolment(&state.app, &secret)
        .await
        .map_err(AppError::from)?
        .map_err(|problem| link_refused(&ctx, problem))?;
    let none = Problems {
        password: None,
        code: None,
        kept_password: String::new(),
    };
    let page = enrol_page(&ctx, open, &sign_in::enrolment_app_secret(None), none)?;
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
    let typed = form.password.clone();
    let answers = EnrolmentAnswers {
        password: form.password,
        password_again: form.password_again,
        totp_secret: form.totp_secret,
        code: form.code,
    };
    let outcome = sign_in::complete_enrolment(&state.app, &state.sign_in, &secret, answers)
        .await
        .map_err(AppError::from)?;
    match outcome {
        EnrolmentOutcome::Enrolled {
            recovery_codes,
            org,
        } => render(
            StatusCode::OK,
            &EnrolledPage {
                page: Page::new(&ctx, t.recovery_title),
                codes: recovery_codes,
                org: org.slug.to_string(),
            },
        ),
        EnrolmentOutcome::Link(problem) => Err(link_refused(&ctx, problem)),
        EnrolmentOutcome::Form(problems) => {
            let password_good = problems.password.is_none();
            let shown = Problems {
                password: problems.password.map(|p| match p {
                    PasswordAnswerProblem::Weak(problem) => t.password_problem(&problem),
                    PasswordAnswerProblem::Differ => t.passwords_differ,
                }),
                code: problems.wrong_code.then_some(t.wrong_app_code),
                kept_password: match password_good {
                    true => typed,
                    false => String::new(),
                },
            };
            let page = enrol_page(&ctx, problems.open, &problems.totp_secret, shown)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
