//! Drift: where a live database's schema differs from the one its applied migrations produce
//! (a column added by hand, an index dropped on the server, a table another tool created).

use std::fmt;

use super::schema::{Column, ObjectKind, Schema};
use super::sqltext::{normalize, table_items};
use super::{applied, schema_of_migrations, Migration};
use crate::db::Db;
use crate::error::{Error, Result};

/// Bookkeeping tables of devhub's own tools (`__devhub_migrations`, push/adopt records): not
/// part of any schema, never drift.
pub const BOOKKEEPING_PREFIX: &str = "__devhub_";

/// How the database differs from its migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    /// In the database, not made by the migrations.
    Extra,
    /// Made by the migrations, not in the database.
    Missing,
    /// In both, defined differently.
    Changed,
}

/// What kind of object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftObject {
    Table,
    Column,
    Index,
    Trigger,
    View,
    VirtualTable,
}

impl DriftObject {
    pub fn noun(self) -> &'static str {
        match self {
            DriftObject::Table => "table",
            DriftObject::Column => "column",
            DriftObject::Index => "index",
            DriftObject::Trigger => "trigger",
            DriftObject::View => "view",
            DriftObject::VirtualTable => "virtual table",
        }
    }

    fn of(kind: ObjectKind) -> Self {
        match kind {
            ObjectKind::View => DriftObject::View,
            ObjectKind::Trigger => DriftObject::Trigger,
            ObjectKind::VirtualTable => DriftObject::VirtualTable,
        }
    }
}

/// One difference between the database and its applied migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub kind: DriftKind,
    pub object: DriftObject,
    /// The object's name; `table.column` for a column.
    pub name: String,
    /// For a change: what differs (`type TEXT in the migrations, INTEGER in the database`).
    pub detail: Option<String>,
}

impl Drift {
    fn new(kind: DriftKind, object: DriftObject, name: impl Into<String>) -> Self {
        Drift {
            kind,
            object,
            name: name.into(),
            detail: None,
        }
    }

    fn changed(object: DriftObject, name: impl Into<String>, detail: impl Into<String>) -> Self {
        Drift {
            kind: DriftKind::Changed,
            object,
            name: name.into(),
            detail: Some(detail.into()),
        }
    }

    /// Whether the application cannot work with this difference: a table or column that the
    /// migrations create is not there. Everything else (extra objects, a missing index, a
    /// changed default) is worth a warning but does not stop it.
    pub fn breaks_the_app(&self) -> bool {
        self.kind == DriftKind::Missing
            && matches!(self.object, DriftObject::Table | DriftObject::Column)
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = self.object.noun();
        let name = &self.name;
        match self.kind {
            DriftKind::Extra if self.object == DriftObject::Table => write!(
                f,
                "table {name} exists in the database but not in the migrations (not created by a migration)"
            ),
            DriftKind::Extra => write!(
                f,
                "{noun} {name} exists in the database but not in the migrations"
            ),
            DriftKind::Missing => write!(
                f,
                "{noun} {name} is missing (the migrations create it, the database does not have it)"
            ),
            DriftKind::Changed => match &self.detail {
                Some(detail) => write!(f, "{noun} {name} differs: {detail}"),
                None => write!(f, "{noun} {name} differs from the migrations"),
            },
        }
    }
}

fn is_bookkeeping(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with(BOOKKEEPING_PREFIX)
}

/// `schema` without devhub's bookkeeping tables and whatever belongs to them.
fn without_bookkeeping(mut schema: Schema) -> Schema {
    schema.tables.retain(|t| !is_bookkeeping(&t.name));
    schema.indexes.retain(|i| !is_bookkeeping(&i.table));
    schema
        .objects
        .retain(|o| !is_bookkeeping(&o.name) && !is_bookkeeping(&o.table));
    schema
}

/// The drift of `db`: its live schema (on an embedded replica, the server's) against the
/// schema that its applied migrations, as `migrations` holds them, produce. Empty when they
/// agree.
pub async fn drift(db: &Db, migrations: &[Migration]) -> Result<Vec<Drift>> {
    // The primary has every write; a replica's own file may lag behind it.
    let conn = db.primary().conn().await?;
    let recorded = applied(&conn).await?;
    let mut subset = Vec::new();
    for a in &recorded {
        match migrations.iter().find(|m| m.id == a.id) {
            Some(m) => subset.push(m.clone()),
            None => {
                return Err(Error::Migration(format!(
                    "cannot compare the database with its migrations: migration {:04}_{} is \
                     applied but unknown to this devhub",
                    a.id, a.name
                )))
            }
        }
    }
    let actual = without_bookkeeping(Schema::read(&conn).await?);
    drop(conn);
    let expected = without_bookkeeping(schema_of_migrations(&subset).await?);
    Ok(compare(&expected, &actual))
}

/// The differences between `expected` (what the migrations make) and `actual` (what the
/// database has), tables first, then indexes, then views, triggers and virtual tables.
pub fn compare(expected: &Schema, actual: &Schema) -> Vec<Drift> {
    use DriftKind::*;
    let mut out = Vec::new();
    for want in &expected.tables {
        match actual.table(&want.name) {
            None => out.push(Drift::new(Missing, DriftObject::Table, &want.name)),
            Some(have) if have.body != want.body => {
                let before = out.len();
                compare_columns(want, have, &mut out);
                let mut detail = Vec::new();
                let want_items = table_items(&want.sql);
                let have_items = table_items(&have.sql);
                if let (Some(w), Some(h)) = (&want_items, &have_items) {
                    if w.constraints != h.constraints {
                        detail.push(format!(
                            "table constraints ({} in the migrations, {} in the database)",
                            list_or_none(&w.constraints),
                            list_or_none(&h.constraints)
                        ));
                    }
                    if w.options != h.options {
                        detail.push(format!(
                            "table options (`{}` in the migrations, `{}` in the database)",
                            w.options, h.options
                        ));
                    }
                }
                if want.foreign_keys != have.foreign_keys
                    && !detail.iter().any(|d| d.starts_with("table constraints"))
                {
                    detail.push("foreign keys".into());
                }
                if detail.is_empty() && out.len() == before {
                    detail.push("the columns are in another order".into());
                }
                if !detail.is_empty() {
                    out.push(Drift::changed(
                        DriftObject::Table,
                        &want.name,
                        detail.join("; "),
                    ));
                }
            }
            Some(_) => {}
        }
    }
    for have in &actual.tables {
        if expected.table(&have.name).is_none() {
            out.push(Drift::new(Extra, DriftObject::Table, &have.name));
        }
    }
    for want in &expected.indexes {
        match actual.index(&want.name) {
            // An index of a missing table is part of that table's drift.
            None if actual.table(&want.table).is_none() => {}
            None => out.push(Drift::new(Missing, DriftObject::Index, &want.name)),
            Some(have) if have.normalized != want.normalized => out.push(Drift::changed(
                DriftObject::Index,
                &want.name,
                format!(
                    "`{}` in the migrations, `{}` in the database",
                    want.normalized, have.normalized
                ),
            )),
            Some(_) => {}
        }
    }
    for have in &actual.indexes {
        if expected.index(&have.name).is_none() {
            out.push(Drift::new(Extra, DriftObject::Index, &have.name));
        }
    }
    for want in &expected.objects {
        let object = DriftObject::of(want.kind);
        match actual.object(want.kind, &want.name) {
            None => out.push(Drift::new(Missing, object, &want.name)),
            Some(have) if have.normalized != want.normalized => out.push(Drift::changed(
                object,
                &want.name,
                "its definition is not the one the migrations create",
            )),
            Some(_) => {}
        }
    }
    for have in &actual.objects {
        if expected.object(have.kind, &have.name).is_none() {
            out.push(Drift::new(Extra, DriftObject::of(have.kind), &have.name));
        }
    }
    out
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Column by column: missing, extra, and changed type / default / NOT NULL / key / definition.
fn compare_columns(want: &super::schema::Table, have: &super::schema::Table, out: &mut Vec<Drift>) {
    let find = |columns: &[Column], name: &str| {
        columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .cloned()
    };
    let want_defs = table_items(&want.sql)
        .map(|i| i.columns)
        .unwrap_or_default();
    let have_defs = table_items(&have.sql)
        .map(|i| i.columns)
        .unwrap_or_default();
    for w in &want.columns {
        let name = format!("{}.{}", want.name, w.name);
        let Some(h) = find(&have.columns, &w.name) else {
            out.push(Drift::new(DriftKind::Missing, DriftObject::Column, name));
            continue;
        };
        let mut detail = Vec::new();
        if !w.decl_type.eq_ignore_ascii_case(&h.decl_type) {
            detail.push(format!(
                "type {} in the migrations, {} in the database",
                shown(&w.decl_type),
                shown(&h.decl_type)
            ));
        }
        // A server may store `unixepoch ()` for `unixepoch()`: compare what SQLite reads.
        if w.default.as_deref().map(normalize) != h.default.as_deref().map(normalize) {
            detail.push(format!(
                "default {} in the migrations, {} in the database",
                w.default.as_deref().unwrap_or("none"),
                h.default.as_deref().unwrap_or("none")
            ));
        }
        if w.not_null != h.not_null {
            detail.push(if w.not_null {
                "NOT NULL in the migrations, nullable in the database".to_string()
            } else {
                "nullable in the migrations, NOT NULL in the database".to_string()
            });
        }
        if w.primary_key != h.primary_key {
            detail.push("primary key differs".into());
        }
        if detail.is_empty() {
            // Same type, default and NULL-ness: a CHECK, COLLATE, UNIQUE or REFERENCES clause.
            let def = |defs: &[super::sqltext::ColumnDef]| {
                defs.iter()
                    .find(|d| d.name.eq_ignore_ascii_case(&w.name))
                    .map(|d| d.normalized.clone())
            };
            let (wd, hd) = (def(&want_defs), def(&have_defs));
            if wd != hd {
                detail.push(format!(
                    "`{}` in the migrations, `{}` in the database",
                    wd.unwrap_or_default(),
                    hd.unwrap_or_default()
                ));
            }
        }
        if !detail.is_empty() {
            out.push(Drift::changed(DriftObject::Column, name, detail.join("; ")));
        }
    }
    for h in &have.columns {
        if find(&want.columns, &h.name).is_none() {
            out.push(Drift::new(
                DriftKind::Extra,
                DriftObject::Column,
                format!("{}.{}", want.name, h.name),
            ));
        }
    }
}

fn shown(decl_type: &str) -> &str {
    if decl_type.is_empty() {
        "(none)"
    } else {
        decl_type
    }
}
