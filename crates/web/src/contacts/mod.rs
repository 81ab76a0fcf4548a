//! The contacts area: the list (search, filters, sorting, pages, bulk actions), the form that
//! adds and edits a contact, and the contact's page with its timeline and, for VIPs, the
//! background and contact details that can be edited in place.

mod form;
mod list;
mod show;
mod vip;

use axum::routing::{get, post};
use axum::Router;

pub(crate) use list::ListParams;
pub(crate) use show::render_contact_with_card;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list::list_page).post(form::create))
        .route("/contacts/bulk", post(list::bulk))
        .route("/contacts/new", get(form::new_page))
        .route("/contacts/{id}", get(show::show_page).post(form::update))
        .route("/contacts/{id}/edit", get(form::edit_page))
        .route("/contacts/{id}/vip", post(show::set_vip))
        .route("/contacts/{id}/status", post(show::set_status))
        .route(
            "/contacts/{id}/delete",
            get(show::delete_page).post(show::delete),
        )
        .route("/contacts/{id}/background", post(vip::save_background))
        .route("/contacts/{id}/contact-info", post(vip::save_contact_info))
        .route("/contacts/{id}/social-links", post(vip::add_social_link))
        .route(
            "/contacts/{id}/social-links/remove",
            post(vip::remove_social_link),
        )
}
