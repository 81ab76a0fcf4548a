//! `devhub db pull`: a `schema.sql` written from what a database holds.

use super::schema::{ObjectKind, Schema};
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

/// The statements that recreate `schema`, each as SQLite stores it, ending in `;` and
/// separated by a blank line, in an order that runs: tables in creation order, then indexes,
/// virtual tables, views (which may read either) and triggers (which may write any of them).
/// devhub's own bookkeeping tables (`__devhub_…`) are left out.
pub fn schema_sql(schema: &Schema) -> String {
    let bookkeeping = |name: &str| {
        name.to_ascii_lowercase()
            .starts_with(super::drift::BOOKKEEPING_PREFIX)
    };
    let mut statements: Vec<&str> = Vec::new();
    statements.extend(
        schema
            .tables
            .iter()
            .filter(|t| !bookkeeping(&t.name))
            .map(|t| t.sql.as_str()),
    );
    statements.extend(
        schema
            .indexes
            .iter()
            .filter(|i| !bookkeeping(&i.table))
            .map(|i| i.sql.as_str()),
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
                .map(|o| o.sql.as_str()),
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
