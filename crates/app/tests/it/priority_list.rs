//! The priority list as use cases: only holders of the named positions open it, every
//! opening is journaled without anyone's details, an administrator imports and names
//! without seeing it, and an incident's lead starts the calls and sees them counted.

use crate::world::World;
use beredskap_app::priority_list::{self, ImportRefused};
use beredskap_app::{Caller, Error, UseCase};
use beredskap_core::continuity::priority::{AccessInput, CallOutcome, CallReportInput};
use beredskap_core::register::Role;
use beredskap_core::Actor;

fn refused_to_open(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(
        result,
        Err(Error::Refused {
            use_case: UseCase::ReadPriorityList,
            ..
        })
    )
}

#[tokio::test]
async fn only_the_holders_of_a_named_position_open_it_and_each_opening_is_journaled() {
    let world = World::new().await;
    let position = world.priority_list().await;
    let (app, org) = (&world.app, &world.org);
    // Named: the crisis lead opens it; the journal says who, and how many, not whom.
    let lead = world.caller(Role::CrisisLead);
    let before = world.head().await;
    let list = priority_list::open(app, &lead, org, None).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(world.head().await, before + 1, "the opening is journaled");
    let entries = app.store.journal_page(org.id, before, 10).await.unwrap();
    assert_eq!(entries[0].kind, "priority_list.opened");
    assert_eq!(entries[0].actor, lead.actor());
    let written = &entries[0].payload;
    assert!(!written.contains("Karin"), "no details: {written}");
    // Only the lead holds the position now: the member, the administrator and a guest
    // (and the command line) are refused, and nothing is journaled for them.
    let only_lead = vec![world.caller(Role::CrisisLead).account().unwrap().person_id];
    app.store
        .set_position_holders(&Actor::cli("test"), org.id, position.id, only_lead)
        .await
        .unwrap();
    let before = world.head().await;
    for caller in [
        world.caller(Role::Member),
        world.caller(Role::Admin),
        world.caller(Role::Guest),
        Caller::Operator(Actor::cli("drift")),
    ] {
        let result = priority_list::open(app, &caller, org, None).await;
        assert!(refused_to_open(&result), "{caller:?}: {result:?}");
    }
    assert_eq!(
        world.head().await,
        before,
        "a refusal reads and writes nothing"
    );
    // With no position named, nobody opens it.
    let none = AccessInput {
        positions: vec![],
        calls_days: 30,
    };
    priority_list::set_access(app, &world.caller(Role::Admin), org, none)
        .await
        .unwrap();
    assert!(refused_to_open(
        &priority_list::open(app, &lead, org, None).await
    ));
}

#[tokio::test]
async fn an_administrator_imports_and_names_without_seeing_who_is_on_it() {
    let world = World::new().await;
    let position = world.priority_list().await;
    let (app, org) = (&world.app, &world.org);
    app.store
        .set_position_holders(&Actor::cli("test"), org.id, position.id, vec![])
        .await
        .unwrap();
    let admin = world.caller(Role::Admin);
    let (info, access) = priority_list::access(app, &admin, org).await.unwrap();
    assert_eq!((access.opens, access.keeps), (false, true));
    assert_eq!(info.citizens, 2);
    assert_eq!(info.positions, [position.id]);
    // A bad file: every problem by line and column, nothing applied.
    let bad = "name,address,need\nAnna Berg,,Larm\n,Ågatan 1,Syrgas\n";
    let refused = priority_list::import(app, &admin, org, bad.as_bytes()).await;
    let Err(ImportRefused::File(problems)) = refused else {
        panic!("{refused:?}")
    };
    let found: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column.as_str()))
        .collect();
    assert_eq!(found, [(2, "address"), (3, "name")]);
    let (info, _) = priority_list::access(app, &admin, org).await.unwrap();
    assert_eq!(info.citizens, 2, "nothing of the bad file was applied");
    // A good one replaces the list whole.
    let good = "name,address,need\nAnna Berg,Ågatan 1,Hemtjänst\n";
    let info = priority_list::import(app, &admin, org, good.as_bytes())
        .await
        .unwrap();
    assert_eq!(info.citizens, 1);
    assert!(info.imported_at.is_some());
    // A member who holds no named position may do nothing with it, not even see its size.
    let member = world.caller(Role::Member);
    assert!(refused_to_open(
        &priority_list::access(app, &member, org).await
    ));
    let member_import = priority_list::import(app, &member, org, good.as_bytes()).await;
    assert!(
        matches!(
            member_import,
            Err(ImportRefused::Use(Error::Refused { .. }))
        ),
        "{member_import:?}"
    );
}

#[tokio::test]
async fn the_lead_starts_the_calls_once_and_sees_them_counted_the_named_make_them() {
    let world = World::new().await;
    let position = world.priority_list().await;
    let (app, org) = (&world.app, &world.org);
    let member = world.caller(Role::Member);
    app.store
        .set_position_holders(
            &Actor::cli("test"),
            org.id,
            position.id,
            vec![member.account().unwrap().person_id],
        )
        .await
        .unwrap();
    let (incident, _) = world.open_incident().await;
    let lead = world.caller(Role::CrisisLead);
    let started = priority_list::start_calls(app, &lead, org, incident)
        .await
        .unwrap();
    assert_eq!((started.total, started.open), (2, 2));
    let again = priority_list::start_calls(app, &member, org, incident)
        .await
        .unwrap();
    assert_eq!(again.total, 2, "started once");
    // The lead holds no named position: counts, not names.
    assert!(refused_to_open(
        &priority_list::calls(app, &lead, org, incident).await
    ));
    let calls = priority_list::calls(app, &member, org, incident)
        .await
        .unwrap();
    assert_eq!(calls[0].citizen.as_ref().unwrap().name, "Karin Öberg");
    for outcome in [CallOutcome::NotReached, CallOutcome::Reached] {
        let input = CallReportInput {
            outcome: Some(outcome),
            note: String::new(),
        };
        priority_list::report_call(app, &member, org, incident, calls[0].id, input)
            .await
            .unwrap();
    }
    let counted = priority_list::summary(app, &lead, org, incident)
        .await
        .unwrap();
    assert_eq!(
        (counted.reached, counted.not_reached, counted.open),
        (1, 0, 1)
    );
    // A member who is not named does not make them, nor start them.
    app.store
        .set_position_holders(&Actor::cli("test"), org.id, position.id, vec![])
        .await
        .unwrap();
    let input = CallReportInput {
        outcome: Some(CallOutcome::Reached),
        note: String::new(),
    };
    let refused = priority_list::report_call(app, &member, org, incident, calls[1].id, input).await;
    assert!(refused_to_open(&refused), "{refused:?}");
    let (other, _) = world.open_incident().await;
    let start = priority_list::start_calls(app, &member, org, other).await;
    assert!(matches!(start, Err(Error::Refused { .. })), "{start:?}");
    // A guest invited to nothing does not see the incident's counts either.
    let guest = priority_list::summary(app, &world.caller(Role::Guest), org, incident).await;
    assert!(guest.is_err(), "{guest:?}");
}
