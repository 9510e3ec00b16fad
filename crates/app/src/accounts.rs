//! Accounts, enrolment links and API tokens: administrators (and operators at the command
//! line) make them; the demo seed makes its own the same way.

use crate::policy::{permit, Caller, UseCase};
use crate::sign_in::{masked, private_channel, Courier, Letter, NotSent};
use crate::{App, Error};
use beredskap_core::register::{
    Account, ApiToken, ContactKind, ContactLabel, ContactPoint, Org, PersonDraft, Role, Scope,
};
use beredskap_core::store::Conflict;
use beredskap_core::{EmailAddress, PhoneNumber, StoreError};
use beredskap_core::{FieldErrors, NewJournalEntry, Problem};
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

/// A new account as a form or a command line types it.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub name: String,
    pub login: String,
    pub role: String,
    pub mobile: String,
    pub private_email: String,
}

impl NewUserInput {
    /// Checks every field at once. A number written without a country code is read as the
    /// organisation's own region's.
    pub fn parse(&self, region: beredskap_core::Region) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", beredskap_core::register::parse_name(&self.name));
        let login = errors.check("login", EmailAddress::parse(self.login.trim()));
        let role = errors.check("role", Role::parse(&self.role));
        let mobile = match self.mobile.trim() {
            "" => None,
            raw => errors.check("mobile", PhoneNumber::parse(raw, region)),
        };
        let private_email = match self.private_email.trim() {
            "" => None,
            raw => errors.check("private_email", EmailAddress::parse(raw)),
        };
        if self.mobile.trim().is_empty() && self.private_email.trim().is_empty() {
            errors.add("mobile", Problem::NeedsPrivateChannel);
        }
        errors.into_result()?;
        match (name, login, role) {
            (Some(name), Some(login), Some(role)) => Ok(NewUser {
                name,
                login,
                role,
                mobile,
                private_email,
            }),
            _ => Err(FieldErrors::single("name", Problem::Missing)),
        }
    }
}

#[derive(Debug)]
pub struct CreatedUser {
    pub account: Account,
    /// The one-time enrolment link; shown once, stored only hashed.
    pub enrolment_link: String,
}

/// Creates a person, their account and a one-time enrolment link.
pub async fn create_user(
    app: &App,
    caller: &Caller,
    org: &Org,
    user: NewUser,
    public_url: &str,
    link_hours: u32,
) -> Result<CreatedUser, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let (store, actor) = (app.store(), &caller.actor());
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
        return Err(StoreError::Conflict(Conflict::AccountLogin).into());
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
        issue_enrolment(app, caller, org, &account, public_url, link_hours).await?;
    Ok(CreatedUser {
        account,
        enrolment_link,
    })
}

/// Issues a one-time enrolment link for an existing account.
pub async fn issue_enrolment(
    app: &App,
    caller: &Caller,
    org: &Org,
    account: &Account,
    public_url: &str,
    link_hours: u32,
) -> Result<String, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let link = LinkSettings {
        public_url,
        hours: link_hours,
    };
    Ok(make_enrolment(
        app.store(),
        &caller.actor(),
        org,
        account.id,
        &link,
        app.clock.now(),
    )
    .await?)
}

/// Where enrolment links point and how long they last.
#[derive(Debug, Clone, Copy)]
pub struct LinkSettings<'a> {
    pub public_url: &'a str,
    pub hours: u32,
}

/// A new one-time enrolment link for the account: its secret is stored only hashed.
pub(crate) async fn make_enrolment(
    store: &dyn beredskap_core::Store,
    actor: &beredskap_core::Actor,
    org: &Org,
    account: beredskap_core::AccountId,
    link: &LinkSettings<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, StoreError> {
    let secret = new_secret();
    let expires_at = now + chrono::Duration::hours(i64::from(link.hours));
    store
        .create_enrolment(actor, org.id, account, secret_hash(&secret), expires_at)
        .await?;
    Ok(format!("{}/enrol/{secret}", link.public_url))
}

/// Hands an enrolment link for `name` to `to` on `kind`: the SMS text, or the email, in the
/// organisation's language. The provider's name, or why not.
pub(crate) async fn post_enrolment_link(
    courier: &dyn Courier,
    org: &Org,
    name: &str,
    kind: ContactKind,
    to: &str,
    link: &str,
    hours: u32,
) -> Result<&'static str, NotSent> {
    let (subject, email, sms) = crate::messages::enrolment(org, name, link, hours);
    let letter = Letter {
        kind,
        to,
        subject: &subject,
        body: match kind {
            ContactKind::Sms => &sms,
            _ => &email,
        },
        from: org.sms_number.as_deref(),
    };
    courier.send_now(letter).await
}

/// The journal's record of a sent enrolment link: where (masked) and by which provider.
pub(crate) fn enrolment_sent(
    account: beredskap_core::AccountId,
    kind: ContactKind,
    to: &str,
    provider: &str,
) -> NewJournalEntry {
    NewJournalEntry::new(
        "enrolment.sent",
        format!("account:{account}"),
        serde_json::json!({
            "channel": kind,
            "to": masked(to),
            "provider": provider,
        }),
    )
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
/// may be down or already in an attacker's hands. `Invalid` on `contact_points` when no
/// provider reaches the person or the provider refused; `Unavailable` when it is down.
pub async fn send_enrolment_link(
    app: &App,
    caller: &Caller,
    courier: &dyn Courier,
    org: &Org,
    account: &Account,
    link: &str,
    link_hours: u32,
) -> Result<Delivery, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let person = app
        .store
        .person(org.id, account.person_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let Some(target) = private_channel(&person, courier) else {
        let problem = FieldErrors::single("contact_points", Problem::Unreachable);
        return Err(Error::Invalid(problem));
    };
    let provider = post_enrolment_link(
        courier,
        org,
        &person.name,
        target.kind,
        &target.value,
        link,
        link_hours,
    )
    .await
    .map_err(|e| match e {
        NotSent::Rejected(detail) => Error::Invalid(FieldErrors::single(
            "contact_points",
            Problem::Rejected { detail },
        )),
        NotSent::Unavailable(reason) => Error::Unavailable(reason),
    })?;
    let delivery = Delivery {
        channel: target.kind,
        to: masked(&target.value),
    };
    app.store
        .append_journal(
            &caller.actor(),
            org.id,
            enrolment_sent(account.id, target.kind, &target.value, provider),
        )
        .await?;
    Ok(delivery)
}

/// Issues an API token for an account; returns the token record and the secret to show once.
pub async fn issue_api_token(
    app: &App,
    caller: &Caller,
    org: &Org,
    account: &Account,
    label: &str,
    scopes: &[Scope],
) -> Result<(ApiToken, String), Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    let token = app
        .store
        .create_api_token(
            &caller.actor(),
            org.id,
            account.id,
            label.to_owned(),
            scopes.to_vec(),
            secret_hash(&secret),
        )
        .await?;
    Ok((token, secret))
}

/// Signs a device out: a person their own, an administrator anyone's (a lost phone, a
/// person who left). Someone else's session is not found for those who may not end it.
pub async fn end_session(
    app: &App,
    caller: &Caller,
    org: &Org,
    session: beredskap_core::auth::SessionId,
) -> Result<(), Error> {
    let own = match caller.account() {
        Some(account) => app
            .store
            .list_sessions(org.id, account.id, app.clock.now())
            .await?
            .iter()
            .any(|s| s.id == session),
        None => false,
    };
    if !own {
        permit(caller, UseCase::ManageAccounts).map_err(|_| StoreError::NotFound)?;
    }
    match app
        .store
        .revoke_session(&caller.actor(), org.id, session)
        .await?
    {
        true => Ok(()),
        false => Err(StoreError::NotFound.into()),
    }
}

/// Revokes an API token: an administrator any of the organisation's; anyone the token
/// they are calling with (`calling_with`).
pub async fn revoke_token(
    app: &App,
    caller: &Caller,
    org: &Org,
    token: beredskap_core::ApiTokenId,
    calling_with: Option<beredskap_core::ApiTokenId>,
) -> Result<(), Error> {
    if calling_with != Some(token) {
        permit(caller, UseCase::ManageAccounts)?;
    }
    match app
        .store
        .revoke_api_token(&caller.actor(), org.id, token)
        .await?
    {
        true => Ok(()),
        false => Err(StoreError::NotFound.into()),
    }
}

/// A person's own language for the pages (a code of the catalogue); it follows them to
/// their other devices. Unchanged if it is already theirs.
pub async fn choose_language(app: &App, caller: &Caller, code: &str) -> Result<(), Error> {
    // Only a person has a language of their own; an operator or Beredskap itself has none.
    let Some(account) = caller.account() else {
        return Err(StoreError::NotFound.into());
    };
    crate::settings::language_of_the_catalogue(code)?;
    if account.language.as_deref() == Some(code) {
        return Ok(());
    }
    Ok(app
        .store
        .set_account_language(
            &caller.actor(),
            account.org_id,
            account.id,
            Some(code.to_owned()),
        )
        .await?)
}

/// Everyone who can sign in to the organisation (administrators).
pub async fn list(app: &App, caller: &Caller, org: &Org) -> Result<Vec<Account>, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    Ok(app.store.list_accounts(org.id).await?)
}

/// The organisation's API tokens, revoked ones too (administrators).
pub async fn tokens(app: &App, caller: &Caller, org: &Org) -> Result<Vec<ApiToken>, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    Ok(app.store.list_api_tokens(org.id).await?)
}

/// An account's live sessions: one's own, or for administrators anyone's.
pub async fn sessions(
    app: &App,
    caller: &Caller,
    org: &Org,
    account: beredskap_core::AccountId,
) -> Result<Vec<beredskap_core::auth::Session>, Error> {
    if caller.account().is_none_or(|me| me.id != account) {
        permit(caller, UseCase::ManageAccounts)?;
    }
    Ok(app
        .store
        .list_sessions(org.id, account, app.clock.now())
        .await?)
}

/// A page of the organisation's journal, from `after` (administrators and operators).
pub async fn journal(
    app: &App,
    caller: &Caller,
    org: &Org,
    after: i64,
    limit: u32,
) -> Result<Vec<beredskap_core::JournalEntry>, Error> {
    permit(caller, UseCase::ReadJournal)?;
    if !(1..=1000).contains(&limit) {
        let problem = Problem::Range { min: 1, max: 1000 };
        return Err(Error::Invalid(FieldErrors::single("limit", problem)));
    }
    Ok(app.store.journal_page(org.id, after.max(0), limit).await?)
}

/// An account as its administrator sees it.
#[derive(Debug, Clone)]
pub struct AccountOverview {
    pub account: Account,
    /// The person's name, or empty when the person is gone.
    pub name: String,
    /// Whether the person has completed enrolment (chosen a password).
    pub activated: bool,
}

/// Every account with its person's name and whether it is activated (administrators).
pub async fn overview(
    app: &App,
    caller: &Caller,
    org: &Org,
) -> Result<Vec<AccountOverview>, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let names = crate::alerts::names(app.store(), org.id).await?;
    let mut rows = Vec::new();
    for account in app.store.list_accounts(org.id).await? {
        let credentials = app.store.credentials(org.id, account.id).await?;
        rows.push(AccountOverview {
            name: names.get(&account.person_id).cloned().unwrap_or_default(),
            activated: credentials.password_hash.is_some(),
            account,
        });
    }
    Ok(rows)
}

/// One account of the organisation, as [`overview`] shows it (administrators).
pub async fn one(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: beredskap_core::AccountId,
) -> Result<AccountOverview, Error> {
    permit(caller, UseCase::ManageAccounts)?;
    let account = app
        .store
        .list_accounts(org.id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(StoreError::NotFound)?;
    let name = app
        .store
        .person(org.id, account.person_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let activated = app
        .store
        .credentials(org.id, id)
        .await?
        .password_hash
        .is_some();
    Ok(AccountOverview {
        account,
        name,
        activated,
    })
}
