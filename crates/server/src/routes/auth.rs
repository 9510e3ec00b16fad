//! Who is calling: API tokens sent as `Authorization: Bearer bsk_…`.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use beredskap_core::register::{Account, ApiToken, Org, Role, Scope};
use beredskap_core::Actor;

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
    pub token: ApiToken,
    /// The account's organisation, read with the token.
    pub home: Org,
}

impl Caller {
    /// The token's account as the use cases know it. The token's scope is the API's own
    /// check; the role is the use case's.
    pub fn who(&self) -> beredskap_app::Caller {
        beredskap_app::Caller::Account(self.account.clone())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthorized)?;
        let grant = beredskap_app::sign_in::token(&state.app, secret)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Caller {
            account: grant.account,
            token: grant.token,
            home: grant.org,
        })
    }
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::account(self.account.id)
    }

    /// The organisation named in the path, if it is the caller's own. Another
    /// organisation's is reported as not found, so its existence is not revealed.
    pub fn org(&self, slug: &str) -> Result<Org, AppError> {
        match self.home.slug.as_str() == slug {
            true => Ok(self.home.clone()),
            false => Err(AppError::NotFound),
        }
    }

    /// Refuses a token that lacks `scope`; the use case checks the role.
    pub fn scope(&self, scope: Scope) -> Result<(), AppError> {
        match self.token.scopes.contains(&scope) {
            true => Ok(()),
            false => Err(AppError::MissingScope(scope.as_str())),
        }
    }

    /// Refuses callers whose role is below `role`, or whose token lacks `scope`.
    pub fn require(&self, role: Role, scope: Scope) -> Result<(), AppError> {
        if self.account.role < role {
            Err(AppError::Forbidden)
        } else if !self.token.scopes.contains(&scope) {
            Err(AppError::MissingScope(scope.as_str()))
        } else {
            Ok(())
        }
    }
}
