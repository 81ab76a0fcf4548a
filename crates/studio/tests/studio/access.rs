//! The access token, the session cookie, the cross-origin rule and the response headers.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use devhub_studio::StudioSettings;

use crate::common::{TestStudio, HOST, TOKEN};

#[tokio::test]
async fn every_request_without_the_token_gets_401() {
    let studio = TestStudio::odd().await;
    for uri in [
        "/",
        "/schema",
        "/sql",
        "/t/parent",
        "/t/parent/row?k=%5B1%5D",
        "/no/such/page",
    ] {
        let r = studio.anonymous(Method::GET, uri, None, &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(r.body.contains("access token"), "{uri}: {}", r.body);
    }
    let css = studio.get("/").await.attr("link[rel=stylesheet]", "href");
    let r = studio.anonymous(Method::GET, &css, None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the stylesheet too");
    let r = studio
        .anonymous(Method::POST, "/sql", Some(&[("sql", "select 1")]), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = studio
        .anonymous(Method::GET, "/?token=wrong", None, &[])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.set_cookie("devhub_studio").is_none());
    let r = studio
        .anonymous(
            Method::GET,
            "/",
            None,
            &[("cookie", "devhub_studio=made-up")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "an unknown session is refused"
    );
}

#[tokio::test]
async fn the_token_is_swapped_once_for_an_http_only_cookie_and_leaves_the_address() {
    // The first studio keeps the database (and, on a server, the server) alive.
    let first = TestStudio::odd().await;
    let studio = first.unopened(StudioSettings::default());
    let r = studio
        .anonymous(
            Method::GET,
            &format!("/t/parent?sort=name&token={TOKEN}"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/t/parent?sort=name");
    let cookie = r.set_cookie("devhub_studio").unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();
    let r = studio
        .anonymous(
            Method::GET,
            "/t/parent?sort=name",
            None,
            &[("cookie", &session)],
        )
        .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.text("h1"), "parent table");
}

#[tokio::test]
async fn the_printed_address_cannot_be_replayed_once_it_has_signed_a_browser_in() {
    // `TestStudio` has opened the printed address once already, as the user's browser does.
    let studio = TestStudio::odd().await;
    let replay = format!("/t/parent?token={TOKEN}");
    let r = studio.anonymous(Method::GET, &replay, None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.set_cookie("devhub_studio").is_none());
    assert_eq!(r.text("h1"), "Access address already used");
    assert!(
        r.text("main").contains("restart `devhub studio`"),
        "{}",
        r.body
    );
    // Still spent after a refused replay, and a wrong token is told apart from a spent one.
    let again = studio.anonymous(Method::GET, &replay, None, &[]).await;
    assert_eq!(again.text("h1"), "Access address already used");
    let wrong = studio
        .anonymous(Method::GET, "/?token=0123", None, &[])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.text("h1"), "Access token needed");
    // The browser that opened it may reload it: the token only leaves the address bar.
    let cookie = studio.cookie.clone();
    let r = studio
        .anonymous(Method::GET, &replay, None, &[("cookie", &cookie)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/t/parent");
    assert!(r.set_cookie("devhub_studio").is_none(), "no new session");
    studio.get("/t/parent").await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_printed_address_expires_when_nobody_opens_it_in_time() {
    let first = TestStudio::odd().await;
    let late = first.unopened(StudioSettings {
        access_link_lifetime: Duration::from_millis(200),
        ..StudioSettings::default()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = late
        .anonymous(Method::GET, &format!("/?token={TOKEN}"), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.set_cookie("devhub_studio").is_none());
    assert_eq!(r.text("h1"), "Access address expired");
    assert!(r.text("main").contains("within a minute"), "{}", r.body);
}

#[tokio::test]
async fn state_changing_requests_from_another_origin_get_403_and_change_nothing() {
    let studio = TestStudio::odd().await;
    let cookie = studio.cookie.clone();
    for headers in [
        vec![
            ("cookie", cookie.as_str()),
            ("origin", "http://evil.example"),
        ],
        vec![
            ("cookie", cookie.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let r = studio
            .anonymous(
                Method::POST,
                "/t/parent/delete?k=%5B1%5D",
                Some(&[]),
                &headers,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(
        studio
            .count("SELECT count(*) FROM parent WHERE id = 1")
            .await,
        1
    );
    // The same request from the studio's own origin goes through.
    let origin = format!("http://{HOST}");
    let r = studio
        .anonymous(
            Method::POST,
            "/t/parent/delete?k=%5B1%5D",
            Some(&[]),
            &[("cookie", &cookie), ("origin", &origin)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        studio
            .count("SELECT count(*) FROM parent WHERE id = 1")
            .await,
        0
    );
}

#[tokio::test]
async fn pages_carry_security_headers_and_the_server_time() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/t/parent").await;
    r.assert_status(StatusCode::OK);
    let header = |name: &str| r.headers.get(name).unwrap().to_str().unwrap().to_string();
    assert!(header("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("cache-control"), "no-store");
    assert!(header("server-timing").starts_with("app;dur="));
}
