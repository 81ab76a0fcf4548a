//! The rules the server applies to what it is sent, stated in the OpenAPI document from the
//! validators' own constants and patterns (`devhub_db::validate`), so that a client generated
//! from the document never sends what the server refuses, and a request the document refuses
//! is refused by the server too. Also the response links between operations.

use chrono::Utc;
use devhub_db::repo::contact_detail::MAX_PER_KIND;
use devhub_db::repo::contact_info::MAX_LABEL;
use devhub_db::repo::follow_up::MAX_FOLLOW_UP_NOTE;
use devhub_db::repo::tag::MAX_TAG_NAME;
use devhub_db::validate::{
    self, MAX_EMAIL, MAX_LONG_TEXT, MAX_NAME, MAX_PHONE, MAX_SHORT_TEXT, MAX_SOCIAL_LINKS, MAX_URL,
};
use serde_json::{json, Map, Value};

use super::extract::MAX_LIMIT;

/// What one field accepts.
enum Rule {
    /// A text that may be blank (or null, where the schema says so), at most this long.
    Text(usize),
    /// A text with something besides white space, at most this long.
    Required(usize),
    /// White space around the shape; blank allowed when `optional`.
    Shaped {
        shape: String,
        optional: bool,
        max: Option<usize>,
        format: Option<&'static str>,
    },
    /// A list of at most `max_items` of `item`.
    List { max_items: usize, item: Box<Rule> },
    /// A list of at most [`MAX_PER_KIND`] `{value, label}` objects, each value by this rule.
    LabeledList(Box<Rule>),
}

impl Rule {
    fn shaped(shape: String, optional: bool, max: Option<usize>) -> Rule {
        Rule::Shaped {
            shape,
            optional,
            max,
            format: None,
        }
    }

    fn date(shape: String, optional: bool) -> Rule {
        Rule::Shaped {
            shape,
            optional,
            max: None,
            format: Some("date"),
        }
    }

    fn apply(&self, schema: &mut Map<String, Value>) {
        match self {
            Rule::Text(max) => {
                schema.insert("maxLength".into(), json!(max));
                schema.insert("pattern".into(), json!(validate::text_pattern()));
            }
            Rule::Required(max) => {
                schema.insert("minLength".into(), json!(1));
                schema.insert("maxLength".into(), json!(max));
                schema.insert("pattern".into(), json!(validate::required_text_pattern()));
            }
            Rule::Shaped {
                shape,
                optional,
                max,
                format,
            } => {
                schema.insert(
                    "pattern".into(),
                    json!(validate::padded_pattern(shape, *optional)),
                );
                if let Some(max) = max {
                    schema.insert("maxLength".into(), json!(max));
                }
                if let Some(format) = format {
                    schema.insert("format".into(), json!(format));
                }
            }
            Rule::List { max_items, item } => {
                schema.insert("maxItems".into(), json!(max_items));
                let mut items = Map::new();
                items.insert("type".into(), json!("string"));
                item.apply(&mut items);
                schema.insert("items".into(), Value::Object(items));
            }
            Rule::LabeledList(value_rule) => {
                let mut value = Map::new();
                value.insert("type".into(), json!("string"));
                value_rule.apply(&mut value);
                let mut label = Map::new();
                label.insert("type".into(), json!(["string", "null"]));
                Rule::Text(MAX_LABEL).apply(&mut label);
                schema.insert("maxItems".into(), json!(MAX_PER_KIND));
                schema.insert(
                    "items".into(),
                    json!({
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {"value": value, "label": label},
                    }),
                );
            }
        }
    }
}

fn enum_shape(words: &[&str]) -> String {
    format!("(?:{})", words.join("|"))
}

/// `(schema, field, rule)` for every field of every request body, and each schema's required
/// fields.
/// `(schema, field, rule)`.
type FieldRules = Vec<(&'static str, &'static str, Rule)>;
/// `(schema, its required fields)`.
type RequiredFields = Vec<(&'static str, &'static [&'static str])>;

fn body_rules() -> (FieldRules, RequiredFields) {
    let today = Utc::now().date_naive();
    let birthday = || Rule::date(validate::dates_through_pattern(today), true);
    let date = |optional| {
        Rule::date(
            validate::dates_through_pattern(validate::latest_date()),
            optional,
        )
    };
    let status = || Rule::shaped(enum_shape(&["active", "archived"]), true, None);
    let kind = |optional| {
        Rule::shaped(
            enum_shape(&["meeting", "call", "email", "message", "other"]),
            optional,
            None,
        )
    };
    let email = || Rule::Shaped {
        shape: validate::email_shape(),
        optional: true,
        max: Some(MAX_EMAIL),
        format: None,
    };
    let phone = || Rule::shaped(validate::phone_shape(), true, Some(MAX_PHONE));
    let links = || Rule::List {
        max_items: MAX_SOCIAL_LINKS,
        item: Box::new(Rule::shaped(validate::url_shape(), true, Some(MAX_URL))),
    };
    let color = || Rule::shaped(validate::COLOR_SHAPE.to_string(), true, None);
    let mut rules = Vec::new();
    for schema in ["ContactInput", "ContactPatch"] {
        rules.extend([
            (schema, "name", Rule::Required(MAX_NAME)),
            (schema, "relationship", Rule::Text(MAX_SHORT_TEXT)),
            (schema, "industry", Rule::Text(MAX_SHORT_TEXT)),
            (schema, "location", Rule::Text(MAX_SHORT_TEXT)),
            (schema, "birthday", birthday()),
            (schema, "status", status()),
            (schema, "notes", Rule::Text(MAX_LONG_TEXT)),
        ]);
    }
    rules.extend([
        ("InteractionInput", "type", kind(false)),
        ("InteractionInput", "date", date(false)),
        ("InteractionInput", "notes", Rule::Text(MAX_LONG_TEXT)),
        ("InteractionPatch", "type", kind(false)),
        ("InteractionPatch", "date", date(false)),
        ("InteractionPatch", "notes", Rule::Text(MAX_LONG_TEXT)),
        ("FollowUpInput", "due_date", date(false)),
        ("FollowUpInput", "note", Rule::Text(MAX_FOLLOW_UP_NOTE)),
        ("FollowUpPatch", "due_date", date(false)),
        ("FollowUpPatch", "note", Rule::Text(MAX_FOLLOW_UP_NOTE)),
        ("TagInput", "name", Rule::Required(MAX_TAG_NAME)),
        ("TagInput", "color", color()),
        ("TagPatch", "name", Rule::Required(MAX_TAG_NAME)),
        ("TagPatch", "color", color()),
    ]);
    for schema in ["BackgroundInput", "BackgroundPatch"] {
        for field in ["family", "company", "likes_dislikes", "misc_notes"] {
            rules.push((schema, field, Rule::Text(MAX_LONG_TEXT)));
        }
    }
    for schema in ["ContactInfoInput", "ContactInfoPatch"] {
        rules.extend([
            (schema, "main_app", Rule::Text(MAX_SHORT_TEXT)),
            (schema, "email", email()),
            (schema, "phone_number", phone()),
            (schema, "social_links", links()),
            (schema, "email_label", Rule::Text(MAX_LABEL)),
            (schema, "phone_label", Rule::Text(MAX_LABEL)),
        ]);
    }
    rules.extend([
        (
            "ContactDetailsInput",
            "main_app",
            Rule::Text(MAX_SHORT_TEXT),
        ),
        ("ContactDetailsInput", "social_links", links()),
        (
            "ContactDetailsInput",
            "emails",
            Rule::LabeledList(Box::new(email())),
        ),
        (
            "ContactDetailsInput",
            "phones",
            Rule::LabeledList(Box::new(phone())),
        ),
    ]);
    let required: RequiredFields = vec![
        ("ContactInput", &["name"]),
        ("InteractionInput", &["type", "date"]),
        ("FollowUpInput", &["due_date"]),
        ("TagInput", &["name"]),
    ];
    (rules, required)
}

/// States the rules in `doc` (the document as JSON).
pub fn state_rules(doc: &mut Value) {
    let (rules, required) = body_rules();
    let schemas = &mut doc["components"]["schemas"];
    for (schema, field, rule) in rules {
        // Every rule's field is in the document (a test checks it).
        let property = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(field))
            .and_then(Value::as_object_mut);
        if let Some(property) = property {
            rule.apply(property);
        }
    }
    for (name, schema) in schemas.as_object_mut().into_iter().flatten() {
        if name.ends_with("Input") || name.ends_with("Patch") {
            schema["additionalProperties"] = json!(false);
            schema["required"] = json!([]);
        }
    }
    for (schema, fields) in required {
        schemas[schema]["required"] = json!(fields);
    }

    // Query parameters: the cursor's shape (base64url), the limit's range.
    for item in doc["paths"]
        .as_object_mut()
        .into_iter()
        .flatten()
        .map(|(_, v)| v)
    {
        for operation in item.as_object_mut().into_iter().flatten().map(|(_, v)| v) {
            let parameters = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut);
            for parameter in parameters.into_iter().flatten() {
                match parameter["name"].as_str() {
                    Some("cursor") => {
                        parameter["schema"]["pattern"] = json!("^[A-Za-z0-9_-]*$");
                    }
                    Some("limit") => {
                        parameter["schema"]["minimum"] = json!(1);
                        parameter["schema"]["maximum"] = json!(MAX_LIMIT);
                    }
                    _ => {}
                }
            }
        }
    }
    add_links(doc);
}

/// Response links: what a created resource's id can be used for next (stateful clients and
/// testers follow them).
fn add_links(doc: &mut Value) {
    let by_id = |ops: &[&str], parameter: &str| -> Value {
        let mut links = Map::new();
        for op in ops {
            links.insert(
                (*op).to_string(),
                json!({"operationId": op, "parameters": {parameter: "$response.body#/id"}}),
            );
        }
        Value::Object(links)
    };
    let contact = by_id(&["get_contact", "update_contact", "delete_contact"], "id");
    let mut contact_links = contact.as_object().cloned().unwrap_or_default();
    if let Value::Object(more) = by_id(
        &[
            "list_contact_interactions",
            "create_interaction",
            "list_contact_follow_ups",
            "create_follow_up",
            "put_background",
            "put_contact_info",
            "get_contact_details",
            "put_contact_details",
            "list_contact_tags",
        ],
        "contact_id",
    ) {
        contact_links.extend(more);
    }
    let links = [
        (
            "/api/v1/contacts",
            "post",
            "201",
            Value::Object(contact_links),
        ),
        (
            "/api/v1/contacts/{contact_id}/interactions",
            "post",
            "201",
            by_id(
                &[
                    "get_interaction",
                    "update_interaction",
                    "delete_interaction",
                ],
                "id",
            ),
        ),
        (
            "/api/v1/contacts/{contact_id}/follow-ups",
            "post",
            "201",
            by_id(
                &["get_follow_up", "update_follow_up", "delete_follow_up"],
                "id",
            ),
        ),
        (
            "/api/v1/tags",
            "post",
            "201",
            by_id(&["get_tag", "update_tag", "delete_tag"], "id"),
        ),
    ];
    for (path, method, status, links) in links {
        doc["paths"][path][method]["responses"][status]["links"] = links;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_names_a_field_of_the_document() {
        let doc = serde_json::to_value(super::super::openapi()).unwrap_or_default();
        let (rules, required) = body_rules();
        for (schema, field, _) in rules {
            assert!(
                doc["components"]["schemas"][schema]["properties"][field].is_object(),
                "{schema}.{field}"
            );
        }
        for (schema, fields) in required {
            for field in fields {
                assert!(
                    doc["components"]["schemas"][schema]["properties"][field].is_object(),
                    "{schema}.{field}"
                );
            }
        }
    }
}
