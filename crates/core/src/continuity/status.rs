//! The public status page's own words: the other ways to reach the organisation when its
//! telephony, email or e-services are down — a reserve number, a visiting address, opening
//! hours and a note. They are public (anyone reads the page), so they are journaled whole.

use crate::contacts::dialable;
use crate::domain::Region;
use crate::error::{FieldErrors, Problem};
use crate::text::{check, Lines, TextProblem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest address or opening hours.
pub const MAX_LINE_CHARS: usize = 200;
/// The longest note.
pub const MAX_NOTE_CHARS: usize = 1000;

/// The ways to get in touch shown first on the status page; each may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicContacts {
    /// E.164 (`+46…`), or a short number as dialled.
    pub phone: Option<String>,
    pub address: Option<String>,
    pub opening_hours: Option<String>,
    pub note: Option<String>,
}

impl PublicContacts {
    pub fn is_empty(&self) -> bool {
        self == &PublicContacts::default()
    }
}

/// The ways to get in touch as typed; an empty field leaves it out.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicContactsInput {
    #[serde(default)]
    #[schema(max_length = 40)]
    pub phone: String,
    #[serde(default)]
    #[schema(max_length = 200, format = "one-line-text-or-empty")]
    pub address: String,
    #[serde(default)]
    #[schema(max_length = 200, format = "one-line-text-or-empty")]
    pub opening_hours: String,
    #[serde(default)]
    #[schema(max_length = 1000, format = "many-lines-text-or-empty")]
    pub note: String,
}

impl PublicContactsInput {
    /// Each field checked; a number read as the organisation's region's when it has no
    /// country code.
    pub fn validate(&self, region: Region) -> Result<PublicContacts, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut text =
            |field: &str, value: &str, max: usize, lines: Lines| match check(value, max, lines) {
                Ok(v) => Some(v),
                Err(TextProblem::Empty) => None,
                Err(e) => {
                    errors.add(field, e);
                    None
                }
            };
        let address = text("address", &self.address, MAX_LINE_CHARS, Lines::One);
        let opening_hours = text(
            "opening_hours",
            &self.opening_hours,
            MAX_LINE_CHARS,
            Lines::One,
        );
        let note = text("note", &self.note, MAX_NOTE_CHARS, Lines::Many);
        let phone = match self.phone.trim() {
            "" => None,
            typed => match dialable(typed, region) {
                Ok(number) => Some(number),
                Err(e) => {
                    errors.add("phone", Problem::from(e));
                    None
                }
            },
        };
        errors.into_result()?;
        Ok(PublicContacts {
            phone,
            address,
            opening_hours,
            note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_is_checked_and_an_empty_one_left_out() {
        let ok = PublicContactsInput {
            phone: "0480-45 00 00".into(),
            address: " Stadshuset, Storgatan 1 ".into(),
            opening_hours: String::new(),
            note: "Lämna meddelanden i receptionen.\nVi ringer upp.".into(),
        }
        .validate(Region::Se)
        .unwrap();
        assert_eq!(ok.phone.as_deref(), Some("+46480450000"));
        assert_eq!(ok.address.as_deref(), Some("Stadshuset, Storgatan 1"));
        assert_eq!(ok.opening_hours, None);
        let refused = PublicContactsInput {
            phone: "12".into(),
            opening_hours: "8–16\nlör stängt".into(),
            ..Default::default()
        }
        .validate(Region::Se)
        .unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["opening_hours", "phone"]);
        assert!(PublicContactsInput::default()
            .validate(Region::Se)
            .unwrap()
            .is_empty());
    }
}
