//! E-mail reminders from Settings to the inbox and back, with a real SMTP server (aiosmtpd on
//! loopback): the confirmation mail's link confirms the address (nothing else goes to it
//! before), "send a test now" arrives with both parts and the one-click unsubscribe headers,
//! the one-click POST from the mail's `List-Unsubscribe` stops e-mail without a session, each
//! attempt is in the delivery record, and `/metrics` counts them.
#![allow(clippy::unwrap_used)]

mod common;
mod support;

use axum::http::{Method, StatusCode};
use common::{sign_up, spawn_app_with, TestApp};
use devhub_web::metrics::MetricsSettings;
use devhub_web::reminders::Mailer;
use devhub_web::Settings;
use mail_parser::{MessageParser, MimeHeaders};
use support::{SinkMode, SmtpSink};

const PAGE: &str = "/settings/reminders";

async fn app_with_mail(sink: &SmtpSink) -> TestApp {
    spawn_app_with(Settings {
        mailer: Some(Mailer::new(&sink.url(), "Developer Hub <devhub@example.com>").unwrap()),
        public_url: Some("https://crm.example.com".into()),
        metrics: MetricsSettings {
            enabled: true,
            token: None,
        },
        ..Settings::default()
    })
    .await
}

/// The message's plain-text part.
fn text_of(raw: &[u8]) -> String {
    let message = MessageParser::default().parse(raw).unwrap();
    message.body_text(0).unwrap().into_owned()
}

/// The path of the first link in `text` that starts with `prefix`.
fn path_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    let rest = &text[start + "https://crm.example.com".len()..];
    rest.split(|c: char| c.is_whitespace() || c == '>' || c == '"')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn an_address_is_confirmed_by_its_link_tested_and_unsubscribed_in_one_click() {
    let sink = SmtpSink::start(SinkMode::Accept);
    let app = app_with_mail(&sink).await;
    let (mut ada, user) = sign_up(&app, "ada").await;

    let page = ada.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("not configured"), "{}", page.body);

    // The address: a confirmation mail, and nothing else until its link is used.
    let r = ada
        .post_form(&format!("{PAGE}/email"), &[("email", "ada@example.com")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    let confirmation = MessageParser::default().parse(&received[0]).unwrap();
    assert_eq!(
        confirmation
            .to()
            .unwrap()
            .first()
            .unwrap()
            .address()
            .unwrap(),
        "ada@example.com"
    );
    assert!(confirmation.subject().unwrap().contains("Confirm"));
    let body = text_of(&received[0]);
    let confirm = path_after(&body, "https://crm.example.com/reminders/confirm/");
    let r = ada.post_form(&format!("{PAGE}/test/email"), &[]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "no test to an unconfirmed address"
    );
    assert_eq!(sink.messages().len(), 1);

    // The link works without a session: its page asks, its button confirms.
    let mut stranger = app.client();
    let r = stranger.get(&confirm).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("ada@example.com"));
    assert!(!app.db.reminders().get(&user).await.unwrap().email_active());
    let r = stranger.post_form(&confirm, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r
        .body
        .contains("ada@example.com will now get your reminders."));
    assert!(app.db.reminders().get(&user).await.unwrap().email_active());

    // A test now: it arrives with both parts and the one-click headers.
    let r = ada.post_form(&format!("{PAGE}/test/email"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = ada.get(PAGE).await;
    assert!(
        page.body
            .contains("Sent a test reminder to ada@example.com"),
        "{}",
        page.body
    );
    let received = sink.messages();
    assert_eq!(received.len(), 2);
    let test = MessageParser::default().parse(&received[1]).unwrap();
    assert!(
        test.subject().unwrap().contains("Test"),
        "{:?}",
        test.subject()
    );
    assert_eq!(test.text_body_count(), 1);
    assert_eq!(test.html_body_count(), 1);
    assert!(test
        .content_type()
        .is_some_and(|c| c.subtype() == Some("alternative")));
    let raw = String::from_utf8_lossy(&received[1]).into_owned();
    assert!(
        raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{raw}"
    );
    let unsubscribe = path_after(
        &raw[raw.find("List-Unsubscribe:").unwrap()..],
        "https://crm.example.com/reminders/unsubscribe/",
    );
    let html = test.body_html(0).unwrap();
    assert!(
        html.contains(&format!("https://crm.example.com{unsubscribe}")),
        "{html}"
    );

    // The mail app's one-click: a POST with no cookie and no Origin.
    let r = app
        .client()
        .send(
            Method::POST,
            &unsubscribe,
            Some("List-Unsubscribe=One-Click".into()),
            &[("origin", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let saved = app.db.reminders().get(&user).await.unwrap();
    assert!(!saved.email_on && !saved.email_active());
    let r = ada.post_form(&format!("{PAGE}/test/email"), &[]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "switched off: no more mail"
    );
    assert_eq!(sink.messages().len(), 2);

    // The record: both deliveries, sent; and the operator's counters.
    let record = app.db.reminders().deliveries(&user, 10).await.unwrap();
    assert_eq!(record.len(), 2);
    assert!(record
        .iter()
        .all(|d| d.status == devhub_db::DeliveryStatus::Sent));
    let page = ada.get(PAGE).await;
    assert!(page.body.contains("Address confirmation"), "{}", page.body);
    let metrics = app.client().with_peer("127.0.0.1:9").get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .body
            .contains("devhub_reminder_attempts_total{channel=\"email\",outcome=\"sent\"} 2"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("devhub_reminders_pending 0"),
        "{}",
        metrics.body
    );
}

#[tokio::test]
async fn a_refused_test_says_why_and_is_recorded_as_failed() {
    let sink = SmtpSink::start(SinkMode::Permfail);
    let app = app_with_mail(&sink).await;
    let (mut ada, user) = sign_up(&app, "ada").await;
    // The confirmation itself is refused: the page says so, the address waits.
    let r = ada
        .post_form(&format!("{PAGE}/email"), &[("email", "ada@example.com")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = ada.get(PAGE).await;
    assert!(
        page.body.contains("Could not send the confirmation link"),
        "{}",
        page.body
    );
    assert!(page.body.contains("550"), "{}", page.body);
    let record = app.db.reminders().deliveries(&user, 10).await.unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].status, devhub_db::DeliveryStatus::Failed);
    assert!(!app.db.reminders().get(&user).await.unwrap().email_active());
}
