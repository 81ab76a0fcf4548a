//! What an admin does to an account: disable or enable it, promote or demote it, make a
//! password-reset link, delete it (after a confirmation with its counts).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::{Error as DbError, Role, UserId};
use serde::Deserialize;

use super::invitations::capitalize;
use super::{log_action, moment, AdminPage, ShownLink};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::FormOrEmpty;
use crate::page::{render, Layout, Page};
use crate::security::RequestInfo;
use crate::state::AppState;
use devhub_db::SecurityEventKind as Kind;

/// The answer to a change the database refused (the last admin): the admin page with the
/// message, 409.
async fn refused_or(
    state: &AppState,
    page: &Page,
    result: Result<Response, DbError>,
) -> Result<Response, AppError> {
    match result {
        Ok(response) => Ok(response),
        Err(DbError::Conflict { message, .. }) => {
            AdminPage::refused(state, page, StatusCode::CONFLICT, capitalize(&message)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users/{id}/disable`: the account cannot log in, and its sessions and API
/// tokens stop working at once.
pub(super) async fn disable(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let done = state.db.users().set_disabled(&UserId::from(id), true).await;
    if let Ok((user, ended)) = &done {
        let what = crate::format::count_of(*ended, "session ended", "sessions ended");
        let account = Some((&user.id, user.username.as_str()));
        log_action(
            &state,
            &info,
            &page.current.user.username,
            Kind::AccountDisabled,
            account,
            &what,
        )
        .await?;
    }
    let result = done.map(|(user, ended)| {
        flash::redirect(
            jar,
            Flash::success(format!(
                "{} is disabled: signed out of {} and unable to log in or use API tokens.",
                user.username,
                crate::format::count_of(ended, "session", "sessions")
            )),
            "/admin#accounts",
        )
    });
    refused_or(&state, &page, result).await
}

/// `POST /admin/users/{id}/enable`: the account can log in again.
pub(super) async fn enable(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let done = state
        .db
        .users()
        .set_disabled(&UserId::from(id), false)
        .await;
    if let Ok((user, _)) = &done {
        let account = Some((&user.id, user.username.as_str()));
        log_action(
            &state,
            &info,
            &page.current.user.username,
            Kind::AccountEnabled,
            account,
            "",
        )
        .await?;
    }
    let result = done.map(|(user, _)| {
        flash::redirect(
            jar,
            Flash::success(format!("{} is enabled again.", user.username)),
            "/admin#accounts",
        )
    });
    refused_or(&state, &page, result).await
}

async fn set_role(
    state: AppState,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    id: String,
    role: Role,
) -> Result<Response, AppError> {
    let done = state.db.users().set_role(&UserId::from(id), role).await;
    if let Ok(user) = &done {
        let what = match role {
            Role::Admin => "now an admin",
            Role::Member => "now a member",
        };
        let account = Some((&user.id, user.username.as_str()));
        log_action(
            &state,
            &info,
            &page.current.user.username,
            Kind::RoleChanged,
            account,
            what,
        )
        .await?;
    }
    let result = done.map(|user| {
        let said = match role {
            Role::Admin => format!("{} is now an admin.", user.username),
            Role::Member => format!("{} is now a member.", user.username),
        };
        // Demoting oneself leaves the admin pages behind.
        let to = if role == Role::Member && &user.id == page.user_id() {
            "/"
        } else {
            "/admin#accounts"
        };
        flash::redirect(jar, Flash::success(said), to)
    });
    refused_or(&state, &page, result).await
}

/// `POST /admin/users/{id}/promote`.
pub(super) async fn promote(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_role(state, page, info, jar, id, Role::Admin).await
}

/// `POST /admin/users/{id}/demote`: refused for the last admin.
pub(super) async fn demote(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_role(state, page, info, jar, id, Role::Member).await
}

/// `POST /admin/users/{id}/reset-link`: a one-time password-reset link for the account,
/// shown on this response only; it works for an hour.
pub(super) async fn reset_link(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = UserId::from(id);
    let user = state.db.primary().users().get(&id).await?;
    let issued = state
        .db
        .password_resets()
        .issue(&user.id, Some(page.user_id()))
        .await?;
    let account = Some((&user.id, user.username.as_str()));
    log_action(
        &state,
        &info,
        &page.current.user.username,
        Kind::ResetLinkCreated,
        account,
        "",
    )
    .await?;
    let base = crate::calendar::base_url(&state, &headers);
    let mut admin = AdminPage::load(&state, &page).await?;
    admin.new_reset = Some(ShownLink {
        label: user.username.clone(),
        url: format!("{base}/reset-password/{}", issued.token.expose()),
        expires: moment(issued.reset.expires_at),
    });
    admin.layout.flash = Some(Flash::success(format!(
        "Password-reset link for {} made. Copy it now: it is shown only once, and works for an hour.",
        user.username
    )));
    Ok(render(StatusCode::OK, &admin))
}

#[derive(Template)]
#[template(path = "admin/delete.html")]
struct DeletePage {
    layout: Layout,
    id: String,
    username: String,
    contacts: String,
    interactions: String,
    follow_ups: String,
    me: bool,
    error: Option<String>,
}

impl DeletePage {
    async fn load(state: &AppState, page: &Page, id: &UserId) -> Result<Self, AppError> {
        let summary = state.db.primary().users().summary(id).await?;
        let user = &summary.user;
        Ok(DeletePage {
            layout: page.layout(format!("Delete {}", user.username), "admin"),
            id: user.id.to_string(),
            username: user.username.clone(),
            contacts: crate::format::count_of(summary.contacts, "contact", "contacts"),
            interactions: crate::format::count_of(
                summary.interactions,
                "interaction",
                "interactions",
            ),
            follow_ups: crate::format::count_of(summary.follow_ups, "follow-up", "follow-ups"),
            me: &user.id == page.user_id(),
            error: None,
        })
    }
}

/// `GET /admin/users/{id}/delete`: what deleting the account takes with it, and the form that
/// confirms it.
pub(super) async fn delete_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let confirm = DeletePage::load(&state, &page, &UserId::from(id)).await?;
    Ok(render(StatusCode::OK, &confirm))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct DeleteForm {
    /// The account's username, typed again.
    confirm: String,
}

/// `POST /admin/users/{id}/delete`: deletes the account and everything it holds, once its
/// username was typed to confirm.
pub(super) async fn delete(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(id): Path<String>,
    FormOrEmpty(form): FormOrEmpty<DeleteForm>,
) -> Result<Response, AppError> {
    let id = UserId::from(id);
    let mut confirm = DeletePage::load(&state, &page, &id).await?;
    if form.confirm.trim().to_ascii_lowercase() != confirm.username {
        confirm.error = Some(format!(
            "Type the username “{}” to confirm the deletion.",
            confirm.username
        ));
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &confirm));
    }
    match state.db.users().delete_account(&id).await {
        Ok(()) => {
            let what = format!(
                "{}, {}, {} deleted with it",
                confirm.contacts, confirm.interactions, confirm.follow_ups
            );
            let name = format!("{}: {what}", confirm.username);
            log_action(
                &state,
                &info,
                &page.current.user.username,
                Kind::AccountDeleted,
                None,
                &name,
            )
            .await?;
            let to = if confirm.me {
                "/login"
            } else {
                "/admin#accounts"
            };
            Ok(flash::redirect(
                jar,
                Flash::success(format!(
                    "The account {} and all its data ({}, {}, {}) have been deleted.",
                    confirm.username, confirm.contacts, confirm.interactions, confirm.follow_ups
                )),
                to,
            ))
        }
        Err(DbError::Conflict { message, .. }) => {
            confirm.error = Some(capitalize(&message));
            Ok(render(StatusCode::CONFLICT, &confirm))
        }
        Err(e) => Err(e.into()),
    }
}
