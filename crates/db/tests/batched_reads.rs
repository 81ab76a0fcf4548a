//! Reads batched with `db.batch`: the same answers as one by one, in every mode (on a server
//! the batch is one request, its values written into the SQL text as literals — so values
//! that look like SQL must come back as they went in, and change nothing).
#![allow(clippy::unwrap_used)]

mod common;

use common::{contact, test_db, user};
use devhub_db::{ContactId, ContactInput, ContactQuery, DistinctField, Error};

/// Texts that would break out of a badly quoted literal (stored, then searched for).
const HOSTILE: [&str; 5] = [
    "O'Brien",
    "'); DROP TABLE contact; --",
    "back\\slash ?1 ?2 :name $x @y",
    "quote '' doubled and \"double\" /* comment */ -- dash",
    "ünïcödé 🎉 '",
];

/// Search terms the forms would not store, but a query string can carry.
const SEARCHED: [&str; 3] = ["zero \u{0} byte'", "line\nbreak'; --", "%_'"];

#[tokio::test]
async fn a_batch_answers_what_its_reads_answer_one_by_one() {
    let db = test_db().await;
    let me = user(&db).await;
    let mut ids = Vec::new();
    for (i, text) in HOSTILE.iter().enumerate() {
        let made = db
            .contacts()
            .create(
                &me.id,
                &ContactInput {
                    name: format!("Person {i}"),
                    industry: Some(text.to_string()),
                    location: Some(text.to_string()),
                    vip: i % 2 == 0,
                    ..ContactInput::default()
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap();
        ids.push(made.id);
    }
    let contacts = db.contacts();

    // Every hostile text as a search term and as an exact filter: found, and only its row.
    for (i, text) in HOSTILE.iter().enumerate() {
        let query = ContactQuery {
            industry: Some(text.to_string()),
            ..ContactQuery::default()
        };
        let (page, one, counts) = db
            .batch((
                contacts.list(&me.id, &query),
                contacts.get(&me.id, &ids[i]),
                contacts.counts(&me.id),
            ))
            .await
            .unwrap();
        assert_eq!(page.total, 1, "{text:?}");
        assert_eq!(page.contacts[0].id, ids[i]);
        assert_eq!(one.industry.as_deref(), Some(*text));
        assert_eq!(one.location.as_deref(), Some(*text));
        assert_eq!(counts.total, HOSTILE.len() as u64);
        assert_eq!(counts, contacts.counts(&me.id).await.unwrap());
        assert_eq!(
            page.contacts,
            contacts.list(&me.id, &query).await.unwrap().contacts
        );
    }
    for text in SEARCHED {
        let query = ContactQuery {
            search: Some(text.to_string()),
            ..ContactQuery::default()
        };
        let (page, counts) = db
            .batch((contacts.list(&me.id, &query), contacts.counts(&me.id)))
            .await
            .unwrap();
        assert_eq!(page.total, 0, "{text:?}");
        assert_eq!(counts.total, HOSTILE.len() as u64);
    }
    let industries = contacts
        .distinct_values(&me.id, DistinctField::Industry)
        .await
        .unwrap();
    assert_eq!(industries.len(), HOSTILE.len());
}

#[tokio::test]
async fn a_read_that_fails_fails_its_batch_and_another_users_rows_stay_hidden() {
    let db = test_db().await;
    let me = user(&db).await;
    let other = user(&db).await;
    let theirs = db
        .contacts()
        .create(&other.id, &contact("Theirs"))
        .await
        .unwrap();
    let mine = db
        .contacts()
        .create(&me.id, &contact("Mine"))
        .await
        .unwrap();
    let contacts = db.contacts();
    let missing = db
        .batch((
            contacts.get(&me.id, &mine.id),
            contacts.get(&me.id, &theirs.id),
        ))
        .await;
    assert!(matches!(missing, Err(Error::NotFound)), "{missing:?}");
    let hidden = db
        .batch((
            db.interactions()
                .list_for_contact(&me.id, &theirs.id, 10, 0),
            contacts.counts(&me.id),
        ))
        .await;
    assert!(matches!(hidden, Err(Error::NotFound)), "{hidden:?}");
    let nobody = db
        .contacts()
        .get(&me.id, &ContactId::from("no-such-contact".to_string()))
        .await;
    assert!(matches!(nobody, Err(Error::NotFound)));
    // And inside a unit of work.
    let (a, b) = db
        .read(async |tx| {
            tx.batch((
                tx.contacts().get(&me.id, &mine.id),
                tx.contacts().counts(&me.id),
            ))
            .await
        })
        .await
        .unwrap();
    assert_eq!(a.name, "Mine");
    assert_eq!(b.total, 1);
}
