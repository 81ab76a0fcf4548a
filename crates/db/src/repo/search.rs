//! What the search everywhere shows beside each contact found: the company, the primary
//! e-mail and the tags of a handful of contacts, read in one statement.

use libsql::Value;

use super::contact::ContactId;
use super::user::UserId;
use crate::db::Executor;
use crate::query::Query;
use crate::row::Reader;

/// The line under a contact's name in search results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactLine {
    pub contact_id: ContactId,
    /// The background's company.
    pub company: Option<String>,
    /// The seed's primary e-mail (`contact_info.email`).
    pub email: Option<String>,
    /// Tag names, in alphabetical order (case-insensitive).
    pub tags: Vec<String>,
}

/// Contacts read at most per call of [`SearchRepo::contact_lines`].
pub const MAX_LINES: usize = 100;

#[derive(Clone, Copy)]
pub struct SearchRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> SearchRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        SearchRepo { ex: ex.into() }
    }

    /// The lines of the user's contacts among `ids` (others' ids find nothing), in no
    /// particular order; at most [`MAX_LINES`] ids are read.
    pub fn contact_lines(&self, user: &UserId, ids: &[ContactId]) -> Query<'e, Vec<ContactLine>> {
        let ids = &ids[..ids.len().min(MAX_LINES)];
        if ids.is_empty() {
            return Query::ready(self.ex, Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        let mut values: Vec<Value> = vec![user.into()];
        values.extend(ids.iter().map(Value::from));
        // char(31) cannot be typed into a tag's name: a safe separator.
        let sql = format!(
            "SELECT c.id, b.company, ci.email, \
               (SELECT group_concat(name, char(31)) FROM (SELECT t.name FROM contact_tag ct \
                  JOIN tag t ON t.id = ct.tag_id WHERE ct.contact_id = c.id \
                  ORDER BY t.name COLLATE NOCASE)) \
             FROM contact c \
             LEFT JOIN background b ON b.contact_id = c.id \
             LEFT JOIN contact_info ci ON ci.contact_id = c.id \
             WHERE c.user_id = ? AND c.id IN ({marks})"
        );
        Query::all(self.ex, sql, libsql::params_from_iter(values), |row| {
            let mut r = Reader::new(row);
            let contact_id = ContactId::from(r.text()?);
            let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
            let company = blank(r.opt_text()?);
            let email = blank(r.opt_text()?);
            let tags = r
                .opt_text()?
                .map(|t| t.split('\u{1f}').map(str::to_string).collect())
                .unwrap_or_default();
            Ok(ContactLine {
                contact_id,
                company,
                email,
                tags,
            })
        })
    }
}
