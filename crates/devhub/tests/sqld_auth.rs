//! The binary on a libSQL server that requires a JWT (`DATABASE_AUTH_TOKEN`): a missing or
//! wrong token is a one-line error with exit code 2, no panic; the right one works.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};

fn devhub(url: &str, token: Option<&str>, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
    command
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("DATABASE_REPLICA_PATH")
        .env_remove("DATABASE_AUTH_TOKEN");
    if let Some(token) = token {
        command.env("DATABASE_AUTH_TOKEN", token);
    }
    command
}

fn assert_refused(o: &Output) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("Unauthorized") || err.contains("401"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_server_with_jwt_authentication_takes_the_right_token_and_refuses_others_in_one_line() {
    if !sqld::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = sqld::Sqld::start_with_auth(dir.path());
    let url = server.url();

    assert_refused(&devhub(&url, None, &["db", "migrate"]).output().unwrap());
    assert_refused(
        &devhub(&url, Some("not.a.token"), &["db", "migrate"])
            .output()
            .unwrap(),
    );
    assert_refused(
        &devhub(&url, None, &["serve", "--port", "0"])
            .output()
            .unwrap(),
    );

    let migrated = devhub(&url, Some(&token), &["db", "migrate"])
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    let seeded = devhub(
        &url,
        Some(&token),
        &[
            "seed-demo",
            "--users",
            "1",
            "--contacts",
            "5",
            "--interactions",
            "1",
        ],
    )
    .output()
    .unwrap();
    assert!(seeded.status.success(), "{seeded:?}");

    let mut serve = devhub(&url, Some(&token), &["serve", "--port", "0"]);
    serve.stderr(Stdio::null());
    let (mut child, address) = support::spawn_announced(serve);
    let host = address.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
