//! The table view: one page of rows (keyset paging), sortable columns, a filter row, a search
//! box, values rendered by type, foreign keys linked. All of its state is in the URL.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use devhub_db::repo::query_values;
use devhub_db::Runner;
use libsql::Value;

use crate::cells::{group_thousands, value_text, Cell};
use crate::error::StudioError;
use crate::layout::{param, parse_query, render, table_path, with_query, Layout};
use crate::query::{search_columns, Cursor, Dir, Op, TableQuery};
use crate::schema::{Catalog, Table};
use crate::sql::{encode_values, quote};
use crate::state::StudioState;

pub struct Header {
    pub name: String,
    pub decl_type: String,
    pub sort_href: String,
    /// `▲`, `▼` or empty.
    pub sorted: &'static str,
    pub aria_sort: &'static str,
    pub is_key: bool,
    /// `→ table` for a foreign key column.
    pub references: String,
    pub filter_op: String,
    pub filter_value: String,
    pub input_id: String,
}

pub struct RowView {
    pub href: String,
    pub cells: Vec<Cell>,
}

pub struct OpChoice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "table.html")]
pub struct TablePage {
    pub layout: Layout,
    pub table: String,
    pub kind: &'static str,
    pub headers: Vec<Header>,
    pub rows: Vec<RowView>,
    pub count: String,
    pub shown: usize,
    pub search: String,
    pub searchable: bool,
    pub sort: String,
    pub dir: String,
    pub ops: Vec<OpChoice>,
    pub first_href: Option<String>,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub last_href: Option<String>,
    pub csv_href: String,
    pub json_href: String,
    pub new_href: Option<String>,
    pub clear_href: String,
    pub filtered: bool,
    pub notice: &'static str,
    pub path: String,
}

/// A pooled connection and the catalog read through it.
pub(crate) async fn open(
    state: &StudioState,
) -> Result<(devhub_db::PooledConn, Catalog), StudioError> {
    let conn = state.db().conn().await?;
    let catalog = Catalog::load(&conn).await?;
    Ok((conn, catalog))
}

/// The link a foreign-key value follows: to the referenced row.
pub(crate) fn reference_href(fk_table: &str, to: &[String], values: &[Value]) -> String {
    let cols: Vec<Value> = to.iter().map(|c| Value::Text(c.clone())).collect();
    with_query(
        &table_path(fk_table, "/ref"),
        &[
            ("c".into(), encode_values(&cols)),
            ("v".into(), encode_values(values)),
        ],
    )
}

/// Cells for one row's values, with foreign keys linked.
pub(crate) fn cells_for(table: &Table, values: &[Value], truncate: bool) -> Vec<Cell> {
    table
        .columns
        .iter()
        .zip(values)
        .map(|(col, value)| {
            let cell = Cell::new(value, Some(col), truncate);
            match table.foreign_key_of(&col.name) {
                Some(fk) if !matches!(value, Value::Null) && fk.to.len() == fk.from.len() => {
                    let fk_values: Option<Vec<Value>> = fk
                        .from
                        .iter()
                        .map(|f| {
                            table
                                .columns
                                .iter()
                                .position(|c| &c.name == f)
                                .and_then(|i| values.get(i).cloned())
                        })
                        .collect();
                    match fk_values {
                        Some(v) if !v.iter().any(|x| matches!(x, Value::Null)) => {
                            cell.link(reference_href(&fk.table, &fk.to, &v))
                        }
                        _ => cell,
                    }
                }
                _ => cell,
            }
        })
        .collect()
}

/// Runs a query with bound values and returns every row's values, read whole (on a server,
/// one batch: never a cursor left on the connection's stream).
pub(crate) async fn fetch(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: Vec<Value>,
) -> Result<Vec<Vec<Value>>, StudioError> {
    Ok(query_values(conn, sql, libsql::params_from_iter(params)).await?)
}

pub(crate) async fn count(
    conn: &(impl Runner + ?Sized),
    sql: &str,
    params: Vec<Value>,
) -> Result<i64, StudioError> {
    let rows = fetch(conn, sql, params).await?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(Value::Integer(n)) => *n,
        _ => 0,
    })
}

pub async fn table(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = catalog.get(&name)?;
    let pairs = parse_query(raw.as_deref());
    let (query, untidy) = TableQuery::parse(table, &pairs)?;
    let path = table_path(&table.name, "");
    if untidy {
        let target = with_query(&path, &query.pairs());
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response());
    }
    let page_size = state.settings().page_size;
    let (sql, params, reversed) = query.page_sql(table, page_size);
    let mut rows = fetch(&conn, &sql, params).await?;
    let more = rows.len() > page_size;
    rows.truncate(page_size);
    if reversed {
        rows.reverse();
    }
    let (count_sql, count_params) = query.count_sql(table);
    let total = count(&conn, &count_sql, count_params).await?;

    let n_terms = query.order_terms(table).len();
    let key_len = table.key_exprs().len();
    let state_pairs = query.state_pairs();
    let with_state = |extra: Option<(&str, String)>| {
        let mut p = state_pairs.clone();
        p.extend(extra.map(|(k, v)| (k.to_string(), v)));
        with_query(&path, &p)
    };
    let ordering = |row: &Vec<Value>| encode_values(&row[..n_terms]);
    let (has_prev, has_next) = match query.cursor {
        Cursor::First => (false, more),
        Cursor::After(_) => (true, more),
        Cursor::Before(_) => (more, true),
        Cursor::Last => (more, false),
        Cursor::Offset(n) => (n > 0, more),
    };
    let (prev_href, next_href, last_href) = if table.has_key() {
        (
            rows.first()
                .filter(|_| has_prev)
                .map(|r| with_state(Some(("before", ordering(r))))),
            rows.last()
                .filter(|_| has_next)
                .map(|r| with_state(Some(("after", ordering(r))))),
            has_next.then(|| with_state(Some(("last", "1".into())))),
        )
    } else {
        let page = match query.cursor {
            Cursor::Offset(n) => n,
            _ => 0,
        };
        let last_page = (total.max(1) as u64 - 1) / page_size as u64;
        (
            has_prev.then(|| with_state(Some(("page", (page - 1).to_string())))),
            has_next.then(|| with_state(Some(("page", (page + 1).to_string())))),
            has_next.then(|| with_state(Some(("page", last_page.to_string())))),
        )
    };
    let first_href = has_prev.then(|| with_state(None));

    let row_views = rows
        .iter()
        .map(|row| {
            let key = &row[n_terms - key_len.min(n_terms)..n_terms];
            RowView {
                href: if table.has_key() {
                    with_query(
                        &table_path(&table.name, "/row"),
                        &[("k".into(), encode_values(key))],
                    )
                } else {
                    String::new()
                },
                cells: cells_for(table, &row[n_terms..], true),
            }
        })
        .collect();

    let headers = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let (sorted, aria_sort, next_dir) = match &query.sort {
                Some((c, Dir::Asc)) if *c == col.name => ("▲", "ascending", "desc"),
                Some((c, Dir::Desc)) if *c == col.name => ("▼", "descending", "asc"),
                _ => ("", "none", "asc"),
            };
            let mut p: Vec<(String, String)> = state_pairs
                .iter()
                .filter(|(k, _)| k != "sort" && k != "dir")
                .cloned()
                .collect();
            p.push(("sort".into(), col.name.clone()));
            p.push(("dir".into(), next_dir.into()));
            let filter = query.filter_of(&col.name);
            Header {
                name: col.name.clone(),
                decl_type: col.decl_type.clone(),
                sort_href: with_query(&path, &p),
                sorted,
                aria_sort,
                is_key: col.pk > 0,
                references: table
                    .foreign_key_of(&col.name)
                    .map(|fk| format!("→ {}", fk.table))
                    .unwrap_or_default(),
                filter_op: filter.map(|f| f.op.code().to_string()).unwrap_or_default(),
                filter_value: filter.map(|f| f.text.clone()).unwrap_or_default(),
                input_id: format!("filter-{i}"),
            }
        })
        .collect();

    let export = |ext: &str| with_query(&table_path(&table.name, ext), &state_pairs);
    let page = TablePage {
        layout: Layout::new(table.name.clone(), "tables"),
        table: table.name.clone(),
        kind: table.kind.label(),
        headers,
        shown: rows.len(),
        rows: row_views,
        count: group_thousands(total.max(0) as u64),
        search: query.search.clone(),
        searchable: !search_columns(table).is_empty(),
        sort: query
            .sort
            .as_ref()
            .map(|(c, _)| c.clone())
            .unwrap_or_default(),
        dir: query
            .sort
            .as_ref()
            .map(|(_, d)| d.code().to_string())
            .unwrap_or_default(),
        ops: Op::ALL
            .into_iter()
            .map(|op| OpChoice {
                code: op.code(),
                label: op.label(),
            })
            .collect(),
        first_href,
        prev_href,
        next_href,
        last_href,
        csv_href: export("/export.csv"),
        json_href: export("/export.json"),
        new_href: table.is_writable().then(|| table_path(&table.name, "/new")),
        clear_href: path.clone(),
        filtered: !query.filters.is_empty() || !query.search.is_empty(),
        notice: match param(&pairs, "done") {
            Some("deleted") => "Row deleted.",
            _ => "",
        },
        path,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `value` as the text a filter link carries.
pub(crate) fn filter_text(value: &Value) -> String {
    value_text(value)
}

/// The quoted `a = ? AND b = ?` that picks one row by its key.
pub(crate) fn key_condition(table: &Table) -> String {
    table
        .key_exprs()
        .iter()
        .map(|e| format!("{e} = ?"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The row of `table` with key `key`: its key values and column values.
pub(crate) async fn load_row(
    conn: &devhub_db::PooledConn,
    table: &Table,
    key: &[Value],
) -> Result<Option<Vec<Value>>, StudioError> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} LIMIT 1",
        table.select_list(),
        quote(&table.name),
        key_condition(table)
    );
    Ok(fetch(conn, &sql, key.to_vec()).await?.into_iter().next())
}
