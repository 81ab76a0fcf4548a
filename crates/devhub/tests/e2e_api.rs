//! In a real browser with JavaScript off, against the real binary: a personal access token is
//! made on the settings page, shown once, used over real HTTP to write through the API (the
//! contact shows up on the pages), listed with its last use, and revoked, after which the API
//! answers 401.
#![allow(clippy::unwrap_used)]

mod e2e;

use std::io::{Read, Write};
use std::net::TcpStream;

use e2e::{Browser, Server};
use fantoccini::Locator;
use serde_json::Value;

/// One HTTP/1.1 request over a plain socket: the status and the body as JSON.
fn http(
    server: &Server,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let address = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(address).unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    };
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_made_in_settings_drives_the_api_until_it_is_revoked() {
    let server = Server::start();
    let browser = Browser::start_without_javascript().await;
    browser.goto(&server.url("/register")).await;
    browser.fill("#username", "ada").await;
    browser.fill("#password", "correct horse battery").await;
    browser.click("main button[type=submit]").await;

    browser.goto(&server.url("/settings#tokens")).await;
    assert_eq!(browser.text("#tokens-empty").await, "No tokens yet.");
    browser.fill("#token_name", "laptop script").await;
    browser
        .client
        .find(Locator::Css("#token_expires_in option[value='30']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.click("#token-create").await;
    let token = browser
        .client
        .find(Locator::Css("#new-token"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(token.starts_with("dh_"), "{token}");
    assert_eq!(
        browser.texts("#token-list .token-name").await,
        ["laptop script"]
    );
    assert_eq!(
        browser.texts("#token-list .token-last-used").await,
        ["never"]
    );
    // The answer scrolls to the token (the form's action ends in #tokens).
    assert_eq!(
        browser.client.current_url().await.unwrap().fragment(),
        Some("tokens")
    );
    browser.resize(1280, 2400).await;
    browser.shot("settings-token-created").await;
    browser.resize(1280, 800).await;

    // Real HTTP to the real server.
    let (status, created) = http(
        &server,
        "POST",
        "/api/v1/contacts",
        &token,
        Some(r#"{"name": "Grace Hopper", "industry": "Navy"}"#),
    );
    assert_eq!(status, 201, "{created}");
    let (status, listed) = http(&server, "GET", "/api/v1/contacts?q=grace", &token, None);
    assert_eq!(status, 200);
    assert_eq!(listed["data"][0]["id"], created["id"]);
    let (status, doc) = http(&server, "GET", "/api/openapi.json", "", None);
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    browser.goto(&server.url("/contacts")).await;
    assert!(browser.texts("main").await[0].contains("Grace Hopper"));

    // Reloading shows the token's last use, and never the token again.
    browser.goto(&server.url("/settings")).await;
    assert!(!browser.exists("#new-token").await);
    assert_ne!(
        browser.texts("#token-list .token-last-used").await,
        ["never"]
    );
    browser.click("#token-list form button").await;
    assert_eq!(
        browser.text(".flash-success").await,
        "Token revoked: it no longer works."
    );
    let (status, problem) = http(&server, "GET", "/api/v1/contacts", &token, None);
    assert_eq!(status, 401);
    assert_eq!(problem["status"], 401);

    browser.close().await;
}
