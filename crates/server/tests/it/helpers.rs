use beredskap_app::accounts::NewUser;
use beredskap_core::register::{NewOrg, Org, Role, Scope};
use beredskap_core::{Actor, EmailAddress, Region, Store};
use beredskap_server::clock::ManualClock;
use beredskap_server::{Application, Config};
use beredskap_store::{DatabaseUrl, OpenOptions};
use serde_json::Value;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// A real server on a free port with a fresh SQLite database and one organisation.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub org: Org,
    pub admin_token: String,
    pub clock: Arc<ManualClock>,
    /// The search index: `run_once` indexes what is new, so tests need not wait.
    pub search: Arc<beredskap_server::search::SearchIndex>,
    pub links: Arc<beredskap_server::alerting::AnswerLinks>,
    /// Signs journal checkpoints on demand (`run_once`, `take`).
    pub checkpointer: Arc<beredskap_server::checkpoint::Checkpointer>,
    /// The server's own use cases (its wake-ups included).
    use_cases: beredskap_app::App,
    /// The PostgreSQL admin URL and this app's database, to drop at the end.
    postgres: Option<(String, String)>,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

/// A test server's settings: a free port, its own data directory.
fn test_config(data_dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_owned(),
        // A name, not an address: passkeys need one (any port is allowed on localhost).
        public_url: Some("http://localhost".into()),
        // Tests run the delivery worker themselves (`Dispatcher::run_once`).
        delivery_worker_seconds: 0,
        ..Config::default()
    }
}

/// A second node on a test app's database (`TestApp::another_node`).
pub struct OtherNode {
    pub base: String,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for OtherNode {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some((admin, url)) = self.postgres.take() {
            // The runtime may be ending with the test: drop the database on a thread of
            // its own, waiting for it, so nothing is left behind.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let _ = runtime.block_on(beredskap_store::testing::drop_pg_database(&admin, &url));
            })
            .join();
        }
    }
}

impl TestApp {
    /// This app's database, for a test that writes to it directly (`testing::seed_register`).
    pub fn database_url(&self) -> DatabaseUrl {
        match &self.postgres {
            Some((_, url)) => DatabaseUrl::parse(url).unwrap(),
            None => DatabaseUrl::Sqlite(self._dir.path().join("test.db")),
        }
    }

    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A test app whose configuration `adjust` changes first (providers, limits).
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::Sqlite(dir.path().join("test.db"));
        Self::spawn_on(dir, url, None, adjust).await
    }

    /// The same on a fresh PostgreSQL database, dropped when the app is; `None` (after
    /// saying so) without `TEST_PG_URL`, a failure with `REQUIRE_PG=1`.
    pub async fn spawn_on_postgres(test: &str) -> Option<Self> {
        Self::spawn_on_postgres_with(test, |_| {}).await
    }

    /// `spawn_on_postgres` with the configuration changed first.
    pub async fn spawn_on_postgres_with(
        test: &str,
        adjust: impl FnOnce(&mut Config),
    ) -> Option<Self> {
        let admin = beredskap_store::testing::pg_admin_url(test)?;
        let url = beredskap_store::testing::create_pg_database(&admin)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let parsed = DatabaseUrl::parse(&url).unwrap();
        Some(Self::spawn_on(dir, parsed, Some((admin, url)), adjust).await)
    }

    /// On a fresh PostgreSQL database reached through a `NetworkCut` to the database
    /// server, so the test can take the database away and give it back.
    pub async fn spawn_on_postgres_behind_a_cut(
        test: &str,
    ) -> Option<(Self, beredskap_testkit::NetworkCut)> {
        let admin = beredskap_store::testing::pg_admin_url(test)?;
        let url = beredskap_store::testing::create_pg_database(&admin)
            .await
            .unwrap();
        let mut through = url::Url::parse(&url).unwrap();
        let upstream = format!(
            "{}:{}",
            through.host_str().unwrap(),
            through.port().unwrap_or(5432)
        );
        let cut = beredskap_testkit::NetworkCut::start(&upstream)
            .await
            .unwrap();
        through.set_host(Some("127.0.0.1")).unwrap();
        through.set_port(Some(cut.addr.port())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let parsed = DatabaseUrl::parse(through.as_str()).unwrap();
        let app = Self::spawn_on(dir, parsed, Some((admin, url)), |_| {}).await;
        Some((app, cut))
    }

    /// On SQLite in `dir` (a size-limited file system, say), with `adjust` first.
    pub async fn spawn_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> Self {
        let url = DatabaseUrl::Sqlite(dir.path().join("test.db"));
        Self::spawn_on(dir, url, None, adjust).await
    }

    /// A second server on this app's PostgreSQL database: a process of its own in all
    /// but name, sharing nothing with the first but the database. Stops when dropped.
    pub async fn another_node(&self, adjust: impl FnOnce(&mut Config)) -> OtherNode {
        let (_, url) = self
            .postgres
            .as_ref()
            .expect("another node needs PostgreSQL");
        let store =
            beredskap_store::open(&DatabaseUrl::parse(url).unwrap(), &OpenOptions::default())
                .await
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(dir.path());
        adjust(&mut config);
        let app = Application::build(Arc::new(config), store).await.unwrap();
        let base = format!("http://{}", app.local_addr());
        let shutdown = CancellationToken::new();
        tokio::spawn(app.run_until_stopped(shutdown.clone()));
        OtherNode {
            base,
            shutdown,
            _dir: dir,
        }
    }

    async fn spawn_on(
        dir: tempfile::TempDir,
        url: DatabaseUrl,
        postgres: Option<(String, String)>,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let store = beredskap_store::open(
            &url,
            &OpenOptions {
                create: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut config = test_config(dir.path());
        adjust(&mut config);
        let tls = config.tls();
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let app = Application::build_with_clock(Arc::new(config), store.clone(), clock.clone())
            .await
            .unwrap();
        let base = match tls {
            true => format!("https://localhost:{}", app.local_addr().port()),
            false => format!("http://{}", app.local_addr()),
        };
        let shutdown = CancellationToken::new();
        let search = app.search().unwrap();
        let links = app.links();
        let checkpointer = app.checkpointer().unwrap();
        let use_cases = app.use_cases();
        tokio::spawn(app.run_until_stopped(shutdown.clone()));
        let org = store
            .create_org(
                &Actor::system(),
                NewOrg::parse("lillby", "Lillby kommun", Region::Se).unwrap(),
            )
            .await
            .unwrap();
        let mut app = Self {
            base,
            client: reqwest::Client::new(),
            store,
            org,
            admin_token: String::new(),
            clock,
            search,
            links,
            checkpointer,
            use_cases,
            postgres,
            shutdown,
            _dir: dir,
        };
        app.admin_token = app.token_for(Role::Admin, "admin@lillby.se").await;
        app
    }

    /// The server's clock now (a manual one: tests move it).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use beredskap_server::clock::Clock;
        self.clock.now()
    }

    /// The account of `login` in the test organisation.
    pub async fn account(&self, login: &str) -> beredskap_core::register::Account {
        self.store
            .account_by_login(self.org.id, &EmailAddress::parse(login).unwrap())
            .await
            .unwrap()
            .unwrap()
    }

    /// Creates an account with `role` in the test organisation and returns an API token.
    pub async fn token_for(&self, role: Role, login: &str) -> String {
        self.token_in(&self.org, role, login).await
    }

    pub async fn token_in(&self, org: &Org, role: Role, login: &str) -> String {
        self.scoped_token_in(org, role, login, &Scope::ALL).await
    }

    /// The server's own use cases, for setting up what a test needs as an operator would:
    /// what they change wakes the server as its pages and API do.
    pub fn use_cases(&self) -> beredskap_app::App {
        self.use_cases.clone()
    }

    /// A token with only `scopes`, for an account with `role`.
    pub async fn scoped_token_in(
        &self,
        org: &Org,
        role: Role,
        login: &str,
        scopes: &[Scope],
    ) -> String {
        let created = beredskap_app::accounts::create_user(
            &self.use_cases(),
            &beredskap_app::Caller::Operator(Actor::system()),
            org,
            NewUser {
                name: login.split('@').next().unwrap().to_owned(),
                login: EmailAddress::parse(login).unwrap(),
                role,
                mobile: None,
                private_email: None,
            },
            "http://test",
            72,
        )
        .await
        .unwrap();
        beredskap_app::accounts::issue_api_token(
            &self.use_cases(),
            &beredskap_app::Caller::Operator(Actor::system()),
            org,
            &created.account,
            "test",
            scopes,
        )
        .await
        .unwrap()
        .1
    }

    /// A person in the test organisation with these contact points, in order.
    pub async fn person(
        &self,
        name: &str,
        contact_points: Vec<beredskap_core::register::ContactPoint>,
    ) -> beredskap_core::PersonId {
        self.store
            .create_person(
                &Actor::system(),
                self.org.id,
                beredskap_core::register::PersonDraft {
                    external_id: None,
                    name: name.into(),
                    title: None,
                    active: true,
                    contact_points,
                },
            )
            .await
            .unwrap()
            .id
    }

    /// The server's data directory (attachments, the search index).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

/// Reads a JSON body after checking the status, showing the body when the status is wrong.
pub async fn expect_json(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// The fields named in an error body, in order.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A confirmed contact point of `kind`.
pub fn point(
    kind: beredskap_core::register::ContactKind,
    value: &str,
) -> beredskap_core::register::ContactPoint {
    beredskap_core::register::ContactPoint {
        kind,
        label: beredskap_core::register::ContactLabel::Work,
        value: value.into(),
        verified: true,
    }
}

impl TestApp {
    /// Sends an acknowledgement alert to `people` at `at`, straight into the store (no
    /// wake-up: the test runs or waits for the worker).
    pub async fn send_alert(
        &self,
        people: Vec<beredskap_core::PersonId>,
        message: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> beredskap_core::alerting::Alert {
        self.store
            .create_alert(
                &Actor::system(),
                self.org.id,
                alert_to(people, message, &[], false)
                    .validate(None)
                    .unwrap(),
                at,
            )
            .await
            .unwrap()
    }
}

/// An alert to `people`: a poll when `options` are given, else an acknowledgement; five
/// minutes between a person's channels, no repeats.
pub fn alert_to(
    people: Vec<beredskap_core::PersonId>,
    message: &str,
    options: &[&str],
    exercise: bool,
) -> beredskap_core::alerting::AlertInput {
    beredskap_core::alerting::AlertInput {
        message: message.into(),
        severity: beredskap_core::alerting::Severity::Critical,
        recipients: beredskap_core::alerting::Recipients {
            people,
            ..Default::default()
        },
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        exercise,
        step_minutes: 5,
        repeats: 0,
        repeat_minutes: 15,
        escalation: None,
    }
}
