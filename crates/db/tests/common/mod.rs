//! Shared test helpers: a fresh migrated database in a temporary folder per test, and
//! builders for test data.
#![allow(dead_code)]

use devhub_db::migrate;
use devhub_db::validate::Username;
use devhub_db::{ContactInput, Db, DbConfig, NewContact, NewUser, OpenMode, User};

/// A database file in its own temporary folder, removed when dropped; or, with
/// `DEVHUB_TEST_MODE=remote|replica`, a fresh libSQL server (`sqld`, from `SQLD_BIN` or
/// `../shared/tools/sqld/sqld`) of its own, stopped when dropped.
pub struct TestDb {
    pub db: Db,
    pub dir: tempfile::TempDir,
    server: Option<Sqld>,
}

pub mod sqld;
use sqld::Sqld;

impl std::ops::Deref for TestDb {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

/// A fresh file database with every embedded migration applied.
pub async fn test_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let mode = std::env::var("DEVHUB_TEST_MODE").unwrap_or_default();
    let (config, server) = match mode.as_str() {
        "" | "local" => (DbConfig::local(dir.path().join("test.db")), None),
        "remote" | "replica" => {
            let server = Sqld::start(dir.path());
            let config = DbConfig {
                url: server.url(),
                replica_path: (mode == "replica").then(|| dir.path().join("replica.db")),
                ..DbConfig::default()
            };
            (config, Some(server))
        }
        other => panic!("DEVHUB_TEST_MODE={other}: expected local, remote or replica"),
    };
    let db = Db::open(&config, OpenMode::CreateIfMissing)
        .await
        .expect("open test database");
    migrate::migrate(&db, &migrate::embedded().expect("embedded migrations"))
        .await
        .expect("migrate test database");
    TestDb { db, dir, server }
}

/// Stores a user with a unique username.
pub async fn user(db: &Db) -> User {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    db.users()
        .create(
            &NewUser::new(
                Username::parse(&format!("user{n}_{}", std::process::id())).expect("username"),
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            )
            .expect("new user"),
        )
        .await
        .expect("create user")
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub fn contact(name: &str) -> NewContact {
    ContactInput {
        name: name.to_string(),
        ..ContactInput::default()
    }
    .parse()
    .expect("a valid contact")
}

/// The single integer `sql` answers (a `SELECT count(*) …`).
pub async fn count(db: &Db, sql: &str) -> i64 {
    let conn = db.conn().await.expect("connection");
    let mut rows = conn.query(sql, ()).await.expect("query");
    let row = rows.next().await.expect("row").expect("one row");
    row.get(0).expect("an integer")
}
