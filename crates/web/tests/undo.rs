//! Undo instead of confirmation pages: each action happens at once and its flash carries an
//! Undo (a form that works without script) that sets back exactly what was there; deleted
//! contacts stay in Settings → Recently deleted; bad, expired and used undos answer with a
//! message and change nothing; the API keeps deleting for good.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{api_token, count, sign_up, Client, TestApp, TestResponse};
use devhub_db::{
    Contact, ContactId, ContactInput, ContactStatus, FollowUpInput, InteractionInput, UserId,
};
use tower::ServiceExt;

async fn named(app: &TestApp, user: &UserId, name: &str) -> Contact {
    app.db
        .contacts()
        .create(
            user,
            &ContactInput {
                name: name.into(),
                industry: Some("Computing".into()),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap()
}

async fn reload(app: &TestApp, user: &UserId, id: &ContactId) -> Contact {
    app.db.contacts().get(user, id).await.unwrap()
}

async fn follow(client: &mut Client<'_>, r: &TestResponse) -> TestResponse {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().unwrap().to_string();
    client.get(&to).await
}

/// The Undo the page's flash offers.
fn undo_of(page: &TestResponse) -> String {
    let action = page.attr("form.flash-undo", "action").unwrap();
    assert_eq!(
        page.attr("form.flash-undo", "method").as_deref(),
        Some("post")
    );
    assert_eq!(page.texts("form.flash-undo button"), ["Undo"]);
    action
}

#[tokio::test]
async fn archiving_from_the_contact_page_is_undone_from_the_flash() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let path = format!("/contacts/{}", grace.id);

    let r = client
        .post_form(&format!("{path}/status"), &[("status", "archived")])
        .await;
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["Grace archived."]);
    assert_eq!(
        reload(&app, &ada, &grace.id).await.status,
        ContactStatus::Archived
    );

    let undone = client.post_form(&undo_of(&page), &[]).await;
    assert_eq!(undone.location(), Some(path.as_str()));
    let back = follow(&mut client, &undone).await;
    assert_eq!(back.texts(".flash-success"), ["Archive undone."]);
    assert!(back.attr("form.flash-undo", "action").is_none());
    let now = reload(&app, &ada, &grace.id).await;
    assert_eq!(now.status, ContactStatus::Active);
    assert_eq!(now.last_update, grace.last_update);

    // VIP, the same way.
    let r = client
        .post_form(&format!("{path}/vip"), &[("vip", "true")])
        .await;
    let page = follow(&mut client, &r).await;
    assert!(reload(&app, &ada, &grace.id).await.vip);
    let undone = client.post_form(&undo_of(&page), &[]).await;
    assert_eq!(
        follow(&mut client, &undone).await.texts(".flash-success"),
        ["Mark VIP undone."]
    );
    assert!(!reload(&app, &ada, &grace.id).await.vip);
}

#[tokio::test]
async fn a_bulk_archive_undo_unarchives_only_the_contacts_it_archived() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let a = named(&app, &ada, "A").await;
    let b = named(&app, &ada, "B").await;
    let c = named(&app, &ada, "C").await;
    app.db
        .contacts()
        .set_status(&ada, &c.id, ContactStatus::Archived)
        .await
        .unwrap();
    let body = [
        ("ids", a.id.as_str()),
        ("ids", b.id.as_str()),
        ("ids", c.id.as_str()),
        ("action", "archive"),
        ("back", "/contacts?filter=all"),
    ];
    let r = client.post_form("/contacts/bulk", &body).await;
    assert_eq!(r.location(), Some("/contacts?filter=all"));
    let list = follow(&mut client, &r).await;
    assert_eq!(list.texts(".flash-success"), ["3 contacts archived."]);

    let undone = client.post_form(&undo_of(&list), &[]).await;
    assert_eq!(undone.location(), Some("/contacts?filter=all"));
    assert_eq!(
        follow(&mut client, &undone).await.texts(".flash-success"),
        ["Archive undone for 2 contacts."]
    );
    let status = |c: Contact| c.status;
    assert_eq!(
        status(reload(&app, &ada, &a.id).await),
        ContactStatus::Active
    );
    assert_eq!(
        status(reload(&app, &ada, &b.id).await),
        ContactStatus::Active
    );
    assert_eq!(
        status(reload(&app, &ada, &c.id).await),
        ContactStatus::Archived
    );
    // The dashboard's counts follow.
    let counts = app.db.contacts().counts(&ada).await.unwrap();
    assert_eq!((counts.total, counts.active), (3, 2));
}

#[tokio::test]
async fn a_follow_up_done_and_a_deleted_interaction_are_undone_from_the_flash() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let due = FollowUpInput {
        due_date: "2020-01-01".into(),
        note: Some("call back".into()),
    }
    .parse()
    .unwrap();
    let fu = app
        .db
        .follow_ups()
        .create(&ada, &grace.id, &due)
        .await
        .unwrap();
    let r = client
        .post_form(
            &format!("/follow-ups/{}/complete", fu.id),
            &[("back", "/follow-ups")],
        )
        .await;
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["Follow-up with Grace done."]);
    assert!(
        app.db
            .follow_ups()
            .get(&ada, &fu.id)
            .await
            .unwrap()
            .completed
    );
    let undone = client.post_form(&undo_of(&page), &[]).await;
    assert_eq!(undone.location(), Some("/follow-ups"));
    assert_eq!(
        follow(&mut client, &undone).await.texts(".flash-success"),
        ["Follow-up open again."]
    );
    let back = app.db.follow_ups().get(&ada, &fu.id).await.unwrap();
    assert!(!back.completed);
    assert_eq!(back.completed_at, None);

    let call = app
        .db
        .interactions()
        .create(
            &ada,
            &grace.id,
            &InteractionInput {
                type_: "call".into(),
                date: "2024-03-05".into(),
                notes: Some("About Babbage".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let here = format!("/contacts/{}", grace.id);
    let r = client
        .post_form(
            &format!("/interactions/{}/delete", call.id),
            &[("back", &here)],
        )
        .await;
    let page = follow(&mut client, &r).await;
    assert_eq!(page.texts(".flash-success"), ["Call with Grace deleted."]);
    assert_eq!(count(&app.db, "interaction").await, 0);
    let undone = client.post_form(&undo_of(&page), &[]).await;
    let back = follow(&mut client, &undone).await;
    assert_eq!(back.texts(".flash-success"), ["Interaction restored."]);
    assert_eq!(back.texts(".timeline .notes"), ["About Babbage"]);
    assert_eq!(
        app.db
            .interactions()
            .get(&ada, &call.id)
            .await
            .unwrap()
            .notes
            .as_deref(),
        Some("About Babbage")
    );
}

#[tokio::test]
async fn a_restored_contact_is_found_by_search_and_counted_again() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let grace = named(&app, &ada, "Grace Hopper").await;
    named(&app, &ada, "Alan Turing").await;
    let r = client
        .post_form(&format!("/contacts/{}/delete", grace.id), &[])
        .await;
    let list = follow(&mut client, &r).await;
    let search = client.get("/contacts?q=hopper").await;
    assert!(search.texts("tbody .name-cell a").is_empty());
    assert_eq!(app.db.contacts().counts(&ada).await.unwrap().total, 1);

    let undone = client.post_form(&undo_of(&list), &[]).await;
    follow(&mut client, &undone).await;
    let search = client.get("/contacts?q=hopper").await;
    assert_eq!(search.texts("tbody .name-cell a"), ["Grace Hopper"]);
    let counts = app.db.contacts().counts(&ada).await.unwrap();
    assert_eq!((counts.total, counts.active), (2, 2));
    let dashboard = client.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_expired_and_used_undos_answer_with_a_message_and_change_nothing() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;

    let unknown = client.post_form("/undo/not-an-undo", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        client.get("/undo/not-an-undo").await.status,
        StatusCode::NOT_FOUND
    );

    let r = client
        .post_form(&format!("/contacts/{}/delete", grace.id), &[])
        .await;
    let undo = undo_of(&follow(&mut client, &r).await);
    // A day later the flash's undo is refused; the contact is still in Recently deleted.
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "UPDATE undo_action SET expires_at = unixepoch() - 1 WHERE id = ?1",
        [undo.trim_start_matches("/undo/")],
    )
    .await
    .unwrap();
    let expired = client.post_form(&undo, &[]).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert_eq!(expired.texts("h1"), ["Too late to undo"]);
    assert!(expired.body.contains("Recently deleted"));
    assert_eq!(count(&app.db, "contact").await, 0);
    // Reloading the error page's address leads away, not to a 405.
    let reloaded = client.get(&undo).await;
    assert_eq!(reloaded.location(), Some("/dashboard"));

    // Archive, undo, undo again: the second one says so.
    let alan = named(&app, &ada, "Alan").await;
    let r = client
        .post_form(
            &format!("/contacts/{}/status", alan.id),
            &[("status", "archived")],
        )
        .await;
    let undo = undo_of(&follow(&mut client, &r).await);
    assert_eq!(
        client.post_form(&undo, &[]).await.status,
        StatusCode::SEE_OTHER
    );
    client
        .post_form(
            &format!("/contacts/{}/status", alan.id),
            &[("status", "archived")],
        )
        .await;
    let again = client.post_form(&undo, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.texts("h1"), ["Already undone"]);
    assert_eq!(
        reload(&app, &ada, &alan.id).await.status,
        ContactStatus::Archived,
        "the second undo changed nothing"
    );
}

#[tokio::test]
async fn recently_deleted_in_settings_restores_and_deletes_for_good() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let alan = named(&app, &ada, "Alan").await;
    let empty = client.get("/settings").await;
    assert_eq!(
        empty.texts("#deleted-empty"),
        ["Nothing deleted in the last 30 days."]
    );
    for c in [&grace, &alan] {
        client
            .post_form(&format!("/contacts/{}/delete", c.id), &[])
            .await;
    }
    let settings = client.get("/settings").await;
    let names = settings.texts("#deleted-list .deleted-name");
    assert_eq!(names.len(), 2);
    assert_eq!(
        settings.texts("#deleted-list .deleted-interactions"),
        ["0", "0"]
    );
    let row = |name: &str| {
        let html = settings.html();
        let sel = scraper::Selector::parse("#deleted-list tr.deleted-contact").unwrap();
        let form = scraper::Selector::parse("form").unwrap();
        html.select(&sel)
            .find(|tr| tr.text().any(|t| t == name))
            .map(|tr| {
                tr.select(&form)
                    .map(|f| f.value().attr("action").unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap()
    };
    let grace_forms = row("Grace");
    let alan_forms = row("Alan");
    assert!(grace_forms[0].ends_with("/restore"));
    assert!(grace_forms[1].ends_with("/delete"));

    let restored = client.post_form(&grace_forms[0], &[]).await;
    assert_eq!(
        restored.location(),
        Some(format!("/contacts/{}", grace.id).as_str())
    );
    let page = follow(&mut client, &restored).await;
    assert_eq!(page.texts(".flash-success"), ["Restored Grace."]);
    assert_eq!(reload(&app, &ada, &grace.id).await, grace);
    // Twice: it is no longer there.
    let twice = client.post_form(&grace_forms[0], &[]).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    assert_eq!(twice.texts("h1"), ["Not in Recently deleted"]);
    assert_eq!(count(&app.db, "contact").await, 1);

    // The buttons' addresses, opened, lead to the list.
    let opened = client.get(&alan_forms[1]).await;
    assert_eq!(opened.location(), Some("/settings#recently-deleted"));
    let forgot = client.post_form(&alan_forms[1], &[]).await;
    assert_eq!(forgot.location(), Some("/settings#recently-deleted"));
    let settings = follow(&mut client, &forgot).await;
    assert_eq!(settings.texts(".flash-success"), ["Alan deleted for good."]);
    assert!(settings.texts("#deleted-list .deleted-name").is_empty());
    assert_eq!(count(&app.db, "deleted_contact").await, 0);
}

#[tokio::test]
async fn the_api_delete_stays_a_hard_delete() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let grace = named(&app, &ada, "Grace").await;
    let token = api_token(&app.db, &ada).await;
    let request = Request::builder()
        .method(Method::DELETE)
        .uri(format!("/api/v1/contacts/{}", grace.id))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&app.db, "contact").await, 0);
    assert_eq!(count(&app.db, "deleted_contact").await, 0);
    assert_eq!(count(&app.db, "undo_action").await, 0);
    assert!(client
        .get("/settings")
        .await
        .texts("#deleted-list .deleted-name")
        .is_empty());
}

#[tokio::test]
async fn a_bulk_tag_add_or_remove_is_undone_for_exactly_the_contacts_it_changed() {
    let app = common::spawn_app().await;
    let (mut client, ada) = sign_up(&app, "ada").await;
    let a = named(&app, &ada, "A").await;
    let b = named(&app, &ada, "B").await;
    // B has the tag already: adding it changes A alone.
    app.db
        .tags()
        .set_names(&ada, &b.id, &["speaker".to_string()])
        .await
        .unwrap();
    let tag_names = |id: ContactId| {
        let app = &app;
        let ada = ada.clone();
        async move {
            app.db
                .tags()
                .tags_for_contact(&ada, &id)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
        }
    };
    let bulk = |action: &'static str| {
        [
            ("ids", a.id.to_string()),
            ("ids", b.id.to_string()),
            ("action", action.to_string()),
            ("tag", "Speaker".to_string()),
            ("back", "/contacts".to_string()),
        ]
    };
    let fields = |f: &[(&'static str, String)]| -> Vec<(&'static str, String)> { f.to_vec() };
    let add = fields(&bulk("tag_add"));
    let add: Vec<(&str, &str)> = add.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = client.post_form("/contacts/bulk", &add).await;
    let list = follow(&mut client, &r).await;
    assert_eq!(tag_names(a.id.clone()).await, ["speaker"]);
    let undone = client.post_form(&undo_of(&list), &[]).await;
    assert_eq!(
        follow(&mut client, &undone).await.texts(".flash-success"),
        ["Tag “speaker” taken off 1 contact."]
    );
    assert!(tag_names(a.id.clone()).await.is_empty());
    assert_eq!(
        tag_names(b.id.clone()).await,
        ["speaker"],
        "B had it before"
    );

    // Removing it from both, then undoing, puts it back on B alone (A had none).
    let remove = fields(&bulk("tag_remove"));
    let remove: Vec<(&str, &str)> = remove.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = client.post_form("/contacts/bulk", &remove).await;
    let list = follow(&mut client, &r).await;
    assert!(tag_names(b.id.clone()).await.is_empty());
    let undone = client.post_form(&undo_of(&list), &[]).await;
    assert_eq!(
        follow(&mut client, &undone).await.texts(".flash-success"),
        ["Tag “speaker” put back on 1 contact."]
    );
    assert_eq!(tag_names(b.id.clone()).await, ["speaker"]);
    assert!(tag_names(a.id.clone()).await.is_empty());
}
