//! `devhub backup` and `devhub restore`: a consistent copy of the whole database in one local
//! SQLite file, checked before it is trusted.
//!
//! - A local file is copied with `VACUUM INTO` on a connection of its own: one read
//!   transaction, so a snapshot, while other connections and processes keep writing.
//! - A server (sqld, Turso; with or without an embedded replica) cannot write a file here, so
//!   the copy is built from the primary inside ONE read transaction (a snapshot): the schema
//!   objects in their creation order, every table's rows with their rowids (the full-text
//!   indexes point at `contact.rowid`), and the full-text indexes' own shadow tables copied as
//!   they are (a contentless FTS5 table cannot be read back row by row, and rebuilding it
//!   would need the triggers' logic). Triggers are created last, after the rows, so that
//!   nothing is counted or indexed twice.
//! - The copy is written to a temporary file beside the target and renamed only once it passed
//!   [`verify`]: a failed backup never leaves a half file under the target's name.
//!
//! [`verify`] opens a file read-only and checks `PRAGMA integrity_check` (which also checks
//! the FTS5 indexes), `PRAGMA foreign_key_check`, that every migration this binary knows is
//! applied with its checksum, and that the schema is exactly the migrations' (`db check`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use libsql::{Builder, Connection, OpenFlags, Value};

use crate::config::Location;
use crate::db::{Db, Tx};
use crate::error::Error;
use crate::migrate::{self, Schema};
use crate::query::Stmt;
use crate::repo::{query_all, query_one, LocalFile, Runner};

/// What went wrong, and whether it was the caller's request (exit 2) or the work (exit 1).
#[derive(Debug)]
pub enum Failure {
    /// A request that cannot be done as asked: a target that exists, a location that is not
    /// empty, a file that is not there.
    Refused(String),
    /// The work failed, or the copy is not trustworthy.
    Failed(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused(m) | Failure::Failed(m) => f.write_str(m),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Config(m) => Failure::Refused(m),
            other => Failure::Failed(other.to_string()),
        }
    }
}

impl From<libsql::Error> for Failure {
    fn from(e: libsql::Error) -> Self {
        Failure::Failed(format!("database error: {e}"))
    }
}

type Result<T> = std::result::Result<T, Failure>;

fn failed(message: impl Into<String>) -> Failure {
    Failure::Failed(message.into())
}

/// The tables whose row counts the summary shows.
const MAIN_TABLES: [&str; 5] = ["user", "contact", "interaction", "follow_up", "tag"];

/// What a verified copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub bytes: u64,
    /// Tables of the application (no SQLite or full-text internals).
    pub tables: usize,
    /// Rows of [`MAIN_TABLES`], in that order.
    pub rows: Vec<(String, i64)>,
    /// `NNNN_name` of the last migration applied.
    pub last_migration: String,
}

impl Summary {
    /// The rows of one of the main tables.
    pub fn rows_of(&self, table: &str) -> Option<i64> {
        self.rows.iter().find(|(t, _)| t == table).map(|(_, n)| *n)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {} tables", human_bytes(self.bytes), self.tables)?;
        for (table, n) in &self.rows {
            write!(f, ", {n} {table}")?;
        }
        write!(f, ", migration {}", self.last_migration)
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `devhub backup FILE`: copies the database `db` opens into `file`, verifies the copy, and
/// only then gives it its name. An existing `file` is refused unless `force`.
pub async fn backup(db: &Db, file: &Path, force: bool) -> Result<Summary> {
    check_target_file(file, force)?;
    refuse_own_files(db.location(), file)?;
    let tmp = TempFile::beside(file)?;
    match db.location() {
        Location::Local(_) | Location::Memory => vacuum_into(db, tmp.path()).await?,
        Location::Remote { .. } | Location::Replica { .. } => {
            // The primary: it has every acknowledged write (a replica may lag behind it).
            copy_from_server(db.primary(), tmp.path()).await?
        }
    }
    sync_file(tmp.path())?;
    let summary = verify(tmp.path()).await?;
    tmp.persist(file)?;
    Ok(summary)
}

fn check_target_file(file: &Path, force: bool) -> Result<()> {
    match std::fs::symlink_metadata(file) {
        Ok(meta) if meta.is_dir() => Err(Failure::Refused(format!(
            "{} is a directory: give the backup a file name",
            file.display()
        ))),
        Ok(_) if !force => Err(Failure::Refused(format!(
            "{} exists: choose another name, or pass --force to replace it",
            file.display()
        ))),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = parent_of(file);
            if parent.is_dir() {
                Ok(())
            } else {
                Err(Failure::Refused(format!(
                    "cannot write {}: folder {} does not exist",
                    file.display(),
                    parent.display()
                )))
            }
        }
        Err(e) => Err(Failure::Refused(format!(
            "cannot use {}: {e}",
            file.display()
        ))),
    }
}

/// `--force` never replaces the database itself (or its embedded replica) with its copy.
fn refuse_own_files(location: &Location, file: &Path) -> Result<()> {
    let own = match location {
        Location::Local(path) | Location::Replica { path, .. } => path,
        Location::Memory | Location::Remote { .. } => return Ok(()),
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let mut sides = vec![own.clone()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = own.as_os_str().to_owned();
        side.push(suffix);
        sides.push(PathBuf::from(side));
    }
    if sides.iter().any(|side| same(side, file)) {
        return Err(Failure::Refused(format!(
            "{} is the database itself: write the backup to another file",
            file.display()
        )));
    }
    Ok(())
}

fn parent_of(file: &Path) -> &Path {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A file beside the target, removed unless [`TempFile::persist`] renamed it.
struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl TempFile {
    fn beside(target: &Path) -> Result<TempFile> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "devhub".into());
        let path = parent_of(target).join(format!(
            ".{name}.{}-{:08x}.tmp",
            std::process::id(),
            rand::random::<u32>()
        ));
        Ok(TempFile { path, kept: false })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file to `target` (replacing it) and makes the rename durable.
    fn persist(mut self, target: &Path) -> Result<()> {
        std::fs::rename(&self.path, target).map_err(|e| {
            failed(format!(
                "cannot rename the copy to {}: {e}",
                target.display()
            ))
        })?;
        self.kept = true;
        if let Ok(dir) = std::fs::File::open(parent_of(target)) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A local file's snapshot, by SQLite itself, on a connection of its own.
async fn vacuum_into(db: &Db, tmp: &Path) -> Result<()> {
    let target = tmp
        .to_str()
        .ok_or_else(|| Failure::Refused(format!("{} is not a UTF-8 path", tmp.display())))?;
    let conn = db.conn().await?;
    conn.execute(&format!("VACUUM INTO {}", sql_string(target)), ())
        .await
        .map_err(|e| failed(format!("VACUUM INTO failed: {e}")))?;
    drop(conn);
    // One self-contained file (no -wal beside it), readable by a read-only connection.
    let copy = open_local(tmp, false).await?;
    copy.query("PRAGMA journal_mode = DELETE", ()).await?;
    Ok(())
}

/// Opens a local SQLite file with a connection of its own (outside any pool).
async fn open_local(path: &Path, read_only: bool) -> Result<Connection> {
    let mut builder = Builder::new_local(path);
    if read_only {
        builder = builder.flags(OpenFlags::SQLITE_OPEN_READ_ONLY);
    }
    let database = builder
        .build()
        .await
        .map_err(|e| failed(format!("cannot open {}: {e}", path.display())))?;
    database
        .connect()
        .map_err(|e| failed(format!("cannot open {}: {e}", path.display())))
}

/// A server's snapshot, copied into a fresh local file.
async fn copy_from_server(primary: &Db, tmp: &Path) -> Result<()> {
    let dest = LocalFile(open_local(tmp, false).await?);
    dest.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA foreign_keys = OFF; BEGIN")
        .await?;
    let source = primary.begin_read().await?;
    let copied = copy_database(&source, &Dest::Local(&dest)).await;
    let _ = source.rollback().await;
    match copied {
        Ok(()) => {
            dest.execute("COMMIT", ()).await?;
            Ok(())
        }
        Err(e) => {
            let _ = dest.execute("ROLLBACK", ()).await;
            Err(e)
        }
    }
}

/// Where [`copy_database`] writes: a local connection inside its transaction, statement by
/// statement (microseconds each), or a unit of work on a server, whose deferred statements go
/// hundreds per request.
enum Dest<'a> {
    Local(&'a LocalFile),
    /// With the bytes of values deferred since the last request.
    Server(&'a Tx, AtomicUsize),
}

/// A server request carries at most about this many bytes of values (photos are large):
/// beyond it, the deferred statements go before the next one is added.
const REQUEST_BYTES: usize = 4 * 1024 * 1024;

fn value_bytes(values: &[Value]) -> usize {
    values
        .iter()
        .map(|v| match v {
            Value::Text(t) => t.len(),
            Value::Blob(b) => 2 * b.len(),
            _ => 8,
        })
        .sum()
}

impl Dest<'_> {
    async fn run(&self, sql: &str, values: Vec<Value>) -> Result<()> {
        match self {
            Dest::Local(conn) => {
                conn.execute(sql, values).await?;
            }
            Dest::Server(tx, pending) => {
                let bytes = value_bytes(&values);
                if pending.fetch_add(bytes, Ordering::Relaxed) + bytes > REQUEST_BYTES {
                    tx.flush().await?;
                    pending.store(bytes, Ordering::Relaxed);
                }
                tx.defer(Stmt::new(sql, values)?).await?
            }
        }
        Ok(())
    }

    async fn has_table(&self, name: &str) -> Result<bool> {
        Ok(match self {
            Dest::Local(conn) => migrate::table_exists(*conn, name).await?,
            Dest::Server(tx, pending) => {
                // Reading through the unit of work sends what it deferred first.
                pending.store(0, Ordering::Relaxed);
                migrate::table_exists(*tx, name).await?
            }
        })
    }
}

/// One object of `sqlite_schema`.
struct SchemaObject {
    kind: String,
    name: String,
    sql: Option<String>,
}

/// A table of `pragma_table_list`: `table`, `virtual`, `shadow`; `wr`: WITHOUT ROWID.
struct TableInfo {
    name: String,
    kind: String,
    without_rowid: bool,
}

/// Rows read per request from the source.
const PAGE: i64 = 1000;

/// Copies the schema and every row of `source` (inside its snapshot) into the empty `dest`.
///
/// Every read of `source` is taken whole before the next statement: on a server each is one
/// batch ([`Runner`]), never a cursor left half-read on the snapshot's stream.
async fn copy_database(source: &(impl Runner + ?Sized), dest: &Dest<'_>) -> Result<()> {
    let objects = query_all(
        source,
        "SELECT type, name, sql FROM sqlite_schema \
         WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
        (),
        |row| {
            Ok(SchemaObject {
                kind: row.get(0)?,
                name: row.get(1)?,
                sql: row.get(2)?,
            })
        },
    )
    .await?;
    let tables = query_all(
        source,
        "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main'",
        (),
        |row| {
            Ok(TableInfo {
                name: row.get(0)?,
                kind: row.get(1)?,
                without_rowid: row.get::<i64>(2)? != 0,
            })
        },
    )
    .await?;
    let kind_of = |name: &str| {
        tables
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.kind.as_str())
    };

    // Virtual tables first: they create their shadow tables, which are then filled below.
    for pass in ["virtual", "table"] {
        for o in objects.iter().filter(|o| o.kind == "table") {
            let (Some(sql), Some(kind)) = (&o.sql, kind_of(&o.name)) else {
                continue;
            };
            if kind == pass && !dest.has_table(&o.name).await? {
                dest.run(sql, Vec::new()).await?;
            }
        }
    }
    // On a server, where foreign keys are on, the indexes come before the rows: a reference
    // to a parent key needs its unique index ("foreign key mismatch" otherwise). Locally they
    // come after (faster).
    let indexes_first = matches!(dest, Dest::Server(..));
    if indexes_first {
        create_objects(&objects, dest, &["index"]).await?;
    }
    // The rows, before any trigger (which would write them twice).
    for t in &tables {
        let copied = match t.kind.as_str() {
            "table" if !t.name.starts_with("sqlite_") => true,
            "table" => t.name == "sqlite_sequence",
            "shadow" => true,
            _ => false,
        };
        if !copied {
            continue;
        }
        if t.kind == "shadow" || t.name == "sqlite_sequence" {
            // What creating the table wrote (FTS5's version row) makes way for the source's.
            dest.run(&format!("DELETE FROM {}", ident(&t.name)), Vec::new())
                .await?;
        }
        copy_rows(source, dest, t).await?;
    }
    let rest: &[&str] = if indexes_first {
        &["view", "trigger"]
    } else {
        &["index", "view", "trigger"]
    };
    create_objects(&objects, dest, rest).await?;
    let version = query_one(source, "PRAGMA user_version", (), |row| {
        Ok(row.get::<i64>(0)?)
    })
    .await?
    .unwrap_or(0);
    if version != 0 {
        dest.run(&format!("PRAGMA user_version = {version}"), Vec::new())
            .await?;
    }
    Ok(())
}

/// Creates the objects of these kinds, in their creation order (autoindexes have no SQL).
async fn create_objects(objects: &[SchemaObject], dest: &Dest<'_>, kinds: &[&str]) -> Result<()> {
    for o in objects {
        let Some(sql) = &o.sql else { continue };
        if kinds.contains(&o.kind.as_str()) {
            dest.run(sql, Vec::new()).await?;
        }
    }
    Ok(())
}

/// Copies one table's rows, a page at a time, keeping rowids.
async fn copy_rows(
    source: &(impl Runner + ?Sized),
    dest: &Dest<'_>,
    table: &TableInfo,
) -> Result<()> {
    // Stored columns only: generated ones are computed again.
    let mut columns = Vec::new();
    let mut pk = Vec::new();
    let stored = query_all(
        source,
        "SELECT name, hidden, pk FROM pragma_table_xinfo(?1) ORDER BY cid",
        [table.name.as_str()],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<i64>(1)?,
                row.get::<i64>(2)?,
            ))
        },
    )
    .await?;
    for (name, hidden, key) in stored {
        if hidden == 0 {
            if key > 0 {
                pk.push((key, ident(&name)));
            }
            columns.push(ident(&name));
        }
    }
    pk.sort();
    let name = ident(&table.name);
    let with_rowid = !table.without_rowid && table.name != "sqlite_sequence";
    let mut selected = columns.clone();
    if with_rowid {
        selected.insert(0, "_rowid_".into());
    }
    let width = selected.len();
    let placeholders = (1..=width)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let insert = format!(
        "INSERT INTO {name} ({}) VALUES ({placeholders})",
        selected.join(", ")
    );
    let mut after: Option<Value> = None;
    let mut offset = 0i64;
    loop {
        let (sql, params): (String, Vec<Value>) = if with_rowid {
            let from = after.clone().unwrap_or(Value::Integer(i64::MIN));
            (
                format!(
                    "SELECT {} FROM {name} WHERE _rowid_ > ?1 ORDER BY _rowid_ LIMIT {PAGE}",
                    selected.join(", ")
                ),
                vec![from],
            )
        } else {
            let order = if pk.is_empty() {
                columns.join(", ")
            } else {
                pk.iter()
                    .map(|(_, c)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            (
                format!(
                    "SELECT {} FROM {name} ORDER BY {order} LIMIT {PAGE} OFFSET {offset}",
                    selected.join(", ")
                ),
                Vec::new(),
            )
        };
        let page = query_all(source, &sql, params, |row| {
            (0..width)
                .map(|i| Ok(row.get_value(i as i32)?))
                .collect::<crate::error::Result<Vec<Value>>>()
        })
        .await?;
        let n = page.len() as i64;
        if with_rowid {
            after = page.last().map(|v| v[0].clone());
        }
        for values in page {
            dest.run(&insert, values).await?;
        }
        offset += n;
        if n < PAGE {
            return Ok(());
        }
    }
}

/// Checks a copy: a SQLite file whose pages and full-text indexes are intact, without dangling
/// references, with every migration of this binary applied unchanged and no other schema.
pub async fn verify(file: &Path) -> Result<Summary> {
    let meta = std::fs::metadata(file)
        .map_err(|e| Failure::Refused(format!("cannot read {}: {e}", file.display())))?;
    if !meta.is_file() {
        return Err(Failure::Refused(format!(
            "{} is not a file",
            file.display()
        )));
    }
    let mut header = [0u8; 16];
    let read = std::fs::File::open(file)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok();
    if !read || &header != b"SQLite format 3\0" {
        return Err(failed(format!(
            "{} is not a SQLite database",
            file.display()
        )));
    }
    let bad = |what: &str| failed(format!("{} fails verification: {what}", file.display()));
    let conn = LocalFile(open_local(file, true).await?);
    let mut problems = Vec::new();
    let mut rows = conn
        .query("PRAGMA integrity_check", ())
        .await
        .map_err(|e| bad(&e.to_string()))?;
    while let Some(row) = rows.next().await.map_err(|e| bad(&e.to_string()))? {
        let line: String = row.get(0)?;
        if line != "ok" {
            problems.push(line);
        }
    }
    drop(rows);
    if !problems.is_empty() {
        let more = if problems.len() > 1 {
            format!(" (and {} more problems)", problems.len() - 1)
        } else {
            String::new()
        };
        return Err(bad(&format!("integrity_check: {}{more}", problems[0])));
    }
    let dangling = migrate::dangling_references(&conn)
        .await
        .map_err(|e| bad(&e.to_string()))?;
    if let Some(table) = dangling {
        return Err(bad(&format!("rows of `{table}` reference missing rows")));
    }

    let known = migrate::embedded()?;
    let applied = migrate::applied(&conn)
        .await
        .map_err(|e| bad(&format!("cannot read the migrations table: {e}")))?;
    if applied.is_empty() {
        return Err(bad("no migrations table: not a devhub database"));
    }
    migrate::verify_applied(&applied, &known).map_err(|e| bad(&e.to_string()))?;
    if let Some(missing) = known.iter().find(|m| !applied.iter().any(|a| a.id == m.id)) {
        return Err(bad(&format!(
            "migration {} is not applied (an older devhub made it: restore with that version, \
             then upgrade)",
            missing.label()
        )));
    }
    let schema = Schema::read(&conn)
        .await
        .map_err(|e| bad(&format!("cannot read the schema: {e}")))?;
    let expected = migrate::schema_of_migrations(&known).await?;
    let drift = migrate::differences(&schema, &expected);
    if let Some(first) = drift.first() {
        return Err(bad(&format!(
            "its schema differs from the migrations' ({first}; {} differences)",
            drift.len()
        )));
    }
    summarize(&conn, meta.len(), &schema, &applied).await
}

async fn summarize(
    conn: &Connection,
    bytes: u64,
    schema: &Schema,
    applied: &[migrate::AppliedMigration],
) -> Result<Summary> {
    let mut rows = Vec::new();
    for table in MAIN_TABLES {
        if schema.table(table).is_none() {
            continue;
        }
        let mut answer = conn
            .query(&format!("SELECT count(*) FROM {}", ident(table)), ())
            .await?;
        let n: i64 = match answer.next().await? {
            Some(row) => row.get(0)?,
            None => 0,
        };
        rows.push((table.to_string(), n));
    }
    let last = applied
        .last()
        .map(|a| format!("{:04}_{}", a.id, a.name))
        .unwrap_or_default();
    Ok(Summary {
        bytes,
        tables: schema.tables.len(),
        rows,
        last_migration: last,
    })
}

/// `devhub restore FILE`: verifies `file`, then copies it into the empty location `db` opens.
/// Answers the summary of `file`.
pub async fn restore(file: &Path, target: &Location) -> Result<Summary> {
    let summary = verify(file).await?;
    match target {
        Location::Memory => {
            return Err(Failure::Refused(
                "cannot restore into an in-memory database: set DATABASE_URL to a file or a \
                 server"
                    .into(),
            ))
        }
        Location::Local(path) => restore_to_file(file, path).await?,
        Location::Remote { .. } | Location::Replica { .. } => {
            restore_to_server(file, target).await?
        }
    }
    Ok(summary)
}

async fn restore_to_file(file: &Path, path: &Path) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(Failure::Refused(format!(
                "{} is a directory",
                path.display()
            )));
        }
        for suffix in ["-wal", "-journal"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            if std::fs::metadata(&side).is_ok_and(|m| m.len() > 0) {
                return Err(Failure::Refused(format!(
                    "{} is in use or was not closed cleanly ({} exists): stop devhub and \
                     restore into a new location",
                    path.display(),
                    PathBuf::from(side).display()
                )));
            }
        }
        if meta.len() > 0 {
            let conn = LocalFile(open_local(path, true).await?);
            let objects = count_objects(&conn).await?;
            if objects > 0 {
                return Err(Failure::Refused(format!(
                    "{} already holds a database ({objects} schema objects): restore only into \
                     a new file or an empty database",
                    path.display()
                )));
            }
        }
    } else {
        check_target_file(path, false)?;
    }
    let tmp = TempFile::beside(path)?;
    std::fs::copy(file, tmp.path()).map_err(|e| {
        failed(format!(
            "cannot copy {} beside {}: {e}",
            file.display(),
            path.display()
        ))
    })?;
    sync_file(tmp.path())?;
    verify(tmp.path()).await?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    tmp.persist(path)
}

/// Objects of ours (or anyone's) in a database: not SQLite's or the server's own.
async fn count_objects(conn: &(impl Runner + ?Sized)) -> Result<i64> {
    let n = query_one(
        conn,
        "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name NOT LIKE 'libsql\\_%' ESCAPE '\\' \
         AND name NOT LIKE '\\_litestream%' ESCAPE '\\'",
        (),
        |row| Ok(row.get::<i64>(0)?),
    )
    .await?;
    Ok(n.unwrap_or(0))
}

async fn restore_to_server(file: &Path, target: &Location) -> Result<()> {
    let db = Db::open_location(
        target.clone(),
        crate::Synchronous::Normal,
        crate::OpenMode::MustExist,
    )
    .await?;
    let primary = db.primary();
    let tx = primary.begin_write().await?;
    let objects = count_objects(&tx).await?;
    if objects > 0 {
        return Err(Failure::Refused(format!(
            "{} already holds {objects} schema objects: restore only into an empty database",
            target.describe()
        )));
    }
    // Rows go in table order, not reference order: the foreign keys are checked at the commit.
    tx.execute("PRAGMA defer_foreign_keys = ON", ()).await?;
    let source = LocalFile(open_local(file, true).await?);
    source.execute("BEGIN", ()).await?;
    let copied = copy_database(&source, &Dest::Server(&tx, AtomicUsize::new(0))).await;
    let _ = source.execute("ROLLBACK", ()).await;
    copied?;
    tx.commit().await?;
    // The replica pulls what was restored now rather than at its next sync.
    db.sync().await?;
    Ok(())
}

/// After a restore: the location holds every migration of this binary and the migrations'
/// schema exactly (`db status`, `db check`).
pub async fn check_location(db: &Db) -> Result<()> {
    let known = migrate::embedded()?;
    let statuses = migrate::status(db, &known).await?;
    if let Some(s) = statuses
        .iter()
        .find(|s| !matches!(s.state, migrate::MigrationState::Applied(_)))
    {
        return Err(failed(format!(
            "after the restore, migration {:04}_{} is {:?}",
            s.id, s.name, s.state
        )));
    }
    let conn = db.primary().conn().await?;
    let schema = Schema::read(&conn).await?;
    let drift = migrate::differences(&schema, &migrate::schema_of_migrations(&known).await?);
    if let Some(first) = drift.first() {
        return Err(failed(format!(
            "after the restore, the schema differs from the migrations' ({first})"
        )));
    }
    Ok(())
}
