//! Parse, don't validate: the checks every write goes through, as functions from raw input to
//! a typed value or a message for the field.

use chrono::{NaiveDate, Utc};

pub const MAX_NAME: usize = 200;
pub const MAX_SHORT_TEXT: usize = 200;
pub const MAX_LONG_TEXT: usize = 10_000;
pub const MAX_URL: usize = 2_048;
pub const MAX_EMAIL: usize = 254;
pub const MAX_SOCIAL_LINKS: usize = 20;
pub const MAX_PHONE: usize = 40;

/// A username: 3–32 characters of `a-z 0-9 _ -` (input is trimmed and lowercased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim().to_ascii_lowercase();
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err("must be 3 to 32 characters long".into());
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err("may only contain letters a–z, digits, _ and -".into());
        }
        Ok(Username(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A required line of text, trimmed, at most `max` characters as sent (white space around
/// included, so that a JSON Schema `maxLength` states the same rule).
pub fn required_text(raw: &str, max: usize) -> Result<String, String> {
    let s = bounded(raw, max)?.trim();
    if s.is_empty() {
        return Err("is required".into());
    }
    Ok(s.to_string())
}

/// An optional text: blank means absent.
pub fn optional_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match raw {
        None => Ok(None),
        Some(raw) => {
            let s = bounded(raw, max)?.trim();
            Ok((!s.is_empty()).then(|| s.to_string()))
        }
    }
}

/// The control characters a text may not hold (all but tab, line feed and carriage return):
/// the body of a regular expression's character class, for [`TEXT_PATTERN`] and the others.
const CONTROL: &str = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F";
/// White space as `str::trim` removes it (Unicode `White_Space`), as a class body.
const SPACE: &str = r"\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The rule of [`optional_text`] as a regular expression (ECMA-262 and Python agree on it):
/// no control characters but tab, line feed and carriage return.
pub fn text_pattern() -> String {
    format!("^[^{CONTROL}]*$")
}

/// The rule of [`required_text`] as a regular expression: as [`text_pattern`], and at least one
/// character that is not white space.
pub fn required_text_pattern() -> String {
    format!("^[^{CONTROL}]*[^{CONTROL}{SPACE}][^{CONTROL}]*$")
}

/// `inner` with white space around it, or white space alone when `optional` (blank means
/// absent), as the validators that trim their input accept it.
pub fn padded_pattern(inner: &str, optional: bool) -> String {
    let q = if optional { "?" } else { "" };
    format!("^[{SPACE}]*(?:{inner}){q}[{SPACE}]*$")
}

/// [`email`]'s shape as a regular expression, without anchors.
pub fn email_shape() -> String {
    let part = format!(r#"[^@{SPACE}\x00-\x1F\x7F-\x9F<>()\[\],;:"]+"#);
    let label = format!(r#"[^@.{SPACE}\x00-\x1F\x7F-\x9F<>()\[\],;:"]+"#);
    format!(r"{part}@{label}(?:\.{label})+")
}

/// [`phone`]'s shape as a regular expression, without anchors: the separators and at least
/// three digits.
pub fn phone_shape() -> String {
    r"(?:[ +\-().,/x]*[0-9]){3}[0-9 +\-().,/x]*".to_string()
}

/// A subset of the addresses [`web_address`] accepts, as a regular expression without anchors:
/// http(s) with a host name (whose last label starts with a letter) and a port below 10000, or
/// such a host name with a dot and no scheme (`github.com/ada`, taken as https), then printable
/// ASCII. Every address it matches parses (a bare one within [`MAX_URL`] once `https://` is
/// put in front of it).
pub fn url_shape() -> String {
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    let last = "[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    format!(
        r"(?:[Hh][Tt][Tt][Pp][Ss]?://(?:{label}\.)*{last}(?::[0-9]{{1,4}})?|(?:{label}\.)+{last})(?:[/?#][\x21-\x7E]*)?"
    )
}

/// [`color`]'s shape as a regular expression, without anchors: `#rrggbb` or a name of the
/// [`TAG_PALETTE`].
pub const COLOR_SHAPE: &str =
    "#[0-9A-Fa-f]{6}|gray|red|orange|amber|green|teal|blue|indigo|purple|pink";

/// The named colours a tag can have in the app (the tags page offers these); `tag.color`
/// stores the name. Other stored values (a `#rrggbb` from the API, anything another tool
/// wrote) show as the nearest of these, or gray.
pub const TAG_PALETTE: [&str; 10] = [
    "gray", "red", "orange", "amber", "green", "teal", "blue", "indigo", "purple", "pink",
];

/// The dates from 1900-01-01 through `last` written `YYYY-MM-DD`, as a regular expression
/// without anchors: the rule of [`sane_date`] (and of [`birthday`] through today), exactly,
/// down to the days of each month and the leap years.
pub fn dates_through_pattern(last: NaiveDate) -> String {
    use chrono::Datelike;
    let first = earliest().year();
    let leap = |y: i32| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = |y: i32, m: u32| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let day_range = |n: u32| match n {
        28 => "(?:0[1-9]|1[0-9]|2[0-8])",
        29 => "(?:0[1-9]|[12][0-9])",
        30 => "(?:0[1-9]|[12][0-9]|30)",
        _ => "(?:0[1-9]|[12][0-9]|3[01])",
    };
    let whole_years: Vec<String> = (first..last.year()).map(|y| y.to_string()).collect();
    let leap_years: Vec<String> = (first..last.year())
        .filter(|y| leap(*y))
        .map(|y| y.to_string())
        .collect();
    let mut alternatives = Vec::new();
    if !whole_years.is_empty() {
        alternatives.push(format!(
            "(?:{})-(?:(?:01|03|05|07|08|10|12)-{}|(?:04|06|09|11)-{}|02-{})",
            whole_years.join("|"),
            day_range(31),
            day_range(30),
            day_range(28)
        ));
    }
    if !leap_years.is_empty() {
        alternatives.push(format!("(?:{})-02-29", leap_years.join("|")));
    }
    let y = last.year();
    for m in 1..last.month() {
        alternatives.push(format!("{y}-{m:02}-{}", day_range(days(y, m))));
    }
    let through: Vec<String> = (1..=last.day()).map(|d| format!("{d:02}")).collect();
    alternatives.push(format!("{y}-{:02}-(?:{})", last.month(), through.join("|")));
    format!("(?:{})", alternatives.join("|"))
}

/// The last date [`sane_date`] accepts.
pub fn latest_date() -> NaiveDate {
    latest()
}

/// `raw` as sent, at most `max` characters and without control characters, then trimmed.
fn bounded(raw: &str, max: usize) -> Result<&str, String> {
    if raw.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if raw
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        Err("contains control characters".into())
    } else {
        Ok(raw.trim())
    }
}

/// A date written `YYYY-MM-DD`.
pub fn date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| "must be a date like 2024-05-31".to_string())
}

fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn latest() -> NaiveDate {
    NaiveDate::from_ymd_opt(2100, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Any date the product stores lies between 1900 and 2100.
pub fn sane_date(date: NaiveDate) -> Result<NaiveDate, String> {
    if date < earliest() || date > latest() {
        Err("must be between 1900-01-01 and 2100-12-31".into())
    } else {
        Ok(date)
    }
}

/// A birthday lies between 1900 and today.
pub fn birthday(date: NaiveDate) -> Result<NaiveDate, String> {
    if date > Utc::now().date_naive() {
        return Err("cannot be in the future".into());
    }
    sane_date(date)
}

/// An e-mail address of the usual shape `local@domain.tld`.
pub fn email(raw: &str) -> Result<String, String> {
    let shape = "must be an e-mail address like ada@example.com";
    if raw.chars().count() > MAX_EMAIL {
        return Err(format!("must be at most {MAX_EMAIL} characters"));
    }
    let s = raw.trim();
    let (local, domain) = s.split_once('@').ok_or(shape)?;
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"".contains(c));
    if ok {
        Ok(s.to_string())
    } else {
        Err(shape.into())
    }
}

/// An absolute http(s) URL with a host.
pub fn url(raw: &str) -> Result<String, String> {
    if raw.chars().count() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let s = raw.trim();
    // The URL parser drops tabs and line breaks inside an address and takes other white space
    // and controls too, but the address is stored as given: refuse them.
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be a web address without spaces".into());
    }
    match url::Url::parse(s) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(s.to_string())
        }
        _ => Err("must be a web address starting with https://".into()),
    }
}

/// A web address as people write it and as the importer, the link form and the API all take
/// it: an absolute http(s) URL ([`url`]), or one without its scheme (`github.com/ada`, as
/// profiles and address books write them), which is taken as `https://github.com/ada`. What
/// has no scheme must start with a letter or digit, hold no white space and name a host with a
/// dot, so that a bare word or a handle (`ada`, `@ada`) is not mistaken for an address.
pub fn web_address(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let address = if has_scheme(s) {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    if address.chars().count() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let bare_ok = has_scheme(s)
        || (s.starts_with(char::is_alphanumeric)
            && !s.chars().any(char::is_whitespace)
            && url::Url::parse(&address)
                .is_ok_and(|u| u.host_str().is_some_and(|h| h.contains('.'))));
    match url(&address) {
        Ok(address) if bare_ok => Ok(address),
        _ => Err("must be a web address like https://ada.dev or github.com/ada".into()),
    }
}

/// Whether `s` starts with a URL scheme (`https:`, `mailto:`, `javascript:`): letters, digits,
/// `+ - .` from a letter up to the first colon, before any `/`, `?` or `#`.
fn has_scheme(s: &str) -> bool {
    s.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// A phone number: digits with the usual separators, at least three digits.
pub fn phone(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if raw.chars().count() > MAX_PHONE
        || digits < 3
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().,/x".contains(c))
    {
        return Err("must be a phone number like +44 20 7946 0958".into());
    }
    Ok(s.to_string())
}

/// A list of social profile URLs, at most [`MAX_SOCIAL_LINKS`].
pub fn social_links(links: &[String]) -> Result<Vec<String>, String> {
    if links.len() > MAX_SOCIAL_LINKS {
        return Err(format!("at most {MAX_SOCIAL_LINKS} links"));
    }
    if links.iter().any(|l| l.chars().count() > MAX_URL) {
        return Err(format!("each must be at most {MAX_URL} characters"));
    }
    links
        .iter()
        .map(String::as_str)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| web_address(l).map_err(|e| format!("`{l}` {e}")))
        .collect()
}

/// `social_links` as stored: a JSON array of URL strings.
pub fn social_links_json(raw: &str) -> Result<Vec<String>, String> {
    let links: Vec<String> = serde_json::from_str(raw)
        .map_err(|_| "must be a JSON array of web addresses".to_string())?;
    social_links(&links)
}

/// Declares a validated text newtype: private inside, built only by `parse`.
macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, $parse:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The value, or what is wrong with it (a message for the field).
            pub fn parse(raw: &str) -> Result<Self, String> {
                let parse: fn(&str) -> Result<String, String> = $parse;
                parse(raw).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&$name> for libsql::Value {
            fn from(v: &$name) -> libsql::Value {
                libsql::Value::Text(v.0.clone())
            }
        }
    };
}

text_type!(
    /// A contact's name: required, at most [`MAX_NAME`] characters, no control characters.
    ContactName,
    |raw| required_text(raw, MAX_NAME)
);
text_type!(
    /// An e-mail address of the usual shape `local@domain.tld`.
    Email,
    email
);
text_type!(
    /// A phone number: digits with the usual separators.
    PhoneNumber,
    phone
);
text_type!(
    /// An absolute http(s) address ([`web_address`]: `github.com/ada` is taken as https).
    WebUrl,
    web_address
);
text_type!(
    /// A colour written `#rrggbb` (stored lowercase) or a name of the [`TAG_PALETTE`].
    TagColor,
    color
);

/// A birthday: a date between 1900-01-01 and today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Birthday(NaiveDate);

impl Birthday {
    /// A date written `YYYY-MM-DD`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        date(raw).and_then(Self::from_date)
    }

    pub fn from_date(date: NaiveDate) -> Result<Self, String> {
        birthday(date).map(Birthday)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// A colour written `#rrggbb` (stored lowercase).
pub fn color(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if TAG_PALETTE.contains(&s) {
        return Ok(s.to_string());
    }
    match s.strip_prefix('#') {
        Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(s.to_ascii_lowercase())
        }
        _ => Err(
            "must be a color like #3b82f6 or one of gray, red, orange, amber, green, \
                  teal, blue, indigo, purple, pink"
                .into(),
        ),
    }
}

/// A colour of the [`TAG_PALETTE`], by name (what the tags page offers).
pub fn palette_color(raw: &str) -> Result<&'static str, String> {
    let s = raw.trim();
    TAG_PALETTE
        .iter()
        .find(|c| **c == s)
        .copied()
        .ok_or_else(|| format!("must be one of {}", TAG_PALETTE.join(", ")))
}

/// Profile links: at most [`MAX_SOCIAL_LINKS`] web addresses, blanks dropped.
pub fn web_urls(links: &[String]) -> Result<Vec<WebUrl>, String> {
    social_links(links).map(|links| links.into_iter().map(WebUrl).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_documented_rules() {
        assert_eq!(
            Username::parse("  Ada_Lovelace-1 ").unwrap().as_str(),
            "ada_lovelace-1"
        );
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("ada lovelace").is_err());
        assert!(Username::parse("adé").is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn web_addresses_hold_no_white_space_or_controls_inside() {
        assert_eq!(url(" https://ada.dev/x ").unwrap(), "https://ada.dev/x");
        for bad in [
            "https://ada.dev/a b",
            "https://ada.dev/a\rb",
            "https://ada.dev/a\u{2003}b",
            "http://pA.Z.x/=oP'J1%\u{2003}\r\u{b}\r\u{2008}*",
        ] {
            assert!(url(bad).is_err(), "{bad:?}");
            assert!(web_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts_are_trimmed_bounded_and_blank_means_absent() {
        assert_eq!(required_text("  x ", 5).unwrap(), "x");
        assert!(required_text("   ", 5).is_err());
        assert!(required_text("abcdef", 5).is_err());
        assert_eq!(optional_text(Some("  "), 5).unwrap(), None);
        assert_eq!(optional_text(None, 5).unwrap(), None);
        assert!(optional_text(Some("a\u{0}b"), 5).is_err());
    }

    #[test]
    fn dates_must_be_well_formed_and_in_range() {
        assert!(date("2024-02-30").is_err());
        assert!(date("31/05/2024").is_err());
        assert!(sane_date(date("1899-12-31").unwrap()).is_err());
        assert!(sane_date(date("2101-01-01").unwrap()).is_err());
        assert!(birthday(Utc::now().date_naive() + chrono::Days::new(1)).is_err());
        assert!(birthday(date("1990-05-01").unwrap()).is_ok());
    }

    #[test]
    fn emails_urls_and_phones_have_their_usual_shapes() {
        assert!(email("ada@example.com").is_ok());
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(url("https://github.com/ada").is_ok());
        for bad in [
            "github.com/ada",
            "javascript:alert(1)",
            "ftp://x.org",
            "https://",
        ] {
            assert!(url(bad).is_err(), "{bad}");
        }
        assert!(phone("+44 20 7946 0958").is_ok());
        assert!(phone("call me").is_err());
    }

    #[test]
    fn web_addresses_without_a_scheme_are_taken_as_https() {
        for (raw, stored) in [
            ("github.com/ada", "https://github.com/ada"),
            (
                " www.linkedin.com/in/ada ",
                "https://www.linkedin.com/in/ada",
            ),
            ("ada.dev", "https://ada.dev"),
            ("mastodon.social/@ada", "https://mastodon.social/@ada"),
            ("github.com/a:b", "https://github.com/a:b"),
            ("https://github.com/ada", "https://github.com/ada"),
            ("HTTP://ada.dev/x", "HTTP://ada.dev/x"),
        ] {
            assert_eq!(web_address(raw).as_deref(), Ok(stored), "{raw}");
            assert_eq!(
                WebUrl::parse(raw).map(|u| u.to_string()).as_deref(),
                Ok(stored)
            );
        }
        for bad in [
            "",
            "ada",
            "@ada",
            "@ada@mastodon.social",
            "/github.com/ada",
            "ada lovelace.dev",
            "localhost:3000",
            "github.com:443/ada",
            "javascript:alert(1)",
            "mailto:ada@example.com",
            "ftp://x.org",
        ] {
            assert!(web_address(bad).is_err(), "{bad}");
        }
        // What the normalising makes longer than the limit is refused, not stored.
        let long = format!("ada.dev/{}", "x".repeat(MAX_URL - 10));
        assert!(web_address(&long).is_err());
    }

    #[test]
    fn colors_are_hex_triplets_stored_lowercase_or_palette_names() {
        assert_eq!(TagColor::parse(" #3B82F6 ").unwrap(), "#3b82f6");
        assert_eq!(TagColor::parse(" teal ").unwrap(), "teal");
        assert_eq!(palette_color("pink").unwrap(), "pink");
        assert!(palette_color("#3b82f6").is_err());
        assert!(palette_color("crimson").unwrap_err().contains("gray, red"));
        for bad in [
            "3b82f6",
            "#3b82f",
            "#3b82f6a",
            "#gggggg",
            "crimson",
            "Red",
            "#fff",
            "javascript:1",
        ] {
            assert!(TagColor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn newtypes_hold_only_values_that_passed_their_rules() {
        assert!(ContactName::parse("").is_err());
        assert!(ContactName::parse("a\u{0}b").is_err());
        assert!(ContactName::parse(&"x".repeat(MAX_NAME + 1)).is_err());
        assert_eq!(ContactName::parse("  Ada  ").unwrap(), "Ada");
        assert!(Email::parse("not an email").is_err());
        assert!(PhoneNumber::parse("<script>").is_err());
        assert!(WebUrl::parse("javascript:alert(1)").is_err());
        assert!(Birthday::parse("0000-05-01").is_err());
        assert!(Birthday::parse("1990-05-01").is_ok());
    }

    #[test]
    fn social_links_are_a_json_array_of_urls() {
        assert_eq!(
            social_links_json(r#"["https://github.com/ada"]"#).unwrap(),
            vec!["https://github.com/ada".to_string()]
        );
        assert!(social_links_json(r#"{"a": 1}"#).is_err());
        assert!(social_links_json(r#"["not a url"]"#).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("https://x.org/{i}")).collect();
        assert!(social_links(&many).is_err());
    }
}
