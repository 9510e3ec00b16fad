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

/// The field's text, trimmed, with line breaks as `\n`; or why it is refused. An empty
/// text is allowed here: whether a field is required is the caller's rule.
pub fn clean(
    field: &str,
    input: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    let text = input.trim();
    if text.chars().any(|c| forbidden(c, lines)) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    if text.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// Like [`clean`], and not empty.
pub fn required(
    field: &str,
    input: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    let text = clean(field, input, max_chars, lines)?;
    if text.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(text)
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
