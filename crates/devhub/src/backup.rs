//! `devhub backup FILE` and `devhub restore FILE` (the work is in `devhub_db::backup`).

use devhub_db::backup::{self, Failure as BackupFailure};
use devhub_db::{Db, DbConfig, Location, OpenMode};

use crate::cli::{BackupArgs, RestoreArgs};
use crate::Failure;

/// `println!` that does not panic when stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

impl From<BackupFailure> for Failure {
    fn from(e: BackupFailure) -> Self {
        match e {
            BackupFailure::Refused(m) => Failure::Usage(m),
            BackupFailure::Failed(m) => Failure::Failed(m),
        }
    }
}

/// `devhub backup FILE`: a verified copy of the whole database, taken while it is in use.
pub async fn backup(config: &DbConfig, args: &BackupArgs) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    let started = std::time::Instant::now();
    let summary = backup::backup(&db, &args.file, args.force).await?;
    outln!(
        "backed up {} to {} in {:.1?}: {summary}",
        db.location().describe(),
        args.file.display(),
        started.elapsed()
    );
    Ok(())
}

/// `devhub restore FILE`: checks FILE, then copies it into the empty `DATABASE_URL`.
pub async fn restore(config: &DbConfig, args: &RestoreArgs) -> Result<(), Failure> {
    let location = Location::from_config(config)?;
    let summary = backup::restore(&args.file, &location).await?;
    let db = Db::open(config, OpenMode::MustExist).await?;
    backup::check_location(&db).await?;
    outln!(
        "restored {} into {}: {summary}",
        args.file.display(),
        location.describe()
    );
    Ok(())
}
