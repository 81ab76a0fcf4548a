//! The subcommands.

use devhub_db::migrate::{self, GenerateOptions, Generated, MigrationState, SourcePaths};
use devhub_db::{Db, DbConfig, Location, OpenMode, Synchronous};

use crate::cli::{DatabaseArgs, GenerateArgs, SeedArgs, SourceArgs};
use crate::Failure;

pub fn db_config(args: &DatabaseArgs) -> Result<DbConfig, Failure> {
    let config = DbConfig {
        url: args.database_url.clone(),
        auth_token: args.database_auth_token.clone(),
        replica_path: args.database_replica_path.clone(),
        synchronous: Synchronous::parse(&args.database_synchronous)?,
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
    let applied = migrate::migrate(&db, &migrate::embedded()?).await?;
    if applied.is_empty() {
        println!("Database is up to date ({}).", db.location().describe());
    }
    for m in &applied {
        println!("applied {}", m.label());
    }
    Ok(())
}

pub async fn db_status(config: &DbConfig) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    let statuses = migrate::status(&db, &migrate::embedded()?).await?;
    println!("{}", db.location().describe());
    let mut pending = 0;
    for s in &statuses {
        let label = format!("{:04}_{}", s.id, s.name);
        match &s.state {
            MigrationState::Applied(at) => println!("  applied  {label}  ({at})"),
            MigrationState::Pending => {
                pending += 1;
                println!("  pending  {label}");
            }
            MigrationState::Changed(at) => {
                println!("  CHANGED  {label}  (applied {at}; the file has changed since)")
            }
            MigrationState::Unknown(at) => {
                println!("  UNKNOWN  {label}  (applied {at}; not in this devhub)")
            }
        }
    }
    println!("{} applied, {pending} pending", statuses.len() - pending);
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
            println!("No changes: schema.sql matches the migrations; nothing written.")
        }
        Generated::Written { path, plan } => {
            println!("wrote {}", path.display());
            for line in &plan.summary {
                println!("  {line}");
            }
            for warning in &plan.warnings {
                println!("  warning: {warning}");
            }
        }
    }
    Ok(())
}

pub async fn db_check(args: &SourceArgs) -> Result<(), Failure> {
    let differences = migrate::check(&source_paths(args)).await?;
    if differences.is_empty() {
        println!("schema.sql and the migrations agree.");
        return Ok(());
    }
    for d in &differences {
        eprintln!("  {d}");
    }
    Err(Failure::Failed(format!(
        "schema.sql and the migrations disagree ({} differences): run `devhub db generate <name>`",
        differences.len()
    )))
}

pub async fn seed_demo(_config: &DbConfig, _args: &SeedArgs) -> Result<(), Failure> {
    Err(Failure::Failed("seed-demo: not yet".into()))
}
