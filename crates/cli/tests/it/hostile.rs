//! The release-shaped server under hostile traffic: a burst of bogus sign-ins from many
//! addresses, and a crowd of slow and idle sockets. Measured on the `serve` process itself.

use crate::support::TestEnv;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A field of `/proc/<pid>/status` in MiB (`VmRSS`, `VmHWM` for the peak).
fn memory_mib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {status}"));
    kib / 1024
}

/// A device cookie and the CSRF token that goes with it, as anyone gets them by opening
/// the sign-in page once.
async fn form_pass(base: &str) -> (String, String) {
    let page = reqwest::get(format!("{base}/sign-in")).await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (cookie, token)
}

/// A sign-in form post from `from` (each its own loopback address, as a botnet's would
/// be, so no per-address limit applies) on an unknown login.
async fn bogus_sign_in(
    server: SocketAddr,
    pass: &(String, String),
    from: Ipv4Addr,
    n: usize,
) -> u16 {
    let (cookie, token) = pass;
    let body =
        format!("csrf={token}&org=lillby&email=nobody{n}%40lillby.se&password=guess+guess+guess");
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).unwrap();
    let Ok(mut stream) = socket.connect(server).await else {
        return 0;
    };
    let request = format!(
        "POST /sign-in HTTP/1.1\r\nHost: {server}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let head = String::from_utf8_lossy(&answer[..answer.len().min(12)]).into_owned();
    head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn address(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test]
async fn a_burst_of_bogus_sign_ins_keeps_memory_bounded_and_gives_it_back() {
    let env = TestEnv::sqlite();
    env.org_with_admin().await;
    let server = env.serve().await;
    let pid = server.child.id().unwrap();
    let addr = address(&server.base);
    let pass = std::sync::Arc::new(form_pass(&server.base).await);
    // Warm: one sign-in, so what is measured is the burst, not the first page.
    assert_eq!(
        bogus_sign_in(addr, &pass, Ipv4Addr::new(127, 0, 1, 1), 0).await,
        401
    );
    let baseline = memory_mib(pid, "VmRSS");
    let burst = (0..200u32).map(|n| {
        let from = Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8);
        let pass = pass.clone();
        tokio::spawn(async move { bogus_sign_in(addr, &pass, from, n as usize).await })
    });
    let statuses: Vec<u16> = futures_util::future::join_all(burst)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(
        checked + busy,
        200,
        "every attempt is checked or told to come back: {statuses:?}"
    );
    assert!(
        busy > 0,
        "200 at once must be more than the pool takes: {statuses:?}"
    );
    // The pool hashes one password per core at a time, 19 MiB each; the rest of the
    // burst waits or is turned away. Unbounded, 200 at once would take 3.8 GB. The server's
    // own size (a debug build, its caches) is not what is measured: only the growth.
    let peak = memory_mib(pid, "VmHWM");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let bound = baseline + cores * 19 + 60;
    assert!(
        peak < bound,
        "peak resident memory {peak} MiB, above {bound} MiB (baseline {baseline} MiB, {cores} cores)"
    );
    // After the burst the hashing memory goes back to the system.
    let deadline = Instant::now() + Duration::from_secs(10);
    let settled = loop {
        let now = memory_mib(pid, "VmRSS");
        if now <= baseline + 20 || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        settled <= baseline + 20,
        "resident memory {settled} MiB after the burst, {baseline} MiB before (peak {peak} MiB)"
    );
    // And the server still answers a person at once.
    assert_eq!(
        bogus_sign_in(addr, &pass, Ipv4Addr::new(127, 0, 1, 2), 1).await,
        401
    );
    server.kill_hard().await;
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_on_time_and_do_not_delay_a_person() {
    let env = TestEnv::sqlite();
    env.org_with_admin().await;
    let server = env
        .serve_with(&[
            ("BEREDSKAP_HEADER_TIMEOUT_SECONDS", "2".into()),
            ("BEREDSKAP_BODY_TIMEOUT_SECONDS", "2".into()),
        ])
        .await;
    let addr = address(&server.base);
    let started = Instant::now();
    // 500 sockets, in four kinds: idle, a partial request line, partial headers, and a
    // body that trickles.
    let mut slow = Vec::new();
    for n in 0..500usize {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let opening: &[u8] = match n % 4 {
            0 => b"",
            1 => b"GET /sign-in HT",
            2 => b"GET /sign-in HTTP/1.1\r\nHost: x\r\nUser-Agent: slo",
            _ => b"POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncsrf=",
        };
        stream.write_all(opening).await.unwrap();
        slow.push((n % 4, stream));
    }
    // A person's request is answered at once, slow crowd or not.
    let asked = Instant::now();
    let page = reqwest::get(format!("{}/sign-in", server.base))
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let answered = asked.elapsed();
    assert!(
        answered < Duration::from_secs(1),
        "a normal request took {answered:?}"
    );
    // Every slow socket is closed by the server, none later than the timeouts allow.
    let trickle = tokio::spawn(async move {
        let mut closed_after = Vec::new();
        for (kind, mut stream) in slow {
            let mut buf = [0u8; 4096];
            let closed = tokio::time::timeout(Duration::from_secs(20), async {
                loop {
                    // The trickling body keeps sending a byte at a time.
                    if kind == 3 && stream.write_all(b"a").await.is_err() {
                        return;
                    }
                    match tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf))
                        .await
                    {
                        Ok(Ok(0)) | Ok(Err(_)) => return,
                        Ok(Ok(_)) | Err(_) => {}
                    }
                }
            })
            .await;
            assert!(closed.is_ok(), "a kind-{kind} connection stayed open");
            closed_after.push(started.elapsed());
        }
        closed_after
    });
    let closed_after = trickle.await.unwrap();
    let last = closed_after.iter().max().unwrap();
    assert!(
        *last < Duration::from_secs(10),
        "the last slow connection closed after {last:?}"
    );
    server.kill_hard().await;
}
