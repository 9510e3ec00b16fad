//! The offline kit as one self-contained HTML file: its style inline, no script, no
//! image, no link out of the file but `tel:` and `mailto:`, so it opens from a phone's
//! downloads or a USB stick with no network, and prints. Crisis leads download it
//! (`/offline-kit.html`, made fresh from the plans as they are, so every plan change is
//! in the next one); `beredskap export offline-kit` writes the same file.

use super::directory::{rows, Rows};
use super::plans::{plan_body, PlanBody};
use super::session::SignedIn;
use super::{Page, Texts, WebContext, WebError};
use crate::checkpoint::Checkpoint;
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use beredskap_app::offline_kit::{contents, OfflineKit};
use beredskap_app::Caller;
use beredskap_core::register::Org;
use beredskap_i18n::Lang;

struct ServiceRow {
    name: String,
    state: &'static str,
    state_label: &'static str,
    changed: String,
    impact: String,
    workaround: String,
    alternative: String,
    owner: String,
}

struct CheckpointRow {
    signed: String,
    seq: i64,
    hash: String,
    key: String,
    signature: String,
}

#[derive(Template)]
#[template(path = "offline_kit.html")]
struct KitPage {
    page: Page,
    css: &'static str,
    org: String,
    made: String,
    sms: String,
    plan_names: String,
    services: Vec<ServiceRow>,
    plans: Vec<PlanBody>,
    rows: Rows,
    checkpoint: Option<CheckpointRow>,
}

/// The kit in `lang`, with this organisation's head from `checkpoint` when there is one.
pub fn render(
    lang: Lang,
    org: &Org,
    kit: &OfflineKit,
    checkpoint: Option<&Checkpoint>,
) -> Result<String, askama::Error> {
    use super::i18n::PageTexts;
    let t: &'static Texts = lang.texts();
    let zone = org.zone();
    let when = |at| super::when(at, zone);
    let plans = kit
        .plans
        .iter()
        .map(|sheet| {
            let mut body = plan_body(t, org.region, sheet);
            let plan = &sheet.plan;
            body.approval = match &plan.approval {
                Some(a) => {
                    let approved =
                        t.plans_event(true, a.version, &when(a.at), sheet.approved_by.as_deref());
                    match plan.is_approved() {
                        true => format!("{}. {approved}", t.plans_version(plan.version)),
                        false => format!(
                            "{}. {}: {approved}",
                            t.plans_version(plan.version),
                            t.plans_changed_since
                        ),
                    }
                }
                None => format!(
                    "{}. {}",
                    t.plans_version(plan.version),
                    t.plans_not_approved
                ),
            };
            body
        })
        .collect::<Vec<_>>();
    let slugs: Vec<String> = kit.plans.iter().map(|s| s.plan.slug.to_string()).collect();
    let page = Page {
        lang,
        t,
        title: t.kit_title,
        csrf: String::new(),
        langs: Vec::new(),
        signed_in: None,
        role: None,
        path: String::new(),
    };
    KitPage {
        page,
        css: include_str!("../../templates/offline_kit.css"),
        org: org.name.clone(),
        made: lang.format("kit-made", &[("when", when(kit.made_at).into())]),
        sms: org
            .sms_number
            .as_ref()
            .map(|n| {
                let shown = beredskap_core::domain::readable_number(n, org.region);
                lang.format("kit-sms", &[("number", shown.into())])
            })
            .unwrap_or_default(),
        plan_names: match slugs.is_empty() {
            true => String::new(),
            false => lang.format("kit-plan-names", &[("names", slugs.join(", ").into())]),
        },
        services: kit
            .services
            .iter()
            .map(|s| ServiceRow {
                name: s.name.clone(),
                state: s.state.as_str(),
                state_label: t.service_state(s.state),
                changed: t.services_changed(
                    &when(s.changed_at),
                    s.changed_by
                        .and_then(|p| kit.names.get(&p))
                        .map(String::as_str),
                ),
                impact: s.impact.clone().unwrap_or_default(),
                workaround: s.workaround.clone().unwrap_or_default(),
                alternative: s.alternative.clone().unwrap_or_default(),
                owner: s.owner.clone().unwrap_or_default(),
            })
            .collect(),
        plans,
        rows: rows(t, org.region, &kit.directory),
        checkpoint: checkpoint.and_then(|c| {
            c.head(org.id).map(|head| CheckpointRow {
                signed: when(c.signed_at),
                seq: head.seq,
                hash: head.hash.clone(),
                key: c.public_key.clone(),
                signature: c.signature.clone(),
            })
        }),
    }
    .render()
}

/// The newest signed checkpoint in the data directory, if any (a kit without one still
/// has everything else).
pub fn latest_checkpoint(data_dir: &std::path::Path) -> Option<Checkpoint> {
    let path = crate::checkpoint::dir(data_dir).join(crate::checkpoint::LATEST);
    Checkpoint::read(&path).ok()
}

/// The kit, for a crisis lead to keep.
pub async fn download(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let caller: Caller = me.caller();
    let kit = contents(&state.app, &caller, &me.org).await?;
    let checkpoint = latest_checkpoint(&state.config.data_dir);
    let html = render(ctx.lang, &me.org, &kit, checkpoint.as_ref())
        .map_err(|e| WebError::from(AppError::Internal(e.to_string())))?;
    let file = format!(
        "attachment; filename=\"offline-kit-{}-{}.html\"",
        me.org.slug,
        me.org.zone().local(kit.made_at).format("%Y-%m-%d")
    );
    let mut response = (StatusCode::OK, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Not kept by any cache: it holds private numbers.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Mails the offline kit, in each organisation's language, to every crisis lead's and
/// administrator's confirmed private email address (their work address may be the thing
/// that is down). Returns how many went out; one that fails is logged and the rest go on.
pub async fn mail_kits(
    app: &beredskap_app::App,
    email: &dyn crate::notify::Provider,
    data_dir: &std::path::Path,
) -> Result<usize, beredskap_app::Error> {
    use beredskap_core::register::{ContactKind, ContactLabel, Role};
    let caller = Caller::Operator(beredskap_core::Actor::system());
    let checkpoint = latest_checkpoint(data_dir);
    let mut sent = 0;
    for org in app.store.list_orgs().await? {
        let leads: std::collections::HashSet<_> = app
            .store
            .list_accounts(org.id)
            .await?
            .into_iter()
            .filter(|a| a.role >= Role::CrisisLead)
            .map(|a| a.person_id)
            .collect();
        let addresses: Vec<String> = app
            .store
            .list_people(org.id)
            .await?
            .into_iter()
            .filter(|p| p.active && leads.contains(&p.id))
            .filter_map(|p| {
                p.contact_points
                    .into_iter()
                    .find(|cp| {
                        cp.verified
                            && cp.kind == ContactKind::Email
                            && cp.label == ContactLabel::Private
                    })
                    .map(|cp| cp.value)
            })
            .collect();
        if addresses.is_empty() {
            continue;
        }
        let kit = contents(app, &caller, &org).await?;
        let lang = beredskap_app::messages::language(&org);
        let html = render(lang, &org, &kit, checkpoint.as_ref())
            .map_err(|e| beredskap_app::Error::Internal(e.to_string()))?;
        let (subject, body) = beredskap_app::messages::offline_kit_mail(&org);
        let attachment = crate::notify::Attachment {
            filename: format!(
                "offline-kit-{}-{}.html",
                org.slug,
                org.zone().local(kit.made_at).format("%Y-%m-%d")
            ),
            content_type: "text/html; charset=utf-8".into(),
            bytes: html.into_bytes(),
        };
        for to in addresses {
            let message = crate::notify::OutgoingMessage {
                to,
                subject: subject.clone(),
                body: body.clone(),
                idempotency_key: None,
                link: None,
                from: None,
                attachment: Some(attachment.clone()),
                unsubscribe: None,
            };
            match email.send(&message).await {
                Ok(_) => sent += 1,
                Err(e) => tracing::warn!(org = %org.slug, error = %e, "offline kit mail failed"),
            }
        }
    }
    Ok(sent)
}
