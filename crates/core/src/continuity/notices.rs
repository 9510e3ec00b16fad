//! Notices on the public status page: what the organisation tells citizens and partners
//! about a disruption ("the telephones are down; call the reserve number") or planned
//! maintenance, with a timeline of updates. A notice is published once and then updated;
//! each update is whole (its phase, its text in each language written, the services it is
//! about), so the page, the feeds and the CAP messages are each made from one update.
//! A notice published from an exercise is marked as one everywhere it is shown.

use crate::error::{FieldErrors, Problem};
use crate::ids::{IncidentId, OrgId, PersonId, ServiceId};
use crate::text::{check, Lines};
use beredskap_i18n::Lang;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest title.
pub const MAX_TITLE_CHARS: usize = 120;
/// The longest text of an update.
pub const MAX_BODY_CHARS: usize = 2_000;
/// The most updates one notice takes.
pub const MAX_UPDATES: usize = 100;
/// The most notices an organisation has open at once.
pub const MAX_OPEN: usize = 50;
/// How long an ended notice stays on the page and in the feeds.
pub const SHOWN_AFTER_END_DAYS: i64 = 7;
/// How far ahead maintenance may be planned.
pub const MAX_PLANNED_DAYS: i64 = 365;
/// The longest planned maintenance.
pub const MAX_WINDOW_DAYS: i64 = 31;

/// A disruption now, or maintenance planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NoticeKind)]
pub enum Kind {
    Disruption,
    Maintenance,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Disruption => "disruption",
            Kind::Maintenance => "maintenance",
        }
    }

    pub fn parse(code: &str) -> Result<Self, Problem> {
        match code {
            "disruption" => Ok(Kind::Disruption),
            "maintenance" => Ok(Kind::Maintenance),
            _ => Err(Problem::OneOf {
                choices: "disruption, maintenance".into(),
            }),
        }
    }

    /// The phases an update of a notice of this kind may be in, in their usual order.
    pub fn phases(self) -> &'static [Phase] {
        match self {
            Kind::Disruption => &[
                Phase::Investigating,
                Phase::Identified,
                Phase::Monitoring,
                Phase::Resolved,
            ],
            Kind::Maintenance => &[Phase::Planned, Phase::InProgress, Phase::Completed],
        }
    }
}

/// Where a notice stands, as its latest update says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NoticePhase)]
pub enum Phase {
    /// Something is wrong; the cause is being looked for.
    Investigating,
    /// The cause is known and being put right.
    Identified,
    /// Put right; being watched.
    Monitoring,
    /// Over.
    Resolved,
    /// Maintenance ahead.
    Planned,
    /// Maintenance under way.
    InProgress,
    /// Maintenance done.
    Completed,
}

impl Phase {
    const ALL: [Phase; 7] = [
        Phase::Investigating,
        Phase::Identified,
        Phase::Monitoring,
        Phase::Resolved,
        Phase::Planned,
        Phase::InProgress,
        Phase::Completed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Investigating => "investigating",
            Phase::Identified => "identified",
            Phase::Monitoring => "monitoring",
            Phase::Resolved => "resolved",
            Phase::Planned => "planned",
            Phase::InProgress => "in_progress",
            Phase::Completed => "completed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == code)
    }

    /// The notice is over: it leaves the page [`SHOWN_AFTER_END_DAYS`] later and takes no
    /// more updates.
    pub fn ends(self) -> bool {
        matches!(self, Phase::Resolved | Phase::Completed)
    }
}

/// The title and text of an update in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NoticeText {
    /// A language code of the text catalogue (`sv`, `da`, `nb`, `en`).
    pub lang: String,
    pub title: String,
    /// What has happened, what it means and what to do; may be empty.
    pub body: String,
}

/// One update of a notice, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NoticeUpdate {
    /// 1 for the notice as published, then 2, 3…
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The person who wrote it, when a person did (not shown publicly).
    #[serde(skip)]
    pub by: Option<PersonId>,
    pub phase: Phase,
    /// In the order written; the organisation's language first.
    pub texts: Vec<NoticeText>,
    /// The services it is about, in the overview's order.
    pub services: Vec<ServiceId>,
}

impl NoticeUpdate {
    /// The text in `lang`, or else the first one written.
    pub fn text(&self, lang: &str) -> Option<&NoticeText> {
        self.texts
            .iter()
            .find(|t| t.lang == lang)
            .or_else(|| self.texts.first())
    }
}

/// A notice with its updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Notice {
    pub id: crate::ids::NoticeId,
    #[serde(skip)]
    pub org_id: OrgId,
    /// The incident it was published from, if any (not shown publicly).
    pub incident_id: Option<IncidentId>,
    pub kind: Kind,
    /// Published from an exercise: marked as such on the page, in the feeds, and as
    /// `Exercise` in CAP.
    pub exercise: bool,
    /// Maintenance's planned window.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Oldest first; never empty.
    pub updates: Vec<NoticeUpdate>,
}

impl Notice {
    pub fn first(&self) -> &NoticeUpdate {
        // A notice is stored with its first update, in one transaction.
        &self.updates[0]
    }

    pub fn latest(&self) -> &NoticeUpdate {
        &self.updates[self.updates.len() - 1]
    }

    pub fn published_at(&self) -> DateTime<Utc> {
        self.first().at
    }

    /// When its latest update ended it.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        let latest = self.latest();
        latest.phase.ends().then_some(latest.at)
    }

    pub fn is_open(&self) -> bool {
        self.ended_at().is_none()
    }
}

/// An update as typed, before it is checked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    /// One of the phases of the notice's kind: `investigating`, `identified`, `monitoring`,
    /// `resolved` for a disruption; `planned`, `in_progress`, `completed` for maintenance.
    #[schema(
        example = "investigating",
        pattern = "^(investigating|identified|monitoring|resolved|planned|in_progress|completed)$"
    )]
    pub phase: String,
    /// At least one; at most one per language.
    pub texts: Vec<NoticeTextInput>,
    #[serde(default)]
    pub services: Vec<ServiceId>,
    /// Maintenance: the planned window (required for maintenance, refused otherwise).
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeTextInput {
    #[schema(example = "sv", pattern = "^(sv|da|nb|en)$")]
    pub lang: String,
    /// Empty leaves the language out (a form shows every language).
    #[serde(default)]
    #[schema(max_length = 120, format = "one-line-text-or-empty")]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 2000, format = "many-lines-text-or-empty")]
    pub body: String,
}

/// A notice to publish as sent: its kind, the incident it comes from (if any), and its
/// first update.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishInput {
    pub kind: Kind,
    /// Published from this incident: marked as an exercise when the incident is one.
    #[serde(default)]
    pub incident: Option<IncidentId>,
    #[schema(
        example = "investigating",
        pattern = "^(investigating|identified|monitoring|resolved|planned|in_progress|completed)$"
    )]
    pub phase: String,
    pub texts: Vec<NoticeTextInput>,
    #[serde(default)]
    pub services: Vec<ServiceId>,
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
}

impl PublishInput {
    /// The first update as sent.
    pub fn first(&self) -> UpdateInput {
        UpdateInput {
            phase: self.phase.clone(),
            texts: self.texts.clone(),
            services: self.services.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

/// An update, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateDraft {
    pub phase: Phase,
    pub texts: Vec<NoticeText>,
    pub services: Vec<ServiceId>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

impl UpdateInput {
    /// Checks the update for a notice of `kind`: a phase of that kind, a title in at least
    /// one language (a body without a title is refused, naming the title), no language
    /// twice, and for maintenance a window that ends after it starts, within a year and a
    /// month long. Services are checked against the overview by the caller (`services`).
    pub fn validate(&self, kind: Kind, now: DateTime<Utc>) -> Result<UpdateDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let phase = Phase::parse(self.phase.trim()).filter(|p| kind.phases().contains(p));
        if phase.is_none() {
            errors.add(
                "phase",
                Problem::OneOf {
                    choices: kind
                        .phases()
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            );
        }
        let mut texts: Vec<NoticeText> = Vec::new();
        for (i, input) in self.texts.iter().enumerate() {
            let lang = match Lang::from_code(input.lang.trim()) {
                Some(lang) => lang.code().to_owned(),
                None => {
                    errors.add(format!("texts[{i}].lang"), Problem::NotALanguage);
                    continue;
                }
            };
            if texts.iter().any(|t| t.lang == lang) {
                errors.add(format!("texts[{i}].lang"), Problem::Duplicate);
                continue;
            }
            let body = match check(&input.body, MAX_BODY_CHARS, Lines::Many) {
                Ok(body) => body,
                Err(crate::text::TextProblem::Empty) => String::new(),
                Err(e) => {
                    errors.add(format!("texts[{i}].body"), e);
                    continue;
                }
            };
            match check(&input.title, MAX_TITLE_CHARS, Lines::One) {
                Ok(title) => texts.push(NoticeText { lang, title, body }),
                Err(crate::text::TextProblem::Empty) if body.is_empty() => {}
                Err(e) => errors.add(format!("texts[{i}].title"), e),
            }
        }
        if texts.is_empty() && errors.is_empty() {
            errors.add("texts[0].title", Problem::Empty);
        }
        let mut services = Vec::new();
        for id in &self.services {
            if !services.contains(id) {
                services.push(*id);
            }
        }
        match (kind, self.starts_at, self.ends_at) {
            (Kind::Disruption, None, None) => {}
            (Kind::Disruption, Some(_), _) => errors.add("starts_at", Problem::OnlyForMaintenance),
            (Kind::Disruption, None, Some(_)) => errors.add("ends_at", Problem::OnlyForMaintenance),
            (Kind::Maintenance, None, _) => errors.add("starts_at", Problem::Missing),
            (Kind::Maintenance, Some(_), None) => errors.add("ends_at", Problem::Missing),
            (Kind::Maintenance, Some(start), Some(end)) => {
                if start > now + Duration::days(MAX_PLANNED_DAYS) {
                    errors.add(
                        "starts_at",
                        Problem::TooFarAhead {
                            days: MAX_PLANNED_DAYS,
                        },
                    );
                }
                if end <= start {
                    errors.add("ends_at", Problem::BeforeStart);
                } else if end - start > Duration::days(MAX_WINDOW_DAYS) {
                    errors.add(
                        "ends_at",
                        Problem::SpanTooLong {
                            days: MAX_WINDOW_DAYS,
                        },
                    );
                }
            }
        }
        errors.into_result()?;
        Ok(UpdateDraft {
            phase: phase.unwrap_or(Phase::Investigating),
            texts,
            services,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        })
    }
}

/// A notice to publish, checked.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub incident_id: Option<IncidentId>,
    pub kind: Kind,
    pub exercise: bool,
    pub first: UpdateDraft,
}

#[async_trait::async_trait]
pub trait NoticeStore: Send + Sync {
    /// The organisation's notices still shown: open ones, and those ended at or after
    /// `ended_since`; newest first, each with every update.
    async fn notices(&self, org: OrgId, ended_since: DateTime<Utc>) -> StoreResult<Vec<Notice>>;
    /// One notice; `NotFound` for another organisation's.
    async fn notice(&self, org: OrgId, id: crate::ids::NoticeId) -> StoreResult<Notice>;
    /// Publishes a notice with its first update, journaled whole (it is public).
    /// `Invalid` on `phase` when the organisation has [`MAX_OPEN`] open already.
    async fn publish_notice(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewNotice,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Notice>;
    /// Adds an update, journaled whole. `Conflict::NoticeEnded` once an update has ended
    /// it; `Invalid` on `texts` when it has [`MAX_UPDATES`].
    async fn update_notice(
        &self,
        actor: &Actor,
        org: OrgId,
        id: crate::ids::NoticeId,
        update: UpdateDraft,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<Notice>;
}

use crate::journal::Actor;
use crate::store::StoreResult;

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-02T10:00:00Z".parse().unwrap()
    }

    fn text(lang: &str, title: &str, body: &str) -> NoticeTextInput {
        NoticeTextInput {
            lang: lang.into(),
            title: title.into(),
            body: body.into(),
        }
    }

    #[test]
    fn an_update_takes_the_languages_written_and_leaves_out_the_empty_ones() {
        let draft = UpdateInput {
            phase: "investigating".into(),
            texts: vec![
                text("sv", " Telefonin ligger nere ", "Ring reservnumret."),
                text("en", "", ""),
                text("da", "Telefonerne er nede", ""),
            ],
            services: vec![ServiceId::new()],
            ..Default::default()
        }
        .validate(Kind::Disruption, now())
        .unwrap();
        assert_eq!(draft.phase, Phase::Investigating);
        let langs: Vec<&str> = draft.texts.iter().map(|t| t.lang.as_str()).collect();
        assert_eq!(langs, ["sv", "da"]);
        assert_eq!(draft.texts[0].title, "Telefonin ligger nere");
    }

    #[test]
    fn a_bad_update_is_refused_naming_each_field() {
        let refused = UpdateInput {
            phase: "planned".into(),
            texts: vec![
                text("sv", "", "En text utan rubrik"),
                text("xx", "Title", ""),
                text("sv", "Igen", ""),
            ],
            starts_at: Some(now()),
            ..Default::default()
        }
        .validate(Kind::Disruption, now())
        .unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["phase", "texts[0].title", "texts[1].lang", "starts_at"]
        );
        let nothing = UpdateInput {
            phase: "investigating".into(),
            texts: vec![text("sv", "", "")],
            ..Default::default()
        }
        .validate(Kind::Disruption, now())
        .unwrap_err();
        assert_eq!(nothing.0[0].field, "texts[0].title");
        assert_eq!(nothing.0[0].problem, Problem::Empty);
    }

    #[test]
    fn maintenance_needs_a_window_that_ends_after_it_starts() {
        let input = |start: Option<&str>, end: Option<&str>| UpdateInput {
            phase: "planned".into(),
            texts: vec![text("sv", "Byte av växel", "")],
            starts_at: start.map(|s| s.parse().unwrap()),
            ends_at: end.map(|s| s.parse().unwrap()),
            ..Default::default()
        };
        assert!(
            input(Some("2026-12-05T18:00:00Z"), Some("2026-12-05T22:00:00Z"))
                .validate(Kind::Maintenance, now())
                .is_ok()
        );
        let field = |i: UpdateInput| i.validate(Kind::Maintenance, now()).unwrap_err().0[0].clone();
        assert_eq!(field(input(None, None)).field, "starts_at");
        let backwards = field(input(
            Some("2026-12-05T22:00:00Z"),
            Some("2026-12-05T18:00:00Z"),
        ));
        assert_eq!(
            (backwards.field.as_str(), backwards.problem),
            ("ends_at", Problem::BeforeStart)
        );
        assert_eq!(
            field(input(
                Some("2026-12-05T22:00:00Z"),
                Some("2027-02-05T18:00:00Z")
            ))
            .problem,
            Problem::SpanTooLong { days: 31 }
        );
    }

    #[test]
    fn resolved_and_completed_end_a_notice_and_each_kind_has_its_own_phases() {
        assert!(Phase::Resolved.ends() && Phase::Completed.ends());
        assert!(!Phase::Monitoring.ends() && !Phase::InProgress.ends());
        assert!(Kind::Maintenance.phases().contains(&Phase::InProgress));
        assert!(!Kind::Disruption.phases().contains(&Phase::Planned));
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
    }
}
