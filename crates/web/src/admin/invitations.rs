//! The registration mode and invitations of the admin page.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum_extra::extract::CookieJar;
use devhub_db::repo::invitation::{DEFAULT_DAYS, MAX_DAYS};
use devhub_db::{Error as DbError, InvitationId, RegistrationMode};
use serde::Deserialize;

use super::{log_action, moment, AdminPage, ShownLink};
use crate::error::AppError;
use crate::flash::{self, Flash};
use crate::forms::FormOrEmpty;
use crate::page::{render, Page};
use crate::security::RequestInfo;
use crate::state::AppState;
use devhub_db::SecurityEventKind as Kind;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RegistrationForm {
    mode: String,
}

/// `POST /admin/registration`: who may register from now on.
pub(super) async fn set_registration(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    FormOrEmpty(form): FormOrEmpty<RegistrationForm>,
) -> Result<Response, AppError> {
    let Some(mode) = RegistrationMode::parse(&form.mode) else {
        return AdminPage::refused(
            &state,
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a registration mode: open, by invitation or closed.".into(),
        )
        .await;
    };
    state.db.instance_settings().set_registration(mode).await?;
    let what = match mode {
        RegistrationMode::Open => "now open",
        RegistrationMode::Invite => "now by invitation",
        RegistrationMode::Closed => "now closed",
    };
    log_action(
        &state,
        &info,
        &page.current.user.username,
        Kind::RegistrationModeChanged,
        None,
        what,
    )
    .await?;
    let said = match mode {
        RegistrationMode::Open => {
            "Registration is open: anyone who reaches this server can register."
        }
        RegistrationMode::Invite => {
            "Registration is by invitation: make a link below for each person."
        }
        RegistrationMode::Closed => "Registration is closed.",
    };
    Ok(flash::redirect(
        jar,
        Flash::success(said),
        "/admin#registration",
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct InvitationForm {
    note: String,
    days: String,
}

/// `POST /admin/invitations`: a new invitation link, shown on this response only.
pub(super) async fn create(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    headers: HeaderMap,
    FormOrEmpty(form): FormOrEmpty<InvitationForm>,
) -> Result<Response, AppError> {
    let days = match form.days.trim() {
        "" => Some(DEFAULT_DAYS),
        raw => raw.parse::<u32>().ok(),
    };
    let issued = match days {
        Some(days) => {
            state
                .db
                .invitations()
                .issue(Some(page.user_id()), Some(&form.note), days)
                .await
        }
        None => Err(DbError::validation(
            "expires_in",
            format!("must be a number of days from 1 to {MAX_DAYS}"),
        )),
    };
    match issued {
        Ok(issued) => {
            let what = match issued.invitation.note.as_deref() {
                Some(note) if !note.is_empty() => format!("“{note}”"),
                _ => "without a note".to_string(),
            };
            log_action(
                &state,
                &info,
                &page.current.user.username,
                Kind::InvitationCreated,
                None,
                &what,
            )
            .await?;
            let base = crate::calendar::base_url(&state, &headers);
            let mut admin = AdminPage::load(&state, &page).await?;
            admin.new_invitation = Some(ShownLink {
                label: issued.invitation.note.clone().unwrap_or_default(),
                url: format!("{base}/register?invite={}", issued.token.expose()),
                expires: moment(issued.invitation.expires_at),
            });
            admin.layout.flash = Some(Flash::success(
                "Invitation made. Copy its link now: it is shown only once.",
            ));
            Ok(render(StatusCode::OK, &admin))
        }
        Err(DbError::Validation(errors)) => {
            let mut admin = AdminPage::load(&state, &page).await?;
            admin.invite_error = errors.iter().next().map(|e| match e.field {
                "note" => format!("Note {}.", e.message),
                _ => format!("Expiry {}.", e.message),
            });
            admin.invite_note = form.note;
            admin.invite_days = form.days;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &admin))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/invitations/{id}/revoke`: the link stops working.
pub(super) async fn revoke(
    State(state): State<AppState>,
    page: Page,
    info: RequestInfo,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    match state.db.invitations().revoke(&InvitationId::from(id)).await {
        Ok(_) => {
            log_action(
                &state,
                &info,
                &page.current.user.username,
                Kind::InvitationRevoked,
                None,
                "an invitation",
            )
            .await?;
            Ok(flash::redirect(
                jar,
                Flash::success("Invitation revoked: its link no longer works."),
                "/admin#invitations",
            ))
        }
        Err(DbError::Conflict { message, .. }) => {
            AdminPage::refused(&state, &page, StatusCode::CONFLICT, capitalize(&message)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The message with its first letter upper-case, and a full stop.
pub(super) fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}
