//! An incident's after-action report in the pages (`/incidents/{id}/after-action`) and as
//! PDF (`…/after-action.pdf`): one view of it, read from the use case, put in words once
//! and rendered twice.

use super::incidents::via_label;
use super::pdf::Document;
use super::session::SignedIn;
use super::{render, Page, Texts, WebContext, WebError};
use crate::error::AppError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use beredskap_app::after_action::{after_action, AfterAction, Event};
use beredskap_core::continuity::log::EntryBody;
use beredskap_core::{IncidentId, PersonId, TimeZone};
use chrono::{DateTime, Utc};

/// A time as the report prints it: date and minute on the organisation's clock (the zone
/// is said once, at the top).
fn at(t: DateTime<Utc>, zone: TimeZone) -> String {
    zone.local(t).format("%Y-%m-%d %H:%M").to_string()
}

/// `3 min 20 s`, or `45 s`.
fn span(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds / 60 {
        0 => format!("{seconds} s"),
        m => format!("{m} min {} s", seconds % 60),
    }
}

pub struct Row {
    pub label: String,
    pub text: String,
}

pub struct DecisionRow {
    pub when: String,
    pub what: String,
    pub who: String,
    pub why: String,
}

pub struct ReportRow {
    pub heading: String,
    /// Section name and its text.
    pub sections: Vec<(&'static str, String)>,
}

/// Everything the report says, in the reader's language.
pub struct View {
    pub title: String,
    pub exercise: bool,
    pub facts: Vec<String>,
    pub timeline: Vec<Row>,
    pub decisions: Vec<DecisionRow>,
    pub reports: Vec<ReportRow>,
    pub alarm_summary: String,
    pub answers: Vec<Row>,
    pub tasks_summary: String,
    pub late_tasks: Vec<Row>,
    pub downtime: Vec<Row>,
    /// The priority calls counted; empty when none were made.
    pub priority_calls: String,
    pub generated: String,
}

pub fn view(t: &Texts, zone: TimeZone, report: &AfterAction, now: DateTime<Utc>) -> View {
    let lang = t.lang;
    let name = |p: Option<PersonId>| {
        p.and_then(|p| report.names.get(&p).cloned())
            .unwrap_or_else(|| t.incident_nobody.to_owned())
    };
    let i = &report.incident;
    let via = via_label(i.via);
    let mut facts = vec![
        format!("{}: {}", t.incident_severity, t.severity(i.severity)),
        lang.format(
            "incident-opened",
            &[
                ("when", at(i.opened_at, zone).into()),
                ("who", name(i.opened_by).into()),
                ("via", via.into()),
            ],
        ),
    ];
    match i.closed_at {
        Some(closed) => {
            facts.push(lang.format("incident-closed-at", &[("when", at(closed, zone).into())]));
        }
        None => facts.push(lang.format("aa-ongoing", &[("when", at(report.until, zone).into())])),
    }
    let minutes = (report.until - i.opened_at).num_minutes().max(0);
    facts.push(lang.format(
        "aa-duration",
        &[
            ("hours", (minutes / 60).into()),
            ("minutes", (minutes % 60).into()),
        ],
    ));
    facts.push(lang.format("aa-zone", &[("zone", zone.name().into())]));
    let timeline = report
        .timeline
        .iter()
        .map(|e| {
            let text = match &e.event {
                Event::Opened { by, via } => lang.format(
                    "aa-ev-opened",
                    &[("who", name(*by).into()), ("via", via_label(*via).into())],
                ),
                Event::AlarmSent { recipients } => {
                    lang.format("aa-ev-alarm", &[("count", (*recipients).into())])
                }
                Event::Answered { person, answer } => lang.format(
                    "aa-ev-answered",
                    &[
                        ("who", name(Some(*person)).into()),
                        ("answer", answer.clone().into()),
                    ],
                ),
                Event::TaskDone { text, by } => lang.format(
                    "aa-ev-task",
                    &[("task", text.clone().into()), ("who", name(*by).into())],
                ),
                Event::RoleTaken { role, person } => lang.format(
                    "aa-ev-role",
                    &[
                        ("who", name(Some(*person)).into()),
                        ("role", t.incident_role(*role).to_lowercase().into()),
                    ],
                ),
                Event::Decision { what, who } => lang.format(
                    "aa-ev-decision",
                    &[("what", what.clone().into()), ("who", who.clone().into())],
                ),
                Event::Report { by } => lang.format("aa-ev-report", &[("who", name(*by).into())]),
                Event::ServiceChanged { service, state } => lang.format(
                    "aa-ev-service",
                    &[
                        ("service", service.clone().into()),
                        ("state", t.service_state(*state).into()),
                    ],
                ),
                Event::Closed => t.aa_ev_closed.to_owned(),
            };
            Row {
                label: at(e.at, zone),
                text,
            }
        })
        .collect();
    let decisions = report
        .decisions
        .iter()
        .filter_map(|e| match &e.body {
            EntryBody::Decision {
                what,
                who,
                why,
                decided_at,
            } => Some(DecisionRow {
                when: at(*decided_at, zone),
                what: what.clone(),
                who: who.clone(),
                why: why.clone(),
            }),
            EntryBody::Report { .. } => None,
        })
        .collect();
    let reports = report
        .reports
        .iter()
        .filter_map(|e| match &e.body {
            EntryBody::Report {
                conditions,
                actions,
                needs,
            } => Some(ReportRow {
                heading: lang.format(
                    "incident-written-by",
                    &[
                        ("when", at(e.written_at, zone).into()),
                        ("who", name(e.written_by).into()),
                    ],
                ),
                sections: vec![
                    (t.incident_conditions, conditions.clone()),
                    (t.incident_actions, actions.clone()),
                    (t.incident_needs, needs.clone()),
                ],
            }),
            EntryBody::Decision { .. } => None,
        })
        .collect();
    let (alarm_summary, answers) = match &report.alarm {
        None => (t.aa_no_alarm.to_owned(), Vec::new()),
        Some(alarm) => {
            let total = alarm.recipients.len();
            let summary = match alarm.median_seconds {
                Some(median) => lang.format(
                    "aa-alarm-summary",
                    &[
                        ("answered", alarm.answered().into()),
                        ("total", total.into()),
                        ("median", span(median).into()),
                    ],
                ),
                None => lang.format("aa-alarm-nobody", &[("total", total.into())]),
            };
            let rows = alarm
                .recipients
                .iter()
                .map(|r| Row {
                    label: name(Some(r.person_id)),
                    text: match r.answered_at {
                        Some(answered) => lang.format(
                            "aa-answered-after",
                            &[
                                (
                                    "time",
                                    span((answered - alarm.sent_at).num_seconds()).into(),
                                ),
                                ("answer", r.answer.clone().unwrap_or_default().into()),
                            ],
                        ),
                        None => t.aa_no_answer.to_owned(),
                    },
                })
                .collect();
            (summary, rows)
        }
    };
    let late_tasks = report
        .late_tasks
        .iter()
        .map(|task| Row {
            label: task.position.clone().unwrap_or_default(),
            text: format!(
                "{} – {} ({})",
                task.text,
                match task.done_at {
                    Some(done) => lang.format(
                        "aa-task-late",
                        &[
                            ("due", at(task.due_at, zone).into()),
                            ("done", at(done, zone).into()),
                        ],
                    ),
                    None => lang.format("aa-task-undone", &[("due", at(task.due_at, zone).into())]),
                },
                name(task.assignee),
            ),
        })
        .collect();
    let minutes = |m: i64| lang.format("aa-minutes", &[("minutes", m.into())]);
    let downtime = report
        .downtime
        .iter()
        .map(|d| Row {
            label: d.name.clone(),
            text: lang.format(
                "aa-downtime-row",
                &[
                    ("down", minutes(d.down_minutes).into()),
                    ("degraded", minutes(d.degraded_minutes).into()),
                    ("since", at(d.first_disrupted, zone).into()),
                ],
            ),
        })
        .collect();
    View {
        title: i.title.clone(),
        exercise: i.exercise,
        facts,
        timeline,
        decisions,
        reports,
        alarm_summary,
        answers,
        tasks_summary: lang.format(
            "aa-tasks-summary",
            &[
                ("done", report.tasks_done.into()),
                ("total", report.tasks_total.into()),
            ],
        ),
        late_tasks,
        downtime,
        priority_calls: match report.priority_calls.started_at {
            Some(_) => t.calls_counts(&report.priority_calls),
            None => String::new(),
        },
        generated: lang.format("aa-generated", &[("when", at(now, zone).into())]),
    }
}

/// The report as PDF, in the same words.
pub fn pdf(t: &Texts, v: &View) -> Vec<u8> {
    let title = match v.exercise {
        true => format!("{}: {}", t.incidents_exercise, v.title),
        false => v.title.clone(),
    };
    let mut doc = Document::new(&format!("{} – {title}", t.aa_title), t.lang.code());
    doc.title(t.aa_title);
    doc.title(&title);
    for fact in &v.facts {
        doc.paragraph(fact);
    }
    doc.heading(t.aa_timeline);
    for row in &v.timeline {
        doc.row(&row.label, &row.text);
    }
    doc.heading(t.incident_decisions);
    if v.decisions.is_empty() {
        doc.paragraph(t.incident_decisions_none);
    }
    for d in &v.decisions {
        doc.strong(&format!("{} – {}", d.when, d.what));
        doc.paragraph(&format!("{}: {}", t.incident_decision_who, d.who));
        doc.paragraph(&format!("{}: {}", t.incident_decision_why, d.why));
    }
    doc.heading(t.aa_alarm);
    doc.paragraph(&v.alarm_summary);
    for row in &v.answers {
        doc.row(&row.label, &row.text);
    }
    if !v.priority_calls.is_empty() {
        doc.heading(t.prio_calls_title);
        doc.paragraph(&v.priority_calls);
    }
    doc.heading(t.aa_late_tasks);
    doc.paragraph(&v.tasks_summary);
    if v.late_tasks.is_empty() {
        doc.paragraph(t.aa_late_none);
    }
    for row in &v.late_tasks {
        doc.row(&row.label, &row.text);
    }
    doc.heading(t.aa_downtime);
    if v.downtime.is_empty() {
        doc.paragraph(t.aa_downtime_none);
    }
    for row in &v.downtime {
        doc.row(&row.label, &row.text);
    }
    doc.heading(t.incident_report);
    if v.reports.is_empty() {
        doc.paragraph(t.incident_report_none);
    }
    for r in &v.reports {
        doc.strong(&r.heading);
        for (label, text) in &r.sections {
            if !text.is_empty() {
                doc.paragraph(&format!("{label}: {}", text.replace('\n', "; ")));
            }
        }
    }
    doc.paragraph("");
    doc.paragraph(&v.generated);
    doc.finish()
}

#[derive(Template)]
#[template(path = "after_action.html")]
struct AfterActionPage {
    page: Page,
    id: String,
    v: View,
}

async fn load(
    state: &AppState,
    me: &SignedIn,
    id: &str,
) -> Result<(AfterAction, DateTime<Utc>), WebError> {
    let id: IncidentId = id.parse().map_err(|_| WebError::from(AppError::NotFound))?;
    let report = after_action(&state.app, &me.caller(), &me.org, id).await?;
    Ok((report, state.clock.now()))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let (report, now) = load(&state, &me, &id).await?;
    render(
        StatusCode::OK,
        &AfterActionPage {
            page: Page::signed_in(&ctx, &me, t.aa_title),
            id: report.incident.id.to_string(),
            v: view(t, me.org.zone(), &report, now),
        },
    )
}

pub async fn download(
    State(state): State<AppState>,
    ctx: WebContext,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let t = ctx.t();
    let (report, now) = load(&state, &me, &id).await?;
    let bytes = pdf(t, &view(t, me.org.zone(), &report, now));
    let file = format!(
        "attachment; filename=\"after-action-{}.pdf\"",
        report.incident.opened_at.format("%Y-%m-%d")
    );
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
