//! The links of reminder e-mails, which work without logging in: the address confirmation
//! (`/reminders/confirm/{token}`) and the unsubscribe link (`/reminders/unsubscribe/{token}`,
//! also the RFC 8058 one-click target). They say nothing of the account but its address.
//! Opening a link changes nothing: its page asks, and its button does it (mail scanners and
//! link previews open every link of a message).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use chrono::Utc;

use crate::error::AppError;
use crate::page::{render, Layout};
use crate::state::AppState;

/// Where an unsubscribe link points; the one path the same-origin rule lets through (see
/// [`is_one_click_target`]).
pub const UNSUBSCRIBE_PREFIX: &str = "/reminders/unsubscribe/";

/// Whether `path` is an unsubscribe link: the only state-changing address the same-origin
/// rule lets through without this site's `Origin`. RFC 8058's one-click unsubscribe is a
/// POST from the mail provider, with no cookie and no Origin (or the provider's); the token
/// in the path is all it needs, and all it can do is switch off that user's e-mail.
pub fn is_one_click_target(path: &str) -> bool {
    path.strip_prefix(UNSUBSCRIBE_PREFIX)
        .is_some_and(|token| !token.is_empty() && !token.contains('/'))
}

/// The small page of a link: a heading, a sentence, and maybe the button that does what the
/// link is for.
#[derive(Template)]
#[template(path = "reminders/link.html")]
pub struct LinkPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub message: String,
    /// The button of the page a GET shows.
    pub button: Option<LinkButton>,
    /// Where the way on goes: Settings → Reminders (after logging in, when needed).
    pub settings_link: &'static str,
    pub settings_label: &'static str,
}

/// A link page's one button: a form that posts to the link's own address.
pub struct LinkButton {
    pub action: String,
    pub label: &'static str,
    pub id: &'static str,
    /// Sends RFC 8058's `List-Unsubscribe=One-Click`, as a mail provider's one-click POST does.
    pub one_click: bool,
}

fn page(jar: &CookieJar, status: StatusCode, heading: &'static str, message: String) -> Response {
    page_with(jar, status, heading, message, None)
}

fn page_with(
    jar: &CookieJar,
    status: StatusCode,
    heading: &'static str,
    message: String,
    button: Option<LinkButton>,
) -> Response {
    render(
        status,
        &LinkPage {
            layout: Layout::new(heading).theme_from(jar),
            heading,
            message,
            button,
            settings_link: "/settings/reminders",
            settings_label: "Settings → Reminders",
        },
    )
}

/// A link that does not (or no longer) work: 404, and the way to a new one.
fn unknown(jar: &CookieJar, what: &'static str) -> Response {
    page(
        jar,
        StatusCode::NOT_FOUND,
        "This link does not work",
        format!(
            "This {what} link is invalid or has expired. Nothing was changed. You can ask for a new one in Settings → Reminders."
        ),
    )
}

/// Where a confirmation link points.
const CONFIRM_PREFIX: &str = "/reminders/confirm/";

/// `GET /reminders/confirm/{token}`: the button that confirms the address the link was sent
/// to. A GET changes nothing.
pub async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let pending = state
        .db
        .primary()
        .reminders()
        .pending_email(&token, Utc::now())
        .await?;
    let Some(email) = pending else {
        return Ok(unknown(&jar, "confirmation"));
    };
    Ok(page_with(
        &jar,
        StatusCode::OK,
        "Confirm your address",
        format!("Send your Developer Hub reminders to {email}?"),
        Some(LinkButton {
            action: format!("{CONFIRM_PREFIX}{token}"),
            label: "Confirm this address",
            id: "confirm-button",
            one_click: false,
        }),
    ))
}

/// `POST /reminders/confirm/{token}`: confirms the address the link was sent to (the button
/// above).
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let confirmed = state
        .db
        .primary()
        .reminders()
        .confirm_email(&token, Utc::now())
        .await?;
    Ok(match confirmed {
        Some((_, email)) => page(
            &jar,
            StatusCode::OK,
            "Address confirmed",
            format!("{email} will now get your reminders."),
        ),
        None => unknown(&jar, "confirmation"),
    })
}

/// `GET /reminders/unsubscribe/{token}`: the button that stops e-mail reminders. A GET
/// changes nothing: mail scanners open links.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let Some(settings) = state
        .db
        .primary()
        .reminders()
        .by_unsubscribe_token(&token)
        .await?
    else {
        return Ok(unknown(&jar, "unsubscribe"));
    };
    let message = match settings.email {
        Some(email) if settings.email_on => {
            format!(
                "Stop the reminder e-mails to {email}? Webhook and ntfy reminders, if any, go on."
            )
        }
        Some(email) => format!("Reminder e-mails to {email} are already off."),
        None => "No reminder e-mails are sent for this link any more.".to_string(),
    };
    Ok(page_with(
        &jar,
        StatusCode::OK,
        "Stop reminder e-mails",
        message,
        Some(LinkButton {
            action: format!("{UNSUBSCRIBE_PREFIX}{token}"),
            label: "Stop e-mail reminders",
            id: "unsubscribe-button",
            one_click: true,
        }),
    ))
}

/// `POST /reminders/unsubscribe/{token}`: switches the user's e-mail reminders off (the
/// button above, or a mail provider's one-click POST of `List-Unsubscribe=One-Click`).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> Result<Response, AppError> {
    let done = state
        .db
        .primary()
        .reminders()
        .unsubscribe(&token, Utc::now())
        .await?;
    Ok(match done {
        Some(_) => page(
            &jar,
            StatusCode::OK,
            "Unsubscribed",
            "You will get no more reminder e-mails. Switch them back on in Settings → Reminders."
                .to_string(),
        ),
        None => unknown(&jar, "unsubscribe"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unsubscribe_link_is_a_one_click_target() {
        assert!(is_one_click_target("/reminders/unsubscribe/abc123"));
        for path in [
            "/reminders/unsubscribe/",
            "/reminders/unsubscribe",
            "/reminders/unsubscribe/abc/def",
            "/reminders/confirm/abc",
            "/settings/reminders",
            "/x/reminders/unsubscribe/abc",
        ] {
            assert!(!is_one_click_target(path), "{path}");
        }
    }
}
