//! The private calendar feed: `GET /calendar/{token}.ics`, an iCalendar (RFC 5545) document
//! that calendar apps subscribe to. It holds each active contact's birthday as a yearly
//! all-day event and each open follow-up as an all-day event on its due date.
//!
//! The URL is the credential: only the sha256 of its token is stored (`user_settings`), and
//! an unknown or revoked token gets the 404 page. UIDs are derived from the rows' ids, so a
//! calendar app that fetches the feed again updates its events instead of duplicating them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use devhub_db::repo::contact::ContactBirthday;
use devhub_db::{sha256_hex, FollowUpWithContact, UserId};
use icalendar::{Calendar, Component, EventLike, Property};

use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/calendar/{file}", get(feed))
}

/// The path of a feed whose token is `token`.
pub fn feed_path(token: &str) -> String {
    format!("/calendar/{token}.ics")
}

/// `https://host` of the links the app gives out (the feed's address, the events' links back
/// to the contact): `PUBLIC_URL` when set, else the request's `Host` (kept only when it looks
/// like a host name, so that a forged header cannot inject markup or another scheme).
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost:3000");
    let scheme = if state.settings.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// At most this many feeds are kept (the oldest go first).
const FEEDS_KEPT: usize = 32;

/// Recently rendered feeds, per user and base address, on this instance, each served again for
/// `Settings::feed_fresh` (five minutes). Calendar apps poll a subscription every hour at
/// most, so nobody sees the delay, and a feed of tens of thousands of birthdays is rendered
/// once per few minutes instead of on every poll. A revoked token stops at once all the same:
/// the token is looked up on every request.
#[derive(Default)]
pub struct FeedCache {
    feeds: Mutex<HashMap<(UserId, String), (Instant, Feed)>>,
    /// One rendering at a time: the requests that miss together wait for it instead of each
    /// rendering (and holding) a feed of their own.
    rendering: tokio::sync::Mutex<()>,
}

impl FeedCache {
    fn get(&self, key: &(UserId, String), fresh: Duration) -> Option<Feed> {
        let feeds = self.feeds.lock().ok()?;
        let (at, feed) = feeds.get(key)?;
        (at.elapsed() < fresh).then(|| feed.clone())
    }

    fn put(&self, key: (UserId, String), feed: Feed, fresh: Duration) {
        if fresh.is_zero() {
            return;
        }
        let Ok(mut feeds) = self.feeds.lock() else {
            return;
        };
        feeds.retain(|_, (at, _)| at.elapsed() < fresh);
        while feeds.len() >= FEEDS_KEPT {
            let Some(oldest) = feeds
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            feeds.remove(&oldest);
        }
        feeds.insert(key, (Instant::now(), feed));
    }
}

/// The domain part of every UID: the same on every server, so that a moved installation
/// keeps updating the same events.
const UID_DOMAIN: &str = "devhub-crm";

async fn feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    if token.is_empty() {
        return Err(AppError::NotFound);
    }
    let user = state
        .db
        .user_settings()
        .user_for_calendar_token(&sha256_hex(token))
        .await?
        .ok_or(AppError::NotFound)?;
    let key = (user, base_url(&state, &headers));
    let fresh = state.settings.feed_fresh;
    let feed = match state.feeds.get(&key, fresh) {
        Some(feed) => feed,
        None => {
            let _rendering = state.feeds.rendering.lock().await;
            match state.feeds.get(&key, fresh) {
                Some(feed) => feed,
                None => {
                    let feed = build(&state, &key.0, &key.1).await?;
                    state.feeds.put(key, feed.clone(), fresh);
                    feed
                }
            }
        }
    };
    let unchanged = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == feed.etag);
    let gzip = accepts_gzip(&headers);
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        (StatusCode::OK, feed.gzip).into_response()
    } else {
        (StatusCode::OK, feed.plain).into_response()
    };
    let headers = response.headers_mut();
    if gzip && !unchanged {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(etag) = HeaderValue::from_str(&feed.etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"developer-hub.ics\""),
    );
    // The URL is a secret: keep it out of shared caches.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// One rendering of a feed: its text, the same compressed, and its entity tag. Calendar apps
/// poll a subscription again and again, and a feed holds every birthday of the account (some
/// 30 MB at 100,000 contacts): an app that sends back the tag (`If-None-Match`) gets a
/// `304 Not Modified` while nothing changed, and one that accepts gzip gets the copy
/// compressed once per rendering, instead of the whole text compressed anew on every poll.
#[derive(Clone)]
struct Feed {
    plain: Bytes,
    gzip: Bytes,
    /// `"…"`: the start of the text's SHA-256, so the same events give the same tag on every
    /// rendering and every instance.
    etag: String,
}

impl Feed {
    fn new(text: String) -> Feed {
        use std::io::Write;
        let etag = format!("\"{}\"", &sha256_hex(&text)[..32]);
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(text.len() / 8),
            flate2::Compression::default(),
        );
        // Writing to a Vec cannot fail.
        let gzip = encoder
            .write_all(text.as_bytes())
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        Feed {
            plain: Bytes::from(text),
            gzip: Bytes::from(gzip),
            etag,
        }
    }
}

/// Whether the request's `Accept-Encoding` takes gzip (and not at `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

async fn build(state: &AppState, user: &UserId, base: &str) -> Result<Feed, AppError> {
    let birthdays = state.db.contacts().active_birthdays(user).await?;
    let follow_ups = state.db.follow_ups().list_open_for_user(user).await?;
    let base = base.to_string();
    // Rendering, hashing and compressing a large feed take a while: off the request threads.
    tokio::task::spawn_blocking(move || Feed::new(render(&birthdays, &follow_ups, &base)))
        .await
        .map_err(|e| AppError::Internal(format!("rendering a calendar feed failed: {e}")))
}

/// The feed's text; `base` (`https://host`) starts the events' links back to the app.
pub fn render(
    birthdays: &[ContactBirthday],
    follow_ups: &[FollowUpWithContact],
    base: &str,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            "-//Developer Hub CRM//Reminders//EN",
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name("Developer Hub");
    // The calendar's frame, then each event written out as it is made: a feed of tens of
    // thousands of events never exists twice in memory (as objects and as text).
    let frame = calendar.to_string();
    let end = frame.rfind("END:VCALENDAR").unwrap_or(frame.len());
    let mut out = String::with_capacity(256 * (birthdays.len() + follow_ups.len()) + 512);
    out.push_str(&fold(&frame[..end]));
    let mut birthdays: Vec<&ContactBirthday> = birthdays.iter().collect();
    birthdays.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    for b in birthdays {
        out.push_str(&fold(&birthday_event(b, base).to_string()));
    }
    for f in follow_ups {
        out.push_str(&fold(&follow_up_event(f, base).to_string()));
    }
    out.push_str(&fold(&frame[end..]));
    out
}

fn birthday_event(b: &ContactBirthday, base: &str) -> icalendar::Event {
    let date = b.birthday;
    // Someone born on 29 February celebrates on the last day of February in other years:
    // BYMONTHDAY=-1 is 29 February in leap years and 28 February otherwise.
    let rule = if (date.month(), date.day()) == (2, 29) {
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"
    } else {
        "FREQ=YEARLY"
    };
    icalendar::Event::new()
        .uid(&format!("birthday-{}@{UID_DOMAIN}", b.id))
        .summary(&format!("{}'s birthday", b.name))
        .starts(date)
        .ends(next_day(date))
        .add_property("RRULE", rule)
        .add_property("TRANSP", "TRANSPARENT")
        .add_property("CATEGORIES", "Birthday")
        .url(&format!("{base}/contacts/{}", b.id))
        .timestamp(date.and_time(chrono::NaiveTime::MIN).and_utc())
        .done()
}

fn follow_up_event(f: &FollowUpWithContact, base: &str) -> icalendar::Event {
    let follow_up = &f.follow_up;
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("follow-up-{}@{UID_DOMAIN}", follow_up.id))
        .summary(&format!("Follow up with {}", f.contact_name))
        .starts(follow_up.due_date)
        .ends(next_day(follow_up.due_date))
        .add_property("TRANSP", "TRANSPARENT")
        .add_property("CATEGORIES", "Follow-up")
        .url(&format!("{base}/follow-ups/{}", follow_up.id))
        // Changes when the follow-up does, so that apps pick up a new date or note.
        .timestamp(follow_up.updated_at)
        .add_property(
            "LAST-MODIFIED",
            follow_up.updated_at.format("%Y%m%dT%H%M%SZ").to_string(),
        );
    if let Some(note) = &follow_up.note {
        // TEXT values know only LF line breaks (escaped as \n); a CR would be sent raw.
        event.description(&note.replace("\r\n", "\n").replace('\r', "\n"));
    }
    event.done()
}

/// All-day events end on the next day (DTEND is exclusive).
fn next_day(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

/// Folds every content line to at most 75 octets (RFC 5545 §3.1), never inside a UTF-8
/// character. The crate folds too, but lets a continuation line reach 76 octets (its leading
/// space plus 75); so the text is unfolded and folded again here.
fn fold(text: &str) -> String {
    const LIMIT: usize = 75;
    let unfolded = text.replace("\r\n ", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 32);
    for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
        let mut rest = line;
        let mut limit = LIMIT;
        loop {
            if rest.len() <= limit {
                out.push_str(rest);
                out.push_str("\r\n");
                break;
            }
            let mut cut = limit;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            // A continuation line's leading space counts.
            limit = LIMIT - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_lines_within_75_octets_and_characters_whole() {
        let long = format!("DESCRIPTION:{}", "é".repeat(100));
        let folded = fold(&format!("BEGIN:VCALENDAR\r\n{long}\r\nEND:VCALENDAR\r\n"));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("BEGIN:VCALENDAR\r\n{long}\r\nEND:VCALENDAR\r\n")
        );
        let exact = "X".repeat(75);
        assert_eq!(fold(&exact), format!("{exact}\r\n"));
        let one_more = "X".repeat(150);
        let folded = fold(&one_more);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75), "{folded}");
    }

    #[test]
    fn the_crates_own_folding_is_corrected() {
        use icalendar::Component;
        // A description of this length makes the crate write a 76-octet continuation line.
        let mut calendar = Calendar::empty();
        calendar.push(
            icalendar::Event::new()
                .uid("u")
                .description(&"x".repeat(138))
                .done(),
        );
        let raw = calendar.to_string();
        assert!(
            raw.split("\r\n").any(|l| l.len() > 75),
            "the crate got fixed?"
        );
        assert!(fold(&raw).split("\r\n").all(|l| l.len() <= 75));
    }
}
