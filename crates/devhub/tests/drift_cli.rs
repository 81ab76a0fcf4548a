//! Drift and `db pull` on the real binary: `db status` lists drift, `db check --database`
//! fails on it, `serve` refuses to start on a missing column and only warns about an extra
//! index; `db pull` writes a schema.sql, refuses to overwrite without --force, and reads a
//! server (sqld, directly and through an embedded replica).
#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use devhub_db::{Db, DbConfig, OpenMode};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn devhub_url(url: &str, replica: Option<&Path>, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
    command
        .args(args)
        .current_dir(repo_root())
        .env("DATABASE_URL", url)
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env("RUST_LOG", "error");
    if let Some(replica) = replica {
        command.env("DATABASE_REPLICA_PATH", replica);
    }
    command
}

fn devhub(db: &Path, args: &[&str]) -> Command {
    devhub_url(&format!("file:{}", db.display()), None, args)
}

fn run(db: &Path, args: &[&str]) -> Output {
    devhub(db, args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn migrated(dir: &Path) -> PathBuf {
    let db = dir.join("live.db");
    let o = run(&db, &["db", "migrate"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    db
}

/// Raw SQL on the database, as a hand edit in another tool would make it.
fn hand_edit(url: &str, sql: &str) {
    let config = DbConfig {
        url: url.to_string(),
        ..DbConfig::default()
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let db = Db::open(&config, OpenMode::MustExist).await.unwrap();
            db.conn().await.unwrap().execute_batch(sql).await.unwrap();
        });
}

fn file_url(db: &Path) -> String {
    format!("file:{}", db.display())
}

#[test]
fn status_lists_drift_and_check_database_fails_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated(dir.path());

    let o = run(&db, &["db", "status"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().last(), Some("no drift"));
    let o = run(&db, &["db", "check", "--database"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("no drift"), "{}", text(&o.stdout));

    hand_edit(
        &file_url(&db),
        "ALTER TABLE contact ADD COLUMN nickname TEXT; DROP INDEX contact_user_created_idx;",
    );
    let o = run(&db, &["db", "status"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains(" applied, 0 pending"), "{out}");
    assert!(
        out.contains(
            "drift: column contact.nickname exists in the database but not in the migrations\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("drift: index contact_user_created_idx is missing"),
        "{out}"
    );
    assert!(out.contains("2 drift warnings"), "{out}");

    let o = run(&db, &["db", "check", "--database"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let lines: Vec<_> = err.trim_end().lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(lines[0].contains("drift: column contact.nickname"), "{err}");
    assert!(
        lines[1].contains("drift: index contact_user_created_idx"),
        "{err}"
    );
    assert!(
        lines[2]
            .starts_with("devhub: the database has drifted from its migrations (2 differences)"),
        "{err}"
    );
    // Without --database, check compares schema.sql and the migrations only.
    let o = run(&db, &["db", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn serve_refuses_to_start_on_a_missing_column_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated(dir.path());
    hand_edit(
        &file_url(&db),
        "ALTER TABLE user_settings DROP COLUMN calendar_token_created_at",
    );
    let o = devhub(&db, &["serve", "--port", "0"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("column user_settings.calendar_token_created_at is missing"),
        "{err}"
    );
    assert!(err.contains("refusing to start"), "{err}");
}

#[test]
fn serve_starts_with_an_extra_index_and_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated(dir.path());
    hand_edit(
        &file_url(&db),
        "CREATE INDEX contact_by_hand_idx ON contact (location)",
    );
    let mut command = devhub(&db, &["serve", "--port", "0"]);
    command.env("RUST_LOG", "warn").stderr(Stdio::piped());
    let (mut child, url) = support::spawn_announced(command);
    let addr = url.trim_start_matches("http://");
    assert_eq!(support::http_get(addr, "/healthz").0, 200);
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "drift: index contact_by_hand_idx exists in the database but not in the migrations"
        ),
        "{err}"
    );
}

#[test]
fn pull_writes_stdout_or_a_file_and_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated(dir.path());
    let o = run(&db, &["db", "pull"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let sql = text(&o.stdout);
    assert!(
        sql.starts_with("-- Pulled by `devhub db pull` from local file "),
        "{sql}"
    );
    assert!(sql.contains("\n\nCREATE TABLE user (\n"), "{sql}");
    assert!(!sql.contains("__devhub_migrations"), "{sql}");

    let out = dir.path().join("pulled.sql");
    let out_arg = out.to_str().unwrap();
    let o = run(&db, &["db", "pull", "--out", out_arg]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("wrote "), "{}", text(&o.stdout));
    let written = std::fs::read_to_string(&out).unwrap();
    // The same text but for the header's time.
    assert_eq!(
        written.split_once('\n').unwrap().1,
        sql.split_once('\n').unwrap().1
    );

    std::fs::write(&out, "mine").unwrap();
    let o = run(&db, &["db", "pull", "--out", out_arg]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("exists: pass --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");

    let o = run(&db, &["db", "pull", "--out", out_arg, "--force"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("CREATE VIRTUAL TABLE contact_fts"));

    // A database that does not exist is not created by a pull.
    let missing = dir.path().join("missing.db");
    let o = run(&missing, &["db", "pull"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(!missing.exists());
}

#[test]
fn status_check_and_pull_read_a_server_directly_and_through_a_replica() {
    if !sqld::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let url = server.url();
    let replica = dir.path().join("replica.db");
    let o = devhub_url(&url, None, &["db", "migrate"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The replica is made before the hand edit: what it reports must come from the server.
    let o = devhub_url(&url, Some(&replica), &["db", "status"])
        .output()
        .unwrap();
    assert_eq!(text(&o.stdout).lines().last(), Some("no drift"));
    hand_edit(&url, "CREATE TABLE foo (x TEXT)");

    for replica in [None, Some(replica.as_path())] {
        let o = devhub_url(&url, replica, &["db", "status"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(
            out.contains("drift: table foo exists in the database but not in the migrations"),
            "{replica:?}: {out}"
        );
        let o = devhub_url(&url, replica, &["db", "check", "--database"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let o = devhub_url(&url, replica, &["db", "pull"]).output().unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let sql = text(&o.stdout);
        assert!(sql.contains("CREATE TABLE foo"), "{replica:?}: {sql}");
        assert!(sql.contains("CREATE TABLE contact ("), "{sql}");
    }
}

#[test]
fn help_lists_pull_and_the_new_options() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let help = |args: &[&str]| text(&run(&db, args).stdout);
    let db_help = help(&["db", "--help"]);
    assert!(
        db_help.lines().any(|l| l.trim_start().starts_with("pull")),
        "{db_help}"
    );
    assert!(help(&["db", "check", "--help"]).contains("--database"));
    let pull_help = help(&["db", "pull", "--help"]);
    assert!(pull_help.contains("--out <FILE>"), "{pull_help}");
    assert!(pull_help.contains("--force"), "{pull_help}");
}
