//! Text written into a CSV file that people open in a spreadsheet. A cell that begins with
//! `=`, `+`, `-` or `@` (or a tab or carriage return before one) is read by Excel and
//! LibreOffice as a formula, so a person named `=HYPERLINK(…)` or `=cmd|' /C calc'!A0`
//! would run code on the crisis lead's machine. Every CSV the project writes passes each
//! cell through [`safe_cell`].

use std::borrow::Cow;

/// The cell as text a spreadsheet shows and never evaluates: a dangerous first character
/// gets an apostrophe before it (OWASP's advice), which the spreadsheet hides.
pub fn safe_cell(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_kept() {
        assert_eq!(safe_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        for dangerous in ["+46 70", "-1+1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(safe_cell(dangerous).starts_with('\''), "{dangerous:?}");
        }
        for plain in [
            "Anna Berg",
            "",
            "46701234567",
            "2026-12-01T10:00:00Z",
            "a=b",
        ] {
            assert_eq!(safe_cell(plain), plain);
        }
    }
}
