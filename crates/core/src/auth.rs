//! What the store keeps for signing in: credentials, enrolment links and sessions.
//! Secrets themselves never reach the store; only their hashes do (the TOTP secret, which
//! the server must read back to check codes, is the exception).

use crate::ids::{AccountId, OrgId};
use crate::register::Account;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub Uuid);

impl SessionId {
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How a session's holder proved who they are, beyond the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
    Passkey,
    /// A one-time code sent to a verified fallback contact point.
    FallbackCode,
}

impl SecondFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactor::Totp => "totp",
            SecondFactor::RecoveryCode => "recovery_code",
            SecondFactor::Passkey => "passkey",
            SecondFactor::FallbackCode => "fallback_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "totp" => Some(SecondFactor::Totp),
            "recovery_code" => Some(SecondFactor::RecoveryCode),
            "passkey" => Some(SecondFactor::Passkey),
            "fallback_code" => Some(SecondFactor::FallbackCode),
            _ => None,
        }
    }
}

/// An account's sign-in secrets, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    pub totp_secret: Option<Vec<u8>>,
    /// The last TOTP time step accepted; an older or equal one is a replay.
    pub totp_last_step: Option<i64>,
    pub recovery_codes_left: u32,
}

/// What enrolment sets, all at once.
#[derive(Debug, Clone)]
pub struct NewCredentials {
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    /// The TOTP step of the code that confirmed the app, so it cannot be replayed.
    pub totp_last_step: Option<i64>,
    /// Recovery codes as (public id, Argon2id hash of the secret part).
    pub recovery_codes: Vec<(String, String)>,
}

/// A one-time enrolment link's state.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub account: Account,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub org_id: OrgId,
    pub account_id: AccountId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end, however active the session is.
    pub expires_at: DateTime<Utc>,
    pub second_factor: Option<SecondFactor>,
    pub user_agent: String,
    pub ip: String,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    /// Hash of the cookie's secret.
    pub secret_hash: String,
    pub account: Account,
    pub expires_at: DateTime<Utc>,
    pub second_factor: Option<SecondFactor>,
    pub user_agent: String,
    pub ip: String,
}

/// How many failures are free and how long the lockout may grow.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub free_failures: u32,
    pub first_block_seconds: i64,
    pub max_block_seconds: i64,
}

impl ThrottlePolicy {
    /// Per account: five tries, then 30 s, doubling, at most 15 minutes. Slow enough to
    /// stop guessing, short enough that an attacker cannot lock a person out for long.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        first_block_seconds: 30,
        max_block_seconds: 15 * 60,
    };
    /// Per address: more room (a town hall's staff share one address), then up to an hour.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        free_failures: 30,
        first_block_seconds: 30,
        max_block_seconds: 60 * 60,
    };

    /// The lockout after the `failures`-th failure, if any.
    pub fn block_after(&self, failures: u32) -> Option<chrono::Duration> {
        let over = failures.checked_sub(self.free_failures)?;
        let seconds = self
            .first_block_seconds
            .saturating_mul(1i64.checked_shl(over.min(30)).unwrap_or(i64::MAX))
            .min(self.max_block_seconds);
        Some(chrono::Duration::seconds(seconds))
    }
}

/// Failures so far for one key, and until when it is locked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Throttle {
    pub failures: u32,
    pub blocked_until: Option<DateTime<Utc>>,
}

impl Throttle {
    pub fn blocked_at(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.blocked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }
}

/// The answer to "may this attempt be checked?", given before the secret is looked at, so a
/// burst of attempts sent at once cannot all be checked before the first failure counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptReservation {
    /// The attempt is counted as a failure under every key already; a success refunds it.
    Granted(Reserved),
    /// A key is locked until then; nothing was counted.
    Locked { until: DateTime<Utc> },
}

/// An attempt counted before it was checked, with what counting it did to each key, so a
/// refund can undo exactly that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The longest lock counting this attempt started, to tell the person if it fails.
    pub lockout: Option<DateTime<Utc>>,
    pub keys: Vec<ReservedKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservedKey {
    pub key: String,
    /// The lock counting this attempt set on the key, if it did.
    pub locked_until: Option<DateTime<Utc>>,
    /// The key's (expired) lock before, which a refund puts back.
    pub previous: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_grow_and_are_capped() {
        let p = ThrottlePolicy::ACCOUNT;
        let secs = |n| p.block_after(n).map(|d| d.num_seconds());
        assert_eq!(
            (secs(4), secs(5), secs(6), secs(7)),
            (None, Some(30), Some(60), Some(120))
        );
        assert_eq!(secs(12), Some(900));
        assert_eq!(secs(1000), Some(900));
    }
}

/// A registered passkey. `passkey` is the credential as the WebAuthn library serialises
/// it (public key and signature counter); nothing in it is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPasskey {
    pub id: Uuid,
    pub account_id: AccountId,
    /// Base64url credential id, unique across all accounts.
    pub credential_id: String,
    pub passkey: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What a person does to one of their passkeys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasskeyChange {
    Rename(String),
    /// Lost or retired: it no longer signs anyone in.
    Remove,
}
