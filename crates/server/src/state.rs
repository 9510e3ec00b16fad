use crate::clock::Clock;
use crate::config::Config;
use beredskap_core::Store;
use std::sync::Arc;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// The WebAuthn relying party, or why passkeys are unavailable.
    pub webauthn: Result<Arc<webauthn_rs::prelude::Webauthn>, String>,
    /// Email and SMS providers, for sign-in codes.
    pub notifier: crate::notify::Notifier,
    /// Live updates to browsers and API clients.
    pub hub: Arc<crate::live::Hub>,
    /// The message search index, or why search is unavailable.
    pub search: Result<Arc<crate::search::SearchIndex>, String>,
}

impl AppState {
    /// Tells the search indexer there is something new.
    pub fn wake_search(&self) {
        if let Ok(search) = &self.search {
            search.wake.notify_one();
        }
    }
}
