//! The sign-in pages as a browser without JavaScript uses them: forms, cookies, redirects.

use crate::helpers::TestApp;
use beredskap_app::accounts::NewUser;
use beredskap_core::register::Role;
use beredskap_core::{Actor, EmailAddress};
use beredskap_server::credentials::totp;
use reqwest::redirect::Policy;

const PASSWORD: &str = "blåbär cykel regnjacka";

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The value of a hidden input in a page.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

pub(crate) struct Person {
    pub(crate) enrol_path: String,
    pub(crate) login: String,
}

pub(crate) async fn invite(app: &TestApp, login: &str, role: Role) -> Person {
    let created = beredskap_app::accounts::create_user(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::system()),
        &app.org,
        NewUser {
            name: "Anna Berg".into(),
            login: EmailAddress::parse(login).unwrap(),
            role,
            mobile: None,
            private_email: None,
        },
        "http://test",
        72,
    )
    .await
    .unwrap();
    Person {
        enrol_path: created
            .enrolment_link
            .trim_start_matches("http://test")
            .to_owned(),
        login: login.into(),
    }
}

/// A browser signed in as a new person with `role`.
pub(crate) async fn signed_in(app: &TestApp, login: &str, role: Role) -> reqwest::Client {
    let person = invite(app, login, role).await;
    let b = browser();
    let (secret, _) = app.enrol(&b, &person).await;
    app.sign_in(&b, login, &secret).await;
    b
}

/// A page's status and HTML.
pub(crate) async fn page(app: &TestApp, b: &reqwest::Client, path: &str) -> (u16, String) {
    let r = b.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

impl TestApp {
    fn now_unix(&self) -> u64 {
        u64::try_from(self.now().timestamp()).unwrap()
    }

    /// Completes enrolment; returns the app secret and the printed recovery codes.
    pub(crate) async fn enrol(
        &self,
        b: &reqwest::Client,
        person: &Person,
    ) -> (Vec<u8>, Vec<String>) {
        let page = b
            .get(self.url(&person.enrol_path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let secret_b32 = hidden(&page, "totp_secret");
        let secret = totp_rs::Secret::Encoded(secret_b32.clone())
            .to_bytes()
            .unwrap();
        let code = totp::code_now(&secret, self.now_unix()).unwrap();
        let r = b
            .post(self.url(&person.enrol_path))
            .form(&[
                ("csrf", hidden(&page, "csrf").as_str()),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
                ("totp_secret", &secret_b32),
                ("code", &code),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        let codes = html
            .split("<code>")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().to_owned())
            .collect();
        (secret, codes)
    }

    /// Posts the password form; returns the response.
    pub(crate) async fn password_step(
        &self,
        b: &reqwest::Client,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = b
            .get(self.url("/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        b.post(self.url("/sign-in"))
            .form(&[
                ("csrf", hidden(&page, "csrf").as_str()),
                ("org", "lillby"),
                ("email", login),
                ("password", password),
            ])
            .send()
            .await
            .unwrap()
    }

    async fn code_step(&self, b: &reqwest::Client, code: &str) -> reqwest::Response {
        let page = b
            .get(self.url("/sign-in/code"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        b.post(self.url("/sign-in/code"))
            .form(&[("csrf", hidden(&page, "csrf").as_str()), ("code", code)])
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn sign_in(&self, b: &reqwest::Client, login: &str, secret: &[u8]) {
        let r = self.password_step(b, login, PASSWORD).await;
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, "/sign-in/code".into())
        );
        self.clock.advance(chrono::Duration::seconds(30));
        let code = totp::code_now(secret, self.now_unix()).unwrap();
        let r = self.code_step(b, &code).await;
        assert_eq!((r.status().as_u16(), location(&r)), (303, "/".into()));
    }

    pub(crate) async fn journal_kinds(&self) -> Vec<String> {
        self.store
            .journal_page(self.org.id, 0, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }
}

#[tokio::test]
async fn a_person_enrols_and_signs_in_with_the_app() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let b = browser();
    let r = b.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/sign-in".into())
    );

    // A weak password and a wrong code are both explained, on the same form.
    let page = b
        .get(app.url(&person.enrol_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "the QR code is inline");
    let r = b
        .post(app.url(&person.enrol_path))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("password", "Sommar2026!!"),
            ("password_again", "Sommar2026!!"),
            ("totp_secret", &hidden(&page, "totp_secret")),
            ("code", "000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("för lätt att gissa"), "{html}");
    assert!(html.contains("Koden stämmer inte"));
    assert_eq!(
        hidden(&html, "totp_secret"),
        hidden(&page, "totp_secret"),
        "the app stays connected"
    );
    assert!(
        !html.contains("Sommar2026"),
        "a refused password is not shown again"
    );
    // A good password with a wrong code: the password stays typed in, the code does not.
    let good = "lång mening om vårt stabsrum";
    let r = b
        .post(app.url(&person.enrol_path))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("password", good),
            ("password_again", good),
            ("totp_secret", &hidden(&page, "totp_secret")),
            ("code", "000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Koden stämmer inte"));
    assert_eq!(
        html.matches(&format!("value=\"{good}\"")).count(),
        2,
        "both password fields keep it: {html}"
    );

    let (secret, codes) = app.enrol(&b, &person).await;
    assert_eq!(codes.len(), 10);
    let again = b.get(app.url(&person.enrol_path)).send().await.unwrap();
    assert_eq!(again.status(), 404);
    assert!(again.text().await.unwrap().contains("redan använts"));

    // The code that confirmed the app cannot be replayed to sign in.
    let r = app.password_step(&b, &person.login, PASSWORD).await;
    assert_eq!(r.status(), 303);
    let replay = totp::code_now(&secret, app.now_unix()).unwrap();
    assert_eq!(app.code_step(&b, &replay).await.status(), 401);
    app.clock.advance(chrono::Duration::seconds(30));
    let code = totp::code_now(&secret, app.now_unix()).unwrap();
    let r = app.code_step(&b, &code).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/".into()));
    let home = b
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Anna Berg") && home.contains("Medarbetare"),
        "{home}"
    );
    let sessions = b
        .get(app.url("/sessions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sessions.contains("Den här enheten"));

    let kinds = app.journal_kinds().await;
    for kind in ["enrolment.completed", "signin.failed", "signin.succeeded"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} missing from {kinds:?}"
        );
    }

    // Signing out ends the session on the server, not just in the browser.
    let r = b
        .post(app.url("/sign-out"))
        .form(&[("csrf", hidden(&home, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/sign-in");
    assert_eq!(b.get(app.url("/")).send().await.unwrap().status(), 303);
    assert!(app
        .journal_kinds()
        .await
        .ends_with(&["session.revoked".into()]));

    // A recovery code works once.
    app.password_step(&b, &person.login, PASSWORD).await;
    let r = app
        .code_step(&b, &codes[0].to_lowercase().replace('-', " "))
        .await;
    assert_eq!(r.status(), 303, "a recovery code typed loosely still works");
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
    app.password_step(&b, &person.login, PASSWORD).await;
    assert_eq!(app.code_step(&b, &codes[0]).await.status(), 401);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_logins_look_the_same() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let b = browser();
    app.enrol(&b, &person).await;
    let wrong = app
        .password_step(&b, &person.login, "not the password at all")
        .await;
    assert_eq!(wrong.status(), 401);
    let wrong = wrong.text().await.unwrap();
    let unknown = app.password_step(&b, "nobody@lillby.se", PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("Fel e-postadress eller lösenord."));
    assert!(unknown.contains("Fel e-postadress eller lösenord."));
    // Someone invited but not enrolled has no password yet.
    let pending = invite(&app, "bo@lillby.se", Role::Member).await;
    assert_eq!(
        app.password_step(&b, &pending.login, PASSWORD)
            .await
            .status(),
        401
    );
    let failures = app
        .journal_kinds()
        .await
        .iter()
        .filter(|k| *k == "signin.failed")
        .count();
    assert_eq!(failures, 3);
}

#[tokio::test]
async fn wrong_codes_lock_the_sign_in_and_start_it_over() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let b = browser();
    let (secret, _) = app.enrol(&b, &person).await;
    app.password_step(&b, &person.login, PASSWORD).await;
    for _ in 0..4 {
        assert_eq!(app.code_step(&b, "111111").await.status(), 401);
    }
    // The fifth wrong code locks sign-in for the account, and says for how long.
    let last = app.code_step(&b, "111111").await;
    assert_eq!(last.status(), 429);
    assert!(last.text().await.unwrap().contains("spärrad i 1 min"));
    // The pending sign-in is gone: even the right code now needs the password first.
    app.clock.advance(chrono::Duration::seconds(30));
    let code = totp::code_now(&secret, app.now_unix()).unwrap();
    let page = b.get(app.url("/sign-in/code")).send().await.unwrap();
    assert_eq!(location(&page), "/sign-in");
    let r = b
        .post(app.url("/sign-in/code"))
        .form(&[("csrf", "x"), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 303, "no session without the password step");
}

#[tokio::test]
async fn sessions_end_when_idle_or_ended_from_another_device() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let (phone, laptop) = (browser(), browser());
    let (secret, _) = app.enrol(&phone, &person).await;
    app.sign_in(&phone, &person.login, &secret).await;
    app.sign_in(&laptop, &person.login, &secret).await;
    let list = laptop
        .get(app.url("/sessions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(list.matches("/end\"").count(), 2);
    // The laptop ends the phone's session (the one that is not "this device").
    let forms: Vec<&str> = list
        .split("<li>")
        .skip(1)
        .filter(|f| f.contains("/end\""))
        .collect();
    let phone_form = forms
        .iter()
        .find(|f| !f.contains("Den här enheten"))
        .unwrap();
    let action = phone_form
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = laptop
        .post(app.url(action))
        .form(&[("csrf", hidden(&list, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/sessions");
    assert_eq!(phone.get(app.url("/")).send().await.unwrap().status(), 303);
    assert_eq!(laptop.get(app.url("/")).send().await.unwrap().status(), 200);
    // Idle past the limit (240 minutes by default): signed out.
    app.clock.advance(chrono::Duration::minutes(241));
    assert_eq!(laptop.get(app.url("/")).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn forms_without_a_matching_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let b = browser();
    // No CSRF cookie at all.
    let r = reqwest::Client::new()
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf", "0".repeat(64).as_str()),
            ("org", "lillby"),
            ("email", "a@b.se"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Formuläret har gått ut"));
    // A cookie, but another token.
    let page = b
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&page, "csrf");
    let r = b
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf", "0".repeat(64).as_str()),
            ("org", "lillby"),
            ("email", "a@b.se"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The right token, sent from another site.
    let r = b
        .post(app.url("/sign-in"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf", token.as_str()),
            ("org", "lillby"),
            ("email", "a@b.se"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // As browsers mark it: from another site, or from a page that hides its origin.
    for (name, value) in [("sec-fetch-site", "cross-site"), ("origin", "null")] {
        let r = b
            .post(app.url("/sign-in"))
            .header(name, value)
            .form(&[
                ("csrf", token.as_str()),
                ("org", "lillby"),
                ("email", "a@b.se"),
                ("password", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
    }
    // A same-origin post with the token gets through to the password check.
    let r = b
        .post(app.url("/sign-in"))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("csrf", token.as_str()),
            ("org", "lillby"),
            ("email", "a@b.se"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let kinds = app.journal_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "signin.failed").count(),
        1,
        "only the same-origin post reached the password check"
    );
}

#[tokio::test]
async fn pages_speak_swedish_danish_and_english() {
    let app = TestApp::spawn().await;
    let b = browser();
    let sv = b
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sv.contains("<html lang=\"sv\">") && sv.contains("Logga in"));
    let da = b
        .get(app.url("/sign-in?lang=da"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(da.contains("<html lang=\"da\">") && da.contains("Log ind"));
    let next = b.get(app.url("/sign-in")).send().await.unwrap();
    assert!(
        next.text().await.unwrap().contains("Logga in"),
        "a link with ?lang= shows one page; it changes nothing"
    );
    // The language buttons post the choice; it is kept on the device.
    let chosen = b
        .post(app.url("/language"))
        .header("referer", app.url("/sign-in?org=lillby&lang=sv"))
        .form(&[("csrf", hidden(&da, "csrf").as_str()), ("lang", "da")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        (chosen.status().as_u16(), location(&chosen)),
        (303, "/sign-in?org=lillby".into()),
        "back to the page the button was on"
    );
    let remembered = b
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(remembered.contains("Log ind"), "the choice is remembered");
    let en = reqwest::Client::new()
        .get(app.url("/sign-in"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Sign in"));
    let missing = reqwest::Client::new()
        .get(app.url("/enrol/nonsense?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("The link is not valid"));
}

#[tokio::test]
async fn only_a_form_of_this_site_changes_a_persons_language() {
    let app = TestApp::spawn().await;
    let b = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let account = |app: &TestApp| {
        let store = app.store.clone();
        let org = app.org.id;
        async move {
            let login = EmailAddress::parse("anna@lillby.se").unwrap();
            store.account_by_login(org, &login).await.unwrap().unwrap()
        }
    };
    let journal_len = |app: &TestApp| {
        let store = app.store.clone();
        let org = app.org.id;
        async move { store.journal_page(org, 0, 10_000).await.unwrap().len() }
    };
    let before = journal_len(&app).await;
    // A link (from anywhere) with ?lang= shows the page in English and changes nothing.
    let page = b.get(app.url("/?lang=en")).send().await.unwrap();
    assert!(page.headers().get_all("set-cookie").iter().count() == 0);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert_eq!(account(&app).await.language, None);
    assert_eq!(
        journal_len(&app).await,
        before,
        "a GET writes no journal row"
    );
    // A post from another site is refused, even with the right token.
    let csrf = hidden(&html, "csrf");
    let forged = b
        .post(app.url("/language"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("lang", "da")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(account(&app).await.language, None);
    // The person's own button changes it, on the account, journaled.
    let chosen = b
        .post(app.url("/language"))
        .form(&[("csrf", csrf.as_str()), ("lang", "da")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        (chosen.status().as_u16(), location(&chosen)),
        (303, "/".into())
    );
    assert_eq!(account(&app).await.language.as_deref(), Some("da"));
    assert_eq!(journal_len(&app).await, before + 1);
}

#[tokio::test]
async fn a_forms_token_belongs_to_its_session() {
    let app = TestApp::spawn().await;
    let a = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let b = signed_in(&app, "bo@lillby.se", Role::Member).await;
    let token_a = hidden(&page(&app, &a, "/").await.1, "csrf");
    let token_b = hidden(&page(&app, &b, "/").await.1, "csrf");
    assert_ne!(token_a, token_b);
    // Anna's token does not work in Bo's session (nor does a cookie value as the token).
    let sign_out = |client: &reqwest::Client, token: &str| {
        client
            .post(app.url("/sign-out"))
            .form(&[("csrf", token)])
            .send()
    };
    assert_eq!(sign_out(&b, &token_a).await.unwrap().status(), 403);
    assert_eq!(sign_out(&b, &"ab".repeat(32)).await.unwrap().status(), 403);
    // A matching Origin with another scheme is another site.
    let other_scheme = b
        .post(app.url("/sign-out"))
        .header("origin", "https://localhost")
        .form(&[("csrf", token_b.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(other_scheme.status(), 403);
    let own = b
        .post(app.url("/sign-out"))
        .header(
            "origin",
            app.url("")
                .trim_end_matches('/')
                .replace("127.0.0.1", "localhost"),
        )
        .form(&[("csrf", token_b.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 303);
}

#[tokio::test]
async fn pages_carry_strict_security_headers() {
    let app = TestApp::spawn().await;
    let r = reqwest::Client::new()
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap();
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self'"),
        "scripts only from our own files: {csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "same-origin");
    let cookie = h["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let css = reqwest::Client::new()
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_login_for_a_growing_time() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let b = browser();
    let (secret, _) = app.enrol(&b, &person).await;
    for _ in 0..4 {
        assert_eq!(
            app.password_step(&b, &person.login, "wrong wrong wrong")
                .await
                .status(),
            401
        );
    }
    let fifth = app
        .password_step(&b, &person.login, "wrong wrong wrong")
        .await;
    assert!(fifth.text().await.unwrap().contains("spärrad i 1 min"));
    // Locked: even the right password is refused, without being checked.
    let locked = app.password_step(&b, &person.login, PASSWORD).await;
    assert_eq!(locked.status(), 429);
    // Case and spaces do not make another key.
    assert_eq!(
        app.password_step(&b, " ANNA@lillby.se", PASSWORD)
            .await
            .status(),
        429
    );
    app.clock.advance(chrono::Duration::seconds(31));
    app.sign_in(&b, &person.login, &secret).await;
    // A successful sign-in clears the count: one more mistake is not a lockout.
    let b2 = browser();
    assert_eq!(
        app.password_step(&b2, &person.login, "wrong wrong wrong")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.password_step(&b2, &person.login, PASSWORD)
            .await
            .status(),
        303
    );
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    assert!(journal
        .iter()
        .any(|e| e.kind == "signin.failed" && e.payload.contains("locked for 30 s")));
}

/// Journal entries of refused sign-ins whose reason starts with `reason`: one for every
/// secret that was actually checked.
async fn checked(app: &TestApp, reason: &str) -> usize {
    let journal = app.store.journal_page(app.org.id, 0, 10_000).await.unwrap();
    journal
        .iter()
        .filter(|e| e.kind == "signin.failed" && e.payload.contains(&format!("\"{reason}")))
        .count()
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_is_checked_no_further_than_the_limit() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let b = browser();
    app.enrol(&b, &person).await;
    let burst = (0..30).map(|_| app.password_step(&b, &person.login, "wrong wrong wrong"));
    let statuses: Vec<u16> = futures_util::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(checked(&app, "wrong password").await, 5, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        25,
        "{statuses:?}"
    );
    // Locked: the right password sent now is refused without being checked.
    let right = app.password_step(&b, &person.login, PASSWORD).await;
    assert_eq!(right.status(), 429);
}

#[tokio::test]
async fn a_burst_of_wrong_codes_in_one_sign_in_is_checked_no_further_than_the_limit() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let b = browser();
    let (secret, _) = app.enrol(&b, &person).await;
    let r = app.password_step(&b, &person.login, PASSWORD).await;
    assert_eq!(location(&r), "/sign-in/code");
    let page = b.get(app.url("/sign-in/code")).send().await.unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "csrf");
    let burst = (0..30).map(|_| {
        b.post(app.url("/sign-in/code"))
            .form(&[("csrf", csrf.as_str()), ("code", "111111")])
            .send()
    });
    futures_util::future::join_all(burst).await;
    assert_eq!(checked(&app, "wrong code").await, 5);
    // The sign-in is used up and the login locked: the right code starts nothing.
    app.clock.advance(chrono::Duration::seconds(1));
    let code = totp::code_now(&secret, app.now_unix()).unwrap();
    let r = b
        .post(app.url("/sign-in/code"))
        .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&r),
        "/sign-in",
        "no session from a used-up sign-in"
    );
}

#[tokio::test]
async fn unknown_logins_and_one_address_are_throttled_too() {
    let app = TestApp::spawn().await;
    let b = browser();
    for _ in 0..5 {
        app.password_step(&b, "nobody@lillby.se", "guess guess guess")
            .await;
    }
    assert_eq!(
        app.password_step(&b, "nobody@lillby.se", "guess")
            .await
            .status(),
        429
    );
    // Thirty failures from one address, each on another login, block the address.
    app.clock.advance(chrono::Duration::minutes(20));
    for i in 0..25 {
        let r = app
            .password_step(&b, &format!("user{i}@lillby.se"), "guess guess guess")
            .await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let r = app
        .password_step(&b, "someone-else@lillby.se", "guess guess guess")
        .await;
    assert_eq!(r.status(), 429, "the address is blocked");
}

#[tokio::test]
async fn an_administrator_signs_out_someone_elses_device() {
    let app = TestApp::spawn().await;
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let phone = browser();
    let (secret, _) = app.enrol(&phone, &person).await;
    app.sign_in(&phone, &person.login, &secret).await;
    let account = app
        .store
        .account_by_login(app.org.id, &EmailAddress::parse("anna@lillby.se").unwrap())
        .await
        .unwrap()
        .unwrap();
    let path = format!("/api/v1/orgs/lillby/accounts/{}/sessions", account.id);
    let sessions: serde_json::Value = app.get(&path, &app.admin_token).await.json().await.unwrap();
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    assert_eq!(sessions[0]["second_factor"], "totp");
    let id = sessions[0]["id"].as_str().unwrap();
    let member = app.token_for(Role::Member, "member@lillby.se").await;
    assert_eq!(app.get(&path, &member).await.status(), 403);
    let url = app.url(&format!("/api/v1/orgs/lillby/sessions/{id}"));
    let r = app
        .client
        .delete(&url)
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    // Someone else's session is not found by those who may not end it.
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(&url)
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        phone.get(app.url("/")).send().await.unwrap().status(),
        303,
        "signed out"
    );
}

#[tokio::test]
async fn an_organisation_may_let_members_skip_the_app_but_never_admins() {
    use beredskap_core::register::OrgSettings;
    let app = TestApp::spawn().await;
    let relaxed = OrgSettings {
        fallback_sign_in: false,
        members_need_second_factor: false,
        time_zone: None,
        language: None,
    };
    app.store
        .update_org_settings(&Actor::system(), app.org.id, relaxed)
        .await
        .unwrap();
    let b = browser();
    let submit = |person: &Person, page: &str| {
        b.post(app.url(&person.enrol_path)).form(&[
            ("csrf", hidden(page, "csrf")),
            ("password", PASSWORD.into()),
            ("password_again", PASSWORD.into()),
            ("totp_secret", hidden(page, "totp_secret")),
            ("code", String::new()),
        ])
    };
    // A member may leave the app out, and then signs in with the password alone.
    let member = invite(&app, "bo@lillby.se", Role::Member).await;
    let page = b
        .get(app.url(&member.enrol_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Valfritt i din organisation"));
    assert_eq!(submit(&member, &page).send().await.unwrap().status(), 200);
    let r = app.password_step(&b, &member.login, PASSWORD).await;
    assert_eq!(location(&r), "/", "no second step");
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    let signed_in = journal
        .iter()
        .rev()
        .find(|e| e.kind == "signin.succeeded")
        .unwrap();
    assert!(
        signed_in.payload.contains("\"second_factor\":null"),
        "{}",
        signed_in.payload
    );

    // An administrator may not.
    let admin = invite(&app, "chef@lillby.se", Role::Admin).await;
    let page = b
        .get(app.url(&admin.enrol_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Valfritt i din organisation"));
    assert_eq!(submit(&admin, &page).send().await.unwrap().status(), 422);

    // When the organisation requires it again, the member without one is told what to do.
    let strict = OrgSettings {
        fallback_sign_in: false,
        members_need_second_factor: true,
        time_zone: None,
        language: None,
    };
    app.store
        .update_org_settings(&Actor::system(), app.org.id, strict)
        .await
        .unwrap();
    let b2 = browser();
    let r = app.password_step(&b2, &member.login, PASSWORD).await;
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("behöver en autentiseringsapp eller nyckel"));
}

#[tokio::test]
async fn the_sign_in_page_discloses_no_organisation_unless_told_to() {
    use beredskap_core::register::NewOrg;
    use beredskap_core::Region;
    let app = TestApp::spawn().await;
    app.store
        .create_org(
            &Actor::system(),
            NewOrg::parse("norrby", "Norrby kommun", Region::Se).unwrap(),
        )
        .await
        .unwrap();
    let named = |html: &str| {
        let html = html.to_lowercase();
        ["lillby", "norrby"]
            .into_iter()
            .filter(|name| html.contains(name))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // A stranger learns nothing about which organisations the server holds.
    let stranger = browser();
    for path in ["/sign-in", "/sign-in/one-time-code", "/sign-in?other=1"] {
        let (status, html) = page(&app, &stranger, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(named(&html), Vec::<String>::new(), "{path}: {html}");
    }
    let (_, html) = page(&app, &stranger, "/sign-in").await;
    assert!(html.contains("Organisationens kortnamn"), "{html}");
    // An organisation's own address names it, and only it; an unknown one is not found.
    let (status, html) = page(&app, &stranger, "/o/lillby/sign-in").await;
    assert_eq!(status, 200);
    assert_eq!(named(&html), ["lillby"]);
    assert!(html.contains("Lillby kommun"));
    assert_eq!(page(&app, &stranger, "/o/nowhere/sign-in").await.0, 404);

    // The short name as people type it, or the whole address pasted, signs in.
    let person = invite(&app, "anna@lillby.se", Role::Member).await;
    let b = browser();
    let (secret, _) = app.enrol(&b, &person).await;
    let other = browser();
    for (client, typed) in [
        (&other, "https://beredskap.example/o/lillby/sign-in"),
        (&b, " Lillby "),
    ] {
        let (_, html) = page(&app, client, "/sign-in").await;
        let r = client
            .post(app.url("/sign-in"))
            .form(&[
                ("csrf", hidden(&html, "csrf").as_str()),
                ("org", typed),
                ("email", "anna@lillby.se"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            (r.status().as_u16(), location(&r)),
            (303, "/sign-in/code".into()),
            "{typed}"
        );
    }
    app.clock.advance(chrono::Duration::seconds(30));
    let code = totp::code_now(&secret, app.now_unix()).unwrap();
    let r = app.code_step(&b, &code).await;
    assert_eq!(r.status(), 303);
    // The device remembers it for next time; the person may still choose another.
    let (_, html) = page(&app, &b, "/sign-in").await;
    assert!(
        html.contains("Lillby kommun") && html.contains("/sign-in?other=1"),
        "{html}"
    );
    assert_eq!(named(&html), ["lillby"]);
    let (_, html) = page(&app, &b, "/sign-in?other=1").await;
    assert_eq!(named(&html), Vec::<String>::new(), "{html}");

    // Listing is a setting.
    let listing = TestApp::spawn_with(|c| c.list_organisations = true).await;
    listing
        .store
        .create_org(
            &Actor::system(),
            NewOrg::parse("norrby", "Norrby kommun", Region::Se).unwrap(),
        )
        .await
        .unwrap();
    let (_, html) = page(&listing, &browser(), "/sign-in").await;
    assert!(
        html.contains("Lillby kommun") && html.contains("Norrby kommun"),
        "{html}"
    );
}
