//! What is wrong with an input, as codes with values, never as sentences: the words are
//! the text catalogue's (`error-<code>` in `crates/i18n/locales/*/errors.ftl`), in the
//! reader's language on pages and English in the API, beside the code.

use beredskap_i18n::{Lang, Value};
use serde::ser::SerializeMap;
use serde::Serialize;

/// What is wrong with one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    // Text.
    Empty,
    TooLong {
        max: usize,
    },
    ControlCharacters,
    OneLine,
    // Form values.
    Missing,
    NotANumber,
    Range {
        min: i64,
        max: i64,
    },
    NotADate,
    InThePast,
    TooFarAhead {
        days: i64,
    },
    /// A time that has to have happened already.
    InTheFuture,
    /// A time further back than allowed.
    TooLongAgo {
        days: i64,
    },
    BeforeStart,
    SpanTooLong {
        days: i64,
    },
    /// The allowed values, as the codes they are typed as (`resolved, cancelled`).
    OneOf {
        choices: String,
    },
    /// Unreadable as sent (a JSON body): the parser's own technical detail, for developers.
    Malformed {
        detail: String,
    },
    /// Refused by something outside Beredskap (a provider, the browser's passkey): its
    /// reason, for the operator.
    Rejected {
        detail: String,
    },
    // Formats.
    SlugLength,
    SlugStart,
    SlugCharacters,
    NotAnEmail,
    NotAPhoneNumber,
    PhoneForCountry,
    NotARegion,
    NotATimeZone,
    NotALanguage,
    NotAscii {
        max: usize,
    },
    NotAnEmoji,
    /// A PIN is 6 to 12 digits.
    PinDigits,
    NotUtf8,
    NotJson,
    NotAPushAddress,
    FileEmpty,
    FileTooLarge {
        mb: u32,
    },
    FileType,
    // References.
    UnknownPerson,
    UnknownGroup,
    UnknownPosition,
    UnknownService,
    UnknownAccount,
    UnknownMessage,
    /// A name typed in the form matched nobody, or more than one person.
    NotInRegister {
        name: String,
    },
    /// No external contact in the directory has the name.
    UnknownContact {
        name: String,
    },
    Duplicate,
    // Counts.
    TooMany {
        max: usize,
    },
    Count {
        min: usize,
        max: usize,
    },
    Answers {
        max: usize,
    },
    NoRecipients,
    NoScope,
    GroupRequired,
    AnswerRequired,
    // Conflicts and states.
    Taken,
    UsedByAnotherPerson,
    HasAccount,
    OtherOrgsNumber,
    AlreadyRegistered,
    KeyReused,
    Deleted,
    NotAnAnnouncement,
    AlreadyRedacted,
    Closed,
    ConflictsWithExisting,
    /// Changed by someone else since it was opened.
    Changed,
    Expired,
    AlreadyUsed,
    NotRedactable,
    NotYourUpload,
    Unreachable,
    /// An account needs a mobile number or a private email address for its activation link.
    NeedsPrivateChannel,
    /// Only a guest's account is invited to an incident: members see every incident.
    NotAGuest,
    /// A time window is for planned maintenance only, not for a disruption.
    OnlyForMaintenance,
    /// A template's line asking for text is still there, unanswered.
    PlaceholderLeft,
    /// Too many of these at once for now: try again later.
    TryLater,
    /// An announcement to a channel where nobody else has an account: it would reach nobody.
    NoAudience,
}

impl Problem {
    /// The code errors travel with (the catalogue's message is `error-` and the code with
    /// `_` as `-`).
    pub fn code(&self) -> &'static str {
        use Problem::*;
        match self {
            Empty => "empty",
            TooLong { .. } => "too_long",
            ControlCharacters => "control_characters",
            OneLine => "one_line",
            Missing => "missing",
            NotANumber => "not_a_number",
            Range { .. } => "range",
            NotADate => "not_a_date",
            InThePast => "in_the_past",
            TooFarAhead { .. } => "too_far_ahead",
            InTheFuture => "in_the_future",
            TooLongAgo { .. } => "too_long_ago",
            BeforeStart => "before_start",
            SpanTooLong { .. } => "span_too_long",
            OneOf { .. } => "one_of",
            Malformed { .. } => "malformed",
            Rejected { .. } => "rejected",
            SlugLength => "slug_length",
            SlugStart => "slug_start",
            SlugCharacters => "slug_characters",
            NotAnEmail => "not_an_email",
            NotAPhoneNumber => "not_a_phone_number",
            PhoneForCountry => "phone_for_country",
            NotARegion => "not_a_region",
            NotATimeZone => "not_a_time_zone",
            NotALanguage => "not_a_language",
            NotAscii { .. } => "not_ascii",
            NotAnEmoji => "not_an_emoji",
            PinDigits => "pin_digits",
            NotUtf8 => "not_utf8",
            NotJson => "not_json",
            NotAPushAddress => "not_a_push_address",
            FileEmpty => "file_empty",
            FileTooLarge { .. } => "file_too_large",
            FileType => "file_type",
            UnknownPerson => "unknown_person",
            UnknownGroup => "unknown_group",
            UnknownPosition => "unknown_position",
            UnknownService => "unknown_service",
            UnknownContact { .. } => "unknown_contact",
            UnknownAccount => "unknown_account",
            UnknownMessage => "unknown_message",
            NotInRegister { .. } => "not_in_register",
            Duplicate => "duplicate",
            TooMany { .. } => "too_many",
            Count { .. } => "count",
            Answers { .. } => "answers",
            NoRecipients => "no_recipients",
            NoScope => "no_scope",
            GroupRequired => "group_required",
            AnswerRequired => "answer_required",
            Taken => "taken",
            UsedByAnotherPerson => "used_by_another_person",
            HasAccount => "has_account",
            OtherOrgsNumber => "other_orgs_number",
            AlreadyRegistered => "already_registered",
            KeyReused => "key_reused",
            Deleted => "deleted",
            NotAnAnnouncement => "not_an_announcement",
            AlreadyRedacted => "already_redacted",
            Closed => "closed",
            ConflictsWithExisting => "conflicts_with_existing",
            Changed => "changed",
            Expired => "expired",
            AlreadyUsed => "already_used",
            NotRedactable => "not_redactable",
            NotYourUpload => "not_your_upload",
            Unreachable => "unreachable",
            NeedsPrivateChannel => "needs_private_channel",
            NotAGuest => "not_a_guest",
            OnlyForMaintenance => "only_for_maintenance",
            PlaceholderLeft => "placeholder_left",
            TryLater => "try_later",
            NoAudience => "no_audience",
        }
    }

    /// The values the sentence needs, by placeholder name.
    pub fn args(&self) -> Vec<(&'static str, Value<'static>)> {
        use Problem::*;
        let n = |v: usize| Value::from(v);
        match self {
            TooLong { max } | NotAscii { max } | TooMany { max } | Answers { max } => {
                vec![("max", n(*max))]
            }
            Range { min, max } => vec![("min", (*min).into()), ("max", (*max).into())],
            Count { min, max } => vec![("min", n(*min)), ("max", n(*max))],
            TooFarAhead { days } | SpanTooLong { days } | TooLongAgo { days } => {
                vec![("days", (*days).into())]
            }
            FileTooLarge { mb } => vec![("mb", (*mb).into())],
            OneOf { choices } => vec![("choices", choices.clone().into())],
            Malformed { detail } | Rejected { detail } => vec![("detail", detail.clone().into())],
            NotInRegister { name } | UnknownContact { name } => vec![("name", name.clone().into())],
            _ => Vec::new(),
        }
    }

    /// The catalogue's message id.
    pub fn message_id(&self) -> String {
        format!("error-{}", self.code().replace('_', "-"))
    }

    /// The sentence in a language.
    pub fn text(&self, lang: Lang) -> String {
        lang.format(&self.message_id(), &self.args())
    }

    /// One of every problem, with values, for the test that the catalogue has them all.
    /// The match has no wildcard: a new problem does not compile until it is listed.
    pub fn samples() -> Vec<Problem> {
        use Problem::*;
        let all = vec![
            Empty,
            TooLong { max: 200 },
            ControlCharacters,
            OneLine,
            Missing,
            NotANumber,
            Range { min: 0, max: 10 },
            NotADate,
            InThePast,
            TooFarAhead { days: 90 },
            InTheFuture,
            TooLongAgo { days: 30 },
            BeforeStart,
            SpanTooLong { days: 92 },
            OneOf {
                choices: "resolved, cancelled".into(),
            },
            Malformed {
                detail: "expected u32".into(),
            },
            Rejected {
                detail: "403 Forbidden".into(),
            },
            SlugLength,
            SlugStart,
            SlugCharacters,
            NotAnEmail,
            NotAPhoneNumber,
            PhoneForCountry,
            NotARegion,
            NotATimeZone,
            NotALanguage,
            NotAscii { max: 200 },
            NotAnEmoji,
            PinDigits,
            NotUtf8,
            NotJson,
            NotAPushAddress,
            FileEmpty,
            FileTooLarge { mb: 25 },
            FileType,
            UnknownPerson,
            UnknownGroup,
            UnknownPosition,
            UnknownService,
            UnknownAccount,
            UnknownMessage,
            NotInRegister {
                name: "Anna".into(),
            },
            UnknownContact {
                name: "SOS Alarm".into(),
            },
            Duplicate,
            TooMany { max: 20 },
            Count { min: 1, max: 10 },
            Answers { max: 6 },
            NoRecipients,
            NoScope,
            GroupRequired,
            AnswerRequired,
            Taken,
            UsedByAnotherPerson,
            HasAccount,
            OtherOrgsNumber,
            AlreadyRegistered,
            KeyReused,
            Deleted,
            NotAnAnnouncement,
            AlreadyRedacted,
            Closed,
            ConflictsWithExisting,
            Changed,
            Expired,
            AlreadyUsed,
            NotRedactable,
            NotYourUpload,
            Unreachable,
            NeedsPrivateChannel,
            NotAGuest,
            OnlyForMaintenance,
            PlaceholderLeft,
            TryLater,
            NoAudience,
        ];
        for p in &all {
            match p {
                Empty
                | TooLong { .. }
                | ControlCharacters
                | OneLine
                | Missing
                | NotANumber
                | Range { .. }
                | NotADate
                | InThePast
                | TooFarAhead { .. }
                | InTheFuture
                | TooLongAgo { .. }
                | BeforeStart
                | SpanTooLong { .. }
                | OneOf { .. }
                | Malformed { .. }
                | Rejected { .. }
                | SlugLength
                | SlugStart
                | SlugCharacters
                | NotAnEmail
                | NotAPhoneNumber
                | PhoneForCountry
                | NotARegion
                | NotATimeZone
                | NotALanguage
                | NotAscii { .. }
                | NotAnEmoji
                | PinDigits
                | NotUtf8
                | NotJson
                | NotAPushAddress
                | FileEmpty
                | FileTooLarge { .. }
                | FileType
                | UnknownPerson
                | UnknownGroup
                | UnknownPosition
                | UnknownService
                | UnknownAccount
                | UnknownMessage
                | NotInRegister { .. }
                | UnknownContact { .. }
                | Duplicate
                | TooMany { .. }
                | Count { .. }
                | Answers { .. }
                | NoRecipients
                | NoScope
                | GroupRequired
                | AnswerRequired
                | Taken
                | UsedByAnotherPerson
                | HasAccount
                | OtherOrgsNumber
                | AlreadyRegistered
                | KeyReused
                | Deleted
                | NotAnAnnouncement
                | AlreadyRedacted
                | Closed
                | ConflictsWithExisting
                | Changed
                | Expired
                | AlreadyUsed
                | NotRedactable
                | NotYourUpload
                | Unreachable
                | NeedsPrivateChannel
                | NotAGuest
                | OnlyForMaintenance
                | PlaceholderLeft
                | TryLater
                | NoAudience => {}
            }
        }
        all
    }
}

/// In English, from the catalogue: for the API's messages, logs and the command line.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::reference()))
    }
}

impl std::error::Error for Problem {}

/// One problem with one named input field, e.g. `contact_points[1].value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<Problem>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// `{"field", "code", "args": {…}, "message"}`: the code and values for programs, the
/// English sentence for people reading the response.
impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Args<'a>(&'a Problem);
        impl Serialize for Args<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let args = self.0.args();
                let mut map = serializer.serialize_map(Some(args.len()))?;
                for (name, value) in &args {
                    match value {
                        Value::Number(n) => map.serialize_entry(name, n)?,
                        Value::Text(t) => map.serialize_entry(name, t.as_ref())?,
                    }
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("field", &self.field)?;
        map.serialize_entry("code", self.problem.code())?;
        map.serialize_entry("args", &Args(&self.problem))?;
        map.serialize_entry("message", &self.problem.to_string())?;
        map.end()
    }
}

/// How [`FieldError`] looks in the API.
#[derive(utoipa::ToSchema)]
#[schema(as = FieldError)]
#[allow(dead_code)] // Only its schema is used.
pub struct FieldErrorSchema {
    /// The input field, e.g. `contact_points[1].value`.
    field: String,
    /// What is wrong, e.g. `too_long`.
    code: String,
    /// The values the message needs, e.g. `{"max": 200}`.
    #[schema(value_type = Object)]
    args: std::collections::BTreeMap<String, String>,
    /// The problem in English.
    message: String,
}

/// Every problem found in one input, so a person can fix them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, problem: impl Into<Problem>) -> Self {
        let mut errors = Self::new();
        errors.add(field, problem);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, problem: impl Into<Problem>) {
        self.0.push(FieldError::new(field, problem));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the parsed value, or records the error under `field` and returns `None`.
    pub fn check<T, E: Into<Problem>>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error);
                None
            }
        }
    }

    /// The same errors as fields of `parent` (`message` becomes `alert.message`), for an
    /// input that holds another.
    pub fn within(self, parent: &str) -> FieldErrors {
        FieldErrors(
            self.0
                .into_iter()
                .map(|e| FieldError::new(format!("{parent}.{}", e.field), e.problem))
                .collect(),
        )
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// In English: `field: problem; …`, for logs and the command line.
impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.problem))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_reads_in_every_language_with_its_values() {
        let samples = Problem::samples();
        let codes: std::collections::BTreeSet<&str> = samples.iter().map(Problem::code).collect();
        assert_eq!(codes.len(), samples.len(), "one sample per code");
        for lang in Lang::all() {
            for problem in &samples {
                assert!(
                    lang.has(&problem.message_id()),
                    "{} lacks {}",
                    lang.code(),
                    problem.message_id()
                );
                let text = problem.text(lang);
                assert!(!text.contains('{'), "{}: {text}", lang.code());
                for (name, value) in problem.args() {
                    let value = match value {
                        Value::Number(n) => n.to_string(),
                        Value::Text(t) => t.into_owned(),
                    };
                    assert!(
                        text.contains(&value),
                        "{} {}: ${name} is not shown: {text}",
                        lang.code(),
                        problem.code()
                    );
                }
            }
        }
    }

    #[test]
    fn a_field_error_travels_as_code_values_and_english() {
        let error = FieldError::new("repeats", Problem::Range { min: 0, max: 10 });
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"field": "repeats", "code": "range",
                "args": {"min": 0, "max": 10}, "message": "must be 0 to 10"})
        );
        let sv = Lang::parse("sv").unwrap();
        assert_eq!(error.problem.text(sv), "måste vara 0 till 10");
    }
}
