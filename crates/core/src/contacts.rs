//! The contact directory's external contacts: suppliers, utilities, partner organisations,
//! the regional alarm centre — whom to call, on which number, and what for. The
//! organisation's own people are in the register; these are everyone else a crisis needs.
//!
//! They come from a CSV file (`beredskap import contacts`) that is the whole list: an
//! import replaces it, all or nothing. Columns, in any order, with a header row:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `name` | yes | whom to call: a person or a function ("SOS Alarm", "Telia driftstörning") |
//! | `organisation` | no | the organisation they belong to |
//! | `phone` | one of phone and email | the number to call |
//! | `email` | one of phone and email | the address to write to |
//! | `call_for` | yes | what to call them for ("fibre cut", "the home-care alarm system") |
//! | `category` | no | a heading to group by ("Leverantörer", "Myndigheter") |

use crate::domain::{EmailAddress, PhoneNumber, Region};
use crate::ids::OrgId;
use crate::import::{read_csv, ImportError, ImportErrors, MAX_REPORTED_ERRORS};
use crate::register::parse_name;
use crate::text::{check, Lines};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest "what to call them for".
pub const MAX_CALL_FOR_CHARS: usize = 500;
/// The most external contacts an organisation keeps.
pub const MAX_CONTACTS: usize = 5_000;

/// One external contact as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExternalContact {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub org_id: OrgId,
    #[serde(flatten)]
    pub contact: ContactDraft,
}

/// An external contact's fields, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactDraft {
    pub name: String,
    pub organisation: Option<String>,
    /// E.164 (`+46…`).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub call_for: String,
    pub category: Option<String>,
}

const KNOWN: [&str; 6] = [
    "name",
    "organisation",
    "phone",
    "email",
    "call_for",
    "category",
];

/// A number to call: international (E.164) when it is a full number, or the digits of a
/// short national service number (112, 113 13, 1177) as they are dialled.
pub fn dialable(input: &str, region: Region) -> Result<String, crate::domain::PhoneError> {
    if let Ok(number) = PhoneNumber::parse(input, region) {
        return Ok(number.as_str().to_owned());
    }
    let written_as_digits = input
        .trim()
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    match written_as_digits && (3..=8).contains(&digits.len()) && !digits.starts_with('0') {
        true => Ok(digits),
        false => PhoneNumber::parse(input, region).map(|n| n.as_str().to_owned()),
    }
}

/// One valid row with its line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub line: u64,
    pub contact: ContactDraft,
}

/// Parses the whole file. Either every row is valid, or every problem is returned (up to
/// 200) with its line and column, so nothing is applied from a bad file. Numbers without
/// a country code are read as the organisation's region's.
pub fn parse_contacts_csv(data: &[u8], region: Region) -> Result<Vec<ContactRow>, ImportErrors> {
    let file = read_csv(data, &KNOWN, &["name", "call_for"])?;
    if !file.has("phone") && !file.has("email") {
        return Err(ImportErrors(vec![ImportError {
            line: 1,
            column: Some("phone".into()),
            message: "a phone or an email column is needed".into(),
        }]));
    }
    let has_phone = file.has("phone");
    let headers = file.headers;
    let mut errors = file.errors;
    let mut rows = Vec::new();
    for (line, record) in file.rows {
        if errors.len() >= MAX_REPORTED_ERRORS {
            break;
        }
        let mut row_errors = Vec::new();
        let mut err = |column: &str, message: String| {
            row_errors.push(ImportError {
                line,
                column: Some(column.to_owned()),
                message,
            })
        };
        let mut contact = ContactDraft {
            name: String::new(),
            organisation: None,
            phone: None,
            email: None,
            call_for: String::new(),
            category: None,
        };
        for (column, value) in headers.iter().zip(record.iter()) {
            let optional_name = |value: &str| match value {
                "" => Ok(None),
                v => parse_name(v).map(Some),
            };
            match column {
                "name" => match parse_name(value) {
                    Ok(n) => contact.name = n,
                    Err(e) => err(column, e.to_string()),
                },
                "organisation" => match optional_name(value) {
                    Ok(o) => contact.organisation = o,
                    Err(e) => err(column, e.to_string()),
                },
                "category" => match optional_name(value) {
                    Ok(c) => contact.category = c,
                    Err(e) => err(column, e.to_string()),
                },
                "phone" if !value.is_empty() => match dialable(value, region) {
                    Ok(p) => contact.phone = Some(p),
                    Err(e) => err(column, format!("{value:?} {e}")),
                },
                "email" if !value.is_empty() => match EmailAddress::parse(value) {
                    Ok(a) => contact.email = Some(a.as_str().to_owned()),
                    Err(e) => err(column, format!("{value:?} {e}")),
                },
                "call_for" => match check(value, MAX_CALL_FOR_CHARS, Lines::One) {
                    Ok(c) => contact.call_for = c,
                    Err(e) => err(column, e.to_string()),
                },
                _ => {}
            }
        }
        if contact.phone.is_none() && contact.email.is_none() {
            let column = if has_phone { "phone" } else { "email" };
            err(
                column,
                "a phone number or an email address is needed".into(),
            );
        }
        if row_errors.is_empty() {
            rows.push(ContactRow { line, contact });
        } else {
            errors.extend(row_errors);
        }
    }
    if rows.len() > MAX_CONTACTS {
        errors.push(ImportError {
            line: 0,
            column: None,
            message: format!("at most {MAX_CONTACTS} contacts"),
        });
    }
    match errors.is_empty() {
        true => Ok(rows),
        false => Err(ImportErrors(errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_is_read_with_numbers_made_international() {
        let csv = "name,organisation,phone,email,call_for,category\n\
                   SOS Alarm,,112,,livshotande läge,Myndigheter\n\
                   Driftstörning fiber,Telia,020-20 20 20,drift@telia.example,fiberavbrott,Leverantörer\n";
        let rows = parse_contacts_csv(csv.as_bytes(), Region::Se).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 3);
        let telia = &rows[1].contact;
        assert_eq!(telia.organisation.as_deref(), Some("Telia"));
        assert_eq!(telia.phone.as_deref(), Some("+4620202020"));
        assert_eq!(telia.category.as_deref(), Some("Leverantörer"));
        assert_eq!(
            rows[0].contact.phone.as_deref(),
            Some("112"),
            "a short number as dialled"
        );
        assert_eq!(dialable("113 13", Region::Se).as_deref(), Ok("11313"));
        assert!(dialable("0701", Region::Se).is_err());
    }

    #[test]
    fn every_problem_is_named_by_line_and_column_and_nothing_is_returned() {
        let csv = "name,phone,call_for\n\
                   ,070-1,fiber\n\
                   Telia,,\n";
        let errors = parse_contacts_csv(csv.as_bytes(), Region::Se)
            .unwrap_err()
            .0;
        let at: Vec<(u64, Option<&str>)> = errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert!(at.contains(&(2, Some("name"))), "{errors:?}");
        assert!(at.contains(&(2, Some("phone"))), "{errors:?}");
        assert!(at.contains(&(3, Some("call_for"))), "{errors:?}");
        assert!(at.contains(&(3, Some("phone"))), "{errors:?}");
        let unknown = parse_contacts_csv(b"name,fax,call_for\n", Region::Se).unwrap_err();
        assert_eq!(unknown.0[0].column.as_deref(), Some("fax"));
    }
}
