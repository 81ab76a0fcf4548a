//! A libSQL server that restarts in the middle of a unit of work: nothing of the unit is
//! applied, the error says the database is unavailable (a 503 upstream), and the next unit of
//! work on the same `Db` succeeds.
//!
//! With an embedded replica this used to commit half of the unit: libSQL's write delegation
//! ran the statements after the restart on a fresh connection of the primary, outside any
//! transaction. Write units of work now reach the primary directly (`Db::begin_write`).
//!
//! These tests start their own sqld (and one checks how a test's sqld is started), plainly remote or through a replica, whatever
//! `DEVHUB_TEST_MODE` says: they run in the default pass of `scripts/test` only.
#![allow(clippy::unwrap_used)]

mod common;

use common::sqld;

use devhub_db::{Db, DbConfig, OpenMode};

async fn values(db: &Db) -> Vec<i64> {
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query("SELECT x FROM t ORDER BY x", ()).await.unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        out.push(row.get(0).unwrap());
    }
    out
}

async fn a_unit_of_work_cut_by_a_restart_applies_nothing(replica: bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = sqld::Sqld::start(dir.path());
    let config = DbConfig {
        url: server.url(),
        replica_path: replica.then(|| dir.path().join("replica.db")),
        ..DbConfig::default()
    };
    let db = Db::open(&config, OpenMode::CreateIfMissing).await.unwrap();
    db.conn()
        .await
        .unwrap()
        .execute("CREATE TABLE t (x INTEGER)", ())
        .await
        .unwrap();

    let tx = db.begin_write().await.unwrap();
    tx.execute("INSERT INTO t VALUES (1)", ()).await.unwrap();
    server.restart();
    let second = tx.execute("INSERT INTO t VALUES (2)", ()).await;
    let third = tx.execute("INSERT INTO t VALUES (3)", ()).await;
    let committed = tx.commit().await;

    let second = devhub_db::Error::from(second.unwrap_err());
    assert!(second.is_unavailable(), "{second}");
    assert!(third.is_err());
    let committed = committed.unwrap_err();
    assert!(committed.is_unavailable(), "{committed}");
    // Straight from the server, not through the replica.
    let primary = server.open_directly().await;
    assert_eq!(values(&primary).await, Vec::<i64>::new());

    // The same handle writes again, and reads its write back.
    db.write(async |tx| {
        tx.execute("INSERT INTO t VALUES (4)", ()).await?;
        tx.execute("INSERT INTO t VALUES (5)", ()).await?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(values(&db).await, [4, 5]);
    assert_eq!(values(&primary).await, [4, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_of_work_cut_by_a_server_restart_applies_nothing_on_a_remote_database() {
    if sqld::own_server_runs_here() {
        a_unit_of_work_cut_by_a_restart_applies_nothing(false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_of_work_cut_by_a_server_restart_applies_nothing_on_an_embedded_replica() {
    if sqld::own_server_runs_here() {
        a_unit_of_work_cut_by_a_restart_applies_nothing(true).await;
    }
}

/// A test's server is one it started itself: a port that another test's server took between
/// being found free and being bound is refused (and `Sqld::start` tries another), instead of
/// handing the test that other server and its database. Two tests' migrations on one server
/// were the remote pass's "migration … failed: SQLite error: interrupted".
#[test]
fn a_port_another_server_listens_on_is_not_taken_for_a_new_server() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = sqld::Sqld::start(first_dir.path());
    assert!(sqld::Sqld::try_start_on(second_dir.path(), first.port, None).is_none());
    let log = std::fs::read_to_string(second_dir.path().join("sqld-data.log")).unwrap();
    assert!(log.contains("Address already in use"), "{log}");
    let second = sqld::Sqld::start(second_dir.path());
    assert_ne!(second.port, first.port);
}
