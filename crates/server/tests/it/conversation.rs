//! The conversation API and live updates over HTTP.

use crate::helpers::{expect_json, TestApp};
use beredskap_core::register::Role;
use beredskap_testkit::EventStream;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
/// How long to wait for an event that must not come.
const QUIET: Duration = Duration::from_millis(300);

impl TestApp {
    async fn channel(&self, token: &str, kind: &str, name: &str, members: Vec<String>) -> String {
        let body =
            json!({"kind": kind, "name": name, "classification": "Intern", "members": members});
        let created = expect_json(
            self.post("/api/v1/orgs/lillby/channels", token, body).await,
            201,
        )
        .await;
        created["id"].as_str().unwrap().to_owned()
    }

    async fn say(&self, token: &str, channel: &str, body: &str) -> Value {
        let url = format!("/api/v1/orgs/lillby/channels/{channel}/messages");
        expect_json(self.post(&url, token, json!({"body": body})).await, 201).await
    }

    async fn account_id(&self, token: &str) -> String {
        let grant = self
            .store
            .token_grant(&beredskap_app::accounts::secret_hash(token))
            .await
            .unwrap()
            .unwrap();
        grant.account.id.to_string()
    }

    async fn events(&self, token: &str, last_seen: Option<i64>) -> EventStream {
        let mut request = self
            .client
            .get(self.url("/api/v1/orgs/lillby/events"))
            .bearer_auth(token);
        if let Some(seq) = last_seen {
            request = request.header("Last-Event-ID", seq.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "server-sent events"
        );
        EventStream::new(response)
    }
}

#[tokio::test]
async fn a_retried_post_lands_once() {
    let app = TestApp::spawn().await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let url = format!("/api/v1/orgs/lillby/channels/{c}/messages");
    let send = || {
        app.client
            .post(app.url(&url))
            .bearer_auth(&app.admin_token)
            .header("Idempotency-Key", "phone-42")
            .json(&json!({"body": "Vattnet är avstängt i stadshuset."}))
            .send()
    };
    let first = expect_json(send().await.unwrap(), 201).await;
    let retry = expect_json(send().await.unwrap(), 200).await;
    assert_eq!(first["id"], retry["id"]);
    let listed = expect_json(app.get(&url, &app.admin_token).await, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // The same key for other words is a mistake, not a retry.
    let other = app
        .client
        .post(app.url(&url))
        .bearer_auth(&app.admin_token)
        .header("Idempotency-Key", "phone-42")
        .json(&json!({"body": "Något annat"}))
        .send()
        .await
        .unwrap();
    let body = expect_json(other, 409).await;
    assert_eq!(body["fields"][0]["field"], "idempotency_key");
    let empty = app
        .post(&url, &app.admin_token, json!({"body": "  "}))
        .await;
    let body = expect_json(empty, 422).await;
    assert_eq!(body["fields"][0]["field"], "body");
}

#[tokio::test]
async fn guests_see_only_what_they_are_invited_to() {
    guests_see_only_what_they_are_invited_to_on(TestApp::spawn().await).await;
}

#[tokio::test]
async fn guests_see_only_what_they_are_invited_to_on_postgres() {
    if let Some(app) = TestApp::spawn_on_postgres("guests_see_only_what_they_are_invited_to").await
    {
        guests_see_only_what_they_are_invited_to_on(app).await;
    }
}

async fn guests_see_only_what_they_are_invited_to_on(app: TestApp) {
    let guest = app.token_for(Role::Guest, "gast@partner.se").await;
    let member = app.token_for(Role::Member, "anna@lillby.se").await;
    let all = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let channels = "/api/v1/orgs/lillby/channels";
    let seen = expect_json(app.get(channels, &guest).await, 200).await;
    assert_eq!(seen, json!([]), "not even the organisation-wide channel");
    let url = format!("/api/v1/orgs/lillby/channels/{all}/messages");
    assert_eq!(app.get(&url, &guest).await.status(), 404);
    assert_eq!(
        app.post(&url, &guest, json!({"body": "hej"}))
            .await
            .status(),
        404
    );
    // Guests create nothing; members cannot make organisation-wide channels.
    let new = json!({"kind": "direct", "name": "G", "classification": "Intern"});
    assert_eq!(app.post(channels, &guest, new).await.status(), 403);
    let wide = json!({"kind": "org", "name": "Alla 2", "classification": "Intern"});
    assert_eq!(app.post(channels, &member, wide).await.status(), 403);
    let bad = json!({"kind": "direct", "name": "x", "classification": "Hemlig"});
    let body = expect_json(app.post(channels, &member, bad).await, 422).await;
    assert_eq!(body["fields"][0]["field"], "classification");

    // Invited, the guest takes part in that channel only.
    let guest_id = app.account_id(&guest).await;
    let shared = app
        .channel(&member, "incident", "Vattenläcka", vec![guest_id])
        .await;
    let seen = expect_json(app.get(channels, &guest).await, 200).await;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    assert_eq!(seen[0]["classification"], "Intern");
    let posted = app.say(&guest, &shared, "Vi är på plats.").await;
    assert_eq!(posted["body"], "Vi är på plats.");
    // The register and the journal stay closed to guests.
    for path in ["people", "groups", "journal"] {
        assert_eq!(
            app.get(&format!("/api/v1/orgs/lillby/{path}"), &guest)
                .await
                .status(),
            403,
            "{path}"
        );
    }
}

#[tokio::test]
async fn edits_deletions_reactions_and_threads() {
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let bo = app.token_for(Role::Member, "bo@lillby.se").await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let m = app.say(&anna, &c, "Möte 14.00 @bo").await;
    assert_eq!(m["mentions"], json!([app.account_id(&bo).await]));
    let id = m["id"].as_str().unwrap();
    let message = format!("/api/v1/orgs/lillby/messages/{id}");
    let edit = |token: &str, body: &str| {
        app.client
            .patch(app.url(&message))
            .bearer_auth(token)
            .json(&json!({ "body": body }))
            .send()
    };
    assert_eq!(edit(&bo, "Inställt").await.unwrap().status(), 403);
    let edited = expect_json(edit(&anna, "Möte 15.00 @bo").await.unwrap(), 200).await;
    assert_eq!(edited["version"], 2);
    let versions = expect_json(app.get(&format!("{message}/versions"), &bo).await, 200).await;
    assert_eq!(versions[0]["body"], "Möte 14.00 @bo");

    let reaction = app.url(&format!("{message}/reactions/%F0%9F%91%8D"));
    let r = app
        .client
        .put(&reaction)
        .bearer_auth(&bo)
        .send()
        .await
        .unwrap();
    let reacted = expect_json(r, 200).await;
    assert_eq!(reacted["reactions"][0]["emoji"], "👍");

    let answer_url = format!("/api/v1/orgs/lillby/channels/{c}/messages");
    let answer = expect_json(
        app.post(
            &answer_url,
            &bo,
            json!({"body": "Jag kommer.", "thread_root": id}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(answer["thread_root"], id);
    let thread = expect_json(app.get(&format!("{message}/thread"), &anna).await, 200).await;
    assert_eq!(thread.as_array().unwrap().len(), 2);
    let top = expect_json(app.get(&answer_url, &anna).await, 200).await;
    assert_eq!(
        top.as_array().unwrap().len(),
        1,
        "answers stay in the thread"
    );
    assert_eq!(top[0]["replies"], 1);

    let r = app
        .client
        .delete(app.url(&message))
        .bearer_auth(&bo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .client
        .delete(app.url(&message))
        .bearer_auth(&anna)
        .send()
        .await
        .unwrap();
    let deleted = expect_json(r, 200).await;
    assert_eq!(deleted["body"], "");
    assert!(deleted["deleted_at"].is_string());
}

#[tokio::test]
async fn announcements_are_confirmed_and_the_sender_sees_the_roster() {
    let app = TestApp::spawn().await;
    let lead = app.token_for(Role::CrisisLead, "lead@lillby.se").await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let c = app.channel(&lead, "org", "Alla", vec![]).await;
    let url = format!("/api/v1/orgs/lillby/channels/{c}/messages");
    let notice = json!({"body": "Använd Beredskap i stället för e-post.", "announcement": true});
    assert_eq!(app.post(&url, &anna, notice.clone()).await.status(), 403);
    let a = expect_json(app.post(&url, &lead, notice).await, 201).await;
    let id = a["id"].as_str().unwrap();
    let unconfirmed = "/api/v1/orgs/lillby/announcements/unconfirmed";
    let mine = expect_json(app.get(unconfirmed, &anna).await, 200).await;
    assert_eq!(mine[0]["id"], id);
    let receipts = format!("/api/v1/orgs/lillby/messages/{id}/receipts");
    assert_eq!(app.get(&receipts, &anna).await.status(), 403);
    let confirm = format!("/api/v1/orgs/lillby/messages/{id}/confirm");
    expect_json(app.post(&confirm, &anna, json!({})).await, 200).await;
    assert_eq!(
        expect_json(app.get(unconfirmed, &anna).await, 200).await,
        json!([])
    );
    let roster = expect_json(app.get(&receipts, &lead).await, 200).await;
    let anna_id = app.account_id(&anna).await;
    let row = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == anna_id.as_str())
        .unwrap();
    assert!(row["seen_at"].is_string() && row["confirmed_at"].is_string());
    let admin_row = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] != anna_id.as_str())
        .unwrap();
    assert!(
        admin_row["confirmed_at"].is_null(),
        "the admin has not confirmed"
    );
}

#[tokio::test]
async fn a_client_that_comes_back_gets_exactly_what_it_missed_then_live_events() {
    a_client_that_comes_back_gets_exactly_what_it_missed_then_live_events_on(
        TestApp::spawn().await,
    )
    .await;
}

#[tokio::test]
async fn a_client_that_comes_back_gets_exactly_what_it_missed_then_live_events_on_postgres() {
    if let Some(app) = TestApp::spawn_on_postgres(
        "a_client_that_comes_back_gets_exactly_what_it_missed_then_live_events",
    )
    .await
    {
        a_client_that_comes_back_gets_exactly_what_it_missed_then_live_events_on(app).await;
    }
}

async fn a_client_that_comes_back_gets_exactly_what_it_missed_then_live_events_on(app: TestApp) {
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let bo = app.token_for(Role::Member, "bo@lillby.se").await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let private = app.channel(&bo, "direct", "Bo och admin", vec![]).await;

    let mut live = app.events(&anna, None).await;
    let first = app.say(&bo, &c, "ett").await;
    let event = live.next(WAIT).await.expect("a live event");
    assert_eq!(event.data["kind"], "message.posted");
    assert_eq!(event.data["data"]["body"], "ett");
    assert_eq!(
        event.id,
        first["seq"].as_i64().unwrap(),
        "id is the message's seq"
    );

    // Anna's phone loses its connection; three things happen, one she may not see.
    drop(live);
    app.say(&bo, &c, "två").await;
    app.say(&bo, &private, "hemligt").await;
    app.say(&bo, &c, "tre").await;
    let mut back = app.events(&anna, Some(event.id)).await;
    let mut bodies = Vec::new();
    let mut ids = vec![event.id];
    for _ in 0..2 {
        let e = back.next(WAIT).await.expect("a missed event");
        bodies.push(e.data["data"]["body"].as_str().unwrap().to_owned());
        ids.push(e.id);
    }
    assert_eq!(
        bodies,
        ["två", "tre"],
        "in order, without what she may not see"
    );
    assert!(back.next(QUIET).await.is_none(), "nothing twice");
    // Then live again.
    app.say(&bo, &c, "fyra").await;
    let e = back.next(WAIT).await.unwrap();
    assert_eq!(e.data["data"]["body"], "fyra");
    ids.push(e.id);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    // Invited to the private channel, she gets its events from then on.
    let anna_id = app.account_id(&anna).await;
    let members = format!("/api/v1/orgs/lillby/channels/{private}/members");
    let r = app.post(&members, &bo, json!({"members": [anna_id]})).await;
    assert_eq!(r.status(), 204);
    let e = back.next(WAIT).await.unwrap();
    assert_eq!(e.data["kind"], "channel.members_added");
    app.say(&bo, &private, "nu får du se").await;
    let e = back.next(WAIT).await.unwrap();
    assert_eq!(e.data["data"]["body"], "nu får du se");
}

#[tokio::test]
async fn many_posts_at_once_arrive_in_order_without_gaps_or_repeats() {
    many_posts_at_once_arrive_in_order_without_gaps_or_repeats_on(TestApp::spawn().await).await;
}

#[tokio::test]
async fn many_posts_at_once_arrive_in_order_without_gaps_or_repeats_on_postgres() {
    if let Some(app) =
        TestApp::spawn_on_postgres("many_posts_at_once_arrive_in_order_without_gaps_or_repeats")
            .await
    {
        many_posts_at_once_arrive_in_order_without_gaps_or_repeats_on(app).await;
    }
}

async fn many_posts_at_once_arrive_in_order_without_gaps_or_repeats_on(app: TestApp) {
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let mut live = app.events(&app.admin_token, None).await;
    let mut posts = tokio::task::JoinSet::new();
    for writer in 0..4 {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/orgs/lillby/channels/{c}/messages")),
            app.admin_token.clone(),
        );
        posts.spawn(async move {
            for i in 0..25 {
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"body": format!("{writer}-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
            }
        });
    }
    while posts.join_next().await.is_some() {}
    let mut ids = Vec::new();
    while ids.len() < 100 {
        ids.push(live.next(WAIT).await.expect("every post arrives").id);
    }
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    assert!(live.next(QUIET).await.is_none());
}

#[tokio::test]
async fn search_finds_word_forms_in_what_the_searcher_may_see() {
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let bo = app.token_for(Role::Member, "bo@lillby.se").await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let private = app.channel(&bo, "direct", "Bo", vec![]).await;
    app.say(&bo, &c, "Vattenledningen har brustit vid två skolor.")
        .await;
    app.say(&bo, &c, "Skolorna i norr är stängda i dag.").await;
    app.say(&bo, &c, "Lunch klockan tolv.").await;
    app.say(&bo, &c, "Källaren i stadshuset är översvämmad.")
        .await;
    app.say(&bo, &private, "Nycklarna till skolorna ligger hos mig.")
        .await;
    let edited = app.say(&bo, &c, "Bussen går som vanligt.").await;
    let deleted = app.say(&bo, &c, "Skolbussen är inställd.").await;
    let url = |id: &Value| {
        format!(
            "/api/v1/orgs/lillby/messages/{}",
            id["id"].as_str().unwrap()
        )
    };
    let r = app
        .client
        .patch(app.url(&url(&edited)))
        .bearer_auth(&bo)
        .json(&json!({"body": "Bussarna är inställda."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .delete(app.url(&url(&deleted)))
        .bearer_auth(&bo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Index what is new (the server's own indexer may have done part of it already).
    while app.search.run_once().await.unwrap() > 0 {}
    assert_eq!(
        app.search.run_once().await.unwrap(),
        0,
        "nothing left to index"
    );

    let search = |token: String, words: &'static str| {
        let app = &app;
        async move {
            let url = format!("/api/v1/orgs/lillby/search?q={}", words.replace(' ', "+"));
            expect_json(app.get(&url, &token).await, 200).await
        }
    };
    // Another form of the word is found, and marked in the passage.
    let flooded = search(anna.clone(), "översvämning").await;
    assert_eq!(flooded.as_array().unwrap().len(), 1, "{flooded}");
    assert!(
        flooded[0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<b>översvämmad</b>"),
        "{flooded}"
    );
    let hits = search(anna.clone(), "skola").await;
    // Each hit says where, by whom and when.
    for hit in hits.as_array().unwrap() {
        assert_eq!(hit["channel_name"], "Alla", "{hit}");
        assert_eq!(hit["author_name"], "bo", "{hit}");
        assert!(hit["posted_at"].is_string(), "{hit}");
    }
    let snippets: Vec<_> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["snippet_html"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        snippets.len(),
        2,
        "skolor and skolorna, not Bo's private note: {snippets:?}"
    );
    assert!(
        snippets.iter().any(|s| s.contains("<b>skolor</b>")),
        "{snippets:?}"
    );
    assert!(
        snippets.iter().any(|s| s.contains("<b>Skolorna</b>")),
        "{snippets:?}"
    );
    // Bo sees his private channel too.
    assert_eq!(
        search(bo.clone(), "skola").await.as_array().unwrap().len(),
        3
    );
    // The edit is found by its new words only, the deleted message not at all.
    assert_eq!(
        search(anna.clone(), "buss").await.as_array().unwrap().len(),
        1
    );
    assert_eq!(search(anna.clone(), "vanligt").await, json!([]));
    assert_eq!(search(anna.clone(), "skolbussen").await, json!([]));
    // All words must match; stray query syntax is not an error.
    assert_eq!(search(anna.clone(), "skolor lunch").await, json!([]));
    assert_eq!(
        search(anna.clone(), "vattenledningen AND (")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let guest = app.token_for(Role::Guest, "gast@partner.se").await;
    assert_eq!(search(guest, "skola").await, json!([]));
}

#[tokio::test]
async fn danish_organisations_get_danish_stemming() {
    use beredskap_core::register::NewOrg;
    use beredskap_core::{Actor, Region};
    let app = TestApp::spawn().await;
    let org = app
        .store
        .create_org(
            &Actor::system(),
            NewOrg::parse("solby", "Solby Kommune", Region::Dk).unwrap(),
        )
        .await
        .unwrap();
    let token = app.token_in(&org, Role::Admin, "it@solby.dk").await;
    let body = json!({"kind": "org", "name": "Alle", "classification": "Intern"});
    let c = expect_json(
        app.post("/api/v1/orgs/solby/channels", &token, body).await,
        201,
    )
    .await;
    let url = format!(
        "/api/v1/orgs/solby/channels/{}/messages",
        c["id"].as_str().unwrap()
    );
    let r = app
        .post(
            &url,
            &token,
            json!({"body": "Bilerne holder ved rådhuset."}),
        )
        .await;
    assert_eq!(r.status(), 201);
    app.search.run_once().await.unwrap();
    let hits = expect_json(
        app.get("/api/v1/orgs/solby/search?q=bil", &token).await,
        200,
    )
    .await;
    assert_eq!(hits.as_array().unwrap().len(), 1, "bil finds bilerne");
    // The other organisation's messages are not searched.
    let hits = expect_json(
        app.get("/api/v1/orgs/lillby/search?q=bil", &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(hits, json!([]));
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[tokio::test]
async fn attachments_are_checked_stored_once_and_fetched_only_by_those_who_may() {
    let app = TestApp::spawn_with(|c| c.attachment_max_mb = 1).await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let bo = app.token_for(Role::Member, "bo@lillby.se").await;
    let guest = app.token_for(Role::Guest, "gast@partner.se").await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let upload = |token: &str, name: &str, bytes: Vec<u8>| {
        app.client
            .post(app.url(&format!("/api/v1/orgs/lillby/attachments?filename={name}")))
            .bearer_auth(token)
            .body(bytes)
            .send()
    };
    let file = expect_json(upload(&anna, "karta.png", PNG.to_vec()).await.unwrap(), 201).await;
    assert_eq!(file["content_type"], "image/png");
    let download = format!(
        "/api/v1/orgs/lillby/attachments/{}",
        file["id"].as_str().unwrap()
    );
    assert_eq!(
        app.get(&download, &anna).await.status(),
        200,
        "the uploader, before posting"
    );
    assert_eq!(
        app.get(&download, &bo).await.status(),
        404,
        "nobody else yet"
    );

    // Bo cannot post Anna's file.
    let url = format!("/api/v1/orgs/lillby/channels/{c}/messages");
    let theirs = json!({"body": "min karta", "attachments": [file["id"]]});
    let body = expect_json(app.post(&url, &bo, theirs.clone()).await, 422).await;
    assert_eq!(body["fields"][0]["field"], "attachments[0]");
    let posted = expect_json(
        app.post(
            &url,
            &anna,
            json!({"body": "Karta över avstängda gator", "attachments": [file["id"]]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(posted["attachments"][0]["filename"], "karta.png");
    let r = app.get(&download, &bo).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    assert_eq!(
        app.get(&download, &guest).await.status(),
        404,
        "not in the channel"
    );
    // Once on a message it cannot be posted again.
    assert_eq!(
        app.post(
            &url,
            &anna,
            json!({"body": "igen", "attachments": [file["id"]]})
        )
        .await
        .status(),
        422
    );

    // Stored once, under its hash, however often it is uploaded.
    expect_json(upload(&bo, "samma.png", PNG.to_vec()).await.unwrap(), 201).await;
    let sha = file["sha256"].as_str().unwrap();
    let dir = app.data_dir().join("attachments").join(&sha[..2]);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // Refused: a program, an empty file, a file over the limit; each names the field.
    for (name, bytes) in [
        ("rapport.pdf", b"MZ\x90\0\x03\0\0\0".to_vec()),
        ("tom.txt", Vec::new()),
        ("stor.txt", vec![b'a'; 1024 * 1024 + 10]),
    ] {
        let body = expect_json(upload(&anna, name, bytes).await.unwrap(), 422).await;
        assert_eq!(body["fields"][0]["field"], "file", "{name}");
    }
    // A deleted message's files go with it.
    let r = app
        .client
        .delete(app.url(&format!(
            "/api/v1/orgs/lillby/messages/{}",
            posted["id"].as_str().unwrap()
        )))
        .bearer_auth(&anna)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.get(&download, &bo).await.status(), 404);
}

/// Every event a stream replays from the start, until it goes quiet.
async fn replay(app: &TestApp, token: &str) -> Vec<Value> {
    let mut stream = app.events(token, Some(0)).await;
    let mut all = Vec::new();
    while let Some(e) = stream.next(QUIET).await {
        all.push(e.data);
    }
    all
}

#[tokio::test]
async fn a_deleted_message_is_gone_for_members_and_a_redaction_takes_it_from_the_journal() {
    const SECRET: &str = "19800101-1234";
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let bo = app.token_for(Role::Member, "bo@lillby.se").await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let m = app.say(&anna, &c, &format!("Personnummer {SECRET}")).await;
    let id = m["id"].as_str().unwrap();
    let message = format!("/api/v1/orgs/lillby/messages/{id}");
    let r = app
        .client
        .patch(app.url(&message))
        .bearer_auth(&anna)
        .json(&json!({ "body": format!("Fel kanal, {SECRET}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.say(&anna, &c, "Förlåt, fel kanal.").await;
    // A guest invited later to an incident channel where the same mistake was made.
    let guest = app.token_for(Role::Guest, "gast@partner.se").await;
    let incident = app.channel(&bo, "incident", "Läcka", vec![]).await;
    let slip = app.say(&bo, &incident, &format!("Anmälare {SECRET}")).await;
    let slip_url = format!(
        "/api/v1/orgs/lillby/messages/{}",
        slip["id"].as_str().unwrap()
    );
    for (url, token) in [(&message, &anna), (&slip_url, &bo)] {
        let r = app
            .client
            .delete(app.url(url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let guest_id = app.account_id(&guest).await;
    let members = format!("/api/v1/orgs/lillby/channels/{incident}/members");
    let r = app
        .post(&members, &bo, json!({"members": [guest_id]}))
        .await;
    assert_eq!(r.status(), 204);

    // Deleted means gone for members, its author and guests alike: no versions, no replay.
    for token in [&anna, &bo] {
        let r = app.get(&format!("{message}/versions"), token).await;
        assert_eq!(r.status(), 403);
    }
    for token in [&anna, &bo, &guest] {
        let events = replay(&app, token).await;
        let text = serde_json::to_string(&events).unwrap();
        assert!(!text.contains(SECRET), "replayed to a member: {text}");
        let deleted_posts = events
            .iter()
            .filter(|e| e["kind"] == "message.posted" && e["data"]["deleted"] == true)
            .count();
        assert!(
            deleted_posts >= 1,
            "the posting is still there, without its text"
        );
    }
    // The records view still has it, for administrators.
    let versions = expect_json(
        app.get(&format!("{message}/versions"), &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(versions[1]["body"], format!("Fel kanal, {SECRET}"));

    // The search index has dropped the deleted text from its results; its files may keep
    // it until segments are merged (tantivy merges in the background, so not asserted).
    while app.search.run_once().await.unwrap() > 0 {}

    // Redaction: administrators only, with a reason.
    let redact = format!("{message}/redact");
    let reason = json!({"reason": "Personnummer i fel kanal"});
    let r = app.post(&redact, &anna, reason.clone()).await;
    assert_eq!(r.status(), 403);
    let body = expect_json(
        app.post(&redact, &app.admin_token, json!({"reason": " "}))
            .await,
        422,
    )
    .await;
    assert_eq!(crate::helpers::error_fields(&body), ["reason"]);
    let redacted = expect_json(
        app.post(&redact, &app.admin_token, reason.clone()).await,
        200,
    )
    .await;
    assert!(redacted["redacted_at"].is_string());
    let again = app.post(&redact, &app.admin_token, reason).await;
    assert_eq!(again.status(), 409, "a redaction happens once");

    let versions = expect_json(
        app.get(&format!("{message}/versions"), &app.admin_token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        versions.as_array().unwrap().len(),
        2,
        "the versions stay, empty"
    );
    assert!(!versions.to_string().contains(SECRET), "{versions}");
    let journal = expect_json(
        app.get("/api/v1/orgs/lillby/journal?limit=1000", &app.admin_token)
            .await,
        200,
    )
    .await;
    let journal_text = journal.to_string();
    assert_eq!(
        journal_text.matches(SECRET).count(),
        1,
        "the incident channel's deleted posting (not redacted), nothing of the redacted message"
    );
    let report = beredskap_core::store::verify_journal(app.store.as_ref(), app.org.id)
        .await
        .unwrap()
        .expect("the chain still verifies");
    let admin = format!("account:{}", app.account_id(&app.admin_token).await);
    let redactions: Vec<_> = report
        .redactions
        .iter()
        .map(|r| r.by.as_str().to_owned())
        .collect();
    assert_eq!(redactions, [admin.clone(), admin], "posting and edit");
    let recorded = journal
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "journal.redacted")
        .expect("the redaction is journaled");
    assert!(recorded["payload"]
        .as_str()
        .unwrap()
        .contains("Personnummer i fel kanal"));

    // Search forgets it too, and its files keep no deleted text.
    assert_eq!(app.search.deleted_documents_kept(), 0);
    while app.search.run_once().await.unwrap() > 0 {}
    let hits = expect_json(
        app.get(
            "/api/v1/orgs/lillby/search?q=personnummer",
            &app.admin_token,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(hits, json!([]));
}

#[tokio::test]
async fn a_long_absence_catches_up_across_pages_while_posts_go_on() {
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let (start, _) = app.store.journal_head(app.org.id).await.unwrap();
    // More than one catch-up page (500 journal entries) while Anna is away.
    const AWAY: usize = 620;
    let url = format!("/api/v1/orgs/lillby/channels/{c}/messages");
    for batch in 0..(AWAY / 20) {
        let posts = (0..20).map(|i| {
            let body = json!({"body": format!("rapport {}", batch * 20 + i)});
            app.post(&url, &app.admin_token, body)
        });
        for r in futures_util::future::join_all(posts).await {
            assert_eq!(r.status(), 201);
        }
    }
    // She comes back; more posts land while her catch-up runs.
    let mut back = app.events(&anna, Some(start)).await;
    let during = (0..30).map(|i| {
        app.post(
            &url,
            &app.admin_token,
            json!({"body": format!("medan {i}")}),
        )
    });
    for r in futures_util::future::join_all(during).await {
        assert_eq!(r.status(), 201);
    }
    let mut seqs = Vec::new();
    while seqs.len() < AWAY + 30 {
        let e = back
            .next(WAIT)
            .await
            .unwrap_or_else(|| panic!("only {} arrived", seqs.len()));
        if e.data["kind"] == "message.posted" {
            seqs.push(e.id);
        }
    }
    // Every post once, in journal order, with no gap: the channel's posts are every entry
    // after `start` here.
    let expected: Vec<i64> = (start + 1..=start + (AWAY + 30) as i64).collect();
    assert_eq!(seqs, expected);
    assert!(back.next(QUIET).await.is_none(), "and nothing after");

    // A client that claims to have seen beyond the head gets what happens from now on.
    let (head, _) = app.store.journal_head(app.org.id).await.unwrap();
    let mut ahead = app.events(&anna, Some(head + 1000)).await;
    app.say(&app.admin_token, &c, "nytt").await;
    let e = ahead.next(WAIT).await.expect("a new post, not silence");
    assert_eq!(
        (e.id, e.data["data"]["body"].as_str()),
        (head + 1, Some("nytt"))
    );
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_its_queue_catches_up_from_the_store() {
    use beredskap_core::conversation::NewMessage;
    use beredskap_server::live::{follow, Hub};
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let anna: beredskap_core::AccountId = app.account_id(&anna).await.parse().unwrap();
    let c: beredskap_core::ChannelId = app
        .channel(&app.admin_token, "org", "Alla", vec![])
        .await
        .parse()
        .unwrap();
    // A hub that keeps 4 events for a subscriber, and a subscriber that reads nothing yet.
    let hub = Hub::with_capacity(app.store.clone(), 4);
    let (head, _) = app.store.journal_head(app.org.id).await.unwrap();
    let (out, mut chunks) = tokio::sync::mpsc::channel(1);
    tokio::spawn(follow(
        app.store.clone(),
        hub.clone(),
        app.org.id,
        anna,
        head,
        out,
    ));
    while hub.live_orgs() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    const POSTS: i64 = 40;
    for i in 0..POSTS {
        let new = NewMessage {
            channel: c,
            thread_root: None,
            body: format!("rapport {i}"),
            announcement: false,
            mentions: Vec::new(),
            attachments: Vec::new(),
            idempotency_key: None,
            send_out: None,
        };
        app.store
            .post_message(&beredskap_core::Actor::system(), app.org.id, anna, new)
            .await
            .unwrap();
        hub.publish(app.org.id).await;
    }
    // Ten times more than the hub keeps went by: reading now, every event still comes,
    // once and in order, the missed ones from the store.
    let mut seqs = Vec::new();
    while seqs.len() < POSTS as usize {
        let chunk = tokio::time::timeout(WAIT, chunks.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} arrived: {seqs:?}", seqs.len()))
            .expect("the stream ended");
        let text = String::from_utf8(chunk.to_vec()).unwrap();
        for line in text.lines() {
            if let Some(id) = line.strip_prefix("id: ") {
                seqs.push(id.parse::<i64>().unwrap());
            }
        }
    }
    let expected: Vec<i64> = (head + 1..=head + POSTS).collect();
    assert_eq!(seqs, expected);
}

/// With thousands of live streams open, an event that woke every one of them would cost
/// thousands of wake-ups: a post goes only to the streams of those who see its channel,
/// and an entry no stream shows (a register change, an answer to an alert) to none.
#[tokio::test]
async fn a_post_wakes_only_the_streams_of_those_who_see_its_channel() {
    use beredskap_core::conversation::NewMessage;
    use beredskap_server::live::{follow, Hub};
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let anna: beredskap_core::AccountId = app.account_id(&anna).await.parse().unwrap();
    let bo = app.token_for(Role::Member, "bo@lillby.se").await;
    let bo_id: beredskap_core::AccountId = app.account_id(&bo).await.parse().unwrap();
    let c: beredskap_core::ChannelId = app
        .channel(&app.admin_token, "org", "Alla", vec![])
        .await
        .parse()
        .unwrap();
    // Bo's channel with the admin, which Anna does not see.
    let private: beredskap_core::ChannelId = app
        .channel(&bo, "direct", "Bo och admin", vec![])
        .await
        .parse()
        .unwrap();
    let hub = Hub::new(app.store.clone());
    let (head, _) = app.store.journal_head(app.org.id).await.unwrap();
    let mut annas = hub.subscribe(app.org.id, anna, [c].into()).await.unwrap();
    let mut bos = hub
        .subscribe(app.org.id, bo_id, [c, private].into())
        .await
        .unwrap();
    let (out, mut chunks) = tokio::sync::mpsc::channel(16);
    tokio::spawn(follow(
        app.store.clone(),
        hub.clone(),
        app.org.id,
        anna,
        head,
        out,
    ));
    let post = |channel, body: String| NewMessage {
        channel,
        thread_root: None,
        body,
        announcement: false,
        mentions: Vec::new(),
        attachments: Vec::new(),
        idempotency_key: None,
        send_out: None,
    };
    let (mut posts, mut private_posts) = (Vec::new(), Vec::new());
    for i in 0..3 {
        // Two register changes, a post in Bo's channel, then a post for everyone.
        for j in 0..2 {
            app.store
                .create_person(
                    &beredskap_core::Actor::system(),
                    app.org.id,
                    beredskap_core::register::PersonDraft {
                        external_id: None,
                        name: format!("Person {i}.{j}"),
                        title: None,
                        active: true,
                        contact_points: Vec::new(),
                    },
                )
                .await
                .unwrap();
        }
        let hidden = app
            .store
            .post_message(
                &beredskap_core::Actor::system(),
                app.org.id,
                bo_id,
                post(private, format!("hemligt {i}")),
            )
            .await
            .unwrap();
        private_posts.push(hidden.message.seq);
        let posted = app
            .store
            .post_message(
                &beredskap_core::Actor::system(),
                app.org.id,
                anna,
                post(c, format!("rapport {i}")),
            )
            .await
            .unwrap();
        posts.push(posted.message.seq);
        hub.publish(app.org.id).await;
    }
    let drain = |sub: &mut beredskap_server::live::Subscription| {
        std::iter::from_fn(|| sub.try_recv().map(|e| e.seq)).collect::<Vec<_>>()
    };
    // Anna's stream got the posts for everyone, nothing else; Bo's got both channels.
    assert_eq!(drain(&mut annas), posts);
    let mut both = [posts.clone(), private_posts].concat();
    both.sort();
    assert_eq!(drain(&mut bos), both);
    // The follower got every post it may show once, in order.
    let mut seqs = Vec::new();
    while seqs.len() < posts.len() {
        let chunk = tokio::time::timeout(WAIT, chunks.recv())
            .await
            .unwrap_or_else(|_| panic!("only {seqs:?} arrived"))
            .expect("the stream ended");
        let text = String::from_utf8(chunk.to_vec()).unwrap();
        seqs.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("id: ")?.parse::<i64>().ok()),
        );
    }
    assert_eq!(seqs, posts);
    // Bo adds Anna to his channel and posts there at once, both before the hub publishes:
    // the hub sends the post to the streams that saw the channel then, not hers, yet her
    // stream, told she sees more now, reads it from the store.
    app.store
        .add_channel_members(
            &beredskap_core::Actor::system(),
            app.org.id,
            bo_id,
            private,
            vec![anna],
        )
        .await
        .unwrap();
    let welcome = app
        .store
        .post_message(
            &beredskap_core::Actor::system(),
            app.org.id,
            bo_id,
            post(private, "välkommen".into()),
        )
        .await
        .unwrap();
    hub.publish(app.org.id).await;
    assert_eq!(
        drain(&mut annas).len(),
        1,
        "only the change of members, not the post"
    );
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        let chunk = tokio::time::timeout(WAIT, chunks.recv())
            .await
            .unwrap_or_else(|_| panic!("only {kinds:?} arrived"))
            .expect("the stream ended");
        let text = String::from_utf8(chunk.to_vec()).unwrap();
        for data in text.lines().filter_map(|l| l.strip_prefix("data: ")) {
            let json: serde_json::Value = serde_json::from_str(data).unwrap();
            kinds.push((
                json["seq"].as_i64().unwrap(),
                json["kind"].as_str().unwrap().to_owned(),
            ));
        }
    }
    assert_eq!(
        kinds,
        [
            (welcome.message.seq - 1, "channel.members_added".to_owned()),
            (welcome.message.seq, "message.posted".to_owned())
        ]
    );
}

#[tokio::test]
async fn people_are_mentioned_by_their_name_as_in_the_register() {
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let erik = beredskap_app::accounts::create_user(
        &app.use_cases(),
        &beredskap_app::Caller::Operator(beredskap_core::Actor::system()),
        &app.org,
        beredskap_app::accounts::NewUser {
            name: "Erik Johansson".into(),
            login: beredskap_core::EmailAddress::parse("ejo@lillby.se").unwrap(),
            role: Role::Member,
            mobile: None,
            private_email: None,
        },
        "http://test",
        72,
    )
    .await
    .unwrap()
    .account;
    let m = app
        .say(&anna, &c, "Kan @erik johansson ta larmet? Tack.")
        .await;
    assert_eq!(m["mentions"], json!([erik.id]));
    // Half a name, or a longer one, mentions nobody.
    for body in ["@Erik kan du?", "@Erik Johanssons bil"] {
        let m = app.say(&anna, &c, body).await;
        assert_eq!(m["mentions"], json!([]), "{body}");
    }
}

#[tokio::test]
async fn an_announcement_nobody_can_read_is_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let c = app.channel(&app.admin_token, "org", "Alla", vec![]).await;
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/channels/{}/messages", c),
            &app.admin_token,
            json!({"body": "Alla till stabsrummet.", "announcement": true}),
        )
        .await;
    let body = expect_json(r, 422).await;
    assert_eq!(body["fields"][0]["field"], "announcement");
    assert_eq!(body["fields"][0]["code"], "no_audience", "{body}");
    // With someone to read it, it goes out.
    app.token_for(Role::Member, "anna@lillby.se").await;
    let r = app
        .post(
            &format!("/api/v1/orgs/lillby/channels/{}/messages", c),
            &app.admin_token,
            json!({"body": "Alla till stabsrummet.", "announcement": true}),
        )
        .await;
    assert_eq!(r.status(), 201);
}

/// The API finds channels by their names as the search page does: other forms and
/// compounds, only channels the caller is in.
#[tokio::test]
async fn search_finds_the_callers_channels_by_their_names() {
    let app = TestApp::spawn().await;
    let anna = app.token_for(Role::Member, "anna@lillby.se").await;
    let bo = app.token_for(Role::Member, "bo@lillby.se").await;
    app.channel(&app.admin_token, "org", "Stabsrummet", vec![])
        .await;
    app.channel(&bo, "direct", "Serverhallen", vec![]).await;
    let names = |token: String, words: &'static str| {
        let app = &app;
        async move {
            let url = format!("/api/v1/orgs/lillby/search/places?q={words}");
            let found = expect_json(app.get(&url, &token).await, 200).await;
            assert_eq!(found["incidents"], json!([]));
            found["channels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names(anna.clone(), "stabsrum").await, ["Stabsrummet"]);
    assert!(
        names(anna.clone(), "serverhall").await.is_empty(),
        "Bo's own"
    );
    assert_eq!(names(bo, "serverhall").await, ["Serverhallen"]);
    let long = "a".repeat(501);
    let r = app
        .get(
            &format!("/api/v1/orgs/lillby/search/places?q={long}"),
            &anna,
        )
        .await;
    assert_eq!(r.status(), 422);
}

/// Two nodes on one PostgreSQL: a post on one reaches a live client of the other by the
/// first node's signal (LISTEN/NOTIFY). The second looks for unsignalled writes only once
/// an hour, so what it passes on, it was told.
#[tokio::test]
async fn a_post_on_one_node_reaches_a_live_client_on_another_at_once() {
    let Some(a) =
        TestApp::spawn_on_postgres("a_post_on_one_node_reaches_a_live_client_on_another").await
    else {
        return;
    };
    let b = a.another_node(|c| c.live_poll_seconds = 3600).await;
    let anna = a.token_for(Role::Member, "anna@lillby.se").await;
    let bo = a.token_for(Role::Member, "bo@lillby.se").await;
    let c = a.channel(&a.admin_token, "org", "Alla", vec![]).await;
    let response = a
        .client
        .get(format!("{}/api/v1/orgs/lillby/events", b.base))
        .bearer_auth(&anna)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "a session of node A is valid on node B"
    );
    let mut on_b = EventStream::new(response);
    for word in ["ett", "två", "tre"] {
        let posted = a.say(&bo, &c, word).await;
        let event = on_b.next(WAIT).await.expect("the post reached node B");
        assert_eq!(event.data["kind"], "message.posted");
        assert_eq!(event.data["data"]["body"], word);
        assert_eq!(event.id, posted["seq"].as_i64().unwrap());
    }
}
