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

/// Characters no field takes: control characters (but line breaks and tabs in a text of
/// many lines) and the invisible marks that reorder what is shown.
fn forbidden(c: char, lines: Lines) -> bool {
    let allowed_whitespace = lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
    (c.is_control() && !allowed_whitespace)
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Why a text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextProblem {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacters,
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
        checked => checked.map_err(|e| FieldError::new(field, e.to_string())),
    }
}

/// [`check`] for a field that must be filled in, naming the field.
pub fn required(
    field: &str,
    input: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    check(input, max_chars, lines).map_err(|e| FieldError::new(field, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_get_their_own_message_in_every_kind_of_field() {
        let control = |r: Result<String, FieldError>| r.unwrap_err().message;
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
