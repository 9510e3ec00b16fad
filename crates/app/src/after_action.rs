//! An incident's after-action report: what happened when (the timeline), the decisions
//! and situation reports in the shared picture, how fast the alarm was answered, which
//! tasks were late, and how long each service was down or degraded while the incident
//! ran. Read from what the incident recorded; the pages render it as HTML and PDF.

use crate::policy::{permit, Caller, UseCase};
use crate::{App, Error};
use beredskap_core::alerting::RosterEntry;
use beredskap_core::continuity::incidents::{Incident, IncidentTask, Role, Via};
use beredskap_core::continuity::log::{EntryBody, LogEntry};
use beredskap_core::continuity::services::{downtime, Downtime, ServiceState};
use beredskap_core::register::Org;
use beredskap_core::{IncidentId, PersonId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One thing that happened, for the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Opened {
        by: Option<PersonId>,
        via: Via,
    },
    AlarmSent {
        recipients: usize,
    },
    Answered {
        person: PersonId,
        answer: String,
    },
    TaskDone {
        text: String,
        by: Option<PersonId>,
    },
    RoleTaken {
        role: Role,
        person: PersonId,
    },
    Decision {
        what: String,
        who: String,
    },
    Report {
        by: Option<PersonId>,
    },
    ServiceChanged {
        service: String,
        state: ServiceState,
    },
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub event: Event,
}

/// How the alarm was answered.
#[derive(Debug, Clone)]
pub struct AlarmAnswers {
    pub sent_at: DateTime<Utc>,
    /// Every recipient, the quickest answer first and those who never answered last.
    pub recipients: Vec<RosterEntry>,
    /// The middle answer time, in seconds, of those who answered.
    pub median_seconds: Option<i64>,
}

impl AlarmAnswers {
    pub fn answered(&self) -> usize {
        self.recipients
            .iter()
            .filter(|r| r.answered_at.is_some())
            .count()
    }
}

#[derive(Debug, Clone)]
pub struct AfterAction {
    pub incident: Incident,
    pub names: HashMap<PersonId, String>,
    /// Oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// In the shared picture, oldest first.
    pub decisions: Vec<LogEntry>,
    pub reports: Vec<LogEntry>,
    pub alarm: Option<AlarmAnswers>,
    /// Tasks done after their due time, or not done by the end (or by now).
    pub late_tasks: Vec<IncidentTask>,
    pub tasks_total: usize,
    pub tasks_done: usize,
    pub downtime: Vec<Downtime>,
    /// The calls made from the priority list, counted (nobody's details).
    pub priority_calls: beredskap_core::continuity::priority::CallsSummary,
    /// The end of the period the report covers: when the incident ended, or now.
    pub until: DateTime<Utc>,
}

/// Seconds from `sent` to each answer, the middle one.
pub fn median_seconds(sent: DateTime<Utc>, answers: &[DateTime<Utc>]) -> Option<i64> {
    let mut seconds: Vec<i64> = answers.iter().map(|a| (*a - sent).num_seconds()).collect();
    seconds.sort_unstable();
    let n = seconds.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(seconds[n / 2]),
        _ => Some((seconds[n / 2 - 1] + seconds[n / 2]) / 2),
    }
}

pub async fn after_action(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: IncidentId,
) -> Result<AfterAction, Error> {
    permit(caller, UseCase::ReadAfterAction)?;
    let store = app.store();
    let incident = store.incident(org.id, id).await?;
    let until = incident.closed_at.unwrap_or_else(|| app.clock.now());
    let tasks = store.incident_tasks(org.id, id).await?;
    let roles = store.incident_roles(org.id, id).await?;
    let log = store.incident_log(org.id, id).await?;
    let history = store.service_history(org.id, incident.opened_at).await?;
    let mut timeline = vec![TimelineEntry {
        at: incident.opened_at,
        event: Event::Opened {
            by: incident.opened_by,
            via: incident.via,
        },
    }];
    let alarm = match incident.alert_id {
        Some(alert_id) => {
            let alert = store.alert(org.id, alert_id).await?;
            let mut recipients = store.alert_roster(org.id, alert_id).await?;
            recipients.sort_by_key(|r| (r.answered_at.is_none(), r.answered_at));
            timeline.push(TimelineEntry {
                at: alert.created_at,
                event: Event::AlarmSent {
                    recipients: recipients.len(),
                },
            });
            for r in &recipients {
                if let Some(at) = r.answered_at {
                    timeline.push(TimelineEntry {
                        at,
                        event: Event::Answered {
                            person: r.person_id,
                            answer: r.answer.clone().unwrap_or_default(),
                        },
                    });
                }
            }
            let answers: Vec<DateTime<Utc>> =
                recipients.iter().filter_map(|r| r.answered_at).collect();
            Some(AlarmAnswers {
                sent_at: alert.created_at,
                median_seconds: median_seconds(alert.created_at, &answers),
                recipients,
            })
        }
        None => None,
    };
    for task in &tasks {
        if let Some(at) = task.done_at {
            timeline.push(TimelineEntry {
                at,
                event: Event::TaskDone {
                    text: task.text.clone(),
                    by: task.done_by,
                },
            });
        }
    }
    for holder in &roles {
        timeline.push(TimelineEntry {
            at: holder.since,
            event: Event::RoleTaken {
                role: holder.role,
                person: holder.person,
            },
        });
    }
    let in_picture: Vec<&LogEntry> = log.iter().filter(|e| e.in_picture()).collect();
    for entry in &in_picture {
        let event = match &entry.body {
            EntryBody::Decision { what, who, .. } => Event::Decision {
                what: what.clone(),
                who: who.clone(),
            },
            EntryBody::Report { .. } => Event::Report {
                by: entry.written_by,
            },
        };
        let at = match &entry.body {
            EntryBody::Decision { decided_at, .. } => *decided_at,
            EntryBody::Report { .. } => entry.written_at,
        };
        timeline.push(TimelineEntry { at, event });
    }
    // The state each service was in when the incident opened is the first entry of its
    // history; only changes while it ran are events.
    for change in history
        .iter()
        .filter(|c| c.at > incident.opened_at && c.at <= until)
    {
        timeline.push(TimelineEntry {
            at: change.at,
            event: Event::ServiceChanged {
                service: change.name.clone(),
                state: change.state,
            },
        });
    }
    if let Some(closed) = incident.closed_at {
        timeline.push(TimelineEntry {
            at: closed,
            event: Event::Closed,
        });
    }
    // Stable: what happened in the same second stays in the order above.
    timeline.sort_by_key(|e| e.at);
    let late_tasks = tasks
        .iter()
        .filter(|t| t.was_late() || (t.done_at.is_none() && t.due_at < until))
        .cloned()
        .collect();
    Ok(AfterAction {
        priority_calls: store.priority_calls_summary(org.id, id).await?,
        names: crate::alerts::names(store, org.id).await?,
        timeline,
        decisions: in_picture
            .iter()
            .filter(|e| matches!(e.body, EntryBody::Decision { .. }))
            .map(|e| (*e).clone())
            .collect(),
        reports: in_picture
            .iter()
            .filter(|e| matches!(e.body, EntryBody::Report { .. }))
            .map(|e| (*e).clone())
            .collect(),
        alarm,
        late_tasks,
        tasks_total: tasks.len(),
        tasks_done: tasks.iter().filter(|t| t.done_at.is_some()).count(),
        downtime: downtime(&history, incident.opened_at, until),
        until,
        incident,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn the_median_answer_time_is_the_middle_one() {
        let sent = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).single().unwrap();
        let at = |s: i64| sent + Duration::seconds(s);
        assert_eq!(median_seconds(sent, &[]), None);
        assert_eq!(median_seconds(sent, &[at(300), at(60), at(120)]), Some(120));
        assert_eq!(median_seconds(sent, &[at(60), at(120)]), Some(90));
    }
}
