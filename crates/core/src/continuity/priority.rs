//! The priority list: citizens with special needs (home care, safety alarms, oxygen at
//! home) whom the organisation must reach first when its own telephony or systems fail.
//!
//! It is a restricted register. It holds five things of each citizen and nothing more —
//! name, address, phone, need and a contact person — so a file with any other column
//! (a personal identity number, a diagnosis) is refused. Only the holders of the positions
//! the organisation names open it, and every time they do the journal says who and when;
//! the journal never holds a citizen's details, so what is purged is gone.
//!
//! During an incident the list becomes call tasks: a copy of each citizen, with an outcome
//! (reached, not reached, escalated to home care). Some days after the incident ends the
//! copies' details are purged and only the outcomes are left, unless a decision in the
//! incident's log keeps them (a complaint, an investigation).
//!
//! The file is a CSV with a header row, columns in any order:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `name` | yes | the citizen's name |
//! | `address` | yes | where they live, as a visitor finds it |
//! | `phone` | no | the number to call (without it someone goes there) |
//! | `need` | yes | why they are on the list ("trygghetslarm", "syrgas", "hemtjänst 4 ggr/dygn") |
//! | `contact_person` | no | a relative or other contact, with their number |

use crate::contacts::dialable;
use crate::domain::Region;
use crate::error::{FieldErrors, Problem};
use crate::ids::{CallId, EntryId, IncidentId, OrgId, PersonId, PositionId};
use crate::journal::Actor;
use crate::store::StoreResult;
use crate::text::{check, Lines};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most citizens one list holds.
pub const MAX_CITIZENS: usize = 10_000;
/// The longest name, address or contact person.
pub const MAX_FIELD_CHARS: usize = 200;
/// The longest need, or note on a call.
pub const MAX_NEED_CHARS: usize = 500;
/// Days after an incident ends that its calls keep their details, unless set otherwise.
pub const DEFAULT_CALLS_DAYS: u32 = 30;
/// The longest an organisation may have the calls kept without a decision.
pub const MAX_CALLS_DAYS: u32 = 365;
/// The most positions named to open the list.
pub const MAX_POSITIONS: usize = 50;
/// The most problems reported for one file.
const MAX_PROBLEMS: usize = 200;

/// The columns a file may have, in the order an export writes them.
pub const COLUMNS: [&str; 5] = ["name", "address", "phone", "need", "contact_person"];
const REQUIRED: [&str; 3] = ["name", "address", "need"];

/// One citizen on the list, as the holders of the named positions see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Citizen {
    pub name: String,
    pub address: String,
    /// E.164 (`+46…`), or a short number as dialled.
    pub phone: Option<String>,
    pub need: String,
    pub contact_person: Option<String>,
}

/// A problem of a priority list file: its line (1 is the header row), its column (empty
/// for the file or the row as a whole) and what is wrong. A citizen's details are never in
/// it, so it can be shown and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub column: String,
    pub problem: Problem,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column.is_empty() {
            true => write!(f, "line {}: {}", self.line, self.problem),
            false => write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.problem
            ),
        }
    }
}

/// Reads the whole file: either every row is valid, or every problem (up to 200) comes
/// back by line and column, and nothing is to be applied. Numbers without a country code
/// are read as the organisation's region's.
pub fn parse_priority_csv(data: &[u8], region: Region) -> Result<Vec<Citizen>, Vec<RowProblem>> {
    let problem = |line: u64, column: &str, problem: Problem| RowProblem {
        line,
        column: column.to_owned(),
        problem,
    };
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err(vec![problem(1, "", Problem::FileEmpty)]);
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(data);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![unreadable(1, &e)]),
    };
    let mut problems = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for h in headers.iter() {
        if !COLUMNS.contains(&h) {
            // The column's own name is in the problem, not a value of any citizen.
            problems.push(problem(
                1,
                h,
                Problem::OneOf {
                    choices: COLUMNS.join(", "),
                },
            ));
        } else if seen.contains(&h) {
            problems.push(problem(1, h, Problem::Duplicate));
        } else {
            seen.push(h);
        }
    }
    for column in REQUIRED {
        if !seen.contains(&column) {
            problems.push(problem(1, column, Problem::Missing));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut citizens = Vec::new();
    for record in reader.records() {
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(unreadable(line, &e));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let mut citizen = Citizen {
            name: String::new(),
            address: String::new(),
            phone: None,
            need: String::new(),
            contact_person: None,
        };
        let mut row = |column: &str, p: Problem| problems.push(problem(line, column, p));
        for (column, value) in headers.iter().zip(record.iter()) {
            let optional = |max| match check(value, max, Lines::One) {
                Ok(v) => Ok(Some(v)),
                Err(crate::text::TextProblem::Empty) => Ok(None),
                Err(e) => Err(Problem::from(e)),
            };
            let required = |max| check(value, max, Lines::One).map_err(Problem::from);
            match column {
                "name" => match required(MAX_FIELD_CHARS) {
                    Ok(v) => citizen.name = v,
                    Err(p) => row(column, p),
                },
                "address" => match required(MAX_FIELD_CHARS) {
                    Ok(v) => citizen.address = v,
                    Err(p) => row(column, p),
                },
                "need" => match required(MAX_NEED_CHARS) {
                    Ok(v) => citizen.need = v,
                    Err(p) => row(column, p),
                },
                "contact_person" => match optional(MAX_FIELD_CHARS) {
                    Ok(v) => citizen.contact_person = v,
                    Err(p) => row(column, p),
                },
                "phone" if !value.is_empty() => match dialable(value, region) {
                    Ok(v) => citizen.phone = Some(v),
                    Err(e) => row(column, Problem::from(e)),
                },
                _ => {}
            }
        }
        citizens.push(citizen);
    }
    if citizens.len() > MAX_CITIZENS {
        problems.push(problem(0, "", Problem::TooMany { max: MAX_CITIZENS }));
    }
    match problems.is_empty() {
        true => Ok(citizens),
        false => Err(problems),
    }
}

/// A row the CSV reader could not read (unequal number of fields, not UTF-8). The reader's
/// message is not passed on: it can quote the row.
fn unreadable(line: u64, error: &csv::Error) -> RowProblem {
    let problem = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => Problem::NotUtf8,
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Problem::Count {
            min: usize::try_from(*expected_len).unwrap_or(usize::MAX),
            max: usize::try_from(*len).unwrap_or(usize::MAX),
        },
        _ => Problem::Malformed {
            detail: "csv".into(),
        },
    };
    RowProblem {
        line,
        column: String::new(),
        problem,
    }
}

/// What may be known of the list without opening it: how many, since when, who may open
/// it and how long calls keep their details. No citizen's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PriorityListInfo {
    pub citizens: usize,
    pub imported_at: Option<DateTime<Utc>>,
    /// The positions whose holders open the list.
    pub positions: Vec<PositionId>,
    /// Days an ended incident's calls keep their details, unless a decision keeps them.
    pub calls_days: u32,
}

/// Who may open the list, and how long calls keep their details, as sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessInput {
    pub positions: Vec<PositionId>,
    #[schema(minimum = 1, maximum = 365)]
    pub calls_days: u32,
}

impl AccessInput {
    /// The positions without repeats, and the days within 1–365.
    pub fn validate(&self) -> Result<AccessInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !(1..=MAX_CALLS_DAYS).contains(&self.calls_days) {
            errors.add(
                "calls_days",
                Problem::Range {
                    min: 1,
                    max: i64::from(MAX_CALLS_DAYS),
                },
            );
        }
        let mut positions = self.positions.clone();
        positions.sort();
        positions.dedup();
        if positions.len() > MAX_POSITIONS {
            errors.add("positions", Problem::TooMany { max: MAX_POSITIONS });
        }
        errors.into_result()?;
        Ok(AccessInput {
            positions,
            calls_days: self.calls_days,
        })
    }
}

/// What came of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Reached,
    /// Tried; to be tried again (or visited).
    NotReached,
    /// Handed to home care: someone goes there.
    Escalated,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 3] = [
        CallOutcome::Reached,
        CallOutcome::NotReached,
        CallOutcome::Escalated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::NotReached => "not_reached",
            CallOutcome::Escalated => "escalated",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == code)
    }
}

/// One call task of an incident: a copy of a citizen as the list had them when the calls
/// started, and what came of calling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PriorityCall {
    pub id: CallId,
    pub incident_id: IncidentId,
    /// `None` once purged.
    pub citizen: Option<Citizen>,
    /// `None` until someone has called.
    pub outcome: Option<CallOutcome>,
    pub note: Option<String>,
    pub attempts: u32,
    pub called_by: Option<PersonId>,
    pub called_at: Option<DateTime<Utc>>,
}

/// The calls of an incident counted, without anyone's details: what everyone who follows
/// the incident may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CallsSummary {
    pub started_at: Option<DateTime<Utc>>,
    pub total: usize,
    /// Not called yet.
    pub open: usize,
    pub reached: usize,
    pub not_reached: usize,
    pub escalated: usize,
    /// The decision in the log that keeps the details after the incident.
    pub kept_by: Option<EntryId>,
    pub purged_at: Option<DateTime<Utc>>,
}

impl CallsSummary {
    /// Counts `calls`; the incident's own dates are the caller's to add.
    pub fn of(calls: &[PriorityCall]) -> Self {
        let count = |o: Option<CallOutcome>| calls.iter().filter(|c| c.outcome == o).count();
        CallsSummary {
            total: calls.len(),
            open: count(None),
            reached: count(Some(CallOutcome::Reached)),
            not_reached: count(Some(CallOutcome::NotReached)),
            escalated: count(Some(CallOutcome::Escalated)),
            ..CallsSummary::default()
        }
    }
}

/// What came of a call, as sent.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallReportInput {
    pub outcome: Option<CallOutcome>,
    #[serde(default)]
    #[schema(max_length = 500, format = "one-line-text-or-empty")]
    pub note: String,
}

/// A call's outcome, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReport {
    pub call: CallId,
    pub outcome: CallOutcome,
    pub note: Option<String>,
}

impl CallReportInput {
    pub fn validate(&self, call: CallId) -> Result<CallReport, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.outcome.is_none() {
            errors.add("outcome", Problem::Missing);
        }
        let note = match check(&self.note, MAX_NEED_CHARS, Lines::One) {
            Ok(n) => Some(n),
            Err(crate::text::TextProblem::Empty) => None,
            Err(e) => {
                errors.add("note", e);
                None
            }
        };
        errors.into_result()?;
        Ok(CallReport {
            call,
            outcome: self.outcome.unwrap_or(CallOutcome::NotReached),
            note,
        })
    }
}

/// The priority list and its calls, a part of [`crate::Store`].
#[async_trait::async_trait]
pub trait PriorityListStore: Send + Sync {
    /// What is known of the organisation's list without opening it.
    async fn priority_list_info(&self, org: OrgId) -> StoreResult<PriorityListInfo>;
    /// Replaces the list with `citizens`, all at once; journals how many, never who.
    async fn replace_priority_list(
        &self,
        actor: &Actor,
        org: OrgId,
        citizens: Vec<Citizen>,
        now: DateTime<Utc>,
    ) -> StoreResult<PriorityListInfo>;
    /// Names the positions whose holders open the list, and the days calls keep their
    /// details. `Invalid` on `positions` for a position not the organisation's.
    async fn set_priority_list_access(
        &self,
        actor: &Actor,
        org: OrgId,
        access: AccessInput,
    ) -> StoreResult<PriorityListInfo>;
    /// The whole list, in the file's order; the view is journaled in the same
    /// transaction, so nobody reads it unrecorded.
    async fn open_priority_list(&self, actor: &Actor, org: OrgId) -> StoreResult<Vec<Citizen>>;
    /// Makes a call task of every citizen on the list for the incident. Once per incident:
    /// starting again changes nothing. `Conflict::IncidentClosed` once it has ended.
    async fn start_priority_calls(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<CallsSummary>;
    /// The incident's calls, in the list's order; the view is journaled as the list's is.
    async fn open_priority_calls(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
    ) -> StoreResult<Vec<PriorityCall>>;
    /// The incident's calls counted; nobody's details, not journaled.
    async fn priority_calls_summary(
        &self,
        org: OrgId,
        incident: IncidentId,
    ) -> StoreResult<CallsSummary>;
    /// Records what came of a call (again, after a first try), as `by`. The journal has
    /// the outcome and whether a note was written, not the note. `Conflict::IncidentClosed`
    /// once the incident has ended.
    async fn report_priority_call(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        report: CallReport,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<PriorityCall>;
    /// Keeps the calls' details past the purge by `decision`, a decision in the incident's
    /// shared picture (`Invalid` on `decision` otherwise).
    async fn keep_priority_calls(
        &self,
        actor: &Actor,
        org: OrgId,
        incident: IncidentId,
        decision: EntryId,
    ) -> StoreResult<CallsSummary>;
    /// Purges the details of every ended incident's calls whose days are over and that no
    /// decision keeps, in every organisation; journals each in its organisation. How many
    /// incidents' calls were purged.
    async fn purge_priority_calls(&self, actor: &Actor, now: DateTime<Utc>) -> StoreResult<usize>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_is_read_with_numbers_made_international() {
        let csv = "\u{feff}name,address,phone,need,contact_person\n\
                   Karin Öberg,Storgatan 4 lgh 1102,0701234567,Trygghetslarm,Per Öberg (son) 070-765 43 21\n\
                   Erik Lund,Byvägen 2,,Syrgas i hemmet,\n";
        let citizens = parse_priority_csv(csv.as_bytes(), Region::Se).unwrap();
        assert_eq!(citizens.len(), 2);
        assert_eq!(citizens[0].phone.as_deref(), Some("+46701234567"));
        assert_eq!(
            citizens[0].contact_person.as_deref(),
            Some("Per Öberg (son) 070-765 43 21")
        );
        assert_eq!(citizens[1].phone, None, "no number: someone goes there");
        assert_eq!(citizens[1].contact_person, None);
    }

    #[test]
    fn a_column_beyond_the_five_is_refused_so_no_more_is_kept_than_needed() {
        let csv = "name,personnummer,address,need\nKarin Öberg,19400101-1234,Storgatan 4,Larm\n";
        let problems = parse_priority_csv(csv.as_bytes(), Region::Se).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 1);
        assert_eq!(problems[0].column, "personnummer");
        assert_eq!(problems[0].problem.code(), "one_of");
    }

    #[test]
    fn every_problem_is_named_by_line_and_column_without_the_value() {
        let csv = "name,address,phone,need\n\
                   Karin Öberg,Storgatan 4,12,Larm\n\
                   ,Byvägen 2,,Syrgas\n\
                   Erik Lund,Byvägen 2,,\n\
                   Anna Berg,Ågatan 1\n";
        let problems = parse_priority_csv(csv.as_bytes(), Region::Se).unwrap_err();
        let found: Vec<(u64, &str, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_str(), p.problem.code()))
            .collect();
        assert_eq!(
            found,
            [
                (2, "phone", "phone_for_country"),
                (3, "name", "empty"),
                (4, "need", "empty"),
                (5, "", "count"),
            ]
        );
        let shown = problems.iter().map(ToString::to_string).collect::<String>();
        assert!(!shown.contains("Ågatan"), "no value is repeated: {shown}");
    }

    #[test]
    fn a_missing_required_column_an_empty_file_and_a_repeated_column_are_refused() {
        let missing = parse_priority_csv(b"name,phone\nA,112\n", Region::Se).unwrap_err();
        let columns: Vec<&str> = missing.iter().map(|p| p.column.as_str()).collect();
        assert_eq!(columns, ["address", "need"]);
        let empty = parse_priority_csv(b"  \n", Region::Se).unwrap_err();
        assert_eq!(empty[0].problem, Problem::FileEmpty);
        let twice = parse_priority_csv(b"name,address,need,name\n", Region::Se).unwrap_err();
        assert_eq!(twice[0].problem, Problem::Duplicate);
    }

    #[test]
    fn access_keeps_each_position_once_and_days_within_a_year() {
        let p = PositionId::new();
        let ok = AccessInput {
            positions: vec![p, p],
            calls_days: 30,
        }
        .validate()
        .unwrap();
        assert_eq!(ok.positions, [p]);
        for days in [0, 366] {
            let refused = AccessInput {
                positions: vec![],
                calls_days: days,
            }
            .validate()
            .unwrap_err();
            assert_eq!(refused.0[0].field, "calls_days");
        }
    }

    #[test]
    fn a_call_needs_its_outcome_and_a_note_is_one_line() {
        let call = CallId::new();
        let refused = CallReportInput {
            outcome: None,
            note: "a\u{7}".into(),
        }
        .validate(call)
        .unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["outcome", "note"]);
        let ok = CallReportInput {
            outcome: Some(CallOutcome::Escalated),
            note: "  ".into(),
        }
        .validate(call)
        .unwrap();
        assert_eq!(ok.outcome, CallOutcome::Escalated);
        assert_eq!(ok.note, None);
        assert_eq!(
            CallOutcome::parse("not_reached"),
            Some(CallOutcome::NotReached)
        );
    }
}
