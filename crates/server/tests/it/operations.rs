//! What an operator relies on: `/metrics` for a Prometheus with its token, checked by the
//! Prometheus project's own OpenMetrics parser (Debian's python3-prometheus-client; with
//! `REQUIRE_VALIDATORS=1`, as in CI, a missing parser fails the test); several nodes on one
//! PostgreSQL waking each other.

use crate::helpers::{point, TestApp};
use beredskap_core::register::{ContactKind, Role};
use beredskap_testkit::FakeSmsGateway;
use std::collections::HashMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

const TOKEN: &str = "scraper-token-0123456789";

/// The samples of an OpenMetrics text as the Prometheus client's strict parser reads them:
/// `name{label="value",…}` → value, labels sorted. None when the parser is missing (and
/// not required).
fn parsed_by_prometheus(text: &str) -> Option<HashMap<String, f64>> {
    const SCRIPT: &str = r#"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        print(f"{s.name}{{{labels}}}\t{s.value}")
"#;
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_parser = Command::new(&python)
        .args(["-c", "import prometheus_client.openmetrics.parser"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_parser {
        if std::env::var("REQUIRE_VALIDATORS").as_deref() == Ok("1") {
            panic!("REQUIRE_VALIDATORS=1 but python3-prometheus-client is missing");
        }
        eprintln!("SKIPPED a validation: python3-prometheus-client is missing");
        return None;
    }
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused the metrics: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let (name, value) = line.split_once('\t').unwrap();
                (name.to_owned(), value.parse().unwrap())
            })
            .collect(),
    )
}

async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn metrics_report_requests_hand_offs_refusals_streams_outboxes_and_journal_heads() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let app = TestApp::spawn_with(move |c| {
        c.sms = Some(sms);
        c.delivery_worker_seconds = 1;
        c.metrics_token = Some(TOKEN.to_owned().into());
    })
    .await;
    // Only a scraper with the token reads them.
    assert_eq!(scrape(&app, None).await.status(), 401);
    assert_eq!(
        scrape(&app, Some("scraper-token-wrong-one")).await.status(),
        401
    );

    // A wrong password, an alert handed to the SMS gateway, a live stream open.
    let person = crate::web::invite(&app, "anna@lillby.se", Role::Member).await;
    let b = crate::web::browser();
    app.enrol(&b, &person).await;
    let wrong = app
        .password_step(&b, &person.login, "not the password")
        .await;
    assert_eq!(wrong.status(), 401);
    let anna = app
        .person("Anna", vec![point(ContactKind::Sms, "+46701000001")])
        .await;
    app.send_alert(vec![anna], "Vattenläcka i serverhallen.", app.now())
        .await;
    assert_eq!(
        gateway
            .wait_for(1, std::time::Duration::from_secs(10))
            .await,
        1
    );
    // A made-up method (anyone can send one) counts as `other`, not as a series of its own.
    let made_up = reqwest::Method::from_bytes(b"ZZTOP").unwrap();
    let odd = app
        .client
        .request(made_up, app.url("/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 404);
    let token = app.token_for(Role::Member, "api@lillby.se").await;
    let stream = app.get("/api/v1/orgs/lillby/events", &token).await;
    assert_eq!(stream.status(), 200);

    let response = scrape(&app, Some(TOKEN)).await;
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    let Some(samples) = parsed_by_prometheus(&text) else {
        return;
    };
    let value = |name: &str| -> f64 {
        *samples
            .get(name)
            .unwrap_or_else(|| panic!("no sample {name} in:\n{text}"))
    };
    assert_eq!(
        value(r#"beredskap_hand_offs_total{channel="sms",outcome="sent",provider="46elks"}"#),
        1.0
    );
    assert_eq!(
        value(r#"beredskap_sign_in_refusals_total{reason="wrong_credentials"}"#),
        1.0
    );
    assert_eq!(value("beredskap_live_streams{}"), 1.0);
    let head = app.store.journal_head(app.org.id).await.unwrap().0;
    assert_eq!(
        value(r#"beredskap_journal_head{org="lillby"}"#),
        head as f64
    );
    for outbox in ["alerts", "public", "activation"] {
        assert_eq!(
            value(&format!(r#"beredskap_outbox_due{{outbox="{outbox}"}}"#)),
            0.0
        );
        assert_eq!(
            value(&format!(
                r#"beredskap_outbox_oldest_due_age_seconds{{outbox="{outbox}"}}"#
            )),
            0.0
        );
    }
    // The sign-in page's request is in its route's latency histogram.
    assert!(
        value(
            r#"beredskap_http_request_duration_seconds_count{method="POST",route="/sign-in",status="4xx"}"#
        ) >= 1.0
    );

    assert!(!text.contains("ZZTOP"), "{text}");
    assert!(
        value(
            r#"beredskap_http_request_duration_seconds_count{method="other",route="(unmatched)",status="4xx"}"#
        ) >= 1.0
    );

    // The stream closed is no longer counted.
    drop(stream);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = scrape(&app, Some(TOKEN)).await.text().await.unwrap();
        if text.contains("beredskap_live_streams 0") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the closed stream is still counted:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn without_a_token_configured_metrics_are_off() {
    let app = TestApp::spawn().await;
    assert_eq!(scrape(&app, Some(TOKEN)).await.status(), 404);
}

#[tokio::test]
async fn an_outbox_that_falls_behind_shows_its_depth_and_age() {
    // No worker: the alert's delivery waits.
    let app = TestApp::spawn_with(|c| {
        c.delivery_worker_seconds = 0;
        c.metrics_token = Some(TOKEN.to_owned().into());
    })
    .await;
    let anna = app
        .person("Anna", vec![point(ContactKind::Sms, "+46701000001")])
        .await;
    let sent_at = app.now() - chrono::Duration::seconds(90);
    app.send_alert(vec![anna], "Strömavbrott.", sent_at).await;
    let text = scrape(&app, Some(TOKEN)).await.text().await.unwrap();
    let Some(samples) = parsed_by_prometheus(&text) else {
        return;
    };
    assert_eq!(samples[r#"beredskap_outbox_due{outbox="alerts"}"#], 1.0);
    let age = samples[r#"beredskap_outbox_oldest_due_age_seconds{outbox="alerts"}"#];
    assert!((89.0..200.0).contains(&age), "{age}");
}

/// Two nodes on one PostgreSQL: an alert sent on a node without a worker wakes the
/// other node's worker at once. That worker looks by itself only once an hour (its first
/// round, at start, is over before the alert is sent).
#[tokio::test]
async fn an_alert_sent_on_one_node_wakes_the_worker_of_another() {
    let gateway = FakeSmsGateway::start().await.unwrap();
    let sms = gateway.config();
    let Some(a) = TestApp::spawn_on_postgres("an_alert_sent_on_one_node_wakes_the_worker").await
    else {
        return;
    };
    let _b = a
        .another_node(move |c| {
            c.sms = Some(sms);
            c.delivery_worker_seconds = 3600;
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let anna = a
        .person("Anna", vec![point(ContactKind::Sms, "+46701000001")])
        .await;
    let sent = a
        .post(
            "/api/v1/orgs/lillby/alerts",
            &a.admin_token,
            serde_json::json!({
                "message": "Brand i kommunhuset.",
                "severity": "critical",
                "recipients": {"people": [anna]},
            }),
        )
        .await;
    assert_eq!(sent.status(), 201);
    assert_eq!(
        gateway
            .wait_for(1, std::time::Duration::from_secs(10))
            .await,
        1,
        "node B's worker handed it over"
    );
}

async fn status_of(app: &TestApp, path: &str) -> u16 {
    app.client
        .get(app.url(path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The database goes away (a cut network): the server says it is not ready, requests get
/// 503, and when the database is back it serves again by itself, nothing lost.
#[tokio::test]
async fn a_lost_database_makes_the_server_unready_and_it_recovers_by_itself() {
    let Some((app, cut)) =
        TestApp::spawn_on_postgres_behind_a_cut("a_lost_database_makes_the_server_unready").await
    else {
        return;
    };
    let people = "/api/v1/orgs/lillby/people";
    assert_eq!(status_of(&app, "/readyz").await, 200);
    let before = app
        .post(
            people,
            &app.admin_token,
            serde_json::json!({"name": "Anna Berg", "contact_points": []}),
        )
        .await;
    assert_eq!(before.status(), 201, "{}", before.text().await.unwrap());

    cut.cut();
    assert_eq!(status_of(&app, "/readyz").await, 503);
    let during = app.get(people, &app.admin_token).await;
    assert_eq!(during.status(), 503);
    let problem: serde_json::Value = during.json().await.unwrap();
    assert_eq!(problem["code"], "unavailable", "{problem}");
    assert_eq!(
        status_of(&app, "/healthz").await,
        200,
        "the process itself is up"
    );

    cut.heal();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while status_of(&app, "/readyz").await != 200 {
        assert!(std::time::Instant::now() < deadline, "not ready again");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let after = app
        .post(
            people,
            &app.admin_token,
            serde_json::json!({"name": "Bo Ek", "contact_points": []}),
        )
        .await;
    assert_eq!(after.status(), 201, "{}", after.text().await.unwrap());
    let listed: serde_json::Value = app
        .get(people, &app.admin_token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"Anna Berg") && names.contains(&"Bo Ek"),
        "{names:?}"
    );
    let verified = beredskap_core::store::verify_journal(app.store.as_ref(), app.org.id)
        .await
        .unwrap();
    assert!(verified.is_ok(), "{verified:?}");
}

/// A size-limited file system (tmpfs) to run SQLite on; unmounted when dropped.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    /// None (after saying so) where mounting is not allowed; a failure with
    /// `REQUIRE_FAULTS=1`, as in CI.
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let path = tempfile::tempdir().unwrap().keep();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            if std::env::var("REQUIRE_FAULTS").as_deref() == Ok("1") {
                panic!("REQUIRE_FAULTS=1 but a tmpfs cannot be mounted (needs root)");
            }
            eprintln!("SKIPPED the disk-full test: a tmpfs cannot be mounted (needs root)");
            return None;
        }
        Some(SmallDisk { path })
    }

    /// Fills the disk to the last `keep` bytes with a file of its own.
    fn fill_leaving(&self, keep: u64) -> std::path::PathBuf {
        use std::io::Write as _;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 16 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        let full = std::fs::metadata(&filler).unwrap().len();
        file.set_len(full.saturating_sub(keep)).unwrap();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// SQLite on a disk that fills up: writes are refused with 503 (`unavailable`) and none
/// is half-applied; with room again, writes work, every acknowledged one is there, the
/// database is intact and the journal verifies.
#[tokio::test]
async fn a_full_disk_refuses_writes_cleanly_and_they_work_again_with_room() {
    let Some(disk) = SmallDisk::mount(24) else {
        return;
    };
    let dir = tempfile::tempdir_in(&disk.path).unwrap();
    let app = TestApp::spawn_in(dir, |_| {}).await;
    let people = "/api/v1/orgs/lillby/people";
    let filler = disk.fill_leaving(256 * 1024);
    let mut acknowledged = Vec::new();
    let mut refused = None;
    for i in 0..5000 {
        let name = format!("Person {i:05}");
        let response = app
            .post(
                people,
                &app.admin_token,
                serde_json::json!({"name": name, "contact_points": []}),
            )
            .await;
        match response.status().as_u16() {
            201 => acknowledged.push(name),
            status => {
                refused = Some((status, response.json::<serde_json::Value>().await.unwrap()));
                break;
            }
        }
    }
    let (status, problem) = refused.expect("the disk never filled");
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["code"], "unavailable", "{problem}");
    assert!(
        !acknowledged.is_empty(),
        "some writes fit before the disk was full"
    );

    std::fs::remove_file(&filler).unwrap();
    let after = app
        .post(
            people,
            &app.admin_token,
            serde_json::json!({"name": "Efter", "contact_points": []}),
        )
        .await;
    assert_eq!(after.status(), 201, "{}", after.text().await.unwrap());
    acknowledged.push("Efter".into());
    let listed: serde_json::Value = app
        .get(people, &app.admin_token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        // The administrator the test app made is a person too.
        .filter(|name| name != "admin")
        .collect();
    for name in &acknowledged {
        assert!(names.contains(name), "an acknowledged write is missing");
    }
    assert_eq!(names.len(), acknowledged.len(), "nothing refused was kept");
    let verified = beredskap_core::store::verify_journal(app.store.as_ref(), app.org.id)
        .await
        .unwrap();
    assert!(verified.is_ok(), "{verified:?}");
    use sqlx::Connection as _;
    let mut db = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        app.data_dir().join("test.db").display()
    ))
    .await
    .unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
}

/// The SMTP relay is down: the email step is kept and retried (not lost, not failed), and
/// the person's next channel still goes at its step.
#[tokio::test]
async fn with_the_smtp_relay_down_email_is_retried_and_the_next_channel_still_goes() {
    use beredskap_core::alerting::DeliveryStatus;
    use beredskap_server::notify::{Notifier, Provider};
    use std::sync::Arc;
    let app = TestApp::spawn().await;
    // A port nothing listens on: the relay is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let smtp = beredskap_server::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port: closed,
        security: beredskap_server::config::SmtpSecurity::None,
        username: None,
        password: None,
        password_file: None,
        from: "Beredskap <beredskap@lillby.example>".into(),
        connections: beredskap_server::config::DEFAULT_SMTP_CONNECTIONS,
    };
    let gateway = FakeSmsGateway::start().await.unwrap();
    let email: Arc<dyn Provider> =
        Arc::new(beredskap_server::notify::SmtpProvider::new(&smtp).unwrap());
    let sms: Arc<dyn Provider> =
        Arc::new(beredskap_server::notify::FortySixElks::new(&gateway.config()).unwrap());
    let notifier = Notifier {
        email: Some(email),
        sms: Some(sms),
        push: None,
    };
    let dispatcher =
        beredskap_server::alerting::Dispatcher::new(app.store.clone(), notifier, app.links.clone());
    // Email first, then SMS five minutes later.
    let anna = app
        .person(
            "Anna",
            vec![
                point(ContactKind::Email, "anna@example.org"),
                point(ContactKind::Sms, "+46701000001"),
            ],
        )
        .await;
    let now = beredskap_core::journal::now();
    let alert = app.send_alert(vec![anna], "Vattenläcka.", now).await;
    dispatcher.run_once(now).await.unwrap();
    let deliveries = |roster: Vec<beredskap_core::alerting::RosterEntry>| {
        roster.into_iter().next().unwrap().deliveries
    };
    let first = deliveries(app.store.alert_roster(app.org.id, alert.id).await.unwrap());
    let email = first
        .iter()
        .find(|d| d.channel == ContactKind::Email)
        .unwrap();
    assert_eq!(
        email.status,
        DeliveryStatus::Pending,
        "kept for another try"
    );
    assert!(email.due_at > now, "retried later: {email:?}");
    assert!(email.last_error.is_some(), "the failure is recorded");
    assert!(gateway.received().is_empty(), "the SMS step is not due yet");

    let later = now + chrono::Duration::minutes(5);
    dispatcher.run_once(later).await.unwrap();
    assert_eq!(
        gateway.received().len(),
        1,
        "the next channel went at its step"
    );
    let after = deliveries(app.store.alert_roster(app.org.id, alert.id).await.unwrap());
    let email = after
        .iter()
        .find(|d| d.channel == ContactKind::Email)
        .unwrap();
    assert_eq!(
        email.status,
        DeliveryStatus::Pending,
        "still retried, not given up"
    );
    assert!(email.attempts >= 2, "{email:?}");
}
