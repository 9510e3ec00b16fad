//! The delivery worker against a local server that speaks the 46elks SMS API.

use crate::helpers::TestApp;
use beredskap_core::alerting::{AlertInput, Answer, DeliveryStatus, Recipients, Severity};
use beredskap_core::register::{ContactKind, ContactLabel, ContactPoint, PersonDraft};
use beredskap_core::{Actor, PersonId};
use beredskap_server::alerting::Dispatcher;
use beredskap_server::notify::{FortySixElks, Notifier, Provider};
use beredskap_server::testing::FakeSmsGateway;
use chrono::Duration;
use std::sync::Arc;

async fn person(app: &TestApp, name: &str, phones: &[&str]) -> PersonId {
    let contact_points = phones
        .iter()
        .map(|p| ContactPoint {
            kind: ContactKind::Sms,
            label: ContactLabel::Work,
            value: (*p).into(),
            verified: true,
        })
        .collect();
    app.store
        .create_person(
            &Actor::system(),
            app.org.id,
            PersonDraft {
                external_id: None,
                name: name.into(),
                title: None,
                active: true,
                contact_points,
            },
        )
        .await
        .unwrap()
        .id
}

fn sms(gateway: &FakeSmsGateway) -> Notifier {
    let provider: Arc<dyn Provider> = Arc::new(FortySixElks::new(&gateway.config()).unwrap());
    Notifier {
        email: None,
        sms: Some(provider),
    }
}

#[tokio::test]
async fn an_answer_stops_every_later_step_and_a_429_is_retried_when_the_provider_says() {
    let app = TestApp::spawn().await;
    let gateway = FakeSmsGateway::start().await.unwrap();
    let dispatcher = Dispatcher::new(app.store.clone(), sms(&gateway));
    // Anna has a work and a private mobile: two steps, five minutes apart.
    let anna = person(&app, "Anna", &["+46701000001", "+46701000002"]).await;
    let bo = person(&app, "Bo", &["+46701000003", "+46701000004"]).await;
    let now = beredskap_core::journal::now();
    let alert = app
        .store
        .create_alert(
            &Actor::system(),
            app.org.id,
            AlertInput {
                message: "Kan du komma in till stadshuset?".into(),
                severity: Severity::Critical,
                recipients: Recipients {
                    people: vec![anna, bo],
                    ..Recipients::default()
                },
                options: vec!["Ja".into(), "Nej".into()],
                exercise: true,
                step_minutes: 5,
            }
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
            && sent[0].message.ends_with("Svara: Ja / Nej"),
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
    app.store
        .create_alert(
            &Actor::system(),
            app.org.id,
            AlertInput {
                message: "Reservkraften har startat.".into(),
                severity: Severity::Info,
                recipients: Recipients {
                    people: vec![anna],
                    ..Recipients::default()
                },
                options: vec![],
                exercise: false,
                step_minutes: 5,
            }
            .validate(None)
            .unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    // The worker runs every second; give it a few.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while gateway.received().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sent = gateway.received();
    assert_eq!(sent.len(), 1, "handed to the SMS provider");
    assert_eq!(sent[0].message, "Reservkraften har startat.");
}
