//! Storage backends for Beredskap: an embedded SQLite file (the default) and PostgreSQL
//! (production and several app nodes). Both implement [`beredskap_core::Store`] from the
//! same SQL text (`shared/`, a module of each backend beside its `dialect`); the
//! conformance suite in `tests/` holds them to the same behaviour.

// `shared/` is a module of each backend on purpose: one SQL text, compiled per dialect.
#![allow(clippy::duplicate_mod)]

mod batch;
mod postgres;
mod sqlite;
pub mod testing;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use beredskap_core::store::{Conflict, StoreError};
use beredskap_core::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the data lives, chosen once from the URL scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://path/to/file.db` (relative), `sqlite:///abs/path.db` or `sqlite:file.db`.
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`.
    Postgres(String),
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported database URL scheme {0:?}: use sqlite:// or postgres://")]
    UnknownScheme(String),
    #[error("the database URL {0:?} has no path")]
    EmptyPath(String),
    #[error(
        "SQLite database {0} does not exist; check the path, or pass --create to start a new, empty database there"
    )]
    SqliteMissing(PathBuf),
    #[error("cannot open the database at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("cannot apply migrations to {url}: {reason}")]
    Migrate { url: String, reason: String },
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        let url = url.trim();
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or(url);
        match scheme {
            "sqlite" => {
                let rest = url["sqlite:".len()..].trim_start_matches("//");
                let path = rest.split('?').next().unwrap_or_default();
                if path.is_empty() {
                    return Err(OpenError::EmptyPath(url.to_owned()));
                }
                Ok(Self::Sqlite(PathBuf::from(path)))
            }
            "postgres" | "postgresql" => Ok(Self::Postgres(url.to_owned())),
            other => Err(OpenError::UnknownScheme(other.to_owned())),
        }
    }

    /// The URL with any password replaced, safe to log.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_password(url),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Create a missing SQLite file (and its directory).
    pub create: bool,
    /// Largest number of pooled connections (PostgreSQL) or reader connections (SQLite).
    pub max_connections: u32,
    /// Most writes one commit may carry (on SQLite, of all writes; on PostgreSQL, of one
    /// organisation's writes on this node). 1 turns group commit off (for measuring what it
    /// brings).
    pub max_batch: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            create: false,
            max_connections: 16,
            max_batch: 512,
        }
    }
}

/// Opens the database the URL names and brings its schema up to date.
pub async fn open(url: &DatabaseUrl, options: &OpenOptions) -> Result<Arc<dyn Store>, OpenError> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::open(path, options).await?),
        DatabaseUrl::Postgres(pg) => Arc::new(PgStore::open(pg, options).await?),
    })
}

/// Migration versions with their descriptions, in order.
pub type MigrationList = Vec<(i64, String)>;

/// The migrations of each backend (SQLite, PostgreSQL), for the test that keeps them equal.
pub fn migration_versions() -> (MigrationList, MigrationList) {
    let list = |m: &sqlx::migrate::Migrator| {
        m.iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    };
    (list(&sqlite::MIGRATOR), list(&postgres::MIGRATOR))
}

/// One mapping from database errors to [`StoreError`], so both backends report the same.
pub(crate) fn map_sqlx_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(conflict_of(
            d.constraint()
                .unwrap_or_else(|| sqlite_columns(d.message())),
        )),
        // A reference to a row that does not exist, e.g. an organisation.
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
        // SQLITE_BUSY (5) and its extended codes: another process held the write lock
        // longer than the busy timeout.
        sqlx::Error::Database(d)
            if d.code()
                .is_some_and(|c| c == "5" || c.parse::<i32>().is_ok_and(|n| n & 0xff == 5)) =>
        {
            StoreError::Unavailable(d.message().to_owned())
        }
        // PostgreSQL broke a deadlock by rolling this transaction back.
        sqlx::Error::Database(d) if d.code().is_some_and(|c| c == "40P01") => {
            StoreError::Unavailable(format!("{DEADLOCK}: {}", d.message()))
        }
        // The disk is full: SQLITE_FULL (13), PostgreSQL's disk_full (53100). The
        // transaction is rolled back whole; writes work again once there is room.
        sqlx::Error::Database(d) if d.code().is_some_and(|c| c == "13" || c == "53100") => {
            StoreError::Unavailable(format!("the disk is full: {}", d.message()))
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// How a deadlock's error starts (see [`is_deadlock`]).
const DEADLOCK: &str = "deadlock";

/// Whether the write was rolled back to break a deadlock, and may simply be written again.
pub(crate) fn is_deadlock(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(m) if m.starts_with(DEADLOCK))
}

/// SQLite names the columns of a broken unique constraint, not the constraint.
fn sqlite_columns(message: &str) -> &str {
    message
        .strip_prefix("UNIQUE constraint failed: ")
        .unwrap_or(message)
}

/// A broken unique constraint, by its PostgreSQL name or its SQLite columns.
fn conflict_of(constraint: &str) -> Conflict {
    match constraint {
        "orgs_slug_key" | "orgs.slug" => Conflict::OrgSlug,
        "people_org_external_id_key" | "people.org_id, people.external_id" => {
            Conflict::PersonExternalId
        }
        "org_groups_org_slug_key" | "org_groups.org_id, org_groups.slug" => Conflict::GroupSlug,
        "positions_org_slug_key" | "positions.org_id, positions.slug" => Conflict::PositionSlug,
        "accounts_org_login_key" | "accounts.org_id, accounts.login" => Conflict::AccountLogin,
        "accounts_person_key" | "accounts.person_id" => Conflict::AccountPerson,
        "passkeys_credential_id_key" | "passkeys.credential_id" => Conflict::PasskeyCredential,
        "orgs_sms_number_key" | "orgs.sms_number" => Conflict::OrgSmsNumber,
        "services_org_name_key" | "services.org_id, services.name_key" => Conflict::ServiceName,
        "plans_org_slug_key" | "plans.org_id, plans.slug" => Conflict::PlanSlug,
        "alert_templates_org_name_key" | "alert_templates.org_id, alert_templates.name_key" => {
            Conflict::AlertTemplateName
        }
        "messages_author_idempotency_key" | "messages.author, messages.idempotency_key" => {
            Conflict::MessageIdempotencyKey
        }
        other => Conflict::Other(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_a_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/b.db").unwrap(),
            DatabaseUrl::Sqlite("data/b.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/b.db").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/b.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(matches!(
            DatabaseUrl::parse("mysql://u@h/db"),
            Err(OpenError::UnknownScheme(s)) if s == "mysql"
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite://"),
            Err(OpenError::EmptyPath(_))
        ));
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        let url =
            DatabaseUrl::parse("postgres://app:s3cret@db.example:5432/b?sslmode=require").unwrap();
        assert_eq!(
            format!("{url:?} {url}"),
            "postgres://app:***@db.example:5432/b?sslmode=require postgres://app:***@db.example:5432/b?sslmode=require"
        );
    }
}
