//! The dashboard through the in-process router: counts, VIP quick access, recent interactions,
//! upcoming birthdays, the reconnect list and the empty states.
#![allow(clippy::unwrap_used)]

mod common;
use common::sign_up;

use axum::http::StatusCode;
use chrono::{Datelike, Duration, Months, NaiveDate, Timelike, Utc};
use common::{spawn_app, TestApp, TestResponse};
use devhub_db::repo::interaction::InteractionInput;
use devhub_db::{
    Contact, ContactInput, ContactStatus, FollowUpInput, Preferences, TimeZone, UserId,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A contact to store: active, not VIP, no birthday unless set.
struct Person {
    name: &'static str,
    vip: bool,
    archived: bool,
    birthday: Option<NaiveDate>,
}

fn person(name: &'static str) -> Person {
    Person {
        name,
        vip: false,
        archived: false,
        birthday: None,
    }
}

impl Person {
    fn vip(self) -> Self {
        Person { vip: true, ..self }
    }

    fn archived(self) -> Self {
        Person {
            archived: true,
            ..self
        }
    }

    fn born(self, birthday: NaiveDate) -> Self {
        Person {
            birthday: Some(birthday),
            ..self
        }
    }

    async fn store(self, app: &TestApp, user: &UserId) -> Contact {
        app.db
            .contacts()
            .create(
                user,
                &ContactInput {
                    name: self.name.into(),
                    vip: self.vip,
                    birthday: self.birthday.map(iso),
                    status: Some(
                        if self.archived {
                            ContactStatus::Archived
                        } else {
                            ContactStatus::Active
                        }
                        .as_str()
                        .into(),
                    ),
                    ..ContactInput::default()
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap()
    }
}

async fn log(app: &TestApp, user: &UserId, contact: &Contact, kind: &str, on: NaiveDate) {
    let new = InteractionInput {
        type_: kind.into(),
        date: iso(on),
        notes: Some(format!("{kind} on {}", iso(on))),
    }
    .parse()
    .unwrap();
    app.db
        .interactions()
        .create(user, &contact.id, &new)
        .await
        .unwrap();
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn days_ago(n: i64) -> NaiveDate {
    today() - Duration::days(n)
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Someone born 32 years before the day `n` days from now. 32 is a multiple of 4, so a
/// 29 February lands on a 29 February.
fn birthday_in(n: i64) -> NaiveDate {
    (today() + Duration::days(n))
        .checked_sub_months(Months::new(12 * 32))
        .unwrap()
}

fn stat(r: &TestResponse, name: &str) -> String {
    r.texts(&format!("[data-stat={name}] .stat-value"))
        .pop()
        .unwrap_or_default()
}

/// `(name, meta line)` of each entry of a dashboard card.
fn entries(r: &TestResponse, card: &str) -> Vec<(String, String)> {
    let names = r.texts(&format!("#{card} .dash-item .dash-name"));
    let metas = r.texts(&format!("#{card} .dash-item .dash-meta"));
    assert_eq!(names.len(), metas.len());
    names.into_iter().zip(metas).collect()
}

fn names(r: &TestResponse, card: &str) -> Vec<String> {
    r.texts(&format!("#{card} .dash-item .dash-name"))
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn a_brand_new_account_is_welcomed_with_the_first_run_checklist_and_no_empty_boxes() {
    let app = spawn_app().await;
    let (mut client, _) = sign_up(&app, "ada").await;

    let r = client.get("/").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.texts("h1"),
        ["Welcome, ada"],
        "not \"Welcome back\" on a first visit"
    );
    assert_eq!(
        steps(&r),
        [
            ("contact".to_string(), false),
            ("interaction".to_string(), false),
            ("vip".to_string(), false),
            ("follow-up".to_string(), false),
            ("calendar".to_string(), false),
        ]
    );
    assert_eq!(
        r.texts("#get-started .dash-step-label"),
        [
            "Add a contact",
            "Log an interaction",
            "Mark a VIP",
            "Add a follow-up",
            "Subscribe to the calendar feed"
        ]
    );
    assert_eq!(step_link(&r, "contact").as_deref(), Some("/contacts/new"));
    assert_eq!(
        step_link(&r, "calendar").as_deref(),
        Some("/settings#calendar")
    );
    assert_eq!(r.texts("#get-started-progress"), ["0 of 5 done"]);
    assert_eq!(
        r.attr(".page-head .button.primary", "href").as_deref(),
        Some("/contacts/new")
    );
    // Nothing else: no figures, no cards with nothing in them.
    assert!(r.texts(".stat").is_empty());
    assert!(r.texts(".dash-card").is_empty());
    assert!(!r.body.contains("Nothing here"));
}

#[tokio::test]
async fn the_dashboard_is_at_the_root_and_at_dashboard() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    person("Grace").vip().store(&app, &user).await;

    let root = client.get("/").await;
    let dashboard = client.get("/dashboard").await;

    assert_eq!(dashboard.status, StatusCode::OK);
    assert_eq!(root.texts(".dash-chip"), ["Grace"]);
    assert_eq!(dashboard.texts(".dash-chip"), ["Grace"]);
    assert_eq!(
        dashboard.attr("a[aria-current=page]", "href").as_deref(),
        Some("/dashboard")
    );
    assert_eq!(
        app.client().get("/dashboard").await.location(),
        Some("/login?next=%2Fdashboard")
    );
}

#[tokio::test]
async fn counts_show_contacts_vips_and_this_months_interactions_of_the_user_only() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let (_, other) = sign_up(&app, "bob").await;
    let grace = person("Grace").vip().store(&app, &user).await;
    person("Alan").store(&app, &user).await;
    person("Old VIP").vip().archived().store(&app, &user).await;
    let theirs = person("Theirs").vip().store(&app, &other).await;
    let first_of_month = today().with_day(1).unwrap();
    log(&app, &user, &grace, "call", today()).await;
    log(&app, &user, &grace, "email", first_of_month).await;
    log(
        &app,
        &user,
        &grace,
        "email",
        first_of_month - Duration::days(1),
    )
    .await;
    log(&app, &other, &theirs, "call", today()).await;

    let r = client.get("/dashboard").await;

    // The contacts figure is the "All" tab it links to: active contacts (the archived VIP is
    // not one); the VIP figure is the VIP tab's, which holds archived VIPs too.
    assert_eq!(stat(&r, "contacts"), "2");
    assert_eq!(stat(&r, "vips"), "2");
    assert_eq!(stat(&r, "month"), "2");
    let month = today().format("%B").to_string();
    assert_eq!(
        r.texts("[data-stat=month] .stat-label"),
        [format!("Interactions in {month}")]
    );
    let last_day = first_of_month
        .checked_add_months(Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    assert_eq!(
        r.attr("[data-stat=month]", "href"),
        Some(format!(
            "/interactions?from={}&to={}",
            iso(first_of_month),
            iso(last_day)
        ))
    );
    // The link shows the same interactions.
    let href = r.attr("[data-stat=month]", "href").unwrap();
    assert_eq!(client.get(&href).await.texts(".ix-item").len(), 2);
}

#[tokio::test]
async fn vip_quick_access_links_the_active_vips_by_name() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = person("Grace").vip().store(&app, &user).await;
    person("barbara").vip().store(&app, &user).await;
    person("Alan").store(&app, &user).await;
    person("Archived VIP")
        .vip()
        .archived()
        .store(&app, &user)
        .await;

    let r = client.get("/").await;

    assert_eq!(r.texts("#vips .dash-chip"), ["barbara", "Grace"]);
    let html = r.html();
    let hrefs: Vec<_> = html
        .select(&scraper::Selector::parse("#vips .dash-chip").unwrap())
        .filter_map(|a| a.value().attr("href"))
        .collect();
    assert_eq!(hrefs[1], format!("/contacts/{}", grace.id));
}

#[tokio::test]
async fn recent_interactions_are_the_latest_ten_with_their_contacts_linked() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = person("Grace").store(&app, &user).await;
    let alan = person("Alan").store(&app, &user).await;
    for n in 1..=12 {
        let who = if n % 2 == 0 { &grace } else { &alan };
        log(&app, &user, who, "meeting", days_ago(n)).await;
    }

    let r = client.get("/").await;

    let notes = r.texts("#recent .ix-item .ix-notes");
    assert_eq!(notes.len(), 10);
    assert_eq!(notes[0], format!("meeting on {}", iso(days_ago(1))));
    assert_eq!(notes[9], format!("meeting on {}", iso(days_ago(10))));
    assert_eq!(r.texts("#recent .ix-contact")[..2], ["Alan", "Grace"]);
    assert_eq!(
        r.attr("#recent .ix-contact", "href"),
        Some(format!("/contacts/{}", alan.id))
    );
    assert_eq!(r.texts("#recent .ix-item time")[0], "yesterday");
    assert!(
        r.texts("#recent .ix-actions").is_empty(),
        "no edit buttons here"
    );
}

#[tokio::test]
async fn upcoming_birthdays_cover_the_next_30_days_soonest_first_with_the_age() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let today_person = person("Today")
        .born(birthday_in(0))
        .store(&app, &user)
        .await;
    person("In three")
        .vip()
        .born(birthday_in(3))
        .store(&app, &user)
        .await;
    person("In thirty")
        .born(birthday_in(30))
        .store(&app, &user)
        .await;
    person("In thirty-one")
        .born(birthday_in(31))
        .store(&app, &user)
        .await;
    person("Yesterday")
        .born(birthday_in(-1))
        .store(&app, &user)
        .await;
    person("Archived")
        .archived()
        .born(birthday_in(2))
        .store(&app, &user)
        .await;
    person("No birthday").store(&app, &user).await;

    let r = client.get("/").await;

    let soon = entries(&r, "birthdays");
    let day = |n: i64| (today() + Duration::days(n)).format("%b %-d").to_string();
    assert_eq!(
        soon,
        [
            ("Today".into(), format!("today · {} · turns 32", day(0))),
            (
                "In three".into(),
                format!("in 3 days · {} · turns 32", day(3))
            ),
            (
                "In thirty".into(),
                format!("in 30 days · {} · turns 32", day(30))
            ),
        ]
    );
    assert_eq!(
        r.attr("#birthdays .dash-item a", "href"),
        Some(format!("/contacts/{}", today_person.id))
    );
    assert_eq!(r.texts("#birthdays .dash-today .dash-name"), ["Today"]);
    assert_eq!(r.texts("#birthdays .badge.vip").len(), 1);
}

#[tokio::test]
async fn reconnect_lists_vips_after_30_days_and_others_after_90_by_default_most_overdue_first() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let (_, other) = sign_up(&app, "bob").await;
    let people = [
        (person("VIP 30 days").vip(), 30),
        (person("VIP 31 days").vip(), 31),
        (person("VIP 45 days").vip(), 45),
        (person("Other 31 days"), 31),
        (person("Other 90 days"), 90),
        (person("Other 91 days"), 91),
        (person("Other 200 days"), 200),
        (person("Archived VIP").vip().archived(), 300),
        (person("Archived other").archived(), 300),
    ];
    for (who, days) in people {
        let c = who.store(&app, &user).await;
        log(&app, &user, &c, "call", days_ago(days)).await;
    }
    // Never contacted: counts from when the contact was added.
    let added_long_ago = person("Never contacted").store(&app, &user).await;
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "UPDATE contact SET created_at = ?2 WHERE id = ?1",
        (
            added_long_ago.id.to_string(),
            (Utc::now() - Duration::days(120)).timestamp(),
        ),
    )
    .await
    .unwrap();
    drop(conn);
    person("New VIP, never contacted")
        .vip()
        .store(&app, &user)
        .await;
    let theirs = person("Theirs").vip().store(&app, &other).await;
    log(&app, &other, &theirs, "call", days_ago(400)).await;

    let r = client.get("/").await;

    let last = |n: i64| {
        (today() - Duration::days(n))
            .format("%B %-d, %Y")
            .to_string()
    };
    assert_eq!(
        entries(&r, "reconnect"),
        [
            (
                "Other 200 days".into(),
                format!("110 days overdue · every 90 days · last {}", last(200))
            ),
            (
                "Never contacted".into(),
                "30 days overdue · every 90 days · never contacted".into()
            ),
            (
                "VIP 45 days".into(),
                format!("15 days overdue · every 30 days · last {}", last(45))
            ),
            (
                "Other 91 days".into(),
                format!("1 day overdue · every 90 days · last {}", last(91))
            ),
            (
                "VIP 31 days".into(),
                format!("1 day overdue · every 30 days · last {}", last(31))
            ),
            // Exactly one cadence ago: due from today on.
            (
                "Other 90 days".into(),
                format!("due today · every 90 days · last {}", last(90))
            ),
            (
                "VIP 30 days".into(),
                format!("due today · every 30 days · last {}", last(30))
            ),
        ]
    );
    assert_eq!(r.texts("#reconnect .badge.vip").len(), 3);
    assert_eq!(
        r.attr("#reconnect .dash-log", "href"),
        Some(format!(
            "/contacts/{}/interactions/new?back=%2Fdashboard",
            r.attr("#reconnect .dash-name", "href")
                .unwrap()
                .trim_start_matches("/contacts/")
        ))
    );
}

#[tokio::test]
async fn logging_an_interaction_from_the_reconnect_list_takes_the_contact_off_it() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let grace = person("Grace").vip().store(&app, &user).await;
    log(&app, &user, &grace, "email", days_ago(40)).await;
    let r = client.get("/").await;
    assert_eq!(names(&r, "reconnect"), ["Grace"]);

    let form = client
        .get(&r.attr("#reconnect .dash-log", "href").unwrap())
        .await;
    assert_eq!(form.texts("h1"), ["Log interaction with Grace"]);
    assert_eq!(
        form.attr("form.ix-form input[name=back]", "value")
            .as_deref(),
        Some("/dashboard")
    );
    let saved = client
        .post_form(
            &format!("/contacts/{}/interactions", grace.id),
            &[
                ("type", "call"),
                ("date", &iso(today())),
                ("notes", "caught up"),
                ("back", "/dashboard"),
            ],
        )
        .await;
    assert_eq!(saved.location(), Some("/dashboard"));

    let r = client.get("/dashboard").await;
    assert_eq!(r.texts(".flash-success"), ["Call with Grace logged."]);
    assert!(names(&r, "reconnect").is_empty());
    assert_eq!(
        r.texts("#recent .ix-notes"),
        [
            "caught up",
            format!("email on {}", iso(days_ago(40))).as_str()
        ]
    );

    // Deleting today's call brings her back, 10 days overdue again.
    let call_id = app
        .db
        .interactions()
        .list_for_contact(&user, &grace.id, 1, 0)
        .await
        .unwrap()
        .0[0]
        .id
        .clone();
    client
        .post_form(&format!("/interactions/{call_id}/delete"), &[])
        .await;
    let r = client.get("/dashboard").await;
    assert_eq!(
        entries(&r, "reconnect")[0].1,
        format!(
            "10 days overdue · every 30 days · last {}",
            days_ago(40).format("%B %-d, %Y")
        )
    );
}

#[tokio::test]
async fn empty_groups_are_left_out_and_one_line_says_nothing_is_due() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    person("Alan").store(&app, &user).await;

    let r = client.get("/").await;

    assert_eq!(stat(&r, "contacts"), "1");
    assert_eq!(stat(&r, "vips"), "0");
    assert_eq!(stat(&r, "month"), "0");
    for card in ["vips", "upcoming", "reconnect", "birthdays", "recent"] {
        assert!(
            r.texts(&format!("#{card}")).is_empty(),
            "{card} shown with nothing in it"
        );
    }
    assert!(r.texts(".dash-card").is_empty());
    assert!(!r.body.contains("Nothing here"));
    let caught_up = r.texts("#caught-up");
    assert!(
        caught_up.len() == 1 && caught_up[0].starts_with("All caught up"),
        "{caught_up:?}"
    );

    // One group with something in it shows alone, and the line goes.
    let grace = person("Grace").vip().store(&app, &user).await;
    let r = client.get("/").await;
    assert_eq!(r.texts("#vips .dash-chip"), ["Grace"]);
    log(&app, &user, &grace, "call", today()).await;
    let r = client.get("/").await;
    assert_eq!(r.texts(".dash-card h2").len(), 2, "VIPs and recent only");
    assert_eq!(r.texts("#recent .ix-date"), ["today"]);
    assert!(r.texts("#upcoming, #reconnect, #birthdays").is_empty());
    assert!(r.texts("#caught-up").is_empty());
}

// ---------------------------------------------------------------------------------------------
// The first-run checklist

/// `(step, done)` of each step of the checklist.
fn steps(r: &TestResponse) -> Vec<(String, bool)> {
    let html = r.html();
    let step = scraper::Selector::parse("#get-started .dash-step").unwrap();
    html.select(&step)
        .map(|li| {
            let key = li.value().attr("data-step").unwrap_or_default().to_string();
            let done = li.value().classes().any(|c| c == "dash-step-done");
            (key, done)
        })
        .collect()
}

fn done_steps(r: &TestResponse) -> Vec<String> {
    steps(r)
        .into_iter()
        .filter(|(_, done)| *done)
        .map(|(key, _)| key)
        .collect()
}

fn step_link(r: &TestResponse, key: &str) -> Option<String> {
    r.attr(&format!("#get-started [data-step={key}] a"), "href")
}

async fn follow_up(app: &TestApp, user: &UserId, contact: &Contact, due: NaiveDate, note: &str) {
    app.db
        .follow_ups()
        .create(
            user,
            &contact.id,
            &FollowUpInput {
                due_date: iso(due),
                note: Some(note.into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_checklist_ticks_each_step_from_the_data_and_goes_away_once_all_are_done() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    // Another account that has done everything ticks nothing of ada's.
    let (_, other) = sign_up(&app, "bob").await;
    let theirs = person("Theirs").vip().store(&app, &other).await;
    log(&app, &other, &theirs, "call", today()).await;
    follow_up(&app, &other, &theirs, today(), "theirs").await;
    app.db
        .user_settings()
        .set_calendar_token(&other, &"b".repeat(64))
        .await
        .unwrap();
    assert!(done_steps(&client.get("/").await).is_empty());

    let alan = person("Alan").store(&app, &user).await;
    let r = client.get("/").await;
    assert_eq!(r.texts("h1"), ["Welcome back, ada"]);
    assert_eq!(done_steps(&r), ["contact"]);
    assert_eq!(r.texts("#get-started-progress"), ["1 of 5 done"]);
    assert!(step_link(&r, "contact").is_none(), "a done step is no link");
    assert_eq!(step_link(&r, "interaction").as_deref(), Some("/contacts"));

    log(&app, &user, &alan, "email", days_ago(3)).await;
    assert_eq!(
        done_steps(&client.get("/").await),
        ["contact", "interaction"]
    );

    person("Grace").vip().store(&app, &user).await;
    assert_eq!(
        done_steps(&client.get("/").await),
        ["contact", "interaction", "vip"]
    );

    // A follow-up counts once added, even when it is already done.
    follow_up(&app, &user, &alan, today(), "Send the slides").await;
    let open = app.db.follow_ups().list_open_for_user(&user).await.unwrap();
    app.db
        .follow_ups()
        .complete(&user, &open[0].follow_up.id)
        .await
        .unwrap();
    let r = client.get("/").await;
    assert_eq!(
        done_steps(&r),
        ["contact", "interaction", "vip", "follow-up"]
    );
    assert_eq!(
        step_link(&r, "calendar").as_deref(),
        Some("/settings#calendar")
    );

    // Subscribing from the settings page is the last step: the checklist goes.
    let made = client.post_form("/settings/calendar", &[]).await;
    // The page that shows the new address once.
    assert_eq!(made.status, StatusCode::OK);
    let r = client.get("/").await;
    assert!(r.texts("#get-started").is_empty(), "{}", r.body);
    assert_eq!(r.texts("h1"), ["Welcome back, ada"]);
}

// ---------------------------------------------------------------------------------------------
// Upcoming follow-ups

#[tokio::test]
async fn upcoming_lists_the_open_follow_ups_of_the_next_seven_days_soonest_first() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let (_, other) = sign_up(&app, "bob").await;
    let day = |n: i64| today() + Duration::days(n);
    let alan = person("Alan").store(&app, &user).await;
    let grace = person("Grace").store(&app, &user).await;
    let linus = person("Linus").store(&app, &user).await;
    follow_up(&app, &user, &alan, day(7), "last day of the window").await;
    follow_up(&app, &user, &grace, day(1), "tomorrow").await;
    follow_up(&app, &user, &linus, day(3), "in three days").await;
    // Outside the window: overdue, today (the figures at the top count those) and day 8.
    follow_up(&app, &user, &alan, day(-1), "overdue").await;
    follow_up(&app, &user, &grace, day(0), "today").await;
    follow_up(&app, &user, &linus, day(8), "too far").await;
    // Done already.
    follow_up(&app, &user, &alan, day(2), "done").await;
    let done = app.db.follow_ups().list_open_for_user(&user).await.unwrap();
    let done = done
        .iter()
        .find(|f| f.follow_up.note.as_deref() == Some("done"))
        .unwrap();
    app.db
        .follow_ups()
        .complete(&user, &done.follow_up.id)
        .await
        .unwrap();
    // Someone else's.
    let theirs = person("Theirs").store(&app, &other).await;
    follow_up(&app, &other, &theirs, day(2), "theirs").await;

    let r = client.get("/").await;

    assert_eq!(names(&r, "upcoming"), ["Grace", "Linus", "Alan"]);
    assert_eq!(
        r.texts("#upcoming .dash-note"),
        ["tomorrow", "in three days", "last day of the window"]
    );
    assert_eq!(
        r.texts("#upcoming .dash-days"),
        ["due tomorrow", "due in 3 days", "due in 7 days"]
    );
    let html = r.html();
    let time = scraper::Selector::parse("#upcoming time").unwrap();
    let dates: Vec<_> = html
        .select(&time)
        .filter_map(|t| t.value().attr("datetime"))
        .collect();
    assert_eq!(dates, [iso(day(1)), iso(day(3)), iso(day(7))]);
    assert_eq!(
        r.attr("#upcoming .dash-name", "href"),
        Some(format!("/contacts/{}", grace.id))
    );
    assert!(r.texts("#upcoming .dash-foot").is_empty(), "all shown");
    // The only half-width card takes the whole row rather than leave half of it empty.
    assert!(!r.texts("#upcoming.dash-wide").is_empty());
    assert_eq!(stat(&r, "overdue"), "1");
    assert_eq!(stat(&r, "today"), "1");
}

#[tokio::test]
async fn upcoming_counts_its_days_from_today_where_the_user_lives() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let (zone, local) = zone_off_utc().await;
    app.db
        .user_settings()
        .save_preferences(
            &user,
            &Preferences {
                time_zone: zone,
                ..Preferences::default()
            },
        )
        .await
        .unwrap();
    let day = |n: i64| local + Duration::days(n);
    let alan = person("Alan").store(&app, &user).await;
    for n in [0, 1, 7, 8] {
        follow_up(&app, &user, &alan, day(n), &format!("day {n}")).await;
    }

    let r = client.get("/").await;

    // UTC's date is a day off: counted from it, day 0 or day 8 would be in the window.
    assert_eq!(r.texts("#upcoming .dash-note"), ["day 1", "day 7"]);
    assert_eq!(stat(&r, "today"), "1");
}

#[tokio::test]
async fn upcoming_shows_the_first_ten_and_links_to_the_rest() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let alan = person("Alan").store(&app, &user).await;
    for i in 0..13 {
        let due = today() + Duration::days(1 + i % 7);
        follow_up(&app, &user, &alan, due, &format!("note {i}")).await;
    }

    let r = client.get("/").await;

    assert_eq!(names(&r, "upcoming").len(), 10);
    let dates: Vec<String> = {
        let html = r.html();
        let time = scraper::Selector::parse("#upcoming time").unwrap();
        html.select(&time)
            .filter_map(|t| t.value().attr("datetime").map(str::to_string))
            .collect()
    };
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "soonest first");
    assert_eq!(
        r.texts("#upcoming .dash-foot"),
        ["…and 3 more in the next 7 days"]
    );
    assert_eq!(
        r.attr("#upcoming .dash-foot a", "href").as_deref(),
        Some("/follow-ups")
    );
}

#[tokio::test]
async fn done_from_upcoming_completes_the_follow_up_and_comes_back() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let alan = person("Alan").store(&app, &user).await;
    follow_up(
        &app,
        &user,
        &alan,
        today() + Duration::days(2),
        "Send the slides",
    )
    .await;
    let r = client.get("/").await;
    let action = r.attr("#upcoming form", "action").unwrap();

    let done = client.post_form(&action, &[("back", "/dashboard")]).await;

    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), Some("/dashboard"));
    let r = client.get("/dashboard").await;
    assert!(r.texts("#upcoming").is_empty());
}

// ---------------------------------------------------------------------------------------------
// One "today"

/// A time zone whose date differs from UTC's now, with that date: Kiritimati (UTC+14) is a
/// day ahead from 10:00 UTC until midnight, Pago Pago (UTC-11) a day behind from midnight
/// until 11:00 UTC. Either leaves an hour to spare, except in the last moments before midnight
/// UTC, which are waited out: the test reads the same whatever the clock says.
async fn zone_off_utc() -> (TimeZone, NaiveDate) {
    let to_midnight = 86_400 - i64::from(Utc::now().num_seconds_from_midnight());
    if to_midnight < 30 {
        let wait = u64::try_from(to_midnight + 1).unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    let now = Utc::now();
    let name = if now.hour() >= 10 {
        "Pacific/Kiritimati"
    } else {
        "Pacific/Pago_Pago"
    };
    let zone = TimeZone::parse(name).unwrap();
    let local = zone.date_at(now);
    assert_ne!(local, now.date_naive(), "{name} at {now}");
    (zone, local)
}

#[tokio::test]
async fn the_contact_page_and_the_dashboard_agree_on_today_in_the_users_time_zone() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let (zone, today) = zone_off_utc().await;
    app.db
        .user_settings()
        .save_preferences(
            &user,
            &Preferences {
                time_zone: zone,
                ..Preferences::default()
            },
        )
        .await
        .unwrap();
    // Born 32 years before the user's today (a 29 February stays one), last met today, and a
    // follow-up due today: all "today" where the user lives, never where UTC is.
    let born = today.checked_sub_months(Months::new(12 * 32)).unwrap();
    let grace = person("Grace").born(born).store(&app, &user).await;
    log(&app, &user, &grace, "call", today).await;
    app.db
        .follow_ups()
        .create(
            &user,
            &grace.id,
            &FollowUpInput {
                due_date: iso(today),
                note: Some("Send the slides".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    let dashboard = client.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert_eq!(stat(&dashboard, "today"), "1");
    assert_eq!(stat(&dashboard, "overdue"), "0");
    assert_eq!(
        dashboard.texts("#birthdays .dash-today .dash-name"),
        ["Grace"]
    );
    assert_eq!(dashboard.texts("#recent .ix-date"), ["today"]);

    let contact = client.get(&format!("/contacts/{}", grace.id)).await;
    assert_eq!(contact.status, StatusCode::OK);
    assert_eq!(contact.texts("#follow-ups .fu-relative"), ["due today"]);
    assert_eq!(contact.texts("#stat-birthday .stat-value"), ["today!"]);
    assert_eq!(contact.texts("#stat-last-contact .stat-value"), ["Today"]);
    assert_eq!(contact.texts(".timeline-entry time"), ["today"]);
    assert_eq!(
        contact.attr("#log-date", "value").as_deref(),
        Some(iso(today).as_str())
    );
    for page in [&dashboard, &contact] {
        assert_eq!(page.texts(".nav-count-today"), ["1 due today"]);
    }
}

/// At any size the dashboard and the navigation count no further than 1,000: more contacts
/// due, interactions this month or follow-ups overdue than that read "at least".
#[tokio::test]
async fn figures_past_a_thousand_read_at_least() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let old = (Utc::now() - Duration::days(400)).timestamp();
    let now = Utc::now().timestamp();
    // Born on a day in the next week (1992: a leap year, should it be February 29).
    let birthday = (Utc::now().date_naive() + Duration::days(3))
        .with_year(1992)
        .unwrap_or_default()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp();
    let conn = app.db.conn().await.unwrap();
    // 1,005 contacts added long ago, never contacted (all due) and born in the week, and 1,001 interactions
    // today with one of them, as another client would write them.
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1005) \
         INSERT INTO contact (id, user_id, name, created_at, updated_at, last_update, \
           birthday) \
         SELECT 'c' || i, ?1, 'Person ' || i, ?2, ?2, ?2, ?3 FROM k",
        (user.to_string(), old, birthday),
    )
    .await
    .unwrap();
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1001) \
         INSERT INTO interaction (id, contact_id, type, date, created_at, updated_at) \
         SELECT 'i' || i, 'c1', 'call', ?1, ?1, ?1 FROM k",
        [now],
    )
    .await
    .unwrap();
    // 1,200 follow-ups overdue and 3 due today (the navigation counts on every page).
    let today = Utc::now().date_naive();
    let midnight = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1203) \
         INSERT INTO follow_up (id, user_id, contact_id, due_date) \
         SELECT 'f' || i, ?1, 'c2', CASE WHEN i <= 3 THEN ?2 ELSE ?3 END FROM k",
        (
            user.to_string(),
            midnight(today),
            midnight(today - Duration::days(3)),
        ),
    )
    .await
    .unwrap();
    drop(conn);
    let r = client.get("/").await;
    assert_eq!(r.texts("[data-stat=overdue] .stat-value"), ["1,000+"]);
    assert_eq!(r.texts("[data-stat=today] .stat-value"), ["3"]);
    let contacts = client.get("/contacts").await;
    assert_eq!(
        contacts.texts(".nav-count-overdue"),
        ["1,000+ overdue"],
        "the navigation of every page"
    );
    assert_eq!(
        r.texts("[data-stat=month] .stat-value"),
        ["1,000+"],
        "{}",
        r.body
    );
    let foot = r.texts("#reconnect .dash-foot");
    // 1,005 due (raw inserts leave `last_contacted` alone), counted up to 1,000, ten shown.
    assert_eq!(foot, ["…and 990+ more."]);
    // 1,005 birthdays in the next 30 days, counted up to 1,000, twelve shown.
    assert_eq!(
        r.texts("#birthdays .dash-foot"),
        ["…and 988+ more in the next 30 days."]
    );
}
