//! The one write path: units of work that compose repository calls, restores that refuse
//! what no form accepts, and rows written by other tools that are read, not refused.
#![allow(clippy::unwrap_used)]

mod common;

use common::{contact, test_db, user};

/// How many rows `table` holds.
async fn rows(db: &devhub_db::Db, table: &str) -> i64 {
    common::count(db, &format!("SELECT count(*) FROM {table}")).await
}
use devhub_db::transfer::backup;
use devhub_db::transfer::export::{export_contacts, ContactFormat};
use devhub_db::{Error, FollowUpInput, FollowUpPlan, InteractionInput};
use serde_json::{json, Value};

#[tokio::test]
async fn repository_calls_inside_one_unit_of_work_commit_together() {
    let db = test_db().await;
    let u = user(&db).await;
    let (ada, note) = db
        .write(async |tx| {
            let ada = tx.contacts().create(&u.id, &contact("Ada")).await?;
            let call = InteractionInput {
                type_: "call".into(),
                date: "2024-05-01".into(),
                notes: Some("Compilers".into()),
            }
            .parse()?;
            tx.interactions().create(&u.id, &ada.id, &call).await?;
            let next = FollowUpInput {
                due_date: "2024-06-01".into(),
                note: Some("Send the paper".into()),
            }
            .parse()?;
            let note = tx.follow_ups().create(&u.id, &ada.id, &next).await?;
            Ok((ada, note))
        })
        .await
        .unwrap();
    let stored = db.contacts().get(&u.id, &ada.id).await.unwrap();
    assert!(stored.last_contacted.is_some());
    assert_eq!(db.follow_ups().get(&u.id, &note.id).await.unwrap(), note);
}

#[tokio::test]
async fn an_error_inside_a_unit_of_work_undoes_every_write_before_it() {
    let db = test_db().await;
    let u = user(&db).await;
    let other = user(&db).await;
    let foreign = db
        .contacts()
        .create(&other.id, &contact("Theirs"))
        .await
        .unwrap();
    let result = db
        .write(async |tx| {
            tx.contacts().create(&u.id, &contact("Ada")).await?;
            tx.contacts().create(&u.id, &contact("Grace")).await?;
            // Another user's contact: NotFound, and the two contacts above must go too.
            tx.contacts().get(&u.id, &foreign.id).await
        })
        .await;
    assert!(matches!(result, Err(Error::NotFound)), "{result:?}");
    assert_eq!(
        rows(&db, "contact").await,
        1,
        "only the other user's contact"
    );
    // The pool still works after the rollback.
    db.contacts().create(&u.id, &contact("Ada")).await.unwrap();
    assert_eq!(rows(&db, "contact").await, 2);
}

#[tokio::test]
async fn a_panic_inside_a_unit_of_work_undoes_its_writes_and_the_pool_goes_on() {
    let db = test_db().await;
    let u = user(&db).await;
    let task = tokio::spawn({
        let db = db.db.clone();
        let id = u.id.clone();
        async move {
            db.write(async |tx| {
                tx.contacts().create(&id, &contact("Ada")).await?;
                panic!("a bug in the middle of a unit of work");
                #[allow(unreachable_code)]
                Ok(())
            })
            .await
        }
    });
    assert!(task.await.unwrap_err().is_panic());
    assert_eq!(rows(&db, "contact").await, 0);
    // The write lock was released: the next writer does not wait out the busy timeout.
    let started = std::time::Instant::now();
    db.contacts()
        .create(&u.id, &contact("Grace"))
        .await
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(rows(&db, "contact").await, 1);
}

#[tokio::test]
async fn logging_an_interaction_with_an_empty_plan_is_what_the_api_and_cli_do() {
    let db = test_db().await;
    let u = user(&db).await;
    let ada = db.contacts().create(&u.id, &contact("Ada")).await.unwrap();
    let call = InteractionInput {
        type_: "call".into(),
        date: "2024-05-01".into(),
        notes: None,
    }
    .parse()
    .unwrap();
    let logged = db
        .interactions()
        .log(&u.id, &ada.id, &call, &FollowUpPlan::default())
        .await
        .unwrap();
    assert_eq!(logged.completed, 0);
    assert!(logged.scheduled.is_none());
    let stored = db.contacts().get(&u.id, &ada.id).await.unwrap();
    assert_eq!(stored.last_contacted, Some(logged.interaction.date));
}

/// A valid backup with one contact, for the refusal cases to spoil.
fn backup_with(contact: Value, tags: Value) -> String {
    let mut c = json!({
        "id": "c1", "name": "Ada Lovelace", "relationship": null, "birthday": null,
        "industry": null, "location": null, "vip": false,
        "last_update": "2024-01-01T00:00:00Z", "last_contacted": null, "status": "active",
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        "cadence": null, "background": null, "contact_info": null,
        "tags": [], "interactions": [], "follow_ups": []
    });
    for (k, v) in contact.as_object().unwrap() {
        c[k] = v.clone();
    }
    json!({
        "format": "devhub-backup", "version": 1, "exported_at": "2024-01-02T00:00:00Z",
        "settings": null, "tags": tags, "contacts": [c]
    })
    .to_string()
}

fn info(social_links: Value, email: Value, phone: Value) -> Value {
    json!({ "contact_info": {
        "id": "i1", "main_app": null, "email": email, "phone_number": phone,
        "social_links": social_links,
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"
    }})
}

#[tokio::test]
async fn a_restore_refuses_every_value_no_form_accepts_and_writes_nothing() {
    let many: Vec<String> = (0..100).map(|i| format!("https://x.org/{i}")).collect();
    let tag = |color: &str| {
        json!([{ "id": "t1", "name": "rust", "color": color,
                 "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z" }])
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "links as a string",
            backup_with(info(json!("\"x\""), json!(null), json!(null)), json!([])),
            "social_links",
        ),
        (
            "links as an object",
            backup_with(
                info(json!("{\"a\": 1}"), json!(null), json!(null)),
                json!([]),
            ),
            "social_links",
        ),
        (
            "links of non-strings",
            backup_with(
                info(json!("[1, true]"), json!(null), json!(null)),
                json!([]),
            ),
            "social_links",
        ),
        (
            "100 links",
            backup_with(
                info(
                    json!(serde_json::to_string(&many).unwrap()),
                    json!(null),
                    json!(null),
                ),
                json!([]),
            ),
            "social_links",
        ),
        (
            "a bad e-mail",
            backup_with(
                info(json!(null), json!("not an email"), json!(null)),
                json!([]),
            ),
            "email",
        ),
        (
            "a script as phone",
            backup_with(info(json!(null), json!(null), json!("<script>")), json!([])),
            "phone_number",
        ),
        (
            "a 1 MB name",
            backup_with(json!({ "name": "x".repeat(1 << 20) }), json!([])),
            "name",
        ),
        (
            "an empty name",
            backup_with(json!({ "name": "" }), json!([])),
            "name",
        ),
        (
            "a NUL in the name",
            backup_with(json!({ "name": "Ada\u{0}" }), json!([])),
            "name",
        ),
        (
            "a javascript colour",
            backup_with(json!({}), tag("javascript:1")),
            "color",
        ),
        (
            "a birthday in year 0",
            backup_with(json!({ "birthday": "0000-05-01" }), json!([])),
            "birthday",
        ),
    ];
    let db = test_db().await;
    let u = user(&db).await;
    for (case, text, field) in cases {
        let parsed = backup::parse(&text);
        let Ok(b) = parsed else {
            panic!("{case}: the document itself should parse: {parsed:?}");
        };
        let err = backup::restore(&db, &u.id, &b).await.unwrap_err();
        let Error::Validation(errors) = &err else {
            panic!("{case}: expected a validation error, got {err:?}");
        };
        let message = errors.get("file").unwrap_or_default();
        assert!(
            message.contains(field),
            "{case}: the message names the field {field}: {message}"
        );
        assert!(
            message.contains("contacts[0]") || message.contains("tags[0]"),
            "{case}: the message names the record: {message}"
        );
        assert!(message.len() < 400, "{case}: the message stays short");
        for table in ["contact", "tag", "contact_info", "background"] {
            assert_eq!(rows(&db, table).await, 0, "{case}: {table} written");
        }
    }
    // The same document with good values restores.
    let good = backup::parse(&backup_with(
        info(
            json!("[\"https://github.com/ada\"]"),
            json!("ada@example.com"),
            json!("+44 20 7946 0958"),
        ),
        tag("#3b82f6"),
    ))
    .unwrap();
    let restored = backup::restore(&db, &u.id, &good).await.unwrap();
    assert_eq!((restored.contacts, restored.tags), (1, 1));
}

/// Writes values no form accepts straight into the database, as another client could.
async fn write_raw(db: &devhub_db::Db, sql: &str) {
    let conn = db.conn().await.unwrap();
    conn.execute(sql, ()).await.unwrap();
}

#[tokio::test]
async fn rows_another_tool_wrote_unreadably_are_shown_marked_not_refused() {
    let db = test_db().await;
    let u = user(&db).await;
    let ada = db.contacts().create(&u.id, &contact("Ada")).await.unwrap();
    let grace = db
        .contacts()
        .create(&u.id, &contact("Grace"))
        .await
        .unwrap();
    write_raw(
        &db,
        &format!(
            "UPDATE contact SET birthday = 'soon' WHERE id = '{}'",
            ada.id
        ),
    )
    .await;
    write_raw(
        &db,
        &format!(
            "INSERT INTO contact_info (id, contact_id, email, social_links) \
             VALUES ('ci-raw', '{}', 'ada@example.com', 'x')",
            ada.id
        ),
    )
    .await;

    // A photo whose bytes another tool wrote as text.
    write_raw(
        &db,
        &format!(
            "INSERT INTO contact_photo (contact_id, content_type, data) \
             VALUES ('{}', 'image/png', 'not bytes')",
            grace.id
        ),
    )
    .await;

    // One contact: read, with the unreadable field named.
    let stored = db.contacts().get(&u.id, &ada.id).await.unwrap();
    assert_eq!(stored.birthday, None);
    assert!(
        stored.unreadable.contains("birthday"),
        "{:?}",
        stored.unreadable
    );
    let info = db
        .contact_infos()
        .get(&u.id, &ada.id)
        .await
        .unwrap()
        .unwrap();
    assert!(info.social_links.is_empty());
    assert_eq!(info.email.as_deref(), Some("ada@example.com"));
    assert!(info.unreadable.contains("social_links"));
    // The readable contact carries no mark.
    let fine = db.contacts().get(&u.id, &grace.id).await.unwrap();
    assert!(fine.unreadable.is_empty());

    // The list shows both.
    let page = db
        .contacts()
        .list(&u.id, &devhub_db::ContactQuery::default())
        .await
        .unwrap();
    assert_eq!(page.contacts.len(), 2);

    // The exports are whole and say what they left out.
    let mut vcf = Vec::new();
    let n = export_contacts(&db, &u.id, None, ContactFormat::Vcard, &mut vcf)
        .await
        .unwrap();
    let vcf = String::from_utf8(vcf).unwrap();
    assert_eq!(n, 2);
    assert_eq!(vcf.matches("END:VCARD").count(), 2);
    assert!(
        vcf.contains("X-DEVHUB-UNREADABLE:contact.birthday\\,contact_info.social_links"),
        "{vcf}"
    );
    assert!(vcf.contains("EMAIL:ada@example.com"));
    assert!(
        vcf.contains("X-DEVHUB-UNREADABLE:contact_photo.data"),
        "{vcf}"
    );
    assert!(!vcf.contains("PHOTO:"), "{vcf}");
    let mut csv = Vec::new();
    export_contacts(&db, &u.id, None, ContactFormat::Csv, &mut csv)
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains("Grace") || l.contains("Ada"))
            .count(),
        2
    );
    assert!(csv.contains(
        "Unreadable stored values left out: contact.birthday, contact_info.social_links"
    ));
    let mut json = Vec::new();
    assert_eq!(backup::export(&db, &u.id, &mut json).await.unwrap(), 2);
    let b = backup::parse(std::str::from_utf8(&json).unwrap()).unwrap();
    assert_eq!(b.contacts.len(), 2);
}

/// A migration that rebuilds a table others reference (SQLite's way of changing a column)
/// must not cascade into them: foreign keys are off for the migration, in every mode. On a
/// server the client closes its stream after each statement outside a transaction, so a
/// `PRAGMA foreign_keys = OFF` sent on its own would not reach the migration's stream.
#[tokio::test]
async fn a_migration_that_rebuilds_a_parent_table_keeps_its_children_in_every_mode() {
    let db = test_db().await;
    let u = user(&db).await;
    db.contacts().create(&u.id, &contact("Ada")).await.unwrap();
    let mut migrations = devhub_db::migrate::embedded().unwrap();
    let next = migrations.last().unwrap().id + 1;
    migrations.push(
        devhub_db::migrate::Migration::new(
            &format!("{next:04}_rebuild_user.sql"),
            "CREATE TABLE \"__new_user\" (id TEXT PRIMARY KEY NOT NULL, \
               username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, \
               created_at INTEGER NOT NULL DEFAULT (unixepoch()), \
               updated_at INTEGER NOT NULL DEFAULT (unixepoch()));\n\
             INSERT INTO \"__new_user\" SELECT id, username, password_hash, created_at, updated_at FROM \"user\";\n\
             DROP TABLE \"user\";\n\
             ALTER TABLE \"__new_user\" RENAME TO \"user\";\n",
        )
        .unwrap(),
    );
    let applied = devhub_db::migrate::migrate(&db, &migrations).await.unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(rows(&db, "user").await, 1);
    assert_eq!(
        rows(&db, "contact").await,
        1,
        "the rebuild cascaded into contacts"
    );
}

#[tokio::test]
async fn a_job_lease_goes_to_one_instance_per_period_and_its_holder_renews_it() {
    let db = test_db().await;
    let now = chrono::Utc::now();
    let hour = chrono::Duration::hours(1);
    let leases = db.job_leases();
    // Two instances ask at once: one gets it.
    let (a, b) = tokio::join!(
        leases.take("sweep", "a", now, now + hour),
        leases.take("sweep", "b", now, now + hour)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a ^ b, "exactly one of them: a={a} b={b}");
    let (winner, other) = if a { ("a", "b") } else { ("b", "a") };
    let later = now + chrono::Duration::minutes(59);
    assert!(!leases
        .take("sweep", other, later, later + hour)
        .await
        .unwrap());
    // The holder renews it at its next tick; the other waits for it to run out.
    let next = now + hour;
    assert!(leases
        .take("sweep", winner, next, next + hour)
        .await
        .unwrap());
    assert!(!leases
        .take("sweep", other, next, next + hour)
        .await
        .unwrap());
    let lapsed = next + hour;
    assert!(leases
        .take("sweep", other, lapsed, lapsed + hour)
        .await
        .unwrap());
    // Other jobs have their own leases.
    assert!(leases
        .take("other-job", other, now, now + hour)
        .await
        .unwrap());
}
