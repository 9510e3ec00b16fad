use crate::helpers::TestApp;
use beredskap_app::accounts::{self, NewUser};
use beredskap_core::register::{ContactKind, ContactLabel, ContactPoint, PersonDraft, Role};
use beredskap_core::{Actor, EmailAddress, PhoneNumber, Region};
use beredskap_server::config::{SmtpConfig, SmtpSecurity};
use beredskap_server::notify::{
    FortySixElks, Notifier, NotifyError, OutgoingMessage, Provider, SmtpProvider,
};
use beredskap_testkit::{FakeSmsGateway, ReceivedSms, SmtpSink};
use std::sync::Arc;

fn smtp_config(sink: &SmtpSink) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        password_file: None,
        from: "Beredskap Lillby <beredskap@lillby.example>".into(),
        connections: beredskap_server::config::DEFAULT_SMTP_CONNECTIONS,
    }
}

fn parse(raw: &[u8]) -> (String, String, String) {
    let mail = mailparse::parse_mail(raw).unwrap();
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    (header("To"), header("Subject"), mail.get_body().unwrap())
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server_intact() {
    let Some(sink) = SmtpSink::start("email_reaches_a_real_smtp_server_intact").await else {
        return;
    };
    let smtp = SmtpProvider::new(&smtp_config(&sink)).unwrap();
    smtp.send(&OutgoingMessage {
        to: "anna@example.org".into(),
        subject: "Övning: strömavbrott på Åbyvägen".into(),
        body: "Hej!\nSamling i stabsrummet kl. 14.00. Ta med reservtelefonen (så vi når dig).\n"
            .into(),
        idempotency_key: Some("01a2:01b3:1".into()),
        link: None,
        from: None,
        attachment: None,
        unsubscribe: None,
    })
    .await
    .unwrap();
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let raw = String::from_utf8_lossy(&messages[0]);
    assert!(
        raw.contains("Message-ID: <01a2.01b3.1@lillby.example>"),
        "the idempotency key names the message: {raw}"
    );
    let (to, subject, body) = parse(&messages[0]);
    assert_eq!(to, "anna@example.org");
    assert_eq!(subject, "Övning: strömavbrott på Åbyvägen");
    assert!(body.contains("Samling i stabsrummet kl. 14.00."), "{body}");
    assert!(
        body.contains("(så vi når dig)"),
        "UTF-8 arrives as UTF-8: {body}"
    );
    let err = smtp
        .send(&OutgoingMessage {
            to: "not an address".into(),
            subject: "x".into(),
            body: "x".into(),
            idempotency_key: None,
            link: None,
            from: None,
            attachment: None,
            unsubscribe: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, NotifyError::Rejected(_)), "{err:?}");
}

/// A relay limits connections per client: a burst of emails goes over at most
/// `smtp.connections` at once, and every email still arrives once they free up.
#[tokio::test]
async fn a_burst_of_email_uses_at_most_the_configured_connections() {
    let test = "a_burst_of_email_uses_at_most_the_configured_connections";
    // The relay keeps each message and holds its answer: a connection stays busy.
    let Some(sink) = SmtpSink::start_stalling(test, 0).await else {
        return;
    };
    let smtp = Arc::new(
        SmtpProvider::new(&SmtpConfig {
            connections: 2,
            ..smtp_config(&sink)
        })
        .unwrap(),
    );
    let sends: Vec<_> = (0..6)
        .map(|i| {
            let smtp = smtp.clone();
            tokio::spawn(async move {
                smtp.send(&OutgoingMessage {
                    to: format!("person{i}@example.org"),
                    subject: "Vattenläcka i stadshuset".into(),
                    body: "Samling kl. 14.00.".into(),
                    idempotency_key: Some(format!("burst:{i}")),
                    link: None,
                    from: None,
                    attachment: None,
                    unsubscribe: None,
                })
                .await
            })
        })
        .collect();
    let waited = std::time::Instant::now();
    while sink.count() < 2 && waited.elapsed() < std::time::Duration::from_secs(10) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Time for the other four to reach the relay, had they connections of their own.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.count(), 2, "two connections, two messages in transit");
    sink.release();
    for send in sends {
        send.await.unwrap().unwrap();
    }
    assert_eq!(
        sink.count(),
        6,
        "every email arrives once connections free up"
    );
}

#[tokio::test]
async fn sms_speaks_the_46elks_api_and_reports_429_as_temporary() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = FortySixElks::new(&gateway.config()).unwrap();
    let message = OutgoingMessage {
        to: "+46701740605".into(),
        subject: String::new(),
        body: "Larm: ring in".into(),
        idempotency_key: None,
        link: None,
        from: None,
        attachment: None,
        unsubscribe: None,
    };
    let id = sms.send(&message).await.unwrap();
    assert!(id.starts_with('s'), "{id}");
    assert_eq!(
        gateway.received(),
        [ReceivedSms {
            id: id.clone(),
            from: "Beredskap".into(),
            to: "+46701740605".into(),
            message: "Larm: ring in".into()
        }]
    );
    gateway.fail_next(429, Some(7));
    match sms.send(&message).await.unwrap_err() {
        NotifyError::Temporary { retry_after, .. } => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(7)))
        }
        other => panic!("expected a temporary failure, got {other:?}"),
    }
    gateway.fail_next(503, None);
    assert!(matches!(
        sms.send(&message).await,
        Err(NotifyError::Temporary { .. })
    ));
    gateway.fail_next(400, None);
    assert!(matches!(
        sms.send(&message).await,
        Err(NotifyError::Rejected(_))
    ));
    let mut wrong = gateway.config();
    wrong.password = Some("wrong".to_string().into());
    let unauthorised = FortySixElks::new(&wrong)
        .unwrap()
        .send(&message)
        .await
        .unwrap_err();
    assert!(
        matches!(unauthorised, NotifyError::Rejected(ref r) if r.contains("401")),
        "{unauthorised:?}"
    );
    assert_eq!(
        gateway.received().len(),
        1,
        "nothing but the first was accepted"
    );
}

async fn user(
    app: &TestApp,
    mobile: Option<&str>,
    private_email: Option<&str>,
) -> accounts::CreatedUser {
    beredskap_app::accounts::create_user(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::system()),
        &app.org,
        NewUser {
            name: "Anna Berg".into(),
            login: EmailAddress::parse(&format!("anna{}@lillby.se", uuid::Uuid::new_v4().simple()))
                .unwrap(),
            role: Role::Member,
            mobile: mobile.map(|m| PhoneNumber::parse(m, Region::Se).unwrap()),
            private_email: private_email.map(|e| EmailAddress::parse(e).unwrap()),
        },
        "http://test",
        72,
    )
    .await
    .unwrap()
}

async fn send(
    app: &TestApp,
    notifier: Notifier,
    created: accounts::CreatedUser,
) -> Result<(accounts::Delivery, String), beredskap_app::Error> {
    accounts::send_enrolment_link(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::system()),
        &notifier,
        &app.org,
        &created.account,
        &created.enrolment_link,
        72,
    )
    .await
    .map(|d| (d, created.enrolment_link))
}

#[tokio::test]
async fn enrolment_links_go_to_a_verified_mobile_or_private_address_never_the_work_email() {
    let app = TestApp::spawn().await;
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms: Arc<dyn Provider> = Arc::new(FortySixElks::new(&gateway.config()).unwrap());
    let s = app.store.as_ref();

    // Only the work email (the login): refused, nothing sent.
    let err = send(
        &app,
        Notifier {
            email: None,
            sms: Some(sms.clone()),
            push: None,
        },
        user(&app, None, None).await,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("no verified mobile number or private email"),
        "{err}"
    );

    // A mobile number: the link goes by SMS, in the organisation's language.
    let (delivery, link) = send(
        &app,
        Notifier {
            email: None,
            sms: Some(sms.clone()),
            push: None,
        },
        user(&app, Some("070-174 06 05"), None).await,
    )
    .await
    .unwrap();
    assert_eq!(
        (delivery.channel, delivery.to.as_str()),
        (ContactKind::Sms, "+4670*****05")
    );
    let received = gateway.received();
    assert_eq!(received[0].to, "+46701740605");
    assert!(
        received[0].message.contains(&link) && received[0].message.contains("aktivera"),
        "{}",
        received[0].message
    );

    // An unverified number is passed over.
    let created = user(&app, None, None).await;
    let person = s
        .person(app.org.id, created.account.person_id)
        .await
        .unwrap()
        .unwrap();
    let mut draft = PersonDraft {
        external_id: None,
        name: person.name.clone(),
        title: None,
        active: true,
        contact_points: person.contact_points.clone(),
    };
    draft.contact_points.insert(
        0,
        ContactPoint {
            kind: ContactKind::Sms,
            label: ContactLabel::Private,
            value: "+46701740606".into(),
            verified: false,
        },
    );
    s.replace_person(&Actor::system(), app.org.id, person.id, draft)
        .await
        .unwrap();
    assert!(send(
        &app,
        Notifier {
            email: None,
            sms: Some(sms.clone()),
            push: None,
        },
        created
    )
    .await
    .is_err());
    assert_eq!(gateway.received().len(), 1);

    let journal = s.journal_page(app.org.id, 0, 1000).await.unwrap();
    let sent = journal.iter().find(|e| e.kind == "enrolment.sent").unwrap();
    assert!(
        sent.payload.contains("+4670*****05") && !sent.payload.contains("+46701740605"),
        "{}",
        sent.payload
    );
    assert!(
        !sent.payload.contains("/enrol/"),
        "the link itself is never journaled"
    );
}

#[tokio::test]
async fn enrolment_links_reach_a_private_address_by_real_smtp() {
    let Some(sink) = SmtpSink::start("enrolment_links_reach_a_private_address_by_real_smtp").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let email: Arc<dyn Provider> = Arc::new(SmtpProvider::new(&smtp_config(&sink)).unwrap());
    let created = user(&app, None, Some("anna.privat@example.org")).await;
    let delivery = accounts::send_enrolment_link(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(Actor::system()),
        &Notifier {
            email: Some(email),
            sms: None,
            push: None,
        },
        &app.org,
        &created.account,
        &created.enrolment_link,
        72,
    )
    .await
    .unwrap();
    assert_eq!(delivery.channel, ContactKind::Email);
    let (to, subject, body) = parse(&sink.messages()[0]);
    assert_eq!(
        to, "anna.privat@example.org",
        "the private address, not the work login"
    );
    assert!(subject.contains("Aktivera ditt konto"), "{subject}");
    assert!(body.contains(&created.enrolment_link), "{body}");
}

#[tokio::test]
async fn an_alert_by_email_carries_its_link_and_the_closing_notice_follows() {
    use beredskap_core::alerting::AlertStatus;
    use beredskap_server::alerting::Dispatcher;
    let Some(sink) =
        SmtpSink::start("an_alert_by_email_carries_its_link_and_the_closing_notice_follows").await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let email: Arc<dyn Provider> = Arc::new(SmtpProvider::new(&smtp_config(&sink)).unwrap());
    let notifier = Notifier {
        email: Some(email),
        sms: None,
        push: None,
    };
    let dispatcher = Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    let anna = app
        .person(
            "Anna",
            vec![crate::helpers::point(
                ContactKind::Email,
                "anna@privat.example",
            )],
        )
        .await;
    let now = beredskap_core::journal::now();
    let alert = app
        .store
        .create_alert(
            &Actor::system(),
            app.org.id,
            crate::helpers::alert_to(
                vec![anna],
                "Vattnet är avstängt i Norra skolan. Kan du komma?",
                &["Ja", "Nej"],
                true,
            )
            .validate(None)
            .unwrap(),
            now,
        )
        .await
        .unwrap();
    dispatcher.run_once(now).await.unwrap();
    let mails = sink.messages();
    assert_eq!(mails.len(), 1);
    let raw = String::from_utf8_lossy(&mails[0]).into_owned();
    let (to, subject, body) = parse(&mails[0]);
    assert_eq!(to, "anna@privat.example");
    assert_eq!(subject, "ÖVNING: Beredskap – Lillby kommun");
    assert!(body.starts_with("ÖVNING: Vattnet är avstängt"), "{body}");
    // The same delivery handed over again would carry the same Message-ID.
    assert!(
        raw.contains(&format!("Message-ID: <{}.{}.0@", alert.id, anna)),
        "{raw}"
    );
    // Anna follows the link in the email and answers.
    let link = body[body.find("/a/").unwrap()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let answered = app
        .client
        .post(app.url(&link))
        .form(&[("answer", "Ja")])
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    let row = &app.store.alert_roster(app.org.id, alert.id).await.unwrap()[0];
    assert_eq!(row.answered_via.as_deref(), Some("link"));
    app.store
        .close_alert(
            &Actor::system(),
            app.org.id,
            alert.id,
            AlertStatus::Resolved,
            now,
        )
        .await
        .unwrap();
    dispatcher.run_once(now).await.unwrap();
    let mails = sink.messages();
    assert_eq!(mails.len(), 2, "the closing notice");
    // The mailbox's files are not in arrival order: find the notice by its text.
    let bodies: Vec<String> = mails.iter().map(|m| parse(m).2).collect();
    assert!(
        bodies
            .iter()
            .any(|b| b.starts_with("ÖVNING: AVSLUTAT: Vattnet")),
        "{bodies:?}"
    );
}

#[tokio::test]
async fn a_checkpoint_reaches_administrators_private_mail_with_their_organisation_alone() {
    use beredskap_core::register::NewOrg;
    use beredskap_server::checkpoint::Checkpoint;
    let Some(sink) = SmtpSink::start(
        "a_checkpoint_reaches_administrators_private_mail_with_their_organisation_alone",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let norrby = app
        .store
        .create_org(
            &Actor::system(),
            NewOrg::parse("norrby", "Norrby kommun", Region::Se).unwrap(),
        )
        .await
        .unwrap();
    for (org, login, role, private) in [
        (
            &app.org,
            "it-chef@lillby.se",
            Role::Admin,
            "chef.privat@example.org",
        ),
        (
            &app.org,
            "anna@lillby.se",
            Role::Member,
            "anna.privat@example.org",
        ),
        (
            &norrby,
            "it@norrby.se",
            Role::Admin,
            "norrby.privat@example.org",
        ),
    ] {
        beredskap_app::accounts::create_user(
            &app.use_cases(),
            &beredskap_app::Caller::Operator(Actor::system()),
            org,
            NewUser {
                name: "X".into(),
                login: EmailAddress::parse(login).unwrap(),
                role,
                mobile: None,
                private_email: Some(EmailAddress::parse(private).unwrap()),
            },
            "http://test",
            72,
        )
        .await
        .unwrap();
    }
    let now = beredskap_core::journal::now();
    let taken = app
        .checkpointer
        .run_once(now)
        .await
        .unwrap()
        .expect("heads moved");
    assert_eq!(taken.heads.len(), 2);
    assert!(
        app.checkpointer.run_once(now).await.unwrap().is_none(),
        "nothing changed, nothing signed"
    );
    let email = SmtpProvider::new(&smtp_config(&sink)).unwrap();
    let sent = app
        .checkpointer
        .email_administrators(&taken, &email)
        .await
        .unwrap();
    assert_eq!(sent, 2, "the two administrators, not the member");
    let mails: Vec<_> = sink.messages().iter().map(|m| parse(m)).collect();
    let (_, subject, body) = mails
        .iter()
        .find(|(to, _, _)| to == "chef.privat@example.org")
        .expect("the administrator's private address");
    assert!(
        subject.contains("kontrollpunkt") && subject.contains("Lillby kommun"),
        "{subject}"
    );
    assert!(!body.to_lowercase().contains("norrby"), "{body}");
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    let own: Checkpoint = serde_json::from_str(json).unwrap();
    own.verify_signature(Some(app.checkpointer.public_hex()))
        .unwrap();
    assert_eq!(own.heads, [taken.head(app.org.id).unwrap().clone()]);
}

#[tokio::test]
async fn the_offline_kit_is_mailed_to_crisis_leads_private_addresses_as_an_attachment() {
    let Some(sink) = SmtpSink::start(
        "the_offline_kit_is_mailed_to_crisis_leads_private_addresses_as_an_attachment",
    )
    .await
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let actor = Actor::cli("test");
    let person = |name: &str, email: &str, label| PersonDraft {
        external_id: None,
        name: name.into(),
        title: None,
        active: true,
        contact_points: vec![ContactPoint {
            kind: ContactKind::Email,
            label,
            value: email.into(),
            verified: true,
        }],
    };
    for (name, email, label, role) in [
        (
            "Erik Lind",
            "erik@privat.example",
            ContactLabel::Private,
            Role::CrisisLead,
        ),
        // A member gets no kit; a lead with only a work address gets none either.
        (
            "Mia Medlem",
            "mia@privat.example",
            ContactLabel::Private,
            Role::Member,
        ),
        (
            "Åsa Arbete",
            "asa@lillby.example",
            ContactLabel::Work,
            Role::CrisisLead,
        ),
    ] {
        let p = app
            .store
            .create_person(&actor, app.org.id, person(name, email, label))
            .await
            .unwrap();
        let login = format!("{}@lillby.se", email.split('@').next().unwrap());
        app.store
            .create_account(
                &actor,
                app.org.id,
                p.id,
                EmailAddress::parse(&login).unwrap(),
                role,
            )
            .await
            .unwrap();
    }
    let smtp = SmtpProvider::new(&smtp_config(&sink)).unwrap();
    let sent =
        beredskap_server::web::offline_kit::mail_kits(&app.use_cases(), &smtp, app.data_dir())
            .await
            .unwrap();
    assert_eq!(sent, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let mail = mailparse::parse_mail(&messages[0]).unwrap();
    let to = mail
        .headers
        .iter()
        .find(|h| h.get_key().eq_ignore_ascii_case("To"))
        .unwrap()
        .get_value();
    assert_eq!(to, "erik@privat.example");
    assert_eq!(mail.subparts.len(), 2, "a text and the kit");
    assert!(mail.subparts[0]
        .get_body()
        .unwrap()
        .contains("offline-kitet för Lillby kommun"));
    let kit = &mail.subparts[1];
    assert_eq!(kit.ctype.mimetype, "text/html");
    assert!(kit
        .get_content_disposition()
        .params
        .get("filename")
        .unwrap()
        .starts_with("offline-kit-lillby-"));
    let html = kit.get_body().unwrap();
    assert!(
        html.contains("Offline-kit – Lillby kommun") && html.contains("Erik Lind"),
        "{html}"
    );
}
