//! The policy table, over every use case and every role: a caller below the least role is
//! refused and nothing is written; a caller at or above it gets through.

use crate::world::{ChannelsAsked, MemoryFiles, World, ROLES};
use beredskap_app::accounts;
use beredskap_app::alerts;
use beredskap_app::attachments;
use beredskap_app::conversation::{self, PostInput};
use beredskap_app::incidents;
use beredskap_app::plans;
use beredskap_app::policy::permit;
use beredskap_app::priority_list;
use beredskap_app::register;
use beredskap_app::rotations;
use beredskap_app::services;
use beredskap_app::settings;
use beredskap_app::{Caller, Error, UseCase};
use beredskap_core::alerting::{AlertStatus, ContactCheckInput, Recipients};
use beredskap_core::continuity::priority::{AccessInput, CallOutcome, CallReportInput};
use beredskap_core::continuity::services::{ServiceInput, ServiceState, StatusInput};
use beredskap_core::conversation::{ChannelKind, MessageChange, NewChannel};
use beredskap_core::register::Role;
use beredskap_core::register::{NewGroup, NewPosition, PersonInput};
use beredskap_core::rotation::{OverrideInput, RotationInput};
use beredskap_core::Actor;
use beredskap_core::EmailAddress;
use beredskap_core::Region;
use beredskap_core::Slug;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;

/// Runs the use case as `caller` against a fresh alert where it needs one. The match has
/// no wildcard: a new use case does not compile until it is added here.
async fn run(world: &World, use_case: UseCase, caller: &Caller) -> Result<(), Error> {
    let org = &world.org;
    let app = &world.app;
    match use_case {
        UseCase::SendAlert => alerts::send(app, caller, org, world.alert_to_everyone())
            .await
            .map(drop),
        UseCase::StartContactCheck => {
            let input = ContactCheckInput {
                recipients: Recipients {
                    people: world.accounts.iter().map(|a| a.person_id).collect(),
                    ..Default::default()
                },
                deadline: app.clock.now() + chrono::Duration::days(7),
                message: String::new(),
            };
            alerts::start_contact_check(app, caller, org, input)
                .await
                .map(drop)
        }
        UseCase::CloseAlert => {
            let alert = world.sent_alert().await;
            alerts::close(app, caller, org, alert.id, AlertStatus::Resolved)
                .await
                .map(drop)
        }
        UseCase::FollowAlerts => {
            let alert = world.sent_alert().await;
            alerts::list(app, caller, org.id, 10).await?;
            alerts::roster(app, caller, org.id, alert.id)
                .await
                .map(drop)
        }
        UseCase::AnswerAlert => {
            let alert = world.sent_alert().await;
            // An account answers for its own person; Beredskap for the one a link names.
            let person = match caller.account() {
                Some(account) => account.person_id,
                None => world.accounts[0].person_id,
            };
            alerts::open_for_me(app, caller, org.id).await?;
            alerts::seen(app, caller, org, alert.id, person).await?;
            alerts::answer(app, caller, org, alert.id, person, None, "web")
                .await
                .map(drop)
        }
        UseCase::CreateChannel | UseCase::CreateOrgChannel => {
            let kind = match use_case {
                UseCase::CreateOrgChannel => ChannelKind::Org,
                _ => ChannelKind::Direct,
            };
            let new = NewChannel {
                kind,
                name: "Reservlokal".into(),
                classification: org.classifications[0].clone(),
                group_id: None,
                members: Vec::new(),
            };
            conversation::create_channel(app, caller, org, new)
                .await
                .map(drop)
        }
        UseCase::InviteToChannel => {
            // A channel of the caller's own, to invite the guest to.
            let own = match caller.account() {
                Some(a) => a.id,
                None => world.accounts[3].id,
            };
            let channel = app
                .store
                .create_channel(
                    &Actor::cli("test"),
                    org.id,
                    own,
                    NewChannel {
                        kind: ChannelKind::Incident,
                        name: "Egen".into(),
                        classification: org.classifications[0].clone(),
                        group_id: None,
                        members: Vec::new(),
                    },
                )
                .await?;
            let guest = world.accounts[0].id;
            conversation::add_members(app, caller, org, channel.id, vec![guest]).await
        }
        UseCase::Post | UseCase::Announce => {
            let mut attachments = Vec::new();
            if use_case == UseCase::Post {
                let files = MemoryFiles::default();
                let list = b"namn;telefon\nAnna;070\n".to_vec();
                let file =
                    attachments::upload(app, &files, caller, org, "lista.csv", list, 1).await?;
                attachments.push(file.id);
            }
            let input = PostInput {
                send_out: false,
                body: "Vi samlas i matsalen.".into(),
                thread_root: None,
                announcement: use_case == UseCase::Announce,
                idempotency_key: None,
                attachments,
            };
            conversation::post(app, caller, org, world.channel, input)
                .await
                .map(drop)
        }
        UseCase::AddPushDevice => {
            let subscription = r#"{"endpoint":"https://push.example.org/send/abc","keys":{"p256dh":"BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM","auth":"tBHItJI5svbpez7KI4CCXg"}}"#;
            register::add_push_device(app, caller, org, subscription).await?;
            let me = caller.account().unwrap();
            let person = app
                .store
                .person(org.id, me.person_id)
                .await
                .unwrap()
                .unwrap();
            let first = &person.contact_points[0];
            assert_eq!(
                (first.kind, first.verified),
                (beredskap_core::register::ContactKind::Push, true)
            );
            // The same browser again: still one subscription.
            register::add_push_device(app, caller, org, subscription).await?;
            let person = app
                .store
                .person(org.id, me.person_id)
                .await
                .unwrap()
                .unwrap();
            let pushes = person
                .contact_points
                .iter()
                .filter(|p| p.kind == first.kind)
                .count();
            assert_eq!(pushes, 1);
            Ok(())
        }
        UseCase::OwnPasskeys => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let credential = format!("cred-{}", N.fetch_add(1, Ordering::SeqCst));
            let added =
                beredskap_app::sign_in::add_passkey(app, caller, org, &credential, "{}", "Telefon")
                    .await?;
            let change = beredskap_core::auth::PasskeyChange::Rename("Jobbtelefon".into());
            beredskap_app::sign_in::change_passkey(app, caller, org, added.id, change).await?;
            let mine = beredskap_app::sign_in::passkeys(app, caller, org).await?;
            assert_eq!(
                mine.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
                ["Jobbtelefon"]
            );
            // Someone else's passkey is not found, and stays.
            let other = world.caller(if caller.account().unwrap().role == Role::Admin {
                Role::Guest
            } else {
                Role::Admin
            });
            let remove = beredskap_core::auth::PasskeyChange::Remove;
            let refused =
                beredskap_app::sign_in::change_passkey(app, &other, org, added.id, remove).await;
            assert!(
                matches!(
                    refused,
                    Err(Error::Store(beredskap_core::StoreError::NotFound))
                ),
                "{refused:?}"
            );
            beredskap_app::sign_in::change_passkey(
                app,
                caller,
                org,
                added.id,
                beredskap_core::auth::PasskeyChange::Remove,
            )
            .await
        }
        UseCase::ReadConversation => {
            // A file posted by the administrator in the channel everyone is in.
            let files = MemoryFiles::default();
            let admin = world.caller(Role::Admin);
            let list = b"namn;telefon\nAnna;070\n".to_vec();
            let file = attachments::upload(app, &files, &admin, org, "lista.csv", list, 1).await?;
            let input = PostInput {
                send_out: false,
                body: "Telefonlistan.".into(),
                thread_root: None,
                announcement: false,
                idempotency_key: None,
                attachments: vec![file.id],
            };
            conversation::post(app, &admin, org, world.channel, input).await?;
            let (got, bytes) = attachments::download(app, &files, caller, org, file.id).await?;
            assert_eq!((got.filename.as_str(), bytes.len()), ("lista.csv", 22));
            let index = ChannelsAsked::default();
            conversation::search(app, &index, caller, org, "telefon").await?;
            assert_eq!(*index.0.lock().unwrap(), vec![world.channel]);
            Ok(())
        }
        UseCase::ChangeMessage => {
            let mine = match caller.account() {
                Some(a) => a.role,
                None => Role::Admin,
            };
            let message = world.message_by(mine, false).await;
            let react = MessageChange::React("👍".into());
            conversation::change(app, caller, org, message, react)
                .await
                .map(drop)
        }
        UseCase::DeleteOthersMessages => {
            // Someone else's: the guest's for everyone but the guest, whose is the member's.
            let mine = caller.account().map(|a| a.role);
            let author = match mine {
                Some(Role::Guest) => Role::Member,
                _ => Role::Guest,
            };
            let message = world.message_by(author, false).await;
            conversation::change(app, caller, org, message, MessageChange::Delete)
                .await
                .map(drop)
        }
        UseCase::ReadRecords => {
            // A message its author (the administrator) deleted: its versions are records.
            let message = world.message_by(Role::Admin, false).await;
            let admin = world.caller(Role::Admin);
            conversation::change(app, &admin, org, message, MessageChange::Delete).await?;
            let versions = conversation::versions(app, caller, org, message).await?;
            assert_eq!(versions.len(), 1);
            Ok(())
        }
        UseCase::Redact => {
            let message = world.message_by(Role::Member, false).await;
            conversation::redact(app, caller, org, message, "Personuppgifter av misstag")
                .await
                .map(drop)
        }
        UseCase::SeeWhoRead => {
            let message = world.message_by(Role::Admin, true).await;
            conversation::roster(app, caller, org, message)
                .await
                .map(drop)
        }
        UseCase::ReadRegister => {
            let people = register::people(app, caller, org).await?;
            register::person(app, caller, org, people[0].id).await?;
            register::groups(app, caller, org).await?;
            register::positions(app, caller, org).await.map(drop)
        }
        UseCase::SeePrivateContacts => {
            permit(caller, UseCase::SeePrivateContacts)?;
            // Everyone in the world has a private address: shown to this caller.
            let shown = beredskap_app::directory::directory(app, caller, org, None).await?;
            let private = beredskap_core::register::ContactLabel::Private;
            assert!(shown
                .people
                .iter()
                .all(|p| p.contact_points.iter().any(|c| c.label == private)));
            assert!(!shown.private_hidden);
            Ok(())
        }
        UseCase::ChangeRegister => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::SeqCst);
            let slug = |kind: &str| Slug::parse(&format!("{kind}-{n}")).unwrap();
            let group = register::create_group(
                app,
                caller,
                org,
                NewGroup {
                    slug: slug("grupp"),
                    name: format!("Grupp {n}"),
                },
            )
            .await?;
            let person = world.accounts[1].person_id;
            register::set_group_members(app, caller, org, group.id, vec![person]).await?;
            let position = register::create_position(
                app,
                caller,
                org,
                NewPosition {
                    slug: slug("tib"),
                    name: format!("Tjänsteperson {n}"),
                },
            )
            .await?;
            register::set_position_holders(app, caller, org, position.id, vec![person]).await?;
            let input = |name: &str| PersonInput {
                external_id: None,
                name: name.into(),
                title: None,
                active: true,
                contact_points: Vec::new(),
            };
            let created = register::create_person(app, caller, org, input("Ny Person")).await?;
            register::replace_person(app, caller, org, created.id, input("Ny Persson"))
                .await
                .map(drop)
        }
        UseCase::ArrangeOnCall => {
            let position = world.position().await;
            let people: Vec<_> = world.accounts.iter().map(|a| a.person_id).collect();
            let now = app.clock.now();
            let rotation = RotationInput {
                starts_at: now,
                period_days: 7,
                members: people.clone(),
            };
            rotations::set_rotation(app, caller, org, &position, rotation).await?;
            let o = OverrideInput {
                person: people[0],
                from: now + chrono::Duration::days(1),
                until: now + chrono::Duration::days(2),
                reason: String::new(),
            };
            rotations::add_override(app, caller, org, &position, o).await?;
            rotations::schedule(app, caller, org, &position)
                .await
                .map(drop)
        }
        UseCase::ManageAccounts => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::SeqCst);
            let user = accounts::NewUser {
                name: format!("Ny {n}"),
                login: EmailAddress::parse(&format!("ny{n}@lillby.se")).unwrap(),
                role: Role::Member,
                mobile: Some(
                    beredskap_core::PhoneNumber::parse("070-174 06 05", Region::Se).unwrap(),
                ),
                private_email: None,
            };
            let created = accounts::create_user(app, caller, org, user, "https://b", 72).await?;
            assert!(created.enrolment_link.starts_with("https://b/enrol/"));
            let courier = crate::sign_in::KeptLetters::default();
            let link = &created.enrolment_link;
            let sent = accounts::send_enrolment_link(
                app,
                caller,
                &courier,
                org,
                &created.account,
                link,
                72,
            )
            .await?;
            assert_eq!(sent.to, "+4670*****05");
            assert!(courier.0.lock().unwrap()[0].2.contains(link.as_str()));
            accounts::issue_enrolment(app, caller, org, &created.account, "https://b", 72).await?;
            assert!(accounts::list(app, caller, org).await?.len() > 4);
            let (issued, token) = accounts::issue_api_token(
                app,
                caller,
                org,
                &created.account,
                "test",
                &[beredskap_core::register::Scope::Read],
            )
            .await?;
            assert!(token.starts_with(accounts::TOKEN_PREFIX));
            assert!(accounts::tokens(app, caller, org)
                .await?
                .iter()
                .any(|t| t.id == issued.id));
            accounts::sessions(app, caller, org, created.account.id).await?;
            accounts::revoke_token(app, caller, org, issued.id, None).await
        }
        UseCase::CreateOrg => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let slug = format!("ny{}", N.fetch_add(1, Ordering::SeqCst));
            let new = beredskap_core::register::NewOrg::parse(&slug, "Nyby", Region::Se).unwrap();
            let org = settings::create_org(app, caller, new).await?;
            assert!(settings::orgs(app, caller)
                .await?
                .iter()
                .any(|o| o.id == org.id));
            Ok(())
        }
        UseCase::ReadOverview => {
            services::overview(app, caller, org).await?;
            services::services(app, caller, org).await.map(drop)
        }
        UseCase::SetServiceState => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let draft = ServiceInput {
                name: format!("Tjänst {}", N.fetch_add(1, Ordering::SeqCst)),
                ..Default::default()
            }
            .validate()
            .unwrap();
            let service = app
                .store
                .create_service(&Actor::system(), org.id, draft, None, app.clock.now())
                .await
                .unwrap();
            let input = StatusInput {
                state: ServiceState::Down,
                impact: Some("Ingen e-post".into()),
                workaround: None,
            };
            let set = services::set_status(app, caller, org, service.id, &input).await?;
            assert_eq!(set.state, ServiceState::Down);
            Ok(())
        }
        UseCase::KeepServices => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let input = ServiceInput {
                name: format!("Växel {}", N.fetch_add(1, Ordering::SeqCst)),
                ..Default::default()
            };
            let service = services::add_service(app, caller, org, &input).await?;
            services::change_service(app, caller, org, service.id, &input).await?;
            services::retire_service(app, caller, org, service.id).await
        }
        UseCase::ReadPlans => plans::plans(app, caller, org).await.map(drop),
        UseCase::KeepPlans => {
            static N: AtomicUsize = AtomicUsize::new(0);
            let slug = Slug::parse(&format!("plan-{}", N.fetch_add(1, Ordering::SeqCst))).unwrap();
            let yaml = "title: E-posten fungerar inte\n";
            let imported = plans::import_yaml(app, caller, org, &slug, yaml)
                .await
                .map_err(|e| match e {
                    plans::PlanRefused::Use(e) => e,
                    plans::PlanRefused::File(problems) => panic!("{problems:?}"),
                })?;
            let mut changed = imported.document.clone();
            changed.summary = "Ny version".into();
            let saved = plans::save(app, caller, org, &slug, &changed, Some(1)).await?;
            assert_eq!(saved.version, 2);
            Ok(())
        }
        UseCase::ApprovePlans => {
            let plan = world.saved_plan("Telefonin fungerar inte").await;
            let approved = plans::approve(app, caller, org, plan.id, plan.version).await?;
            assert!(approved.is_approved());
            Ok(())
        }
        UseCase::ActivatePlans => {
            let plan = world.saved_plan("Totalt IT-avbrott").await;
            let activation = incidents::Activation {
                plan: plan.id,
                severity: beredskap_core::alerting::Severity::Warning,
                exercise: true,
                via: beredskap_core::continuity::incidents::Via::Web,
                on_behalf_of: Some(world.accounts[0].id),
            };
            let incident = incidents::activate(app, caller, org, activation).await?;
            assert!(incident.exercise && incident.is_open());
            Ok(())
        }
        UseCase::ReadIncidents => incidents::incidents(app, caller, org, true).await.map(drop),
        UseCase::WorkIncidents => {
            let (incident, task) = world.open_incident().await;
            let done = incidents::set_task(app, caller, org, incident, task, true).await?;
            assert!(done.done_at.is_some());
            Ok(())
        }
        UseCase::TakeOfflineKit => {
            let kit = beredskap_app::offline_kit::contents(app, caller, org).await?;
            assert!(!kit.directory.private_hidden);
            Ok(())
        }
        UseCase::ReadPriorityList => {
            world.priority_list().await;
            let list = priority_list::open(app, caller, org, Some("storgatan")).await?;
            assert_eq!(list.len(), 1, "{list:?}");
            let (incident, _) = world.open_incident().await;
            let started = priority_list::start_calls(app, caller, org, incident).await?;
            assert_eq!((started.total, started.open), (2, 2));
            let calls = priority_list::calls(app, caller, org, incident).await?;
            let input = CallReportInput {
                outcome: Some(CallOutcome::Escalated),
                note: String::new(),
            };
            let done =
                priority_list::report_call(app, caller, org, incident, calls[1].id, input).await?;
            assert_eq!(done.attempts, 1);
            Ok(())
        }
        UseCase::KeepPriorityList => {
            let position = world.priority_list().await;
            let access = AccessInput {
                positions: vec![position.id],
                calls_days: 14,
            };
            let info = priority_list::set_access(app, caller, org, access).await?;
            assert_eq!(info.calls_days, 14);
            let csv = b"name,address,need\nKarin \xc3\x96berg,Storgatan 4,Trygghetslarm\n";
            let info = priority_list::import(app, caller, org, csv)
                .await
                .map_err(|e| match e {
                    priority_list::ImportRefused::Use(e) => e,
                    priority_list::ImportRefused::File(p) => panic!("{p:?}"),
                })?;
            assert_eq!(info.citizens, 1);
            Ok(())
        }
        UseCase::KeepPublicStatus => {
            let input = beredskap_core::continuity::status::PublicContactsInput {
                phone: "0480-45 00 00".into(),
                address: "Stadshuset, Storgatan 1".into(),
                ..Default::default()
            };
            let saved = beredskap_app::status::set_contacts(app, caller, org, &input).await?;
            assert_eq!(saved.phone.as_deref(), Some("+46480450000"));
            let read = beredskap_app::status::contacts(app, caller, org).await?;
            assert_eq!(read, saved);
            Ok(())
        }
        UseCase::ReadAfterAction => {
            let (incident, _) = world.open_incident().await;
            let report =
                beredskap_app::after_action::after_action(app, caller, org, incident).await?;
            assert_eq!(report.tasks_total, 1);
            Ok(())
        }
        UseCase::LeadIncidents => {
            let (incident, _) = world.open_incident().await;
            let to = world.accounts[1].person_id;
            incidents::hand_over(
                app,
                caller,
                org,
                incident,
                beredskap_core::continuity::incidents::Role::Scribe,
                to,
            )
            .await?;
            incidents::close(app, caller, org, incident).await.map(drop)
        }
        UseCase::ReadJournal => {
            let page = accounts::journal(app, caller, org, 0, 1000).await?;
            assert!(page.iter().any(|e| e.kind == "org.created"), "{page:?}");
            let too_many = accounts::journal(app, caller, org, 0, 1001).await;
            assert!(matches!(too_many, Err(Error::Invalid(_))));
            Ok(())
        }
        UseCase::ChangeOrgSettings => {
            let mut settings = org.settings();
            settings.language = Some("nb".into());
            settings::update(app, caller, org, settings).await?;
            settings::set_classifications(app, caller, org, org.classifications.clone()).await?;
            settings::set_sms_number(app, caller, org, None)
                .await
                .map(drop)
        }
    }
}

#[tokio::test]
async fn every_use_case_refuses_roles_below_the_table_and_writes_nothing() {
    let world = World::new().await;
    for &use_case in UseCase::ALL {
        for role in ROLES {
            let caller = world.caller(role);
            let before = world.head().await;
            let result = run(&world, use_case, &caller).await;
            if use_case.rule().accounts && role >= use_case.least() {
                assert!(result.is_ok(), "{use_case:?} as {role:?}: {result:?}");
            } else {
                // A fresh alert may have been sent for the case; nothing after it.
                let setup = world.head().await;
                assert!(
                    matches!(result, Err(Error::Refused { use_case: u, .. }) if u == use_case),
                    "{use_case:?} as {role:?}: {result:?}"
                );
                // What the case set up first (an alert, a channel, a message), not more.
                let sent_for_setup = match use_case {
                    UseCase::SendAlert
                    | UseCase::StartContactCheck
                    | UseCase::CreateChannel
                    | UseCase::CreateOrgChannel
                    | UseCase::Post
                    | UseCase::Announce
                    | UseCase::ReadConversation
                    | UseCase::ReadRegister
                    | UseCase::SeePrivateContacts
                    | UseCase::ChangeRegister
                    | UseCase::ManageAccounts
                    | UseCase::ChangeOrgSettings
                    | UseCase::ReadJournal
                    | UseCase::ReadOverview
                    | UseCase::KeepServices
                    | UseCase::ReadPlans
                    | UseCase::KeepPlans
                    | UseCase::ReadIncidents
                    | UseCase::TakeOfflineKit
                    | UseCase::KeepPublicStatus
                    | UseCase::CreateOrg => 0,
                    // A message and its redaction; an incident's channel and the incident.
                    UseCase::ReadRecords
                    | UseCase::WorkIncidents
                    | UseCase::LeadIncidents
                    | UseCase::ReadAfterAction => 2,
                    // A position, its holders, who opens the list, the list.
                    UseCase::KeepPriorityList => 4,
                    // That, and an incident's channel and the incident.
                    UseCase::ReadPriorityList => 6,
                    _ => 1,
                };
                assert!(
                    setup - before <= sent_for_setup,
                    "{use_case:?} as {role:?} wrote"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_table_says_who_may_do_what() {
    // Written out, so a change to who may do what is a visible change here.
    let table: Vec<(&str, Role, bool)> = UseCase::ALL
        .iter()
        .map(|u| (u.as_str(), u.least(), u.rule().system))
        .collect();
    assert_eq!(
        table,
        [
            ("send_alert", Role::CrisisLead, false),
            ("start_contact_check", Role::CrisisLead, false),
            ("close_alert", Role::CrisisLead, false),
            ("follow_alerts", Role::CrisisLead, false),
            ("answer_alert", Role::Guest, true),
            ("add_push_device", Role::Guest, false),
            ("own_passkeys", Role::Guest, false),
            ("read_conversation", Role::Guest, false),
            ("create_channel", Role::Member, false),
            ("create_org_channel", Role::CrisisLead, false),
            ("invite_to_channel", Role::Member, false),
            ("post", Role::Guest, false),
            ("announce", Role::CrisisLead, false),
            ("change_message", Role::Guest, false),
            ("delete_others_messages", Role::CrisisLead, false),
            ("read_records", Role::Admin, false),
            ("redact", Role::Admin, false),
            ("see_who_read", Role::CrisisLead, false),
            ("read_register", Role::Member, false),
            ("see_private_contacts", Role::CrisisLead, false),
            ("change_register", Role::Admin, false),
            ("arrange_on_call", Role::CrisisLead, false),
            ("manage_accounts", Role::Admin, false),
            ("change_org_settings", Role::Admin, false),
            ("read_journal", Role::Admin, false),
            ("create_org", Role::Admin, false),
            ("read_overview", Role::Member, false),
            ("set_service_state", Role::CrisisLead, false),
            ("keep_services", Role::CrisisLead, false),
            ("read_plans", Role::Member, false),
            ("keep_plans", Role::CrisisLead, false),
            ("approve_plans", Role::CrisisLead, false),
            ("activate_plans", Role::CrisisLead, false),
            ("read_incidents", Role::Guest, false),
            ("work_incidents", Role::Member, false),
            ("lead_incidents", Role::CrisisLead, false),
            ("read_after_action", Role::CrisisLead, false),
            ("take_offline_kit", Role::CrisisLead, false),
            ("read_priority_list", Role::Member, false),
            ("keep_priority_list", Role::Admin, false),
            ("keep_public_status", Role::CrisisLead, false),
        ]
    );
    // Only the server's operator makes organisations; every other case is for accounts.
    let operator_only: Vec<&str> = UseCase::ALL
        .iter()
        .filter(|u| !u.rule().accounts)
        .map(|u| u.as_str())
        .collect();
    assert_eq!(operator_only, ["create_org"]);
}

#[tokio::test]
async fn beredskap_itself_only_answers_and_an_operator_everything_but_conversation() {
    let world = World::new().await;
    for &use_case in UseCase::ALL {
        let result = run(&world, use_case, &Caller::System).await;
        match use_case.rule().system {
            true => assert!(result.is_ok(), "{use_case:?}: {result:?}"),
            false => assert!(
                matches!(result, Err(Error::Refused { .. })),
                "{use_case:?}: {result:?}"
            ),
        }
        let operator = Caller::Operator(Actor::cli("drift"));
        let result = run(&world, use_case, &operator).await;
        match use_case.rule().operator {
            true => assert!(result.is_ok(), "{use_case:?} by an operator: {result:?}"),
            false => assert!(
                matches!(result, Err(Error::Refused { .. })),
                "{use_case:?} by an operator: {result:?}"
            ),
        }
    }
}

#[tokio::test]
async fn a_person_answers_only_for_themselves() {
    let world = World::new().await;
    let alert = world.sent_alert().await;
    let admin = world.caller(Role::Admin);
    let someone_else = world.accounts[0].person_id;
    let before = world.head().await;
    let result = alerts::answer(
        &world.app,
        &admin,
        &world.org,
        alert.id,
        someone_else,
        Some("Ja".into()),
        "web",
    )
    .await;
    assert!(
        matches!(
            result,
            Err(Error::Refused {
                use_case: UseCase::AnswerAlert,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(world.head().await, before, "nothing answered");
}

/// An SMS reply or a contact check's link answers for whoever the number or the delivery
/// names: only Beredskap itself may, on the signal the webhook or link carried.
#[tokio::test]
async fn answering_by_phone_number_is_not_for_accounts() {
    let world = World::new().await;
    world.sent_alert().await;
    let guest_phone = "+46701000000";
    let admin = world.caller(Role::Admin);
    let before = world.head().await;
    let refused = alerts::answer_by_reply(&world.app, &admin, guest_phone, None, "Ja").await;
    assert!(matches!(refused, Err(Error::Refused { .. })), "{refused:?}");
    assert_eq!(world.head().await, before, "nothing answered");
    // Beredskap itself is let through (nothing was handed to that phone yet, so the reply
    // matches no alert: the store's matching is tested in the conformance suite).
    let system =
        alerts::answer_by_reply(&world.app, &Caller::System, guest_phone, None, "Ja").await;
    assert!(
        matches!(
            system,
            Ok(beredskap_core::alerting::ReplyOutcome::Unmatched)
        ),
        "{system:?}"
    );
}

/// A language is a person's own choice, among the catalogue's.
#[tokio::test]
async fn a_person_chooses_a_language_of_the_catalogue_for_themselves() {
    let world = World::new().await;
    let member = world.caller(Role::Member);
    accounts::choose_language(&world.app, &member, "nb")
        .await
        .unwrap();
    let login = world.accounts[1].login.clone();
    let stored = world
        .app
        .store
        .account_by_login(world.org.id, &login)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.language.as_deref(), Some("nb"));
    let unknown = accounts::choose_language(&world.app, &member, "de").await;
    assert!(matches!(unknown, Err(Error::Invalid(_))), "{unknown:?}");
    let operator = Caller::Operator(Actor::cli("drift"));
    assert!(accounts::choose_language(&world.app, &operator, "sv")
        .await
        .is_err());
}

#[tokio::test]
async fn sending_and_closing_wake_the_worker_and_tell_live_pages() {
    let world = World::new().await;
    let alert = world.sent_alert().await;
    assert_eq!(world.wakeups.deliveries.load(Ordering::SeqCst), 1);
    assert_eq!(*world.wakeups.published.lock().unwrap(), [world.org.id]);
    alerts::close(
        &world.app,
        &world.caller(Role::CrisisLead),
        &world.org,
        alert.id,
        AlertStatus::Cancelled,
    )
    .await
    .unwrap();
    assert_eq!(
        world.wakeups.deliveries.load(Ordering::SeqCst),
        2,
        "the closing notices go out at once"
    );
    // A refused send wakes nobody.
    let refused = alerts::send(
        &world.app,
        &world.caller(Role::Member),
        &world.org,
        world.alert_to_everyone(),
    )
    .await;
    assert!(refused.is_err());
    assert_eq!(world.wakeups.deliveries.load(Ordering::SeqCst), 2);
    assert_eq!(world.wakeups.published.lock().unwrap().len(), 2);
}
