//! The use cases, with no HTTP in them. Each is one function taking the caller and the
//! [`App`] (the store, the clock and whom to wake): it checks permission against the one
//! policy table ([`policy`]), validates, writes, wakes the delivery worker and publishes
//! live events. The API, the pages and the command line are adapters over these functions.

pub mod accounts;
pub mod activation;
pub mod after_action;
pub mod alert_templates;
pub mod alerts;
pub mod attachments;
pub mod conversation;
pub mod credentials;
pub mod directory;
pub mod error;
pub mod incident_log;
pub mod incidents;
pub mod messages;
pub mod offline_kit;
pub mod plans;
pub mod policy;
pub mod priority_list;
pub mod register;
pub mod rotations;
pub mod services;
pub mod settings;
pub mod sign_in;
pub mod status;
pub mod subscriptions;

pub use error::Error;
pub use policy::{Caller, UseCase};

use beredskap_core::clock::Clock;
use beredskap_core::{OrgId, Store};
use std::sync::Arc;

/// Whoever must hear at once that a use case changed something: the delivery worker,
/// the search indexer, live pages. In the server these are in the same process; at the
/// command line they are a running server's, reached through its wake-up socket.
#[async_trait::async_trait]
pub trait Wakeups: Send + Sync {
    /// Deliveries are due now: the worker should look at the outbox without waiting for
    /// its next round.
    fn deliveries_due(&self);
    /// The organisation's event sequence moved on: live clients should be told.
    async fn published(&self, org: OrgId);
    /// Message text changed: the search indexer should look now.
    fn search_due(&self);
    /// A message's text was redacted: its files no other message uses and what the search
    /// index holds of it must go too.
    async fn redacted(&self, unreferenced_files: Vec<String>);
}

/// Nobody to wake: for tools and tests that run without a server.
pub struct NoWakeups;

#[async_trait::async_trait]
impl Wakeups for NoWakeups {
    fn deliveries_due(&self) {}
    async fn published(&self, _org: OrgId) {}
    fn search_due(&self) {}
    async fn redacted(&self, _unreferenced_files: Vec<String>) {}
}

/// What every use case works with. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub wake: Arc<dyn Wakeups>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, wake: Arc<dyn Wakeups>) -> Self {
        Self { store, clock, wake }
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}
