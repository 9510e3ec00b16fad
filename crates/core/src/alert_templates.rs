//! Alert templates: an alert written ahead of the day it is needed (its message,
//! recipients, answers and options), sent in two taps — open it, see whom it reaches on
//! which channels, send — without anyone having to fill in the alert form under stress.

use crate::alerting::{usable, AlertInput, PlanRecipient};
use crate::error::FieldErrors;
use crate::ids::{AccountId, AlertTemplateId, OrgId, PersonId};
use crate::register::ContactKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest template name: a line in a list on a phone.
pub const MAX_NAME_CHARS: usize = 80;
/// Templates an organisation keeps at most: more than a plan's worth, and a bound on what
/// one token can fill the list with.
pub const MAX_TEMPLATES: usize = 200;

/// A saved alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AlertTemplate {
    pub id: AlertTemplateId,
    pub org_id: OrgId,
    pub name: String,
    /// Goes up by one with each save. Sending names the version that was previewed, so
    /// what goes out is what the sender saw.
    pub version: i64,
    pub alert: AlertInput,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<AccountId>,
}

/// A template as written, for saving it new or again.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    #[schema(min_length = 1, max_length = 80, format = "one-line-text")]
    pub name: String,
    pub alert: AlertInput,
    /// When saving an existing template: the version the change was made from.
    #[serde(default)]
    pub version: Option<i64>,
}

/// A checked template, ready to save.
#[derive(Debug, Clone)]
pub struct TemplateDraft {
    /// None for a new template.
    pub id: Option<AlertTemplateId>,
    pub version: Option<i64>,
    pub name: String,
    pub alert: AlertInput,
    pub saved_by: Option<AccountId>,
}

impl TemplateInput {
    /// Checks the name, and the alert as sending it would be checked (its problems under
    /// `alert.…`), all at once.
    pub fn validate(
        self,
        id: Option<AlertTemplateId>,
        saved_by: Option<AccountId>,
    ) -> Result<TemplateDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check(
            "name",
            crate::text::required("name", &self.name, MAX_NAME_CHARS, crate::text::Lines::One)
                .map_err(|e| e.problem),
        );
        if let Err(more) = self.alert.clone().validate(saved_by) {
            errors.0.extend(more.within("alert").0);
        }
        match name {
            Some(name) if errors.is_empty() => Ok(TemplateDraft {
                id,
                version: self.version,
                name,
                alert: self.alert,
                saved_by,
            }),
            _ => Err(errors),
        }
    }
}

/// How many people an alert reaches on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChannelReach {
    pub channel: ContactKind,
    /// People who have this channel; a person with SMS and email counts on both.
    pub people: u32,
}

/// Whom an alert would reach, before it is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reach {
    /// Everyone it would go to, deputies included.
    pub people: u32,
    /// Deputies among them: alerted only while the one before them is silent.
    pub deputies: u32,
    /// The channels it would use, most people first.
    pub channels: Vec<ChannelReach>,
    /// People with no channel it can use (no number, address or phone app).
    pub unreachable: Vec<PersonId>,
}

/// Counts an alert's audience by channel, as the alert's planning would use their
/// contact points.
pub fn reach(audience: &[PlanRecipient]) -> Reach {
    let mut out = Reach::default();
    for r in audience {
        out.people += 1;
        if r.follows.is_some() {
            out.deputies += 1;
        }
        let points = usable(&r.points);
        if points.is_empty() {
            out.unreachable.push(r.person);
        }
        let mut kinds: Vec<ContactKind> = points.iter().map(|p| p.kind).collect();
        kinds.sort_by_key(|k| k.as_str());
        kinds.dedup();
        for kind in kinds {
            match out.channels.iter_mut().find(|c| c.channel == kind) {
                Some(c) => c.people += 1,
                None => out.channels.push(ChannelReach {
                    channel: kind,
                    people: 1,
                }),
            }
        }
    }
    out.channels
        .sort_by_key(|c| (std::cmp::Reverse(c.people), c.channel.as_str()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::{Recipients, Severity};
    use crate::register::{ContactLabel, ContactPoint};

    fn point(kind: ContactKind, value: &str) -> ContactPoint {
        ContactPoint {
            kind,
            label: ContactLabel::Work,
            value: value.to_owned(),
            verified: true,
        }
    }

    #[test]
    fn reach_counts_each_person_once_per_channel_and_names_the_unreachable() {
        let anna = PersonId::new();
        let bo = PersonId::new();
        let cilla = PersonId::new();
        let audience = vec![
            PlanRecipient {
                person: anna,
                // Two numbers are one channel; a voice number is not one alerts use yet.
                points: vec![
                    point(ContactKind::Sms, "+46701234567"),
                    point(ContactKind::Email, "anna@example.se"),
                    point(ContactKind::Sms, "+46701234568"),
                ],
                follows: None,
            },
            PlanRecipient {
                person: bo,
                points: vec![point(ContactKind::Sms, "+46709876543")],
                follows: Some(anna),
            },
            PlanRecipient {
                person: cilla,
                points: vec![point(ContactKind::Voice, "+46701111111")],
                follows: None,
            },
        ];
        let reach = reach(&audience);
        assert_eq!(reach.people, 3);
        assert_eq!(reach.deputies, 1);
        assert_eq!(
            reach.channels,
            vec![
                ChannelReach {
                    channel: ContactKind::Sms,
                    people: 2
                },
                ChannelReach {
                    channel: ContactKind::Email,
                    people: 1
                },
            ]
        );
        assert_eq!(reach.unreachable, vec![cilla]);
    }

    #[test]
    fn a_template_is_checked_as_the_alert_it_sends_with_every_problem_at_once() {
        let input = TemplateInput {
            name: "  ".into(),
            alert: AlertInput {
                message: String::new(),
                severity: Severity::Critical,
                recipients: Recipients::default(),
                options: vec![],
                exercise: false,
                step_minutes: 5,
                repeats: 0,
                repeat_minutes: 15,
                escalation: None,
            },
            version: None,
        };
        let errors = input.validate(None, None).err().map(|e| {
            e.0.into_iter()
                .map(|e| (e.field, e.problem.code()))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            errors,
            Some(vec![
                ("name".to_owned(), "empty"),
                ("alert.message".to_owned(), "empty"),
                ("alert.recipients".to_owned(), "no_recipients"),
            ])
        );
    }
}
