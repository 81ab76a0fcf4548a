//! `devhub db adopt`: a database of the original app (Drizzle) brought to devhub's schema in
//! place, in every mode (a file, a libSQL server, an embedded replica).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/drizzle.rs"]
mod drizzle;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::{count, TestDb};
use devhub_db::migrate::adopt::{self, AdoptOptions, Adoption, Origin};
use devhub_db::migrate::{self, MigrationState, Schema};
use devhub_db::{ContactId, ContactQuery, Db, Error, UserId};

/// A fresh database (of the mode under test) holding the original app's database.
async fn original() -> TestDb {
    let db = common::empty_db().await;
    drizzle::load(&db).await;
    db
}

/// Rows of each original table.
async fn table_counts(db: &Db) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for t in [
        "user",
        "session",
        "contact",
        "interaction",
        "background",
        "contact_info",
    ] {
        out.insert(t, count(db, &format!("SELECT count(*) FROM {t}")).await);
    }
    out
}

/// Per username (lowercased): contacts, interactions, backgrounds, contact infos, VIPs.
async fn user_counts(db: &Db) -> BTreeMap<String, (i64, i64, i64, i64, i64)> {
    let conn = db.conn().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT lower(u.username), \
                (SELECT count(*) FROM contact c WHERE c.user_id = u.id), \
                (SELECT count(*) FROM interaction i JOIN contact c ON c.id = i.contact_id \
                    WHERE c.user_id = u.id), \
                (SELECT count(*) FROM background b JOIN contact c ON c.id = b.contact_id \
                    WHERE c.user_id = u.id), \
                (SELECT count(*) FROM contact_info x JOIN contact c ON c.id = x.contact_id \
                    WHERE c.user_id = u.id), \
                (SELECT count(*) FROM contact c WHERE c.user_id = u.id AND c.vip = 1) \
             FROM user u",
            (),
        )
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    while let Some(row) = rows.next().await.unwrap() {
        out.insert(
            row.get::<String>(0).unwrap(),
            (
                row.get(1).unwrap(),
                row.get(2).unwrap(),
                row.get(3).unwrap(),
                row.get(4).unwrap(),
                row.get(5).unwrap(),
            ),
        );
    }
    out
}

async fn origin(db: &Db) -> Origin {
    adopt::origin(&db.conn().await.unwrap()).await.unwrap()
}

async fn one_string(db: &Db, sql: &str) -> Option<String> {
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query(sql, ()).await.unwrap();
    rows.next().await.unwrap().map(|r| r.get(0).unwrap())
}

async fn adopt(db: &Db) -> devhub_db::Result<Adoption> {
    adopt::adopt(db, &migrate::embedded().unwrap(), &AdoptOptions::default()).await
}

#[tokio::test]
async fn migrate_refuses_the_original_apps_database_and_points_to_adopt() {
    let db = original().await;
    assert_eq!(origin(&db).await, Origin::Drizzle);
    let before = table_counts(&db).await;

    let err = migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("devhub db adopt"), "{message}");
    assert!(!message.contains('\n'), "{message}");
    assert_eq!(table_counts(&db).await, before);
    assert_eq!(origin(&db).await, Origin::Drizzle);
}

#[tokio::test]
async fn adopting_keeps_every_row_of_every_user_and_gives_devhubs_schema() {
    let db = original().await;
    let tables_before = table_counts(&db).await;
    let users_before = user_counts(&db).await;
    assert!(tables_before["contact"] > 0 && tables_before["interaction"] > 0);
    assert!(tables_before["background"] > 0 && tables_before["contact_info"] > 0);

    let Adoption::Adopted(report) = adopt(&db).await.unwrap() else {
        panic!("not adopted")
    };

    assert!(!report.dry_run);
    assert_eq!(table_counts(&db).await, tables_before, "rows per table");
    assert_eq!(user_counts(&db).await, users_before, "rows per user");
    for (table, n) in &report.rows {
        assert_eq!(tables_before[table.as_str()], *n, "{table}");
    }
    // Interactions carry their owner, filled by devhub's trigger.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM interaction WHERE user_id IS NULL"
        )
        .await,
        0
    );
    // The contact counts and the search index were kept by the triggers.
    assert_eq!(
        count(&db, "SELECT coalesce(sum(total), 0) FROM contact_count").await,
        tables_before["contact"]
    );

    // Every migration is applied and the schema is exactly devhub's.
    let embedded = migrate::embedded().unwrap();
    let status = migrate::status(&db, &embedded).await.unwrap();
    assert_eq!(status.len(), embedded.len());
    assert!(status
        .iter()
        .all(|s| matches!(s.state, MigrationState::Applied(_))));
    let mut live = Schema::read(&db.primary().conn().await.unwrap())
        .await
        .unwrap();
    live.tables.retain(|t| t.name != adopt::ADOPTED_TABLE);
    let desired = migrate::schema_of_migrations(&embedded).await.unwrap();
    assert_eq!(migrate::differences(&live, &desired), Vec::<String>::new());
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE '\\_\\_adopt\\_%' ESCAPE '\\' \
             OR name = '__drizzle_migrations'"
        )
        .await,
        0
    );
    // Drizzle's journal is kept as the record of the adoption.
    assert_eq!(
        count(&db, "SELECT count(*) FROM __devhub_adopted_drizzle").await,
        1
    );
    assert_eq!(origin(&db).await, Origin::Devhub { adopted: true });

    // A second run, and `db migrate`, change nothing.
    let tables = table_counts(&db).await;
    assert!(matches!(
        adopt(&db).await.unwrap(),
        Adoption::AlreadyDevhub { adopted: true }
    ));
    assert!(migrate::migrate(&db, &embedded).await.unwrap().is_empty());
    assert_eq!(table_counts(&db).await, tables);
}

#[tokio::test]
async fn adopted_rows_read_through_devhubs_repositories() {
    let db = original().await;
    // From the source: a contact whose links are an object, one born before 1970, the VIPs.
    let linked = one_string(
        &db,
        "SELECT contact_id FROM contact_info WHERE json_type(social_links) = 'object' \
         ORDER BY (SELECT count(*) FROM json_each(social_links)) DESC LIMIT 1",
    )
    .await
    .expect("a contact with social links");
    let object = one_string(
        &db,
        &format!("SELECT social_links FROM contact_info WHERE contact_id = '{linked}'"),
    )
    .await
    .unwrap();
    let old = one_string(
        &db,
        "SELECT id FROM contact WHERE birthday < 0 ORDER BY birthday LIMIT 1",
    )
    .await
    .expect("a birthday before 1970");
    let old_birthday = count(
        &db,
        &format!("SELECT birthday FROM contact WHERE id = '{old}'"),
    )
    .await;
    let vips = count(&db, "SELECT count(*) FROM contact WHERE vip = 1").await;

    adopt(&db).await.unwrap();

    let owner = |id: &str| format!("SELECT user_id FROM contact WHERE id = '{id}'");
    let user = UserId::from(one_string(&db, &owner(&linked)).await.unwrap());
    let details = db
        .contact_details()
        .get(&user, &ContactId::from(linked.clone()))
        .await
        .unwrap();
    let links = details.social_links().to_vec();
    let values: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&object).unwrap();
    assert_eq!(links.len(), values.len(), "{links:?} from {object}");
    for (key, value) in &values {
        let value = value.as_str().unwrap();
        let shown = match devhub_db::validate::web_address(value) {
            Ok(url) => url,
            Err(_) => format!("{key}: {value}"),
        };
        assert!(links.contains(&shown), "{shown} in {links:?}");
    }
    // The stored column is devhub's format, a JSON array of strings.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contact_info WHERE social_links IS NOT NULL \
             AND json_type(social_links) != 'array'"
        )
        .await,
        0
    );

    let user = UserId::from(one_string(&db, &owner(&old)).await.unwrap());
    let contact = db
        .contacts()
        .get(&user, &ContactId::from(old.clone()))
        .await
        .unwrap();
    let expected = chrono::DateTime::from_timestamp(old_birthday + 43_200, 0)
        .unwrap()
        .date_naive();
    assert_eq!(contact.birthday, Some(expected));
    assert!(expected < NaiveDate::from_ymd_opt(1970, 1, 1).unwrap());
    assert!(contact.unreadable.is_empty(), "{:?}", contact.unreadable);

    assert_eq!(
        count(&db, "SELECT count(*) FROM contact WHERE vip = 1").await,
        vips
    );
    let page = db
        .contacts()
        .list(
            &user,
            &ContactQuery {
                filter: devhub_db::ContactFilter::Vip,
                per_page: 100,
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(page.contacts.iter().all(|c| c.vip));
    // The search index covers the adopted contacts.
    let page = db
        .contacts()
        .list(
            &user,
            &ContactQuery {
                search: Some(contact.name.clone()),
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(page.contacts.iter().any(|c| c.id == contact.id));
}

#[tokio::test]
async fn accounts_with_foreign_hashes_are_kept_flagged_and_the_oldest_is_admin() {
    let db = original().await;
    let names: Vec<String> = {
        let conn = db.conn().await.unwrap();
        let mut rows = conn
            .query(
                "SELECT lower(trim(username)) FROM user ORDER BY created_at, rowid",
                (),
            )
            .await
            .unwrap();
        let mut out = Vec::new();
        while let Some(r) = rows.next().await.unwrap() {
            out.push(r.get(0).unwrap());
        }
        out
    };

    let Adoption::Adopted(report) = adopt(&db).await.unwrap() else {
        panic!("not adopted")
    };

    let adopted: Vec<&str> = report.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(adopted, names);
    let needing: Vec<&str> = report
        .needing_reset()
        .map(|u| u.username.as_str())
        .collect();
    assert_eq!(needing, names, "every scrypt$ hash is flagged");
    assert!(report.users[0].admin);
    assert!(report.users[1..].iter().all(|u| !u.admin));
    for name in &names {
        let user = db.users().find_by_username(name).await.unwrap().unwrap();
        assert!(!devhub_db::password::is_supported_hash(&user.password_hash));
        assert!(
            !devhub_db::password::verify_password("anything".into(), user.password_hash)
                .await
                .unwrap()
        );
    }
    let admin = db
        .users()
        .find_by_username(&names[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, devhub_db::Role::Admin);
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_changes_nothing() {
    let db = original().await;
    let before = table_counts(&db).await;

    let Adoption::Adopted(report) = adopt::adopt(
        &db,
        &migrate::embedded().unwrap(),
        &AdoptOptions { dry_run: true },
    )
    .await
    .unwrap() else {
        panic!("not adopted")
    };

    assert!(report.dry_run);
    assert_eq!(report.migrations.len(), migrate::embedded().unwrap().len());
    assert_eq!(origin(&db).await, Origin::Drizzle);
    assert_eq!(table_counts(&db).await, before);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE '%adopt%'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn rows_referencing_missing_parents_are_named_and_nothing_changes() {
    let db = original().await;
    {
        let conn = db.conn().await.unwrap();
        // Drizzle's foreign keys were `no action`, and a client may have had them off.
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF; BEGIN; \
             INSERT INTO interaction (id, contact_id, type, date) \
                 VALUES ('orphan-1', 'no-such-contact', 'call', 0); \
             COMMIT; PRAGMA foreign_keys = ON;",
        )
        .await
        .unwrap();
    }
    let before = table_counts(&db).await;

    let err = adopt(&db).await.unwrap_err().to_string();

    assert!(err.contains("orphan-1"), "{err}");
    assert!(
        err.contains("interactions belong to a contact that does not exist"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(origin(&db).await, Origin::Drizzle);
    assert_eq!(table_counts(&db).await, before);
}

#[tokio::test]
async fn a_value_outside_devhubs_closed_sets_is_named_and_nothing_changes() {
    let db = original().await;
    {
        let conn = db.conn().await.unwrap();
        conn.execute(
            "UPDATE interaction SET type = 'coffee' WHERE id = (SELECT min(id) FROM interaction)",
            (),
        )
        .await
        .unwrap();
    }
    let before = table_counts(&db).await;

    let err = adopt(&db).await.unwrap_err().to_string();

    assert!(err.contains("type other than meeting"), "{err}");
    assert_eq!(origin(&db).await, Origin::Drizzle);
    assert_eq!(table_counts(&db).await, before);
}

#[tokio::test]
async fn a_failure_midway_rolls_everything_back() {
    let db = original().await;
    let before = table_counts(&db).await;
    let schema_before = Schema::read(&db.conn().await.unwrap()).await.unwrap();
    // A last migration that runs on devhub's empty tables but refuses the original rows: the
    // copy fails after the tables were renamed and every migration applied.
    let mut migrations = migrate::embedded().unwrap();
    migrations.push(
        migrate::Migration::new(
            &format!("{:04}_one_interaction_each.sql", migrations.len() + 1),
            "CREATE UNIQUE INDEX interaction_one_per_contact ON interaction (contact_id);",
        )
        .unwrap(),
    );

    let err = adopt::adopt(&db, &migrations, &AdoptOptions::default())
        .await
        .unwrap_err()
        .to_string();

    assert!(
        err.contains("copying the rows of interaction failed"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(origin(&db).await, Origin::Drizzle);
    assert_eq!(table_counts(&db).await, before);
    let schema_after = Schema::read(&db.conn().await.unwrap()).await.unwrap();
    assert_eq!(
        migrate::differences(&schema_after, &schema_before),
        Vec::<String>::new()
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM sqlite_schema WHERE name = '__devhub_migrations'"
        )
        .await,
        0
    );
}

#[test]
fn social_links_of_the_original_app_become_devhubs_list() {
    use adopt::convert_social_links as convert;
    assert_eq!(
        convert(r#"{"linkedin": "https://linkedin.com/in/a", "github": "github.com/a"}"#)
            .as_deref(),
        Some(r#"["https://linkedin.com/in/a","https://github.com/a"]"#)
    );
    assert_eq!(
        convert(r#"{"mastodon": "@a@hachyderm.io", "x": ""}"#).as_deref(),
        Some(r#"["mastodon: @a@hachyderm.io"]"#)
    );
    // devhub's own format stays as it is.
    assert_eq!(convert(r#"["https://a.dev"]"#), None);
    assert_eq!(
        convert("https://a.dev").as_deref(),
        Some(r#"["https://a.dev"]"#)
    );
    assert_eq!(convert("{}").as_deref(), Some("[]"));
}
