//! The interactions area: logging an interaction with a contact, editing and deleting it, and
//! the log of every interaction (`/interactions`) with its filters.
//!
//! The contact page (contacts area) shows a contact's timeline with an inline form that posts
//! here; every write answers with a 303 back to the contact page (or to the local `back` path
//! the form carries) and a flash message.

mod form;
mod list;
pub(crate) use list::short_search_notice;

use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use devhub_db::InteractionWithContact;

use crate::format::{interaction_label, When};
use crate::state::AppState;
use crate::today::Today;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/interactions", get(list::index))
        .route("/contacts/{id}/interactions/new", get(form::new_page))
        // The two form addresses answer GET with the form's page, for an address bar left
        // there by a form that came back with messages.
        .route(
            "/contacts/{id}/interactions",
            post(form::create).get(form::to_new_page),
        )
        .route("/interactions/{iid}/edit", get(form::edit_page))
        .route(
            "/interactions/{iid}",
            post(form::update).get(form::to_edit_page),
        )
        .route("/interactions/{iid}/delete", post(form::delete))
}

/// One interaction in a list (the log, the dashboard's recent interactions).
#[derive(Debug, Clone)]
pub(crate) struct InteractionRow {
    pub id: String,
    pub contact_id: String,
    pub contact_name: String,
    /// `call`: for the icon and the CSS class.
    pub kind: &'static str,
    pub label: &'static str,
    pub when: When,
    pub date: NaiveDate,
    pub notes: Option<String>,
}

impl InteractionRow {
    pub(crate) fn new(row: InteractionWithContact, today: &Today) -> Self {
        let i = row.interaction;
        let date = i.date.date_naive();
        InteractionRow {
            id: i.id.into_string(),
            contact_id: i.contact_id.into_string(),
            contact_name: row.contact_name,
            kind: i.type_.as_str(),
            label: interaction_label(i.type_),
            when: today.when_day(i.date),
            date,
            notes: i.notes,
        }
    }

    /// "call with Ada on March 3, 2024": what the row's Edit and Delete act on, for screen
    /// readers and the confirmation dialog.
    pub(crate) fn description(&self) -> String {
        format!(
            "{} with {} on {}",
            self.label.to_lowercase(),
            self.contact_name,
            self.when.exact
        )
    }

    /// "Today", "Yesterday" or "March 3, 2024": the heading of the day of the interaction.
    pub(crate) fn day(&self) -> String {
        self.when.day_heading()
    }

    pub(crate) fn same_day(&self, other: &InteractionRow) -> bool {
        self.date == other.date
    }
}
