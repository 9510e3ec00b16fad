//! Real peers for tests in every crate: an SMTP server (Python's aiosmtpd, writing a
//! Maildir) and an SMS gateway that speaks the 46elks HTTP API. The SMS gateway is the one
//! fake: the real service is paid and external.
//!
//! SMTP tests skip, saying so, when aiosmtpd is missing; with `REQUIRE_SMTP=1` (as in CI)
//! they fail instead.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// An aiosmtpd handler that keeps each message in the maildir and, once `hold_after`
/// messages are kept, holds its answer until a `release` file appears beside them.
const STALLING_HANDLER: &str = r#"
import asyncio, os
from aiosmtpd.handlers import Mailbox

class Stalling(Mailbox):
    def __init__(self, mail_dir, hold_after):
        super().__init__(mail_dir)
        self.mail_dir = mail_dir
        self.hold_after = int(hold_after)
        self.kept = 0

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0], args[1])

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        self.kept += 1
        release = os.path.join(self.mail_dir, "release")
        while self.kept > self.hold_after and not os.path.exists(release):
            await asyncio.sleep(0.05)
        return answer
"#;

/// An SMTP server on a free local port that keeps every message it accepts.
pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    _child: tokio::process::Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn python_with_aiosmtpd() -> Option<PathBuf> {
    let candidates = std::env::var_os("TEST_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/python3", "python3"].map(PathBuf::from));
    candidates.into_iter().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

impl SmtpSink {
    /// Starts aiosmtpd, or returns `None` (after saying so) when it is not installed.
    ///
    /// # Panics
    /// When `REQUIRE_SMTP=1` and aiosmtpd is missing, or when it does not start.
    pub async fn start(test: &str) -> Option<SmtpSink> {
        Self::launch(test, None).await
    }

    /// As [`SmtpSink::start`], but from the message after the `n`th on it keeps each
    /// message and then holds its answer until [`SmtpSink::release`]: a client killed
    /// meanwhile has handed over mail it never heard back about.
    pub async fn start_stalling(test: &str, n: usize) -> Option<SmtpSink> {
        Self::launch(test, Some(n)).await
    }

    /// Answers every held message and stops holding.
    pub fn release(&self) {
        let _ = std::fs::write(self.dir.join("release"), b"");
    }

    #[allow(clippy::print_stderr, clippy::panic)]
    async fn launch(test: &str, hold_after: Option<usize>) -> Option<SmtpSink> {
        let Some(python) = python_with_aiosmtpd() else {
            if std::env::var("REQUIRE_SMTP").as_deref() == Ok("1") {
                panic!("REQUIRE_SMTP=1 but aiosmtpd is not installed: cannot run {test}");
            }
            eprintln!("SKIPPED {test}: no SMTP server (install python3-aiosmtpd)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let dir = std::env::temp_dir().join(format!("beredskap-smtp-{}", uuid::Uuid::new_v4()));
        let mut command = tokio::process::Command::new(python);
        command.args(["-m", "aiosmtpd", "-n", "-l"]);
        command.arg(format!("127.0.0.1:{port}"));
        match hold_after {
            None => {
                command.args(["-c", "aiosmtpd.handlers.Mailbox"]).arg(&dir);
            }
            Some(n) => {
                let code = dir.with_extension("handler");
                std::fs::create_dir_all(&code)
                    .unwrap_or_else(|e| panic!("cannot write the SMTP handler: {e}"));
                std::fs::write(code.join("stalling.py"), STALLING_HANDLER)
                    .unwrap_or_else(|e| panic!("cannot write the SMTP handler: {e}"));
                command
                    .env("PYTHONPATH", &code)
                    .args(["-c", "stalling.Stalling"])
                    .arg(&dir)
                    .arg(n.to_string());
            }
        }
        let child = command
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd: {e}"));
        // The server is another process: wait until it accepts connections.
        for _ in 0..500 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(SmtpSink {
                    port,
                    dir,
                    _child: child,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("aiosmtpd did not start listening on port {port}");
    }

    /// Every message received so far, raw.
    /// How many messages have arrived (cheaper than reading them).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.join("new"))
            .map(|entries| entries.count())
            .unwrap_or(0)
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        // Maildir names are `{seconds}.M{microseconds}P{pid}Q{count}.{host}`, the
        // microseconds not zero-padded: sorted as text they are not in arrival order.
        let arrival = |f: &std::path::PathBuf| -> (u64, u64, u64) {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let number = |after: char, until: char| {
                name.split_once(after)
                    .and_then(|(_, rest)| rest.split(until).next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            };
            let seconds = name.split('.').next().and_then(|n| n.parse().ok());
            (seconds.unwrap_or(0), number('M', 'P'), number('Q', '.'))
        };
        files.sort_by_key(arrival);
        files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
    }
}

/// An independent Web Push service for tests: npm `web-push-testing` (installed with the
/// browser tests), which checks the VAPID signature and decrypts what it is sent.
pub struct PushService {
    pub base: String,
    client: reqwest::Client,
    _child: tokio::process::Child,
}

impl PushService {
    /// Starts the service, or returns `None` (after saying so) when Node or the package is
    /// missing.
    ///
    /// # Panics
    /// When `REQUIRE_PUSH=1` and it cannot run, or when it does not start.
    #[allow(clippy::print_stderr, clippy::panic)]
    pub async fn start(test: &str) -> Option<PushService> {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../browser-tests/node_modules/web-push-testing/src/bin/server.js");
        let node_ok = std::process::Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !node_ok || !script.exists() {
            if std::env::var("REQUIRE_PUSH").as_deref() == Ok("1") {
                panic!("REQUIRE_PUSH=1 but web-push-testing is missing (npm ci in browser-tests): cannot run {test}");
            }
            eprintln!("SKIPPED {test}: no push service (run npm ci in browser-tests)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let child = tokio::process::Command::new("node")
            .arg(&script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start web-push-testing: {e}"));
        let base = format!("http://localhost:{port}");
        let client = reqwest::Client::new();
        for _ in 0..500 {
            if client
                .post(format!("{base}/status"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Some(PushService {
                    base,
                    client,
                    _child: child,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("web-push-testing did not start on port {port}");
    }

    /// Subscribes as a browser would with this server key; returns the subscription JSON
    /// (endpoint and keys) and the service's id for the subscriber.
    #[allow(clippy::panic)]
    pub async fn subscribe(&self, application_server_key: &str) -> (String, String) {
        let answer: serde_json::Value = self
            .client
            .post(format!("{}/subscribe", self.base))
            .json(&serde_json::json!({
                "applicationServerKey": application_server_key,
                "userVisibleOnly": "true",
            }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("subscribe: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("subscribe answer: {e}"));
        let data = &answer["data"];
        let subscription = serde_json::json!({
            "endpoint": data["endpoint"],
            "keys": data["keys"],
        });
        (
            subscription.to_string(),
            data["clientHash"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// The messages the subscriber has received, decrypted.
    #[allow(clippy::panic)]
    pub async fn messages(&self, client_hash: &str) -> Vec<String> {
        let answer: serde_json::Value = self
            .client
            .post(format!("{}/get-notifications", self.base))
            .json(&serde_json::json!({ "clientHash": client_hash }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("get-notifications: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("get-notifications answer: {e}"));
        answer["data"]["messages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Makes the subscription expire, as when a browser unsubscribes.
    pub async fn expire(&self, client_hash: &str) {
        let _ = self
            .client
            .post(format!("{}/expire-subscription/{client_hash}", self.base))
            .send()
            .await;
    }
}

/// One SMS the fake gateway accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSms {
    /// The id the gateway answered with (the provider's reference).
    pub id: String,
    pub from: String,
    pub to: String,
    pub message: String,
}

/// One message posted to the gateway's ntfy-style push endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPush {
    pub topic: String,
    pub title: String,
    pub click: String,
    pub body: String,
}

/// A scripted answer: HTTP status and Retry-After seconds.
type ScriptedFailure = (u16, Option<u64>);

#[derive(Clone, Default)]
struct GatewayState {
    username: String,
    password: String,
    received: Arc<Mutex<Vec<ReceivedSms>>>,
    /// Numbers that have had at least one message.
    numbers: Arc<Mutex<std::collections::HashSet<String>>>,
    pushed: Arc<Mutex<Vec<ReceivedPush>>>,
    /// Answers to give before accepting again: status and Retry-After seconds.
    failures: Arc<Mutex<VecDeque<ScriptedFailure>>>,
    /// Idempotency keys seen by the signed-webhook shape, with the id first given.
    keys: Arc<Mutex<HashMap<String, String>>>,
    /// Requests that repeated a key already seen (answered with the first id).
    repeats: Arc<std::sync::atomic::AtomicU64>,
    /// Behaviour for load: (min ms, max ms) of latency, and every nth request a 429.
    load: Arc<Mutex<Option<(u64, u64, u64)>>>,
    requests: Arc<std::sync::atomic::AtomicU64>,
    /// Messages taken under load whose answer is being delayed right now.
    in_flight: Arc<std::sync::atomic::AtomicU64>,
    /// Once this many messages were taken, the next are taken and then held unanswered
    /// until released, as a gateway that stalls mid-blast (0: never).
    hold_after: Arc<std::sync::atomic::AtomicUsize>,
    /// Messages taken and not answered yet.
    held: Arc<std::sync::atomic::AtomicUsize>,
    released: Arc<tokio::sync::Notify>,
}

/// Holds the answer to a message just taken while the gateway stalls (see `hold_after`).
async fn stall(state: &GatewayState) {
    use std::sync::atomic::Ordering;
    // Stored as n + 1, so 0 means not holding.
    let limit = state.hold_after.load(Ordering::SeqCst);
    let taken = state.received.lock().map(|r| r.len()).unwrap_or(0);
    if limit == 0 || taken < limit {
        return;
    }
    let released = state.released.notified();
    state.held.fetch_add(1, Ordering::SeqCst);
    if state.hold_after.load(Ordering::SeqCst) != 0 {
        released.await;
    }
    state.held.fetch_sub(1, Ordering::SeqCst);
}

/// A local HTTP server speaking three SMS gateways' APIs (46elks `POST /a1/sms`, Twilio's
/// `POST /2010-04-01/Accounts/{sid}/Messages.json`, and the signed webhook `POST /webhook`)
/// and an ntfy-style push endpoint (`POST /push/{topic}`). One list of received messages.
pub struct FakeSmsGateway {
    /// The 46elks-shaped endpoint.
    pub url: String,
    pub base: String,
    pub username: String,
    pub password: String,
    state: GatewayState,
    shutdown: CancellationToken,
}

impl Drop for FakeSmsGateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn scripted_failure(state: &GatewayState) -> Option<Response> {
    let (status, retry) = state.failures.lock().ok().and_then(|mut f| f.pop_front())?;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, "scripted failure").into_response();
    if let Some(seconds) = retry {
        if let Ok(v) = seconds.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    Some(response)
}

/// Under load: every nth request is turned away with a 429 at once; the others are
/// accepted first and answered after a delay, as a real gateway queues a message before it
/// replies. A client that dies while waiting has still had its message taken.
fn under_load(state: &GatewayState) -> Result<Option<Duration>, Box<Response>> {
    let n = state
        .requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let Some((min, max, every)) = state.load.lock().ok().and_then(|l| *l) else {
        return Ok(None);
    };
    if every > 0 && n % every == every - 1 {
        let mut response = (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Err(Box::new(response));
    }
    let spread = max.saturating_sub(min).max(1);
    // A spread of delays without a random generator: the request number, mixed.
    Ok(Some(Duration::from_millis(
        min + (n.wrapping_mul(2654435761) >> 7) % spread,
    )))
}

/// Answers after the delay `under_load` chose, counted meanwhile as in flight.
async fn after(state: &GatewayState, delay: Option<Duration>, response: Response) -> Response {
    if let Some(delay) = delay {
        use std::sync::atomic::Ordering;
        state.in_flight.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(delay).await;
        state.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
    response
}

/// Keeps an accepted message; `None` when the number or text is unusable.
fn record(state: &GatewayState, from: String, to: String, message: String) -> Option<String> {
    if !to.starts_with('+') || message.is_empty() {
        return None;
    }
    let id = format!("s{}", uuid::Uuid::new_v4().simple());
    if let Ok(mut numbers) = state.numbers.lock() {
        numbers.insert(to.clone());
    }
    if let Ok(mut received) = state.received.lock() {
        received.push(ReceivedSms {
            id: id.clone(),
            from,
            to,
            message,
        });
    }
    Some(id)
}

fn authorised(state: &GatewayState, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == basic_auth(&state.username, &state.password))
}

async fn accept_sms(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !authorised(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            "API access requires Basic HTTP authentication",
        )
            .into_response();
    }
    if let Some(response) = scripted_failure(&state) {
        return response;
    }
    let delay = match under_load(&state) {
        Ok(delay) => delay,
        Err(response) => return *response,
    };
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (from, to, message) = (field("from"), field("to"), field("message"));
    let response = match record(&state, from.clone(), to.clone(), message.clone()) {
        Some(id) => Json(serde_json::json!({
            "id": id,
            "status": "created",
            "direction": "outgoing",
            "from": from,
            "to": to,
            "message": message,
        }))
        .into_response(),
        None => invalid_sms(),
    };
    after(&state, delay, response).await
}

fn invalid_sms() -> Response {
    (StatusCode::BAD_REQUEST, "Invalid to or message").into_response()
}

async fn accept_twilio(
    State(state): State<GatewayState>,
    axum::extract::Path(sid): axum::extract::Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if sid != state.username || !authorised(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401})),
        )
            .into_response();
    }
    if let Some(response) = scripted_failure(&state) {
        return response;
    }
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let from = form
        .get("From")
        .or_else(|| form.get("MessagingServiceSid"))
        .cloned()
        .unwrap_or_default();
    match record(&state, from, field("To"), field("Body")) {
        Some(id) => (
            StatusCode::CREATED,
            Json(serde_json::json!({"sid": id.replacen('s', "SM", 1), "status": "queued"})),
        )
            .into_response(),
        None => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"code": 21211, "message": "Invalid 'To' Phone Number"})),
        )
            .into_response(),
    }
}

async fn accept_webhook(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let signature = headers
        .get("x-beredskap-signature")
        .and_then(|v| v.to_str().ok());
    if beredskap_server::notify::signatures::verify_webhook(
        state.password.as_bytes(),
        signature,
        &body,
        beredskap_server::clock::Clock::now(&beredskap_server::clock::SystemClock),
    )
    .is_err()
    {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    if let Some(response) = scripted_failure(&state) {
        return response;
    }
    let delay = match under_load(&state) {
        Ok(delay) => delay,
        Err(response) => return *response,
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // A gateway that honours the key hands a repeated message over once.
    if let Some(key) = &key {
        let known = state.keys.lock().ok().and_then(|k| k.get(key).cloned());
        if let Some(id) = known {
            state
                .repeats
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // A stalled gateway is silent to a repeat too.
            stall(&state).await;
            let response = Json(serde_json::json!({"id": id, "repeated": true})).into_response();
            return after(&state, delay, response).await;
        }
    }
    let text = |k: &str| json[k].as_str().unwrap_or_default().to_owned();
    let response = match record(&state, text("from"), text("to"), text("message")) {
        Some(id) => {
            if let (Some(key), Ok(mut keys)) = (key, state.keys.lock()) {
                keys.insert(key, id.clone());
            }
            stall(&state).await;
            Json(serde_json::json!({"id": id})).into_response()
        }
        None => invalid_sms(),
    };
    after(&state, delay, response).await
}

async fn accept_push(
    State(state): State<GatewayState>,
    axum::extract::Path(topic): axum::extract::Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    if let Ok(mut pushed) = state.pushed.lock() {
        pushed.push(ReceivedPush {
            topic: topic.clone(),
            title: header("title"),
            click: header("click"),
            body,
        });
    }
    Json(serde_json::json!({"id": format!("n{}", uuid::Uuid::new_v4().simple()), "topic": topic}))
        .into_response()
}

/// The `Authorization` header value for HTTP basic authentication.
fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// The webhook secret `FakeSmsGateway::config` sets, for tests that sign replies.
pub const WEBHOOK_SECRET: &str = "test-webhook-secret";

/// Signs a webhook body as the SMS gateway would: the `X-Beredskap-Signature` value.
pub fn sign_webhook(secret: &str, unix_time: i64, body: &str) -> String {
    format!(
        "t={unix_time},v1={}",
        beredskap_server::notify::signatures::webhook_mac(
            secret.as_bytes(),
            unix_time,
            body.as_bytes()
        )
    )
}

impl FakeSmsGateway {
    pub async fn start() -> std::io::Result<FakeSmsGateway> {
        Self::start_on("127.0.0.1:0").await
    }

    /// On a given address (a benchmark restarts the server and keeps its gateway).
    pub async fn start_on(address: &str) -> std::io::Result<FakeSmsGateway> {
        let state = GatewayState {
            username: "u0123456789".into(),
            password: format!("pw{}", uuid::Uuid::new_v4().simple()),
            ..GatewayState::default()
        };
        let router = Router::new()
            .route("/a1/sms", post(accept_sms))
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(accept_twilio),
            )
            .route("/webhook", post(accept_webhook))
            .route("/push/{topic}", post(accept_push))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind(address).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
        });
        Ok(FakeSmsGateway {
            url: format!("{base}/a1/sms"),
            base,
            username: state.username.clone(),
            password: state.password.clone(),
            state,
            shutdown,
        })
    }

    /// The `[sms]` configuration that sends through this gateway (46elks shape).
    pub fn config(&self) -> beredskap_server::config::SmsConfig {
        self.config_for(beredskap_server::config::SmsProviderKind::FortySixElks)
    }

    /// The configuration for one of the gateway's shapes.
    pub fn config_for(
        &self,
        kind: beredskap_server::config::SmsProviderKind,
    ) -> beredskap_server::config::SmsConfig {
        use beredskap_server::config::SmsProviderKind;
        let url = match kind {
            SmsProviderKind::FortySixElks => self.url.clone(),
            SmsProviderKind::Twilio => format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                self.base, self.username
            ),
            SmsProviderKind::Webhook => format!("{}/webhook", self.base),
        };
        beredskap_server::config::SmsConfig {
            provider: kind,
            url,
            username: self.username.clone(),
            password: Some(self.password.clone().into()),
            password_file: None,
            sender: "Beredskap".into(),
            webhook_secret: Some(WEBHOOK_SECRET.to_owned().into()),
            webhook_secret_file: None,
            rate_per_second: 0,
            timeout_seconds: 20,
        }
    }

    /// Waits until the gateway has taken `count` messages, or `within` has passed: how
    /// many it has.
    pub async fn wait_for(&self, count: usize, within: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        while self.received().len() < count && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.received().len()
    }

    /// How many messages the gateway has taken, without copying them (a benchmark looks
    /// every few milliseconds).
    pub fn count(&self) -> usize {
        self.state.received.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Messages taken under load and not answered yet: how full a client keeps the pipe.
    pub fn in_flight(&self) -> u64 {
        self.state
            .in_flight
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many numbers have had at least one message.
    pub fn numbers_reached(&self) -> usize {
        self.state.numbers.lock().map(|n| n.len()).unwrap_or(0)
    }

    pub fn received(&self) -> Vec<ReceivedSms> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    pub fn pushed(&self) -> Vec<ReceivedPush> {
        self.state
            .pushed
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Requests that repeated an idempotency key already handed over.
    pub fn repeated_keys(&self) -> u64 {
        self.state
            .repeats
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The next request gets `status` (with `Retry-After: retry_after` seconds, if given).
    pub fn fail_next(&self, status: u16, retry_after: Option<u64>) {
        if let Ok(mut f) = self.state.failures.lock() {
            f.push_back((status, retry_after));
        }
    }

    /// Answers after `min_ms`..`max_ms`, and every `every`th request with a 429 (0: never).
    /// From the message after the `n`th on, the signed-webhook endpoint takes each message
    /// and then holds its answer until [`FakeSmsGateway::release`]: a client killed
    /// meanwhile has handed over messages it never heard back about.
    pub fn hold_after(&self, n: usize) {
        self.state
            .hold_after
            .store(n + 1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Messages taken and held unanswered right now.
    pub fn held(&self) -> usize {
        self.state.held.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Answers every held message and stops holding.
    pub fn release(&self) {
        self.state
            .hold_after
            .store(0, std::sync::atomic::Ordering::SeqCst);
        self.state.released.notify_waiters();
    }

    pub fn under_load(&self, min_ms: u64, max_ms: u64, every: u64) {
        if let Ok(mut load) = self.state.load.lock() {
            *load = Some((min_ms, max_ms, every));
        }
    }
}

/// One server-sent event: its `id` (the journal seq) and its JSON data.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub id: i64,
    pub data: serde_json::Value,
}

/// Reads server-sent events from a streaming response, as a browser's `EventSource` would.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event with data, or `None` if the stream ends or nothing comes within
    /// `wait`. Keep-alive comments are skipped.
    pub async fn next(&mut self, wait: Duration) -> Option<LiveEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                match (id, serde_json::from_str(&data)) {
                    (Some(id), Ok(data)) => return Some(LiveEvent { id, data }),
                    _ => continue,
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// A TCP forwarder between a client and a real server (the database) that a test can cut,
/// as a pulled cable or a dead switch would: cut, open connections are dropped and new
/// ones are refused at once; healed, connections pass again.
pub struct NetworkCut {
    pub addr: std::net::SocketAddr,
    cut: Arc<std::sync::atomic::AtomicBool>,
    /// Cancelled to drop every open connection.
    connections: Arc<Mutex<CancellationToken>>,
    stop: CancellationToken,
}

impl Drop for NetworkCut {
    fn drop(&mut self) {
        self.stop.cancel();
        self.lock().cancel();
    }
}

impl NetworkCut {
    /// Forwards connections on a free loopback port to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> std::io::Result<NetworkCut> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let cut = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(CancellationToken::new()));
        let stop = CancellationToken::new();
        let upstream = upstream.to_owned();
        let (is_cut, open, stopping) = (cut.clone(), connections.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stopping.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((mut client, _)) = accepted else {
                    continue;
                };
                if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let dropped = open.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = dropped.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        Ok(NetworkCut {
            addr,
            cut,
            connections,
            stop,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CancellationToken> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut open = self.lock();
        open.cancel();
        *open = CancellationToken::new();
    }

    /// Lets connections through again.
    pub fn heal(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
