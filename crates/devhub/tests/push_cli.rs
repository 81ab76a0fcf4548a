//! `devhub db push` and `devhub db migrate --mark-applied` as a developer runs them, on the
//! real binary, with a schema.sql of its own in the working folder: additions and rebuilds
//! keep every row, `--dry-run` changes nothing, data loss and contradicting the applied
//! migrations are refused (exit 2, one line) unless allowed, the push is recorded, and a later
//! `db migrate` (and `serve`) says what to do, which then works.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

const PRODUCT_SCHEMA: &str = include_str!("../../../schema.sql");

/// Runs `devhub args…` in `dir` (database `dir/dev.db`), without a terminal on stdin.
fn devhub(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(args)
        .current_dir(dir)
        .env(
            "DATABASE_URL",
            format!("file:{}", dir.join("dev.db").display()),
        )
        .env_remove("DATABASE_AUTH_TOKEN")
        .env_remove("DATABASE_REPLICA_PATH")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .unwrap()
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

/// A refusal: exit code 2 and exactly one line on stderr, no panic.
fn assert_refused(o: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// Writes `dir/schema.sql`: the product's, changed by `edit`.
fn write_schema(dir: &Path, edit: impl Fn(&str) -> String) -> String {
    let text = edit(PRODUCT_SCHEMA);
    assert_ne!(text.len(), 0);
    std::fs::write(dir.join("schema.sql"), &text).unwrap();
    text
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "schema.sql has no {from:?}");
    text.replacen(from, to, 1)
}

/// The single integer `sql` answers in `dir/dev.db`.
async fn one(dir: &Path, sql: &str) -> i64 {
    let db = devhub_db::Db::open(
        &devhub_db::DbConfig::local(dir.join("dev.db")),
        devhub_db::OpenMode::MustExist,
    )
    .await
    .unwrap();
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query(sql, ()).await.unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

async fn execute(dir: &Path, sql: &str) {
    let db = devhub_db::Db::open(
        &devhub_db::DbConfig::local(dir.join("dev.db")),
        devhub_db::OpenMode::MustExist,
    )
    .await
    .unwrap();
    db.conn().await.unwrap().execute(sql, ()).await.unwrap();
}

async fn has_column(dir: &Path, table: &str, column: &str) -> bool {
    one(
        dir,
        &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}'"),
    )
    .await
        == 1
}

async fn has_object(dir: &Path, name: &str) -> bool {
    one(
        dir,
        &format!("SELECT count(*) FROM sqlite_schema WHERE name = '{name}'"),
    )
    .await
        == 1
}

fn seeded(dir: &Path) {
    ok(&devhub(dir, &["db", "migrate"]));
    ok(&devhub(
        dir,
        &[
            "seed-demo",
            "--users",
            "1",
            "--contacts",
            "20",
            "--interactions",
            "2",
        ],
    ));
}

fn contacts_listed(dir: &Path) -> usize {
    let out = ok(&devhub(
        dir,
        &["contact", "list", "--user", "demo1", "--json"],
    ));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array().unwrap().len()
}

#[tokio::test]
async fn push_adds_and_rebuilds_keeping_every_row_and_a_dry_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeded(d);
    let interactions = one(d, "SELECT count(*) FROM interaction").await;
    assert!(interactions > 0);
    let schema = write_schema(d, |s| {
        // A column appended to tag (ALTER TABLE), one put first in contact (a rebuild), and a
        // new table with an index.
        let s = replace_once(
            s,
            "    updated_at INTEGER NOT NULL DEFAULT (unixepoch())\n);\nCREATE UNIQUE INDEX tag_user_name_idx",
            "    updated_at INTEGER NOT NULL DEFAULT (unixepoch()),\n    description TEXT\n);\nCREATE UNIQUE INDEX tag_user_name_idx",
        );
        let s = replace_once(
            &s,
            "CREATE TABLE contact (\n",
            "CREATE TABLE contact (\n    nickname TEXT,\n",
        );
        s + "\nCREATE TABLE push_note (\n    id INTEGER PRIMARY KEY NOT NULL,\n    contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE,\n    body TEXT NOT NULL\n);\nCREATE INDEX push_note_contact_idx ON push_note (contact_id);\n"
    });

    let dry = ok(&devhub(d, &["db", "push", "--dry-run"]));
    for needle in [
        "ALTER TABLE \"tag\" ADD COLUMN description TEXT;",
        "CREATE TABLE \"__new_contact\"",
        "CREATE TABLE push_note",
        "rebuild table contact (rows kept)",
        "dry run: nothing changed",
    ] {
        assert!(dry.contains(needle), "{needle:?} in {dry}");
    }
    assert!(!has_column(d, "tag", "description").await);
    assert!(!has_column(d, "contact", "nickname").await);
    assert!(!has_object(d, "push_note").await);
    assert!(!has_object(d, "__devhub_push").await);

    let pushed = ok(&devhub(d, &["db", "push"]));
    assert!(
        pushed.contains("ALTER TABLE \"tag\" ADD COLUMN description TEXT;"),
        "{pushed}"
    );
    assert!(pushed.contains("pushed "), "{pushed}");
    assert!(
        pushed.contains("ahead of its last applied migration"),
        "{pushed}"
    );
    assert!(has_column(d, "tag", "description").await);
    assert!(has_column(d, "contact", "nickname").await);
    assert!(has_object(d, "push_note_contact_idx").await);
    assert_eq!(one(d, "SELECT count(*) FROM contact").await, 20);
    assert_eq!(
        one(d, "SELECT count(*) FROM interaction").await,
        interactions
    );
    // The app reads the rebuilt table (and its search index, filled again).
    assert_eq!(contacts_listed(d), 20);

    // The marker: schema.sql's checksum and the statements.
    assert_eq!(one(d, "SELECT count(*) FROM __devhub_push").await, 1);
    let checksum = hex(&Sha256::digest(schema.as_bytes()));
    assert_eq!(
        one(
            d,
            &format!(
                "SELECT count(*) FROM __devhub_push WHERE schema_checksum = '{checksum}' \
                 AND statements LIKE '%CREATE TABLE push_note%' AND resolved_at IS NULL"
            )
        )
        .await,
        1
    );

    let again = ok(&devhub(d, &["db", "push"]));
    assert!(again.starts_with("nothing to push"), "{again}");
    assert_eq!(one(d, "SELECT count(*) FROM __devhub_push").await, 1);
    // Nothing pending: migrate has nothing to do (and notes the push).
    let migrated = devhub(d, &["db", "migrate"]);
    assert!(ok(&migrated).contains("up to date"));
    assert!(String::from_utf8_lossy(&migrated.stderr).contains("ahead of its migrations"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn dropping_a_column_is_refused_without_allow_data_loss_and_applied_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeded(d);
    write_schema(d, |s| {
        replace_once(
            s,
            "    name TEXT NOT NULL,\n    color TEXT,\n",
            "    name TEXT NOT NULL,\n",
        )
    });

    // Without a terminal there is nobody to ask (--force: tag came from a migration).
    let refused = devhub(d, &["db", "push", "--force"]);
    assert_refused(
        &refused,
        &["column tag.color", "--allow-data-loss", "nothing changed"],
    );
    assert!(has_column(d, "tag", "color").await);
    assert!(!has_object(d, "__devhub_push").await);

    let dry = ok(&devhub(d, &["db", "push", "--dry-run"]));
    assert!(dry.contains("this drops data: column tag.color"), "{dry}");
    assert!(has_column(d, "tag", "color").await);

    let pushed = ok(&devhub(d, &["db", "push", "--force", "--allow-data-loss"]));
    assert!(pushed.contains("DROP TABLE \"tag\";"), "{pushed}");
    assert!(!has_column(d, "tag", "color").await);
    assert_eq!(one(d, "SELECT count(*) FROM contact").await, 20);
    assert_eq!(contacts_listed(d), 20);
}

#[tokio::test]
async fn contradicting_the_applied_migrations_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeded(d);
    write_schema(d, |s| {
        replace_once(
            s,
            "CREATE UNIQUE INDEX tag_user_name_idx ON tag (user_id, name COLLATE NOCASE);\n",
            "",
        )
    });

    let refused = devhub(d, &["db", "push"]);
    assert_refused(
        &refused,
        &["drops index tag_user_name_idx", "--force", "db generate"],
    );
    assert!(has_object(d, "tag_user_name_idx").await);
    assert!(!has_object(d, "__devhub_push").await);

    let dry = ok(&devhub(d, &["db", "push", "--dry-run"]));
    assert!(dry.contains("DROP INDEX \"tag_user_name_idx\";"), "{dry}");
    assert!(dry.contains("needs --force"), "{dry}");

    let pushed = ok(&devhub(d, &["db", "push", "--force"]));
    assert!(
        pushed.contains("DROP INDEX \"tag_user_name_idx\";"),
        "{pushed}"
    );
    assert!(!has_object(d, "tag_user_name_idx").await);
    assert_eq!(one(d, "SELECT count(*) FROM __devhub_push").await, 1);
}

#[tokio::test]
async fn migrate_after_a_push_says_what_to_do_and_mark_applied_puts_it_back_under_migrations() {
    // A database made by push alone, from the product's schema.sql.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_schema(d, str::to_string);
    let pushed = ok(&devhub(d, &["db", "push"]));
    assert!(
        pushed.contains("ahead of its migrations (none applied)"),
        "{pushed}"
    );

    let refused = devhub(d, &["db", "migrate"]);
    assert_refused(
        &refused,
        &[
            "changed with `db push`",
            "devhub db migrate --mark-applied",
            "recreate",
        ],
    );
    assert!(!has_object(d, "__devhub_migrations").await);
    // `serve` migrates at start: the same message, and it does not start.
    let serve = devhub(d, &["serve", "--port", "0"]);
    assert!(!serve.status.success());
    let err = String::from_utf8_lossy(&serve.stderr);
    assert!(err.contains("changed with `db push`"), "{err}");
    assert!(err.contains("--mark-applied"), "{err}");

    let marked = ok(&devhub(d, &["db", "migrate", "--mark-applied"]));
    assert!(marked.contains("marked applied 0001_"), "{marked}");
    assert!(marked.contains("under migrations again"), "{marked}");
    let migrated = devhub(d, &["db", "migrate"]);
    assert!(ok(&migrated).contains("up to date"));
    assert!(
        migrated.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(ok(&devhub(d, &["db", "status"])).contains(" 0 pending"));
    ok(&devhub(
        d,
        &[
            "seed-demo",
            "--users",
            "1",
            "--contacts",
            "3",
            "--interactions",
            "1",
        ],
    ));
    assert_eq!(contacts_listed(d), 3);

    // A push of something no migration has, then a pending migration (as after `git pull`):
    // migrate refuses, and --mark-applied refuses too, naming what the migrations lack.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    seeded(d);
    write_schema(d, |s| {
        format!("{s}\nCREATE TABLE push_note (\n    id INTEGER PRIMARY KEY NOT NULL,\n    body TEXT\n);\n")
    });
    ok(&devhub(d, &["db", "push"]));
    execute(
        d,
        "DELETE FROM __devhub_migrations WHERE id = (SELECT max(id) FROM __devhub_migrations)",
    )
    .await;
    assert_refused(
        &devhub(d, &["db", "migrate"]),
        &["changed with `db push`", "1 migration(s) are pending"],
    );
    let refused = devhub(d, &["db", "migrate", "--mark-applied"]);
    assert_refused(&refused, &["nothing marked applied", "push_note"]);
    let applied = one(d, "SELECT count(*) FROM __devhub_migrations").await;
    // Dropping the table again (a push of the product's schema) brings the database back to
    // what the migrations produce: now it can be marked. schema.sql holds the pending
    // migration's changes, which contradict the applied ones when it changes what they made
    // (the latest changes two indexes): that push needs --force.
    write_schema(d, str::to_string);
    ok(&devhub(d, &["db", "push", "--allow-data-loss", "--force"]));
    let marked = ok(&devhub(d, &["db", "migrate", "--mark-applied"]));
    assert!(marked.contains("marked applied"), "{marked}");
    assert_eq!(
        one(d, "SELECT count(*) FROM __devhub_migrations").await,
        applied + 1
    );
    assert_eq!(
        one(
            d,
            "SELECT count(*) FROM __devhub_push WHERE resolved_at IS NULL"
        )
        .await,
        0
    );
    assert_eq!(contacts_listed(d), 20);
}

#[test]
fn a_missing_schema_or_a_bad_rename_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_refused(
        &devhub(d, &["db", "push", "--schema", "nope.sql"]),
        &["nope.sql"],
    );
    std::fs::write(d.join("schema.sql"), PRODUCT_SCHEMA).unwrap();
    assert_refused(
        &devhub(d, &["db", "push", "--rename", "oops"]),
        &["table.old"],
    );
}
