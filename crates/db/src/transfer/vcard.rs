//! vCard 3.0 and 4.0 import (also the 2.1 quoted-printable values older exports carry).
//!
//! The file is cut into cards at `BEGIN:VCARD` / `END:VCARD` lines, so that a bad card is
//! reported with its own line and the others still import; each card is then read by the
//! `ical` crate's vCard parser (line unfolding, parameters, values). What this module adds is
//! the mapping onto our tables and the value encodings vCard leaves to the reader: text
//! escapes, quoted-printable, structured values (`N`, `ADR`) and dates without a year.

use chrono::NaiveDate;
use ical::property::Property;

use super::YEARLESS_BIRTHDAY_YEAR;
use super::{FileError, ImportFormat, ImportedContact, ParsedImport, RecordBuilder, RecordError};

/// Reads every card of a decoded vCard file.
pub fn parse(text: &str) -> Result<ParsedImport, FileError> {
    let mut contacts = Vec::new();
    let mut errors = Vec::new();
    for card in split_cards(text)? {
        match read_card(&card.text, card.line) {
            Ok(c) => contacts.push(c),
            Err(e) => errors.push(e),
        }
    }
    Ok(ParsedImport {
        format: ImportFormat::Vcard,
        contacts,
        errors,
    })
}

struct RawCard {
    line: usize,
    text: String,
}

/// Cuts the file into the text of each card; text outside cards is reported as junk, a file
/// that ends inside a card as truncated.
fn split_cards(text: &str) -> Result<Vec<RawCard>, FileError> {
    let mut cards = Vec::new();
    let mut current: Option<RawCard> = None;
    let mut pending_qp = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        let upper = line.trim().to_ascii_uppercase();
        if let Some(card) = current.as_mut() {
            // A quoted-printable value ending in `=` goes on on the next line (vCard 2.1 soft
            // line break), which is not folding as the parser knows it: join the lines here.
            if pending_qp {
                card.text.pop(); // the newline
                card.text.pop(); // the `=`
                card.text.push_str(line);
                card.text.push('\n');
                pending_qp = line.ends_with('=');
                continue;
            }
            if line.starts_with([' ', '\t']) {
                card.text.push_str(line);
            } else {
                card.text.push_str(&bare_params_as_types(line));
            }
            card.text.push('\n');
            if upper == "END:VCARD" {
                cards.extend(current.take());
            } else if upper.starts_with("BEGIN:VCARD") {
                return Err(FileError::Truncated { line: card.line });
            } else {
                let head = upper.split(':').next().unwrap_or("");
                pending_qp = head.contains("QUOTED-PRINTABLE") && line.ends_with('=');
            }
        } else if upper == "BEGIN:VCARD" {
            current = Some(RawCard {
                line: line_no,
                text: format!("{line}\n"),
            });
        } else if !upper.is_empty() {
            return Err(FileError::Binary { line: line_no });
        }
    }
    if let Some(card) = current {
        return Err(FileError::Truncated { line: card.line });
    }
    Ok(cards)
}

/// vCard 2.1 (Outlook) writes bare parameters, `TEL;WORK;VOICE:…`, which 3.0 spells
/// `TEL;TYPE=WORK;TYPE=VOICE:…` and the parser requires: rewrite the property's head.
fn bare_params_as_types(line: &str) -> std::borrow::Cow<'_, str> {
    let Some((head, value)) = line.split_once(':') else {
        return line.into();
    };
    if head.contains('"') || !head.contains(';') {
        return line.into();
    }
    let mut parts = head.split(';');
    let mut out = parts.next().unwrap_or("").to_string();
    let mut changed = false;
    for p in parts {
        out.push(';');
        if p.contains('=') || p.is_empty() {
            out.push_str(p);
        } else if p.eq_ignore_ascii_case("QUOTED-PRINTABLE") || p.eq_ignore_ascii_case("BASE64") {
            out.push_str("ENCODING=");
            out.push_str(p);
            changed = true;
        } else {
            out.push_str("TYPE=");
            out.push_str(p);
            changed = true;
        }
    }
    if !changed {
        return line.into();
    }
    out.push(':');
    out.push_str(value);
    out.into()
}

fn read_card(text: &str, line: usize) -> Result<ImportedContact, RecordError> {
    let fail = |reason: String| RecordError { line, reason };
    let mut parser = ical::VcardParser::new(text.as_bytes());
    let card = match parser.next() {
        Some(Ok(card)) => card,
        Some(Err(e)) => return Err(fail(format!("unreadable card: {e}"))),
        None => return Err(fail("empty card".into())),
    };
    let mut record = RecordBuilder::default();
    let mut structured_name = None;
    for prop in &card.properties {
        let name = prop.name.to_ascii_uppercase();
        // Property groups (`item1.EMAIL`, Apple and Google) do not change the meaning.
        let name = name.rsplit('.').next().unwrap_or(&name).to_string();
        let Some(raw) = prop.value.as_deref() else {
            continue;
        };
        let value = decoded(prop, raw);
        match name.as_str() {
            "FN" => record.set_name(&unescape(&value)),
            "N" => structured_name = Some(name_from_n(&value)),
            "BDAY" if record.birthday.is_none() => {
                record.birthday = birthday(&value, has_param(prop, "X-APPLE-OMIT-YEAR"));
            }
            "ORG" => {
                let parts = split_structured(&value);
                let company = parts.into_iter().find(|p| !p.trim().is_empty());
                record.set_company(&company.unwrap_or_default());
            }
            "TITLE" | "ROLE" => record.set_title(&unescape(&value)),
            "ADR" => {
                let parts: Vec<String> = split_structured(&value)
                    .into_iter()
                    .map(|p| p.replace('\n', ", ").trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect();
                record.set_location(&parts.join(", "));
            }
            "EMAIL" => record.labeled_email(&unescape(&value), label_of(prop)),
            "TEL" => record.labeled_phone(&unescape(&value), label_of(prop)),
            "URL" | "X-SOCIALPROFILE" => record.link(&unescape(&value)),
            "NOTE" => record.contact_note(&unescape(&value)),
            // Our own export's background notes (a VIP's "Notes" beside the contact's).
            "X-DEVHUB-BACKGROUND-NOTES" => record.note(&unescape(&value)),
            "CATEGORIES" => {
                for tag in split_list(&value) {
                    let tag = tag.trim();
                    // Google marks every contact with its own system groups.
                    if !tag.is_empty()
                        && !tag.eq_ignore_ascii_case("myContacts")
                        && !record.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
                    {
                        record.tags.push(tag.to_string());
                    }
                }
            }
            "X-DEVHUB-RELATIONSHIP" => record.relationship = non_empty(unescape(&value)),
            "X-DEVHUB-INDUSTRY" => record.industry = non_empty(unescape(&value)),
            "X-DEVHUB-FAMILY" => record.family = non_empty(unescape(&value)),
            "X-DEVHUB-LIKES-DISLIKES" => record.likes_dislikes = non_empty(unescape(&value)),
            "X-DEVHUB-MAIN-APP" => record.main_app = non_empty(unescape(&value)),
            "X-DEVHUB-VIP" => record.vip = value.trim() == "1",
            "X-DEVHUB-STATUS" => record.archived = value.trim().eq_ignore_ascii_case("archived"),
            "PHOTO" if record.photo.is_none() => record.photo = photo(prop, raw),
            // LOGO, SOUND, KEY, UID, REV, PRODID, VERSION and the rest have no place in our
            // tables.
            _ => {}
        }
    }
    if record.name.is_none() {
        if let Some(n) = structured_name.filter(|n| !n.is_empty()) {
            record.name = Some(n);
        }
    }
    record.finish(line)
}

/// The bytes of an inline `PHOTO` (vCard 4's `data:image/…;base64,…` or vCard 3's
/// `ENCODING=b`), when they are an image we keep; a photo given by its address, or anything
/// else, is left out.
fn photo(prop: &Property, raw: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let inline = match raw.trim().strip_prefix("data:") {
        Some(uri) => uri.split_once(";base64,")?.1.to_string(),
        None => {
            let encoded = param(prop, "ENCODING").is_some_and(|v| {
                v.iter()
                    .any(|e| e.eq_ignore_ascii_case("b") || e.eq_ignore_ascii_case("BASE64"))
            });
            if !encoded {
                return None;
            }
            raw.to_string()
        }
    };
    let compact: String = inline.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    crate::repo::contact_photo::image_type(&bytes).ok()?;
    Some(bytes)
}

/// The label of an `EMAIL` or `TEL`: our export's `X-DEVHUB-LABEL` as it was, else the first
/// `TYPE` that says what the value is (`cell` is called mobile; `internet`, `voice`, `pref`
/// and the like say nothing a person would call a label).
fn label_of(prop: &Property) -> Option<String> {
    if let Some(label) = param(prop, "X-DEVHUB-LABEL").and_then(|v| v.first()) {
        return non_empty(label.trim_matches('"').to_string());
    }
    const NOT_LABELS: [&str; 8] = [
        "internet",
        "voice",
        "pref",
        "x400",
        "text",
        "msg",
        "uri",
        "textphone",
    ];
    // `TYPE=INTERNET;TYPE=HOME` is two parameters, `TYPE=INTERNET,HOME` one with two values.
    prop.params
        .iter()
        .flatten()
        .filter(|(k, _)| k.eq_ignore_ascii_case("TYPE"))
        .flat_map(|(_, v)| v)
        .flat_map(|t| t.split(','))
        .map(|t| t.trim().trim_matches('"').to_ascii_lowercase())
        .find(|t| !t.is_empty() && !NOT_LABELS.contains(&t.as_str()))
        .map(|t| match t.as_str() {
            "cell" => "mobile".to_string(),
            _ => t.strip_prefix("x-").map(str::to_string).unwrap_or(t),
        })
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn param<'a>(prop: &'a Property, key: &str) -> Option<&'a [String]> {
    prop.params
        .as_ref()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_slice())
}

fn has_param(prop: &Property, key: &str) -> bool {
    param(prop, key).is_some()
}

/// The value with its transfer encoding undone: quoted-printable (vCard 2.1 and Outlook),
/// in UTF-8 or Latin-1.
fn decoded(prop: &Property, raw: &str) -> String {
    let qp = param(prop, "ENCODING")
        .is_some_and(|v| v.iter().any(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE")))
        || prop.params.as_ref().is_some_and(|ps| {
            ps.iter()
                .any(|(k, v)| v.is_empty() && k.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
        });
    if !qp {
        return raw.to_string();
    }
    let bytes = quoted_printable(raw);
    let latin1 = param(prop, "CHARSET").is_some_and(|v| {
        v.iter().any(|c| {
            let c = c.to_ascii_lowercase();
            c == "iso-8859-1" || c == "windows-1252" || c == "latin1"
        })
    });
    if latin1 {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn quoted_printable(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// vCard text escapes: `\n`, `\,`, `\;`, `\\`.
pub(crate) fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The components of a structured value (`N`, `ADR`, `ORG`), split at unescaped `;`.
fn split_structured(value: &str) -> Vec<String> {
    split_unescaped(value, ';')
}

/// The items of a list value (`CATEGORIES`), split at unescaped `,`.
fn split_list(value: &str) -> Vec<String> {
    split_unescaped(value, ',')
}

fn split_unescaped(value: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            current.push(c);
            if let Some(n) = chars.next() {
                current.push(n);
            }
        } else if c == sep {
            parts.push(unescape(&current));
            current.clear();
        } else {
            current.push(c);
        }
    }
    parts.push(unescape(&current));
    parts
}

/// `N:Family;Given;Additional;Prefix;Suffix` as a display name.
fn name_from_n(value: &str) -> String {
    let parts = split_structured(value);
    let get = |i: usize| parts.get(i).map(|s| s.trim()).unwrap_or("");
    [get(3), get(1), get(2), get(0), get(4)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `BDAY` in the forms vCard 3.0 and 4.0 allow: `1990-04-15`, `19900415`, with a time,
/// `--0415` / `--04-15` (no year), and Apple's year 1604 marked `X-APPLE-OMIT-YEAR`.
fn birthday(value: &str, apple_omit_year: bool) -> Option<NaiveDate> {
    let v = value.trim();
    let v = v.split('T').next().unwrap_or(v);
    if let Some(rest) = v.strip_prefix("--") {
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 4 {
            return None;
        }
        let month = digits[..2].parse().ok()?;
        let day = digits[2..].parse().ok()?;
        return NaiveDate::from_ymd_opt(YEARLESS_BIRTHDAY_YEAR, month, day);
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%Y%m%d"))
        .ok()?;
    if apple_omit_year || chrono::Datelike::year(&date) < 1900 {
        use chrono::Datelike;
        return NaiveDate::from_ymd_opt(YEARLESS_BIRTHDAY_YEAR, date.month(), date.day());
    }
    Some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_with_and_without_a_year() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(birthday("1990-04-15", false), d(1990, 4, 15));
        assert_eq!(birthday("19900415", false), d(1990, 4, 15));
        assert_eq!(birthday("1990-04-15T00:00:00Z", false), d(1990, 4, 15));
        assert_eq!(birthday("--0229", false), d(1904, 2, 29));
        assert_eq!(birthday("--04-15", false), d(1904, 4, 15));
        assert_eq!(birthday("1604-04-15", true), d(1904, 4, 15));
        assert_eq!(birthday("next tuesday", false), None);
        assert_eq!(birthday("--13", false), None);
    }

    #[test]
    fn structured_values_split_at_unescaped_separators() {
        assert_eq!(
            name_from_n("Lovelace;Ada;King;Lady;"),
            "Lady Ada King Lovelace"
        );
        assert_eq!(
            split_structured(r"a\;b;c\,d"),
            vec!["a;b".to_string(), "c,d".to_string()]
        );
        assert_eq!(unescape(r"line\nnext\\"), "line\nnext\\");
    }

    #[test]
    fn quoted_printable_decodes_bytes() {
        assert_eq!(quoted_printable("Jos=C3=A9 =3D x"), "José = x".as_bytes());
        assert_eq!(quoted_printable("end="), b"end=");
    }
}
