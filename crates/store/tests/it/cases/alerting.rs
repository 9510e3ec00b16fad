//! Conformance cases for alerts and their outbox.

use super::{actor, draft, org};
use beredskap_core::alerting::{AlertInput, Answer, DeliveryStatus, Recipients, Severity};
use beredskap_core::register::{
    ContactKind, ContactLabel, ContactPoint, NewGroup, NewPosition, Org,
};
use beredskap_core::store::StoreError;
use beredskap_core::{PersonId, Slug, Store};
use chrono::Duration;

use crate::harness::TestDb;

async fn reachable(s: &dyn Store, o: &Org, name: &str, phone: &str) -> PersonId {
    let mut person = draft(name, None);
    person.contact_points = vec![
        ContactPoint {
            kind: ContactKind::Sms,
            label: ContactLabel::Work,
            value: phone.into(),
            verified: true,
        },
        ContactPoint {
            kind: ContactKind::Email,
            label: ContactLabel::Private,
            value: format!("{}@example.org", name.to_lowercase()),
            verified: true,
        },
    ];
    s.create_person(&actor(), o.id, person).await.unwrap().id
}

fn answer(
    person: PersonId,
    choice: Option<String>,
    via: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Answer {
    Answer {
        person,
        choice,
        via: via.into(),
        at,
    }
}

fn input(recipients: Recipients, options: &[&str]) -> AlertInput {
    AlertInput {
        message: "Vattenläcka i stadshuset. Kan du komma?".into(),
        severity: Severity::Critical,
        recipients,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        exercise: false,
        step_minutes: 5,
    }
}

pub async fn an_alert_and_its_deliveries_land_together_and_an_answer_stops_the_rest(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = reachable(s, &o, "Anna", "+46701000001").await;
    let bo = reachable(s, &o, "Bo", "+46701000002").await;
    let nobody = s
        .create_person(&actor(), o.id, draft("Cecilia", None))
        .await
        .unwrap()
        .id;
    let group = s
        .create_group(
            &actor(),
            o.id,
            NewGroup {
                slug: Slug::parse("krisledning").unwrap(),
                name: "Krisledning".into(),
            },
        )
        .await
        .unwrap();
    s.set_group_members(&actor(), o.id, group.id, vec![anna, nobody])
        .await
        .unwrap();
    let position = s
        .create_position(
            &actor(),
            o.id,
            NewPosition {
                slug: Slug::parse("tib").unwrap(),
                name: "TiB".into(),
            },
        )
        .await
        .unwrap();
    s.set_position_holders(&actor(), o.id, position.id, vec![bo, anna])
        .await
        .unwrap();
    let now = beredskap_core::journal::now();
    let recipients = Recipients {
        people: vec![anna],
        groups: vec![group.id],
        positions: vec![position.id],
    };
    let alert = s
        .create_alert(
            &actor(),
            o.id,
            input(recipients, &["Ja", "Nej"]).validate(None).unwrap(),
            now,
        )
        .await
        .unwrap();
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    let reasons: Vec<(PersonId, &str)> = roster
        .iter()
        .map(|r| (r.person_id, r.reason.as_str()))
        .collect();
    assert_eq!(roster.len(), 3, "each person once: {reasons:?}");
    assert!(reasons.contains(&(anna, "person")));
    assert!(
        reasons.contains(&(bo, "position:tib")),
        "the holder, not the deputy"
    );
    assert!(reasons.contains(&(nobody, "group:krisledning")));
    let of = |p: PersonId| roster.iter().find(|r| r.person_id == p).unwrap();
    assert_eq!(
        of(anna).deliveries.len(),
        2,
        "SMS now, email five minutes later"
    );
    assert!(
        of(nobody).deliveries.is_empty(),
        "unreachable, and shown as such"
    );

    // Workers take only what is due, once (a long lease: this test's worker never dies).
    let first = s
        .claim_deliveries(now, 100, Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(first
        .iter()
        .all(|d| d.step == 0 && d.channel == ContactKind::Sms));
    assert!(s
        .claim_deliveries(now, 100, Duration::minutes(1))
        .await
        .unwrap()
        .is_empty());

    // Anna answers: her email step is cancelled; Bo's still comes.
    assert_eq!(
        s.answer_alert(
            &actor(),
            o.id,
            alert.id,
            answer(anna, Some("kanske".into()), "sms", now)
        )
        .await
        .unwrap_err(),
        StoreError::invalid("answer", "must be one of: Ja, Nej")
    );
    assert!(s
        .answer_alert(
            &actor(),
            o.id,
            alert.id,
            answer(anna, Some(" ja ".into()), "sms", now)
        )
        .await
        .unwrap());
    assert!(
        !s.answer_alert(
            &actor(),
            o.id,
            alert.id,
            answer(anna, Some("Nej".into()), "web", now)
        )
        .await
        .unwrap(),
        "the first answer counts"
    );
    let later = now + Duration::minutes(6);
    let next = s
        .claim_deliveries(later, 100, Duration::minutes(1))
        .await
        .unwrap();
    let people: Vec<_> = next.iter().map(|d| (d.person_id, d.channel)).collect();
    assert_eq!(people, [(bo, ContactKind::Email)], "nothing more to Anna");
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    let anna_row = roster.iter().find(|r| r.person_id == anna).unwrap();
    assert_eq!(anna_row.answer.as_deref(), Some("Ja"));
    assert_eq!(anna_row.answered_via.as_deref(), Some("sms"));
    let statuses: Vec<_> = anna_row.deliveries.iter().map(|d| d.status).collect();
    // Her SMS was already claimed when she answered; it is cancelled too, so a worker
    // that had not sent it yet will not.
    assert_eq!(
        statuses,
        [DeliveryStatus::Cancelled, DeliveryStatus::Cancelled]
    );
    let kinds: Vec<_> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "alert.answered").count(), 1);
    assert!(kinds.iter().any(|k| k == "alert.sent"));

    // Someone not alerted cannot answer; another organisation's alert is not found.
    let stranger = reachable(s, &o, "Dag", "+46701000004").await;
    assert_eq!(
        s.answer_alert(
            &actor(),
            o.id,
            alert.id,
            answer(stranger, Some("Ja".into()), "web", now)
        )
        .await
        .unwrap_err(),
        StoreError::NotFound
    );
}

pub async fn a_worker_that_dies_loses_its_claim_when_the_lease_ends(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = reachable(s, &o, "Anna", "+46701000001").await;
    let now = beredskap_core::journal::now();
    let recipients = Recipients {
        people: vec![anna],
        ..Recipients::default()
    };
    s.create_alert(
        &actor(),
        o.id,
        input(recipients, &[]).validate(None).unwrap(),
        now,
    )
    .await
    .unwrap();
    let taken = s
        .claim_deliveries(now, 10, Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert!(s
        .claim_deliveries(now + Duration::seconds(10), 10, Duration::seconds(30))
        .await
        .unwrap()
        .is_empty());
    let again = s
        .claim_deliveries(now + Duration::seconds(31), 10, Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, taken[0].id);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(
        again[0].idempotency_key, taken[0].idempotency_key,
        "the same key to the provider"
    );
    let bad = Recipients {
        people: vec![PersonId::new()],
        ..Recipients::default()
    };
    match s
        .create_alert(&actor(), o.id, input(bad, &[]).validate(None).unwrap(), now)
        .await
        .unwrap_err()
    {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "recipients.people[0]"),
        other => panic!("{other:?}"),
    }
}
