//! VIP background: the `background` table, at most one row per contact (family, company,
//! likes and dislikes, notes).

use chrono::{DateTime, Utc};
use libsql::Value;

use super::contact::ContactId;
use super::per_contact::{PerContact, PerContactRepo};
use crate::error::{Result, ValidationErrors};
use crate::row::{id_type, Reader, Unreadable};
use crate::validate::{self, MAX_LONG_TEXT};

id_type!(
    /// The id of a `background` row.
    BackgroundId
);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Background {
    pub id: BackgroundId,
    pub contact_id: ContactId,
    pub family: Option<String>,
    pub company: Option<String>,
    pub likes_dislikes: Option<String>,
    pub misc_notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

pub(crate) const COLUMNS: &str =
    "id, contact_id, family, company, likes_dislikes, misc_notes, created_at, updated_at";

impl Background {
    /// The one decoder of a `background` row ([`COLUMNS`], in order).
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("background")?;
        let background = Background {
            id: BackgroundId::from(c.key()),
            contact_id: ContactId::from(c.text("contact_id")?),
            family: c.opt_text("family")?,
            company: c.opt_text("company")?,
            likes_dislikes: c.opt_text("likes_dislikes")?,
            misc_notes: c.opt_text("misc_notes")?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            unreadable: Unreadable::default(),
        };
        Ok(Background {
            unreadable: c.finish(),
            ..background
        })
    }
}

/// The background of a contact as stored by an upsert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBackground {
    family: Option<String>,
    company: Option<String>,
    likes_dislikes: Option<String>,
    misc_notes: Option<String>,
}

impl NewBackground {
    pub fn is_empty(&self) -> bool {
        self.family.is_none()
            && self.company.is_none()
            && self.likes_dislikes.is_none()
            && self.misc_notes.is_none()
    }

    /// Fills what this one lacks from `other` (two records of one file for the same person).
    pub fn fill_blanks_from(&mut self, other: &NewBackground) {
        use super::contact_info::fill;
        fill(&mut self.family, &other.family);
        fill(&mut self.company, &other.company);
        fill(&mut self.likes_dislikes, &other.likes_dislikes);
        fill(&mut self.misc_notes, &other.misc_notes);
    }

    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }
    pub fn company(&self) -> Option<&str> {
        self.company.as_deref()
    }
    pub fn likes_dislikes(&self) -> Option<&str> {
        self.likes_dislikes.as_deref()
    }
    pub fn misc_notes(&self) -> Option<&str> {
        self.misc_notes.as_deref()
    }

    /// The values as stored: trimmed, blank means absent.
    fn normalized(&self) -> Result<NewBackground> {
        let mut errors = ValidationErrors::new();
        let mut text = |field, value: &Option<String>| {
            errors
                .take(
                    field,
                    validate::optional_text(value.as_deref(), MAX_LONG_TEXT),
                )
                .flatten()
        };
        let normalized = NewBackground {
            family: text("family", &self.family),
            company: text("company", &self.company),
            likes_dislikes: text("likes_dislikes", &self.likes_dislikes),
            misc_notes: text("misc_notes", &self.misc_notes),
        };
        errors.into_result()?;
        Ok(normalized)
    }
}

/// A background as typed into a form or sent as JSON.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BackgroundInput {
    pub family: Option<String>,
    pub company: Option<String>,
    pub likes_dislikes: Option<String>,
    pub misc_notes: Option<String>,
}

impl BackgroundInput {
    /// Parses every field, collecting an error per bad field.
    pub fn parse(&self) -> Result<NewBackground> {
        NewBackground {
            family: self.family.clone(),
            company: self.company.clone(),
            likes_dislikes: self.likes_dislikes.clone(),
            misc_notes: self.misc_notes.clone(),
        }
        .normalized()
    }
}

/// The repository of the `background` table (see [`PerContactRepo`]).
pub type BackgroundRepo<'e> = PerContactRepo<'e, Background>;

impl PerContact for Background {
    type New = NewBackground;
    const TABLE: &'static str = "background";
    const COLUMNS: &'static str = COLUMNS;
    const DATA: &'static [&'static str] = &["family", "company", "likes_dislikes", "misc_notes"];

    fn read(r: &mut Reader) -> Result<Self> {
        Background::read(r)
    }

    fn values(new: &NewBackground) -> Result<Vec<Value>> {
        Ok(vec![
            new.family.clone().into(),
            new.company.clone().into(),
            new.likes_dislikes.clone().into(),
            new.misc_notes.clone().into(),
        ])
    }
}
