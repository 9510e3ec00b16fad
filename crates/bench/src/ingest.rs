//! `beredskap-bench ingest`: durable-ingest throughput and latency through the real HTTP
//! API, beside the limit of the disk measured in the same run (a bare SQLite insert loop
//! with `synchronous=FULL`). Prints a Markdown table for BENCHMARKS.md.

use crate::say;
use anyhow::Context;
use beredskap_app::accounts::NewUser;
use beredskap_core::register::{NewOrg, Role};
use beredskap_core::{Actor, EmailAddress, Region, Store};
use beredskap_server::{Application, Config};
use beredskap_store::{DatabaseUrl, OpenOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Concurrent clients creating people through the API, each acknowledged after commit.
    Ingest {
        /// Seconds to measure each configuration.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Times to repeat every measurement; the median is reported, with min–max.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Client counts to measure, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,32")]
        clients: Vec<usize>,
        /// PostgreSQL server to create a scratch database on; without it (and without
        /// TEST_PG_URL) PostgreSQL is not measured.
        #[arg(long, env = "TEST_PG_URL")]
        pg_url: Option<String>,
    },
    /// Live updates: N subscribers on one channel, posts at rising rates, beside a bare
    /// broadcast fan-out.
    Fanout {
        #[arg(long, default_value_t = 1000)]
        subscribers: usize,
        /// Offered posts per second, comma-separated, one step each.
        #[arg(long, value_delimiter = ',', default_value = "10,25,50,75")]
        rates: Vec<u32>,
        /// Seconds per step.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// The bare fan-out server `fanout` measures against, run in its own process.
    FanoutLimit,
    /// Search over a large generated Swedish conversation, through the API beside tantivy
    /// queried directly on the same index; and how fast the indexer takes messages in.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        #[arg(long, default_value_t = 1000)]
        channels: usize,
        /// How many of the channels the searcher is in.
        #[arg(long, default_value_t = 50)]
        member_of: usize,
        /// Queries per run, one at a time.
        #[arg(long, default_value_t = 2000)]
        queries: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// The public status page under a crowd, beside nginx serving the same bytes; then
    /// how soon a notice published under that crowd shows on the page and in the feeds.
    StatusPage {
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds per run.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Two nodes on one PostgreSQL: how soon a post on one reaches a live client on the
    /// other, beside a live client on the node written to.
    Nodes {
        #[arg(long, default_value_t = 1000)]
        posts: usize,
        /// Milliseconds between posts.
        #[arg(long, default_value_t = 20)]
        interval_ms: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long, env = "TEST_PG_URL")]
        pg_url: Option<String>,
    },
    /// N people on one node, each with a live stream, reading, posting and answering an
    /// alert, in rising steps; the largest N within Mattermost's load-test thresholds.
    Users {
        /// Numbers of people to try, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000,2500,5000,10000")]
        steps: Vec<usize>,
        /// Seconds of activity per step.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Minutes between one person's posts, on average.
        #[arg(long, default_value_t = 5.0)]
        post_minutes: f64,
        /// Minutes between one person's reads of their channel, on average.
        #[arg(long, default_value_t = 1.0)]
        read_minutes: f64,
        /// People per team channel.
        #[arg(long, default_value_t = 50)]
        team: usize,
    },
    /// Two `beredskap serve` nodes on one PostgreSQL under a steady rate of posts, with
    /// live clients on both; node A is killed mid-run.
    Failover {
        /// Posts per second offered, over all clients.
        #[arg(long, default_value_t = 500)]
        rate: u32,
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// Live clients on each node.
        #[arg(long, default_value_t = 2)]
        live: usize,
        /// Seconds of posting before the kill.
        #[arg(long, default_value_t = 5)]
        before: u64,
        /// Seconds of posting after the kill.
        #[arg(long, default_value_t = 10)]
        after: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long, env = "TEST_PG_URL")]
        pg_url: Option<String>,
    },
    /// An alert to many people through `beredskap serve`, a local SMS gateway and SMTP,
    /// with and without a `kill -9` mid-blast, beside a minimal client's limit.
    Blast {
        #[arg(long, default_value_t = 10_000)]
        recipients: usize,
        /// Every nth person is reached by email first.
        #[arg(long, default_value_t = 5)]
        email_every: usize,
        #[arg(long, default_value_t = 50)]
        min_ms: u64,
        #[arg(long, default_value_t = 500)]
        max_ms: u64,
        /// Every nth gateway request is answered 429 with Retry-After: 1.
        #[arg(long, default_value_t = 50)]
        every_429: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Hand-offs after which the crash run kills the server.
        #[arg(long, default_value_t = 4000)]
        kill_after: usize,
        /// PostgreSQL server to run the blasts on (a scratch database each); SQLite
        /// without it.
        #[arg(long)]
        pg_url: Option<String>,
        /// Server processes sharing the PostgreSQL database and the work (the alert goes
        /// to the first, which the crash run kills); 1 on SQLite.
        #[arg(long, default_value_t = 1)]
        nodes: usize,
        /// Chat clients posting before and during the uncrashed blast; 0 for none.
        #[arg(long, default_value_t = 8)]
        chat_clients: usize,
        /// Milliseconds each chat client waits between an answer and its next post.
        #[arg(long, default_value_t = 100)]
        chat_pause_ms: u64,
    },
}

struct Figures {
    label: String,
    per_second: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    /// Writes not acknowledged (an error or no `201`): not counted in the rate.
    failed: u64,
    note: String,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    let (seconds, runs, clients, pg_url) = match cmd {
        BenchCommand::Ingest {
            seconds,
            runs,
            clients,
            pg_url,
        } => (seconds, runs, clients, pg_url),
        BenchCommand::Fanout {
            subscribers,
            rates,
            seconds,
        } => {
            crate::fanout::run(subscribers, rates, seconds).await?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchCommand::FanoutLimit => {
            crate::fanout::limit_server().await?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchCommand::Search {
            messages,
            channels,
            member_of,
            queries,
            runs,
        } => {
            crate::search::run(messages, channels, member_of, queries, runs).await?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchCommand::StatusPage {
            connections,
            seconds,
            runs,
        } => {
            crate::status_page::run(connections, seconds, runs).await?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchCommand::Nodes {
            posts,
            interval_ms,
            runs,
            pg_url,
        } => {
            crate::nodes::run(pg_url, posts, interval_ms, runs.max(1)).await?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchCommand::Users {
            steps,
            seconds,
            post_minutes,
            read_minutes,
            team,
        } => {
            crate::users::run(crate::users::UsersArgs {
                steps,
                seconds: seconds.max(1),
                post_minutes: post_minutes.max(0.01),
                read_minutes: read_minutes.max(0.01),
                team,
            })
            .await?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchCommand::Failover {
            rate,
            clients,
            live,
            before,
            after,
            runs,
            pg_url,
        } => {
            crate::failover::run(crate::failover::FailoverArgs {
                pg_url,
                rate,
                clients: clients.max(1),
                live,
                before,
                after,
                runs: runs.max(1),
            })
            .await?;
            return Ok(ExitCode::SUCCESS);
        }
        BenchCommand::Blast {
            recipients,
            email_every,
            min_ms,
            max_ms,
            every_429,
            runs,
            kill_after,
            pg_url,
            nodes,
            chat_clients,
            chat_pause_ms,
        } => {
            crate::blast::run(crate::blast::BlastArgs {
                recipients,
                email_every: email_every.max(1),
                min_ms,
                max_ms,
                every_429,
                runs: runs.max(1),
                kill_after,
                nodes: nodes.max(1),
                pg_url,
                chat_clients,
                chat_pause_ms,
            })
            .await?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    let duration = Duration::from_secs(seconds);
    let runs = runs.max(1);
    let mut all_runs: Vec<Vec<Figures>> = Vec::new();
    for run in 0..runs {
        say(format!("run {} of {runs}…", run + 1));
        all_runs.push(measure_once(duration, &clients, pg_url.as_deref()).await?);
    }
    let rows = medians(all_runs);
    print_table(&rows, seconds, runs);
    Ok(ExitCode::SUCCESS)
}

/// The median of each figure over the runs, with the spread of the throughput.
fn medians(all_runs: Vec<Vec<Figures>>) -> Vec<Figures> {
    let count = all_runs.first().map(Vec::len).unwrap_or(0);
    (0..count)
        .map(|i| {
            let of_row: Vec<&Figures> = all_runs.iter().filter_map(|r| r.get(i)).collect();
            let median = |mut v: Vec<f64>| -> Option<f64> {
                v.sort_by(f64::total_cmp);
                v.get(v.len() / 2).copied()
            };
            let per_second: Vec<f64> = of_row.iter().map(|f| f.per_second).collect();
            let min = per_second.iter().copied().fold(f64::INFINITY, f64::min);
            let max = per_second.iter().copied().fold(0.0, f64::max);
            Figures {
                label: of_row.first().map(|f| f.label.clone()).unwrap_or_default(),
                per_second: median(per_second).unwrap_or(0.0),
                p50_ms: median(of_row.iter().filter_map(|f| f.p50_ms).collect()),
                p99_ms: median(of_row.iter().filter_map(|f| f.p99_ms).collect()),
                failed: of_row.iter().map(|f| f.failed).sum(),
                note: format!(
                    "{min:.0}–{max:.0}/s; {}",
                    of_row.last().map(|f| f.note.as_str()).unwrap_or("")
                ),
            }
        })
        .collect()
}

async fn measure_once(
    duration: Duration,
    clients: &[usize],
    pg_url: Option<&str>,
) -> anyhow::Result<Vec<Figures>> {
    let dir = tempfile_dir()?;
    let mut rows = Vec::new();

    rows.push(bare_sqlite(&dir.join("bare-1.db"), 1, duration).await?);
    rows.push(bare_sqlite(&dir.join("bare-100.db"), 100, duration).await?);

    for batch in [1, 512] {
        for &n in clients {
            rows.push(
                store_ingest(
                    &DatabaseUrl::Sqlite(dir.join(format!("store-{batch}-{n}.db"))),
                    batch,
                    n,
                    duration,
                )
                .await?,
            );
        }
    }

    let sqlite = DatabaseUrl::Sqlite(dir.join("api.db"));
    for &n in clients {
        rows.push(api_ingest(&sqlite, true, n, duration, "SQLite").await?);
    }
    match pg_url {
        Some(admin) => {
            let url = beredskap_store::testing::create_pg_database(admin).await?;
            let bare = bare_postgres(&url, duration).await;
            beredskap_store::testing::drop_pg_database(admin, &url).await?;
            rows.push(bare?);
            for batch in [1, 512] {
                for &n in clients {
                    let url = beredskap_store::testing::create_pg_database(admin).await?;
                    let result = store_ingest(&DatabaseUrl::parse(&url)?, batch, n, duration).await;
                    beredskap_store::testing::drop_pg_database(admin, &url).await?;
                    rows.push(result?);
                }
            }
            for &n in clients {
                let url = beredskap_store::testing::create_pg_database(admin).await?;
                let result =
                    api_ingest(&DatabaseUrl::parse(&url)?, false, n, duration, "PostgreSQL").await;
                beredskap_store::testing::drop_pg_database(admin, &url).await?;
                rows.push(result?);
            }
        }
        None => say("PostgreSQL not measured: pass --pg-url or set TEST_PG_URL"),
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(rows)
}

fn print_table(rows: &[Figures], seconds: u64, runs: usize) {
    say(format!(
        "\nMedian of {runs} run(s), each figure {seconds} s of measurement. Latencies are \
         closed-loop: each client sends its next write when the last one is answered, so they \
         are the time a write takes at that concurrency, not at an offered rate.\n"
    ));
    say("| what | acknowledged writes/s | p50 ms (closed loop) | p99 ms (closed loop) | failed writes, all runs | range over runs; last run |");
    say("|---|---:|---:|---:|---:|---|");
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
    for r in rows {
        say(format!(
            "| {} | {:.0} | {} | {} | {} | {} |",
            r.label,
            r.per_second,
            ms(r.p50_ms),
            ms(r.p99_ms),
            r.failed,
            r.note
        ));
    }
    let one_commit = rows.first().map(|r| r.per_second).unwrap_or(0.0);
    if let Some(best) = rows
        .iter()
        .filter(|r| r.label.starts_with("API, SQLite"))
        .map(|r| r.per_second)
        .reduce(f64::max)
    {
        say(format!(
            "\nSQLite API at the largest client count / bare one-commit-per-row loop: {:.1}×",
            best / one_commit.max(1.0)
        ));
    }
    let store_ratio = |label: &str| {
        rows.iter()
            .filter(|r| r.label.starts_with(label))
            .map(|r| r.per_second)
            .reduce(f64::max)
    };
    for backend in ["SQLite", "PostgreSQL"] {
        if let (Some(on), Some(off)) = (
            store_ratio(&format!("store only, {backend}, group commit")),
            store_ratio(&format!("store only, {backend}, one commit per write")),
        ) {
            say(format!(
                "Store only, {backend}, best group commit / best one commit per write: {:.1}×",
                on / off.max(1.0)
            ));
        }
        // The most clients against one, through the API.
        let api: Vec<&Figures> = rows
            .iter()
            .filter(|r| r.label.starts_with(&format!("API, {backend}, ")))
            .collect();
        if let (Some(one), Some(most)) = (api.first(), api.last()) {
            if api.len() > 1 {
                say(format!(
                    "API, {backend}, {} / {}: {:.1}×",
                    most.label.trim_start_matches(&format!("API, {backend}, ")),
                    one.label.trim_start_matches(&format!("API, {backend}, ")),
                    most.per_second / one.per_second.max(1.0)
                ));
            }
        }
    }
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("beredskap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The disk's limit: inserts in a loop on one connection, `rows_per_commit` rows per
/// transaction, with the same durability settings as the store.
async fn bare_sqlite(
    path: &std::path::Path,
    rows_per_commit: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .disable_statement_logging()
        .connect()
        .await?;
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&mut conn)
        .await?;
    let payload = "x".repeat(400);
    let started = Instant::now();
    let mut rows = 0u64;
    while started.elapsed() < duration {
        let mut tx = conn.begin().await?;
        for _ in 0..rows_per_commit {
            sqlx::query("INSERT INTO t (payload) VALUES ($1)")
                .bind(&payload)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        rows += rows_per_commit as u64;
    }
    let per_second = rows as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    Ok(Figures {
        label: format!("limit: bare SQLite loop, {rows_per_commit} row(s) per commit"),
        per_second,
        p50_ms: None,
        p99_ms: None,
        failed: 0,
        note: format!("{:.0} commits/s", per_second / rows_per_commit as f64),
    })
}

async fn api_ingest(
    url: &DatabaseUrl,
    create: bool,
    clients: usize,
    duration: Duration,
    backend: &str,
) -> anyhow::Result<Figures> {
    let store = beredskap_store::open(
        url,
        &OpenOptions {
            create,
            max_connections: 40,
            ..OpenOptions::default()
        },
    )
    .await?;
    let slug = format!("bench{clients}");
    let org = store
        .create_org(
            &Actor::system(),
            NewOrg::parse(&slug, "Bench", Region::Se).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?;
    let (_, token) = bench_admin(store.clone(), &org).await?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        log_filter: "warn".into(),
        ..Config::default()
    };
    let app = Application::build(Arc::new(config), store.clone()).await?;
    let base = format!("http://{}", app.local_addr());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let url = format!("{base}/api/v1/orgs/{slug}/people");
    let (latencies, failures, elapsed) =
        apart(api_clients(url, token, clients, duration)).await??;
    shutdown.cancel();
    let _ = server.await;
    Ok(figures(
        format!("API, {backend}, {clients} client(s)"),
        latencies,
        elapsed,
        failures,
    ))
}

/// Runs `load` in a runtime of its own, on threads of its own. In use the clients are other
/// machines; in the server's runtime their tasks would queue beside the server's (the
/// writers' wake-ups among them) and slow it in a way no deployment sees. They still share
/// the cores, as they do in every row of these benchmarks.
async fn apart<T: Send + 'static>(
    load: impl std::future::Future<Output = T> + Send + 'static,
) -> anyhow::Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("bench-clients".into())
        .spawn(move || {
            let outcome = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(load));
            let _ = done.send(outcome);
        })?;
    Ok(result.await??)
}

/// `clients` closed loops adding people through the API until `duration` has passed:
/// every latency, the failures, and the seconds it took.
async fn api_clients(
    url: String,
    token: String,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<(Vec<Duration>, u64, f64)> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0u64;
            let mut i = 0u64;
            while Instant::now() < deadline {
                let body = serde_json::json!({
                    "external_id": format!("{c}-{i}"),
                    "name": format!("Bench Person {c} {i}"),
                    "contact_points": [
                        {"kind": "sms", "label": "work", "value": "070-174 06 05"},
                        {"kind": "email", "label": "private", "value": "bench@example.org"}
                    ]
                });
                i += 1;
                let sent = Instant::now();
                match http.post(&url).bearer_auth(&token).json(&body).send().await {
                    Ok(r) if r.status() == 201 => latencies.push(sent.elapsed()),
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        });
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    while let Some(done) = tasks.join_next().await {
        let (l, f) = done?;
        latencies.extend(l);
        failures += f;
    }
    Ok((latencies, failures, started.elapsed().as_secs_f64()))
}

fn person(c: usize, i: u64) -> beredskap_core::register::PersonDraft {
    use beredskap_core::register::{ContactKind, ContactLabel, ContactPoint, PersonDraft};
    PersonDraft {
        external_id: Some(format!("{c}-{i}")),
        name: format!("Bench Person {c} {i}"),
        title: None,
        active: true,
        contact_points: vec![
            ContactPoint {
                kind: ContactKind::Sms,
                label: ContactLabel::Work,
                value: "+46701740605".into(),
                verified: false,
            },
            ContactPoint {
                kind: ContactKind::Email,
                label: ContactLabel::Private,
                value: "bench@example.org".into(),
                verified: false,
            },
        ],
    }
}

/// The store alone, without HTTP: `clients` tasks calling `create_person`, with group
/// commit on (`max_batch` > 1) or off.
/// The limit on PostgreSQL: one 400-byte row per durable commit, one client, over the
/// same loopback TCP connection the store uses.
async fn bare_postgres(url: &str, duration: Duration) -> anyhow::Result<Figures> {
    let mut conn = sqlx::postgres::PgConnectOptions::from_str(url)?
        .disable_statement_logging()
        .connect()
        .await?;
    sqlx::query("SET synchronous_commit = on")
        .execute(&mut conn)
        .await?;
    sqlx::query("CREATE TABLE t (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&mut conn)
        .await?;
    let payload = "x".repeat(400);
    let started = Instant::now();
    let mut rows = 0u64;
    while started.elapsed() < duration {
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO t (payload) VALUES ($1)")
            .bind(&payload)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        rows += 1;
    }
    let per_second = rows as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    Ok(Figures {
        label: "limit: bare PostgreSQL loop, 1 row per commit".into(),
        per_second,
        p50_ms: None,
        p99_ms: None,
        failed: 0,
        note: format!("{per_second:.0} commits/s"),
    })
}

async fn store_ingest(
    url: &DatabaseUrl,
    max_batch: usize,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Figures> {
    let backend = match url {
        DatabaseUrl::Sqlite(_) => "SQLite",
        DatabaseUrl::Postgres(_) => "PostgreSQL",
    };
    let store = beredskap_store::open(
        url,
        &OpenOptions {
            create: matches!(url, DatabaseUrl::Sqlite(_)),
            max_batch,
            ..OpenOptions::default()
        },
    )
    .await?;
    let org = store
        .create_org(
            &Actor::system(),
            NewOrg::parse("bench", "Bench", Region::Se).map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?;
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let store = store.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                store
                    .create_person(&Actor::system(), org.id, person(c, i))
                    .await?;
                latencies.push(sent.elapsed());
                i += 1;
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mode = if max_batch > 1 {
        "group commit"
    } else {
        "one commit per write"
    };
    Ok(figures(
        format!("store only, {backend}, {mode}, {clients} client(s)"),
        latencies,
        elapsed,
        0,
    ))
}

fn figures(label: String, mut latencies: Vec<Duration>, elapsed: f64, failures: u64) -> Figures {
    latencies.sort();
    let pct = |p: f64| -> Option<f64> {
        let i = ((latencies.len() as f64 * p).ceil() as usize).checked_sub(1)?;
        latencies.get(i).map(|d| d.as_secs_f64() * 1000.0)
    };
    Figures {
        label,
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        failed: failures,
        note: format!("{} writes", latencies.len()),
    }
}

/// An administrator of `org` for the benchmarks, with a token that may do everything.
pub async fn bench_admin(
    store: std::sync::Arc<dyn Store>,
    org: &beredskap_core::register::Org,
) -> anyhow::Result<(beredskap_core::register::Account, String)> {
    let app = beredskap_app::App::new(
        store,
        std::sync::Arc::new(beredskap_core::clock::SystemClock),
        std::sync::Arc::new(beredskap_app::NoWakeups),
    );
    let operator = beredskap_app::Caller::Operator(Actor::system());
    let created = beredskap_app::accounts::create_user(
        &app,
        &operator,
        org,
        NewUser {
            name: "Bench Admin".into(),
            login: EmailAddress::parse("bench@bench.example")
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            role: Role::Admin,
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
        org,
        &created.account,
        "bench",
        &beredskap_core::register::Scope::ALL,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((created.account, token))
}
