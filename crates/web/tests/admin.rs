//! Roles, registration modes, invitations, the admin page, disabled and deleted accounts, and
//! password-reset links: the real router on a real database file.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::{api_token, count, sign_up, spawn_app, spawn_app_with, TestApp, PASSWORD};
use devhub_db::{sha256_hex, RegistrationMode, Role, UserId};
use devhub_web::Settings;

async fn user(app: &TestApp, name: &str) -> devhub_db::User {
    app.db
        .users()
        .find_by_username(name)
        .await
        .unwrap()
        .unwrap()
}

/// A contact of `user` named `name`, with an interaction and a follow-up.
async fn contact_with_history(app: &TestApp, user: &UserId, name: &str) {
    let contact = app
        .db
        .contacts()
        .create(
            user,
            &devhub_db::ContactInput {
                name: name.into(),
                notes: Some("met at RustConf".into()),
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
            user,
            &contact.id,
            &devhub_db::InteractionInput {
                type_: "call".into(),
                date: "2024-01-02".into(),
                notes: Some("talked about parsers".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    app.db
        .follow_ups()
        .create(
            user,
            &contact.id,
            &devhub_db::FollowUpInput {
                due_date: "2031-01-01".into(),
                note: Some("send the talk".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_first_account_is_the_admin_and_the_next_ones_members() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let (mut bob, _) = sign_up(&app, "bob").await;

    assert_eq!(user(&app, "ada").await.role, Role::Admin);
    assert_eq!(user(&app, "bob").await.role, Role::Member);
    // Only the admin's navigation links the admin page.
    assert_eq!(ada.get("/dashboard").await.texts("#nav-admin"), ["Admin"]);
    assert!(bob.get("/dashboard").await.texts("#nav-admin").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_first_registrations_at_once_make_exactly_one_admin() {
    for _ in 0..5 {
        let app = spawn_app().await;
        let (mut a, mut b) = (app.client(), app.client().with_peer("10.0.0.2:5000"));
        let (ra, rb) = tokio::join!(
            a.post_form("/register", &[("username", "ada"), ("password", PASSWORD)]),
            b.post_form("/register", &[("username", "bob"), ("password", PASSWORD)]),
        );
        assert_eq!(ra.status, StatusCode::SEE_OTHER, "{}", ra.body);
        assert_eq!(rb.status, StatusCode::SEE_OTHER, "{}", rb.body);
        let roles: Vec<Role> = app
            .db
            .users()
            .list()
            .await
            .unwrap()
            .iter()
            .map(|u| u.role)
            .collect();
        assert_eq!(roles.len(), 2);
        assert_eq!(
            roles.iter().filter(|r| **r == Role::Admin).count(),
            1,
            "{roles:?}"
        );
    }
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_disabled_or_deleted() {
    let app = spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let (_bob, bob_id) = sign_up(&app, "bob").await;

    for action in ["demote", "disable"] {
        let r = ada
            .post_form(&format!("/admin/users/{ada_id}/{action}"), &[])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{action}");
        assert_eq!(
            r.texts("#admin-error"),
            [format!(
                "Cannot {action} the last admin: promote another account to admin first."
            )]
        );
    }
    let r = ada
        .post_form(
            &format!("/admin/users/{ada_id}/delete"),
            &[("confirm", "ada")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.texts("#delete-error")[0].contains("last admin"));
    // Nor from Settings, with the right password.
    let r = ada
        .post_form("/settings/delete", &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("last admin"), "{}", r.body);
    let ada_now = user(&app, "ada").await;
    assert_eq!(ada_now.role, Role::Admin);
    assert!(!ada_now.is_disabled());

    // With a second admin, the first may step down.
    let r = ada
        .post_form(&format!("/admin/users/{bob_id}/promote"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = ada
        .post_form(&format!("/admin/users/{ada_id}/demote"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(user(&app, "ada").await.role, Role::Member);
    assert_eq!(ada.get("/admin").await.status, StatusCode::NOT_FOUND);
    // A disabled admin does not count as the one that keeps the instance managed (the
    // repository's own check).
    let users = app.db.users();
    users.set_role(&ada_id, Role::Admin).await.unwrap();
    users.set_disabled(&ada_id, true).await.unwrap();
    let refused = users.set_role(&bob_id, Role::Member).await.unwrap_err();
    assert!(refused.to_string().contains("last admin"), "{refused}");
}

#[tokio::test]
async fn closed_registration_says_so_and_refuses_the_form() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let r = ada
        .post_form("/admin/registration", &[("mode", "closed")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let mut visitor = app.client();
    let page = visitor.get("/register").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("#registration-mode", "data-mode").as_deref(),
        Some("closed")
    );
    assert!(page.texts("#registration-mode")[0].contains("Registration is closed"));
    assert!(page.texts("form[action='/register']").is_empty(), "no form");
    let r = visitor
        .post_form("/register", &[("username", "eve"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.texts("#register-error")[0].contains("closed"));
    assert!(app
        .db
        .users()
        .find_by_username("eve")
        .await
        .unwrap()
        .is_none());
    // A bad mode is a message, not a change.
    let r = ada
        .post_form("/admin/registration", &[("mode", "sometimes")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.db
            .instance_settings()
            .registration(RegistrationMode::Open)
            .await
            .unwrap(),
        RegistrationMode::Closed
    );
}

#[tokio::test]
async fn the_servers_starting_mode_holds_until_an_admin_chooses() {
    let app = spawn_app_with(Settings {
        registration: RegistrationMode::Closed,
        ..Settings::default()
    })
    .await;
    let mut visitor = app.client();
    let r = visitor
        .post_form("/register", &[("username", "ada"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app.db, "user").await, 0);
    // The admin's choice (here through the repository) wins over the starting value.
    app.db
        .instance_settings()
        .set_registration(RegistrationMode::Open)
        .await
        .unwrap();
    visitor.register("ada", PASSWORD).await;
    assert_eq!(user(&app, "ada").await.role, Role::Admin);
}

#[tokio::test]
async fn invitations_are_single_use_links_stored_as_hashes() {
    let app = spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    ada.post_form("/admin/registration", &[("mode", "invite")])
        .await;

    // Without a link: the page says how registration works, with no form; a post is refused.
    let mut grace = app.client().with_peer("10.0.0.7:5000");
    let page = grace.get("/register").await;
    assert_eq!(
        page.attr("#registration-mode", "data-mode").as_deref(),
        Some("invite")
    );
    assert!(page.texts("#registration-mode")[0].contains("by invitation"));
    assert!(page.texts("form[action='/register']").is_empty());
    let r = grace
        .post_form(
            "/register",
            &[("username", "grace"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The admin makes one: the link is shown once, and only its hash is kept.
    let made = ada
        .post_form(
            "/admin/invitations",
            &[("note", "for Grace"), ("days", "7")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let url = made.attr("#new-invitation-url", "value").unwrap();
    assert!(
        url.starts_with("http://localhost:3000/register?invite="),
        "{url}"
    );
    let token = url.rsplit('=').next().unwrap().to_string();
    let stored = app.db.invitations().list().await.unwrap();
    assert_eq!(stored.len(), 1);
    let invitation = &stored[0].invitation;
    assert_eq!(invitation.token_hash, sha256_hex(&token));
    assert_ne!(invitation.token_hash, token);
    assert_eq!(invitation.created_by.as_ref(), Some(&ada_id));
    let days = (invitation.expires_at - Utc::now()).num_hours();
    assert!((7 * 24 - 1..=7 * 24).contains(&days), "{days}");
    let conn = app.db.conn().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT count(*) FROM invitation WHERE instr(id || token_hash || coalesce(note, ''), ?1)",
            [token.as_str()],
        )
        .await
        .unwrap();
    let found: i64 = rows.next().await.unwrap().unwrap().get(0).unwrap();
    assert_eq!(found, 0, "the token itself is stored nowhere");
    // Opened again, the admin page no longer shows it.
    let again = ada.get("/admin").await;
    assert!(!again.body.contains(&token));
    assert_eq!(again.texts(".invitation-status .badge"), ["pending"]);

    // Grace registers with the link; it is used up in the same transaction.
    let page = grace.get(&format!("/register?invite={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("input[name=invite]", "value"),
        Some(token.clone())
    );
    let r = grace
        .post_form(
            "/register",
            &[
                ("username", "grace"),
                ("password", PASSWORD),
                ("invite", &token),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let grace_user = user(&app, "grace").await;
    assert_eq!(grace_user.role, Role::Member);
    let used = app
        .db
        .invitations()
        .find_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.used_by.as_ref(), Some(&grace_user.id));
    assert!(used.used_at.is_some());
    assert_eq!(
        ada.get("/admin").await.texts(".invitation-status"),
        ["used by grace"]
    );

    // A second use is refused, and says why.
    let mut mallory = app.client().with_peer("10.0.0.9:5000");
    let page = mallory.get(&format!("/register?invite={token}")).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.texts("#register-error")[0].contains("already been used"));
    assert!(page.texts("form[action='/register']").is_empty());
    let r = mallory
        .post_form(
            "/register",
            &[
                ("username", "mallory"),
                ("password", PASSWORD),
                ("invite", &token),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(count(&app.db, "user").await, 2);

    // Expired (written through the repository with a past expiry), revoked, unknown.
    let expired = "expiredinvitationtoken0000000000";
    app.db
        .invitations()
        .create(
            Some(&ada_id),
            None,
            &sha256_hex(expired),
            Utc::now() - Duration::minutes(1),
        )
        .await
        .unwrap();
    let page = mallory.get(&format!("/register?invite={expired}")).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.texts("#register-error")[0].contains("expired"));

    let made = ada.post_form("/admin/invitations", &[("days", "1")]).await;
    let revoked_url = made.attr("#new-invitation-url", "value").unwrap();
    let revoked = revoked_url.rsplit('=').next().unwrap().to_string();
    let id = app
        .db
        .invitations()
        .find_by_token(&revoked)
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = ada
        .post_form(&format!("/admin/invitations/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = mallory
        .post_form(
            "/register",
            &[
                ("username", "mallory"),
                ("password", PASSWORD),
                ("invite", &revoked),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.texts("#register-error")[0].contains("revoked"));
    // Revoking twice says it was revoked already.
    let r = ada
        .post_form(&format!("/admin/invitations/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    let page = mallory.get("/register?invite=nonsense").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.texts("#register-error")[0].contains("not valid"));
    assert_eq!(count(&app.db, "user").await, 2);

    // Bad expiries are a message on the form.
    let r = ada
        .post_form("/admin/invitations", &[("days", "400")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts("#invite-error")[0].contains("between 1 and 90"));
}

#[tokio::test]
async fn the_admin_page_is_a_404_for_members_and_visitors() {
    let app = spawn_app().await;
    let (_ada, ada_id) = sign_up(&app, "ada").await;
    let (mut bob, _) = sign_up(&app, "bob").await;
    let mut visitor = app.client();
    for path in [
        "/admin".to_string(),
        format!("/admin/users/{ada_id}/delete"),
    ] {
        let r = bob.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.texts("h1"), ["Page not found"]);
        // The member keeps their header on the 404 page.
        assert_eq!(r.texts(".nav-user"), ["bob"]);
        let r = visitor.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.location(), None, "no redirect to log in");
    }
    for action in ["disable", "demote", "reset-link"] {
        let r = bob
            .post_form(&format!("/admin/users/{ada_id}/{action}"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}");
    }
    let r = bob
        .post_form("/admin/registration", &[("mode", "closed")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = bob.post_form("/admin/invitations", &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app.db, "invitation").await, 0);
    assert_eq!(count(&app.db, "instance_setting").await, 0);
    let ada = user(&app, "ada").await;
    assert_eq!(ada.role, Role::Admin);
    assert!(!ada.is_disabled());
}

#[tokio::test]
async fn the_admin_page_shows_counts_and_never_a_members_contacts() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let (_bob, bob_id) = sign_up(&app, "bob").await;
    contact_with_history(&app, &bob_id, "Zebulon Quillfeather").await;
    let token = api_token(&app.db, &bob_id).await;
    // A use of the token is activity.
    let r = ada
        .send(
            axum::http::Method::GET,
            "/api/v1/contacts",
            None,
            &[
                ("authorization", &format!("Bearer {token}")),
                ("cookie", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let page = ada.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.texts("#account-list .account-name strong"),
        ["ada", "bob"]
    );
    let rows = page.html();
    let bob_row = scraper::Selector::parse("tr[data-username=bob] td").unwrap();
    let cells: Vec<String> = rows
        .select(&bob_row)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect();
    assert_eq!(cells[3], "1", "contacts: {cells:?}");
    assert!(cells[4].ends_with(" B"), "storage: {cells:?}");
    // Measured when first listed, and said when.
    let storage = scraper::Selector::parse("tr[data-username=bob] td.account-storage").unwrap();
    let title = rows.select(&storage).next().unwrap().attr("title").unwrap();
    assert!(title.starts_with("Measured "), "{title}");
    assert_ne!(cells[2], "never", "last activity: {cells:?}");
    let summary = app.db.users().summary(&bob_id).await.unwrap();
    assert_eq!(
        (summary.contacts, summary.interactions, summary.follow_ups),
        (1, 1, 1)
    );
    // The name, the notes, the interaction's and follow-up's texts: none of it is here.
    for secret in [
        "Zebulon",
        "Quillfeather",
        "RustConf",
        "parsers",
        "send the talk",
    ] {
        assert!(!page.body.contains(secret), "{secret} on the admin page");
    }
    let confirm = ada.get(&format!("/admin/users/{bob_id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(!confirm.body.contains("Zebulon"));
    // Nor can the admin reach the member's contacts anywhere else.
    let (contacts, _) = app
        .db
        .contacts()
        .list_after(&bob_id, &devhub_db::ContactQuery::default(), None, 10)
        .await
        .unwrap();
    let contact = &contacts[0].id;
    let r = ada.get(&format!("/contacts/{contact}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let before = cells[4].clone();
    // The figure stays as measured until the hourly sweep measures every account again.
    contact_with_history(&app, &bob_id, "Another Contact With A Long Name").await;
    let again = |page: &str| {
        let html = scraper::Html::parse_document(page);
        let cell = html.select(&storage).next().unwrap();
        cell.text().collect::<String>().trim().to_string()
    };
    assert_eq!(again(&ada.get("/admin").await.body), before);
    devhub_web::server::sweep_once(&app.db, chrono::Utc::now()).await;
    assert_ne!(again(&ada.get("/admin").await.body), before);
}

#[tokio::test]
async fn a_disabled_account_loses_its_session_and_tokens_at_once_until_enabled() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let (mut bob, bob_id) = sign_up(&app, "bob").await;
    let token = api_token(&app.db, &bob_id).await;
    let api = |token: String| {
        let app = &app;
        async move {
            let mut client = app.client();
            client
                .send(
                    axum::http::Method::GET,
                    "/api/v1/contacts",
                    None,
                    &[("authorization", &format!("Bearer {token}"))],
                )
                .await
                .status
        }
    };
    assert_eq!(bob.get("/contacts").await.status, StatusCode::OK);
    assert_eq!(api(token.clone()).await, StatusCode::OK);

    let r = ada
        .post_form(&format!("/admin/users/{bob_id}/disable"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(user(&app, "bob").await.is_disabled());
    assert_eq!(
        app.db
            .sessions()
            .delete_all_for_user(&bob_id, None)
            .await
            .unwrap(),
        0,
        "every session of bob's was deleted"
    );

    let r = bob.get("/contacts").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().unwrap().starts_with("/login"));
    assert_eq!(api(token.clone()).await, StatusCode::UNAUTHORIZED);
    // A session made behind the page's back (another instance, a race) does not work either.
    let bob_user = user(&app, "bob").await;
    let (raw, _) =
        devhub_web::auth::session::create_session(&app.db, &bob_user, &Default::default())
            .await
            .unwrap();
    let mut sneaky = app.client();
    sneaky.cookies.insert("auth-session".into(), raw);
    assert_eq!(sneaky.get("/contacts").await.status, StatusCode::SEE_OTHER);

    // Log-in says why, to whoever knows the password; a wrong one learns nothing.
    let mut again = app.client().with_peer("10.0.0.3:5000");
    let r = again.login("bob", "wrong password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.texts(".alert"), ["Incorrect username or password."]);
    let r = again.login("bob", PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.texts(".alert")[0].contains("This account is disabled"));
    assert!(again.session_token().is_none());
    let page = ada.get("/admin").await;
    assert_eq!(
        page.texts("tr[data-username=bob] .badge.account-disabled"),
        ["Disabled"]
    );

    let r = ada
        .post_form(&format!("/admin/users/{bob_id}/enable"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = again.login("bob", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(again.get("/contacts").await.status, StatusCode::OK);
    assert_eq!(api(token).await, StatusCode::OK);
}

#[tokio::test]
async fn deleting_an_account_shows_its_counts_and_needs_its_name_typed() {
    let app = spawn_app().await;
    let (mut ada, _) = sign_up(&app, "ada").await;
    let (mut bob, bob_id) = sign_up(&app, "bob").await;
    contact_with_history(&app, &bob_id, "Zebulon Quillfeather").await;

    let confirm = ada.get(&format!("/admin/users/{bob_id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert_eq!(
        confirm.texts("#delete-counts li"),
        ["1 contact", "1 interaction", "1 follow-up"]
    );
    let r = ada
        .post_form(
            &format!("/admin/users/{bob_id}/delete"),
            &[("confirm", "bo")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts("#delete-error")[0].contains("Type the username"));
    assert_eq!(count(&app.db, "contact").await, 1);

    let r = ada
        .post_form(
            &format!("/admin/users/{bob_id}/delete"),
            &[("confirm", "bob")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/admin#accounts"));
    let page = ada.get("/admin").await;
    assert!(page.texts(".flash-success")[0]
        .contains("bob and all its data (1 contact, 1 interaction, 1 follow-up)"));
    for table in ["contact", "interaction", "follow_up", "api_token"] {
        assert_eq!(count(&app.db, table).await, 0, "{table}");
    }
    assert_eq!(bob.get("/contacts").await.status, StatusCode::SEE_OTHER);
    // Gone: its pages are 404s.
    let r = ada.get(&format!("/admin/users/{bob_id}/delete")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reset_link_works_once_for_an_hour_and_ends_every_other_session() {
    let app = spawn_app().await;
    let (mut ada, ada_id) = sign_up(&app, "ada").await;
    let (mut bob_laptop, bob_id) = sign_up(&app, "bob").await;
    let mut bob_phone = app.client().with_peer("10.0.0.4:5000");
    assert_eq!(
        bob_phone.login("bob", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    let made = ada
        .post_form(&format!("/admin/users/{bob_id}/reset-link"), &[])
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let url = made.attr("#new-reset-url", "value").unwrap();
    let token = url.rsplit('/').next().unwrap().to_string();
    assert!(
        url.starts_with("http://localhost:3000/reset-password/"),
        "{url}"
    );
    let conn = app.db.conn().await.unwrap();
    let mut rows = conn
        .query(
            "SELECT id, expires_at - created_at, created_by FROM password_reset WHERE user_id = ?1",
            [bob_id.as_str()],
        )
        .await
        .unwrap();
    let row = rows.next().await.unwrap().unwrap();
    assert_eq!(row.get::<String>(0).unwrap(), sha256_hex(&token));
    assert_eq!(row.get::<i64>(1).unwrap(), 3600, "an hour");
    assert_eq!(row.get::<String>(2).unwrap(), ada_id.to_string());
    drop(rows);
    assert!(!ada.get("/admin").await.body.contains(&token), "shown once");

    // Bob, on a borrowed browser, opens it.
    let mut borrowed = app.client().with_peer("10.0.0.5:5000");
    let page = borrowed.get(&format!("/reset-password/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#reset-username"), ["bob"]);
    let path = format!("/reset-password/{token}");
    let r = borrowed
        .post_form(
            &path,
            &[
                ("password", "new password 1"),
                ("confirm", "new password 2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.texts("#confirm-error")[0].contains("does not match"));
    let r = borrowed
        .post_form(&path, &[("password", "short"), ("confirm", "short")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.texts("#password-error"),
        ["Password must be at least 8 characters."]
    );
    let r = borrowed
        .post_form(
            &path,
            &[
                ("password", "new password 1"),
                ("confirm", "new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/"));
    assert_eq!(borrowed.get("/contacts").await.status, StatusCode::OK);
    // Every other session of bob's is over.
    assert_eq!(
        bob_laptop.get("/contacts").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bob_phone.get("/contacts").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ada.get("/contacts").await.status,
        StatusCode::OK,
        "not ada's"
    );
    let mut fresh = app.client().with_peer("10.0.0.6:5000");
    assert_eq!(
        fresh.login("bob", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh.login("bob", "new password 1").await.status,
        StatusCode::SEE_OTHER
    );

    // Once only.
    let again = app.client().get(&path).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.texts("#reset-error")[0].contains("already been used"));
    let r = app
        .client()
        .post_form(
            &path,
            &[
                ("password", "third password"),
                ("confirm", "third password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);

    // An hour only: a link written with a past expiry.
    let old = "expiredresettoken000000000000000";
    app.db
        .password_resets()
        .create(
            &bob_id,
            Some(&ada_id),
            &sha256_hex(old),
            Utc::now() - Duration::seconds(1),
        )
        .await
        .unwrap();
    let r = app.client().get(&format!("/reset-password/{old}")).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.texts("#reset-error")[0].contains("expired"));
    let r = app
        .client()
        .post_form(
            &format!("/reset-password/{old}"),
            &[
                ("password", "third password"),
                ("confirm", "third password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(
        fresh.login("bob", "new password 1").await.status,
        StatusCode::SEE_OTHER,
        "the expired link changed nothing"
    );
    // Unknown.
    let r = app.client().get("/reset-password/nothing-here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.texts("#reset-error")[0].contains("not valid"));
}

#[tokio::test]
async fn an_instance_without_an_admin_gets_its_oldest_account_promoted() {
    let app = spawn_app().await;
    let (_ada, ada_id) = sign_up(&app, "ada").await;
    sign_up(&app, "bob").await;
    // As before roles existed: every account a member.
    let conn = app.db.conn().await.unwrap();
    conn.execute("UPDATE user SET role = 'member'", ())
        .await
        .unwrap();
    let promoted = app.db.users().ensure_admin().await.unwrap().unwrap();
    assert_eq!(promoted.id, ada_id);
    assert_eq!(promoted.role, Role::Admin);
    assert!(app.db.users().ensure_admin().await.unwrap().is_none());
    // A row of the seed's columns alone (another client) is a member, enabled.
    conn.execute(
        "INSERT INTO user (id, username, password_hash) VALUES ('u-seed', 'seeded', 'x')",
        (),
    )
    .await
    .unwrap();
    let seeded = user(&app, "seeded").await;
    assert_eq!(seeded.role, Role::Member);
    assert!(!seeded.is_disabled());
}
