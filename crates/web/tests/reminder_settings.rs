//! Settings → Reminders through the in-process router: the schedule and channels form, the
//! e-mail block without SMTP, the confirmation and unsubscribe links (no log-in, RFC 8058
//! one-click), the delivery record, and the dashboard's banner for a reminder that failed.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc, Weekday};
use common::{sign_up, spawn_app, Client, TestApp, TestResponse};
use devhub_db::{Frequency, UserId};

const PAGE: &str = "/settings/reminders";

/// A wrong form, the id of its message and the label the message starts with.
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

/// The form as a browser sends it with these values (ticked checkboxes only).
fn schedule<'a>(
    digest: &'a str,
    hour: &'a str,
    weekday: &'a str,
    ticked: &[&'a str],
    webhook: &'a str,
    ntfy: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("digest", digest),
        ("hour", hour),
        ("weekday", weekday),
        ("webhook_url", webhook),
        ("ntfy_url", ntfy),
    ];
    for name in ticked {
        fields.push((name, "on"));
    }
    fields
}

/// The saved settings' columns that the form writes, as one line (to compare before and after).
async fn stored(app: &TestApp, user: &UserId) -> String {
    let conn = app.db.conn().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT digest, digest_hour, digest_weekday, include_due, include_overdue, \
             include_birthdays, include_reconnect, follow_up_push, email, email_on, \
             webhook_url, webhook_secret, ntfy_url FROM reminder_settings WHERE user_id = ?1",
            [user.as_str()],
        )
        .await
        .unwrap();
    match rows.next().await.unwrap() {
        None => "none".into(),
        Some(row) => (0..13)
            .map(|i| format!("{:?}", row.get_value(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"),
    }
}

/// A delivery row of `user`'s, written as the engine writes them.
#[allow(clippy::too_many_arguments)]
async fn delivery(
    app: &TestApp,
    user: &UserId,
    id: &str,
    status: &str,
    attempts: i64,
    last_error: Option<&str>,
    at: chrono::DateTime<Utc>,
    next_attempt_at: chrono::DateTime<Utc>,
) {
    let conn = app.db.conn().await.unwrap();
    // Test-made ids and messages only: nothing to escape.
    let error = last_error.map_or("NULL".to_string(), |e| format!("'{e}'"));
    let at = at.timestamp();
    let sent_at = if status == "sent" {
        at.to_string()
    } else {
        "NULL".into()
    };
    conn.execute(
        &format!(
            "INSERT INTO reminder_delivery (id, user_id, kind, channel, slot, due_at, status, \
             attempts, next_attempt_at, last_error, sent_at, created_at, updated_at) \
             VALUES ('{id}', '{user}', 'digest', 'webhook', '{id}', {at}, '{status}', \
             {attempts}, {next}, {error}, {sent_at}, {at}, {at})",
            next = next_attempt_at.timestamp(),
        ),
        (),
    )
    .await
    .unwrap();
}

async fn unsubscribe_token(app: &TestApp, user: &UserId) -> String {
    let conn = app.db.conn().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT unsubscribe_token FROM reminder_settings WHERE user_id = ?1",
            [user.as_str()],
        )
        .await
        .unwrap();
    rows.next().await.unwrap().unwrap().get(0).unwrap()
}

/// A confirmed address for `user`, set and confirmed through the repository.
async fn confirmed_email(app: &TestApp, user: &UserId, email: &str) {
    let reminders = app.db.reminders();
    let token = reminders
        .set_email(user, Some(email), Utc::now())
        .await
        .unwrap()
        .unwrap();
    reminders.confirm_email(&token, Utc::now()).await.unwrap();
}

/// A POST as a mail provider's one-click unsubscribe sends it: no cookie, no Origin.
async fn one_click(app: &TestApp, path: &str) -> TestResponse {
    let mut bare: Client = app.client();
    bare.send(
        Method::POST,
        path,
        Some("List-Unsubscribe=One-Click".into()),
        &[("origin", "")],
    )
    .await
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn saving_the_schedule_and_channels_round_trips() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;

    let page = ada.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("input[name=digest][checked]", "value").as_deref(),
        Some("off")
    );
    assert_eq!(page.texts("#deliveries-empty").len(), 1);
    assert_eq!(page.texts("#test-none").len(), 1);
    // The hours are in the user's time zone, with a way to change it.
    assert_eq!(page.texts("#hour option").len(), 24);
    assert!(page.texts("#hour-help")[0].contains("UTC"));
    assert_eq!(
        page.attr("#change-time-zone", "href").as_deref(),
        Some("/settings#reminders")
    );

    let saved = ada
        .post_form(
            PAGE,
            &schedule(
                "weekly",
                "9",
                "5",
                &["include_due", "include_birthdays", "follow_up_push"],
                "https://hooks.example.com/devhub",
                "https://ntfy.sh/ada-reminders",
            ),
        )
        .await;

    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some(PAGE));
    let settings = app.db.reminders().get(&user).await.unwrap();
    assert_eq!(settings.frequency, Frequency::Weekly);
    assert_eq!(settings.hour, 9);
    assert_eq!(settings.weekday, Weekday::Fri);
    assert!(settings.includes.due && settings.includes.birthdays);
    assert!(!settings.includes.overdue && !settings.includes.reconnect);
    assert!(settings.follow_up_push);
    assert_eq!(
        settings.webhook_url.as_deref(),
        Some("https://hooks.example.com/devhub")
    );
    assert_eq!(
        settings.ntfy_url.as_deref(),
        Some("https://ntfy.sh/ada-reminders")
    );
    let secret = settings.webhook_secret.clone().unwrap();
    assert!(secret.len() >= 32, "{secret}");
    assert!(settings.next_digest_at.is_some());

    let page = ada.get(PAGE).await;
    assert!(
        page.texts(".flash").concat().contains("saved"),
        "{:?}",
        page.texts(".flash")
    );
    assert_eq!(
        page.attr("input[name=digest][checked]", "value").as_deref(),
        Some("weekly")
    );
    assert_eq!(
        page.attr("#hour option[selected]", "value").as_deref(),
        Some("9")
    );
    assert_eq!(page.texts("#hour option[selected]"), ["09:00"]);
    assert_eq!(page.texts("#weekday option[selected]"), ["Friday"]);
    for (id, on) in [
        ("include_due", true),
        ("include_overdue", false),
        ("include_birthdays", true),
        ("include_reconnect", false),
        ("follow_up_push", true),
    ] {
        assert_eq!(
            page.attr(&format!("#{id}"), "checked").is_some(),
            on,
            "{id}"
        );
    }
    assert_eq!(
        page.attr("#webhook_url", "value").as_deref(),
        Some("https://hooks.example.com/devhub")
    );
    assert_eq!(page.texts("#webhook-secret"), [secret.as_str()]);
    assert!(page.texts("#next-digest")[0].contains("Friday"));
    // One "send a test now" per active channel.
    assert_eq!(page.texts("#test-webhook").len(), 1);
    assert_eq!(page.texts("#test-ntfy").len(), 1);
    assert!(page.texts("#test-email").is_empty());

    // A new secret replaces the old one.
    let r = ada
        .post_form("/settings/reminders/webhook/secret", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let renewed = app.db.reminders().get(&user).await.unwrap().webhook_secret;
    assert!(renewed.is_some() && renewed.as_deref() != Some(secret.as_str()));

    // Clearing the URLs and switching the digest off is saved too.
    let r = ada
        .post_form(PAGE, &schedule("off", "9", "5", &[], "", ""))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let settings = app.db.reminders().get(&user).await.unwrap();
    assert_eq!(settings.frequency, Frequency::Off);
    assert_eq!(settings.webhook_url, None);
    assert_eq!(settings.ntfy_url, None);
    assert!(settings.channels().is_empty());
}

#[tokio::test]
async fn bad_input_comes_back_beside_its_field_with_422_and_nothing_saved() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;
    let good = schedule(
        "daily",
        "8",
        "1",
        &["include_due"],
        "https://hooks.example.com/a",
        "https://ntfy.sh/a",
    );
    assert_eq!(
        ada.post_form(PAGE, &good).await.status,
        StatusCode::SEE_OTHER
    );
    let before = stored(&app, &user).await;

    let cases: [Case; 5] = [
        (
            schedule("daily", "24", "1", &[], "", ""),
            "#hour-error",
            "Hour",
        ),
        (
            schedule("hourly", "8", "1", &[], "", ""),
            "#digest-error",
            "Digest",
        ),
        (
            schedule("weekly", "8", "8", &[], "", ""),
            "#weekday-error",
            "Day",
        ),
        (
            schedule("daily", "8", "1", &[], "ftp://x", ""),
            "#webhook-url-error",
            "Webhook URL",
        ),
        (
            schedule("daily", "8", "1", &[], "", "not a url"),
            "#ntfy-url-error",
            "ntfy URL",
        ),
    ];
    for (fields, error, label) in cases {
        let r = ada.post_form(PAGE, &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let messages = r.texts(error);
        assert_eq!(messages.len(), 1, "{error}: {}", r.body);
        assert!(messages[0].starts_with(label), "{messages:?}");
        // The input comes back as typed.
        if let Some((_, url)) = fields
            .iter()
            .find(|(k, v)| *k == "webhook_url" && !v.is_empty())
        {
            assert_eq!(r.attr("#webhook_url", "value").as_deref(), Some(*url));
        }
        assert_eq!(
            stored(&app, &user).await,
            before,
            "{fields:?} changed something"
        );
    }
}

#[tokio::test]
async fn without_smtp_the_email_block_says_so_and_its_forms_are_refused() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;

    let page = ada.get(PAGE).await;
    assert_eq!(
        page.texts("#email-not-configured"),
        ["E-mail is not configured on this server (ask the operator to set SMTP_URL)."]
    );
    assert!(page.texts("#email input").is_empty(), "no address field");
    let before = stored(&app, &user).await;

    for (path, fields) in [
        (
            "/settings/reminders/email",
            vec![("email", "ada@example.com")],
        ),
        ("/settings/reminders/email/resend", vec![]),
        ("/settings/reminders/email/switch", vec![("on", "1")]),
    ] {
        let r = ada.post_form(path, &fields).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{path}");
        assert!(
            r.texts(".flash")
                .concat()
                .contains("E-mail is not configured"),
            "{path}: {:?}",
            r.texts(".flash")
        );
    }
    assert_eq!(stored(&app, &user).await, before);
    // No e-mail test either.
    let r = ada.post_form("/settings/reminders/test/email", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_confirmation_link_asks_on_get_confirms_once_on_post_and_unknown_or_used_ones_change_nothing(
) {
    let app = spawn_app().await;
    let (_, user) = sign_up(&app, "ada").await;
    let token = app
        .db
        .reminders()
        .set_email(&user, Some("ada@example.com"), Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert!(!app.db.reminders().get(&user).await.unwrap().email_confirmed);
    let mut visitor = app.client();
    let path = format!("/reminders/confirm/{token}");

    // A GET (a mail scanner's, a link preview's, or the reader's) shows the button and
    // changes nothing, however often.
    let before = stored(&app, &user).await;
    for _ in 0..2 {
        let r = visitor.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.texts("#link-message"),
            ["Send your Developer Hub reminders to ada@example.com?"]
        );
        assert_eq!(r.texts("#confirm-button"), ["Confirm this address"]);
        assert_eq!(
            r.attr("form[method=post]", "action").as_deref(),
            Some(path.as_str())
        );
        assert!(!r.body.contains("ada</"), "the page names no account");
    }
    assert_eq!(stored(&app, &user).await, before);
    assert!(!app.db.reminders().get(&user).await.unwrap().email_confirmed);

    // Its button confirms, without a session.
    let r = visitor.post_form(&path, &[]).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.texts("#link-message"),
        ["ada@example.com will now get your reminders."]
    );
    assert_eq!(r.attr("#link-settings", "href").as_deref(), Some(PAGE));
    assert!(!r.body.contains("ada</"), "the page names no account");
    let settings = app.db.reminders().get(&user).await.unwrap();
    assert!(settings.email_confirmed && settings.email_active());

    let before = stored(&app, &user).await;
    for path in [path, "/reminders/confirm/notatoken".to_string()] {
        for r in [
            visitor.get(&path).await,
            visitor.post_form(&path, &[]).await,
        ] {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert!(
                r.texts("#link-message")[0].contains("invalid or has expired"),
                "{path}"
            );
        }
    }
    assert_eq!(stored(&app, &user).await, before);
}

#[tokio::test]
async fn an_expired_confirmation_link_does_not_confirm() {
    let app = spawn_app().await;
    let (_, user) = sign_up(&app, "ada").await;
    let long_ago = Utc::now() - Duration::days(3);
    let token = app
        .db
        .reminders()
        .set_email(&user, Some("ada@example.com"), long_ago)
        .await
        .unwrap()
        .unwrap();

    let path = format!("/reminders/confirm/{token}");
    let mut visitor = app.client();
    for r in [
        visitor.get(&path).await,
        visitor.post_form(&path, &[]).await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.texts("#link-message")[0].contains("invalid or has expired"));
    }
    assert!(!app.db.reminders().get(&user).await.unwrap().email_confirmed);
}

#[tokio::test]
async fn the_unsubscribe_link_asks_on_get_and_a_one_click_post_turns_email_off() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;
    confirmed_email(&app, &user, "ada@example.com").await;
    let token = unsubscribe_token(&app, &user).await;
    let path = format!("/reminders/unsubscribe/{token}");
    let before = stored(&app, &user).await;

    // A GET (a mail scanner's, or the reader's) shows the button and changes nothing.
    let r = app.client().get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.texts("#unsubscribe-button"), ["Stop e-mail reminders"]);
    assert_eq!(
        r.attr("form[method=post]", "action").as_deref(),
        Some(path.as_str())
    );
    assert!(r.texts("#link-message")[0].contains("ada@example.com"));
    assert_eq!(stored(&app, &user).await, before);
    assert!(app.db.reminders().get(&user).await.unwrap().email_active());

    // The provider's one-click POST: no cookie, no Origin.
    let r = one_click(&app, &path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.texts("#link-message")[0].starts_with("You will get no more reminder e-mails."));
    let settings = app.db.reminders().get(&user).await.unwrap();
    assert!(!settings.email_on && !settings.email_active());
    assert_eq!(settings.email.as_deref(), Some("ada@example.com"));

    // Settings shows it, with a way back on (here without SMTP: the block says e-mail is
    // not configured, so the switch is refused; see the configured-SMTP tests of the engine).
    let page = ada.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK);

    // Unknown tokens lead nowhere, on either method.
    for method in [Method::GET, Method::POST] {
        let r = app
            .client()
            .send(
                method.clone(),
                "/reminders/unsubscribe/notatoken",
                Some("List-Unsubscribe=One-Click".into()),
                &[("origin", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method}");
    }
}

#[tokio::test]
async fn the_same_origin_rule_still_guards_every_other_post_without_origin() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;
    let before = stored(&app, &user).await;
    // A cookie-carrying POST from another site (no Origin, a foreign Referer) is refused.
    let r = ada
        .send(
            Method::POST,
            PAGE,
            Some("digest=daily&hour=8&weekday=1".into()),
            &[("origin", ""), ("referer", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = ada
        .send(
            Method::POST,
            "/settings/reminders/webhook/secret",
            Some(String::new()),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Only the unsubscribe link is let through (its token is its only credential): from
    // another origin an unknown token is still just not found.
    let r = ada
        .send(
            Method::POST,
            "/reminders/unsubscribe/notatoken",
            Some("List-Unsubscribe=One-Click".into()),
            &[("origin", "https://mail.example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(stored(&app, &user).await, before);
}

#[tokio::test]
async fn the_delivery_record_shows_the_last_deliveries_with_their_failures() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;
    let now = Utc::now();
    delivery(
        &app,
        &user,
        "d1",
        "sent",
        1,
        None,
        now - Duration::hours(30),
        now,
    )
    .await;
    delivery(
        &app,
        &user,
        "d2",
        "failed",
        5,
        Some("HTTP 404 Not Found"),
        now - Duration::hours(2),
        now,
    )
    .await;

    let page = ada.get(PAGE).await;

    assert_eq!(page.texts("#delivery-list tbody tr").len(), 2);
    assert_eq!(page.texts("tr.delivery-failed").len(), 1);
    assert!(page.texts("tr.delivery-failed .delivery-answer")[0].contains("HTTP 404 Not Found"));
    assert!(page.texts("#deliveries-empty").is_empty());
    // Another user sees none of them.
    let (mut eve, _) = sign_up(&app, "eve").await;
    let page = eve.get(PAGE).await;
    assert!(page.texts("#delivery-list tbody tr").is_empty());
    assert_eq!(page.texts("#deliveries-empty").len(), 1);
}

#[tokio::test]
async fn the_dashboard_shows_a_banner_for_a_reminder_that_could_not_be_delivered() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;
    let now = Utc::now();

    assert!(ada
        .get("/dashboard")
        .await
        .texts("#reminder-failure")
        .is_empty());

    delivery(
        &app,
        &user,
        "d1",
        "sent",
        1,
        None,
        now - Duration::hours(30),
        now,
    )
    .await;
    assert!(ada
        .get("/dashboard")
        .await
        .texts("#reminder-failure")
        .is_empty());

    delivery(
        &app,
        &user,
        "d2",
        "pending",
        2,
        Some("HTTP 503 Service Unavailable"),
        now - Duration::hours(1),
        now + Duration::minutes(15),
    )
    .await;
    let r = ada.get("/dashboard").await;
    let banner = r.texts("#reminder-failure").concat();
    assert!(
        banner.contains(
            "Your last reminder could not be delivered yet: HTTP 503 Service Unavailable. Trying again at"
        ),
        "{banner}"
    );
    assert_eq!(
        r.attr("#reminder-failure-link", "href").as_deref(),
        Some("/settings/reminders#deliveries")
    );

    delivery(
        &app,
        &user,
        "d3",
        "failed",
        5,
        Some("550 mailbox unavailable"),
        now,
        now,
    )
    .await;
    let banner = ada
        .get("/dashboard")
        .await
        .texts("#reminder-failure")
        .concat();
    assert!(
        banner.contains("Your last reminder could not be delivered: 550 mailbox unavailable."),
        "{banner}"
    );
    // Not on anyone else's dashboard.
    let (mut eve, _) = sign_up(&app, "eve").await;
    assert!(eve
        .get("/dashboard")
        .await
        .texts("#reminder-failure")
        .is_empty());
}

#[tokio::test]
async fn a_new_time_zone_moves_the_next_digest() {
    let app = spawn_app().await;
    let (mut ada, user) = sign_up(&app, "ada").await;
    ada.post_form(
        PAGE,
        &schedule(
            "daily",
            "8",
            "1",
            &["include_due"],
            "https://h.example.com/x",
            "",
        ),
    )
    .await;
    let in_utc = app
        .db
        .reminders()
        .get(&user)
        .await
        .unwrap()
        .next_digest_at
        .unwrap();

    let r = ada
        .post_form(
            "/settings/preferences",
            &[
                ("time_zone", "Pacific/Auckland"),
                ("cadence_days", "90"),
                ("vip_cadence_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let moved = app
        .db
        .reminders()
        .get(&user)
        .await
        .unwrap()
        .next_digest_at
        .unwrap();
    assert_ne!(moved, in_utc);
    let zone = devhub_db::TimeZone::parse("Pacific/Auckland").unwrap();
    assert_eq!(zone.local_time(moved).format("%H:%M").to_string(), "08:00");
}

#[tokio::test]
async fn another_user_cannot_see_or_change_anyones_reminder_settings() {
    let app = spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    ada.post_form(
        PAGE,
        &schedule(
            "daily",
            "7",
            "1",
            &["include_due"],
            "https://ada.example.com/hook",
            "https://ntfy.sh/ada",
        ),
    )
    .await;
    let ada_secret = app
        .db
        .reminders()
        .get(&ada_id)
        .await
        .unwrap()
        .webhook_secret
        .unwrap();
    let before = stored(&app, &ada_id).await;
    let (mut eve, eve_id) = sign_up(&app, "eve").await;

    let page = eve.get(PAGE).await;
    assert!(!page.body.contains("ada.example.com"));
    assert!(!page.body.contains(&ada_secret));
    for (path, fields) in [
        (
            PAGE,
            schedule("weekly", "3", "2", &[], "https://eve.example.com/hook", ""),
        ),
        ("/settings/reminders/webhook/secret", vec![]),
    ] {
        eve.post_form(path, &fields).await;
    }
    // Eve's test goes to her own channels only: Ada's webhook is not hers.
    assert_eq!(
        eve.post_form("/settings/reminders/test/ntfy", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(stored(&app, &ada_id).await, before);
    assert_eq!(
        app.db
            .reminders()
            .get(&eve_id)
            .await
            .unwrap()
            .webhook_url
            .as_deref(),
        Some("https://eve.example.com/hook")
    );
}
