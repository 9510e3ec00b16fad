//! The delivery worker against a local server that speaks the 46elks SMS API.

use crate::helpers::{error_fields, expect_json, point, TestApp};
use beredskap_core::alerting::{Answer, DeliveryStatus};
use beredskap_core::register::{
    ContactKind, ContactLabel, ContactPoint, NewGroup, NewPosition, PersonDraft, Role,
};
use beredskap_core::{Actor, PersonId, Slug};
use beredskap_server::alerting::Dispatcher;
use beredskap_server::notify::{FortySixElks, Notifier, Provider};
use beredskap_testkit::{sign_webhook, FakeSmsGateway, WEBHOOK_SECRET};
use chrono::Duration;
use serde_json::json;
use std::sync::Arc;

async fn person(app: &TestApp, name: &str, phones: &[&str]) -> PersonId {
    let points = phones.iter().map(|p| point(ContactKind::Sms, p)).collect();
    app.person(name, points).await
}

fn sms(gateway: &FakeSmsGateway) -> Notifier {
    let provider: Arc<dyn Provider> = Arc::new(FortySixElks::new(&gateway.config()).unwrap());
    Notifier {
        email: None,
        sms: Some(provider),
        push: None,
    }
}

/// A server whose SMS provider is the test gateway, and a delivery worker on it.
async fn with_sms_gateway() -> (FakeSmsGateway, TestApp, Dispatcher) {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let config = gateway.config();
    let app = TestApp::spawn_with(move |c| c.sms = Some(config)).await;
    let dispatcher = Dispatcher::new(app.store.clone(), sms(&gateway), app.links.clone());
    (gateway, app, dispatcher)
}

#[tokio::test]
async fn an_answer_stops_every_later_step_and_a_429_is_retried_when_the_provider_says() {
    an_answer_stops_every_later_step_and_a_429_is_retried_when_the_provider_says_on(
        TestApp::spawn().await,
    )
    .await;
}

#[tokio::test]
async fn an_answer_stops_every_later_step_and_a_429_is_retried_when_the_provider_says_on_postgres()
{
    if let Some(app) = TestApp::spawn_on_postgres(
        "an_answer_stops_every_later_step_and_a_429_is_retried_when_the_provider_says",
    )
    .await
    {
        an_answer_stops_every_later_step_and_a_429_is_retried_when_the_provider_says_on(app).await;
    }
}

async fn an_answer_stops_every_later_step_and_a_429_is_retried_when_the_provider_says_on(
    app: TestApp,
) {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let dispatcher = Dispatcher::new(app.store.clone(), sms(&gateway), app.links.clone());
    // Anna has a work and a private mobile: two steps, five minutes apart.
    let anna = person(&app, "Anna", &["+46701000001", "+46701000002"]).await;
    let bo = person(&app, "Bo", &["+46701000003", "+46701000004"]).await;
    let now = beredskap_core::journal::now();
    let alert = app
        .store
        .create_alert(
            &Actor::system(),
            app.org.id,
            crate::helpers::alert_to(
                vec![anna, bo],
                "Kan du komma in till stadshuset?",
                &["Ja", "Nej"],
                true,
            )
            .validate(None)
            .unwrap(),
            now,
        )
        .await
        .unwrap();

    assert_eq!(dispatcher.run_once(now).await.unwrap(), 2);
    let sent = gateway.received();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[0].message.starts_with("ÖVNING: Kan du komma in")
            && sent[0]
                .message
                .contains("\nSvara Ja / Nej: http://localhost/a/"),
        "{}",
        sent[0].message
    );
    // Nothing else is due yet.
    assert_eq!(
        dispatcher
            .run_once(now + Duration::minutes(1))
            .await
            .unwrap(),
        0
    );

    // Anna answers; five minutes on only Bo gets his second number.
    app.store
        .answer_alert(
            &Actor::system(),
            app.org.id,
            alert.id,
            Answer {
                person: anna,
                choice: Some("Ja".into()),
                via: "web".into(),
                at: now,
            },
        )
        .await
        .unwrap();
    // The gateway is busy once: the step waits as long as it asks, then goes.
    gateway.fail_next(429, Some(120));
    let later = now + Duration::minutes(5);
    dispatcher.run_once(later).await.unwrap();
    assert_eq!(gateway.received().len(), 2, "refused with 429");
    assert_eq!(
        dispatcher
            .run_once(later + Duration::seconds(60))
            .await
            .unwrap(),
        0,
        "not before Retry-After"
    );
    dispatcher
        .run_once(later + Duration::seconds(121))
        .await
        .unwrap();
    let sent = gateway.received();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].to, "+46701000004");
    assert!(
        !sent.iter().any(|m| m.to == "+46701000002"),
        "nothing more to Anna"
    );

    let roster = app.store.alert_roster(app.org.id, alert.id).await.unwrap();
    let anna_row = roster.iter().find(|r| r.person_id == anna).unwrap();
    let statuses: Vec<_> = anna_row.deliveries.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [DeliveryStatus::Sent, DeliveryStatus::Cancelled]);
    let bo_row = roster.iter().find(|r| r.person_id == bo).unwrap();
    assert!(bo_row
        .deliveries
        .iter()
        .all(|d| d.status == DeliveryStatus::Sent));
}

/// A gateway that asks for a second's pause gets it, and the message goes in the same
/// round, as a client doing nothing else would send it: not a round later.
#[tokio::test]
async fn a_short_pause_the_provider_asks_for_is_sat_out_in_the_same_round() {
    let (gateway, app, dispatcher) = with_sms_gateway().await;
    let anna = person(&app, "Anna", &["+46701000001"]).await;
    let now = app.now();
    let alert = app
        .send_alert(vec![anna], "Reservkraften har startat.", now)
        .await;
    gateway.fail_next(429, Some(1));
    let started = std::time::Instant::now();
    assert_eq!(dispatcher.run_once(now).await.unwrap(), 1);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the pause asked for"
    );
    assert_eq!(gateway.received().len(), 1, "sent after the pause");
    let roster = app.store.alert_roster(app.org.id, alert.id).await.unwrap();
    let delivery = &roster[0].deliveries[0];
    assert_eq!(delivery.status, DeliveryStatus::Sent);
    assert_eq!(delivery.attempts, 1, "one claim");
    assert_eq!(dispatcher.run_once(now).await.unwrap(), 0, "nothing left");
}

#[tokio::test]
async fn the_server_delivers_due_alerts_by_itself() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let app = TestApp::spawn_with(move |c| {
        c.sms = Some(sms);
        c.delivery_worker_seconds = 1;
    })
    .await;
    let anna = person(&app, "Anna", &["+46701000001"]).await;
    // The worker takes its time from the server's clock.
    app.send_alert(vec![anna], "Reservkraften har startat.", app.now())
        .await;
    // The worker runs every second; give it a few.
    gateway
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let sent = gateway.received();
    assert_eq!(sent.len(), 1, "handed to the SMS provider");
    assert!(
        sent[0]
            .message
            .starts_with("Reservkraften har startat.\nKvittera: http://localhost/a/"),
        "{}",
        sent[0].message
    );
}

/// Posts a form to the SMS webhook as the gateway would, signed (or not).
pub(crate) async fn webhook(
    app: &TestApp,
    path: &str,
    body: &str,
    signed: bool,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    if signed {
        let now = chrono::Utc::now().timestamp();
        request = request.header(
            "x-beredskap-signature",
            sign_webhook(WEBHOOK_SECRET, now, body),
        );
    }
    request.send().await.unwrap()
}

fn link_in(text: &str) -> String {
    let start = text.find("/a/").expect("an answer link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn an_alert_to_a_group_is_answered_by_sms_reply_and_link_and_reaches_a_silent_holders_deputy()
{
    let (gateway, app, dispatcher) = with_sms_gateway().await;
    let anna = person(&app, "Anna", &["+46701000001"]).await;
    let bo = person(&app, "Bo", &["+46701000002"]).await;
    let dora = person(&app, "Dora", &["+46701000003"]).await;
    let s = app.store.as_ref();
    let group = s
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: Slug::parse("krisledning").unwrap(),
                name: "Krisledningsgruppen".into(),
            },
        )
        .await
        .unwrap();
    s.set_group_members(&Actor::system(), app.org.id, group.id, vec![anna, bo])
        .await
        .unwrap();
    // Bo is TiB; Dora is his deputy.
    let tib = s
        .create_position(
            &Actor::system(),
            app.org.id,
            NewPosition {
                slug: Slug::parse("tib").unwrap(),
                name: "Tjänsteperson i beredskap".into(),
            },
        )
        .await
        .unwrap();
    s.set_position_holders(&Actor::system(), app.org.id, tib.id, vec![bo, dora])
        .await
        .unwrap();

    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let member = app.token_for(Role::Member, "member@lillby.se").await;
    let input = json!({
        "message": "Vattenläcka i stadshuset. Kan du komma?",
        "severity": "critical",
        "recipients": {"groups": [group.id], "deputies": true},
        "options": ["Ja", "Nej"],
        "step_minutes": 5,
    });
    let refused = app
        .post("/api/v1/orgs/lillby/alerts", &member, input.clone())
        .await;
    assert_eq!(refused.status(), 403);
    let bad = app
        .post(
            "/api/v1/orgs/lillby/alerts",
            &lead,
            json!({"message": "", "severity": "critical", "recipients": {}}),
        )
        .await;
    let body = expect_json(bad, 422).await;
    assert_eq!(error_fields(&body), ["message", "recipients"]);
    let sent = expect_json(
        app.post("/api/v1/orgs/lillby/alerts", &lead, input).await,
        201,
    )
    .await;
    let id = sent["id"].as_str().unwrap().to_owned();

    let now = beredskap_server::clock::Clock::now(app.clock.as_ref());
    dispatcher.run_once(now).await.unwrap();
    let texts: Vec<(String, String)> = gateway
        .received()
        .into_iter()
        .map(|m| (m.to, m.message))
        .collect();
    let to: Vec<&str> = texts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(to.len(), 2, "Anna and Bo now, Dora waits: {to:?}");
    assert!(!to.contains(&"+46701000003"));
    let anna_text = &texts.iter().find(|(t, _)| t == "+46701000001").unwrap().1;
    assert!(
        anna_text.contains("Svara Ja / Nej: http://localhost/a/"),
        "{anna_text}"
    );

    // Anna answers by SMS. Unsigned, the webhook refuses.
    let reply = "from=%2B46701000001&to=Beredskap&message=ja%2C+kommer";
    assert_eq!(
        webhook(&app, "/api/v1/hooks/sms/reply", reply, false)
            .await
            .status(),
        401
    );
    // Something that is not an answer gets an explanation back, and counts for nothing.
    let unclear = "from=%2B46701000001&to=Beredskap&message=vem+%C3%A4r+detta%3F";
    let result = expect_json(
        webhook(&app, "/api/v1/hooks/sms/reply", unclear, true).await,
        200,
    )
    .await;
    assert_eq!(result["understood"], false);
    let explained = gateway.received().last().unwrap().clone();
    assert_eq!(explained.to, "+46701000001");
    assert!(
        explained
            .message
            .contains("svaret förstods inte. Svara Ja / Nej"),
        "{}",
        explained.message
    );
    let result = expect_json(
        webhook(&app, "/api/v1/hooks/sms/reply", reply, true).await,
        200,
    )
    .await;
    assert_eq!(
        result,
        json!({"matched": true, "understood": true, "recorded": true, "activated": false})
    );
    // The gateway reports Anna's SMS delivered.
    let anna_ref = gateway
        .received()
        .into_iter()
        .find(|m| m.to == "+46701000001")
        .unwrap()
        .id;
    let report = format!("id={anna_ref}&status=delivered");
    let known = expect_json(
        webhook(&app, "/api/v1/hooks/sms/delivered", &report, true).await,
        200,
    )
    .await;
    assert_eq!(known, json!({"known": true}));

    // Bo stays silent: five minutes on, his deputy is alerted.
    dispatcher
        .run_once(now + Duration::minutes(5))
        .await
        .unwrap();
    let dora_text = gateway
        .received()
        .into_iter()
        .find(|m| m.to == "+46701000003")
        .expect("the deputy is alerted")
        .message;
    // Dora answers with the link: opening it shows the question and counts as seen.
    let link = link_in(&dora_text);
    let opened = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    let html = opened.text().await.unwrap();
    assert!(html.contains("Vattenläcka i stadshuset"));
    assert!(html.contains(r#"name="answer" value="Ja""#));
    let roster = expect_json(
        app.get(&format!("/api/v1/orgs/lillby/alerts/{id}"), &lead)
            .await,
        200,
    )
    .await;
    let state_of = |roster: &serde_json::Value, name: &str| -> serde_json::Value {
        roster["roster"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(state_of(&roster, "Dora")["state"], "seen");
    let answered = app
        .client
        .post(app.url(&link))
        .form(&[("answer", "Ja")])
        .send()
        .await
        .unwrap();
    assert!(answered
        .text()
        .await
        .unwrap()
        .contains("Tack! Ditt svar är registrerat."));
    let again = app
        .client
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("Du har redan svarat."), "single use");
    // One character of the signature changed (to another, whatever it was).
    let at = link.len() - 5;
    let other = if &link[at..at + 1] == "A" { "B" } else { "A" };
    let forged = format!("{}{other}{}", &link[..at], &link[at + 1..]);
    assert_eq!(
        app.client
            .get(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let roster = expect_json(
        app.get(&format!("/api/v1/orgs/lillby/alerts/{id}"), &lead)
            .await,
        200,
    )
    .await;
    let anna_line = state_of(&roster, "Anna");
    assert_eq!(
        (
            &anna_line["state"],
            &anna_line["answer"],
            &anna_line["answered_via"]
        ),
        (&json!("answered"), &json!("Ja"), &json!("sms"))
    );
    let dora_line = state_of(&roster, "Dora");
    assert_eq!(
        (&dora_line["answered_via"], &dora_line["reason"]),
        (&json!("link"), &json!("deputy:tib"))
    );
    assert_eq!(state_of(&roster, "Bo")["state"], "sent");
    assert!(state_of(&roster, "Anna")["delivered_at"].is_string());
    assert_eq!(
        roster["roster"][0]["name"], "Bo",
        "the one still to reach comes first"
    );
    let csv = app
        .get(
            &format!("/api/v1/orgs/lillby/alerts/{id}/roster.csv"),
            &lead,
        )
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("person_id,name,reason,state,answer"));
    assert!(
        csv.contains(",Anna,group:krisledning,answered,Ja,sms,"),
        "{csv}"
    );

    // Nothing more goes to those who answered, however long we wait.
    let before = gateway.received().len();
    dispatcher.run_once(now + Duration::hours(2)).await.unwrap();
    assert_eq!(gateway.received().len(), before);

    // Resolving tells all three who were reached.
    let closed = app
        .post(
            &format!("/api/v1/orgs/lillby/alerts/{id}/close"),
            &lead,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(expect_json(closed, 200).await["status"], "resolved");
    dispatcher.run_once(now + Duration::hours(2)).await.unwrap();
    let notices: Vec<String> = gateway.received()[before..]
        .iter()
        .map(|m| format!("{} {}", m.to, m.message))
        .collect();
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert!(notices.iter().all(|n| n.contains("AVSLUTAT: Vattenläcka")));
    let after = app
        .client
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(after.contains("Larmet är avslutat."));
    let list = expect_json(app.get("/api/v1/orgs/lillby/alerts", &lead).await, 200).await;
    assert_eq!(list[0]["answered"], 2);
    assert_eq!(list[0]["recipients"], 3);
}

fn k_link_in(text: &str) -> String {
    let start = text.find("/k/").expect("a contact-check link");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn a_contact_check_confirms_each_contact_point_and_shows_who_is_done() {
    let (gateway, app, dispatcher) = with_sms_gateway().await;
    // Anna has two numbers, neither confirmed yet; Bo one.
    let anna = app
        .store
        .create_person(
            &Actor::system(),
            app.org.id,
            PersonDraft {
                external_id: None,
                name: "Anna".into(),
                title: None,
                active: true,
                contact_points: ["+46701000001", "+46701000002"]
                    .iter()
                    .map(|n| ContactPoint {
                        kind: ContactKind::Sms,
                        label: ContactLabel::Work,
                        value: (*n).into(),
                        verified: false,
                    })
                    .collect(),
            },
        )
        .await
        .unwrap()
        .id;
    let bo = person(&app, "Bo", &["+46701000003"]).await;
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let late = json!({"recipients": {"people": [anna, bo]}, "deadline": "2020-01-01T00:00:00Z"});
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/contact-checks", &lead, late)
            .await,
        422,
    )
    .await;
    assert_eq!(error_fields(&body), ["deadline"]);
    let deadline = chrono::Utc::now() + Duration::days(7);
    let check = expect_json(
        app.post(
            "/api/v1/orgs/lillby/contact-checks",
            &lead,
            json!({"recipients": {"people": [anna, bo]}, "deadline": deadline}),
        )
        .await,
        201,
    )
    .await;
    let id = check["id"].as_str().unwrap().to_owned();
    dispatcher.run_once(chrono::Utc::now()).await.unwrap();
    let sent = gateway.received();
    assert_eq!(sent.len(), 3, "every contact point at once");
    assert!(sent[0]
        .message
        .starts_with("Beredskap kontrollerar att vi når dig"));
    let to_anna: Vec<String> = sent
        .iter()
        .filter(|m| m.to != "+46701000003")
        .map(|m| k_link_in(&m.message))
        .collect();

    // Opening the link confirms nothing; the button does.
    let page = app.client.get(app.url(&to_anna[0])).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Ja, det här når mig"), "{html}");
    assert!(html.contains("sms: +4670"), "which point, masked: {html}");
    let detail = format!("/api/v1/orgs/lillby/alerts/{id}");
    let roster = expect_json(app.get(&detail, &lead).await, 200).await;
    assert_eq!(roster["roster"][0]["confirmed_points"], 0);
    let done = app
        .client
        .post(app.url(&to_anna[0]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("Tack! Den här kontaktvägen är bekräftad."));
    let anna_now = app.store.person(app.org.id, anna).await.unwrap().unwrap();
    let verified: Vec<bool> = anna_now.contact_points.iter().map(|p| p.verified).collect();
    assert_eq!(verified.iter().filter(|v| **v).count(), 1, "{verified:?}");
    app.client.post(app.url(&to_anna[1])).send().await.unwrap();
    let roster = expect_json(app.get(&detail, &lead).await, 200).await;
    let line = |name: &str| -> serde_json::Value {
        roster["roster"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        line("Anna")["state"],
        "answered",
        "all her points confirmed"
    );
    assert_eq!(line("Anna")["confirmed_points"], 2);
    assert_eq!(line("Bo")["state"], "sent");
    let anna_now = app.store.person(app.org.id, anna).await.unwrap().unwrap();
    assert!(anna_now.contact_points.iter().all(|p| p.verified));
    let list = expect_json(app.get("/api/v1/orgs/lillby/alerts", &lead).await, 200).await;
    assert_eq!(list[0]["answered"], 1);
    assert!(list[0]["alert"]["contact_check_until"].is_string());

    // The readiness report names who has not answered, and why.
    let report = expect_json(app.get(&format!("{detail}/readiness"), &lead).await, 200).await;
    assert_eq!(report["answered"], 1);
    assert_eq!(report["answered_within_5_min"], 50);
    assert!(report["first_answer_seconds"].as_i64().unwrap() >= 0);
    // Bo was reached and is silent: not listed as not reached.
    assert_eq!(report["not_reached"], serde_json::json!([]));
    assert_eq!(report["silent"][0]["name"], "Bo");
    assert_eq!(report["silent"][0]["why"], "reached, no answer");
}

#[tokio::test]
async fn replies_signed_the_way_twilio_and_46elks_can_are_accepted() {
    use beredskap_server::config::SmsProviderKind;
    use beredskap_server::notify::signatures::twilio_signature;
    let gateway = FakeSmsGateway::start().await.unwrap();
    let twilio = gateway.config_for(SmsProviderKind::Twilio);
    let provider = beredskap_server::notify::sms_provider(&twilio).unwrap();
    let app = TestApp::spawn_with(move |c| c.sms = Some(twilio)).await;
    let notifier = Notifier {
        email: None,
        sms: Some(provider),
        push: None,
    };
    let dispatcher = Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    let anna = person(&app, "Anna", &["+46701000001"]).await;
    let bo = person(&app, "Bo", &["+46701000002"]).await;
    let now = beredskap_core::journal::now();
    let alert = app
        .store
        .create_alert(
            &Actor::system(),
            app.org.id,
            crate::helpers::alert_to(vec![anna, bo], "Kvittera.", &[], false)
                .validate(None)
                .unwrap(),
            now,
        )
        .await
        .unwrap();
    dispatcher.run_once(now).await.unwrap();

    // Twilio signs with the account's auth token over the URL it called and the fields.
    let url = "http://localhost/api/v1/hooks/sms/reply";
    let form: Vec<(String, String)> = [("From", "+46701000001"), ("Body", "OK")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let body = "From=%2B46701000001&Body=OK";
    let post = |signature: String| {
        app.client
            .post(app.url("/api/v1/hooks/sms/reply"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
    };
    assert_eq!(post("bm9wZQ==".into()).await.unwrap().status(), 401);
    let signed = twilio_signature(gateway.password.as_bytes(), url, &form);
    let result = expect_json(post(signed).await.unwrap(), 200).await;
    assert_eq!(result["recorded"], true);

    // 46elks cannot sign, but calls a URL with a password in it.
    let basic = |password: &str| {
        app.client
            .post(app.url("/api/v1/hooks/sms/reply"))
            .basic_auth("46elks", Some(password))
            .form(&[("from", "+46701000002"), ("message", "ok")])
            .send()
    };
    assert_eq!(basic("wrong").await.unwrap().status(), 401);
    let result = expect_json(basic(WEBHOOK_SECRET).await.unwrap(), 200).await;
    assert_eq!(result["recorded"], true);
    let roster = app.store.alert_roster(app.org.id, alert.id).await.unwrap();
    assert!(roster
        .iter()
        .all(|r| r.answered_via.as_deref() == Some("sms")));

    // Twilio's delivery report, signed the same way.
    let sid = gateway.received()[0].id.replacen('s', "SM", 1);
    let report: Vec<(String, String)> =
        [("MessageSid", sid.as_str()), ("MessageStatus", "delivered")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    let report_body = format!("MessageSid={sid}&MessageStatus=delivered");
    let signature = twilio_signature(
        gateway.password.as_bytes(),
        "http://localhost/api/v1/hooks/sms/delivered",
        &report,
    );
    let known = app
        .client
        .post(app.url("/api/v1/hooks/sms/delivered"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(report_body)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(known, 200).await, json!({"known": true}));
}

#[tokio::test]
async fn a_roster_csv_cannot_run_a_formula_in_the_spreadsheet_that_opens_it() {
    let app = TestApp::spawn().await;
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let attacker = person(&app, "=cmd|' /C calc'!A0", &["+46701000011"]).await;
    let plus = person(&app, "+SUM(A1)", &["+46701000012"]).await;
    let anna = person(&app, "Anna Berg", &["+46701000013"]).await;
    let alert = app
        .store
        .create_alert(
            &Actor::system(),
            app.org.id,
            crate::helpers::alert_to(vec![attacker, plus, anna], "Test", &[], true)
                .validate(None)
                .unwrap(),
            beredskap_core::journal::now(),
        )
        .await
        .unwrap();
    let path = format!("/api/v1/orgs/lillby/alerts/{}/roster.csv", alert.id);
    let csv = app.get(&path, &lead).await.text().await.unwrap();
    let names: Vec<String> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap()[1].to_owned())
        .collect();
    assert!(names.contains(&"'=cmd|' /C calc'!A0".to_owned()), "{csv}");
    assert!(names.contains(&"'+SUM(A1)".to_owned()), "{csv}");
    assert!(
        names.contains(&"Anna Berg".to_owned()),
        "plain names are kept: {csv}"
    );
    assert!(
        names.iter().all(|n| !n.starts_with(['=', '+', '-', '@'])),
        "{csv}"
    );
}

#[tokio::test]
async fn control_characters_are_refused_with_their_own_message_wherever_text_is_typed() {
    let app = TestApp::spawn().await;
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let anna = person(&app, "Anna", &["+46701000021"]).await;
    let message_of = |body: &serde_json::Value, field: &str| {
        body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .map(|f| f["message"].as_str().unwrap().to_owned())
    };
    // An escape sequence in an alert would reach every phone and mail reader.
    let alert = json!({
        "message": "Stadshuset\u{1b}[2J är stängt",
        "severity": "critical",
        "recipients": {"people": [anna]},
    });
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/alerts", &lead, alert).await,
        422,
    )
    .await;
    assert_eq!(
        message_of(&body, "message").as_deref(),
        Some("must not contain control characters"),
        "{body}"
    );
    // A name with a control character is not "too long".
    let person = json!({"name": "Anna\u{7}Berg", "contact_points": []});
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/people", &app.admin_token, person)
            .await,
        422,
    )
    .await;
    assert_eq!(
        message_of(&body, "name").as_deref(),
        Some("must not contain control characters"),
        "{body}"
    );
    // Line breaks in an alert are text, not control: they are kept.
    let alert = json!({
        "message": "Rad ett\r\nRad två",
        "severity": "critical",
        "recipients": {"people": [anna]},
    });
    let sent = expect_json(
        app.post("/api/v1/orgs/lillby/alerts", &lead, alert).await,
        201,
    )
    .await;
    assert_eq!(sent["message"], "Rad ett\nRad två");
}

#[tokio::test]
async fn an_sms_reply_answers_only_the_organisation_whose_number_it_went_to() {
    use beredskap_core::register::NewOrg;
    let gateway = FakeSmsGateway::start().await.unwrap();
    let config = gateway.config();
    let shared_sender = config.sender.clone();
    let app = TestApp::spawn_with(move |c| c.sms = Some(config)).await;
    let dispatcher = Dispatcher::new(app.store.clone(), sms(&gateway), app.links.clone());
    let s = app.store.as_ref();
    let norrby = s
        .create_org(
            &Actor::system(),
            NewOrg::parse("norrby", "Norrby kommun", beredskap_core::Region::Se).unwrap(),
        )
        .await
        .unwrap();
    // Eva works for both municipalities and has one phone.
    let phone = "+46701000009";
    let eva_lillby = person(&app, "Eva", &[phone]).await;
    let eva_norrby = s
        .create_person(
            &Actor::system(),
            norrby.id,
            PersonDraft {
                external_id: None,
                name: "Eva".into(),
                title: None,
                active: true,
                contact_points: vec![point(ContactKind::Sms, phone)],
            },
        )
        .await
        .unwrap()
        .id;
    let now = beredskap_core::journal::now();
    let send = |org, who, text: &str, at| {
        let input = crate::helpers::alert_to(vec![who], text, &["Ja", "Nej"], false);
        async move {
            s.create_alert(&Actor::system(), org, input.validate(None).unwrap(), at)
                .await
                .unwrap()
        }
    };
    send(
        app.org.id,
        eva_lillby,
        "Lillby: vattenläcka",
        now - Duration::minutes(1),
    )
    .await;
    send(norrby.id, eva_norrby, "Norrby: strömavbrott", now).await;
    dispatcher.run_once(now).await.unwrap();
    assert!(gateway.received().iter().all(|m| m.from == shared_sender));

    // Both came from the server's one number: the reply cannot say which it answers, so
    // it answers neither, and Eva is told to use the link.
    let reply = format!("from=%2B46701000009&to={shared_sender}&message=Ja");
    let result = expect_json(
        webhook(&app, "/api/v1/hooks/sms/reply", &reply, true).await,
        200,
    )
    .await;
    assert_eq!(
        result,
        json!({"matched": false, "understood": false, "recorded": false, "activated": false})
    );
    let told = gateway.received().last().unwrap().clone();
    assert_eq!(told.to, phone);
    assert!(
        told.message.contains("flera organisationer"),
        "{}",
        told.message
    );

    // Norrby takes a number of its own: its next alert comes from it, and a reply to it
    // answers Norrby's alerts only, even though Lillby's is open too.
    let number =
        beredskap_core::PhoneNumber::parse("0766-86 10 04", beredskap_core::Region::Se).unwrap();
    s.set_org_sms_number(&Actor::system(), norrby.id, Some(number))
        .await
        .unwrap();
    let later = now + Duration::minutes(1);
    let second = send(norrby.id, eva_norrby, "Norrby: elen är tillbaka", later).await;
    dispatcher.run_once(later).await.unwrap();
    let from_norrby = gateway.received().last().unwrap().clone();
    assert_eq!(from_norrby.from, "+46766861004");
    let reply = "from=%2B46701000009&to=%2B46766861004&message=Nej";
    let result = expect_json(
        webhook(&app, "/api/v1/hooks/sms/reply", reply, true).await,
        200,
    )
    .await;
    assert_eq!(
        result,
        json!({"matched": true, "understood": true, "recorded": true, "activated": false})
    );
    let row = &s.alert_roster(norrby.id, second.id).await.unwrap()[0];
    assert_eq!(row.answer.as_deref(), Some("Nej"));
    // The shared number now means Lillby alone.
    let reply = format!("from=%2B46701000009&to={shared_sender}&message=Ja");
    let result = expect_json(
        webhook(&app, "/api/v1/hooks/sms/reply", &reply, true).await,
        200,
    )
    .await;
    assert_eq!(result["recorded"], true);
}

/// The API answers a mistake with a code and its values for programs and an English
/// sentence for people, every mistake at once.
#[tokio::test]
async fn api_errors_carry_codes_with_values_and_english_messages() {
    let app = TestApp::spawn().await;
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let alert = json!({
        "message": "x".repeat(601),
        "severity": "critical",
        "recipients": {},
        "repeats": 11,
    });
    let body = expect_json(
        app.post("/api/v1/orgs/lillby/alerts", &lead, alert).await,
        422,
    )
    .await;
    let fields = body["fields"].as_array().unwrap();
    let find = |field: &str| fields.iter().find(|f| f["field"] == field).unwrap().clone();
    assert_eq!(
        find("message"),
        json!({"field": "message", "code": "too_long", "args": {"max": 600},
               "message": "must be at most 600 characters"})
    );
    assert_eq!(
        find("repeats"),
        json!({"field": "repeats", "code": "range", "args": {"min": 0, "max": 10},
               "message": "must be 0 to 10"})
    );
    assert_eq!(find("recipients")["code"], "no_recipients");
    assert_eq!(find("recipients")["args"], json!({}));
}

#[tokio::test]
async fn an_announcement_sent_out_to_the_crisis_group_reaches_people_without_accounts_by_sms_and_their_replies_fill_its_roster(
) {
    let (gateway, app, dispatcher) = with_sms_gateway().await;
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let member = app.token_for(Role::Member, "bo@lillby.se").await;
    // Eva and Olle have no account, only a mobile number in the register.
    let eva = person(&app, "Eva Ek", &["+46701000001"]).await;
    let olle = person(&app, "Olle Ås", &["+46701000002"]).await;
    let (lead_person, bo) = (
        app.account("lead@lillby.se").await.person_id,
        app.account("bo@lillby.se").await.person_id,
    );
    let s = app.store.as_ref();
    let group = s
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: Slug::parse("krisledning").unwrap(),
                name: "Krisledningsgrupp".into(),
            },
        )
        .await
        .unwrap();
    s.set_group_members(
        &Actor::system(),
        app.org.id,
        group.id,
        vec![lead_person, bo, eva, olle],
    )
    .await
    .unwrap();
    let channel = expect_json(
        app.post(
            "/api/v1/orgs/lillby/channels",
            &lead,
            json!({"kind": "group", "name": "Krisledningsgrupp", "classification": "Intern",
                   "group_id": group.id}),
        )
        .await,
        201,
    )
    .await;
    let messages = format!(
        "/api/v1/orgs/lillby/channels/{}/messages",
        channel["id"].as_str().unwrap()
    );
    let text = "Stabsmöte 08.00 i stabsrummet.";
    // Bo, a member, sees the channel through the group but may not send SMS to everyone.
    let refused = app
        .post(&messages, &member, json!({"body": text, "send_out": true}))
        .await;
    assert_eq!(refused.status(), 403);
    let posted = expect_json(
        app.post(&messages, &lead, json!({"body": text, "send_out": true}))
            .await,
        201,
    )
    .await;
    assert_eq!(posted["announcement"], true);
    let message_id = posted["id"].as_str().unwrap().to_owned();
    let alerts = expect_json(app.get("/api/v1/orgs/lillby/alerts", &lead).await, 200).await;
    let alert = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert"]["announcement"] == message_id.as_str())
        .expect("the announcement travels as an alert")["alert"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    dispatcher.run_once(app.now()).await.unwrap();
    let received = gateway.received();
    let mut to: Vec<&str> = received.iter().map(|m| m.to.as_str()).collect();
    to.sort();
    assert_eq!(to, ["+46701000001", "+46701000002"]);
    let eva_text = &received
        .iter()
        .find(|m| m.to == "+46701000001")
        .unwrap()
        .message;
    assert!(eva_text.starts_with(text), "{eva_text}");
    assert!(
        eva_text.contains("Bekräfta att du har läst: svara OK eller öppna http://localhost/a/"),
        "{eva_text}"
    );

    // Eva answers OK by SMS; Bo confirms in the app.
    let reply = "from=%2B46701000001&to=Beredskap&message=OK";
    let result = expect_json(
        webhook(&app, "/api/v1/hooks/sms/reply", reply, true).await,
        200,
    )
    .await;
    assert_eq!(result["recorded"], true);
    let confirm = format!("/api/v1/orgs/lillby/messages/{message_id}/confirm");
    expect_json(app.post(&confirm, &member, json!({})).await, 200).await;

    // One roster: Eva by SMS, Bo in the app, Olle not yet; the author is not on it.
    let detail = expect_json(
        app.get(&format!("/api/v1/orgs/lillby/alerts/{alert}"), &lead)
            .await,
        200,
    )
    .await;
    let line = |p: PersonId| {
        detail["roster"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["person_id"] == p.to_string().as_str())
            .cloned()
    };
    assert_eq!(line(eva).unwrap()["answered_via"], "sms");
    assert_eq!(line(bo).unwrap()["answered_via"], "web");
    assert_eq!(line(olle).unwrap()["answered_at"], serde_json::Value::Null);
    assert!(line(lead_person).is_none());
    assert_eq!(detail["roster"].as_array().unwrap().len(), 3);
    // The app's receipts agree for those with an account.
    let receipts = expect_json(
        app.get(
            &format!("/api/v1/orgs/lillby/messages/{message_id}/receipts"),
            &lead,
        )
        .await,
        200,
    )
    .await;
    assert!(receipts[0]["confirmed_at"].is_string(), "{receipts}");
    // Nothing more goes to Eva once she has answered.
    dispatcher
        .run_once(app.now() + Duration::minutes(30))
        .await
        .unwrap();
    assert!(!gateway
        .received()
        .iter()
        .skip(received.len())
        .any(|m| m.to == "+46701000001"));
}

/// A template is kept, previewed with whom it reaches, sent by version, and what it sends
/// is a real alert the worker hands to the SMS gateway.
#[tokio::test]
async fn a_template_previews_its_reach_and_sends_the_version_that_was_previewed() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let app = TestApp::spawn().await;
    let dispatcher = Dispatcher::new(app.store.clone(), sms(&gateway), app.links.clone());
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let member = app.token_for(Role::Member, "member@lillby.se").await;
    let anna = person(&app, "Anna", &["+46701000031"]).await;
    let bo = person(&app, "Bo", &["+46701000032"]).await;
    let cilla = person(&app, "Cilla", &[]).await;
    let group = app
        .store
        .create_group(
            &Actor::system(),
            app.org.id,
            NewGroup {
                slug: Slug::parse("krisgrupp").unwrap(),
                name: "Krisledningsgrupp".into(),
            },
        )
        .await
        .unwrap();
    app.store
        .set_group_members(
            &Actor::system(),
            app.org.id,
            group.id,
            vec![anna, bo, cilla],
        )
        .await
        .unwrap();
    let template = json!({
        "name": "IT-avbrott",
        "alert": {
            "message": "IT-avbrott: samling i stabsrummet kl 08.00. Kan du komma?",
            "severity": "critical",
            "recipients": {"groups": [group.id]},
            "options": ["Ja", "Nej"],
        },
    });
    let base = "/api/v1/orgs/lillby/alert-templates";
    // A member may neither keep nor read templates.
    assert_eq!(
        app.post(base, &member, template.clone()).await.status(),
        403
    );
    assert_eq!(app.get(base, &member).await.status(), 403);
    // Problems name their fields inside the template.
    let bad = expect_json(
        app.post(
            base,
            &lead,
            json!({"name": "", "alert": {"message": "", "severity": "critical",
                "recipients": {}}}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        error_fields(&bad),
        ["name", "alert.message", "alert.recipients"]
    );

    let saved = expect_json(app.post(base, &lead, template.clone()).await, 201).await;
    assert_eq!(saved["version"], 1);
    let id = saved["id"].as_str().unwrap().to_owned();
    // One name per organisation, in any case.
    let mut again = template.clone();
    again["name"] = json!("it-AVBROTT");
    let taken = expect_json(app.post(base, &lead, again).await, 409).await;
    assert_eq!(error_fields(&taken), ["name"]);

    let preview = expect_json(app.get(&format!("{base}/{id}"), &lead).await, 200).await;
    assert_eq!(preview["reach"]["people"], 3);
    assert_eq!(
        preview["reach"]["channels"],
        json!([{"channel": "sms", "people": 2}])
    );
    assert_eq!(preview["unreachable_names"], json!(["Cilla"]));
    assert_eq!(gateway.received().len(), 0, "a preview sends nothing");

    // Someone changes it after the preview: sending the previewed version sends nothing.
    let mut changed = template.clone();
    changed["alert"]["message"] = json!("Strömavbrott: samling i stabsrummet. Kan du komma?");
    changed["version"] = json!(1);
    let v2 = expect_json(
        app.put(&format!("{base}/{id}"), &lead, changed.clone())
            .await,
        200,
    )
    .await;
    assert_eq!(v2["version"], 2);
    let stale = expect_json(app.put(&format!("{base}/{id}"), &lead, changed).await, 409).await;
    assert_eq!(error_fields(&stale), ["version"]);
    let refused = app
        .post(&format!("{base}/{id}/send"), &lead, json!({"version": 1}))
        .await;
    assert_eq!(refused.status(), 409);
    assert!(app
        .store
        .list_alerts(app.org.id, 10)
        .await
        .unwrap()
        .is_empty());

    let alert = expect_json(
        app.post(&format!("{base}/{id}/send"), &lead, json!({"version": 2}))
            .await,
        201,
    )
    .await;
    assert_eq!(
        alert["message"],
        "Strömavbrott: samling i stabsrummet. Kan du komma?"
    );
    let now = beredskap_core::journal::now();
    assert_eq!(dispatcher.run_once(now).await.unwrap(), 2);
    let mut to: Vec<String> = gateway.received().into_iter().map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, ["+46701000031", "+46701000032"]);

    // Another organisation's caller does not find it; deleting it is journaled.
    let other = app
        .store
        .create_org(
            &Actor::system(),
            beredskap_core::register::NewOrg::parse(
                "norrby",
                "Norrby kommun",
                beredskap_core::Region::Se,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let stranger = app.token_in(&other, Role::Admin, "admin@norrby.se").await;
    assert_eq!(
        app.get(
            &format!("/api/v1/orgs/norrby/alert-templates/{id}"),
            &stranger
        )
        .await
        .status(),
        404
    );
    let deleted = app
        .client
        .delete(app.url(&format!("{base}/{id}")))
        .bearer_auth(&lead)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get(&format!("{base}/{id}"), &lead).await.status(), 404);
    let list = expect_json(app.get(base, &lead).await, 200).await;
    assert_eq!(list, json!([]));
}
