//! Drift: each kind of hand edit to a migrated database, made by raw SQL, is reported by name;
//! a freshly migrated database reports none. Runs in every mode (`DEVHUB_TEST_MODE`); on an
//! embedded replica the server's schema is what counts.
#![allow(clippy::unwrap_used)]

mod common;
use common::{test_db, TestDb};

use devhub_db::migrate::{self, Drift, DriftKind, DriftObject};

/// Runs raw SQL where every write goes: the server for a replica.
async fn exec(db: &TestDb, sql: &str) {
    let conn = db.primary().conn().await.unwrap();
    conn.execute_batch(sql).await.unwrap();
}

async fn drift(db: &TestDb) -> Vec<Drift> {
    migrate::drift(db, &migrate::embedded().unwrap())
        .await
        .unwrap()
}

fn lines(drift: &[Drift]) -> Vec<String> {
    drift.iter().map(|d| d.to_string()).collect()
}

/// Exactly one drift, of this kind, object and name; returns its line.
fn only(drift: &[Drift], kind: DriftKind, object: DriftObject, name: &str) -> String {
    assert_eq!(drift.len(), 1, "{:#?}", lines(drift));
    let d = &drift[0];
    assert_eq!((d.kind, d.object, d.name.as_str()), (kind, object, name));
    d.to_string()
}

#[tokio::test]
async fn a_freshly_migrated_database_has_no_drift() {
    let db = test_db().await;
    assert_eq!(lines(&drift(&db).await), Vec::<String>::new());
}

#[tokio::test]
async fn bookkeeping_tables_are_not_drift() {
    let db = test_db().await;
    exec(
        &db,
        "CREATE TABLE __devhub_push (id INTEGER PRIMARY KEY, at INTEGER);
         CREATE INDEX __devhub_push_at ON __devhub_push (at);",
    )
    .await;
    assert_eq!(lines(&drift(&db).await), Vec::<String>::new());
}

#[tokio::test]
async fn an_added_column_is_reported() {
    let db = test_db().await;
    exec(&db, "ALTER TABLE contact ADD COLUMN nickname TEXT").await;
    let d = drift(&db).await;
    let line = only(
        &d,
        DriftKind::Extra,
        DriftObject::Column,
        "contact.nickname",
    );
    assert_eq!(
        line,
        "column contact.nickname exists in the database but not in the migrations"
    );
    assert!(!d[0].breaks_the_app());
}

#[tokio::test]
async fn a_dropped_column_is_reported_and_breaks_the_app() {
    let db = test_db().await;
    exec(
        &db,
        "ALTER TABLE user_settings DROP COLUMN calendar_token_created_at",
    )
    .await;
    let d = drift(&db).await;
    let line = only(
        &d,
        DriftKind::Missing,
        DriftObject::Column,
        "user_settings.calendar_token_created_at",
    );
    assert!(line.starts_with("column user_settings.calendar_token_created_at is missing"));
    assert!(d[0].breaks_the_app());
}

#[tokio::test]
async fn a_dropped_index_is_reported() {
    let db = test_db().await;
    exec(&db, "DROP INDEX contact_user_created_idx").await;
    let d = drift(&db).await;
    let line = only(
        &d,
        DriftKind::Missing,
        DriftObject::Index,
        "contact_user_created_idx",
    );
    assert!(line.starts_with("index contact_user_created_idx is missing"));
    assert!(!d[0].breaks_the_app());
}

#[tokio::test]
async fn an_extra_table_and_its_index_are_reported() {
    let db = test_db().await;
    exec(
        &db,
        "CREATE TABLE foo (id INTEGER PRIMARY KEY, x TEXT);
         CREATE INDEX foo_x_idx ON foo (x);",
    )
    .await;
    let d = drift(&db).await;
    assert_eq!(
        lines(&d),
        [
            "table foo exists in the database but not in the migrations (not created by a migration)",
            "index foo_x_idx exists in the database but not in the migrations",
        ]
    );
    assert!(d.iter().all(|d| !d.breaks_the_app()));
}

#[tokio::test]
async fn a_dropped_table_is_reported_and_breaks_the_app() {
    let db = test_db().await;
    exec(&db, "DROP TABLE job_lease").await;
    let d = drift(&db).await;
    only(&d, DriftKind::Missing, DriftObject::Table, "job_lease");
    assert!(d[0].breaks_the_app());
}

#[tokio::test]
async fn a_dropped_trigger_is_reported() {
    let db = test_db().await;
    exec(&db, "DROP TRIGGER interaction_owner_filled").await;
    let d = drift(&db).await;
    let line = only(
        &d,
        DriftKind::Missing,
        DriftObject::Trigger,
        "interaction_owner_filled",
    );
    assert!(line.starts_with("trigger interaction_owner_filled is missing"));
}

#[tokio::test]
async fn an_added_view_is_reported() {
    let db = test_db().await;
    exec(
        &db,
        "CREATE VIEW vip_contact AS SELECT id, name FROM contact WHERE vip = 1",
    )
    .await;
    let d = drift(&db).await;
    let line = only(&d, DriftKind::Extra, DriftObject::View, "vip_contact");
    assert_eq!(
        line,
        "view vip_contact exists in the database but not in the migrations"
    );
}

#[tokio::test]
async fn a_changed_trigger_is_reported() {
    let db = test_db().await;
    exec(
        &db,
        "DROP TRIGGER interaction_owner_filled;
         CREATE TRIGGER interaction_owner_filled AFTER INSERT ON interaction BEGIN SELECT 1; END;",
    )
    .await;
    let d = drift(&db).await;
    only(
        &d,
        DriftKind::Changed,
        DriftObject::Trigger,
        "interaction_owner_filled",
    );
}

#[tokio::test]
async fn a_default_changed_by_a_table_rebuild_is_reported_on_the_column() {
    let db = test_db().await;
    exec(
        &db,
        "CREATE TABLE __new_instance_setting (
             key TEXT PRIMARY KEY NOT NULL,
             value TEXT NOT NULL DEFAULT 'unset',
             created_at INTEGER NOT NULL DEFAULT (unixepoch()),
             updated_at INTEGER NOT NULL DEFAULT (unixepoch())
         );
         INSERT INTO __new_instance_setting SELECT key, value, created_at, updated_at FROM instance_setting;
         DROP TABLE instance_setting;
         ALTER TABLE __new_instance_setting RENAME TO instance_setting;",
    )
    .await;
    let d = drift(&db).await;
    let line = only(
        &d,
        DriftKind::Changed,
        DriftObject::Column,
        "instance_setting.value",
    );
    assert_eq!(
        line,
        "column instance_setting.value differs: default none in the migrations, 'unset' in the database"
    );
}

#[tokio::test]
async fn a_changed_type_and_null_ness_are_reported() {
    let db = test_db().await;
    exec(
        &db,
        "CREATE TABLE __new_instance_setting (
             key TEXT PRIMARY KEY NOT NULL,
             value BLOB,
             created_at INTEGER NOT NULL DEFAULT (unixepoch()),
             updated_at INTEGER NOT NULL DEFAULT (unixepoch())
         );
         DROP TABLE instance_setting;
         ALTER TABLE __new_instance_setting RENAME TO instance_setting;",
    )
    .await;
    let d = drift(&db).await;
    let line = only(
        &d,
        DriftKind::Changed,
        DriftObject::Column,
        "instance_setting.value",
    );
    assert_eq!(
        line,
        "column instance_setting.value differs: type TEXT in the migrations, BLOB in the database; \
         NOT NULL in the migrations, nullable in the database"
    );
}

#[tokio::test]
async fn several_hand_edits_are_all_listed() {
    let db = test_db().await;
    exec(
        &db,
        "ALTER TABLE contact ADD COLUMN nickname TEXT;
         DROP INDEX contact_user_created_idx;
         CREATE TABLE foo (x);
         CREATE VIEW v AS SELECT 1;",
    )
    .await;
    let d = drift(&db).await;
    let names: Vec<_> = d.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["contact.nickname", "foo", "contact_user_created_idx", "v"]
    );
}

#[tokio::test]
async fn a_database_with_pending_migrations_is_compared_with_the_applied_ones() {
    let db = common::empty_db().await;
    let embedded = migrate::embedded().unwrap();
    migrate::migrate(&db, &embedded[..3]).await.unwrap();
    assert_eq!(lines(&drift(&db).await), Vec::<String>::new());
}
