//! `devhub serve` as a process: start-up on a fresh folder, health, graceful stop.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn start(dir: &std::path::Path, extra: &[&str]) -> (std::process::Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
    command
        .arg("serve")
        .args(["--port", "0"])
        .args(extra)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped());
    let (child, url) = support::spawn_announced(command);
    let addr = url.trim_start_matches("http://").to_string();
    (child, addr)
}

fn wait_for_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "devhub did not stop within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serve_creates_the_default_database_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path(), &[]);

    assert!(dir.path().join("local.db").exists(), "./local.db created");
    assert_eq!(
        support::http_get(&addr, "/healthz"),
        (200, "ok".to_string())
    );
    let (status, _) = support::http_get(&addr, "/login");
    assert_eq!(status, 200);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_for_exit(&mut child, Duration::from_secs(15));

    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    assert!(logs.contains("applied migration"), "{logs}");
    assert!(
        logs.contains("path=/healthz") && logs.contains("status=200"),
        "request log: {logs}"
    );
    assert!(logs.contains("stopped"), "{logs}");
    assert!(TcpStream::connect(&addr).is_err(), "no longer listening");
}

#[test]
fn no_migrate_leaves_the_database_unmigrated() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path(), &["--no-migrate"]);
    assert_eq!(support::http_get(&addr, "/healthz").0, 200);
    child.kill().unwrap();
    child.wait().unwrap();

    let status = Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(["db", "status"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("pending  0001_"));
}

#[test]
fn an_address_that_cannot_be_used_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(["serve", "--port", &port])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot listen on 127.0.0.1:"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
