//! The libSQL server is killed (SIGKILL) while the real `devhub serve` takes writes from
//! several clients at once, and started again on the same port and data.
//!
//! What must hold, checked against the server's rows at the end:
//! - every answer is 201/303 or 503 (a styled page for pages, problem+json for the API), never
//!   a 500, and none takes longer than the request timeout;
//! - `/healthz` says 503 while the server is down, within its own timeout;
//! - every acknowledged write (201, 303) is on the server with all its rows;
//! - a write that got an error is all there or not there at all: an interaction without the
//!   contact's `last_contacted`, or without the follow-up logged with it, would be half of one
//!   (a write whose COMMIT reached the server just before it died is all there, though its
//!   answer was a 503);
//! - once the server is back, the same process serves writes again, without a restart.
//!
//! Each test starts its own sqld whatever `DEVHUB_TEST_MODE` says, one plainly remote, one
//! through an embedded replica, so they run in the default pass of `scripts/test` only.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `devhub serve`'s request timeout (`Settings::request_timeout`): no answer may take longer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// `/healthz` gives the database this long before answering 503.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);
/// Clients writing at once: half through the API, half through the page's form.
const WRITERS: usize = 6;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Remote,
    Replica,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_sqld_under_concurrent_writes_loses_no_acknowledged_write_on_a_remote_database() {
    if !sqld::available() {
        return;
    }
    outage(Mode::Remote).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_sqld_under_concurrent_writes_loses_no_acknowledged_write_on_an_embedded_replica() {
    if !sqld::available() {
        return;
    }
    outage(Mode::Replica).await;
}

// ---------------------------------------------------------------------------------------------
// The scenario

/// The phases of the outage, as the writers see them when they send a request.
const BEFORE: u8 = 0;
const DOWN: u8 = 1;
const BACK: u8 = 2;

async fn outage(mode: Mode) {
    let dir = tempfile::tempdir().unwrap();
    let mut server = sqld::Sqld::start(dir.path());
    let app = App::start(dir.path(), &server.url(), mode);

    let (cookie, token) = app.sign_up().await;
    // One contact per form writer: its interactions and follow-ups pile up on it.
    let mut form_contacts = Vec::new();
    for n in 0..WRITERS / 2 {
        let r = app
            .api(
                "POST",
                "/api/v1/contacts",
                &token,
                &format!(r#"{{"name": "form {n}"}}"#),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        form_contacts.push(json_str(&r.body, "id"));
    }

    let phase = Arc::new(AtomicU8::new(BEFORE));
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Vec::<Outcome>::new()));
    let mut writers = Vec::new();
    for n in 0..WRITERS {
        let writer = Writer {
            n,
            app: app.clone(),
            token: token.clone(),
            cookie: cookie.clone(),
            form_contact: form_contacts.get(n / 2).cloned().filter(|_| n % 2 == 1),
            phase: Arc::clone(&phase),
            stop: Arc::clone(&stop),
            outcomes: Arc::clone(&outcomes),
        };
        writers.push(tokio::spawn(writer.run()));
    }

    // Kill the server once writes flow, in the middle of them.
    wait_for(&outcomes, &app, &server, "writes before the outage", |o| {
        acknowledged(o, BEFORE) >= 40
    })
    .await;
    server.stop();
    phase.store(DOWN, Ordering::SeqCst);
    let down_since = Instant::now();

    // While it is down: health 503 within its timeout, pages and the API say 503.
    wait_for(
        &outcomes,
        &app,
        &server,
        "failed writes during the outage",
        |o| {
            o.iter()
                .filter(|o| o.phase == DOWN && o.status == 503)
                .count()
                >= 20
        },
    )
    .await;
    let started = Instant::now();
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, 503, "{}", health.body);
    // Its timeout, plus room for a busy test machine.
    assert!(
        started.elapsed() < HEALTH_TIMEOUT + Duration::from_secs(2),
        "/healthz took {:?}",
        started.elapsed()
    );
    let page = app
        .get(&format!("/contacts/{}", form_contacts[0]), Some(&cookie))
        .await;
    let api = app
        .api(
            "GET",
            &format!("/api/v1/contacts/{}", form_contacts[0]),
            &token,
            "",
        )
        .await;
    // In both modes: an instance with a replica checks sessions and API tokens on the primary
    // (so that a session ended on another instance ends here at once), so its signed-in pages
    // and the API need the primary too.
    assert_styled_503(&page);
    assert_problem_503(&api);
    // Keep the writers failing for a while longer.
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(down_since.elapsed())).await;

    server.restart();
    phase.store(BACK, Ordering::SeqCst);
    // Recovery: the same process writes again, through both paths.
    wait_for(
        &outcomes,
        &app,
        &server,
        "writes after the server came back",
        |o| {
            let back = |api: bool| {
                o.iter()
                    .filter(|o| o.phase == BACK && o.write.is_api() == api && o.acknowledged())
                    .count()
            };
            back(true) >= 20 && back(false) >= 20
        },
    )
    .await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, 200, "{}", health.body);
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    let logs = app.stop();

    // Every answer was an acknowledgement or a 503, in time; never a 500 nor a panic.
    for o in &outcomes {
        assert!(
            o.elapsed < REQUEST_TIMEOUT,
            "{:?} took {:?} (status {})",
            o.write,
            o.elapsed,
            o.status
        );
        match o.status {
            201 | 303 => {}
            503 if o.write.is_api() => assert_problem_503(&o.response()),
            503 => assert_styled_503(&o.response()),
            other => panic!(
                "{:?} answered {other}: {}\nerrors logged:\n{}",
                o.write,
                o.body,
                errors(&logs)
            ),
        }
    }
    assert!(!logs.contains("panicked"), "{logs}");

    let rows = ServerRows::read(&server).await;
    check_writes(&outcomes, &rows);
    println!(
        "{mode:?}: {} writes, {} acknowledged, {} answered 503 ({} of those applied whole, \
         their COMMIT having reached the server); slowest answer {:?}",
        outcomes.len(),
        outcomes.iter().filter(|o| o.acknowledged()).count(),
        outcomes.iter().filter(|o| o.status == 503).count(),
        outcomes
            .iter()
            .filter(|o| o.status == 503 && rows.applied(&o.write))
            .count(),
        outcomes.iter().map(|o| o.elapsed).max().unwrap_or_default()
    );
}

/// Every acknowledged write is on the server whole; every failed one whole or not at all; every
/// contact's `last_contacted` is the date of its latest interaction.
fn check_writes(outcomes: &[Outcome], rows: &ServerRows) {
    for o in outcomes {
        match &o.write {
            Write::ApiContact { name } => {
                let on_server = rows.contacts_by_name.get(name);
                if o.acknowledged() {
                    let id = json_str(&o.body, "id");
                    assert_eq!(on_server.map(|c| &c.id), Some(&id), "{name}");
                }
            }
            Write::ApiInteraction {
                contact,
                notes,
                date,
            } => {
                let on_server = rows.interactions.get(notes);
                if o.acknowledged() {
                    let i = on_server.unwrap_or_else(|| panic!("201 but no interaction {notes}"));
                    assert_eq!(i.id, json_str(&o.body, "id"));
                    assert_eq!(&i.contact_id, contact);
                }
                if let Some(i) = on_server {
                    // Its contact is new and has no other interaction.
                    assert_eq!(i.date, *date, "{notes}");
                    assert_eq!(
                        rows.last_contacted(contact),
                        Some(*date),
                        "{notes} is on the server ({}), its contact's last_contacted must \
                         follow",
                        o.status
                    );
                }
            }
            Write::FormInteraction { notes, .. } => {
                let interaction = rows.interactions.contains_key(notes);
                let follow_up = rows.follow_up_notes.contains_key(notes);
                if o.acknowledged() {
                    assert!(interaction && follow_up, "303 but {notes} is missing");
                }
                assert_eq!(
                    interaction, follow_up,
                    "{notes} ({}) half applied: interaction {interaction}, follow-up {follow_up}",
                    o.status
                );
            }
        }
    }
    for contact in rows.contacts_by_name.values() {
        let latest = rows
            .interactions
            .values()
            .filter(|i| i.contact_id == contact.id)
            .map(|i| i.date)
            .max();
        assert_eq!(contact.last_contacted, latest, "{}", contact.name);
    }
}

/// Polls `done` over the outcomes so far, for at most a minute; fails at once on an answer
/// that is neither an acknowledgement nor a 503.
async fn wait_for(
    outcomes: &Mutex<Vec<Outcome>>,
    app: &App,
    server: &sqld::Sqld,
    what: &str,
    done: impl Fn(&[Outcome]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        {
            let outcomes = outcomes.lock().unwrap();
            if let Some(o) = outcomes
                .iter()
                .find(|o| !matches!(o.status, 201 | 303 | 503))
            {
                panic!(
                    "{:?} answered {}\nerrors logged:\n{}\nbody: {}",
                    o.write,
                    o.status,
                    errors(&app.logs()),
                    o.body.chars().take(600).collect::<String>()
                );
            }
            if done(&outcomes[..]) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited a minute for {what}; answers so far: {:?}\nerrors logged:\n{}\n\
                 the app's last log lines:\n{}\nsqld's last log lines:\n{}",
                statuses(&outcomes),
                errors(&app.logs()),
                sqld::last_lines(&app.logs(), 30),
                server.log_tail(30)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn acknowledged(outcomes: &[Outcome], phase: u8) -> usize {
    outcomes
        .iter()
        .filter(|o| o.phase == phase && o.acknowledged())
        .count()
}

/// How many answers of each status per phase, for failure messages.
fn statuses(outcomes: &[Outcome]) -> HashMap<(u8, u16), usize> {
    let mut counts = HashMap::new();
    for o in outcomes {
        *counts.entry((o.phase, o.status)).or_default() += 1;
    }
    counts
}

/// The error lines of the app's log (the cause of a 500 is there).
fn errors(logs: &str) -> String {
    let lines: Vec<_> = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("request failed"))
        .collect();
    lines[..lines.len().min(10)].join("\n")
}

fn assert_styled_503(r: &Response) {
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    // The stylesheet, inline on a first visit (`--accent` is one of its variables) or linked.
    assert!(
        r.body.contains("--accent") || r.body.contains("rel=\"stylesheet\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("The database is unreachable"), "{}", r.body);
}

fn assert_problem_503(r: &Response) {
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "{}",
        r.content_type
    );
    assert!(r.body.contains("\"status\":503"), "{}", r.body);
}

// ---------------------------------------------------------------------------------------------
// The writers

#[derive(Debug, Clone)]
enum Write {
    /// `POST /api/v1/contacts`: one row.
    ApiContact { name: String },
    /// `POST /api/v1/contacts/{id}/interactions` on a contact of its own: the interaction and
    /// the contact's `last_contacted`.
    ApiInteraction {
        contact: String,
        notes: String,
        date: i64,
    },
    /// The page's form, `POST /contacts/{id}/interactions` with a next follow-up: the
    /// interaction, the contact's `last_contacted` and the follow-up.
    FormInteraction { notes: String },
}

impl Write {
    fn is_api(&self) -> bool {
        !matches!(self, Write::FormInteraction { .. })
    }
}

struct Outcome {
    write: Write,
    phase: u8,
    status: u16,
    content_type: String,
    body: String,
    elapsed: Duration,
}

impl Outcome {
    fn acknowledged(&self) -> bool {
        matches!(self.status, 201 | 303)
    }

    fn response(&self) -> Response {
        Response {
            status: self.status,
            content_type: self.content_type.clone(),
            set_cookie: Vec::new(),
            body: self.body.clone(),
        }
    }
}

struct Writer {
    n: usize,
    app: App,
    token: String,
    cookie: String,
    /// The contact whose page this writer logs interactions on; `None` for API writers.
    form_contact: Option<String>,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
}

impl Writer {
    async fn run(self) {
        let mut i = 0u32;
        while !self.stop.load(Ordering::SeqCst) {
            i += 1;
            let ok = match &self.form_contact {
                Some(contact) => self.log_on_page(contact, i).await,
                None => self.log_through_the_api(i).await,
            };
            if !ok {
                // Failing fast while the server is down: do not flood the log.
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }

    /// A new contact, then an interaction with it. Whether it was acknowledged.
    async fn log_through_the_api(&self, i: u32) -> bool {
        let name = format!("api {} {i}", self.n);
        let created = self
            .send(
                Write::ApiContact { name: name.clone() },
                self.app.api(
                    "POST",
                    "/api/v1/contacts",
                    &self.token,
                    &format!(r#"{{"name": "{name}"}}"#),
                ),
            )
            .await;
        if created.status != 201 {
            return false;
        }
        let contact = json_str(&created.body, "id");
        let notes = format!("api-{}-{i}", self.n);
        let day = i64::from(i % 3000);
        let write = Write::ApiInteraction {
            contact: contact.clone(),
            notes: notes.clone(),
            date: 1_577_836_800 + day * 86_400,
        };
        let body = format!(
            r#"{{"type": "call", "date": "{}", "notes": "{notes}"}}"#,
            date_of(day)
        );
        let path = format!("/api/v1/contacts/{contact}/interactions");
        let logged = self
            .send(write, self.app.api("POST", &path, &self.token, &body))
            .await;
        logged.status == 201
    }

    /// The contact page's log form with a follow-up in a week. Whether it was acknowledged.
    async fn log_on_page(&self, contact: &str, i: u32) -> bool {
        let notes = format!("form-{}-{i}", self.n);
        let form = format!(
            "type=meeting&date={}&notes={notes}&next=1w&next_note={notes}",
            date_of(i64::from(i % 3000))
        );
        let path = format!("/contacts/{contact}/interactions");
        let r = self
            .send(
                Write::FormInteraction { notes },
                self.app.form(&path, &self.cookie, &form),
            )
            .await;
        r.status == 303
    }

    async fn send(
        &self,
        write: Write,
        request: impl std::future::Future<Output = Response>,
    ) -> Response {
        let phase = self.phase.load(Ordering::SeqCst);
        let started = Instant::now();
        let r = request.await;
        // Not poisoned by a failing test's panic: this writer only stops.
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        outcomes.push(Outcome {
            write,
            phase,
            status: r.status,
            content_type: r.content_type.clone(),
            body: r.body.clone(),
            elapsed: started.elapsed(),
        });
        r
    }
}

/// `YYYY-MM-DD` of 2020-01-01 plus `day` days.
fn date_of(day: i64) -> String {
    (chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(day))
        .format("%Y-%m-%d")
        .to_string()
}

/// The string `key` of a JSON object.
fn json_str(body: &str, key: &str) -> String {
    let value: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// The server's rows

struct ContactRow {
    id: String,
    name: String,
    last_contacted: Option<i64>,
}

struct InteractionRow {
    id: String,
    contact_id: String,
    date: i64,
}

struct ServerRows {
    contacts_by_name: HashMap<String, ContactRow>,
    /// By notes.
    interactions: HashMap<String, InteractionRow>,
    /// Follow-up notes, with their contact.
    follow_up_notes: HashMap<String, String>,
}

impl ServerRows {
    /// Everything, straight from the server (not through the app or a replica).
    async fn read(server: &sqld::Sqld) -> ServerRows {
        let db = server.open_directly().await;
        let conn = db.conn().await.unwrap();
        let mut contacts_by_name = HashMap::new();
        let mut rows = conn
            .query("SELECT id, name, last_contacted FROM contact", ())
            .await
            .unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            let contact = ContactRow {
                id: row.get(0).unwrap(),
                name: row.get(1).unwrap(),
                last_contacted: row.get(2).unwrap(),
            };
            assert!(
                contacts_by_name
                    .insert(contact.name.clone(), contact)
                    .is_none(),
                "a contact name twice"
            );
        }
        let mut interactions = HashMap::new();
        let mut rows = conn
            .query("SELECT id, contact_id, date, notes FROM interaction", ())
            .await
            .unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            let notes: String = row.get(3).unwrap();
            let interaction = InteractionRow {
                id: row.get(0).unwrap(),
                contact_id: row.get(1).unwrap(),
                date: row.get(2).unwrap(),
            };
            assert!(interactions.insert(notes, interaction).is_none());
        }
        let mut follow_up_notes = HashMap::new();
        let mut rows = conn
            .query("SELECT note, contact_id FROM follow_up", ())
            .await
            .unwrap();
        while let Some(row) = rows.next().await.unwrap() {
            follow_up_notes.insert(row.get(0).unwrap(), row.get(1).unwrap());
        }
        ServerRows {
            contacts_by_name,
            interactions,
            follow_up_notes,
        }
    }

    fn last_contacted(&self, contact: &str) -> Option<i64> {
        self.contacts_by_name
            .values()
            .find(|c| c.id == contact)
            .and_then(|c| c.last_contacted)
    }

    /// Whether the write is on the server.
    fn applied(&self, write: &Write) -> bool {
        match write {
            Write::ApiContact { name } => self.contacts_by_name.contains_key(name),
            Write::ApiInteraction { notes, .. } | Write::FormInteraction { notes } => {
                self.interactions.contains_key(notes)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The app and a minimal HTTP client

/// A running `devhub serve` on the server, its log in a file.
#[derive(Clone)]
struct App {
    addr: String,
    process: Arc<Mutex<Option<Child>>>,
    log: std::path::PathBuf,
}

struct Response {
    status: u16,
    content_type: String,
    set_cookie: Vec<String>,
    body: String,
}

impl App {
    fn start(dir: &std::path::Path, url: &str, mode: Mode) -> App {
        let log = dir.join("devhub.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
        command
            .args(["serve", "--port", "0"])
            .current_dir(dir)
            .env("DATABASE_URL", url)
            .env_remove("DATABASE_AUTH_TOKEN")
            .env_remove("DATABASE_REPLICA_PATH")
            .env("RUST_LOG", "warn")
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()));
        if mode == Mode::Replica {
            command.env("DATABASE_REPLICA_PATH", dir.join("replica.db"));
        }
        let (child, url) = support::spawn_announced(command);
        App {
            addr: url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_string(),
            process: Arc::new(Mutex::new(Some(child))),
            log,
        }
    }

    /// Stops the app; returns what it logged.
    fn stop(&self) -> String {
        if let Some(mut child) = self.process.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.logs()
    }

    /// What the app logged so far.
    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Registers a user; returns its session cookie and a fresh API token.
    async fn sign_up(&self) -> (String, String) {
        let r = self
            .form(
                "/register",
                "",
                "username=outage&password=correct-horse-battery",
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let cookie = r
            .set_cookie
            .iter()
            .find(|c| c.starts_with("auth-session="))
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_string();
        let r = self
            .form("/settings/tokens", &cookie, "name=outage&expires_in=30")
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let after = r.body.split("id=\"new-token\"").nth(1).unwrap();
        let token = after
            .split("value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        (cookie, token.to_string())
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let cookie = cookie
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        self.request(&format!("GET {path} HTTP/1.1\r\n{cookie}"), "")
            .await
    }

    async fn api(&self, method: &str, path: &str, token: &str, json: &str) -> Response {
        self.request(
            &format!(
                "{method} {path} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\n"
            ),
            json,
        )
        .await
    }

    /// A same-origin form post, as the app's own pages send.
    async fn form(&self, path: &str, cookie: &str, form: &str) -> Response {
        self.request(
            &format!(
                "POST {path} HTTP/1.1\r\nCookie: {cookie}\r\nOrigin: http://{}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\n",
                self.addr
            ),
            form,
        )
        .await
    }

    /// One request on a connection of its own. A request that gets no answer within the
    /// request timeout and a bit is answered 599 here, which fails the test.
    async fn request(&self, head: &str, body: &str) -> Response {
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(&self.addr).await?;
            let request = format!(
                "{head}Host: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                self.addr,
                body.len()
            );
            stream.write_all(request.as_bytes()).await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            Ok::<_, std::io::Error>(raw)
        };
        let raw =
            match tokio::time::timeout(REQUEST_TIMEOUT + Duration::from_secs(5), exchange).await {
                Ok(Ok(raw)) => raw,
                Ok(Err(e)) => panic!("request to devhub failed: {e}"),
                Err(_) => {
                    return Response {
                        status: 599,
                        content_type: String::new(),
                        set_cookie: Vec::new(),
                        body: format!("no answer within {REQUEST_TIMEOUT:?}: {head}"),
                    }
                }
            };
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(raw.len());
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = raw.get(split + 4..).unwrap_or_default();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head}"));
        let mut response = Response {
            status,
            content_type: String::new(),
            set_cookie: Vec::new(),
            body: String::new(),
        };
        let mut chunked = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim().to_string();
            match name.to_ascii_lowercase().as_str() {
                "content-type" => response.content_type = value,
                "set-cookie" => response.set_cookie.push(value),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_vec()
        };
        response.body = String::from_utf8_lossy(&body).into_owned();
        response
    }
}

/// The body of a chunked response.
fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let after = &rest[end + 2..];
        match size {
            Some(size) if size > 0 && after.len() >= size => {
                out.extend_from_slice(&after[..size]);
                rest = after[size..]
                    .strip_prefix(b"\r\n")
                    .unwrap_or(&after[size..]);
            }
            _ => break,
        }
    }
    out
}
