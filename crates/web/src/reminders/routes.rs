//! The addresses of reminders' pages: Settings → Reminders (signed in) and the links of
//! reminder e-mails (no log-in).

use axum::response::Redirect;
use axum::routing::{get, post};
use axum::Router;

use super::{links, settings};
use crate::state::AppState;

/// Settings → Reminders; behind `require_user`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            settings::PAGE,
            get(settings::reminders_page).post(settings::save_schedule),
        )
        // A form's address opened again (after it came back) leads to its block.
        .route(
            "/settings/reminders/email",
            post(settings::set_email).get(to_block("/settings/reminders#email")),
        )
        .route(
            "/settings/reminders/email/resend",
            post(settings::resend_confirmation).get(to_block("/settings/reminders#email")),
        )
        .route(
            "/settings/reminders/email/switch",
            post(settings::switch_email).get(to_block("/settings/reminders#email")),
        )
        .route(
            "/settings/reminders/webhook/secret",
            post(settings::new_webhook_secret).get(to_block("/settings/reminders#webhook")),
        )
        .route(
            "/settings/reminders/test/{channel}",
            post(settings::send_test),
        )
}

/// The links of reminder e-mails, which work without logging in.
pub fn public_router() -> Router<AppState> {
    Router::new()
        .route(
            "/reminders/confirm/{token}",
            get(links::confirm_page).post(links::confirm),
        )
        .route(
            "/reminders/unsubscribe/{token}",
            get(links::unsubscribe_page).post(links::unsubscribe),
        )
}

/// A handler that answers with a 303 to `target`.
fn to_block(
    target: &'static str,
) -> impl FnOnce() -> std::future::Ready<Redirect> + Clone + Send + Sync + 'static {
    move || std::future::ready(Redirect::to(target))
}

/// Whether the operator configured SMTP (`SMTP_URL`): without it, Settings → Reminders says
/// so and offers no e-mail.
pub fn email_configured(state: &AppState) -> bool {
    super::engine::email_configured(state)
}
