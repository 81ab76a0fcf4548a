//! In a real browser, the contacts list's density (issue 15): on a phone the first contact is
//! in the first screenful, and the bulk bar shows once a contact is selected (always, without
//! JavaScript).
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{Browser, Server, PASSWORD};

async fn add_contact(browser: &Browser, server: &Server, name: &str) {
    browser.goto(&server.url("/contacts/new")).await;
    browser.fill("#name", name).await;
    browser.fill("#industry", "Computing").await;
    browser.fill("#location", "London").await;
    browser.click("main form button[type=submit]").await;
}

/// A number the page's script computes.
async fn number(browser: &Browser, script: &str) -> f64 {
    browser
        .client
        .execute(script, vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {script}"))
}

async fn bar_display(browser: &Browser) -> String {
    browser.computed_style(".bulk-bar", "display").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_first_contact_is_in_view_and_the_bulk_bar_waits_for_a_selection() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "ada").await;
    for name in ["Alan Turing", "Grace Hopper", "Margaret Hamilton"] {
        add_contact(&browser, &server, name).await;
    }

    browser.resize(375, 800).await;
    browser.goto(&server.url("/contacts")).await;
    let viewport = number(&browser, "return window.innerHeight").await;
    let first_row = number(
        &browser,
        "return document.querySelector('.contacts-table tbody tr').getBoundingClientRect().bottom",
    )
    .await;
    assert!(
        first_row <= viewport,
        "the first contact ends at y = {first_row}, below the {viewport} px viewport"
    );
    // A compact row: name and one line of details, not a card of labelled fields.
    let row_height = number(
        &browser,
        "return document.querySelector('.contacts-table tbody tr').getBoundingClientRect().height",
    )
    .await;
    assert!(row_height < 80.0, "a row is {row_height} px tall");
    let overflow = number(
        &browser,
        "return document.documentElement.scrollWidth - window.innerWidth",
    )
    .await;
    assert!(overflow <= 0.0, "the page is {overflow} px too wide");
    browser.shot("contacts-list-375").await;

    // Nothing selected: no bulk bar. One contact: the bar with its count.
    assert_eq!(bar_display(&browser).await, "none");
    browser
        .press(".contacts-table tbody tr:first-child input[data-select-item]")
        .await;
    assert_eq!(bar_display(&browser).await, "flex");
    assert_eq!(browser.text("[data-select-count]").await, "1 selected");
    browser.shot("contacts-list-375-selected").await;
    browser.press("#select-all").await;
    assert_eq!(browser.text("[data-select-count]").await, "3 selected");
    // Unticking everything hides the bar again, and the focus, which was in it, goes back to
    // the first row.
    browser.press("#select-all").await;
    assert_eq!(bar_display(&browser).await, "none");
    assert_eq!(
        number(
            &browser,
            "return document.activeElement === document.querySelector('[data-select-item]') ? 1 : 0"
        )
        .await,
        1.0
    );

    // The bar works: archive one contact from the "All" tab, and it moves to "Archived".
    browser
        .press(".contacts-table tbody tr:first-child input[data-select-item]")
        .await;
    browser.click("button[value=archive]").await;
    assert_eq!(
        browser.texts(".name-cell .row-link").await,
        ["Grace Hopper", "Margaret Hamilton"]
    );
    assert_eq!(
        browser.texts(".tabs a").await,
        ["All 2", "VIP 0", "Archived 1"]
    );
    assert_eq!(bar_display(&browser).await, "none");
    browser.close().await;

    // Without JavaScript the bar is always there.
    let plain = Browser::start_without_javascript().await;
    plain.goto(&server.url("/login")).await;
    plain.fill("#username", "ada").await;
    plain.fill("#password", PASSWORD).await;
    plain.click("main button[type=submit]").await;
    plain.goto(&server.url("/contacts")).await;
    assert_eq!(bar_display(&plain).await, "flex");
    plain.close().await;
}
