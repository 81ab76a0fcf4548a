//! `devhub studio` as a user runs it: the token address, 401 without it, the warning for
//! non-loopback addresses, a missing database refused, and no migrations ever.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn devhub(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
    command
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env("RUST_LOG", "warn");
    command
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    devhub(cwd).args(args).output().unwrap()
}

/// A running `devhub studio` with the address it printed; killed when dropped.
struct Studio {
    child: Child,
    url: String,
}

impl Studio {
    fn start(cwd: &Path, args: &[&str]) -> Studio {
        let mut command = devhub(cwd);
        command
            .arg("studio")
            .args(["--port", "0"])
            .args(args)
            .stderr(Stdio::piped());
        let (child, url) = support::spawn_announced(command);
        Studio { child, url }
    }

    /// host:port and the token of the printed address.
    fn parts(&self) -> (String, String) {
        let rest = self.url.strip_prefix("http://").unwrap();
        let (host, query) = rest.split_once("/?token=").unwrap();
        (host.to_string(), query.to_string())
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; returns the status and the raw head.
fn http(host: &str, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(host).unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{cookie}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    (status, response)
}

fn seed(dir: &Path) {
    let o = run(
        dir,
        &[
            "--database-url",
            "file:./demo.db",
            "seed-demo",
            "--users",
            "1",
            "--contacts",
            "3",
            "--interactions",
            "1",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn studio_prints_a_token_address_and_refuses_requests_without_it() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let studio = Studio::start(dir.path(), &["--database-url", "file:./demo.db"]);
    let (host, token) = studio.parts();
    assert!(host.starts_with("127.0.0.1:"), "{host}");
    assert_eq!(token.len(), 32, "128 random bits in hex: {token}");
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));

    assert_eq!(http(&host, "/", None).0, 401);
    assert_eq!(http(&host, "/t/contact", None).0, 401);
    assert_eq!(http(&host, "/?token=nope", None).0, 401);
    let (status, head) = http(&host, &format!("/t/contact?token={token}"), None);
    assert_eq!(status, 303);
    let cookie_line = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: devhub_studio=")
        })
        .unwrap();
    assert!(cookie_line.contains("HttpOnly"), "{cookie_line}");
    let cookie = cookie_line["set-cookie: ".len()..]
        .split(';')
        .next()
        .unwrap();
    let (status, page) = http(&host, "/t/contact", Some(cookie));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("3</strong> rows"));
    // The printed address has been spent: replayed, it signs nobody in.
    let (status, page) = http(&host, &format!("/t/contact?token={token}"), None);
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("Access address already used"), "{page}");
    assert!(!page.to_ascii_lowercase().contains("set-cookie"), "{page}");
    let err = studio.stop();
    assert!(!err.contains("warning"), "{err}");

    // A second studio gets another token.
    let other = Studio::start(dir.path(), &["--database-url", "file:./demo.db"]);
    assert_ne!(other.parts().1, token);
}

#[test]
fn a_non_loopback_host_is_served_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let studio = Studio::start(
        dir.path(),
        &["--database-url", "file:./demo.db", "--host", "0.0.0.0"],
    );
    assert!(studio.url.starts_with("http://0.0.0.0:"), "{}", studio.url);
    let err = studio.stop();
    assert!(
        err.contains("warning: studio listens on 0.0.0.0"),
        "stderr: {err}"
    );
}

#[test]
fn studio_refuses_a_missing_database_without_creating_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        &["--database-url", "file:./missing.db", "studio"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("missing.db does not exist"), "{err}");
    assert!(!err.contains("panicked"));
    assert!(!dir.path().join("missing.db").exists());
}

#[test]
fn studio_never_runs_migrations() {
    let dir = tempfile::tempdir().unwrap();
    // An empty file is an empty SQLite database.
    std::fs::write(dir.path().join("empty.db"), b"").unwrap();
    let studio = Studio::start(dir.path(), &["--database-url", "file:./empty.db"]);
    let (host, token) = studio.parts();
    let (status, _) = http(&host, &format!("/?token={token}"), None);
    assert_eq!(status, 303);
    drop(studio);
    let o = run(
        dir.path(),
        &["--database-url", "file:./empty.db", "db", "status"],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("0 applied"), "{out}");
}

#[test]
fn help_lists_studio_and_its_options() {
    let dir = tempfile::tempdir().unwrap();
    let help = String::from_utf8_lossy(&run(dir.path(), &["--help"]).stdout).into_owned();
    let line = help
        .lines()
        .find(|l| l.trim_start().starts_with("studio"))
        .unwrap_or_else(|| panic!("studio missing from {help}"));
    assert!(line.contains("browser"), "{line}");
    let help = String::from_utf8_lossy(&run(dir.path(), &["studio", "--help"]).stdout).into_owned();
    for option in ["--host", "--port", "--allow-writes", "--statement-timeout"] {
        assert!(help.contains(option), "{option} in {help}");
    }
    assert!(help.contains("[default: 4983]"), "{help}");
}
