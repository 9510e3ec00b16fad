//! PostgreSQL, for production and for several stateless app nodes on one database.
//! Each write is its own transaction with `synchronous_commit = on`; PostgreSQL's own
//! replication provides high availability.

use crate::{OpenError, OpenOptions};
use beredskap_core::store::StoreResult;
use futures_util::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Executor};
use std::str::FromStr;
use std::time::Duration;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

const BACKEND_NAME: &str = "postgres";

type Backend = PgStore;

/// What this backend does differently, for the SQL in `shared/` (which is compiled once
/// per backend, as ordinary modules of it).
mod dialect {
    use super::ops::{db, Conn};
    use beredskap_core::store::{StoreError, StoreResult};
    use beredskap_core::OrgId;

    pub type Db = sqlx::Postgres;

    /// How a worker claims outbox rows without waiting for another worker's.
    pub const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

    /// Locks the organisation's journal head first thing in a writing transaction, so
    /// concurrent writers of one organisation queue here (keeping the chain gapless) instead
    /// of deadlocking later on rows they both touch.
    pub async fn lock_org(conn: &mut Conn, org: OrgId) -> StoreResult<()> {
        let locked = sqlx::query("SELECT seq FROM journal_heads WHERE org_id = $1 FOR UPDATE")
            .bind(org.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
        locked.map(|_| ()).ok_or(StoreError::NotFound)
    }

    /// What makes a commit durable, as a writing connection reports it.
    pub async fn durability(conn: &mut Conn) -> StoreResult<Vec<(String, String)>> {
        let mut settings = Vec::new();
        for name in ["synchronous_commit", "fsync", "full_page_writes"] {
            let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
            settings.push((name.to_owned(), value));
        }
        Ok(settings)
    }
}

#[path = "shared/ops.rs"]
mod ops;

#[path = "shared/store_impl.rs"]
mod store_impl;

#[path = "shared/conversation_impl.rs"]
mod conversation_impl;

#[path = "shared/alerting_impl.rs"]
mod alerting_impl;

#[path = "shared/continuity_impl.rs"]
mod continuity_impl;

#[path = "shared/priority_impl.rs"]
mod priority_impl;

#[path = "shared/notice_impl.rs"]
mod notice_impl;

#[path = "shared/activation_impl.rs"]
mod activation_impl;

pub struct PgStore {
    pool: PgPool,
    /// The node this store's claims are made in.
    node: beredskap_core::NodeId,
}

impl PgStore {
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self, OpenError> {
        let shown = crate::redact_password(url);
        let connect_error = |e: sqlx::Error| OpenError::Connect {
            url: shown.clone(),
            reason: e.to_string(),
        };
        let connect = PgConnectOptions::from_str(url)
            .map_err(connect_error)?
            .application_name("beredskap")
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // An acknowledged write must be on disk, whatever the server default.
                    conn.execute("SET synchronous_commit = on").await?;
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(connect_error)?;
        MIGRATOR.run(&pool).await.map_err(|e| OpenError::Migrate {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            pool,
            node: beredskap_core::NodeId(uuid::Uuid::new_v4()),
        })
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let mut conn = self.pool.acquire().await.map_err(crate::map_sqlx_error)?;
        f(&mut conn).await
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let mut tx = self.pool.begin().await.map_err(crate::map_sqlx_error)?;
        match f(&mut tx).await {
            Ok(value) => {
                tx.commit().await.map_err(crate::map_sqlx_error)?;
                Ok(value)
            }
            Err(e) => {
                // Dropping the transaction would roll back too, but only later, on the pool.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }
}
