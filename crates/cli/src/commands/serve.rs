use super::{open_store, say};
use anyhow::Context as _;
use beredskap_server::{demo, telemetry, Application, Config};
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Seed a demo organisation (a fictional municipality) and print how to use it.
    #[arg(long)]
    demo: bool,
    /// The demo organisation's language, the first time it is seeded: sv (a Swedish
    /// municipality), da (Danish), nb (Norwegian) or en (Swedish, in English).
    #[arg(long, default_value = "sv", value_name = "LANG")]
    demo_language: String,
    /// Create a configured SQLite database file that does not exist yet.
    #[arg(long)]
    create: bool,
}

pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    telemetry::init(&config.log_filter);
    // Every live client holds a connection; the usual soft limit of 1024 open files would
    // stop a server with a few hundred people online. Take what the hard limit allows.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    // Held until the process ends (the system lets go of it even after kill -9).
    let _data_dir_lock = lock_data_dir(&config.data_dir)?;
    let store = open_store(&config, args.create).await?;
    let db = config.database()?;
    tracing::info!(database = %db.url, backend = store.backend(), "database ready");
    let demo_language = beredskap_i18n::Lang::parse(&args.demo_language)
        .filter(|l| l.code() == args.demo_language)
        .with_context(|| {
            format!(
                "--demo-language {:?}: one of sv, da, nb, en",
                args.demo_language
            )
        })?;
    let demo_info = match args.demo {
        true => Some(
            demo::seed(
                store.clone(),
                &config.public_url(),
                config.enrolment_link_hours,
                beredskap_core::clock::Clock::now(&beredskap_core::clock::SystemClock),
                demo_language,
            )
            .await?,
        ),
        false => None,
    };
    let config = Arc::new(config);
    let mut app = Application::build(config.clone(), store)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}: {e} (set BEREDSKAP_LISTEN or listen in the config)",
                config.listen
            )
        })?;
    if demo_info.is_some() {
        app.simulate_demo_people();
    }
    let base = match &config.public_url {
        Some(_) => config.public_url(),
        None => format!("http://localhost:{}", app.local_addr().port()),
    };
    if let Some(info) = demo_info {
        let action = if info.seeded_now {
            "created"
        } else {
            "already present"
        };
        say(format!(
            "Demo organisation {} ({}) {action}: 30 people, groups and positions with deputies.",
            info.org.name, info.org.slug
        ));
        match &info.admin_token {
            Some(token) => {
                say(format!(
                    "API token for the demo administrator {}:",
                    info.admin_login
                ));
                say(format!("  {token}"));
                say("Try:");
                say(format!(
                    "  curl -H 'Authorization: Bearer {token}' {base}/api/v1/orgs/{}/positions",
                    info.org.slug
                ));
            }
            // Only its hash is kept: it cannot be shown again, and a new one every start
            // would pile up live tokens.
            None => say(format!(
                "The demo administrator's API token was printed when the demo was created. \
                 For a new one: beredskap admin token --org {} --user {} --scope read,write,admin",
                info.org.slug, info.admin_login
            )),
        }
        say(format!("API description: {base}/api/v1/openapi.json"));
        if config.sms.is_none() || config.smtp.is_none() {
            say("Without SMS and email providers configured, alerts go to the demo's simulated people: \
                 they answer by SMS reply or by the email's link within seconds. Sara Olsson (you) and \
                 Lars Nilsson stay silent, so a deputy is alerted in their place. Try Larm → Skicka larm \
                 to Krisledningsgrupp with \"Ja, Nej\" and 1 minute between channels. Or write in \
                 the channel Krisledningsgrupp and tick \"Skicka också med sms, e-post och push\": \
                 its members without an account get it and confirm it by SMS or link.");
        }
        if let Some(link) = &info.enrolment_link {
            say(format!(
                "Sign in as {} in the browser: first activate the account (password and an authenticator app) at",
                info.admin_login
            ));
            // Made before the port was known: with no public address configured and port 0
            // asked for, the link gets the port the server listens on.
            let link = link.replacen(&config.public_url(), &base, 1);
            say(format!("  {link}"));
        }
    }
    say(format!(
        "Beredskap is listening on {}://{}",
        if config.tls() { "https" } else { "http" },
        app.local_addr()
    ));
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    app.run_until_stopped(shutdown).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// One server per data directory: two would share the SQLite file's writer, the search
/// index and the attachments, and the second could only half work. The lock file holds
/// the process id of the server that has it, to name it.
fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("data directory {}: {e}", dir.display()))?;
    let path = dir.join("serve.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.rewind()?;
            writeln!(file, "{}", std::process::id())?;
            file.sync_all()?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            anyhow::bail!(
                "another `beredskap serve` (process {}) is using the data directory {}; \
                 stop it first, or give this server its own data_dir",
                holder.trim(),
                dir.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => {
            anyhow::bail!("cannot lock {}: {e}", path.display())
        }
    }
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing requests in flight");
    shutdown.cancel();
}
