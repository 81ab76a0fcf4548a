//! Drift in `devhub db status` and `devhub db check --database`, and `devhub db pull` (the
//! work is in `devhub_db::migrate::drift` and `::pull`).

use std::io::Write as _;

use devhub_db::migrate;
use devhub_db::{Db, DbConfig, OpenMode};

use crate::cli::PullArgs;
use crate::Failure;

/// `println!` that does not panic when stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// After `db status`'s list: one `drift: …` warning per difference and their count, or
/// `no drift`. A database that cannot be compared says why, without failing the status.
pub async fn print_drift(db: &Db) {
    match migrate::drift(db, &migrate::embedded().unwrap_or_default()).await {
        Ok(drift) if drift.is_empty() => outln!("no drift"),
        Ok(drift) => {
            for d in &drift {
                outln!("drift: {d}");
            }
            outln!(
                "{} drift warning{}: the database differs from what its applied migrations make",
                drift.len(),
                if drift.len() == 1 { "" } else { "s" }
            );
        }
        Err(e) => outln!("drift: not checked: {e}"),
    }
}

/// `db check --database`: lists the drift on stderr and returns how many differences there
/// are; prints `no drift` when there are none.
pub async fn check_database(config: &DbConfig) -> Result<usize, Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    let drift = migrate::drift(&db, &migrate::embedded()?).await?;
    if drift.is_empty() {
        outln!("no drift: the database matches its applied migrations.");
    }
    for d in &drift {
        eprintln!("  drift: {d}");
    }
    Ok(drift.len())
}

/// `devhub db pull [--out FILE] [--force]`.
pub async fn pull(config: &DbConfig, args: &PullArgs) -> Result<(), Failure> {
    if let Some(out) = &args.out {
        if out.exists() && !args.force {
            return Err(Failure::Usage(format!(
                "{} exists: pass --force to overwrite it",
                out.display()
            )));
        }
    }
    let db = Db::open(config, OpenMode::MustExist).await?;
    let sql = migrate::pull(&db).await?;
    match &args.out {
        None => {
            let _ = std::io::stdout().write_all(sql.as_bytes());
        }
        Some(out) => {
            std::fs::write(out, &sql)
                .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", out.display())))?;
            outln!("wrote {} from {}", out.display(), db.location().describe());
        }
    }
    Ok(())
}
