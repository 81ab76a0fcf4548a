//! `db push` (schema.sql straight into a development database) and the way back under
//! migrations (`db migrate --mark-applied`), in every mode (`DEVHUB_TEST_MODE`).
#![allow(clippy::unwrap_used)]

mod common;
use common::{count, TestDb};

use devhub_db::migrate::push::{self, MarkApplied, PushOptions};
use devhub_db::migrate::{self, GenerateOptions, Migration};
use devhub_db::Db;

const BASE: &str = "CREATE TABLE person (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    city TEXT
);
CREATE INDEX person_name ON person (name);
CREATE TABLE pet (
    id INTEGER PRIMARY KEY NOT NULL,
    person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
    name TEXT NOT NULL
);
";

/// A database made by raw SQL (no migrations), with 3 people and 2 pets.
async fn raw_db() -> TestDb {
    let db = common::empty_db().await;
    let conn = db.conn().await.unwrap();
    conn.execute_batch(BASE).await.unwrap();
    fill(&conn).await;
    drop(conn);
    db.sync().await.unwrap();
    db
}

async fn fill(conn: &libsql::Connection) {
    conn.execute_batch(
        "INSERT INTO person (id, name, city) VALUES (1, 'Ada', 'London'), (2, 'Grace', 'Arlington'), (3, 'Linus', NULL);
         INSERT INTO pet (id, person_id, name) VALUES (1, 1, 'Rex'), (2, 3, 'Tux');",
    )
    .await
    .unwrap();
}

fn migration(n: i64, name: &str, sql: &str) -> Migration {
    Migration::new(&format!("{n:04}_{name}.sql"), sql).unwrap()
}

async fn live(db: &Db) -> migrate::Schema {
    let conn = db.conn().await.unwrap();
    push::live_schema(&conn).await.unwrap()
}

/// The database's schema is the one `schema` declares.
async fn assert_matches(db: &Db, schema: &str) {
    let left = migrate::differences(
        &live(db).await,
        &migrate::schema_of_sql(schema).await.unwrap(),
    );
    assert!(left.is_empty(), "{left:?}");
}

async fn pushes(db: &Db) -> Vec<push::PushRecord> {
    let conn = db.conn().await.unwrap();
    push::pushes(&conn).await.unwrap()
}

#[tokio::test]
async fn pushing_an_added_column_table_and_index_keeps_every_row_and_records_the_push() {
    let db = raw_db().await;
    let schema = BASE.replace("    city TEXT\n", "    city TEXT,\n    email TEXT\n")
        + "CREATE INDEX pet_name ON pet (name);
CREATE TABLE visit (
    id INTEGER PRIMARY KEY NOT NULL,
    pet_id INTEGER NOT NULL REFERENCES pet(id) ON DELETE CASCADE
);\n";

    let prepared = push::prepare(&db, &schema, &[], &GenerateOptions::default())
        .await
        .unwrap();
    assert!(prepared.plan.data_loss.is_empty(), "{:?}", prepared.plan);
    assert!(prepared.contradicted.is_empty());
    let record = push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();

    assert_eq!(count(&db, "SELECT count(*) FROM person").await, 3);
    assert_eq!(count(&db, "SELECT count(*) FROM pet").await, 2);
    assert_eq!(
        count(&db, "SELECT count(*) FROM person WHERE email IS NULL").await,
        3
    );
    assert_matches(&db, &schema).await;
    // The marker: one row, with schema.sql's checksum and the statements applied.
    let recorded = pushes(&db).await;
    assert_eq!(recorded, vec![record.clone()]);
    assert_eq!(record.schema_checksum.len(), 64);
    assert!(record
        .statements
        .contains("ALTER TABLE \"person\" ADD COLUMN email TEXT;"));
    assert!(record.statements.contains("CREATE TABLE visit"));
    assert_eq!(record.resolved_at, None);

    // A second push has nothing to do, and apply refuses an empty plan.
    let again = push::prepare(&db, &schema, &[], &GenerateOptions::default())
        .await
        .unwrap();
    assert!(again.is_empty(), "{:?}", again.plan);
    assert!(push::apply(&db, &again, PushOptions::default())
        .await
        .is_err());
    assert_eq!(pushes(&db).await.len(), 1);
}

#[tokio::test]
async fn a_change_that_needs_a_rebuild_keeps_the_rows_and_those_that_reference_them() {
    let db = raw_db().await;
    // A CHECK constraint cannot be added with ALTER TABLE: the table is rebuilt, and the
    // pets that reference its rows (ON DELETE CASCADE) must survive the DROP of the old one.
    let schema = BASE.replace(
        "    name TEXT NOT NULL,\n    city TEXT",
        "    name TEXT NOT NULL CHECK (length(name) > 0),\n    city TEXT",
    );
    let prepared = push::prepare(&db, &schema, &[], &GenerateOptions::default())
        .await
        .unwrap();
    assert!(
        prepared
            .plan
            .summary
            .contains(&"rebuild table person (rows kept)".to_string()),
        "{:?}",
        prepared.plan.summary
    );
    push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();

    assert_eq!(count(&db, "SELECT count(*) FROM person").await, 3);
    assert_eq!(count(&db, "SELECT count(*) FROM pet").await, 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM person WHERE name = 'Grace' AND city = 'Arlington'"
        )
        .await,
        1
    );
    assert_matches(&db, &schema).await;
    // Foreign keys are back on for the connections that follow.
    let conn = db.primary().conn().await.unwrap();
    assert!(conn
        .execute(
            "INSERT INTO pet (id, person_id, name) VALUES (9, 99, 'Ghost')",
            ()
        )
        .await
        .is_err());
}

#[tokio::test]
async fn dropping_a_column_is_refused_without_allow_data_loss_and_applied_with_it() {
    let db = raw_db().await;
    let schema = BASE.replace(
        "    name TEXT NOT NULL,\n    city TEXT\n",
        "    name TEXT NOT NULL\n",
    );
    let before = live(&db).await;
    let prepared = push::prepare(&db, &schema, &[], &GenerateOptions::default())
        .await
        .unwrap();
    assert_eq!(
        prepared.plan.data_loss,
        vec!["column person.city".to_string()]
    );

    let refused = push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("person.city"), "{refused}");
    assert_eq!(live(&db).await, before);
    assert!(pushes(&db).await.is_empty());

    push::apply(
        &db,
        &prepared,
        PushOptions {
            allow_data_loss: true,
            ..PushOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM person").await, 3);
    assert_eq!(count(&db, "SELECT count(*) FROM pet").await, 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pragma_table_info('person') WHERE name = 'city'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_renamed_column_keeps_its_values() {
    let db = raw_db().await;
    let schema = BASE.replace("    city TEXT\n", "    town TEXT\n");
    let mut options = GenerateOptions::default();
    options.add_rename("person.city=town").unwrap();
    let prepared = push::prepare(&db, &schema, &[], &options).await.unwrap();
    assert!(prepared.plan.data_loss.is_empty(), "{:?}", prepared.plan);
    push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();
    assert_eq!(
        count(&db, "SELECT count(*) FROM person WHERE town = 'London'").await,
        1
    );
}

#[tokio::test]
async fn a_push_that_leaves_dangling_references_rolls_back_whole() {
    let db = raw_db().await;
    // A new foreign key from person.city to an empty table of towns leaves the cities of
    // the people dangling: `PRAGMA foreign_key_check` finds them and nothing is kept.
    let schema = format!(
        "CREATE TABLE town (name TEXT PRIMARY KEY NOT NULL);\n{}",
        BASE.replace("    city TEXT\n", "    city TEXT REFERENCES town(name)\n")
    );
    let before = live(&db).await;
    let prepared = push::prepare(&db, &schema, &[], &GenerateOptions::default())
        .await
        .unwrap();
    let error = push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("reference missing rows"), "{error}");
    assert_eq!(live(&db).await, before);
    assert!(pushes(&db).await.is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM person").await, 3);
}

#[tokio::test]
async fn a_push_that_contradicts_applied_migrations_needs_force() {
    let db = common::empty_db().await;
    let migrations = vec![migration(1, "init", BASE)];
    migrate::migrate(&db, &migrations).await.unwrap();
    fill(&db.primary().conn().await.unwrap()).await;
    db.sync().await.unwrap();

    // Only additions: allowed without --force.
    let added = format!("{BASE}CREATE INDEX pet_name ON pet (name);\n");
    let prepared = push::prepare(&db, &added, &migrations, &GenerateOptions::default())
        .await
        .unwrap();
    assert!(
        prepared.contradicted.is_empty(),
        "{:?}",
        prepared.contradicted
    );
    assert_eq!(prepared.last_migration, Some((1, "init".to_string())));

    // Dropping an index and changing a column that the migration created: refused.
    let changed = BASE
        .replace("CREATE INDEX person_name ON person (name);\n", "")
        .replace("    city TEXT\n", "    city TEXT NOT NULL DEFAULT ''\n");
    let prepared = push::prepare(&db, &changed, &migrations, &GenerateOptions::default())
        .await
        .unwrap();
    assert_eq!(
        prepared.contradicted,
        vec![
            "changes column person.city".to_string(),
            "drops index person_name".to_string()
        ]
    );
    let before = live(&db).await;
    let refused = push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("contradicts the applied migrations"),
        "{refused}"
    );
    assert_eq!(live(&db).await, before);

    // With --force it goes through (the NULL city cannot be copied into NOT NULL: the
    // rebuild fails and rolls back; give Linus a city first).
    let conn = db.primary().conn().await.unwrap();
    conn.execute("UPDATE person SET city = 'Helsinki' WHERE id = 3", ())
        .await
        .unwrap();
    drop(conn);
    db.sync().await.unwrap();
    let prepared = push::prepare(&db, &changed, &migrations, &GenerateOptions::default())
        .await
        .unwrap();
    push::apply(
        &db,
        &prepared,
        PushOptions {
            force: true,
            ..PushOptions::default()
        },
    )
    .await
    .unwrap();
    assert_matches(&db, &changed).await;
    assert_eq!(count(&db, "SELECT count(*) FROM person").await, 3);
    assert_eq!(pushes(&db).await[0].last_migration, 1);
}

#[tokio::test]
async fn migrate_after_a_push_says_what_to_do_and_mark_applied_brings_it_back() {
    let db = common::empty_db().await;
    let first = vec![migration(1, "init", BASE)];
    migrate::migrate(&db, &first).await.unwrap();
    fill(&db.primary().conn().await.unwrap()).await;
    db.sync().await.unwrap();

    let schema = format!(
        "{BASE}CREATE TABLE visit (\n    id INTEGER PRIMARY KEY NOT NULL,\n    pet_id INTEGER NOT NULL REFERENCES pet(id)\n);\n"
    );
    let prepared = push::prepare(&db, &schema, &first, &GenerateOptions::default())
        .await
        .unwrap();
    push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();
    // Nothing pending: migrating changes nothing.
    assert!(migrate::migrate(&db, &first).await.unwrap().is_empty());

    // The developer generates the migration of what was pushed: its CREATE TABLE would fail
    // on "table visit already exists"; the runner says what to do instead.
    let generated = migrate::plan(
        &migrate::schema_of_migrations(&first).await.unwrap(),
        &migrate::schema_of_sql(&schema).await.unwrap(),
        &GenerateOptions::default(),
    )
    .await
    .unwrap();
    let mut second = first.clone();
    second.push(migration(2, "visits", &generated.to_sql()));
    let error = migrate::migrate(&db, &second)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("changed with `db push`"), "{error}");
    assert!(error.contains("--mark-applied"), "{error}");
    assert!(!error.contains('\n'), "{error}");
    assert_eq!(
        count(&db, "SELECT count(*) FROM __devhub_migrations").await,
        1
    );

    // A migration that does not produce what the database has: nothing marked.
    let mut wrong = first.clone();
    wrong.push(migration(
        2,
        "other",
        "CREATE TABLE other (id INTEGER PRIMARY KEY);",
    ));
    match push::mark_applied(&db, &wrong).await.unwrap() {
        MarkApplied::Differs(left) => {
            let text = left.join("; ");
            assert!(text.contains("table other"), "{text}");
            assert!(text.contains("table visit"), "{text}");
        }
        other => panic!("expected Differs, got {other:?}"),
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM __devhub_migrations").await,
        1
    );

    // The right one: recorded as applied without running, the push accounted for.
    match push::mark_applied(&db, &second).await.unwrap() {
        MarkApplied::Marked {
            migrations,
            pushes_resolved,
        } => {
            assert_eq!(migrations, vec![second[1].clone()]);
            assert_eq!(pushes_resolved, 1);
        }
        other => panic!("expected Marked, got {other:?}"),
    }
    let conn = db.conn().await.unwrap();
    assert!(push::unresolved_push(&conn).await.unwrap().is_none());
    drop(conn);
    assert!(migrate::migrate(&db, &second).await.unwrap().is_empty());
    assert_eq!(
        count(&db, "SELECT count(*) FROM __devhub_migrations").await,
        2
    );
    assert_eq!(count(&db, "SELECT count(*) FROM person").await, 3);

    // Later migrations run as usual.
    let mut third = second.clone();
    third.push(migration(
        3,
        "more",
        "CREATE INDEX visit_pet ON visit (pet_id);",
    ));
    assert_eq!(migrate::migrate(&db, &third).await.unwrap().len(), 1);
}

#[tokio::test]
async fn pushing_the_products_schema_to_an_empty_database_then_marking_it_applied() {
    let db = common::empty_db().await;
    let schema =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.sql")).unwrap();
    let embedded = migrate::embedded().unwrap();
    let prepared = push::prepare(&db, &schema, &embedded, &GenerateOptions::default())
        .await
        .unwrap();
    assert!(prepared.contradicted.is_empty());
    push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();
    // The app works on it: a user and a contact.
    let user = common::user(&db).await;
    db.contacts()
        .create(&user.id, &common::contact("Ada"))
        .await
        .unwrap();

    let error = migrate::migrate(&db, &embedded)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("db push"), "{error}");
    assert!(matches!(
        push::mark_applied(&db, &embedded).await.unwrap(),
        MarkApplied::Marked { ref migrations, pushes_resolved: 1 } if migrations.len() == embedded.len()
    ));
    assert!(migrate::migrate(&db, &embedded).await.unwrap().is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM contact").await, 1);
}

#[tokio::test]
async fn a_rebuild_remakes_the_triggers_that_read_a_view_over_the_rebuilt_table() {
    // The shape of `contact_fts_tag_insert`: a trigger on pet reads a view over person; when
    // person is rebuilt the view goes with it, and the rename of the new table fails unless
    // the trigger is dropped and made again too.
    let objects = "CREATE TABLE log (person_name TEXT);
CREATE VIEW person_doc AS SELECT id, name FROM person;
CREATE TRIGGER pet_logged AFTER INSERT ON pet BEGIN
    INSERT INTO log (person_name) SELECT d.name FROM person_doc d WHERE d.id = NEW.person_id;
END;
";
    let db = raw_db().await;
    let conn = db.primary().conn().await.unwrap();
    conn.execute_batch(objects).await.unwrap();
    drop(conn);
    db.sync().await.unwrap();
    let schema = BASE.replace("    city TEXT\n", "    city TEXT CHECK (city != '')\n") + objects;
    let prepared = push::prepare(&db, &schema, &[], &GenerateOptions::default())
        .await
        .unwrap();
    push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();
    assert_matches(&db, &schema).await;
    let conn = db.primary().conn().await.unwrap();
    conn.execute(
        "INSERT INTO pet (id, person_id, name) VALUES (5, 2, 'Bit')",
        (),
    )
    .await
    .unwrap();
    drop(conn);
    db.sync().await.unwrap();
    assert_eq!(
        count(&db, "SELECT count(*) FROM log WHERE person_name = 'Grace'").await,
        1
    );
}

#[tokio::test]
async fn the_push_record_is_not_part_of_the_schema_so_a_backup_of_a_pushed_database_verifies() {
    let db = common::empty_db().await;
    let schema =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.sql")).unwrap();
    let embedded = migrate::embedded().unwrap();
    let prepared = push::prepare(&db, &schema, &embedded, &GenerateOptions::default())
        .await
        .unwrap();
    push::apply(&db, &prepared, PushOptions::default())
        .await
        .unwrap();
    push::mark_applied(&db, &embedded).await.unwrap();
    let conn = db.conn().await.unwrap();
    let read = migrate::Schema::read(&conn).await.unwrap();
    assert!(read.table("__devhub_push").is_none());
    assert_eq!(pushes(&db).await.len(), 1);
    drop(conn);

    let file = db.dir.path().join("backup.db");
    devhub_db::backup::backup(&db, &file, false).await.unwrap();
    devhub_db::backup::verify(&file).await.unwrap();
}
