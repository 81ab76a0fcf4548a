//! One repository per entity. Every query on user data is scoped by the owner's id.

pub mod api_token;
pub mod background;
pub mod cadence;
pub mod contact;
pub mod contact_info;
pub mod follow_up;
pub mod import_upload;
pub mod interaction;
pub mod session;
pub mod tag;
pub mod user;
pub mod user_settings;

use libsql::params::IntoParams;
use libsql::{Connection, Row};
use sha2::{Digest, Sha256};

use crate::error::Result;

/// Runs a statement that answers with at most one row (a lookup by key, an
/// `INSERT`/`UPDATE … RETURNING`) and converts that row.
///
/// A local libSQL connection reports a failing statement (a constraint violation) at the first
/// `next()`, a remote one at `query()`: callers that map constraint errors map the error of
/// this whole call, never of `query()` alone. The statement is finished when this returns, so
/// a transaction can commit right after.
pub(crate) async fn query_one<T>(
    conn: &Connection,
    sql: &str,
    params: impl IntoParams,
    from_row: impl Fn(&Row) -> Result<T>,
) -> Result<Option<T>> {
    let mut rows = conn.query(sql, params).await?;
    let row = rows.next().await?;
    row.as_ref().map(from_row).transpose()
}

/// Runs a query and converts every row.
pub(crate) async fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl IntoParams,
    from_row: impl Fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    let mut rows = conn.query(sql, params).await?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().await? {
        out.push(from_row(&row)?);
    }
    Ok(out)
}

/// The single integer a `SELECT count(*) …` answers.
pub(crate) async fn query_count(
    conn: &Connection,
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
