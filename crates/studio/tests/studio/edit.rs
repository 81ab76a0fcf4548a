//! Row forms: inputs by column type, explicit NULL and DEFAULT, constraint violations shown
//! with the database's message and nothing changed, deletes with their cascade counted.

use axum::http::StatusCode;
use libsql::Value;

use crate::common::TestStudio;

#[tokio::test]
async fn forms_pick_inputs_by_column_type() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/t/parent/new").await;
    r.assert_status(StatusCode::OK);
    assert_eq!(
        r.attr("input[name='v.created_at']", "type"),
        "datetime-local"
    );
    assert_eq!(r.attr("input[name='v.flag']", "type"), "checkbox");
    assert_eq!(r.attr("input[name='v.score']", "type"), "number");
    assert_eq!(r.attrs("textarea[name='v.notes']", "name").len(), 1);
    assert_eq!(r.attr("input[name='v.name']", "type"), "text");
    // Defaults and NULL are choices of their own.
    assert_eq!(
        r.attr("select[name='m.flag'] option[selected]", "value"),
        "default"
    );
    assert_eq!(
        r.attr("select[name='m.id'] option[selected]", "value"),
        "default"
    );
    assert_eq!(
        r.attr("select[name='m.name'] option[selected]", "value"),
        "value"
    );
    assert!(r
        .texts("select[name='m.score'] option")
        .contains(&"NULL".to_string()));

    // A foreign key into a small table is a select of its keys.
    let r = studio.get("/t/child/new").await;
    let options = r.attrs("select[name='v.parent_id'] option", "value");
    assert_eq!(options, vec!["", "1", "2", "3"]);
    assert_eq!(r.texts("select[name='v.parent_id'] option")[1], "alpha (1)");

    // Editing shows the stored values: dates for timestamps, ticks for booleans, long text in a textarea.
    let r = studio.get("/t/parent/edit?k=%5B1%5D").await;
    assert_eq!(
        r.attr("input[name='v.created_at']", "value"),
        "2023-11-14T22:13:20"
    );
    assert_eq!(r.attrs("input[name='v.flag'][checked]", "name").len(), 1);
    assert_eq!(
        r.attr("select[name='m.notes'] option[selected]", "value"),
        "null"
    );
    // BLOBs are kept unless set to NULL.
    let r = studio.get("/t/we%22ird/edit?k=%5B%22png%22%5D").await;
    assert_eq!(
        r.attr("select[name='m.v'] option[selected]", "value"),
        "keep"
    );
}

#[tokio::test]
async fn a_row_is_inserted_with_defaults_and_nulls_as_chosen() {
    let studio = TestStudio::odd().await;
    let r = studio
        .post(
            "/t/parent/new",
            &[
                ("m.id", "default"),
                ("m.name", "value"),
                ("v.name", "delta"),
                ("m.score", "null"),
                ("v.score", ""),
                ("m.flag", "value"),
                ("v.flag", "1"),
                ("m.created_at", "value"),
                ("v.created_at", "2024-05-01T12:30"),
                ("m.meta", "default"),
                ("m.notes", "value"),
                ("v.notes", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/t/parent/row?k=%5B4%5D&done=created");
    let row = studio
        .rows("SELECT name, score, flag, created_at, meta, notes FROM parent WHERE id = 4")
        .await;
    assert_eq!(
        row[0],
        vec![
            Value::Text("delta".into()),
            Value::Null,
            Value::Integer(1),
            Value::Integer(1_714_566_600),
            Value::Null,
            Value::Text(String::new()),
        ]
    );
    let page = studio.get(r.location()).await;
    assert_eq!(page.text(".notice"), "Row added.");

    // Odd names and WITHOUT ROWID tables take rows too.
    let r = studio
        .post(
            "/t/order/new",
            &[
                ("m.id", "default"),
                ("v.select", "third"),
                ("v.total", "1.25"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        studio
            .scalar("SELECT total FROM \"order\" WHERE \"select\" = 'third'")
            .await,
        Value::Real(1.25)
    );
    let r = studio
        .post(
            "/t/pairs/new",
            &[("v.a", "5"), ("v.b", "z"), ("m.note", "null")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        "/t/pairs/row?k=%5B5%2C%22z%22%5D&done=created"
    );
}

#[tokio::test]
async fn editing_a_row_changes_that_row_only() {
    let studio = TestStudio::odd().await;
    let r = studio
        .post(
            "/t/parent/edit?k=%5B1%5D",
            &[
                ("v.id", "1"),
                ("v.name", "alpha prime"),
                ("v.score", "7"),
                // The checkbox left unticked sends nothing: 0.
                ("m.flag", "value"),
                ("v.created_at", "1970-01-02T00:00:00"),
                ("m.meta", "null"),
                ("m.notes", "value"),
                ("v.notes", "line one\nline two"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/t/parent/row?k=%5B1%5D&done=saved");
    let rows = studio
        .rows("SELECT name, score, flag, created_at, meta, notes FROM parent ORDER BY id")
        .await;
    assert_eq!(
        rows[0],
        vec![
            Value::Text("alpha prime".into()),
            Value::Integer(7),
            Value::Integer(0),
            Value::Integer(86_400),
            Value::Null,
            Value::Text("line one\nline two".into()),
        ]
    );
    assert_eq!(
        rows[1][0],
        Value::Text("beta".into()),
        "other rows untouched"
    );
    // A BLOB left as it is stays.
    let r = studio
        .post(
            "/t/we%22ird/edit?k=%5B%22png%22%5D",
            &[("v.k", "png"), ("m.v", "keep")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        studio
            .count("SELECT length(v) FROM \"we\"\"ird\" WHERE k = 'png'")
            .await,
        18
    );
}

/// Posts `form` to `uri` and checks that it was refused with `message`, kept `kept`, and
/// left the table as it was.
async fn assert_refused(
    studio: &TestStudio,
    uri: &str,
    form: &[(&str, &str)],
    message: &str,
    kept: &str,
) {
    let before = studio.rows("SELECT * FROM parent ORDER BY id").await;
    let children = studio.rows("SELECT * FROM child ORDER BY id").await;
    let r = studio.post(uri, form).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{uri} {form:?}: {}",
        r.body
    );
    let error = r.text("#form-error");
    assert!(
        error.contains(message),
        "{error:?} should contain {message:?}"
    );
    assert!(
        r.attrs("input, textarea", "value")
            .iter()
            .any(|v| v == kept)
            || r.texts("textarea").iter().any(|v| v == kept),
        "the input {kept:?} is kept: {}",
        r.body
    );
    assert_eq!(
        studio.rows("SELECT * FROM parent ORDER BY id").await,
        before,
        "nothing changed"
    );
    assert_eq!(
        studio.rows("SELECT * FROM child ORDER BY id").await,
        children,
        "nothing changed"
    );
}

#[tokio::test]
async fn constraint_violations_show_the_database_message_keep_the_input_and_change_nothing() {
    let studio = TestStudio::odd().await;
    let new = "/t/parent/new";
    assert_refused(
        &studio,
        new,
        &[
            ("m.name", "null"),
            ("v.score", "3"),
            ("v.notes", "kept note"),
        ],
        "NOT NULL constraint failed: parent.name",
        "kept note",
    )
    .await;
    assert_refused(
        &studio,
        new,
        &[("v.name", "negative"), ("v.score", "-1")],
        "CHECK constraint failed",
        "negative",
    )
    .await;
    assert_refused(
        &studio,
        new,
        &[("v.name", "beta"), ("v.score", "1")],
        "UNIQUE constraint failed: parent.name",
        "beta",
    )
    .await;
    assert_refused(
        &studio,
        "/t/parent/edit?k=%5B1%5D",
        &[
            ("v.name", "alpha"),
            ("v.flag", "1"),
            ("m.flag", "value"),
            ("v.score", "-5"),
        ],
        "CHECK constraint failed",
        "-5",
    )
    .await;
    assert_refused(
        &studio,
        "/t/child/new",
        &[("v.parent_id", "42"), ("v.label", "orphan")],
        "FOREIGN KEY constraint failed",
        "orphan",
    )
    .await;
    assert_refused(
        &studio,
        "/t/child/edit?k=%5B1%5D",
        &[("v.parent_id", "77"), ("v.label", "moved")],
        "FOREIGN KEY constraint failed",
        "moved",
    )
    .await;
    // Values that cannot be what the input promised are field errors, before the database.
    let r = studio
        .post(new, &[("v.name", "x"), ("v.score", "lots")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.text(".has-error .field-error"),
        "\"lots\" is not a number."
    );
    let r = studio
        .post(new, &[("v.name", "x"), ("v.created_at", "soon")])
        .await;
    assert_eq!(
        r.text(".has-error .field-error"),
        "Enter a date and time, or choose NULL."
    );
    assert_eq!(studio.count("SELECT count(*) FROM parent").await, 3);
}

#[tokio::test]
async fn delete_asks_for_confirmation_and_counts_the_cascade() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/t/parent/delete?k=%5B1%5D").await;
    r.assert_status(StatusCode::OK);
    assert_eq!(
        r.text("#cascade"),
        "Deleting it also deletes 5 rows through ON DELETE CASCADE:"
    );
    assert_eq!(
        r.texts(".cascades li"),
        vec!["child: 2 rows", "grandchild: 3 rows"]
    );
    assert_eq!(
        studio.count("SELECT count(*) FROM parent").await,
        3,
        "asking deletes nothing"
    );
    let r = studio.post("/t/parent/delete?k=%5B1%5D", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/t/parent?done=deleted");
    assert_eq!(
        studio.get(r.location()).await.text(".notice"),
        "Row deleted."
    );
    assert_eq!(studio.count("SELECT count(*) FROM parent").await, 2);
    assert_eq!(studio.count("SELECT count(*) FROM child").await, 1);
    assert_eq!(studio.count("SELECT count(*) FROM grandchild").await, 0);
    let r = studio.get("/t/parent/delete?k=%5B3%5D").await;
    assert_eq!(r.text("#cascade"), "No other rows are deleted with it.");
}

#[tokio::test]
async fn a_delete_that_a_foreign_key_refuses_changes_nothing() {
    let studio = TestStudio::odd().await;
    // pair_ref references pairs (1, 'a') without ON DELETE: the database refuses.
    let r = studio
        .post("/t/pairs/delete?k=%5B1%2C%22a%22%5D", &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r
        .text("#form-error")
        .contains("FOREIGN KEY constraint failed"));
    assert_eq!(studio.count("SELECT count(*) FROM pairs").await, 3);
}

#[tokio::test]
async fn views_cannot_be_edited() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/t/high_scores/new").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = studio.post("/t/high_scores/new", &[("v.name", "x")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text(".error-message").contains("is a view"));
}

#[tokio::test]
async fn a_product_contact_is_edited_through_its_form() {
    let studio = TestStudio::product().await;
    let contacts = studio.get("/t/contact").await;
    let row_href = contacts.attr("a.open-row", "href");
    let edit_href = studio.get(&row_href).await.attr("#edit-row", "href");
    let form = studio.get(&edit_href).await;
    form.assert_status(StatusCode::OK);
    assert!(
        form.attrs("select[name='v.user_id'] option", "value").len() >= 3,
        "users are a select"
    );
    assert_eq!(form.attr("input[name='v.vip']", "type"), "checkbox");
    // Post back what the form shows, with one field changed.
    let html = form.html();
    let mut fields: Vec<(String, String)> = Vec::new();
    let select = scraper::Selector::parse(
        "form.edit-form select, form.edit-form input, form.edit-form textarea",
    )
    .unwrap();
    for e in html.select(&select) {
        let Some(name) = e.value().attr("name") else {
            continue;
        };
        let value = match e.value().name() {
            "select" => {
                let selected = scraper::Selector::parse("option[selected]").unwrap();
                e.select(&selected)
                    .next()
                    .and_then(|o| o.value().attr("value"))
                    .unwrap_or("")
                    .to_string()
            }
            "textarea" => e.text().collect(),
            _ if e.value().attr("type") == Some("checkbox") => {
                if e.value().attr("checked").is_none() {
                    continue;
                }
                "1".into()
            }
            _ => e.value().attr("value").unwrap_or("").to_string(),
        };
        let value = if name == "v.name" {
            "Renamed Person".to_string()
        } else {
            value
        };
        fields.push((name.to_string(), value));
    }
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = studio.post(&edit_href, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        studio
            .count("SELECT count(*) FROM contact WHERE name = 'Renamed Person'")
            .await,
        1
    );
    let row = studio.get(r.location()).await;
    assert!(row
        .texts("#fields dd")
        .contains(&"Renamed Person".to_string()));
}

#[tokio::test]
async fn a_row_reached_by_two_cascade_paths_is_counted_once() {
    let studio = TestStudio::with_sql(
        "CREATE TABLE u (id INTEGER PRIMARY KEY);
         CREATE TABLE c (id INTEGER PRIMARY KEY, u_id INTEGER REFERENCES u(id) ON DELETE CASCADE);
         CREATE TABLE t (id INTEGER PRIMARY KEY, u_id INTEGER REFERENCES u(id) ON DELETE CASCADE);
         CREATE TABLE ct (c_id INTEGER REFERENCES c(id) ON DELETE CASCADE,
                          t_id INTEGER REFERENCES t(id) ON DELETE CASCADE);
         INSERT INTO u VALUES (1), (2);
         INSERT INTO c VALUES (1, 1), (2, 1), (3, 2);
         INSERT INTO t VALUES (1, 1);
         INSERT INTO ct VALUES (1, 1), (2, 1), (3, NULL);",
    )
    .await;
    let r = studio.get("/t/u/delete?k=%5B1%5D").await;
    assert_eq!(
        r.texts(".cascades li"),
        vec!["c: 2 rows", "ct: 2 rows", "t: 1 row"]
    );
    assert_eq!(
        r.text("#cascade"),
        "Deleting it also deletes 5 rows through ON DELETE CASCADE:"
    );
    studio.post("/t/u/delete?k=%5B1%5D", &[]).await;
    assert_eq!(studio.count("SELECT count(*) FROM c").await, 1);
    assert_eq!(studio.count("SELECT count(*) FROM t").await, 0);
    assert_eq!(studio.count("SELECT count(*) FROM ct").await, 1);
}
