//! SMS in Twilio's and the signed webhook's shapes, failover to a secondary, a provider's
//! rate limit, and push: Web Push against an independent push service, and ntfy-style.

use crate::helpers::{point, TestApp};
use beredskap_core::alerting::{AlertInput, DeliveryStatus};
use beredskap_core::register::ContactKind;
use beredskap_core::{Actor, PersonId};
use beredskap_server::alerting::{Dispatcher, VAPID_KEY};
use beredskap_server::config::SmsProviderKind;
use beredskap_server::notify::{
    sms_provider, Failover, Notifier, NotifyError, OutgoingMessage, Provider, PushProvider,
};
use beredskap_testkit::{FakeSmsGateway, PushService};
use std::sync::Arc;

fn message(to: &str, key: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: to.into(),
        subject: "Beredskap".into(),
        body: "Larm: ring in".into(),
        idempotency_key: Some(key.into()),
        link: Some("https://beredskap.example/a/x".into()),
        from: None,
        attachment: None,
        unsubscribe: None,
    }
}

#[tokio::test]
async fn twilio_and_the_signed_webhook_hand_over_sms_in_their_own_shapes() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let twilio = sms_provider(&gateway.config_for(SmsProviderKind::Twilio)).unwrap();
    let (name, sid) = twilio
        .send_via(&message("+46701740605", "k1"))
        .await
        .unwrap();
    assert_eq!(name, "twilio");
    assert!(sid.starts_with("SM"), "{sid}");
    match twilio.send(&message("0701", "k2")).await.unwrap_err() {
        NotifyError::Rejected(reason) => assert!(reason.contains("21211"), "{reason}"),
        other => panic!("{other:?}"),
    }

    let webhook = sms_provider(&gateway.config_for(SmsProviderKind::Webhook)).unwrap();
    let first = webhook
        .send(&message("+46701740606", "alert:1:0"))
        .await
        .unwrap();
    // Handed over again (a crash before it was recorded): the gateway knows the key.
    let again = webhook
        .send(&message("+46701740606", "alert:1:0"))
        .await
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(gateway.repeated_keys(), 1);
    let to: Vec<String> = gateway.received().into_iter().map(|m| m.to).collect();
    assert_eq!(to, ["+46701740605", "+46701740606"], "one message each");
    // A wrong secret is refused by the gateway.
    let mut forged = gateway.config_for(SmsProviderKind::Webhook);
    forged.password = Some("not-the-secret".to_owned().into());
    match sms_provider(&forged)
        .unwrap()
        .send(&message("+46701740607", "k3"))
        .await
    {
        Err(NotifyError::Rejected(reason)) => assert!(reason.contains("401"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_secondary_provider_takes_over_when_the_primary_fails() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    // The primary's host does not answer at all.
    let mut down = gateway.config_for(SmsProviderKind::Twilio);
    down.url = "http://127.0.0.1:9/2010-04-01/Accounts/x/Messages.json".into();
    let failover = Failover::new(
        sms_provider(&down).unwrap(),
        sms_provider(&gateway.config()).unwrap(),
    );
    let (name, _) = failover
        .send_via(&message("+46701740605", "k"))
        .await
        .unwrap();
    assert_eq!(name, "46elks");
    // A primary that answers 503 is also passed over…
    let both_here = Failover::new(
        sms_provider(&gateway.config_for(SmsProviderKind::Twilio)).unwrap(),
        sms_provider(&gateway.config()).unwrap(),
    );
    gateway.fail_next(503, None);
    let (name, _) = both_here
        .send_via(&message("+46701740605", "k"))
        .await
        .unwrap();
    assert_eq!(name, "46elks");
    // …but a refused message is not sent elsewhere: the number is the problem.
    assert!(matches!(
        both_here.send_via(&message("0701", "k")).await,
        Err(NotifyError::Rejected(_))
    ));
    assert_eq!(gateway.received().len(), 2);
}

#[tokio::test]
async fn a_providers_rate_limit_spaces_the_hand_offs() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let mut limited = gateway.config();
    limited.rate_per_second = 4;
    let provider = sms_provider(&limited).unwrap();
    let started = std::time::Instant::now();
    for i in 0..8 {
        provider
            .send(&message("+46701740605", &format!("k{i}")))
            .await
            .unwrap();
    }
    // Four at once, then one every quarter second: at least a second for eight.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(gateway.received().len(), 8);
}

async fn person_with_push(app: &TestApp, name: &str, target: &str) -> PersonId {
    let target = beredskap_core::register::parse_push_target(target).unwrap();
    app.person(name, vec![point(ContactKind::Push, &target)])
        .await
}

fn ack(people: Vec<PersonId>, exercise: bool) -> AlertInput {
    crate::helpers::alert_to(people, "Brand i förrådet. Kvittera.", &[], exercise)
}

#[tokio::test]
async fn web_push_reaches_a_browser_subscription_signed_and_encrypted() {
    let Some(service) = PushService::start("web_push").await else {
        return;
    };
    let app = TestApp::spawn().await;
    let key = app.client.get(app.url("/push/key")).send().await.unwrap();
    let public_key = key.text().await.unwrap();
    let (subscription, client) = service.subscribe(&public_key).await;
    let gone = service.subscribe(&public_key).await;
    let anna = person_with_push(&app, "Anna", &subscription).await;
    let bo = person_with_push(&app, "Bo", &gone.0).await;
    service.expire(&gone.1).await;

    // The worker signs with the server's own VAPID key, as `serve` does.
    let vapid = app.store.signing_key(VAPID_KEY, vec![]).await.unwrap();
    let push = PushProvider::new(&vapid, "https://beredskap.example").unwrap();
    assert_eq!(push.public_key(), public_key);
    let notifier = Notifier {
        push: Some(Arc::new(push) as Arc<dyn Provider>),
        ..Notifier::default()
    };
    let dispatcher = Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    let now = beredskap_core::journal::now();
    let alert = app
        .store
        .create_alert(
            &Actor::system(),
            app.org.id,
            ack(vec![anna, bo], true).validate(None).unwrap(),
            now,
        )
        .await
        .unwrap();
    dispatcher.run_once(now).await.unwrap();

    let received = service.messages(&client).await;
    let roster = app.store.alert_roster(app.org.id, alert.id).await.unwrap();
    assert_eq!(received.len(), 1, "{received:?} {roster:?}");
    let payload: serde_json::Value = serde_json::from_str(&received[0]).unwrap();
    assert_eq!(
        payload["body"],
        "ÖVNING: Brand i förrådet. Kvittera.\nKvittera: http://localhost/a/".to_owned()
            + &app.links.token(alert.id, anna)
    );
    assert!(payload["url"]
        .as_str()
        .unwrap()
        .starts_with("http://localhost/a/"));
    assert!(payload["title"].as_str().unwrap().starts_with("ÖVNING"));
    // The expired subscription is a refusal, recorded as such.
    let roster = app.store.alert_roster(app.org.id, alert.id).await.unwrap();
    let bo_row = roster.iter().find(|r| r.person_id == bo).unwrap();
    let gone = &bo_row.deliveries[0];
    let error = gone.last_error.clone().unwrap_or_default();
    assert!(error.contains("410"), "{error}");
    assert_eq!(
        gone.status,
        DeliveryStatus::Failed,
        "a gone subscription is not retried"
    );
    assert_eq!(gone.attempts, 1);
    let anna_row = roster.iter().find(|r| r.person_id == anna).unwrap();
    assert_eq!(anna_row.deliveries[0].provider.as_deref(), Some("webpush"));
    // Hours later the worker finds nothing to hand over: the failed delivery is never
    // claimed again.
    let later = now + chrono::Duration::hours(3);
    assert_eq!(dispatcher.run_once(later).await.unwrap(), 0);
    let roster = app.store.alert_roster(app.org.id, alert.id).await.unwrap();
    let again = &roster
        .iter()
        .find(|r| r.person_id == bo)
        .unwrap()
        .deliveries[0];
    assert_eq!((again.status, again.attempts), (DeliveryStatus::Failed, 1));
    assert_eq!(service.messages(&client).await.len(), 1, "Anna got it once");
}

#[tokio::test]
async fn an_ntfy_style_endpoint_gets_the_text_with_a_title_and_the_answer_link() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let app = TestApp::spawn().await;
    let topic = format!("{}/push/beredskap-anna", gateway.base);
    // Plain http is only for a local test service; a real endpoint is https.
    let anna = app
        .person("Anna", vec![point(ContactKind::Push, &topic)])
        .await;
    let push =
        PushProvider::new(&PushProvider::generate_key(), "https://beredskap.example").unwrap();
    let notifier = Notifier {
        push: Some(Arc::new(push) as Arc<dyn Provider>),
        ..Notifier::default()
    };
    let dispatcher = Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    let now = beredskap_core::journal::now();
    app.store
        .create_alert(
            &Actor::system(),
            app.org.id,
            ack(vec![anna], false).validate(None).unwrap(),
            now,
        )
        .await
        .unwrap();
    dispatcher.run_once(now).await.unwrap();
    let pushed = gateway.pushed();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].topic, "beredskap-anna");
    assert!(
        pushed[0].title.starts_with("=?UTF-8?B?"),
        "non-ASCII title is encoded"
    );
    assert!(pushed[0].click.starts_with("http://localhost/a/"));
    assert!(pushed[0].body.starts_with("Brand i förrådet."));
}

#[tokio::test]
async fn a_primary_that_took_the_message_but_timed_out_gets_a_second_chance_before_the_secondary() {
    // The primary (a signed webhook gateway that honours idempotency keys) takes each
    // message and then stalls past our one-second limit; the secondary is another gateway.
    let primary_gateway = FakeSmsGateway::start().await.unwrap();
    let secondary_gateway = FakeSmsGateway::start().await.unwrap();
    let mut primary_config = primary_gateway.config_for(SmsProviderKind::Webhook);
    primary_config.timeout_seconds = 1;
    let failover = Failover::new(
        sms_provider(&primary_config).unwrap(),
        sms_provider(&secondary_gateway.config()).unwrap(),
    );
    primary_gateway.hold_after(0);
    let first = failover.send_via(&message("+46701740605", "alert-1")).await;
    assert!(
        matches!(first, Err(NotifyError::Uncertain { .. })),
        "{first:?}"
    );
    assert_eq!(primary_gateway.received().len(), 1, "the primary took it");
    assert!(
        secondary_gateway.received().is_empty(),
        "no second copy at once"
    );

    // The primary recovers: the next try, same key, is recognised; nobody gets it twice.
    primary_gateway.release();
    let (name, _) = failover
        .send_via(&message("+46701740605", "alert-1"))
        .await
        .unwrap();
    assert_eq!(name, "webhook");
    assert_eq!(primary_gateway.repeated_keys(), 1);
    assert_eq!(primary_gateway.received().len(), 1);
    assert!(secondary_gateway.received().is_empty());

    // A primary that stays silent: the second try goes to the secondary, so the alert is
    // not lost (a possible second copy is the lesser harm).
    primary_gateway.hold_after(1);
    let first = failover.send_via(&message("+46701740606", "alert-2")).await;
    assert!(
        matches!(first, Err(NotifyError::Uncertain { .. })),
        "{first:?}"
    );
    let (name, _) = failover
        .send_via(&message("+46701740606", "alert-2"))
        .await
        .unwrap();
    assert_eq!(name, "46elks");
    assert_eq!(secondary_gateway.received().len(), 1);
    primary_gateway.release();
}

#[tokio::test]
async fn the_secondary_provider_is_wired_from_the_configuration() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let mut down = gateway.config_for(SmsProviderKind::Twilio);
    down.url = "http://127.0.0.1:9/2010-04-01/Accounts/x/Messages.json".into();
    let config = beredskap_server::Config {
        sms: Some(down),
        sms_secondary: Some(gateway.config()),
        ..beredskap_server::Config::default()
    };
    let notifier = Notifier::from_config(&config).unwrap();
    let sms = notifier.sms.expect("an SMS provider");
    let (name, _) = sms.send_via(&message("+46701740605", "k")).await.unwrap();
    assert_eq!(name, "46elks", "the configured secondary took over");
    assert_eq!(gateway.received().len(), 1);
    // Without a secondary, the same failure is the primary's to report.
    let alone = beredskap_server::Config {
        sms: config.sms.clone(),
        ..beredskap_server::Config::default()
    };
    let sms = Notifier::from_config(&alone).unwrap().sms.unwrap();
    assert!(matches!(
        sms.send_via(&message("+46701740605", "k2")).await,
        Err(NotifyError::Temporary { .. })
    ));
}
