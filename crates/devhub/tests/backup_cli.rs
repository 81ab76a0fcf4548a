//! `devhub backup` and `devhub restore` as an operator runs them, on the real binary: a backup
//! of a file that a running `devhub serve` holds open, taken while eight `devhub contact add`
//! processes keep writing, holds every contact whose `add` had exited before the backup
//! began; it restores into a new file that `db status` finds complete; refusals exit 2 and a
//! damaged file exits non-zero, each with one line.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn devhub(db: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
    command
        .args(args)
        .env("DATABASE_URL", format!("file:{}", db.display()))
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env("RUST_LOG", "error");
    command
}

fn run(db: &Path, args: &[&str]) -> Output {
    devhub(db, args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_one_line_failure(o: &Output, code: i32, needle: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The ids of the user's contacts, as `devhub contact list --json` prints them.
fn contact_ids(db: &Path) -> Vec<String> {
    let o = run(db, &["contact", "list", "--user", "demo1", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_backup_of_a_running_instance_under_eight_writers_restores_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let o = run(
        &db,
        &[
            "seed-demo",
            "--users",
            "1",
            "--contacts",
            "100",
            "--interactions",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut serve = devhub(&db, &["serve", "--port", "0"]);
    serve.stderr(std::process::Stdio::null());
    let (mut server, url) = support::spawn_announced(serve);
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    assert_eq!(support::http_get(addr, "/healthz").0, 200);

    let started = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let db = db.clone();
            let (started, stop) = (Arc::clone(&started), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut before = Vec::new();
                let mut after = 0;
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let name = format!("Writer {w} {i}");
                    let o = run(&db, &["contact", "add", &name, "--user", "demo1", "--json"]);
                    assert!(o.status.success(), "{}", text(&o.stderr));
                    i += 1;
                    let added: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                    let id = added["id"].as_str().unwrap().to_string();
                    if started.load(Ordering::SeqCst) {
                        after += 1;
                    } else {
                        before.push(id);
                    }
                }
                (before, after)
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let file = dir.path().join("backup.db");
    started.store(true, Ordering::SeqCst);
    let o = run(&db, &["backup", file.to_str().unwrap()]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    let mut during = 0;
    for w in writers {
        let (before, after) = w.join().unwrap();
        acknowledged.extend(before);
        during += after;
    }
    assert!(o.status.success(), "{}", text(&o.stderr));
    let line = text(&o.stdout);
    eprintln!(
        "{line}{} before, {during} during or after",
        acknowledged.len()
    );
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.contains("1 user,") && line.contains("tables") && line.contains("migration 00"),
        "{line}"
    );
    assert!(
        acknowledged.len() >= 8,
        "every writer wrote before the backup"
    );
    assert!(during > 0, "the writers kept writing during the backup");

    // Again to the same name: refused (exit 2), and the copy is left as it was.
    let before = std::fs::read(&file).unwrap();
    let o = run(&db, &["backup", file.to_str().unwrap()]);
    assert_one_line_failure(&o, 2, "--force");
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // Restored into a new file: every acknowledged contact is there; `db status` is complete.
    let restored = dir.path().join("restored.db");
    let o = run(&restored, &["restore", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with("restored "),
        "{}",
        text(&o.stdout)
    );
    let ids: std::collections::HashSet<String> = contact_ids(&restored).into_iter().collect();
    for id in &acknowledged {
        assert!(
            ids.contains(id),
            "contact {id} missing from the restored copy"
        );
    }
    let o = run(&restored, &["db", "status"]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains(" 0 pending"),
        "{}",
        text(&o.stdout)
    );
    assert!(!text(&o.stdout).contains("CHANGED"));

    // Restoring into the live database: refused, exit 2, with the reason.
    let o = run(&db, &["restore", file.to_str().unwrap()]);
    assert_one_line_failure(&o, 2, "into a new");

    // A truncated copy: refused by restore with a non-zero exit, nothing written.
    let bytes = std::fs::read(&file).unwrap();
    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let target = dir.path().join("from-truncated.db");
    let o = run(&target, &["restore", truncated.to_str().unwrap()]);
    assert_one_line_failure(&o, 1, "truncated.db");
    assert!(!target.exists());

    // A missing argument is a usage error.
    let o = run(&db, &["backup"]);
    assert_eq!(o.status.code(), Some(2));

    let _ = server.kill();
    let _ = server.wait();
}
