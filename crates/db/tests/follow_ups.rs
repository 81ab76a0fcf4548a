//! Follow-ups beyond the basics of `repos.rs`: counts for the navigation, snoozing, the
//! completed list, logging an interaction that completes and schedules follow-ups in one
//! transaction, and the user settings behind time zones, cadences and the calendar feed.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Days, NaiveDate, Utc};
use devhub_db::*;
use libsql::params;

use common::{test_db, user};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn new(due: &str, note: &str) -> NewFollowUp {
    let new = FollowUpInput {
        due_date: due.to_string(),
        note: Some(note.to_string()).filter(|n| !n.is_empty()),
    }
    .parse()
    .unwrap();
    assert_eq!(new.due_date(), date(due));
    new
}

async fn contact(db: &Db, user: &UserId, name: &str) -> Contact {
    db.contacts()
        .create(user, &common::contact(name))
        .await
        .unwrap()
}

async fn count(db: &Db, sql: &str, value: &str) -> i64 {
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query(sql, [value]).await.unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

#[tokio::test]
async fn counts_are_the_open_follow_ups_due_before_and_on_the_given_day_of_the_owner() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let ada = contact(&db, &me.id, "Ada").await;
    let grace = contact(&db, &me.id, "Grace").await;
    let theirs = contact(&db, &other.id, "Theirs").await;
    let f = db.follow_ups();
    for (c, due) in [
        (&ada, "2025-03-01"),
        (&grace, "2025-03-09"),
        (&ada, "2025-03-10"),
        (&grace, "2025-03-10"),
        (&ada, "2025-03-11"),
    ] {
        f.create(&me.id, &c.id, &new(due, "")).await.unwrap();
    }
    let done = f
        .create(&me.id, &ada.id, &new("2025-03-02", ""))
        .await
        .unwrap();
    f.complete(&me.id, &done.id).await.unwrap();
    f.create(&other.id, &theirs.id, &new("2025-03-01", ""))
        .await
        .unwrap();

    let counts = f.counts(&me.id, date("2025-03-10")).await.unwrap();
    assert_eq!(
        counts,
        FollowUpCounts {
            overdue: 2,
            today: 2,
            ..FollowUpCounts::default()
        }
    );
    assert_eq!(counts.total(), 4);
    // The same follow-ups a day later (another time zone's today): one more is overdue.
    assert_eq!(
        f.counts(&me.id, date("2025-03-11")).await.unwrap(),
        FollowUpCounts {
            overdue: 4,
            today: 1,
            ..FollowUpCounts::default()
        }
    );
    let stranger = user(&db).await;
    assert_eq!(
        f.counts(&stranger.id, date("2025-03-10")).await.unwrap(),
        FollowUpCounts::default()
    );

    // The navigation's counts, read with the session check in one statement, and for a
    // session alone: the same.
    let id = SessionId::from_token("mine");
    let session = Session {
        id: id.clone(),
        user_id: me.id.clone(),
        expires_at: Utc::now() + chrono::Duration::days(1),
    };
    db.sessions().create(&session).await.unwrap();
    let utc_today = date("2025-03-10");
    let checked = db.sessions().check(&id, utc_today).await.unwrap().unwrap();
    let alone = f.counts_near(Owner::Session(&id), utc_today).await.unwrap();
    assert_eq!(checked.follow_ups, alone);
    for today in ["2025-03-10", "2025-03-11"] {
        assert_eq!(
            checked.follow_ups.on(date(today)),
            f.counts(&me.id, date(today)).await.unwrap()
        );
    }
}

#[tokio::test]
async fn snoozing_moves_the_due_date_across_month_and_year_ends() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = contact(&db, &me.id, "Ada").await;
    let f = db.follow_ups();
    let today = date("2096-01-15");
    let snooze = |due: &'static str, how: Snooze, expected: &'static str| {
        let me = me.id.clone();
        let ada = ada.id.clone();
        async move {
            let created = f.create(&me, &ada, &new(due, "")).await.unwrap();
            let snoozed = f.snooze(&me, &created.id, how, today).await.unwrap();
            assert_eq!(snoozed.due_date, date(expected), "{due} {how:?}");
            assert_eq!(f.get(&me, &created.id).await.unwrap(), snoozed);
        }
    };
    snooze("2096-01-31", Snooze::OneDay, "2096-02-01").await;
    snooze("2096-02-28", Snooze::OneDay, "2096-02-29").await; // a leap year
    snooze("2096-02-25", Snooze::OneWeek, "2096-03-03").await;
    snooze("2096-12-28", Snooze::OneWeek, "2097-01-04").await;
    // Overdue: counted from today, so that it is not still overdue after snoozing.
    snooze("2096-01-02", Snooze::OneDay, "2096-01-16").await;
    snooze("2096-01-02", Snooze::OneWeek, "2096-01-22").await;
    snooze(
        "2096-01-02",
        Snooze::Until(date("2096-05-31")),
        "2096-05-31",
    )
    .await;

    let kept = f
        .create(&me.id, &ada.id, &new("2096-03-01", ""))
        .await
        .unwrap();
    let refused = f
        .snooze(&me.id, &kept.id, Snooze::Until(date("1800-01-01")), today)
        .await;
    assert!(matches!(refused, Err(Error::Validation(ref e)) if e.get("due_date").is_some()));
    let stranger = user(&db).await;
    assert!(matches!(
        f.snooze(&stranger.id, &kept.id, Snooze::OneDay, today)
            .await,
        Err(Error::NotFound)
    ));
    assert_eq!(f.get(&me.id, &kept.id).await.unwrap(), kept);
}

#[tokio::test]
async fn the_completed_list_shows_the_latest_completed_first_page_by_page() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let ada = contact(&db, &me.id, "Ada").await;
    let theirs = contact(&db, &other.id, "Theirs").await;
    let f = db.follow_ups();
    let mut ids = Vec::new();
    for i in 0..5 {
        let created = f
            .create(&me.id, &ada.id, &new("2025-01-01", &format!("n{i}")))
            .await
            .unwrap();
        f.complete(&me.id, &created.id).await.unwrap();
        // Completed one minute apart, n4 last.
        let conn = db.conn().await.unwrap();
        conn.execute(
            "UPDATE follow_up SET completed_at = ?2 WHERE id = ?1",
            params![created.id.as_str(), 1_700_000_000 + i * 60],
        )
        .await
        .unwrap();
        ids.push(created.id);
    }
    f.create(&me.id, &ada.id, &new("2025-01-01", "still open"))
        .await
        .unwrap();
    let their = f
        .create(&other.id, &theirs.id, &new("2025-01-01", "theirs"))
        .await
        .unwrap();
    f.complete(&other.id, &their.id).await.unwrap();

    let notes = |rows: &[FollowUpWithContact]| {
        rows.iter()
            .map(|r| r.follow_up.note.clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let (first, total) = f.list_completed_for_user(&me.id, 1, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(notes(&first), ["n4", "n3"]);
    assert!(first.iter().all(|r| r.contact_name == "Ada"));
    let (last, _) = f.list_completed_for_user(&me.id, 3, 2).await.unwrap();
    assert_eq!(notes(&last), ["n0"]);
    let (beyond, _) = f.list_completed_for_user(&me.id, 9, 2).await.unwrap();
    assert!(beyond.is_empty());
}

#[tokio::test]
async fn logging_an_interaction_completes_the_chosen_follow_ups_and_schedules_the_next() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = contact(&db, &me.id, "Ada").await;
    let grace = contact(&db, &me.id, "Grace").await;
    let f = db.follow_ups();
    let due = f
        .create(&me.id, &ada.id, &new("2025-01-01", "due"))
        .await
        .unwrap();
    let left_open = f
        .create(&me.id, &ada.id, &new("2025-01-02", "not ticked"))
        .await
        .unwrap();
    let graces = f
        .create(&me.id, &grace.id, &new("2025-01-01", "grace's"))
        .await
        .unwrap();
    let call = InteractionInput {
        type_: "call".into(),
        date: "2025-01-03".into(),
        notes: Some("caught up".into()),
    }
    .parse()
    .unwrap();

    let logged = db
        .interactions()
        .log(
            &me.id,
            &ada.id,
            &call,
            &FollowUpPlan {
                // Grace's follow-up is not Ada's: left alone.
                complete: vec![due.id.clone(), graces.id.clone()],
                next: Some(new("2025-02-03", "ask about the talk")),
            },
        )
        .await
        .unwrap();

    assert_eq!(logged.completed, 1);
    assert!(f.get(&me.id, &due.id).await.unwrap().completed);
    assert!(!f.get(&me.id, &left_open.id).await.unwrap().completed);
    assert!(!f.get(&me.id, &graces.id).await.unwrap().completed);
    let next = logged.scheduled.unwrap();
    assert_eq!(
        (next.due_date, next.note.as_deref(), next.completed),
        (date("2025-02-03"), Some("ask about the talk"), false)
    );
    assert_eq!(next.contact_id, ada.id);
    let ada_now = db.contacts().get(&me.id, &ada.id).await.unwrap();
    assert_eq!(ada_now.last_contacted, Some(logged.interaction.date));
}

#[tokio::test]
async fn logging_with_a_bad_next_follow_up_writes_nothing() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = contact(&db, &me.id, "Ada").await;
    let due = db
        .follow_ups()
        .create(&me.id, &ada.id, &new("2025-01-01", "due"))
        .await
        .unwrap();
    let call = InteractionInput {
        type_: "call".into(),
        date: "2025-01-03".into(),
        notes: None,
    }
    .parse()
    .unwrap();
    // A note too long never becomes a follow-up to schedule: the parse refuses it.
    let too_long = FollowUpInput {
        due_date: "2025-02-03".into(),
        note: Some("x".repeat(1001)),
    }
    .parse();
    assert!(matches!(too_long, Err(Error::Validation(ref e)) if e.get("note").is_some()));

    // Scheduling the next follow-up fails after the interaction is stored and the due
    // follow-up completed: all of it is undone.
    {
        let conn = db.conn().await.unwrap();
        conn.execute(
            "CREATE TRIGGER refuse_follow_ups BEFORE INSERT ON follow_up \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
            (),
        )
        .await
        .unwrap();
    }
    let result = db
        .interactions()
        .log(
            &me.id,
            &ada.id,
            &call,
            &FollowUpPlan {
                complete: vec![due.id.clone()],
                next: Some(new("2025-02-03", "x")),
            },
        )
        .await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM interaction WHERE contact_id = ?1",
            ada.id.as_str()
        )
        .await,
        0
    );
    assert!(
        !db.follow_ups()
            .get(&me.id, &due.id)
            .await
            .unwrap()
            .completed
    );

    // Another user's contact: not found, nothing written.
    let stranger = user(&db).await;
    let theirs = db
        .interactions()
        .log(&stranger.id, &ada.id, &call, &FollowUpPlan::default())
        .await;
    assert!(matches!(theirs, Err(Error::NotFound)));
}

#[tokio::test]
async fn settings_default_to_utc_90_and_30_days_and_save_per_user() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let settings = db.user_settings();

    let defaults = settings.get(&me.id).await.unwrap();
    assert_eq!(defaults.preferences, Preferences::default());
    assert_eq!(defaults.time_zone().name(), "UTC");
    assert_eq!(defaults.preferences.cadence_days.get(), 90);
    assert_eq!(defaults.preferences.vip_cadence_days.get(), 30);
    assert_eq!(defaults.calendar_feed_since, None);

    let chosen = PreferencesInput {
        time_zone: "Pacific/Kiritimati".into(),
        cadence_days: "60".into(),
        vip_cadence_days: "14".into(),
    }
    .parse()
    .unwrap();
    settings.save_preferences(&me.id, &chosen).await.unwrap();
    // Saving twice updates the one row.
    let saved = settings.save_preferences(&me.id, &chosen).await.unwrap();
    assert_eq!(saved.preferences, chosen);
    assert_eq!(settings.get(&me.id).await.unwrap().preferences, chosen);
    assert_eq!(
        settings.get(&other.id).await.unwrap().preferences,
        Preferences::default()
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM user_settings WHERE user_id = ?1",
            me.id.as_str()
        )
        .await,
        1
    );
    // UTC+14: its today is never behind UTC's.
    let kiritimati = settings.get(&me.id).await.unwrap().today();
    let utc_today = Utc::now().date_naive();
    assert!(kiritimati == utc_today || kiritimati == utc_today + Days::new(1));

    let bad = PreferencesInput {
        time_zone: "Atlantis/Capital".into(),
        cadence_days: "0".into(),
        vip_cadence_days: "often".into(),
    }
    .parse();
    match bad {
        Err(Error::Validation(e)) => {
            let fields: Vec<_> = e.iter().map(|e| e.field).collect();
            assert_eq!(fields, ["time_zone", "cadence_days", "vip_cadence_days"]);
        }
        other => panic!("expected validation errors, got {other:?}"),
    }

    // A zone written by another client that this build does not know reads as UTC.
    let conn = db.conn().await.unwrap();
    conn.execute(
        "UPDATE user_settings SET time_zone = 'Mars/Olympus' WHERE user_id = ?1",
        [me.id.as_str()],
    )
    .await
    .unwrap();
    assert_eq!(
        settings.get(&me.id).await.unwrap().time_zone().name(),
        "UTC"
    );
    // The schema refuses cadences out of range whoever writes them.
    let refused = conn
        .execute(
            "UPDATE user_settings SET cadence_days = 0 WHERE user_id = ?1",
            [me.id.as_str()],
        )
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn calendar_tokens_are_found_by_hash_replaced_and_revoked() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let settings = db.user_settings();
    let first = sha256_hex("first-token");
    let second = sha256_hex("second-token");

    assert_eq!(
        settings.user_for_calendar_token(&first).await.unwrap(),
        None
    );
    settings.set_calendar_token(&me.id, &first).await.unwrap();
    assert_eq!(
        settings.user_for_calendar_token(&first).await.unwrap(),
        Some(me.id.clone())
    );
    assert!(settings
        .get(&me.id)
        .await
        .unwrap()
        .calendar_feed_since
        .is_some());
    // The preferences stay as they were.
    assert_eq!(
        settings.get(&me.id).await.unwrap().preferences,
        Preferences::default()
    );

    settings.set_calendar_token(&me.id, &second).await.unwrap();
    assert_eq!(
        settings.user_for_calendar_token(&first).await.unwrap(),
        None
    );
    assert_eq!(
        settings.user_for_calendar_token(&second).await.unwrap(),
        Some(me.id.clone())
    );
    // Two users cannot share a token.
    assert!(settings
        .set_calendar_token(&other.id, &second)
        .await
        .is_err());
    assert!(settings
        .set_calendar_token(&me.id, "not-a-hash")
        .await
        .is_err());

    settings.revoke_calendar_token(&me.id).await.unwrap();
    assert_eq!(
        settings.user_for_calendar_token(&second).await.unwrap(),
        None
    );
    assert_eq!(
        settings.get(&me.id).await.unwrap().calendar_feed_since,
        None
    );
}

#[tokio::test]
async fn deleting_a_user_or_a_contact_removes_their_settings_and_cadences() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = contact(&db, &me.id, "Ada").await;
    let grace = contact(&db, &me.id, "Grace").await;
    db.cadences()
        .set(&me.id, &ada.id, Some(CadenceDays::new(10).unwrap()))
        .await
        .unwrap();
    db.cadences()
        .set(&me.id, &grace.id, Some(CadenceDays::new(20).unwrap()))
        .await
        .unwrap();
    db.user_settings()
        .save_preferences(&me.id, &Preferences::default())
        .await
        .unwrap();

    db.contacts().delete(&me.id, &ada.id).await.unwrap();
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM contact_cadence WHERE contact_id = ?1",
            ada.id.as_str()
        )
        .await,
        0
    );
    db.users().delete(&me.id).await.unwrap();
    for table in ["contact_cadence", "user_settings"] {
        assert_eq!(
            count(
                &db,
                &format!("SELECT count(*) FROM {table} WHERE ?1 = ?1"),
                "x"
            )
            .await,
            0,
            "{table}"
        );
    }
}
