use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::state::AppState;
use beredskap_core::register::ContactKind;
use beredskap_core::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How often a node records that it is alive.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);
/// How long a node may be silent before the others free what it holds: several missed
/// heartbeats, so a busy database does not take a live node's work away.
const SILENT_SECONDS: i64 = 10;

/// The HTTP server, bound and ready to run. Binding happens in `build`, so a test can ask
/// for port 0 and read the real port before any request is made.
pub struct Application {
    listener: TcpListener,
    /// What the pages and the API are served with; the router is made from it when serving,
    /// so the demo's simulated people reach the pages' own sends too.
    state: AppState,
    local_addr: SocketAddr,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    limits: crate::connections::Limits,
    hub: Arc<crate::live::Hub>,
    status_sites: Arc<crate::status_site::StatusSites>,
    search: Result<Arc<crate::search::SearchIndex>, String>,
    store: Arc<dyn Store>,
    notifier: crate::notify::Notifier,
    delivery_worker_seconds: u32,
    delivery_lease_seconds: u32,
    enrolment_link_hours: u32,
    links: Arc<crate::alerting::AnswerLinks>,
    deliveries_due: Arc<tokio::sync::Notify>,
    /// Signs journal checkpoints, or none if the key could not be read or made.
    checkpointer: Option<Arc<crate::checkpoint::Checkpointer>>,
    checkpoint_minutes: u32,
    checkpoint_email: bool,
    /// The time for the delivery worker and the demo's simulated people.
    clock: Arc<dyn Clock>,
    /// Wake-ups from the command line, or none if the socket could not be made.
    wake_socket: Option<crate::wake::Listener>,
    /// The use cases, for the workers that run them on a timer.
    app: beredskap_app::App,
    /// Days between mailing the offline kit (0: never), and where the checkpoints are.
    offline_kit_email_days: u32,
    data_dir: std::path::PathBuf,
    /// What this node's writes signal to the other nodes, on their way out.
    node_signals: Option<tokio::sync::mpsc::Receiver<beredskap_core::store::NodeSignal>>,
    /// How often writes made elsewhere are looked for, signalled or not.
    live_poll: std::time::Duration,
}

impl Application {
    pub async fn build(config: Arc<Config>, store: Arc<dyn Store>) -> std::io::Result<Self> {
        Self::build_with_clock(config, store, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> std::io::Result<Self> {
        let tls = match (&config.tls_cert_file, &config.tls_key_file) {
            (Some(cert), Some(key)) => {
                // One process-wide choice of cryptography; a second install is a no-op.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(|e| {
                        std::io::Error::other(format!(
                            "TLS certificate {} or key {}: {e}",
                            cert.display(),
                            key.display()
                        ))
                    })?;
                Some(tls)
            }
            _ => None,
        };
        let listener = TcpListener::bind(config.listen).await?;
        let local_addr = listener.local_addr()?;
        let webauthn = crate::passkeys::relying_party(&config);
        if let Err(reason) = &webauthn {
            tracing::warn!(%reason, "passkeys are unavailable");
        }
        let notifier = crate::notify::Notifier::from_config(&config).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "messages cannot be sent");
            crate::notify::Notifier::default()
        });
        let delivery_worker_seconds = config.delivery_worker_seconds;
        let limits = crate::connections::Limits::from_config(&config);
        let delivery_lease_seconds = config.delivery_lease_seconds;
        let enrolment_link_hours = config.enrolment_link_hours;
        let hub = crate::live::Hub::new(store.clone());
        let search = crate::search::SearchIndex::open(
            &crate::search::SearchIndex::dir(&config.data_dir),
            store.clone(),
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "search is unavailable");
            e.to_string()
        });
        let links = Arc::new(
            crate::alerting::AnswerLinks::load(store.as_ref(), &config.public_url())
                .await
                .map_err(|e| std::io::Error::other(format!("signing key: {e}")))?,
        );
        let deliveries_due = Arc::new(tokio::sync::Notify::new());
        // Push signs with one VAPID key, shared by every node through the store.
        let vapid = store
            .signing_key(
                crate::alerting::VAPID_KEY,
                crate::notify::PushProvider::generate_key(),
            )
            .await
            .map_err(|e| std::io::Error::other(format!("VAPID key: {e}")))?;
        let push = crate::notify::PushProvider::new(&vapid, &config.public_url())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let vapid_public_key = push.public_key();
        let mut notifier = notifier;
        notifier.push = Some(Arc::new(push));
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let notifier = notifier.counted(&metrics);
        let sign_in = beredskap_app::sign_in::SignIn {
            hashing: crate::credentials::hashing::HashingPool::for_this_machine()?,
            session_max: chrono::Duration::hours(i64::from(config.session_max_hours)),
            session_idle: chrono::Duration::minutes(i64::from(config.session_idle_minutes)),
        };
        let checkpointer =
            match crate::checkpoint::SigningKey::load_or_create(&config.checkpoint_key_path()) {
                Ok(key) => Some(Arc::new(crate::checkpoint::Checkpointer::new(
                    store.clone(),
                    key,
                    crate::checkpoint::dir(&config.data_dir),
                ))),
                Err(e) => {
                    tracing::warn!(error = %e, "journal checkpoints are not signed");
                    None
                }
            };
        let (checkpoint_minutes, checkpoint_email) =
            (config.checkpoint_minutes, config.checkpoint_email);
        let (offline_kit_email_days, data_dir) =
            (config.offline_kit_email_days, config.data_dir.clone());
        let wake_socket = crate::wake::Listener::bind(&config.data_dir)
            .map_err(|e| {
                tracing::warn!(error = %e, "the command line cannot wake this server; its alerts wait for the worker's next round");
            })
            .ok();
        let status_sites = Arc::new(crate::status_site::StatusSites::default());
        // Several nodes share only PostgreSQL; SQLite has one.
        let (other_nodes, node_signals) = match store.backend() {
            "postgres" => {
                let (sender, receiver) = tokio::sync::mpsc::channel(1024);
                (Some(sender), Some(receiver))
            }
            _ => (None, None),
        };
        let live_poll = std::time::Duration::from_secs(u64::from(config.live_poll_seconds));
        let app = beredskap_app::App::new(
            store.clone(),
            clock.clone(),
            Arc::new(crate::wake::InProcess {
                deliveries_due: deliveries_due.clone(),
                hub: hub.clone(),
                search: search.as_ref().ok().cloned(),
                data_dir: config.data_dir.clone(),
                status_sites: status_sites.clone(),
                other_nodes,
            }),
        );
        let state = AppState {
            app: app.clone(),
            sign_in,
            site: Arc::new(crate::http::SiteOrigin::of(&config.public_url())),
            links: links.clone(),
            deliveries_due: deliveries_due.clone(),
            vapid_public_key,
            hub: hub.clone(),
            status_sites: status_sites.clone(),
            search: search.clone(),
            store: store.clone(),
            config,
            clock: clock.clone(),
            webauthn,
            notifier: notifier.clone(),
            metrics: metrics.clone(),
        };
        Ok(Self {
            listener,
            state,
            local_addr,
            tls,
            limits,
            hub,
            status_sites,
            search,
            store,
            notifier,
            delivery_worker_seconds,
            delivery_lease_seconds,
            enrolment_link_hours,
            links,
            deliveries_due,
            checkpointer,
            checkpoint_minutes,
            checkpoint_email,
            clock,
            wake_socket,
            app,
            offline_kit_email_days,
            data_dir,
            node_signals,
            live_poll,
        })
    }

    /// The checkpoint signer, for tests that take checkpoints on demand.
    pub fn checkpointer(&self) -> Option<Arc<crate::checkpoint::Checkpointer>> {
        self.checkpointer.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// For the demo: where no SMS or email provider is configured, alerts go to the demo's
    /// simulated people, who answer by themselves.
    pub fn simulate_demo_people(&mut self) {
        let (phones, mailboxes) = crate::demo::SimulatedPeople::pair(
            self.store.clone(),
            self.links.clone(),
            self.clock.clone(),
            true,
        );
        let metrics = &self.state.metrics;
        if self.notifier.sms.is_none() {
            let counted = crate::metrics::Counted::wrap(phones, ContactKind::Sms, metrics.clone());
            self.notifier.sms = Some(counted);
        }
        if self.notifier.email.is_none() {
            let counted =
                crate::metrics::Counted::wrap(mailboxes, ContactKind::Email, metrics.clone());
            self.notifier.email = Some(counted);
        }
        self.state.notifier = self.notifier.clone();
    }

    /// The answer-link signer, for tests that follow a link as a recipient would.
    pub fn links(&self) -> Arc<crate::alerting::AnswerLinks> {
        self.links.clone()
    }

    /// The use cases as this server runs them: whatever they change wakes its workers,
    /// live pages and status sites.
    pub fn use_cases(&self) -> beredskap_app::App {
        self.app.clone()
    }

    /// The search index, for tests that index on demand (`run_once`) instead of waiting.
    pub fn search(&self) -> Option<Arc<crate::search::SearchIndex>> {
        self.search.as_ref().ok().cloned()
    }

    /// Serves until `shutdown` is cancelled, then finishes the requests in flight.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        // This node among the nodes on the database: what its previous run held when it
        // stopped (a crash, a kill) is freed now, not when the lease ends.
        let node_name = self.state.config.node_name();
        match self
            .store
            .join_nodes(&node_name, beredskap_core::journal::now())
            .await
        {
            Ok(0) => {}
            Ok(freed) => {
                tracing::info!(freed, node = %node_name, "freed what this node's previous run held");
                self.deliveries_due.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "this node could not join the others"),
        }
        {
            let (store, wake, stopping) = (
                self.store.clone(),
                self.deliveries_due.clone(),
                shutdown.clone(),
            );
            let name = node_name.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT);
                loop {
                    tokio::select! {
                        _ = stopping.cancelled() => return,
                        _ = tick.tick() => {}
                    }
                    // Real time, not the server's clock: nodes compare it with each other.
                    let now = beredskap_core::journal::now();
                    let silent_since = now - chrono::Duration::seconds(SILENT_SECONDS);
                    match store.node_heartbeat(&name, now, silent_since).await {
                        Ok(0) => {}
                        Ok(freed) => {
                            tracing::warn!(freed, "freed what a silent node held");
                            wake.notify_one();
                        }
                        Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
                    }
                }
            });
        }
        // Other nodes on the database tell this one of their writes and alerts at once,
        // and it tells them of its own.
        if let Some(signals) = self.node_signals {
            tokio::spawn(crate::wake::signal_other_nodes(self.store.clone(), signals));
            tokio::spawn(crate::wake::listen_to_other_nodes(
                self.store.clone(),
                self.deliveries_due.clone(),
                self.hub.clone(),
                self.status_sites.clone(),
                shutdown.clone(),
            ));
        }
        // Writes nobody signalled (the command line, a node whose signal was lost) reach
        // live clients within `live_poll_seconds`; this process's own writes at once.
        let hub = self.hub.clone();
        let polling = shutdown.clone();
        let live_poll = self.live_poll;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(live_poll);
            loop {
                tokio::select! {
                    _ = polling.cancelled() => return,
                    _ = tick.tick() => hub.publish_all().await,
                }
            }
        });
        if let Some(socket) = self.wake_socket {
            tokio::spawn(socket.run(
                self.deliveries_due.clone(),
                self.hub.clone(),
                self.status_sites.clone(),
                shutdown.clone(),
            ));
        }
        // The alert delivery worker: hands due deliveries from the outbox to providers.
        let every = self.delivery_worker_seconds;
        let mut worker = None;
        if every > 0 {
            let dispatcher = crate::alerting::Dispatcher::new(
                self.store.clone(),
                self.notifier.clone(),
                self.links.clone(),
            )
            .with_lease(self.delivery_lease_seconds)
            .with_enrolment_hours(self.enrolment_link_hours)
            .with_clock(self.clock.clone())
            .with_stop(shutdown.clone());
            let clock = self.clock.clone();
            let wake = self.deliveries_due.clone();
            let stopping = shutdown.clone();
            worker = Some(tokio::spawn(async move {
                let period = std::time::Duration::from_secs(u64::from(every));
                let mut tick = tokio::time::interval(period);
                loop {
                    tokio::select! {
                        _ = stopping.cancelled() => return,
                        _ = tick.tick() => {}
                        _ = wake.notified() => {}
                    }
                    // Rounds repeat at once while there is more due than one batch.
                    while !stopping.is_cancelled() {
                        match dispatcher.run_once(clock.now()).await {
                            Ok(0) => break,
                            Ok(_) => continue,
                            Err(e) => {
                                tracing::warn!(error = %e, "alert delivery failed");
                                break;
                            }
                        }
                    }
                }
            }));
        }
        // Reminders of overdue situation reports, and the purge of priority calls whose
        // days are over, once a minute with the delivery worker (tests drive
        // `incident_log::remind_overdue_reports` and `priority_list::purge_calls` themselves).
        if every > 0 {
            let app = self.app.clone();
            let stopping = shutdown.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = stopping.cancelled() => return,
                        _ = tick.tick() => {}
                    }
                    let caller = beredskap_app::Caller::System;
                    let now = app.clock.now();
                    if let Err(e) =
                        beredskap_app::incident_log::remind_overdue_reports(&app, &caller, now)
                            .await
                    {
                        tracing::warn!(error = %e, "report reminders failed");
                    }
                    // Priority calls whose days are over lose their details.
                    if let Err(e) =
                        beredskap_app::priority_list::purge_calls(&app, &caller, now).await
                    {
                        tracing::warn!(error = %e, "purging priority calls failed");
                    }
                }
            });
        }
        // The search indexer: at once after a write, and every few seconds for writes
        // made elsewhere. Several messages posted together are committed together.
        if let Ok(search) = self.search.clone() {
            let stopping = shutdown.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
                loop {
                    tokio::select! {
                        _ = stopping.cancelled() => return,
                        _ = search.wake.notified() => {}
                        _ = tick.tick() => {}
                    }
                    if let Err(e) = search.run_once().await {
                        tracing::warn!(error = %e, "search indexing failed");
                    }
                }
            });
        }
        // The offline kit to crisis leads' private addresses: at start, then every few days.
        if let (Some(email), true) = (self.notifier.email.clone(), self.offline_kit_email_days > 0)
        {
            let app = self.app.clone();
            let data_dir = self.data_dir.clone();
            let stopping = shutdown.clone();
            let days = u64::from(self.offline_kit_email_days);
            tokio::spawn(async move {
                let mut tick =
                    tokio::time::interval(std::time::Duration::from_secs(days * 24 * 60 * 60));
                loop {
                    tokio::select! {
                        _ = stopping.cancelled() => return,
                        _ = tick.tick() => {}
                    }
                    if let Err(e) =
                        crate::web::offline_kit::mail_kits(&app, email.as_ref(), &data_dir).await
                    {
                        tracing::warn!(error = %e, "offline kit mail failed");
                    }
                }
            });
        }
        // Journal checkpoints: signed when something changed, mailed at most once a day.
        if let (Some(checkpointer), true) = (self.checkpointer.clone(), self.checkpoint_minutes > 0)
        {
            let stopping = shutdown.clone();
            let email = self
                .notifier
                .email
                .clone()
                .filter(|_| self.checkpoint_email);
            let minutes = u64::from(self.checkpoint_minutes);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(minutes * 60));
                let mut mailed: Option<chrono::DateTime<chrono::Utc>> = None;
                loop {
                    tokio::select! {
                        _ = stopping.cancelled() => return,
                        _ = tick.tick() => {}
                    }
                    let now = beredskap_core::journal::now();
                    let taken = match checkpointer.run_once(now).await {
                        Ok(taken) => taken,
                        Err(e) => {
                            tracing::warn!(error = %e, "journal checkpoint failed");
                            continue;
                        }
                    };
                    let due = mailed.is_none_or(|at| now - at >= chrono::Duration::hours(24));
                    if let (Some(checkpoint), Some(email), true) = (taken, &email, due) {
                        match checkpointer
                            .email_administrators(&checkpoint, email.as_ref())
                            .await
                        {
                            Ok(_) => mailed = Some(now),
                            Err(e) => tracing::warn!(error = %e, "checkpoint mail failed"),
                        }
                    }
                }
            });
        }
        let tls = self
            .tls
            .map(|tls| tokio_rustls::TlsAcceptor::from(tls.get_inner()));
        let router = crate::router::router(self.state);
        let store = self.store.clone();
        let served =
            crate::connections::serve(self.listener, router, tls, self.limits, shutdown).await;
        // Hand-offs under way finish (a provider call takes 20 s at most); what was claimed
        // and not started is freed for the other nodes, or for this one's next start.
        if let Some(worker) = worker {
            if tokio::time::timeout(std::time::Duration::from_secs(25), worker)
                .await
                .is_err()
            {
                tracing::warn!("hand-offs were still under way when the server stopped");
            }
        }
        match store.leave_nodes().await {
            Ok(0) => {}
            Ok(freed) => tracing::info!(freed, "freed what this node held as it stopped"),
            Err(e) => tracing::warn!(error = %e, "this node could not leave the others"),
        }
        served
    }
}
