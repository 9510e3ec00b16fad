//! Signing in, as use cases: who is calling (a session or an API token), the password,
//! the second step (a code from the app, a recovery code, a one-time code sent to the
//! person, or a passkey), a one-time code for people who have not enrolled, and enrolment.
//!
//! Everything checked, counted and journaled is here; the pages only show forms, set
//! cookies and speak the browser's half of passkeys. Every attempt is counted before its
//! secret is checked, so a burst cannot be checked past the limit, and refunded when the
//! secret was right or could not be checked.

use crate::accounts::{new_secret, secret_hash};
use crate::credentials::hashing::HashingPool;
use crate::credentials::{constant_time_eq, password, recovery, totp};
use crate::policy::{Caller, UseCase};
use crate::{App, Error};
use beredskap_core::auth::{
    AttemptReservation, Enrolment, NewCredentials, NewSession, PasskeyChange, Reserved,
    SecondFactor, Session, SessionId, StoredPasskey, ThrottlePolicy,
};
use beredskap_core::register::{Account, ContactKind, ContactLabel, ContactPoint, Org, Person};
use beredskap_core::register::{Role, TokenGrant};
use beredskap_core::{Actor, EmailAddress, NewJournalEntry, StoreError};
use chrono::Duration;
use rand::Rng;

/// How long the second step may take after the password was accepted.
pub const PENDING_MINUTES: i64 = 10;
/// Wrong codes allowed in one sign-in before it starts over.
pub const MAX_CODE_ATTEMPTS: u32 = 5;
/// How long a sent one-time code is valid.
pub const ONE_TIME_CODE_MINUTES: i64 = 10;

/// Codes asked for per login: three freely, then growing waits up to an hour, so nobody
/// can flood a person's phone.
const CODE_REQUESTS: ThrottlePolicy = ThrottlePolicy {
    free_failures: 3,
    first_block_seconds: 60,
    max_block_seconds: 3600,
};

/// A hash to verify against when the login is unknown, so a wrong login takes as long
/// as a wrong password and does not reveal which accounts exist. It has the parameters of
/// every stored hash; no password produces its all-zero output.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lkZWNveWRlY295$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// What signing in needs besides the store and the clock.
#[derive(Clone)]
pub struct SignIn {
    /// Where passwords and recovery codes are hashed and checked, a few at a time.
    pub hashing: HashingPool,
    /// How long a session lasts however active it is.
    pub session_max: Duration,
    /// How long a session lasts unused.
    pub session_idle: Duration,
}

/// Where a sign-in comes from, as the journal and the session list show it.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

/// Why a sign-in step was refused. Each is something to tell the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Wrong login or password, never which.
    WrongCredentials,
    /// Too many failures: nothing is checked for this long.
    Locked(Duration),
    /// Wrong (login, password or code), and counting it locked sign-in for this long.
    WrongNowLocked(Duration),
    /// The password was right, but the organisation asks for a second factor the person
    /// has not set up.
    SecondFactorMissing,
    /// Too many wrong codes in one sign-in: it starts over.
    TooManyAttempts,
    /// The code was wrong; another may be tried.
    WrongCode,
    /// No sign-in is waiting for its second step (it expired, or never began).
    NotStarted,
}

impl Refusal {
    /// A name for counting refusals (the server's metrics).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::WrongCredentials => "wrong_credentials",
            Refusal::Locked(_) => "locked",
            Refusal::WrongNowLocked(_) => "wrong_now_locked",
            Refusal::SecondFactorMissing => "second_factor_missing",
            Refusal::TooManyAttempts => "too_many_attempts",
            Refusal::WrongCode => "wrong_code",
            Refusal::NotStarted => "not_started",
        }
    }
}

/// A session just begun: its secret goes into the cookie and is stored only hashed.
#[derive(Debug)]
pub struct Started {
    pub secret: String,
    pub account: Account,
    pub org: Org,
    /// How long the cookie may live.
    pub max_age: Duration,
}

/// What the password step leads to.
#[derive(Debug)]
pub enum AfterPassword {
    /// Signed in (the organisation lets this person in on the password alone).
    SignedIn(Box<Started>),
    /// The second step is next, under this secret (for a cookie valid `valid_for`).
    SecondStep {
        pending_secret: String,
        valid_for: Duration,
    },
}

/// A signed-in person, from the secret in their cookie.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub account: Account,
    pub org: Org,
    /// The person's name, or the login when the person is gone.
    pub name: String,
}

/// The live session behind a cookie's secret: not revoked, not past its absolute end,
/// used within the idle limit. Activity is recorded at most once a minute.
pub async fn session(app: &App, sign_in: &SignIn, secret: &str) -> Result<Option<SignedIn>, Error> {
    let now = app.clock.now();
    let Some((session, account)) = app
        .store
        .session_by_secret(&secret_hash(secret), now)
        .await?
    else {
        return Ok(None);
    };
    if now - session.last_seen_at > sign_in.session_idle {
        return Ok(None);
    }
    if now - session.last_seen_at > Duration::minutes(1) {
        app.store.touch_session(session.id, now).await?;
    }
    let Some(org) = app.store.org(account.org_id).await? else {
        return Ok(None);
    };
    let name = app
        .store
        .person(org.id, account.person_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_else(|| account.login.to_string());
    Ok(Some(SignedIn {
        session,
        account,
        org,
        name,
    }))
}

/// The account and token behind an API token's secret, if it is live.
pub async fn token(app: &App, secret: &str) -> Result<Option<TokenGrant>, Error> {
    if !secret.starts_with(crate::accounts::TOKEN_PREFIX) {
        return Ok(None);
    }
    Ok(app.store.token_grant(&secret_hash(secret)).await?)
}

/// The keys failures are counted under: the login typed (known or not) and the address.
fn throttle_keys(org: &Org, login: &str, ip: &str) -> Vec<(String, ThrottlePolicy)> {
    vec![
        (
            format!("login:{}:{}", org.slug, login.trim().to_lowercase()),
            ThrottlePolicy::ACCOUNT,
        ),
        (format!("ip:{ip}"), ThrottlePolicy::ADDRESS),
    ]
}

/// Counts an attempt under every key before its secret is checked: what was counted (to
/// refund if the secret is right), or how long sign-in is still locked.
async fn reserve(
    app: &App,
    keys: &[(String, ThrottlePolicy)],
) -> Result<Result<Reserved, Duration>, Error> {
    let now = app.clock.now();
    Ok(match app.store.reserve_attempt(keys, now).await? {
        AttemptReservation::Granted(reserved) => Ok(reserved),
        AttemptReservation::Locked { until } => Err(until - now),
    })
}

/// A refused sign-in, as the journal records it (never the secret tried).
struct Failure<'a> {
    org: &'a Org,
    account: Option<&'a Account>,
    login: &'a str,
    reason: &'a str,
}

/// Journals a refused sign-in, already counted by `reserve`; returns the refusal: locked,
/// when counting this attempt locked sign-in, otherwise `otherwise`.
async fn refuse(
    app: &App,
    reserved: &Reserved,
    failure: Failure<'_>,
    client: &Client,
    otherwise: Refusal,
) -> Result<Refusal, Error> {
    let locked = reserved.lockout.map(|until| until - app.clock.now());
    let reason = match locked {
        Some(wait) => format!(
            "{}; sign-in locked for {} s",
            failure.reason,
            wait.num_seconds()
        ),
        None => failure.reason.to_owned(),
    };
    let account = failure.account.map(|a| a.id);
    app.store
        .record_sign_in_failure(failure.org.id, account, failure.login, &reason, &client.ip)
        .await?;
    Ok(locked.map_or(otherwise, Refusal::WrongNowLocked))
}

/// The first step: the organisation's login and password. An unknown login costs as much
/// as a wrong password and is answered the same way.
pub async fn with_password(
    app: &App,
    sign_in: &SignIn,
    org: &Org,
    login: &str,
    password: &str,
    client: &Client,
) -> Result<Result<AfterPassword, Refusal>, Error> {
    let store = app.store();
    let keys = throttle_keys(org, login, &client.ip);
    let reserved = match reserve(app, &keys).await? {
        Ok(reserved) => reserved,
        Err(wait) => return Ok(Err(Refusal::Locked(wait))),
    };
    let account = match EmailAddress::parse(login) {
        Ok(login) => store.account_by_login(org.id, &login).await?,
        Err(_) => None,
    };
    let credentials = match &account {
        Some(a) => Some(store.credentials(org.id, a.id).await?),
        None => None,
    };
    let stored_hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let checked_hash = stored_hash.clone().unwrap_or_else(|| DECOY_HASH.to_owned());
    let verified = match sign_in
        .hashing
        .verify(password.to_owned(), checked_hash)
        .await
    {
        Ok(verified) => verified,
        Err(busy) => {
            // Not checked, so not counted.
            store.refund_attempt(&reserved).await?;
            return Err(busy.into());
        }
    };
    let account = match (account, verified && stored_hash.is_some()) {
        (Some(account), true) => account,
        (account, _) => {
            let reason = match account {
                None => "unknown login",
                Some(_) => "wrong password",
            };
            let failure = Failure {
                org,
                account: account.as_ref(),
                login,
                reason,
            };
            let refusal = Refusal::WrongCredentials;
            return Ok(Err(refuse(app, &reserved, failure, client, refusal).await?));
        }
    };
    // The password was right: this attempt was no failure.
    store.refund_attempt(&reserved).await?;
    let has_totp = credentials.is_some_and(|c| c.totp_secret.is_some());
    let has_passkey = !store.passkeys(org.id, account.id).await?.is_empty();
    if !has_totp && !has_passkey {
        if org.needs_second_factor(account.role) {
            // The password was right, so saying what is missing reveals nothing new.
            store
                .record_sign_in_failure(
                    org.id,
                    Some(account.id),
                    login,
                    "no second factor",
                    &client.ip,
                )
                .await?;
            return Ok(Err(Refusal::SecondFactorMissing));
        }
        let started = start_session(app, sign_in, None, &keys, account, None, client).await?;
        return Ok(Ok(AfterPassword::SignedIn(Box::new(started))));
    }
    let pending_secret = new_secret();
    let valid_for = Duration::minutes(PENDING_MINUTES);
    store
        .create_pending_sign_in(
            &secret_hash(&pending_secret),
            &account,
            app.clock.now() + valid_for,
            None,
        )
        .await?;
    Ok(Ok(AfterPassword::SecondStep {
        pending_secret,
        valid_for,
    }))
}

/// A sign-in between its first and second step.
#[derive(Debug, Clone)]
pub struct Pending {
    hash: String,
    pub account: Account,
    /// Set when the second step is a one-time code sent to the person.
    code_hash: Option<String>,
}

impl Pending {
    /// Where a passkey ceremony for this sign-in is kept between its two requests.
    pub fn ceremony_key(&self) -> String {
        format!("sign-in:{}", self.hash)
    }
}

/// The passkeys of the person whose sign-in waits, for the browser to choose from.
pub async fn pending_passkeys(app: &App, pending: &Pending) -> Result<Vec<StoredPasskey>, Error> {
    let account = &pending.account;
    Ok(app.store.passkeys(account.org_id, account.id).await?)
}

/// The sign-in waiting for its second step under `pending_secret`, if it has not expired.
pub async fn pending(app: &App, pending_secret: &str) -> Result<Option<Pending>, Error> {
    let hash = secret_hash(pending_secret);
    Ok(app
        .store
        .pending_sign_in(&hash, app.clock.now())
        .await?
        .map(|(account, _attempts, code_hash)| Pending {
            hash,
            account,
            code_hash,
        }))
}

/// One try at the second step, counted before anything is checked. Either
/// [`end_second_step`] or [`abandon`] must follow.
#[derive(Debug)]
pub struct Attempt {
    pub pending: Pending,
    org: Org,
    keys: Vec<(String, ThrottlePolicy)>,
    reserved: Reserved,
    attempts: u32,
}

/// Counts a try at the second step, both for this sign-in (at most
/// [`MAX_CODE_ATTEMPTS`], however many arrive at once) and for the login and address.
pub async fn begin_second_step(
    app: &App,
    pending_secret: &str,
    client: &Client,
) -> Result<Result<Attempt, Refusal>, Error> {
    let store = app.store();
    let Some(pending) = pending(app, pending_secret).await? else {
        return Ok(Err(Refusal::NotStarted));
    };
    let Some(org) = store.org(pending.account.org_id).await? else {
        return Ok(Err(Refusal::NotStarted));
    };
    let reserved = store
        .reserve_pending_attempt(&pending.hash, MAX_CODE_ATTEMPTS, app.clock.now())
        .await?;
    let Some(attempts) = reserved else {
        store.delete_pending_sign_in(&pending.hash).await?;
        return Ok(Err(Refusal::TooManyAttempts));
    };
    let keys = throttle_keys(&org, pending.account.login.as_str(), &client.ip);
    let reserved = match reserve(app, &keys).await? {
        Ok(reserved) => reserved,
        Err(wait) => {
            store.delete_pending_sign_in(&pending.hash).await?;
            return Ok(Err(Refusal::Locked(wait)));
        }
    };
    Ok(Ok(Attempt {
        pending,
        org,
        keys,
        reserved,
        attempts,
    }))
}

/// An attempt whose proof could not be checked (the server was busy, or failed): it is
/// not counted.
pub async fn abandon(app: &App, attempt: Attempt) -> Result<(), Error> {
    Ok(app.store.refund_attempt(&attempt.reserved).await?)
}

/// What the second step proved.
#[derive(Debug)]
pub enum Proof {
    /// The person proved it with this factor.
    Proven(SecondFactor),
    /// The person proved it with a passkey; its new signature counter, which reveals a
    /// cloned authenticator, is kept: (credential id, the passkey as stored).
    Passkey { updated: Vec<(String, String)> },
    /// Refused, with the reason the journal records.
    Failed(String),
}

/// Ends a try at the second step: a session when the proof holds, otherwise the refusal
/// (and the sign-in starts over when it used its tries or locked the login).
pub async fn end_second_step(
    app: &App,
    sign_in: &SignIn,
    attempt: Attempt,
    proof: Proof,
    client: &Client,
) -> Result<Result<Started, Refusal>, Error> {
    let store = app.store();
    let Attempt {
        pending,
        org,
        keys,
        reserved,
        attempts,
    } = attempt;
    let factor = match proof {
        Proof::Proven(factor) => factor,
        Proof::Passkey { updated } => {
            for (credential_id, passkey) in updated {
                let (account, now) = (pending.account.id, app.clock.now());
                store
                    .passkey_used(account, &credential_id, &passkey, now)
                    .await?;
            }
            SecondFactor::Passkey
        }
        Proof::Failed(reason) => {
            let login = pending.account.login.to_string();
            let failure = Failure {
                org: &org,
                account: Some(&pending.account),
                login: &login,
                reason: &reason,
            };
            let refusal = refuse(app, &reserved, failure, client, Refusal::WrongCode).await?;
            if matches!(refusal, Refusal::WrongNowLocked(_)) {
                store.delete_pending_sign_in(&pending.hash).await?;
                return Ok(Err(refusal));
            }
            if attempts >= MAX_CODE_ATTEMPTS {
                store.delete_pending_sign_in(&pending.hash).await?;
                return Ok(Err(Refusal::TooManyAttempts));
            }
            return Ok(Err(refusal));
        }
    };
    store.refund_attempt(&reserved).await?;
    let started = start_session(
        app,
        sign_in,
        Some(&pending.hash),
        &keys,
        pending.account,
        Some(factor),
        client,
    )
    .await?;
    Ok(Ok(started))
}

/// The second step with a typed code: one sent to the person when the sign-in began with
/// one, otherwise a code from the authenticator app or a printed recovery code.
pub async fn with_code(
    app: &App,
    sign_in: &SignIn,
    pending_secret: &str,
    code: &str,
    client: &Client,
) -> Result<Result<Started, Refusal>, Error> {
    let attempt = match begin_second_step(app, pending_secret, client).await? {
        Ok(attempt) => attempt,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let factor = match check_code(app, sign_in, &attempt.pending, code).await {
        Ok(factor) => factor,
        Err(e) => {
            abandon(app, attempt).await?;
            return Err(e);
        }
    };
    let proof = match factor {
        Some(factor) => Proof::Proven(factor),
        None => Proof::Failed("wrong code".to_owned()),
    };
    end_second_step(app, sign_in, attempt, proof, client).await
}

/// Checks a typed code; a TOTP step or recovery code that matches is used up.
async fn check_code(
    app: &App,
    sign_in: &SignIn,
    pending: &Pending,
    code: &str,
) -> Result<Option<SecondFactor>, Error> {
    let (store, account) = (app.store(), &pending.account);
    // A sign-in begun with a sent code takes that code and nothing else.
    if let Some(expected) = &pending.code_hash {
        let typed: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
        let matches = constant_time_eq(secret_hash(&typed).as_bytes(), expected.as_bytes());
        return Ok(matches.then_some(SecondFactor::FallbackCode));
    }
    let credentials = store.credentials(account.org_id, account.id).await?;
    if let Some(secret) = &credentials.totp_secret {
        let now = u64::try_from(app.clock.now().timestamp()).unwrap_or(0);
        if let Some(step) = totp::verify(secret, code, now, credentials.totp_last_step) {
            if store
                .use_totp_step(account.org_id, account.id, step)
                .await?
            {
                return Ok(Some(SecondFactor::Totp));
            }
        }
    }
    if let Some((id, secret)) = recovery::parse(code) {
        let stored = store
            .recovery_code_hash(account.org_id, account.id, &id)
            .await?;
        if let Some(hash) = stored {
            let actor = Actor::account(account.id);
            if sign_in.hashing.verify(secret, hash).await?
                && store
                    .use_recovery_code(&actor, account.org_id, account.id, &id)
                    .await?
            {
                return Ok(Some(SecondFactor::RecoveryCode));
            }
        }
    }
    Ok(None)
}

/// Ends a pending sign-in with a session. The attempt that got here was refunded; the
/// login's earlier failures are forgotten.
async fn start_session(
    app: &App,
    sign_in: &SignIn,
    pending_hash: Option<&str>,
    keys: &[(String, ThrottlePolicy)],
    account: Account,
    factor: Option<SecondFactor>,
    client: &Client,
) -> Result<Started, Error> {
    let store = app.store();
    if let Some(hash) = pending_hash {
        store.delete_pending_sign_in(hash).await?;
    }
    if let Some((login_key, _)) = keys.first() {
        store.clear_throttle(login_key).await?;
    }
    let org = store
        .org(account.org_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let secret = new_secret();
    store
        .create_session(NewSession {
            id: SessionId::new(),
            secret_hash: secret_hash(&secret),
            account: account.clone(),
            expires_at: app.clock.now() + sign_in.session_max,
            second_factor: factor,
            user_agent: client.user_agent.clone(),
            ip: client.ip.clone(),
        })
        .await?;
    Ok(Started {
        secret,
        account,
        org,
        max_age: sign_in.session_max,
    })
}

/// Sends a message at once, outside the alerting outbox: sign-in codes and enrolment
/// links, which are worth nothing later.
#[async_trait::async_trait]
pub trait Courier: Send + Sync {
    /// Whether a configured provider sends to this kind of address.
    fn reaches(&self, kind: ContactKind) -> bool;
    /// Sends `subject` and `body` to `to`; the provider's name, or why not.
    async fn send_now(&self, message: Letter<'_>) -> Result<&'static str, NotSent>;
}

/// One message for [`Courier::send_now`].
#[derive(Debug, Clone)]
pub struct Letter<'a> {
    pub kind: ContactKind,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// The organisation's own sender number for SMS, if it has one.
    pub from: Option<&'a str>,
}

/// Why a [`Courier`] did not send.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NotSent {
    /// The provider refused this address or message; trying again will not help.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The provider is down or unreachable.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// The first of a person's contact points that is verified, is an SMS number or a private
/// email address (never the work address, which may be down or in an attacker's hands),
/// and that a configured provider can reach.
pub fn private_channel<'p>(person: &'p Person, courier: &dyn Courier) -> Option<&'p ContactPoint> {
    person.contact_points.iter().find(|cp| {
        cp.verified
            && (cp.kind == ContactKind::Sms
                || (cp.kind == ContactKind::Email && cp.label == ContactLabel::Private))
            && courier.reaches(cp.kind)
    })
}

/// An address shown to an operator or journaled: enough to recognise, not to use.
pub fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let keep: String = local.chars().take(2).collect();
            format!("{keep}***@{domain}")
        }
        None => {
            let chars: Vec<char> = address.chars().collect();
            if chars.len() <= 6 {
                return "*".repeat(chars.len());
            }
            let head: String = chars[..5].iter().collect();
            let tail: String = chars[chars.len() - 2..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
        }
    }
}

/// Asks for a one-time code for someone who has not enrolled yet, when the organisation
/// allows it. Returns the pending sign-in's secret whether or not a code was sent (the
/// answer must look the same either way), or how long asking is locked. Every request
/// counts against the login before anything is sent, so a burst cannot send more codes
/// than the limit.
pub async fn ask_for_one_time_code(
    app: &App,
    courier: &dyn Courier,
    org: &Org,
    login: &str,
    client: &Client,
) -> Result<Result<String, Duration>, Error> {
    let mut keys = throttle_keys(org, login, &client.ip);
    let now = app.clock.now();
    for (key, _) in &keys {
        if let Some(wait) = app.store.throttle(key).await?.blocked_at(now) {
            return Ok(Err(wait));
        }
    }
    let requests = (
        format!("code:{}:{}", org.slug, login.trim().to_lowercase()),
        CODE_REQUESTS,
    );
    keys.clear();
    keys.push(requests);
    if let Err(wait) = reserve(app, &keys).await? {
        return Ok(Err(wait));
    }
    let secret = new_secret();
    send_one_time_code(app, courier, org, login, &secret_hash(&secret)).await?;
    Ok(Ok(secret))
}

/// Sends a code when every rule allows it; returns whether one was sent. Why not is
/// logged for operators, never shown.
async fn send_one_time_code(
    app: &App,
    courier: &dyn Courier,
    org: &Org,
    login: &str,
    pending_hash: &str,
) -> Result<bool, Error> {
    let store = app.store();
    if !org.fallback_sign_in {
        return Ok(false);
    }
    let Ok(login) = EmailAddress::parse(login) else {
        return Ok(false);
    };
    let Some(account) = store.account_by_login(org.id, &login).await? else {
        return Ok(false);
    };
    // Administrators and crisis leads always need their own second factor.
    if matches!(account.role, Role::Admin | Role::CrisisLead) {
        return Ok(false);
    }
    if store
        .credentials(org.id, account.id)
        .await?
        .password_hash
        .is_some()
    {
        return Ok(false); // enrolled: signs in with their own factors
    }
    let Some(person) = store.person(org.id, account.person_id).await? else {
        return Ok(false);
    };
    let Some(target) = private_channel(&person, courier) else {
        return Ok(false);
    };
    let code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
    let expires = app.clock.now() + Duration::minutes(ONE_TIME_CODE_MINUTES);
    store
        .create_pending_sign_in(pending_hash, &account, expires, Some(&secret_hash(&code)))
        .await?;
    let (subject, body) = crate::messages::one_time_code(org, &code, ONE_TIME_CODE_MINUTES);
    let letter = Letter {
        kind: target.kind,
        to: &target.value,
        subject: &subject,
        body: &body,
        from: org.sms_number.as_deref(),
    };
    if let Err(e) = courier.send_now(letter).await {
        tracing::warn!(error = %e, "one-time sign-in code not sent");
        return Ok(false);
    }
    let channel = match target.kind {
        ContactKind::Sms => "sms",
        _ => "email",
    };
    store
        .append_journal(
            &Actor::system(),
            org.id,
            NewJournalEntry::new(
                "signin.code_sent",
                format!("account:{}", account.id),
                serde_json::json!({ "channel": channel, "to": masked(&target.value) }),
            ),
        )
        .await?;
    Ok(true)
}

/// An enrolment link that can be used, with what its page shows.
#[derive(Debug, Clone)]
pub struct OpenEnrolment {
    pub enrolment: Enrolment,
    /// The person's name, to greet them and to keep out of their password.
    pub name: String,
    /// The organisation lets this person sign in without the authenticator app.
    pub app_optional: bool,
}

/// Why an enrolment link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Used,
    Expired,
}

/// The enrolment behind a link, or why it cannot be used.
pub async fn open_enrolment(
    app: &App,
    link_secret: &str,
) -> Result<Result<OpenEnrolment, LinkProblem>, Error> {
    let store = app.store();
    let Some(enrolment) = store.enrolment(&secret_hash(link_secret)).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if enrolment.used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if enrolment.expires_at <= app.clock.now() {
        return Ok(Err(LinkProblem::Expired));
    }
    let account = &enrolment.account;
    let name = store
        .person(account.org_id, account.person_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let app_optional = store
        .org(account.org_id)
        .await?
        .is_some_and(|org| !org.needs_second_factor(account.role));
    Ok(Ok(OpenEnrolment {
        enrolment,
        name,
        app_optional,
    }))
}

/// What a person sends from the enrolment page.
#[derive(Debug, Clone)]
pub struct EnrolmentAnswers {
    pub password: String,
    pub password_again: String,
    /// The app secret the page showed (base32), sent back so the QR code stays valid when
    /// the form comes back with a problem.
    pub totp_secret: String,
    /// The code the app shows; empty when the person skips the app where allowed.
    pub code: String,
}

/// What is wrong with an enrolment form, all at once.
#[derive(Debug, Clone)]
pub struct EnrolmentProblems {
    pub password: Option<PasswordAnswerProblem>,
    /// The app's code did not match (or was missing where the app is required).
    pub wrong_code: bool,
    /// The app secret to show again.
    pub totp_secret: Vec<u8>,
    /// The enrolment, to show its form again.
    pub open: OpenEnrolment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordAnswerProblem {
    Weak(password::PasswordProblem),
    Differ,
}

/// How an enrolment ended.
#[derive(Debug)]
pub enum EnrolmentOutcome {
    /// Done: the recovery codes to print, shown once.
    Enrolled {
        recovery_codes: Vec<String>,
        org: Org,
    },
    Link(LinkProblem),
    Form(EnrolmentProblems),
}

/// A fresh secret for the authenticator app, or the one the form sent back if it is one.
pub fn enrolment_app_secret(sent: Option<&str>) -> Vec<u8> {
    sent.and_then(|s| {
        totp_rs::Secret::Encoded(s.to_owned())
            .to_bytes()
            .ok()
            .filter(|s| s.len() >= 16)
    })
    .unwrap_or_else(totp::new_secret)
}

/// Completes an enrolment: a strong password, the app confirmed by a code from it (unless
/// the organisation lets this person skip it), and a set of recovery codes.
pub async fn complete_enrolment(
    app: &App,
    sign_in: &SignIn,
    link_secret: &str,
    answers: EnrolmentAnswers,
) -> Result<EnrolmentOutcome, Error> {
    let open = match open_enrolment(app, link_secret).await? {
        Ok(open) => open,
        Err(problem) => return Ok(EnrolmentOutcome::Link(problem)),
    };
    let totp_secret = enrolment_app_secret(Some(&answers.totp_secret));
    let login = open.enrolment.account.login.to_string();
    let password_problem = match password::check_strength(&answers.password, &[&open.name, &login])
    {
        Err(problem) => Some(PasswordAnswerProblem::Weak(problem)),
        Ok(()) if answers.password != answers.password_again => Some(PasswordAnswerProblem::Differ),
        Ok(()) => None,
    };
    let now = app.clock.now();
    let now_unix = u64::try_from(now.timestamp()).unwrap_or(0);
    let skipped = open.app_optional && answers.code.trim().is_empty();
    let step = totp::verify(&totp_secret, &answers.code, now_unix, None);
    let wrong_code = step.is_none() && !skipped;
    if password_problem.is_some() || wrong_code {
        return Ok(EnrolmentOutcome::Form(EnrolmentProblems {
            password: password_problem,
            wrong_code,
            totp_secret,
            open,
        }));
    }
    let codes = recovery::new_set();
    // The password first, then the recovery codes' secrets, in one job for the pool.
    let secrets = std::iter::once(answers.password)
        .chain(codes.iter().map(|c| c.secret.clone()))
        .collect();
    let mut hashes = sign_in
        .hashing
        .hash_all(secrets)
        .await?
        .map_err(|e| Error::Internal(e.to_string()))?
        .into_iter();
    let password_hash = hashes
        .next()
        .ok_or_else(|| Error::Internal("no password hash".into()))?;
    let credentials = NewCredentials {
        password_hash,
        totp_secret: step.map(|_| totp_secret),
        totp_last_step: step,
        recovery_codes: codes
            .iter()
            .zip(hashes)
            .map(|(c, h)| (c.id.clone(), h))
            .collect(),
    };
    match app
        .store
        .complete_enrolment(&secret_hash(link_secret), credentials, now)
        .await
    {
        Ok(_) => {}
        // Used or expired between opening the form and sending it.
        Err(StoreError::Invalid(_)) => return Ok(EnrolmentOutcome::Link(LinkProblem::Used)),
        Err(e) => return Err(e.into()),
    }
    let org = app
        .store
        .org(open.enrolment.account.org_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(EnrolmentOutcome::Enrolled {
        recovery_codes: codes.into_iter().map(|c| c.printed).collect(),
        org,
    })
}

/// The caller's own passkeys.
pub async fn passkeys(app: &App, caller: &Caller, org: &Org) -> Result<Vec<StoredPasskey>, Error> {
    let me = crate::conversation::person(caller, UseCase::OwnPasskeys)?;
    Ok(app.store.passkeys(org.id, me.id).await?)
}

/// Keeps a passkey the caller's browser has just made (checked by the relying party).
pub async fn add_passkey(
    app: &App,
    caller: &Caller,
    org: &Org,
    credential_id: &str,
    passkey: &str,
    name: &str,
) -> Result<StoredPasskey, Error> {
    let me = crate::conversation::person(caller, UseCase::OwnPasskeys)?;
    Ok(app
        .store
        .add_passkey(&caller.actor(), org.id, me.id, credential_id, passkey, name)
        .await?)
}

/// Renames or removes one of the caller's own passkeys; another's is not found.
pub async fn change_passkey(
    app: &App,
    caller: &Caller,
    org: &Org,
    id: uuid::Uuid,
    change: PasskeyChange,
) -> Result<(), Error> {
    let me = crate::conversation::person(caller, UseCase::OwnPasskeys)?;
    match app
        .store
        .change_passkey(&caller.actor(), org.id, me.id, id, change)
        .await?
    {
        true => Ok(()),
        false => Err(StoreError::NotFound.into()),
    }
}

/// The organisations on this server, for the sign-in page to find the one a person
/// means (it lists them only when the operator allows it).
pub async fn organisations(app: &App) -> Result<Vec<Org>, Error> {
    Ok(app.store.list_orgs().await?)
}

/// The organisation with this short name, if there is one.
pub async fn organisation(app: &App, slug: &beredskap_core::Slug) -> Result<Option<Org>, Error> {
    Ok(app.store.org_by_slug(slug).await?)
}

/// Keeps a passkey ceremony's state (the relying party's, opaque here) between its
/// challenge and the browser's answer, for `minutes`.
pub async fn keep_ceremony(
    app: &App,
    key: &str,
    account: beredskap_core::AccountId,
    state: &str,
    minutes: i64,
) -> Result<(), Error> {
    let expires = app.clock.now() + Duration::minutes(minutes);
    Ok(app
        .store
        .save_ceremony(key, account, state, expires)
        .await?)
}

/// A kept ceremony's account and state, once: taking it ends it.
pub async fn take_ceremony(
    app: &App,
    key: &str,
) -> Result<Option<(beredskap_core::AccountId, String)>, Error> {
    Ok(app.store.take_ceremony(key, app.clock.now()).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_masked() {
        assert_eq!(super::masked("+46701234567"), "+4670*****67");
        assert_eq!(super::masked("anna@example.org"), "an***@example.org");
    }
}
