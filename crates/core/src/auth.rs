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
