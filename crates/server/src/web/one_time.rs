//! Signing in with a one-time code sent to a verified SMS number or private email address,
//! for people who have not enrolled yet — when the organisation allows it. The answer looks
//! the same whether or not a code was sent, so the page reveals nothing about accounts.

use super::session::PENDING_COOKIE;
use super::sign_in::{blocked, client, reserve, throttle_keys, OrgChoice};
use super::{render, Page, WebContext, WebError};
use crate::accounts::{new_secret, private_channel, secret_hash};
use crate::notify::{masked, OutgoingMessage};
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_core::auth::ThrottlePolicy;
use beredskap_core::register::{ContactKind, Org, Role};
use beredskap_core::{Actor, EmailAddress, NewJournalEntry, Slug};
use rand::Rng;
use serde::Deserialize;
use std::net::SocketAddr;

const CODE_MINUTES: i64 = 10;

/// Codes asked for per login: three freely, then growing waits up to an hour, so nobody
/// can flood a person's phone.
const REQUESTS: ThrottlePolicy = ThrottlePolicy {
    free_failures: 3,
    first_block_seconds: 60,
    max_block_seconds: 3600,
};

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

fn code_text(org: &Org, code: &str) -> (String, String) {
    beredskap_app::messages::one_time_code(org, code, CODE_MINUTES)
}

/// Sends a code when every rule allows it; returns whether one was sent. Why not is logged
/// for operators, never shown.
async fn send_code(
    state: &AppState,
    org: &Org,
    email: &str,
    pending_hash: &str,
) -> Result<bool, WebError> {
    if !org.fallback_sign_in {
        return Ok(false);
    }
    let Ok(login) = EmailAddress::parse(email) else {
        return Ok(false);
    };
    let Some(account) = state.store.account_by_login(org.id, &login).await? else {
        return Ok(false);
    };
    // Administrators and crisis leads always need their own second factor.
    if matches!(account.role, Role::Admin | Role::CrisisLead) {
        return Ok(false);
    }
    let credentials = state.store.credentials(org.id, account.id).await?;
    if credentials.password_hash.is_some() {
        return Ok(false); // enrolled: signs in with their own factors
    }
    let Some(person) = state.store.person(org.id, account.person_id).await? else {
        return Ok(false);
    };
    let Some(target) = private_channel(&person, &state.notifier) else {
        return Ok(false);
    };
    let Some(provider) = state.notifier.for_kind(target.kind) else {
        return Ok(false);
    };
    let code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
    let expires = state.clock.now() + chrono::Duration::minutes(CODE_MINUTES);
    state
        .store
        .create_pending_sign_in(pending_hash, &account, expires, Some(&secret_hash(&code)))
        .await?;
    let (subject, body) = code_text(org, &code);
    let message = OutgoingMessage {
        to: target.value.clone(),
        subject,
        body,
        idempotency_key: None,
        link: None,
        from: org.sms_number.clone(),
    };
    if let Err(e) = provider.send(&message).await {
        tracing::warn!(error = %e, "one-time sign-in code not sent");
        return Ok(false);
    }
    let channel = if target.kind == ContactKind::Sms {
        "sms"
    } else {
        "email"
    };
    state
        .store
        .append_journal(
            &Actor::system(),
            org.id,
            NewJournalEntry::new(
                "signin.code_sent",
                format!("account:{}", account.id),
                serde_json::json!({ "channel": channel, "to": masked(&target.value) }),
            ),
        )
        .await?;
    Ok(true)
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
        Ok(slug) => state.store.org_by_slug(&slug).await?,
        Err(_) => None,
    };
    let Some(org) = org else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let (ip, _) = client(&headers, addr);
    let mut keys = throttle_keys(&org, &form.email, &ip).to_vec();
    keys.push((
        format!("code:{}:{}", org.slug, form.email.trim().to_lowercase()),
        REQUESTS,
    ));
    let throttled = |wait| {
        let page = OneTimePage {
            page: Page::new(&ctx, t.one_time_title),
            org: org.slug.to_string(),
            error: Some(t.throttled_for(wait)),
        };
        render(StatusCode::TOO_MANY_REQUESTS, &page)
    };
    if let Some(wait) = blocked(&state, &keys).await? {
        return throttled(wait);
    }
    // Every request counts against the login, sent or not, before anything is sent: a
    // burst cannot send more codes than the limit.
    let counted = keys.split_off(2);
    if let Err(wait) = reserve(&state, &counted).await? {
        return throttled(wait);
    }
    let secret = new_secret();
    send_code(&state, &org, &form.email, &secret_hash(&secret)).await?;
    let cookie = ctx.cookie(PENDING_COOKIE, &secret, Some(CODE_MINUTES * 60));
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/sign-in/code?sent=1"),
    )
        .into_response())
}
