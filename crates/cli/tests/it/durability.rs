//! Every write the server acknowledged survives `kill -9`, and the journal still verifies.

use crate::support::TestEnv;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

const CLIENTS: usize = 16;
/// Kill once this many writes have been acknowledged; clients keep writing past it.
const KILL_AFTER: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9_on_sqlite() {
    acknowledged_writes_survive_kill_9(TestEnv::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9_on_postgres() {
    let Some(env) = TestEnv::postgres("acknowledged_writes_survive_kill_9").await else {
        return;
    };
    acknowledged_writes_survive_kill_9(env).await;
}

async fn acknowledged_writes_survive_kill_9(env: TestEnv) {
    let token = env.org_with_admin().await;
    let server = env.serve().await;
    let url = format!("{}/api/v1/orgs/lillby/people", server.base);
    // Each acknowledged person: the id the server gave and the name it was sent with.
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let client = reqwest::Client::new();
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        let (acked, count, enough) = (acked.clone(), count.clone(), enough.clone());
        clients.spawn(async move {
            for i in 0.. {
                let body = serde_json::json!({
                    "external_id": format!("c{c}-{i}"),
                    "name": format!("Client {c} person {i}"),
                    "contact_points": [{"kind": "sms", "label": "work", "value": "+46701740605"}]
                });
                let Ok(r) = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                else {
                    return; // the server is gone
                };
                if r.status() != 201 {
                    // Refused before the kill is a broken test, not a crash to survive.
                    let status = r.status();
                    if count.load(Ordering::SeqCst) < KILL_AFTER {
                        panic!("write refused before the kill: {status}");
                    }
                    return;
                }
                let Ok(person) = r.json::<serde_json::Value>().await else {
                    return;
                };
                acked.lock().unwrap().push((
                    person["id"].as_str().unwrap().to_owned(),
                    format!("Client {c} person {i}"),
                ));
                if count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                    enough.notify_one();
                }
            }
        });
    }
    // Waits for the writes, but not forever if the clients stop short of them.
    tokio::time::timeout(std::time::Duration::from_secs(120), enough.notified())
        .await
        .expect("the clients stopped before enough writes were acknowledged");
    server.kill_hard().await;
    // A client that panicked (a refused write before the kill) fails the test here.
    while let Some(client) = clients.join_next().await {
        client.expect("a client failed");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);

    let server = env.serve().await;
    let client = reqwest::Client::new();
    for (id, name) in &acked {
        let r = client
            .get(format!("{}/api/v1/orgs/lillby/people/{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged person {id} was lost");
        let person: serde_json::Value = r.json().await.unwrap();
        assert_eq!(person["name"], name.as_str(), "stored as sent");
        assert_eq!(person["contact_points"][0]["value"], "+46701740605");
    }
    // And each is in the journal, once.
    let journal: serde_json::Value = client
        .get(format!(
            "{}/api/v1/orgs/lillby/journal?limit=1000",
            server.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut created = std::collections::HashMap::new();
    let mut after = 0;
    let mut page = journal;
    loop {
        let entries = page.as_array().unwrap().clone();
        for e in &entries {
            if e["kind"] == "person.created" {
                *created
                    .entry(e["subject"].as_str().unwrap().to_owned())
                    .or_insert(0) += 1;
            }
            after = e["seq"].as_i64().unwrap();
        }
        if entries.len() < 1000 {
            break;
        }
        page = client
            .get(format!(
                "{}/api/v1/orgs/lillby/journal?after={after}&limit=1000",
                server.base
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    }
    for (id, _) in &acked {
        assert_eq!(
            created.get(&format!("person:{id}")),
            Some(&1),
            "journal entry of {id}"
        );
    }
    server.kill_hard().await;
    let out = env.ok(&["journal", "verify"]).await;
    assert!(
        out.contains("lillby:") && out.contains("chain intact"),
        "{out}"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_client_resumes_across_a_server_crash() {
    use beredskap_testkit::EventStream;
    use serde_json::json;
    let wait = std::time::Duration::from_secs(10);
    let env = TestEnv::sqlite();
    let token = env.org_with_admin().await;
    let client = reqwest::Client::new();
    let server = env.serve().await;
    let channel: serde_json::Value = client
        .post(format!("{}/api/v1/orgs/lillby/channels", server.base))
        .bearer_auth(&token)
        .json(&json!({"kind": "org", "name": "Alla", "classification": "Intern"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let post = |base: String, body: &'static str| {
        let (client, token, id) = (client.clone(), token.clone(), channel["id"].clone());
        async move {
            let url = format!(
                "{base}/api/v1/orgs/lillby/channels/{}/messages",
                id.as_str().unwrap()
            );
            let r = client
                .post(url)
                .bearer_auth(&token)
                .json(&json!({ "body": body }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
    };
    let follow = |base: String, last: Option<i64>| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let mut request = client
                .get(format!("{base}/api/v1/orgs/lillby/events"))
                .bearer_auth(&token);
            if let Some(seq) = last {
                request = request.header("Last-Event-ID", seq.to_string());
            }
            EventStream::new(request.send().await.unwrap())
        }
    };
    let mut live = follow(server.base.clone(), None).await;
    post(server.base.clone(), "före kraschen").await;
    let seen = live.next(wait).await.expect("live event");
    assert_eq!(seen.data["data"]["body"], "före kraschen");
    // The phone loses its connection; two messages are posted; the server crashes.
    drop(live);
    post(server.base.clone(), "medan telefonen var borta 1").await;
    post(server.base.clone(), "medan telefonen var borta 2").await;
    server.kill_hard().await;

    let server = env.serve().await;
    let mut back = follow(server.base.clone(), Some(seen.id)).await;
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let e = back.next(wait).await.expect("a missed event");
        bodies.push(e.data["data"]["body"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        bodies,
        ["medan telefonen var borta 1", "medan telefonen var borta 2"]
    );
    post(server.base.clone(), "efter omstarten").await;
    let e = back.next(wait).await.expect("live after the restart");
    assert_eq!(e.data["data"]["body"], "efter omstarten");
    assert!(
        back.next(std::time::Duration::from_millis(300))
            .await
            .is_none(),
        "nothing twice"
    );
    server.kill_hard().await;
    env.cleanup().await;
}

/// Sends an alert to the organisation's first group (everyone imported), four hours
/// between a person's channels: the id of the alert.
async fn alert_the_group(server: &crate::support::Server, token: &str, message: &str) -> String {
    let client = reqwest::Client::new();
    let groups: serde_json::Value = client
        .get(format!("{}/api/v1/orgs/lillby/groups", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sent = client
        .post(format!("{}/api/v1/orgs/lillby/alerts", server.base))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "message": message,
            "severity": "critical",
            "recipients": {"groups": [groups[0]["id"]]},
            "step_minutes": 240,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201, "{}", sent.text().await.unwrap());
    sent.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An alert to 200 people, the server killed mid-blast and started again: everyone gets
/// their SMS, nobody's phone gets it twice (what was in flight is handed over again with
/// the same idempotency key, and the gateway recognises it), and the roster agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alert_blast_survives_kill_9_on_sqlite() {
    alert_blast_survives_kill_9(TestEnv::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alert_blast_survives_kill_9_on_postgres() {
    let Some(env) = TestEnv::postgres("an_alert_blast_survives_kill_9").await else {
        return;
    };
    alert_blast_survives_kill_9(env).await;
}

async fn alert_blast_survives_kill_9(env: TestEnv) {
    use beredskap_testkit::FakeSmsGateway;
    const PEOPLE: usize = 200;
    let token = env.org_with_admin().await;
    let mut csv = String::from("external_id,name,title,work_mobile,private_email,groups\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!(
            "{i},Person {i},,+4670{:07},,alla\n",
            2_000_000 + i
        ));
    }
    env.import_people(&csv).await;
    let gateway = FakeSmsGateway::start().await.unwrap();
    // A third of the way through, the gateway stalls: it takes each further message and
    // holds its answer, so the kill finds hand-offs in flight whatever the timing.
    gateway.under_load(5, 20, 0);
    gateway.hold_after(PEOPLE / 3);
    // The default lease (30 s): what the dead run held is freed when the node starts
    // again under its name, not when the lease ends.
    let settings = TestEnv::webhook_sms(&gateway);
    let server = env.serve_with(&settings).await;
    let id = alert_the_group(&server, &token, "Strömavbrott. Kvittera.").await;
    let unique = |g: &FakeSmsGateway| {
        g.received()
            .into_iter()
            .map(|m| m.to)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while gateway.held() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the blast did not reach the stall");
    server.kill_hard().await;
    let handed_at_kill = gateway.received().len();
    assert!(
        handed_at_kill < PEOPLE,
        "killed mid-blast: {handed_at_kill}"
    );
    gateway.release();
    let server = env.serve_with(&settings).await;
    // Well inside the 30 s lease: the restart freed what the killed run held at once.
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while unique(&gateway) < PEOPLE {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "only {} of {PEOPLE} reached 20 s after the restart",
            unique(&gateway)
        )
    });
    // Let anything still in flight land before counting.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(gateway.received().len(), PEOPLE, "no phone got it twice");
    // What the dead worker had handed over unanswered went out again under the same key,
    // and the gateway recognised it: that is why no phone got it twice.
    assert!(
        gateway.repeated_keys() > 0,
        "the idempotency key was not used"
    );
    server.kill_hard().await;
    let csv = env
        .ok(&["alert", "show", "--org", "lillby", &id, "--csv"])
        .await;
    let sent_lines = csv.lines().skip(1).filter(|l| l.contains(",sent,")).count();
    let others: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.contains(",sent,"))
        .collect();
    assert_eq!(sent_lines, PEOPLE, "the roster agrees: {others:?}");
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(verify.contains("chain intact"), "{verify}");
    env.cleanup().await;
}

/// An alert to 100,000 people (a university), the server killed while it plans them in
/// parts and started again: planning resumes where it stopped, everyone is on the roster
/// once, and each of the thousand with a phone gets the SMS once. The others have no
/// contact point, so the test plans 100,000 without sending as many.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planning_an_alert_to_100000_survives_kill_9_on_sqlite() {
    planning_survives_kill_9(TestEnv::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn planning_an_alert_to_100000_survives_kill_9_on_postgres() {
    let Some(env) = TestEnv::postgres("planning_an_alert_to_100000_survives_kill_9").await else {
        return;
    };
    planning_survives_kill_9(env).await;
}

async fn planning_survives_kill_9(env: TestEnv) {
    use beredskap_core::register::{ContactKind, ContactLabel, ContactPoint};
    use beredskap_testkit::FakeSmsGateway;
    const PEOPLE: usize = 100_000;
    const PHONE_EVERY: usize = 100;
    let token = env.org_with_admin().await;
    {
        let store = env.store().await;
        let slug = beredskap_core::Slug::parse("lillby").unwrap();
        let org = store.org_by_slug(&slug).await.unwrap().unwrap();
        let people: Vec<(String, Vec<ContactPoint>)> = (0..PEOPLE)
            .map(|i| {
                let points = match i % PHONE_EVERY {
                    0 => vec![ContactPoint {
                        kind: ContactKind::Sms,
                        label: ContactLabel::Work,
                        value: format!("+4670{:07}", 3_000_000 + i),
                        verified: true,
                    }],
                    _ => Vec::new(),
                };
                (format!("Student {i}"), points)
            })
            .collect();
        let url = match &env.database_url {
            Some(url) => beredskap_store::DatabaseUrl::parse(url).unwrap(),
            None => beredskap_store::DatabaseUrl::Sqlite(env.sqlite_file()),
        };
        beredskap_store::testing::seed_register(&url, org.id, "alla", &people)
            .await
            .unwrap();
    }
    let gateway = FakeSmsGateway::start().await.unwrap();
    let settings = TestEnv::webhook_sms(&gateway);
    let server = env.serve_with(&settings).await;
    let id = alert_the_group(&server, &token, "Vattnet är otjänligt. Kvittera.").await;
    let client = reqwest::Client::new();
    // The list, not the alert with its roster of 100,000, each time.
    let alerts_url = format!("{}/api/v1/orgs/lillby/alerts", server.base);
    let unplanned = |body: serde_json::Value| body[0]["alert"]["unplanned"].as_u64();
    // Killed once planning is well under way and far from done.
    let at_kill = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        loop {
            let body: serde_json::Value = client
                .get(&alerts_url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let left = unplanned(body.clone()).unwrap_or_else(|| panic!("{body}"));
            if left < (PEOPLE as u64) * 9 / 10 {
                return left;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("planning did not get under way");
    server.kill_hard().await;
    assert!(
        at_kill > 0,
        "killed before planning was done: {at_kill} left"
    );
    let server = env.serve_with(&settings).await;
    let unique = |g: &FakeSmsGateway| {
        g.received()
            .into_iter()
            .map(|m| m.to)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let alerts_url = format!("{}/api/v1/orgs/lillby/alerts", server.base);
    tokio::time::timeout(std::time::Duration::from_secs(180), async {
        loop {
            let body: serde_json::Value = client
                .get(&alerts_url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if unplanned(body) == Some(0) && unique(&gateway) == PEOPLE / PHONE_EVERY {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "planning or sending did not finish: {} sent",
            unique(&gateway)
        )
    });
    // Let anything still in flight land before counting.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        gateway.received().len(),
        PEOPLE / PHONE_EVERY,
        "no phone got it twice"
    );
    server.kill_hard().await;
    let csv = env
        .ok(&["alert", "show", "--org", "lillby", &id, "--csv"])
        .await;
    let ids: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    let once: std::collections::HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), PEOPLE, "everyone is on the roster");
    assert_eq!(once.len(), PEOPLE, "nobody is on it twice");
    let lines = || csv.lines().skip(1);
    let sent = lines().filter(|l| l.contains(",sent,")).count();
    let unreachable = lines().filter(|l| l.contains(",unreachable,")).count();
    assert_eq!(
        (sent, unreachable),
        (PEOPLE / PHONE_EVERY, PEOPLE - PEOPLE / PHONE_EVERY)
    );
    let journal = env.ok(&["journal", "verify"]).await;
    assert!(journal.contains("chain intact"), "{journal}");
    env.cleanup().await;
}

/// A notice to 150 SMS subscribers, the server killed mid-fan-out and started again:
/// every subscriber gets it once (what was in flight goes again under the same key, which
/// the gateway recognises), as an alert blast does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_notice_to_subscribers_survives_kill_9_on_sqlite() {
    notice_to_subscribers_survives_kill_9(TestEnv::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_notice_to_subscribers_survives_kill_9_on_postgres() {
    let Some(env) = TestEnv::postgres("a_notice_to_subscribers_survives_kill_9").await else {
        return;
    };
    notice_to_subscribers_survives_kill_9(env).await;
}

async fn notice_to_subscribers_survives_kill_9(env: TestEnv) {
    use beredskap_core::continuity::subscriptions::NewSubscriptionRequest;
    use beredskap_core::register::ContactKind;
    use beredskap_testkit::FakeSmsGateway;
    const SUBSCRIBERS: usize = 150;
    let token = env.org_with_admin().await;
    let store = env.store().await;
    let org = store
        .org_by_slug(&beredskap_core::Slug::parse("lillby").unwrap())
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    for i in 0..SUBSCRIBERS {
        let request = store
            .request_subscription(
                org.id,
                NewSubscriptionRequest {
                    channel: ContactKind::Sms,
                    address: format!("+4670{:07}", 3_000_000 + i),
                    services: vec![],
                    lang: "sv".into(),
                },
                now,
            )
            .await
            .unwrap();
        store
            .confirm_subscription(&beredskap_core::Actor::public(), org.id, request.id, now)
            .await
            .unwrap();
    }
    drop(store);
    let gateway = FakeSmsGateway::start().await.unwrap();
    // The default lease: the restart frees what the killed run held.
    let settings = TestEnv::webhook_sms(&gateway);
    // A third of the way into the notice, the gateway stalls: the kill finds hand-offs in
    // flight. (Confirming the requests took their confirmation messages back.)
    gateway.under_load(5, 20, 0);
    gateway.hold_after(SUBSCRIBERS / 3);
    let server = env.serve_with(&settings).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/api/v1/orgs/lillby/notices", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "kind": "disruption",
            "phase": "investigating",
            "texts": [{"lang": "sv", "title": "Telefonin ligger nere", "body": ""}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let notices = |g: &FakeSmsGateway| {
        g.received()
            .into_iter()
            .filter(|m| m.message.contains("Telefonin ligger nere"))
            .collect::<Vec<_>>()
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while gateway.held() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the fan-out did not reach the stall");
    server.kill_hard().await;
    let at_kill = notices(&gateway).len();
    assert!(at_kill < SUBSCRIBERS, "killed mid-fan-out: {at_kill}");
    gateway.release();
    let server = env.serve_with(&settings).await;
    let unique = |g: &FakeSmsGateway| {
        notices(g)
            .into_iter()
            .map(|m| m.to)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    // Well inside the 30 s lease.
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while unique(&gateway) < SUBSCRIBERS {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "only {} of {SUBSCRIBERS} reached 20 s after the restart",
            unique(&gateway)
        )
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        notices(&gateway).len(),
        SUBSCRIBERS,
        "no phone got it twice"
    );
    assert!(
        gateway.repeated_keys() > 0,
        "the idempotency key was not used"
    );
    server.kill_hard().await;
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(verify.contains("chain intact"), "{verify}");
    env.cleanup().await;
}

/// Posts messages to a channel until stopped; returns how many were acknowledged.
fn keep_posting(
    base: String,
    token: String,
    channel: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
    posted: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let url = format!("{base}/api/v1/orgs/lillby/channels/{channel}/messages");
        let mut i = 0;
        while !stop.load(Ordering::SeqCst) {
            i += 1;
            let body = serde_json::json!({ "body": format!("Lägesrapport nummer {i} från reservkraften") });
            let r = client
                .post(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            posted.fetch_add(1, Ordering::SeqCst);
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_write_load_restores_to_the_same_verified_journal() {
    use serde_json::json;
    use std::sync::atomic::AtomicBool;
    let env = TestEnv::sqlite();
    let token = env.org_with_admin().await;
    let server = env.serve().await;
    let client = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1/orgs/lillby/{path}", server.base);
    let channel: serde_json::Value = client
        .post(api("channels"))
        .bearer_auth(&token)
        .json(&json!({"kind": "org", "name": "Alla", "classification": "Intern"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel = channel["id"].as_str().unwrap().to_owned();
    let file: serde_json::Value = client
        .post(api("attachments?filename=lista.txt"))
        .bearer_auth(&token)
        .body("namn;telefon\nAnna;070\n")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = client
        .post(api(&format!("channels/{channel}/messages")))
        .bearer_auth(&token)
        .json(&json!({"body": "Telefonlistan bifogad", "attachments": [file["id"]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let stop = Arc::new(AtomicBool::new(false));
    let posted = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            keep_posting(
                server.base.clone(),
                token.clone(),
                channel.clone(),
                stop.clone(),
                posted.clone(),
            )
        })
        .collect();
    while posted.load(Ordering::SeqCst) < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let backup = env.data_dir().join("backup");
    let backup_arg = backup.to_str().unwrap();
    let out = env.ok(&["backup", "--out", backup_arg]).await;
    let during = posted.load(Ordering::SeqCst);
    while posted.load(Ordering::SeqCst) < during + 50 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    server.kill_hard().await;
    assert!(out.contains("with a signed checkpoint"), "{out}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("manifest.json")).unwrap())
            .unwrap();
    let head = manifest["heads"][0]["seq"].as_i64().unwrap();
    let head_hash = manifest["heads"][0]["hash"].as_str().unwrap().to_owned();

    // The source went on writing; the backup is a consistent prefix of its journal.
    {
        use sqlx::{Connection, Row};
        let mut db =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", env.sqlite_file().display()))
                .await
                .unwrap();
        let row = sqlx::query("SELECT hash FROM journal WHERE seq = $1")
            .bind(head)
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("hash"), head_hash);
        let last: i64 = sqlx::query_scalar("SELECT seq FROM journal_heads")
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert!(
            last > head,
            "writes went on after the backup: {last} > {head}"
        );
    }

    let restored = tempfile::tempdir().unwrap();
    let target = restored.path().join("data");
    let target_arg = target.to_str().unwrap();
    let out = env
        .ok(&["restore", "--from", backup_arg, "--data-dir", target_arg])
        .await;
    assert!(
        out.contains(&format!(
            "lillby: {head} entries, chain intact, the same head"
        )),
        "{out}"
    );
    assert!(out.contains("search index rebuilt"), "{out}");

    // The restored directory runs: verify against the backup's checkpoint, search, files.
    let restored_env = TestEnv::at(target.clone());
    let out = restored_env
        .ok(&[
            "journal",
            "verify",
            "--checkpoint",
            target.join("checkpoints/latest.json").to_str().unwrap(),
            "--public-key",
            &manifest_key(&backup),
        ])
        .await;
    assert!(out.contains("holds the checkpoint"), "{out}");
    let server = restored_env.serve().await;
    let hits: serde_json::Value = client
        .get(format!(
            "{}/api/v1/orgs/lillby/search?q=telefonlistan",
            server.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    let r = client
        .get(format!(
            "{}/api/v1/orgs/lillby/attachments/{}",
            server.base,
            file["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "namn;telefon\nAnna;070\n");
    server.kill_hard().await;

    // Nothing is restored over existing data, nor from a damaged or incomplete backup.
    let (code, out) = env
        .run(&["restore", "--from", backup_arg, "--data-dir", target_arg])
        .await;
    assert_ne!(code, 0);
    assert!(out.contains("is not empty"), "{out}");
    let damage = |name: &str, change: &dyn Fn(&std::path::Path)| {
        let copy = restored.path().join(format!("damaged-{name}"));
        copy_dir(&backup, &copy);
        change(&copy);
        copy
    };
    let flipped = damage("db", &|dir| {
        let path = dir.join("beredskap.db");
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(path, bytes).unwrap();
    });
    let no_manifest = damage("manifest", &|dir| {
        std::fs::remove_file(dir.join("manifest.json")).unwrap();
    });
    let no_file = damage("attachment", &|dir| {
        let sha = file["sha256"].as_str().unwrap();
        std::fs::remove_file(dir.join("attachments").join(&sha[..2]).join(sha)).unwrap();
    });
    for (dir, expected) in [
        (
            &flipped,
            "damaged backup: beredskap.db does not match its checksum",
        ),
        (&no_manifest, "incomplete backup"),
        (&no_file, "incomplete backup: attachments/"),
    ] {
        let into = restored.path().join("never");
        let (code, out) = env
            .run(&[
                "restore",
                "--from",
                dir.to_str().unwrap(),
                "--data-dir",
                into.to_str().unwrap(),
            ])
            .await;
        assert_ne!(code, 0, "{out}");
        assert!(out.contains(expected), "{expected}: {out}");
        assert!(!into.exists(), "nothing half-restored");
    }
}

/// The public key of the checkpoint a backup holds, as the operator would note it.
fn manifest_key(backup: &std::path::Path) -> String {
    let signed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("checkpoint.json")).unwrap())
            .unwrap();
    signed["public_key"].as_str().unwrap().to_owned()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn backup_on_postgres_says_what_to_use_instead() {
    let Some(env) = TestEnv::postgres("backup_on_postgres_says_what_to_use_instead").await else {
        return;
    };
    env.org_with_admin().await;
    let out_dir = env.data_dir().join("backup");
    let (code, out) = env
        .run(&["backup", "--out", out_dir.to_str().unwrap()])
        .await;
    assert_ne!(code, 0);
    assert!(
        out.contains("pg_dump") && out.contains("pg_basebackup"),
        "{out}"
    );
    assert!(!out_dir.exists(), "nothing written");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_blast_survives_kill_9_and_a_repeat_keeps_its_message_id() {
    use beredskap_testkit::SmtpSink;
    const PEOPLE: usize = 60;
    let Some(smtp) = SmtpSink::start_stalling(
        "an_email_blast_survives_kill_9_and_a_repeat_keeps_its_message_id",
        PEOPLE / 3,
    )
    .await
    else {
        return;
    };
    let env = TestEnv::sqlite();
    let token = env.org_with_admin().await;
    let mut csv = String::from("external_id,name,title,work_mobile,private_email,groups\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!("{i},Person {i},,,p{i}@example.org,alla\n"));
    }
    env.import_people(&csv).await;
    let settings = [
        ("BEREDSKAP_SMTP__HOST", "127.0.0.1".to_owned()),
        ("BEREDSKAP_SMTP__PORT", smtp.port.to_string()),
        ("BEREDSKAP_SMTP__SECURITY", "none".to_owned()),
        (
            "BEREDSKAP_SMTP__FROM",
            "Beredskap <beredskap@lillby.example>".to_owned(),
        ),
        ("BEREDSKAP_DELIVERY_LEASE_SECONDS", "3".to_owned()),
    ];
    let server = env.serve_with(&settings).await;
    alert_the_group(&server, &token, "Strömavbrott. Kvittera.").await;
    // The SMTP server keeps a third and then stalls: the kill finds mail in flight.
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while smtp.count() <= PEOPLE / 3 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the blast did not reach the stall");
    server.kill_hard().await;
    let at_kill = smtp.count();
    assert!(at_kill < PEOPLE, "killed mid-blast: {at_kill}");
    smtp.release();
    let server = env.serve_with(&settings).await;
    let by_address = || {
        let mut seen: std::collections::HashMap<String, Vec<String>> = Default::default();
        for raw in smtp.messages() {
            let mail = mailparse::parse_mail(&raw).unwrap();
            let header = |name: &str| {
                mail.headers
                    .iter()
                    .find(|h| h.get_key().eq_ignore_ascii_case(name))
                    .map(|h| h.get_value())
                    .unwrap_or_default()
            };
            seen.entry(header("To"))
                .or_default()
                .push(header("Message-ID"));
        }
        seen
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while by_address().len() < PEOPLE {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("lost: only {} of {PEOPLE} reached", by_address().len()));
    // What the dead server held goes out again once its lease ends (3 s here).
    let repeats = || by_address().values().filter(|ids| ids.len() > 1).count();
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while repeats() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the mail held at the kill did not go out again");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    server.kill_hard().await;
    // SMTP takes no idempotency key: what the dead server had handed over unanswered went
    // out again. Every such repeat carries the first one's Message-ID, so mail software
    // shows it once.
    let seen = by_address();
    assert_eq!(seen.len(), PEOPLE, "everyone reached");
    let repeated: Vec<_> = seen.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        !repeated.is_empty(),
        "the mail held at the kill went out again"
    );
    for (to, ids) in &repeated {
        assert!(
            ids.iter().all(|id| id == &ids[0] && !id.is_empty()),
            "{to}: {ids:?}"
        );
    }
    let verify = env.ok(&["journal", "verify"]).await;
    assert!(verify.contains("chain intact"), "{verify}");
}

/// `systemctl stop` mid-blast (SIGTERM): the hand-offs under way finish and are recorded,
/// what the node had claimed but not started is freed at once (nothing is left claimed for
/// a lease to end), and the process exits cleanly; started again, the rest go out, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_graceful_stop_mid_blast_finishes_hand_offs_and_frees_the_rest() {
    use beredskap_testkit::FakeSmsGateway;
    // More than a worker has in flight at once (512): some are claimed and waiting.
    const PEOPLE: usize = 700;
    let env = TestEnv::sqlite();
    let token = env.org_with_admin().await;
    let mut csv = String::from("external_id,name,title,work_mobile,private_email,groups\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!(
            "{i},Person {i},,+4670{:07},,alla\n",
            3_000_000 + i
        ));
    }
    env.import_people(&csv).await;
    let gateway = FakeSmsGateway::start().await.unwrap();
    gateway.under_load(5, 20, 0);
    gateway.hold_after(100);
    let settings = TestEnv::webhook_sms(&gateway);
    let server = env.serve_with(&settings).await;
    alert_the_group(&server, &token, "Utrymning av stadshuset.").await;
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while gateway.held() == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the blast did not reach the stall");
    server.terminate();
    // The provider answers what it holds while the server stops.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    gateway.release();
    let status = tokio::time::timeout(std::time::Duration::from_secs(40), server.exited())
        .await
        .expect("the server did not stop");
    assert!(status.success(), "{status}");
    let handed = gateway.received().len();
    assert!(handed < PEOPLE, "stopped mid-blast: {handed}");
    let store = env.store().await;
    let now = beredskap_core::journal::now();
    let figures = store.operations_figures(now).await.unwrap();
    let alerts = figures
        .outboxes
        .iter()
        .find(|b| b.outbox == "alerts")
        .unwrap();
    assert_eq!(alerts.claimed, 0, "nothing left claimed: {alerts:?}");
    assert_eq!(
        alerts.due as usize,
        PEOPLE - handed,
        "every hand-off made was recorded, and the rest wait: {alerts:?}"
    );
    drop(store);

    let server = env.serve_with(&settings).await;
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while gateway.received().len() < PEOPLE {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} of {PEOPLE} reached", gateway.received().len()));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(gateway.received().len(), PEOPLE, "nobody got it twice");
    server.kill_hard().await;
}
