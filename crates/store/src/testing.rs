//! Support for tests in every crate: a fresh PostgreSQL database per test.
//!
//! PostgreSQL tests read the server's URL from `TEST_PG_URL`. Without it they skip, saying
//! so on stderr; with `REQUIRE_PG=1` (as in CI) a missing `TEST_PG_URL` fails the test.

use sqlx::{Connection, Executor, PgConnection};

/// The admin URL to create test databases with, or `None` when PostgreSQL tests should skip.
///
/// # Panics
/// When `REQUIRE_PG=1` and `TEST_PG_URL` is not set: a required backend must not be skipped.
#[allow(clippy::print_stderr, clippy::panic)]
pub fn pg_admin_url(test: &str) -> Option<String> {
    match std::env::var("TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("REQUIRE_PG").as_deref() == Ok("1") => {
            panic!("REQUIRE_PG=1 but TEST_PG_URL is not set: cannot run {test} on PostgreSQL")
        }
        _ => {
            eprintln!("SKIPPED {test} on PostgreSQL: set TEST_PG_URL=postgres://… to run it");
            None
        }
    }
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(base.len());
    format!("{}/{database}{query}", &base[..host_end])
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn create_pg_database(admin_url: &str) -> Result<String, sqlx::Error> {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(admin_url).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    Ok(with_database(admin_url, &name))
}

/// Drops a database made by [`create_pg_database`], ending its open connections.
pub async fn drop_pg_database(admin_url: &str, url: &str) -> Result<(), sqlx::Error> {
    let Some(name) = url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| {
            n.starts_with("t_") && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    else {
        return Ok(());
    };
    let mut conn = PgConnection::connect(admin_url).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    conn.close().await
}

/// A university's register in seconds for a test or a benchmark: `people` (name and contact
/// points) and one group `group_slug` with them all, written straight into `url`'s tables
/// without journal entries. The organisation must exist; returns the group.
pub async fn seed_register(
    url: &crate::DatabaseUrl,
    org: beredskap_core::OrgId,
    group_slug: &str,
    people: &[(String, Vec<beredskap_core::register::ContactPoint>)],
) -> beredskap_core::store::StoreResult<beredskap_core::GroupId> {
    let now = beredskap_core::journal::now();
    match url {
        crate::DatabaseUrl::Sqlite(path) => {
            crate::sqlite::seed_register(path, org, group_slug, people, now).await
        }
        crate::DatabaseUrl::Postgres(pg) => {
            crate::postgres::seed_register(pg, org, group_slug, people, now).await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_swapped_in_urls() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:5432/postgres", "t_1"),
            "postgres://postgres@127.0.0.1:5432/t_1"
        );
        assert_eq!(
            super::with_database("postgres://u:p@h/db?sslmode=disable", "t_2"),
            "postgres://u:p@h/t_2?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://h", "t_3"),
            "postgres://h/t_3"
        );
    }
}
