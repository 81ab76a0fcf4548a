//! In a real browser, Settings → Reminders (issue 17): a weekly digest on Friday at 09:00 with
//! two kinds and a webhook, saved and still there after a reload with its signing secret; the
//! same form without JavaScript; screenshots at desktop and phone widths in both themes.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{screenshot_dir, Browser, Server};
use fantoccini::Locator;

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

async fn is_checked(browser: &Browser, css: &str) -> bool {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap()
        .as_deref()
        == Some("true")
}

async fn value(browser: &Browser, css: &str) -> String {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Opens Settings → Reminders from Settings, chooses a weekly digest on Friday at 09:00 with
/// follow-ups due and birthdays, sets a webhook URL and saves.
async fn set_up_weekly_digest(browser: &Browser, server: &Server) {
    browser.goto(&server.url("/settings")).await;
    browser.click("#reminders-link").await;
    assert_eq!(browser.path().await, "/settings/reminders");
    assert_eq!(browser.text("h1").await, "Reminders");
    browser.press("input[name=digest][value=weekly]").await;
    choose(browser, "#hour", "09:00").await;
    choose(browser, "#weekday", "Friday").await;
    // Two kinds of the four (all four are ticked until the user chooses).
    for (css, on) in [
        ("#include_due", true),
        ("#include_overdue", false),
        ("#include_birthdays", true),
        ("#include_reconnect", false),
    ] {
        if is_checked(browser, css).await != on {
            browser.press(css).await;
        }
    }
    browser
        .fill("#webhook_url", "https://hooks.example.com/devhub")
        .await;
    browser.click("#reminders-save").await;
}

async fn assert_kept(browser: &Browser) {
    assert!(is_checked(browser, "input[name=digest][value=weekly]").await);
    assert_eq!(browser.text("#hour option:checked").await, "09:00");
    assert_eq!(browser.text("#weekday option:checked").await, "Friday");
    assert!(is_checked(browser, "#include_due").await);
    assert!(is_checked(browser, "#include_birthdays").await);
    assert!(!is_checked(browser, "#include_overdue").await);
    assert!(!is_checked(browser, "#include_reconnect").await);
    assert_eq!(
        value(browser, "#webhook_url").await,
        "https://hooks.example.com/devhub"
    );
    let secret = browser.text("#webhook-secret").await;
    assert!(secret.len() >= 32, "{secret}");
    assert!(browser.text("#next-digest").await.contains("Friday"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_digest_with_a_webhook_is_saved_and_kept_after_a_reload() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "ada").await;

    set_up_weekly_digest(&browser, &server).await;

    assert_eq!(browser.path().await, "/settings/reminders");
    assert!(browser.text(".flash").await.contains("saved"));
    assert_kept(&browser).await;
    browser.client.refresh().await.unwrap();
    assert_kept(&browser).await;
    // E-mail is not configured on this server; the webhook has its test button.
    assert!(browser
        .text("#email-not-configured")
        .await
        .contains("E-mail is not configured"));
    assert!(browser.exists("#test-webhook").await);
    assert!(!browser.text("#deliveries-empty").await.is_empty());

    // A wrong URL comes back beside its field, nothing saved.
    browser.fill("#webhook_url", "ftp://x").await;
    browser.click("#reminders-save").await;
    assert!(browser
        .text("#webhook-url-error")
        .await
        .starts_with("Webhook URL"));
    browser.goto(&server.url("/settings/reminders")).await;
    assert_kept(&browser).await;

    // Screenshots: both themes, desktop and phone, the page and the dashboard.
    for theme in ["light", "dark"] {
        for (width, height) in [(1280, 2000), (375, 3200)] {
            browser.resize(width, height).await;
            browser.goto(&server.url("/settings/reminders")).await;
            browser.shot(&format!("reminders-{theme}-{width}")).await;
        }
        browser.resize(1280, 900).await;
        browser.click("[data-theme-toggle]").await;
    }
    println!("screenshots: {}", screenshot_dir().display());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_settings_work_with_javascript_off() {
    let server = Server::start();
    let browser = Browser::start_without_javascript().await;
    browser.register(&server, "grace").await;

    set_up_weekly_digest(&browser, &server).await;

    assert_eq!(browser.path().await, "/settings/reminders");
    assert_kept(&browser).await;
    // A new secret, through the button that belongs to a form of its own.
    let before = browser.text("#webhook-secret").await;
    browser.click("#webhook-new-secret").await;
    assert!(browser.text(".flash").await.contains("New webhook secret"));
    assert_ne!(browser.text("#webhook-secret").await, before);
    browser.close().await;
}
