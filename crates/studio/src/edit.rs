//! Inserting, editing and deleting rows through forms. Inputs follow the column: a date-time
//! input for timestamps, a checkbox for booleans, a textarea for long text, a select of the
//! existing keys for a foreign key into a small table; NULL and DEFAULT are explicit choices.
//! Every write runs in one transaction: when the database refuses it (NOT NULL, CHECK,
//! UNIQUE, FOREIGN KEY) the form comes back with the database's message and the input kept,
//! and nothing has changed.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use libsql::Value;

use crate::cells::{blob_summary, group_thousands, value_text};
use crate::error::StudioError;
use crate::layout::{param, parse_query, render, table_path, with_query, Layout};
use crate::query::parse_date;
use crate::row::{key_label, key_param, row_href, row_title};
use crate::schema::{Affinity, Catalog, Column, ColumnKind, Table};
use crate::sql::{db_message, encode_values, quote};
use crate::state::StudioState;
use crate::table::{cells_for, count, fetch, key_condition, load_row, open};

/// (column, value) pairs to write.
type Assignments = Vec<(String, Value)>;
/// (column, message) pairs shown beside the fields.
type FieldErrors = Vec<(String, String)>;

/// Referenced tables with at most this many rows get a select of their keys.
const SMALL_TABLE: usize = 100;
/// Text longer than this is edited in a textarea.
const LONG_TEXT: usize = 60;

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct FieldForm {
    pub name: String,
    pub id: String,
    pub decl_type: String,
    /// `text`, `number`, `datetime`, `checkbox`, `textarea`, `select`, `blob`, `generated`.
    pub input: &'static str,
    pub step: &'static str,
    /// `value`, `null`, `default` or `keep`.
    pub mode: String,
    pub value: String,
    pub checked: bool,
    pub options: Vec<SelectOption>,
    pub allow_null: bool,
    pub allow_default: bool,
    pub allow_keep: bool,
    pub default_label: String,
    pub not_null: bool,
    pub error: String,
}

#[derive(Template)]
#[template(path = "edit.html")]
pub struct EditPage {
    pub layout: Layout,
    pub table: String,
    pub table_href: String,
    pub heading: String,
    pub action: String,
    pub cancel_href: String,
    pub fields: Vec<FieldForm>,
    pub error: String,
    pub is_new: bool,
}

pub struct CascadeLine {
    pub table: String,
    pub count: String,
}

#[derive(Template)]
#[template(path = "delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub table: String,
    pub table_href: String,
    pub key_label: String,
    pub action: String,
    pub cancel_href: String,
    pub summary: Vec<(String, crate::cells::Cell)>,
    pub cascades: Vec<CascadeLine>,
    pub cascade_total: String,
    pub error: String,
}

fn writable<'a>(catalog: &'a Catalog, name: &str) -> Result<&'a Table, StudioError> {
    let table = catalog.get(name)?;
    if !table.is_writable() {
        return Err(StudioError::bad_request(format!(
            "{} is a {}: the studio edits rows of tables only.",
            table.name,
            table.kind.label()
        )));
    }
    Ok(table)
}

fn see_other(target: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
}

fn form_value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    param(form, key)
}

/// `2024-05-01T12:30:00` for a datetime-local input.
fn datetime_input(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0).map(|at| at.format("%Y-%m-%dT%H:%M:%S").to_string())
}

fn is_long_text_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "notes",
        "note",
        "description",
        "body",
        "comment",
        "content",
        "text",
        "bio",
    ]
    .iter()
    .any(|w| n == *w || n.ends_with(&format!("_{w}")))
}

/// The rows of a small referenced table, as select options (`None` when it is not small).
async fn reference_options(
    conn: &devhub_db::PooledConn,
    catalog: &Catalog,
    table: &Table,
    column: &Column,
) -> Result<Option<Vec<(String, String)>>, StudioError> {
    let Some(fk) = table
        .foreign_key_of(&column.name)
        .filter(|fk| fk.from.len() == 1)
    else {
        return Ok(None);
    };
    let Some(target) = catalog.referenced(fk) else {
        return Ok(None);
    };
    let Some(to) = fk.to.first() else {
        return Ok(None);
    };
    // A readable label beside the key, when the referenced table has a name-like column.
    let label = target
        .columns
        .iter()
        .find(|c| {
            matches!(
                c.name.to_ascii_lowercase().as_str(),
                "name" | "username" | "title" | "label" | "email"
            )
        })
        .map(|c| quote(&c.name))
        .unwrap_or_else(|| quote(to));
    let sql = format!(
        "SELECT {}, {label} FROM {} ORDER BY 2 LIMIT {}",
        quote(to),
        quote(&target.name),
        SMALL_TABLE + 1
    );
    let rows = fetch(conn, &sql, Vec::new()).await?;
    if rows.len() > SMALL_TABLE {
        return Ok(None);
    }
    Ok(Some(
        rows.iter()
            .map(|r| {
                let value = value_text(&r[0]);
                let label = value_text(&r[1]);
                let label = if label == value {
                    value.clone()
                } else {
                    format!("{label} ({value})")
                };
                (value, label)
            })
            .collect(),
    ))
}

/// What a form shows for each column: the stored values (editing), nothing (a new row), or
/// what was submitted (a refused write, shown again).
#[derive(Clone, Copy)]
enum Source<'a> {
    Stored(&'a [Value]),
    New,
    Submitted(&'a [(String, String)]),
}

async fn build_fields(
    conn: &devhub_db::PooledConn,
    catalog: &Catalog,
    table: &Table,
    source: Source<'_>,
    editing: bool,
    errors: &[(String, String)],
) -> Result<Vec<FieldForm>, StudioError> {
    let mut fields = Vec::new();
    for (i, col) in table.columns.iter().enumerate() {
        let stored = match source {
            Source::Stored(values) => values.get(i),
            _ => None,
        };
        let submitted = match source {
            Source::Submitted(form) => Some(form),
            _ => None,
        };
        let rowid_alias = col.pk > 0
            && !table.without_rowid
            && col.decl_type.eq_ignore_ascii_case("INTEGER")
            && table.columns.iter().filter(|c| c.pk > 0).count() == 1;
        let allow_default = !editing && (col.default.is_some() || rowid_alias || !col.not_null);
        let options = if col.generated {
            None
        } else {
            reference_options(conn, catalog, table, col).await?
        };
        let current_text = match (stored, submitted) {
            (_, Some(form)) => form_value(form, &format!("v.{}", col.name))
                .unwrap_or("")
                .to_string(),
            (Some(Value::Integer(n)), None) if col.kind == ColumnKind::Timestamp => {
                datetime_input(*n).unwrap_or_else(|| n.to_string())
            }
            (Some(v), None) => value_text(v),
            (None, None) => String::new(),
        };
        let is_blob = matches!(stored, Some(Value::Blob(_)));
        let input = if col.generated {
            "generated"
        } else if is_blob {
            "blob"
        } else if col.kind == ColumnKind::Boolean {
            "checkbox"
        } else if options.is_some() {
            "select"
        } else if col.kind == ColumnKind::Timestamp
            && !matches!(stored, Some(Value::Text(_)) | Some(Value::Real(_)))
        {
            "datetime"
        } else if col.affinity.is_numeric() && !matches!(stored, Some(Value::Text(_))) {
            "number"
        } else if current_text.chars().count() > LONG_TEXT
            || current_text.contains('\n')
            || is_long_text_name(&col.name)
        {
            "textarea"
        } else {
            "text"
        };
        let mode = match (stored, submitted) {
            (_, Some(form)) => form_value(form, &format!("m.{}", col.name))
                .unwrap_or("value")
                .to_string(),
            _ if is_blob => "keep".into(),
            (Some(Value::Null), None) => "null".into(),
            (Some(_), None) => "value".into(),
            (None, None) if allow_default && (col.default.is_some() || rowid_alias) => {
                "default".into()
            }
            (None, None) => "value".into(),
        };
        let checked = match (stored, submitted) {
            (_, Some(form)) => form_value(form, &format!("v.{}", col.name)).is_some(),
            (Some(Value::Integer(n)), None) => *n != 0,
            (None, None) => col.default.as_deref().is_some_and(|d| d.trim() == "1"),
            _ => false,
        };
        let value = if is_blob {
            stored
                .map(|v| match v {
                    Value::Blob(b) => blob_summary(b),
                    _ => String::new(),
                })
                .unwrap_or_default()
        } else {
            current_text.clone()
        };
        fields.push(FieldForm {
            name: col.name.clone(),
            id: format!("field-{i}"),
            decl_type: col.decl_type.clone(),
            input,
            step: if col.affinity == Affinity::Integer {
                "1"
            } else {
                "any"
            },
            mode,
            options: options
                .unwrap_or_default()
                .into_iter()
                .map(|(value, label)| SelectOption {
                    selected: value == current_text,
                    value,
                    label,
                })
                .collect(),
            value,
            checked,
            allow_null: true,
            allow_default,
            allow_keep: editing && is_blob,
            default_label: match (&col.default, rowid_alias) {
                (Some(d), _) => format!("default ({d})"),
                (None, true) => "default (next rowid)".into(),
                (None, false) => "default (NULL)".into(),
            },
            not_null: col.not_null,
            error: errors
                .iter()
                .find(|(c, _)| *c == col.name)
                .map(|(_, e)| e.clone())
                .unwrap_or_default(),
        });
    }
    Ok(fields)
}

/// The submitted form as (column, value to write) pairs; DEFAULT, "keep" and unmentioned
/// columns are left out. Values that cannot be what the input promised (a number, a date) are field errors.
fn parse_submission(table: &Table, form: &[(String, String)]) -> (Assignments, FieldErrors) {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for col in table.columns.iter().filter(|c| !c.generated) {
        let mode = form_value(form, &format!("m.{}", col.name));
        let raw = form_value(form, &format!("v.{}", col.name));
        // A column the form does not mention at all is left alone (DEFAULT on insert). The
        // studio's forms always send the choice, so an unticked checkbox still counts.
        if mode.is_none() && raw.is_none() {
            continue;
        }
        let mode = mode.unwrap_or("value");
        match mode {
            "default" | "keep" => continue,
            "null" => {
                values.push((col.name.clone(), Value::Null));
                continue;
            }
            "value" => {}
            other => {
                errors.push((col.name.clone(), format!("Unknown choice {other}.")));
                continue;
            }
        }
        let parsed = if col.kind == ColumnKind::Boolean {
            // A checkbox sends its value only when ticked.
            Ok(Value::Integer(i64::from(raw.is_some())))
        } else {
            let text = raw.unwrap_or("");
            if col.kind == ColumnKind::Timestamp && !text.trim().is_empty() {
                text.trim()
                    .parse::<i64>()
                    .ok()
                    .or_else(|| parse_date(text))
                    .map(Value::Integer)
                    .ok_or_else(|| "Enter a date and time, or choose NULL.".to_string())
            } else if col.affinity.is_numeric() {
                let t = text.trim();
                if t.is_empty() {
                    Err("Enter a number, or choose NULL or DEFAULT.".to_string())
                } else if let Ok(i) = t.parse::<i64>() {
                    Ok(if col.affinity == Affinity::Real {
                        Value::Real(i as f64)
                    } else {
                        Value::Integer(i)
                    })
                } else if let Ok(f) = t.parse::<f64>() {
                    Ok(Value::Real(f))
                } else if col.affinity == Affinity::Numeric {
                    Ok(Value::Text(t.to_string()))
                } else {
                    Err(format!("\"{t}\" is not a number."))
                }
            } else {
                Ok(Value::Text(text.to_string()))
            }
        };
        match parsed {
            Ok(v) => values.push((col.name.clone(), v)),
            Err(e) => errors.push((col.name.clone(), e)),
        }
    }
    (values, errors)
}

/// Runs one write in a transaction; returns the written row's key, or the database's message.
async fn write(
    conn: &devhub_db::PooledConn,
    sql: &str,
    params: Vec<Value>,
) -> Result<Result<Option<Vec<Value>>, String>, StudioError> {
    // A transaction begun by hand, so that the write's answer is read through the pooled
    // connection (on a server, whole: one batch).
    let db = conn.connection();
    db.execute("BEGIN IMMEDIATE", ()).await?;
    let failed = match fetch(conn, sql, params).await {
        Ok(rows) => match db.execute("COMMIT", ()).await {
            Ok(_) => return Ok(Ok(rows.into_iter().next())),
            Err(e) => Ok(Err(db_message(&e))),
        },
        Err(StudioError::Database(e)) => Ok(Err(db_message(&e))),
        Err(other) => Err(other),
    };
    // Nothing was committed: the transaction ends here.
    let _ = db.execute("ROLLBACK", ()).await;
    failed
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    conn: &devhub_db::PooledConn,
    catalog: &Catalog,
    table: &Table,
    source: Source<'_>,
    key: Option<&[Value]>,
    errors: &[(String, String)],
    error: String,
    status: StatusCode,
) -> Result<Response, StudioError> {
    let editing = key.is_some();
    let name = match (source, key) {
        (Source::Stored(values), Some(k)) => row_title(table, k, values),
        (_, Some(k)) => key_label(table, k),
        (_, None) => String::new(),
    };
    let fields = build_fields(conn, catalog, table, source, editing, errors).await?;
    let (heading, action, cancel_href) = match key {
        Some(k) => (
            format!("Edit {} · {name}", table.name),
            with_query(
                &table_path(&table.name, "/edit"),
                &[("k".into(), encode_values(k))],
            ),
            row_href(table, k),
        ),
        None => (
            format!("New row in {}", table.name),
            table_path(&table.name, "/new"),
            table_path(&table.name, ""),
        ),
    };
    let page = EditPage {
        layout: Layout::new(heading.clone(), "tables"),
        table: table.name.clone(),
        table_href: table_path(&table.name, ""),
        heading,
        action,
        cancel_href,
        fields,
        error,
        is_new: !editing,
    };
    Ok(render(status, &page))
}

pub async fn new_form(
    State(state): State<StudioState>,
    Path(name): Path<String>,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = writable(&catalog, &name)?;
    form_page(
        &conn,
        &catalog,
        table,
        Source::New,
        None,
        &[],
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn insert(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = writable(&catalog, &name)?;
    let (values, errors) = parse_submission(table, &form);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !errors.is_empty() {
        let message = "Some values need fixing; nothing was saved.".to_string();
        let source = Source::Submitted(&form);
        return form_page(
            &conn,
            &catalog,
            table,
            source,
            None,
            &errors,
            message,
            unprocessable,
        )
        .await;
    }
    let returning = table.key_exprs().join(", ");
    let sql = if values.is_empty() {
        format!(
            "INSERT INTO {} DEFAULT VALUES RETURNING {returning}",
            quote(&table.name)
        )
    } else {
        format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING {returning}",
            quote(&table.name),
            values
                .iter()
                .map(|(c, _)| quote(c))
                .collect::<Vec<_>>()
                .join(", "),
            vec!["?"; values.len()].join(", ")
        )
    };
    let params = values.into_iter().map(|(_, v)| v).collect();
    match write(&conn, &sql, params).await? {
        Ok(Some(key)) => Ok(see_other(with_query(
            &row_href(table, &key),
            &[("done".into(), "created".into())],
        ))),
        Ok(None) => Ok(see_other(table_path(&table.name, ""))),
        Err(message) => {
            let source = Source::Submitted(&form);
            form_page(
                &conn,
                &catalog,
                table,
                source,
                None,
                &[],
                message,
                unprocessable,
            )
            .await
        }
    }
}

pub async fn edit_form(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = writable(&catalog, &name)?;
    let key = key_param(table, &parse_query(raw.as_deref()))?;
    let values = load_row(&conn, table, &key)
        .await?
        .ok_or_else(|| missing(table, &key))?;
    let source = Source::Stored(&values);
    form_page(
        &conn,
        &catalog,
        table,
        source,
        Some(&key),
        &[],
        String::new(),
        StatusCode::OK,
    )
    .await
}

fn missing(table: &Table, key: &[Value]) -> StudioError {
    StudioError::NotFound(format!(
        "{} has no row with {}.",
        table.name,
        key_label(table, key)
    ))
}

pub async fn update(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = writable(&catalog, &name)?;
    let key = key_param(table, &parse_query(raw.as_deref()))?;
    let (values, errors) = parse_submission(table, &form);
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if !errors.is_empty() {
        let message = "Some values need fixing; nothing was saved.".to_string();
        let source = Source::Submitted(&form);
        return form_page(
            &conn,
            &catalog,
            table,
            source,
            Some(&key),
            &errors,
            message,
            unprocessable,
        )
        .await;
    }
    if values.is_empty() {
        return Ok(see_other(row_href(table, &key)));
    }
    let sql = format!(
        "UPDATE {} SET {} WHERE {} RETURNING {}",
        quote(&table.name),
        values
            .iter()
            .map(|(c, _)| format!("{} = ?", quote(c)))
            .collect::<Vec<_>>()
            .join(", "),
        key_condition(table),
        table.key_exprs().join(", ")
    );
    let mut params: Vec<Value> = values.into_iter().map(|(_, v)| v).collect();
    params.extend(key.iter().cloned());
    match write(&conn, &sql, params).await? {
        Ok(Some(new_key)) => Ok(see_other(with_query(
            &row_href(table, &new_key),
            &[("done".into(), "saved".into())],
        ))),
        Ok(None) => Err(missing(table, &key)),
        Err(message) => {
            let source = Source::Submitted(&form);
            form_page(
                &conn,
                &catalog,
                table,
                source,
                Some(&key),
                &[],
                message,
                unprocessable,
            )
            .await
        }
    }
}

/// Where `ON DELETE CASCADE` reaches from the rows of `table` matching `condition`: for each
/// table, the conditions (all with `params`) of the paths that reach it, a few levels deep.
/// Paths with no rows are not followed further.
async fn cascade_paths(
    conn: &devhub_db::PooledConn,
    catalog: &Catalog,
    table: &Table,
    condition: &str,
    params: &[Value],
    depth: usize,
    out: &mut Vec<(String, Vec<String>)>,
) -> Result<(), StudioError> {
    if depth > 4 {
        return Ok(());
    }
    for (child, fk) in catalog.references_to(&table.name) {
        if !fk.on_delete.eq_ignore_ascii_case("CASCADE") || fk.to.len() != fk.from.len() {
            continue;
        }
        let list = |cols: &[String]| cols.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
        let child_condition = format!(
            "({}) IN (SELECT {} FROM {} WHERE {condition})",
            list(&fk.from),
            list(&fk.to),
            quote(&table.name)
        );
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {child_condition}",
            quote(&child.name)
        );
        if count(conn, &sql, params.to_vec()).await? == 0 {
            continue;
        }
        match out.iter_mut().find(|(t, _)| *t == child.name) {
            Some((_, conditions)) => conditions.push(child_condition.clone()),
            None => out.push((child.name.clone(), vec![child_condition.clone()])),
        }
        Box::pin(cascade_paths(
            conn,
            catalog,
            child,
            &child_condition,
            params,
            depth + 1,
            out,
        ))
        .await?;
    }
    Ok(())
}

/// Rows that `ON DELETE CASCADE` removes with the rows of `table` matching `condition`, per
/// table; a row reached along several paths counts once.
async fn cascade_counts(
    conn: &devhub_db::PooledConn,
    catalog: &Catalog,
    table: &Table,
    condition: &str,
    params: &[Value],
) -> Result<Vec<(String, i64)>, StudioError> {
    let mut paths = Vec::new();
    cascade_paths(conn, catalog, table, condition, params, 0, &mut paths).await?;
    let mut counts = Vec::new();
    for (name, conditions) in paths {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE ({})",
            quote(&name),
            conditions.join(") OR (")
        );
        let all_params = conditions
            .iter()
            .flat_map(|_| params.iter().cloned())
            .collect();
        counts.push((name, count(conn, &sql, all_params).await?));
    }
    Ok(counts)
}

async fn delete_page(
    conn: &devhub_db::PooledConn,
    catalog: &Catalog,
    table: &Table,
    key: &[Value],
    values: &[Value],
    error: String,
    status: StatusCode,
) -> Result<Response, StudioError> {
    let cascades = cascade_counts(conn, catalog, table, &key_condition(table), key).await?;
    let total: i64 = cascades.iter().map(|(_, n)| n).sum();
    let k = encode_values(key);
    let page = DeletePage {
        layout: Layout::new(format!("Delete from {}", table.name), "tables"),
        table: table.name.clone(),
        table_href: table_path(&table.name, ""),
        key_label: row_title(table, key, values),
        action: with_query(&table_path(&table.name, "/delete"), &[("k".into(), k)]),
        cancel_href: row_href(table, key),
        summary: table
            .columns
            .iter()
            .map(|c| c.name.clone())
            .zip(cells_for(table, values, true))
            .take(8)
            .collect(),
        cascades: cascades
            .into_iter()
            .map(|(table, n)| CascadeLine {
                table,
                count: format!(
                    "{} row{}",
                    group_thousands(n.max(0) as u64),
                    if n == 1 { "" } else { "s" }
                ),
            })
            .collect(),
        cascade_total: group_thousands(total.max(0) as u64),
        error,
    };
    Ok(render(status, &page))
}

pub async fn confirm_delete(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = writable(&catalog, &name)?;
    let key = key_param(table, &parse_query(raw.as_deref()))?;
    let values = load_row(&conn, table, &key)
        .await?
        .ok_or_else(|| missing(table, &key))?;
    delete_page(
        &conn,
        &catalog,
        table,
        &key,
        &values,
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn delete(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = writable(&catalog, &name)?;
    let key = key_param(table, &parse_query(raw.as_deref()))?;
    let values = load_row(&conn, table, &key)
        .await?
        .ok_or_else(|| missing(table, &key))?;
    let sql = format!(
        "DELETE FROM {} WHERE {} RETURNING {}",
        quote(&table.name),
        key_condition(table),
        table.key_exprs().join(", ")
    );
    match write(&conn, &sql, key.clone()).await? {
        Ok(_) => Ok(see_other(with_query(
            &table_path(&table.name, ""),
            &[("done".into(), "deleted".into())],
        ))),
        Err(message) => {
            delete_page(
                &conn,
                &catalog,
                table,
                &key,
                &values,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
