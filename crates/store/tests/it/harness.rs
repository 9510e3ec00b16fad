use beredskap_core::Store;
use beredskap_store::{testing, DatabaseUrl, OpenOptions};
use sqlx::{Connection, Executor};
use std::sync::Arc;

pub enum Backend {
    Sqlite {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
    Postgres {
        admin_url: String,
        url: String,
    },
}

pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub backend: Backend,
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.db");
        let url = DatabaseUrl::Sqlite(path.clone());
        let store = beredskap_store::open(
            &url,
            &OpenOptions {
                create: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        Self {
            store,
            backend: Backend::Sqlite { _dir: dir, path },
        }
    }

    pub async fn postgres(test: &str) -> Option<Self> {
        let admin_url = testing::pg_admin_url(test)?;
        let url = testing::create_pg_database(&admin_url).await.unwrap();
        let store =
            beredskap_store::open(&DatabaseUrl::parse(&url).unwrap(), &OpenOptions::default())
                .await
                .unwrap();
        Some(Self {
            store,
            backend: Backend::Postgres { admin_url, url },
        })
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Runs SQL on a separate connection, as someone with direct access to the database
    /// files would: with the journal's append-only triggers out of the way.
    pub async fn tamper(&self, sql: &str) {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await
                        .unwrap();
                c.execute("DROP TRIGGER IF EXISTS journal_append_only_update")
                    .await
                    .unwrap();
                c.execute("DROP TRIGGER IF EXISTS journal_append_only_delete")
                    .await
                    .unwrap();
                c.execute(sql).await.unwrap();
                c.close().await.unwrap();
            }
            Backend::Postgres { url, .. } => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                c.execute("ALTER TABLE journal DISABLE TRIGGER USER")
                    .await
                    .unwrap();
                c.execute(sql).await.unwrap();
                c.close().await.unwrap();
            }
        }
    }

    /// Runs SQL on a separate connection with every safeguard in place; returns the error text.
    pub async fn try_raw(&self, sql: &str) -> Result<(), String> {
        let result = match &self.backend {
            Backend::Sqlite { path, .. } => {
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await
                        .unwrap();
                c.execute(sql).await.map(|_| ())
            }
            Backend::Postgres { url, .. } => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                c.execute(sql).await.map(|_| ())
            }
        };
        result.map_err(|e| e.to_string())
    }

    pub fn url(&self) -> DatabaseUrl {
        match &self.backend {
            Backend::Sqlite { path, .. } => DatabaseUrl::Sqlite(path.clone()),
            Backend::Postgres { url, .. } => DatabaseUrl::parse(url).unwrap(),
        }
    }

    /// On PostgreSQL, locks the organisation's journal head from a connection of its own,
    /// as another node's batch would, until `release_journal_head`: the store's writer for
    /// that organisation waits at the start of its next batch while more writes queue
    /// behind it. `None` on SQLite, where the writer holds the whole file instead.
    pub async fn hold_journal_head(
        &self,
        org: beredskap_core::OrgId,
    ) -> Option<sqlx::PgConnection> {
        let Backend::Postgres { url, .. } = &self.backend else {
            return None;
        };
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        c.execute("BEGIN").await.unwrap();
        sqlx::query("SELECT seq FROM journal_heads WHERE org_id = $1 FOR UPDATE")
            .bind(org.0)
            .execute(&mut c)
            .await
            .unwrap();
        Some(c)
    }

    pub async fn release_journal_head(held: Option<sqlx::PgConnection>) {
        if let Some(mut c) = held {
            c.execute("ROLLBACK").await.unwrap();
            c.close().await.unwrap();
        }
    }

    /// Another process on the same database: a node of its own.
    pub async fn another_node(&self) -> Arc<dyn Store> {
        beredskap_store::open(&self.url(), &OpenOptions::default())
            .await
            .unwrap()
    }

    pub async fn cleanup(self) {
        if let Backend::Postgres { admin_url, url } = &self.backend {
            drop(self.store);
            testing::drop_pg_database(admin_url, url).await.unwrap();
        }
    }
}
