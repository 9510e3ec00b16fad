//! Conformance cases for alerts and their outbox.

use super::{actor, draft, org};
use beredskap_core::alerting::{
    AlertInput, AlertStatus, Answer, DeliveryKind, DeliveryOutcome, DeliveryStatus,
    GroupEscalation, Recipients, ReplyOutcome, Severity,
};
use beredskap_core::register::{
    ContactKind, ContactLabel, ContactPoint, NewGroup, NewPosition, Org,
};
use beredskap_core::store::StoreError;
use beredskap_core::{PersonId, PositionId, Slug, Store};
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
        repeats: 0,
        repeat_minutes: 15,
        escalation: None,
    }
}

/// `count` people reachable by SMS and email, and an alert to all of them sent `now`.
async fn alert_to_many(
    s: &dyn Store,
    o: &Org,
    count: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<PersonId>, beredskap_core::alerting::Alert) {
    let mut people = Vec::new();
    for i in 0..count {
        people.push(reachable(s, o, &format!("P{i}"), &format!("+4670100{i:04}")).await);
    }
    let recipients = Recipients {
        people: people.clone(),
        ..Recipients::default()
    };
    let alert = s
        .create_alert(
            &actor(),
            o.id,
            input(recipients, &[]).validate(None).unwrap(),
            now,
        )
        .await
        .unwrap();
    (people, alert)
}

/// Lillby, with an alert to `count` new people sent now: (org, people, alert, now).
async fn lillby_alerting(
    s: &dyn Store,
    count: usize,
) -> (
    Org,
    Vec<PersonId>,
    beredskap_core::alerting::Alert,
    chrono::DateTime<chrono::Utc>,
) {
    let o = org(s, "lillby").await;
    let now = beredskap_core::journal::now();
    let (people, alert) = alert_to_many(s, &o, count, now).await;
    (o, people, alert, now)
}

async fn position(s: &dyn Store, o: &Org, slug: &str, holders: Vec<PersonId>) -> PositionId {
    let p = s
        .create_position(
            &actor(),
            o.id,
            NewPosition {
                slug: Slug::parse(slug).unwrap(),
                name: slug.to_uppercase(),
            },
        )
        .await
        .unwrap();
    s.set_position_holders(&actor(), o.id, p.id, holders)
        .await
        .unwrap();
    p.id
}

/// Records `claimed` as handed over at `at`, in one write.
async fn record_sent(
    s: &dyn Store,
    claimed: &[beredskap_core::alerting::Delivery],
    at: chrono::DateTime<chrono::Utc>,
) {
    let sent = claimed
        .iter()
        .map(|d| {
            let outcome = DeliveryOutcome::Sent {
                provider: "test".into(),
                provider_ref: format!("ref-{}", d.id),
            };
            (d.id, outcome, at)
        })
        .collect();
    s.finish_deliveries(sent).await.unwrap();
}

/// Claims what is due at `at` and reports it handed over; returns (person, channel, kind).
async fn hand_over_due(
    s: &dyn Store,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<(PersonId, ContactKind, DeliveryKind)> {
    let claimed = s
        .claim_deliveries(at, 1000, Duration::minutes(1))
        .await
        .unwrap();
    record_sent(s, &claimed, at).await;
    claimed
        .into_iter()
        .map(|d| (d.person_id, d.channel, d.kind))
        .collect()
}

pub async fn a_silent_holder_is_followed_by_the_deputy_and_a_covering_answer_stops_the_chain(
    db: &TestDb,
) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let holder = reachable(s, &o, "Hugo", "+46701000011").await;
    let deputy = reachable(s, &o, "Dora", "+46701000012").await;
    let second = reachable(s, &o, "Sam", "+46701000013").await;
    let tib = position(s, &o, "tib", vec![holder, deputy, second]).await;
    let now = beredskap_core::journal::now();
    let mut poll = input(
        Recipients {
            positions: vec![tib],
            ..Recipients::default()
        },
        &["Ja", "Nej"],
    );
    poll.repeats = 1;
    poll.repeat_minutes = 30;
    let alert = s
        .create_alert(&actor(), o.id, poll.validate(None).unwrap(), now)
        .await
        .unwrap();
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    let row = |p: PersonId| roster.iter().find(|r| r.person_id == p).unwrap().clone();
    assert_eq!(row(holder).reason, "position:tib");
    assert_eq!(row(deputy).reason, "deputy:tib");
    assert_eq!(row(deputy).follows, Some(holder));
    assert_eq!(row(second).follows, Some(deputy));
    let due = |p: PersonId| -> Vec<i64> {
        row(p)
            .deliveries
            .iter()
            .map(|d| (d.due_at - now).num_minutes())
            .collect()
    };
    // SMS, email; 30 minutes after the last step, the same again.
    assert_eq!(due(holder), [0, 5, 35, 40]);
    assert_eq!(
        due(deputy),
        [10, 15, 45, 50],
        "after the holder's first round"
    );
    assert_eq!(due(second), [20, 25, 55, 60]);

    assert_eq!(hand_over_due(s, now).await.len(), 1);
    assert_eq!(hand_over_due(s, now + Duration::minutes(5)).await.len(), 1);
    // The holder stays silent: the deputy is alerted.
    let at = now + Duration::minutes(10);
    assert_eq!(
        hand_over_due(s, at).await,
        [(deputy, ContactKind::Sms, DeliveryKind::Alert)]
    );
    // "Nej" from the deputy stops only the deputy; the next one still comes.
    assert!(s
        .answer_alert(
            &actor(),
            o.id,
            alert.id,
            answer(deputy, Some("Nej".into()), "sms", at)
        )
        .await
        .unwrap());
    // "Ja" from the holder covers the position: nothing more to anyone in the chain.
    assert!(s
        .answer_alert(
            &actor(),
            o.id,
            alert.id,
            answer(holder, Some("Ja".into()), "link", at)
        )
        .await
        .unwrap());
    assert!(hand_over_due(s, now + Duration::hours(3)).await.is_empty());
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    for r in &roster {
        assert!(
            r.deliveries
                .iter()
                .all(|d| matches!(d.status, DeliveryStatus::Sent | DeliveryStatus::Cancelled)),
            "{r:?}"
        );
    }
}

pub async fn closing_an_alert_stops_it_and_tells_everyone_it_reached(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = reachable(s, &o, "Anna", "+46701000001").await;
    let bo = reachable(s, &o, "Bo", "+46701000002").await;
    let now = beredskap_core::journal::now();
    let mut two = input(
        Recipients {
            people: vec![anna, bo],
            ..Recipients::default()
        },
        &[],
    );
    two.exercise = true;
    let alert = s
        .create_alert(&actor(), o.id, two.validate(None).unwrap(), now)
        .await
        .unwrap();
    // Both get the SMS; Anna answers, so only Bo is still open.
    assert_eq!(hand_over_due(s, now).await.len(), 2);
    assert_eq!(s.open_alerts_for(o.id, anna).await.unwrap()[0].id, alert.id);
    s.answer_alert(&actor(), o.id, alert.id, answer(anna, None, "web", now))
        .await
        .unwrap();
    assert!(s.open_alerts_for(o.id, anna).await.unwrap().is_empty());
    assert_eq!(s.open_alerts_for(o.id, bo).await.unwrap().len(), 1);
    let summary = &s.list_alerts(o.id, 10).await.unwrap()[0];
    assert_eq!((summary.recipients, summary.answered), (2, 1));

    let closed = s
        .close_alert(&actor(), o.id, alert.id, AlertStatus::Resolved, now)
        .await
        .unwrap();
    assert_eq!(closed.status, AlertStatus::Resolved);
    assert_eq!(closed.closed_at, Some(now));
    // Bo's email step is cancelled; both hear that it is over, by the SMS that reached them.
    let mut notices = hand_over_due(s, now + Duration::hours(1)).await;
    notices.sort_by_key(|n| n.0);
    let mut expected = vec![
        (anna, ContactKind::Sms, DeliveryKind::Resolved),
        (bo, ContactKind::Sms, DeliveryKind::Resolved),
    ];
    expected.sort_by_key(|n| n.0);
    assert_eq!(notices, expected);
    assert_eq!(
        s.close_alert(&actor(), o.id, alert.id, AlertStatus::Cancelled, now)
            .await
            .unwrap_err(),
        StoreError::Conflict(beredskap_core::store::Conflict::AlertClosed)
    );
    assert_eq!(
        s.answer_alert(&actor(), o.id, alert.id, answer(bo, None, "web", now))
            .await
            .unwrap_err(),
        StoreError::Conflict(beredskap_core::store::Conflict::AlertClosed)
    );
    assert!(s.open_alerts_for(o.id, bo).await.unwrap().is_empty());
    let kinds: Vec<_> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.iter().any(|k| k == "alert.resolved"), "{kinds:?}");
}

pub async fn too_few_answers_in_time_bring_in_the_escalation_group(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = reachable(s, &o, "Anna", "+46701000001").await;
    let bo = reachable(s, &o, "Bo", "+46701000002").await;
    let cia = reachable(s, &o, "Cia", "+46701000003").await;
    let reserve = s
        .create_group(
            &actor(),
            o.id,
            NewGroup {
                slug: Slug::parse("reserv").unwrap(),
                name: "Reserv".into(),
            },
        )
        .await
        .unwrap();
    s.set_group_members(&actor(), o.id, reserve.id, vec![bo, cia])
        .await
        .unwrap();
    let now = beredskap_core::journal::now();
    let mut poll = input(
        Recipients {
            people: vec![anna, bo],
            ..Recipients::default()
        },
        &["Ja", "Nej"],
    );
    poll.escalation = Some(GroupEscalation {
        group: reserve.id,
        min_answers: 1,
        after_minutes: 10,
    });
    let alert = s
        .create_alert(&actor(), o.id, poll.validate(None).unwrap(), now)
        .await
        .unwrap();
    assert_eq!(s.escalate_due(now + Duration::minutes(9)).await.unwrap(), 0);
    // "Nej" is an answer but not one that helps.
    s.answer_alert(
        &actor(),
        o.id,
        alert.id,
        answer(anna, Some("Nej".into()), "sms", now),
    )
    .await
    .unwrap();
    let at = now + Duration::minutes(10);
    assert_eq!(s.escalate_due(at).await.unwrap(), 1);
    assert_eq!(s.escalate_due(at).await.unwrap(), 0, "once");
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    let reason = |p: PersonId| {
        roster
            .iter()
            .find(|r| r.person_id == p)
            .map(|r| r.reason.clone())
    };
    assert_eq!(reason(cia).as_deref(), Some("escalation:reserv"));
    assert_eq!(
        reason(bo).as_deref(),
        Some("person"),
        "already alerted, not twice"
    );
    let cia_first = &roster
        .iter()
        .find(|r| r.person_id == cia)
        .unwrap()
        .deliveries[0];
    assert_eq!(cia_first.due_at, at, "from the moment of escalation");

    // Enough answers: no escalation.
    let mut enough = input(
        Recipients {
            people: vec![anna],
            ..Recipients::default()
        },
        &[],
    );
    enough.escalation = Some(GroupEscalation {
        group: reserve.id,
        min_answers: 1,
        after_minutes: 10,
    });
    let calm = s
        .create_alert(&actor(), o.id, enough.validate(None).unwrap(), now)
        .await
        .unwrap();
    s.answer_alert(&actor(), o.id, calm.id, answer(anna, None, "web", now))
        .await
        .unwrap();
    assert_eq!(s.escalate_due(at).await.unwrap(), 0);
    assert_eq!(s.alert_roster(o.id, calm.id).await.unwrap().len(), 1);
}

pub async fn an_sms_reply_answers_the_newest_open_alert_to_that_number(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = reachable(s, &o, "Anna", "+46701000001").await;
    let now = beredskap_core::journal::now();
    let reply = |text: &'static str| s.answer_by_reply("+46701000001", None, text, now);
    assert_eq!(reply("Ja").await.unwrap(), ReplyOutcome::Unmatched);
    let recipients = Recipients {
        people: vec![anna],
        ..Recipients::default()
    };
    let older = s
        .create_alert(
            &actor(),
            o.id,
            input(recipients.clone(), &["Ja", "Nej"])
                .validate(None)
                .unwrap(),
            now - Duration::minutes(10),
        )
        .await
        .unwrap();
    let alert = s
        .create_alert(
            &actor(),
            o.id,
            input(recipients, &["Ja", "Nej"]).validate(None).unwrap(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        reply("Ja").await.unwrap(),
        ReplyOutcome::Unmatched,
        "nothing was sent to that number yet"
    );
    hand_over_due(s, now).await;
    let matched = |outcome: ReplyOutcome| match outcome {
        ReplyOutcome::Matched(m) => m,
        other => panic!("{other:?}"),
    };
    let unclear = matched(reply("vem är detta?").await.unwrap());
    assert!(!unclear.understood && !unclear.answered);
    let first = matched(reply("ja, om 20 min").await.unwrap());
    assert_eq!(
        (first.alert_id, first.person_id),
        (alert.id, anna),
        "the newest"
    );
    assert!(first.understood && first.answered);
    let row = &s.alert_roster(o.id, alert.id).await.unwrap()[0];
    assert_eq!(
        (row.answer.as_deref(), row.answered_via.as_deref()),
        (Some("Ja"), Some("sms"))
    );
    assert!(
        row.deliveries[1].status == DeliveryStatus::Cancelled,
        "the email step is not needed"
    );
    let second = matched(reply("Nej").await.unwrap());
    assert_eq!(second.alert_id, older.id, "then the one before it");
    let older_row = &s.alert_roster(o.id, older.id).await.unwrap()[0];
    assert_eq!(older_row.answer.as_deref(), Some("Nej"));
    assert_eq!(
        reply("Nej").await.unwrap(),
        ReplyOutcome::Unmatched,
        "both answered: nothing open for that number"
    );

    // Seen, delivered, and the signing key every node shares.
    s.mark_alert_seen(o.id, alert.id, anna, now).await.unwrap();
    s.mark_alert_seen(o.id, alert.id, anna, now + Duration::minutes(1))
        .await
        .unwrap();
    let sms = &row.deliveries[0];
    assert!(s
        .delivery_report("test", &format!("ref-{}", sms.id), now)
        .await
        .unwrap());
    assert!(!s.delivery_report("test", "unknown", now).await.unwrap());
    let row = &s.alert_roster(o.id, alert.id).await.unwrap()[0];
    assert_eq!(row.seen_at, Some(now), "the first time counts");
    assert_eq!(row.deliveries[0].delivered_at, Some(now));
    assert_eq!(row.deliveries[0].provider.as_deref(), Some("test"));
    let key = s.signing_key("answer-links", vec![1; 32]).await.unwrap();
    assert_eq!(key, vec![1; 32]);
    assert_eq!(
        s.signing_key("answer-links", vec![2; 32]).await.unwrap(),
        key,
        "made once"
    );
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
    s.set_position_holders(&actor(), o.id, position.id, vec![bo])
        .await
        .unwrap();
    let now = beredskap_core::journal::now();
    let recipients = Recipients {
        people: vec![anna],
        groups: vec![group.id],
        positions: vec![position.id],
        deputies: false,
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
    assert!(reasons.contains(&(bo, "position:tib")));
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
        StoreError::invalid(
            "answer",
            beredskap_core::Problem::OneOf {
                choices: "Ja, Nej".into()
            }
        )
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
    let (o, _, _, now) = lillby_alerting(s, 1).await;
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

pub async fn an_alert_to_a_position_reaches_whoever_is_on_call(db: &TestDb) {
    use beredskap_core::rotation::{OverrideInput, RotationInput};
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = reachable(s, &o, "Anna", "+46701000001").await;
    let bo = reachable(s, &o, "Bo", "+46701000002").await;
    let cia = reachable(s, &o, "Cia", "+46701000003").await;
    let tib = position(s, &o, "tib", vec![cia]).await;
    let now = beredskap_core::journal::now();
    // Anna's week started yesterday; Bo's starts in six days.
    let rotation = RotationInput {
        starts_at: now - Duration::days(1),
        period_days: 7,
        members: vec![anna, bo],
    }
    .validate(tib)
    .unwrap();
    s.set_rotation(&actor(), o.id, rotation.clone())
        .await
        .unwrap();
    assert_eq!(s.rotation(o.id, tib).await.unwrap(), Some(rotation));
    let stranger = PersonId::new();
    let bad = RotationInput {
        starts_at: now,
        period_days: 7,
        members: vec![anna, stranger],
    }
    .validate(tib)
    .unwrap();
    match s.set_rotation(&actor(), o.id, bad).await.unwrap_err() {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "members[1]"),
        other => panic!("{other:?}"),
    }
    let send = |at| {
        let recipients = Recipients {
            positions: vec![tib],
            ..Recipients::default()
        };
        let new = input(recipients, &[]).validate(None).unwrap();
        async move { s.create_alert(&actor(), o.id, new, at).await.unwrap() }
    };
    let first = send(now).await;
    let roster = s.alert_roster(o.id, first.id).await.unwrap();
    let reason = |p: PersonId| {
        roster
            .iter()
            .find(|r| r.person_id == p)
            .map(|r| r.reason.clone())
    };
    assert_eq!(reason(anna).as_deref(), Some("position:tib"), "on call");
    assert_eq!(
        reason(cia).as_deref(),
        Some("deputy:tib"),
        "the listed deputy"
    );
    assert_eq!(reason(bo), None, "not on call this week");

    // Anna alerted with a group, deputies on: she is on call, so TiB's deputy follows her,
    // though the position lists only Cia.
    let group = s
        .create_group(
            &actor(),
            o.id,
            NewGroup {
                slug: Slug::parse("stab").unwrap(),
                name: "Stab".into(),
            },
        )
        .await
        .unwrap();
    s.set_group_members(&actor(), o.id, group.id, vec![anna])
        .await
        .unwrap();
    let mut with_deputies = input(
        Recipients {
            groups: vec![group.id],
            deputies: true,
            ..Recipients::default()
        },
        &[],
    );
    with_deputies.step_minutes = 5;
    let by_group = s
        .create_alert(&actor(), o.id, with_deputies.validate(None).unwrap(), now)
        .await
        .unwrap();
    let roster = s.alert_roster(o.id, by_group.id).await.unwrap();
    let cia_row = roster.iter().find(|r| r.person_id == cia).unwrap();
    assert_eq!(cia_row.reason, "deputy:tib");
    assert_eq!(cia_row.follows, Some(anna));

    // Anna is away: Bo covers for two days.
    let away = OverrideInput {
        person: bo,
        from: now - Duration::hours(1),
        until: now + Duration::days(2),
        reason: "Anna bortrest".into(),
    }
    .validate(tib)
    .unwrap();
    s.add_override(&actor(), o.id, away.clone()).await.unwrap();
    assert_eq!(s.overrides(o.id, tib).await.unwrap(), [away]);
    let second = send(now).await;
    let roster = s.alert_roster(o.id, second.id).await.unwrap();
    let holder = roster.iter().find(|r| r.reason == "position:tib").unwrap();
    assert_eq!(holder.person_id, bo);
    let kinds: Vec<_> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.iter().any(|k| k == "rotation.set"));
    assert!(kinds.iter().any(|k| k == "rotation.override"));
}

pub async fn sms_replies_stay_within_the_organisation_they_went_to(db: &TestDb) {
    let s = db.store();
    let (lillby, norrby) = (org(s, "lillby").await, org(s, "norrby").await);
    // One person works for both municipalities, with one phone.
    let phone = "+46701000009";
    let in_lillby = reachable(s, &lillby, "Eva", phone).await;
    let in_norrby = reachable(s, &norrby, "Eva", phone).await;
    let now = beredskap_core::journal::now();
    let who = actor();
    let alert_to = |o: &Org, person, at| {
        let recipients = Recipients {
            people: vec![person],
            ..Recipients::default()
        };
        let new = input(recipients, &["Ja", "Nej"]).validate(None).unwrap();
        let (org, who) = (o.id, &who);
        async move { s.create_alert(who, org, new, at).await }
    };
    let lillby_alert = alert_to(&lillby, in_lillby, now - Duration::minutes(5))
        .await
        .unwrap();
    let norrby_alert = alert_to(&norrby, in_norrby, now).await.unwrap();
    hand_over_due(s, now).await;

    // Both send from the server's shared number: a reply cannot say which it answers.
    let outcome = s.answer_by_reply(phone, None, "Ja", now).await.unwrap();
    let mut both = vec![lillby.id, norrby.id];
    both.sort_by_key(|o| o.0);
    assert_eq!(outcome, ReplyOutcome::Ambiguous { orgs: both });
    for (o, a) in [(&lillby, lillby_alert.id), (&norrby, norrby_alert.id)] {
        let row = &s.alert_roster(o.id, a).await.unwrap()[0];
        assert_eq!(row.answer, None, "nothing recorded anywhere");
    }

    // Norrby gets a number of its own; a number is one organisation's only.
    let number =
        |n: &str| Some(beredskap_core::PhoneNumber::parse(n, beredskap_core::Region::Se).unwrap());
    let norrby = s
        .set_org_sms_number(&actor(), norrby.id, number("+46766861004"))
        .await
        .unwrap();
    assert_eq!(norrby.sms_number.as_deref(), Some("+46766861004"));
    assert!(matches!(
        s.set_org_sms_number(&actor(), lillby.id, number("+46766861004"))
            .await
            .unwrap_err(),
        StoreError::Conflict(beredskap_core::store::Conflict::OrgSmsNumber)
    ));
    // A reply to the shared number answers Lillby's alert, though Norrby's is newer...
    let ReplyOutcome::Matched(m) = s
        .answer_by_reply(phone, Some("Beredskap"), "Ja", now)
        .await
        .unwrap()
    else {
        panic!("not matched");
    };
    assert_eq!((m.org_id, m.alert_id), (lillby.id, lillby_alert.id));
    // ...and one to Norrby's number answers Norrby's.
    let ReplyOutcome::Matched(m) = s
        .answer_by_reply(phone, Some("+46766861004"), "Nej", now)
        .await
        .unwrap()
    else {
        panic!("not matched");
    };
    assert_eq!(
        (m.org_id, m.alert_id, m.answered),
        (norrby.id, norrby_alert.id, true)
    );
    let row = &s.alert_roster(norrby.id, norrby_alert.id).await.unwrap()[0];
    assert_eq!(row.answer.as_deref(), Some("Nej"));
}

/// Several workers (one per node) claiming at the same moment: every due delivery is taken
/// by exactly one of them (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on
/// SQLite), and an answer that lands between a claim and the hand-off stops it.
/// A worker claims what another let run out before what is waiting, never more than it
/// asked for; the outcomes of several hand-offs are recorded in one write, each as it was.
pub async fn a_claim_takes_run_out_leases_first_and_outcomes_are_recorded_together(db: &TestDb) {
    let s = db.store();
    let (o, _, alert, now) = lillby_alerting(s, 4).await;
    let lease = Duration::seconds(30);
    let first = s.claim_deliveries(now, 1, lease).await.unwrap();
    assert_eq!(first.len(), 1);
    // Its worker died: 31 s on, its delivery comes first, and the limit holds.
    let later = now + Duration::seconds(31);
    let second = s.claim_deliveries(later, 2, lease).await.unwrap();
    assert_eq!(second.len(), 2, "{second:?}");
    let again = second
        .iter()
        .find(|d| d.id == first[0].id)
        .expect("the delivery whose lease ran out is claimed again");
    assert_eq!(again.attempts, 2);
    let rest = s.claim_deliveries(later, 10, lease).await.unwrap();
    assert_eq!(rest.len(), 2, "four in all, each once: {rest:?}");
    let mut taken: Vec<_> = second.iter().chain(&rest).map(|d| d.id).collect();
    taken.sort();
    taken.dedup();
    assert_eq!(taken.len(), 4);

    // Three outcomes in one write: two handed over, one to try again in 20 s (while the
    // fourth's lease still holds).
    let sent = |provider: &str| DeliveryOutcome::Sent {
        provider: provider.into(),
        provider_ref: format!("ref-{provider}"),
    };
    let retry_at = later + Duration::seconds(20);
    s.finish_deliveries(vec![
        (second[0].id, sent("gateway-a"), later),
        (
            second[1].id,
            sent("gateway-b"),
            later + Duration::seconds(1),
        ),
        (
            rest[0].id,
            DeliveryOutcome::Retry {
                at: retry_at,
                error: "busy".into(),
            },
            later,
        ),
    ])
    .await
    .unwrap();
    assert!(s
        .claim_deliveries(retry_at - Duration::seconds(1), 10, lease)
        .await
        .unwrap()
        .is_empty());
    let retried = s.claim_deliveries(retry_at, 10, lease).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].id, rest[0].id);
    assert_eq!(retried[0].last_error.as_deref(), Some("busy"));
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    let handed: Vec<_> = roster
        .iter()
        .flat_map(|r| &r.deliveries)
        .filter(|d| d.status == DeliveryStatus::Sent)
        .map(|d| (d.id, d.provider.clone(), d.sent_at))
        .collect();
    assert_eq!(handed.len(), 2, "{handed:?}");
    assert!(handed.contains(&(second[0].id, Some("gateway-a".into()), Some(later))));
    assert!(handed.contains(&(
        second[1].id,
        Some("gateway-b".into()),
        Some(later + Duration::seconds(1))
    )));
}

/// Hand-offs recorded together keep each their own provider and time, change only rows
/// that were claimed (or cancelled after their claim: handed over is the truth), and never
/// a row already recorded as sent.
pub async fn outcomes_recorded_together_touch_only_claimed_rows(db: &TestDb) {
    let s = db.store();
    let (o, _, alert, now) = lillby_alerting(s, 3).await;
    let lease = Duration::seconds(30);
    let claimed = s.claim_deliveries(now, 2, lease).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let (a, b) = (claimed[0].id, claimed[1].id);
    let (org_id, alert_id) = (o.id, alert.id);
    let roster = move || async move {
        s.alert_roster(org_id, alert_id)
            .await
            .unwrap()
            .into_iter()
            .flat_map(|r| r.deliveries)
            .filter(|d| d.kind == DeliveryKind::Alert)
            .map(|d| (d.id, (d.status, d.provider, d.sent_at)))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let unclaimed = *roster()
        .await
        .keys()
        .find(|id| **id != a && **id != b)
        .unwrap();
    let sent = |provider: &str| DeliveryOutcome::Sent {
        provider: provider.into(),
        provider_ref: format!("ref-{provider}"),
    };
    let record = move |batch| async move {
        s.finish_deliveries(batch).await.unwrap();
        roster().await
    };
    let at = now + Duration::seconds(2);
    let after = record(vec![(a, sent("first"), at), (unclaimed, sent("stray"), at)]).await;
    let first = (DeliveryStatus::Sent, Some("first".into()), Some(at));
    // A row nobody claimed is not recorded as handed over.
    let untouched = (DeliveryStatus::Pending, None, None);
    assert_eq!((&after[&a], &after[&unclaimed]), (&first, &untouched));
    // Cancelled while its hand-off was under way: the hand-off still counts; a hand-off
    // recorded once is not recorded again.
    s.close_alert(&actor(), o.id, alert.id, AlertStatus::Cancelled, now)
        .await
        .unwrap();
    let later = at + Duration::seconds(1);
    let after = record(vec![(b, sent("second"), later), (a, sent("again"), later)]).await;
    let second = (DeliveryStatus::Sent, Some("second".into()), Some(later));
    assert_eq!((&after[&b], &after[&a]), (&second, &first));
}

/// Closing an alert tells those it reached that it is over, and so are those whose
/// hand-off a provider had at the close and which is recorded after it; once each.
pub async fn those_reached_while_their_alert_was_closed_hear_that_it_is_over(db: &TestDb) {
    let s = db.store();
    let (o, _, alert, now) = lillby_alerting(s, 3).await;
    let lease = Duration::minutes(1);
    let claimed = s.claim_deliveries(now, 3, lease).await.unwrap();
    assert_eq!(claimed.len(), 3);
    let (before, during) = (&claimed[0], &claimed[1]);
    record_sent(s, std::slice::from_ref(before), now).await;
    s.close_alert(&actor(), o.id, alert.id, AlertStatus::Cancelled, now)
        .await
        .unwrap();
    let later = now + Duration::seconds(2);
    record_sent(s, std::slice::from_ref(during), later).await;
    // Reported twice: still one notice.
    record_sent(s, std::slice::from_ref(during), later).await;
    let notices = s.claim_deliveries(later, 10, lease).await.unwrap();
    let told = |d: &beredskap_core::alerting::Delivery| {
        (d.person_id.to_string(), d.kind.as_str(), d.address.clone())
    };
    let mut got: Vec<_> = notices.iter().map(told).collect();
    got.sort();
    let mut expected: Vec<_> = [before, during]
        .into_iter()
        .map(|d| (d.person_id.to_string(), "cancelled", d.address.clone()))
        .collect();
    expected.sort();
    assert_eq!(got, expected, "the third, never handed over, is not told");
    assert!(notices.iter().all(|d| d.kind == DeliveryKind::Cancelled));
}

pub async fn workers_claiming_at_once_take_each_delivery_once(db: &TestDb) {
    let s = db.store();
    let (o, people, alert, now) = lillby_alerting(s, 40).await;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = db.store.clone();
        workers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let taken = store
                    .claim_deliveries(now, 3, Duration::seconds(30))
                    .await
                    .unwrap();
                if taken.is_empty() {
                    return mine;
                }
                mine.extend(taken.into_iter().map(|d| d.id));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(mine) = workers.join_next().await {
        all.extend(mine.unwrap());
    }
    let unique: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(
        all.len(),
        40,
        "the first step of each of 40 people, no more"
    );
    assert_eq!(unique.len(), 40, "no delivery taken twice");

    // P0 answers (on the start page, say) after their SMS was claimed, before it went out:
    // the worker asks before handing over, and it is no longer wanted.
    let first = s.alert_roster(o.id, alert.id).await.unwrap();
    let p0 = first.iter().find(|r| r.person_id == people[0]).unwrap();
    let claimed = p0.deliveries[0].id;
    let p1 = first.iter().find(|r| r.person_id == people[1]).unwrap();
    let beside = p1.deliveries[0].id;
    // Asked for many hand-offs at once; an id that is no delivery is simply not wanted.
    let asked = vec![
        claimed,
        beside,
        beredskap_core::DeliveryId(uuid::Uuid::new_v4()),
    ];
    assert_eq!(
        s.deliveries_wanted(asked.clone()).await.unwrap(),
        std::collections::HashSet::from([claimed, beside])
    );
    s.answer_alert(
        &actor(),
        o.id,
        alert.id,
        answer(people[0], None, "web", now),
    )
    .await
    .unwrap();
    assert_eq!(
        s.deliveries_wanted(asked).await.unwrap(),
        std::collections::HashSet::from([beside]),
        "P0 answered: their SMS stays; P1's still goes"
    );
}

pub async fn alert_templates_are_named_versioned_journaled_and_preview_whom_they_reach(
    db: &TestDb,
) {
    use beredskap_core::alert_templates::{reach, ChannelReach, TemplateDraft};
    use beredskap_core::store::Conflict;
    use beredskap_core::GroupId;
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "norrby").await;
    let anna = reachable(s, &o, "Anna", "+46701000021").await;
    let bo = reachable(s, &o, "Bo", "+46701000022").await;
    let cilla = s
        .create_person(&actor(), o.id, draft("Cilla", None))
        .await
        .unwrap()
        .id;
    let group = s
        .create_group(
            &actor(),
            o.id,
            NewGroup {
                slug: Slug::parse("krisgrupp").unwrap(),
                name: "Krisledningsgrupp".into(),
            },
        )
        .await
        .unwrap();
    s.set_group_members(&actor(), o.id, group.id, vec![anna, bo, cilla])
        .await
        .unwrap();
    let alert = input(
        Recipients {
            groups: vec![group.id],
            ..Recipients::default()
        },
        &["Ja", "Nej"],
    );
    let now = beredskap_core::journal::now();
    let new_draft = |name: &str, alert: AlertInput| TemplateDraft {
        id: None,
        version: None,
        name: name.into(),
        alert,
        saved_by: None,
    };

    let saved = s
        .save_alert_template(&actor(), o.id, new_draft("IT-avbrott", alert.clone()), now)
        .await
        .unwrap();
    assert_eq!((saved.version, saved.alert.clone()), (1, alert.clone()));
    // Names are one per organisation, whatever their case; another may use it.
    assert_eq!(
        s.save_alert_template(&actor(), o.id, new_draft("it-AVBROTT", alert.clone()), now)
            .await
            .unwrap_err(),
        StoreError::Conflict(Conflict::AlertTemplateName)
    );
    s.save_alert_template(
        &actor(),
        other.id,
        new_draft("IT-avbrott", alert.clone()),
        now,
    )
    .await
    .expect_err("another organisation's group is not norrby's");

    // A change names the version it was made from; a second change from the same
    // version is refused, not lost silently.
    let mut changed = alert.clone();
    changed.message = "Strömavbrott i stadshuset. Kan du komma?".into();
    let again = TemplateDraft {
        id: Some(saved.id),
        version: Some(1),
        ..new_draft("IT-avbrott", changed.clone())
    };
    let v2 = s
        .save_alert_template(&actor(), o.id, again.clone(), now)
        .await
        .unwrap();
    assert_eq!(
        (v2.version, v2.alert.message.as_str()),
        (2, changed.message.as_str())
    );
    assert_eq!(
        s.save_alert_template(&actor(), o.id, again, now)
            .await
            .unwrap_err(),
        StoreError::Conflict(Conflict::AlertTemplateChanged)
    );

    // The preview writes nothing and counts the group by channel.
    let journal_before = s.journal_head(o.id).await.unwrap().0;
    let audience = s
        .alert_audience(o.id, &v2.alert.clone().validate(None).unwrap(), now)
        .await
        .unwrap();
    let reach = reach(&audience);
    assert_eq!(reach.people, 3);
    assert_eq!(
        reach.channels,
        vec![
            ChannelReach {
                channel: ContactKind::Email,
                people: 2
            },
            ChannelReach {
                channel: ContactKind::Sms,
                people: 2
            },
        ]
    );
    assert_eq!(reach.unreachable, vec![cilla]);
    assert_eq!(s.journal_head(o.id).await.unwrap().0, journal_before);
    assert!(s.list_alerts(o.id, 10).await.unwrap().is_empty());

    // A template naming a group that is not the organisation's is refused at its field.
    let mut stray = alert.clone();
    stray.recipients.groups = vec![GroupId::new()];
    match s
        .save_alert_template(&actor(), o.id, new_draft("Fel", stray), now)
        .await
    {
        Err(StoreError::Invalid(fields)) => {
            assert_eq!(fields.0[0].field, "alert.recipients.groups[0]")
        }
        other => panic!("expected the group refused, got {other:?}"),
    }

    // Another organisation neither sees nor deletes it.
    assert_eq!(
        s.alert_template(other.id, saved.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.delete_alert_template(&actor(), other.id, saved.id)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(s.alert_templates(o.id).await.unwrap(), vec![v2.clone()]);
    s.delete_alert_template(&actor(), o.id, saved.id)
        .await
        .unwrap();
    assert!(s.alert_templates(o.id).await.unwrap().is_empty());

    let kinds: Vec<String> = s
        .journal_page(o.id, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("alert_template."))
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "alert_template.created",
            "alert_template.saved",
            "alert_template.deleted"
        ]
    );

    // An organisation keeps at most its limit; the next is refused at the name.
    use beredskap_core::alert_templates::MAX_TEMPLATES;
    for n in 0..MAX_TEMPLATES {
        s.save_alert_template(
            &actor(),
            o.id,
            new_draft(&format!("Mall {n}"), alert.clone()),
            now,
        )
        .await
        .unwrap();
    }
    match s
        .save_alert_template(&actor(), o.id, new_draft("En till", alert.clone()), now)
        .await
    {
        Err(StoreError::Invalid(fields)) => {
            assert_eq!(fields.0[0].field, "name");
            assert_eq!(fields.0[0].problem.code(), "too_many");
        }
        other => panic!("expected the limit, got {other:?}"),
    }
}

/// An alert at `at` to Anna and Bo, each reachable by SMS now and email five minutes on.
async fn alert_anna_and_bo(s: &dyn Store, o: &Org, at: chrono::DateTime<chrono::Utc>) {
    let anna = reachable(s, o, "Anna", "+46701000001").await;
    let bo = reachable(s, o, "Bo", "+46701000002").await;
    let recipients = Recipients {
        people: vec![anna, bo],
        ..Default::default()
    };
    s.create_alert(
        &actor(),
        o.id,
        input(recipients, &[]).validate(None).unwrap(),
        at,
    )
    .await
    .unwrap();
}

pub async fn operations_figures_show_each_outboxs_backlog_and_each_journal_head(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let now = beredskap_core::journal::now();
    let sent_at = now - Duration::seconds(60);
    alert_anna_and_bo(s, &o, sent_at).await;
    let alerts = |f: &beredskap_core::store::OperationsFigures| {
        f.outboxes
            .iter()
            .find(|b| b.outbox == "alerts")
            .cloned()
            .unwrap()
    };
    let figures = s.operations_figures(now).await.unwrap();
    assert_eq!(figures.outboxes.len(), 3);
    let backlog = alerts(&figures);
    // Two SMS due since the alert went out; the emails come later and are not due.
    assert_eq!((backlog.due, backlog.claimed), (2, 0));
    let oldest = backlog.oldest_due.unwrap();
    assert!(
        (oldest - sent_at).num_seconds().abs() <= 1,
        "{oldest} {sent_at}"
    );
    let head = s.journal_head(o.id).await.unwrap().0;
    assert_eq!(figures.journal_heads, vec![("lillby".to_owned(), head)]);
    // One taken by a worker: claimed, no longer due.
    s.claim_deliveries(now, 1, Duration::minutes(1))
        .await
        .unwrap();
    let backlog = alerts(&s.operations_figures(now).await.unwrap());
    assert_eq!((backlog.due, backlog.claimed), (1, 1));
}

pub async fn a_stopped_nodes_claims_are_freed_when_it_starts_again_or_falls_silent(db: &TestDb) {
    let a = db.store();
    let o = org(a, "lillby").await;
    let now = beredskap_core::journal::now();
    alert_anna_and_bo(a, &o, now).await;
    let lease = Duration::hours(1);
    assert_eq!(a.join_nodes("node-1", now).await.unwrap(), 0);
    let held = a.claim_deliveries(now, 1, lease).await.unwrap();
    assert_eq!(held.len(), 1);
    let held = held[0].id;
    assert!(wanted(a, held).await);

    // The node is killed and starts again under its name, as another process.
    let restarted = db.another_node().await;
    assert_ne!(restarted.node(), a.node());
    let other = restarted.claim_deliveries(now, 10, lease).await.unwrap();
    assert_eq!(
        other.len(),
        1,
        "what the old run holds waits for its lease…"
    );
    assert_ne!(other[0].id, held);
    assert_eq!(restarted.join_nodes("node-1", now).await.unwrap(), 1);
    let freed = restarted.claim_deliveries(now, 10, lease).await.unwrap();
    assert_eq!(
        freed.iter().map(|d| d.id).collect::<Vec<_>>(),
        [held],
        "…until the node says it started again"
    );
    // The old run, were it still handing over, would see the delivery is not its own.
    assert!(!wanted(a, held).await);
    assert!(wanted(&*restarted, held).await);

    // A second node: while the first beats, nothing of it is freed…
    let second = db.another_node().await;
    assert_eq!(second.join_nodes("node-2", now).await.unwrap(), 0);
    let later = now + Duration::seconds(5);
    assert_eq!(
        restarted
            .node_heartbeat("node-1", later, later - Duration::seconds(10))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        second
            .node_heartbeat("node-2", later, later - Duration::seconds(10))
            .await
            .unwrap(),
        0
    );
    // …once it has been silent for the window, the other frees both its deliveries.
    let silent = later + Duration::seconds(11);
    assert_eq!(
        second
            .node_heartbeat("node-2", silent, silent - Duration::seconds(10))
            .await
            .unwrap(),
        2
    );
    assert!(!wanted(&*restarted, held).await);
    let taken = second.claim_deliveries(silent, 10, lease).await.unwrap();
    assert_eq!(taken.len(), 2);
    // A node that stops on purpose frees what it still holds.
    assert_eq!(second.leave_nodes().await.unwrap(), 2);
    assert_eq!(
        restarted
            .claim_deliveries(silent, 10, lease)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// A run killed in the middle of a claim leaves the statement to finish on the database
/// server: the claim can land after the run that took its name freed what it held. The next
/// heartbeat frees it, instead of its lease.
pub async fn a_claim_landing_after_its_node_was_left_out_is_freed_at_the_next_heartbeat(
    db: &TestDb,
) {
    let killed = db.store();
    let o = org(killed, "lillby").await;
    let now = beredskap_core::journal::now();
    alert_anna_and_bo(killed, &o, now).await;
    let lease = Duration::hours(1);
    assert_eq!(killed.join_nodes("node-1", now).await.unwrap(), 0);
    let restarted = db.another_node().await;
    assert_eq!(restarted.join_nodes("node-1", now).await.unwrap(), 0);
    // The killed run's last claim commits now, under a node no longer listed.
    let late = killed.claim_deliveries(now, 10, lease).await.unwrap();
    assert_eq!(late.len(), 2);
    assert!(restarted
        .claim_deliveries(now, 10, lease)
        .await
        .unwrap()
        .is_empty());
    let beat = now + Duration::seconds(2);
    assert_eq!(
        restarted
            .node_heartbeat("node-1", beat, beat - Duration::seconds(10))
            .await
            .unwrap(),
        2
    );
    let taken = restarted.claim_deliveries(beat, 10, lease).await.unwrap();
    assert_eq!(
        taken.len(),
        2,
        "freed at the heartbeat, not after the lease"
    );
    // A listed node's claims stay its own.
    assert_eq!(
        restarted
            .node_heartbeat("node-1", beat, beat - Duration::seconds(10))
            .await
            .unwrap(),
        0
    );
    assert!(wanted(&*restarted, taken[0].id).await);
}

/// On PostgreSQL an alert's rows are written before it takes the organisation's turn on its
/// journal. A writer that holds the turn while it waits for one of the alert's people
/// closes a circle; PostgreSQL breaks it by rolling one back, and an alert rolled back is
/// written again, whole, with the turn from the start. (SQLite runs writes one at a time.)
pub async fn an_alert_caught_in_a_deadlock_is_written_again_whole(db: &TestDb) {
    use sqlx::{Connection, Executor};
    let crate::harness::Backend::Postgres { url, .. } = &db.backend else {
        return;
    };
    let s = db.store.clone();
    let o = org(s.as_ref(), "lillby").await;
    let anna = reachable(s.as_ref(), &o, "Anna", "+46701000001").await;
    // The turn is held, as a batch of the organisation's writes holds it.
    let mut holder = sqlx::PgConnection::connect(url).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    sqlx::query("SELECT seq FROM journal_heads WHERE org_id = $1 FOR UPDATE")
        .bind(o.id.0)
        .fetch_one(&mut holder)
        .await
        .unwrap();
    let now = beredskap_core::journal::now();
    let alert = tokio::spawn({
        let s = s.clone();
        let new = input(
            Recipients {
                people: vec![anna],
                ..Recipients::default()
            },
            &[],
        )
        .validate(None)
        .unwrap();
        async move { s.create_alert(&actor(), o.id, new, now).await }
    });
    // The alert has written its rows and waits for the turn…
    let mut watcher = sqlx::PgConnection::connect(url).await.unwrap();
    let waited = std::time::Instant::now();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = 'beredskap' AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watcher)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(waited.elapsed().as_secs() < 10, "the alert never waited");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // …and the holder now waits for Anna, whom the alert's rows refer to.
    let locked = sqlx::query("SELECT id FROM people WHERE id = $1 FOR UPDATE")
        .bind(anna.0)
        .fetch_one(&mut holder)
        .await;
    match locked {
        Ok(_) => holder.execute("COMMIT").await.unwrap(),
        Err(_) => holder.execute("ROLLBACK").await.unwrap(),
    };
    let alert = alert.await.unwrap().unwrap();
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    assert_eq!(roster.len(), 1);
    assert_eq!(roster[0].person_id, anna);
    assert_eq!(roster[0].deliveries.len(), 2, "SMS, then email");
    let entries = s.journal_page(o.id, 0, 100).await.unwrap();
    let sent: Vec<_> = entries.iter().filter(|e| e.kind == "alert.sent").collect();
    assert_eq!(sent.len(), 1, "journaled once");
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=entries.len() as i64).collect::<Vec<_>>()
    );
}

/// `n` people of a university's register, every second one with a phone, in group `alla`.
async fn register_of(db: &TestDb, o: &Org, n: usize) -> beredskap_core::GroupId {
    let people: Vec<(String, Vec<ContactPoint>)> = (0..n)
        .map(|i| {
            let points = match i % 2 {
                0 => vec![ContactPoint {
                    kind: ContactKind::Sms,
                    label: ContactLabel::Work,
                    value: format!("+4670{:07}", 5_000_000 + i),
                    verified: true,
                }],
                _ => Vec::new(),
            };
            (format!("Student {i}"), points)
        })
        .collect();
    beredskap_store::testing::seed_register(&db.url(), o.id, "alla", &people)
        .await
        .unwrap()
}

/// An alert to `group` with `options`, sent at `now`.
async fn alert_group(
    s: &dyn Store,
    o: &Org,
    group: beredskap_core::GroupId,
    options: &[&str],
    now: chrono::DateTime<chrono::Utc>,
) -> beredskap_core::alerting::Alert {
    let new = input(
        Recipients {
            groups: vec![group],
            ..Recipients::default()
        },
        options,
    );
    s.create_alert(&actor(), o.id, new.validate(None).unwrap(), now)
        .await
        .unwrap()
}

async fn journal_kinds(s: &dyn Store, o: &Org) -> Vec<beredskap_core::journal::JournalEntry> {
    s.journal_page(o.id, 0, 1000).await.unwrap()
}

/// An alert to thousands: the alert and its first wave are written at once, the rest are
/// planned in parts by two nodes at the same time, and everyone ends up a recipient once
/// with their deliveries once; the journal gives the total when planning ends.
pub async fn an_alert_to_thousands_is_planned_in_parts_by_two_nodes_each_person_once(db: &TestDb) {
    const PEOPLE: usize = 5_500;
    let s = db.store();
    let o = org(s, "lillby").await;
    let alla = register_of(db, &o, PEOPLE).await;
    let now = beredskap_core::journal::now();
    let alert = alert_group(s, &o, alla, &[], now).await;
    let first_wave = 1000;
    assert_eq!(alert.unplanned as usize, PEOPLE - first_wave);
    assert_eq!(
        s.alert_roster(o.id, alert.id).await.unwrap().len(),
        first_wave
    );
    let sent = journal_kinds(s, &o).await;
    let sent: serde_json::Value = serde_json::from_str(
        &sent
            .iter()
            .find(|e| e.kind == "alert.sent")
            .unwrap()
            .payload,
    )
    .unwrap();
    assert_eq!(sent["recipients"], PEOPLE);
    assert_eq!(sent["deliveries"], first_wave / 2);
    // The first wave can be claimed before anything else is planned.
    assert_eq!(
        s.claim_deliveries(now, 10_000, Duration::minutes(1))
            .await
            .unwrap()
            .len(),
        first_wave / 2
    );
    let other = db.another_node().await;
    let plan_all = |store: std::sync::Arc<dyn Store>| async move {
        let mut taken = 0;
        loop {
            match store.plan_alerts(700).await.unwrap() {
                0 => return taken,
                n => taken += n as usize,
            }
        }
    };
    let (here, there) = tokio::join!(plan_all(db.store.clone()), plan_all(other));
    assert_eq!(
        here + there,
        PEOPLE - first_wave,
        "each queued person taken once"
    );
    let alert = s.alert(o.id, alert.id).await.unwrap();
    assert_eq!(alert.unplanned, 0);
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    let people: std::collections::HashSet<PersonId> = roster.iter().map(|r| r.person_id).collect();
    assert_eq!((roster.len(), people.len()), (PEOPLE, PEOPLE));
    assert!(roster.iter().all(|r| r.reason == "group:alla"));
    let steps: Vec<usize> = roster.iter().map(|r| r.deliveries.len()).collect();
    assert_eq!(
        steps.iter().sum::<usize>(),
        PEOPLE / 2,
        "one SMS each for those with a phone"
    );
    assert!(steps.iter().all(|n| *n <= 1));
    let planned: Vec<_> = journal_kinds(s, &o)
        .await
        .into_iter()
        .filter(|e| e.kind == "alert.planned")
        .collect();
    assert_eq!(planned.len(), 1, "planning ends once, on one node");
    let planned: serde_json::Value = serde_json::from_str(&planned[0].payload).unwrap();
    assert_eq!(planned["recipients"], PEOPLE);
    assert_eq!(planned["deliveries"], PEOPLE / 2);
    assert_eq!(s.plan_alerts(700).await.unwrap(), 0, "nothing left to plan");
}

/// Closing an alert while it is being planned: nobody else becomes a recipient, nothing
/// more goes out, and planning does not end in the journal as if it had finished.
pub async fn closing_an_alert_while_it_is_planned_stops_its_planning(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let alla = register_of(db, &o, 3_000).await;
    let now = beredskap_core::journal::now();
    let alert = alert_group(s, &o, alla, &[], now).await;
    assert_eq!(s.plan_alerts(500).await.unwrap(), 500);
    let closed = s
        .close_alert(&actor(), o.id, alert.id, AlertStatus::Cancelled, now)
        .await
        .unwrap();
    assert_eq!(s.alert(o.id, closed.id).await.unwrap().unplanned, 0);
    assert_eq!(s.plan_alerts(500).await.unwrap(), 0);
    let roster = s.alert_roster(o.id, alert.id).await.unwrap();
    assert_eq!(roster.len(), 1_500);
    assert!(roster
        .iter()
        .flat_map(|r| &r.deliveries)
        .all(|d| d.status == DeliveryStatus::Cancelled));
    assert!(!journal_kinds(s, &o)
        .await
        .iter()
        .any(|e| e.kind == "alert.planned"));
}

/// A roster of thousands read a page at a time: the figures count everyone, a page holds
/// those in the states asked for, furthest first and by name, pages do not overlap, and
/// reading it part by part in the people's order finds everyone once.
pub async fn a_roster_of_thousands_is_read_a_page_at_a_time(db: &TestDb) {
    use beredskap_core::alerting::{RecipientState, RosterQuery};
    const PEOPLE: usize = 2_500;
    let s = db.store();
    let o = org(s, "lillby").await;
    let alla = register_of(db, &o, PEOPLE).await;
    let now = beredskap_core::journal::now();
    let alert = alert_group(s, &o, alla, &["Ja", "Nej"], now).await;
    while s.plan_alerts(1000).await.unwrap() > 0 {}
    // 300 handed over, one of them answers.
    let claimed = s
        .claim_deliveries(now, 300, Duration::minutes(1))
        .await
        .unwrap();
    record_sent(s, &claimed, now).await;
    s.answer_alert(
        &actor(),
        o.id,
        alert.id,
        answer(
            claimed[0].person_id,
            Some("Ja".into()),
            "sms",
            now + Duration::minutes(3),
        ),
    )
    .await
    .unwrap();
    let counts = s.alert_roster_counts(o.id, alert.id).await.unwrap();
    assert_eq!(counts.total() as usize, PEOPLE);
    assert_eq!(counts.of(RecipientState::Unreachable) as usize, PEOPLE / 2);
    assert_eq!(counts.of(RecipientState::Sent), 299);
    assert_eq!(counts.of(RecipientState::Answered), 1);
    assert_eq!(
        counts.of(RecipientState::Waiting) as usize,
        PEOPLE / 2 - 300
    );
    assert_eq!(counts.answers, vec![(Some("Ja".to_owned()), 1)]);
    assert_eq!(counts.answered_within, [1, 1, 1]);
    let page = |states: Vec<RecipientState>, offset: u32| {
        s.alert_roster_page(
            o.id,
            alert.id,
            RosterQuery {
                states,
                offset,
                limit: 100,
            },
        )
    };
    let first = page(vec![RecipientState::Sent], 0).await.unwrap();
    let third = page(vec![RecipientState::Sent], 200).await.unwrap();
    assert_eq!((first.len(), third.len()), (100, 99));
    assert!(first
        .iter()
        .chain(&third)
        .all(|e| e.state == RecipientState::Sent && e.deliveries.len() == 1));
    let names: Vec<&str> = first.iter().map(|e| e.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
    assert!(first
        .iter()
        .all(|e| !third.iter().any(|t| t.person_id == e.person_id)));
    // Everyone: furthest first.
    let everyone = page(Vec::new(), 0).await.unwrap();
    assert_eq!(everyone[0].state, RecipientState::Unreachable);
    let last = page(Vec::new(), PEOPLE as u32 - 1).await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].state, RecipientState::Answered);
    // Part by part, everyone once.
    let mut seen = std::collections::HashSet::new();
    let mut after = None;
    loop {
        let part = s
            .alert_roster_after(o.id, alert.id, after, 700)
            .await
            .unwrap();
        let Some(tail) = part.last() else { break };
        after = Some(tail.person_id);
        for e in &part {
            assert!(seen.insert(e.person_id), "twice: {}", e.name);
        }
    }
    assert_eq!(seen.len(), PEOPLE);
    // Another organisation reads nothing of it.
    let other = org(s, "norrby").await;
    assert_eq!(
        s.alert_roster_counts(other.id, alert.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert!(s
        .alert_roster_after(other.id, alert.id, None, 700)
        .await
        .unwrap()
        .is_empty());
}

/// Whether `store` still holds the claimed delivery `id` for its hand-off.
async fn wanted(store: &dyn Store, id: beredskap_core::DeliveryId) -> bool {
    store
        .deliveries_wanted(vec![id])
        .await
        .unwrap()
        .contains(&id)
}
