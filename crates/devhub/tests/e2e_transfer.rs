//! In a real browser without JavaScript: import a vCard file through the upload form, read
//! the preview, confirm, see the contacts; the same file again is all duplicates. Screenshots
//! of the import form, the preview and an import error.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{Browser, Server};
use fantoccini::Locator;

const PASSWORD: &str = "correct horse battery";

async fn choose_file(browser: &Browser, path: &str) {
    browser
        .client
        .find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(path)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_imports_a_vcard_file_after_reading_its_preview() {
    let server = Server::start();
    let browser = Browser::start_without_javascript().await;
    browser.goto(&server.url("/register")).await;
    browser.fill("#username", "ada").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("main button[type=submit]").await;

    let fixtures = format!("{}/../db/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::canonicalize(format!("{fixtures}/google.vcf")).unwrap();
    browser.goto(&server.url("/contacts")).await;
    browser.click("a[href='/contacts/import']").await;
    browser.shot("import-form").await;
    choose_file(&browser, file.to_str().unwrap()).await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.text("h1").await, "Import preview");
    assert_eq!(browser.text("#new-count").await, "3");
    browser.shot("import-preview").await;
    browser
        .click("main form[action='/contacts/import/confirm'] button[type=submit]")
        .await;
    assert_eq!(browser.path().await, "/contacts");
    assert!(browser
        .text(".flash-success")
        .await
        .contains("Imported 3 new contacts"));
    assert_eq!(browser.text("#contact-count").await, "3 contacts");
    browser.shot("import-done").await;
    browser.resize(375, 812).await;
    browser.shot("import-done-phone").await;
    browser.resize(1280, 900).await;

    // The same file again: three duplicates, a choice, nothing new.
    browser.goto(&server.url("/contacts/import")).await;
    choose_file(&browser, file.to_str().unwrap()).await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.text("#new-count").await, "0");
    assert_eq!(browser.text("#duplicate-count").await, "3");
    browser.shot("import-preview-duplicates").await;

    // A truncated file comes back to the form with the reason.
    let cut = server.dir.path().join("cut.vcf");
    std::fs::write(&cut, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\n").unwrap();
    browser.goto(&server.url("/contacts/import")).await;
    choose_file(&browser, cut.to_str().unwrap()).await;
    browser.click("main form button[type=submit]").await;
    assert!(browser.text("#import-error").await.contains("truncated"));
    browser.shot("import-error").await;
    browser.close().await;
}
