//! `devhub db adopt` on the real binary: a database of the original app (Drizzle) is refused
//! by `db migrate` with a pointer to adopt, adopted in place, its accounts get their passwords
//! reset from the command line, and `serve` shows their contacts.
#![allow(clippy::unwrap_used)]

#[path = "../../db/tests/common/drizzle.rs"]
mod drizzle;
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const PASSWORD: &str = "a new password for adoption";

fn devhub_with(cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(args)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env_remove("PUBLIC_URL")
        .env("RUST_LOG", "warn")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn devhub(cwd: &Path, args: &[&str]) -> Output {
    devhub_with(cwd, args, None)
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_usage_error(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `./local.db` in `dir`: a database of the original app, made the way the original app's
/// stack makes it (always the generated one: the assertions below name its rows).
async fn original_app(dir: &Path) {
    let path = dir.join("local.db");
    let db = devhub_db::Db::open(
        &devhub_db::DbConfig::local(&path),
        devhub_db::OpenMode::CreateIfMissing,
    )
    .await
    .unwrap();
    let conn = db.conn().await.unwrap();
    conn.execute_batch(&drizzle::generated_sql()).await.unwrap();
    drop(conn);
    db.close();
}

async fn scalar(dir: &Path, sql: &str) -> i64 {
    let db = devhub_db::Db::open(
        &devhub_db::DbConfig::local(dir.join("local.db")),
        devhub_db::OpenMode::MustExist,
    )
    .await
    .unwrap();
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query(sql, ()).await.unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

/// One request on a connection of its own: (status, head, body).
fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookie: &str,
    form: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!(
            "Origin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n",
            form.len()
        ));
    }
    head.push_str("\r\n");
    head.push_str(form);
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

fn session_cookie(head: &str) -> String {
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or(l.strip_prefix("Set-Cookie: "))
        })
        .find(|c| c.starts_with("auth-session="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie in {head}"))
        .to_string()
}

#[tokio::test]
async fn migrate_refuses_adopt_adopts_once_and_the_adopted_accounts_log_in_after_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    original_app(dir.path()).await;
    let contacts = scalar(dir.path(), "SELECT count(*) FROM contact").await;
    let interactions = scalar(dir.path(), "SELECT count(*) FROM interaction").await;

    // `db migrate` and `serve` refuse, pointing to adopt; nothing changes.
    assert_usage_error(&devhub(dir.path(), &["db", "migrate"]), "devhub db adopt");
    assert_usage_error(
        &devhub(dir.path(), &["serve", "--port", "0", "--no-reminders"]),
        "devhub db adopt",
    );
    assert_eq!(
        scalar(
            dir.path(),
            "SELECT count(*) FROM sqlite_schema WHERE name = '__devhub_migrations'"
        )
        .await,
        0
    );

    // A dry run tells what would happen and changes nothing.
    let dry = ok(&devhub(dir.path(), &["db", "adopt", "--dry-run"]));
    assert!(dry.contains("Dry run: nothing was changed"), "{dry}");
    assert!(dry.contains("devhub user reset-password ada"), "{dry}");
    assert_usage_error(&devhub(dir.path(), &["db", "migrate"]), "devhub db adopt");

    let out = ok(&devhub(dir.path(), &["db", "adopt"]));
    assert!(out.contains("Adopted the original app's database"), "{out}");
    assert!(out.contains(&format!("contact {contacts},")), "{out}");
    assert!(
        out.contains(&format!("interaction {interactions},")),
        "{out}"
    );
    assert!(
        out.contains("ada: 40 contacts, 120 interactions, admin"),
        "{out}"
    );
    assert!(
        out.contains("grace: 20 contacts, 60 interactions (was \"Grace\""),
        "{out}"
    );
    assert!(out.contains("devhub user reset-password ada\n"), "{out}");
    assert!(out.contains("devhub user reset-password grace\n"), "{out}");
    assert_eq!(
        scalar(dir.path(), "SELECT count(*) FROM contact").await,
        contacts
    );
    assert_eq!(
        scalar(dir.path(), "SELECT count(*) FROM interaction").await,
        interactions
    );

    // Once adopted: everything applied, and nothing left to do for adopt or migrate.
    let status = ok(&devhub(dir.path(), &["db", "status"]));
    assert!(!status.contains("pending  "), "{status}");
    assert!(status.contains(" 0 pending"), "{status}");
    let again = ok(&devhub(dir.path(), &["db", "adopt"]));
    assert!(
        again.contains("Nothing to do: it was adopted already"),
        "{again}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&devhub(dir.path(), &["db", "adopt", "--json"]))).unwrap();
    assert_eq!(json["already"], true);
    assert!(ok(&devhub(dir.path(), &["db", "migrate"])).contains("up to date"));

    // Log-in with the old password cannot work: the page says to ask for a reset, not "wrong".
    let (child, url) = support::spawn_announced({
        let mut c = Command::new(env!("CARGO_BIN_EXE_devhub"));
        c.args(["serve", "--port", "0", "--no-reminders"])
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("DATABASE_REPLICA_PATH")
            .env("RUST_LOG", "warn");
        c
    });
    let mut child = scopeguard(child);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let (status, _, body) = request(
        &addr,
        "POST",
        "/login",
        "",
        "username=grace&password=whatever-it-was",
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("needs a new password"), "{body}");
    child.stop();

    // The command-line reset, then log-in and the adopted contacts on the pages.
    let reset = devhub_with(
        dir.path(),
        &["user", "reset-password", "grace", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(ok(&reset).contains("Password of grace set"));

    let (child, url) = support::spawn_announced({
        let mut c = Command::new(env!("CARGO_BIN_EXE_devhub"));
        c.args(["serve", "--port", "0", "--no-reminders"])
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("DATABASE_REPLICA_PATH")
            .env("RUST_LOG", "warn");
        c
    });
    let mut child = scopeguard(child);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let form = format!("username=grace&password={}", PASSWORD.replace(' ', "+"));
    let (status, head, body) = request(&addr, "POST", "/login", "", &form);
    assert_eq!(status, 303, "{head}\n{body}");
    let cookie = session_cookie(&head);
    let (status, _, body) = request(&addr, "GET", "/contacts?per_page=100", &cookie, "");
    assert_eq!(status, 200);
    assert!(body.contains("Contact 060 of grace"), "{body}");
    assert!(
        !body.contains("Margaret Hamilton"),
        "ada's contact on grace's page"
    );
    child.stop();

    // ada's contact page shows the links that were a platform → URL object.
    let reset = devhub_with(
        dir.path(),
        &["user", "reset-password", "ada", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    );
    ok(&reset);
    let (child, url) = support::spawn_announced({
        let mut c = Command::new(env!("CARGO_BIN_EXE_devhub"));
        c.args(["serve", "--port", "0", "--no-reminders"])
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("DATABASE_REPLICA_PATH")
            .env("RUST_LOG", "warn");
        c
    });
    let mut child = scopeguard(child);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let form = format!("username=ada&password={}", PASSWORD.replace(' ', "+"));
    let (status, head, _) = request(&addr, "POST", "/login", "", &form);
    assert_eq!(status, 303);
    let cookie = session_cookie(&head);
    let (status, _, body) = request(&addr, "GET", "/contacts/c-001", &cookie, "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Margaret Hamilton"), "{body}");
    assert!(
        body.contains("href=\"https://www.linkedin.com/in/mhamilton\""),
        "{body}"
    );
    assert!(
        body.contains("href=\"https://github.com/mhamilton\""),
        "{body}"
    );
    assert!(body.contains("mastodon: @mh@hachyderm.io"), "{body}");
    assert!(body.contains("1936"), "the birthday before 1970: {body}");
    // The admin page (ada is the admin) flags the account still to reset, with its link.
    let (status, _, body) = request(&addr, "GET", "/admin", &cookie, "");
    assert_eq!(status, 200);
    assert_eq!(
        body.matches("Needs a password reset</span>").count(),
        0,
        "{body}"
    );
    child.stop();
    let db = devhub_db::Db::open(
        &devhub_db::DbConfig::local(dir.path().join("local.db")),
        devhub_db::OpenMode::MustExist,
    )
    .await
    .unwrap();
    db.conn()
        .await
        .unwrap()
        .execute(
            "UPDATE user SET password_hash = 'scrypt$c2FsdA$aGFzaA' WHERE username = 'grace'",
            (),
        )
        .await
        .unwrap();
    db.close();
    let (child, url) = support::spawn_announced({
        let mut c = Command::new(env!("CARGO_BIN_EXE_devhub"));
        c.args(["serve", "--port", "0", "--no-reminders"])
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("DATABASE_REPLICA_PATH")
            .env("RUST_LOG", "warn");
        c
    });
    let mut child = scopeguard(child);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let (status, _, body) = request(&addr, "GET", "/admin", &cookie, "");
    assert_eq!(status, 200);
    let row = body
        .split("data-username=\"grace\"")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row for grace: {body}"));
    assert!(row.contains("Needs a password reset"), "{row}");
    assert!(row.contains("/reset-link"), "{row}");
    child.stop();
}

#[test]
fn adopt_refuses_a_database_that_is_not_the_original_apps() {
    let dir = tempfile::tempdir().unwrap();
    ok(&devhub(dir.path(), &["db", "migrate"]));
    let out = ok(&devhub(dir.path(), &["db", "adopt"]));
    assert!(
        out.contains("Nothing to do: it is a devhub database already"),
        "{out}"
    );

    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("local.db"), b"").unwrap();
    assert_usage_error(
        &devhub(empty.path(), &["db", "adopt"]),
        "not a database of the original app",
    );
    let missing = tempfile::tempdir().unwrap();
    let o = devhub(missing.path(), &["db", "adopt"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A server that is stopped (SIGTERM, then waited for) when the test ends, even on a panic.
struct Server(std::process::Child);

fn scopeguard(child: std::process::Child) -> Server {
    Server(child)
}

impl Server {
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
