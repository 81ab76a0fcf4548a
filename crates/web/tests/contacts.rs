//! The contacts area through the in-process router: the list (search, filters, sort, pages,
//! bulk actions), the form, the contact's page with its VIP sections, and the rule that
//! another user's contact does not exist.
#![allow(clippy::unwrap_used)]

mod common;
use common::sign_up as signed_in;

use axum::http::{Method, StatusCode};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use common::{count, serde_urlencoded_body, spawn_app, Client, TestApp, TestResponse};
use devhub_db::{
    BackgroundInput, Contact, ContactId, ContactInfoInput, ContactInput, ContactStatus,
    InteractionInput, UserId,
};

async fn add_contact(app: &TestApp, user: &UserId, input: ContactInput) -> Contact {
    app.db
        .contacts()
        .create(user, &input.parse().unwrap())
        .await
        .unwrap()
}

async fn named(app: &TestApp, user: &UserId, name: &str) -> Contact {
    add_contact(
        app,
        user,
        ContactInput {
            name: name.into(),
            ..ContactInput::default()
        },
    )
    .await
}

async fn log(
    app: &TestApp,
    user: &UserId,
    contact: &ContactId,
    kind: &str,
    date: &str,
    notes: &str,
) {
    let new = InteractionInput {
        type_: kind.into(),
        date: date.into(),
        notes: Some(notes.into()),
    }
    .parse()
    .unwrap();
    app.db
        .interactions()
        .create(user, contact, &new)
        .await
        .unwrap();
}

/// Sets a column of a contact directly (timestamps the app never lets a user choose).
async fn set_column(app: &TestApp, contact: &ContactId, column: &str, value: i64) {
    let conn = app.db.conn().await.unwrap();
    // Test-made ids and numbers only: nothing to escape.
    conn.execute(
        &format!("UPDATE contact SET {column} = {value} WHERE id = '{contact}'"),
        (),
    )
    .await
    .unwrap();
}

async fn reload(app: &TestApp, user: &UserId, id: &ContactId) -> Contact {
    app.db.contacts().get(user, id).await.unwrap()
}

/// The names in the list's rows, in order.
fn names(r: &TestResponse) -> Vec<String> {
    r.texts("tbody .name-cell a")
}

/// Follows a redirect and returns the page it leads to.
async fn follow(client: &mut Client<'_>, r: &TestResponse) -> TestResponse {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().unwrap().to_string();
    client.get(&to).await
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

async fn bulk(client: &mut Client<'_>, fields: &[(&str, &str)]) -> TestResponse {
    let body = serde_urlencoded_body(fields);
    client
        .send(Method::POST, "/contacts/bulk", Some(body), &[])
        .await
}

// ---------------------------------------------------------------------------------------------
// Adding and editing

#[tokio::test]
async fn adding_a_contact_saves_every_field_and_opens_its_page() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;

    let form = client.get("/contacts/new").await;
    assert_eq!(form.status, StatusCode::OK);
    for field in [
        "name",
        "relationship",
        "birthday",
        "industry",
        "location",
        "status",
        "vip",
    ] {
        assert_eq!(
            form.texts(&format!("label[for={field}]")).len(),
            1,
            "{field} has a label"
        );
    }
    assert_eq!(form.attr("#birthday", "type").as_deref(), Some("date"));
    assert_eq!(form.attr("#vip", "type").as_deref(), Some("checkbox"));
    assert_eq!(
        form.texts("#status option"),
        ["Active", "Archived"],
        "status choices"
    );

    let r = client
        .post_form(
            "/contacts",
            &[
                ("name", "  Grace Hopper "),
                ("relationship", "Mentor"),
                ("birthday", "1906-12-09"),
                ("industry", "Defence"),
                ("location", "Arlington"),
                ("vip", "on"),
                ("status", "active"),
            ],
        )
        .await;

    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.location().unwrap().to_string();
    let id = ContactId::from(location.strip_prefix("/contacts/").unwrap());
    let saved = reload(&app, &ada, &id).await;
    assert_eq!(saved.name, "Grace Hopper");
    assert_eq!(saved.relationship.as_deref(), Some("Mentor"));
    assert_eq!(saved.birthday, NaiveDate::from_ymd_opt(1906, 12, 9));
    assert_eq!(saved.industry.as_deref(), Some("Defence"));
    assert_eq!(saved.location.as_deref(), Some("Arlington"));
    assert!(saved.vip);
    assert_eq!(saved.status, ContactStatus::Active);

    let page = client.get(&location).await;
    assert_eq!(
        page.texts(".flash-success"),
        ["Contact Grace Hopper added."]
    );
    assert_eq!(page.texts("h1 .badge.vip"), ["VIP"]);
    assert_eq!(page.texts("#field-relationship"), ["Mentor"]);
    assert_eq!(page.texts("#field-industry"), ["Defence"]);
    assert_eq!(page.texts("#field-location"), ["Arlington"]);
    assert!(page.texts("#field-birthday")[0].starts_with("December 9, 1906"));
}

#[tokio::test]
async fn an_unticked_vip_box_and_no_status_make_an_active_ordinary_contact() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;

    let r = client.post_form("/contacts", &[("name", "Alan")]).await;

    let id = ContactId::from(r.location().unwrap().strip_prefix("/contacts/").unwrap());
    let saved = reload(&app, &ada, &id).await;
    assert!(!saved.vip);
    assert_eq!(saved.status, ContactStatus::Active);
    assert_eq!(saved.birthday, None);
    assert_eq!(saved.industry, None);
}

#[tokio::test]
async fn the_form_suggests_industries_and_relationships_already_in_use() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Linus".into(),
            industry: Some("Open source".into()),
            relationship: Some("Maintainer".into()),
            ..ContactInput::default()
        },
    )
    .await;

    let form = client.get("/contacts/new").await;

    assert_eq!(
        form.attr("#industry-suggestions option", "value")
            .as_deref(),
        Some("Open source")
    );
    assert_eq!(
        form.attr("#relationship-suggestions option", "value")
            .as_deref(),
        Some("Maintainer")
    );
    assert_eq!(
        form.attr("#industry", "list").as_deref(),
        Some("industry-suggestions")
    );
}

#[tokio::test]
async fn a_contact_without_a_name_comes_back_with_the_message_beside_the_field() {
    let app = spawn_app().await;
    let (mut client, _) = signed_in(&app, "ada").await;

    let r = client
        .post_form(
            "/contacts",
            &[
                ("name", "   "),
                ("industry", "Compilers"),
                ("birthday", "1990-01-02"),
                ("vip", "on"),
                ("status", "archived"),
            ],
        )
        .await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.texts("#name-error"), ["Name is required."]);
    assert_eq!(r.attr("#name", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        r.attr("#name", "aria-describedby").as_deref(),
        Some("name-error")
    );
    assert_eq!(r.attr("#industry", "value").as_deref(), Some("Compilers"));
    assert_eq!(r.attr("#birthday", "value").as_deref(), Some("1990-01-02"));
    assert_eq!(r.attr("#vip", "checked").as_deref(), Some(""));
    assert_eq!(
        r.attr("#status option[selected]", "value").as_deref(),
        Some("archived")
    );
    assert_eq!(count(&app.db, "contact").await, 0);
}

#[tokio::test]
async fn a_name_longer_than_200_characters_is_refused() {
    let app = spawn_app().await;
    let (mut client, _) = signed_in(&app, "ada").await;
    let long = "x".repeat(201);

    let r = client.post_form("/contacts", &[("name", &long)]).await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts("#name-error"),
        ["Name must be at most 200 characters."]
    );
    assert_eq!(r.attr("#name", "value").as_deref(), Some(long.as_str()));
    assert_eq!(count(&app.db, "contact").await, 0);
    let ok = client
        .post_form("/contacts", &[("name", &"x".repeat(200))])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_malformed_or_future_birthday_is_refused() {
    let app = spawn_app().await;
    let (mut client, _) = signed_in(&app, "ada").await;

    let bad = client
        .post_form("/contacts", &[("name", "Ada"), ("birthday", "2024-02-30")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bad.texts("#birthday-error"),
        ["Birthday must be a date like 2024-05-31."]
    );
    assert_eq!(bad.attr("#name", "value").as_deref(), Some("Ada"));

    let tomorrow = iso(today() + Duration::days(1));
    let future = client
        .post_form("/contacts", &[("name", "Ada"), ("birthday", &tomorrow)])
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        future.texts("#birthday-error"),
        ["Birthday cannot be in the future."]
    );
    assert_eq!(
        future.attr("#birthday", "aria-describedby").as_deref(),
        Some("birthday-help birthday-error")
    );
    assert_eq!(count(&app.db, "contact").await, 0);
}

#[tokio::test]
async fn an_unknown_status_is_refused() {
    let app = spawn_app().await;
    let (mut client, _) = signed_in(&app, "ada").await;

    let r = client
        .post_form("/contacts", &[("name", "Ada"), ("status", "deleted")])
        .await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts("#status-error"),
        ["Status must be active or archived."]
    );
    assert_eq!(count(&app.db, "contact").await, 0);
}

#[tokio::test]
async fn the_edit_pages_breadcrumb_leads_back_to_the_contact() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;

    let form = client.get(&format!("/contacts/{}/edit", grace.id)).await;

    assert_eq!(form.status, StatusCode::OK);
    let crumbs: Vec<String> = form
        .html()
        .select(&scraper::Selector::parse(".breadcrumb a").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(
        crumbs,
        ["/contacts".to_string(), format!("/contacts/{}", grace.id)]
    );
    assert_eq!(form.texts(".breadcrumb a"), ["Contacts", "Grace"]);
    assert_eq!(form.texts(".breadcrumb [aria-current=page]"), ["Edit"]);
    // A new contact has no page yet: its form leads to the list.
    let new = client.get("/contacts/new").await;
    assert_eq!(new.texts(".breadcrumb a"), ["Contacts"]);
}

#[tokio::test]
async fn the_birthday_hint_gives_no_format_that_contradicts_the_date_picker() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;

    let new = client.get("/contacts/new").await;
    assert_eq!(new.attr("#birthday", "type").as_deref(), Some("date"));
    assert_eq!(
        new.texts("#birthday-help"),
        ["Optional. The dashboard reminds you when it comes round."]
    );

    // A birthday imported without its year: the picker shows the stored year, the hint says
    // what it stands for.
    let lisa = add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Lisa".into(),
            birthday: Some("1904-08-17".into()),
            ..ContactInput::default()
        },
    )
    .await;
    let edit = client.get(&format!("/contacts/{}/edit", lisa.id)).await;
    assert_eq!(
        edit.attr("#birthday", "value").as_deref(),
        Some("1904-08-17")
    );
    let hint = edit.texts("#birthday-help").join(" ");
    assert!(
        hint.starts_with("Saved without its year: 1904 stands for an unknown year"),
        "{hint}"
    );
}

#[tokio::test]
async fn editing_a_contact_starts_from_its_values_and_saves_the_changes() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Grace".into(),
            industry: Some("Navy".into()),
            birthday: Some("1906-12-09".into()),
            vip: true,
            ..ContactInput::default()
        },
    )
    .await;
    let path = format!("/contacts/{}", grace.id);

    let form = client.get(&format!("{path}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.texts("h1"), ["Edit Grace"]);
    assert_eq!(
        form.attr("form.contact-form", "action").as_deref(),
        Some(path.as_str())
    );
    assert_eq!(form.attr("#name", "value").as_deref(), Some("Grace"));
    assert_eq!(form.attr("#industry", "value").as_deref(), Some("Navy"));
    assert_eq!(
        form.attr("#birthday", "value").as_deref(),
        Some("1906-12-09")
    );
    assert_eq!(form.attr("#vip", "checked").as_deref(), Some(""));
    assert_eq!(
        form.attr("#status option[selected]", "value").as_deref(),
        Some("active")
    );

    let invalid = client
        .post_form(&path, &[("name", ""), ("industry", "Computing")])
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.texts("#name-error"), ["Name is required."]);
    assert_eq!(
        invalid.attr("#industry", "value").as_deref(),
        Some("Computing")
    );
    assert_eq!(
        reload(&app, &ada, &grace.id).await,
        grace,
        "nothing changed"
    );

    let r = client
        .post_form(
            &path,
            &[
                ("name", "Grace Hopper"),
                ("industry", "Computing"),
                ("location", "New York"),
                ("status", "archived"),
            ],
        )
        .await;

    assert_eq!(r.location(), Some(path.as_str()));
    let saved = reload(&app, &ada, &grace.id).await;
    assert_eq!(saved.name, "Grace Hopper");
    assert_eq!(saved.industry.as_deref(), Some("Computing"));
    assert_eq!(saved.location.as_deref(), Some("New York"));
    assert_eq!(saved.birthday, None, "the emptied birthday is removed");
    assert!(!saved.vip, "the unticked box unmarks the VIP");
    assert_eq!(saved.status, ContactStatus::Archived);
    let page = follow(&mut client, &r).await;
    assert_eq!(
        page.texts(".flash-success"),
        ["Contact Grace Hopper updated."]
    );
}

// ---------------------------------------------------------------------------------------------
// The contact's page

#[tokio::test]
async fn a_contacts_page_shows_the_stats_and_the_timeline_latest_first() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let twelve_days_ago = today() - Duration::days(12);
    log(&app, &ada, &grace.id, "call", "2020-01-05", "Old call").await;
    log(
        &app,
        &ada,
        &grace.id,
        "meeting",
        &iso(twelve_days_ago),
        "Coffee at RustConf\nTalked about compilers",
    )
    .await;
    log(&app, &ada, &grace.id, "email", "2022-03-01", "").await;

    let r = client.get(&format!("/contacts/{}", grace.id)).await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("h1"), ["Grace"]);
    assert_eq!(r.texts("#stat-interactions .stat-value"), ["3"]);
    assert_eq!(r.texts("#stat-last-contact .stat-value"), ["12 days"]);
    // No birthday, no birthday in the glance.
    assert!(r.texts("#stat-birthday").is_empty());
    assert_eq!(
        r.texts(".timeline-entry .badge"),
        ["Meeting", "Email", "Call"]
    );
    assert_eq!(r.texts(".timeline-entry time")[0], "12 days ago");
    let dates: Vec<String> = r
        .html()
        .select(&scraper::Selector::parse(".timeline-entry time").unwrap())
        .filter_map(|t| t.value().attr("datetime").map(str::to_string))
        .collect();
    assert_eq!(
        dates,
        [iso(twelve_days_ago).as_str(), "2022-03-01", "2020-01-05"]
    );
    assert_eq!(
        r.attr(".timeline-entry time", "datetime").as_deref(),
        Some(iso(twelve_days_ago).as_str())
    );
    assert_eq!(
        r.texts(".timeline-entry .notes"),
        ["Coffee at RustConf\nTalked about compilers", "Old call"]
    );
    let first = r.attr(".timeline-entry", "id").unwrap();
    let iid = first.strip_prefix("interaction-").unwrap();
    assert_eq!(
        r.attr(".timeline-entry a[href*='/edit']", "href"),
        Some(format!(
            "/interactions/{iid}/edit?back={}",
            devhub_web::page::encode_query(&format!("/contacts/{}#timeline", grace.id))
        ))
    );
    assert_eq!(
        r.attr(".timeline-entry form input[name=back]", "value"),
        Some(format!("/contacts/{}#timeline", grace.id))
    );
    assert_eq!(
        r.attr(".timeline-entry form", "action"),
        Some(format!("/interactions/{iid}/delete"))
    );
    assert_eq!(
        r.attr(".timeline-entry form", "data-confirm"),
        None,
        "undone, not asked"
    );
    // Quick actions and the inline log form.
    // "Log interaction" goes to the log box on the page (one form, not a second page).
    assert_eq!(
        r.attr("#log-interaction-link", "href").as_deref(),
        Some("#log")
    );
    assert_eq!(
        r.attr(".log-form", "action"),
        Some(format!("/contacts/{}/interactions", grace.id))
    );
    assert_eq!(
        r.texts("#log-type option"),
        ["Meeting", "Call", "Email", "Message", "Other"]
    );
    assert_eq!(
        r.attr("#log-type option", "value").as_deref(),
        Some("meeting")
    );
    assert_eq!(r.attr("#log-date", "value"), Some(iso(today())));
    assert_eq!(r.attr("#log-notes", "name").as_deref(), Some("notes"));
    assert_eq!(
        r.attr(".quick-actions form[action$='/delete']", "action"),
        Some(format!("/contacts/{}/delete", grace.id))
    );
}

#[tokio::test]
async fn the_inline_form_logs_an_interaction_onto_the_timeline() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);
    let page = client.get(&path).await;
    let action = page.attr(".log-form", "action").unwrap();
    let date = page.attr("#log-date", "value").unwrap();

    let r = client
        .post_form(
            &action,
            &[
                ("type", "message"),
                ("date", &date),
                ("notes", "Sent the slides"),
            ],
        )
        .await;

    assert_eq!(r.location(), Some(path.as_str()));
    let page = client.get(&path).await;
    assert_eq!(page.texts(".timeline-entry .badge"), ["Message"]);
    assert_eq!(page.texts(".timeline-entry .notes"), ["Sent the slides"]);
    assert_eq!(page.texts("#stat-last-contact .stat-value"), ["Today"]);
    assert_eq!(page.texts("#stat-interactions .stat-value"), ["1"]);
}

#[tokio::test]
async fn a_contact_never_contacted_says_never_and_a_birthday_today_says_today() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let t = today();
    // Born 30 years ago today (on 29 February, the 28th of a common year does as well).
    let birthday = NaiveDate::from_ymd_opt(t.year() - 30, t.month(), t.day())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(t.year() - 30, 2, 28).unwrap());
    let grace = add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Grace".into(),
            birthday: Some(birthday.to_string()),
            ..ContactInput::default()
        },
    )
    .await;

    let r = client.get(&format!("/contacts/{}", grace.id)).await;

    assert_eq!(r.texts("#stat-last-contact .stat-value"), ["Never"]);
    assert_eq!(r.texts("#stat-interactions .stat-value"), ["0"]);
    assert_eq!(r.texts("#stat-birthday .stat-value"), ["today!"]);
    assert!(
        r.texts("#stat-birthday .stat-label")[1].ends_with("turns 30)"),
        "{:?}",
        r.texts("#stat-birthday .stat-label")
    );
    assert_eq!(r.texts(".timeline-entry").len(), 0);
    assert!(r.texts("#timeline p.muted")[0].starts_with("No interactions yet"));
}

#[tokio::test]
async fn a_birthday_in_a_few_days_counts_the_days() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let soon = today() + Duration::days(10);
    let birthday = NaiveDate::from_ymd_opt(1990, soon.month(), soon.day())
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(1992, 2, 29).unwrap());
    let grace = add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Grace".into(),
            birthday: Some(birthday.to_string()),
            ..ContactInput::default()
        },
    )
    .await;

    let r = client.get(&format!("/contacts/{}", grace.id)).await;

    assert_eq!(r.texts("#stat-birthday .stat-value"), ["in 10 days"]);
}

/// A long history: its count at a glance and in the timeline's range, thousands grouped
/// (rows written by another client, counted by the database's triggers).
#[tokio::test]
async fn a_long_history_is_counted_with_thousands_grouped() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    app.db
        .conn()
        .await
        .unwrap()
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234) \
             INSERT INTO interaction (id, contact_id, type, date, notes) \
             SELECT 'bulk-' || i, ?1, 'email', 1600000000 + i * 86400, 'n' || i FROM n",
            [grace.id.as_str()],
        )
        .await
        .unwrap();

    let r = client.get(&format!("/contacts/{}", grace.id)).await;
    assert_eq!(r.texts("#stat-interactions .stat-value"), ["1,234"]);
    assert_eq!(r.texts("#timeline-range"), ["1–20 of 1,234"]);
    let last = client
        .get(&format!("/contacts/{}?interactions_page=62", grace.id))
        .await;
    assert_eq!(last.texts("#timeline-range"), ["1,221–1,234 of 1,234"]);
}

#[tokio::test]
async fn the_timeline_shows_20_interactions_at_a_time_with_a_show_more_link() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for day in 0..45 {
        let date = start + Duration::days(day);
        log(
            &app,
            &ada,
            &grace.id,
            "call",
            &iso(date),
            &format!("n{day}"),
        )
        .await;
    }
    let path = format!("/contacts/{}", grace.id);

    let first = client.get(&path).await;
    assert_eq!(first.texts(".timeline-entry").len(), 20);
    assert_eq!(first.texts(".timeline-entry .notes")[0], "n44");
    assert_eq!(first.texts("#timeline-range"), ["1–20 of 45"]);
    assert_eq!(
        first.attr("#show-more", "href"),
        Some(format!("{path}?interactions_page=2#timeline"))
    );
    assert!(first.attr("#show-newer", "href").is_none());

    let last = client.get(&format!("{path}?interactions_page=3")).await;
    assert_eq!(
        last.texts(".timeline-entry .notes"),
        ["n4", "n3", "n2", "n1", "n0"]
    );
    assert!(last.attr("#show-more", "href").is_none());
    assert_eq!(
        last.attr("#show-newer", "href"),
        Some(format!("{path}?interactions_page=2#timeline"))
    );

    for bad in ["0", "-1", "abc"] {
        let r = client.get(&format!("{path}?interactions_page={bad}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.texts(".timeline-entry .notes")[0], "n44", "{bad}");
    }
    let beyond = client.get(&format!("{path}?interactions_page=99")).await;
    assert_eq!(beyond.texts(".timeline-entry").len(), 5, "the last page");
}

#[tokio::test]
async fn marking_and_unmarking_a_vip_from_the_contacts_page() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);

    let page = client.get(&path).await;
    assert_eq!(
        page.texts("#vip-invite p"),
        ["For the people who matter most: mark as VIP to keep their family, company, likes and dislikes."]
    );
    assert_eq!(page.texts("#background").len(), 0);
    // Contact details are on every contact's page.
    assert_eq!(page.texts("#details h2"), ["Details"]);
    assert_eq!(
        page.attr("#vip-invite form", "action"),
        Some(format!("{path}/vip"))
    );

    let r = client
        .post_form(&format!("{path}/vip"), &[("vip", "true")])
        .await;
    assert_eq!(r.location(), Some(path.as_str()));
    assert!(reload(&app, &ada, &grace.id).await.vip);
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["Grace is now a VIP."]);
    assert_eq!(page.texts("#background h2"), ["Background"]);
    assert_eq!(page.texts(".vip-toggle button"), ["Unmark VIP"]);

    // Without a value, the button toggles.
    client.post_form(&format!("{path}/vip"), &[]).await;
    assert!(!reload(&app, &ada, &grace.id).await.vip);
    let page = client.get(&path).await;
    assert_eq!(page.texts(".flash-success"), ["Grace is no longer a VIP."]);
}

#[tokio::test]
async fn archiving_and_unarchiving_a_contact() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);

    let r = client
        .post_form(&format!("{path}/status"), &[("status", "archived")])
        .await;
    assert_eq!(r.location(), Some(path.as_str()));
    assert_eq!(
        reload(&app, &ada, &grace.id).await.status,
        ContactStatus::Archived
    );
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["Grace archived."]);
    assert_eq!(page.texts("h1 .badge.archived"), ["Archived"]);
    assert_eq!(
        page.attr(".status-toggle input[name=status]", "value")
            .as_deref(),
        Some("active")
    );

    client
        .post_form(&format!("{path}/status"), &[("status", "active")])
        .await;
    assert_eq!(
        reload(&app, &ada, &grace.id).await.status,
        ContactStatus::Active
    );

    let bad = client
        .post_form(&format!("{path}/status"), &[("status", "gone")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.texts(".alert"), ["Status must be active or archived."]);
    assert_eq!(
        reload(&app, &ada, &grace.id).await.status,
        ContactStatus::Active
    );
}

#[tokio::test]
async fn deleting_a_contact_removes_it_at_once_with_an_undo_in_the_flash() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let keep = named(&app, &ada, "Alan").await;
    log(&app, &ada, &grace.id, "call", "2024-01-01", "hi").await;
    log(&app, &ada, &keep.id, "call", "2024-01-01", "hi").await;
    let path = format!("/contacts/{}", grace.id);
    let before = reload(&app, &ada, &grace.id).await;
    let page = client.get(&path).await;
    assert_eq!(
        page.texts(&format!(
            "form[method=post][action='{path}/delete'] #delete-contact"
        )),
        ["Delete"]
    );
    // The confirmation page is gone: its old address leads to the contact's page.
    let old = client.get(&format!("{path}/delete")).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert_eq!(old.location(), Some(path.as_str()));

    let r = client.post_form(&format!("{path}/delete"), &[]).await;

    assert_eq!(r.location(), Some("/contacts"));
    assert_eq!(count(&app.db, "contact").await, 1);
    assert_eq!(count(&app.db, "interaction").await, 1);
    let list = follow(&mut client, &r).await;
    assert_eq!(list.texts(".flash-success"), ["Contact Grace deleted."]);
    let undo = list.attr(".flash-undo", "action").unwrap();
    assert!(undo.starts_with("/undo/"), "{undo}");
    assert_eq!(list.texts(".flash-undo button"), ["Undo"]);
    assert_eq!(client.get(&path).await.status, StatusCode::NOT_FOUND);

    let undone = client.post_form(&undo, &[]).await;
    assert_eq!(undone.location(), Some(path.as_str()));
    let back = follow(&mut client, &undone).await;
    assert_eq!(back.texts(".flash-success"), ["Restored Grace."]);
    assert_eq!(back.texts("#stat-interactions .stat-value"), ["1"]);
    assert_eq!(
        reload(&app, &ada, &grace.id).await,
        before,
        "exactly as it was"
    );
}

// ---------------------------------------------------------------------------------------------
// VIP sections

async fn vip(app: &TestApp, user: &UserId, name: &str) -> Contact {
    add_contact(
        app,
        user,
        ContactInput {
            name: name.into(),
            vip: true,
            ..ContactInput::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_contact_that_is_not_a_vip_still_shows_the_details_it_has() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    // As an import leaves a contact that came with an e-mail and a company.
    let grace = named(&app, &ada, "Grace").await;
    app.db
        .contact_infos()
        .upsert(
            &ada,
            &grace.id,
            &ContactInfoInput {
                email: Some("grace@example.com".into()),
                ..ContactInfoInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    app.db
        .backgrounds()
        .upsert(
            &ada,
            &grace.id,
            &BackgroundInput {
                company: Some("Remington Rand".into()),
                ..BackgroundInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    let page = client.get(&format!("/contacts/{}", grace.id)).await;

    assert!(!reload(&app, &ada, &grace.id).await.vip);
    assert_eq!(page.texts("#background h2"), ["Background"]);
    assert!(page.texts("#details")[0].contains("grace@example.com"));
    assert!(page.texts("#background")[0].contains("Remington Rand"));
    assert_eq!(page.texts("#vip-invite").len(), 0);
    assert_eq!(page.texts(".vip-toggle button"), ["Mark as VIP"]);
}

#[tokio::test]
async fn saving_the_background_of_a_vip_shows_it_on_the_page() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = vip(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);

    let empty = client.get(&path).await;
    assert!(empty.texts("#background p.muted")[0].starts_with("Nothing yet"));
    assert_eq!(empty.attr("#background-edit", "open"), None);
    assert_eq!(
        empty.attr("#background-edit form", "action"),
        Some(format!("{path}/background"))
    );
    assert_eq!(
        empty.texts("#background-edit summary"),
        ["Edit the background"]
    );

    let r = client
        .post_form(
            &format!("{path}/background"),
            &[
                ("family", "Two daughters"),
                ("company", "Remington Rand"),
                (
                    "likes_dislikes",
                    "Likes: nanoseconds\nDislikes: \"we've always done it this way\"",
                ),
                ("misc_notes", ""),
            ],
        )
        .await;

    assert_eq!(r.location(), Some(format!("{path}#background").as_str()));
    let stored = app
        .db
        .backgrounds()
        .get(&ada, &grace.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.company.as_deref(), Some("Remington Rand"));
    assert_eq!(stored.misc_notes, None);
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["Background of Grace saved."]);
    assert_eq!(page.texts("#background-family"), ["Two daughters"]);
    assert_eq!(page.texts("#background-company"), ["Remington Rand"]);
    assert_eq!(
        page.texts("#background-likes-dislikes"),
        ["Likes: nanoseconds\nDislikes: \"we've always done it this way\""]
    );
    assert_eq!(page.texts("#background-misc-notes").len(), 0);
    assert_eq!(page.texts("#bg-company").len(), 1);
    assert_eq!(
        page.attr("#bg-company", "value").as_deref(),
        Some("Remington Rand")
    );
    assert_eq!(page.texts("#bg-family"), ["Two daughters"]);
}

#[tokio::test]
async fn a_background_too_long_comes_back_open_with_the_values_and_the_message() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = vip(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);
    let long = "x".repeat(10_001);

    let r = client
        .post_form(
            &format!("{path}/background"),
            &[("family", "Kept"), ("misc_notes", &long)],
        )
        .await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.attr("#background-edit", "open").as_deref(), Some(""));
    assert_eq!(
        r.texts("#bg-misc-notes-error"),
        ["Notes must be at most 10000 characters."]
    );
    assert_eq!(
        r.attr("#bg-misc-notes", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(r.texts("#bg-family"), ["Kept"]);
    assert_eq!(r.attr("#contact-info-edit", "open"), None);
    assert!(app
        .db
        .backgrounds()
        .get(&ada, &grace.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn saving_contact_info_links_the_email_and_phone_and_keeps_the_social_links() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = vip(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);
    app.db
        .contact_infos()
        .upsert(
            &ada,
            &grace.id,
            &ContactInfoInput {
                social_links: vec!["https://github.com/grace".into()],
                ..ContactInfoInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    let r = client
        .post_form(
            &format!("{path}/contact-info"),
            &[
                ("main_app", "Signal"),
                ("email", "grace@navy.example"),
                ("phone_number", "+1 (555) 010-0199"),
            ],
        )
        .await;

    assert_eq!(r.location(), Some(format!("{path}#contact-info").as_str()));
    let stored = app
        .db
        .contact_infos()
        .get(&ada, &grace.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.email.as_deref(), Some("grace@navy.example"));
    assert_eq!(stored.social_links, ["https://github.com/grace"]);
    let page = follow(&mut client, &r).await;
    assert_eq!(
        page.texts(".flash-success"),
        ["Contact info of Grace saved."]
    );
    assert_eq!(page.texts("#info-main-app"), ["Signal"]);
    assert_eq!(
        page.attr("#info-email", "href").as_deref(),
        Some("mailto:grace@navy.example")
    );
    assert_eq!(
        page.attr("#info-phone", "href").as_deref(),
        Some("tel:+15550100199")
    );
    assert_eq!(page.texts("#info-phone"), ["+1 (555) 010-0199"]);
    // And one tap away in the header.
    assert_eq!(
        page.attr("#reach-phone", "href").as_deref(),
        Some("tel:+15550100199")
    );
}

#[tokio::test]
async fn a_bad_email_or_phone_sent_to_the_contact_info_address_is_refused_with_a_message() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = vip(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);

    let r = client
        .post_form(
            &format!("{path}/contact-info"),
            &[
                ("main_app", "Signal"),
                ("email", "grace@navy"),
                ("phone_number", "call me"),
            ],
        )
        .await;

    // The page's form for every detail is the contact's form; this older address of the
    // first e-mail and phone still checks them and says what is wrong, storing nothing.
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let alert = r.texts(".alert").join(" ");
    assert!(
        alert.contains("E-mail must be an e-mail address like ada@example.com."),
        "{alert}"
    );
    assert!(
        alert.contains("Phone number must be a phone number like +44 20 7946 0958."),
        "{alert}"
    );
    assert!(app
        .db
        .contact_infos()
        .get(&ada, &grace.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn social_links_are_added_recognised_deduplicated_and_removed() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = vip(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);
    let add = format!("{path}/social-links");

    for url in [
        "https://github.com/grace",
        "https://hachyderm.io/@grace",
        "https://grace.dev",
    ] {
        let r = client.post_form(&add, &[("url", url)]).await;
        assert_eq!(
            r.location(),
            Some(format!("{path}#contact-info").as_str()),
            "{url}"
        );
    }
    let again = client
        .post_form(&add, &[("url", "https://github.com/grace/")])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);

    let page = client.get(&path).await;
    assert_eq!(
        page.texts(".flash-success"),
        ["That link is already listed."]
    );
    assert_eq!(
        page.texts(".social-links .platform"),
        ["GitHub", "Mastodon", "Website"]
    );
    assert_eq!(
        page.texts(".social-links a.social-link"),
        ["github.com/grace", "hachyderm.io/@grace", "grace.dev"]
    );
    assert_eq!(
        page.attr(".social-links a.social-link", "href").as_deref(),
        Some("https://github.com/grace")
    );

    let r = client
        .post_form(
            &format!("{path}/social-links/remove"),
            &[("url", "https://hachyderm.io/@grace")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = app
        .db
        .contact_infos()
        .get(&ada, &grace.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.social_links,
        ["https://github.com/grace", "https://grace.dev"]
    );
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["Link removed."]);
    assert_eq!(page.texts(".social-links li").len(), 2);
    assert_eq!(
        page.attr(".social-links form", "action"),
        Some(format!("{path}/social-links/remove"))
    );
}

#[tokio::test]
async fn a_link_without_https_is_added_with_it_as_the_importer_takes_it() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = vip(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);

    let r = client
        .post_form(
            &format!("{path}/social-links"),
            &[("url", " github.com/grace ")],
        )
        .await;
    assert_eq!(r.location(), Some(format!("{path}#contact-info").as_str()));
    // The same address with its scheme is the same link.
    let again = client
        .post_form(
            &format!("{path}/social-links"),
            &[("url", "https://github.com/grace")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);

    let stored = app
        .db
        .contact_infos()
        .get(&ada, &grace.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.social_links, ["https://github.com/grace"]);
    let page = client.get(&path).await;
    assert_eq!(
        page.texts(".flash-success"),
        ["That link is already listed."]
    );
    assert_eq!(page.texts(".social-links .platform"), ["GitHub"]);
    assert_eq!(
        page.attr(".social-links a.social-link", "href").as_deref(),
        Some("https://github.com/grace")
    );
}

#[tokio::test]
async fn an_invalid_social_link_comes_back_beside_the_field() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = vip(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);

    for bad in ["grace", "@grace", "javascript:alert(1)"] {
        let r = client
            .post_form(&format!("{path}/social-links"), &[("url", bad)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(
            r.texts("#link-url-error"),
            ["URL must be a web address like https://ada.dev or github.com/ada."]
        );
        assert_eq!(r.attr("#link-url", "value").as_deref(), Some(bad));
        assert_eq!(r.attr("#link-url", "aria-invalid").as_deref(), Some("true"));
    }
    let empty = client
        .post_form(&format!("{path}/social-links"), &[("url", " ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.texts("#link-url-error"), ["URL is required."]);
    assert_eq!(count(&app.db, "contact_info").await, 0);
}

// ---------------------------------------------------------------------------------------------
// Another user's contacts

#[tokio::test]
async fn another_users_contact_is_not_found_on_every_route_and_stays_unchanged() {
    let app = spawn_app().await;
    let (_, bob) = signed_in(&app, "bob").await;
    let (mut ada, _) = signed_in(&app, "ada").await;
    let theirs = add_contact(
        &app,
        &bob,
        ContactInput {
            name: "Bob's friend".into(),
            vip: true,
            industry: Some("Secret".into()),
            ..ContactInput::default()
        },
    )
    .await;
    log(&app, &bob, &theirs.id, "call", "2024-01-01", "private").await;
    let background = app
        .db
        .backgrounds()
        .upsert(
            &bob,
            &theirs.id,
            &BackgroundInput {
                family: Some("private".into()),
                ..BackgroundInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let info = app
        .db
        .contact_infos()
        .upsert(
            &bob,
            &theirs.id,
            &ContactInfoInput {
                email: Some("friend@bob.example".into()),
                social_links: vec!["https://github.com/friend".into()],
                ..ContactInfoInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let before = reload(&app, &bob, &theirs.id).await;
    let p = format!("/contacts/{}", theirs.id);
    let long = "x".repeat(10_001);

    for path in [
        p.clone(),
        format!("{p}/edit"),
        format!("{p}/delete"),
        format!("{p}?interactions_page=2"),
    ] {
        let r = ada.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(r.texts("h1"), ["Page not found"], "GET {path}");
        assert!(!r.body.contains("Bob&#x27;s friend") && !r.body.contains("Secret"));
    }
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (p.clone(), vec![("name", "Hijacked")]),
        (p.clone(), vec![("name", "")]),
        (format!("{p}/vip"), vec![("vip", "false")]),
        (format!("{p}/status"), vec![("status", "archived")]),
        (format!("{p}/status"), vec![("status", "bogus")]),
        (format!("{p}/delete"), vec![]),
        (format!("{p}/background"), vec![("family", "hijacked")]),
        (
            format!("{p}/background"),
            vec![("misc_notes", long.as_str())],
        ),
        (
            format!("{p}/contact-info"),
            vec![("email", "evil@x.example")],
        ),
        (format!("{p}/contact-info"), vec![("email", "not an email")]),
        (
            format!("{p}/social-links"),
            vec![("url", "https://evil.example")],
        ),
        (format!("{p}/social-links"), vec![("url", "not a url")]),
        (
            format!("{p}/social-links/remove"),
            vec![("url", "https://github.com/friend")],
        ),
    ];
    for (path, fields) in &posts {
        let r = ada.post_form(path, fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST {path} {fields:?}");
        assert_eq!(r.texts("h1"), ["Page not found"], "POST {path}");
    }
    let id = theirs.id.to_string();
    for action in ["archive", "unarchive", "vip", "unvip", "delete"] {
        let r = bulk(
            &mut ada,
            &[("ids", &id), ("action", action), ("confirm", "yes")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}");
        let list = follow(&mut ada, &r).await;
        assert_eq!(list.texts(".flash-error"), ["Select at least one contact."]);
    }

    assert_eq!(reload(&app, &bob, &theirs.id).await, before);
    assert_eq!(
        app.db.backgrounds().get(&bob, &theirs.id).await.unwrap(),
        Some(background)
    );
    assert_eq!(
        app.db.contact_infos().get(&bob, &theirs.id).await.unwrap(),
        Some(info)
    );
    assert_eq!(count(&app.db, "interaction").await, 1);
    assert_eq!(count(&app.db, "contact").await, 1);
}

#[tokio::test]
async fn the_list_shows_only_the_users_own_contacts() {
    let app = spawn_app().await;
    let (_, bob) = signed_in(&app, "bob").await;
    let (mut ada, ada_id) = signed_in(&app, "ada").await;
    named(&app, &bob, "Bob's friend").await;
    named(&app, &ada_id, "Grace").await;

    let r = ada.get("/contacts").await;

    assert_eq!(names(&r), ["Grace"]);
    assert_eq!(r.texts("#contact-count"), ["1 contact"]);
}

// ---------------------------------------------------------------------------------------------
// The list

#[tokio::test]
async fn the_list_shows_each_contacts_columns_with_labels_for_small_screens() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let grace = add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Grace Hopper".into(),
            relationship: Some("Mentor".into()),
            industry: Some("Computing".into()),
            location: Some("New York".into()),
            vip: true,
            ..ContactInput::default()
        },
    )
    .await;
    set_column(
        &app,
        &grace.id,
        "last_contacted",
        (Utc::now() - Duration::days(12)).timestamp(),
    )
    .await;
    add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Alan Turing".into(),
            status: Some(ContactStatus::Archived.as_str().into()),
            ..ContactInput::default()
        },
    )
    .await;

    // `filter=all`: active and archived together, with a status column.
    let r = client.get("/contacts?filter=all").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.attr("table", "class").as_deref(),
        Some("table responsive contacts-table")
    );
    assert_eq!(r.texts("#contact-count"), ["2 contacts"]);
    assert_eq!(names(&r), ["Alan Turing", "Grace Hopper"]);
    let row = format!("tr[data-id='{}']", grace.id);
    assert_eq!(
        r.attr(&format!("{row} .name-cell a"), "href"),
        Some(format!("/contacts/{}", grace.id))
    );
    assert_eq!(r.texts(&format!("{row} .badge.vip")), ["VIP"]);
    assert_eq!(r.texts(&format!("{row} .relationship-cell")), ["Mentor"]);
    assert_eq!(r.texts(&format!("{row} .industry-cell")), ["Computing"]);
    assert_eq!(r.texts(&format!("{row} .location-cell")), ["New York"]);
    // The second line of a row on a phone.
    assert_eq!(
        r.texts(&format!("{row} .summary-cell")),
        ["Mentor · Computing · New York"]
    );
    assert_eq!(r.texts("tbody tr:first-child .summary-cell"), [""]);
    assert_eq!(r.texts(&format!("{row} .status-cell")), ["Active"]);
    assert_eq!(
        r.texts(&format!("{row} .last-contacted-cell")),
        ["12 days ago"]
    );
    assert_eq!(
        r.texts("tbody tr:first-child .last-contacted-cell"),
        ["Never"]
    );
    assert_eq!(r.texts("tbody tr:first-child .status-cell"), ["Archived"]);
    assert_eq!(r.texts("tbody tr:first-child .badge.vip").len(), 0);
    assert_eq!(
        r.attr(&format!("{row} .last-contacted-cell"), "data-label")
            .as_deref(),
        Some("Last contacted")
    );
    assert_eq!(
        r.attr(&format!("{row} .industry-cell"), "data-label")
            .as_deref(),
        Some("Industry")
    );
    assert_eq!(r.attr("#q", "type").as_deref(), Some("search"));
    assert_eq!(r.texts("label[for=q]"), ["Search"]);
}

async fn seed_people(app: &TestApp, user: &UserId) -> Vec<Contact> {
    let people = [
        (
            "Ada Lovelace",
            "Friend",
            "Mathematics",
            "London",
            true,
            ContactStatus::Active,
        ),
        (
            "Alan Turing",
            "Colleague",
            "Cryptography",
            "Manchester",
            false,
            ContactStatus::Active,
        ),
        (
            "Grace Hopper",
            "Mentor",
            "Computing",
            "New York",
            true,
            ContactStatus::Archived,
        ),
        (
            "Linus Torvalds",
            "Maintainer",
            "Open source",
            "Portland",
            false,
            ContactStatus::Archived,
        ),
        (
            "Margaret Hamilton",
            "Mentor",
            "Aerospace",
            "Boston",
            false,
            ContactStatus::Active,
        ),
    ];
    let mut out = Vec::new();
    for (name, relationship, industry, location, vip, status) in people {
        out.push(
            add_contact(
                app,
                user,
                ContactInput {
                    name: name.into(),
                    relationship: Some(relationship.into()),
                    industry: Some(industry.into()),
                    location: Some(location.into()),
                    vip,
                    status: Some(status.as_str().into()),
                    birthday: None,
                    ..ContactInput::default()
                },
            )
            .await,
        );
    }
    out
}

#[tokio::test]
async fn searching_matches_name_industry_location_and_relationship_inside_words_ignoring_case() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    seed_people(&app, &ada).await;

    for (q, expected) in [
        ("LOVE", vec!["Ada Lovelace"]),
        ("graph", vec!["Alan Turing"]),
        ("chest", vec!["Alan Turing"]),
        ("mentor", vec!["Grace Hopper", "Margaret Hamilton"]),
        ("on", vec!["Ada Lovelace", "Margaret Hamilton"]),
        ("  aero ", vec!["Margaret Hamilton"]),
    ] {
        // Archived contacts included: the search looks at every field of every contact.
        let r = client
            .get(&format!("/contacts?filter=all&q={}", q.replace(' ', "+")))
            .await;
        assert_eq!(names(&r), expected, "q={q}");
    }
    let r = client.get("/contacts?q=love").await;
    assert_eq!(r.attr("#q", "value").as_deref(), Some("love"));
    assert_eq!(r.texts("#contact-count"), ["1 contact"]);
}

#[tokio::test]
async fn filter_tabs_and_menus_narrow_the_list_and_combine_with_the_search() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    seed_people(&app, &ada).await;

    for (query, expected) in [
        ("filter=vip", vec!["Ada Lovelace", "Grace Hopper"]),
        (
            "filter=active",
            vec!["Ada Lovelace", "Alan Turing", "Margaret Hamilton"],
        ),
        ("filter=archived", vec!["Grace Hopper", "Linus Torvalds"]),
        ("relationship=mentor", vec!["Margaret Hamilton"]),
        (
            "relationship=mentor&filter=all",
            vec!["Grace Hopper", "Margaret Hamilton"],
        ),
        (
            "relationship=Mentor&filter=active",
            vec!["Margaret Hamilton"],
        ),
        ("industry=Computing&filter=archived", vec!["Grace Hopper"]),
        ("filter=vip&q=ada", vec!["Ada Lovelace"]),
        (
            "filter=archived&q=o&industry=Open+source",
            vec!["Linus Torvalds"],
        ),
    ] {
        let r = client.get(&format!("/contacts?{query}")).await;
        assert_eq!(names(&r), expected, "{query}");
    }

    let r = client.get("/contacts?filter=vip&q=a").await;
    assert_eq!(r.texts(".tabs a[aria-current=page]"), ["VIP"]);
    // While a search narrows the list, the tabs carry no counts (they would not match it).
    assert_eq!(r.texts(".tabs a"), ["All", "VIP", "Archived"]);
    assert_eq!(
        r.attr(".tabs li:nth-child(3) a", "href").as_deref(),
        Some("/contacts?q=a&filter=archived"),
        "tabs keep the search"
    );
    assert_eq!(
        r.attr(".tabs li:first-child a", "href").as_deref(),
        Some("/contacts?q=a")
    );
    assert_eq!(
        r.attr(".contacts-search input[name=filter]", "value")
            .as_deref(),
        Some("vip"),
        "searching keeps the tab"
    );
    assert_eq!(
        r.texts("#industry option"),
        [
            "All industries",
            "Aerospace",
            "Computing",
            "Cryptography",
            "Mathematics",
            "Open source"
        ]
    );
    assert_eq!(
        r.texts("#relationship option"),
        [
            "All relationships",
            "Colleague",
            "Friend",
            "Maintainer",
            "Mentor"
        ]
    );
    let chosen = client.get("/contacts?industry=computing").await;
    assert_eq!(
        chosen
            .attr("#industry option[selected]", "value")
            .as_deref(),
        Some("Computing")
    );
}

#[tokio::test]
async fn all_means_the_active_contacts_and_archived_ones_have_their_tab_with_matching_counts() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let people = seed_people(&app, &ada).await;

    let all = client.get("/contacts").await;
    assert_eq!(
        names(&all),
        ["Ada Lovelace", "Alan Turing", "Margaret Hamilton"]
    );
    assert_eq!(all.texts("#contact-count"), ["3 contacts"]);
    assert_eq!(all.texts(".tabs a"), ["All 3", "VIP 2", "Archived 2"]);
    assert_eq!(all.texts(".tabs a[aria-current=page]"), ["All 3"]);
    // Every row is active: no status column saying so.
    assert_eq!(all.texts(".status-cell").len(), 0);
    assert_eq!(all.texts("#everything-note").len(), 0);

    // Each tab's count is what the tab shows once open.
    let tabs: Vec<(String, String)> = all
        .html()
        .select(&scraper::Selector::parse(".tabs a").unwrap())
        .map(|a| {
            (
                a.value().attr("href").unwrap().to_string(),
                a.select(&scraper::Selector::parse(".tab-count").unwrap())
                    .next()
                    .unwrap()
                    .text()
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        tabs.iter().map(|(h, _)| h.as_str()).collect::<Vec<_>>(),
        [
            "/contacts",
            "/contacts?filter=vip",
            "/contacts?filter=archived"
        ]
    );
    for (href, n) in &tabs {
        let tab = client.get(href).await;
        assert_eq!(names(&tab).len().to_string(), *n, "{href}");
        let contacts = if n == "1" { "contact" } else { "contacts" };
        assert_eq!(
            tab.texts("#contact-count"),
            [format!("{n} {contacts}")],
            "{href}"
        );
        assert_eq!(
            tab.texts(".tabs a[aria-current=page] .tab-count"),
            std::slice::from_ref(n)
        );
    }
    let archived = client.get("/contacts?filter=archived").await;
    assert_eq!(names(&archived), ["Grace Hopper", "Linus Torvalds"]);

    // Old links keep working: `filter=active` is the "All" tab, `filter=all` shows everyone.
    let active = client.get("/contacts?filter=active").await;
    assert_eq!(names(&active), names(&all));
    assert_eq!(active.texts(".tabs a[aria-current=page]"), ["All 3"]);
    let everyone = client.get("/contacts?filter=all").await;
    assert_eq!(names(&everyone).len(), 5);
    assert_eq!(everyone.texts("#contact-count"), ["5 contacts"]);
    assert_eq!(everyone.texts(".tabs a[aria-current=page]").len(), 0);
    assert_eq!(
        everyone.attr("#everything-note a", "href").as_deref(),
        Some("/contacts")
    );
    assert_eq!(
        everyone
            .attr(".contacts-search input[name=filter]", "value")
            .as_deref(),
        Some("all"),
        "searching keeps everyone"
    );

    // The list's exports are the list; the export without a filter (settings: "all your
    // contacts") is still everything.
    assert_eq!(
        all.attr("#export-csv", "href").as_deref(),
        Some("/contacts/export?filter=active&format=csv")
    );
    let csv = client
        .get("/contacts/export?filter=active&format=csv")
        .await;
    assert!(csv.body.contains("Ada Lovelace"), "{}", csv.body);
    assert!(!csv.body.contains("Grace Hopper"), "{}", csv.body);
    let csv = client.get("/contacts/export?format=csv").await;
    assert!(csv.body.contains("Grace Hopper"), "{}", csv.body);
    assert_eq!(
        everyone.attr("#export-csv", "href").as_deref(),
        Some("/contacts/export?filter=all&format=csv")
    );

    // Archiving from the "All" tab moves the contact to the archived tab, counts included.
    let r = bulk(
        &mut client,
        &[
            ("ids", people[0].id.as_str()),
            ("action", "archive"),
            ("back", "/contacts"),
        ],
    )
    .await;
    let after = follow(&mut client, &r).await;
    assert_eq!(names(&after), ["Alan Turing", "Margaret Hamilton"]);
    assert_eq!(after.texts(".tabs a"), ["All 2", "VIP 2", "Archived 3"]);
}

#[tokio::test]
async fn when_every_contact_is_archived_the_all_tab_leads_to_them() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    add_contact(
        &app,
        &ada,
        ContactInput {
            name: "Alan Turing".into(),
            status: Some(ContactStatus::Archived.as_str().into()),
            ..ContactInput::default()
        },
    )
    .await;

    let r = client.get("/contacts").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts(".empty h2"), ["No active contacts"]);
    assert_eq!(
        r.attr("#see-archived", "href").as_deref(),
        Some("/contacts?filter=archived")
    );
    assert_eq!(r.texts(".tabs a"), ["All 0", "VIP 0", "Archived 1"]);
    let archived = client.get("/contacts?filter=archived").await;
    assert_eq!(names(&archived), ["Alan Turing"]);
    // A search that finds nothing is still "no match", not this.
    let none = client.get("/contacts?q=zzz").await;
    assert_eq!(none.texts(".empty h2"), ["No matching contacts"]);
}

#[tokio::test]
async fn the_bulk_bar_is_in_the_page_for_browsers_without_javascript() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    seed_people(&app, &ada).await;

    let r = client.get("/contacts").await;

    // The script hides it until something is selected; the page itself never does.
    assert_eq!(
        r.attr("form.bulk-form", "data-bulk-form").as_deref(),
        Some("")
    );
    assert_eq!(r.attr(".bulk-bar", "hidden"), None);
    assert_eq!(r.attr(".bulk-bar", "style"), None);
    assert_eq!(
        r.texts(".bulk-bar button"),
        [
            "Add tag",
            "Remove tag",
            "Archive",
            "Unarchive",
            "Mark VIP",
            "Unmark VIP",
            "Delete"
        ]
    );
    assert_eq!(r.texts(".bulk-bar #select-all").len(), 1);
}

#[tokio::test]
async fn sortable_headers_order_the_list_and_flip_on_a_second_click() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let people = seed_people(&app, &ada).await;
    let now = Utc::now().timestamp();
    // Created: Ada oldest … Margaret newest; contacted: Grace 1 day ago, Alan 5, others never.
    for (i, c) in people.iter().enumerate() {
        set_column(&app, &c.id, "created_at", now - 1000 + i as i64).await;
    }
    set_column(&app, &people[2].id, "last_contacted", now - 86_400).await;
    set_column(&app, &people[1].id, "last_contacted", now - 5 * 86_400).await;

    let by_name = client.get("/contacts?filter=all").await;
    assert_eq!(
        names(&by_name),
        [
            "Ada Lovelace",
            "Alan Turing",
            "Grace Hopper",
            "Linus Torvalds",
            "Margaret Hamilton"
        ]
    );
    assert_eq!(
        by_name.attr("th[aria-sort=ascending] a", "href").as_deref(),
        Some("/contacts?filter=all&dir=desc"),
        "clicking the current column flips it"
    );
    let desc = client.get("/contacts?filter=all&dir=desc").await;
    assert_eq!(names(&desc)[0], "Margaret Hamilton");
    assert_eq!(
        desc.attr("th[aria-sort=descending] a", "href").as_deref(),
        Some("/contacts?filter=all")
    );

    // No "Added" column: the Order menu sorts by it.
    assert!(!by_name.texts("th").iter().any(|t| t.contains("Added")));
    assert_eq!(by_name.texts("td.created-cell").len(), 0);
    assert_eq!(
        by_name.texts("#sort option"),
        ["Name", "Last contacted", "Recently added"]
    );
    let created = client.get("/contacts?filter=all&sort=created").await;
    assert_eq!(
        created.attr("#sort option[selected]", "value").as_deref(),
        Some("created")
    );
    assert_eq!(
        names(&created),
        [
            "Margaret Hamilton",
            "Linus Torvalds",
            "Grace Hopper",
            "Alan Turing",
            "Ada Lovelace"
        ]
    );
    let created_asc = client
        .get("/contacts?filter=all&sort=created&dir=asc")
        .await;
    assert_eq!(names(&created_asc)[0], "Ada Lovelace");

    let contacted = client.get("/contacts?filter=all&sort=last_contacted").await;
    assert_eq!(names(&contacted)[..2], ["Grace Hopper", "Alan Turing"]);
    assert_eq!(
        contacted.texts("th[aria-sort=descending] a"),
        ["Last contacted ▼"]
    );
    let longest_ago = client
        .get("/contacts?filter=all&sort=last_contacted&dir=asc")
        .await;
    assert_eq!(
        names(&longest_ago)[3..],
        ["Alan Turing", "Grace Hopper"],
        "never contacted first"
    );

    let with_search = client.get("/contacts?q=a&filter=vip").await;
    assert_eq!(
        with_search.attr("th:nth-child(8) a", "href").as_deref(),
        Some("/contacts?q=a&filter=vip&sort=last_contacted"),
        "sort links keep the search and filter"
    );
}

#[tokio::test]
async fn meaningless_parameters_fall_back_to_the_defaults() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    seed_people(&app, &ada).await;
    let default = names(&client.get("/contacts").await);

    for query in [
        "sort=bogus",
        "dir=sideways",
        "page=-1",
        "page=0",
        "page=abc",
        "page=99999999999999",
        "filter=everything",
        "sort=name;DROP%20TABLE%20contact",
    ] {
        let r = client.get(&format!("/contacts?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
        assert_eq!(names(&r), default, "{query}");
    }
    assert_eq!(count(&app.db, "contact").await, 5);
}

#[tokio::test]
async fn a_long_list_has_pages_of_50_whose_links_keep_the_search_filter_and_sort() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    for i in 0..120 {
        add_contact(
            &app,
            &ada,
            ContactInput {
                name: format!("Person {i:03}"),
                vip: i % 2 == 0,
                ..ContactInput::default()
            },
        )
        .await;
    }
    named(&app, &ada, "Someone else").await;

    let first = client.get("/contacts?q=person").await;
    assert_eq!(first.texts("#contact-count"), ["120 contacts"]);
    assert_eq!(names(&first).len(), 50);
    assert_eq!(names(&first)[0], "Person 000");
    assert_eq!(first.texts(".pager .count"), ["Page 1 of 3"]);
    assert_eq!(
        first.attr(".pager a[rel=next]", "href").as_deref(),
        Some("/contacts?q=person&page=2")
    );
    assert!(first.attr(".pager a[rel=prev]", "href").is_none());

    let second = client.get("/contacts?q=person&page=2").await;
    assert_eq!(names(&second)[0], "Person 050");
    assert_eq!(
        second.attr(".pager a[rel=prev]", "href").as_deref(),
        Some("/contacts?q=person")
    );
    let third = client.get("/contacts?q=person&page=3").await;
    assert_eq!(names(&third).len(), 20);
    assert_eq!(names(&third)[19], "Person 119");
    assert!(third.attr(".pager a[rel=next]", "href").is_none());
    let beyond = client.get("/contacts?q=person&page=7").await;
    assert_eq!(names(&beyond), names(&third), "past the end: the last page");

    let vips = client
        .get("/contacts?q=person&filter=vip&sort=created&dir=asc")
        .await;
    assert_eq!(vips.texts("#contact-count"), ["60 contacts"]);
    assert_eq!(
        vips.attr(".pager a[rel=next]", "href").as_deref(),
        Some("/contacts?q=person&filter=vip&sort=created&dir=asc&page=2")
    );
    let vips2 = client
        .get("/contacts?q=person&filter=vip&sort=created&dir=asc&page=2")
        .await;
    assert_eq!(names(&vips2).len(), 10);
    assert_eq!(
        vips2.attr("input[name=back]", "value").as_deref(),
        Some("/contacts?q=person&filter=vip&sort=created&dir=asc&page=2"),
        "bulk actions come back to this page"
    );

    let everyone = client.get("/contacts").await;
    assert_eq!(everyone.texts("#contact-count"), ["121 contacts"]);
}

#[tokio::test]
async fn a_user_without_contacts_is_invited_to_add_the_first_one() {
    let app = spawn_app().await;
    let (mut client, _) = signed_in(&app, "ada").await;

    let r = client.get("/contacts").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts(".empty h2"), ["No contacts yet"]);
    assert_eq!(r.attr(".empty a", "href").as_deref(), Some("/contacts/new"));
    assert_eq!(r.texts("table").len(), 0);
    // Filters on an empty account still invite rather than say "no match".
    let filtered = client.get("/contacts?q=zzz&filter=vip").await;
    assert_eq!(filtered.texts(".empty h2"), ["No contacts yet"]);
}

#[tokio::test]
async fn a_search_without_matches_says_so_and_offers_to_clear_it() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    seed_people(&app, &ada).await;

    let r = client.get("/contacts?q=zzz&filter=vip").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts(".empty h2"), ["No matching contacts"]);
    assert_eq!(
        r.texts(".empty p:first-of-type"),
        ["No contact matches “zzz” with these filters."]
    );
    assert_eq!(r.texts("#clear-search"), ["Clear search"]);
    assert_eq!(
        r.attr("#clear-search", "href").as_deref(),
        Some("/contacts")
    );
    assert_eq!(r.texts("#contact-count"), ["0 contacts"]);
}

// ---------------------------------------------------------------------------------------------
// Bulk actions

#[tokio::test]
async fn the_list_is_a_bulk_form_with_a_checkbox_per_row_and_select_all() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let people = seed_people(&app, &ada).await;

    let r = client.get("/contacts?filter=active").await;

    assert_eq!(
        r.attr("form.bulk-form", "action").as_deref(),
        Some("/contacts/bulk")
    );
    assert_eq!(r.attr("form.bulk-form", "method").as_deref(), Some("post"));
    assert_eq!(
        r.attr("form.bulk-form input[name=back]", "value")
            .as_deref(),
        Some("/contacts"),
        "filter=active is the list's default, left out"
    );
    assert_eq!(r.texts("input[data-select-all]").len(), 1);
    assert_eq!(
        r.texts("label[for=select-all]"),
        ["Select all on this page"]
    );
    assert_eq!(r.texts("input[name=ids][data-select-item]").len(), 3);
    assert_eq!(
        r.attr("input[name=ids]", "value"),
        Some(people[0].id.to_string())
    );
    assert_eq!(
        r.texts(&format!("label[for='select-{}']", people[0].id)),
        ["Select Ada Lovelace"]
    );
    let actions: Vec<String> = r
        .html()
        .select(&scraper::Selector::parse("button[name=action]").unwrap())
        .filter_map(|b| b.value().attr("value").map(str::to_string))
        .collect();
    assert_eq!(
        actions,
        [
            "tag_add",
            "tag_remove",
            "archive",
            "unarchive",
            "vip",
            "unvip",
            "delete"
        ]
    );
    // Deleting happens at once, with an Undo: nothing asks first.
    assert_eq!(r.attr("button[value=delete]", "data-confirm"), None);
}

#[tokio::test]
async fn bulk_actions_apply_to_the_selected_contacts_and_return_to_the_list() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let people = seed_people(&app, &ada).await;
    let (a, b, c) = (
        people[0].id.to_string(),
        people[1].id.to_string(),
        people[4].id.to_string(),
    );
    let back = "/contacts?q=a&filter=active";

    let r = bulk(
        &mut client,
        &[
            ("ids", &a),
            ("ids", &b),
            ("ids", &c),
            ("action", "archive"),
            ("back", back),
        ],
    )
    .await;
    assert_eq!(r.location(), Some(back));
    for p in [&people[0], &people[1], &people[4]] {
        assert_eq!(
            reload(&app, &ada, &p.id).await.status,
            ContactStatus::Archived
        );
    }
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["3 contacts archived."]);

    let r = bulk(&mut client, &[("ids", &a), ("action", "unarchive")]).await;
    assert_eq!(r.location(), Some("/contacts"));
    assert_eq!(
        reload(&app, &ada, &people[0].id).await.status,
        ContactStatus::Active
    );
    assert_eq!(
        reload(&app, &ada, &people[1].id).await.status,
        ContactStatus::Archived
    );
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["1 contact unarchived."]);

    let r = bulk(&mut client, &[("ids", &b), ("ids", &c), ("action", "vip")]).await;
    assert!(reload(&app, &ada, &people[1].id).await.vip);
    assert!(reload(&app, &ada, &people[4].id).await.vip);
    assert_eq!(
        follow(&mut client, &r).await.texts(".flash-success"),
        ["2 contacts marked as VIP."]
    );

    let r = bulk(
        &mut client,
        &[("ids", &a), ("ids", &b), ("action", "unvip")],
    )
    .await;
    assert!(!reload(&app, &ada, &people[0].id).await.vip);
    assert!(!reload(&app, &ada, &people[1].id).await.vip);
    assert!(reload(&app, &ada, &people[4].id).await.vip, "not selected");
    assert_eq!(
        follow(&mut client, &r).await.texts(".flash-success"),
        ["2 contacts no longer VIP."]
    );
}

#[tokio::test]
async fn bulk_actions_ignore_other_users_contacts_and_off_site_returns() {
    let app = spawn_app().await;
    let (_, bob) = signed_in(&app, "bob").await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let mine = named(&app, &ada, "Mine").await;
    let theirs = named(&app, &bob, "Theirs").await;

    let r = bulk(
        &mut client,
        &[
            ("ids", mine.id.as_str()),
            ("ids", theirs.id.as_str()),
            ("action", "archive"),
            ("back", "https://evil.example/contacts"),
        ],
    )
    .await;

    assert_eq!(r.location(), Some("/contacts"));
    assert_eq!(
        reload(&app, &ada, &mine.id).await.status,
        ContactStatus::Archived
    );
    assert_eq!(reload(&app, &bob, &theirs.id).await, theirs);
    assert_eq!(
        follow(&mut client, &r).await.texts(".flash-success"),
        ["1 contact archived."]
    );
}

#[tokio::test]
async fn a_bulk_delete_happens_at_once_and_its_undo_brings_all_back() {
    let app = spawn_app().await;
    let (_, bob) = signed_in(&app, "bob").await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let people = seed_people(&app, &ada).await;
    let theirs = named(&app, &bob, "Theirs").await;
    let back = "/contacts?q=a";
    let ids = [
        people[0].id.to_string(),
        people[2].id.to_string(),
        people[3].id.to_string(),
    ];

    let r = bulk(
        &mut client,
        &[
            ("ids", &ids[0]),
            ("ids", &ids[1]),
            ("ids", &ids[2]),
            ("ids", theirs.id.as_str()),
            ("action", "delete"),
            ("back", back),
        ],
    )
    .await;

    assert_eq!(r.location(), Some(back));
    assert_eq!(count(&app.db, "contact").await, 3);
    let list = follow(&mut client, &r).await;
    assert_eq!(list.texts(".flash-success"), ["3 contacts deleted."]);
    assert_eq!(reload(&app, &bob, &theirs.id).await, theirs);
    // In Settings → Recently deleted, the latest first.
    let settings = client.get("/settings").await;
    let mut listed = settings.texts("#deleted-list .deleted-name");
    listed.sort();
    assert_eq!(listed, ["Ada Lovelace", "Grace Hopper", "Linus Torvalds"]);

    let undo = list.attr(".flash-undo", "action").unwrap();
    let undone = client.post_form(&undo, &[]).await;
    assert_eq!(undone.location(), Some(back));
    assert_eq!(
        follow(&mut client, &undone).await.texts(".flash-success"),
        ["Restored 3 contacts."]
    );
    assert_eq!(count(&app.db, "contact").await, 6);
    for p in [&people[0], &people[2], &people[3]] {
        assert_eq!(reload(&app, &ada, &p.id).await, *p);
    }
    assert!(client
        .get("/settings")
        .await
        .texts("#deleted-list .deleted-name")
        .is_empty());
}

#[tokio::test]
async fn a_bulk_action_without_a_selection_asks_for_one() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "ada").await;
    let people = seed_people(&app, &ada).await;

    let r = bulk(
        &mut client,
        &[("action", "archive"), ("back", "/contacts?filter=vip")],
    )
    .await;

    assert_eq!(r.location(), Some("/contacts?filter=vip"));
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-error"), ["Select at least one contact."]);
    for p in &people {
        assert_eq!(reload(&app, &ada, &p.id).await, *p);
    }

    let unknown = bulk(
        &mut client,
        &[("ids", people[0].id.as_str()), ("action", "explode")],
    )
    .await;
    assert_eq!(unknown.location(), Some("/contacts"));
    assert_eq!(
        follow(&mut client, &unknown).await.texts(".flash-error"),
        ["Choose what to do with the selected contacts."]
    );
    assert_eq!(reload(&app, &ada, &people[0].id).await, people[0]);
}

/// The contact form's fields for Ada with two e-mails, a phone, links, tags and notes.
fn full_form<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "Ada Lovelace"),
        ("email", "ada@work.example"),
        ("email_label", "work"),
        ("email", "ada@home.example"),
        ("email_label", "home"),
        ("email", ""),
        ("email_label", ""),
        ("phone", "+44 20 7946 0958"),
        ("phone_label", "mobile"),
        ("main_app", "Signal"),
        ("social_links", "github.com/ada\r\nhttps://ada.dev"),
        ("tags", "rust, Speaker, rust"),
        ("notes", "Met at the Royal Society."),
    ]
}

#[tokio::test]
async fn every_contact_keeps_emails_phones_links_notes_and_tags_from_its_form() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "owner").await;

    let r = client.post_form("/contacts", &full_form()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = follow(&mut client, &r).await;
    // Not a VIP, and every detail is on the page, the first e-mail and phone in the header.
    assert_eq!(page.texts(".vip-toggle button"), ["Mark as VIP"]);
    let details = page.texts("#details").join(" ");
    for shown in [
        "ada@work.example",
        "ada@home.example",
        "work",
        "home",
        "mobile",
        "Signal",
        "github.com/ada",
        "ada.dev",
    ] {
        assert!(details.contains(shown), "{shown} in {details}");
    }
    assert_eq!(page.texts("#contact-notes"), ["Met at the Royal Society."]);
    assert_eq!(
        page.attr("#reach-email", "href").as_deref(),
        Some("mailto:ada@work.example")
    );
    assert_eq!(
        page.attr("#reach-phone", "href").as_deref(),
        Some("tel:+442079460958")
    );
    let contact = &app
        .db
        .contacts()
        .list(&ada, &devhub_db::ContactQuery::default())
        .await
        .unwrap()
        .contacts[0];
    let tags: Vec<String> = app
        .db
        .tags()
        .tags_for_contact(&ada, &contact.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tags, ["rust", "Speaker"]);

    // The edit form shows them all, a blank row to add one more.
    let edit = client.get(&format!("/contacts/{}/edit", contact.id)).await;
    assert_eq!(
        edit.attr("#email-1", "value").as_deref(),
        Some("ada@home.example")
    );
    assert_eq!(
        edit.attr("#email-label-1", "value").as_deref(),
        Some("home")
    );
    assert_eq!(edit.attr("#email-2", "value").as_deref(), Some(""));
    assert_eq!(
        edit.attr("#tags", "value").as_deref(),
        Some("rust, Speaker")
    );
    assert_eq!(edit.attr("#name", "autofocus").as_deref(), Some(""));

    // Saving fewer removes the rest; the tag taken off stays a tag.
    let r = client
        .post_form(
            &format!("/contacts/{}", contact.id),
            &[
                ("name", "Ada Lovelace"),
                ("email", "ada@home.example"),
                ("email_label", "home"),
                ("tags", "speaker"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let got = app
        .db
        .contact_details()
        .get(&ada, &contact.id)
        .await
        .unwrap();
    assert_eq!(got.emails.len(), 1);
    assert!(got.phones.is_empty());
    let tags = app
        .db
        .tags()
        .tags_for_contact(&ada, &contact.id)
        .await
        .unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "Speaker", "matched ignoring case");
    assert_eq!(app.db.tags().list(&ada).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_bad_detail_comes_back_beside_its_row_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (mut client, ada) = signed_in(&app, "owner").await;
    let long_tag = "x".repeat(51);
    let mut fields = full_form();
    fields[3] = ("email", "ada at home");
    fields[11] = ("tags", &long_tag);

    let r = client.post_form("/contacts", &fields).await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts("#email-1-error"),
        ["E-mail must be an e-mail address like ada@example.com."]
    );
    assert_eq!(r.attr("#email-1", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(r.attr("#email-1", "value").as_deref(), Some("ada at home"));
    assert_eq!(
        r.attr("#email-0", "value").as_deref(),
        Some("ada@work.example")
    );
    assert!(
        r.texts("#tags-error")[0].starts_with("Tags "),
        "{:?}",
        r.texts("#tags-error")
    );
    assert_eq!(r.attr("#notes", "value"), None);
    assert_eq!(r.texts("#notes"), ["Met at the Royal Society."]);
    let page = app
        .db
        .contacts()
        .list(&ada, &devhub_db::ContactQuery::default())
        .await
        .unwrap();
    assert!(page.contacts.is_empty(), "nothing stored");
}

#[tokio::test]
async fn another_user_cannot_change_a_contacts_details_through_the_form() {
    let app = spawn_app().await;
    let (_owner_client, owner) = signed_in(&app, "owner").await;
    let (mut other, _) = signed_in(&app, "other").await;
    let grace = named(&app, &owner, "Grace").await;

    let r = other
        .post_form(&format!("/contacts/{}", grace.id), &full_form())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = other.get(&format!("/contacts/{}/edit", grace.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app
        .db
        .contact_details()
        .get(&owner, &grace.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(reload(&app, &owner, &grace.id).await.name, "Grace");
}

/// A common word's total reads "at least" ("200+ contacts", page 1 of 4+) and the pages go on
/// past it; the last page's total is exact.
#[tokio::test]
async fn a_common_searchs_total_reads_at_least_and_its_pages_go_on() {
    let app = spawn_app().await;
    let (mut client, user) = signed_in(&app, "ada").await;
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 409) \
         INSERT INTO contact (id, user_id, name, location) \
         SELECT 'c' || i, ?1, 'Pat ' || substr('000' || i, -4), 'Paris' FROM k",
        [user.to_string()],
    )
    .await
    .unwrap();
    let r = client.get("/contacts?q=paris").await;
    assert_eq!(r.texts("#contact-count"), ["200+ contacts"]);
    assert_eq!(r.texts(".pager .count"), ["Page 1 of 4+"]);
    let r = client.get("/contacts?q=paris&page=4").await;
    assert_eq!(r.texts("#contact-count"), ["400+ contacts"]);
    assert_eq!(r.texts(".pager .count"), ["Page 4 of 8+"]);
    let r = client.get("/contacts?q=paris&page=9").await;
    assert_eq!(r.texts("#contact-count"), ["410 contacts"]);
    assert_eq!(r.texts(".pager .count"), ["Page 9 of 9"]);
    assert_eq!(r.texts(".pager [rel=next]").len(), 0);
}
