//! `devhub db pull`: a `schema.sql` written from what a database holds.

use super::schema::{ObjectKind, Schema};
use super::sqltext::{normalize, table_items};
use crate::db::Db;
use crate::error::Result;

/// The schema of `db` (on an embedded replica, the server's) as a `schema.sql`: a header
/// comment naming where and when it was pulled, then [`schema_sql`].
pub async fn pull(db: &Db) -> Result<String> {
    let conn = db.primary().conn().await?;
    let schema = Schema::read(&conn).await?;
    drop(conn);
    Ok(format!(
        "-- Pulled by `devhub db pull` from {} at {}.\n\n{}",
        db.location().describe(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC"),
        schema_sql(&schema)
    ))
}

/// The statements that recreate `schema`, each as SQLite stores it (a table's added columns
/// put on lines of their own: [`tidy_added_columns`]), ending in `;` and
/// separated by a blank line, in an order that runs: tables in creation order, then indexes,
/// virtual tables, views (which may read either) and triggers (which may write any of them).
/// devhub's own bookkeeping tables (`__devhub_…`) are left out.
pub fn schema_sql(schema: &Schema) -> String {
    let bookkeeping = |name: &str| {
        name.to_ascii_lowercase()
            .starts_with(super::drift::BOOKKEEPING_PREFIX)
    };
    let mut statements: Vec<String> = Vec::new();
    statements.extend(
        schema
            .tables
            .iter()
            .filter(|t| !bookkeeping(&t.name))
            .map(|t| tidy_added_columns(&t.sql)),
    );
    statements.extend(
        schema
            .indexes
            .iter()
            .filter(|i| !bookkeeping(&i.table))
            .map(|i| i.sql.clone()),
    );
    for kind in [
        ObjectKind::VirtualTable,
        ObjectKind::View,
        ObjectKind::Trigger,
    ] {
        statements.extend(
            schema
                .objects
                .iter()
                .filter(|o| o.kind == kind && !bookkeeping(&o.name) && !bookkeeping(&o.table))
                .map(|o| o.sql.clone()),
        );
    }
    let mut out = String::new();
    for (i, sql) in statements.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(sql.trim_end().trim_end_matches(';').trim_end());
        out.push_str(";\n");
    }
    out
}

/// A table that `ALTER TABLE … ADD COLUMN` changed, with its added columns on lines of their
/// own like the others. SQLite stores such a table as its original text with `, <column>`
/// put before the closing parenthesis (`…updated_at INTEGER\n, role TEXT, disabled_at
/// INTEGER)`); this puts each added column on its own line with the indentation of the
/// column above. The result must normalise to the stored text (the same table to SQLite),
/// or the stored text is kept as it is.
fn tidy_added_columns(sql: &str) -> String {
    let unchanged = || sql.to_string();
    let Some(pos) = sql.find("\n, ") else {
        return unchanged();
    };
    let Some(items) = table_items(sql) else {
        return unchanged();
    };
    let Some(close) = sql.rfind(')').filter(|close| *close > pos) else {
        return unchanged();
    };
    let inner = &sql[pos + 1..close];
    let indent: String = sql[..pos]
        .lines()
        .last()
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let mut out = sql[..pos].to_string();
    for column in &items.columns {
        if inner.contains(&column.source) {
            out.push_str(",\n");
            out.push_str(&indent);
            out.push_str(&column.source);
        }
    }
    out.push('\n');
    out.push_str(&sql[close..]);
    if normalize(&out) == normalize(sql) {
        out
    } else {
        unchanged()
    }
}

#[cfg(test)]
mod tests {
    use super::tidy_added_columns;

    #[test]
    fn added_columns_go_on_lines_of_their_own() {
        let stored = "CREATE TABLE user (\n    id TEXT PRIMARY KEY,\n    created_at INTEGER DEFAULT (unixepoch())\n, role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')), disabled_at INTEGER)";
        assert_eq!(
            tidy_added_columns(stored),
            "CREATE TABLE user (\n    id TEXT PRIMARY KEY,\n    created_at INTEGER DEFAULT (unixepoch()),\n    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),\n    disabled_at INTEGER\n)"
        );
    }

    #[test]
    fn other_tables_are_kept_as_stored() {
        for sql in [
            "CREATE TABLE t (a TEXT, b INTEGER)",
            "CREATE TABLE t (\n  a TEXT,\n  b INTEGER\n)",
            "CREATE TABLE t (a TEXT CHECK (a <> '\n, x'))",
        ] {
            assert_eq!(tidy_added_columns(sql), sql);
        }
    }
}
