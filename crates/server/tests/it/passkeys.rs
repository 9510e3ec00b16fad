//! Passkeys end to end, with webauthn-rs's software authenticator in the browser's place.

use crate::helpers::TestApp;
use crate::web::{browser, hidden, invite, Person};
use beredskap_core::register::Role;
use url::Url;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

impl TestApp {
    /// The address the browser shows: the name, with the test server's port.
    fn origin(&self) -> Url {
        let port = self.base.rsplit(':').next().unwrap();
        Url::parse(&format!("http://localhost:{port}")).unwrap()
    }

    async fn post_json(
        &self,
        b: &reqwest::Client,
        path: &str,
        csrf: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        b.post(self.url(path))
            .header("x-csrf-token", csrf)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

async fn csrf_of(app: &TestApp, b: &reqwest::Client, path: &str) -> String {
    hidden(
        &b.get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "csrf",
    )
}

/// Registers a passkey on `authenticator` for the person signed in on `b`; it is then
/// listed as "Nyckel 1".
pub(crate) async fn register_passkey(
    app: &TestApp,
    b: &reqwest::Client,
    authenticator: &mut WebauthnAuthenticator<SoftPasskey>,
) {
    let csrf = csrf_of(app, b, "/").await;
    let r = app
        .post_json(b, "/passkeys/register/start", &csrf, serde_json::json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let challenge: CreationChallengeResponse = r.json().await.unwrap();
    let answer = authenticator
        .do_registration(app.origin(), challenge)
        .unwrap();
    let r = app
        .post_json(
            b,
            "/passkeys/register/finish",
            &csrf,
            serde_json::to_value(answer).unwrap(),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let list = b
        .get(app.url("/passkeys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Nyckel 1"), "{list}");
}

/// Enrols, signs in with the app, registers a passkey on `authenticator` and signs out.
async fn with_passkey(
    app: &TestApp,
    b: &reqwest::Client,
    authenticator: &mut WebauthnAuthenticator<SoftPasskey>,
) -> Person {
    let person = invite(app, "anna@lillby.se", Role::Member).await;
    let (secret, _) = app.enrol(b, &person).await;
    app.sign_in(b, &person.login, &secret).await;
    register_passkey(app, b, authenticator).await;
    let home = b
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    b.post(app.url("/sign-out"))
        .form(&[("csrf", hidden(&home, "csrf"))])
        .send()
        .await
        .unwrap();
    person
}

async fn passkey_step(
    app: &TestApp,
    b: &reqwest::Client,
    authenticator: &mut WebauthnAuthenticator<SoftPasskey>,
    origin: Url,
) -> reqwest::Response {
    let csrf = csrf_of(app, b, "/sign-in/code").await;
    let r = app
        .post_json(b, "/sign-in/passkey/start", &csrf, serde_json::json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let challenge: RequestChallengeResponse = r.json().await.unwrap();
    let answer = authenticator.do_authentication(origin, challenge).unwrap();
    app.post_json(
        b,
        "/sign-in/passkey/finish",
        &csrf,
        serde_json::to_value(answer).unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_passkey_is_added_and_then_signs_in() {
    let app = TestApp::spawn().await;
    let b = browser();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let person = with_passkey(&app, &b, &mut authenticator).await;

    assert_eq!(
        app.password_step(&b, &person.login, "blåbär cykel regnjacka")
            .await
            .status(),
        303
    );
    let r = passkey_step(&app, &b, &mut authenticator, app.origin()).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["redirect"], "/");
    assert_eq!(b.get(app.url("/")).send().await.unwrap().status(), 200);
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    assert!(journal
        .iter()
        .any(|e| e.kind == "credentials.passkey_added"));
    let last_sign_in = journal
        .iter()
        .rev()
        .find(|e| e.kind == "signin.succeeded")
        .unwrap();
    assert!(
        last_sign_in
            .payload
            .contains("\"second_factor\":\"passkey\""),
        "{}",
        last_sign_in.payload
    );
    let list = b
        .get(app.url("/passkeys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !list.contains("<dd>–</dd>"),
        "the passkey shows when it was last used: {list}"
    );
}

#[tokio::test]
async fn a_passkey_answer_made_for_a_fake_site_is_refused() {
    let app = TestApp::spawn().await;
    let b = browser();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let person = with_passkey(&app, &b, &mut authenticator).await;

    // The person typed their password into a look-alike site, which relays it and then the
    // passkey challenge. First line of defence: the authenticator will not sign for a site
    // outside the passkey's domain.
    let step = app
        .password_step(&b, &person.login, "blåbär cykel regnjacka")
        .await;
    assert_eq!(step.status(), 303);
    let csrf = csrf_of(&app, &b, "/sign-in/code").await;
    let r = app
        .post_json(&b, "/sign-in/passkey/start", &csrf, serde_json::json!({}))
        .await;
    let challenge: RequestChallengeResponse = r.json().await.unwrap();
    let fake = "https://beredskap-inloggning.example";
    assert!(authenticator
        .do_authentication(Url::parse(fake).unwrap(), challenge.clone())
        .is_err());

    // Second: an answer whose signed origin was altered on the way is refused by the server.
    let answer = authenticator
        .do_authentication(app.origin(), challenge)
        .unwrap();
    let mut answer = serde_json::to_value(answer).unwrap();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let client_data = answer["response"]["clientDataJSON"]
        .as_str()
        .unwrap()
        .to_owned();
    let decoded = String::from_utf8(base64::Engine::decode(&engine, client_data).unwrap()).unwrap();
    let real = app.origin().as_str().trim_end_matches('/').to_owned();
    let forged = decoded.replace(&real, fake);
    assert_ne!(forged, decoded);
    answer["response"]["clientDataJSON"] = base64::Engine::encode(&engine, forged).into();
    let r = app
        .post_json(&b, "/sign-in/passkey/finish", &csrf, answer)
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        b.get(app.url("/")).send().await.unwrap().status(),
        303,
        "no session"
    );
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    assert!(journal
        .iter()
        .any(|e| e.kind == "signin.failed" && e.payload.contains("passkey refused")));
}

#[tokio::test]
async fn passkey_requests_need_the_csrf_header_and_a_password_first() {
    let app = TestApp::spawn().await;
    let b = browser();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    with_passkey(&app, &b, &mut authenticator).await;
    // No password step: no sign-in to finish.
    let csrf = csrf_of(&app, &b, "/sign-in").await;
    let r = app
        .post_json(&b, "/sign-in/passkey/start", &csrf, serde_json::json!({}))
        .await;
    assert_eq!(r.status(), 303, "sent to sign in");
    let r = b
        .post(app.url("/sign-in/passkey/start"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF header");
}

#[tokio::test]
async fn a_lost_passkey_is_renamed_or_removed_and_then_signs_no_one_in() {
    let app = TestApp::spawn().await;
    let b = browser();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let person = with_passkey(&app, &b, &mut authenticator).await;
    app.password_step(&b, &person.login, "blåbär cykel regnjacka")
        .await;
    assert_eq!(
        passkey_step(&app, &b, &mut authenticator, app.origin())
            .await
            .status(),
        200
    );
    let list = b
        .get(app.url("/passkeys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&list, "csrf");
    let start = list.find("/passkeys/").unwrap() + "/passkeys/".len();
    let id: String = list[start..].chars().take_while(|c| *c != '/').collect();
    let r = b
        .post(app.url(&format!("/passkeys/{id}/rename")))
        .form(&[("csrf", csrf.as_str()), ("name", "Jobbtelefon")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = b
        .get(app.url("/passkeys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Jobbtelefon") && !list.contains("Nyckel 1"),
        "{list}"
    );
    let r = b
        .post(app.url(&format!("/passkeys/{id}/rename")))
        .form(&[("csrf", csrf.as_str()), ("name", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "an empty name is refused");

    // Someone else cannot touch it.
    let other = browser();
    let mallory = invite(&app, "mallory@lillby.se", Role::Member).await;
    let (secret, _) = app.enrol(&other, &mallory).await;
    app.sign_in(&other, &mallory.login, &secret).await;
    let other_page = other
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = other
        .post(app.url(&format!("/passkeys/{id}/remove")))
        .form(&[("csrf", hidden(&other_page, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let r = b
        .post(app.url(&format!("/passkeys/{id}/remove")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = b
        .get(app.url("/passkeys"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("Jobbtelefon"), "{list}");

    // The removed passkey no longer signs in.
    let fresh = browser();
    app.password_step(&fresh, &person.login, "blåbär cykel regnjacka")
        .await;
    let csrf = csrf_of(&app, &fresh, "/sign-in/code").await;
    let r = app
        .post_json(
            &fresh,
            "/sign-in/passkey/start",
            &csrf,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 404, "no passkey left to ask for");
    assert_eq!(fresh.get(app.url("/")).send().await.unwrap().status(), 303);
    let kinds = app.journal_kinds().await;
    for kind in ["credentials.passkey_renamed", "credentials.passkey_removed"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}");
    }
}

#[tokio::test]
async fn a_passkey_whose_counter_goes_back_is_refused_as_a_possible_clone() {
    use sqlx::{Connection, Executor};
    let app = TestApp::spawn().await;
    let b = browser();
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let person = with_passkey(&app, &b, &mut authenticator).await;
    // It signs in once: its counter, now 1, is what the server keeps.
    let password = "blåbär cykel regnjacka";
    assert_eq!(
        app.password_step(&b, &person.login, password)
            .await
            .status(),
        303
    );
    let r = passkey_step(&app, &b, &mut authenticator, app.origin()).await;
    assert_eq!(r.status(), 200);
    // Meanwhile the real key has been used 1000 times elsewhere: what signs in next, with a
    // counter of 2, is a copy of it.
    let mut db = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        app.data_dir().join("test.db").display()
    ))
    .await
    .unwrap();
    let stored: String = sqlx::query_scalar("SELECT passkey FROM passkeys")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert!(stored.contains("\"counter\":1"), "{stored}");
    let ahead = stored.replace("\"counter\":1", "\"counter\":1000");
    db.execute(sqlx::query("UPDATE passkeys SET passkey = $1").bind(&ahead))
        .await
        .unwrap();
    db.close().await.unwrap();
    let other = browser();
    assert_eq!(
        app.password_step(&other, &person.login, password)
            .await
            .status(),
        303
    );
    let r = passkey_step(&app, &other, &mut authenticator, app.origin()).await;
    assert_ne!(r.status(), 200, "a possible clone signs no one in");
    assert_eq!(other.get(app.url("/")).send().await.unwrap().status(), 303);
}
