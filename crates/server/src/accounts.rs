//! Sending an enrolment link through the configured providers; accounts, links and tokens
//! themselves are use cases of `beredskap_app::accounts`.

use crate::error::AppError;
use crate::notify::{masked, Notifier, NotifyError, OutgoingMessage};
use beredskap_core::register::{Account, ContactKind, ContactLabel, ContactPoint, Org};
use beredskap_core::Problem;
use beredskap_core::{Actor, NewJournalEntry, Store};

pub use beredskap_app::accounts::{new_secret, secret_hash, CreatedUser, NewUser, TOKEN_PREFIX};

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
