//! Reads as values: a [`Query`] is the statements of one repository read and how to turn
//! their rows into a result. Awaited alone it runs on its repository's executor; several go to
//! the database together with [`Db::batch`] / [`Tx::batch`].
//!
//! Why: on a libSQL server every statement is a round trip over the network, so a page that
//! makes ten reads one after the other waits ten times. A batch sends all of them in one
//! request (one snapshot: `BEGIN` … `COMMIT` around them). On a local file or an embedded
//! replica, where a statement costs microseconds, the same batch runs statement by statement
//! on one connection, each statement its own snapshot (as separate repository calls are):
//! measured, a read transaction around them made the contact page a fifth to a third slower
//! under concurrent requests (BENCHMARKS.md). Inside a unit of work, a batch is part of it.

use std::any::Any;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use libsql::params::{IntoParams, Params};
use libsql::{Row, Rows, Value};

use crate::db::{Db, Executor, Tx};
use crate::error::{Error, Result};
use crate::repo::Runner;

/// One SQL statement and its positional values.
pub(crate) struct Stmt {
    pub sql: String,
    pub values: Vec<Value>,
}

impl Stmt {
    pub(crate) fn new(sql: impl Into<String>, params: impl IntoParams) -> Result<Stmt> {
        let values = match params.into_params()? {
            Params::None => Vec::new(),
            Params::Positional(values) => values,
            Params::Named(_) => {
                return Err(Error::Config(
                    "named parameters are not used by devhub's statements".into(),
                ))
            }
        };
        Ok(Stmt {
            sql: sql.into(),
            values,
        })
    }
}

/// A row converted to its owned value, its type erased while it waits in a batch.
type Item = Box<dyn Any + Send>;
/// Where the totals of long lists stop counting ([`Query::count_up_to`]): a total of
/// exactly this many reads "at least".
pub const COUNT_LIMIT: u64 = 10_000;

/// Where the totals of text searches stop counting on their first pages (each counted row is
/// looked up and tested against the search): "200+ contacts". A page further on counts to the
/// next multiple of it past its own rows, so that the pager always reaches the next page
/// (`repo::search_count_limit`). A total of exactly the limit reads "at least".
pub const SEARCH_COUNT_LIMIT: u64 = 200;

/// Where the dashboard's figures and the navigation's and follow-ups' counts stop counting
/// (several counts on one page): a total of exactly this many reads "at least" ("1,000+").
pub const FIGURE_COUNT_LIMIT: u64 = 1_000;

type Convert<'e> = Box<dyn Fn(&Row) -> Result<Item> + Send + Sync + 'e>;
type Decode<'e, T> = Box<dyn FnOnce(&mut Answers) -> Result<T> + Send + 'e>;

/// A read: its statements with how each converts its rows (while the statement runs: a local
/// row is a view into its statement), and what the converted rows become.
#[must_use = "a query does nothing until it is awaited or batched"]
pub struct Query<'e, T> {
    ex: Executor<'e>,
    stmts: Result<Vec<(Stmt, Convert<'e>)>>,
    decode: Decode<'e, T>,
}

/// The converted rows of a batch's statements, in order.
pub(crate) struct Answers {
    sets: std::vec::IntoIter<Vec<Item>>,
}

impl Answers {
    /// The next statement's rows, as converted by its query.
    fn next<U: 'static>(&mut self) -> Vec<U> {
        self.sets
            .next()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| item.downcast::<U>().ok().map(|u| *u))
            .collect()
    }
}

impl<'e, T: 'e> Query<'e, T> {
    /// A statement whose rows `convert` turns into values, which `finish` turns into the
    /// result.
    pub(crate) fn rows<U: Send + 'static>(
        ex: Executor<'e>,
        sql: impl Into<String>,
        params: impl IntoParams,
        convert: impl Fn(&Row) -> Result<U> + Send + Sync + 'e,
        finish: impl FnOnce(Vec<U>) -> Result<T> + Send + 'e,
    ) -> Query<'e, T> {
        let convert: Convert<'e> = Box::new(move |row| Ok(Box::new(convert(row)?) as Item));
        Query {
            ex,
            stmts: Stmt::new(sql, params).map(|s| vec![(s, convert)]),
            decode: Box::new(move |answers| finish(answers.next::<U>())),
        }
    }

    /// A result that needs no statement.
    pub(crate) fn ready(ex: Executor<'e>, value: T) -> Query<'e, T>
    where
        T: Send,
    {
        Query {
            ex,
            stmts: Ok(Vec::new()),
            decode: Box::new(move |_| Ok(value)),
        }
    }

    /// The statements this query runs, with their values: for `EXPLAIN QUERY PLAN` in the
    /// tests that keep every page's reads on indexes.
    pub fn statements(&self) -> Vec<(&str, &[Value])> {
        match &self.stmts {
            Ok(stmts) => stmts
                .iter()
                .map(|(s, _)| (s.sql.as_str(), s.values.as_slice()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The result, converted.
    pub fn map<U: 'e>(self, f: impl FnOnce(T) -> U + Send + 'e) -> Query<'e, U> {
        self.and_then(move |t| Ok(f(t)))
    }

    /// The result, converted by a step that may fail.
    pub fn and_then<U: 'e>(self, f: impl FnOnce(T) -> Result<U> + Send + 'e) -> Query<'e, U> {
        let decode = self.decode;
        Query {
            ex: self.ex,
            stmts: self.stmts,
            decode: Box::new(move |answers| f(decode(answers)?)),
        }
    }

    /// The result, or the error that decoding it met, as the value: for a query batched after
    /// another whose result is wanted even when this one fails (a row not found).
    pub fn attempt(self) -> Query<'e, Result<T>> {
        let decode = self.decode;
        Query {
            ex: self.ex,
            stmts: self.stmts,
            decode: Box::new(move |answers| Ok(decode(answers))),
        }
    }

    /// This query and `other` as one, answering both results.
    pub fn and<U: 'e>(self, other: Query<'e, U>) -> Query<'e, (T, U)> {
        let stmts = match (self.stmts, other.stmts) {
            (Ok(mut a), Ok(b)) => {
                a.extend(b);
                Ok(a)
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        let (first, second) = (self.decode, other.decode);
        Query {
            ex: self.ex,
            stmts,
            decode: Box::new(move |answers| {
                let a = first(answers)?;
                let b = second(answers)?;
                Ok((a, b))
            }),
        }
    }

    /// The same query on another executor (a batch runs all of its parts on one).
    fn on(self, ex: Executor<'e>) -> Query<'e, T> {
        Query { ex, ..self }
    }

    /// Runs the statements (in one request on a server) and decodes their rows.
    pub async fn run(self) -> Result<T> {
        let stmts = self.stmts?;
        let sets = match self.ex {
            Executor::Tx(tx) => {
                tx.flush().await?;
                rows_of(tx, &stmts, true).await?
            }
            Executor::Pool(db) if db.location().is_remote() && only_reads(&stmts) => {
                let mut batch = db.read_on_server(&server_text(&stmts, false)?).await?;
                converted_batch(&mut batch, &stmts).await?
            }
            Executor::Pool(db) => {
                let db = if only_reads(&stmts) {
                    db.for_reads()
                } else {
                    db
                };
                let conn = db.conn().await?;
                rows_of(&conn, &stmts, false).await?
            }
        };
        (self.decode)(&mut Answers {
            sets: sets.into_iter(),
        })
    }
}

impl<'e, U: Send + 'static> Query<'e, Option<U>> {
    /// A statement that answers at most one row, converted by `from_row`.
    pub(crate) fn one(
        ex: Executor<'e>,
        sql: impl Into<String>,
        params: impl IntoParams,
        from_row: impl Fn(&Row) -> Result<U> + Send + Sync + 'e,
    ) -> Query<'e, Option<U>> {
        Query::rows(ex, sql, params, from_row, |rows| {
            Ok(rows.into_iter().next())
        })
    }
}

impl<'e, U: Send + 'static> Query<'e, Vec<U>> {
    /// A statement whose every row `from_row` converts.
    pub(crate) fn all(
        ex: Executor<'e>,
        sql: impl Into<String>,
        params: impl IntoParams,
        from_row: impl Fn(&Row) -> Result<U> + Send + Sync + 'e,
    ) -> Query<'e, Vec<U>> {
        Query::rows(ex, sql, params, from_row, Ok)
    }
}

impl<'e> Query<'e, u64> {
    /// How many rows `sql` (a `SELECT 1 FROM …`) yields, counting no further than `limit`
    /// ([`COUNT_LIMIT`], [`SEARCH_COUNT_LIMIT`]): a total at any size costs at most that many
    /// index entries. A total equal to the limit means "at least".
    pub(crate) fn count_up_to(
        ex: Executor<'e>,
        sql: impl Into<String>,
        params: impl IntoParams,
        limit: u64,
    ) -> Query<'e, u64> {
        let sql = format!("SELECT count(*) FROM ({} LIMIT {limit})", sql.into());
        Query::count(ex, sql, params)
    }

    /// The single integer a `SELECT count(*) …` answers.
    pub(crate) fn count(
        ex: Executor<'e>,
        sql: impl Into<String>,
        params: impl IntoParams,
    ) -> Query<'e, u64> {
        Query::rows(
            ex,
            sql,
            params,
            |row| Ok(u64::try_from(row.get::<i64>(0)?).unwrap_or(0)),
            |counts| Ok(counts.into_iter().next().unwrap_or(0)),
        )
    }
}

impl<'e, T: Send + 'e> IntoFuture for Query<'e, T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send + 'e>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Every statement's rows, each converted as it is read. On a server, the statements go in
/// one request, inside `BEGIN` … `COMMIT` when there are several and no unit of work holds
/// them already.
async fn rows_of(
    conn: &impl Runner,
    stmts: &[(Stmt, Convert<'_>)],
    in_tx: bool,
) -> Result<Vec<Vec<Item>>> {
    if conn.is_remote() {
        let wrap = !in_tx && stmts.len() > 1;
        let mut batch = conn
            .connection()
            .execute_batch(&server_text(stmts, wrap)?)
            .await?;
        if wrap {
            batch.next_stmt_row();
        }
        return converted_batch(&mut batch, stmts).await;
    }
    let mut sets = Vec::with_capacity(stmts.len());
    for (stmt, convert) in stmts {
        let values = stmt.values.clone();
        sets.push(
            crate::repo::with_rows(conn, &stmt.sql, values, async |rows| {
                converted(rows, convert).await
            })
            .await?,
        );
    }
    Ok(sets)
}

/// The statements as one server batch: their text with the values inlined, inside
/// `BEGIN DEFERRED` … `COMMIT` when `wrap`.
fn server_text(stmts: &[(Stmt, Convert<'_>)], wrap: bool) -> Result<String> {
    let mut text = String::new();
    if wrap {
        text.push_str("BEGIN DEFERRED;\n");
    }
    for (stmt, _) in stmts {
        text.push_str(&inline(&stmt.sql, &stmt.values)?);
        text.push_str(";\n");
    }
    if wrap {
        text.push_str("COMMIT;\n");
    }
    Ok(text)
}

/// Each statement's rows of a server batch, converted by its query.
async fn converted_batch(
    batch: &mut libsql::BatchRows,
    stmts: &[(Stmt, Convert<'_>)],
) -> Result<Vec<Vec<Item>>> {
    let mut sets = Vec::with_capacity(stmts.len());
    for (_, convert) in stmts {
        sets.push(match batch.next_stmt_row().flatten() {
            Some(mut rows) => converted(&mut rows, convert).await?,
            None => Vec::new(),
        });
    }
    Ok(sets)
}

/// Whether every statement only reads (a query is a read: this keeps a write from ever
/// running inside the transaction a kept stream is left in, [`Db::read_on_server`]).
fn only_reads(stmts: &[(Stmt, Convert<'_>)]) -> bool {
    stmts.iter().all(|(stmt, _)| {
        let sql = stmt.sql.trim_start();
        let head = sql.get(..6).unwrap_or(sql);
        head.eq_ignore_ascii_case("select")
            || sql.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("with"))
    })
}

async fn converted(rows: &mut Rows, convert: &Convert<'_>) -> Result<Vec<Item>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        out.push(convert(&row)?);
    }
    Ok(out)
}

/// `sql` with its placeholders (`?`, `?NNN`) replaced by SQL literals of `values`, for a
/// server batch, which takes SQL text alone. Text becomes a quoted string (quotes doubled,
/// as SQLite's own `%Q` does; a text with a NUL character goes as hex bytes cast to text),
/// blobs hex literals, integers and reals their digits: no value can end its literal.
/// Quoted strings, quoted names and comments in `sql` are copied as they are.
pub(crate) fn inline(sql: &str, values: &[Value]) -> Result<String> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 16 * values.len());
    let mut next_index = 0usize;
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        // A doubled quote is one quote inside the literal.
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'[' => {
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b':' | b'@' | b'$' if bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) => {
                return Err(Error::Config(format!(
                    "named parameters are not used by devhub's statements: {sql}"
                )));
            }
            b'?' => {
                out.push_str(&sql[copied..i]);
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                let index = if end > start {
                    sql[start..end].parse::<usize>().unwrap_or(0)
                } else {
                    next_index + 1
                };
                next_index = next_index.max(index);
                let value = index
                    .checked_sub(1)
                    .and_then(|at| values.get(at))
                    .ok_or_else(|| {
                        Error::Config(format!(
                            "statement parameter ?{index} has no value ({} given): {sql}",
                            values.len()
                        ))
                    })?;
                literal(&mut out, value);
                i = end;
                copied = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    Ok(out)
}

fn literal(out: &mut String, value: &Value) {
    use std::fmt::Write;
    match value {
        Value::Null => out.push_str("NULL"),
        Value::Integer(i64::MIN) => out.push_str("(-9223372036854775807 - 1)"),
        Value::Integer(n) => {
            let _ = write!(out, "({n})");
        }
        Value::Real(r) if r.is_finite() => {
            let _ = write!(out, "({r:?})");
        }
        // SQLite stores neither NaN nor the infinities from a literal; NULL is what it keeps.
        Value::Real(_) => out.push_str("NULL"),
        Value::Text(s) if s.contains('\0') => {
            let _ = write!(out, "CAST(X'{}' AS TEXT)", hex::encode(s.as_bytes()));
        }
        Value::Text(s) => {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        Value::Blob(b) => {
            let _ = write!(out, "X'{}'", hex::encode(b));
        }
    }
}

/// Several queries as one: `db.batch((a, b, c))` answers `(A, B, C)`.
pub trait Batch<'e> {
    type Output: Send + 'e;
    fn into_query(self, ex: Executor<'e>) -> Query<'e, Self::Output>;
}

macro_rules! batch_tuple {
    ($first:ident $(, $rest:ident)*) => {
        #[allow(non_snake_case)]
        impl<'e, $first: Send + 'e $(, $rest: Send + 'e)*> Batch<'e>
            for (Query<'e, $first>, $(Query<'e, $rest>,)*)
        {
            type Output = ($first, $($rest,)*);
            fn into_query(self, ex: Executor<'e>) -> Query<'e, Self::Output> {
                let ($first, $($rest,)*) = self;
                $first.on(ex)
                    $(.and($rest))*
                    .map(|nested| {
                        batch_tuple!(@flatten nested; $first $(, $rest)*)
                    })
            }
        }
    };
    // `((((a, b), c), d)` → `(a, b, c, d)`.
    (@flatten $nested:ident; $a:ident) => {{ let $a = $nested; ($a,) }};
    (@flatten $nested:ident; $a:ident, $b:ident) => {{ let ($a, $b) = $nested; ($a, $b) }};
    (@flatten $nested:ident; $a:ident, $b:ident, $c:ident) => {{
        let (($a, $b), $c) = $nested; ($a, $b, $c)
    }};
    (@flatten $nested:ident; $a:ident, $b:ident, $c:ident, $d:ident) => {{
        let ((($a, $b), $c), $d) = $nested; ($a, $b, $c, $d)
    }};
    (@flatten $nested:ident; $a:ident, $b:ident, $c:ident, $d:ident, $e:ident) => {{
        let (((($a, $b), $c), $d), $e) = $nested; ($a, $b, $c, $d, $e)
    }};
    (@flatten $nested:ident; $a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident) => {{
        let ((((($a, $b), $c), $d), $e), $f) = $nested; ($a, $b, $c, $d, $e, $f)
    }};
    (@flatten $nested:ident; $a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident,
     $g:ident) => {{
        let (((((($a, $b), $c), $d), $e), $f), $g) = $nested; ($a, $b, $c, $d, $e, $f, $g)
    }};
    (@flatten $nested:ident; $a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident,
     $g:ident, $h:ident) => {{
        let ((((((($a, $b), $c), $d), $e), $f), $g), $h) = $nested;
        ($a, $b, $c, $d, $e, $f, $g, $h)
    }};
}

batch_tuple!(A);
batch_tuple!(A, B);
batch_tuple!(A, B, C);
batch_tuple!(A, B, C, D);
batch_tuple!(A, B, C, D, E);
batch_tuple!(A, B, C, D, E, F);
batch_tuple!(A, B, C, D, E, F, G);
batch_tuple!(A, B, C, D, E, F, G, H);

impl<'e, T: Send + 'e> Batch<'e> for Vec<Query<'e, T>> {
    type Output = Vec<T>;
    fn into_query(self, ex: Executor<'e>) -> Query<'e, Vec<T>> {
        self.into_iter()
            .fold(Query::ready(ex, Vec::new()), |all, q| {
                all.and(q).map(|(mut all, one)| {
                    all.push(one);
                    all
                })
            })
    }
}

impl Db {
    /// Several reads as one query (awaited, it answers their results as a tuple): one request
    /// on a server (one snapshot there), statement by statement on one connection elsewhere.
    pub fn batch<'e, B: Batch<'e>>(&'e self, reads: B) -> Query<'e, B::Output> {
        reads.into_query(Executor::Pool(self))
    }
}

impl Tx {
    /// Several reads as one query inside this unit of work (one request on a server).
    pub fn batch<'e, B: Batch<'e>>(&'e self, reads: B) -> Query<'e, B::Output> {
        reads.into_query(Executor::Tx(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_literals_that_no_value_can_escape() {
        let values = [
            Value::Text("it's'; DROP TABLE contact; --".into()),
            Value::Integer(-7),
            Value::Null,
            Value::Blob(vec![0, 255]),
            Value::Real(1.5),
        ];
        let sql = inline("SELECT ?1, ?2, ?3, ?4, ?5, ?2", &values).unwrap();
        assert_eq!(
            sql,
            "SELECT 'it''s''; DROP TABLE contact; --', (-7), NULL, X'00ff', (1.5), (-7)"
        );
        assert_eq!(
            inline("SELECT ?, ?", &[Value::Integer(1), Value::Integer(2)]).unwrap(),
            "SELECT (1), (2)"
        );
        assert_eq!(
            inline(
                "SELECT ?2, ?",
                &[Value::Integer(1), Value::Integer(2), Value::Integer(3)]
            )
            .unwrap(),
            "SELECT (2), (3)"
        );
        assert_eq!(
            inline(
                "SELECT 'a?1', \"b?\", ?1 -- ?2\n",
                &[Value::Text("x\0y".into())]
            )
            .unwrap(),
            "SELECT 'a?1', \"b?\", CAST(X'780079' AS TEXT) -- ?2\n"
        );
        assert!(inline("SELECT ?3", &[Value::Integer(1)]).is_err());
        assert!(inline("SELECT :name", &[]).is_err());
        assert_eq!(
            inline("SELECT ?1", &[Value::Integer(i64::MIN)]).unwrap(),
            "SELECT (-9223372036854775807 - 1)"
        );
    }
}
