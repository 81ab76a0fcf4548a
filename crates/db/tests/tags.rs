//! Tags as the pages use them (issue 15): counts, rename, recolour by palette name, merge,
//! add by name, bulk add and remove, the list's filter by several tags, and the search index
//! kept true through renames and merges — owner-scoped, in every database mode.
#![allow(clippy::unwrap_used)]

mod common;

use common::{count, test_db, user};
use devhub_db::*;

async fn add(db: &Db, user: &UserId, name: &str) -> Contact {
    db.contacts()
        .create(user, &common::contact(name))
        .await
        .unwrap()
}

async fn names_with(db: &Db, user: &UserId, tags: &[&str], search: Option<&str>) -> Vec<String> {
    let page = db
        .contacts()
        .list(
            user,
            &ContactQuery {
                tags: tags.iter().map(|t| t.to_string()).collect(),
                search: search.map(str::to_string),
                ..ContactQuery::default()
            },
        )
        .await
        .unwrap();
    let mut names: Vec<String> = page.contacts.into_iter().map(|c| c.name).collect();
    assert_eq!(page.total, names.len() as u64, "the count matches the page");
    names.sort();
    names
}

async fn tag_names(db: &Db, user: &UserId, contact: &ContactId) -> Vec<String> {
    db.tags()
        .tags_for_contact(user, contact)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect()
}

#[track_caller]
fn invalid_field<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
    match result {
        Err(Error::Validation(errors)) => errors.iter().next().unwrap().field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn adding_by_name_reuses_a_tag_ignoring_case_or_creates_it() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = add(&db, &me.id, "Ada").await;
    let tags = db.tags();

    let (rust, added) = tags
        .add_to_contact(&me.id, &ada.id, "  Rust ")
        .await
        .unwrap();
    assert!(added);
    assert_eq!(rust.name, "Rust");
    let (again, added) = tags.add_to_contact(&me.id, &ada.id, "rust").await.unwrap();
    assert_eq!((again.id, added), (rust.id.clone(), false));
    assert_eq!(count(&db, "SELECT count(*) FROM tag").await, 1);
    assert_eq!(count(&db, "SELECT count(*) FROM contact_tag").await, 1);

    assert_eq!(
        invalid_field(tags.add_to_contact(&me.id, &ada.id, "   ").await),
        "name"
    );
    let long = "x".repeat(repo::tag::MAX_TAG_NAME + 1);
    assert_eq!(
        invalid_field(tags.add_to_contact(&me.id, &ada.id, &long).await),
        "name"
    );

    tags.detach(&me.id, &ada.id, &rust.id).await.unwrap();
    assert!(tag_names(&db, &me.id, &ada.id).await.is_empty());
}

#[tokio::test]
async fn another_users_contacts_and_tags_are_out_of_reach() {
    let db = test_db().await;
    let me = user(&db).await;
    let eve = user(&db).await;
    let ada = add(&db, &me.id, "Ada").await;
    let (rust, _) = db
        .tags()
        .add_to_contact(&me.id, &ada.id, "rust")
        .await
        .unwrap();
    let eves = add(&db, &eve.id, "Eve's").await;
    let (eve_tag, _) = db
        .tags()
        .add_to_contact(&eve.id, &eves.id, "mine")
        .await
        .unwrap();
    let tags = db.tags();

    assert!(matches!(
        tags.add_to_contact(&eve.id, &ada.id, "hijack").await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        tags.rename(&eve.id, &rust.id, "x").await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        tags.recolor(&eve.id, &rust.id, "red").await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        tags.merge(&eve.id, &rust.id, &eve_tag.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        tags.merge(&eve.id, &eve_tag.id, &rust.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        tags.merge(&me.id, &rust.id, &eve_tag.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        tags.bulk_add(&eve.id, std::slice::from_ref(&ada.id), "hijack")
            .await,
        Err(Error::NotFound)
    ));
    let (_, removed) = tags
        .bulk_remove(&eve.id, std::slice::from_ref(&ada.id), "mine")
        .await
        .unwrap();
    assert_eq!(removed, 0);
    assert!(matches!(
        tags.bulk_remove(&eve.id, std::slice::from_ref(&ada.id), "rust")
            .await,
        Err(Error::NotFound)
    ));
    // Eve's lists: her tag alone, and none of Ada's links.
    let theirs = tags.list_with_counts(&eve.id).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(
        (theirs[0].tag.name.as_str(), theirs[0].contacts),
        ("mine", 1)
    );
    assert!(tags
        .for_contacts(&eve.id, std::slice::from_ref(&ada.id))
        .await
        .unwrap()
        .is_empty());
    assert!(names_with(&db, &eve.id, &["rust"], None).await.is_empty());
    // Nothing of Ada's changed; no "hijack" tag was left behind.
    assert_eq!(tag_names(&db, &me.id, &ada.id).await, ["rust"]);
    assert_eq!(tags.get(&me.id, &rust.id).await.unwrap(), rust);
    assert_eq!(
        count(&db, "SELECT count(*) FROM tag WHERE name = 'hijack'").await,
        0
    );
}

#[tokio::test]
async fn rename_refuses_a_name_another_tag_has_and_recolor_takes_palette_names() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = add(&db, &me.id, "Ada").await;
    let tags = db.tags();
    let (rust, _) = tags.add_to_contact(&me.id, &ada.id, "rust").await.unwrap();
    let (go, _) = tags.add_to_contact(&me.id, &ada.id, "go").await.unwrap();

    match tags.rename(&me.id, &go.id, " RUST ").await {
        Err(Error::Conflict { field, .. }) => assert_eq!(field, "name"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(tags.get(&me.id, &go.id).await.unwrap().name, "go");
    // Its own name in another case is a rename.
    assert_eq!(
        tags.rename(&me.id, &rust.id, "Rust").await.unwrap().name,
        "Rust"
    );
    assert_eq!(
        tags.rename(&me.id, &go.id, "golang").await.unwrap().name,
        "golang"
    );
    assert_eq!(invalid_field(tags.rename(&me.id, &go.id, "").await), "name");

    let teal = tags.recolor(&me.id, &rust.id, "teal").await.unwrap();
    assert_eq!(
        (teal.color.as_deref(), teal.name.as_str()),
        (Some("teal"), "Rust")
    );
    for bad in ["crimson", "#ff0000", "", "Teal"] {
        assert_eq!(
            invalid_field(tags.recolor(&me.id, &rust.id, bad).await),
            "color"
        );
    }
    assert_eq!(
        tags.get(&me.id, &rust.id).await.unwrap().color.as_deref(),
        Some("teal")
    );

    // The search index follows the rename.
    let found = names_with(&db, &me.id, &[], Some("golang")).await;
    assert_eq!(found, ["Ada"]);
}

#[tokio::test]
async fn merging_moves_the_contacts_once_deletes_the_tag_and_keeps_the_search_right() {
    let db = test_db().await;
    let me = user(&db).await;
    let ada = add(&db, &me.id, "Ada").await;
    let bob = add(&db, &me.id, "Bob").await;
    let cy = add(&db, &me.id, "Cy").await;
    let tags = db.tags();
    let (conf, _) = tags
        .add_to_contact(&me.id, &ada.id, "rustconfx")
        .await
        .unwrap();
    tags.add_to_contact(&me.id, &bob.id, "rustconfx")
        .await
        .unwrap();
    let (meetup, _) = tags
        .add_to_contact(&me.id, &bob.id, "meetupz")
        .await
        .unwrap();
    tags.add_to_contact(&me.id, &cy.id, "meetupz")
        .await
        .unwrap();

    assert_eq!(
        invalid_field(tags.merge(&me.id, &conf.id, &conf.id).await),
        "into"
    );
    let moved = tags.merge(&me.id, &conf.id, &meetup.id).await.unwrap();
    assert_eq!(moved, 2);
    assert!(matches!(
        tags.get(&me.id, &conf.id).await,
        Err(Error::NotFound)
    ));
    for c in [&ada, &bob, &cy] {
        assert_eq!(
            tag_names(&db, &me.id, &c.id).await,
            ["meetupz"],
            "{}",
            c.name
        );
    }
    assert_eq!(count(&db, "SELECT count(*) FROM contact_tag").await, 3);
    let counted = tags.list_with_counts(&me.id).await.unwrap();
    assert_eq!(counted.len(), 1);
    assert_eq!(counted[0].contacts, 3);
    // The search finds the merged contacts by the tag they now carry, and no longer by the
    // one that is gone.
    assert_eq!(
        names_with(&db, &me.id, &[], Some("meetupz")).await,
        ["Ada", "Bob", "Cy"]
    );
    assert!(names_with(&db, &me.id, &[], Some("rustconfx"))
        .await
        .is_empty());
    assert_eq!(
        names_with(&db, &me.id, &["MEETUPZ"], None).await,
        ["Ada", "Bob", "Cy"]
    );

    tags.delete(&me.id, &meetup.id).await.unwrap();
    assert!(names_with(&db, &me.id, &[], Some("meetupz"))
        .await
        .is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM contact_tag").await, 0);
}

#[tokio::test]
async fn bulk_add_and_remove_touch_only_the_users_contacts_in_one_go() {
    let db = test_db().await;
    let me = user(&db).await;
    let eve = user(&db).await;
    let ada = add(&db, &me.id, "Ada").await;
    let bob = add(&db, &me.id, "Bob").await;
    let eves = add(&db, &eve.id, "Eve's").await;
    let tags = db.tags();
    tags.add_to_contact(&me.id, &ada.id, "Friends")
        .await
        .unwrap();

    let ids = [ada.id.clone(), bob.id.clone(), eves.id.clone()];
    let (friends, added) = tags.bulk_add(&me.id, &ids, "friends").await.unwrap();
    assert_eq!((friends.name.as_str(), added), ("Friends", 1));
    assert!(tag_names(&db, &eve.id, &eves.id).await.is_empty());
    let (new, added) = tags.bulk_add(&me.id, &ids, "new one").await.unwrap();
    assert_eq!((new.name.as_str(), added), ("new one", 2));
    assert_eq!(
        tag_names(&db, &me.id, &bob.id).await,
        ["Friends", "new one"]
    );
    assert_eq!(
        invalid_field(tags.bulk_add(&me.id, &ids, " ").await),
        "name"
    );

    let (_, removed) = tags.bulk_remove(&me.id, &ids, "FRIENDS").await.unwrap();
    assert_eq!(removed, 2);
    assert_eq!(tag_names(&db, &me.id, &ada.id).await, ["new one"]);
    assert!(matches!(
        tags.bulk_remove(&me.id, &ids, "unknown").await,
        Err(Error::NotFound)
    ));
    // The tag stays, with no contacts.
    let counted = tags.list_with_counts(&me.id).await.unwrap();
    let friends = counted.iter().find(|t| t.tag.name == "Friends").unwrap();
    assert_eq!(friends.contacts, 0);
}

#[tokio::test]
async fn the_list_filter_keeps_contacts_with_every_chosen_tag() {
    let db = test_db().await;
    let me = user(&db).await;
    let eve = user(&db).await;
    let tags = db.tags();
    let ada = add(&db, &me.id, "Ada").await;
    let bob = add(&db, &me.id, "Bob").await;
    add(&db, &me.id, "Cy").await;
    tags.add_to_contact(&me.id, &ada.id, "rust").await.unwrap();
    tags.add_to_contact(&me.id, &ada.id, "berlin")
        .await
        .unwrap();
    tags.add_to_contact(&me.id, &bob.id, "rust").await.unwrap();
    let eves = add(&db, &eve.id, "Eve Rust").await;
    tags.add_to_contact(&eve.id, &eves.id, "rust")
        .await
        .unwrap();

    assert_eq!(
        names_with(&db, &me.id, &["rust"], None).await,
        ["Ada", "Bob"]
    );
    assert_eq!(
        names_with(&db, &me.id, &["Rust", "berlin"], None).await,
        ["Ada"]
    );
    assert_eq!(
        names_with(&db, &me.id, &["rust", " RUST ", ""], None).await,
        ["Ada", "Bob"],
        "repeats and blanks count once or not at all"
    );
    assert!(names_with(&db, &me.id, &["rust", "nope"], None)
        .await
        .is_empty());
    assert_eq!(
        names_with(&db, &me.id, &["rust"], Some("bob")).await,
        ["Bob"]
    );
    assert_eq!(names_with(&db, &me.id, &["rust"], Some("b")).await, ["Bob"]);

    let listed = tags
        .for_contacts(&me.id, &[ada.id.clone(), bob.id.clone(), eves.id.clone()])
        .await
        .unwrap();
    let pairs: Vec<(String, String)> = listed
        .into_iter()
        .map(|(c, t)| (c.into_string(), t.name))
        .collect();
    let mut expected = vec![
        (ada.id.to_string(), "berlin".to_string()),
        (ada.id.to_string(), "rust".to_string()),
        (bob.id.to_string(), "rust".to_string()),
    ];
    expected.sort();
    let mut got = pairs.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(tags.for_contacts(&me.id, &[]).await.unwrap().is_empty());
}
