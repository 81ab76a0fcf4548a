//! The `devhub` binary as a user runs it: subcommands, configuration, exit codes.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

fn devhub(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(args)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env_remove("DATABASE_SYNCHRONOUS")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A usage error: exit code 2 and exactly one line on stderr, no panic or backtrace.
fn assert_usage_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn help_lists_every_subcommand_with_a_description() {
    let dir = tempfile::tempdir().unwrap();
    let o = devhub(dir.path(), &["--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    for (command, words) in [("db", "migrations"), ("seed-demo", "demo")] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(command))
            .unwrap_or_else(|| panic!("{command} missing from {help}"));
        assert!(line.contains(words), "{line}");
    }
    let db_help = stdout(&devhub(dir.path(), &["db", "--help"]));
    for command in ["migrate", "status", "generate", "check"] {
        assert!(
            db_help.lines().any(|l| l.trim_start().starts_with(command)),
            "{command}: {db_help}"
        );
    }
}

#[test]
fn bad_database_urls_are_one_line_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = devhub(
        dir.path(),
        &["--database-url", "postgres://localhost/x", "db", "migrate"],
    );
    assert_usage_error(&o, "unknown scheme");
    let o = devhub(
        dir.path(),
        &[
            "--database-url",
            "libsql://example.turso.io",
            "db",
            "status",
        ],
    );
    assert_usage_error(&o, "DATABASE_AUTH_TOKEN");
    let o = devhub(
        dir.path(),
        &[
            "--database-url",
            "file:./no/such/folder/x.db",
            "db",
            "migrate",
        ],
    );
    assert_usage_error(&o, "does not exist");
    std::fs::create_dir(dir.path().join("adir")).unwrap();
    let o = devhub(dir.path(), &["--database-url", "adir", "db", "migrate"]);
    assert_usage_error(&o, "is a directory");
    let o = devhub(
        dir.path(),
        &["--database-synchronous", "off", "db", "migrate"],
    );
    assert_usage_error(&o, "DATABASE_SYNCHRONOUS");
}

#[test]
fn status_does_not_create_a_missing_database() {
    let dir = tempfile::tempdir().unwrap();
    let o = devhub(dir.path(), &["db", "status"]);
    assert_usage_error(&o, "does not exist");
    assert!(!dir.path().join("local.db").exists());
}

#[test]
fn migrate_creates_the_default_database_applies_once_and_status_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = devhub(dir.path(), &["db", "migrate"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("applied 0001_"),
        "{}",
        stdout(&first)
    );
    assert!(dir.path().join("local.db").exists());

    let second = devhub(dir.path(), &["db", "migrate"]);
    assert!(
        stdout(&second).contains("up to date"),
        "{}",
        stdout(&second)
    );

    let status = stdout(&devhub(dir.path(), &["db", "status"]));
    assert!(status.contains("applied  0001_"), "{status}");
    assert!(status.contains(" 0 pending"), "{status}");
}

#[test]
fn dot_env_configures_and_flags_win_over_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "DATABASE_URL=file:./from-env.db\n").unwrap();
    assert!(devhub(dir.path(), &["db", "migrate"]).status.success());
    assert!(dir.path().join("from-env.db").exists());

    assert!(
        devhub(dir.path(), &["--database-url", "flag.db", "db", "migrate"])
            .status
            .success()
    );
    assert!(dir.path().join("flag.db").exists());
}

/// Every contact as `username|name|industry|vip|interactions|has last_contacted`.
async fn dump(path: &Path) -> Vec<String> {
    let db = devhub_db::Db::open(
        &devhub_db::DbConfig::local(path),
        devhub_db::OpenMode::MustExist,
    )
    .await
    .unwrap();
    let conn = db.conn().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT u.username || '|' || c.name || '|' || c.industry || '|' || c.vip || '|' || \
             (SELECT count(*) FROM interaction i WHERE i.contact_id = c.id) || '|' || \
             (c.last_contacted IS NOT NULL) \
             FROM contact c JOIN user u ON u.id = c.user_id ORDER BY u.username, c.rowid",
            (),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        out.push(row.get::<String>(0).unwrap());
    }
    out
}

#[tokio::test]
async fn seed_demo_is_deterministic_and_refuses_to_seed_twice() {
    let dir = tempfile::tempdir().unwrap();
    let args = |db: &'static str| {
        [
            "--database-url",
            db,
            "seed-demo",
            "--users",
            "2",
            "--contacts",
            "30",
            "--interactions",
            "3",
        ]
    };
    let o = devhub(dir.path(), &args("a.db"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "username\tpassword\ndemo1\tdemo-password-1\ndemo2\tdemo-password-2\n"
    );
    assert!(devhub(dir.path(), &args("b.db")).status.success());

    let a = dump(&dir.path().join("a.db")).await;
    assert_eq!(a.len(), 60);
    assert_eq!(
        a.iter().filter(|row| row.contains("|1|")).count(),
        6,
        "10 % VIPs"
    );
    assert_eq!(
        a,
        dump(&dir.path().join("b.db")).await,
        "same seed, same data"
    );

    let again = devhub(dir.path(), &args("a.db"));
    assert_usage_error(&again, "demo1 already exists");
}

#[test]
fn check_fails_when_schema_sql_and_migrations_disagree_and_generate_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE a (id TEXT PRIMARY KEY NOT NULL);",
    )
    .unwrap();

    let check = devhub(dir.path(), &["db", "check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("table a is in schema.sql but not in the migrations"),
        "{}",
        stderr(&check)
    );

    let generate = devhub(dir.path(), &["db", "generate", "init"]);
    assert!(generate.status.success(), "{}", stderr(&generate));
    assert!(dir.path().join("migrations/0001_init.sql").exists());
    assert!(devhub(dir.path(), &["db", "check"]).status.success());

    let nothing = devhub(dir.path(), &["db", "generate", "again"]);
    assert!(
        stdout(&nothing).contains("nothing written"),
        "{}",
        stdout(&nothing)
    );
    assert!(!dir.path().join("migrations/0002_again.sql").exists());

    let bad = devhub(dir.path(), &["db", "generate", "x", "--rename", "nodot"]);
    assert_usage_error(&bad, "--rename");
}

#[test]
fn db_optimize_merges_each_search_index_into_one_segment_and_search_still_finds() {
    let dir = tempfile::tempdir().unwrap();
    let missing = devhub(dir.path(), &["db", "optimize"]);
    assert_usage_error(&missing, "does not exist");
    assert!(!dir.path().join("local.db").exists());
    // A file that has none of the migrations: nothing to merge yet, and it says why.
    std::fs::write(dir.path().join("empty.db"), b"").unwrap();
    let empty = devhub(
        dir.path(),
        &["--database-url", "empty.db", "db", "optimize"],
    );
    assert_usage_error(&empty, "pending migrations");

    let seeded = devhub(
        dir.path(),
        &[
            "seed-demo",
            "--users",
            "1",
            "--contacts",
            "20",
            "--interactions",
            "2",
        ],
    );
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    // Each contact added on its own writes a segment of its own.
    for name in [
        "Ada Lovelace",
        "Grace Hopper",
        "Barbara Liskov",
        "Frances Allen",
    ] {
        let o = devhub(dir.path(), &["contact", "add", "--user", "demo1", name]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = devhub(dir.path(), &["db", "optimize"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("contact_fts: "))
        .unwrap_or_else(|| panic!("{out}"));
    let before: u32 = line["contact_fts: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(before > 1, "{out}");
    assert!(line.ends_with("-> 1"), "{out}");
    assert!(out.contains("interaction_fts: 1 segments -> 1"), "{out}");
    assert!(out.contains("search indexes merged in"), "{out}");

    let list = devhub(
        dir.path(),
        &["contact", "list", "--user", "demo1", "--search", "hopp"],
    );
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(stdout(&list).contains("Grace Hopper"), "{}", stdout(&list));
}
