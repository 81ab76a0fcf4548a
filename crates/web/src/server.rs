//! `devhub serve`: open and migrate the database, listen, sweep expired sessions (and the
//! security log's old entries), and shut down gracefully on SIGINT / SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use devhub_db::{migrate, Db, DbConfig, OpenMode};

use crate::auth::rate_limit::LONGEST_WINDOW;
use crate::state::{AppState, Settings};

#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub host: String,
    pub port: u16,
    pub run_migrations: bool,
    pub settings: Settings,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How often expired sessions are deleted.
    pub sweep_every: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            host: "127.0.0.1".into(),
            port: 3000,
            run_migrations: true,
            settings: Settings::default(),
            shutdown_grace: Duration::from_secs(10),
            sweep_every: Duration::from_secs(60 * 60),
        }
    }
}

pub use devhub_http::ServeError;

/// A database that cannot be opened or migrated: its configuration's fault, or a failure.
fn db_error(e: devhub_db::Error) -> ServeError {
    match e {
        devhub_db::Error::Config(m) => ServeError::Config(m),
        other => ServeError::Failed(other.to_string()),
    }
}

/// Logs where the database's schema differs from what its applied migrations make, and
/// refuses to start when a table or column they create is missing (every page would fail on
/// it); anything else (an extra column, a missing index) is a warning.
async fn check_drift(db: &Db) -> Result<(), ServeError> {
    let migrations = migrate::embedded().map_err(db_error)?;
    let drift = match migrate::drift(db, &migrations).await {
        Ok(drift) => drift,
        Err(e) => {
            tracing::warn!(error = %e, "could not compare the database with its migrations");
            return Ok(());
        }
    };
    for d in &drift {
        tracing::warn!("drift: {d}");
    }
    let breaking: Vec<String> = drift
        .iter()
        .filter(|d| d.breaks_the_app())
        .map(|d| d.to_string())
        .collect();
    if breaking.is_empty() {
        return Ok(());
    }
    Err(ServeError::Config(format!(
        "refusing to start: the database has drifted from its migrations: {}. Restore it \
         (undo the hand edit, or restore a backup); `devhub db status` lists every difference",
        breaking.join("; ")
    )))
}

/// Runs the web app until SIGINT or SIGTERM.
pub async fn serve(db_config: &DbConfig, config: ServeConfig) -> Result<(), ServeError> {
    let db = Db::open(db_config, OpenMode::CreateIfMissing)
        .await
        .map_err(db_error)?;
    if config.run_migrations {
        let migrations = migrate::embedded().map_err(db_error)?;
        for m in migrate::migrate(&db, &migrations).await.map_err(db_error)? {
            tracing::info!(migration = %m.label(), "applied migration");
        }
    }
    check_drift(&db).await?;
    // An instance always has an admin: one whose accounts predate roles gets its oldest.
    match db.users().ensure_admin().await {
        Ok(Some(user)) => tracing::info!(
            username = %user.username,
            "no admin account: promoted the oldest account to admin"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not check that the instance has an admin"),
    }
    let (listener, local) = devhub_http::listen(&config.host, config.port).await?;

    let sweeper = tokio::spawn(sweep_sessions(db.clone(), config.sweep_every));
    // Links in reminders point to PUBLIC_URL, or to this server as it listens.
    let base = match &config.settings.public_url {
        Some(url) => url.clone(),
        None => {
            if config.settings.mailer.is_some() {
                tracing::warn!(
                    "PUBLIC_URL is not set: links in reminder e-mails point to http://{local}"
                );
            }
            format!("http://{local}")
        }
    };
    let state = AppState::with_base(db.clone(), config.settings.clone(), &base);
    let reminders = config.settings.reminders_every.map(|every| {
        tokio::spawn(crate::reminders::engine::run_forever(
            state.reminders.clone(),
            db.clone(),
            every,
        ))
    });
    let app = crate::app(state);
    tracing::info!(database = %db.location().describe(), "serving on http://{local}");
    println!("Developer Hub CRM is running on http://{local} (press Ctrl+C to stop)");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        devhub_http::shutdown_signal().await;
        tracing::info!("shutdown signal received; finishing in-flight requests");
        let _ = stop_tx.send(true);
    });
    let mut stopping = stop_rx.clone();
    let grace = config.shutdown_grace;
    tokio::select! {
        result = server => result.map_err(|e| ServeError::Failed(e.to_string()))?,
        // In-flight requests get a bounded time to finish once the signal came.
        () = async {
            let _ = stopping.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("requests still running after {grace:?}; stopping anyway"),
    }
    sweeper.abort();
    if let Some(reminders) = reminders {
        reminders.abort();
    }
    db.close();
    tracing::info!("stopped");
    Ok(())
}

/// Deletes expired sessions every `every`. Several instances on one database share the work:
/// the one holding the sweep's lease sweeps, the others skip until it lapses.
async fn sweep_sessions(db: Db, every: Duration) {
    let instance = devhub_db::row::new_id();
    let period = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(1));
    let mut ticker = tokio::time::interval(every);
    loop {
        ticker.tick().await;
        let now = devhub_db::row::now();
        match db
            .job_leases()
            .take("session-sweep", &instance, now, now + period)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "session sweep failed");
                continue;
            }
        }
        sweep_once(&db, now).await;
    }
}

/// One period's sweep (the holder of the lease runs it): expired sessions, log-in attempts
/// past every window, security log entries past 90 days, deleted contacts and undos past
/// theirs, every account's storage measured, and fragmented full-text indexes merged for up
/// to a second. Each failure is logged; the rest goes on.
pub async fn sweep_once(db: &Db, now: chrono::DateTime<chrono::Utc>) {
    match db.sessions().delete_expired(now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "deleted expired sessions"),
        Err(e) => tracing::warn!(error = %e, "session sweep failed"),
    }
    // Log-in attempts older than any rate limit's window count for nothing.
    let before = now - chrono::Duration::from_std(LONGEST_WINDOW).unwrap_or_default();
    if let Err(e) = db.auth_attempts().sweep(before).await {
        tracing::warn!(error = %e, "sweep of log-in attempts failed");
    }
    // Security log entries past their 90 days.
    let kept = chrono::Duration::days(devhub_db::repo::security_event::KEPT_DAYS);
    match db.security_events().sweep(now - kept).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(events = n, "deleted security log entries past 90 days"),
        Err(e) => tracing::warn!(error = %e, "sweep of the security log failed"),
    }
    // The record of reminders past its 90 days.
    let kept = chrono::Duration::days(devhub_db::repo::reminder::KEPT_DAYS);
    if let Err(e) = db.reminders().sweep(now - kept).await {
        tracing::warn!(error = %e, "sweep of the reminders' record failed");
    }
    // Deleted contacts past their 30 days, and undos past their day.
    match db.trash().purge(now).await {
        Ok((0, 0)) => {}
        Ok((snapshots, undos)) => {
            tracing::info!(
                snapshots,
                undos,
                "purged deleted contacts and expired undos"
            );
        }
        Err(e) => tracing::warn!(error = %e, "purge of deleted contacts failed"),
    }
    // Every account's storage estimate, for the admin page (each account read apart).
    if let Err(e) = db.users().measure_storage(now).await {
        tracing::warn!(error = %e, "measuring the accounts' storage failed");
    }
    // A fragmented search index (a large import, years of writes), merged towards one
    // segment in short steps for up to a second: searches stay about as quick as after
    // `devhub db optimize`.
    match devhub_db::search_index::tidy(db, Duration::from_secs(1)).await {
        Ok(0) => {}
        Ok(steps) => tracing::info!(steps, "merged the search indexes"),
        Err(e) => tracing::warn!(error = %e, "merge of the search indexes failed"),
    }
}
