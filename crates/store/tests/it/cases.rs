use crate::harness::TestDb;
use beredskap_core::auth::{NewCredentials, NewSession, SecondFactor, SessionId};
use beredskap_core::import::parse_people_csv;
use beredskap_core::register::{
    ContactKind, ContactLabel, ContactPoint, NewGroup, NewOrg, NewPosition, Org, PersonDraft, Role,
    Scope,
};
use beredskap_core::store::{verify_journal, StoreError};
use beredskap_core::{Actor, EmailAddress, EntryId, PersonId, Region, Slug, Store};

fn actor() -> Actor {
    Actor::cli("tester")
}

async fn org(s: &dyn Store, slug: &str) -> Org {
    s.create_org(
        &actor(),
        NewOrg::parse(slug, "Lillby kommun", Region::Se).unwrap(),
    )
    .await
    .unwrap()
}

fn sms(value: &str) -> ContactPoint {
    ContactPoint {
        kind: ContactKind::Sms,
        label: ContactLabel::Work,
        value: value.into(),
        verified: false,
    }
}

fn draft(name: &str, external_id: Option<&str>) -> PersonDraft {
    PersonDraft {
        external_id: external_id.map(str::to_owned),
        name: name.into(),
        title: None,
        active: true,
        contact_points: vec![],
    }
}

async fn journal_len(s: &dyn Store, org: &Org) -> i64 {
    s.journal_head(org.id).await.unwrap().0
}

async fn assert_chain_ok(s: &dyn Store, org: &Org) -> i64 {
    verify_journal(s, org.id).await.unwrap().unwrap().entries
}

/// The organisation's journal is numbered 1 to `entries` with no gap, and verifies.
async fn assert_gapless_chain(s: &dyn Store, org: &Org, entries: i64) {
    let seqs: Vec<i64> = s
        .journal_page(org.id, 0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=entries).collect::<Vec<_>>());
    assert_eq!(assert_chain_ok(s, org).await, entries);
}

pub async fn orgs_are_created_listed_and_unique_by_slug(db: &TestDb) {
    let s = db.store();
    let a = org(s, "lillby").await;
    org(s, "norrby").await;
    let err = s
        .create_org(
            &actor(),
            NewOrg::parse("lillby", "Again", Region::Dk).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict(beredskap_core::store::Conflict::OrgSlug)
    );
    let slugs: Vec<_> = s
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.slug.to_string())
        .collect();
    assert_eq!(slugs, ["lillby", "norrby"]);
    let found = s
        .org_by_slug(&Slug::parse("lillby").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, a);
    assert!(s
        .org_by_slug(&Slug::parse("nowhere").unwrap())
        .await
        .unwrap()
        .is_none());
    let first = s.journal_page(a.id, 0, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].kind, "org.created");
    assert_eq!(first[0].actor.as_str(), "cli:tester");
}

pub async fn people_keep_their_contact_points_in_order(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let mut d = draft("Anna Berg", Some("1001"));
    d.title = Some("Säkerhetssamordnare".into());
    d.contact_points = vec![
        sms("+46701234567"),
        ContactPoint {
            kind: ContactKind::Email,
            label: ContactLabel::Private,
            value: "anna@example.org".into(),
            verified: true,
        },
        sms("+46701234568"),
    ];
    let created = s.create_person(&actor(), o.id, d.clone()).await.unwrap();
    let read = s.person(o.id, created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
    assert_eq!(read.contact_points, d.contact_points);
    s.create_person(&actor(), o.id, draft("Bo Ek", None))
        .await
        .unwrap();
    let names: Vec<_> = s
        .list_people(o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Anna Berg", "Bo Ek"]);
    let other = org(s, "norrby").await;
    assert!(s.person(other.id, created.id).await.unwrap().is_none());
    assert!(s.list_people(other.id).await.unwrap().is_empty());
    assert_eq!(assert_chain_ok(s, &o).await, 3);
}

pub async fn replacing_a_person_keeps_verification_and_journals_only_changes(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let mut d = draft("Anna Berg", Some("1001"));
    d.contact_points = vec![ContactPoint {
        verified: true,
        ..sms("+46701234567")
    }];
    let p = s.create_person(&actor(), o.id, d.clone()).await.unwrap();
    let before = journal_len(s, &o).await;

    // The same data again: nothing changes, nothing is journaled.
    let same = s
        .replace_person(&actor(), o.id, p.id, d.clone())
        .await
        .unwrap();
    assert_eq!(same, p);
    assert_eq!(journal_len(s, &o).await, before);

    // A re-submitted contact point without the flag keeps its verification.
    let mut d2 = d.clone();
    d2.name = "Anna Berg-Lund".into();
    d2.contact_points = vec![sms("+46709999999"), sms("+46701234567")];
    let updated = s.replace_person(&actor(), o.id, p.id, d2).await.unwrap();
    assert_eq!(updated.name, "Anna Berg-Lund");
    assert!(!updated.contact_points[0].verified);
    assert!(updated.contact_points[1].verified);
    assert_eq!(s.person(o.id, p.id).await.unwrap().unwrap(), updated);
    let entries = s.journal_page(o.id, before, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].kind, "person.updated");
    assert!(
        entries[0]
            .payload
            .contains(r#""changed":["name","contact_points"]"#),
        "{}",
        entries[0].payload
    );

    let missing = s
        .replace_person(&actor(), o.id, PersonId::new(), d)
        .await
        .unwrap_err();
    assert_eq!(missing, StoreError::NotFound);
    assert_chain_ok(s, &o).await;
}

pub async fn external_ids_are_unique_per_organisation(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let n = org(s, "norrby").await;
    s.create_person(&actor(), o.id, draft("Anna", Some("1")))
        .await
        .unwrap();
    let err = s
        .create_person(&actor(), o.id, draft("Bo", Some("1")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict(beredskap_core::store::Conflict::PersonExternalId)
    );
    s.create_person(&actor(), n.id, draft("Bo", Some("1")))
        .await
        .unwrap();
    let c = s
        .create_person(&actor(), o.id, draft("Cecilia", Some("2")))
        .await
        .unwrap();
    let err = s
        .replace_person(&actor(), o.id, c.id, draft("Cecilia", Some("1")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict(beredskap_core::store::Conflict::PersonExternalId)
    );
}

pub async fn group_members_must_be_people_of_the_organisation(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let n = org(s, "norrby").await;
    let anna = s
        .create_person(&actor(), o.id, draft("Anna", None))
        .await
        .unwrap();
    let bo = s
        .create_person(&actor(), o.id, draft("Bo", None))
        .await
        .unwrap();
    let stranger = s
        .create_person(&actor(), n.id, draft("Stranger", None))
        .await
        .unwrap();
    let new_group = || NewGroup {
        slug: Slug::parse("krisledning").unwrap(),
        name: "Krisledningsgrupp".into(),
    };
    let g = s.create_group(&actor(), o.id, new_group()).await.unwrap();
    let err = s
        .create_group(&actor(), o.id, new_group())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict(beredskap_core::store::Conflict::GroupSlug)
    );
    s.create_group(&actor(), n.id, new_group()).await.unwrap();

    let g2 = s
        .set_group_members(&actor(), o.id, g.id, vec![bo.id, anna.id])
        .await
        .unwrap();
    assert_eq!(g2.members, [anna.id, bo.id], "members are listed by name");
    let err = s
        .set_group_members(&actor(), o.id, g.id, vec![anna.id, stranger.id])
        .await
        .unwrap_err();
    match err {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "members[1]"),
        other => panic!("expected a field error, got {other:?}"),
    }
    let groups = s.list_groups(o.id).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].members, [anna.id, bo.id]);
    let err = s
        .set_group_members(&actor(), n.id, g.id, vec![])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::NotFound,
        "another organisation's group is not found"
    );
    assert_chain_ok(s, &o).await;
}

pub async fn positions_keep_holder_then_deputies_in_order(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let people: Vec<_> = futures_join(s, &o, &["Cecilia", "Anna", "Bo"]).await;
    let p = s
        .create_position(
            &actor(),
            o.id,
            NewPosition {
                slug: Slug::parse("it-beredskap").unwrap(),
                name: "IT-beredskap".into(),
            },
        )
        .await
        .unwrap();
    let holders = vec![people[0], people[2], people[1]];
    let set = s
        .set_position_holders(&actor(), o.id, p.id, holders.clone())
        .await
        .unwrap();
    assert_eq!(set.holders, holders);
    let listed = s.list_positions(o.id).await.unwrap();
    assert_eq!(
        listed[0].holders, holders,
        "holder first, deputies in their order"
    );
    let err = s
        .set_position_holders(&actor(), o.id, p.id, vec![people[0], people[0]])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref f) if f.0[0].field == "holders[1]"),
        "{err:?}"
    );
    assert_chain_ok(s, &o).await;
}

async fn futures_join(s: &dyn Store, o: &Org, names: &[&str]) -> Vec<PersonId> {
    let mut ids = Vec::new();
    for name in names {
        ids.push(
            s.create_person(&actor(), o.id, draft(name, None))
                .await
                .unwrap()
                .id,
        );
    }
    ids
}

pub async fn a_refused_write_changes_nothing(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let n = org(s, "norrby").await;
    let anna = s
        .create_person(&actor(), o.id, draft("Anna", None))
        .await
        .unwrap();
    let stranger = s
        .create_person(&actor(), n.id, draft("Stranger", None))
        .await
        .unwrap();
    let p = s
        .create_position(
            &actor(),
            o.id,
            NewPosition {
                slug: Slug::parse("stabschef").unwrap(),
                name: "Stabschef".into(),
            },
        )
        .await
        .unwrap();
    s.set_position_holders(&actor(), o.id, p.id, vec![anna.id])
        .await
        .unwrap();
    let journal_before = journal_len(s, &o).await;
    // The first holder is fine, the second is refused: the position must keep its old holders.
    assert!(s
        .set_position_holders(&actor(), o.id, p.id, vec![anna.id, stranger.id])
        .await
        .is_err());
    assert_eq!(s.list_positions(o.id).await.unwrap()[0].holders, [anna.id]);
    assert_eq!(journal_len(s, &o).await, journal_before);
    let login = EmailAddress::parse("anna@lillby.se").unwrap();
    s.create_account(&actor(), o.id, anna.id, login.clone(), Role::Admin)
        .await
        .unwrap();
    let bo = s
        .create_person(&actor(), o.id, draft("Bo", None))
        .await
        .unwrap();
    let journal_before = journal_len(s, &o).await;
    let err = s
        .create_account(&actor(), o.id, bo.id, login, Role::Member)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict(beredskap_core::store::Conflict::AccountLogin)
    );
    assert_eq!(journal_len(s, &o).await, journal_before);
    assert_chain_ok(s, &o).await;
}

const CSV_V1: &str = "external_id,name,title,work_mobile,private_email,groups\n\
    1001,Anna Berg,Kommundirektör,070-111 11 11,anna@example.org,krisledning\n\
    1002,Bo Ek,,070-222 22 22,,krisledning;it-jour\n\
    1003,Cecilia Dahl,IT-tekniker,,cecilia@example.org,it-jour\n";

const CSV_V2: &str = "external_id,name,title,work_mobile,private_email,groups\n\
    1001,Anna Berg,Kommundirektör,070-111 11 11,anna@example.org,krisledning\n\
    1002,Bo Ek,Stabschef,070-222 22 22,,krisledning\n\
    1003,Cecilia Dahl,IT-tekniker,,cecilia@example.org,it-jour\n\
    1004,David Ek,,070-444 44 44,,\n";

pub async fn import_creates_updates_and_is_idempotent(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let rows = parse_people_csv(CSV_V1.as_bytes(), Region::Se).unwrap();
    let r1 = s
        .import_people(&actor(), o.id, rows.clone(), false)
        .await
        .unwrap();
    assert_eq!(r1.created.len(), 3);
    assert_eq!(
        r1.groups_created
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>(),
        ["krisledning", "it-jour"]
    );
    let people = s.list_people(o.id).await.unwrap();
    assert_eq!(people.len(), 3);
    assert_eq!(people[0].contact_points[0].value, "+46701111111");
    let groups = s.list_groups(o.id).await.unwrap();
    let members = |slug: &str| {
        groups
            .iter()
            .find(|g| g.slug.as_str() == slug)
            .unwrap()
            .members
            .len()
    };
    assert_eq!((members("krisledning"), members("it-jour")), (2, 2));

    let journal_after_first = journal_len(s, &o).await;
    let r2 = s.import_people(&actor(), o.id, rows, false).await.unwrap();
    assert_eq!(
        (r2.created.len(), r2.updated.len(), r2.unchanged),
        (0, 0, 3)
    );
    assert_eq!(
        journal_len(s, &o).await,
        journal_after_first,
        "an unchanged import writes nothing"
    );

    let rows = parse_people_csv(CSV_V2.as_bytes(), Region::Se).unwrap();
    let r3 = s.import_people(&actor(), o.id, rows, false).await.unwrap();
    assert_eq!(r3.created.len(), 1);
    assert_eq!(r3.updated.len(), 1);
    assert_eq!(r3.updated[0].line, 3);
    assert_eq!(r3.updated[0].fields, ["title", "groups"]);
    assert_eq!(r3.unchanged, 2);
    let groups = s.list_groups(o.id).await.unwrap();
    let it = groups
        .iter()
        .find(|g| g.slug.as_str() == "it-jour")
        .unwrap();
    assert_eq!(it.members.len(), 1, "Bo left it-jour");
    assert_eq!(s.list_people(o.id).await.unwrap().len(), 4);
    assert_chain_ok(s, &o).await;
}

pub async fn import_dry_run_reports_without_changing_anything(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let before = journal_len(s, &o).await;
    let rows = parse_people_csv(CSV_V1.as_bytes(), Region::Se).unwrap();
    let report = s
        .import_people(&actor(), o.id, rows.clone(), true)
        .await
        .unwrap();
    assert_eq!(report.created.len(), 3);
    assert_eq!(report.groups_created.len(), 2);
    assert!(s.list_people(o.id).await.unwrap().is_empty());
    assert!(s.list_groups(o.id).await.unwrap().is_empty());
    assert_eq!(journal_len(s, &o).await, before);
    // The real import afterwards reports the same.
    let real = s.import_people(&actor(), o.id, rows, false).await.unwrap();
    assert_eq!(real, report);
    assert_chain_ok(s, &o).await;
}

pub async fn api_tokens_resolve_to_their_account(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = s
        .create_person(&actor(), o.id, draft("Anna", None))
        .await
        .unwrap();
    let login = EmailAddress::parse("anna@lillby.se").unwrap();
    let account = s
        .create_account(&actor(), o.id, anna.id, login.clone(), Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        s.account_by_login(o.id, &login).await.unwrap(),
        Some(account.clone())
    );
    let token = s
        .create_api_token(
            &actor(),
            o.id,
            account.id,
            "cli".into(),
            vec![Scope::Read, Scope::Admin],
            "ab".repeat(32),
        )
        .await
        .unwrap();
    assert_eq!(token.scopes, [Scope::Read, Scope::Admin]);
    let no_scopes = s
        .create_api_token(
            &actor(),
            o.id,
            account.id,
            "x".into(),
            vec![],
            "ef".repeat(32),
        )
        .await
        .unwrap_err();
    assert!(matches!(no_scopes, StoreError::Invalid(f) if f.0[0].field == "scopes"));
    let grant = s.token_grant(&"ab".repeat(32)).await.unwrap().unwrap();
    assert_eq!(grant.account, account);
    assert_eq!(grant.token, token);
    assert_eq!(
        grant.org, o,
        "the account's organisation comes with the grant"
    );
    let settings = beredskap_core::register::OrgSettings {
        fallback_sign_in: true,
        members_need_second_factor: false,
        time_zone: Some(beredskap_core::TimeZone::parse("Europe/Helsinki").unwrap()),
        language: Some("da".into()),
    };
    let o = s
        .update_org_settings(&actor(), o.id, settings.clone())
        .await
        .unwrap();
    let grant = s.token_grant(&"ab".repeat(32)).await.unwrap().unwrap();
    assert_eq!(grant.org, o, "with its settings as they are now");
    assert!(s.token_grant(&"cd".repeat(32)).await.unwrap().is_none());
    assert_eq!(
        s.list_accounts(o.id).await.unwrap(),
        std::slice::from_ref(&account)
    );
    let other = org(s, "norrby").await;
    assert!(
        !s.revoke_api_token(&actor(), other.id, token.id)
            .await
            .unwrap(),
        "not another org's"
    );
    assert!(s.revoke_api_token(&actor(), o.id, token.id).await.unwrap());
    assert!(!s.revoke_api_token(&actor(), o.id, token.id).await.unwrap());
    let listed = s.list_api_tokens(o.id).await.unwrap();
    assert_eq!(listed.len(), 1, "the refused token was not stored");
    assert_eq!(listed[0].id, token.id);
    assert_eq!(listed[0].scopes, token.scopes);
    assert!(listed[0].revoked_at.is_some(), "revoked tokens stay listed");
    assert!(s.list_api_tokens(other.id).await.unwrap().is_empty());
    assert!(
        s.token_grant(&"ab".repeat(32)).await.unwrap().is_none(),
        "a revoked token grants nothing"
    );
    let entries = s.journal_page(o.id, 0, 100).await.unwrap();
    assert!(
        entries
            .iter()
            .all(|e| !e.payload.contains(&"ab".repeat(32))),
        "no secret hash in the journal"
    );
}

pub async fn enrolments_need_an_account_of_the_organisation(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let n = org(s, "norrby").await;
    let anna = s
        .create_person(&actor(), o.id, draft("Anna", None))
        .await
        .unwrap();
    let account = s
        .create_account(
            &actor(),
            o.id,
            anna.id,
            EmailAddress::parse("anna@lillby.se").unwrap(),
            Role::Member,
        )
        .await
        .unwrap();
    let expires = chrono::Utc::now() + chrono::Duration::days(7);
    s.create_enrolment(&actor(), o.id, account.id, "11".repeat(32), expires)
        .await
        .unwrap();
    let err = s
        .create_enrolment(&actor(), n.id, account.id, "22".repeat(32), expires)
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::NotFound);
    let last = s.journal_page(o.id, 0, 100).await.unwrap().pop().unwrap();
    assert_eq!(last.kind, "enrolment.issued");
    assert!(!last.payload.contains(&"11".repeat(32)));
}

pub async fn concurrent_writes_all_land_with_a_gapless_chain(db: &TestDb) {
    let store = db.store.clone();
    let o = org(store.as_ref(), "lillby").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let store = store.clone();
        tasks.spawn(async move {
            store
                .create_person(
                    &actor(),
                    o.id,
                    draft(&format!("Person {i:02}"), Some(&i.to_string())),
                )
                .await
                .unwrap()
                .id
        });
    }
    let mut ids = Vec::new();
    while let Some(id) = tasks.join_next().await {
        ids.push(id.unwrap());
    }
    let people = store.list_people(o.id).await.unwrap();
    assert_eq!(people.len(), 64);
    for id in ids {
        assert!(people.iter().any(|p| p.id == id));
    }
    assert_gapless_chain(store.as_ref(), &o, 65).await;
}

/// Each node commits an organisation's waiting writes together; two nodes' batches still
/// take turns on the one chain.
pub async fn two_nodes_writing_one_organisation_keep_one_gapless_chain(db: &TestDb) {
    let a = db.store.clone();
    let b = db.another_node().await;
    let o = org(a.as_ref(), "lillby").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let node = match i % 2 {
            0 => a.clone(),
            _ => b.clone(),
        };
        tasks.spawn(async move {
            // One write per node conflicts with another's external id and must fail alone.
            let external = match i {
                62 | 63 => "0".to_owned(),
                i => i.to_string(),
            };
            node.create_person(
                &actor(),
                o.id,
                draft(&format!("Person {i:02}"), Some(&external)),
            )
            .await
        });
    }
    let mut failed = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => failed += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    // Person 00 may land after 62 or 63: whichever came last of the three failed.
    assert_eq!(failed, 2);
    assert_eq!(a.list_people(o.id).await.unwrap().len(), 62);
    assert_gapless_chain(b.as_ref(), &o, 63).await;
}

/// Writes queued behind a stalled writer, to go as one batch. On PostgreSQL the
/// organisation's journal head is held by another connection and the writer waits for it
/// with a write of its own, taken alone; each write `queue`d after that waits in line
/// until `release`. On SQLite the writes simply run in order.
pub(crate) struct QueuedBatch<T> {
    held: Option<sqlx::PgConnection>,
    writes: tokio::task::JoinSet<Result<T, StoreError>>,
}

impl<T: Send + 'static> QueuedBatch<T> {
    /// Long enough for a spawned write to reach the writer's queue.
    const PAUSE: std::time::Duration = std::time::Duration::from_millis(200);

    pub(crate) async fn behind_a_stalled_writer(db: &TestDb, o: &Org, stalling: T) -> Self {
        let held = db.hold_journal_head(o.id).await;
        let mut queued = QueuedBatch {
            held,
            writes: tokio::task::JoinSet::new(),
        };
        let (s, org) = (db.store.clone(), o.id);
        queued
            .queue(async move {
                s.create_person(&actor(), org, draft("Stalling", None))
                    .await
                    .map(|_| stalling)
            })
            .await;
        queued
    }

    pub(crate) async fn queue(
        &mut self,
        write: impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    ) {
        self.writes.spawn(write);
        tokio::time::sleep(Self::PAUSE).await;
    }

    /// Lets the writer go on; every write's answer, in the order they finished.
    pub(crate) async fn release(mut self) -> Vec<T> {
        TestDb::release_journal_head(self.held.take()).await;
        let mut answers = Vec::new();
        while let Some(done) = self.writes.join_next().await {
            answers.push(done.unwrap().unwrap());
        }
        answers
    }
}

/// A dry run appends to the journal and takes it back inside its own savepoint. Writes
/// after it in the same batch must chain on from the head as it really is, not as the
/// batch last knew it.
pub async fn writes_after_a_dry_run_in_their_batch_chain_on_from_the_real_head(db: &TestDb) {
    let s = db.store.clone();
    let o = org(s.as_ref(), "lillby").await;
    let rows = parse_people_csv(CSV_V1.as_bytes(), Region::Se).unwrap();
    let mut batch = QueuedBatch::behind_a_stalled_writer(db, &o, 0).await;
    let person = |name: &str| {
        let (s, name) = (s.clone(), name.to_owned());
        async move {
            s.create_person(&actor(), o.id, draft(&name, None))
                .await
                .map(|_| 0)
        }
    };
    batch.queue(person("Before")).await;
    let dry = s.clone();
    batch
        .queue(async move {
            dry.import_people(&actor(), o.id, rows, true)
                .await
                .map(|report| report.created.len())
        })
        .await;
    batch.queue(person("After 1")).await;
    batch.queue(person("After 2")).await;
    let dry_run_created: usize = batch.release().await.into_iter().sum();
    assert_eq!(dry_run_created, 3);
    assert_eq!(s.list_people(o.id).await.unwrap().len(), 4);
    assert_gapless_chain(s.as_ref(), &o, 5).await;
}

pub async fn a_failing_write_in_a_batch_does_not_affect_the_others(db: &TestDb) {
    let store = db.store.clone();
    let o = org(store.as_ref(), "lillby").await;
    store
        .create_person(&actor(), o.id, draft("Taken", Some("taken")))
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let store = store.clone();
        tasks.spawn(async move {
            // Every fourth write conflicts with the existing person's external id.
            let external = if i % 4 == 0 {
                "taken".to_string()
            } else {
                format!("p{i}")
            };
            (
                i,
                store
                    .create_person(&actor(), o.id, draft(&format!("P{i}"), Some(&external)))
                    .await,
            )
        });
    }
    while let Some(res) = tasks.join_next().await {
        let (i, result) = res.unwrap();
        if i % 4 == 0 {
            assert!(
                matches!(result, Err(StoreError::Conflict { .. })),
                "{i}: {result:?}"
            );
        } else {
            assert!(result.is_ok(), "{i}: {result:?}");
        }
    }
    assert_eq!(store.list_people(o.id).await.unwrap().len(), 31);
    assert_eq!(assert_chain_ok(store.as_ref(), &o).await, 32);
}

pub async fn the_journal_refuses_updates_and_deletes(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let err = db
        .try_raw("UPDATE journal SET actor = 'mallory'")
        .await
        .unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    let err = db.try_raw("DELETE FROM journal").await.unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    assert_chain_ok(s, &o).await;
}

pub async fn tampering_with_the_journal_is_detected(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    for i in 0..5 {
        s.create_person(&actor(), o.id, draft(&format!("P{i}"), None))
            .await
            .unwrap();
    }
    assert_eq!(assert_chain_ok(s, &o).await, 6);
    db.tamper("UPDATE journal SET payload = replace(payload, 'P2', 'PX') WHERE seq = 4")
        .await;
    let broken = verify_journal(s, o.id).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 4);
    assert!(broken.problem.contains("edited"), "{broken}");
    db.tamper("DELETE FROM journal WHERE seq = 4").await;
    let broken = verify_journal(s, o.id).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 4);
    assert!(broken.problem.contains("missing"), "{broken}");
}

pub async fn organisations_have_separate_chains(db: &TestDb) {
    let s = db.store();
    let a = org(s, "lillby").await;
    let b = org(s, "norrby").await;
    s.create_person(&actor(), a.id, draft("A", None))
        .await
        .unwrap();
    s.create_person(&actor(), b.id, draft("B", None))
        .await
        .unwrap();
    s.create_person(&actor(), a.id, draft("C", None))
        .await
        .unwrap();
    assert_eq!(assert_chain_ok(s, &a).await, 3);
    assert_eq!(assert_chain_ok(s, &b).await, 2);
    let b_entries = s.journal_page(b.id, 0, 10).await.unwrap();
    assert!(b_entries.iter().all(|e| e.org_id == b.id));
}

pub async fn writes_to_an_unknown_organisation_are_not_found(db: &TestDb) {
    let s = db.store();
    let nowhere = beredskap_core::OrgId::new();
    let err = s
        .create_person(&actor(), nowhere, draft("Anna", None))
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::NotFound);
    let group = NewGroup {
        slug: Slug::parse("krisledning").unwrap(),
        name: "K".into(),
    };
    assert_eq!(
        s.create_group(&actor(), nowhere, group).await.unwrap_err(),
        StoreError::NotFound
    );
    let rows = parse_people_csv(CSV_V1.as_bytes(), Region::Se).unwrap();
    assert_eq!(
        s.import_people(&actor(), nowhere, rows, false)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
}

async fn account_in(s: &dyn Store, o: &Org, login: &str) -> beredskap_core::register::Account {
    let p = s
        .create_person(&actor(), o.id, draft(login, None))
        .await
        .unwrap();
    s.create_account(
        &actor(),
        o.id,
        p.id,
        EmailAddress::parse(login).unwrap(),
        Role::Member,
    )
    .await
    .unwrap()
}

fn new_credentials() -> NewCredentials {
    NewCredentials {
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        totp_secret: Some(b"12345678901234567890".to_vec()),
        totp_last_step: Some(50),
        recovery_codes: vec![
            ("AAAA".into(), "hash-a".into()),
            ("BBBB".into(), "hash-b".into()),
        ],
    }
}

pub async fn an_enrolment_link_works_once_and_sets_every_credential(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let account = account_in(s, &o, "anna@lillby.se").await;
    let now = chrono::Utc::now();
    s.create_enrolment(
        &actor(),
        o.id,
        account.id,
        "e1".repeat(32),
        now + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    let pending = s.enrolment(&"e1".repeat(32)).await.unwrap().unwrap();
    assert_eq!(pending.account, account);
    assert!(pending.used_at.is_none());
    assert!(s.enrolment(&"zz".repeat(32)).await.unwrap().is_none());

    let enrolled = s
        .complete_enrolment(&"e1".repeat(32), new_credentials(), now)
        .await
        .unwrap();
    assert_eq!(enrolled, account);
    let c = s.credentials(o.id, account.id).await.unwrap();
    assert_eq!(
        c.password_hash.as_deref(),
        Some(new_credentials().password_hash.as_str())
    );
    assert_eq!(c.totp_secret.as_deref(), Some(&b"12345678901234567890"[..]));
    assert_eq!(c.recovery_codes_left, 2);

    let err = s
        .complete_enrolment(&"e1".repeat(32), new_credentials(), now)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::invalid("link", beredskap_core::Problem::AlreadyUsed)
    );
    let entries = s.journal_page(o.id, 0, 100).await.unwrap();
    let last = entries.last().unwrap();
    assert_eq!(last.kind, "enrolment.completed");
    assert!(
        !last.payload.contains("argon2") && !last.payload.contains("hash-a"),
        "{}",
        last.payload
    );
    assert_chain_ok(s, &o).await;
}

pub async fn an_expired_enrolment_link_changes_nothing(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let account = account_in(s, &o, "anna@lillby.se").await;
    let now = chrono::Utc::now();
    s.create_enrolment(
        &actor(),
        o.id,
        account.id,
        "e2".repeat(32),
        now - chrono::Duration::minutes(1),
    )
    .await
    .unwrap();
    let before = journal_len(s, &o).await;
    let err = s
        .complete_enrolment(&"e2".repeat(32), new_credentials(), now)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::invalid("link", beredskap_core::Problem::Expired)
    );
    assert_eq!(
        s.credentials(o.id, account.id).await.unwrap(),
        Default::default()
    );
    assert!(s
        .enrolment(&"e2".repeat(32))
        .await
        .unwrap()
        .unwrap()
        .used_at
        .is_none());
    assert_eq!(journal_len(s, &o).await, before);
    let err = s
        .complete_enrolment(&"e3".repeat(32), new_credentials(), now)
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::NotFound);
}

async fn enrolled(s: &dyn Store, o: &Org, login: &str) -> beredskap_core::register::Account {
    let account = account_in(s, o, login).await;
    let secret = format!("{:0<64}", login.len());
    let now = chrono::Utc::now();
    s.create_enrolment(
        &actor(),
        o.id,
        account.id,
        secret.clone(),
        now + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    s.complete_enrolment(&secret, new_credentials(), now)
        .await
        .unwrap()
}

pub async fn totp_steps_and_recovery_codes_are_used_once(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let a = enrolled(s, &o, "anna@lillby.se").await;
    assert!(
        !s.use_totp_step(o.id, a.id, 50).await.unwrap(),
        "the step that confirmed the app"
    );
    assert!(s.use_totp_step(o.id, a.id, 100).await.unwrap());
    assert!(
        !s.use_totp_step(o.id, a.id, 100).await.unwrap(),
        "replayed step"
    );
    assert!(
        !s.use_totp_step(o.id, a.id, 99).await.unwrap(),
        "older step"
    );
    assert!(s.use_totp_step(o.id, a.id, 101).await.unwrap());
    assert_eq!(
        s.credentials(o.id, a.id).await.unwrap().totp_last_step,
        Some(101)
    );

    assert_eq!(
        s.recovery_code_hash(o.id, a.id, "AAAA")
            .await
            .unwrap()
            .as_deref(),
        Some("hash-a")
    );
    assert!(s
        .use_recovery_code(&actor(), o.id, a.id, "AAAA")
        .await
        .unwrap());
    assert!(!s
        .use_recovery_code(&actor(), o.id, a.id, "AAAA")
        .await
        .unwrap());
    assert!(s
        .recovery_code_hash(o.id, a.id, "AAAA")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        s.credentials(o.id, a.id).await.unwrap().recovery_codes_left,
        1
    );

    let other = org(s, "norrby").await;
    assert_eq!(
        s.credentials(other.id, a.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.use_totp_step(other.id, a.id, 500).await.unwrap_err(),
        StoreError::NotFound
    );
    s.set_password(&actor(), o.id, a.id, "$argon2id$new".into())
        .await
        .unwrap();
    let c = s.credentials(o.id, a.id).await.unwrap();
    assert_eq!(c.password_hash.as_deref(), Some("$argon2id$new"));
    assert!(
        c.totp_secret.is_some(),
        "changing the password keeps the second factor"
    );
    assert_chain_ok(s, &o).await;
}

pub async fn sessions_live_until_expiry_or_revocation(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let a = enrolled(s, &o, "anna@lillby.se").await;
    let now = chrono::Utc::now();
    let new = |secret: &str| NewSession {
        id: SessionId::new(),
        secret_hash: secret.repeat(32),
        account: a.clone(),
        expires_at: now + chrono::Duration::hours(8),
        second_factor: Some(SecondFactor::Totp),
        user_agent: "Firefox".into(),
        ip: "192.0.2.1".into(),
    };
    let first = s.create_session(new("s1")).await.unwrap();
    let second = s.create_session(new("s2")).await.unwrap();
    let (found, account) = s
        .session_by_secret(&"s1".repeat(32), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, account.id), (first.id, a.id));
    assert_eq!(found.second_factor, Some(SecondFactor::Totp));
    assert!(s
        .session_by_secret(&"s1".repeat(32), now + chrono::Duration::hours(9))
        .await
        .unwrap()
        .is_none());
    let later = now + chrono::Duration::minutes(5);
    s.touch_session(first.id, later).await.unwrap();
    let (touched, _) = s
        .session_by_secret(&"s1".repeat(32), now)
        .await
        .unwrap()
        .unwrap();
    assert!(touched.last_seen_at > first.last_seen_at);
    let listed: Vec<_> = s
        .list_sessions(o.id, a.id, now)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(listed, [second.id, first.id], "newest first");

    let other = org(s, "norrby").await;
    assert!(
        !s.revoke_session(&actor(), other.id, first.id)
            .await
            .unwrap(),
        "not another org's"
    );
    assert!(s.revoke_session(&actor(), o.id, first.id).await.unwrap());
    assert!(!s.revoke_session(&actor(), o.id, first.id).await.unwrap());
    assert!(s
        .session_by_secret(&"s1".repeat(32), now)
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.list_sessions(o.id, a.id, now).await.unwrap().len(), 1);
    s.record_sign_in_failure(
        o.id,
        None,
        "mallory@evil.example",
        "unknown login",
        "198.51.100.7",
    )
    .await
    .unwrap();
    let kinds: Vec<String> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(
        kinds.ends_with(&[
            "signin.succeeded".into(),
            "signin.succeeded".into(),
            "session.revoked".into(),
            "signin.failed".into()
        ]),
        "{kinds:?}"
    );
    assert_chain_ok(s, &o).await;
}

pub async fn pending_sign_ins_expire_and_count_attempts(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let a = enrolled(s, &o, "anna@lillby.se").await;
    let now = chrono::Utc::now();
    let later = now + chrono::Duration::minutes(10);
    s.create_pending_sign_in(&"p1".repeat(32), &a, later, None)
        .await
        .unwrap();
    let (account, attempts, code) = s
        .pending_sign_in(&"p1".repeat(32), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((account.id, attempts, code), (a.id, 0, None));
    s.create_pending_sign_in(&"p2".repeat(32), &a, later, Some("code-hash"))
        .await
        .unwrap();
    let pending = s.pending_sign_in(&"p2".repeat(32), now).await.unwrap();
    assert_eq!(pending.unwrap().2.as_deref(), Some("code-hash"));
    let p1 = "p1".repeat(32);
    assert_eq!(
        s.reserve_pending_attempt(&p1, 3, now).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        s.reserve_pending_attempt(&p1, 3, now).await.unwrap(),
        Some(2)
    );
    assert_eq!(
        s.pending_sign_in(&"p1".repeat(32), now)
            .await
            .unwrap()
            .unwrap()
            .1,
        2
    );
    assert!(s
        .pending_sign_in(&"p1".repeat(32), now + chrono::Duration::minutes(11))
        .await
        .unwrap()
        .is_none());
    s.delete_pending_sign_in(&"p1".repeat(32)).await.unwrap();
    assert!(s
        .pending_sign_in(&"p1".repeat(32), now)
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.reserve_pending_attempt(&p1, 3, now).await.unwrap(), None);
}

/// Attempts at one pending sign-in sent at once: exactly `max` are let through, however
/// many arrive together, and none once it expired.
pub async fn pending_attempts_are_reserved_atomically(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let a = enrolled(s, &o, "anna@lillby.se").await;
    let now = chrono::Utc::now();
    let hash = "p3".repeat(32);
    s.create_pending_sign_in(&hash, &a, now + chrono::Duration::minutes(10), None)
        .await
        .unwrap();
    let burst = (0..30).map(|_| s.reserve_pending_attempt(&hash, 5, now));
    let granted = futures_util::future::join_all(burst)
        .await
        .into_iter()
        .map(Result::unwrap)
        .filter(Option::is_some)
        .count();
    assert_eq!(granted, 5);
    let expired = "p4".repeat(32);
    s.create_pending_sign_in(&expired, &a, now, None)
        .await
        .unwrap();
    assert_eq!(
        s.reserve_pending_attempt(&expired, 5, now).await.unwrap(),
        None
    );
}

pub async fn failures_lock_a_key_for_growing_windows(db: &TestDb) {
    use beredskap_core::auth::{AttemptReservation, ThrottlePolicy};
    let s = db.store();
    let now = beredskap_core::journal::now();
    let key = "login:lillby:anna@lillby.se";
    let keys = [(key.to_owned(), ThrottlePolicy::ACCOUNT)];
    assert_eq!(s.throttle(key).await.unwrap(), Default::default());
    let lockout = |r: AttemptReservation| match r {
        AttemptReservation::Granted(reserved) => reserved.lockout,
        AttemptReservation::Locked { until } => panic!("locked until {until}"),
    };
    for n in 1..=4 {
        let r = s.reserve_attempt(&keys, now).await.unwrap();
        assert_eq!(lockout(r), None);
        assert_eq!(s.throttle(key).await.unwrap().failures, n);
    }
    // The fifth attempt is still checked, and counting it locks the key for 30 s.
    let fifth = s.reserve_attempt(&keys, now).await.unwrap();
    let until = now + chrono::Duration::seconds(30);
    assert_eq!(lockout(fifth), Some(until));
    assert_eq!(
        s.reserve_attempt(&keys, now).await.unwrap(),
        AttemptReservation::Locked { until },
        "locked: nothing more is counted or checked"
    );
    assert_eq!(s.throttle(key).await.unwrap().failures, 5);
    // After the lock, the next failure locks for twice as long.
    let later = until + chrono::Duration::seconds(1);
    let sixth = s.reserve_attempt(&keys, later).await.unwrap();
    let AttemptReservation::Granted(sixth) = sixth else {
        panic!("the lock had expired")
    };
    assert_eq!(sixth.lockout, Some(later + chrono::Duration::seconds(60)));
    let stored = s.throttle(key).await.unwrap();
    assert_eq!(stored.failures, 6);
    assert_eq!(
        stored.blocked_at(later),
        Some(chrono::Duration::seconds(60))
    );
    // The sixth was the right password after all: its count and the lock it started go.
    s.refund_attempt(&sixth).await.unwrap();
    let stored = s.throttle(key).await.unwrap();
    assert_eq!(stored.failures, 5);
    assert_eq!(stored.blocked_at(later), None);
    assert_eq!(
        s.throttle("ip:192.0.2.1").await.unwrap().failures,
        0,
        "keys are separate"
    );
    s.clear_throttle(key).await.unwrap();
    assert_eq!(s.throttle(key).await.unwrap(), Default::default());
}

/// Thirty attempts at once under a key whose limit is five: five are granted, the rest
/// find it locked, and a key locked under one policy takes back what the others counted.
pub async fn attempts_are_reserved_atomically(db: &TestDb) {
    use beredskap_core::auth::{AttemptReservation, ThrottlePolicy};
    let s = db.store();
    let now = beredskap_core::journal::now();
    let login = (
        "login:lillby:anna@lillby.se".to_owned(),
        ThrottlePolicy::ACCOUNT,
    );
    let ip = ("ip:192.0.2.7".to_owned(), ThrottlePolicy::ADDRESS);
    let keys = [login.clone(), ip.clone()];
    let burst = (0..30).map(|_| s.reserve_attempt(&keys, now));
    let results: Vec<_> = futures_util::future::join_all(burst)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let granted: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            AttemptReservation::Granted(reserved) => Some(reserved.clone()),
            AttemptReservation::Locked { .. } => None,
        })
        .collect();
    assert_eq!(granted.len(), 5, "{results:?}");
    assert_eq!(s.throttle(&login.0).await.unwrap().failures, 5);
    assert_eq!(
        s.throttle(&ip.0).await.unwrap().failures,
        5,
        "a locked login counts nothing under the address"
    );
    // A refund (the secret was right) takes the count back and lifts a lock it started.
    let locking = granted.iter().find(|r| r.lockout.is_some()).unwrap();
    s.refund_attempt(locking).await.unwrap();
    let after = s.throttle(&login.0).await.unwrap();
    assert_eq!((after.failures, after.blocked_until), (4, None));
    assert_eq!(s.throttle(&ip.0).await.unwrap().failures, 4);
}

pub async fn passkeys_are_kept_per_account_and_ceremonies_used_once(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let a = enrolled(s, &o, "anna@lillby.se").await;
    let now = beredskap_core::journal::now();
    let added = s
        .add_passkey(&actor(), o.id, a.id, "cred-1", "{\"counter\":0}", "Telefon")
        .await
        .unwrap();
    let err = s
        .add_passkey(&actor(), o.id, a.id, "cred-1", "{}", "Again")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict(beredskap_core::store::Conflict::PasskeyCredential)
    );
    s.passkey_used(a.id, "cred-1", "{\"counter\":1}", now)
        .await
        .unwrap();
    let listed = s.passkeys(o.id, a.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id, listed[0].passkey.as_str()),
        (added.id, "{\"counter\":1}")
    );
    assert_eq!(listed[0].last_used_at, Some(now));
    let other = org(s, "norrby").await;
    assert_eq!(
        s.passkeys(other.id, a.id).await.unwrap_err(),
        StoreError::NotFound
    );

    // Renamed and removed only by way of its own account.
    let b = enrolled(s, &o, "bo@lillby.se").await;
    let rename = |name: &str| beredskap_core::auth::PasskeyChange::Rename(name.into());
    assert!(!s
        .change_passkey(&actor(), o.id, b.id, added.id, rename("Stulen"))
        .await
        .unwrap());
    assert!(s
        .change_passkey(&actor(), o.id, a.id, added.id, rename("Jobbtelefon"))
        .await
        .unwrap());
    assert!(matches!(
        s.change_passkey(&actor(), o.id, a.id, added.id, rename(" "))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(s.passkeys(o.id, a.id).await.unwrap()[0].name, "Jobbtelefon");
    let remove = beredskap_core::auth::PasskeyChange::Remove;
    assert!(s
        .change_passkey(&actor(), o.id, a.id, added.id, remove.clone())
        .await
        .unwrap());
    assert!(!s
        .change_passkey(&actor(), o.id, a.id, added.id, remove)
        .await
        .unwrap());
    assert!(s.passkeys(o.id, a.id).await.unwrap().is_empty());

    s.save_ceremony("c1", a.id, "state-1", now + chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        s.take_ceremony("c1", now).await.unwrap(),
        Some((a.id, "state-1".into()))
    );
    assert_eq!(s.take_ceremony("c1", now).await.unwrap(), None, "used once");
    s.save_ceremony("c2", a.id, "state-2", now + chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        s.take_ceremony("c2", now + chrono::Duration::minutes(6))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert!(s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .iter()
        .any(|e| e.kind == "credentials.passkey_added"));
    let kinds: Vec<_> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| k.starts_with("credentials.passkey_re"))
            .count(),
        2,
        "one rename, one removal: {kinds:?}"
    );
}

pub async fn sign_in_settings_start_strict_and_are_journaled(db: &TestDb) {
    use beredskap_core::register::OrgSettings;
    let s = db.store();
    let o = org(s, "lillby").await;
    assert_eq!(
        o.settings(),
        OrgSettings {
            fallback_sign_in: false,
            members_need_second_factor: true,
            time_zone: None,
            language: None,
        }
    );
    assert_eq!(
        o.zone().name(),
        "Europe/Stockholm",
        "a Swedish organisation's clock"
    );
    let relaxed = OrgSettings {
        fallback_sign_in: true,
        members_need_second_factor: false,
        time_zone: Some(beredskap_core::TimeZone::parse("Europe/Helsinki").unwrap()),
        language: Some("nb".into()),
    };
    assert_eq!(o.language_code(), "sv", "a Swedish organisation's language");
    let updated = s
        .update_org_settings(&actor(), o.id, relaxed.clone())
        .await
        .unwrap();
    assert_eq!(updated.settings(), relaxed);
    assert_eq!(updated.language_code(), "nb");
    assert!(!updated.needs_second_factor(Role::Member));
    assert!(
        updated.needs_second_factor(Role::CrisisLead),
        "crisis leads always"
    );
    assert_eq!(
        s.org_by_slug(&o.slug).await.unwrap().unwrap().settings(),
        relaxed
    );
    assert_eq!(s.list_orgs().await.unwrap()[0].settings(), relaxed);
    let last = s.journal_page(o.id, 0, 10).await.unwrap().pop().unwrap();
    assert_eq!(last.kind, "org.settings_changed");
    assert_eq!(
        last.payload,
        r#"{"fallback_sign_in":true,"language":"nb","members_need_second_factor":false,"time_zone":"Europe/Helsinki"}"#
    );
    let err = s
        .update_org_settings(&actor(), beredskap_core::OrgId::new(), relaxed.clone())
        .await
        .unwrap_err();
    assert_eq!(err, StoreError::NotFound);
}

mod alerting;
mod continuity;
mod conversation;
mod directory;
pub use alerting::*;
pub use continuity::*;
pub use conversation::*;
pub use directory::*;

pub async fn a_person_keeps_the_language_they_chose(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let a = account_in(s, &o, "anna@lillby.se").await;
    assert_eq!(a.language, None);
    s.set_account_language(&actor(), o.id, a.id, Some("da".into()))
        .await
        .unwrap();
    let login = EmailAddress::parse("anna@lillby.se").unwrap();
    let stored = s.account_by_login(o.id, &login).await.unwrap().unwrap();
    assert_eq!(stored.language.as_deref(), Some("da"));
    match s
        .set_account_language(&actor(), o.id, a.id, Some("<script>".into()))
        .await
        .unwrap_err()
    {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "language"),
        other => panic!("{other:?}"),
    }
    let other = org(s, "norrby").await;
    assert_eq!(
        s.set_account_language(&actor(), other.id, a.id, None)
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
}

/// The settings behind "an acknowledged write is on disk", read back from the connection
/// that writes: WAL with a full sync on every commit in SQLite, a synchronous commit with
/// fsync in PostgreSQL. The kill -9 tests show commit-before-answer; these show the commit
/// waits for the disk.
pub async fn acknowledged_writes_wait_for_the_disk(db: &TestDb) {
    let s = db.store();
    let settings: std::collections::HashMap<String, String> =
        s.durability().await.unwrap().into_iter().collect();
    let expected: &[(&str, &str)] = match s.backend() {
        "sqlite" => &[("synchronous", "FULL"), ("journal_mode", "wal")],
        _ => &[
            ("synchronous_commit", "on"),
            ("fsync", "on"),
            ("full_page_writes", "on"),
        ],
    };
    for (name, value) in expected {
        assert_eq!(
            settings.get(*name).map(String::as_str),
            Some(*value),
            "{name} on {}: {settings:?}",
            s.backend()
        );
    }
}
