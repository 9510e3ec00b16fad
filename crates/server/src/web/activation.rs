//! Bulk activation's pages (administrators): choose the whole register or a group, see who
//! would get a link on which channel and who cannot be reached and why, send, and follow a
//! batch: sent, waiting, not reached, activated. Every step works without JavaScript.

use super::admin::require_admin;
use super::session::SignedIn;
use super::{render, when, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::activation;
use beredskap_core::activation::{ActivationBatchId, SendStatus, Unreachable};
use beredskap_core::register::ContactKind;
use beredskap_core::GroupId;
use beredskap_i18n::Value;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ActivationForm {
    #[serde(default)]
    csrf: String,
    /// A group's id, or empty for the whole register.
    #[serde(default)]
    group: String,
    /// Present once the preview has been seen: send.
    #[serde(default)]
    confirm: String,
}

struct PreviewView {
    summary: String,
    already_active: String,
    unreachable: Vec<(String, &'static str)>,
    links: u32,
    send_label: String,
}

struct BatchRow {
    href: String,
    label: String,
}

#[derive(Template)]
#[template(path = "admin_activation.html")]
struct ActivationPage {
    page: Page,
    groups: Vec<(String, String)>,
    chosen: String,
    preview: Option<PreviewView>,
    batches: Vec<BatchRow>,
}

pub(super) fn reason(t: &super::Texts, why: Unreachable) -> &'static str {
    match why {
        Unreachable::NoAddress => t.activation_reason_no_address,
        Unreachable::NoProvider => t.activation_reason_no_provider,
        Unreachable::NoLogin => t.activation_reason_no_login,
        Unreachable::LoginTaken => t.activation_reason_login_taken,
    }
}

fn scope_label(t: &super::Texts, group: Option<String>) -> String {
    group.unwrap_or_else(|| t.activation_everyone.to_owned())
}

fn group_of(raw: &str) -> Result<Option<GroupId>, WebError> {
    match raw.trim() {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| AppError::NotFound.into()),
    }
}

async fn page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    chosen: Option<GroupId>,
    preview: Option<activation::Preview>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let caller = me.caller();
    let mut groups: Vec<(String, String)> =
        beredskap_app::register::groups(&state.app, &caller, &me.org)
            .await?
            .into_iter()
            .map(|g| (g.id.to_string(), g.name))
            .collect();
    groups.sort_by_key(|(_, name)| name.to_lowercase());
    let names: std::collections::HashMap<String, String> = groups.iter().cloned().collect();
    let batches = activation::batches(&state.app, &caller, &me.org)
        .await?
        .into_iter()
        .map(|b| BatchRow {
            href: format!("/admin/activation/{}", b.id),
            label: t.lang.format(
                "activation-batch-label",
                &[
                    ("when", when(b.started_at, me.org.zone()).into()),
                    (
                        "scope",
                        scope_label(
                            t,
                            b.group_id.and_then(|g| names.get(&g.to_string()).cloned()),
                        )
                        .into(),
                    ),
                ],
            ),
        })
        .collect();
    let preview = preview.map(|p| PreviewView {
        summary: t.lang.format(
            "activation-preview-summary",
            &[
                ("links", Value::from(p.links())),
                ("sms", Value::from(p.by_sms)),
                ("email", Value::from(p.by_email)),
            ],
        ),
        already_active: t.lang.format(
            "activation-already-active",
            &[
                ("count", Value::from(p.already_active)),
                ("waiting", Value::from(p.on_the_way)),
            ],
        ),
        unreachable: p
            .unreachable
            .iter()
            .map(|(name, why)| (name.clone(), reason(t, *why)))
            .collect(),
        links: p.links(),
        send_label: t
            .lang
            .format("activation-send", &[("links", Value::from(p.links()))]),
    });
    render(
        StatusCode::OK,
        &ActivationPage {
            page: Page::signed_in(ctx, me, t.activation_title),
            groups,
            chosen: chosen.map(|g| g.to_string()).unwrap_or_default(),
            preview,
            batches,
        },
    )
}

pub async fn form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    page(&state, &ctx, &me, None, None).await
}

/// Without `confirm`: the preview. With it: the batch starts and its page follows.
pub async fn submit(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(form): Form<ActivationForm>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    ctx.check_csrf(&headers, &form.csrf)?;
    let group = group_of(&form.group)?;
    let caller = me.caller();
    if !form.confirm.is_empty() {
        match activation::start(&state.app, &caller, &state.notifier, &me.org, group).await {
            Ok(batch) => {
                return Ok(Redirect::to(&format!("/admin/activation/{}", batch.id)).into_response())
            }
            // Everyone got a link or activated since the preview: the preview says so.
            Err(beredskap_app::Error::Invalid(_)) => {}
            Err(other) => return Err(AppError::from(other).into()),
        }
    }
    let preview = activation::preview(&state.app, &caller, &state.notifier, &me.org, group).await?;
    page(&state, &ctx, &me, group, Some(preview)).await
}

struct SendRow {
    name: String,
    channel: String,
    status: String,
    failed: bool,
    activated: bool,
    account: &'static str,
}

#[derive(Template)]
#[template(path = "admin_activation_batch.html")]
struct BatchPage {
    page: Page,
    heading: String,
    counts: String,
    done: usize,
    total: usize,
    rows: Vec<SendRow>,
    href: String,
}

/// The time of day alone when it is the batch's day (its heading has the date).
fn short_time(
    at: chrono::DateTime<chrono::Utc>,
    started: chrono::DateTime<chrono::Utc>,
    zone: beredskap_core::TimeZone,
) -> String {
    let (local, day) = (zone.local(at), zone.local(started));
    match local.date_naive() == day.date_naive() {
        true => local.format("%H:%M").to_string(),
        false => when(at, zone),
    }
}

pub async fn batch(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    require_admin(&me)?;
    let t = ctx.t();
    let id: ActivationBatchId = id.parse().map_err(|_| AppError::NotFound)?;
    let progress = activation::progress(&state.app, &me.caller(), &me.org, id).await?;
    let zone = me.org.zone();
    let sent = progress.count(|s| matches!(s, SendStatus::Sent));
    let waiting = progress.count(|s| matches!(s, SendStatus::Waiting));
    let not_reached =
        progress.count(|s| matches!(s, SendStatus::Unreachable(_) | SendStatus::Failed));
    let total = progress.sends.len();
    let counts = t.lang.format(
        "activation-counts",
        &[
            ("sent", Value::from(sent)),
            ("waiting", Value::from(waiting)),
            ("unreachable", Value::from(not_reached)),
            ("activated", Value::from(progress.activated())),
        ],
    );
    let heading = t.lang.format(
        "activation-batch-label",
        &[
            ("when", when(progress.batch.started_at, zone).into()),
            ("scope", scope_label(t, progress.group_name.clone()).into()),
        ],
    );
    // Those not reached first: they are what the administrator must act on.
    let mut lines: Vec<&(String, beredskap_core::activation::ActivationSend)> =
        progress.sends.iter().collect();
    lines.sort_by_key(|(_, s)| match s.status {
        SendStatus::Unreachable(_) | SendStatus::Failed => 0,
        SendStatus::Waiting => 1,
        SendStatus::Sent => 2,
    });
    let rows = lines
        .into_iter()
        .map(|(name, s)| {
            let channel = match (s.channel, s.address.as_deref()) {
                (Some(kind), Some(address)) => format!(
                    "{} {}",
                    match kind {
                        ContactKind::Sms => t.activation_by_sms,
                        _ => t.activation_by_email,
                    },
                    beredskap_app::sign_in::masked(address)
                ),
                _ => String::new(),
            };
            let status = match s.status {
                SendStatus::Waiting => t.activation_waiting.to_owned(),
                SendStatus::Sent => t.lang.format(
                    "activation-sent-at",
                    &[(
                        "when",
                        s.sent_at
                            .map(|at| short_time(at, progress.batch.started_at, zone))
                            .unwrap_or_default()
                            .into(),
                    )],
                ),
                SendStatus::Unreachable(why) => reason(t, why).to_owned(),
                SendStatus::Failed => t.lang.format(
                    "activation-failed",
                    &[("detail", s.last_error.clone().unwrap_or_default().into())],
                ),
            };
            SendRow {
                name: name.clone(),
                channel,
                status,
                failed: matches!(s.status, SendStatus::Unreachable(_) | SendStatus::Failed),
                activated: s.activated,
                account: match (s.account_id, s.activated) {
                    (None, _) => t.activation_no_account,
                    (Some(_), true) => t.activated,
                    (Some(_), false) => t.not_activated,
                },
            }
        })
        .collect();
    render(
        StatusCode::OK,
        &BatchPage {
            page: Page::signed_in(&ctx, &me, t.activation_title),
            heading,
            counts,
            done: total - waiting,
            total,
            rows,
            href: format!("/admin/activation/{id}"),
        },
    )
}
