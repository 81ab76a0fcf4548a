//! Just enough of SQLite's lexical structure to compare and take apart `CREATE` statements:
//! comments, quoted identifiers, string literals and nesting.

/// One lexical piece of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// A word, number or operator, lowercased; quoted identifiers are unquoted when they can be.
    Word(String),
    /// A string literal, verbatim with its quotes.
    Literal(String),
    Open,
    Close,
    Comma,
}

fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `sql` into pieces, dropping comments and whitespace. Each piece carries its byte
/// offset in `sql`.
fn pieces(sql: &str) -> Vec<(usize, Piece)> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => i += 1,
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
                i += 2;
            }
            b'(' => {
                out.push((i, Piece::Open));
                i += 1;
            }
            b')' => {
                out.push((i, Piece::Close));
                i += 1;
            }
            b',' => {
                out.push((i, Piece::Comma));
                i += 1;
            }
            b'\'' => {
                let start = i;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => break,
                        Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                out.push((
                    start,
                    Piece::Literal(sql[start..i.min(sql.len())].to_string()),
                ));
            }
            b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                let start = i;
                i += 1;
                let mut name = String::new();
                while i < bytes.len() {
                    if bytes[i] == close {
                        if close != b']' && bytes.get(i + 1) == Some(&close) {
                            name.push(close as char);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    let ch_len = utf8_len(bytes[i]);
                    name.push_str(&sql[i..(i + ch_len).min(sql.len())]);
                    i += ch_len;
                }
                let word = if is_plain_identifier(&name) {
                    name.to_ascii_lowercase()
                } else {
                    format!("\"{}\"", name.replace('"', "\"\""))
                };
                out.push((start, Piece::Word(word)));
            }
            _ => {
                let start = i;
                if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
                    while i < bytes.len()
                        && (bytes[i].is_ascii_alphanumeric()
                            || bytes[i] == b'_'
                            || bytes[i] >= 0x80)
                    {
                        i += 1;
                    }
                } else {
                    i += 1;
                    // Two-character operators stay together (<=, >=, <>, !=, ==, ||).
                    if i < bytes.len() && matches!(bytes[i], b'=' | b'>' | b'|') {
                        i += 1;
                    }
                }
                out.push((start, Piece::Word(sql[start..i].to_ascii_lowercase())));
            }
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn render(pieces: &[(usize, Piece)]) -> String {
    let mut out = String::new();
    let mut prev_word = false;
    for (_, piece) in pieces {
        match piece {
            Piece::Word(w) | Piece::Literal(w) => {
                if prev_word {
                    out.push(' ');
                }
                out.push_str(w);
                prev_word = true;
            }
            Piece::Open => {
                out.push('(');
                prev_word = false;
            }
            Piece::Close => {
                out.push(')');
                prev_word = false;
            }
            Piece::Comma => {
                out.push(',');
                prev_word = false;
            }
        }
    }
    out.trim_end_matches(';').to_string()
}

/// A canonical form of a statement: no comments, one space between words, none around
/// punctuation, lowercase outside string literals, needless identifier quotes removed.
/// Two statements SQLite reads the same way (up to formatting) normalise equal.
pub fn normalize(sql: &str) -> String {
    render(&pieces(sql))
}

/// Byte offset of the first `(` of a `CREATE TABLE` statement: where its body starts.
pub fn body_start(sql: &str) -> Option<usize> {
    pieces(sql)
        .into_iter()
        .find(|(_, p)| *p == Piece::Open)
        .map(|(offset, _)| offset)
}

/// The normalised body of a `CREATE TABLE` statement: everything from the first `(` on,
/// so that the table's name (and how it is quoted) does not take part in comparisons.
pub fn table_body(sql: &str) -> String {
    match body_start(sql) {
        Some(start) => normalize(&sql[start..]),
        None => normalize(sql),
    }
}

/// The top-level items of a table body: column definitions and table constraints,
/// normalised, plus whatever follows the closing parenthesis (`WITHOUT ROWID`, `STRICT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableItems {
    pub columns: Vec<ColumnDef>,
    pub constraints: Vec<String>,
    pub options: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// The column name, lowercased as SQLite compares it.
    pub name: String,
    /// The normalised definition, name included.
    pub normalized: String,
    /// The definition as written in the source, for `ALTER TABLE ADD COLUMN`.
    pub source: String,
}

const CONSTRAINT_STARTS: [&str; 5] = ["constraint", "primary", "unique", "check", "foreign"];

/// Takes a `CREATE TABLE` statement apart into its items.
pub fn table_items(sql: &str) -> Option<TableItems> {
    let all = pieces(sql);
    let open = all.iter().position(|(_, p)| *p == Piece::Open)?;
    let mut depth = 0usize;
    let mut items: Vec<(usize, usize)> = Vec::new(); // piece index ranges [start, end)
    let mut item_start = open + 1;
    let mut close = None;
    for (idx, (_, piece)) in all.iter().enumerate().skip(open) {
        match piece {
            Piece::Open => depth += 1,
            Piece::Close => {
                depth -= 1;
                if depth == 0 {
                    items.push((item_start, idx));
                    close = Some(idx);
                    break;
                }
            }
            Piece::Comma if depth == 1 => {
                items.push((item_start, idx));
                item_start = idx + 1;
            }
            _ => {}
        }
    }
    let close = close?;
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    for (start, end) in items {
        let slice = &all[start..end];
        let normalized = render(slice);
        let first = match slice.first() {
            Some((_, Piece::Word(w))) => w.clone(),
            _ => return None,
        };
        if CONSTRAINT_STARTS.contains(&first.as_str()) {
            constraints.push(normalized);
        } else {
            let from = slice.first().map(|(o, _)| *o)?;
            let to = all[end].0;
            columns.push(ColumnDef {
                name: first.trim_matches('"').to_string(),
                normalized,
                source: sql[from..to].trim().to_string(),
            });
        }
    }
    Some(TableItems {
        columns,
        constraints,
        options: render(&all[close + 1..]),
    })
}

/// Quotes an identifier for SQLite.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_ignores_formatting_comments_case_and_needless_quotes() {
        let a = "CREATE TABLE \"contact\" (\n  id TEXT PRIMARY KEY, -- the id\n  name text NOT NULL /* required */\n);";
        let b = "create table contact(id text primary key,name TEXT not null)";
        assert_eq!(normalize(a), normalize(b));
    }

    #[test]
    fn normalizing_keeps_string_literals_and_meaningful_quotes() {
        assert_ne!(normalize("DEFAULT 'Active'"), normalize("DEFAULT 'active'"));
        assert_eq!(normalize("CHECK (s IN ('a, b'))"), "check(s in('a, b'))");
        assert_eq!(normalize("\"odd name\" TEXT"), "\"odd name\" text");
        assert_eq!(normalize("'it''s'"), "'it''s'");
    }

    #[test]
    fn table_body_leaves_out_the_name() {
        assert_eq!(
            table_body("CREATE TABLE \"__new_x\" (a INTEGER)"),
            table_body("CREATE TABLE x (a INTEGER)")
        );
    }

    #[test]
    fn table_items_separate_columns_from_constraints() {
        let sql = "CREATE TABLE t (a TEXT NOT NULL CHECK (a IN ('x', 'y')), \"B\" INTEGER DEFAULT (unixepoch()), PRIMARY KEY (a, \"B\")) WITHOUT ROWID";
        let items = table_items(sql).unwrap();
        let names: Vec<_> = items.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            items.columns[1].source,
            "\"B\" INTEGER DEFAULT (unixepoch())"
        );
        assert_eq!(items.constraints, ["primary key(a,b)"]);
        assert_eq!(items.options, "without rowid");
    }
}
