//! Contact details on every contact (issue 15): several e-mails and phones with labels, the
//! first of each in the seed's `contact_info` row and the rest in `contact_detail`; notes on
//! the contact. Saved in one unit of work, owner-scoped, found by the search, and readable
//! when another client of the seed schema wrote the row.
#![allow(clippy::unwrap_used)]

mod common;

use common::{count, test_db, user};
use devhub_db::*;

fn labeled(value: &str, label: &str) -> Labeled {
    Labeled {
        value: value.to_string(),
        label: (!label.is_empty()).then(|| label.to_string()),
    }
}

fn details(emails: &[(&str, &str)], phones: &[(&str, &str)]) -> ContactDetailsInput {
    ContactDetailsInput {
        emails: emails.iter().map(|(v, l)| labeled(v, l)).collect(),
        phones: phones.iter().map(|(v, l)| labeled(v, l)).collect(),
        main_app: Some("Signal".into()),
        social_links: vec!["github.com/ada".into()],
    }
}

async fn found(db: &Db, user: &UserId, search: &str) -> Vec<String> {
    let page = db
        .contacts()
        .list(
            user,
            &ContactQuery {
                search: Some(search.to_string()),
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    page.contacts.into_iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn every_email_and_phone_is_kept_in_order_with_its_label() {
    let db = test_db().await;
    let u = user(&db).await;
    let ada = db
        .contacts()
        .create(&u.id, &common::contact("Ada Lovelace"))
        .await
        .unwrap();
    let new = details(
        &[
            ("ada@work.example", "work"),
            ("", "home"),
            ("ada@home.example", "home"),
            ("ADA@work.example", "again"),
        ],
        &[("+44 20 7946 0000", "mobile"), ("+44 20 7946 0001", "")],
    )
    .parse()
    .unwrap();
    db.contact_details()
        .save(&u.id, &ada.id, &new)
        .await
        .unwrap();

    let got = db.contact_details().get(&u.id, &ada.id).await.unwrap();
    assert_eq!(
        got.emails,
        [
            labeled("ada@work.example", "work"),
            labeled("ada@home.example", "home")
        ],
        "blank rows dropped, a repeated address kept once"
    );
    assert_eq!(
        got.phones,
        [
            labeled("+44 20 7946 0000", "mobile"),
            labeled("+44 20 7946 0001", "")
        ]
    );
    assert_eq!(got.main_app(), Some("Signal"));
    assert_eq!(got.social_links(), ["https://github.com/ada"]);
    // The first of each kind is the seed's row, as another client reads it.
    let info = got.info.as_ref().unwrap();
    assert_eq!(info.email.as_deref(), Some("ada@work.example"));
    assert_eq!(info.email_label.as_deref(), Some("work"));
    assert_eq!(info.phone_number.as_deref(), Some("+44 20 7946 0000"));
    assert_eq!(count(&db, "SELECT count(*) FROM contact_detail").await, 2);

    // Every further value is searchable, and so is the first.
    assert_eq!(found(&db, &u.id, "home.example").await, ["Ada Lovelace"]);
    assert_eq!(found(&db, &u.id, "7946 0001").await, ["Ada Lovelace"]);
    assert_eq!(found(&db, &u.id, "work.example").await, ["Ada Lovelace"]);

    // Saving again replaces the set; saving none removes every row.
    let fewer = details(&[("ada@new.example", "")], &[]).parse().unwrap();
    db.contact_details()
        .save(&u.id, &ada.id, &fewer)
        .await
        .unwrap();
    let got = db.contact_details().get(&u.id, &ada.id).await.unwrap();
    assert_eq!(got.emails, [labeled("ada@new.example", "")]);
    assert!(got.phones.is_empty());
    assert!(found(&db, &u.id, "home.example").await.is_empty());
    let none = ContactDetailsInput::default().parse().unwrap();
    db.contact_details()
        .save(&u.id, &ada.id, &none)
        .await
        .unwrap();
    assert!(db
        .contact_details()
        .get(&u.id, &ada.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM contact_info").await, 0);
    assert!(found(&db, &u.id, "new.example").await.is_empty());
    db.conn()
        .await
        .unwrap()
        .execute(
            "INSERT INTO contact_fts (contact_fts) VALUES ('integrity-check')",
            (),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bad_value_is_named_by_its_row_and_nothing_is_written() {
    let db = test_db().await;
    let u = user(&db).await;
    let ada = db
        .contacts()
        .create(&u.id, &common::contact("Ada"))
        .await
        .unwrap();
    let good = details(&[("ada@x.example", "work")], &[]).parse().unwrap();
    db.contact_details()
        .save(&u.id, &ada.id, &good)
        .await
        .unwrap();

    let Err(Error::Validation(errors)) = details(
        &[("ada@x.example", ""), ("", ""), ("not an address", "home")],
        &[("+1 555 0100", &"x".repeat(41))],
    )
    .parse() else {
        panic!("bad values must be refused");
    };
    assert!(errors.get("emails.1").is_some(), "{errors}");
    assert!(
        errors.get("phones.0").unwrap().starts_with("label"),
        "{errors}"
    );
    let too_many: Vec<(String, &str)> = (0..11).map(|n| (format!("a{n}@x.example"), "")).collect();
    let too_many: Vec<(&str, &str)> = too_many.iter().map(|(v, l)| (v.as_str(), *l)).collect();
    let Err(Error::Validation(errors)) = details(&too_many, &[]).parse() else {
        panic!("eleven addresses must be refused");
    };
    assert!(errors.get("emails").is_some(), "{errors}");
    // Still what was saved before.
    let got = db.contact_details().get(&u.id, &ada.id).await.unwrap();
    assert_eq!(got.emails, [labeled("ada@x.example", "work")]);
}

#[tokio::test]
async fn another_users_contact_details_are_not_found_and_not_changed() {
    let db = test_db().await;
    let owner = user(&db).await;
    let other = user(&db).await;
    let ada = db
        .contacts()
        .create(&owner.id, &common::contact("Ada"))
        .await
        .unwrap();
    let new = details(&[("a@x.example", ""), ("b@x.example", "")], &[])
        .parse()
        .unwrap();
    db.contact_details()
        .save(&owner.id, &ada.id, &new)
        .await
        .unwrap();
    assert!(matches!(
        db.contact_details().get(&other.id, &ada.id).await,
        Err(Error::NotFound)
    ));
    assert!(db
        .contact_details()
        .more(&other.id, &ada.id)
        .await
        .unwrap()
        .is_empty());
    let theirs = ContactDetailsInput::default().parse().unwrap();
    assert!(matches!(
        db.contact_details().save(&other.id, &ada.id, &theirs).await,
        Err(Error::NotFound)
    ));
    let got = db.contact_details().get(&owner.id, &ada.id).await.unwrap();
    assert_eq!(got.emails.len(), 2);
}

#[tokio::test]
async fn rows_written_with_the_seed_columns_alone_read_as_details_and_notes() {
    let db = test_db().await;
    let u = user(&db).await;
    let conn = db.conn().await.unwrap();
    // A Drizzle client of the seed's schema: neither labels nor notes nor further details.
    conn.execute(
        "INSERT INTO contact (id, user_id, name) VALUES ('c-seed', ?1, 'Grace Hopper')",
        [u.id.as_str()],
    )
    .await
    .unwrap();
    conn.execute(
        "INSERT INTO contact_info (id, contact_id, email, phone_number) \
         VALUES ('ci-seed', 'c-seed', 'grace@navy.example', '+1 555 0199')",
        (),
    )
    .await
    .unwrap();
    let id = ContactId::from("c-seed");
    let got = db.contact_details().get(&u.id, &id).await.unwrap();
    assert_eq!(got.emails, [labeled("grace@navy.example", "")]);
    assert_eq!(got.phones, [labeled("+1 555 0199", "")]);
    let contact = db.contacts().get(&u.id, &id).await.unwrap();
    assert_eq!(contact.notes, None);
    assert_eq!(found(&db, &u.id, "navy.example").await, ["Grace Hopper"]);

    // Notes are kept, searched, and replaced with the rest of the contact.
    let with_notes = ContactInput {
        name: "Grace Hopper".into(),
        notes: Some("  Met at the COBOL meetup  ".into()),
        ..ContactInput::default()
    }
    .parse()
    .unwrap();
    let saved = db.contacts().update(&u.id, &id, &with_notes).await.unwrap();
    assert_eq!(saved.notes.as_deref(), Some("Met at the COBOL meetup"));
    assert_eq!(found(&db, &u.id, "cobol meetup").await, ["Grace Hopper"]);
}
