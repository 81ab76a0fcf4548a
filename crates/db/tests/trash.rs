//! Undo: snapshots of deleted contacts restore every row exactly (all columns, every table
//! that references the contact), the undo of archive/VIP/follow-up changes sets back exactly
//! the rows that changed, double restores and undos change nothing, the purge forgets what is
//! older than its window, and nothing of it reaches another user. Runs in every mode
//! (`DEVHUB_TEST_MODE=local|remote|replica`).
#![allow(clippy::unwrap_used)]

mod common;

use devhub_db::repo::trash::{SNAPSHOT_DAYS, UNDO_LIFETIME_SECS};
use devhub_db::row::now;
use devhub_db::*;
use libsql::{params, Value};

use common::{contact, test_db, user};

async fn exec(db: &Db, sql: &str, params: impl libsql::params::IntoParams) {
    let conn = db.primary().conn().await.unwrap();
    conn.execute(sql, params).await.unwrap();
}

/// A schema change as a later migration would make it: through the database's own connection
/// (on an embedded replica, its write path), so that its next writes see the new schema.
async fn ddl(db: &Db, sql: &str) {
    db.conn().await.unwrap().execute(sql, ()).await.unwrap();
    db.sync().await.unwrap();
}

/// Every row of `sql` (one text parameter), every column, in order.
async fn rows(db: &Db, sql: &str, param: &str) -> Vec<Vec<Value>> {
    let conn = db.primary().conn().await.unwrap();
    let mut rows = conn.query(sql, [param]).await.unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.unwrap() {
        let n = row.column_count();
        out.push((0..n).map(|i| row.get_value(i).unwrap()).collect());
    }
    out
}

/// Everything stored about contact `id`: its row and the rows of each table that references
/// it, and its tags, all columns.
async fn everything(db: &Db, id: &str) -> Vec<(&'static str, Vec<Vec<Value>>)> {
    let mut out = Vec::new();
    for (name, sql) in [
        ("contact", "SELECT * FROM contact WHERE id = ?1"),
        (
            "interaction",
            "SELECT * FROM interaction WHERE contact_id = ?1 ORDER BY id",
        ),
        (
            "background",
            "SELECT * FROM background WHERE contact_id = ?1",
        ),
        (
            "contact_info",
            "SELECT * FROM contact_info WHERE contact_id = ?1",
        ),
        (
            "follow_up",
            "SELECT * FROM follow_up WHERE contact_id = ?1 ORDER BY id",
        ),
        (
            "contact_cadence",
            "SELECT * FROM contact_cadence WHERE contact_id = ?1",
        ),
        (
            "contact_tag",
            "SELECT * FROM contact_tag WHERE contact_id = ?1 ORDER BY tag_id",
        ),
        (
            "tag",
            "SELECT t.* FROM tag t JOIN contact_tag ct ON ct.tag_id = t.id \
             WHERE ct.contact_id = ?1 ORDER BY t.id",
        ),
    ] {
        out.push((name, rows(db, sql, id).await));
    }
    out
}

/// A contact with a row in every table that references contacts, and odd values (NULLs, a
/// real, old timestamps) that a hand-written copy would get wrong.
async fn full_contact(db: &Db, user: &User, name: &str) -> ContactId {
    let c = db
        .contacts()
        .create(&user.id, &contact(name))
        .await
        .unwrap();
    let id = c.id.as_str();
    let u = user.id.as_str();
    exec(
        db,
        "UPDATE contact SET relationship = 'friend', industry = 'Robotics', location = NULL, \
         birthday = 0, vip = 1, last_contacted = 1700000000, last_update = 1600000000, \
         created_at = 1500000000, updated_at = 1600000001 WHERE id = ?1",
        [id],
    )
    .await;
    for (iid, kind, date, notes) in [
        (
            "i1",
            "call",
            1_700_000_000_i64,
            Some("talked about Cyberdyne"),
        ),
        ("i2", "meeting", 1_690_000_000, None),
    ] {
        exec(
            db,
            "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at, \
             user_id) VALUES (?1 || ?2, ?2, ?3, ?4, ?5, 1500000100, 1500000200, ?6)",
            params![iid, id, kind, date, notes, u],
        )
        .await;
    }
    exec(
        db,
        "INSERT INTO background (id, contact_id, family, company, likes_dislikes, misc_notes, \
         created_at, updated_at) VALUES ('b' || ?1, ?1, 'two kids', 'Cyberdyne', NULL, 'x', 11, 12)",
        [id],
    )
    .await;
    exec(
        db,
        "INSERT INTO contact_info (id, contact_id, main_app, email, phone_number, social_links, \
         created_at, updated_at) VALUES ('ci' || ?1, ?1, 'Signal', 'ada@example.com', NULL, \
         '[\"https://github.com/ada\"]', 13, 14)",
        [id],
    )
    .await;
    exec(
        db,
        "INSERT INTO follow_up (id, user_id, contact_id, due_date, note, completed, completed_at, \
         created_at, updated_at) VALUES ('f1' || ?1, ?2, ?1, 1800000000, 'ping', 0, NULL, 15, 16), \
         ('f2' || ?1, ?2, ?1, 1700000000, NULL, 1, 1700000500, 17, 18)",
        params![id, u],
    )
    .await;
    exec(
        db,
        "INSERT INTO contact_cadence (contact_id, days, created_at, updated_at) \
         VALUES (?1, 45, 19, 20)",
        [id],
    )
    .await;
    for (tag, color) in [("rust", Some("#ff0000")), ("speaker", None)] {
        exec(
            db,
            "INSERT INTO tag (id, user_id, name, color, created_at, updated_at) \
             VALUES (?1 || ?2, ?2, ?1, ?3, 21, 22) ON CONFLICT DO NOTHING",
            params![tag, u, color],
        )
        .await;
        exec(
            db,
            "INSERT INTO contact_tag (contact_id, tag_id, created_at, updated_at) \
             VALUES (?1, ?2 || ?3, 23, 24)",
            params![id, tag, u],
        )
        .await;
    }
    db.sync().await.unwrap();
    c.id
}

fn search(text: &str) -> ContactQuery {
    ContactQuery {
        search: Some(text.into()),
        ..ContactQuery::default()
    }
}

async fn found(db: &Db, user: &User, text: &str) -> Vec<String> {
    db.contacts()
        .list(&user.id, &search(text))
        .await
        .unwrap()
        .contacts
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[tokio::test]
async fn a_deleted_contact_comes_back_exactly_with_everything_it_had() {
    let db = test_db().await;
    let ada = user(&db).await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    let other = db
        .contacts()
        .create(&ada.id, &contact("Grace Hopper"))
        .await
        .unwrap();
    let before = everything(&db, id.as_str()).await;
    assert!(before.iter().all(|(_, rows)| !rows.is_empty()));
    let counts_before = db.contacts().counts(&ada.id).await.unwrap();

    let deleted = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&id), "/contacts")
        .await
        .unwrap();
    assert_eq!(deleted.contacts.len(), 1);
    assert_eq!(deleted.contacts[0].name, "Ada Lovelace");
    assert_eq!(deleted.contacts[0].interactions, 2);
    // Gone, with everything of it, from the pages and the search.
    for (table, rows) in everything(&db, id.as_str()).await {
        if table != "tag" {
            assert!(rows.is_empty(), "{table} kept rows");
        }
    }
    assert!(found(&db, &ada, "Cyberdyne").await.is_empty());
    assert_eq!(db.contacts().counts(&ada.id).await.unwrap().total, 1);
    let listed = db.trash().list(&ada.id).await.unwrap();
    assert_eq!(listed, deleted.contacts);

    let restored = db
        .trash()
        .restore(&ada.id, &deleted.contacts[0].id)
        .await
        .unwrap();
    assert_eq!(
        restored,
        Restored::Restored {
            contact_id: id.clone(),
            name: "Ada Lovelace".into()
        }
    );
    assert_eq!(everything(&db, id.as_str()).await, before);
    assert_eq!(db.contacts().counts(&ada.id).await.unwrap(), counts_before);
    // Its kept count of interactions went with it and came back with its interactions.
    let (_, total) = db
        .interactions()
        .list_for_contact(&ada.id, &id, 20, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    let conn = db.conn().await.unwrap();
    let kept: i64 = conn
        .query(
            "SELECT total FROM interaction_count WHERE contact_id = ?1",
            [id.as_str()],
        )
        .await
        .unwrap()
        .next()
        .await
        .unwrap()
        .expect("the restored contact's count")
        .get(0)
        .unwrap();
    assert_eq!(kept, 2);
    // Found again by its name, its company, its e-mail, its tags and its notes.
    for text in ["Lovelace", "Cyberdyne", "ada@example", "speaker"] {
        assert_eq!(found(&db, &ada, text).await, ["Ada Lovelace"], "{text}");
    }
    let (notes, _) = db
        .interactions()
        .search(
            &ada.id,
            &InteractionQuery {
                search: Some("Cyberdyne".into()),
                ..InteractionQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert!(db.trash().list(&ada.id).await.unwrap().is_empty());
    // The other contact was never touched.
    assert!(db.contacts().get(&ada.id, &other.id).await.is_ok());
}

#[tokio::test]
async fn a_tag_deleted_meanwhile_comes_back_by_name_and_colour() {
    let db = test_db().await;
    let ada = user(&db).await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    let deleted = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&id), "/contacts")
        .await
        .unwrap();
    // One tag deleted, the other replaced by a new tag of the same name.
    let rust = format!("rust{}", ada.id);
    let speaker = format!("speaker{}", ada.id);
    exec(&db, "DELETE FROM tag WHERE id = ?1", [rust.as_str()]).await;
    exec(&db, "DELETE FROM tag WHERE id = ?1", [speaker.as_str()]).await;
    exec(
        &db,
        "INSERT INTO tag (id, user_id, name, color) VALUES ('new-speaker', ?1, 'Speaker', '#00ff00')",
        [ada.id.as_str()],
    )
    .await;
    db.trash()
        .restore(&ada.id, &deleted.contacts[0].id)
        .await
        .unwrap();
    let tags = rows(
        &db,
        "SELECT t.id, t.name, t.color FROM contact_tag ct JOIN tag t ON t.id = ct.tag_id \
         WHERE ct.contact_id = ?1 ORDER BY t.name",
        id.as_str(),
    )
    .await;
    assert_eq!(
        tags,
        vec![
            vec![
                Value::Text("new-speaker".into()),
                Value::Text("Speaker".into()),
                Value::Text("#00ff00".into())
            ],
            vec![
                Value::Text(rust.clone()),
                Value::Text("rust".into()),
                Value::Text("#ff0000".into())
            ],
        ]
    );
}

#[tokio::test]
async fn a_double_restore_answers_clearly_and_writes_nothing() {
    let db = test_db().await;
    let ada = user(&db).await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    let deleted = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&id), "/contacts/x")
        .await
        .unwrap();
    // The undo restores; the second undo and a restore from the list find nothing more to do.
    match db.trash().undo(&ada.id, &deleted.undo).await.unwrap() {
        UndoOutcome::Done {
            undone: Undone::Restored { restored, already },
            back,
        } => {
            assert_eq!(restored, vec![(id.clone(), "Ada Lovelace".to_string())]);
            assert!(already.is_empty());
            assert_eq!(back, "/contacts/x");
        }
        other => panic!("{other:?}"),
    }
    let after = everything(&db, id.as_str()).await;
    assert_eq!(
        db.trash().undo(&ada.id, &deleted.undo).await.unwrap(),
        UndoOutcome::AlreadyUndone
    );
    assert!(matches!(
        db.trash().restore(&ada.id, &deleted.contacts[0].id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(everything(&db, id.as_str()).await, after);

    // A contact with the snapshot's id exists (an import brought it back): nothing written.
    let again = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&id), "/contacts")
        .await
        .unwrap();
    exec(
        &db,
        "INSERT INTO contact (id, user_id, name) VALUES (?1, ?2, 'Ada (imported)')",
        params![id.as_str(), ada.id.as_str()],
    )
    .await;
    db.sync().await.unwrap();
    let restored = db
        .trash()
        .restore(&ada.id, &again.contacts[0].id)
        .await
        .unwrap();
    assert!(matches!(restored, Restored::AlreadyThere { .. }));
    assert_eq!(
        rows(
            &db,
            "SELECT count(*) FROM interaction WHERE contact_id = ?1",
            id.as_str()
        )
        .await,
        vec![vec![Value::Integer(0)]]
    );
    assert_eq!(db.contacts().counts(&ada.id).await.unwrap().total, 1);
    assert_eq!(db.trash().list(&ada.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_bulk_archive_undo_sets_back_only_the_contacts_that_changed() {
    let db = test_db().await;
    let ada = user(&db).await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        ids.push(
            db.contacts()
                .create(&ada.id, &contact(name))
                .await
                .unwrap()
                .id,
        );
    }
    db.contacts()
        .set_status(&ada.id, &ids[2], ContactStatus::Archived)
        .await
        .unwrap();
    let (touched, undo) = db
        .trash()
        .change_contacts(&ada.id, &ids, BulkAction::Archive, "/contacts")
        .await
        .unwrap();
    assert_eq!(touched, 3);
    let undo = undo.unwrap();
    assert_eq!(db.contacts().counts(&ada.id).await.unwrap().active, 0);
    match db.trash().undo(&ada.id, &undo).await.unwrap() {
        UndoOutcome::Done {
            undone: Undone::Contacts { action, count },
            ..
        } => assert_eq!((action.as_str(), count), ("archive", 2)),
        other => panic!("{other:?}"),
    }
    let status = |i: usize| {
        let db = &db;
        let (user, id) = (ada.id.clone(), ids[i].clone());
        async move { db.contacts().get(&user, &id).await.unwrap().status }
    };
    assert_eq!(status(0).await, ContactStatus::Active);
    assert_eq!(status(1).await, ContactStatus::Active);
    assert_eq!(status(2).await, ContactStatus::Archived);
    assert_eq!(db.contacts().counts(&ada.id).await.unwrap().active, 2);

    // VIP: only the one that was not a VIP loses it again; nothing to undo when nothing changed.
    db.contacts().set_vip(&ada.id, &ids[0], true).await.unwrap();
    let (_, undo) = db
        .trash()
        .change_contacts(&ada.id, &ids[..2], BulkAction::MarkVip, "/contacts")
        .await
        .unwrap();
    db.trash().undo(&ada.id, &undo.unwrap()).await.unwrap();
    assert!(db.contacts().get(&ada.id, &ids[0]).await.unwrap().vip);
    assert!(!db.contacts().get(&ada.id, &ids[1]).await.unwrap().vip);
    let (_, none) = db
        .trash()
        .change_contacts(&ada.id, &ids[..1], BulkAction::MarkVip, "/contacts")
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test]
async fn undoing_a_follow_up_done_reopens_it_as_it_was() {
    let db = test_db().await;
    let ada = user(&db).await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    let fid = FollowUpId::from(format!("f1{id}"));
    let before = rows(&db, "SELECT * FROM follow_up WHERE id = ?1", fid.as_str()).await;
    let undo = db
        .trash()
        .complete_follow_up(&ada.id, &fid, "/follow-ups")
        .await
        .unwrap()
        .unwrap();
    assert!(db.follow_ups().get(&ada.id, &fid).await.unwrap().completed);
    db.trash().undo(&ada.id, &undo).await.unwrap();
    let after = rows(&db, "SELECT * FROM follow_up WHERE id = ?1", fid.as_str()).await;
    // Everything but updated_at (the last column) is as it was.
    let n = before[0].len() - 1;
    assert_eq!(after[0][..n], before[0][..n]);
    // Completing one that was done already leaves nothing to undo.
    let done = FollowUpId::from(format!("f2{id}"));
    assert!(db
        .trash()
        .complete_follow_up(&ada.id, &done, "/follow-ups")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn an_undone_interaction_delete_puts_the_row_back() {
    let db = test_db().await;
    let ada = user(&db).await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    let iid = InteractionId::from(format!("i1{id}"));
    let before = rows(&db, "SELECT * FROM interaction WHERE id = ?1", iid.as_str()).await;
    let undo = db
        .trash()
        .delete_interaction(&ada.id, &iid, "/contacts")
        .await
        .unwrap();
    let last = |db: &Db| {
        let (user, id) = (ada.id.clone(), id.clone());
        let db = db.clone();
        async move { db.contacts().get(&user, &id).await.unwrap().last_contacted }
    };
    assert_ne!(last(&db).await.map(|t| t.timestamp()), Some(1_700_000_000));
    db.trash().undo(&ada.id, &undo).await.unwrap();
    assert_eq!(
        rows(&db, "SELECT * FROM interaction WHERE id = ?1", iid.as_str()).await,
        before
    );
    assert_eq!(last(&db).await.map(|t| t.timestamp()), Some(1_700_000_000));
}

#[tokio::test]
async fn expired_undos_and_old_snapshots_are_refused_and_purged() {
    let db = test_db().await;
    let ada = user(&db).await;
    let keep = db
        .contacts()
        .create(&ada.id, &contact("Keep"))
        .await
        .unwrap();
    let old = db
        .contacts()
        .create(&ada.id, &contact("Old"))
        .await
        .unwrap();
    let recent = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&keep.id), "/contacts")
        .await
        .unwrap();
    let aged = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&old.id), "/contacts")
        .await
        .unwrap();
    // The second deletion happened 31 days ago, and its undo expired a day later.
    let day = 24 * 60 * 60;
    let then = now().timestamp() - (SNAPSHOT_DAYS + 1) * day;
    exec(
        &db,
        "UPDATE deleted_contact SET deleted_at = ?1 WHERE id = ?2",
        params![then, aged.contacts[0].id.as_str()],
    )
    .await;
    exec(
        &db,
        "UPDATE undo_action SET expires_at = ?1 WHERE id = ?2",
        params![then + UNDO_LIFETIME_SECS, aged.undo.as_str()],
    )
    .await;
    db.sync().await.unwrap();
    assert_eq!(
        db.trash().undo(&ada.id, &aged.undo).await.unwrap(),
        UndoOutcome::Expired
    );
    assert!(matches!(
        db.trash().restore(&ada.id, &aged.contacts[0].id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(db.trash().list(&ada.id).await.unwrap(), recent.contacts);

    let (snapshots, undos) = db.trash().purge(now()).await.unwrap();
    assert_eq!((snapshots, undos), (1, 1));
    assert_eq!(
        common::count(
            &db,
            &format!(
                "SELECT count(*) FROM deleted_contact WHERE user_id = '{}'",
                ada.id
            )
        )
        .await,
        1
    );
    // Purged: unknown now.
    assert!(matches!(
        db.trash().undo(&ada.id, &aged.undo).await,
        Err(Error::NotFound)
    ));
    // The recent one still restores, and can be deleted forever instead.
    let forgotten = db
        .trash()
        .forget(&ada.id, &recent.contacts[0].id)
        .await
        .unwrap();
    assert_eq!(forgotten.name, "Keep");
    assert!(db.trash().list(&ada.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn another_users_snapshots_and_undos_are_not_found() {
    let db = test_db().await;
    let ada = user(&db).await;
    let eve = user(&db).await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    let archived = db.contacts().create(&ada.id, &contact("B")).await.unwrap();
    // Eve cannot delete or archive Ada's contacts.
    assert!(matches!(
        db.trash()
            .delete_contacts(&eve.id, std::slice::from_ref(&id), "/contacts")
            .await,
        Err(Error::NotFound)
    ));
    let (touched, undo) = db
        .trash()
        .change_contacts(
            &eve.id,
            std::slice::from_ref(&archived.id),
            BulkAction::Archive,
            "/",
        )
        .await
        .unwrap();
    assert_eq!((touched, undo), (0, None));
    let (_, undo) = db
        .trash()
        .change_contacts(
            &ada.id,
            std::slice::from_ref(&archived.id),
            BulkAction::Archive,
            "/",
        )
        .await
        .unwrap();
    let deleted = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&id), "/contacts")
        .await
        .unwrap();
    // Nor see, restore, forget or undo them.
    assert!(db.trash().list(&eve.id).await.unwrap().is_empty());
    let snapshot = &deleted.contacts[0].id;
    assert!(matches!(
        db.trash().restore(&eve.id, snapshot).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        db.trash().forget(&eve.id, snapshot).await,
        Err(Error::NotFound)
    ));
    for undo in [deleted.undo.clone(), undo.unwrap()] {
        assert!(matches!(
            db.trash().undo(&eve.id, &undo).await,
            Err(Error::NotFound)
        ));
    }
    assert!(matches!(
        db.contacts().get(&ada.id, &id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        db.contacts()
            .get(&ada.id, &archived.id)
            .await
            .unwrap()
            .status,
        ContactStatus::Archived
    );
    assert_eq!(db.trash().list(&ada.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_api_delete_stays_a_hard_delete_without_a_snapshot() {
    let db = test_db().await;
    let ada = user(&db).await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    db.contacts().delete(&ada.id, &id).await.unwrap();
    assert!(db.trash().list(&ada.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_table_and_a_column_added_later_are_kept_with_no_change_to_the_snapshot() {
    let db = test_db().await;
    let ada = user(&db).await;
    // What the contact details work adds: a child table and a nullable column on `contact`.
    ddl(
        &db,
        "CREATE TABLE contact_pet_name (id TEXT PRIMARY KEY NOT NULL, \
         contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE, \
         kind TEXT NOT NULL, value TEXT NOT NULL, label TEXT, \
         position INTEGER NOT NULL DEFAULT 0, \
         created_at INTEGER NOT NULL DEFAULT (unixepoch()), \
         updated_at INTEGER NOT NULL DEFAULT (unixepoch()))",
    )
    .await;
    ddl(&db, "ALTER TABLE contact ADD COLUMN pronouns TEXT").await;
    let id = full_contact(&db, &ada, "Ada Lovelace").await;
    exec(
        &db,
        "UPDATE contact SET pronouns = 'she/her' WHERE id = ?1",
        [id.as_str()],
    )
    .await;
    exec(
        &db,
        "INSERT INTO contact_pet_name (id, contact_id, kind, value, label, position, created_at, \
         updated_at) VALUES ('d1', ?1, 'email', 'ada@work.example', 'work', 1, 31, 32), \
         ('d2', ?1, 'phone', '+44 20 0000', NULL, 0, 33, 34)",
        [id.as_str()],
    )
    .await;
    db.sync().await.unwrap();
    let details = "SELECT * FROM contact_pet_name WHERE contact_id = ?1 ORDER BY id";
    let before = (
        everything(&db, id.as_str()).await,
        rows(&db, details, id.as_str()).await,
    );
    let deleted = db
        .trash()
        .delete_contacts(&ada.id, std::slice::from_ref(&id), "/contacts")
        .await
        .unwrap();
    assert!(rows(&db, details, id.as_str()).await.is_empty());
    db.trash().undo(&ada.id, &deleted.undo).await.unwrap();
    let after = (
        everything(&db, id.as_str()).await,
        rows(&db, details, id.as_str()).await,
    );
    assert_eq!(after, before);
    assert_eq!(after.1.len(), 2);
}
