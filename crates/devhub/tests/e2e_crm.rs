//! In a real browser: the CRM flow of a new user, with JavaScript on and off, and screenshots
//! of the main pages in both themes at desktop and phone widths.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{screenshot_dir, Browser, Server};
use fantoccini::Locator;

/// Adds a contact through the form and returns its page's path.
async fn add_contact(browser: &Browser, server: &Server, name: &str, industry: &str) -> String {
    browser.goto(&server.url("/contacts/new")).await;
    browser.fill("#name", name).await;
    browser.fill("#relationship", "Mentor").await;
    browser.fill("#industry", industry).await;
    browser.fill("#location", "London").await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, name);
    let path = browser.path().await;
    assert!(path.starts_with("/contacts/"), "{path}");
    path
}

async fn log_interaction(browser: &Browser, kind: &str, notes: &str) {
    browser
        .client
        .find(Locator::Css("#log-type"))
        .await
        .unwrap()
        .select_by_value(kind)
        .await
        .unwrap();
    browser.fill("#log-notes", notes).await;
    browser.click(".log-form button[type=submit]").await;
}

async fn add_social_link(browser: &Browser, url: &str) {
    browser.fill("#link-url", url).await;
    browser.click(".add-link-form button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_builds_up_a_vip_contact_finds_it_and_archives_it() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "grace").await;

    let contact = add_contact(&browser, &server, "Ada Lovelace", "Developer Tooling").await;
    assert_eq!(
        browser.text(".flash-success").await,
        "Contact Ada Lovelace added."
    );
    assert!(
        browser.exists("#vip-invite").await,
        "non-VIPs are invited to become VIPs"
    );

    browser.click(".vip-toggle button").await;
    assert!(browser.exists("#background").await);

    browser.press("#background-edit summary").await;
    browser.fill("#bg-family", "Daughter Ada, son Byron").await;
    browser.fill("#bg-company", "Analytical Engines Ltd").await;
    browser
        .fill("#bg-likes-dislikes", "Likes poetry; dislikes vagueness")
        .await;
    browser.click("#background-edit button[type=submit]").await;
    assert_eq!(
        browser.text("#background-company").await,
        "Analytical Engines Ltd"
    );

    // Contact details, several e-mails with labels, on the contact's form.
    browser.click("#details .section-head a").await;
    browser.fill("#main_app", "Signal").await;
    browser.fill("#email-0", "ada@example.com").await;
    browser.fill("#email-label-0", "work").await;
    browser.press("[data-add-row=emails]").await;
    browser.fill("#email-1", "ada@home.example").await;
    browser.fill("#email-label-1", "home").await;
    browser.fill("#phone-0", "+44 20 7946 0958").await;
    browser.fill("#notes", "Met at the Royal Society").await;
    browser.click(".contact-form button[type=submit]").await;
    assert_eq!(browser.text("#info-email").await, "ada@example.com");
    let details = browser.text("#details").await;
    assert!(
        details.contains("ada@home.example") && details.contains("home"),
        "{details}"
    );
    assert_eq!(
        browser.text("#contact-notes").await,
        "Met at the Royal Society"
    );
    assert_eq!(browser.text("#reach-phone").await, "☎ +44 20 7946 0958");

    add_social_link(&browser, "https://github.com/ada").await;
    add_social_link(&browser, "https://bsky.app/profile/ada.bsky.social").await;
    let links = browser.texts("#details li").await.join(" | ");
    assert!(
        links.contains("GitHub") && links.contains("Bluesky"),
        "{links}"
    );

    log_interaction(&browser, "call", "Talked about the engine's notes").await;
    log_interaction(&browser, "meeting", "Coffee in Marylebone").await;
    browser.goto(&server.url(&contact)).await;
    assert!(browser.text("#stat-interactions").await.contains('2'));
    assert_eq!(browser.texts(".timeline-entry").await.len(), 2);
    assert!(browser
        .text("#stat-last-contact")
        .await
        .to_lowercase()
        .contains("today"));
    browser.shot("contact-light-1280").await;

    // A second contact, so that searching has something to leave out.
    add_contact(&browser, &server, "Grace Hopper", "Compilers").await;

    browser.goto(&server.url("/contacts")).await;
    browser.fill("#q", "tool").await;
    browser
        .click("form.contacts-search button[type=submit]")
        .await;
    assert_eq!(
        browser.texts(".name-cell .row-link").await,
        ["Ada Lovelace"]
    );
    assert!(
        browser.path().await.starts_with("/contacts?q=tool"),
        "the search is in the URL"
    );

    browser.goto(&server.url("/dashboard")).await;
    assert!(browser.text("#vips").await.contains("Ada Lovelace"));

    // Keyboard shortcuts: `g c` goes to contacts, `/` opens the search palette, `?` lists them.
    let body = browser.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("gc").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while browser.path().await != "/contacts" {
        assert!(
            std::time::Instant::now() < deadline,
            "g c did not open the contacts"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.text("#q").await;
    let body = browser.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("/").await.unwrap();
    let focused = browser.client.active_element().await.unwrap();
    assert_eq!(
        focused.attr("id").await.unwrap().as_deref(),
        Some("palette-q")
    );
    focused.send_keys("n").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        browser.path().await,
        "/contacts",
        "typing in a field is not a shortcut"
    );
    focused
        .send_keys(&String::from(char::from(fantoccini::key::Key::Escape)))
        .await
        .unwrap();
    let body = browser.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("?").await.unwrap();
    assert!(browser
        .client
        .find(Locator::Css("#shortcuts[open]"))
        .await
        .is_ok());

    // Screenshots of the three main pages, both themes, desktop and phone.
    for theme in ["light", "dark"] {
        for (width, height) in [(1280, 900), (375, 812)] {
            browser.resize(width, height).await;
            for (name, path) in [
                ("contacts", "/contacts"),
                ("contact", contact.as_str()),
                ("dashboard", "/dashboard"),
            ] {
                browser.goto(&server.url(path)).await;
                browser.shot(&format!("{name}-{theme}-{width}")).await;
            }
        }
        // The toggle stores the other theme in a cookie.
        let other = if theme == "light" { "dark" } else { "light" };
        browser
            .click(&format!("[data-theme-toggle][value={other}]"))
            .await;
    }
    browser.resize(1280, 900).await;
    println!("screenshots: {}", screenshot_dir().display());

    browser.goto(&server.url(&contact)).await;
    browser.click(".status-toggle button").await;
    assert_eq!(browser.text("#field-status").await, "Archived");
    browser.goto(&server.url("/contacts?filter=active")).await;
    assert_eq!(
        browser.texts(".name-cell .row-link").await,
        ["Grace Hopper"]
    );
    browser.goto(&server.url("/contacts?filter=archived")).await;
    assert_eq!(
        browser.texts(".name-cell .row-link").await,
        ["Ada Lovelace"]
    );

    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_steps_work_with_javascript_off() {
    let server = Server::start();
    let browser = Browser::start_without_javascript().await;
    browser.register(&server, "linus").await;

    let contact = add_contact(&browser, &server, "Ken Thompson", "Operating Systems").await;
    browser.click(".vip-toggle button").await;
    browser.press("#background-edit summary").await;
    browser.fill("#bg-company", "Bell Labs").await;
    browser.click("#background-edit button[type=submit]").await;
    assert_eq!(browser.text("#background-company").await, "Bell Labs");
    add_social_link(&browser, "https://github.com/ken").await;
    assert!(browser.text("#details").await.contains("GitHub"));
    log_interaction(&browser, "email", "Asked about UTF-8").await;
    browser.goto(&server.url(&contact)).await;
    assert_eq!(browser.texts(".timeline-entry").await.len(), 1);

    browser.goto(&server.url("/contacts")).await;
    browser.fill("#q", "operating").await;
    browser
        .click("form.contacts-search button[type=submit]")
        .await;
    assert_eq!(
        browser.texts(".name-cell .row-link").await,
        ["Ken Thompson"]
    );

    // Bulk delete without JavaScript: at once, with an Undo that works without script too.
    browser.goto(&server.url("/contacts")).await;
    browser.press(".select-cell input[type=checkbox]").await;
    browser.click("button[value=delete]").await;
    assert_eq!(
        browser.text(".flash-success").await,
        "Contact Ken Thompson deleted."
    );
    assert!(browser.text("main").await.contains("No contacts yet"));
    browser.click("#flash-undo").await;
    assert_eq!(browser.path().await, contact);
    assert_eq!(
        browser.text(".flash-success").await,
        "Restored Ken Thompson."
    );
    assert_eq!(browser.texts(".timeline-entry").await.len(), 1);

    browser.close().await;
}
