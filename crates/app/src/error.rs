//! What a use case can answer instead of doing what was asked. The adapters turn it into
//! an HTTP status, a page or a command-line message in one place each.

use crate::policy::UseCase;
use beredskap_core::register::Role;
use beredskap_core::{FieldErrors, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's role is below what the policy table asks for this use case.
    #[error("{}", .use_case.refusal())]
    Refused { use_case: UseCase, least: Role },
    /// The input is wrong; every problem at once, each with its field.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// Not found, a conflict, the database unavailable…: as the store said.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A service the use case needs is down (no message provider, or it failed).
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// Too much is being asked at once (password checks in a burst): try again in a
    /// second. Nothing was checked or counted.
    #[error("busy; try again in a moment")]
    Busy,
    /// Something the use case could not do for a reason of its own (a CSV writer failed).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::credentials::hashing::Busy> for Error {
    fn from(_: crate::credentials::hashing::Busy) -> Self {
        Error::Busy
    }
}
