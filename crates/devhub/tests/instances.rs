//! Three `devhub serve` processes started at once on one unmigrated libSQL server: each
//! migration is applied exactly once, every instance serves only once the schema is current;
//! and a binary older than the database's schema refuses to start, saying why.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

use std::io::Read;
use std::process::{Child, Command, Stdio};

use devhub_db::migrate;

fn serve(url: &str, replica: Option<&std::path::Path>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
    command
        .args(["serve", "--port", "0"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "info")
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = replica {
        command.env("DATABASE_REPLICA_PATH", path);
    }
    command
}

/// The first line a started server prints: its address.
fn announced(child: &mut Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_start_matches("http://")
        .to_string()
}

fn stop(mut child: Child) -> String {
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_started_at_once_apply_each_migration_once() {
    if !sqld::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let url = server.url();
    // All three at once: two with replicas of their own, one without.
    let mut children = vec![
        serve(&url, Some(&dir.path().join("a.db"))).spawn().unwrap(),
        serve(&url, Some(&dir.path().join("b.db"))).spawn().unwrap(),
        serve(&url, None).spawn().unwrap(),
    ];
    let addrs: Vec<String> = children.iter_mut().map(announced).collect();
    // Each announces its address only after migrating: the schema is current for all.
    for addr in &addrs {
        let (status, body) = support::http_get(addr, "/healthz");
        assert_eq!(status, 200, "{addr}: {body}");
        let (status, _) = support::http_get(addr, "/login");
        assert_eq!(status, 200);
    }
    let logs: Vec<String> = children.into_iter().map(stop).collect();
    let migrations = migrate::embedded().unwrap();
    let applied: usize = logs
        .iter()
        .map(|log| log.matches("applied migration").count())
        .sum();
    assert_eq!(applied, migrations.len(), "applied once in all: {logs:#?}");
    for log in &logs {
        assert!(!log.contains("panicked") && !log.contains("ERROR"), "{log}");
    }
    let db = server.open_directly().await;
    let statuses = migrate::status(&db, &migrations).await.unwrap();
    assert_eq!(statuses.len(), migrations.len());
    assert!(statuses
        .iter()
        .all(|s| matches!(s.state, migrate::MigrationState::Applied(_))));

    // A database migrated by a newer devhub: this one refuses to serve, in one line.
    let conn = db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO __devhub_migrations (id, name, checksum, applied_at) \
         VALUES (9999, 'from_a_newer_devhub', 'abc', unixepoch())",
        (),
    )
    .await
    .unwrap();
    drop(conn);
    for replica in [None, Some(dir.path().join("c.db"))] {
        let out = serve(&url, replica.as_deref()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(out.stdout.is_empty(), "it must not announce an address");
        assert!(
            err.contains("9999_from_a_newer_devhub") && err.contains("does not know"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
