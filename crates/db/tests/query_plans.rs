//! Every page reads index ranges of its owner, never a whole table of users' rows (issue 13):
//! the query plan of each read behind the dashboard, the contact list and its searches and
//! orders, a contact's page, the interaction log, the follow-ups and the navigation, checked
//! with `EXPLAIN QUERY PLAN`. A test fails when a change to a query or an index makes the
//! planner scan instead.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{NaiveDate, Utc};
use common::{test_db, user};
use devhub_db::repo::interaction::InteractionQuery;
use devhub_db::repo::session::Owner;
use devhub_db::*;
use libsql::params_from_iter;

/// Tables whose rows belong to users: reading one whole is what the tests refuse.
const USER_TABLES: [&str; 9] = [
    "contact",
    "interaction",
    "follow_up",
    "background",
    "contact_info",
    "contact_tag",
    "tag",
    "session",
    "user_settings",
];

/// The plan of every statement of `query`, one line per step.
async fn plans<T>(db: &Db, query: &Query<'_, T>) -> Vec<String> {
    let mut out = Vec::new();
    for (sql, values) in query.statements() {
        let plan = explain(db, sql, values).await;
        out.push(format!("{sql}\n{plan}"));
    }
    assert!(!out.is_empty(), "a query without statements");
    out
}

/// `EXPLAIN QUERY PLAN` of one statement, inside a transaction: sqld (0.24) answers an
/// EXPLAIN of a compound statement sent on its own (a stream per statement) with
/// SQLITE_INTERRUPT now and then (seen with the one-word search's four parts and the
/// birthdays' three; the statements themselves run in `search.rs` and `dashboard_queries.rs`
/// in every mode, and inside a transaction it did not happen in six runs); an interrupt is
/// still asked again, up to twenty times.
async fn explain(db: &Db, sql: &str, values: &[libsql::Value]) -> String {
    let mut tries = 0;
    loop {
        let conn = db.conn().await.unwrap();
        let tx = conn.transaction().await.unwrap();
        let answer = async {
            let mut rows = tx
                .query(
                    &format!("EXPLAIN QUERY PLAN {sql}"),
                    params_from_iter(values.to_vec()),
                )
                .await?;
            let mut plan = String::new();
            while let Some(row) = rows.next().await? {
                plan.push_str(&row.get::<String>(3)?);
                plan.push('\n');
            }
            Ok::<_, libsql::Error>(plan)
        }
        .await;
        tx.rollback().await.unwrap();
        match answer {
            Ok(plan) => return plan,
            Err(e) if tries < 20 && e.to_string().contains("SQLITE_INTERRUPT") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("EXPLAIN {sql}: {e}"),
        }
    }
}

/// Fails when a step scans a user table (with or without an index: a `SCAN` reads it all) or,
/// for `paged`, when the rows are sorted as a whole instead of read in order.
async fn assert_bounded<T>(db: &Db, what: &str, query: &Query<'_, T>, paged: bool) {
    for plan in plans(db, query).await {
        for line in plan.lines().skip(1) {
            let step = line.trim();
            for table in USER_TABLES {
                let scans = step.starts_with(&format!("SCAN {table} "))
                    || step == format!("SCAN {table}")
                    || step.starts_with(&format!("SCAN {} ", &table[..1]))
                        && step.contains(&format!("INDEX {table}_"));
                assert!(!scans, "{what}: scans {table}: {plan}");
            }
            // Short aliases (`c`, `i`, `f`) scanned without an index.
            for alias in ["c", "i", "f"] {
                if step == format!("SCAN {alias}") {
                    panic!("{what}: scans {alias}: {plan}");
                }
            }
        }
        if paged && !plan.contains("contact_fts MATCH") {
            assert!(
                !plan.contains("USE TEMP B-TREE FOR ORDER BY"),
                "{what}: sorts every row: {plan}"
            );
        }
    }
}

async fn seeded() -> (common::TestDb, User, Contact) {
    let db = test_db().await;
    let me = user(&db).await;
    let mut first = None;
    for i in 0..30 {
        let c = db
            .contacts()
            .create(&me.id, &common::contact(&format!("Person {i}")))
            .await
            .unwrap();
        first.get_or_insert(c);
    }
    (db, me, first.unwrap())
}

#[tokio::test]
async fn the_contact_list_its_tabs_orders_and_searches_read_indexes() {
    let (db, me, _) = seeded().await;
    let contacts = db.contacts();
    let list = |query: ContactQuery| contacts.list(&me.id, &query);
    let base = ContactQuery::default();
    assert_bounded(&db, "list", &list(base.clone()), true).await;
    for filter in [
        ContactFilter::Vip,
        ContactFilter::Active,
        ContactFilter::Archived,
    ] {
        let query = ContactQuery {
            filter,
            ..base.clone()
        };
        assert_bounded(&db, &format!("{filter:?}"), &list(query), false).await;
    }
    for (sort, direction) in [
        (ContactSort::LastContacted, SortDirection::Asc),
        (ContactSort::LastContacted, SortDirection::Desc),
        (ContactSort::Created, SortDirection::Desc),
        (ContactSort::Name, SortDirection::Desc),
    ] {
        let query = base.clone().ordered(sort, Some(direction));
        assert_bounded(&db, &format!("{sort:?} {direction:?}"), &list(query), true).await;
    }
    // "Recently added" not even in part: an import adds thousands of contacts within one
    // second, which a partial sort ("FOR LAST TERM OF ORDER BY") would read and sort per page.
    let recent = list(
        base.clone()
            .ordered(ContactSort::Created, Some(SortDirection::Desc)),
    );
    for plan in plans(&db, &recent).await {
        assert!(
            !plan.contains("TEMP B-TREE"),
            "recently added sorts: {plan}"
        );
    }
    for search in ["ann", "perlman anita", "an", "an perlman"] {
        let query = ContactQuery {
            search: Some(search.into()),
            ..base.clone()
        };
        assert_bounded(&db, search, &list(query), false).await;
    }
    // Short words are counted from the search index on every tab (with a tab's filter the
    // planner would otherwise walk the names index and build every row's text again).
    for filter in [
        ContactFilter::All,
        ContactFilter::Active,
        ContactFilter::Vip,
        ContactFilter::Archived,
    ] {
        let query = ContactQuery {
            search: Some("an".into()),
            filter,
            ..base.clone()
        };
        let plan = plans(&db, &list(query)).await.join("\n");
        assert!(
            plan.contains("USING INDEX contact_user_search_idx")
                || plan.contains("USING COVERING INDEX contact_user_search_idx"),
            "{filter:?}: {plan}"
        );
    }
    // A short word's names come first: in the name order, a range of the names index.
    let query = ContactQuery {
        search: Some("an".into()),
        ..base.clone()
    };
    let plan = plans(&db, &list(query)).await.join("\n");
    assert!(plan.contains("name>? AND name<?"), "{plan}");
    // A rare short word's page reads its matches from the search index, then each by rowid.
    let query = ContactQuery {
        search: Some("qz".into()),
        ..base.clone()
    };
    let plan = plans(&db, &list(query)).await.join("\n");
    assert!(
        plan.contains("contact_user_search_idx")
            && plan.contains("USING INTEGER PRIMARY KEY (rowid=?)"),
        "{plan}"
    );
    // A search leads with its matches: looked up by rowid, not by walking the owner's index.
    let query = ContactQuery {
        search: Some("perlman".into()),
        ..base.clone()
    };
    let plan = plans(&db, &list(query)).await.join("\n");
    assert!(
        plan.contains("USING INTEGER PRIMARY KEY (rowid=?)"),
        "{plan}"
    );
    assert_bounded(
        &db,
        "industries",
        &contacts.distinct_values(&me.id, DistinctField::Industry),
        false,
    )
    .await;
}

#[tokio::test]
async fn the_dashboard_reads_kept_counts_and_index_ranges() {
    let (db, me, _) = seeded().await;
    let today = Utc::now().date_naive();
    let contacts = db.contacts();
    assert_bounded(&db, "counts", &contacts.counts(&me.id), false).await;
    assert_bounded(&db, "vips", &contacts.active_vips(&me.id, 8), true).await;
    assert_bounded(
        &db,
        "birthdays",
        &contacts.birthdays_between(&me.id, today, today + chrono::Days::new(30), 12),
        false,
    )
    .await;
    let plan = plans(
        &db,
        &contacts.birthdays_between(
            &me.id,
            NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
            12,
        ),
    )
    .await
    .join("\n");
    assert!(plan.contains("contact_user_birthday_idx"), "{plan}");
    let due = db.cadences().due(&me.id, Utc::now(), 8);
    assert_bounded(&db, "reconnect", &due, false).await;
    let plan = plans(&db, &due).await.join("\n");
    assert!(plan.contains("contact_user_reconnect_idx"), "{plan}");
    // Own cadences come from their table (a few rows per user), not a walk of the contacts.
    assert!(!plan.contains("contact_user_status_idx"), "{plan}");
    assert!(plan.contains("SCAN cc"), "{plan}");
    let month = InteractionQuery {
        from: Some(today),
        to: Some(today),
        ..InteractionQuery::default()
    };
    assert_bounded(
        &db,
        "this month",
        &db.interactions().count(&me.id, &month, SEARCH_COUNT_LIMIT),
        false,
    )
    .await;
    let recent = InteractionQuery {
        per_page: 5,
        ..InteractionQuery::default()
    };
    assert_bounded(
        &db,
        "recent",
        &db.interactions().latest(&me.id, &recent),
        true,
    )
    .await;
    let upcoming = db.follow_ups().list_open_between(
        &me.id,
        Some(today + chrono::Days::new(1)),
        Some(today + chrono::Days::new(8)),
        10,
        0,
        SEARCH_COUNT_LIMIT,
    );
    assert_bounded(&db, "upcoming follow-ups", &upcoming, true).await;
    let plan = plans(&db, &upcoming).await.join("\n");
    assert!(plan.contains("follow_up_user_due_idx"), "{plan}");
    let any = db.follow_ups().any_for_user(&me.id);
    assert_bounded(&db, "any follow-up", &any, false).await;
    let plan = plans(&db, &any).await.join("\n");
    assert!(plan.contains("follow_up_user_due_idx"), "{plan}");
}

#[tokio::test]
async fn the_interaction_log_and_its_searches_read_the_owners_index_or_their_matches() {
    let (db, me, first) = seeded().await;
    // 1,200 notes say "coffee" (a common word), one says "zanzibar" (a rare one).
    let conn = db.conn().await.unwrap();
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1200) \
         INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
         SELECT 'i' || i, ?1, 'call', 1700000000 - i, \
           CASE i WHEN 7 THEN 'zanzibar' ELSE 'coffee ' || i END, 1, 1 FROM k",
        [first.id.as_str()],
    )
    .await
    .unwrap();
    drop(conn);
    let interactions = db.interactions();
    let text = |search: &str| InteractionQuery {
        search: Some(search.into()),
        ..InteractionQuery::default()
    };
    for (query, reading) in [
        (InteractionQuery::default(), "in order"),
        (
            InteractionQuery {
                kind: Some(InteractionType::Call),
                ..InteractionQuery::default()
            },
            "by kind",
        ),
        (
            InteractionQuery {
                kind: Some(InteractionType::Meeting),
                search: Some("co".into()),
                ..InteractionQuery::default()
            },
            "by kind",
        ),
        (
            InteractionQuery {
                kind: Some(InteractionType::Call),
                search: Some("coffee".into()),
                ..InteractionQuery::default()
            },
            "by kind",
        ),
        (text("coffee"), "in order, notes as text"),
        (text("coffee 12"), "by its matches"),
        (text("co"), "in order"),
        (text("zanzibar"), "by its matches"),
        (text("coffee zanzibar"), "by its matches"),
    ] {
        let what = format!("{query:?}");
        let planned = interactions.planned(&me.id, &query).await.unwrap();
        assert_bounded(&db, &what, &planned, true).await;
        let plan = plans(&db, &planned).await.join("\n");
        match reading {
            "by its matches" => {
                assert!(
                    !plan.contains("interaction_user_date_idx"),
                    "{what}: {plan}"
                );
                assert!(
                    plan.contains("SEARCH i USING INTEGER PRIMARY KEY"),
                    "{what}: {plan}"
                );
            }
            // One kind: its range of the owner's index of kinds, for the page, its count and
            // the window of short words alike.
            "by kind" => {
                assert!(
                    !plan.contains("interaction_user_date_idx"),
                    "{what}: {plan}"
                );
                assert!(plan.contains("interaction_user_type_idx"), "{what}: {plan}");
            }
            _ => {
                assert!(plan.contains("interaction_user_date_idx"), "{what}: {plan}");
                assert_eq!(
                    plan.contains("instr(lower(i.notes)"),
                    reading == "in order, notes as text",
                    "{what}: {plan}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_contact_page_and_the_follow_ups_read_index_ranges() {
    let (db, me, first) = seeded().await;
    let today = Utc::now().date_naive();
    assert_bounded(&db, "contact", &db.contacts().get(&me.id, &first.id), false).await;
    let timeline = db.interactions().list_for_contact(&me.id, &first.id, 20, 0);
    assert_bounded(&db, "its interactions", &timeline, true).await;
    // Not even in part: a partial sort ("FOR LAST 2 TERMS OF ORDER BY") reads and sorts every
    // interaction of the page's days — a contact with thousands logged on one day (an import, a
    // script) took 11 ms a page instead of 0.03.
    for plan in plans(&db, &timeline).await {
        assert!(
            !plan.contains("TEMP B-TREE"),
            "its interactions sort: {plan}"
        );
    }
    assert_bounded(
        &db,
        "its follow-ups",
        &db.follow_ups().list_for_contact(&me.id, &first.id, true),
        false,
    )
    .await;
    assert_bounded(
        &db,
        "its background",
        &db.backgrounds().get(&me.id, &first.id),
        false,
    )
    .await;
    for (from, until) in [
        (None, Some(today)),
        (Some(today), Some(today + chrono::Days::new(1))),
        (Some(today + chrono::Days::new(7)), None),
    ] {
        assert_bounded(
            &db,
            "a follow-up group",
            &db.follow_ups()
                .list_open_between(&me.id, from, until, 20, 0, COUNT_LIMIT),
            true,
        )
        .await;
    }
    let ids: Vec<ContactId> = vec![first.id.clone(), ContactId::from("missing")];
    assert_bounded(
        &db,
        "the search's contact lines",
        &db.search().contact_lines(&me.id, &ids),
        false,
    )
    .await;
    assert_bounded(
        &db,
        "navigation counts",
        &db.follow_ups().counts_near(Owner::User(&me.id), today),
        false,
    )
    .await;
    let session = Session {
        id: SessionId::from_token("plans"),
        user_id: me.id.clone(),
        expires_at: Utc::now() + chrono::Duration::days(1),
    };
    db.sessions().create(&session).await.unwrap();
    assert_bounded(
        &db,
        "the session check with the navigation's counts",
        &db.sessions().check(&session.id, today),
        false,
    )
    .await;
}

/// A one-word search's page: the parts that walk a common word's matches read the owner's
/// index in the list's order (no sort), whatever the order or the tab.
#[tokio::test]
async fn a_common_words_page_walks_the_owners_index_in_order() {
    let (db, me, _) = seeded().await;
    for (sort, filter) in [
        (ContactSort::Name, ContactFilter::All),
        (ContactSort::LastContacted, ContactFilter::All),
        (ContactSort::Name, ContactFilter::Vip),
    ] {
        let query = ContactQuery {
            search: Some("person".into()),
            filter,
            ..ContactQuery::default()
        }
        .ordered(sort, None);
        let list = db.contacts().list(&me.id, &query);
        assert_bounded(&db, "one word", &list, false).await;
        let plan = plans(&db, &list).await.remove(0);
        // The four parts: two walks in order, two lookups sorted.
        let sorts = plan.matches("USE TEMP B-TREE FOR ORDER BY").count();
        assert_eq!(sorts, 2, "{sort:?} {filter:?}: {plan}");
        assert!(plan.contains("USING INDEX contact_user_"), "{plan}");
    }
}

/// An import looks up its file's e-mails and names in indexes, whatever the size of the
/// account: no step reads all of the user's contacts, details or e-mails.
#[tokio::test]
async fn an_imports_duplicate_lookups_read_indexes() {
    let (db, me, _) = seeded().await;
    let expected = [
        "contact_info_email_idx",
        "contact_detail_email_idx",
        "contact_user_name_idx",
        "contact_user_irregular_name_idx",
    ];
    let lookups = devhub_db::transfer::plan::duplicate_lookups();
    assert_eq!(lookups.len(), expected.len());
    for ((sql, values), index) in lookups.iter().zip(expected) {
        let mut params = vec![libsql::Value::from(me.id.as_str().to_string())];
        params.extend((0..*values).map(|i| libsql::Value::from(format!("person {i}"))));
        let plan = explain(&db, sql, &params).await;
        assert!(
            plan.contains(&format!("INDEX {index} ")),
            "{sql}: not through {index}: {plan}"
        );
        for step in plan.lines().map(str::trim) {
            assert!(!step.starts_with("SCAN "), "{sql}: scans: {plan}");
            assert!(!step.contains("TEMP B-TREE"), "{sql}: sorts: {plan}");
        }
    }
}
