//! On-call rotations: who holds a position at a given moment. A rotation hands the
//! position from one member to the next every period (a week, usually); an override puts
//! someone else on call for a while (illness, a swap). Alerts to a position resolve here
//! at send time; the position's other listed people are the deputies, in their order.

use crate::error::{FieldError, FieldErrors};
use crate::ids::{OverrideId, PersonId, PositionId};
use crate::register::Position;
use crate::Problem;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Members a rotation may have (a year of weeks).
pub const MAX_MEMBERS: usize = 52;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rotation {
    pub position_id: PositionId,
    /// When the first member's first period begins.
    pub starts_at: DateTime<Utc>,
    pub period_days: u32,
    /// In the order they take over.
    pub members: Vec<PersonId>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationInput {
    /// When the first member's first period begins, e.g. a Monday 08:00.
    pub starts_at: DateTime<Utc>,
    #[serde(default = "default_period_days")]
    #[schema(minimum = 1, maximum = 28)]
    pub period_days: u32,
    #[schema(min_items = 1, max_items = 52)]
    pub members: Vec<PersonId>,
}

fn default_period_days() -> u32 {
    7
}

impl RotationInput {
    pub fn validate(self, position: PositionId) -> Result<Rotation, FieldErrors> {
        let mut errors = Vec::new();
        if self.members.is_empty() || self.members.len() > MAX_MEMBERS {
            errors.push(FieldError::new(
                "members",
                Problem::Count {
                    min: 1,
                    max: MAX_MEMBERS,
                },
            ));
        }
        for (i, m) in self.members.iter().enumerate() {
            if self.members[..i].contains(m) {
                errors.push(FieldError::new(format!("members[{i}]"), Problem::Duplicate));
            }
        }
        if !(1..=28).contains(&self.period_days) {
            errors.push(FieldError::new(
                "period_days",
                Problem::Range { min: 1, max: 28 },
            ));
        }
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        Ok(Rotation {
            position_id: position,
            starts_at: self.starts_at,
            period_days: self.period_days,
            members: self.members,
        })
    }
}

/// Someone else on call for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Override {
    pub id: OverrideId,
    pub position_id: PositionId,
    pub person_id: PersonId,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideInput {
    pub person: PersonId,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    #[serde(default)]
    #[schema(max_length = 200, format = "one-line-text-or-empty")]
    pub reason: String,
}

impl OverrideInput {
    pub fn validate(self, position: PositionId) -> Result<Override, FieldErrors> {
        let mut errors = Vec::new();
        if self.until <= self.from {
            errors.push(FieldError::new("until", Problem::BeforeStart));
        } else if self.until - self.from > Duration::days(92) {
            errors.push(FieldError::new("until", Problem::SpanTooLong { days: 92 }));
        }
        let lines = crate::text::Lines::One;
        let reason = crate::text::clean("reason", &self.reason, 200, lines).unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        });
        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        Ok(Override {
            id: OverrideId::new(),
            position_id: position,
            person_id: self.person,
            from: self.from,
            until: self.until,
            reason,
        })
    }
}

impl Rotation {
    fn period(&self) -> Duration {
        Duration::days(i64::from(self.period_days))
    }

    /// The member whose period covers `at`; none before the rotation starts.
    pub fn member_at(&self, at: DateTime<Utc>) -> Option<PersonId> {
        if at < self.starts_at || self.members.is_empty() {
            return None;
        }
        let periods = (at - self.starts_at).num_seconds() / self.period().num_seconds().max(1);
        let index = usize::try_from(periods).ok()? % self.members.len();
        self.members.get(index).copied()
    }
}

/// Who is on call at `at`: the newest override covering it, else the rotation's member.
pub fn on_call(
    rotation: Option<&Rotation>,
    overrides: &[Override],
    at: DateTime<Utc>,
) -> Option<PersonId> {
    overrides
        .iter()
        .filter(|o| o.from <= at && at < o.until)
        .max_by_key(|o| o.id)
        .map(|o| o.person_id)
        .or_else(|| rotation.and_then(|r| r.member_at(at)))
}

/// The position's people at `at`, in the order an alert reaches them: whoever is on
/// call, then the position's listed people (skipping them) as deputies. Without a
/// rotation or override, the listed order as it stands.
pub fn holders_at(
    position: &Position,
    rotation: Option<&Rotation>,
    overrides: &[Override],
    at: DateTime<Utc>,
) -> Vec<PersonId> {
    let Some(first) = on_call(rotation, overrides, at) else {
        return position.holders.clone();
    };
    let mut holders = vec![first];
    holders.extend(position.holders.iter().filter(|p| **p != first));
    holders
}

/// One stretch of time with one person on call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Shift {
    pub person_id: PersonId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Covered by an override rather than the rotation.
    pub by_override: bool,
}

/// Who is on call from `from` to `until`, as consecutive shifts (periods and overrides
/// cut at their edges, a person's adjoining stretches joined).
pub fn shifts(
    rotation: Option<&Rotation>,
    overrides: &[Override],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Shift> {
    let mut edges = vec![from, until];
    if let Some(r) = rotation {
        let mut t = r.starts_at;
        if t < from {
            let skipped = (from - t).num_seconds() / r.period().num_seconds().max(1);
            t += r.period() * i32::try_from(skipped).unwrap_or(0);
        }
        while t < until {
            if t > from {
                edges.push(t);
            }
            t += r.period();
        }
    }
    for o in overrides {
        for t in [o.from, o.until] {
            if from < t && t < until {
                edges.push(t);
            }
        }
    }
    edges.sort();
    edges.dedup();
    let mut result: Vec<Shift> = Vec::new();
    for pair in edges.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let by_override = overrides.iter().any(|o| o.from <= start && start < o.until);
        let Some(person) = on_call(rotation, overrides, start) else {
            continue;
        };
        match result.last_mut() {
            Some(last)
                if last.person_id == person
                    && last.end == start
                    && last.by_override == by_override =>
            {
                last.end = end;
            }
            _ => result.push(Shift {
                person_id: person,
                start,
                end,
                by_override,
            }),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgId;
    use crate::Slug;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn the_week_decides_who_is_on_call_and_an_override_goes_first() {
        let (anna, bo, cia, dag) = (
            PersonId::new(),
            PersonId::new(),
            PersonId::new(),
            PersonId::new(),
        );
        let position = PositionId::new();
        let rotation = RotationInput {
            starts_at: at(2, 8),
            period_days: 7,
            members: vec![anna, bo, cia],
        }
        .validate(position)
        .unwrap();
        assert_eq!(rotation.member_at(at(2, 7)), None, "not started");
        assert_eq!(rotation.member_at(at(2, 8)), Some(anna));
        assert_eq!(rotation.member_at(at(9, 7)), Some(anna));
        assert_eq!(rotation.member_at(at(9, 8)), Some(bo));
        assert_eq!(rotation.member_at(at(23, 9)), Some(anna), "round again");
        let sick = OverrideInput {
            person: dag,
            from: at(10, 0),
            until: at(12, 0),
            reason: "Bo sjuk".into(),
        }
        .validate(position)
        .unwrap();
        let overrides = [sick];
        assert_eq!(on_call(Some(&rotation), &overrides, at(11, 12)), Some(dag));
        assert_eq!(on_call(Some(&rotation), &overrides, at(12, 0)), Some(bo));

        let tib = Position {
            id: position,
            org_id: OrgId::new(),
            slug: Slug::parse("tib").unwrap(),
            name: "TiB".into(),
            holders: vec![cia, anna, bo],
        };
        assert_eq!(
            holders_at(&tib, Some(&rotation), &overrides, at(11, 12)),
            [dag, cia, anna, bo]
        );
        assert_eq!(
            holders_at(&tib, Some(&rotation), &overrides, at(3, 12)),
            [anna, cia, bo],
            "the one on call first, then the listed deputies"
        );
        assert_eq!(holders_at(&tib, None, &[], at(3, 12)), [cia, anna, bo]);

        let week = shifts(Some(&rotation), &overrides, at(9, 0), at(16, 9));
        let plan: Vec<_> = week
            .iter()
            .map(|s| (s.person_id, s.start, s.end, s.by_override))
            .collect();
        assert_eq!(
            plan,
            [
                (anna, at(9, 0), at(9, 8), false),
                (bo, at(9, 8), at(10, 0), false),
                (dag, at(10, 0), at(12, 0), true),
                (bo, at(12, 0), at(16, 8), false),
                (cia, at(16, 8), at(16, 9), false),
            ]
        );
    }

    #[test]
    fn a_rotation_and_an_override_name_what_is_wrong() {
        let p = PersonId::new();
        let fields = |e: FieldErrors| e.0.into_iter().map(|f| f.field).collect::<Vec<_>>();
        let bad = RotationInput {
            starts_at: at(2, 8),
            period_days: 0,
            members: vec![p, p],
        }
        .validate(PositionId::new())
        .unwrap_err();
        assert_eq!(fields(bad), ["members[1]", "period_days"]);
        let bad = OverrideInput {
            person: p,
            from: at(3, 0),
            until: at(2, 0),
            reason: String::new(),
        }
        .validate(PositionId::new())
        .unwrap_err();
        assert_eq!(fields(bad), ["until"]);
    }
}
