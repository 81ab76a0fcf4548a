//! `GET /`: the signed-in user's start page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;

use crate::auth::CurrentUser;
use crate::flash;
use crate::page::{render, Layout};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
}

async fn home(current: CurrentUser, jar: CookieJar) -> (CookieJar, Response) {
    let (jar, flash) = flash::take(jar);
    let page = HomePage {
        layout: Layout::new("Dashboard")
            .user(&current.user.username)
            .flash(flash)
            .nav("dashboard"),
    };
    (jar, render(StatusCode::OK, &page))
}
