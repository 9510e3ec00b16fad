//! Signing in as use cases, with no HTTP: enrolment, password, second step, one-time codes
//! through a courier, and the session found again from its secret.

use crate::world::World;
use beredskap_app::credentials::hashing::HashingPool;
use beredskap_app::credentials::totp;
use beredskap_app::sign_in::{
    self, AfterPassword, Client, Courier, EnrolmentAnswers, EnrolmentOutcome, Letter, LinkProblem,
    NotSent, PasswordAnswerProblem, Refusal, SignIn,
};
use beredskap_app::{accounts, settings, Caller};
use beredskap_core::auth::SecondFactor;
use beredskap_core::register::{ContactKind, Role};
use beredskap_core::Actor;
use std::sync::Mutex;

const PASSWORD: &str = "korrekt häst batteri häftstift";

fn sign_in() -> SignIn {
    SignIn {
        hashing: HashingPool::new(1, 8).unwrap(),
        session_max: chrono::Duration::hours(24),
        session_idle: chrono::Duration::minutes(240),
    }
}

fn client() -> &'static Client {
    static CLIENT: std::sync::OnceLock<Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| Client {
        ip: "192.0.2.7".into(),
        user_agent: "test".into(),
    })
}

/// Keeps what it was asked to send.
#[derive(Default)]
pub(crate) struct KeptLetters(pub Mutex<Vec<(ContactKind, String, String)>>);

#[async_trait::async_trait]
impl Courier for KeptLetters {
    fn reaches(&self, kind: ContactKind) -> bool {
        kind == ContactKind::Sms
    }

    async fn send_now(&self, letter: Letter<'_>) -> Result<&'static str, NotSent> {
        let kept = (letter.kind, letter.to.to_owned(), letter.body.to_owned());
        self.0.lock().unwrap().push(kept);
        Ok("kept")
    }
}

fn operator() -> Caller {
    Caller::Operator(Actor::cli("test"))
}

/// The secret at the end of an enrolment link for `role`'s account.
async fn enrolment_secret(world: &World, role: Role) -> String {
    let account = world.accounts.iter().find(|a| a.role == role).unwrap();
    let link = accounts::issue_enrolment(
        &world.app,
        &operator(),
        &world.org,
        account,
        "https://b",
        72,
    )
    .await
    .unwrap();
    link.rsplit('/').next().unwrap().to_owned()
}

fn now_unix(world: &World) -> u64 {
    u64::try_from(world.app.clock.now().timestamp()).unwrap()
}

#[tokio::test]
async fn a_person_enrols_then_signs_in_with_password_and_app_and_is_found_by_the_cookie() {
    let world = World::new().await;
    let (app, gate) = (&world.app, sign_in());
    let link = enrolment_secret(&world, Role::CrisisLead).await;
    let open = sign_in::open_enrolment(app, &link).await.unwrap().unwrap();
    assert!(!open.app_optional, "a crisis lead always needs the app");

    // A weak password and a wrong code: both told at once, and the app secret kept.
    let app_secret = sign_in::enrolment_app_secret(None);
    let shown = totp::secret_base32(&app_secret);
    let answers = |password: &str, code: &str| EnrolmentAnswers {
        password: password.into(),
        password_again: password.into(),
        totp_secret: shown.clone(),
        code: code.into(),
    };
    let EnrolmentOutcome::Form(problems) =
        sign_in::complete_enrolment(app, &gate, &link, answers("Sommar2026!!!", "000000"))
            .await
            .unwrap()
    else {
        panic!("a weak password enrolled");
    };
    assert!(matches!(
        problems.password,
        Some(PasswordAnswerProblem::Weak(_))
    ));
    assert!(problems.wrong_code);
    assert_eq!(problems.totp_secret, app_secret);

    let code = totp::code_now(&app_secret, now_unix(&world)).unwrap();
    let EnrolmentOutcome::Enrolled { recovery_codes, .. } =
        sign_in::complete_enrolment(app, &gate, &link, answers(PASSWORD, &code))
            .await
            .unwrap()
    else {
        panic!("not enrolled");
    };
    assert_eq!(recovery_codes.len(), 10);
    assert!(matches!(
        sign_in::open_enrolment(app, &link).await.unwrap(),
        Err(LinkProblem::Used)
    ));

    // A wrong password is refused without saying which part was wrong, and journaled.
    let login = "p2@lillby.se";
    let wrong = sign_in::with_password(app, &gate, &world.org, login, "fel fel fel fel", client());
    assert_eq!(wrong.await.unwrap().unwrap_err(), Refusal::WrongCredentials);
    let unknown = sign_in::with_password(
        app,
        &gate,
        &world.org,
        "nobody@lillby.se",
        PASSWORD,
        client(),
    );
    assert_eq!(
        unknown.await.unwrap().unwrap_err(),
        Refusal::WrongCredentials
    );

    // The right password leads to the second step; the code used at enrolment is spent.
    let AfterPassword::SecondStep { pending_secret, .. } =
        sign_in::with_password(app, &gate, &world.org, login, PASSWORD, client())
            .await
            .unwrap()
            .unwrap()
    else {
        panic!("a crisis lead signed in on the password alone");
    };
    let replayed = sign_in::with_code(app, &gate, &pending_secret, &code, client());
    assert_eq!(replayed.await.unwrap().unwrap_err(), Refusal::WrongCode);
    // A printed recovery code works once.
    let started = sign_in::with_code(app, &gate, &pending_secret, &recovery_codes[0], client())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(started.account.role, Role::CrisisLead);
    let found = sign_in::session(app, &gate, &started.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.session.second_factor,
        Some(SecondFactor::RecoveryCode)
    );
    assert_eq!(found.account.id, started.account.id);
    assert!(sign_in::session(app, &gate, "not a secret")
        .await
        .unwrap()
        .is_none());
    // The pending sign-in is over once it made a session.
    let again = sign_in::with_code(app, &gate, &pending_secret, &recovery_codes[1], client());
    assert_eq!(again.await.unwrap().unwrap_err(), Refusal::NotStarted);

    let journal = app.store.journal_page(world.org.id, 0, 1000).await.unwrap();
    let failed: Vec<_> = journal
        .iter()
        .filter(|e| e.kind == "signin.failed")
        .collect();
    assert_eq!(failed.len(), 3, "two passwords and one code");
    assert!(journal.iter().all(|e| !e.payload.contains(PASSWORD)));
}

#[tokio::test]
async fn one_time_codes_go_through_the_courier_only_to_members_not_yet_enrolled() {
    let world = World::new().await;
    let (app, gate, courier) = (&world.app, sign_in(), KeptLetters::default());
    let mut rules = world.org.settings();
    rules.fallback_sign_in = true;
    let org = settings::update(app, &operator(), &world.org, rules)
        .await
        .unwrap();

    // An administrator never gets one: the answer looks the same, nothing is sent.
    let asked = sign_in::ask_for_one_time_code(app, &courier, &org, "p3@lillby.se", client());
    assert!(asked.await.unwrap().is_ok());
    assert!(courier.0.lock().unwrap().is_empty());

    // A member gets eight digits by SMS, and they sign in once.
    let pending = sign_in::ask_for_one_time_code(app, &courier, &org, "p1@lillby.se", client())
        .await
        .unwrap()
        .unwrap();
    let (kind, to, body) = courier.0.lock().unwrap()[0].clone();
    assert_eq!((kind, to.as_str()), (ContactKind::Sms, "+46701000001"));
    let code: String = body.chars().filter(char::is_ascii_digit).take(8).collect();
    assert_eq!(code.len(), 8, "{body}");
    let started = sign_in::with_code(app, &gate, &pending, &code, client())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(started.account.role, Role::Member);
    let found = sign_in::session(app, &gate, &started.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.session.second_factor,
        Some(SecondFactor::FallbackCode)
    );

    // Asking again and again is limited per login: nobody can flood a phone.
    let mut locked = false;
    for _ in 0..5 {
        let asked = sign_in::ask_for_one_time_code(app, &courier, &org, "p1@lillby.se", client());
        locked |= asked.await.unwrap().is_err();
    }
    assert!(locked);
    assert!(courier.0.lock().unwrap().len() <= 4);
}
