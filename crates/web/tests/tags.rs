//! Tags in the pages (issue 15): chips on the list, a contact's page and the dashboard; adding
//! and removing on a contact's page; the list filtered by several tags; bulk add and remove;
//! the tags page (rename, recolour, merge, delete, counts); bad input answered with a 422 and
//! nothing changed; another user's contacts and tags out of reach.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{sign_up, Client, TestApp};
use devhub_db::{Contact, ContactId, ContactInput, Tag, UserId};

async fn named(app: &TestApp, user: &UserId, name: &str) -> Contact {
    app.db
        .contacts()
        .create(
            user,
            &ContactInput {
                name: name.into(),
                vip: name.starts_with("VIP"),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap()
}

async fn tag_names(app: &TestApp, user: &UserId, contact: &ContactId) -> Vec<String> {
    app.db
        .tags()
        .tags_for_contact(user, contact)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

async fn tags_of(app: &TestApp, user: &UserId) -> Vec<Tag> {
    app.db.tags().list(user).await.unwrap()
}

/// The flash message the response sets, decoded.
fn flash(r: &common::TestResponse) -> String {
    let cookie = r.set_cookie("flash").unwrap_or_default();
    let value = cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_start_matches("flash=");
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    decode(&decode(value))
}

/// The names of the contacts the list shows at `path`.
async fn listed(client: &mut Client<'_>, path: &str) -> Vec<String> {
    let r = client.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}");
    r.texts(".contacts-table .name-cell .row-link")
}

#[tokio::test]
async fn a_tag_added_on_the_contact_page_shows_as_a_chip_and_can_be_removed() {
    let app = common::spawn_app().await;
    let (mut ada, me) = sign_up(&app, "ada").await;
    let grace = named(&app, &me, "Grace").await;
    let alan = named(&app, &me, "Alan").await;
    app.db
        .tags()
        .add_to_contact(&me, &alan.id, "Rust")
        .await
        .unwrap();
    let page = format!("/contacts/{}", grace.id);

    // The other tags are suggested.
    let r = ada.get(&page).await;
    assert_eq!(
        r.attr("#tag-suggestions option", "value").as_deref(),
        Some("Rust")
    );
    assert_eq!(
        r.attr("#tag-add-name", "list").as_deref(),
        Some("tag-suggestions")
    );

    // An existing tag in another case is reused, a new one made.
    let r = ada
        .post_form(&format!("{page}/tags"), &[("name", " rust ")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some(format!("{page}#tags").as_str()));
    assert!(flash(&r).contains("Tagged"), "{}", flash(&r));
    ada.post_form(&format!("{page}/tags"), &[("name", "mentor")])
        .await;
    assert_eq!(tag_names(&app, &me, &grace.id).await, ["mentor", "Rust"]);
    assert_eq!(tags_of(&app, &me).await.len(), 2);

    let r = ada.get(&page).await;
    assert_eq!(r.texts(".contact-tags .tag-chip a"), ["mentor", "Rust"]);
    assert_eq!(
        r.attr(".contact-tags .tag-chip a", "href").as_deref(),
        Some("/contacts?tag=mentor")
    );
    assert!(r.texts("#tag-suggestions option").is_empty(), "both are on");

    // Remove: the tag leaves the contact, and stays a tag.
    let rust = tags_of(&app, &me)
        .await
        .into_iter()
        .find(|t| t.name == "Rust")
        .unwrap();
    let r = ada
        .post_form(
            &format!("{page}/tags/remove"),
            &[("tag_id", rust.id.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(tag_names(&app, &me, &grace.id).await, ["mentor"]);
    assert_eq!(tag_names(&app, &me, &alan.id).await, ["Rust"]);
    // The form addresses opened with GET lead to the contact's page.
    let r = ada.get(&format!("{page}/tags")).await;
    assert_eq!(r.location(), Some(page.as_str()));
    let r = ada.get(&format!("{page}/tags/remove")).await;
    assert_eq!(r.location(), Some(page.as_str()));
}

#[tokio::test]
async fn a_bad_tag_name_comes_back_with_a_message_and_changes_nothing() {
    let app = common::spawn_app().await;
    let (mut ada, me) = sign_up(&app, "ada").await;
    let grace = named(&app, &me, "Grace").await;
    let page = format!("/contacts/{}", grace.id);
    let long = "x".repeat(51);
    for (name, message) in [("   ", "Type a tag name."), (long.as_str(), "at most 50")] {
        let r = ada
            .post_form(&format!("{page}/tags"), &[("name", name)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let error = r.texts("#tag-add-error").join("");
        assert!(error.contains(message), "{error}");
        assert_eq!(
            r.attr("#tag-add-name", "aria-invalid").as_deref(),
            Some("true")
        );
        // The rest of the page is there.
        assert_eq!(r.texts("h1.contact-name")[0], "Grace");
    }
    assert!(tags_of(&app, &me).await.is_empty());
    // A tag id that is not one of the user's tags.
    let r = ada
        .post_form(&format!("{page}/tags/remove"), &[("tag_id", "nope")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_list_shows_chips_and_filters_by_every_tag_in_the_url() {
    let app = common::spawn_app().await;
    let (mut ada, me) = sign_up(&app, "ada").await;
    let tags = app.db.tags();
    let grace = named(&app, &me, "Grace").await;
    let alan = named(&app, &me, "Alan").await;
    named(&app, &me, "Linus").await;
    tags.add_to_contact(&me, &grace.id, "rust").await.unwrap();
    tags.add_to_contact(&me, &grace.id, "Berlin").await.unwrap();
    tags.add_to_contact(&me, &alan.id, "rust").await.unwrap();

    let r = ada.get("/contacts").await;
    let row = |name: &str| {
        format!(
            ".contacts-table tr[data-id=\"{}\"] .tags-cell .tag-chip",
            if name == "Grace" { &grace.id } else { &alan.id }
        )
    };
    assert_eq!(r.texts(&row("Grace")), ["Berlin", "rust"]);
    assert_eq!(r.texts(&row("Alan")), ["rust"]);
    // A chip adds its tag to the filter.
    assert_eq!(
        r.attr(&row("Alan"), "href").as_deref(),
        Some("/contacts?tag=rust")
    );
    // The tag menu lists the tags; the bulk bar suggests them.
    assert_eq!(r.texts("#tag-filter option"), ["Any tag", "Berlin", "rust"]);
    assert_eq!(
        r.html()
            .select(&scraper::Selector::parse("#tag-names option").unwrap())
            .count(),
        2
    );

    assert_eq!(
        listed(&mut ada, "/contacts?tag=rust").await,
        ["Alan", "Grace"]
    );
    assert_eq!(
        listed(&mut ada, "/contacts?tag=RUST&tag=berlin").await,
        ["Grace"]
    );
    assert_eq!(
        listed(&mut ada, "/contacts?tag=rust&tag=&tag=Rust").await,
        ["Alan", "Grace"]
    );
    let r = ada.get("/contacts?tag=nope").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.texts("#no-match-heading").len() == 1);

    // The filters show as removable chips; sorting, tabs and the search form keep them.
    let r = ada.get("/contacts?tag=rust&tag=Berlin").await;
    assert_eq!(
        r.texts("#tag-filters .tag-filter")
            .iter()
            .map(|t| t.split_whitespace().next().unwrap().to_string())
            .collect::<Vec<_>>(),
        ["rust", "Berlin"]
    );
    assert_eq!(
        r.attr("#tag-filters .tag-filter", "href").as_deref(),
        Some("/contacts?tag=Berlin")
    );
    assert_eq!(
        r.attr(".contacts-table th a.sort-link", "href").as_deref(),
        Some("/contacts?tag=rust&tag=Berlin&dir=desc")
    );
    let tabs: Vec<String> = {
        let sel = scraper::Selector::parse(".tabs a").unwrap();
        r.html()
            .select(&sel)
            .map(|a| a.value().attr("href").unwrap().to_string())
            .collect()
    };
    assert!(
        tabs.iter().all(|t| t.contains("tag=rust&tag=Berlin")),
        "{tabs:?}"
    );
    let hidden: Vec<String> = {
        let sel =
            scraper::Selector::parse(".contacts-search input[type=hidden][name=tag]").unwrap();
        r.html()
            .select(&sel)
            .map(|a| a.value().attr("value").unwrap().to_string())
            .collect()
    };
    assert_eq!(hidden, ["rust", "Berlin"]);
    // The export of the filtered list is the filtered list.
    let export = r.attr("#export-csv", "href").unwrap();
    assert!(export.contains("tag=rust&tag=Berlin"), "{export}");
    let csv = ada.get(&export).await;
    assert!(
        csv.body.contains("Grace") && !csv.body.contains("Alan"),
        "{}",
        csv.body
    );
}

#[tokio::test]
async fn bulk_add_and_remove_a_tag_on_the_selected_contacts() {
    let app = common::spawn_app().await;
    let (mut ada, me) = sign_up(&app, "ada").await;
    let grace = named(&app, &me, "Grace").await;
    let alan = named(&app, &me, "Alan").await;
    let linus = named(&app, &me, "Linus").await;
    let back = "/contacts?sort=created";

    let r = ada
        .post_form(
            "/contacts/bulk",
            &[
                ("ids", grace.id.as_str()),
                ("ids", alan.id.as_str()),
                ("action", "tag_add"),
                ("tag", "Speakers"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some(back));
    // The message, then the id of its Undo.
    let (message, undo) = flash(&r)
        .rsplit_once(':')
        .map(|(m, u)| (m.to_string(), u.to_string()))
        .unwrap();
    assert_eq!(message, "success:Tagged 2 contacts “Speakers”.");
    assert!(!undo.is_empty());
    assert_eq!(tag_names(&app, &me, &grace.id).await, ["Speakers"]);
    assert_eq!(tag_names(&app, &me, &alan.id).await, ["Speakers"]);
    assert!(tag_names(&app, &me, &linus.id).await.is_empty());

    let r = ada
        .post_form(
            "/contacts/bulk",
            &[
                ("ids", grace.id.as_str()),
                ("ids", linus.id.as_str()),
                ("action", "tag_remove"),
                ("tag", "speakers"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(tag_names(&app, &me, &grace.id).await.is_empty());
    assert_eq!(tag_names(&app, &me, &alan.id).await, ["Speakers"]);

    // A blank or too long name, or removing a tag the user does not have: the list again
    // with the message, nothing changed.
    let long = "y".repeat(51);
    for (action, name, message) in [
        ("tag_add", "", "Type the tag"),
        ("tag_add", long.as_str(), "at most 50"),
        ("tag_remove", "nope", "You have no tag “nope”"),
    ] {
        let r = ada
            .post_form(
                "/contacts/bulk",
                &[
                    ("ids", grace.id.as_str()),
                    ("action", action),
                    ("tag", name),
                    ("back", back),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action} {name}"
        );
        let shown = r.texts(".flash-error").join("");
        assert!(shown.contains(message), "{shown}");
        assert_eq!(r.attr("#bulk-tag", "value").as_deref(), Some(name));
        // The list is the one the form came from.
        assert_eq!(r.texts(".contacts-table .row-link").len(), 3);
    }
    assert_eq!(tags_of(&app, &me).await.len(), 1);
    assert!(tag_names(&app, &me, &grace.id).await.is_empty());
}

#[tokio::test]
async fn the_tags_page_renames_recolours_merges_and_deletes_with_counts() {
    let app = common::spawn_app().await;
    let (mut ada, me) = sign_up(&app, "ada").await;
    let tags = app.db.tags();
    let grace = named(&app, &me, "Grace").await;
    let alan = named(&app, &me, "Alan").await;
    let (rust, _) = tags.add_to_contact(&me, &grace.id, "rust").await.unwrap();
    tags.add_to_contact(&me, &alan.id, "rust").await.unwrap();
    let (conf, _) = tags
        .add_to_contact(&me, &grace.id, "rustconf")
        .await
        .unwrap();

    let r = ada.get("/tags").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts(".tag-row-head .tag-chip"), ["rust", "rustconf"]);
    assert_eq!(
        r.texts(".tag-row-head .tag-count")[0],
        "2 contacts tagged rust"
    );
    assert_eq!(
        r.attr(".tag-row-head .tag-chip", "href").as_deref(),
        Some("/contacts?tag=rust")
    );

    // Rename; the same name in another case is fine.
    let r = ada
        .post_form(&format!("/tags/{}/rename", rust.id), &[("name", "Rust")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(tags.get(&me, &rust.id).await.unwrap().name, "Rust");
    // Another tag's name: refused, with the merge offered.
    let r = ada
        .post_form(&format!("/tags/{}/rename", conf.id), &[("name", "RUST")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = r.texts(&format!("#error-{}", conf.id)).join("");
    assert!(error.contains("You already have a tag “Rust”"), "{error}");
    assert_eq!(
        r.attr(".tag-merge-offer input[name=into]", "value")
            .as_deref(),
        Some(rust.id.as_str())
    );
    assert_eq!(tags.get(&me, &conf.id).await.unwrap().name, "rustconf");
    for (name, message) in [(" ", "Type a tag name."), (&*"z".repeat(51), "at most 50")] {
        let r = ada
            .post_form(&format!("/tags/{}/rename", conf.id), &[("name", name)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(message), "{message}");
    }

    // Recolour from the palette only.
    let r = ada
        .post_form(&format!("/tags/{}/color", rust.id), &[("color", "teal")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        tags.get(&me, &rust.id).await.unwrap().color.as_deref(),
        Some("teal")
    );
    for bad in ["crimson", "#ff0000", ""] {
        let r = ada
            .post_form(&format!("/tags/{}/color", rust.id), &[("color", bad)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.body.contains("must be one of gray, red"), "{bad}");
    }
    assert_eq!(
        tags.get(&me, &rust.id).await.unwrap().color.as_deref(),
        Some("teal")
    );
    let r = ada.get("/tags").await;
    assert!(r
        .attr(".tag-row-head .tag-chip", "class")
        .unwrap()
        .contains("tag-teal"));
    assert_eq!(
        r.attr(&format!("#color-{} option[selected]", rust.id), "value")
            .as_deref(),
        Some("teal")
    );

    // Merge into itself or an unknown tag: refused.
    for into in [conf.id.as_str(), "nope"] {
        let r = ada
            .post_form(&format!("/tags/{}/merge", conf.id), &[("into", into)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = ada
        .post_form(
            &format!("/tags/{}/merge", conf.id),
            &[("into", rust.id.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(tags.get(&me, &conf.id).await.is_err());
    assert_eq!(tag_names(&app, &me, &grace.id).await, ["Rust"]);
    let r = ada.get("/tags").await;
    assert_eq!(r.texts(".tag-row-head .tag-chip"), ["Rust"]);
    // The search finds the merged contacts by the tag they carry.
    assert_eq!(
        listed(&mut ada, "/contacts?q=rust").await,
        ["Alan", "Grace"]
    );

    // Delete: the tag goes, the contacts stay.
    let r = ada
        .post_form(&format!("/tags/{}/delete", rust.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/tags"));
    assert!(flash(&r).contains("Deleted"), "{}", flash(&r));
    assert!(tags_of(&app, &me).await.is_empty());
    assert_eq!(listed(&mut ada, "/contacts").await, ["Alan", "Grace"]);
    let r = ada.get("/tags").await;
    assert_eq!(r.texts("#no-tags-heading"), ["No tags yet"]);
}

#[tokio::test]
async fn the_dashboard_shows_the_tags_of_the_contacts_it_names() {
    let app = common::spawn_app().await;
    let (mut ada, me) = sign_up(&app, "ada").await;
    let vip = named(&app, &me, "VIP Grace").await;
    app.db
        .tags()
        .add_to_contact(&me, &vip.id, "mentor")
        .await
        .unwrap();
    let r = ada.get("/dashboard").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("#vips .dash-tags .tag-chip"), ["mentor"]);
}

#[tokio::test]
async fn another_users_tags_and_contacts_are_out_of_reach() {
    let app = common::spawn_app().await;
    let (_ada, ada_id) = sign_up(&app, "ada").await;
    let (mut eve, eve_id) = sign_up(&app, "eve").await;
    let grace = named(&app, &ada_id, "Grace").await;
    let (rust, _) = app
        .db
        .tags()
        .add_to_contact(&ada_id, &grace.id, "rust")
        .await
        .unwrap();
    let mine = named(&app, &eve_id, "Eve's").await;
    let (eves, _) = app
        .db
        .tags()
        .add_to_contact(&eve_id, &mine.id, "eves")
        .await
        .unwrap();

    for (path, fields) in [
        (format!("/contacts/{}/tags", grace.id), vec![("name", "x")]),
        (
            format!("/contacts/{}/tags/remove", grace.id),
            vec![("tag_id", rust.id.as_str())],
        ),
        (
            format!("/contacts/{}/tags/remove", mine.id),
            vec![("tag_id", rust.id.as_str())],
        ),
        (format!("/tags/{}/rename", rust.id), vec![("name", "x")]),
        (format!("/tags/{}/color", rust.id), vec![("color", "red")]),
        (
            format!("/tags/{}/merge", rust.id),
            vec![("into", eves.id.as_str())],
        ),
        (format!("/tags/{}/delete", rust.id), vec![]),
    ] {
        let r = eve.post_form(&path, &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Merging hers into Ada's: Ada's is not a tag of hers.
    let r = eve
        .post_form(
            &format!("/tags/{}/merge", eves.id),
            &[("into", rust.id.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Bulk on Ada's contact: nothing selected that is hers, no tag made.
    let r = eve
        .post_form(
            "/contacts/bulk",
            &[
                ("ids", grace.id.as_str()),
                ("action", "tag_add"),
                ("tag", "hijack"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(flash(&r).contains("Select"), "{}", flash(&r));
    // Her pages show none of Ada's tags.
    let r = eve.get("/tags").await;
    assert_eq!(r.texts(".tag-row-head .tag-chip"), ["eves"]);
    let r = eve.get("/contacts?tag=rust").await;
    assert!(r.texts(".contacts-table .row-link").is_empty());
    assert!(!r.body.contains("Grace"));

    assert_eq!(tag_names(&app, &ada_id, &grace.id).await, ["rust"]);
    let ada_tags = tags_of(&app, &ada_id).await;
    assert_eq!(ada_tags, vec![rust]);
    assert_eq!(tags_of(&app, &eve_id).await.len(), 1);
}
