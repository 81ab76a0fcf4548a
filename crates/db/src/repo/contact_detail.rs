//! A contact's e-mail addresses and phone numbers, each with a label (work, home, mobile …):
//! the first of each kind in the seed's `contact_info` row, so that other clients of the seed
//! schema read and write it as before, and the further ones in `contact_detail`, in order.
//! [`ContactDetailsInput`] is the whole set as a form or the API gives it; saving it writes
//! both tables in one unit of work.

use chrono::{DateTime, Utc};
use libsql::{params, Value};

use super::contact::{self, ContactId};
use super::contact_info::ContactInfoRepo;
use super::contact_info::{label, ContactInfo, ContactInfoInput, NewContactInfo};
use super::qualified;
use super::user::UserId;
use crate::db::Executor;
use crate::error::{Error, Result, ValidationErrors};
use crate::query::Query;
use crate::row::{id_type, new_id, now, Reader, Unreadable};
use crate::validate::{Email, PhoneNumber};

id_type!(
    /// The id of a `contact_detail` row.
    ContactDetailId
);

/// At most this many e-mail addresses, and as many phone numbers, per contact.
pub const MAX_PER_KIND: usize = 10;

/// What a further detail is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DetailKind {
    Email,
    Phone,
}

impl DetailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DetailKind::Email => "email",
            DetailKind::Phone => "phone",
        }
    }

    fn parse(raw: &str) -> std::result::Result<Self, String> {
        match raw {
            "email" => Ok(DetailKind::Email),
            "phone" => Ok(DetailKind::Phone),
            other => Err(format!("must be email or phone, not {other:?}")),
        }
    }
}

/// A `contact_detail` row: an e-mail address or phone number after the contact's first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContactDetail {
    pub id: ContactDetailId,
    pub contact_id: ContactId,
    pub kind: DetailKind,
    pub value: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Unreadable::is_empty")]
    pub unreadable: Unreadable,
}

pub(crate) const COLUMNS: &str = "id, contact_id, kind, value, label, created_at, updated_at";

impl ContactDetail {
    /// The one decoder of a `contact_detail` row ([`COLUMNS`], in order).
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let mut c = r.record("contact_detail")?;
        let detail = ContactDetail {
            id: ContactDetailId::from(c.key()),
            contact_id: ContactId::from(c.text("contact_id")?),
            kind: c.parsed("kind", DetailKind::parse, DetailKind::Email)?,
            value: c.text("value")?,
            label: c.opt_text("label")?,
            created_at: c.timestamp("created_at")?,
            updated_at: c.timestamp("updated_at")?,
            unreadable: Unreadable::default(),
        };
        Ok(ContactDetail {
            unreadable: c.finish(),
            ..detail
        })
    }
}

/// A value with its label, as shown and as given.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default, deny_unknown_fields)]
pub struct Labeled {
    /// The e-mail address or phone number.
    pub value: String,
    /// What it is: work, home, mobile … (at most 40 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Every e-mail address and phone number of a contact, first ones first, with the rest of its
/// contact info.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactDetails {
    /// The `contact_info` row, when the contact has one.
    pub info: Option<ContactInfo>,
    pub emails: Vec<Labeled>,
    pub phones: Vec<Labeled>,
}

impl ContactDetails {
    /// Puts the first of each kind (from `info`) before the further ones.
    pub fn of(info: Option<ContactInfo>, more: Vec<ContactDetail>) -> Self {
        let mut emails = Vec::new();
        let mut phones = Vec::new();
        if let Some(i) = &info {
            if let Some(e) = &i.email {
                emails.push(Labeled {
                    value: e.clone(),
                    label: i.email_label.clone(),
                });
            }
            if let Some(p) = &i.phone_number {
                phones.push(Labeled {
                    value: p.clone(),
                    label: i.phone_label.clone(),
                });
            }
        }
        for d in more {
            let item = Labeled {
                value: d.value,
                label: d.label,
            };
            match d.kind {
                DetailKind::Email => emails.push(item),
                DetailKind::Phone => phones.push(item),
            }
        }
        ContactDetails {
            info,
            emails,
            phones,
        }
    }

    pub fn main_app(&self) -> Option<&str> {
        self.info.as_ref().and_then(|i| i.main_app.as_deref())
    }

    pub fn social_links(&self) -> &[String] {
        self.info.as_ref().map_or(&[], |i| &i.social_links)
    }

    pub fn is_empty(&self) -> bool {
        self.emails.is_empty()
            && self.phones.is_empty()
            && self.main_app().is_none()
            && self.social_links().is_empty()
    }
}

/// Every contact detail as typed into a form or sent as JSON: the e-mails and phones in their
/// order (blank ones dropped), the preferred app and the links.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactDetailsInput {
    pub emails: Vec<Labeled>,
    pub phones: Vec<Labeled>,
    pub main_app: Option<String>,
    pub social_links: Vec<String>,
}

/// A further detail to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDetail {
    kind: DetailKind,
    value: String,
    label: Option<String>,
}

/// Every contact detail, validated: built only by [`ContactDetailsInput::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContactDetails {
    info: NewContactInfo,
    more: Vec<NewDetail>,
}

impl NewContactDetails {
    pub fn info(&self) -> &NewContactInfo {
        &self.info
    }

    /// The details after the first of each kind.
    pub fn more(&self) -> impl Iterator<Item = (DetailKind, &str, Option<&str>)> {
        self.more
            .iter()
            .map(|d| (d.kind, d.value.as_str(), d.label.as_deref()))
    }
}

impl ContactDetailsInput {
    /// Parses every value; errors are named `emails.N`, `phones.N` (N from 0, counting the
    /// values that are not blank) and `main_app`, `social_links`.
    pub fn parse(&self) -> Result<NewContactDetails> {
        let mut errors = ValidationErrors::new();
        let emails = Self::kind(&mut errors, Kind::Emails, &self.emails, |v| {
            Email::parse(v).map(|e| e.as_str().to_string())
        });
        let phones = Self::kind(&mut errors, Kind::Phones, &self.phones, |v| {
            PhoneNumber::parse(v).map(|p| p.as_str().to_string())
        });
        let first = |list: &[(String, Option<String>)]| list.first().cloned().unzip();
        let (email, email_label) = first(&emails);
        let (phone_number, phone_label) = first(&phones);
        let info = ContactInfoInput {
            main_app: self.main_app.clone(),
            email,
            phone_number,
            social_links: self.social_links.clone(),
            email_label: email_label.flatten(),
            phone_label: phone_label.flatten(),
        }
        .parse();
        let info = match info {
            Ok(info) => Some(info),
            Err(Error::Validation(v)) => {
                for e in v.iter() {
                    errors.add(e.field, e.message.clone());
                }
                None
            }
            Err(e) => return Err(e),
        };
        errors.into_result()?;
        let more = [(DetailKind::Email, emails), (DetailKind::Phone, phones)]
            .into_iter()
            .flat_map(|(kind, list)| {
                list.into_iter()
                    .skip(1)
                    .map(move |(value, label)| NewDetail { kind, value, label })
            })
            .collect();
        Ok(NewContactDetails {
            info: info.ok_or_else(|| Error::validation("emails", "could not be read"))?,
            more,
        })
    }

    /// The non-blank values of one kind, each checked, with their labels.
    fn kind(
        errors: &mut ValidationErrors,
        field: Kind,
        given: &[Labeled],
        parse: impl Fn(&str) -> std::result::Result<String, String>,
    ) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        let mut kept = 0;
        for item in given {
            if item.value.trim().is_empty() {
                continue;
            }
            kept += 1;
            if kept > MAX_PER_KIND {
                errors.add(field.name(), format!("can hold at most {MAX_PER_KIND}"));
                break;
            }
            let value = parse(&item.value);
            let label = label(item.label.as_deref());
            match (value, label) {
                (Ok(v), Ok(l)) => {
                    if !out
                        .iter()
                        .any(|(o, _): &(String, _)| o.eq_ignore_ascii_case(&v))
                    {
                        out.push((v, l));
                    }
                }
                (Err(e), _) => errors.add(field.row(kept - 1), e),
                (_, Err(e)) => errors.add(field.row(kept - 1), format!("label {e}")),
            }
        }
        out
    }
}

/// The two lists of [`ContactDetailsInput`], for the names of their errors.
#[derive(Clone, Copy)]
enum Kind {
    Emails,
    Phones,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Emails => "emails",
            Kind::Phones => "phones",
        }
    }

    /// `emails.3`: the field of the fourth value.
    fn row(self, n: usize) -> &'static str {
        const EMAILS: [&str; MAX_PER_KIND] = [
            "emails.0", "emails.1", "emails.2", "emails.3", "emails.4", "emails.5", "emails.6",
            "emails.7", "emails.8", "emails.9",
        ];
        const PHONES: [&str; MAX_PER_KIND] = [
            "phones.0", "phones.1", "phones.2", "phones.3", "phones.4", "phones.5", "phones.6",
            "phones.7", "phones.8", "phones.9",
        ];
        let rows = match self {
            Kind::Emails => &EMAILS,
            Kind::Phones => &PHONES,
        };
        rows[n.min(MAX_PER_KIND - 1)]
    }
}

/// The repository of a contact's details: `contact_info` and `contact_detail` together.
#[derive(Clone, Copy)]
pub struct ContactDetailRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> ContactDetailRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        ContactDetailRepo { ex: ex.into() }
    }

    /// The further e-mails and phones of the user's contact (none for another user's).
    pub fn more(&self, user: &UserId, contact_id: &ContactId) -> Query<'e, Vec<ContactDetail>> {
        Query::rows(
            self.ex,
            format!(
                "SELECT {} FROM contact_detail d JOIN contact c ON c.id = d.contact_id \
                 WHERE d.contact_id = ?1 AND c.user_id = ?2 ORDER BY d.kind, d.position, d.id",
                qualified("d", COLUMNS)
            ),
            params![contact_id, user],
            |row| ContactDetail::read(&mut Reader::new(row)),
            Ok,
        )
    }

    /// Every detail of the user's contact; `NotFound` for another user's.
    pub fn get(&self, user: &UserId, contact_id: &ContactId) -> Query<'e, ContactDetails> {
        ContactInfoRepo::new(self.ex)
            .get(user, contact_id)
            .and(self.more(user, contact_id))
            .map(|(info, more)| ContactDetails::of(info, more))
    }

    /// Replaces every detail of the user's contact with `new`, in one unit of work (inside the
    /// caller's when there is one). Without any detail, the `contact_info` row goes.
    pub async fn save(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewContactDetails,
    ) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        if new.info.is_empty() {
            tx.execute(
                "DELETE FROM contact_info WHERE contact_id = ?1",
                params![contact_id],
            )
            .await?;
        } else {
            tx.contact_infos()
                .upsert(user, contact_id, &new.info)
                .await?;
        }
        tx.execute(
            "DELETE FROM contact_detail WHERE contact_id = ?1",
            params![contact_id],
        )
        .await?;
        let at = now().timestamp();
        for (position, d) in new.more.iter().enumerate() {
            tx.execute(
                "INSERT INTO contact_detail \
                 (id, contact_id, kind, value, label, position, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                vec![
                    Value::Text(new_id()),
                    contact_id.into(),
                    Value::Text(d.kind.as_str().to_string()),
                    Value::Text(d.value.clone()),
                    d.label.clone().into(),
                    Value::Integer(position as i64),
                    Value::Integer(at),
                ],
            )
            .await?;
        }
        tx.commit().await
    }
}

// Bulk writes and conversions for the transfers (imports, backups, the demo seed).

impl NewDetail {
    /// One further detail, checked as [`ContactDetailsInput::parse`] checks it (a backup's
    /// rows, restored one by one with their own times).
    pub fn parse(
        kind: DetailKind,
        value: &str,
        label: Option<&str>,
    ) -> std::result::Result<NewDetail, String> {
        let value = match kind {
            DetailKind::Email => Email::parse(value).map(|e| e.as_str().to_string())?,
            DetailKind::Phone => PhoneNumber::parse(value).map(|p| p.as_str().to_string())?,
        };
        let label = super::contact_info::label(label).map_err(|e| format!("label {e}"))?;
        Ok(NewDetail { kind, value, label })
    }
}

impl NewContactDetails {
    /// The same details as input again (to combine two sets and parse the result).
    pub fn to_input(&self) -> ContactDetailsInput {
        let mut input = ContactDetailsInput {
            main_app: self.info.main_app().map(str::to_string),
            social_links: self
                .info
                .social_links()
                .iter()
                .map(|l| l.as_str().to_string())
                .collect(),
            ..ContactDetailsInput::default()
        };
        if let Some(e) = self.info.email() {
            input.emails.push(Labeled {
                value: e.as_str().to_string(),
                label: self.info.email_label().map(str::to_string),
            });
        }
        if let Some(p) = self.info.phone_number() {
            input.phones.push(Labeled {
                value: p.as_str().to_string(),
                label: self.info.phone_label().map(str::to_string),
            });
        }
        for (kind, value, label) in self.more() {
            let item = Labeled {
                value: value.to_string(),
                label: label.map(str::to_string),
            };
            match kind {
                DetailKind::Email => input.emails.push(item),
                DetailKind::Phone => input.phones.push(item),
            }
        }
        input
    }

    /// These details with those of `other` this one lacks (two records of one import for the
    /// same person): the e-mails and phones it does not have after its own, up to
    /// [`MAX_PER_KIND`] of each; the app and the links when it has none.
    pub fn fill_blanks_from(&mut self, other: &NewContactDetails) {
        *self = self.combined_with(&other.to_input());
    }

    /// [`Self::fill_blanks_from`] with details as input.
    pub fn combined_with(&self, other: &ContactDetailsInput) -> NewContactDetails {
        // Both sides were valid, so the combination is; should it not be, nothing changes.
        combine(self.to_input(), other.clone())
            .parse()
            .unwrap_or_else(|_| self.clone())
    }

    /// Every e-mail address, lowercased (what an import recognises duplicates by).
    pub fn emails(&self) -> impl Iterator<Item = String> + '_ {
        self.info
            .email()
            .map(|e| e.as_str().to_lowercase())
            .into_iter()
            .chain(
                self.more
                    .iter()
                    .filter(|d| d.kind == DetailKind::Email)
                    .map(|d| d.value.to_lowercase()),
            )
    }

    pub fn is_empty(&self) -> bool {
        self.info.is_empty() && self.more.is_empty()
    }
}

impl<'e> ContactDetailRepo<'e> {
    /// Adds one further detail at `position` among those of its kind, deferred inside a unit
    /// of work (a restore, the demo seed): only to the user's own contact, whose id a subquery
    /// yields (NULL otherwise, which the NOT NULL column refuses, at the latest at commit).
    pub async fn insert_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        detail: &NewDetail,
        position: usize,
        stamps: crate::row::Stamps,
    ) -> Result<()> {
        let stmt = crate::query::Stmt::new(
            "INSERT INTO contact_detail \
             (id, contact_id, kind, value, label, position, created_at, updated_at) \
             VALUES (?1, (SELECT id FROM contact WHERE id = ?2 AND user_id = ?3), \
             ?4, ?5, ?6, ?7, ?8, ?9)",
            vec![
                Value::Text(new_id()),
                contact_id.into(),
                user.into(),
                Value::Text(detail.kind.as_str().to_string()),
                Value::Text(detail.value.clone()),
                detail.label.clone().into(),
                Value::Integer(position as i64),
                Value::Integer(stamps.created_at.timestamp()),
                Value::Integer(stamps.updated_at.timestamp()),
            ],
        )?;
        self.ex.defer(stmt).await
    }

    /// Writes every detail of a contact that has none yet (a new contact of an import or of
    /// the seed), deferred like [`Self::insert_deferred`].
    pub async fn create_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewContactDetails,
        stamps: crate::row::Stamps,
    ) -> Result<()> {
        if !new.info.is_empty() {
            ContactInfoRepo::new(self.ex)
                .upsert_deferred(user, contact_id, &new.info, stamps)
                .await?;
        }
        for (position, d) in new.more.iter().enumerate() {
            self.insert_deferred(user, contact_id, d, position, stamps)
                .await?;
        }
        Ok(())
    }

    /// Adds what `new` has and the contact lacks (an import merging into an existing
    /// contact): its e-mails and phones after the contact's own, the app and the links when
    /// it has none. Never removes or changes a stored detail.
    pub async fn merge(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        new: &NewContactDetails,
    ) -> Result<()> {
        let current = self.get(user, contact_id).await?;
        let current_input = ContactDetailsInput {
            emails: current.emails.clone(),
            phones: current.phones.clone(),
            main_app: current.main_app().map(str::to_string),
            social_links: current.social_links().to_vec(),
        };
        let combined = combine(current_input.clone(), new.to_input());
        let unchanged = combined.emails == current_input.emails
            && combined.phones == current_input.phones
            && combined.main_app == current_input.main_app
            && combined.social_links == current_input.social_links;
        if unchanged {
            return Ok(());
        }
        // Stored values another client wrote that our rules refuse are left as they are.
        let Ok(combined) = combined.parse() else {
            return Ok(());
        };
        self.save(user, contact_id, &combined).await
    }
}

/// `base` with what `other` adds: its e-mails and phones that `base` lacks after `base`'s own
/// (up to [`MAX_PER_KIND`] of each), its app and links when `base` has none.
fn combine(mut base: ContactDetailsInput, other: ContactDetailsInput) -> ContactDetailsInput {
    for (mine, theirs) in [
        (&mut base.emails, other.emails),
        (&mut base.phones, other.phones),
    ] {
        for item in theirs {
            let known = mine
                .iter()
                .any(|m| m.value.trim().eq_ignore_ascii_case(item.value.trim()));
            if mine.len() < MAX_PER_KIND && !known && !item.value.trim().is_empty() {
                mine.push(item);
            }
        }
    }
    if base.main_app.is_none() {
        base.main_app = other.main_app;
    }
    if base.social_links.is_empty() {
        base.social_links = other.social_links;
    }
    base
}
