//! The JSON API: every operation, personal access tokens from the settings page, problem
//! documents for every error, other users' data as 404, and the OpenAPI document checked
//! against what the server answers.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use common::{count, spawn_app, spawn_app_with, TestApp, PASSWORD};
use devhub_web::Settings;
use serde_json::{json, Value};
use tower::ServiceExt;

/// What the API answered, with the body parsed as JSON (`Null` when empty).
#[derive(Debug)]
struct ApiResponse {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    json: Value,
}

impl ApiResponse {
    fn is_problem(&self, status: StatusCode) -> bool {
        self.status == status
            && self.content_type == "application/problem+json"
            && self.json["status"] == status.as_u16()
            && self.json["title"].as_str().is_some_and(|t| !t.is_empty())
    }

    fn field_errors(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends a raw request to the app: no cookies, no Origin, the given headers and body.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> ApiResponse {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "localhost:3000");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(body.into()).unwrap();
    request.extensions_mut().insert(ConnectInfo(
        "10.0.0.9:5000".parse::<std::net::SocketAddr>().unwrap(),
    ));
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{status}: body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    ApiResponse {
        status,
        content_type,
        headers,
        json,
    }
}

/// An API client holding one bearer token.
struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> ApiResponse {
        let auth = format!("Bearer {}", self.token);
        match body {
            Some(body) => {
                raw(
                    self.app,
                    method,
                    path,
                    &[
                        ("authorization", &auth),
                        ("content-type", "application/json"),
                    ],
                    body.to_string(),
                )
                .await
            }
            None => {
                raw(
                    self.app,
                    method,
                    path,
                    &[("authorization", &auth)],
                    Body::empty(),
                )
                .await
            }
        }
    }

    async fn get(&self, path: &str) -> ApiResponse {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> ApiResponse {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> ApiResponse {
        self.call(Method::PUT, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> ApiResponse {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> ApiResponse {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a contact and returns its id.
    async fn contact(&self, body: Value) -> String {
        let r = self.post("/api/v1/contacts", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        r.json["id"].as_str().unwrap().to_string()
    }
}

/// Registers `username` and makes a token for them on the settings page, as a user would.
async fn user_with_token<'a>(app: &'a TestApp, username: &str) -> (common::Client<'a>, String) {
    let mut client = app.client();
    client.register(username, PASSWORD).await;
    let token = create_token(&mut client, "script", "").await;
    (client, token)
}

async fn create_token(client: &mut common::Client<'_>, name: &str, expires_in: &str) -> String {
    let page = client
        .post_form(
            "/settings/tokens",
            &[("name", name), ("expires_in", expires_in)],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.attr("#new-token", "value").unwrap()
}

async fn api_for<'a>(app: &'a TestApp, username: &str) -> Api<'a> {
    let (_, token) = user_with_token(app, username).await;
    Api { app, token }
}

fn ids(r: &ApiResponse) -> Vec<String> {
    r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn names(r: &ApiResponse) -> Vec<String> {
    r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Tokens

#[tokio::test]
async fn tokens_are_made_in_settings_shown_once_and_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;

    let token = create_token(&mut client, "backup script", "30").await;
    assert!(token.starts_with("dh_") && token.len() > 30, "{token}");

    // Only the sha256 is stored.
    let conn = app.db.conn().await.unwrap();
    let mut rows = conn
        .query("SELECT token_hash, name, expires_at FROM api_token", ())
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), devhub_db::sha256_hex(&token));
    assert_eq!(row.get::<String>(1).unwrap(), "backup script");
    let expires: i64 = row.get(2).unwrap();
    let in_30_days = chrono::Utc::now().timestamp() + 30 * 86_400;
    assert!((expires - in_30_days).abs() < 60, "{expires}");
    drop(rows);

    // The list shows it without the secret, and never shows the token again.
    let page = client.get("/settings").await;
    assert_eq!(page.texts("#token-list .token-name"), ["backup script"]);
    assert_eq!(page.texts("#token-list .token-last-used"), ["never"]);
    assert!(page.attr("#new-token", "value").is_none());
    assert!(!page.body.contains(&token));
}

#[tokio::test]
async fn a_token_authenticates_the_api_and_its_last_use_is_recorded() {
    let app = spawn_app().await;
    let (mut client, token) = user_with_token(&app, "ada").await;
    let api = Api {
        app: &app,
        token: token.clone(),
    };

    let r = api.get("/api/v1/contacts").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["data"], json!([]));

    let token_row = app
        .db
        .api_tokens()
        .find_by_hash(&devhub_db::sha256_hex(&token))
        .await
        .unwrap()
        .unwrap();
    let used = token_row.last_used_at.expect("last use recorded");
    assert!((chrono::Utc::now() - used).num_seconds() < 60);
    let page = client.get("/settings").await;
    assert_ne!(page.texts("#token-list .token-last-used"), ["never"]);
}

#[tokio::test]
async fn expired_and_revoked_tokens_and_missing_credentials_get_401() {
    let app = spawn_app().await;
    let (mut client, token) = user_with_token(&app, "ada").await;
    let api = Api {
        app: &app,
        token: token.clone(),
    };
    assert_eq!(api.get("/api/v1/contacts").await.status, StatusCode::OK);

    // No credentials, a wrong scheme, an unknown token.
    for headers in [
        vec![],
        vec![("authorization", format!("Basic {token}"))],
        vec![("authorization", "Bearer dh_nosuchtoken".to_string())],
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = raw(
            &app,
            Method::GET,
            "/api/v1/contacts",
            &headers,
            Body::empty(),
        )
        .await;
        assert!(r.is_problem(StatusCode::UNAUTHORIZED), "{r:?}");
        assert!(r.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    }

    // Expired: the expiry passed.
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "UPDATE api_token SET expires_at = ?1",
        [chrono::Utc::now().timestamp() - 1],
    )
    .await
    .unwrap();
    let r = api.get("/api/v1/contacts").await;
    assert!(r.is_problem(StatusCode::UNAUTHORIZED), "{r:?}");
    let page = client.get("/settings").await;
    assert!(page.texts("#token-list .token-expires")[0].starts_with("expired"));

    // Revoked: a fresh token works until it is revoked on the settings page.
    let fresh = create_token(&mut client, "second", "").await;
    let api = Api {
        app: &app,
        token: fresh.clone(),
    };
    assert_eq!(api.get("/api/v1/contacts").await.status, StatusCode::OK);
    let id = app
        .db
        .api_tokens()
        .find_by_hash(&devhub_db::sha256_hex(&fresh))
        .await
        .unwrap()
        .unwrap()
        .id;
    let revoked = client
        .post_form(&format!("/settings/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(api
        .get("/api/v1/contacts")
        .await
        .is_problem(StatusCode::UNAUTHORIZED));
    assert_eq!(
        client
            .get("/settings")
            .await
            .texts("#token-list .token-name"),
        ["script"]
    );
}

#[tokio::test]
async fn the_session_cookie_does_not_authenticate_the_api() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    assert!(client.session_token().is_some());
    let r = client.get("/api/v1/contacts").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["content-type"], "application/problem+json");
    let r = client
        .send(
            Method::POST,
            "/api/v1/contacts",
            Some("{\"name\":\"Eve\"}".into()),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app.db, "contact").await, 0);
}

#[tokio::test]
async fn token_names_and_expiries_are_validated_and_others_tokens_cannot_be_revoked() {
    let app = spawn_app().await;
    let (_, ada_token) = user_with_token(&app, "ada").await;
    let mut bob = app.client();
    bob.register("bob", PASSWORD).await;

    let r = bob
        .post_form("/settings/tokens", &[("name", "  "), ("expires_in", "12")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts(".field-error"),
        ["Name is required.", "Expiry must be one of the choices."]
    );
    assert!(r.attr("#new-token", "value").is_none());
    assert_eq!(count(&app.db, "api_token").await, 1);

    let ada_id = app
        .db
        .api_tokens()
        .find_by_hash(&devhub_db::sha256_hex(&ada_token))
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = bob
        .post_form(&format!("/settings/tokens/{ada_id}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let api = Api {
        app: &app,
        token: ada_token,
    };
    assert_eq!(api.get("/api/v1/contacts").await.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// Operations

#[tokio::test]
async fn contacts_are_created_read_patched_and_deleted() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;

    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": " Grace Hopper ", "birthday": "1906-12-09", "industry": "Navy", "vip": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["name"], "Grace Hopper");
    assert_eq!(r.json["birthday"], "1906-12-09");
    assert_eq!(r.json["vip"], true);
    assert_eq!(r.json["status"], "active");
    assert_eq!(r.json["relationship"], Value::Null);
    let created = r.json["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    assert!(r.json.get("user_id").is_some());

    let got = api.get(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json, r.json);

    // A partial update changes only what it names; null clears.
    let patched = api
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"location": "Arlington", "industry": null, "status": "archived"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.json);
    assert_eq!(patched.json["location"], "Arlington");
    assert_eq!(patched.json["industry"], Value::Null);
    assert_eq!(patched.json["status"], "archived");
    assert_eq!(patched.json["name"], "Grace Hopper");
    assert_eq!(patched.json["birthday"], "1906-12-09");
    assert_eq!(patched.json["vip"], true);

    let empty = api
        .patch(&format!("/api/v1/contacts/{id}"), json!({}))
        .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.json["location"], "Arlington");

    let bad = api
        .patch(&format!("/api/v1/contacts/{id}"), json!({"name": ""}))
        .await;
    assert!(bad.is_problem(StatusCode::UNPROCESSABLE_ENTITY), "{bad:?}");
    assert_eq!(bad.field_errors(), ["name"]);

    let deleted = api.delete(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(api
        .get(&format!("/api/v1/contacts/{id}"))
        .await
        .is_problem(StatusCode::NOT_FOUND));
    assert!(api
        .delete(&format!("/api/v1/contacts/{id}"))
        .await
        .is_problem(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn the_contact_list_searches_filters_sorts_and_pages_with_cursors() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    for (name, industry, vip) in [
        ("alice", "Software", false),
        ("Bob", "Finance", true),
        ("carol", "software", false),
        ("Dave", "Finance", false),
        ("eve", "Security", true),
        ("Frank", "Software", false),
        ("grace", "Navy", true),
    ] {
        api.contact(json!({"name": name, "industry": industry, "vip": vip}))
            .await;
    }

    // Some were contacted (two on the same day), the others never.
    let by_name: BTreeMap<String, String> = api.get("/api/v1/contacts").await.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (name, date) in [
        ("carol", "2025-01-05"),
        ("Frank", "2025-01-05"),
        ("alice", "2024-06-01"),
        ("grace", "2025-02-01"),
    ] {
        let r = api
            .post(
                &format!("/api/v1/contacts/{}/interactions", by_name[name]),
                json!({"type": "call", "date": date}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let recent = api.get("/api/v1/contacts?sort=last_contacted").await;
    assert_eq!(
        names(&recent),
        ["grace", "carol", "Frank", "alice", "Bob", "Dave", "eve"]
    );
    let longest_ago = api
        .get("/api/v1/contacts?sort=last_contacted&dir=asc")
        .await;
    assert_eq!(
        names(&longest_ago),
        ["Bob", "Dave", "eve", "alice", "carol", "Frank", "grace"]
    );

    let all = api.get("/api/v1/contacts").await;
    assert_eq!(
        names(&all),
        ["alice", "Bob", "carol", "Dave", "eve", "Frank", "grace"]
    );
    assert_eq!(all.json["next_cursor"], Value::Null);

    let search = api.get("/api/v1/contacts?q=SOFT").await;
    assert_eq!(names(&search), ["alice", "carol", "Frank"]);
    let vips = api
        .get("/api/v1/contacts?filter=vip&sort=name&dir=desc")
        .await;
    assert_eq!(names(&vips), ["grace", "eve", "Bob"]);
    let finance = api.get("/api/v1/contacts?industry=finance").await;
    assert_eq!(names(&finance), ["Bob", "Dave"]);

    // Pages of 3 by every sort and direction add up to the whole list, in order.
    for sort in ["name", "created", "last_contacted"] {
        for dir in ["asc", "desc"] {
            let base = format!("/api/v1/contacts?sort={sort}&dir={dir}");
            let whole = ids(&api.get(&format!("{base}&limit=500")).await);
            assert_eq!(whole.len(), 7);
            for limit in 1..=4 {
                let paged = walk_pages(&api, &format!("{base}&limit={limit}")).await;
                assert_eq!(paged, whole, "{sort} {dir} by {limit}");
            }
        }
    }

    // Keyset: a contact added before the cursor does not shift the next page.
    let first = api.get("/api/v1/contacts?limit=3").await;
    let cursor = first.json["next_cursor"].as_str().unwrap().to_string();
    api.contact(json!({"name": "Aaron"})).await;
    let second = api
        .get(&format!("/api/v1/contacts?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(names(&second), ["Dave", "eve", "Frank"]);

    // A cursor of another order is refused rather than misread.
    let wrong = api
        .get(&format!(
            "/api/v1/contacts?limit=3&sort=created&cursor={cursor}"
        ))
        .await;
    assert!(wrong.is_problem(StatusCode::BAD_REQUEST), "{wrong:?}");
}

/// Follows `next_cursor` from `url` to the last page; the ids of every page in order.
async fn walk_pages(api: &Api<'_>, url: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let page = match &cursor {
            Some(c) => api.get(&format!("{url}&cursor={c}")).await,
            None => api.get(url).await,
        };
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.json);
        all.extend(ids(&page));
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return all,
        }
    }
    panic!("{url}: more than 50 pages");
}

#[tokio::test]
async fn interactions_are_logged_listed_filtered_patched_and_deleted() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let ada = api.contact(json!({"name": "Ada"})).await;
    let bob = api.contact(json!({"name": "Bob"})).await;

    let r = api
        .post(
            &format!("/api/v1/contacts/{ada}/interactions"),
            json!({"type": "call", "date": "2025-03-01", "notes": "Talked about engines"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let first = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["type"], "call");
    assert_eq!(r.json["date"], "2025-03-01T00:00:00Z");
    assert_eq!(r.json["contact_id"], ada.as_str());
    for (contact, kind, date) in [
        (&ada, "email", "2025-04-02"),
        (&bob, "meeting", "2025-05-03"),
    ] {
        let r = api
            .post(
                &format!("/api/v1/contacts/{contact}/interactions"),
                json!({"type": kind, "date": date}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let contact = api.get(&format!("/api/v1/contacts/{ada}")).await;
    assert_eq!(contact.json["last_contacted"], "2025-04-02T00:00:00Z");

    let all = api.get("/api/v1/interactions").await;
    let dates: Vec<&str> = all.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2025-05-03T00:00:00Z",
            "2025-04-02T00:00:00Z",
            "2025-03-01T00:00:00Z"
        ]
    );
    let of_ada = api
        .get(&format!("/api/v1/interactions?contact_id={ada}"))
        .await;
    assert_eq!(of_ada.json["data"].as_array().unwrap().len(), 2);
    let calls = api.get("/api/v1/interactions?type=call").await;
    assert_eq!(ids(&calls), std::slice::from_ref(&first));
    let ranged = api
        .get("/api/v1/interactions?from=2025-04-01&to=2025-05-02")
        .await;
    assert_eq!(ranged.json["data"][0]["type"], "email");
    assert_eq!(ranged.json["data"].as_array().unwrap().len(), 1);
    let searched = api.get("/api/v1/interactions?q=ENGINE").await;
    assert_eq!(ids(&searched), std::slice::from_ref(&first));
    let by_name = api.get("/api/v1/interactions?q=bob").await;
    assert_eq!(by_name.json["data"][0]["type"], "meeting");
    let page1 = api.get("/api/v1/interactions?limit=2").await;
    let cursor = page1.json["next_cursor"].as_str().unwrap();
    let page2 = api
        .get(&format!("/api/v1/interactions?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(ids(&page2), std::slice::from_ref(&first));
    assert_eq!(page2.json["next_cursor"], Value::Null);
    let bad = api.get("/api/v1/interactions?type=fax").await;
    assert!(bad.is_problem(StatusCode::BAD_REQUEST), "{bad:?}");

    let got = api.get(&format!("/api/v1/interactions/{first}")).await;
    assert_eq!(got.json["notes"], "Talked about engines");
    let patched = api
        .patch(
            &format!("/api/v1/interactions/{first}"),
            json!({"date": "2025-06-01", "notes": null}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.json);
    assert_eq!(patched.json["type"], "call");
    assert_eq!(patched.json["notes"], Value::Null);
    let contact = api.get(&format!("/api/v1/contacts/{ada}")).await;
    assert_eq!(contact.json["last_contacted"], "2025-06-01T00:00:00Z");
    let invalid = api
        .patch(
            &format!("/api/v1/interactions/{first}"),
            json!({"type": "fax", "date": "yesterday"}),
        )
        .await;
    assert!(invalid.is_problem(StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(invalid.field_errors(), ["type", "date"]);

    assert_eq!(
        api.delete(&format!("/api/v1/interactions/{first}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let contact = api.get(&format!("/api/v1/contacts/{ada}")).await;
    assert_eq!(contact.json["last_contacted"], "2025-04-02T00:00:00Z");
    assert!(api
        .get(&format!("/api/v1/interactions/{first}"))
        .await
        .is_problem(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn notes_are_created_patched_kept_when_absent_and_cleared_with_null() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "Grace", "notes": "Found the first bug."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    assert_eq!(r.json["notes"], "Found the first bug.");
    let id = r.json["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/contacts/{id}");
    let kept = api.patch(&url, json!({"location": "Arlington"})).await;
    assert_eq!(kept.json["notes"], "Found the first bug.");
    let changed = api.patch(&url, json!({"notes": "Likes COBOL."})).await;
    assert_eq!(changed.json["notes"], "Likes COBOL.");
    assert_eq!(api.get(&url).await.json["notes"], "Likes COBOL.");
    let too_long = api.patch(&url, json!({"notes": "x".repeat(20_001)})).await;
    assert!(
        too_long.is_problem(StatusCode::UNPROCESSABLE_ENTITY),
        "{too_long:?}"
    );
    assert_eq!(too_long.field_errors(), ["notes"]);
    let cleared = api.patch(&url, json!({"notes": null})).await;
    assert_eq!(cleared.json["notes"], Value::Null);
}

#[tokio::test]
async fn every_contact_has_details_read_and_replaced_as_a_whole() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    // Not a VIP: details are for everyone.
    let id = api.contact(json!({"name": "Ada"})).await;
    let url = format!("/api/v1/contacts/{id}/details");
    let empty = api.get(&url).await;
    assert_eq!(empty.status, StatusCode::OK, "{:?}", empty.json);
    assert_eq!(
        empty.json,
        json!({"emails": [], "phones": [], "main_app": null, "social_links": []})
    );

    let put = api
        .put(
            &url,
            json!({
                "emails": [
                    {"value": " ada@work.example ", "label": "work"},
                    {"value": "", "label": "ignored"},
                    {"value": "ada@home.example", "label": "home"},
                    {"value": "ada@club.example"}
                ],
                "phones": [{"value": "+44 20 7946 0958", "label": "mobile"}, {"value": "+44 20 7946 0000", "label": "work"}],
                "main_app": "Signal",
                "social_links": ["github.com/ada"]
            }),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.json);
    let expected = json!({
        "emails": [
            {"value": "ada@work.example", "label": "work"},
            {"value": "ada@home.example", "label": "home"},
            {"value": "ada@club.example"}
        ],
        "phones": [
            {"value": "+44 20 7946 0958", "label": "mobile"},
            {"value": "+44 20 7946 0000", "label": "work"}
        ],
        "main_app": "Signal",
        "social_links": ["https://github.com/ada"]
    });
    assert_eq!(put.json, expected);
    assert_eq!(api.get(&url).await.json, expected);
    // The seed's one row still holds the first of each, with its label, for its clients.
    let info = api
        .get(&format!("/api/v1/contacts/{id}/contact-info"))
        .await;
    assert_eq!(info.json["email"], "ada@work.example");
    assert_eq!(info.json["email_label"], "work");
    assert_eq!(info.json["phone_label"], "mobile");
    // A change through /contact-info shows here too, the further ones kept.
    let patched = api
        .patch(
            &format!("/api/v1/contacts/{id}/contact-info"),
            json!({"email": "ada@new.example", "email_label": "personal"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.json);
    let got = api.get(&url).await;
    assert_eq!(
        got.json["emails"][0],
        json!({"value": "ada@new.example", "label": "personal"})
    );
    assert_eq!(got.json["emails"][1]["value"], "ada@home.example");

    // Every bad value is named by its place; nothing is written.
    let bad = api
        .put(
            &url,
            json!({
                "emails": [{"value": "ada@work.example"}, {"value": "not an address"}],
                "phones": [{"value": "+44 20 7946 0958", "label": "x".repeat(41)}]
            }),
        )
        .await;
    assert!(bad.is_problem(StatusCode::UNPROCESSABLE_ENTITY), "{bad:?}");
    assert_eq!(bad.field_errors(), ["emails.1", "phones.0"]);
    let too_many = api
        .put(&url, json!({"emails": vec![json!({"value": ""}); 11]}))
        .await;
    assert!(too_many.is_problem(StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(too_many.field_errors(), ["emails"]);
    // A blank value is dropped, unless it is longer than the document allows.
    let blank = api
        .put(&url, json!({"phones": [{"value": " ".repeat(41)}]}))
        .await;
    assert!(
        blank.is_problem(StatusCode::UNPROCESSABLE_ENTITY),
        "{blank:?}"
    );
    assert_eq!(blank.field_errors(), ["phones"]);
    let unknown = api
        .put(
            &url,
            json!({"emails": [{"value": "a@b.example", "kind": "x"}]}),
        )
        .await;
    assert!(
        unknown.is_problem(StatusCode::UNPROCESSABLE_ENTITY),
        "{unknown:?}"
    );
    assert_eq!(api.get(&url).await.json, got.json);

    // An empty document removes every detail, the contact-info row included.
    let cleared = api.put(&url, json!({})).await;
    assert_eq!(cleared.json, empty.json);
    assert!(api
        .get(&format!("/api/v1/contacts/{id}/contact-info"))
        .await
        .is_problem(StatusCode::NOT_FOUND));

    // Another user's contact is a 404, read or written, and stays as it was.
    api.put(&url, json!({"emails": [{"value": "ada@work.example"}]}))
        .await;
    let eve = api_for(&app, "eve").await;
    assert!(eve.get(&url).await.is_problem(StatusCode::NOT_FOUND));
    assert!(eve
        .put(&url, json!({"emails": [{"value": "eve@example.com"}]}))
        .await
        .is_problem(StatusCode::NOT_FOUND));
    assert_eq!(
        api.get(&url).await.json["emails"],
        json!([{"value": "ada@work.example"}])
    );
    assert!(api
        .get("/api/v1/contacts/nope/details")
        .await
        .is_problem(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn background_and_contact_info_are_put_patched_read_and_deleted() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let id = api.contact(json!({"name": "Ada", "vip": true})).await;
    let bg = format!("/api/v1/contacts/{id}/background");
    let info = format!("/api/v1/contacts/{id}/contact-info");

    assert!(api.get(&bg).await.is_problem(StatusCode::NOT_FOUND));
    assert!(api
        .patch(&bg, json!({"family": "x"}))
        .await
        .is_problem(StatusCode::NOT_FOUND));
    let put = api
        .put(
            &bg,
            json!({"family": "Two cats", "company": "Analytical Engines"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.json);
    assert_eq!(put.json["contact_id"], id.as_str());
    let patched = api
        .patch(&bg, json!({"company": null, "misc_notes": "Likes tea"}))
        .await;
    assert_eq!(patched.json["family"], "Two cats");
    assert_eq!(patched.json["company"], Value::Null);
    assert_eq!(patched.json["misc_notes"], "Likes tea");
    assert_eq!(api.get(&bg).await.json, patched.json);
    // Listed across contacts, in pages.
    let other = api.contact(json!({"name": "Bob"})).await;
    api.put(
        &format!("/api/v1/contacts/{other}/background"),
        json!({"family": "dog"}),
    )
    .await;
    let page1 = api.get("/api/v1/backgrounds?limit=1").await;
    assert_eq!(page1.json["data"][0]["contact_id"], id.as_str());
    let cursor = page1.json["next_cursor"].as_str().unwrap();
    let page2 = api
        .get(&format!("/api/v1/backgrounds?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(page2.json["data"][0]["family"], "dog");
    assert_eq!(page2.json["next_cursor"], Value::Null);

    assert_eq!(api.delete(&bg).await.status, StatusCode::NO_CONTENT);
    assert!(api.get(&bg).await.is_problem(StatusCode::NOT_FOUND));
    let listed = api.get("/api/v1/backgrounds").await;
    assert_eq!(listed.json["data"].as_array().unwrap().len(), 1);
    assert!(api.delete(&bg).await.is_problem(StatusCode::NOT_FOUND));

    assert!(api.get(&info).await.is_problem(StatusCode::NOT_FOUND));
    let put = api
        .put(
            &info,
            json!({"email": "ada@example.com", "social_links": ["https://github.com/ada"]}),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.json);
    assert_eq!(put.json["social_links"], json!(["https://github.com/ada"]));
    let invalid = api
        .put(
            &info,
            json!({"email": "not-an-email", "phone_number": "call me", "social_links": ["ftp:x"]}),
        )
        .await;
    assert!(invalid.is_problem(StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(
        invalid.field_errors(),
        ["email", "phone_number", "social_links"]
    );
    // A link without its scheme is taken as https, as the link form and the import take it.
    let bare = api
        .patch(&info, json!({"social_links": ["github.com/ada"]}))
        .await;
    assert_eq!(bare.status, StatusCode::OK, "{:?}", bare.json);
    assert_eq!(bare.json["social_links"], json!(["https://github.com/ada"]));
    let patched = api.patch(&info, json!({"main_app": "Signal"})).await;
    assert_eq!(patched.json["main_app"], "Signal");
    assert_eq!(patched.json["email"], "ada@example.com");
    assert_eq!(
        patched.json["social_links"],
        json!(["https://github.com/ada"])
    );
    assert_eq!(api.get(&info).await.json, patched.json);
    let listed = api.get("/api/v1/contact-infos").await;
    assert_eq!(listed.json["data"], json!([patched.json]));
    api.put(
        &format!("/api/v1/contacts/{other}/contact-info"),
        json!({"phone_number": "+49 30 1234567"}),
    )
    .await;
    let paged = walk_pages(&api, "/api/v1/contact-infos?limit=1").await;
    assert_eq!(paged.len(), 2);
    assert_eq!(paged, ids(&api.get("/api/v1/contact-infos").await));
    api.delete(&format!("/api/v1/contacts/{other}/contact-info"))
        .await;
    assert_eq!(api.delete(&info).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/api/v1/contact-infos").await.json["data"],
        json!([])
    );
    assert!(api.get(&info).await.is_problem(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn follow_ups_are_added_listed_completed_reopened_and_deleted() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let ada = api.contact(json!({"name": "Ada"})).await;
    let bob = api.contact(json!({"name": "Bob"})).await;
    let mut made = Vec::new();
    for (contact, due) in [
        (&bob, "2030-01-02"),
        (&ada, "2030-01-02"),
        (&ada, "2030-01-01"),
    ] {
        let r = api
            .post(
                &format!("/api/v1/contacts/{contact}/follow-ups"),
                json!({"due_date": due, "note": "ping"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["due_date"], due);
        assert_eq!(r.json["completed"], false);
        made.push(r.json["id"].as_str().unwrap().to_string());
    }
    // Open: by due date, then contact name.
    let open = api.get("/api/v1/follow-ups").await;
    assert_eq!(
        ids(&open),
        [made[2].clone(), made[1].clone(), made[0].clone()]
    );
    let page1 = api.get("/api/v1/follow-ups?limit=2").await;
    let cursor = page1.json["next_cursor"].as_str().unwrap();
    let page2 = api
        .get(&format!("/api/v1/follow-ups?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(ids(&page2), [made[0].clone()]);

    let done = api
        .patch(
            &format!("/api/v1/follow-ups/{}", made[1]),
            json!({"completed": true, "note": "done it"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.json);
    assert_eq!(done.json["completed"], true);
    assert_eq!(done.json["note"], "done it");
    assert!(done.json["completed_at"].as_str().is_some());
    let completed = api.get("/api/v1/follow-ups?status=completed").await;
    assert_eq!(ids(&completed), [made[1].clone()]);
    let of_ada = api
        .get(&format!("/api/v1/follow-ups?status=all&contact_id={ada}"))
        .await;
    assert_eq!(ids(&of_ada), [made[2].clone(), made[1].clone()]);

    // Every status pages through its whole list.
    for status in ["open", "completed", "all"] {
        let whole = ids(&api
            .get(&format!("/api/v1/follow-ups?status={status}"))
            .await);
        let paged = walk_pages(&api, &format!("/api/v1/follow-ups?status={status}&limit=1")).await;
        assert_eq!(paged, whole, "{status}");
    }
    let done_too = api
        .patch(
            &format!("/api/v1/follow-ups/{}", made[0]),
            json!({"completed": true}),
        )
        .await;
    assert_eq!(done_too.json["completed"], true);
    let whole = ids(&api.get("/api/v1/follow-ups?status=completed").await);
    assert_eq!(whole.len(), 2);
    assert_eq!(
        walk_pages(&api, "/api/v1/follow-ups?status=completed&limit=1").await,
        whole
    );
    assert_eq!(
        walk_pages(&api, "/api/v1/follow-ups?status=all&limit=1").await,
        // Open first; the two completed ones are due the same day: created first, first.
        [made[2].clone(), made[0].clone(), made[1].clone()]
    );
    let wrong_order = api
        .get(&format!(
            "/api/v1/follow-ups?status=open&cursor={}",
            api.get("/api/v1/follow-ups?status=all&limit=1").await.json["next_cursor"]
                .as_str()
                .unwrap()
        ))
        .await;
    assert!(wrong_order.is_problem(StatusCode::BAD_REQUEST));

    let reopened = api
        .patch(
            &format!("/api/v1/follow-ups/{}", made[1]),
            json!({"completed": false, "due_date": "2031-05-05"}),
        )
        .await;
    assert_eq!(reopened.json["completed"], false);
    assert_eq!(reopened.json["completed_at"], Value::Null);
    assert_eq!(reopened.json["due_date"], "2031-05-05");
    assert_eq!(
        api.get(&format!("/api/v1/follow-ups/{}", made[1]))
            .await
            .json,
        reopened.json
    );
    let invalid = api
        .patch(
            &format!("/api/v1/follow-ups/{}", made[1]),
            json!({"due_date": "3000-01-01"}),
        )
        .await;
    assert_eq!(invalid.field_errors(), ["due_date"]);

    assert_eq!(
        api.delete(&format!("/api/v1/follow-ups/{}", made[1]))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(api
        .get(&format!("/api/v1/follow-ups/{}", made[1]))
        .await
        .is_problem(StatusCode::NOT_FOUND));
}

#[tokio::test]
async fn tags_are_created_renamed_put_on_contacts_and_deleted() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let contact = api.contact(json!({"name": "Ada"})).await;

    let rust = api
        .post("/api/v1/tags", json!({"name": "rust", "color": "#DEA584"}))
        .await;
    assert_eq!(rust.status, StatusCode::CREATED, "{:?}", rust.json);
    assert_eq!(rust.json["color"], "#dea584");
    let rust_id = rust.json["id"].as_str().unwrap().to_string();
    for name in ["conf", "Berlin"] {
        assert_eq!(
            api.post("/api/v1/tags", json!({"name": name})).await.status,
            StatusCode::CREATED
        );
    }
    let dup = api.post("/api/v1/tags", json!({"name": "RUST"})).await;
    assert!(dup.is_problem(StatusCode::CONFLICT), "{dup:?}");
    assert_eq!(dup.field_errors(), ["name"]);

    let all = api.get("/api/v1/tags").await;
    assert_eq!(names(&all), ["Berlin", "conf", "rust"]);
    let page1 = api.get("/api/v1/tags?limit=2").await;
    let cursor = page1.json["next_cursor"].as_str().unwrap();
    let page2 = api
        .get(&format!("/api/v1/tags?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(names(&page2), ["rust"]);

    let renamed = api
        .patch(
            &format!("/api/v1/tags/{rust_id}"),
            json!({"name": "rustacean"}),
        )
        .await;
    assert_eq!(renamed.json["name"], "rustacean");
    assert_eq!(renamed.json["color"], "#dea584");
    let taken = api
        .patch(&format!("/api/v1/tags/{rust_id}"), json!({"name": "conf"}))
        .await;
    assert!(taken.is_problem(StatusCode::CONFLICT));
    let bad_color = api
        .patch(
            &format!("/api/v1/tags/{rust_id}"),
            json!({"color": "crimson"}),
        )
        .await;
    assert_eq!(bad_color.field_errors(), ["color"]);
    assert_eq!(
        api.get(&format!("/api/v1/tags/{rust_id}")).await.json,
        renamed.json
    );

    let on = format!("/api/v1/contacts/{contact}/tags/{rust_id}");
    assert_eq!(
        api.put(&on, json!(null)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::PUT, &on, None).await.status,
        StatusCode::NO_CONTENT
    );
    let tags = api.get(&format!("/api/v1/contacts/{contact}/tags")).await;
    assert_eq!(tags.json.as_array().unwrap().len(), 1);
    assert_eq!(tags.json[0]["name"], "rustacean");
    assert_eq!(api.delete(&on).await.status, StatusCode::NO_CONTENT);
    let tags = api.get(&format!("/api/v1/contacts/{contact}/tags")).await;
    assert_eq!(tags.json, json!([]));

    assert_eq!(
        api.delete(&format!("/api/v1/tags/{rust_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(api
        .get(&format!("/api/v1/tags/{rust_id}"))
        .await
        .is_problem(StatusCode::NOT_FOUND));
}

// ---------------------------------------------------------------------------------------
// Errors

#[tokio::test]
async fn unreadable_bodies_are_4xx_problem_documents_and_write_nothing() {
    let app = spawn_app_with(Settings {
        body_limit: 4 * 1024,
        ..Settings::default()
    })
    .await;
    let api = api_for(&app, "ada").await;
    let auth = format!("Bearer {}", api.token);

    let malformed = post_raw(&app, &auth, "{\"name\": ".into()).await;
    assert!(
        malformed.is_problem(StatusCode::BAD_REQUEST),
        "{malformed:?}"
    );
    assert!(malformed.json["detail"].as_str().unwrap().contains("JSON"));

    let wrong_type = post_raw(&app, &auth, json!({"name": 42}).to_string()).await;
    assert!(
        wrong_type.is_problem(StatusCode::UNPROCESSABLE_ENTITY),
        "{wrong_type:?}"
    );
    assert!(wrong_type.json["detail"]
        .as_str()
        .unwrap()
        .contains("invalid type"));

    let unknown = post_raw(
        &app,
        &auth,
        json!({"name": "Ada", "nickname": "A"}).to_string(),
    )
    .await;
    assert!(
        unknown.is_problem(StatusCode::UNPROCESSABLE_ENTITY),
        "{unknown:?}"
    );
    assert!(unknown.json["detail"]
        .as_str()
        .unwrap()
        .contains("unknown field `nickname`"));

    let not_object = post_raw(&app, &auth, "[1, 2]".into()).await;
    assert!(not_object.is_problem(StatusCode::UNPROCESSABLE_ENTITY));

    // Too large, announced by Content-Length or not.
    let big = json!({"name": "x".repeat(8 * 1024)}).to_string();
    let too_big = post_raw(&app, &auth, big.clone()).await;
    assert!(
        too_big.is_problem(StatusCode::PAYLOAD_TOO_LARGE),
        "{too_big:?}"
    );
    let length = big.len().to_string();
    let announced = raw(
        &app,
        Method::POST,
        "/api/v1/contacts",
        &[
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
            ("content-length", length.as_str()),
        ],
        big,
    )
    .await;
    assert!(
        announced.is_problem(StatusCode::PAYLOAD_TOO_LARGE),
        "{announced:?}"
    );

    let no_type = raw(
        &app,
        Method::POST,
        "/api/v1/contacts",
        &[("authorization", auth.as_str())],
        json!({"name": "Ada"}).to_string(),
    )
    .await;
    assert!(
        no_type.is_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        "{no_type:?}"
    );

    assert_eq!(count(&app.db, "contact").await, 0);
}

async fn post_raw(app: &TestApp, auth: &str, body: String) -> ApiResponse {
    raw(
        app,
        Method::POST,
        "/api/v1/contacts",
        &[
            ("authorization", auth),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await
}

#[tokio::test]
async fn validation_problems_list_every_field_error() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "", "birthday": "2999-01-01", "status": "gone", "location": "x".repeat(300)}),
        )
        .await;
    assert!(r.is_problem(StatusCode::UNPROCESSABLE_ENTITY), "{r:?}");
    assert_eq!(r.field_errors(), ["name", "location", "birthday", "status"]);
    assert!(r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty())));
    let contact = api.contact(json!({"name": "Ada"})).await;
    let r = api
        .post(
            &format!("/api/v1/contacts/{contact}/interactions"),
            json!({}),
        )
        .await;
    assert_eq!(r.field_errors(), ["type", "date"]);
}

#[tokio::test]
async fn unknown_paths_methods_and_bad_parameters_are_problem_documents() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    assert!(api
        .get("/api/v1/nothing-here")
        .await
        .is_problem(StatusCode::NOT_FOUND));
    assert!(api
        .call(Method::PUT, "/api/v1/contacts", None)
        .await
        .is_problem(StatusCode::METHOD_NOT_ALLOWED));
    for bad in [
        "/api/v1/contacts?limit=0",
        "/api/v1/contacts?limit=501",
        "/api/v1/contacts?limit=ten",
        "/api/v1/contacts?sort=age",
        "/api/v1/contacts?filter=friends",
        "/api/v1/contacts?cursor=not-a-cursor",
        "/api/v1/interactions?from=2025-13-01",
        "/api/v1/follow-ups?status=late",
    ] {
        let r = api.get(bad).await;
        assert!(r.is_problem(StatusCode::BAD_REQUEST), "{bad}: {r:?}");
    }
    // Without a token, an unknown path reveals nothing.
    let r = raw(
        &app,
        Method::GET,
        "/api/v1/nothing-here",
        &[],
        Body::empty(),
    )
    .await;
    assert!(r.is_problem(StatusCode::UNAUTHORIZED));
}

// ---------------------------------------------------------------------------------------
// OpenAPI

/// Ids of one user's data, one of each resource, for filling in path parameters.
struct Fixture {
    contact: String,
    interaction: String,
    follow_up: String,
    tag: String,
}

async fn fixture(api: &Api<'_>) -> Fixture {
    let contact = api.contact(json!({"name": "Ada", "vip": true})).await;
    let interaction = api
        .post(
            &format!("/api/v1/contacts/{contact}/interactions"),
            json!({"type": "call", "date": "2025-01-01"}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let follow_up = api
        .post(
            &format!("/api/v1/contacts/{contact}/follow-ups"),
            json!({"due_date": "2030-01-01"}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tag = api.post("/api/v1/tags", json!({"name": "rust"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.put(
        &format!("/api/v1/contacts/{contact}/background"),
        json!({"family": "cats"}),
    )
    .await;
    api.put(
        &format!("/api/v1/contacts/{contact}/contact-info"),
        json!({"email": "ada@example.com"}),
    )
    .await;
    api.put(
        &format!("/api/v1/contacts/{contact}/tags/{tag}"),
        json!(null),
    )
    .await;
    Fixture {
        contact,
        interaction,
        follow_up,
        tag,
    }
}

impl Fixture {
    /// The documented path with its parameters filled in.
    fn path(&self, template: &str) -> String {
        let id = if template.starts_with("/api/v1/interactions/") {
            &self.interaction
        } else if template.starts_with("/api/v1/follow-ups/") {
            &self.follow_up
        } else if template.starts_with("/api/v1/tags/") {
            &self.tag
        } else {
            &self.contact
        };
        template
            .replace("{contact_id}", &self.contact)
            .replace("{tag_id}", &self.tag)
            .replace("{id}", id)
    }
}

/// A valid request body for each documented operation that takes one.
fn sample_body(method: &str, template: &str) -> Option<Value> {
    let body = match (method, template) {
        ("post", "/api/v1/contacts") => json!({"name": "Grace", "birthday": "1906-12-09"}),
        ("patch", "/api/v1/contacts/{id}") => json!({"location": "Arlington"}),
        ("post", "/api/v1/contacts/{contact_id}/interactions") => {
            json!({"type": "email", "date": "2025-02-02", "notes": "hi"})
        }
        ("patch", "/api/v1/interactions/{id}") => json!({"notes": "edited"}),
        ("put", "/api/v1/contacts/{contact_id}/background") => json!({"company": "ACME"}),
        ("patch", "/api/v1/contacts/{contact_id}/background") => json!({"misc_notes": "tea"}),
        ("put", "/api/v1/contacts/{contact_id}/contact-info") => {
            json!({"email": "ada@example.org", "social_links": ["https://example.org/ada"]})
        }
        ("patch", "/api/v1/contacts/{contact_id}/contact-info") => json!({"main_app": "Signal"}),
        ("put", "/api/v1/contacts/{contact_id}/details") => json!({
            "emails": [{"value": "ada@example.org", "label": "work"}, {"value": "ada@home.example"}],
            "phones": [{"value": "+1 555 0100", "label": "mobile"}]
        }),
        ("post", "/api/v1/contacts/{contact_id}/follow-ups") => {
            json!({"due_date": "2031-01-01", "note": "call"})
        }
        ("patch", "/api/v1/follow-ups/{id}") => json!({"completed": true}),
        ("post", "/api/v1/tags") => json!({"name": "conf", "color": "#112233"}),
        ("patch", "/api/v1/tags/{id}") => json!({"name": "rustlang"}),
        _ => return None,
    };
    Some(body)
}

/// Validates JSON against schemas of one OpenAPI document, resolving its `$ref`s. Object
/// schemas of the components are closed (no undocumented properties) so that a field the
/// server sends but the document does not list fails the check.
struct SchemaChecker {
    components: Value,
}

impl SchemaChecker {
    fn new(doc: &Value) -> Self {
        let mut components = doc["components"].clone();
        if let Some(schemas) = components["schemas"].as_object_mut() {
            for schema in schemas.values_mut() {
                if schema["type"] == "object" && schema.get("additionalProperties").is_none() {
                    schema["additionalProperties"] = Value::Bool(false);
                }
            }
        }
        SchemaChecker { components }
    }

    fn check(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "allOf": [schema],
        });
        root["components"] = self.components.clone();
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect()
    }
}

/// The documented response for `status`, falling back to `default`.
fn documented_response(operation: &Value, status: StatusCode) -> Option<&Value> {
    let responses = &operation["responses"];
    responses
        .get(status.as_u16().to_string())
        .or_else(|| responses.get("default"))
}

/// Checks an answer against the operation's document: the status is documented, the
/// content type is the documented one, the body matches its schema.
fn conforms(
    checker: &SchemaChecker,
    what: &str,
    operation: &Value,
    response: &ApiResponse,
) -> Result<(), String> {
    let documented = documented_response(operation, response.status)
        .ok_or_else(|| format!("{what}: status {} is not documented", response.status))?;
    match documented.get("content").and_then(Value::as_object) {
        None => {
            if response.json != Value::Null {
                return Err(format!(
                    "{what}: documented without a body, got {}",
                    response.json
                ));
            }
        }
        Some(content) => {
            let media = content.get(&response.content_type).ok_or_else(|| {
                format!(
                    "{what}: content type {:?} is not documented for {} ({:?})",
                    response.content_type,
                    response.status,
                    content.keys().collect::<Vec<_>>()
                )
            })?;
            let errors = checker.check(&media["schema"], &response.json);
            if !errors.is_empty() {
                return Err(format!("{what}: {errors:?} in {}", response.json));
            }
        }
    }
    Ok(())
}

/// Every documented operation as `(method, path template, operation)`, deletions last so
/// that the others find their data.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone(), operation.clone()));
            }
        }
    }
    // Deleting the contact (which takes its children along) comes last of all.
    ops.sort_by_key(|(method, path, _)| {
        let delete = method == "delete";
        (
            delete,
            delete && path == "/api/v1/contacts/{id}",
            path.clone(),
        )
    });
    ops
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

async fn openapi_document(app: &TestApp) -> Value {
    let r = raw(app, Method::GET, "/api/openapi.json", &[], Body::empty()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("application/json"));
    r.json
}

#[tokio::test]
async fn every_documented_operation_answers_as_the_openapi_document_says() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    assert_eq!(doc["openapi"].as_str().unwrap().get(..3), Some("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let checker = SchemaChecker::new(&doc);
    let api = api_for(&app, "ada").await;
    let data = fixture(&api).await;

    // Operation ids are unique, as OpenAPI requires (client generators name methods by them).
    let op_ids: Vec<String> = operations(&doc)
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().unwrap().to_string())
        .collect();
    let unique: std::collections::BTreeSet<&String> = op_ids.iter().collect();
    assert_eq!(unique.len(), op_ids.len(), "{op_ids:?}");

    // The listing's `q` says how far back a search of short words looks, with today's figure.
    let q = doc["paths"]["/api/v1/interactions"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "q")
        .unwrap()["description"]
        .as_str()
        .unwrap()
        .to_string();
    let window = devhub_db::SHORT_SEARCH_WINDOW;
    let latest = format!("latest {},{:03} interactions", window / 1000, window % 1000);
    assert!(q.contains(&latest), "{q}");

    // Every reference of the document points at one of its schemas.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 30, "{refs:?}");
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} is not defined"
        );
    }

    // The checker resolves the document's references and refuses what does not match.
    let contact_schema = json!({"$ref": "#/components/schemas/Contact"});
    let contact = api
        .get(&format!("/api/v1/contacts/{}", data.contact))
        .await
        .json;
    assert_eq!(
        checker.check(&contact_schema, &contact),
        Vec::<String>::new()
    );
    let mut extra = contact.clone();
    extra["secret"] = json!("undocumented");
    let mut missing = contact.clone();
    missing.as_object_mut().unwrap().remove("name");
    let mut bad_time = contact.clone();
    bad_time["created_at"] = json!("yesterday");
    let mut bad_status = contact.clone();
    bad_status["status"] = json!("gone");
    for wrong in [extra, missing, bad_time, bad_status] {
        assert!(
            !checker.check(&contact_schema, &wrong).is_empty(),
            "{wrong}"
        );
    }

    let ops = operations(&doc);
    let mut walked = BTreeMap::new();
    for (method, template, operation) in &ops {
        let path = data.path(template);
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = sample_body(method, template);
        if operation.get("requestBody").is_some() {
            let body = body
                .clone()
                .unwrap_or_else(|| panic!("no sample body for {method} {template}"));
            // The sample itself matches the documented request schema.
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let errors = checker.check(schema, &body);
            assert!(errors.is_empty(), "{method} {template} request: {errors:?}");
        }
        let response = api.call(m.clone(), &path, body).await;
        assert!(
            response.status.is_success(),
            "{method} {template}: {} {}",
            response.status,
            response.json
        );
        conforms(
            &checker,
            &format!("{method} {template}"),
            operation,
            &response,
        )
        .unwrap();

        // Without a token: the documented 401.
        let r = raw(&app, m, &path, &[], Body::empty()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {template}");
        conforms(
            &checker,
            &format!("{method} {template} (401)"),
            operation,
            &r,
        )
        .unwrap();
        walked.insert(format!("{method} {template}"), response.status.as_u16());
    }

    // Every documented value of every enumerated query parameter is accepted, and `limit`
    // takes exactly its documented range (on fresh data: the walk deleted its own).
    let data = fixture(&api).await;
    let mut parameter_checks = 0;
    for (method, template, operation) in &ops {
        let Some(parameters) = operation["parameters"].as_array() else {
            continue;
        };
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            let name = parameter["name"].as_str().unwrap();
            let schema = match parameter["schema"]["$ref"].as_str() {
                Some(r) => {
                    &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]
                }
                None => &parameter["schema"],
            };
            let mut cases: Vec<(String, bool)> = Vec::new();
            if let Some(values) = schema["enum"].as_array() {
                cases.extend(
                    values
                        .iter()
                        .map(|v| (v.as_str().unwrap().to_string(), true)),
                );
                cases.push(("no-such-value".to_string(), false));
            }
            if let (Some(min), Some(max)) = (schema["minimum"].as_u64(), schema["maximum"].as_u64())
            {
                cases.extend([
                    (min.to_string(), true),
                    (max.to_string(), true),
                    ((min - 1).to_string(), false),
                    ((max + 1).to_string(), false),
                ]);
            }
            for (value, accepted) in cases {
                let url = format!("{}?{name}={value}", data.path(template));
                let r = api.get(&url).await;
                let expected = if accepted {
                    StatusCode::OK
                } else {
                    StatusCode::BAD_REQUEST
                };
                assert_eq!(r.status, expected, "{method} {url}: {}", r.json);
                conforms(&checker, &url, operation, &r).unwrap();
                parameter_checks += 1;
            }
        }
    }
    assert!(parameter_checks > 40, "{parameter_checks}");

    // Error answers match the documented problem schema too.
    let contacts = &doc["paths"]["/api/v1/contacts"];
    let invalid = api.post("/api/v1/contacts", json!({"name": ""})).await;
    conforms(&checker, "422", &contacts["post"], &invalid).unwrap();
    let bad_query = api.get("/api/v1/contacts?limit=0").await;
    conforms(&checker, "400", &contacts["get"], &bad_query).unwrap();

    // The document covers the whole API of the issue: every resource and method.
    let expected = [
        "get /api/v1/contacts",
        "post /api/v1/contacts",
        "get /api/v1/contacts/{id}",
        "patch /api/v1/contacts/{id}",
        "delete /api/v1/contacts/{id}",
        "get /api/v1/interactions",
        "post /api/v1/contacts/{contact_id}/interactions",
        "get /api/v1/contacts/{contact_id}/interactions",
        "get /api/v1/interactions/{id}",
        "patch /api/v1/interactions/{id}",
        "delete /api/v1/interactions/{id}",
        "get /api/v1/backgrounds",
        "get /api/v1/contact-infos",
        "get /api/v1/contacts/{contact_id}/background",
        "put /api/v1/contacts/{contact_id}/background",
        "patch /api/v1/contacts/{contact_id}/background",
        "delete /api/v1/contacts/{contact_id}/background",
        "get /api/v1/contacts/{contact_id}/contact-info",
        "put /api/v1/contacts/{contact_id}/contact-info",
        "patch /api/v1/contacts/{contact_id}/contact-info",
        "delete /api/v1/contacts/{contact_id}/contact-info",
        "get /api/v1/contacts/{contact_id}/details",
        "put /api/v1/contacts/{contact_id}/details",
        "get /api/v1/follow-ups",
        "post /api/v1/contacts/{contact_id}/follow-ups",
        "get /api/v1/contacts/{contact_id}/follow-ups",
        "get /api/v1/follow-ups/{id}",
        "patch /api/v1/follow-ups/{id}",
        "delete /api/v1/follow-ups/{id}",
        "get /api/v1/tags",
        "post /api/v1/tags",
        "get /api/v1/tags/{id}",
        "patch /api/v1/tags/{id}",
        "delete /api/v1/tags/{id}",
        "get /api/v1/contacts/{contact_id}/tags",
        "put /api/v1/contacts/{contact_id}/tags/{tag_id}",
        "delete /api/v1/contacts/{contact_id}/tags/{tag_id}",
    ];
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(walked.keys().cloned().collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn every_operation_on_another_users_data_is_404() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let checker = SchemaChecker::new(&doc);
    let ada = api_for(&app, "ada").await;
    let data = fixture(&ada).await;
    let eve = api_for(&app, "eve").await;

    let mut checked = 0;
    for (method, template, operation) in operations(&doc) {
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = sample_body(&method, &template);
        let mut paths = Vec::new();
        if template.contains('{') {
            paths.push(data.path(&template));
        } else if method == "get"
            && (template == "/api/v1/interactions" || template == "/api/v1/follow-ups")
        {
            // Lists filtered by another user's contact.
            paths.push(format!("{template}?contact_id={}", data.contact));
        }
        for path in paths {
            let r = eve.call(m.clone(), &path, body.clone()).await;
            assert!(
                r.is_problem(StatusCode::NOT_FOUND),
                "{method} {path}: {} {}",
                r.status,
                r.json
            );
            conforms(
                &checker,
                &format!("{method} {template} (404)"),
                &operation,
                &r,
            )
            .unwrap();
            checked += 1;
        }
    }
    assert_eq!(checked, 31);

    // Mixing one's own contact with another user's tag is a 404 too.
    let own = eve.contact(json!({"name": "Mallory"})).await;
    for method in [Method::PUT, Method::DELETE] {
        let r = eve
            .call(
                method,
                &format!("/api/v1/contacts/{own}/tags/{}", data.tag),
                None,
            )
            .await;
        assert!(r.is_problem(StatusCode::NOT_FOUND), "{r:?}");
    }
    eve.delete(&format!("/api/v1/contacts/{own}")).await;

    // Lists hold only one's own data.
    for list in [
        "/api/v1/contacts",
        "/api/v1/interactions",
        "/api/v1/backgrounds",
        "/api/v1/contact-infos",
        "/api/v1/follow-ups?status=all",
        "/api/v1/tags",
    ] {
        assert_eq!(eve.get(list).await.json["data"], json!([]), "{list}");
        assert_eq!(
            ada.get(list).await.json["data"].as_array().unwrap().len(),
            1,
            "{list}"
        );
    }

    // Nothing of Ada's changed.
    for path in [
        format!("/api/v1/contacts/{}", data.contact),
        format!("/api/v1/interactions/{}", data.interaction),
        format!("/api/v1/follow-ups/{}", data.follow_up),
        format!("/api/v1/tags/{}", data.tag),
        format!("/api/v1/contacts/{}/background", data.contact),
        format!("/api/v1/contacts/{}/contact-info", data.contact),
    ] {
        assert_eq!(ada.get(&path).await.status, StatusCode::OK, "{path}");
    }
    let tags = ada
        .get(&format!("/api/v1/contacts/{}/tags", data.contact))
        .await;
    assert_eq!(tags.json.as_array().unwrap().len(), 1);
    assert_eq!(
        ada.get(&format!("/api/v1/contacts/{}", data.contact))
            .await
            .json["location"],
        Value::Null
    );
}

// ---------------------------------------------------------------------------------------
// Hardening (issue 14)

#[tokio::test]
async fn a_contacts_interactions_and_follow_ups_are_listed_for_that_contact_alone() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let ada = api.contact(json!({"name": "Ada"})).await;
    let bob = api.contact(json!({"name": "Bob"})).await;
    let mut adas_interactions = Vec::new();
    let mut adas_follow_ups = Vec::new();
    for day in 1..=3 {
        for (contact, mine) in [(&ada, true), (&bob, false)] {
            let i = api
                .post(
                    &format!("/api/v1/contacts/{contact}/interactions"),
                    json!({"type": "call", "date": format!("2025-03-0{day}")}),
                )
                .await;
            let f = api
                .post(
                    &format!("/api/v1/contacts/{contact}/follow-ups"),
                    json!({"due_date": format!("2030-01-0{day}")}),
                )
                .await;
            if mine {
                adas_interactions.push(i.json["id"].as_str().unwrap().to_string());
                adas_follow_ups.push(f.json["id"].as_str().unwrap().to_string());
            }
        }
    }
    // One of Ada's follow-ups is done: the default lists open ones, `status` picks.
    let done = adas_follow_ups.remove(0);
    api.patch(
        &format!("/api/v1/follow-ups/{done}"),
        json!({"completed": true}),
    )
    .await;

    // Latest first, one per page, Ada's alone.
    let walked = walk_pages(
        &api,
        &format!("/api/v1/contacts/{ada}/interactions?limit=1"),
    )
    .await;
    adas_interactions.reverse();
    assert_eq!(walked, adas_interactions);
    let walked = walk_pages(&api, &format!("/api/v1/contacts/{ada}/follow-ups?limit=1")).await;
    assert_eq!(walked, adas_follow_ups);
    let completed = api
        .get(&format!(
            "/api/v1/contacts/{ada}/follow-ups?status=completed"
        ))
        .await;
    assert_eq!(ids(&completed), [done]);
    let all = api
        .get(&format!("/api/v1/contacts/{ada}/follow-ups?status=all"))
        .await;
    assert_eq!(ids(&all).len(), 3);

    // An unknown contact, or another user's, is 404, never everything.
    let eve = api_for(&app, "eve").await;
    for list in ["interactions", "follow-ups"] {
        let r = api.get(&format!("/api/v1/contacts/nope/{list}")).await;
        assert!(r.is_problem(StatusCode::NOT_FOUND), "{list}: {r:?}");
        let r = eve.get(&format!("/api/v1/contacts/{ada}/{list}")).await;
        assert!(r.is_problem(StatusCode::NOT_FOUND), "{list}: {r:?}");
        let r = api
            .get(&format!("/api/v1/contacts/{ada}/{list}?limit=0"))
            .await;
        assert!(r.is_problem(StatusCode::BAD_REQUEST), "{list}: {r:?}");
    }

    // Both are documented.
    let doc = openapi_document(&app).await;
    for (path, op) in [
        (
            "/api/v1/contacts/{contact_id}/interactions",
            "list_contact_interactions",
        ),
        (
            "/api/v1/contacts/{contact_id}/follow-ups",
            "list_contact_follow_ups",
        ),
    ] {
        assert_eq!(doc["paths"][path]["get"]["operationId"], op, "{path}");
    }
}

/// The methods a documented path has, as `Allow` lists them.
fn allowed(doc: &Value, template: &str) -> Vec<String> {
    let mut methods: Vec<String> = doc["paths"][template]
        .as_object()
        .unwrap()
        .keys()
        .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
        .map(|m| m.to_uppercase())
        .collect();
    if methods.iter().any(|m| m == "GET") {
        methods.push("HEAD".to_string());
    }
    methods.sort();
    methods
}

#[tokio::test]
async fn every_documented_path_answers_405_with_allow_to_a_method_it_does_not_have() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let checker = SchemaChecker::new(&doc);
    let api = api_for(&app, "ada").await;
    let data = fixture(&api).await;
    let mut checked = 0;
    for template in doc["paths"].as_object().unwrap().keys() {
        let allow = allowed(&doc, template);
        let path = data.path(template);
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if allow.iter().any(|m| m == method) {
                continue;
            }
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let r = api.call(m, &path, Some(json!({"name": "x"}))).await;
            assert!(
                r.is_problem(StatusCode::METHOD_NOT_ALLOWED),
                "{method} {path}: {r:?}"
            );
            let mut got: Vec<String> = r.headers[header::ALLOW]
                .to_str()
                .unwrap()
                .split(',')
                .map(|m| m.trim().to_string())
                .collect();
            got.sort();
            assert_eq!(got, allow, "{method} {path}");
            let operation = doc["paths"][template]
                .as_object()
                .unwrap()
                .values()
                .next()
                .unwrap();
            conforms(&checker, &format!("{method} {template}"), operation, &r).unwrap();
            checked += 1;
        }
    }
    assert!(checked >= 40, "{checked}");
    // The two that answered 500.
    for path in ["/api/v1/interactions", "/api/v1/follow-ups"] {
        let r = api.post(path, json!({})).await;
        assert!(
            r.is_problem(StatusCode::METHOD_NOT_ALLOWED),
            "{path}: {r:?}"
        );
        assert_eq!(r.headers[header::ALLOW], "GET,HEAD");
    }
}

#[tokio::test]
async fn every_body_taking_operation_refuses_anything_but_a_json_object() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let api = api_for(&app, "ada").await;
    let data = fixture(&api).await;
    let before = api.get(&format!("/api/v1/contacts/{}", data.contact)).await;

    let mut checked = 0;
    for (method, template, operation) in operations(&doc) {
        if operation.get("requestBody").is_none() {
            continue;
        }
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let path = data.path(&template);
        for body in [
            json!(["Positional Name"]),
            json!(["Array Contact", null, null, null, null, true]),
            json!([]),
            json!("text"),
            json!(7),
            json!(true),
            json!(null),
        ] {
            let r = api.call(m.clone(), &path, Some(body.clone())).await;
            assert!(
                r.is_problem(StatusCode::UNPROCESSABLE_ENTITY),
                "{method} {path} {body}: {r:?}"
            );
            assert!(
                r.json["detail"].as_str().unwrap().contains("JSON object"),
                "{r:?}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 13);
    // Nothing was renamed, no contact was made.
    let after = api.get(&format!("/api/v1/contacts/{}", data.contact)).await;
    assert_eq!(after.json, before.json);
    assert_eq!(count(&app.db, "contact").await, 1);
    // Whitespace before an object is still an object.
    let auth = format!("Bearer {}", api.token);
    let r = post_raw(&app, &auth, " \n{\"name\": \"Grace\"}".into()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
}

#[tokio::test]
async fn a_repeated_query_parameter_is_a_problem_naming_it() {
    let app = spawn_app().await;
    let api = api_for(&app, "ada").await;
    let contact = api.contact(json!({"name": "Ada"})).await;
    for (path, field) in [
        ("/api/v1/contacts?limit=1&limit=2".to_string(), "limit"),
        ("/api/v1/interactions?q=a&type=call&q=b".to_string(), "q"),
        (
            "/api/v1/follow-ups?status=open&status=all".to_string(),
            "status",
        ),
        (
            format!("/api/v1/contacts/{contact}/interactions?cursor=a&cursor=b"),
            "cursor",
        ),
    ] {
        let r = api.get(&path).await;
        assert!(r.is_problem(StatusCode::BAD_REQUEST), "{path}: {r:?}");
        assert_eq!(r.field_errors(), [field], "{path}");
        assert!(
            r.json["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{field}`")),
            "{path}: {r:?}"
        );
    }
    // Given once, each is fine.
    assert_eq!(
        api.get("/api/v1/contacts?limit=1").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_document_states_the_rules_the_server_applies_to_bodies() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let api = api_for(&app, "ada").await;
    let schemas = &doc["components"]["schemas"];
    let name = &schemas["ContactInput"]["properties"]["name"];
    assert_eq!(name["maxLength"], 200);
    assert_eq!(name["minLength"], 1);
    assert_eq!(schemas["ContactInput"]["required"], json!(["name"]));
    assert_eq!(schemas["ContactInput"]["additionalProperties"], false);
    assert_eq!(schemas["TagInput"]["properties"]["name"]["maxLength"], 50);
    assert_eq!(
        schemas["ContactInfoInput"]["properties"]["social_links"]["maxItems"],
        20
    );
    // At the limit is accepted; one past it, or blank, or a control character is refused.
    let at_limit = "x".repeat(200);
    assert_eq!(
        api.post("/api/v1/contacts", json!({"name": at_limit}))
            .await
            .status,
        StatusCode::CREATED
    );
    for bad in [
        format!(" {}", "x".repeat(200)),
        " \t ".to_string(),
        "a\u{7}b".to_string(),
    ] {
        let r = api.post("/api/v1/contacts", json!({"name": bad})).await;
        assert!(
            r.is_problem(StatusCode::UNPROCESSABLE_ENTITY),
            "{bad:?}: {r:?}"
        );
    }
    // A birthday through today, by the document's pattern and by the server.
    let pattern = schemas["ContactInput"]["properties"]["birthday"]["pattern"]
        .as_str()
        .unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(pattern.contains(&today[..4]), "{pattern}");
    let created = api
        .post(
            "/api/v1/contacts",
            json!({"name": "Today", "birthday": today}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    // Creating links to what the new id is for.
    let links = &doc["paths"]["/api/v1/contacts"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        links["get_contact"]["parameters"]["id"],
        "$response.body#/id"
    );
}
