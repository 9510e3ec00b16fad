//! What a person proves who they are with: a password, a one-time code from an
//! authenticator app (TOTP), or a printed recovery code. Sign-in never depends on the
//! organisation's own mail server or single sign-on.

pub mod hashing;
pub mod password;
pub mod recovery;
pub mod totp;
