//! The SQL console: results, counts, time, errors, history, read-only unless allowed, and the
//! time limit.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use devhub_studio::StudioSettings;

use crate::common::{TestStudio, ODD_SCHEMA};

async fn run(studio: &TestStudio, sql: &str) -> crate::common::TestResponse {
    studio.post("/sql", &[("sql", sql)]).await
}

#[tokio::test]
async fn a_query_shows_its_rows_the_count_and_the_time() {
    let studio = TestStudio::odd().await;
    let r = run(
        &studio,
        "SELECT id, name, score FROM parent WHERE score > 1 ORDER BY id",
    )
    .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(
        r.texts("#result-rows thead th"),
        vec!["id", "name", "score"]
    );
    assert_eq!(r.texts("#result-rows tbody tr").len(), 3);
    let summary = r.text("#result-summary");
    assert!(summary.starts_with("3 rows · "), "{summary}");
    assert!(summary.ends_with(" ms"), "{summary}");
    assert_eq!(
        r.text("textarea#sql"),
        "SELECT id, name, score FROM parent WHERE score > 1 ORDER BY id"
    );
    // NULL, empty text and BLOBs render as in the table view.
    let r = run(&studio, "SELECT NULL, '', x'00ff', 1.5").await;
    assert_eq!(
        r.texts("#result-rows tbody td"),
        vec!["NULL", "empty", "BLOB · 2 bytes · 00ff", "1.5"]
    );
}

#[tokio::test]
async fn only_the_first_1000_rows_are_shown_with_the_count_of_all() {
    let studio = TestStudio::odd().await;
    let r = run(
        &studio,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) SELECT i FROM n",
    )
    .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.texts("#result-rows tbody tr").len(), 1000);
    assert!(r.text("#result-summary").starts_with("2,500 rows"));
    assert!(r.body.contains("Showing the first 1,000 of 2,500 rows"));
}

#[tokio::test]
async fn errors_show_the_database_message() {
    let studio = TestStudio::odd().await;
    let r = run(&studio, "SELEC 1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text("#sql-error").contains("syntax error"),
        "{}",
        r.text("#sql-error")
    );
    let r = run(&studio, "SELECT * FROM nowhere").await;
    assert!(r.text("#sql-error").contains("no such table: nowhere"));
    let r = run(&studio, "SELECT 1; SELECT 2").await;
    assert_eq!(
        r.text("#sql-error"),
        "Run one statement at a time: this text holds 2."
    );
    let r = run(&studio, "  -- nothing\n").await;
    assert_eq!(r.text("#sql-error"), "Enter an SQL statement.");
}

#[tokio::test]
async fn the_console_is_read_only_unless_writes_are_allowed() {
    let studio = TestStudio::odd().await;
    let local = crate::common::on_local_file();
    for sql in [
        "INSERT INTO parent (name) VALUES ('sneaky')",
        "UPDATE parent SET score = 0",
        "DELETE FROM child",
        "DROP TABLE pairs",
        "CREATE TABLE t (x)",
        "PRAGMA user_version = 5",
        "WITH x AS (SELECT 1) DELETE FROM parent",
        "REPLACE INTO parent (id, name) VALUES (1, 'x')",
    ] {
        let r = run(&studio, sql).await;
        if local {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{sql}: {}", r.body);
            let error = r.text("#sql-error");
            assert!(
                error.contains("read-only") && error.contains("--allow-writes"),
                "{sql}: {error}"
            );
        } else {
            // Differs on sqld: libSQL's client will not send `PRAGMA query_only = ON`, so the
            // statement runs inside the console's transaction, which is rolled back. Nothing
            // changes (checked below), but the page cannot say that the statement wrote.
            assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{sql}");
        }
    }
    // Turning the pragma off in one statement does not open the next one up.
    run(&studio, "PRAGMA query_only = OFF").await;
    let r = run(&studio, "DELETE FROM parent").await;
    assert!(!local || r.text("#sql-error").contains("read-only"));
    // Neither do statements that leave the console's transaction.
    let r = run(&studio, "COMMIT").await;
    if local {
        // On sqld there is no transaction left to commit: the server says so (400).
        r.assert_status(StatusCode::OK);
    }
    let r = run(&studio, "DELETE FROM parent").await;
    assert!(!local || r.text("#sql-error").contains("read-only"));
    let dir = studio.dir.path().join("copy.db");
    let r = run(&studio, &format!("VACUUM INTO '{}'", dir.display())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // ATTACH counts as read-only for SQLite but would create the file: refused.
    let r = run(&studio, &format!("ATTACH '{}' AS other", dir.display())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // On sqld, the server itself refuses ATTACH ("unsupported statement").
    let expected = if local {
        "does not attach"
    } else {
        "unsupported statement"
    };
    assert!(
        r.text("#sql-error").contains(expected),
        "{}",
        r.text("#sql-error")
    );
    assert!(!dir.exists(), "no file was written");
    assert_eq!(studio.count("SELECT count(*) FROM parent").await, 3);
    assert_eq!(studio.count("SELECT count(*) FROM child").await, 3);
    assert_eq!(
        studio
            .count("SELECT user_version FROM pragma_user_version")
            .await,
        0
    );
    // Reads still work, and the pool's other connections can still write (rows are editable).
    run(&studio, "SELECT count(*) FROM parent")
        .await
        .assert_status(StatusCode::OK);
    let r = studio.post("/t/parent/delete?k=%5B3%5D", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let studio = TestStudio::with_sql_and(
        ODD_SCHEMA,
        StudioSettings {
            allow_writes: true,
            ..StudioSettings::default()
        },
    )
    .await;
    let r = run(&studio, "UPDATE parent SET score = score + 1 WHERE id < 3").await;
    r.assert_status(StatusCode::OK);
    // Differs on a plain remote connection: libSQL counts no changes for a statement run
    // through `query` there (its `total_changes` stays put), so the page says "0 rows
    // changed" although the rows did change (checked below). Known, not fixed yet.
    if std::env::var("DEVHUB_TEST_MODE").as_deref() != Ok("remote") {
        assert_eq!(
            r.text("#result-summary").split(" · ").next().unwrap(),
            "2 rows changed"
        );
    }
    assert_eq!(studio.count("SELECT sum(score) FROM parent").await, 57);
    // A write the database refuses changes nothing.
    let r = run(&studio, "INSERT INTO parent (name) VALUES ('alpha')").await;
    assert!(r.text("#sql-error").contains("UNIQUE constraint failed"));
    assert_eq!(studio.count("SELECT count(*) FROM parent").await, 3);
}

#[tokio::test]
async fn a_statement_running_past_the_limit_is_interrupted() {
    let studio = TestStudio::with_sql_and(
        "CREATE TABLE t (x);",
        StudioSettings {
            statement_timeout: Duration::from_millis(300),
            ..StudioSettings::default()
        },
    )
    .await;
    let started = Instant::now();
    let r = run(
        &studio,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    )
    .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text("#sql-error").contains("interrupted"),
        "{}",
        r.text("#sql-error")
    );
    assert!(took < Duration::from_secs(3), "stopped after {took:?}");
    // The console goes on working.
    let r = run(&studio, "SELECT 42").await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.texts("#result-rows tbody td"), vec!["42"]);
}

#[tokio::test]
async fn the_last_queries_are_kept_in_the_session() {
    let studio = TestStudio::odd().await;
    run(&studio, "SELECT 1").await;
    run(&studio, "SELECT nope").await;
    run(&studio, "SELECT 2").await;
    run(&studio, "SELECT 1").await;
    let r = studio.get("/sql").await;
    let history = r.texts("#history li code");
    assert_eq!(
        history,
        vec!["SELECT 1", "SELECT 2", "SELECT nope"],
        "newest first, once each"
    );
    assert_eq!(r.texts("#history li.failed code"), vec!["SELECT nope"]);
    // A link puts the query back into the console.
    let again = studio.get(&r.attr("#history li a", "href")).await;
    assert_eq!(again.text("textarea#sql"), "SELECT 1");
    // Another browser session has its own history.
    let cookie = format!("devhub_studio={}", studio.state.new_session());
    let r = studio
        .anonymous(
            axum::http::Method::GET,
            "/sql",
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert!(r.texts("#history li").is_empty());
}

#[tokio::test]
async fn memory_hungry_statements_are_stopped_promptly_with_a_clear_message() {
    if !crate::common::on_local_file() {
        // The limit is the studio process's own; a libSQL server applies its own limits.
        return;
    }
    let studio = TestStudio::with_sql_and(
        "CREATE TABLE t (x);",
        StudioSettings {
            statement_timeout: Duration::from_secs(2),
            ..StudioSettings::default()
        },
    )
    .await;
    for sql in [
        "SELECT randomblob(1e9)",
        "SELECT zeroblob(1e9)",
        "SELECT printf('%.*c', 1000000000, 'x')",
        "SELECT replace(hex(zeroblob(1e8)), '0', 'aaaa')",
        "WITH RECURSIVE r(s) AS (SELECT 'xy' UNION ALL SELECT s || s FROM r) \
         SELECT length(s) FROM r",
    ] {
        let started = Instant::now();
        let r = run(&studio, sql).await;
        let took = started.elapsed();
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{sql}: {}", r.body);
        let error = r.text("#sql-error");
        assert!(
            error.contains("more memory than the console allows"),
            "{sql}: {error}"
        );
        assert!(
            took < Duration::from_secs(2),
            "{sql}: stopped after {took:?}"
        );
    }
    // The console goes on working, and so do the other pages' connections.
    let r = run(&studio, "SELECT length(randomblob(1e6))").await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.texts("#result-rows tbody td"), vec!["1000000"]);
    studio.get("/t/t").await.assert_status(StatusCode::OK);
    // So does the export of a query, which runs on a connection of the pool.
    let r = studio
        .get(&format!(
            "/sql/export.csv?sql={}",
            crate::common::enc("SELECT randomblob(1e9)")
        ))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn a_result_too_large_to_show_is_cut_at_a_size_and_counted_whole() {
    let studio = TestStudio::odd().await;
    // 8.8 MB: over what is shown (8 MiB), under what sqld sends an embedded replica in one
    // answer (10 MB).
    let r = run(
        &studio,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 44) \
         SELECT i, printf('%.*c', 200000, 'x') FROM n",
    )
    .await;
    r.assert_status(StatusCode::OK);
    assert!(r.text("#result-summary").starts_with("44 rows"));
    let shown = r.texts("#result-rows tbody tr").len();
    assert!((1..44).contains(&shown), "{shown} rows shown");
    assert!(
        r.body
            .contains(&format!("Showing the first {shown} of 44 rows")),
        "{}",
        r.text("#result-summary")
    );
}

#[tokio::test]
async fn every_refused_feature_is_named_in_its_message() {
    let studio = TestStudio::odd().await;
    let local = crate::common::on_local_file();
    let copy = studio.dir.path().join("copy.db");
    let cases = [
        ("SELECT load_extension('/tmp/nothing.so')", "load_extension"),
        (
            &format!("ATTACH '{}' AS other", copy.display()) as &str,
            "ATTACH",
        ),
        (&format!("VACUUM INTO '{}'", copy.display()), "VACUUM"),
        ("DELETE FROM child", "read-only"),
        ("SELECT 1; SELECT 2", "one statement at a time"),
    ];
    for (sql, feature) in cases {
        if !local && (feature == "ATTACH" || feature == "read-only") {
            // sqld refuses these itself, with its own words (see above).
            continue;
        }
        let r = run(&studio, sql).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{sql}: {}", r.body);
        let error = r.text("#sql-error");
        assert!(error.contains(feature), "{sql}: {error}");
        if feature != "ATTACH" {
            assert!(!error.contains("attach"), "{sql}: {error}");
        }
    }
    // With writes allowed, extensions still are not loaded, and the message says so.
    let studio = TestStudio::with_sql_and(
        ODD_SCHEMA,
        StudioSettings {
            allow_writes: true,
            ..StudioSettings::default()
        },
    )
    .await;
    let r = run(&studio, "SELECT load_extension('/tmp/nothing.so')").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text("#sql-error").contains("load_extension"),
        "{}",
        r.text("#sql-error")
    );
    assert!(!copy.exists());
}
