//! The database server goes away and comes back: pages answer a 503 page, the API a
//! problem+json 503, `/healthz` 503, no panic; once the server is back, the same app answers
//! again without a restart.
#![allow(clippy::unwrap_used)]

mod common;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

use axum::http::{Method, StatusCode};
use common::{api_token, sign_up};
use devhub_db::{ContactInput, DbConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_server_is_down_pages_say_503_and_come_back_after() {
    // The test command finds sqld (SQLD_BIN) and says loudly when it cannot.
    if !sqld::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = sqld::Sqld::start(dir.path());
    let config = DbConfig {
        url: server.url(),
        ..DbConfig::default()
    };
    let app = common::TestApp::on(common::migrated(&config).await);
    let (mut client, user) = sign_up(&app, "ada").await;
    let token = api_token(&app.db, &user).await;
    let bearer = format!("Bearer {token}");
    let ada = app
        .db
        .contacts()
        .create(
            &user,
            &ContactInput {
                name: "Ada Lovelace".into(),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let page = format!("/contacts/{}", ada.id);
    let api = format!("/api/v1/contacts/{}", ada.id);
    assert_eq!(client.get(&page).await.status, StatusCode::OK);

    server.stop();
    let down = client.get(&page).await;
    assert_eq!(
        down.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        down.body
    );
    assert!(
        down.body.contains("The database is unreachable"),
        "{}",
        down.body
    );
    let api_down = client
        .send(Method::GET, &api, None, &[("authorization", &bearer)])
        .await;
    assert_eq!(api_down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        api_down.body.contains("Database unreachable"),
        "{}",
        api_down.body
    );
    assert_eq!(
        client.get("/healthz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    server.restart();
    let back = client.get(&page).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert!(back.body.contains("Ada Lovelace"));
    let api_back = client
        .send(Method::GET, &api, None, &[("authorization", &bearer)])
        .await;
    assert_eq!(api_back.status, StatusCode::OK, "{}", api_back.body);
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
}
