//! Two-factor log-in through the real router and a real database file (issue 16): set-up
//! refused with a wrong confirmation code and on with the right one; a log-in then needs a
//! code; recovery codes work once; a remembered browser skips the code until 2FA is turned
//! off or the password changes; nobody else can touch your second factor; an admin's clear
//! turns it off. Codes come from the tests' own RFC 6238 (`rfc6238`), not the app's crate.
#![allow(clippy::unwrap_used)]

mod common;
mod rfc6238;

use axum::http::StatusCode;
use common::{sign_up, Client, TestApp, PASSWORD};
use rfc6238::{code, now};

/// Turns 2FA on for the signed-in client as a person would: set-up, the key read from the
/// page, the code their phone would show. Returns the key and the ten recovery codes.
async fn turn_on(client: &mut Client<'_>) -> (String, Vec<String>) {
    let r = client.post_form("/settings/two-factor/setup", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = client.get("/settings/two-factor").await;
    assert_eq!(page.status, StatusCode::OK);
    let secret = page.texts("#totp-secret")[0].replace(' ', "");
    assert!(
        page.body.contains("<svg class=\"qr\""),
        "the QR code is inline"
    );
    let href = page.attr("#otpauth-link", "href").unwrap();
    assert!(
        href.starts_with("otpauth://totp/Developer%20Hub:") && href.contains(&secret),
        "{href}"
    );
    let r = client
        .post_form(
            "/settings/two-factor/enable",
            &[("code", &code(&secret, now()))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes = r.texts("#recovery-code-list li code");
    assert_eq!(codes.len(), 10, "{}", r.body);
    (secret, codes)
}

/// A six-digit code that is none of the codes around now.
fn wrong_code(secret: &str) -> String {
    let t = now();
    let near: Vec<String> = (0..5).map(|i| code(secret, t - 60 + i * 30)).collect();
    ["000000", "123456", "999999", "424242"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap()
        .to_string()
}

/// The code a phone shows in the next time step: accepted (±1 step), and never the step
/// the set-up's confirmation just spent.
fn next_code(secret: &str) -> String {
    code(secret, now() + 30)
}

/// Lets the next log-in use a code again (the tests cannot wait 30 seconds for a new step).
async fn forget_used_steps(app: &TestApp) {
    let conn = app.db.conn().await.unwrap();
    conn.execute("UPDATE two_factor SET last_used_step = 0", ())
        .await
        .unwrap();
}

async fn log_out(client: &mut Client<'_>) {
    let r = client.post_form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(client.session_token().is_none());
}

/// Logs in with the password and expects the code page.
async fn password_step(client: &mut Client<'_>, username: &str) {
    let r = client.login(username, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/login/two-factor"));
    assert!(
        client.session_token().is_none(),
        "no session before the code"
    );
}

#[tokio::test]
async fn set_up_is_refused_with_a_wrong_code_and_on_with_the_right_one() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let settings = ada.get("/settings").await;
    assert_eq!(
        settings.attr("#two-factor-link", "href").as_deref(),
        Some("/settings/two-factor")
    );
    let page = ada.get("/settings/two-factor").await;
    assert_eq!(page.texts("#two-factor-state"), ["Off"]);

    ada.post_form("/settings/two-factor/setup", &[]).await;
    let page = ada.get("/settings/two-factor").await;
    let secret = page.texts("#totp-secret")[0].replace(' ', "");
    assert_eq!(secret.len(), 32);
    // The set-up shows a new key until confirmed; the page says the same on a reload.
    assert_eq!(
        ada.get("/settings/two-factor").await.texts("#totp-secret")[0].replace(' ', ""),
        secret
    );

    for (typed, message) in [
        (wrong_code(&secret), "That code is not right"),
        ("12345".to_string(), "Enter the 6-digit code"),
        ("abcdef".to_string(), "Enter the 6-digit code"),
        (String::new(), "Enter the 6-digit code"),
    ] {
        let r = ada
            .post_form("/settings/two-factor/enable", &[("code", &typed)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(
            r.texts("#code-error")[0].starts_with(message),
            "{typed}: {}",
            r.body
        );
        assert_eq!(
            r.attr("#code", "value").unwrap(),
            typed,
            "the code typed is kept"
        );
        assert!(!app.db.two_factor().is_enabled(&ada_id).await.unwrap());
    }
    assert_eq!(common::count(&app.db, "recovery_code").await, 0);

    // The code as a phone shows it, with a space in the middle.
    let right = code(&secret, now());
    let spaced = format!("{} {}", &right[..3], &right[3..]);
    let r = ada
        .post_form("/settings/two-factor/enable", &[("code", &spaced)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes = r.texts("#recovery-code-list li code");
    assert_eq!(codes.len(), 10);
    let download = r.attr("#recovery-codes-download", "href").unwrap();
    assert!(download.starts_with("data:text/plain"), "{download}");
    assert!(
        download.contains(&codes[0].replace('-', "%2D")),
        "{download}"
    );
    assert!(app.db.two_factor().is_enabled(&ada_id).await.unwrap());
    assert_eq!(common::count(&app.db, "recovery_code").await, 10);
    // The codes are stored as hashes only.
    let conn = app.db.conn().await.unwrap();
    let mut rows = conn
        .query("SELECT group_concat(code_hash) FROM recovery_code", ())
        .await
        .unwrap();
    let stored: String = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert!(!stored.contains(&codes[0]));

    // Shown once: the page does not list them again.
    let page = ada.get("/settings/two-factor").await;
    assert_eq!(page.texts("#two-factor-state"), ["On"]);
    assert!(page.texts("#recovery-code-list li").is_empty());
    assert_eq!(
        page.texts("#codes-left"),
        ["10 unused recovery codes left."]
    );
    // A second set-up is refused while it is on.
    let r = ada.post_form("/settings/two-factor/setup", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app.db.two_factor().is_enabled(&ada_id).await.unwrap());
}

#[tokio::test]
async fn a_log_in_then_needs_a_code_which_works_once_and_keeps_next() {
    let app = common::spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let (secret, _) = turn_on(&mut ada).await;
    log_out(&mut ada).await;

    // A wrong password is still just a wrong password.
    let r = ada.login("ada", "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = ada
        .post_form(
            "/login",
            &[
                ("username", "ada"),
                ("password", PASSWORD),
                ("next", "/contacts?tab=vip"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some("/login/two-factor"));
    assert!(ada.session_token().is_none());
    let challenge = r.set_cookie("devhub-2fa-challenge").unwrap();
    assert!(
        challenge.contains("HttpOnly") && challenge.contains("Max-Age=300"),
        "{challenge}"
    );
    // Pages still want a log-in.
    let r = ada.get("/settings").await;
    assert_eq!(r.location(), Some("/login?next=%2Fsettings"));

    let page = ada.get("/login/two-factor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("#code", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(page.attr("#code", "inputmode").as_deref(), Some("numeric"));
    assert!(page.attr("#remember", "type").is_some());
    assert!(page.attr("#recovery_code", "name").is_some());

    let r = ada
        .post_form("/login/two-factor", &[("code", &wrong_code(&secret))])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.texts("#code-error"),
        ["That code is not right. Check your app and try again. (4 tries left)"]
    );
    assert!(ada.session_token().is_none());
    let r = ada.post_form("/login/two-factor", &[("code", "12")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let good = next_code(&secret);
    let r = ada.post_form("/login/two-factor", &[("code", &good)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/contacts?tab=vip"));
    assert!(ada.session_token().is_some());
    assert_eq!(common::count(&app.db, "two_factor_challenge").await, 0);
    assert_eq!(ada.get("/settings").await.status, StatusCode::OK);
    // The challenge is over: its page sends back to the log-in.
    let r = ada.get("/login/two-factor").await;
    assert_eq!(r.location(), Some("/login"));

    // The same code again, in a new log-in: refused as a replay.
    log_out(&mut ada).await;
    password_step(&mut ada, "ada").await;
    let r = ada.post_form("/login/two-factor", &[("code", &good)]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.texts("#code-error")[0].starts_with("That code was used already"));
    assert!(ada.session_token().is_none());
}

#[tokio::test]
async fn too_many_wrong_codes_end_the_log_in() {
    let app = common::spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let (secret, _) = turn_on(&mut ada).await;
    log_out(&mut ada).await;
    password_step(&mut ada, "ada").await;
    let wrong = wrong_code(&secret);
    for _ in 0..4 {
        let r = ada
            .post_form("/login/two-factor", &[("code", &wrong)])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = ada
        .post_form("/login/two-factor", &[("code", &wrong)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login"));
    assert_eq!(common::count(&app.db, "two_factor_challenge").await, 0);
    let login = ada.get("/login").await;
    assert_eq!(
        login.texts(".flash-error"),
        ["Too many wrong codes. Please log in again."]
    );
    // Even the right code does nothing now.
    let r = ada
        .post_form("/login/two-factor", &[("code", &next_code(&secret))])
        .await;
    assert_eq!(r.location(), Some("/login"));
    assert!(ada.session_token().is_none());
    // A challenge cookie made up or from nowhere leads back to the log-in too.
    ada.cookies
        .insert("devhub-2fa-challenge".into(), "made-up".into());
    assert_eq!(
        ada.get("/login/two-factor").await.location(),
        Some("/login")
    );
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_and_the_page_after_says_how_many_remain() {
    let app = common::spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let (_, codes) = turn_on(&mut ada).await;
    log_out(&mut ada).await;

    password_step(&mut ada, "ada").await;
    let r = ada
        .post_form(
            "/login/two-factor",
            &[("recovery_code", &codes[4].to_uppercase())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/"));
    assert!(ada.session_token().is_some());
    let home = ada.get("/").await;
    assert_eq!(
        home.texts(".flash-success"),
        ["Recovery code used: 9 codes left."]
    );
    let page = ada.get("/settings/two-factor").await;
    assert_eq!(page.texts("#codes-left"), ["9 unused recovery codes left."]);

    log_out(&mut ada).await;
    password_step(&mut ada, "ada").await;
    let r = ada
        .post_form("/login/two-factor", &[("recovery_code", &codes[4])])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.texts("#code-error")[0]
        .starts_with("That recovery code is not valid or was used already."));
    // The recovery form stays open with the message.
    assert!(r.attr("details.recovery-option", "open").is_some());
    assert!(ada.session_token().is_none());
    // Another unused one still works.
    let r = ada
        .post_form("/login/two-factor", &[("recovery_code", &codes[0])])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(ada.session_token().is_some());
}

#[tokio::test]
async fn new_recovery_codes_and_turning_off_need_the_password() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let (_, old_codes) = turn_on(&mut ada).await;

    let r = ada
        .post_form(
            "/settings/two-factor/recovery-codes",
            &[("password", "wrong password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.texts("#codes-password-error"),
        ["This is not your password."]
    );
    let r = ada
        .post_form(
            "/settings/two-factor/recovery-codes",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let new_codes = r.texts("#recovery-code-list li code");
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
    let hash = devhub_db::repo::two_factor::recovery_code_hash;
    assert_eq!(
        app.db
            .two_factor()
            .use_recovery_code(&ada_id, &hash(&old_codes[0]))
            .await
            .unwrap(),
        None,
        "the old codes stopped working"
    );

    let r = ada
        .post_form(
            "/settings/two-factor/disable",
            &[("password", "wrong password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.texts("#disable-password-error"),
        ["This is not your password."]
    );
    assert!(app.db.two_factor().is_enabled(&ada_id).await.unwrap());
    let r = ada
        .post_form("/settings/two-factor/disable", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!app.db.two_factor().is_enabled(&ada_id).await.unwrap());
    assert_eq!(common::count(&app.db, "recovery_code").await, 0);
    log_out(&mut ada).await;
    let r = ada.login("ada", PASSWORD).await;
    assert_eq!(r.location(), Some("/"), "the password alone again");
}

#[tokio::test]
async fn a_remembered_browser_skips_the_code_for_30_days_until_2fa_is_turned_off() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let (secret, _) = turn_on(&mut ada).await;
    log_out(&mut ada).await;

    password_step(&mut ada, "ada").await;
    let r = ada
        .post_form(
            "/login/two-factor",
            &[("code", &next_code(&secret)), ("remember", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r.set_cookie("devhub-2fa-device").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains(&format!("Max-Age={}", 30 * 86_400)),
        "{cookie}"
    );
    let token = ada.cookies["devhub-2fa-device"].clone();
    let device = devhub_db::sha256_hex(&token);
    let repo = app.db.two_factor();
    let at = devhub_db::row::now();
    assert!(repo.is_remembered(&ada_id, &device, at).await.unwrap());
    assert!(repo
        .is_remembered(&ada_id, &device, at + chrono::Duration::days(29))
        .await
        .unwrap());
    assert!(!repo
        .is_remembered(&ada_id, &device, at + chrono::Duration::days(31))
        .await
        .unwrap());

    // This browser: the password alone.
    log_out(&mut ada).await;
    let r = ada.login("ada", PASSWORD).await;
    assert_eq!(r.location(), Some("/"));
    assert!(ada.session_token().is_some());

    // Another browser (no device cookie) still needs the code; and a device cookie of
    // Ada's is nothing to another user.
    let mut other = app.client();
    password_step(&mut other, "ada").await;
    let (mut eve, _) = sign_up(&app, "eve").await;
    let (_, _) = turn_on(&mut eve).await;
    log_out(&mut eve).await;
    eve.cookies
        .insert("devhub-2fa-device".into(), token.clone());
    password_step(&mut eve, "eve").await;

    // Turned off and on again: the browser is forgotten.
    let r = ada
        .post_form("/settings/two-factor/disable", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(common::count(&app.db, "remembered_device").await, 0);
    let (secret, _) = turn_on(&mut ada).await;
    log_out(&mut ada).await;
    password_step(&mut ada, "ada").await;

    // Remembered again, then the password changes: forgotten again.
    forget_used_steps(&app).await;
    let r = ada
        .post_form(
            "/login/two-factor",
            &[("code", &next_code(&secret)), ("remember", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = ada
        .post_form(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another good password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    log_out(&mut ada).await;
    let r = ada.login("ada", "another good password").await;
    assert_eq!(r.location(), Some("/login/two-factor"));
}

#[tokio::test]
async fn nobody_else_can_touch_your_second_factor() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let (_, ada_codes) = turn_on(&mut ada).await;
    let (mut eve, eve_id) = sign_up(&app, "eve").await;

    // Eve's pages are about Eve: her settings say off, and what she posts changes her own.
    let page = eve.get("/settings/two-factor").await;
    assert_eq!(page.texts("#two-factor-state"), ["Off"]);
    for (path, fields) in [
        ("/settings/two-factor/disable", vec![("password", PASSWORD)]),
        (
            "/settings/two-factor/recovery-codes",
            vec![("password", PASSWORD)],
        ),
        ("/settings/two-factor/cancel", vec![]),
        ("/settings/two-factor/enable", vec![("code", "123456")]),
    ] {
        let r = eve.post_form(path, &fields).await;
        assert!(!r.status.is_server_error(), "{path}: {}", r.status);
    }
    assert!(app.db.two_factor().is_enabled(&ada_id).await.unwrap());
    assert_eq!(
        app.db
            .two_factor()
            .recovery_codes_left(&ada_id)
            .await
            .unwrap(),
        10
    );
    assert!(!app.db.two_factor().is_enabled(&eve_id).await.unwrap());

    // Eve, logging in as herself with Ada's recovery code: not hers.
    turn_on(&mut eve).await;
    log_out(&mut eve).await;
    password_step(&mut eve, "eve").await;
    let r = eve
        .post_form("/login/two-factor", &[("recovery_code", &ada_codes[0])])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.db
            .two_factor()
            .recovery_codes_left(&ada_id)
            .await
            .unwrap(),
        10
    );
    // Without a session, the settings pages want a log-in.
    let mut stranger = app.client();
    let r = stranger
        .post_form("/settings/two-factor/disable", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.location(), Some("/login"));
    assert!(app.db.two_factor().is_enabled(&ada_id).await.unwrap());
}

#[tokio::test]
async fn an_admins_clear_turns_the_second_factor_off() {
    let app = common::spawn_app().await;
    // The instance's first account is its admin.
    let (mut root, _) = sign_up(&app, "root").await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    turn_on(&mut ada).await;
    log_out(&mut ada).await;
    password_step(&mut ada, "ada").await;

    // The admin page offers the button for Ada, who has a second factor, and not for root.
    let page = root.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    let clear = format!("/admin/users/{ada_id}/two-factor/clear");
    assert!(page.body.contains(&clear), "{}", page.body);
    assert_eq!(page.body.matches("/two-factor/clear").count(), 1);

    // A member cannot clear anyone's: the admin pages are not there for them.
    let (mut eve, eve_id) = sign_up(&app, "eve").await;
    let r = eve.post_form(&clear, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.db.two_factor().is_enabled(&ada_id).await.unwrap());

    let r = root
        .post_form("/admin/users/no-such-user/two-factor/clear", &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = root.post_form(&clear, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Ada's own log says an admin did it, and so does the instance's.
    let log = ada_log(&app, &ada_id).await;
    assert!(log.contains(&"two_factor_cleared".to_string()), "{log:?}");
    let events = app.db.security_events().list_instance(100).await.unwrap();
    assert!(
        events.iter().any(|e| e.raw_kind == "two_factor_cleared"
            && e.detail.as_deref() == Some("ada, by admin root")),
        "{events:?}"
    );
    assert!(!app.db.two_factor().is_enabled(&ada_id).await.unwrap());
    let _ = eve_id;
    assert!(!app.db.two_factor().is_enabled(&ada_id).await.unwrap());
    for table in [
        "two_factor",
        "recovery_code",
        "two_factor_challenge",
        "remembered_device",
    ] {
        assert_eq!(common::count(&app.db, table).await, 0, "{table}");
    }
    // The half-done log-in is over; a new one needs the password alone.
    assert_eq!(
        ada.get("/login/two-factor").await.location(),
        Some("/login")
    );
    let r = ada.login("ada", PASSWORD).await;
    assert_eq!(r.location(), Some("/"));

    // The repository function itself, as the command line would call it.
    turn_on(&mut ada).await;
    assert!(app.db.two_factor().clear(&ada_id).await.unwrap());
    assert!(!app.db.two_factor().is_enabled(&ada_id).await.unwrap());
}

/// The kinds of the events in `user`'s security log.
async fn ada_log(app: &TestApp, user: &devhub_db::UserId) -> Vec<String> {
    app.db
        .security_events()
        .list_for_user(user, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.raw_kind.clone())
        .collect()
}
