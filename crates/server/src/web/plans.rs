//! Continuity plans in the pages: the list (`/plans`) with each plan's approval and
//! review date, a plan in full with its action cards (`/plans/{id}`, printable), its file
//! (`/plans/{id}/plan.yaml`), the approval, the import of a file with its problems by
//! line, and the editor (`/plans/new`, `/plans/{id}/edit`).

use super::form::FormProblems;
use super::session::SignedIn;
use super::{render, when, Page, Texts, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use beredskap_app::plans::{self as use_case, PlanRefused, PlanSheet};
use beredskap_app::policy::allows;
use beredskap_app::UseCase;
use beredskap_core::alerting::Severity;
use beredskap_core::continuity::plans::{
    ActionCard, Plan, PlanDocument, PlanFileProblem, PlanTask,
};
use beredskap_core::domain::readable_number;
use beredskap_core::{FieldErrors, PlanId, Problem, Slug};
use serde::Deserialize;

fn parse_id(raw: &str) -> Result<PlanId, WebError> {
    raw.parse().map_err(|_| AppError::NotFound.into())
}

/// A date as pages show it, on the organisation's clock.
fn day(t: chrono::DateTime<chrono::Utc>, zone: beredskap_core::TimeZone) -> String {
    zone.local(t).format("%Y-%m-%d").to_string()
}

/// What the list and the plan's page say about its state: saved, approved, to review.
struct Status {
    version: String,
    /// "Approved version 3, …" or "Not approved".
    approval: String,
    /// Approved, but a newer version has been saved since.
    changed_since: bool,
    /// "To be reviewed by …", or overdue.
    review: String,
    review_overdue: bool,
    approved: bool,
}

fn status(
    t: &Texts,
    me: &SignedIn,
    plan: &Plan,
    approved_by: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Status {
    let zone = me.org.zone();
    let (approval, review, review_overdue) = match &plan.approval {
        Some(a) => {
            let overdue = plan.review_due(now);
            (
                t.plans_event(true, a.version, &when(a.at, zone), approved_by),
                t.plans_review(overdue, &day(a.review_by, zone)),
                overdue,
            )
        }
        None => (t.plans_not_approved.to_owned(), String::new(), false),
    };
    Status {
        version: t.plans_version(plan.version),
        approval,
        changed_since: plan.approval.is_some() && !plan.is_approved(),
        review,
        review_overdue,
        approved: plan.is_approved(),
    }
}

struct ListRow {
    id: String,
    title: String,
    status: Status,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct ListPage {
    page: Page,
    plans: Vec<ListRow>,
    may_keep: bool,
    slug: String,
    problems: Vec<String>,
    may_take_kit: bool,
}

async fn list_page(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    slug: String,
    problems: Vec<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let now = state.clock.now();
    let plans = use_case::plans(&state.app, &me.caller(), &me.org).await?;
    let code = match problems.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    render(
        code,
        &ListPage {
            page: Page::signed_in(ctx, me, t.plans_title),
            plans: plans
                .iter()
                .map(|p| ListRow {
                    id: p.id.to_string(),
                    title: p.document.title.clone(),
                    status: status(t, me, p, None, now),
                })
                .collect(),
            may_keep: allows(&me.caller(), UseCase::KeepPlans),
            may_take_kit: allows(&me.caller(), UseCase::TakeOfflineKit),
            slug,
            problems,
        },
    )
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    list_page(&state, &ctx, &me, String::new(), Vec::new()).await
}

// ------------------------------------------------------------------ one plan

pub struct TaskView {
    pub due: String,
    pub task: String,
    pub condition: String,
}

pub struct CardView {
    pub position: String,
    pub on_call: String,
    pub duties: String,
    pub tasks: Vec<TaskView>,
}

pub struct ContactView {
    pub name: String,
    pub organisation: String,
    pub href: String,
    pub shown: String,
    pub call_for: String,
}

/// A plan's sections as its page (and the offline kit) shows them.
pub struct PlanBody {
    /// Tells one plan's action cards from another's on a page with several.
    pub key: String,
    pub title: String,
    /// Whether and when it was approved, for where the plan's own status line is not shown.
    pub approval: String,
    pub summary: String,
    pub criteria: Vec<String>,
    pub scale_up: String,
    pub scale_down: String,
    pub alarm_whom: Vec<String>,
    pub alarm_message: String,
    pub severity: &'static str,
    pub alarm_how: String,
    pub out_of_hours: String,
    pub leadership: String,
    pub cards: Vec<CardView>,
    pub staffing: String,
    pub equipment: String,
    pub comm_staff: String,
    pub comm_citizens: String,
    pub comm_partners: String,
    pub contacts: Vec<ContactView>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    page: Page,
    id: String,
    version: i64,
    title: String,
    status: Status,
    saved: String,
    body: PlanBody,
    may_keep: bool,
    may_approve: bool,
    may_activate: bool,
    severities: Vec<(&'static str, &'static str)>,
    default_severity: &'static str,
}

pub fn plan_body(t: &Texts, region: beredskap_core::Region, sheet: &PlanSheet) -> PlanBody {
    let plan = &sheet.plan;
    let d = &plan.document;
    let name = |map: &std::collections::HashMap<String, String>, slug: &str| {
        map.get(slug).cloned().unwrap_or_else(|| slug.to_owned())
    };
    let mut alarm_whom: Vec<String> = d
        .alarm
        .positions
        .iter()
        .map(|s| name(&sheet.positions, s))
        .collect();
    alarm_whom.extend(d.alarm.groups.iter().map(|s| name(&sheet.groups, s)));
    let cards = d
        .action_cards
        .iter()
        .map(|c| CardView {
            position: name(&sheet.positions, &c.position),
            on_call: sheet
                .on_call
                .get(&c.position)
                .cloned()
                .unwrap_or_else(|| t.plan_nobody_on_call.to_owned()),
            duties: c.duties.clone(),
            tasks: c
                .tasks
                .iter()
                .map(|task| TaskView {
                    due: t.plan_task_due(task.after_minutes),
                    task: task.task.clone(),
                    condition: task
                        .at_least
                        .map(|s| t.plan_task_only(s))
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let contacts = sheet
        .contacts
        .iter()
        .map(|c| {
            let c = &c.contact;
            let (href, shown) = match (&c.phone, &c.email) {
                (Some(phone), _) => (format!("tel:{phone}"), readable_number(phone, region)),
                (None, Some(email)) => (format!("mailto:{email}"), email.clone()),
                (None, None) => (String::new(), String::new()),
            };
            ContactView {
                name: c.name.clone(),
                organisation: c.organisation.clone().unwrap_or_default(),
                href,
                shown,
                call_for: c.call_for.clone(),
            }
        })
        .collect();
    PlanBody {
        key: plan.id.to_string(),
        title: d.title.clone(),
        approval: String::new(),
        summary: d.summary.clone(),
        criteria: d.activation.criteria.clone(),
        scale_up: d.activation.scale_up.clone(),
        scale_down: d.activation.scale_down.clone(),
        alarm_whom,
        alarm_message: d.alarm.message.clone(),
        severity: t.severity(d.alarm.severity),
        alarm_how: d.alarm.how.clone(),
        out_of_hours: d.alarm.out_of_hours.clone(),
        leadership: d.leadership.clone(),
        cards,
        staffing: d.staffing.clone(),
        equipment: d.equipment.clone(),
        comm_staff: d.communication.staff.clone(),
        comm_citizens: d.communication.citizens.clone(),
        comm_partners: d.communication.partners.clone(),
        contacts,
    }
}

fn plan_page(
    t: &Texts,
    ctx: &WebContext,
    me: &SignedIn,
    sheet: PlanSheet,
    now: chrono::DateTime<chrono::Utc>,
) -> PlanPage {
    let plan = &sheet.plan;
    let d = &plan.document;
    let zone = me.org.zone();
    PlanPage {
        page: Page::signed_in(ctx, me, t.plans_title),
        id: plan.id.to_string(),
        version: plan.version,
        title: d.title.clone(),
        status: status(t, me, plan, sheet.approved_by.as_deref(), now),
        saved: t.plans_event(
            false,
            plan.version,
            &when(plan.updated_at, zone),
            sheet.updated_by.as_deref(),
        ),
        body: plan_body(t, me.org.region, &sheet),
        may_keep: allows(&me.caller(), UseCase::KeepPlans),
        may_approve: allows(&me.caller(), UseCase::ApprovePlans) && !plan.is_approved(),
        may_activate: allows(&me.caller(), UseCase::ActivatePlans),
        severities: Severity::ALL
            .iter()
            .map(|s| (s.as_str(), t.severity(*s)))
            .collect(),
        default_severity: d.alarm.severity.as_str(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let sheet = use_case::sheet(&state.app, &me.caller(), &me.org, id).await?;
    let mut page = plan_page(ctx.t(), &ctx, &me, sheet, state.clock.now());
    // The page's title is the plan's own.
    page.page.title = ctx.t().plans_title;
    render(StatusCode::OK, &page)
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    version: Option<i64>,
}

/// The plan as a file, to keep, edit elsewhere and import again.
pub async fn yaml(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let (plan, yaml) =
        use_case::export_yaml(&state.app, &me.caller(), &me.org, id, query.version).await?;
    let version = query.version.unwrap_or(plan.version);
    let disposition = format!("attachment; filename=\"{}-v{version}.yaml\"", plan.slug);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        yaml,
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: i64,
}

pub async fn approve(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<ApproveForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(&headers, &form.csrf)?;
    let id = parse_id(&id)?;
    let plan = use_case::approve(&state.app, &me.caller(), &me.org, id, form.version).await?;
    Ok(Redirect::to(&format!("/plans/{}", plan.id)).into_response())
}

// ------------------------------------------------------------------ import

/// A plan file sent from the list page: the whole file or nothing, each problem by line.
pub async fn import(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    request: axum::extract::Request,
) -> Result<Response, WebError> {
    use axum::extract::FromRequest;
    let t = ctx.t();
    // Someone who may not import is refused before the file is read.
    if !allows(&me.caller(), UseCase::KeepPlans) {
        return Err(AppError::Forbidden.into());
    }
    let bad = |detail: String| {
        WebError(
            AppError::invalid("file", Problem::Malformed { detail }),
            None,
        )
    };
    let mut parts = axum::extract::Multipart::from_request(request, &state)
        .await
        .map_err(|e| bad(e.body_text()))?;
    let (mut csrf, mut slug, mut file) = (String::new(), String::new(), None);
    while let Some(field) = parts.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                file = Some((name, bytes));
            }
            "csrf" => csrf = field.text().await.map_err(|e| bad(e.body_text()))?,
            "slug" => slug = field.text().await.map_err(|e| bad(e.body_text()))?,
            _ => {}
        }
    }
    ctx.check_csrf(&headers, &csrf)?;
    let problem =
        |line: usize, field: &str, p: Problem| t.plans_file_problem(line, field, &p.text(t.lang));
    // The slug from the form, or the file's name without `.yaml`.
    let (name, bytes) = match file {
        Some((name, bytes)) if !bytes.is_empty() => (name, bytes),
        _ => {
            let shown = vec![problem(1, t.plans_file, Problem::FileEmpty)];
            return list_page(&state, &ctx, &me, slug, shown).await;
        }
    };
    let wanted = match slug.trim() {
        "" => name
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .to_lowercase(),
        typed => typed.to_owned(),
    };
    let Ok(parsed) = Slug::parse(&wanted) else {
        let shown = vec![problem(1, t.plans_slug, Problem::SlugCharacters)];
        return list_page(&state, &ctx, &me, slug, shown).await;
    };
    let Ok(yaml) = std::str::from_utf8(&bytes) else {
        let shown = vec![problem(1, t.plans_file, Problem::NotUtf8)];
        return list_page(&state, &ctx, &me, slug, shown).await;
    };
    match use_case::import_yaml(&state.app, &me.caller(), &me.org, &parsed, yaml).await {
        Ok(plan) => Ok(Redirect::to(&format!("/plans/{}", plan.id)).into_response()),
        Err(PlanRefused::File(problems)) => {
            let shown = problems
                .iter()
                .map(|p: &PlanFileProblem| problem(p.line, &p.field, p.problem.clone()))
                .collect();
            list_page(&state, &ctx, &me, slug, shown).await
        }
        Err(PlanRefused::Use(e)) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ the editor

/// One action card's inputs.
struct CardInputs {
    /// The form's index of the card (its inputs are `card-{n}-…`).
    n: usize,
    label: String,
    position: String,
    duties: String,
    /// One task a line: `minutes | task | severity`.
    tasks: String,
}

#[derive(Template)]
#[template(path = "plan_form.html")]
struct EditorPage {
    page: Page,
    action: String,
    /// The version opened, for saving over it only if nobody has since.
    version: String,
    is_new: bool,
    fields: Vec<(String, String)>,
    cards: Vec<CardInputs>,
    /// (slug, name) of the positions, groups, and the contacts' names.
    positions: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    contacts: Vec<String>,
    severities: Vec<(&'static str, &'static str)>,
    texts_before: Vec<TextInput>,
    texts_alarm: Vec<TextInput>,
    texts_leadership: Vec<TextInput>,
    texts_after: Vec<TextInput>,
    problems: FormProblems,
}

/// A text area of the editor.
struct TextInput {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    rows: u8,
}

fn input(name: &'static str, label: &'static str, rows: u8) -> TextInput {
    TextInput {
        name,
        label,
        hint: "",
        rows,
    }
}

impl EditorPage {
    /// `aria-describedby` of a text area: its hint if it has one, its error if any.
    fn described(&self, f: &TextInput) -> String {
        let hint = match f.hint.is_empty() {
            true => String::new(),
            false => format!("{}-hint", f.name),
        };
        self.problems.described_by(f.name, &hint)
    }

    fn value(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn chosen(&self, name: &str, value: &str) -> bool {
        self.fields.iter().any(|(k, v)| k == name && v == value)
    }
}

/// The form's fields for a plan as it is.
fn fields_of(doc: &PlanDocument) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("title".into(), doc.title.clone()),
        ("summary".into(), doc.summary.clone()),
        ("criteria".into(), doc.activation.criteria.join("\n")),
        ("scale_up".into(), doc.activation.scale_up.clone()),
        ("scale_down".into(), doc.activation.scale_down.clone()),
        ("alarm_message".into(), doc.alarm.message.clone()),
        ("alarm_severity".into(), doc.alarm.severity.as_str().into()),
        ("alarm_how".into(), doc.alarm.how.clone()),
        ("out_of_hours".into(), doc.alarm.out_of_hours.clone()),
        ("leadership".into(), doc.leadership.clone()),
        ("staffing".into(), doc.staffing.clone()),
        ("equipment".into(), doc.equipment.clone()),
        ("comm_staff".into(), doc.communication.staff.clone()),
        ("comm_citizens".into(), doc.communication.citizens.clone()),
        ("comm_partners".into(), doc.communication.partners.clone()),
        ("review_months".into(), doc.review_months.to_string()),
    ];
    f.extend(
        doc.alarm
            .positions
            .iter()
            .map(|p| ("alarm_positions".into(), p.clone())),
    );
    f.extend(
        doc.alarm
            .groups
            .iter()
            .map(|g| ("alarm_groups".into(), g.clone())),
    );
    f.extend(doc.contacts.iter().map(|c| ("contacts".into(), c.clone())));
    for (i, card) in doc.action_cards.iter().enumerate() {
        let tasks: Vec<String> = card
            .tasks
            .iter()
            .map(|t| match t.at_least {
                Some(s) => format!("{} | {} | {}", t.after_minutes, t.task, s.as_str()),
                None => format!("{} | {}", t.after_minutes, t.task),
            })
            .collect();
        f.push((format!("card-{i}-position"), card.position.clone()));
        f.push((format!("card-{i}-duties"), card.duties.clone()));
        f.push((format!("card-{i}-tasks"), tasks.join("\n")));
    }
    f
}

/// How many card inputs the form has: every card sent, and one empty for a new card.
fn card_count(fields: &[(String, String)]) -> usize {
    fields
        .iter()
        .filter_map(|(k, _)| {
            k.strip_prefix("card-")?
                .split('-')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .map(|n| n + 1)
        .max()
        .unwrap_or(0)
}

/// A plan as the form sent it, with where each card and task came from: the card's form
/// index and, for each task, its line in the card's text (1-based). Tasks are read as
/// `minutes | task | severity`; a line without `|` is a task due at once.
struct SentPlan {
    raw: PlanDocument,
    /// For each card of `raw`, its form index and the line of each of its tasks.
    origins: Vec<(usize, Vec<usize>)>,
    /// Problems found reading the form, before the plan is checked.
    problems: FieldErrors,
}

fn read_form(t: &Texts, fields: &[(String, String)]) -> SentPlan {
    let one = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let all = |name: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let mut problems = FieldErrors::new();
    let severity_of = |text: &str| {
        let text = text.trim().to_lowercase();
        Severity::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == text || t.severity(*s).to_lowercase() == text)
    };
    let mut raw = PlanDocument {
        title: one("title"),
        summary: one("summary"),
        leadership: one("leadership"),
        staffing: one("staffing"),
        equipment: one("equipment"),
        contacts: all("contacts"),
        ..PlanDocument::default()
    };
    raw.activation.criteria = one("criteria")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    raw.activation.scale_up = one("scale_up");
    raw.activation.scale_down = one("scale_down");
    raw.alarm.positions = all("alarm_positions");
    raw.alarm.groups = all("alarm_groups");
    raw.alarm.message = one("alarm_message");
    match Severity::parse(&one("alarm_severity")) {
        Some(s) => raw.alarm.severity = s,
        None => problems.add(
            "alarm.severity",
            Problem::OneOf {
                choices: "info, warning, critical".into(),
            },
        ),
    }
    raw.alarm.how = one("alarm_how");
    raw.alarm.out_of_hours = one("out_of_hours");
    raw.communication.staff = one("comm_staff");
    raw.communication.citizens = one("comm_citizens");
    raw.communication.partners = one("comm_partners");
    match one("review_months").trim().parse::<u32>() {
        Ok(months) => raw.review_months = months,
        Err(_) => problems.add("review_months", Problem::NotANumber),
    }
    let mut origins = Vec::new();
    for n in 0..card_count(fields) {
        let position = one(&format!("card-{n}-position"));
        let duties = one(&format!("card-{n}-duties"));
        let text = one(&format!("card-{n}-tasks"));
        // An empty card (the one offered for a new card, or one emptied) is no card.
        if position.trim().is_empty() && duties.trim().is_empty() && text.trim().is_empty() {
            continue;
        }
        let k = raw.action_cards.len();
        let mut tasks = Vec::new();
        let mut lines = Vec::new();
        for (number, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let j = tasks.len();
            let at = format!("action_cards[{k}].tasks[{j}]");
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let (minutes, task, severity) = match parts.as_slice() {
                [task] => ("0", *task, None),
                [minutes, task] => (*minutes, *task, None),
                [minutes, task, severity, ..] => (*minutes, *task, Some(*severity)),
                [] => ("0", "", None),
            };
            let after_minutes = match minutes.parse::<u32>() {
                Ok(m) => m,
                Err(_) => {
                    problems.add(format!("{at}.after_minutes"), Problem::NotANumber);
                    0
                }
            };
            let at_least = match severity.filter(|s| !s.is_empty()) {
                None => None,
                Some(s) => match severity_of(s) {
                    Some(s) => Some(s),
                    None => {
                        problems.add(
                            format!("{at}.at_least"),
                            Problem::OneOf {
                                choices: "info, warning, critical".into(),
                            },
                        );
                        None
                    }
                },
            };
            tasks.push(PlanTask {
                after_minutes,
                task: task.to_owned(),
                at_least,
            });
            lines.push(number + 1);
        }
        raw.action_cards.push(ActionCard {
            position,
            duties,
            tasks,
        });
        origins.push((n, lines));
    }
    SentPlan {
        raw,
        origins,
        problems,
    }
}

/// Each problem at its input, with a label that says which card and which line.
fn plan_problems(t: &Texts, errors: &FieldErrors, origins: &[(usize, Vec<usize>)]) -> FormProblems {
    fn card(field: &str) -> Option<(usize, &str)> {
        let rest = field.strip_prefix("action_cards[")?;
        let (k, rest) = rest.split_once(']')?;
        Some((k.parse().ok()?, rest))
    }
    let place = |field: &str| -> (String, String) {
        if let Some((k, rest)) = card(field) {
            let (n, lines) = origins.get(k).cloned().unwrap_or((k, Vec::new()));
            let label = t.plan_card(n + 1);
            if let Some(task) = rest.strip_prefix(".tasks[") {
                let j: usize = task
                    .split(']')
                    .next()
                    .and_then(|j| j.parse().ok())
                    .unwrap_or(0);
                let line = lines.get(j).copied().unwrap_or(j + 1);
                return (
                    format!("card-{n}-tasks"),
                    format!("{label}, {} ({} {line})", t.plan_tasks, t.plan_line),
                );
            }
            if rest.starts_with(".tasks") {
                return (
                    format!("card-{n}-tasks"),
                    format!("{label}, {}", t.plan_tasks),
                );
            }
            if rest.starts_with(".duties") {
                return (
                    format!("card-{n}-duties"),
                    format!("{label}, {}", t.plan_duties),
                );
            }
            return (
                format!("card-{n}-position"),
                format!("{label}, {}", t.plan_card_position),
            );
        }
        let head = field.split(['[', '.']).next().unwrap_or(field);
        let (input, label) = match (head, field) {
            ("activation", f) if f.starts_with("activation.criteria") => {
                ("criteria", t.plan_criteria)
            }
            ("activation", f) if f.starts_with("activation.scale_up") => {
                ("scale_up", t.plan_scale_up)
            }
            ("activation", _) => ("scale_down", t.plan_scale_down),
            ("alarm", f) if f.starts_with("alarm.positions") => {
                ("alarm_positions", t.plan_positions)
            }
            ("alarm", f) if f.starts_with("alarm.groups") => ("alarm_groups", t.plan_groups),
            ("alarm", f) if f.starts_with("alarm.severity") => ("alarm_severity", t.alert_severity),
            ("alarm", f) if f.starts_with("alarm.how") => ("alarm_how", t.plan_alarm_how),
            ("alarm", f) if f.starts_with("alarm.out_of_hours") => {
                ("out_of_hours", t.plan_out_of_hours)
            }
            ("alarm", _) => ("alarm_message", t.plan_alarm_message),
            ("communication", f) if f.ends_with("staff") => ("comm_staff", t.plan_comm_staff),
            ("communication", f) if f.ends_with("citizens") => {
                ("comm_citizens", t.plan_comm_citizens)
            }
            ("communication", _) => ("comm_partners", t.plan_comm_partners),
            ("summary", _) => ("summary", t.plan_summary),
            ("leadership", _) => ("leadership", t.plan_leadership),
            ("staffing", _) => ("staffing", t.plan_staffing),
            ("equipment", _) => ("equipment", t.plan_equipment),
            ("contacts", _) => ("contacts", t.plan_contacts),
            ("review_months", _) => ("review_months", t.plan_review_months),
            ("version", _) => ("title", t.plans_edit),
            ("slug", _) => ("title", t.plans_slug),
            _ => ("title", t.plan_title_label),
        };
        (input.to_owned(), label.to_owned())
    };
    let mut order: Vec<String> = [
        "title",
        "summary",
        "criteria",
        "scale_up",
        "scale_down",
        "alarm_positions",
        "alarm_groups",
        "alarm_message",
        "alarm_severity",
        "alarm_how",
        "out_of_hours",
        "leadership",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (n, _) in origins {
        for part in ["position", "duties", "tasks"] {
            order.push(format!("card-{n}-{part}"));
        }
    }
    order.extend(
        [
            "staffing",
            "equipment",
            "comm_staff",
            "comm_citizens",
            "comm_partners",
            "contacts",
            "review_months",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let order: Vec<&str> = order.iter().map(String::as_str).collect();
    FormProblems::new(errors, t.lang, place, &order)
}

async fn editor(
    state: &AppState,
    ctx: &WebContext,
    me: &SignedIn,
    plan: Option<&Plan>,
    fields: Vec<(String, String)>,
    problems: FormProblems,
) -> Result<Response, WebError> {
    let t = ctx.t();
    if !allows(&me.caller(), UseCase::KeepPlans) {
        return Err(AppError::Forbidden.into());
    }
    let caller = me.caller();
    let positions = beredskap_app::register::positions(&state.app, &caller, &me.org)
        .await?
        .into_iter()
        .map(|p| (p.slug.to_string(), p.name))
        .collect();
    let groups = beredskap_app::register::groups(&state.app, &caller, &me.org)
        .await?
        .into_iter()
        .map(|g| (g.slug.to_string(), g.name))
        .collect();
    let contacts = beredskap_app::directory::directory(&state.app, &caller, &me.org, None)
        .await?
        .external
        .into_iter()
        .map(|c| c.contact.name)
        .collect();
    let one = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // Every card sent (or saved), then one more to fill in for a new card.
    let count = card_count(&fields);
    let cards = (0..=count)
        .map(|n| CardInputs {
            n,
            label: match n == count {
                true => t.plan_card_new.to_owned(),
                false => t.plan_card(n + 1),
            },
            position: one(&format!("card-{n}-position")),
            duties: one(&format!("card-{n}-duties")),
            tasks: one(&format!("card-{n}-tasks")),
        })
        .collect();
    let (title, action, version) = match plan {
        Some(p) => (
            t.plan_edit_title,
            format!("/plans/{}/edit", p.id),
            one("version"),
        ),
        None => (t.plan_new_title, "/plans/new".to_owned(), String::new()),
    };
    render(
        problems.status(),
        &EditorPage {
            page: Page::signed_in(ctx, me, title),
            action,
            version,
            is_new: plan.is_none(),
            fields,
            cards,
            positions,
            groups,
            contacts,
            severities: Severity::ALL
                .iter()
                .map(|s| (s.as_str(), t.severity(*s)))
                .collect(),
            texts_before: vec![
                input("summary", t.plan_summary, 4),
                TextInput {
                    hint: t.plan_criteria_hint,
                    ..input("criteria", t.plan_criteria, 4)
                },
                input("scale_up", t.plan_scale_up, 3),
                input("scale_down", t.plan_scale_down, 3),
            ],
            texts_alarm: vec![input("alarm_message", t.plan_alarm_message, 3)],
            texts_leadership: vec![
                input("alarm_how", t.plan_alarm_how, 3),
                input("out_of_hours", t.plan_out_of_hours, 3),
                input("leadership", t.plan_leadership, 4),
            ],
            texts_after: vec![
                input("staffing", t.plan_staffing, 3),
                input("equipment", t.plan_equipment, 3),
                input("comm_staff", t.plan_comm_staff, 2),
                input("comm_citizens", t.plan_comm_citizens, 2),
                input("comm_partners", t.plan_comm_partners, 2),
            ],
            problems,
        },
    )
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
) -> Result<Response, WebError> {
    let fields = fields_of(&PlanDocument::default());
    editor(&state, &ctx, &me, None, fields, FormProblems::default()).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let plan = use_case::plan(&state.app, &me.caller(), &me.org, id).await?;
    let mut fields = fields_of(&plan.document);
    fields.push(("version".into(), plan.version.to_string()));
    editor(
        &state,
        &ctx,
        &me,
        Some(&plan),
        fields,
        FormProblems::default(),
    )
    .await
}

/// A slug for a new plan from its title: lower case ASCII letters and digits joined by
/// hyphens (`Totalt IT-avbrott` → `totalt-it-avbrott`), with å, ä, ö, æ, ø as a, a, o,
/// ae, o.
fn slug_from(title: &str) -> String {
    let mut slug = String::new();
    for c in title.to_lowercase().chars() {
        let mapped = match c {
            'å' | 'ä' | 'á' | 'à' => "a",
            'ö' | 'ø' | 'ó' => "o",
            'æ' => "ae",
            'é' | 'è' => "e",
            'ü' => "u",
            c if c.is_ascii_alphanumeric() => {
                slug.push(c);
                continue;
            }
            _ => "-",
        };
        slug.push_str(mapped);
    }
    let parts: Vec<&str> = slug.split('-').filter(|p| !p.is_empty()).collect();
    let mut joined = parts.join("-");
    joined.truncate(60);
    match joined.trim_end_matches('-') {
        "" => "plan".to_owned(),
        s if s.starts_with(|c: char| c.is_ascii_digit()) => format!("plan-{s}"),
        s => s.to_owned(),
    }
}

async fn save(
    state: &AppState,
    ctx: &WebContext,
    headers: &HeaderMap,
    me: &SignedIn,
    plan: Option<Plan>,
    fields: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    ctx.check_csrf(headers, &csrf)?;
    let t = ctx.t();
    let kept: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "csrf").collect();
    let sent = read_form(t, &kept);
    if !sent.problems.is_empty() {
        // Everything at once: what the form could not read and what the plan breaks.
        let mut all = sent.problems.clone();
        let checked = use_case::problems(&state.app, &me.caller(), &me.org, &sent.raw).await?;
        for e in checked.0 {
            if !all.0.iter().any(|f| f.field == e.field) {
                all.0.push(e);
            }
        }
        let shown = plan_problems(t, &all, &sent.origins);
        return editor(state, ctx, me, plan.as_ref(), kept, shown).await;
    }
    let (slug, expected) = match &plan {
        Some(p) => {
            let expected = kept
                .iter()
                .find(|(k, _)| k == "version")
                .and_then(|(_, v)| v.parse().ok());
            (p.slug.clone(), expected)
        }
        None => {
            let base = slug_from(&sent.raw.title);
            // A new plan never replaces another: the first free slug.
            let mut n = 1;
            loop {
                let candidate = match n {
                    1 => base.clone(),
                    n => format!("{base}-{n}"),
                };
                let slug = Slug::parse(&candidate)
                    .map_err(|_| AppError::invalid("title", Problem::SlugCharacters))?;
                let taken = use_case::by_slug(&state.app, &me.caller(), &me.org, &slug)
                    .await
                    .is_ok();
                if !taken {
                    break (slug, None);
                }
                n += 1;
            }
        }
    };
    match use_case::save(
        &state.app,
        &me.caller(),
        &me.org,
        &slug,
        &sent.raw,
        expected,
    )
    .await
    {
        Ok(saved) => Ok(Redirect::to(&format!("/plans/{}", saved.id)).into_response()),
        Err(e) => match AppError::from(e) {
            AppError::Invalid(errors) | AppError::Conflict(errors) => {
                let shown = plan_problems(t, &errors, &sent.origins);
                editor(state, ctx, me, plan.as_ref(), kept, shown).await
            }
            other => Err(other.into()),
        },
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    save(&state, &ctx, &headers, &me, None, fields).await
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebContext,
    headers: HeaderMap,
    me: SignedIn,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let plan = use_case::plan(&state.app, &me.caller(), &me.org, id).await?;
    save(&state, &ctx, &headers, &me, Some(plan), fields).await
}
