//! `/admin`: the instance's administration, for admins only (anyone else gets the 404 page,
//! `auth::require_admin`). The accounts with how much each holds (never what: an admin sees
//! no member's contacts), disabling, deleting, password-reset links and roles
//! ([`accounts`]); the registration mode and invitations ([`invitations`]).

mod accounts;
mod invitations;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use devhub_db::{AccountSummary, InvitationListing, RegistrationMode};

use crate::error::AppError;
use crate::page::{render, Layout, Page};
use crate::security::RequestInfo;
use crate::state::AppState;
use devhub_db::{SecurityEventKind, UserId};

/// Records an admin's action in the instance's log (the admin page's "Instance events"), and,
/// when it concerns an account, in that account's own security log too.
pub(crate) async fn log_action(
    state: &AppState,
    info: &RequestInfo,
    admin: &str,
    kind: SecurityEventKind,
    account: Option<(&UserId, &str)>,
    what: &str,
) -> Result<(), AppError> {
    let detail = match account {
        Some((_, name)) if what.is_empty() => format!("{name}, by admin {admin}"),
        Some((_, name)) => format!("{name}: {what}, by admin {admin}"),
        None => format!("{what}, by admin {admin}"),
    };
    let mut events = vec![info.instance_event(kind, detail)];
    if let Some((id, _)) = account {
        events.push(info.event(id, kind).detail(format!("by admin {admin}")));
    }
    state
        .db
        .write(async |tx| {
            for event in &events {
                tx.security_events().record(event).await?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_page))
        .route(
            "/admin/registration",
            post(invitations::set_registration).get(to_admin),
        )
        .route(
            "/admin/invitations",
            post(invitations::create).get(to_admin),
        )
        .route("/admin/invitations/{id}/revoke", post(invitations::revoke))
        .route("/admin/users/{id}/disable", post(accounts::disable))
        .route("/admin/users/{id}/enable", post(accounts::enable))
        .route("/admin/users/{id}/promote", post(accounts::promote))
        .route("/admin/users/{id}/demote", post(accounts::demote))
        .route(
            "/admin/users/{id}/reset-link",
            post(accounts::reset_link).get(to_admin),
        )
        .route(
            "/admin/users/{id}/delete",
            get(accounts::delete_page).post(accounts::delete),
        )
        .route(
            "/admin/users/{id}/two-factor/clear",
            post(crate::two_factor::admin_clear),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            crate::auth::require_admin,
        ))
}

/// A page that only answers a form (a link shown once) leads back to the admin page when
/// opened again.
async fn to_admin() -> Redirect {
    Redirect::to("/admin")
}

/// An account as the admin page lists it.
struct AccountRow {
    id: String,
    username: String,
    admin: bool,
    disabled: bool,
    /// The signed-in admin's own account.
    me: bool,
    created: String,
    created_iso: String,
    last_activity: String,
    contacts: String,
    storage: String,
    /// When the storage was measured, for the cell's title ("" if never).
    storage_measured: String,
    two_factor: bool,
    /// Its password hash is one devhub cannot verify (adopted from the original app): it
    /// cannot log in until it gets a reset link.
    needs_reset: bool,
}

impl AccountRow {
    fn new(summary: &AccountSummary, me: &devhub_db::UserId) -> Self {
        let user = &summary.user;
        AccountRow {
            id: user.id.to_string(),
            username: user.username.clone(),
            admin: user.is_admin(),
            disabled: user.is_disabled(),
            me: &user.id == me,
            created: user.created_at.format("%b %-d, %Y").to_string(),
            created_iso: user.created_at.to_rfc3339(),
            last_activity: summary
                .last_activity
                .map_or_else(|| "never".to_string(), moment),
            contacts: crate::format::count(summary.contacts),
            storage: match summary.storage_measured_at {
                Some(_) => bytes(summary.storage_bytes),
                None => "—".to_string(),
            },
            storage_measured: summary
                .storage_measured_at
                .map_or_else(String::new, |at| format!("Measured {}", moment(at))),
            two_factor: summary.two_factor,
            needs_reset: !devhub_db::password::is_supported_hash(&user.password_hash),
        }
    }
}

/// "Dec 1, 2026 14:05 UTC".
fn moment(at: DateTime<Utc>) -> String {
    at.format("%b %-d, %Y %H:%M UTC").to_string()
}

/// "512 B", "3.4 KB", "12.0 MB": a size as people read it (powers of 1,000).
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    // Display only: the precision of an f64 is plenty.
    #[allow(clippy::cast_precision_loss)]
    let mut value = n as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// An invitation as the admin page lists it.
struct InvitationRow {
    id: String,
    note: String,
    status: &'static str,
    created: String,
    created_by: String,
    expires: String,
    /// Who registered with it, once used.
    used_by: String,
    pending: bool,
}

impl InvitationRow {
    fn new(listing: &InvitationListing, now: DateTime<Utc>) -> Self {
        let invitation = &listing.invitation;
        let status = invitation.status(now);
        InvitationRow {
            id: invitation.id.to_string(),
            note: invitation.note.clone().unwrap_or_default(),
            status: status.as_str(),
            created: moment(invitation.created_at),
            created_by: listing.created_by_name.clone().unwrap_or_default(),
            expires: moment(invitation.expires_at),
            used_by: listing.used_by_name.clone().unwrap_or_default(),
            pending: status == devhub_db::InvitationStatus::Pending,
        }
    }
}

/// A link shown once on this response.
struct ShownLink {
    /// Whose (a reset link) or what for (an invitation's note).
    label: String,
    url: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct AdminPage {
    layout: Layout,
    accounts: Vec<AccountRow>,
    registration: RegistrationMode,
    modes: [RegistrationMode; 3],
    invitations: Vec<InvitationRow>,
    new_invitation: Option<ShownLink>,
    new_reset: Option<ShownLink>,
    /// A refused action's message (the last admin).
    error: Option<String>,
    /// The new-invitation form's values and error, when it came back.
    invite_note: String,
    invite_days: String,
    invite_error: Option<String>,
    day_choices: [(&'static str, &'static str); 4],
    /// Registrations, accounts disabled or deleted, invitations… of the last 90 days.
    instance_events: Vec<crate::security::EventRow>,
}

impl AdminPage {
    async fn load(state: &AppState, page: &Page) -> Result<Self, AppError> {
        let now = devhub_db::row::now();
        let db = state.db.primary();
        let accounts = db
            .users()
            .summaries()
            .await?
            .iter()
            .map(|s| AccountRow::new(s, page.user_id()))
            .collect();
        let invitations = db
            .invitations()
            .list()
            .await?
            .iter()
            .map(|i| InvitationRow::new(i, now))
            .collect();
        let instance_events = crate::security::instance_events(db, &page.today, 100).await?;
        Ok(AdminPage {
            instance_events,
            layout: page.layout("Admin", "admin"),
            accounts,
            registration: db
                .instance_settings()
                .registration(state.settings.registration)
                .await?,
            modes: RegistrationMode::ALL,
            invitations,
            new_invitation: None,
            new_reset: None,
            error: None,
            invite_note: String::new(),
            invite_days: devhub_db::repo::invitation::DEFAULT_DAYS.to_string(),
            invite_error: None,
            day_choices: [
                ("1", "1 day"),
                ("7", "7 days"),
                ("30", "30 days"),
                ("90", "90 days"),
            ],
        })
    }

    /// The page with a refused action's message, and its status.
    async fn refused(
        state: &AppState,
        page: &Page,
        status: StatusCode,
        message: String,
    ) -> Result<Response, AppError> {
        let mut admin = AdminPage::load(state, page).await?;
        admin.error = Some(message);
        Ok(render(status, &admin))
    }
}

async fn admin_page(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    Ok(render(
        StatusCode::OK,
        &AdminPage::load(&state, &page).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn sizes_read_in_powers_of_a_thousand() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_000), "1.0 KB");
        assert_eq!(bytes(3_456), "3.5 KB");
        assert_eq!(bytes(12_000_000), "12.0 MB");
    }
}
