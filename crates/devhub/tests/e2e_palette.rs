//! In a real browser: the search palette (`/` and Ctrl+K on any page, results as you type,
//! arrows and Enter), quick add (`n` and the header's "+"), the contact page's own shortcuts
//! (`l`, `e`, `v`, `f`, listed by `?`), the same header without JavaScript, and screenshots of
//! the palette, the quick add dialog and the results page in both themes at both widths.
#![allow(clippy::unwrap_used)]

mod e2e;

use std::time::{Duration, Instant};

use e2e::{screenshot_dir, Browser, Server};
use fantoccini::key::Key;
use fantoccini::Locator;

/// Adds a contact through the quick add page; its path.
async fn quick_add(
    browser: &Browser,
    server: &Server,
    name: &str,
    email: &str,
    tags: &str,
) -> String {
    browser.goto(&server.url("/contacts/quick")).await;
    browser.fill("#quick-name", name).await;
    browser.fill("#quick-email", email).await;
    browser.fill("#quick-tags", tags).await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.text("h1.contact-name").await, name);
    browser.path().await
}

/// Waits until the script `condition` answers true.
async fn until(browser: &Browser, condition: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = browser
            .client
            .execute(&format!("return !!({condition});"), vec![])
            .await
            .unwrap();
        if value.as_bool() == Some(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn keys(browser: &Browser, keys: &str) {
    let target = browser.client.active_element().await.unwrap();
    target.send_keys(keys).await.unwrap();
}

async fn active_id(browser: &Browser) -> String {
    let value = browser
        .client
        .execute(
            "return document.activeElement && document.activeElement.id;",
            vec![],
        )
        .await
        .unwrap();
    value.as_str().unwrap_or_default().to_string()
}

async fn blur(browser: &Browser) {
    browser
        .client
        .execute(
            "document.activeElement && document.activeElement.blur();",
            vec![],
        )
        .await
        .unwrap();
}

async fn palette_titles(browser: &Browser) -> Vec<String> {
    browser
        .texts("#palette-results [role=option] .palette-title")
        .await
}

async fn wait_for_path(browser: &Browser, wanted: impl Fn(&str) -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if wanted(&browser.path().await) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: at {}",
            browser.path().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_palette_finds_contacts_as_you_type_on_any_page() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "seeker").await;
    let anita = quick_add(
        &browser,
        &server,
        "Anita Perlman",
        "anita@cyberdyne.io",
        "rustacean",
    )
    .await;
    quick_add(&browser, &server, "Anita Borg", "", "").await;
    quick_add(&browser, &server, "Grace Hopper", "grace@navy.mil", "").await;

    // `/` on the dashboard opens the palette; two words in the other order find her.
    browser.goto(&server.url("/dashboard")).await;
    browser.text("h1").await;
    blur(&browser).await;
    keys(&browser, "/").await;
    until(
        &browser,
        "document.getElementById('palette').open",
        "the palette",
    )
    .await;
    assert_eq!(active_id(&browser).await, "palette-q");
    keys(&browser, "perlman anita").await;
    until(
        &browser,
        "document.querySelector('#palette-results [role=option] .palette-title')",
        "results",
    )
    .await;
    assert_eq!(
        palette_titles(&browser).await,
        ["Anita Perlman", "See all results for “perlman anita”"]
    );
    assert_eq!(
        browser
            .client
            .find(Locator::Css("#palette-q"))
            .await
            .unwrap()
            .attr("aria-expanded")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    browser.shot("palette-open-light-1280").await;
    keys(&browser, &String::from(char::from(Key::Down))).await;
    let input = browser
        .client
        .find(Locator::Css("#palette-q"))
        .await
        .unwrap();
    assert_eq!(
        input
            .attr("aria-activedescendant")
            .await
            .unwrap()
            .as_deref(),
        Some("palette-option-0")
    );
    assert_eq!(
        browser
            .client
            .find(Locator::Css("#palette-option-0"))
            .await
            .unwrap()
            .attr("aria-selected")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    keys(&browser, &String::from(char::from(Key::Enter))).await;
    wait_for_path(&browser, |p| p == anita, "the contact's page").await;
    assert_eq!(browser.text("h1.contact-name").await, "Anita Perlman");

    // Ctrl+K on another page; a company-like part of the e-mail, then a whole e-mail.
    browser.goto(&server.url("/follow-ups")).await;
    browser.text("h1").await;
    keys(&browser, &(Key::Control + "k")).await;
    until(
        &browser,
        "document.getElementById('palette').open",
        "the palette on Ctrl+K",
    )
    .await;
    keys(&browser, "cyberdyne").await;
    until(
        &browser,
        "[...document.querySelectorAll('#palette-results .palette-title')].some(e => e.textContent === 'Anita Perlman')",
        "the e-mail's domain to find her",
    )
    .await;
    assert!(browser
        .text("#palette-results .palette-subtitle")
        .await
        .contains("anita@cyberdyne.io"));
    // Typing on replaces the results; the other Anita never shows for "grace@navy".
    let input = browser
        .client
        .find(Locator::Css("#palette-q"))
        .await
        .unwrap();
    input.clear().await.unwrap();
    input.send_keys("grace@navy").await.unwrap();
    until(
        &browser,
        "[...document.querySelectorAll('#palette-results .palette-title')].map(e => e.textContent).join('|') === 'Grace Hopper|See all results for “grace@navy”'",
        "the e-mail to find Grace only",
    )
    .await;
    // Esc closes it.
    keys(&browser, &String::from(char::from(Key::Escape))).await;
    until(
        &browser,
        "!document.getElementById('palette').open",
        "Esc to close",
    )
    .await;

    // Enter with nothing chosen goes to the results page.
    keys(&browser, &(Key::Control + "k")).await;
    until(
        &browser,
        "document.getElementById('palette').open",
        "the palette again",
    )
    .await;
    let input = browser
        .client
        .find(Locator::Css("#palette-q"))
        .await
        .unwrap();
    input.clear().await.unwrap();
    input.send_keys("anita").await.unwrap();
    until(
        &browser,
        "document.querySelectorAll('#palette-results [role=option]').length === 3",
        "both Anitas",
    )
    .await;
    input
        .send_keys(&String::from(char::from(Key::Enter)))
        .await
        .unwrap();
    wait_for_path(&browser, |p| p == "/search?q=anita", "the results page").await;
    assert_eq!(
        browser.texts("#search-contacts .search-result-title").await,
        ["Anita Borg", "Anita Perlman"]
    );

    // Typing into the header's box opens the palette with what was typed.
    browser.goto(&server.url("/contacts")).await;
    browser.text("h1").await;
    browser.fill("#site-search-q", "hop").await;
    until(
        &browser,
        "document.getElementById('palette').open",
        "the header box to open the palette",
    )
    .await;
    until(
        &browser,
        "[...document.querySelectorAll('#palette-results .palette-title')].some(e => e.textContent === 'Grace Hopper')",
        "what was typed in the header",
    )
    .await;
    assert_eq!(
        browser
            .client
            .find(Locator::Css("#palette-q"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("hop")
    );
    keys(&browser, &String::from(char::from(Key::Escape))).await;
    // On the contacts page too, `/` opens the palette (the list's own box is a Tab away).
    blur(&browser).await;
    keys(&browser, "/").await;
    assert_eq!(active_id(&browser).await, "palette-q");

    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n_opens_quick_add_focused_on_name_and_lands_on_the_new_contact() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "adder").await;
    browser.goto(&server.url("/contacts")).await;
    browser.text("h1").await;
    blur(&browser).await;
    keys(&browser, "n").await;
    until(
        &browser,
        "document.getElementById('quick-add').open",
        "the quick add dialog",
    )
    .await;
    assert_eq!(active_id(&browser).await, "qa-name");
    assert_eq!(
        browser.path().await,
        "/contacts",
        "the dialog opens on the page"
    );
    keys(&browser, "Margaret Hamilton").await;
    browser.fill("#qa-email", "margaret@apollo.example").await;
    browser.fill("#qa-tags", "apollo, NASA").await;
    browser.shot("quick-add-light-1280").await;
    browser.click("#quick-add button[type=submit]").await;
    assert_eq!(browser.text("h1.contact-name").await, "Margaret Hamilton");
    assert_eq!(
        browser.text(".flash-success").await,
        "Contact Margaret Hamilton added."
    );
    let contact = browser.path().await;
    assert!(contact.starts_with("/contacts/"), "{contact}");
    // What was typed is there: the e-mail and the tags, found by the search.
    browser.goto(&server.url("/search?q=margaret+nasa")).await;
    assert_eq!(
        browser.texts("#search-contacts .search-result-title").await,
        ["Margaret Hamilton"]
    );
    assert_eq!(
        browser.texts("#search-contacts .search-result-line").await,
        ["margaret@apollo.example"]
    );
    assert_eq!(
        browser.texts("#search-contacts .search-tag").await,
        ["apollo", "NASA"]
    );

    // The header's "+" opens the same dialog; Cancel closes it; a bad e-mail comes back.
    browser.press(".quick-add-link").await;
    until(
        &browser,
        "document.getElementById('quick-add').open",
        "the + to open quick add",
    )
    .await;
    assert_eq!(active_id(&browser).await, "qa-name");
    browser.press("#quick-add [data-dialog-close]").await;
    until(
        &browser,
        "!document.getElementById('quick-add').open",
        "Cancel",
    )
    .await;
    browser.press(".quick-add-link").await;
    until(
        &browser,
        "document.getElementById('quick-add').open",
        "quick add again",
    )
    .await;
    keys(&browser, "Bad Mail").await;
    browser.fill("#qa-email", "nope").await;
    browser.click("#quick-add button[type=submit]").await;
    assert_eq!(browser.path().await, "/contacts/quick");
    assert!(browser
        .text("#quick-email-error")
        .await
        .contains("e-mail address"));
    assert_eq!(
        active_id(&browser).await,
        "quick-name",
        "the full page focuses Name"
    );

    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_page_has_l_e_v_f_shortcuts_listed_by_question_mark() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "keys").await;
    let contact = quick_add(&browser, &server, "Katherine Johnson", "", "").await;
    blur(&browser).await;

    // `l`: the log box's notes; typing there is typing, not a shortcut.
    keys(&browser, "l").await;
    assert_eq!(active_id(&browser).await, "log-notes");
    keys(&browser, "evf").await;
    assert_eq!(browser.path().await, contact);
    assert_eq!(
        browser
            .client
            .find(Locator::Css("#log-notes"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("evf")
    );
    blur(&browser).await;

    // `f`: the follow-up form's first field.
    keys(&browser, "f").await;
    let focused = active_id(&browser).await;
    assert!(focused.starts_with("fu-when-"), "{focused}");
    blur(&browser).await;

    // `?` lists the page's own shortcuts besides the global ones.
    keys(&browser, "?").await;
    until(
        &browser,
        "document.getElementById('shortcuts').open",
        "the shortcuts dialog",
    )
    .await;
    let listed = browser.texts("#page-shortcuts dd").await;
    for label in [
        "Log an interaction",
        "Edit the contact",
        "Mark or unmark as VIP",
        "Add a follow-up",
    ] {
        assert!(
            listed.iter().any(|l| l == label),
            "{label} not in {listed:?}"
        );
    }
    assert_eq!(browser.texts("#page-shortcuts kbd").await.len(), 4);
    keys(&browser, &String::from(char::from(Key::Escape))).await;
    until(
        &browser,
        "!document.getElementById('shortcuts').open",
        "Esc",
    )
    .await;

    // With a modifier, a key is not the page's shortcut.
    blur(&browser).await;
    keys(&browser, &(Key::Alt + "v")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!browser.text("h1.contact-name").await.contains("VIP"));

    // `v`: marks as VIP (the page reloads with the badge).
    let old = browser.client.find(Locator::Css("html")).await.unwrap();
    keys(&browser, "v").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "v did not submit");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(browser.text("h1.contact-name").await.contains("VIP"));
    assert_eq!(browser.path().await, contact);

    // `e`: the edit page.
    blur(&browser).await;
    keys(&browser, "e").await;
    let edit = format!("{contact}/edit");
    wait_for_path(&browser, |p| p == edit, "the edit page").await;

    // On a page without them, `?` lists only the global ones.
    browser.goto(&server.url("/dashboard")).await;
    browser.text("h1").await;
    blur(&browser).await;
    keys(&browser, "?").await;
    until(
        &browser,
        "document.getElementById('shortcuts').open",
        "the shortcuts dialog",
    )
    .await;
    assert!(!browser
        .client
        .find(Locator::Css("#page-shortcuts"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());

    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_header_searches_and_adds_through_pages() {
    let server = Server::start();
    let browser = Browser::start_without_javascript().await;
    browser.register(&server, "plain").await;
    browser.press(".quick-add-link").await;
    assert_eq!(browser.path().await, "/contacts/quick");
    browser.fill("#quick-name", "Hedy Lamarr").await;
    browser.fill("#quick-tags", "radio").await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.text("h1.contact-name").await, "Hedy Lamarr");
    browser.fill("#site-search-q", "lamarr hedy").await;
    browser.click("header .site-search-button").await;
    assert_eq!(browser.path().await, "/search?q=lamarr+hedy");
    assert_eq!(
        browser.texts("#search-contacts .search-result-title").await,
        ["Hedy Lamarr"]
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_the_palette_quick_add_and_results() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "shots").await;
    for (name, email, tags) in [
        ("Anita Perlman", "anita@cyberdyne.io", "rustacean, speaker"),
        ("Anita Borg", "anita.borg@example.org", "mentor"),
        ("Annie Easley", "", ""),
    ] {
        let contact = quick_add(&browser, &server, name, email, tags).await;
        browser.fill("#log-notes", &format!("Met {name} at the conference; we talked about anything and everything, from compilers to the coffee.")).await;
        browser.click(".log-form button[type=submit]").await;
        assert_eq!(browser.path().await, contact);
    }
    let dir = screenshot_dir();
    for theme in ["light", "dark"] {
        browser.emulate_color_scheme(theme).await;
        for (width, height) in [(1280, 900), (375, 812)] {
            browser.resize(width, height).await;
            browser.goto(&server.url("/dashboard")).await;
            browser.text("h1").await;
            blur(&browser).await;
            keys(&browser, &(Key::Control + "k")).await;
            until(
                &browser,
                "document.getElementById('palette').open",
                "the palette",
            )
            .await;
            keys(&browser, "anita").await;
            until(
                &browser,
                "document.querySelectorAll('#palette-results [role=option]').length >= 3",
                "results",
            )
            .await;
            keys(&browser, &String::from(char::from(Key::Down))).await;
            // Everything fits the width.
            until(
                &browser,
                "document.documentElement.scrollWidth <= window.innerWidth",
                "no sideways scroll",
            )
            .await;
            browser.shot(&format!("palette-{theme}-{width}")).await;
            keys(&browser, &String::from(char::from(Key::Escape))).await;
            until(&browser, "!document.getElementById('palette').open", "Esc").await;
            blur(&browser).await;
            keys(&browser, "n").await;
            until(
                &browser,
                "document.getElementById('quick-add').open",
                "quick add",
            )
            .await;
            browser.shot(&format!("quick-add-{theme}-{width}")).await;
            browser.goto(&server.url("/search?q=anita")).await;
            browser.text("#search-contacts").await;
            until(
                &browser,
                "document.documentElement.scrollWidth <= window.innerWidth",
                "no sideways scroll",
            )
            .await;
            browser.shot(&format!("search-page-{theme}-{width}")).await;
        }
    }
    assert!(dir.join("palette-dark-375.png").exists());
    browser.close().await;
}
