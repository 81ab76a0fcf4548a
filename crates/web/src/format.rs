//! How dates read on the pages: relative ("12 days ago") with the exact date on hover.

use chrono::{DateTime, NaiveDate, Utc};

/// A moment as shown: `<time datetime="{iso}" title="{exact}">{relative}</time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub relative: String,
    pub exact: String,
    pub iso: String,
}

impl When {
    pub fn of(at: DateTime<Utc>) -> Self {
        Self::of_date(at.date_naive(), Utc::now().date_naive())
    }

    pub fn of_date(date: NaiveDate, today: NaiveDate) -> Self {
        When {
            relative: relative_days((today - date).num_days()),
            exact: long_date(date),
            iso: date.format("%Y-%m-%d").to_string(),
        }
    }
}

/// "today", "yesterday", "12 days ago", "3 months ago", "2 years ago", "tomorrow", "in 5 days".
pub fn relative_days(days_ago: i64) -> String {
    match days_ago {
        0 => "today".into(),
        1 => "yesterday".into(),
        -1 => "tomorrow".into(),
        d if d < 0 => format!("in {} days", -d),
        d if d < 60 => format!("{d} days ago"),
        d if d < 730 => format!("{} months ago", d / 30),
        d => format!("{} years ago", d / 365),
    }
}

/// "March 3, 2024".
pub fn long_date(date: NaiveDate) -> String {
    date.format("%B %-d, %Y").to_string()
}

/// "Mar 3".
pub fn short_date(date: NaiveDate) -> String {
    date.format("%b %-d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_days_read_naturally() {
        assert_eq!(relative_days(0), "today");
        assert_eq!(relative_days(1), "yesterday");
        assert_eq!(relative_days(12), "12 days ago");
        assert_eq!(relative_days(75), "2 months ago");
        assert_eq!(relative_days(800), "2 years ago");
        assert_eq!(relative_days(-3), "in 3 days");
    }

    #[test]
    fn when_carries_the_exact_date_for_hovering() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 3).unwrap_or_default();
        let w = When::of_date(d, d + chrono::Days::new(12));
        assert_eq!(w.relative, "12 days ago");
        assert_eq!(w.exact, "March 3, 2024");
        assert_eq!(w.iso, "2024-03-03");
    }
}
