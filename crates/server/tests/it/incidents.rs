//! Activating a plan and working the incident: the checklist from the action cards to
//! whoever is on call, the alarm and the channel linked, tasks ticked from two devices,
//! roles handed over, the incident ended.

use crate::helpers::{expect_json, TestApp};
use crate::web::{hidden, location, page, signed_in};
use beredskap_core::register::{NewPosition, Role};
use beredskap_core::{Actor, Slug};

const PLAN: &str = "title: Totalt IT-avbrott
alarm:
  positions: [tib]
  message: IT-avbrott. Krisledningen samlas.
  severity: warning
action_cards:
  - position: tib
    tasks:
      - after_minutes: 0
        task: Ring IT-beredskapen.
      - after_minutes: 30
        task: Kontakta länsstyrelsen.
        at_least: critical
";

/// The plan, with the TiB position held by `holder`'s person; returns the plan's id.
async fn plan_held_by(app: &TestApp, holder: &str) -> String {
    let actor = Actor::cli("test");
    let tib = app
        .store
        .create_position(
            &actor,
            app.org.id,
            NewPosition {
                slug: Slug::parse("tib").unwrap(),
                name: "Tjänsteperson i beredskap".into(),
            },
        )
        .await
        .unwrap();
    let person = app.account(holder).await.person_id;
    app.store
        .set_position_holders(&actor, app.org.id, tib.id, vec![person])
        .await
        .unwrap();
    beredskap_app::plans::import_yaml(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(actor),
        &app.org,
        &Slug::parse("it-avbrott").unwrap(),
        PLAN,
    )
    .await
    .unwrap()
    .id
    .to_string()
}

#[tokio::test]
async fn a_crisis_lead_activates_a_plan_and_the_holder_works_the_checklist() {
    let app = TestApp::spawn().await;
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let plan = plan_held_by(&app, "mikael@lillby.se").await;
    let (_, html) = page(&app, &lead, &format!("/plans/{plan}")).await;
    assert!(html.contains("Aktivera planen"), "{html}");
    let csrf = hidden(&html, "csrf");
    let r = lead
        .post(app.url(&format!("/plans/{plan}/activate")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("severity", "critical"),
            ("exercise", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let incident_path = location(&r);
    assert!(incident_path.starts_with("/incidents/"), "{incident_path}");
    let (status, html) = page(&app, &member, &incident_path).await;
    assert_eq!(status, 200);
    for shown in [
        "ÖVNING",
        "Totalt IT-avbrott",
        "Ring IT-beredskapen.",
        "Kontakta länsstyrelsen.",
        "Tjänsteperson i beredskap: Anna Berg",
        "2 av 2 uppgifter kvar",
        "Händelseledare",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    // A member ticks a task off; the lead, on another device, sees who and when.
    let member_csrf = hidden(&html, "csrf");
    let incident = app
        .store
        .incidents(app.org.id, false)
        .await
        .unwrap()
        .remove(0);
    let tasks = app
        .store
        .incident_tasks(app.org.id, incident.id)
        .await
        .unwrap();
    let r = member
        .post(app.url(&format!("{incident_path}/tasks/{}", tasks[0].id)))
        .form(&[("csrf", member_csrf.as_str()), ("done", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &lead, &incident_path).await;
    assert!(
        html.contains("1 av 2 uppgifter kvar") && html.contains("Klar "),
        "{html}"
    );
    // The alarm went out as a drill to the holder, and the holder is in the channel.
    let alert = app
        .store
        .alert(app.org.id, incident.alert_id.unwrap())
        .await
        .unwrap();
    assert!(alert.exercise);
    assert!(html.contains(&format!("/alerts/{}", alert.id)), "{html}");
    assert_eq!(
        page(&app, &member, &format!("/c/{}", incident.channel_id))
            .await
            .0,
        200
    );
    // Linked both ways: the incident shows how the alarm is answered, the alarm its incident.
    assert!(html.contains("Larmet: 0 av 1 har svarat"), "{html}");
    let (_, alert_page) = page(&app, &lead, &format!("/alerts/{}", alert.id)).await;
    assert!(
        alert_page.contains(&format!("href=\"{incident_path}\">Totalt IT-avbrott")),
        "{alert_page}"
    );
    // A member neither hands over nor ends it.
    let r = member
        .post(app.url(&format!("{incident_path}/close")))
        .form(&[("csrf", member_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The lead hands the scribe's role to the holder, then ends the incident.
    let holder = app.account("mikael@lillby.se").await.person_id.to_string();
    let r = lead
        .post(app.url(&format!("{incident_path}/roles")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("role", "scribe"),
            ("person", holder.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = lead
        .post(app.url(&format!("{incident_path}/close")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &lead, &incident_path).await;
    assert!(html.contains("Avslutad"), "{html}");
    assert!(!html.contains("Avsluta händelsen"), "{html}");
    let r = member
        .post(app.url(&format!("{incident_path}/tasks/{}", tasks[1].id)))
        .form(&[("csrf", member_csrf.as_str()), ("done", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "an ended incident's checklist is locked");
    // Members do not activate; a guest not invited finds no incident.
    let r = member
        .post(app.url(&format!("/plans/{plan}/activate")))
        .form(&[("csrf", member_csrf.as_str()), ("severity", "info")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let guest = signed_in(&app, "gast@partner.example", Role::Guest).await;
    assert_eq!(page(&app, &guest, &incident_path).await.0, 404);
}

#[tokio::test]
async fn the_api_activates_a_plan_and_ticks_its_tasks() {
    let app = TestApp::spawn().await;
    signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let plan = plan_held_by(&app, "mikael@lillby.se").await;
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/plans/{plan}/activate"),
            &app.admin_token,
            serde_json::json!({"severity": "warning"}),
        )
        .await;
    let incident = expect_json(r, 201).await;
    assert_eq!(incident["via"], "api");
    assert_eq!(incident["exercise"], false);
    let id = incident["id"].as_str().unwrap();
    let view = expect_json(
        app.get(
            &format!("/api/v1/orgs/lillby/incidents/{id}"),
            &app.admin_token,
        )
        .await,
        200,
    )
    .await;
    let tasks = view["tasks"].as_array().unwrap();
    assert_eq!(
        tasks.len(),
        1,
        "the critical-only task is left out at warning"
    );
    let task = tasks[0]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/incidents/{id}/tasks/{task}"),
            &app.admin_token,
            serde_json::json!({"done": true}),
        )
        .await;
    assert!(!expect_json(r, 200).await["done_at"].is_null());
    let listed = expect_json(
        app.get("/api/v1/orgs/lillby/incidents", &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/incidents/{id}/close"),
            &app.admin_token,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/incidents/{id}/close"),
            &app.admin_token,
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn a_crisis_lead_activates_a_plan_by_sms_with_a_pin_from_their_own_number() {
    use beredskap_core::register::ContactKind;
    let gateway = beredskap_testkit::FakeSmsGateway::start().await.unwrap();
    let config = gateway.config();
    let app = TestApp::spawn_with(move |c| c.sms = Some(config)).await;
    signed_in(&app, "mikael@lillby.se", Role::Member).await;
    plan_held_by(&app, "mikael@lillby.se").await;
    // Erik is a crisis lead with a confirmed mobile number and a PIN.
    let erik = app
        .person(
            "Erik Johansson",
            vec![crate::helpers::point(ContactKind::Sms, "+46701000009")],
        )
        .await;
    let account = app
        .store
        .create_account(
            &Actor::system(),
            app.org.id,
            erik,
            beredskap_core::EmailAddress::parse("erik@lillby.se").unwrap(),
            Role::CrisisLead,
        )
        .await
        .unwrap();
    let hashing = beredskap_app::credentials::hashing::HashingPool::new(1, 4).unwrap();
    let caller = beredskap_app::Caller::Account(account.clone());
    let short = beredskap_app::incidents::set_activation_pin(
        &app.use_cases(),
        &caller,
        &app.org,
        &hashing,
        Some("12a4"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(short, beredskap_app::Error::Invalid(_)),
        "{short:?}"
    );
    beredskap_app::incidents::set_activation_pin(
        &app.use_cases(),
        &caller,
        &app.org,
        &hashing,
        Some("482913"),
    )
    .await
    .unwrap();
    let sms = |from: &str, text: &str| {
        format!(
            "from={}&to=Beredskap&message={}",
            urlencoding(from),
            urlencoding(text)
        )
    };
    // A wrong PIN activates nothing, says nothing about which part was wrong, and is
    // journaled.
    let r = crate::alerting::webhook(
        &app,
        "/api/v1/hooks/sms/reply",
        &sms("+46701000009", "AKTIVERA it-avbrott 000000"),
        true,
    )
    .await;
    let body = expect_json(r, 200).await;
    assert_eq!(body["activated"], false);
    assert!(app
        .store
        .incidents(app.org.id, true)
        .await
        .unwrap()
        .is_empty());
    let answers = gateway.received();
    assert!(
        answers
            .last()
            .unwrap()
            .message
            .contains("Ingen plan aktiverades"),
        "{answers:?}"
    );
    let journal = app.store.journal_page(app.org.id, 0, 500).await.unwrap();
    let refused = journal
        .iter()
        .find(|e| e.kind == "incident.sms_activation_refused")
        .unwrap();
    assert!(
        !refused.payload.contains("+46701000009"),
        "the number is masked"
    );
    // The right PIN from another number activates nothing either.
    let r = crate::alerting::webhook(
        &app,
        "/api/v1/hooks/sms/reply",
        &sms("+46701000001", "AKTIVERA it-avbrott 482913"),
        true,
    )
    .await;
    assert_eq!(expect_json(r, 200).await["activated"], false);
    // The right PIN from Erik's number activates the plan as a drill and answers with the link.
    let r = crate::alerting::webhook(
        &app,
        "/api/v1/hooks/sms/reply",
        &sms("+46701000009", "aktivera övning it-avbrott 482913"),
        true,
    )
    .await;
    assert_eq!(expect_json(r, 200).await["activated"], true);
    let incidents = app.store.incidents(app.org.id, false).await.unwrap();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(
        incident.via,
        beredskap_core::continuity::incidents::Via::Sms
    );
    assert!(incident.exercise);
    assert_eq!(incident.opened_by, Some(erik));
    let answer = gateway.received().last().unwrap().clone();
    assert_eq!(answer.to, "+46701000009");
    assert!(
        answer
            .message
            .contains(&format!("/incidents/{}", incident.id)),
        "{}",
        answer.message
    );
    assert!(
        answer.message.contains("ÖVNING: Totalt IT-avbrott"),
        "{}",
        answer.message
    );
    // Unsigned, the webhook refuses.
    let r = crate::alerting::webhook(
        &app,
        "/api/v1/hooks/sms/reply",
        &sms("+46701000009", "AKTIVERA it-avbrott 482913"),
        false,
    )
    .await;
    assert_eq!(r.status(), 401);
    // Guessing locks the number: five wrong codes, then even the right one is refused.
    for _ in 0..5 {
        crate::alerting::webhook(
            &app,
            "/api/v1/hooks/sms/reply",
            &sms("+46701000009", "AKTIVERA it-avbrott 111111"),
            true,
        )
        .await;
    }
    let r = crate::alerting::webhook(
        &app,
        "/api/v1/hooks/sms/reply",
        &sms("+46701000009", "AKTIVERA it-avbrott 482913"),
        true,
    )
    .await;
    assert_eq!(expect_json(r, 200).await["activated"], false);
    assert!(gateway
        .received()
        .last()
        .unwrap()
        .message
        .contains("för många felaktiga försök"));
    assert_eq!(
        app.store.incidents(app.org.id, false).await.unwrap().len(),
        1
    );
}

fn urlencoding(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Activates the plan through the page as `lead`; returns the incident's path.
async fn activated(app: &TestApp, lead: &reqwest::Client, plan: &str) -> String {
    let (_, html) = page(app, lead, &format!("/plans/{plan}")).await;
    let csrf = hidden(&html, "csrf");
    let r = lead
        .post(app.url(&format!("/plans/{plan}/activate")))
        .form(&[("csrf", csrf.as_str()), ("severity", "warning")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    location(&r)
}

#[tokio::test]
async fn decisions_and_reports_enter_the_shared_picture_significant_ones_once_the_scribe_approves()
{
    let app = TestApp::spawn().await;
    let scribe = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let other = signed_in(&app, "sara@lillby.se", Role::Member).await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let plan = plan_held_by(&app, "mikael@lillby.se").await;
    let incident = activated(&app, &lead, &plan).await;
    let (_, html) = page(&app, &lead, &incident).await;
    assert!(html.contains("Ingen lägesrapport ännu."), "{html}");
    assert!(html.contains("Nästa lägesrapport senast"), "{html}");
    let csrf = hidden(&html, "csrf");
    let holder = app.account("mikael@lillby.se").await.person_id.to_string();
    let r = lead
        .post(app.url(&format!("{incident}/roles")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("role", "scribe"),
            ("person", holder.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // A decision with its why missing and a time ahead: each field named, nothing kept.
    let (_, form) = page(&app, &lead, &format!("{incident}/decision")).await;
    let erik = app.account("erik@lillby.se").await.person_id;
    let name = app
        .store
        .list_people(app.org.id)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == erik)
        .unwrap()
        .name;
    assert!(
        form.contains(&format!("maxlength=\"200\" value=\"{name}\"")),
        "who is filled in with the lead's name: {form}"
    );
    let ahead = app.now() + chrono::Duration::hours(2);
    let ahead = beredskap_core::TimeZone::parse("Europe/Stockholm")
        .unwrap()
        .local(ahead)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let r = lead
        .post(app.url(&format!("{incident}/decision")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("what", "Stäng medborgarkontoret"),
            ("who", "Krisledningsgruppen"),
            ("why", ""),
            ("decided_at", ahead.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("href=\"#why\">Varför"), "{html}");
    assert!(
        html.contains("href=\"#decided_at\">När: får inte ligga i framtiden"),
        "{html}"
    );
    assert!(
        html.contains("Stäng medborgarkontoret"),
        "what was typed stays"
    );
    let r = lead
        .post(app.url(&format!("{incident}/decision")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("what", "Stäng medborgarkontoret"),
            ("who", "Krisledningsgruppen"),
            ("why", "Inga system fungerar"),
            ("decided_at", "i morse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("href=\"#decided_at\">När"));
    let id = app.store.incidents(app.org.id, false).await.unwrap()[0].id;
    assert!(app
        .store
        .incident_log(app.org.id, id)
        .await
        .unwrap()
        .is_empty());

    // A significant decision: the lead and the scribe see it waiting, others do not.
    let r = lead
        .post(app.url(&format!("{incident}/decision")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("what", "Stäng medborgarkontoret"),
            ("who", "Krisledningsgruppen"),
            ("why", "Inga system fungerar"),
            ("decided_at", ""),
            ("significant", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).ends_with("#waiting"));
    let (_, seen_by_other) = page(&app, &other, &incident).await;
    assert!(
        !seen_by_other.contains("Stäng medborgarkontoret")
            && seen_by_other.contains("Inga beslut ännu."),
        "{seen_by_other}"
    );
    let (_, seen_by_scribe) = page(&app, &scribe, &incident).await;
    assert!(
        seen_by_scribe.contains("Väntar på godkännande"),
        "{seen_by_scribe}"
    );
    assert!(seen_by_scribe.contains("Stäng medborgarkontoret"));
    // The lead may not approve while there is a scribe; the scribe does.
    let entry = app.store.incident_log(app.org.id, id).await.unwrap()[0].id;
    let r = lead
        .post(app.url(&format!("{incident}/log/{entry}/approve")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let scribe_csrf = hidden(&seen_by_scribe, "csrf");
    let r = scribe
        .post(app.url(&format!("{incident}/log/{entry}/approve")))
        .form(&[("csrf", scribe_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, seen_by_other) = page(&app, &other, &incident).await;
    assert!(
        seen_by_other.contains("Beslut: Stäng medborgarkontoret")
            && seen_by_other.contains("Krisledningsgruppen beslutade")
            && seen_by_other.contains("Godkänd "),
        "{seen_by_other}"
    );

    // A significant decision the scribe sends back stays out of the picture; its writer sees
    // that it was sent back, others see nothing of it.
    let r = lead
        .post(app.url(&format!("{incident}/decision")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("what", "Stäng skolorna"),
            ("who", "Krisledningsgruppen"),
            ("why", "Ingen skolskjuts"),
            ("significant", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let waiting = app
        .store
        .incident_log(app.org.id, id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.is_waiting())
        .unwrap()
        .id;
    let r = scribe
        .post(app.url(&format!("{incident}/log/{waiting}/decline")))
        .form(&[("csrf", scribe_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, seen_by_lead) = page(&app, &lead, &incident).await;
    assert!(
        seen_by_lead.contains("Skickad tillbaka") && seen_by_lead.contains("Stäng skolorna"),
        "{seen_by_lead}"
    );
    let (_, seen_by_other) = page(&app, &other, &incident).await;
    assert!(!seen_by_other.contains("Stäng skolorna"), "{seen_by_other}");
    let r = scribe
        .post(app.url(&format!("{incident}/log/{waiting}/approve")))
        .form(&[("csrf", scribe_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "sent back is decided");

    // Two situation reports: the second form starts from the first, and shows what changed.
    let r = scribe
        .post(app.url(&format!("{incident}/report")))
        .form(&[
            ("csrf", scribe_csrf.as_str()),
            ("conditions", "Telefonin ligger nere\nE-posten ligger nere"),
            ("actions", "Reservtelefoner delas ut"),
            ("needs", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, form) = page(&app, &scribe, &format!("{incident}/report")).await;
    assert!(
        form.contains("Ifyllt från förra rapporten") && form.contains("Reservtelefoner delas ut"),
        "{form}"
    );
    let r = scribe
        .post(app.url(&format!("{incident}/report")))
        .form(&[
            ("csrf", scribe_csrf.as_str()),
            (
                "conditions",
                "Telefonin ligger nere\nE-posten fungerar igen",
            ),
            ("actions", "Reservtelefoner delas ut"),
            ("needs", "Fler laddare till reservtelefonerna"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&app, &other, &incident).await;
    for shown in [
        "Ändrat sedan förra rapporten",
        "E-posten fungerar igen <span class=\"label\">Nytt</span>",
        "<del>E-posten ligger nere</del>",
        "Fler laddare till reservtelefonerna <span class=\"label\">Nytt</span>",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    // The whole log has both reports and the decision, newest first.
    let (_, log) = page(&app, &other, &format!("{incident}/log")).await;
    let second = log.find("E-posten fungerar igen").unwrap();
    let first = log.find("E-posten ligger nere").unwrap();
    let decision = log.find("Stäng medborgarkontoret").unwrap();
    assert!(second < first && first < decision, "{log}");
    // An empty report names its field.
    let r = scribe
        .post(app.url(&format!("{incident}/report")))
        .form(&[("csrf", scribe_csrf.as_str()), ("conditions", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("href=\"#conditions\">Läge"));
    // A guest not invited to it finds none of it.
    let guest = signed_in(&app, "gast@partner.example", Role::Guest).await;
    assert_eq!(page(&app, &guest, &format!("{incident}/log")).await.0, 404);
    // Ended, the log takes nothing more.
    let r = lead
        .post(app.url(&format!("{incident}/close")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = scribe
        .post(app.url(&format!("{incident}/report")))
        .form(&[
            ("csrf", scribe_csrf.as_str()),
            ("conditions", "Allt fungerar"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn an_overdue_situation_report_reminds_the_scribe_and_the_lead_once() {
    let app = TestApp::spawn().await;
    signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let plan = plan_held_by(&app, "mikael@lillby.se").await;
    let incident = activated(&app, &lead, &plan).await;
    let (_, html) = page(&app, &lead, &incident).await;
    let csrf = hidden(&html, "csrf");
    // The lead sets a report every 30 minutes; an hour of nothing later it is overdue.
    let r = lead
        .post(app.url(&format!("{incident}/cadence")))
        .form(&[("csrf", csrf.as_str()), ("report_every_minutes", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = lead
        .post(app.url(&format!("{incident}/cadence")))
        .form(&[("csrf", csrf.as_str()), ("report_every_minutes", "2000")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "at most a day");
    app.clock.advance(chrono::Duration::minutes(31));
    let (_, html) = page(&app, &lead, &incident).await;
    assert!(html.contains("Lägesrapporten är försenad"), "{html}");
    let system = beredskap_app::Caller::System;
    let sent =
        beredskap_app::incident_log::remind_overdue_reports(&app.use_cases(), &system, app.now())
            .await
            .unwrap();
    assert_eq!(sent, 1);
    let again = beredskap_app::incident_log::remind_overdue_reports(
        &app.use_cases(),
        &system,
        app.now() + chrono::Duration::minutes(5),
    )
    .await
    .unwrap();
    assert_eq!(again, 0, "once per missed report");
    let alerts = app.store.list_alerts(app.org.id, 50).await.unwrap();
    let reminder = &alerts
        .iter()
        .find(|a| a.alert.message.contains("lägesrapporten är försenad"))
        .unwrap()
        .alert;
    let roster = app
        .store
        .alert_roster(app.org.id, reminder.id)
        .await
        .unwrap();
    let erik = app.account("erik@lillby.se").await.person_id;
    assert_eq!(
        roster.iter().map(|e| e.person_id).collect::<Vec<_>>(),
        [erik],
        "the lead, as nobody is scribe"
    );
    // A report written puts the next one a cadence later: nothing is due.
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby{incident}/reports"),
            &app.admin_token,
            serde_json::json!({"conditions": "Telefonin ligger nere"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let next = beredskap_app::incident_log::remind_overdue_reports(
        &app.use_cases(),
        &system,
        app.now() + chrono::Duration::minutes(10),
    )
    .await
    .unwrap();
    assert_eq!(next, 0);
    let log = expect_json(
        app.get(
            &format!("/api/v1/orgs/lillby{incident}/log"),
            &app.admin_token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(log["entries"][0]["kind"], "report");
    assert_eq!(log["entries"][0]["conditions"], "Telefonin ligger nere");
    assert!(log["report_due"].is_string());
}

#[tokio::test]
async fn an_ended_incident_has_its_after_action_report_as_a_page_and_a_pdf() {
    let app = TestApp::spawn().await;
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let plan = plan_held_by(&app, "mikael@lillby.se").await;
    // The email service goes down before the incident and is back during it.
    let use_cases = app.use_cases();
    let operator = beredskap_app::Caller::Operator(Actor::cli("test"));
    let email = beredskap_app::services::add_service(
        &use_cases,
        &operator,
        &app.org,
        &beredskap_core::continuity::services::ServiceInput {
            name: "E-post".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let status = |state| beredskap_core::continuity::services::StatusInput {
        state,
        impact: None,
        workaround: None,
    };
    use beredskap_core::continuity::services::ServiceState;
    beredskap_app::services::set_status(
        &use_cases,
        &operator,
        &app.org,
        email.id,
        &status(ServiceState::Down),
    )
    .await
    .unwrap();
    let incident = activated(&app, &lead, &plan).await;
    let id = app.store.incidents(app.org.id, false).await.unwrap()[0].id;
    let (_, html) = page(&app, &lead, &incident).await;
    let csrf = hidden(&html, "csrf");
    let r = lead
        .post(app.url(&format!("{incident}/decision")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("what", "Öppna reservväxeln"),
            ("who", "Krisledningsgruppen"),
            ("why", "Telefonin ligger nere"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Forty minutes on: the email is back, the task (due at once) is done late.
    app.clock.advance(chrono::Duration::minutes(40));
    beredskap_app::services::set_status(
        &use_cases,
        &operator,
        &app.org,
        email.id,
        &status(ServiceState::Works),
    )
    .await
    .unwrap();
    let task = app.store.incident_tasks(app.org.id, id).await.unwrap()[0].id;
    let r = lead
        .post(app.url(&format!("{incident}/tasks/{task}")))
        .form(&[("csrf", csrf.as_str()), ("done", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    app.clock.advance(chrono::Duration::minutes(20));
    let r = lead
        .post(app.url(&format!("{incident}/close")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let (status, html) = page(&app, &lead, &incident).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("href=\"{incident}/after-action\"")),
        "{html}"
    );
    let (status, report) = page(&app, &lead, &format!("{incident}/after-action")).await;
    assert_eq!(status, 200);
    for shown in [
        "Rapport efter händelsen",
        "Varaktighet: 1 h 0 min",
        "Tidslinje",
        "Beslut: Öppna reservväxeln (Krisledningsgruppen)",
        "Klar: Ring IT-beredskapen.",
        "E-post: Fungerar",
        "Händelsen avslutades",
        "Larmet skickades till 1 person",
        "Ingen av 1 svarade på larmet.",
        "1 av 1 uppgifter klara.",
        "Ring IT-beredskapen. – senast",
        "nere 40 min, störd 0 min",
    ] {
        assert!(report.contains(shown), "{shown}: {report}");
    }
    // The timeline is in order: the decision before the email came back, the end last.
    let decided = report.find("Beslut: Öppna reservväxeln").unwrap();
    let back = report.find("E-post: Fungerar").unwrap();
    let ended = report.find("Händelsen avslutades").unwrap();
    assert!(decided < back && back < ended);

    let r = lead
        .get(app.url(&format!("{incident}/after-action.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"after-action-"));
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The text is set in the standard fonts, uncompressed (lines of plain ASCII show as
    // they are; the browser test reads the rest back with pdftotext).
    let has = |text: &[u8]| pdf.windows(text.len()).any(|w| w == text);
    assert!(has(b"(Tidslinje)"));
    assert!(has(b"(Klar: Ring IT-beredskapen."));
    assert!(has(b"/BaseFont /Helvetica"));
    // Members do not read it; nor does another organisation.
    assert_eq!(
        page(&app, &member, &format!("{incident}/after-action"))
            .await
            .0,
        403
    );
    let r = member
        .get(app.url(&format!("{incident}/after-action.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_guest_invited_to_one_incident_sees_it_and_nothing_else() {
    let app = TestApp::spawn().await;
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let guest = signed_in(&app, "pia@region.example", Role::Guest).await;
    let plan = plan_held_by(&app, "mikael@lillby.se").await;
    let first = activated(&app, &lead, &plan).await;
    let second = activated(&app, &lead, &plan).await;
    // Before an invitation a guest sees no incident at all.
    let (status, list) = page(&app, &guest, "/incidents").await;
    assert_eq!(status, 200);
    assert!(list.contains("Inga pågående händelser."), "{list}");
    assert_eq!(page(&app, &guest, &first).await.0, 404);

    let (_, html) = page(&app, &lead, &first).await;
    assert!(html.contains("(pia@region.example)</option>"), "{html}");
    let csrf = hidden(&html, "csrf");
    let pia = app.account("pia@region.example").await.id.to_string();
    let mikael = app.account("mikael@lillby.se").await.id.to_string();
    // A member is no guest: the field says so, and nothing changes.
    let r = lead
        .post(app.url(&format!("{first}/guests")))
        .form(&[("csrf", csrf.as_str()), ("account", mikael.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = lead
        .post(app.url(&format!("{first}/guests")))
        .form(&[("csrf", csrf.as_str()), ("account", pia.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // The guest sees the one incident, its log and its channel; not the other one.
    let (_, list) = page(&app, &guest, "/incidents").await;
    let first_id = first.trim_start_matches("/incidents/");
    let second_id = second.trim_start_matches("/incidents/");
    assert!(
        list.contains(first_id) && !list.contains(second_id),
        "{list}"
    );
    let (status, html) = page(&app, &guest, &first).await;
    assert_eq!(status, 200);
    assert!(html.contains("Ring IT-beredskapen."), "{html}");
    assert!(html.contains("(pia@region.example)</li>"), "{html}");
    assert!(!html.contains("Registrera beslut") && !html.contains(">Klar<"));
    assert!(
        !html.contains("/plans/"),
        "no link a guest could not follow"
    );
    assert_eq!(page(&app, &guest, &format!("{first}/log")).await.0, 200);
    assert_eq!(page(&app, &guest, &second).await.0, 404);
    assert_eq!(page(&app, &guest, &format!("{second}/log")).await.0, 404);
    assert_eq!(
        page(&app, &guest, &format!("{first}/after-action")).await.0,
        403
    );
    let id: beredskap_core::IncidentId = first_id.parse().unwrap();
    let channel = app.store.incident(app.org.id, id).await.unwrap().channel_id;
    assert_eq!(page(&app, &guest, &format!("/c/{channel}")).await.0, 200);
    // Read only: no decision, no report, no task.
    let (_, html) = page(&app, &guest, &first).await;
    let guest_csrf = hidden(&html, "csrf");
    let r = guest
        .post(app.url(&format!("{first}/decision")))
        .form(&[
            ("csrf", guest_csrf.as_str()),
            ("what", "x"),
            ("who", "y"),
            ("why", "z"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Members still see every incident.
    let (_, list) = page(&app, &member, "/incidents").await;
    assert!(list.contains(first_id) && list.contains(second_id));
    // The lead takes the guest off again: the incident and its channel are gone for them.
    let (_, html) = page(&app, &lead, &first).await;
    assert!(
        html.contains(&format!("{first}/guests/{pia}/remove")),
        "{html}"
    );
    let r = lead
        .post(app.url(&format!("{first}/guests/{pia}/remove")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(page(&app, &guest, &first).await.0, 404);
    assert_ne!(page(&app, &guest, &format!("/c/{channel}")).await.0, 200);
    let journal = app.store.journal_page(app.org.id, 0, 500).await.unwrap();
    for kind in ["incident.guest_invited", "incident.guest_removed"] {
        assert!(journal.iter().any(|e| e.kind == kind), "{kind}");
    }
}
