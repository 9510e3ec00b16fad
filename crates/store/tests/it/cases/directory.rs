//! The contact directory's external contacts.

use super::*;
use beredskap_core::contacts::{parse_contacts_csv, ContactDraft};

fn contact(name: &str, phone: &str) -> ContactDraft {
    ContactDraft {
        name: name.into(),
        organisation: None,
        phone: Some(phone.into()),
        email: None,
        call_for: "avbrott".into(),
        category: None,
    }
}

pub async fn external_contacts_are_replaced_whole_in_file_order_and_journaled(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    assert!(s.external_contacts(o.id).await.unwrap().is_empty());
    let csv = "name,organisation,phone,email,call_for,category\n\
               SOS Alarm,,112,,livshotande läge,Myndigheter\n\
               Driftstörning,Telia,020-20 20 20,drift@telia.example,fiberavbrott,Leverantörer\n";
    let rows = parse_contacts_csv(csv.as_bytes(), Region::Se).unwrap();
    let drafts: Vec<_> = rows.into_iter().map(|r| r.contact).collect();
    assert_eq!(
        s.replace_external_contacts(&actor(), o.id, drafts.clone())
            .await
            .unwrap(),
        2
    );
    let kept = s.external_contacts(o.id).await.unwrap();
    let names: Vec<&str> = kept.iter().map(|c| c.contact.name.as_str()).collect();
    assert_eq!(names, ["SOS Alarm", "Driftstörning"], "the file's order");
    assert_eq!(kept[1].contact, drafts[1], "every field kept");
    assert!(kept.iter().all(|c| c.org_id == o.id));
    // Another organisation's list is its own.
    s.replace_external_contacts(&actor(), other.id, vec![contact("Eon", "+46701740605")])
        .await
        .unwrap();
    assert_eq!(s.external_contacts(o.id).await.unwrap().len(), 2);
    // A new import is the whole list: what it lacks is gone.
    s.replace_external_contacts(&actor(), o.id, vec![contact("Vattenfall", "+46701740606")])
        .await
        .unwrap();
    let kept = s.external_contacts(o.id).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].contact.name, "Vattenfall");
    let journal = s.journal_page(o.id, 0, 100).await.unwrap();
    let replaced: Vec<_> = journal
        .iter()
        .filter(|e| e.kind == "contacts.replaced")
        .map(|e| e.payload.clone())
        .collect();
    assert_eq!(replaced.len(), 2);
    assert!(replaced[1].contains("\"before\":2") && replaced[1].contains("\"after\":1"));
    assert!(verify_journal(s, o.id).await.unwrap().is_ok());
    // An unknown organisation's contacts cannot be written.
    let unknown = beredskap_core::OrgId(uuid::Uuid::new_v4());
    assert!(matches!(
        s.replace_external_contacts(&actor(), unknown, vec![]).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn bulk_activation_makes_accounts_queues_links_and_lists_who_cannot_be_reached(
    db: &TestDb,
) {
    use beredskap_core::activation::{
        NewActivation, PlannedSend, SendPlan, SendStatus, Unreachable,
    };
    use beredskap_core::alerting::DeliveryOutcome;
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let person = |name: &str| {
        let name = name.to_owned();
        async move {
            s.create_person(&actor(), o.id, draft(&name, None))
                .await
                .unwrap()
        }
    };
    let (anna, bo, cia, dan, eva, fia) = (
        person("Anna").await,
        person("Bo").await,
        person("Cia").await,
        person("Dan").await,
        person("Eva").await,
        person("Fia").await,
    );
    let login = |l: &str| EmailAddress::parse(l).unwrap();
    // Anna has activated; Bo has an account but never chose a password; Dan's address is
    // Anna's login already.
    let anna_account = s
        .create_account(
            &actor(),
            o.id,
            anna.id,
            login("anna@lillby.se"),
            Role::CrisisLead,
        )
        .await
        .unwrap();
    s.create_enrolment(
        &actor(),
        o.id,
        anna_account.id,
        "a1".repeat(32),
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    s.complete_enrolment(&"a1".repeat(32), new_credentials(), chrono::Utc::now())
        .await
        .unwrap();
    let bo_account = s
        .create_account(&actor(), o.id, bo.id, login("bo@lillby.se"), Role::Member)
        .await
        .unwrap();
    let send = |who: &beredskap_core::register::Person, l: Option<&str>, to: &str| PlannedSend {
        person_id: who.id,
        plan: SendPlan::Send {
            login: l.map(login),
            channel: ContactKind::Sms,
            address: to.into(),
        },
    };
    let planned = vec![
        send(&anna, Some("anna@lillby.se"), "+46701000001"),
        send(&bo, None, "+46701000002"),
        send(&cia, Some("cia@lillby.se"), "+46701000003"),
        send(&dan, Some("anna@lillby.se"), "+46701000004"),
        PlannedSend {
            person_id: eva.id,
            plan: SendPlan::Unreachable(Unreachable::NoAddress),
        },
        send(&fia, None, "+46701000006"),
    ];
    let new = |planned| NewActivation {
        group: None,
        role: Role::Member,
        started_by: Some(anna.id),
        planned,
    };
    // Someone of another organisation in the plan: nothing is started.
    let mut foreign = planned.clone();
    let stranger = s
        .create_person(&actor(), other.id, draft("Främling", None))
        .await
        .unwrap();
    foreign.push(send(&stranger, Some("x@storby.se"), "+46701000009"));
    let before = journal_len(s, &o).await;
    assert!(matches!(
        s.start_activation(&actor(), o.id, new(foreign), chrono::Utc::now())
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(journal_len(s, &o).await, before, "nothing half-applied");
    assert!(s.activation_batches(o.id).await.unwrap().is_empty());

    let now = chrono::Utc::now();
    let batch = s
        .start_activation(&actor(), o.id, new(planned.clone()), now)
        .await
        .unwrap();
    assert_eq!(batch.started_by, Some(anna.id));
    let (_, sends) = s.activation_batch(o.id, batch.id).await.unwrap();
    let line = |who: PersonId| sends.iter().find(|l| l.person_id == who);
    assert!(line(anna.id).is_none(), "an activated account gets nothing");
    let bo_line = line(bo.id).unwrap();
    assert_eq!(bo_line.status, SendStatus::Waiting);
    assert_eq!(
        bo_line.account_id,
        Some(bo_account.id),
        "Bo keeps his account"
    );
    let cia_line = line(cia.id).unwrap();
    assert_eq!(cia_line.status, SendStatus::Waiting);
    let cia_account = s
        .account_by_login(o.id, &login("cia@lillby.se"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cia_line.account_id, Some(cia_account.id));
    assert_eq!(
        (cia_account.person_id, cia_account.role),
        (cia.id, Role::Member)
    );
    assert_eq!(
        line(dan.id).unwrap().status,
        SendStatus::Unreachable(Unreachable::LoginTaken)
    );
    assert_eq!(
        line(eva.id).unwrap().status,
        SendStatus::Unreachable(Unreachable::NoAddress)
    );
    assert_eq!(
        line(fia.id).unwrap().status,
        SendStatus::Unreachable(Unreachable::NoLogin)
    );
    assert!(sends.iter().all(|l| !l.activated));

    // Started again at once: links already on their way are not sent twice.
    let again = s
        .start_activation(&actor(), o.id, new(planned), now)
        .await
        .unwrap();
    let (_, second) = s.activation_batch(o.id, again.id).await.unwrap();
    let waiting: Vec<PersonId> = second
        .iter()
        .filter(|l| l.status == SendStatus::Waiting)
        .map(|l| l.person_id)
        .collect();
    assert!(waiting.is_empty(), "{waiting:?}");
    let batches = s.activation_batches(o.id).await.unwrap();
    assert_eq!(
        batches.iter().map(|b| b.id).collect::<Vec<_>>(),
        [again.id, batch.id]
    );
    assert!(s.activation_batches(other.id).await.unwrap().is_empty());
    assert!(matches!(
        s.activation_batch(other.id, batch.id).await,
        Err(StoreError::NotFound)
    ));

    // The worker claims each waiting link once, and records what became of it.
    let lease = chrono::Duration::seconds(30);
    let claimed = s.claim_activation_sends(now, 10, lease).await.unwrap();
    let mut ids: Vec<PersonId> = claimed.iter().map(|l| l.person_id).collect();
    ids.sort();
    let mut expected = vec![bo.id, cia.id];
    expected.sort();
    assert_eq!(ids, expected, "unreachable lines are never claimed");
    assert!(s
        .claim_activation_sends(now, 10, lease)
        .await
        .unwrap()
        .is_empty());
    for l in &claimed {
        assert!(s.activation_send_wanted(l.id).await.unwrap());
        let outcome = match l.person_id == bo.id {
            true => DeliveryOutcome::Sent {
                provider: "sms-gateway".into(),
                provider_ref: String::new(),
            },
            false => DeliveryOutcome::Failed {
                error: "number refused".into(),
            },
        };
        assert!(s.finish_activation_send(l.id, outcome, now).await.unwrap());
    }
    // Bo activates with the link he got.
    s.create_enrolment(
        &actor(),
        o.id,
        bo_account.id,
        "b1".repeat(32),
        now + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    s.complete_enrolment(&"b1".repeat(32), new_credentials(), now)
        .await
        .unwrap();
    let (_, sends) = s.activation_batch(o.id, batch.id).await.unwrap();
    let bo_line = sends.iter().find(|l| l.person_id == bo.id).unwrap();
    assert_eq!(bo_line.status, SendStatus::Sent);
    assert!(bo_line.sent_at.is_some() && bo_line.activated);
    let cia_line = sends.iter().find(|l| l.person_id == cia.id).unwrap();
    assert_eq!(cia_line.status, SendStatus::Failed);
    assert_eq!(cia_line.last_error.as_deref(), Some("number refused"));
    assert!(!cia_line.activated);
    // A link that failed may be tried again in a new batch.
    let retry = s
        .start_activation(
            &actor(),
            o.id,
            new(vec![send(&cia, Some("cia@lillby.se"), "+46701000003")]),
            now,
        )
        .await
        .unwrap();
    let (_, lines) = s.activation_batch(o.id, retry.id).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0].account_id,
        Some(cia_account.id),
        "no second account"
    );

    let entries = s.journal_page(o.id, 0, 1000).await.unwrap();
    let started: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == "activation.started")
        .collect();
    assert_eq!(started.len(), 3);
    assert!(
        !started[0].payload.contains("+4670"),
        "no addresses in the journal: {}",
        started[0].payload
    );
    assert_chain_ok(s, &o).await;
}
