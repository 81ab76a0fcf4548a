//! Search everywhere (`GET /search`, a page and the palette's JSON) and quick add
//! (`GET`/`POST /contacts/quick`), through the real router on a real database.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{header, Method, StatusCode};
use common::{count, sign_up, Client};
use devhub_db::{BackgroundInput, ContactId, UserId};
use serde_json::Value;

/// Adds a contact through quick add; its id.
async fn quick_add(client: &mut Client<'_>, name: &str, email: &str, tags: &str) -> String {
    let r = client
        .post_form(
            "/contacts/quick",
            &[("name", name), ("email", email), ("tags", tags)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location().unwrap().to_string();
    location.strip_prefix("/contacts/").unwrap().to_string()
}

async fn json(client: &mut Client<'_>, q: &str) -> Value {
    let q = percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC);
    let path = format!("/search?q={q}");
    let r = client
        .send(Method::GET, &path, None, &[("accept", "application/json")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(r.headers[header::VARY], "Accept");
    serde_json::from_str(&r.body).unwrap()
}

fn titles(answer: &Value, kind: &str) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect()
}

async fn log(client: &mut Client<'_>, contact: &str, notes: &str) {
    let r = client
        .post_form(
            &format!("/contacts/{contact}/interactions"),
            &[("type", "call"), ("date", "2026-03-05"), ("notes", notes)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

async fn company(app: &common::TestApp, user: &UserId, contact: &str, company: &str) {
    let new = BackgroundInput {
        company: Some(company.into()),
        ..BackgroundInput::default()
    }
    .parse()
    .unwrap();
    app.db
        .backgrounds()
        .upsert(user, &ContactId::from(contact), &new)
        .await
        .unwrap();
}

#[tokio::test]
async fn one_search_finds_contacts_by_any_field_and_tag_and_interactions_by_notes() {
    let app = common::spawn_app().await;
    let (mut client, user) = sign_up(&app, "searcher").await;
    let anita = quick_add(
        &mut client,
        "Anita Perlman",
        "anita@example.org",
        "Rustacean",
    )
    .await;
    let grace = quick_add(&mut client, "Grace Hopper", "", "").await;
    company(&app, &user, &grace, "Cyberdyne").await;
    log(
        &mut client,
        &grace,
        "Talked about COBOL and the nanosecond wire",
    )
    .await;

    // Two words in the other order.
    let answer = json(&mut client, "perlman anita").await;
    assert_eq!(titles(&answer, "contact"), ["Anita Perlman"]);
    let hit = &answer["results"][0];
    assert_eq!(hit["url"], format!("/contacts/{anita}"));
    assert_eq!(hit["subtitle"], "anita@example.org · #Rustacean");
    assert_eq!(answer["contacts_total"], 1);
    assert_eq!(answer["url"], "/search?q=perlman%20anita");
    // The e-mail, the tag, the company.
    for q in ["anita@example", "rustacean", "cyberdyne hopper"] {
        let expected = if q.starts_with("cyber") {
            "Grace Hopper"
        } else {
            "Anita Perlman"
        };
        assert_eq!(
            titles(&json(&mut client, q).await, "contact"),
            [expected],
            "{q}"
        );
    }
    // Notes: the interaction, with the piece of its note that matched.
    let answer = json(&mut client, "nanosecond").await;
    assert!(titles(&answer, "contact").is_empty());
    let found = titles(&answer, "interaction");
    assert_eq!(found, ["Call with Grace Hopper, March 5, 2026"]);
    let hit = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "interaction")
        .unwrap();
    assert_eq!(
        hit["subtitle"],
        "Talked about COBOL and the nanosecond wire"
    );
    assert!(hit["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("/contacts/{grace}#interaction-")));

    // `format=json` asks as well as the Accept header.
    let r = client.get("/search?q=perlman&format=json").await;
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(titles(&v, "contact"), ["Anita Perlman"]);

    // The page: contacts, then interactions, with counts and links to the full lists.
    let page = client.get("/search?q=grace+wire").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        page.texts("#search-contacts .search-result-title"),
        Vec::<String>::new()
    );
    assert_eq!(
        page.texts("#search-interactions .search-result-title"),
        ["Call with Grace Hopper, March 5, 2026"]
    );
    assert_eq!(page.texts("#search-interactions mark"), ["wire"]);
    assert_eq!(page.texts("#search-interactions-count"), ["1 interaction"]);
    assert_eq!(
        page.attr("#search-interactions .search-more a", "href")
            .as_deref(),
        Some("/interactions?q=grace%20wire")
    );
    let page = client.get("/search?q=hopper").await;
    assert_eq!(
        page.texts("#search-contacts .search-result-title"),
        ["Grace Hopper"]
    );
    assert_eq!(
        page.texts("#search-contacts .search-result-line"),
        ["Cyberdyne"]
    );
    assert_eq!(
        page.attr("#search-contacts .search-more a", "href")
            .as_deref(),
        Some("/contacts?q=hopper&filter=all")
    );
    assert_eq!(
        page.attr("#search-page-q", "value").as_deref(),
        Some("hopper")
    );
}

#[tokio::test]
async fn short_searches_say_what_to_type_and_run_nothing() {
    let app = common::spawn_app().await;
    let (mut client, _) = sign_up(&app, "shorty").await;
    quick_add(&mut client, "Al Gore", "", "").await;
    for q in ["", "a", "%20%20a%20", "%00"] {
        let page = client.get(&format!("/search?q={q}")).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert_eq!(page.texts("#search-prompt").len(), 1, "{q}");
        assert!(!page.body.contains("search-contacts-heading"), "{q}");
        let r = client.get(&format!("/search?format=json&q={q}")).await;
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["results"], Value::Array(vec![]), "{q}");
    }
    // The empty page focuses its box.
    assert!(client
        .get("/search")
        .await
        .attr("#search-page-q", "autofocus")
        .is_some());
    // Two characters run; the page says which interactions they were looked for in, as the
    // log does (issue 13: at a million interactions, testing every note took seconds).
    let v = json(&mut client, "al").await;
    assert_eq!(titles(&v, "contact"), ["Al Gore"]);
    let window = devhub_db::SHORT_SEARCH_WINDOW;
    let note = format!(
        "Words of one or two letters are looked for in your latest {},{:03} interactions only: \
         type three letters or more to search all of them.",
        window / 1000,
        window % 1000
    );
    let page = client.get("/search?q=al").await;
    let log = client.get("/interactions?q=al").await;
    for (texts, what) in [
        (page.texts("#search-interactions-window"), "search page"),
        (log.texts(".ix-notice"), "log"),
    ] {
        assert_eq!(texts, [note.as_str()], "{what}");
    }
    for longer in ["/search?q=gore", "/interactions?q=gore", "/interactions"] {
        let page = client.get(longer).await;
        assert!(!page.body.contains("one or two letters"), "{longer}");
    }
    // A parameter given twice is refused with a message, not a 500.
    let r = client.get("/search?q=al&q=bo").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A very long search is cut, not refused.
    let long = "x".repeat(5000);
    assert_eq!(
        client.get(&format!("/search?q={long}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_palette_gets_a_few_of_each() {
    let app = common::spawn_app().await;
    let (mut client, _) = sign_up(&app, "many").await;
    let mut first = String::new();
    for i in 0..12 {
        let id = quick_add(&mut client, &format!("Zebulon {i:02}"), "", "").await;
        if i == 0 {
            first = id;
        }
    }
    for i in 0..7 {
        log(&mut client, &first, &format!("zebulon meeting number {i}")).await;
    }
    let v = json(&mut client, "zebulon").await;
    assert_eq!(titles(&v, "contact").len(), 8);
    assert_eq!(titles(&v, "interaction").len(), 5);
    assert_eq!(v["contacts_total"], 12);
    assert_eq!(v["interactions_total"], 7);
    for r in v["results"].as_array().unwrap() {
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["kind", "subtitle", "title", "url"]);
    }
    // The page shows more of each, and says how many there are.
    let page = client.get("/search?q=zebulon").await;
    assert_eq!(page.texts("#search-contacts .search-result").len(), 12);
    assert_eq!(page.texts("#search-contacts-count"), ["12 contacts"]);
    assert_eq!(page.texts("#search-interactions .search-result").len(), 7);
}

#[tokio::test]
async fn nobody_finds_another_users_contacts_or_notes() {
    let app = common::spawn_app().await;
    let (mut alice, _) = sign_up(&app, "alice").await;
    let theirs = quick_add(&mut alice, "Secret Sauce", "sauce@example.com", "hidden").await;
    log(&mut alice, &theirs, "confidential merger talk").await;
    let (mut eve, _) = sign_up(&app, "eve").await;
    quick_add(&mut eve, "Eve's Own", "", "").await;
    for q in [
        "secret sauce",
        "sauce@example",
        "hidden",
        "confidential merger",
    ] {
        let v = json(&mut eve, q).await;
        assert_eq!(v["results"], Value::Array(vec![]), "{q}");
        assert_eq!(v["contacts_total"], 0);
        let page = eve.get(&format!("/search?q={}", q.replace(' ', "+"))).await;
        assert!(!page.body.contains("Secret Sauce"), "{q}");
        assert!(page.texts(".search-result").is_empty(), "{q}");
        assert_eq!(page.texts("#search-contacts-count"), ["0 contacts"]);
    }
    // Alice does find them.
    assert_eq!(
        titles(&json(&mut alice, "confidential").await, "interaction").len(),
        1
    );
    // Signed out: the log-in page, not results.
    let mut stranger = app.client();
    let r = stranger.get("/search?q=secret&format=json").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!r.body.contains("Secret"));
}

#[tokio::test]
async fn every_signed_in_page_has_the_search_box_and_quick_add_without_javascript() {
    let app = common::spawn_app().await;
    let (mut client, _) = sign_up(&app, "header").await;
    for path in [
        "/dashboard",
        "/contacts",
        "/follow-ups",
        "/interactions",
        "/settings",
        "/search",
    ] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(
            page.attr("header form[role=search]", "action").as_deref(),
            Some("/search"),
            "{path}"
        );
        assert_eq!(
            page.attr("header form[role=search]", "method").as_deref(),
            Some("get")
        );
        assert_eq!(
            page.texts("header label[for=site-search-q]").len(),
            1,
            "{path}"
        );
        assert_eq!(
            page.attr("header #site-search-q", "name").as_deref(),
            Some("q")
        );
        assert_eq!(
            page.attr("header .quick-add-link", "href").as_deref(),
            Some("/contacts/quick")
        );
        assert_eq!(page.attr("#palette-q", "role").as_deref(), Some("combobox"));
        assert_eq!(
            page.attr("#quick-add form", "action").as_deref(),
            Some("/contacts/quick")
        );
    }
    // Signed out, neither.
    let page = app.client().get("/login").await;
    assert!(page.attr("header form[role=search]", "action").is_none());
    assert!(page.attr("#quick-add", "id").is_none());
}

#[tokio::test]
async fn quick_add_creates_the_contact_its_email_and_tags_in_one_go() {
    let app = common::spawn_app().await;
    let (mut client, user) = sign_up(&app, "adder").await;
    // An existing tag is reused whatever its case; a new one is created.
    let existing = app
        .db
        .tags()
        .create(
            &user,
            &devhub_db::TagInput {
                name: "Rust".into(),
                color: Some("#ff0000".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    let page = client.get("/contacts/quick").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.attr("#quick-name", "autofocus").is_some());
    assert_eq!(
        page.attr("main form", "action").as_deref(),
        Some("/contacts/quick")
    );

    let r = client
        .post_form(
            "/contacts/quick",
            &[
                ("name", "  Linus Torvalds "),
                ("email", " linus@example.org "),
                ("tags", "rust, kernel ,RUST,, Kernel"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = r
        .location()
        .unwrap()
        .strip_prefix("/contacts/")
        .unwrap()
        .to_string();
    let page = client.get(&format!("/contacts/{id}")).await;
    assert_eq!(
        page.texts(".flash-success"),
        ["Contact Linus Torvalds added."]
    );
    assert_eq!(page.texts("h1.contact-name"), ["Linus Torvalds"]);

    let id = ContactId::from(id);
    let info = app
        .db
        .contact_infos()
        .get(&user, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        info.email.as_ref().map(|e| e.to_string()).as_deref(),
        Some("linus@example.org")
    );
    let tags: Vec<String> = app
        .db
        .tags()
        .tags_for_contact(&user, &id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tags, ["kernel", "Rust"]);
    let all = app.db.tags().list(&user).await.unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.iter().any(|t| t.id == existing.id));

    // Only a name: no contact info row, no tags.
    let r = client
        .post_form("/contacts/quick", &[("name", "Just A Name")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app.db, "contact").await, 2);
    assert_eq!(count(&app.db, "contact_info").await, 1);
    assert_eq!(count(&app.db, "contact_tag").await, 2);
}

#[tokio::test]
async fn quick_add_with_bad_input_comes_back_with_messages_and_writes_nothing() {
    let app = common::spawn_app().await;
    let (mut client, _) = sign_up(&app, "careful").await;
    let long_name = "n".repeat(201);
    let long_tag = "t".repeat(51);
    let many_tags = (0..31)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(",");
    type Fields<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(Fields, &str, &str)> = vec![
        (
            vec![("name", "  "), ("email", "ok@example.org")],
            "#quick-name-error",
            "Name is required.",
        ),
        (vec![("name", &long_name)], "#quick-name-error", "Name"),
        (
            vec![("name", "Bob"), ("email", "not-an-email")],
            "#quick-email-error",
            "E-mail",
        ),
        (
            vec![("name", "Bob"), ("tags", &long_tag)],
            "#quick-tags-error",
            "at most 50",
        ),
        (
            vec![("name", "Bob"), ("tags", &many_tags)],
            "#quick-tags-error",
            "at most 30",
        ),
    ];
    for (fields, selector, message) in cases {
        let r = client.post_form("/contacts/quick", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let shown = r.texts(selector);
        assert_eq!(shown.len(), 1, "{fields:?}: {}", r.body);
        assert!(shown[0].contains(message), "{shown:?}");
        // The values come back.
        if let Some((_, email)) = fields.iter().find(|(k, _)| *k == "email") {
            assert_eq!(r.attr("#quick-email", "value").as_deref(), Some(*email));
        }
    }
    for table in ["contact", "contact_info", "tag", "contact_tag"] {
        assert_eq!(count(&app.db, table).await, 0, "{table}");
    }
    // A repeated field is refused with a message.
    let r = client
        .send(
            Method::POST,
            "/contacts/quick",
            Some("name=a&name=b".into()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app.db, "contact").await, 0);
}

#[tokio::test]
async fn full_forms_focus_their_first_field() {
    let app = common::spawn_app().await;
    let mut visitor = app.client();
    assert!(visitor
        .get("/login")
        .await
        .attr("#username", "autofocus")
        .is_some());
    assert!(visitor
        .get("/register")
        .await
        .attr("#username", "autofocus")
        .is_some());
    let (mut client, _) = sign_up(&app, "focus").await;
    let id = quick_add(&mut client, "Ada", "", "").await;
    let page = client
        .get(&format!("/contacts/{id}/interactions/new"))
        .await;
    assert!(page.attr("#type", "autofocus").is_some(), "{}", page.body);
    assert!(client
        .get("/contacts/import")
        .await
        .attr("#file", "autofocus")
        .is_some());
}
