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
    #[allow(clippy::print_stderr, clippy::panic)]
    pub async fn start(test: &str) -> Option<SmtpSink> {
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
        let child = tokio::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
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
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
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

/// A scripted answer: HTTP status and Retry-After seconds.
type ScriptedFailure = (u16, Option<u64>);

#[derive(Clone, Default)]
struct GatewayState {
    username: String,
    password: String,
    received: Arc<Mutex<Vec<ReceivedSms>>>,
    /// Answers to give before accepting again: status and Retry-After seconds.
    failures: Arc<Mutex<VecDeque<ScriptedFailure>>>,
}

/// A local HTTP server speaking the 46elks SMS API (`POST /a1/sms`).
pub struct FakeSmsGateway {
    pub url: String,
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

async fn accept_sms(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let authorised = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == basic_auth(&state.username, &state.password));
    if !authorised {
        return (
            StatusCode::UNAUTHORIZED,
            "API access requires Basic HTTP authentication",
        )
            .into_response();
    }
    if let Some((status, retry)) = state.failures.lock().ok().and_then(|mut f| f.pop_front()) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, "scripted failure").into_response();
        if let Some(seconds) = retry {
            if let Ok(v) = seconds.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        return response;
    }
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (from, to, message) = (field("from"), field("to"), field("message"));
    if !to.starts_with('+') || message.is_empty() {
        return (StatusCode::BAD_REQUEST, "Invalid to or message").into_response();
    }
    let id = format!("s{}", uuid::Uuid::new_v4().simple());
    if let Ok(mut received) = state.received.lock() {
        received.push(ReceivedSms {
            id: id.clone(),
            from: from.clone(),
            to: to.clone(),
            message: message.clone(),
        });
    }
    Json(serde_json::json!({
        "id": id,
        "status": "created",
        "direction": "outgoing",
        "from": from,
        "to": to,
        "message": message,
    }))
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
        crate::alerting::webhook_mac(secret.as_bytes(), unix_time, body.as_bytes())
    )
}

impl FakeSmsGateway {
    pub async fn start() -> std::io::Result<FakeSmsGateway> {
        let state = GatewayState {
            username: "u0123456789".into(),
            password: format!("pw{}", uuid::Uuid::new_v4().simple()),
            ..GatewayState::default()
        };
        let router = Router::new()
            .route("/a1/sms", post(accept_sms))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/a1/sms", listener.local_addr()?);
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
        });
        Ok(FakeSmsGateway {
            url,
            username: state.username.clone(),
            password: state.password.clone(),
            state,
            shutdown,
        })
    }

    /// The `[sms]` configuration that sends through this gateway.
    pub fn config(&self) -> crate::config::SmsConfig {
        crate::config::SmsConfig {
            provider: crate::config::SmsProviderKind::FortySixElks,
            url: self.url.clone(),
            username: self.username.clone(),
            password: Some(self.password.clone().into()),
            password_file: None,
            sender: "Beredskap".into(),
            webhook_secret: Some(WEBHOOK_SECRET.to_owned().into()),
            webhook_secret_file: None,
        }
    }

    pub fn received(&self) -> Vec<ReceivedSms> {
        self.state
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The next request gets `status` (with `Retry-After: retry_after` seconds, if given).
    pub fn fail_next(&self, status: u16, retry_after: Option<u64>) {
        if let Ok(mut f) = self.state.failures.lock() {
            f.push_back((status, retry_after));
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
