//! `beredskap-bench fanout`: live updates to many subscribers of one channel. A real server
//! (this binary's `serve`, in its own process) gets posts through the API at rising offered
//! rates while N clients follow the event stream; each post carries the time it was sent,
//! so every delivery gives a post-to-deliver latency. Beside it, in the same run, the limit:
//! a bare tokio broadcast fan-out over loopback (also in its own process, `bench
//! fanout-limit`) sending frames of the same size to the same clients, with no database, no
//! HTTP post and no filtering. Times are wall-clock microseconds, shared by the processes.

use crate::say;
use anyhow::Context;
use beredskap_core::conversation::{ChannelKind, NewChannel};
use beredskap_core::register::NewOrg;
use beredskap_core::{Actor, Region};
use beredskap_store::{DatabaseUrl, OpenOptions};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;

/// One measured step.
struct Step {
    label: String,
    offered: String,
    deliveries_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    note: String,
}

/// Every delivery, counted per subscriber and per post (a duplicate must not hide a loss),
/// and the latencies of first arrivals, grouped by the step they belong to.
struct Deliveries {
    /// Per step: the latencies, and when the last delivery arrived (wall-clock µs).
    by_step: Mutex<Vec<(Vec<u32>, u64)>>,
    /// Per subscriber: how many times each post arrived, by post number.
    counts: Vec<Mutex<Vec<u8>>>,
    /// Arrivals of a post at a subscriber that had not had it yet.
    firsts: AtomicU64,
}

/// What became of a step's posts at every subscriber.
struct Tally {
    /// Post and subscriber pairs that arrived at least once.
    delivered: u64,
    /// Pairs that never arrived.
    missing: u64,
    /// Subscribers that missed at least one post.
    short: usize,
    /// Arrivals beyond the first.
    repeated: u64,
}

impl Deliveries {
    fn new(subscribers: usize) -> Self {
        Self {
            by_step: Mutex::new(Vec::new()),
            counts: (0..subscribers).map(|_| Mutex::new(Vec::new())).collect(),
            firsts: AtomicU64::new(0),
        }
    }

    fn record(&self, subscriber: usize, step: usize, post: usize, micros: u32, at: u64) {
        let first = {
            let Some(counts) = self.counts.get(subscriber) else {
                return;
            };
            let mut counts = counts.lock().unwrap_or_else(|e| e.into_inner());
            if counts.len() <= post {
                counts.resize(post + 1, 0);
            }
            counts[post] = counts[post].saturating_add(1);
            counts[post] == 1
        };
        if !first {
            return;
        }
        self.firsts.fetch_add(1, Ordering::SeqCst);
        let mut all = self.by_step.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() <= step {
            all.resize_with(step + 1, Default::default);
        }
        all[step].0.push(micros);
        all[step].1 = all[step].1.max(at);
    }

    /// The step's first-arrival latencies and how long from `began` until its last
    /// delivery, in seconds.
    fn take(&self, step: usize, began: u64) -> (Vec<u32>, f64) {
        let mut all = self.by_step.lock().unwrap_or_else(|e| e.into_inner());
        match all.get_mut(step) {
            Some((latencies, last)) => {
                let seconds = last.saturating_sub(began) as f64 / 1e6;
                (std::mem::take(latencies), seconds.max(1e-3))
            }
            None => (Vec::new(), 1.0),
        }
    }

    /// Which of `posts` every subscriber got, and how often.
    fn tally(&self, posts: &[usize]) -> Tally {
        let mut tally = Tally {
            delivered: 0,
            missing: 0,
            short: 0,
            repeated: 0,
        };
        for counts in &self.counts {
            let counts = counts.lock().unwrap_or_else(|e| e.into_inner());
            let mut missed = false;
            for &post in posts {
                match counts.get(post).copied().unwrap_or(0) {
                    0 => {
                        tally.missing += 1;
                        missed = true;
                    }
                    n => {
                        tally.delivered += 1;
                        tally.repeated += u64::from(n - 1);
                    }
                }
            }
            tally.short += usize::from(missed);
        }
        tally
    }

    /// Waits until `target` first arrivals in all, or until none has come for a while:
    /// whatever has not arrived by then is reported missing.
    async fn settle(&self, target: u64) {
        let mut seen = self.firsts.load(Ordering::SeqCst);
        let mut since = Instant::now();
        while seen < target && since.elapsed() < QUIET {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.firsts.load(Ordering::SeqCst);
            if now != seen {
                seen = now;
                since = Instant::now();
            }
        }
    }
}

/// How long a step may go without a new arrival before what is missing counts as lost.
const QUIET: Duration = Duration::from_secs(5);

/// A step whose deliveries are at least this share of what it offered (and nothing is
/// missing) has not saturated the bare server yet: the next rate doubles.
const KEEPS_UP: f64 = 0.9;

/// Doublings of the rate past the last one asked for, looking for the bare server's limit.
const MAX_DOUBLINGS: usize = 5;

/// Wall-clock microseconds: posts and frames carry `t=<µs>`, read in another process.
fn now_us(_start: Instant) -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Follows one event stream over a raw HTTP/1.1 connection (the same client for the
/// server and for the bare limit), recording the latency of each event.
#[allow(clippy::too_many_arguments)]
async fn subscriber(
    index: usize,
    addr: std::net::SocketAddr,
    path: String,
    token: String,
    start: Instant,
    step: Arc<AtomicUsize>,
    deliveries: Arc<Deliveries>,
    connected: Arc<AtomicUsize>,
) -> anyhow::Result<()> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    write
        .write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    let mut lines = tokio::io::BufReader::new(read);
    let mut line = String::new();
    // Status line and headers.
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            anyhow::bail!("the stream closed before it started");
        }
        if line == "\r\n" {
            break;
        }
    }
    connected.fetch_add(1, Ordering::SeqCst);
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        // Chunk sizes and other lines have no `"body":"t=`.
        if let Some((sent, post)) = line
            .find("\"body\":\"t=")
            .and_then(|at| stamp(&line[at + 10..]))
        {
            let now = now_us(start);
            deliveries.record(
                index,
                step.load(Ordering::SeqCst),
                post,
                u32::try_from(now.saturating_sub(sent)).unwrap_or(u32::MAX),
                now,
            );
        }
    }
}

/// `<sent µs>;p=<post number>`, as posts and bare frames carry it.
fn stamp(text: &str) -> Option<(u64, usize)> {
    let digits = |t: &str| -> String { t.chars().take_while(char::is_ascii_digit).collect() };
    let sent = digits(text);
    let post = digits(text.get(sent.len()..)?.strip_prefix(";p=")?);
    Some((sent.parse().ok()?, post.parse().ok()?))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}

fn summarise(
    label: &str,
    offered: String,
    mut latencies: Vec<u32>,
    seconds: f64,
    note: String,
) -> Step {
    latencies.sort_unstable();
    Step {
        label: label.to_owned(),
        offered,
        deliveries_per_second: latencies.len() as f64 / seconds,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        note,
    }
}

/// Resident memory of a process, in kB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub async fn run(subscribers: usize, rates: Vec<u32>, seconds: u64) -> anyhow::Result<()> {
    let start = Instant::now();
    let phase = Duration::from_secs(seconds);
    let mut steps = Vec::new();

    // ---- Beredskap: a real server process on a fresh SQLite database.
    let dir = tempfile::tempdir()?;
    let (token, channel, child, addr) = start_server(dir.path()).await?;
    let pid = child.id().unwrap_or(0);
    let rss_before = rss_kb(pid);
    let step = Arc::new(AtomicUsize::new(0));
    let deliveries = Arc::new(Deliveries::new(subscribers));
    let connected = Arc::new(AtomicUsize::new(0));
    let mut clients = tokio::task::JoinSet::new();
    for index in 0..subscribers {
        clients.spawn(subscriber(
            index,
            addr,
            "/api/v1/orgs/bench/events".into(),
            token.clone(),
            start,
            step.clone(),
            deliveries.clone(),
            connected.clone(),
        ));
    }
    wait_for(&connected, subscribers).await?;
    // Let every stream finish its catch-up before measuring memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per_connection = match (rss_before, rss_kb(pid)) {
        (Some(before), Some(after)) => {
            format!(
                "{:.1} kB",
                (after.saturating_sub(before)) as f64 / subscribers as f64
            )
        }
        _ => "unknown".into(),
    };
    say(format!(
        "{subscribers} subscribers connected; server memory per connection {per_connection}"
    ));
    let client = reqwest::Client::new();
    let post_url = format!("http://{addr}/api/v1/orgs/bench/channels/{channel}/messages");
    let next_post = AtomicUsize::new(1);
    for (i, rate) in rates.iter().enumerate() {
        step.store(i, Ordering::SeqCst);
        let began = now_us(start);
        let before = deliveries.firsts.load(Ordering::SeqCst);
        let offered = offer(&client, &post_url, &token, *rate, phase, start, &next_post).await;
        // Every post answered 201 must reach every subscriber: wait for all of them, or
        // report what did not come.
        let expected = offered.answered.len() as u64 * subscribers as u64;
        deliveries.settle(before + expected).await;
        let (latencies, took) = deliveries.take(i, began);
        let tally = deliveries.tally(&offered.answered);
        steps.push(summarise(
            "Beredskap (API post → SSE, SQLite)",
            format!(
                "{rate} posts/s = {} deliveries/s",
                u64::from(*rate) * subscribers as u64
            ),
            latencies,
            took,
            note(&tally, expected, &offered.failed),
        ));
    }
    clients.abort_all();
    let mut child = child;
    child.kill().await.ok();

    // ---- The limit: bare broadcast fan-out over loopback, same client, same frames, with
    // the rate doubled past the last one asked for until it no longer keeps up.
    let deliveries = Arc::new(Deliveries::new(subscribers));
    let connected = Arc::new(AtomicUsize::new(0));
    let mut limit = tokio::process::Command::new(std::env::current_exe()?)
        .arg("fanout-limit")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the bare fan-out server")?;
    let mut commands = limit.stdin.take().context("limit input")?;
    let mut answers =
        tokio::io::BufReader::new(limit.stdout.take().context("limit output")?).lines();
    let bare_addr: std::net::SocketAddr = answers
        .next_line()
        .await?
        .and_then(|l| l.strip_prefix("listening ").map(str::to_owned))
        .context("the bare server did not start")?
        .parse()?;
    let mut clients = tokio::task::JoinSet::new();
    for index in 0..subscribers {
        clients.spawn(subscriber(
            index,
            bare_addr,
            "/events".into(),
            String::new(),
            start,
            step.clone(),
            deliveries.clone(),
            connected.clone(),
        ));
    }
    wait_for(&connected, subscribers).await?;
    let mut limit_rates = rates.clone();
    let mut index = rates.len();
    let mut i = 0;
    while let Some(&rate) = limit_rates.get(i) {
        step.store(index, Ordering::SeqCst);
        let began = now_us(start);
        let before = deliveries.firsts.load(Ordering::SeqCst);
        commands
            .write_all(format!("{rate} {seconds}\n").as_bytes())
            .await?;
        let (first, count): (usize, usize) = answers
            .next_line()
            .await?
            .and_then(|l| {
                let mut words = l.strip_prefix("sent ")?.split_whitespace();
                Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
            })
            .context("the bare server stopped")?;
        let posts: Vec<usize> = (first..first + count).collect();
        let expected = count as u64 * subscribers as u64;
        deliveries.settle(before + expected).await;
        let (latencies, took) = deliveries.take(index, began);
        let tally = deliveries.tally(&posts);
        let offered_deliveries = u64::from(rate) * subscribers as u64;
        let row = summarise(
            "limit: bare tokio broadcast over loopback",
            format!("{rate} frames/s = {offered_deliveries} deliveries/s"),
            latencies,
            took,
            note(&tally, expected, &Default::default()),
        );
        let keeps_up =
            tally.missing == 0 && row.deliveries_per_second >= KEEPS_UP * offered_deliveries as f64;
        steps.push(row);
        if i + 1 == limit_rates.len() && keeps_up && limit_rates.len() < rates.len() + MAX_DOUBLINGS
        {
            limit_rates.push(rate.saturating_mul(2));
        }
        i += 1;
        index += 1;
    }
    drop(commands);
    limit.kill().await.ok();
    clients.abort_all();
    print_table(&steps, subscribers, seconds, &per_connection);
    Ok(())
}

fn note(
    tally: &Tally,
    expected: u64,
    failed_posts: &std::collections::BTreeMap<String, u64>,
) -> String {
    let mut note = format!(
        "{} of {expected} delivered; {} missing",
        tally.delivered, tally.missing
    );
    if tally.missing > 0 {
        note.push_str(&format!(" (at {} subscribers)", tally.short));
    }
    note.push_str(&format!("; {} repeated", tally.repeated));
    let failed: u64 = failed_posts.values().sum();
    if failed > 0 {
        let why: Vec<String> = failed_posts
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        note.push_str(&format!(
            "; {failed} posts not answered 201 ({})",
            why.join(", ")
        ));
    }
    note
}

async fn wait_for(counter: &AtomicUsize, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::SeqCst) < n {
        if Instant::now() > deadline {
            anyhow::bail!(
                "only {} of {n} subscribers connected",
                counter.load(Ordering::SeqCst)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// The posts of one step.
struct Offered {
    /// Post numbers the server answered 201: each must reach every subscriber.
    answered: Vec<usize>,
    /// Posts not answered 201, by what happened (a status, or the connection's fate).
    failed: std::collections::BTreeMap<String, u64>,
}

/// Posts at `rate` per second for `phase` without waiting for answers (an open loop, so
/// a slow server shows as latency, not as a lower offered rate). Each post carries the
/// time it was sent and its number.
async fn offer(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    rate: u32,
    phase: Duration,
    start: Instant,
    next_post: &AtomicUsize,
) -> Offered {
    let answered = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(Mutex::new(std::collections::BTreeMap::<String, u64>::new()));
    let mut posts = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    let ends = Instant::now() + phase;
    while Instant::now() < ends {
        tick.tick().await;
        let (client, url, token, answered, failed) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            answered.clone(),
            failed.clone(),
        );
        let post = next_post.fetch_add(1, Ordering::SeqCst);
        let body = serde_json::json!({ "body": format!("t={};p={post}", now_us(start)) });
        posts.spawn(async move {
            let why = match client.post(url).bearer_auth(token).json(&body).send().await {
                Ok(r) if r.status() == 201 => None,
                Ok(r) => Some(format!("answered {}", r.status().as_u16())),
                Err(e) if e.is_connect() => Some("connection refused".to_owned()),
                Err(_) => Some("connection closed unanswered".to_owned()),
            };
            match why {
                None => answered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(post),
                Some(why) => {
                    *failed
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(why)
                        .or_default() += 1;
                }
            }
        });
    }
    while posts.join_next().await.is_some() {}
    let answered = std::mem::take(&mut *answered.lock().unwrap_or_else(|e| e.into_inner()));
    let failed = std::mem::take(&mut *failed.lock().unwrap_or_else(|e| e.into_inner()));
    Offered { answered, failed }
}

/// An SSE frame shaped like the server's for a posted message.
fn frame(seq: u64, sent_us: u64) -> Arc<Vec<u8>> {
    let data = serde_json::json!({
        "seq": seq,
        "kind": "message.posted",
        "at": "2026-11-23T12:00:00.000000Z",
        "data": {
            "announcement": false,
            "attachments": [],
            "author": "01a20878-da03-71fb-8441-845d3bfde2af",
            "body": format!("t={sent_us};p={seq}"),
            "channel_id": "01a20878-da03-71fb-8441-845d3bfde2af",
            "id": "01a20878-da0c-7090-9f5d-06965f422924",
            "mentions": [],
            "thread_root": null,
        },
    });
    Arc::new(format!("id: {seq}\ndata: {data}\n\n").into_bytes())
}

/// `beredskap-bench fanout-limit`: the bare server in its own process. Prints `listening ADDR`, then
/// for each input line `RATE SECONDS` broadcasts frames at that rate and prints
/// `sent FIRST COUNT` (the frames are numbered from 1 on).
pub async fn limit_server() -> anyhow::Result<()> {
    let (frames, addr) = bare_server().await?;
    say(format!("listening {addr}"));
    let start = Instant::now();
    let mut input = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut seq = 1u64;
    while let Some(line) = input.next_line().await? {
        let mut words = line
            .split_whitespace()
            .filter_map(|w| w.parse::<u64>().ok());
        let (Some(rate), Some(seconds)) = (words.next(), words.next()) else {
            continue;
        };
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(1) as f64));
        let ends = Instant::now() + Duration::from_secs(seconds);
        let first = seq;
        while Instant::now() < ends {
            tick.tick().await;
            let _ = frames.send(frame(seq, now_us(start)));
            seq += 1;
        }
        say(format!("sent {first} {}", seq - first));
    }
    Ok(())
}

/// A minimal event-stream server: every connection gets every broadcast frame.
async fn bare_server() -> anyhow::Result<(broadcast::Sender<Arc<Vec<u8>>>, std::net::SocketAddr)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (frames, _) = broadcast::channel::<Arc<Vec<u8>>>(4096);
    let sender = frames.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut rx = sender.subscribe();
            tokio::spawn(async move {
                let _ = socket.set_nodelay(true);
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                // Frames that are already waiting go out in one write, as a good
                // server would do under load.
                let mut batch = Vec::new();
                loop {
                    batch.clear();
                    match rx.recv().await {
                        Ok(frame) => batch.extend_from_slice(&frame),
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                    while let Ok(frame) = rx.try_recv() {
                        batch.extend_from_slice(&frame);
                    }
                    if socket.write_all(&batch).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok((frames, addr))
}

/// Sets up an organisation, an administrator's token and a channel, then starts
/// `beredskap serve` on them and waits until it listens.
async fn start_server(
    dir: &std::path::Path,
) -> anyhow::Result<(String, String, tokio::process::Child, std::net::SocketAddr)> {
    let store = beredskap_store::open(
        &DatabaseUrl::Sqlite(dir.join("beredskap.db")),
        &OpenOptions {
            create: true,
            ..Default::default()
        },
    )
    .await?;
    let org = store
        .create_org(
            &Actor::system(),
            NewOrg::parse("bench", "Bench", Region::Se).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?;
    let (admin, token) = crate::ingest::bench_admin(store.clone(), &org).await?;
    let channel = store
        .create_channel(
            &Actor::system(),
            org.id,
            admin.id,
            NewChannel {
                kind: ChannelKind::Org,
                name: "Alla".into(),
                classification: "Intern".into(),
                group_id: None,
                members: vec![],
            },
        )
        .await?;
    drop(store);
    let (child, addr) = crate::spawn_server(dir).await?;
    Ok((token, channel.id.to_string(), child, addr))
}

fn print_table(steps: &[Step], subscribers: usize, seconds: u64, per_connection: &str) {
    say(format!(
        "\n{subscribers} subscribers on one channel, {seconds} s per step; server memory per connection: {per_connection}\n"
    ));
    say("| what | offered | deliveries/s | p50 ms | p99 ms | note |".to_owned());
    say("|---|---|---:|---:|---:|---|".to_owned());
    for s in steps {
        say(format!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} |",
            s.label, s.offered, s.deliveries_per_second, s.p50_ms, s.p99_ms, s.note
        ));
    }
    let best = |limit: bool| {
        steps
            .iter()
            .filter(|s| s.label.starts_with("limit") == limit)
            .map(|s| s.deliveries_per_second)
            .fold(0.0, f64::max)
    };
    let (ours, bare) = (best(false), best(true));
    say(format!(
        "\nMost deliveries/s: Beredskap {ours:.0}, bare limit {bare:.0}; ratio {:.2}",
        ours / bare.max(1.0)
    ));
}
