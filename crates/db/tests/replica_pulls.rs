//! An embedded replica's pull runs to its end when whoever waits for it gives up: a request
//! whose wait for the replica timed out (`Db::caught_up_since`), `/healthz`'s own timeout, a
//! client gone before its write's pull ended.
//!
//! libSQL's pull is not safe to drop half-way. Dropped after it took frames from the primary
//! and before it applied them, it left the replica waiting for a commit it had skipped: every
//! later pull fetched nothing, for ever, and each signed-in request of the instance answered
//! 503 until a restart. It happened after sqld was killed in the middle of writes
//! (`sqld_outage`): sqld rebuilds its log at the next start, so the replica pulls the whole
//! database again, and requests timed out while it did.
//!
//! These tests always use an embedded replica of a sqld of their own, whatever
//! `DEVHUB_TEST_MODE` says: they run in the default pass of `scripts/test` only.
#![allow(clippy::unwrap_used)]

mod common;

use common::sqld;

use std::time::{Duration, Instant};

use devhub_db::{Db, DbConfig, OpenMode};

/// The rows of `t` in the replica's own file (a read never pulls).
async fn rows(db: &Db) -> i64 {
    db.read(async |tx| {
        let mut rows = tx.query("SELECT count(*) FROM t", ()).await?;
        Ok(rows.next().await?.unwrap().get(0)?)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_its_waiter_gave_up_on_still_brings_the_replica_up_to_date() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    // No background pulls: only the ones asked for below.
    let replica = Db::open(
        &DbConfig {
            url: server.url(),
            replica_path: Some(dir.path().join("replica.db")),
            sync_interval: Duration::ZERO,
            ..DbConfig::default()
        },
        OpenMode::CreateIfMissing,
    )
    .await
    .unwrap();
    replica
        .write(async |tx| {
            tx.execute("CREATE TABLE t (x INTEGER, pad BLOB)", ())
                .await?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(rows(&replica).await, 0);

    // About 20 MB written on the primary alone, for the replica to pull.
    let primary = server.open_directly().await;
    for _ in 0..40 {
        primary
            .write(async |tx| {
                tx.execute(
                    "INSERT INTO t SELECT value, randomblob(1000) FROM generate_series(1, 500)",
                    (),
                )
                .await?;
                Ok(())
            })
            .await
            .unwrap();
    }

    // Requests that wait a millisecond each for the replica, and give up.
    for _ in 0..3 {
        let waited = tokio::time::timeout(
            Duration::from_millis(1),
            replica.caught_up_since(Instant::now()),
        )
        .await;
        assert!(waited.is_err(), "a pull of 20 MB ended within 1 ms");
    }
    let waited = tokio::time::timeout(Duration::from_millis(1), replica.sync()).await;
    assert!(waited.is_err(), "a pull of 20 MB ended within 1 ms");

    // Nothing else pulls, yet the pulls given up on go on to the end.
    let deadline = Instant::now() + Duration::from_secs(30);
    while rows(&replica).await < 20_000 {
        assert!(
            Instant::now() < deadline,
            "the replica stopped at {} of 20000 rows when its waiters gave up",
            rows(&replica).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rows(&replica).await, 20_000);

    // And a request that waits is served at once: the pull it needs is done or under way.
    replica.caught_up_since(Instant::now()).await.unwrap();
}
