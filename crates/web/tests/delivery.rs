//! How pages reach the browser (Lighthouse's basics): an icon at `/favicon.ico` and linked
//! from every page, a meta description on every page, and bodies compressed with brotli or
//! gzip when the client accepts them.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request, StatusCode};
use common::{api_token, sign_up, spawn_app, Client, TestApp};
use devhub_db::ContactInput;
use tower::ServiceExt;

/// A GET as `client` with `accept_encoding`, the body as sent (not decoded).
async fn raw_get(
    client: &Client<'_>,
    path: &str,
    accept_encoding: Option<&str>,
    bearer: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let cookie = client
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut builder = Request::get(path)
        .header(header::HOST, client.host)
        .header(header::COOKIE, cookie);
    if let Some(encoding) = accept_encoding {
        builder = builder.header(header::ACCEPT_ENCODING, encoding);
    }
    if let Some(token) = bearer {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut request = builder.body(Body::empty()).unwrap();
    request.extensions_mut().insert(ConnectInfo(client.peer));
    let response = client.app.router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    (parts.status, parts.headers, bytes.to_vec())
}

fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        other => panic!("unexpected encoding {other}"),
    }
    out
}

async fn with_contacts(app: &TestApp, n: usize) -> (Client<'_>, devhub_db::UserId) {
    let (client, user) = sign_up(app, "ada").await;
    for i in 0..n {
        let input = ContactInput {
            name: format!("Contact number {i}"),
            location: Some("Lisbon".into()),
            ..ContactInput::default()
        };
        app.db
            .contacts()
            .create(&user, &input.parse().unwrap())
            .await
            .unwrap();
    }
    (client, user)
}

#[tokio::test]
async fn pages_assets_and_json_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app().await;
    let (mut ada, user) = with_contacts(&app, 40).await;
    let token = api_token(&app.db, &user).await;
    let page = ada.get("/contacts").await;
    let css = page.attr("link[href$='.css']", "href").unwrap();
    let js = page.attr("script[src]", "src").unwrap();

    for (path, bearer, content_type) in [
        ("/contacts", None, "text/html"),
        (css.as_str(), None, "text/css"),
        (js.as_str(), None, "text/javascript"),
        ("/api/v1/contacts", Some(token.as_str()), "application/json"),
    ] {
        let (_, _, plain) = raw_get(&ada, path, None, bearer).await;
        for encoding in ["br", "gzip"] {
            let (status, headers, body) =
                raw_get(&ada, path, Some(&format!("{encoding}, deflate")), bearer).await;

            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(
                headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with(content_type),
                "{path}"
            );
            assert_eq!(headers[header::CONTENT_ENCODING], encoding, "{path}");
            assert!(
                headers[header::VARY]
                    .to_str()
                    .unwrap()
                    .contains("accept-encoding"),
                "{path}"
            );
            assert!(
                body.len() * 2 < plain.len(),
                "{path} in {encoding}: {} bytes of {}",
                body.len(),
                plain.len()
            );
            assert_eq!(decode(encoding, &body), plain, "{path} in {encoding}");
        }
    }
    // The page itself, decoded, is the list.
    let (_, _, body) = raw_get(&ada, "/contacts", Some("br"), None).await;
    let html = String::from_utf8(decode("br", &body)).unwrap();
    assert!(html.contains("Contact number 39"));
}

#[tokio::test]
async fn a_client_that_accepts_no_compression_gets_the_plain_body() {
    let app = spawn_app().await;
    let (ada, _) = with_contacts(&app, 40).await;

    for accept in [None, Some("identity")] {
        let (status, headers, body) = raw_get(&ada, "/contacts", accept, None).await;

        assert_eq!(status, StatusCode::OK);
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert!(String::from_utf8(body)
            .unwrap()
            .contains("Contact number 39"));
    }
}

#[tokio::test]
async fn error_pages_are_compressed_too() {
    let app = spawn_app().await;
    let (ada, _) = sign_up(&app, "ada").await;

    let (status, headers, body) = raw_get(&ada, "/nope", Some("gzip"), None).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    let html = String::from_utf8(decode("gzip", &body)).unwrap();
    assert!(html.contains("Page not found") && html.contains("nav-user"));
}

/// The pixel at (`x`, `y`) of a 32 × 32, 32-bit ICO, as RGBA.
fn ico_pixel(ico: &[u8], x: usize, y: usize) -> [u8; 4] {
    let offset = u32::from_le_bytes(ico[18..22].try_into().unwrap()) as usize;
    let header = u32::from_le_bytes(ico[offset..offset + 4].try_into().unwrap()) as usize;
    let rows = offset + header;
    let at = rows + ((31 - y) * 32 + x) * 4;
    let [b, g, r, a]: [u8; 4] = ico[at..at + 4].try_into().unwrap();
    [r, g, b, a]
}

#[tokio::test]
async fn the_favicon_is_an_icon_of_our_brand_mark() {
    let app = spawn_app().await;
    let client = app.client();

    let (status, headers, ico) = raw_get(&client, "/favicon.ico", None, None).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/x-icon");
    // An icon directory of one 32 × 32 image in 32 bits.
    assert_eq!(&ico[0..6], &[0, 0, 1, 0, 1, 0]);
    assert_eq!((ico[6], ico[7]), (32, 32));
    assert_eq!(u16::from_le_bytes([ico[12], ico[13]]), 32);
    let declared = u32::from_le_bytes(ico[14..18].try_into().unwrap()) as usize;
    assert_eq!(declared + 22, ico.len());
    // A white diamond on the accent colour, with transparent rounded corners.
    assert_eq!(ico_pixel(&ico, 16, 16), [255, 255, 255, 255]);
    assert_eq!(ico_pixel(&ico, 3, 16), [0x3b, 0x5b, 0xdb, 255]);
    assert_eq!(ico_pixel(&ico, 0, 0)[3], 0);
    assert_eq!(ico_pixel(&ico, 31, 31)[3], 0);
}

#[tokio::test]
async fn every_page_links_its_icons_and_both_are_served() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let mut visitor = app.client();

    for r in [ada.get("/contacts").await, visitor.get("/login").await] {
        assert_eq!(
            r.attr("link[rel=icon][sizes='32x32']", "href").as_deref(),
            Some("/favicon.ico")
        );
        let svg = r
            .attr("link[rel=icon][type='image/svg+xml']", "href")
            .unwrap();
        let icon = visitor.get(&svg).await;
        assert_eq!(icon.status, StatusCode::OK, "{svg}");
        assert_eq!(icon.headers[header::CONTENT_TYPE], "image/svg+xml");
        assert!(icon.body.starts_with("<svg"), "{}", icon.body);
    }
}

#[tokio::test]
async fn every_page_has_a_meta_description() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let mut visitor = app.client();

    let description = |r: &common::TestResponse| {
        r.attr("meta[name=description]", "content")
            .unwrap_or_default()
    };
    let login = description(&visitor.get("/login").await);
    let register = description(&visitor.get("/register").await);
    let others = [
        description(&ada.get("/dashboard").await),
        description(&ada.get("/contacts").await),
        description(&ada.get("/settings").await),
        description(&ada.get("/nope").await),
        description(&visitor.get("/nope").await),
    ];

    assert!(login.starts_with("Log in to Developer Hub CRM"), "{login}");
    assert!(register.starts_with("Create an account"), "{register}");
    for d in &others {
        assert!(d.starts_with("Developer Hub CRM: a self-hosted"), "{d}");
    }
}

#[tokio::test]
async fn a_first_visit_carries_the_stylesheet_inline_and_later_pages_link_the_cached_file() {
    let app = spawn_app().await;
    let mut browser = app.client();

    // A browser without the stylesheet: no request holds up the first paint.
    let first = browser.get("/login").await;
    assert!(
        first.attr("link[rel=stylesheet]", "href").is_none(),
        "{}",
        first.body
    );
    assert!(first.body.contains("<style>") && first.body.contains("--accent"));
    let prefetch = first.attr("link[rel=prefetch]", "href").unwrap();
    assert!(prefetch.starts_with("/static/app.") && prefetch.ends_with(".css"));
    let remembered = first.set_cookie("devhub-css").unwrap();
    let hash = remembered.split(';').next().unwrap();
    let hash = hash.trim_start_matches("devhub-css=");
    assert!(prefetch.contains(&format!(".{hash}.")), "{remembered}");

    // The next page links the file it prefetched, and says nothing more.
    let second = browser.get("/register").await;
    assert_eq!(second.attr("link[rel=stylesheet]", "href"), Some(prefetch));
    assert!(!second.body.contains("<style>"));
    assert!(second.set_cookie("devhub-css").is_none());

    // A new version of the stylesheet (another hash) is carried inline again.
    browser
        .cookies
        .insert("devhub-css".into(), "0000000000".into());
    let after_upgrade = browser.get("/login").await;
    assert!(after_upgrade.body.contains("<style>"));
    assert!(after_upgrade.set_cookie("devhub-css").is_some());
}

#[tokio::test]
async fn the_content_security_policy_allows_the_inline_stylesheet_and_no_other_style() {
    let app = spawn_app().await;
    let page = app.client().get("/no-such-page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let html = page.html();
    let selector = scraper::Selector::parse("style").unwrap();
    let css: String = html.select(&selector).next().unwrap().text().collect();
    let policy = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&css));
    assert!(
        policy.contains(&format!("style-src 'self' 'sha256-{hash}';")),
        "{policy}"
    );
    assert!(!policy.contains("unsafe-inline"), "{policy}");
}
