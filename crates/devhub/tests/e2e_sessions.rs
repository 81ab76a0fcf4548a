//! In real browsers: a user signed in on two browsers ends the other one's session from
//! Settings → Sessions (with JavaScript off: plain forms), the other browser is logged out at
//! its next page, and the security log shows both log-ins and the ended session.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{Browser, Server, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_ends_another_browsers_session_and_it_is_logged_out() {
    let server = Server::start();
    let laptop = Browser::start_without_javascript().await;
    let phone = Browser::start().await;
    laptop.register(&server, "ada").await;
    phone.goto(&server.url("/login")).await;
    phone.fill("#username", "ada").await;
    phone.fill("#password", PASSWORD).await;
    phone.click("main button[type=submit]").await;
    assert_eq!(phone.text(".nav-user").await, "ada");

    laptop.goto(&server.url("/settings")).await;
    laptop.click("#sessions-link").await;
    assert_eq!(laptop.path().await, "/settings/sessions");
    assert_eq!(laptop.texts("#signin-list .signin").await.len(), 2);
    assert_eq!(laptop.texts(".this-browser").await, ["This browser"]);
    laptop.shot("sessions-two-browsers").await;

    laptop
        .click(".signin:not(.current) .signin-end button")
        .await;
    assert!(laptop
        .text(".flash-success")
        .await
        .starts_with("Session ended:"));
    assert_eq!(laptop.texts("#signin-list .signin").await.len(), 1);

    phone.goto(&server.url("/dashboard")).await;
    assert_eq!(phone.path().await, "/login?next=%2Fdashboard");

    laptop.goto(&server.url("/settings/security")).await;
    let events = laptop.texts("#security-log .event-kind").await;
    assert_eq!(events, ["Session ended", "Logged in", "Account created"]);
    assert!(laptop
        .texts("#security-log .event-browser")
        .await
        .iter()
        .all(|b| b.contains("Chrome")));
    laptop.shot("security-log").await;

    phone.close().await;
    laptop.close().await;
}
