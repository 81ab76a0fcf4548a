//! Reminders pushed to a URL: a signed JSON webhook, or an ntfy-style plain-text POST.
//!
//! # The webhook
//!
//! `POST` to the user's URL with `Content-Type: application/json` and the body
//!
//! ```json
//! {"type": "digest", "kind": "daily", "username": "ada", "date": "Monday, December 7",
//!  "subject": "Monday, December 7: 1 due today",
//!  "due_today": [{"contact_id": "…", "name": "Grace Hopper",
//!                 "detail": "due today: call about the offer",
//!                 "url": "https://crm.example.com/contacts/…"}],
//!  "overdue": [], "birthdays": [], "reconnect": [], "more": 0,
//!  "delivery_id": "…"}
//! ```
//!
//! `type` is `digest` (`kind` `daily` or `weekly`), `follow_up` (one follow-up that fell due)
//! or `test`. Three headers come with it:
//!
//! - `X-Devhub-Delivery`: the delivery id, the same on every retry of one delivery (a receiver
//!   that has seen it may answer 2xx and drop the copy);
//! - `X-Devhub-Timestamp`: the time of this attempt, in Unix seconds;
//! - `X-Devhub-Signature`: `sha256=` and the lowercase hex HMAC-SHA256, keyed with the
//!   user's webhook secret, of the timestamp, a `.`, and the raw body bytes
//!   (`"{timestamp}.{body}"`).
//!
//! A receiver recomputes the signature over the raw body, compares in constant time, and
//! refuses a timestamp more than a few minutes old (a replayed request). It answers 2xx when it
//! took the reminder; 5xx, 408 and 429 make Developer Hub try again later, any other answer
//! (including a redirect, which is not followed) is final.
//!
//! # ntfy
//!
//! `POST` to the topic URL (`https://ntfy.sh/my-secret-topic` or a self-hosted server) with a
//! plain-text body, one line per contact, and the headers `Title` (the subject), `Click` (the
//! contact's page when there is one contact, else the dashboard) and `Tags`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use serde_json::json;
use sha2::Sha256;

use super::content::{Item, Kind, Links, Reminder};
use super::outcome::Outcome;

/// How long one push may take in all.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a receiver's answer that is read (the rest is left unread).
const ANSWER_MAX: usize = 4096;

/// Pushes reminders over HTTP(S). Holds one client: cheap to clone.
#[derive(Debug, Clone)]
pub struct Pusher {
    client: reqwest::Client,
}

impl Default for Pusher {
    fn default() -> Self {
        Pusher::new()
    }
}

impl Pusher {
    /// A client with rustls, a 10 s timeout (5 s to connect), and redirects not followed.
    pub fn new() -> Pusher {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("devhub-reminders/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Pusher { client }
    }

    /// Posts the reminder as signed JSON (the scheme is in the module's documentation).
    pub async fn webhook(
        &self,
        url: &str,
        secret: &str,
        r: &Reminder,
        links: &Links,
        delivery_id: &str,
        now: DateTime<Utc>,
    ) -> Outcome {
        let url = match http_url(url) {
            Ok(url) => url,
            Err(outcome) => return outcome,
        };
        let body = webhook_body(r, links, delivery_id);
        let timestamp = now.timestamp().to_string();
        let signature = sign(secret, &timestamp, body.as_bytes());
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header("X-Devhub-Delivery", header_value(delivery_id))
            .header("X-Devhub-Timestamp", timestamp)
            .header("X-Devhub-Signature", format!("sha256={signature}"))
            .body(body);
        answer(request.send().await).await
    }

    /// Posts the reminder as ntfy does it: a plain-text body and `Title`, `Click`, `Tags`.
    pub async fn ntfy(&self, url: &str, r: &Reminder, links: &Links) -> Outcome {
        let url = match http_url(url) {
            Ok(url) => url,
            Err(outcome) => return outcome,
        };
        let click = match r.only_item() {
            Some(item) => Reminder::contact_url(links, &item.contact_id),
            None => links.dashboard(),
        };
        let tags = match r.kind {
            Kind::Test => "bell,white_check_mark",
            _ if r.only_item().is_some() && !r.birthdays.is_empty() => "bell,birthday",
            _ => "bell",
        };
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .header("Title", header_value(&r.subject()))
            .header("Click", header_value(&click))
            .header("Tags", tags)
            .body(ntfy_body(r));
        answer(request.send().await).await
    }
}

/// The JSON body of a webhook.
pub fn webhook_body(r: &Reminder, links: &Links, delivery_id: &str) -> String {
    let list = |items: &[Item]| {
        items
            .iter()
            .map(|item| {
                json!({
                    "contact_id": item.contact_id,
                    "name": item.name,
                    "detail": item.detail,
                    "url": Reminder::contact_url(links, &item.contact_id),
                })
            })
            .collect::<Vec<_>>()
    };
    json!({
        "type": r.kind.push_type(),
        "kind": r.kind.name(),
        "username": r.username,
        "date": r.date_label,
        "subject": r.subject(),
        "due_today": list(&r.due_today),
        "overdue": list(&r.overdue),
        "birthdays": list(&r.birthdays),
        "reconnect": list(&r.reconnect),
        "more": r.more,
        "delivery_id": delivery_id,
    })
    .to_string()
}

/// The lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"` keyed with `secret`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The text of an ntfy push: one line per contact, under the list it belongs to.
pub fn ntfy_body(r: &Reminder) -> String {
    let mut lines = Vec::new();
    if r.kind == Kind::Test {
        lines.push("Test reminder: if you can read this, pushes reach you.".to_string());
    }
    let lists: [(&str, &[Item]); 4] = [
        ("Due today", &r.due_today),
        ("Overdue", &r.overdue),
        ("Birthdays", &r.birthdays),
        ("Reconnect", &r.reconnect),
    ];
    for (title, items) in lists {
        for item in items {
            lines.push(super::content::one_line(
                &format!("{title} · {}: {}", item.name, item.detail),
                200,
            ));
        }
    }
    if r.more > 0 {
        lines.push(format!("…and {} more", r.more));
    }
    if lines.is_empty() {
        lines.push("Nothing due.".to_string());
    }
    // ntfy keeps messages up to 4096 bytes.
    let mut body = String::new();
    for line in lines {
        if body.len() + line.len() + 1 > 4000 {
            body.push('…');
            break;
        }
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(&line);
    }
    body
}

/// The URL when it is http(s), else a permanent failure.
fn http_url(url: &str) -> Result<reqwest::Url, Outcome> {
    match reqwest::Url::parse(url.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Ok(url),
        Ok(url) => Err(Outcome::permanent(format!(
            "the push URL must start with http:// or https:// (it starts with {}:)",
            url.scheme()
        ))),
        Err(e) => Err(Outcome::permanent(format!(
            "the push URL is not valid: {e}"
        ))),
    }
}

/// A header value from any text: ASCII as it is, anything else as an RFC 2047 encoded word
/// (which ntfy decodes).
fn header_value(text: &str) -> HeaderValue {
    let line = super::content::one_line(text, 250);
    if line.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        if let Ok(value) = HeaderValue::from_str(&line) {
            return value;
        }
    }
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(line.as_bytes());
    HeaderValue::from_str(&format!("=?UTF-8?B?{encoded}?=")).unwrap_or(HeaderValue::from_static(""))
}

/// The outcome of a request: the status decides, the answer's first line is kept.
async fn answer(result: Result<reqwest::Response, reqwest::Error>) -> Outcome {
    let mut response = match result {
        Ok(response) => response,
        Err(e) => return Outcome::temporary(describe(e)),
    };
    let status = response.status();
    let mut body = Vec::new();
    while body.len() < ANSWER_MAX {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ANSWER_MAX);
    let text = String::from_utf8_lossy(&body);
    let mut line = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    if status.is_redirection() {
        line.push_str(": redirects are not followed; use the final address");
    } else if !text.trim().is_empty() {
        line.push_str(": ");
        line.push_str(text.trim());
    }
    Outcome::of_http_status(status.as_u16(), line.trim())
}

/// What went wrong, without the URL (which may carry a token): "timed out", "connection
/// refused", …
fn describe(e: reqwest::Error) -> String {
    use std::error::Error as _;
    let what = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let e = e.without_url();
    let mut line = what;
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line
}
