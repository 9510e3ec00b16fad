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
