//! In a real browser (issue 16): a user turns on two-factor log-in — the test reads the key
//! from the page and computes the code itself, as a phone would (RFC 6238, written out here
//! with `hmac` and `sha1`) — logs out, logs in with a code, logs out, logs in with a recovery
//! code. Screenshots of the set-up page and the code page, light and dark, 1280 and 375 px.
#![allow(clippy::unwrap_used)]

mod e2e;

use e2e::{screenshot_dir, Browser, Server, PASSWORD};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The six-digit code for the base32 `secret` at Unix time `t` (RFC 6238: HMAC-SHA1, 30 s).
fn code(secret: &str, t: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut key) = (0u32, 0u32, Vec::new());
    for c in secret.bytes().filter(|c| *c != b' ') {
        buffer = (buffer << 5) | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            key.push((buffer >> bits) as u8);
        }
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).unwrap();
    mac.update(&(t / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes(hash[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", binary % 1_000_000)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The page at each width, in each colour scheme.
async fn shots(browser: &Browser, name: &str) {
    for scheme in ["light", "dark"] {
        browser.emulate_color_scheme(scheme).await;
        for (width, height) in [(1280, 1000), (375, 1300)] {
            browser.resize(width, height).await;
            browser
                .shot(&format!("two-factor-{name}-{scheme}-{width}"))
                .await;
        }
    }
    browser.emulate_color_scheme("light").await;
    browser.resize(1280, 900).await;
}

async fn log_out_and_in(browser: &Browser, server: &Server) {
    browser.click("form[action='/logout'] button").await;
    assert_eq!(browser.path().await, "/login");
    browser.fill("#username", "ada").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("main button[type=submit]").await;
    assert_eq!(browser.path().await, "/login/two-factor");
    // The password alone opened nothing.
    browser.goto(&server.url("/settings")).await;
    assert_eq!(browser.path().await, "/login?next=%2Fsettings");
    browser.goto(&server.url("/login/two-factor")).await;
    assert_eq!(browser.text("h1").await, "Two-factor log-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_turns_on_two_factor_and_logs_in_with_a_code_then_with_a_recovery_code() {
    let server = Server::start();
    let browser = Browser::start().await;
    browser.register(&server, "ada").await;

    browser.goto(&server.url("/settings")).await;
    browser.click("#two-factor-link").await;
    assert_eq!(browser.path().await, "/settings/two-factor");
    assert_eq!(browser.text("#two-factor-state").await, "Off");
    browser.click("#begin-setup").await;
    assert!(
        browser.exists(".qr-frame svg.qr").await,
        "the QR code is shown"
    );
    let secret = browser.text("#totp-secret").await;
    assert_eq!(secret.replace(' ', "").len(), 32, "{secret}");
    shots(&browser, "setup").await;

    // A wrong code first: refused, and still off.
    let right = code(&secret, now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    browser.fill("#code", wrong).await;
    browser.click("#enable-two-factor").await;
    assert!(browser
        .text("#code-error")
        .await
        .starts_with("That code is not right"));
    browser.fill("#code", &code(&secret, now())).await;
    browser.click("#enable-two-factor").await;
    let codes = browser.texts("#recovery-code-list li code").await;
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    assert!(browser
        .text(".flash-success")
        .await
        .starts_with("Two-factor log-in is on."));
    shots(&browser, "recovery-codes").await;

    // Log-in with a code (the next step's: the one just used for the set-up is spent).
    log_out_and_in(&browser, &server).await;
    shots(&browser, "code").await;
    browser.fill("#code", &code(&secret, now() + 30)).await;
    browser.click("#verify-code").await;
    assert_eq!(browser.path().await, "/");
    assert_eq!(browser.text(".nav-user").await, "ada");

    // Log-in with a recovery code.
    log_out_and_in(&browser, &server).await;
    browser.press("details.recovery-option summary").await;
    browser.fill("#recovery_code", &codes[0]).await;
    browser.click("#use-recovery-code").await;
    assert_eq!(browser.path().await, "/");
    assert_eq!(
        browser.text(".flash-success").await,
        "Recovery code used: 9 codes left."
    );
    browser.goto(&server.url("/settings/two-factor")).await;
    assert_eq!(
        browser.text("#codes-left").await,
        "9 unused recovery codes left."
    );
    shots(&browser, "on").await;
    println!("screenshots: {}", screenshot_dir().display());
    browser.close().await;
}
