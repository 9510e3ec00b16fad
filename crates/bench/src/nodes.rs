//! `beredskap-bench nodes`: two nodes on one PostgreSQL. Posts go to node A one after the
//! other; a live client on node B and one on node A itself time each post from its send to
//! its event. Node A's own client is the limit: the same write, the same event, no second
//! node in between. Node B learns of A's writes by A's signal (LISTEN/NOTIFY); its poll
//! (`live_poll_seconds`, 1 s) is the safety net and would show as latencies near 0.5 s.

use crate::ingest::bench_admin;
use crate::say;
use anyhow::Context;
use beredskap_core::register::NewOrg;
use beredskap_core::{Actor, Region};
use beredskap_server::{Application, Config};
use beredskap_store::{DatabaseUrl, OpenOptions};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// When each event (by its sequence number) reached a live client.
type Arrivals = Arc<Mutex<HashMap<i64, Instant>>>;

pub async fn run(
    pg_url: Option<String>,
    posts: usize,
    interval_ms: u64,
    runs: usize,
) -> anyhow::Result<()> {
    let Some(admin) = pg_url else {
        anyhow::bail!("nodes share PostgreSQL: pass --pg-url or set TEST_PG_URL");
    };
    let mut same = Vec::new();
    let mut across = Vec::new();
    let mut missing = 0;
    for run in 0..runs {
        say(format!("run {} of {runs}…", run + 1));
        let url = beredskap_store::testing::create_pg_database(&admin).await?;
        let measured = measure(&url, posts, interval_ms).await;
        beredskap_store::testing::drop_pg_database(&admin, &url).await?;
        let (on_a, on_b, lost) = measured?;
        same.push(on_a);
        across.push(on_b);
        missing += lost;
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let row = |figures: &[(f64, f64, f64)]| {
        (
            median(figures.iter().map(|f| f.0).collect()),
            median(figures.iter().map(|f| f.1).collect()),
            median(figures.iter().map(|f| f.2).collect()),
        )
    };
    let (a50, a99, amax) = row(&same);
    let (b50, b99, bmax) = row(&across);
    say(format!(
        "\n{posts} posts to node A, one every {interval_ms} ms; median of {runs} run(s); \
         from the post's send to its event at the live client.\n"
    ));
    say("| live client | p50 ms | p99 ms | max ms |");
    say("|---|---:|---:|---:|");
    say(format!(
        "| on node B (the other node) | {b50:.1} | {b99:.1} | {bmax:.1} |"
    ));
    say(format!(
        "| limit: on node A (the node written to) | {a50:.1} | {a99:.1} | {amax:.1} |"
    ));
    say(format!(
        "\nnode B p99 / node A p99: {:.2}×; events that never reached a client: {missing}",
        b99 / a99.max(0.001)
    ));
    Ok(())
}

/// One node: a server of its own on the database, as a second machine would run it.
async fn node(url: &str) -> anyhow::Result<(String, CancellationToken, tempfile::TempDir)> {
    let store = beredskap_store::open(&DatabaseUrl::parse(url)?, &OpenOptions::default()).await?;
    let dir = tempfile::tempdir()?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        data_dir: dir.path().to_owned(),
        log_filter: "warn".into(),
        delivery_worker_seconds: 0,
        ..Config::default()
    };
    let app = Application::build(Arc::new(config), store).await?;
    let base = format!("http://{}", app.local_addr());
    let stop = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(stop.clone()));
    Ok((base, stop, dir))
}

/// Reads a live stream and notes when each event arrives.
async fn follow(
    http: reqwest::Client,
    url: String,
    token: String,
    arrivals: Arrivals,
) -> anyhow::Result<()> {
    let mut response = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    let mut pending = String::new();
    while let Some(chunk) = response.chunk().await? {
        let now = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find('\n') {
            let line: String = pending.drain(..=end).collect();
            if let Some(seq) = line
                .trim()
                .strip_prefix("id:")
                .and_then(|v| v.trim().parse().ok())
            {
                if let Ok(mut seen) = arrivals.lock() {
                    seen.insert(seq, now);
                }
            }
        }
    }
    Ok(())
}

/// p50, p99 and max in milliseconds of post-to-arrival, and how many never arrived.
fn latencies(sent: &[(i64, Instant)], arrivals: &Arrivals) -> ((f64, f64, f64), usize) {
    let seen = arrivals.lock().map(|s| s.clone()).unwrap_or_default();
    let mut ms: Vec<f64> = Vec::new();
    let mut lost = 0;
    for (seq, at) in sent {
        match seen.get(seq) {
            Some(arrived) => ms.push(arrived.saturating_duration_since(*at).as_secs_f64() * 1000.0),
            None => lost += 1,
        }
    }
    ms.sort_by(f64::total_cmp);
    (
        (
            crate::quantile(&ms, 0.5),
            crate::quantile(&ms, 0.99),
            ms.last().copied().unwrap_or(f64::NAN),
        ),
        lost,
    )
}

async fn measure(
    url: &str,
    posts: usize,
    interval_ms: u64,
) -> anyhow::Result<((f64, f64, f64), (f64, f64, f64), usize)> {
    let store = beredskap_store::open(&DatabaseUrl::parse(url)?, &OpenOptions::default()).await?;
    let org = store
        .create_org(
            &Actor::system(),
            NewOrg::parse("bench", "Bench", Region::Se).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?;
    let (_, token) = bench_admin(store.clone(), &org).await?;
    let (a, stop_a, _dir_a) = node(url).await?;
    let (b, stop_b, _dir_b) = node(url).await?;
    let http = reqwest::Client::new();
    let channel: serde_json::Value = http
        .post(format!("{a}/api/v1/orgs/bench/channels"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"kind": "org", "name": "Alla", "classification": "Intern", "members": []}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let channel = channel["id"]
        .as_str()
        .context("the channel's id")?
        .to_owned();
    let (on_a, on_b): (Arrivals, Arrivals) = Default::default();
    let events = "/api/v1/orgs/bench/events";
    let followers = [
        tokio::spawn(follow(
            http.clone(),
            format!("{a}{events}"),
            token.clone(),
            on_a.clone(),
        )),
        tokio::spawn(follow(
            http.clone(),
            format!("{b}{events}"),
            token.clone(),
            on_b.clone(),
        )),
    ];
    // Both streams open before the first post.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = format!("{a}/api/v1/orgs/bench/channels/{channel}/messages");
    let mut sent = Vec::with_capacity(posts);
    for i in 0..posts {
        let at = Instant::now();
        let posted: serde_json::Value = http
            .post(&messages)
            .bearer_auth(&token)
            .json(&serde_json::json!({"body": format!("Lägesrapport {i}: allt lugnt.")}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        sent.push((posted["seq"].as_i64().context("the post's seq")?, at));
        tokio::time::sleep(Duration::from_millis(interval_ms)).await;
    }
    // The last events land.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for follower in followers {
        follower.abort();
    }
    stop_a.cancel();
    stop_b.cancel();
    let (same, lost_a) = latencies(&sent, &on_a);
    let (across, lost_b) = latencies(&sent, &on_b);
    Ok((same, across, lost_a + lost_b))
}
