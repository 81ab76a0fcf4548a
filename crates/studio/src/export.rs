//! CSV and JSON exports of a table view (with its filters and order) or of a console query,
//! streamed: rows are read and written in chunks of about 64 KiB through a small channel, so
//! a table of any size is exported without being held in memory.

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use libsql::{Row, Rows, Value};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::error::StudioError;
use crate::layout::{param, parse_query};
use crate::query::TableQuery;
use crate::sql::{db_message, split_statements};
use crate::state::StudioState;
use crate::table::open;

const CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// Writes rows in one format into a growing buffer.
struct Encoder {
    format: Format,
    columns: Vec<String>,
    csv: csv::Writer<Vec<u8>>,
    json: Vec<u8>,
    rows: u64,
}

impl Encoder {
    fn new(format: Format, columns: Vec<String>) -> Result<Encoder, csv::Error> {
        let mut csv = csv::Writer::from_writer(Vec::with_capacity(CHUNK));
        let mut json = Vec::with_capacity(CHUNK);
        match format {
            Format::Csv => csv.write_record(&columns)?,
            Format::Json => json.push(b'['),
        }
        Ok(Encoder {
            format,
            columns,
            csv,
            json,
            rows: 0,
        })
    }

    fn row(&mut self, values: &[Value]) -> Result<(), csv::Error> {
        match self.format {
            Format::Csv => {
                self.csv.write_record(values.iter().map(|v| match v {
                    Value::Null => String::new(),
                    Value::Integer(i) => i.to_string(),
                    Value::Real(f) => f.to_string(),
                    Value::Text(t) => t.clone(),
                    Value::Blob(b) => hex::encode(b),
                }))?;
            }
            Format::Json => {
                if self.rows > 0 {
                    self.json.push(b',');
                }
                self.json.push(b'\n');
                let mut object = serde_json::Map::with_capacity(values.len());
                for (name, value) in self.columns.iter().zip(values) {
                    let json = match value {
                        Value::Null => serde_json::Value::Null,
                        Value::Integer(i) => serde_json::Value::from(*i),
                        Value::Real(f) => serde_json::Number::from_f64(*f)
                            .map_or(serde_json::Value::Null, serde_json::Value::Number),
                        Value::Text(t) => serde_json::Value::from(t.as_str()),
                        // BLOBs as lowercase hex text.
                        Value::Blob(b) => serde_json::Value::from(hex::encode(b)),
                    };
                    object.insert(name.clone(), json);
                }
                serde_json::to_writer(&mut self.json, &object)
                    .map_err(|e| csv::Error::from(std::io::Error::other(e)))?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) {
        if self.format == Format::Json {
            self.json.extend_from_slice(b"\n]\n");
        }
    }

    fn buffered(&self) -> usize {
        self.csv.get_ref().len() + self.json.len()
    }

    fn take(&mut self) -> Result<Bytes, csv::Error> {
        let done = std::mem::replace(
            &mut self.csv,
            csv::Writer::from_writer(Vec::with_capacity(CHUNK)),
        );
        let mut out = done
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        out.append(&mut self.json);
        Ok(Bytes::from(out))
    }
}

/// Characters allowed in a download's file name.
fn file_name(stem: &str, format: Format) -> String {
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{}.{}",
        if clean.is_empty() { "export" } else { &clean },
        format.ext()
    )
}

/// A streamed response of `first` and the rest of `rows`; `keep` (the connection) lives as
/// long as the stream. The caller reads the first row itself: SQLite reports most errors
/// of a statement at its first step, and those deserve a 4xx page, not a broken download.
fn stream<K: Send + 'static>(
    format: Format,
    stem: &str,
    first: Option<Row>,
    mut rows: Rows,
    keep: K,
) -> Response {
    let width = rows.column_count().max(0);
    let columns: Vec<String> = (0..width)
        .map(|i| rows.column_name(i).unwrap_or("?").to_string())
        .collect();
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let _keep = keep;
        let fail = |e: String| std::io::Error::other(e);
        let mut encoder = match Encoder::new(format, columns) {
            Ok(e) => e,
            Err(e) => {
                let _ = tx.send(Err(fail(e.to_string()))).await;
                return;
            }
        };
        let mut first = first;
        loop {
            let next = match first.take() {
                Some(row) => Ok(Some(row)),
                None => rows.next().await,
            };
            let row = match next {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    // The client sees a broken download rather than a silently short file.
                    tracing::warn!(error = %e, "export stopped");
                    let _ = tx.send(Err(fail(db_message(&e)))).await;
                    return;
                }
            };
            let values: Result<Vec<Value>, _> = (0..width).map(|i| row.get_value(i)).collect();
            let written = match values {
                Ok(values) => encoder.row(&values).map_err(|e| e.to_string()),
                Err(e) => Err(db_message(&e)),
            };
            if let Err(e) = written {
                let _ = tx.send(Err(fail(e))).await;
                return;
            }
            if encoder.buffered() >= CHUNK {
                match encoder.take() {
                    // A closed channel means the client went away: stop reading.
                    Ok(bytes) => {
                        if tx.send(Ok(bytes)).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(fail(e.to_string()))).await;
                        return;
                    }
                }
            }
        }
        encoder.finish();
        if let Ok(bytes) = encoder.take() {
            let _ = tx.send(Ok(bytes)).await;
        }
    });
    let mut response = Body::from_stream(ReceiverStream::new(rx)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        file_name(stem, format)
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

async fn table_export(
    state: StudioState,
    name: String,
    raw: Option<String>,
    format: Format,
) -> Result<Response, StudioError> {
    let (conn, catalog) = open(&state).await?;
    let table = catalog.get(&name)?;
    let (query, _) = TableQuery::parse(table, &parse_query(raw.as_deref()))?;
    let (sql, params) = query.export_sql(table);
    let mut rows = conn.query(&sql, libsql::params_from_iter(params)).await?;
    let first = rows.next().await?;
    Ok(stream(format, &table.name, first, rows, conn))
}

pub async fn table_csv(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    table_export(state, name, raw, Format::Csv).await
}

pub async fn table_json(
    State(state): State<StudioState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    table_export(state, name, raw, Format::Json).await
}

/// A console query's whole result. Always read-only, whatever `--allow-writes` says: the
/// connection gets `query_only` and a transaction that is never committed, and since it is
/// left inside that transaction the pool closes it instead of reusing it.
async fn query_export(
    state: StudioState,
    raw: Option<String>,
    format: Format,
) -> Result<Response, StudioError> {
    let pairs = parse_query(raw.as_deref());
    let sql = param(&pairs, "sql").unwrap_or("");
    let statement = match split_statements(sql).as_slice() {
        [one] => one.to_string(),
        [] => return Err(StudioError::bad_request("There is no query to export.")),
        _ => return Err(StudioError::bad_request("Export one statement at a time.")),
    };
    let conn = state.db().conn().await?;
    crate::console::limit_memory(&state, &conn).await?;
    // BEGIN first: should the pragma fail, the connection is already one the pool drops.
    conn.execute("BEGIN", ()).await?;
    if let Err(e) = conn.execute("PRAGMA query_only = ON", ()).await {
        // A remote server may refuse the pragma; the transaction is never committed anyway.
        if state.db().location().is_local() {
            return Err(e.into());
        }
    }
    let refused = |e: libsql::Error| {
        let reason = crate::console::memory_exceeded(&e).unwrap_or_else(|| db_message(&e));
        StudioError::bad_request(format!("The query cannot be exported: {reason}"))
    };
    let mut rows = conn
        .connection()
        .query(&statement, ())
        .await
        .map_err(refused)?;
    let first = rows.next().await.map_err(refused)?;
    Ok(stream(format, "query", first, rows, conn))
}

pub async fn query_csv(
    State(state): State<StudioState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    query_export(state, raw, Format::Csv).await
}

pub async fn query_json(
    State(state): State<StudioState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, StudioError> {
    query_export(state, raw, Format::Json).await
}
