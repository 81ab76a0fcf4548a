//! Contact info: the `contact_info` table, at most one row per contact (preferred app, the
//! first e-mail and phone with their labels, social profile links). Further e-mails and phones
//! are in `contact_detail` ([`super::contact_detail`]).

use chrono::{DateTime, Utc};
use libsql::Value;

use super::contact::ContactId;
use super::per_contact::{PerContact, PerContactRepo};
use crate::error::{Error, Result, ValidationErrors};
use crate::row::{id_type, Reader, Unreadable};
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
    /// What the e-mail address is (work, home …).
    pub email_label: Option<String>,
    /// What the phone number is (mobile, work …).
    pub phone_label: Option<String>,
    /// Columns whose stored value could not be read (written by another tool); absent when
    /// every value was read.
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

pub(crate) const COLUMNS: &str =
    "id, contact_id, main_app, email, phone_number, social_links, created_at, updated_at, \
     email_label, phone_label";

impl ContactInfo {
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
            email_label: c.opt_text("email_label")?,
            phone_label: c.opt_text("phone_label")?,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContactInfo {
    main_app: Option<String>,
    email: Option<Email>,
    phone_number: Option<PhoneNumber>,
    social_links: Vec<WebUrl>,
    email_label: Option<String>,
    phone_label: Option<String>,
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
    pub fn email_label(&self) -> Option<&str> {
        self.email_label.as_deref()
    }
    pub fn phone_label(&self) -> Option<&str> {
        self.phone_label.as_deref()
    }
    pub fn is_empty(&self) -> bool {
        self.main_app.is_none()
            && self.email.is_none()
            && self.phone_number.is_none()
            && self.social_links.is_empty()
    }

    /// Fills what this one lacks from `other` (two records of one file for the same person).
    pub fn fill_blanks_from(&mut self, other: &NewContactInfo) {
        fill(&mut self.main_app, &other.main_app);
        if self.email.is_none() {
            self.email.clone_from(&other.email);
            self.email_label.clone_from(&other.email_label);
        }
        if self.phone_number.is_none() {
            self.phone_number.clone_from(&other.phone_number);
            self.phone_label.clone_from(&other.phone_label);
        }
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

/// `value` unless it is blank and at most `max` characters long: a blank value longer than
/// the field's limit is refused like any other too long value (as the OpenAPI document's
/// `maxLength` says).
fn blank_to_none(value: &Option<String>, max: usize) -> Option<&str> {
    value
        .as_deref()
        .filter(|s| !s.trim().is_empty() || s.chars().count() > max)
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
    /// What the e-mail address is: work, home … (at most 40 characters).
    pub email_label: Option<String>,
    /// What the phone number is: mobile, work … (at most 40 characters).
    pub phone_label: Option<String>,
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
        let email = match blank_to_none(&self.email, validate::MAX_EMAIL) {
            None => None,
            Some(raw) => errors.take("email", Email::parse(raw)),
        };
        let phone_number = match blank_to_none(&self.phone_number, validate::MAX_PHONE) {
            None => None,
            Some(raw) => errors.take("phone_number", PhoneNumber::parse(raw)),
        };
        let social_links = errors
            .take("social_links", validate::web_urls(&self.social_links))
            .unwrap_or_default();
        // A label without its value means nothing and is dropped.
        let email_label = errors
            .take("email_label", label(self.email_label.as_deref()))
            .flatten()
            .filter(|_| email.is_some());
        let phone_label = errors
            .take("phone_label", label(self.phone_label.as_deref()))
            .flatten()
            .filter(|_| phone_number.is_some());
        errors.into_result()?;
        Ok(NewContactInfo {
            main_app,
            email,
            phone_number,
            social_links,
            email_label,
            phone_label,
        })
    }
}

/// The longest label of an e-mail address or a phone number.
pub const MAX_LABEL: usize = 40;

/// A label as typed (`work`, `Home`, `mobile`): trimmed, blank means none, lower case kept as
/// typed.
pub fn label(raw: Option<&str>) -> std::result::Result<Option<String>, String> {
    validate::optional_text(raw, MAX_LABEL)
}

/// The repository of the `contact_info` table (see [`PerContactRepo`]).
pub type ContactInfoRepo<'e> = PerContactRepo<'e, ContactInfo>;

impl PerContact for ContactInfo {
    type New = NewContactInfo;
    const TABLE: &'static str = "contact_info";
    const COLUMNS: &'static str = COLUMNS;
    const DATA: &'static [&'static str] = &[
        "main_app",
        "email",
        "phone_number",
        "social_links",
        "email_label",
        "phone_label",
    ];

    fn read(r: &mut Reader) -> Result<Self> {
        ContactInfo::read(r)
    }

    fn values(new: &NewContactInfo) -> Result<Vec<Value>> {
        Ok(vec![
            new.main_app.clone().into(),
            new.email.as_ref().into(),
            new.phone_number.as_ref().into(),
            encode_links(&new.social_links)?.into(),
            new.email_label.clone().into(),
            new.phone_label.clone().into(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a `contact_info` row whose `social_links` column holds `raw`.
    async fn read_links(raw: Option<&str>) -> ContactInfo {
        let db = crate::Db::open_in_memory().await.unwrap();
        let conn = db.conn().await.unwrap();
        let mut rows = conn
            .query(
                "SELECT 'i', 'c', NULL, NULL, NULL, ?1, 0, 0, NULL, NULL",
                [raw.map_or(libsql::Value::Null, |r| libsql::Value::Text(r.into()))],
            )
            .await
            .unwrap();
        let row = rows.next().await.unwrap().unwrap();
        ContactInfo::read(&mut Reader::new(&row)).unwrap()
    }

    #[tokio::test]
    async fn stored_links_that_are_not_an_array_of_strings_are_left_empty_and_named() {
        for (raw, links) in [
            (None, vec![]),
            (Some("[]"), vec![]),
            (Some(r#"["https://x.org/a"]"#), vec!["https://x.org/a"]),
        ] {
            let info = read_links(raw).await;
            assert_eq!(info.social_links, links, "{raw:?}");
            assert!(info.unreadable.is_empty(), "{raw:?}");
        }
        for bad in [r#"{"a":1}"#, "[1, 2]", "not json"] {
            let info = read_links(Some(bad)).await;
            assert!(info.social_links.is_empty(), "{bad}");
            assert_eq!(info.unreadable.columns(), ["social_links"], "{bad}");
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
