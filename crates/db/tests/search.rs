//! The full-text search (issue 13): what a search finds, in which order, and that the trigram
//! indexes stay true to the rows whatever writes them — the repositories, or SQL from another
//! tool (the original app's Drizzle client, the studio) — in every database mode.
#![allow(clippy::unwrap_used)]

mod common;

use common::{count, test_db, user};
use devhub_db::repo::background::BackgroundInput;
use devhub_db::repo::contact_info::ContactInfoInput;
use devhub_db::repo::interaction::{InteractionQuery, InteractionType};
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

/// The names on page `page` of the user's contacts searched for `search` on the `filter` tab,
/// in the list's order, and its total.
async fn listed(
    db: &Db,
    user: &UserId,
    search: &str,
    filter: ContactFilter,
    page: u32,
) -> (Vec<String>, u64) {
    let query = ContactQuery {
        search: Some(search.to_string()),
        filter,
        page,
        ..ContactQuery::default()
    };
    listed_by(db, user, &query).await
}

/// The names on the contact list's page that `query` asks for, and its total.
async fn listed_by(db: &Db, user: &UserId, query: &ContactQuery) -> (Vec<String>, u64) {
    let found = db.contacts().list(user, query).await.unwrap();
    let names = found.contacts.into_iter().map(|c| c.name).collect();
    (names, found.total)
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
                ..ContactInfoInput::default()
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

/// Inserts `n` interactions with `contact`, as another client would (one statement, the owner
/// left to the trigger), dated one day apart going back from `newest` (seconds): notes
/// `{prefix} {i}`.
/// The notes of page `page` of the log searched for `text`, and its total.
async fn log_notes(db: &Db, user: &UserId, text: &str, page: u32) -> (Vec<String>, u64) {
    let query = InteractionQuery {
        search: Some(text.to_string()),
        page,
        ..InteractionQuery::default()
    };
    searched_notes(db, user, &query).await
}

/// The notes of the log's page that `query` asks for, and its total.
async fn searched_notes(db: &Db, user: &UserId, query: &InteractionQuery) -> (Vec<String>, u64) {
    let (found, total) = db.interactions().search(user, query).await.unwrap();
    let notes = found
        .into_iter()
        .map(|i| i.interaction.notes.unwrap_or_default())
        .collect();
    (notes, total)
}

async fn many_logged(db: &Db, contact: &Contact, n: u32, prefix: &str, newest: i64) {
    exec(
        db,
        &format!(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n}) \
             INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
             SELECT '{prefix}-' || i, '{}', 'call', {newest} - i * 86400, '{prefix} ' || i, \
               1700000000, 1700000000 FROM k",
            contact.id.as_str()
        ),
    )
    .await;
}

/// A word that more than a thousand notes hold is read in the log's order and each row tested
/// (a page fills quickly); a rare one leads with its few matches. Both answer what the index
/// says, accents and case ignored, and the other user's notes stay out.
#[tokio::test]
async fn common_and_rare_words_of_the_log_find_the_same_as_the_index() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let anita = add(&db, &me.id, "Anita Perlman").await;
    let bob = add(&db, &me.id, "Bob Stone").await;
    let stranger = add(&db, &other.id, "Carla Cafetière").await;
    let day = 86_400;
    let now = 1_780_000_000;
    many_logged(&db, &anita, 1_200, "Cafe run", now).await;
    many_logged(&db, &stranger, 50, "Cafe stranger", now + 10 * day).await;
    // The newest of mine: accented (not ASCII), and a rare word.
    exec(
        &db,
        &format!(
            "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
             VALUES ('accented', '{}', 'meeting', {}, 'Un CAFÉ crème, zanzibar', 1, 1)",
            bob.id.as_str(),
            now + day
        ),
    )
    .await;
    // Common: 1,201 of mine match; "at least 1,000"; the accented note is the newest.
    let (notes, total) = log_notes(&db, &me.id, "cafe", 1).await;
    assert_eq!(total, SEARCH_COUNT_LIMIT);
    assert_eq!(notes.len(), 50);
    assert_eq!(notes[0], "Un CAFÉ crème, zanzibar");
    assert_eq!(notes[1], "Cafe run 1");
    assert_eq!(notes[49], "Cafe run 49");
    assert!(notes.iter().all(|n| !n.contains("stranger")));
    // With another filter, counted: only the accented one is a meeting.
    let meetings = InteractionQuery {
        search: Some("cafe".into()),
        kind: Some(InteractionType::Meeting),
        ..InteractionQuery::default()
    };
    let (found, total) = db.interactions().search(&me.id, &meetings).await.unwrap();
    assert_eq!((found.len(), total), (1, 1));
    // Common within the kind and dates asked for: read in the log's order among the latest
    // of them, "at least" the limit.
    let day_of = |i: i64| {
        chrono::DateTime::from_timestamp(now - i * day, 0)
            .unwrap()
            .date_naive()
    };
    let calls = InteractionQuery {
        search: Some("cafe".into()),
        kind: Some(InteractionType::Call),
        from: Some(day_of(1_000)),
        to: Some(day_of(300)),
        ..InteractionQuery::default()
    };
    let (notes, total) = searched_notes(&db, &me.id, &calls).await;
    assert_eq!(total, SEARCH_COUNT_LIMIT);
    assert_eq!(
        (notes[0].as_str(), notes[49].as_str(), notes.len()),
        ("Cafe run 300", "Cafe run 349", 50)
    );
    let deep = InteractionQuery { page: 14, ..calls };
    let (notes, total) = searched_notes(&db, &me.id, &deep).await;
    assert_eq!(notes.first().map(String::as_str), Some("Cafe run 950"));
    assert_eq!(
        (notes.last().map(String::as_str), total),
        (Some("Cafe run 999"), 701)
    );
    let (notes, _) = log_notes(&db, &me.id, "CAFE", 3).await;
    assert_eq!(notes[0], "Cafe run 100");
    // Common by the contact's name: every interaction with Anita.
    let (notes, total) = log_notes(&db, &me.id, "perlman", 1).await;
    assert_eq!(
        (notes[0].as_str(), total),
        ("Cafe run 1", SEARCH_COUNT_LIMIT)
    );
    // Two common words: both tested on each row, counted up to the limit.
    let (notes, total) = log_notes(&db, &me.id, "run cafe", 1).await;
    assert_eq!(
        (notes[0].as_str(), total),
        ("Cafe run 1", SEARCH_COUNT_LIMIT)
    );
    let (notes, total) = log_notes(&db, &me.id, "cafe 119", 1).await;
    assert_eq!(
        (notes, total),
        (
            vec![
                "Cafe run 119".to_string(),
                "Cafe run 1119".to_string(),
                "Cafe run 1190".to_string(),
                "Cafe run 1191".to_string(),
                "Cafe run 1192".to_string(),
                "Cafe run 1193".to_string(),
                "Cafe run 1194".to_string(),
                "Cafe run 1195".to_string(),
                "Cafe run 1196".to_string(),
                "Cafe run 1197".to_string(),
                "Cafe run 1198".to_string(),
                "Cafe run 1199".to_string(),
            ],
            12
        )
    );
    // Rare: led by its matches, exactly counted, with a common word tested on each.
    assert_eq!(
        log_notes(&db, &me.id, "zanzibar", 1).await,
        (vec!["Un CAFÉ crème, zanzibar".to_string()], 1)
    );
    assert_eq!(
        log_notes(&db, &me.id, "café zanzibar", 1).await,
        (vec!["Un CAFÉ crème, zanzibar".to_string()], 1)
    );
    assert_eq!(log_notes(&db, &me.id, "creme stone", 1).await.1, 1);
    assert_eq!(log_notes(&db, &me.id, "cafetiere", 1).await, (vec![], 0));
    assert_eq!(log_notes(&db, &me.id, "zzq cafe", 1).await, (vec![], 0));
}

/// Words of one or two characters, which no index finds, are looked for among the latest
/// [`SHORT_SEARCH_WINDOW`] interactions that the other filters keep (the contact's, through
/// the API's listing of one contact), in the notes and the contact's name; a longer word still
/// finds what is older, and the other user's stay out.
#[tokio::test]
async fn words_of_one_or_two_characters_look_through_the_latest_interactions_only() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let anita = add(&db, &me.id, "Anita Perlman").await;
    let bo = add(&db, &me.id, "Bo Li").await;
    let stranger = add(&db, &other.id, "Carla Zq").await;
    let day = 86_400;
    let now = 1_780_000_000;
    let window = u32::try_from(SHORT_SEARCH_WINDOW).unwrap();
    many_logged(&db, &anita, window, "Filler", now).await;
    let logged = |id: &str, contact: &Contact, kind: &str, date: i64, notes: &str| {
        format!(
            "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
             VALUES ('{id}', '{}', '{kind}', {date}, '{notes}', 1, 1)",
            contact.id.as_str()
        )
    };
    // Older than the window: a meeting, the only one.
    exec(
        &db,
        &logged(
            "old",
            &anita,
            "meeting",
            now - 2 * i64::from(window) * day,
            "zq old times",
        ),
    )
    .await;
    exec(&db, &logged("new", &anita, "call", now + day, "ZQ new")).await;
    exec(&db, &logged("bo", &bo, "call", now - 3 * day, "Lunch")).await;
    exec(
        &db,
        &logged("theirs", &stranger, "call", now + day, "zq theirs"),
    )
    .await;

    let short = InteractionQuery {
        search: Some("zq".into()),
        ..InteractionQuery::default()
    };
    assert_eq!(short.searched_window(), Some(SHORT_SEARCH_WINDOW));
    assert_eq!(
        log_notes(&db, &me.id, "zq", 1).await,
        (vec!["ZQ new".into()], 1)
    );
    // By the contact's name, row by row: Bo Li's lunch, and only it ("li" is in no note).
    assert_eq!(
        log_notes(&db, &me.id, "li", 1).await,
        (vec!["Lunch".into()], 1)
    );
    assert_eq!(log_notes(&db, &me.id, "Z", 1).await.0, ["ZQ new"]);
    // The window is of the interactions the filters keep: the old meeting is among the latest
    // meetings.
    let meetings = InteractionQuery {
        kind: Some(InteractionType::Meeting),
        ..short.clone()
    };
    let (found, total) = db.interactions().search(&me.id, &meetings).await.unwrap();
    assert_eq!((found.len(), total), (1, 1));
    assert_eq!(found[0].interaction.id.as_str(), "old");
    // A word the index finds looks through everything.
    let long = InteractionQuery {
        search: Some("zq old".into()),
        ..InteractionQuery::default()
    };
    assert_eq!(long.searched_window(), None);
    assert_eq!(
        log_notes(&db, &me.id, "zq old", 1).await,
        (vec!["zq old times".into()], 1)
    );
    // The API's listing: the same window, of the contact's interactions with one.
    let (found, more) = db
        .interactions()
        .search_after(&me.id, &short, None, None, 10)
        .await
        .unwrap();
    let ids: Vec<_> = found.iter().map(|i| i.id.as_str()).collect();
    assert_eq!((ids, more), (vec!["new"], false));
    let (found, _) = db
        .interactions()
        .search_after(&me.id, &short, Some(&bo.id), None, 10)
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
    let (found, _) = db
        .interactions()
        .search_after(&me.id, &long, Some(&anita.id), None, 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    // Deleting fillers brings the old one into the window.
    exec(
        &db,
        "DELETE FROM interaction WHERE id LIKE 'Filler-%' AND rowid % 2 = 0",
    )
    .await;
    let (notes, total) = log_notes(&db, &me.id, "zq", 1).await;
    assert_eq!(
        (notes, total),
        (vec!["ZQ new".into(), "zq old times".into()], 2)
    );
}

/// Inserts `n` contacts of `user` as another client would, named `{name} {i:04}` (i from 0),
/// with `location`.
async fn many_contacts(db: &Db, user: &UserId, n: u32, name: &str, location: &str) {
    exec(
        db,
        &format!(
            "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < {n} - 1) \
             INSERT INTO contact (id, user_id, name, location) \
             SELECT '{name}-{location}-' || i, '{}', '{name} ' || substr('000' || i, -4), \
               '{location}' FROM k",
            user.as_str()
        ),
    )
    .await;
}

/// Words too short for the trigram index: a word that more contacts hold than the count goes
/// (200 on the first pages) walks the list's order, a rarer one is first looked for in the
/// index of stored texts and only its matches are read; both give the list's order and counts,
/// on each tab and page, and another user's contacts stay out.
#[tokio::test]
async fn short_words_common_or_rare_page_in_the_lists_order() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    // "os": 2,050 in Oslo, walked in order.
    many_contacts(&db, &me.id, 2_050, "Kim", "Oslo").await;
    many_contacts(&db, &other.id, 20, "Qx", "Oslo").await;
    let (names, total) = listed(&db, &me.id, "os", ContactFilter::All, 1).await;
    assert_eq!(total, SEARCH_COUNT_LIMIT);
    assert_eq!(
        (names[0].as_str(), names[49].as_str()),
        ("Kim 0000", "Kim 0049")
    );
    let (names, _) = listed(&db, &me.id, "OS", ContactFilter::Active, 41).await;
    assert_eq!(
        names,
        [
            "Kim 2000", "Kim 2001", "Kim 2002", "Kim 2003", "Kim 2004", "Kim 2005", "Kim 2006",
            "Kim 2007", "Kim 2008", "Kim 2009", "Kim 2010", "Kim 2011", "Kim 2012", "Kim 2013",
            "Kim 2014", "Kim 2015", "Kim 2016", "Kim 2017", "Kim 2018", "Kim 2019", "Kim 2020",
            "Kim 2021", "Kim 2022", "Kim 2023", "Kim 2024", "Kim 2025", "Kim 2026", "Kim 2027",
            "Kim 2028", "Kim 2029", "Kim 2030", "Kim 2031", "Kim 2032", "Kim 2033", "Kim 2034",
            "Kim 2035", "Kim 2036", "Kim 2037", "Kim 2038", "Kim 2039", "Kim 2040", "Kim 2041",
            "Kim 2042", "Kim 2043", "Kim 2044", "Kim 2045", "Kim 2046", "Kim 2047", "Kim 2048",
            "Kim 2049"
        ]
    );
    // "qx": three of mine (one archived), looked up; the other user's twenty stay out.
    for name in ["Bo Qx", "ann qx", "Cy Qx"] {
        add(&db, &me.id, name).await;
    }
    exec(
        &db,
        "UPDATE contact SET status = 'archived' WHERE name = 'Cy Qx'",
    )
    .await;
    assert_eq!(
        listed(&db, &me.id, "qx", ContactFilter::All, 1).await,
        (vec!["ann qx".into(), "Bo Qx".into(), "Cy Qx".into()], 3)
    );
    assert_eq!(
        listed(&db, &me.id, "Q", ContactFilter::Active, 1).await,
        (vec!["ann qx".into(), "Bo Qx".into()], 2)
    );
    assert_eq!(
        listed(&db, &me.id, "qx", ContactFilter::Archived, 1).await,
        (vec!["Cy Qx".into()], 1)
    );
    assert_eq!(
        listed(&db, &me.id, "qx", ContactFilter::All, 2).await,
        (vec![], 3)
    );
    // Two short words, in any order and field.
    assert_eq!(
        listed(&db, &me.id, "x b", ContactFilter::All, 1).await,
        (vec!["Bo Qx".into()], 1)
    );
}

/// Words too short for the trigram index rank the contacts whose name begins with the first
/// word before the other matches, each in the list's order, whether either set is common or
/// rare, on every page and in every order.
#[tokio::test]
async fn short_words_rank_names_that_begin_with_them_first() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    // "ki": 2,050 names begin with it (walked in their range), three hold it elsewhere.
    many_contacts(&db, &me.id, 2_050, "Kim", "Oslo").await;
    many_contacts(&db, &other.id, 20, "Kia", "Oslo").await;
    for name in ["Ann Kirby", "Aa Vikings", "Bo Hill"] {
        add(&db, &me.id, name).await;
    }
    exec(
        &db,
        "UPDATE contact SET location = 'Kiev' WHERE name = 'Bo Hill'",
    )
    .await;
    let (names, total) = listed(&db, &me.id, "KI", ContactFilter::All, 1).await;
    assert_eq!(total, SEARCH_COUNT_LIMIT);
    assert_eq!(
        (names[0].as_str(), names[49].as_str()),
        ("Kim 0000", "Kim 0049")
    );
    let (names, _) = listed(&db, &me.id, "ki", ContactFilter::Active, 41).await;
    assert_eq!(names.len(), 50);
    assert_eq!(names[49], "Kim 2049");
    assert_eq!(
        listed(&db, &me.id, "ki", ContactFilter::Active, 42).await.0,
        ["Aa Vikings", "Ann Kirby", "Bo Hill"]
    );
    // "os": a common word (Oslo) whose names are rare: "Oscar" and "osman" first.
    for name in ["osman", "Oscar Tan"] {
        add(&db, &me.id, name).await;
    }
    let (names, _) = listed(&db, &me.id, "os", ContactFilter::All, 1).await;
    assert_eq!(&names[..3], ["Oscar Tan", "osman", "Kim 0000"]);
    let (names, _) = listed(&db, &me.id, "os", ContactFilter::All, 42).await;
    assert_eq!(names, ["Kim 2048", "Kim 2049"]);
    // A rare word, rare names: "qx" begins one name of three; "z q" needs both words.
    for name in ["Cy Qx", "qx Zed", "Bo Qx"] {
        add(&db, &me.id, name).await;
    }
    assert_eq!(
        listed(&db, &me.id, "qx", ContactFilter::All, 1).await,
        (vec!["qx Zed".into(), "Bo Qx".into(), "Cy Qx".into()], 3)
    );
    assert_eq!(
        listed(&db, &me.id, "z q", ContactFilter::All, 1).await,
        (vec!["qx Zed".into()], 1)
    );
    // In another order, the names that begin with the word still lead, in that order.
    exec(
        &db,
        "UPDATE contact SET last_contacted = 1000 WHERE name IN ('Cy Qx', 'Kim 0007')",
    )
    .await;
    exec(
        &db,
        "UPDATE contact SET last_contacted = 900 WHERE name = 'qx Zed'",
    )
    .await;
    let recent = |search: &str| ContactQuery {
        search: Some(search.into()),
        sort: ContactSort::LastContacted,
        direction: SortDirection::Desc,
        ..ContactQuery::default()
    };
    let (names, _) = listed_by(&db, &me.id, &recent("qx")).await;
    assert_eq!(names, ["qx Zed", "Cy Qx", "Bo Qx"]);
    let (names, _) = listed_by(&db, &me.id, &recent("ki")).await;
    assert_eq!(&names[..3], ["Kim 0007", "Kim 0000", "Kim 0001"]);
    let (names, _) = listed_by(&db, &me.id, &recent("os")).await;
    assert_eq!(&names[..4], ["Oscar Tan", "osman", "Kim 0007", "Kim 0000"]);
}

/// A word that thousands of contacts match is read in the list's order (names first, then the
/// other matches), a rare one by its matches; the pages are the same as the ranking says, and
/// another user's contacts stay out.
#[tokio::test]
async fn common_words_page_through_names_first_then_the_other_matches() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    // "ari": 2,100 in Paris (not in their names), three in their names.
    many_contacts(&db, &me.id, 2_100, "Pat", "Paris").await;
    many_contacts(&db, &other.id, 30, "Ariadne", "Paris").await;
    for name in ["Zoe Ariel", "Ariel Young", "Mari Ng"] {
        add(&db, &me.id, name).await;
    }
    let (names, total) = listed(&db, &me.id, "ARI", ContactFilter::All, 1).await;
    assert_eq!(total, SEARCH_COUNT_LIMIT);
    assert_eq!(names.len(), 50);
    assert_eq!(
        &names[..4],
        ["Ariel Young", "Mari Ng", "Zoe Ariel", "Pat 0000"]
    );
    assert_eq!(names[49], "Pat 0046");
    let (names, _) = listed(&db, &me.id, "ari", ContactFilter::All, 3).await;
    assert_eq!((names[0].as_str(), names.len()), ("Pat 0097", 50));
    let (names, _) = listed(&db, &me.id, "ari", ContactFilter::All, 43).await;
    assert_eq!(names, ["Pat 2097", "Pat 2098", "Pat 2099"]);
    // "pat": 2,100 names match (walked in order), then a location.
    add(&db, &me.id, "Aaron Smith").await;
    exec(
        &db,
        "UPDATE contact SET location = 'Patagonia' WHERE name = 'Aaron Smith'",
    )
    .await;
    let (names, total) = listed(&db, &me.id, "pat", ContactFilter::All, 1).await;
    assert_eq!(
        (names[0].as_str(), names[49].as_str()),
        ("Pat 0000", "Pat 0049")
    );
    assert_eq!(total, SEARCH_COUNT_LIMIT);
    let (names, _) = listed(&db, &me.id, "pat", ContactFilter::All, 43).await;
    assert_eq!(names, ["Aaron Smith"]);
    // Rare: exactly counted, names first.
    assert_eq!(
        listed(&db, &me.id, "ariel", ContactFilter::All, 1).await,
        (vec!["Ariel Young".to_string(), "Zoe Ariel".to_string()], 2)
    );
    assert_eq!(
        listed(&db, &me.id, "patagonia", ContactFilter::All, 1).await,
        (vec!["Aaron Smith".to_string()], 1)
    );
    // The VIP tab of a common word: none of mine is a VIP.
    let vips = ContactQuery {
        search: Some("paris".into()),
        filter: ContactFilter::Vip,
        ..ContactQuery::default()
    };
    assert_eq!(db.contacts().list(&me.id, &vips).await.unwrap().total, 0);
    assert_indexes_intact(&db).await;
}

/// A common word's other matches are walked in the list's order: every source of a match is
/// there in its place — fields, notes, company, e-mail, further details, tags, and fields
/// with accents that the index folds (written as another tool would, and changed
/// afterwards), also for a word with an accent of its own.
#[tokio::test]
async fn a_common_words_walk_finds_matches_in_every_source_in_the_lists_order() {
    let db = test_db().await;
    let me = user(&db).await;
    many_contacts(&db, &me.id, 2_100, "Pat", "Paris").await;
    let owner = me.id.as_str();
    for (n, what, more) in [
        (1, "Company", ""),
        (2, "Email", ""),
        (3, "Note", ", notes = 'Vegetarian'"),
        (4, "Tag", ""),
        (5, "Accent", ", location = 'Bäri'"),
        (6, "Detail", ""),
        (7, "Industry", ", industry = 'Aerospace Variety'"),
        (
            8,
            "None",
            ", location = 'Rome', notes = 'Likes quiet places'",
        ),
        (9, "Later", ", location = 'Rome'"),
    ] {
        exec(
            &db,
            &format!(
                "INSERT INTO contact (id, user_id, name) VALUES ('c{n}', '{owner}', 'Pat 000{n} {what}')"
            ),
        )
        .await;
        if !more.is_empty() {
            exec(
                &db,
                &format!("UPDATE contact SET name = name{more} WHERE id = 'c{n}'"),
            )
            .await;
        }
    }
    for sql in [
        "INSERT INTO background (id, contact_id, company) VALUES ('b1', 'c1', 'Safari Ltd')",
        "INSERT INTO contact_info (id, contact_id, email) VALUES ('i2', 'c2', 'x@ferrari.example')",
        &format!("INSERT INTO tag (id, user_id, name) VALUES ('t4', '{owner}', 'Safari')"),
        "INSERT INTO contact_tag (contact_id, tag_id) VALUES ('c4', 't4')",
        "INSERT INTO contact_detail (id, contact_id, kind, value) VALUES ('d6', 'c6', 'email', 'y@atari.example')",
        // Accents arriving by a change, then leaving again for a field that does not match.
        "UPDATE contact SET location = 'Bärin' WHERE id = 'c9'",
        "UPDATE contact SET location = 'Bärn' WHERE id = 'c5'",
        "UPDATE contact SET location = 'Bäri' WHERE id = 'c5'",
    ] {
        exec(&db, sql).await;
    }
    let names = found(&db, &me.id, "ARI").await;
    // Every Pat of Paris, each followed by the contact of that number whose "ari" is elsewhere
    // (none for 0008, which matches nowhere).
    let expected = [
        "Pat 0000",
        "Pat 0001",
        "Pat 0001 Company",
        "Pat 0002",
        "Pat 0002 Email",
        "Pat 0003",
        "Pat 0003 Note",
        "Pat 0004",
        "Pat 0004 Tag",
        "Pat 0005",
        "Pat 0005 Accent",
        "Pat 0006",
        "Pat 0006 Detail",
        "Pat 0007",
        "Pat 0007 Industry",
        "Pat 0008",
        "Pat 0009",
        "Pat 0009 Later",
    ];
    assert_eq!(names[..expected.len()], expected[..]);
    assert_eq!(names.len(), 50);
    // The same contacts by their own rare words, and none of the contact that matches nowhere.
    for (word, name) in [
        ("safari", vec!["Pat 0001 Company", "Pat 0004 Tag"]),
        ("ferrari", vec!["Pat 0002 Email"]),
        ("vegetarian", vec!["Pat 0003 Note"]),
        ("bari", vec!["Pat 0005 Accent", "Pat 0009 Later"]),
        ("atari", vec!["Pat 0006 Detail"]),
        ("variety", vec!["Pat 0007 Industry"]),
    ] {
        assert_eq!(found(&db, &me.id, word).await, name, "{word}");
    }
    assert!(!found(&db, &me.id, "ari")
        .await
        .contains(&"Pat 0008 None".to_string()));
    // A word with an accent: the index's matches alone ("pär" is "par" folded: every Paris).
    let names = found(&db, &me.id, "pär").await;
    assert_eq!(
        (names[0].as_str(), names[1].as_str()),
        ("Pat 0000", "Pat 0001")
    );
    assert_eq!(names.len(), 50);
    assert_indexes_intact(&db).await;
}

/// The line under each contact found by the search everywhere: company, primary e-mail and
/// tags (sorted), read for the owner's contacts only.
#[tokio::test]
async fn contact_lines_read_company_email_and_tags_of_the_owners_contacts_only() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let ada = add(&db, &me.id, "Ada").await;
    let bob = add(&db, &me.id, "Bob").await;
    let theirs = add(&db, &other.id, "Theirs").await;
    let company = BackgroundInput {
        company: Some("Analytical Engines".into()),
        ..BackgroundInput::default()
    }
    .parse()
    .unwrap();
    db.backgrounds()
        .upsert(&me.id, &ada.id, &company)
        .await
        .unwrap();
    let email = ContactInfoInput {
        email: Some("ada@example.org".into()),
        ..ContactInfoInput::default()
    }
    .parse()
    .unwrap();
    db.contact_infos()
        .upsert(&me.id, &ada.id, &email)
        .await
        .unwrap();
    for name in ["zeta", "Alpha", "math"] {
        let tag = db
            .tags()
            .create(
                &me.id,
                &TagInput {
                    name: name.into(),
                    color: None,
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap();
        db.tags().attach(&me.id, &ada.id, &tag.id).await.unwrap();
    }
    db.contact_infos()
        .upsert(&other.id, &theirs.id, &email)
        .await
        .unwrap();

    let mut lines = db
        .search()
        .contact_lines(&me.id, &[ada.id.clone(), bob.id.clone(), theirs.id.clone()])
        .await
        .unwrap();
    lines.sort_by(|a, b| a.contact_id.as_str().cmp(b.contact_id.as_str()));
    let mut expected = vec![
        ContactLine {
            contact_id: ada.id.clone(),
            company: Some("Analytical Engines".into()),
            email: Some("ada@example.org".into()),
            tags: vec!["Alpha".into(), "math".into(), "zeta".into()],
        },
        ContactLine {
            contact_id: bob.id.clone(),
            company: None,
            email: None,
            tags: vec![],
        },
    ];
    expected.sort_by(|a, b| a.contact_id.as_str().cmp(b.contact_id.as_str()));
    assert_eq!(lines, expected);
    assert!(db
        .search()
        .contact_lines(&me.id, &[])
        .await
        .unwrap()
        .is_empty());
    assert!(db
        .search()
        .contact_lines(&other.id, std::slice::from_ref(&ada.id))
        .await
        .unwrap()
        .is_empty());
}

/// A search's total counts to SEARCH_COUNT_LIMIT on its first pages ("200+"), and on a page
/// further on to the next multiple of it past that page's rows: the pager's next page is
/// always there while matches remain, the total is exact once they run out, and another
/// user's matches never count.
#[tokio::test]
async fn a_search_counts_at_least_its_first_pages_and_always_reaches_the_next() {
    use devhub_db::repo::contact::search_count_limit;
    assert_eq!(SEARCH_COUNT_LIMIT, 200);
    assert_eq!(search_count_limit(1, 50), 200);
    assert_eq!(search_count_limit(3, 50), 200);
    assert_eq!(search_count_limit(4, 50), 400);
    assert_eq!(search_count_limit(9, 50), 600);
    assert_eq!(search_count_limit(1, 500), 600);
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    // "paris": 450 of mine (in their location), 300 of another user's.
    many_contacts(&db, &me.id, 450, "Pat", "Paris").await;
    many_contacts(&db, &other.id, 300, "Paz", "Paris").await;
    let page = |page: u32| {
        let db = &db;
        let me = me.id.clone();
        let query = ContactQuery {
            search: Some("paris".to_string()),
            page,
            ..ContactQuery::default()
        };
        async move {
            let found = db.contacts().list(&me, &query).await.unwrap();
            let first = found.contacts.first().map(|c| c.name.clone());
            (first, found.contacts.len(), found.total, found.count_limit)
        }
    };
    assert_eq!(page(1).await, (Some("Pat 0000".into()), 50, 200, 200));
    assert_eq!(page(3).await, (Some("Pat 0100".into()), 50, 200, 200));
    // Page 4 counts to 400: at least 400, so pages 5 to 8 are there.
    assert_eq!(page(4).await, (Some("Pat 0150".into()), 50, 400, 400));
    // Page 8 counts to 600: all 450, exactly; page 9 is the last.
    assert_eq!(page(8).await, (Some("Pat 0350".into()), 50, 450, 600));
    assert_eq!(page(9).await, (Some("Pat 0400".into()), 50, 450, 600));
    // With a filter the count is the filtered one: no VIP matches.
    let vips = ContactQuery {
        search: Some("paris".into()),
        filter: ContactFilter::Vip,
        ..ContactQuery::default()
    };
    assert_eq!(db.contacts().list(&me.id, &vips).await.unwrap().total, 0);
    // The other user counts theirs alone: 300, at least 200 on page 1, exact on page 6.
    let theirs = |page: u32| ContactQuery {
        search: Some("paris".into()),
        page,
        ..ContactQuery::default()
    };
    let found = db.contacts().list(&other.id, &theirs(1)).await.unwrap();
    assert_eq!(
        (found.total, found.contacts[0].name.as_str()),
        (200, "Paz 0000")
    );
    let found = db.contacts().list(&other.id, &theirs(6)).await.unwrap();
    assert_eq!(
        (found.total, found.contacts[0].name.as_str()),
        (300, "Paz 0250")
    );
}

/// A word that hundreds of notes hold but none of the latest 2,000 interactions is still found
/// in the log's order: the walk of the latest stops at its window, and the word's matches,
/// sorted, give the page in the same statement. The keyset pages of the API read the same.
#[tokio::test]
async fn a_common_word_absent_from_the_latest_is_read_from_its_matches() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let anita = add(&db, &me.id, "Anita Perlman").await;
    let theirs = add(&db, &other.id, "Carla").await;
    let day = 86_400;
    let now = 1_780_000_000;
    many_logged(&db, &anita, 300, "Cafe old", now - 3_000 * day).await;
    many_logged(&db, &anita, 2_100, "Tea", now).await;
    many_logged(&db, &theirs, 50, "Cafe theirs", now).await;
    let (notes, total) = log_notes(&db, &me.id, "cafe", 1).await;
    assert_eq!(total, SEARCH_COUNT_LIMIT);
    assert_eq!(notes.len(), 50);
    assert_eq!(
        (notes[0].as_str(), notes[49].as_str()),
        ("Cafe old 1", "Cafe old 50")
    );
    // Page 6 counts to 400: all 300, exactly, and its rows are the last 50.
    let (notes, total) = log_notes(&db, &me.id, "cafe", 6).await;
    assert_eq!(total, 300);
    assert_eq!((notes[0].as_str(), notes.len()), ("Cafe old 251", 50));
    // A common word among the latest: read in order, "at least" 200.
    let (notes, total) = log_notes(&db, &me.id, "tea", 1).await;
    assert_eq!(
        (notes[0].as_str(), notes[49].as_str(), total),
        ("Tea 1", "Tea 50", 200)
    );
    let (notes, _) = log_notes(&db, &me.id, "tea", 42).await;
    assert_eq!((notes[0].as_str(), notes.len()), ("Tea 2051", 50));
    // The API's keyset pages.
    let query = InteractionQuery {
        search: Some("cafe".into()),
        ..InteractionQuery::default()
    };
    let interactions = db.interactions();
    let (first, more) = interactions
        .search_after(&me.id, &query, None, None, 50)
        .await
        .unwrap();
    assert!(more);
    assert_eq!(first[0].notes.as_deref(), Some("Cafe old 1"));
    let cursor = InteractionCursor::after(first.last().unwrap());
    let (next, more) = interactions
        .search_after(&me.id, &query, None, Some(&cursor), 50)
        .await
        .unwrap();
    assert!(more);
    assert_eq!(next[0].notes.as_deref(), Some("Cafe old 51"));
    let (of_anita, _) = interactions
        .search_after(&me.id, &query, Some(&anita.id), Some(&cursor), 300)
        .await
        .unwrap();
    assert_eq!(of_anita.len(), 250);
    assert!(of_anita
        .iter()
        .all(|i| i.notes.as_deref().unwrap().starts_with("Cafe old")));
    let tea = InteractionQuery {
        search: Some("tea".into()),
        ..InteractionQuery::default()
    };
    let (first, _) = interactions
        .search_after(&me.id, &tea, None, None, 20)
        .await
        .unwrap();
    let cursor = InteractionCursor::after(first.last().unwrap());
    let (next, _) = interactions
        .search_after(&me.id, &tea, None, Some(&cursor), 20)
        .await
        .unwrap();
    assert_eq!(next[0].notes.as_deref(), Some("Tea 21"));
}

/// After a bulk load (`seed-demo`), each index is merged into one segment: intact, finding
/// what it found before, and later writes are found too.
#[tokio::test]
async fn merging_the_indexes_after_a_bulk_load_keeps_what_they_find() {
    let db = test_db().await;
    let me = user(&db).await;
    // Each contact in a transaction of its own: a segment each, until FTS5 merges some.
    let mut first = None;
    for i in 0..24 {
        let contact = add(&db, &me.id, &format!("Grace {i:02}")).await;
        first.get_or_insert(contact);
    }
    db.interactions()
        .create(
            &me.id,
            &first.unwrap().id,
            &InteractionInput {
                type_: "call".into(),
                date: "2025-03-04".into(),
                notes: Some("Compiler notes".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let segments = |table: &'static str| {
        let db = &db;
        async move {
            let counted = count(
                db,
                &format!("SELECT count(DISTINCT segid) FROM {table}_idx"),
            )
            .await;
            let all = search_index::segments(db).await.unwrap();
            assert!(all.contains(&(table, counted)), "{all:?} against {counted}");
            counted
        }
    };
    assert!(segments("contact_fts").await > 1);
    let before = found(&db, &me.id, "grace").await;
    assert_eq!(before.len(), 24);

    search_index::merge(&db).await.unwrap();
    assert_eq!(segments("contact_fts").await, 1);
    assert_eq!(segments("interaction_fts").await, 1);
    assert_indexes_intact(&db).await;
    assert_eq!(found(&db, &me.id, "grace").await, before);
    let query = InteractionQuery {
        search: Some("compiler".into()),
        ..InteractionQuery::default()
    };
    assert_eq!(db.interactions().search(&me.id, &query).await.unwrap().1, 1);

    add(&db, &me.id, "Grace Hopper").await;
    assert_eq!(found(&db, &me.id, "hopper").await, ["Grace Hopper"]);
}

/// The server's hourly sweep merges the indexes a bounded step at a time: repeated, the steps
/// end where a whole merge does (one segment each), keep every match, and then write nothing.
#[tokio::test]
async fn merging_the_indexes_a_step_at_a_time_ends_in_one_segment_each() {
    let db = test_db().await;
    let me = user(&db).await;
    // Segments of several pages each: notes of 3,000 letters, a different run for each.
    let mut seed = 7u64;
    for i in 0..24 {
        let contact = add(&db, &me.id, &format!("Grace {i:02}")).await;
        let notes: String = (0..3000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + ((seed >> 33) % 26) as u8)
            })
            .collect();
        let conn = db.conn().await.unwrap();
        conn.execute(
            "UPDATE contact SET notes = ?1 WHERE id = ?2",
            (notes, contact.id.to_string()),
        )
        .await
        .unwrap();
    }
    let before = found(&db, &me.id, "grace").await;
    assert_eq!(before.len(), 24);
    let segments = |db: &Db| {
        let db = db.clone();
        async move { search_index::segments(&db).await.unwrap() }
    };
    let at_first = segments(&db).await;
    assert!(at_first[0].1 > 1, "{at_first:?}");
    let mut steps = 0;
    // A step of one page per index: several steps, each a short write of its own.
    while segments(&db).await.iter().any(|(_, n)| *n > 1) {
        search_index::merge_step(&db, 1).await.unwrap();
        steps += 1;
        assert!(
            steps < 200,
            "still {:?} after {steps} steps",
            segments(&db).await
        );
    }
    assert!(steps > 1, "merged in one step of one page: {at_first:?}");
    assert_indexes_intact(&db).await;
    assert_eq!(found(&db, &me.id, "grace").await, before);
    // Once merged, a step changes nothing.
    let pages = count(&db, "SELECT count(*) FROM contact_fts_data").await;
    search_index::merge_step(&db, search_index::STEP_PAGES)
        .await
        .unwrap();
    assert_eq!(
        count(&db, "SELECT count(*) FROM contact_fts_data").await,
        pages
    );
    assert_eq!(
        segments(&db).await,
        [("contact_fts", 1), ("interaction_fts", 0)]
    );
}

/// The hourly sweep's merge: nothing while FTS5's own merging keeps the indexes at a few
/// segments (merging those every hour would rewrite the whole index each time), and a
/// fragmented index merged into one segment, in steps, within the time it is given.
#[tokio::test]
async fn the_sweep_merges_only_a_fragmented_index() {
    let db = test_db().await;
    let me = user(&db).await;
    let segments = |db: &Db| {
        let db = db.clone();
        async move { search_index::segments(&db).await.unwrap()[0].1 }
    };
    let budget = std::time::Duration::from_secs(60);
    let mut added = 0;
    while segments(&db).await <= search_index::FRAGMENTED {
        // FTS5 merges small segments now and then: at a few, the sweep leaves them be.
        let before = segments(&db).await;
        assert_eq!(search_index::tidy(&db, budget).await.unwrap(), 0);
        assert_eq!(segments(&db).await, before);
        // Past a handful, FTS5's own merging (4 per level) no longer holds it below the
        // threshold: switch it off, as a bulk load does in effect, to fragment the index.
        if added == 0 {
            exec(
                &db,
                "INSERT INTO contact_fts (contact_fts, rank) VALUES ('automerge', 0)",
            )
            .await;
        }
        add(&db, &me.id, &format!("Grace {added:02}")).await;
        added += 1;
        assert!(
            added < 100,
            "{} segments after {added} contacts",
            segments(&db).await
        );
    }
    exec(
        &db,
        "INSERT INTO contact_fts (contact_fts, rank) VALUES ('automerge', 4)",
    )
    .await;
    let before = found(&db, &me.id, "grace").await;
    assert!(search_index::tidy(&db, budget).await.unwrap() >= 1);
    assert_eq!(segments(&db).await, 1);
    assert_indexes_intact(&db).await;
    assert_eq!(found(&db, &me.id, "grace").await, before);
    // With no time to spend, no step.
    exec(
        &db,
        "INSERT INTO contact_fts (contact_fts, rank) VALUES ('automerge', 0)",
    )
    .await;
    for i in 0..=search_index::FRAGMENTED {
        add(&db, &me.id, &format!("Hopper {i:02}")).await;
    }
    assert!(segments(&db).await > search_index::FRAGMENTED);
    assert_eq!(
        search_index::tidy(&db, std::time::Duration::ZERO)
            .await
            .unwrap(),
        0
    );
}
