//! `beredskap-bench status-page`: a crowd reading the public status page. A real server
//! (`beredskap serve`, in its own process) with an organisation, its services, its ways to
//! be reached and a notice; N keep-alive connections each ask for `/status/{org}` as fast
//! as it answers (a closed loop), for a number of seconds. Beside it, in the same run, the
//! limit: Debian's nginx serving the same bytes as a static file to the same client. The
//! client is minimal (HTTP/1.1 written and read by hand over TCP) so that it costs both
//! servers the same and little.
//!
//! Then, with the crowd still reading, a notice is published through the API and the page
//! and each feed are polled until it shows: the time from publishing to visible.

use crate::say;
use anyhow::Context;
use beredskap_core::continuity::notices::{Kind, NewNotice, NoticeText, Phase, UpdateDraft};
use beredskap_core::continuity::services::{ServiceDraft, ServiceState, StatusChange};
use beredskap_core::continuity::status::PublicContacts;
use beredskap_core::register::NewOrg;
use beredskap_core::{Actor, Region};
use beredskap_store::{DatabaseUrl, OpenOptions};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PATH: &str = "/status/lillby";

/// One run against one server.
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Answers that were not `200` with the expected length, or connections that failed.
    failed: u64,
}

pub async fn run(connections: usize, seconds: u64, runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let token = seed(dir.path()).await?;
    let (_server, addr) = crate::spawn_server(dir.path()).await?;
    let page = fetch(addr, PATH).await?;
    anyhow::ensure!(page.0 == 200, "the status page answered {}", page.0);
    let bytes = page.1;
    let (_nginx, nginx_addr) = nginx(dir.path(), &bytes).await?;
    let from_nginx = fetch(nginx_addr, PATH).await?;
    anyhow::ensure!(from_nginx.1 == bytes, "nginx does not serve the same bytes");
    say(format!(
        "The page: {} bytes. {connections} connections, {seconds} s per run, {runs} runs; \
         server and client on the same machine.",
        bytes.len()
    ));
    let mut ours = Vec::new();
    let mut limit = Vec::new();
    for _ in 0..runs {
        // Alternating, so a slower minute of the machine falls on both.
        limit.push(load(nginx_addr, connections, seconds, bytes.len()).await);
        ours.push(load(addr, connections, seconds, bytes.len()).await);
    }
    let visible = visibility(addr, &token, connections, bytes.len(), runs).await?;
    print(&ours, &limit, &visible);
    Ok(())
}

/// The organisation the demo shows, small: services in every state, the ways to reach it,
/// and planned maintenance. Returns an administrator's token.
async fn seed(dir: &Path) -> anyhow::Result<String> {
    let store = beredskap_store::open(
        &DatabaseUrl::Sqlite(dir.join("beredskap.db")),
        &OpenOptions {
            create: true,
            ..Default::default()
        },
    )
    .await?;
    let actor = Actor::system();
    let org = store
        .create_org(
            &actor,
            NewOrg::parse("lillby", "Lillby kommun", Region::Se)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?,
        )
        .await?;
    let now = beredskap_core::clock::Clock::now(&beredskap_core::clock::SystemClock);
    let states = [
        ServiceState::Down,
        ServiceState::Degraded,
        ServiceState::Works,
        ServiceState::Works,
        ServiceState::Works,
        ServiceState::Unknown,
    ];
    let names = [
        "Telefoni",
        "Växeln",
        "E-post",
        "E-tjänster",
        "Trygghetslarm",
        "Ärendesystem",
    ];
    let mut first = None;
    for (name, state) in names.iter().zip(states) {
        let draft = ServiceDraft {
            name: (*name).into(),
            owner: None,
            alternative: None,
        };
        let service = store
            .create_service(&actor, org.id, draft, None, now)
            .await?;
        let change = StatusChange {
            state,
            impact: None,
            workaround: None,
            exercise: false,
        };
        store
            .set_service_status(&actor, org.id, service.id, change, None, now)
            .await?;
        first.get_or_insert(service.id);
    }
    let ways = PublicContacts {
        phone: Some("+46480450000".into()),
        address: Some("Stadshuset, Storgatan 1, Lillby".into()),
        opening_hours: Some("Vardagar 8–16".into()),
        note: Some("Akut hjälp: ring 112.".into()),
    };
    store.set_public_contacts(&actor, org.id, ways, now).await?;
    let notice = NewNotice {
        incident_id: None,
        kind: Kind::Disruption,
        exercise: false,
        first: UpdateDraft {
            phase: Phase::Identified,
            texts: vec![NoticeText {
                lang: "sv".into(),
                title: "Telefonin till stadshuset ligger nere".into(),
                body: "Du kan inte ringa kommunens växel just nu. Ring reservnumret \
                       0480-45 00 00 eller besök receptionen i stadshuset."
                    .into(),
            }],
            services: first.into_iter().collect(),
            starts_at: None,
            ends_at: None,
        },
    };
    store
        .publish_notice(&actor, org.id, notice, None, now)
        .await?;
    let (_, token) = crate::ingest::bench_admin(store.clone(), &org).await?;
    Ok(token)
}

/// A running nginx: stopped (master and workers) when dropped.
struct Nginx {
    binary: &'static str,
    conf: std::path::PathBuf,
    root: std::path::PathBuf,
    master: tokio::process::Child,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // Killing the master alone would leave its workers serving.
        let _ = std::process::Command::new(self.binary)
            .arg("-c")
            .arg(&self.conf)
            .arg("-p")
            .arg(&self.root)
            .args(["-s", "stop"])
            .stderr(std::process::Stdio::null())
            .status();
        // Give the master the time to stop its workers before the child is killed.
        for _ in 0..50 {
            if !matches!(self.master.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// nginx serving `bytes` at the page's path, as a static file; it stops when dropped.
async fn nginx(dir: &Path, bytes: &[u8]) -> anyhow::Result<(Nginx, SocketAddr)> {
    let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .context("no nginx: install Debian's nginx (apt-get install nginx-light)")?;
    let root = dir.join("nginx");
    let www = root.join("www/status");
    std::fs::create_dir_all(&www)?;
    std::fs::create_dir_all(root.join("tmp"))?;
    std::fs::write(www.join("lillby"), bytes)?;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let tmp = root.join("tmp");
    let tmp = tmp.display();
    // As many workers as cores, as the server's runtime has threads; no access log, as
    // the server writes none for each request either.
    let conf = format!(
        "worker_processes auto;\ndaemon off;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  default_type text/html;\n  sendfile on;\n  keepalive_requests 1000000;\n\
           client_body_temp_path {tmp};\n  proxy_temp_path {tmp};\n  fastcgi_temp_path {tmp};\n\
           uwsgi_temp_path {tmp};\n  scgi_temp_path {tmp};\n\
           server {{ listen 127.0.0.1:{port}; root {root}/www; }}\n}}\n",
        root = root.display(),
    );
    let conf_path = root.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let master = tokio::process::Command::new(binary)
        .arg("-c")
        .arg(&conf_path)
        .arg("-p")
        .arg(&root)
        .kill_on_drop(true)
        .spawn()
        .context("starting nginx")?;
    let nginx = Nginx {
        binary,
        conf: conf_path,
        root,
        master,
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    for _ in 0..100 {
        if TcpStream::connect(addr).await.is_ok() {
            return Ok((nginx, addr));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("nginx did not start listening on {addr}")
}

/// One keep-alive connection: asks and reads one answer at a time.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
    request: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr, path: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(16 * 1024),
            request: format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes(),
        })
    }

    /// The status and body of one answer (bodies with `Content-Length`, as both send).
    async fn get(&mut self) -> std::io::Result<(u16, Vec<u8>)> {
        self.stream.write_all(&self.request).await?;
        let head_end = loop {
            if let Some(i) = find(&self.buffer, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).to_string();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while self.buffer.len() < head_end + length {
            self.fill().await?;
        }
        let body = self.buffer[head_end..head_end + length].to_vec();
        self.buffer.drain(..head_end + length);
        Ok((status, body))
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn fetch(addr: SocketAddr, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    Ok(Connection::open(addr, path).await?.get().await?)
}

/// `connections` closed loops for `seconds`; each answer must be `200` with `length` bytes.
async fn load(addr: SocketAddr, connections: usize, seconds: u64, length: usize) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut failed = 0u64;
            let mut connection = None;
            while !stop.load(Ordering::Relaxed) {
                if connection.is_none() {
                    match Connection::open(addr, PATH).await {
                        Ok(c) => connection = Some(c),
                        Err(_) => {
                            failed += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let Some(c) = connection.as_mut() else {
                    continue;
                };
                let started = Instant::now();
                match c.get().await {
                    Ok((200, body)) if body.len() == length => latencies
                        .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX)),
                    Ok(_) => failed += 1,
                    Err(_) => {
                        failed += 1;
                        connection = None;
                    }
                }
            }
            (latencies, failed)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut failed = 0;
    for task in tasks {
        if let Ok((latencies, f)) = task.await {
            all.extend(latencies);
            failed += f;
        }
    }
    all.sort_unstable();
    Load {
        requests_per_second: all.len() as f64 / seconds as f64,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        failed,
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}

/// With the crowd reading, publishes a notice `runs` times and polls the page and each
/// feed until it shows; the milliseconds from sending it until the last of the four shows
/// it, one per run.
async fn visibility(
    addr: SocketAddr,
    token: &str,
    connections: usize,
    length: usize,
    runs: usize,
) -> anyhow::Result<Vec<f64>> {
    let client = reqwest::Client::new();
    let crowd = tokio::spawn(load(addr, connections, (runs as u64) * 3 + 2, length));
    let mut times = Vec::new();
    for n in 0..runs {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let title = format!("Störning nummer {n} i e-tjänsterna");
        let body = serde_json::json!({
            "kind": "disruption",
            "phase": "investigating",
            "texts": [{"lang": "sv", "title": title, "body": "Vi undersöker."}],
        });
        let sent = Instant::now();
        let r = client
            .post(format!("http://{addr}/api/v1/orgs/lillby/notices"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "publishing answered {}", r.status());
        let mut seen = [false; 4];
        let paths = [
            PATH.to_owned(),
            format!("{PATH}/feed.atom"),
            format!("{PATH}/feed.json"),
            format!("{PATH}/cap.xml"),
        ];
        while seen.iter().any(|s| !s) {
            anyhow::ensure!(
                sent.elapsed() < Duration::from_secs(10),
                "the notice did not show within 10 s"
            );
            for (i, path) in paths.iter().enumerate() {
                if !seen[i] {
                    let (_, bytes) = fetch(addr, path).await?;
                    seen[i] = String::from_utf8_lossy(&bytes).contains(&title);
                }
            }
        }
        times.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = crowd.await;
    Ok(times)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn range(values: &[Load]) -> String {
    let rates: Vec<f64> = values.iter().map(|l| l.requests_per_second).collect();
    let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let max = rates.iter().copied().fold(0.0, f64::max);
    format!("{min:.0}–{max:.0}/s")
}

fn print(ours: &[Load], limit: &[Load], visible: &[f64]) {
    let summary = |runs: &[Load]| {
        let mut rates: Vec<f64> = runs.iter().map(|l| l.requests_per_second).collect();
        let mut p50: Vec<f64> = runs.iter().map(|l| l.p50_ms).collect();
        let mut p99: Vec<f64> = runs.iter().map(|l| l.p99_ms).collect();
        let failed: u64 = runs.iter().map(|l| l.failed).sum();
        (
            median(&mut rates),
            median(&mut p50),
            median(&mut p99),
            failed,
        )
    };
    let (lr, l50, l99, lf) = summary(limit);
    let (or, o50, o99, of) = summary(ours);
    say("\n| what | requests/s | p50 ms | p99 ms | failed, all runs | range over runs |");
    say("|---|---:|---:|---:|---:|---|");
    say(format!(
        "| **limit**: nginx, the same bytes as a static file | {lr:.0} | {l50:.2} | {l99:.2} | {lf} | {} |",
        range(limit)
    ));
    say(format!(
        "| **status page**, `beredskap serve`, from memory | {or:.0} | {o50:.2} | {o99:.2} | {of} | {} |",
        range(ours)
    ));
    say(format!(
        "\nStatus page / nginx: {:.2}× (goal: at least 0.5×).",
        or / lr.max(1.0)
    ));
    let mut visible = visible.to_vec();
    let max = visible.iter().copied().fold(0.0, f64::max);
    say(format!(
        "Published to visible on the page and in all three feeds, under the same load: \
         median {:.0} ms, most {max:.0} ms over {} notices (goal: within 1 s).",
        median(&mut visible),
        visible.len()
    ));
}
