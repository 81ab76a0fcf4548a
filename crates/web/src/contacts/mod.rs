//! The contacts area: the list (search, filters, sorting, pages, bulk actions), the form that
//! adds and edits a contact, and the contact's page with its timeline and, for VIPs, the
//! background and contact details that can be edited in place.

mod form;
mod list;
mod show;
mod vip;

use axum::routing::{get, post};
use axum::Router;
use devhub_db::ValidationErrors;

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

/// The messages shown beside the fields of a form that came back, each a sentence naming
/// its field ("Name is required.").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// The repository's errors, each prefixed with its field's label from `labels`
    /// (`(field, label)` pairs); fields without a label use the field name.
    pub fn from_validation(errors: &ValidationErrors, labels: &[(&str, &str)]) -> Self {
        let mut out = FieldErrors::default();
        for e in errors.iter() {
            let label = labels
                .iter()
                .find(|(field, _)| *field == e.field)
                .map_or(e.field, |(_, label)| *label);
            out.add(e.field, label, &e.message);
        }
        out
    }

    /// Adds "`label` `message`." for `field`, unless the field already has a message.
    pub fn add(&mut self, field: &str, label: &str, message: &str) {
        if self.get(field).is_none() {
            self.0
                .push((field.to_string(), format!("{label} {message}.")));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Messages of fields other than `shown` (which the form has no place for).
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// Today's date in UTC: what "12 days ago" counts from and what date fields default to.
fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// "1 contact", "3 contacts".
fn count_of(n: u64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_sentences_naming_the_field() {
        let mut v = ValidationErrors::new();
        v.add("name", "is required");
        v.add("birthday", "cannot be in the future");
        v.add("name", "must be at most 200 characters");
        let errors = FieldErrors::from_validation(&v, &[("name", "Name")]);
        assert_eq!(errors.get("name"), Some("Name is required."));
        assert_eq!(
            errors.get("birthday"),
            Some("birthday cannot be in the future.")
        );
        assert_eq!(
            errors.others(&["name"]),
            ["birthday cannot be in the future."]
        );
        assert!(!errors.has("status"));
    }

    #[test]
    fn counts_use_the_singular_for_one() {
        assert_eq!(count_of(1, "contact", "contacts"), "1 contact");
        assert_eq!(count_of(0, "contact", "contacts"), "0 contacts");
        assert_eq!(count_of(37, "contact", "contacts"), "37 contacts");
    }
}
