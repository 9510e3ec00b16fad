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
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
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
                acked
                    .lock()
                    .unwrap()
                    .push(person["id"].as_str().unwrap().to_owned());
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
    while clients.join_next().await.is_some() {}
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= KILL_AFTER);

    let server = env.serve().await;
    let client = reqwest::Client::new();
    for id in &acked {
        let r = client
            .get(format!("{}/api/v1/orgs/lillby/people/{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged person {id} was lost");
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
    use beredskap_server::testing::EventStream;
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
    use beredskap_server::config::SmsProviderKind;
    use beredskap_server::testing::FakeSmsGateway;
    const PEOPLE: usize = 200;
    let token = env.org_with_admin().await;
    let mut csv = String::from("external_id,name,title,work_mobile,private_email,groups\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!(
            "{i},Person {i},,+4670{:07},,alla\n",
            2_000_000 + i
        ));
    }
    let file = env.data_dir().join("people.csv");
    std::fs::write(&file, csv).unwrap();
    env.ok(&[
        "import",
        "people",
        "--org",
        "lillby",
        file.to_str().unwrap(),
    ])
    .await;
    let gateway = FakeSmsGateway::start().await.unwrap();
    // Slow enough that a kill finds messages in flight.
    gateway.under_load(100, 300, 0);
    let sms = gateway.config_for(SmsProviderKind::Webhook);
    let settings = [
        ("BEREDSKAP_SMS__PROVIDER", "webhook".to_owned()),
        ("BEREDSKAP_SMS__URL", sms.url.clone()),
        ("BEREDSKAP_SMS__USERNAME", "test".to_owned()),
        ("BEREDSKAP_SMS__PASSWORD", gateway.password.clone()),
        ("BEREDSKAP_SMS__SENDER", "Beredskap".to_owned()),
        // A short lease, so what the dead worker held goes out again soon.
        ("BEREDSKAP_DELIVERY_LEASE_SECONDS", "3".to_owned()),
    ];
    let server = env.serve_with(&settings).await;
    let client = reqwest::Client::new();
    let groups: serde_json::Value = client
        .get(format!("{}/api/v1/orgs/lillby/groups", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = groups[0]["id"].as_str().unwrap().to_owned();
    let sent = client
        .post(format!("{}/api/v1/orgs/lillby/alerts", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "message": "Strömavbrott. Kvittera.",
            "severity": "critical",
            "recipients": {"groups": [group]},
            "step_minutes": 240,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201, "{}", sent.text().await.unwrap());
    let id = sent.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unique = |g: &FakeSmsGateway| {
        g.received()
            .into_iter()
            .map(|m| m.to)
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while gateway.received().len() < PEOPLE / 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the blast did not start");
    server.kill_hard().await;
    let handed_at_kill = gateway.received().len();
    assert!(
        handed_at_kill < PEOPLE,
        "killed mid-blast: {handed_at_kill}"
    );
    let server = env.serve_with(&settings).await;
    tokio::time::timeout(std::time::Duration::from_secs(90), async {
        while unique(&gateway) < PEOPLE {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("lost: only {} of {PEOPLE} reached", unique(&gateway)));
    // Let anything still in flight land before counting.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(gateway.received().len(), PEOPLE, "no phone got it twice");
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
