//! The SQL console: one statement at a time, results as a table (the first rows, with the
//! count of all), the elapsed time, the database's message on errors, the last queries of
//! the browser session.
//!
//! Read-only by default, decided by the database itself. libsql's `Statement` does not expose
//! `sqlite3_stmt_readonly`, so the console runs on a connection of its own with
//! `PRAGMA query_only = ON`: SQLite then refuses, with SQLITE_READONLY, every statement that
//! would write — exactly the statements it does not consider read-only. As a second wall, each
//! statement runs inside a transaction that is always rolled back in read-only mode (which
//! also keeps out VACUUM INTO, refused inside a transaction), and `query_only` is
//! set again before every statement, so a `PRAGMA query_only = OFF` typed in does not last.
//! ATTACH, which SQLite counts as read-only but which creates a missing file, is denied by an
//! authorizer, and so is `load_extension()` in either mode. With `--allow-writes` the pragma is
//! off and a statement that succeeds is committed. A refusal names what was refused.
//!
//! A statement running longer than the limit is stopped with `sqlite3_interrupt` (libsql's
//! `Connection::interrupt`) from a watchdog thread; remote connections cannot be interrupted,
//! so there the wait is abandoned instead. SQLite checks for an interrupt between the steps of
//! a statement, not inside one function call, so `randomblob(1e9)` or a `printf` of a billion
//! characters would run on past the limit: the studio process caps SQLite's memory
//! ([`limit_memory`]), and such a call fails at once. libsql exposes neither `sqlite3_limit`
//! nor a progress handler, and `PRAGMA hard_heap_limit` is the cap SQL can set.

use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use libsql::{Connection, Value};

use crate::cells::{group_thousands, Cell};
use crate::error::StudioError;
use crate::layout::{param, parse_query, render, with_query, Layout};
use crate::sql::{db_message, split_statements};
use crate::state::{HistoryEntry, SessionId, StudioState};

/// The most memory SQLite may hold in the studio's process (`PRAGMA hard_heap_limit`): a
/// statement that needs more fails with "out of memory" instead of running on for seconds
/// past the console's time limit. The page caches of the pool take a few MiB each.
pub const MEMORY_LIMIT: u64 = 256 * 1024 * 1024;

/// Rows of a result are shown until they hold this much; the rest are counted.
const MAX_SHOWN_BYTES: usize = 8 * 1024 * 1024;

/// Caps SQLite's memory in this process (see [`MEMORY_LIMIT`]); on local connections only, as
/// a libSQL server applies limits of its own. The pragma only ever lowers the limit.
pub(crate) async fn limit_memory(
    state: &StudioState,
    conn: &Connection,
) -> Result<(), StudioError> {
    if state.db().location().is_local() {
        conn.query(&format!("PRAGMA hard_heap_limit = {MEMORY_LIMIT}"), ())
            .await?;
    }
    Ok(())
}

/// The console's connection, checked out of the pool once and never returned to it: it
/// carries `PRAGMA query_only` and an authorizer, and may be interrupted.
pub(crate) struct ConsoleConn {
    conn: devhub_db::PooledConn,
    /// What the authorizer refused while the last statement was prepared.
    refused: Arc<Mutex<Option<Refused>>>,
}

/// A feature the console refuses, whatever the database would say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// ATTACH, in the read-only console: SQLite counts it as read-only, yet it creates a
    /// missing file.
    Attach,
    /// `load_extension()`: it runs native code in the studio's process.
    LoadExtension,
}

impl Refused {
    fn message(self) -> &'static str {
        match self {
            Refused::Attach => {
                "The read-only console does not attach other databases: ATTACH is refused, as \
                 it would create a missing file. Start the studio with --allow-writes to run it."
            }
            Refused::LoadExtension => {
                "The console does not load extensions: load_extension() is refused, as it \
                 would run native code in the studio's process."
            }
        }
    }
}

/// The authorizer of the console's connection: refuses what [`Refused`] lists, and notes what
/// it refused for the message. Remote connections have no authorizer, and their servers
/// refuse ATTACH of files and extensions anyway.
fn authorizer(allow_writes: bool, refused: Arc<Mutex<Option<Refused>>>) -> libsql::AuthHook {
    Arc::new(move |ctx: &libsql::AuthContext| {
        let refusal = match ctx.action {
            libsql::AuthAction::Attach { .. } if !allow_writes => Some(Refused::Attach),
            libsql::AuthAction::Function { function_name }
                if function_name.eq_ignore_ascii_case("load_extension") =>
            {
                Some(Refused::LoadExtension)
            }
            _ => None,
        };
        match refusal {
            Some(r) => {
                if let Ok(mut slot) = refused.lock() {
                    *slot = Some(r);
                }
                libsql::Authorization::Deny
            }
            None => libsql::Authorization::Allow,
        }
    })
}

/// What one run produced.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Every row the statement returned (`rows` holds the first ones).
    pub total: u64,
    pub changes: u64,
    pub elapsed: Duration,
    pub error: Option<String>,
}

impl Outcome {
    fn failed(message: impl Into<String>, elapsed: Duration) -> Outcome {
        Outcome {
            error: Some(message.into()),
            elapsed,
            ..Outcome::default()
        }
    }

    pub fn summary(&self) -> String {
        let ms = format_ms(self.elapsed);
        match &self.error {
            Some(e) => format!("error: {e}"),
            None if self.columns.is_empty() => {
                format!(
                    "{} row{} changed · {ms}",
                    self.changes,
                    plural(self.changes)
                )
            }
            None => format!(
                "{} row{} · {ms}",
                group_thousands(self.total),
                plural(self.total)
            ),
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub fn format_ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// Runs `sql` with the console's rules.
pub async fn execute(state: &StudioState, sql: &str) -> Result<Outcome, StudioError> {
    let statements = split_statements(sql);
    let statement = match statements.as_slice() {
        [] => return Ok(Outcome::failed("Enter an SQL statement.", Duration::ZERO)),
        [one] => one.to_string(),
        many => {
            return Ok(Outcome::failed(
                format!(
                    "Run one statement at a time: this text holds {}.",
                    many.len()
                ),
                Duration::ZERO,
            ))
        }
    };
    let settings = state.settings().clone();
    let mut guard = state.console().lock().await;
    if guard.is_none() {
        let conn = state.db().conn().await?;
        limit_memory(state, &conn).await?;
        let refused = Arc::new(Mutex::new(None));
        let _ = conn.authorizer(Some(authorizer(settings.allow_writes, refused.clone())));
        *guard = Some(ConsoleConn { conn, refused });
    }
    let Some(console) = guard.as_ref() else {
        return Err(StudioError::Internal("no console connection".into()));
    };
    let conn: Connection = (*console.conn).clone();
    let refused = console.refused.clone();
    let pragma = if settings.allow_writes {
        "PRAGMA query_only = OFF"
    } else {
        "PRAGMA query_only = ON"
    };
    // A local connection always takes the pragma. Should a remote server refuse it, the
    // read-only console still never commits: its transaction is rolled back whatever ran.
    if let Err(e) = conn.execute(pragma, ()).await {
        if !state.db().location().is_local() {
            tracing::warn!(error = %e, "the server refused PRAGMA query_only; console writes are rolled back");
        } else {
            return Err(e.into());
        }
    }
    conn.execute("BEGIN", ()).await?;
    if let Ok(mut slot) = refused.lock() {
        *slot = None;
    }

    let started = Instant::now();
    let limit = settings.statement_timeout;
    let keep = settings.console_rows;
    let runner = conn.clone();
    let handle = tokio::runtime::Handle::current();
    // Local statements run on this thread until done, so they run on the blocking pool
    // rather than holding up one of the runtime's workers.
    let result = tokio::task::spawn_blocking(move || {
        let (done, wait) = mpsc::channel::<()>();
        let watched = runner.clone();
        let watchdog = std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(limit) {
                // Fails on remote connections, which the timeout below covers.
                let _ = watched.interrupt();
            }
        });
        let outcome = handle.block_on(async {
            tokio::time::timeout(
                limit + Duration::from_millis(500),
                run_statement(&runner, &statement, keep),
            )
            .await
        });
        drop(done);
        let _ = watchdog.join();
        outcome
    })
    .await
    .map_err(|e| StudioError::Internal(format!("console task failed: {e}")))?;
    let elapsed = started.elapsed();

    let outcome = match result {
        Ok(Ok(mut outcome)) => {
            outcome.elapsed = elapsed;
            outcome
        }
        Ok(Err(e)) => {
            // A server has no authorizer of ours but refuses extensions itself, in its own
            // words: the message still names the feature.
            let refusal = refused.lock().ok().and_then(|slot| *slot).or_else(|| {
                sql.to_ascii_lowercase()
                    .contains("load_extension")
                    .then_some(Refused::LoadExtension)
            });
            let message = match refusal {
                Some(r) if is_refusal(&e) => r.message().to_string(),
                _ => explain(&e, sql, limit, settings.allow_writes),
            };
            Outcome::failed(message, elapsed)
        }
        Err(_) => Outcome::failed(interrupted(limit), elapsed),
    };
    let end = if settings.allow_writes && outcome.error.is_none() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    // A statement that was itself COMMIT or ROLLBACK has ended the transaction already.
    if !conn.is_autocommit() {
        if let Err(e) = conn.execute(end, ()).await {
            if end == "COMMIT" {
                let _ = conn.execute("ROLLBACK", ()).await;
                return Ok(Outcome::failed(db_message(&e), elapsed));
            }
        }
    }
    if !conn.is_autocommit() {
        // Something left the connection inside a transaction: do not use it again.
        *guard = None;
    }
    Ok(outcome)
}

fn interrupted(limit: Duration) -> String {
    format!(
        "The statement ran longer than {} and was interrupted.",
        format_limit(limit)
    )
}

/// `5 s`, `300 ms`.
fn format_limit(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}

fn is_refusal(e: &libsql::Error) -> bool {
    db_message(e)
        .to_ascii_lowercase()
        .contains("not authorized")
}

/// The message for a statement that needed more memory than [`MEMORY_LIMIT`], when `e` is
/// that failure.
pub(crate) fn memory_exceeded(e: &libsql::Error) -> Option<String> {
    let lower = db_message(e).to_ascii_lowercase();
    (lower.contains("out of memory") || lower.contains("string or blob too big")).then(|| {
        format!(
            "The statement needed more memory than the console allows ({} MiB) and was stopped.",
            MEMORY_LIMIT / (1024 * 1024)
        )
    })
}

/// The database's message, with what it means here for the cases the console causes.
fn explain(e: &libsql::Error, sql: &str, limit: Duration, allow_writes: bool) -> String {
    let message = db_message(e);
    let lower = message.to_ascii_lowercase();
    // The libSQL client refuses some statements before they reach a server, without saying
    // which: name the statement's kind.
    let keyword = sql
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    if lower.contains("unsupported statement") {
        format!("A libSQL server does not run {keyword} statements from the console ({message}).")
    } else if lower.contains("interrupted") {
        interrupted(limit)
    } else if let Some(memory) = memory_exceeded(e) {
        memory
    } else if !allow_writes && lower.contains("vacuum") {
        format!(
            "The read-only console does not run VACUUM, which writes ({message}). Start the \
             studio with --allow-writes to run it."
        )
    } else if !allow_writes && lower.contains("readonly database") {
        format!(
            "The console is read-only and this statement writes ({message}). Start the studio \
             with --allow-writes to run it."
        )
    } else {
        message
    }
}

async fn run_statement(
    conn: &Connection,
    sql: &str,
    keep: usize,
) -> Result<Outcome, libsql::Error> {
    let before = conn.total_changes();
    let mut rows = conn.query(sql, ()).await?;
    let width = rows.column_count().max(0);
    let columns: Vec<String> = (0..width)
        .map(|i| rows.column_name(i).unwrap_or("?").to_string())
        .collect();
    let mut kept = Vec::new();
    let mut kept_bytes = 0usize;
    let mut total = 0u64;
    while let Some(row) = rows.next().await? {
        total += 1;
        // Shown until the page would be too large; counted whole.
        if kept.len() < keep && kept_bytes < MAX_SHOWN_BYTES && total == kept.len() as u64 + 1 {
            let mut values = Vec::with_capacity(width as usize);
            for i in 0..width {
                let value = row.get_value(i)?;
                kept_bytes += match &value {
                    Value::Text(t) => t.len(),
                    Value::Blob(b) => b.len(),
                    _ => 8,
                };
                values.push(value);
            }
            kept.push(values);
        }
    }
    drop(rows);
    Ok(Outcome {
        columns,
        rows: kept,
        total,
        changes: conn.total_changes().saturating_sub(before),
        elapsed: Duration::ZERO,
        error: None,
    })
}

pub struct HistoryView {
    pub sql: String,
    pub href: String,
    pub outcome: String,
    pub ok: bool,
}

#[derive(Template)]
#[template(path = "console.html")]
pub struct ConsolePage {
    pub layout: Layout,
    pub sql: String,
    pub allow_writes: bool,
    pub timeout: String,
    pub ran: bool,
    pub error: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub summary: String,
    pub shown_note: String,
    pub csv_href: String,
    pub json_href: String,
    pub history: Vec<HistoryView>,
}

fn page_for(
    state: &StudioState,
    session: &SessionId,
    sql: String,
    outcome: Option<&Outcome>,
) -> ConsolePage {
    let history = state
        .history(&session.0)
        .into_iter()
        .map(|HistoryEntry { sql, outcome, ok }| HistoryView {
            href: with_query("/sql", &[("sql".into(), sql.clone())]),
            sql,
            outcome,
            ok,
        })
        .collect();
    let export = |path: &str| with_query(path, &[("sql".into(), sql.clone())]);
    let settings = state.settings();
    ConsolePage {
        layout: Layout::new("SQL console", "sql"),
        allow_writes: settings.allow_writes,
        timeout: format_limit(settings.statement_timeout),
        ran: outcome.is_some(),
        error: outcome.and_then(|o| o.error.clone()).unwrap_or_default(),
        columns: outcome.map(|o| o.columns.clone()).unwrap_or_default(),
        rows: outcome
            .map(|o| {
                o.rows
                    .iter()
                    .map(|r| r.iter().map(|v| Cell::new(v, None, true)).collect())
                    .collect()
            })
            .unwrap_or_default(),
        summary: outcome.map(Outcome::summary).unwrap_or_default(),
        shown_note: match outcome {
            Some(o) if o.total > o.rows.len() as u64 => format!(
                "Showing the first {} of {} rows; export to get them all.",
                group_thousands(o.rows.len() as u64),
                group_thousands(o.total)
            ),
            _ => String::new(),
        },
        csv_href: export("/sql/export.csv"),
        json_href: export("/sql/export.json"),
        history,
        sql,
    }
}

pub async fn page(
    State(state): State<StudioState>,
    Extension(session): Extension<SessionId>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = parse_query(raw.as_deref());
    let sql = param(&pairs, "sql").unwrap_or("").to_string();
    render(StatusCode::OK, &page_for(&state, &session, sql, None))
}

pub async fn run_form(
    state: &StudioState,
    session: &SessionId,
    sql: String,
) -> Result<Response, StudioError> {
    let outcome = execute(state, &sql).await?;
    if !sql.trim().is_empty() {
        state.remember(
            &session.0,
            HistoryEntry {
                sql: sql.trim().to_string(),
                outcome: outcome.summary(),
                ok: outcome.error.is_none(),
            },
        );
    }
    let status = if outcome.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        status,
        &page_for(state, session, sql, Some(&outcome)),
    ))
}

pub async fn run(
    State(state): State<StudioState>,
    Extension(session): Extension<SessionId>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, StudioError> {
    let sql = param(&form, "sql").unwrap_or("").to_string();
    run_form(&state, &session, sql).await
}
