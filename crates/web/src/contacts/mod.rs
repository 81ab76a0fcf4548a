//! The contacts area: the list (search, filters, sorting, pages, bulk actions), the form that
//! adds and edits a contact, and the contact's page with its timeline and, for VIPs, the
//! background and contact details that can be edited in place.

mod form;
mod list;
mod photo;
mod quick;
mod show;
mod vip;

use axum::routing::{get, post};
use axum::Router;

pub(crate) use list::ListParams;
pub use photo::router as photo_router;
pub(crate) use show::{render_contact_with_card, render_contact_with_tag, to_contact_page};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list::list_page).post(form::create))
        // Each form's address answers GET too, with the page the form is on (see
        // `show::to_contact_page`).
        .route("/contacts/bulk", post(list::bulk).get(list::to_list))
        .route("/contacts/new", get(form::new_page))
        .route("/contacts/quick", get(quick::page).post(quick::create))
        .route("/contacts/{id}", get(show::show_page).post(form::update))
        .route("/contacts/{id}/edit", get(form::edit_page))
        .route("/contacts/{id}/vip", post(show::set_vip))
        .route(
            "/contacts/{id}/status",
            post(show::set_status).get(to_contact_page),
        )
        // Deleting happens at once, with an Undo in the flash; the confirmation page that was
        // at this address leads to the contact's page.
        .route(
            "/contacts/{id}/delete",
            post(show::delete).get(to_contact_page),
        )
        .route(
            "/contacts/{id}/background",
            post(vip::save_background).get(to_contact_page),
        )
        .route(
            "/contacts/{id}/contact-info",
            post(vip::save_contact_info).get(to_contact_page),
        )
        .route(
            "/contacts/{id}/social-links",
            post(vip::add_social_link).get(to_contact_page),
        )
        .route(
            "/contacts/{id}/social-links/remove",
            post(vip::remove_social_link).get(to_contact_page),
        )
}
