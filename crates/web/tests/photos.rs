//! A contact's photo: uploaded from its page, shown as its avatar, served to its owner alone,
//! replaced and removed; anything but an image of a kind browsers show is refused with a
//! message and stores nothing.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{post_file, sign_up, spawn_app};
use devhub_db::ContactInput;

/// The smallest PNG: one transparent pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

#[tokio::test]
async fn a_photo_is_uploaded_shown_to_its_owner_alone_replaced_and_removed() {
    let app = spawn_app().await;
    let (mut owner, ada) = sign_up(&app, "owner").await;
    let (mut other, _) = sign_up(&app, "other").await;
    let grace = app
        .db
        .contacts()
        .create(
            &ada,
            &ContactInput {
                name: "Grace Hopper".into(),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let path = format!("/contacts/{}", grace.id);

    // Initials until there is a photo.
    let page = owner.get(&path).await;
    assert_eq!(page.texts(".hero .avatar"), ["GH"]);
    assert!(page.attr("#contact-photo", "src").is_none());

    let r = post_file(&owner, &format!("{path}/photo"), "photo", "me.png", PNG).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = owner.get(&path).await;
    let src = page.attr("#contact-photo", "src").unwrap();
    assert!(src.starts_with(&format!("{path}/photo?v=")), "{src}");
    let stored = app.db.contact_photos().get(&ada, &grace.id).await.unwrap();
    assert_eq!(
        (stored.content_type.as_str(), stored.data.as_slice()),
        ("image/png", PNG)
    );

    let served = owner.get(&src).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        served
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap(),
        "image/png"
    );
    assert_eq!(
        served
            .headers
            .get("x-content-type-options")
            .unwrap()
            .to_str()
            .unwrap(),
        "nosniff"
    );
    // Another user's request is a 404, and so are their upload and removal.
    assert_eq!(other.get(&src).await.status, StatusCode::NOT_FOUND);
    let theirs = post_file(&other, &format!("{path}/photo"), "photo", "x.png", PNG).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let theirs = other.post_form(&format!("{path}/photo/remove"), &[]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // A replacement gets a new address; a removal brings the initials back.
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[1, 0, 1, 0, 0, 0, 0, 0x3B]);
    let r = post_file(&owner, &format!("{path}/photo"), "photo", "me.gif", &gif).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = owner.get(&path).await;
    assert_ne!(page.attr("#contact-photo", "src").unwrap(), src);
    // Deleted with the contact and back with its Undo.
    let r = owner.post_form(&format!("{path}/delete"), &[]).await;
    let list = owner.get(r.location().unwrap()).await;
    let undo = list.attr("form.flash-undo", "action").unwrap();
    assert!(app.db.contact_photos().get(&ada, &grace.id).await.is_err());
    owner.post_form(&undo, &[]).await;
    assert_eq!(
        app.db
            .contact_photos()
            .get(&ada, &grace.id)
            .await
            .unwrap()
            .data,
        gif
    );
    let r = owner.post_form(&format!("{path}/photo/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = owner.get(&path).await;
    assert!(page.attr("#contact-photo", "src").is_none());
    assert_eq!(owner.get(&src).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_that_is_not_a_photo_is_refused_with_a_message_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (mut owner, ada) = sign_up(&app, "owner").await;
    let grace = app
        .db
        .contacts()
        .create(
            &ada,
            &ContactInput {
                name: "Grace".into(),
                ..ContactInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let path = format!("/contacts/{}/photo", grace.id);
    let too_big = {
        let mut b = vec![0xFF, 0xD8, 0xFF];
        b.resize(2 * 1024 * 1024 + 1, 0);
        b
    };
    for (name, bytes, says) in [
        (
            "notes.txt",
            b"hello".to_vec(),
            "is not a JPEG, PNG, WebP or GIF image",
        ),
        ("empty.png", Vec::new(), "is empty"),
        ("big.jpg", too_big, "at most 2 MB"),
    ] {
        let r = post_file(&owner, &path, "photo", name, &bytes).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(r.body.contains(says), "{name}: {says}");
    }
    // Past the upload's limit altogether: refused before it is read, still a 4xx.
    let huge = vec![0u8; 3 * 1024 * 1024];
    let r = post_file(&owner, &path, "photo", "huge.jpg", &huge).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(app.db.contact_photos().get(&ada, &grace.id).await.is_err());
    let page = owner.get(&format!("/contacts/{}", grace.id)).await;
    assert_eq!(page.status, StatusCode::OK);
}
