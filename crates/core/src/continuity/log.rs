//! An incident's log: the decisions taken (what, who took it, why, when) and the
//! situation reports in Conditions–Actions–Needs form, written at the incident's cadence.
//! An entry flagged significant enters the shared picture only once the incident's scribe
//! has approved it; until then only its writer and the scribe (and the lead) see it.

use crate::error::{FieldErrors, Problem};
use crate::ids::{EntryId, IncidentId, PersonId};
use crate::text::{clean, required, Lines};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest text of a field in an entry.
pub const MAX_ENTRY_CHARS: usize = 4_000;
/// The longest "who decided".
pub const MAX_WHO_CHARS: usize = 200;
/// The most entries one incident's log keeps.
pub const MAX_ENTRIES: usize = 2_000;
/// A decision may be recorded as taken this long ago at most.
pub const MAX_DECISION_AGE_DAYS: i64 = 30;
/// The default time between situation reports.
pub const DEFAULT_REPORT_MINUTES: u32 = 60;
/// The longest time between situation reports one can set (a day).
pub const MAX_REPORT_MINUTES: u32 = 24 * 60;

/// What an entry says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryBody {
    Decision {
        what: String,
        /// Who decided: a person, or a body such as the crisis management group.
        who: String,
        why: String,
        decided_at: DateTime<Utc>,
    },
    /// A situation report.
    Report {
        /// What the situation is: what has happened, what is affected.
        conditions: String,
        /// What is being done.
        actions: String,
        /// What is needed: people, equipment, decisions.
        needs: String,
    },
}

impl EntryBody {
    pub fn kind(&self) -> &'static str {
        match self {
            EntryBody::Decision { .. } => "decision",
            EntryBody::Report { .. } => "report",
        }
    }
}

/// One entry of an incident's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LogEntry {
    pub id: EntryId,
    pub incident_id: IncidentId,
    #[serde(flatten)]
    pub body: EntryBody,
    /// Needs the scribe's approval before it enters the shared picture.
    pub significant: bool,
    pub written_at: DateTime<Utc>,
    pub written_by: Option<PersonId>,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<PersonId>,
    /// Sent back by the scribe: it stays out of the shared picture.
    pub declined_at: Option<DateTime<Utc>>,
    pub declined_by: Option<PersonId>,
}

impl LogEntry {
    /// Part of the shared picture: not significant, or approved.
    pub fn in_picture(&self) -> bool {
        !self.significant || self.approved_at.is_some()
    }

    /// Significant and neither approved nor sent back yet: the scribe's to decide.
    pub fn is_waiting(&self) -> bool {
        self.significant && self.approved_at.is_none() && self.declined_at.is_none()
    }
}

/// A decision as sent, before it is checked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    #[schema(min_length = 1, max_length = 4000, format = "many-lines-text")]
    pub what: String,
    #[schema(min_length = 1, max_length = 200, format = "one-line-text")]
    pub who: String,
    #[schema(min_length = 1, max_length = 4000, format = "many-lines-text")]
    pub why: String,
    /// When it was taken; now when left out. Not in the future, at most 30 days ago.
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub significant: bool,
}

/// A situation report as sent, before it is checked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    #[schema(min_length = 1, max_length = 4000, format = "many-lines-text")]
    pub conditions: String,
    #[serde(default)]
    #[schema(max_length = 4000, format = "many-lines-text-or-empty")]
    pub actions: String,
    #[serde(default)]
    #[schema(max_length = 4000, format = "many-lines-text-or-empty")]
    pub needs: String,
    #[serde(default)]
    pub significant: bool,
}

/// An entry, checked, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDraft {
    pub body: EntryBody,
    pub significant: bool,
}

impl DecisionInput {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<EntryDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let what = errors.check(
            "what",
            required("what", &self.what, MAX_ENTRY_CHARS, Lines::Many).map_err(|e| e.problem),
        );
        let who = errors.check(
            "who",
            required("who", &self.who, MAX_WHO_CHARS, Lines::One).map_err(|e| e.problem),
        );
        let why = errors.check(
            "why",
            required("why", &self.why, MAX_ENTRY_CHARS, Lines::Many).map_err(|e| e.problem),
        );
        let decided_at = self.decided_at.unwrap_or(now);
        // A minute's grace for a clock that runs a little ahead of the server's.
        if decided_at > now + Duration::minutes(1) {
            errors.add("decided_at", Problem::InTheFuture);
        } else if decided_at < now - Duration::days(MAX_DECISION_AGE_DAYS) {
            errors.add(
                "decided_at",
                Problem::TooLongAgo {
                    days: MAX_DECISION_AGE_DAYS,
                },
            );
        }
        errors.into_result()?;
        Ok(EntryDraft {
            body: EntryBody::Decision {
                what: what.unwrap_or_default(),
                who: who.unwrap_or_default(),
                why: why.unwrap_or_default(),
                decided_at,
            },
            significant: self.significant,
        })
    }
}

impl ReportInput {
    pub fn validate(&self) -> Result<EntryDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let conditions = errors.check(
            "conditions",
            required("conditions", &self.conditions, MAX_ENTRY_CHARS, Lines::Many)
                .map_err(|e| e.problem),
        );
        let mut optional =
            |field: &str, value: &str| match clean(field, value, MAX_ENTRY_CHARS, Lines::Many) {
                Ok(text) => text,
                Err(e) => {
                    errors.0.push(e);
                    String::new()
                }
            };
        let actions = optional("actions", &self.actions);
        let needs = optional("needs", &self.needs);
        errors.into_result()?;
        Ok(EntryDraft {
            body: EntryBody::Report {
                conditions: conditions.unwrap_or_default(),
                actions,
                needs,
            },
            significant: self.significant,
        })
    }
}

/// What changed in one section of a situation report since the one before: the lines
/// that are new and the lines that are gone (a report is read as a list of points).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SectionChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl SectionChange {
    pub fn between(before: &str, after: &str) -> Self {
        let lines = |text: &str| -> Vec<String> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let (before, after) = (lines(before), lines(after));
        SectionChange {
            added: after
                .iter()
                .filter(|l| !before.contains(l))
                .cloned()
                .collect(),
            removed: before
                .iter()
                .filter(|l| !after.contains(l))
                .cloned()
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// What changed in each section (conditions, actions, needs) between two reports; `None`
/// when either entry is not a report.
pub fn report_changes(before: &EntryBody, after: &EntryBody) -> Option<[SectionChange; 3]> {
    match (before, after) {
        (
            EntryBody::Report {
                conditions: c0,
                actions: a0,
                needs: n0,
            },
            EntryBody::Report {
                conditions: c1,
                actions: a1,
                needs: n1,
            },
        ) => Some([
            SectionChange::between(c0, c1),
            SectionChange::between(a0, a1),
            SectionChange::between(n0, n1),
        ]),
        _ => None,
    }
}

/// When the next situation report is due: `every` after the last one written (or after
/// the incident opened, before the first). `None` without a cadence.
pub fn report_due(
    opened_at: DateTime<Utc>,
    last_report: Option<DateTime<Utc>>,
    every_minutes: Option<u32>,
) -> Option<DateTime<Utc>> {
    let every = every_minutes.filter(|m| *m > 0)?;
    Some(last_report.unwrap_or(opened_at) + Duration::minutes(i64::from(every)))
}

/// The cadence as sent: minutes between reports, 0 for none.
pub fn parse_cadence(minutes: i64) -> Result<Option<u32>, Problem> {
    match u32::try_from(minutes) {
        Ok(0) => Ok(None),
        Ok(m) if m <= MAX_REPORT_MINUTES => Ok(Some(m)),
        _ => Err(Problem::Range {
            min: 0,
            max: i64::from(MAX_REPORT_MINUTES),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).single().unwrap()
    }

    #[test]
    fn a_decision_needs_what_who_and_why_and_a_time_not_ahead() {
        let errors = DecisionInput {
            what: " ".into(),
            who: "Krisledningsgruppen".into(),
            why: String::new(),
            decided_at: Some(now() + Duration::hours(1)),
            significant: true,
        }
        .validate(now())
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["what", "why", "decided_at"]);
        let draft = DecisionInput {
            what: "Stäng medborgarkontoret".into(),
            who: "Kommundirektören".into(),
            why: "Inga system fungerar".into(),
            decided_at: None,
            significant: true,
        }
        .validate(now())
        .unwrap();
        assert!(
            matches!(draft.body, EntryBody::Decision { decided_at, .. } if decided_at == now())
        );
        assert!(draft.significant);
        let old = DecisionInput {
            what: "x".into(),
            who: "y".into(),
            why: "z".into(),
            decided_at: Some(now() - Duration::days(31)),
            significant: false,
        };
        assert_eq!(
            old.validate(now()).unwrap_err().0[0].problem,
            Problem::TooLongAgo { days: 30 }
        );
    }

    #[test]
    fn a_report_needs_its_conditions_the_rest_may_wait() {
        let errors = ReportInput {
            conditions: String::new(),
            actions: "a\u{7}".into(),
            ..ReportInput::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["conditions", "actions"]);
        assert!(ReportInput {
            conditions: "Telefonin nere".into(),
            ..ReportInput::default()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn a_new_report_shows_the_points_added_and_gone_in_each_section() {
        let report = |c: &str, a: &str, n: &str| EntryBody::Report {
            conditions: c.into(),
            actions: a.into(),
            needs: n.into(),
        };
        let before = report(
            "Telefonin nere\nE-post nere",
            "Reservtelefoner delas ut",
            "",
        );
        let after = report(
            "Telefonin nere\nE-post fungerar igen",
            "Reservtelefoner delas ut",
            "Fler laddare",
        );
        let [conditions, actions, needs] = report_changes(&before, &after).unwrap();
        assert_eq!(conditions.added, ["E-post fungerar igen"]);
        assert_eq!(conditions.removed, ["E-post nere"]);
        assert!(actions.is_empty());
        assert_eq!(needs.added, ["Fler laddare"]);
    }

    #[test]
    fn the_next_report_is_due_a_cadence_after_the_last_or_the_opening() {
        let opened = now();
        assert_eq!(
            report_due(opened, None, Some(60)),
            Some(opened + Duration::hours(1))
        );
        let last = opened + Duration::minutes(50);
        assert_eq!(
            report_due(opened, Some(last), Some(30)),
            Some(last + Duration::minutes(30))
        );
        assert_eq!(report_due(opened, Some(last), None), None);
        assert_eq!(parse_cadence(0), Ok(None));
        assert_eq!(parse_cadence(90), Ok(Some(90)));
        assert!(parse_cadence(-5).is_err());
        assert!(parse_cadence(24 * 60 + 1).is_err());
    }
}
