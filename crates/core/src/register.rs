//! The register: organisations, people and how to reach them, groups and positions,
//! and the accounts that can act in an organisation.

use crate::domain::{EmailAddress, PhoneNumber, Region, Slug, TimeZone};
use crate::error::FieldErrors;
use crate::ids::{AccountId, ApiTokenId, GroupId, OrgId, PersonId, PositionId};
use crate::Problem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_CONTACT_POINTS: usize = 20;

/// An organisation (tenant): a municipality, region, university or agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Org {
    pub id: OrgId,
    pub slug: Slug,
    pub name: String,
    /// Numbering plan for phone numbers written without a country code.
    pub region: Region,
    /// People who have not enrolled may sign in with a one-time code sent to a verified
    /// SMS number or private email address.
    pub fallback_sign_in: bool,
    /// Members and guests need a second factor too (administrators and crisis leads always).
    pub members_need_second_factor: bool,
    /// The labels a channel can carry, least restricted first (Öppen, Intern, Begränsad).
    pub classifications: Vec<String>,
    /// The organisation's own SMS number (E.164): its SMS are sent from it, and a reply to
    /// it answers this organisation's alerts only. None: the server's shared sender.
    pub sms_number: Option<String>,
    /// The time zone its pages and messages show times in; none: its region's.
    #[schema(value_type = Option<String>, example = "Europe/Stockholm")]
    pub time_zone: Option<TimeZone>,
    /// The language its people get until they choose their own, and its SMS and email go
    /// out in (`sv`, `da`, `nb`, `en`); none: its region's.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What an administrator decides for the organisation's sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettings {
    pub fallback_sign_in: bool,
    pub members_need_second_factor: bool,
    /// None: the region's.
    pub time_zone: Option<TimeZone>,
    /// A language code of the text catalogue; none: the region's.
    #[serde(default)]
    pub language: Option<String>,
}

impl Org {
    /// The time zone its times are shown in: its own, or its region's.
    pub fn zone(&self) -> TimeZone {
        self.time_zone.unwrap_or(self.region.time_zone())
    }

    pub fn settings(&self) -> OrgSettings {
        OrgSettings {
            fallback_sign_in: self.fallback_sign_in,
            members_need_second_factor: self.members_need_second_factor,
            time_zone: self.time_zone,
            language: self.language.clone(),
        }
    }

    /// The language its people get until they choose, and its messages go out in.
    pub fn language_code(&self) -> &str {
        self.language
            .as_deref()
            .unwrap_or(self.region.language_code())
    }

    /// Whether an account with `role` must sign in with a second factor here.
    pub fn needs_second_factor(&self, role: Role) -> bool {
        matches!(role, Role::Admin | Role::CrisisLead) || self.members_need_second_factor
    }
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub slug: Slug,
    pub name: String,
    pub region: Region,
}

impl NewOrg {
    pub fn parse(slug: &str, name: &str, region: Region) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let slug = errors.check("slug", Slug::parse(slug));
        let name = errors.check("name", parse_name(name));
        errors.into_result()?;
        match (slug, name) {
            (Some(slug), Some(name)) => Ok(Self { slug, name, region }),
            _ => Err(FieldErrors::single(
                "slug",
                Problem::Malformed {
                    detail: String::new(),
                },
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactKind {
    Sms,
    Voice,
    Email,
    Push,
}

impl ContactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Sms => "sms",
            ContactKind::Voice => "voice",
            ContactKind::Email => "email",
            ContactKind::Push => "push",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseEnumError> {
        match s {
            "sms" => Ok(Self::Sms),
            "voice" => Ok(Self::Voice),
            "email" => Ok(Self::Email),
            "push" => Ok(Self::Push),
            _ => Err(ParseEnumError("sms, voice, email, push")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactLabel {
    Work,
    Private,
}

impl ContactLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            ContactLabel::Work => "work",
            ContactLabel::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseEnumError> {
        match s {
            "work" => Ok(Self::Work),
            "private" => Ok(Self::Private),
            _ => Err(ParseEnumError("work, private")),
        }
    }
}

/// The values it may be, as they are typed: `admin, crisis_lead, member, guest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::Problem::from(self.clone()))]
pub struct ParseEnumError(pub &'static str);

impl From<ParseEnumError> for crate::Problem {
    fn from(e: ParseEnumError) -> Self {
        crate::Problem::OneOf {
            choices: e.0.to_owned(),
        }
    }
}

/// One way to reach a person. A person's contact points are tried in their order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactPoint {
    pub kind: ContactKind,
    pub label: ContactLabel,
    /// E.164 phone number for sms/voice, email address for email, endpoint URL for push.
    pub value: String,
    /// The person has confirmed that this contact point reaches them.
    pub verified: bool,
}

/// A contact point as submitted, before its value is parsed for its kind.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPointInput {
    pub kind: ContactKind,
    pub label: ContactLabel,
    pub value: String,
    #[serde(default)]
    pub verified: bool,
}

impl ContactPointInput {
    fn parse(self, region: Region, field: &str, errors: &mut FieldErrors) -> Option<ContactPoint> {
        let value = match self.kind {
            ContactKind::Sms | ContactKind::Voice => errors
                .check(field, PhoneNumber::parse(&self.value, region))
                .map(|p| p.as_str().to_owned()),
            ContactKind::Email => errors
                .check(field, EmailAddress::parse(&self.value))
                .map(|e| e.as_str().to_owned()),
            ContactKind::Push => match parse_push_target(&self.value) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.add(field, e);
                    None
                }
            },
        }?;
        Some(ContactPoint {
            kind: self.kind,
            label: self.label,
            value,
            verified: self.verified,
        })
    }
}

fn is_https_url(v: &str) -> bool {
    v.starts_with("https://") && v.len() <= 2000 && !v.contains(char::is_whitespace)
}

/// A push contact point: a UnifiedPush/ntfy endpoint URL, or a browser's Web Push
/// subscription as JSON (`{"endpoint": "https://…", "keys": {"p256dh": …, "auth": …}}`),
/// returned in one canonical form.
pub fn parse_push_target(value: &str) -> Result<String, crate::Problem> {
    let v = value.trim();
    if !v.starts_with('{') {
        return match is_https_url(v) {
            true => Ok(v.to_owned()),
            false => Err(crate::Problem::NotAPushAddress),
        };
    }
    let parsed: serde_json::Value =
        serde_json::from_str(v).map_err(|_| crate::Problem::NotAPushAddress)?;
    let text = |p: &str| {
        parsed
            .pointer(p)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
    };
    let (Some(endpoint), Some(p256dh), Some(auth)) =
        (text("/endpoint"), text("/keys/p256dh"), text("/keys/auth"))
    else {
        return Err(crate::Problem::NotAPushAddress);
    };
    // Browsers' push services are https; a local test service may be plain http.
    let endpoint_ok = is_https_url(&endpoint)
        || endpoint.starts_with("http://localhost:")
        || endpoint.starts_with("http://127.0.0.1:");
    let key_ok = |k: &str| {
        !k.is_empty()
            && k.len() <= 200
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '='))
    };
    if !endpoint_ok || !key_ok(&p256dh) || !key_ok(&auth) {
        return Err(crate::Problem::NotAPushAddress);
    }
    Ok(
        serde_json::json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
            .to_string(),
    )
}

/// A person in the register, with contact points in the order they should be tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub id: PersonId,
    pub org_id: OrgId,
    /// The id in the organisation's own directory, used to match imports.
    pub external_id: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub active: bool,
    pub contact_points: Vec<ContactPoint>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A person's fields as submitted through the API, before validation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    #[serde(default)]
    #[schema(max_length = 200, format = "one-line-text-or-empty")]
    pub external_id: Option<String>,
    #[schema(min_length = 1, max_length = 200, format = "one-line-text")]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 200, format = "one-line-text-or-empty")]
    pub title: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub contact_points: Vec<ContactPointInput>,
}

fn yes() -> bool {
    true
}

/// A validated person: everything a store needs to create or replace one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonDraft {
    pub external_id: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub active: bool,
    pub contact_points: Vec<ContactPoint>,
}

impl PersonInput {
    pub fn validate(self, region: Region) -> Result<PersonDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", parse_name(&self.name));
        let external_id = match self.external_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => {
                let lines = crate::text::Lines::One;
                match crate::text::clean("external_id", id, MAX_NAME_CHARS, lines) {
                    Ok(id) => Some(id),
                    Err(e) => {
                        errors.add("external_id", e.problem);
                        None
                    }
                }
            }
        };
        let title = match self.title.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => errors.check("title", parse_name(t)),
        };
        if self.contact_points.len() > MAX_CONTACT_POINTS {
            errors.add(
                "contact_points",
                Problem::TooMany {
                    max: MAX_CONTACT_POINTS,
                },
            );
        }
        let mut contact_points = Vec::new();
        for (i, cp) in self.contact_points.into_iter().enumerate() {
            let field = format!("contact_points[{i}].value");
            if let Some(cp) = cp.parse(region, &field, &mut errors) {
                if contact_points
                    .iter()
                    .any(|c: &ContactPoint| c.kind == cp.kind && c.value == cp.value)
                {
                    errors.add(field, Problem::Duplicate);
                } else {
                    contact_points.push(cp);
                }
            }
        }
        errors.into_result()?;
        Ok(PersonDraft {
            external_id,
            name: name.unwrap_or_default(),
            title,
            active: self.active,
            contact_points,
        })
    }
}

/// A named group of people, e.g. the crisis management group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Group {
    pub id: GroupId,
    pub org_id: OrgId,
    pub slug: Slug,
    pub name: String,
    pub members: Vec<PersonId>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub slug: Slug,
    #[schema(min_length = 1, max_length = 200, format = "one-line-text")]
    pub name: String,
}

/// A role such as "IT-beredskap" or "Stabschef", held by one person with deputies in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Position {
    pub id: PositionId,
    pub org_id: OrgId,
    pub slug: Slug,
    pub name: String,
    /// The holder first, then the deputies in the order they step in.
    pub holders: Vec<PersonId>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPosition {
    pub slug: Slug,
    #[schema(min_length = 1, max_length = 200, format = "one-line-text")]
    pub name: String,
}

/// What an account may do in its organisation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A person from a partner organisation: sees only what they are invited to.
    Guest,
    Member,
    CrisisLead,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::Member => "member",
            Role::CrisisLead => "crisis_lead",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseEnumError> {
        match s {
            "guest" => Ok(Role::Guest),
            "member" => Ok(Role::Member),
            "crisis_lead" => Ok(Role::CrisisLead),
            "admin" => Ok(Role::Admin),
            _ => Err(ParseEnumError("admin, crisis_lead, member, guest")),
        }
    }
}

/// Someone who can sign in to or call the API of one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub org_id: OrgId,
    pub person_id: PersonId,
    pub login: EmailAddress,
    pub role: Role,
    /// The language the person chose for the pages (`sv`, `da`, `en`), if any.
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What an API token may be used for. A call needs both the scope and the account's role:
/// a read-only token of an administrator cannot change anything.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read the register (people, groups, positions).
    Read,
    /// Change the register.
    Write,
    /// Accounts, sessions, tokens and the journal.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseEnumError> {
        match s {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            _ => Err(ParseEnumError("read, write, admin")),
        }
    }

    /// Parses a comma- or space-separated list (`read,write`) into a sorted set without
    /// repeats. An empty list is refused: a token that can do nothing is a mistake.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, ParseEnumError> {
        let mut scopes = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
            .map(Scope::parse)
            .collect::<Result<Vec<_>, _>>()?;
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(ParseEnumError("read, write, admin"));
        }
        Ok(scopes)
    }

    /// The stored form: names separated by spaces, as in OAuth.
    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// An API token's public half; the secret is only ever shown once, and stored hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub org_id: OrgId,
    pub account_id: AccountId,
    pub label: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What an authenticated API token stands for, with the account's organisation: read
/// together, so a request costs one read before its work.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub token: ApiToken,
    pub account: Account,
    pub org: Org,
}

/// A name, title or label: one line by the rule every text field follows
/// ([`crate::text`]).
pub fn parse_name(input: &str) -> Result<String, crate::text::TextProblem> {
    crate::text::check(input, MAX_NAME_CHARS, crate::text::Lines::One)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> PersonInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn person_errors_name_every_bad_field() {
        let err = input(serde_json::json!({
            "name": " ",
            "contact_points": [
                {"kind": "sms", "label": "work", "value": "070-123 45 67"},
                {"kind": "email", "label": "private", "value": "not-an-email"},
                {"kind": "sms", "label": "private", "value": "12"}
            ]
        }))
        .validate(Region::Se)
        .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "contact_points[1].value", "contact_points[2].value"]
        );
    }

    #[test]
    fn person_contact_points_are_normalised_in_order() {
        let draft = input(serde_json::json!({
            "name": "Anna Berg",
            "external_id": " 1001 ",
            "contact_points": [
                {"kind": "sms", "label": "work", "value": "070-123 45 67"},
                {"kind": "email", "label": "private", "value": "Anna@Example.org"}
            ]
        }))
        .validate(Region::Se)
        .unwrap();
        assert_eq!(draft.external_id.as_deref(), Some("1001"));
        assert_eq!(draft.contact_points[0].value, "+46701234567");
        assert_eq!(draft.contact_points[1].value, "anna@example.org");
        assert!(draft.active);
    }

    #[test]
    fn scope_lists_are_sorted_without_repeats_and_never_empty() {
        assert_eq!(
            Scope::parse_list("write, read write").unwrap(),
            [Scope::Read, Scope::Write]
        );
        assert_eq!(Scope::join(&[Scope::Read, Scope::Admin]), "read admin");
        assert!(Scope::parse_list(" , ").is_err());
        assert!(Scope::parse_list("read,delete").is_err());
    }

    #[test]
    fn the_same_contact_twice_is_refused() {
        let err = input(serde_json::json!({
            "name": "Anna",
            "contact_points": [
                {"kind": "sms", "label": "work", "value": "070-123 45 67"},
                {"kind": "sms", "label": "private", "value": "+46701234567"}
            ]
        }))
        .validate(Region::Se)
        .unwrap_err();
        assert_eq!(err.0[0].field, "contact_points[1].value");
    }
}
