//! VIP contact info: the `contact_info` table, at most one row per contact (preferred app,
//! e-mail, phone, social profile links).

use chrono::{DateTime, Utc};
use libsql::{params, Row};

use super::contact::{self, ContactId};
use super::user::UserId;
use super::{qualified, query_all, query_one, Upsert};
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::row::{id_type, Reader, Stamps, Unreadable};
use crate::validate::{self, Email, PhoneNumber, WebUrl, MAX_SHORT_TEXT};

id_type!(
    /// The id of a `contact_info` row.
    ContactInfoId
);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ContactInfo {
    pub id: ContactInfoId,
    pub contact_id: ContactId,
    /// Where the contact is best reached (Signal, Slack …).
    pub main_app: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub social_links: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

const TABLE: &str = "contact_info";
/// The columns an upsert sets.
const COLUMNS_SET: [&str; 4] = ["main_app", "email", "phone_number", "social_links"];

pub(crate) const COLUMNS: &str =
    "id, contact_id, main_app, email, phone_number, social_links, created_at, updated_at";

impl ContactInfo {
    fn from_row(row: &Row) -> Result<Self> {
        Self::read(&mut Reader::new(row))
    }

    /// The one decoder of a `contact_info` row ([`COLUMNS`], in order). Other clients may
    /// have written the row, so the links' URLs are not checked again, only their shape.
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("contact_info")?;
        let info = ContactInfo {
            id: ContactInfoId::from(c.key()),
            contact_id: ContactId::from(c.text("contact_id")?),
            main_app: c.opt_text("main_app")?,
            email: c.opt_text("email")?,
            phone_number: c.opt_text("phone_number")?,
            social_links: c.string_list("social_links")?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            unreadable: Unreadable::default(),
        };
        Ok(ContactInfo {
            unreadable: c.finish(),
            ..info
        })
    }
}

/// Empty lists are stored as NULL.
fn encode_links(links: &[WebUrl]) -> Result<Option<String>> {
    if links.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(links)
        .map(Some)
        .map_err(|e| Error::validation("social_links", e.to_string()))
}

/// The contact info of a contact as stored by an upsert: built only by
/// [`ContactInfoInput::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewContactInfo {
    main_app: Option<String>,
    email: Option<Email>,
    phone_number: Option<PhoneNumber>,
    social_links: Vec<WebUrl>,
}

impl NewContactInfo {
    pub fn main_app(&self) -> Option<&str> {
        self.main_app.as_deref()
    }
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }
    pub fn phone_number(&self) -> Option<&PhoneNumber> {
        self.phone_number.as_ref()
    }
    pub fn social_links(&self) -> &[WebUrl] {
        &self.social_links
    }
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Fills what this one lacks from `other` (two records of one file for the same person).
    pub fn fill_blanks_from(&mut self, other: &NewContactInfo) {
        fill(&mut self.main_app, &other.main_app);
        fill(&mut self.email, &other.email);
        fill(&mut self.phone_number, &other.phone_number);
        if self.social_links.is_empty() {
            self.social_links.clone_from(&other.social_links);
        }
    }
}

pub(crate) fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
    if a.is_none() {
        a.clone_from(b);
    }
}

fn blank_to_none(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Contact info as typed into a form or sent as JSON. `social_links` is a JSON array of
/// URLs, or one text with a URL per line (a form's textarea).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactInfoInput {
    pub main_app: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    #[serde(deserialize_with = "links_or_lines")]
    pub social_links: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum LinksOrLines {
    Links(Vec<String>),
    Lines(String),
}

fn links_or_lines<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(
        match <LinksOrLines as serde::Deserialize>::deserialize(d)? {
            LinksOrLines::Links(links) => links,
            LinksOrLines::Lines(text) => text.lines().map(str::to_string).collect(),
        },
    )
}

impl ContactInfoInput {
    /// Parses every field, collecting an error per bad field: trimmed, blank means absent,
    /// blank links dropped.
    pub fn parse(&self) -> Result<NewContactInfo> {
        let mut errors = ValidationErrors::new();
        let main_app = errors
            .take(
                "main_app",
                validate::optional_text(self.main_app.as_deref(), MAX_SHORT_TEXT),
            )
            .flatten();
        let email = match blank_to_none(&self.email) {
            None => None,
            Some(raw) => errors.take("email", Email::parse(raw)),
        };
        let phone_number = match blank_to_none(&self.phone_number) {
            None => None,
            Some(raw) => errors.take("phone_number", PhoneNumber::parse(raw)),
        };
        let social_links = errors
            .take("social_links", validate::web_urls(&self.social_links))
            .unwrap_or_default();
        errors.into_result()?;
        Ok(NewContactInfo {
            main_app,
            email,
            phone_number,
            social_links,
        })
    }
}

#[derive(Clone, Copy)]
pub struct ContactInfoRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> ContactInfoRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        ContactInfoRepo { ex: ex.into() }
    }

    /// The contact info of the user's contact `contact_id`, `None` when it has none yet;
    /// `NotFound` when the contact is not the user's.
    pub async fn get(&self, user: &UserId, contact_id: &ContactId) -> Result<Option<ContactInfo>> {
        let conn = self.ex.conn().await?;
        // One row when the contact is the user's; its info columns are NULL without one.
        query_one(
            &conn,
            &format!(
                "SELECT {} FROM contact c LEFT JOIN contact_info i ON i.contact_id = c.id \
                 WHERE c.id = ?1 AND c.user_id = ?2",
                qualified("i", COLUMNS)
            ),
            params![contact_id, user],
            |row| match row.get::<Option<String>>(0)? {
                Some(_) => ContactInfo::from_row(row).map(Some),
                None => Ok(None),
            },
        )
        .await?
        .ok_or(Error::NotFound)
    }

    /// Creates or replaces the contact info of the user's contact `contact_id`.
    pub async fn upsert(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewContactInfo,
    ) -> Result<ContactInfo> {
        self.upsert_at(user, contact_id, new, Stamps::now()).await
    }

    /// [`Self::upsert`] with the given times (a restore keeps the original ones).
    pub async fn upsert_at(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewContactInfo,
        stamps: Stamps,
    ) -> Result<ContactInfo> {
        self.write(user, contact_id, new, stamps, Upsert::Replace)
            .await
    }

    /// Fills the blanks of the contact's row with `new` (creating it when there is none),
    /// never overwriting a value: what an import's merge does.
    pub async fn merge(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewContactInfo,
    ) -> Result<ContactInfo> {
        self.write(user, contact_id, new, Stamps::now(), Upsert::FillBlanks)
            .await
    }

    async fn write(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewContactInfo,
        stamps: Stamps,
        mode: Upsert,
    ) -> Result<ContactInfo> {
        let links = encode_links(&new.social_links)?;
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        let info = query_one(
            &tx,
            &format!(
                "INSERT INTO contact_info \
                 (id, contact_id, main_app, email, phone_number, social_links, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (contact_id) DO UPDATE SET {} \
                 RETURNING {COLUMNS}",
                mode.set_clause(TABLE, COLUMNS_SET)
            ),
            params![
                ContactInfoId::generate(),
                contact_id,
                new.main_app.clone(),
                new.email.as_ref(),
                new.phone_number.as_ref(),
                links,
                stamps.created_at.timestamp(),
                stamps.updated_at.timestamp()
            ],
            ContactInfo::from_row,
        )
        .await?
        .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(info)
    }

    /// Up to `limit` of the user's contact info rows in id order (creation order: ids
    /// are UUID v7), starting after the id `after`; the flag says whether more follow.
    pub async fn list_after(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<ContactInfo>, bool)> {
        let limit = limit.clamp(1, contact::MAX_PER_PAGE);
        let conn = self.ex.conn().await?;
        let mut rows = query_all(
            &conn,
            &format!(
                "SELECT {} FROM contact c JOIN contact_info i ON i.contact_id = c.id \
                 WHERE c.user_id = ?1 AND (?2 IS NULL OR i.id > ?2) ORDER BY i.id LIMIT ?3",
                qualified("i", COLUMNS)
            ),
            params![user, after.map(str::to_string), i64::from(limit) + 1],
            ContactInfo::from_row,
        )
        .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok((rows, more))
    }

    /// Deletes the contact info of the user's contact; `NotFound` when there is none.
    pub async fn delete(&self, user: &UserId, contact_id: &ContactId) -> Result<()> {
        let conn = self.ex.conn().await?;
        let changed = conn
            .execute(
                "DELETE FROM contact_info WHERE contact_id = ?1 \
                 AND contact_id IN (SELECT id FROM contact WHERE user_id = ?2)",
                params![contact_id, user],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_links_that_are_not_an_array_of_strings_are_decode_errors() {
        assert_eq!(decode_links(None).unwrap(), Vec::<String>::new());
        assert_eq!(
            decode_links(Some("[]".into())).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            decode_links(Some(r#"["https://x.org/a"]"#.into())).unwrap(),
            vec!["https://x.org/a".to_string()]
        );
        for bad in [r#"{"a":1}"#, "[1, 2]", "not json"] {
            assert!(
                matches!(
                    decode_links(Some(bad.into())),
                    Err(Error::Decode {
                        column: "contact_info.social_links",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn social_links_come_as_an_array_or_as_lines() {
        let json: ContactInfoInput =
            serde_json::from_str(r#"{"social_links": ["https://a.org", "https://b.org"]}"#)
                .unwrap();
        assert_eq!(json.social_links, ["https://a.org", "https://b.org"]);
        let lines: ContactInfoInput =
            serde_json::from_str(r#"{"social_links": "https://a.org\r\n\nhttps://b.org"}"#)
                .unwrap();
        let parsed = lines.parse().unwrap();
        assert_eq!(parsed.social_links, ["https://a.org", "https://b.org"]);
    }
}
