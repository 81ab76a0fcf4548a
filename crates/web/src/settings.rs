//! `/settings`: change password, sign out everywhere, delete the account.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::accounts::check_password;
use crate::auth::password;
use crate::auth::session::removal_cookie;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::page::{ok, render, Layout, Page};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/settings", get(settings_page))
        .route("/settings/password", post(change_password))
        .route("/settings/sessions/revoke", post(sign_out_everywhere))
        .route("/settings/delete", post(delete_account))
}

#[derive(Template, Default)]
#[template(path = "settings/index.html")]
struct SettingsPage {
    layout: Layout,
    username: String,
    member_since: String,
    current_password_error: Option<String>,
    new_password_error: Option<String>,
    delete_password_error: Option<String>,
}

impl SettingsPage {
    fn new(page: &Page) -> Self {
        let user = &page.current.user;
        SettingsPage {
            layout: page.layout("Settings", "settings"),
            username: user.username.clone(),
            member_since: crate::format::long_date(user.created_at.date_naive()),
            ..SettingsPage::default()
        }
    }
}

async fn settings_page(page: Page) -> Response {
    ok(&SettingsPage::new(&page))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let current = page.current.clone();
    let mut page = SettingsPage::new(&page);
    let verified =
        password::verify_password(form.current_password, current.user.password_hash.clone())
            .await?;
    if !verified {
        page.current_password_error = Some("is not your current password".into());
    }
    page.new_password_error = check_password(&form.new_password, &current.user.username).err();
    if page.current_password_error.is_some() || page.new_password_error.is_some() {
        let status = if verified {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::UNAUTHORIZED
        };
        return Ok(render(status, &page));
    }
    let hash = password::hash_password(form.new_password).await?;
    state
        .db
        .users()
        .update_password_hash(&current.user.id, &hash)
        .await?;
    // Whoever else held a session (a stolen cookie, another device) must log in again.
    state
        .db
        .sessions()
        .delete_all_for_user(&current.user.id, Some(&current.session_id))
        .await?;
    let jar = flash::set(
        jar,
        Flash::success("Password changed. Your other sessions have been signed out."),
    );
    Ok((jar, Redirect::to("/settings")).into_response())
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    current: CurrentUser,
    jar: CookieJar,
) -> Result<Response, AppError> {
    state
        .db
        .sessions()
        .delete_all_for_user(&current.user.id, None)
        .await?;
    let jar = jar.add(removal_cookie(state.settings.secure_cookies));
    let jar = flash::set(
        jar,
        Flash::success("You have been signed out of every session."),
    );
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    password: String,
}

async fn delete_account(
    State(state): State<AppState>,
    page: Page,
    jar: CookieJar,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let current = page.current.clone();
    if !password::verify_password(form.password, current.user.password_hash.clone()).await? {
        let mut page = SettingsPage::new(&page);
        page.delete_password_error = Some("is not your password".into());
        return Ok(render(StatusCode::UNAUTHORIZED, &page));
    }
    // One transaction; the schema's cascades remove every row of the user.
    state.db.users().delete(&current.user.id).await?;
    let jar = jar.add(removal_cookie(state.settings.secure_cookies));
    let jar = flash::set(
        jar,
        Flash::success("Your account and all its data have been deleted."),
    );
    Ok((jar, Redirect::to("/login")).into_response())
}
