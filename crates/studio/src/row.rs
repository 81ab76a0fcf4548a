//! One row: every value in full, foreign keys linked to the referenced rows, and for each
//! table that references this row the count of its referencing rows, linked to that table's
//! filtered view.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use libsql::Value;

use crate::cells::{group_thousands, Cell};
use crate::error::StudioError;
use crate::layout::{param, parse_query, render, table_path, with_query, Layout};
use crate::schema::Table;
use crate::sql::{decode_value_list, decode_values, encode_values, quote};
use crate::state::StudioState;
use crate::table::{cells_for, count, fetch, filter_text, load_row, open};

pub struct FieldView {
    pub name: String,
    pub decl_type: String,
    pub cell: Cell,
}

pub struct Referrer {
    pub label: String,
    pub href: String,
    pub count: String,
}

#[derive(Template)]
#[template(path = "row.html")]
pub struct RowPage {
    pub layout: Layout,
    pub table: String,
    pub table_href: String,
    pub key_label: String,
    pub fields: Vec<FieldView>,
    pub referrers: Vec<Referrer>,
    pub edit_href: Option<String>,
    pub delete_href: Option<String>,
    pub notice: &'static str,
}

/// The row key in `?k=`, checked against the table.
pub(crate) fn key_param(
    table: &Table,
    pairs: &[(String, String)],
) -> Result<Vec<Value>, StudioError> {
    if !table.has_key() {
        return Err(StudioError::bad_request(format!(
            "{} is a view: its rows have no key to open them by.",
            table.name
        )));
    }
    let len = table.key_exprs().len();
    param(pairs, "k")
        .and_then(|k| decode_values(k, len))
        .ok_or_else(|| {
            StudioError::bad_request(format!(
                "This address does not name a row of {}: it needs ?k= with its key ({}).",
                table.name,
                table.key_names().join(", ")
            ))
        })
}

pub(crate) fn row_href(table: &Table, key: &[Value]) -> String {
    with_query(
        &table_path(&table.name, "/row"),
        &[("k".into(), encode_values(key))],
    )
}

/// A short description of a row's key, e.g. `rowid 12` or `(a, b) = (1, 'x')`.
pub(crate) fn key_label(table: &Table, key: &[Value]) -> String {
    let names = table.key_names();
    let values: Vec<String> = key.iter().map(crate::cells::value_text).collect();
    if names.len() == 1 {
        format!("{} {}", names[0], values[0])
    } else {
        format!("({}) = ({})", names.join(", "), values.join(", "))
    }
}

/// How a row is named in headings: by its declared primary key when it has one (a rowid
/// table with `id TEXT PRIMARY KEY`), else by its rowid.
pub(crate) fn row_title(table: &Table, key: &[Value], values: &[Value]) -> String {
    let mut pk: Vec<(i64, String, String)> = table
        .columns
        .iter()
        .zip(values)
        .filter(|(c, _)| c.pk > 0)
        .map(|(c, v)| (c.pk, c.name.clone(), crate::cells::value_text(v)))
        .collect();
    pk.sort();
    match pk.as_slice() {
        [(_, name, value)] => format!("{name} {value}"),
        [] => key_label(table, key),
        many => format!(
            "({}) = ({})",
            many.iter()
                .map(|p| p.1.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            many.iter()
                .map(|p| p.2.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

pub async fn row(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = catalog.get(&name)?;
    let pairs = parse_query(raw.as_deref());
    let key = key_param(table, &pairs)?;
    let values = load_row(&conn, table, &key).await?.ok_or_else(|| {
        StudioError::NotFound(format!(
            "{} has no row with {}.",
            table.name,
            key_label(table, &key)
        ))
    })?;
    let fields = table
        .columns
        .iter()
        .zip(cells_for(table, &values, false))
        .map(|(col, cell)| FieldView {
            name: col.name.clone(),
            decl_type: col.decl_type.clone(),
            cell,
        })
        .collect();

    let mut referrers = Vec::new();
    for (child, fk) in catalog.references_to(&table.name) {
        let parent_values: Option<Vec<Value>> = fk
            .to
            .iter()
            .map(|c| {
                table
                    .columns
                    .iter()
                    .position(|col| col.name.eq_ignore_ascii_case(c))
                    .and_then(|i| values.get(i).cloned())
            })
            .collect();
        let Some(parent_values) = parent_values.filter(|v| v.len() == fk.from.len()) else {
            continue;
        };
        let n = if parent_values.iter().any(|v| matches!(v, Value::Null)) {
            0
        } else {
            let condition = fk
                .from
                .iter()
                .map(|c| format!("{} = ?", quote(c)))
                .collect::<Vec<_>>()
                .join(" AND ");
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM {} WHERE {condition}",
                    quote(&child.name)
                ),
                parent_values.clone(),
            )
            .await?
        };
        let mut filter = Vec::new();
        for (col, v) in fk.from.iter().zip(&parent_values) {
            filter.push((format!("op.{col}"), "eq".to_string()));
            filter.push((format!("v.{col}"), filter_text(v)));
        }
        let several = catalog
            .references_to(&table.name)
            .filter(|(t, _)| t.name == child.name)
            .count()
            > 1;
        referrers.push(Referrer {
            label: if several {
                format!("{} (by {})", child.name, fk.from.join(", "))
            } else {
                child.name.clone()
            },
            href: with_query(&table_path(&child.name, ""), &filter),
            count: format!(
                "{} row{}",
                group_thousands(n.max(0) as u64),
                if n == 1 { "" } else { "s" }
            ),
        });
    }

    let title = row_title(table, &key, &values);
    let k = encode_values(&key);
    let page = RowPage {
        layout: Layout::new(format!("{} · {title}", table.name), "tables"),
        table: table.name.clone(),
        table_href: table_path(&table.name, ""),
        key_label: title,
        fields,
        referrers,
        edit_href: table.is_writable().then(|| {
            with_query(
                &table_path(&table.name, "/edit"),
                &[("k".into(), k.clone())],
            )
        }),
        delete_href: table
            .is_writable()
            .then(|| with_query(&table_path(&table.name, "/delete"), &[("k".into(), k)])),
        notice: match param(&pairs, "done") {
            Some("saved") => "Row saved.",
            Some("created") => "Row added.",
            _ => "",
        },
    };
    Ok(render(StatusCode::OK, &page))
}

/// `/t/<table>/ref?c=["id"]&v=["abc"]`: the row of `table` whose columns `c` hold `v`, as a
/// redirect to its row page (a foreign-key value's link).
pub async fn follow_reference(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = catalog.get(&name)?;
    let pairs = parse_query(raw.as_deref());
    let bad = || StudioError::bad_request("This reference link is not valid.");
    let columns = param(&pairs, "c")
        .and_then(decode_value_list)
        .ok_or_else(bad)?;
    let values = param(&pairs, "v")
        .and_then(|v| decode_values(v, columns.len()))
        .ok_or_else(bad)?;
    if columns.is_empty() || !table.has_key() {
        return Err(bad());
    }
    let mut condition = Vec::new();
    for c in &columns {
        let Value::Text(c) = c else { return Err(bad()) };
        let col = table.column(c).ok_or_else(|| {
            StudioError::bad_request(format!("Table {} has no column named {c}.", table.name))
        })?;
        condition.push(format!("{} = ?", quote(&col.name)));
    }
    let sql = format!(
        "SELECT {} FROM {} WHERE {} LIMIT 1",
        table.key_exprs().join(", "),
        quote(&table.name),
        condition.join(" AND ")
    );
    let found = fetch(&conn, &sql, values.clone()).await?;
    let key = found.into_iter().next().ok_or_else(|| {
        StudioError::NotFound(format!(
            "No row of {} has {}: the reference points nowhere.",
            table.name,
            values
                .iter()
                .map(crate::cells::value_text)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, row_href(table, &key))],
    )
        .into_response())
}
