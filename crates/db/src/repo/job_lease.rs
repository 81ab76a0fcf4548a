//! Leases on periodic jobs (`job_lease`): several instances of the app on one database each
//! run the same timers, and the one that takes a job's lease does the work for that period.

use chrono::{DateTime, Utc};
use libsql::params;

use super::query_one;
use crate::db::Executor;
use crate::error::Result;

#[derive(Clone, Copy)]
pub struct JobLeaseRepo<'e> {
    ex: Executor<'e>,
}

impl<'e> JobLeaseRepo<'e> {
    pub fn new(ex: impl Into<Executor<'e>>) -> Self {
        JobLeaseRepo { ex: ex.into() }
    }

    /// Takes the lease on `job` for `holder` until `until`, if nobody else holds it at `now`
    /// (its holder renews it): `true` when `holder` is to do the job. One statement, so two
    /// instances asking at once cannot both get it.
    pub async fn take(
        &self,
        job: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let conn = self.ex.conn().await?;
        let taken = query_one(
            &conn,
            "INSERT INTO job_lease (name, holder, expires_at, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at, updated_at = excluded.updated_at \
             WHERE job_lease.expires_at <= ?4 OR job_lease.holder = ?2 RETURNING holder",
            params![job, holder, until.timestamp(), now.timestamp()],
            |_| Ok(()),
        )
        .await?;
        Ok(taken.is_some())
    }
}
