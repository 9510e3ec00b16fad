//! The public status page as use cases: notices published from an incident carry its
//! exercise mark, a closed incident publishes nothing more, an update ends a notice once,
//! and a service's state set during a drill is not what citizens see.

use crate::world::World;
use beredskap_app::status;
use beredskap_app::{Error, UseCase};
use beredskap_core::continuity::notices::{Kind, NoticeTextInput, Phase, UpdateInput};
use beredskap_core::continuity::services::{ServiceInput, ServiceState, StatusInput};
use beredskap_core::register::Role;
use beredskap_core::store::Conflict;
use beredskap_core::StoreError;

fn input(phase: &str, title: &str) -> UpdateInput {
    UpdateInput {
        phase: phase.into(),
        texts: vec![NoticeTextInput {
            lang: "sv".into(),
            title: title.into(),
            body: "Ring reservnumret 0480-45 00 00.".into(),
        }],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_notice_from_a_drill_is_an_exercise_and_a_closed_incident_publishes_nothing() {
    let world = World::new().await;
    let (app, org) = (&world.app, &world.org);
    let lead = world.caller(Role::CrisisLead);
    let (incident, _) = world.open_incident().await;
    let published = status::publish_notice(
        app,
        &lead,
        org,
        Some(incident),
        Kind::Disruption,
        &input("investigating", "Telefonin ligger nere"),
    )
    .await
    .unwrap();
    assert!(published.exercise, "the world's incident is a drill");
    assert_eq!(published.incident_id, Some(incident));
    let on_page = status::public_status(app, org.slug.as_str()).await.unwrap();
    assert_eq!(on_page.notices.len(), 1);
    assert!(on_page.notices[0].exercise);
    let of_incident = status::incident_notices(app, &lead, org, incident)
        .await
        .unwrap();
    assert_eq!(of_incident.len(), 1);
    // A member may not publish; a bad phase is refused naming the field.
    let member = world.caller(Role::Member);
    assert!(matches!(
        status::publish_notice(
            app,
            &member,
            org,
            None,
            Kind::Disruption,
            &input("investigating", "x")
        )
        .await,
        Err(Error::Refused {
            use_case: UseCase::KeepPublicStatus,
            ..
        })
    ));
    match status::update_notice(app, &lead, org, published.id, &input("planned", "x")).await {
        Err(Error::Invalid(errors)) => assert_eq!(errors.0[0].field, "phase"),
        other => panic!("{other:?}"),
    }
    // Resolved ends it; after the incident closes, updates still go to its notices but
    // no new one is published from it.
    let ended = status::update_notice(app, &lead, org, published.id, &input("resolved", "Löst"))
        .await
        .unwrap();
    assert_eq!(ended.latest().phase, Phase::Resolved);
    beredskap_app::incidents::close(app, &lead, org, incident)
        .await
        .unwrap();
    let refused = status::publish_notice(
        app,
        &lead,
        org,
        Some(incident),
        Kind::Disruption,
        &input("investigating", "Igen"),
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(Error::Store(StoreError::Conflict(Conflict::IncidentClosed)))
        ),
        "{refused:?}"
    );
    assert!(matches!(
        status::update_notice(app, &lead, org, ended.id, &input("monitoring", "x")).await,
        Err(Error::Store(StoreError::Conflict(Conflict::NoticeEnded)))
    ));
}

#[tokio::test]
async fn a_state_set_while_only_a_drill_is_open_is_not_shown_to_citizens() {
    let world = World::new().await;
    let (app, org) = (&world.app, &world.org);
    let lead = world.caller(Role::CrisisLead);
    let service = beredskap_app::services::add_service(
        app,
        &lead,
        org,
        &ServiceInput {
            name: "Telefoni".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let set = |state: ServiceState| StatusInput {
        state,
        impact: None,
        workaround: None,
    };
    beredskap_app::services::set_status(app, &lead, org, service.id, &set(ServiceState::Works))
        .await
        .unwrap();
    let (_drill, _) = world.open_incident().await;
    let during =
        beredskap_app::services::set_status(app, &lead, org, service.id, &set(ServiceState::Down))
            .await
            .unwrap();
    assert_eq!(
        (during.state, during.public_state),
        (ServiceState::Down, ServiceState::Works)
    );
    let page = status::public_status(app, org.slug.as_str()).await.unwrap();
    assert_eq!(page.services[0].public_state, ServiceState::Works);
    let journal = app.store.journal_page(org.id, 0, 1000).await.unwrap();
    let last = journal
        .iter()
        .rev()
        .find(|e| e.kind == "service.status_set")
        .unwrap();
    assert!(
        last.payload.contains("\"exercise\":true"),
        "{}",
        last.payload
    );
}

#[tokio::test]
async fn a_press_release_is_written_from_the_template_and_published_as_an_exercise_from_a_drill() {
    use beredskap_core::continuity::status::PublicContactsInput;
    let world = World::new().await;
    let (app, org) = (&world.app, &world.org);
    let lead = world.caller(Role::CrisisLead);
    let (drill, _) = world.open_incident().await;
    let phones = beredskap_app::services::add_service(
        app,
        &lead,
        org,
        &ServiceInput {
            name: "Telefoni".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    status::set_contacts(
        app,
        &lead,
        org,
        &PublicContactsInput {
            phone: "0480-45 00 00".into(),
            address: "Stadshuset, Storgatan 1".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut notice = input("investigating", "Telefonin ligger nere");
    notice.services = vec![phones.id];
    status::publish_notice(app, &lead, org, Some(drill), Kind::Disruption, &notice)
        .await
        .unwrap();
    let draft = status::press_release_draft(
        app,
        &lead,
        org,
        Some(drill),
        beredskap_i18n::Lang::parse("sv").unwrap(),
        "https://beredskap.lillby.se/status/lillby",
    )
    .await
    .unwrap();
    assert_eq!(draft.title, format!("{}: Telefonin ligger nere", org.name));
    let body = &draft.body;
    assert!(body.starts_with("ÖVNING"), "{body}");
    for expected in [
        "Ring reservnumret 0480-45 00 00.",
        "Berörda tjänster: Telefoni",
        "Reservnummer: 0480-45 00 00",
        "Besöksadress: Stadshuset, Storgatan 1",
        "Aktuell information: https://beredskap.lillby.se/status/lillby",
        "Kontakt för media:",
    ] {
        assert!(body.contains(expected), "{expected:?} in {body}");
    }
    // Without an incident, a drill's notice is not used: its words stay in the drill.
    let general = status::press_release_draft(
        app,
        &lead,
        org,
        None,
        beredskap_i18n::Lang::parse("sv").unwrap(),
        "https://beredskap.lillby.se/status/lillby",
    )
    .await
    .unwrap();
    assert_eq!(general.title, org.name);
    assert!(!general.body.contains("Ring reservnumret 0480-45 00 00."));
    assert!(!general.body.starts_with("ÖVNING") && general.incident.is_none());
    // The communicator edits, then publishes: an exercise's, marked; shown on the page.
    let mut edited = draft.clone();
    edited.body = edited.body.replace("Kontakt för media:", "Presskontakt:");
    let published = status::publish_press_release(app, &lead, org, &edited)
        .await
        .unwrap();
    assert!(published.exercise);
    assert!(published.body.contains("Presskontakt:"));
    let page = status::public_status(app, org.slug.as_str()).await.unwrap();
    assert_eq!(page.press_releases.len(), 1);
    // A member may neither draft nor publish.
    let member = world.caller(Role::Member);
    assert!(matches!(
        status::publish_press_release(app, &member, org, &edited).await,
        Err(Error::Refused {
            use_case: UseCase::KeepPublicStatus,
            ..
        })
    ));
    // The template's line asking what happened may not go out as it is.
    let untouched = status::press_release_draft(
        app,
        &lead,
        org,
        None,
        beredskap_i18n::Lang::parse("da").unwrap(),
        "https://beredskap.lillby.se/status/lillby",
    )
    .await
    .unwrap();
    match status::publish_press_release(app, &lead, org, &untouched).await {
        Err(Error::Invalid(errors)) => assert_eq!(
            (errors.0[0].field.as_str(), &errors.0[0].problem),
            ("body", &beredskap_core::Problem::PlaceholderLeft)
        ),
        other => panic!("{other:?}"),
    }
    let mut empty = edited.clone();
    empty.title = " ".into();
    match status::publish_press_release(app, &lead, org, &empty).await {
        Err(Error::Invalid(errors)) => assert_eq!(errors.0[0].field, "title"),
        other => panic!("{other:?}"),
    }
}
