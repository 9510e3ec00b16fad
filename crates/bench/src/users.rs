//! `beredskap-bench users`: N people on one `beredskap serve` (SQLite), each holding a live
//! stream of the organisation's events, reading their team channel now and then, posting
//! to it every few minutes, and answering an alert sent to everyone. Run in steps of
//! rising N; each step reports the average and p99 latency of every request and the share
//! of errors (a failed or refused request, a stream that ended), against Mattermost's own
//! load-test thresholds: average under 100 ms, p99 under 2 s, errors under 0.025 %. The
//! largest N within all three is the answer.
//!
//! The people's clients run in this process, on the same cores as the server.

use crate::ingest::bench_admin;
use crate::say;
use anyhow::Context;
use beredskap_app::accounts::NewUser;
use beredskap_core::register::{NewGroup, NewOrg, Role};
use beredskap_core::{Actor, EmailAddress, PersonId, Region, Slug};
use beredskap_store::{DatabaseUrl, OpenOptions};
use rand::Rng;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub struct UsersArgs {
    /// The numbers of people to try, in order.
    pub steps: Vec<usize>,
    /// Seconds of activity per step, once every stream is open.
    pub seconds: u64,
    /// Minutes between one person's posts, on average.
    pub post_minutes: f64,
    /// Minutes between one person's reads of their channel, on average.
    pub read_minutes: f64,
    /// People per team (a group with a channel of its own).
    pub team: usize,
}

/// A request not answered by then counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Mattermost's thresholds.
const MAX_AVERAGE_MS: f64 = 100.0;
const MAX_P99_MS: f64 = 2000.0;
const MAX_ERROR_SHARE: f64 = 0.000_25;

/// One person's client: their token and their team's channel.
#[derive(Clone)]
struct Person {
    token: String,
    channel: String,
}

#[derive(Default)]
struct Tally {
    /// When each answered request was sent, from the step's start, and how long it took.
    ms: Vec<(Duration, f64)>,
    errors: usize,
}

/// A step longer than this is also reported minute by minute (a soak).
const SOAK_WINDOW: Duration = Duration::from_secs(60);

struct Step {
    people: usize,
    requests: usize,
    average_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
    /// Live streams that ended before the step did.
    streams_lost: usize,
    events: usize,
    rss_mib: f64,
    open_seconds: f64,
    /// Per minute of a long step: requests, average ms, p99 ms, server memory MiB.
    windows: Vec<(usize, f64, f64, f64)>,
}

impl Step {
    fn error_share(&self) -> f64 {
        (self.errors + self.streams_lost) as f64 / (self.requests + self.people).max(1) as f64
    }

    fn within(&self) -> bool {
        self.average_ms < MAX_AVERAGE_MS
            && self.p99_ms < MAX_P99_MS
            && self.error_share() < MAX_ERROR_SHARE
    }
}

pub async fn run(args: UsersArgs) -> anyhow::Result<()> {
    // Each person holds a connection; the server raises its own limit.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let mut steps = Vec::new();
    for &people in &args.steps {
        say(format!("{people} people…"));
        let step = measure(&args, people).await?;
        say(format!(
            "  {} requests, average {:.1} ms, p99 {:.1} ms, {} errors, {} streams lost",
            step.requests, step.average_ms, step.p99_ms, step.errors, step.streams_lost
        ));
        steps.push(step);
    }
    say(format!(
        "\nEach person: a live stream, a read of their team's channel every {} min and a post \
         to it every {} min on average, and an answer to one alert to everyone; teams of {}; \
         {} s per step\n",
        args.read_minutes, args.post_minutes, args.team, args.seconds
    ));
    say("| people | requests | requests/s | average ms | p50 ms | p99 ms | errors | streams lost | error share | live events received | server memory MiB | streams opened in s | within the thresholds |");
    say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for s in &steps {
        say(format!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {:.4} % | {} | {:.0} | {:.1} | {} |",
            s.people,
            s.requests,
            s.requests as f64 / args.seconds as f64,
            s.average_ms,
            s.p50_ms,
            s.p99_ms,
            s.errors,
            s.streams_lost,
            s.error_share() * 100.0,
            s.events,
            s.rss_mib,
            s.open_seconds,
            match s.within() {
                true => "yes",
                false => "**no**",
            }
        ));
    }
    for s in steps.iter().filter(|s| !s.windows.is_empty()) {
        say(format!(
            "\n{} people, minute by minute (memory sampled at the end of each minute)\n",
            s.people
        ));
        say("| minute | requests | average ms | p99 ms | server memory MiB |");
        say("|---:|---:|---:|---:|---:|");
        for (minute, (n, average, p99, rss)) in s.windows.iter().enumerate() {
            say(format!(
                "| {} | {n} | {average:.1} | {p99:.1} | {rss:.0} |",
                minute + 1
            ));
        }
    }
    let largest = steps.iter().filter(|s| s.within()).map(|s| s.people).max();
    say(format!(
        "\nLargest number of people within the thresholds (average < {MAX_AVERAGE_MS} ms, \
         p99 < {MAX_P99_MS} ms, errors < {} %): {}",
        MAX_ERROR_SHARE * 100.0,
        largest.map_or("none".into(), |n| n.to_string())
    ));
    Ok(())
}

/// The organisation, its people with their tokens, and a group per team, written straight
/// to the store before the server starts.
async fn setup(
    dir: &std::path::Path,
    args: &UsersArgs,
    people: usize,
) -> anyhow::Result<(String, Vec<String>, Vec<String>, String)> {
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
    let (_, admin) = bench_admin(store.clone(), &org).await?;
    let app = beredskap_app::App::new(
        store.clone(),
        Arc::new(beredskap_core::clock::SystemClock),
        Arc::new(beredskap_app::NoWakeups),
    );
    let operator = beredskap_app::Caller::Operator(Actor::system());
    let mut tokens = Vec::with_capacity(people);
    let mut persons: Vec<PersonId> = Vec::with_capacity(people);
    for i in 0..people {
        let created = beredskap_app::accounts::create_user(
            &app,
            &operator,
            &org,
            NewUser {
                name: format!("Person {i}"),
                login: EmailAddress::parse(&format!("p{i}@bench.example"))
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
                role: Role::Member,
                mobile: None,
                private_email: None,
            },
            "http://bench",
            1,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (_, token) = beredskap_app::accounts::issue_api_token(
            &app,
            &operator,
            &org,
            &created.account,
            "bench",
            &beredskap_core::register::Scope::ALL,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        tokens.push(token);
        persons.push(created.account.person_id);
    }
    let mut groups = Vec::new();
    for (t, team) in persons.chunks(args.team.max(1)).enumerate() {
        let group = store
            .create_group(
                &Actor::system(),
                org.id,
                NewGroup {
                    slug: Slug::parse(&format!("team-{t}")).map_err(|e| anyhow::anyhow!("{e}"))?,
                    name: format!("Team {t}"),
                },
            )
            .await?;
        store
            .set_group_members(&Actor::system(), org.id, group.id, team.to_vec())
            .await?;
        groups.push(group.id.to_string());
    }
    let everyone = store
        .create_group(
            &Actor::system(),
            org.id,
            NewGroup {
                slug: Slug::parse("alla").map_err(|e| anyhow::anyhow!("{e}"))?,
                name: "Alla".into(),
            },
        )
        .await?;
    store
        .set_group_members(&Actor::system(), org.id, everyone.id, persons)
        .await?;
    Ok((admin, tokens, groups, everyone.id.to_string()))
}

/// Holds a live stream until `stop`; counts the events received. Says whether the stream
/// lasted (opened, and did not end before `stop`).
async fn hold_stream(
    http: reqwest::Client,
    url: String,
    token: String,
    opened: Arc<AtomicUsize>,
    events: Arc<AtomicUsize>,
    stop: CancellationToken,
) -> bool {
    let Ok(mut response) = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .and_then(|r| r.error_for_status())
    else {
        return false;
    };
    opened.fetch_add(1, Ordering::Relaxed);
    loop {
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk,
            () = stop.cancelled() => return true,
        };
        match chunk {
            Ok(Some(bytes)) => {
                let n = bytes.windows(3).filter(|w| w == b"id:").count();
                events.fetch_add(n, Ordering::Relaxed);
            }
            _ => return stop.is_cancelled(),
        }
    }
}

/// Sends one request and notes its time, or an error.
async fn timed(request: reqwest::RequestBuilder, tally: Arc<Mutex<Tally>>, step: Instant) {
    let started = Instant::now();
    let ok = match request.timeout(REQUEST_TIMEOUT).send().await {
        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
        Err(_) => false,
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(mut t) = tally.lock() {
        match ok {
            true => t.ms.push((started.duration_since(step), ms)),
            false => t.errors += 1,
        }
    }
}

/// The server's resident memory, from /proc.
fn rss_mib(pid: Option<u32>) -> f64 {
    crate::proc_memory_mib(pid, "VmRSS")
}

async fn measure(args: &UsersArgs, people: usize) -> anyhow::Result<Step> {
    let dir = tempfile::tempdir()?;
    let (admin, tokens, groups, everyone) = setup(dir.path(), args, people).await?;
    say("  people written; starting the server");
    // Everyone online at once: more connections than the default limit (4,096).
    let limit = (people + 1024).to_string();
    let (child, addr) =
        crate::spawn_server_with(dir.path(), &[("BEREDSKAP_MAX_CONNECTIONS", &limit)]).await?;
    let base = format!("http://{addr}/api/v1/orgs/bench");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let mut channels = Vec::with_capacity(groups.len());
    for group in &groups {
        let channel: serde_json::Value = http
            .post(format!("{base}/channels"))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"kind": "group", "name": "Team", "classification": "Intern", "group_id": group}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        channels.push(
            channel["id"]
                .as_str()
                .context("the channel's id")?
                .to_owned(),
        );
    }
    let team = args.team.max(1);
    let clients: Vec<Person> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| Person {
            token,
            channel: channels[i / team].clone(),
        })
        .collect();

    // Every person opens their stream, a few hundred a second.
    let stop = CancellationToken::new();
    let (opened, events) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let opening = Instant::now();
    let mut streams = Vec::with_capacity(people);
    for (i, person) in clients.iter().enumerate() {
        streams.push(tokio::spawn(hold_stream(
            http.clone(),
            format!("{base}/events"),
            person.token.clone(),
            opened.clone(),
            events.clone(),
            stop.clone(),
        )));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    while opened.load(Ordering::Relaxed) < people && opening.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let open_seconds = opening.elapsed().as_secs_f64();
    say(format!(
        "  {} of {people} streams open after {open_seconds:.1} s",
        opened.load(Ordering::Relaxed)
    ));

    // Reads and posts as Poisson arrivals; the alert a third of the way in, its answers
    // spread over the following half of the step.
    let tally: Arc<Mutex<Tally>> = Arc::default();
    let seconds = args.seconds as f64;
    let reads_per_second = people as f64 / (args.read_minutes * 60.0);
    let posts_per_second = people as f64 / (args.post_minutes * 60.0);
    let rate = reads_per_second + posts_per_second;
    let started = Instant::now();
    let pid = child.id();
    let memory: Arc<Mutex<Vec<f64>>> = Arc::default();
    let sampling = {
        let memory = memory.clone();
        tokio::spawn(async move {
            let mut every =
                tokio::time::interval_at((Instant::now() + SOAK_WINDOW).into(), SOAK_WINDOW);
            loop {
                every.tick().await;
                if let Ok(mut m) = memory.lock() {
                    m.push(rss_mib(pid));
                }
            }
        })
    };
    let mut rng = rand::thread_rng();
    let mut at = 0.0_f64;
    let mut alert_sent = false;
    let mut requests = Vec::new();
    loop {
        at += -(1.0 - rng.gen::<f64>()).ln() / rate;
        if at >= seconds {
            break;
        }
        if !alert_sent && at >= seconds / 3.0 {
            alert_sent = true;
            let alert: serde_json::Value = http
                .post(format!("{base}/alerts"))
                .bearer_auth(&admin)
                .json(&serde_json::json!({
                    "message": "Övning: bekräfta att du har sett detta.",
                    "severity": "warning",
                    "recipients": {"groups": [everyone]},
                    "step_minutes": 240,
                }))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let id = alert["id"].as_str().context("the alert's id")?.to_owned();
            for person in &clients {
                let delay = Duration::from_secs_f64(rng.gen_range(0.0..seconds / 2.0));
                let request = http
                    .post(format!("{base}/alerts/{id}/answer"))
                    .bearer_auth(&person.token)
                    .json(&serde_json::json!({}));
                let tally = tally.clone();
                requests.push(tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    timed(request, tally, started).await;
                }));
            }
        }
        tokio::time::sleep_until((started + Duration::from_secs_f64(at)).into()).await;
        let person = &clients[rng.gen_range(0..people)];
        let request = match rng.gen::<f64>() * rate < posts_per_second {
            true => http
                .post(format!("{base}/channels/{}/messages", person.channel))
                .bearer_auth(&person.token)
                .json(&serde_json::json!({"body": "Lägesrapport: allt lugnt här, vi fortsätter enligt planen."})),
            false => http
                .get(format!("{base}/channels/{}/messages?limit=50", person.channel))
                .bearer_auth(&person.token),
        };
        requests.push(tokio::spawn(timed(request, tally.clone(), started)));
    }
    say(format!(
        "  {} requests sent; waiting for their answers",
        requests.len()
    ));
    for request in requests {
        let _ = request.await;
    }
    let rss = rss_mib(child.id());
    sampling.abort();
    stop.cancel();
    let mut streams_lost = 0;
    for stream in streams {
        if !stream.await.unwrap_or(false) {
            streams_lost += 1;
        }
    }
    drop(child);
    let tally = std::mem::take(&mut *tally.lock().map_err(|_| anyhow::anyhow!("tally"))?);
    let memory = memory.lock().map(|m| m.clone()).unwrap_or_default();
    let windows = match args.seconds > 2 * SOAK_WINDOW.as_secs() {
        true => (0..args.seconds / SOAK_WINDOW.as_secs())
            .map(|w| {
                let (from, to) = (SOAK_WINDOW * w as u32, SOAK_WINDOW * (w as u32 + 1));
                let mut ms: Vec<f64> = tally
                    .ms
                    .iter()
                    .filter(|(at, _)| *at >= from && *at < to)
                    .map(|(_, ms)| *ms)
                    .collect();
                ms.sort_by(f64::total_cmp);
                let p99 = crate::quantile(&ms, 0.99);
                let average = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
                let rss = memory.get(w as usize).copied().unwrap_or(f64::NAN);
                (ms.len(), average, p99, rss)
            })
            .collect(),
        false => Vec::new(),
    };
    let mut ms: Vec<f64> = tally.ms.iter().map(|(_, ms)| *ms).collect();
    ms.sort_by(f64::total_cmp);
    Ok(Step {
        people,
        requests: ms.len() + tally.errors,
        average_ms: ms.iter().sum::<f64>() / ms.len().max(1) as f64,
        p50_ms: crate::quantile(&ms, 0.5),
        p99_ms: crate::quantile(&ms, 0.99),
        errors: tally.errors,
        streams_lost,
        events: events.load(Ordering::Relaxed),
        rss_mib: rss,
        open_seconds,
        windows,
    })
}
