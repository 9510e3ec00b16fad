//! The administration pages (who may use them: `roles.rs`).

use crate::helpers::TestApp;
use crate::web::{browser, hidden, location, page, signed_in};
use beredskap_core::register::Role;
use beredskap_core::EmailAddress;
use beredskap_testkit::FakeSmsGateway;

async fn post(
    app: &TestApp,
    b: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(app, b, "/").await;
    let csrf = hidden(&html, "csrf");
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    b.post(app.url(path)).form(&fields).send().await.unwrap()
}

#[tokio::test]
async fn an_administrator_creates_an_account_and_the_link_goes_by_sms() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let app = TestApp::spawn_with(move |c| c.sms = Some(sms)).await;
    let admin = signed_in(&app, "boss@lillby.se", Role::Admin).await;

    // Bad input names the field and creates nothing.
    let r = post(
        &app,
        &admin,
        "/admin/accounts",
        &[
            ("name", "Sven Ek"),
            ("login", "sven@lillby.se"),
            ("role", "member"),
            ("mobile", "12"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    // At the field and in the summary, in Swedish, with the field marked.
    assert!(html.contains("<a href=\"#mobile\">Mobilnummer: "), "{html}");
    assert!(
        html.contains("id=\"mobile-error\"") && html.contains("aria-invalid=\"true\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"Sven Ek\""),
        "the form keeps what was typed"
    );
    let r = post(
        &app,
        &admin,
        "/admin/accounts",
        &[
            ("name", "Sven Ek"),
            ("login", "sven@lillby.se"),
            ("role", "member"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422, "no way to send the link");
    let sven = EmailAddress::parse("sven@lillby.se").unwrap();
    assert!(app
        .store
        .account_by_login(app.org.id, &sven)
        .await
        .unwrap()
        .is_none());

    let r = post(
        &app,
        &admin,
        "/admin/accounts",
        &[
            ("name", "Sven Ek"),
            ("login", "sven@lillby.se"),
            ("role", "crisis_lead"),
            ("mobile", "070-174 06 05"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Aktiveringslänken har skickats till"),
        "{html}"
    );
    assert!(
        !html.contains("/enrol/"),
        "the link is not shown when it was sent"
    );
    let sms = gateway.received();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].to, "+46701740605");
    let link = sms[0].message.split_whitespace().last().unwrap().to_owned();
    let account = app
        .store
        .account_by_login(app.org.id, &sven)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.role, Role::CrisisLead);

    // A form sent from a page shown in Danish (`?lang=da`) is answered in Danish.
    let (_, html) = page(&app, &admin, "/admin/accounts?lang=da").await;
    let csrf = hidden(&html, "csrf");
    let bad = [
        ("csrf", csrf.as_str()),
        ("name", "Sven Ek"),
        ("login", "sven2@lillby.se"),
        ("role", "member"),
    ];
    let r = admin
        .post(app.url("/admin/accounts"))
        .header("referer", app.url("/admin/accounts?lang=da"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Noget i formularen skal rettes.") && html.contains("lang=\"da\""),
        "{html}"
    );

    // The same login again is refused by name.
    let r = post(
        &app,
        &admin,
        "/admin/accounts",
        &[
            ("name", "Sven Ek"),
            ("login", "sven@lillby.se"),
            ("role", "member"),
            ("mobile", "0701740605"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<a href=\"#login\">Inloggning (e-postadress): har redan ett konto</a>")
            && html.contains("id=\"login-error\""),
        "{html}"
    );

    // A new link replaces nothing until used; both work once each.
    let r = post(
        &app,
        &admin,
        &format!("/admin/accounts/{}/link", account.id),
        &[],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(gateway.received().len(), 2);
    let path = link.trim_start_matches("http://localhost");
    let (status, _) = page(&app, &browser(), path).await;
    assert_eq!(status, 200, "the first link opens the enrolment page");
    let kinds = app.journal_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "enrolment.sent").count(),
        2,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn without_a_provider_the_administrator_is_shown_the_link_to_hand_over() {
    let app = TestApp::spawn().await;
    let admin = signed_in(&app, "boss@lillby.se", Role::Admin).await;
    let r = post(
        &app,
        &admin,
        "/admin/accounts?lang=en",
        &[
            ("name", "Sven Ek"),
            ("login", "sven@lillby.se"),
            ("role", "member"),
            ("private_email", "sven@example.org"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Give it to them yourself"), "{html}");
    let start = html.find("http://localhost/enrol/").unwrap();
    let link: String = html[start..].chars().take_while(|c| *c != '<').collect();
    let (status, enrol) = page(
        &app,
        &browser(),
        link.trim_start_matches("http://localhost"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(enrol.contains("sven@lillby.se"));
}

#[tokio::test]
async fn an_administrator_ends_a_session_and_manages_tokens_from_the_pages() {
    let app = TestApp::spawn().await;
    let admin = signed_in(&app, "boss@lillby.se", Role::Admin).await;
    let phone = signed_in(&app, "anna@lillby.se", Role::Member).await;
    let anna = app
        .store
        .account_by_login(app.org.id, &EmailAddress::parse("anna@lillby.se").unwrap())
        .await
        .unwrap()
        .unwrap();
    let account_page = format!("/admin/accounts/{}", anna.id);
    let (status, html) = page(&app, &admin, &account_page).await;
    assert_eq!(status, 200);
    let start = html.find("/admin/sessions/").unwrap() + "/admin/sessions/".len();
    let session: String = html[start..].chars().take_while(|c| *c != '/').collect();
    let r = post(
        &app,
        &admin,
        &format!("/admin/sessions/{session}/end"),
        &[("account", &anna.id.to_string())],
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, account_page.clone())
    );
    let r = phone.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 303, "Anna's phone is signed out");

    // A token made on the page has the chosen scopes and is shown once.
    let r = post(&app, &admin, "/admin/tokens", &[("label", "sync")]).await;
    assert_eq!(r.status(), 422, "no scope chosen");
    let r = post(
        &app,
        &admin,
        "/admin/tokens",
        &[("label", "sync"), ("scope", "read")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let start = html.find("bsk_").unwrap();
    let token: String = html[start..].chars().take_while(|c| *c != '<').collect();
    assert_eq!(
        app.get("/api/v1/orgs/lillby/people", &token).await.status(),
        200
    );
    assert_eq!(
        app.get("/api/v1/orgs/lillby/accounts", &token)
            .await
            .status(),
        403,
        "read scope only"
    );
    let (_, list) = page(&app, &admin, "/admin/tokens").await;
    assert!(!list.contains("bsk_"), "never shown again");
    let start = list.find("/admin/tokens/").unwrap() + "/admin/tokens/".len();
    let id: String = list[start..].chars().take_while(|c| *c != '/').collect();
    let r = post(&app, &admin, &format!("/admin/tokens/{id}/revoke"), &[]).await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/admin/tokens".into())
    );
    assert_eq!(
        app.get("/api/v1/orgs/lillby/people", &token).await.status(),
        401
    );
    let kinds = app.journal_kinds().await;
    for kind in ["session.revoked", "api_token.created", "api_token.revoked"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test]
async fn sign_in_settings_are_saved_from_the_page() {
    let app = TestApp::spawn().await;
    let admin = signed_in(&app, "boss@lillby.se", Role::Admin).await;
    let r = post(
        &app,
        &admin,
        "/admin/settings",
        &[("fallback_sign_in", "on")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let org = app.store.org(app.org.id).await.unwrap().unwrap();
    assert!(org.fallback_sign_in);
    assert!(!org.members_need_second_factor, "an unchecked box is off");
    let (_, html) = page(&app, &admin, "/admin/settings").await;
    assert!(html.contains("id=\"fallback_sign_in\" name=\"fallback_sign_in\" value=\"on\" aria-describedby=\"fallback-hint\" checked"));
}
