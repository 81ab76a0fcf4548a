//! The migration runner (`db migrate`) and the generator (`db generate` / `db check`).
#![allow(clippy::unwrap_used)]

mod common;
use common::{count, TestDb};

use devhub_db::migrate::{self, GenerateOptions, Generated, Migration, SourcePaths};
use devhub_db::Db;

/// A fresh empty database: a file, or with `DEVHUB_TEST_MODE=remote|replica` a server of its
/// own, so that migrations run on sqld too.
async fn fresh_db() -> TestDb {
    common::empty_db().await
}

async fn table_names(db: &Db) -> Vec<String> {
    strings(
        db,
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    )
    .await
}

async fn strings(db: &Db, sql: &str) -> Vec<String> {
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query(sql, ()).await.unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        out.push(row.get::<String>(0).unwrap());
    }
    out
}

// ---------------------------------------------------------------- runner

#[tokio::test]
async fn migrating_a_fresh_database_creates_every_table_and_records_the_migrations() {
    let db = fresh_db().await;
    let embedded = migrate::embedded().unwrap();

    let applied = migrate::migrate(&db, &embedded).await.unwrap();

    assert_eq!(applied.len(), embedded.len());
    let tables = table_names(&db).await;
    for t in [
        "user",
        "session",
        "contact",
        "interaction",
        "background",
        "contact_info",
        "follow_up",
        "tag",
        "contact_tag",
        "api_token",
        "__devhub_migrations",
    ] {
        assert!(tables.contains(&t.to_string()), "missing {t} in {tables:?}");
    }
    let checksums = strings(&db, "SELECT checksum FROM __devhub_migrations ORDER BY id").await;
    assert_eq!(
        checksums,
        embedded
            .iter()
            .map(|m| m.checksum.clone())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    let db = fresh_db().await;
    let embedded = migrate::embedded().unwrap();
    migrate::migrate(&db, &embedded).await.unwrap();
    let before = strings(
        &db,
        "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name",
    )
    .await;
    let recorded = count(&db, "SELECT count(*) FROM __devhub_migrations").await;

    let applied = migrate::migrate(&db, &embedded).await.unwrap();

    assert!(applied.is_empty());
    assert_eq!(
        strings(
            &db,
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name"
        )
        .await,
        before
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM __devhub_migrations").await,
        recorded
    );
}

#[tokio::test]
async fn a_changed_applied_migration_is_refused_by_name_and_nothing_runs() {
    let db = fresh_db().await;
    let first = Migration::new("0001_init.sql", "CREATE TABLE a (x INTEGER);").unwrap();
    migrate::migrate(&db, std::slice::from_ref(&first))
        .await
        .unwrap();
    let tampered = Migration::new("0001_init.sql", "CREATE TABLE a (x INTEGER, y TEXT);").unwrap();
    let second = Migration::new("0002_more.sql", "CREATE TABLE b (x INTEGER);").unwrap();

    let err = migrate::migrate(&db, &[tampered, second])
        .await
        .unwrap_err();

    assert!(err.to_string().contains("0001_init.sql"), "{err}");
    assert!(err.to_string().contains("changed"), "{err}");
    assert!(
        !table_names(&db).await.contains(&"b".to_string()),
        "the pending migration must not run"
    );
}

#[tokio::test]
async fn a_migration_that_fails_midway_leaves_the_database_as_it_was() {
    let db = fresh_db().await;
    let first = Migration::new(
        "0001_init.sql",
        "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);",
    )
    .unwrap();
    let broken = Migration::new(
        "0002_broken.sql",
        "CREATE TABLE b (x INTEGER);\nINSERT INTO a VALUES (2);\nINSERT INTO missing VALUES (3);",
    )
    .unwrap();

    let err = migrate::migrate(&db, &[first, broken]).await.unwrap_err();

    assert!(err.to_string().contains("0002_broken.sql"), "{err}");
    assert!(!table_names(&db).await.contains(&"b".to_string()));
    assert_eq!(
        count(&db, "SELECT count(*) FROM a").await,
        1,
        "the partial insert was rolled back"
    );
    assert_eq!(
        strings(&db, "SELECT name FROM __devhub_migrations").await,
        ["init"]
    );
    // Foreign keys are back on for the connections the pool hands out.
    assert_eq!(count(&db, "PRAGMA foreign_keys").await, 1);
}

#[tokio::test]
async fn a_migration_leaving_dangling_references_is_rolled_back() {
    let db = fresh_db().await;
    let first = Migration::new(
        "0001_init.sql",
        "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p_id INTEGER REFERENCES p(id));",
    )
    .unwrap();
    let orphan = Migration::new("0002_orphan.sql", "INSERT INTO c VALUES (42);").unwrap();

    let err = migrate::migrate(&db, &[first, orphan]).await.unwrap_err();

    assert!(err.to_string().contains("reference missing rows"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM c").await, 0);
}

#[tokio::test]
async fn a_database_with_a_migration_unknown_to_this_binary_is_refused() {
    let db = fresh_db().await;
    let first = Migration::new("0001_init.sql", "CREATE TABLE a (x INTEGER);").unwrap();
    let second = Migration::new("0002_more.sql", "CREATE TABLE b (x INTEGER);").unwrap();
    migrate::migrate(&db, &[first.clone(), second])
        .await
        .unwrap();

    let err = migrate::migrate(&db, &[first]).await.unwrap_err();

    assert!(err.to_string().contains("0002_more"), "{err}");
}

#[tokio::test]
async fn status_lists_applied_and_pending_migrations() {
    let db = fresh_db().await;
    let first = Migration::new("0001_init.sql", "CREATE TABLE a (x INTEGER);").unwrap();
    let second = Migration::new("0002_more.sql", "CREATE TABLE b (x INTEGER);").unwrap();
    migrate::migrate(&db, std::slice::from_ref(&first))
        .await
        .unwrap();

    let status = migrate::status(&db, &[first, second]).await.unwrap();

    assert!(matches!(
        status[0].state,
        migrate::MigrationState::Applied(_)
    ));
    assert_eq!(status[1].state, migrate::MigrationState::Pending);
    assert_eq!(status[1].name, "more");
}

#[test]
fn migration_files_must_be_named_and_numbered_in_sequence() {
    assert!(Migration::new("init.sql", "").is_err());
    assert!(Migration::new("01_init.sql", "").is_err());
    assert!(Migration::new("0001_init.txt", "").is_err());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("0001_a.sql"), "CREATE TABLE a (x);").unwrap();
    std::fs::write(dir.path().join("0003_c.sql"), "CREATE TABLE c (x);").unwrap();
    let err = migrate::from_dir(dir.path()).unwrap_err();
    assert!(err.to_string().contains("0003_c.sql"), "{err}");
}

#[test]
fn the_embedded_migrations_are_the_files_of_the_repository() {
    let on_disk = migrate::from_dir(&repo_root().join("migrations")).unwrap();
    assert_eq!(migrate::embedded().unwrap(), on_disk);
    assert!(on_disk[0].file_name().starts_with("0001_"));
}

fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[tokio::test]
async fn schema_sql_and_the_repository_migrations_agree() {
    let paths = SourcePaths {
        schema: repo_root().join("schema.sql"),
        migrations: repo_root().join("migrations"),
    };
    assert_eq!(migrate::check(&paths).await.unwrap(), Vec::<String>::new());
}

// ------------------------------------------------------------ the contract

/// (name, type, not null, default, primary key) of every column, as DESIGN.md §1 fixes them.
type Col = (&'static str, &'static str, bool, Option<&'static str>, bool);

const NOW: Option<&str> = Some("unixepoch()");

#[tokio::test]
async fn the_six_original_tables_have_exactly_the_columns_of_the_design() {
    // The design's columns, in its order, and after them only the additions that a client of
    // the original design may leave out (nullable, filled by the database): interaction's
    // owner.
    let expected: [(&str, Vec<Col>); 6] = [
        (
            "user",
            vec![
                ("id", "TEXT", true, None, true),
                ("username", "TEXT", true, None, false),
                ("password_hash", "TEXT", true, None, false),
                ("created_at", "INTEGER", true, NOW, false),
                ("updated_at", "INTEGER", true, NOW, false),
                // Ours (issue 16): defaulted and nullable, so the seed's inserts still work.
                ("role", "TEXT", true, Some("'member'"), false),
                ("disabled_at", "INTEGER", false, None, false),
            ],
        ),
        (
            "session",
            vec![
                ("id", "TEXT", true, None, true),
                ("user_id", "TEXT", true, None, false),
                ("expires_at", "INTEGER", true, None, false),
            ],
        ),
        (
            "contact",
            vec![
                ("id", "TEXT", true, None, true),
                ("user_id", "TEXT", true, None, false),
                ("name", "TEXT", true, None, false),
                ("relationship", "TEXT", false, None, false),
                ("birthday", "INTEGER", false, None, false),
                ("industry", "TEXT", false, None, false),
                ("location", "TEXT", false, None, false),
                ("vip", "INTEGER", true, Some("0"), false),
                ("last_update", "INTEGER", true, NOW, false),
                ("last_contacted", "INTEGER", false, None, false),
                ("status", "TEXT", true, Some("'active'"), false),
                ("created_at", "INTEGER", true, NOW, false),
                ("updated_at", "INTEGER", true, NOW, false),
                ("notes", "TEXT", false, None, false),
            ],
        ),
        (
            "interaction",
            vec![
                ("id", "TEXT", true, None, true),
                ("contact_id", "TEXT", true, None, false),
                ("type", "TEXT", true, None, false),
                ("date", "INTEGER", true, None, false),
                ("notes", "TEXT", false, None, false),
                ("created_at", "INTEGER", true, NOW, false),
                ("updated_at", "INTEGER", true, NOW, false),
                ("user_id", "TEXT", false, None, false),
            ],
        ),
        (
            "background",
            vec![
                ("id", "TEXT", true, None, true),
                ("contact_id", "TEXT", true, None, false),
                ("family", "TEXT", false, None, false),
                ("company", "TEXT", false, None, false),
                ("likes_dislikes", "TEXT", false, None, false),
                ("misc_notes", "TEXT", false, None, false),
                ("created_at", "INTEGER", true, NOW, false),
                ("updated_at", "INTEGER", true, NOW, false),
            ],
        ),
        (
            "contact_info",
            vec![
                ("id", "TEXT", true, None, true),
                ("contact_id", "TEXT", true, None, false),
                ("main_app", "TEXT", false, None, false),
                ("email", "TEXT", false, None, false),
                ("phone_number", "TEXT", false, None, false),
                ("social_links", "TEXT", false, None, false),
                ("created_at", "INTEGER", true, NOW, false),
                ("updated_at", "INTEGER", true, NOW, false),
                ("email_label", "TEXT", false, None, false),
                ("phone_label", "TEXT", false, None, false),
            ],
        ),
    ];
    let db = common::test_db().await;
    let conn = db.conn().await.unwrap();
    let schema = devhub_db::migrate::Schema::read(&conn).await.unwrap();
    for (table, columns) in expected {
        let actual: Vec<(String, String, bool, Option<String>, bool)> = schema
            .table(table)
            .unwrap_or_else(|| panic!("no table {table}"))
            .columns
            .iter()
            .map(|c| {
                // A libSQL server stores the schema's SQL as it re-prints it
                // (`unixepoch ()` for `unixepoch()`): the same default, spaced otherwise.
                let default = c.default.as_ref().map(|d| {
                    d.strip_prefix('(')
                        .and_then(|d| d.strip_suffix(')'))
                        .unwrap_or(d)
                        .replace(" (", "(")
                });
                (
                    c.name.clone(),
                    c.decl_type.clone(),
                    c.not_null,
                    default,
                    c.primary_key > 0,
                )
            })
            .collect();
        let expected: Vec<_> = columns
            .iter()
            .map(|(n, t, nn, d, pk)| {
                (
                    n.to_string(),
                    t.to_string(),
                    *nn,
                    d.map(str::to_string),
                    *pk,
                )
            })
            .collect();
        assert_eq!(actual, expected, "columns of {table}");
    }
    // Children cascade from their owners.
    for (table, parent) in [
        ("session", "user"),
        ("contact", "user"),
        ("interaction", "contact"),
        ("background", "contact"),
        ("contact_info", "contact"),
    ] {
        // Every key points at the parent and cascades (an interaction's second key, by
        // contact and owner, keeps its owner equal to the contact's).
        let fks = &schema.table(table).unwrap().foreign_keys;
        assert!(!fks.is_empty(), "{table}");
        assert!(
            fks.iter()
                .any(|fk| fk.from == "contact_id" || fk.from == "user_id"),
            "{table}"
        );
        for fk in fks {
            assert_eq!(
                (fk.table.as_str(), fk.on_delete.as_str()),
                (parent, "CASCADE"),
                "{table}"
            );
        }
    }
}

#[tokio::test]
async fn the_schema_enforces_closed_sets_and_foreign_keys() {
    let db = common::test_db().await;
    let conn = db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO user (id, username, password_hash) VALUES ('u', 'u', 'h')",
        (),
    )
    .await
    .unwrap();
    for bad in [
        "INSERT INTO contact (id, user_id, name, status) VALUES ('c1', 'u', 'n', 'deleted')",
        "INSERT INTO contact (id, user_id, name, vip) VALUES ('c2', 'u', 'n', 2)",
        "INSERT INTO contact (id, user_id, name) VALUES ('c3', 'nobody', 'n')",
        "INSERT INTO interaction (id, contact_id, type, date) VALUES ('i', 'missing', 'call', 0)",
    ] {
        assert!(conn.execute(bad, ()).await.is_err(), "accepted: {bad}");
    }
    conn.execute(
        "INSERT INTO contact (id, user_id, name) VALUES ('c', 'u', 'n')",
        (),
    )
    .await
    .unwrap();
    assert!(conn
        .execute(
            "INSERT INTO interaction (id, contact_id, type, date) VALUES ('i', 'c', 'lunch', 0)",
            ()
        )
        .await
        .is_err());
}

#[tokio::test]
async fn every_foreign_key_has_an_index_behind_it() {
    let db = common::test_db().await;
    let conn = db.conn().await.unwrap();
    let schema = devhub_db::migrate::Schema::read(&conn).await.unwrap();
    for table in &schema.tables {
        for fk in &table.foreign_keys {
            let mut rows = conn
                .query(
                    "SELECT count(*) FROM pragma_index_list(?1) AS l \
                     JOIN pragma_index_info(l.name) AS i ON i.seqno = 0 WHERE i.name = ?2",
                    [table.name.as_str(), fk.from.as_str()],
                )
                .await
                .unwrap();
            let n: i64 = rows.next().await.unwrap().unwrap().get(0).unwrap();
            assert!(
                n > 0,
                "{}.{} has no index leading with it",
                table.name,
                fk.from
            );
        }
    }
}

// --------------------------------------------------------------- generate

/// A scratch project: a schema.sql and a migrations folder.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    async fn new(schema: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        let p = Project { dir };
        p.set_schema(schema);
        assert!(matches!(
            p.generate("init").await.unwrap(),
            Generated::Written { .. }
        ));
        p
    }

    fn paths(&self) -> SourcePaths {
        SourcePaths {
            schema: self.dir.path().join("schema.sql"),
            migrations: self.dir.path().join("migrations"),
        }
    }

    fn set_schema(&self, schema: &str) {
        std::fs::write(self.dir.path().join("schema.sql"), schema).unwrap();
    }

    async fn generate(&self, name: &str) -> devhub_db::Result<Generated> {
        migrate::generate(&self.paths(), name, &GenerateOptions::default()).await
    }

    async fn generate_with(
        &self,
        name: &str,
        options: &GenerateOptions,
    ) -> devhub_db::Result<Generated> {
        migrate::generate(&self.paths(), name, options).await
    }

    fn migrations(&self) -> Vec<Migration> {
        migrate::from_dir(&self.paths().migrations).unwrap()
    }

    /// A database on disk with the project's migrations applied so far.
    async fn database(&self) -> TestDb {
        let db = fresh_db().await;
        migrate::migrate(&db, &self.migrations()).await.unwrap();
        db
    }

    async fn assert_checks(&self) {
        assert_eq!(
            migrate::check(&self.paths()).await.unwrap(),
            Vec::<String>::new()
        );
    }
}

fn written_sql(g: Generated) -> String {
    match g {
        Generated::Written { path, .. } => std::fs::read_to_string(path).unwrap(),
        Generated::NoChanges => panic!("expected a migration"),
    }
}

const BASE: &str = "
CREATE TABLE owner (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE pet (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES owner(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    age INTEGER
);
CREATE INDEX pet_owner_idx ON pet (owner_id);
";

async fn seeded(p: &Project) -> TestDb {
    let db = p.database().await;
    let conn = db.conn().await.unwrap();
    conn.execute_batch(
        "INSERT INTO owner VALUES ('o1', 'Ada'), ('o2', 'Grace');
         INSERT INTO pet VALUES ('p1', 'o1', 'Rex', 3), ('p2', 'o2', 'Tom', NULL);",
    )
    .await
    .unwrap();
    db
}

async fn migrate_project(p: &Project, db: &Db) {
    migrate::migrate(db, &p.migrations()).await.unwrap();
}

#[tokio::test]
async fn no_difference_writes_nothing() {
    let p = Project::new(BASE).await;
    assert!(matches!(
        p.generate("again").await.unwrap(),
        Generated::NoChanges
    ));
    // Formatting and comments are not changes.
    p.set_schema(&BASE.replace("name TEXT NOT NULL", "name   text not null /* required */"));
    assert!(matches!(
        p.generate("again").await.unwrap(),
        Generated::NoChanges
    ));
    assert_eq!(p.migrations().len(), 1);
}

#[tokio::test]
async fn a_new_table_is_created() {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(&format!("{BASE}\nCREATE TABLE toy (id TEXT PRIMARY KEY NOT NULL, pet_id TEXT REFERENCES pet(id));\nCREATE INDEX toy_pet_idx ON toy (pet_id);"));

    let sql = written_sql(p.generate("add_toy").await.unwrap());

    assert!(sql.contains("CREATE TABLE toy"), "{sql}");
    assert!(sql.contains("CREATE INDEX toy_pet_idx"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(count(&db, "SELECT count(*) FROM toy").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM pet").await, 2);
}

#[tokio::test]
async fn a_dropped_table_needs_allow_data_loss() {
    let p = Project::new(&format!(
        "{BASE}\nCREATE TABLE toy (id TEXT PRIMARY KEY NOT NULL);"
    ))
    .await;
    p.set_schema(BASE);

    let err = p.generate("drop_toy").await.unwrap_err();
    assert!(err.to_string().contains("table toy"), "{err}");
    assert!(err.to_string().contains("--allow-data-loss"), "{err}");
    assert_eq!(p.migrations().len(), 1, "nothing written");

    let options = GenerateOptions {
        allow_data_loss: true,
        ..Default::default()
    };
    let sql = written_sql(p.generate_with("drop_toy", &options).await.unwrap());
    assert!(sql.contains("DROP TABLE \"toy\""), "{sql}");
    p.assert_checks().await;
}

#[tokio::test]
async fn an_appended_column_uses_alter_table_add_column() {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(&BASE.replace(
        "    age INTEGER\n",
        "    age INTEGER,\n    color TEXT NOT NULL DEFAULT 'brown'\n",
    ));

    let sql = written_sql(p.generate("add_color").await.unwrap());

    assert!(
        sql.contains("ALTER TABLE \"pet\" ADD COLUMN color TEXT NOT NULL DEFAULT 'brown';"),
        "{sql}"
    );
    assert!(!sql.contains("__new_"), "no rebuild needed: {sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        strings(&db, "SELECT color FROM pet ORDER BY id").await,
        ["brown", "brown"]
    );
}

#[tokio::test]
async fn a_column_sqlite_cannot_add_in_place_is_added_by_a_rebuild_that_keeps_rows() {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    // An expression default cannot be added with ALTER TABLE.
    p.set_schema(&BASE.replace(
        "    age INTEGER\n",
        "    age INTEGER,\n    created_at INTEGER NOT NULL DEFAULT (unixepoch())\n",
    ));

    let sql = written_sql(p.generate("add_created").await.unwrap());

    assert!(sql.contains("CREATE TABLE \"__new_pet\""), "{sql}");
    assert!(
        sql.contains("CREATE INDEX pet_owner_idx"),
        "indexes recreated: {sql}"
    );
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        strings(&db, "SELECT name FROM pet ORDER BY id").await,
        ["Rex", "Tom"]
    );
    assert!(count(&db, "SELECT min(created_at) FROM pet").await > 1_600_000_000);
}

#[tokio::test]
async fn indexes_are_created_dropped_and_changed() {
    let p = Project::new(BASE).await;
    p.set_schema(&format!("{BASE}\nCREATE INDEX pet_name_idx ON pet (name);"));
    let sql = written_sql(p.generate("add_index").await.unwrap());
    assert!(
        sql.contains("CREATE INDEX pet_name_idx ON pet (name);"),
        "{sql}"
    );
    p.assert_checks().await;

    p.set_schema(&format!(
        "{BASE}\nCREATE INDEX pet_name_idx ON pet (name, age);"
    ));
    let sql = written_sql(p.generate("change_index").await.unwrap());
    assert!(
        sql.contains("DROP INDEX \"pet_name_idx\";") && sql.contains("ON pet (name, age)"),
        "{sql}"
    );
    p.assert_checks().await;

    p.set_schema(BASE);
    let sql = written_sql(p.generate("drop_index").await.unwrap());
    assert!(sql.contains("DROP INDEX \"pet_name_idx\";"), "{sql}");
    assert!(!sql.contains("CREATE"), "{sql}");
    p.assert_checks().await;
}

/// A change that needs the table rebuild: the rows must survive, and the rows of tables
/// that reference the rebuilt one must not be cascaded away.
async fn assert_rebuild_keeps_rows(new_schema: &str, name: &str) -> (Project, TestDb, String) {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(new_schema);
    let sql = written_sql(p.generate(name).await.unwrap());
    assert!(sql.contains("INSERT INTO \"__new_"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        strings(&db, "SELECT name FROM owner ORDER BY id").await,
        ["Ada", "Grace"]
    );
    assert_eq!(
        strings(&db, "SELECT name FROM pet ORDER BY id").await,
        ["Rex", "Tom"]
    );
    (p, db, sql)
}

#[tokio::test]
async fn a_type_change_rebuilds_the_table_and_keeps_rows() {
    let (_p, db, _) =
        assert_rebuild_keeps_rows(&BASE.replace("age INTEGER", "age REAL"), "age_real").await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM pet WHERE typeof(age) = 'real'").await,
        1
    );
}

#[tokio::test]
async fn a_default_change_rebuilds_the_table_and_keeps_rows() {
    let (_p, db, _) = assert_rebuild_keeps_rows(
        &BASE.replace("age INTEGER", "age INTEGER DEFAULT 1"),
        "age_default",
    )
    .await;
    let conn = db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO pet (id, owner_id, name) VALUES ('p3', 'o1', 'Kit')",
        (),
    )
    .await
    .unwrap();
    assert_eq!(count(&db, "SELECT age FROM pet WHERE id = 'p3'").await, 1);
}

#[tokio::test]
async fn a_null_ness_change_rebuilds_the_table_and_keeps_rows() {
    let (_p, db, _) = assert_rebuild_keeps_rows(
        &BASE.replace(
            "name TEXT NOT NULL\n);\nCREATE TABLE pet",
            "name TEXT\n);\nCREATE TABLE pet",
        ),
        "owner_name_nullable",
    )
    .await;
    let conn = db.conn().await.unwrap();
    conn.execute("INSERT INTO owner (id) VALUES ('o3')", ())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rebuilt_parent_table_keeps_the_rows_that_reference_it() {
    // `owner` is referenced by `pet` with ON DELETE CASCADE: dropping the old `owner` during the
    // rebuild must not delete the pets.
    let (_p, db, sql) = assert_rebuild_keeps_rows(
        &BASE.replace(
            "name TEXT NOT NULL\n);\nCREATE TABLE pet",
            "name TEXT NOT NULL CHECK (length(name) > 0)\n);\nCREATE TABLE pet",
        ),
        "owner_check",
    )
    .await;
    assert!(sql.contains("__new_owner"), "{sql}");
    let conn = db.conn().await.unwrap();
    assert!(
        conn.execute("INSERT INTO owner VALUES ('o3', '')", ())
            .await
            .is_err(),
        "the new CHECK holds"
    );
    // The foreign key still points at the rebuilt table and still cascades.
    conn.execute("DELETE FROM owner WHERE id = 'o1'", ())
        .await
        .unwrap();
    assert_eq!(strings(&db, "SELECT name FROM pet").await, ["Tom"]);
}

#[tokio::test]
async fn a_dropped_column_needs_allow_data_loss_and_keeps_the_other_values() {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(&BASE.replace(",\n    age INTEGER\n", "\n"));

    let err = p.generate("drop_age").await.unwrap_err();
    assert!(err.to_string().contains("column pet.age"), "{err}");
    assert_eq!(p.migrations().len(), 1);

    let options = GenerateOptions {
        allow_data_loss: true,
        ..Default::default()
    };
    written_sql(p.generate_with("drop_age", &options).await.unwrap());
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        strings(&db, "SELECT name || '/' || owner_id FROM pet ORDER BY id").await,
        ["Rex/o1", "Tom/o2"]
    );
}

#[tokio::test]
async fn a_renamed_column_keeps_its_values_when_the_rename_is_given() {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(&BASE.replace("    age INTEGER\n", "    age_years INTEGER\n"));

    // Without the hint it looks like a dropped column.
    assert!(p.generate("rename_age").await.is_err());

    let mut options = GenerateOptions::default();
    options.add_rename("pet.age=age_years").unwrap();
    let sql = written_sql(p.generate_with("rename_age", &options).await.unwrap());
    assert!(sql.contains("rename column pet.age to age_years"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        count(&db, "SELECT age_years FROM pet WHERE id = 'p1'").await,
        3
    );
}

#[tokio::test]
async fn check_reports_a_schema_that_the_migrations_do_not_produce() {
    let p = Project::new(BASE).await;
    p.set_schema(&BASE.replace("age INTEGER", "age INTEGER NOT NULL DEFAULT 0"));

    let differences = migrate::check(&p.paths()).await.unwrap();

    assert_eq!(differences, ["table pet: column age differs"]);
}

#[tokio::test]
async fn bad_names_and_broken_schemas_are_refused_without_writing() {
    let p = Project::new(BASE).await;
    assert!(p.generate("Bad Name").await.is_err());
    p.set_schema("CREATE TABLE broken (");
    let err = p.generate("broken").await.unwrap_err();
    assert!(err.to_string().contains("schema.sql does not run"), "{err}");
    let mut options = GenerateOptions::default();
    assert!(options.add_rename("no-dot=x").is_err());
    assert_eq!(p.migrations().len(), 1);
}

// ---------------------------------------------------------------- 0004_add_follow_ups

#[tokio::test]
async fn follow_ups_made_before_0004_take_the_owner_of_their_contact() {
    let db = fresh_db().await;
    let all = migrate::embedded().unwrap();
    let before: Vec<_> = all.iter().filter(|m| m.id < 4).cloned().collect();
    migrate::migrate(&db, &before).await.unwrap();
    let conn = db.conn().await.unwrap();
    for sql in [
        "INSERT INTO user (id, username, password_hash) VALUES ('u1', 'ada', 'x'), ('u2', 'bob', 'x')",
        "INSERT INTO contact (id, user_id, name) VALUES ('c1', 'u1', 'Grace'), ('c2', 'u2', 'Linus')",
        "INSERT INTO follow_up (id, contact_id, due_date, note) VALUES \
         ('f1', 'c1', 1700000000, 'call'), ('f2', 'c2', 1700000000, NULL)",
    ] {
        conn.execute(sql, ()).await.unwrap();
    }
    drop(conn);

    // Up to 0004 only: later migrations are not this test's subject.
    let through_0004: Vec<_> = all.iter().filter(|m| m.id <= 4).cloned().collect();
    let applied = migrate::migrate(&db, &through_0004).await.unwrap();
    assert_eq!(applied.len(), 1);

    assert_eq!(
        strings(
            &db,
            "SELECT id || ':' || user_id || ':' || coalesce(note, '-') FROM follow_up ORDER BY id"
        )
        .await,
        ["f1:u1:call", "f2:u2:-"]
    );
}

#[tokio::test]
async fn a_follow_up_cannot_belong_to_anyone_but_the_owner_of_its_contact() {
    let db = fresh_db().await;
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    let conn = db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO user (id, username, password_hash) VALUES ('u1', 'ada', 'x'), ('u2', 'bob', 'x')",
        (),
    )
    .await
    .unwrap();
    conn.execute(
        "INSERT INTO contact (id, user_id, name) VALUES ('c1', 'u1', 'Grace')",
        (),
    )
    .await
    .unwrap();

    let wrong_owner = conn
        .execute(
            "INSERT INTO follow_up (id, user_id, contact_id, due_date) VALUES ('f1', 'u2', 'c1', 1)",
            (),
        )
        .await;
    conn.execute(
        "INSERT INTO follow_up (id, user_id, contact_id, due_date) VALUES ('f2', 'u1', 'c1', 1)",
        (),
    )
    .await
    .unwrap();
    let moved = conn
        .execute("UPDATE follow_up SET user_id = 'u2' WHERE id = 'f2'", ())
        .await;
    drop(conn);

    assert!(
        wrong_owner.is_err(),
        "a follow-up of another user's contact"
    );
    assert!(moved.is_err(), "a follow-up handed to another user");
    assert_eq!(count(&db, "SELECT count(*) FROM follow_up").await, 1);
}

#[tokio::test]
async fn interactions_made_before_0008_take_the_owner_of_their_contact() {
    let db = fresh_db().await;
    let all = migrate::embedded().unwrap();
    let before: Vec<_> = all.iter().filter(|m| m.id < 8).cloned().collect();
    migrate::migrate(&db, &before).await.unwrap();
    let conn = db.conn().await.unwrap();
    for sql in [
        "INSERT INTO user (id, username, password_hash) VALUES ('u1', 'ada', 'x'), ('u2', 'bob', 'x')",
        "INSERT INTO contact (id, user_id, name) VALUES ('c1', 'u1', 'Grace'), ('c2', 'u2', 'Linus')",
        "INSERT INTO interaction (id, contact_id, type, date, notes) VALUES \
         ('i1', 'c1', 'call', 1700000000, 'hello'), ('i2', 'c2', 'email', 1700000001, NULL)",
    ] {
        conn.execute(sql, ()).await.unwrap();
    }
    drop(conn);

    let through_0008: Vec<_> = all.iter().filter(|m| m.id <= 8).cloned().collect();
    let applied = migrate::migrate(&db, &through_0008).await.unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(
        strings(
            &db,
            "SELECT id || ':' || user_id || ':' || coalesce(notes, '-') FROM interaction ORDER BY id"
        )
        .await,
        ["i1:u1:hello", "i2:u2:-"]
    );
}

/// Migration 0021 counts the interactions already there, each contact's (none for a contact
/// without any), and the count goes on from there.
#[tokio::test]
async fn interactions_made_before_0021_are_counted_by_it() {
    let db = fresh_db().await;
    let all = migrate::embedded().unwrap();
    let before: Vec<_> = all.iter().filter(|m| m.id < 21).cloned().collect();
    migrate::migrate(&db, &before).await.unwrap();
    let conn = db.conn().await.unwrap();
    for sql in [
        "INSERT INTO user (id, username, password_hash) VALUES ('u1', 'ada', 'x')",
        "INSERT INTO contact (id, user_id, name) VALUES ('c1', 'u1', 'Grace'), ('c2', 'u1', 'Linus'), \
         ('c3', 'u1', 'Nobody')",
        "INSERT INTO interaction (id, contact_id, type, date) VALUES ('i1', 'c1', 'call', 1), \
         ('i2', 'c1', 'email', 2), ('i3', 'c1', 'call', 3), ('i4', 'c2', 'other', 4)",
    ] {
        conn.execute(sql, ()).await.unwrap();
    }
    drop(conn);

    let applied = migrate::migrate(&db, &all).await.unwrap();
    assert_eq!(applied.len(), all.len() - before.len());
    let counts = "SELECT contact_id || ':' || total FROM interaction_count ORDER BY contact_id";
    assert_eq!(strings(&db, counts).await, ["c1:3", "c2:1"]);
    db.conn()
        .await
        .unwrap()
        .execute(
            "INSERT INTO interaction (id, contact_id, type, date) VALUES ('i5', 'c2', 'call', 5)",
            (),
        )
        .await
        .unwrap();
    assert_eq!(strings(&db, counts).await, ["c1:3", "c2:2"]);
}

/// The original app's Drizzle client inserts interactions with the design's columns only: the
/// database fills in the owner, and keeps it equal to the contact's when a row moves.
#[tokio::test]
async fn an_interaction_inserted_without_its_owner_gets_the_owner_of_its_contact() {
    let db = fresh_db().await;
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    let conn = db.conn().await.unwrap();
    for sql in [
        "INSERT INTO user (id, username, password_hash) VALUES ('u1', 'ada', 'x'), ('u2', 'bob', 'x')",
        "INSERT INTO contact (id, user_id, name) VALUES ('c1', 'u1', 'Grace'), ('c2', 'u2', 'Linus'), \
         ('c3', 'u1', 'Barbara')",
        // Exactly the columns the seed's Drizzle schema writes.
        "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
         VALUES ('i1', 'c1', 'meeting', 1700000000, 'coffee', 1700000000, 1700000000)",
    ] {
        conn.execute(sql, ()).await.unwrap();
    }
    drop(conn);
    assert_eq!(
        strings(&db, "SELECT user_id FROM interaction WHERE id = 'i1'").await,
        ["u1"]
    );

    let conn = db.conn().await.unwrap();
    conn.execute(
        "UPDATE interaction SET contact_id = 'c3' WHERE id = 'i1'",
        (),
    )
    .await
    .unwrap();
    drop(conn);
    assert_eq!(
        strings(&db, "SELECT user_id FROM interaction WHERE id = 'i1'").await,
        ["u1"]
    );

    // Another user's owner for the contact is refused by the composite key.
    let conn = db.conn().await.unwrap();
    let wrong = conn
        .execute(
            "INSERT INTO interaction (id, contact_id, type, date, user_id) \
             VALUES ('i2', 'c1', 'call', 1, 'u2')",
            (),
        )
        .await;
    assert!(wrong.is_err(), "an interaction of u1's contact owned by u2");
    drop(conn);
    assert_eq!(
        strings(&db, "SELECT CAST(count(*) AS TEXT) FROM interaction").await,
        ["1"]
    );
}

// ------------------------------------------ views, triggers and virtual tables

const PET_VIEW: &str = "CREATE VIEW pet_owner AS \
    SELECT pet.name AS pet, owner.name AS owner FROM pet JOIN owner ON owner.id = pet.owner_id;";
const PET_TRIGGER: &str = "CREATE TRIGGER pet_named AFTER INSERT ON pet \
    WHEN NEW.name = '' BEGIN UPDATE pet SET name = 'unnamed' WHERE id = NEW.id; END;";
const PET_FTS: &str = "CREATE VIRTUAL TABLE pet_fts USING fts5(name, content = 'pet', \
    content_rowid = 'rowid', tokenize = 'trigram');
CREATE TRIGGER pet_fts_insert AFTER INSERT ON pet BEGIN
    INSERT INTO pet_fts (rowid, name) VALUES (NEW.rowid, NEW.name);
END;
CREATE TRIGGER pet_fts_delete AFTER DELETE ON pet BEGIN
    INSERT INTO pet_fts (pet_fts, rowid, name) VALUES ('delete', OLD.rowid, OLD.name);
END;
CREATE TRIGGER pet_fts_update AFTER UPDATE ON pet BEGIN
    INSERT INTO pet_fts (pet_fts, rowid, name) VALUES ('delete', OLD.rowid, OLD.name);
    INSERT INTO pet_fts (rowid, name) VALUES (NEW.rowid, NEW.name);
END;";

async fn ints(db: &Db, sql: &str) -> i64 {
    common::count(db, sql).await
}

#[tokio::test]
async fn views_are_created_dropped_and_changed() {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(&format!("{BASE}\n{PET_VIEW}"));
    let sql = written_sql(p.generate("add_view").await.unwrap());
    assert!(sql.contains("-- create view pet_owner"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        strings(
            &db,
            "SELECT pet || ':' || owner FROM pet_owner ORDER BY pet"
        )
        .await,
        ["Rex:Ada", "Tom:Grace"]
    );

    p.set_schema(&format!(
        "{BASE}\n{}",
        PET_VIEW.replace("owner.name AS owner", "upper(owner.name) AS owner")
    ));
    let sql = written_sql(p.generate("change_view").await.unwrap());
    assert!(
        sql.contains("-- change view pet_owner")
            && sql.contains("DROP VIEW IF EXISTS \"pet_owner\";"),
        "{sql}"
    );
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        strings(&db, "SELECT owner FROM pet_owner ORDER BY pet").await,
        ["ADA", "GRACE"]
    );

    p.set_schema(BASE);
    let sql = written_sql(p.generate("drop_view").await.unwrap());
    assert!(sql.contains("-- drop view pet_owner"), "{sql}");
    assert!(!sql.contains("CREATE"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
}

#[tokio::test]
async fn triggers_are_created_dropped_and_changed() {
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(&format!("{BASE}\n{PET_TRIGGER}"));
    let sql = written_sql(p.generate("add_trigger").await.unwrap());
    assert!(sql.contains("-- create trigger pet_named"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    let conn = db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO pet (id, owner_id, name) VALUES ('p3', 'o1', '')",
        (),
    )
    .await
    .unwrap();
    drop(conn);
    assert_eq!(
        strings(&db, "SELECT name FROM pet WHERE id = 'p3'").await,
        ["unnamed"]
    );

    p.set_schema(&format!(
        "{BASE}\n{}",
        PET_TRIGGER.replace("'unnamed'", "'nameless'")
    ));
    let sql = written_sql(p.generate("change_trigger").await.unwrap());
    assert!(sql.contains("-- change trigger pet_named"), "{sql}");
    p.assert_checks().await;

    p.set_schema(BASE);
    let sql = written_sql(p.generate("drop_trigger").await.unwrap());
    assert!(
        sql.contains("-- drop trigger pet_named")
            && sql.contains("DROP TRIGGER IF EXISTS \"pet_named\";"),
        "{sql}"
    );
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        ints(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn an_fts_index_made_after_the_rows_is_filled_from_them_and_its_shadow_tables_are_not_diffed()
{
    let p = Project::new(BASE).await;
    let db = seeded(&p).await;
    p.set_schema(&format!("{BASE}\n{PET_FTS}"));
    let generated = p.generate("add_search").await.unwrap();
    let sql = written_sql(generated);
    assert!(sql.contains("-- create virtual table pet_fts"), "{sql}");
    assert!(sql.contains("-- fill pet_fts from its rows"), "{sql}");
    assert!(
        sql.contains("INSERT INTO \"pet_fts\" (\"pet_fts\") VALUES ('rebuild');"),
        "{sql}"
    );
    assert!(
        !sql.contains("pet_fts_data"),
        "shadow tables are the index's own: {sql}"
    );
    // The fill comes after the index exists.
    assert!(
        sql.find("CREATE VIRTUAL TABLE") < sql.find("'rebuild'"),
        "{sql}"
    );
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        strings(
            &db,
            "SELECT name FROM pet WHERE rowid IN (SELECT rowid FROM pet_fts WHERE pet_fts MATCH 'rex')"
        )
        .await,
        ["Rex"]
    );
    // Nothing more to generate: the shadow tables are not tables of the schema.
    assert!(matches!(
        p.generate("again").await.unwrap(),
        Generated::NoChanges
    ));

    p.set_schema(BASE);
    let sql = written_sql(p.generate("drop_search").await.unwrap());
    assert!(sql.contains("DROP TABLE IF EXISTS \"pet_fts\";"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;
    assert_eq!(
        ints(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'pet_fts%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_contentless_index_is_created_with_a_warning_to_fill_it() {
    let p = Project::new(BASE).await;
    p.set_schema(&format!(
        "{BASE}\nCREATE VIRTUAL TABLE pet_words USING fts5(name, content = '', \
         contentless_delete = 1, tokenize = 'trigram');"
    ));
    let Generated::Written { plan, .. } = p.generate("add_words").await.unwrap() else {
        panic!("expected a migration");
    };
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("pet_words stores no content")),
        "{:?}",
        plan.warnings
    );
    p.assert_checks().await;
}

/// A column change rebuilds `pet`: its triggers, the view over it and the FTS index over its
/// rowids must all still hold afterwards.
#[tokio::test]
async fn a_table_rebuild_keeps_its_triggers_views_and_rowids() {
    let schema = format!("{BASE}\n{PET_VIEW}\n{PET_TRIGGER}\n{PET_FTS}");
    let p = Project::new(&schema).await;
    let db = seeded(&p).await;
    let rowids = strings(&db, "SELECT id || ':' || rowid FROM pet ORDER BY id").await;

    p.set_schema(&schema.replace("age INTEGER", "age INTEGER CHECK (age >= 0)"));
    let sql = written_sql(p.generate("age_check").await.unwrap());
    assert!(sql.contains("INSERT INTO \"__new_pet\" (rowid,"), "{sql}");
    p.assert_checks().await;
    migrate_project(&p, &db).await;

    assert_eq!(
        strings(&db, "SELECT id || ':' || rowid FROM pet ORDER BY id").await,
        rowids
    );
    assert_eq!(
        ints(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
        )
        .await,
        4
    );
    let conn = db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO pet (id, owner_id, name) VALUES ('p9', 'o2', '')",
        (),
    )
    .await
    .unwrap();
    conn.execute(
        "INSERT INTO pet_fts (pet_fts, rank) VALUES ('integrity-check', 1)",
        (),
    )
    .await
    .unwrap();
    drop(conn);
    assert_eq!(
        strings(&db, "SELECT owner FROM pet_owner WHERE pet = 'unnamed'").await,
        ["Grace"]
    );
    assert_eq!(
        strings(
            &db,
            "SELECT name FROM pet WHERE rowid IN (SELECT rowid FROM pet_fts WHERE pet_fts MATCH 'unn')"
        )
        .await,
        ["unnamed"]
    );
}

#[tokio::test]
async fn check_reports_a_trigger_the_migrations_lack() {
    let p = Project::new(BASE).await;
    p.set_schema(&format!("{BASE}\n{PET_TRIGGER}\n{PET_VIEW}"));
    let differences = migrate::check(&p.paths()).await.unwrap();
    assert_eq!(
        differences,
        [
            "trigger pet_named is in schema.sql but not in the migrations",
            "view pet_owner is in schema.sql but not in the migrations"
        ]
    );
}
