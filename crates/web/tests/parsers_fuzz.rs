//! Fuzzing of the form and query parsers with property tests, in the normal test run: the real
//! router on a real database file, signed in, with arbitrary urlencoded bodies posted to every
//! form route of the pages and arbitrary query strings sent to every page. Whatever the input
//! (unknown or duplicated keys, unicode, huge values, broken percent-encoding), no handler
//! answers 5xx (a panic would be one too: the app turns it into a 500).
//!
//! The cases come from a fixed seed and their number is bounded, so a run is repeatable and
//! takes seconds; a failure prints the exact request.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::Method;
use common::{sign_up, Client, TestApp, PASSWORD};
use devhub_db::{ContactInput, FollowUpInput, InteractionInput, UserId};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Cases per property: each is one request (and a few inserts for fresh ids).
const CASES: u32 = 256;

/// Every form a page posts, by route (`{id}` a contact, `{iid}` an interaction, `{fid}` a
/// follow-up, `{tid}` an API token of the signed-in user), with the fields its form has.
const FORMS: &[(&str, &[&str])] = &[
    (
        "/contacts",
        &[
            "name",
            "relationship",
            "birthday",
            "industry",
            "location",
            "vip",
            "status",
        ],
    ),
    (
        "/contacts/bulk",
        &["ids", "action", "confirm", "js", "back"],
    ),
    (
        "/contacts/{id}",
        &[
            "name",
            "relationship",
            "birthday",
            "industry",
            "location",
            "vip",
            "status",
        ],
    ),
    ("/contacts/{id}/vip", &["vip"]),
    ("/contacts/{id}/status", &["status"]),
    ("/contacts/{id}/delete", &[]),
    (
        "/contacts/{id}/background",
        &["family", "company", "likes_dislikes", "misc_notes"],
    ),
    (
        "/contacts/{id}/contact-info",
        &["main_app", "email", "phone_number"],
    ),
    ("/contacts/{id}/social-links", &["url"]),
    ("/contacts/{id}/social-links/remove", &["url"]),
    (
        "/contacts/{id}/follow-ups",
        &["when", "due_date", "note", "back"],
    ),
    ("/contacts/{id}/cadence", &["days"]),
    (
        "/contacts/{id}/interactions",
        &["type", "date", "notes", "back", "complete", "next"],
    ),
    (
        "/interactions/{iid}",
        &["type", "date", "notes", "back", "complete", "next"],
    ),
    ("/interactions/{iid}/delete", &["back"]),
    ("/follow-ups/{fid}", &["due_date", "note", "back"]),
    ("/follow-ups/{fid}/complete", &["back"]),
    ("/follow-ups/{fid}/reopen", &["back"]),
    ("/follow-ups/{fid}/snooze", &["by", "until", "back"]),
    ("/follow-ups/{fid}/delete", &["back"]),
    ("/contacts/import", &[]),
    ("/contacts/import/confirm", &["upload_id", "duplicates"]),
    ("/settings/password", &["current_password", "new_password"]),
    ("/settings/sessions/revoke", &[]),
    ("/settings/delete", &["password"]),
    (
        "/settings/preferences",
        &["time_zone", "cadence_days", "vip_cadence_days"],
    ),
    ("/settings/calendar", &[]),
    ("/settings/calendar/revoke", &[]),
    ("/settings/tokens", &["name", "expires_in"]),
    ("/settings/tokens/{tid}/revoke", &[]),
    // Another kind of id than a session's public id: always 404, the path parsed all the same.
    ("/settings/sessions/{tid}/end", &[]),
    ("/theme", &["theme", "back"]),
    ("/login", &["username", "password", "next"]),
    ("/register", &["username", "password"]),
    ("/logout", &[]),
];

/// Every page, with the query parameters it reads.
const PAGES: &[(&str, &[&str])] = &[
    ("/", &[]),
    ("/dashboard", &[]),
    (
        "/contacts",
        &[
            "q",
            "filter",
            "industry",
            "relationship",
            "sort",
            "dir",
            "page",
        ],
    ),
    ("/contacts/new", &[]),
    ("/contacts/{id}", &["interactions_page"]),
    ("/contacts/{id}/edit", &[]),
    ("/contacts/{id}/delete", &[]),
    ("/contacts/{id}/interactions/new", &["back"]),
    ("/interactions", &["type", "from", "to", "q", "page"]),
    ("/interactions/{iid}/edit", &["back"]),
    ("/follow-ups", &["tab", "page", "group"]),
    ("/follow-ups/{fid}", &["back"]),
    ("/settings", &[]),
    ("/settings/sessions", &[]),
    ("/settings/security", &[]),
    (
        "/contacts/export",
        &["format", "q", "filter", "industry", "sort", "dir"],
    ),
    ("/settings/backup.json", &[]),
    ("/contacts/import", &[]),
    ("/calendar/nothing.ics", &[]),
    ("/healthz", &[]),
    ("/login", &["next"]),
    ("/register", &[]),
];

/// Values that mean something to some parser: dates, enums, numbers, ids, paths.
const MEANINGFUL: &[&str] = &[
    "",
    "true",
    "false",
    "on",
    "1",
    "0",
    "-1",
    "4294967296",
    "99999999999999999999",
    "NaN",
    "2024-02-29",
    "2023-02-29",
    "0000-00-00",
    "+275760-09-13",
    "call",
    "meeting",
    "archive",
    "archived",
    "active",
    "delete",
    "vip",
    "name",
    "asc",
    "desc",
    "completed",
    "overdue",
    "csv",
    "vcard",
    "dark",
    "Europe/Berlin",
    "Mars/Olympus",
    "/contacts",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "@ada",
    "https://github.com/ada",
    "ada@example.com",
    "+44 20 7946 0958",
    "1w",
    "3d",
    "skip",
    "merge",
];

/// The ids that `{id}`, `{iid}`, `{fid}` and `{tid}` stand for in one case.
struct Ids {
    contact: String,
    interaction: String,
    follow_up: String,
    token: String,
}

impl Ids {
    fn path(&self, route: &str) -> String {
        route
            .replace("{id}", &self.contact)
            .replace("{iid}", &self.interaction)
            .replace("{fid}", &self.follow_up)
            .replace("{tid}", &self.token)
    }
}

/// A contact with an interaction and a follow-up, and an API token, all new: a case may have
/// deleted the previous ones.
async fn fresh_ids(app: &TestApp, user: &UserId) -> Ids {
    let db = &app.db;
    let contact = db
        .contacts()
        .create(
            user,
            &ContactInput {
                name: "Fuzzy Contact".into(),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let interaction = db
        .interactions()
        .create(
            user,
            &contact.id,
            &InteractionInput {
                type_: "call".into(),
                date: "2024-01-02".into(),
                notes: Some("notes".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let follow_up = db
        .follow_ups()
        .create(
            user,
            &contact.id,
            &FollowUpInput {
                due_date: "2030-01-02".into(),
                note: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let token = db.api_tokens().issue(user, "fuzz", None).await.unwrap();
    Ids {
        contact: contact.id.as_str().to_string(),
        interaction: interaction.id.as_str().to_string(),
        follow_up: follow_up.id.as_str().to_string(),
        token: token.token.id.as_str().to_string(),
    }
}

/// How one piece of a key or value is written into the urlencoded text.
#[derive(Debug, Clone)]
enum Written {
    /// Percent-encoded as a browser does.
    Encoded(String),
    /// As it is: `&`, `=`, `%` and `+` in it break the structure.
    Raw(String),
    /// Encoded, with broken escapes mixed in: `%`, `%z`, `%ff` (not UTF-8), `%c3%28`, `%00`.
    Broken(String, usize, &'static str),
}

impl Written {
    fn write(&self, out: &mut String) {
        match self {
            Written::Encoded(s) => out.push_str(&encode(s)),
            Written::Raw(s) => out.push_str(s),
            Written::Broken(s, at, escape) => {
                let encoded = encode(s);
                let mut at = (*at).min(encoded.len());
                while !encoded.is_char_boundary(at) {
                    at -= 1;
                }
                out.push_str(&encoded[..at]);
                out.push_str(escape);
                out.push_str(&encoded[at..]);
            }
        }
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// One `key=value` of a body or query (or a bare `key`).
#[derive(Debug, Clone)]
struct Pair {
    key: Written,
    value: Option<Written>,
    /// Sent this many times (a duplicated field).
    times: usize,
}

fn urlencoded(pairs: &[Pair]) -> String {
    let mut out = String::new();
    for pair in pairs {
        for _ in 0..pair.times {
            if !out.is_empty() {
                out.push('&');
            }
            pair.key.write(&mut out);
            if let Some(value) = &pair.value {
                out.push('=');
                value.write(&mut out);
            }
        }
    }
    out
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(MEANINGFUL).prop_map(str::to_string),
        3 => any::<String>().prop_map(|s| s.chars().take(40).collect()),
        2 => "[ -~]{0,40}",
        1 => "[\\u{0}-\\u{1f}\\u{7f}\\u{feff}\\u{202e}\\u{fffd}%&=+;#?]{0,12}",
        1 => (1usize..300_000, proptest::sample::select(&["a", "é", "😀", "%", "&=", " "][..]))
            .prop_map(|(n, unit)| unit.repeat(n.min(300_000 / unit.len()))),
    ]
}

fn written(text: impl Strategy<Value = String>) -> impl Strategy<Value = Written> {
    let escapes = proptest::sample::select(&["%", "%z", "%ff", "%c3%28", "%00", "%%", "+%2"][..]);
    (text, 0u8..10, any::<usize>(), escapes).prop_map(|(s, how, at, escape)| match how {
        0..=5 => Written::Encoded(s),
        6..=7 => Written::Raw(s),
        _ => Written::Broken(s.clone(), at % (s.len() + 1), escape),
    })
}

/// Pairs whose keys are mostly the route's own fields, sometimes another form's, sometimes
/// anything.
fn pairs(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<Pair>> {
    let all: Vec<&'static str> = FORMS
        .iter()
        .chain(PAGES)
        .flat_map(|(_, f)| f.iter().copied())
        .collect();
    let own: Vec<&'static str> = if fields.is_empty() {
        all.clone()
    } else {
        fields.to_vec()
    };
    let key = prop_oneof![
        6 => proptest::sample::select(own).prop_map(str::to_string),
        2 => proptest::sample::select(all).prop_map(str::to_string),
        2 => any::<String>().prop_map(|s| s.chars().take(20).collect()),
    ];
    let pair = (
        written(key),
        proptest::option::weighted(0.9, written(text())),
        prop_oneof![8 => Just(1usize), 2 => 2usize..4],
    )
        .prop_map(|(key, value, times)| Pair { key, value, times });
    proptest::collection::vec(pair, 0..8)
}

/// A route of `routes` and the pairs to send it.
fn request(
    routes: &'static [(&'static str, &'static [&'static str])],
) -> BoxedStrategy<(usize, Vec<Pair>)> {
    (0..routes.len())
        .prop_flat_map(move |i| (Just(i), pairs(routes[i].1)))
        .boxed()
}

/// The signed-in user of the runs. A case may end its session (`/logout`, "sign out
/// everywhere"): then a new user signs up, from an address of its own, so that neither the
/// log-in limit per username nor the registration limit per address gets in the way.
struct SignedIn<'a> {
    app: &'a TestApp,
    user: UserId,
    client: Client<'a>,
    users: u32,
}

impl<'a> SignedIn<'a> {
    async fn new(app: &'a TestApp) -> SignedIn<'a> {
        let (client, user) = sign_up(app, "fuzzer0").await;
        SignedIn {
            app,
            user,
            client,
            users: 0,
        }
    }

    /// A client with the session cookie, which forgets any cookie a case sets (a log-in as
    /// someone else, a theme), so that every case starts from the same place.
    fn client(&self) -> Client<'a> {
        let mut client = self.app.client();
        client.cookies = self.client.cookies.clone();
        client
    }

    async fn still_signed_in(&mut self) {
        let r = self.client().get("/settings").await;
        if r.status.is_success() {
            return;
        }
        self.users += 1;
        let username = format!("fuzzer{}", self.users);
        let mut client = self.app.client().with_peer(&format!(
            "10.9.{}.{}:5000",
            self.users / 250,
            self.users % 250
        ));
        client.register(&username, PASSWORD).await;
        self.user = self
            .app
            .db
            .users()
            .find_by_username(&username)
            .await
            .unwrap()
            .unwrap()
            .id;
        self.client = client;
    }
}

/// Runs `cases` requests of `routes` through `send`, and fails on the first 5xx with the
/// exact request.
fn fuzz(routes: &'static [(&'static str, &'static [&'static str])], method: Method) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(common::spawn_app());
    let mut signed_in = rt.block_on(SignedIn::new(&app));
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let signed_in = std::cell::RefCell::new(&mut signed_in);
    // Cases a handler answered (not the access checks): a run where sign-in broke, and every
    // request bounced off the door, would prove nothing.
    let handled = std::cell::Cell::new(0u32);
    let result = runner.run(&request(routes), |(route, pairs)| {
        let mut signed_in = signed_in.borrow_mut();
        let (status, target, body) = rt.block_on(async {
            let ids = fresh_ids(&app, &signed_in.user).await;
            let path = ids.path(routes[route].0);
            let encoded = urlencoded(&pairs);
            let mut client = signed_in.client();
            let r = if method == Method::GET {
                let target = if encoded.is_empty() {
                    path
                } else {
                    format!("{path}?{encoded}")
                };
                match target.parse::<axum::http::Uri>() {
                    // Not a URI a client could send: nothing to ask.
                    Err(_) => return (None, target, String::new()),
                    Ok(_) => (client.get(&target).await, target),
                }
            } else {
                (
                    client
                        .send(Method::POST, &path, Some(encoded.clone()), &[])
                        .await,
                    path,
                )
            };
            signed_in.still_signed_in().await;
            (Some(r.0.status), r.1, encoded)
        });
        if let Some(status) = status {
            if status.is_success() || status.is_redirection() || status.as_u16() == 422 {
                handled.set(handled.get() + 1);
            }
            if status.is_server_error() {
                return Err(TestCaseError::fail(format!(
                    "{method} {target} answered {status}; body ({} bytes): {:?}",
                    body.len(),
                    body.chars().take(2000).collect::<String>()
                )));
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        handled.get() >= CASES / 3,
        "only {} of {CASES} cases reached a handler",
        handled.get()
    );
}

#[test]
fn no_form_body_makes_a_form_route_answer_5xx() {
    fuzz(FORMS, Method::POST);
}

#[test]
fn no_query_string_makes_a_page_answer_5xx() {
    fuzz(PAGES, Method::GET);
}
