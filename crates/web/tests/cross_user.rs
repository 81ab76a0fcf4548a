//! The cross-user matrix, generated from the router itself: every route the app serves, with
//! every method it answers, requested by one user with the ids of another's data. A route
//! with an id must answer 404; no route may change the other user's data. A route added
//! later is in this matrix without anyone extending it; one whose parameter this test does not
//! know fails it until the parameter's kind is added below.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{api_token, sign_up, TestApp};
use devhub_db::UserId;
use serde_json::json;
use tower::ServiceExt;

const METHODS: [Method; 5] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
];

/// Every path the router serves, read from the router (axum lists them in its `Debug`).
fn routes(app: &TestApp) -> Vec<String> {
    let debug = format!("{:?}", app.router);
    let mut paths: Vec<String> = debug
        .split('"')
        .filter(|s| s.starts_with('/'))
        .map(str::to_string)
        .collect();
    paths.sort();
    paths.dedup();
    // A sanity check that the router's listing is what this test thinks it is.
    for known in ["/contacts/{id}", "/api/v1/tags/{id}", "/follow-ups/{fid}"] {
        assert!(paths.iter().any(|p| p == known), "{known} not in {paths:?}");
    }
    paths
}

/// What another user owns, by kind.
struct Theirs {
    contact: String,
    interaction: String,
    follow_up: String,
    tag: String,
    token: String,
    upload: String,
    /// A contact of theirs in Recently deleted, and the undo of its deletion.
    deleted: String,
    undo: String,
    /// A calendar feed address that was theirs (replaced since): the feed is a capability
    /// address, so a stale one must lead nowhere.
    old_feed: String,
    /// The public id of their browser's session (Settings → Sessions).
    session: String,
    /// Their account (the instance's admin: the first account) and an invitation they made:
    /// the admin pages answer 404 to anyone else.
    user: String,
    invitation: String,
}

impl Theirs {
    /// The id a route's parameter names, or `None` for a parameter of a kind this test does
    /// not know.
    fn id_for(&self, path: &str, param: &str) -> Option<String> {
        let under = |prefix: &str| path.starts_with(prefix);
        Some(match param {
            "{contact_id}" => self.contact.clone(),
            "{tag_id}" => self.tag.clone(),
            "{iid}" => self.interaction.clone(),
            "{fid}" => self.follow_up.clone(),
            "{id}" if under("/contacts/") || under("/api/v1/contacts/") => self.contact.clone(),
            "{id}" if under("/api/v1/interactions/") => self.interaction.clone(),
            "{id}" if under("/api/v1/follow-ups/") => self.follow_up.clone(),
            "{id}" if under("/api/v1/tags/") => self.tag.clone(),
            "{id}" if under("/tags/") => self.tag.clone(),
            "{id}" if under("/settings/tokens/") => self.token.clone(),
            "{id}" if under("/settings/recently-deleted/") => self.deleted.clone(),
            "{id}" if under("/settings/sessions/") => self.session.clone(),
            "{id}" if under("/undo/") => self.undo.clone(),
            "{file}" if under("/calendar/") => format!("{}.ics", self.old_feed),
            "{id}" if under("/admin/users/") => self.user.clone(),
            "{id}" if under("/admin/invitations/") => self.invitation.clone(),
            // A reset link is a capability address: one that is not a live link leads nowhere.
            "{token}" if under("/reset-password/") => "notaresettoken0000000000000000000".into(),
            // So is a reminder e-mail's link (confirm, unsubscribe).
            "{token}" if under("/reminders/") => "notareminderlink00000000000000000".into(),
            // A channel of theirs (Ada has a webhook): a test goes to one's own channels only.
            "{channel}" if under("/settings/reminders/test/") => "webhook".into(),
            "{*rest}" if under("/api/") => format!("v1/contacts/{}/nothing", self.contact),
            _ => return None,
        })
    }

    /// `path` with every parameter replaced by their id of its kind.
    fn fill(&self, path: &str) -> String {
        path.split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    self.id_for(path, segment).unwrap_or_else(|| {
                        panic!(
                            "{path}: the cross-user matrix does not know the kind of {segment}; \
                             add it to Theirs::id_for"
                        )
                    })
                } else {
                    segment.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A form body that would change their data if a route forgot whose it is: every field
    /// the forms have, with their ids where a form takes one.
    fn form(&self) -> String {
        let fields = [
            ("name", "Hijacked"),
            ("relationship", "Hijacked"),
            ("status", "archived"),
            ("vip", "true"),
            ("type", "call"),
            ("date", "2024-01-01"),
            ("notes", "hijacked"),
            ("title", "hijacked"),
            ("due_date", "2024-01-01"),
            ("until", "2024-02-01"),
            ("days", "7"),
            ("family", "hijacked"),
            ("email", "hijack@example.com"),
            ("platform", "github"),
            ("url", "https://example.com/x"),
            ("action", "delete"),
            ("ids", &self.contact),
            ("contact_id", &self.contact),
            ("upload_id", &self.upload),
            ("tag_id", &self.tag),
            ("into", &self.tag),
            ("color", "red"),
            ("tag", "hijacked"),
        ];
        fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('@', "%40").replace(':', "%3A")))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A body the operation accepts, so that only the owner check stands between it and
    /// their data (a 422 for a body this does not know fails the test: add it here).
    fn json(&self, method: &Method, path: &str) -> Option<String> {
        let last = path.rsplit('/').next().unwrap_or_default();
        let body = match (method.as_str(), last) {
            (_, "{tag_id}") => return None,
            (_, "background") => json!({"family": "hijacked"}),
            (_, "contact-info") => json!({"email": "hijack@example.com"}),
            (_, "details") => json!({"emails": [{"value": "hijack@example.com"}]}),
            ("POST", "interactions") => {
                json!({"type": "call", "date": "2024-01-01", "notes": "hijacked"})
            }
            ("POST", "follow-ups") => json!({"due_date": "2031-01-01"}),
            ("POST", "tags") => json!({"name": "hijacked"}),
            _ if path.starts_with("/api/v1/interactions/") => json!({"notes": "hijacked"}),
            _ if path.starts_with("/api/v1/follow-ups/") => json!({"completed": true}),
            _ if path.starts_with("/api/v1/tags/") => json!({"name": "hijacked"}),
            _ => json!({"name": "Hijacked", "vip": true}),
        };
        Some(body.to_string())
    }
}

/// Paths that are nobody's data: the stylesheet and scripts, and axum's own fallback.
fn is_public(path: &str) -> bool {
    path == "/static/{file}" || path.contains("__private__")
}

/// Signed-in routes whose effect is on the requester alone (they end its own session or
/// account); requested last, after the checks they would cut short.
fn ends_own_session(path: &str) -> bool {
    matches!(
        path,
        "/logout" | "/settings/delete" | "/settings/sessions/revoke" | "/settings/password"
    )
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    bearer: Option<&str>,
    body: Option<(&str, String)>,
) -> StatusCode {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "localhost:3000")
        .header(header::ORIGIN, "http://localhost:3000");
    if let Some(token) = cookie {
        request = request.header(header::COOKIE, format!("auth-session={token}"));
    }
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some((content_type, body)) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Body::from(body)
        }
        None => Body::empty(),
    };
    let response = app
        .router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    response.status()
}

/// Everything of `user`'s, as they would take it away (the backup), with their tokens and
/// their calendar feed; and any row that belongs to a contact of another owner.
async fn snapshot(app: &TestApp, user: &UserId, cookie: &str) -> String {
    let request = Request::builder()
        .uri("/settings/backup.json")
        .header(header::HOST, "localhost:3000")
        .header(header::COOKIE, format!("auth-session={cookie}"))
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let mut backup: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    backup.as_object_mut().unwrap().remove("exported_at");
    let conn = app.db.conn().await.unwrap();
    let mut extra = String::new();
    for sql in [
        "SELECT group_concat(id || name, ',') FROM api_token WHERE user_id = ?1 ORDER BY id",
        "SELECT calendar_token_hash FROM user_settings WHERE user_id = ?1",
        // Their second factor: its secret and state, recovery codes, remembered browsers.
        "SELECT group_concat(secret || coalesce(enabled_at, '-') || coalesce(last_used_step, '-')) \
          FROM two_factor WHERE user_id = ?1",
        "SELECT group_concat(code_hash || coalesce(used_at, '-'), ',') FROM recovery_code \
          WHERE user_id = ?1",
        "SELECT group_concat(id || expires_at, ',') FROM remembered_device WHERE user_id = ?1",
        // Their sessions, and their security log.
        "SELECT group_concat(id, ',') FROM (SELECT id FROM session WHERE user_id = ?1 ORDER BY id)",
        "SELECT count(*) FROM security_event WHERE user_id = ?1",
        // Their account's role and state, their invitations, their reset links.
        "SELECT role || coalesce(disabled_at, '-') || password_hash FROM user WHERE id = ?1",
        "SELECT group_concat(id || coalesce(revoked_at, '-') || coalesce(used_at, '-'), ',') \
          FROM invitation WHERE created_by = ?1",
        "SELECT count(*) FROM password_reset WHERE user_id = ?1",
        // Their reminder settings (schedule, channels, secret, address) and deliveries.
        "SELECT digest || digest_hour || digest_weekday || follow_up_push || coalesce(email, '-') \
          || email_on || coalesce(email_confirmed_at, '-') || coalesce(webhook_url, '-') \
          || coalesce(webhook_secret, '-') || coalesce(ntfy_url, '-') FROM reminder_settings \
          WHERE user_id = ?1",
        "SELECT group_concat(id || status || attempts, ',') FROM reminder_delivery \
          WHERE user_id = ?1",
        "SELECT value FROM instance_setting WHERE key = 'registration' AND ?1 IS NOT NULL",
        // What they deleted, and what of it was undone.
        "SELECT group_concat(id || name, ',') FROM deleted_contact WHERE user_id = ?1",
        "SELECT group_concat(id || coalesce(undone_at, '-'), ',') FROM undo_action \
          WHERE user_id = ?1",
        // Rows pointing at one owner's contact but written as another's.
        "SELECT count(*) FROM interaction i JOIN contact c ON c.id = i.contact_id \
          WHERE i.user_id != c.user_id AND ?1 IS NOT NULL",
        "SELECT count(*) FROM follow_up f JOIN contact c ON c.id = f.contact_id \
          WHERE f.user_id != c.user_id AND ?1 IS NOT NULL",
        "SELECT count(*) FROM contact_tag ct JOIN contact c ON c.id = ct.contact_id \
          JOIN tag t ON t.id = ct.tag_id WHERE t.user_id != c.user_id AND ?1 IS NOT NULL",
    ] {
        let mut rows = conn.query(sql, [user.as_str()]).await.unwrap();
        let value = match rows.next().await.unwrap() {
            Some(row) => format!("{:?}", row.get_value(0).unwrap()),
            None => "none".into(),
        };
        extra.push_str(&value);
        extra.push('\n');
    }
    format!("{backup:#}\n{extra}")
}

#[tokio::test]
async fn every_route_and_method_with_another_users_ids_is_404_and_changes_nothing() {
    let app = common::spawn_app().await;
    let (ada_browser, ada) = sign_up(&app, "ada").await;
    let ada_cookie = ada_browser.session_token().unwrap();
    let ada_api = api_token(&app.db, &ada).await;
    let api = |method: Method, path: String, body: serde_json::Value| {
        let app = &app;
        let token = ada_api.clone();
        async move {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let response = app.router.clone().oneshot(request).await.unwrap();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default()
        }
    };
    let id = |v: serde_json::Value| v["id"].as_str().unwrap().to_string();
    let contact = id(api(
        Method::POST,
        "/api/v1/contacts".into(),
        json!({"name": "Ada's friend", "vip": true, "location": "Paris"}),
    )
    .await);
    let interaction = id(api(
        Method::POST,
        format!("/api/v1/contacts/{contact}/interactions"),
        json!({"type": "call", "date": "2025-01-01", "notes": "ada's call"}),
    )
    .await);
    let follow_up = id(api(
        Method::POST,
        format!("/api/v1/contacts/{contact}/follow-ups"),
        json!({"due_date": "2030-01-01"}),
    )
    .await);
    let tag = id(api(Method::POST, "/api/v1/tags".into(), json!({"name": "rust"})).await);
    api(
        Method::PUT,
        format!("/api/v1/contacts/{contact}/tags/{tag}"),
        json!(null),
    )
    .await;
    api(
        Method::PUT,
        format!("/api/v1/contacts/{contact}/background"),
        json!({"family": "cats"}),
    )
    .await;
    let token = app
        .db
        .api_tokens()
        .issue(&ada, "laptop", None)
        .await
        .unwrap()
        .token
        .id
        .to_string();
    let upload = app
        .db
        .import_uploads()
        .create(
            &ada,
            "friends.vcf",
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Imported\r\nEND:VCARD\r\n",
        )
        .await
        .unwrap()
        .to_string();
    let gone = id(api(
        Method::POST,
        "/api/v1/contacts".into(),
        json!({"name": "Ada's old friend"}),
    )
    .await);
    let deleted = app
        .db
        .trash()
        .delete_contacts(&ada, &[devhub_db::ContactId::from(gone)], "/contacts")
        .await
        .unwrap();
    let settings = app.db.user_settings();
    let old_feed = "oldfeedtoken0000000000000000000000";
    settings
        .set_calendar_token(&ada, &devhub_db::sha256_hex(old_feed))
        .await
        .unwrap();
    settings
        .set_calendar_token(&ada, &devhub_db::sha256_hex("currentfeedtoken000000000000"))
        .await
        .unwrap();
    // Ada's second factor is on, with a browser remembered.
    let two_factor = app.db.two_factor();
    two_factor
        .begin_setup(&ada, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        .await
        .unwrap();
    two_factor
        .enable(&ada, 7, &[devhub_db::sha256_hex("ada's recovery code")])
        .await
        .unwrap();
    two_factor
        .remember_device(
            &ada,
            &devhub_db::sha256_hex("ada's browser"),
            devhub_db::row::now() + chrono::Duration::days(30),
        )
        .await
        .unwrap();
    let invitation = app
        .db
        .invitations()
        .issue(Some(&ada), Some("for a friend"), 7)
        .await
        .unwrap()
        .invitation
        .id
        .to_string();
    // Ada's reminders: a weekly digest to a confirmed address and a webhook, one delivery.
    let reminders = app.db.reminders();
    let ada_form = devhub_db::ReminderInput {
        frequency: devhub_db::Frequency::Weekly,
        hour: 9,
        weekday: chrono::Weekday::Fri,
        includes: devhub_db::Includes {
            due: true,
            overdue: true,
            birthdays: false,
            reconnect: false,
        },
        follow_up_push: true,
        email_on: true,
        webhook_url: Some("https://ada.example.com/hook".into()),
        ntfy_url: Some("https://ntfy.sh/ada".into()),
    };
    let now = devhub_db::row::now();
    reminders
        .save(&ada, &ada_form, devhub_db::TimeZone::default(), now)
        .await
        .unwrap();
    let link = reminders
        .set_email(&ada, Some("ada@example.com"), now)
        .await
        .unwrap()
        .unwrap();
    reminders.confirm_email(&link, now).await.unwrap();
    app.db
        .conn()
        .await
        .unwrap()
        .execute(
            "INSERT INTO reminder_delivery (id, user_id, kind, channel, slot, due_at, status, \
             attempts, next_attempt_at, last_error, created_at, updated_at) \
             VALUES ('ada-delivery', ?1, 'digest', 'webhook', 'ada-slot', 0, 'failed', 3, 0, \
             'HTTP 500', 0, 0)",
            [ada.as_str()],
        )
        .await
        .unwrap();
    let theirs = Theirs {
        user: ada.to_string(),
        invitation,
        contact,
        interaction,
        follow_up,
        tag,
        token,
        upload,
        deleted: deleted.contacts[0].id.to_string(),
        undo: deleted.undo.to_string(),
        old_feed: old_feed.into(),
        session: app
            .db
            .session_meta()
            .list_for_user(&ada, devhub_db::row::now())
            .await
            .unwrap()[0]
            .public_id
            .clone(),
    };

    let (eve_browser, eve) = sign_up(&app, "eve").await;
    let mut eve_cookie = eve_browser.session_token().unwrap();
    let eve_user = app
        .db
        .users()
        .find_by_username("eve")
        .await
        .unwrap()
        .unwrap();
    let eve_api = api_token(&app.db, &eve).await;
    let before = snapshot(&app, &ada, &ada_cookie).await;

    let mut paths = routes(&app);
    paths.sort_by_key(|p| ends_own_session(p));
    let mut checked = Vec::new();
    for path in paths.iter().filter(|p| !is_public(p)) {
        let is_api = path.starts_with("/api/");
        let concrete = theirs.fill(path);
        for method in METHODS {
            let body = match method {
                Method::GET | Method::DELETE => None,
                _ if is_api => theirs
                    .json(&method, path)
                    .map(|json| ("application/json", json)),
                _ => Some(("application/x-www-form-urlencoded", theirs.form())),
            };
            if ends_own_session(path) {
                // A fresh session for each: the one before may have been ended.
                let (token, _) = devhub_web::auth::session::create_session(
                    &app.db,
                    &eve_user,
                    &Default::default(),
                )
                .await
                .unwrap();
                eve_cookie = token;
            }
            let (cookie, bearer) = if is_api {
                (None, Some(eve_api.as_str()))
            } else {
                (Some(eve_cookie.as_str()), None)
            };
            let status = send(&app, method.clone(), &concrete, cookie, bearer, body).await;
            if status == StatusCode::METHOD_NOT_ALLOWED {
                continue; // the route does not answer this method
            }
            assert!(
                !status.is_server_error(),
                "{method} {path} as another user: {status}"
            );
            if path.contains('{') {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{method} {concrete} ({path}) with another user's id"
                );
            }
            let after = snapshot(&app, &ada, &ada_cookie).await;
            assert_eq!(before, after, "{method} {concrete} changed ada's data");
            checked.push(format!("{method} {path}"));
        }
    }
    // Every kind of id was tried, on pages and in the API, and the list is not trivially
    // short (a router whose paths could not be read would make this pass with nothing).
    for expected in [
        "GET /contacts/{id}",
        "POST /contacts/{id}/delete",
        "POST /interactions/{iid}",
        "GET /interactions/{iid}/edit",
        "POST /follow-ups/{fid}/complete",
        "POST /settings/tokens/{id}/revoke",
        "GET /calendar/{file}",
        "PATCH /api/v1/contacts/{id}",
        "DELETE /api/v1/interactions/{id}",
        "PATCH /api/v1/follow-ups/{id}",
        "DELETE /api/v1/tags/{id}",
        "PUT /api/v1/contacts/{contact_id}/tags/{tag_id}",
        "POST /contacts/import/confirm",
        "POST /contacts/bulk",
        "POST /contacts/{id}/tags",
        "POST /contacts/{id}/tags/remove",
        "GET /contacts/{id}/photo",
        "POST /contacts/{id}/photo",
        "POST /contacts/{id}/photo/remove",
        "POST /tags/{id}/rename",
        "POST /tags/{id}/merge",
        "POST /tags/{id}/delete",
        "POST /undo/{id}",
        "GET /undo/{id}",
        "POST /settings/recently-deleted/{id}/restore",
        "POST /settings/recently-deleted/{id}/delete",
        "POST /settings/two-factor/disable",
        "POST /settings/two-factor/recovery-codes",
        "POST /login/two-factor",
        "POST /settings/sessions/{id}/end",
        "GET /settings/sessions",
        "GET /settings/security",
        "GET /admin",
        "POST /admin/registration",
        "POST /admin/invitations",
        "POST /admin/invitations/{id}/revoke",
        "POST /admin/users/{id}/disable",
        "POST /admin/users/{id}/demote",
        "POST /admin/users/{id}/reset-link",
        "GET /admin/users/{id}/delete",
        "POST /admin/users/{id}/delete",
        "GET /reset-password/{token}",
        "POST /reset-password/{token}",
        "GET /settings/reminders",
        "POST /settings/reminders",
        "POST /settings/reminders/email",
        "POST /settings/reminders/webhook/secret",
        "POST /settings/reminders/test/{channel}",
        "GET /reminders/confirm/{token}",
        "POST /reminders/confirm/{token}",
        "GET /reminders/unsubscribe/{token}",
        "POST /reminders/unsubscribe/{token}",
    ] {
        assert!(
            checked.iter().any(|c| c == expected),
            "{expected} not checked: {checked:#?}"
        );
    }
    assert!(checked.len() > 80, "{}: {checked:?}", checked.len());
    // Eve's own API token was never revoked by the request with Ada's token id, and Ada's
    // feed still answers at its current address.
    let r = send(
        &app,
        Method::GET,
        "/calendar/currentfeedtoken000000000000.ics",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(r, StatusCode::OK);
}
