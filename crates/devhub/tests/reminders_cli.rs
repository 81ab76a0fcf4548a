//! Reminders as they go out, on the real binary against real servers on loopback (an aiosmtpd
//! SMTP server, an HTTP receiver written here, sqld for the shared database): three instances
//! at once send each digest exactly once; a sender killed mid-send leaves the reminder to the
//! next one, which sends it once; a restarted server does not send again; temporary failures
//! are retried and permanent ones recorded; a webhook is signed and retried after a 500; time
//! is injected with `--now`, so "tomorrow at 8:00 in Pacific/Auckland" needs no waiting.
#![allow(clippy::unwrap_used)]

mod support;

#[path = "../../web/tests/support/mod.rs"]
mod smtp;

#[path = "../../db/tests/common/sqld.rs"]
mod sqld;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc, Weekday};
use devhub_db::validate::Username;
use devhub_db::{
    ContactInput, Db, DbConfig, FollowUpInput, Frequency, Includes, NewUser, OpenMode, Preferences,
    ReminderInput, TimeZone, UserId,
};
use smtp::{SinkMode, SmtpSink};

/// Tuesday 8 December 2026, 08:00 in Auckland (NZDT, +13): 19:00 UTC on the 7th.
const T: &str = "2026-12-08T08:00:00+13:00";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Where the database is: a file, or a sqld server of the test's own.
struct Target {
    url: String,
    _server: Option<sqld::Sqld>,
    dir: tempfile::TempDir,
}

impl Target {
    fn file() -> Target {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file:{}", dir.path().join("devhub.db").display());
        Target {
            url,
            _server: None,
            dir,
        }
    }

    fn server() -> Option<Target> {
        if !sqld::available() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let server = sqld::Sqld::start(dir.path());
        Some(Target {
            url: server.url(),
            _server: Some(server),
            dir,
        })
    }

    fn config(&self) -> DbConfig {
        DbConfig {
            url: self.url.clone(),
            ..DbConfig::default()
        }
    }

    async fn db(&self) -> Db {
        let db = Db::open(&self.config(), OpenMode::CreateIfMissing)
            .await
            .unwrap();
        devhub_db::migrate::migrate(&db, &devhub_db::migrate::embedded().unwrap())
            .await
            .unwrap();
        db
    }

    fn devhub(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
        command
            .args(args)
            .env("DATABASE_URL", &self.url)
            .env("PUBLIC_URL", "https://crm.example.com")
            .env("SMTP_FROM", "Developer Hub <devhub@example.com>")
            .env("RUST_LOG", "warn")
            .env_remove("SMTP_URL")
            .env_remove("DATABASE_AUTH_TOKEN")
            .env_remove("DATABASE_REPLICA_PATH");
        command
    }

    /// `devhub reminders run-once --now NOW` with e-mail going to `smtp_url`.
    fn run_once(&self, smtp_url: &str, now: &str) -> Command {
        let mut command = self.devhub(&["reminders", "run-once", "--now", now]);
        command.env("SMTP_URL", smtp_url);
        command
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    );
    text(&o.stdout)
}

fn assert_one_line_failure(o: &Output, code: i32, needle: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A daily digest at 08:00 by e-mail, every part included, no pushes.
fn daily_at_eight() -> ReminderInput {
    ReminderInput {
        frequency: Frequency::Daily,
        hour: 8,
        weekday: Weekday::Mon,
        includes: Includes::default(),
        follow_up_push: false,
        email_on: true,
        webhook_url: None,
        ntfy_url: None,
    }
}

/// The user's first contact (each test user has one).
async fn first_contact(db: &Db, user: &UserId) -> devhub_db::ContactId {
    let conn = db.conn().await.unwrap();
    let mut rows = conn
        .query("SELECT id FROM contact WHERE user_id = ?1", [user.as_str()])
        .await
        .unwrap();
    devhub_db::ContactId::from(
        rows.next()
            .await
            .unwrap()
            .unwrap()
            .get::<String>(0)
            .unwrap(),
    )
}

static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// A user in Auckland with a contact, a follow-up due on T's day and a daily digest at 08:00
/// by e-mail (confirmed), saved the day before T.
async fn user_with_a_digest(db: &Db) -> (UserId, String) {
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("reader{n}");
    let user = db
        .users()
        .create(
            &NewUser::new(
                Username::parse(&name).unwrap(),
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let zone = TimeZone::parse("Pacific/Auckland").unwrap();
    let prefs = Preferences {
        time_zone: zone,
        ..Preferences::default()
    };
    db.user_settings()
        .save_preferences(&user.id, &prefs)
        .await
        .unwrap();
    let contact = ContactInput {
        name: format!("Grace Hopper {n}"),
        ..ContactInput::default()
    }
    .parse()
    .unwrap();
    let grace = db.contacts().create(&user.id, &contact).await.unwrap();
    let due = FollowUpInput {
        due_date: "2026-12-08".into(),
        note: Some("send the compiler paper".into()),
    }
    .parse()
    .unwrap();
    db.follow_ups()
        .create(&user.id, &grace.id, &due)
        .await
        .unwrap();
    let saved_at = at(T) - chrono::Duration::days(1);
    let input = daily_at_eight();
    db.reminders()
        .save(&user.id, &input, zone, saved_at)
        .await
        .unwrap();
    let email = format!("{name}@example.com");
    let token = db
        .reminders()
        .set_email(&user.id, Some(&email), saved_at)
        .await
        .unwrap()
        .unwrap();
    db.reminders()
        .confirm_email(&token, saved_at)
        .await
        .unwrap()
        .unwrap();
    (user.id, email)
}

async fn count(db: &Db, sql: &str) -> i64 {
    let conn = db.conn().await.unwrap();
    let mut rows = conn.query(sql, ()).await.unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

/// The `To:` of each received message.
fn recipients(sink: &SmtpSink) -> Vec<String> {
    let mut to: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| {
            let text = text(m);
            text.lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap()
                .trim()
                .to_string()
        })
        .collect();
    to.sort();
    to
}

async fn three_instances_send_each_digest_exactly_once(target: Target) {
    let db = target.db().await;
    let mut expected = Vec::new();
    for _ in 0..6 {
        expected.push(user_with_a_digest(&db).await.1);
    }
    expected.sort();
    let sink = SmtpSink::start(SinkMode::Accept);

    // A minute before: nothing is due.
    let o = target
        .run_once(&sink.url(), "2026-12-08T07:59:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("0 planned, 0 sent"), "{}", text(&o.stdout));

    // Three instances at once, at 08:00 and just after.
    let children: Vec<Child> = [T, T, "2026-12-08T08:00:05+13:00"]
        .iter()
        .map(|now| {
            target
                .run_once(&sink.url(), now)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut sent = 0;
    for child in children {
        let out = ok(&child.wait_with_output().unwrap());
        let n: u64 = out
            .split(" sent")
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{out}"));
        sent += n;
    }
    assert_eq!(sent, 6);
    assert_eq!(recipients(&sink), expected, "each digest exactly once");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM reminder_delivery WHERE status = 'sent' AND attempts = 1"
        )
        .await,
        6
    );
    assert_eq!(count(&db, "SELECT count(*) FROM reminder_attempt").await, 6);

    // Run again later that morning (a restart, a cron run): nothing is sent twice.
    let o = target
        .run_once(&sink.url(), "2026-12-08T09:30:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("0 sent"), "{}", text(&o.stdout));
    assert_eq!(sink.messages().len(), 6);

    // The received digest: for that day, the follow-up linked to its contact's page.
    let first = text(&sink.messages()[0]);
    assert!(first.contains("Tuesday, December 8"), "{first}");
    assert!(
        first.contains("https://crm.example.com/contacts/"),
        "{first}"
    );
    assert!(first.contains("List-Unsubscribe: <https://crm.example.com/reminders/unsubscribe/"));
    // Wednesday's comes the next day.
    let o = target
        .run_once(&sink.url(), "2026-12-09T08:00:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("6 sent"), "{}", text(&o.stdout));
    drop(target);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_file_send_each_digest_exactly_once() {
    three_instances_send_each_digest_exactly_once(Target::file()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_a_libsql_server_send_each_digest_exactly_once() {
    let Some(target) = Target::server() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run this test on sqld: set SQLD_BIN"
        );
        return;
    };
    three_instances_send_each_digest_exactly_once(target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_send_leaves_its_reminder_to_the_next_which_sends_it_once() {
    let target = Target::file();
    let db = target.db().await;
    let (user, email) = user_with_a_digest(&db).await;
    // The first sender's server takes the message but never answers DATA.
    let stalled = SmtpSink::start(SinkMode::Stall);
    let mut first = target.run_once(&stalled.url(), T).spawn().unwrap();
    let started = Instant::now();
    loop {
        let claimed = count(
            &db,
            "SELECT count(*) FROM reminder_delivery WHERE lease_holder IS NOT NULL",
        )
        .await;
        if claimed == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never claimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Mid-send: killed (SIGKILL, no chance to record anything).
    tokio::time::sleep(Duration::from_millis(700)).await;
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(stalled.messages().is_empty());

    let sink = SmtpSink::start(SinkMode::Accept);
    // While its lease holds, nobody else sends it.
    let o = target
        .run_once(&sink.url(), "2026-12-08T08:01:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("0 sent"), "{}", text(&o.stdout));
    // Once it lapses, the next run sends it, once.
    let o = target
        .run_once(&sink.url(), "2026-12-08T08:03:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("1 sent"), "{}", text(&o.stdout));
    let o = target
        .run_once(&sink.url(), "2026-12-08T08:10:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("0 sent"), "{}", text(&o.stdout));
    assert_eq!(recipients(&sink), vec![email]);
    let rows = db.reminders().deliveries(&user, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 2, "the killed attempt counts");
    let attempts = db.reminders().attempts(&user, &rows[0].id).await.unwrap();
    assert_eq!(
        attempts.len(),
        1,
        "only the attempt that answered is recorded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_does_not_send_again() {
    let target = Target::file();
    let db = target.db().await;
    let (user, email) = user_with_a_digest(&db).await;
    // Due a minute ago, by the wall clock (the server's scheduler uses the real time), with a
    // follow-up overdue by then.
    let yesterday = TimeZone::parse("Pacific/Auckland")
        .unwrap()
        .date_at(Utc::now())
        .pred_opt()
        .unwrap();
    let grace = first_contact(&db, &user).await;
    let overdue = FollowUpInput {
        due_date: yesterday.to_string(),
        note: None,
    }
    .parse()
    .unwrap();
    db.follow_ups()
        .create(&user, &grace, &overdue)
        .await
        .unwrap();
    let conn = db.conn().await.unwrap();
    conn.execute(
        "UPDATE reminder_settings SET next_digest_at = unixepoch() - 60 WHERE user_id = ?1",
        [user.as_str()],
    )
    .await
    .unwrap();
    drop(conn);
    let sink = SmtpSink::start(SinkMode::Accept);
    let serve = |sink: &SmtpSink| {
        let mut command = target.devhub(&["serve", "--port", "0"]);
        command.env("SMTP_URL", sink.url());
        support::spawn_announced(command)
    };
    let (mut server, _) = serve(&sink);
    let started = Instant::now();
    while sink.messages().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "never sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    // Started again: its first run finds nothing new.
    let (mut server, addr) = serve(&sink);
    let (status, _) = support::http_get(addr.trim_start_matches("http://"), "/healthz");
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(recipients(&sink), vec![email]);
    let rows = db.reminders().deliveries(&user, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, devhub_db::DeliveryStatus::Sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_failures_are_retried_and_a_permanent_one_is_recorded_and_shown() {
    let target = Target::file();
    let db = target.db().await;
    let (user, _) = user_with_a_digest(&db).await;
    let tempfail = SmtpSink::start(SinkMode::Tempfail);
    let o = target.run_once(&tempfail.url(), T).output().unwrap();
    assert!(ok(&o).contains("1 to retry"), "{}", text(&o.stdout));
    let failure = db.reminders().last_failure(&user).await.unwrap().unwrap();
    assert!(failure.retrying());
    assert!(
        failure.last_error.as_deref().unwrap().contains("451"),
        "{failure:?}"
    );
    // Not before its back-off.
    let o = target
        .run_once(&tempfail.url(), "2026-12-08T08:00:30+13:00")
        .output()
        .unwrap();
    assert!(
        ok(&o).contains("0 planned, 0 sent, 0 to retry"),
        "{}",
        text(&o.stdout)
    );

    let permfail = SmtpSink::start(SinkMode::Permfail);
    let o = target
        .run_once(&permfail.url(), "2026-12-08T08:02:00+13:00")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("1 failed"), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("could not be delivered"),
        "{}",
        text(&o.stderr)
    );
    let failure = db.reminders().last_failure(&user).await.unwrap().unwrap();
    assert_eq!(failure.status, devhub_db::DeliveryStatus::Failed);
    assert!(
        failure.last_error.as_deref().unwrap().contains("550"),
        "{failure:?}"
    );
    let attempts = db.reminders().attempts(&user, &failure.id).await.unwrap();
    let outcomes: Vec<_> = attempts.iter().map(|(_, o, _)| o.as_str()).collect();
    assert_eq!(outcomes, ["temporary", "permanent"]);
}

/// One received request: its headers (names in lowercase) and its body.
type Request = (Vec<(String, String)>, Vec<u8>);

/// An HTTP receiver on loopback that answers 500 to the first request and 200 after, and
/// keeps each request's headers and body.
struct Receiver {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let kept = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    let (k, v) = l.split_once(':').unwrap();
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .map(|(_, v)| v.parse().unwrap())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let first = {
                    let mut all = kept.lock().unwrap();
                    all.push((headers, body));
                    all.len() == 1
                };
                let status = if first {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            }
        });
        Receiver { url, requests }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_signed_and_retried_after_a_500() {
    use hmac::{Hmac, Mac};
    let target = Target::file();
    let db = target.db().await;
    let (user, _) = user_with_a_digest(&db).await;
    let receiver = Receiver::start();
    let zone = TimeZone::parse("Pacific/Auckland").unwrap();
    let input = ReminderInput {
        email_on: false,
        webhook_url: Some(receiver.url.clone()),
        ..daily_at_eight()
    };
    let saved = db
        .reminders()
        .save(&user, &input, zone, at(T) - chrono::Duration::days(1))
        .await
        .unwrap();
    let secret = saved.webhook_secret.unwrap();
    let sink = SmtpSink::start(SinkMode::Accept);

    let o = target.run_once(&sink.url(), T).output().unwrap();
    assert!(ok(&o).contains("0 sent, 1 to retry"), "{}", text(&o.stdout));
    let o = target
        .run_once(&sink.url(), "2026-12-08T08:01:30+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("1 sent"), "{}", text(&o.stdout));
    assert!(sink.messages().is_empty(), "e-mail was switched off");

    let requests = receiver.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let header = |h: &[(String, String)], k: &str| {
        h.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k}"))
    };
    for (headers, body) in &requests {
        let ts = header(headers, "x-devhub-timestamp");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(body);
        let expected = format!("sha256={}", hex(&mac.finalize().into_bytes()));
        assert_eq!(header(headers, "x-devhub-signature"), expected);
        let json: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(json["type"], "digest");
        assert_eq!(
            json["due_today"][0]["detail"],
            "due today: send the compiler paper"
        );
        assert!(json["due_today"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://crm.example.com/contacts/"));
    }
    // The retry is the same delivery, with the same body.
    assert_eq!(
        header(&requests[0].0, "x-devhub-delivery"),
        header(&requests[1].0, "x-devhub-delivery")
    );
    assert_eq!(requests[0].1, requests[1].1);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_what_is_due_and_changes_nothing() {
    let target = Target::file();
    let db = target.db().await;
    let (user, _) = user_with_a_digest(&db).await;
    let before = db.reminders().get(&user).await.unwrap().next_digest_at;
    let mut command = target.devhub(&["reminders", "run-once", "--dry-run", "--now", T]);
    command.env("SMTP_URL", "smtp://127.0.0.1:9?tls=none");
    let o = command.output().unwrap();
    let out = ok(&o);
    assert!(out.contains("would send digest for reader"), "{out}");
    assert!(out.contains("by email"), "{out}");
    assert_eq!(
        count(&db, "SELECT count(*) FROM reminder_delivery").await,
        0
    );
    assert_eq!(
        db.reminders().get(&user).await.unwrap().next_digest_at,
        before
    );
    let mut command = target.devhub(&[
        "reminders",
        "run-once",
        "--dry-run",
        "--now",
        "2026-12-08T07:00:00+13:00",
    ]);
    command.env("SMTP_URL", "smtp://127.0.0.1:9?tls=none");
    assert!(ok(&command.output().unwrap()).contains("nothing is due"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_are_one_line_errors_with_exit_2() {
    let target = Target::file();
    let _db = target.db().await;
    let o = target
        .devhub(&["reminders", "run-once", "--now", "tomorrow"])
        .output()
        .unwrap();
    assert_one_line_failure(&o, 2, "--now must be a moment");
    let o = target
        .run_once("ftp://mail.example.com", T)
        .output()
        .unwrap();
    assert_one_line_failure(&o, 2, "SMTP_URL");
    let o = target
        .run_once("smtp://ada:hunter2@127.0.0.1:2525", T)
        .env_remove("SMTP_FROM")
        .output()
        .unwrap();
    assert_one_line_failure(&o, 2, "SMTP_FROM");
    assert!(!text(&o.stderr).contains("hunter2"));
    let o = target
        .devhub(&["serve", "--port", "0", "--smtp-url", "smtps://ada:hunter2@"])
        .output()
        .unwrap();
    assert_one_line_failure(&o, 2, "SMTP_URL");
    assert!(!text(&o.stderr).contains("hunter2"));
    // A database that was never migrated.
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_devhub"))
        .args(["reminders", "run-once"])
        .env("DATABASE_URL", format!("file:{}", path.display()))
        .env_remove("SMTP_URL")
        .env_remove("SMTP_FROM")
        .output()
        .unwrap();
    assert_one_line_failure(&o, 2, "devhub db migrate");
    let _ = Path::new(target.dir.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_follow_up_is_pushed_to_ntfy_on_its_day_unless_done_before() {
    let target = Target::file();
    let db = target.db().await;
    let (user, _) = user_with_a_digest(&db).await;
    let receiver = Receiver::start();
    let zone = TimeZone::parse("Pacific/Auckland").unwrap();
    let input = ReminderInput {
        frequency: Frequency::Off,
        follow_up_push: true,
        email_on: false,
        ntfy_url: Some(receiver.url.clone()),
        ..daily_at_eight()
    };
    db.reminders()
        .save(&user, &input, zone, at(T) - chrono::Duration::days(1))
        .await
        .unwrap();
    // A second follow-up that day, done before its push.
    let grace = first_contact(&db, &user).await;
    let done = FollowUpInput {
        due_date: "2026-12-08".into(),
        note: Some("already handled".into()),
    }
    .parse()
    .unwrap();
    let done = db.follow_ups().create(&user, &grace, &done).await.unwrap();
    db.follow_ups().complete(&user, &done.id).await.unwrap();
    let sink = SmtpSink::start(SinkMode::Accept);

    // At 07:00 there: nothing yet.
    let o = target
        .run_once(&sink.url(), "2026-12-08T07:00:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("0 planned"), "{}", text(&o.stdout));
    // At 08:00: the open one is pushed (the receiver's 500 makes it a retry), then sent.
    let o = target.run_once(&sink.url(), T).output().unwrap();
    assert!(
        ok(&o).contains("1 planned, 0 sent, 1 to retry"),
        "{}",
        text(&o.stdout)
    );
    let o = target
        .run_once(&sink.url(), "2026-12-08T08:05:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("1 sent"), "{}", text(&o.stdout));
    let requests = receiver.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let (headers, body) = &requests[1];
    let title = headers
        .iter()
        .find(|(k, _)| k == "title")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(title.starts_with("Follow-up due: Grace Hopper"), "{title}");
    let click = headers
        .iter()
        .find(|(k, _)| k == "click")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        click.starts_with("https://crm.example.com/contacts/"),
        "{click}"
    );
    let body = text(body);
    assert!(body.contains("send the compiler paper"), "{body}");
    assert!(!body.contains("already handled"), "{body}");
    assert!(sink.messages().is_empty());

    // Done between the planning and its turn: skipped, and said so in the record.
    let later = FollowUpInput {
        due_date: "2026-12-09".into(),
        note: None,
    }
    .parse()
    .unwrap();
    let later = db.follow_ups().create(&user, &grace, &later).await.unwrap();
    let o = target
        .devhub(&[
            "reminders",
            "run-once",
            "--dry-run",
            "--now",
            "2026-12-09T08:00:00+13:00",
        ])
        .env_remove("SMTP_FROM")
        .output()
        .unwrap();
    assert!(
        ok(&o).contains("would send follow-up due for reader"),
        "{}",
        text(&o.stdout)
    );
    let conn = db.conn().await.unwrap();
    // Plan it by hand as the scheduler would, then do the follow-up before the send.
    drop(conn);
    let planned = db
        .reminders()
        .plan_follow_ups(at("2026-12-09T08:00:00+13:00"))
        .await
        .unwrap();
    assert_eq!(planned, 1);
    db.follow_ups().complete(&user, &later.id).await.unwrap();
    let o = target
        .run_once(&sink.url(), "2026-12-09T08:00:30+13:00")
        .output()
        .unwrap();
    assert!(
        ok(&o).contains("0 sent, 0 to retry, 0 failed, 1 with nothing to send"),
        "{}",
        text(&o.stdout)
    );
    let rows = db.reminders().deliveries(&user, 10).await.unwrap();
    assert_eq!(rows[0].status, devhub_db::DeliveryStatus::Skipped);
    assert_eq!(
        rows[0].last_error.as_deref(),
        Some("the follow-up was done or moved")
    );
    assert_eq!(receiver.requests.lock().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_digest_lists_the_follow_ups_of_its_week() {
    let target = Target::file();
    let db = target.db().await;
    let (user, _) = user_with_a_digest(&db).await;
    let receiver = Receiver::start();
    let zone = TimeZone::parse("Pacific/Auckland").unwrap();
    let input = ReminderInput {
        frequency: Frequency::Weekly,
        email_on: false,
        webhook_url: Some(receiver.url.clone()),
        ..daily_at_eight()
    };
    db.reminders()
        .save(&user, &input, zone, at("2026-12-05T00:00:00Z"))
        .await
        .unwrap();
    let sink = SmtpSink::start(SinkMode::Accept);
    // Monday 7 December, 08:00 in Auckland: the week from then.
    let o = target
        .run_once(&sink.url(), "2026-12-07T08:00:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("1 planned"), "{}", text(&o.stdout));
    let requests = receiver.requests.lock().unwrap().clone();
    let json: serde_json::Value = serde_json::from_slice(&requests[0].1).unwrap();
    assert_eq!(json["kind"], "weekly");
    assert_eq!(json["date"], "Monday, December 7");
    assert_eq!(
        json["due_today"][0]["detail"],
        "due tomorrow: send the compiler paper"
    );
    assert!(
        json["subject"].as_str().unwrap().contains("due this week"),
        "{json}"
    );
    // Not again until the next Monday.
    let o = target
        .run_once(&sink.url(), "2026-12-10T08:00:00+13:00")
        .output()
        .unwrap();
    assert!(ok(&o).contains("0 planned"), "{}", text(&o.stdout));
}
