//! Error pages as the visitor sees them: the header of a signed-in user on every error page
//! (an unknown address, a missing contact, a method the address does not answer), their theme,
//! and the addresses that forms post to, which a form that came back with messages leaves in
//! the address bar: opened again, they lead to the form's page, never to a blank 405.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{header, Method, StatusCode};
use common::{sign_up, spawn_app, TestApp, TestResponse, PASSWORD};
use devhub_db::{ContactInput, FollowUpInput, InteractionInput, UserId};

/// The signed-in header: the user's name and the app's navigation, no log-in links.
fn assert_signed_in_header(r: &TestResponse, username: &str) {
    assert_eq!(
        r.texts(".nav-user"),
        vec![username.to_string()],
        "{}",
        r.body
    );
    assert_eq!(r.texts("nav a[href='/contacts']"), vec!["Contacts"]);
    assert!(r.texts("nav a[href='/login']").is_empty(), "{}", r.body);
    assert!(r.texts("form[action='/logout'] button").len() == 1);
}

fn assert_signed_out_header(r: &TestResponse) {
    assert_eq!(r.texts("nav a[href='/login']"), vec!["Log in"]);
    assert_eq!(r.texts("nav a[href='/register']"), vec!["Create account"]);
    assert!(r.texts(".nav-user").is_empty());
    assert!(r.texts("nav a[href='/contacts']").is_empty());
}

#[tokio::test]
async fn a_signed_in_user_at_an_unknown_address_sees_the_signed_in_header() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;

    let r = ada.get("/nope").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.texts("h1"), vec!["Page not found"]);
    assert_signed_in_header(&r, "ada");
}

#[tokio::test]
async fn a_visitor_at_an_unknown_address_sees_the_log_in_links() {
    let app = spawn_app().await;

    let r = app.client().get("/nope").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.texts("h1"), vec!["Page not found"]);
    assert_signed_out_header(&r);
}

#[tokio::test]
async fn an_ended_session_at_an_unknown_address_sees_the_log_in_links() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    ada.post_form("/logout", &[]).await;
    ada.cookies
        .insert("auth-session".into(), "a-session-that-ended".into());

    let r = ada.get("/nope").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_signed_out_header(&r);
}

#[tokio::test]
async fn a_missing_contact_shows_the_signed_in_header_with_the_follow_up_counts() {
    let app = spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let contact = add_contact(&app, &ada_id, "Grace").await;
    let overdue = FollowUpInput {
        due_date: "2020-01-01".into(),
        note: None,
    }
    .parse()
    .unwrap();
    app.db
        .follow_ups()
        .create(&ada_id, &contact, &overdue)
        .await
        .unwrap();

    let r = ada.get("/contacts/no-such-contact").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_signed_in_header(&r, "ada");
    assert_eq!(
        r.texts("#nav-follow-ups .nav-count-overdue"),
        vec!["1 overdue"]
    );
}

#[tokio::test]
async fn error_pages_keep_the_chosen_theme() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    ada.cookies.insert("theme".into(), "dark".into());
    let mut visitor = app.client();
    visitor.cookies.insert("theme".into(), "light".into());

    let signed_in = ada.get("/nope").await;
    let signed_out = visitor.get("/nope").await;

    assert_eq!(
        signed_in.attr("html", "data-theme").as_deref(),
        Some("dark")
    );
    assert_eq!(
        signed_out.attr("html", "data-theme").as_deref(),
        Some("light")
    );
}

#[tokio::test]
async fn a_method_an_address_does_not_answer_gets_an_error_page_with_the_signed_in_header() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;

    let r = ada.get("/logout").await;

    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(r.headers[header::ALLOW], "POST");
    assert_eq!(r.texts("h1"), vec!["Not allowed here"]);
    assert_signed_in_header(&r, "ada");
}

async fn add_contact(app: &TestApp, user: &UserId, name: &str) -> devhub_db::ContactId {
    let input = ContactInput {
        name: name.into(),
        ..ContactInput::default()
    };
    app.db
        .contacts()
        .create(user, &input.parse().unwrap())
        .await
        .unwrap()
        .id
}

/// A form's address, a post to it that answers with a page (messages, or something shown
/// once), and the page a GET of the address must lead to.
type FormCase<'a> = (String, Vec<(&'a str, &'a str)>, String);

#[tokio::test]
async fn the_address_a_form_came_back_from_leads_to_the_forms_page_when_opened_again() {
    let app = spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let contact = add_contact(&app, &ada_id, "Grace").await;
    app.db
        .contacts()
        .set_vip(&ada_id, &contact, true)
        .await
        .unwrap();
    let interaction = app
        .db
        .interactions()
        .create(
            &ada_id,
            &contact,
            &InteractionInput {
                type_: "call".into(),
                date: "2024-05-01".into(),
                notes: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let due = FollowUpInput {
        due_date: "2099-01-01".into(),
        note: None,
    }
    .parse()
    .unwrap();
    let follow_up = app
        .db
        .follow_ups()
        .create(&ada_id, &contact, &due)
        .await
        .unwrap()
        .id;
    let (c, i, f) = (contact.as_str(), interaction.as_str(), follow_up.as_str());
    let long = "x".repeat(10_001);
    let cases: Vec<FormCase> = vec![
        (
            format!("/contacts/{c}/status"),
            vec![("status", "gone")],
            format!("/contacts/{c}"),
        ),
        (
            format!("/contacts/{c}/background"),
            vec![("misc_notes", &long)],
            format!("/contacts/{c}"),
        ),
        (
            format!("/contacts/{c}/contact-info"),
            vec![("email", "not an address")],
            format!("/contacts/{c}"),
        ),
        (
            format!("/contacts/{c}/social-links"),
            vec![("url", "not a link")],
            format!("/contacts/{c}"),
        ),
        (
            format!("/contacts/{c}/follow-ups"),
            vec![("when", "someday")],
            format!("/contacts/{c}"),
        ),
        (
            format!("/contacts/{c}/cadence"),
            vec![("days", "often")],
            format!("/contacts/{c}"),
        ),
        (
            format!("/follow-ups/{f}/snooze"),
            vec![("by", "forever")],
            format!("/follow-ups/{f}"),
        ),
        (
            format!("/contacts/{c}/interactions"),
            vec![("type", "telepathy"), ("date", "2024-05-01")],
            format!("/contacts/{c}/interactions/new"),
        ),
        (
            format!("/interactions/{i}"),
            vec![("type", "telepathy"), ("date", "2024-05-01")],
            format!("/interactions/{i}/edit"),
        ),
        (
            "/settings/preferences".into(),
            vec![("time_zone", "Mars/Olympus")],
            "/settings#reminders".into(),
        ),
        (
            "/settings/tokens".into(),
            vec![("name", ""), ("expires_in", "30")],
            "/settings#tokens".into(),
        ),
        (
            "/settings/calendar".into(),
            vec![],
            "/settings#calendar".into(),
        ),
        (
            "/settings/password".into(),
            vec![("current_password", PASSWORD), ("new_password", "short")],
            "/settings#password".into(),
        ),
        (
            "/settings/delete".into(),
            vec![("password", "not my password")],
            "/settings#delete-account".into(),
        ),
    ];
    for (address, invalid, page) in &cases {
        let posted = ada.post_form(address, invalid).await;
        assert!(
            !posted.status.is_redirection() && posted.texts("form").len() > 1,
            "POST {address} should answer with a page: {} {}",
            posted.status,
            posted.body
        );

        let reopened = ada.get(address).await;

        assert_eq!(reopened.status, StatusCode::SEE_OTHER, "GET {address}");
        assert_eq!(reopened.location(), Some(page.as_str()), "GET {address}");
        let target = page.split('#').next().unwrap();
        let shown = ada.get(target).await;
        assert_eq!(shown.status, StatusCode::OK, "GET {target}");
    }
    // Someone else's ids lead nowhere.
    let (mut eve, _) = sign_up(&app, "eve").await;
    for address in [
        format!("/contacts/{c}/status"),
        format!("/contacts/{c}/interactions"),
        format!("/interactions/{i}"),
        format!("/follow-ups/{f}/snooze"),
    ] {
        assert_eq!(eve.get(&address).await.status, StatusCode::NOT_FOUND);
    }
}

/// Every address of the app's pages, read from the router (as the cross-user matrix does).
fn page_routes(app: &TestApp) -> Vec<String> {
    let debug = format!("{:?}", app.router);
    let mut paths: Vec<String> = debug
        .split('"')
        .filter(|s| s.starts_with('/') && !s.starts_with("/api"))
        .map(str::to_string)
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[tokio::test]
async fn no_page_address_answers_a_get_with_a_blank_page() {
    let app = spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let contact = add_contact(&app, &ada_id, "Grace").await;
    let routes = page_routes(&app);
    assert!(routes.len() > 30, "{routes:?}");
    for route in &routes {
        let path: String = route
            .split('/')
            .map(|segment| match segment {
                "{id}" | "{contact_id}" => contact.as_str(),
                s if s.starts_with('{') => "unknown",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        let r = ada.send(Method::GET, &path, None, &[]).await;
        assert!(!r.status.is_server_error(), "GET {path}: {}", r.status);
        if r.status.is_redirection() {
            assert!(r.location().is_some(), "GET {path}");
            continue;
        }
        assert!(
            !r.body.trim().is_empty(),
            "GET {path} answered {} with nothing",
            r.status
        );
        if r.status == StatusCode::METHOD_NOT_ALLOWED {
            assert_eq!(r.texts("h1"), vec!["Not allowed here"], "GET {path}");
            assert_signed_in_header(&r, "ada");
        }
    }
    // Still signed in: no GET ended the session (`/logout`, `/settings/sessions/revoke`).
    assert_eq!(ada.get("/settings").await.status, StatusCode::OK);
}
