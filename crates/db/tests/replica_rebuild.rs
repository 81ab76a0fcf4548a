//! An embedded replica whose file was deleted or damaged while the app was stopped is rebuilt
//! from the primary at start, with one warning saying so; a primary that does not answer or
//! refuses the token leaves the replica's file alone (that stays a configuration error).
//!
//! These tests always use an embedded replica of a sqld of their own, whatever
//! `DEVHUB_TEST_MODE` says: they run in the default pass of `scripts/test` only.
#![allow(clippy::unwrap_used)]

mod common;

use common::sqld;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{contact, count, user};
use devhub_db::{migrate, Db, DbConfig, Error, OpenMode};

/// A primary with rows written through an embedded replica that has been closed since.
struct Fixture {
    dir: tempfile::TempDir,
    server: sqld::Sqld,
    config: DbConfig,
    contacts: i64,
}

impl Fixture {
    async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let server = sqld::Sqld::start(dir.path());
        let config = DbConfig {
            url: server.url(),
            replica_path: Some(dir.path().join("replica.db")),
            ..DbConfig::default()
        };
        let db = Db::open(&config, OpenMode::CreateIfMissing).await.unwrap();
        migrate::migrate(&db, &migrate::embedded().unwrap())
            .await
            .unwrap();
        let ada = user(&db).await;
        for n in 0..40 {
            db.contacts()
                .create(&ada.id, &contact(&format!("Contact {n}")))
                .await
                .unwrap();
        }
        db.sync().await.unwrap();
        assert_eq!(count(&db, "SELECT count(*) FROM contact").await, 40);
        db.close();
        drop(db);
        Fixture {
            dir,
            server,
            config,
            contacts: 40,
        }
    }

    fn replica(&self) -> PathBuf {
        self.dir.path().join("replica.db")
    }

    fn side(&self, suffix: &str) -> PathBuf {
        self.dir.path().join(format!("replica.db{suffix}"))
    }

    /// Opens the replica again while capturing what it logs.
    async fn reopen(&self) -> (Result<Db, Error>, String) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish();
        // The tests run on a current-thread runtime, so the whole open happens under it.
        let _guard = tracing::subscriber::set_default(subscriber);
        let db = Db::open(&self.config, OpenMode::CreateIfMissing).await;
        (db, logs.text())
    }

    /// Reopens, expects a rebuild and checks that every row is back and read locally.
    async fn assert_rebuilt(&self, why: &str) {
        self.assert_rebuilt_for(&[why]).await;
    }

    /// [`Self::assert_rebuilt`] for one of several reasons.
    async fn assert_rebuilt_for(&self, reasons: &[&str]) {
        let (db, logs) = self.reopen().await;
        let db = db.unwrap();
        let warning = format!(
            "the embedded replica at {} was unreadable (",
            self.replica().display()
        );
        let lines: Vec<_> = logs.lines().filter(|l| l.contains(&warning)).collect();
        assert_eq!(lines.len(), 1, "one warning: {logs}");
        assert!(lines[0].contains(" WARN "), "{logs}");
        assert!(lines[0].contains("was rebuilt from the primary"), "{logs}");
        assert!(
            reasons.iter().any(|why| lines[0].contains(why)),
            "one of the reasons {reasons:?} in: {logs}"
        );
        // The file, or when it was deleted its sync index, set aside for whoever looks.
        let aside = [".unreadable", ".unreadable-client_wal_index"];
        assert!(
            aside.iter().any(|s| self.side(s).exists()),
            "the broken files set aside"
        );

        assert_eq!(
            count(&db, "SELECT count(*) FROM contact").await,
            self.contacts
        );
        assert_quick_check_ok(&db).await;
        // Writes reach the primary and come back to the rebuilt replica.
        let grace = user(&db).await;
        db.contacts()
            .create(&grace.id, &contact("After the rebuild"))
            .await
            .unwrap();
        assert_eq!(
            count(&db, "SELECT count(*) FROM contact").await,
            self.contacts + 1
        );
    }
}

/// The replica's own file reads clean (its table form runs on the replica, not the primary).
async fn assert_quick_check_ok(db: &Db) {
    let conn = db.conn().await.unwrap();
    let mut rows = conn
        .query("SELECT quick_check FROM pragma_quick_check", ())
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), "ok");
}

/// What the tracing subscriber writes, kept for the test to read.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

fn overwrite(path: &Path, range: impl FnOnce(usize) -> std::ops::Range<usize>) {
    let mut bytes = std::fs::read(path).unwrap();
    let range = range(bytes.len());
    bytes[range].fill(0x5a);
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn a_replica_whose_file_was_deleted_is_rebuilt_from_the_primary_at_start() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let fixture = Fixture::new().await;
    // libSQL's sync index stays behind: alone, it makes libSQL serve an empty database.
    assert!(fixture.side("-client_wal_index").exists());
    std::fs::remove_file(fixture.replica()).unwrap();

    fixture
        .assert_rebuilt("its file is missing but its sync index is not")
        .await;
}

#[tokio::test]
async fn a_replica_whose_file_was_emptied_is_rebuilt_from_the_primary_at_start() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let fixture = Fixture::new().await;
    std::fs::write(fixture.replica(), b"").unwrap();

    fixture
        .assert_rebuilt("its file is empty but its sync index is not")
        .await;
}

#[tokio::test]
async fn a_replica_overwritten_with_garbage_is_rebuilt_from_the_primary_at_start() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let fixture = Fixture::new().await;
    overwrite(&fixture.replica(), |len| 0..len);

    fixture.assert_rebuilt("file is not a database").await;
}

#[tokio::test]
async fn a_truncated_replica_is_rebuilt_from_the_primary_at_start() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let fixture = Fixture::new().await;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(fixture.replica())
        .unwrap();
    let len = file.metadata().unwrap().len();
    file.set_len(len / 2).unwrap();
    drop(file);

    fixture.assert_rebuilt("malformed").await;
}

#[tokio::test]
async fn a_replica_with_damaged_pages_is_rebuilt_from_the_primary_at_start() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let fixture = Fixture::new().await;
    // Pages in the middle: libSQL opens and syncs such a file; only reading them fails.
    overwrite(&fixture.replica(), |len| len / 2..len * 3 / 4);

    // Found by the integrity check, or earlier, by the first read of a damaged page.
    fixture
        .assert_rebuilt_for(&["quick_check: ", "database disk image is malformed"])
        .await;
}

#[tokio::test]
async fn an_intact_replica_opens_without_a_rebuild() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let fixture = Fixture::new().await;

    let (db, logs) = fixture.reopen().await;

    let db = db.unwrap();
    assert!(!logs.contains("unreadable"), "{logs}");
    assert!(!fixture.side(".unreadable").exists());
    assert_eq!(
        count(&db, "SELECT count(*) FROM contact").await,
        fixture.contacts
    );
}

#[tokio::test]
async fn a_replica_deleted_with_its_side_files_is_pulled_afresh_without_a_warning() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let fixture = Fixture::new().await;
    for suffix in ["", "-wal", "-shm", "-client_wal_index", "-info"] {
        let _ = std::fs::remove_file(fixture.side(suffix));
    }

    // Nothing is left to tell it from a first start.
    let (db, logs) = fixture.reopen().await;

    let db = db.unwrap();
    assert!(!logs.contains("unreadable"), "{logs}");
    assert_eq!(
        count(&db, "SELECT count(*) FROM contact").await,
        fixture.contacts
    );
}

#[tokio::test]
async fn a_primary_that_does_not_answer_leaves_an_intact_replica_alone() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let mut fixture = Fixture::new().await;
    let before = std::fs::read(fixture.replica()).unwrap();
    fixture.server.stop();

    let (db, logs) = fixture.reopen().await;

    let e = db.unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e:?}");
    assert!(!e.to_string().contains("unreadable"), "{e}");
    assert!(!logs.contains("unreadable"), "{logs}");
    assert!(!fixture.side(".unreadable").exists());
    assert_eq!(std::fs::read(fixture.replica()).unwrap(), before);

    fixture.server.restart();
    let (db, logs) = fixture.reopen().await;
    let db = db.unwrap();
    assert!(!logs.contains("unreadable"), "{logs}");
    assert_eq!(
        count(&db, "SELECT count(*) FROM contact").await,
        fixture.contacts
    );
}

#[tokio::test]
async fn a_primary_that_refuses_the_token_leaves_the_replica_alone() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = sqld::Sqld::start_with_auth(dir.path());
    let replica = dir.path().join("replica.db");
    let mut config = DbConfig {
        url: server.url(),
        auth_token: Some(token),
        replica_path: Some(replica.clone()),
        ..DbConfig::default()
    };
    let db = Db::open(&config, OpenMode::CreateIfMissing).await.unwrap();
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    user(&db).await;
    db.close();
    drop(db);
    let before = std::fs::read(&replica).unwrap();

    config.auth_token = Some("not.a.token".to_string());
    let e = Db::open(&config, OpenMode::CreateIfMissing)
        .await
        .unwrap_err();

    assert!(matches!(e, Error::Config(_)), "{e:?}");
    // libSQL hides the server's 401 behind its handshake retries: the message says both.
    let message = e.to_string();
    assert!(message.contains("DATABASE_AUTH_TOKEN"), "{message}");
    assert!(!message.contains("unreadable"), "{message}");
    assert_eq!(std::fs::read(&replica).unwrap(), before);
    assert!(!dir.path().join("replica.db.unreadable").exists());
}
