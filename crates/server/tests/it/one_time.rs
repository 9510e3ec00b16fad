//! Signing in with a one-time code sent by SMS, for people who have not enrolled.

use crate::helpers::TestApp;
use crate::web::{browser, hidden, location};
use beredskap_app::accounts::NewUser;
use beredskap_core::register::{OrgSettings, Role};
use beredskap_core::{Actor, EmailAddress, PhoneNumber, Region};
use beredskap_testkit::FakeSmsGateway;

async fn app_with_sms() -> (TestApp, FakeSmsGateway) {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let app = TestApp::spawn_with(|c| c.sms = Some(sms)).await;
    (app, gateway)
}

async fn person(app: &TestApp, login: &str, role: Role) {
    beredskap_app::accounts::create_user(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::system()),
        &app.org,
        NewUser {
            name: "Bo Ek".into(),
            login: EmailAddress::parse(login).unwrap(),
            role,
            mobile: Some(PhoneNumber::parse("070-174 06 07", Region::Se).unwrap()),
            private_email: None,
        },
        "http://test",
        72,
    )
    .await
    .unwrap();
}

/// The organisation lets people who have not enrolled sign in with a code.
async fn allow_codes(app: &TestApp) {
    app.store
        .update_org_settings(
            &Actor::system(),
            app.org.id,
            OrgSettings {
                fallback_sign_in: true,
                members_need_second_factor: true,
                time_zone: None,
                language: None,
            },
        )
        .await
        .unwrap();
}

async fn ask_for_code(app: &TestApp, b: &reqwest::Client, login: &str) -> reqwest::Response {
    let page = b
        .get(app.url("/sign-in/one-time-code?org=lillby"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    b.post(app.url("/sign-in/one-time-code"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("org", "lillby"),
            ("email", login),
        ])
        .send()
        .await
        .unwrap()
}

fn code_in(message: &str) -> String {
    message
        .split(": ")
        .nth(1)
        .unwrap()
        .chars()
        .take(8)
        .collect()
}

#[tokio::test]
async fn someone_not_yet_enrolled_signs_in_with_a_code_by_sms() {
    let (app, gateway) = app_with_sms().await;
    person(&app, "bo@lillby.se", Role::Member).await;
    let b = browser();
    let sign_in = b
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !sign_in.contains("engångskod"),
        "not offered while the organisation has it off"
    );
    let r = ask_for_code(&app, &b, "bo@lillby.se").await;
    assert_eq!(location(&r), "/sign-in/code?sent=1");
    assert!(
        gateway.received().is_empty(),
        "off by default: nothing sent"
    );

    allow_codes(&app).await;
    let sign_in = b
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sign_in.contains("Logga in med en engångskod"));
    let r = ask_for_code(&app, &b, "bo@lillby.se").await;
    assert_eq!(location(&r), "/sign-in/code?sent=1");
    let sms = gateway.received();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to, "+46701740607");
    let code = code_in(&sms[0].message);
    assert_eq!(code.len(), 8);

    let page = b
        .get(app.url("/sign-in/code?sent=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("har en kod skickats"));
    let r = b
        .post(app.url("/sign-in/code"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");
    let home = b
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Bo Ek"));
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    assert!(journal
        .iter()
        .any(|e| e.kind == "signin.code_sent" && e.payload.contains("+4670*****07")));
    let signed_in = journal
        .iter()
        .rev()
        .find(|e| e.kind == "signin.succeeded")
        .unwrap();
    assert!(signed_in.payload.contains("fallback_code"));
}

#[tokio::test]
async fn codes_go_only_to_those_allowed_and_are_rate_limited() {
    let (app, gateway) = app_with_sms().await;
    allow_codes(&app).await;
    person(&app, "lead@lillby.se", Role::CrisisLead).await;
    person(&app, "bo@lillby.se", Role::Member).await;
    let b = browser();
    // A crisis lead always needs their own second factor; an unknown login gets nothing;
    // both see the same answer as a person who was sent a code.
    for login in ["lead@lillby.se", "nobody@lillby.se"] {
        let r = ask_for_code(&app, &b, login).await;
        assert_eq!(location(&r), "/sign-in/code?sent=1");
    }
    assert!(gateway.received().is_empty());
    // A wrong code is refused; three codes are free, the fourth request waits.
    for _ in 0..3 {
        assert_eq!(ask_for_code(&app, &b, "bo@lillby.se").await.status(), 303);
    }
    assert_eq!(gateway.received().len(), 3);
    let r = ask_for_code(&app, &b, "bo@lillby.se").await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("spärrad"));
    assert_eq!(gateway.received().len(), 3);
    let page = b
        .get(app.url("/sign-in/code?sent=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = b
        .post(app.url("/sign-in/code"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("code", "00000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_burst_of_code_requests_sends_no_more_codes_than_the_limit() {
    let (app, gateway) = app_with_sms().await;
    person(&app, "bo@lillby.se", Role::Member).await;
    allow_codes(&app).await;
    let b = browser();
    let page = b
        .get(app.url("/sign-in/one-time-code?org=lillby"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let burst = (0..30).map(|_| {
        b.post(app.url("/sign-in/one-time-code"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("org", "lillby"),
                ("email", "bo@lillby.se"),
            ])
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(burst)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    // Three requests are granted (counting the third locks the login's requests); the
    // rest find it locked, however many arrive at once.
    assert_eq!(gateway.received().len(), 3, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        27,
        "{statuses:?}"
    );
}
