//! Accounts, enrolment links and API tokens. The command line and the demo seed use these,
//! so an account made either way is made the same way.

use crate::error::AppError;
use beredskap_core::register::{
    Account, ApiToken, ContactKind, ContactLabel, ContactPoint, Org, PersonDraft, Role,
};
use beredskap_core::{Actor, EmailAddress, PhoneNumber, Store};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// API tokens start with this, so a leaked one is easy to recognise and search for.
pub const TOKEN_PREFIX: &str = "bsk_";

/// A new random secret: 32 bytes from the operating system, hex-encoded.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Secrets are stored only as this hash. They carry 256 random bits, so a fast hash is
/// enough; passwords (issue 3) get Argon2id instead.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub struct NewUser {
    pub name: String,
    pub login: EmailAddress,
    pub role: Role,
    /// A mobile number to reach the person on, besides the login address.
    pub mobile: Option<PhoneNumber>,
}

pub struct CreatedUser {
    pub account: Account,
    /// The one-time enrolment link; shown once, stored only hashed.
    pub enrolment_link: String,
}

/// Creates a person, their account and a one-time enrolment link.
pub async fn create_user(
    store: &dyn Store,
    actor: &Actor,
    org: &Org,
    user: NewUser,
    public_url: &str,
    link_hours: u32,
) -> Result<CreatedUser, AppError> {
    let mut contact_points = Vec::new();
    if let Some(mobile) = &user.mobile {
        contact_points.push(ContactPoint {
            kind: ContactKind::Sms,
            label: ContactLabel::Work,
            value: mobile.as_str().to_owned(),
            verified: false,
        });
    }
    contact_points.push(ContactPoint {
        kind: ContactKind::Email,
        label: ContactLabel::Work,
        value: user.login.as_str().to_owned(),
        verified: false,
    });
    if store.account_by_login(org.id, &user.login).await?.is_some() {
        return Err(AppError::Conflict(beredskap_core::FieldErrors::single(
            "login",
            "already has an account",
        )));
    }
    let person = store
        .create_person(
            actor,
            org.id,
            PersonDraft {
                external_id: None,
                name: user.name,
                title: None,
                active: true,
                contact_points,
            },
        )
        .await?;
    let account = store
        .create_account(actor, org.id, person.id, user.login, user.role)
        .await?;
    let enrolment_link =
        issue_enrolment(store, actor, org, &account, public_url, link_hours).await?;
    Ok(CreatedUser {
        account,
        enrolment_link,
    })
}

/// Issues a one-time enrolment link for an existing account.
pub async fn issue_enrolment(
    store: &dyn Store,
    actor: &Actor,
    org: &Org,
    account: &Account,
    public_url: &str,
    link_hours: u32,
) -> Result<String, AppError> {
    let secret = new_secret();
    let expires_at = chrono::Utc::now() + chrono::Duration::hours(i64::from(link_hours));
    store
        .create_enrolment(actor, org.id, account.id, secret_hash(&secret), expires_at)
        .await?;
    Ok(format!("{public_url}/enrol/{secret}"))
}

/// Issues an API token for an account; returns the token record and the secret to show once.
pub async fn issue_api_token(
    store: &dyn Store,
    actor: &Actor,
    org: &Org,
    account: &Account,
    label: &str,
) -> Result<(ApiToken, String), AppError> {
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    let token = store
        .create_api_token(
            actor,
            org.id,
            account.id,
            label.to_owned(),
            secret_hash(&secret),
        )
        .await?;
    Ok((token, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hash_differently() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(secret_hash(&a), secret_hash(&b));
        assert_eq!(secret_hash(&a), secret_hash(&a.clone()));
    }
}
