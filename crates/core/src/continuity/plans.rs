//! Continuity plans: what an organisation has written down to do when something fails,
//! made executable. A plan has the sections such plans have — what it is for and when it
//! is activated (and scaled up and down), the alarm (whom, how, out of office hours), who
//! leads and decides, an **action card per position** (tasks due a number of minutes after
//! activation, some only at a severity), staffing and equipment, communication with staff,
//! citizens and partners, and the contacts to keep at hand.
//!
//! A plan is kept as YAML ([`parse_yaml`], [`to_yaml`]) and edited in the pages; both end
//! in [`validate`], which checks every text and every reference against the organisation
//! ([`PlanContext`]) and names each problem by its field (and, from YAML, its line).

use crate::alerting::Severity;
use crate::error::{FieldErrors, Problem};
use crate::text::{check, Lines, TextProblem};
use marked_yaml::Spanned;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The largest plan file.
pub const MAX_PLAN_BYTES: usize = 1024 * 1024;
/// The longest section (situation, leadership, staffing…).
pub const MAX_SECTION_CHARS: usize = 10_000;
/// The longest item: an activation criterion, a task, an action card's duties.
pub const MAX_ITEM_CHARS: usize = 500;
/// The longest alarm message (as an alert's).
pub const MAX_ALARM_CHARS: usize = 600;
pub const MAX_CARDS: usize = 50;
pub const MAX_TASKS: usize = 100;
/// The most criteria, contacts, positions or groups a list holds.
pub const MAX_ITEMS: usize = 50;
/// A task is due at most a week after activation.
pub const MAX_AFTER_MINUTES: u32 = 7 * 24 * 60;
pub const DEFAULT_REVIEW_MONTHS: u32 = 12;
pub const MAX_REVIEW_MONTHS: u32 = 36;

/// A plan's content, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanDocument {
    pub title: String,
    /// The situation the plan is for.
    pub summary: String,
    pub activation: Activation,
    pub alarm: PlanAlarm,
    /// Who leads, and who decides to activate the crisis staff.
    pub leadership: String,
    pub action_cards: Vec<ActionCard>,
    /// Staffing, including 24/7 operation and relief.
    pub staffing: String,
    pub equipment: String,
    pub communication: Communication,
    /// Names of external contacts in the directory.
    pub contacts: Vec<String>,
    /// Months from an approval to the next review.
    pub review_months: u32,
}

impl Default for PlanDocument {
    fn default() -> Self {
        Self {
            title: String::new(),
            summary: String::new(),
            activation: Activation::default(),
            alarm: PlanAlarm::default(),
            leadership: String::new(),
            action_cards: Vec::new(),
            staffing: String::new(),
            equipment: String::new(),
            communication: Communication::default(),
            contacts: Vec::new(),
            review_months: DEFAULT_REVIEW_MONTHS,
        }
    }
}

/// When the plan applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Activation {
    /// Any one of them is reason to activate.
    pub criteria: Vec<String>,
    pub scale_up: String,
    pub scale_down: String,
}

/// Whom the plan alarms at activation, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanAlarm {
    /// Position slugs: whoever is on call is alerted, then the deputies.
    pub positions: Vec<String>,
    /// Group slugs.
    pub groups: Vec<String>,
    /// The alert's text.
    pub message: String,
    pub severity: Severity,
    /// How the alarm is raised beside Beredskap (a phone tree, the alarm centre).
    pub how: String,
    /// Who is reached out of office hours, and how.
    pub out_of_hours: String,
}

impl Default for PlanAlarm {
    fn default() -> Self {
        Self {
            positions: Vec::new(),
            groups: Vec::new(),
            message: String::new(),
            severity: Severity::Warning,
            how: String::new(),
            out_of_hours: String::new(),
        }
    }
}

/// A position's duties when the plan is activated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActionCard {
    /// The position's slug: its tasks go to whoever is on call.
    pub position: String,
    pub duties: String,
    pub tasks: Vec<PlanTask>,
}

/// One task of an action card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanTask {
    /// Due this many minutes after activation (0: at once).
    pub after_minutes: u32,
    pub task: String,
    /// Only when the incident is at least this severe.
    pub at_least: Option<Severity>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Communication {
    pub staff: String,
    pub citizens: String,
    pub partners: String,
}

/// A plan as stored: its newest version, and the last approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Plan {
    pub id: crate::ids::PlanId,
    pub org_id: crate::ids::OrgId,
    #[schema(value_type = String)]
    pub slug: crate::domain::Slug,
    /// 1 for the first version; every save adds one.
    pub version: i64,
    pub document: PlanDocument,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// The person who saved this version, when a person did.
    pub updated_by: Option<crate::ids::PersonId>,
    pub approval: Option<Approval>,
}

impl Plan {
    /// Whether the newest version is the approved one.
    pub fn is_approved(&self) -> bool {
        self.approval
            .as_ref()
            .is_some_and(|a| a.version == self.version)
    }

    /// Whether the approval's review date has passed (or it was never approved).
    pub fn review_due(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.approval.as_ref().is_none_or(|a| a.review_by <= now)
    }
}

/// A version to save: of the plan with `slug`, by `by`, over version `expected` if given.
#[derive(Debug, Clone)]
pub struct PlanSave {
    pub slug: crate::domain::Slug,
    pub document: PlanDocument,
    pub expected: Option<i64>,
    pub by: Option<crate::ids::PersonId>,
}

/// Who approved which version, and when it is to be reviewed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Approval {
    pub version: i64,
    pub by: Option<crate::ids::PersonId>,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `review_months` after the approval.
    pub review_by: chrono::DateTime<chrono::Utc>,
}

/// What a plan may refer to in its organisation.
#[derive(Debug, Clone, Default)]
pub struct PlanContext {
    pub positions: Vec<String>,
    pub groups: Vec<String>,
    /// The external contacts' names.
    pub contacts: Vec<String>,
}

/// A text of the plan, checked; `required` ones may not be empty.
fn text(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    max: usize,
    lines: Lines,
    required: bool,
) -> String {
    match check(value, max, lines) {
        Ok(text) => text,
        Err(TextProblem::Empty) if !required => String::new(),
        Err(problem) => {
            errors.add(field, problem);
            String::new()
        }
    }
}

/// Checks a plan against its organisation: every text within its limits, every position,
/// group and contact one the organisation has. Texts come back trimmed.
pub fn validate(raw: &PlanDocument, ctx: &PlanContext) -> Result<PlanDocument, FieldErrors> {
    let mut e = FieldErrors::new();
    let many = Lines::Many;
    let section = |e: &mut FieldErrors, field: &str, value: &str| {
        text(e, field, value, MAX_SECTION_CHARS, many, false)
    };
    let title = text(&mut e, "title", &raw.title, 200, Lines::One, true);
    let summary = section(&mut e, "summary", &raw.summary);
    let list_limit = |e: &mut FieldErrors, field: &str, len: usize, max: usize| {
        if len > max {
            e.add(field, Problem::TooMany { max });
        }
    };
    list_limit(
        &mut e,
        "activation.criteria",
        raw.activation.criteria.len(),
        MAX_ITEMS,
    );
    let criteria = raw
        .activation
        .criteria
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let field = format!("activation.criteria[{i}]");
            text(&mut e, &field, c, MAX_ITEM_CHARS, many, true)
        })
        .collect();
    let activation = Activation {
        criteria,
        scale_up: section(&mut e, "activation.scale_up", &raw.activation.scale_up),
        scale_down: section(&mut e, "activation.scale_down", &raw.activation.scale_down),
    };
    let references = |e: &mut FieldErrors,
                      field: &str,
                      values: &[String],
                      known: &[String],
                      problem: Problem| {
        let mut kept: Vec<String> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let v = v.trim();
            let field = format!("{field}[{i}]");
            if !known.iter().any(|k| k == v) {
                e.add(field, problem.clone());
            } else if kept.iter().any(|k| k == v) {
                e.add(field, Problem::Duplicate);
            } else {
                kept.push(v.to_owned());
            }
        }
        kept
    };
    list_limit(
        &mut e,
        "alarm.positions",
        raw.alarm.positions.len(),
        MAX_ITEMS,
    );
    list_limit(&mut e, "alarm.groups", raw.alarm.groups.len(), MAX_ITEMS);
    let positions = references(
        &mut e,
        "alarm.positions",
        &raw.alarm.positions,
        &ctx.positions,
        Problem::UnknownPosition,
    );
    let groups = references(
        &mut e,
        "alarm.groups",
        &raw.alarm.groups,
        &ctx.groups,
        Problem::UnknownGroup,
    );
    let alarms_someone = !positions.is_empty() || !groups.is_empty();
    let alarm = PlanAlarm {
        positions,
        groups,
        // An alarm that reaches someone says something.
        message: text(
            &mut e,
            "alarm.message",
            &raw.alarm.message,
            MAX_ALARM_CHARS,
            many,
            alarms_someone,
        ),
        severity: raw.alarm.severity,
        how: section(&mut e, "alarm.how", &raw.alarm.how),
        out_of_hours: section(&mut e, "alarm.out_of_hours", &raw.alarm.out_of_hours),
    };
    let leadership = section(&mut e, "leadership", &raw.leadership);
    list_limit(&mut e, "action_cards", raw.action_cards.len(), MAX_CARDS);
    let mut action_cards: Vec<ActionCard> = Vec::new();
    for (i, card) in raw.action_cards.iter().enumerate() {
        let at = format!("action_cards[{i}]");
        let position = card.position.trim().to_owned();
        if !ctx.positions.contains(&position) {
            e.add(format!("{at}.position"), Problem::UnknownPosition);
        } else if action_cards.iter().any(|c| c.position == position) {
            e.add(format!("{at}.position"), Problem::Duplicate);
        }
        list_limit(&mut e, &format!("{at}.tasks"), card.tasks.len(), MAX_TASKS);
        let tasks = card
            .tasks
            .iter()
            .enumerate()
            .map(|(j, t)| {
                let at = format!("{at}.tasks[{j}]");
                if t.after_minutes > MAX_AFTER_MINUTES {
                    e.add(
                        format!("{at}.after_minutes"),
                        Problem::Range {
                            min: 0,
                            max: i64::from(MAX_AFTER_MINUTES),
                        },
                    );
                }
                PlanTask {
                    after_minutes: t.after_minutes,
                    task: text(
                        &mut e,
                        &format!("{at}.task"),
                        &t.task,
                        MAX_ITEM_CHARS,
                        Lines::One,
                        true,
                    ),
                    at_least: t.at_least,
                }
            })
            .collect();
        action_cards.push(ActionCard {
            position,
            duties: text(
                &mut e,
                &format!("{at}.duties"),
                &card.duties,
                MAX_ITEM_CHARS,
                many,
                false,
            ),
            tasks,
        });
    }
    let staffing = section(&mut e, "staffing", &raw.staffing);
    let equipment = section(&mut e, "equipment", &raw.equipment);
    let communication = Communication {
        staff: section(&mut e, "communication.staff", &raw.communication.staff),
        citizens: section(
            &mut e,
            "communication.citizens",
            &raw.communication.citizens,
        ),
        partners: section(
            &mut e,
            "communication.partners",
            &raw.communication.partners,
        ),
    };
    list_limit(&mut e, "contacts", raw.contacts.len(), MAX_ITEMS);
    let mut contacts: Vec<String> = Vec::new();
    for (i, name) in raw.contacts.iter().enumerate() {
        let name = name.trim();
        let field = format!("contacts[{i}]");
        if !ctx.contacts.iter().any(|c| c == name) {
            e.add(
                field,
                Problem::UnknownContact {
                    name: name.to_owned(),
                },
            );
        } else if contacts.iter().any(|c| c == name) {
            e.add(field, Problem::Duplicate);
        } else {
            contacts.push(name.to_owned());
        }
    }
    if !(1..=MAX_REVIEW_MONTHS).contains(&raw.review_months) {
        e.add(
            "review_months",
            Problem::Range {
                min: 1,
                max: i64::from(MAX_REVIEW_MONTHS),
            },
        );
    }
    e.into_result()?;
    Ok(PlanDocument {
        title,
        summary,
        activation,
        alarm,
        leadership,
        action_cards,
        staffing,
        equipment,
        communication,
        contacts,
        review_months: raw.review_months,
    })
}

// ------------------------------------------------------------------ YAML

/// One problem of a plan file: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFileProblem {
    /// 1-based; the file's first line when the problem is the file as a whole.
    pub line: usize,
    /// The field, as a path (`action_cards[1].tasks[0].task`); empty for the file.
    pub field: String,
    pub problem: Problem,
}

impl std::fmt::Display for PlanFileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field.is_empty() {
            true => write!(f, "line {}: {}", self.line, self.problem.code()),
            false => write!(
                f,
                "line {}: {}: {}",
                self.line,
                self.field,
                self.problem.code()
            ),
        }
    }
}

type S<T> = Spanned<T>;

fn line_of<T>(s: &S<T>) -> usize {
    s.span().start().map_or(1, |m| m.line())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDocument {
    title: S<String>,
    #[serde(default)]
    summary: Option<S<String>>,
    #[serde(default)]
    activation: Option<S<FileActivation>>,
    #[serde(default)]
    alarm: Option<S<FileAlarm>>,
    #[serde(default)]
    leadership: Option<S<String>>,
    #[serde(default)]
    action_cards: Option<S<Vec<S<FileCard>>>>,
    #[serde(default)]
    staffing: Option<S<String>>,
    #[serde(default)]
    equipment: Option<S<String>>,
    #[serde(default)]
    communication: Option<S<FileCommunication>>,
    #[serde(default)]
    contacts: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    review_months: Option<S<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileActivation {
    #[serde(default)]
    criteria: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    scale_up: Option<S<String>>,
    #[serde(default)]
    scale_down: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAlarm {
    #[serde(default)]
    positions: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    groups: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    message: Option<S<String>>,
    #[serde(default)]
    severity: Option<S<String>>,
    #[serde(default)]
    how: Option<S<String>>,
    #[serde(default)]
    out_of_hours: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCard {
    position: S<String>,
    #[serde(default)]
    duties: Option<S<String>>,
    #[serde(default)]
    tasks: Option<S<Vec<S<FileTask>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTask {
    after_minutes: S<u32>,
    task: S<String>,
    #[serde(default)]
    at_least: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCommunication {
    #[serde(default)]
    staff: Option<S<String>>,
    #[serde(default)]
    citizens: Option<S<String>>,
    #[serde(default)]
    partners: Option<S<String>>,
}

/// Where each field of a file is, by its path.
#[derive(Default)]
struct FieldLines {
    at: HashMap<String, usize>,
}

impl FieldLines {
    fn text(&mut self, path: &str, value: &Option<S<String>>) -> String {
        match value {
            Some(v) => {
                self.at.insert(path.to_owned(), line_of(v));
                v.as_str().to_owned()
            }
            None => String::new(),
        }
    }

    fn list(&mut self, path: &str, value: &Option<S<Vec<S<String>>>>) -> Vec<String> {
        let Some(list) = value else { return Vec::new() };
        self.at.insert(path.to_owned(), line_of(list));
        list.iter()
            .enumerate()
            .map(|(i, v)| {
                self.at.insert(format!("{path}[{i}]"), line_of(v));
                v.as_str().to_owned()
            })
            .collect()
    }

    /// The line of a field, or of the nearest enclosing one found.
    fn of(&self, field: &str) -> usize {
        let mut path = field;
        loop {
            if let Some(line) = self.at.get(path) {
                return *line;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return 1,
            }
        }
    }
}

fn severity(
    problems: &mut Vec<PlanFileProblem>,
    field: &str,
    value: &S<String>,
) -> Option<Severity> {
    match Severity::parse(value.as_str()) {
        Some(s) => Some(s),
        None => {
            problems.push(PlanFileProblem {
                line: line_of(value),
                field: field.to_owned(),
                problem: Problem::OneOf {
                    choices: "info, warning, critical".into(),
                },
            });
            None
        }
    }
}

/// Reads a plan file, checks it against the organisation and returns it, or every
/// problem with its line. Nothing is half-read: any problem refuses the whole file.
pub fn parse_yaml(yaml: &str, ctx: &PlanContext) -> Result<PlanDocument, Vec<PlanFileProblem>> {
    let whole = |problem: Problem, line: usize| {
        vec![PlanFileProblem {
            line,
            field: String::new(),
            problem,
        }]
    };
    if yaml.len() > MAX_PLAN_BYTES {
        return Err(whole(
            Problem::FileTooLarge {
                mb: u32::try_from(MAX_PLAN_BYTES / (1024 * 1024)).unwrap_or(u32::MAX),
            },
            1,
        ));
    }
    let options = marked_yaml::LoaderOptions::default().error_on_duplicate_keys(true);
    let node = marked_yaml::parse_yaml_with_options(0, yaml, options).map_err(|e| {
        let line = load_error_line(&e);
        whole(
            Problem::Malformed {
                detail: e.to_string(),
            },
            line,
        )
    })?;
    let file: FileDocument = marked_yaml::from_node(&node).map_err(|e| {
        let line = e.start_mark().map_or(1, |m| m.line());
        vec![PlanFileProblem {
            line,
            field: e.path().unwrap_or_default().to_owned(),
            problem: Problem::Malformed {
                detail: e.into_inner().to_string(),
            },
        }]
    })?;
    let mut lines = FieldLines::default();
    let mut problems = Vec::new();
    lines.at.insert("title".into(), line_of(&file.title));
    let mut raw = PlanDocument {
        title: file.title.as_str().to_owned(),
        summary: lines.text("summary", &file.summary),
        leadership: lines.text("leadership", &file.leadership),
        staffing: lines.text("staffing", &file.staffing),
        equipment: lines.text("equipment", &file.equipment),
        contacts: lines.list("contacts", &file.contacts),
        ..PlanDocument::default()
    };
    if let Some(a) = &file.activation {
        lines.at.insert("activation".into(), line_of(a));
        raw.activation = Activation {
            criteria: lines.list("activation.criteria", &a.criteria),
            scale_up: lines.text("activation.scale_up", &a.scale_up),
            scale_down: lines.text("activation.scale_down", &a.scale_down),
        };
    }
    if let Some(a) = &file.alarm {
        lines.at.insert("alarm".into(), line_of(a));
        raw.alarm = PlanAlarm {
            positions: lines.list("alarm.positions", &a.positions),
            groups: lines.list("alarm.groups", &a.groups),
            message: lines.text("alarm.message", &a.message),
            severity: a
                .severity
                .as_ref()
                .and_then(|s| severity(&mut problems, "alarm.severity", s))
                .unwrap_or(Severity::Warning),
            how: lines.text("alarm.how", &a.how),
            out_of_hours: lines.text("alarm.out_of_hours", &a.out_of_hours),
        };
    }
    if let Some(c) = &file.communication {
        lines.at.insert("communication".into(), line_of(c));
        raw.communication = Communication {
            staff: lines.text("communication.staff", &c.staff),
            citizens: lines.text("communication.citizens", &c.citizens),
            partners: lines.text("communication.partners", &c.partners),
        };
    }
    if let Some(cards) = &file.action_cards {
        lines.at.insert("action_cards".into(), line_of(cards));
        for (i, card) in cards.iter().enumerate() {
            let at = format!("action_cards[{i}]");
            lines.at.insert(at.clone(), line_of(card));
            lines
                .at
                .insert(format!("{at}.position"), line_of(&card.position));
            let mut tasks = Vec::new();
            if let Some(list) = &card.tasks {
                lines.at.insert(format!("{at}.tasks"), line_of(list));
                for (j, t) in list.iter().enumerate() {
                    let at = format!("{at}.tasks[{j}]");
                    lines.at.insert(at.clone(), line_of(t));
                    lines.at.insert(format!("{at}.task"), line_of(&t.task));
                    lines
                        .at
                        .insert(format!("{at}.after_minutes"), line_of(&t.after_minutes));
                    let at_least = t
                        .at_least
                        .as_ref()
                        .and_then(|s| severity(&mut problems, &format!("{at}.at_least"), s));
                    tasks.push(PlanTask {
                        after_minutes: *t.after_minutes,
                        task: t.task.as_str().to_owned(),
                        at_least,
                    });
                }
            }
            raw.action_cards.push(ActionCard {
                position: card.position.as_str().to_owned(),
                duties: lines.text(&format!("{at}.duties"), &card.duties),
                tasks,
            });
        }
    }
    if let Some(months) = &file.review_months {
        lines.at.insert("review_months".into(), line_of(months));
        raw.review_months = **months;
    }
    let checked = validate(&raw, ctx);
    if let Err(errors) = &checked {
        problems.extend(errors.0.iter().map(|e| PlanFileProblem {
            line: lines.of(&e.field),
            field: e.field.clone(),
            problem: e.problem.clone(),
        }));
    }
    match (checked, problems.is_empty()) {
        (Ok(doc), true) => Ok(doc),
        _ => {
            problems.sort_by_key(|p| p.line);
            Err(problems)
        }
    }
}

fn load_error_line(e: &marked_yaml::LoadError) -> usize {
    use marked_yaml::LoadError as L;
    let marker = match e {
        L::TopLevelMustBeMapping(m)
        | L::TopLevelMustBeSequence(m)
        | L::UnexpectedAnchor(m)
        | L::MappingKeyMustBeScalar(m)
        | L::UnexpectedTag(m)
        | L::ScanError(m, _) => Some(*m),
        L::DuplicateKey(inner) => inner.key.span().start().copied(),
    };
    marker.map_or(1, |m| m.line())
}

/// Writes a plan as YAML that [`parse_yaml`] reads back to the same plan; long texts as
/// literal blocks, so the file reads as the plan does.
pub fn to_yaml(doc: &PlanDocument) -> String {
    use yaml_rust2::yaml::{Hash, Yaml};
    let s = |v: &str| Yaml::String(v.to_owned());
    let list = |v: &[String]| Yaml::Array(v.iter().map(|x| s(x)).collect());
    let mut root = Hash::new();
    let put = |h: &mut Hash, k: &str, v: Yaml| {
        h.insert(s(k), v);
    };
    put(&mut root, "title", s(&doc.title));
    put(&mut root, "summary", s(&doc.summary));
    let mut activation = Hash::new();
    put(&mut activation, "criteria", list(&doc.activation.criteria));
    put(&mut activation, "scale_up", s(&doc.activation.scale_up));
    put(&mut activation, "scale_down", s(&doc.activation.scale_down));
    put(&mut root, "activation", Yaml::Hash(activation));
    let mut alarm = Hash::new();
    put(&mut alarm, "positions", list(&doc.alarm.positions));
    put(&mut alarm, "groups", list(&doc.alarm.groups));
    put(&mut alarm, "message", s(&doc.alarm.message));
    put(&mut alarm, "severity", s(doc.alarm.severity.as_str()));
    put(&mut alarm, "how", s(&doc.alarm.how));
    put(&mut alarm, "out_of_hours", s(&doc.alarm.out_of_hours));
    put(&mut root, "alarm", Yaml::Hash(alarm));
    put(&mut root, "leadership", s(&doc.leadership));
    let cards = doc
        .action_cards
        .iter()
        .map(|c| {
            let mut card = Hash::new();
            put(&mut card, "position", s(&c.position));
            put(&mut card, "duties", s(&c.duties));
            let tasks = c
                .tasks
                .iter()
                .map(|t| {
                    let mut task = Hash::new();
                    put(
                        &mut task,
                        "after_minutes",
                        Yaml::Integer(i64::from(t.after_minutes)),
                    );
                    put(&mut task, "task", s(&t.task));
                    if let Some(at_least) = t.at_least {
                        put(&mut task, "at_least", s(at_least.as_str()));
                    }
                    Yaml::Hash(task)
                })
                .collect();
            put(&mut card, "tasks", Yaml::Array(tasks));
            Yaml::Hash(card)
        })
        .collect();
    put(&mut root, "action_cards", Yaml::Array(cards));
    put(&mut root, "staffing", s(&doc.staffing));
    put(&mut root, "equipment", s(&doc.equipment));
    let mut communication = Hash::new();
    put(&mut communication, "staff", s(&doc.communication.staff));
    put(
        &mut communication,
        "citizens",
        s(&doc.communication.citizens),
    );
    put(
        &mut communication,
        "partners",
        s(&doc.communication.partners),
    );
    put(&mut root, "communication", Yaml::Hash(communication));
    put(&mut root, "contacts", list(&doc.contacts));
    put(
        &mut root,
        "review_months",
        Yaml::Integer(i64::from(doc.review_months)),
    );
    let mut out = String::new();
    let mut emitter = yaml_rust2::YamlEmitter::new(&mut out);
    emitter.multiline_strings(true);
    // Writing into a String cannot fail.
    let _ = emitter.dump(&Yaml::Hash(root));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuity::examples::EXAMPLES;

    /// The demo's positions, groups and (per language) external contacts.
    fn demo(lang: &str) -> PlanContext {
        let contacts: &[&str] = match lang {
            "sv" => &[
                "SOS Alarm",
                "Krisinformation",
                "Polisen",
                "Driftstörning fiber",
                "Larmcentral trygghetslarm",
                "Jour el",
                "Tjänsteperson i beredskap",
            ],
            "nb" => &[
                "Nødnummer brann",
                "Nødnummer politi",
                "Nødnummer ambulanse",
                "Driftsforstyrrelse fiber",
                "Trygghetsalarm",
                "Vakt strøm",
                "Beredskapsvakt",
            ],
            "da" => &[
                "Alarmcentral",
                "Politiet",
                "Driftsforstyrrelse fiber",
                "Nødkaldsalarm",
                "Vagt el",
                "Vagthavende",
            ],
            _ => &[
                "Emergency services",
                "Public information line",
                "Fibre faults",
                "Safety alarm centre",
                "Power on call",
                "Duty officer",
            ],
        };
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        PlanContext {
            positions: owned(&[
                "tib",
                "stabschef",
                "it-jour",
                "kommunikator-i-beredskap",
                "krisledningschef",
            ]),
            groups: owned(&[
                "krisledning",
                "it-beredskap",
                "kommunikation",
                "vard-och-omsorg",
                "stab",
            ]),
            contacts: owned(contacts),
        }
    }

    #[test]
    fn every_example_plan_reads_and_writes_back_to_the_same_plan() {
        assert_eq!(EXAMPLES.len(), 16);
        for example in EXAMPLES {
            let ctx = demo(example.lang);
            let plan = parse_yaml(example.yaml, &ctx)
                .unwrap_or_else(|e| panic!("{} {}: {e:?}", example.lang, example.slug));
            assert!(!plan.action_cards.is_empty(), "{}", example.slug);
            assert!(!plan.activation.criteria.is_empty(), "{}", example.slug);
            let written = to_yaml(&plan);
            let again = parse_yaml(&written, &ctx)
                .unwrap_or_else(|e| panic!("{} {}: {e:?}\n{written}", example.lang, example.slug));
            assert_eq!(again, plan, "{}:\n{written}", example.slug);
        }
    }

    #[test]
    fn the_it_outage_plan_has_its_cards_in_order_with_due_times_and_conditions() {
        let sv = EXAMPLES
            .iter()
            .find(|e| e.lang == "sv" && e.slug == "it-outage")
            .unwrap();
        let plan = parse_yaml(sv.yaml, &demo("sv")).unwrap();
        assert_eq!(plan.title, "Totalt IT-avbrott");
        assert_eq!(plan.alarm.positions, ["tib", "it-jour"]);
        assert_eq!(plan.alarm.severity, Severity::Critical);
        let tib = &plan.action_cards[0];
        assert_eq!(tib.position, "tib");
        assert_eq!(tib.tasks[0].after_minutes, 0);
        assert_eq!(tib.tasks[3].at_least, Some(Severity::Critical));
        assert!(
            !plan.summary.contains('\n'),
            "a folded block is one paragraph"
        );
        // A literal block keeps its lines, there and back.
        let literal =
            parse_yaml("title: T\nsummary: |\n  Rad ett\n  Rad två\n", &demo("sv")).unwrap();
        assert_eq!(literal.summary, "Rad ett\nRad två");
        assert_eq!(
            parse_yaml(&to_yaml(&literal), &demo("sv")).unwrap(),
            literal
        );
    }

    fn problems(yaml: &str) -> Vec<(usize, String, String)> {
        parse_yaml(yaml, &demo("sv"))
            .unwrap_err()
            .into_iter()
            .map(|p| (p.line, p.field, p.problem.code().to_owned()))
            .collect()
    }

    #[test]
    fn every_problem_is_named_with_its_line_and_field() {
        let yaml = "title: Test\n\
                    alarm:\n  positions:\n    - tib\n    - brandchef\n  message: Kom\n  severity: akut\n\
                    action_cards:\n  - position: tib\n    tasks:\n      - after_minutes: 99999\n        task: Ring\n      - after_minutes: 5\n        task: \"\"\n\
                    contacts:\n  - Ingen alls\n\
                    review_months: 0\n";
        assert_eq!(
            problems(yaml),
            [
                (5, "alarm.positions[1]".into(), "unknown_position".into()),
                (7, "alarm.severity".into(), "one_of".into()),
                (
                    11,
                    "action_cards[0].tasks[0].after_minutes".into(),
                    "range".into()
                ),
                (14, "action_cards[0].tasks[1].task".into(), "empty".into()),
                (16, "contacts[0]".into(), "unknown_contact".into()),
                (17, "review_months".into(), "range".into()),
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_a_plan_is_refused_at_its_line() {
        // Not YAML at all.
        let found = problems("title: Test\nsummary: a: b\n");
        assert_eq!(
            (found[0].0, found[0].2.as_str()),
            (2, "malformed"),
            "{found:?}"
        );
        // A field that plans do not have.
        let found = problems("title: Test\nsumary: stavfel\n");
        assert_eq!(
            (found[0].0, found[0].2.as_str()),
            (2, "malformed"),
            "{found:?}"
        );
        // A key given twice.
        let found = problems("title: Test\nleadership: a\nleadership: b\n");
        assert_eq!(
            (found[0].0, found[0].2.as_str()),
            (3, "malformed"),
            "{found:?}"
        );
        // No title.
        let found = problems("summary: Utan titel\n");
        assert_eq!(found[0].2, "malformed", "{found:?}");
        // An alarm to someone needs a message; a field left out is placed at the start of
        // the block it belongs in.
        let found = problems("title: Test\nalarm:\n  groups: [krisledning]\n");
        assert_eq!(found, [(3, "alarm.message".into(), "empty".into())]);
    }

    #[test]
    fn an_action_card_per_position_once() {
        let yaml = "title: Test\naction_cards:\n  - position: tib\n  - position: tib\n";
        assert_eq!(
            problems(yaml),
            [(4, "action_cards[1].position".into(), "duplicate".into())]
        );
    }
}
