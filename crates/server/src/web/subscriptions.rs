//! Subscribing to the status page's notices, for anyone, without JavaScript:
//! `/status/{org}/subscribe` (the form; its post sends the message to confirm with),
//! `/status/{org}/confirm/{token}` (the link in that message: a page with a button, so a
//! mail scanner following the link confirms nothing) and `/status/{org}/unsubscribe/{token}`
//! (the link in every notice: a page showing all that is kept, with a button that deletes
//! it; a mail program's one-click POST, RFC 8058, does the same without the page). The
//! signed token is the authority on the last two, so they ask for no cookie.

use super::form::{field, Fields, FormProblems};
use super::i18n::Texts;
use super::{render, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use beredskap_app::subscriptions as use_case;
use beredskap_core::continuity::services::Service;
use beredskap_core::continuity::subscriptions::{Removal, SubscriptionInput};
use beredskap_core::register::{ContactKind, Org};
use beredskap_core::{FieldErrors, ServiceId, StoreError};
use std::net::SocketAddr;

struct ServiceChoice {
    id: String,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "subscribe.html")]
struct SubscribePage {
    page: Page,
    org: String,
    slug: String,
    channel: String,
    address: String,
    services: Vec<ServiceChoice>,
    problems: FormProblems,
    /// After the post: the message has gone (or would have, for an address that has one).
    sent: bool,
}

/// The input a problem's field belongs to, and its label.
fn place(t: &Texts, field: &str) -> (String, String) {
    match field {
        "channel" => ("channel".into(), t.subscribe_channel.into()),
        f if f.starts_with("services") => ("services".into(), t.subscribe_services_label.into()),
        _ => ("address".into(), t.subscribe_address.into()),
    }
}

async fn org_of(state: &AppState, slug: &str) -> Result<Org, WebError> {
    Ok(beredskap_app::status::public_org(&state.app, slug)
        .await
        .map_err(AppError::from)?)
}

async fn form_page(
    state: &AppState,
    ctx: &WebContext,
    org: &Org,
    typed: &SubscriptionInput,
    errors: Option<&FieldErrors>,
    sent: bool,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let services: Vec<Service> = state
        .app
        .store
        .services(org.id)
        .await
        .map_err(AppError::from)?;
    let problems = match errors {
        Some(errors) => FormProblems::new(
            errors,
            t.lang,
            |f: &str| place(t, f),
            &["channel", "address", "services"],
        ),
        None => FormProblems::default(),
    };
    render(
        problems.status(),
        &SubscribePage {
            page: Page::new(ctx, t.subscribe_title),
            org: org.name.clone(),
            slug: org.slug.as_str().to_owned(),
            channel: match typed.channel.as_str() {
                "" => "email".to_owned(),
                other => other.to_owned(),
            },
            address: typed.address.clone(),
            services: services
                .iter()
                .map(|s| ServiceChoice {
                    id: s.id.to_string(),
                    name: s.name.clone(),
                    checked: typed.services.contains(&s.id),
                })
                .collect(),
            problems,
            sent,
        },
    )
}

pub async fn form(
    State(state): State<AppState>,
    ctx: WebContext,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let org = org_of(&state, &slug).await?;
    form_page(
        &state,
        &ctx,
        &org,
        &SubscriptionInput::default(),
        None,
        false,
    )
    .await
}

pub async fn subscribe(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let org = org_of(&state, &slug).await?;
    let mut services = Vec::new();
    let mut unreadable = FieldErrors::new();
    for (i, (_, value)) in fields.iter().filter(|(k, _)| k == "services").enumerate() {
        match value.parse::<ServiceId>() {
            Ok(id) => services.push(id),
            // The first is enough: a made-up form with thousands is not listed whole.
            Err(_) => {
                unreadable.add(
                    format!("services[{i}]"),
                    beredskap_core::Problem::UnknownService,
                );
                break;
            }
        }
    }
    let input = SubscriptionInput {
        channel: field(&fields, "channel"),
        address: field(&fields, "address"),
        services,
        lang: String::new(),
    };
    if !unreadable.0.is_empty() {
        return form_page(&state, &ctx, &org, &input, Some(&unreadable), false).await;
    }
    let ip = addr.ip().to_string();
    match use_case::subscribe(&state.app, &org, &input, ctx.lang.code(), &ip).await {
        Ok(_) => {
            let blank = SubscriptionInput::default();
            form_page(&state, &ctx, &org, &blank, None, true).await
        }
        Err(beredskap_app::Error::Invalid(errors)) => {
            form_page(&state, &ctx, &org, &input, Some(&errors), false).await
        }
        Err(beredskap_app::Error::Store(StoreError::Invalid(errors))) => {
            form_page(&state, &ctx, &org, &input, Some(&errors), false).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Template)]
#[template(path = "subscription.html")]
struct SubscriptionPage {
    page: Page,
    org: String,
    slug: String,
    /// Where the button posts; empty once nothing is left to do.
    action: String,
    button: &'static str,
    /// What is kept (or asked for): the address, shown in full to its owner.
    channel: &'static str,
    address: String,
    services: Vec<String>,
    language: &'static str,
    since: String,
    /// Instead of the details: done, or the link no longer works.
    outcome: Option<&'static str>,
}

impl SubscriptionPage {
    fn new(ctx: &WebContext, title: &'static str, slug: &str) -> Self {
        SubscriptionPage {
            page: Page::new(ctx, title),
            org: String::new(),
            slug: slug.to_owned(),
            action: String::new(),
            button: "",
            channel: "",
            address: String::new(),
            services: Vec::new(),
            language: "",
            since: String::new(),
            outcome: Some(ctx.t().subscribe_link_invalid),
        }
    }

    async fn describe(
        &mut self,
        ctx: &WebContext,
        state: &AppState,
        org: &Org,
        details: Details<'_>,
    ) -> Result<(), WebError> {
        let t = ctx.t();
        let services: Vec<Service> = state
            .app
            .store
            .services(org.id)
            .await
            .map_err(AppError::from)?;
        self.org = org.name.clone();
        self.channel = match details.channel {
            ContactKind::Email => t.subscribe_by_email,
            _ => t.subscribe_by_sms,
        };
        self.address = details.address.to_owned();
        self.services = match details.services {
            [] => vec![t.subscribe_all_services.to_owned()],
            chosen => services
                .iter()
                .filter(|s| chosen.contains(&s.id))
                .map(|s| s.name.clone())
                .collect(),
        };
        self.language = beredskap_i18n::Lang::from_code(details.lang)
            .map(|l| l.name())
            .unwrap_or("");
        self.since = details
            .since
            .map(|at| super::when(at, org.zone()))
            .unwrap_or_default();
        self.outcome = None;
        Ok(())
    }
}

struct Details<'a> {
    channel: ContactKind,
    address: &'a str,
    services: &'a [ServiceId],
    lang: &'a str,
    since: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a link names, or none when the store has it no more (a link that no longer
/// works: its page says so); any other failure is an error.
fn found<T>(read: Result<T, beredskap_app::Error>) -> Result<Option<T>, WebError> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(beredskap_app::Error::Store(StoreError::NotFound)) => Ok(None),
        Err(other) => Err(AppError::from(other).into()),
    }
}

async fn confirm_page(
    state: &AppState,
    ctx: &WebContext,
    slug: &str,
    token: &str,
    confirming: bool,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let mut page = SubscriptionPage::new(ctx, t.subscribe_sent_title, slug);
    let Some(id) = state.links.verify_subscription_confirm(token) else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    let Some(org) = found(beredskap_app::status::public_org(&state.app, slug).await)? else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    let Some(request) = found(use_case::pending(&state.app, &org, id).await)? else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    let details = Details {
        channel: request.channel,
        address: &request.address,
        services: &request.services,
        lang: &request.lang,
        since: None,
    };
    page.describe(ctx, state, &org, details).await?;
    if confirming {
        if found(use_case::confirm(&state.app, &org, id).await)?.is_none() {
            page.outcome = Some(t.subscribe_link_invalid);
            return render(StatusCode::NOT_FOUND, &page);
        }
        page.outcome = Some(t.subscribe_confirmed);
    } else {
        page.action = format!("/status/{slug}/confirm/{token}");
        page.button = t.subscribe_confirm_button;
    }
    render(StatusCode::OK, &page)
}

/// The confirmation link: shows what is asked for, with the button.
pub async fn confirm_link(
    State(state): State<AppState>,
    ctx: WebContext,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    confirm_page(&state, &ctx, &slug, &token, false).await
}

/// The button on the confirmation page.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: WebContext,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    confirm_page(&state, &ctx, &slug, &token, true).await
}

async fn unsubscribe_page(
    state: &AppState,
    ctx: &WebContext,
    slug: &str,
    token: &str,
    leaving: Option<Removal>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let mut page = SubscriptionPage::new(ctx, t.unsubscribe_title, slug);
    let Some(id) = state.links.verify_unsubscribe(token) else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    let Some(org) = found(beredskap_app::status::public_org(&state.app, slug).await)? else {
        return render(StatusCode::NOT_FOUND, &page);
    };
    if let Some(how) = leaving {
        // Gone already is done too: a second click, or the mail program's POST first.
        use_case::unsubscribe(&state.app, &org, id, how)
            .await
            .map_err(AppError::from)?;
        page.org = org.name.clone();
        page.outcome = Some(t.unsubscribe_done);
        return render(StatusCode::OK, &page);
    }
    let Some(subscription) = found(use_case::subscription(&state.app, &org, id).await)? else {
        page.org = org.name.clone();
        page.outcome = Some(t.unsubscribe_done);
        return render(StatusCode::OK, &page);
    };
    let details = Details {
        channel: subscription.channel,
        address: &subscription.address,
        services: &subscription.services,
        lang: &subscription.lang,
        since: Some(subscription.confirmed_at),
    };
    page.describe(ctx, state, &org, details).await?;
    page.action = format!("/status/{slug}/unsubscribe/{token}");
    page.button = t.unsubscribe_button;
    render(StatusCode::OK, &page)
}

/// The link in every notice: what is kept, and the button that deletes it.
pub async fn unsubscribe_link(
    State(state): State<AppState>,
    ctx: WebContext,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, WebError> {
    unsubscribe_page(&state, &ctx, &slug, &token, None).await
}

/// The page's button, or a mail program's one-click unsubscribe (RFC 8058: a POST with
/// the body `List-Unsubscribe=One-Click`, no cookie, no page wanted).
pub async fn unsubscribe(
    State(state): State<AppState>,
    ctx: WebContext,
    Path((slug, token)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    // Mail programs send it url-encoded or as multipart form data: either holds the value.
    let how = match body.windows(9).any(|w| w == b"One-Click") {
        true => Removal::OneClick,
        false => Removal::Link,
    };
    unsubscribe_page(&state, &ctx, &slug, &token, Some(how)).await
}
