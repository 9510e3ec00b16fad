//! `beredskap-bench failover`: two `beredskap serve` processes on one PostgreSQL, clients
//! posting to both at a steady rate and live clients following both; then node A is
//! `kill -9`ed. A client whose request fails sends the same post (same idempotency key) to
//! the other node, as a load balancer that retries on the next upstream would; a live
//! client whose stream ends reconnects to the other node with `Last-Event-ID`.
//!
//! Reported: how long after the kill every posting client had a write acknowledged again,
//! acknowledged posts missing from the database (must be 0), posts stored twice, and
//! events a live client missed or got twice. Beside it, from the same run, the limit: the
//! post latency of the same clients before the kill.

use crate::ingest::bench_admin;
use crate::say;
use anyhow::Context;
use beredskap_core::register::NewOrg;
use beredskap_core::{Actor, Region};
use beredskap_store::{DatabaseUrl, OpenOptions};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub struct FailoverArgs {
    pub pg_url: Option<String>,
    /// Acknowledged posts per second offered, over all clients.
    pub rate: u32,
    pub clients: usize,
    /// Live clients on each node.
    pub live: usize,
    /// Seconds of posting before the kill, and after it.
    pub before: u64,
    pub after: u64,
    pub runs: usize,
}

/// A client gives up on a request after this long and sends it to the other node.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// One acknowledged post.
struct Ack {
    key: String,
    seq: i64,
    sent: Instant,
    acked: Instant,
    /// Answered 200: an earlier try had been stored, its answer lost in the kill.
    earlier: bool,
}

/// What one run found.
struct Run {
    /// Kill to the last client's first acknowledgement after it.
    failover_ms: f64,
    /// Post latency before the kill: p50, p99.
    before_ms: (f64, f64),
    /// Post latency in the 5 s after the kill: p50, p99.
    after_ms: (f64, f64),
    acked: usize,
    per_second: f64,
    lost: usize,
    stored_twice: usize,
    recovered_by_key: usize,
    failed_tries: usize,
    live_missed: usize,
    live_twice: usize,
}

pub async fn run(args: FailoverArgs) -> anyhow::Result<()> {
    let Some(admin) = args.pg_url.clone() else {
        anyhow::bail!("the nodes share PostgreSQL: pass --pg-url or set TEST_PG_URL");
    };
    let mut runs = Vec::new();
    for run in 0..args.runs {
        say(format!("run {} of {}…", run + 1, args.runs));
        let url = beredskap_store::testing::create_pg_database(&admin).await?;
        let measured = measure(&args, &url).await;
        beredskap_store::testing::drop_pg_database(&admin, &url).await?;
        runs.push(measured?);
    }
    let median = |f: &dyn Fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let sum = |f: &dyn Fn(&Run) -> usize| runs.iter().map(f).sum::<usize>();
    let range = {
        let mut v: Vec<f64> = runs.iter().map(|r| r.failover_ms).collect();
        v.sort_by(f64::total_cmp);
        format!(
            "{:.0}–{:.0} ms",
            v.first().copied().unwrap_or(f64::NAN),
            v.last().copied().unwrap_or(f64::NAN)
        )
    };
    say(format!(
        "\n{} clients offering {} posts/s to two nodes (half each), {} live client(s) per node; \
         node A killed after {} s, {} s more; median of {} run(s)\n",
        args.clients, args.rate, args.live, args.before, args.after, args.runs
    ));
    say("| what | figure |");
    say("|---|---:|");
    say(format!(
        "| **every client writing again**, after the kill | {:.0} ms ({range}) |",
        median(&|r| r.failover_ms)
    ));
    say(format!(
        "| **limit**: post p50 / p99 before the kill | {:.1} / {:.1} ms |",
        median(&|r| r.before_ms.0),
        median(&|r| r.before_ms.1)
    ));
    say(format!(
        "| post p50 / p99 in the 5 s after the kill | {:.1} / {:.1} ms |",
        median(&|r| r.after_ms.0),
        median(&|r| r.after_ms.1)
    ));
    say(format!(
        "| acknowledged posts/s | {:.0} |",
        median(&|r| r.per_second)
    ));
    say(format!(
        "| acknowledged posts, all runs | {} |",
        sum(&|r| r.acked)
    ));
    say(format!(
        "| **acknowledged posts lost**, all runs | {} |",
        sum(&|r| r.lost)
    ));
    say(format!(
        "| posts stored twice, all runs | {} |",
        sum(&|r| r.stored_twice)
    ));
    say(format!(
        "| tries answered 200 on the other node (stored before the kill, answer lost) | {} |",
        sum(&|r| r.recovered_by_key)
    ));
    say(format!(
        "| tries that failed and went to the other node | {} |",
        sum(&|r| r.failed_tries)
    ));
    say(format!(
        "| events a live client missed / got twice, all runs | {} / {} |",
        sum(&|r| r.live_missed),
        sum(&|r| r.live_twice)
    ));
    Ok(())
}

async fn node(dir: &std::path::Path, url: &str) -> anyhow::Result<(tokio::process::Child, String)> {
    let (child, addr) = crate::spawn_server_with(dir, &[("BEREDSKAP_DATABASE_URL", url)]).await?;
    Ok((child, format!("http://{addr}")))
}

/// Follows the organisation's events, moving to the other node when a stream ends.
async fn live(
    http: reqwest::Client,
    nodes: [String; 2],
    mut on: usize,
    token: String,
    seen: Arc<Mutex<Vec<i64>>>,
    stop: CancellationToken,
) {
    let mut last: Option<i64> = None;
    while !stop.is_cancelled() {
        let mut request = http
            .get(format!("{}/api/v1/orgs/bench/events", nodes[on]))
            .bearer_auth(&token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        if let Ok(mut response) = request.send().await.and_then(|r| r.error_for_status()) {
            let mut pending = String::new();
            loop {
                let chunk = tokio::select! {
                    chunk = response.chunk() => chunk,
                    () = stop.cancelled() => return,
                };
                let Ok(Some(chunk)) = chunk else { break };
                pending.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    if let Some(seq) = line
                        .trim()
                        .strip_prefix("id:")
                        .and_then(|v| v.trim().parse::<i64>().ok())
                    {
                        last = Some(seq);
                        if let Ok(mut seen) = seen.lock() {
                            seen.push(seq);
                        }
                    }
                }
            }
        }
        on = 1 - on;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Posts at a steady pace until `until`; a failed try goes to the other node with the
/// same key. Returns the acknowledged posts and the failed tries.
/// One posting client: where it posts, as whom, and at what pace.
struct Poster {
    http: reqwest::Client,
    nodes: [String; 2],
    token: String,
    channel: String,
    client: usize,
    interval: Duration,
    until: Instant,
}

async fn poster(p: Poster) -> (Vec<Ack>, usize) {
    let Poster {
        http,
        nodes,
        token,
        channel,
        client,
        interval,
        until,
    } = p;
    let mut on = client % 2;
    let mut acks = Vec::new();
    let mut failed = 0;
    let mut next = Instant::now();
    let mut k = 0;
    while Instant::now() < until {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        let key = format!("c{client}-{k}");
        k += 1;
        let sent = Instant::now();
        // Sent until acknowledged; a post never acknowledged would show as a hole in the
        // client's keys, which the lost count does not cover, so it is bounded and counted.
        while sent.elapsed() < Duration::from_secs(30) {
            let answer = http
                .post(format!(
                    "{}/api/v1/orgs/bench/channels/{channel}/messages",
                    nodes[on]
                ))
                .bearer_auth(&token)
                .timeout(REQUEST_TIMEOUT)
                .json(&serde_json::json!({"body": key, "idempotency_key": key}))
                .send()
                .await;
            let acked = match answer {
                Ok(r) if matches!(r.status().as_u16(), 200 | 201) => {
                    let earlier = r.status().as_u16() == 200;
                    r.json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|m| m["seq"].as_i64())
                        .map(|seq| (seq, earlier))
                }
                _ => None,
            };
            match acked {
                Some((seq, earlier)) => {
                    acks.push(Ack {
                        key: key.clone(),
                        seq,
                        sent,
                        acked: Instant::now(),
                        earlier,
                    });
                    break;
                }
                None => {
                    failed += 1;
                    on = 1 - on;
                }
            }
        }
    }
    (acks, failed)
}

fn quantiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (crate::quantile(&ms, 0.5), crate::quantile(&ms, 0.99))
}

async fn measure(args: &FailoverArgs, url: &str) -> anyhow::Result<Run> {
    let store = beredskap_store::open(&DatabaseUrl::parse(url)?, &OpenOptions::default()).await?;
    let org = store
        .create_org(
            &Actor::system(),
            NewOrg::parse("bench", "Bench", Region::Se).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?;
    let (_, token) = bench_admin(store.clone(), &org).await?;
    drop(store);
    let (dir_a, dir_b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (mut a, base_a) = node(dir_a.path(), url).await?;
    let (mut b, base_b) = node(dir_b.path(), url).await?;
    let http = reqwest::Client::new();
    let channel: serde_json::Value = http
        .post(format!("{base_a}/api/v1/orgs/bench/channels"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"kind": "org", "name": "Stab", "classification": "Intern", "members": []}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let channel = channel["id"].as_str().context("the channel's id")?;
    let nodes = [base_a.clone(), base_b.clone()];
    let stop = CancellationToken::new();
    let mut followers = Vec::new();
    let mut seen_by = Vec::new();
    for i in 0..args.live * 2 {
        let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
        seen_by.push(seen.clone());
        followers.push(tokio::spawn(live(
            http.clone(),
            nodes.clone(),
            i % 2,
            token.clone(),
            seen,
            stop.clone(),
        )));
    }
    // Every stream is open before the first post.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let interval = Duration::from_secs_f64(args.clients as f64 / f64::from(args.rate.max(1)));
    let started = Instant::now();
    let until = started + Duration::from_secs(args.before + args.after);
    let posters: Vec<_> = (0..args.clients)
        .map(|c| {
            tokio::spawn(poster(Poster {
                http: http.clone(),
                nodes: nodes.clone(),
                token: token.clone(),
                channel: channel.to_owned(),
                client: c,
                interval,
                until,
            }))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(args.before)).await;
    a.start_kill()?;
    let killed = Instant::now();
    a.wait().await?;
    let mut acks = Vec::new();
    let mut failed_tries = 0;
    let mut first_after = Vec::new();
    for poster in posters {
        let (mine, failed) = poster.await?;
        failed_tries += failed;
        first_after.push(
            mine.iter()
                .filter(|a| a.acked > killed)
                .map(|a| a.acked.duration_since(killed))
                .min(),
        );
        acks.extend(mine);
    }
    // The last events reach the live clients.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.cancel();
    for follower in followers {
        let _ = follower.await;
    }
    let _ = b.start_kill();
    let _ = b.wait().await;

    let failover = first_after
        .iter()
        .map(|d| d.unwrap_or(Duration::MAX))
        .max()
        .unwrap_or_default();
    let before_ms = quantiles(
        acks.iter()
            .filter(|a| a.acked < killed)
            .map(|a| a.acked.duration_since(a.sent).as_secs_f64() * 1000.0)
            .collect(),
    );
    let after_ms = quantiles(
        acks.iter()
            .filter(|a| a.sent >= killed && a.sent < killed + Duration::from_secs(5))
            .map(|a| a.acked.duration_since(a.sent).as_secs_f64() * 1000.0)
            .collect(),
    );
    // What the database holds, read straight from it.
    let db = sqlx::PgPool::connect(url).await?;
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT body, count(*) FROM messages WHERE channel_id = $1::uuid GROUP BY body",
    )
    .bind(channel)
    .fetch_all(&db)
    .await?;
    db.close().await;
    let stored: HashMap<String, i64> = stored.into_iter().collect();
    let lost = acks.iter().filter(|a| !stored.contains_key(&a.key)).count();
    let stored_twice = stored.values().map(|n| (n - 1).max(0) as usize).sum();
    let acked_seqs: HashSet<i64> = acks.iter().map(|a| a.seq).collect();
    let (mut live_missed, mut live_twice) = (0, 0);
    for seen in seen_by {
        let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
        let distinct: HashSet<i64> = seen.iter().copied().collect();
        live_twice += seen.len() - distinct.len();
        live_missed += acked_seqs.difference(&distinct).count();
    }
    Ok(Run {
        failover_ms: failover.as_secs_f64() * 1000.0,
        before_ms,
        after_ms,
        acked: acks.len(),
        per_second: acks.len() as f64 / (args.before + args.after) as f64,
        lost,
        stored_twice,
        recovered_by_key: acks.iter().filter(|a| a.earlier).count(),
        failed_tries,
        live_missed,
        live_twice,
    })
}
