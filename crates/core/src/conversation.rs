//! Channels, messages, threads, reactions and must-read announcements.
//!
//! Every change is a journal entry whose subject is `channel:<id>`, and a message's `seq` is
//! the journal sequence number of its posting. So the organisation's journal is also the
//! ordered event stream that live clients resume from: "everything after seq N" has no gaps
//! and no repeats.

use crate::domain::Region;
use crate::error::{FieldError, FieldErrors};
use crate::ids::{AccountId, AttachmentId, ChannelId, GroupId, MessageId, OrgId};
use crate::journal::Actor;
use crate::register::parse_name;
use crate::store::StoreResult;
use crate::Problem;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest message body, in characters: long enough for a situation report, short
/// enough that one message cannot fill a phone's memory.
pub const MAX_BODY_CHARS: usize = 20_000;
/// The longest idempotency key a client may send.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Everyone in the organisation except guests (who must be invited).
    Org,
    /// The people of a group.
    Group,
    /// The people working an incident.
    Incident,
    /// A private conversation between a few people.
    Direct,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Org => "org",
            ChannelKind::Group => "group",
            ChannelKind::Incident => "incident",
            ChannelKind::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "org" => Some(ChannelKind::Org),
            "group" => Some(ChannelKind::Group),
            "incident" => Some(ChannelKind::Incident),
            "direct" => Some(ChannelKind::Direct),
            _ => None,
        }
    }
}

/// The classification labels an organisation uses when it has not chosen its own.
pub fn default_classifications(region: Region) -> Vec<String> {
    let labels: &[&str] = match region {
        Region::Se | Region::Fi => &["Öppen", "Intern", "Begränsad"],
        Region::Dk => &["Åben", "Intern", "Fortrolig"],
        Region::No => &["Åpen", "Intern", "Begrenset"],
    };
    labels.iter().map(|l| (*l).to_owned()).collect()
}

/// A place where people talk. Who may read it: for an organisation-wide channel every
/// member, crisis lead and administrator, plus invited guests; for every other kind only
/// its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Channel {
    pub id: ChannelId,
    pub org_id: OrgId,
    pub kind: ChannelKind,
    pub name: String,
    /// Shown on every message, e.g. Öppen / Intern / Begränsad.
    pub classification: String,
    pub group_id: Option<GroupId>,
    pub created_at: DateTime<Utc>,
}

/// Checks a list of classification labels: one to ten names, no repeats.
pub fn parse_classifications(labels: &[String]) -> Result<Vec<String>, FieldErrors> {
    let mut errors = Vec::new();
    let mut parsed: Vec<String> = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        match parse_name(label) {
            Ok(l) if l.contains('\n') => errors.push(FieldError::new(
                format!("classifications[{i}]"),
                Problem::OneLine,
            )),
            Ok(l) if parsed.contains(&l) => errors.push(FieldError::new(
                format!("classifications[{i}]"),
                Problem::Duplicate,
            )),
            Ok(l) => parsed.push(l),
            Err(e) => errors.push(FieldError::new(format!("classifications[{i}]"), e)),
        }
    }
    if labels.is_empty() || labels.len() > 10 {
        errors.push(FieldError::new(
            "classifications",
            Problem::Count { min: 1, max: 10 },
        ));
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(FieldErrors(errors))
    }
}

/// A channel to create, with its first members (the creator is added too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub kind: ChannelKind,
    #[schema(min_length = 1, max_length = 200, format = "one-line-text")]
    pub name: String,
    pub classification: String,
    #[serde(default)]
    pub group_id: Option<GroupId>,
    #[serde(default)]
    pub members: Vec<AccountId>,
}

impl NewChannel {
    /// Checks the name and that the label is one of the organisation's.
    pub fn validate(mut self, labels: &[String]) -> Result<Self, FieldErrors> {
        let mut errors = Vec::new();
        match parse_name(&self.name) {
            Ok(name) => self.name = name,
            Err(e) => errors.push(FieldError::new("name", e)),
        }
        if !labels.contains(&self.classification) {
            errors.push(FieldError::new(
                "classification",
                Problem::OneOf {
                    choices: labels.join(", "),
                },
            ));
        }
        if self.kind == ChannelKind::Group && self.group_id.is_none() {
            errors.push(FieldError::new("group_id", Problem::GroupRequired));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// How many people reacted with one emoji, and who.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reaction {
    pub emoji: String,
    pub accounts: Vec<AccountId>,
}

/// A message's place, author and time, without its text: what a search hit needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageHead {
    pub id: MessageId,
    pub channel_id: ChannelId,
    pub author: AccountId,
    pub created_at: DateTime<Utc>,
    pub deleted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub channel_id: ChannelId,
    /// The journal sequence number of the post: orders messages, and is where a client
    /// resumes.
    pub seq: i64,
    /// The first message of the thread this one answers.
    pub thread_root: Option<MessageId>,
    pub author: AccountId,
    /// Empty once deleted; earlier versions stay in `message_versions` and the journal.
    pub body: String,
    /// Must be confirmed read by everyone who can see the channel.
    pub announcement: bool,
    /// 1 for the original, +1 for each edit.
    pub version: i32,
    pub mentions: Vec<AccountId>,
    pub reactions: Vec<Reaction>,
    pub attachments: Vec<AttachmentRef>,
    /// Answers in its thread (for a thread's first message).
    pub replies: i64,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    /// When an administrator removed its text from every version and from the journal.
    pub redacted_at: Option<DateTime<Utc>>,
}

/// What redacting a message removed.
#[derive(Debug, Clone)]
pub struct Redacted {
    pub message: Message,
    /// The journal rows whose payload was removed.
    pub seqs: Vec<i64>,
    /// The `journal.redacted` entry recording it.
    pub redaction_seq: i64,
    /// Content hashes of attachment files no attachment refers to any more, for the
    /// caller to delete from disk.
    pub unreferenced_files: Vec<String>,
}

/// A message to post, checked.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub channel: ChannelId,
    pub thread_root: Option<MessageId>,
    pub body: String,
    pub announcement: bool,
    pub mentions: Vec<AccountId>,
    /// Files uploaded by the author beforehand, not yet attached to anything.
    pub attachments: Vec<AttachmentId>,
    /// Chosen by the client; a retried post with the same key lands once.
    pub idempotency_key: Option<String>,
    /// An announcement also sent by SMS, email and push to everyone in the channel's
    /// audience, account or not, as an alert.
    pub send_out: Option<SendOut>,
}

/// How an announcement is sent out beyond the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendOut {
    /// When each person's next contact point is tried while they have not confirmed.
    pub schedule: crate::alerting::Schedule,
    /// The sender's clock: when the first messages are due.
    pub at: DateTime<Utc>,
}

/// Checks a message body: not blank, not too long, no control characters but line breaks
/// and tabs.
pub fn parse_body(input: &str) -> Result<String, FieldError> {
    crate::text::required("body", input, MAX_BODY_CHARS, crate::text::Lines::Many)
}

pub fn parse_idempotency_key(input: &str) -> Result<String, FieldError> {
    let key = input.trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.is_ascii() {
        return Err(FieldError::new(
            "idempotency_key",
            Problem::NotAscii {
                max: MAX_IDEMPOTENCY_KEY,
            },
        ));
    }
    Ok(key.to_owned())
}

/// One emoji or a short word (`+1`): at most 32 characters, no spaces.
pub fn parse_emoji(input: &str) -> Result<String, FieldError> {
    let e = input.trim();
    if e.is_empty()
        || e.chars().count() > 32
        || e.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(FieldError::new("emoji", Problem::NotAnEmoji));
    }
    Ok(e.to_owned())
}

/// The words after `@` in a body, lower-cased: the local parts or whole sign-in addresses
/// of the people mentioned.
pub fn mentioned_names(body: &str) -> Vec<String> {
    let mut names: Vec<String> = body
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '!' | '?'))
        .filter_map(|w| w.strip_prefix('@'))
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether a body mentions someone by their name as written in the register, `@Erik
/// Johansson` (any case), ending where the name ends: not `@Erik Johanssons` or `@Eriksson`.
pub fn mentions_by_name(body: &str, name: &str) -> bool {
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        return false;
    }
    let body = body.to_lowercase();
    let wanted = format!("@{name}");
    body.match_indices(&wanted).any(|(at, found)| {
        body[at + found.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '-' && c != '_')
    })
}

/// A file on a message, as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AttachmentRef {
    pub id: AttachmentId,
    pub filename: String,
    pub size: i64,
    pub content_type: String,
}

/// A stored file and who may fetch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Attachment {
    pub id: AttachmentId,
    /// The message it was posted with; none until then (only its uploader sees it).
    pub message_id: Option<MessageId>,
    pub uploaded_by: AccountId,
    /// Hex SHA-256 of the bytes: their name in the data directory.
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub created_at: DateTime<Utc>,
}

/// A file stored in the data directory, to be recorded.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
}

/// Where one person stands with an announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Receipt {
    pub account_id: AccountId,
    /// Sent: the person could see the channel when it was posted.
    pub sent_at: DateTime<Utc>,
    pub seen_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// What a person does to a message after it is posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageChange {
    /// Only the author; the old text stays as a version.
    Edit(String),
    /// The author, or an administrator or crisis lead; soft, and the journal keeps the text.
    Delete,
    React(String),
    Unreact(String),
    /// Announcements: the person opened it.
    Seen,
    /// Announcements: the person confirms having read it.
    Confirm,
}

/// The result of a post: the message, and whether this call created it (false when an
/// idempotency key matched an earlier post).
#[derive(Debug, Clone)]
pub struct Posted {
    pub message: Message,
    pub created: bool,
}

/// A page of a channel: messages oldest first.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Only messages with `seq` below this (`None`: the newest).
    pub before: Option<i64>,
    pub limit: u32,
}

#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// Creates a channel; the creator becomes a member. Members must be accounts of the
    /// organisation.
    async fn create_channel(
        &self,
        actor: &Actor,
        org: OrgId,
        creator: AccountId,
        new: NewChannel,
    ) -> StoreResult<Channel>;
    /// Adds members (idempotent). Only someone who can see the channel may add.
    async fn add_channel_members(
        &self,
        actor: &Actor,
        org: OrgId,
        by: AccountId,
        channel: ChannelId,
        members: Vec<AccountId>,
    ) -> StoreResult<()>;
    /// The channels `account` may see, by name.
    async fn channels_for(&self, org: OrgId, account: AccountId) -> StoreResult<Vec<Channel>>;
    /// The channel, if `account` may see it (`NotFound` otherwise, so its existence is not
    /// revealed).
    async fn channel_for(
        &self,
        org: OrgId,
        account: AccountId,
        channel: ChannelId,
    ) -> StoreResult<Channel>;
    /// Who may see the channel now.
    async fn channel_audience(&self, org: OrgId, channel: ChannelId)
        -> StoreResult<Vec<AccountId>>;
    /// Posts a message, or returns the earlier one when the idempotency key was used by
    /// this author before (a different text under a used key is a conflict).
    async fn post_message(
        &self,
        actor: &Actor,
        org: OrgId,
        author: AccountId,
        new: NewMessage,
    ) -> StoreResult<Posted>;
    /// Changes a message; `NotFound` if `by` cannot see it, `Forbidden` if they may see
    /// but not do this (edit someone else's text, delete without being its author or a
    /// crisis lead).
    async fn change_message(
        &self,
        actor: &Actor,
        org: OrgId,
        by: AccountId,
        message: MessageId,
        change: MessageChange,
    ) -> StoreResult<Message>;
    /// Top-level messages of a channel `account` may see, oldest first.
    async fn channel_messages(
        &self,
        org: OrgId,
        account: AccountId,
        channel: ChannelId,
        page: Page,
    ) -> StoreResult<Vec<Message>>;
    /// Where and by whom each message of `ids` of the organisation was written, in the
    /// order asked, unknown ids left out. Whether the reader may see each is the caller's
    /// to decide (by the channels they see). One read, so a page of search hits costs one
    /// round to the database.
    async fn message_heads(&self, org: OrgId, ids: Vec<MessageId>)
        -> StoreResult<Vec<MessageHead>>;
    /// One message and its channel, if `account` may see the channel.
    async fn message_for(
        &self,
        org: OrgId,
        account: AccountId,
        message: MessageId,
    ) -> StoreResult<(Message, Channel)>;
    /// The names people are shown by, for these accounts of the organisation (unknown
    /// ids are left out).
    async fn display_names(
        &self,
        org: OrgId,
        accounts: Vec<AccountId>,
    ) -> StoreResult<std::collections::HashMap<AccountId, String>>;
    /// A thread: its first message and every answer, oldest first.
    async fn thread(
        &self,
        org: OrgId,
        account: AccountId,
        root: MessageId,
    ) -> StoreResult<Vec<Message>>;
    /// Removes a message's text from the channel, every version, its attachments and the
    /// journal's payloads, keeping the chain verifiable; journals the redaction with
    /// `reason` and the actor (who may is the use case's to decide); `Invalid` if it was
    /// redacted already or was journaled before payload hashes existed.
    async fn redact_message(
        &self,
        actor: &Actor,
        org: OrgId,
        message: MessageId,
        reason: String,
    ) -> StoreResult<Redacted>;
    /// Which of these messages are deleted (their text must not be replayed to members).
    async fn deleted_messages(
        &self,
        org: OrgId,
        messages: Vec<MessageId>,
    ) -> StoreResult<std::collections::HashSet<MessageId>>;
    /// Every text the message has had, oldest first. Once the message is deleted only an
    /// administrator may read them (`Forbidden` for anyone else).
    async fn message_versions(
        &self,
        org: OrgId,
        account: AccountId,
        message: MessageId,
    ) -> StoreResult<Vec<(i32, String, DateTime<Utc>)>>;
    /// The announcement's roster: one receipt per person it was sent to.
    async fn receipts(&self, org: OrgId, message: MessageId) -> StoreResult<Vec<Receipt>>;
    /// Records an uploaded file, not yet attached to a message.
    async fn add_attachment(
        &self,
        actor: &Actor,
        org: OrgId,
        by: AccountId,
        new: NewAttachment,
    ) -> StoreResult<Attachment>;
    /// The attachment if `account` may fetch it: it is on a message of a channel they can
    /// see, or they uploaded it and it is on no message yet. `NotFound` otherwise.
    async fn attachment_for(
        &self,
        org: OrgId,
        account: AccountId,
        id: AttachmentId,
    ) -> StoreResult<Attachment>;
    /// Sets the organisation's classification labels, least restricted first. Channels
    /// keep the label they have.
    async fn set_classifications(
        &self,
        actor: &Actor,
        org: OrgId,
        labels: Vec<String>,
    ) -> StoreResult<crate::register::Org>;
    /// Announcements in channels `account` can see that they have not confirmed.
    async fn unconfirmed_announcements(
        &self,
        org: OrgId,
        account: AccountId,
    ) -> StoreResult<Vec<Message>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed_and_checked() {
        assert_eq!(parse_body("  Hej\r\nalla \n").unwrap(), "Hej\nalla");
        assert_eq!(parse_body(" \n ").unwrap_err().field, "body");
        assert!(parse_body("a\u{0007}b").is_err());
        assert!(parse_body(&"x".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn a_person_is_mentioned_by_their_whole_name() {
        let body = "Kan @erik Johansson och @Anna Berg-Ek ta det? Inte @Bo Ekströms fel.";
        assert!(mentions_by_name(body, "Erik Johansson"));
        assert!(mentions_by_name(body, "Anna Berg-Ek"));
        assert!(!mentions_by_name(body, "Anna Berg"));
        assert!(!mentions_by_name(body, "Bo Ekström"));
        assert!(mentions_by_name("@Sara Olsson", "sara olsson"));
        assert!(!mentions_by_name("Erik Johansson", "Erik Johansson"));
        assert!(!mentions_by_name("@", ""));
    }

    #[test]
    fn mentions_are_the_words_after_at() {
        assert_eq!(
            mentioned_names("@Anna, kan du och @bo.berg@lillby.se (och @anna) ta det?"),
            ["anna", "bo.berg@lillby.se"]
        );
        assert!(mentioned_names("mejla info@lillby.se").is_empty());
    }

    #[test]
    fn a_channel_needs_a_name_and_one_of_the_organisations_labels() {
        let labels = default_classifications(Region::Dk);
        let new = NewChannel {
            kind: ChannelKind::Group,
            name: " ".into(),
            classification: "Intern".into(),
            group_id: None,
            members: vec![],
        };
        let fields: Vec<_> = new
            .clone()
            .validate(&labels)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "group_id"]);
        let wrong = NewChannel {
            kind: ChannelKind::Org,
            name: "Alla".into(),
            classification: "Begränsad".into(),
            ..new
        };
        let err = wrong.validate(&labels).unwrap_err();
        assert!(err.0[0]
            .problem
            .to_string()
            .contains("Åben, Intern, Fortrolig"));
    }
}
