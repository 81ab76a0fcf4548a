//! How things read on the pages: dates relative ("12 days ago") with the exact date on hover,
//! and the names of the interaction types.

use std::borrow::Borrow;

use chrono::{Datelike, NaiveDate};
use devhub_db::InteractionType;

/// A moment as shown: `<time datetime="{iso}" title="{exact}">{relative}</time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub relative: String,
    pub exact: String,
    pub iso: String,
}

impl When {
    /// "Today", "Yesterday" or the date: the heading of a day's entries in a timeline.
    pub fn day_heading(&self) -> String {
        match self.relative.as_str() {
            "today" => "Today".to_string(),
            "yesterday" => "Yesterday".to_string(),
            _ => self.exact.clone(),
        }
    }

    pub fn of_date(date: NaiveDate, today: NaiveDate) -> Self {
        When {
            relative: relative_days((today - date).num_days()),
            exact: long_date(date),
            iso: date.to_string(),
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

/// The months' names. Dates on the pages are written from these rather than through chrono's
/// `format`, which parses its pattern on every call: formatting the dates of a list page was a
/// tenth of its time.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "March".
pub fn month_name(date: NaiveDate) -> &'static str {
    MONTHS[date.month0() as usize]
}

/// "March 3, 2024".
pub fn long_date(date: NaiveDate) -> String {
    format!("{} {}, {:04}", month_name(date), date.day(), date.year())
}

/// A birthday as the contact page writes it: "May 31, 1990", or "August 17" for one given
/// without its year (an import's `--0817`), whose stored year is no birth year.
pub fn birthday_date(date: NaiveDate) -> String {
    if devhub_db::transfer::birthday_without_year(date) {
        format!("{} {}", month_name(date), date.day())
    } else {
        long_date(date)
    }
}

/// "Mar 3".
pub fn short_date(date: NaiveDate) -> String {
    format!("{} {}", &month_name(date)[..3], date.day())
}

/// "Call", as a badge and the type menus read.
pub fn interaction_label(kind: InteractionType) -> &'static str {
    match kind {
        InteractionType::Meeting => "Meeting",
        InteractionType::Call => "Call",
        InteractionType::Email => "Email",
        InteractionType::Message => "Message",
        InteractionType::Other => "Other",
    }
}

/// How a sentence names an interaction: "Call with Ada logged." ("Other with Ada" would not
/// read, so that type is an "Interaction").
pub fn interaction_noun(kind: InteractionType) -> &'static str {
    match kind {
        InteractionType::Other => "Interaction",
        other => interaction_label(other),
    }
}

/// The choices of the type menus, every type in order: `(value, label)`.
pub fn interaction_options() -> [(&'static str, &'static str); 5] {
    InteractionType::ALL.map(|kind| (kind.as_str(), interaction_label(kind)))
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
    fn counts_use_the_singular_for_one() {
        assert_eq!(count_of(1, "contact", "contacts"), "1 contact");
        assert_eq!(count_of(0, "contact", "contacts"), "0 contacts");
        assert_eq!(count_of(37, "contact", "contacts"), "37 contacts");
        assert_eq!(count_of(1200, "contact", "contacts"), "1,200 contacts");
    }

    #[test]
    fn a_birthday_without_its_year_is_written_without_one() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(birthday_date(d(1990, 5, 31)), "May 31, 1990");
        let yearless = d(devhub_db::transfer::YEARLESS_BIRTHDAY_YEAR, 8, 17);
        assert_eq!(birthday_date(yearless), "August 17");
    }

    #[test]
    fn when_carries_the_exact_date_for_hovering() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 3).unwrap_or_default();
        let w = When::of_date(d, d + chrono::Days::new(12));
        assert_eq!(w.relative, "12 days ago");
        assert_eq!(w.exact, "March 3, 2024");
        assert_eq!(w.iso, "2024-03-03");
    }

    #[test]
    fn dates_read_as_chronos_patterns_would_write_them() {
        let mut day = NaiveDate::from_ymd_opt(1999, 12, 25).unwrap_or_default();
        for _ in 0..800 {
            assert_eq!(long_date(day), day.format("%B %-d, %Y").to_string());
            assert_eq!(short_date(day), day.format("%b %-d").to_string());
            assert_eq!(month_name(day), day.format("%B").to_string());
            assert_eq!(
                When::of_date(day, day).iso,
                day.format("%Y-%m-%d").to_string()
            );
            day = day + chrono::Days::new(3);
        }
        let early = NaiveDate::from_ymd_opt(812, 1, 9).unwrap_or_default();
        assert_eq!(long_date(early), early.format("%B %-d, %Y").to_string());
    }

    #[test]
    fn the_type_menu_offers_every_type_in_order() {
        assert_eq!(
            interaction_options(),
            [
                ("meeting", "Meeting"),
                ("call", "Call"),
                ("email", "Email"),
                ("message", "Message"),
                ("other", "Other"),
            ]
        );
        assert_eq!(interaction_noun(InteractionType::Other), "Interaction");
        assert_eq!(interaction_noun(InteractionType::Call), "Call");
    }
}

/// A list's total as the pages show it, thousands grouped, and "10,000+" where counting
/// stopped ([`devhub_db::COUNT_LIMIT`]; a kept count above it is exact and shown as it is).
pub fn total(n: u64) -> String {
    total_up_to(n, devhub_db::COUNT_LIMIT)
}

/// A count, thousands grouped, with "+" when it is "at least".
/// (Templates pass references: both are borrowed.)
pub fn at_least(n: impl Borrow<u64>, at_least: impl Borrow<bool>) -> String {
    let mut shown = count(*n.borrow());
    if *at_least.borrow() {
        shown.push('+');
    }
    shown
}

/// `singular` for one of a thing, `plural` for any other number of them.
pub fn plural<'a>(n: u64, singular: &'a str, plural: &'a str) -> &'a str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

/// "1 contact", "3 contacts", "1,200 contacts".
pub fn count_of(n: u64, singular: &str, plural: &str) -> String {
    format!("{} {}", count(n), self::plural(n, singular, plural))
}

/// An exact count, thousands grouped. (Templates pass references: it is borrowed.)
pub fn count(n: impl Borrow<u64>) -> String {
    total_up_to(*n.borrow(), 0)
}

/// [`total`] of a count that stops at `limit` (0: an exact count).
pub fn total_up_to(n: u64, limit: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if limit > 0 && n == limit {
        out.push('+');
    }
    out
}

#[cfg(test)]
mod total_tests {
    use super::{count, total};

    #[test]
    fn totals_group_thousands_and_say_where_counting_stopped() {
        assert_eq!(total(0), "0");
        assert_eq!(total(999), "999");
        assert_eq!(total(1_000), "1,000");
        assert_eq!(total(9_999), "9,999");
        assert_eq!(total(devhub_db::COUNT_LIMIT), "10,000+");
        assert_eq!(total(100_000), "100,000");
        assert_eq!(count(10_000), "10,000");
    }
}

/// A person's avatar without a photo: up to two initials (of the first and the last word) on
/// one of eight colours derived from the name, so that a name always looks the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    pub initials: String,
    /// 0–7: the `avatar-N` class of the colour.
    pub hue: u8,
}

impl Avatar {
    pub fn of(name: &str) -> Self {
        let words: Vec<&str> = name
            .split_whitespace()
            .filter(|w| w.chars().next().is_some_and(char::is_alphanumeric))
            .collect();
        let first = |w: &&str| w.chars().next().map(|c| c.to_uppercase().to_string());
        let initials = match words.as_slice() {
            [] => "?".to_string(),
            [one] => first(one).unwrap_or_default(),
            [one, .., last] => format!(
                "{}{}",
                first(one).unwrap_or_default(),
                first(last).unwrap_or_default()
            ),
        };
        // FNV-1a over the lowercased name: stable across runs and builds.
        let hash = name.to_lowercase().bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        Avatar {
            initials,
            hue: (hash % 8) as u8,
        }
    }
}

#[cfg(test)]
mod avatar_tests {
    use super::Avatar;

    #[test]
    fn initials_come_from_the_first_and_last_words_and_the_colour_from_the_name() {
        assert_eq!(Avatar::of("Ada Lovelace").initials, "AL");
        assert_eq!(Avatar::of("Grace Brewster Murray Hopper").initials, "GH");
        assert_eq!(Avatar::of("linus").initials, "L");
        assert_eq!(Avatar::of("Émile (work) Zola").initials, "ÉZ");
        assert_eq!(Avatar::of("  ").initials, "?");
        assert_eq!(
            Avatar::of("Ada Lovelace").hue,
            Avatar::of("ada lovelace").hue
        );
        let hues: std::collections::HashSet<u8> = [
            "Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Alan",
            "Edsger",
        ]
        .iter()
        .map(|n| Avatar::of(n).hue)
        .collect();
        assert!(hues.len() >= 4, "names spread over the colours: {hues:?}");
    }
}
