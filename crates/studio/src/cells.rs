//! How a stored value is shown: by its storage class and its column's kind. Unix-second
//! timestamps as dates (the number on hover), 0/1 booleans as marks, JSON pretty-printed, long
//! text truncated with an expansion, NULL distinct from the empty string, BLOBs as size and
//! a hex prefix.

use libsql::Value;

use crate::schema::{Column, ColumnKind};

/// Text longer than this (or spanning lines) is truncated in the table view.
const SHORT_TEXT: usize = 60;
/// Bytes of a BLOB shown in hex.
const BLOB_PREFIX: usize = 16;

/// One rendered value.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// CSS modifier: `null`, `empty`, `text`, `num`, `bool`, `time`, `json`, `blob`.
    pub kind: &'static str,
    /// What is shown (in the table view: the short form).
    pub text: String,
    /// Hover text (the raw number of a timestamp, the raw 0/1 of a boolean).
    pub title: String,
    /// The whole value when `text` is a shortened form: shown on expansion.
    pub full: Option<String>,
    /// The link of a foreign-key value.
    pub href: Option<String>,
}

impl Cell {
    pub fn new(value: &Value, column: Option<&Column>, truncate: bool) -> Cell {
        let kind = column.map_or(ColumnKind::Plain, |c| c.kind);
        match value {
            Value::Null => Cell::plain("null", "NULL"),
            Value::Integer(i) => match kind {
                ColumnKind::Boolean if *i == 0 || *i == 1 => Cell {
                    kind: "bool",
                    text: if *i == 1 { "✓" } else { "✗" }.into(),
                    title: i.to_string(),
                    ..Cell::default()
                },
                ColumnKind::Timestamp => match format_timestamp(*i) {
                    Some(date) => Cell {
                        kind: "time",
                        text: date,
                        title: format!("{i} (Unix seconds)"),
                        ..Cell::default()
                    },
                    None => Cell::plain("num", &i.to_string()),
                },
                _ => Cell::plain("num", &i.to_string()),
            },
            Value::Real(f) => Cell::plain("num", &f.to_string()),
            Value::Text(t) if t.is_empty() => Cell {
                kind: "empty",
                text: "empty".into(),
                title: "an empty string (not NULL)".into(),
                ..Cell::default()
            },
            Value::Text(t) => text_cell(t, truncate),
            Value::Blob(b) => Cell {
                kind: "blob",
                text: blob_summary(b),
                title: format!("{} bytes", b.len()),
                ..Cell::default()
            },
        }
    }

    fn plain(kind: &'static str, text: &str) -> Cell {
        Cell {
            kind,
            text: text.to_string(),
            ..Cell::default()
        }
    }

    pub fn link(mut self, href: String) -> Cell {
        self.href = Some(href);
        self
    }

    /// The checkmark of a boolean is not text a screen reader says well.
    pub fn spoken(&self) -> &'static str {
        match (self.kind, self.title.as_str()) {
            ("bool", "1") => "yes",
            ("bool", _) => "no",
            _ => "",
        }
    }
}

fn text_cell(text: &str, truncate: bool) -> Cell {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
            let pretty = serde_json::to_string_pretty(&json).unwrap_or_else(|_| text.to_string());
            let compact = json.to_string();
            return Cell {
                kind: "json",
                text: if truncate {
                    shorten(&compact)
                } else {
                    pretty.clone()
                },
                full: truncate.then_some(pretty),
                ..Cell::default()
            };
        }
    }
    if truncate && (text.chars().count() > SHORT_TEXT || text.contains('\n')) {
        return Cell {
            kind: "text",
            text: shorten(text),
            full: Some(text.to_string()),
            ..Cell::default()
        };
    }
    Cell::plain("text", text)
}

fn shorten(text: &str) -> String {
    let first_line = text.lines().next().unwrap_or("");
    let mut short: String = first_line.chars().take(SHORT_TEXT).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// `2024-05-01 12:30 UTC`, for plausible Unix seconds (years 1900 to 2200).
pub fn format_timestamp(secs: i64) -> Option<String> {
    if !(-2_208_988_800..=7_258_118_400).contains(&secs) {
        return None;
    }
    let at = chrono::DateTime::from_timestamp(secs, 0)?;
    Some(if secs % 60 == 0 {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    })
}

/// `BLOB · 1,234 bytes · 89504e470d0a1a0a…`
pub fn blob_summary(bytes: &[u8]) -> String {
    let prefix = hex::encode(&bytes[..bytes.len().min(BLOB_PREFIX)]);
    let more = if bytes.len() > BLOB_PREFIX { "…" } else { "" };
    format!(
        "BLOB · {} byte{} · {prefix}{more}",
        group_thousands(bytes.len() as u64),
        if bytes.len() == 1 { "" } else { "s" }
    )
}

pub fn group_thousands(n: u64) -> String {
    let mut reversed = Vec::new();
    let mut run = 0;
    for c in n.to_string().chars().rev() {
        if run == 3 {
            reversed.push(',');
            run = 0;
        }
        reversed.push(c);
        run += 1;
    }
    reversed.into_iter().rev().collect()
}

/// A value as plain text, for form inputs and filter values.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => hex::encode(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_dates_and_thousands_format_plainly() {
        assert_eq!(format_timestamp(0).unwrap(), "1970-01-01 00:00 UTC");
        assert_eq!(
            format_timestamp(1_700_000_001).unwrap(),
            "2023-11-14 22:13:21 UTC"
        );
        assert!(format_timestamp(i64::MAX).is_none());
        assert_eq!(group_thousands(1234567), "1,234,567");
        assert_eq!(group_thousands(12), "12");
    }

    #[test]
    fn blobs_show_size_and_hex_prefix() {
        assert_eq!(blob_summary(&[0xde, 0xad]), "BLOB · 2 bytes · dead");
        let long = vec![0xab; 20];
        assert_eq!(
            blob_summary(&long),
            format!("BLOB · 20 bytes · {}…", "ab".repeat(16))
        );
    }

    #[test]
    fn long_text_and_json_are_shortened_with_the_whole_kept() {
        let long = "x".repeat(100);
        let cell = text_cell(&long, true);
        assert_eq!(cell.full.as_deref(), Some(long.as_str()));
        assert!(cell.text.ends_with('…'));
        let cell = text_cell(r#"{"a":[1,2]}"#, false);
        assert_eq!(cell.kind, "json");
        assert!(cell.text.contains("\n  \"a\": ["), "{}", cell.text);
    }
}
