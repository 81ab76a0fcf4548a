//! The home page and the table view: paging, sorting, filters, search, rendering by type,
//! odd names, and clear 4xx answers to bad addresses.

use axum::http::StatusCode;

use crate::common::{enc, seg, TestStudio};

const NUMBERS: &str = "
CREATE TABLE nums (id INTEGER PRIMARY KEY, grp INTEGER, name TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
INSERT INTO nums (id, grp, name)
SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 7 END, 'name ' || i FROM n;
";

/// Follows `rel=next` links from `uri` and returns the first column of every page.
async fn walk(studio: &TestStudio, uri: &str, rel: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut uri = uri.to_string();
    loop {
        let r = studio.get(&uri).await;
        r.assert_status(StatusCode::OK);
        pages.push(r.first_column());
        let next = r.attrs(&format!("a[rel={rel}]"), "href");
        match next.first() {
            Some(href) => uri = href.clone(),
            None => return pages,
        }
        assert!(pages.len() < 20, "paging does not end");
    }
}

fn ids(range: std::ops::RangeInclusive<i32>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn home_lists_tables_and_views_with_counts_and_internal_tables_apart() {
    let studio = TestStudio::product().await;
    let r = studio.get("/").await;
    r.assert_status(StatusCode::OK);
    let tables = r.texts("#tables tbody tr");
    assert!(
        tables.iter().any(|t| t == "contact table 12 14"),
        "{tables:?}"
    );
    assert!(
        tables.iter().any(|t| t == "interaction table 36 8"),
        "{tables:?}"
    );
    assert!(!tables.iter().any(|t| t.contains("__devhub_migrations")));
    let internal = r.texts("#internal tbody tr");
    assert!(
        internal
            .iter()
            .any(|t| t.starts_with("__devhub_migrations table")),
        "{internal:?}"
    );
    assert!(
        internal.iter().any(|t| t.starts_with("sqlite_schema")),
        "{internal:?}"
    );
    // The mode the tests run in (`DEVHUB_TEST_MODE`) is the one the home page names.
    let (mode, location) = match std::env::var("DEVHUB_TEST_MODE").as_deref() {
        Ok("remote") => ("remote server", "http://127.0.0.1:"),
        Ok("replica") => ("embedded replica", "replica.db"),
        _ => ("local file", "studio.db"),
    };
    assert_eq!(r.text("#db-mode"), mode);
    assert!(
        r.text("#db-location").contains(location),
        "{}",
        r.text("#db-location")
    );

    let studio = TestStudio::odd().await;
    let r = studio.get("/").await;
    let tables = r.texts("#tables tbody tr td:first-child");
    for name in ["order", "my table", "we\"ird", "pairs", "high_scores"] {
        assert!(tables.iter().any(|t| t == name), "{name} in {tables:?}");
    }
    assert!(r
        .texts("#tables tbody tr")
        .contains(&"high_scores view 2 3".to_string()));
}

#[tokio::test]
async fn rowid_tables_page_forward_backward_and_to_the_last_page() {
    let studio = TestStudio::with_sql(NUMBERS).await;
    let r = studio.get("/t/nums").await;
    assert_eq!(r.first_column(), ids(1..=50));
    assert_eq!(r.text("#row-count"), "120 rows");
    assert!(
        r.attrs("a[rel=prev]", "href").is_empty(),
        "no previous page on the first"
    );

    let pages = walk(&studio, "/t/nums", "next").await;
    assert_eq!(pages, vec![ids(1..=50), ids(51..=100), ids(101..=120)]);

    let last = studio
        .get(&studio.get("/t/nums").await.attr("a[rel=last]", "href"))
        .await;
    assert_eq!(last.first_column(), ids(71..=120), "the last page is full");
    assert!(last.attrs("a[rel=next]", "href").is_empty());
    let back = walk(
        &studio,
        &studio.get("/t/nums").await.attr("a[rel=last]", "href"),
        "prev",
    )
    .await;
    assert_eq!(back, vec![ids(71..=120), ids(21..=70), ids(1..=20)]);
}

#[tokio::test]
async fn sorting_pages_through_every_row_once_in_the_database_order() {
    let studio = TestStudio::with_sql(NUMBERS).await;
    for dir in ["asc", "desc"] {
        let expected: Vec<String> = studio
            .rows(&format!(
                "SELECT id FROM nums ORDER BY grp {dir}, rowid {dir}"
            ))
            .await
            .into_iter()
            .map(|r| match &r[0] {
                libsql::Value::Integer(i) => i.to_string(),
                other => panic!("{other:?}"),
            })
            .collect();
        let pages = walk(&studio, &format!("/t/nums?sort=grp&dir={dir}"), "next").await;
        assert_eq!(
            pages.concat(),
            expected,
            "{dir}: NULLs and ties page correctly"
        );
        let back = walk(
            &studio,
            &studio
                .get(&format!("/t/nums?sort=grp&dir={dir}"))
                .await
                .attr("a[rel=last]", "href"),
            "prev",
        )
        .await;
        let mut back: Vec<String> = back.into_iter().rev().flatten().collect();
        back.dedup();
        assert_eq!(back, expected, "{dir} backwards");
    }
    let r = studio.get("/t/nums?sort=grp&dir=desc").await;
    assert_eq!(
        r.attr("th[aria-sort=descending] a", "href"),
        "/t/nums?sort=grp&dir=asc"
    );
}

#[tokio::test]
async fn without_rowid_tables_with_composite_keys_page_on_their_primary_key() {
    let studio = TestStudio::with_sql(
        "CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT NOT NULL, note TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 69)
         INSERT INTO pairs SELECT i / 3, char(97 + i % 3), 'n' || i FROM n;",
    )
    .await;
    let pages = walk(&studio, "/t/pairs", "next").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![50, 20]);
    let r = studio.get("/t/pairs").await;
    let open = r.attr("#rows tbody tr a.open-row", "href");
    let row = studio.get(&open).await;
    row.assert_status(StatusCode::OK);
    assert_eq!(row.text("h1"), "(a, b) = (0, a)");
    assert!(row.texts("#fields dd").contains(&"n0".to_string()));
    // Sorted by a non-key column, the key still breaks ties and every row comes once.
    let sorted = walk(&studio, "/t/pairs?sort=b&dir=desc", "next")
        .await
        .concat();
    assert_eq!(sorted.len(), 70);
}

#[tokio::test]
async fn views_page_by_offset() {
    let studio = TestStudio::with_sql(&format!(
        "{NUMBERS} CREATE VIEW odd_nums AS SELECT id, name FROM nums WHERE id % 2 = 1;"
    ))
    .await;
    let pages = walk(&studio, "/t/odd_nums", "next").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![50, 10]);
    let r = studio.get("/t/odd_nums").await;
    assert!(
        r.attrs("a.open-row", "href").is_empty(),
        "view rows have no row page"
    );
    assert!(r.attrs("a[href='/t/odd_nums/new']", "href").is_empty());
}

#[tokio::test]
async fn filters_combine_and_cover_every_operator() {
    let studio = TestStudio::with_sql(NUMBERS).await;
    let r = studio.get("/t/nums?op.grp=eq&v.grp=3").await;
    assert_eq!(r.text("#row-count"), "15 rows match");
    let r = studio
        .get("/t/nums?op.grp=eq&v.grp=3&op.id=gt&v.id=100")
        .await;
    assert_eq!(r.first_column(), vec!["101", "108", "115"]);
    let r = studio.get("/t/nums?op.id=lt&v.id=4").await;
    assert_eq!(r.first_column(), vec!["1", "2", "3"]);
    let r = studio.get("/t/nums?op.name=contains&v.name=11").await;
    assert_eq!(
        r.first_column(),
        vec!["11", "110", "111", "112", "113", "114", "115", "116", "117", "118", "119"]
    );
    let r = studio.get("/t/nums?op.name=starts&v.name=name%2012").await;
    assert_eq!(r.first_column(), vec!["12", "120"]);
    let r = studio.get("/t/nums?op.grp=null").await;
    assert_eq!(r.text("#row-count"), "12 rows match");
    let r = studio.get("/t/nums?op.grp=notnull&op.id=lt&v.id=12").await;
    assert_eq!(
        r.first_column(),
        ids(1..=9)
            .into_iter()
            .chain(["11".into()])
            .collect::<Vec<_>>()
    );
    // The filter row shows the state back; LIKE wildcards are taken literally.
    let r = studio.get("/t/nums?op.grp=eq&v.grp=3").await;
    assert_eq!(
        r.attr("select[name='op.grp'] option[selected]", "value"),
        "eq"
    );
    assert_eq!(r.attr("input[name='v.grp']", "value"), "3");
    let r = studio.get("/t/nums?op.name=contains&v.name=%25").await;
    assert_eq!(r.text("#row-count"), "0 rows match");
}

#[tokio::test]
async fn the_search_box_looks_through_text_columns() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/t/parent?q=AMM").await;
    assert_eq!(r.first_column(), vec!["3"], "case-insensitive, in name");
    let r = studio.get("/t/parent?q=long%20note").await;
    assert_eq!(r.first_column(), vec!["3"], "in notes");
    let r = studio.get("/t/parent?q=alpha&op.score=gt&v.score=10").await;
    assert!(r.first_column().is_empty(), "search and filters combine");
    assert_eq!(r.attr("#search", "value"), "alpha");
}

#[tokio::test]
async fn submitted_filter_rows_redirect_to_a_tidy_address() {
    let studio = TestStudio::with_sql(NUMBERS).await;
    let r = studio
        .get("/t/nums?q=&op.id=&v.id=&op.grp=eq&v.grp=3&op.name=&v.name=")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/t/nums?op.grp=eq&v.grp=3");
}

#[tokio::test]
async fn bad_addresses_get_clear_4xx_answers() {
    let studio = TestStudio::with_sql(NUMBERS).await;
    let cases = [
        (
            "/t/nums?op.nope=eq&v.nope=1",
            StatusCode::BAD_REQUEST,
            "no column named nope",
        ),
        (
            "/t/nums?op.grp=like&v.grp=1",
            StatusCode::BAD_REQUEST,
            "Unknown filter like",
        ),
        (
            "/t/nums?op.grp=gt&v.grp=abc",
            StatusCode::BAD_REQUEST,
            "needs a number",
        ),
        (
            "/t/nums?sort=nope",
            StatusCode::BAD_REQUEST,
            "no column named nope",
        ),
        (
            "/t/nums?sort=id&dir=up",
            StatusCode::BAD_REQUEST,
            "asc or desc",
        ),
        (
            "/t/nums?after=not-json",
            StatusCode::BAD_REQUEST,
            "page cursor",
        ),
        (
            "/t/nums?after=%5B1%2C2%5D",
            StatusCode::BAD_REQUEST,
            "page cursor",
        ),
        (
            "/t/nums?before=%5B%7B%22x%22%3A1%7D%5D",
            StatusCode::BAD_REQUEST,
            "page cursor",
        ),
        (
            "/t/nums?page=-1",
            StatusCode::BAD_REQUEST,
            "not a page number",
        ),
        (
            "/t/nope",
            StatusCode::NOT_FOUND,
            "no table or view named nope",
        ),
        ("/t/nums/row", StatusCode::BAD_REQUEST, "needs ?k="),
        (
            "/t/nums/row?k=%5B%22x%22%2C1%5D",
            StatusCode::BAD_REQUEST,
            "needs ?k=",
        ),
        (
            "/t/nums/row?k=%5B999%5D",
            StatusCode::NOT_FOUND,
            "no row with rowid 999",
        ),
        (
            "/t/nums/ref?c=bad&v=bad",
            StatusCode::BAD_REQUEST,
            "reference link",
        ),
        ("/t/nums/edit?k=%5B999%5D", StatusCode::NOT_FOUND, "no row"),
        (
            "/t/nums/export.csv?op.grp=gt&v.grp=x",
            StatusCode::BAD_REQUEST,
            "needs a number",
        ),
    ];
    for (uri, status, message) in cases {
        let r = studio.get(uri).await;
        assert_eq!(r.status, status, "{uri}: {}", r.body);
        assert!(
            r.text(".error-message").contains(message),
            "{uri}: {}",
            r.text(".error-message")
        );
    }
    // Timestamps accept dates as filter values.
    let studio = TestStudio::odd().await;
    let r = studio
        .get("/t/parent?op.created_at=gt&v.created_at=2000-01-01")
        .await;
    assert_eq!(r.first_column(), vec!["1"]);
}

#[tokio::test]
async fn values_render_by_type() {
    let studio = TestStudio::odd().await;
    let r = studio.get("/t/parent").await;
    r.assert_status(StatusCode::OK);
    // Unix-second timestamps as dates, the number on hover.
    assert_eq!(r.text(".v-time"), "2023-11-14 22:13:20 UTC");
    assert_eq!(r.attr(".v-time", "title"), "1700000000 (Unix seconds)");
    // 0/1 booleans as marks.
    assert_eq!(r.attrs(".v-bool", "title"), vec!["1", "0", "0"]);
    assert_eq!(r.texts(".v-bool .visually-hidden"), vec!["yes", "no", "no"]);
    // NULL distinct from the empty string.
    assert!(r.texts(".v-null").iter().all(|t| t == "NULL"));
    assert_eq!(r.texts(".v-empty").len(), 1);
    // JSON shortened in the grid, pretty in the expansion; broken JSON stays text.
    let json = r.text("details .v-json");
    assert!(json.contains("\"tags\":[\"a\",\"b\"]"), "{json}");
    assert!(!json.contains('\n'), "one line in the grid: {json}");
    let pretty = r.texts("details pre.v-full");
    assert!(
        pretty.iter().any(|p| p.contains("\"tags\": [")),
        "{pretty:?}"
    );
    assert!(r.texts(".v-text").contains(&"not json {".to_string()));
    // Long text truncated, whole on expansion.
    assert!(r
        .texts("details .v-text")
        .iter()
        .any(|t| t.ends_with('…') && t.len() < 70));
    assert!(r
        .body
        .contains("well past the sixty characters shown</pre>"));

    // The row page shows everything in full.
    let row = studio.get("/t/parent/row?k=%5B1%5D").await;
    assert!(row
        .text("[data-column=meta] pre.v-json")
        .contains("\"tags\": ["));

    // BLOBs as size and hex prefix.
    let r = studio.get(&format!("/t/{}", seg("we\"ird"))).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(
        r.texts(".v-blob"),
        vec!["BLOB · 18 bytes · 89504e470d0a1a0a0000000d49484452…"]
    );
}

#[tokio::test]
async fn odd_names_are_quoted_everywhere() {
    let studio = TestStudio::odd().await;
    let r = studio
        .get("/t/order?sort=select&dir=desc&op.select=starts&v.select=f")
        .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.grid(), vec![vec!["1", "first", "9.5"]]);
    let r = studio.get(&format!("/t/{}?q=x", seg("my table"))).await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.grid(), vec![vec!["x", "y"]]);
    let col = enc("we\"ird col");
    let r = studio
        .get(&format!(
            "/t/{}?op.{col}=eq&v.{col}=y&sort={col}",
            seg("my table")
        ))
        .await;
    assert_eq!(r.grid().len(), 1, "{}", r.body);
    let weird = enc("we\"ird");
    let r = studio.get(&format!("/t/{weird}?sort=k")).await;
    assert_eq!(r.first_column(), vec!["none", "png"]);
    let open = r.attr("a.open-row", "href");
    assert_eq!(open, format!("/t/{}/row?k=%5B%22none%22%5D", "we%22ird"));
    studio.get(&open).await.assert_status(StatusCode::OK);
    // A name that tries to break out of its quotes is only a name.
    let r = studio
        .get(&format!("/t/{}", seg("parent\"; DROP TABLE parent; --")))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = studio
        .get(&format!(
            "/t/parent?op.name=eq&v.name={}",
            enc("x' OR 1=1 --")
        ))
        .await;
    assert!(r.first_column().is_empty());
    assert_eq!(studio.count("SELECT count(*) FROM parent").await, 3);
}

#[tokio::test]
async fn every_table_of_the_product_schema_opens_with_its_rows_forms_and_exports() {
    let studio = TestStudio::product().await;
    let home = studio.get("/").await;
    let tables = home.attrs("#tables a", "href");
    let product_tables = studio
        .count(
            "SELECT count(*) FROM pragma_table_list WHERE schema = 'main' \
             AND type IN ('table', 'view', 'virtual') \
             AND name NOT LIKE 'sqlite_%' AND name != '__devhub_migrations'",
        )
        .await;
    assert_eq!(tables.len() as i64, product_tables, "{tables:?}");
    assert!(tables.contains(&"/t/contact".to_string()), "{tables:?}");
    for table in home
        .attrs("#tables a", "href")
        .iter()
        .chain(&home.attrs("#internal a", "href"))
    {
        let r = studio.get(table).await;
        r.assert_status(StatusCode::OK);
        for suffix in ["/export.csv", "/export.json"] {
            let (path, query) = table.split_once('?').unwrap_or((table, ""));
            studio
                .get(&format!("{path}{suffix}?{query}"))
                .await
                .assert_status(StatusCode::OK);
        }
        if let Some(open) = r.attrs("a.open-row", "href").first() {
            let row = studio.get(open).await;
            row.assert_status(StatusCode::OK);
            if let Some(edit) = row.attrs("#edit-row", "href").first() {
                studio.get(edit).await.assert_status(StatusCode::OK);
                studio
                    .get(&row.attr("#delete-row", "href"))
                    .await
                    .assert_status(StatusCode::OK);
            }
        }
        if let Some(new) = r.attrs("a[href$='/new']", "href").first() {
            studio.get(new).await.assert_status(StatusCode::OK);
        }
    }
    // A contact's page is titled by its id, not its rowid.
    let contacts = studio.get("/t/contact").await;
    let row = studio.get(&contacts.attr("a.open-row", "href")).await;
    assert!(row.text("h1").starts_with("id 0"), "{}", row.text("h1"));
}

#[tokio::test]
async fn a_table_that_cannot_be_read_does_not_take_the_others_down() {
    // Local files only: such a table comes from a file made elsewhere, and sqld refuses the
    // `PRAGMA writable_schema` that makes one here.
    if !crate::common::on_local_file() {
        return;
    }
    // A virtual table whose module this SQLite does not have, as a database made elsewhere
    // may hold.
    let studio = TestStudio::with_sql(
        "CREATE TABLE fine (x); INSERT INTO fine VALUES (1);
         PRAGMA writable_schema = ON;
         INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql)
         VALUES ('table', 'alien', 'alien', 0, 'CREATE VIRTUAL TABLE alien USING nosuchmodule(a)');
         PRAGMA writable_schema = OFF;",
    )
    .await;
    let home = studio.get("/").await;
    home.assert_status(StatusCode::OK);
    let rows = home.texts("#tables tbody tr");
    assert!(
        rows.contains(&"alien virtual table cannot be read 0".to_string()),
        "{rows:?}"
    );
    assert_eq!(studio.get("/t/fine").await.first_column(), vec!["1"]);
    let r = studio.get("/t/alien").await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "{}",
        r.text(".error-message")
    );
    assert!(
        r.text(".error-message")
            .contains("alien cannot be read here"),
        "{}",
        r.body
    );
    studio.get("/schema").await.assert_status(StatusCode::OK);
}
