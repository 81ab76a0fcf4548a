//! Conversions between SQLite values and the row types' Rust types, in one place.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use libsql::{Row, Value};

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

/// The columns of a row that held a value its row type cannot represent (written by another
/// tool: a birthday `'abc'`, `social_links` that are not a JSON array). The row is read
/// anyway, with those fields empty, so that a page, an API list or an export shows the rest;
/// the names tell what to mark.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = Vec<String>)]
pub struct Unreadable(Vec<&'static str>);

impl Unreadable {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, column: &str) -> bool {
        self.0.contains(&column)
    }

    pub fn columns(&self) -> &[&'static str] {
        &self.0
    }
}

/// Reads a row column after column, so that a join reads one table's columns after the
/// other's with each table's one decoder, and no caller counts column indices.
pub struct Reader<'r> {
    row: &'r Row,
    at: i32,
}

impl<'r> Reader<'r> {
    pub fn new(row: &'r Row) -> Self {
        Reader { row, at: 0 }
    }

    fn next(&mut self) -> Result<Value> {
        let value = self.row.get_value(self.at)?;
        self.at += 1;
        Ok(value)
    }

    /// Passes over `n` columns (a LEFT JOIN that found nothing).
    pub fn skip(&mut self, n: i32) {
        self.at += n;
    }

    /// True when the next column is NULL: a LEFT JOIN found no row.
    pub fn next_is_null(&self) -> Result<bool> {
        Ok(matches!(self.row.get_value(self.at)?, Value::Null))
    }

    /// A text column outside any record (a joined name, an aggregate).
    pub fn text(&mut self) -> Result<String> {
        match self.next()? {
            Value::Text(t) => Ok(t),
            Value::Integer(i) => Ok(i.to_string()),
            Value::Real(r) => Ok(r.to_string()),
            _ => Ok(String::new()),
        }
    }

    pub fn opt_text(&mut self) -> Result<Option<String>> {
        Ok(match self.next()? {
            Value::Null => None,
            Value::Text(t) => Some(t),
            Value::Integer(i) => Some(i.to_string()),
            Value::Real(r) => Some(r.to_string()),
            Value::Blob(_) => None,
        })
    }

    pub fn integer(&mut self) -> Result<i64> {
        match self.next()? {
            Value::Integer(i) => Ok(i),
            other => Err(Error::Decode {
                column: "(computed)",
                reason: format!("{other:?} is not an integer"),
            }),
        }
    }

    /// Starts reading a record of `table`: its first column is its key, which must be text.
    pub fn record(&mut self, table: &'static str) -> Result<Record<'_, 'r>> {
        let key = match self.next()? {
            Value::Text(t) => t,
            other => {
                return Err(Error::Decode {
                    column: table,
                    reason: format!("the key {other:?} is not text"),
                })
            }
        };
        Ok(Record {
            reader: self,
            table,
            key,
            unreadable: Vec::new(),
        })
    }
}

/// The columns of one table's row, read leniently: a value of the wrong type or shape leaves
/// its field empty, is named in [`Unreadable`] and logged with its table, row and column.
pub struct Record<'a, 'r> {
    reader: &'a mut Reader<'r>,
    table: &'static str,
    key: String,
    unreadable: Vec<&'static str>,
}

impl Record<'_, '_> {
    pub fn key(&self) -> &str {
        &self.key
    }

    fn bad(&mut self, column: &'static str, value: &Value, why: &str) {
        tracing::warn!(
            table = self.table,
            row = %self.key,
            column,
            value = ?value,
            "unreadable value: {why}; the field is left empty"
        );
        self.unreadable.push(column);
    }

    /// Reads the next column with `decode`; `None` (marked unreadable) when it refuses.
    fn read<T>(
        &mut self,
        column: &'static str,
        decode: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Result<Option<T>> {
        let value = self.reader.next()?;
        Ok(match decode(&value) {
            Ok(v) => Some(v),
            Err(why) => {
                self.bad(column, &value, &why);
                None
            }
        })
    }

    pub fn text(&mut self, column: &'static str) -> Result<String> {
        Ok(self.read(column, text_of)?.flatten().unwrap_or_default())
    }

    pub fn opt_text(&mut self, column: &'static str) -> Result<Option<String>> {
        Ok(self.read(column, text_of)?.flatten())
    }

    pub fn timestamp(&mut self, column: &'static str) -> Result<DateTime<Utc>> {
        Ok(self
            .read(column, |v| match v {
                Value::Integer(i) => timestamp(*i, column).map_err(|e| e.to_string()),
                _ => Err("not Unix seconds".into()),
            })?
            .unwrap_or_default())
    }

    pub fn opt_timestamp(&mut self, column: &'static str) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .read(column, |v| match v {
                Value::Null => Ok(None),
                Value::Integer(i) => timestamp(*i, column).map(Some).map_err(|e| e.to_string()),
                _ => Err("not Unix seconds".into()),
            })?
            .flatten())
    }

    pub fn opt_date(&mut self, column: &'static str) -> Result<Option<NaiveDate>> {
        Ok(self.opt_timestamp(column)?.map(|t| t.date_naive()))
    }

    pub fn date(&mut self, column: &'static str) -> Result<NaiveDate> {
        Ok(self.timestamp(column)?.date_naive())
    }

    pub fn flag(&mut self, column: &'static str) -> Result<bool> {
        Ok(self
            .read(column, |v| match v {
                Value::Integer(0) => Ok(false),
                Value::Integer(1) => Ok(true),
                _ => Err("not a boolean (0/1)".into()),
            })?
            .unwrap_or_default())
    }

    /// A text column that `parse` turns into a value; `fallback` when it refuses.
    pub fn parsed<T>(
        &mut self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
        fallback: T,
    ) -> Result<T> {
        Ok(self
            .read(column, |v| match v {
                Value::Text(t) => parse(t),
                _ => Err("not text".into()),
            })?
            .unwrap_or(fallback))
    }

    /// A JSON array of strings stored as text; NULL or blank is an empty list.
    pub fn string_list(&mut self, column: &'static str) -> Result<Vec<String>> {
        Ok(self
            .read(column, |v| match v {
                Value::Null => Ok(Vec::new()),
                Value::Text(t) if t.trim().is_empty() => Ok(Vec::new()),
                Value::Text(t) => serde_json::from_str::<Vec<String>>(t)
                    .map_err(|_| "not a JSON array of strings".to_string()),
                _ => Err("not text".into()),
            })?
            .unwrap_or_default())
    }

    /// The columns that could not be read.
    pub fn finish(self) -> Unreadable {
        Unreadable(self.unreadable)
    }
}

fn text_of(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Text(t) => Ok(Some(t.clone())),
        Value::Integer(i) => Ok(Some(i.to_string())),
        Value::Real(r) => Ok(Some(r.to_string())),
        Value::Blob(_) => Err("binary data, not text".into()),
    }
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
