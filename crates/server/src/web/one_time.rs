//! Signing in with a one-time code sent to a verified SMS number or private email address,
//! for people who have not enrolled yet — when the organisation allows it. The answer looks
//! the same whether or not a code was sent, so the page reveals nothing about accounts.

use super::session::PENDING_COOKIE;
use super::sign_in::{client, OrgChoice};
use super::{render, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::sign_in;
use beredskap_core::Slug;
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "sign_in_one_time.html")]
struct OneTimePage {
    page: Page,
    org: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct OrgQuery {
    org: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    Query(query): Query<OrgQuery>,
) -> Result<Response, WebError> {
    // The same rule as the sign-in page: the organisation from the link or the device,
    // never a guess among the server's organisations.
    let choice = OrgChoice::make(&state, &headers, query.org.as_deref(), true).await?;
    let org = match choice {
        OrgChoice::Known { org, .. } => org.slug.to_string(),
        OrgChoice::Listed { selected, .. } => selected,
        OrgChoice::Typed(_) | OrgChoice::None => String::new(),
    };
    let page = OneTimePage {
        page: Page::new(&ctx, ctx.t().one_time_title),
        org,
        error: None,
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct OneTimeForm {
    csrf: String,
    org: String,
    email: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: WebContext,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<OneTimeForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let t = ctx.t();
    let org = match Slug::parse(&super::sign_in::typed_slug(&form.org)) {
        Ok(slug) => sign_in::organisation(&state.app, &slug)
            .await
            .map_err(AppError::from)?,
        Err(_) => None,
    };
    let Some(org) = org else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let client = client(&headers, addr);
    let asked =
        sign_in::ask_for_one_time_code(&state.app, &state.notifier, &org, &form.email, &client)
            .await
            .map_err(AppError::from)?;
    let secret = match asked {
        Ok(secret) => secret,
        Err(wait) => {
            let page = OneTimePage {
                page: Page::new(&ctx, t.one_time_title),
                org: org.slug.to_string(),
                error: Some(t.throttled_for(wait)),
            };
            return render(StatusCode::TOO_MANY_REQUESTS, &page);
        }
    };
    let max_age = Some(sign_in::ONE_TIME_CODE_MINUTES * 60);
    let cookie = ctx.cookie(PENDING_COOKIE, &secret, max_age);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/sign-in/code?sent=1"),
    )
        .into_response())
}
