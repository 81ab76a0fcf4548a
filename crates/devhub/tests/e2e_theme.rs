//! In a real browser, under a light and a dark system theme (emulated): the theme toggle's
//! first press always changes what the user sees, and "follow the system" can be chosen again.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{Browser, Server};
use fantoccini::Locator;

/// The page backgrounds of the two themes (`--bg`).
const LIGHT: &str = "rgb(246, 247, 249)";
const DARK: &str = "rgb(15, 19, 25)";

/// The values of the toggle's buttons that the user can see.
async fn visible_toggle(browser: &Browser) -> Vec<String> {
    let mut values = Vec::new();
    for button in browser
        .client
        .find_all(Locator::Css("form[action='/theme'] button"))
        .await
        .unwrap()
    {
        if button.is_displayed().await.unwrap() {
            values.push(button.attr("value").await.unwrap().unwrap_or_default());
        }
    }
    values
}

async fn background(browser: &Browser) -> String {
    browser.computed_style("body", "background-color").await
}

/// Under a system theme of `system`, the toggle goes to `other` and back to following the
/// system, each press changing the page.
async fn toggle_round_trip(browser: &Browser, server: &Server, system: &str, shots: &str) {
    let (shown, other, other_bg, system_bg) = match system {
        "dark" => ("light", "light", LIGHT, DARK),
        _ => ("dark", "dark", DARK, LIGHT),
    };
    browser.emulate_color_scheme(system).await;
    browser.goto(&server.url("/contacts")).await;
    assert_eq!(background(browser).await, system_bg);
    // Following the system: one button, to the theme not shown.
    assert_eq!(visible_toggle(browser).await, vec![shown]);
    browser.shot(&format!("{shots}-1-system")).await;

    browser
        .click(&format!("form[action='/theme'] button[value={other}]"))
        .await;
    assert_eq!(browser.path().await, "/contacts");
    assert_eq!(background(browser).await, other_bg, "the first press");
    let chosen = browser
        .client
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("data-theme")
        .await
        .unwrap();
    assert_eq!(chosen.as_deref(), Some(other));
    assert_eq!(visible_toggle(browser).await, vec![system, "system"]);
    browser.shot(&format!("{shots}-2-chosen")).await;

    browser
        .click("form[action='/theme'] button[value=system]")
        .await;
    assert_eq!(background(browser).await, system_bg, "back to the system's");
    let chosen = browser
        .client
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("data-theme")
        .await
        .unwrap();
    assert_eq!(chosen, None);
    assert_eq!(visible_toggle(browser).await, vec![shown]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_dark_system_the_toggle_switches_to_light_then_back_to_the_system() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "ada").await;

    toggle_round_trip(&browser, &server, "dark", "theme-dark-system").await;
    browser.resize(375, 800).await;
    toggle_round_trip(&browser, &server, "dark", "theme-dark-system-375").await;

    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_light_system_the_toggle_switches_to_dark_then_back_without_javascript() {
    let server = Server::start();
    let browser = Browser::start_without_javascript().await;
    browser.register(&server, "ada").await;

    toggle_round_trip(&browser, &server, "light", "theme-light-system").await;

    browser.close().await;
}
