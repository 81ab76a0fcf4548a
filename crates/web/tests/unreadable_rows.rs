//! A row another tool (a Drizzle client, the studio) wrote with a value the app cannot read
//! never turns a page, an API answer or an export into an error: the rest shows, the field is
//! marked.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{spawn_app, PASSWORD};

#[tokio::test]
async fn a_contact_with_unreadable_values_still_shows_its_page_list_api_and_exports() {
    let app = spawn_app().await;
    let mut client = app.client();
    client.register("drizzle", PASSWORD).await;
    let user = app
        .db
        .users()
        .find_by_username("drizzle")
        .await
        .unwrap()
        .unwrap();
    let conn = app.db.conn().await.unwrap();
    conn.execute(
        "INSERT INTO contact (id, user_id, name, birthday, vip) VALUES ('raw-1', ?1, 'Ada Raw', 'soon', 1)",
        [user.id.as_str()],
    )
    .await
    .unwrap();
    conn.execute(
        "INSERT INTO contact_info (id, contact_id, email, social_links) \
         VALUES ('raw-ci', 'raw-1', 'ada@example.com', 'not json')",
        (),
    )
    .await
    .unwrap();
    conn.execute(
        "INSERT INTO contact_photo (contact_id, content_type, data) \
         VALUES ('raw-1', 'image/png', 'not bytes')",
        (),
    )
    .await
    .unwrap();
    drop(conn);

    let page = client.get("/contacts/raw-1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let notice = page.texts("#unreadable-notice").join(" ");
    assert!(notice.contains("birthday"), "{notice}");
    assert!(notice.contains("contact info social links"), "{notice}");
    assert_eq!(
        page.texts("#field-birthday .unreadable"),
        vec!["unreadable value".to_string()]
    );
    assert!(page.body.contains("ada@example.com"));
    assert_eq!(page.texts("#links-unreadable").len(), 1);
    // A photo whose bytes are text: the initials, not a broken image.
    assert!(!page.body.contains("id=\"contact-photo\""), "{}", page.body);
    assert_eq!(
        client.get("/contacts/raw-1/photo").await.status,
        StatusCode::NOT_FOUND
    );

    let list = client.get("/contacts").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Ada Raw"));

    let vcf = client.get("/contacts/export?format=vcard").await;
    assert_eq!(vcf.status, StatusCode::OK);
    assert!(vcf.body.contains("FN:Ada Raw"));
    assert!(vcf.body.contains("X-DEVHUB-UNREADABLE:"));
    assert!(
        vcf.body.replace("\r\n ", "").contains("contact_photo.data"),
        "{}",
        vcf.body
    );
    assert!(vcf.body.trim_end().ends_with("END:VCARD"));

    let backup = client.get("/settings/backup.json").await;
    assert_eq!(backup.status, StatusCode::OK);
    assert!(backup.body.contains("Ada Raw"));

    // The API answers with the rest and names the unreadable fields.
    let token = common::api_token(&app.db, &user.id).await;
    for (path, needle) in [
        ("/api/v1/contacts/raw-1", "\"unreadable\":[\"birthday\"]"),
        ("/api/v1/contacts", "Ada Raw"),
        (
            "/api/v1/contacts/raw-1/contact-info",
            "\"unreadable\":[\"social_links\"]",
        ),
        ("/api/v1/contact-infos", "ada@example.com"),
    ] {
        let r = client
            .send(
                axum::http::Method::GET,
                path,
                None,
                &[("authorization", &format!("Bearer {token}"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert!(r.body.contains(needle), "{path}: {}", r.body);
    }
}
