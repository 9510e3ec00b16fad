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

#[tokio::test]
async fn bulk_activation_says_who_it_reaches_sends_by_sms_and_shows_who_activated() {
    use beredskap_core::register::{
        ContactKind, ContactLabel, ContactPoint, NewGroup, PersonDraft,
    };
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let app = TestApp::spawn_with(move |c| c.sms = Some(sms)).await;
    let admin = signed_in(&app, "boss@lillby.se", Role::Admin).await;
    let point = |kind, label, value: &str| ContactPoint {
        kind,
        label,
        value: value.into(),
        verified: false,
    };
    let person = |name: &str, points: Vec<ContactPoint>| {
        let draft = PersonDraft {
            external_id: None,
            name: name.into(),
            title: None,
            active: true,
            contact_points: points,
        };
        let store = app.store.clone();
        let org = app.org.id;
        async move {
            store
                .create_person(&beredskap_core::Actor::system(), org, draft)
                .await
                .unwrap()
        }
    };
    // As an HR import leaves them: unverified addresses, no accounts.
    let karin = person(
        "Karin Lund",
        vec![
            point(
                ContactKind::Email,
                ContactLabel::Work,
                "karin.lund@lillby.se",
            ),
            point(ContactKind::Sms, ContactLabel::Work, "+46701000011"),
        ],
    )
    .await;
    let maja = person(
        "Maja Ek",
        vec![point(ContactKind::Sms, ContactLabel::Work, "+46701000012")],
    )
    .await;
    person(
        "Olof Berg",
        vec![point(
            ContactKind::Email,
            ContactLabel::Private,
            "olof@example.se",
        )],
    )
    .await;
    person("Nils Ros", vec![]).await;
    let kris = app
        .store
        .create_group(
            &beredskap_core::Actor::system(),
            app.org.id,
            NewGroup {
                slug: beredskap_core::Slug::parse("kris").unwrap(),
                name: "Krisledningsgrupp".into(),
            },
        )
        .await
        .unwrap();
    app.store
        .set_group_members(
            &beredskap_core::Actor::system(),
            app.org.id,
            kris.id,
            vec![karin.id, maja.id],
        )
        .await
        .unwrap();
    let group = kris.id.to_string();

    let (status, html) = page(&app, &admin, "/admin/activation").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Krisledningsgrupp") && html.contains("Hela registret"),
        "{html}"
    );
    // The group first: a preview, and nothing sent or made.
    let r = post(&app, &admin, "/admin/activation", &[("group", &group)]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("En person får en länk: 1 med sms, 0 med e-post."),
        "{html}"
    );
    assert!(
        html.contains("<strong>Maja Ek</strong>: ingen e-postadress att logga in med i registret"),
        "{html}"
    );
    assert!(html.contains("Skicka länken"), "{html}");
    assert!(gateway.received().is_empty());
    assert!(app
        .store
        .activation_batches(app.org.id)
        .await
        .unwrap()
        .is_empty());

    // The whole register: everyone who cannot be reached, with why.
    let r = post(&app, &admin, "/admin/activation", &[("group", "")]).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("<strong>Olof Berg</strong>: ingen sms- eller e-posttjänst är inställd"),
        "{html}"
    );
    assert!(
        html.contains(
            "<strong>Nils Ros</strong>: inget mobilnummer eller privat e-post i registret"
        ),
        "{html}"
    );
    assert!(
        html.contains("Får ingen länk nu: 1 har redan aktiverat sitt konto, 0 har en länk på väg."),
        "{html}"
    );

    // Sent: Karin's account is made and her link waits for the worker.
    let r = post(
        &app,
        &admin,
        "/admin/activation",
        &[("group", ""), ("confirm", "1")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let batch_page = location(&r);
    assert!(batch_page.starts_with("/admin/activation/"), "{batch_page}");
    let (_, html) = page(&app, &admin, &batch_page).await;
    assert!(html.contains("Väntar på att skickas"), "{html}");
    assert!(html.contains("Skickade: 0 · Väntar: 1"), "{html}");
    let karin_login = EmailAddress::parse("karin.lund@lillby.se").unwrap();
    let account = app
        .store
        .account_by_login(app.org.id, &karin_login)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((account.person_id, account.role), (karin.id, Role::Member));
    // Sending again at once sends nothing twice.
    let r = post(
        &app,
        &admin,
        "/admin/activation",
        &[("group", ""), ("confirm", "1")],
    )
    .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("Ingen i urvalet behöver en länk"), "{html}");
    assert!(html.contains("1 har en länk på väg"), "{html}");
    assert_eq!(
        app.store
            .activation_batches(app.org.id)
            .await
            .unwrap()
            .len(),
        1
    );

    let notifier = beredskap_server::notify::Notifier {
        email: None,
        sms: Some(std::sync::Arc::new(
            beredskap_server::notify::FortySixElks::new(&gateway.config()).unwrap(),
        )),
        push: None,
    };
    let dispatcher =
        beredskap_server::alerting::Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    assert_eq!(dispatcher.run_once(app.now()).await.unwrap(), 1);
    let sent = gateway.received();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "+46701000011");
    let link = sent[0]
        .message
        .split_whitespace()
        .find(|w| w.contains("/enrol/"))
        .unwrap();
    let (_, html) = page(&app, &admin, &batch_page).await;
    assert!(
        html.contains("Skickad ") && html.contains("Sms +4670"),
        "{html}"
    );
    assert!(
        html.contains("Skickade: 1 · Väntar: 0 · Kunde inte nås: 4 · Har aktiverat: 0"),
        "{html}"
    );

    // Karin opens the link on her phone and enrols; the administrator sees it.
    let enrol_path = format!("/enrol/{}", link.rsplit("/enrol/").next().unwrap());
    let phone = crate::web::browser();
    app.enrol(
        &phone,
        &crate::web::Person {
            enrol_path,
            login: "karin.lund@lillby.se".into(),
        },
    )
    .await;
    let (_, html) = page(&app, &admin, &batch_page).await;
    assert!(html.contains("Har aktiverat: 1"), "{html}");
    assert!(
        html.contains("<th scope=\"row\">Nils Ros</th>") && html.contains("<td>Inget konto</td>"),
        "{html}"
    );
    // Another round sends nothing more.
    assert_eq!(dispatcher.run_once(app.now()).await.unwrap(), 0);
    assert_eq!(gateway.received().len(), 1);
}

/// The same bulk activation through the API: a preview, a batch, its progress.
#[tokio::test]
async fn bulk_activation_works_through_the_api() {
    use crate::helpers::{error_fields, expect_json, point};
    use beredskap_core::register::{ContactKind, NewGroup};
    use serde_json::json;
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let app = TestApp::spawn_with(move |c| c.sms = Some(sms)).await;
    let member = app.token_for(Role::Member, "anna@lillby.se").await;
    let mut karin_points = vec![point(ContactKind::Sms, "+46701000051")];
    karin_points.push(point(ContactKind::Email, "karin.lund@lillby.se"));
    let karin = app.person("Karin Lund", karin_points).await;
    let nils = app.person("Nils Ros", vec![]).await;
    let kris = app
        .store
        .create_group(
            &beredskap_core::Actor::system(),
            app.org.id,
            NewGroup {
                slug: beredskap_core::Slug::parse("kris").unwrap(),
                name: "Krisledningsgrupp".into(),
            },
        )
        .await
        .unwrap();
    app.store
        .set_group_members(
            &beredskap_core::Actor::system(),
            app.org.id,
            kris.id,
            vec![karin, nils],
        )
        .await
        .unwrap();
    let base = "/api/v1/orgs/lillby/activations";
    let body = json!({"group": kris.id});
    assert_eq!(
        app.post(&format!("{base}/preview"), &member, body.clone())
            .await
            .status(),
        403
    );
    let stray = expect_json(
        app.post(
            &format!("{base}/preview"),
            &app.admin_token,
            json!({"group": beredskap_core::GroupId::new()}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&stray), ["group"]);

    let preview = expect_json(
        app.post(&format!("{base}/preview"), &app.admin_token, body.clone())
            .await,
        200,
    )
    .await;
    assert_eq!(
        (preview["by_sms"].clone(), preview["by_email"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(
        preview["unreachable"],
        json!([{"name": "Nils Ros", "reason": "no_address"}])
    );
    assert!(gateway.received().is_empty(), "a preview sends nothing");

    let batch = expect_json(app.post(base, &app.admin_token, body.clone()).await, 201).await;
    let id = batch["id"].as_str().unwrap().to_owned();
    assert_eq!(batch["group_id"], json!(kris.id));
    // Nothing new to send: the link is on its way.
    let again = expect_json(app.post(base, &app.admin_token, body).await, 422).await;
    assert_eq!(error_fields(&again), ["group"]);

    let notifier = beredskap_server::notify::Notifier {
        email: None,
        sms: Some(std::sync::Arc::new(
            beredskap_server::notify::FortySixElks::new(&gateway.config()).unwrap(),
        )),
        push: None,
    };
    let dispatcher =
        beredskap_server::alerting::Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    assert_eq!(dispatcher.run_once(app.now()).await.unwrap(), 1);
    assert_eq!(gateway.received()[0].to, "+46701000051");

    let progress = expect_json(
        app.get(&format!("{base}/{id}"), &app.admin_token).await,
        200,
    )
    .await;
    assert_eq!(
        (
            progress["sent"].clone(),
            progress["waiting"].clone(),
            progress["unreachable"].clone(),
            progress["activated"].clone()
        ),
        (json!(1), json!(0), json!(1), json!(0))
    );
    assert_eq!(progress["group_name"], "Krisledningsgrupp");
    let karin_line = progress["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Karin Lund")
        .unwrap();
    assert_eq!(karin_line["status"], "sent");
    assert_eq!(karin_line["channel"], "sms");
    assert!(
        !karin_line["address"]
            .as_str()
            .unwrap()
            .contains("46701000051"),
        "masked: {karin_line}"
    );
    let list = expect_json(app.get(base, &app.admin_token).await, 200).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("{base}/{id}"), &member).await.status(),
        403
    );
}
