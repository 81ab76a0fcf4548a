//! The subcommands.

use devhub_db::migrate::{self, GenerateOptions, Generated, MigrationState, SourcePaths};
use devhub_db::password;
use devhub_db::{search_index, seed, Db, DbConfig, Location, OpenMode, Synchronous};

use crate::cli::{
    CheckArgs, DatabaseArgs, GenerateArgs, SeedArgs, ServeArgs, SourceArgs, StudioArgs,
};
use crate::Failure;

/// `println!` that does not panic when stdout is closed (`devhub … | head`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub fn db_config(args: &DatabaseArgs) -> Result<DbConfig, Failure> {
    let config = DbConfig {
        url: args.database_url.clone(),
        auth_token: args.database_auth_token.clone(),
        replica_path: args.database_replica_path.clone(),
        synchronous: Synchronous::parse(&args.database_synchronous)?,
        sync_interval: devhub_db::config::parse_sync_interval(&args.database_sync_interval)?,
    };
    // Parse early so that a bad URL is reported before any work.
    Location::from_config(&config)?;
    Ok(config)
}

fn source_paths(args: &SourceArgs) -> SourcePaths {
    SourcePaths {
        schema: args.schema.clone(),
        migrations: args.migrations.clone(),
    }
}

pub async fn db_migrate(config: &DbConfig) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::CreateIfMissing).await?;
    crate::push::refuse_pushed(&db).await?;
    let applied = migrate::migrate(&db, &migrate::embedded()?).await?;
    if applied.is_empty() {
        outln!("Database is up to date ({}).", db.location().describe());
    }
    for m in &applied {
        outln!("applied {}", m.label());
    }
    Ok(())
}

pub async fn db_status(config: &DbConfig) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    let statuses = migrate::status(&db, &migrate::embedded()?).await?;
    outln!("{}", db.location().describe());
    let mut pending = 0;
    for s in &statuses {
        let label = format!("{:04}_{}", s.id, s.name);
        match &s.state {
            MigrationState::Applied(at) => outln!("  applied  {label}  ({at})"),
            MigrationState::Pending => {
                pending += 1;
                outln!("  pending  {label}");
            }
            MigrationState::Changed(at) => {
                outln!("  CHANGED  {label}  (applied {at}; the file has changed since)")
            }
            MigrationState::Unknown(at) => {
                outln!("  UNKNOWN  {label}  (applied {at}; not in this devhub)")
            }
        }
    }
    outln!("{} applied, {pending} pending", statuses.len() - pending);
    crate::drift::print_drift(&db).await;
    Ok(())
}

/// `devhub db optimize`: each full-text index merged into one segment, with the counts
/// before and after.
pub async fn db_optimize(config: &DbConfig) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    let statuses = migrate::status(&db, &migrate::embedded()?).await?;
    if statuses
        .iter()
        .any(|s| matches!(s.state, MigrationState::Pending))
    {
        return Err(Failure::Usage(format!(
            "{} has pending migrations: apply them first (devhub db migrate)",
            db.location().describe()
        )));
    }
    let started = std::time::Instant::now();
    let before = search_index::segments(&db).await?;
    search_index::merge(&db).await?;
    let after = search_index::segments(&db).await?;
    for ((table, before), (_, after)) in before.iter().zip(&after) {
        outln!("{table}: {before} segments -> {after}");
    }
    outln!(
        "search indexes merged in {:.2?} ({})",
        started.elapsed(),
        db.location().describe()
    );
    Ok(())
}

pub async fn db_generate(args: &GenerateArgs) -> Result<(), Failure> {
    let mut options = GenerateOptions {
        allow_data_loss: args.allow_data_loss,
        ..GenerateOptions::default()
    };
    for rename in &args.renames {
        options
            .add_rename(rename)
            .map_err(|e| Failure::Usage(e.to_string()))?;
    }
    match migrate::generate(&source_paths(&args.source), &args.name, &options).await? {
        Generated::NoChanges => {
            outln!("No changes: schema.sql matches the migrations; nothing written.")
        }
        Generated::Written { path, plan } => {
            outln!("wrote {}", path.display());
            for line in &plan.summary {
                outln!("  {line}");
            }
            for warning in &plan.warnings {
                outln!("  warning: {warning}");
            }
        }
    }
    Ok(())
}

pub async fn db_check(config: &DbConfig, args: &CheckArgs) -> Result<(), Failure> {
    let differences = migrate::check(&source_paths(&args.source)).await?;
    if differences.is_empty() {
        outln!("schema.sql and the migrations agree.");
    }
    for d in &differences {
        eprintln!("  {d}");
    }
    let drift = if args.database {
        crate::drift::check_database(config).await?
    } else {
        0
    };
    match (differences.len(), drift) {
        (0, 0) => Ok(()),
        (0, n) => Err(Failure::Failed(format!(
            "the database has drifted from its migrations ({n} differences): put an intended \
             change in a migration, or undo the hand edit"
        ))),
        (n, 0) => Err(Failure::Failed(format!(
            "schema.sql and the migrations disagree ({n} differences): run `devhub db generate <name>`"
        ))),
        (n, d) => Err(Failure::Failed(format!(
            "schema.sql and the migrations disagree ({n} differences): run `devhub db generate \
             <name>`; and the database has drifted from its migrations ({d} differences)"
        ))),
    }
}

/// `devhub seed-demo`: demo users `demo1` … with deterministic contacts and interactions.
pub async fn seed_demo(config: &DbConfig, args: &SeedArgs) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::CreateIfMissing).await?;
    migrate::migrate(&db, &migrate::embedded()?).await?;
    // Refuse before writing anything when a demo user exists already.
    for n in 1..=args.users {
        let (username, _) = seed::demo_credentials(n);
        if db.users().find_by_username(&username).await?.is_some() {
            return Err(Failure::Usage(format!(
                "user {username} already exists: seed-demo fills a database without demo users"
            )));
        }
    }
    let options = seed::SeedOptions {
        contacts_per_user: args.contacts,
        interactions_per_contact: args.interactions,
        seed: args.seed,
    };
    let started = std::time::Instant::now();
    // Hash every password up front, in parallel, on the blocking pool.
    let mut hashes = Vec::new();
    for n in 1..=args.users {
        let (_, password) = seed::demo_credentials(n);
        hashes.push(tokio::spawn(password::hash_password(password)));
    }
    let mut total = (0, 0);
    outln!("username\tpassword");
    for (n, hash) in (1..=args.users).zip(hashes) {
        let hash = hash
            .await
            .map_err(|e| Failure::Failed(e.to_string()))?
            .map_err(|e| Failure::Failed(e.to_string()))?;
        let seeded = seed::seed_user(&db, n, &hash, &options).await?;
        let (_, password) = seed::demo_credentials(n);
        outln!("{}\t{password}", seeded.user.username);
        total.0 += seeded.contacts;
        total.1 += seeded.interactions;
    }
    search_index::merge(&db).await?;
    eprintln!(
        "seeded {} users, {} contacts, {} interactions in {:.2?} ({})",
        args.users,
        total.0,
        total.1,
        started.elapsed(),
        db.location().describe()
    );
    Ok(())
}

/// `devhub serve`: the web app, until SIGINT / SIGTERM.
pub async fn serve(config: &DbConfig, args: &ServeArgs) -> Result<(), Failure> {
    let mut serve = devhub_web::ServeConfig {
        host: args.host.clone(),
        port: args.port,
        run_migrations: !args.no_migrate,
        ..devhub_web::ServeConfig::default()
    };
    let https = match args.public_url.as_deref() {
        None => false,
        Some(url) if url.starts_with("https://") => true,
        Some(url) if url.starts_with("http://") => false,
        Some(url) => {
            return Err(Failure::Usage(format!(
                "PUBLIC_URL must start with http:// or https://, not `{url}`"
            )))
        }
    };
    serve.settings.secure_cookies = args.secure_cookies || https;
    serve.settings.public_url = args
        .public_url
        .as_deref()
        .map(|url| url.trim_end_matches('/').to_string());
    serve.settings.auth_attempts_per_minute = args.auth_attempts_per_minute;
    serve.settings.trusted_proxies = std::sync::Arc::new(args.trusted_proxies.clone());
    serve.settings.registration = args.registration;
    serve.settings.metrics = devhub_web::metrics::MetricsSettings {
        enabled: args.metrics,
        token: args
            .metrics_token
            .as_deref()
            .and_then(devhub_web::metrics::MetricsToken::new),
    };
    if serve.settings.metrics.token.is_some() && !args.metrics {
        return Err(Failure::Usage(
            "DEVHUB_METRICS_TOKEN is set but metrics are off: add --metrics (DEVHUB_METRICS=true)"
                .into(),
        ));
    }
    serve.settings.mailer = crate::reminders::mailer(&args.mail)?;
    if args.no_reminders {
        serve.settings.reminders_every = None;
    }
    devhub_web::serve(config, serve).await.map_err(|e| match e {
        devhub_web::server::ServeError::Config(m) => Failure::Usage(m),
        devhub_web::server::ServeError::Failed(m) => Failure::Failed(m),
    })
}

/// `devhub studio`: the database browser, until SIGINT / SIGTERM. Opens only an existing
/// database and never migrates it.
pub async fn studio(config: &DbConfig, args: &StudioArgs) -> Result<(), Failure> {
    let studio = devhub_studio::StudioConfig {
        host: args.host.clone(),
        port: args.port,
        settings: devhub_studio::StudioSettings {
            allow_writes: args.allow_writes,
            statement_timeout: std::time::Duration::from_secs(args.statement_timeout),
            ..devhub_studio::StudioSettings::default()
        },
    };
    devhub_studio::serve(config, studio)
        .await
        .map_err(|e| match e {
            devhub_studio::ServeError::Config(m) => Failure::Usage(m),
            devhub_studio::ServeError::Failed(m) => Failure::Failed(m),
        })
}
