//! Reading a people CSV export from the organisation's directory.
//!
//! The file must have a header row. Columns, in any order:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `external_id` | yes | the person's id in the directory; matches re-imports |
//! | `name` | yes | full name |
//! | `title` | no | job title |
//! | `work_mobile`, `private_mobile` | no | phone numbers, become `sms` contact points |
//! | `work_email`, `private_email` | no | email addresses, become `email` contact points |
//! | `groups` | no | group slugs separated by `;`; the person's memberships become exactly these |
//!
//! Contact points are tried in the order their columns appear in the file.

use crate::domain::{EmailAddress, PhoneNumber, Region, Slug};
use crate::register::{parse_name, ContactKind, ContactLabel, ContactPoint, PersonDraft};
use serde::Serialize;
use std::collections::HashSet;

/// One valid row, with its line number in the file for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub line: u64,
    pub external_id: String,
    pub person: PersonDraft,
    /// `None` when the file has no `groups` column: memberships are then left alone.
    pub groups: Option<Vec<Slug>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default())]
pub struct ImportError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct ImportErrors(pub Vec<ImportError>);

/// What applying (or, with `--dry-run`, would applying) an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: Vec<ImportChange>,
    pub updated: Vec<ImportChange>,
    pub unchanged: usize,
    pub groups_created: Vec<Slug>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportChange {
    pub line: u64,
    pub external_id: String,
    pub name: String,
    /// For updates: which fields changed.
    pub fields: Vec<&'static str>,
}

const KNOWN: [&str; 8] = [
    "external_id",
    "name",
    "title",
    "work_mobile",
    "private_mobile",
    "work_email",
    "private_email",
    "groups",
];

pub(crate) const MAX_REPORTED_ERRORS: usize = 200;

/// A CSV file read against the columns its kind has: the header row checked (every column
/// known, none twice, the required ones there), then each row with its line number. Rows
/// the CSV reader could not read are in `errors`, so every problem is reported at once.
pub(crate) struct CsvFile {
    pub headers: csv::StringRecord,
    pub rows: Vec<(u64, csv::StringRecord)>,
    pub errors: Vec<ImportError>,
}

impl CsvFile {
    pub(crate) fn has(&self, column: &str) -> bool {
        self.headers.iter().any(|h| h == column)
    }
}

/// Reads `data` (a byte-order mark, as Excel writes, is skipped). A header problem is the
/// only one reported: no row can be read without its header.
pub(crate) fn read_csv(
    data: &[u8],
    known: &[&str],
    required: &[&str],
) -> Result<CsvFile, ImportErrors> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(data);
    let fail = |column: Option<&str>, message: String| {
        ImportErrors(vec![ImportError {
            line: 1,
            column: column.map(str::to_owned),
            message,
        }])
    };
    let headers = reader
        .headers()
        .map_err(|e| fail(None, format!("cannot read the header row: {e}")))?
        .clone();
    let mut seen = HashSet::new();
    for h in headers.iter() {
        if !known.contains(&h) {
            let known = known.join(", ");
            return Err(fail(
                Some(h),
                format!("unknown column; known columns are {known}"),
            ));
        }
        if !seen.insert(h) {
            return Err(fail(Some(h), "column appears twice".into()));
        }
    }
    for column in required {
        if !seen.contains(column) {
            return Err(fail(Some(column), "required column is missing".into()));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        if errors.len() >= MAX_REPORTED_ERRORS {
            break;
        }
        match record {
            Ok(r) => rows.push((r.position().map(|p| p.line()).unwrap_or(0), r)),
            Err(e) => errors.push(ImportError {
                line: e.position().map(|p| p.line()).unwrap_or(0),
                column: None,
                message: e.to_string(),
            }),
        }
    }
    Ok(CsvFile {
        headers,
        rows,
        errors,
    })
}

/// Parses the whole file. Either every row is valid, or every problem is returned
/// (up to 200) with its line and column, so nothing is applied from a bad file.
pub fn parse_people_csv(data: &[u8], region: Region) -> Result<Vec<ImportRow>, ImportErrors> {
    let file = read_csv(data, &KNOWN, &["external_id", "name"])?;
    let has_groups = file.has("groups");
    let headers = file.headers;
    let mut errors = file.errors;
    let mut rows = Vec::new();
    let mut ids = HashSet::new();
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
        let mut external_id = String::new();
        let mut name = String::new();
        let mut title = None;
        let mut contact_points = Vec::new();
        let mut groups = Vec::new();
        for (column, value) in headers.iter().zip(record.iter()) {
            match column {
                "external_id" if value.is_empty() => err(column, "must not be empty".into()),
                "external_id" => external_id = value.to_owned(),
                "name" => match parse_name(value) {
                    Ok(n) => name = n,
                    Err(e) => err(column, e.to_string()),
                },
                "title" if value.is_empty() => {}
                "title" => match parse_name(value) {
                    Ok(t) => title = Some(t),
                    Err(e) => err(column, e.to_string()),
                },
                "work_mobile" | "private_mobile" if !value.is_empty() => {
                    match PhoneNumber::parse(value, region) {
                        Ok(p) => contact_points.push(ContactPoint {
                            kind: ContactKind::Sms,
                            label: label_of(column),
                            value: p.as_str().to_owned(),
                            verified: false,
                        }),
                        Err(e) => err(column, format!("{value:?} {e}")),
                    }
                }
                "work_email" | "private_email" if !value.is_empty() => {
                    match EmailAddress::parse(value) {
                        Ok(a) => contact_points.push(ContactPoint {
                            kind: ContactKind::Email,
                            label: label_of(column),
                            value: a.as_str().to_owned(),
                            verified: false,
                        }),
                        Err(e) => err(column, format!("{value:?} {e}")),
                    }
                }
                "groups" => {
                    for g in value.split(';').map(str::trim).filter(|g| !g.is_empty()) {
                        match Slug::parse(g) {
                            Ok(s) if !groups.contains(&s) => groups.push(s),
                            Ok(_) => {}
                            Err(e) => err(column, format!("group {g:?} {e}")),
                        }
                    }
                }
                _ => {}
            }
        }
        if !external_id.is_empty() && !ids.insert(external_id.clone()) {
            err(
                "external_id",
                format!("{external_id:?} appears on an earlier line"),
            );
        }
        if row_errors.is_empty() {
            rows.push(ImportRow {
                line,
                external_id: external_id.clone(),
                person: PersonDraft {
                    external_id: Some(external_id),
                    name,
                    title,
                    active: true,
                    contact_points,
                },
                groups: has_groups.then_some(groups),
            });
        } else {
            errors.extend(row_errors);
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(ImportErrors(errors))
    }
}

fn label_of(column: &str) -> ContactLabel {
    if column.starts_with("private") {
        ContactLabel::Private
    } else {
        ContactLabel::Work
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_with_contact_points_in_column_order() {
        let csv = "external_id,name,private_mobile,work_email,groups\n\
                   1001,Anna Berg,070-123 45 67,anna@lillby.se,krisledning; it-jour\n\
                   1002,Bo Ek,,,\n";
        let rows = parse_people_csv(csv.as_bytes(), Region::Se).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        let cps = &rows[0].person.contact_points;
        assert_eq!(cps[0].value, "+46701234567");
        assert_eq!(cps[0].label, ContactLabel::Private);
        assert_eq!(cps[1].kind, ContactKind::Email);
        assert_eq!(rows[0].groups.as_ref().unwrap().len(), 2);
        assert_eq!(rows[1].groups, Some(vec![]));
    }

    #[test]
    fn every_bad_row_is_reported_by_line_and_column() {
        let csv =
            "external_id,name,work_mobile\n1,Anna,070-123 45 67\n2,Bo,12\n3,,0701234567\n1,Dup,\n";
        let errors = parse_people_csv(csv.as_bytes(), Region::Se).unwrap_err().0;
        let places: Vec<_> = errors
            .iter()
            .map(|e| (e.line, e.column.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            places,
            [
                (3, "work_mobile".to_string()),
                (4, "name".to_string()),
                (5, "external_id".to_string())
            ]
        );
        assert!(errors[0]
            .to_string()
            .starts_with("line 3, column work_mobile:"));
    }

    #[test]
    fn unknown_and_missing_columns_are_refused() {
        let e = parse_people_csv(b"external_id,name,fax\n", Region::Se).unwrap_err();
        assert_eq!(e.0[0].column.as_deref(), Some("fax"));
        let e = parse_people_csv(b"name\nAnna\n", Region::Se).unwrap_err();
        assert_eq!(e.0[0].column.as_deref(), Some("external_id"));
    }

    #[test]
    fn a_ragged_row_is_an_error() {
        let e = parse_people_csv(b"external_id,name\n1,Anna,extra\n", Region::Se).unwrap_err();
        assert_eq!(e.0[0].line, 2);
    }
}
