//! A form's problems, all at once: each beside its input (`{input}-error`, `aria-invalid`,
//! `aria-describedby`) and in a summary at the top that links to the input
//! (`form_problems.html`), in the reader's language, with what was typed kept by the page.

use beredskap_core::FieldErrors;
use beredskap_i18n::Lang;

/// One problem as the person reads it.
pub struct FieldMessage {
    /// The form input it belongs to (its id), which the summary links to.
    pub input: String,
    /// The input's label, for the summary.
    pub label: String,
    pub text: String,
}

/// Every problem of a submitted form; empty when it is first shown.
#[derive(Default)]
pub struct FormProblems(pub Vec<FieldMessage>);

impl FormProblems {
    /// `place` says which input a field belongs to and what its label reads; problems are
    /// listed in the form's `order` of inputs.
    pub fn new<I: Into<String>>(
        errors: &FieldErrors,
        lang: Lang,
        place: impl Fn(&str) -> (I, String),
        order: &[&str],
    ) -> Self {
        let mut shown: Vec<FieldMessage> = errors
            .0
            .iter()
            .map(|e| {
                let (input, label) = place(&e.field);
                FieldMessage {
                    input: input.into(),
                    label,
                    text: e.problem.text(lang),
                }
            })
            .collect();
        shown.sort_by_key(|m| order.iter().position(|i| *i == m.input.as_str()));
        Self(shown)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The page's status: 422 when it shows problems.
    pub fn status(&self) -> axum::http::StatusCode {
        match self.is_empty() {
            true => axum::http::StatusCode::OK,
            false => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldMessage> {
        self.0.iter()
    }

    /// The problems of one input, joined; empty if it has none.
    pub fn error(&self, input: &str) -> String {
        self.0
            .iter()
            .filter(|e| e.input == input)
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `aria-describedby` for an input: its hint (if any), and its error when it has one.
    pub fn described_by(&self, input: &str, hint: &str) -> String {
        let error = match self.error(input).is_empty() {
            true => String::new(),
            false => format!("{input}-error"),
        };
        [hint, error.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A form's fields in the order sent; a name may come more than once (check boxes).
pub type Fields = Vec<(String, String)>;

/// The first value sent for `name`, or empty.
pub fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The accounts chosen by the check boxes named `member`; one that is not an id is a
/// problem on `members`.
pub fn chosen_members(
    fields: &[(String, String)],
    problems: &mut FieldErrors,
) -> Vec<beredskap_core::AccountId> {
    fields
        .iter()
        .filter(|(k, _)| k == "member")
        .filter_map(|(_, v)| {
            problems.check(
                "members",
                v.parse()
                    .map(beredskap_core::AccountId)
                    .map_err(|_| beredskap_core::Problem::UnknownAccount),
            )
        })
        .collect()
}
