//! The real `devhub serve` on a local database file, under mixed load from 64 concurrent
//! clients (reading pages, searching, creating contacts, logging interactions), is killed with
//! SIGKILL once and started again on the same port and file.
//!
//! What must hold:
//! - no answer is a 5xx, before, during or after the restart (a client that cannot connect,
//!   or whose connection is cut by the kill, has no answer: its write is not acknowledged, and
//!   it tries again);
//! - every acknowledged write (the 303 of a new contact, with its id; the 303 of a logged
//!   interaction) is in the file afterwards, with its contact;
//! - `PRAGMA integrity_check` says `ok`.
//!
//! Always on a local file, whatever `DEVHUB_TEST_MODE` says: the kill is the app's, and with
//! it the SQLite writer's, which is what this test is about. Bounded: about 10 s of load.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use devhub_db::{Db, DbConfig, OpenMode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: usize = 64;
/// Users the clients share out (each signs up, so that a session is per user).
const USERS: usize = 4;
/// How long the clients run; the kill comes at `KILL_AT`.
const LOAD: Duration = Duration::from_secs(10);
const KILL_AT: Duration = Duration::from_secs(4);
/// No answer may take longer than this (the app's own request timeout is 30 s).
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

/// The app, restartable on the same port and file.
struct Server {
    dir: PathBuf,
    port: u16,
    child: Child,
    starts: usize,
}

impl Server {
    fn start(dir: &Path, port: u16, starts: usize) -> (Child, u16) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("devhub.log"))
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
        command
            .args(["serve", "--port", &port.to_string()])
            .current_dir(dir)
            .env("DATABASE_URL", "file:./crm.db")
            .env_remove("DATABASE_AUTH_TOKEN")
            .env_remove("DATABASE_REPLICA_PATH")
            .env("RUST_LOG", "warn")
            .stderr(Stdio::from(log));
        let (child, url) = support::spawn_announced(command);
        let port = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url} (start {starts})"));
        (child, port)
    }

    fn new(dir: &Path) -> Server {
        let (child, port) = Server::start(dir, 0, 1);
        Server {
            dir: dir.to_path_buf(),
            port,
            child,
            starts: 1,
        }
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILL, then the same command on the same port and file.
    fn kill_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.starts += 1;
        let (child, port) = Server::start(&self.dir, self.port, self.starts);
        assert_eq!(port, self.port);
        self.child = child;
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("devhub.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What came back; `None` from [`request`] when there was no answer (refused, cut).
struct Answer {
    status: u16,
    location: String,
    set_cookie: Vec<String>,
}

/// One request on a connection of its own (`Connection: close`).
async fn request(addr: &str, method: &str, path: &str, cookie: &str, form: &str) -> Option<Answer> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if !cookie.is_empty() {
            head.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if method == "POST" {
            head.push_str(&format!(
                "Origin: http://{addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\n",
                form.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(form);
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = match tokio::time::timeout(ANSWER_WITHIN, exchange).await {
        Ok(Ok(raw)) => raw,
        // Refused or cut by the kill: no answer.
        Ok(Err(_)) => return None,
        Err(_) => panic!("{method} {path}: no answer within {ANSWER_WITHIN:?}"),
    };
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut answer = Answer {
        status,
        location: String::new(),
        set_cookie: Vec::new(),
    };
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "location" => answer.location = value.trim().to_string(),
                "set-cookie" => answer.set_cookie.push(value.trim().to_string()),
                _ => {}
            }
        }
    }
    Some(answer)
}

/// Signs up `username`; its session cookie.
async fn sign_up(addr: &str, username: &str) -> String {
    let form = format!("username={username}&password=correct-horse-battery");
    let r = request(addr, "POST", "/register", "", &form).await.unwrap();
    assert_eq!(r.status, 303, "registering {username}");
    r.set_cookie
        .iter()
        .find(|c| c.starts_with("auth-session="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string()
}

/// What the clients saw, shared.
#[derive(Default)]
struct Record {
    /// Acknowledged new contacts: id → name.
    contacts: HashMap<String, String>,
    /// Acknowledged interactions: notes → contact id.
    interactions: HashMap<String, String>,
    /// Every 5xx: what was asked, and the status.
    server_errors: Vec<String>,
    /// Answers by status, and requests without one.
    statuses: HashMap<u16, usize>,
    unanswered: usize,
    /// Acknowledged writes after the restart.
    writes_after_restart: usize,
}

struct Client {
    n: usize,
    addr: String,
    cookie: String,
    record: Arc<Mutex<Record>>,
    stop: Arc<AtomicBool>,
    restarted: Arc<AtomicBool>,
}

impl Client {
    async fn run(self) {
        // This client's acknowledged contacts, to read and to log interactions with.
        let mut mine: Vec<String> = Vec::new();
        let mut i = 0usize;
        while !self.stop.load(Ordering::SeqCst) {
            i += 1;
            let (method, path, form) = match (i + self.n) % 5 {
                0 | 1 if mine.is_empty() || i % 4 < 2 => (
                    "POST",
                    "/contacts".to_string(),
                    format!("name=Load+{}+{i}&industry=Testing", self.n),
                ),
                0 | 1 => {
                    let contact = &mine[i % mine.len()];
                    (
                        "POST",
                        format!("/contacts/{contact}/interactions"),
                        format!(
                            "type=call&date=2024-0{}-1{}&notes=load-{}-{i}",
                            1 + i % 9,
                            i % 10,
                            self.n
                        ),
                    )
                }
                2 => (
                    "GET",
                    format!("/contacts?q=Load+{}", self.n % 10),
                    String::new(),
                ),
                3 => match mine.last() {
                    Some(contact) => ("GET", format!("/contacts/{contact}"), String::new()),
                    None => ("GET", "/interactions".to_string(), String::new()),
                },
                _ => ("GET", "/".to_string(), String::new()),
            };
            let answer = request(&self.addr, method, &path, &self.cookie, &form).await;
            let Some(answer) = answer else {
                self.record.lock().unwrap().unanswered += 1;
                // The server is down: try again shortly.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let mut record = self.record.lock().unwrap();
            *record.statuses.entry(answer.status).or_default() += 1;
            if answer.status >= 500 {
                record
                    .server_errors
                    .push(format!("{method} {path} {form} → {}", answer.status));
                continue;
            }
            if method != "POST" || answer.status != 303 {
                continue;
            }
            if self.restarted.load(Ordering::SeqCst) {
                record.writes_after_restart += 1;
            }
            if path == "/contacts" {
                let id = answer
                    .location
                    .strip_prefix("/contacts/")
                    .unwrap_or_else(|| panic!("303 to {:?} for a new contact", answer.location))
                    .to_string();
                let name = form
                    .trim_start_matches("name=")
                    .split('&')
                    .next()
                    .unwrap()
                    .replace('+', " ");
                record.contacts.insert(id.clone(), name);
                mine.push(id);
            } else {
                let contact = path.split('/').nth(2).unwrap().to_string();
                let notes = form.rsplit("notes=").next().unwrap().to_string();
                record.interactions.insert(notes, contact);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_mixed_load_loses_no_acknowledged_write_and_no_answer_is_a_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::new(dir.path());
    let addr = server.addr();
    let mut cookies = Vec::new();
    for u in 0..USERS {
        cookies.push(sign_up(&addr, &format!("load{u}")).await);
    }

    let record = Arc::new(Mutex::new(Record::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(
                Client {
                    n,
                    addr: addr.clone(),
                    cookie: cookies[n % USERS].clone(),
                    record: Arc::clone(&record),
                    stop: Arc::clone(&stop),
                    restarted: Arc::clone(&restarted),
                }
                .run(),
            )
        })
        .collect();

    let started = Instant::now();
    tokio::time::sleep(KILL_AT).await;
    let before_kill = record.lock().unwrap().contacts.len();
    tokio::task::block_in_place(|| server.kill_and_restart());
    restarted.store(true, Ordering::SeqCst);
    tokio::time::sleep(LOAD.saturating_sub(started.elapsed())).await;
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.unwrap();
    }
    let record = std::mem::take(&mut *record.lock().unwrap());
    let log = server.log();
    drop(server);

    let summary = format!(
        "answers by status {:?}, {} without an answer; {} contacts and {} interactions \
         acknowledged ({before_kill} contacts before the kill, {} writes after the restart)",
        record.statuses,
        record.unanswered,
        record.contacts.len(),
        record.interactions.len(),
        record.writes_after_restart
    );
    println!("{summary}");
    assert!(
        record.server_errors.is_empty(),
        "{} answers were 5xx, first: {:?}\n{summary}\nlog:\n{}",
        record.server_errors.len(),
        &record.server_errors[..record.server_errors.len().min(5)],
        log.lines().take(20).collect::<Vec<_>>().join("\n")
    );
    assert!(!log.contains("panicked"), "{log}");
    // The load was real on both sides of the kill, and the kill cut some requests.
    assert!(before_kill >= 20, "{summary}");
    assert!(record.writes_after_restart >= 20, "{summary}");
    assert!(record.unanswered > 0, "the kill cut nothing: {summary}");

    // Every acknowledged write is in the file, with its contact.
    let config = DbConfig::local(dir.path().join("crm.db"));
    let db = Db::open(&config, OpenMode::MustExist).await.unwrap();
    let conn = db.conn().await.unwrap();
    let mut stored_contacts = HashMap::new();
    let mut rows = conn
        .query("SELECT id, name FROM contact", ())
        .await
        .unwrap();
    while let Some(row) = rows.next().await.unwrap() {
        stored_contacts.insert(row.get::<String>(0).unwrap(), row.get::<String>(1).unwrap());
    }
    for (id, name) in &record.contacts {
        assert_eq!(
            stored_contacts.get(id),
            Some(name),
            "contact {id} was acknowledged"
        );
    }
    let mut stored_interactions = HashMap::new();
    let mut rows = conn
        .query("SELECT notes, contact_id FROM interaction", ())
        .await
        .unwrap();
    while let Some(row) = rows.next().await.unwrap() {
        stored_interactions.insert(row.get::<String>(0).unwrap(), row.get::<String>(1).unwrap());
    }
    for (notes, contact) in &record.interactions {
        assert_eq!(
            stored_interactions.get(notes),
            Some(contact),
            "interaction {notes} was acknowledged"
        );
    }
    let mut rows = conn.query("PRAGMA integrity_check", ()).await.unwrap();
    let check: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert_eq!(check, "ok");
}
