//! The harness: a fresh database file per test (the product schema or any SQL), the studio's
//! router in process, and a client that holds the session cookie and never follows redirects.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use devhub_db::{migrate, Db, DbConfig, OpenMode};
use devhub_studio::{AccessToken, StudioSettings, StudioState};
use http_body_util::BodyExt;
use libsql::Value;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const HOST: &str = "127.0.0.1:4983";

pub struct TestStudio {
    pub db: Db,
    /// The studio's state, behind `router`: starts more browser sessions than the printed
    /// token, which signs in one, allows.
    pub state: StudioState,
    pub router: Router,
    pub cookie: String,
    /// With `DEVHUB_TEST_MODE=remote|replica`, the libSQL server (sqld) of this test; dropped
    /// before the folder it keeps its data in.
    server: Option<sqld::Sqld>,
    pub dir: tempfile::TempDir,
}

#[path = "../../../db/tests/common/sqld.rs"]
pub mod sqld;

/// Whether the tests run on a local file (`DEVHUB_TEST_MODE` unset or `local`), not on sqld.
pub fn on_local_file() -> bool {
    matches!(
        std::env::var("DEVHUB_TEST_MODE")
            .unwrap_or_default()
            .as_str(),
        "" | "local"
    )
}

/// Where a test's fresh database lives: a file, or with `DEVHUB_TEST_MODE=remote|replica` a
/// fresh sqld of its own, plainly or through an embedded replica.
fn fresh_database(dir: &std::path::Path) -> (DbConfig, Option<sqld::Sqld>) {
    let mode = std::env::var("DEVHUB_TEST_MODE").unwrap_or_default();
    match mode.as_str() {
        "" | "local" => (DbConfig::local(dir.join("studio.db")), None),
        "remote" | "replica" => {
            let server = sqld::Sqld::start(dir);
            let config = DbConfig {
                url: server.url(),
                replica_path: (mode == "replica").then(|| dir.join("replica.db")),
                ..DbConfig::default()
            };
            (config, Some(server))
        }
        other => panic!("DEVHUB_TEST_MODE={other}: expected local, remote or replica"),
    }
}

/// A schema with what arbitrary SQLite databases have: odd names, composite and WITHOUT ROWID
/// keys, BLOBs, CHECK / UNIQUE / NOT NULL / FOREIGN KEY constraints, cascades and a view.
pub const ODD_SCHEMA: &str = r#"
CREATE TABLE parent (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    score INTEGER CHECK (score >= 0),
    flag INTEGER NOT NULL DEFAULT 0 CHECK (flag IN (0, 1)),
    created_at INTEGER,
    meta TEXT,
    notes TEXT
);
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
    label TEXT
);
CREATE INDEX child_parent_idx ON child (parent_id);
CREATE TABLE grandchild (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES child(id) ON DELETE CASCADE
);
CREATE TABLE "order" (id INTEGER PRIMARY KEY, "select" TEXT, total REAL);
CREATE TABLE "my table" (a TEXT, "we""ird col" TEXT);
CREATE TABLE "we""ird" (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT NOT NULL, note TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TABLE pair_ref (id INTEGER PRIMARY KEY, x INTEGER, y TEXT, FOREIGN KEY (x, y) REFERENCES pairs(a, b));
CREATE VIEW high_scores AS SELECT id, name, score FROM parent WHERE score > 10;

INSERT INTO parent (id, name, score, flag, created_at, meta, notes) VALUES
    (1, 'alpha', 5, 1, 1700000000, '{"tags":["a","b"],"n":1}', NULL),
    (2, 'beta', 20, 0, NULL, NULL, ''),
    (3, 'gamma', 30, 0, 86400, 'not json {', 'a long note that goes on and on and on, well past the sixty characters shown');
INSERT INTO child (id, parent_id, label) VALUES (1, 1, 'c1'), (2, 1, 'c2'), (3, 2, 'c3');
INSERT INTO grandchild (id, child_id) VALUES (1, 1), (2, 1), (3, 2);
INSERT INTO "order" (id, "select", total) VALUES (1, 'first', 9.5), (2, 'second', NULL);
INSERT INTO "my table" (a, "we""ird col") VALUES ('x', 'y');
INSERT INTO "we""ird" (k, v) VALUES ('png', x'89504e470d0a1a0a0000000d49484452ffff'), ('none', NULL);
INSERT INTO pairs (a, b, note) VALUES (1, 'a', 'one a'), (1, 'b', 'one b'), (2, 'a', 'two a');
INSERT INTO pair_ref (id, x, y) VALUES (1, 1, 'a');
"#;

impl TestStudio {
    /// The product schema (every migration applied), with two seeded demo users.
    pub async fn product() -> TestStudio {
        let studio = Self::empty(StudioSettings::default()).await;
        migrate::migrate(&studio.db, &migrate::embedded().unwrap())
            .await
            .unwrap();
        let options = devhub_db::seed::SeedOptions {
            contacts_per_user: 6,
            interactions_per_contact: 3,
            seed: 7,
        };
        for n in 1..=2 {
            devhub_db::seed::seed_user(&studio.db, n, "not-a-real-hash", &options)
                .await
                .unwrap();
        }
        studio
    }

    /// A database made by `sql`.
    pub async fn with_sql(sql: &str) -> TestStudio {
        Self::with_sql_and(sql, StudioSettings::default()).await
    }

    pub async fn with_sql_and(sql: &str, settings: StudioSettings) -> TestStudio {
        let studio = Self::empty(settings).await;
        studio
            .db
            .conn()
            .await
            .unwrap()
            .execute_batch(sql)
            .await
            .unwrap();
        studio
    }

    pub async fn odd() -> TestStudio {
        Self::with_sql(ODD_SCHEMA).await
    }

    async fn empty(settings: StudioSettings) -> TestStudio {
        let dir = tempfile::tempdir().unwrap();
        let (config, server) = fresh_database(dir.path());
        Self::on(config, server, dir, settings).await
    }

    /// The studio on the database `config` points to (whose server, if any, is `server`,
    /// keeping its data in `dir`).
    pub async fn on(
        config: DbConfig,
        server: Option<sqld::Sqld>,
        dir: tempfile::TempDir,
        settings: StudioSettings,
    ) -> TestStudio {
        let db = Db::open(&config, OpenMode::CreateIfMissing).await.unwrap();
        let state = StudioState::new(db.clone(), AccessToken::new(TOKEN), settings);
        let router = devhub_studio::app(state.clone());
        let mut studio = TestStudio {
            db,
            state,
            router,
            cookie: String::new(),
            server,
            dir,
        };
        let r = studio
            .anonymous(Method::GET, &format!("/?token={TOKEN}"), None, &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let cookie = r.set_cookie("devhub_studio").expect("session cookie");
        studio.cookie = cookie.split(';').next().unwrap().to_string();
        studio
    }

    /// Another studio on the same database, whose printed token nobody has opened yet.
    pub fn unopened(&self, settings: StudioSettings) -> TestStudio {
        let state = StudioState::new(self.db.clone(), AccessToken::new(TOKEN), settings);
        TestStudio {
            db: self.db.clone(),
            router: devhub_studio::app(state.clone()),
            state,
            cookie: String::new(),
            server: None,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A request without the session cookie.
    pub async fn anonymous(
        &self,
        method: Method,
        uri: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, HOST);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = match form {
            Some(fields) => {
                builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let mut s = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in fields {
                    s.append_pair(k, v);
                }
                Body::from(s.finish())
            }
            None => Body::empty(),
        };
        let response = self
            .router
            .clone()
            .oneshot(builder.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        let cookie = self.cookie.clone();
        self.anonymous(Method::GET, uri, None, &[("cookie", &cookie)])
            .await
    }

    /// A same-origin form post, as the studio's own pages send.
    pub async fn post(&self, uri: &str, form: &[(&str, &str)]) -> TestResponse {
        let cookie = self.cookie.clone();
        let origin = format!("http://{HOST}");
        self.anonymous(
            Method::POST,
            uri,
            Some(form),
            &[("cookie", &cookie), ("origin", &origin)],
        )
        .await
    }

    /// The rows of a query, straight from the database.
    pub async fn rows(&self, sql: &str) -> Vec<Vec<Value>> {
        let conn = self.db.conn().await.unwrap();
        let mut rows = conn.query(sql, ()).await.unwrap();
        let mut out = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            let n = rows.column_count();
            out.push((0..n).map(|i| row.get_value(i).unwrap()).collect());
        }
        out
    }

    pub async fn scalar(&self, sql: &str) -> Value {
        self.rows(sql).await.remove(0).remove(0)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        match self.scalar(sql).await {
            Value::Integer(n) => n,
            other => panic!("not a count: {other:?}"),
        }
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
    }

    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    pub fn texts(&self, selector: &str) -> Vec<String> {
        let selector = scraper::Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .map(|e| {
                e.text()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    pub fn text(&self, selector: &str) -> String {
        self.texts(selector)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("nothing matches {selector} in {}", self.body))
    }

    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let selector = scraper::Selector::parse(selector).unwrap();
        self.html()
            .select(&selector)
            .filter_map(|e| e.value().attr(attr).map(str::to_string))
            .collect()
    }

    pub fn attr(&self, selector: &str, attr: &str) -> String {
        self.attrs(selector, attr)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {selector}[{attr}] in {}", self.body))
    }

    /// The table view's rows: the text of each cell (without the "Open" column).
    pub fn grid(&self) -> Vec<Vec<String>> {
        let html = self.html();
        let tr = scraper::Selector::parse("#rows tbody tr").unwrap();
        let td = scraper::Selector::parse("td").unwrap();
        html.select(&tr)
            .map(|row| {
                row.select(&td)
                    .skip(1)
                    .map(|c| c.text().collect::<String>().trim().to_string())
                    .collect()
            })
            .collect()
    }

    /// The first column of the table view's rows.
    pub fn first_column(&self) -> Vec<String> {
        self.grid().into_iter().map(|r| r[0].clone()).collect()
    }

    pub fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }
}

/// Percent-encodes a query value.
pub fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Percent-encodes a path segment (a space is %20 there, not +).
pub fn seg(value: &str) -> String {
    enc(value).replace('+', "%20")
}

/// Unescapes the `&amp;` of an href taken from HTML (scraper already does; kept for clarity).
pub fn href(value: &str) -> String {
    value.replace("&amp;", "&")
}

/// How many body frames a GET's response arrives in.
pub async fn count_frames(studio: &TestStudio, uri: &str) -> usize {
    let request = Request::builder()
        .uri(uri)
        .header(header::HOST, HOST)
        .header("cookie", &studio.cookie)
        .body(Body::empty())
        .unwrap();
    let response = studio.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut frames = 0;
    while let Some(frame) = body.frame().await {
        frame.unwrap();
        frames += 1;
    }
    frames
}
