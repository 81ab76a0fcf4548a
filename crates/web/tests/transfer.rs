//! Import and export through the router: the upload form, the preview, the confirmation in one
//! transaction, the refusals of broken files, and the streamed downloads — each user's own.
#![allow(clippy::unwrap_used)]

mod common;
use common::sign_up as signed_in;

use axum::http::{header, StatusCode};
use common::{count, spawn_app, Client, TestResponse};
use devhub_db::ContactInput;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../db/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

/// Posts `bytes` as the import form's file, as a browser does.
async fn upload(client: &Client<'_>, file_name: &str, bytes: &[u8]) -> TestResponse {
    common::post_file(client, "/contacts/import", "file", file_name, bytes).await
}

fn upload_id(preview: &TestResponse) -> String {
    preview.attr("input[name=upload_id]", "value").unwrap()
}

fn text(r: &TestResponse, selector: &str) -> String {
    r.texts(selector).join(" ")
}

/// Uploads `vcard`, confirms the import, and returns the page of the one contact it made.
async fn imported_contact_page(client: &mut Client<'_>, vcard: &str) -> TestResponse {
    let preview = upload(client, "one.vcf", vcard.as_bytes()).await;
    assert_eq!(text(&preview, "#new-count"), "1", "{}", preview.body);
    let done = client
        .post_form(
            "/contacts/import/confirm",
            &[("upload_id", &upload_id(&preview))],
        )
        .await;
    assert_eq!(done.location(), Some("/contacts"));
    let list = client.get("/contacts").await;
    let href = list.attr("tbody .name-cell a", "href").unwrap();
    client.get(&href).await
}

#[tokio::test]
async fn a_birthday_imported_without_its_year_shows_as_a_day_with_no_age() {
    let app = spawn_app().await;
    let (mut client, _) = signed_in(&app, "ada").await;
    let page = imported_contact_page(
        &mut client,
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Lisa Meitner\r\nBDAY:--0817\r\nEND:VCARD\r\n",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#field-birthday"), ["August 17"]);
    let label = page.texts("#stat-birthday .stat-label").join(" ");
    assert!(label.contains("Aug 17"), "{label}");
    assert!(!label.contains("turns"), "{label}");
}

/// A vCard file of `n` new people (VIPs when `vip`), `n` people named like contacts the user
/// has, and `n` records without a name.
fn mixed_file(n: usize, vip: bool) -> String {
    let card = |body: String| format!("BEGIN:VCARD\r\nVERSION:3.0\r\n{body}END:VCARD\r\n");
    let mut file = String::new();
    for i in 0..n {
        let flag = if vip { "X-DEVHUB-VIP:1\r\n" } else { "" };
        file.push_str(&card(format!("FN:New Person {i}\r\n{flag}")));
        file.push_str(&card(format!("FN:Known Person {i}\r\n")));
        file.push_str(&card("NOTE:no name\r\n".to_string()));
    }
    file
}

#[tokio::test]
async fn the_import_preview_and_result_count_one_in_the_singular_and_two_in_the_plural() {
    for (n, summary, button, done) in [
        (
            1,
            [
                "1 new contact, marked as a VIP in the file.",
                "1 looks like a contact you already have.",
                "1 record cannot be read and will be left out.",
            ],
            "Import 1 contact",
            "Imported 1 new contact; 1 duplicate skipped, 1 unreadable record left out.",
        ),
        (
            2,
            [
                "2 new contacts, 2 of them marked as VIPs in the file.",
                "2 look like contacts you already have.",
                "2 records cannot be read and will be left out.",
            ],
            "Import 2 contacts",
            "Imported 2 new contacts; 2 duplicates skipped, 2 unreadable records left out.",
        ),
    ] {
        let app = spawn_app().await;
        let (mut client, ada) = signed_in(&app, "ada").await;
        for i in 0..n {
            let known = ContactInput {
                name: format!("Known Person {i}"),
                ..ContactInput::default()
            };
            app.db
                .contacts()
                .create(&ada, &known.parse().unwrap())
                .await
                .unwrap();
        }
        let preview = upload(&client, "mixed.vcf", mixed_file(n, true).as_bytes()).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert_eq!(preview.texts("#import-summary li"), summary, "{n}");
        assert_eq!(
            text(&preview, "form[action=\"/contacts/import/confirm\"] button"),
            button
        );

        let r = client
            .post_form(
                "/contacts/import/confirm",
                &[("upload_id", &upload_id(&preview)), ("duplicates", "skip")],
            )
            .await;
        assert_eq!(r.location(), Some("/contacts"));
        let list = client.get("/contacts").await;
        assert_eq!(text(&list, ".flash-success"), done, "{n}");
    }
}

#[tokio::test]
async fn an_import_previews_then_writes_on_confirmation_and_a_second_time_creates_nothing() {
    let app = spawn_app().await;
    let (mut client, _) = signed_in(&app, "ada").await;
    assert_eq!(client.get("/contacts/import").await.status, StatusCode::OK);

    let preview = upload(&client, "google.vcf", &fixture("google.vcf")).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(text(&preview, "#new-count"), "3");
    assert_eq!(text(&preview, "#duplicate-count"), "0");
    assert_eq!(
        preview.texts("#new-contacts li"),
        ["Ada Lovelace", "Zoë Müller-Łukasiewicz", "Kenji Tanaka"]
    );
    assert_eq!(
        count(&app.db, "contact").await,
        0,
        "a preview writes nothing"
    );

    let id = upload_id(&preview);
    let done = client
        .post_form(
            "/contacts/import/confirm",
            &[("upload_id", &id), ("duplicates", "skip")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), Some("/contacts"));
    assert_eq!(count(&app.db, "contact").await, 3);
    assert_eq!(
        count(&app.db, "import_upload").await,
        0,
        "the upload is gone"
    );
    let list = client.get("/contacts").await;
    assert!(text(&list, ".flash").contains("Imported 3 new contacts"));

    // The same confirmation again finds nothing to do.
    let again = client
        .post_form("/contacts/import/confirm", &[("upload_id", &id)])
        .await;
    assert_eq!(again.location(), Some("/contacts/import"));
    assert_eq!(count(&app.db, "contact").await, 3);

    // The same file again: every record is recognised.
    let second = upload(&client, "google.vcf", &fixture("google.vcf")).await;
    assert_eq!(text(&second, "#new-count"), "0");
    assert_eq!(text(&second, "#duplicate-count"), "3");
    let rows = second.texts("#duplicates tbody td");
    assert!(
        rows.iter()
            .any(|t| t.contains("same e-mail (ada@example.com)")),
        "{rows:?}"
    );
    client
        .post_form(
            "/contacts/import/confirm",
            &[("upload_id", &upload_id(&second)), ("duplicates", "merge")],
        )
        .await;
    assert_eq!(count(&app.db, "contact").await, 3);
}

#[tokio::test]
async fn unreadable_records_are_listed_with_their_lines() {
    let app = spawn_app().await;
    let (client, _) = signed_in(&app, "ada").await;
    let preview = upload(&client, "v4.vcf", &fixture("v4.vcf")).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert_eq!(text(&preview, "#error-count"), "1");
    assert_eq!(
        preview.texts("#unreadable tbody td"),
        ["15", "the record has no name"]
    );
}

#[tokio::test]
async fn broken_files_come_back_to_the_form_with_a_message_and_write_nothing() {
    let app = spawn_app().await;
    let (client, _) = signed_in(&app, "ada").await;
    let too_large = vec![b'a'; devhub_db::transfer::MAX_IMPORT_BYTES + 1];
    let far_too_large = vec![b'a'; devhub_web::transfer::UPLOAD_BODY_LIMIT + 10];
    let cases: [(&str, &[u8], StatusCode, &str); 6] = [
        (
            "big.vcf",
            &too_large,
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the limit",
        ),
        (
            "huge.vcf",
            &far_too_large,
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the limit",
        ),
        (
            "latin1.csv",
            b"First Name,Last Name,E-mail 1 - Value\nJos\xe9,Garc\xeda,j@example.com\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not UTF-8 text (line 2)",
        ),
        (
            "photo.jpg",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not UTF-8",
        ),
        (
            "cut.vcf",
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\n",
            StatusCode::UNPROCESSABLE_ENTITY,
            "truncated",
        ),
        (
            "empty.vcf",
            b"",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a file",
        ),
    ];
    for (name, bytes, status, message) in cases {
        let r = upload(&client, name, bytes).await;
        assert_eq!(r.status, status, "{name}");
        assert!(
            text(&r, "#import-error").contains(message),
            "{name}: {}",
            text(&r, "#import-error")
        );
        assert!(
            r.attr("input[type=file]", "name").is_some(),
            "{name}: the form is back"
        );
    }
    assert_eq!(count(&app.db, "contact").await, 0);
    assert_eq!(count(&app.db, "import_upload").await, 0);
}

#[tokio::test]
async fn another_users_upload_cannot_be_confirmed() {
    let app = spawn_app().await;
    let (alice, _) = signed_in(&app, "alice").await;
    let preview = upload(&alice, "google.vcf", &fixture("google.vcf")).await;
    let id = upload_id(&preview);
    let (mut bob, _) = signed_in(&app, "bob").await;
    let r = bob
        .post_form("/contacts/import/confirm", &[("upload_id", &id)])
        .await;
    assert_eq!(r.location(), Some("/contacts/import"));
    assert_eq!(count(&app.db, "contact").await, 0);
}

#[tokio::test]
async fn exports_stream_the_filtered_list_and_the_backup_of_the_signed_in_user_only() {
    let app = spawn_app().await;
    let (mut alice, alice_id) = signed_in(&app, "alice").await;
    let (_, bob_id) = signed_in(&app, "bob").await;
    for (user, name, vip) in [
        (&alice_id, "Ada Lovelace", true),
        (&alice_id, "Grace Hopper", false),
        (&bob_id, "Bob's Secret Friend", true),
    ] {
        app.db
            .contacts()
            .create(
                user,
                &ContactInput {
                    name: name.into(),
                    vip,
                    ..ContactInput::default()
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap();
    }
    let list = alice.get("/contacts?filter=vip").await;
    let href = list.attr("#export-vcard", "href").unwrap();
    assert_eq!(href, "/contacts/export?filter=vip&format=vcard");
    let vcards = alice.get(&href).await;
    assert_eq!(vcards.status, StatusCode::OK);
    assert_eq!(
        vcards.headers.get(header::CONTENT_TYPE).unwrap(),
        "text/vcard; charset=utf-8"
    );
    assert!(vcards
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"contacts-"));
    assert!(vcards.body.contains("FN:Ada Lovelace"));
    assert!(!vcards.body.contains("Grace"));
    assert!(!vcards.body.contains("Secret"));

    let csv = alice.get("/contacts/export?format=csv").await;
    assert_eq!(csv.body.lines().count(), 3, "header and two contacts");
    assert!(!csv.body.contains("Secret"));

    let backup = alice.get("/settings/backup.json").await;
    let doc: serde_json::Value = serde_json::from_str(&backup.body).unwrap();
    assert_eq!(doc["format"], "devhub-backup");
    assert_eq!(doc["contacts"].as_array().unwrap().len(), 2);
    assert!(!backup.body.contains("Secret"));

    assert_eq!(
        alice.get("/contacts/export?format=pdf").await.status,
        StatusCode::NOT_FOUND
    );
    let settings = alice.get("/settings").await;
    assert_eq!(
        settings.attr("#backup-link", "href").as_deref(),
        Some("/settings/backup.json")
    );
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_account_through_the_import_form() {
    let app = spawn_app().await;
    let (mut alice, _) = signed_in(&app, "alice").await;
    let preview = upload(&alice, "google.vcf", &fixture("google.vcf")).await;
    alice
        .post_form(
            "/contacts/import/confirm",
            &[("upload_id", &upload_id(&preview))],
        )
        .await;
    let backup = alice.get("/settings/backup.json").await.body;

    let (mut bob, bob_id) = signed_in(&app, "bob").await;
    let preview = upload(&bob, "backup.json", backup.as_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(text(&preview, "#import-summary").contains("Restores 3 contacts"));
    let done = bob
        .post_form(
            "/contacts/import/confirm",
            &[("upload_id", &upload_id(&preview))],
        )
        .await;
    assert_eq!(done.location(), Some("/contacts"));
    let page = app
        .db
        .contacts()
        .list(&bob_id, &devhub_db::ContactQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 3);

    // Not into an account that has contacts: the preview runs every check of the restore, so
    // the upload itself is refused and there is nothing to confirm.
    let refused = upload(&bob, "backup.json", backup.as_bytes()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("only be restored into an empty account"),
        "{}",
        refused.body
    );
    assert_eq!(refused.attr("input[name=upload_id]", "value"), None);
    assert_eq!(count(&app.db, "contact").await, 6);
}
