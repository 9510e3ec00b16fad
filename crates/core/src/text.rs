//! One rule for every text field a person types: trimmed, within its length, and free of
//! control characters, which a phone or mail reader would act on or hide (a carriage
//! return that starts a new SMS line, an escape sequence, a right-to-left override that
//! makes `exe.pdf` of `fdp.exe`). Each problem has its own message, naming the field.

use crate::error::FieldError;

/// Whether a field may hold several lines (a message) or only one (a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// The `format` an API schema gives a typed field of one line (`#[schema(format =
/// "one-line-text")]`); the OpenAPI document replaces it with [`schema_pattern`]'s pattern.
pub const ONE_LINE_FORMAT: &str = "one-line-text";
/// As [`ONE_LINE_FORMAT`] for a text of many lines.
pub const MANY_LINES_FORMAT: &str = "many-lines-text";
/// As [`ONE_LINE_FORMAT`] for a field that may be left empty ([`clean`]).
pub const ONE_LINE_OR_EMPTY_FORMAT: &str = "one-line-text-or-empty";
/// As [`MANY_LINES_FORMAT`] for a field that may be left empty.
pub const MANY_LINES_OR_EMPTY_FORMAT: &str = "many-lines-text-or-empty";

/// What [`check`] (or [`clean`], for the `-or-empty` formats) lets through for a field of
/// at most `max_chars` characters, as a JSON Schema (ECMA-262) pattern, exactly: white
/// space around it is trimmed, and what is left is within the length, free of every
/// character [`forbidden`] refuses and, unless the field may be empty, not empty.
pub fn schema_pattern(format: &str, max_chars: usize) -> Option<String> {
    const MARKS: &str = r"\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069";
    const ONE: &str = r"\u0000-\u001f";
    // Tab, line feed and carriage return are allowed inside a text of many lines.
    const MANY: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f";
    // What `str::trim` removes: Unicode White_Space, spelled out (ECMA's \s differs).
    const SPACE: &str =
        r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
    let (controls, may_be_empty) = match format {
        ONE_LINE_FORMAT => (ONE, false),
        MANY_LINES_FORMAT => (MANY, false),
        ONE_LINE_OR_EMPTY_FORMAT => (ONE, true),
        MANY_LINES_OR_EMPTY_FORMAT => (MANY, true),
        _ => return None,
    };
    let inner = max_chars.checked_sub(2)?;
    let edge = format!("[^{controls}{MARKS}{SPACE}]");
    let text = format!("{edge}(?:[^{controls}{MARKS}]{{0,{inner}}}{edge})?");
    let optional = if may_be_empty { "?" } else { "" };
    Some(format!("^[{SPACE}]*(?:{text}){optional}[{SPACE}]*$"))
}

/// Characters no field takes: control characters (but line breaks and tabs in a text of
/// many lines) and the invisible marks that reorder what is shown.
fn forbidden(c: char, lines: Lines) -> bool {
    let allowed_whitespace = lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
    (c.is_control() && !allowed_whitespace)
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Why a text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::Problem::from(self.clone()))]
pub enum TextProblem {
    Empty,
    TooLong { max: usize },
    ControlCharacters,
}

impl From<TextProblem> for crate::Problem {
    fn from(e: TextProblem) -> Self {
        match e {
            TextProblem::Empty => crate::Problem::Empty,
            TextProblem::TooLong { max } => crate::Problem::TooLong { max },
            TextProblem::ControlCharacters => crate::Problem::ControlCharacters,
        }
    }
}

/// The text, trimmed, with line breaks as `\n`, and not empty; or why it is refused.
pub fn check(input: &str, max_chars: usize, lines: Lines) -> Result<String, TextProblem> {
    let text = input.trim();
    if text.is_empty() {
        return Err(TextProblem::Empty);
    }
    if text.chars().any(|c| forbidden(c, lines)) {
        return Err(TextProblem::ControlCharacters);
    }
    if text.chars().count() > max_chars {
        return Err(TextProblem::TooLong { max: max_chars });
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// [`check`] for a field that may be left empty, naming the field.
pub fn clean(
    field: &str,
    input: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    match check(input, max_chars, lines) {
        Err(TextProblem::Empty) => Ok(String::new()),
        checked => checked.map_err(|e| FieldError::new(field, e)),
    }
}

/// [`check`] for a field that must be filled in, naming the field.
pub fn required(
    field: &str,
    input: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    check(input, max_chars, lines).map_err(|e| FieldError::new(field, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_patterns_accept_what_the_check_accepts() {
        let samples = [
            "Anna Berg",
            "  Ålesund  ",
            "",
            "   ",
            "\u{3000}",
            "rad ett\nrad två",
            "\tindrag",
            "Anna\u{7}Berg",
            "exe\u{202E}fdp.pdf",
            "\u{85}",
            "ok\u{200F}",
            "\u{85}Anna\u{2028}",
            "\u{feff}",
            "exactly 12 c",
            "thirteen char",
            "   exactly 12 c   ",
            "a",
        ];
        for (format, lines, optional) in [
            (ONE_LINE_FORMAT, Lines::One, false),
            (MANY_LINES_FORMAT, Lines::Many, false),
            (ONE_LINE_OR_EMPTY_FORMAT, Lines::One, true),
            (MANY_LINES_OR_EMPTY_FORMAT, Lines::Many, true),
        ] {
            let pattern = schema_pattern(format, 12).unwrap();
            // The regex crate reads \uXXXX and \s as ECMA-262 does for these characters.
            let re = regex::Regex::new(&pattern).unwrap();
            for sample in samples {
                let accepted = match optional {
                    true => clean("f", sample, 12, lines).is_ok(),
                    false => check(sample, 12, lines).is_ok(),
                };
                assert_eq!(re.is_match(sample), accepted, "{format} {sample:?}");
            }
        }
    }

    #[test]
    fn control_characters_get_their_own_message_in_every_kind_of_field() {
        let control = |r: Result<String, FieldError>| r.unwrap_err().problem.to_string();
        assert_eq!(
            control(clean("name", "Anna\u{7}Berg", 200, Lines::One)),
            "must not contain control characters"
        );
        assert_eq!(
            control(clean("name", "Anna\nBerg", 200, Lines::One)),
            "must not contain control characters"
        );
        assert_eq!(
            control(clean("message", "Kom in\u{1b}[2J", 500, Lines::Many)),
            "must not contain control characters"
        );
        assert_eq!(
            control(clean("message", "fil\u{202E}fdp.exe", 500, Lines::Many)),
            "must not contain control characters"
        );
        assert_eq!(
            clean("message", " Rad ett\r\nrad två\ttabb ", 500, Lines::Many).unwrap(),
            "Rad ett\nrad två\ttabb"
        );
        assert_eq!(
            control(clean("name", &"å".repeat(201), 200, Lines::One)),
            "must be at most 200 characters"
        );
        assert_eq!(
            control(required("name", "  ", 200, Lines::One)),
            "must not be empty"
        );
    }
}
