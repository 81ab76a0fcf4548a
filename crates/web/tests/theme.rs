//! The theme toggle, server side: the buttons each state offers and the cookie each press
//! stores (what the browser then shows is in `crates/devhub/tests/e2e_theme.rs`).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{sign_up, spawn_app, Client};

/// The toggle's buttons: `(value, class)`.
async fn toggle(client: &mut Client<'_>) -> Vec<(String, String)> {
    let r = client.get("/contacts").await;
    let selector = scraper::Selector::parse("form[action='/theme'] button").unwrap();
    r.html()
        .select(&selector)
        .map(|b| {
            (
                b.value().attr("value").unwrap_or_default().to_string(),
                b.value().attr("class").unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn following_the_system_the_toggle_offers_both_themes_for_the_stylesheet_to_pick_one() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;

    let buttons = toggle(&mut ada).await;

    // One is shown under a light system (to dark), the other under a dark one (to light).
    assert_eq!(buttons.len(), 2, "{buttons:?}");
    assert_eq!(buttons[0].0, "dark");
    assert!(buttons[0].1.contains("theme-from-light"));
    assert_eq!(buttons[1].0, "light");
    assert!(buttons[1].1.contains("theme-from-dark"));
}

#[tokio::test]
async fn a_chosen_theme_offers_the_other_one_and_following_the_system_again() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;

    for (chosen, other) in [("dark", "light"), ("light", "dark")] {
        let r = ada
            .post_form("/theme", &[("theme", chosen), ("back", "/contacts")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), Some("/contacts"));
        assert_eq!(ada.cookies.get("theme").map(String::as_str), Some(chosen));

        let buttons = toggle(&mut ada).await;

        let values: Vec<&str> = buttons.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, vec![other, "system"]);
        // Always shown: neither depends on the system's theme.
        assert!(buttons
            .iter()
            .all(|(_, class)| !class.contains("theme-from")));
    }
}

#[tokio::test]
async fn following_the_system_again_forgets_the_chosen_theme() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    ada.post_form("/theme", &[("theme", "dark")]).await;
    assert!(ada.cookies.contains_key("theme"));

    let r = ada
        .post_form("/theme", &[("theme", "system"), ("back", "/settings")])
        .await;

    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/settings"));
    assert!(!ada.cookies.contains_key("theme"));
    let page = ada.get("/settings").await;
    assert_eq!(page.attr("html", "data-theme"), None);
    assert_eq!(toggle(&mut ada).await.len(), 2);
}
