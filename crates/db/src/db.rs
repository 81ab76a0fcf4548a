//! Opening the database and a small pool of connections.
//!
//! A unit of work checks one connection out for its whole duration ([`Db::conn`]), so a
//! transaction never shares its connection with another task (DESIGN.md §3).

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use libsql::{
    Builder, Connection, Database, OpenFlags, Statement, Transaction, TransactionBehavior,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{check_local_path, DbConfig, Location, Synchronous};
use crate::error::{Error, Result};
use crate::query::{inline, Stmt};

/// How long a request waits for its embedded replica to pull from the primary.
pub const PULL_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a writer waits for the lock before `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The page cache of each pooled connection to a local file, in KiB.
const CACHE_KIB: u32 = 6144;

/// How long a server connection left inside an empty transaction ([`Db::read_on_server`]) may
/// wait in the pool before it is closed instead of reused: sqld forgets a stream idle for
/// 10 s ("The stream has expired due to inactivity").
const LINGER_FOR: Duration = Duration::from_secs(5);

/// Called with how long each checkout of a pooled connection waited for a free one
/// ([`Db::observe_pool_waits`]; the metrics' histogram).
pub type PoolWaitObserver = Arc<dyn Fn(Duration) + Send + Sync>;

/// Whether opening may create a missing local file (only `serve`, `db migrate` and
/// `seed-demo` do; everything else says the file does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    CreateIfMissing,
    MustExist,
}

/// The database handle shared by the whole process; cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    database: Database,
    /// With an embedded replica: the primary itself, where its units of work go.
    primary: Option<Db>,
    /// With an embedded replica: its file opened read-only as a plain local database, where
    /// its reads go ([`Db::for_reads`]).
    reader: Option<Db>,
    location: Location,
    synchronous: Synchronous,
    idle: Mutex<Vec<(Connection, Prepared)>>,
    /// On a server without a replica: connections whose stream was left inside an empty
    /// transaction after a batch of reads, with when they came back ([`Db::read_on_server`]).
    lingering: Mutex<Vec<(Connection, Instant)>>,
    permits: Arc<Semaphore>,
    /// How many connections the pool holds at most (its permits).
    size: usize,
    /// See [`PoolWaitObserver`]: set once, by `serve` with metrics on.
    wait_observer: OnceLock<PoolWaitObserver>,
    /// An embedded replica's pulls for [`Db::caught_up_since`], one at a time.
    pulls: tokio::sync::Mutex<Pulls>,
    /// This process's writers, one at a time: they queue here, in order and woken as soon as
    /// the one before commits, rather than on the database's lock: SQLite's busy handler
    /// sleeps and retries, and a server's (sqld) let one of eight concurrent writers of the
    /// tests wait past its timeout now and then ("database is locked"). Other processes and
    /// instances still meet the lock and its timeout.
    writer: Arc<Semaphore>,
}

/// An embedded replica's pulls for [`Db::caught_up_since`].
#[derive(Default)]
struct Pulls {
    /// When the last pull that completed had started.
    done: Option<std::time::Instant>,
    /// The pull under way, with when it started: it runs on when its waiter gives up.
    running: Option<(std::time::Instant, tokio::task::JoinHandle<Result<()>>)>,
}

/// A turn of `writer` ([`Db::writer_turn`]), or `None` once [`BUSY_TIMEOUT`] has passed.
async fn turn(writer: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    let turn = Arc::clone(writer).acquire_owned();
    tokio::time::timeout(BUSY_TIMEOUT, turn).await.ok()?.ok()
}

/// Whether the statement `sql` writes, by its first word (every write of the repositories
/// starts with its verb).
pub(crate) fn writes(sql: &str) -> bool {
    let verb = sql.split_whitespace().next().unwrap_or_default();
    ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|w| verb.eq_ignore_ascii_case(w))
}

/// What a pull's task ended with ([`Db::pull`]).
fn pulled(joined: std::result::Result<Result<()>, tokio::task::JoinError>) -> Result<()> {
    joined.map_err(|e| Error::Unavailable(format!("the replica's pull failed: {e}")))?
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("location", &self.inner.location)
            .finish()
    }
}

impl Db {
    /// Opens the database that `config` names, checking that it answers.
    pub async fn open(config: &DbConfig, mode: OpenMode) -> Result<Db> {
        let location = Location::from_config(config)?;
        Self::open_location(location, config.synchronous, mode).await
    }

    pub async fn open_location(
        location: Location,
        synchronous: Synchronous,
        mode: OpenMode,
    ) -> Result<Db> {
        let create = mode == OpenMode::CreateIfMissing;
        let database = match &location {
            Location::Local(path) => {
                check_local_path(path, create)?;
                Builder::new_local(path).build().await
            }
            Location::Memory => Builder::new_local(":memory:").build().await,
            Location::Remote { url, auth_token } => {
                Builder::new_remote(url.clone(), auth_token.clone())
                    .build()
                    .await
            }
            Location::Replica {
                url,
                auth_token,
                path,
                sync_interval,
            } => {
                check_local_path(path, true)?;
                // Built and synced, and rebuilt from the primary when its file is unusable.
                let describe = location.describe();
                Ok(crate::replica::open(path, url, auth_token, *sync_interval, &describe).await?)
            }
        }
        .map_err(|e| Error::Config(format!("cannot open {}: {e}", location.describe())))?;

        let primary = match &location {
            Location::Replica {
                url, auth_token, ..
            } => {
                let remote = Location::Remote {
                    url: url.clone(),
                    auth_token: auth_token.clone(),
                };
                Some(Box::pin(Db::open_location(remote, synchronous, mode)).await?)
            }
            _ => None,
        };
        let reader = match &location {
            Location::Replica { path, .. } => Some(Db::open_reader(path, synchronous).await?),
            _ => None,
        };
        let db = Db::with(database, primary, reader, location, synchronous);
        // Fail at start, not at the first request, when the database cannot be used (a server
        // that refuses the token, or does not answer): one statement reaches it.
        db.ping().await.map_err(|e| match e {
            Error::Database(e) => {
                Error::Config(format!("cannot use {}: {e}", db.inner.location.describe()))
            }
            other => other,
        })?;
        Ok(db)
    }

    /// One statement (`SELECT 1`) on a connection of the pool: whether the database answers.
    ///
    /// Through the repositories' helper: on a server the answer is read whole, where a cursor's
    /// end could meet the connection's next request and interrupt it.
    pub async fn ping(&self) -> Result<()> {
        let conn = self.conn().await?;
        crate::repo::query_one(&conn, "SELECT 1", (), |_| Ok(())).await?;
        Ok(())
    }

    /// The pool around an opened `database`.
    fn with(
        database: Database,
        primary: Option<Db>,
        reader: Option<Db>,
        location: Location,
        synchronous: Synchronous,
    ) -> Db {
        // An in-memory database lives in its one connection.
        let size = if location == Location::Memory { 1 } else { 8 };
        Db {
            inner: Arc::new(Inner {
                database,
                primary,
                reader,
                location,
                synchronous,
                idle: Mutex::new(Vec::new()),
                lingering: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(size)),
                size,
                wait_observer: OnceLock::new(),
                pulls: tokio::sync::Mutex::new(Pulls::default()),
                writer: Arc::new(Semaphore::new(1)),
            }),
        }
    }

    /// An embedded replica's file, read-only, as a plain local database: libSQL's replica
    /// connection parses every statement it is given (in Rust) to decide whether it may run
    /// on the file or must go to the primary, and its statements cannot be reset, so none
    /// could be prepared once and kept; this one reads the same file, with the statements of
    /// a local file. Nothing can write through it, so the replica's file only ever receives
    /// the primary's frames.
    async fn open_reader(path: &std::path::Path, synchronous: Synchronous) -> Result<Db> {
        let database = Builder::new_local(path)
            .flags(OpenFlags::SQLITE_OPEN_READ_ONLY)
            .build()
            .await
            .map_err(|e| {
                Error::Config(format!("cannot read the replica {}: {e}", path.display()))
            })?;
        let location = Location::Local(path.to_path_buf());
        Ok(Db::with(database, None, None, location, synchronous))
    }

    /// The database a statement that only reads runs on: an embedded replica's file through
    /// its read-only reader, else this one.
    pub(crate) fn for_reads(&self) -> &Db {
        self.inner.reader.as_ref().unwrap_or(self)
    }

    /// A fresh private in-memory database (tools and tests).
    pub async fn open_in_memory() -> Result<Db> {
        Self::open_location(
            Location::Memory,
            Synchronous::Normal,
            OpenMode::CreateIfMissing,
        )
        .await
    }

    pub fn location(&self) -> &Location {
        &self.inner.location
    }

    /// Calls `observe` with how long each later checkout of a connection waited for a free
    /// one (this pool's and, with an embedded replica, its primary's and its reader's). Set once; later calls
    /// are ignored.
    pub fn observe_pool_waits(&self, observe: PoolWaitObserver) {
        for other in self.inner.primary.iter().chain(&self.inner.reader) {
            other.observe_pool_waits(Arc::clone(&observe));
        }
        let _ = self.inner.wait_observer.set(observe);
    }

    /// Connections checked out right now (this pool's, its primary's and its reader's).
    pub fn connections_in_use(&self) -> usize {
        let own = self.inner.size - self.inner.permits.available_permits().min(self.inner.size);
        own + self
            .inner
            .primary
            .iter()
            .chain(&self.inner.reader)
            .map(Db::connections_in_use)
            .sum::<usize>()
    }

    /// Checks a connection out of the pool, opening one when none is idle.
    pub async fn conn(&self) -> Result<PooledConn> {
        self.checkout(false).await
    }

    /// The pool's one checkout. With `kept`, a connection that [`Db::read_on_server`] left
    /// inside an empty transaction less than [`LINGER_FOR`] ago comes first.
    async fn checkout(&self, kept: bool) -> Result<PooledConn> {
        let waiting = Instant::now();
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Config("the database has been closed".into()))?;
        if let Some(observe) = self.inner.wait_observer.get() {
            observe(waiting.elapsed());
        }
        let lingering = if kept { self.pop_lingering() } else { None };
        let (conn, prepared, reused) = match lingering {
            Some(conn) => (conn, Prepared::default(), true),
            None => match self.inner.idle.lock().ok().and_then(|mut idle| idle.pop()) {
                Some((conn, prepared)) => {
                    if self.inner.location.is_remote() {
                        // A read through the connection itself (`Connection::query`: a cursor)
                        // leaves its stream open on the server, which expires it after 10 s
                        // idle, or forgets it in a restart. Outside a transaction the stream
                        // holds nothing, so the next request opens a fresh one rather than
                        // send a baton that may be stale ("STREAM_EXPIRED", "invalid baton").
                        conn.reset().await;
                    }
                    (conn, prepared, false)
                }
                None => (self.new_connection().await?, Prepared::default(), false),
            },
        };
        Ok(PooledConn {
            conn: Some(conn),
            prepared,
            lingering: AtomicBool::new(reused),
            db: Arc::clone(&self.inner),
            _permit: permit,
        })
    }

    /// The newest connection left inside an empty transaction, closing those that waited
    /// [`LINGER_FOR`] or longer (the oldest are at the front).
    fn pop_lingering(&self) -> Option<Connection> {
        let mut lingering = self.inner.lingering.lock().ok()?;
        let fresh_from = lingering
            .iter()
            .position(|(_, since)| since.elapsed() < LINGER_FOR)
            .unwrap_or(lingering.len());
        lingering.drain(..fresh_from);
        lingering.pop().map(|(conn, _)| conn)
    }

    /// Runs `sql`, statements that only read, on a server without a replica, and answers their
    /// rows (the first is the first statement's).
    ///
    /// Why: the libSQL client closes its stream after every request outside a transaction, and
    /// the server opens a fresh SQLite connection for the next one: measured on sqld, 0.62 ms
    /// of the server's CPU per request, against 0.37 ms on a stream kept open. So a batch of
    /// reads runs in its own snapshot (`BEGIN DEFERRED` … `COMMIT`) and then opens another
    /// transaction that it leaves empty: a `BEGIN DEFERRED` takes no lock and no snapshot
    /// until something reads, so the server's writers and checkpoints never wait on it, but
    /// the client keeps the stream open for it, and the connection waits in the pool that
    /// way. The next batch of reads on it runs inside that transaction, whose snapshot starts
    /// with its first read, and ends it with the `COMMIT` that follows them.
    /// Every other use of the pool gets a connection outside any transaction ([`Db::conn`]),
    /// so no write can ever run inside a kept stream's transaction. A connection that waited
    /// longer than [`LINGER_FOR`] is closed (the server expires idle streams), and a batch
    /// that fails on a kept stream (expired, or the server restarted) runs once more on a
    /// fresh connection.
    pub(crate) async fn read_on_server(&self, sql: &str) -> Result<libsql::BatchRows> {
        let conn = self.checkout(true).await?;
        let reused = conn.lingering.load(Ordering::Relaxed);
        match conn.read_batch(sql).await {
            Ok(rows) => Ok(rows),
            Err(_) if reused => {
                conn.stop_lingering();
                drop(conn);
                self.conn().await?.read_batch(sql).await
            }
            Err(e) => Err(e),
        }
    }

    async fn new_connection(&self) -> Result<Connection> {
        let conn = self.inner.database.connect()?;
        if self.inner.location.is_local() {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // `journal_mode` answers with a row, so it goes through `query`.
            conn.query("PRAGMA journal_mode = WAL", ()).await?;
            // Statement journals (a statement that may write several rows inside a unit of
            // work keeps one, to undo itself alone) stay in memory instead of temp files.
            // Each connection keeps 6 MiB of pages rather than SQLite's 2 MiB: a search whose
            // matches are spread over the file (other users' rows, a common word's notes)
            // read most of them back with `pread` from a 2 MiB cache (`q=ari`, 10 users:
            // 3.3–6.3 → 2.2–2.6 ms of CPU per request). A common word's page of the log at
            // 100,000 contacts touches about 1,100 pages: a 4 MiB cache holds 1,024, so it
            // read all of them back on every request (962 `pread`s; 800 → 1,250 req/s at
            // 6 MiB). Eight connections: 48 MiB at most.
            conn.execute_batch(&format!(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; PRAGMA temp_store = MEMORY; \
                 PRAGMA cache_size = -{CACHE_KIB};",
                self.inner.synchronous.pragma()
            ))
            .await?;
        }
        // A server (sqld, Turso) keeps its own journal and durability settings and enforces
        // foreign keys on every stream by default; a PRAGMA sent here would only cost a round
        // trip, since the client closes the stream after each statement outside a
        // transaction (the tests check the cascades and the refusals in every mode).
        Ok(conn)
    }

    /// Runs `work` as one unit of work: on one checked-out connection, inside
    /// `BEGIN IMMEDIATE` … `COMMIT`. The write lock is taken up front, so concurrent writers
    /// queue on the busy timeout instead of failing on lock upgrade. An error rolls everything
    /// back, and so does a panic: the transaction of a [`Tx`] dropped unfinished rolls back.
    ///
    /// Every repository call inside takes `tx` (`tx.contacts().create(…)`), so any number of
    /// them commit together or not at all.
    pub async fn write<T>(&self, work: impl AsyncFnOnce(&Tx) -> Result<T>) -> Result<T> {
        let tx = self.begin_write().await?;
        Self::run(tx, work).await
    }

    /// Runs `work` inside one read transaction: every query sees the same snapshot.
    pub async fn read<T>(&self, work: impl AsyncFnOnce(&Tx) -> Result<T>) -> Result<T> {
        let tx = self.begin_read().await?;
        Self::run(tx, work).await
    }

    async fn run<T>(tx: Tx, work: impl AsyncFnOnce(&Tx) -> Result<T>) -> Result<T> {
        match work(&tx).await {
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
            Err(e) => {
                // A failed rollback leaves the connection inside its transaction, and the pool
                // then closes it instead of reusing it: the work is undone either way.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    /// Opens a write unit of work by hand: the guard form of [`Db::write`], for work that
    /// does not fit a closure. Dropped without [`Tx::commit`], it rolls back.
    ///
    /// An embedded replica's unit of work goes to its primary directly (Hrana), not through
    /// the replica's write delegation: should the primary restart in the middle of a unit of
    /// work, delegation runs the rest of it on a fresh connection, outside any transaction, so
    /// half of it commits; a Hrana stream is refused instead ("invalid baton") and nothing is
    /// applied. Once committed, the replica pulls it (read your writes).
    ///
    /// On a server the connection comes first and then the turn: the order in which a single
    /// write outside a unit of work takes them ([`PooledConn::write_turn`]). On a local file
    /// the turn comes first, so that writers waiting for their turn hold no connection.
    pub async fn begin_write(&self) -> Result<Tx> {
        let primary = self.primary();
        let (conn, writer) = if primary.inner.location.is_remote() {
            let conn = primary.conn().await?;
            let writer = turn(&primary.inner.writer).await;
            (conn, writer)
        } else {
            let writer = primary.writer_turn().await;
            (primary.conn().await?, writer)
        };
        let mut tx = Tx::begin(conn, TransactionBehavior::Immediate).await?;
        tx.writer = writer;
        if self.inner.primary.is_some() {
            tx.replica = Some(self.clone());
        }
        Ok(tx)
    }

    /// This process's turn to write. A writer that waited the whole busy timeout goes ahead
    /// without its turn, onto the database's lock as before, so that a unit of work opened
    /// inside another one's (a bug) fails with "database is locked" rather than waiting
    /// forever.
    async fn writer_turn(&self) -> Option<OwnedSemaphorePermit> {
        turn(&self.inner.writer).await
    }

    /// Opens a read unit of work by hand (the guard form of [`Db::read`]). On an embedded
    /// replica it reads the replica's file ([`Db::for_reads`]), never the primary.
    pub async fn begin_read(&self) -> Result<Tx> {
        Tx::begin(
            self.for_reads().conn().await?,
            TransactionBehavior::Deferred,
        )
        .await
    }

    /// Pulls the primary's latest frames into an embedded replica; a no-op otherwise.
    pub async fn sync(&self) -> Result<()> {
        if let Location::Replica { .. } = self.inner.location {
            pulled(self.pull().await)?;
        }
        Ok(())
    }

    /// One pull of an embedded replica, in a task of its own that runs to its end even when
    /// whoever awaits it stops waiting (a request's timeout, a client gone). libSQL's pull is
    /// not safe to drop half-way: a pull dropped after it took frames from the primary but
    /// before it applied them left the replica waiting for a commit it had skipped, and every
    /// later pull fetched nothing for ever (each request of the instance then answered 503).
    fn pull(&self) -> tokio::task::JoinHandle<Result<()>> {
        let db = self.clone();
        tokio::spawn(async move {
            db.inner.database.sync().await?;
            Ok(())
        })
    }

    /// The database that has every write the moment it is acknowledged: the primary for an
    /// embedded replica (each statement a request over the network), this one otherwise.
    pub fn primary(&self) -> &Db {
        self.inner.primary.as_ref().unwrap_or(self)
    }

    /// Makes an embedded replica hold every write the primary had committed by `since`: it
    /// waits for a pull from the primary that started at `since` or later. Requests waiting at
    /// the same time share one pull (one runs at a time; whoever waited during it is served
    /// by the next), so under load the primary answers one pull per round, not one request per
    /// page. A no-op without a replica.
    ///
    /// Waiting and pulling together take at most [`PULL_TIMEOUT`]: a primary that does not
    /// answer is [`Error::Unavailable`] (a 503), not a request that hangs.
    pub async fn caught_up_since(&self, since: std::time::Instant) -> Result<()> {
        let Location::Replica { .. } = self.inner.location else {
            return Ok(());
        };
        let pull = async {
            let mut pulls = self.inner.pulls.lock().await;
            loop {
                if pulls.done.is_some_and(|started| started >= since) {
                    return Ok(());
                }
                // A pull whose waiter gave up is still running: wait for it rather than start
                // another one behind it.
                let (started, pull) = match &mut pulls.running {
                    Some(running) => running,
                    None => pulls
                        .running
                        .insert((std::time::Instant::now(), self.pull())),
                };
                let started = *started;
                let outcome = pulled(pull.await);
                pulls.running = None;
                match outcome {
                    Ok(()) => pulls.done = Some(started),
                    // One that started before this request came may have failed on something
                    // since mended: a pull of its own tells.
                    Err(_) if started < since => {}
                    Err(e) => return Err(e),
                }
            }
        };
        match tokio::time::timeout(PULL_TIMEOUT, pull).await {
            Ok(pulled) => pulled,
            Err(_) => Err(Error::Unavailable(format!(
                "the primary did not answer the replica's pull within {PULL_TIMEOUT:?}"
            ))),
        }
    }

    /// Closes idle connections; checked-out ones close when they come back.
    pub fn close(&self) {
        for other in self.inner.primary.iter().chain(&self.inner.reader) {
            other.close();
        }
        self.inner.permits.close();
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.clear();
        }
        if let Ok(mut lingering) = self.inner.lingering.lock() {
            lingering.clear();
        }
    }
}

/// Statements prepared on one local connection, kept with it while it waits in the pool: the
/// queries of a page are parsed and planned once per connection, not on every request
/// (preparing was a fifth of a contact page's time). Not on a server, where preparing is a
/// round trip of its own.
#[derive(Default)]
pub(crate) struct Prepared {
    statements: Mutex<HashMap<String, Arc<Statement>>>,
    /// Those handed out since the connection was checked out: reset before it goes back, so
    /// that none left half-read (a request dropped mid-read) holds a read snapshot open on a
    /// pooled connection.
    used: Mutex<Vec<Arc<Statement>>>,
}

/// Distinct SQL texts kept per connection: past this many the cache starts over (texts made
/// for a list of ids, for example, differ by their number of placeholders).
const PREPARED_KEPT: usize = 200;

impl Prepared {
    async fn get(&self, conn: &Connection, sql: &str) -> Result<Arc<Statement>> {
        let cached = self
            .statements
            .lock()
            .ok()
            .and_then(|c| c.get(sql).cloned());
        let stmt = match cached {
            Some(stmt) => stmt,
            None => {
                // A parameter that is the whole of a LIMIT or an OFFSET (`LIMIT ?`) makes
                // SQLite plan for its value, and so prepare the statement again on every new
                // binding, every request; written `LIMIT +?` it is read when the statement runs
                // (re-preparing was 8 % of a search page's time).
                debug_assert!(
                    !sql.contains("LIMIT ?") && !sql.contains("OFFSET ?"),
                    "write `LIMIT +?` / `OFFSET +?` so that the statement is not re-prepared on \
                     each binding: {sql}"
                );
                let stmt = Arc::new(conn.prepare(sql).await?);
                if let Ok(mut cache) = self.statements.lock() {
                    if cache.len() >= PREPARED_KEPT {
                        cache.clear();
                    }
                    cache.insert(sql.to_string(), Arc::clone(&stmt));
                }
                stmt
            }
        };
        if let Ok(mut used) = self.used.lock() {
            used.push(Arc::clone(&stmt));
        }
        Ok(stmt)
    }

    /// Resets every statement handed out, so that none holds a read open when a transaction
    /// ends or the connection goes back to the pool.
    fn reset_used(&self) {
        if let Ok(mut used) = self.used.lock() {
            for stmt in used.drain(..) {
                stmt.reset();
            }
        }
    }
}

/// A connection checked out of the pool; goes back when dropped.
pub struct PooledConn {
    conn: Option<Connection>,
    /// Its prepared statements (local files only).
    prepared: Prepared,
    /// Its stream is inside the empty transaction that [`Db::read_on_server`] left open, to
    /// end with its next batch of reads.
    lingering: AtomicBool,
    db: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl PooledConn {
    /// Closes the connection instead of returning it to the pool.
    fn discard(&mut self) {
        self.conn = None;
    }

    /// Its stream is no longer known to be inside an empty transaction left open: dropped
    /// while inside a transaction, the connection is closed rather than kept.
    fn stop_lingering(&self) {
        self.lingering.store(false, Ordering::Relaxed);
    }

    /// Runs `sql` (reads only) in one snapshot, and leaves the stream inside an empty
    /// transaction ([`Db::read_on_server`]). A kept stream is already inside one: a deferred
    /// transaction takes its snapshot at its first read, so the reads run in it as they come
    /// and see every write committed before them; a fresh stream opens its own first.
    async fn read_batch(&self, sql: &str) -> Result<libsql::BatchRows> {
        let lingering = self.lingering.load(Ordering::Relaxed);
        let begin = if lingering { "" } else { "BEGIN DEFERRED;\n" };
        // Until it answers, the stream's state is unknown: a failure closes the connection.
        self.lingering.store(false, Ordering::Relaxed);
        let mut rows = self
            .execute_batch(&format!("{begin}{sql}COMMIT;\nBEGIN DEFERRED;\n"))
            .await?;
        if !lingering {
            rows.next_stmt_row();
        }
        self.lingering.store(true, Ordering::Relaxed);
        Ok(rows)
    }

    /// This process's turn to write ([`Db::writer_turn`]) for `sql` when it writes outside a
    /// unit of work on a server; `None` otherwise (a unit of work has its turn, and SQLite's
    /// own lock orders the writes to a local file).
    ///
    /// Why: sqld 0.24 stops answering for good, now and then, when one process sends it
    /// several single-statement writes at once. Its connection manager loses a wake-up between
    /// a checkpoint and a write whose lock it took away, and one connection then spins waiting
    /// for a slot that nobody takes (`RUST_LOG=libsql_server=debug`: "current slot: Slot { …,
    /// state: Notified }", millions of times). Taking turns, this process sends one write at
    /// a time, as its units of work already do.
    pub(crate) async fn write_turn(&self, sql: &str) -> Option<OwnedSemaphorePermit> {
        if !self.db.location.is_remote() || !self.is_autocommit() || !writes(sql) {
            return None;
        }
        turn(&self.db.writer).await
    }

    /// `Connection::execute`, taking this process's turn for a write ([`Self::write_turn`]).
    pub async fn execute(&self, sql: &str, params: impl libsql::params::IntoParams) -> Result<u64> {
        let _turn = self.write_turn(sql).await;
        Ok(self.connection().execute(sql, params).await?)
    }

    /// `Connection::query`, taking this process's turn for a write ([`Self::write_turn`]).
    pub async fn query(
        &self,
        sql: &str,
        params: impl libsql::params::IntoParams,
    ) -> Result<libsql::Rows> {
        let _turn = self.write_turn(sql).await;
        Ok(self.connection().query(sql, params).await?)
    }

    /// The connection itself, whose `execute` and `query` take no turn.
    pub fn connection(&self) -> &Connection {
        self
    }

    /// Where the connection's database lives.
    pub fn location(&self) -> &Location {
        &self.db.location
    }

    /// The statement for `sql`, prepared once per connection (`None` off a local file).
    pub(crate) async fn statement(&self, sql: &str) -> Result<Option<Arc<Statement>>> {
        if !self.db.location.is_local() {
            return Ok(None);
        }
        Ok(Some(self.prepared.get(self, sql).await?))
    }
}

impl Deref for PooledConn {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out (and `discard`, right before a drop).
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // A connection left inside a transaction (a panic, a dropped future) is not reused:
        // on a server its stream may have died with the server (a restart answers "invalid
        // baton" forever after). Every other connection is: a plain remote one holds its own
        // HTTP client, whose kept-alive socket saves a TCP handshake per request (its streams
        // close with each request outside a transaction, so no baton outlives a request); an
        // embedded replica's opens a stream of its own on the primary for its writes, and
        // under load the primary times out opening them.
        if self.db.permits.is_closed() {
            return;
        }
        if !conn.is_autocommit() {
            // Only an empty transaction left open on purpose is kept, in its own list.
            if self.lingering.load(Ordering::Relaxed) {
                if let Ok(mut lingering) = self.db.lingering.lock() {
                    lingering.push((conn, Instant::now()));
                }
            }
            return;
        }
        self.prepared.reset_used();
        if let Ok(mut idle) = self.db.idle.lock() {
            idle.push((conn, std::mem::take(&mut self.prepared)));
        }
    }
}

/// One unit of work: a connection checked out of the pool for its whole duration, inside a
/// transaction. It derefs to the connection; repositories reach it through
/// `tx.contacts()` and friends (see [`Executor`]).
pub struct Tx {
    /// libSQL's transaction: dropped unfinished (an error returned through `?`, a panic, a
    /// dropped future), it rolls back at once (synchronously on a local file). `None` once
    /// committed or rolled back.
    tx: Option<Transaction>,
    /// Writes whose answer nobody waits for ([`Tx::defer`]), sent together as one server
    /// batch (plain remote, or a bulk load that asked for it, [`Tx::join_inserts`]: `None`
    /// otherwise, and a deferred statement runs at once).
    /// Boxed: it is the bulk of a `Tx` otherwise, and most units of work never use it.
    pipeline: Option<Box<tokio::sync::Mutex<Pipeline>>>,
    /// The checked-out connection, back to the pool once the transaction is over.
    conn: PooledConn,
    /// The embedded replica whose primary this unit of work writes to: it pulls the work once
    /// committed.
    replica: Option<Db>,
    /// A write unit of work's turn among this process's writers ([`Db::writer_turn`]),
    /// given back once it is over: declared last, so dropped after the transaction.
    writer: Option<OwnedSemaphorePermit>,
}

/// How many deferred statements a server batch carries at most: a few hundred kilobytes of
/// SQL text, one request.
const PIPELINE_BATCH: usize = 500;

/// How many rows one joined INSERT holds at most. Each row of a statement costs a little more
/// than the one before it (each row's subquery opens a cursor, and SQLite walks those already
/// open as it opens the next): 200,000 interactions took 2.5 s in statements of 50 rows and
/// 3.4 s in statements of 500 (BENCHMARKS.md).
const JOINED_ROWS: usize = 50;

/// The deferred statements of a unit of work on a server, as SQL text (placeholders inlined).
#[derive(Default)]
struct Pipeline {
    text: String,
    pending: usize,
    /// The SQL (with its placeholders) of the last statement in `text`, when it is an INSERT
    /// of one row that the next one of the same SQL may join ([`joinable_insert`]).
    last_insert: Option<String>,
    /// How many rows that statement holds.
    joined: usize,
    /// Why an earlier batch failed: the unit of work cannot commit any more.
    failed: Option<String>,
}

/// Where the `VALUES (…)` of `sql` starts and how long the text after it is, when `sql` is
/// `INSERT INTO table [(columns)] VALUES (…) [ON CONFLICT …]` of one row (no placeholder
/// before or after its values, no `RETURNING`, and no subquery that reads the table it
/// writes): several of them in a row can then be sent as one INSERT of many rows, each row
/// meeting the `ON CONFLICT` clause as it would alone. A server parses and prepares every
/// statement it is sent (the values are inlined, so no two texts are alike), and an INSERT
/// into a table with triggers compiles its triggers too: one statement for many rows is most
/// of a bulk write's cost on a server (the seed: about 150 µs of sqld CPU per row).
fn joinable_insert(sql: &str) -> Option<(usize, usize)> {
    let rest = sql.strip_prefix("INSERT INTO ")?;
    let table = rest.split([' ', '(']).next()?;
    let at = sql.find(" VALUES (")?;
    let start = at + " VALUES ".len();
    let tuple = &sql[start..];
    // Where the tuple's first parenthesis closes (quotes skipped).
    let (mut depth, mut quoted, mut end) = (0usize, false, None);
    for (i, c) in tuple.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    end = Some(i + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let (tuple, after) = tuple.split_at(end?);
    let plain_after = after.is_empty()
        || (after.starts_with(" ON CONFLICT ")
            && !after.contains(['?', '\''])
            && !after.to_ascii_uppercase().contains("RETURNING"));
    if sql[..at].contains('?') || !plain_after {
        return None;
    }
    let reads_itself = tuple.to_ascii_uppercase().contains("SELECT")
        && tuple
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|word| word == table);
    (!reads_itself).then_some((start, after.len()))
}

impl Tx {
    /// Where the unit of work's database lives.
    pub fn location(&self) -> &Location {
        self.conn.location()
    }

    async fn begin(mut conn: PooledConn, behavior: TransactionBehavior) -> Result<Tx> {
        let tx = match conn.transaction_with_behavior(behavior).await {
            Ok(tx) => tx,
            Err(e) => {
                // On a server, a `BEGIN` that failed (the write lock busy past the timeout)
                // may leave the connection holding a stream the server later forgets: a
                // reused connection would then fail with "stream handle not found".
                conn.discard();
                return Err(e.into());
            }
        };
        let pipeline = conn.db.location.is_remote().then(Default::default);
        Ok(Tx {
            tx: Some(tx),
            pipeline,
            conn,
            replica: None,
            writer: None,
        })
    }

    /// Commits, after sending the deferred statements: an error of one of them (now or in an
    /// earlier batch) rolls the whole unit of work back and is answered here.
    pub async fn commit(mut self) -> Result<()> {
        if let Err(e) = self.flush().await {
            self.conn.prepared.reset_used();
            if let Some(tx) = self.tx.take() {
                let _ = tx.rollback().await;
            }
            return Err(e);
        }
        self.conn.prepared.reset_used();
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        // The next writer's turn: the pull below is a read.
        self.writer = None;
        if let Some(replica) = self.replica.take() {
            // Read your writes: the replica pulls what was just committed on the primary. The
            // work is committed whatever happens here; a replica that could not pull it yet
            // catches up at its next sync.
            if let Err(e) = pulled(replica.pull().await) {
                tracing::warn!(error = %e, "the replica could not pull a committed write yet");
            }
        }
        Ok(())
    }

    pub async fn rollback(mut self) -> Result<()> {
        self.conn.prepared.reset_used();
        self.pipeline = None;
        if let Some(tx) = self.tx.take() {
            tx.rollback().await?;
        }
        Ok(())
    }

    /// Joins this unit of work's deferred INSERTs on a local file too, as on a server
    /// ([`Tx::defer`]): a bulk load's rows go as statements of up to [`JOINED_ROWS`] rows
    /// instead of one statement each. Each statement that writes through triggers begins a
    /// savepoint, at which the full-text indexes write out the entries they keep in memory as
    /// a segment of their own, to be merged later: a million rows one by one spent four
    /// fifths of their time there (BENCHMARKS.md). Nothing changes on a server (joined
    /// already) or an embedded replica (whose writes go to the primary one by one).
    pub(crate) fn join_inserts(&mut self) {
        if self.conn.db.location.is_local() && self.pipeline.is_none() {
            self.pipeline = Some(Box::default());
        }
    }

    /// The checked-out connection the unit of work runs on.
    pub(crate) fn pooled_conn(&self) -> &PooledConn {
        &self.conn
    }

    /// Runs a write whose answer is not needed (no `RETURNING`, no count), as part of this
    /// unit of work. On a server it waits in the unit of work's pipeline and goes with up to
    /// [`PIPELINE_BATCH`] others as one request: before the next read of the unit of work
    /// (every repository call, [`crate::repo::with_rows`], a [`crate::Query`]), when the
    /// pipeline is full, and at the latest before the commit. An error of a deferred statement
    /// fails the call that sends it and every later one, and the commit: the unit of work
    /// rolls back as a whole. On a local file or an embedded replica the statement runs at
    /// once (a statement costs microseconds there; a replica sends its writes to the primary
    /// one by one either way).
    ///
    /// A statement run on the connection directly (through `Deref`) does not send the
    /// pipeline first: call [`Tx::flush`] before it.
    pub(crate) async fn defer(&self, stmt: Stmt) -> Result<()> {
        let Some(pipeline) = &self.pipeline else {
            crate::repo::execute(self, &stmt.sql, stmt.values).await?;
            return Ok(());
        };
        let text = inline(&stmt.sql, &stmt.values)?;
        let joinable = joinable_insert(&stmt.sql);
        let full = {
            let mut guard = pipeline.lock().await;
            let p = &mut *guard;
            if let Some(why) = &p.failed {
                return Err(failed_earlier(why));
            }
            match joinable {
                // The same INSERT as the statement before: one more row of it.
                Some((values, after))
                    if p.joined < JOINED_ROWS
                        && p.last_insert.as_deref() == Some(stmt.sql.as_str()) =>
                {
                    p.joined += 1;
                    // The texts before and after the values have no placeholder: the same
                    // once inlined. The text so far loses its end (`after`, then ";\n"), and
                    // gains this row's values and the same end.
                    p.text.truncate(p.text.len() - ";\n".len() - after);
                    p.text.push_str(",\n");
                    p.text.push_str(&text[values..]);
                }
                _ => {
                    p.text.push_str(&text);
                    p.joined = 1;
                }
            }
            p.text.push_str(";\n");
            p.last_insert = joinable.map(|_| stmt.sql);
            p.pending += 1;
            p.pending >= PIPELINE_BATCH
        };
        if full {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sends the deferred statements ([`Tx::defer`]) as one request; nothing when there are
    /// none (and always on a local file or a replica).
    pub(crate) async fn flush(&self) -> Result<()> {
        let Some(pipeline) = &self.pipeline else {
            return Ok(());
        };
        // Held while the batch is sent: a read of this unit of work from another task waits
        // until the writes before it are in.
        let mut p = pipeline.lock().await;
        if let Some(why) = &p.failed {
            return Err(failed_earlier(why));
        }
        if p.pending == 0 {
            return Ok(());
        }
        let text = std::mem::take(&mut p.text);
        p.pending = 0;
        p.last_insert = None;
        if let Err(e) = self.execute_batch(&text).await {
            p.failed = Some(e.to_string());
            return Err(e.into());
        }
        Ok(())
    }
}

fn failed_earlier(why: &str) -> Error {
    Error::Database(libsql::Error::Misuse(format!(
        "an earlier write of this unit of work failed ({why}); it can only roll back"
    )))
}

/// On a local file, libSQL's transaction rolls back synchronously when dropped, and the
/// connection goes back to the pool. A remote transaction (plain remote, or an embedded
/// replica's writes to the primary) would hold the server's write lock until the server
/// expires its stream, so its rollback is sent from a task of its own (a panic, a dropped
/// future), and the connection, still inside it, is not reused.
impl Drop for Tx {
    fn drop(&mut self) {
        self.conn.prepared.reset_used();
        self.pipeline = None;
        if self.conn.db.location.is_local() {
            return;
        }
        let (Some(tx), Ok(runtime)) = (self.tx.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        runtime.spawn(async move {
            let _ = tx.rollback().await;
        });
    }
}

impl Deref for Tx {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match &self.tx {
            Some(tx) => tx,
            // Only `commit` and `rollback` end the transaction, and both consume the `Tx`.
            None => &self.conn,
        }
    }
}

/// What a repository runs on: the pool, or a unit of work.
///
/// `db.contacts()` runs each call on a connection checked out of the pool for that call alone
/// (autocommit; a call that writes several rows opens a unit of work of its own), like a
/// query on a pool in sqlx. `tx.contacts()` runs every call inside the caller's unit of work,
/// so calls to several repositories commit together.
#[derive(Clone, Copy)]
pub enum Executor<'e> {
    Pool(&'e Db),
    Tx(&'e Tx),
}

impl<'e> From<&'e Db> for Executor<'e> {
    fn from(db: &'e Db) -> Self {
        Executor::Pool(db)
    }
}

impl<'e> From<&'e Tx> for Executor<'e> {
    fn from(tx: &'e Tx) -> Self {
        Executor::Tx(tx)
    }
}

impl<'e> Executor<'e> {
    /// The connection for one repository call.
    pub(crate) async fn conn(&self) -> Result<Handle<'e>> {
        match *self {
            Executor::Pool(db) => Ok(Handle::Pooled(db.conn().await?)),
            Executor::Tx(tx) => {
                tx.flush().await?;
                Ok(Handle::Tx(tx))
            }
        }
    }

    /// Runs a write whose answer is not needed: in the caller's unit of work, deferred
    /// ([`Tx::defer`]), or at once on a pooled connection.
    pub(crate) async fn defer(&self, stmt: Stmt) -> Result<()> {
        match *self {
            Executor::Pool(db) => {
                db.conn().await?.execute(&stmt.sql, stmt.values).await?;
                Ok(())
            }
            Executor::Tx(tx) => tx.defer(stmt).await,
        }
    }

    /// A write unit of work for one repository call: the caller's, or a new one.
    pub(crate) async fn begin_write(&self) -> Result<Scope<'e>> {
        match *self {
            Executor::Pool(db) => Ok(Scope::Own(Box::new(db.begin_write().await?))),
            Executor::Tx(tx) => {
                tx.flush().await?;
                Ok(Scope::Joined(tx))
            }
        }
    }

    /// A read snapshot for one repository call: the caller's unit of work, or a new one.
    pub(crate) async fn begin_read(&self) -> Result<Scope<'e>> {
        match *self {
            Executor::Pool(db) => Ok(Scope::Own(Box::new(db.begin_read().await?))),
            Executor::Tx(tx) => {
                tx.flush().await?;
                Ok(Scope::Joined(tx))
            }
        }
    }
}

/// A connection for one repository call; derefs to it.
pub(crate) enum Handle<'e> {
    Pooled(PooledConn),
    Tx(&'e Tx),
}

impl Handle<'_> {
    /// `Connection::execute`; a write on a pooled connection takes this process's turn
    /// ([`PooledConn::write_turn`]).
    pub async fn execute(&self, sql: &str, params: impl libsql::params::IntoParams) -> Result<u64> {
        match self {
            Handle::Pooled(conn) => conn.execute(sql, params).await,
            Handle::Tx(tx) => Ok(Connection::execute(tx, sql, params).await?),
        }
    }
}

impl Deref for Handle<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Handle::Pooled(conn) => conn,
            Handle::Tx(tx) => tx,
        }
    }
}

/// The unit of work of one repository call: its own, committed by [`Scope::commit`], or the
/// caller's, which the caller commits.
pub(crate) enum Scope<'e> {
    Own(Box<Tx>),
    Joined(&'e Tx),
}

impl Scope<'_> {
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Scope::Own(tx) => tx.commit().await,
            Scope::Joined(_) => Ok(()),
        }
    }
}

impl Deref for Scope<'_> {
    type Target = Tx;

    fn deref(&self) -> &Tx {
        match self {
            Scope::Own(tx) => tx,
            Scope::Joined(tx) => tx,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{joinable_insert, writes, Db, OpenMode};
    use crate::query::Stmt;
    use crate::DbConfig;

    /// The rows of `t` after 150 INSERTs and upserts written one by one, or joined
    /// ([`super::Tx::join_inserts`]): 50 INSERTs, then 100 upserts of four keys, which meet
    /// rows of their own joined statement.
    async fn written(joined: bool) -> Vec<(String, i64, String)> {
        let dir = tempfile::tempdir().unwrap();
        let config = DbConfig {
            url: format!("file:{}", dir.path().join("t.db").display()),
            ..DbConfig::default()
        };
        let db = Db::open(&config, OpenMode::CreateIfMissing).await.unwrap();
        let conn = db.conn().await.unwrap();
        conn.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, note TEXT)")
            .await
            .unwrap();
        drop(conn);
        let mut tx = db.begin_write().await.unwrap();
        if joined {
            tx.join_inserts();
        }
        for i in 0..150i64 {
            let stmt = if i < 50 {
                Stmt::new(
                    "INSERT INTO t (k, n, note) VALUES (?1, ?2, ?3)",
                    libsql::params![format!("new{i}"), i, "it's new"],
                )
            } else {
                Stmt::new(
                    "INSERT INTO t (k, n, note) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (k) DO UPDATE SET n = t.n + excluded.n, note = excluded.note",
                    libsql::params![format!("key{}", i % 4), i, format!("last {i}")],
                )
            };
            tx.defer(stmt.unwrap()).await.unwrap();
        }
        tx.commit().await.unwrap();
        let conn = db.conn().await.unwrap();
        let mut rows = conn
            .query("SELECT k, n, note FROM t ORDER BY k", ())
            .await
            .unwrap();
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            out.push((
                row.get(0).unwrap(),
                row.get(1).unwrap(),
                row.get(2).unwrap(),
            ));
        }
        out
    }

    #[tokio::test]
    async fn joined_inserts_and_upserts_write_what_they_write_one_by_one() {
        let one_by_one = written(false).await;
        assert_eq!(written(true).await, one_by_one);
        assert_eq!(one_by_one.len(), 50 + 4);
        // key1: the upserts of i = 53, 57 … 149, summed.
        let key1: i64 = (50..150).filter(|i| i % 4 == 1).sum();
        let row = one_by_one.iter().find(|(k, _, _)| k == "key1").unwrap();
        assert_eq!((row.1, row.2.as_str()), (key1, "last 149"));
    }

    #[test]
    fn a_statement_writes_by_its_verb() {
        for sql in [
            "INSERT INTO contact (id) VALUES (?)",
            "  update contact SET name = ?",
            "DELETE FROM session WHERE id = ?1",
            "REPLACE INTO t VALUES (1)",
            "\n\tInsert into t values (1)",
        ] {
            assert!(writes(sql), "{sql}");
        }
        for sql in [
            "SELECT 1",
            "BEGIN",
            "COMMIT",
            "PRAGMA query_only = ON",
            "",
            "INSERTED",
        ] {
            assert!(!writes(sql), "{sql}");
        }
    }

    #[test]
    fn only_plain_one_row_inserts_are_joined() {
        let plain = "INSERT INTO contact (id, name) VALUES (?, ?)";
        assert_eq!(&plain[joinable_insert(plain).unwrap().0..], "(?, ?)");
        let upsert = "INSERT INTO background (id, a) VALUES (?1, ?2) \
                      ON CONFLICT (contact_id) DO UPDATE SET a = excluded.a";
        let (start, after) = joinable_insert(upsert).unwrap();
        assert_eq!(&upsert[start..upsert.len() - after], "(?1, ?2)");
        // A subquery of another table, a quoted parenthesis: still one row of values.
        for sql in [
            "INSERT INTO contact_detail (id, contact_id) VALUES (?1, (SELECT id FROM contact WHERE id = ?2))",
            "INSERT INTO t (a, b) VALUES ('x)', ?)",
            "INSERT INTO t VALUES (?, ?)",
            "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING",
        ] {
            assert!(joinable_insert(sql).is_some(), "{sql}");
        }
        for sql in [
            "INSERT INTO tag (id, n) VALUES (?, (SELECT max(n) FROM tag))",
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = ?",
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = 'x'",
            "INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING RETURNING id",
            "INSERT INTO t (a) VALUES (?) RETURNING id",
            "INSERT INTO t (a) VALUES (?), (?)",
            "INSERT OR IGNORE INTO t (a) VALUES (?)",
            "INSERT INTO t (a) SELECT ?",
            "UPDATE t SET a = ? WHERE id = ?",
        ] {
            assert_eq!(joinable_insert(sql), None, "{sql}");
        }
    }
}
