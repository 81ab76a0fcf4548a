//! What a database's schema is, read back from SQLite itself (`sqlite_schema` and the
//! `pragma_*` table-valued functions), so that two schemas can be compared.

use super::sqltext::{normalize, table_body};
use crate::error::{Error, Result};
use crate::repo::{query_all, Runner};

/// The bookkeeping table of the migration runner; not part of any declared schema.
pub const MIGRATIONS_TABLE: &str = "__devhub_migrations";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub decl_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    pub primary_key: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub from: String,
    pub table: String,
    pub to: Option<String>,
    pub on_update: String,
    pub on_delete: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// The `CREATE TABLE` statement as stored.
    pub sql: String,
    /// Its normalised body: equal bodies mean equal tables (columns, types, defaults,
    /// NULL-ness, keys, CHECKs, foreign keys).
    pub body: String,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub sql: String,
    pub normalized: String,
    pub unique: bool,
}

/// What a schema holds besides tables and indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    View,
    Trigger,
    /// A virtual table (an FTS5 index); its shadow tables are its own business.
    VirtualTable,
}

impl ObjectKind {
    /// As SQL names it (`DROP VIEW …`).
    pub fn keyword(self) -> &'static str {
        match self {
            ObjectKind::View => "VIEW",
            ObjectKind::Trigger => "TRIGGER",
            ObjectKind::VirtualTable => "TABLE",
        }
    }

    /// As a person names it.
    pub fn noun(self) -> &'static str {
        match self {
            ObjectKind::View => "view",
            ObjectKind::Trigger => "trigger",
            ObjectKind::VirtualTable => "virtual table",
        }
    }
}

/// A view, a trigger or a virtual table: compared by its normalised SQL, created and dropped
/// whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub kind: ObjectKind,
    pub name: String,
    /// The table a trigger belongs to (the object itself otherwise).
    pub table: String,
    pub sql: String,
    pub normalized: String,
}

impl Object {
    /// Whether its SQL names `table` (a view or trigger that reads or writes it).
    pub fn mentions(&self, table: &str) -> bool {
        let table = table.to_ascii_lowercase();
        self.normalized
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| word == table)
    }

    /// An FTS5 table that stores no text (`content=''`).
    pub fn is_contentless(&self) -> bool {
        self.kind == ObjectKind::VirtualTable
            && self
                .sql
                .to_ascii_lowercase()
                .replace(char::is_whitespace, "")
                .contains("content=''")
    }

    /// For an FTS5 table whose content lives in another table or view (`content='x'`), that
    /// table's name.
    pub fn external_content(&self) -> Option<String> {
        if self.kind != ObjectKind::VirtualTable || !self.normalized.contains("using fts5") {
            return None;
        }
        let sql = self.sql.to_ascii_lowercase();
        let mut from = 0;
        while let Some(i) = sql[from..].find("content") {
            let rest = sql[from + i + "content".len()..].trim_start();
            from += i + "content".len();
            let Some(rest) = rest.strip_prefix('=') else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
                continue;
            };
            let value = &rest[1..];
            let name = &value[..value.find(quote)?];
            return (!name.is_empty()).then(|| name.to_string());
        }
        None
    }
}

/// Tables, explicit indexes, views, triggers and virtual tables, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub indexes: Vec<Index>,
    pub objects: Vec<Object>,
}

impl Schema {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        self.indexes
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }

    pub fn object(&self, kind: ObjectKind, name: &str) -> Option<&Object> {
        self.objects
            .iter()
            .find(|o| o.kind == kind && o.name.eq_ignore_ascii_case(name))
    }

    pub fn indexes_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes
            .iter()
            .filter(move |i| i.table.eq_ignore_ascii_case(table))
    }

    /// Reads the schema of the database behind `conn`: devhub's bookkeeping tables
    /// (`__devhub_migrations`, `__devhub_push`, …) are not part of it.
    ///
    /// Each read is taken whole before the next goes out. On a server, sqld hands a cursor's
    /// stream back as soon as the cursor starts, while the cursor keeps the stream's database
    /// connection until its rows are read: a request sent on the stream meanwhile waits for
    /// that connection, and the cursor for the client, for good (a schema of megabytes did
    /// that every time). Through [`Runner`] a read on a server is one batch, answered whole.
    pub async fn read(conn: &(impl Runner + ?Sized)) -> Result<Schema> {
        let shadow = shadow_tables(conn).await?;
        let rows = query_all(
            conn,
            "SELECT type, name, tbl_name, sql FROM sqlite_schema \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name != ?1 \
             AND tbl_name NOT LIKE '\\_\\_devhub\\_%' ESCAPE '\\' \
             ORDER BY rowid",
            [MIGRATIONS_TABLE],
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<String>(1)?,
                    row.get::<String>(2)?,
                    row.get::<Option<String>>(3)?,
                ))
            },
        )
        .await?;
        let mut schema = Schema::default();
        let mut raw_tables = Vec::new();
        for (kind, name, table, sql) in rows {
            let object = |kind, sql: String| Object {
                kind,
                normalized: normalize(&sql),
                name: name.clone(),
                table: table.clone(),
                sql,
            };
            match (kind.as_str(), sql) {
                ("table", _) if shadow.contains(&name.to_ascii_lowercase()) => {}
                ("table", Some(sql)) if normalize(&sql).starts_with("create virtual table") => {
                    schema.objects.push(object(ObjectKind::VirtualTable, sql));
                }
                ("table", Some(sql)) => raw_tables.push((name, sql)),
                ("view", Some(sql)) => schema.objects.push(object(ObjectKind::View, sql)),
                ("trigger", Some(sql)) => schema.objects.push(object(ObjectKind::Trigger, sql)),
                // Automatic indexes of UNIQUE / PRIMARY KEY constraints belong to the table.
                ("index", None) => {}
                ("index", Some(sql)) => schema.indexes.push(Index {
                    normalized: normalize(&sql),
                    unique: normalize(&sql).starts_with("create unique"),
                    name,
                    table,
                    sql,
                }),
                (other, _) => {
                    return Err(Error::Migration(format!(
                        "{other} `{name}`: not a kind of object schema.sql can hold"
                    )))
                }
            }
        }
        for (name, sql) in raw_tables {
            let columns = read_columns(conn, &name).await?;
            let foreign_keys = read_foreign_keys(conn, &name).await?;
            schema.tables.push(Table {
                body: table_body(&sql),
                name,
                sql,
                columns,
                foreign_keys,
            });
        }
        Ok(schema)
    }
}

/// The shadow tables of the database's virtual tables (an FTS5 index keeps its data in
/// `<name>_data`, `_idx`, `_content`, `_docsize` and `_config`), lowercased.
async fn shadow_tables(conn: &(impl Runner + ?Sized)) -> Result<Vec<String>> {
    query_all(
        conn,
        "SELECT lower(name) FROM pragma_table_list WHERE type = 'shadow'",
        (),
        |row| Ok(row.get::<String>(0)?),
    )
    .await
}

async fn read_columns(conn: &(impl Runner + ?Sized), table: &str) -> Result<Vec<Column>> {
    query_all(
        conn,
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid",
        [table],
        |row| {
            Ok(Column {
                name: row.get(0)?,
                decl_type: row.get(1)?,
                not_null: row.get::<i64>(2)? != 0,
                default: row.get(3)?,
                primary_key: row.get(4)?,
            })
        },
    )
    .await
}

async fn read_foreign_keys(conn: &(impl Runner + ?Sized), table: &str) -> Result<Vec<ForeignKey>> {
    query_all(
        conn,
        "SELECT \"from\", \"table\", \"to\", on_update, on_delete \
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
        [table],
        |row| {
            Ok(ForeignKey {
                from: row.get(0)?,
                table: row.get(1)?,
                to: row.get(2)?,
                on_update: row.get(3)?,
                on_delete: row.get(4)?,
            })
        },
    )
    .await
}
