//! The signed-in person, from the session cookie.

use super::{cookie_value, WebError};
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
        let signed_in = beredskap_app::sign_in::session(&state.app, &state.sign_in, secret)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::Unauthorized)?;
        Ok(SignedIn {
            session: signed_in.session,
            account: signed_in.account,
            org: signed_in.org,
            name: signed_in.name,
        })
    }
}
