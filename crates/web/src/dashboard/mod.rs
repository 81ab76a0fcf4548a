//! The dashboard: `GET /dashboard` and `GET /` when signed in.

use askama::Template;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::page::{ok, Layout, Page};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/dashboard", get(home))
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct HomePage {
    layout: Layout,
}

async fn home(page: Page) -> Response {
    ok(&HomePage {
        layout: page.layout("Dashboard", "dashboard"),
    })
}
