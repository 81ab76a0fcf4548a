//! In a real browser, tags (issue 15): a tag added on a contact's page (the second time from the
//! suggestions of existing tags), its chip, the list filtered by it, a tag added to two selected
//! contacts from the bulk bar, and a rename and a merge on the tags page.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{Browser, Server};
use fantoccini::Locator;

/// Adds a contact through the form and answers its page's path.
async fn add_contact(browser: &Browser, server: &Server, name: &str) -> String {
    browser.goto(&server.url("/contacts/new")).await;
    browser.fill("#name", name).await;
    browser.click("main form button[type=submit]").await;
    let path = browser.path().await;
    assert!(path.starts_with("/contacts/"), "{path}");
    path
}

async fn list_names(browser: &Browser) -> Vec<String> {
    browser.texts(".contacts-table .row-link").await
}

/// The counts of the tags page, white space squashed.
async fn counts(browser: &Browser) -> Vec<String> {
    browser
        .texts(".tag-row-head .tag-count")
        .await
        .iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Chooses `label` in the `<select>` matching `css`.
async fn choose(browser: &Browser, css: &str, label: &str) {
    let select = browser.client.find(Locator::Css(css)).await.unwrap();
    for option in select.find_all(Locator::Css("option")).await.unwrap() {
        if option.text().await.unwrap() == label {
            option.click().await.unwrap();
            return;
        }
    }
    panic!("no option {label} in {css}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_a_contact_filter_the_list_bulk_tag_and_rename_and_merge_on_the_tags_page() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "ada").await;
    let alan = add_contact(&browser, &server, "Alan Turing").await;
    let grace = add_contact(&browser, &server, "Grace Hopper").await;
    add_contact(&browser, &server, "Linus Torvalds").await;

    // A new tag on Alan's page.
    browser.goto(&server.url(&alan)).await;
    browser.fill("#tag-add-name", "rust").await;
    browser.click("#tag-add-form button[type=submit]").await;
    assert_eq!(browser.texts(".contact-tags .tag-chip a").await, ["rust"]);
    assert!(browser.text(".flash").await.contains("Tagged “rust”"));

    // On Grace's page "rust" is suggested; taken in another case, it is the same tag.
    browser.goto(&server.url(&grace)).await;
    let suggested = browser
        .client
        .execute(
            "return [...document.querySelectorAll('#tag-suggestions option')].map(o => o.value)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(suggested, serde_json::json!(["rust"]));
    assert_eq!(
        browser
            .client
            .find(Locator::Css("#tag-add-name"))
            .await
            .unwrap()
            .attr("list")
            .await
            .unwrap()
            .as_deref(),
        Some("tag-suggestions")
    );
    browser.fill("#tag-add-name", "Rust").await;
    browser.click("#tag-add-form button[type=submit]").await;
    assert_eq!(browser.texts(".contact-tags .tag-chip a").await, ["rust"]);
    browser.shot("tags-contact-header").await;

    // The chip in a row of the list filters the list by the tag.
    browser.goto(&server.url("/contacts")).await;
    assert_eq!(
        list_names(&browser).await,
        ["Alan Turing", "Grace Hopper", "Linus Torvalds"]
    );
    browser.click(".contacts-table .tags-cell a.tag-chip").await;
    assert_eq!(browser.path().await, "/contacts?tag=rust");
    assert_eq!(list_names(&browser).await, ["Alan Turing", "Grace Hopper"]);
    assert!(browser
        .text("#tag-filters .tag-filter")
        .await
        .starts_with("rust"));
    browser.shot("tags-list-filtered").await;
    // Its chip above the list takes the filter off.
    browser.click("#tag-filters .tag-filter").await;
    assert_eq!(browser.path().await, "/contacts");

    // Two contacts selected, "speaker" added from the bulk bar.
    let rows = browser
        .client
        .find_all(Locator::Css(
            ".contacts-table tbody tr input[data-select-item]",
        ))
        .await
        .unwrap();
    rows[0].click().await.unwrap(); // Alan
    rows[2].click().await.unwrap(); // Linus
    browser.fill("#bulk-tag", "speaker").await;
    browser.click("#bulk-tag-add").await;
    assert!(
        browser
            .text(".flash")
            .await
            .contains("Tagged 2 contacts “speaker”"),
        "{}",
        browser.text(".flash").await
    );
    browser.goto(&server.url("/contacts?tag=speaker")).await;
    assert_eq!(
        list_names(&browser).await,
        ["Alan Turing", "Linus Torvalds"]
    );
    // Both filters at once: the contacts with both tags.
    choose(&browser, "#tag-filter", "rust").await;
    browser.click(".contacts-search button[type=submit]").await;
    let path = browser.path().await;
    assert!(
        path.starts_with("/contacts?tag=speaker&") && path.contains("&tag=rust&"),
        "{path}"
    );
    assert_eq!(list_names(&browser).await, ["Alan Turing"]);

    // The tags page: counts, a rename, a merge.
    browser.goto(&server.url("/tags")).await;
    assert_eq!(
        counts(&browser).await,
        ["2 contacts tagged rust", "2 contacts tagged speaker"]
    );
    browser.press("li[data-tag=\"rust\"] summary").await;
    browser
        .fill("li[data-tag=\"rust\"] input[name=name]", "Rust lang")
        .await;
    browser
        .click("li[data-tag=\"rust\"] form[action$=\"/rename\"] button")
        .await;
    assert!(browser
        .text(".flash")
        .await
        .contains("Renamed “rust” to “Rust lang”"));
    browser.press("li[data-tag=\"speaker\"] summary").await;
    choose(
        &browser,
        "li[data-tag=\"speaker\"] select[name=into]",
        "Rust lang",
    )
    .await;
    browser
        .click("li[data-tag=\"speaker\"] form[action$=\"/merge\"] button")
        .await;
    assert!(
        browser
            .text(".flash")
            .await
            .contains("Merged “speaker” into “Rust lang” (2 contacts)"),
        "{}",
        browser.text(".flash").await
    );
    assert_eq!(
        browser.texts(".tag-row-head .tag-chip").await,
        ["Rust lang"]
    );
    assert_eq!(counts(&browser).await, ["3 contacts tagged Rust lang"]);
    browser.shot("tags-page").await;

    // Everyone who had either tag has the merged one, and the search finds them by it.
    browser.goto(&server.url("/contacts?q=rust+lang")).await;
    assert_eq!(
        list_names(&browser).await,
        ["Alan Turing", "Grace Hopper", "Linus Torvalds"]
    );
    browser.close().await;
}
