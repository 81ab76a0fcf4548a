//! The queries behind the interactions log and the dashboard: `InteractionRepo::search` and
//! `count`, and `ContactRepo::counts`, `active_vips`, `active_birthdays`, and `CadenceRepo::due`,
//! against a real migrated database file.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use devhub_db::repo::contact::{ContactBirthday, ContactCounts};
use devhub_db::repo::interaction::InteractionQuery;
use devhub_db::*;
use libsql::params;

use common::{test_db, user};

/// Midnight UTC of `YYYY-MM-DD`.
fn day(s: &str) -> DateTime<Utc> {
    date(s).and_hms_opt(0, 0, 0).unwrap().and_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn exec(db: &Db, sql: &str, params: impl libsql::params::IntoParams) {
    let conn = db.conn().await.unwrap();
    conn.execute(sql, params).await.unwrap();
}

async fn contact(db: &Db, user: &UserId, input: ContactInput) -> Contact {
    db.contacts()
        .create(user, &input.parse().unwrap())
        .await
        .unwrap()
}

fn named(name: &str) -> ContactInput {
    ContactInput {
        name: name.to_string(),
        ..ContactInput::default()
    }
}

fn vip(name: &str) -> ContactInput {
    ContactInput {
        vip: true,
        ..named(name)
    }
}

fn archived(input: ContactInput) -> ContactInput {
    ContactInput {
        status: Some(ContactStatus::Archived.as_str().to_string()),
        ..input
    }
}

async fn log(
    db: &Db,
    user: &UserId,
    contact: &ContactId,
    kind: InteractionType,
    on: &str,
    notes: Option<&str>,
) -> Interaction {
    let new = InteractionInput {
        type_: kind.as_str().to_string(),
        date: on.to_string(),
        notes: notes.map(str::to_string),
    }
    .parse()
    .unwrap();
    assert_eq!(new.date(), day(on));
    db.interactions().create(user, contact, &new).await.unwrap()
}

/// `(contact name, date, notes)` of each row, in order.
fn rows(found: &[InteractionWithContact]) -> Vec<(String, String, Option<String>)> {
    found
        .iter()
        .map(|r| {
            (
                r.contact_name.clone(),
                r.interaction.date.format("%Y-%m-%d").to_string(),
                r.interaction.notes.clone(),
            )
        })
        .collect()
}

fn dates(found: &[InteractionWithContact]) -> Vec<String> {
    found
        .iter()
        .map(|r| r.interaction.date.format("%Y-%m-%d").to_string())
        .collect()
}

async fn search(db: &Db, user: &UserId, query: InteractionQuery) -> (Vec<String>, u64) {
    let (found, total) = db.interactions().search(user, &query).await.unwrap();
    (dates(&found), total)
}

fn names(contacts: &[Contact]) -> Vec<&str> {
    contacts.iter().map(|c| c.name.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// InteractionRepo::search and count

#[tokio::test]
async fn search_lists_only_the_users_interactions_latest_first_with_contact_names() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let ada = contact(&db, &me.id, named("Ada")).await;
    let grace = contact(&db, &me.id, named("Grace")).await;
    let theirs = contact(&db, &other.id, named("Mallory")).await;
    log(
        &db,
        &me.id,
        &ada.id,
        InteractionType::Call,
        "2024-01-05",
        Some("first"),
    )
    .await;
    log(
        &db,
        &me.id,
        &grace.id,
        InteractionType::Email,
        "2024-03-01",
        None,
    )
    .await;
    log(
        &db,
        &me.id,
        &ada.id,
        InteractionType::Meeting,
        "2024-02-10",
        Some("x"),
    )
    .await;
    log(
        &db,
        &other.id,
        &theirs.id,
        InteractionType::Call,
        "2024-02-11",
        None,
    )
    .await;

    let (found, total) = db
        .interactions()
        .search(&me.id, &InteractionQuery::default())
        .await
        .unwrap();

    assert_eq!(total, 3);
    assert_eq!(
        rows(&found),
        [
            ("Grace".into(), "2024-03-01".into(), None),
            ("Ada".into(), "2024-02-10".into(), Some("x".into())),
            ("Ada".into(), "2024-01-05".into(), Some("first".into())),
        ]
    );
    assert_eq!(found[1].interaction.type_, InteractionType::Meeting);
    assert_eq!(found[1].interaction.contact_id, ada.id);
}

#[tokio::test]
async fn search_filters_by_type_and_by_an_inclusive_date_range() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = contact(&db, &me.id, named("Ada")).await;
    for (kind, on) in [
        (InteractionType::Call, "2024-02-29"),
        (InteractionType::Call, "2024-03-01"),
        (InteractionType::Email, "2024-03-15"),
        (InteractionType::Call, "2024-03-31"),
        (InteractionType::Call, "2024-04-01"),
    ] {
        log(&db, &me.id, &ada.id, kind, on, None).await;
    }
    // Another client may store a time of day: it still belongs to its calendar day.
    exec(
        &db,
        "INSERT INTO interaction (id, contact_id, type, date) VALUES ('late', ?1, 'message', ?2)",
        params![
            ada.id.as_str(),
            (day("2024-03-31") + Duration::hours(23)).timestamp()
        ],
    )
    .await;

    let march = InteractionQuery {
        from: Some(date("2024-03-01")),
        to: Some(date("2024-03-31")),
        ..InteractionQuery::default()
    };
    assert_eq!(
        search(&db, &me.id, march.clone()).await,
        (
            vec![
                "2024-03-31".into(),
                "2024-03-31".into(),
                "2024-03-15".into(),
                "2024-03-01".into()
            ],
            4
        )
    );
    let march_calls = InteractionQuery {
        kind: Some(InteractionType::Call),
        ..march.clone()
    };
    assert_eq!(
        search(&db, &me.id, march_calls).await,
        (vec!["2024-03-31".into(), "2024-03-01".into()], 2)
    );
    let from_only = InteractionQuery {
        from: Some(date("2024-03-31")),
        ..InteractionQuery::default()
    };
    assert_eq!(search(&db, &me.id, from_only).await.1, 3);
    let to_only = InteractionQuery {
        to: Some(date("2024-02-29")),
        ..InteractionQuery::default()
    };
    assert_eq!(
        search(&db, &me.id, to_only).await,
        (vec!["2024-02-29".into()], 1)
    );
    let one_day = InteractionQuery {
        from: Some(date("2024-03-15")),
        to: Some(date("2024-03-15")),
        ..InteractionQuery::default()
    };
    assert_eq!(search(&db, &me.id, one_day).await.1, 1);
    let backwards = InteractionQuery {
        from: Some(date("2024-04-01")),
        to: Some(date("2024-03-01")),
        ..InteractionQuery::default()
    };
    assert_eq!(search(&db, &me.id, backwards).await, (vec![], 0));
    let emails = InteractionQuery {
        kind: Some(InteractionType::Email),
        ..InteractionQuery::default()
    };
    assert_eq!(
        search(&db, &me.id, emails).await,
        (vec!["2024-03-15".into()], 1)
    );
}

#[tokio::test]
async fn search_text_matches_notes_or_contact_name_inside_words_ignoring_case() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let ada = contact(&db, &me.id, named("Ada Lovelace")).await;
    let grace = contact(&db, &me.id, named("Grace Hopper")).await;
    let theirs = contact(&db, &other.id, named("Ada Clone")).await;
    log(
        &db,
        &me.id,
        &ada.id,
        InteractionType::Call,
        "2024-01-01",
        Some("Analytical engine"),
    )
    .await;
    log(
        &db,
        &me.id,
        &grace.id,
        InteractionType::Call,
        "2024-01-02",
        Some("COBOL and compilers"),
    )
    .await;
    log(
        &db,
        &me.id,
        &grace.id,
        InteractionType::Call,
        "2024-01-03",
        None,
    )
    .await;
    log(
        &db,
        &other.id,
        &theirs.id,
        InteractionType::Call,
        "2024-01-04",
        Some("lovelace"),
    )
    .await;

    let text = |q: &str| InteractionQuery {
        search: Some(q.into()),
        ..InteractionQuery::default()
    };
    // By the contact's name, inside a word, any case: every one of Grace's interactions.
    assert_eq!(
        search(&db, &me.id, text("hOPP")).await,
        (vec!["2024-01-03".into(), "2024-01-02".into()], 2)
    );
    // By the notes.
    assert_eq!(
        search(&db, &me.id, text("compil")).await,
        (vec!["2024-01-02".into()], 1)
    );
    // Name or notes, never another user's.
    assert_eq!(
        search(&db, &me.id, text("LOVELACE")).await,
        (vec!["2024-01-01".into()], 1)
    );
    assert_eq!(
        search(&db, &me.id, text("  ")).await.1,
        3,
        "blank: no filter"
    );
    assert_eq!(search(&db, &me.id, text("nothing like it")).await.1, 0);
}

#[tokio::test]
async fn search_treats_percent_and_underscore_literally() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = contact(&db, &me.id, named("Ada")).await;
    log(
        &db,
        &me.id,
        &ada.id,
        InteractionType::Email,
        "2024-01-01",
        Some("raised 50% more"),
    )
    .await;
    log(
        &db,
        &me.id,
        &ada.id,
        InteractionType::Email,
        "2024-01-02",
        Some("raised 50 more"),
    )
    .await;
    log(
        &db,
        &me.id,
        &ada.id,
        InteractionType::Email,
        "2024-01-03",
        Some("snake_case"),
    )
    .await;
    log(
        &db,
        &me.id,
        &ada.id,
        InteractionType::Email,
        "2024-01-04",
        Some("snakeXcase"),
    )
    .await;

    let text = |q: &str| InteractionQuery {
        search: Some(q.into()),
        ..InteractionQuery::default()
    };
    assert_eq!(
        search(&db, &me.id, text("50%")).await,
        (vec!["2024-01-01".into()], 1)
    );
    assert_eq!(
        search(&db, &me.id, text("e_c")).await,
        (vec!["2024-01-03".into()], 1)
    );
    assert_eq!(search(&db, &me.id, text("%")).await.1, 1);
}

#[tokio::test]
async fn search_pages_through_the_matches_and_count_agrees_with_the_total() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = contact(&db, &me.id, named("Ada")).await;
    let start = date("2024-01-01");
    for n in 0..7 {
        let on = (start + Duration::days(n)).format("%Y-%m-%d").to_string();
        let kind = if n % 2 == 0 {
            InteractionType::Call
        } else {
            InteractionType::Email
        };
        log(&db, &me.id, &ada.id, kind, &on, None).await;
    }

    let page = |page, kind| InteractionQuery {
        kind,
        page,
        per_page: 3,
        ..InteractionQuery::default()
    };
    assert_eq!(
        search(&db, &me.id, page(1, None)).await,
        (
            vec![
                "2024-01-07".into(),
                "2024-01-06".into(),
                "2024-01-05".into()
            ],
            7
        )
    );
    assert_eq!(
        search(&db, &me.id, page(3, None)).await,
        (vec!["2024-01-01".into()], 7)
    );
    assert_eq!(search(&db, &me.id, page(4, None)).await, (vec![], 7));
    assert_eq!(
        search(&db, &me.id, page(0, None)).await.0[0],
        "2024-01-07",
        "page 0 is page 1"
    );
    assert_eq!(
        search(&db, &me.id, page(2, Some(InteractionType::Call))).await,
        (vec!["2024-01-01".into()], 4)
    );

    let calls = page(2, Some(InteractionType::Call));
    assert_eq!(
        db.interactions()
            .count(&me.id, &calls, COUNT_LIMIT)
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        db.interactions()
            .count(&me.id, &InteractionQuery::default(), COUNT_LIMIT)
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        db.interactions()
            .count(
                &user(&db).await.id,
                &InteractionQuery::default(),
                COUNT_LIMIT
            )
            .await
            .unwrap(),
        0
    );
}

// ---------------------------------------------------------------------------------------------
// ContactRepo: counts, VIPs, birthdays, reconnect

#[tokio::test]
async fn counts_report_all_vip_active_and_active_vip_contacts_of_the_user() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    assert_eq!(
        db.contacts().counts(&me.id).await.unwrap(),
        ContactCounts::default()
    );
    contact(&db, &me.id, named("A")).await;
    contact(&db, &me.id, vip("B")).await;
    contact(&db, &me.id, vip("C")).await;
    contact(&db, &me.id, archived(vip("D"))).await;
    contact(&db, &me.id, archived(named("E"))).await;
    contact(&db, &other.id, vip("F")).await;

    let counts = db.contacts().counts(&me.id).await.unwrap();

    assert_eq!(
        (counts.total, counts.vip, counts.active, counts.active_vip),
        (5, 3, 3, 2)
    );
}

#[tokio::test]
async fn active_vips_are_listed_by_name_up_to_the_limit() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    contact(&db, &me.id, vip("grace")).await;
    contact(&db, &me.id, vip("Ada")).await;
    contact(&db, &me.id, vip("Barbara")).await;
    contact(&db, &me.id, named("Alan")).await;
    contact(&db, &me.id, archived(vip("Aaron"))).await;
    contact(&db, &other.id, vip("Abe")).await;

    let all = db.contacts().active_vips(&me.id, 10).await.unwrap();
    assert_eq!(names(&all), ["Ada", "Barbara", "grace"]);
    let two = db.contacts().active_vips(&me.id, 2).await.unwrap();
    assert_eq!(names(&two), ["Ada", "Barbara"]);
}

#[tokio::test]
async fn active_birthdays_are_those_of_active_contacts_with_a_birthday() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let with = |name: &str, birthday: &str| ContactInput {
        birthday: Some(birthday.to_string()),
        ..named(name)
    };
    contact(&db, &me.id, with("Ada", "1915-12-10")).await;
    contact(
        &db,
        &me.id,
        ContactInput {
            vip: true,
            ..with("Leap", "2000-02-29")
        },
    )
    .await;
    contact(&db, &me.id, named("No birthday")).await;
    contact(&db, &me.id, archived(with("Gone", "1990-01-01"))).await;
    contact(&db, &other.id, with("Theirs", "1990-01-01")).await;

    let mut found = db.contacts().active_birthdays(&me.id).await.unwrap();
    found.sort_by(|a, b| a.name.cmp(&b.name));

    let seen: Vec<_> = found
        .iter()
        .map(|b| (b.name.as_str(), b.birthday, b.vip))
        .collect();
    assert_eq!(
        seen,
        [
            ("Ada", date("1915-12-10"), false),
            ("Leap", date("2000-02-29"), true)
        ]
    );
}

#[tokio::test]
async fn due_for_reconnect_applies_the_default_cadences_most_overdue_first() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let today = Utc::now().date_naive();
    let ago = |days: i64| {
        (today - Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    // (name, vip, archived, days since the last interaction); defaults: VIPs 30, others 90.
    let people = [
        ("Vip 29", true, false, Some(29)),
        ("Vip 30", true, false, Some(30)),
        ("Vip 31", true, false, Some(31)),
        ("Vip 200", true, false, Some(200)),
        ("Other 31", false, false, Some(31)),
        ("Other 89", false, false, Some(89)),
        ("Other 90", false, false, Some(90)),
        ("Other 91", false, false, Some(91)),
        ("Other 400", false, false, Some(400)),
        ("Archived 400", false, true, Some(400)),
        ("Archived vip", true, true, Some(100)),
    ];
    for (name, is_vip, is_archived, days) in people {
        let mut new = named(name);
        new.vip = is_vip;
        if is_archived {
            new = archived(new);
        }
        let c = contact(&db, &me.id, new).await;
        if let Some(days) = days {
            log(&db, &me.id, &c.id, InteractionType::Call, &ago(days), None).await;
        }
    }
    // Never contacted: counts from when the contact was created.
    let old_new = contact(&db, &me.id, named("Never, created 100 days ago")).await;
    exec(
        &db,
        "UPDATE contact SET created_at = ?2 WHERE id = ?1",
        params![
            old_new.id.as_str(),
            (Utc::now() - Duration::days(100)).timestamp()
        ],
    )
    .await;
    contact(&db, &me.id, vip("Never, created today")).await;
    let theirs = contact(&db, &other.id, vip("Theirs")).await;
    log(
        &db,
        &other.id,
        &theirs.id,
        InteractionType::Call,
        &ago(300),
        None,
    )
    .await;

    let now = Utc::now();
    let (found, total) = db.cadences().due(&me.id, now, 50).await.unwrap();

    let seen: Vec<_> = found
        .iter()
        .map(|d| (d.contact.name.as_str(), d.cadence_days, d.days_overdue(now)))
        .collect();
    assert_eq!(
        seen,
        [
            ("Other 400", 90, 310),
            ("Vip 200", 30, 170),
            ("Never, created 100 days ago", 90, 10),
            ("Other 91", 90, 1),
            ("Vip 31", 30, 1),
            ("Other 90", 90, 0),
            ("Vip 30", 30, 0),
        ]
    );
    assert!(found.iter().all(|d| !d.own_cadence));
    assert_eq!(total, 7);

    let (first_two, total) = db.cadences().due(&me.id, now, 2).await.unwrap();
    assert_eq!(
        first_two
            .iter()
            .map(|d| d.contact.name.as_str())
            .collect::<Vec<_>>(),
        ["Other 400", "Vip 200"]
    );
    assert_eq!(total, 7, "the total counts beyond the limit");
}

#[tokio::test]
async fn a_contacts_own_cadence_and_the_users_defaults_decide_who_is_due() {
    let db = test_db().await;
    let me = user(&db).await;
    let today = Utc::now().date_naive();
    let ago = |days: i64| {
        (today - Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    let weekly = contact(&db, &me.id, named("Weekly")).await;
    log(
        &db,
        &me.id,
        &weekly.id,
        InteractionType::Call,
        &ago(8),
        None,
    )
    .await;
    let yearly_vip = contact(&db, &me.id, vip("Yearly VIP")).await;
    log(
        &db,
        &me.id,
        &yearly_vip.id,
        InteractionType::Call,
        &ago(200),
        None,
    )
    .await;
    let plain = contact(&db, &me.id, named("Plain")).await;
    log(
        &db,
        &me.id,
        &plain.id,
        InteractionType::Call,
        &ago(20),
        None,
    )
    .await;

    let cadences = db.cadences();
    cadences
        .set(&me.id, &weekly.id, Some(CadenceDays::new(7).unwrap()))
        .await
        .unwrap();
    cadences
        .set(&me.id, &yearly_vip.id, Some(CadenceDays::new(365).unwrap()))
        .await
        .unwrap();
    assert_eq!(
        cadences.get(&me.id, &weekly.id).await.unwrap(),
        Some(CadenceDays::new(7).unwrap())
    );
    assert_eq!(cadences.get(&me.id, &plain.id).await.unwrap(), None);

    let now = Utc::now();
    let names_due = |found: &[DueContact]| {
        found
            .iter()
            .map(|d| {
                (
                    d.contact.name.clone(),
                    d.cadence_days,
                    d.own_cadence,
                    d.days_overdue(now),
                )
            })
            .collect::<Vec<_>>()
    };
    let (found, _) = cadences.due(&me.id, now, 50).await.unwrap();
    assert_eq!(names_due(&found), [("Weekly".to_string(), 7, true, 1)]);

    // A shorter default for everyone else brings Plain in; the VIP keeps its own year.
    db.user_settings()
        .save_preferences(
            &me.id,
            &Preferences {
                time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
                cadence_days: CadenceDays::new(14).unwrap(),
                vip_cadence_days: CadenceDays::new(7).unwrap(),
            },
        )
        .await
        .unwrap();
    let (found, total) = cadences.due(&me.id, now, 50).await.unwrap();
    assert_eq!(
        names_due(&found),
        [
            ("Plain".to_string(), 14, false, 6),
            ("Weekly".to_string(), 7, true, 1)
        ]
    );
    assert_eq!(total, 2);

    // Back to the default: Weekly now waits 14 days like everyone else.
    cadences.set(&me.id, &weekly.id, None).await.unwrap();
    let (found, _) = cadences.due(&me.id, now, 50).await.unwrap();
    assert_eq!(names_due(&found), [("Plain".to_string(), 14, false, 6)]);

    // Another user's contact is not found.
    let stranger = user(&db).await;
    assert!(matches!(
        cadences
            .set(&stranger.id, &plain.id, Some(CadenceDays::new(3).unwrap()))
            .await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        cadences.get(&stranger.id, &plain.id).await,
        Err(Error::NotFound)
    ));
}

async fn counts_of(db: &Db, user: &UserId) -> ContactCounts {
    db.contacts().counts(user).await.unwrap()
}

/// The counts are kept by triggers: every way a contact is added, changed or removed —
/// through the repositories or by another tool's SQL — moves them, and only the owner's.
#[tokio::test]
async fn kept_counts_follow_every_change_and_raw_sql_and_stay_per_user() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let counts = |total, vip, active, active_vip| ContactCounts {
        total,
        vip,
        active,
        active_vip,
    };
    assert_eq!(counts_of(&db, &me.id).await, counts(0, 0, 0, 0));

    let a = contact(&db, &me.id, named("Ada")).await;
    let b = contact(&db, &me.id, vip("Barbara")).await;
    contact(&db, &other.id, vip("Other")).await;
    assert_eq!(counts_of(&db, &me.id).await, counts(2, 1, 2, 1));

    // Archive a VIP, make an ordinary contact a VIP.
    db.contacts()
        .set_status(&me.id, &b.id, ContactStatus::Archived)
        .await
        .unwrap();
    db.contacts().set_vip(&me.id, &a.id, true).await.unwrap();
    assert_eq!(counts_of(&db, &me.id).await, counts(2, 2, 1, 1));

    // Another tool's INSERT and UPDATE, as the original app's Drizzle client writes them.
    let uid = me.id.as_str().to_string();
    exec(
        &db,
        "INSERT INTO contact (id, user_id, name, vip) VALUES ('raw', ?1, 'Raw', 1)",
        [uid.clone()],
    )
    .await;
    assert_eq!(counts_of(&db, &me.id).await, counts(3, 3, 2, 2));
    exec(
        &db,
        "UPDATE contact SET status = 'archived', vip = 0 WHERE id = 'raw'",
        (),
    )
    .await;
    assert_eq!(counts_of(&db, &me.id).await, counts(3, 2, 1, 1));

    // Deletions: one contact, then a bulk delete.
    db.contacts().delete(&me.id, &a.id).await.unwrap();
    assert_eq!(counts_of(&db, &me.id).await, counts(2, 1, 0, 0));
    exec(&db, "DELETE FROM contact WHERE user_id = ?1", [uid]).await;
    assert_eq!(counts_of(&db, &me.id).await, counts(0, 0, 0, 0));
    // The other user's never moved.
    assert_eq!(counts_of(&db, &other.id).await, counts(1, 1, 1, 1));

    // The list's tabs read the same counts.
    let page = db
        .contacts()
        .list(
            &other.id,
            &ContactQuery {
                filter: ContactFilter::Vip,
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    db.users().delete(&other.id).await.unwrap();
    assert_eq!(
        common::count(&db, "SELECT count(*) FROM contact_count").await,
        1,
        "a deleted user's counts go with them"
    );
}

/// The window's candidates come from the month-day index: the soonest of each side of the
/// year end, and 29 February whatever the window.
#[tokio::test]
async fn birthdays_between_reads_the_window_across_the_year_end_and_every_leap_day() {
    let db = test_db().await;
    let me = user(&db).await;
    let born = |name: &str, birthday: &str| ContactInput {
        birthday: Some(birthday.to_string()),
        ..named(name)
    };
    for (name, birthday) in [
        ("Dec 20", "1980-12-20"),
        ("Dec 31", "1975-12-31"),
        ("Jan 1", "1990-01-01"),
        ("Jan 10", "1985-01-10"),
        ("Jan 20", "1985-01-20"),
        ("Leap", "1996-02-29"),
        ("June", "1970-06-15"),
    ] {
        contact(&db, &me.id, born(name, birthday)).await;
    }
    contact(&db, &me.id, archived(born("Archived Dec 25", "1980-12-25"))).await;
    let names = |(birthdays, total): (Vec<ContactBirthday>, u64)| {
        let mut names: Vec<String> = birthdays.into_iter().map(|b| b.name).collect();
        names.sort();
        (names, total)
    };

    // 15 December to 14 January: both sides of the year end.
    let window = db
        .contacts()
        .birthdays_between(&me.id, date("2025-12-15"), date("2026-01-14"), 10)
        .await
        .unwrap();
    assert_eq!(
        names(window),
        (
            vec![
                "Dec 20".to_string(),
                "Dec 31".into(),
                "Jan 1".into(),
                "Jan 10".into(),
                "Leap".into()
            ],
            4
        )
    );
    // At most `limit` of each side, the soonest.
    let window = db
        .contacts()
        .birthdays_between(&me.id, date("2025-12-15"), date("2026-01-14"), 1)
        .await
        .unwrap();
    assert_eq!(
        names(window),
        (vec!["Dec 20".to_string(), "Jan 1".into(), "Leap".into()], 4)
    );
    // Another user sees none of them.
    let other = user(&db).await;
    let window = db
        .contacts()
        .birthdays_between(&other.id, date("2025-01-01"), date("2025-12-31"), 10)
        .await
        .unwrap();
    assert_eq!(names(window), (vec![], 0));
}
