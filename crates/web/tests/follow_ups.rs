//! Follow-ups, reconnect cadences, reminder settings and the calendar feed through the
//! in-process router against a temporary database file.
#![allow(clippy::unwrap_used)]

mod common;
use common::sign_up;

use axum::http::{Method, StatusCode};
use chrono::{Days, Duration, Months, NaiveDate, Utc};
use common::{spawn_app, Client, TestApp, TestResponse};
use devhub_db::repo::interaction::InteractionInput;
use devhub_db::{
    Contact, ContactInput, FollowUp, FollowUpId, FollowUpInput, Preferences, TimeZone, UserId,
};
use icalendar::{Component, DatePerhapsTime};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A request to send: method, path and form fields.
type Request = (Method, String, Vec<(&'static str, &'static str)>);

async fn contact(app: &TestApp, user: &UserId, name: &str) -> Contact {
    store(
        app,
        user,
        ContactInput {
            name: name.into(),
            ..ContactInput::default()
        },
    )
    .await
}

async fn store(app: &TestApp, user: &UserId, input: ContactInput) -> Contact {
    app.db
        .contacts()
        .create(user, &input.parse().unwrap())
        .await
        .unwrap()
}

async fn follow_up(
    app: &TestApp,
    user: &UserId,
    c: &Contact,
    due: NaiveDate,
    note: &str,
) -> FollowUp {
    app.db
        .follow_ups()
        .create(
            user,
            &c.id,
            &FollowUpInput {
                due_date: due.format("%Y-%m-%d").to_string(),
                note: Some(note.to_string()).filter(|n| !n.is_empty()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap()
}

async fn set_zone(app: &TestApp, user: &UserId, zone: &str) -> NaiveDate {
    let time_zone = TimeZone::parse(zone).unwrap();
    app.db
        .user_settings()
        .save_preferences(
            user,
            &Preferences {
                time_zone,
                ..Preferences::default()
            },
        )
        .await
        .unwrap();
    time_zone.date_at(Utc::now())
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn utc_today() -> NaiveDate {
    Utc::now().date_naive()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The notes of the follow-ups listed in section `#id`.
fn notes_in(r: &TestResponse, id: &str) -> Vec<String> {
    r.texts(&format!("#{id} .fu-item .fu-note"))
}

async fn get_follow_up(app: &TestApp, user: &UserId, id: &FollowUpId) -> FollowUp {
    app.db.follow_ups().get(user, id).await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// Adding from the contact's page

#[tokio::test]
async fn a_follow_up_is_added_from_the_contact_page_with_a_quick_choice_or_a_date() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let page = format!("/contacts/{}", grace.id);

    let r = client.get(&page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.attr("#add-follow-up", "action"),
        Some(format!("/contacts/{}/follow-ups", grace.id))
    );
    let choices: Vec<_> = r
        .html()
        .select(&scraper::Selector::parse("#add-follow-up input[name=when]").unwrap())
        .map(|e| e.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(choices, ["1w", "2w", "1m", "3m", "date"]);
    // Every input of the card has a label.
    for id in ["fu-due-date", "fu-note", "cadence-days"] {
        assert_eq!(r.texts(&format!("label[for={id}]")).len(), 1, "{id}");
    }

    let added = client
        .post_form(
            &format!("/contacts/{}/follow-ups", grace.id),
            &[
                ("when", "2w"),
                ("due_date", ""),
                ("note", "Send the slides"),
                ("back", &format!("{page}#follow-ups")),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert_eq!(
        added.location(),
        Some(format!("{page}#follow-ups").as_str())
    );
    let dated = client
        .post_form(
            &format!("/contacts/{}/follow-ups", grace.id),
            &[("when", "date"), ("due_date", "2099-01-31"), ("note", "")],
        )
        .await;
    assert_eq!(dated.status, StatusCode::SEE_OTHER);
    let one_month = client
        .post_form(
            &format!("/contacts/{}/follow-ups", grace.id),
            &[("when", "1m"), ("note", "Coffee")],
        )
        .await;
    assert_eq!(one_month.status, StatusCode::SEE_OTHER);

    let stored = app
        .db
        .follow_ups()
        .list_for_contact(&user, &grace.id, false)
        .await
        .unwrap();
    let seen: Vec<_> = stored
        .iter()
        .map(|f| (f.due_date, f.note.clone()))
        .collect();
    let today = utc_today();
    assert_eq!(
        seen,
        [
            (today + Days::new(14), Some("Send the slides".to_string())),
            (
                today.checked_add_months(Months::new(1)).unwrap(),
                Some("Coffee".to_string())
            ),
            (d("2099-01-31"), None),
        ]
    );

    let r = client.get(&page).await;
    assert_eq!(
        r.texts("#follow-ups .fu-item .fu-note"),
        ["Send the slides", "Coffee"]
    );
    assert_eq!(r.texts("#follow-ups .fu-item").len(), 3);
    assert_eq!(r.texts("#follow-ups .fu-relative")[0], "due in 14 days");
}

#[tokio::test]
async fn bad_dates_and_notes_over_the_limit_get_field_errors_on_the_contact_page() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let path = format!("/contacts/{}/follow-ups", grace.id);
    let long = "x".repeat(1001);

    for (fields, error, kept) in [
        (
            vec![("when", "date"), ("due_date", "2025-02-30"), ("note", "hi")],
            "#fu-due-date-error",
            "2025-02-30",
        ),
        (
            vec![("when", "date"), ("due_date", ""), ("note", "hi")],
            "#fu-due-date-error",
            "",
        ),
        (
            vec![("when", "date"), ("due_date", "1899-12-31"), ("note", "hi")],
            "#fu-due-date-error",
            "1899-12-31",
        ),
        (
            vec![("when", "soon"), ("due_date", ""), ("note", "hi")],
            "#fu-when-error",
            "",
        ),
        (
            vec![("when", "1w"), ("due_date", ""), ("note", long.as_str())],
            "#fu-note-error",
            "",
        ),
    ] {
        let r = client.post_form(&path, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert_eq!(r.texts(error).len(), 1, "{fields:?}: {}", r.body);
        assert_eq!(
            r.attr("#fu-due-date", "value").unwrap_or_default(),
            kept,
            "the typed date comes back"
        );
        assert_eq!(r.texts("h1.contact-name"), ["Grace"]);
    }
    let r = client
        .post_form(&path, &[("when", "1w"), ("note", long.as_str())])
        .await;
    assert_eq!(
        r.texts("#fu-note-error"),
        ["Note must be at most 1000 characters."]
    );
    assert_eq!(r.texts("#fu-note"), [long.as_str()]);
    assert_eq!(common::count(&app.db, "follow_up").await, 0);
}

// ---------------------------------------------------------------------------------------------
// The list

#[tokio::test]
async fn open_follow_ups_are_grouped_by_today_in_the_users_time_zone() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let alan = contact(&app, &user, "Alan").await;
    // UTC+14: its date is always one day ahead of UTC-12's, whatever the machine's zone.
    let ahead = set_zone(&app, &user, "Pacific/Kiritimati").await;
    for (c, days, note) in [
        (&grace, -3, "three days ago"),
        (&alan, -1, "yesterday"),
        (&grace, 0, "today"),
        (&alan, 1, "tomorrow"),
        (&grace, 6, "in six days"),
        (&alan, 7, "in a week"),
        (&grace, 40, "in forty days"),
    ] {
        let due = ahead + Duration::days(days);
        follow_up(&app, &user, c, due, note).await;
    }
    let done = follow_up(&app, &user, &grace, ahead, "done already").await;
    app.db.follow_ups().complete(&user, &done.id).await.unwrap();
    let stranger = app
        .db
        .users()
        .find_by_username("ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stranger.id, user);
    let (_, other) = sign_up(&app, "bob").await;
    let theirs = contact(&app, &other, "Theirs").await;
    follow_up(&app, &other, &theirs, ahead, "not mine").await;

    let r = client.get("/follow-ups").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(notes_in(&r, "overdue"), ["three days ago", "yesterday"]);
    assert_eq!(notes_in(&r, "today"), ["today"]);
    assert_eq!(notes_in(&r, "week"), ["tomorrow", "in six days"]);
    assert_eq!(notes_in(&r, "later"), ["in a week", "in forty days"]);
    assert_eq!(
        r.texts("#overdue .fu-contact"),
        ["Grace", "Alan"],
        "each with its contact"
    );
    assert_eq!(
        r.attr("#today .fu-contact", "href"),
        Some(format!("/contacts/{}", grace.id))
    );
    assert_eq!(
        r.texts("#overdue .fu-relative"),
        ["3 days overdue", "1 day overdue"]
    );
    // One-click complete and snooze on every item.
    assert_eq!(r.texts(".fu-item .fu-complete").len(), 7);
    assert_eq!(r.texts(".fu-item .fu-snooze-day").len(), 7);
    assert_eq!(r.texts(".fu-item .fu-snooze-week").len(), 7);

    // The same follow-ups seen from UTC-12, a day or two behind: "today" moves.
    let behind = set_zone(&app, &user, "Etc/GMT+12").await;
    let gap = (ahead - behind).num_days();
    assert!(gap == 1 || gap == 2, "{ahead} vs {behind}");
    let r = client.get("/follow-ups").await;
    let today_notes = notes_in(&r, "today");
    if gap == 1 {
        assert_eq!(today_notes, ["yesterday"]);
        assert_eq!(notes_in(&r, "overdue"), ["three days ago"]);
        assert_eq!(notes_in(&r, "week"), ["today", "tomorrow"]);
    } else {
        assert!(today_notes.is_empty());
        assert_eq!(notes_in(&r, "overdue"), ["three days ago"]);
        assert_eq!(notes_in(&r, "week"), ["yesterday", "today", "tomorrow"]);
    }
    assert_eq!(
        notes_in(&r, "later"),
        ["in six days", "in a week", "in forty days"]
    );
    assert!(r.body.contains("Etc/GMT+12"), "the page says which zone");
}

#[tokio::test]
async fn the_navigation_and_the_dashboard_count_overdue_and_todays_follow_ups() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let today = set_zone(&app, &user, "Asia/Tokyo").await;

    let r = client.get("/contacts").await;
    assert_eq!(r.texts("#nav-follow-ups"), ["Follow-ups"]);
    assert!(
        r.texts(".nav-count").is_empty(),
        "no badge when nothing is due"
    );

    for days in [-2, -1, 0, 3] {
        follow_up(&app, &user, &grace, today + Duration::days(days), "").await;
    }
    let done = follow_up(&app, &user, &grace, today, "").await;
    app.db.follow_ups().complete(&user, &done.id).await.unwrap();

    for path in ["/contacts", "/dashboard", "/settings", "/follow-ups"] {
        let r = client.get(path).await;
        assert_eq!(
            r.texts("#nav-follow-ups .nav-count-overdue"),
            ["2 overdue"],
            "{path}"
        );
        assert_eq!(
            r.texts("#nav-follow-ups .nav-count-today"),
            ["1 due today"],
            "{path}"
        );
    }
    let r = client.get("/dashboard").await;
    assert_eq!(r.texts("[data-stat=overdue] .stat-value"), ["2"]);
    assert_eq!(r.texts("[data-stat=today] .stat-value"), ["1"]);
    assert_eq!(
        r.attr("[data-stat=overdue]", "href").as_deref(),
        Some("/follow-ups#overdue")
    );
}

#[tokio::test]
async fn completing_from_the_list_moves_it_to_the_completed_tab_latest_first() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let first = follow_up(&app, &user, &grace, utc_today(), "first").await;
    let second = follow_up(&app, &user, &grace, utc_today(), "second").await;

    let r = client.get("/follow-ups").await;
    assert_eq!(
        r.attr(
            &format!("#follow-up-{} form[action$=complete]", first.id),
            "action"
        ),
        Some(format!("/follow-ups/{}/complete", first.id))
    );
    let done = client
        .post_form(
            &format!("/follow-ups/{}/complete", first.id),
            &[("back", "/follow-ups")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), Some("/follow-ups"));
    let r = client.get("/follow-ups").await;
    assert_eq!(r.texts(".flash-success"), ["Follow-up with Grace done."]);
    assert_eq!(notes_in(&r, "today"), ["second"]);

    // Completed a little later: listed first.
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "UPDATE follow_up SET completed_at = completed_at - 60 WHERE id = ?1",
        [first.id.as_str()],
    )
    .await
    .unwrap();
    drop(conn);
    client
        .post_form(&format!("/follow-ups/{}/complete", second.id), &[])
        .await;
    let r = client.get("/follow-ups?tab=completed").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(notes_in(&r, "completed"), ["second", "first"]);
    assert_eq!(r.texts("#completed .fu-contact"), ["Grace", "Grace"]);
    assert_eq!(
        r.attr("#tab-completed", "aria-current").as_deref(),
        Some("page")
    );

    // Reopening brings it back.
    let reopened = client
        .post_form(
            &format!("/follow-ups/{}/reopen", first.id),
            &[("back", "/follow-ups?tab=completed")],
        )
        .await;
    assert_eq!(reopened.location(), Some("/follow-ups?tab=completed"));
    assert!(!get_follow_up(&app, &user, &first.id).await.completed);
}

#[tokio::test]
async fn the_completed_tab_is_paginated() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    for i in 0..27_i64 {
        let f = follow_up(&app, &user, &grace, utc_today(), &format!("n{i:02}")).await;
        app.db.follow_ups().complete(&user, &f.id).await.unwrap();
        let conn = app.db.conn().await.unwrap();
        conn.execute(
            "UPDATE follow_up SET completed_at = ?2 WHERE id = ?1",
            (f.id.to_string(), 1_700_000_000_i64 + i * 10),
        )
        .await
        .unwrap();
    }
    let r = client.get("/follow-ups?tab=completed").await;
    let first = notes_in(&r, "completed");
    assert_eq!(first.len(), 25);
    assert_eq!(first[0], "n26");
    let next = r.attr("#completed a[rel=next]", "href").unwrap();
    assert_eq!(next, "/follow-ups?tab=completed&page=2");
    let r = client.get(&next).await;
    assert_eq!(notes_in(&r, "completed"), ["n01", "n00"]);
    assert_eq!(
        r.attr("#completed a[rel=prev]", "href").as_deref(),
        Some("/follow-ups?tab=completed")
    );
}

// ---------------------------------------------------------------------------------------------
// Snooze, edit, delete

#[tokio::test]
async fn snoozing_moves_the_due_date_by_a_day_a_week_or_to_a_chosen_date() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let end_of_january = follow_up(&app, &user, &grace, d("2096-01-31"), "a").await;
    let late_february = follow_up(&app, &user, &grace, d("2095-02-25"), "b").await;
    let overdue = follow_up(&app, &user, &grace, utc_today() - Days::new(20), "c").await;

    let snooze = |id: &FollowUpId, fields: Vec<(&'static str, String)>| {
        let path = format!("/follow-ups/{id}/snooze");
        (path, fields)
    };
    for (id, fields, expected) in [
        (
            &end_of_january.id,
            vec![("by", "1d".to_string())],
            d("2096-02-01"),
        ),
        (
            &late_february.id,
            vec![("by", "1w".to_string())],
            d("2095-03-04"),
        ),
        (
            &overdue.id,
            vec![("by", "1d".to_string())],
            utc_today() + Days::new(1),
        ),
        (
            &overdue.id,
            vec![
                ("by", "date".to_string()),
                ("until", "2097-12-31".to_string()),
            ],
            d("2097-12-31"),
        ),
    ] {
        let (path, fields) = snooze(id, fields);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut with_back = fields.clone();
        with_back.push(("back", "/follow-ups"));
        let r = client.post_form(&path, &with_back).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}");
        assert_eq!(r.location(), Some("/follow-ups"));
        assert_eq!(
            get_follow_up(&app, &user, id).await.due_date,
            expected,
            "{fields:?}"
        );
    }

    // A bad date comes back on the follow-up's page with the message beside the field.
    let two_days_ago = iso(utc_today() - Days::new(2));
    for until in ["2097-02-30", "", "3000-01-01", two_days_ago.as_str()] {
        let r = client
            .post_form(
                &format!("/follow-ups/{}/snooze", overdue.id),
                &[("by", "date"), ("until", until)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{until}");
        assert_eq!(r.texts("#until-error").len(), 1, "{until}");
        assert_eq!(r.attr("#until", "value").unwrap_or_default(), until);
    }
    assert_eq!(
        get_follow_up(&app, &user, &overdue.id).await.due_date,
        d("2097-12-31")
    );
}

#[tokio::test]
async fn a_follow_up_is_edited_on_its_page_and_deleted() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let f = follow_up(&app, &user, &grace, d("2099-05-01"), "old note").await;
    let page = format!("/follow-ups/{}", f.id);

    let r = client.get(&format!("{page}?back=%2Ffollow-ups")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("h1"), ["Follow-up with Grace"]);
    assert_eq!(r.attr("#due_date", "value").as_deref(), Some("2099-05-01"));
    assert_eq!(r.texts("#note"), ["old note"]);
    for id in ["due_date", "note", "until"] {
        assert_eq!(r.texts(&format!("label[for={id}]")).len(), 1, "{id}");
    }

    let saved = client
        .post_form(
            &page,
            &[
                ("due_date", "2099-06-15"),
                ("note", "new, note; with\nlines"),
                ("back", "/follow-ups"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location(), Some("/follow-ups"));
    let stored = get_follow_up(&app, &user, &f.id).await;
    assert_eq!(stored.due_date, d("2099-06-15"));
    assert_eq!(stored.note.as_deref(), Some("new, note; with\nlines"));

    let long = "y".repeat(1001);
    let bad = client
        .post_form(&page, &[("due_date", "15/06/2099"), ("note", &long)])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.texts("#due-date-error"),
        ["Due date must be a date like 2024-05-31."]
    );
    assert_eq!(
        bad.texts("#note-error"),
        ["Note must be at most 1000 characters."]
    );
    assert_eq!(
        bad.attr("#due_date", "value").as_deref(),
        Some("15/06/2099")
    );
    assert_eq!(get_follow_up(&app, &user, &f.id).await, stored);

    let deleted = client
        .post_form(&format!("{page}/delete"), &[("back", &page)])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(
        deleted.location(),
        Some(format!("/contacts/{}#follow-ups", grace.id).as_str()),
        "never back to the deleted follow-up's page"
    );
    assert_eq!(common::count(&app.db, "follow_up").await, 0);
    assert_eq!(client.get(&page).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_users_follow_up_is_the_404_page_for_every_route_and_method() {
    let app = spawn_app().await;
    let (mut mallory, _) = sign_up(&app, "mallory").await;
    let (_, owner) = sign_up(&app, "ada").await;
    let grace = contact(&app, &owner, "Grace").await;
    let theirs = follow_up(&app, &owner, &grace, d("2099-01-01"), "private").await;
    let before = get_follow_up(&app, &owner, &theirs.id).await;

    let id = theirs.id.as_str();
    let requests: Vec<Request> = vec![
        (Method::GET, format!("/follow-ups/{id}"), vec![]),
        (
            Method::POST,
            format!("/follow-ups/{id}"),
            vec![("due_date", "2099-02-02"), ("note", "mine now")],
        ),
        (Method::POST, format!("/follow-ups/{id}/complete"), vec![]),
        (Method::POST, format!("/follow-ups/{id}/reopen"), vec![]),
        (
            Method::POST,
            format!("/follow-ups/{id}/snooze"),
            vec![("by", "1w")],
        ),
        (
            Method::POST,
            format!("/follow-ups/{id}/snooze"),
            vec![("by", "date"), ("until", "2099-03-03")],
        ),
        (Method::POST, format!("/follow-ups/{id}/delete"), vec![]),
        (
            Method::POST,
            format!("/contacts/{}/follow-ups", grace.id),
            vec![("when", "1w"), ("note", "x")],
        ),
        (
            Method::POST,
            format!("/contacts/{}/cadence", grace.id),
            vec![("days", "7")],
        ),
        (Method::GET, "/follow-ups/no-such-id".to_string(), vec![]),
        (
            Method::POST,
            "/follow-ups/no-such-id/complete".to_string(),
            vec![],
        ),
    ];
    for (method, path, fields) in requests {
        let body = (method == Method::POST).then(|| common::serde_urlencoded_body(&fields));
        let r = mallory.send(method.clone(), &path, body, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            r.texts("h1"),
            ["Page not found"],
            "{method} {path}: the 404 page"
        );
    }
    assert_eq!(get_follow_up(&app, &owner, &theirs.id).await, before);
    assert_eq!(
        app.db.cadences().get(&owner, &grace.id).await.unwrap(),
        None
    );
    assert_eq!(common::count(&app.db, "follow_up").await, 1);
    let r = mallory.get("/follow-ups").await;
    assert!(!r.body.contains("private"));
}

// ---------------------------------------------------------------------------------------------
// Logging an interaction

#[tokio::test]
async fn logging_an_interaction_offers_to_complete_due_follow_ups_and_schedule_the_next() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let overdue = follow_up(
        &app,
        &user,
        &grace,
        utc_today() - Days::new(3),
        "overdue one",
    )
    .await;
    let today = follow_up(&app, &user, &grace, utc_today(), "today's").await;
    let future = follow_up(&app, &user, &grace, utc_today() + Days::new(9), "future").await;

    // Both the contact page's inline form and the full form offer the due ones, ticked.
    for path in [
        format!("/contacts/{}", grace.id),
        format!("/contacts/{}/interactions/new", grace.id),
    ] {
        let r = client.get(&path).await;
        let offered: Vec<_> = r
            .html()
            .select(&scraper::Selector::parse("input[name=complete]").unwrap())
            .map(|e| {
                (
                    e.value().attr("value").unwrap().to_string(),
                    e.value().attr("checked").is_some(),
                )
            })
            .collect();
        assert_eq!(
            offered,
            [(overdue.id.to_string(), true), (today.id.to_string(), true)],
            "{path}"
        );
        // The log box's chips or the log page's menu: no follow-up, and the five choices.
        let choices = r.texts("select[name=next] option").len() + r.texts("input[name=next]").len();
        assert_eq!(choices, 6, "{path}");
    }

    let logged = client
        .post_form(
            &format!("/contacts/{}/interactions", grace.id),
            &[
                ("type", "call"),
                ("date", &iso(utc_today())),
                ("notes", "caught up"),
                ("complete", overdue.id.as_str()),
                ("complete", today.id.as_str()),
                ("next", "1m"),
                ("next_due_date", ""),
                ("next_note", "ask how the talk went"),
            ],
        )
        .await;
    assert_eq!(logged.status, StatusCode::SEE_OTHER, "{}", logged.body);
    let page = client.get(&format!("/contacts/{}", grace.id)).await;
    let next_due = utc_today().checked_add_months(Months::new(1)).unwrap();
    assert_eq!(
        page.texts(".flash-success"),
        [format!(
            "Call with Grace logged. 2 follow-ups done. Next follow-up: {}.",
            next_due.format("%B %-d, %Y")
        )]
    );
    assert!(get_follow_up(&app, &user, &overdue.id).await.completed);
    assert!(get_follow_up(&app, &user, &today.id).await.completed);
    assert!(!get_follow_up(&app, &user, &future.id).await.completed);
    let open = app
        .db
        .follow_ups()
        .list_for_contact(&user, &grace.id, false)
        .await
        .unwrap();
    let open: Vec<_> = open.iter().map(|f| (f.due_date, f.note.clone())).collect();
    assert_eq!(
        open,
        [
            (future.due_date, Some("future".into())),
            (next_due, Some("ask how the talk went".into()))
        ]
    );
    assert!(
        page.texts("input[name=complete]").is_empty(),
        "nothing due any more"
    );
}

#[tokio::test]
async fn a_bad_next_follow_up_keeps_the_log_form_and_logs_nothing() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let due = follow_up(&app, &user, &grace, utc_today(), "due").await;
    let long = "z".repeat(1001);
    let r = client
        .post_form(
            &format!("/contacts/{}/interactions", grace.id),
            &[
                ("type", "call"),
                ("date", &iso(utc_today())),
                ("notes", "keep me"),
                ("next", "date"),
                ("next_due_date", "2099-13-01"),
                ("next_note", &long),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts("#next-due-date-error"),
        ["Follow-up date must be a date like 2024-05-31."]
    );
    assert_eq!(
        r.texts("#next-note-error"),
        ["Follow-up note must be at most 1000 characters."]
    );
    assert_eq!(r.texts("#notes"), ["keep me"]);
    assert_eq!(
        r.attr("#next_due_date", "value").as_deref(),
        Some("2099-13-01")
    );
    assert_eq!(
        r.attr("#due-follow-ups input[name=complete]", "checked"),
        None,
        "what the user unticked stays unticked"
    );
    assert_eq!(common::count(&app.db, "interaction").await, 0);
    assert!(!get_follow_up(&app, &user, &due.id).await.completed);
}

// ---------------------------------------------------------------------------------------------
// Cadence and reminder settings

#[tokio::test]
async fn a_contacts_own_cadence_puts_it_on_the_dashboard_sooner() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let call = InteractionInput {
        type_: "call".into(),
        date: iso(utc_today() - Days::new(10)),
        notes: None,
    }
    .parse()
    .unwrap();
    app.db
        .interactions()
        .create(&user, &grace.id, &call)
        .await
        .unwrap();

    let r = client.get("/dashboard").await;
    assert!(
        r.texts("#reconnect .dash-name").is_empty(),
        "90 days by default"
    );

    let saved = client
        .post_form(&format!("/contacts/{}/cadence", grace.id), &[("days", "7")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let r = client.get(&format!("/contacts/{}", grace.id)).await;
    assert_eq!(r.attr("#cadence-days", "value").as_deref(), Some("7"));
    let r = client.get("/dashboard").await;
    assert_eq!(r.texts("#reconnect .dash-name"), ["Grace"]);
    assert_eq!(r.texts("#reconnect .dash-days"), ["3 days overdue"]);
    assert!(r.texts("#reconnect .dash-meta")[0].contains("every 7 days (own cadence)"));

    for bad in ["0", "-1", "3651", "seven", "2.5"] {
        let r = client
            .post_form(&format!("/contacts/{}/cadence", grace.id), &[("days", bad)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(
            r.texts("#cadence-error"),
            ["Cadence must be a whole number of days from 1 to 3650."],
            "{bad}"
        );
        assert_eq!(r.attr("#cadence-days", "value").as_deref(), Some(bad));
    }

    // Empty: back to the default.
    client
        .post_form(&format!("/contacts/{}/cadence", grace.id), &[("days", "")])
        .await;
    let r = client.get("/dashboard").await;
    assert!(r.texts("#reconnect .dash-name").is_empty());
}

#[tokio::test]
async fn reminder_settings_save_the_time_zone_and_default_cadences_and_refuse_bad_ones() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;

    let r = client.get("/settings").await;
    assert_eq!(r.attr("#time_zone", "value").as_deref(), Some("UTC"));
    assert_eq!(r.attr("#cadence_days", "value").as_deref(), Some("90"));
    assert_eq!(r.attr("#vip_cadence_days", "value").as_deref(), Some("30"));
    for id in ["time_zone", "cadence_days", "vip_cadence_days"] {
        assert_eq!(r.texts(&format!("label[for={id}]")).len(), 1, "{id}");
    }

    let bad = client
        .post_form(
            "/settings/preferences",
            &[
                ("time_zone", "Europe/Atlantis"),
                ("cadence_days", "0"),
                ("vip_cadence_days", "lots"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.texts("#time-zone-error"),
        ["Time zone must be a time zone name like Europe/Berlin or UTC."]
    );
    assert_eq!(bad.texts("#cadence-days-error").len(), 1);
    assert_eq!(bad.texts("#vip-cadence-days-error").len(), 1);
    assert_eq!(
        bad.attr("#time_zone", "value").as_deref(),
        Some("Europe/Atlantis")
    );
    assert_eq!(
        app.db.user_settings().get(&user).await.unwrap().preferences,
        Preferences::default()
    );

    let saved = client
        .post_form(
            "/settings/preferences",
            &[
                ("time_zone", "america/new_york"),
                ("cadence_days", "45"),
                ("vip_cadence_days", "10"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let r = client.get("/settings").await;
    assert_eq!(r.texts(".flash-success"), ["Reminder settings saved."]);
    assert_eq!(
        r.attr("#time_zone", "value").as_deref(),
        Some("America/New_York")
    );
    assert_eq!(r.attr("#cadence_days", "value").as_deref(), Some("45"));
    assert_eq!(r.attr("#vip_cadence_days", "value").as_deref(), Some("10"));
}

// ---------------------------------------------------------------------------------------------
// The calendar feed

/// Creates the user's feed on the settings page and returns its path.
async fn create_feed(client: &mut Client<'_>) -> String {
    let r = client.post_form("/settings/calendar", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let url = r.attr("#feed-url", "value").unwrap();
    let path = url
        .strip_prefix("http://localhost:3000")
        .unwrap()
        .to_string();
    assert!(
        path.starts_with("/calendar/") && path.ends_with(".ics"),
        "{path}"
    );
    assert_eq!(
        r.attr("#feed-webcal", "href"),
        Some(format!("webcal://localhost:3000{path}"))
    );
    path
}

#[tokio::test]
async fn the_calendar_feed_holds_birthdays_and_open_follow_ups_as_a_parseable_icalendar() {
    // Every fetch renders the feed anew here (no reuse of a recent rendering).
    let app = common::spawn_app_with(devhub_web::Settings {
        feed_fresh: std::time::Duration::ZERO,
        ..devhub_web::Settings::default()
    })
    .await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let tricky_name = "Doe, Jane; \"JJ\" \\ Jr";
    let jane = store(
        &app,
        &user,
        ContactInput {
            name: tricky_name.into(),
            birthday: Some("1990-07-14".into()),
            ..ContactInput::default()
        },
    )
    .await;
    let leap = store(
        &app,
        &user,
        ContactInput {
            name: "Leap Day".into(),
            birthday: Some("1992-02-29".into()),
            ..ContactInput::default()
        },
    )
    .await;
    store(
        &app,
        &user,
        ContactInput {
            name: "Archived Person".into(),
            birthday: Some("1980-01-01".into()),
            status: Some(devhub_db::ContactStatus::Archived.as_str().into()),
            ..ContactInput::default()
        },
    )
    .await;
    let no_birthday = contact(&app, &user, "Alan").await;
    let long_note = format!(
        "Line one, with a comma; and a semicolon\nLine two: ünïcödé {}",
        "long words ".repeat(20).trim_end()
    );
    let f1 = follow_up(&app, &user, &jane, d("2099-03-05"), &long_note).await;
    let f2 = follow_up(&app, &user, &no_birthday, d("2099-01-02"), "").await;
    let done = follow_up(&app, &user, &no_birthday, d("2099-01-03"), "done").await;
    app.db.follow_ups().complete(&user, &done.id).await.unwrap();
    let (_, other) = sign_up(&app, "bob").await;
    let theirs = store(
        &app,
        &other,
        ContactInput {
            name: "Not yours".into(),
            birthday: Some("1970-01-01".into()),
            ..ContactInput::default()
        },
    )
    .await;
    follow_up(&app, &other, &theirs, d("2099-01-01"), "not yours").await;

    let path = create_feed(&mut client).await;
    // The feed needs no session: calendar apps have none.
    let mut app_client = app.client();
    let r = app_client.get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "text/calendar; charset=utf-8"
    );

    // Lines end in CRLF and are folded at 75 octets.
    assert!(r.body.ends_with("\r\n"));
    for line in r.body.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
    }
    assert!(r.body.contains("\r\n "), "the long note was folded");

    let calendar: icalendar::Calendar = r.body.parse().unwrap();
    assert_eq!(calendar.property_value("VERSION"), Some("2.0"));
    assert!(calendar.property_value("PRODID").is_some());
    let events: Vec<&icalendar::Event> = calendar.events().collect();
    assert_eq!(events.len(), 4, "two birthdays and two open follow-ups");
    let by_uid = |uid: String| {
        events
            .iter()
            .find(|e| e.get_uid() == Some(uid.as_str()))
            .unwrap_or_else(|| panic!("no event {uid}"))
    };

    let birthday = by_uid(format!("birthday-{}@devhub-crm", jane.id));
    assert_eq!(
        birthday.get_summary(),
        Some(format!("{tricky_name}'s birthday").as_str())
    );
    assert_eq!(
        birthday.get_start(),
        Some(DatePerhapsTime::Date(d("1990-07-14")))
    );
    assert_eq!(
        birthday.get_end(),
        Some(DatePerhapsTime::Date(d("1990-07-15")))
    );
    assert_eq!(birthday.property_value("RRULE"), Some("FREQ=YEARLY"));
    assert_eq!(
        birthday.get_url(),
        Some(format!("http://localhost:3000/contacts/{}", jane.id).as_str())
    );

    let leap_day = by_uid(format!("birthday-{}@devhub-crm", leap.id));
    assert_eq!(leap_day.get_summary(), Some("Leap Day's birthday"));
    assert_eq!(
        leap_day.get_start(),
        Some(DatePerhapsTime::Date(d("1992-02-29")))
    );
    assert_eq!(
        leap_day.get_end(),
        Some(DatePerhapsTime::Date(d("1992-03-01")))
    );
    assert_eq!(
        leap_day.property_value("RRULE"),
        Some("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"),
        "29 February in leap years, 28 February otherwise"
    );

    let first = by_uid(format!("follow-up-{}@devhub-crm", f1.id));
    assert_eq!(
        first.get_summary(),
        Some(format!("Follow up with {tricky_name}").as_str())
    );
    assert_eq!(first.get_description(), Some(long_note.as_str()));
    assert_eq!(
        first.get_start(),
        Some(DatePerhapsTime::Date(d("2099-03-05")))
    );
    assert_eq!(
        first.get_end(),
        Some(DatePerhapsTime::Date(d("2099-03-06")))
    );
    assert_eq!(first.property_value("RRULE"), None);
    assert_eq!(first.get_timestamp(), Some(f1.updated_at));
    assert_eq!(
        first.get_url(),
        Some(format!("http://localhost:3000/follow-ups/{}", f1.id).as_str())
    );

    let second = by_uid(format!("follow-up-{}@devhub-crm", f2.id));
    assert_eq!(second.get_summary(), Some("Follow up with Alan"));
    assert_eq!(second.get_description(), None);
    assert_eq!(
        second.get_start(),
        Some(DatePerhapsTime::Date(d("2099-01-02")))
    );

    // The raw text escapes what TEXT values must.
    assert!(
        r.body.contains("Doe\\, Jane\\; \"JJ\" \\\\ Jr"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("not yours") && !r.body.contains("Not yours"));
    assert!(!r.body.contains("Archived Person"));

    // A second, independent parser reads the same events with every required property.
    let mut parsed = ical::IcalParser::new(std::io::BufReader::new(r.body.as_bytes()));
    let other = parsed.next().unwrap().unwrap();
    assert!(parsed.next().is_none(), "one calendar");
    let prop = |props: &[ical::property::Property], name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
    };
    assert_eq!(prop(&other.properties, "VERSION").as_deref(), Some("2.0"));
    assert_eq!(other.events.len(), 4);
    for event in &other.events {
        for required in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"] {
            assert!(prop(&event.properties, required).is_some(), "{required}");
        }
        let start = event
            .properties
            .iter()
            .find(|p| p.name == "DTSTART")
            .unwrap();
        assert_eq!(
            start.params,
            Some(vec![("VALUE".to_string(), vec!["DATE".to_string()])]),
            "all-day"
        );
    }
    let summaries: Vec<String> = other
        .events
        .iter()
        .filter_map(|e| prop(&e.properties, "SUMMARY"))
        .collect();
    // This parser keeps TEXT values escaped: the commas, semicolons and backslash are.
    assert!(
        summaries.contains(&"Doe\\, Jane\\; \"JJ\" \\\\ Jr's birthday".to_string()),
        "{summaries:?}"
    );

    // Fetching again gives the same events with the same UIDs.
    let again = app_client.get(&path).await;
    let uids = |body: &str| {
        let cal: icalendar::Calendar = body.parse().unwrap();
        let mut uids: Vec<String> = cal
            .events()
            .map(|e| e.get_uid().unwrap().to_string())
            .collect();
        uids.sort();
        uids
    };
    assert_eq!(uids(&again.body), uids(&r.body));
    assert_eq!(again.body, r.body, "nothing changed, nothing differs");

    // Completing a follow-up takes it out of the feed.
    app.db.follow_ups().complete(&user, &f2.id).await.unwrap();
    let after = app_client.get(&path).await;
    assert_eq!(uids(&after.body).len(), 3);
    assert!(!uids(&after.body).contains(&format!("follow-up-{}@devhub-crm", f2.id)));
}

#[tokio::test]
async fn a_revoked_regenerated_or_unknown_feed_token_gets_404() {
    let app = spawn_app().await;
    let (mut client, _) = sign_up(&app, "ada").await;
    let mut anonymous = app.client();

    let r = client.get("/settings").await;
    assert_eq!(r.texts("#feed-status"), ["No feed yet."]);
    assert!(r.attr("#feed-url", "value").is_none());

    let first = create_feed(&mut client).await;
    assert_eq!(anonymous.get(&first).await.status, StatusCode::OK);
    let r = client.get("/settings").await;
    assert!(r.texts("#feed-status")[0].starts_with("A feed address is active"));
    assert!(
        r.attr("#feed-url", "value").is_none(),
        "the address is shown once, when made"
    );
    // Only its hash is stored.
    let token = first
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics")
        .to_string();
    let conn = app.db.conn().await.unwrap();
    let mut rows = conn
        .query("SELECT calendar_token_hash FROM user_settings", ())
        .await
        .unwrap();
    let stored: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert_eq!(stored, devhub_db::sha256_hex(&token));
    assert!(!stored.contains(&token));
    drop(rows);
    drop(conn);

    let second = create_feed(&mut client).await;
    assert_ne!(first, second);
    assert_eq!(anonymous.get(&first).await.status, StatusCode::NOT_FOUND);
    assert_eq!(anonymous.get(&second).await.status, StatusCode::OK);

    let revoked = client.post_form("/settings/calendar/revoke", &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.get(&second).await.status, StatusCode::NOT_FOUND);
    for unknown in [
        "/calendar/not-a-token.ics",
        "/calendar/.ics",
        "/calendar/abc",
        &second.replace(".ics", ""),
    ] {
        assert_eq!(
            anonymous.get(unknown).await.status,
            StatusCode::NOT_FOUND,
            "{unknown}"
        );
    }
}

#[tokio::test]
async fn the_feed_address_uses_the_public_url_when_one_is_configured() {
    let app = common::spawn_app_with(devhub_web::Settings {
        public_url: Some("https://crm.example.com".into()),
        ..devhub_web::Settings::default()
    })
    .await;
    let (mut client, _) = sign_up(&app, "ada").await;
    let r = client.post_form("/settings/calendar", &[]).await;
    let url = r.attr("#feed-url", "value").unwrap();
    let path = url.strip_prefix("https://crm.example.com").unwrap();
    assert!(
        path.starts_with("/calendar/") && path.ends_with(".ics"),
        "{url}"
    );
    assert_eq!(
        r.attr("#feed-webcal", "href"),
        Some(format!("webcal://crm.example.com{path}"))
    );
    assert_eq!(app.client().get(path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_feed_rendered_minutes_ago_is_served_again_but_a_revoked_token_stops_at_once() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = store(
        &app,
        &user,
        ContactInput {
            name: "Grace".into(),
            ..ContactInput::default()
        },
    )
    .await;
    let f = follow_up(&app, &user, &grace, Utc::now().date_naive(), "call").await;
    let path = create_feed(&mut client).await;
    let mut app_client = app.client();
    let first = app_client.get(&path).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first
        .body
        .contains(&format!("follow-up-{}@devhub-crm", f.id)));

    // Within the freshness window the same rendering is served: the completed follow-up
    // leaves the feed at the next rendering, minutes later (calendar apps poll hourly).
    app.db.follow_ups().complete(&user, &f.id).await.unwrap();
    let again = app_client.get(&path).await;
    assert_eq!(again.body, first.body);

    // The token is checked on every request: revoked, the cached feed is not served.
    let r = client.post_form("/settings/calendar/revoke", &[]).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(app_client.get(&path).await.status, StatusCode::NOT_FOUND);
}

/// A calendar app that sends back the feed's entity tag gets `304 Not Modified` while the feed
/// is the same, and the new feed once it changed; one that accepts gzip gets the same text
/// compressed (once per rendering, not by the compression layer on every poll).
#[tokio::test]
async fn a_feed_answers_304_to_its_tag_until_it_changes_and_gzip_to_who_accepts_it() {
    use std::io::Read;
    use tower::ServiceExt;
    let app = common::spawn_app_with(devhub_web::Settings {
        feed_fresh: std::time::Duration::ZERO,
        ..devhub_web::Settings::default()
    })
    .await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &user, "Grace").await;
    follow_up(&app, &user, &grace, d("2099-01-02"), "call").await;
    let path = create_feed(&mut client).await;
    let fetch = |headers: Vec<(&'static str, String)>| {
        let mut request = axum::http::Request::builder()
            .uri(&path)
            .header("host", "localhost:3000");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request.body(axum::body::Body::empty()).unwrap();
        let router = app.router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            (parts.status, parts.headers, bytes.to_vec())
        }
    };

    let (status, headers, plain) = fetch(vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-encoding").is_none());
    let tag = headers["etag"].to_str().unwrap().to_string();
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && tag.len() > 20,
        "{tag}"
    );
    assert!(String::from_utf8_lossy(&plain).contains("Follow up with Grace"));

    // Rendered again, the same events have the same tag: 304, no body, the tag again.
    let (status, headers, body) = fetch(vec![("if-none-match", tag.clone())]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers["etag"], tag.as_str());
    let listed = format!("\"other\", W/{tag}");
    assert_eq!(
        fetch(vec![("if-none-match", listed)]).await.0,
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        fetch(vec![("if-none-match", "\"other\"".into())]).await.0,
        StatusCode::OK
    );

    // gzip, as calendar apps ask for it: the same text.
    let (status, headers, gzipped) = fetch(vec![("accept-encoding", "gzip, deflate".into())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "gzip");
    assert_eq!(headers["vary"], "accept-encoding");
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_end(&mut text)
        .unwrap();
    assert_eq!(text, plain);
    assert!(gzipped.len() < plain.len());
    // Refused at q=0: plain.
    let (_, headers, body) = fetch(vec![("accept-encoding", "gzip;q=0".into())]).await;
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(body, plain);

    // A change to the feed's events changes its tag: the old one gets the new feed.
    follow_up(&app, &user, &grace, d("2099-02-03"), "again").await;
    let (status, headers, body) = fetch(vec![("if-none-match", tag.clone())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers["etag"], tag.as_str());
    assert!(String::from_utf8_lossy(&body).contains("20990203"));
}

#[tokio::test]
async fn a_long_group_shows_its_first_twenty_and_links_to_all_of_it_page_by_page() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let today = Utc::now().date_naive();
    for i in 0..55u64 {
        let c = store(
            &app,
            &user,
            ContactInput {
                name: format!("Person {i:02}"),
                ..ContactInput::default()
            },
        )
        .await;
        follow_up(&app, &user, &c, today - Days::new(1 + i), "call").await;
    }
    let later = store(
        &app,
        &user,
        ContactInput {
            name: "Later Person".into(),
            ..ContactInput::default()
        },
    )
    .await;
    follow_up(&app, &user, &later, today + Days::new(30), "").await;

    let r = client.get("/follow-ups").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("#overdue .fu-list > li").len(), 20);
    assert_eq!(r.texts("#overdue-heading .count"), ["55"]);
    assert_eq!(r.texts("#tab-open .count"), ["56"]);
    assert_eq!(r.texts("#later .fu-list > li").len(), 1);
    let all = r.attr("#overdue .fu-all a", "href").unwrap();
    assert_eq!(all, "/follow-ups?group=overdue");
    // The most overdue come first.
    assert!(r.texts("#overdue .fu-list > li")[0].contains("Person 54"));

    // The whole group, 50 to a page, and no other group.
    let page1 = client.get(&all).await;
    assert_eq!(page1.texts("#overdue .fu-list > li").len(), 50);
    assert!(page1.texts("#later").is_empty());
    let next = page1.attr(".pager a[rel=next]", "href").unwrap();
    let page2 = client.get(&next).await;
    let rest = page2.texts("#overdue .fu-list > li");
    assert_eq!(rest.len(), 5);
    assert!(rest[4].contains("Person 00"), "{rest:?}");
}

/// A group of thousands: at a glance its count stops at 1,000 ("1,000+"), paged on its own it
/// counts up to 10,000 so that every page of it can be reached.
#[tokio::test]
async fn a_group_of_thousands_reads_at_least_at_a_glance_and_is_paged_in_full() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let c = store(
        &app,
        &user,
        ContactInput {
            name: "Busy Person".into(),
            ..ContactInput::default()
        },
    )
    .await;
    let due = (Utc::now().date_naive() + Days::new(60))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp();
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1234) \
         INSERT INTO follow_up (id, user_id, contact_id, due_date, note) \
         SELECT 'f' || i, ?1, ?2, ?3, 'note ' || i FROM k",
        (user.to_string(), c.id.to_string(), due),
    )
    .await
    .unwrap();
    drop(conn);
    let r = client.get("/follow-ups").await;
    assert_eq!(r.texts("#later-heading .count"), ["1,000+"]);
    assert_eq!(r.texts("#tab-open .count"), ["1,000+"]);
    let all = client.get("/follow-ups?group=later").await;
    assert_eq!(all.texts("#later-heading .count"), ["1,234"]);
    let last = client.get("/follow-ups?group=later&page=25").await;
    assert_eq!(last.texts("#later .fu-list > li").len(), 34);
}
