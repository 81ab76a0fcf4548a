//! Accounts and sessions through the in-process router (issue: web server, accounts).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use common::{count, spawn_app, spawn_app_with, TestApp, PASSWORD};
use devhub_db::repo::session::SessionId;
use devhub_db::sha256_hex;
use devhub_web::Settings;
use std::sync::Arc;

#[tokio::test]
async fn registering_creates_the_account_and_a_lucia_style_session() {
    let app = spawn_app().await;
    let mut client = app.client();

    let r = client.register("ada", PASSWORD).await;

    assert_eq!(r.location(), Some("/"));
    let cookie = r.set_cookie("auth-session").unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=259"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(
        !cookie.contains("Secure"),
        "no Secure without https: {cookie}"
    );
    let token = client.session_token().unwrap();
    assert!(token.len() >= 24, "at least 120 bits: {token}");
    // session.id is the lowercase hex sha256 of the token.
    let (session, user) = app
        .db
        .sessions()
        .find(&SessionId::from(sha256_hex(&token)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.username, "ada");
    let days = (session.expires_at - Utc::now()).num_days();
    assert!((29..=30).contains(&days), "{days}");
    assert!(user
        .password_hash
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));

    let home = client.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.texts(".nav-user"), ["ada"]);
    assert_eq!(
        home.texts(".flash-success"),
        [
            "Welcome, ada! Your account is ready. As the first account here, you are this \
          instance's admin: see the Admin page."
        ]
    );
}

#[tokio::test]
async fn secure_cookies_are_marked_secure() {
    let app = spawn_app_with(Settings {
        secure_cookies: true,
        ..Settings::default()
    })
    .await;
    let mut client = app.client();
    let r = client.register("ada", PASSWORD).await;
    assert!(r.set_cookie("auth-session").unwrap().contains("Secure"));
}

#[tokio::test]
async fn registration_errors_keep_the_username_and_sit_beside_the_field() {
    let app = spawn_app().await;
    let mut client = app.client();

    let r = client
        .post_form("/register", &[("username", "Ad a"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.attr("#username", "value").as_deref(), Some("Ad a"));
    assert_eq!(
        r.texts("#username-error"),
        ["Username may only contain letters a–z, digits, _ and -."]
    );

    let r = client
        .post_form("/register", &[("username", "ada"), ("password", "short")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts("#password-error"),
        ["Password must be at least 8 characters."]
    );

    let r = client
        .post_form(
            "/register",
            &[("username", "adalovelace"), ("password", "AdaLovelace")],
        )
        .await;
    assert_eq!(
        r.texts("#password-error"),
        ["Password must not be your username."]
    );

    let long = "x".repeat(129);
    let r = client
        .post_form("/register", &[("username", "ada"), ("password", &long)])
        .await;
    assert_eq!(
        r.texts("#password-error"),
        ["Password must be at most 128 characters."]
    );

    assert_eq!(count(&app.db, "user").await, 0, "nothing stored");
    assert!(client.session_token().is_none());
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    app.client().register("ada", PASSWORD).await;
    let before = app
        .db
        .users()
        .find_by_username("ada")
        .await
        .unwrap()
        .unwrap();

    let mut other = app.client();
    let r = other
        .post_form(
            "/register",
            &[("username", "ADA"), ("password", "another password")],
        )
        .await;

    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.texts("#username-error"), ["Username is already taken."]);
    assert_eq!(r.attr("#username", "value").as_deref(), Some("ada"));
    assert_eq!(count(&app.db, "user").await, 1);
    assert_eq!(
        app.db
            .users()
            .find_by_username("ada")
            .await
            .unwrap()
            .unwrap(),
        before
    );
    assert!(other.session_token().is_none());
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.client().register("ada", PASSWORD).await;
    let mut client = app.client();

    let wrong = client.login("ada", "not the password").await;
    let unknown = client.login("nobody", "not the password").await;

    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.texts(".alert"), ["Incorrect username or password."]);
    assert_eq!(unknown.texts(".alert"), wrong.texts(".alert"));
    assert_eq!(wrong.attr("#username", "value").as_deref(), Some("ada"));
    assert!(client.session_token().is_none());
}

#[tokio::test]
async fn logging_in_creates_a_new_session_and_ends_the_one_the_browser_had() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let planted = client.session_token().unwrap();

    let r = client.login("ada", PASSWORD).await;

    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let fresh = client.session_token().unwrap();
    assert_ne!(fresh, planted);
    assert!(app
        .db
        .sessions()
        .find(&SessionId::from_token(&planted))
        .await
        .unwrap()
        .is_none());
    assert!(app
        .db
        .sessions()
        .find(&SessionId::from_token(&fresh))
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn pages_redirect_to_login_with_a_local_next_and_the_api_answers_401() {
    let app = spawn_app().await;
    let mut client = app.client();

    let r = client.get("/settings?tab=x").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login?next=%2Fsettings%3Ftab%3Dx"));

    let page = client.get("/login?next=%2Fsettings").await;
    assert_eq!(
        page.attr("input[name=next]", "value").as_deref(),
        Some("/settings")
    );

    let api = client.get("/api/v1/contacts").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.headers["content-type"], "application/problem+json");

    app.client().register("ada", PASSWORD).await;
    let ok = client
        .post_form(
            "/login",
            &[
                ("username", "ada"),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(ok.location(), Some("/settings"));
    let mut other = app.client();
    let evil = other
        .post_form(
            "/login",
            &[
                ("username", "ada"),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(evil.location(), Some("/"), "off-site next ignored");
}

#[tokio::test]
async fn an_expired_session_is_rejected_and_deleted() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let id = SessionId::from_token(&client.session_token().unwrap());
    app.db
        .sessions()
        .set_expires_at(&id, Utc::now() - Duration::seconds(1))
        .await
        .unwrap();

    let r = client.get("/").await;

    assert_eq!(r.location(), Some("/login"));
    assert!(app.db.sessions().find(&id).await.unwrap().is_none());
    assert!(
        client.session_token().is_none(),
        "the stale cookie is removed"
    );
}

/// The contact page checks a session the instance knows in the batch of its own reads
/// (`page::View`), after them: the same rules hold there.
#[tokio::test]
async fn a_page_that_checks_the_session_with_its_reads_keeps_the_same_rules() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let id = SessionId::from_token(&client.session_token().unwrap());
    let made = client.post_form("/contacts", &[("name", "Grace")]).await;
    let page = made.location().unwrap().to_string();
    assert_eq!(client.get(&page).await.status, StatusCode::OK);

    // Renewed with fewer than 15 days left.
    app.db
        .sessions()
        .set_expires_at(&id, Utc::now() + Duration::days(14))
        .await
        .unwrap();
    let r = client.get(&page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Grace"));
    assert!(r
        .set_cookie("auth-session")
        .unwrap()
        .contains("Max-Age=259"));
    let (s, _) = app.db.sessions().find(&id).await.unwrap().unwrap();
    assert_eq!((s.expires_at - Utc::now()).num_days(), 29);

    // Expired: the way to sign in, not the page; the session is deleted.
    app.db
        .sessions()
        .set_expires_at(&id, Utc::now() - Duration::seconds(1))
        .await
        .unwrap();
    let r = client.get(&page).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().unwrap().starts_with("/login?next="));
    assert!(!r.body.contains("Grace"));
    assert!(app.db.sessions().find(&id).await.unwrap().is_none());
    assert!(client.session_token().is_none());
}

#[tokio::test]
async fn a_session_with_fewer_than_15_days_left_is_renewed_to_30() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let id = SessionId::from_token(&client.session_token().unwrap());

    // 16 days left: no renewal.
    app.db
        .sessions()
        .set_expires_at(&id, Utc::now() + Duration::days(16))
        .await
        .unwrap();
    let r = client.get("/").await;
    assert!(r.set_cookie("auth-session").is_none());
    let (s, _) = app.db.sessions().find(&id).await.unwrap().unwrap();
    assert_eq!((s.expires_at - Utc::now()).num_days(), 15);

    // 14 days left: renewed to 30, cookie re-sent.
    app.db
        .sessions()
        .set_expires_at(&id, Utc::now() + Duration::days(14))
        .await
        .unwrap();
    let r = client.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    let cookie = r.set_cookie("auth-session").unwrap();
    assert!(cookie.contains("Max-Age=259"), "{cookie}");
    let (s, _) = app.db.sessions().find(&id).await.unwrap().unwrap();
    assert_eq!((s.expires_at - Utc::now()).num_days(), 29);
}

#[tokio::test]
async fn logging_out_ends_the_session_and_the_old_cookie_stops_working() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let token = client.session_token().unwrap();

    let r = client.post_form("/logout", &[]).await;

    assert_eq!(r.location(), Some("/login"));
    assert!(r.set_cookie("auth-session").unwrap().contains("Max-Age=0"));
    assert_eq!(count(&app.db, "session").await, 0);
    let mut replay = app.client();
    replay.cookies.insert("auth-session".into(), token);
    assert_eq!(replay.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let mut laptop = app.client();
    laptop.register("ada", PASSWORD).await;
    let mut phone = app.client();
    phone.login("ada", PASSWORD).await;
    let hash_before = app
        .db
        .users()
        .find_by_username("ada")
        .await
        .unwrap()
        .unwrap()
        .password_hash;

    let wrong = laptop
        .post_form(
            "/settings/password",
            &[
                ("current_password", "nope nope"),
                ("new_password", "a new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.texts("#current-password-error"),
        ["This is not your current password."]
    );
    let short = laptop
        .post_form(
            "/settings/password",
            &[("current_password", PASSWORD), ("new_password", "short")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.db
            .users()
            .find_by_username("ada")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        hash_before
    );
    assert_eq!(count(&app.db, "session").await, 2);

    let ok = laptop
        .post_form(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new password"),
            ],
        )
        .await;

    assert_eq!(ok.location(), Some("/settings"));
    assert_eq!(
        laptop.get("/settings").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        phone.get("/settings").await.status,
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
    assert_eq!(
        app.client().login("ada", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client().login("ada", "a new password").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session() {
    let app = spawn_app().await;
    let mut laptop = app.client();
    laptop.register("ada", PASSWORD).await;
    let mut phone = app.client();
    phone.login("ada", PASSWORD).await;

    let r = laptop.post_form("/settings/sessions/revoke", &[]).await;

    assert_eq!(r.location(), Some("/login"));
    assert_eq!(count(&app.db, "session").await, 0);
    assert_eq!(phone.get("/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_leaves_no_rows() {
    let app = spawn_app().await;
    // Bob first: the instance's admin, who stays (the last admin cannot delete their account
    // while others exist: `admin.rs`).
    let mut bob = app.client();
    bob.register("bob", PASSWORD).await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let ada = app
        .db
        .users()
        .find_by_username("ada")
        .await
        .unwrap()
        .unwrap();
    let contact = app
        .db
        .contacts()
        .create(
            &ada.id,
            &devhub_db::ContactInput {
                name: "Grace".into(),
                vip: true,
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    app.db
        .interactions()
        .create(
            &ada.id,
            &contact.id,
            &devhub_db::repo::interaction::InteractionInput {
                type_: "call".into(),
                date: "2024-01-02".into(),
                notes: Some("hi".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();

    let wrong = client
        .post_form("/settings/delete", &[("password", "wrong password")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app.db, "contact").await, 1);

    let r = client
        .post_form("/settings/delete", &[("password", PASSWORD)])
        .await;

    assert_eq!(r.location(), Some("/login"));
    assert!(app
        .db
        .users()
        .find_by_username("ada")
        .await
        .unwrap()
        .is_none());
    for table in ["contact", "interaction"] {
        assert_eq!(count(&app.db, table).await, 0, "{table}");
    }
    assert_eq!(
        count(&app.db, "session").await,
        1,
        "only bob's session is left"
    );
    assert_eq!(bob.get("/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn cross_origin_state_changes_are_refused() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let body = Some("current_password=x&new_password=y".to_string());

    let r = client
        .send(
            Method::POST,
            "/settings/sessions/revoke",
            body.clone(),
            &[("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.texts("h1"), ["Request refused"]);
    let r = client
        .send(
            Method::POST,
            "/settings/sessions/revoke",
            body.clone(),
            &[("origin", ""), ("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = client
        .send(Method::POST, "/logout", None, &[("origin", "null")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app.db, "session").await, 1, "nothing changed");

    // The scheme and the port count: this server speaks http on port 3000.
    for origin in [
        "https://localhost:3000",
        "http://localhost:3001",
        "http://localhost",
    ] {
        let r = client
            .send(Method::POST, "/logout", None, &[("origin", origin)])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
    }
    // Neither Origin nor Sec-Fetch-Site, with the session's cookie: refused, whatever the
    // Referer says; without a cookie there is nothing to forge.
    for referer in ["", "http://evil.example/form"] {
        let r = client
            .send(
                Method::POST,
                "/logout",
                None,
                &[("origin", ""), ("referer", referer)],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "referer {referer:?}");
    }
    let mut cookieless = app.client();
    let r = cookieless
        .send(
            Method::POST,
            "/login",
            Some("username=ada&password=x".into()),
            &[("origin", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app.db, "session").await, 1, "nothing changed");

    let same_site = client
        .send(
            Method::POST,
            "/logout",
            None,
            &[("origin", ""), ("sec-fetch-site", "same-origin")],
        )
        .await;
    assert_eq!(same_site.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn log_in_is_walled_per_address_and_slowed_per_username() {
    let app = spawn_app().await;
    app.client().register("ada", PASSWORD).await;
    let mut attacker = app.client().with_peer("192.0.2.7:4000");

    for _ in 0..10 {
        assert_eq!(
            attacker.login("ada", "guess guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = attacker.login("ada", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // The same address is walled for other usernames too…
    assert_eq!(
        attacker.login("bob", "whatever1").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …the attacked username is slowed from other addresses (a second's wait, not a wall)…
    let slowed = app
        .client()
        .with_peer("198.51.100.1:1")
        .login("ada", PASSWORD)
        .await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(slowed.headers["retry-after"], "1");
    assert!(
        slowed.body.contains("Please wait a second and try again."),
        "{}",
        slowed.body
    );
    // …and other users are unaffected.
    let mut bob = app.client().with_peer("198.51.100.2:1");
    bob.register("bob", PASSWORD).await;
    assert_eq!(
        app.client()
            .with_peer("198.51.100.3:1")
            .login("bob", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_owner_is_never_locked_out_by_guesses_from_elsewhere() {
    let app = spawn_app().await;
    // The owner's own browser: registering remembers it.
    let mut laptop = app.client().with_peer("198.51.100.10:1");
    let registered = laptop.register("ada", PASSWORD).await;
    let device = registered.set_cookie("devhub-device").unwrap();
    assert!(device.contains("HttpOnly"), "{device}");
    assert!(device.contains("Max-Age=31536000"), "{device}");
    laptop.post_form("/logout", &[]).await;
    assert!(laptop.session_token().is_none());
    assert!(laptop.cookies.contains_key("devhub-device"));

    // A distributed attack on the username: one guess from each of many addresses. Ten go
    // through; after that every guess waits a back-off that doubles.
    let mut statuses = Vec::new();
    for i in 0..14 {
        let mut bot = app.client().with_peer(&format!("203.0.113.{i}:4000"));
        statuses.push(bot.login("ada", "guess guess").await.status);
    }
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[10..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    // The attack goes on: ten more failures since, so the next unknown browser waits the
    // longest back-off.
    for _ in 0..10 {
        let rule = devhub_db::Rule::Window {
            limit: u32::MAX,
            window: std::time::Duration::from_secs(60),
        };
        let key = ("login-user:ada".to_string(), rule);
        let now = devhub_db::row::now();
        app.db
            .auth_attempts()
            .hit(&[key], now)
            .await
            .unwrap()
            .unwrap();
    }

    // Someone at the owner's own address (a shared office) walls that address too.
    let mut neighbour = app.client().with_peer("198.51.100.11:2");
    for _ in 0..10 {
        neighbour.login("nobody", "guess guess").await;
    }
    assert_eq!(
        neighbour.login("ada", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // The owner's browser logs in at once, from that address: it counts on its own.
    let mut laptop = laptop.with_peer("198.51.100.11:1");
    let r = laptop.login("ada", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // So does a browser that holds a live session of theirs.
    assert_eq!(
        laptop.login("ada", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // Another user's device cookie is worth nothing for ada.
    let mut mallory = app.client().with_peer("198.51.100.12:1");
    mallory.register("mallory", PASSWORD).await;
    mallory.post_form("/logout", &[]).await;
    assert_eq!(
        mallory.login("ada", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A new browser of the owner's waits the back-off: minutes, not a lock-out.
    let mut phone = app.client().with_peer("198.51.100.13:1");
    let wait = phone.login("ada", PASSWORD).await;
    assert_eq!(wait.status, StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = wait.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((250..=300).contains(&secs), "{secs}");
    assert!(wait.body.contains("Please wait a minute"), "{}", wait.body);
}

#[tokio::test]
async fn only_failed_log_ins_count() {
    let app = spawn_app().await;
    let mut browser = app.client().with_peer("192.0.2.20:1");
    browser.register("ada", PASSWORD).await;
    // A shared office address where people log in all day.
    for i in 0..15 {
        let mut colleague = app.client().with_peer("192.0.2.21:1");
        let r = colleague.login("ada", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "log-in {i}");
    }
    // The failures still have their full allowance.
    let mut typo = app.client().with_peer("192.0.2.21:1");
    for _ in 0..10 {
        assert_eq!(
            typo.login("ada", "typo typo").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        typo.login("ada", "typo typo").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn the_password_rechecks_of_settings_are_limited_like_log_in() {
    let app = spawn_app().await;
    let mut thief = app.client().with_peer("192.0.2.30:1");
    thief.register("ada", PASSWORD).await;
    // Someone holding the session guesses the password to change it or delete the account.
    for i in 0..10 {
        let (path, field) = if i % 2 == 0 {
            ("/settings/password", "current_password")
        } else {
            ("/settings/delete", "password")
        };
        let r = thief
            .post_form(
                path,
                &[(field, "guess guess"), ("new_password", "new password!")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for (path, field) in [
        ("/settings/password", "current_password"),
        ("/settings/delete", "password"),
    ] {
        let r = thief
            .post_form(
                path,
                &[(field, PASSWORD), ("new_password", "new password!")],
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(r.headers.contains_key("retry-after"));
        assert!(r.body.contains("too many wrong passwords"), "{}", r.body);
    }
    // Nothing changed: the account is there and its password is the old one.
    assert_eq!(count(&app.db, "user").await, 1);
    let mut owner = app.client().with_peer("192.0.2.31:1");
    assert_eq!(
        owner.login("ada", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn behind_trusted_proxies_each_client_has_its_own_limit() {
    fn proxied<'a>(app: &'a TestApp, client: &'static str) -> common::Client<'a> {
        let mut c = app.client().with_peer("10.0.0.1:4000");
        c.extra = vec![("x-forwarded-for", client)];
        c
    }
    let app = spawn_app_with(Settings {
        trusted_proxies: Arc::new("10.0.0.0/8".parse().unwrap()),
        ..Settings::default()
    })
    .await;
    let mut first = proxied(&app, "203.0.113.5");
    for _ in 0..10 {
        first.login("nobody", "guess guess").await;
    }
    assert_eq!(
        first.login("someone", "guess guess").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy has its own allowance…
    let mut second = proxied(&app, "203.0.113.6");
    assert_eq!(
        second.login("someone", "guess guess").await.status,
        StatusCode::UNAUTHORIZED
    );
    // …and the first cannot escape its own by writing the header itself (the proxy appends
    // what it saw: the right-most address is the one believed).
    let mut spoofing = proxied(&app, "198.51.100.99, 203.0.113.5");
    assert_eq!(
        spoofing.login("someone", "guess guess").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Without trusted proxies the header is ignored: every client of the proxy is one.
    let app = spawn_app().await;
    let mut first = proxied(&app, "203.0.113.5");
    for _ in 0..10 {
        first.login("nobody", "guess guess").await;
    }
    let mut second = proxied(&app, "203.0.113.6");
    assert_eq!(
        second.login("someone", "guess guess").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn behind_a_proxy_forms_work_and_https_gets_hsts() {
    let app = spawn_app_with(Settings {
        public_url: Some("https://crm.example.test".into()),
        secure_cookies: true,
        ..Settings::default()
    })
    .await;
    // The proxy forwards to the upstream address: the browser's Origin is the public one.
    let mut browser = app.client();
    browser.host = "127.0.0.1:3000";
    browser.extra = vec![("origin", "https://crm.example.test")];
    let r = browser
        .post_form("/register", &[("username", "ada"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = browser.get("/").await;
    assert_eq!(
        page.headers["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    // Another site is still another site.
    browser.extra = vec![("origin", "https://evil.example")];
    let r = browser.post_form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Over plain http, no HSTS.
    let app = spawn_app().await;
    let r = app.client().get("/login").await;
    assert!(!r.headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let app = spawn_app().await;
    let mut client = app.client().with_peer("192.0.2.8:1");
    for i in 0..10 {
        let r = client
            .post_form(
                "/register",
                &[("username", &format!("u{i}x")), ("password", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = client
        .post_form(
            "/register",
            &[("username", "another"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(count(&app.db, "user").await, 0);
}

#[tokio::test]
async fn html_responses_carry_the_security_headers() {
    let app = spawn_app().await;
    let mut client = app.client();
    for path in ["/login", "/register", "/nope"] {
        let r = client.get(path).await;
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "same-origin");
    }
}

#[tokio::test]
async fn unknown_routes_get_the_404_page() {
    let app = spawn_app().await;
    let r = app.client().get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.texts("h1"), ["Page not found"]);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app_with(Settings {
        body_limit: 1024,
        ..Settings::default()
    })
    .await;
    let big = "x".repeat(4096);
    let r = app
        .client()
        .post_form("/login", &[("username", &big), ("password", "x")])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.texts("h1"), ["Request too large"]);
}

#[tokio::test]
async fn slow_requests_time_out() {
    let app = spawn_app_with(Settings {
        request_timeout: std::time::Duration::from_millis(1),
        ..Settings::default()
    })
    .await;
    // Hashing a password takes far longer than a millisecond.
    let r = app
        .client()
        .post_form("/register", &[("username", "ada"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
}

#[tokio::test]
async fn an_internal_error_gets_a_500_page_that_reveals_nothing() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("ada", PASSWORD).await;
    let conn = app.db.conn().await.unwrap();
    conn.execute("ALTER TABLE session RENAME TO broken_session", ())
        .await
        .unwrap();
    drop(conn);

    let r = client.get("/settings").await;

    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.texts("h1"), ["Something went wrong"]);
    for secret in ["session", "SQLite", "no such table"] {
        assert!(!r.body.contains(secret), "page leaks {secret}");
    }
}

#[tokio::test]
async fn healthz_reports_whether_the_database_answers() {
    let app = spawn_app().await;
    let ok = app.client().get("/healthz").await;
    assert_eq!((ok.status, ok.body.as_str()), (StatusCode::OK, "ok"));

    app.db.close();
    let down = app.client().get("/healthz").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn static_assets_are_served_under_their_content_hash_for_a_year() {
    let app = spawn_app().await;
    let page = app.client().get("/login").await;
    let css = page.attr("link[href$='.css']", "href").unwrap();
    assert!(
        css.starts_with("/static/app.") && css.ends_with(".css"),
        "{css}"
    );
    let r = app.client().get(&css).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(r.body.contains("--accent"));
    assert_eq!(
        app.client().get("/static/app.0000000000.css").await.status,
        StatusCode::NOT_FOUND
    );

    // What a browser that runs no script adds, linked inside <noscript>: the bulk bar that the
    // stylesheet otherwise shows only once a contact is selected.
    let noscript = page
        .body
        .split("<noscript><link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a <noscript> stylesheet");
    assert!(
        noscript.starts_with("/static/noscript.") && noscript.ends_with(".css"),
        "{noscript}"
    );
    let r = app.client().get(noscript).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/css; charset=utf-8");
    assert!(r.body.contains(".bulk-bar { display: flex !important; }"));
}
