//! Accounts, enrolment links and API tokens. The command line and the demo seed use these,
//! so an account made either way is made the same way.

use crate::error::AppError;
use crate::notify::{masked, Notifier, NotifyError, OutgoingMessage};
use beredskap_core::register::{
    Account, ApiToken, ContactKind, ContactLabel, ContactPoint, Org, PersonDraft, Role, Scope,
};
use beredskap_core::Problem;
use beredskap_core::{Actor, EmailAddress, NewJournalEntry, PhoneNumber, Store};
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
    /// A mobile number to reach the person on. The administrator giving it vouches for
    /// it, so it counts as verified (the journal records who gave it).
    pub mobile: Option<PhoneNumber>,
    /// A private email address, likewise vouched for by the administrator.
    pub private_email: Option<EmailAddress>,
}

#[derive(Debug)]
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
    now: chrono::DateTime<chrono::Utc>,
) -> Result<CreatedUser, AppError> {
    let mut contact_points = Vec::new();
    if let Some(mobile) = &user.mobile {
        contact_points.push(ContactPoint {
            kind: ContactKind::Sms,
            label: ContactLabel::Work,
            value: mobile.as_str().to_owned(),
            verified: true,
        });
    }
    if let Some(private) = &user.private_email {
        contact_points.push(ContactPoint {
            kind: ContactKind::Email,
            label: ContactLabel::Private,
            value: private.as_str().to_owned(),
            verified: true,
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
            Problem::HasAccount,
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
        issue_enrolment(store, actor, org, &account, public_url, link_hours, now).await?;
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
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, AppError> {
    let secret = new_secret();
    let expires_at = now + chrono::Duration::hours(i64::from(link_hours));
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
    scopes: &[Scope],
) -> Result<(ApiToken, String), AppError> {
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    let token = store
        .create_api_token(
            actor,
            org.id,
            account.id,
            label.to_owned(),
            scopes.to_vec(),
            secret_hash(&secret),
        )
        .await?;
    Ok((token, secret))
}

/// Where an enrolment link was sent.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub channel: ContactKind,
    /// The address, mostly hidden, for the operator's screen.
    pub to: String,
}

/// Sends an enrolment link to the person's first verified SMS number or private email
/// address that a configured provider can reach — never to the work email alone, which
/// may be down or already in an attacker's hands.
pub async fn send_enrolment_link(
    store: &dyn Store,
    notifier: &Notifier,
    actor: &Actor,
    org: &Org,
    account: &Account,
    link: &str,
    link_hours: u32,
) -> Result<Delivery, AppError> {
    let person = store
        .person(org.id, account.person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(target) = private_channel(&person, notifier) else {
        return Err(AppError::invalid("contact_points", Problem::Unreachable));
    };
    let provider = notifier
        .for_kind(target.kind)
        .ok_or(AppError::Unavailable("no provider".into()))?;
    let text = enrolment_text(org, &person.name, link, link_hours);
    let message = OutgoingMessage {
        to: target.value.clone(),
        subject: text.0,
        body: if target.kind == ContactKind::Sms {
            text.2
        } else {
            text.1
        },
        idempotency_key: None,
        link: None,
        from: org.sms_number.clone(),
    };
    provider.send(&message).await.map_err(|e| match e {
        NotifyError::Rejected(detail) => {
            AppError::invalid("contact_points", Problem::Rejected { detail })
        }
        other => AppError::Unavailable(other.to_string()),
    })?;
    let delivery = Delivery {
        channel: target.kind,
        to: masked(&target.value),
    };
    store
        .append_journal(
            actor,
            org.id,
            NewJournalEntry::new(
                "enrolment.sent",
                format!("account:{}", account.id),
                serde_json::json!({
                    "channel": target.kind,
                    "to": &delivery.to,
                    "provider": provider.name(),
                }),
            ),
        )
        .await?;
    Ok(delivery)
}

/// The first of a person's contact points that is verified, is an SMS number or a private
/// email address (never the work address, which may be down or in an attacker's hands),
/// and that a configured provider can reach.
pub fn private_channel<'p>(
    person: &'p beredskap_core::register::Person,
    notifier: &Notifier,
) -> Option<&'p ContactPoint> {
    person.contact_points.iter().find(|cp| {
        cp.verified
            && (cp.kind == ContactKind::Sms
                || (cp.kind == ContactKind::Email && cp.label == ContactLabel::Private))
            && notifier.for_kind(cp.kind).is_some()
    })
}

/// Subject, email body and SMS text, in the organisation's language.
fn enrolment_text(org: &Org, name: &str, link: &str, hours: u32) -> (String, String, String) {
    beredskap_app::messages::enrolment(org, name, link, hours)
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
