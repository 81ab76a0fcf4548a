//! In a real browser, the contacts list's density (issue 15): on a phone the first contact is
//! in the first screenful, and the bulk bar shows once a contact is selected (always, without
//! JavaScript); on a wide screen, rows that arrive late move no column.
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

/// The columns' x positions in the header, as the page's script reads them.
async fn column_edges(browser: &Browser) -> String {
    browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('.contacts-table thead th'))\
               .map(th => Math.round(th.getBoundingClientRect().left)).join(',')",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// On a wide screen the columns' widths come from the header alone: a row that arrives while
/// the page still loads (here: added afterwards, with a long location) moves no column, so the
/// rows above it never shift (Lighthouse once measured a layout shift of 0.104 on `/contacts`
/// in CI, from columns widened by late rows).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_wide_screen_later_rows_never_move_the_columns() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "ada").await;
    add_contact(&browser, &server, "Alan Turing").await;
    for width in [1350, 800] {
        browser.resize(width, 900).await;
        browser.goto(&server.url("/contacts")).await;
        // The window's scroll bar, there from the start (a longer page would bring it).
        browser
            .client
            .execute(
                "document.documentElement.style.overflowY = 'scroll'",
                vec![],
            )
            .await
            .unwrap();
        let before = column_edges(&browser).await;
        browser
            .client
            .execute(
                "const body = document.querySelector('.contacts-table tbody');\
                 const row = body.rows[0].cloneNode(true);\
                 row.querySelector('.location-cell').textContent = \
                   'Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch, Wales';\
                 row.querySelector('.name-cell a').textContent = 'Wolfeschlegelsteinhausenbergerdorff';\
                 body.appendChild(row);",
                vec![],
            )
            .await
            .unwrap();
        let after = column_edges(&browser).await;
        assert_eq!(before, after, "at {width} px, a late row moved the columns");
        let overflow = number(
            &browser,
            "const t = document.querySelector('.contacts-table'); return t.scrollWidth - t.clientWidth",
        )
        .await;
        assert!(
            overflow <= 0.0,
            "at {width} px, the long row overflows by {overflow} px"
        );
    }
}
