//! In a real browser: register → log out → log in → settings.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{Browser, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_registers_logs_out_logs_in_and_opens_settings() {
    let server = Server::start();
    let browser = Browser::start().await;

    browser.goto(&server.url("/")).await;
    assert_eq!(browser.path().await, "/login");
    browser.shot("01-login").await;

    browser.click("a[href='/register']").await;
    browser.fill("#username", "ada").await;
    browser.fill("#password", "short").await;
    browser.click("button[type=submit]").await;
    assert_eq!(
        browser.text("#password-error").await,
        "Password must be at least 8 characters."
    );
    browser.shot("02-register-error").await;

    browser.fill("#password", "correct horse battery").await;
    browser.click("button[type=submit]").await;
    assert_eq!(
        browser.text(".flash-success").await,
        "Welcome, ada! Your account is ready. As the first account here, you are this \
         instance's admin: see the Admin page."
    );
    assert_eq!(browser.path().await, "/");
    assert_eq!(browser.text(".nav-user").await, "ada");
    browser.shot("03-home").await;

    browser.click("form[action='/logout'] button").await;
    assert_eq!(
        browser.text(".flash-success").await,
        "You have been logged out."
    );
    assert_eq!(browser.path().await, "/login");

    browser.goto(&server.url("/settings")).await;
    assert_eq!(browser.path().await, "/login?next=%2Fsettings");
    browser.fill("#username", "ada").await;
    browser.fill("#password", "wrong password").await;
    browser.click("button[type=submit]").await;
    assert_eq!(
        browser.text(".alert").await,
        "Incorrect username or password."
    );
    browser.fill("#password", "correct horse battery").await;
    browser.click("button[type=submit]").await;

    assert_eq!(browser.path().await, "/settings");
    assert_eq!(browser.text("h1").await, "Settings");
    browser.shot("04-settings").await;

    browser.close().await;
}
