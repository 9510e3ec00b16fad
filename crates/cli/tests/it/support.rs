use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_beredskap");

/// A database for one test: SQLite in a temp dir, or a fresh PostgreSQL database.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub database_url: Option<String>,
    admin_url: Option<String>,
    /// A data directory other than `dir`.
    data: Option<PathBuf>,
}

impl TestEnv {
    pub fn sqlite() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            database_url: None,
            admin_url: None,
            data: None,
        }
    }

    /// SQLite in an existing data directory (a restored one).
    pub fn at(dir: PathBuf) -> Self {
        Self {
            data: Some(dir),
            ..Self::sqlite()
        }
    }

    pub async fn postgres(test: &str) -> Option<Self> {
        let admin = beredskap_store::testing::pg_admin_url(test)?;
        let url = beredskap_store::testing::create_pg_database(&admin)
            .await
            .unwrap();
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            database_url: Some(url),
            admin_url: Some(admin),
            data: None,
        })
    }

    pub fn data_dir(&self) -> &Path {
        self.data.as_deref().unwrap_or(self.dir.path())
    }

    pub fn sqlite_file(&self) -> PathBuf {
        self.data_dir().join("beredskap.db")
    }

    /// The test's database, opened from the test itself (beside a running server).
    pub async fn store(&self) -> std::sync::Arc<dyn beredskap_core::Store> {
        let url = match &self.database_url {
            Some(url) => beredskap_store::DatabaseUrl::parse(url).unwrap(),
            None => beredskap_store::DatabaseUrl::Sqlite(self.sqlite_file()),
        };
        beredskap_store::open(&url, &beredskap_store::OpenOptions::default())
            .await
            .unwrap()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_remove("BEREDSKAP_CONFIG")
            .env_remove("BEREDSKAP_DATABASE_URL")
            .env("BEREDSKAP_DATA_DIR", self.data_dir())
            .env("BEREDSKAP_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .kill_on_drop(true);
        if let Some(url) = &self.database_url {
            cmd.env("BEREDSKAP_DATABASE_URL", url);
        }
        cmd
    }

    /// Runs a command to completion; returns exit code and stdout, failing loudly on timeout.
    pub async fn run(&self, args: &[&str]) -> (i32, String) {
        self.run_with(args, &[]).await
    }

    /// `run` with more settings in the command's environment.
    pub async fn run_with(&self, args: &[&str], settings: &[(&str, String)]) -> (i32, String) {
        let mut command = self.command(args);
        for (key, value) in settings {
            command.env(key, value);
        }
        let out = tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .expect("command timed out")
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code().unwrap_or(-1), format!("{stdout}{stderr}"))
    }

    /// Runs a command that must succeed and returns its stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let (code, out) = self.run(args).await;
        assert_eq!(code, 0, "beredskap {args:?} failed:\n{out}");
        out
    }

    /// Imports `csv` into lillby with `beredskap import people`, as an operator would.
    pub async fn import_people(&self, csv: &str) {
        let file = self.data_dir().join("people.csv");
        std::fs::write(&file, csv).unwrap();
        self.ok(&[
            "import",
            "people",
            "--org",
            "lillby",
            file.to_str().unwrap(),
        ])
        .await;
    }

    /// The settings that send SMS through `gateway`'s signed webhook.
    pub fn webhook_sms(gateway: &beredskap_testkit::FakeSmsGateway) -> Vec<(&'static str, String)> {
        let sms = gateway.config_for(beredskap_server::config::SmsProviderKind::Webhook);
        vec![
            ("BEREDSKAP_SMS__PROVIDER", "webhook".to_owned()),
            ("BEREDSKAP_SMS__URL", sms.url.clone()),
            ("BEREDSKAP_SMS__USERNAME", "test".to_owned()),
            ("BEREDSKAP_SMS__PASSWORD", gateway.password.clone()),
            ("BEREDSKAP_SMS__SENDER", "Beredskap".to_owned()),
        ]
    }

    /// The organisation `lillby`, made at the command line.
    pub async fn create_lillby(&self) {
        self.ok(&[
            "admin",
            "create-org",
            "--slug",
            "lillby",
            "--name",
            "Lillby kommun",
        ])
        .await;
    }

    /// An organisation with an admin account; returns the admin's API token.
    pub async fn org_with_admin(&self) -> String {
        self.create_lillby().await;
        self.ok(&[
            "admin",
            "create-user",
            "--org",
            "lillby",
            "--email",
            "admin@lillby.se",
            "--name",
            "Admin",
            "--role",
            "admin",
        ])
        .await;
        self.ok(&[
            "admin",
            "token",
            "--org",
            "lillby",
            "--user",
            "admin@lillby.se",
            "--scope",
            "read,write,admin",
        ])
        .await
        .trim()
        .to_owned()
    }

    /// Starts `beredskap serve` and waits until it says where it listens.
    pub async fn serve(&self) -> Server {
        self.serve_with(&[]).await
    }

    /// `serve` with more settings in its environment.
    pub async fn serve_with(&self, settings: &[(&str, String)]) -> Server {
        let mut command = self.command(&["serve"]);
        for (key, value) in settings {
            command.env(key, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("Beredskap is listening on ") {
                    return url.to_owned();
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server did not start listening");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server { child, base }
    }

    pub async fn cleanup(self) {
        if let (Some(admin), Some(url)) = (&self.admin_url, &self.database_url) {
            beredskap_store::testing::drop_pg_database(admin, url)
                .await
                .unwrap();
        }
    }
}

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Sends SIGTERM (as `systemctl stop` does) and returns without waiting.
    pub fn terminate(&self) {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the process to end by itself: its exit status.
    pub async fn exited(mut self) -> std::process::ExitStatus {
        self.child.wait().await.unwrap()
    }

    /// `kill -9`: no shutdown, no flush, nothing the process can do.
    pub async fn kill_hard(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}
