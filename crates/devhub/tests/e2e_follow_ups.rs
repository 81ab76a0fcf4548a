//! In a real browser: a follow-up added from a contact's page shows up under Today on
//! `/follow-ups`, is completed there and moves to Completed; the same with JavaScript off; and
//! screenshots of the follow-up pages in both themes at desktop and phone widths.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{screenshot_dir, Browser, Server};
use fantoccini::Locator;

async fn add_contact(browser: &Browser, server: &Server, name: &str) -> String {
    browser.goto(&server.url("/contacts/new")).await;
    browser.fill("#name", name).await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, name);
    browser.path().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_added_from_a_contact_is_due_today_then_completed() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "grace").await;
    let contact = add_contact(&browser, &server, "Ada Lovelace").await;

    // The user's zone is UTC by default: today is today in UTC.
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    browser.press("#fu-when-date").await;
    browser
        .client
        .execute(
            "const f = document.getElementById('fu-due-date'); f.value = arguments[0]; \
             f.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::Value::from(today.clone())],
        )
        .await
        .unwrap();
    browser
        .fill("#fu-note", "Send the notes on the engine")
        .await;
    browser.click("#add-follow-up-button").await;
    assert_eq!(browser.path().await, contact);
    assert!(
        browser
            .text(".flash-success")
            .await
            .starts_with("Follow-up with Ada Lovelace added for"),
        "{}",
        browser.text(".flash-success").await
    );
    assert_eq!(
        browser.texts("#follow-ups .fu-note").await,
        ["Send the notes on the engine"]
    );
    let badge = browser.text("#nav-follow-ups .nav-count-today").await;
    assert!(badge.starts_with('1'), "{badge:?}");
    browser.shot("follow-ups-contact-light-1280").await;

    browser.click("#nav-follow-ups").await;
    assert_eq!(browser.path().await, "/follow-ups");
    assert_eq!(
        browser.texts("#today .fu-note").await,
        ["Send the notes on the engine"]
    );
    assert_eq!(browser.texts("#today .fu-contact").await, ["Ada Lovelace"]);
    assert!(browser.texts("#overdue .fu-item").await.is_empty());
    browser.shot("follow-ups-light-1280").await;

    browser.click("#today .fu-complete").await;
    assert_eq!(browser.path().await, "/follow-ups");
    assert_eq!(
        browser.text(".flash-success").await,
        "Follow-up with Ada Lovelace done."
    );
    assert!(browser.texts("#today .fu-item").await.is_empty());
    assert!(!browser.exists("#nav-follow-ups .nav-count").await);

    browser.click("#tab-completed").await;
    assert_eq!(browser.path().await, "/follow-ups?tab=completed");
    assert_eq!(
        browser.texts("#completed .fu-note").await,
        ["Send the notes on the engine"]
    );
    assert!(browser
        .text("#completed .fu-when")
        .await
        .starts_with("Done "));

    // Screenshots: a few more follow-ups, every page in both themes, desktop and phone.
    for (choice, note) in [
        ("1w", "Ask about the Analytical Engine"),
        ("2w", "Birthday present, poetry?"),
        ("3m", "Check in after the conference"),
    ] {
        browser.goto(&server.url(&contact)).await;
        browser.press(&format!("#fu-when-{choice}")).await;
        browser.fill("#fu-note", note).await;
        browser.click("#add-follow-up-button").await;
    }
    for theme in ["light", "dark"] {
        for (width, height) in [(1280, 1600), (375, 2400)] {
            browser.resize(width, height).await;
            for (name, path) in [
                ("follow-ups", "/follow-ups"),
                ("follow-ups-completed", "/follow-ups?tab=completed"),
                ("follow-ups-contact", contact.as_str()),
                ("follow-ups-dashboard", "/dashboard"),
                ("follow-ups-settings", "/settings"),
            ] {
                browser.goto(&server.url(path)).await;
                browser.shot(&format!("{name}-{theme}-{width}")).await;
            }
        }
        browser.click("[data-theme-toggle]").await;
    }
    browser.resize(1280, 900).await;
    println!("screenshots: {}", screenshot_dir().display());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_work_with_javascript_off() {
    let server = Server::start();
    let browser = Browser::start_without_javascript().await;
    browser.register(&server, "linus").await;
    let contact = add_contact(&browser, &server, "Ken Thompson").await;

    browser.press("#fu-when-1w").await;
    browser.fill("#fu-note", "Ask about Plan 9").await;
    browser.click("#add-follow-up-button").await;
    assert_eq!(browser.path().await, contact);

    browser.goto(&server.url("/follow-ups")).await;
    assert_eq!(browser.texts("#later .fu-note").await, ["Ask about Plan 9"]);
    // Snooze by a day, then complete, with plain forms.
    browser.click("#later .fu-snooze-day").await;
    assert!(browser
        .text(".flash-success")
        .await
        .starts_with("Follow-up with Ken Thompson snoozed to"));
    browser.click("#later .fu-complete").await;
    assert!(browser.texts("#later .fu-item").await.is_empty());
    browser.goto(&server.url("/follow-ups?tab=completed")).await;
    assert_eq!(
        browser.texts("#completed .fu-note").await,
        ["Ask about Plan 9"]
    );
    // The "More" menu is a <details>: it opens without JavaScript.
    browser.click("#completed .fu-reopen").await;
    browser.goto(&server.url("/follow-ups")).await;
    browser.press("#later .fu-more summary").await;
    assert!(browser
        .client
        .find(Locator::Css("#later .fu-more[open] input[name=until]"))
        .await
        .is_ok());
    browser.close().await;
}
