//! Bulk activation: enrolment links for everyone in a group or the whole register who has
//! not activated an account, sent by SMS or private email through an outbox of their own.
//! The link's secret is made when it is handed over, so no usable link is ever stored.

use crate::alerting::DeliveryOutcome;
use crate::domain::EmailAddress;
use crate::ids::{AccountId, GroupId, OrgId, PersonId};
pub use crate::ids::{ActivationBatchId, ActivationSendId};
use crate::journal::Actor;
use crate::register::{ContactKind, Role};
use crate::store::StoreResult;
use chrono::{DateTime, Utc};

/// Why a person in the batch's scope gets no link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unreachable {
    /// The register has no mobile number or private email address for them.
    NoAddress,
    /// They have addresses, but no configured provider sends to any of them.
    NoProvider,
    /// The register has no email address to sign in with.
    NoLogin,
    /// Their email address is another account's login already.
    LoginTaken,
}

impl Unreachable {
    pub fn as_str(self) -> &'static str {
        match self {
            Unreachable::NoAddress => "no_address",
            Unreachable::NoProvider => "no_provider",
            Unreachable::NoLogin => "no_login",
            Unreachable::LoginTaken => "login_taken",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Unreachable::NoAddress,
            Unreachable::NoProvider,
            Unreachable::NoLogin,
            Unreachable::LoginTaken,
        ]
        .into_iter()
        .find(|u| u.as_str() == s)
    }
}

/// One person as the administrator's choice plans them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSend {
    pub person_id: PersonId,
    pub plan: SendPlan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendPlan {
    /// A link to `address` on `channel`; an account with `login` is made for them when they
    /// have none (without a login they are listed as unreachable then).
    Send {
        login: Option<EmailAddress>,
        channel: ContactKind,
        address: String,
    },
    /// Listed with the reason; nothing is sent.
    Unreachable(Unreachable),
}

/// A batch as the administrator's choice plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivation {
    /// The group whose people it is for; none for the whole register.
    pub group: Option<GroupId>,
    /// The role of the accounts it makes.
    pub role: Role,
    pub started_by: Option<PersonId>,
    pub planned: Vec<PlannedSend>,
}

/// A batch as it was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationBatch {
    pub id: ActivationBatchId,
    pub org_id: OrgId,
    /// The group whose people it is for; none for the whole register.
    pub group_id: Option<GroupId>,
    pub started_at: DateTime<Utc>,
    /// Who started it, by person.
    pub started_by: Option<PersonId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Waiting for the worker (or being handed over).
    Waiting,
    Sent,
    /// Nothing was sent: see the reason.
    Unreachable(Unreachable),
    /// The provider refused, or it kept failing: see `last_error`.
    Failed,
}

/// One person's line of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationSend {
    pub id: ActivationSendId,
    pub batch_id: ActivationBatchId,
    pub org_id: OrgId,
    pub person_id: PersonId,
    /// Their account (made by the batch when they had none); none when unreachable.
    pub account_id: Option<AccountId>,
    pub channel: Option<ContactKind>,
    pub address: Option<String>,
    pub status: SendStatus,
    pub attempts: i32,
    pub idempotency_key: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Whether the account has been activated (a password chosen), now.
    pub activated: bool,
}

#[async_trait::async_trait]
pub trait ActivationStore: Send + Sync {
    /// Starts a batch: makes an account with `role` for each planned person who has none,
    /// and queues their link, all in one transaction with its journal entry. People who
    /// meanwhile activated an account, or whose link is already waiting in another batch,
    /// are left out.
    async fn start_activation(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewActivation,
        now: DateTime<Utc>,
    ) -> StoreResult<ActivationBatch>;
    /// The people whose link is waiting to be sent, in any batch.
    async fn waiting_activations(&self, org: OrgId) -> StoreResult<Vec<PersonId>>;
    /// The organisation's batches, newest first.
    async fn activation_batches(&self, org: OrgId) -> StoreResult<Vec<ActivationBatch>>;
    async fn activation_batch(
        &self,
        org: OrgId,
        id: ActivationBatchId,
    ) -> StoreResult<(ActivationBatch, Vec<ActivationSend>)>;
    /// Due links of every organisation, claimed for `lease`.
    async fn claim_activation_sends(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: chrono::Duration,
    ) -> StoreResult<Vec<ActivationSend>>;
    /// Whether the send is still claimed (and so should go).
    async fn activation_send_wanted(&self, id: ActivationSendId) -> StoreResult<bool>;
    async fn finish_activation_send(
        &self,
        id: ActivationSendId,
        outcome: DeliveryOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}
