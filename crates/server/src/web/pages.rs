//! The list of signed-in devices, and error pages.

use super::session::{SignedIn, SESSION_COOKIE};
use super::sign_in::CsrfForm;
use super::{render, when, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_core::auth::SessionId;

struct SessionRow {
    id: String,
    current: bool,
    started: String,
    last_seen: String,
    device: String,
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsPage {
    page: Page,
    sessions: Vec<SessionRow>,
}

pub async fn sessions(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let sessions =
        beredskap_app::accounts::sessions(&state.app, &me.caller(), &me.org, me.account.id)
            .await?
            .into_iter()
            .map(|s| SessionRow {
                id: s.id.to_string(),
                current: s.id == me.session.id,
                started: when(s.created_at, me.org.zone()),
                last_seen: when(s.last_seen_at, me.org.zone()),
                device: format!("{} ({})", s.user_agent, s.ip),
            })
            .collect();
    let page = Page::signed_in(&ctx, &me, ctx.t().sessions_title);
    render(StatusCode::OK, &SessionsPage { page, sessions })
}

/// Ends one of the person's own sessions (another device, or this one).
pub async fn end_session(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id = id
        .parse()
        .map(SessionId)
        .map_err(|_| WebError(AppError::NotFound, None))?;
    // Someone else's session is not found here, whatever the role: administrators end
    // sessions from the accounts pages.
    let own = beredskap_app::accounts::sessions(&state.app, &me.caller(), &me.org, me.account.id)
        .await?
        .iter()
        .any(|s| s.id == id);
    if !own {
        return Err(AppError::NotFound.into());
    }
    beredskap_app::accounts::end_session(&state.app, &me.caller(), &me.org, id).await?;
    if id == me.session.id {
        let clear = ctx.cookie(SESSION_COOKIE, "", Some(0));
        return Ok(([(header::SET_COOKIE, clear)], Redirect::to("/sign-in")).into_response());
    }
    Ok(Redirect::to("/sessions").into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    page: Page,
    message: &'static str,
}

/// An error page in the person's language; `message` overrides the status's own text.
pub fn error_page(ctx: &WebContext, status: StatusCode, message: Option<&'static str>) -> Response {
    let t = ctx.t();
    let text = message.unwrap_or(match status {
        StatusCode::NOT_FOUND => t.not_found,
        StatusCode::FORBIDDEN => t.forbidden,
        StatusCode::SERVICE_UNAVAILABLE => t.unavailable,
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => t.invalid_input,
        _ => t.server_error,
    });
    let page = ErrorTemplate {
        page: Page::new(ctx, text),
        message: text,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, text).into_response(),
    }
}
