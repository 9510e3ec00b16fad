//! Conformance cases for channels, messages, threads, reactions and announcements.

use super::{actor, org};
use beredskap_core::conversation::{
    Channel, ChannelKind, MessageChange, NewChannel, NewMessage, Page,
};
use beredskap_core::register::{Account, Org, Role};
use beredskap_core::store::StoreError;
use beredskap_core::{ChannelId, EmailAddress, MessageId, PersonId, Store};

use crate::harness::TestDb;

async fn person(s: &dyn Store, o: &Org, login: &str, role: Role) -> Account {
    let p = s
        .create_person(&actor(), o.id, super::draft(login, None))
        .await
        .unwrap();
    s.create_account(
        &actor(),
        o.id,
        p.id,
        EmailAddress::parse(login).unwrap(),
        role,
    )
    .await
    .unwrap()
}

fn channel(kind: ChannelKind, name: &str, members: Vec<beredskap_core::AccountId>) -> NewChannel {
    NewChannel {
        kind,
        name: name.into(),
        classification: "Intern".into(),
        group_id: None,
        members,
    }
}

/// An organisation, Anna (a member) and an organisation-wide channel she created.
async fn anna_in_a_channel(s: &dyn Store) -> (Org, Account, Channel) {
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let c = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Org, "Alla", vec![]),
        )
        .await
        .unwrap();
    (o, anna, c)
}

fn message(channel: ChannelId, body: &str) -> NewMessage {
    NewMessage {
        channel,
        thread_root: None,
        body: body.into(),
        announcement: false,
        mentions: Vec::new(),
        attachments: Vec::new(),
        idempotency_key: None,
        send_out: None,
    }
}

/// A group of `members` named by `slug`, and its channel, made by `creator`.
async fn group_channel(
    s: &dyn Store,
    o: &Org,
    creator: &Account,
    slug: &str,
    members: Vec<PersonId>,
) -> (
    beredskap_core::GroupId,
    beredskap_core::conversation::Channel,
) {
    let group = s
        .create_group(
            &actor(),
            o.id,
            beredskap_core::register::NewGroup {
                slug: beredskap_core::Slug::parse(slug).unwrap(),
                name: slug.to_uppercase(),
            },
        )
        .await
        .unwrap();
    s.set_group_members(&actor(), o.id, group.id, members)
        .await
        .unwrap();
    let mut new = channel(ChannelKind::Group, &format!("Kanal {slug}"), vec![]);
    new.group_id = Some(group.id);
    let c = s
        .create_channel(&actor(), o.id, creator.id, new)
        .await
        .unwrap();
    (group.id, c)
}

fn newest(limit: u32) -> Page {
    Page {
        before: None,
        limit,
    }
}

pub async fn channels_are_seen_by_kind_and_membership(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let guest = person(s, &o, "gast@partner.se", Role::Guest).await;
    let all = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Org, "Alla", vec![]),
        )
        .await
        .unwrap();
    let direct = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Direct, "Anna och gästen", vec![guest.id]),
        )
        .await
        .unwrap();
    let names = |cs: Vec<beredskap_core::conversation::Channel>| {
        cs.into_iter().map(|c| c.name).collect::<Vec<_>>()
    };
    assert_eq!(
        names(s.channels_for(o.id, anna.id).await.unwrap()),
        ["Alla", "Anna och gästen"]
    );
    assert_eq!(names(s.channels_for(o.id, bo.id).await.unwrap()), ["Alla"]);
    // A guest sees only what they are invited to, not the organisation-wide channel.
    assert_eq!(
        names(s.channels_for(o.id, guest.id).await.unwrap()),
        ["Anna och gästen"]
    );
    assert_eq!(
        s.channel_for(o.id, guest.id, all.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.channel_for(o.id, bo.id, direct.id).await.unwrap_err(),
        StoreError::NotFound
    );
    assert_eq!(
        s.post_message(&actor(), o.id, guest.id, message(all.id, "hej"))
            .await
            .unwrap_err(),
        StoreError::NotFound,
        "a guest cannot post where they cannot read"
    );
    let mut audience = vec![anna.id, bo.id];
    audience.sort();
    assert_eq!(s.channel_audience(o.id, all.id).await.unwrap(), audience);

    // Invited later, the guest sees the channel.
    s.add_channel_members(&actor(), o.id, anna.id, all.id, vec![guest.id])
        .await
        .unwrap();
    assert!(s.channel_for(o.id, guest.id, all.id).await.is_ok());
    // Someone who cannot see a channel cannot add people to it.
    assert_eq!(
        s.add_channel_members(&actor(), o.id, bo.id, direct.id, vec![bo.id])
            .await
            .unwrap_err(),
        StoreError::NotFound
    );
    // Members must be accounts of the organisation; the error names which one.
    let other = org(s, "norrby").await;
    let outsider = person(s, &other, "x@norrby.se", Role::Member).await;
    match s
        .add_channel_members(&actor(), o.id, anna.id, all.id, vec![bo.id, outsider.id])
        .await
        .unwrap_err()
    {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "members[1]"),
        other => panic!("{other:?}"),
    }
    let kinds: Vec<_> = s
        .journal_page(o.id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "channel.created").count(), 2);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "channel.members_added")
            .count(),
        1
    );
}

pub async fn posts_are_ordered_threaded_and_land_once(db: &TestDb) {
    let s = db.store();
    let (o, anna, c) = anna_in_a_channel(s).await;
    let mut first = message(c.id, "Servern är nere.");
    first.idempotency_key = Some("k-1".into());
    let posted = s
        .post_message(&actor(), o.id, anna.id, first.clone())
        .await
        .unwrap();
    assert!(posted.created);
    let (head, _) = s.journal_head(o.id).await.unwrap();
    assert_eq!(
        posted.message.seq, head,
        "the message's seq is its journal entry"
    );

    // A retry with the same key lands once.
    let again = s
        .post_message(&actor(), o.id, anna.id, first.clone())
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.message.id, posted.message.id);
    assert_eq!(
        s.journal_head(o.id).await.unwrap().0,
        head,
        "nothing new written"
    );
    let mut reused = first.clone();
    reused.body = "Något annat".into();
    assert_eq!(
        s.post_message(&actor(), o.id, anna.id, reused)
            .await
            .unwrap_err(),
        StoreError::Conflict(beredskap_core::store::Conflict::MessageIdempotencyKey)
    );

    // Answers join the first message's thread, answers to answers too.
    let mut answer = message(c.id, "Vi jobbar på det.");
    answer.thread_root = Some(posted.message.id);
    let answer = s
        .post_message(&actor(), o.id, anna.id, answer)
        .await
        .unwrap()
        .message;
    let mut deeper = message(c.id, "Tack!");
    deeper.thread_root = Some(answer.id);
    let deeper = s
        .post_message(&actor(), o.id, anna.id, deeper)
        .await
        .unwrap()
        .message;
    assert_eq!(deeper.thread_root, Some(posted.message.id));
    let mut stray = message(c.id, "?");
    stray.thread_root = Some(MessageId::new());
    match s
        .post_message(&actor(), o.id, anna.id, stray)
        .await
        .unwrap_err()
    {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "thread_root"),
        other => panic!("{other:?}"),
    }

    let second = s
        .post_message(&actor(), o.id, anna.id, message(c.id, "Andra"))
        .await
        .unwrap()
        .message;
    let page = s
        .channel_messages(o.id, anna.id, c.id, newest(10))
        .await
        .unwrap();
    let bodies: Vec<_> = page.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["Servern är nere.", "Andra"],
        "top level, oldest first"
    );
    assert_eq!(page[0].replies, 2);
    let older = s
        .channel_messages(
            o.id,
            anna.id,
            c.id,
            Page {
                before: Some(second.seq),
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(older.len(), 1);
    let (one, its_channel) = s.message_for(o.id, anna.id, answer.id).await.unwrap();
    assert_eq!((one.id, its_channel.id), (answer.id, c.id));
    let names = s
        .display_names(
            o.id,
            vec![anna.id, anna.id, beredskap_core::AccountId::new()],
        )
        .await
        .unwrap();
    assert_eq!(names.len(), 1, "each known account once: {names:?}");
    assert_eq!(names[&anna.id], "anna@lillby.se");
    let thread = s.thread(o.id, anna.id, answer.id).await.unwrap();
    let bodies: Vec<_> = thread.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["Servern är nere.", "Vi jobbar på det.", "Tack!"]);
}

pub async fn edits_keep_every_version_and_deletions_are_soft(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let lead = person(s, &o, "lead@lillby.se", Role::CrisisLead).await;
    let c = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Org, "Alla", vec![]),
        )
        .await
        .unwrap();
    let m = s
        .post_message(&actor(), o.id, anna.id, message(c.id, "Möte 14.00"))
        .await
        .unwrap()
        .message;
    let edited = s
        .change_message(
            &actor(),
            o.id,
            anna.id,
            m.id,
            MessageChange::Edit("Möte 15.00".into()),
        )
        .await
        .unwrap();
    assert_eq!((edited.body.as_str(), edited.version), ("Möte 15.00", 2));
    assert!(edited.edited_at.is_some());
    assert!(matches!(
        s.change_message(
            &actor(),
            o.id,
            bo.id,
            m.id,
            MessageChange::Edit("Inställt".into())
        )
        .await
        .unwrap_err(),
        StoreError::Forbidden(_)
    ));
    // Whether someone else may delete it is the use case's rule (beredskap_app).
    let deleted = s
        .change_message(&actor(), o.id, lead.id, m.id, MessageChange::Delete)
        .await
        .unwrap();
    assert!(deleted.deleted_at.is_some());
    assert_eq!(deleted.body, "");
    // Once deleted, the versions are for the records view (administrators only: the use
    // case's rule, beredskap_app).
    let admin = person(s, &o, "admin@lillby.se", Role::Admin).await;
    let versions: Vec<_> = s
        .message_versions(o.id, admin.id, m.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(v, body, _)| (v, body))
        .collect();
    assert_eq!(
        versions,
        [(1, "Möte 14.00".to_owned()), (2, "Möte 15.00".to_owned())],
        "deletion keeps every version"
    );
    match s
        .change_message(
            &actor(),
            o.id,
            anna.id,
            m.id,
            MessageChange::Edit("x".into()),
        )
        .await
        .unwrap_err()
    {
        StoreError::Conflict(c) => assert_eq!(c, beredskap_core::store::Conflict::MessageDeleted),
        other => panic!("{other:?}"),
    }
    let journal = s.journal_page(o.id, 0, 100).await.unwrap();
    let posted = journal.iter().find(|e| e.kind == "message.posted").unwrap();
    assert!(
        posted.payload.contains("Möte 14.00"),
        "the journal keeps the text"
    );
    assert!(journal.iter().any(|e| e.kind == "message.deleted"));
}

pub async fn reactions_count_once_and_mentions_stay_in_the_audience(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let guest = person(s, &o, "gast@partner.se", Role::Guest).await;
    let c = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Org, "Alla", vec![]),
        )
        .await
        .unwrap();
    let mut new = message(c.id, "@bo @gast titta här");
    new.mentions = vec![bo.id, guest.id];
    let m = s
        .post_message(&actor(), o.id, anna.id, new)
        .await
        .unwrap()
        .message;
    assert_eq!(m.mentions, [bo.id], "the guest cannot see the channel");
    for who in [anna.id, bo.id, bo.id] {
        s.change_message(&actor(), o.id, who, m.id, MessageChange::React("👍".into()))
            .await
            .unwrap();
    }
    let m = s
        .change_message(
            &actor(),
            o.id,
            anna.id,
            m.id,
            MessageChange::React("✅".into()),
        )
        .await
        .unwrap();
    assert_eq!(m.reactions.len(), 2);
    assert_eq!(m.reactions[0].emoji, "👍");
    assert_eq!(m.reactions[0].accounts, [anna.id, bo.id]);
    let m = s
        .change_message(
            &actor(),
            o.id,
            bo.id,
            m.id,
            MessageChange::Unreact("👍".into()),
        )
        .await
        .unwrap();
    assert_eq!(m.reactions[0].accounts, [anna.id]);
    let page = s
        .channel_messages(o.id, bo.id, c.id, newest(5))
        .await
        .unwrap();
    assert_eq!(page[0].mentions, [bo.id]);
    assert_eq!(page[0].reactions, m.reactions);
}

pub async fn announcements_keep_a_roster_of_who_confirmed(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let lead = person(s, &o, "lead@lillby.se", Role::CrisisLead).await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    person(s, &o, "gast@partner.se", Role::Guest).await;
    let c = s
        .create_channel(
            &actor(),
            o.id,
            lead.id,
            channel(ChannelKind::Org, "Alla", vec![]),
        )
        .await
        .unwrap();
    let mut new = message(c.id, "Använd inte e-posten förrän vidare.");
    new.announcement = true;
    let a = s
        .post_message(&actor(), o.id, lead.id, new)
        .await
        .unwrap()
        .message;
    let roster = s.receipts(o.id, a.id).await.unwrap();
    let mut sent: Vec<_> = roster.iter().map(|r| r.account_id).collect();
    let mut expected = vec![anna.id, bo.id];
    sent.sort();
    expected.sort();
    assert_eq!(sent, expected, "everyone who can see it but the sender");
    assert!(roster
        .iter()
        .all(|r| r.seen_at.is_none() && r.confirmed_at.is_none()));
    assert_eq!(
        s.unconfirmed_announcements(o.id, anna.id).await.unwrap()[0].id,
        a.id
    );

    s.change_message(&actor(), o.id, anna.id, a.id, MessageChange::Seen)
        .await
        .unwrap();
    s.change_message(&actor(), o.id, bo.id, a.id, MessageChange::Confirm)
        .await
        .unwrap();
    // Confirming twice is harmless and journals once.
    s.change_message(&actor(), o.id, bo.id, a.id, MessageChange::Confirm)
        .await
        .unwrap();
    let roster = s.receipts(o.id, a.id).await.unwrap();
    let of = |id| roster.iter().find(|r| r.account_id == id).unwrap();
    assert!(of(anna.id).seen_at.is_some() && of(anna.id).confirmed_at.is_none());
    assert!(of(bo.id).seen_at.is_some() && of(bo.id).confirmed_at.is_some());
    assert!(s
        .unconfirmed_announcements(o.id, bo.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.unconfirmed_announcements(o.id, anna.id)
            .await
            .unwrap()
            .len(),
        1
    );
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
            .filter(|k| *k == "announcement.confirmed")
            .count(),
        1
    );
    let plain = s
        .post_message(&actor(), o.id, lead.id, message(c.id, "vanlig"))
        .await
        .unwrap()
        .message;
    assert!(matches!(
        s.change_message(&actor(), o.id, anna.id, plain.id, MessageChange::Confirm)
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));
}

pub async fn attachments_are_seen_with_their_message(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let c = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Direct, "Anna", vec![]),
        )
        .await
        .unwrap();
    let file = s
        .add_attachment(
            &actor(),
            o.id,
            anna.id,
            beredskap_core::conversation::NewAttachment {
                sha256: "ab".repeat(32),
                size: 3,
                content_type: "text/plain; charset=utf-8".into(),
                filename: "a.txt".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        s.attachment_for(o.id, anna.id, file.id).await.unwrap(),
        file
    );
    assert_eq!(
        s.attachment_for(o.id, bo.id, file.id).await.unwrap_err(),
        StoreError::NotFound
    );
    let mut new = message(c.id, "fil");
    new.attachments = vec![file.id];
    let m = s
        .post_message(&actor(), o.id, anna.id, new.clone())
        .await
        .unwrap()
        .message;
    assert_eq!(m.attachments[0].filename, "a.txt");
    assert_eq!(
        s.channel_messages(o.id, anna.id, c.id, newest(5))
            .await
            .unwrap()[0]
            .attachments,
        m.attachments
    );
    // Still only for those who see the channel.
    assert_eq!(
        s.attachment_for(o.id, bo.id, file.id).await.unwrap_err(),
        StoreError::NotFound
    );
    s.add_channel_members(&actor(), o.id, anna.id, c.id, vec![bo.id])
        .await
        .unwrap();
    assert_eq!(
        s.attachment_for(o.id, bo.id, file.id)
            .await
            .unwrap()
            .message_id,
        Some(m.id)
    );
    // A file goes on one message only; a refused post leaves nothing behind.
    new.body = "igen".into();
    let before = s.journal_head(o.id).await.unwrap().0;
    match s
        .post_message(&actor(), o.id, anna.id, new)
        .await
        .unwrap_err()
    {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "attachments[0]"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.journal_head(o.id).await.unwrap().0, before);
    assert_eq!(
        s.channel_messages(o.id, anna.id, c.id, newest(5))
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn group_channels_start_with_the_group_and_labels_are_set_per_organisation(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let cecilia = person(s, &o, "cecilia@lillby.se", Role::Member).await;
    let (_, c) = group_channel(s, &o, &anna, "krisledning", vec![bo.person_id]).await;
    let mut audience = vec![anna.id, bo.id];
    audience.sort();
    assert_eq!(s.channel_audience(o.id, c.id).await.unwrap(), audience);
    assert!(s.channel_for(o.id, cecilia.id, c.id).await.is_err());

    assert_eq!(o.classifications, ["Öppen", "Intern", "Begränsad"]);
    let changed = s
        .set_classifications(&actor(), o.id, vec!["Öppen".into(), " Sekretess ".into()])
        .await
        .unwrap();
    assert_eq!(changed.classifications, ["Öppen", "Sekretess"]);
    assert_eq!(
        s.org(o.id).await.unwrap().unwrap().classifications,
        ["Öppen", "Sekretess"]
    );
    match s
        .set_classifications(&actor(), o.id, vec!["A".into(), "A".into()])
        .await
        .unwrap_err()
    {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "classifications[1]"),
        other => panic!("{other:?}"),
    }
    let dk = s
        .create_org(
            &actor(),
            beredskap_core::register::NewOrg::parse("solby", "Solby", beredskap_core::Region::Dk)
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(dk.classifications, ["Åben", "Intern", "Fortrolig"]);
}

/// An edit and the redaction of its message, waiting in one batch: the redaction finds
/// the journal row the edit made earlier in the same, uncommitted transaction.
pub async fn a_redaction_finds_an_edit_made_in_its_own_batch(db: &TestDb) {
    const SECRET: &str = "19800101-1234";
    let s = db.store.clone();
    let (o, anna, c) = anna_in_a_channel(s.as_ref()).await;
    let m = s
        .post_message(&actor(), o.id, anna.id, message(c.id, "Hej"))
        .await
        .unwrap()
        .message;
    let mut batch = super::QueuedBatch::behind_a_stalled_writer(db, &o, Vec::new()).await;
    let edit = s.clone();
    batch
        .queue(async move {
            edit.change_message(
                &actor(),
                o.id,
                anna.id,
                m.id,
                MessageChange::Edit(format!("Personnummer {SECRET}")),
            )
            .await
            .map(|_| Vec::new())
        })
        .await;
    let redact = s.clone();
    batch
        .queue(async move {
            redact
                .redact_message(&actor(), o.id, m.id, "Personnummer".into())
                .await
                .map(|redacted| redacted.seqs)
        })
        .await;
    let redacted_seqs: Vec<i64> = batch.release().await.concat();
    assert_eq!(redacted_seqs.len(), 2, "the posting and the edit");
    let journal = s.journal_page(o.id, 0, 1000).await.unwrap();
    assert!(
        journal.iter().all(|e| !e.payload.contains(SECRET)),
        "{journal:#?}"
    );
    beredskap_core::store::verify_journal(s.as_ref(), o.id)
        .await
        .unwrap()
        .expect("a redacted journal verifies");
}

/// Posts waiting in one batch, whose journal rows PostgreSQL writes together just before
/// the commit: each posted message still names the journal row that records it.
pub async fn posts_in_one_batch_each_name_their_own_journal_row(db: &TestDb) {
    let s = db.store.clone();
    let (o, anna, c) = anna_in_a_channel(s.as_ref()).await;
    let mut batch = super::QueuedBatch::behind_a_stalled_writer(db, &o, None).await;
    for text in ["Ett", "Två", "Tre", "Fyra"] {
        let post = s.clone();
        batch
            .queue(async move {
                post.post_message(&actor(), o.id, anna.id, message(c.id, text))
                    .await
                    .map(|posted| Some(posted.message))
            })
            .await;
    }
    let posted: Vec<_> = batch.release().await.into_iter().flatten().collect();
    assert_eq!(posted.len(), 4);
    let journal = s.journal_page(o.id, 0, 1000).await.unwrap();
    for m in &posted {
        let row = journal
            .iter()
            .find(|e| e.seq == m.seq)
            .unwrap_or_else(|| panic!("no journal row {} for {:?}", m.seq, m.body));
        assert_eq!(row.kind, "message.posted", "{row:?}");
        assert!(row.payload.contains(&m.id.to_string()), "{row:?}");
    }
    beredskap_core::store::verify_journal(s.as_ref(), o.id)
        .await
        .unwrap()
        .expect("the journal verifies");
}

pub async fn a_redaction_empties_every_copy_and_keeps_the_chain_verifiable(db: &TestDb) {
    const SECRET: &str = "19800101-1234";
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let admin = person(s, &o, "admin@lillby.se", Role::Admin).await;
    let c = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Org, "Alla", vec![]),
        )
        .await
        .unwrap();
    let file = |sha: &str, name: &str| beredskap_core::conversation::NewAttachment {
        sha256: sha.repeat(32),
        size: 3,
        content_type: "text/plain; charset=utf-8".into(),
        filename: name.into(),
    };
    let named = format!("{SECRET}.txt");
    // One file only on the mistaken message, one also on another message.
    let only = s
        .add_attachment(&actor(), o.id, anna.id, file("ab", &named))
        .await
        .unwrap();
    let shared = s
        .add_attachment(&actor(), o.id, anna.id, file("cd", &named))
        .await
        .unwrap();
    let shared_again = s
        .add_attachment(&actor(), o.id, anna.id, file("cd", "lista.txt"))
        .await
        .unwrap();
    let mut mistake = message(c.id, &format!("Personnummer {SECRET}"));
    mistake.attachments = vec![only.id, shared.id];
    let m = s
        .post_message(&actor(), o.id, anna.id, mistake)
        .await
        .unwrap()
        .message;
    let mut other = message(c.id, "Bilaga");
    other.attachments = vec![shared_again.id];
    s.post_message(&actor(), o.id, anna.id, other)
        .await
        .unwrap();
    s.change_message(
        &actor(),
        o.id,
        anna.id,
        m.id,
        MessageChange::Edit(format!("Fel kanal {SECRET}")),
    )
    .await
    .unwrap();
    assert!(s
        .deleted_messages(o.id, vec![m.id])
        .await
        .unwrap()
        .is_empty());

    // Who may redact (administrators only) is the use case's rule (beredskap_app).
    let redacted = s
        .redact_message(&actor(), o.id, m.id, "Personnummer".into())
        .await
        .unwrap();
    assert_eq!(
        redacted.seqs.len(),
        4,
        "the posting, the edit and both uploads"
    );
    assert_eq!(redacted.unreferenced_files, ["ab".repeat(32)]);
    assert!(redacted.message.deleted_at.is_some() && redacted.message.redacted_at.is_some());
    assert_eq!(redacted.message.body, "");
    assert!(redacted.message.attachments.is_empty());
    assert_eq!(
        s.deleted_messages(o.id, vec![m.id]).await.unwrap(),
        [m.id].into_iter().collect()
    );

    // No copy of the text is left: not in the channel, the versions or the journal.
    let versions = s.message_versions(o.id, admin.id, m.id).await.unwrap();
    assert!(
        versions.iter().all(|(_, body, _)| body.is_empty()),
        "{versions:?}"
    );
    let journal = s.journal_page(o.id, 0, 1000).await.unwrap();
    assert!(
        journal.iter().all(|e| !e.payload.contains(SECRET)),
        "{journal:#?}"
    );
    let report = beredskap_core::store::verify_journal(s, o.id)
        .await
        .unwrap()
        .expect("a redacted journal verifies");
    let seqs: Vec<i64> = report.redactions.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, redacted.seqs);
    assert!(report
        .redactions
        .iter()
        .all(|r| r.redaction_seq == redacted.redaction_seq && r.by == actor()));

    // Once only.
    assert!(matches!(
        s.redact_message(&actor(), o.id, m.id, "igen".into())
            .await
            .unwrap_err(),
        StoreError::Conflict { .. }
    ));

    // The database itself allows no other change to the journal: not another row's
    // payload, not a redacted row's other fields.
    let other_seq = journal
        .iter()
        .find(|e| e.kind == "channel.created")
        .unwrap()
        .seq;
    let err = db
        .try_raw(&format!(
            "UPDATE journal SET payload = 'null' WHERE seq = {other_seq}"
        ))
        .await
        .unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    let err = db
        .try_raw(&format!(
            "UPDATE journal SET actor = 'cli:mallory' WHERE seq = {}",
            redacted.seqs[0]
        ))
        .await
        .unwrap_err();
    assert!(err.contains("append-only"), "{err}");

    // Emptying another payload behind the journal's back is reported, not excused.
    db.tamper(&format!(
        "UPDATE journal SET payload = 'null' WHERE seq = {other_seq}"
    ))
    .await;
    let broken = beredskap_core::store::verify_journal(s, o.id)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.seq, other_seq);
    assert!(
        broken.problem.contains("without a journaled redaction"),
        "{broken}"
    );
}

/// A person in the register without an account, with a mobile number.
async fn without_account(s: &dyn Store, o: &Org, name: &str, phone: &str) -> PersonId {
    let mut draft = super::draft(name, None);
    draft.contact_points = vec![beredskap_core::register::ContactPoint {
        kind: beredskap_core::register::ContactKind::Sms,
        label: beredskap_core::register::ContactLabel::Work,
        value: phone.into(),
        verified: true,
    }];
    s.create_person(&actor(), o.id, draft).await.unwrap().id
}

pub async fn an_announcement_sent_out_reaches_people_without_accounts_and_one_roster_has_every_confirmation(
    db: &TestDb,
) {
    use beredskap_core::alerting::{Answer, DeliveryStatus, Schedule};
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::CrisisLead).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let cecilia = person(s, &o, "cecilia@lillby.se", Role::Member).await;
    let eva = without_account(s, &o, "Eva Ek", "+46701000001").await;
    let olle = without_account(s, &o, "Olle Ås", "+46701000002").await;
    let members = vec![anna.person_id, bo.person_id, cecilia.person_id, eva];
    let (_, c) = group_channel(s, &o, &anna, "krisledning", members).await;
    let mut post = message(c.id, "Stabsmöte 08.00 i stabsrummet. Bekräfta att du läst.");
    post.announcement = true;
    post.send_out = Some(beredskap_core::conversation::SendOut {
        schedule: Schedule::once(chrono::Duration::minutes(5)),
        at: beredskap_core::journal::now(),
    });
    let posted = s
        .post_message(&actor(), o.id, anna.id, post)
        .await
        .unwrap()
        .message;

    // One alert carries it, to everyone in the group but its author, account or not; not
    // to Olle, who is outside the group.
    let alert = s
        .announcement_alert(o.id, posted.id)
        .await
        .unwrap()
        .expect("sent out");
    assert_eq!(
        s.alert(o.id, alert).await.unwrap().announcement,
        Some(posted.id)
    );
    let roster = s.alert_roster(o.id, alert).await.unwrap();
    let mut reached: Vec<PersonId> = roster.iter().map(|r| r.person_id).collect();
    reached.sort();
    let mut wanted = vec![bo.person_id, cecilia.person_id, eva];
    wanted.sort();
    assert_eq!(reached, wanted);
    assert!(!reached.contains(&olle) && !reached.contains(&anna.person_id));
    let eva_line = roster.iter().find(|r| r.person_id == eva).unwrap();
    assert_eq!(eva_line.deliveries.len(), 1, "her SMS is planned");
    assert_eq!(eva_line.deliveries[0].status, DeliveryStatus::Pending);
    // It is an announcement, not an alert on the account holders' start pages.
    assert!(s
        .open_alerts_for(o.id, bo.person_id)
        .await
        .unwrap()
        .is_empty());

    // Bo confirms in the app: the alert is answered there too.
    s.change_message(&actor(), o.id, bo.id, posted.id, MessageChange::Confirm)
        .await
        .unwrap();
    // Eva answers by SMS; Cecilia by the link in her email.
    let now = beredskap_core::journal::now();
    let answer = |person, via: &str| Answer {
        person,
        choice: None,
        via: via.into(),
        at: now,
    };
    assert!(s
        .answer_alert(&actor(), o.id, alert, answer(eva, "sms"))
        .await
        .unwrap());
    assert!(s
        .answer_alert(&actor(), o.id, alert, answer(cecilia.person_id, "link"))
        .await
        .unwrap());
    let roster = s.alert_roster(o.id, alert).await.unwrap();
    let via = |p: PersonId| {
        roster
            .iter()
            .find(|r| r.person_id == p)
            .and_then(|r| r.answered_via.clone())
    };
    assert_eq!(via(bo.person_id).as_deref(), Some("web"));
    assert_eq!(via(eva).as_deref(), Some("sms"));
    assert_eq!(via(cecilia.person_id).as_deref(), Some("link"));
    assert!(roster
        .iter()
        .flat_map(|r| &r.deliveries)
        .all(|d| d.status == DeliveryStatus::Cancelled));
    // Cecilia's answer by link confirmed the announcement in the app as well: it is no
    // longer waiting for her, and the app's receipts agree with the roster.
    assert!(s
        .unconfirmed_announcements(o.id, cecilia.id)
        .await
        .unwrap()
        .is_empty());
    let receipts = s.receipts(o.id, posted.id).await.unwrap();
    assert!(
        receipts.iter().all(|r| r.confirmed_at.is_some()),
        "{receipts:?}"
    );
    // The author's live roster hears of both; the alert's journal entry holds no copy of
    // the text, which lives (and is redacted) with the message.
    let journal = s.journal_page(o.id, 0, 1000).await.unwrap();
    let confirmed: Vec<_> = journal
        .iter()
        .filter(|e| e.kind == "announcement.confirmed")
        .map(|e| {
            let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
            payload["account"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(confirmed.len(), 2);
    assert!(confirmed.contains(&cecilia.id.to_string()));
    let sent = journal
        .iter()
        .find(|e| e.kind == "announcement.sent_out")
        .expect("journaled");
    assert!(!sent.payload.contains("stabsrummet"));

    // Posting again with the same key sends nothing more.
    let alerts_before = s.list_alerts(o.id, 10).await.unwrap().len();
    let mut again = message(c.id, "Alla ut");
    again.announcement = true;
    again.send_out = Some(beredskap_core::conversation::SendOut {
        schedule: Schedule::once(chrono::Duration::minutes(5)),
        at: beredskap_core::journal::now(),
    });
    again.idempotency_key = Some("k-2".into());
    s.post_message(&actor(), o.id, anna.id, again.clone())
        .await
        .unwrap();
    s.post_message(&actor(), o.id, anna.id, again)
        .await
        .unwrap();
    let alerts = s.list_alerts(o.id, 10).await.unwrap();
    assert_eq!(alerts.len(), alerts_before + 1);

    // Deleting an announcement withdraws what was still to go out; redacting one takes
    // the text out of its alert too.
    let second = alerts[0].alert.clone();
    assert_ne!(second.id, alert);
    let second_message = second.announcement.unwrap();
    s.change_message(
        &actor(),
        o.id,
        anna.id,
        second_message,
        MessageChange::Delete,
    )
    .await
    .unwrap();
    assert_eq!(
        s.alert(o.id, second.id).await.unwrap().status,
        beredskap_core::alerting::AlertStatus::Cancelled
    );
    assert!(s
        .alert_roster(o.id, second.id)
        .await
        .unwrap()
        .iter()
        .flat_map(|r| &r.deliveries)
        .all(|d| d.status != DeliveryStatus::Pending));
    s.redact_message(&actor(), o.id, posted.id, "fel kanal".into())
        .await
        .unwrap();
    assert_eq!(s.alert(o.id, alert).await.unwrap().message, "");
}

pub async fn a_group_channel_follows_the_group_and_reaches_the_register_when_sent_out(db: &TestDb) {
    use beredskap_core::alerting::Schedule;
    let s = db.store();
    let o = org(s, "lillby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::CrisisLead).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let (group, c) = group_channel(s, &o, &anna, "it", vec![]).await;
    assert!(s.channel_for(o.id, bo.id, c.id).await.is_err());
    // Bo joins the group after the channel was made: he is in its channel.
    s.set_group_members(&actor(), o.id, group, vec![bo.person_id])
        .await
        .unwrap();
    assert!(s.channel_for(o.id, bo.id, c.id).await.is_ok());
    assert!(s
        .channel_audience(o.id, c.id)
        .await
        .unwrap()
        .contains(&bo.id));
    // And leaves with the group; the creator, added by name, stays.
    s.set_group_members(&actor(), o.id, group, vec![])
        .await
        .unwrap();
    assert!(s.channel_for(o.id, bo.id, c.id).await.is_err());
    assert!(s.channel_for(o.id, anna.id, c.id).await.is_ok());

    // An organisation's channel in which only the author has an account: an announcement
    // in the app alone reaches nobody and is refused, but sent out it reaches the
    // register.
    let other = org(s, "norrby").await;
    let lead = person(s, &other, "lead@norrby.se", Role::CrisisLead).await;
    let eva = without_account(s, &other, "Eva Ek", "+46701000001").await;
    let all = s
        .create_channel(
            &actor(),
            other.id,
            lead.id,
            channel(ChannelKind::Org, "Alla", vec![]),
        )
        .await
        .unwrap();
    let mut post = message(all.id, "Stadshuset är stängt i dag.");
    post.announcement = true;
    match s
        .post_message(&actor(), other.id, lead.id, post.clone())
        .await
        .unwrap_err()
    {
        StoreError::Invalid(f) => assert_eq!(f.0[0].field, "announcement"),
        e => panic!("{e:?}"),
    }
    post.send_out = Some(beredskap_core::conversation::SendOut {
        schedule: Schedule::once(chrono::Duration::minutes(5)),
        at: beredskap_core::journal::now(),
    });
    let posted = s
        .post_message(&actor(), other.id, lead.id, post)
        .await
        .unwrap()
        .message;
    let alert = s
        .announcement_alert(other.id, posted.id)
        .await
        .unwrap()
        .unwrap();
    let roster = s.alert_roster(other.id, alert).await.unwrap();
    assert_eq!(
        roster.iter().map(|r| r.person_id).collect::<Vec<_>>(),
        [eva]
    );
    // Another organisation does not find it.
    assert_eq!(s.announcement_alert(o.id, posted.id).await.unwrap(), None);
}

pub async fn messages_are_read_by_id_in_one_go_within_their_organisation(db: &TestDb) {
    let s = db.store();
    let o = org(s, "lillby").await;
    let other = org(s, "storby").await;
    let anna = person(s, &o, "anna@lillby.se", Role::Member).await;
    let bo = person(s, &o, "bo@lillby.se", Role::Member).await;
    let stranger = person(s, &other, "x@storby.se", Role::Member).await;
    let hers = s
        .create_channel(
            &actor(),
            o.id,
            anna.id,
            channel(ChannelKind::Direct, "Anna", vec![]),
        )
        .await
        .unwrap();
    let his = s
        .create_channel(
            &actor(),
            o.id,
            bo.id,
            channel(ChannelKind::Direct, "Bo", vec![]),
        )
        .await
        .unwrap();
    let post = |who: &Account, c: ChannelId, body: &str| {
        let (who, body) = (who.id, body.to_owned());
        async move {
            s.post_message(&actor(), o.id, who, message(c, &body))
                .await
                .unwrap()
                .message
                .id
        }
    };
    let first = post(&anna, hers.id, "Serverhallen är varm").await;
    let hidden = post(&bo, his.id, "Serverhallen i Bos kanal").await;
    let second = post(&anna, hers.id, "Serverhallen svalnar").await;
    let theirs = s
        .create_channel(
            &actor(),
            other.id,
            stranger.id,
            channel(ChannelKind::Direct, "X", vec![]),
        )
        .await
        .unwrap();
    let foreign = s
        .post_message(
            &actor(),
            other.id,
            stranger.id,
            message(theirs.id, "Serverhall"),
        )
        .await
        .unwrap()
        .message
        .id;
    let found = s
        .message_heads(o.id, vec![second, hidden, MessageId::new(), foreign, first])
        .await
        .unwrap();
    let ids: Vec<MessageId> = found.iter().map(|m| m.id).collect();
    assert_eq!(
        ids,
        [second, hidden, first],
        "the order asked, only the organisation's"
    );
    assert_eq!(found[1].channel_id, his.id);
    assert!(!found[0].deleted);
    assert!(s.message_heads(o.id, vec![]).await.unwrap().is_empty());
}
