//! The contact directory page and its print view.

use crate::helpers::TestApp;
use crate::web::{page, signed_in};
use beredskap_core::register::{
    ContactKind, ContactLabel, ContactPoint, NewPosition, PersonDraft, Role,
};
use beredskap_core::{Actor, Slug};

/// Sara Olsson holds the TiB position; she has a work mobile and a private address. The
/// directory has two external contacts.
async fn seeded(app: &TestApp) {
    let actor = Actor::cli("test");
    let s = app.store.as_ref();
    let sara = s
        .create_person(
            &actor,
            app.org.id,
            PersonDraft {
                external_id: None,
                name: "Sara Olsson".into(),
                title: Some("Beredskapssamordnare".into()),
                active: true,
                contact_points: vec![
                    ContactPoint {
                        kind: ContactKind::Sms,
                        label: ContactLabel::Work,
                        value: "+46701740605".into(),
                        verified: true,
                    },
                    ContactPoint {
                        kind: ContactKind::Email,
                        label: ContactLabel::Private,
                        value: "sara@privat.example".into(),
                        verified: true,
                    },
                ],
            },
        )
        .await
        .unwrap();
    let tib = s
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
    s.set_position_holders(&actor, app.org.id, tib.id, vec![sara.id])
        .await
        .unwrap();
    let csv = "name,organisation,phone,email,call_for,category\n\
               SOS Alarm,,112,,livshotande läge,Myndigheter\n\
               Driftstörning,Telia,020-20 20 20,drift@telia.example,fiberavbrott,Leverantörer\n";
    beredskap_app::directory::import_contacts(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(actor),
        &app.org,
        csv.as_bytes(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn members_find_whom_to_call_and_private_addresses_stay_with_crisis_leads() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let (status, html) = page(&app, &member, "/directory").await;
    assert_eq!(status, 200);
    for shown in [
        "Kontaktlista",
        "Tjänsteperson i beredskap",
        "Sara Olsson",
        "href=\"tel:+46701740605\"",
        "href=\"tel:112\"",
        "Ring för: fiberavbrott",
        "Leverantörer",
        "aria-current=\"page\">Kontakter</a>",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    assert!(!html.contains("sara@privat.example"), "{html}");
    assert!(html.contains("Privata nummer och adresser visas bara"));

    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let (_, html) = page(&app, &lead, "/directory").await;
    assert!(
        html.contains("href=\"mailto:sara@privat.example\""),
        "{html}"
    );

    // Search narrows to what matches, without JavaScript.
    let (_, html) = page(&app, &member, "/directory?q=fiber").await;
    assert!(
        html.contains("Driftstörning") && !html.contains("SOS Alarm"),
        "{html}"
    );
    assert!(!html.contains("Sara Olsson"), "{html}");
    let (_, html) = page(&app, &member, "/directory?q=ingenting+alls").await;
    assert!(html.contains("Inget i kontaktlistan matchar"), "{html}");

    // The print view has everything on it, with when it was printed.
    let (status, html) = page(&app, &member, "/directory/print").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Kontaktlista – Lillby kommun")
            && html.contains("Sara Olsson")
            && html.contains("SOS Alarm")
            && html.contains("Utskriven"),
        "{html}"
    );

    // Guests see no register.
    let guest = signed_in(&app, "gast@partner.example", Role::Guest).await;
    assert_eq!(page(&app, &guest, "/directory").await.0, 403);
    assert_eq!(page(&app, &guest, "/directory/print").await.0, 403);
}

#[tokio::test]
async fn a_crisis_lead_downloads_the_offline_kit_as_one_file_with_nothing_outside_it() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    let actor = beredskap_app::Caller::Operator(Actor::cli("test"));
    let use_cases = app.use_cases();
    beredskap_app::plans::import_yaml(
        &use_cases,
        &actor,
        &app.org,
        &Slug::parse("it-avbrott").unwrap(),
        "title: Totalt IT-avbrott\nalarm:\n  positions: [tib]\n  message: IT-avbrott\n  \
         severity: critical\naction_cards:\n  - position: tib\n    tasks:\n      - \
         after_minutes: 15\n        task: Ring IT-beredskapen.\ncontacts: [SOS Alarm]\n",
    )
    .await
    .unwrap();
    let email = beredskap_app::services::add_service(
        &use_cases,
        &actor,
        &app.org,
        &beredskap_core::continuity::services::ServiceInput {
            name: "E-post".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    beredskap_app::services::set_status(
        &use_cases,
        &actor,
        &app.org,
        email.id,
        &beredskap_core::continuity::services::StatusInput {
            state: beredskap_core::continuity::services::ServiceState::Down,
            impact: Some("Ingen e-post in eller ut.".into()),
            workaround: None,
        },
    )
    .await
    .unwrap();
    let lead = signed_in(&app, "erik@lillby.se", Role::CrisisLead).await;
    let (_, plans) = page(&app, &lead, "/plans").await;
    assert!(plans.contains("href=\"/offline-kit.html\""), "{plans}");
    let r = lead.get(app.url("/offline-kit.html")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"offline-kit-lillby-"));
    let html = r.text().await.unwrap();
    for shown in [
        "Offline-kit – Lillby kommun",
        "Totalt IT-avbrott",
        "Ring IT-beredskapen.",
        "Tjänsteperson i beredskap",
        "Sara Olsson",
        "href=\"mailto:sara@privat.example\"",
        "href=\"tel:112\"",
        "E-post: Nere",
        "Ingen e-post in eller ut.",
        "Planernas namn för SMS: it-avbrott",
        "Journalens kontrollpunkt",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    // Self-contained: no script, no stylesheet or image to fetch, no link but within the
    // file, to a phone number or to an address.
    for outside in ["<script", "<link", "<img", "src=", "url(", "@import"] {
        assert!(!html.contains(outside), "{outside}");
    }
    for href in html.split("href=\"").skip(1) {
        assert!(
            href.starts_with('#') || href.starts_with("tel:") || href.starts_with("mailto:"),
            "a link out of the file: {}",
            &href[..href.len().min(60)]
        );
    }
    // Members take no kit: it holds private numbers.
    let member = signed_in(&app, "mikael@lillby.se", Role::Member).await;
    let r = member
        .get(app.url("/offline-kit.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, plans) = page(&app, &member, "/plans").await;
    assert!(!plans.contains("/offline-kit.html"));
}
