//! In a real browser, undo instead of confirmation pages (issue 15): deleting a contact from
//! its page happens at once and the flash's Undo brings it back with its interactions (the
//! flash still there after 10 seconds); a bulk archive of two contacts is undone from the list;
//! a deleted contact is restored from Settings → Recently deleted. Screenshots of the flash
//! and of Recently deleted in both themes at 1280 and 375 px.
#![allow(clippy::unwrap_used)]

mod e2e;

use std::time::Duration;

use e2e::{Browser, Server};
use fantoccini::Locator;

/// Adds a contact through the form and returns its page's path.
async fn add_contact(browser: &Browser, server: &Server, name: &str) -> String {
    browser.goto(&server.url("/contacts/new")).await;
    browser.fill("#name", name).await;
    browser.fill("#industry", "Computing").await;
    browser.click("main form button[type=submit]").await;
    let path = browser.path().await;
    assert!(path.starts_with("/contacts/"), "{path}");
    path
}

/// Logs an interaction on the contact's own "Log interaction" page.
async fn log_interaction(browser: &Browser, server: &Server, contact: &str, notes: &str) {
    browser
        .goto(&server.url(&format!("{contact}/interactions/new")))
        .await;
    browser
        .client
        .find(Locator::Css("#type"))
        .await
        .unwrap()
        .select_by_value("call")
        .await
        .unwrap();
    browser.fill("#notes", notes).await;
    browser.click("main form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_deleted_from_its_page_comes_back_with_its_interactions_by_undo() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "ada").await;
    let contact = add_contact(&browser, &server, "Charles Babbage").await;
    log_interaction(&browser, &server, &contact, "The difference engine").await;
    log_interaction(&browser, &server, &contact, "The analytical engine").await;

    browser.goto(&server.url(&contact)).await;
    // No confirmation: the contact is gone at once.
    browser.click("#delete-contact").await;
    assert_eq!(browser.path().await, "/contacts");
    assert_eq!(
        browser.text(".flash-success").await,
        "Contact Charles Babbage deleted."
    );
    assert!(browser.texts(".name-cell .row-link").await.is_empty());
    // The Undo stays (no script hides it): still there after 10 seconds.
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    assert!(browser.exists("#flash-undo").await);
    let visible: bool = browser
        .client
        .execute(
            "const b = document.querySelector('#flash-undo').getBoundingClientRect(); \
             return b.width > 0 && b.height > 0;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(visible, "the Undo button is shown after 10 s");

    browser.click("#flash-undo").await;
    assert_eq!(browser.path().await, contact);
    assert_eq!(
        browser.text(".flash-success").await,
        "Restored Charles Babbage."
    );
    assert_eq!(browser.text("h1").await, "Charles Babbage");
    let notes = browser.texts(".timeline-entry .notes").await;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes.contains(&"The difference engine".to_string()));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_archive_of_two_contacts_is_undone_from_the_list() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "grace").await;
    let mut ids = Vec::new();
    for name in ["Alan Turing", "Grace Hopper", "Margaret Hamilton"] {
        let path = add_contact(&browser, &server, name).await;
        ids.push(path.trim_start_matches("/contacts/").to_string());
    }

    browser.goto(&server.url("/contacts")).await;
    browser.press(&format!("#select-{}", ids[0])).await;
    browser.press(&format!("#select-{}", ids[1])).await;
    browser.click("button[value=archive]").await;
    assert_eq!(browser.text(".flash-success").await, "2 contacts archived.");
    assert_eq!(
        browser.texts(".name-cell .row-link").await,
        ["Margaret Hamilton"]
    );
    browser.click("#flash-undo").await;
    assert_eq!(browser.path().await, "/contacts");
    assert_eq!(
        browser.text(".flash-success").await,
        "Archive undone for 2 contacts."
    );
    assert_eq!(
        browser.texts(".name-cell .row-link").await,
        ["Alan Turing", "Grace Hopper", "Margaret Hamilton"]
    );
    browser.goto(&server.url("/contacts?filter=archived")).await;
    assert!(browser.texts(".name-cell .row-link").await.is_empty());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_contact_is_restored_from_settings_recently_deleted() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "linus").await;
    let contact = add_contact(&browser, &server, "Ken Thompson").await;
    log_interaction(&browser, &server, &contact, "Asked about UTF-8").await;
    let other = add_contact(&browser, &server, "Dennis Ritchie").await;
    // The flash with its Undo, in both themes and at both widths: each time deleted, shown,
    // and undone.
    for (width, height) in [(1280, 800), (375, 800)] {
        browser.resize(width, height).await;
        for theme in ["light", "dark"] {
            browser.emulate_color_scheme(theme).await;
            browser.goto(&server.url(&other)).await;
            browser.click("#delete-contact").await;
            assert!(browser.exists("#flash-undo").await);
            browser.shot(&format!("undo-flash-{width}-{theme}")).await;
            browser.click("#flash-undo").await;
            assert_eq!(browser.path().await, other);
        }
    }
    for path in [&contact, &other] {
        browser.goto(&server.url(path)).await;
        browser.click("#delete-contact").await;
    }
    browser.resize(1280, 800).await;
    browser.emulate_color_scheme("light").await;
    browser
        .goto(&server.url("/settings#recently-deleted"))
        .await;
    assert_eq!(
        browser.texts("#deleted-list .deleted-name").await,
        ["Dennis Ritchie", "Ken Thompson"]
    );
    assert_eq!(
        browser.texts("#deleted-list .deleted-interactions").await,
        ["0", "1"]
    );
    for (width, height) in [(1280, 900), (375, 900)] {
        browser.resize(width, height).await;
        for theme in ["light", "dark"] {
            browser.emulate_color_scheme(theme).await;
            browser
                .goto(&server.url("/settings#recently-deleted"))
                .await;
            browser
                .client
                .execute(
                    "document.querySelector('#recently-deleted').scrollIntoView()",
                    vec![],
                )
                .await
                .unwrap();
            browser
                .shot(&format!("recently-deleted-{width}-{theme}"))
                .await;
        }
    }
    browser.resize(1280, 800).await;
    browser.emulate_color_scheme("light").await;
    browser.goto(&server.url("/settings")).await;
    browser
        .click("#deleted-list tr:nth-child(2) form[action$='/restore'] button")
        .await;
    assert_eq!(browser.path().await, contact);
    assert_eq!(
        browser.text(".flash-success").await,
        "Restored Ken Thompson."
    );
    assert_eq!(
        browser.texts(".timeline-entry .notes").await,
        ["Asked about UTF-8"]
    );
    browser.goto(&server.url("/settings")).await;
    assert_eq!(
        browser.texts("#deleted-list .deleted-name").await,
        ["Dennis Ritchie"]
    );
    browser.close().await;
}
