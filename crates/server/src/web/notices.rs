//! The crisis leads' forms for the status page's notices: publish one (from an incident,
//! or planned maintenance on its own) and update it. Each update is written whole — its
//! phase, its text in the organisation's language and in any other, the services it is
//! about — so the form opens with the latest update filled in.

use super::form::{field, Fields, FormProblems};
use super::i18n::Texts;
use super::session::SignedIn;
use super::{render, Page, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::status as use_case;
use beredskap_core::continuity::notices::{Kind, Notice, NoticeTextInput, UpdateInput};
use beredskap_core::continuity::services::Service;
use beredskap_core::{FieldErrors, IncidentId, NoticeId, Problem, ServiceId};
use beredskap_i18n::Lang;
use serde::Deserialize;

/// `datetime-local`'s format, on the organisation's clock.
const LOCAL_TIME: &str = "%Y-%m-%dT%H:%M";

struct PhaseChoice {
    code: &'static str,
    label: &'static str,
    checked: bool,
}

struct LangFields {
    code: &'static str,
    name: &'static str,
    title: String,
    body: String,
}

struct ServiceChoice {
    id: String,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "notice_form.html")]
struct FormPage {
    page: Page,
    /// Where the form posts.
    action: String,
    back: String,
    kind: &'static str,
    incident: String,
    exercise: bool,
    phases: Vec<PhaseChoice>,
    /// The organisation's language first: the one the form opens with.
    first: LangFields,
    others: Vec<LangFields>,
    others_open: bool,
    services: Vec<ServiceChoice>,
    maintenance: bool,
    starts_at: String,
    ends_at: String,
    problems: FormProblems,
    submit: &'static str,
}

/// The languages in the form's order: the organisation's first.
fn langs(me: &SignedIn) -> Vec<Lang> {
    let first = Lang::parse(me.org.language_code()).unwrap_or_else(Lang::fallback);
    std::iter::once(first)
        .chain(Lang::all().filter(|l| *l != first))
        .collect()
}

/// What the form holds, as typed (or as the latest update says).
struct Typed {
    phase: String,
    texts: Vec<(Lang, String, String)>,
    services: Vec<ServiceId>,
    starts_at: String,
    ends_at: String,
}

impl Typed {
    fn from_fields(me: &SignedIn, fields: &Fields) -> Self {
        Typed {
            phase: field(fields, "phase"),
            texts: langs(me)
                .into_iter()
                .map(|l| {
                    (
                        l,
                        field(fields, &format!("title_{}", l.code())),
                        field(fields, &format!("body_{}", l.code())),
                    )
                })
                .collect(),
            services: fields
                .iter()
                .filter(|(k, _)| k == "services")
                .filter_map(|(_, v)| v.parse().ok())
                .collect(),
            starts_at: field(fields, "starts_at"),
            ends_at: field(fields, "ends_at"),
        }
    }

    fn from_notice(me: &SignedIn, notice: &Notice) -> Self {
        let latest = notice.latest();
        let zone = me.org.zone();
        let local = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| zone.local(t).format(LOCAL_TIME).to_string())
                .unwrap_or_default()
        };
        Typed {
            phase: latest.phase.as_str().to_owned(),
            texts: langs(me)
                .into_iter()
                .map(|l| {
                    let text = latest.texts.iter().find(|x| x.lang == l.code());
                    (
                        l,
                        text.map(|x| x.title.clone()).unwrap_or_default(),
                        text.map(|x| x.body.clone()).unwrap_or_default(),
                    )
                })
                .collect(),
            services: latest.services.clone(),
            starts_at: local(notice.starts_at),
            ends_at: local(notice.ends_at),
        }
    }

    /// The update to send; a time that cannot be read is a problem on its field.
    fn input(&self, me: &SignedIn) -> Result<UpdateInput, FieldErrors> {
        let zone = me.org.zone();
        let mut errors = FieldErrors::new();
        let mut time = |name: &str, typed: &str| match typed.trim() {
            "" => None,
            typed => {
                let at = chrono::NaiveDateTime::parse_from_str(typed, LOCAL_TIME)
                    .ok()
                    .and_then(|local| zone.moment(local));
                if at.is_none() {
                    errors.add(name, Problem::NotADate);
                }
                at
            }
        };
        let starts_at = time("starts_at", &self.starts_at);
        let ends_at = time("ends_at", &self.ends_at);
        errors.into_result()?;
        Ok(UpdateInput {
            phase: self.phase.clone(),
            texts: self
                .texts
                .iter()
                .map(|(l, title, body)| NoticeTextInput {
                    lang: l.code().to_owned(),
                    title: title.clone(),
                    body: body.clone(),
                })
                .collect(),
            services: self.services.clone(),
            starts_at,
            ends_at,
        })
    }
}

struct Form_<'a> {
    action: String,
    back: String,
    kind: Kind,
    incident: Option<IncidentId>,
    exercise: bool,
    title: &'static str,
    submit: &'static str,
    typed: &'a Typed,
}

async fn form_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    form: Form_<'_>,
    errors: Option<&FieldErrors>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let services: Vec<Service> =
        beredskap_app::services::services(&state.app, &me.caller(), &me.org).await?;
    let order = langs(me);
    let inputs = problem_order(&order);
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let problems = match errors {
        Some(errors) => FormProblems::new(errors, t.lang, |f: &str| place(t, &order, f), &inputs),
        None => FormProblems::default(),
    };
    let typed = form.typed;
    let mut fields = typed.texts.iter().map(|(l, title, body)| LangFields {
        code: l.code(),
        name: l.name(),
        title: title.clone(),
        body: body.clone(),
    });
    let first = fields.next().unwrap_or(LangFields {
        code: t.lang.code(),
        name: t.lang.name(),
        title: String::new(),
        body: String::new(),
    });
    let others: Vec<LangFields> = fields.collect();
    // Open when another language has text, or a problem.
    let others_open = others.iter().any(|o| {
        !o.title.is_empty()
            || !o.body.is_empty()
            || !problems.error(&format!("title_{}", o.code)).is_empty()
            || !problems.error(&format!("body_{}", o.code)).is_empty()
    });
    let phase_default = form.kind.phases()[0].as_str();
    let chosen = match typed.phase.as_str() {
        "" => phase_default,
        p => p,
    };
    render(
        problems.status(),
        &FormPage {
            page: Page::signed_in(ctx, me, form.title),
            action: form.action,
            back: form.back,
            kind: form.kind.as_str(),
            incident: form.incident.map(|i| i.to_string()).unwrap_or_default(),
            exercise: form.exercise,
            phases: form
                .kind
                .phases()
                .iter()
                .map(|p| PhaseChoice {
                    code: p.as_str(),
                    label: t.phase(*p),
                    checked: p.as_str() == chosen,
                })
                .collect(),
            first,
            others,
            others_open,
            services: services
                .iter()
                .map(|s| ServiceChoice {
                    id: s.id.to_string(),
                    name: s.name.clone(),
                    checked: typed.services.contains(&s.id),
                })
                .collect(),
            maintenance: form.kind == Kind::Maintenance,
            starts_at: typed.starts_at.clone(),
            ends_at: typed.ends_at.clone(),
            problems,
            submit: form.submit,
        },
    )
}

/// The input a problem's field belongs to, and its label.
fn place(t: &Texts, order: &[Lang], field: &str) -> (String, String) {
    if let Some(rest) = field.strip_prefix("texts[") {
        let (index, part) = rest.split_once("].").unwrap_or((rest, "title"));
        let lang = index
            .parse::<usize>()
            .ok()
            .and_then(|i| order.get(i))
            .copied()
            .unwrap_or(t.lang);
        return match part {
            "body" => (
                format!("body_{}", lang.code()),
                format!("{} ({})", t.notice_body_field, lang.name()),
            ),
            _ => (
                format!("title_{}", lang.code()),
                format!("{} ({})", t.notice_title_field, lang.name()),
            ),
        };
    }
    match field {
        "phase" => ("phase".into(), t.notice_phase.into()),
        "starts_at" => ("starts_at".into(), t.notice_starts.into()),
        "ends_at" => ("ends_at".into(), t.notice_ends.into()),
        _ => ("services".into(), t.notice_services.into()),
    }
}

/// The form's inputs in their order, for the problems' summary.
fn problem_order(order: &[Lang]) -> Vec<String> {
    let mut inputs = vec!["phase".to_owned()];
    for lang in order {
        inputs.push(format!("title_{}", lang.code()));
        inputs.push(format!("body_{}", lang.code()));
    }
    inputs.extend(["services", "starts_at", "ends_at"].map(str::to_owned));
    inputs
}

#[derive(Debug, Default, Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    incident: Option<String>,
}

fn new_form_parts(
    t: &'static Texts,
    kind: Kind,
    incident: Option<IncidentId>,
) -> (String, &'static str) {
    let back = match incident {
        Some(id) => format!("/incidents/{id}#notices"),
        None => "/services/public".to_owned(),
    };
    let title = match kind {
        Kind::Disruption => t.notice_new,
        Kind::Maintenance => t.notice_new_maintenance,
    };
    (back, title)
}

/// Whether the incident (if any) is an exercise: what the form warns of.
async fn exercise(
    state: &AppState,
    me: &SignedIn,
    incident: Option<IncidentId>,
) -> Result<bool, WebError> {
    Ok(match incident {
        Some(id) => {
            use_case::incident_for_notice(&state.app, &me.caller(), &me.org, id)
                .await?
                .exercise
        }
        None => false,
    })
}

fn query_parts(query: &NewQuery) -> Result<(Kind, Option<IncidentId>), WebError> {
    let kind = match query.kind.as_deref() {
        None | Some("") => Kind::Disruption,
        Some(k) => Kind::parse(k).map_err(|_| WebError::from(AppError::NotFound))?,
    };
    let incident = match query.incident.as_deref() {
        None | Some("") => None,
        Some(id) => Some(
            id.parse::<IncidentId>()
                .map_err(|_| WebError::from(AppError::NotFound))?,
        ),
    };
    Ok((kind, incident))
}

/// The form for a new notice: `?kind=maintenance` for planned maintenance, `?incident=`
/// to publish from an incident (its disrupted services ticked).
pub async fn new_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Query(query): Query<NewQuery>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    if !beredskap_app::policy::allows(&me.caller(), beredskap_app::UseCase::KeepPublicStatus) {
        return Err(AppError::Forbidden.into());
    }
    let (kind, incident) = query_parts(&query)?;
    let exercise = exercise(&state, &me, incident).await?;
    let services = beredskap_app::services::services(&state.app, &me.caller(), &me.org).await?;
    let typed = Typed {
        phase: String::new(),
        texts: langs(&me)
            .into_iter()
            .map(|l| (l, String::new(), String::new()))
            .collect(),
        services: services
            .iter()
            .filter(|s| incident.is_some() && s.state.is_disrupted())
            .map(|s| s.id)
            .collect(),
        starts_at: String::new(),
        ends_at: String::new(),
    };
    let (back, title) = new_form_parts(t, kind, incident);
    let form = Form_ {
        action: "/notices".into(),
        back,
        kind,
        incident,
        exercise,
        title,
        submit: t.notice_publish,
        typed: &typed,
    };
    form_page(&state, &ctx, &me, form, None).await
}

pub async fn publish(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let t = ctx.t();
    let query = NewQuery {
        kind: Some(field(&fields, "kind")),
        incident: Some(field(&fields, "incident")),
    };
    let (kind, incident) = query_parts(&query)?;
    let typed = Typed::from_fields(&me, &fields);
    let result = match typed.input(&me) {
        Ok(input) => {
            use_case::publish_notice(&state.app, &me.caller(), &me.org, incident, kind, &input)
                .await
                .map_err(AppError::from)
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(notice) => Ok(Redirect::to(&after(&notice)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let exercise = exercise(&state, &me, incident).await?;
            let (back, title) = new_form_parts(t, kind, incident);
            let form = Form_ {
                action: "/notices".into(),
                back,
                kind,
                incident,
                exercise,
                title,
                submit: t.notice_publish,
                typed: &typed,
            };
            form_page(&state, &ctx, &me, form, Some(&errors)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// Where a published or updated notice leads: its incident, or the list of notices.
fn after(notice: &Notice) -> String {
    match notice.incident_id {
        Some(id) => format!("/incidents/{id}#notices"),
        None => "/services/public#notices".to_owned(),
    }
}

fn update_form_of<'a>(t: &'static Texts, notice: &Notice, typed: &'a Typed) -> Form_<'a> {
    Form_ {
        action: format!("/notices/{}", notice.id),
        back: after(notice),
        kind: notice.kind,
        incident: None,
        exercise: notice.exercise,
        title: t.notice_update,
        submit: t.notice_publish_update,
        typed,
    }
}

/// The form for the next update, filled in with the latest.
pub async fn update_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: NoticeId = id.parse().map_err(|_| AppError::NotFound)?;
    let notice = use_case::notice(&state.app, &me.caller(), &me.org, id).await?;
    if !notice.is_open() {
        return Err(AppError::Conflict(FieldErrors::single("phase", Problem::Closed)).into());
    }
    let typed = Typed::from_notice(&me, &notice);
    let form = update_form_of(ctx.t(), &notice, &typed);
    form_page(&state, &ctx, &me, form, None).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &field(&fields, "csrf"))?;
    let id: NoticeId = id.parse().map_err(|_| AppError::NotFound)?;
    let notice = use_case::notice(&state.app, &me.caller(), &me.org, id).await?;
    let typed = Typed::from_fields(&me, &fields);
    let result = match typed.input(&me) {
        Ok(input) => use_case::update_notice(&state.app, &me.caller(), &me.org, id, &input)
            .await
            .map_err(AppError::from),
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(notice) => Ok(Redirect::to(&after(&notice)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let form = update_form_of(ctx.t(), &notice, &typed);
            form_page(&state, &ctx, &me, form, Some(&errors)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// A notice as listed for staff (on the ways-to-reach page and the incident's page).
pub struct NoticeRow {
    pub id: String,
    pub title: String,
    pub exercise: bool,
    pub phase_label: &'static str,
    pub at: String,
    pub open: bool,
}

pub fn rows(t: &'static Texts, me: &SignedIn, notices: &[Notice]) -> Vec<NoticeRow> {
    notices
        .iter()
        .map(|n| {
            let latest = n.latest();
            NoticeRow {
                id: n.id.to_string(),
                title: latest
                    .text(t.lang.code())
                    .map(|x| x.title.clone())
                    .unwrap_or_default(),
                exercise: n.exercise,
                phase_label: t.phase(latest.phase),
                at: super::when(latest.at, me.org.zone()),
                open: n.is_open(),
            }
        })
        .collect()
}
