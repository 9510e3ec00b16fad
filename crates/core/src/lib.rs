//! Beredskap's domain: newtypes that can only hold valid values, the register of
//! organisations and people, the hash-chained journal, and the `Store` trait that the
//! storage backends implement. Nothing in here performs I/O.

pub mod activation;
pub mod alert_templates;
pub mod alerting;
pub mod auth;
pub mod clock;
pub mod contacts;
pub mod continuity;
pub mod conversation;
pub mod domain;
pub mod error;
pub mod ids;
pub mod import;
pub mod journal;
pub mod register;
pub mod rotation;
pub mod spreadsheet;
pub mod store;
pub mod text;
pub mod words;

pub use domain::{EmailAddress, PhoneNumber, Region, Slug, TimeZone};
pub use error::{FieldError, FieldErrors, Problem};
pub use ids::{
    AccountId, AlertId, AlertTemplateId, ApiTokenId, AttachmentId, CallId, ChannelId, DeliveryId,
    EntryId, GroupId, IncidentId, MessageId, NodeId, NoticeId, OrgId, OverrideId, PersonId, PlanId,
    PositionId, PressReleaseId, PublicDeliveryId, ServiceId, SubscriptionId, SubscriptionRequestId,
    TaskId,
};
pub use journal::{Actor, JournalEntry, NewJournalEntry};
pub use store::{Store, StoreError};
