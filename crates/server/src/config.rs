//! Layered configuration: built-in defaults, then a TOML file, then `BEREDSKAP_*`
//! environment variables (`__` separates nested keys). Unknown keys are refused, so a
//! misspelt setting is an error instead of a silently ignored line.

use beredskap_store::DatabaseUrl;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The configuration format version this build reads.
pub const CONFIG_VERSION: u32 = 1;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Configuration format version; must be 1.
    pub version: u32,
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Where Beredskap keeps its files, including the default SQLite database.
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://…`; unset means SQLite in `data_dir`.
    #[serde(serialize_with = "redact_secret")]
    pub database_url: Option<SecretString>,
    /// A file holding the database URL (for secrets kept out of the environment).
    pub database_url_file: Option<PathBuf>,
    /// Most pooled database connections.
    pub database_max_connections: u32,
    /// The address people reach this server at, used in links; defaults to `http://{listen}`.
    pub public_url: Option<String>,
    /// Log filter, e.g. `info` or `beredskap=debug,info`; `RUST_LOG` overrides it.
    pub log_filter: String,
    /// How long an enrolment link stays valid.
    pub enrolment_link_hours: u32,
    /// The largest file that can be attached to a message, in megabytes.
    pub attachment_max_mb: u32,
    /// How often, in seconds, the alert outbox is checked for due deliveries; 0 turns the
    /// delivery worker off on this node.
    pub delivery_worker_seconds: u32,
    /// How long a worker holds a delivery it is handing over before another (or itself,
    /// after a crash) may take it over. Longer than a provider call can take (20 s). The
    /// safety net: a node's claims are freed sooner when it starts again or falls silent.
    pub delivery_lease_seconds: u32,
    /// This node's name among the nodes on one database; a node that starts again under
    /// its name frees at once what its previous run held. Unset: the host's name, the
    /// listen port and the data directory.
    pub node_name: Option<String>,
    /// How often, in seconds, live clients are sent writes made elsewhere (the command
    /// line; another node whose signal was lost). Other nodes on PostgreSQL signal their
    /// writes at once.
    pub live_poll_seconds: u32,
    /// The bearer token `/metrics` asks for; unset, `/metrics` is off.
    #[serde(serialize_with = "redact_plain")]
    pub metrics_token: Option<SecretString>,
    /// A file holding the metrics token.
    pub metrics_token_file: Option<PathBuf>,
    /// Most connections open at once; beyond, new ones are closed at once.
    pub max_connections: u32,
    /// Seconds a client has to send a request's headers, and that an idle connection is
    /// kept open waiting for the next request; also the TLS handshake's limit.
    pub header_timeout_seconds: u32,
    /// Seconds a request body may take, plus one for every 8 KiB it has delivered.
    pub body_timeout_seconds: u32,
    /// Show every organisation on the server on the sign-in page. Off, nobody learns which
    /// organisations a server holds: people reach theirs at `/o/{slug}/sign-in`, and the
    /// device remembers the one last used.
    pub list_organisations: bool,
    /// The Ed25519 key that signs journal checkpoints, kept outside the database; unset:
    /// `data_dir/checkpoint.key`, made on first use.
    pub checkpoint_key_file: Option<PathBuf>,
    /// How often, in minutes, the server signs a checkpoint of every journal head when
    /// something changed; 0 signs only on demand (`journal checkpoint`, `backup`).
    pub checkpoint_minutes: u32,
    /// Email the newest checkpoint to every administrator's private address, once a day
    /// at most (needs `[smtp]`).
    pub checkpoint_email: bool,
    /// Email the offline kit to every crisis lead's and administrator's private address
    /// every this many days; 0 (the default) never (needs `[smtp]`).
    pub offline_kit_email_days: u32,
    /// A session ends after this many minutes without use.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in, however active.
    pub session_max_hours: u32,
    /// Serve HTTPS with this certificate chain (PEM); needs `tls_key_file`.
    pub tls_cert_file: Option<PathBuf>,
    /// The certificate's private key (PEM).
    pub tls_key_file: Option<PathBuf>,
    /// Outgoing email; unset, nothing is sent by email.
    pub smtp: Option<SmtpConfig>,
    /// Outgoing SMS; unset, nothing is sent by SMS.
    pub sms: Option<SmsConfig>,
    /// A second SMS provider that takes over when the first fails (refused connections,
    /// server errors, timeouts).
    pub sms_secondary: Option<SmsConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default = "default_smtp_security")]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    #[serde(default, serialize_with = "redact_plain")]
    pub password: Option<SecretString>,
    pub password_file: Option<PathBuf>,
    /// The sender, e.g. `Beredskap Lillby <beredskap@lillby.se>`.
    pub from: String,
    /// Most connections this node keeps open to the relay and sends over at once. A relay
    /// limits connections per client (Postfix: 50 by default); several nodes each take
    /// this many.
    #[serde(default = "default_smtp_connections")]
    pub connections: u32,
}

fn default_smtp_port() -> u16 {
    587
}

/// Under Postfix's default of 50 connections per client.
pub const DEFAULT_SMTP_CONNECTIONS: u32 = 48;

/// More than any relay allows one client.
const MAX_SMTP_CONNECTIONS: u32 = 1000;

fn default_smtp_connections() -> u32 {
    DEFAULT_SMTP_CONNECTIONS
}

fn default_smtp_security() -> SmtpSecurity {
    SmtpSecurity::Starttls
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum SmsProviderKind {
    /// The 46elks HTTP API (`POST /a1/sms`, HTTP basic authentication).
    #[serde(rename = "46elks")]
    FortySixElks,
    /// Twilio's Messages API (`POST …/Accounts/{sid}/Messages.json`; username is the
    /// account SID, password the auth token).
    #[serde(rename = "twilio")]
    Twilio,
    /// Any gateway that takes a signed JSON POST: `{"to", "message", "idempotency_key"}`
    /// with `X-Beredskap-Signature` made with the password, and answers `{"id"}`.
    #[serde(rename = "webhook")]
    Webhook,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub provider: SmsProviderKind,
    /// The API endpoint, e.g. `https://api.46elks.com/a1/sms`.
    pub url: String,
    pub username: String,
    #[serde(default, serialize_with = "redact_plain")]
    pub password: Option<SecretString>,
    pub password_file: Option<PathBuf>,
    /// Sender shown on phones: up to 11 letters and digits, or a phone number.
    pub sender: String,
    /// Signs the webhooks that bring SMS replies and delivery reports
    /// (`/api/v1/hooks/sms/…`); unset, those webhooks are off.
    #[serde(default, serialize_with = "redact_plain")]
    pub webhook_secret: Option<SecretString>,
    pub webhook_secret_file: Option<PathBuf>,
    /// At most this many messages a second to this provider (its contract's limit);
    /// 0 is no limit of our own.
    #[serde(default)]
    pub rate_per_second: u32,
    /// Seconds to wait for the provider's answer. A message sent without an answer in
    /// time may have been taken: it is tried again with the same key before a secondary
    /// provider takes over.
    #[serde(default = "default_sms_timeout_seconds")]
    pub timeout_seconds: u32,
}

fn default_sms_timeout_seconds() -> u32 {
    20
}

fn redact_plain<S: serde::Serializer>(
    value: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_some("<hidden>"),
        None => s.serialize_none(),
    }
}

/// A secret given inline or as a file (for container secrets); the file wins if both.
fn resolve_secret(
    key: &str,
    inline: &mut Option<SecretString>,
    file: &Option<PathBuf>,
) -> Result<(), ConfigError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::Invalid(format!("{key}_file: cannot read {}: {e}", path.display()))
        })?;
        *inline = Some(SecretString::from(text.trim().to_owned()));
    }
    Ok(())
}

fn redact_secret<S: serde::Serializer>(
    value: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(url) => match DatabaseUrl::parse(url.expose_secret()) {
            Ok(parsed) => s.serialize_some(&parsed.redacted()),
            Err(_) => s.serialize_some("<invalid>"),
        },
        None => s.serialize_none(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./beredskap-data"),
            database_url: None,
            database_url_file: None,
            database_max_connections: 16,
            public_url: None,
            log_filter: "info".into(),
            enrolment_link_hours: 72,
            attachment_max_mb: 25,
            delivery_worker_seconds: 1,
            delivery_lease_seconds: 30,
            node_name: None,
            live_poll_seconds: 1,
            metrics_token: None,
            metrics_token_file: None,
            max_connections: 4096,
            header_timeout_seconds: 15,
            body_timeout_seconds: 30,
            list_organisations: false,
            checkpoint_key_file: None,
            checkpoint_minutes: 60,
            checkpoint_email: false,
            offline_kit_email_days: 0,
            session_idle_minutes: 240,
            session_max_hours: 24,
            tls_cert_file: None,
            tls_key_file: None,
            smtp: None,
            sms: None,
            sms_secondary: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Where the database is, as decided from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseChoice {
    pub url: DatabaseUrl,
    /// True when the URL was configured explicitly: a missing SQLite file is then refused
    /// unless `--create`, so a typo cannot start an empty database.
    pub explicit: bool,
}

impl Config {
    /// Loads defaults, then `file` if given, then the `BEREDSKAP_*` environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::MissingFile(file.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(
            Env::prefixed("BEREDSKAP_")
                .split("__")
                // The path of the file itself, read by the command line, not a setting.
                // (`BEREDSKAP_CONFIG` as the service unit sets it: any case.)
                .filter(|key| !key.as_str().eq_ignore_ascii_case("config")),
        );
        Self::from_figment(figment)
    }

    /// Parses a TOML text over the defaults, without the environment (for `config check`
    /// tests and the example).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_figment(
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)),
        )
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let mut config: Config = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(describe_figment_error(e)))?;
        if config.version != CONFIG_VERSION {
            return Err(ConfigError::Invalid(format!(
                "version: this build reads configuration version {CONFIG_VERSION}, the file says {}",
                config.version
            )));
        }
        if let Some(path) = &config.database_url_file {
            if config.database_url.is_some() {
                return Err(ConfigError::Invalid(
                    "database_url and database_url_file are both set; keep one".into(),
                ));
            }
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::Invalid(format!(
                    "database_url_file: cannot read {}: {e}",
                    path.display()
                ))
            })?;
            config.database_url = Some(SecretString::from(text.trim().to_owned()));
        }
        config.database()?;
        if let Some(smtp) = &mut config.smtp {
            resolve_secret("smtp.password", &mut smtp.password, &smtp.password_file)?;
            if smtp.username.is_some() != smtp.password.is_some() {
                return Err(ConfigError::Invalid(
                    "smtp.username and smtp.password go together".into(),
                ));
            }
            if !(1..=MAX_SMTP_CONNECTIONS).contains(&smtp.connections) {
                return Err(ConfigError::Invalid(format!(
                    "smtp.connections: must be between 1 and {MAX_SMTP_CONNECTIONS}"
                )));
            }
        }
        for (name, sms) in [
            ("sms", &mut config.sms),
            ("sms_secondary", &mut config.sms_secondary),
        ] {
            let Some(sms) = sms else { continue };
            resolve_secret(
                &format!("{name}.password"),
                &mut sms.password,
                &sms.password_file,
            )?;
            resolve_secret(
                &format!("{name}.webhook_secret"),
                &mut sms.webhook_secret,
                &sms.webhook_secret_file,
            )?;
            if sms.password.is_none() {
                return Err(ConfigError::Invalid(format!("{name}.password: missing")));
            }
            if !(sms.url.starts_with("https://") || sms.url.starts_with("http://")) {
                return Err(ConfigError::Invalid(format!(
                    "{name}.url: must be an http(s) URL"
                )));
            }
        }
        resolve_secret(
            "metrics_token",
            &mut config.metrics_token,
            &config.metrics_token_file,
        )?;
        if let Some(token) = &config.metrics_token {
            if token.expose_secret().len() < 16 {
                return Err(ConfigError::Invalid(
                    "metrics_token: at least 16 characters".into(),
                ));
            }
        }
        if config.sms_secondary.is_some() && config.sms.is_none() {
            return Err(ConfigError::Invalid(
                "sms_secondary: set [sms] first; the secondary takes over from it".into(),
            ));
        }
        for (key, value) in [
            ("max_connections", config.max_connections),
            ("header_timeout_seconds", config.header_timeout_seconds),
            ("body_timeout_seconds", config.body_timeout_seconds),
            ("live_poll_seconds", config.live_poll_seconds),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{key}: must be at least 1")));
            }
        }
        if config.delivery_lease_seconds < 2 {
            return Err(ConfigError::Invalid(
                "delivery_lease_seconds: must be at least 2".into(),
            ));
        }
        if let Some(url) = &config.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid(
                    "public_url: must start with http:// or https://".into(),
                ));
            }
        }
        if config.tls_cert_file.is_some() != config.tls_key_file.is_some() {
            return Err(ConfigError::Invalid(
                "tls_cert_file and tls_key_file go together".into(),
            ));
        }
        if config.session_idle_minutes == 0 || config.session_max_hours == 0 {
            return Err(ConfigError::Invalid(
                "session_idle_minutes and session_max_hours must be at least 1".into(),
            ));
        }
        if config.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database_max_connections: must be at least 1".into(),
            ));
        }
        Ok(config)
    }

    pub fn database(&self) -> Result<DatabaseChoice, ConfigError> {
        match &self.database_url {
            Some(url) => Ok(DatabaseChoice {
                url: DatabaseUrl::parse(url.expose_secret())
                    .map_err(|e| ConfigError::Invalid(format!("database_url: {e}")))?,
                explicit: true,
            }),
            None => Ok(DatabaseChoice {
                url: DatabaseUrl::Sqlite(self.data_dir.join("beredskap.db")),
                explicit: false,
            }),
        }
    }

    fn scheme(&self) -> &'static str {
        if self.tls() {
            "https"
        } else {
            "http"
        }
    }

    /// Whether this server terminates TLS itself.
    pub fn tls(&self) -> bool {
        self.tls_cert_file.is_some()
    }

    /// Cookies get the Secure flag, and responses HSTS, when people reach the server over
    /// HTTPS: terminated here or by a proxy in front (a `https://` public_url).
    /// This node's name among the nodes on one database: `node_name`, or the host's name,
    /// the listen port and the data directory (what stays the same when it starts again).
    pub fn node_name(&self) -> String {
        if let Some(name) = &self.node_name {
            return name.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let dir = std::fs::canonicalize(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
        format!("{host}:{}:{}", self.listen.port(), dir.display())
    }

    /// The checkpoint signing key's file.
    pub fn checkpoint_key_path(&self) -> PathBuf {
        self.checkpoint_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("checkpoint.key"))
    }

    pub fn secure_cookies(&self) -> bool {
        self.tls() || self.public_url().starts_with("https://")
    }

    /// The base of links sent to people, without a trailing slash. Unset, a server on
    /// loopback is `http://localhost:<port>`: a name, which passkeys need, and a secure
    /// context for browsers.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if self.listen.ip().is_loopback() => {
                format!("{}://localhost:{}", self.scheme(), self.listen.port())
            }
            None => format!("{}://{}", self.scheme(), self.listen),
        }
    }
}

fn describe_figment_error(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            if key.is_empty() {
                format!("{}{source}", e.kind)
            } else {
                format!("{key}: {}{source}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A commented configuration file with every key at its default.
pub const EXAMPLE: &str = r#"# Beredskap configuration. Every key may also be set in the environment as
# BEREDSKAP_<KEY> (for example BEREDSKAP_LISTEN=0.0.0.0:8080); the environment wins.

# Configuration format version.
version = 1

# Address and port to listen on.
listen = "127.0.0.1:8080"

# Where Beredskap keeps its files, including the default SQLite database.
data_dir = "./beredskap-data"

# The database. Unset: an SQLite file in data_dir, created on first start.
# An explicit sqlite:// path must exist (or be created with `serve --create`).
# database_url = "postgres://beredskap@db.internal/beredskap"
# Or read the URL from a file, to keep the password out of this file:
# database_url_file = "/run/secrets/beredskap-database-url"

# Most pooled database connections.
database_max_connections = 16

# The address people reach this server at, used in links (enrolment, alerts) and as the
# passkey domain. Defaults to http://localhost:<port> on loopback, else http://<listen>.
# public_url = "https://beredskap.lillby.se"

# Serve HTTPS directly (PEM files). Without them, serve plain HTTP behind a TLS proxy and
# set public_url to its https:// address.
# tls_cert_file = "/etc/beredskap/fullchain.pem"
# tls_key_file = "/etc/beredskap/privkey.pem"

# Log filter; RUST_LOG overrides it.
log_filter = "info"

# How long an enrolment link stays valid, in hours.
enrolment_link_hours = 72

# The largest file that can be attached to a message, in megabytes. Files are kept in
# data_dir/attachments, named by their SHA-256.
attachment_max_mb = 25

# How often, in seconds, the alert outbox is checked for deliveries that are due. 0 turns
# the delivery worker off on this node (with PostgreSQL, several nodes may all run it).
delivery_worker_seconds = 1

# How long a worker holds a delivery while handing it over at most; keep it above a
# provider call's 20 s timeout. After a crash, what the node held is freed sooner: when it
# starts again under its name, or when its heartbeat has been silent for 10 s.
delivery_lease_seconds = 30

# Several nodes on one PostgreSQL: each records a heartbeat, and what a node held when it
# stopped (a crash, a kill) is freed for the others once its heartbeat is 10 s old, or at
# once when it starts again under the same name. The default name is the host's name, the
# listen port and the data directory; set it when those change between runs.
# node_name = "beredskap-1"

# Live clients get writes made on this node at once, and those of other nodes on
# PostgreSQL as soon as those nodes signal them (LISTEN/NOTIFY). This poll is the safety
# net for writes nobody signalled (the command line, a lost connection), in seconds.
live_poll_seconds = 1

# Prometheus metrics at /metrics, for a scraper that sends this bearer token
# (authorization: credentials: in Prometheus's scrape config). Unset, /metrics is off.
# metrics_token_file = "/etc/beredskap/metrics-token"

# Connections: at most this many open at once (new ones beyond are closed at once);
# request headers, and the wait for the next request on an idle connection, within
# header_timeout_seconds; a request body within body_timeout_seconds plus one second for
# every 8 KiB it delivers. Slow and idle sockets are closed on time.
max_connections = 4096
header_timeout_seconds = 15
body_timeout_seconds = 30

# Whether the sign-in page lists every organisation on the server. Off, it discloses none:
# people sign in at https://<server>/o/<slug>/sign-in (the enrolment mail links there) and
# each device remembers the organisation it last signed in to. A server with one
# organisation signs in to it directly.
list_organisations = false

# Journal checkpoints: every checkpoint_minutes (when something changed), on
# `beredskap journal checkpoint` and with every backup, the server signs each organisation's
# journal head with an Ed25519 key kept outside the database and writes it to
# data_dir/checkpoints/. `beredskap journal verify --checkpoint FILE` then catches rows cut
# from the end of a journal. Keep copies elsewhere: checkpoint_email sends the newest one to
# every administrator's private email address, at most once a day.
# checkpoint_key_file = "/etc/beredskap/checkpoint.key"   # default: data_dir/checkpoint.key
checkpoint_minutes = 60
checkpoint_email = false

# The offline kit (plans, action cards, contact list, the services' state, the latest
# checkpoint; one HTML file that opens with no network) mailed to every crisis lead's and
# administrator's private email address every offline_kit_email_days; 0 never.
offline_kit_email_days = 0

# A session ends after this many minutes without use...
session_idle_minutes = 240
# ...and this many hours after sign-in, however active.
session_max_hours = 24

# Outgoing email, for enrolment links and sign-in codes (and later alerts).
# [smtp]
# host = "smtp.example.org"
# port = 587
# security = "starttls"        # starttls, tls or none
# username = "beredskap"
# password_file = "/run/secrets/smtp-password"
# from = "Beredskap Lillby <beredskap@lillby.example>"
# connections = 48             # most open to the relay at once, per node

# Outgoing SMS through an HTTP API.
# [sms]
# provider = "46elks"
# url = "https://api.46elks.com/a1/sms"
# username = "u0123456789"
# password_file = "/run/secrets/sms-password"
# sender = "Beredskap"
# Replies and delivery reports come to /api/v1/hooks/sms/reply and …/delivered, signed
# with this secret: header X-Beredskap-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
# "<t>.<body>">.
# webhook_secret_file = "/run/secrets/sms-webhook"
# rate_per_second = 0          # the provider's limit; 0 is none of our own
# timeout_seconds = 20         # no answer by then: tried again with the same key, then the
#                              # secondary provider takes over
# provider may also be "twilio" (url …/Accounts/<sid>/Messages.json, username = SID) or
# "webhook" (a signed JSON POST to any gateway).

# A second SMS provider, same keys as [sms]: it takes over when the first fails.
# [sms_secondary]
# provider = "twilio"
# url = "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages.json"
# username = "AC0123"
# password_file = "/run/secrets/twilio-token"
# sender = "+46701234567"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_the_defaults() {
        let parsed = Config::from_toml(EXAMPLE).unwrap();
        let defaults = Config::default();
        assert_eq!(
            serde_json::to_value(parsed).unwrap(),
            serde_json::to_value(defaults).unwrap()
        );
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = Config::from_toml("listne = \"0.0.0.0:80\"").unwrap_err();
        assert!(err.to_string().contains("listne"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = Config::from_toml("listen = \"nowhere\"").unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
        let err = Config::from_toml("database_url = \"mysql://x\"").unwrap_err();
        assert!(err.to_string().contains("database_url"), "{err}");
        let err = Config::from_toml("version = 2").unwrap_err();
        assert!(err.to_string().contains("version"), "{err}");
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_dir() {
        let c = Config::from_toml("data_dir = \"/srv/b\"").unwrap();
        let db = c.database().unwrap();
        assert_eq!(db.url, DatabaseUrl::Sqlite("/srv/b/beredskap.db".into()));
        assert!(!db.explicit);
        let c = Config::from_toml("database_url = \"sqlite://x.db\"").unwrap();
        assert!(c.database().unwrap().explicit);
    }

    #[test]
    fn providers_are_configured_with_secrets_hidden() {
        let c = Config::from_toml(
            "[smtp]\nhost = \"mail.lillby.se\"\nusername = \"b\"\npassword = \"s3cret\"\nfrom = \"B <b@lillby.se>\"\n\
             [sms]\nprovider = \"46elks\"\nurl = \"https://api.46elks.com/a1/sms\"\nusername = \"u1\"\npassword = \"t0ken\"\nsender = \"Beredskap\"\n",
        )
        .unwrap();
        let smtp = c.smtp.as_ref().unwrap();
        assert_eq!((smtp.port, smtp.security), (587, SmtpSecurity::Starttls));
        assert_eq!(smtp.connections, DEFAULT_SMTP_CONNECTIONS);
        let relay = "[smtp]\nhost = \"x\"\nfrom = \"B <b@lillby.se>\"\nconnections = ";
        let c = Config::from_toml(&format!("{relay}5\n")).unwrap();
        assert_eq!(c.smtp.as_ref().unwrap().connections, 5);
        for bad in ["0", "1001"] {
            let err = Config::from_toml(&format!("{relay}{bad}\n")).unwrap_err();
            assert!(err.to_string().contains("smtp.connections"), "{err}");
        }
        let shown = toml::to_string(&c).unwrap();
        assert!(
            !shown.contains("s3cret") && !shown.contains("t0ken"),
            "{shown}"
        );
        let err = Config::from_toml("[smtp]\nhost = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("from"), "{err}");
        let err = Config::from_toml("[sms]\nprovider = \"smsbolaget\"\n").unwrap_err();
        assert!(err.to_string().contains("provider"), "{err}");
        let err = Config::from_toml(
            "[sms_secondary]\nprovider = \"twilio\"\nurl = \"https://api.twilio.com/x\"\n\
             username = \"AC1\"\npassword = \"t\"\nsender = \"+4670\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("set [sms] first"), "{err}");
    }

    #[test]
    fn tls_needs_both_files_and_changes_the_address() {
        let err = Config::from_toml("tls_cert_file = \"/etc/c.pem\"").unwrap_err();
        assert!(err.to_string().contains("tls_key_file"), "{err}");
        let c = Config::from_toml("tls_cert_file = \"/c.pem\"\ntls_key_file = \"/k.pem\"").unwrap();
        assert_eq!(c.public_url(), "https://localhost:8080");
        assert!(c.secure_cookies());
    }

    #[test]
    fn the_public_address_is_a_name_on_loopback() {
        assert_eq!(Config::default().public_url(), "http://localhost:8080");
        let c = Config::from_toml("listen = \"192.0.2.10:80\"").unwrap();
        assert_eq!(c.public_url(), "http://192.0.2.10:80");
        let c = Config::from_toml("public_url = \"https://beredskap.lillby.se/\"").unwrap();
        assert_eq!(c.public_url(), "https://beredskap.lillby.se");
        assert!(c.secure_cookies());
    }

    #[test]
    fn passwords_do_not_show_in_a_printed_config() {
        let c = Config::from_toml("database_url = \"postgres://u:hunter2@h/db\"").unwrap();
        let shown = toml::to_string(&c).unwrap();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
