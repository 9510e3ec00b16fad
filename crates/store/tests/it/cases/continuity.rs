//! The continuity plan: services and their state.

use super::*;
use beredskap_core::alerting::{AlertInput, Recipients, Severity};
use beredskap_core::continuity::incidents::{
    Handover, NewIncident, NewTask, Role as IncidentRole, TaskChange, Via,
};
use beredskap_core::continuity::log::{EntryBody, EntryDraft};
use beredskap_core::continuity::plans::{ActionCard, PlanDocument, PlanSave, PlanTask};
use beredskap_core::continuity::services::{
    downtime, ServiceDraft, ServiceState, StatusChange, MAX_SERVICES,
};
use beredskap_core::conversation::{ChannelKind, NewChannel};
use beredskap_core::store::Conflict;
use chrono::{Duration, TimeZone, Utc};

fn service(name: &str) -> ServiceDraft {
    ServiceDraft {
        name: name.into(),
        owner: Some("IT-avdelningen".into()),
        alternative: Some("Ring växeln".into()),
    }
}

fn status(state: ServiceState, impact: Option<&str>) -> StatusChange {
    StatusChange {
        state,
        impact: impact.map(str::to_owned),
        workaround: None,
        exercise: false,
    }
}

pub async fn services_keep_their_order_state_and_history_and_names_are_unique(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    let email = s
        .create_service(&actor(), o.id, service("E-post"), None, t0)
        .await
        .unwrap();
    let phone = s
        .create_service(&actor(), o.id, service("Telefoni"), None, t0)
        .await
        .unwrap();
    assert_eq!(email.state, ServiceState::Unknown, "nobody has said yet");
    assert_eq!(email.owner.as_deref(), Some("IT-avdelningen"));
    // A name is unique among the services in use, whatever its case.
    let err = s
        .create_service(&actor(), o.id, service("e-POST"), None, t0)
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::Conflict(Conflict::ServiceName));
    // …but only within the organisation.
    s.create_service(&actor(), other.id, service("E-post"), None, t0)
        .await
        .unwrap();
    assert_eq!(s.services(other.id).await.unwrap().len(), 1);
    assert_eq!(
        s.service(other.id, email.id).await.unwrap_err(),
        StoreError::NotFound,
        "another organisation's service is not found"
    );

    let person = s
        .create_person(&actor(), o.id, draft("Åsa Lind", None))
        .await
        .unwrap();
    let t1 = t0 + Duration::minutes(10);
    let down = s
        .set_service_status(
            &actor(),
            o.id,
            email.id,
            status(ServiceState::Down, Some("Ingen e-post in eller ut")),
            Some(person.id),
            t1,
        )
        .await
        .unwrap();
    assert_eq!(down.state, ServiceState::Down);
    assert_eq!(down.impact.as_deref(), Some("Ingen e-post in eller ut"));
    assert_eq!((down.changed_at, down.changed_by), (t1, Some(person.id)));
    let t2 = t0 + Duration::minutes(40);
    s.set_service_status(
        &actor(),
        o.id,
        email.id,
        status(ServiceState::Works, None),
        None,
        t2,
    )
    .await
    .unwrap();
    let now = s.service(o.id, email.id).await.unwrap();
    assert_eq!((now.state, now.impact), (ServiceState::Works, None));

    // Renaming keeps the state; the order is the order they were added.
    let renamed = s
        .update_service(&actor(), o.id, phone.id, service("Telefoni och växel"))
        .await
        .unwrap();
    assert_eq!(renamed.state, ServiceState::Unknown);
    let names: Vec<String> = s
        .services(o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.name)
        .collect();
    assert_eq!(names, ["E-post", "Telefoni och växel"]);
    let err = s
        .update_service(&actor(), o.id, phone.id, service("E-POST"))
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::Conflict(Conflict::ServiceName));

    // The history from an incident's start holds the state before it and every change
    // after it, so the report can tell how long e-mail was down.
    let history = s
        .service_history(o.id, t0 + Duration::minutes(5))
        .await
        .unwrap();
    let email_states: Vec<ServiceState> = history
        .iter()
        .filter(|c| c.service_id == email.id)
        .map(|c| c.state)
        .collect();
    assert_eq!(
        email_states,
        [
            ServiceState::Unknown,
            ServiceState::Down,
            ServiceState::Works
        ]
    );
    let report = downtime(&history, t0 + Duration::minutes(5), t0 + Duration::hours(1));
    assert_eq!(report.len(), 1);
    assert_eq!(
        (report[0].name.as_str(), report[0].down_minutes),
        ("E-post", 30)
    );

    // A retired service leaves the list but not the history, and frees its name.
    s.retire_service(&actor(), o.id, email.id, t2)
        .await
        .unwrap();
    assert_eq!(s.services(o.id).await.unwrap().len(), 1);
    assert_eq!(
        s.service(o.id, email.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.retire_service(&actor(), o.id, email.id, t2)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    let history = s.service_history(o.id, t0).await.unwrap();
    assert!(history.iter().any(|c| c.service_id == email.id));
    s.create_service(&actor(), o.id, service("E-post"), None, t2)
        .await
        .unwrap();

    let kinds: Vec<String> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("service."))
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "service.created",
            "service.created",
            "service.status_set",
            "service.status_set",
            "service.changed",
            "service.retired",
            "service.created"
        ]
    );
    assert_chain_ok(s, &o).await;
}

pub async fn an_organisation_keeps_at_most_its_limit_of_services(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    for i in 0..MAX_SERVICES {
        s.create_service(&actor(), o.id, service(&format!("Tjänst {i}")), None, t0)
            .await
            .unwrap();
    }
    let err = s
        .create_service(&actor(), o.id, service("En till"), None, t0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref f) if f.0[0].field == "name"));
    assert_eq!(s.services(o.id).await.unwrap().len(), MAX_SERVICES);
}

fn plan(title: &str) -> PlanDocument {
    PlanDocument {
        title: title.into(),
        summary: "När e-posten inte fungerar.".into(),
        action_cards: vec![ActionCard {
            position: "tib".into(),
            duties: "Leder".into(),
            tasks: vec![PlanTask {
                after_minutes: 15,
                task: "Ring IT-chefen".into(),
                at_least: None,
            }],
        }],
        ..PlanDocument::default()
    }
}

fn save(
    slug: &Slug,
    document: PlanDocument,
    expected: Option<i64>,
    by: Option<beredskap_core::PersonId>,
) -> PlanSave {
    PlanSave {
        slug: slug.clone(),
        document,
        expected,
        by,
    }
}

pub async fn plans_keep_every_version_and_who_approved_which(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let slug = Slug::parse("e-post").unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    let anna = s
        .create_person(&actor(), o.id, draft("Anna Berg", None))
        .await
        .unwrap();
    let first = s
        .save_plan(
            &actor(),
            o.id,
            save(&slug, plan("E-post nere"), None, Some(anna.id)),
            t0,
        )
        .await
        .unwrap();
    assert_eq!((first.version, first.updated_by), (1, Some(anna.id)));
    assert_eq!(first.document, plan("E-post nere"));
    assert!(first.approval.is_none() && !first.is_approved());
    // The same document again saves nothing: an import run twice changes nothing.
    let head = journal_len(s, &o).await;
    let again = s
        .save_plan(
            &actor(),
            o.id,
            save(&slug, plan("E-post nere"), None, None),
            t0,
        )
        .await
        .unwrap();
    assert_eq!(again.version, 1);
    assert_eq!(journal_len(s, &o).await, head);
    let t1 = t0 + Duration::hours(1);
    let second = s
        .save_plan(
            &actor(),
            o.id,
            save(&slug, plan("E-posten fungerar inte"), Some(1), None),
            t1,
        )
        .await
        .unwrap();
    assert_eq!((second.version, second.updated_at), (2, t1));
    // Someone who opened version 1 cannot save over version 2.
    let err = s
        .save_plan(
            &actor(),
            o.id,
            save(&slug, plan("Gammal"), Some(1), None),
            t1,
        )
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::Conflict(Conflict::PlanChanged));
    // Every version stays readable.
    assert_eq!(
        s.plan_version(o.id, first.id, 1).await.unwrap().title,
        "E-post nere"
    );
    assert_eq!(
        s.plan_version(o.id, first.id, 3).await.unwrap_err(),
        StoreError::NotFound
    );
    // Approval is of the newest version only, with a review date.
    let err = s
        .approve_plan(&actor(), o.id, first.id, 1, Some(anna.id), t1)
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::Conflict(Conflict::PlanChanged));
    let approved = s
        .approve_plan(&actor(), o.id, first.id, 2, Some(anna.id), t1)
        .await
        .unwrap();
    let approval = approved.approval.clone().unwrap();
    assert_eq!(
        (approval.version, approval.by, approval.at),
        (2, Some(anna.id), t1)
    );
    assert_eq!(
        approval.review_by,
        Utc.with_ymd_and_hms(2027, 12, 2, 9, 0, 0).single().unwrap()
    );
    assert!(approved.is_approved());
    assert!(!approved.review_due(t1) && approved.review_due(approval.review_by));
    // A new version is no longer the approved one, though the approval stays on record.
    let third = s
        .save_plan(
            &actor(),
            o.id,
            save(&slug, plan("E-post nere, v3"), None, None),
            t1,
        )
        .await
        .unwrap();
    assert!(!third.is_approved());
    assert_eq!(third.approval.unwrap().version, 2);
    // Slugs are per organisation; another organisation's plan is not found.
    let theirs = s
        .save_plan(
            &actor(),
            other.id,
            save(&slug, plan("Deras"), None, None),
            t0,
        )
        .await
        .unwrap();
    assert_eq!(
        s.plan(o.id, theirs.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.plan_version(o.id, theirs.id, 1).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.approve_plan(&actor(), o.id, theirs.id, 1, None, t1)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    let titles: Vec<String> = s
        .plans(o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.document.title)
        .collect();
    assert_eq!(titles, ["E-post nere, v3"]);
    assert_eq!(
        s.plan_by_slug(o.id, &slug).await.unwrap().unwrap().version,
        3
    );
    // The journal holds what each version said.
    let entries: Vec<_> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("plan."))
        .collect();
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["plan.created", "plan.saved", "plan.approved", "plan.saved"]
    );
    assert!(entries[1].payload.contains("E-posten fungerar inte"));
    assert_chain_ok(s, &o).await;
}

fn incident_for(
    creator: &beredskap_core::register::Account,
    o: &Org,
    alert: Option<beredskap_core::alerting::NewAlert>,
    now: chrono::DateTime<Utc>,
) -> NewIncident {
    NewIncident {
        title: "Totalt IT-avbrott".into(),
        plan: None,
        severity: Severity::Critical,
        exercise: true,
        via: Via::Web,
        opened_by: Some(creator.person_id),
        channel: NewChannel {
            kind: ChannelKind::Incident,
            name: "ÖVNING: Totalt IT-avbrott".into(),
            classification: o.classifications[0].clone(),
            group_id: None,
            members: vec![],
        },
        creator: creator.id,
        alert,
        tasks: vec![
            NewTask {
                position: Some("TiB".into()),
                assignee: Some(creator.person_id),
                text: "Ring IT-beredskapen".into(),
                due_at: now,
            },
            NewTask {
                position: None,
                assignee: None,
                text: "Skriv en lägesrapport".into(),
                due_at: now + Duration::minutes(60),
            },
        ],
        lead: Some(creator.person_id),
        report_every_minutes: Some(60),
    }
}

pub async fn an_incident_opens_whole_with_its_channel_alarm_checklist_and_lead(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let lead = account_in(s, &o, "lead@lillby.se").await;
    let mut reachable = draft("Ida Tech", None);
    reachable.contact_points = vec![sms("+46701740605")];
    let ida = s.create_person(&actor(), o.id, reachable).await.unwrap();
    let t0 = Utc
        .with_ymd_and_hms(2026, 12, 2, 7, 40, 0)
        .single()
        .unwrap();
    let alarm = AlertInput {
        message: "IT-avbrott. Kom till stadshuset.".into(),
        severity: Severity::Critical,
        recipients: Recipients {
            people: vec![ida.id],
            ..Default::default()
        },
        options: vec![],
        exercise: true,
        step_minutes: 5,
        repeats: 0,
        repeat_minutes: 15,
        escalation: None,
    }
    .validate(Some(lead.id))
    .unwrap();
    let incident = s
        .open_incident(&actor(), o.id, incident_for(&lead, &o, Some(alarm), t0), t0)
        .await
        .unwrap();
    assert!(incident.is_open() && incident.exercise);
    assert_eq!(
        (incident.via, incident.opened_by),
        (Via::Web, Some(lead.person_id))
    );
    // The channel and the alarm are there, and linked.
    let channels = s.channels_for(o.id, lead.id).await.unwrap();
    assert!(channels
        .iter()
        .any(|c| c.id == incident.channel_id && c.kind == ChannelKind::Incident));
    let alert = s.alert(o.id, incident.alert_id.unwrap()).await.unwrap();
    assert!(alert.exercise);
    let tasks = s.incident_tasks(o.id, incident.id).await.unwrap();
    let texts: Vec<&str> = tasks.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(texts, ["Ring IT-beredskapen", "Skriv en lägesrapport"]);
    assert!(
        tasks[0].is_late(t0 + Duration::minutes(1)) && !tasks[1].is_late(t0 + Duration::minutes(1))
    );
    let roles = s.incident_roles(o.id, incident.id).await.unwrap();
    assert_eq!(
        (roles[0].role, roles[0].person),
        (IncidentRole::Lead, lead.person_id)
    );

    // Ticked off by someone, with when; back on; the journal has both.
    let t1 = t0 + Duration::minutes(3);
    let done = s
        .set_task_done(
            &actor(),
            o.id,
            incident.id,
            TaskChange {
                task: tasks[0].id,
                done: true,
            },
            Some(ida.id),
            t1,
        )
        .await
        .unwrap();
    assert_eq!((done.done_at, done.done_by), (Some(t1), Some(ida.id)));
    assert!(!done.was_late() || done.due_at < t1);
    let undone = s
        .set_task_done(
            &actor(),
            o.id,
            incident.id,
            TaskChange {
                task: tasks[0].id,
                done: false,
            },
            None,
            t1,
        )
        .await
        .unwrap();
    assert_eq!(undone.done_at, None);
    // Another incident's or organisation's task is not found.
    let err = s
        .set_task_done(
            &actor(),
            other.id,
            incident.id,
            TaskChange {
                task: tasks[0].id,
                done: true,
            },
            None,
            t1,
        )
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::NotFound);

    // The scribe's role is handed over; the lead's too, the first lead's time kept.
    s.hand_over_role(
        &actor(),
        o.id,
        incident.id,
        Handover {
            role: IncidentRole::Scribe,
            to: ida.id,
        },
        Some(lead.person_id),
        t1,
    )
    .await
    .unwrap();
    s.hand_over_role(
        &actor(),
        o.id,
        incident.id,
        Handover {
            role: IncidentRole::Lead,
            to: ida.id,
        },
        Some(lead.person_id),
        t1,
    )
    .await
    .unwrap();
    let roles = s.incident_roles(o.id, incident.id).await.unwrap();
    let leads: Vec<_> = roles
        .iter()
        .filter(|r| r.role == IncidentRole::Lead)
        .collect();
    assert_eq!(leads.len(), 2);
    assert_eq!(
        (leads[0].person, leads[0].until),
        (lead.person_id, Some(t1))
    );
    assert_eq!((leads[1].person, leads[1].until), (ida.id, None));
    // Only a person of the organisation takes a role.
    let stranger = s
        .create_person(&actor(), other.id, draft("Främling", None))
        .await
        .unwrap();
    assert!(matches!(
        s.hand_over_role(
            &actor(),
            o.id,
            incident.id,
            Handover {
                role: IncidentRole::Liaison,
                to: stranger.id
            },
            None,
            t1
        )
        .await
        .unwrap_err(),
        StoreError::Invalid(_)
    ));

    // Ended: no more ticking, no second ending, roles end with it.
    let t2 = t0 + Duration::hours(3);
    let closed = s
        .close_incident(&actor(), o.id, incident.id, Some(lead.person_id), t2)
        .await
        .unwrap();
    assert_eq!(closed.closed_at, Some(t2));
    assert_eq!(
        s.close_incident(&actor(), o.id, incident.id, None, t2)
            .await
            .unwrap_err(),
        StoreError::Conflict(Conflict::IncidentClosed)
    );
    assert_eq!(
        s.set_task_done(
            &actor(),
            o.id,
            incident.id,
            TaskChange {
                task: tasks[1].id,
                done: true
            },
            None,
            t2
        )
        .await
        .unwrap_err(),
        StoreError::Conflict(Conflict::IncidentClosed)
    );
    assert!(s
        .incident_roles(o.id, incident.id)
        .await
        .unwrap()
        .iter()
        .all(|r| r.until.is_some()));
    assert!(s.incidents(o.id, false).await.unwrap().is_empty());
    assert_eq!(s.incidents(o.id, true).await.unwrap().len(), 1);
    assert_eq!(
        s.incident(other.id, incident.id).await.unwrap_err(),
        StoreError::NotFound
    );

    // An activation that fails leaves nothing: a creator of another organisation.
    let theirs = account_in(s, &other, "x@storby.se").await;
    let head = journal_len(s, &o).await;
    let err = s
        .open_incident(&actor(), o.id, incident_for(&theirs, &o, None, t2), t2)
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::NotFound);
    assert_eq!(journal_len(s, &o).await, head);
    assert_eq!(s.incidents(o.id, true).await.unwrap().len(), 1);
    let kinds: Vec<String> = s
        .journal_page(o.id, 0, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("incident."))
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "incident.opened",
            "incident.task_done",
            "incident.task_reopened",
            "incident.role_handed_over",
            "incident.role_handed_over",
            "incident.closed"
        ]
    );
    assert_chain_ok(s, &o).await;
}

fn decision(what: &str, significant: bool, at: chrono::DateTime<Utc>) -> EntryDraft {
    EntryDraft {
        body: EntryBody::Decision {
            what: what.into(),
            who: "Krisledningsgruppen".into(),
            why: "Telefonin ligger nere".into(),
            decided_at: at,
        },
        significant,
    }
}

pub async fn the_log_keeps_decisions_and_reports_and_the_scribe_approves_significant_ones(
    db: &TestDb,
) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let lead = account_in(s, &o, "lead@lillby.se").await;
    let scribe = s
        .create_person(&actor(), o.id, draft("Sara Skrivare", None))
        .await
        .unwrap();
    let t0 = Utc
        .with_ymd_and_hms(2026, 12, 2, 7, 40, 0)
        .single()
        .unwrap();
    let incident = s
        .open_incident(&actor(), o.id, incident_for(&lead, &o, None, t0), t0)
        .await
        .unwrap();
    assert_eq!(incident.report_every_minutes, Some(60));

    // A plain entry is in the picture at once; a significant one waits for the scribe.
    let t1 = t0 + Duration::minutes(5);
    let plain = s
        .write_log_entry(
            &actor(),
            o.id,
            incident.id,
            decision("Öppna reservväxeln", false, t1),
            Some(lead.person_id),
            t1,
        )
        .await
        .unwrap();
    assert!(plain.in_picture());
    s.hand_over_role(
        &actor(),
        o.id,
        incident.id,
        Handover {
            role: IncidentRole::Scribe,
            to: scribe.id,
        },
        Some(lead.person_id),
        t1,
    )
    .await
    .unwrap();
    let t2 = t0 + Duration::minutes(10);
    let weighty = s
        .write_log_entry(
            &actor(),
            o.id,
            incident.id,
            decision("Stäng medborgarkontoret", true, t1),
            Some(lead.person_id),
            t2,
        )
        .await
        .unwrap();
    assert!(!weighty.in_picture(), "waits for the scribe");
    // Only the scribe approves: not the lead (there is a scribe), not someone else.
    for who in [lead.person_id, PersonId::new()] {
        assert!(matches!(
            s.approve_log_entry(&actor(), o.id, incident.id, weighty.id, who, t2)
                .await
                .unwrap_err(),
            StoreError::Forbidden(_)
        ));
    }
    let t3 = t0 + Duration::minutes(12);
    let approved = s
        .approve_log_entry(&actor(), o.id, incident.id, weighty.id, scribe.id, t3)
        .await
        .unwrap();
    assert_eq!(
        (approved.approved_at, approved.approved_by),
        (Some(t3), Some(scribe.id))
    );
    // Approving again changes nothing (and journals nothing).
    let again = s
        .approve_log_entry(
            &actor(),
            o.id,
            incident.id,
            weighty.id,
            scribe.id,
            t3 + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(again.approved_at, Some(t3));
    // One the scribe sends back stays out of the picture and can no longer be approved;
    // an approved one cannot be sent back.
    let sent_back = s
        .write_log_entry(
            &actor(),
            o.id,
            incident.id,
            decision("Stäng skolorna", true, t2),
            Some(lead.person_id),
            t2 + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert!(sent_back.is_waiting());
    assert!(matches!(
        s.decline_log_entry(
            &actor(),
            o.id,
            incident.id,
            sent_back.id,
            lead.person_id,
            t3
        )
        .await
        .unwrap_err(),
        StoreError::Forbidden(_)
    ));
    let declined = s
        .decline_log_entry(&actor(), o.id, incident.id, sent_back.id, scribe.id, t3)
        .await
        .unwrap();
    assert_eq!(
        (declined.declined_at, declined.declined_by),
        (Some(t3), Some(scribe.id))
    );
    assert!(!declined.in_picture() && !declined.is_waiting());
    assert_eq!(
        s.approve_log_entry(&actor(), o.id, incident.id, sent_back.id, scribe.id, t3)
            .await
            .unwrap_err(),
        StoreError::Conflict(Conflict::EntryDecided)
    );
    assert_eq!(
        s.decline_log_entry(&actor(), o.id, incident.id, weighty.id, scribe.id, t3)
            .await
            .unwrap_err(),
        StoreError::Conflict(Conflict::EntryDecided)
    );
    // The scribe's own significant report is approved as written.
    let report = s
        .write_log_entry(
            &actor(),
            o.id,
            incident.id,
            EntryDraft {
                body: EntryBody::Report {
                    conditions: "Telefonin nere\nE-post fungerar".into(),
                    actions: "Reservtelefoner delas ut".into(),
                    needs: String::new(),
                },
                significant: true,
            },
            Some(scribe.id),
            t3,
        )
        .await
        .unwrap();
    assert!(report.in_picture());
    let log = s.incident_log(o.id, incident.id).await.unwrap();
    let ids: Vec<_> = log.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        [plain.id, weighty.id, sent_back.id, report.id],
        "oldest first"
    );
    assert_eq!(log[1].approved_by, Some(scribe.id));
    assert_eq!(log[2].declined_by, Some(scribe.id));
    assert_eq!(log[3].body, report.body);
    // Not another organisation's.
    assert_eq!(
        s.incident_log(other.id, incident.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.approve_log_entry(&actor(), o.id, incident.id, EntryId::new(), scribe.id, t3)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );

    // The cadence; a reminder goes out once per missed report, whoever asks.
    let changed = s
        .set_report_cadence(&actor(), o.id, incident.id, Some(30), t3)
        .await
        .unwrap();
    assert_eq!(changed.report_every_minutes, Some(30));
    let due = t3 + Duration::minutes(30);
    let reminder = || {
        AlertInput {
            message: "Lägesrapporten är försenad".into(),
            severity: Severity::Info,
            recipients: Recipients {
                people: vec![scribe.id],
                ..Default::default()
            },
            options: vec![],
            exercise: true,
            step_minutes: 5,
            repeats: 0,
            repeat_minutes: 15,
            escalation: None,
        }
        .validate(None)
        .unwrap()
    };
    let late = due + Duration::minutes(1);
    let sent = s
        .remind_report(&actor(), o.id, incident.id, due, reminder(), late)
        .await
        .unwrap();
    let alert = s.alert(o.id, sent.unwrap()).await.unwrap();
    assert!(alert.exercise);
    assert_eq!(
        s.remind_report(
            &actor(),
            o.id,
            incident.id,
            due,
            reminder(),
            late + Duration::minutes(1)
        )
        .await
        .unwrap(),
        None,
        "reminded once for the same report"
    );
    let next_due = due + Duration::minutes(30);
    assert!(s
        .remind_report(&actor(), o.id, incident.id, next_due, reminder(), next_due)
        .await
        .unwrap()
        .is_some());

    // Ended: the log is kept but takes nothing more, and no reminder goes out.
    let t4 = t0 + Duration::hours(3);
    s.close_incident(&actor(), o.id, incident.id, None, t4)
        .await
        .unwrap();
    assert_eq!(
        s.write_log_entry(
            &actor(),
            o.id,
            incident.id,
            decision("För sent", false, t4),
            None,
            t4
        )
        .await
        .unwrap_err(),
        StoreError::Conflict(Conflict::IncidentClosed)
    );
    assert_eq!(
        s.remind_report(
            &actor(),
            o.id,
            incident.id,
            t4,
            reminder(),
            t4 + Duration::hours(1)
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(s.incident_log(o.id, incident.id).await.unwrap().len(), 4);
    let kinds: Vec<String> = s
        .journal_page(o.id, 0, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("incident."))
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "incident.opened",
            "incident.decision_recorded",
            "incident.role_handed_over",
            "incident.decision_recorded",
            "incident.entry_approved",
            "incident.decision_recorded",
            "incident.entry_declined",
            "incident.report_written",
            "incident.report_cadence_set",
            "incident.report_overdue",
            "incident.report_overdue",
            "incident.closed"
        ]
    );
    let journal = s.journal_page(o.id, 0, 200).await.unwrap();
    assert!(
        journal
            .iter()
            .any(|e| e.payload.contains("Stäng medborgarkontoret")),
        "the journal keeps what was decided"
    );
    assert_chain_ok(s, &o).await;
}

pub async fn a_guest_is_invited_to_one_incident_and_joins_its_channel(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let lead = account_in(s, &o, "lead@lillby.se").await;
    let member = account_in(s, &o, "anna@lillby.se").await;
    let partner = s
        .create_person(&actor(), o.id, draft("Pia Partner", None))
        .await
        .unwrap();
    let guest = s
        .create_account(
            &actor(),
            o.id,
            partner.id,
            EmailAddress::parse("pia@region.example").unwrap(),
            Role::Guest,
        )
        .await
        .unwrap();
    let theirs = account_in(s, &other, "x@storby.se").await;
    let t0 = Utc
        .with_ymd_and_hms(2026, 12, 2, 7, 40, 0)
        .single()
        .unwrap();
    let incident = s
        .open_incident(&actor(), o.id, incident_for(&lead, &o, None, t0), t0)
        .await
        .unwrap();
    let by = actor();
    let invite = |account| s.invite_guest(&by, o.id, incident.id, account, None, t0);
    assert!(!s
        .channels_for(o.id, guest.id)
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == incident.channel_id));
    invite(guest.id).await.unwrap();
    invite(guest.id).await.unwrap();
    assert_eq!(
        s.incident_guests(o.id, incident.id).await.unwrap(),
        [guest.id],
        "invited once"
    );
    assert!(s
        .channels_for(o.id, guest.id)
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == incident.channel_id));
    // A member is no guest; another organisation's account is none of ours.
    assert_eq!(
        invite(member.id).await.unwrap_err(),
        StoreError::invalid("account", beredskap_core::Problem::NotAGuest)
    );
    assert_eq!(
        invite(theirs.id).await.unwrap_err(),
        StoreError::invalid("account", beredskap_core::Problem::UnknownAccount)
    );
    assert_eq!(
        s.incident_guests(other.id, incident.id).await.unwrap_err(),
        StoreError::NotFound
    );
    s.close_incident(&actor(), o.id, incident.id, None, t0)
        .await
        .unwrap();
    assert_eq!(
        invite(guest.id).await.unwrap_err(),
        StoreError::Conflict(Conflict::IncidentClosed)
    );
    // Taken off afterwards: out of the incident and its channel; a second time, nothing.
    s.remove_guest(&by, o.id, incident.id, guest.id, None)
        .await
        .unwrap();
    assert!(s
        .incident_guests(o.id, incident.id)
        .await
        .unwrap()
        .is_empty());
    assert!(!s
        .channels_for(o.id, guest.id)
        .await
        .unwrap()
        .iter()
        .any(|c| c.id == incident.channel_id));
    s.remove_guest(&by, o.id, incident.id, guest.id, None)
        .await
        .unwrap();
    let kinds: Vec<String> = s
        .journal_page(o.id, 0, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("incident.guest"))
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["incident.guest_invited", "incident.guest_removed"]);
    assert_chain_ok(s, &o).await;
}

fn citizen(name: &str, phone: Option<&str>) -> beredskap_core::continuity::priority::Citizen {
    beredskap_core::continuity::priority::Citizen {
        name: name.into(),
        address: "Storgatan 4".into(),
        phone: phone.map(str::to_owned),
        need: "Trygghetslarm".into(),
        contact_person: Some("Per (son) 070-765 43 21".into()),
    }
}

pub async fn the_priority_list_is_replaced_whole_opened_on_record_and_its_calls_purged_unless_kept(
    db: &TestDb,
) {
    use beredskap_core::continuity::priority::{AccessInput, CallOutcome, CallReport};
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let lead = account_in(s, &o, "lead@lillby.se").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    // Nothing yet: no list, nobody named, the default days.
    let empty = s.priority_list_info(o.id).await.unwrap();
    assert_eq!((empty.citizens, empty.calls_days), (0, 30));
    assert!(empty.positions.is_empty() && empty.imported_at.is_none());
    let list = vec![
        citizen("Karin Öberg", Some("+46701234567")),
        citizen("Erik Lund", None),
    ];
    let info = s
        .replace_priority_list(&actor(), o.id, list.clone(), t0)
        .await
        .unwrap();
    assert_eq!((info.citizens, info.imported_at), (2, Some(t0)));
    assert_eq!(s.priority_list_info(other.id).await.unwrap().citizens, 0);
    // Named positions must be the organisation's.
    let hemtjanst = s
        .create_position(
            &actor(),
            o.id,
            NewPosition {
                slug: Slug::parse("hemtjanst").unwrap(),
                name: "Enhetschef hemtjänst".into(),
            },
        )
        .await
        .unwrap();
    let theirs = s
        .create_position(
            &actor(),
            other.id,
            NewPosition {
                slug: Slug::parse("tib").unwrap(),
                name: "TiB".into(),
            },
        )
        .await
        .unwrap();
    let before = journal_len(s, &o).await;
    let foreign = AccessInput {
        positions: vec![hemtjanst.id, theirs.id],
        calls_days: 7,
    };
    assert_eq!(
        s.set_priority_list_access(&actor(), o.id, foreign)
            .await
            .unwrap_err(),
        StoreError::invalid("positions", beredskap_core::Problem::UnknownPosition)
    );
    assert_eq!(journal_len(s, &o).await, before, "nothing half-applied");
    let access = AccessInput {
        positions: vec![hemtjanst.id],
        calls_days: 7,
    };
    let info = s
        .set_priority_list_access(&actor(), o.id, access)
        .await
        .unwrap();
    assert_eq!((info.positions, info.calls_days), (vec![hemtjanst.id], 7));
    // Opening reads in the file's order and journals in the same transaction.
    let before = journal_len(s, &o).await;
    assert_eq!(s.open_priority_list(&actor(), o.id).await.unwrap(), list);
    assert_eq!(journal_len(s, &o).await, before + 1);
    // An incident's calls: once, a copy of each citizen.
    let incident = s
        .open_incident(&actor(), o.id, incident_for(&lead, &o, None, t0), t0)
        .await
        .unwrap();
    let by = Some(lead.person_id);
    let started = s
        .start_priority_calls(&actor(), o.id, incident.id, by, t0)
        .await
        .unwrap();
    assert_eq!(
        (started.total, started.open, started.started_at),
        (2, 2, Some(t0))
    );
    let again = s
        .start_priority_calls(&actor(), o.id, incident.id, by, t0 + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        (again.total, again.started_at),
        (2, Some(t0)),
        "started once"
    );
    // A new import does not change calls already made.
    s.replace_priority_list(&actor(), o.id, vec![citizen("Anna Berg", None)], t0)
        .await
        .unwrap();
    let calls = s
        .open_priority_calls(&actor(), o.id, incident.id)
        .await
        .unwrap();
    let names: Vec<&str> = calls
        .iter()
        .map(|c| c.citizen.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["Karin Öberg", "Erik Lund"]);
    assert_eq!(
        s.open_priority_calls(&actor(), other.id, incident.id)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    let t1 = t0 + Duration::minutes(20);
    let report = |call, outcome, note: Option<&str>| CallReport {
        call,
        outcome,
        note: note.map(str::to_owned),
    };
    s.report_priority_call(
        &actor(),
        o.id,
        incident.id,
        report(calls[0].id, CallOutcome::NotReached, None),
        by,
        t1,
    )
    .await
    .unwrap();
    let reached = s
        .report_priority_call(
            &actor(),
            o.id,
            incident.id,
            report(
                calls[0].id,
                CallOutcome::Escalated,
                Some("Svarar inte, larmet tyst"),
            ),
            by,
            t1,
        )
        .await
        .unwrap();
    assert_eq!(
        (reached.outcome, reached.attempts, reached.called_at),
        (Some(CallOutcome::Escalated), 2, Some(t1))
    );
    let counted = s.priority_calls_summary(o.id, incident.id).await.unwrap();
    assert_eq!((counted.escalated, counted.open, counted.total), (1, 1, 2));
    // The journal holds outcomes, never details.
    let journal = s.journal_page(o.id, 0, 500).await.unwrap();
    let written: String = journal
        .iter()
        .filter(|e| e.kind.starts_with("priority"))
        .map(|e| e.payload.clone())
        .collect();
    for detail in [
        "Karin",
        "Storgatan",
        "Trygghetslarm",
        "larmet tyst",
        "+4670",
    ] {
        assert!(!written.contains(detail), "{detail} in {written}");
    }
    // Keeping needs a decision in the shared picture.
    let waiting = s
        .write_log_entry(
            &actor(),
            o.id,
            incident.id,
            decision("Spara samtalslistan", true, t1),
            None,
            t1,
        )
        .await
        .unwrap();
    assert_eq!(
        s.keep_priority_calls(&actor(), o.id, incident.id, waiting.id)
            .await
            .unwrap_err(),
        StoreError::invalid("decision", beredskap_core::Problem::UnknownMessage)
    );
    // Ended: no more outcomes; purged once the days are over, and only then.
    s.close_incident(&actor(), o.id, incident.id, None, t1)
        .await
        .unwrap();
    assert_eq!(
        s.report_priority_call(
            &actor(),
            o.id,
            incident.id,
            report(calls[1].id, CallOutcome::Reached, None),
            by,
            t1,
        )
        .await
        .unwrap_err(),
        StoreError::Conflict(Conflict::IncidentClosed)
    );
    let day = Duration::days(1);
    assert_eq!(
        s.purge_priority_calls(&actor(), t1 + day * 6)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.purge_priority_calls(&actor(), t1 + day * 7)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.purge_priority_calls(&actor(), t1 + day * 8)
            .await
            .unwrap(),
        0,
        "once"
    );
    let purged = s
        .open_priority_calls(&actor(), o.id, incident.id)
        .await
        .unwrap();
    assert!(purged
        .iter()
        .all(|c| c.citizen.is_none() && c.note.is_none()));
    assert_eq!(
        purged[0].outcome,
        Some(CallOutcome::Escalated),
        "the outcome stays"
    );
    let counted = s.priority_calls_summary(o.id, incident.id).await.unwrap();
    assert_eq!(
        (counted.escalated, counted.purged_at),
        (1, Some(t1 + day * 7))
    );
    // Another incident's calls kept by a decision are never purged.
    let second = s
        .open_incident(&actor(), o.id, incident_for(&lead, &o, None, t1), t1)
        .await
        .unwrap();
    s.start_priority_calls(&actor(), o.id, second.id, by, t1)
        .await
        .unwrap();
    let keep = s
        .write_log_entry(
            &actor(),
            o.id,
            second.id,
            decision("Spara samtalslistan", false, t1),
            None,
            t1,
        )
        .await
        .unwrap();
    let kept = s
        .keep_priority_calls(&actor(), o.id, second.id, keep.id)
        .await
        .unwrap();
    assert_eq!(kept.kept_by, Some(keep.id));
    s.close_incident(&actor(), o.id, second.id, None, t1)
        .await
        .unwrap();
    assert_eq!(
        s.purge_priority_calls(&actor(), t1 + day * 400)
            .await
            .unwrap(),
        0
    );
    let still = s
        .open_priority_calls(&actor(), o.id, second.id)
        .await
        .unwrap();
    assert_eq!(still[0].citizen.as_ref().unwrap().name, "Anna Berg");
    // Purged calls cannot be kept afterwards.
    let late = s
        .write_log_entry(
            &actor(),
            o.id,
            second.id,
            decision("x", false, t1),
            None,
            t1,
        )
        .await;
    assert_eq!(
        late.unwrap_err(),
        StoreError::Conflict(Conflict::IncidentClosed)
    );
    assert_eq!(
        s.keep_priority_calls(&actor(), o.id, incident.id, keep.id)
            .await
            .unwrap_err(),
        StoreError::invalid("decision", beredskap_core::Problem::UnknownMessage),
        "another incident's decision keeps nothing here"
    );
    assert_chain_ok(s, &o).await;
}

pub async fn the_status_pages_ways_to_get_in_touch_are_kept_per_organisation_and_journaled(
    db: &TestDb,
) {
    use beredskap_core::continuity::status::PublicContacts;
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    assert!(
        s.public_contacts(o.id).await.unwrap().is_empty(),
        "none until set"
    );
    let ways = PublicContacts {
        phone: Some("+46480450000".into()),
        address: Some("Stadshuset, Storgatan 1".into()),
        opening_hours: Some("Vardagar 8–16".into()),
        note: None,
    };
    let before = journal_len(s, &o).await;
    s.set_public_contacts(&actor(), o.id, ways.clone(), t0)
        .await
        .unwrap();
    assert_eq!(s.public_contacts(o.id).await.unwrap(), ways);
    assert!(s.public_contacts(other.id).await.unwrap().is_empty());
    // Set again: replaced whole, a field left out is gone.
    let fewer = PublicContacts {
        phone: Some("+46480450000".into()),
        ..Default::default()
    };
    s.set_public_contacts(&actor(), o.id, fewer.clone(), t0)
        .await
        .unwrap();
    assert_eq!(s.public_contacts(o.id).await.unwrap(), fewer);
    let journal = s.journal_page(o.id, before, 10).await.unwrap();
    let kinds: Vec<&str> = journal.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["status.contacts_set", "status.contacts_set"]);
    assert!(journal[0].payload.contains("Storgatan 1"));
    assert_eq!(
        s.set_public_contacts(&actor(), beredskap_core::OrgId::new(), fewer, t0)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    assert_chain_ok(s, &o).await;
}

pub async fn notices_keep_their_timeline_end_once_and_stay_shown_a_week(db: &TestDb) {
    use beredskap_core::continuity::notices::{Kind, NewNotice, NoticeText, Phase, UpdateDraft};
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    let phones = s
        .create_service(&actor(), o.id, service("Telefoni"), None, t0)
        .await
        .unwrap();
    let theirs = s
        .create_service(&actor(), other.id, service("Telefoni"), None, t0)
        .await
        .unwrap();
    let update =
        |phase: Phase, title: &str, services: Vec<beredskap_core::ServiceId>| UpdateDraft {
            phase,
            texts: vec![
                NoticeText {
                    lang: "sv".into(),
                    title: title.into(),
                    body: "Ring reservnumret.".into(),
                },
                NoticeText {
                    lang: "en".into(),
                    title: "Phones down".into(),
                    body: String::new(),
                },
            ],
            services,
            starts_at: None,
            ends_at: None,
        };
    let new = |first: UpdateDraft| NewNotice {
        incident_id: None,
        kind: Kind::Disruption,
        exercise: false,
        first,
    };
    // Another organisation's service is refused, naming it, and nothing is published.
    let refused = s
        .publish_notice(
            &actor(),
            o.id,
            new(update(Phase::Investigating, "Telefonin", vec![theirs.id])),
            None,
            t0,
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        StoreError::invalid("services[0]", beredskap_core::Problem::UnknownService)
    );
    assert!(s.notices(o.id, t0).await.unwrap().is_empty());
    let before = journal_len(s, &o).await;
    let published = s
        .publish_notice(
            &actor(),
            o.id,
            new(update(
                Phase::Investigating,
                "Telefonin ligger nere",
                vec![phones.id],
            )),
            None,
            t0,
        )
        .await
        .unwrap();
    assert_eq!(published.updates.len(), 1);
    assert_eq!(published.latest().texts[1].lang, "en");
    assert_eq!(published.latest().services, vec![phones.id]);
    assert!(published.is_open());
    let t1 = t0 + Duration::minutes(30);
    let updated = s
        .update_notice(
            &actor(),
            o.id,
            published.id,
            update(Phase::Identified, "Fel i växeln", vec![phones.id]),
            None,
            t1,
        )
        .await
        .unwrap();
    assert_eq!(
        updated.updates.iter().map(|u| u.seq).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(updated.first().texts[0].title, "Telefonin ligger nere");
    assert_eq!(updated.latest().at, t1);
    // Another organisation neither sees nor updates it.
    assert!(s.notices(other.id, t0).await.unwrap().is_empty());
    assert_eq!(
        s.notice(other.id, published.id).await.unwrap_err(),
        StoreError::NotFound
    );
    // Resolved ends it: no more updates, and it stays shown for as long as asked.
    let t2 = t0 + Duration::hours(2);
    let ended = s
        .update_notice(
            &actor(),
            o.id,
            published.id,
            update(Phase::Resolved, "Telefonin fungerar igen", vec![]),
            None,
            t2,
        )
        .await
        .unwrap();
    assert_eq!(ended.ended_at(), Some(t2));
    assert_eq!(
        s.update_notice(
            &actor(),
            o.id,
            published.id,
            update(Phase::Monitoring, "Igen", vec![]),
            None,
            t2
        )
        .await
        .unwrap_err(),
        StoreError::Conflict(Conflict::NoticeEnded)
    );
    assert_eq!(s.notices(o.id, t2).await.unwrap().len(), 1);
    assert!(s
        .notices(o.id, t2 + Duration::seconds(1))
        .await
        .unwrap()
        .is_empty());
    // Every update journaled whole: it is public.
    let journal = s.journal_page(o.id, before, 10).await.unwrap();
    let kinds: Vec<&str> = journal.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "status.notice_published",
            "status.notice_updated",
            "status.notice_updated"
        ]
    );
    assert!(journal[0].payload.contains("Telefonin ligger nere"));
    assert!(journal[2].payload.contains("resolved"));
    assert_chain_ok(s, &o).await;
}

pub async fn an_organisation_keeps_at_most_its_limit_of_open_notices(db: &TestDb) {
    use beredskap_core::continuity::notices::{
        Kind, NewNotice, NoticeText, Phase, UpdateDraft, MAX_OPEN,
    };
    let s = db.store();
    let o = org(s, "lillby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    let new = |n: usize| NewNotice {
        incident_id: None,
        kind: Kind::Disruption,
        exercise: false,
        first: UpdateDraft {
            phase: Phase::Investigating,
            texts: vec![NoticeText {
                lang: "sv".into(),
                title: format!("Störning {n}"),
                body: String::new(),
            }],
            services: vec![],
            starts_at: None,
            ends_at: None,
        },
    };
    let mut last = None;
    for n in 0..MAX_OPEN {
        last = Some(
            s.publish_notice(&actor(), o.id, new(n), None, t0)
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        s.publish_notice(&actor(), o.id, new(MAX_OPEN), None, t0)
            .await
            .unwrap_err(),
        StoreError::invalid("phase", beredskap_core::Problem::TooMany { max: MAX_OPEN })
    );
    // Ending one makes room.
    let mut end = new(0).first;
    end.phase = Phase::Resolved;
    s.update_notice(&actor(), o.id, last.unwrap().id, end, None, t0)
        .await
        .unwrap();
    s.publish_notice(&actor(), o.id, new(MAX_OPEN), None, t0)
        .await
        .unwrap();
}

pub async fn a_state_set_during_an_exercise_leaves_the_public_state(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    let phones = s
        .create_service(&actor(), o.id, service("Telefoni"), None, t0)
        .await
        .unwrap();
    assert_eq!(
        (phones.public_state, phones.public_changed_at),
        (ServiceState::Unknown, t0)
    );
    let t1 = t0 + Duration::minutes(5);
    s.set_service_status(
        &actor(),
        o.id,
        phones.id,
        status(ServiceState::Works, None),
        None,
        t1,
    )
    .await
    .unwrap();
    let t2 = t0 + Duration::minutes(10);
    let mut drill = status(ServiceState::Down, Some("Övning"));
    drill.exercise = true;
    let during = s
        .set_service_status(&actor(), o.id, phones.id, drill, None, t2)
        .await
        .unwrap();
    // Staff see the drill's state; the public still sees the one before.
    assert_eq!(during.state, ServiceState::Down);
    assert_eq!(
        (during.public_state, during.public_changed_at),
        (ServiceState::Works, t1)
    );
    let read = s.services(o.id).await.unwrap();
    assert_eq!(read[0].public_state, ServiceState::Works);
}

pub async fn press_releases_are_kept_newest_first_and_journaled_whole(db: &TestDb) {
    use beredskap_core::continuity::press::NewPressRelease;
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    let new = |title: &str| NewPressRelease {
        incident_id: None,
        exercise: false,
        lang: "sv".into(),
        title: title.into(),
        body: "Lillby kommun, 2026-12-02\n\nVäxeln går inte att nå.".into(),
    };
    let before = journal_len(s, &o).await;
    for (n, title) in ["Första", "Andra", "Tredje"].iter().enumerate() {
        s.publish_press_release(
            &actor(),
            o.id,
            new(title),
            None,
            t0 + Duration::minutes(n as i64),
        )
        .await
        .unwrap();
    }
    let newest: Vec<String> = s
        .press_releases(o.id, 2)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(newest, ["Tredje", "Andra"]);
    assert!(s.press_releases(other.id, 10).await.unwrap().is_empty());
    // Another organisation's incident is not found, and nothing is published.
    let mut stray = new("Fel");
    stray.incident_id = Some(beredskap_core::IncidentId::new());
    assert_eq!(
        s.publish_press_release(&actor(), o.id, stray, None, t0)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(s.press_releases(o.id, 10).await.unwrap().len(), 3);
    let journal = s.journal_page(o.id, before, 10).await.unwrap();
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[0].kind, "status.press_release_published");
    assert!(journal[0].payload.contains("Växeln går inte att nå"));
    assert_chain_ok(s, &o).await;
}

pub async fn subscriptions_are_confirmed_reach_their_services_and_leave_nothing_behind(
    db: &TestDb,
) {
    use beredskap_core::alerting::DeliveryOutcome;
    use beredskap_core::continuity::notices::{Kind, NewNotice, NoticeText, Phase, UpdateDraft};
    use beredskap_core::continuity::subscriptions::{
        NewSubscriptionRequest, PublicPurpose, Removal,
    };
    use beredskap_core::register::ContactKind;
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let t0 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).single().unwrap();
    let lease = chrono::Duration::seconds(30);
    let phones = s
        .create_service(&actor(), o.id, service("Telefoni"), None, t0)
        .await
        .unwrap();
    let mail = s
        .create_service(&actor(), o.id, service("E-post"), None, t0)
        .await
        .unwrap();
    let theirs = s
        .create_service(&actor(), other.id, service("Telefoni"), None, t0)
        .await
        .unwrap();
    let ask = |channel: ContactKind, address: &str, services: Vec<beredskap_core::ServiceId>| {
        NewSubscriptionRequest {
            channel,
            address: address.into(),
            services,
            lang: "sv".into(),
        }
    };
    // Another organisation's service is refused, naming it, and nothing is sent.
    let refused = s
        .request_subscription(
            o.id,
            ask(ContactKind::Sms, "+46701234567", vec![theirs.id]),
            t0,
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        StoreError::invalid("services[0]", beredskap_core::Problem::UnknownService)
    );
    assert!(s
        .claim_public_deliveries(t0, 10, lease)
        .await
        .unwrap()
        .is_empty());
    // A request sends its confirmation, and nothing else happens until it is confirmed.
    let sms = s
        .request_subscription(
            o.id,
            ask(ContactKind::Sms, "+46701234567", vec![phones.id]),
            t0,
        )
        .await
        .unwrap();
    let claimed = s.claim_public_deliveries(t0, 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].purpose,
        PublicPurpose::Confirm { request: sms.id }
    );
    assert_eq!(claimed[0].address, "+46701234567");
    assert!(s
        .finish_public_delivery(
            claimed[0].id,
            DeliveryOutcome::Sent {
                provider: "test".into(),
                provider_ref: "1".into()
            },
            t0
        )
        .await
        .unwrap());
    // Another organisation cannot open or confirm it.
    assert_eq!(
        s.subscription_request(other.id, sms.id, t0)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.confirm_subscription(&actor(), other.id, sms.id, t0)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    let before = journal_len(s, &o).await;
    let sms = s
        .confirm_subscription(&actor(), o.id, sms.id, t0)
        .await
        .unwrap();
    assert_eq!(sms.services, vec![phones.id]);
    // The journal records it without the address.
    let entries = s.journal_page(o.id, before, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, "status.subscription_confirmed");
    assert!(
        !entries[0].payload.contains("4670"),
        "{}",
        entries[0].payload
    );
    // A request unconfirmed for two days is forgotten.
    let late = s
        .request_subscription(
            o.id,
            ask(ContactKind::Email, "anna@example.org", vec![]),
            t0,
        )
        .await
        .unwrap();
    let t1 = t0 + chrono::Duration::hours(49);
    assert_eq!(
        s.confirm_subscription(&actor(), o.id, late.id, t1)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    // Asked again, every notice (no services chosen).
    let email = s
        .request_subscription(
            o.id,
            ask(ContactKind::Email, "anna@example.org", vec![]),
            t1,
        )
        .await
        .unwrap();
    let email = s
        .confirm_subscription(&actor(), o.id, email.id, t1)
        .await
        .unwrap();
    // Confirmed requests are gone: their link confirms nothing more.
    assert_eq!(
        s.subscription_request(o.id, late.id, t1).await.unwrap_err(),
        StoreError::NotFound
    );
    for d in s.claim_public_deliveries(t1, 10, lease).await.unwrap() {
        assert!(matches!(d.purpose, PublicPurpose::Confirm { .. }));
        s.finish_public_delivery(d.id, DeliveryOutcome::Failed { error: "x".into() }, t1)
            .await
            .unwrap();
    }
    // A notice about the mail service reaches the one who wants everything, not the one
    // who chose the phones.
    let update = |phase: Phase, services: Vec<beredskap_core::ServiceId>| UpdateDraft {
        phase,
        texts: vec![NoticeText {
            lang: "sv".into(),
            title: "E-posten ligger nere".into(),
            body: String::new(),
        }],
        services,
        starts_at: None,
        ends_at: None,
    };
    let notice = s
        .publish_notice(
            &actor(),
            o.id,
            NewNotice {
                incident_id: None,
                kind: Kind::Disruption,
                exercise: false,
                first: update(Phase::Investigating, vec![mail.id]),
            },
            None,
            t1,
        )
        .await
        .unwrap();
    let claimed = s.claim_public_deliveries(t1, 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].purpose,
        PublicPurpose::Notice {
            subscription: email.id,
            notice: notice.id,
            seq: 1
        }
    );
    assert_eq!(claimed[0].address, "anna@example.org");
    // A temporary failure waits its turn and goes again under the same key.
    let key = claimed[0].idempotency_key.clone();
    s.finish_public_delivery(
        claimed[0].id,
        DeliveryOutcome::Retry {
            at: t1 + chrono::Duration::seconds(30),
            error: "busy".into(),
        },
        t1,
    )
    .await
    .unwrap();
    assert!(s
        .claim_public_deliveries(t1, 10, lease)
        .await
        .unwrap()
        .is_empty());
    let t2 = t1 + chrono::Duration::seconds(31);
    let again = s.claim_public_deliveries(t2, 10, lease).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 2));
    assert_eq!(again[0].idempotency_key, key);
    // A worker that dies holding it loses it to the next after its lease.
    let t3 = t2 + chrono::Duration::seconds(31);
    let taken_over = s.claim_public_deliveries(t3, 10, lease).await.unwrap();
    assert_eq!(taken_over.len(), 1);
    assert_eq!(taken_over[0].idempotency_key, key);
    s.finish_public_delivery(
        taken_over[0].id,
        DeliveryOutcome::Sent {
            provider: "test".into(),
            provider_ref: "2".into(),
        },
        t3,
    )
    .await
    .unwrap();
    // The update about the phones reaches both.
    s.update_notice(
        &actor(),
        o.id,
        notice.id,
        update(Phase::Identified, vec![phones.id]),
        None,
        t3,
    )
    .await
    .unwrap();
    let both = s.claim_public_deliveries(t3, 10, lease).await.unwrap();
    let mut to: Vec<&str> = both.iter().map(|d| d.address.as_str()).collect();
    to.sort();
    assert_eq!(to, ["+46701234567", "anna@example.org"]);
    // Unsubscribing takes back what was still to go, and says so once.
    let pending = both
        .iter()
        .find(|d| d.channel == ContactKind::Sms)
        .unwrap()
        .id;
    assert!(s
        .remove_subscription(&actor(), o.id, sms.id, Removal::OneClick, t3)
        .await
        .unwrap());
    assert!(!s.public_delivery_wanted(pending).await.unwrap());
    assert!(!s
        .remove_subscription(&actor(), o.id, sms.id, Removal::Link, t3)
        .await
        .unwrap());
    assert_eq!(
        s.subscription(o.id, sms.id).await.unwrap_err(),
        StoreError::NotFound
    );
    let counts = s.subscriber_counts(o.id, t3).await.unwrap();
    assert_eq!((counts.email, counts.sms, counts.all_services), (1, 0, 1));
    // Another organisation's staff cannot erase it; its own can, on request.
    assert_eq!(
        s.erase_subscriber(
            &actor(),
            other.id,
            ContactKind::Email,
            "anna@example.org",
            t3
        )
        .await
        .unwrap(),
        0
    );
    assert_eq!(
        s.erase_subscriber(&actor(), o.id, ContactKind::Email, "anna@example.org", t3)
            .await
            .unwrap(),
        1
    );
    let counts = s.subscriber_counts(o.id, t3).await.unwrap();
    assert_eq!((counts.email, counts.sms), (0, 0));
    // Nothing names either address any more, in the outbox or the journal.
    let later = t3 + chrono::Duration::hours(1);
    assert!(s
        .claim_public_deliveries(later, 10, lease)
        .await
        .unwrap()
        .is_empty());
    for entry in s.journal_page(o.id, 0, 1000).await.unwrap() {
        assert!(
            !entry.payload.contains("anna@") && !entry.payload.contains("4670"),
            "{}: {}",
            entry.kind,
            entry.payload
        );
    }
    assert_chain_ok(s, &o).await;
}
