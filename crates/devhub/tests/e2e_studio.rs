//! In a real browser: `devhub studio` on a seeded database. Open the token address, browse
//! to a contact, follow its interactions and back, edit a field, run a query, export CSV.
#![allow(clippy::unwrap_used)]

mod e2e;
mod support;

use std::process::{Child, Command, Stdio};

use e2e::Browser;

/// A running `devhub studio` on a freshly seeded database (a file, or sqld with
/// `DEVHUB_TEST_MODE=remote|replica`); killed when dropped.
struct StudioServer {
    url: String,
    child: Child,
    /// Dropped after the studio is killed (in `drop`) and before its folder goes.
    _database: e2e::TestDatabase,
    _dir: tempfile::TempDir,
}

impl StudioServer {
    fn start() -> StudioServer {
        let dir = tempfile::tempdir().unwrap();
        let database = e2e::TestDatabase::new(dir.path());
        let seeded = database
            .configure(&mut Command::new(env!("CARGO_BIN_EXE_devhub")))
            .args([
                "seed-demo",
                "--users",
                "1",
                "--contacts",
                "5",
                "--interactions",
                "3",
            ])
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            seeded.status.success(),
            "{}",
            String::from_utf8_lossy(&seeded.stderr)
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_devhub"));
        database
            .configure(&mut command)
            .args(["studio", "--port", "0"])
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .stderr(Stdio::inherit());
        let (child, url) = support::spawn_announced(command);
        assert!(url.contains("?token="), "no token in {url}");
        StudioServer {
            url,
            child,
            _database: database,
            _dir: dir,
        }
    }
}

impl Drop for StudioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_developer_browses_follows_relationships_edits_queries_and_exports() {
    let studio = StudioServer::start();
    let browser = Browser::start().await;

    // The token address signs the browser in and leaves the address bar clean.
    browser.goto(&studio.url).await;
    assert_eq!(browser.text("h1").await, "Tables");
    // On the database `DEVHUB_TEST_MODE` names.
    let mode = match std::env::var("DEVHUB_TEST_MODE").as_deref() {
        Ok("remote" | "remote-jwt") => "remote server",
        Ok("replica") => "embedded replica",
        _ => "local file",
    };
    assert_eq!(browser.text("#db-mode").await, mode);
    assert_eq!(browser.path().await, "/");
    browser.shot("studio-home").await;

    browser.click("#tables a[href='/t/contact']").await;
    assert_eq!(browser.text("#row-count").await, "5 rows");
    browser.shot("studio-contacts").await;

    // A contact, and its interactions through the "referenced by" counts.
    browser.click("#rows tbody tr:first-child a.open-row").await;
    let name = browser.text("[data-column=name] dd").await;
    let referrers = browser.texts("#referrers li").await;
    // Interactions reference their contact twice: by its id, and by its id and owner.
    assert!(
        referrers.contains(&"interaction (by contact_id): 3 rows".to_string()),
        "{referrers:?}"
    );
    browser.shot("studio-contact-row").await;
    browser.click("#referrers a[href^='/t/interaction']").await;
    assert_eq!(browser.text("#row-count").await, "3 rows match");
    assert_eq!(browser.texts("#rows tbody tr").await.len(), 3);

    // And back to the contact through an interaction's foreign key.
    browser.click("#rows tbody tr:first-child a.v-link").await;
    assert_eq!(browser.text("[data-column=name] dd").await, name);

    // Edit a field.
    browser.click("#edit-row").await;
    browser
        .fill("input[name='v.location']", "Edited in the studio")
        .await;
    browser.click(".edit-form button[type=submit]").await;
    assert_eq!(browser.text(".notice").await, "Row saved.");
    assert_eq!(
        browser.text("[data-column=location] dd").await,
        "Edited in the studio"
    );

    // Run a query.
    browser.click("nav a[href='/sql']").await;
    browser
        .fill(
            "#sql",
            "SELECT name, location FROM contact WHERE location = 'Edited in the studio'",
        )
        .await;
    browser.click("#run").await;
    assert!(browser
        .text("#result-summary")
        .await
        .starts_with("1 row · "));
    assert_eq!(
        browser.texts("#result-rows tbody td").await,
        vec![name.clone(), "Edited in the studio".to_string()]
    );
    browser.shot("studio-sql").await;

    // Export it as CSV, with the browser's own session cookie.
    let href = browser
        .client
        .find(fantoccini::Locator::Css("#export-csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let export = browser
        .client
        .execute(
            "return fetch(arguments[0]).then(async r => \
             r.status + ' ' + r.headers.get('content-type') + '\\n' + await r.text())",
            vec![serde_json::Value::from(href)],
        )
        .await
        .unwrap();
    assert_eq!(
        export.as_str().unwrap(),
        format!("200 text/csv; charset=utf-8\nname,location\n{name},Edited in the studio\n")
    );

    // The table's export link is there too, with the view's filters.
    browser.click("nav a[href='/']").await;
    browser.click("#tables a[href='/t/interaction']").await;
    let table_csv = browser
        .client
        .find(fantoccini::Locator::Css("#export-csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let body = browser
        .client
        .execute(
            "return fetch(arguments[0]).then(r => r.text())",
            vec![serde_json::Value::from(table_csv)],
        )
        .await
        .unwrap();
    assert_eq!(
        body.as_str().unwrap().lines().count(),
        16,
        "a header and 15 rows"
    );
    browser.close().await;
}
