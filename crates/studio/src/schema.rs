//! What the database holds, read from SQLite's own catalog (`pragma_table_list`,
//! `pragma_table_xinfo`, `pragma_foreign_key_list`, `pragma_index_list`): tables and views, their
//! columns, keys, indexes and foreign keys. Names are bound as parameters of the pragma
//! functions, never spliced into SQL.

use devhub_db::repo::query_all;
use libsql::Value;

use crate::error::StudioError;
use crate::sql::quote;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Table,
    View,
    Virtual,
    Shadow,
}

impl TableKind {
    pub fn label(self) -> &'static str {
        match self {
            TableKind::Table => "table",
            TableKind::View => "view",
            TableKind::Virtual => "virtual table",
            TableKind::Shadow => "shadow table",
        }
    }
}

/// SQLite's type affinity of a declared column type (the rules of §3.1 of its datatype page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl Affinity {
    pub fn of(decl: &str) -> Affinity {
        let d = decl.to_ascii_uppercase();
        if d.contains("INT") {
            Affinity::Integer
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            Affinity::Text
        } else if d.contains("BLOB") || d.trim().is_empty() {
            Affinity::Blob
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Affinity::Integer | Affinity::Real | Affinity::Numeric)
    }
}

/// How a column's values are shown and edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Unix seconds (an integer column named like a time, or declared DATE/TIME).
    Timestamp,
    /// 0/1 (declared BOOL, or checked `IN (0, 1)` by the table).
    Boolean,
    Plain,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub decl_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// Position in the primary key, 0 when not part of it.
    pub pk: i64,
    /// Generated columns cannot be written.
    pub generated: bool,
    pub affinity: Affinity,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub id: i64,
    /// The referenced table.
    pub table: String,
    pub from: Vec<String>,
    /// The referenced columns (the referenced table's primary key when the schema omits them).
    pub to: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk`.
    pub origin: String,
    pub partial: bool,
    pub columns: Vec<String>,
}

/// How rows of a table are identified for paging and for the row page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKey {
    /// The rowid, under a name no column shadows (`rowid`, `_rowid_` or `oid`).
    Rowid(&'static str),
    /// A WITHOUT ROWID table's primary key columns.
    PrimaryKey(Vec<String>),
    /// Views: no stable key (paged by offset).
    None,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub kind: TableKind,
    pub without_rowid: bool,
    pub strict: bool,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub sql: String,
    pub key: RowKey,
    /// Why the table cannot be read, when it cannot (its columns are then unknown).
    pub error: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Internal tables are listed apart on the home page.
    pub fn is_internal(&self) -> bool {
        is_internal_name(&self.name) || self.kind == TableKind::Shadow
    }

    /// The SQL expressions that identify a row (quoted column names or the rowid alias).
    pub fn key_exprs(&self) -> Vec<String> {
        match &self.key {
            RowKey::Rowid(alias) => vec![(*alias).to_string()],
            RowKey::PrimaryKey(cols) => cols.iter().map(|c| quote(c)).collect(),
            RowKey::None => Vec::new(),
        }
    }

    /// Human names of the key parts, for messages.
    pub fn key_names(&self) -> Vec<String> {
        match &self.key {
            RowKey::Rowid(alias) => vec![(*alias).to_string()],
            RowKey::PrimaryKey(cols) => cols.clone(),
            RowKey::None => Vec::new(),
        }
    }

    pub fn has_key(&self) -> bool {
        self.key != RowKey::None
    }

    /// The single foreign key that starts at `column`, if any.
    pub fn foreign_key_of(&self, column: &str) -> Option<&ForeignKey> {
        self.foreign_keys
            .iter()
            .find(|fk| fk.from.iter().any(|c| c == column))
    }

    pub fn is_writable(&self) -> bool {
        self.kind == TableKind::Table && self.has_key()
    }

    /// The quoted list of the visible columns for `SELECT`.
    pub fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| quote(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const UNREADABLE: &str =
    "SQLite cannot open it here (a virtual table whose module this build lacks, or a broken definition)";

pub fn is_internal_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("sqlite_") || lower.starts_with("libsql_") || lower == "__devhub_migrations"
}

/// Every table and view of the main schema.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub tables: Vec<Table>,
}

impl Catalog {
    /// Every read is taken whole before the next (on a server, one batch each).
    pub async fn load(conn: &devhub_db::PooledConn) -> Result<Catalog, StudioError> {
        let mut tables: Vec<Table> = query_all(
            conn,
            "SELECT l.name, l.type, l.wr, l.strict, coalesce(m.sql, '') \
             FROM pragma_table_list AS l LEFT JOIN sqlite_schema AS m ON m.name = l.name \
             WHERE l.schema = 'main' ORDER BY l.name",
            (),
            |row| {
                let kind = match row.get::<String>(1)?.as_str() {
                    "view" => TableKind::View,
                    "virtual" => TableKind::Virtual,
                    "shadow" => TableKind::Shadow,
                    _ => TableKind::Table,
                };
                Ok(Table {
                    name: row.get(0)?,
                    kind,
                    without_rowid: row.get::<i64>(2)? != 0,
                    strict: row.get::<i64>(3)? != 0,
                    columns: Vec::new(),
                    foreign_keys: Vec::new(),
                    indexes: Vec::new(),
                    sql: row.get(4)?,
                    key: RowKey::None,
                    error: None,
                })
            },
        )
        .await?;

        // Tables SQLite cannot open here (a virtual table whose module it lacks) are missing
        // from `pragma_table_list`; they are listed all the same, as unreadable.
        let unreadable = query_all(
            conn,
            "SELECT name, type, coalesce(sql, '') FROM sqlite_schema \
             WHERE type IN ('table', 'view') \
             AND name NOT IN (SELECT name FROM pragma_table_list WHERE schema = 'main')",
            (),
            |row| {
                let sql: String = row.get(2)?;
                let kind = if row.get::<String>(1)? == "view" {
                    TableKind::View
                } else if sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL") {
                    TableKind::Virtual
                } else {
                    TableKind::Table
                };
                Ok(Table {
                    name: row.get(0)?,
                    kind,
                    without_rowid: false,
                    strict: false,
                    columns: Vec::new(),
                    foreign_keys: Vec::new(),
                    indexes: Vec::new(),
                    sql,
                    key: RowKey::None,
                    error: Some(UNREADABLE.into()),
                })
            },
        )
        .await?;
        tables.extend(unreadable);

        // One query for every table's columns; should it fail (a virtual table whose module
        // this SQLite lacks fails `table_xinfo`), table by table, so one unreadable table
        // does not take the others down.
        let joined = "SELECT l.name, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden \
             FROM pragma_table_list AS l JOIN pragma_table_xinfo(l.name, l.schema) AS c \
             WHERE l.schema = 'main' ORDER BY l.name, c.cid";
        let single = "SELECT ?1, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk, c.hidden \
             FROM pragma_table_xinfo(?1, 'main') AS c ORDER BY c.cid";
        if let Err(e) = load_columns(conn, &mut tables, joined, None).await {
            tracing::debug!(error = %e, "reading the columns table by table");
            let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
            for name in names {
                for t in tables.iter_mut().filter(|t| t.name == name) {
                    t.columns.clear();
                }
                if let Err(e) = load_columns(conn, &mut tables, single, Some(&name)).await {
                    if let Some(t) = tables.iter_mut().find(|t| t.name == name) {
                        t.columns.clear();
                        t.error = Some(match e {
                            devhub_db::Error::Database(e) => crate::sql::db_message(&e),
                            other => other.to_string(),
                        });
                    }
                }
            }
        }

        let keys = query_all(
            conn,
            "SELECT l.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
             FROM pragma_table_list AS l JOIN pragma_foreign_key_list(l.name, l.schema) AS f \
             WHERE l.schema = 'main' ORDER BY l.name, f.id, f.seq",
            (),
            |row| {
                let to: Option<String> = match row.get_value(4)? {
                    Value::Text(s) => Some(s),
                    _ => None,
                };
                Ok((
                    row.get::<String>(0)?,
                    row.get::<i64>(1)?,
                    row.get::<String>(2)?,
                    row.get::<String>(3)?,
                    to,
                    row.get::<String>(5)?,
                    row.get::<String>(6)?,
                ))
            },
        )
        .await?;
        for (table, id, referenced, from, to, on_update, on_delete) in keys {
            let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
                continue;
            };
            if let Some(fk) = t.foreign_keys.iter_mut().find(|f| f.id == id) {
                fk.from.push(from);
                fk.to.extend(to);
            } else {
                t.foreign_keys.push(ForeignKey {
                    id,
                    table: referenced,
                    from: vec![from],
                    to: to.into_iter().collect(),
                    on_update,
                    on_delete,
                });
            }
        }

        let indexes = query_all(
            conn,
            "SELECT l.name, i.name, i.\"unique\", i.origin, i.partial, coalesce(c.name, '(expression)') \
             FROM pragma_table_list AS l JOIN pragma_index_list(l.name, l.schema) AS i \
             JOIN pragma_index_info(i.name, l.schema) AS c \
             WHERE l.schema = 'main' ORDER BY l.name, i.name, c.seqno",
            (),
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<String>(1)?,
                    row.get::<i64>(2)? != 0,
                    row.get::<String>(3)?,
                    row.get::<i64>(4)? != 0,
                    row.get::<String>(5)?,
                ))
            },
        )
        .await?;
        for (table, name, unique, origin, partial, column) in indexes {
            let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
                continue;
            };
            if let Some(index) = t.indexes.iter_mut().find(|i| i.name == name) {
                index.columns.push(column);
            } else {
                t.indexes.push(Index {
                    name,
                    unique,
                    origin,
                    partial,
                    columns: vec![column],
                });
            }
        }

        // Foreign keys that name no columns reference the primary key.
        let primary_keys: Vec<(String, Vec<String>)> = tables
            .iter()
            .map(|t| (t.name.clone(), pk_columns(&t.columns)))
            .collect();
        for t in &mut tables {
            // Every table has a column: none means SQLite could not read its definition.
            if t.columns.is_empty() && t.error.is_none() {
                t.error = Some(UNREADABLE.into());
            }
            t.key = match t.kind {
                TableKind::View => RowKey::None,
                _ if t.without_rowid => RowKey::PrimaryKey(pk_columns(&t.columns)),
                _ => ["rowid", "_rowid_", "oid"]
                    .into_iter()
                    .find(|alias| !t.columns.iter().any(|c| c.name.eq_ignore_ascii_case(alias)))
                    .map_or(RowKey::None, RowKey::Rowid),
            };
            for fk in &mut t.foreign_keys {
                if fk.to.len() != fk.from.len() {
                    fk.to = primary_keys
                        .iter()
                        .find(|(name, _)| name.eq_ignore_ascii_case(&fk.table))
                        .map(|(_, pk)| pk.clone())
                        .unwrap_or_default();
                }
            }
        }
        Ok(Catalog { tables })
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The table called `name`, or a 404 that names it (a 400 when it cannot be read).
    pub fn get(&self, name: &str) -> Result<&Table, StudioError> {
        let table = self.table(name).ok_or_else(|| {
            StudioError::NotFound(format!("There is no table or view named {name}."))
        })?;
        match &table.error {
            Some(e) => Err(StudioError::bad_request(format!(
                "{} cannot be read here: {e}.",
                table.name
            ))),
            None => Ok(table),
        }
    }

    /// Every (table, foreign key) that references `target`.
    pub fn references_to<'a>(
        &'a self,
        target: &'a str,
    ) -> impl Iterator<Item = (&'a Table, &'a ForeignKey)> + 'a {
        self.tables.iter().flat_map(move |t| {
            t.foreign_keys
                .iter()
                .filter(move |fk| fk.table.eq_ignore_ascii_case(target))
                .map(move |fk| (t, fk))
        })
    }

    /// The referenced table of a foreign key (SQLite matches its name case-insensitively).
    pub fn referenced(&self, fk: &ForeignKey) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(&fk.table))
    }
}

/// Reads (table, column…) rows from `sql` into the tables' columns.
async fn load_columns(
    conn: &devhub_db::PooledConn,
    tables: &mut [Table],
    sql: &str,
    table: Option<&str>,
) -> Result<(), devhub_db::Error> {
    let params = match table {
        Some(name) => vec![Value::Text(name.to_string())],
        None => Vec::new(),
    };
    let columns = query_all(conn, sql, libsql::params_from_iter(params), |row| {
        let default = match row.get_value(4)? {
            Value::Text(s) => Some(s),
            Value::Null => None,
            other => Some(format!("{other:?}")),
        };
        Ok((
            row.get::<String>(0)?,
            row.get::<String>(1)?,
            row.get::<String>(2)?,
            row.get::<i64>(3)? != 0,
            default,
            row.get::<i64>(5)?,
            row.get::<i64>(6)?,
        ))
    })
    .await?;
    for (table, name, decl_type, not_null, default, pk, hidden) in columns {
        // Hidden columns of virtual tables are not part of their rows.
        if hidden == 1 {
            continue;
        }
        let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
            continue;
        };
        let affinity = Affinity::of(&decl_type);
        let kind = column_kind(&name, &decl_type, affinity, &t.sql);
        t.columns.push(Column {
            name,
            decl_type,
            not_null,
            default,
            pk,
            generated: hidden >= 2,
            affinity,
            kind,
        });
    }
    Ok(())
}

fn pk_columns(columns: &[Column]) -> Vec<String> {
    let mut pk: Vec<&Column> = columns.iter().filter(|c| c.pk > 0).collect();
    pk.sort_by_key(|c| c.pk);
    pk.into_iter().map(|c| c.name.clone()).collect()
}

/// Decides how a column is shown from its name, declared type and the table's CHECKs.
fn column_kind(name: &str, decl_type: &str, affinity: Affinity, table_sql: &str) -> ColumnKind {
    let decl = decl_type.to_ascii_uppercase();
    if decl.contains("BOOL") {
        return ColumnKind::Boolean;
    }
    if affinity != Affinity::Integer && !decl.contains("DATE") && !decl.contains("TIME") {
        return ColumnKind::Plain;
    }
    let squeezed: String = table_sql
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '`' | '[' | ']'))
        .collect();
    let lower = name.to_ascii_lowercase();
    let squeezed_name: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed.contains(&format!("check({squeezed_name}in(0,1))")) {
        return ColumnKind::Boolean;
    }
    let timey = decl.contains("DATE")
        || decl.contains("TIME")
        || lower.ends_with("_at")
        || lower.ends_with("_date")
        || lower.ends_with("_time")
        || matches!(
            lower.as_str(),
            "date" | "time" | "timestamp" | "birthday" | "last_update" | "last_contacted"
        );
    if timey {
        ColumnKind::Timestamp
    } else {
        ColumnKind::Plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_follows_sqlite_rules() {
        assert_eq!(Affinity::of("INTEGER"), Affinity::Integer);
        assert_eq!(Affinity::of("varchar(10)"), Affinity::Text);
        assert_eq!(Affinity::of(""), Affinity::Blob);
        assert_eq!(Affinity::of("DOUBLE"), Affinity::Real);
        assert_eq!(Affinity::of("DECIMAL(5,2)"), Affinity::Numeric);
    }

    #[test]
    fn kinds_come_from_names_types_and_checks() {
        let sql = "CREATE TABLE c (vip INTEGER NOT NULL DEFAULT 0 CHECK (vip IN (0, 1)))";
        assert_eq!(
            column_kind("vip", "INTEGER", Affinity::Integer, sql),
            ColumnKind::Boolean
        );
        assert_eq!(
            column_kind("created_at", "INTEGER", Affinity::Integer, sql),
            ColumnKind::Timestamp
        );
        assert_eq!(
            column_kind("count", "INTEGER", Affinity::Integer, sql),
            ColumnKind::Plain
        );
        assert_eq!(
            column_kind("name", "TEXT", Affinity::Text, sql),
            ColumnKind::Plain
        );
        assert_eq!(
            column_kind("ok", "boolean", Affinity::Numeric, ""),
            ColumnKind::Boolean
        );
    }
}
