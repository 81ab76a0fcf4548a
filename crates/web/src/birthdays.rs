//! When birthdays come round: pure date arithmetic, kept apart so that the year wrap and
//! 29 February are tested without a clock.

use chrono::{Datelike, NaiveDate};

/// The next time a birthday is celebrated, seen from a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextBirthday {
    /// The day it is celebrated (28 February for a 29 February birthday in a common year).
    pub date: NaiveDate,
    /// Days from today: 0 is today.
    pub days: i64,
    /// The age the person turns, when the birth year is known (not a birthday imported
    /// without one) and plausible (1 to 120 years ago).
    pub turns: Option<u32>,
}

impl NextBirthday {
    /// "today!", "in 1 day", "in 12 days".
    pub fn text(&self) -> String {
        match self.days {
            0 => "today!".to_string(),
            1 => "in 1 day".to_string(),
            n => format!("in {n} days"),
        }
    }
}

/// The day a birthday falls on in `year`: a 29 February birthday is kept on 28 February in
/// common years.
fn in_year(birthday: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28).filter(|_| birthday.month() == 2))
}

/// The next celebration of `birthday` on or after `today`.
pub fn next_birthday(birthday: NaiveDate, today: NaiveDate) -> Option<NextBirthday> {
    let this_year = in_year(birthday, today.year())?;
    let date = if this_year >= today {
        this_year
    } else {
        in_year(birthday, today.year() + 1)?
    };
    let age = date.year() - birthday.year();
    Some(NextBirthday {
        date,
        days: (date - today).num_days(),
        turns: u32::try_from(age)
            .ok()
            .filter(|age| (1..=120).contains(age))
            .filter(|_| !devhub_db::transfer::birthday_without_year(birthday)),
    })
}

/// The birthdays celebrated within `days` days from `today` (today included), soonest first,
/// then by the order given.
pub fn upcoming<T>(
    birthdays: impl IntoIterator<Item = (T, NaiveDate)>,
    today: NaiveDate,
    days: i64,
) -> Vec<(T, NextBirthday)> {
    let mut soon: Vec<_> = birthdays
        .into_iter()
        .filter_map(|(item, birthday)| {
            next_birthday(birthday, today)
                .filter(|next| next.days <= days)
                .map(|next| (item, next))
        })
        .collect();
    soon.sort_by_key(|(_, next)| next.days);
    soon
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn next(birthday: NaiveDate, today: NaiveDate) -> (NaiveDate, i64, Option<u32>) {
        let n = next_birthday(birthday, today).unwrap_or(NextBirthday {
            date: NaiveDate::MIN,
            days: -1,
            turns: None,
        });
        (n.date, n.days, n.turns)
    }

    #[test]
    fn a_birthday_today_is_zero_days_away_and_counts_the_new_age() {
        assert_eq!(
            next(d(1990, 6, 15), d(2025, 6, 15)),
            (d(2025, 6, 15), 0, Some(35))
        );
    }

    #[test]
    fn a_birthday_later_this_year_is_this_year() {
        assert_eq!(
            next(d(1990, 6, 18), d(2025, 6, 15)),
            (d(2025, 6, 18), 3, Some(35))
        );
    }

    #[test]
    fn a_birthday_already_past_this_year_wraps_to_next_year() {
        assert_eq!(
            next(d(1990, 6, 14), d(2025, 6, 15)),
            (d(2026, 6, 14), 364, Some(36))
        );
        // December → January.
        assert_eq!(
            next(d(1980, 1, 3), d(2025, 12, 20)),
            (d(2026, 1, 3), 14, Some(46))
        );
        assert_eq!(
            next(d(1980, 12, 31), d(2025, 12, 31)),
            (d(2025, 12, 31), 0, Some(45))
        );
        assert_eq!(
            next(d(1980, 1, 1), d(2025, 12, 31)),
            (d(2026, 1, 1), 1, Some(46))
        );
    }

    #[test]
    fn a_29_february_birthday_is_on_the_29th_in_leap_years() {
        assert_eq!(
            next(d(2000, 2, 29), d(2024, 2, 20)),
            (d(2024, 2, 29), 9, Some(24))
        );
        assert_eq!(
            next(d(2000, 2, 29), d(2024, 2, 29)),
            (d(2024, 2, 29), 0, Some(24))
        );
    }

    #[test]
    fn a_29_february_birthday_is_on_the_28th_in_common_years() {
        assert_eq!(
            next(d(2000, 2, 29), d(2025, 2, 20)),
            (d(2025, 2, 28), 8, Some(25))
        );
        assert_eq!(
            next(d(2000, 2, 29), d(2025, 2, 28)),
            (d(2025, 2, 28), 0, Some(25))
        );
        // Once past in a common year, the next one is in the following (leap) year.
        assert_eq!(
            next(d(2000, 2, 29), d(2027, 3, 1)),
            (d(2028, 2, 29), 365, Some(28))
        );
        // From late in a leap year into a common year.
        assert_eq!(
            next(d(2000, 2, 29), d(2024, 12, 31)),
            (d(2025, 2, 28), 59, Some(25))
        );
    }

    #[test]
    fn implausible_ages_are_not_shown() {
        assert_eq!(next(d(1900, 3, 1), d(2025, 2, 20)).2, None, "125");
        assert_eq!(next(d(1905, 3, 1), d(2025, 2, 20)).2, Some(120));
        // Born earlier this year: the first birthday is next year.
        assert_eq!(next(d(2025, 1, 5), d(2025, 2, 20)).2, Some(1));
        assert_eq!(next(d(2025, 2, 20), d(2025, 2, 20)).2, None, "born today");
    }

    #[test]
    fn a_birthday_without_its_year_turns_no_age() {
        let yearless = d(devhub_db::transfer::YEARLESS_BIRTHDAY_YEAR, 8, 17);
        // 1904 is 120 years before 2024: a plausible age, were it a birth year.
        assert_eq!(next(yearless, d(2024, 8, 1)), (d(2024, 8, 17), 16, None));
        assert_eq!(next(yearless, d(2026, 8, 17)), (d(2026, 8, 17), 0, None));
    }

    #[test]
    fn upcoming_keeps_the_next_days_soonest_first() {
        let today = d(2025, 12, 20);
        let people = [
            ("in 30", d(1990, 1, 19)),
            ("in 31", d(1990, 1, 20)),
            ("today", d(1990, 12, 20)),
            ("yesterday", d(1990, 12, 19)),
            ("in 12", d(1990, 1, 1)),
        ];
        let soon: Vec<_> = upcoming(people, today, 30)
            .into_iter()
            .map(|(name, next)| (name, next.days))
            .collect();
        assert_eq!(soon, [("today", 0), ("in 12", 12), ("in 30", 30)]);
    }

    #[test]
    fn the_countdown_reads_naturally() {
        let on = |days| {
            NextBirthday {
                date: d(2025, 1, 1),
                days,
                turns: None,
            }
            .text()
        };
        assert_eq!(
            (on(0), on(1), on(12)),
            ("today!".into(), "in 1 day".into(), "in 12 days".into())
        );
    }
}
