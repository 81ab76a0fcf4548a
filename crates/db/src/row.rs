//! Conversions between SQLite values and the row types' Rust types, in one place.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::error::{Error, Result};

/// Unix seconds → UTC time.
pub fn timestamp(secs: i64, column: &'static str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| Error::Decode {
        column,
        reason: format!("{secs} is not a valid Unix time"),
    })
}

pub fn opt_timestamp(secs: Option<i64>, column: &'static str) -> Result<Option<DateTime<Utc>>> {
    secs.map(|s| timestamp(s, column)).transpose()
}

/// A calendar date is stored as the Unix time of its midnight UTC.
pub fn date(secs: i64, column: &'static str) -> Result<NaiveDate> {
    Ok(timestamp(secs, column)?.date_naive())
}

pub fn opt_date(secs: Option<i64>, column: &'static str) -> Result<Option<NaiveDate>> {
    secs.map(|s| date(s, column)).transpose()
}

pub fn date_to_secs(date: NaiveDate) -> i64 {
    date.and_time(NaiveTime::MIN).and_utc().timestamp()
}

pub fn bool(value: i64, column: &'static str) -> Result<bool> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Error::Decode {
            column,
            reason: format!("{other} is not a boolean (0/1)"),
        }),
    }
}

/// The current time, truncated to the whole seconds the database stores.
pub fn now() -> DateTime<Utc> {
    timestamp(Utc::now().timestamp(), "now").unwrap_or_default()
}

/// When a row was made and last changed: now for a new row, the original times for a
/// restored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamps {
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Stamps {
    pub fn now() -> Self {
        Self::at(now())
    }

    pub fn at(at: DateTime<Utc>) -> Self {
        Stamps {
            created_at: at,
            updated_at: at,
        }
    }
}

/// `%` and `_` are wildcards in LIKE; the repositories search for them literally.
pub fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Generates text ids: UUID v7, so new rows land at the end of the primary key index.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Declares a typed id: a string newtype that repositories accept instead of bare text.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id.
            pub fn generate() -> Self {
                Self($crate::row::new_id())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for libsql::Value {
            fn from(id: $name) -> libsql::Value {
                libsql::Value::Text(id.0)
            }
        }

        impl From<&$name> for libsql::Value {
            fn from(id: &$name) -> libsql::Value {
                libsql::Value::Text(id.0.clone())
            }
        }
    };
}
pub(crate) use id_type;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_unix_seconds() {
        let d = NaiveDate::from_ymd_opt(1990, 2, 28).unwrap();
        assert_eq!(date(date_to_secs(d), "x").unwrap(), d);
        let before_epoch = NaiveDate::from_ymd_opt(1901, 12, 31).unwrap();
        assert_eq!(date(date_to_secs(before_epoch), "x").unwrap(), before_epoch);
    }

    #[test]
    fn booleans_other_than_zero_and_one_are_decode_errors() {
        assert!(bool(1, "vip").unwrap());
        assert!(!bool(0, "vip").unwrap());
        assert!(matches!(
            bool(2, "vip"),
            Err(Error::Decode { column: "vip", .. })
        ));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_a"), "%50\\%\\_a%");
    }
}
