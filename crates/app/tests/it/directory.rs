//! The contact directory as use cases: who sees which numbers, search, and the import of
//! external contacts (all or nothing, every problem by line and column).

use crate::world::World;
use beredskap_app::directory::{self, ImportRefused};
use beredskap_app::{register, Caller, Error, UseCase};
use beredskap_core::register::{ContactLabel, Role};
use beredskap_core::Actor;

const CONTACTS: &str = "name,organisation,phone,email,call_for,category\n\
    SOS Alarm,,112,,livshotande läge,Myndigheter\n\
    Driftstörning,Telia,020-20 20 20,drift@telia.example,fiberavbrott,Leverantörer\n";

#[tokio::test]
async fn private_numbers_and_addresses_are_for_crisis_leads_and_administrators() {
    let world = World::new().await;
    let private = |people: &[beredskap_core::register::Person]| {
        people
            .iter()
            .flat_map(|p| &p.contact_points)
            .filter(|c| c.label == ContactLabel::Private)
            .count()
    };
    for (role, sees) in [
        (Role::Member, false),
        (Role::CrisisLead, true),
        (Role::Admin, true),
    ] {
        let caller = world.caller(role);
        let shown = directory::directory(&world.app, &caller, &world.org, None)
            .await
            .unwrap();
        assert_eq!(shown.private_hidden, !sees, "{role:?}");
        assert_eq!(
            private(&shown.people) > 0,
            sees,
            "{role:?} in the directory"
        );
        let register = register::people(&world.app, &caller, &world.org)
            .await
            .unwrap();
        assert_eq!(private(&register) > 0, sees, "{role:?} in the register");
        // Work numbers are for everyone who reads the directory.
        assert!(shown.people.iter().all(|p| !p.contact_points.is_empty()));
    }
    let guest = world.caller(Role::Guest);
    assert!(matches!(
        directory::directory(&world.app, &guest, &world.org, None).await,
        Err(Error::Refused {
            use_case: UseCase::ReadRegister,
            ..
        })
    ));
}

#[tokio::test]
async fn external_contacts_are_imported_whole_and_found_by_what_to_call_them_for() {
    let world = World::new().await;
    let admin = world.caller(Role::Admin);
    let imported = directory::import_contacts(&world.app, &admin, &world.org, CONTACTS.as_bytes())
        .await
        .unwrap();
    assert_eq!(imported, 2);
    // A file with a bad row changes nothing and names every problem.
    let bad = "name,phone,call_for\nVattenfall,070-1,elavbrott\n,,\n";
    let refused = directory::import_contacts(&world.app, &admin, &world.org, bad.as_bytes()).await;
    let Err(ImportRefused::File(errors)) = refused else {
        panic!("a bad file was applied: {refused:?}");
    };
    let lines: Vec<(u64, Option<&str>)> = errors
        .0
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect();
    assert!(
        lines.contains(&(2, Some("phone"))) && lines.contains(&(3, Some("name"))),
        "{lines:?}"
    );
    let member = world.caller(Role::Member);
    let all = directory::directory(&world.app, &member, &world.org, None)
        .await
        .unwrap();
    assert_eq!(all.external.len(), 2, "the bad file changed nothing");
    // Searching finds by what to call them for, by organisation, by a person's title.
    let fibre = directory::directory(&world.app, &member, &world.org, Some("FIBER"))
        .await
        .unwrap();
    assert_eq!(fibre.external.len(), 1);
    assert_eq!(
        fibre.external[0].contact.organisation.as_deref(),
        Some("Telia")
    );
    assert!(fibre.people.is_empty());
    let person = directory::directory(&world.app, &member, &world.org, Some("person 2"))
        .await
        .unwrap();
    assert_eq!(person.people.len(), 1);
    assert!(person.external.is_empty());
    // Only administrators and operators replace the list.
    let lead = world.caller(Role::CrisisLead);
    assert!(matches!(
        directory::import_contacts(&world.app, &lead, &world.org, CONTACTS.as_bytes()).await,
        Err(ImportRefused::Use(Error::Refused { .. }))
    ));
    let operator = Caller::Operator(Actor::cli("drift"));
    directory::import_contacts(
        &world.app,
        &operator,
        &world.org,
        b"name,phone,call_for\nSOS Alarm,112,allt\n",
    )
    .await
    .unwrap();
}
