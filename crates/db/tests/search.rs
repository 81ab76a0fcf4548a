//! The full-text search (issue 13): what a search finds, in which order, and that the trigram
//! indexes stay true to the rows whatever writes them — the repositories, or SQL from another
//! tool (the original app's Drizzle client, the studio) — in every database mode.
#![allow(clippy::unwrap_used)]

mod common;

use common::{count, test_db, user};
use devhub_db::repo::background::BackgroundInput;
use devhub_db::repo::contact_info::ContactInfoInput;
use devhub_db::repo::interaction::InteractionQuery;
use devhub_db::*;

async fn add(db: &Db, user: &UserId, name: &str) -> Contact {
    db.contacts()
        .create(user, &common::contact(name))
        .await
        .unwrap()
}

/// The names a contact search finds, in the list's order.
async fn found(db: &Db, user: &UserId, search: &str) -> Vec<String> {
    let page = db
        .contacts()
        .list(
            user,
            &ContactQuery {
                search: Some(search.to_string()),
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    page.contacts.into_iter().map(|c| c.name).collect()
}

async fn exec(db: &Db, sql: &str) {
    let conn = db.conn().await.unwrap();
    conn.execute(sql, ()).await.unwrap();
}

/// FTS5's own check of an index against what it should hold.
async fn assert_indexes_intact(db: &Db) {
    exec(
        db,
        "INSERT INTO interaction_fts (interaction_fts, rank) VALUES ('integrity-check', 1)",
    )
    .await;
    exec(
        db,
        "INSERT INTO contact_fts (contact_fts) VALUES ('integrity-check')",
    )
    .await;
}

#[tokio::test]
async fn a_search_finds_every_field_words_in_any_order_without_case_or_accents() {
    let db = test_db().await;
    let me = user(&db).await;
    let anita = add(&db, &me.id, "Anita Perlman").await;
    let jose = add(&db, &me.id, "José Álvarez").await;
    let _other = add(&db, &me.id, "Grace Hopper").await;
    db.backgrounds()
        .upsert(
            &me.id,
            &anita.id,
            &BackgroundInput {
                company: Some("Cyberdyne Systems".into()),
                ..BackgroundInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.contact_infos()
        .upsert(
            &me.id,
            &jose.id,
            &ContactInfoInput {
                main_app: Some("Signal".into()),
                email: Some("jose@example.org".into()),
                phone_number: Some("+34 600 123 456".into()),
                social_links: vec!["https://github.com/jalvarez".into()],
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let tag = db
        .tags()
        .create(
            &me.id,
            &TagInput {
                name: "rustconf".into(),
                color: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.tags().attach(&me.id, &anita.id, &tag.id).await.unwrap();

    for (search, expected) in [
        ("cyberdyne", vec!["Anita Perlman"]),
        ("perlman anita", vec!["Anita Perlman"]),
        ("ANITA", vec!["Anita Perlman"]),
        ("jose alvarez", vec!["José Álvarez"]),
        ("álvarez", vec!["José Álvarez"]),
        ("jose@example", vec!["José Álvarez"]),
        ("600 123", vec!["José Álvarez"]),
        ("signal", vec!["José Álvarez"]),
        ("github.com/jalvarez", vec!["José Álvarez"]),
        ("rustconf", vec!["Anita Perlman"]),
        ("perlman cyberdyne", vec!["Anita Perlman"]),
        ("perlman signal", vec![]),
        ("zzq", vec![]),
    ] {
        assert_eq!(found(&db, &me.id, search).await, expected, "{search}");
    }
    // Words of one or two characters still find names.
    assert_eq!(found(&db, &me.id, "gr").await, ["Grace Hopper"]);
    assert_eq!(
        found(&db, &me.id, "an perlman").await,
        ["Anita Perlman"],
        "a short word with a long one"
    );
}

#[tokio::test]
async fn names_that_match_come_before_other_fields_that_match() {
    let db = test_db().await;
    let me = user(&db).await;
    // "Aaron" sorts first by name, but only its company holds the word.
    let aaron = add(&db, &me.id, "Aaron Acme-Worker").await;
    db.backgrounds()
        .upsert(
            &me.id,
            &aaron.id,
            &BackgroundInput {
                company: Some("Zebra Labs".into()),
                ..BackgroundInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    add(&db, &me.id, "Zebra Zimmermann").await;
    assert_eq!(
        found(&db, &me.id, "zebra").await,
        ["Zebra Zimmermann", "Aaron Acme-Worker"]
    );
}

#[tokio::test]
async fn another_users_contacts_are_never_found() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    add(&db, &other.id, "Secret Person").await;
    add(&db, &me.id, "Public Person").await;
    assert_eq!(found(&db, &me.id, "person").await, ["Public Person"]);
    assert!(found(&db, &me.id, "secret").await.is_empty());
    assert!(found(&db, &me.id, "se").await.is_empty());
}

/// Rows written without the repositories — as the original app's Drizzle client or the
/// studio write them — are indexed by the triggers, and every change is followed.
#[tokio::test]
async fn the_index_follows_rows_other_tools_write_and_every_change() {
    let db = test_db().await;
    let me = user(&db).await;
    let uid = me.id.as_str();
    exec(
        &db,
        &format!(
            "INSERT INTO contact (id, user_id, name, location) \
             VALUES ('c-raw', '{uid}', 'Margaret Hamilton', 'Boston')"
        ),
    )
    .await;
    exec(
        &db,
        "INSERT INTO background (id, contact_id, company) VALUES ('b-raw', 'c-raw', 'Draper Lab')",
    )
    .await;
    exec(
        &db,
        "INSERT INTO contact_info (id, contact_id, email) \
         VALUES ('i-raw', 'c-raw', 'margaret@apollo.example')",
    )
    .await;
    exec(
        &db,
        &format!("INSERT INTO tag (id, user_id, name) VALUES ('t-raw', '{uid}', 'apollo-crew')"),
    )
    .await;
    exec(
        &db,
        "INSERT INTO contact_tag (contact_id, tag_id) VALUES ('c-raw', 't-raw')",
    )
    .await;
    for search in [
        "hamilton",
        "boston",
        "draper",
        "apollo.example",
        "apollo-crew",
    ] {
        assert_eq!(
            found(&db, &me.id, search).await,
            ["Margaret Hamilton"],
            "{search}"
        );
    }
    assert_indexes_intact(&db).await;

    // Changes: renamed, moved, company changed, tag renamed, then removed piece by piece.
    exec(
        &db,
        "UPDATE contact SET name = 'Margaret H.', location = 'Cambridge' WHERE id = 'c-raw'",
    )
    .await;
    exec(
        &db,
        "UPDATE background SET company = 'MIT' WHERE id = 'b-raw'",
    )
    .await;
    exec(&db, "UPDATE tag SET name = 'moon-crew' WHERE id = 't-raw'").await;
    assert!(found(&db, &me.id, "hamilton").await.is_empty());
    assert!(found(&db, &me.id, "boston").await.is_empty());
    assert!(found(&db, &me.id, "draper").await.is_empty());
    assert!(found(&db, &me.id, "apollo-crew").await.is_empty());
    for search in ["cambridge", "mit", "moon-crew", "margaret"] {
        assert_eq!(
            found(&db, &me.id, search).await,
            ["Margaret H."],
            "{search}"
        );
    }
    // Logging an interaction (which updates last_contacted) leaves the document alone.
    exec(
        &db,
        "UPDATE contact SET last_contacted = 1700000000 WHERE id = 'c-raw'",
    )
    .await;
    assert_eq!(found(&db, &me.id, "cambridge").await, ["Margaret H."]);

    // A deleted tag (cascading to its links), deleted details, then the contact.
    exec(&db, "DELETE FROM tag WHERE id = 't-raw'").await;
    assert!(found(&db, &me.id, "moon-crew").await.is_empty());
    exec(&db, "DELETE FROM contact_info WHERE id = 'i-raw'").await;
    assert!(found(&db, &me.id, "apollo.example").await.is_empty());
    assert_eq!(found(&db, &me.id, "mit").await, ["Margaret H."]);
    assert_indexes_intact(&db).await;
    exec(&db, "DELETE FROM contact WHERE id = 'c-raw'").await;
    assert!(found(&db, &me.id, "margaret").await.is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM contact_fts").await, 0);
    assert_indexes_intact(&db).await;
}

#[tokio::test]
async fn deleting_a_user_empties_their_part_of_both_indexes() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let mine = add(&db, &me.id, "Ada Lovelace").await;
    add(&db, &other.id, "Charles Babbage").await;
    db.interactions()
        .create(
            &me.id,
            &mine.id,
            &InteractionInput {
                type_: "meeting".into(),
                date: "2025-01-02".into(),
                notes: Some("Analytical engine notes".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.users().delete(&me.id).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM contact_fts").await, 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM interaction_fts WHERE interaction_fts MATCH 'analytical'"
        )
        .await,
        0
    );
    assert_eq!(found(&db, &other.id, "babbage").await, ["Charles Babbage"]);
    assert_indexes_intact(&db).await;
}

#[tokio::test]
async fn the_interaction_log_searches_notes_and_contact_names_by_words() {
    let db = test_db().await;
    let me = user(&db).await;
    let anita = add(&db, &me.id, "Anita Perlman").await;
    let bob = add(&db, &me.id, "Bob Ñúñez").await;
    let log = |contact: &Contact, notes: &str| {
        let db = &db;
        let me = &me;
        let contact_id = contact.id.clone();
        let notes = notes.to_string();
        async move {
            db.interactions()
                .create(
                    &me.id,
                    &contact_id,
                    &InteractionInput {
                        type_: "call".into(),
                        date: "2025-03-04".into(),
                        notes: Some(notes),
                    }
                    .parse()
                    .unwrap(),
                )
                .await
                .unwrap()
        }
    };
    log(&anita, "Coffee about the Crème brûlée conference").await;
    log(&bob, "Talked about coffee grinders").await;
    log(&bob, "Release planning").await;
    let notes_found = |search: &str| {
        let db = &db;
        let me = &me;
        let query = InteractionQuery {
            search: Some(search.to_string()),
            ..InteractionQuery::default()
        };
        async move {
            let (found, total) = db.interactions().search(&me.id, &query).await.unwrap();
            assert_eq!(total, found.len() as u64);
            let mut notes: Vec<String> = found
                .into_iter()
                .map(|i| i.interaction.notes.unwrap_or_default())
                .collect();
            notes.sort();
            notes
        }
    };
    assert_eq!(
        notes_found("coffee").await,
        [
            "Coffee about the Crème brûlée conference",
            "Talked about coffee grinders"
        ]
    );
    assert_eq!(
        notes_found("creme brulee").await,
        ["Coffee about the Crème brûlée conference"]
    );
    // A word in the contact's name and another in the notes.
    assert_eq!(notes_found("nunez release").await, ["Release planning"]);
    assert_eq!(notes_found("anita coffee").await.len(), 1);
    assert!(notes_found("zzq").await.is_empty());
    // The notes index follows edits and deletions.
    let (all, _) = db
        .interactions()
        .search(&me.id, &InteractionQuery::default())
        .await
        .unwrap();
    let release = all
        .iter()
        .find(|i| i.interaction.notes.as_deref() == Some("Release planning"))
        .unwrap();
    db.interactions()
        .update(
            &me.id,
            &release.interaction.id,
            &InteractionInput {
                type_: "call".into(),
                date: "2025-03-04".into(),
                notes: Some("Launch planning".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    assert!(notes_found("release").await.is_empty());
    assert_eq!(notes_found("launch").await, ["Launch planning"]);
    assert_indexes_intact(&db).await;
}
