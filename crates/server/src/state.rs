use crate::clock::Clock;
use crate::config::Config;
use beredskap_core::Store;
use std::sync::Arc;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The use cases' store, clock and wake-ups.
    pub app: beredskap_app::App,
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// The WebAuthn relying party, or why passkeys are unavailable.
    pub webauthn: Result<Arc<webauthn_rs::prelude::Webauthn>, String>,
    /// Email and SMS providers, for sign-in codes.
    pub notifier: crate::notify::Notifier,
    /// Live updates to browsers and API clients.
    pub hub: Arc<crate::live::Hub>,
    /// The public status sites, made once per change and served from memory.
    pub status_sites: Arc<crate::status_site::StatusSites>,
    /// The message search index, or why search is unavailable.
    pub search: Result<Arc<crate::search::SearchIndex>, String>,
    /// Signs and checks the answer links alerts carry.
    pub links: Arc<crate::alerting::AnswerLinks>,
    /// Wakes the delivery worker at once when an alert is sent or closed.
    pub deliveries_due: Arc<tokio::sync::Notify>,
    /// The origin form posts must come from (`public_url`'s).
    pub site: Arc<crate::http::SiteOrigin>,
    /// Password hashing and session lifetimes, for the sign-in use cases.
    pub sign_in: beredskap_app::sign_in::SignIn,
    /// What `/metrics` reports.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The key browsers subscribe to push with (`applicationServerKey`), base64url.
    pub vapid_public_key: String,
}

impl AppState {
    /// Tells the delivery worker there is something to hand over now.
    pub fn wake_deliveries(&self) {
        self.deliveries_due.notify_one();
    }

    /// Tells the search indexer there is something new.
    pub fn wake_search(&self) {
        if let Ok(search) = &self.search {
            search.wake.notify_one();
        }
    }
}
