//! Opening the database and a small pool of connections.
//!
//! A unit of work checks one connection out for its whole duration ([`Db::conn`]), so a
//! transaction never shares its connection with another task (DESIGN.md §3).

use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use libsql::{Builder, Connection, Database, Transaction, TransactionBehavior};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::{check_local_path, DbConfig, Location, Synchronous};
use crate::error::{Error, Result};

/// How long a writer waits for the lock before `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    location: Location,
    synchronous: Synchronous,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
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
            } => {
                check_local_path(path, true)?;
                Builder::new_remote_replica(path, url.clone(), auth_token.clone())
                    .read_your_writes(true)
                    .build()
                    .await
            }
        }
        .map_err(|e| Error::Config(format!("cannot open {}: {e}", location.describe())))?;

        // An in-memory database lives in its one connection.
        let size = if location == Location::Memory { 1 } else { 8 };
        let db = Db {
            inner: Arc::new(Inner {
                database,
                location,
                synchronous,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(size)),
            }),
        };
        if let Location::Replica { .. } = db.inner.location {
            db.inner
                .database
                .sync()
                .await
                .map_err(|e| Error::Config(format!("cannot sync the replica: {e}")))?;
        }
        // Fail at start, not at the first request, when the database cannot be used.
        let conn = db.conn().await.map_err(|e| match e {
            Error::Database(e) => {
                Error::Config(format!("cannot use {}: {e}", db.inner.location.describe()))
            }
            other => other,
        })?;
        drop(conn);
        Ok(db)
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

    /// Checks a connection out of the pool, opening one when none is idle.
    pub async fn conn(&self) -> Result<PooledConn> {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .map_err(|_| Error::Config("the database has been closed".into()))?;
        let idle = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => self.new_connection().await?,
        };
        Ok(PooledConn {
            conn: Some(conn),
            db: Arc::clone(&self.inner),
            _permit: permit,
        })
    }

    async fn new_connection(&self) -> Result<Connection> {
        let conn = self.inner.database.connect()?;
        if self.inner.location.is_local() {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // `journal_mode` answers with a row, so it goes through `query`.
            conn.query("PRAGMA journal_mode = WAL", ()).await?;
            conn.execute_batch(&format!(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = {};",
                self.inner.synchronous.pragma()
            ))
            .await?;
        } else {
            // Remote servers keep their own journal and durability settings.
            conn.execute("PRAGMA foreign_keys = ON", ()).await?;
        }
        Ok(conn)
    }

    /// Pulls the primary's latest frames into an embedded replica; a no-op otherwise.
    pub async fn sync(&self) -> Result<()> {
        if let Location::Replica { .. } = self.inner.location {
            self.inner.database.sync().await?;
        }
        Ok(())
    }

    /// Closes idle connections; checked-out ones close when they come back.
    pub fn close(&self) {
        self.inner.permits.close();
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.clear();
        }
    }
}

/// A connection checked out of the pool; goes back when dropped.
pub struct PooledConn {
    conn: Option<Connection>,
    db: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl PooledConn {
    /// Starts a write transaction with `BEGIN IMMEDIATE`: it takes the write lock up front, so
    /// concurrent writers queue on the busy timeout instead of failing on lock upgrade.
    pub async fn begin_write(&self) -> Result<Transaction> {
        Ok(self
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .await?)
    }

    /// A read transaction: one consistent snapshot for several queries.
    pub async fn begin_read(&self) -> Result<Transaction> {
        Ok(self
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .await?)
    }
}

impl Deref for PooledConn {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `drop` takes the connection out.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // A connection left inside a transaction (a panic, a dropped future) is not reused.
        if !conn.is_autocommit() || self.db.permits.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.db.idle.lock() {
            idle.push(conn);
        }
    }
}
