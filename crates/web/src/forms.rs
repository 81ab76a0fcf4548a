//! What every form shares: the messages shown beside the fields of a form that came back
//! (DESIGN.md §5: "the same form comes back with the values kept and a message beside each
//! field"), and where a form goes back to: only ever a path on this site.

use devhub_db::ValidationErrors;

/// The messages shown beside the fields of a form that came back, each a sentence naming
/// its field ("Name is required.").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// The repository's errors, each prefixed with its field's label from `labels`
    /// (`(field, label)` pairs); fields without a label use the field name.
    pub fn from_validation(errors: &ValidationErrors, labels: &[(&str, &str)]) -> Self {
        let mut out = FieldErrors::default();
        for e in errors.iter() {
            let label = labels
                .iter()
                .find(|(field, _)| *field == e.field)
                .map_or(e.field, |(_, label)| *label);
            out.add(e.field, label, &e.message);
        }
        out
    }

    /// Adds "`label` `message`." for `field`, unless the field already has a message.
    pub fn add(&mut self, field: &str, label: &str, message: &str) {
        if self.get(field).is_none() {
            self.0
                .push((field.to_string(), format!("{label} {message}.")));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Messages of fields other than `shown` (which the form has no place for).
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(_, m)| m.clone())
            .collect()
    }
}

/// `next` is honoured only when it is a path on this site: `/…`, never `//host` or `/\host`.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let bytes = next.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 2048;
    local.then(|| next.to_string())
}

/// Where a successful write goes: the local path the form carried, or `fallback`.
pub fn return_to(back: &str, fallback: String) -> String {
    if back.trim().is_empty() {
        return fallback;
    }
    safe_next(Some(back)).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_sentences_naming_the_field() {
        let mut v = ValidationErrors::new();
        v.add("name", "is required");
        v.add("birthday", "cannot be in the future");
        v.add("name", "must be at most 200 characters");
        let errors = FieldErrors::from_validation(&v, &[("name", "Name")]);
        assert_eq!(errors.get("name"), Some("Name is required."));
        assert_eq!(
            errors.get("birthday"),
            Some("birthday cannot be in the future.")
        );
        assert_eq!(
            errors.others(&["name"]),
            ["birthday cannot be in the future."]
        );
        assert!(!errors.has("status"));
    }

    #[test]
    fn writes_return_only_to_local_paths() {
        let fallback = || "/contacts/1".to_string();
        assert_eq!(return_to("", fallback()), "/contacts/1");
        assert_eq!(
            return_to("/interactions?type=call", fallback()),
            "/interactions?type=call"
        );
        assert_eq!(return_to("//evil.example", fallback()), "/contacts/1");
        assert_eq!(return_to("https://evil.example", fallback()), "/contacts/1");
    }

    #[test]
    fn only_local_paths_are_safe_next_targets() {
        assert_eq!(
            safe_next(Some("/contacts?q=a")).as_deref(),
            Some("/contacts?q=a")
        );
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "evil",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }
}
