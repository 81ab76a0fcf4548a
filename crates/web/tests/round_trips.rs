//! What a page costs on a libSQL server without a replica: every statement the app sends is a
//! round trip over the network, so the reads of a page go in batches. A counting proxy between
//! the app and a real `sqld` counts the requests each page makes.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

#[path = "../../db/tests/common/counting_proxy.rs"]
mod counting_proxy;

use axum::http::{Method, StatusCode};
use common::{api_token, sign_up};
use counting_proxy::CountingProxy;
use devhub_db::DbConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_costs_at_most_three_round_trips_on_a_server() {
    if !sqld::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let proxy = CountingProxy::start(server.port).await;
    let config = DbConfig {
        url: proxy.url(),
        ..DbConfig::default()
    };
    let app = common::TestApp::on(common::migrated(&config).await);
    let (mut client, user) = sign_up(&app, "ada").await;
    let bearer = format!("Bearer {}", api_token(&app.db, &user).await);

    // A VIP with details, interactions and a follow-up: every section of the contact page.
    let made = client
        .post_form(
            "/contacts",
            &[
                ("name", "Grace Hopper"),
                ("vip", "on"),
                ("location", "Arlington"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let contact = made
        .location()
        .unwrap()
        .trim_start_matches("/contacts/")
        .to_string();
    let base = format!("/contacts/{contact}");
    for (path, fields) in [
        (
            format!("{base}/background"),
            vec![("company", "Navy"), ("hobbies", "Sailing")],
        ),
        (
            format!("{base}/contact-info"),
            vec![("email", "grace@example.com")],
        ),
        (
            format!("{base}/interactions"),
            vec![
                ("type", "meeting"),
                ("date", "2026-11-02"),
                ("notes", "COBOL"),
            ],
        ),
        (
            format!("{base}/follow-ups"),
            vec![("when", "1w"), ("note", "Call back")],
        ),
    ] {
        let r = client.post_form(&path, &fields).await;
        assert!(r.status.is_redirection(), "{path}: {} {}", r.status, r.body);
    }

    let pages = [
        "/dashboard".to_string(),
        "/contacts".to_string(),
        "/contacts?q=gr".to_string(),
        base.clone(),
        format!("{base}/edit"),
        "/interactions".to_string(),
        "/follow-ups".to_string(),
        "/settings".to_string(),
        "/settings/sessions".to_string(),
        "/settings/security".to_string(),
        "/contacts/new".to_string(),
        format!("{base}/interactions/new"),
        "/follow-ups?show=completed".to_string(),
        "/contacts/import".to_string(),
        "/contacts?filter=vip&sort=last_contacted".to_string(),
        "/interactions?type=meeting".to_string(),
    ];
    let mut costs = Vec::new();
    for path in &pages {
        let before = proxy.requests();
        let r = client.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        costs.push((path.clone(), proxy.requests() - before));
    }
    for api in [
        "/api/v1/contacts".to_string(),
        format!("/api/v1/contacts/{contact}"),
    ] {
        let before = proxy.requests();
        let r = app
            .client()
            .send(Method::GET, &api, None, &[("authorization", &bearer)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{api}: {}", r.body);
        costs.push((api, proxy.requests() - before));
    }
    eprintln!("{costs:#?}");
    // The pages that only read (`page::View`), once this instance knows the session, check
    // it in the batch of their own reads: one request fewer than a page that checks it first.
    for (path, expected) in [
        (base.as_str(), 1),
        ("/contacts?q=gr", 2),
        ("/interactions", 1),
    ] {
        let before = proxy.requests();
        let r = client.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert!(r.body.contains("Grace Hopper"), "{path}");
        assert_eq!(proxy.requests() - before, expected, "{path}'s requests");
    }
    let over: Vec<_> = costs.iter().filter(|(_, n)| *n > 3).collect();
    assert!(over.is_empty(), "pages over three round trips: {over:?}");
}
