//! Foreign keys: links to referenced rows, counts of referencing rows, the schema page.

use axum::http::StatusCode;

use crate::common::TestStudio;

#[tokio::test]
async fn a_foreign_key_value_links_to_the_referenced_row() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/t/child").await;
    let links = r.attrs("#rows a.v-link", "href");
    assert_eq!(links.len(), 3);
    let followed = studio.get(&links[0]).await;
    assert_eq!(followed.status, StatusCode::SEE_OTHER);
    assert_eq!(followed.location(), "/t/parent/row?k=%5B1%5D");
    let parent = studio.get(followed.location()).await;
    assert!(parent.texts("#fields dd").contains(&"alpha".to_string()));

    // Composite foreign keys link too.
    let r = studio.get("/t/pair_ref").await;
    let link = r.attr("#rows a.v-link", "href");
    let followed = studio.get(&link).await;
    let row = studio.get(followed.location()).await;
    assert_eq!(row.text("h1"), "(a, b) = (1, a)");

    // A dangling reference says so.
    studio
        .db
        .conn()
        .await
        .unwrap()
        .execute_batch(
            "PRAGMA foreign_keys = OFF; INSERT INTO child (id, parent_id) VALUES (9, 99);",
        )
        .await
        .unwrap();
    let r = studio.get("/t/child?op.id=eq&v.id=9").await;
    let r = studio.get(&r.attr("#rows a.v-link", "href")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text(".error-message").contains("points nowhere"));
}

#[tokio::test]
async fn a_row_lists_the_rows_that_reference_it_linked_to_the_filtered_table() {
    let studio = TestStudio::product().await;
    let contacts = studio.get("/t/contact").await;
    let contact = studio.get(&contacts.attr("a.open-row", "href")).await;
    contact.assert_status(StatusCode::OK);
    let referrers = contact.texts("#referrers li");
    assert!(
        referrers.contains(&"interaction (by contact_id): 3 rows".to_string()),
        "{referrers:?}"
    );
    assert!(
        referrers
            .iter()
            .any(|r| r == "follow_up (by contact_id): 1 row"),
        "{referrers:?}"
    );
    let href = contact.attr("#referrers a[href^='/t/interaction']", "href");
    let interactions = studio.get(&href).await;
    interactions.assert_status(StatusCode::OK);
    assert_eq!(interactions.grid().len(), 3);
    assert_eq!(interactions.text("#row-count"), "3 rows match");

    // A user lists its contacts, sessions, tags, tokens.
    let users = studio.get("/t/user").await;
    let user = studio.get(&users.attr("a.open-row", "href")).await;
    assert!(user
        .texts("#referrers li")
        .contains(&"contact: 6 rows".to_string()));

    let studio = TestStudio::odd().await;
    let r = studio.get("/t/parent/row?k=%5B1%5D").await;
    assert_eq!(r.texts("#referrers li"), vec!["child: 2 rows"]);
}

#[tokio::test]
async fn the_schema_page_shows_columns_indexes_foreign_keys_and_a_diagram() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/schema").await;
    r.assert_status(StatusCode::OK);
    let parent_columns = r.texts("#t-parent table.columns tbody tr");
    assert!(
        parent_columns.contains(&"id INTEGER 1".to_string()),
        "{parent_columns:?}"
    );
    assert!(
        parent_columns.contains(&"name TEXT ✓".to_string()),
        "{parent_columns:?}"
    );
    assert!(
        parent_columns.contains(&"flag INTEGER ✓ 0".to_string()),
        "{parent_columns:?}"
    );
    let indexes = r.texts("#t-parent .indexes li");
    assert!(
        indexes
            .iter()
            .any(|i| i.contains("(name) · unique · UNIQUE constraint")),
        "{indexes:?}"
    );
    assert!(r
        .texts("#t-child .indexes li")
        .iter()
        .any(|i| i.starts_with("child_parent_idx (parent_id)")));
    assert_eq!(
        r.texts("#t-child .foreign-keys li"),
        vec!["(parent_id) → parent (id) · on delete CASCADE · on update NO ACTION"]
    );
    assert_eq!(
        r.texts("#t-pair_ref .foreign-keys li"),
        vec!["(x, y) → pairs (a, b) · on delete NO ACTION · on update NO ACTION"]
    );
    assert!(r.text("#t-pairs h2").contains("WITHOUT ROWID"));
    // The diagram: a box per table and a path per foreign key, drawn on the server.
    let boxes = r.texts("svg#diagram .box-title");
    for name in [
        "parent",
        "child",
        "order",
        "my table",
        "we\"ird",
        "pairs",
        "high_scores",
    ] {
        assert!(boxes.contains(&name.to_string()), "{name} in {boxes:?}");
    }
    assert_eq!(r.texts("svg#diagram path.fk-link").len(), 3);
    assert!(r
        .texts("svg#diagram path.fk-link title")
        .contains(&"child.parent_id → parent".to_string()));

    // The product schema draws too.
    let studio = TestStudio::product().await;
    let r = studio.get("/schema").await;
    assert!(r.texts("svg#diagram path.fk-link").len() >= 9);
}
