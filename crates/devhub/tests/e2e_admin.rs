//! In a real browser: the first account becomes the admin, closes registration, switches to
//! invitations and invites a second user, who registers with the link; the admin disables
//! them, and their next page load ends on the log-in page, which says the account is disabled.
#![allow(clippy::unwrap_used)]

mod e2e;

use std::time::{Duration, Instant};

use e2e::{Browser, Server, PASSWORD};
use fantoccini::Locator;

/// Clicks a button whose form asks first (`data-confirm`), accepts the question, and waits
/// for the next page.
async fn click_confirmed(browser: &Browser, css: &str) {
    let old = browser.client.find(Locator::Css("html")).await.unwrap();
    browser.press(css).await;
    browser.client.accept_alert().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < deadline, "{css} did not load a page");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_closes_registration_invites_a_user_and_disables_them() {
    let server = Server::start();
    let admin = Browser::start().await;

    // The first account is the admin: its navigation has the admin page.
    admin.register(&server, "ada").await;
    assert_eq!(admin.text("#nav-admin").await, "Admin");
    admin.click("#nav-admin").await;
    assert_eq!(admin.path().await, "/admin");
    assert_eq!(admin.texts(".account-name strong").await, ["ada"]);
    admin.shot("admin-01-page").await;

    // Registration closed: the register page says so and has no form.
    admin.press("#mode-closed").await;
    admin.click("#registration-save").await;
    assert_eq!(
        admin.text(".flash-success").await,
        "Registration is closed."
    );
    admin.goto(&server.url("/register")).await;
    assert!(admin
        .text("#registration-mode")
        .await
        .contains("Registration is closed"));
    assert!(!admin.exists("form[action='/register']").await);
    admin.shot("admin-02-register-closed").await;

    // By invitation: a link for Grace, shown once.
    admin.goto(&server.url("/admin")).await;
    admin.press("#mode-invite").await;
    admin.click("#registration-save").await;
    admin.fill("#invite-note", "for Grace").await;
    admin.click("#invite-create").await;
    let link = value(&admin, "#new-invitation-url").await;
    assert!(link.starts_with(&server.url("/register?invite=")), "{link}");
    admin.shot("admin-03-invitation").await;

    // Grace, in a browser of her own, registers with it.
    let grace = Browser::start().await;
    grace.goto(&server.url("/register")).await;
    assert!(grace
        .text("#registration-mode")
        .await
        .contains("by invitation"));
    assert!(!grace.exists("form[action='/register']").await);
    grace.goto(&link).await;
    grace.fill("#username", "grace").await;
    grace.fill("#password", PASSWORD).await;
    grace.click("main button[type=submit]").await;
    assert_eq!(grace.text(".nav-user").await, "grace");
    assert!(
        !grace.exists("#nav-admin").await,
        "a member has no admin page"
    );
    grace.goto(&server.url("/contacts")).await;
    assert_eq!(grace.path().await, "/contacts");
    // The admin page is a 404 for her.
    grace.goto(&server.url("/admin")).await;
    assert_eq!(grace.text("h1").await, "Page not found");

    // The link is used up.
    admin.goto(&server.url("/admin")).await;
    assert_eq!(admin.text(".invitation-status").await, "used by grace");
    assert_eq!(admin.texts(".account-name strong").await, ["ada", "grace"]);

    // The admin disables her; her next page load goes to the log-in page.
    click_confirmed(
        &admin,
        "tr[data-username=grace] form[action$='/disable'] button",
    )
    .await;
    assert!(admin
        .text(".flash-success")
        .await
        .starts_with("grace is disabled"));
    admin.shot("admin-04-disabled").await;

    grace.goto(&server.url("/contacts")).await;
    assert_eq!(grace.path().await, "/login?next=%2Fcontacts");
    grace.fill("#username", "grace").await;
    grace.fill("#password", PASSWORD).await;
    grace.click("main button[type=submit]").await;
    assert!(grace
        .text(".alert")
        .await
        .contains("This account is disabled"));
    assert!(grace.path().await.starts_with("/login"));
    grace.shot("admin-05-login-disabled").await;

    // The admin page on a phone, and in the dark.
    admin.resize(375, 812).await;
    admin.goto(&server.url("/admin")).await;
    admin.shot("admin-06-phone").await;
    admin.emulate_color_scheme("dark").await;
    admin.goto(&server.url("/admin")).await;
    admin.shot("admin-07-phone-dark").await;
    admin.resize(1280, 900).await;
    admin.goto(&server.url("/admin")).await;
    admin.shot("admin-08-dark").await;

    grace.close().await;
    admin.close().await;
}
