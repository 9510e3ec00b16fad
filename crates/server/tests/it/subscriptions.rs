//! Subscriptions to the status page's notices, end to end: the public form, the message to
//! confirm with through a real SMTP server (aiosmtpd) and the SMS test gateway, the
//! confirmation page, notices reaching each subscriber by the services they chose, and
//! leaving — by a mail program's one-click POST (RFC 8058) and by the link in an SMS.

use crate::helpers::TestApp;
use crate::web::{browser, hidden};
use beredskap_core::continuity::services::ServiceInput;
use beredskap_core::{Actor, ServiceId};
use beredskap_server::alerting::Dispatcher;
use beredskap_server::config::{SmtpConfig, SmtpSecurity};
use beredskap_server::notify::{Notifier, Provider, SmtpProvider};
use beredskap_testkit::{FakeSmsGateway, SmtpSink};
use std::sync::Arc;

async fn service(app: &TestApp, name: &str) -> ServiceId {
    beredskap_app::services::add_service(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::cli("test")),
        &app.org,
        &ServiceInput {
            name: name.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

/// A mail as received: its headers (name lower-cased) and its decoded text.
struct Mail {
    headers: Vec<(String, String)>,
    body: String,
}

impl Mail {
    fn parse(raw: &[u8]) -> Self {
        let mail = mailparse::parse_mail(raw).unwrap();
        Mail {
            headers: mail
                .headers
                .iter()
                .map(|h| (h.get_key().to_lowercase(), h.get_value()))
                .collect(),
            body: mail.get_body().unwrap(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The first link in a text that goes to `path` (as the server's public address makes
/// it), made into one on the test server.
fn link(app: &TestApp, text: &str, path: &str) -> String {
    let marker = format!("http://localhost{path}");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} in {text}"));
    let found: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>')
        .collect();
    found.replacen("http://localhost", &app.base, 1)
}

async fn subscribe(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let page = client
        .get(app.url("/status/lillby/subscribe?lang=sv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend_from_slice(fields);
    let r = client
        .post(app.url("/status/lillby/subscribe?lang=sv"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Publishes a notice, from an incident when one is given.
async fn publish(
    app: &TestApp,
    title: &str,
    services: &[ServiceId],
    incident: Option<beredskap_core::IncidentId>,
) -> String {
    let r = app
        .post(
            "/api/v1/orgs/lillby/notices",
            &app.admin_token,
            serde_json::json!({
                "kind": "disruption",
                "incident": incident,
                "phase": "investigating",
                "texts": [{"lang": "sv", "title": title, "body": "Ring reservnumret 0771-11 11 11."}],
                "services": services,
            }),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_citizen_subscribes_confirms_gets_notices_for_their_services_and_leaves_in_one_click() {
    let Some(sink) = SmtpSink::start(
        "a_citizen_subscribes_confirms_gets_notices_for_their_services_and_leaves_in_one_click",
    )
    .await
    else {
        return;
    };
    let gateway = FakeSmsGateway::start().await.unwrap();
    let app = TestApp::spawn().await;
    let phones = service(&app, "Telefoni").await;
    let mail_service = service(&app, "E-post").await;
    let email: Arc<dyn Provider> = Arc::new(
        SmtpProvider::new(&SmtpConfig {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            password_file: None,
            from: "Lillby kommun <status@lillby.example>".into(),
            connections: beredskap_server::config::DEFAULT_SMTP_CONNECTIONS,
        })
        .unwrap(),
    );
    let notifier = Notifier {
        email: Some(email),
        sms: Some(beredskap_server::notify::sms_provider(&gateway.config()).unwrap()),
        push: None,
    };
    let dispatcher = Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    let citizen = browser();

    // Bad input is named and nothing is sent.
    let (status, page) = subscribe(&app, &citizen, &[("channel", "sms"), ("address", "12")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"address-error\""), "{page}");
    // Without the form's token, nothing happens.
    let r = reqwest::Client::new()
        .post(app.url("/status/lillby/subscribe"))
        .form(&[("channel", "email"), ("address", "x@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Anna wants every notice by email; Bo wants the phones by SMS.
    let (status, page) = subscribe(
        &app,
        &citizen,
        &[("channel", "email"), ("address", "Anna@Example.org")],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Vi har skickat en länk"), "{page}");
    let phones_id = phones.to_string();
    let (status, _) = subscribe(
        &app,
        &browser(),
        &[
            ("channel", "sms"),
            ("address", "070-123 45 67"),
            ("services", &phones_id),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(dispatcher.run_once(app.now()).await.unwrap(), 2);
    let sent = sink.messages();
    assert_eq!(sent.len(), 1);
    let confirm_mail = Mail::parse(&sent[0]);
    assert_eq!(confirm_mail.header("to"), Some("anna@example.org"));
    let texts = gateway.received();
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].to, "+46701234567");

    // Nobody subscribes before confirming; opening the link confirms nothing.
    let counts = app
        .store
        .subscriber_counts(app.org.id, app.now())
        .await
        .unwrap();
    assert_eq!((counts.email, counts.sms, counts.unconfirmed), (0, 0, 2));
    let anna_confirm = link(&app, &confirm_mail.body, "/status/lillby/confirm/");
    let page = citizen.get(&anna_confirm).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("anna@example.org") && page.contains("Alla tjänster"),
        "{page}"
    );
    assert_eq!(
        app.store
            .subscriber_counts(app.org.id, app.now())
            .await
            .unwrap()
            .email,
        0
    );
    // The button confirms (no cookie needed: the link is the authority).
    let r = reqwest::Client::new()
        .post(&anna_confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Klart."));
    let bo_confirm = link(&app, &texts[0].message, "/status/lillby/confirm/");
    let r = reqwest::Client::new()
        .post(&bo_confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A used link no longer works.
    let r = reqwest::Client::new()
        .post(&bo_confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let counts = app
        .store
        .subscriber_counts(app.org.id, app.now())
        .await
        .unwrap();
    assert_eq!((counts.email, counts.sms, counts.unconfirmed), (1, 1, 0));

    // A notice about the phones, published from the incident, reaches both; one about
    // email only Anna.
    app.token_for(beredskap_core::register::Role::CrisisLead, "erik@lillby.se")
        .await;
    let incident = crate::status::incident(&app, "Växeln ligger nere", false).await;
    publish(&app, "Telefonin ligger nere", &[phones], Some(incident)).await;
    dispatcher.run_once(app.now()).await.unwrap();
    let sent = sink.messages();
    assert_eq!(sent.len(), 2);
    // The mailbox's file names do not sort by arrival: find it by what it is.
    let notice_mail = sent
        .iter()
        .map(|raw| Mail::parse(raw))
        .find(|m| m.header("subject") != confirm_mail.header("subject"))
        .expect("the notice's mail");
    assert_eq!(
        notice_mail.header("subject"),
        Some("Lillby kommun: Telefonin ligger nere – Vi undersöker")
    );
    assert!(notice_mail
        .body
        .contains("Ring reservnumret 0771-11 11 11."));
    assert!(notice_mail
        .body
        .contains("http://localhost/status/lillby?lang=sv"));
    assert_eq!(
        notice_mail.header("list-unsubscribe-post"),
        Some("List-Unsubscribe=One-Click")
    );
    let one_click = link(
        &app,
        notice_mail.header("list-unsubscribe").unwrap(),
        "/status/lillby/unsubscribe/",
    );
    let texts = gateway.received();
    assert_eq!(texts.len(), 2);
    assert!(
        texts[1]
            .message
            .starts_with("Lillby kommun: Telefonin ligger nere – Vi undersöker."),
        "{}",
        texts[1].message
    );
    let bo_leave = link(&app, &texts[1].message, "/status/lillby/unsubscribe/");
    publish(&app, "E-posten ligger nere", &[mail_service], None).await;
    dispatcher.run_once(app.now()).await.unwrap();
    assert_eq!(sink.count(), 3);
    assert_eq!(gateway.received().len(), 2, "Bo chose the phones only");

    // Anna's mail program unsubscribes her in one click: a POST with no cookie.
    let r = reqwest::Client::new()
        .post(&one_click)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Bo opens his SMS's link: it shows all that is kept, and its button deletes it.
    let page = citizen
        .get(&bo_leave)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("+46701234567") && page.contains("Telefoni"),
        "{page}"
    );
    let r = citizen
        .post(&bo_leave)
        .form(&[("via", "page")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("vi har raderat dina uppgifter"));
    let counts = app
        .store
        .subscriber_counts(app.org.id, app.now())
        .await
        .unwrap();
    assert_eq!((counts.email, counts.sms), (0, 0));

    // Nothing more reaches either of them.
    publish(&app, "Telefonin och e-posten ligger nere", &[], None).await;
    dispatcher.run_once(app.now()).await.unwrap();
    assert_eq!(sink.count(), 3);
    assert_eq!(gateway.received().len(), 2);
    // The journal says who left how, never their address.
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    let removed: Vec<&str> = journal
        .iter()
        .filter(|e| e.kind == "status.subscription_removed")
        .map(|e| e.payload.as_str())
        .collect();
    assert_eq!(
        removed,
        [r#"{"how":"one_click"}"#, r#"{"how":"link"}"#],
        "in the order they left"
    );
    assert!(journal
        .iter()
        .all(|e| !e.payload.contains("anna@") && !e.payload.contains("4670")));
}

#[tokio::test]
async fn the_form_cannot_be_used_to_flood_an_address() {
    let app = TestApp::spawn().await;
    let citizen = browser();
    for _ in 0..3 {
        let (status, _) = subscribe(
            &app,
            &citizen,
            &[("channel", "email"), ("address", "anna@example.org")],
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, page) = subscribe(
        &app,
        &citizen,
        &[("channel", "email"), ("address", "ANNA@example.org")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("är upptaget just nu"), "{page}");
    // Someone else's address still works.
    let (status, _) = subscribe(
        &app,
        &citizen,
        &[("channel", "email"), ("address", "bo@example.org")],
    )
    .await;
    assert_eq!(status, 200);
    let counts = app
        .store
        .subscriber_counts(app.org.id, app.now())
        .await
        .unwrap();
    assert_eq!(counts.unconfirmed, 4);
    // Erased on her request, nothing keyed on her address stays: not even its count.
    let r = app
        .post(
            "/api/v1/orgs/lillby/subscribers/erase",
            &app.admin_token,
            serde_json::json!({"channel": "email", "address": "anna@example.org"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let counts = app
        .store
        .subscriber_counts(app.org.id, app.now())
        .await
        .unwrap();
    assert_eq!(counts.unconfirmed, 1);
    let (status, _) = subscribe(
        &app,
        &citizen,
        &[("channel", "email"), ("address", "anna@example.org")],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_made_up_or_altered_link_confirms_and_removes_nothing() {
    let app = TestApp::spawn().await;
    for path in [
        "/status/lillby/confirm/AAAA",
        "/status/lillby/unsubscribe/AAAA",
    ] {
        let r = reqwest::Client::new()
            .post(app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    // A real request's token does not work as an unsubscribe token, nor for another org.
    let request = app
        .store
        .request_subscription(
            app.org.id,
            beredskap_core::continuity::subscriptions::NewSubscriptionRequest {
                channel: beredskap_core::register::ContactKind::Email,
                address: "anna@example.org".into(),
                services: vec![],
                lang: "sv".into(),
            },
            app.now(),
        )
        .await
        .unwrap();
    let confirm = app
        .links
        .subscription_confirm_url("lillby", request.id, "sv");
    let token = confirm
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let r = reqwest::Client::new()
        .post(app.url(&format!("/status/lillby/unsubscribe/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::Client::new()
        .post(app.url(&format!("/status/storby/confirm/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.store
            .subscriber_counts(app.org.id, app.now())
            .await
            .unwrap()
            .unconfirmed,
        1
    );
}

#[tokio::test]
async fn crisis_leads_count_subscribers_and_erase_an_address_on_request() {
    use crate::helpers::{error_fields, expect_json};
    use beredskap_core::continuity::subscriptions::NewSubscriptionRequest;
    use beredskap_core::register::{ContactKind, Role};
    let app = TestApp::spawn().await;
    let phones = service(&app, "Telefoni").await;
    for (channel, address, services) in [
        (ContactKind::Sms, "+46701234567", vec![phones]),
        (ContactKind::Email, "anna@example.org", vec![]),
    ] {
        let request = app
            .store
            .request_subscription(
                app.org.id,
                NewSubscriptionRequest {
                    channel,
                    address: address.into(),
                    services,
                    lang: "sv".into(),
                },
                app.now(),
            )
            .await
            .unwrap();
        app.store
            .confirm_subscription(&Actor::public(), app.org.id, request.id, app.now())
            .await
            .unwrap();
    }
    let member = app.token_for(Role::Member, "bo@lillby.se").await;
    let r = app.get("/api/v1/orgs/lillby/subscribers", &member).await;
    assert_eq!(r.status(), 403);
    let counts = expect_json(
        app.get("/api/v1/orgs/lillby/subscribers", &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (counts["email"].as_u64(), counts["sms"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(counts["by_service"][0]["service_id"], phones.to_string());
    assert!(
        !counts.to_string().contains("4670"),
        "no addresses: {counts}"
    );
    // The number as its owner says it on the phone; a bad one is named.
    let r = app
        .post(
            "/api/v1/orgs/lillby/subscribers/erase",
            &app.admin_token,
            serde_json::json!({"channel": "sms", "address": "07012"}),
        )
        .await;
    assert_eq!(error_fields(&expect_json(r, 422).await), ["address"]);
    let r = app
        .post(
            "/api/v1/orgs/lillby/subscribers/erase",
            &member,
            serde_json::json!({"channel": "sms", "address": "070-123 45 67"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .post(
            "/api/v1/orgs/lillby/subscribers/erase",
            &app.admin_token,
            serde_json::json!({"channel": "sms", "address": "070-123 45 67"}),
        )
        .await;
    assert_eq!(expect_json(r, 200).await["erased"], 1);
    let counts = expect_json(
        app.get("/api/v1/orgs/lillby/subscribers", &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (counts["email"].as_u64(), counts["sms"].as_u64()),
        (Some(1), Some(0))
    );
    let journal = app.store.journal_page(app.org.id, 0, 1000).await.unwrap();
    let erased = journal
        .iter()
        .find(|e| e.kind == "status.subscription_removed")
        .unwrap();
    assert_eq!(erased.payload, r#"{"how":"on_request"}"#);
    assert!(erased.actor.as_str().starts_with("account:"));
}

#[tokio::test]
async fn a_burst_for_one_address_sends_no_more_confirmations_than_the_limit() {
    let app = TestApp::spawn().await;
    let citizen = browser();
    let page = citizen
        .get(app.url("/status/lillby/subscribe?lang=sv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (client, url, csrf) = (
            citizen.clone(),
            app.url("/status/lillby/subscribe"),
            csrf.clone(),
        );
        burst.spawn(async move {
            client
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("channel", "sms"),
                    ("address", "070-123 45 67"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut accepted = 0;
    while let Some(status) = burst.join_next().await {
        match status.unwrap() {
            200 => accepted += 1,
            422 => {}
            other => panic!("{other}"),
        }
    }
    assert_eq!(accepted, 3, "three requests, then waits");
    let counts = app
        .store
        .subscriber_counts(app.org.id, app.now())
        .await
        .unwrap();
    assert_eq!(counts.unconfirmed, 3, "a confirmation for each and no more");
    // Nor can a guest or another organisation's administrator see or erase subscribers.
    let guest = app
        .token_for(beredskap_core::register::Role::Guest, "gast@partner.se")
        .await;
    let r = app.get("/api/v1/orgs/lillby/subscribers", &guest).await;
    assert_eq!(r.status(), 403);
    let storby = app
        .store
        .create_org(
            &Actor::system(),
            beredskap_core::register::NewOrg::parse(
                "storby",
                "Storby kommun",
                beredskap_core::Region::Se,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let theirs = app
        .token_in(
            &storby,
            beredskap_core::register::Role::Admin,
            "admin@storby.se",
        )
        .await;
    let r = app.get("/api/v1/orgs/lillby/subscribers", &theirs).await;
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    let r = app
        .post(
            "/api/v1/orgs/lillby/subscribers/erase",
            &theirs,
            serde_json::json!({"channel": "sms", "address": "070-123 45 67"}),
        )
        .await;
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    assert_eq!(
        app.store
            .subscriber_counts(app.org.id, app.now())
            .await
            .unwrap()
            .unconfirmed,
        3
    );
}

#[tokio::test]
async fn huge_and_malformed_subscriptions_are_named_not_served() {
    let app = TestApp::spawn().await;
    let citizen = browser();
    let huge = "7".repeat(500_000);
    let (status, page) = subscribe(&app, &citizen, &[("channel", "sms"), ("address", &huge)]).await;
    assert_eq!(status, 422);
    assert!(page.contains("id=\"address-error\""));
    let mut fields: Vec<(&str, &str)> = vec![("channel", "email"), ("address", "a@example.org")];
    fields.extend(std::iter::repeat_n(("services", "not-a-service"), 5_000));
    let (status, page) = subscribe(&app, &citizen, &fields).await;
    assert_eq!(status, 422);
    assert_eq!(
        page.matches("<li><a href=\"#services\">").count(),
        1,
        "named once"
    );
    let (status, _) = subscribe(&app, &citizen, &[("channel", "fax"), ("address", "1")]).await;
    assert_eq!(status, 422);
    let counts = app
        .store
        .subscriber_counts(app.org.id, app.now())
        .await
        .unwrap();
    assert_eq!(counts.unconfirmed, 0, "nothing was kept or sent");
}
