//! The signed-in person, from the session cookie.

use super::{cookie_value, WebError};
use crate::accounts::secret_hash;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use beredskap_core::auth::Session;
use beredskap_core::register::{Account, Org};

pub const SESSION_COOKIE: &str = "beredskap_session";
pub const PENDING_COOKIE: &str = "beredskap_pending";

/// A live session: not revoked, not past its absolute end, used within the idle limit.
pub struct SignedIn {
    pub session: Session,
    pub account: Account,
    pub org: Org,
    pub name: String,
}

impl SignedIn {
    /// The person as the use cases know them.
    pub fn caller(&self) -> beredskap_app::Caller {
        beredskap_app::Caller::Account(self.account.clone())
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let secret = cookie_value(
            &parts.headers,
            SESSION_COOKIE,
            state.config.secure_cookies(),
        )
        .ok_or(AppError::Unauthorized)?;
        let now = state.clock.now();
        let (session, account) = state
            .store
            .session_by_secret(&secret_hash(secret), now)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let idle = chrono::Duration::minutes(i64::from(state.config.session_idle_minutes));
        if now - session.last_seen_at > idle {
            return Err(AppError::Unauthorized.into());
        }
        // Record activity at most once a minute, not on every request.
        if now - session.last_seen_at > chrono::Duration::minutes(1) {
            state.store.touch_session(session.id, now).await?;
        }
        let org = state
            .store
            .org(account.org_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let name = state
            .store
            .person(org.id, account.person_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_else(|| account.login.to_string());
        Ok(SignedIn {
            session,
            account,
            org,
            name,
        })
    }
}
