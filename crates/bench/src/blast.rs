//! `beredskap-bench blast`: an alert to N people through a real `beredskap serve` process,
//! handed to a local SMS gateway (the signed-webhook shape, with injected latency and
//! 429s) and a local SMTP server (aiosmtpd). Measures the time from sending the alert to
//! the first and the last hand-off, hand-offs per second, duplicates and losses, also
//! with a `kill -9` of the server mid-blast. Beside it, in the same run, the limit: the same
//! gateway driven directly by a minimal client with the same number of requests in flight.

use crate::say;
use anyhow::Context;
use beredskap_core::register::{ContactKind, ContactLabel, ContactPoint, NewOrg};
use beredskap_core::{Actor, Region};
use beredskap_server::config::SmsProviderKind;
use beredskap_store::{DatabaseUrl, OpenOptions};
use beredskap_testkit::{FakeSmsGateway, SmtpSink};
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;

/// Requests the minimal client keeps in flight: the worker's own number.
const IN_FLIGHT: usize = 512;

pub struct BlastArgs {
    pub recipients: usize,
    /// Every nth recipient is reached by email first, the rest by SMS.
    pub email_every: usize,
    pub min_ms: u64,
    pub max_ms: u64,
    pub every_429: u64,
    pub runs: usize,
    /// Hand-offs after which the server is killed in the crash run.
    pub kill_after: usize,
    /// PostgreSQL server to run on (a scratch database per blast); SQLite without it.
    pub pg_url: Option<String>,
    /// Server processes sharing the PostgreSQL database; the alert goes to the first.
    pub nodes: usize,
    /// Chat clients posting to one channel before and during the uncrashed blast.
    pub chat_clients: usize,
    /// Milliseconds each chat client waits between its answer and its next post.
    pub chat_pause_ms: u64,
}

/// How long chat is measured before the alert goes out: the limit chat is compared with.
const CHAT_BEFORE: Duration = Duration::from_secs(3);

/// Chat post latencies before the alert and during the blast.
struct ChatFigures {
    before: ChatWindow,
    during: ChatWindow,
    failed: usize,
}

struct Outcome {
    label: String,
    first_ms: f64,
    last_ms: f64,
    per_second: f64,
    /// SMS a phone would have received twice.
    duplicates: usize,
    /// Repeated hand-offs the gateway recognised by their idempotency key.
    covered: u64,
    /// Emails delivered twice with the same Message-ID (mail software shows one).
    same_message_id: usize,
    lost: usize,
    /// The server's peak resident memory (of the restarted process after a crash).
    peak_mib: Option<f64>,
    /// CPU milliseconds the server processes used per hand-off.
    cpu_ms_per_handoff: Option<f64>,
    /// SMS the gateway held at once, on average from the first hand-off to the last: how
    /// full the sender kept the pipe.
    in_flight: f64,
    /// Crash run: the last hand-off, this long after the restarted node listened again.
    after_restart_ms: Option<f64>,
    note: String,
    chat: Option<ChatFigures>,
}

fn phone(i: usize) -> String {
    format!("+4670{:07}", 1_000_000 + i)
}

fn email_address(i: usize) -> String {
    format!("p{i}@bench.example")
}

pub async fn run(args: BlastArgs) -> anyhow::Result<()> {
    let backend = match &args.pg_url {
        Some(_) => "PostgreSQL",
        None => "SQLite",
    };
    say(format!("the server runs on {backend}"));
    let mut rows: Vec<Vec<Outcome>> = vec![Vec::new(), Vec::new(), Vec::new()];
    for run in 0..args.runs {
        say(format!("run {} of {}", run + 1, args.runs));
        rows[0].push(limit(&args).await?);
        rows[1].push(blast(&args, false).await?);
        rows[2].push(blast(&args, true).await?);
    }
    say(format!(
        "\n{} recipients ({} by SMS, {} by email), gateway latency {}–{} ms, every {}th request a 429 (Retry-After: 1), {IN_FLIGHT} in flight; median of {} runs\n",
        args.recipients,
        args.recipients - args.recipients / args.email_every,
        args.recipients / args.email_every,
        args.min_ms,
        args.max_ms,
        args.every_429,
        args.runs
    ));
    let chats: Vec<ChatFigures> = rows[1].iter_mut().filter_map(|o| o.chat.take()).collect();
    say("| what | first hand-off ms | last hand-off ms | hand-offs/s | SMS in flight at the gateway, mean | server CPU ms per hand-off | SMS duplicated | repeats caught by the idempotency key | emails twice, same Message-ID | lost | peak server memory MiB | runs |");
    say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for outcomes in &mut rows {
        outcomes.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
        let median = &outcomes[outcomes.len() / 2];
        let range = format!(
            "{:.0}–{:.0}/s",
            outcomes.first().map(|o| o.per_second).unwrap_or_default(),
            outcomes.last().map(|o| o.per_second).unwrap_or_default()
        );
        say(format!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {range}; {} |",
            median.label,
            median.first_ms,
            median.last_ms,
            median.per_second,
            median.in_flight,
            median
                .cpu_ms_per_handoff
                .map_or_else(|| "–".to_owned(), |m| format!("{m:.2}")),
            median.duplicates,
            median.covered,
            median.same_message_id,
            median.lost,
            median
                .peak_mib
                .map_or_else(|| "–".to_owned(), |m| format!("{m:.0}")),
            median.note
        ));
    }
    // The median row shows one run's losses; a loss in any run must not hide behind it.
    let served = rows[1].iter().chain(&rows[2]);
    let (lost, twice) = served.fold((0, 0), |(l, d), o| (l + o.lost, d + o.duplicates));
    say(format!(
        "\nEvery run of Beredskap together: {lost} lost, {twice} SMS twice."
    ));
    let mut restarts: Vec<f64> = rows[2].iter().filter_map(|o| o.after_restart_ms).collect();
    restarts.sort_by(f64::total_cmp);
    if let Some(median) = restarts.get(restarts.len() / 2) {
        let each: Vec<String> = restarts.iter().map(|ms| format!("{ms:.0}")).collect();
        say(format!(
            "Last hand-off after the restart, each run: {} ms (median {median:.0} ms).",
            each.join(", ")
        ));
    }
    if !chats.is_empty() {
        chat_table(&args, &chats);
    }
    Ok(())
}

/// Each window's rate, p50 and p99 per run, as their medians over the runs.
fn chat_table(args: &BlastArgs, chats: &[ChatFigures]) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    say(format!(
        "\nChat: {} clients posting to one channel, each {} ms after its last answer; median of {} run(s)\n",
        args.chat_clients,
        args.chat_pause_ms,
        chats.len()
    ));
    say("| chat posts | posts/s | p50 ms | p99 ms | failed, all runs |");
    say("|---|---:|---:|---:|---:|");
    let failed: usize = chats.iter().map(|c| c.failed).sum();
    let rows = [
        (
            format!(
                "**limit**: the {} s before the alert",
                CHAT_BEFORE.as_secs()
            ),
            chats.iter().map(|c| &c.before).collect::<Vec<_>>(),
        ),
        (
            format!(
                "during the {}-recipient blast (alert to last hand-off)",
                args.recipients
            ),
            chats.iter().map(|c| &c.during).collect(),
        ),
    ];
    for (label, windows) in rows {
        let per_run: Vec<(f64, f64, f64)> = windows
            .iter()
            .map(|w| {
                let (p50, p99) = quantiles(&w.ms);
                (w.ms.len() as f64 / w.seconds.max(0.001), p50, p99)
            })
            .collect();
        say(format!(
            "| {label} | {:.0} | {:.1} | {:.1} | {failed} |",
            median(per_run.iter().map(|f| f.0).collect()),
            median(per_run.iter().map(|f| f.1).collect()),
            median(per_run.iter().map(|f| f.2).collect()),
        ));
    }
}

/// p50 and p99 of latencies in milliseconds.
fn quantiles(ms: &[f64]) -> (f64, f64) {
    let mut ms = ms.to_vec();
    ms.sort_by(f64::total_cmp);
    (crate::quantile(&ms, 0.5), crate::quantile(&ms, 0.99))
}

/// Posts answered in one window of time, and how long the window was.
#[derive(Default)]
struct ChatWindow {
    ms: Vec<f64>,
    seconds: f64,
}

/// The gateway and the SMTP server alone: the same messages straight from a minimal
/// client (the providers' own code, no database), as fast as they take them.
async fn limit(args: &BlastArgs) -> anyhow::Result<Outcome> {
    let gateway = FakeSmsGateway::start().await?;
    gateway.under_load(args.min_ms, args.max_ms, args.every_429);
    let config = gateway.config_for(SmsProviderKind::Webhook);
    let sms =
        beredskap_server::notify::sms_provider(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let smtp = SmtpSink::start("bench blast")
        .await
        .context("the blast needs a local SMTP server: install python3-aiosmtpd")?;
    let email: std::sync::Arc<dyn beredskap_server::notify::Provider> = std::sync::Arc::new(
        beredskap_server::notify::SmtpProvider::new(&smtp_config(smtp.port))
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let n = args.recipients;
    let email_every = args.email_every;
    let by_email: Vec<usize> = (0..n).filter(|i| i % email_every == 0).collect();
    let started = Instant::now();
    let retries = std::sync::atomic::AtomicUsize::new(0);
    let sending = futures_util::stream::iter(0..n)
        .map(|i| {
            let by_email = i % email_every == 0;
            let provider = match by_email {
                true => email.clone(),
                false => sms.clone(),
            };
            let retries = &retries;
            async move {
                let message = beredskap_server::notify::OutgoingMessage {
                    to: match by_email {
                        true => email_address(i),
                        false => phone(i),
                    },
                    subject: String::new(),
                    body: "Limit".into(),
                    idempotency_key: Some(format!("limit:{i}")),
                    link: None,
                    from: None,
                    attachment: None,
                    unsubscribe: None,
                };
                // A 429 is tried again after its Retry-After, as the worker does.
                loop {
                    match provider.send(&message).await {
                        Ok(_) => break,
                        Err(beredskap_server::notify::NotifyError::Temporary {
                            retry_after,
                            ..
                        }) => {
                            retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            tokio::time::sleep(retry_after.unwrap_or(Duration::from_secs(1))).await;
                        }
                        Err(_) => break,
                    }
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>();
    // Timed as Beredskap is: when the gateway or the SMTP server has the message, not when
    // the client's send returns (the gateway answers 50–500 ms after it took one).
    let mut handoffs = HandOffs::new(started, n, &by_email);
    let watching = async {
        while !handoffs.poll(&gateway, &smtp).1 && started.elapsed() < DEADLINE {
            tokio::time::sleep(POLL).await;
        }
    };
    futures_util::future::join(sending, watching).await;
    let (first, last) = handoffs.times();
    let (duplicates, sms_lost) =
        count_sms(&gateway, (0..n).filter(|i| i % email_every != 0).collect());
    let (_, mail_lost) = count_email(&smtp, &by_email);
    let lost = sms_lost + mail_lost;
    Ok(Outcome {
        label: "**limit**: minimal client → gateway + SMTP".into(),
        first_ms: first.as_secs_f64() * 1000.0,
        last_ms: last.as_secs_f64() * 1000.0,
        per_second: n as f64 / last.as_secs_f64(),
        duplicates,
        covered: gateway.repeated_keys(),
        same_message_id: 0,
        lost,
        peak_mib: None,
        cpu_ms_per_handoff: None,
        in_flight: handoffs.mean_in_flight(),
        after_restart_ms: None,
        note: format!(
            "{} retried after a 429",
            retries.load(std::sync::atomic::Ordering::Relaxed)
        ),
        chat: None,
    })
}

/// How often the gateway and the SMTP server are looked at.
/// Looking costs CPU the server measured needs on a machine of two cores: counting is
/// cheap (the gateway's count, the mail directory's entries), and the mails themselves
/// are read only once enough have arrived, at most every `MAIL_CHECK`.
const POLL: Duration = Duration::from_millis(20);

/// How often, at most, the mails are read to see whether every address has one.
const MAIL_CHECK: Duration = Duration::from_millis(100);

/// A blast that has not finished by then is reported with what is missing.
const DEADLINE: Duration = Duration::from_secs(300);

/// The moments the gateway and the SMTP server took the first message and the last one
/// awaited, seen by looking every `POLL`: the same clock for the limit and for Beredskap.
struct HandOffs<'a> {
    started: Instant,
    n: usize,
    by_email: &'a [usize],
    first: Option<Duration>,
    last: Option<Duration>,
    mails_read: Option<Instant>,
    /// The gateway's messages in flight, summed over the looks between first and last.
    in_flight_sum: u64,
    looks: u64,
}

impl<'a> HandOffs<'a> {
    fn new(started: Instant, n: usize, by_email: &'a [usize]) -> Self {
        Self {
            started,
            n,
            by_email,
            first: None,
            last: None,
            mails_read: None,
            in_flight_sum: 0,
            looks: 0,
        }
    }

    /// Messages taken so far (repeats included), and whether every number and address
    /// has had its message.
    fn poll(&mut self, gateway: &FakeSmsGateway, smtp: &SmtpSink) -> (usize, bool) {
        let mails = smtp.count();
        let handed = gateway.count() + mails;
        if handed > 0 && self.first.is_none() {
            self.first = Some(self.started.elapsed());
        }
        if self.first.is_some() && self.last.is_none() {
            self.in_flight_sum += gateway.in_flight();
            self.looks += 1;
        }
        let complete = handed >= self.n
            && gateway.numbers_reached() >= self.n - self.by_email.len()
            && mails >= self.by_email.len()
            && self
                .mails_read
                .is_none_or(|read| read.elapsed() >= MAIL_CHECK)
            && {
                self.mails_read = Some(Instant::now());
                count_email(smtp, self.by_email).1 == 0
            };
        if complete && self.last.is_none() {
            self.last = Some(self.started.elapsed());
        }
        (handed, complete)
    }

    /// The mean of the gateway's messages in flight between the first hand-off and the last.
    fn mean_in_flight(&self) -> f64 {
        self.in_flight_sum as f64 / self.looks.max(1) as f64
    }

    /// First and last hand-off; an unfinished blast counts until now.
    fn times(&self) -> (Duration, Duration) {
        (
            self.first.unwrap_or_default(),
            self.last.unwrap_or_else(|| self.started.elapsed()),
        )
    }
}

/// Numbers the gateway took more than once, and numbers it never got.
fn count_sms(gateway: &FakeSmsGateway, expected: Vec<usize>) -> (usize, usize) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in gateway.received() {
        *seen.entry(m.to).or_default() += 1;
    }
    let duplicates = seen.values().map(|n| n.saturating_sub(1)).sum();
    let lost = expected
        .iter()
        .filter(|i| !seen.contains_key(&phone(**i)))
        .count();
    (duplicates, lost)
}

/// Emails with the same Message-ID more than once, and addresses that got none.
fn count_email(smtp: &SmtpSink, expected: &[usize]) -> (usize, usize) {
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut to_seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for raw in smtp.messages() {
        let text = String::from_utf8_lossy(&raw);
        for line in text.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("message-id:") {
                *ids.entry(line[11..].trim().to_owned()).or_default() += 1;
            } else if lower.starts_with("to:") {
                to_seen.insert(line[3..].trim().to_owned());
            }
        }
    }
    let duplicates = ids.values().map(|n| n.saturating_sub(1)).sum();
    let lost = expected
        .iter()
        .filter(|i| !to_seen.contains(&email_address(**i)))
        .count();
    (duplicates, lost)
}

fn smtp_config(port: u16) -> beredskap_server::config::SmtpConfig {
    beredskap_server::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: beredskap_server::config::SmtpSecurity::None,
        username: None,
        password: None,
        password_file: None,
        from: "Beredskap <beredskap@bench.example>".into(),
        connections: beredskap_server::config::DEFAULT_SMTP_CONNECTIONS,
    }
}

async fn setup(
    dir: &Path,
    database: Option<&str>,
    args: &BlastArgs,
) -> anyhow::Result<(String, String)> {
    let url = match database {
        Some(url) => DatabaseUrl::parse(url)?,
        None => DatabaseUrl::Sqlite(dir.join("beredskap.db")),
    };
    let store = beredskap_store::open(
        &url,
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
    let (_, token) = crate::ingest::bench_admin(store.clone(), &org).await?;
    // A university's register in seconds, straight into the tables: the benchmark
    // measures the alert, not registering 100,000 people one by one.
    let people: Vec<(String, Vec<ContactPoint>)> = (0..args.recipients)
        .map(|i| {
            let sms = ContactPoint {
                kind: ContactKind::Sms,
                label: ContactLabel::Work,
                value: phone(i),
                verified: true,
            };
            let mail = ContactPoint {
                kind: ContactKind::Email,
                label: ContactLabel::Private,
                value: email_address(i),
                verified: true,
            };
            let contact_points = match i % args.email_every == 0 {
                true => vec![mail, sms],
                false => vec![sms, mail],
            };
            (format!("Person {i}"), contact_points)
        })
        .collect();
    let group = beredskap_store::testing::seed_register(&url, org.id, "alla", &people).await?;
    Ok((token, group.to_string()))
}

/// Starts node `node` (its own data directory under `dir` and its own name beyond the
/// first, so the nodes on one database tell each other apart).
async fn serve(
    dir: &Path,
    node: usize,
    database: Option<&str>,
    gateway: &FakeSmsGateway,
    smtp_port: u16,
) -> anyhow::Result<(tokio::process::Child, String)> {
    let config = gateway.config_for(SmsProviderKind::Webhook);
    let mut command = crate::server_command()?;
    if let Some(url) = database {
        command.env("BEREDSKAP_DATABASE_URL", url);
    }
    let data = match node {
        0 => dir.to_owned(),
        n => dir.join(format!("node-{n}")),
    };
    std::fs::create_dir_all(&data)?;
    let mut child = command
        .arg("serve")
        .env("BEREDSKAP_DATA_DIR", &data)
        .env("BEREDSKAP_NODE_NAME", format!("bench-node-{node}"))
        .env("BEREDSKAP_LISTEN", "127.0.0.1:0")
        .env("BEREDSKAP_LOG_FILTER", "error")
        .env("BEREDSKAP_SMS__PROVIDER", "webhook")
        .env("BEREDSKAP_SMS__URL", &config.url)
        .env("BEREDSKAP_SMS__USERNAME", "bench")
        .env("BEREDSKAP_SMS__PASSWORD", &gateway.password)
        .env("BEREDSKAP_SMS__SENDER", "Beredskap")
        .env("BEREDSKAP_SMTP__HOST", "127.0.0.1")
        .env("BEREDSKAP_SMTP__PORT", smtp_port.to_string())
        .env("BEREDSKAP_SMTP__SECURITY", "none")
        .env(
            "BEREDSKAP_SMTP__FROM",
            "Beredskap <beredskap@bench.example>",
        )
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    let stdout = child.stdout.take().context("server output")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await?
            .context("the server stopped before it listened")?;
        if let Some(rest) = line.strip_prefix("Beredskap is listening on ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, base))
}

async fn blast(args: &BlastArgs, crash: bool) -> anyhow::Result<Outcome> {
    let Some(admin) = &args.pg_url else {
        return blast_on(args, crash, None).await;
    };
    let url = beredskap_store::testing::create_pg_database(admin).await?;
    let outcome = blast_on(args, crash, Some(&url)).await;
    beredskap_store::testing::drop_pg_database(admin, &url).await?;
    outcome
}

/// When a chat post was sent, and how long its `201` took (none: it failed).
type TimedPost = (Instant, Option<Duration>);

/// Chat clients posting to one channel until told to stop, each post timed.
struct Chat {
    stop: tokio_util::sync::CancellationToken,
    clients: Vec<tokio::task::JoinHandle<Vec<TimedPost>>>,
}

impl Chat {
    async fn start(
        http: &reqwest::Client,
        base: &str,
        token: &str,
        args: &BlastArgs,
    ) -> anyhow::Result<Self> {
        let channel: serde_json::Value = http
            .post(format!("{base}/api/v1/orgs/bench/channels"))
            .bearer_auth(token)
            .json(&serde_json::json!({"kind": "org", "name": "Stab", "classification": "Intern", "members": []}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let channel = channel["id"].as_str().context("the channel's id")?;
        let url = format!("{base}/api/v1/orgs/bench/channels/{channel}/messages");
        let stop = tokio_util::sync::CancellationToken::new();
        let pause = Duration::from_millis(args.chat_pause_ms);
        let clients = (0..args.chat_clients)
            .map(|c| {
                let (http, url, token, stop) =
                    (http.clone(), url.clone(), token.to_owned(), stop.clone());
                tokio::spawn(async move {
                    let mut posts = Vec::new();
                    let mut i = 0;
                    while !stop.is_cancelled() {
                        let at = Instant::now();
                        let answered = http
                            .post(&url)
                            .bearer_auth(&token)
                            .json(&serde_json::json!({"body": format!("Lägesrapport {c}.{i}: pumpen i källaren går.")}))
                            .send()
                            .await
                            .is_ok_and(|r| r.status().as_u16() == 201);
                        posts.push((at, answered.then(|| at.elapsed())));
                        i += 1;
                        tokio::time::sleep(pause).await;
                    }
                    posts
                })
            })
            .collect();
        Ok(Self { stop, clients })
    }

    /// Stops the clients and sorts their posts into before `alert` and from `alert` to
    /// `alert + blast`.
    async fn finish(self, alert: Instant, blast: Duration) -> ChatFigures {
        self.stop.cancel();
        let mut figures = ChatFigures {
            before: ChatWindow {
                seconds: CHAT_BEFORE.as_secs_f64(),
                ..Default::default()
            },
            during: ChatWindow {
                seconds: blast.as_secs_f64(),
                ..Default::default()
            },
            failed: 0,
        };
        for client in self.clients {
            for (at, answered) in client.await.unwrap_or_default() {
                let window = match at {
                    at if at < alert => &mut figures.before,
                    at if at.duration_since(alert) < blast => &mut figures.during,
                    _ => continue,
                };
                match answered {
                    Some(took) => window.ms.push(took.as_secs_f64() * 1000.0),
                    None => figures.failed += 1,
                }
            }
        }
        figures
    }
}

async fn blast_on(
    args: &BlastArgs,
    crash: bool,
    database: Option<&str>,
) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let (token, group) = setup(dir.path(), database, args).await?;
    let gateway = FakeSmsGateway::start().await?;
    gateway.under_load(args.min_ms, args.max_ms, args.every_429);
    let smtp = SmtpSink::start("bench blast")
        .await
        .context("the blast needs a local SMTP server: install python3-aiosmtpd")?;
    let (mut child, base) = serve(dir.path(), 0, database, &gateway, smtp.port).await?;
    // The other nodes share the database and the work; only the first takes the alert.
    let mut others = Vec::new();
    if database.is_some() {
        for node in 1..args.nodes {
            others.push(
                serve(dir.path(), node, database, &gateway, smtp.port)
                    .await?
                    .0,
            );
        }
    }
    let client = reqwest::Client::new();
    let n = args.recipients;
    let alert = serde_json::json!({
        "message": "Bench: strömavbrott. Kvittera.",
        "severity": "critical",
        "recipients": {"groups": [group]},
        "step_minutes": 240,
    });
    let chat = match !crash && args.chat_clients > 0 {
        true => Some(Chat::start(&client, &base, &token, args).await?),
        false => None,
    };
    if chat.is_some() {
        tokio::time::sleep(CHAT_BEFORE).await;
    }
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/orgs/bench/alerts"))
        .bearer_auth(&token)
        .json(&alert)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().as_u16() == 201,
        "the alert was refused: {}",
        response.text().await?
    );
    let accepted_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut killed_at = None;
    // Of the processes killed mid-blast.
    let mut cpu_seconds = 0.0;
    let by_email: Vec<usize> = (0..n).filter(|i| i % args.email_every == 0).collect();
    let mut handoffs = HandOffs::new(started, n, &by_email);
    loop {
        let (handed, complete) = handoffs.poll(&gateway, &smtp);
        if crash && killed_at.is_none() && handed >= args.kill_after {
            // kill -9: no shutdown, nothing flushed; then start again on the same data.
            cpu_seconds += crate::proc_cpu_seconds(child.id());
            child.start_kill()?;
            child.wait().await?;
            let at = started.elapsed();
            let (restarted, _) = serve(dir.path(), 0, database, &gateway, smtp.port).await?;
            killed_at = Some((at, handed, started.elapsed()));
            child = restarted;
        }
        if complete || started.elapsed() > DEADLINE {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let (first, last) = handoffs.times();
    let chat = match chat {
        Some(chat) => Some(chat.finish(started, last).await),
        None => None,
    };
    // Anything still in flight would show up as a duplicate: wait a moment before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The largest node's.
    let peak_mib = others
        .iter()
        .map(|o| crate::proc_memory_mib(o.id(), "VmHWM"))
        .fold(crate::proc_memory_mib(child.id(), "VmHWM"), f64::max);
    let others_cpu: f64 = others.iter().map(|o| crate::proc_cpu_seconds(o.id())).sum();
    let cpu_seconds_now = crate::proc_cpu_seconds(child.id());
    let _ = child.start_kill();
    let _ = child.wait().await;
    for mut other in others {
        let _ = other.start_kill();
        let _ = other.wait().await;
    }
    let by_sms: Vec<usize> = (0..n).filter(|i| i % args.email_every != 0).collect();
    let (sms_dup, sms_lost) = count_sms(&gateway, by_sms);
    let (mail_dup, mail_lost) = count_email(&smtp, &by_email);
    let note = match killed_at {
        Some((at, handed, listening)) => format!(
            "killed at {:.0} ms after {handed} hand-offs, listening again at {:.0} ms; last \
             hand-off {:.0} ms after the restart; alert accepted in {accepted_ms:.0} ms",
            at.as_secs_f64() * 1000.0,
            listening.as_secs_f64() * 1000.0,
            last.saturating_sub(listening).as_secs_f64() * 1000.0
        ),
        None => format!("alert accepted in {accepted_ms:.0} ms"),
    };
    Ok(Outcome {
        label: match (crash, database.is_some() && args.nodes > 1) {
            (true, false) => "**beredskap serve**, `kill -9` mid-blast and restart".into(),
            (false, false) => "**beredskap serve**: alert → outbox → gateway + SMTP".into(),
            (true, true) => format!(
                "**beredskap serve**, {} nodes, `kill -9` of the first mid-blast and restart",
                args.nodes
            ),
            (false, true) => format!(
                "**beredskap serve**, {} nodes: alert → outbox → gateway + SMTP",
                args.nodes
            ),
        },
        first_ms: first.as_secs_f64() * 1000.0,
        last_ms: last.as_secs_f64() * 1000.0,
        per_second: n as f64 / last.as_secs_f64(),
        duplicates: sms_dup,
        covered: gateway.repeated_keys(),
        same_message_id: mail_dup,
        lost: sms_lost + mail_lost,
        peak_mib: Some(peak_mib),
        cpu_ms_per_handoff: Some(1000.0 * (cpu_seconds + cpu_seconds_now + others_cpu) / n as f64),
        in_flight: handoffs.mean_in_flight(),
        after_restart_ms: killed_at
            .map(|(_, _, listening)| last.saturating_sub(listening).as_secs_f64() * 1000.0),
        note,
        chat,
    })
}
