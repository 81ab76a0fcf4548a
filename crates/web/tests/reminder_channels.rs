//! The reminder channels against real servers on loopback: an SMTP server (aiosmtpd, started
//! by the test) that receives, refuses or stalls, and HTTP receivers (axum) that check the
//! webhook signature the way a user's endpoint would.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use chrono::{TimeZone, Utc};
use devhub_web::reminders::{Item, Kind, Links, Mailer, Outcome, Pusher, Reminder};
use hmac::{Hmac, Mac};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use sha2::Sha256;
use support::{SinkMode, SmtpSink};

const FROM: &str = "Developer Hub <reminders@crm.example.com>";
const TO: &str = "ada@example.org";

fn item(id: &str, name: &str, detail: &str) -> Item {
    Item {
        contact_id: id.into(),
        name: name.into(),
        detail: detail.into(),
    }
}

fn digest() -> Reminder {
    Reminder {
        kind: Kind::Daily,
        username: "ada".into(),
        date_label: "Monday, December 7".into(),
        due_today: vec![item(
            "0193a1b2-0001-7000-8000-000000000001",
            "Grace Hopper",
            "due today: call about the offer",
        )],
        overdue: vec![item(
            "0193a1b2-0002-7000-8000-000000000002",
            "<script>alert(1)</script> & \"Bob\"",
            "3 days overdue: send the <b>contract</b>",
        )],
        birthdays: vec![item(
            "0193a1b2-0003-7000-8000-000000000003",
            "Zoë Ångström",
            "turns 40 on Wed, Dec 9",
        )],
        reconnect: vec![item(
            "0193a1b2-0004-7000-8000-000000000004",
            "Linus",
            "45 days since you last talked (every 30)",
        )],
        more: 2,
    }
}

fn links() -> Links {
    Links {
        base: "https://crm.example.com".into(),
        unsubscribe: Some("https://crm.example.com/reminders/unsubscribe/tok3n-abc".into()),
        settings: "https://crm.example.com/settings/reminders".into(),
    }
}

fn all_items(r: &Reminder) -> Vec<&Item> {
    r.due_today
        .iter()
        .chain(&r.overdue)
        .chain(&r.birthdays)
        .chain(&r.reconnect)
        .collect()
}

fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(&sink.url(), FROM).unwrap()
}

/// The text/plain and text/html parts of a multipart/alternative message (as sent, not
/// derived one from the other by the parser).
fn parts(message: &mail_parser::Message<'_>) -> (String, String) {
    let root = message.root_part().content_type().unwrap();
    assert_eq!(root.ctype(), "multipart");
    assert_eq!(root.subtype(), Some("alternative"));
    let mut text = Vec::new();
    let mut html = Vec::new();
    for part in &message.parts {
        match &part.body {
            PartType::Text(body) => text.push(body.to_string()),
            PartType::Html(body) => html.push(body.to_string()),
            _ => {}
        }
    }
    assert_eq!(
        (text.len(), html.len()),
        (1, 1),
        "one text and one HTML part"
    );
    (text.remove(0), html.remove(0))
}

#[tokio::test]
async fn a_digest_arrives_with_both_parts_every_contact_linked_and_one_click_unsubscribe() {
    let sink = SmtpSink::start(SinkMode::Accept);
    let r = digest();
    let links = links();
    let outcome = mailer(&sink)
        .send_reminder(TO, &r, &links, "<0193a1b2-d1@crm.example.com>")
        .await;
    let Outcome::Sent { response } = &outcome else {
        panic!("not sent: {outcome:?}")
    };
    assert!(response.starts_with("250"), "{response}");
    assert!(response.contains("queued as 0001"), "{response}");

    let raw = sink.messages();
    assert_eq!(raw.len(), 1);
    let message = MessageParser::default().parse(&raw[0]).unwrap();
    let from = message.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("reminders@crm.example.com"));
    assert_eq!(from.name(), Some("Developer Hub"));
    assert_eq!(
        message.to().unwrap().first().unwrap().address(),
        Some("ada@example.org")
    );
    assert_eq!(message.subject(), Some(r.subject().as_str()));
    assert_eq!(
        message.subject(),
        Some("Monday, December 7: 1 due today, 1 overdue, 1 birthday, 1 to reconnect with, 2 more")
    );
    assert_eq!(message.message_id(), Some("0193a1b2-d1@crm.example.com"));
    let date = message.date().unwrap().to_timestamp();
    assert!((date - Utc::now().timestamp()).abs() < 300, "Date: {date}");
    assert_eq!(
        message.header_raw("List-Unsubscribe").map(str::trim),
        Some("<https://crm.example.com/reminders/unsubscribe/tok3n-abc>")
    );
    assert_eq!(
        message.header_raw("List-Unsubscribe-Post").map(str::trim),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        message.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );

    let (text, html) = parts(&message);
    if let Ok(path) = std::env::var("REMINDER_MAIL_PREVIEW") {
        std::fs::write(format!("{path}.txt"), &text).unwrap();
        std::fs::write(path, &html).unwrap();
    }
    for item in all_items(&r) {
        let url = format!("https://crm.example.com/contacts/{}", item.contact_id);
        assert!(text.contains(&url), "{url} in the text part:\n{text}");
        assert!(
            html.contains(&format!("href=\"{url}\"")),
            "{url} linked in the HTML part:\n{html}"
        );
        assert!(text.contains(&item.detail), "{}", item.detail);
    }
    assert!(text.contains("Zoë Ångström"), "{text}");
    assert!(html.contains("Zoë Ångström"), "{html}");
    for part in [&text, &html] {
        assert!(part.contains("https://crm.example.com/reminders/unsubscribe/tok3n-abc"));
        assert!(part.contains("https://crm.example.com/settings/reminders"));
        assert!(part.contains("2 more"), "{part}");
    }
    // The text part is plain: the names stay as written.
    assert!(
        text.contains("<script>alert(1)</script> & \"Bob\""),
        "{text}"
    );
    // The HTML part escapes them: read back, every link shows the name exactly as written,
    // and no element came from a name or a detail.
    let doc = scraper::Html::parse_document(&html);
    for item in all_items(&r) {
        let url = format!("https://crm.example.com/contacts/{}", item.contact_id);
        let selector = scraper::Selector::parse(&format!("a[href=\"{url}\"]")).unwrap();
        let link = doc.select(&selector).next().unwrap();
        assert_eq!(link.text().collect::<String>(), item.name);
    }
    for tag in ["script", "b"] {
        let selector = scraper::Selector::parse(tag).unwrap();
        assert_eq!(
            doc.select(&selector).count(),
            0,
            "a <{tag}> element:\n{html}"
        );
    }
    assert!(
        html.contains("3 days overdue: send the &#60;b&#62;contract&#60;/b&#62;")
            || html.contains("send the &lt;b&gt;contract"),
        "{html}"
    );
}

#[tokio::test]
async fn without_an_unsubscribe_link_there_is_no_list_unsubscribe_header() {
    let sink = SmtpSink::start(SinkMode::Accept);
    let mut links = links();
    links.unsubscribe = None;
    let outcome = mailer(&sink)
        .send_reminder(TO, &digest(), &links, "<d2@crm.example.com>")
        .await;
    assert!(outcome.is_sent(), "{outcome:?}");
    let raw = sink.messages();
    let message = MessageParser::default().parse(&raw[0]).unwrap();
    assert_eq!(message.header_raw("List-Unsubscribe"), None);
    assert_eq!(message.header_raw("List-Unsubscribe-Post"), None);
    let (text, html) = parts(&message);
    assert!(!text.contains("Unsubscribe"));
    assert!(!html.contains("Unsubscribe"));
}

#[tokio::test]
async fn a_retry_of_one_delivery_carries_the_same_message_id() {
    let sink = SmtpSink::start(SinkMode::Accept);
    let mailer = mailer(&sink);
    for _ in 0..2 {
        let outcome = mailer
            .send_reminder(TO, &digest(), &links(), "<same-delivery@crm.example.com>")
            .await;
        assert!(outcome.is_sent(), "{outcome:?}");
    }
    let raw = sink.messages();
    assert_eq!(raw.len(), 2);
    for bytes in &raw {
        let message = MessageParser::default().parse(bytes).unwrap();
        assert_eq!(message.message_id(), Some("same-delivery@crm.example.com"));
    }
}

#[tokio::test]
async fn a_plain_message_arrives_with_its_subject_and_both_parts() {
    let sink = SmtpSink::start(SinkMode::Accept);
    let link = "https://crm.example.com/reminders/confirm/c0nfirm";
    let outcome = mailer(&sink)
        .send_plain(
            TO,
            "Confirm your address for reminders",
            &format!("Open this link to confirm: {link}"),
            &format!("<p><a href=\"{link}\">Confirm</a></p>"),
            "<confirm-1@crm.example.com>",
        )
        .await;
    assert!(outcome.is_sent(), "{outcome:?}");
    let raw = sink.messages();
    let message = MessageParser::default().parse(&raw[0]).unwrap();
    assert_eq!(
        message.subject(),
        Some("Confirm your address for reminders")
    );
    assert_eq!(message.message_id(), Some("confirm-1@crm.example.com"));
    let (text, html) = parts(&message);
    assert!(text.contains(link));
    assert!(html.contains(&format!("href=\"{link}\"")));
}

#[tokio::test]
async fn a_temporary_refusal_is_temporary_with_the_servers_words() {
    let sink = SmtpSink::start(SinkMode::Tempfail);
    let outcome = mailer(&sink)
        .send_reminder(TO, &digest(), &links(), "<t@crm.example.com>")
        .await;
    eprintln!("{outcome:?}");
    let Outcome::Temporary { response } = &outcome else {
        panic!("not temporary: {outcome:?}")
    };
    assert!(response.starts_with("451"), "{response}");
    assert!(response.contains("try again later"), "{response}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_permanent_refusal_is_permanent_with_the_servers_words() {
    let sink = SmtpSink::start(SinkMode::Permfail);
    let outcome = mailer(&sink)
        .send_reminder(TO, &digest(), &links(), "<p@crm.example.com>")
        .await;
    let Outcome::Permanent { response } = &outcome else {
        panic!("not permanent: {outcome:?}")
    };
    assert!(response.starts_with("550"), "{response}");
    assert!(response.contains("No such mailbox"), "{response}");
}

#[tokio::test]
async fn a_server_that_stalls_ends_as_temporary_after_the_timeout() {
    let sink = SmtpSink::start(SinkMode::Stall);
    let started = std::time::Instant::now();
    let outcome = mailer(&sink)
        .with_timeout(Duration::from_secs(2))
        .send_reminder(TO, &digest(), &links(), "<s@crm.example.com>")
        .await;
    let elapsed = started.elapsed();
    eprintln!("{outcome:?}");
    assert!(outcome.is_temporary(), "{outcome:?}");
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert!(
        outcome.response().contains("127.0.0.1"),
        "{}",
        outcome.response()
    );
}

/// A loopback port held (bound, not listening) while the socket lives: a connection to it is
/// refused, and no other test's server can take it meanwhile.
fn port_nobody_listens_on() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

#[tokio::test]
async fn nothing_listening_is_temporary() {
    let (_socket, port) = port_nobody_listens_on();
    let mailer = Mailer::new(&format!("smtp://127.0.0.1:{port}?tls=none"), FROM).unwrap();
    let outcome = mailer
        .send_reminder(TO, &digest(), &links(), "<n@crm.example.com>")
        .await;
    eprintln!("{outcome:?}");
    assert!(outcome.is_temporary(), "{outcome:?}");
    assert!(
        outcome.response().to_lowercase().contains("refused"),
        "{}",
        outcome.response()
    );
}

#[tokio::test]
async fn starttls_is_required_unless_the_url_says_tls_none() {
    // The sink offers no STARTTLS: smtp:// (STARTTLS required) does not fall back to plain.
    let sink = SmtpSink::start(SinkMode::Accept);
    let mailer = Mailer::new(&format!("smtp://127.0.0.1:{}", sink.port), FROM).unwrap();
    let outcome = mailer
        .send_reminder(TO, &digest(), &links(), "<tls@crm.example.com>")
        .await;
    eprintln!("{outcome:?}");
    assert!(outcome.is_temporary(), "{outcome:?}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_recipient_that_is_not_an_address_is_permanent() {
    let sink = SmtpSink::start(SinkMode::Accept);
    let outcome = mailer(&sink)
        .send_reminder("not an address", &digest(), &links(), "<r@crm.example.com>")
        .await;
    assert_eq!(outcome.label(), "permanent", "{outcome:?}");
    assert!(outcome.response().contains("not a valid e-mail address"));
}

#[test]
fn bad_smtp_urls_are_refused_with_a_clear_message_and_never_the_password() {
    let cases = [
        (
            "ftp://user:hunter2secret@mail.example.com",
            "smtp:// or smtps://",
        ),
        ("smtp://user:hunter2secret@:587", "host"),
        ("smtp://", "host"),
        ("smtp://user:hunter2secret@mail.example.com:99999", "port"),
        ("smtp://user:hunter2secret@mail.example.com:abc", "port"),
        ("smtp://user:hunter2secret@mail.example.com:0", "port"),
        ("mail.example.com", "URL"),
        (
            "smtp://user:hunter2secret@mail.example.com?tls=maybe",
            "tls=maybe",
        ),
        (
            "smtps://user:hunter2secret@mail.example.com?tls=none",
            "smtps://",
        ),
        (
            "smtp://user:hunter2secret@mail.example.com?tls=none",
            "unencrypted",
        ),
        ("smtp://user:hunter2secret@mail.example.com/path", "path"),
        ("smtp://:hunter2secret@mail.example.com", "user name"),
    ];
    for (url, expected) in cases {
        let err = Mailer::new(url, FROM).unwrap_err();
        assert!(err.contains(expected), "{url}: {err}");
        assert!(!err.contains("hunter2secret"), "{url}: {err}");
        assert!(!err.contains('\n'), "{url}: {err}");
    }
    let err = Mailer::new("smtp://mail.example.com", "not an address").unwrap_err();
    assert!(err.contains("sender address"), "{err}");

    let mailer = Mailer::new(
        "smtps://ada%40example.com:hunter2secret@smtp.example.com:465",
        FROM,
    )
    .unwrap();
    let debug = format!("{mailer:?}");
    assert!(!debug.contains("hunter2secret"), "{debug}");
    assert!(debug.contains("ada@example.com"), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
    assert_eq!(mailer.server(), "smtp.example.com:465 (TLS)");
}

// ---- Webhook and ntfy -------------------------------------------------------------------

const SECRET: &str = "whsec-7f3a9c";

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Hit {
    headers: HeaderMap,
    body: Bytes,
    signature_ok: bool,
}

/// A user's endpoint: checks the signature with its own HMAC, answers the queued statuses in
/// turn (200 once they run out), or 401 to a bad signature.
struct Receiver {
    secret: String,
    answers: Mutex<VecDeque<u16>>,
    hits: Mutex<Vec<Hit>>,
    delay: Duration,
}

async fn receive(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    tokio::time::sleep(rx.delay).await;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let timestamp = header("x-devhub-timestamp");
    let mut mac = Hmac::<Sha256>::new_from_slice(rx.secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&body);
    let expected = mac.finalize().into_bytes();
    let given = header("x-devhub-signature");
    let signature_ok = given
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .is_some_and(|given| given.as_slice() == expected.as_slice());
    rx.hits.lock().unwrap().push(Hit {
        headers: headers.clone(),
        body: body.clone(),
        signature_ok,
    });
    if !signature_ok && !headers.contains_key("title") {
        return StatusCode::UNAUTHORIZED;
    }
    let status = rx.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

async fn receiver(answers: &[u16], delay: Duration) -> (String, Arc<Receiver>) {
    let rx = Arc::new(Receiver {
        secret: SECRET.to_string(),
        answers: Mutex::new(answers.iter().copied().collect()),
        hits: Mutex::new(Vec::new()),
        delay,
    });
    let app = Router::new()
        .route("/hook", axum::routing::post(receive))
        .route(
            "/moved",
            axum::routing::post(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [("location", "/hook")],
                    "moved",
                )
            }),
        )
        .with_state(rx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), rx)
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap()
}

#[tokio::test]
async fn a_webhook_is_signed_and_a_5xx_is_temporary_then_the_retry_is_sent() {
    let (base, rx) = receiver(&[500], Duration::ZERO).await;
    let url = format!("{base}/hook");
    let pusher = Pusher::new();
    let r = digest();
    let first = pusher
        .webhook(&url, SECRET, &r, &links(), "dlv-0193", now())
        .await;
    assert!(first.is_temporary(), "{first:?}");
    assert!(first.response().starts_with("500"), "{first:?}");
    let second = pusher
        .webhook(&url, SECRET, &r, &links(), "dlv-0193", now())
        .await;
    assert!(second.is_sent(), "{second:?}");
    assert!(second.response().starts_with("200"), "{second:?}");

    let hits = rx.hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 2);
    for hit in &hits {
        assert!(hit.signature_ok, "the receiver's own HMAC matches");
        let h = |name: &str| hit.headers.get(name).unwrap().to_str().unwrap().to_string();
        assert_eq!(h("content-type"), "application/json");
        assert_eq!(h("x-devhub-delivery"), "dlv-0193");
        assert_eq!(h("x-devhub-timestamp"), now().timestamp().to_string());
        let body: serde_json::Value = serde_json::from_slice(&hit.body).unwrap();
        assert_eq!(body["type"], "digest");
        assert_eq!(body["kind"], "daily");
        assert_eq!(body["username"], "ada");
        assert_eq!(body["date"], "Monday, December 7");
        assert_eq!(body["delivery_id"], "dlv-0193");
        assert_eq!(body["more"], 2);
        for (list, items) in [
            ("due_today", &r.due_today),
            ("overdue", &r.overdue),
            ("birthdays", &r.birthdays),
            ("reconnect", &r.reconnect),
        ] {
            let got = body[list].as_array().unwrap();
            assert_eq!(got.len(), items.len(), "{list}");
            for (g, item) in got.iter().zip(items) {
                assert_eq!(g["contact_id"], item.contact_id.as_str());
                assert_eq!(g["name"], item.name.as_str());
                assert_eq!(g["detail"], item.detail.as_str());
                assert_eq!(
                    g["url"],
                    format!("https://crm.example.com/contacts/{}", item.contact_id)
                );
            }
        }
    }
    // A retry is the same request: same delivery id and the same body.
    assert_eq!(hits[0].body, hits[1].body);
}

#[tokio::test]
async fn a_webhook_signed_with_another_secret_is_refused_by_the_receiver() {
    let (base, rx) = receiver(&[], Duration::ZERO).await;
    let url = format!("{base}/hook");
    let pusher = Pusher::new();
    let r = digest();
    let good = pusher
        .webhook(&url, SECRET, &r, &links(), "dlv-1", now())
        .await;
    assert!(good.is_sent(), "{good:?}");
    let bad = pusher
        .webhook(&url, "not-the-secret", &r, &links(), "dlv-1", now())
        .await;
    assert_eq!(bad.label(), "permanent", "{bad:?}");
    assert!(bad.response().starts_with("401"), "{bad:?}");
    let hits = rx.hits.lock().unwrap().clone();
    assert!(hits[0].signature_ok);
    assert!(!hits[1].signature_ok);
    assert_eq!(hits[0].body, hits[1].body);
    assert_ne!(
        hits[0].headers["x-devhub-signature"],
        hits[1].headers["x-devhub-signature"]
    );
    // The secret itself is never sent.
    for hit in &hits {
        let everything = format!("{:?}{:?}", hit.headers, hit.body);
        assert!(!everything.contains(SECRET));
        assert!(!everything.contains("not-the-secret"));
    }
}

#[tokio::test]
async fn http_answers_are_classified() {
    let (base, _rx) = receiver(&[404, 410, 429, 408, 503, 400], Duration::ZERO).await;
    let url = format!("{base}/hook");
    let pusher = Pusher::new();
    let mut labels = Vec::new();
    for _ in 0..6 {
        let outcome = pusher
            .webhook(&url, SECRET, &digest(), &links(), "dlv-2", now())
            .await;
        labels.push(outcome.label());
    }
    assert_eq!(
        labels,
        [
            "permanent",
            "permanent",
            "temporary",
            "temporary",
            "temporary",
            "permanent"
        ]
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_is_permanent() {
    let (base, rx) = receiver(&[], Duration::ZERO).await;
    let outcome = Pusher::new()
        .webhook(
            &format!("{base}/moved"),
            SECRET,
            &digest(),
            &links(),
            "dlv-3",
            now(),
        )
        .await;
    assert_eq!(outcome.label(), "permanent", "{outcome:?}");
    assert!(outcome.response().starts_with("301"), "{outcome:?}");
    assert!(
        rx.hits.lock().unwrap().is_empty(),
        "the redirect was followed"
    );
}

#[tokio::test]
async fn urls_that_are_not_http_are_permanent() {
    let pusher = Pusher::new();
    for url in [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "not a url",
        "",
    ] {
        let outcome = pusher
            .webhook(url, SECRET, &digest(), &links(), "dlv-4", now())
            .await;
        assert_eq!(outcome.label(), "permanent", "{url}: {outcome:?}");
        assert!(outcome.response().contains("URL"), "{url}: {outcome:?}");
        let outcome = pusher.ntfy(url, &digest(), &links()).await;
        assert_eq!(outcome.label(), "permanent", "{url}: {outcome:?}");
    }
}

#[tokio::test]
async fn nobody_listening_is_temporary_and_the_url_is_not_repeated() {
    let (_socket, port) = port_nobody_listens_on();
    let url = format!("http://127.0.0.1:{port}/hook/sekret-topic-token");
    let outcome = Pusher::new().ntfy(&url, &digest(), &links()).await;
    assert!(outcome.is_temporary(), "{outcome:?}");
    assert!(
        !outcome.response().contains("sekret-topic-token"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_is_temporary() {
    let (base, _rx) = receiver(&[], Duration::from_secs(30)).await;
    let started = std::time::Instant::now();
    let outcome = Pusher::new()
        .webhook(
            &format!("{base}/hook"),
            SECRET,
            &digest(),
            &links(),
            "dlv-5",
            now(),
        )
        .await;
    assert!(outcome.is_temporary(), "{outcome:?}");
    assert!(outcome.response().contains("no answer"), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[tokio::test]
async fn an_ntfy_push_has_a_title_a_click_target_and_one_line_per_contact() {
    let (base, rx) = receiver(&[], Duration::ZERO).await;
    let url = format!("{base}/hook");
    let pusher = Pusher::new();
    let r = digest();
    let outcome = pusher.ntfy(&url, &r, &links()).await;
    assert!(outcome.is_sent(), "{outcome:?}");

    // One follow-up: the click opens that contact.
    let single = Reminder {
        kind: Kind::FollowUpDue,
        due_today: vec![item(
            "c-42",
            "Grace Hopper",
            "due today: call about the offer",
        )],
        overdue: vec![],
        birthdays: vec![],
        reconnect: vec![],
        more: 0,
        ..digest()
    };
    assert!(pusher.ntfy(&url, &single, &links()).await.is_sent());

    let hits = rx.hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 2);
    let h = |hit: &Hit, name: &str| hit.headers.get(name).unwrap().to_str().unwrap().to_string();

    let digest_hit = &hits[0];
    assert!(h(digest_hit, "content-type").starts_with("text/plain"));
    assert_eq!(h(digest_hit, "title"), r.subject());
    assert_eq!(h(digest_hit, "click"), "https://crm.example.com/");
    assert_eq!(h(digest_hit, "tags"), "bell");
    let body = String::from_utf8(digest_hit.body.to_vec()).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines,
        [
            "Due today · Grace Hopper: due today: call about the offer",
            "Overdue · <script>alert(1)</script> & \"Bob\": 3 days overdue: send the <b>contract</b>",
            "Birthdays · Zoë Ångström: turns 40 on Wed, Dec 9",
            "Reconnect · Linus: 45 days since you last talked (every 30)",
            "…and 2 more",
        ]
    );

    let single_hit = &hits[1];
    assert_eq!(h(single_hit, "title"), "Follow-up due: Grace Hopper");
    assert_eq!(
        h(single_hit, "click"),
        "https://crm.example.com/contacts/c-42"
    );
    assert_eq!(
        String::from_utf8(single_hit.body.to_vec()).unwrap(),
        "Due today · Grace Hopper: due today: call about the offer"
    );
}

#[tokio::test]
async fn a_title_with_non_ascii_letters_is_sent_as_an_encoded_word() {
    let (base, rx) = receiver(&[], Duration::ZERO).await;
    let r = Reminder {
        kind: Kind::FollowUpDue,
        due_today: vec![item("c-1", "Zoë", "due today")],
        overdue: vec![],
        birthdays: vec![],
        reconnect: vec![],
        more: 0,
        ..digest()
    };
    assert!(Pusher::new()
        .ntfy(&format!("{base}/hook"), &r, &links())
        .await
        .is_sent());
    let hits = rx.hits.lock().unwrap().clone();
    let title = hits[0].headers["title"].to_str().unwrap().to_string();
    let encoded = title
        .strip_prefix("=?UTF-8?B?")
        .and_then(|t| t.strip_suffix("?="))
        .unwrap();
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), "Follow-up due: Zoë");
}

#[tokio::test]
async fn a_failed_tls_handshake_is_temporary() {
    // smtps:// to a server that speaks plain SMTP: the handshake reads "220 …" and fails.
    let sink = SmtpSink::start(SinkMode::Accept);
    let mailer = Mailer::new(&format!("smtps://127.0.0.1:{}", sink.port), FROM).unwrap();
    let outcome = mailer
        .with_timeout(Duration::from_secs(5))
        .send_reminder(TO, &digest(), &links(), "<tls2@crm.example.com>")
        .await;
    eprintln!("{outcome:?}");
    assert!(outcome.is_temporary(), "{outcome:?}");
    assert!(sink.messages().is_empty());
}
