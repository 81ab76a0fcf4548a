//! A form field or query parameter given twice where the page takes one: a 400 page that
//! names it (issue 14, finding 10), not a page claiming an unexpected error.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{count, sign_up, spawn_app, TestResponse};

fn is_html(page: &TestResponse) -> bool {
    page.headers
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"))
}

#[tokio::test]
async fn a_repeated_form_field_gets_a_page_naming_it_and_saves_nothing() {
    let app = spawn_app().await;
    let (mut client, _) = sign_up(&app, "ada").await;
    let page = client
        .post_form("/contacts", &[("name", "Ada"), ("name", "Grace")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(is_html(&page), "{:?}", page.headers);
    let message = page.texts("main p").join(" ");
    assert!(message.contains("`name`"), "{message}");
    assert!(message.contains("more than once"), "{message}");
    assert!(!page.body.contains("unexpected"), "{}", page.body);
    assert_eq!(count(&app.db, "contact").await, 0);

    // Given once, the same form saves.
    let saved = client.post_form("/contacts", &[("name", "Ada")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(count(&app.db, "contact").await, 1);
}

#[tokio::test]
async fn a_repeated_query_parameter_gets_a_page_naming_it() {
    let app = spawn_app().await;
    let (mut client, _) = sign_up(&app, "ada").await;
    let page = client.get("/follow-ups?tab=completed&tab=open").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(is_html(&page), "{:?}", page.headers);
    let message = page.texts("main p").join(" ");
    assert!(message.contains("`tab`"), "{message}");
    assert!(!page.body.contains("unexpected"), "{}", page.body);
    assert_eq!(
        client.get("/follow-ups?tab=completed").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn every_kind_of_form_names_a_repeated_field() {
    let app = spawn_app().await;
    let (mut client, _) = sign_up(&app, "ada").await;
    let contact = client.post_form("/contacts", &[("name", "Ada")]).await;
    let contact = contact.location().unwrap().to_string();
    // The log-in form, a form that comes back with messages (a follow-up), the password
    // re-check, the interaction log's filters.
    for (path, fields) in [
        (
            "/login",
            vec![("username", "ada"), ("username", "eve"), ("password", "x")],
        ),
        (
            &format!("{contact}/follow-ups") as &str,
            vec![("due_date", "2030-01-01"), ("due_date", "2031-01-01")],
        ),
        (
            "/settings/password",
            vec![("current_password", "a"), ("current_password", "b")],
        ),
    ] {
        let page = client.post_form(path, &fields).await;
        assert_eq!(
            page.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            page.body
        );
        assert!(is_html(&page), "{path}");
        let message = page.texts("main p").join(" ");
        assert!(
            message.contains(&format!("`{}`", fields[0].0)),
            "{path}: {message}"
        );
    }
    let page = client.get("/interactions?q=a&q=b").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.texts("main p").join(" ").contains("`q`"));
    assert_eq!(count(&app.db, "follow_up").await, 0);
}
