//! The only places where SQL text is put together from names: [`quote`] for every identifier,
//! and values always travel as bound parameters ([`libsql::Value`]).

use libsql::Value;

/// Quotes an identifier for SQLite: `"` around it, inner `"` doubled. Every table, column and
/// index name the studio puts into SQL goes through here, whatever it contains.
pub fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Escapes `%`, `_` and `\` for `LIKE … ESCAPE '\'`.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A value as JSON, keeping SQLite's storage class: integers and reals as numbers (reals
/// always with a fraction or exponent), text as a string, NULL as null and blobs as
/// `{"hex": "…"}`. Used for page cursors and row keys in URLs.
pub fn value_to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => serde_json::Value::from(*i),
        Value::Real(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::Text(t) => serde_json::Value::from(t.as_str()),
        Value::Blob(b) => serde_json::json!({ "hex": hex::encode(b) }),
    }
}

/// The inverse of [`value_to_json`]; `None` for anything it does not produce.
pub fn value_from_json(json: &serde_json::Value) -> Option<Value> {
    Some(match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => Value::Integer(i),
            _ => Value::Real(n.as_f64()?),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Object(map) if map.len() == 1 => {
            Value::Blob(hex::decode(map.get("hex")?.as_str()?).ok()?)
        }
        _ => return None,
    })
}

/// A list of values as compact JSON text (`[12,"abc"]`).
pub fn encode_values(values: &[Value]) -> String {
    serde_json::Value::Array(values.iter().map(value_to_json).collect()).to_string()
}

/// Parses [`encode_values`]' text, requiring exactly `len` values.
pub fn decode_values(text: &str, len: usize) -> Option<Vec<Value>> {
    decode_value_list(text).filter(|values| values.len() == len)
}

/// Parses [`encode_values`]' text, of any length.
pub fn decode_value_list(text: &str) -> Option<Vec<Value>> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    json.as_array()?.iter().map(value_from_json).collect()
}

/// The database's own message for an error (SQLite's text for local and remote databases).
pub fn db_message(error: &libsql::Error) -> String {
    match error {
        libsql::Error::SqliteFailure(_, message) => message.clone(),
        libsql::Error::RemoteSqliteFailure(_, _, message) => message.clone(),
        other => other.to_string(),
    }
}

/// Splits SQL text into its statements at top-level `;` (outside quotes, brackets and
/// comments), dropping empty ones. Enough to refuse several statements in one run; a
/// `CREATE TRIGGER` body counts as several.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == q {
                        if bytes.get(i + 1) == Some(&q) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'[' => {
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                out.push(&sql[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < sql.len() {
        out.push(&sql[start..]);
    }
    out.into_iter()
        .filter(|s| !is_blank_sql(s))
        .map(str::trim)
        .collect()
}

/// True when `sql` holds only whitespace and comments.
fn is_blank_sql(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(r) = rest.strip_prefix("--") {
            rest = r
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r
                .split_once("*/")
                .map_or("", |(_, after)| after)
                .trim_start();
        } else {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_inner_quotes() {
        assert_eq!(quote("order"), "\"order\"");
        assert_eq!(quote("my table"), "\"my table\"");
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(quote(""), "\"\"");
    }

    #[test]
    fn values_round_trip_through_json_with_their_storage_class() {
        let values = vec![
            Value::Null,
            Value::Integer(5),
            Value::Real(5.0),
            Value::Text("5".into()),
            Value::Blob(vec![0, 255]),
        ];
        let text = encode_values(&values);
        let back = decode_values(&text, 5).unwrap();
        assert_eq!(back, values);
        assert!(decode_values(&text, 4).is_none());
        assert!(decode_values("[{\"x\":1}]", 1).is_none());
        assert!(decode_values("not json", 1).is_none());
    }

    #[test]
    fn statements_split_at_top_level_semicolons_only() {
        assert_eq!(split_statements("select 1;"), vec!["select 1"]);
        assert_eq!(
            split_statements("select ';' ; select \"a;b\" -- x;y\n;"),
            vec!["select ';'", "select \"a;b\" -- x;y"]
        );
        assert_eq!(
            split_statements("/* ; */ select 1 ; -- done"),
            vec!["/* ; */ select 1"]
        );
        assert!(split_statements("  ; -- nothing").is_empty());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
    }
}
