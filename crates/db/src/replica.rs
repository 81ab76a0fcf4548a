//! Opening an embedded replica, and rebuilding it from the primary when its file is unusable.
//!
//! The replica's file is a cache of the primary: libSQL keeps it beside a sync index
//! (`<path>-client_wal_index`, the last frame it pulled) and, while open, `-wal` and `-shm`.
//! Damaged while the app was stopped, it fails in one of three ways, none of which heals by
//! itself:
//! - the file is garbage or truncated: libSQL refuses to build or sync it ("file is not a
//!   database", "database disk image is malformed");
//! - the file is deleted or emptied but its sync index is left: libSQL believes it is up to
//!   date and serves an empty database ("no such table") for ever;
//! - some pages are damaged: it opens and syncs, and the damage surfaces on the first read
//!   that reaches them (`PRAGMA quick_check` finds it at start).
//!
//! [`open`] detects these, sets the files aside as `<path>.unreadable` (and its `-wal`…, one
//! generation, for whoever wants to look), pulls a fresh copy from the primary and logs one
//! warning. A primary that does not answer or refuses the token is not the file's fault:
//! that stays a configuration error and the file is left alone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use libsql::{Builder, Database};

use crate::error::{Error, Result};

/// What libSQL keeps beside the replica's file.
const SIDE_FILES: [&str; 4] = ["-wal", "-shm", "-client_wal_index", "-info"];

/// Why opening the replica failed.
enum Failure {
    /// The local file cannot be used (the reason, for the log); the primary can rebuild it.
    Unreadable(String),
    /// Anything else (the primary unreachable or refusing the token): reported as is.
    Other(Error),
}

/// Builds the embedded replica at `path` of the primary `url` and syncs it; when its file is
/// unusable, sets it aside and builds it again from the primary, with a warning.
pub(crate) async fn open(
    path: &Path,
    url: &str,
    auth_token: &str,
    sync_interval: Duration,
    describe: &str,
) -> Result<Database> {
    let why = match try_open(path, url, auth_token, sync_interval, describe).await {
        Ok(database) => return Ok(database),
        Err(Failure::Other(e)) => return Err(e),
        Err(Failure::Unreadable(why)) => why,
    };
    let aside = set_aside(path).map_err(|e| {
        Error::Config(format!(
            "the replica {} is unreadable ({why}) and cannot be set aside: {e}",
            path.display()
        ))
    })?;
    match try_open(path, url, auth_token, sync_interval, describe).await {
        Ok(database) => {
            tracing::warn!(
                set_aside = %aside,
                "the embedded replica at {} was unreadable ({why}) and was rebuilt from the primary",
                path.display()
            );
            Ok(database)
        }
        Err(Failure::Other(e)) => Err(Error::Config(format!(
            "the replica {} was unreadable ({why}) and was set aside ({aside}); rebuilding it \
             from the primary failed: {e}",
            path.display(),
        ))),
        Err(Failure::Unreadable(again)) => Err(Error::Config(format!(
            "the replica {} was unreadable ({why}) and was set aside ({aside}); the rebuilt one \
             is unreadable too ({again})",
            path.display(),
        ))),
    }
}

async fn try_open(
    path: &Path,
    url: &str,
    auth_token: &str,
    sync_interval: Duration,
    describe: &str,
) -> std::result::Result<Database, Failure> {
    if let Some(why) = stale_index(path) {
        return Err(Failure::Unreadable(why));
    }
    let builder = Builder::new_remote_replica(path, url.to_string(), auth_token.to_string())
        .read_your_writes(true);
    // Zero: no background pulls (only at start, after its own writes and for requests).
    let builder = if sync_interval.is_zero() {
        builder
    } else {
        builder.sync_interval(sync_interval)
    };
    let database = builder
        .build()
        .await
        .map_err(|e| classify(e, |e| format!("cannot open {describe}: {e}")))?;
    sync_at_start(&database).await.map_err(|e| {
        classify(e, |e| {
            // libSQL retries the handshake and then reports a timeout, whether the primary
            // is down or refused the token (its 401 only goes to its own log).
            let hint = if e.to_string().contains("handshake") {
                " (is the primary up, and does it accept DATABASE_AUTH_TOKEN?)"
            } else {
                ""
            };
            format!("cannot sync the replica: {e}{hint}")
        })
    })?;
    check_pages(&database).await?;
    Ok(database)
}

/// How long the first pull waits for a primary that is still writing the snapshot a new
/// replica needs.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(60);

/// The first pull. A replica far behind (new, or the primary wrote much since) needs the
/// primary's snapshot of its log, which sqld compacts in the background after a large write
/// (an import, `seed-demo`): until it is written, sqld answers "snapshot not found". That is
/// waited out, with a log line, instead of refusing to start.
async fn sync_at_start(database: &Database) -> libsql::Result<()> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        match database.sync().await {
            Ok(_) => return Ok(()),
            Err(e) if e.to_string().contains("snapshot not found") => {
                if started.elapsed() + pause > SNAPSHOT_WAIT {
                    return Err(e);
                }
                tracing::info!(
                    "the primary is still writing the snapshot this replica needs; waiting"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// A replica whose file is missing or empty while its sync index remains: libSQL would
/// trust the index and never pull what the file lost.
fn stale_index(path: &Path) -> Option<String> {
    let index = side_file(path, "-client_wal_index");
    if !index.exists() {
        return None;
    }
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some("its file is missing but its sync index is not".into())
        }
        Ok(meta) if meta.len() == 0 => Some("its file is empty but its sync index is not".into()),
        _ => None,
    }
}

/// Reads every page of the local file (`quick_check`, in its table form: a `SELECT` is served
/// by the replica itself, while libSQL sends a `PRAGMA quick_check` to the primary). It costs
/// one read of the file at start.
async fn check_pages(database: &Database) -> std::result::Result<(), Failure> {
    let other = |e: libsql::Error| classify(e, |e| format!("cannot check the replica: {e}"));
    let conn = database.connect().map_err(other)?;
    let mut rows = conn
        .query("SELECT quick_check FROM pragma_quick_check", ())
        .await
        .map_err(other)?;
    let first = match rows.next().await.map_err(other)? {
        Some(row) => row.get::<String>(0).map_err(other)?,
        None => return Ok(()),
    };
    if first == "ok" {
        return Ok(());
    }
    // The first problem is enough to say why; the whole list can be long.
    let first_problem = first
        .lines()
        .find(|l| !l.starts_with("***"))
        .unwrap_or(&first);
    Err(Failure::Unreadable(format!(
        "quick_check: {}",
        first_problem.chars().take(200).collect::<String>()
    )))
}

/// Whether libSQL's error is about the local file (corrupt, not a database) rather than the
/// primary or the network.
fn classify(e: libsql::Error, other: impl FnOnce(&libsql::Error) -> String) -> Failure {
    let corrupt = match &e {
        // SQLITE_CORRUPT and SQLITE_NOTADB, with their extended codes.
        libsql::Error::SqliteFailure(code, _) => matches!(code & 0xff, 11 | 26),
        _ => false,
    };
    let message = e.to_string();
    let lower = message.to_ascii_lowercase();
    if corrupt
        || [
            "file is not a database",
            "database disk image is malformed",
            "sqlite_corrupt",
            "sqlite_notadb",
        ]
        .iter()
        .any(|needle| lower.contains(needle))
    {
        // libSQL's text says which: "replication error: Injector error: SQLite error: …".
        let why = message
            .rsplit("SQLite error: ")
            .next()
            .unwrap_or(&message)
            .to_string();
        Failure::Unreadable(why)
    } else {
        Failure::Other(Error::Config(other(&e)))
    }
}

fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Moves the replica's file and its side files to `<path>.unreadable` (and `-wal`…, so that
/// SQLite can open them together), replacing the ones set aside before; returns what it moved
/// (`a, b`), for the log.
fn set_aside(path: &Path) -> std::io::Result<String> {
    let aside = side_file(path, ".unreadable");
    let mut moved = Vec::new();
    for suffix in std::iter::once("").chain(SIDE_FILES) {
        let from = side_file(path, suffix);
        let to = side_file(&aside, suffix);
        match std::fs::remove_file(&to) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        match std::fs::rename(&from, &to) {
            Ok(()) => moved.push(to.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(moved.join(", "))
}
