//! On-call rotations as people use them: the schedule ahead, and an iCalendar feed a
//! calendar app can subscribe to.

use beredskap_core::register::Position;
use beredskap_core::rotation::{shifts, Override, Rotation, Shift};
use beredskap_core::PersonId;
use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, EventLike};
use std::collections::HashMap;

/// How far the calendar feed reaches: a week back, half a year ahead.
pub fn feed_window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (now - Duration::days(7), now + Duration::days(182))
}

/// The rotation as iCalendar: one event per shift, named "Position: Person".
pub fn ical(
    position: &Position,
    rotation: Option<&Rotation>,
    overrides: &[Override],
    names: &HashMap<PersonId, String>,
    now: DateTime<Utc>,
) -> String {
    let (from, until) = feed_window(now);
    let mut calendar = Calendar::new();
    calendar.name(&format!("Beredskap: {}", position.name));
    for shift in shifts(rotation, overrides, from, until) {
        calendar.push(event(position, &shift, names));
    }
    calendar.done().to_string()
}

fn event(
    position: &Position,
    shift: &Shift,
    names: &HashMap<PersonId, String>,
) -> icalendar::Event {
    let name = names
        .get(&shift.person_id)
        .cloned()
        .unwrap_or_else(|| shift.person_id.to_string());
    let mut e = icalendar::Event::new();
    e.uid(&format!(
        "{}-{}@beredskap",
        position.id,
        shift.start.timestamp()
    ))
    .summary(&format!("{}: {name}", position.name))
    .starts(shift.start)
    .ends(shift.end);
    if shift.by_override {
        e.description("Override");
    }
    e.done()
}
