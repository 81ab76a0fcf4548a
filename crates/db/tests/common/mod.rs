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

/// A running `sqld`, killed by its process id when dropped.
struct Sqld {
    child: std::process::Child,
}

impl Drop for Sqld {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sqld_bin() -> std::path::PathBuf {
    match std::env::var_os("SQLD_BIN") {
        Some(bin) => bin.into(),
        None => {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/sqld/sqld")
        }
    }
}

/// Starts sqld on a free port with its data in `dir`; returns it and its URL once it answers.
fn start_sqld(dir: &std::path::Path) -> (Sqld, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new(sqld_bin())
        .arg("--db-path")
        .arg(dir.join("sqld-data"))
        .args([
            "--http-listen-addr",
            &format!("127.0.0.1:{port}"),
            "--no-welcome",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start sqld (set SQLD_BIN)");
    let server = Sqld { child };
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 20, "sqld did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (server, format!("http://127.0.0.1:{port}"))
}

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
            let (server, url) = start_sqld(dir.path());
            let config = DbConfig {
                url,
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
