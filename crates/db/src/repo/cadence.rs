//! Reconnect cadences: the `contact_cadence` table (a contact's own "every N days") and the
//! rule that decides who is due for a reconnect.
//!
//! A contact's cadence is its own, or else its owner's default for VIPs or for everyone else
//! (`user_settings`). It is due once its last contact (never contacted: when it was added)
//! plus the cadence has passed.

use chrono::{DateTime, Utc};
use libsql::{params, Row};

use super::contact::{self, Contact, ContactId, COLUMNS as CONTACT_COLUMNS, MAX_PER_PAGE};
use super::qualified;
use super::user::UserId;
use super::user_settings::{self, CadenceDays};
use crate::db::Executor;
use crate::error::Result;
use crate::query::{Query, Stmt};
use crate::row::{timestamp, Reader, Stamps};

const DAY: i64 = 24 * 60 * 60;

/// A contact due for a reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueContact {
    pub contact: Contact,
    /// The cadence that applies to it.
    pub cadence_days: u32,
    /// Whether the cadence is the contact's own rather than a default.
    pub own_cadence: bool,
    /// When the last contact plus the cadence passed.
    pub due_since: DateTime<Utc>,
}

impl DueContact {
    /// Whole days from `due_since` to `at`.
    pub fn days_overdue(&self, at: DateTime<Utc>) -> i64 {
        (at - self.due_since).num_days().max(0)
    }

    fn from_row(row: &Row) -> Result<Self> {
        let mut r = Reader::new(row);
        let contact = Contact::read(&mut r)?;
        Ok(DueContact {
            contact,
            cadence_days: CadenceDays::from_column(r.integer()?, "contact_cadence.days")?.get(),
            own_cadence: r.integer()? == 1,
            due_since: timestamp(r.integer()?, "contact.last_contacted")?,
        })
    }
}

/// A `contact_cadence` row: a contact's own reconnect cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactCadence {
    pub days: CadenceDays,
    pub stamps: Stamps,
}

impl ContactCadence {
    /// The one decoder of a `contact_cadence` row (contact_id, days, created_at, updated_at).
    fn from_row(row: &Row) -> Result<Self> {
        Ok(ContactCadence {
            days: CadenceDays::from_column(row.get(1)?, "contact_cadence.days")?,
            stamps: Stamps {
                created_at: timestamp(row.get(2)?, "contact_cadence.created_at")?,
                updated_at: timestamp(row.get(3)?, "contact_cadence.updated_at")?,
            },
        })
    }
}

#[derive(Clone, Copy)]
pub struct CadenceRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> CadenceRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        CadenceRepo { ex: ex.into() }
    }

    /// The contact's own cadence, if it has one.
    pub fn get(&self, user: &UserId, contact_id: &ContactId) -> Query<'e, Option<CadenceDays>> {
        self.get_row(user, contact_id)
            .map(|cadence| cadence.map(|c| c.days))
    }

    /// The contact's own cadence with its times, if it has one.
    pub fn get_row(
        &self,
        user: &UserId,
        contact_id: &ContactId,
    ) -> Query<'e, Option<ContactCadence>> {
        let cadence = Query::one(
            self.ex,
            "SELECT contact_id, days, created_at, updated_at FROM contact_cadence \
             WHERE contact_id = ?1",
            [contact_id],
            ContactCadence::from_row,
        );
        contact::owned(self.ex, user, contact_id)
            .and(cadence)
            .map(|((), cadence)| cadence)
    }

    /// Gives the contact its own cadence, or (`None`) returns it to the user's default.
    pub async fn set(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        days: Option<CadenceDays>,
    ) -> Result<()> {
        self.set_at(user, contact_id, days, Stamps::now()).await
    }

    /// [`Self::set`] with the given times (a restore keeps the original ones).
    pub async fn set_at(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        days: Option<CadenceDays>,
        stamps: Stamps,
    ) -> Result<()> {
        let tx = self.ex.begin_write().await?;
        contact::ensure_owned(&tx, user, contact_id).await?;
        match days {
            Some(days) => {
                let stmt = set_statement(user, contact_id, days, stamps)?;
                tx.execute(&stmt.sql, stmt.values).await?;
            }
            None => {
                tx.execute(
                    "DELETE FROM contact_cadence WHERE contact_id = ?1",
                    [contact_id],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// [`Self::set_at`] with days, for bulk writes (a restore): the same statement, deferred
    /// inside a unit of work (on a server it goes with hundreds of others in one request). A
    /// contact that is not the user's fails the unit of work (a NOT NULL error, at the latest
    /// at its commit) instead of answering `NotFound` here.
    pub async fn set_deferred(
        &self,
        user: &UserId,
        contact_id: &ContactId,
        days: CadenceDays,
        stamps: Stamps,
    ) -> Result<()> {
        let stmt = set_statement(user, contact_id, days, stamps)?;
        self.ex.defer(stmt).await
    }

    /// The user's active contacts due for a reconnect at `at`, the most overdue first (ties by
    /// name); at most `limit` of them, with how many there are in all (counted up to
    /// [`crate::COUNT_LIMIT`]).
    ///
    /// Three streams, each read in order from an index and cut at `limit`, then merged: VIPs
    /// and other contacts on their owner's defaults (the cadence is the same for a whole
    /// stream, so the most overdue are those contacted longest ago, in
    /// `contact_user_reconnect_idx`), and contacts with a cadence of their own (read from
    /// `contact_cadence`, which holds only those: `CROSS JOIN` keeps the planner from walking
    /// all of the owner's contacts to find them).
    pub fn due(
        &self,
        user: &UserId,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Query<'e, (Vec<DueContact>, u64)> {
        let limit = i64::from(limit.clamp(1, MAX_PER_PAGE));
        let since = "coalesce(c.last_contacted, c.created_at)";
        // ?1 user, ?2/?3 the built-in defaults, ?4 now, ?5 limit.
        let default_days = |vip: bool| {
            let (column, fallback) = if vip {
                ("vip_cadence_days", "?2")
            } else {
                ("cadence_days", "?3")
            };
            format!("coalesce((SELECT {column} FROM user_settings WHERE user_id = ?1), {fallback})")
        };
        let on_default = |vip: bool, select: &str, tail: &str| {
            let days = default_days(vip);
            format!(
                "SELECT {select} FROM contact c \
                 WHERE c.user_id = ?1 AND c.status = 'active' AND c.vip = {} \
                 AND {since} <= ?4 - {DAY} * {days} \
                 AND NOT EXISTS (SELECT 1 FROM contact_cadence cc WHERE cc.contact_id = c.id) {tail}",
                i64::from(vip)
            )
        };
        let columns = qualified("c", CONTACT_COLUMNS);
        let stream = |vip: bool| {
            let days = default_days(vip);
            on_default(
                vip,
                &format!(
                    "{columns}, {days} AS cadence, 0 AS own, {since} + {DAY} * {days} AS due_since"
                ),
                &format!("ORDER BY {since}, c.name COLLATE NOCASE, c.id LIMIT +?5"),
            )
        };
        let own = |select: &str, tail: &str| {
            format!(
                "SELECT {select} FROM contact_cadence cc CROSS JOIN contact c ON c.id = cc.contact_id \
                 WHERE c.user_id = ?1 AND c.status = 'active' \
                 AND {since} + {DAY} * cc.days <= ?4 {tail}"
            )
        };
        let own_stream = own(
            &format!(
                "{columns}, cc.days AS cadence, 1 AS own, {since} + {DAY} * cc.days AS due_since"
            ),
            "ORDER BY due_since, c.name COLLATE NOCASE, c.id LIMIT +?5",
        );
        let params = || {
            params![
                user,
                i64::from(user_settings::DEFAULT_VIP_CADENCE_DAYS),
                i64::from(user_settings::DEFAULT_CADENCE_DAYS),
                at.timestamp(),
                limit
            ]
        };
        let contacts = Query::all(
            self.ex,
            format!(
                "SELECT * FROM (SELECT * FROM ({}) UNION ALL SELECT * FROM ({}) \
                 UNION ALL SELECT * FROM ({})) \
                 ORDER BY due_since, name COLLATE NOCASE, id LIMIT +?5",
                stream(true),
                stream(false),
                own_stream
            ),
            params(),
            DueContact::from_row,
        );
        // The dashboard's figure: counted up to FIGURE_COUNT_LIMIT ("at least").
        let cap = crate::FIGURE_COUNT_LIMIT;
        let total = Query::count(
            self.ex,
            format!(
                "SELECT count(*) FROM ({} UNION ALL {} UNION ALL {} LIMIT {cap}) WHERE ?5 > 0",
                on_default(true, "1", ""),
                on_default(false, "1", ""),
                own("1", "")
            ),
            params(),
        );
        contacts.and(total)
    }
}

/// The one INSERT of the table: only for the user's own contact, whose id a subquery yields
/// (NULL otherwise, which the NOT NULL column refuses).
fn set_statement(
    user: &UserId,
    contact_id: &ContactId,
    days: CadenceDays,
    stamps: Stamps,
) -> Result<Stmt> {
    Stmt::new(
        "INSERT INTO contact_cadence (contact_id, days, created_at, updated_at) \
         VALUES ((SELECT id FROM contact WHERE id = ?1 AND user_id = ?5), ?2, ?3, ?4) \
         ON CONFLICT (contact_id) DO UPDATE SET days = ?2, updated_at = ?4",
        params![
            contact_id,
            i64::from(days.get()),
            stamps.created_at.timestamp(),
            stamps.updated_at.timestamp(),
            user
        ],
    )
}
