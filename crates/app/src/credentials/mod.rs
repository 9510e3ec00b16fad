//! What a person proves who they are with: a password, a one-time code from an
//! authenticator app (TOTP), or a printed recovery code. Sign-in never depends on the
//! organisation's own mail server or single sign-on. The sign-in use cases
//! ([`crate::sign_in`]) check them; the pages only show and send forms.

pub mod hashing;
pub mod password;
pub mod recovery;
pub mod totp;

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
