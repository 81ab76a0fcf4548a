//! One repository per entity. Every query on user data is scoped by the owner's id.

pub mod api_token;
pub mod auth_attempt;
pub mod background;
pub mod cadence;
pub mod contact;
pub mod contact_detail;
pub mod contact_info;
pub mod contact_photo;
pub mod follow_up;
pub mod import_upload;
pub mod instance_setting;
pub mod interaction;
pub mod invitation;
pub mod job_lease;
pub mod password_reset;
pub mod per_contact;
pub mod reminder;
pub mod search;
pub mod security_event;
pub mod session;
pub mod session_meta;
pub mod tag;
pub mod trash;
pub mod two_factor;
pub mod user;
pub mod user_settings;

use libsql::params::IntoParams;
use libsql::{Connection, Row};
use sha2::{Digest, Sha256};

use crate::db::{Handle, PooledConn, Scope, Tx};
use crate::error::Result;

/// What a repository statement runs on: a connection, or a unit of work, which prepares each
/// statement once and reuses it (bulk writes such as an import, a restore or the demo seed
/// pay for parsing each SQL text once).
///
/// Public so that the schema tooling (`migrate::applied`, `Schema::read`, …) can read through
/// a pooled connection or a transaction alike: the runner knows where it points, so a read on
/// a server is answered whole (a batch) and never left as a half-read cursor on the stream.
/// Sealed: only this crate's connections and units of work are runners.
pub trait Runner: Sync + sealed::Sealed {
    fn connection(&self) -> &Connection;

    /// The unit of work this runs in, if any.
    fn unit(&self) -> Option<&Tx> {
        None
    }

    /// The pooled connection underneath, whose prepared statements to reuse (none for a
    /// [`LocalFile`]'s connection of its own).
    fn pooled(&self) -> Option<&PooledConn>;

    /// On a server without a replica, where each request is a round trip.
    fn is_remote(&self) -> bool {
        false
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::db::PooledConn {}
    impl Sealed for crate::db::Tx {}
    impl Sealed for crate::db::Handle<'_> {}
    impl Sealed for crate::db::Scope<'_> {}
    impl Sealed for super::LocalFile {}
}

impl Runner for PooledConn {
    fn connection(&self) -> &Connection {
        self
    }
    fn pooled(&self) -> Option<&PooledConn> {
        Some(self)
    }
    fn is_remote(&self) -> bool {
        self.location().is_remote()
    }
}

impl Runner for Tx {
    fn connection(&self) -> &Connection {
        self
    }
    fn pooled(&self) -> Option<&PooledConn> {
        Some(self.pooled_conn())
    }
    fn unit(&self) -> Option<&Tx> {
        Some(self)
    }
    fn is_remote(&self) -> bool {
        self.location().is_remote()
    }
}

impl Runner for Handle<'_> {
    fn connection(&self) -> &Connection {
        self
    }
    fn pooled(&self) -> Option<&PooledConn> {
        Some(match self {
            Handle::Tx(tx) => tx.pooled_conn(),
            Handle::Pooled(conn) => conn,
        })
    }
    fn unit(&self) -> Option<&Tx> {
        match self {
            Handle::Tx(tx) => Some(tx),
            Handle::Pooled(_) => None,
        }
    }
    fn is_remote(&self) -> bool {
        match self {
            Handle::Tx(tx) => tx.is_remote(),
            Handle::Pooled(conn) => conn.is_remote(),
        }
    }
}

impl Runner for Scope<'_> {
    fn connection(&self) -> &Connection {
        self
    }
    fn pooled(&self) -> Option<&PooledConn> {
        Runner::pooled(&**self)
    }
    fn unit(&self) -> Option<&Tx> {
        Some(self)
    }
    fn is_remote(&self) -> bool {
        Runner::is_remote(&**self)
    }
}

/// A connection of its own (outside any pool) to a local SQLite file, such as a backup being
/// checked: its reads are cursors, which on a local file leave nothing behind.
pub(crate) struct LocalFile(pub Connection);

impl std::ops::Deref for LocalFile {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl Runner for LocalFile {
    fn connection(&self) -> &Connection {
        &self.0
    }
    fn pooled(&self) -> Option<&PooledConn> {
        None
    }
}

/// Runs `sql` and hands its rows to `read`, through the unit of work's prepared statement
/// when there is one. The statement is finished when this returns, so a transaction can
/// commit right after. On a server the statement goes as a one-statement batch: one request,
/// where a prepared statement would cost a second one to describe it.
pub(crate) async fn with_rows<T>(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: impl IntoParams,
    read: impl AsyncFnOnce(&mut libsql::Rows) -> Result<T>,
) -> Result<T> {
    settle(conn).await?;
    if conn.is_remote() {
        let _turn = write_turn(conn, sql).await;
        let stmt = crate::query::Stmt::new(sql, params)?;
        let text = crate::query::inline(&stmt.sql, &stmt.values)?;
        let mut batch = conn.connection().execute_batch(&text).await?;
        return match batch.next_stmt_row().flatten() {
            Some(mut rows) => read(&mut rows).await,
            None => Err(crate::Error::Config(format!("no answer to {sql}"))),
        };
    }
    let statement = prepared(conn, sql).await?;
    let mut rows = match &statement {
        Some(stmt) => {
            stmt.reset();
            stmt.query(params).await?
        }
        None => conn.connection().query(sql, params).await?,
    };
    let out = read(&mut rows).await;
    drop(rows);
    if let Some(stmt) = &statement {
        stmt.reset();
    }
    out
}

/// Runs a write that answers no rows and gives how many it changed, through the connection's
/// prepared statement on a local file (a write run on the connection directly is parsed and
/// planned again every time: 7 % of logging an interaction).
pub(crate) async fn execute(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: impl IntoParams,
) -> Result<u64> {
    settle(conn).await?;
    let _turn = write_turn(conn, sql).await;
    let statement = prepared(conn, sql).await?;
    let changed = match statement {
        Some(stmt) => {
            stmt.reset();
            let done = stmt.execute(params).await;
            stmt.reset();
            u64::try_from(done?).unwrap_or(u64::MAX)
        }
        None => conn.connection().execute(sql, params).await?,
    };
    Ok(changed)
}

/// The pooled connection's prepared statement for `sql` (`None` off a local file, or on a
/// connection outside the pool).
async fn prepared(
    conn: &(impl Runner + ?Sized),
    sql: &str,
) -> Result<Option<std::sync::Arc<libsql::Statement>>> {
    match conn.pooled() {
        Some(pooled) => pooled.statement(sql).await,
        None => Ok(None),
    }
}

/// This process's turn to write `sql` outside a unit of work ([`PooledConn::write_turn`]).
async fn write_turn(
    conn: &(impl Runner + ?Sized),
    sql: &str,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    match conn.unit() {
        Some(_) => None,
        None => conn.pooled()?.write_turn(sql).await,
    }
}

/// Sends the deferred writes of the unit of work `conn` belongs to ([`Tx::defer`]), so that
/// a statement run next sees them: what every statement that does not go through
/// [`with_rows`] or a repository call runs first.
pub(crate) async fn settle(conn: &(impl Runner + ?Sized)) -> Result<()> {
    match conn.unit() {
        Some(tx) => tx.flush().await,
        None => Ok(()),
    }
}

/// Runs a statement that answers with at most one row (a lookup by key, an
/// `INSERT`/`UPDATE … RETURNING`) and converts that row.
///
/// A local libSQL connection reports a failing statement (a constraint violation) at the first
/// `next()`, a remote one at `query()`: callers that map constraint errors map the error of
/// this whole call, never of `query()` alone.
pub async fn query_one<T>(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: impl IntoParams,
    from_row: impl Fn(&Row) -> Result<T>,
) -> Result<Option<T>> {
    with_rows(conn, sql, params, async |rows| {
        let row = rows.next().await?;
        row.as_ref().map(&from_row).transpose()
    })
    .await
}

/// Runs a query and gives every row's values, whatever its columns (the studio's reads of
/// the raw database).
pub async fn query_values(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: impl IntoParams,
) -> Result<Vec<Vec<libsql::Value>>> {
    with_rows(conn, sql, params, async |rows| {
        let width = rows.column_count().max(0);
        let mut out = Vec::new();
        while let Some(row) = rows.next().await? {
            let values = (0..width)
                .map(|i| row.get_value(i))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            out.push(values);
        }
        Ok(out)
    })
    .await
}

/// Runs a query and converts every row.
pub async fn query_all<T>(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: impl IntoParams,
    from_row: impl Fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    with_rows(conn, sql, params, async |rows| {
        let mut out = Vec::new();
        while let Some(row) = rows.next().await? {
            out.push(from_row(&row)?);
        }
        Ok(out)
    })
    .await
}

/// The single integer a `SELECT count(*) …` answers.
pub(crate) async fn query_count(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: impl IntoParams,
) -> Result<u64> {
    let count = query_one(conn, sql, params, |row| Ok(row.get::<i64>(0)?)).await?;
    Ok(count.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// `"id, name"` with alias `t` → `"t.id, t.name"`: a table's `COLUMNS` inside a join.
pub(crate) fn qualified(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an upsert of a one-per-contact row does to a row that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upsert {
    /// Every column takes the new value (a form, the API).
    Replace,
    /// Only the blank columns take the new value (an import's merge).
    FillBlanks,
}

impl Upsert {
    /// The `SET` of `ON CONFLICT … DO UPDATE` for `columns` of `table`.
    pub(crate) fn set_clause(self, table: &str, columns: &[&str]) -> String {
        let mut set: Vec<String> = columns
            .iter()
            .map(|c| match self {
                Upsert::Replace => format!("{c} = excluded.{c}"),
                Upsert::FillBlanks => format!("{c} = coalesce({table}.{c}, excluded.{c})"),
            })
            .collect();
        set.push("updated_at = excluded.updated_at".into());
        set.join(", ")
    }
}

/// Lowercase hex sha256: how session ids and API token hashes are derived from their tokens.
pub fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// True for a lowercase hex sha256 (64 characters of `0-9a-f`).
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_prefixes_every_column() {
        assert_eq!(
            qualified("i", "id, contact_id,\n type"),
            "i.id, i.contact_id, i.type"
        );
    }

    #[test]
    fn sha256_hex_is_lowercase_hex_of_the_token() {
        let h = sha256_hex("abc");
        assert_eq!(
            h,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_sha256_hex(&h));
        assert!(!is_sha256_hex(&h.to_uppercase()));
        assert!(!is_sha256_hex("abc"));
    }
}
