//! Channel pages: read, post, answer in threads, react, edit, delete, confirm
//! announcements and see who has read them. Everything works as plain forms; `live.js`
//! adds live updates on top.

use super::form::{chosen_members, field, Fields, FormProblems};
use super::session::SignedIn;
use super::{render, when, Page, WebContext, WebError};
use crate::conversation;
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::conversation::{self as conversation_use, PostInput};
use beredskap_app::policy::allows;
use beredskap_app::UseCase;
use beredskap_core::conversation::{
    Channel, ChannelKind, Message, MessageChange, NewChannel, Page as MessagePage,
};
use beredskap_core::Problem;
use beredskap_core::{AccountId, ChannelId, FieldErrors, MessageId};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// Reactions offered as buttons; the API takes any.
const QUICK_REACTIONS: [&str; 3] = ["👍", "✅", "👀"];
const PAGE_SIZE: u32 = 50;

fn parse<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

pub struct ReactionView {
    emoji: String,
    count: usize,
    mine: bool,
}

pub struct MessageView {
    id: String,
    channel: String,
    author: String,
    at_iso: String,
    at: String,
    body: String,
    edited: bool,
    deleted: bool,
    redacted: bool,
    announcement: bool,
    /// The viewer has to confirm it.
    to_confirm: bool,
    can_edit: bool,
    can_delete: bool,
    /// An administrator may read every version and redact the text.
    can_redact: bool,
    can_see_roster: bool,
    replies: i64,
    /// Shown in the channel view (a link to the thread); not in the thread itself.
    thread_link: bool,
    reactions: Vec<ReactionView>,
    quick: Vec<&'static str>,
    classification: String,
    files: Vec<FileView>,
}

pub struct FileView {
    id: String,
    name: String,
    size: String,
    image: bool,
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} kB", (bytes + 1023) / 1024)
    }
}

struct Viewer<'a> {
    me: &'a SignedIn,
    names: &'a HashMap<AccountId, String>,
    unconfirmed: &'a HashSet<MessageId>,
    classification: &'a str,
}

impl Viewer<'_> {
    fn view(&self, m: &Message, thread_link: bool) -> MessageView {
        let me = self.me.account.id;
        let caller = self.me.caller();
        let deleted = m.deleted_at.is_some();
        MessageView {
            id: m.id.to_string(),
            channel: m.channel_id.to_string(),
            author: self.names.get(&m.author).cloned().unwrap_or_default(),
            at_iso: m.created_at.to_rfc3339(),
            at: when(m.created_at, self.me.org.zone()),
            body: m.body.clone(),
            edited: m.version > 1 && !deleted,
            deleted,
            redacted: m.redacted_at.is_some(),
            announcement: m.announcement,
            to_confirm: self.unconfirmed.contains(&m.id),
            can_edit: !deleted && m.author == me,
            can_delete: !deleted
                && (m.author == me || allows(&caller, UseCase::DeleteOthersMessages)),
            can_redact: m.redacted_at.is_none() && allows(&caller, UseCase::Redact),
            can_see_roster: m.announcement
                && (m.author == me || allows(&caller, UseCase::SeeWhoRead)),
            replies: m.replies,
            thread_link: thread_link && m.thread_root.is_none(),
            reactions: m
                .reactions
                .iter()
                .map(|r| ReactionView {
                    emoji: r.emoji.clone(),
                    count: r.accounts.len(),
                    mine: r.accounts.contains(&me),
                })
                .collect(),
            quick: QUICK_REACTIONS
                .into_iter()
                .filter(|q| !m.reactions.iter().any(|r| r.emoji == *q))
                .collect(),
            classification: self.classification.to_owned(),
            files: m
                .attachments
                .iter()
                .map(|a| FileView {
                    id: a.id.to_string(),
                    name: a.filename.clone(),
                    size: size_text(a.size),
                    image: a.content_type.starts_with("image/"),
                })
                .collect(),
        }
    }
}

async fn unconfirmed(state: &AppState, me: &SignedIn) -> Result<HashSet<MessageId>, WebError> {
    Ok(
        conversation_use::unconfirmed(&state.app, &me.caller(), &me.org)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect(),
    )
}

// ------------------------------------------------------------------ channel list

struct ChannelRow {
    id: String,
    name: String,
    kind: &'static str,
    classification: String,
}

struct AnnouncementRow {
    id: String,
    channel: String,
    body: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Page,
    org: String,
    name: String,
    login: String,
    role: &'static str,
    channels: Vec<ChannelRow>,
    announcements: Vec<AnnouncementRow>,
    alerts: Vec<OpenAlertRow>,
    can_create: bool,
    /// For those who follow alerts: the active ones, with how they stand.
    following: Vec<FollowedAlertRow>,
    /// Incidents under way, for those who may read them.
    incidents: Vec<(String, String)>,
    may_alert: bool,
    /// Saved alerts (id, name), two taps from sending, for those who may send them.
    templates: Vec<(String, String)>,
}

/// An active alert as its sender follows it on the start page.
struct FollowedAlertRow {
    id: String,
    message: String,
    exercise: bool,
    /// "Ja 6 · Nej 1 · inget svar 3", or how many answered of how many.
    standing: String,
}

/// Active alerts the start page shows at most.
const FOLLOWED_ON_START: usize = 10;

/// An alert to the signed-in person that they have not answered.
struct OpenAlertRow {
    id: String,
    message: String,
    exercise: bool,
    options: Vec<String>,
}

fn kind_label(t: &super::Texts, kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Org => t.kind_org,
        ChannelKind::Group => t.kind_group,
        ChannelKind::Incident => t.kind_incident,
        ChannelKind::Direct => t.kind_direct,
    }
}

/// The start page: the person's channels and the announcements they must confirm.
pub async fn home(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let channels = conversation_use::channels(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .map(|c| ChannelRow {
            id: c.id.to_string(),
            name: c.name,
            kind: kind_label(t, c.kind),
            classification: c.classification,
        })
        .collect();
    let announcements = conversation_use::unconfirmed(&state.app, &me.caller(), &me.org)
        .await?
        .into_iter()
        .map(|m| AnnouncementRow {
            id: m.id.to_string(),
            channel: m.channel_id.to_string(),
            body: m.body,
        })
        .collect();
    let alerts = beredskap_app::alerts::open_for_me(&state.app, &me.caller(), me.org.id)
        .await?
        .into_iter()
        .map(|a| OpenAlertRow {
            id: a.id.to_string(),
            message: a.message,
            exercise: a.exercise,
            options: a.options,
        })
        .collect();
    let caller = me.caller();
    let mut following = Vec::new();
    if allows(&caller, UseCase::FollowAlerts) {
        let active = beredskap_app::alerts::list(&state.app, &caller, me.org.id, 50)
            .await?
            .into_iter()
            .filter(|s| {
                s.alert.status == beredskap_core::alerting::AlertStatus::Active
                    && s.alert.contact_check_until.is_none()
            })
            .take(FOLLOWED_ON_START);
        for summary in active {
            let alert = summary.alert;
            let counts =
                beredskap_app::alerts::roster_counts(&state.app, &caller, me.org.id, alert.id)
                    .await?;
            let tally = super::alerts::tally_text(t, &alert, &counts);
            following.push(FollowedAlertRow {
                id: alert.id.to_string(),
                standing: match tally.is_empty() {
                    true => {
                        t.alert_counts(summary.answered, summary.recipients, summary.unreachable)
                    }
                    false => tally,
                },
                message: alert.message,
                exercise: alert.exercise,
            });
        }
    }
    let incidents = match allows(&caller, UseCase::ReadIncidents) {
        true => beredskap_app::incidents::incidents(&state.app, &caller, &me.org, false)
            .await?
            .into_iter()
            .map(|i| (i.id.to_string(), i.title))
            .collect(),
        false => Vec::new(),
    };
    render(
        StatusCode::OK,
        &HomePage {
            following,
            incidents,
            may_alert: allows(&caller, UseCase::SendAlert),
            templates: super::alert_templates::names(&state, &me).await?,
            alerts,
            page: Page::signed_in(&ctx, &me, t.home_title),
            org: me.org.name.clone(),
            name: me.name.clone(),
            login: me.account.login.to_string(),
            role: t.role(me.account.role),
            channels,
            announcements,
            can_create: allows(&me.caller(), UseCase::CreateChannel),
        },
    )
}

// ------------------------------------------------------------------ one channel

#[derive(Template)]
#[template(path = "channel.html")]
struct ChannelPage {
    page: Page,
    channel: Channel,
    kind: &'static str,
    /// In a thread: its first message's id.
    thread: Option<String>,
    messages: Vec<MessageView>,
    older: Option<i64>,
    /// Where live updates start.
    after: i64,
    key: String,
    may_announce: bool,
    /// May send an announcement out by SMS, email and push too.
    may_send_out: bool,
    may_add_members: bool,
    error: Option<String>,
    draft: String,
    attachment_hint: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ChannelQuery {
    before: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
async fn channel_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    channel: ChannelId,
    thread: Option<MessageId>,
    before: Option<i64>,
    error: Option<String>,
    draft: String,
) -> Result<Response, WebError> {
    let t = ctx.t();
    // The head first: anything committed after it comes live, perhaps twice, and the
    // page's script drops what it already shows.
    let after = conversation_use::live_position(&state.app, &me.caller(), &me.org).await?;
    let channel = conversation_use::channel(&state.app, &me.caller(), &me.org, channel).await?;
    let (messages, older) = match thread {
        Some(root) => {
            let messages =
                conversation_use::thread(&state.app, &me.caller(), &me.org, root).await?;
            if messages.first().map(|m| m.channel_id) != Some(channel.id) {
                return Err(AppError::NotFound.into());
            }
            (messages, None)
        }
        None => {
            let page = MessagePage {
                before,
                limit: PAGE_SIZE,
            };
            let messages =
                conversation_use::messages(&state.app, &me.caller(), &me.org, channel.id, page)
                    .await?;
            let older = (messages.len() == PAGE_SIZE as usize)
                .then(|| messages.first().map(|m| m.seq))
                .flatten();
            (messages, older)
        }
    };
    let authors = messages.iter().map(|m| m.author).collect();
    let names = conversation_use::names(&state.app, &me.caller(), &me.org, authors).await?;
    let unconfirmed = unconfirmed(state, me).await?;
    let viewer = Viewer {
        me,
        names: &names,
        unconfirmed: &unconfirmed,
        classification: &channel.classification,
    };
    let views = messages
        .iter()
        .map(|m| viewer.view(m, thread.is_none()))
        .collect();
    // Opening the channel counts as having seen its announcements.
    for m in messages.iter().filter(|m| unconfirmed.contains(&m.id)) {
        beredskap_app::conversation::change(
            &state.app,
            &me.caller(),
            &me.org,
            m.id,
            MessageChange::Seen,
        )
        .await?;
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = if thread.is_some() {
        t.thread_title
    } else {
        t.channels_title
    };
    render(
        status,
        &ChannelPage {
            page: Page::signed_in(ctx, me, title),
            kind: kind_label(t, channel.kind),
            channel,
            thread: thread.map(|t| t.to_string()),
            messages: views,
            older,
            after,
            key: beredskap_app::accounts::new_secret(),
            may_announce: thread.is_none() && allows(&me.caller(), UseCase::Announce),
            may_add_members: allows(&me.caller(), UseCase::InviteToChannel),
            may_send_out: thread.is_none()
                && allows(&me.caller(), UseCase::Announce)
                && allows(&me.caller(), UseCase::SendAlert),
            error,
            draft,
            attachment_hint: t.attachment_hint(state.config.attachment_max_mb),
        },
    )
}

pub async fn channel(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<ChannelQuery>,
) -> Result<Response, WebError> {
    channel_page(
        &state,
        &ctx,
        &me,
        parse(&id)?,
        None,
        query.before,
        None,
        String::new(),
    )
    .await
}

pub async fn thread(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path((id, root)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let root = parse(&root)?;
    channel_page(
        &state,
        &ctx,
        &me,
        parse(&id)?,
        Some(root),
        None,
        None,
        String::new(),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct PostForm {
    csrf: String,
    body: String,
    /// Chosen when the form was rendered: a resubmitted form lands once.
    key: String,
    #[serde(default)]
    thread: Option<String>,
    #[serde(default)]
    announcement: Option<String>,
    #[serde(default)]
    send_out: Option<String>,
}

/// The post form, sent as `multipart/form-data` (with a file) or as a plain form.
async fn read_post_form(
    state: &AppState,
    request: axum::extract::Request,
) -> Result<(PostForm, Option<(String, axum::body::Bytes)>), WebError> {
    use axum::extract::FromRequest;
    let bad = |detail: String| {
        WebError(
            AppError::invalid("form", Problem::Malformed { detail }),
            None,
        )
    };
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(form) = Form::<PostForm>::from_request(request, state)
            .await
            .map_err(|e| bad(e.body_text()))?;
        return Ok((form, None));
    }
    let mut parts = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| bad(e.body_text()))?;
    let mut form = PostForm::default();
    let mut file = None;
    while let Some(field) = parts.next_field().await.map_err(|e| bad(e.body_text()))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
            if !bytes.is_empty() {
                file = Some((filename, bytes));
            }
            continue;
        }
        let value = field.text().await.map_err(|e| bad(e.body_text()))?;
        match name.as_str() {
            "csrf" => form.csrf = value,
            "body" => form.body = value,
            "key" => form.key = value,
            "thread" => form.thread = Some(value),
            "announcement" => form.announcement = Some(value),
            "send_out" => form.send_out = Some(value),
            _ => {}
        }
    }
    Ok((form, file))
}

pub async fn post(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, WebError> {
    let (form, file) = read_post_form(&state, request).await?;
    ctx.check_csrf(&headers, &form.csrf)?;
    let t = ctx.t();
    let channel: ChannelId = parse(&id)?;
    let thread: Option<MessageId> = match form.thread.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(parse(raw)?),
    };
    // Only someone who may post here may store a file.
    conversation_use::channel(&state.app, &me.caller(), &me.org, channel).await?;
    let mut attachments = Vec::new();
    if let Some((filename, bytes)) = file {
        match conversation::upload(&state, &me.org, &me.caller(), &filename, bytes).await {
            Ok(attachment) => attachments.push(attachment.id),
            Err(AppError::Invalid(fields)) => {
                let too_large = fields
                    .0
                    .first()
                    .is_some_and(|f| matches!(f.problem, Problem::FileTooLarge { .. }));
                let message = match too_large {
                    true => t.attachment_too_large,
                    false => t.attachment_type,
                };
                return channel_page(
                    &state,
                    &ctx,
                    &me,
                    channel,
                    thread,
                    None,
                    Some(message.to_owned()),
                    form.body,
                )
                .await;
            }
            Err(other) => return Err(other.into()),
        }
    }
    let input = PostInput {
        body: form.body.clone(),
        thread_root: thread,
        announcement: form.announcement.is_some(),
        send_out: form.send_out.is_some(),
        idempotency_key: Some(form.key),
        attachments,
    };
    let posted =
        beredskap_app::conversation::post(&state.app, &me.caller(), &me.org, channel, input)
            .await
            .map_err(AppError::from);
    match posted {
        Ok(posted) => {
            let target = match thread {
                Some(root) => format!("/c/{channel}/t/{root}#m-{}", posted.message.id),
                None => format!("/c/{channel}#m-{}", posted.message.id),
            };
            Ok(Redirect::to(&target).into_response())
        }
        // What is wrong with the text, said at the message box.
        Err(AppError::Invalid(errors)) => {
            let message = errors
                .0
                .iter()
                .map(|e| format!("{}: {}", t.message, e.problem.text(t.lang)))
                .collect::<Vec<_>>()
                .join("; ");
            channel_page(
                &state,
                &ctx,
                &me,
                channel,
                thread,
                None,
                Some(message),
                form.body,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// An attached file, for someone who may see the message it is on.
pub async fn file(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    Ok(conversation::download(&state, &me.org, &me.caller(), parse(&id)?).await?)
}

// ------------------------------------------------------------------ one message

#[derive(Template)]
#[template(path = "message.html")]
struct MessageFragment {
    page: Page,
    m: MessageView,
}

#[derive(Debug, Default, Deserialize)]
pub struct FragmentQuery {
    /// `thread` when the message is shown inside its thread (no link to it).
    view: Option<String>,
}

/// One message as HTML, for live updates to insert or replace.
pub async fn fragment(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<FragmentQuery>,
) -> Result<Response, WebError> {
    let (message, channel) =
        conversation_use::message(&state.app, &me.caller(), &me.org, parse(&id)?).await?;
    let names =
        conversation_use::names(&state.app, &me.caller(), &me.org, vec![message.author]).await?;
    let unconfirmed = unconfirmed(&state, &me).await?;
    let viewer = Viewer {
        me: &me,
        names: &names,
        unconfirmed: &unconfirmed,
        classification: &channel.classification,
    };
    let view = viewer.view(&message, query.view.as_deref() != Some("thread"));
    let html = MessageFragment {
        page: Page::signed_in(&ctx, &me, ""),
        m: view,
    }
    .render()
    .map_err(|e| WebError(AppError::Internal(format!("template: {e}")), None))?;
    Ok(Html(html).into_response())
}

/// Back to where the message is shown.
fn back_to(message: &Message) -> String {
    match message.thread_root {
        Some(root) => format!("/c/{}/t/{root}#m-{}", message.channel_id, message.id),
        None => format!("/c/{}#m-{}", message.channel_id, message.id),
    }
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    csrf: String,
    #[serde(default)]
    emoji: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

/// `/m/{id}/{action}`: react, unreact, confirm, delete or edit, then back to the message.
pub async fn act(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: MessageId = parse(&id)?;
    let change = match (action.as_str(), form.emoji, form.body) {
        ("react", Some(emoji), _) => MessageChange::React(emoji),
        ("unreact", Some(emoji), _) => MessageChange::Unreact(emoji),
        ("confirm", _, _) => MessageChange::Confirm,
        ("delete", _, _) => MessageChange::Delete,
        ("edit", _, Some(body)) => MessageChange::Edit(body),
        _ => return Err(AppError::NotFound.into()),
    };
    let message =
        beredskap_app::conversation::change(&state.app, &me.caller(), &me.org, id, change)
            .await
            .map_err(|e| match AppError::from(e) {
                e @ AppError::Invalid(_) => WebError(e, Some(ctx.t().invalid_input)),
                AppError::Refused { .. } => WebError(AppError::Forbidden, None),
                other => other.into(),
            })?;
    Ok(Redirect::to(&back_to(&message)).into_response())
}

#[derive(Template)]
#[template(path = "message_edit.html")]
struct EditPage {
    page: Page,
    id: String,
    body: String,
    back: String,
    versions: Vec<(i32, String, String)>,
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (message, _) =
        conversation_use::message(&state.app, &me.caller(), &me.org, parse(&id)?).await?;
    let versions = conversation_use::versions(&state.app, &me.caller(), &me.org, message.id)
        .await?
        .into_iter()
        .map(|(v, body, at)| (v, body, when(at, me.org.zone())))
        .collect();
    if message.author != me.account.id || message.deleted_at.is_some() {
        return Err(AppError::Forbidden.into());
    }
    render(
        StatusCode::OK,
        &EditPage {
            page: Page::signed_in(&ctx, &me, ctx.t().edit),
            id: message.id.to_string(),
            body: message.body.clone(),
            back: back_to(&message),
            versions,
        },
    )
}

#[derive(Template)]
#[template(path = "message_redact.html")]
struct RedactPage {
    page: Page,
    id: String,
    back: String,
    versions: Vec<(i32, String, String)>,
    reason: String,
    /// The reason was refused (empty, too long, control characters).
    refused: bool,
}

/// The records view of one message (administrators): every version, deleted or not, and
/// the form that redacts it.
pub async fn redact_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    if !allows(&me.caller(), UseCase::Redact) {
        return Err(AppError::Forbidden.into());
    }
    let (message, _) =
        conversation_use::message(&state.app, &me.caller(), &me.org, parse(&id)?).await?;
    redact_page(&state, &ctx, &me, &message, None).await
}

async fn redact_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    message: &Message,
    refused_reason: Option<String>,
) -> Result<Response, WebError> {
    let versions = conversation_use::versions(&state.app, &me.caller(), &me.org, message.id)
        .await?
        .into_iter()
        .map(|(v, body, at)| (v, body, when(at, me.org.zone())))
        .collect();
    let status = match refused_reason {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    render(
        status,
        &RedactPage {
            page: Page::signed_in(ctx, me, ctx.t().redact_title),
            id: message.id.to_string(),
            back: back_to(message),
            versions,
            refused: refused_reason.is_some(),
            reason: refused_reason.unwrap_or_default(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct RedactForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

pub async fn redact(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<RedactForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id: MessageId = parse(&id)?;
    let redacted =
        beredskap_app::conversation::redact(&state.app, &me.caller(), &me.org, id, &form.reason)
            .await
            .map_err(AppError::from);
    match redacted {
        Ok(message) => Ok(Redirect::to(&back_to(&message)).into_response()),
        Err(AppError::Invalid(_)) => {
            let (message, _) =
                conversation_use::message(&state.app, &me.caller(), &me.org, id).await?;
            redact_page(&state, &ctx, &me, &message, Some(form.reason)).await
        }
        Err(AppError::Refused { .. }) => Err(AppError::Forbidden.into()),
        Err(other) => Err(other.into()),
    }
}

struct RosterRow {
    name: String,
    seen: Option<String>,
    confirmed: Option<String>,
}

#[derive(Template)]
#[template(path = "roster.html")]
struct RosterPage {
    page: Page,
    body: String,
    back: String,
    rows: Vec<RosterRow>,
    confirmed: usize,
    total: usize,
}

/// Who was sent an announcement, and who has seen and confirmed it.
pub async fn roster(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let roster =
        beredskap_app::conversation::roster(&state.app, &me.caller(), &me.org, parse(&id)?)
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Refused { .. } => WebError(AppError::Forbidden, None),
                other => other.into(),
            })?;
    // Sent out beyond the app: the alert's roster has everyone, confirmed where they did.
    if let Some(alert) = roster.sent_out {
        return Ok(Redirect::to(&format!("/alerts/{alert}")).into_response());
    }
    let (message, receipts) = (roster.message, roster.receipts);
    let readers = receipts.iter().map(|r| r.account_id).collect();
    let names = conversation_use::names(&state.app, &me.caller(), &me.org, readers).await?;
    let mut rows: Vec<RosterRow> = receipts
        .iter()
        .map(|r| RosterRow {
            name: names.get(&r.account_id).cloned().unwrap_or_default(),
            seen: r.seen_at.map(|t| when(t, me.org.zone())),
            confirmed: r.confirmed_at.map(|t| when(t, me.org.zone())),
        })
        .collect();
    // Those who have not confirmed first: they are the ones to chase.
    rows.sort_by_key(|r| (r.confirmed.is_some(), r.name.to_lowercase()));
    render(
        StatusCode::OK,
        &RosterPage {
            page: Page::signed_in(&ctx, &me, ctx.t().roster_title),
            body: message.body.clone(),
            back: back_to(&message),
            confirmed: receipts.iter().filter(|r| r.confirmed_at.is_some()).count(),
            total: receipts.len(),
            rows,
        },
    )
}

// ------------------------------------------------------------------ new channel

#[derive(Template)]
#[template(path = "channel_new.html")]
struct NewChannelPage {
    page: Page,
    kinds: Vec<(&'static str, &'static str)>,
    labels: Vec<String>,
    groups: Vec<(String, String)>,
    people: Vec<(String, String)>,
    problems: FormProblems,
    /// What was sent, kept when the form comes back with problems.
    form: Vec<(String, String)>,
}

impl NewChannelPage {
    fn value(&self, name: &str) -> String {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn chosen(&self, name: &str, value: &str) -> bool {
        self.form.iter().any(|(k, v)| k == name && v == value)
    }
}

/// The new-channel form's inputs, in order, with their labels.
fn channel_problems(t: &super::Texts, errors: &FieldErrors) -> FormProblems {
    const ORDER: [&str; 5] = ["name", "kind", "group", "classification", "members"];
    let place = |field: &str| {
        let (input, label) = match field {
            "name" => ("name", t.name),
            "kind" => ("kind", t.kind),
            "group" | "group_id" => ("group", t.kind_group),
            "classification" => ("classification", t.classification),
            _ => ("members", t.members),
        };
        (input, label.to_owned())
    };
    FormProblems::new(errors, t.lang, place, &ORDER)
}

async fn new_channel_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    problems: FormProblems,
    form: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    if !allows(&me.caller(), UseCase::CreateChannel) {
        return Err(AppError::Forbidden.into());
    }
    let mut kinds = vec![
        ("incident", t.kind_incident),
        ("group", t.kind_group),
        ("direct", t.kind_direct),
    ];
    let groups: Vec<(String, String)> =
        beredskap_app::register::groups(&state.app, &me.caller(), &me.org)
            .await?
            .into_iter()
            .map(|g| (g.id.to_string(), g.name))
            .collect();
    if allows(&me.caller(), UseCase::CreateOrgChannel) {
        kinds.insert(0, ("org", t.kind_org));
    }
    // A group channel needs a group to follow.
    if groups.is_empty() {
        kinds.retain(|(kind, _)| *kind != "group");
    }
    let names = conversation_use::people_to_invite(&state.app, &me.caller(), &me.org).await?;
    let mut people: Vec<(String, String)> = names
        .into_iter()
        .filter(|(id, _)| *id != me.account.id)
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    people.sort_by_key(|(_, name)| name.to_lowercase());
    let status = problems.status();
    // The second label (the usual "internal") until something else is chosen.
    let mut form = form;
    if !form.iter().any(|(k, _)| k == "classification") {
        if let Some(usual) = me.org.classifications.get(1) {
            form.push(("classification".into(), usual.clone()));
        }
    }
    render(
        status,
        &NewChannelPage {
            page: Page::signed_in(ctx, me, t.new_channel),
            kinds,
            labels: me.org.classifications.clone(),
            groups,
            people,
            problems,
            form,
        },
    )
}

pub async fn new_channel(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    new_channel_page(&state, &ctx, &me, FormProblems::default(), Vec::new()).await
}

pub async fn create_channel(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    let field = |name: &str| field(&fields, name);
    ctx.check_csrf(&headers, &field("csrf"))?;
    let t = ctx.t();
    let kept: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .cloned()
        .collect();
    let mut problems = FieldErrors::new();
    let kind = ChannelKind::parse(&field("kind"));
    if kind.is_none() {
        let choices = "org, incident, group, direct".to_owned();
        problems.add("kind", Problem::OneOf { choices });
    }
    let members = chosen_members(&fields, &mut problems);
    let group_id = match (kind, field("group").as_str()) {
        (Some(ChannelKind::Group), raw) if !raw.is_empty() => problems.check(
            "group",
            raw.parse()
                .map(beredskap_core::GroupId)
                .map_err(|_| Problem::UnknownGroup),
        ),
        _ => None,
    };
    let Some(kind) = kind.filter(|_| problems.is_empty()) else {
        let shown = channel_problems(t, &problems);
        return new_channel_page(&state, &ctx, &me, shown, kept).await;
    };
    let new = NewChannel {
        kind,
        name: field("name"),
        classification: field("classification"),
        group_id,
        members,
    };
    let created =
        beredskap_app::conversation::create_channel(&state.app, &me.caller(), &me.org, new)
            .await
            .map_err(AppError::from);
    match created {
        Ok(channel) => Ok(Redirect::to(&format!("/c/{}", channel.id)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let shown = channel_problems(t, &errors);
            new_channel_page(&state, &ctx, &me, shown, kept).await
        }
        Err(AppError::Refused { .. }) => Err(AppError::Forbidden.into()),
        Err(other) => Err(other.into()),
    }
}

// ------------------------------------------------------------------ add members

#[derive(Template)]
#[template(path = "channel_members.html")]
struct MembersPage {
    page: Page,
    title: String,
    channel_id: String,
    /// People with an account who are not in the channel yet: (account, name).
    people: Vec<(String, String)>,
    problems: FormProblems,
}

async fn members_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    channel: ChannelId,
    problems: FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let (channel, addable) =
        conversation_use::people_to_add(&state.app, &me.caller(), &me.org, channel).await?;
    let status = match problems.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let title = t.lang.format(
        "add-members-title",
        &[("channel", channel.name.as_str().into())],
    );
    render(
        status,
        &MembersPage {
            page: Page::signed_in(ctx, me, t.add_members),
            title,
            channel_id: channel.id.to_string(),
            people: addable
                .into_iter()
                .map(|(id, name)| (id.to_string(), name))
                .collect(),
            problems,
        },
    )
}

/// Who may be added to a channel, to choose from.
pub async fn members_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    members_page(&state, &ctx, &me, parse(&id)?, FormProblems::default()).await
}

/// Adds the people chosen to a channel after it was made.
pub async fn add_members(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let channel: ChannelId = parse(&id)?;
    let t = ctx.t();
    let place = |_: &str| ("members", t.members.to_owned());
    let mut problems = FieldErrors::new();
    let members = chosen_members(&fields, &mut problems);
    if members.is_empty() && problems.is_empty() {
        problems.add("members", Problem::Count { min: 1, max: 1000 });
    }
    if !problems.is_empty() {
        let shown = FormProblems::new(&problems, t.lang, place, &["members"]);
        return members_page(&state, &ctx, &me, channel, shown).await;
    }
    match conversation_use::add_members(&state.app, &me.caller(), &me.org, channel, members)
        .await
        .map_err(AppError::from)
    {
        Ok(()) => Ok(Redirect::to(&format!("/c/{channel}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let shown = FormProblems::new(&errors, t.lang, place, &["members"]);
            members_page(&state, &ctx, &me, channel, shown).await
        }
        Err(AppError::Refused { .. }) => Err(AppError::Forbidden.into()),
        Err(other) => Err(other.into()),
    }
}

// ------------------------------------------------------------------ live

#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    after: Option<i64>,
}

/// The signed-in person's live stream (the browser's `EventSource` sends the cookie).
pub async fn events(
    State(state): State<AppState>,
    me: SignedIn,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Result<Response, WebError> {
    Ok(crate::http::event_stream(&state, me.org.id, &me.account, &headers, query.after).await?)
}

// ------------------------------------------------------------------ search

struct HitView {
    id: String,
    channel: String,
    author: String,
    at: String,
    snippet_html: String,
}

/// A channel or incident found by its name: where it leads, its name, and a word on it
/// (an incident's time, and whether it has ended).
struct PlaceView {
    href: String,
    name: String,
    about: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: Page,
    words: String,
    searched: bool,
    hits: Vec<HitView>,
    channels: Vec<PlaceView>,
    incidents: Vec<PlaceView>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Query(query): Query<SearchQuery>,
) -> Result<Response, WebError> {
    let words = query.q.chars().take(500).collect::<String>();
    let searched = !words.trim().is_empty();
    let hits = if searched {
        conversation::search(&state, &me.org, &me.caller(), &words)
            .await?
            .into_iter()
            .map(|h| {
                let about = h.about.as_ref();
                HitView {
                    id: h.message.to_string(),
                    channel: about.map(|a| a.channel_name.clone()).unwrap_or_default(),
                    author: about.map(|a| a.author_name.clone()).unwrap_or_default(),
                    at: about
                        .map(|a| super::when(a.posted_at, me.org.zone()))
                        .unwrap_or_default(),
                    snippet_html: h.snippet_html,
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let t = ctx.t();
    let places = match searched {
        true => conversation_use::find_places(&state.app, &me.caller(), &me.org, &words).await?,
        false => conversation_use::Places::default(),
    };
    let channels = places
        .channels
        .into_iter()
        .map(|c| PlaceView {
            href: format!("/c/{}", c.id),
            name: c.name,
            about: String::new(),
        })
        .collect();
    let incidents = places
        .incidents
        .into_iter()
        .map(|i| PlaceView {
            href: format!("/incidents/{}", i.id),
            about: match i.closed_at {
                None => when(i.opened_at, me.org.zone()),
                Some(_) => format!("{} · {}", when(i.opened_at, me.org.zone()), t.search_ended),
            },
            name: i.title,
        })
        .collect();
    render(
        StatusCode::OK,
        &SearchPage {
            page: Page::signed_in(&ctx, &me, t.search_title),
            words,
            searched,
            hits,
            channels,
            incidents,
        },
    )
}

/// Goes to a message where it is shown: its channel, or its thread.
pub async fn open(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (message, _) =
        conversation_use::message(&state.app, &me.caller(), &me.org, parse(&id)?).await?;
    Ok(Redirect::to(&back_to(&message)).into_response())
}

#[derive(serde::Deserialize)]
pub struct MentionQuery {
    #[serde(default)]
    q: String,
}

/// Names to mention that fit what is typed after `@`, for the composer's suggestions (a
/// script's aid: without it, `@Full Name` typed out works the same).
pub async fn mention_suggestions(
    State(state): State<AppState>,
    me: SignedIn,
    Query(query): Query<MentionQuery>,
) -> Result<Response, WebError> {
    let names =
        conversation_use::mention_suggestions(&state.app, &me.caller(), &me.org, &query.q).await?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(names),
    )
        .into_response())
}
