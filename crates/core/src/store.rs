//! The storage interface. `beredskap-store` implements it for SQLite and PostgreSQL; the
//! conformance suite there holds both to the same behaviour.
//!
//! Every method that changes something writes its journal entries in the same transaction
//! and returns only after that transaction is durably committed.

use crate::auth::{
    Credentials, Enrolment, NewCredentials, NewSession, Session, SessionId, StoredPasskey,
    Throttle, ThrottlePolicy,
};
use crate::domain::{EmailAddress, Slug};
use crate::error::FieldErrors;
use crate::ids::{AccountId, GroupId, OrgId, PersonId, PositionId};
use crate::import::{ImportReport, ImportRow};
use crate::journal::{Actor, JournalEntry};
use crate::register::{
    Account, ApiToken, Group, NewGroup, NewOrg, NewPosition, Org, Person, PersonDraft, Position,
    Role, Scope, TokenGrant,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken, or the thing's state no longer allows the change.
    #[error("conflicts with existing data ({0:?})")]
    Conflict(Conflict),
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// The caller may see the thing but not do this to it.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// The database could not be reached or the writer has stopped; worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Backend(String),
}

/// What a refused change collided with: the same on both backends, whatever the database
/// calls its constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Another organisation has the slug.
    OrgSlug,
    /// Another group of the organisation has the slug.
    GroupSlug,
    /// Another position of the organisation has the slug.
    PositionSlug,
    /// Another person of the organisation has the external id.
    PersonExternalId,
    /// The login already has an account in the organisation.
    AccountLogin,
    /// The person already has an account.
    AccountPerson,
    /// Another service in use has the name.
    ServiceName,
    /// Another plan of the organisation has the slug.
    PlanSlug,
    /// The plan has been saved again since the version the change was about.
    PlanChanged,
    /// The incident has ended.
    IncidentClosed,
    /// The scribe has approved or sent back the log entry already.
    EntryDecided,
    /// The incident's priority calls have been purged.
    CallsPurged,
    /// An update has ended the notice.
    NoticeEnded,
    /// Another organisation receives SMS replies on the number.
    OrgSmsNumber,
    /// The passkey is registered already.
    PasskeyCredential,
    /// The author used the idempotency key for another message.
    MessageIdempotencyKey,
    /// The message has been deleted.
    MessageDeleted,
    /// The message is not an announcement.
    MessageNotAnnouncement,
    /// The message has already been redacted.
    MessageRedacted,
    /// The alert is closed.
    AlertClosed,
    /// Another alert template of the organisation has the name.
    AlertTemplateName,
    /// The alert template has been saved again since the version the change was about.
    AlertTemplateChanged,
    /// A uniqueness rule not named above, as the database names it (a bug to report).
    Other(String),
}

impl StoreError {
    pub fn invalid(field: &str, problem: impl Into<crate::Problem>) -> Self {
        StoreError::Invalid(FieldErrors::single(field, problem))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What one node tells the others on the same database, so their live clients and workers
/// need not wait for their next poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeSignal {
    /// The organisation's journal moved on: live clients should be told.
    Published(OrgId),
    /// Deliveries are due now: workers should look at the outbox.
    DeliveriesDue,
}

/// Signals from the other nodes, as they come (PostgreSQL's LISTEN).
#[async_trait]
pub trait NodeListener: Send {
    /// The next signal another node sent. An error means the connection was lost (what
    /// was sent meanwhile is lost too; the nodes' polls catch up); calling again reconnects.
    async fn next(&mut self) -> StoreResult<NodeSignal>;
}

/// What an operator watches (the server's `/metrics`), read in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationsFigures {
    /// Each organisation's journal head (by slug): how many changes it has recorded.
    pub journal_heads: Vec<(String, i64)>,
    pub outboxes: Vec<OutboxBacklog>,
}

/// One outbox's backlog at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// `alerts` (staff deliveries), `public` (subscribers) or `activation` (enrolment
    /// links).
    pub outbox: &'static str,
    /// Due and waiting for a worker.
    pub due: i64,
    /// Taken by a worker and not yet recorded as handed over.
    pub claimed: i64,
    /// When the longest-waiting due row fell due.
    pub oldest_due: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait Store:
    crate::conversation::ConversationStore
    + crate::alerting::AlertStore
    + crate::continuity::ContinuityStore
    + crate::continuity::priority::PriorityListStore
    + crate::continuity::notices::NoticeStore
    + crate::continuity::press::PressReleaseStore
    + crate::continuity::subscriptions::SubscriptionStore
    + crate::activation::ActivationStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Succeeds when the database answers a query.
    async fn ping(&self) -> StoreResult<()>;

    /// The node this store makes its outbox claims in: one per process.
    fn node(&self) -> crate::ids::NodeId;

    /// Records this node as `name`, and frees at once what an earlier run under the same
    /// name held (it stopped without leaving: a crash, a kill). Returns the claims freed.
    async fn join_nodes(&self, name: &str, now: DateTime<Utc>) -> StoreResult<u64>;

    /// This node (`name`) is alive at `now`. What nodes silent since `silent_since` held
    /// is freed for the others, and they leave the list. Returns the claims freed.
    async fn node_heartbeat(
        &self,
        name: &str,
        now: DateTime<Utc>,
        silent_since: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// This node stops: what it still holds is freed, and it leaves the list.
    async fn leave_nodes(&self) -> StoreResult<u64>;

    /// Tells the other nodes on the database (PostgreSQL's NOTIFY). Nothing on SQLite,
    /// which has one node.
    async fn signal_nodes(&self, signals: &[NodeSignal]) -> StoreResult<()>;

    /// Starts listening to the other nodes' signals; none where there are no other nodes
    /// (SQLite).
    async fn listen_to_nodes(&self) -> StoreResult<Option<Box<dyn NodeListener>>>;

    /// What an operator watches: the journal heads and the outboxes' backlogs at `now`.
    async fn operations_figures(&self, now: DateTime<Utc>) -> StoreResult<OperationsFigures>;

    async fn create_org(&self, actor: &Actor, new: NewOrg) -> StoreResult<Org>;
    async fn org_by_slug(&self, slug: &Slug) -> StoreResult<Option<Org>>;
    async fn org(&self, id: OrgId) -> StoreResult<Option<Org>>;
    async fn list_orgs(&self) -> StoreResult<Vec<Org>>;
    async fn update_org_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        settings: crate::register::OrgSettings,
    ) -> StoreResult<Org>;
    /// Gives the organisation its own SMS number, or takes it away (None). A number is
    /// one organisation's only (`Conflict` on `orgs_sms_number_key`).
    async fn set_org_sms_number(
        &self,
        actor: &Actor,
        org: OrgId,
        number: Option<crate::domain::PhoneNumber>,
    ) -> StoreResult<Org>;

    async fn create_person(
        &self,
        actor: &Actor,
        org: OrgId,
        draft: PersonDraft,
    ) -> StoreResult<Person>;
    /// Replaces every field and the contact points. A contact point that is kept keeps its
    /// `verified` flag unless the draft sets it.
    async fn replace_person(
        &self,
        actor: &Actor,
        org: OrgId,
        id: PersonId,
        draft: PersonDraft,
    ) -> StoreResult<Person>;
    async fn person(&self, org: OrgId, id: PersonId) -> StoreResult<Option<Person>>;
    async fn list_people(&self, org: OrgId) -> StoreResult<Vec<Person>>;

    async fn create_group(&self, actor: &Actor, org: OrgId, new: NewGroup) -> StoreResult<Group>;
    async fn list_groups(&self, org: OrgId) -> StoreResult<Vec<Group>>;
    /// Makes the group's members exactly `members`; every id must be a person of `org`.
    async fn set_group_members(
        &self,
        actor: &Actor,
        org: OrgId,
        group: GroupId,
        members: Vec<PersonId>,
    ) -> StoreResult<Group>;

    async fn create_position(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewPosition,
    ) -> StoreResult<Position>;
    async fn list_positions(&self, org: OrgId) -> StoreResult<Vec<Position>>;
    /// `holders[0]` holds the position; the rest are deputies in the order they step in.
    async fn set_position_holders(
        &self,
        actor: &Actor,
        org: OrgId,
        position: PositionId,
        holders: Vec<PersonId>,
    ) -> StoreResult<Position>;

    /// Applies all rows in one transaction, matching people by external id. With `dry_run`
    /// the transaction is rolled back and the report says what would have changed.
    async fn import_people(
        &self,
        actor: &Actor,
        org: OrgId,
        rows: Vec<ImportRow>,
        dry_run: bool,
    ) -> StoreResult<ImportReport>;

    async fn create_account(
        &self,
        actor: &Actor,
        org: OrgId,
        person: PersonId,
        login: EmailAddress,
        role: Role,
    ) -> StoreResult<Account>;
    async fn account_by_login(
        &self,
        org: OrgId,
        login: &EmailAddress,
    ) -> StoreResult<Option<Account>>;
    async fn list_accounts(&self, org: OrgId) -> StoreResult<Vec<Account>>;
    /// Remembers the language the person reads the pages in (`sv`, `da`, `en`).
    async fn set_account_language(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        language: Option<String>,
    ) -> StoreResult<()>;
    /// Stores the hash of a one-time enrolment secret for `account`.
    async fn create_enrolment(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        secret_hash: String,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Stores the hash of a new API token's secret.
    async fn create_api_token(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        label: String,
        scopes: Vec<Scope>,
        secret_hash: String,
    ) -> StoreResult<ApiToken>;
    /// The organisation's API tokens, revoked ones too, newest first.
    async fn list_api_tokens(&self, org: OrgId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes a token of the organisation; false if it was already revoked or unknown.
    async fn revoke_api_token(
        &self,
        actor: &Actor,
        org: OrgId,
        token: crate::ids::ApiTokenId,
    ) -> StoreResult<bool>;
    /// The token and account behind a secret's hash, if the token exists.
    async fn token_grant(&self, secret_hash: &str) -> StoreResult<Option<TokenGrant>>;

    /// The enrolment link with this secret hash, used or not.
    async fn enrolment(&self, secret_hash: &str) -> StoreResult<Option<Enrolment>>;
    /// Uses an enrolment link and sets the account's credentials in one transaction.
    /// Refused (`Invalid` on field `link`) when the link is used or expired.
    async fn complete_enrolment(
        &self,
        secret_hash: &str,
        credentials: NewCredentials,
        now: DateTime<Utc>,
    ) -> StoreResult<Account>;
    async fn credentials(&self, org: OrgId, account: AccountId) -> StoreResult<Credentials>;
    async fn set_password(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        password_hash: String,
    ) -> StoreResult<()>;
    /// Records a used TOTP step; false if that step or a later one was already used.
    async fn use_totp_step(&self, org: OrgId, account: AccountId, step: i64) -> StoreResult<bool>;
    /// The hash of an unused recovery code.
    async fn recovery_code_hash(
        &self,
        org: OrgId,
        account: AccountId,
        code_id: &str,
    ) -> StoreResult<Option<String>>;
    /// Marks a recovery code used; false if it already was.
    async fn use_recovery_code(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        code_id: &str,
    ) -> StoreResult<bool>;

    /// Remembers that `account` gave the right password; the second factor must follow
    /// before `expires_at`.
    /// With `code_hash`, the second step is that one-time code rather than the person's
    /// own factors.
    async fn create_pending_sign_in(
        &self,
        secret_hash: &str,
        account: &Account,
        expires_at: DateTime<Utc>,
        code_hash: Option<&str>,
    ) -> StoreResult<()>;
    /// The account of a pending sign-in that has not expired, with its failed attempts and
    /// the hash of a one-time code sent for it, if any.
    async fn pending_sign_in(
        &self,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Account, u32, Option<String>)>>;
    /// Counts an attempt at the second step before it is checked; returns the attempts so
    /// far, or None when the sign-in is gone, expired or has used its `max` attempts (then
    /// the attempt must not be checked).
    async fn reserve_pending_attempt(
        &self,
        secret_hash: &str,
        max: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<u32>>;
    async fn delete_pending_sign_in(&self, secret_hash: &str) -> StoreResult<()>;

    /// Starts a session and journals the sign-in.
    async fn create_session(&self, new: NewSession) -> StoreResult<Session>;
    /// A session that is neither revoked nor past `now`'s absolute expiry, with its account.
    async fn session_by_secret(
        &self,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Session, Account)>>;
    async fn touch_session(&self, id: SessionId, now: DateTime<Utc>) -> StoreResult<()>;
    /// The account's live sessions, newest first.
    async fn list_sessions(
        &self,
        org: OrgId,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Session>>;
    /// Ends a session of the organisation; false if it was not live.
    async fn revoke_session(&self, actor: &Actor, org: OrgId, id: SessionId) -> StoreResult<bool>;
    /// Journals a refused sign-in (never the password tried).
    async fn record_sign_in_failure(
        &self,
        org: OrgId,
        account: Option<AccountId>,
        login: &str,
        reason: &str,
        ip: &str,
    ) -> StoreResult<()>;

    async fn add_passkey(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        credential_id: &str,
        passkey: &str,
        name: &str,
    ) -> StoreResult<StoredPasskey>;
    async fn passkeys(&self, org: OrgId, account: AccountId) -> StoreResult<Vec<StoredPasskey>>;
    /// Renames or removes one of the account's passkeys; false if it has no such passkey.
    async fn change_passkey(
        &self,
        actor: &Actor,
        org: OrgId,
        account: AccountId,
        passkey: uuid::Uuid,
        change: crate::auth::PasskeyChange,
    ) -> StoreResult<bool>;
    /// Saves a passkey's new signature counter after a sign-in.
    async fn passkey_used(
        &self,
        account: AccountId,
        credential_id: &str,
        passkey: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Keeps a WebAuthn ceremony's state between challenge and answer.
    async fn save_ceremony(
        &self,
        key: &str,
        account: AccountId,
        state: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Takes (and removes) a ceremony's state, if it has not expired.
    async fn take_ceremony(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(AccountId, String)>>;

    async fn throttle(&self, key: &str) -> StoreResult<Throttle>;
    /// Counts an attempt as a failure under every key before it is checked, in one
    /// transaction: when any key is locked at `now`, nothing is counted and the lock is
    /// returned. The count that reaches a policy's limit locks its key at once, so of any
    /// number of attempts sent together at most the free ones are granted.
    async fn reserve_attempt(
        &self,
        keys: &[(String, ThrottlePolicy)],
        now: DateTime<Utc>,
    ) -> StoreResult<crate::auth::AttemptReservation>;
    /// Takes back an attempt `reserve_attempt` counted that turned out not to be a failure
    /// (the secret was right, or the server was too busy to check it), with any lock that
    /// counting it started.
    async fn refund_attempt(&self, reserved: &crate::auth::Reserved) -> StoreResult<()>;
    async fn clear_throttle(&self, key: &str) -> StoreResult<()>;

    /// Records an event that changes no other table (a message sent, a link handed out).
    async fn append_journal(
        &self,
        actor: &Actor,
        org: OrgId,
        entry: crate::journal::NewJournalEntry,
    ) -> StoreResult<JournalEntry>;

    /// Up to `limit` entries of one organisation with `seq > after_seq`, in order.
    async fn journal_page(
        &self,
        org: OrgId,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<JournalEntry>>;
    /// The organisation's last sequence number and hash (`0` and the genesis hash if empty).
    async fn journal_head(&self, org: OrgId) -> StoreResult<(i64, String)>;

    /// The organisation's external contacts, in the order they were imported.
    async fn external_contacts(
        &self,
        org: OrgId,
    ) -> StoreResult<Vec<crate::contacts::ExternalContact>>;
    /// Replaces the organisation's external contacts with `contacts`, all at once, and
    /// journals how many there are now.
    async fn replace_external_contacts(
        &self,
        actor: &Actor,
        org: OrgId,
        contacts: Vec<crate::contacts::ContactDraft>,
    ) -> StoreResult<usize>;
    /// The settings that make an acknowledged write durable, as the connection that writes
    /// reports them (`synchronous`, `synchronous_commit`, …), by name.
    async fn durability(&self) -> StoreResult<Vec<(String, String)>>;
}

/// Verifies one organisation's whole chain, page by page, against its head.
/// Returns the number of entries checked and the redactions found.
pub async fn verify_journal(
    store: &dyn Store,
    org: OrgId,
) -> StoreResult<Result<crate::journal::ChainReport, crate::journal::ChainBreak>> {
    const PAGE: u32 = 1000;
    let mut verifier = crate::journal::ChainVerifier::new(org);
    let mut after = 0;
    loop {
        let page = store.journal_page(org, after, PAGE).await?;
        for entry in &page {
            if let Err(broken) = verifier.check(entry) {
                return Ok(Err(broken));
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = last.seq,
            _ => break,
        }
    }
    let (head_seq, head_hash) = store.journal_head(org).await?;
    Ok(verifier.finish(head_seq, &head_hash))
}
