//! `GET /search?q=`: one search over the user's contacts (any of their fields and tags) and
//! interactions (their notes), the same words in any order. As a page, the results with links
//! to the full lists; with `Accept: application/json` or `format=json`, a short list of
//! `{kind, title, subtitle, url}` for the search palette of every page (`static/app.js`).

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use devhub_db::{
    Contact, ContactFilter, ContactLine, ContactQuery, ContactSort, ContactStatus,
    InteractionQuery, InteractionWithContact, SortDirection,
};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::format::{interaction_noun, long_date};
use crate::forms::Query;
use crate::page::{ok, Layout, Page, QueryString};
use crate::state::AppState;
use crate::today::Today;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

/// The shortest search that is run: one character would match most of the address book.
pub const MIN_CHARS: usize = 2;
/// A longer search is cut here (the search itself uses its first eight words).
const MAX_CHARS: usize = 200;

/// How many of each the palette and the page show.
const PALETTE_CONTACTS: u32 = 8;
const PALETTE_INTERACTIONS: u32 = 5;
const PAGE_CONTACTS: u32 = 20;
const PAGE_INTERACTIONS: u32 = 10;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    pub q: String,
    /// `json` asks for the palette's answer.
    pub format: String,
}

/// One result as the palette lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hit {
    /// `contact` or `interaction`.
    pub kind: &'static str,
    pub title: String,
    pub subtitle: String,
    pub url: String,
}

/// The palette's answer.
#[derive(Debug, Clone, Serialize)]
struct Answer {
    q: String,
    results: Vec<Hit>,
    contacts_total: u64,
    interactions_total: u64,
    /// The results page of the same search.
    url: String,
}

/// A contact found, as the page shows it.
struct ContactHit {
    url: String,
    name: String,
    vip: bool,
    archived: bool,
    /// Company, e-mail, industry, location: what is known, joined by " · ".
    line: String,
    tags: Vec<String>,
}

/// An interaction found, as the page shows it.
struct InteractionHit {
    url: String,
    title: String,
    contact_url: String,
    contact_name: String,
    snippet: Snippet,
}

/// A piece of a note around the first word found: before, the word, after.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    pub before: String,
    pub found: String,
    pub after: String,
}

impl Snippet {
    fn text(&self) -> String {
        format!("{}{}{}", self.before, self.found, self.after)
    }
}

#[derive(Template)]
#[template(path = "search/index.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    /// The search is too short to run: say what to type.
    too_short: bool,
    contacts: Vec<ContactHit>,
    contacts_total: String,
    contacts_count: u64,
    contacts_all: String,
    interactions: Vec<InteractionHit>,
    interactions_total: String,
    interactions_count: u64,
    interactions_all: String,
    /// What a search of short words leaves out of the interactions.
    interactions_note: Option<String>,
}

/// What a search found.
struct Found {
    contacts: Vec<(Contact, Option<ContactLine>)>,
    contacts_total: u64,
    contacts_limit: u64,
    interactions: Vec<InteractionWithContact>,
    interactions_total: u64,
    interactions_limit: u64,
    /// How many of the latest interactions were looked through (short words), if not all.
    interactions_window: Option<u64>,
}

/// Whether the request asks for JSON rather than the page.
fn wants_json(params: &SearchParams, headers: &HeaderMap) -> bool {
    if params.format.trim().eq_ignore_ascii_case("json") {
        return true;
    }
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.split(';').next().unwrap_or_default().trim())
        .take_while(|v| *v != "text/html")
        .any(|v| v.eq_ignore_ascii_case("application/json"))
}

/// The search as it is run: trimmed, control characters dropped, cut at [`MAX_CHARS`].
pub fn normalize(q: &str) -> String {
    let cleaned: String = q
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn search(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Query(params): Query<SearchParams>,
) -> Result<Response, AppError> {
    let json = wants_json(&params, &headers);
    let q = normalize(&params.q);
    let too_short = q.chars().count() < MIN_CHARS;
    let (contacts, interactions) = if json {
        (PALETTE_CONTACTS, PALETTE_INTERACTIONS)
    } else {
        (PAGE_CONTACTS, PAGE_INTERACTIONS)
    };
    let found = if too_short {
        None
    } else {
        Some(run(&state, &page, &q, contacts, interactions).await?)
    };
    let mut response = if json {
        Json(answer(&page, &q, found)).into_response()
    } else {
        ok(&results_page(&page, q, too_short, found))
    };
    // The same address answers HTML or JSON: caches must keep them apart.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// Runs the search: the interactions' plan (how common the words are), then both lists with
/// their counts in one batch, then the lines of the contacts found in one statement.
async fn run(
    state: &AppState,
    page: &Page,
    q: &str,
    contacts: u32,
    interactions: u32,
) -> Result<Found, AppError> {
    let user = page.user_id();
    let contact_query = ContactQuery {
        search: Some(q.to_string()),
        filter: ContactFilter::All,
        sort: ContactSort::Name,
        direction: SortDirection::Asc,
        page: 1,
        per_page: contacts,
        ..ContactQuery::default()
    };
    let interaction_query = InteractionQuery {
        search: Some(q.to_string()),
        per_page: interactions,
        ..InteractionQuery::default()
    };
    let interactions_limit = interaction_query.count_limit();
    let interactions_window = interaction_query.searched_window();
    let planned = state
        .db
        .interactions()
        .planned(user, &interaction_query)
        .await?;
    let (list, (found_interactions, interactions_total)) = state
        .db
        .batch((state.db.contacts().list(user, &contact_query), planned))
        .await?;
    let ids: Vec<_> = list.contacts.iter().map(|c| c.id.clone()).collect();
    let mut lines = state.db.search().contact_lines(user, &ids).await?;
    let contacts = list
        .contacts
        .into_iter()
        .map(|c| {
            let line = lines
                .iter()
                .position(|l| l.contact_id == c.id)
                .map(|i| lines.swap_remove(i));
            (c, line)
        })
        .collect();
    Ok(Found {
        contacts,
        contacts_total: list.total,
        contacts_limit: list.count_limit,
        interactions: found_interactions,
        interactions_total,
        interactions_limit,
        interactions_window,
    })
}

fn contact_url(contact: &Contact) -> String {
    format!("/contacts/{}", contact.id)
}

fn interaction_url(i: &InteractionWithContact) -> String {
    format!(
        "/contacts/{}#interaction-{}",
        i.interaction.contact_id, i.interaction.id
    )
}

/// "Call with Ada Lovelace, March 3, 2026".
fn interaction_title(i: &InteractionWithContact, today: &Today) -> String {
    format!(
        "{} with {}, {}",
        interaction_noun(i.interaction.type_),
        i.contact_name,
        long_date(today.date_of(i.interaction.date))
    )
}

/// What is known of a contact besides the name, most telling first.
fn contact_facts(contact: &Contact, line: Option<&ContactLine>) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(line) = line {
        facts.extend(line.company.clone());
        facts.extend(line.email.clone());
    }
    facts.extend(contact.industry.clone().filter(|s| !s.trim().is_empty()));
    facts.extend(contact.location.clone().filter(|s| !s.trim().is_empty()));
    if facts.is_empty() {
        facts.extend(
            contact
                .relationship
                .clone()
                .filter(|s| !s.trim().is_empty()),
        );
    }
    facts
}

/// The piece of `notes` around the first of the search's words found in it (or its start),
/// about `WIDTH` characters in all, cut at spaces where it can be.
pub fn snippet(notes: &str, q: &str) -> Snippet {
    const WIDTH: usize = 140;
    let notes: String = notes.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = notes.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let found = q
        .split_whitespace()
        .filter_map(|word| {
            let word: Vec<char> = word
                .chars()
                .map(|c| c.to_lowercase().next().unwrap_or(c))
                .collect();
            if word.is_empty() || word.len() > lower.len() {
                return None;
            }
            (0..=lower.len() - word.len())
                .find(|&i| lower[i..i + word.len()] == word[..])
                .map(|i| (i, word.len()))
        })
        .min();
    let text = |range: std::ops::Range<usize>| chars[range].iter().collect::<String>();
    let Some((at, len)) = found else {
        let end = chars.len().min(WIDTH);
        let mut before = text(0..end);
        if end < chars.len() {
            before = cut_at_space_end(&before);
            before.push('…');
        }
        return Snippet {
            before,
            ..Snippet::default()
        };
    };
    let room = WIDTH.saturating_sub(len);
    let start = at.saturating_sub(room / 3);
    let end = (at + len + room - (at - start)).min(chars.len());
    let mut before = text(start..at);
    if start > 0 {
        before = format!("…{}", cut_at_space_start(&before));
    }
    let mut after = text(at + len..end);
    if end < chars.len() {
        after = format!("{}…", cut_at_space_end(&after));
    }
    Snippet {
        before,
        found: text(at..at + len),
        after,
    }
}

/// `s` without its first, partial word (when a space follows it).
fn cut_at_space_start(s: &str) -> String {
    match s.find(' ') {
        Some(i) if i + 1 < s.len() => s[i + 1..].to_string(),
        _ => s.to_string(),
    }
}

/// `s` without its last, partial word (when a space precedes it).
fn cut_at_space_end(s: &str) -> String {
    match s.rfind(' ') {
        Some(i) if i > 0 => s[..i].to_string(),
        _ => s.to_string(),
    }
}

fn answer(page: &Page, q: &str, found: Option<Found>) -> Answer {
    let url = QueryString::new().with("q", q).url("/search");
    let Some(found) = found else {
        return Answer {
            q: q.to_string(),
            results: Vec::new(),
            contacts_total: 0,
            interactions_total: 0,
            url,
        };
    };
    let mut results = Vec::new();
    for (contact, line) in &found.contacts {
        let mut parts = contact_facts(contact, line.as_ref());
        if let Some(line) = line {
            if !line.tags.is_empty() {
                parts.push(
                    line.tags
                        .iter()
                        .map(|t| format!("#{t}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
        }
        if contact.status == ContactStatus::Archived {
            parts.push("archived".into());
        }
        results.push(Hit {
            kind: "contact",
            title: contact.name.clone(),
            subtitle: parts.join(" · "),
            url: contact_url(contact),
        });
    }
    for i in &found.interactions {
        results.push(Hit {
            kind: "interaction",
            title: interaction_title(i, &page.today),
            subtitle: snippet(i.interaction.notes.as_deref().unwrap_or_default(), q).text(),
            url: interaction_url(i),
        });
    }
    Answer {
        q: q.to_string(),
        results,
        contacts_total: found.contacts_total,
        interactions_total: found.interactions_total,
        url,
    }
}

fn results_page(page: &Page, q: String, too_short: bool, found: Option<Found>) -> SearchPage {
    let title = if q.is_empty() {
        "Search".to_string()
    } else {
        format!("Search: {q}")
    };
    let contacts_all = QueryString::new()
        .with("q", &q)
        .with("filter", "all")
        .url("/contacts");
    let interactions_all = QueryString::new().with("q", &q).url("/interactions");
    let mut search_page = SearchPage {
        layout: page.layout(title, ""),
        q,
        too_short,
        contacts: Vec::new(),
        contacts_total: String::new(),
        contacts_count: 0,
        contacts_all,
        interactions: Vec::new(),
        interactions_total: String::new(),
        interactions_count: 0,
        interactions_all,
        interactions_note: None,
    };
    let Some(found) = found else {
        return search_page;
    };
    let total = |n: u64, limit: u64, one: &str, many: &str| {
        let shown = crate::format::total_up_to(n, limit);
        let noun = crate::format::plural(n, one, many);
        format!("{shown} {noun}")
    };
    search_page.contacts_total = total(
        found.contacts_total,
        found.contacts_limit,
        "contact",
        "contacts",
    );
    search_page.contacts_count = found.contacts_total;
    search_page.interactions_total = total(
        found.interactions_total,
        found.interactions_limit,
        "interaction",
        "interactions",
    );
    search_page.interactions_count = found.interactions_total;
    search_page.interactions_note = found
        .interactions_window
        .map(crate::interactions::short_search_notice);
    search_page.contacts = found
        .contacts
        .iter()
        .map(|(c, line)| ContactHit {
            url: contact_url(c),
            name: c.name.clone(),
            vip: c.vip,
            archived: c.status == ContactStatus::Archived,
            line: contact_facts(c, line.as_ref()).join(" · "),
            tags: line.as_ref().map(|l| l.tags.clone()).unwrap_or_default(),
        })
        .collect();
    let q = search_page.q.clone();
    search_page.interactions = found
        .interactions
        .iter()
        .map(|i| InteractionHit {
            url: interaction_url(i),
            title: interaction_title(i, &page.today),
            contact_url: format!("/contacts/{}", i.interaction.contact_id),
            contact_name: i.contact_name.clone(),
            snippet: snippet(i.interaction.notes.as_deref().unwrap_or_default(), &q),
        })
        .collect();
    search_page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_show_the_first_word_found_in_its_context() {
        let s = snippet(
            "We talked about Rust and the new job at Cyberdyne.",
            "cyberdyne",
        );
        assert_eq!(s.found, "Cyberdyne");
        assert_eq!(s.before, "We talked about Rust and the new job at ");
        assert_eq!(s.after, ".");
        let long = format!("{} needle {}", "word ".repeat(60), "tail ".repeat(60));
        let s = snippet(&long, "NEEDLE");
        assert_eq!(s.found, "needle");
        assert!(s.before.starts_with('…') && s.after.ends_with('…'), "{s:?}");
        assert!(s.text().chars().count() <= 145, "{}", s.text());
        let none = snippet(&"abc ".repeat(100), "zzz");
        assert!(none.found.is_empty() && none.before.ends_with('…'));
        assert_eq!(snippet("", "x"), Snippet::default());
        // Characters whose lower case is longer do not shift the found word.
        assert_eq!(snippet("İstanbul trip", "trip").found, "trip");
    }

    #[test]
    fn searches_are_trimmed_and_cut() {
        assert_eq!(normalize("  perlman\tanita \u{0}"), "perlman anita");
        assert_eq!(normalize(&"x".repeat(500)).len(), MAX_CHARS);
    }

    #[test]
    fn json_is_asked_for_by_format_or_accept() {
        let mut headers = HeaderMap::new();
        let params = SearchParams::default();
        assert!(!wants_json(&params, &headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(wants_json(&params, &headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,application/json;q=0.9"),
        );
        assert!(!wants_json(&params, &headers));
        let params = SearchParams {
            format: "JSON".into(),
            ..SearchParams::default()
        };
        assert!(wants_json(&params, &HeaderMap::new()));
    }
}
