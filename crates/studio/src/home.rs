//! The home page: every table and view with its row count (internal ones apart), and where
//! the database is.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use devhub_db::Location;
use libsql::Value;

use crate::cells::group_thousands;
use crate::error::StudioError;
use crate::layout::{render, table_path, Layout};
use crate::schema::{Catalog, TableKind};
use crate::sql::quote;
use crate::state::StudioState;
use crate::table::fetch;

pub struct TableEntry {
    pub name: String,
    pub href: String,
    pub kind: &'static str,
    pub count: String,
    pub columns: usize,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub mode: &'static str,
    pub location: String,
    pub console: &'static str,
    pub tables: Vec<TableEntry>,
    pub internal: Vec<TableEntry>,
}

/// The mode of the database and where it is, without credentials.
pub fn describe(location: &Location) -> (&'static str, String) {
    match location {
        Location::Local(path) => ("local file", path.display().to_string()),
        Location::Memory => ("in memory", ":memory:".into()),
        Location::Remote { url, .. } => ("remote server", devhub_db::config::redact_url(url)),
        Location::Replica { url, path, .. } => (
            "embedded replica",
            format!(
                "{} (replica of {})",
                path.display(),
                devhub_db::config::redact_url(url)
            ),
        ),
    }
}

pub async fn home(State(state): State<StudioState>) -> Result<Response, StudioError> {
    let conn = state.db().conn().await?;
    let catalog = Catalog::load(&conn).await?;
    let mut tables = Vec::new();
    let mut internal = Vec::new();
    for t in &catalog.tables {
        // A view over a missing table (or a virtual table without its module) cannot be
        // counted; the page says so instead of failing.
        let sql = format!("SELECT count(*) FROM {}", quote(&t.name));
        let count = match fetch(&conn, &sql, Vec::new()).await {
            Ok(rows) => match rows.first().and_then(|r| r.first()) {
                Some(Value::Integer(n)) => group_thousands((*n).max(0) as u64),
                _ => "?".into(),
            },
            Err(_) => "cannot be read".into(),
        };
        let entry = TableEntry {
            name: t.name.clone(),
            href: table_path(&t.name, ""),
            kind: t.kind.label(),
            count,
            columns: t.columns.len(),
        };
        if t.is_internal() {
            internal.push(entry);
        } else {
            tables.push(entry);
        }
    }
    tables.sort_by_key(|t| (t.kind != TableKind::Table.label(), t.name.to_lowercase()));
    let (mode, location) = describe(state.db().location());
    let page = HomePage {
        layout: Layout::new("Tables", "tables"),
        mode,
        location,
        console: if state.settings().allow_writes {
            "writes allowed"
        } else {
            "read-only"
        },
        tables,
        internal,
    };
    Ok(render(StatusCode::OK, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_described_without_credentials() {
        let (mode, location) = describe(&Location::Remote {
            url: "libsql://user:pw@db.example.turso.io?authToken=secret".into(),
            auth_token: "tok".into(),
        });
        assert_eq!(mode, "remote server");
        assert_eq!(location, "libsql://db.example.turso.io");
        let (mode, location) = describe(&Location::Replica {
            url: "https://db.example.com?authToken=secret".into(),
            auth_token: "tok".into(),
            path: "replica.db".into(),
            sync_interval: std::time::Duration::ZERO,
        });
        assert_eq!(mode, "embedded replica");
        assert_eq!(location, "replica.db (replica of https://db.example.com/)");
        assert_eq!(describe(&Location::Local("x.db".into())).1, "x.db");
    }
}
