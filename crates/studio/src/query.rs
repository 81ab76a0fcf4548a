//! A table view's state, as it travels in the URL (`sort`, `dir`, `q`, `op.<column>`,
//! `v.<column>`, `after` / `before` / `last` / `page`), parsed and checked against the table,
//! and turned into SQL with quoted names and bound values.
//!
//! Paging is keyset paging: rows are ordered by the sort column (if any) and then the row key
//! (the rowid, or the primary key of a WITHOUT ROWID table), and a page starts after (or
//! before) the ordering values of the last (or first) row shown. No page costs more than the
//! first, however deep. Views have no key and are paged by offset.

use libsql::Value;

use crate::error::StudioError;
use crate::schema::{Affinity, Column, ColumnKind, Table};
use crate::sql::{decode_value_list, encode_values, like_escape, quote};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Contains,
    Starts,
    Gt,
    Lt,
    IsNull,
    NotNull,
}

impl Op {
    pub const ALL: [Op; 7] = [
        Op::Eq,
        Op::Contains,
        Op::Starts,
        Op::Gt,
        Op::Lt,
        Op::IsNull,
        Op::NotNull,
    ];

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.code() == s)
    }

    pub fn code(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Contains => "contains",
            Op::Starts => "starts",
            Op::Gt => "gt",
            Op::Lt => "lt",
            Op::IsNull => "null",
            Op::NotNull => "notnull",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Contains => "contains",
            Op::Starts => "starts with",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::IsNull => "is null",
            Op::NotNull => "is not null",
        }
    }

    pub fn needs_value(self) -> bool {
        !matches!(self, Op::IsNull | Op::NotNull)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

impl Dir {
    pub fn sql(self) -> &'static str {
        match self {
            Dir::Asc => "ASC",
            Dir::Desc => "DESC",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Dir::Asc => "asc",
            Dir::Desc => "desc",
        }
    }

    fn reversed(self) -> Dir {
        match self {
            Dir::Asc => Dir::Desc,
            Dir::Desc => Dir::Asc,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub column: String,
    pub op: Op,
    /// As typed (shown back in the filter row).
    pub text: String,
    /// What is bound.
    pub value: Value,
}

/// Which page.
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    First,
    /// The page after the row with these ordering values.
    After(Vec<Value>),
    /// The page before the row with these ordering values.
    Before(Vec<Value>),
    Last,
    /// Views only: the page number (0-based).
    Offset(u64),
}

#[derive(Debug, Clone)]
pub struct TableQuery {
    pub sort: Option<(String, Dir)>,
    pub filters: Vec<Filter>,
    pub search: String,
    pub cursor: Cursor,
}

/// One term of `ORDER BY`.
#[derive(Debug, Clone)]
pub struct Term {
    pub expr: String,
    pub dir: Dir,
    /// Whether the term can be NULL (not for keys): the cursor condition is simpler, and
    /// stays an index range, when it cannot.
    pub nullable: bool,
}

/// A `WHERE` clause (possibly empty) and its bound values.
#[derive(Debug, Clone, Default)]
pub struct Where {
    parts: Vec<String>,
    pub params: Vec<Value>,
}

impl Where {
    pub fn push(&mut self, sql: String, params: impl IntoIterator<Item = Value>) {
        self.parts.push(sql);
        self.params.extend(params);
    }

    pub fn sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.parts.join(" AND "))
        }
    }
}

impl TableQuery {
    /// Parses the URL's pairs. `Ok((query, true))` when the URL carried empty fields (as a
    /// submitted filter row does) and should be redirected to its canonical form.
    pub fn parse(
        table: &Table,
        pairs: &[(String, String)],
    ) -> Result<(TableQuery, bool), StudioError> {
        let mut untidy = false;
        let mut sort = None;
        let mut dir = Dir::Asc;
        let mut search = String::new();
        let mut cursor = Cursor::First;
        let mut ops: Vec<(String, Op)> = Vec::new();
        let mut values: Vec<(String, String)> = Vec::new();
        let column = |name: &str| -> Result<&Column, StudioError> {
            table.column(name).ok_or_else(|| {
                StudioError::bad_request(format!(
                    "Table {} has no column named {name}.",
                    table.name
                ))
            })
        };
        let cursor_values = |text: &str| {
            decode_value_list(text).ok_or_else(|| {
                StudioError::bad_request(
                    "The page cursor in this address is not valid: start again from the first page.",
                )
            })
        };
        for (key, value) in pairs {
            if value.is_empty() {
                untidy = true;
                continue;
            }
            match key.as_str() {
                "sort" => sort = Some(column(value)?.name.clone()),
                "dir" => {
                    dir = match value.as_str() {
                        "asc" => Dir::Asc,
                        "desc" => Dir::Desc,
                        other => {
                            return Err(StudioError::bad_request(format!(
                                "The sort direction must be asc or desc, not {other}."
                            )))
                        }
                    }
                }
                "q" => search = value.trim().to_string(),
                "after" | "before" | "last" | "page" => {
                    cursor = match key.as_str() {
                        "last" => Cursor::Last,
                        "page" => Cursor::Offset(
                            value
                                .parse::<u64>()
                                .ok()
                                .filter(|n| *n < 1 << 40)
                                .ok_or_else(|| {
                                    StudioError::bad_request(format!(
                                        "Page {value} is not a page number."
                                    ))
                                })?,
                        ),
                        _ => {
                            // The cursor's length is checked once the order is known.
                            let parsed = cursor_values(value)?;
                            if key == "after" {
                                Cursor::After(parsed)
                            } else {
                                Cursor::Before(parsed)
                            }
                        }
                    }
                }
                k => {
                    if let Some(name) = k.strip_prefix("op.") {
                        let col = column(name)?;
                        let op = Op::parse(value).ok_or_else(|| {
                            StudioError::bad_request(format!(
                                "Unknown filter {value} on column {name}: use one of eq, contains, starts, gt, lt, null, notnull."
                            ))
                        })?;
                        ops.push((col.name.clone(), op));
                    } else if let Some(name) = k.strip_prefix("v.") {
                        values.push((column(name)?.name.clone(), value.clone()));
                    }
                    // Other parameters (for example a stray `token`) are ignored.
                }
            }
        }
        let mut filters = Vec::new();
        for (name, op) in ops {
            let text = values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            if op.needs_value() && text.is_empty() {
                untidy = true;
                continue;
            }
            let value = match table.column(&name) {
                Some(col) if op.needs_value() => filter_value(col, op, &text)?,
                _ => Value::Null,
            };
            filters.push(Filter {
                column: name,
                op,
                text: if op.needs_value() {
                    text
                } else {
                    String::new()
                },
                value,
            });
        }
        // A value without an operator filters for equality.
        for (name, text) in values {
            if !filters.iter().any(|f| f.column == name) {
                if let Some(col) = table.column(&name) {
                    let value = filter_value(col, Op::Eq, &text)?;
                    filters.push(Filter {
                        column: name,
                        op: Op::Eq,
                        text,
                        value,
                    });
                }
            }
        }
        let query = TableQuery {
            sort: sort.map(|s| (s, dir)),
            filters,
            search,
            cursor,
        };
        if let Cursor::After(v) | Cursor::Before(v) = &query.cursor {
            if v.len() != query.order_terms(table).len() || !table.has_key() {
                return Err(StudioError::bad_request(
                    "The page cursor in this address does not fit this table and order: start again from the first page.",
                ));
            }
        }
        Ok((query, untidy))
    }

    /// The URL pairs of the view's state, without the page.
    pub fn state_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some((col, dir)) = &self.sort {
            out.push(("sort".into(), col.clone()));
            out.push(("dir".into(), dir.code().into()));
        }
        if !self.search.is_empty() {
            out.push(("q".into(), self.search.clone()));
        }
        for f in &self.filters {
            out.push((format!("op.{}", f.column), f.op.code().into()));
            if f.op.needs_value() {
                out.push((format!("v.{}", f.column), f.text.clone()));
            }
        }
        out
    }

    /// The pairs of the view's state plus its page.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = self.state_pairs();
        match &self.cursor {
            Cursor::First => {}
            Cursor::After(v) => out.push(("after".into(), encode_values(v))),
            Cursor::Before(v) => out.push(("before".into(), encode_values(v))),
            Cursor::Last => out.push(("last".into(), "1".into())),
            Cursor::Offset(n) => out.push(("page".into(), n.to_string())),
        }
        out
    }

    pub fn filter_of(&self, column: &str) -> Option<&Filter> {
        self.filters.iter().find(|f| f.column == column)
    }

    /// Filters and search as SQL.
    pub fn where_clause(&self, table: &Table) -> Where {
        let mut w = Where::default();
        for f in &self.filters {
            let col = quote(&f.column);
            match f.op {
                Op::Eq => w.push(format!("{col} = ?"), [f.value.clone()]),
                Op::Gt => w.push(format!("{col} > ?"), [f.value.clone()]),
                Op::Lt => w.push(format!("{col} < ?"), [f.value.clone()]),
                Op::Contains => w.push(
                    format!("{col} LIKE ? ESCAPE '\\'"),
                    [Value::Text(format!("%{}%", like_escape(&f.text)))],
                ),
                Op::Starts => w.push(
                    format!("{col} LIKE ? ESCAPE '\\'"),
                    [Value::Text(format!("{}%", like_escape(&f.text)))],
                ),
                Op::IsNull => w.push(format!("{col} IS NULL"), []),
                Op::NotNull => w.push(format!("{col} IS NOT NULL"), []),
            }
        }
        if !self.search.is_empty() {
            let columns = search_columns(table);
            if columns.is_empty() {
                w.push("0".into(), []);
            } else {
                let pattern = Value::Text(format!("%{}%", like_escape(&self.search)));
                let sql = columns
                    .iter()
                    .map(|c| format!("{} LIKE ? ESCAPE '\\'", quote(&c.name)))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                w.push(
                    format!("({sql})"),
                    std::iter::repeat_n(pattern, columns.len()),
                );
            }
        }
        w
    }

    /// The order of rows: the sort column, then the row key as a tiebreaker.
    pub fn order_terms(&self, table: &Table) -> Vec<Term> {
        let dir = self.sort.as_ref().map_or(Dir::Asc, |(_, d)| *d);
        let mut terms: Vec<Term> = self
            .sort
            .iter()
            .map(|(col, dir)| Term {
                expr: quote(col),
                dir: *dir,
                nullable: table
                    .column(col)
                    .is_none_or(|c| !(c.not_null || (table.without_rowid && c.pk > 0))),
            })
            .collect();
        terms.extend(table.key_exprs().into_iter().map(|expr| Term {
            expr,
            dir,
            nullable: false,
        }));
        terms
    }

    /// The SQL of one page: the ordering values first (`order_terms().len()` columns), then the
    /// table's columns. Returns the SQL, its values, and whether the rows come back reversed
    /// (pages before a cursor and the last page are read backwards, then turned around).
    pub fn page_sql(&self, table: &Table, page_size: usize) -> (String, Vec<Value>, bool) {
        let terms = self.order_terms(table);
        let mut w = self.where_clause(table);
        let reversed = matches!(self.cursor, Cursor::Before(_) | Cursor::Last);
        let read_terms: Vec<Term> = terms
            .iter()
            .map(|t| Term {
                expr: t.expr.clone(),
                dir: if reversed { t.dir.reversed() } else { t.dir },
                nullable: t.nullable,
            })
            .collect();
        if let Cursor::After(values) | Cursor::Before(values) = &self.cursor {
            let (sql, params) = after(&read_terms, values);
            w.push(sql, params);
        }
        let mut select: Vec<String> = terms.iter().map(|t| t.expr.clone()).collect();
        select.push(table.select_list());
        let order = if read_terms.is_empty() {
            String::new()
        } else {
            format!(
                " ORDER BY {}",
                read_terms
                    .iter()
                    .map(|t| format!("{} {}", t.expr, t.dir.sql()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let offset = match self.cursor {
            Cursor::Offset(n) => format!(" OFFSET {}", n.saturating_mul(page_size as u64)),
            _ => String::new(),
        };
        let sql = format!(
            "SELECT {} FROM {}{}{order} LIMIT {}{offset}",
            select.join(", "),
            quote(&table.name),
            w.sql(),
            page_size + 1
        );
        (sql, w.params, reversed)
    }

    /// Every matching row in order, for exports: the table's columns only.
    pub fn export_sql(&self, table: &Table) -> (String, Vec<Value>) {
        let w = self.where_clause(table);
        let terms = self.order_terms(table);
        let order = if terms.is_empty() {
            String::new()
        } else {
            format!(
                " ORDER BY {}",
                terms
                    .iter()
                    .map(|t| format!("{} {}", t.expr, t.dir.sql()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        (
            format!(
                "SELECT {} FROM {}{}{order}",
                table.select_list(),
                quote(&table.name),
                w.sql()
            ),
            w.params,
        )
    }

    pub fn count_sql(&self, table: &Table) -> (String, Vec<Value>) {
        let w = self.where_clause(table);
        (
            format!("SELECT count(*) FROM {}{}", quote(&table.name), w.sql()),
            w.params,
        )
    }
}

/// The columns the search box looks in: text columns (and untyped ones, which usually hold text).
pub fn search_columns(table: &Table) -> Vec<&Column> {
    table
        .columns
        .iter()
        .filter(|c| matches!(c.affinity, Affinity::Text | Affinity::Blob))
        .collect()
}

/// "Comes after `values` in the order of `terms`", NULL-aware (SQLite puts NULLs first in
/// ascending order): t1 > v1 OR (t1 = v1 AND (t2 > v2 OR (t2 = v2 AND …))).
fn after(terms: &[Term], values: &[Value]) -> (String, Vec<Value>) {
    let mut params = Vec::new();
    let mut ors = Vec::new();
    for i in 0..terms.len() {
        let mut ands = Vec::new();
        for (t, v) in terms[..i].iter().zip(values) {
            if matches!(v, Value::Null) {
                ands.push(format!("{} IS NULL", t.expr));
            } else {
                ands.push(format!("{} = ?", t.expr));
                params.push(v.clone());
            }
        }
        let (t, v) = (&terms[i], &values[i]);
        let greater = match (t.dir, v) {
            (Dir::Asc, Value::Null) => format!("{} IS NOT NULL", t.expr),
            (Dir::Asc, _) => {
                params.push(v.clone());
                format!("{} > ?", t.expr)
            }
            (Dir::Desc, Value::Null) => "0".to_string(),
            (Dir::Desc, _) if t.nullable => {
                params.push(v.clone());
                format!("({0} < ? OR {0} IS NULL)", t.expr)
            }
            (Dir::Desc, _) => {
                params.push(v.clone());
                format!("{} < ?", t.expr)
            }
        };
        ands.push(greater);
        ors.push(format!("({})", ands.join(" AND ")));
    }
    (format!("({})", ors.join(" OR ")), params)
}

/// The value a filter binds: numbers for numeric columns (dates allowed for timestamps), so
/// that a typo is an error rather than a silently empty result.
fn filter_value(column: &Column, op: Op, text: &str) -> Result<Value, StudioError> {
    if !matches!(op, Op::Eq | Op::Gt | Op::Lt) {
        return Ok(Value::Text(text.to_string()));
    }
    let trimmed = text.trim();
    if column.kind == ColumnKind::Timestamp {
        if let Some(secs) = parse_date(trimmed) {
            return Ok(Value::Integer(secs));
        }
    }
    if let Ok(i) = trimmed.parse::<i64>() {
        if column.affinity != Affinity::Text {
            return Ok(Value::Integer(i));
        }
    }
    if let Ok(f) = trimmed.parse::<f64>() {
        if column.affinity != Affinity::Text && f.is_finite() {
            return Ok(Value::Real(f));
        }
    }
    if column.affinity.is_numeric() {
        let hint = if column.kind == ColumnKind::Timestamp {
            "a number (Unix seconds) or a date like 2024-05-01"
        } else {
            "a number"
        };
        return Err(StudioError::bad_request(format!(
            "The filter on {} needs {hint}, not \"{text}\".",
            column.name
        )));
    }
    Ok(Value::Text(text.to_string()))
}

/// `2024-05-01`, `2024-05-01T12:30`, `2024-05-01 12:30:15` (UTC) as Unix seconds.
pub fn parse_date(text: &str) -> Option<i64> {
    use chrono::{NaiveDate, NaiveDateTime};
    let text = text.trim().trim_end_matches('Z').trim_end_matches(" UTC");
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc().timestamp());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_is_lexicographic_and_null_aware() {
        let terms = vec![
            Term {
                expr: "\"a\"".into(),
                dir: Dir::Asc,
                nullable: true,
            },
            Term {
                expr: "rowid".into(),
                dir: Dir::Asc,
                nullable: false,
            },
        ];
        let (sql, params) = after(&terms, &[Value::Null, Value::Integer(3)]);
        assert_eq!(
            sql,
            "((\"a\" IS NOT NULL) OR (\"a\" IS NULL AND rowid > ?))"
        );
        assert_eq!(params, vec![Value::Integer(3)]);
        let desc: Vec<Term> = terms
            .iter()
            .map(|t| Term {
                expr: t.expr.clone(),
                dir: Dir::Desc,
                nullable: t.nullable,
            })
            .collect();
        let (sql, params) = after(&desc, &[Value::Integer(1), Value::Integer(3)]);
        assert_eq!(
            sql,
            "(((\"a\" < ? OR \"a\" IS NULL)) OR (\"a\" = ? AND rowid < ?))"
        );
        assert_eq!(params.len(), 3);
    }

    #[test]
    fn dates_parse_as_utc_unix_seconds() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400));
        assert_eq!(parse_date("1970-01-01T00:01"), Some(60));
        assert_eq!(parse_date("1970-01-01 00:00:05 UTC"), Some(5));
        assert_eq!(parse_date("tomorrow"), None);
    }
}
