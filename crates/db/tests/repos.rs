//! The repositories against a real migrated database file: every public function, its
//! validation, `NotFound` for missing rows and for other users' rows, cascades, and
//! concurrent writers.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use devhub_db::repo::contact;
use devhub_db::row::now;
use devhub_db::validate::Username;
use devhub_db::*;
use libsql::params;

use common::{test_db, user};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Midnight UTC of `YYYY-MM-DD`.
fn day(s: &str) -> DateTime<Utc> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The fields a validation error names, in order; panics on anything else.
fn invalid_fields<T: std::fmt::Debug>(result: Result<T>) -> Vec<&'static str> {
    match result {
        Err(Error::Validation(errors)) => errors.iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: Result<T>) {
    assert!(
        matches!(result, Err(Error::NotFound)),
        "expected NotFound, got {result:?}"
    );
}

/// Runs `SELECT count(*) …` with one text parameter (or none when `param` is empty).
async fn count(db: &Db, sql: &str, param: &str) -> i64 {
    let conn = db.conn().await.unwrap();
    let mut rows = if sql.contains('?') {
        conn.query(sql, [param]).await.unwrap()
    } else {
        conn.query(sql, ()).await.unwrap()
    };
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

async fn exec(db: &Db, sql: &str, params: impl libsql::params::IntoParams) {
    let conn = db.conn().await.unwrap();
    conn.execute(sql, params).await.unwrap();
}

fn new_interaction(kind: InteractionType, date: &str) -> NewInteraction {
    let new = InteractionInput {
        type_: kind.as_str().into(),
        date: date.into(),
        notes: None,
    }
    .parse()
    .unwrap();
    assert_eq!((new.kind(), new.date()), (kind, day(date)));
    new
}

/// A contact as a form would send it, parsed.
fn parsed(input: ContactInput) -> NewContact {
    input.parse().unwrap()
}

fn names(contacts: &[Contact]) -> Vec<&str> {
    contacts.iter().map(|c| c.name.as_str()).collect()
}

fn query() -> ContactQuery {
    ContactQuery::default()
}

fn a_session(user: &UserId, token: &str, expires_at: DateTime<Utc>) -> Session {
    Session {
        id: SessionId::from_token(token),
        user_id: user.clone(),
        expires_at,
    }
}

fn missing_user() -> UserId {
    UserId::generate()
}

// ---------------------------------------------------------------------------------------------
// Users

fn new_user(name: &str) -> NewUser {
    NewUser::new(
        Username::parse(name).unwrap(),
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    )
    .unwrap()
}

#[tokio::test]
async fn creating_a_user_stores_it_and_get_returns_it() {
    let db = test_db().await;

    let created = db.users().create(&new_user("ada")).await.unwrap();
    let fetched = db.users().get(&created.id).await.unwrap();

    assert_eq!(created.username, "ada");
    assert_eq!(fetched, created);
    assert!(fetched.password_hash.starts_with("$argon2id$"));
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_on_username() {
    let db = test_db().await;
    db.users().create(&new_user("ada")).await.unwrap();

    let err = db.users().create(&new_user("ADA")).await.unwrap_err();

    assert!(
        matches!(
            err,
            Error::Conflict {
                field: "username",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(db.users().list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn creating_a_user_without_a_password_hash_is_a_validation_error() {
    let db = test_db().await;
    let new = NewUser::new(Username::parse("ada").unwrap(), String::new());

    let fields = invalid_fields(new.map(|_| ()));

    assert_eq!(fields, ["password"]);
    assert!(db.users().find_by_username("ada").await.unwrap().is_none());
}

#[tokio::test]
async fn getting_an_unknown_user_is_not_found() {
    let db = test_db().await;

    assert_not_found(db.users().get(&missing_user()).await);
}

#[tokio::test]
async fn find_by_username_ignores_case_and_surrounding_spaces() {
    let db = test_db().await;
    let ada = db.users().create(&new_user("ada")).await.unwrap();

    let found = db.users().find_by_username("  ADA ").await.unwrap();
    let unknown = db.users().find_by_username("grace").await.unwrap();

    assert_eq!(found.map(|u| u.id), Some(ada.id));
    assert!(unknown.is_none());
}

#[tokio::test]
async fn updating_the_password_hash_replaces_it() {
    let db = test_db().await;
    let ada = db.users().create(&new_user("ada")).await.unwrap();

    db.users()
        .update_password_hash(&ada.id, "$argon2id$new")
        .await
        .unwrap();

    assert_eq!(
        db.users().get(&ada.id).await.unwrap().password_hash,
        "$argon2id$new"
    );
}

#[tokio::test]
async fn updating_the_password_hash_of_an_unknown_user_or_to_nothing_fails() {
    let db = test_db().await;
    let ada = db.users().create(&new_user("ada")).await.unwrap();

    assert_not_found(
        db.users()
            .update_password_hash(&missing_user(), "$argon2id$x")
            .await,
    );
    assert_eq!(
        invalid_fields(db.users().update_password_hash(&ada.id, "").await),
        ["password"]
    );
    assert_eq!(
        db.users().get(&ada.id).await.unwrap().password_hash,
        ada.password_hash
    );
}

#[tokio::test]
async fn listing_users_orders_them_by_username() {
    let db = test_db().await;
    for name in ["carol", "ada", "bob"] {
        db.users().create(&new_user(name)).await.unwrap();
    }

    let users = db.users().list().await.unwrap();

    let names: Vec<_> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["ada", "bob", "carol"]);
}

#[tokio::test]
async fn deleting_an_unknown_user_is_not_found() {
    let db = test_db().await;

    assert_not_found(db.users().delete(&missing_user()).await);
}

#[tokio::test]
async fn a_users_debug_output_hides_the_password_hash() {
    let db = test_db().await;
    let ada = db.users().create(&new_user("ada")).await.unwrap();

    let shown = format!("{ada:?}");

    assert!(!shown.contains("argon2id"), "{shown}");
    assert!(shown.contains("[redacted]"));
}

/// One row of every kind owned by the user: contact, interaction, background, contact info,
/// follow-up, tag on the contact, session and API token.
async fn everything_for(db: &Db, user: &UserId, token: &str) -> ContactId {
    let c = db
        .contacts()
        .create(user, &common::contact("Someone"))
        .await
        .unwrap();
    db.interactions()
        .create(
            user,
            &c.id,
            &new_interaction(InteractionType::Call, "2024-01-01"),
        )
        .await
        .unwrap();
    db.backgrounds()
        .upsert(
            user,
            &c.id,
            &BackgroundInput {
                family: Some("two kids".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.contact_infos()
        .upsert(
            user,
            &c.id,
            &ContactInfoInput {
                email: Some("x@example.com".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.follow_ups()
        .create(user, &c.id, &follow_up("2024-02-01", None))
        .await
        .unwrap();
    let tag = db
        .tags()
        .create(
            user,
            &TagInput {
                name: "friends".into(),
                color: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.tags().attach(user, &c.id, &tag.id).await.unwrap();
    db.sessions()
        .create(&a_session(user, token, now() + Duration::days(30)))
        .await
        .unwrap();
    db.api_tokens()
        .create(user, "cli", &sha256_hex(token), None)
        .await
        .unwrap();
    c.id
}

const TABLES: [&str; 10] = [
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
];

#[tokio::test]
async fn deleting_a_user_removes_everything_they_own_and_nothing_else() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    everything_for(&db, &a.id, "token-a").await;
    let b_contact = everything_for(&db, &b.id, "token-b").await;
    for table in TABLES {
        assert_eq!(
            count(&db, &format!("SELECT count(*) FROM {table}"), "").await,
            2,
            "{table}"
        );
    }

    db.users().delete(&a.id).await.unwrap();

    for table in TABLES {
        assert_eq!(
            count(&db, &format!("SELECT count(*) FROM {table}"), "").await,
            1,
            "{table}"
        );
    }
    assert_not_found(db.users().get(&a.id).await);
    assert_eq!(
        db.contacts().get(&b.id, &b_contact).await.unwrap().name,
        "Someone"
    );
    assert!(db
        .sessions()
        .find(&SessionId::from_token("token-b"))
        .await
        .unwrap()
        .is_some());
    assert!(db
        .sessions()
        .find(&SessionId::from_token("token-a"))
        .await
        .unwrap()
        .is_none());
}

// ---------------------------------------------------------------------------------------------
// Contacts

fn full_contact() -> NewContact {
    parsed(ContactInput {
        name: "Ada Lovelace".into(),
        relationship: Some("Mentor".into()),
        birthday: Some("1990-12-10".into()),
        industry: Some("Computing".into()),
        location: Some("London".into()),
        vip: true,
        status: Some("active".into()),
        ..ContactInput::default()
    })
}

#[tokio::test]
async fn creating_a_contact_stores_every_field() {
    let db = test_db().await;
    let me = user(&db).await;

    let created = db.contacts().create(&me.id, &full_contact()).await.unwrap();
    let fetched = db.contacts().get(&me.id, &created.id).await.unwrap();

    assert_eq!(fetched, created);
    assert_eq!(fetched.user_id, me.id);
    assert_eq!(fetched.name, "Ada Lovelace");
    assert_eq!(fetched.relationship.as_deref(), Some("Mentor"));
    assert_eq!(fetched.birthday, Some(date("1990-12-10")));
    assert_eq!(fetched.industry.as_deref(), Some("Computing"));
    assert_eq!(fetched.location.as_deref(), Some("London"));
    assert!(fetched.vip);
    assert_eq!(fetched.status, ContactStatus::Active);
    assert_eq!(fetched.last_contacted, None);
}

#[tokio::test]
async fn contact_input_reports_every_bad_field() {
    let input = ContactInput {
        name: "  ".into(),
        birthday: Some("2999-01-01".into()),
        status: Some("deleted".into()),
        industry: Some("x".repeat(201)),
        ..Default::default()
    };

    let fields = invalid_fields(input.parse());

    assert_eq!(fields, ["name", "industry", "birthday", "status"]);
}

#[tokio::test]
async fn contact_input_parses_text_into_a_new_contact() {
    let input = ContactInput {
        name: " Ada ".into(),
        birthday: Some("1990-12-10".into()),
        relationship: Some("  ".into()),
        status: Some("archived".into()),
        vip: true,
        ..Default::default()
    };

    let new = input.parse().unwrap();

    assert_eq!(new.name().as_str(), "Ada");
    assert_eq!(new.birthday(), Some(date("1990-12-10")));
    assert_eq!(new.relationship(), None);
    assert_eq!(new.status(), ContactStatus::Archived);
    assert!(new.vip());
}

#[tokio::test]
async fn creating_or_updating_an_invalid_contact_is_refused() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let bad = ContactInput {
        name: "".into(),
        birthday: Some(
            (Utc::now().date_naive() + Duration::days(2))
                .format("%Y-%m-%d")
                .to_string(),
        ),
        ..Default::default()
    };

    // The repository only takes a parsed contact, and the parse refuses these values: neither
    // a create nor an update can be handed them.
    assert_eq!(invalid_fields(bad.parse()), ["name", "birthday"]);
    assert_eq!(
        db.contacts().get(&me.id, &ada.id).await.unwrap().name,
        "Ada"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contact WHERE user_id = ?1",
            me.id.as_str()
        )
        .await,
        1
    );
}

#[tokio::test]
async fn creating_a_contact_for_an_unknown_user_is_not_found() {
    let db = test_db().await;

    assert_not_found(
        db.contacts()
            .create(&missing_user(), &common::contact("Ada"))
            .await,
    );
}

#[tokio::test]
async fn updating_a_contact_replaces_its_fields_and_touches_last_update() {
    let db = test_db().await;
    let me = user(&db).await;
    let created = db.contacts().create(&me.id, &full_contact()).await.unwrap();
    exec(
        &db,
        "UPDATE contact SET last_update = 1000, updated_at = 1000 WHERE id = ?1",
        [created.id.as_str()],
    )
    .await;

    let updated = db
        .contacts()
        .update(
            &me.id,
            &created.id,
            &parsed(ContactInput {
                name: "Ada King".into(),
                status: Some("archived".into()),
                ..Default::default()
            }),
        )
        .await
        .unwrap();

    assert_eq!(updated.name, "Ada King");
    assert_eq!(updated.relationship, None);
    assert_eq!(updated.birthday, None);
    assert!(!updated.vip);
    assert_eq!(updated.status, ContactStatus::Archived);
    assert!(updated.last_update.timestamp() > 1000);
    assert!(updated.updated_at.timestamp() > 1000);
    assert_eq!(
        db.contacts().get(&me.id, &created.id).await.unwrap(),
        updated
    );
}

#[tokio::test]
async fn set_vip_and_set_status_change_only_that_field() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db.contacts().create(&me.id, &full_contact()).await.unwrap();

    let unvipped = db.contacts().set_vip(&me.id, &ada.id, false).await.unwrap();
    let archived = db
        .contacts()
        .set_status(&me.id, &ada.id, ContactStatus::Archived)
        .await
        .unwrap();

    assert!(!unvipped.vip);
    assert_eq!(unvipped.status, ContactStatus::Active);
    assert!(!archived.vip);
    assert_eq!(archived.status, ContactStatus::Archived);
    assert_eq!(archived.name, "Ada Lovelace");
    assert_eq!(archived.industry.as_deref(), Some("Computing"));
}

#[tokio::test]
async fn a_missing_contact_is_not_found_everywhere() {
    let db = test_db().await;
    let me = user(&db).await;
    let id = ContactId::generate();

    assert_not_found(db.contacts().get(&me.id, &id).await);
    assert_not_found(
        db.contacts()
            .update(&me.id, &id, &common::contact("x"))
            .await,
    );
    assert_not_found(db.contacts().set_vip(&me.id, &id, true).await);
    assert_not_found(
        db.contacts()
            .set_status(&me.id, &id, ContactStatus::Archived)
            .await,
    );
    assert_not_found(db.contacts().delete(&me.id, &id).await);
}

#[tokio::test]
async fn another_users_contact_is_not_found_and_stays_unchanged() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let theirs = db.contacts().create(&b.id, &full_contact()).await.unwrap();

    assert_not_found(db.contacts().get(&a.id, &theirs.id).await);
    assert_not_found(
        db.contacts()
            .update(&a.id, &theirs.id, &common::contact("Mine now"))
            .await,
    );
    assert_not_found(db.contacts().set_vip(&a.id, &theirs.id, false).await);
    assert_not_found(
        db.contacts()
            .set_status(&a.id, &theirs.id, ContactStatus::Archived)
            .await,
    );
    assert_not_found(db.contacts().delete(&a.id, &theirs.id).await);

    assert_eq!(db.contacts().get(&b.id, &theirs.id).await.unwrap(), theirs);
}

#[tokio::test]
async fn bulk_actions_apply_to_the_users_selected_contacts_only() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let one = db
        .contacts()
        .create(&a.id, &common::contact("One"))
        .await
        .unwrap();
    let two = db
        .contacts()
        .create(&a.id, &common::contact("Two"))
        .await
        .unwrap();
    let three = db
        .contacts()
        .create(&a.id, &common::contact("Three"))
        .await
        .unwrap();
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    let selected = [one.id.clone(), two.id.clone(), theirs.id.clone()];
    let get = |id: ContactId| {
        let db = db.db.clone();
        let user = a.id.clone();
        async move { db.contacts().get(&user, &id).await.unwrap() }
    };

    let archived = db
        .contacts()
        .bulk(&a.id, &selected, BulkAction::Archive)
        .await
        .unwrap();
    assert_eq!(archived, 2);
    assert_eq!(get(one.id.clone()).await.status, ContactStatus::Archived);
    assert_eq!(get(three.id.clone()).await.status, ContactStatus::Active);

    let unarchived = db
        .contacts()
        .bulk(&a.id, &selected, BulkAction::Unarchive)
        .await
        .unwrap();
    assert_eq!(unarchived, 2);
    assert_eq!(get(two.id.clone()).await.status, ContactStatus::Active);

    db.contacts()
        .bulk(&a.id, &selected, BulkAction::MarkVip)
        .await
        .unwrap();
    assert!(get(one.id.clone()).await.vip);
    assert!(get(two.id.clone()).await.vip);
    assert!(!get(three.id.clone()).await.vip);

    db.contacts()
        .bulk(&a.id, std::slice::from_ref(&one.id), BulkAction::UnmarkVip)
        .await
        .unwrap();
    assert!(!get(one.id.clone()).await.vip);
    assert!(get(two.id.clone()).await.vip);

    let deleted = db
        .contacts()
        .bulk(&a.id, &selected, BulkAction::Delete)
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(
        db.contacts()
            .bulk(&a.id, &[], BulkAction::Delete)
            .await
            .unwrap(),
        0
    );
    let left = db.contacts().list(&a.id, &query()).await.unwrap();
    assert_eq!(names(&left.contacts), ["Three"]);
    assert_eq!(db.contacts().get(&b.id, &theirs.id).await.unwrap(), theirs);
}

/// Stores the contacts and returns them in the same order.
async fn store_contacts(db: &Db, user: &UserId, contacts: Vec<NewContact>) -> Vec<Contact> {
    let mut out = Vec::new();
    for c in contacts {
        out.push(db.contacts().create(user, &c).await.unwrap());
    }
    out
}

fn described(name: &str, industry: &str, location: &str, relationship: &str) -> NewContact {
    parsed(ContactInput {
        name: name.into(),
        industry: Some(industry.into()),
        location: Some(location.into()),
        relationship: Some(relationship.into()),
        ..Default::default()
    })
}

async fn search(db: &Db, user: &UserId, needle: &str) -> Vec<String> {
    let page = db
        .contacts()
        .list(
            user,
            &ContactQuery {
                search: Some(needle.into()),
                ..query()
            },
        )
        .await
        .unwrap();
    page.contacts.into_iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn search_matches_inside_words_case_insensitively_over_four_fields() {
    let db = test_db().await;
    let me = user(&db).await;
    store_contacts(
        &db,
        &me.id,
        vec![
            described("Ada Lovelace", "Computing", "London", "Mentor"),
            described("Grace Hopper", "Navy", "Arlington", "Colleague"),
            described("Linus", "Kernel", "Portland", "Open source"),
        ],
    )
    .await;

    assert_eq!(search(&db, &me.id, "LOVE").await, ["Ada Lovelace"]);
    assert_eq!(search(&db, &me.id, "omput").await, ["Ada Lovelace"]);
    assert_eq!(search(&db, &me.id, "rling").await, ["Grace Hopper"]);
    assert_eq!(search(&db, &me.id, "SOURCE").await, ["Linus"]);
    assert_eq!(
        search(&db, &me.id, "O").await,
        ["Ada Lovelace", "Grace Hopper", "Linus"]
    );
    assert!(search(&db, &me.id, "zzz").await.is_empty());
    assert_eq!(search(&db, &me.id, "   ").await.len(), 3);
}

#[tokio::test]
async fn search_treats_percent_and_underscore_literally() {
    let db = test_db().await;
    let me = user(&db).await;
    store_contacts(
        &db,
        &me.id,
        vec![
            common::contact("100% Coffee"),
            common::contact("snake_case fan"),
            common::contact("plain"),
            common::contact("back\\slash"),
        ],
    )
    .await;

    assert_eq!(search(&db, &me.id, "%").await, ["100% Coffee"]);
    assert_eq!(search(&db, &me.id, "_").await, ["snake_case fan"]);
    assert_eq!(search(&db, &me.id, "e_c").await, ["snake_case fan"]);
    assert_eq!(search(&db, &me.id, "\\").await, ["back\\slash"]);
}

#[tokio::test]
async fn search_never_matches_across_two_fields() {
    let db = test_db().await;
    let me = user(&db).await;
    store_contacts(
        &db,
        &me.id,
        vec![described("Ada", "Computing", "Oslo", "Mentor")],
    )
    .await;

    // "ada" + "computing": "aco" would only match if the fields ran together.
    assert!(search(&db, &me.id, "aco").await.is_empty());
    assert!(search(&db, &me.id, "goos").await.is_empty());
    assert_eq!(
        search(&db, &me.id, "in\u{1}g").await,
        ["Ada"],
        "control characters are dropped"
    );
    assert_eq!(search(&db, &me.id, "ing").await, ["Ada"]);
}

#[tokio::test]
async fn counting_a_search_reads_the_search_index_alone() {
    let db = test_db().await;
    let conn = db.conn().await.unwrap();
    let search = contact::SEARCH_TEXT;

    let mut rows = conn
        .query(
            &format!(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM contact \
                 WHERE user_id = ?1 AND instr({search}, lower(?2)) > 0"
            ),
            params!["u", "an"],
        )
        .await
        .unwrap();
    let mut plan = String::new();
    while let Some(row) = rows.next().await.unwrap() {
        plan.push_str(&row.get::<String>(3).unwrap());
        plan.push('\n');
    }

    // If the expression in the code drifts from the one in schema.sql, the index goes unused.
    assert!(plan.contains("contact_user_search_idx"), "{plan}");
}

#[tokio::test]
async fn list_filters_all_vip_active_and_archived() {
    let db = test_db().await;
    let me = user(&db).await;
    let contact = |name: &str, vip, status: ContactStatus| {
        parsed(ContactInput {
            name: name.into(),
            vip,
            status: Some(status.as_str().into()),
            ..Default::default()
        })
    };
    store_contacts(
        &db,
        &me.id,
        vec![
            contact("A vip active", true, ContactStatus::Active),
            contact("B active", false, ContactStatus::Active),
            contact("C vip archived", true, ContactStatus::Archived),
            contact("D archived", false, ContactStatus::Archived),
        ],
    )
    .await;
    let list = |filter| {
        let db = db.db.clone();
        let user = me.id.clone();
        async move {
            let page = db
                .contacts()
                .list(&user, &ContactQuery { filter, ..query() })
                .await
                .unwrap();
            (
                page.total,
                page.contacts
                    .into_iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>(),
            )
        }
    };

    assert_eq!(list(ContactFilter::All).await.0, 4);
    assert_eq!(
        list(ContactFilter::Vip).await,
        (2, vec!["A vip active".into(), "C vip archived".into()])
    );
    assert_eq!(
        list(ContactFilter::Active).await,
        (2, vec!["A vip active".into(), "B active".into()])
    );
    assert_eq!(
        list(ContactFilter::Archived).await,
        (2, vec!["C vip archived".into(), "D archived".into()])
    );
}

#[tokio::test]
async fn list_filters_by_industry_and_relationship_ignoring_case() {
    let db = test_db().await;
    let me = user(&db).await;
    store_contacts(
        &db,
        &me.id,
        vec![
            described("A", "Tech", "x", "Friend"),
            described("B", "tech", "x", "Colleague"),
            described("C", "Finance", "x", "Friend"),
            described("D", "Technology", "x", "Friendly"),
        ],
    )
    .await;

    let tech = db
        .contacts()
        .list(
            &me.id,
            &ContactQuery {
                industry: Some("TECH".into()),
                ..query()
            },
        )
        .await
        .unwrap();
    let friends = db
        .contacts()
        .list(
            &me.id,
            &ContactQuery {
                relationship: Some("friend".into()),
                ..query()
            },
        )
        .await
        .unwrap();
    let tech_friends = db
        .contacts()
        .list(
            &me.id,
            &ContactQuery {
                industry: Some("tech".into()),
                relationship: Some("Friend".into()),
                ..query()
            },
        )
        .await
        .unwrap();

    assert_eq!(names(&tech.contacts), ["A", "B"]);
    assert_eq!(names(&friends.contacts), ["A", "C"]);
    assert_eq!(names(&tech_friends.contacts), ["A"]);
    assert_eq!(tech_friends.total, 1);
}

async fn sorted(
    db: &Db,
    user: &UserId,
    sort: ContactSort,
    direction: SortDirection,
) -> Vec<String> {
    let page = db
        .contacts()
        .list(
            user,
            &ContactQuery {
                sort,
                direction,
                ..query()
            },
        )
        .await
        .unwrap();
    page.contacts.into_iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn list_sorts_by_name_ignoring_case_in_both_directions() {
    let db = test_db().await;
    let me = user(&db).await;
    store_contacts(
        &db,
        &me.id,
        vec![
            common::contact("bob"),
            common::contact("Alice"),
            common::contact("carol"),
        ],
    )
    .await;

    assert_eq!(
        sorted(&db, &me.id, ContactSort::Name, SortDirection::Asc).await,
        ["Alice", "bob", "carol"]
    );
    assert_eq!(
        sorted(&db, &me.id, ContactSort::Name, SortDirection::Desc).await,
        ["carol", "bob", "Alice"]
    );
}

#[tokio::test]
async fn list_sorts_by_last_contacted_with_never_contacted_as_longest_ago() {
    let db = test_db().await;
    let me = user(&db).await;
    let c = store_contacts(
        &db,
        &me.id,
        vec![
            common::contact("Recent"),
            common::contact("Old"),
            common::contact("Never"),
        ],
    )
    .await;
    db.interactions()
        .create(
            &me.id,
            &c[0].id,
            &new_interaction(InteractionType::Call, "2024-03-01"),
        )
        .await
        .unwrap();
    db.interactions()
        .create(
            &me.id,
            &c[1].id,
            &new_interaction(InteractionType::Call, "2024-01-01"),
        )
        .await
        .unwrap();

    assert_eq!(
        sorted(&db, &me.id, ContactSort::LastContacted, SortDirection::Asc).await,
        ["Never", "Old", "Recent"]
    );
    assert_eq!(
        sorted(&db, &me.id, ContactSort::LastContacted, SortDirection::Desc).await,
        ["Recent", "Old", "Never"]
    );
}

#[tokio::test]
async fn list_sorts_by_creation_in_both_directions() {
    let db = test_db().await;
    let me = user(&db).await;
    let c = store_contacts(
        &db,
        &me.id,
        vec![
            common::contact("Third"),
            common::contact("First"),
            common::contact("Second"),
        ],
    )
    .await;
    for (contact, at) in [(&c[0], 3000), (&c[1], 1000), (&c[2], 2000)] {
        exec(
            &db,
            "UPDATE contact SET created_at = ?1 WHERE id = ?2",
            params![at, contact.id.as_str()],
        )
        .await;
    }

    assert_eq!(
        sorted(&db, &me.id, ContactSort::Created, SortDirection::Asc).await,
        ["First", "Second", "Third"]
    );
    assert_eq!(
        sorted(&db, &me.id, ContactSort::Created, SortDirection::Desc).await,
        ["Third", "Second", "First"]
    );
}

#[tokio::test]
async fn list_pages_through_the_contacts_with_the_total() {
    let db = test_db().await;
    let me = user(&db).await;
    store_contacts(
        &db,
        &me.id,
        (1..=7)
            .map(|i| common::contact(&format!("c{i:02}")))
            .collect(),
    )
    .await;
    let page = |page| ContactQuery {
        page,
        per_page: 3,
        ..query()
    };

    let second = db.contacts().list(&me.id, &page(2)).await.unwrap();
    let third = db.contacts().list(&me.id, &page(3)).await.unwrap();
    let beyond = db.contacts().list(&me.id, &page(9)).await.unwrap();

    assert_eq!(names(&second.contacts), ["c04", "c05", "c06"]);
    assert_eq!((second.total, second.page, second.per_page), (7, 2, 3));
    assert_eq!(second.page_count(), 3);
    assert_eq!(names(&third.contacts), ["c07"]);
    assert!(beyond.contacts.is_empty());
    assert_eq!(beyond.total, 7);
}

#[tokio::test]
async fn list_clamps_page_and_page_size() {
    let db = test_db().await;
    let me = user(&db).await;
    store_contacts(
        &db,
        &me.id,
        vec![common::contact("a"), common::contact("b")],
    )
    .await;

    let page = db
        .contacts()
        .list(
            &me.id,
            &ContactQuery {
                page: 0,
                per_page: 0,
                ..query()
            },
        )
        .await
        .unwrap();
    let huge = db
        .contacts()
        .list(
            &me.id,
            &ContactQuery {
                per_page: 100_000,
                ..query()
            },
        )
        .await
        .unwrap();

    assert_eq!((page.page, page.per_page), (1, 1));
    assert_eq!(names(&page.contacts), ["a"]);
    assert_eq!(huge.per_page, contact::MAX_PER_PAGE);
}

#[tokio::test]
async fn list_shows_only_the_users_own_contacts() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    db.contacts()
        .create(&a.id, &common::contact("Mine"))
        .await
        .unwrap();
    db.contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();

    let page = db.contacts().list(&a.id, &query()).await.unwrap();
    let searched = search(&db, &a.id, "theirs").await;

    assert_eq!(names(&page.contacts), ["Mine"]);
    assert_eq!(page.total, 1);
    assert!(searched.is_empty());
}

#[tokio::test]
async fn distinct_values_list_each_industry_and_relationship_once() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    store_contacts(
        &db,
        &a.id,
        vec![
            described("A", "Tech", "x", "Friend"),
            described("B", "tech", "x", "colleague"),
            described("C", "Finance", "x", "Friend"),
            common::contact("D"),
        ],
    )
    .await;
    store_contacts(&db, &b.id, vec![described("E", "Mining", "x", "Boss")]).await;

    let industries = db
        .contacts()
        .distinct_values(&a.id, DistinctField::Industry)
        .await
        .unwrap();
    let relationships = db
        .contacts()
        .distinct_values(&a.id, DistinctField::Relationship)
        .await
        .unwrap();

    assert_eq!(industries.len(), 2);
    assert_eq!(industries[0], "Finance");
    assert!(industries[1].eq_ignore_ascii_case("tech"));
    assert_eq!(relationships, ["colleague", "Friend"]);
}

#[tokio::test]
async fn deleting_a_contact_removes_its_children() {
    let db = test_db().await;
    let me = user(&db).await;
    let doomed = everything_for(&db, &me.id, "token-x").await;
    let kept = db
        .contacts()
        .create(&me.id, &common::contact("Kept"))
        .await
        .unwrap();
    db.interactions()
        .create(
            &me.id,
            &kept.id,
            &new_interaction(InteractionType::Email, "2024-05-01"),
        )
        .await
        .unwrap();

    db.contacts().delete(&me.id, &doomed).await.unwrap();

    for table in [
        "interaction",
        "background",
        "contact_info",
        "follow_up",
        "contact_tag",
    ] {
        let sql = format!("SELECT count(*) FROM {table} WHERE contact_id = ?1");
        assert_eq!(count(&db, &sql, doomed.as_str()).await, 0, "{table}");
    }
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM interaction WHERE contact_id = ?1",
            kept.id.as_str()
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM tag WHERE user_id = ?1",
            me.id.as_str()
        )
        .await,
        1
    );
    assert_not_found(db.contacts().get(&me.id, &doomed).await);
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn a_created_session_is_found_with_its_user() {
    let db = test_db().await;
    let me = user(&db).await;
    let expires = now() + Duration::days(30);

    db.sessions()
        .create(&a_session(&me.id, "secret-token", expires))
        .await
        .unwrap();
    let (session, owner) = db
        .sessions()
        .find(&SessionId::from_token("secret-token"))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(session.id, SessionId::from_token("secret-token"));
    assert_eq!(session.user_id, me.id);
    assert_eq!(session.expires_at, expires);
    assert!(!session.is_expired(now()));
    assert!(session.is_expired(expires));
    assert_eq!(owner, me);
}

#[tokio::test]
async fn session_ids_are_the_hex_sha256_of_the_token() {
    let id = SessionId::from_token("abc");

    assert_eq!(
        id.as_str(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[tokio::test]
async fn finding_an_unknown_session_gives_none() {
    let db = test_db().await;

    let found = db
        .sessions()
        .find(&SessionId::from_token("nope"))
        .await
        .unwrap();

    assert!(found.is_none());
}

#[tokio::test]
async fn a_session_for_an_unknown_user_is_not_found() {
    let db = test_db().await;

    let result = db
        .sessions()
        .create(&a_session(&missing_user(), "t", now() + Duration::days(1)))
        .await;

    assert_not_found(result);
    assert_eq!(count(&db, "SELECT count(*) FROM session", "").await, 0);
}

#[tokio::test]
async fn set_expires_at_moves_the_end_of_a_session() {
    let db = test_db().await;
    let me = user(&db).await;
    let id = SessionId::from_token("t");
    db.sessions()
        .create(&a_session(&me.id, "t", now() + Duration::days(1)))
        .await
        .unwrap();
    let later = now() + Duration::days(30);

    db.sessions().set_expires_at(&id, later).await.unwrap();

    let (session, _) = db.sessions().find(&id).await.unwrap().unwrap();
    assert_eq!(session.expires_at, later);
    assert_not_found(
        db.sessions()
            .set_expires_at(&SessionId::from_token("other"), later)
            .await,
    );
}

#[tokio::test]
async fn a_session_check_reads_the_session_its_user_their_settings_and_its_last_use() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let id = SessionId::from_token("t");
    let session = a_session(&me.id, "t", now() + Duration::days(1));
    db.sessions().create(&session).await.unwrap();
    db.sessions()
        .create(&a_session(&other.id, "o", now() + Duration::days(1)))
        .await
        .unwrap();

    // No settings row, no meta row (another tool made the session).
    let check = db
        .sessions()
        .check(&id, now().date_naive())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(check.session, session);
    assert_eq!(check.user.id, me.id);
    assert!(check.settings.is_none() && check.last_used.is_none());

    let preferences = Preferences {
        time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
        ..Preferences::default()
    };
    db.user_settings()
        .save_preferences(&other.id, &Preferences::default())
        .await
        .unwrap();
    db.user_settings()
        .save_preferences(&me.id, &preferences)
        .await
        .unwrap();
    db.session_meta()
        .create(&session, &ClientInfo::default())
        .await
        .unwrap();
    let check = db
        .sessions()
        .check(&id, now().date_naive())
        .await
        .unwrap()
        .unwrap();
    let settings = check.settings.unwrap();
    assert_eq!(
        (settings.user_id, settings.preferences),
        (me.id.clone(), preferences)
    );
    assert!(check.last_used.is_some());

    assert!(db
        .sessions()
        .check(&SessionId::from_token("unknown"), now().date_naive())
        .await
        .unwrap()
        .is_none());
    // A disabled user's session opens nothing (were it left behind).
    db.conn()
        .await
        .unwrap()
        .execute("UPDATE user SET disabled_at = 1 WHERE id = ?1", [&me.id])
        .await
        .unwrap();
    assert!(db
        .sessions()
        .check(&id, now().date_naive())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn deleting_a_session_ends_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let id = SessionId::from_token("t");
    db.sessions()
        .create(&a_session(&me.id, "t", now() + Duration::days(1)))
        .await
        .unwrap();

    db.sessions().delete(&id).await.unwrap();

    assert!(db.sessions().find(&id).await.unwrap().is_none());
    assert_not_found(db.sessions().delete(&id).await);
}

#[tokio::test]
async fn delete_all_for_user_keeps_the_excepted_session_and_other_users_sessions() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let end = now() + Duration::days(1);
    for (owner, token) in [(&a, "a1"), (&a, "a2"), (&a, "a3"), (&b, "b1")] {
        db.sessions()
            .create(&a_session(&owner.id, token, end))
            .await
            .unwrap();
    }
    let keep = SessionId::from_token("a2");

    let ended = db
        .sessions()
        .delete_all_for_user(&a.id, Some(&keep))
        .await
        .unwrap();

    assert_eq!(ended, 2);
    assert!(db.sessions().find(&keep).await.unwrap().is_some());
    assert!(db
        .sessions()
        .find(&SessionId::from_token("a1"))
        .await
        .unwrap()
        .is_none());
    assert!(db
        .sessions()
        .find(&SessionId::from_token("b1"))
        .await
        .unwrap()
        .is_some());

    let ended = db
        .sessions()
        .delete_all_for_user(&a.id, None)
        .await
        .unwrap();

    assert_eq!(ended, 1);
    assert!(db.sessions().find(&keep).await.unwrap().is_none());
    assert_eq!(count(&db, "SELECT count(*) FROM session", "").await, 1);
}

#[tokio::test]
async fn delete_expired_removes_only_sessions_that_are_over() {
    let db = test_db().await;
    let me = user(&db).await;
    let at = now();
    db.sessions()
        .create(&a_session(&me.id, "old", at - Duration::days(1)))
        .await
        .unwrap();
    db.sessions()
        .create(&a_session(&me.id, "now", at))
        .await
        .unwrap();
    db.sessions()
        .create(&a_session(&me.id, "live", at + Duration::days(1)))
        .await
        .unwrap();

    let deleted = db.sessions().delete_expired(at).await.unwrap();

    assert_eq!(deleted, 2);
    assert!(db
        .sessions()
        .find(&SessionId::from_token("live"))
        .await
        .unwrap()
        .is_some());
    assert!(db
        .sessions()
        .find(&SessionId::from_token("old"))
        .await
        .unwrap()
        .is_none());
}

// ---------------------------------------------------------------------------------------------
// Interactions

async fn last_contacted(db: &Db, user: &UserId, id: &ContactId) -> Option<DateTime<Utc>> {
    db.contacts().get(user, id).await.unwrap().last_contacted
}

#[tokio::test]
async fn logging_an_interaction_updates_last_contacted() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    exec(
        &db,
        "UPDATE contact SET last_update = 1000 WHERE id = ?1",
        [ada.id.as_str()],
    )
    .await;

    let logged = db
        .interactions()
        .create(
            &me.id,
            &ada.id,
            &InteractionInput {
                type_: "meeting".into(),
                date: "2024-03-01".into(),
                notes: Some("  Talked about Rust  ".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(logged.contact_id, ada.id);
    assert_eq!(logged.type_, InteractionType::Meeting);
    assert_eq!(logged.date, day("2024-03-01"));
    assert_eq!(logged.notes.as_deref(), Some("Talked about Rust"));
    assert_eq!(
        db.interactions().get(&me.id, &logged.id).await.unwrap(),
        logged
    );
    let contact = db.contacts().get(&me.id, &ada.id).await.unwrap();
    assert_eq!(contact.last_contacted, Some(day("2024-03-01")));
    assert!(contact.last_update.timestamp() > 1000);
}

#[tokio::test]
async fn an_older_interaction_logged_later_does_not_move_last_contacted_back() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    db.interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-03-01"),
        )
        .await
        .unwrap();

    db.interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2023-01-01"),
        )
        .await
        .unwrap();

    assert_eq!(
        last_contacted(&db, &me.id, &ada.id).await,
        Some(day("2024-03-01"))
    );
}

#[tokio::test]
async fn deleting_the_latest_interaction_moves_last_contacted_back_and_the_last_clears_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let older = db
        .interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-01-01"),
        )
        .await
        .unwrap();
    let latest = db
        .interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-03-01"),
        )
        .await
        .unwrap();

    db.interactions().delete(&me.id, &latest.id).await.unwrap();
    assert_eq!(
        last_contacted(&db, &me.id, &ada.id).await,
        Some(day("2024-01-01"))
    );

    db.interactions().delete(&me.id, &older.id).await.unwrap();
    assert_eq!(last_contacted(&db, &me.id, &ada.id).await, None);
    assert_not_found(db.interactions().get(&me.id, &older.id).await);
}

#[tokio::test]
async fn updating_an_interaction_replaces_it_and_refreshes_last_contacted() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    db.interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-01-01"),
        )
        .await
        .unwrap();
    let latest = db
        .interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-03-01"),
        )
        .await
        .unwrap();

    let updated = db
        .interactions()
        .update(
            &me.id,
            &latest.id,
            &InteractionInput {
                type_: "email".into(),
                date: "2023-06-01".into(),
                notes: Some("moved".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(updated.id, latest.id);
    assert_eq!(updated.type_, InteractionType::Email);
    assert_eq!(updated.date, day("2023-06-01"));
    assert_eq!(updated.notes.as_deref(), Some("moved"));
    assert_eq!(
        db.interactions().get(&me.id, &latest.id).await.unwrap(),
        updated
    );
    assert_eq!(
        last_contacted(&db, &me.id, &ada.id).await,
        Some(day("2024-01-01"))
    );
}

#[tokio::test]
async fn interaction_input_parses_a_day_as_midnight_utc() {
    let input = InteractionInput {
        type_: "email".into(),
        date: " 2024-05-31 ".into(),
        notes: Some("  ".into()),
    };

    let new = input.parse().unwrap();

    assert_eq!(new.kind(), InteractionType::Email);
    assert_eq!(new.date(), day("2024-05-31"));
    assert_eq!(new.notes(), None);
}

#[tokio::test]
async fn interaction_input_reports_every_bad_field() {
    let bad = InteractionInput {
        type_: "fax".into(),
        date: "31/05/2024".into(),
        notes: Some("x".repeat(validate::MAX_LONG_TEXT + 1)),
    };
    let blank = InteractionInput::default();
    let out_of_range = InteractionInput {
        type_: "call".into(),
        date: "1899-12-31".into(),
        notes: None,
    };

    assert_eq!(invalid_fields(bad.parse()), ["type", "date", "notes"]);
    assert_eq!(invalid_fields(blank.parse()), ["type", "date"]);
    assert_eq!(invalid_fields(out_of_range.parse()), ["date"]);
}

#[tokio::test]
async fn interaction_types_round_trip_through_their_names() {
    for kind in InteractionType::ALL {
        assert_eq!(InteractionType::parse(kind.as_str()), Ok(kind));
    }
    assert!(InteractionType::parse("Meeting").is_err());
    let json = serde_json::to_value(Interaction {
        id: InteractionId::from("i"),
        contact_id: ContactId::from("c"),
        type_: InteractionType::Message,
        date: day("2024-01-01"),
        notes: None,
        created_at: day("2024-01-01"),
        updated_at: day("2024-01-01"),
        unreadable: Default::default(),
    })
    .unwrap();
    assert_eq!(json["type"], "message");
}

#[tokio::test]
async fn invalid_interactions_are_refused_and_nothing_is_stored() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let logged = db
        .interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-01-01"),
        )
        .await
        .unwrap();
    let bad = InteractionInput {
        type_: "call".into(),
        date: "2101-01-01".into(),
        notes: Some("x".repeat(validate::MAX_LONG_TEXT + 1)),
    };

    // The repository only takes a parsed interaction, and the parse refuses these values:
    // neither a create nor an update can be handed them.
    assert_eq!(invalid_fields(bad.parse()), ["date", "notes"]);
    assert_eq!(
        db.interactions().get(&me.id, &logged.id).await.unwrap(),
        logged
    );
    assert_eq!(count(&db, "SELECT count(*) FROM interaction", "").await, 1);
}

/// A contact's total as its page shows it, and its row in `interaction_count` (-1: none).
async fn counted(db: &Db, user: &UserId, contact: &ContactId) -> (u64, i64) {
    let (_, total) = db
        .interactions()
        .list_for_contact(user, contact, 2, 0)
        .await
        .unwrap();
    let kept = count(
        db,
        "SELECT coalesce((SELECT total FROM interaction_count WHERE contact_id = ?1), -1)",
        contact.as_str(),
    )
    .await;
    (total, kept)
}

/// The total on a contact's page is the count the triggers keep, right after every kind of
/// write: the app's, a raw INSERT of the seed's (Drizzle's) columns, a move to another contact,
/// a delete, and a contact deleted with its history.
#[tokio::test]
async fn a_contacts_interaction_count_is_kept_through_every_write() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let bob = db
        .contacts()
        .create(&me.id, &common::contact("Bob"))
        .await
        .unwrap();
    assert_eq!(counted(&db, &me.id, &ada.id).await, (0, -1));
    let mut logged = Vec::new();
    for day in ["2024-01-01", "2024-02-01", "2024-03-01"] {
        let call = new_interaction(InteractionType::Call, day);
        logged.push(
            db.interactions()
                .create(&me.id, &ada.id, &call)
                .await
                .unwrap(),
        );
    }
    assert_eq!(counted(&db, &me.id, &ada.id).await, (3, 3));
    // The seed's Drizzle client: its own columns, no owner.
    exec(
        &db,
        "INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
         VALUES ('raw-1', ?1, 'email', 1700000000, 'raw', 1700000000, 1700000000)",
        [ada.id.as_str()],
    )
    .await;
    assert_eq!(counted(&db, &me.id, &ada.id).await, (4, 4));
    // Moved to another contact (the studio can): both counts follow, to a contact without a
    // count and to one with a count.
    let move_to_bob = "UPDATE interaction SET contact_id = ?1 WHERE id = ?2";
    exec(&db, move_to_bob, [bob.id.as_str(), "raw-1"]).await;
    assert_eq!(counted(&db, &me.id, &ada.id).await, (3, 3));
    assert_eq!(counted(&db, &me.id, &bob.id).await, (1, 1));
    exec(
        &db,
        "INSERT INTO interaction (id, contact_id, type, date) VALUES ('raw-2', ?1, 'call', 1)",
        [ada.id.as_str()],
    )
    .await;
    exec(&db, move_to_bob, [bob.id.as_str(), "raw-2"]).await;
    assert_eq!(counted(&db, &me.id, &ada.id).await, (3, 3));
    assert_eq!(counted(&db, &me.id, &bob.id).await, (2, 2));
    db.interactions()
        .delete(&me.id, &logged[0].id)
        .await
        .unwrap();
    assert_eq!(counted(&db, &me.id, &ada.id).await, (2, 2));

    // A database whose counts were never filled (a schema pushed without the migration's
    // fill): the page counts, and the next write counts the whole history once.
    exec(&db, "DELETE FROM interaction_count", ()).await;
    assert_eq!(counted(&db, &me.id, &ada.id).await, (2, -1));
    let meeting = new_interaction(InteractionType::Meeting, "2024-04-01");
    db.interactions()
        .create(&me.id, &ada.id, &meeting)
        .await
        .unwrap();
    assert_eq!(counted(&db, &me.id, &ada.id).await, (3, 3));
    // The page reads the kept row, not the history: a row set by hand is what it shows.
    exec(
        &db,
        "UPDATE interaction_count SET total = 1000000 WHERE contact_id = ?1",
        [ada.id.as_str()],
    )
    .await;
    assert_eq!(counted(&db, &me.id, &ada.id).await, (1_000_000, 1_000_000));

    // A contact deleted for good takes its count with it.
    db.contacts().delete(&me.id, &ada.id).await.unwrap();
    let rows = "SELECT count(*) FROM interaction_count WHERE contact_id = ?1";
    assert_eq!(count(&db, rows, ada.id.as_str()).await, 0);
    assert_eq!(counted(&db, &me.id, &bob.id).await, (2, -1));
}

#[tokio::test]
async fn a_missing_interaction_or_contact_is_not_found() {
    let db = test_db().await;
    let me = user(&db).await;
    let id = InteractionId::generate();
    let call = new_interaction(InteractionType::Call, "2024-01-01");

    assert_not_found(db.interactions().get(&me.id, &id).await);
    assert_not_found(db.interactions().update(&me.id, &id, &call).await);
    assert_not_found(db.interactions().delete(&me.id, &id).await);
    assert_not_found(
        db.interactions()
            .create(&me.id, &ContactId::generate(), &call)
            .await,
    );
    assert_not_found(
        db.interactions()
            .list_for_contact(&me.id, &ContactId::generate(), 10, 0)
            .await,
    );
}

#[tokio::test]
async fn another_users_interactions_are_not_found_and_stay_unchanged() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    let logged = db
        .interactions()
        .create(
            &b.id,
            &theirs.id,
            &new_interaction(InteractionType::Call, "2024-03-01"),
        )
        .await
        .unwrap();
    let newer = new_interaction(InteractionType::Email, "2024-06-01");

    assert_not_found(db.interactions().get(&a.id, &logged.id).await);
    assert_not_found(db.interactions().update(&a.id, &logged.id, &newer).await);
    assert_not_found(db.interactions().delete(&a.id, &logged.id).await);
    assert_not_found(db.interactions().create(&a.id, &theirs.id, &newer).await);
    assert_not_found(
        db.interactions()
            .list_for_contact(&a.id, &theirs.id, 10, 0)
            .await,
    );
    let (mine, total) = db
        .interactions()
        .search(
            &a.id,
            &InteractionQuery {
                per_page: 10,
                ..InteractionQuery::default()
            },
        )
        .await
        .unwrap();

    assert!(mine.is_empty());
    assert_eq!(total, 0);
    assert_eq!(
        db.interactions().get(&b.id, &logged.id).await.unwrap(),
        logged
    );
    assert_eq!(count(&db, "SELECT count(*) FROM interaction", "").await, 1);
    assert_eq!(
        last_contacted(&db, &b.id, &theirs.id).await,
        Some(day("2024-03-01"))
    );
}

#[tokio::test]
async fn list_for_contact_pages_latest_first_with_the_total() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let other = db
        .contacts()
        .create(&me.id, &common::contact("Other"))
        .await
        .unwrap();
    for d in [
        "2024-01-05",
        "2024-01-01",
        "2024-01-04",
        "2024-01-02",
        "2024-01-03",
    ] {
        db.interactions()
            .create(&me.id, &ada.id, &new_interaction(InteractionType::Call, d))
            .await
            .unwrap();
    }
    db.interactions()
        .create(
            &me.id,
            &other.id,
            &new_interaction(InteractionType::Call, "2024-02-01"),
        )
        .await
        .unwrap();

    let (first, total) = db
        .interactions()
        .list_for_contact(&me.id, &ada.id, 2, 0)
        .await
        .unwrap();
    let (rest, _) = db
        .interactions()
        .list_for_contact(&me.id, &ada.id, 10, 2)
        .await
        .unwrap();

    assert_eq!(total, 5);
    let dates: Vec<_> = first.iter().chain(&rest).map(|i| i.date).collect();
    assert_eq!(
        dates,
        [
            "2024-01-05",
            "2024-01-04",
            "2024-01-03",
            "2024-01-02",
            "2024-01-01"
        ]
        .map(day)
    );
    assert!(first.iter().chain(&rest).all(|i| i.contact_id == ada.id));
}

#[tokio::test]
async fn interactions_on_the_same_day_list_the_latest_logged_first() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let first = db
        .interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-01-01"),
        )
        .await
        .unwrap();
    let second = db
        .interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Email, "2024-01-01"),
        )
        .await
        .unwrap();
    exec(
        &db,
        "UPDATE interaction SET created_at = 1000 WHERE id = ?1",
        [first.id.as_str()],
    )
    .await;
    exec(
        &db,
        "UPDATE interaction SET created_at = 2000 WHERE id = ?1",
        [second.id.as_str()],
    )
    .await;

    let (listed, _) = db
        .interactions()
        .list_for_contact(&me.id, &ada.id, 10, 0)
        .await
        .unwrap();

    let ids: Vec<_> = listed.into_iter().map(|i| i.id).collect();
    assert_eq!(ids, [second.id, first.id]);
}

#[tokio::test]
async fn searching_interactions_names_the_contacts_and_filters_by_type() {
    let db = test_db().await;
    let me = user(&db).await;
    let b = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let grace = db
        .contacts()
        .create(&me.id, &common::contact("Grace"))
        .await
        .unwrap();
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    db.interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-01-01"),
        )
        .await
        .unwrap();
    db.interactions()
        .create(
            &me.id,
            &grace.id,
            &new_interaction(InteractionType::Email, "2024-02-01"),
        )
        .await
        .unwrap();
    db.interactions()
        .create(
            &me.id,
            &ada.id,
            &new_interaction(InteractionType::Call, "2024-03-01"),
        )
        .await
        .unwrap();
    db.interactions()
        .create(
            &b.id,
            &theirs.id,
            &new_interaction(InteractionType::Call, "2024-04-01"),
        )
        .await
        .unwrap();

    let (all, total) = db
        .interactions()
        .search(
            &me.id,
            &InteractionQuery {
                per_page: 10,
                ..InteractionQuery::default()
            },
        )
        .await
        .unwrap();
    let (calls, calls_total) = db
        .interactions()
        .search(
            &me.id,
            &InteractionQuery {
                kind: Some(InteractionType::Call),
                page: 2,
                per_page: 1,
                ..InteractionQuery::default()
            },
        )
        .await
        .unwrap();

    assert_eq!(total, 3);
    let shown: Vec<_> = all
        .iter()
        .map(|i| {
            (
                i.contact_name.as_str(),
                i.interaction.type_,
                i.interaction.date,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Ada", InteractionType::Call, day("2024-03-01")),
            ("Grace", InteractionType::Email, day("2024-02-01")),
            ("Ada", InteractionType::Call, day("2024-01-01")),
        ]
    );
    assert_eq!(calls_total, 2);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].interaction.date, day("2024-01-01"));
    let json = serde_json::to_value(&calls[0]).unwrap();
    assert_eq!(json["contact_name"], "Ada");
    assert_eq!(json["type"], "call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_queue_instead_of_failing() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();

    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let db = db.db.clone();
            let user = me.id.clone();
            let contact = ada.id.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    let date = day("2024-01-01") + Duration::days(task * 25 + i);
                    let new = InteractionInput {
                        type_: "message".into(),
                        date: date.format("%Y-%m-%d").to_string(),
                        notes: None,
                    }
                    .parse()
                    .unwrap();
                    db.interactions().create(&user, &contact, &new).await?;
                }
                Ok::<_, Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let (_, total) = db
        .interactions()
        .list_for_contact(&me.id, &ada.id, 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 200);
    assert_eq!(
        last_contacted(&db, &me.id, &ada.id).await,
        Some(day("2024-01-01") + Duration::days(199))
    );
}

/// This process's writers wait their turn in the process (in order), not on the database's
/// lock; a write started while the same task holds an open one (a bug) must still answer —
/// on a local file with "database is locked" after the busy timeout — rather than wait
/// forever, and leave nothing half-written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_inside_an_open_one_fails_instead_of_waiting_forever() {
    let db = test_db().await;
    let me = user(&db).await;
    let outer = db.begin_write().await.unwrap();
    // A write of its own, so that a server (where `BEGIN` goes with the first statement) holds
    // the lock too.
    outer
        .contacts()
        .create(&me.id, &common::contact("Outer"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let inner = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        db.contacts().create(&me.id, &common::contact("Nested")),
    )
    .await
    .expect("the nested write answers within a minute");
    // A server may differ: sqld ends a write transaction that has been idle for a while when
    // another waits for the lock, so there the nested write may go through, sooner or later
    // (and the outer unit of work is lost: its rollback may find it gone).
    if db.location().is_local() {
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(5),
            "answered after {:?}: {inner:?}",
            started.elapsed()
        );
    }
    let nested_written = match inner {
        Ok(_) if !db.location().is_local() => true,
        Ok(_) => panic!("the nested write took the lock of a local file"),
        Err(err) => {
            assert!(err.to_string().contains("locked"), "{err}");
            false
        }
    };
    let _ = outer.rollback().await;
    // Once the outer one is over, writes go through again; the outer one left nothing.
    db.contacts()
        .create(&me.id, &common::contact("After"))
        .await
        .unwrap();
    let expected = if nested_written { 2 } else { 1 };
    assert_eq!(db.contacts().counts(&me.id).await.unwrap().total, expected);
}

// ---------------------------------------------------------------------------------------------
// VIP background and contact info

#[tokio::test]
async fn a_contact_has_no_background_until_one_is_saved() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();

    let background = db.backgrounds().get(&me.id, &ada.id).await.unwrap();

    assert!(background.is_none());
}

#[tokio::test]
async fn upserting_a_background_creates_then_replaces_the_one_row() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();

    let first = db
        .backgrounds()
        .upsert(
            &me.id,
            &ada.id,
            &BackgroundInput {
                family: Some(" married, two kids ".into()),
                company: Some("Analytical Engines Ltd".into()),
                likes_dislikes: Some("likes poetry".into()),
                misc_notes: Some("  ".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    exec(
        &db,
        "UPDATE background SET updated_at = 1000 WHERE id = ?1",
        [first.id.as_str()],
    )
    .await;
    let second = db
        .backgrounds()
        .upsert(
            &me.id,
            &ada.id,
            &BackgroundInput {
                company: Some("Babbage & Co".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(first.contact_id, ada.id);
    assert_eq!(first.family.as_deref(), Some("married, two kids"));
    assert_eq!(first.likes_dislikes.as_deref(), Some("likes poetry"));
    assert_eq!(first.misc_notes, None);
    assert_eq!(second.id, first.id);
    assert_eq!(second.created_at, first.created_at);
    assert!(second.updated_at.timestamp() > 1000);
    assert_eq!(second.family, None);
    assert_eq!(second.company.as_deref(), Some("Babbage & Co"));
    assert_eq!(
        db.backgrounds().get(&me.id, &ada.id).await.unwrap(),
        Some(second)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM background", "").await, 1);
}

#[tokio::test]
async fn background_input_limits_every_field_to_long_text() {
    let long = Some("x".repeat(validate::MAX_LONG_TEXT + 1));
    let input = BackgroundInput {
        family: long.clone(),
        company: Some("ok".into()),
        likes_dislikes: long.clone(),
        misc_notes: long,
    };

    assert_eq!(
        invalid_fields(input.parse()),
        ["family", "likes_dislikes", "misc_notes"]
    );
    let ok = BackgroundInput {
        company: Some(" Acme ".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();
    assert_eq!(
        (
            ok.family(),
            ok.company(),
            ok.likes_dislikes(),
            ok.misc_notes()
        ),
        (None, Some("Acme"), None, None)
    );
}

#[tokio::test]
async fn an_invalid_background_is_refused() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let bad = BackgroundInput {
        misc_notes: Some("a\u{0}b".into()),
        ..Default::default()
    };

    // The repository only takes a parsed background, and the parse refuses this value.
    assert_eq!(invalid_fields(bad.parse()), ["misc_notes"]);
    assert!(db
        .backgrounds()
        .get(&me.id, &ada.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn deleting_a_background_removes_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    db.backgrounds()
        .upsert(
            &me.id,
            &ada.id,
            &devhub_db::BackgroundInput::default().parse().unwrap(),
        )
        .await
        .unwrap();

    db.backgrounds().delete(&me.id, &ada.id).await.unwrap();

    assert!(db
        .backgrounds()
        .get(&me.id, &ada.id)
        .await
        .unwrap()
        .is_none());
    assert_not_found(db.backgrounds().delete(&me.id, &ada.id).await);
}

#[tokio::test]
async fn another_users_background_is_not_found_and_stays_unchanged() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    let saved = db
        .backgrounds()
        .upsert(
            &b.id,
            &theirs.id,
            &BackgroundInput {
                family: Some("secret".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let overwrite = BackgroundInput {
        family: Some("overwritten".into()),
        ..Default::default()
    }
    .parse()
    .unwrap();

    assert_not_found(db.backgrounds().get(&a.id, &theirs.id).await);
    assert_not_found(db.backgrounds().upsert(&a.id, &theirs.id, &overwrite).await);
    assert_not_found(db.backgrounds().delete(&a.id, &theirs.id).await);
    assert_not_found(db.backgrounds().get(&a.id, &ContactId::generate()).await);

    assert_eq!(
        db.backgrounds().get(&b.id, &theirs.id).await.unwrap(),
        Some(saved)
    );
}

fn full_info() -> NewContactInfo {
    ContactInfoInput {
        main_app: Some("Signal".into()),
        email: Some(" ada@example.com ".into()),
        phone_number: Some("+44 20 7946 0958".into()),
        social_links: vec![
            "https://github.com/ada".into(),
            "  ".into(),
            " https://mastodon.social/@ada ".into(),
        ],
        ..ContactInfoInput::default()
    }
    .parse()
    .unwrap()
}

#[tokio::test]
async fn upserting_contact_info_stores_normalized_values_and_replaces_them() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    assert!(db
        .contact_infos()
        .get(&me.id, &ada.id)
        .await
        .unwrap()
        .is_none());

    let first = db
        .contact_infos()
        .upsert(&me.id, &ada.id, &full_info())
        .await
        .unwrap();
    let second = db
        .contact_infos()
        .upsert(
            &me.id,
            &ada.id,
            &ContactInfoInput {
                main_app: Some("Slack".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    assert_eq!(first.main_app.as_deref(), Some("Signal"));
    assert_eq!(first.email.as_deref(), Some("ada@example.com"));
    assert_eq!(first.phone_number.as_deref(), Some("+44 20 7946 0958"));
    assert_eq!(
        first.social_links,
        ["https://github.com/ada", "https://mastodon.social/@ada"]
    );
    assert_eq!(second.id, first.id);
    assert_eq!(second.email, None);
    assert!(second.social_links.is_empty());
    assert_eq!(
        db.contact_infos().get(&me.id, &ada.id).await.unwrap(),
        Some(second)
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contact_info WHERE social_links IS NULL",
            ""
        )
        .await,
        1
    );
}

#[tokio::test]
async fn social_links_are_stored_as_a_json_array() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();

    db.contact_infos()
        .upsert(&me.id, &ada.id, &full_info())
        .await
        .unwrap();

    let conn = db.conn().await.unwrap();
    let mut rows = conn
        .query("SELECT social_links FROM contact_info", ())
        .await
        .unwrap();
    let stored: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert_eq!(
        stored,
        r#"["https://github.com/ada","https://mastodon.social/@ada"]"#
    );
}

#[tokio::test]
async fn stored_social_links_that_are_empty_or_malformed_are_read_carefully() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    db.contact_infos()
        .upsert(&me.id, &ada.id, &full_info())
        .await
        .unwrap();

    exec(&db, "UPDATE contact_info SET social_links = '[]'", ()).await;
    let empty = db
        .contact_infos()
        .get(&me.id, &ada.id)
        .await
        .unwrap()
        .unwrap();
    exec(
        &db,
        "UPDATE contact_info SET social_links = '{\"a\": 1}'",
        (),
    )
    .await;
    let malformed = db
        .contact_infos()
        .get(&me.id, &ada.id)
        .await
        .unwrap()
        .unwrap();

    assert!(empty.social_links.is_empty());
    assert!(empty.unreadable.is_empty(), "{empty:?}");
    // Links another tool wrote in another shape are not taken for links: the field is left
    // empty and named as unreadable, and the rest of the row is read.
    assert!(malformed.social_links.is_empty(), "{malformed:?}");
    assert_eq!(malformed.unreadable.columns(), ["social_links"]);
    assert_eq!(malformed.email.as_deref(), Some("ada@example.com"));
}

#[tokio::test]
async fn contact_info_input_reports_every_bad_field() {
    let input = ContactInfoInput {
        main_app: Some("x".repeat(validate::MAX_SHORT_TEXT + 1)),
        email: Some("ada@".into()),
        phone_number: Some("call me".into()),
        social_links: vec!["javascript:alert(1)".into()],
        ..ContactInfoInput::default()
    };
    let blank = ContactInfoInput {
        main_app: Some(" ".into()),
        email: Some(" ".into()),
        phone_number: Some("".into()),
        social_links: vec![" ".into()],
        ..ContactInfoInput::default()
    };

    assert_eq!(
        invalid_fields(input.parse()),
        ["main_app", "email", "phone_number", "social_links"]
    );
    assert!(blank.parse().unwrap().is_empty());
}

#[tokio::test]
async fn invalid_contact_info_is_refused() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let too_many = ContactInfoInput {
        social_links: (0..=validate::MAX_SOCIAL_LINKS)
            .map(|i| format!("https://x.org/{i}"))
            .collect(),
        ..Default::default()
    };

    // The repository only takes parsed contact info, and the parse refuses this value.
    assert_eq!(invalid_fields(too_many.parse()), ["social_links"]);
    assert!(db
        .contact_infos()
        .get(&me.id, &ada.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn deleting_contact_info_removes_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    db.contact_infos()
        .upsert(&me.id, &ada.id, &full_info())
        .await
        .unwrap();

    db.contact_infos().delete(&me.id, &ada.id).await.unwrap();

    assert!(db
        .contact_infos()
        .get(&me.id, &ada.id)
        .await
        .unwrap()
        .is_none());
    assert_not_found(db.contact_infos().delete(&me.id, &ada.id).await);
}

#[tokio::test]
async fn another_users_contact_info_is_not_found_and_stays_unchanged() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    let saved = db
        .contact_infos()
        .upsert(&b.id, &theirs.id, &full_info())
        .await
        .unwrap();

    assert_not_found(db.contact_infos().get(&a.id, &theirs.id).await);
    assert_not_found(
        db.contact_infos()
            .upsert(
                &a.id,
                &theirs.id,
                &devhub_db::ContactInfoInput::default().parse().unwrap(),
            )
            .await,
    );
    assert_not_found(db.contact_infos().delete(&a.id, &theirs.id).await);
    assert_not_found(db.contact_infos().get(&a.id, &ContactId::generate()).await);

    assert_eq!(
        db.contact_infos().get(&b.id, &theirs.id).await.unwrap(),
        Some(saved)
    );
}

// ---------------------------------------------------------------------------------------------
// Follow-ups

fn follow_up_input(due: &str, note: Option<&str>) -> FollowUpInput {
    FollowUpInput {
        due_date: due.to_string(),
        note: note.map(str::to_string),
    }
}

fn follow_up(due: &str, note: Option<&str>) -> NewFollowUp {
    follow_up_input(due, note).parse().unwrap()
}

#[tokio::test]
async fn creating_a_follow_up_stores_it_open() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();

    let created = db
        .follow_ups()
        .create(
            &me.id,
            &ada.id,
            &follow_up("2024-06-01", Some(" send the slides ")),
        )
        .await
        .unwrap();

    assert_eq!(created.contact_id, ada.id);
    assert_eq!(created.due_date, date("2024-06-01"));
    assert_eq!(created.note.as_deref(), Some("send the slides"));
    assert!(!created.completed);
    assert_eq!(created.completed_at, None);
    assert_eq!(
        db.follow_ups().get(&me.id, &created.id).await.unwrap(),
        created
    );
    assert_eq!(
        count(
            &db,
            "SELECT due_date FROM follow_up WHERE id = ?1",
            created.id.as_str()
        )
        .await,
        day("2024-06-01").timestamp()
    );
}

#[tokio::test]
async fn updating_a_follow_up_replaces_the_date_and_note() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let created = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-06-01", Some("a")))
        .await
        .unwrap();

    let updated = db
        .follow_ups()
        .update(&me.id, &created.id, &follow_up("2024-07-15", None))
        .await
        .unwrap();

    assert_eq!(updated.id, created.id);
    assert_eq!(updated.due_date, date("2024-07-15"));
    assert_eq!(updated.note, None);
    assert_eq!(
        db.follow_ups().get(&me.id, &created.id).await.unwrap(),
        updated
    );
}

#[tokio::test]
async fn completing_and_reopening_a_follow_up() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let created = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-06-01", None))
        .await
        .unwrap();
    let before = now();

    let completed = db.follow_ups().complete(&me.id, &created.id).await.unwrap();
    exec(
        &db,
        "UPDATE follow_up SET completed_at = 1000 WHERE id = ?1",
        [created.id.as_str()],
    )
    .await;
    let again = db.follow_ups().complete(&me.id, &created.id).await.unwrap();
    let reopened = db.follow_ups().reopen(&me.id, &created.id).await.unwrap();

    assert!(completed.completed);
    let at = completed.completed_at.unwrap();
    assert!(at >= before && at <= now(), "{at}");
    assert_eq!(again.completed_at.map(|t| t.timestamp()), Some(1000));
    assert!(!reopened.completed);
    assert_eq!(reopened.completed_at, None);
    assert_eq!(
        db.follow_ups().get(&me.id, &created.id).await.unwrap(),
        reopened
    );
}

#[tokio::test]
async fn overdue_means_open_and_due_before_today() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let f = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-06-01", None))
        .await
        .unwrap();

    assert!(f.is_overdue(date("2024-06-02")));
    assert!(!f.is_overdue(date("2024-06-01")));
    let done = db.follow_ups().complete(&me.id, &f.id).await.unwrap();
    assert!(!done.is_overdue(date("2024-06-02")));
}

#[tokio::test]
async fn follow_up_input_reports_every_bad_field() {
    let bad = FollowUpInput {
        due_date: "2024-13-01".into(),
        note: Some("x".repeat(1001)),
    };
    let blank = FollowUpInput::default();
    let out_of_range = FollowUpInput {
        due_date: "2101-01-01".into(),
        note: None,
    };
    let good = FollowUpInput {
        due_date: "2024-06-01".into(),
        note: Some("x".repeat(1000)),
    };

    assert_eq!(invalid_fields(bad.parse()), ["due_date", "note"]);
    assert_eq!(invalid_fields(blank.parse()), ["due_date"]);
    assert_eq!(invalid_fields(out_of_range.parse()), ["due_date"]);
    assert_eq!(good.parse().unwrap().due_date(), date("2024-06-01"));
}

#[tokio::test]
async fn an_invalid_follow_up_is_refused() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let saved = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-06-01", None))
        .await
        .unwrap();
    let bad = follow_up_input("1800-01-01", Some(&"x".repeat(1001)));

    // The repository only takes a parsed follow-up, and the parse refuses these values:
    // neither a create nor an update can be handed them.
    assert_eq!(invalid_fields(bad.parse()), ["due_date", "note"]);
    assert_eq!(db.follow_ups().get(&me.id, &saved.id).await.unwrap(), saved);
}

#[tokio::test]
async fn list_for_contact_shows_open_follow_ups_by_due_date_and_completed_ones_on_request() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let other = db
        .contacts()
        .create(&me.id, &common::contact("Other"))
        .await
        .unwrap();
    let late = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-09-01", None))
        .await
        .unwrap();
    let done = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-01-01", None))
        .await
        .unwrap();
    let soon = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-03-01", None))
        .await
        .unwrap();
    db.follow_ups()
        .create(&me.id, &other.id, &follow_up("2024-02-01", None))
        .await
        .unwrap();
    db.follow_ups().complete(&me.id, &done.id).await.unwrap();

    let open = db
        .follow_ups()
        .list_for_contact(&me.id, &ada.id, false)
        .await
        .unwrap();
    let all = db
        .follow_ups()
        .list_for_contact(&me.id, &ada.id, true)
        .await
        .unwrap();

    let ids = |list: Vec<FollowUp>| list.into_iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(ids(open), [soon.id.clone(), late.id.clone()]);
    assert_eq!(ids(all), [soon.id, late.id, done.id]);
}

#[tokio::test]
async fn list_open_for_user_orders_by_due_date_with_contact_names() {
    let db = test_db().await;
    let me = user(&db).await;
    let b = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let grace = db
        .contacts()
        .create(&me.id, &common::contact("Grace"))
        .await
        .unwrap();
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    db.follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-05-01", Some("later")))
        .await
        .unwrap();
    db.follow_ups()
        .create(&me.id, &grace.id, &follow_up("2024-04-01", Some("first")))
        .await
        .unwrap();
    let done = db
        .follow_ups()
        .create(&me.id, &grace.id, &follow_up("2024-01-01", Some("done")))
        .await
        .unwrap();
    db.follow_ups().complete(&me.id, &done.id).await.unwrap();
    db.follow_ups()
        .create(&b.id, &theirs.id, &follow_up("2024-01-01", Some("theirs")))
        .await
        .unwrap();

    let open = db.follow_ups().list_open_for_user(&me.id).await.unwrap();

    let shown: Vec<_> = open
        .iter()
        .map(|f| {
            (
                f.contact_name.as_str(),
                f.follow_up.note.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(shown, [("Grace", "first"), ("Ada", "later")]);
}

#[tokio::test]
async fn a_missing_follow_up_or_contact_is_not_found() {
    let db = test_db().await;
    let me = user(&db).await;
    let id = FollowUpId::generate();
    let new = follow_up("2024-06-01", None);

    assert_not_found(db.follow_ups().get(&me.id, &id).await);
    assert_not_found(db.follow_ups().update(&me.id, &id, &new).await);
    assert_not_found(db.follow_ups().complete(&me.id, &id).await);
    assert_not_found(db.follow_ups().reopen(&me.id, &id).await);
    assert_not_found(db.follow_ups().delete(&me.id, &id).await);
    assert_not_found(
        db.follow_ups()
            .create(&me.id, &ContactId::generate(), &new)
            .await,
    );
    assert_not_found(
        db.follow_ups()
            .list_for_contact(&me.id, &ContactId::generate(), true)
            .await,
    );
}

#[tokio::test]
async fn deleting_a_follow_up_removes_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let f = db
        .follow_ups()
        .create(&me.id, &ada.id, &follow_up("2024-06-01", None))
        .await
        .unwrap();

    db.follow_ups().delete(&me.id, &f.id).await.unwrap();

    assert_not_found(db.follow_ups().get(&me.id, &f.id).await);
    assert!(db
        .follow_ups()
        .list_for_contact(&me.id, &ada.id, true)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn another_users_follow_ups_are_not_found_and_stay_unchanged() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    let saved = db
        .follow_ups()
        .create(&b.id, &theirs.id, &follow_up("2024-06-01", Some("x")))
        .await
        .unwrap();
    let new = follow_up("2030-01-01", None);

    assert_not_found(db.follow_ups().get(&a.id, &saved.id).await);
    assert_not_found(db.follow_ups().update(&a.id, &saved.id, &new).await);
    assert_not_found(db.follow_ups().complete(&a.id, &saved.id).await);
    assert_not_found(db.follow_ups().reopen(&a.id, &saved.id).await);
    assert_not_found(db.follow_ups().delete(&a.id, &saved.id).await);
    assert_not_found(db.follow_ups().create(&a.id, &theirs.id, &new).await);
    assert_not_found(
        db.follow_ups()
            .list_for_contact(&a.id, &theirs.id, true)
            .await,
    );
    assert!(db
        .follow_ups()
        .list_open_for_user(&a.id)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(db.follow_ups().get(&b.id, &saved.id).await.unwrap(), saved);
    assert_eq!(count(&db, "SELECT count(*) FROM follow_up", "").await, 1);
}

// ---------------------------------------------------------------------------------------------
// Tags

fn tag_input(name: &str, color: Option<&str>) -> TagInput {
    TagInput {
        name: name.into(),
        color: color.map(str::to_string),
    }
}

fn tag(name: &str, color: Option<&str>) -> NewTag {
    tag_input(name, color).parse().unwrap()
}

#[tokio::test]
async fn creating_a_tag_stores_its_trimmed_name_and_lowercase_color() {
    let db = test_db().await;
    let me = user(&db).await;

    let created = db
        .tags()
        .create(&me.id, &tag("  Rustaceans ", Some("#FF8800")))
        .await
        .unwrap();

    assert_eq!(created.user_id, me.id);
    assert_eq!(created.name, "Rustaceans");
    assert_eq!(created.color.as_deref(), Some("#ff8800"));
    assert_eq!(db.tags().get(&me.id, &created.id).await.unwrap(), created);
}

#[tokio::test]
async fn a_tag_name_the_user_already_has_is_a_conflict_on_name_ignoring_case() {
    let db = test_db().await;
    let me = user(&db).await;
    let b = user(&db).await;
    db.tags().create(&me.id, &tag("Rust", None)).await.unwrap();
    let other = db.tags().create(&me.id, &tag("Go", None)).await.unwrap();

    let created = db
        .tags()
        .create(&me.id, &tag("RUST", None))
        .await
        .unwrap_err();
    let renamed = db
        .tags()
        .update(&me.id, &other.id, &tag("rust", None))
        .await
        .unwrap_err();
    let someone_elses = db.tags().create(&b.id, &tag("rust", None)).await;

    assert!(
        matches!(created, Error::Conflict { field: "name", .. }),
        "{created:?}"
    );
    assert!(
        matches!(renamed, Error::Conflict { field: "name", .. }),
        "{renamed:?}"
    );
    assert!(someone_elses.is_ok());
    assert_eq!(db.tags().get(&me.id, &other.id).await.unwrap().name, "Go");
    assert_eq!(db.tags().list(&me.id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn tag_input_reports_every_bad_field() {
    let bad = TagInput {
        name: "x".repeat(51),
        color: Some("crimson".into()),
    };
    let blank = TagInput {
        name: " ".into(),
        color: Some(" ".into()),
    };
    let good = TagInput {
        name: "x".repeat(50),
        color: Some("#3B82F6".into()),
    };

    assert_eq!(invalid_fields(bad.parse()), ["name", "color"]);
    assert_eq!(invalid_fields(blank.parse()), ["name"]);
    assert_eq!(good.parse().unwrap().color(), Some("#3b82f6"));
}

#[tokio::test]
async fn an_invalid_tag_is_refused() {
    let db = test_db().await;
    let me = user(&db).await;
    let saved = db.tags().create(&me.id, &tag("Rust", None)).await.unwrap();
    let bad = tag_input("", Some("#12345"));

    // The repository only takes a parsed tag, and the parse refuses these values: neither a
    // create nor an update can be handed them.
    assert_eq!(invalid_fields(bad.parse()), ["name", "color"]);
    assert_eq!(db.tags().list(&me.id).await.unwrap(), [saved]);
}

#[tokio::test]
async fn creating_a_tag_for_an_unknown_user_is_not_found() {
    let db = test_db().await;

    assert_not_found(db.tags().create(&missing_user(), &tag("Rust", None)).await);
}

#[tokio::test]
async fn updating_a_tag_renames_and_recolors_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let saved = db
        .tags()
        .create(&me.id, &tag("Rust", Some("#000000")))
        .await
        .unwrap();

    let updated = db
        .tags()
        .update(&me.id, &saved.id, &tag("Rustaceans", None))
        .await
        .unwrap();
    let recased = db
        .tags()
        .update(&me.id, &saved.id, &tag("rustaceans", None))
        .await
        .unwrap();

    assert_eq!(updated.name, "Rustaceans");
    assert_eq!(updated.color, None);
    assert_eq!(recased.name, "rustaceans");
    assert_eq!(db.tags().get(&me.id, &saved.id).await.unwrap(), recased);
}

#[tokio::test]
async fn listing_tags_orders_them_by_name_ignoring_case() {
    let db = test_db().await;
    let me = user(&db).await;
    let b = user(&db).await;
    for name in ["go", "Zig", "Rust"] {
        db.tags().create(&me.id, &tag(name, None)).await.unwrap();
    }
    db.tags().create(&b.id, &tag("Theirs", None)).await.unwrap();

    let tags = db.tags().list(&me.id).await.unwrap();

    let names: Vec<_> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["go", "Rust", "Zig"]);
}

#[tokio::test]
async fn attaching_a_tag_is_idempotent_and_detaching_takes_it_off() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let bob = db
        .contacts()
        .create(&me.id, &common::contact("Bob"))
        .await
        .unwrap();
    let rust = db.tags().create(&me.id, &tag("Rust", None)).await.unwrap();
    let go = db.tags().create(&me.id, &tag("Go", None)).await.unwrap();

    db.tags().attach(&me.id, &ada.id, &rust.id).await.unwrap();
    db.tags().attach(&me.id, &ada.id, &rust.id).await.unwrap();
    db.tags().attach(&me.id, &ada.id, &go.id).await.unwrap();
    db.tags().attach(&me.id, &bob.id, &rust.id).await.unwrap();

    let ada_tags = db.tags().tags_for_contact(&me.id, &ada.id).await.unwrap();
    assert_eq!(ada_tags, [go.clone(), rust.clone()]);
    assert_eq!(
        db.tags().contacts_with_tag(&me.id, &rust.id).await.unwrap(),
        [ada.id.clone(), bob.id.clone()]
    );
    assert_eq!(count(&db, "SELECT count(*) FROM contact_tag", "").await, 3);

    db.tags().detach(&me.id, &ada.id, &rust.id).await.unwrap();
    db.tags().detach(&me.id, &ada.id, &rust.id).await.unwrap();

    assert_eq!(
        db.tags().tags_for_contact(&me.id, &ada.id).await.unwrap(),
        [go]
    );
    assert_eq!(
        db.tags().contacts_with_tag(&me.id, &rust.id).await.unwrap(),
        [bob.id]
    );
}

#[tokio::test]
async fn deleting_a_tag_takes_it_off_every_contact() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let rust = db.tags().create(&me.id, &tag("Rust", None)).await.unwrap();
    db.tags().attach(&me.id, &ada.id, &rust.id).await.unwrap();

    db.tags().delete(&me.id, &rust.id).await.unwrap();

    assert_not_found(db.tags().get(&me.id, &rust.id).await);
    assert!(db
        .tags()
        .tags_for_contact(&me.id, &ada.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM contact_tag", "").await, 0);
    assert_not_found(db.tags().delete(&me.id, &rust.id).await);
}

#[tokio::test]
async fn a_missing_tag_or_contact_is_not_found() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = db
        .contacts()
        .create(&me.id, &common::contact("Ada"))
        .await
        .unwrap();
    let rust = db.tags().create(&me.id, &tag("Rust", None)).await.unwrap();
    let no_tag = TagId::generate();
    let no_contact = ContactId::generate();

    assert_not_found(db.tags().get(&me.id, &no_tag).await);
    assert_not_found(db.tags().update(&me.id, &no_tag, &tag("x", None)).await);
    assert_not_found(db.tags().delete(&me.id, &no_tag).await);
    assert_not_found(db.tags().attach(&me.id, &ada.id, &no_tag).await);
    assert_not_found(db.tags().attach(&me.id, &no_contact, &rust.id).await);
    assert_not_found(db.tags().detach(&me.id, &ada.id, &no_tag).await);
    assert_not_found(db.tags().detach(&me.id, &no_contact, &rust.id).await);
    assert_not_found(db.tags().tags_for_contact(&me.id, &no_contact).await);
    assert_not_found(db.tags().contacts_with_tag(&me.id, &no_tag).await);
}

#[tokio::test]
async fn another_users_tags_are_not_found_and_stay_unchanged() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let mine = db
        .contacts()
        .create(&a.id, &common::contact("Mine"))
        .await
        .unwrap();
    let my_tag = db.tags().create(&a.id, &tag("Mine", None)).await.unwrap();
    let theirs = db
        .contacts()
        .create(&b.id, &common::contact("Theirs"))
        .await
        .unwrap();
    let their_tag = db
        .tags()
        .create(&b.id, &tag("Secret", Some("#ff0000")))
        .await
        .unwrap();
    db.tags()
        .attach(&b.id, &theirs.id, &their_tag.id)
        .await
        .unwrap();

    assert_not_found(db.tags().get(&a.id, &their_tag.id).await);
    assert_not_found(
        db.tags()
            .update(&a.id, &their_tag.id, &tag("Hacked", None))
            .await,
    );
    assert_not_found(db.tags().delete(&a.id, &their_tag.id).await);
    assert_not_found(db.tags().attach(&a.id, &mine.id, &their_tag.id).await);
    assert_not_found(db.tags().attach(&a.id, &theirs.id, &my_tag.id).await);
    assert_not_found(db.tags().detach(&a.id, &theirs.id, &their_tag.id).await);
    assert_not_found(db.tags().tags_for_contact(&a.id, &theirs.id).await);
    assert_not_found(db.tags().contacts_with_tag(&a.id, &their_tag.id).await);
    assert_eq!(db.tags().list(&a.id).await.unwrap(), [my_tag]);

    assert_eq!(
        db.tags().get(&b.id, &their_tag.id).await.unwrap(),
        their_tag
    );
    assert_eq!(
        db.tags().tags_for_contact(&b.id, &theirs.id).await.unwrap(),
        [their_tag]
    );
    assert_eq!(count(&db, "SELECT count(*) FROM contact_tag", "").await, 1);
}

// ---------------------------------------------------------------------------------------------
// API tokens

#[tokio::test]
async fn a_created_token_is_found_by_its_hash() {
    let db = test_db().await;
    let me = user(&db).await;
    let hash = sha256_hex("devhub_secret");
    let expires = now() + Duration::days(90);

    let created = db
        .api_tokens()
        .create(&me.id, " laptop ", &hash, Some(expires))
        .await
        .unwrap();
    let found = db.api_tokens().find_by_hash(&hash).await.unwrap();

    assert_eq!(created.name, "laptop");
    assert_eq!(created.user_id, me.id);
    assert_eq!(created.token_hash, hash);
    assert_eq!(created.expires_at, Some(expires));
    assert_eq!(created.last_used_at, None);
    assert!(!created.is_expired(now()));
    assert!(created.is_expired(expires));
    assert_eq!(found, Some(created));
    assert!(db
        .api_tokens()
        .find_by_hash(&sha256_hex("other"))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_token_without_expiry_never_expires() {
    let db = test_db().await;
    let me = user(&db).await;

    let token = db
        .api_tokens()
        .create(&me.id, "ci", &sha256_hex("t"), None)
        .await
        .unwrap();

    assert_eq!(token.expires_at, None);
    assert!(!token.is_expired(now() + Duration::days(10_000)));
}

#[tokio::test]
async fn token_validation_reports_every_bad_field() {
    let db = test_db().await;
    let me = user(&db).await;

    let result = db
        .api_tokens()
        .create(&me.id, " ", "not-a-hash", Some(now() - Duration::days(1)))
        .await;
    let too_long = db
        .api_tokens()
        .create(&me.id, &"x".repeat(101), &sha256_hex("t"), None)
        .await;
    let upper = db
        .api_tokens()
        .create(&me.id, "ok", &sha256_hex("t").to_uppercase(), None)
        .await;

    assert_eq!(invalid_fields(result), ["name", "token_hash", "expires_at"]);
    assert_eq!(invalid_fields(too_long), ["name"]);
    assert_eq!(invalid_fields(upper), ["token_hash"]);
    assert!(db.api_tokens().list(&me.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_token_hash_in_use_or_an_unknown_owner_is_refused() {
    let db = test_db().await;
    let me = user(&db).await;
    db.api_tokens()
        .create(&me.id, "one", &sha256_hex("t"), None)
        .await
        .unwrap();

    let again = db
        .api_tokens()
        .create(&me.id, "two", &sha256_hex("t"), None)
        .await;
    let nobody = db
        .api_tokens()
        .create(&missing_user(), "x", &sha256_hex("u"), None)
        .await;

    assert!(
        matches!(
            again,
            Err(Error::Conflict {
                field: "token_hash",
                ..
            })
        ),
        "{again:?}"
    );
    assert_not_found(nobody);
}

#[tokio::test]
async fn touching_a_token_records_its_last_use() {
    let db = test_db().await;
    let me = user(&db).await;
    let token = db
        .api_tokens()
        .create(&me.id, "ci", &sha256_hex("t"), None)
        .await
        .unwrap();
    let used = now() + Duration::minutes(5);

    db.api_tokens().touch(&token.id, used).await.unwrap();

    let found = db
        .api_tokens()
        .find_by_hash(&token.token_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.last_used_at, Some(used));
    assert_not_found(db.api_tokens().touch(&ApiTokenId::generate(), used).await);
}

#[tokio::test]
async fn listing_tokens_shows_the_users_own_newest_first() {
    let db = test_db().await;
    let me = user(&db).await;
    let b = user(&db).await;
    let old = db
        .api_tokens()
        .create(&me.id, "old", &sha256_hex("1"), None)
        .await
        .unwrap();
    let new = db
        .api_tokens()
        .create(&me.id, "new", &sha256_hex("2"), None)
        .await
        .unwrap();
    db.api_tokens()
        .create(&b.id, "theirs", &sha256_hex("3"), None)
        .await
        .unwrap();
    exec(
        &db,
        "UPDATE api_token SET created_at = 1000 WHERE id = ?1",
        [old.id.as_str()],
    )
    .await;

    let tokens = db.api_tokens().list(&me.id).await.unwrap();

    let names: Vec<_> = tokens.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["new", "old"]);
    assert_eq!(tokens[0], new);
}

#[tokio::test]
async fn deleting_a_token_revokes_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let token = db
        .api_tokens()
        .create(&me.id, "ci", &sha256_hex("t"), None)
        .await
        .unwrap();

    db.api_tokens().delete(&me.id, &token.id).await.unwrap();

    assert!(db
        .api_tokens()
        .find_by_hash(&token.token_hash)
        .await
        .unwrap()
        .is_none());
    assert_not_found(db.api_tokens().delete(&me.id, &token.id).await);
}

#[tokio::test]
async fn another_users_token_cannot_be_deleted() {
    let db = test_db().await;
    let a = user(&db).await;
    let b = user(&db).await;
    let theirs = db
        .api_tokens()
        .create(&b.id, "theirs", &sha256_hex("t"), None)
        .await
        .unwrap();

    assert_not_found(db.api_tokens().delete(&a.id, &theirs.id).await);

    assert!(db.api_tokens().list(&a.id).await.unwrap().is_empty());
    assert_eq!(
        db.api_tokens()
            .find_by_hash(&theirs.token_hash)
            .await
            .unwrap(),
        Some(theirs)
    );
}

#[tokio::test]
async fn a_tokens_debug_and_json_output_hide_the_hash() {
    let db = test_db().await;
    let me = user(&db).await;
    let hash = sha256_hex("t");
    let token = db
        .api_tokens()
        .create(&me.id, "ci", &hash, None)
        .await
        .unwrap();

    let debug = format!("{token:?}");
    let json = serde_json::to_string(&token).unwrap();

    assert!(!debug.contains(&hash), "{debug}");
    assert!(debug.contains("[redacted]"));
    assert!(!json.contains(&hash), "{json}");
    assert!(json.contains("\"name\":\"ci\""));
}

#[tokio::test]
async fn blank_optional_fields_of_a_new_contact_are_stored_as_absent_and_texts_trimmed() {
    let db = common::test_db().await;
    let ada = common::user(&db).await;
    let new = parsed(ContactInput {
        name: "  Grace  ".into(),
        relationship: Some("   ".into()),
        industry: Some(" Compilers ".into()),
        ..Default::default()
    });

    let created = db.contacts().create(&ada.id, &new).await.unwrap();
    let updated = db
        .contacts()
        .update(&ada.id, &created.id, &new)
        .await
        .unwrap();

    for c in [created, updated] {
        assert_eq!(c.name, "Grace");
        assert_eq!(c.relationship, None);
        assert_eq!(c.industry.as_deref(), Some("Compilers"));
    }
}

// AuthAttemptRepo: the rate limits' windows and back-offs, and the known devices

#[tokio::test]
async fn auth_attempts_slide_per_key_and_store_no_key_in_the_clear() {
    use devhub_db::Rule;
    use std::time::Duration;
    let db = test_db().await;
    let attempts = db.auth_attempts();
    let window = |limit| Rule::Window {
        limit,
        window: Duration::from_secs(60),
    };
    let t0 = chrono::Utc::now();
    let at = |s: i64| t0 + chrono::Duration::seconds(s);
    let ip = vec![("login-ip:10.0.0.1".to_string(), window(2))];
    let both = vec![
        ("login-ip:10.0.0.1".to_string(), window(2)),
        ("login-user:ada".to_string(), window(2)),
    ];
    assert!(attempts.hit(&ip, at(0)).await.unwrap().is_ok());
    assert!(attempts.hit(&ip, at(1)).await.unwrap().is_ok());
    // Full: refused until the oldest attempt leaves the window, and not counted.
    assert_eq!(
        attempts.hit(&ip, at(10)).await.unwrap(),
        Err(Duration::from_secs(50))
    );
    // One full key refuses an attempt under several, and records it under none.
    assert!(attempts.hit(&both, at(10)).await.unwrap().is_err());
    let other = vec![("login-user:ada".to_string(), window(1))];
    assert!(attempts.hit(&other, at(11)).await.unwrap().is_ok());
    // The window slides: at 60.5 s the first attempt has left it, the second not yet.
    let half = t0 + chrono::Duration::milliseconds(60_500);
    assert!(attempts.hit(&ip, half).await.unwrap().is_ok());
    assert_eq!(
        attempts.hit(&ip, half).await.unwrap(),
        Err(Duration::from_millis(500))
    );

    let stored: String = {
        let conn = db.conn().await.unwrap();
        let mut rows = conn
            .query("SELECT group_concat(key, ' ') FROM auth_attempt", ())
            .await
            .unwrap();
        rows.next().await.unwrap().unwrap().get(0).unwrap()
    };
    assert!(
        !stored.contains("10.0.0.1") && !stored.contains("ada"),
        "{stored}"
    );
    // Attempts at 0 and 1 (ip), 11 (ada) and 60.5 (ip): a sweep at 30 s leaves the last.
    assert_eq!(attempts.sweep(at(30)).await.unwrap(), 3);
    assert_eq!(count(&db, "SELECT count(*) FROM auth_attempt", "").await, 1);
}

#[tokio::test]
async fn a_backoff_doubles_its_wait_and_a_forgotten_attempt_counts_for_nothing() {
    use devhub_db::Rule;
    use std::time::Duration;
    let db = test_db().await;
    let attempts = db.auth_attempts();
    let user = vec![(
        "login-user:ada".to_string(),
        Rule::Backoff {
            free: 2,
            window: Duration::from_secs(900),
            cap: Duration::from_secs(60),
        },
    )];
    let t0 = chrono::Utc::now();
    let at = |ms: i64| t0 + chrono::Duration::milliseconds(ms);
    // Two free attempts; a third right after them waits 1 s from the newest.
    assert!(attempts.hit(&user, at(0)).await.unwrap().is_ok());
    assert!(attempts.hit(&user, at(100)).await.unwrap().is_ok());
    assert_eq!(
        attempts.hit(&user, at(600)).await.unwrap(),
        Err(Duration::from_millis(500))
    );
    // Once waited, it goes through; the next waits 2 s, then 4 s.
    assert!(attempts.hit(&user, at(1_100)).await.unwrap().is_ok());
    assert_eq!(
        attempts.hit(&user, at(1_100)).await.unwrap(),
        Err(Duration::from_secs(2))
    );
    let recorded = attempts.hit(&user, at(3_100)).await.unwrap().unwrap();
    assert_eq!(
        attempts.hit(&user, at(3_100)).await.unwrap(),
        Err(Duration::from_secs(4))
    );
    // That last attempt succeeded: taken back, the wait is counted as if it never was (2 s
    // from the attempt at 1.1 s: over at 3.1 s).
    attempts.forget(&recorded).await.unwrap();
    assert!(attempts.hit(&user, at(3_100)).await.unwrap().is_ok());
}

#[tokio::test]
async fn a_known_device_is_known_for_its_user_alone_for_a_year() {
    let db = test_db().await;
    let ada = user(&db).await;
    let bob = user(&db).await;
    let attempts = db.auth_attempts();
    let t0 = chrono::Utc::now();
    assert!(!attempts.is_known_device(&ada.id, "tok", t0).await.unwrap());
    attempts.remember_device(&ada.id, "tok", t0).await.unwrap();
    assert!(attempts.is_known_device(&ada.id, "tok", t0).await.unwrap());
    assert!(!attempts.is_known_device(&bob.id, "tok", t0).await.unwrap());
    assert!(!attempts
        .is_known_device(&ada.id, "other", t0)
        .await
        .unwrap());
    // A browser shared by two users is known for both; remembering again is no error.
    attempts.remember_device(&bob.id, "tok", t0).await.unwrap();
    attempts.remember_device(&ada.id, "tok", t0).await.unwrap();
    assert!(attempts.is_known_device(&bob.id, "tok", t0).await.unwrap());
    // The token is not stored in the clear.
    let ids = count(
        &db,
        "SELECT count(*) FROM known_device WHERE id LIKE '%tok%'",
        "",
    )
    .await;
    assert_eq!(ids, 0);
    // Unused for a year: forgotten, and swept.
    let later = t0 + chrono::Duration::days(366);
    assert!(!attempts
        .is_known_device(&ada.id, "tok", later)
        .await
        .unwrap());
    attempts.sweep(later).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM known_device", "").await, 0);
    // A deleted account takes its devices along.
    attempts.remember_device(&ada.id, "tok", t0).await.unwrap();
    attempts.remember_device(&bob.id, "tok", t0).await.unwrap();
    db.users().delete(&ada.id).await.unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM known_device", "").await, 1);
    assert!(attempts.is_known_device(&bob.id, "tok", t0).await.unwrap());
}
