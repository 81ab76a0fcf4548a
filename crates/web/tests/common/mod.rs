//! The test harness: a fresh database per test, the real router in process, and a client
//! that keeps cookies and does not follow redirects.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use devhub_db::{migrate, Db, DbConfig, OpenMode};
use devhub_web::{AppState, Settings};
use tower::ServiceExt;

pub struct TestApp {
    pub db: Db,
    pub router: Router,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// The app on a database opened elsewhere (on a server, for example).
    pub fn on(db: Db) -> TestApp {
        TestApp {
            router: devhub_web::app(AppState::new(db.clone(), Settings::default())),
            db,
            _dir: tempfile::tempdir().unwrap(),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Settings::default()).await
}

/// The database `config` names, opened (created when missing) and migrated.
pub async fn migrated(config: &DbConfig) -> Db {
    let db = Db::open(config, OpenMode::CreateIfMissing).await.unwrap();
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    db
}

pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let db = migrated(&DbConfig::local(dir.path().join("test.db"))).await;
    let router = devhub_web::app(AppState::new(db.clone(), settings));
    TestApp {
        db,
        router,
        _dir: dir,
    }
}

/// What came back, with the body read.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` line.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    /// The texts of the elements matching `selector`.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = scraper::Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect()
    }

    pub fn attr(&self, selector: &str, attr: &str) -> Option<String> {
        let selector = scraper::Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_string))
    }
}

/// A browser-like client: keeps cookies, sends same-origin headers, never follows redirects.
pub struct Client<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    pub peer: SocketAddr,
    /// The `Host` it sends (`localhost:3000`).
    pub host: &'static str,
    /// Headers sent with every request (after the usual ones, so they may replace them).
    pub extra: Vec<(&'static str, &'static str)>,
}

impl TestApp {
    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: BTreeMap::new(),
            peer: "10.0.0.1:5000".parse().unwrap(),
            host: "localhost:3000",
            extra: Vec::new(),
        }
    }
}

impl Client<'_> {
    pub fn with_peer(mut self, peer: &str) -> Self {
        self.peer = peer.parse().unwrap();
        self
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = serde_urlencoded_body(fields);
        self.send(Method::POST, path, Some(body), &[]).await
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        form_body: Option<String>,
        extra_headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, self.host);
        if method != Method::GET {
            builder = builder.header(header::ORIGIN, format!("http://{}", self.host));
        }
        if form_body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            builder = builder.header(header::COOKIE, cookie);
        }
        let mut request = builder
            .body(Body::from(form_body.unwrap_or_default()))
            .unwrap();
        for (name, value) in self.extra.iter().chain(extra_headers) {
            let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
            if value.is_empty() {
                request.headers_mut().remove(&name);
            } else {
                request.headers_mut().insert(name, value.parse().unwrap());
            }
        }
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let response = TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        for line in response.set_cookies() {
            let pair = line.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let removed = line.contains("Max-Age=0") || value.is_empty();
                if removed {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        response
    }

    pub fn session_token(&self) -> Option<String> {
        self.cookies.get("auth-session").cloned()
    }

    /// Registers `username` with `password` and keeps the session.
    pub async fn register(&mut self, username: &str, password: &str) -> TestResponse {
        let r = self
            .post_form(
                "/register",
                &[("username", username), ("password", password)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "register failed: {}",
            r.body
        );
        r
    }

    pub async fn login(&mut self, username: &str, password: &str) -> TestResponse {
        self.post_form("/login", &[("username", username), ("password", password)])
            .await
    }
}

pub fn serde_urlencoded_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `SELECT count(*) FROM <table>`.
pub async fn count(db: &Db, table: &str) -> i64 {
    let conn = db.conn().await.unwrap();
    let mut rows = conn
        .query(&format!("SELECT count(*) FROM {table}"), ())
        .await
        .unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

pub const PASSWORD: &str = "correct horse battery";

/// A personal access token of `user` for the API, as the settings page issues it.
pub async fn api_token(db: &Db, user: &devhub_db::UserId) -> String {
    let issued = db.api_tokens().issue(user, "tests", None).await.unwrap();
    issued.secret.expose().to_string()
}

/// Registers `username` and returns the signed-in client with the user's id.
pub async fn sign_up<'a>(app: &'a TestApp, username: &str) -> (Client<'a>, devhub_db::UserId) {
    let mut client = app.client();
    client.register(username, PASSWORD).await;
    let user = app
        .db
        .users()
        .find_by_username(username)
        .await
        .unwrap()
        .unwrap();
    (client, user.id)
}

/// Posts `bytes` as the file `field` of a multipart form to `path`, as a browser does.
pub async fn post_file(
    client: &Client<'_>,
    path: &str,
    field: &str,
    file_name: &str,
    bytes: &[u8],
) -> TestResponse {
    let boundary = "----devhubTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let cookie = client
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut request = Request::post(path)
        .header(header::HOST, client.host)
        .header(header::ORIGIN, format!("http://{}", client.host))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(client.peer));
    let response = client.app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    TestResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
