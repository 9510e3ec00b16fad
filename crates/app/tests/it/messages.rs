//! SMS and email go out in the organisation's language, from the catalogue: its own
//! choice, else its region's (a Norwegian organisation gets Norwegian, not Danish).

use crate::world::World;
use beredskap_app::messages;
use beredskap_core::alerting::DeliveryKind;
use beredskap_core::register::{NewOrg, Org};
use beredskap_core::{Actor, Region};

async fn org_in(world: &World, slug: &str, region: Region) -> Org {
    world
        .app
        .store
        .create_org(
            &Actor::cli("test"),
            NewOrg::parse(slug, "Nordby kommune", region).unwrap(),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn an_alert_goes_out_in_the_organisations_language() {
    let world = World::new().await;
    let mut alert = world.sent_alert().await;
    let swedish = &world.org;
    let (subject, body) = messages::compose(swedish, &alert, DeliveryKind::Alert, "https://l/a/x");
    assert_eq!(subject, "Beredskap – Lillby kommun");
    assert_eq!(body, "Strömavbrott i stadshuset.\nKvittera: https://l/a/x");

    let norwegian = org_in(&world, "nordby", Region::No).await;
    alert.exercise = true;
    alert.options = vec!["Ja".into(), "Nei".into()];
    let (subject, body) = messages::compose(&norwegian, &alert, DeliveryKind::Alert, "L");
    assert_eq!(subject, "ØVELSE: Beredskap – Nordby kommune");
    assert_eq!(body, "ØVELSE: Strömavbrott i stadshuset.\nSvar Ja / Nei: L");
    let (_, closed) = messages::compose(&norwegian, &alert, DeliveryKind::Cancelled, "L");
    assert_eq!(closed, "ØVELSE: AVLYST: Strömavbrott i stadshuset.");
    assert!(
        messages::reply_help(&norwegian, &[]).contains("for å kvittere"),
        "Norwegian, not Danish"
    );

    // An organisation that chose English gets English whatever its region.
    let mut english = swedish.clone();
    english.language = Some("en".into());
    alert.exercise = false;
    let (_, body) = messages::compose(&english, &alert, DeliveryKind::Resolved, "L");
    assert_eq!(body, "RESOLVED: Strömavbrott i stadshuset.");
    assert!(messages::contact_check_message(&english).starts_with("Beredskap is checking"));
    let (subject, text) = messages::one_time_code(&english, "123456", 10);
    assert_eq!(subject, "One-time code for Beredskap – Lillby kommun");
    assert!(
        text.contains(": 123456. It is valid for 10 minutes."),
        "{text}"
    );
}

#[tokio::test]
async fn mails_keep_their_paragraphs() {
    let world = World::new().await;
    let danish = org_in(&world, "nordby", Region::Dk).await;
    let (subject, mail, sms) = messages::enrolment(&danish, "Anna", "https://l/e/1", 72);
    assert_eq!(subject, "Aktivér din konto i Beredskap – Nordby kommune");
    assert!(
        mail.starts_with("Hej Anna!\n\nDu har fået en konto")
            && mail.contains("inden for 72 timer:\nhttps://l/e/1\n\nLinket virker"),
        "{mail}"
    );
    assert_eq!(
        sms,
        "Beredskap Nordby kommune: aktivér din konto inden for 72 t: https://l/e/1"
    );
    let (_, mail) = messages::checkpoint_mail(&world.org, "{\"head\":1}");
    assert!(
        mail.contains("och kör\n  beredskap journal verify --checkpoint FILEN\n"),
        "the command keeps its indent: {mail}"
    );
    assert!(mail.ends_with("{\"head\":1}\n"), "{mail}");
}
