//! Streamed CSV and JSON exports of table views and console queries.

use axum::http::StatusCode;

use crate::common::{enc, seg, TestStudio};

#[tokio::test]
async fn a_table_view_exports_with_its_filters_and_order() {
    let studio = TestStudio::odd().await;
    let r = studio
        .get("/t/parent/export.csv?op.score=gt&v.score=10&sort=score&dir=desc")
        .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.headers["content-disposition"],
        "attachment; filename=\"parent.csv\""
    );
    let mut reader = csv::Reader::from_reader(r.body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["id", "name", "score", "flag", "created_at", "meta", "notes"]
    );
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0][1], "gamma");
    assert_eq!(records[1][1], "beta");
    assert_eq!(
        records[0][6],
        "a long note that goes on and on and on, well past the sixty characters shown"
    );

    let r = studio.get("/t/parent/export.json?q=alpha").await;
    assert_eq!(r.headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{
            "id": 1, "name": "alpha", "score": 5, "flag": 1, "created_at": 1700000000,
            "meta": "{\"tags\":[\"a\",\"b\"],\"n\":1}", "notes": null
        }])
    );
    // BLOBs as hex; odd names in the file name are made safe.
    let r = studio
        .get(&format!("/t/{}/export.json?sort=k", seg("we\"ird")))
        .await;
    assert_eq!(
        r.headers["content-disposition"],
        "attachment; filename=\"we_ird.json\""
    );
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json[1]["v"], "89504e470d0a1a0a0000000d49484452ffff");
    assert_eq!(json[0]["v"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_200000_row_table_exports_completely() {
    let studio = TestStudio::with_sql(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, label TEXT, n REAL);
         WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200000)
         INSERT INTO big SELECT i, 'row, \"' || i || '\"', i / 2.0 FROM s;",
    )
    .await;
    let r = studio.get("/t/big/export.csv").await;
    r.assert_status(StatusCode::OK);
    let mut reader = csv::Reader::from_reader(r.body.as_bytes());
    let mut count = 0u32;
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let n = i + 1;
        assert_eq!(record[0], n.to_string());
        assert_eq!(
            record[1],
            format!("row, \"{n}\""),
            "quotes and commas survive"
        );
        count += 1;
    }
    assert_eq!(count, 200_000);

    // The body comes in many chunks as rows are read, not as one buffer at the end.
    let frames = crate::common::count_frames(&studio, "/t/big/export.csv").await;
    assert!(frames >= 20, "{frames} chunks");

    let r = studio.get("/t/big/export.json?op.id=gt&v.id=199990").await;
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 10);
    assert_eq!(json[9]["id"], 200000);
    assert_eq!(json[9]["n"], 100000.0);
}

#[tokio::test]
async fn a_query_result_exports_and_exports_are_read_only() {
    let studio = TestStudio::odd().await;
    let sql = "SELECT name, score FROM parent ORDER BY name";
    let r = studio
        .get(&format!("/sql/export.csv?sql={}", enc(sql)))
        .await;
    r.assert_status(StatusCode::OK);
    assert_eq!(r.body, "name,score\nalpha,5\nbeta,20\ngamma,30\n");
    let r = studio
        .get(&format!("/sql/export.json?sql={}", enc(sql)))
        .await;
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(json[2], serde_json::json!({"name": "gamma", "score": 30}));
    // The console page links to both.
    let page = studio.post("/sql", &[("sql", sql)]).await;
    assert_eq!(
        page.attr("#export-csv", "href"),
        format!("/sql/export.csv?sql={}", enc(sql))
    );

    let r = studio
        .get(&format!(
            "/sql/export.csv?sql={}",
            enc("DELETE FROM parent RETURNING *")
        ))
        .await;
    if crate::common::on_local_file() {
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text(".error-message").contains("readonly"));
    } else {
        // Differs on sqld: libSQL's client will not send `PRAGMA query_only = ON`, so the
        // statement runs inside the export's transaction, which is never committed: the
        // export lists the rows it would delete, and nothing is deleted (checked below).
        assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    }
    let r = studio
        .get(&format!("/sql/export.csv?sql={}", enc("SELECT nope")))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(studio.count("SELECT count(*) FROM parent").await, 3);
    // The connections the exports used did not go back to the pool read-only.
    let r = studio.post("/t/parent/delete?k=%5B3%5D", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
