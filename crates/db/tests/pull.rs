//! `db pull`: the schema.sql written from a live database recreates that database's schema,
//! pulling is idempotent, pulling the product's own database gives schema.sql's statements,
//! and a database made by the original app's Drizzle migrator pulls into SQL that recreates
//! it. Runs in every mode (`DEVHUB_TEST_MODE`): on sqld, and through a replica, pull reads the
//! server.
#![allow(clippy::unwrap_used)]

mod common;
use common::{empty_db, test_db, TestDb};

use std::path::{Path, PathBuf};

use devhub_db::migrate::sqltext::normalize;
use devhub_db::migrate::{self, differences, schema_sql, Schema};
use devhub_db::Db;

fn common_mode_is_local() -> bool {
    matches!(
        std::env::var("DEVHUB_TEST_MODE")
            .unwrap_or_default()
            .as_str(),
        "" | "local"
    )
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The pulled text without its header (the line naming where and when).
async fn pulled_body(db: &Db) -> String {
    let sql = migrate::pull(db).await.unwrap();
    let (header, body) = sql.split_once("\n\n").unwrap();
    assert!(
        header.starts_with("-- Pulled by `devhub db pull` from ") && !header.contains('\n'),
        "{header}"
    );
    body.to_string()
}

/// Whether `sql` holds `fragment`, up to formatting: a server (sqld) stores the statements it
/// is given in its own rendering (`unixepoch ()`, `NO ACTION`, one line).
fn has(sql: &str, fragment: &str) -> bool {
    normalize(sql).contains(&normalize(fragment))
}

/// Each statement, normalised.
fn normalized_statements(sql: &str) -> Vec<String> {
    sql.trim_end().split(";\n\n").map(normalize).collect()
}

async fn live_schema(db: &Db) -> Schema {
    let conn = db.primary().conn().await.unwrap();
    Schema::read(&conn).await.unwrap()
}

/// Runs `sql` on a fresh, empty database of the test mode.
async fn applied_to_fresh(sql: &str) -> TestDb {
    let db = empty_db().await;
    db.primary()
        .conn()
        .await
        .unwrap()
        .execute_batch(sql)
        .await
        .unwrap();
    db
}

#[tokio::test]
async fn the_pulled_sql_recreates_a_migrated_database_without_differences() {
    let db = test_db().await;
    let original = live_schema(&db).await;
    let pulled = pulled_body(&db).await;
    assert!(!pulled.contains("__devhub_migrations"));

    let recreated = migrate::schema_of_sql(&pulled).await.unwrap();
    assert_eq!(differences(&original, &recreated), Vec::<String>::new());
    assert_eq!(differences(&recreated, &original), Vec::<String>::new());
    // Every kind of object is there.
    assert!(has(&pulled, "CREATE VIRTUAL TABLE contact_fts USING fts5("));
    assert!(has(&pulled, "CREATE VIEW contact_info_document AS"));
    assert!(has(
        &pulled,
        "CREATE TRIGGER contact_fts_insert AFTER INSERT ON contact"
    ));
    assert!(has(&pulled, "CREATE UNIQUE INDEX contact_id_user_idx"));
    assert!(has(&pulled, "ON DELETE CASCADE"));
}

#[tokio::test]
async fn pulling_is_stable_pull_apply_pull_gives_the_same_text() {
    let db = test_db().await;
    let first = pulled_body(&db).await;
    // Applied to a fresh database of the same mode (a server, when testing one)…
    let copy = applied_to_fresh(&first).await;
    let second = pulled_body(&copy).await;
    if common_mode_is_local() {
        assert_eq!(first, second);
    } else {
        // The server re-renders what it is given: the same statements, and from the second
        // pull on the very same text.
        assert_eq!(
            normalized_statements(&first),
            normalized_statements(&second)
        );
        let third = pulled_body(&applied_to_fresh(&second).await.db).await;
        assert_eq!(second, third);
    }
    // … and to a local in-memory one.
    let local = Db::open_in_memory().await.unwrap();
    local
        .conn()
        .await
        .unwrap()
        .execute_batch(&first)
        .await
        .unwrap();
    let conn = local.conn().await.unwrap();
    assert_eq!(schema_sql(&Schema::read(&conn).await.unwrap()), first);
    // Each statement ends in `;` and is separated from the next by one blank line.
    assert!(first.ends_with(";\n") && !first.ends_with("\n\n"));
    for statement in first.trim_end().split("\n\n") {
        assert!(statement.ends_with(';'), "{statement}");
        assert!(statement.starts_with("CREATE "), "{statement}");
    }
}

#[tokio::test]
async fn pulling_the_products_own_database_reproduces_schema_sql() {
    let db = test_db().await;
    let pulled = pulled_body(&db).await;
    let declared_sql = std::fs::read_to_string(repo_root().join("schema.sql")).unwrap();
    let declared = migrate::schema_of_sql(&declared_sql).await.unwrap();
    let from_pull = migrate::schema_of_sql(&pulled).await.unwrap();
    assert_eq!(differences(&from_pull, &declared), Vec::<String>::new());

    // Statement by statement, up to comments and whitespace: the same objects, each with
    // the same text, and no other.
    let statements = |schema: &Schema| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = schema
            .tables
            .iter()
            .map(|t| (format!("table {}", t.name), normalize(&t.sql)))
            .chain(
                schema
                    .indexes
                    .iter()
                    .map(|i| (format!("index {}", i.name), normalize(&i.sql))),
            )
            .chain(
                schema
                    .objects
                    .iter()
                    .map(|o| (format!("{} {}", o.kind.noun(), o.name), normalize(&o.sql))),
            )
            .collect();
        out.sort();
        out
    };
    let pulled_statements = statements(&from_pull);
    let declared_statements = statements(&declared);
    let names = |s: &[(String, String)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&pulled_statements), names(&declared_statements));
    let differing: Vec<_> = pulled_statements
        .iter()
        .zip(&declared_statements)
        .filter(|(p, d)| p.1 != d.1)
        .map(|(p, d)| format!("{}:\n  pulled:   {}\n  declared: {}", p.0, p.1, d.1))
        .collect();
    assert!(differing.is_empty(), "{}", differing.join("\n"));

    // Byte for byte, what differs (stored as SQLite keeps it: ALTER TABLE ADD COLUMN and
    // rebuilds leave other text than schema.sql's; comments between statements are not kept).
    let raw = |schema: &Schema| -> Vec<(String, String)> {
        let mut out: Vec<_> = schema
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.sql.clone()))
            .chain(
                schema
                    .indexes
                    .iter()
                    .map(|i| (i.name.clone(), i.sql.clone())),
            )
            .chain(
                schema
                    .objects
                    .iter()
                    .map(|o| (o.name.clone(), o.sql.clone())),
            )
            .collect();
        out.sort();
        out
    };
    let not_verbatim: Vec<_> = raw(&from_pull)
        .into_iter()
        .zip(raw(&declared))
        .filter(|(p, d)| p.1 != d.1)
        .map(|(p, _)| p.0)
        .collect();
    eprintln!(
        "{} of {} statements are not verbatim those of schema.sql: {}",
        not_verbatim.len(),
        pulled_statements.len(),
        not_verbatim.join(", ")
    );
}

/// A database as the original app's Drizzle migrator leaves it: the fixture's file when it
/// is there (copied: it is read-only input), otherwise the fixture's drizzle-kit migration
/// applied the way Drizzle's migrator applies it, with its `__drizzle_migrations` table.
async fn drizzle_database() -> TestDb {
    let fixture = Path::new("/work/shared/fixtures/seed-drizzle");
    let fixture = if fixture.is_dir() {
        fixture.to_path_buf()
    } else {
        repo_root().join("../shared/fixtures/seed-drizzle")
    };
    let file = fixture.join("original-app.db");
    if file.is_file() && common_mode_is_local() {
        let mut test = empty_db().await;
        let copy = test.dir.path().join("original-app.db");
        std::fs::copy(&file, &copy).unwrap();
        let mut perms = std::fs::metadata(&copy).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&copy, perms).unwrap();
        test.db = Db::open(
            &devhub_db::DbConfig::local(&copy),
            devhub_db::OpenMode::MustExist,
        )
        .await
        .unwrap();
        return test;
    }
    eprintln!(
        "(no {}: building it from the fixture's migration)",
        file.display()
    );
    let migration = std::fs::read_to_string(fixture.join("migrations/0000_init.sql")).unwrap();
    let mut sql = String::from(
        "CREATE TABLE IF NOT EXISTS \"__drizzle_migrations\" (\n\t\t\tid SERIAL PRIMARY KEY,\n\t\t\thash text NOT NULL,\n\t\t\tcreated_at numeric\n\t\t);\n",
    );
    for statement in migration.split("--> statement-breakpoint") {
        sql.push_str(statement.trim());
        sql.push('\n');
    }
    sql.push_str(
        "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('x', 1700000000000);",
    );
    applied_to_fresh(&sql).await
}

#[tokio::test]
async fn a_database_of_the_original_app_pulls_into_sql_that_recreates_it() {
    let db = drizzle_database().await;
    let original = live_schema(&db).await;
    assert!(original.table("contact_info").is_some());
    let pulled = pulled_body(&db).await;
    // drizzle-kit's quoting and its foreign keys' actions are kept as written.
    assert!(has(&pulled, "CREATE TABLE `contact` ("), "{pulled}");
    assert!(
        has(&pulled, "ON UPDATE no action ON DELETE no action"),
        "{pulled}"
    );
    assert!(
        has(&pulled, "CREATE UNIQUE INDEX `user_username_unique`"),
        "{pulled}"
    );
    assert!(has(&pulled, "__drizzle_migrations"), "{pulled}");

    let recreated = migrate::schema_of_sql(&pulled).await.unwrap();
    assert_eq!(differences(&original, &recreated), Vec::<String>::new());
    assert_eq!(differences(&recreated, &original), Vec::<String>::new());
    let copy = applied_to_fresh(&pulled).await;
    assert_eq!(
        normalized_statements(&pulled_body(&copy).await),
        normalized_statements(&pulled)
    );
}
