//! `devhub db push`: applies the difference between `schema.sql` and a live development
//! database directly, with the differ of `db generate`, and records that it did so in
//! `__devhub_push`, so that a later `db migrate` says what to do instead of failing on a
//! `CREATE TABLE` of something the push made already.
//!
//! And the way back under migrations: `db migrate --mark-applied` records the pending
//! migrations as applied when the database already is what they produce.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::generate::{differences, plan, GenerateOptions, Plan};
use super::schema::Schema;
use super::{
    applied, dangling_references, schema_of_migrations, schema_of_sql, table_exists,
    verify_applied, Migration,
};
use crate::db::{Db, PooledConn};
use crate::error::{Error, Result};
use crate::repo::{query_all, query_one, Runner};

/// The bookkeeping table of `db push` (never in schema.sql: its name starts with `__devhub_`).
pub const PUSH_TABLE: &str = "__devhub_push";

const CREATE_PUSH_TABLE: &str = "CREATE TABLE IF NOT EXISTS __devhub_push (
    id INTEGER PRIMARY KEY NOT NULL,
    pushed_at INTEGER NOT NULL DEFAULT (unixepoch()),
    schema_checksum TEXT NOT NULL,
    statements TEXT NOT NULL,
    last_migration INTEGER NOT NULL DEFAULT 0,
    resolved_at INTEGER
)";

/// The live schema of the database behind `conn`, without devhub's bookkeeping tables
/// (`__devhub_*`), which schema.sql never holds.
pub async fn live_schema(conn: &(impl Runner + ?Sized)) -> Result<Schema> {
    let mut schema = Schema::read(conn).await?;
    let ours = |name: &str| name.to_ascii_lowercase().starts_with("__devhub_");
    schema.tables.retain(|t| !ours(&t.name));
    schema.indexes.retain(|i| !ours(&i.table));
    schema.objects.retain(|o| !ours(&o.table) && !ours(&o.name));
    Ok(schema)
}

/// What `db push` would do to a database, worked out before anything changes.
#[derive(Debug, Clone)]
pub struct PushPlan {
    /// The statements, their summary, the data they would lose.
    pub plan: Plan,
    /// The database's schema the plan starts from (checked again inside the transaction).
    pub live: Schema,
    /// What schema.sql declares.
    pub desired: Schema,
    /// sha256 of schema.sql's text.
    pub schema_checksum: String,
    /// The changes to what the applied migrations created (a changed or dropped table,
    /// column, index, view or trigger): push refuses them without `--force`.
    pub contradicted: Vec<String>,
    /// The last applied migration, if any (`0007_tags`).
    pub last_migration: Option<(i64, String)>,
}

impl PushPlan {
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }
}

/// Works out what pushing `schema_sql` to `db` would do; changes nothing.
///
/// `migrations` are the ones this devhub knows (the embedded ones): those recorded as applied
/// in the database tell what it was made of, and push refuses to contradict them.
pub async fn prepare(
    db: &Db,
    schema_sql: &str,
    migrations: &[Migration],
    options: &GenerateOptions,
) -> Result<PushPlan> {
    let desired = schema_of_sql(schema_sql).await?;
    let conn = db.primary().conn().await?;
    let live = live_schema(&conn).await?;
    let recorded = applied(&conn).await?;
    drop(conn);
    let plan = plan(&live, &desired, options).await?;

    let mut contradicted = Vec::new();
    if !recorded.is_empty() {
        verify_applied(&recorded, migrations)?;
        let made: Vec<Migration> = migrations
            .iter()
            .filter(|m| recorded.iter().any(|a| a.id == m.id))
            .cloned()
            .collect();
        let from_migrations = schema_of_migrations(&made).await?;
        contradicted = contradictions(&from_migrations, &desired);
    }
    Ok(PushPlan {
        plan,
        live,
        desired,
        schema_checksum: hex::encode(Sha256::digest(schema_sql.as_bytes())),
        contradicted,
        last_migration: recorded.last().map(|a| (a.id, a.name.clone())),
    })
}

/// What of `made` (the schema the applied migrations produce) `desired` changes or drops.
/// Additions are fine: new tables, indexes, views, triggers, and new columns of a table whose
/// existing columns, foreign keys and constraints stay as they are.
fn contradictions(made: &Schema, desired: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for old in &made.tables {
        let Some(new) = desired.table(&old.name) else {
            out.push(format!("drops table {}", old.name));
            continue;
        };
        if old.body == new.body {
            continue;
        }
        for column in &old.columns {
            match new
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&column.name))
            {
                None => out.push(format!("drops column {}.{}", old.name, column.name)),
                Some(c) if c != column => {
                    out.push(format!("changes column {}.{}", old.name, column.name))
                }
                Some(_) => {}
            }
        }
        if !old
            .foreign_keys
            .iter()
            .all(|fk| new.foreign_keys.contains(fk))
        {
            out.push(format!("changes the foreign keys of table {}", old.name));
        }
        let constraints = |sql: &str| {
            super::sqltext::table_items(sql).map(|items| (items.constraints, items.options))
        };
        match (constraints(&old.sql), constraints(&new.sql)) {
            (Some((old_c, old_o)), Some((new_c, new_o))) => {
                if !old_c.iter().all(|c| new_c.contains(c)) || old_o != new_o {
                    out.push(format!("changes the constraints of table {}", old.name));
                }
            }
            _ => out.push(format!("changes table {}", old.name)),
        }
    }
    for old in &made.indexes {
        match desired.index(&old.name) {
            None => out.push(format!("drops index {}", old.name)),
            Some(new) if new.normalized != old.normalized => {
                out.push(format!("changes index {}", old.name))
            }
            Some(_) => {}
        }
    }
    for old in &made.objects {
        let noun = old.kind.noun();
        match desired.object(old.kind, &old.name) {
            None => out.push(format!("drops {noun} {}", old.name)),
            Some(new) if new.normalized != old.normalized => {
                out.push(format!("changes {noun} {}", old.name))
            }
            Some(_) => {}
        }
    }
    out
}

/// The choices of the person pushing.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushOptions {
    /// Push even where schema.sql contradicts the applied migrations.
    pub force: bool,
    /// Allow dropping tables and columns (the CLI asks on a terminal).
    pub allow_data_loss: bool,
}

/// A row of `__devhub_push`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecord {
    pub id: i64,
    pub pushed_at: DateTime<Utc>,
    pub schema_checksum: String,
    pub statements: String,
    pub last_migration: i64,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Applies a prepared push in one write transaction, foreign keys off around it as the
/// migration runner does: the statements, then `PRAGMA foreign_key_check`, then the database's
/// schema must equal schema.sql's, then the record in `__devhub_push`. Anything amiss rolls
/// the whole push back.
pub async fn apply(db: &Db, prepared: &PushPlan, options: PushOptions) -> Result<PushRecord> {
    if prepared.is_empty() {
        return Err(Error::Migration(
            "nothing to push: the database matches schema.sql".into(),
        ));
    }
    if !prepared.contradicted.is_empty() && !options.force {
        return Err(Error::Migration(format!(
            "refusing to push: schema.sql contradicts the applied migrations ({})",
            prepared.contradicted.join(", ")
        )));
    }
    if !prepared.plan.data_loss.is_empty() && !options.allow_data_loss {
        return Err(Error::Migration(format!(
            "refusing to push: it would drop {}",
            prepared.plan.data_loss.join(", ")
        )));
    }
    let conn = db.primary().conn().await?;
    // As in the runner: foreign keys off and `BEGIN IMMEDIATE` in one batch (a server's
    // client keeps the stream only inside a transaction; SQLite ignores the setting inside one).
    conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE")
        .await?;
    let result = apply_in_transaction(&conn, prepared).await;
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = conn.execute(end, ()).await;
    let restored = conn.execute("PRAGMA foreign_keys = ON", ()).await;
    let record = result?;
    ended?;
    restored?;
    drop(conn);
    // An embedded replica pulls what its primary now has.
    db.sync().await?;
    Ok(record)
}

async fn apply_in_transaction(conn: &PooledConn, prepared: &PushPlan) -> Result<PushRecord> {
    if live_schema(conn).await? != prepared.live {
        return Err(Error::Migration(
            "the database changed while the push was being prepared: nothing pushed; run it again"
                .into(),
        ));
    }
    for statement in &prepared.plan.statements {
        if let Err(e) = conn.execute_batch(statement).await {
            return Err(Error::Migration(format!(
                "push failed and was rolled back: `{}`: {e}",
                first_line(statement)
            )));
        }
    }
    if let Some(table) = dangling_references(conn).await? {
        return Err(Error::Migration(format!(
            "push was rolled back: it leaves rows in `{table}` that reference missing rows"
        )));
    }
    let left = differences(&live_schema(conn).await?, &prepared.desired);
    if !left.is_empty() {
        return Err(Error::Migration(format!(
            "push was rolled back: the database would still differ from schema.sql ({})",
            left.join("; ")
        )));
    }
    conn.execute(CREATE_PUSH_TABLE, ()).await?;
    let last_migration = prepared.last_migration.as_ref().map_or(0, |(id, _)| *id);
    query_one(
        conn,
        "INSERT INTO __devhub_push (pushed_at, schema_checksum, statements, last_migration) \
         VALUES (unixepoch(), ?1, ?2, ?3) \
         RETURNING id, pushed_at, schema_checksum, statements, last_migration, resolved_at",
        libsql::params![
            prepared.schema_checksum.clone(),
            prepared.plan.statements.join("\n"),
            last_migration
        ],
        record_of,
    )
    .await?
    .ok_or_else(|| Error::Migration("the push record was not written".into()))
}

fn first_line(statement: &str) -> &str {
    statement.lines().next().unwrap_or_default()
}

fn record_of(row: &libsql::Row) -> Result<PushRecord> {
    Ok(PushRecord {
        id: row.get(0)?,
        pushed_at: crate::row::timestamp(row.get(1)?, "pushed_at")?,
        schema_checksum: row.get(2)?,
        statements: row.get(3)?,
        last_migration: row.get(4)?,
        resolved_at: row
            .get::<Option<i64>>(5)?
            .map(|t| crate::row::timestamp(t, "resolved_at"))
            .transpose()?,
    })
}

async fn push_table_exists(conn: &(impl Runner + ?Sized)) -> Result<bool> {
    table_exists(conn, PUSH_TABLE).await
}

/// Every push recorded in the database, oldest first (none when it was never pushed).
pub async fn pushes(conn: &(impl Runner + ?Sized)) -> Result<Vec<PushRecord>> {
    if !push_table_exists(conn).await? {
        return Ok(Vec::new());
    }
    query_all(
        conn,
        "SELECT id, pushed_at, schema_checksum, statements, last_migration, resolved_at \
         FROM __devhub_push ORDER BY id",
        (),
        record_of,
    )
    .await
}

/// The latest push that no migration accounts for yet: the database is ahead of its
/// migrations since then.
pub async fn unresolved_push(conn: &(impl Runner + ?Sized)) -> Result<Option<PushRecord>> {
    Ok(pushes(conn)
        .await?
        .into_iter()
        .rev()
        .find(|p| p.resolved_at.is_none()))
}

/// Why `db migrate` (and `serve`, which migrates at start) refuses a pushed database with
/// pending migrations, and what to do.
pub fn pushed_message(push: &PushRecord, pending: usize) -> String {
    let when = if push.last_migration == 0 {
        "and has no migration applied"
    } else {
        "after its last migration"
    };
    format!(
        "this database was changed with `db push` ({}) {when}, and {pending} \
         migration(s) are pending: to put it back under migrations, generate the migration \
         (`devhub db generate NAME`) and mark it applied with `devhub db migrate --mark-applied`, \
         or recreate the database; to keep developing with push, run `devhub serve --no-migrate`",
        push.pushed_at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// The refusal of the runner: `Some(message)` when `pending` migrations would run on a
/// database changed by `db push` since its last migration.
pub(crate) async fn refuse_pushed(
    conn: &(impl Runner + ?Sized),
    pending: usize,
) -> Result<Option<String>> {
    if pending == 0 {
        return Ok(None);
    }
    Ok(unresolved_push(conn)
        .await?
        .map(|push| pushed_message(&push, pending)))
}

/// What `db migrate --mark-applied` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkApplied {
    /// These migrations are now recorded as applied (maybe none), and the pushes resolved.
    Marked {
        migrations: Vec<Migration>,
        pushes_resolved: usize,
    },
    /// The database is not what the migrations produce: these differences; nothing changed.
    Differs(Vec<String>),
}

/// `db migrate --mark-applied`: when the database's schema is exactly what all `migrations`
/// produce, records the pending ones as applied without running them and marks the pushes
/// as resolved; otherwise changes nothing and says what differs.
pub async fn mark_applied(db: &Db, migrations: &[Migration]) -> Result<MarkApplied> {
    let expected = schema_of_migrations(migrations).await?;
    let tx = db.begin_write().await?;
    let recorded = applied(&tx).await?;
    verify_applied(&recorded, migrations)?;
    let live = live_schema(&tx).await?;
    // `differences` names its sides schema.sql / the migrations: here they are the
    // migrations / the database.
    let left: Vec<String> = differences(&live, &expected)
        .into_iter()
        .map(|d| {
            d.replace("in the migrations", "in the database")
                .replace("in schema.sql", "in the migrations")
        })
        .collect();
    if !left.is_empty() {
        tx.rollback().await?;
        return Ok(MarkApplied::Differs(left));
    }
    tx.execute(super::CREATE_MIGRATIONS_TABLE, ()).await?;
    let mut marked = Vec::new();
    for m in migrations {
        if recorded.iter().any(|a| a.id == m.id) {
            continue;
        }
        tx.execute(
            "INSERT INTO __devhub_migrations (id, name, checksum, applied_at) \
             VALUES (?1, ?2, ?3, unixepoch())",
            libsql::params![m.id, m.name.clone(), m.checksum.clone()],
        )
        .await?;
        marked.push(m.clone());
    }
    let mut resolved = 0;
    if push_table_exists(&tx).await? {
        resolved = tx
            .execute(
                "UPDATE __devhub_push SET resolved_at = unixepoch() WHERE resolved_at IS NULL",
                (),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(MarkApplied::Marked {
        migrations: marked,
        pushes_resolved: resolved as usize,
    })
}
