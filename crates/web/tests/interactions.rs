//! The interactions area through the in-process router: logging, editing and deleting an
//! interaction, the log of all interactions with its filters and pages, and other users' ids.
#![allow(clippy::unwrap_used)]

mod common;
use common::sign_up;

use axum::http::StatusCode;
use chrono::{Duration, NaiveDate, Utc};
use common::{count, spawn_app, Client, TestApp, TestResponse};
use devhub_db::repo::interaction::InteractionInput;
use devhub_db::{Contact, ContactInput, ContactStatus, Interaction, UserId};

// ---------------------------------------------------------------------------------------------
// Helpers

async fn contact(app: &TestApp, user: &UserId, name: &str) -> Contact {
    app.db
        .contacts()
        .create(
            user,
            &ContactInput {
                name: name.into(),
                status: Some(ContactStatus::Active.as_str().into()),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap()
}

async fn log(
    app: &TestApp,
    user: &UserId,
    contact: &Contact,
    kind: &str,
    date: &str,
    notes: &str,
) -> Interaction {
    let new = InteractionInput {
        type_: kind.into(),
        date: date.into(),
        notes: Some(notes.into()),
    }
    .parse()
    .unwrap();
    app.db
        .interactions()
        .create(user, &contact.id, &new)
        .await
        .unwrap()
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn last_contacted(app: &TestApp, user: &UserId, contact: &Contact) -> Option<NaiveDate> {
    app.db
        .contacts()
        .get(user, &contact.id)
        .await
        .unwrap()
        .last_contacted
        .map(|at| at.date_naive())
}

/// The flash message the next page shows.
async fn flash(client: &mut Client<'_>) -> Vec<String> {
    client.get("/interactions").await.texts(".flash-success")
}

#[track_caller]
fn assert_not_found(r: &TestResponse) {
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(r.texts("h1"), ["Page not found"]);
}

/// The contact names of the log's rows, in order.
fn row_names(r: &TestResponse) -> Vec<String> {
    r.texts(".ix-item .ix-contact")
}

fn row_notes(r: &TestResponse) -> Vec<String> {
    r.texts(".ix-item .ix-notes")
}

// ---------------------------------------------------------------------------------------------
// Logging an interaction

#[tokio::test]
async fn the_log_page_offers_every_type_and_defaults_the_date_to_today() {
    let app = spawn_app().await;
    let (mut client, ada_user) = sign_up(&app, "ada").await;
    let grace = contact(&app, &ada_user, "Grace").await;

    let r = client
        .get(&format!("/contacts/{}/interactions/new", grace.id))
        .await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("h1"), ["Log interaction with Grace"]);
    assert_eq!(
        r.attr("form.ix-form", "action"),
        Some(format!("/contacts/{}/interactions", grace.id))
    );
    let html = r.html();
    let options: Vec<_> = html
        .select(&scraper::Selector::parse("select#type option").unwrap())
        .map(|o| o.value().attr("value").unwrap_or_default().to_string())
        .collect();
    assert_eq!(options, ["meeting", "call", "email", "message", "other"]);
    assert_eq!(r.attr("#date", "type").as_deref(), Some("date"));
    assert_eq!(r.attr("#date", "value"), Some(iso(today())));
    assert_eq!(r.texts("textarea#notes"), [""]);
    for field in ["type", "date", "notes"] {
        assert_eq!(
            r.texts(&format!("label[for={field}]")).len(),
            1,
            "{field} has a label"
        );
    }
    assert_eq!(
        r.attr(".ix-back a", "href"),
        Some(format!("/contacts/{}", grace.id))
    );
}

#[tokio::test]
async fn logging_an_interaction_returns_to_the_contact_with_a_flash_and_sets_last_contacted() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;

    let r = client
        .post_form(
            &format!("/contacts/{}/interactions", ada.id),
            &[
                ("type", "call"),
                ("date", "2024-03-05"),
                ("notes", "  Talked about the Analytical Engine  "),
            ],
        )
        .await;

    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some(format!("/contacts/{}", ada.id).as_str()));
    assert_eq!(flash(&mut client).await, ["Call with Ada logged."]);
    let (logged, total) = app
        .db
        .interactions()
        .list_for_contact(&user, &ada.id, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(logged[0].type_.as_str(), "call");
    assert_eq!(logged[0].date.date_naive(), date("2024-03-05"));
    assert_eq!(
        logged[0].notes.as_deref(),
        Some("Talked about the Analytical Engine")
    );
    assert_eq!(
        last_contacted(&app, &user, &ada).await,
        Some(date("2024-03-05"))
    );

    // An older one logged afterwards leaves last_contacted on the latest date.
    client
        .post_form(
            &format!("/contacts/{}/interactions", ada.id),
            &[("type", "other"), ("date", "2023-01-01"), ("notes", "")],
        )
        .await;
    assert_eq!(flash(&mut client).await, ["Interaction with Ada logged."]);
    assert_eq!(
        last_contacted(&app, &user, &ada).await,
        Some(date("2024-03-05"))
    );
    assert_eq!(count(&app.db, "interaction").await, 2);
}

#[tokio::test]
async fn the_contact_pages_inline_form_may_carry_extra_fields_and_a_local_back_path() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let path = format!("/contacts/{}/interactions", ada.id);

    let r = client
        .post_form(
            &path,
            &[
                ("type", "meeting"),
                ("date", "2024-03-05"),
                ("notes", "x"),
                ("back", "/dashboard"),
                ("something_else", "1"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some("/dashboard"));

    let r = client
        .post_form(
            &path,
            &[
                ("type", "meeting"),
                ("date", "2024-03-06"),
                ("back", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some(format!("/contacts/{}", ada.id).as_str()));
    assert_eq!(count(&app.db, "interaction").await, 2);
}

#[tokio::test]
async fn each_invalid_field_comes_back_beside_it_with_the_values_kept() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let path = format!("/contacts/{}/interactions", ada.id);
    let long = "n".repeat(10_001);
    let cases: [(&str, &str, &str, &str, &str); 6] = [
        (
            "party",
            "2024-03-05",
            "notes kept",
            "#type-error",
            "Type must be one of meeting, call, email, message or other.",
        ),
        ("", "2024-03-05", "", "#type-error", "Type is required."),
        (
            "email",
            "2024-13-01",
            "notes kept",
            "#date-error",
            "Date must be a date like 2024-05-31.",
        ),
        (
            "email",
            "1899-12-31",
            "",
            "#date-error",
            "Date must be between 1900-01-01 and 2100-12-31.",
        ),
        ("email", "", "", "#date-error", "Date is required."),
        (
            "message",
            "2024-03-05",
            &long,
            "#notes-error",
            "Notes must be at most 10000 characters.",
        ),
    ];

    for (kind, day, notes, selector, message) in cases {
        let r = client
            .post_form(&path, &[("type", kind), ("date", day), ("notes", notes)])
            .await;

        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind} {day}");
        assert_eq!(r.texts("h1"), ["Log interaction with Ada"]);
        assert_eq!(r.texts(selector), [message]);
        assert_eq!(r.texts(".field-error").len(), 1, "only {selector}");
        assert_eq!(r.attr("#date", "value").as_deref(), Some(day));
        assert_eq!(r.texts("textarea#notes"), [notes]);
        let selected = r.attr("select#type option[selected]", "value");
        let expected = ["meeting", "call", "email", "message", "other"]
            .contains(&kind)
            .then(|| kind.to_string());
        assert_eq!(selected, expected, "the chosen type stays chosen");
        let field = selector.trim_start_matches('#').trim_end_matches("-error");
        assert_eq!(
            r.attr("[aria-invalid=true]", "id").as_deref(),
            Some(field),
            "the field is marked invalid"
        );
    }
    assert_eq!(count(&app.db, "interaction").await, 0, "nothing stored");
    assert_eq!(last_contacted(&app, &user, &ada).await, None);
}

// ---------------------------------------------------------------------------------------------
// Editing and deleting

#[tokio::test]
async fn the_edit_page_shows_the_interaction_as_stored() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let call = log(
        &app,
        &user,
        &ada,
        "call",
        "2024-03-05",
        "About <b>Babbage</b>",
    )
    .await;

    let r = client.get(&format!("/interactions/{}/edit", call.id)).await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("h1"), ["Edit call with Ada"]);
    assert_eq!(
        r.attr("form.ix-form", "action"),
        Some(format!("/interactions/{}", call.id))
    );
    assert_eq!(
        r.attr("select#type option[selected]", "value").as_deref(),
        Some("call")
    );
    assert_eq!(r.attr("#date", "value").as_deref(), Some("2024-03-05"));
    assert_eq!(r.texts("textarea#notes"), ["About <b>Babbage</b>"]);
    assert!(!r.body.contains("<b>Babbage"), "notes are escaped");
    assert_eq!(
        r.attr("form.ix-delete-form", "action"),
        Some(format!("/interactions/{}/delete", call.id))
    );
    // It deletes at once: the flash that follows offers Undo.
    assert_eq!(r.attr("form.ix-delete-form", "data-confirm"), None);
}

#[tokio::test]
async fn editing_an_interaction_saves_it_and_moves_last_contacted() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    log(&app, &user, &ada, "call", "2024-01-10", "older").await;
    let latest = log(&app, &user, &ada, "call", "2024-03-05", "latest").await;
    assert_eq!(
        last_contacted(&app, &user, &ada).await,
        Some(date("2024-03-05"))
    );

    let r = client
        .post_form(
            &format!("/interactions/{}", latest.id),
            &[
                ("type", "email"),
                ("date", "2023-12-24"),
                ("notes", "Season's greetings"),
            ],
        )
        .await;

    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some(format!("/contacts/{}", ada.id).as_str()));
    assert_eq!(flash(&mut client).await, ["Email with Ada updated."]);
    let saved = app.db.interactions().get(&user, &latest.id).await.unwrap();
    assert_eq!(saved.type_.as_str(), "email");
    assert_eq!(saved.date.date_naive(), date("2023-12-24"));
    assert_eq!(saved.notes.as_deref(), Some("Season's greetings"));
    assert_eq!(
        last_contacted(&app, &user, &ada).await,
        Some(date("2024-01-10")),
        "the other interaction is now the latest"
    );

    // Moving it forward again makes it the latest.
    client
        .post_form(
            &format!("/interactions/{}", latest.id),
            &[("type", "email"), ("date", "2024-06-01"), ("notes", "")],
        )
        .await;
    assert_eq!(
        last_contacted(&app, &user, &ada).await,
        Some(date("2024-06-01"))
    );
    let saved = app.db.interactions().get(&user, &latest.id).await.unwrap();
    assert_eq!(saved.notes, None, "blank notes are removed");
}

#[tokio::test]
async fn an_invalid_edit_comes_back_with_the_values_kept_and_changes_nothing() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let call = log(&app, &user, &ada, "call", "2024-03-05", "kept").await;

    let r = client
        .post_form(
            &format!("/interactions/{}", call.id),
            &[
                ("type", "meeting"),
                ("date", "2024-02-30"),
                ("notes", "new notes"),
            ],
        )
        .await;

    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.texts("h1"), ["Edit call with Ada"]);
    assert_eq!(
        r.texts("#date-error"),
        ["Date must be a date like 2024-05-31."]
    );
    assert_eq!(r.attr("#date", "value").as_deref(), Some("2024-02-30"));
    assert_eq!(r.texts("textarea#notes"), ["new notes"]);
    assert_eq!(
        r.attr("select#type option[selected]", "value").as_deref(),
        Some("meeting")
    );
    let long = "x".repeat(10_001);
    let r = client
        .post_form(
            &format!("/interactions/{}", call.id),
            &[("type", "bogus"), ("date", "2100-01-01"), ("notes", &long)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts(".field-error"),
        [
            "Type must be one of meeting, call, email, message or other.",
            "Notes must be at most 10000 characters."
        ]
    );
    assert_eq!(
        app.db.interactions().get(&user, &call.id).await.unwrap(),
        call
    );
}

#[tokio::test]
async fn deleting_an_interaction_returns_to_the_contact_and_last_contacted_falls_back() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let older = log(&app, &user, &ada, "meeting", "2024-01-10", "").await;
    let latest = log(&app, &user, &ada, "message", "2024-03-05", "").await;

    let r = client
        .post_form(&format!("/interactions/{}/delete", latest.id), &[])
        .await;

    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some(format!("/contacts/{}", ada.id).as_str()));
    assert_eq!(flash(&mut client).await, ["Message with Ada deleted."]);
    assert_eq!(
        last_contacted(&app, &user, &ada).await,
        Some(date("2024-01-10"))
    );
    assert_eq!(
        client
            .get(&format!("/interactions/{}/edit", latest.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    client
        .post_form(&format!("/interactions/{}/delete", older.id), &[])
        .await;
    assert_eq!(flash(&mut client).await, ["Meeting with Ada deleted."]);
    assert_eq!(last_contacted(&app, &user, &ada).await, None);
    assert_eq!(count(&app.db, "interaction").await, 0);
    assert_eq!(count(&app.db, "contact").await, 1, "the contact stays");
}

#[tokio::test]
async fn edits_and_deletes_made_from_the_log_return_to_the_log() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let call = log(&app, &user, &ada, "call", "2024-03-05", "").await;
    let email = log(&app, &user, &ada, "email", "2024-03-06", "").await;

    let list = client.get("/interactions?type=call").await;
    let edit = list.attr(".ix-item .ix-actions a", "href").unwrap();
    assert_eq!(
        edit,
        format!(
            "/interactions/{}/edit?back=%2Finteractions%3Ftype%3Dcall",
            call.id
        )
    );
    assert_eq!(
        list.attr(".ix-item .ix-actions input[name=back]", "value")
            .as_deref(),
        Some("/interactions?type=call")
    );
    let page = client.get(&edit).await;
    assert_eq!(
        page.attr("form.ix-form input[name=back]", "value")
            .as_deref(),
        Some("/interactions?type=call")
    );
    assert_eq!(
        page.attr(".actions a.button", "href").as_deref(),
        Some("/interactions?type=call"),
        "Cancel goes back too"
    );

    let r = client
        .post_form(
            &format!("/interactions/{}", call.id),
            &[
                ("type", "call"),
                ("date", "2024-03-07"),
                ("notes", ""),
                ("back", "/interactions?type=call"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some("/interactions?type=call"));
    let r = client
        .post_form(
            &format!("/interactions/{}/delete", email.id),
            &[("back", "/interactions")],
        )
        .await;
    assert_eq!(r.location(), Some("/interactions"));
}

// ---------------------------------------------------------------------------------------------
// Other users

#[tokio::test]
async fn another_users_contact_or_interaction_is_a_404_everywhere_and_stays_unchanged() {
    let app = spawn_app().await;
    let (_, bob) = sign_up(&app, "bob").await;
    let bobs_contact = contact(&app, &bob, "Bob's friend").await;
    let bobs_call = log(&app, &bob, &bobs_contact, "call", "2024-03-05", "private").await;
    let (mut eve, _) = sign_up(&app, "eve").await;
    let valid = [
        ("type", "email"),
        ("date", "2024-04-01"),
        ("notes", "hijack"),
    ];
    let invalid = [("type", "bogus"), ("date", "nope"), ("notes", "")];
    let missing = "0190f0f0-0000-7000-8000-000000000000";

    for id in [bobs_contact.id.as_str(), missing] {
        assert_not_found(&eve.get(&format!("/contacts/{id}/interactions/new")).await);
        for fields in [&valid[..], &invalid[..]] {
            assert_not_found(
                &eve.post_form(&format!("/contacts/{id}/interactions"), fields)
                    .await,
            );
        }
    }
    for id in [bobs_call.id.as_str(), missing] {
        assert_not_found(&eve.get(&format!("/interactions/{id}/edit")).await);
        for fields in [&valid[..], &invalid[..]] {
            assert_not_found(&eve.post_form(&format!("/interactions/{id}"), fields).await);
        }
        assert_not_found(
            &eve.post_form(&format!("/interactions/{id}/delete"), &[])
                .await,
        );
    }
    let list = eve.get("/interactions?q=private").await;
    assert_eq!(list.texts(".ix-item").len(), 0);

    assert_eq!(count(&app.db, "interaction").await, 1);
    assert_eq!(
        app.db
            .interactions()
            .get(&bob, &bobs_call.id)
            .await
            .unwrap(),
        bobs_call
    );
    assert_eq!(
        last_contacted(&app, &bob, &bobs_contact).await,
        Some(date("2024-03-05"))
    );
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_log_in() {
    let app = spawn_app().await;
    let (_, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let mut stranger = app.client();

    for path in [
        "/interactions".to_string(),
        format!("/contacts/{}/interactions/new", ada.id),
    ] {
        let r = stranger.get(&path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(r.location().unwrap().starts_with("/login?next="), "{path}");
    }
    let r = stranger
        .post_form(
            &format!("/contacts/{}/interactions", ada.id),
            &[("type", "call"), ("date", "2024-01-01")],
        )
        .await;
    assert!(r.location().unwrap().starts_with("/login"));
    assert_eq!(count(&app.db, "interaction").await, 0);
}

// ---------------------------------------------------------------------------------------------
// The log: /interactions

#[tokio::test]
async fn the_log_lists_every_interaction_latest_first_with_its_contact_linked() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let (_, other) = sign_up(&app, "other").await;
    let ada = contact(&app, &user, "Ada").await;
    let grace = contact(&app, &user, "Grace").await;
    let theirs = contact(&app, &other, "Not mine").await;
    log(&app, &user, &ada, "call", "2024-02-10", "Second").await;
    log(&app, &user, &grace, "meeting", "2024-03-01", "Third").await;
    log(&app, &user, &ada, "email", "2024-01-05", "First").await;
    log(&app, &other, &theirs, "call", "2024-02-11", "Theirs").await;

    let r = client.get("/interactions").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("h1"), ["Interactions"]);
    assert_eq!(
        r.attr("a[aria-current=page]", "href").as_deref(),
        Some("/interactions")
    );
    assert_eq!(row_names(&r), ["Grace", "Ada", "Ada"]);
    assert_eq!(row_notes(&r), ["Third", "Second", "First"]);
    assert_eq!(r.texts(".ix-item .ix-badge"), ["Meeting", "Call", "Email"]);
    assert_eq!(
        r.attr(".ix-item .ix-contact", "href"),
        Some(format!("/contacts/{}", grace.id))
    );
    assert_eq!(
        r.attr(".ix-item time", "datetime").as_deref(),
        Some("2024-03-01")
    );
    assert_eq!(
        r.attr(".ix-item time", "title").as_deref(),
        Some("March 1, 2024")
    );
    assert_eq!(
        r.texts(".ix-day-heading"),
        ["March 1, 2024", "February 10, 2024", "January 5, 2024"]
    );
    assert_eq!(r.texts(".ix-count"), ["3 interactions"]);
    assert_eq!(r.texts(".pager").len(), 0, "one page: no pager");
    assert_eq!(
        r.attr(".ix-item.ix-type-meeting .ix-icon svg", "aria-hidden")
            .as_deref(),
        Some("true")
    );
    for field in ["q", "filter-type", "from", "to"] {
        assert_eq!(r.texts(&format!("label[for={field}]")).len(), 1, "{field}");
    }
}

#[tokio::test]
async fn the_log_filters_by_type_date_range_and_text_together() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada Lovelace").await;
    let grace = contact(&app, &user, "Grace Hopper").await;
    log(&app, &user, &ada, "call", "2024-02-29", "leap day call").await;
    log(&app, &user, &ada, "call", "2024-03-01", "engine plans").await;
    log(
        &app,
        &user,
        &grace,
        "email",
        "2024-03-15",
        "COBOL draft, 50% done",
    )
    .await;
    log(&app, &user, &grace, "call", "2024-03-31", "compilers").await;
    log(&app, &user, &ada, "meeting", "2024-04-01", "").await;

    let r = client.get("/interactions?type=call").await;
    assert_eq!(
        row_notes(&r),
        ["compilers", "engine plans", "leap day call"]
    );
    assert_eq!(r.texts(".ix-count"), ["3 interactions match"]);
    assert_eq!(
        r.attr("#filter-type option[selected]", "value").as_deref(),
        Some("call")
    );

    let r = client
        .get("/interactions?from=2024-03-01&to=2024-03-31")
        .await;
    assert_eq!(
        row_notes(&r),
        ["compilers", "COBOL draft, 50% done", "engine plans"]
    );
    assert_eq!(r.attr("#from", "value").as_deref(), Some("2024-03-01"));
    assert_eq!(r.attr("#to", "value").as_deref(), Some("2024-03-31"));

    let r = client
        .get("/interactions?type=call&from=2024-03-01&to=2024-03-31&q=HOPPER")
        .await;
    assert_eq!(row_notes(&r), ["compilers"], "all filters at once");
    assert_eq!(r.attr("#q", "value").as_deref(), Some("HOPPER"));

    let r = client.get("/interactions?q=ngin").await;
    assert_eq!(row_notes(&r), ["engine plans"], "inside words, in notes");
    let r = client.get("/interactions?q=lovel").await;
    assert_eq!(row_names(&r), ["Ada Lovelace"; 3], "in the contact's name");
    let r = client.get("/interactions?q=50%25").await;
    assert_eq!(row_notes(&r), ["COBOL draft, 50% done"], "% is literal");
    let r = client.get("/interactions?q=_").await;
    assert_eq!(r.texts(".ix-item").len(), 0, "_ is literal");
    assert_eq!(r.texts(".empty h2"), ["No interactions match"]);

    let r = client.get("/interactions?to=2024-02-29").await;
    assert_eq!(row_notes(&r), ["leap day call"], "the last day is included");
    let r = client.get("/interactions?from=2024-04-01").await;
    assert_eq!(r.texts(".ix-count"), ["1 interaction match"]);
}

#[tokio::test]
async fn bad_filter_values_are_ignored_with_a_message_never_an_error() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    log(&app, &user, &ada, "call", "2024-02-01", "a").await;
    log(&app, &user, &ada, "email", "2024-03-01", "b").await;

    let r = client
        .get("/interactions?from=2024-02-30&to=yesterday&type=party&page=abc")
        .await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.texts(".ix-notice"),
        [
            "There is no type “party”; showing every type.",
            "“From” must be a date like 2024-05-31; “2024-02-30” was ignored.",
            "“To” must be a date like 2024-05-31; “yesterday” was ignored."
        ]
    );
    assert_eq!(row_notes(&r), ["b", "a"], "no filter applied");

    let r = client.get("/interactions?from=2024-03-01&to=abc").await;
    assert_eq!(row_notes(&r), ["b"], "the valid filter still applies");

    let r = client
        .get("/interactions?from=2024-03-02&to=2024-02-01")
        .await;
    assert_eq!(
        r.texts(".ix-notice"),
        ["“From” is after “To”, so no interaction can match."]
    );
    assert_eq!(r.texts(".ix-item").len(), 0);

    let r = client.get("/interactions?from=%FF%FE&page=-1").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn the_log_pages_by_50_and_its_links_keep_the_filters() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "mary").await;
    let ada = contact(&app, &user, "Ada").await;
    let start = date("2023-01-01");
    // 120 calls and 10 emails, one per day, numbered by age.
    for n in 0..130 {
        let kind = if n % 13 == 0 { "email" } else { "call" };
        let day = start + Duration::days(n);
        log(&app, &user, &ada, kind, &iso(day), &format!("note {n}")).await;
    }

    let r = client.get("/interactions").await;
    assert_eq!(r.texts(".ix-item").len(), 50);
    assert_eq!(r.texts(".ix-count"), ["130 interactions · page 1 of 3"]);
    assert_eq!(row_notes(&r)[0], "note 129");
    assert_eq!(
        r.attr(".pager a[rel=next]", "href").as_deref(),
        Some("/interactions?page=2")
    );
    assert_eq!(r.attr(".pager a[rel=prev]", "href"), None);

    let r = client.get("/interactions?page=3").await;
    assert_eq!(r.texts(".ix-item").len(), 30);
    assert_eq!(row_notes(&r).last().map(String::as_str), Some("note 0"));
    assert_eq!(r.attr(".pager a[rel=next]", "href"), None);
    assert_eq!(
        r.attr(".pager a[rel=prev]", "href").as_deref(),
        Some("/interactions?page=2")
    );

    // 120 calls: the filter, the text and the dates stay in every link.
    let r = client
        .get("/interactions?type=call&q=note&from=2023-01-01&to=2024-12-31&page=2")
        .await;
    assert_eq!(
        r.texts(".ix-count"),
        ["120 interactions match · page 2 of 3"]
    );
    assert_eq!(r.texts(".ix-item").len(), 50);
    assert!(r.texts(".ix-badge").iter().all(|b| b == "Call"));
    assert_eq!(
        r.attr(".pager a[rel=next]", "href").as_deref(),
        Some("/interactions?q=note&type=call&from=2023-01-01&to=2024-12-31&page=3")
    );
    assert_eq!(
        r.attr(".pager a[rel=prev]", "href").as_deref(),
        Some("/interactions?q=note&type=call&from=2023-01-01&to=2024-12-31")
    );
    let next = r.attr(".pager a[rel=next]", "href").unwrap();
    let last = client.get(&next).await;
    assert_eq!(last.texts(".ix-item").len(), 20);

    // Past the end: the last page.
    let r = client.get("/interactions?type=email&page=9").await;
    assert_eq!(r.texts(".ix-item").len(), 10);
    assert_eq!(r.texts(".ix-count"), ["10 interactions match"]);
}

#[tokio::test]
async fn an_empty_log_invites_to_log_a_first_interaction() {
    let app = spawn_app().await;
    let (mut client, _) = sign_up(&app, "mary").await;

    let r = client.get("/interactions").await;

    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts(".empty h2"), ["No interactions yet"]);
    assert_eq!(r.attr(".empty a", "href").as_deref(), Some("/contacts"));
    assert_eq!(r.texts(".ix-count").len(), 0);
}

/// A common word's total reads "at least" ("200+ interactions match", page 1 of 4+), and its
/// pages go on past the first count: page 4 counts to 400, the last page is exact.
#[tokio::test]
async fn a_common_words_total_reads_at_least_and_its_pages_go_on() {
    let app = spawn_app().await;
    let (mut client, user) = sign_up(&app, "ada").await;
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO contact (id, user_id, name) VALUES ('c1', ?1, 'Grace')",
        [user.to_string()],
    )
    .await
    .unwrap();
    conn.execute(
        "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 420) \
         INSERT INTO interaction (id, contact_id, type, date, notes, created_at, updated_at) \
         SELECT 'i' || i, 'c1', 'call', 1780000000 - i * 86400, 'Coffee ' || i, 1, 1 FROM k",
        (),
    )
    .await
    .unwrap();
    let r = client.get("/interactions?q=coffee").await;
    assert_eq!(
        r.texts(".ix-count"),
        ["200+ interactions match · page 1 of 4+"]
    );
    assert_eq!(r.texts(".pager .count"), ["Page 1 of 4+"]);
    let r = client.get("/interactions?q=coffee&page=4").await;
    assert_eq!(
        r.texts(".ix-count"),
        ["400+ interactions match · page 4 of 8+"]
    );
    assert_eq!(r.texts(".ix-item .ix-notes")[0], "Coffee 151");
    let r = client.get("/interactions?q=coffee&page=9").await;
    assert_eq!(
        r.texts(".ix-count"),
        ["420 interactions match · page 9 of 9"]
    );
    assert_eq!(r.texts(".ix-item .ix-notes").len(), 20);
}
