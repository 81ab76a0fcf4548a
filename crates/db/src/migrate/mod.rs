//! Migrations: the embedded files, the runner (`db migrate`, `db status`) and the schema
//! tooling (`db generate`, `db check`).

pub mod adopt;
pub mod drift;
mod generate;
pub mod pull;
pub mod push;
mod schema;
pub mod sqltext;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub use drift::{drift, Drift, DriftKind, DriftObject};
pub use generate::{differences, plan, GenerateOptions, Plan};
pub use pull::{pull, schema_sql};
pub use schema::{Column, ForeignKey, Index, Object, ObjectKind, Schema, Table, MIGRATIONS_TABLE};

use crate::db::Db;
use crate::error::{Error, Result};
use crate::repo::{query_all, query_one, Runner};

/// The migrations of the repository, compiled into the binary.
static EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// One migration file: `NNNN_name.sql`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub id: i64,
    pub name: String,
    pub sql: String,
    /// Lowercase hex sha256 of the file.
    pub checksum: String,
}

impl Migration {
    /// Parses a file name and content.
    pub fn new(file_name: &str, sql: &str) -> Result<Self> {
        let bad = || {
            Error::Migration(format!(
                "migration file `{file_name}` is not named NNNN_name.sql"
            ))
        };
        let stem = file_name.strip_suffix(".sql").ok_or_else(bad)?;
        let (number, name) = stem.split_once('_').ok_or_else(bad)?;
        if number.len() != 4 || !number.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
            return Err(bad());
        }
        let id = number.parse::<i64>().map_err(|_| bad())?;
        Ok(Migration {
            id,
            name: name.to_string(),
            sql: sql.to_string(),
            checksum: hex::encode(Sha256::digest(sql.as_bytes())),
        })
    }

    /// `0001_init`.
    pub fn label(&self) -> String {
        format!("{:04}_{}", self.id, self.name)
    }

    pub fn file_name(&self) -> String {
        format!("{}.sql", self.label())
    }
}

/// Checks that ids run 1, 2, 3 … without gaps or duplicates.
fn check_sequence(migrations: &[Migration]) -> Result<()> {
    for (i, m) in migrations.iter().enumerate() {
        let expected = i as i64 + 1;
        if m.id != expected {
            return Err(Error::Migration(format!(
                "migration {} is out of sequence: expected number {expected:04}",
                m.file_name()
            )));
        }
    }
    Ok(())
}

/// The migrations embedded in this binary, in order.
pub fn embedded() -> Result<Vec<Migration>> {
    let mut migrations = EMBEDDED
        .iter()
        .map(|(name, sql)| Migration::new(name, sql))
        .collect::<Result<Vec<_>>>()?;
    migrations.sort_by_key(|m| m.id);
    check_sequence(&migrations)?;
    Ok(migrations)
}

/// The migrations in a folder on disk (for `db generate` and `db check`), in order.
pub fn from_dir(dir: &Path) -> Result<Vec<Migration>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::Migration(format!(
            "cannot read migrations folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut migrations = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Error::Migration(format!("cannot read {}: {e}", dir.display())))?
            .path();
        if path.extension().is_none_or(|x| x != "sql") {
            continue;
        }
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let sql = std::fs::read_to_string(&path)
            .map_err(|e| Error::Migration(format!("cannot read {}: {e}", path.display())))?;
        migrations.push(Migration::new(file_name, &sql)?);
    }
    migrations.sort_by_key(|m| m.id);
    check_sequence(&migrations)?;
    Ok(migrations)
}

/// A row of `__devhub_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub id: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    Applied(DateTime<Utc>),
    Pending,
    /// Applied, but the file has changed since.
    Changed(DateTime<Utc>),
    /// Recorded in the database, unknown to this binary.
    Unknown(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub id: i64,
    pub name: String,
    pub state: MigrationState,
}

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS __devhub_migrations (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at INTEGER NOT NULL DEFAULT (unixepoch())
)";

async fn migrations_table_exists(conn: &(impl Runner + ?Sized)) -> Result<bool> {
    table_exists(conn, MIGRATIONS_TABLE).await
}

/// Whether the database behind `conn` has the table `name`.
pub(crate) async fn table_exists(conn: &(impl Runner + ?Sized), name: &str) -> Result<bool> {
    let found = query_one(
        conn,
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .await?;
    Ok(found.is_some())
}

/// The first table `PRAGMA foreign_key_check` names: one of whose rows references a row that
/// does not exist (`None` when there is none). What a migration, a push, an adoption and a
/// backup's check each refuse.
pub(crate) async fn dangling_references(conn: &(impl Runner + ?Sized)) -> Result<Option<String>> {
    query_one(conn, "PRAGMA foreign_key_check", (), |row| {
        Ok(row.get::<String>(0)?)
    })
    .await
}

/// The migrations recorded in the database (none when it has never been migrated).
pub async fn applied(conn: &(impl Runner + ?Sized)) -> Result<Vec<AppliedMigration>> {
    if !migrations_table_exists(conn).await? {
        return Ok(Vec::new());
    }
    query_all(
        conn,
        "SELECT id, name, checksum, applied_at FROM __devhub_migrations ORDER BY id",
        (),
        |row| {
            Ok(AppliedMigration {
                id: row.get(0)?,
                name: row.get(1)?,
                checksum: row.get(2)?,
                applied_at: crate::row::timestamp(row.get(3)?, "applied_at")?,
            })
        },
    )
    .await
}

/// Every migration, known or recorded, with its state.
pub async fn status(db: &Db, migrations: &[Migration]) -> Result<Vec<MigrationStatus>> {
    let conn = db.conn().await?;
    let applied = applied(&conn).await?;
    let mut out: Vec<MigrationStatus> = migrations
        .iter()
        .map(|m| {
            let state = match applied.iter().find(|a| a.id == m.id) {
                None => MigrationState::Pending,
                Some(a) if a.checksum == m.checksum => MigrationState::Applied(a.applied_at),
                Some(a) => MigrationState::Changed(a.applied_at),
            };
            MigrationStatus {
                id: m.id,
                name: m.name.clone(),
                state,
            }
        })
        .collect();
    for a in &applied {
        if !migrations.iter().any(|m| m.id == a.id) {
            out.push(MigrationStatus {
                id: a.id,
                name: a.name.clone(),
                state: MigrationState::Unknown(a.applied_at),
            });
        }
    }
    out.sort_by_key(|s| s.id);
    Ok(out)
}

/// Refuses when an applied migration's file changed or is unknown to this binary.
pub(crate) fn verify_applied(applied: &[AppliedMigration], migrations: &[Migration]) -> Result<()> {
    for a in applied {
        match migrations.iter().find(|m| m.id == a.id) {
            None => {
                return Err(Error::Migration(format!(
                    "the database has migration {:04}_{} applied, which this devhub does not know: \
                     use the devhub version that created it",
                    a.id, a.name
                )))
            }
            Some(m) if m.checksum != a.checksum => {
                return Err(Error::Migration(format!(
                    "migration {} was changed after it was applied (checksum {} in the database, {} now); \
                     restore the applied file and put the change in a new migration",
                    m.file_name(),
                    &a.checksum[..a.checksum.len().min(12)],
                    &m.checksum[..12]
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Applies the pending migrations in order, each in its own transaction; returns those applied.
///
/// Foreign keys are switched off around each migration (a table rebuild drops and recreates
/// tables that others reference) and `PRAGMA foreign_key_check` must come back empty before
/// the migration commits. A failing migration rolls back completely.
pub async fn migrate(db: &Db, migrations: &[Migration]) -> Result<Vec<Migration>> {
    let conn = db.conn().await?;
    // The original app's database needs `db adopt`, not migrations.
    adopt::refuse_unadopted(&conn).await?;
    let recorded = applied(&conn).await?;
    verify_applied(&recorded, migrations)?;
    if recorded.len() == migrations.len() {
        return Ok(Vec::new());
    }
    // A database changed by `db push` since its last migration: say what to do rather than
    // fail on a `CREATE TABLE` of something the push made already.
    if let Some(message) = push::refuse_pushed(&conn, migrations.len() - recorded.len()).await? {
        return Err(Error::Migration(message));
    }
    conn.execute(CREATE_MIGRATIONS_TABLE, ()).await?;

    let mut done = Vec::new();
    for migration in migrations {
        if recorded.iter().any(|a| a.id == migration.id) {
            continue;
        }
        let result = apply_one(&conn, migration).await;
        // A local connection keeps the setting; on a server the stream that had it is closed.
        let restored = conn.execute("PRAGMA foreign_keys = ON", ()).await;
        match result {
            Ok(true) => done.push(migration.clone()),
            Ok(false) => {} // applied meanwhile by another process
            Err(e) => return Err(e),
        }
        restored?;
    }
    Ok(done)
}

async fn apply_one(conn: &crate::db::PooledConn, migration: &Migration) -> Result<bool> {
    // Foreign keys off, then `BEGIN IMMEDIATE`, in one batch: a table rebuild drops tables that
    // others reference, and with foreign keys on that drop would delete the rows that
    // reference them. In one batch, because a server's client closes its stream after a
    // statement outside a transaction, and the setting would go with it; and before BEGIN,
    // because SQLite ignores the setting inside a transaction.
    conn.execute_batch("PRAGMA foreign_keys = OFF; BEGIN IMMEDIATE")
        .await?;
    let result = apply_in_transaction(conn, migration).await;
    let end = if matches!(result, Ok(true)) {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = conn.execute(end, ()).await;
    let applied = result?;
    ended?;
    Ok(applied)
}

/// The migration inside `apply_one`'s transaction: `false` when another process applied it
/// meanwhile (it waited for the write lock).
async fn apply_in_transaction(conn: &crate::db::PooledConn, migration: &Migration) -> Result<bool> {
    // Reads through the repositories' helpers: on a server each is answered whole (a batch),
    // where a cursor's end could meet the next statement on the stream and interrupt it
    // ("SQLite error: interrupted").
    let recorded = query_one(
        conn,
        "SELECT checksum FROM __devhub_migrations WHERE id = ?1",
        [migration.id],
        |row| Ok(row.get::<String>(0)?),
    )
    .await?;
    if let Some(checksum) = recorded {
        if checksum != migration.checksum {
            return Err(Error::Migration(format!(
                "migration {} was applied concurrently with different content",
                migration.file_name()
            )));
        }
        return Ok(false);
    }
    if let Err(e) = conn.execute_batch(&migration.sql).await {
        return Err(Error::Migration(format!(
            "migration {} failed and was rolled back: {e}",
            migration.file_name()
        )));
    }
    if let Some(table) = dangling_references(conn).await? {
        return Err(Error::Migration(format!(
            "migration {} was rolled back: it leaves rows in `{table}` that reference missing rows",
            migration.file_name()
        )));
    }
    conn.execute(
        "INSERT INTO __devhub_migrations (id, name, checksum, applied_at) VALUES (?1, ?2, ?3, unixepoch())",
        libsql::params![migration.id, migration.name.clone(), migration.checksum.clone()],
    )
    .await?;
    Ok(true)
}

/// The schema that `migrations` produce, applied to a private in-memory database.
pub async fn schema_of_migrations(migrations: &[Migration]) -> Result<Schema> {
    let db = Db::open_in_memory().await?;
    migrate(&db, migrations).await?;
    let conn = db.conn().await?;
    Schema::read(&conn).await
}

/// The schema that `schema.sql` declares.
pub async fn schema_of_sql(sql: &str) -> Result<Schema> {
    let db = Db::open_in_memory().await?;
    let conn = db.conn().await?;
    conn.execute_batch(sql)
        .await
        .map_err(|e| Error::Migration(format!("schema.sql does not run: {e}")))?;
    Schema::read(&conn).await
}

/// Where the declarative schema and the migrations live (the repository root by default).
#[derive(Debug, Clone)]
pub struct SourcePaths {
    pub schema: PathBuf,
    pub migrations: PathBuf,
}

impl Default for SourcePaths {
    fn default() -> Self {
        SourcePaths {
            schema: PathBuf::from("schema.sql"),
            migrations: PathBuf::from("migrations"),
        }
    }
}

impl SourcePaths {
    fn read_schema(&self) -> Result<String> {
        std::fs::read_to_string(&self.schema)
            .map_err(|e| Error::Migration(format!("cannot read {}: {e}", self.schema.display())))
    }
}

/// What `db generate` did.
#[derive(Debug)]
pub enum Generated {
    NoChanges,
    Written { path: PathBuf, plan: Plan },
}

/// `devhub db generate NAME`: writes the next migration, or nothing when there is no change.
pub async fn generate(
    paths: &SourcePaths,
    name: &str,
    options: &GenerateOptions,
) -> Result<Generated> {
    if name.is_empty()
        || name.len() > 60
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(Error::Migration(format!(
            "migration name `{name}` must be 1–60 characters of a-z, 0-9 and _"
        )));
    }
    let desired = schema_of_sql(&paths.read_schema()?).await?;
    let existing = from_dir(&paths.migrations)?;
    let current = schema_of_migrations(&existing).await?;
    let plan = plan(&current, &desired, options).await?;
    if plan.is_empty() {
        return Ok(Generated::NoChanges);
    }
    if !plan.data_loss.is_empty() && !options.allow_data_loss {
        return Err(Error::Migration(format!(
            "refusing to write a migration that drops data: {}. Re-run with --allow-data-loss, \
             or with --rename table.old=new if a column was renamed",
            plan.data_loss.join(", ")
        )));
    }
    let next = Migration::new(
        &format!("{:04}_{name}.sql", existing.len() + 1),
        &plan.to_sql(),
    )?;
    // The plan must take the old schema exactly to the new one; check before writing.
    let mut all = existing.clone();
    all.push(next.clone());
    let after = schema_of_migrations(&all).await?;
    let left = differences(&after, &desired);
    if !left.is_empty() {
        return Err(Error::Migration(format!(
            "the generated migration does not reproduce schema.sql ({}); nothing written",
            left.join("; ")
        )));
    }
    let path = paths.migrations.join(next.file_name());
    std::fs::write(&path, &next.sql)
        .map_err(|e| Error::Migration(format!("cannot write {}: {e}", path.display())))?;
    Ok(Generated::Written { path, plan })
}

/// `devhub db check`: the differences between schema.sql and the migrations (empty = agree).
pub async fn check(paths: &SourcePaths) -> Result<Vec<String>> {
    let desired = schema_of_sql(&paths.read_schema()?).await?;
    let current = schema_of_migrations(&from_dir(&paths.migrations)?).await?;
    Ok(differences(&current, &desired))
}
