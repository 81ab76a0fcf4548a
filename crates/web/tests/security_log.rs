//! Settings → Sessions and the security log, through the real router on a real database: each
//! event the app records today shows in its owner's log with the address and browser it came
//! from; sessions are listed with their device and can be ended one by one, by their owner
//! only.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::{sign_up, Client, TestApp, PASSWORD};
use devhub_db::repo::security_event::KEPT_DAYS;
use devhub_db::row::now;
use devhub_db::{NewSecurityEvent, SecurityEventKind as Kind, Session, SessionId, UserId};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// A browser at `peer` sending `user_agent`.
fn browser<'a>(app: &'a TestApp, peer: &str, user_agent: &'static str) -> Client<'a> {
    let mut client = app.client().with_peer(peer);
    client.extra.push(("user-agent", user_agent));
    client
}

async fn logged_in<'a>(
    app: &'a TestApp,
    user: &str,
    peer: &str,
    user_agent: &'static str,
) -> Client<'a> {
    let mut client = browser(app, peer, user_agent);
    let r = client.login(user, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    client
}

/// The log's rows as (event, address, browser) texts.
async fn log_rows(client: &mut Client<'_>) -> Vec<(String, String, String)> {
    let r = client.get("/settings/security").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let whats = r.texts("#security-log .event-what");
    let addresses = r.texts("#security-log .event-address");
    let browsers = r.texts("#security-log .event-browser");
    whats
        .into_iter()
        .zip(addresses)
        .zip(browsers)
        .map(|((w, a), b)| (w, a, b))
        .collect()
}

async fn kinds(app: &TestApp, user: &UserId) -> Vec<Kind> {
    app.db
        .security_events()
        .list_for_user(user, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn a_log_in_shows_in_the_owners_log_with_its_address_and_browser() {
    let app = common::spawn_app().await;
    let mut ada = browser(&app, "198.51.100.4:4000", IPHONE);
    ada.register("ada", PASSWORD).await;
    let mut laptop = logged_in(&app, "ada", "203.0.113.9:5000", FIREFOX).await;

    let rows = log_rows(&mut laptop).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[0],
        (
            "Logged in".into(),
            "203.0.113.9".into(),
            "Firefox on Linux".into()
        )
    );
    assert_eq!(
        rows[1],
        (
            "Account created".into(),
            "198.51.100.4".into(),
            "Safari on iPhone".into()
        )
    );
    // The raw agent is there for hovering.
    let r = laptop.get("/settings/security").await;
    assert_eq!(
        r.attr("#security-log .event-browser span", "title")
            .as_deref(),
        Some(FIREFOX)
    );
}

#[tokio::test]
async fn a_burst_of_failed_log_ins_is_one_entry_with_its_count() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let mut attacker = browser(&app, "192.0.2.66:1000", "curl/8.5.0");
    for _ in 0..3 {
        let r = attacker.login("ada", "wrong password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Failures on a name nobody has are nobody's log.
    let r = attacker.login("nobody", "wrong password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let rows = log_rows(&mut ada).await;
    assert_eq!(rows[0].0, "Failed log-in 3 attempts", "{rows:?}");
    assert_eq!(rows[0].1, "192.0.2.66");
    assert_eq!(rows[0].2, "curl");
    assert_eq!(rows.len(), 2, "one entry for the burst: {rows:?}");
    let failed: Vec<_> = kinds(&app, &ada_id)
        .await
        .into_iter()
        .filter(|k| *k == Kind::LoginFailed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        common::count(&app.db, "security_event WHERE kind = 'login_failed'").await,
        1
    );
}

#[tokio::test]
async fn password_token_feed_and_session_changes_are_logged() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    ada.extra.push(("user-agent", FIREFOX));
    let mut phone = logged_in(&app, "ada", "198.51.100.7:1", IPHONE).await;

    let r = ada
        .post_form(
            "/settings/tokens",
            &[("name", "laptop"), ("expires_in", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = app.db.api_tokens().list(&ada_id).await.unwrap()[0]
        .id
        .clone();
    let r = ada
        .post_form(&format!("/settings/tokens/{token}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ada.post_form("/settings/calendar", &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        ada.post_form("/settings/calendar/revoke", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    // Ending the phone's session from the laptop.
    let phone_public = app
        .db
        .session_meta()
        .list_for_user(&ada_id, now())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.user_agent.as_deref() == Some(IPHONE))
        .unwrap()
        .public_id;
    let r = ada
        .post_form(&format!("/settings/sessions/{phone_public}/end"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/settings/sessions"));
    assert_eq!(
        phone.get("/dashboard").await.location(),
        Some("/login?next=%2Fdashboard")
    );
    let r = ada
        .post_form(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let rows = log_rows(&mut ada).await;
    let whats: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        whats,
        [
            "Password changed",
            "Session ended Safari on iPhone, 198.51.100.7",
            "Calendar feed revoked",
            "Calendar feed address created",
            "API token revoked laptop",
            "API token created laptop",
            "Logged in",
            "Account created",
        ]
    );
    // Every one of them from the laptop's browser (the registration had none).
    assert!(
        rows[..6].iter().all(|r| r.2 == "Firefox on Linux"),
        "{rows:?}"
    );
    assert!(rows
        .iter()
        .all(|r| r.1 == "10.0.0.1" || r.1 == "198.51.100.7"));

    // Signing out everywhere ends this session too; the log has it.
    let r = ada.post_form("/settings/sessions/revoke", &[]).await;
    assert_eq!(r.location(), Some("/login"));
    assert_eq!(kinds(&app, &ada_id).await[0], Kind::SignedOutEverywhere);
}

#[tokio::test]
async fn registrations_and_deleted_accounts_are_instance_events() {
    let app = common::spawn_app().await;
    // The first account is the instance's admin (which cannot delete itself while others exist).
    sign_up(&app, "root").await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    sign_up(&app, "bob").await;
    assert_eq!(kinds(&app, &ada_id).await, [Kind::Registered]);
    let r = ada
        .post_form("/settings/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let instance = app.db.security_events().list_instance(10).await.unwrap();
    let summary: Vec<_> = instance
        .iter()
        .map(|e| (e.kind.unwrap(), e.detail.clone().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                Kind::AccountDeleted,
                "ada (deleted their own account)".to_string()
            ),
            (Kind::Registered, "bob (signed up)".to_string()),
            (Kind::Registered, "ada (signed up)".to_string()),
            (
                Kind::Registered,
                "root (signed up, the instance's first account: admin)".to_string()
            ),
        ]
    );
    assert!(instance.iter().all(|e| e.ip.as_deref() == Some("10.0.0.1")));
    // Ada's own log went with her account.
    assert_eq!(
        app.db
            .security_events()
            .count_for_user(&ada_id)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_sessions_page_lists_every_session_with_its_device_and_marks_this_browser() {
    let app = common::spawn_app().await;
    let (_, ada_id) = sign_up(&app, "ada").await;
    let mut laptop = logged_in(&app, "ada", "203.0.113.9:5000", FIREFOX).await;
    logged_in(&app, "ada", "198.51.100.7:1", IPHONE).await;
    // A session made by another tool: the session row alone.
    let foreign = Session {
        id: SessionId::from_token("made-by-another-tool"),
        user_id: ada_id.clone(),
        expires_at: now() + Duration::days(30),
    };
    app.db.sessions().create(&foreign).await.unwrap();

    let r = laptop.get("/settings/sessions").await;
    assert_eq!(r.status, StatusCode::OK);
    let devices = r.texts("#signin-list .device-name");
    assert_eq!(devices.len(), 4, "{devices:?}");
    assert_eq!(devices[0], "Firefox on Linux", "this browser first");
    assert!(devices.contains(&"Safari on iPhone".to_string()));
    assert!(devices.contains(&"Unknown device".to_string()));
    assert_eq!(
        r.texts(".signin.current .device-name"),
        ["Firefox on Linux"]
    );
    assert_eq!(r.texts(".this-browser").len(), 1);
    let addresses = r.texts("#signin-list .signin-address");
    assert!(addresses.contains(&"203.0.113.9".to_string()));
    assert!(addresses.contains(&"198.51.100.7".to_string()));
    assert!(r.texts(".signin.current .signin-last-used")[0].starts_with("today"));
    // No session's own id (what the cookie's hash is) is in the page.
    let listed = app
        .db
        .session_meta()
        .list_for_user(&ada_id, now())
        .await
        .unwrap();
    for s in &listed {
        assert!(!r.body.contains(s.session_id.as_str()));
    }
    // The session of the other tool can be ended too.
    let bare = listed.iter().find(|s| !s.has_meta).unwrap();
    let r = laptop
        .post_form(&format!("/settings/sessions/{}/end", bare.public_id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app.db.sessions().find(&foreign.id).await.unwrap().is_none());
    // The settings page links to both pages.
    let r = laptop.get("/settings").await;
    assert_eq!(
        r.attr("#sessions-link", "href").as_deref(),
        Some("/settings/sessions")
    );
    assert_eq!(
        r.attr("#security-log-link", "href").as_deref(),
        Some("/settings/security")
    );
}

#[tokio::test]
async fn another_users_sessions_and_log_are_invisible_and_cannot_be_ended() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let ada_public = app
        .db
        .session_meta()
        .list_for_user(&ada_id, now())
        .await
        .unwrap()[0]
        .public_id
        .clone();
    let mut eve = browser(&app, "192.0.2.1:1", "curl/8.5.0");
    eve.register("eve", PASSWORD).await;

    let r = eve.get("/settings/sessions").await;
    assert_eq!(r.texts("#signin-list .signin").len(), 1);
    assert!(!r.body.contains(&ada_public));
    assert!(!r.body.contains("10.0.0.1"), "Ada's address");
    let r = eve.get("/settings/security").await;
    assert_eq!(r.texts("#security-log .event-what"), ["Account created"]);
    assert!(!r.body.contains("10.0.0.1"));

    let r = eve
        .post_form(&format!("/settings/sessions/{ada_public}/end"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(ada.get("/dashboard").await.status, StatusCode::OK);
    // Nor does a made-up or malformed id end anything.
    for id in ["nothing", "u-0000", "%00", "x".repeat(300).as_str()] {
        let r = eve
            .post_form(&format!("/settings/sessions/{id}/end"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(ada.get("/dashboard").await.status, StatusCode::OK);
    assert!(!kinds(&app, &ada_id).await.contains(&Kind::SessionEnded));
}

#[tokio::test]
async fn ending_this_browsers_session_logs_it_out() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let mut other = logged_in(&app, "ada", "198.51.100.7:1", IPHONE).await;
    let token = ada.session_token().unwrap();
    let own = app
        .db
        .session_meta()
        .list_for_user(&ada_id, now())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.session_id == SessionId::from_token(&token))
        .unwrap();
    let r = ada
        .post_form(&format!("/settings/sessions/{}/end", own.public_id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login"));
    assert!(ada.session_token().is_none(), "the cookie is removed");
    // The old cookie, sent again, no longer opens anything.
    ada.cookies.insert("auth-session".into(), token);
    let r = ada.get("/settings/sessions").await;
    assert_eq!(r.location(), Some("/login?next=%2Fsettings%2Fsessions"));
    // The other browser is still signed in.
    assert_eq!(other.get("/settings/sessions").await.status, StatusCode::OK);
}

#[tokio::test]
async fn last_use_is_written_when_older_than_five_minutes_not_on_every_request() {
    let app = common::spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let id = SessionId::from_token(&ada.session_token().unwrap());
    let last_used = || async { app.db.session_meta().last_used(&id).await.unwrap().unwrap() };
    let set_last_used = |at: i64| {
        let db = app.db.clone();
        let id = id.clone();
        async move {
            let conn = db.conn().await.unwrap();
            conn.execute(
                &format!(
                    "UPDATE session_meta SET last_used_at = {at} WHERE session_id = '{}'",
                    id.as_str()
                ),
                (),
            )
            .await
            .unwrap();
        }
    };
    let three_minutes_ago = (now() - Duration::minutes(3)).timestamp();
    set_last_used(three_minutes_ago).await;
    ada.get("/dashboard").await;
    assert_eq!(
        last_used().await.timestamp(),
        three_minutes_ago,
        "left alone"
    );

    let ten_minutes_ago = (now() - Duration::minutes(10)).timestamp();
    set_last_used(ten_minutes_ago).await;
    ada.get("/dashboard").await;
    assert!(
        last_used().await.timestamp() >= now().timestamp() - 5,
        "written"
    );
}

#[tokio::test]
async fn events_older_than_ninety_days_are_swept_and_never_shown() {
    let app = common::spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let events = app.db.security_events();
    let old = NewSecurityEvent::of_user(&ada_id, Kind::PasswordChanged).detail("long ago");
    events
        .record_at(&old, now() - Duration::days(KEPT_DAYS + 2))
        .await
        .unwrap();
    let r = ada.get("/settings/security").await;
    assert!(!r.body.contains("long ago"));
    assert_eq!(events.count_for_user(&ada_id).await.unwrap(), 2);

    devhub_web::server::sweep_once(&app.db, now()).await;
    assert_eq!(events.count_for_user(&ada_id).await.unwrap(), 1);
    assert_eq!(kinds(&app, &ada_id).await, [Kind::Registered]);
}
