//! On a libSQL server the studio reads every answer whole (one batch per statement), never
//! through a cursor: libSQL's client stops reading a cursor's body at its last row, which
//! closes the HTTP connection each time (a new TLS handshake per statement on a hosted
//! database) and, inside a transaction, leaves the cursor's end to meet the next statement.
//! A counting proxy between the studio and a real `sqld` sees every request. Only the
//! console and the exports stream their rows through a cursor, as they must.

use axum::http::StatusCode;
use devhub_db::DbConfig;
use devhub_studio::StudioSettings;

use crate::common::{sqld, TestStudio, ODD_SCHEMA};

#[path = "../../../db/tests/common/counting_proxy.rs"]
mod counting_proxy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsing_and_editing_on_a_server_read_whole_answers_never_a_cursor() {
    if !sqld::own_server_runs_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = sqld::Sqld::start(dir.path());
    let proxy = counting_proxy::CountingProxy::start(server.port).await;
    let config = DbConfig {
        url: proxy.url(),
        ..DbConfig::default()
    };
    let studio = TestStudio::on(config, Some(server), dir, StudioSettings::default()).await;
    studio
        .db
        .conn()
        .await
        .unwrap()
        .execute_batch(ODD_SCHEMA)
        .await
        .unwrap();

    let before = proxy.requests();
    // The tables with their counts, a table, a row, its form.
    let home = studio.get("/").await;
    home.assert_status(StatusCode::OK);
    assert!(home.body.contains("parent"), "{}", home.body);
    studio.get("/t/parent").await.assert_status(StatusCode::OK);
    studio
        .get("/t/parent/row?k=%5B1%5D")
        .await
        .assert_status(StatusCode::OK);
    studio
        .get("/t/parent/edit?k=%5B1%5D")
        .await
        .assert_status(StatusCode::OK);
    // A row added and one changed, each in its transaction.
    let added = studio
        .post(
            "/t/parent/new",
            &[
                ("m.id", "default"),
                ("m.name", "value"),
                ("v.name", "delta"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let changed = studio
        .post(
            "/t/order/edit?k=%5B1%5D",
            &[("v.id", "1"), ("v.select", "changed"), ("m.total", "keep")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    // A write the database refuses (a duplicate name) is its message, and nothing is kept.
    let refused = studio
        .post(
            "/t/parent/new",
            &[
                ("m.id", "default"),
                ("m.name", "value"),
                ("v.name", "delta"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(proxy.requests() - before > 10, "the proxy saw the pages");
    assert_eq!(proxy.cursors(), 0, "cursor requests on the server");
    // (The test's own check reads through a cursor.)
    assert_eq!(
        studio
            .rows("SELECT count(*) FROM parent WHERE name = 'delta'")
            .await[0][0],
        libsql::Value::Integer(1)
    );
}
