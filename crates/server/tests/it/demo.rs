use crate::helpers::expect_json;
use beredskap_core::store::verify_journal;
use beredskap_core::EmailAddress;
use beredskap_server::demo;
use beredskap_store::{DatabaseUrl, OpenOptions};

#[tokio::test]
async fn the_demo_municipality_is_seeded_once_and_usable() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path()).await;
    let first = demo::seed(
        store.clone(),
        "http://localhost:8080",
        72,
        chrono::Utc::now(),
        swedish(),
    )
    .await
    .unwrap();
    let link = first.enrolment_link.clone().unwrap();
    assert!(link.starts_with("http://localhost:8080/enrol/"), "{link}");
    assert!(first.seeded_now);
    assert_eq!(first.org.slug.as_str(), "lillby");
    let people = store.list_people(first.org.id).await.unwrap();
    assert_eq!(people.len(), 30);
    assert!(people.iter().all(|p| p.contact_points.len() == 3));
    let groups = store.list_groups(first.org.id).await.unwrap();
    let crisis = groups
        .iter()
        .find(|g| g.slug.as_str() == "krisledning")
        .unwrap();
    assert_eq!(crisis.members.len(), 8);
    // The crisis lead's template calls the crisis group together, everyone reachable.
    let templates = store.alert_templates(first.org.id).await.unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].name, "IT-avbrott: samla krisledningsgruppen");
    assert_eq!(templates[0].alert.recipients.groups, vec![crisis.id]);
    let audience = store
        .alert_audience(
            first.org.id,
            &templates[0].alert.clone().validate(None).unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let reach = beredskap_core::alert_templates::reach(&audience);
    assert!(
        reach.people >= 8 && reach.unreachable.is_empty(),
        "{reach:?}"
    );
    let positions = store.list_positions(first.org.id).await.unwrap();
    let tib = positions.iter().find(|p| p.slug.as_str() == "tib").unwrap();
    assert_eq!(tib.holders.len(), 3, "a holder and two deputies");
    let admin = store
        .account_by_login(
            first.org.id,
            &beredskap_core::EmailAddress::parse(&first.admin_login).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    // Everyone's channel, and the crisis group's (the administrator is in the group).
    let mut channels = store.channels_for(first.org.id, admin.id).await.unwrap();
    assert_eq!(channels.len(), 2);
    channels.sort_by_key(|c| c.kind != beredskap_core::conversation::ChannelKind::Org);
    assert_eq!(channels[1].name, "Krisledningsgrupp");
    let page = beredskap_core::conversation::Page {
        before: None,
        limit: 10,
    };
    let messages = store
        .channel_messages(first.org.id, admin.id, channels[0].id, page)
        .await
        .unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(
        store
            .unconfirmed_announcements(first.org.id, admin.id)
            .await
            .unwrap()
            .len(),
        1,
        "an announcement waits for the administrator"
    );

    let again = demo::seed(
        store.clone(),
        "http://localhost:8080",
        72,
        chrono::Utc::now(),
        swedish(),
    )
    .await
    .unwrap();
    assert!(!again.seeded_now);
    assert_eq!(store.list_people(first.org.id).await.unwrap().len(), 30);
    // A second start issues no second token: the first still works, and is the only one.
    assert!(first.admin_token.is_some());
    assert_eq!(again.admin_token, None);
    assert_eq!(store.list_api_tokens(first.org.id).await.unwrap().len(), 1);
    assert!(verify_journal(store.as_ref(), first.org.id)
        .await
        .unwrap()
        .is_ok());

    // The token printed at creation works against a running server.
    let config = beredskap_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        ..Default::default()
    };
    let app = beredskap_server::Application::build(std::sync::Arc::new(config), store.clone())
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let shutdown = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let r = reqwest::Client::new()
        .get(format!("{base}/api/v1/orgs/lillby/positions"))
        .bearer_auth(first.admin_token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let body = expect_json(r, 200).await;
    assert_eq!(body.as_array().unwrap().len(), 5);
    shutdown.cancel();
}

#[tokio::test]
async fn the_demo_people_answer_by_sms_and_link_and_a_silent_holders_deputy_is_alerted() {
    use beredskap_core::alerting::{AlertInput, Recipients, Severity};
    let dir = tempfile::tempdir().unwrap();
    let (store, org, dispatcher, _) = demo_with_simulated_people(dir.path()).await;
    let crisis = store
        .list_groups(org.id)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.slug.as_str() == "krisledning")
        .unwrap();
    let now = beredskap_core::journal::now();
    let alert = store
        .create_alert(
            &beredskap_core::Actor::system(),
            org.id,
            AlertInput {
                message: "Övning: reservkraften har slagit till. Kan du komma?".into(),
                severity: Severity::Warning,
                recipients: Recipients {
                    groups: vec![crisis.id],
                    deputies: true,
                    ..Recipients::default()
                },
                options: vec!["Ja".into(), "Nej".into()],
                exercise: true,
                step_minutes: 1,
                repeats: 0,
                repeat_minutes: 15,
                escalation: None,
            }
            .validate(None)
            .unwrap(),
            now,
        )
        .await
        .unwrap();
    for minute in 0..6 {
        dispatcher
            .run_once(now + chrono::Duration::minutes(minute))
            .await
            .unwrap();
    }
    let roster = store.alert_roster(org.id, alert.id).await.unwrap();
    let people = store.list_people(org.id).await.unwrap();
    let named = |name: &str| {
        let id = people.iter().find(|p| p.name == name).unwrap().id;
        roster.iter().find(|r| r.person_id == id).unwrap().clone()
    };
    let via: Vec<Option<String>> = roster.iter().map(|r| r.answered_via.clone()).collect();
    assert!(via.contains(&Some("sms".into())), "{via:?}");
    assert!(via.contains(&Some("link".into())), "{via:?}");
    // Sara (the one trying the demo) is silent: her deputy as TiB is alerted and answers.
    let sara = named("Sara Olsson");
    assert!(sara.answered_at.is_none());
    let patrik = named("Patrik Falk");
    assert_eq!(patrik.reason, "deputy:tib");
    assert!(patrik.answered_at.is_some(), "{patrik:?}");
    assert!(named("Lars Nilsson").answered_at.is_none());
    assert_eq!(named("Karin Andersson").answer.as_deref(), Some("Ja"));
    assert_eq!(named("Emma Lindberg").answer.as_deref(), Some("Ja"));
    // Erik said yes as Stabschef: his deputy Camilla was never needed, and the roster says
    // so instead of showing her as still waiting.
    let lines = beredskap_app::alerts::roster_lines(&roster);
    let camilla = lines.iter().find(|l| l.name == "Camilla Nyström").unwrap();
    assert_eq!(camilla.reason, "deputy:stabschef");
    assert_eq!(
        camilla.state,
        beredskap_app::alerts::RecipientState::NotNeeded
    );
    let alert_now = store.alert(org.id, alert.id).await.unwrap();
    let counts = store.alert_roster_counts(org.id, alert.id).await.unwrap();
    let mut lists = Vec::new();
    for states in [
        beredskap_app::alerts::NOT_REACHED,
        beredskap_app::alerts::SILENT,
    ] {
        let query = beredskap_core::alerting::RosterQuery {
            states: states.to_vec(),
            offset: 0,
            limit: 100,
        };
        let page = store
            .alert_roster_page(org.id, alert.id, query)
            .await
            .unwrap();
        lists.push(beredskap_app::alerts::roster_lines(&page));
    }
    let report = beredskap_app::alerts::readiness(&alert_now, &counts, &lists[0], &lists[1]);
    let silent: Vec<&str> = report.silent.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(silent, ["Lars Nilsson", "Sara Olsson"], "not Camilla");
    assert!(report.not_reached.is_empty(), "{:?}", report.not_reached);
}

fn swedish() -> beredskap_i18n::Lang {
    beredskap_i18n::Lang::parse("sv").unwrap()
}

#[tokio::test]
async fn the_demo_speaks_the_language_it_is_seeded_in() {
    for (code, org_name, group, channel, title) in [
        (
            "da",
            "Lillby Kommune",
            "Krisestyringsgruppe",
            "Alle i Lillby Kommune",
            "Kommunaldirektør",
        ),
        (
            "en",
            "Lillby Municipality",
            "Crisis management group",
            "Everyone in Lillby Municipality",
            "Chief executive",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = demo_store(dir.path()).await;
        let lang = beredskap_i18n::Lang::parse(code).unwrap();
        let info = demo::seed(
            store.clone(),
            "http://localhost:8080",
            72,
            chrono::Utc::now(),
            lang,
        )
        .await
        .unwrap();
        let org = info.org;
        assert_eq!((org.name.as_str(), org.language_code()), (org_name, code));
        let groups = store.list_groups(org.id).await.unwrap();
        assert!(groups.iter().any(|g| g.name == group), "{groups:?}");
        let people = store.list_people(org.id).await.unwrap();
        assert!(people.iter().any(|p| p.title.as_deref() == Some(title)));
        // Its directory has the external contacts of its own country, in its language.
        let contacts = store.external_contacts(org.id).await.unwrap();
        assert!(contacts.len() >= 5, "{contacts:?}");
        assert!(contacts
            .iter()
            .any(|c| c.contact.phone.as_deref() == Some("112")));
        // The example plans in its language, the IT outage plan approved; its services.
        let plans = store.plans(org.id).await.unwrap();
        assert_eq!(plans.len(), 4, "{plans:?}");
        let outage = plans
            .iter()
            .find(|p| p.slug.as_str() == "it-outage")
            .unwrap();
        assert!(outage.is_approved());
        let expected_title = match code {
            "da" => "Totalt IT-nedbrud",
            _ => "Total IT outage",
        };
        assert_eq!(outage.document.title, expected_title);
        assert!(plans.iter().filter(|p| p.is_approved()).count() == 1);
        assert_eq!(store.services(org.id).await.unwrap().len(), 7);
        let admin = store
            .account_by_login(
                org.id,
                &EmailAddress::parse("sara.olsson@lillby.example").unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
        let mut channels = store.channels_for(org.id, admin.id).await.unwrap();
        channels.sort_by_key(|c| c.kind != beredskap_core::conversation::ChannelKind::Org);
        assert_eq!(channels[0].name, channel);
        let page = beredskap_core::conversation::Page {
            before: None,
            limit: 10,
        };
        let messages = store
            .channel_messages(org.id, admin.id, channels[0].id, page)
            .await
            .unwrap();
        for (n, m) in messages.iter().enumerate() {
            assert_eq!(m.body, lang.text(&format!("demo-message-{}", n + 1)));
        }
        // Nothing of the Swedish demo is left in it.
        let sv = swedish();
        for id in [
            "demo-org-name",
            "demo-group-krisledning",
            "demo-message-1",
            "demo-title-1",
        ] {
            let swedish_text = sv.text(id);
            assert!(
                groups.iter().all(|g| g.name != swedish_text)
                    && people
                        .iter()
                        .all(|p| p.title.as_deref() != Some(swedish_text))
                    && messages.iter().all(|m| m.body != swedish_text)
                    && org.name != swedish_text,
                "{code}: {id}"
            );
        }
    }
}

/// A new SQLite database in `dir` for the demo to seed.
/// The Swedish demo seeded in `dir`, with a delivery worker whose SMS and email go to the
/// demo's simulated people, who answer at once instead of after seconds, so tests need
/// not wait.
async fn demo_with_simulated_people(
    dir: &std::path::Path,
) -> (
    std::sync::Arc<dyn beredskap_core::Store>,
    beredskap_core::register::Org,
    beredskap_server::alerting::Dispatcher,
    beredskap_server::notify::Notifier,
) {
    use beredskap_server::alerting::{AnswerLinks, Dispatcher};
    use beredskap_server::notify::Notifier;
    let store = demo_store(dir).await;
    let info = demo::seed(
        store.clone(),
        "http://localhost:8080",
        72,
        chrono::Utc::now(),
        swedish(),
    )
    .await
    .unwrap();
    let org = info.org;
    let links = std::sync::Arc::new(
        AnswerLinks::load(store.as_ref(), "http://localhost:8080")
            .await
            .unwrap(),
    );
    let (phones, mailboxes) = demo::SimulatedPeople::pair(
        store.clone(),
        links.clone(),
        std::sync::Arc::new(beredskap_server::clock::SystemClock),
        false,
    );
    let notifier = Notifier {
        sms: Some(phones),
        email: Some(mailboxes),
        push: None,
    };
    let dispatcher = Dispatcher::new(store.clone(), notifier.clone(), links);
    (store, org, dispatcher, notifier)
}

async fn demo_store(dir: &std::path::Path) -> std::sync::Arc<dyn beredskap_core::Store> {
    beredskap_store::open(
        &DatabaseUrl::Sqlite(dir.join("demo.db")),
        &OpenOptions {
            create: true,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn in_the_demo_an_announcement_to_the_crisis_group_reaches_those_without_accounts_and_fills_its_roster(
) {
    let dir = tempfile::tempdir().unwrap();
    let (store, org, dispatcher, _) = demo_with_simulated_people(dir.path()).await;
    // Erik Johansson, the demo's crisis lead, writes in the crisis group's channel.
    let erik = store
        .account_by_login(
            org.id,
            &beredskap_core::EmailAddress::parse("erik.johansson@lillby.example").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let channel = store
        .channels_for(org.id, erik.id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Krisledningsgrupp")
        .expect("the crisis group has a channel");
    let now = beredskap_core::journal::now();
    let app = beredskap_app::App::new(
        store.clone(),
        std::sync::Arc::new(beredskap_core::clock::ManualClock::new(now)),
        std::sync::Arc::new(beredskap_app::NoWakeups),
    );
    let caller = beredskap_app::Caller::Account(erik.clone());
    let posted = beredskap_app::conversation::post(
        &app,
        &caller,
        &org,
        channel.id,
        beredskap_app::conversation::PostInput {
            body: "Stabsmöte 08.00 i stabsrummet.".into(),
            thread_root: None,
            announcement: true,
            send_out: true,
            idempotency_key: None,
            attachments: Vec::new(),
        },
    )
    .await
    .unwrap();
    for minute in 0..12 {
        dispatcher
            .run_once(now + chrono::Duration::minutes(minute))
            .await
            .unwrap();
    }
    let roster = beredskap_app::conversation::roster(&app, &caller, &org, posted.message.id)
        .await
        .unwrap();
    let alert = roster.sent_out.expect("sent out");
    let (_, lines) = beredskap_app::alerts::roster(&app, &caller, org.id, alert)
        .await
        .unwrap();
    let accounts = store.list_accounts(org.id).await.unwrap();
    let has_account = |p| accounts.iter().any(|a| a.person_id == p);
    // Everyone in the group but Erik; most of them have no account.
    assert_eq!(lines.len(), 7, "{lines:?}");
    let confirmed_elsewhere: Vec<&str> = lines
        .iter()
        .filter(|l| !has_account(l.person_id) && l.answered_at.is_some())
        .map(|l| l.name.as_str())
        .collect();
    assert!(confirmed_elsewhere.len() >= 4, "{lines:?}");
    assert!(lines
        .iter()
        .filter_map(|l| l.answered_via.as_deref())
        .any(|v| v == "sms"));
}

#[tokio::test]
async fn in_the_demo_bulk_activation_reaches_the_whole_register() {
    let dir = tempfile::tempdir().unwrap();
    let (store, org, dispatcher, phones) = demo_with_simulated_people(dir.path()).await;
    let now = beredskap_core::journal::now();
    let app = beredskap_app::App::new(
        store.clone(),
        std::sync::Arc::new(beredskap_core::clock::ManualClock::new(now)),
        std::sync::Arc::new(beredskap_app::NoWakeups),
    );
    let caller = beredskap_app::Caller::Operator(beredskap_core::Actor::cli("it-chef"));
    let people = store.list_people(org.id).await.unwrap();
    let accounts_before = store.list_accounts(org.id).await.unwrap();
    let preview = beredskap_app::activation::preview(&app, &caller, &phones, &org, None)
        .await
        .unwrap();
    let active = people.iter().filter(|p| p.active).count();
    assert!(preview.unreachable.is_empty(), "{:?}", preview.unreachable);
    assert_eq!(
        preview.links() as usize + preview.already_active as usize,
        active,
        "everyone in the register gets a link or has activated"
    );
    assert!(preview.links() as usize >= active - accounts_before.len());
    let batch = beredskap_app::activation::start(&app, &caller, &phones, &org, None)
        .await
        .unwrap();
    dispatcher.run_once(now).await.unwrap();
    let progress = beredskap_app::activation::progress(&app, &caller, &org, batch.id)
        .await
        .unwrap();
    assert_eq!(progress.sends.len(), preview.links() as usize);
    let unsent: Vec<_> = progress
        .sends
        .iter()
        .filter(|(_, s)| s.status != beredskap_core::activation::SendStatus::Sent)
        .collect();
    assert!(unsent.is_empty(), "{unsent:?}");
    // Each of them now has an account to activate, with a link that works.
    let accounts = store.list_accounts(org.id).await.unwrap();
    for person in people.iter().filter(|p| p.active) {
        assert!(
            accounts.iter().any(|a| a.person_id == person.id),
            "{} has no account",
            person.name
        );
    }
}
