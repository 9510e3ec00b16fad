//! The overview of what is affected: the services the organisation depends on (telephony,
//! the switchboard, email, e-services, the home-care alarm system, the case system…),
//! each with its owner and the alternative to use when it fails, and its state now —
//! works, degraded, down or unknown — with the impact and the workaround. A change of
//! state is one tap, journaled and kept in the service's history, from which an
//! incident's report tells how long each was down. The public status page shows the same
//! list.

use crate::error::{FieldErrors, Problem};
use crate::ids::{OrgId, PersonId, ServiceId};
use crate::register::parse_name;
use crate::text::{clean, Lines};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most services an organisation keeps on its list.
pub const MAX_SERVICES: usize = 200;
/// The longest owner or alternative.
pub const MAX_NOTE_CHARS: usize = 500;
/// The longest impact or workaround.
pub const MAX_STATUS_CHARS: usize = 1_000;

/// How a service is doing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Works,
    /// Works in part or slowly.
    Degraded,
    Down,
    /// Nobody has said yet.
    Unknown,
}

impl ServiceState {
    pub const ALL: &'static [ServiceState] = <ServiceState as strum::VariantArray>::VARIANTS;

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Works => "works",
            ServiceState::Degraded => "degraded",
            ServiceState::Down => "down",
            ServiceState::Unknown => "unknown",
        }
    }

    pub fn parse(code: &str) -> Result<Self, Problem> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == code)
            .ok_or_else(|| Problem::OneOf {
                choices: Self::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Whether people are without it, in full or in part: what counts as downtime.
    pub fn is_disrupted(self) -> bool {
        matches!(self, ServiceState::Degraded | ServiceState::Down)
    }
}

/// One service on the organisation's list, with its state now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Service {
    pub id: ServiceId,
    pub org_id: OrgId,
    pub name: String,
    /// Who answers for it ("IT-avdelningen, servicedesk").
    pub owner: Option<String>,
    /// What to use when it fails ("ring växeln på 0771-…", "papperblanketter i pärm 3").
    pub alternative: Option<String>,
    pub state: ServiceState,
    /// What its state means for staff and citizens.
    pub impact: Option<String>,
    /// What to do meanwhile.
    pub workaround: Option<String>,
    /// When the state, impact or workaround was last set.
    pub changed_at: DateTime<Utc>,
    /// The person who set them, when a person did.
    pub changed_by: Option<PersonId>,
    /// The state the public status page shows: the same, except that a state set while
    /// only exercises were open is not shown to citizens.
    pub public_state: ServiceState,
    /// When the public state was last set.
    pub public_changed_at: DateTime<Utc>,
}

/// A service's fields as sent, before they are checked.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    #[schema(min_length = 1, max_length = 200, format = "one-line-text")]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 500, format = "one-line-text-or-empty")]
    pub owner: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500, format = "many-lines-text-or-empty")]
    pub alternative: Option<String>,
}

/// A service's fields, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDraft {
    pub name: String,
    pub owner: Option<String>,
    pub alternative: Option<String>,
}

/// An optional text: `None` when left empty.
fn optional(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
    lines: Lines,
) -> Option<String> {
    match clean(field, value.unwrap_or(""), max, lines) {
        Ok(text) if text.is_empty() => None,
        Ok(text) => Some(text),
        Err(e) => {
            errors.0.push(e);
            None
        }
    }
}

impl ServiceInput {
    pub fn validate(&self) -> Result<ServiceDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", parse_name(&self.name));
        let owner = optional(
            &mut errors,
            "owner",
            self.owner.as_deref(),
            MAX_NOTE_CHARS,
            Lines::One,
        );
        let alternative = optional(
            &mut errors,
            "alternative",
            self.alternative.as_deref(),
            MAX_NOTE_CHARS,
            Lines::Many,
        );
        errors.into_result()?;
        Ok(ServiceDraft {
            name: name.unwrap_or_default(),
            owner,
            alternative,
        })
    }
}

/// A new state for a service, as sent. An impact or workaround left out keeps the one the
/// service has; an empty one clears it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    pub state: ServiceState,
    #[serde(default)]
    #[schema(max_length = 1000, format = "many-lines-text-or-empty")]
    pub impact: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000, format = "many-lines-text-or-empty")]
    pub workaround: Option<String>,
}

/// A new state, checked. Empty impact and workaround clear them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub state: ServiceState,
    pub impact: Option<String>,
    pub workaround: Option<String>,
    /// Set while only exercises were open: the public state stays as it was.
    pub exercise: bool,
}

impl StatusInput {
    /// Checks the input against the service's state now: an impact or workaround left
    /// out keeps the current one, an empty one clears it.
    pub fn validate(&self, current: &Service) -> Result<StatusChange, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut text = |field: &str, sent: Option<&str>, now: &Option<String>| match sent {
            None => now.clone(),
            Some(sent) => optional(
                &mut errors,
                field,
                Some(sent),
                MAX_STATUS_CHARS,
                Lines::Many,
            ),
        };
        let impact = text("impact", self.impact.as_deref(), &current.impact);
        let workaround = text(
            "workaround",
            self.workaround.as_deref(),
            &current.workaround,
        );
        errors.into_result()?;
        Ok(StatusChange {
            state: self.state,
            impact,
            workaround,
            exercise: false,
        })
    }
}

/// One entry of a service's history: the state it was set to, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChange {
    pub service_id: ServiceId,
    /// The service's name when the history was read.
    pub name: String,
    pub state: ServiceState,
    pub impact: Option<String>,
    pub workaround: Option<String>,
    pub at: DateTime<Utc>,
    pub by: Option<PersonId>,
}

/// How long each service was disrupted (degraded or down) between `from` and `to`, by
/// its history ([`super::ContinuityStore::service_history`] from `from`): the services
/// that were, in the order they first were, with the minutes degraded and down.
pub fn downtime(
    history: &[ServiceChange],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Downtime> {
    let mut result: Vec<Downtime> = Vec::new();
    let mut ids: Vec<ServiceId> = Vec::new();
    for change in history {
        if !ids.contains(&change.service_id) {
            ids.push(change.service_id);
        }
    }
    for id in ids {
        let changes: Vec<&ServiceChange> = history.iter().filter(|c| c.service_id == id).collect();
        let mut degraded = chrono::Duration::zero();
        let mut down = chrono::Duration::zero();
        let mut first_disrupted: Option<DateTime<Utc>> = None;
        for (i, change) in changes.iter().enumerate() {
            let start = change.at.max(from);
            let end = changes.get(i + 1).map_or(to, |next| next.at.min(to));
            if end <= start {
                continue;
            }
            match change.state {
                ServiceState::Down => down += end - start,
                ServiceState::Degraded => degraded += end - start,
                _ => continue,
            }
            first_disrupted.get_or_insert(start);
        }
        if let (Some(since), Some(last)) = (first_disrupted, changes.last()) {
            result.push(Downtime {
                service_id: id,
                name: last.name.clone(),
                first_disrupted: since,
                degraded_minutes: degraded.num_minutes(),
                down_minutes: down.num_minutes(),
            });
        }
    }
    result.sort_by_key(|d| d.first_disrupted);
    result
}

/// How long one service was disrupted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Downtime {
    pub service_id: ServiceId,
    pub name: String,
    pub first_disrupted: DateTime<Utc>,
    pub degraded_minutes: i64,
    pub down_minutes: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 10, minute, 0)
            .single()
            .unwrap()
    }

    fn change(id: ServiceId, name: &str, state: ServiceState, minute: u32) -> ServiceChange {
        ServiceChange {
            service_id: id,
            name: name.into(),
            state,
            impact: None,
            workaround: None,
            at: at(minute),
            by: None,
        }
    }

    #[test]
    fn downtime_counts_only_the_disrupted_time_inside_the_window() {
        let email = ServiceId::new();
        let phone = ServiceId::new();
        let history = vec![
            // Down since before the incident began at minute 10.
            change(email, "E-post", ServiceState::Down, 0),
            change(phone, "Telefoni", ServiceState::Works, 0),
            change(email, "E-post", ServiceState::Degraded, 30),
            change(phone, "Telefoni", ServiceState::Down, 40),
            change(email, "E-post", ServiceState::Works, 45),
            change(phone, "Telefoni", ServiceState::Unknown, 50),
        ];
        let report = downtime(&history, at(10), at(55));
        assert_eq!(report.len(), 2);
        assert_eq!(report[0].name, "E-post");
        assert_eq!(report[0].first_disrupted, at(10));
        assert_eq!(
            (report[0].down_minutes, report[0].degraded_minutes),
            (20, 15)
        );
        assert_eq!(report[1].name, "Telefoni");
        assert_eq!(
            (report[1].down_minutes, report[1].degraded_minutes),
            (10, 0)
        );
    }

    #[test]
    fn a_service_that_kept_working_is_not_in_the_downtime() {
        let switchboard = ServiceId::new();
        let history = vec![change(switchboard, "Växel", ServiceState::Works, 0)];
        assert!(downtime(&history, at(10), at(55)).is_empty());
    }

    #[test]
    fn a_state_is_read_from_its_code_and_an_unknown_code_names_the_choices() {
        assert_eq!(ServiceState::parse("down"), Ok(ServiceState::Down));
        assert_eq!(
            ServiceState::parse("broken"),
            Err(Problem::OneOf {
                choices: "works, degraded, down, unknown".into()
            })
        );
    }

    #[test]
    fn empty_owner_and_alternative_are_none_and_a_bad_name_is_named() {
        let draft = ServiceInput {
            name: " E-post ".into(),
            owner: Some("  ".into()),
            alternative: Some("Ring växeln".into()),
        }
        .validate()
        .unwrap();
        assert_eq!(draft.name, "E-post");
        assert_eq!(draft.owner, None);
        assert_eq!(draft.alternative.as_deref(), Some("Ring växeln"));
        let errors = ServiceInput {
            name: "".into(),
            owner: Some("a\nb".into()),
            alternative: None,
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "owner"]);
    }
}
