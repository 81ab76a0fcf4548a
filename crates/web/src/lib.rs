//! The web app of Developer Hub CRM: an axum router of server-rendered pages (askama), one
//! module per area, with the session authentication of DESIGN.md §4.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod birthdays;
pub mod calendar;
pub mod contacts;
pub mod dashboard;
pub mod error;
pub mod flash;
pub mod follow_ups;
pub mod format;
pub mod forms;
pub mod health;
pub mod interactions;
pub mod metrics;
pub mod middleware;
pub mod page;
pub mod reminders;
pub mod search;
pub mod security;
pub mod server;
pub mod settings;
pub mod state;
pub mod tags;
pub mod theme;
pub mod today;
pub mod transfer;
pub mod two_factor;
pub mod undo;

use axum::Router;

pub use server::{serve, ServeConfig};
pub use state::{AppState, Settings};

/// The whole application: every area's router, merged, behind the shared middleware.
pub fn app(state: AppState) -> Router {
    let pages = Router::new()
        .merge(dashboard::router())
        .merge(contacts::router())
        .merge(tags::router())
        .merge(follow_ups::router())
        .merge(interactions::router())
        .merge(search::router())
        .merge(settings::router())
        .merge(security::router())
        .merge(transfer::router())
        .merge(undo::router())
        .merge(two_factor::router())
        .merge(reminders::routes::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_user,
        ));
    let mut public = Router::new()
        .merge(api::router(state.clone()))
        .merge(accounts::router())
        .merge(two_factor::public_router())
        .merge(admin::router(state.clone()))
        .merge(calendar::router())
        .merge(reminders::routes::public_router())
        .merge(health::router())
        .merge(assets::router())
        .merge(theme::router());
    if state.metrics.is_some() {
        public = public.merge(metrics::router());
    }
    // The import upload and a contact's photo have their own, larger body limits; everything
    // else the default one.
    let uploads = transfer::upload_router()
        .merge(contacts::photo_router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_user,
        ));
    let limited = middleware::body_limit(Router::new().merge(pages).merge(public), &state);
    let recorder = state.metrics.clone();
    let app = middleware::wrap(limited.merge(uploads), state);
    match recorder {
        // Outermost: every answer is counted, the timeout's and the error pages' too, by the
        // template of the route that matched.
        Some(metrics) => app.layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::track,
        )),
        None => app,
    }
}
