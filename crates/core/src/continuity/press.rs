//! Press releases: written from a template that fills in what Beredskap knows (what is
//! affected, the ways to reach the organisation, the latest notice, where to read more),
//! edited by the communicator, then published on the status page and in its feeds. Public
//! once published, so journaled whole; one from an exercise is marked as such.

use crate::error::{FieldErrors, Problem};
use crate::ids::{IncidentId, OrgId, PersonId, PressReleaseId};
use crate::journal::Actor;
use crate::store::StoreResult;
use crate::text::{check, Lines};
use beredskap_i18n::Lang;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest title.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest text.
pub const MAX_BODY_CHARS: usize = 10_000;
/// How many press releases the status page and its feeds show, newest first.
pub const SHOWN: usize = 10;

/// A published press release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PressRelease {
    pub id: PressReleaseId,
    #[serde(skip)]
    pub org_id: OrgId,
    pub incident_id: Option<IncidentId>,
    /// Published from an exercise: marked as such wherever it is shown.
    pub exercise: bool,
    /// The language it is written in.
    pub lang: String,
    pub title: String,
    pub body: String,
    pub published_at: DateTime<Utc>,
    #[serde(skip)]
    pub by: Option<PersonId>,
}

/// A press release as sent (and the template, filled in, as offered).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PressReleaseInput {
    /// Published from this incident: marked as an exercise when the incident is one.
    #[serde(default)]
    pub incident: Option<IncidentId>,
    #[schema(example = "sv", pattern = "^(sv|da|nb|en)$")]
    pub lang: String,
    #[schema(max_length = 200, format = "one-line-text")]
    pub title: String,
    #[schema(max_length = 10000, format = "many-lines-text")]
    pub body: String,
}

/// A press release, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPressRelease {
    pub incident_id: Option<IncidentId>,
    pub exercise: bool,
    pub lang: String,
    pub title: String,
    pub body: String,
}

impl PressReleaseInput {
    /// Checks the language, the title and the text; `exercise` is the incident's.
    pub fn validate(&self, exercise: bool) -> Result<NewPressRelease, FieldErrors> {
        let mut errors = FieldErrors::new();
        let lang = Lang::from_code(self.lang.trim()).map(|l| l.code().to_owned());
        if lang.is_none() {
            errors.add("lang", Problem::NotALanguage);
        }
        let title = check(&self.title, MAX_TITLE_CHARS, Lines::One)
            .map_err(|e| errors.add("title", e))
            .ok();
        let body = check(&self.body, MAX_BODY_CHARS, Lines::Many)
            .map_err(|e| errors.add("body", e))
            .ok();
        errors.into_result()?;
        Ok(NewPressRelease {
            incident_id: self.incident,
            exercise,
            lang: lang.unwrap_or_default(),
            title: title.unwrap_or_default(),
            body: body.unwrap_or_default(),
        })
    }
}

#[async_trait::async_trait]
pub trait PressReleaseStore: Send + Sync {
    /// The organisation's newest press releases, at most `limit`, newest first.
    async fn press_releases(&self, org: OrgId, limit: usize) -> StoreResult<Vec<PressRelease>>;
    /// Publishes one, journaled whole (it is public). `NotFound` for an incident not the
    /// organisation's.
    async fn publish_press_release(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewPressRelease,
        by: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> StoreResult<PressRelease>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_press_release_needs_a_language_a_title_and_a_text() {
        let ok = PressReleaseInput {
            incident: None,
            lang: "sv".into(),
            title: " Telefonin till stadshuset ligger nere ".into(),
            body: "Lillby kommun, 2 december\n\nKommunens växel går inte att nå.".into(),
        }
        .validate(true)
        .unwrap();
        assert_eq!(ok.title, "Telefonin till stadshuset ligger nere");
        assert!(ok.exercise && ok.body.contains('\n'));
        let refused = PressReleaseInput {
            lang: "xx".into(),
            title: "En\nrubrik".into(),
            ..Default::default()
        }
        .validate(false)
        .unwrap_err();
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["lang", "title", "body"]);
    }
}
