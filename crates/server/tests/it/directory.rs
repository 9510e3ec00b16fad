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
