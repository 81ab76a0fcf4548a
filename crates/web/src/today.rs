//! One notion of "today" per request: the moment the request is handled, read once, and its
//! date where the user lives (the time zone of their settings). The [`crate::page::Page`]
//! extractor makes it; the dashboard, the contact pages, follow-ups, the interaction log and
//! every relative date ("12 days ago") use it, so two pages never disagree about what day it
//! is, nor does one page with itself around midnight.
//!
//! Two kinds of timestamps meet it. Moments (`created_at`, `last_update`, `completed_at`) fall
//! on the date they have in the user's zone ([`Today::when_at`]). Calendar days (an
//! interaction's `date`, a contact's `last_contacted`) are stored as their midnight UTC: their
//! UTC date is the day itself, in any zone ([`Today::when_day`]).

use chrono::{DateTime, NaiveDate, Utc};
use devhub_db::TimeZone;

use crate::format::When;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Today {
    /// The moment the request is handled.
    pub now: DateTime<Utc>,
    /// The user's time zone.
    pub zone: TimeZone,
    /// `now`'s date in `zone`.
    pub date: NaiveDate,
}

impl Today {
    /// Today as of `now` in `zone`.
    pub fn at(now: DateTime<Utc>, zone: TimeZone) -> Self {
        Today {
            now,
            zone,
            date: zone.date_at(now),
        }
    }

    /// The date a moment falls on where the user lives.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        self.zone.date_at(at)
    }

    /// `date` as shown: relative to today ("yesterday"), the exact date on hover.
    pub fn when(&self, date: NaiveDate) -> When {
        When::of_date(date, self.date)
    }

    /// A moment (a record's creation, an edit) on its date where the user lives.
    pub fn when_at(&self, at: DateTime<Utc>) -> When {
        self.when(self.date_of(at))
    }

    /// A calendar day stored as its midnight UTC (an interaction's date, `last_contacted`).
    pub fn when_day(&self, day: DateTime<Utc>) -> When {
        self.when(day.date_naive())
    }

    /// `2025-03-10`: what date fields default to and are bounded by.
    pub fn iso(&self) -> String {
        self.date.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap_or_default()
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn today_is_the_date_where_the_user_lives() {
        let now = at("2025-03-10T20:00:00Z");
        assert_eq!(Today::at(now, zone("UTC")).date, d("2025-03-10"));
        assert_eq!(
            Today::at(now, zone("Pacific/Kiritimati")).date,
            d("2025-03-11")
        );
        assert_eq!(
            Today::at(now, zone("Pacific/Pago_Pago")).date,
            d("2025-03-10")
        );
        let morning = at("2025-03-10T05:00:00Z");
        assert_eq!(
            Today::at(morning, zone("Pacific/Pago_Pago")).date,
            d("2025-03-09")
        );
        assert_eq!(Today::at(now, zone("UTC")).iso(), "2025-03-10");
    }

    #[test]
    fn moments_read_in_the_users_zone_and_calendar_days_as_stored() {
        // 20:00 UTC on the 10th is already the 11th in Kiritimati (UTC+14).
        let today = Today::at(at("2025-03-10T20:00:00Z"), zone("Pacific/Kiritimati"));
        // Created at 09:00 UTC on the 10th: 23:00 on the 10th there, yesterday.
        assert_eq!(
            today.when_at(at("2025-03-10T09:00:00Z")).relative,
            "yesterday"
        );
        // Created at 11:00 UTC: already the 11th there, today.
        assert_eq!(today.when_at(at("2025-03-10T11:00:00Z")).relative, "today");
        // An interaction logged for the 11th is stored as its midnight UTC: today.
        let day = at("2025-03-11T00:00:00Z");
        assert_eq!(today.when_day(day).relative, "today");
        assert_eq!(today.when_day(day).iso, "2025-03-11");
    }
}
