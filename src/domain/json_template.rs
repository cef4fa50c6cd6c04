//! Quay's webhook body templates: a JSON document whose strings (keys and values) may hold
//! `${path}` placeholders, filled from the event data.
//!
//! A string that is exactly one placeholder becomes the raw value found (`null` for none, an
//! array for several); a placeholder inside a longer string becomes text (`(none)` for none,
//! several joined with `,`). Paths are written as in Quay (`repository`, `tags[0]`,
//! `trigger_metadata.commit`, `updated_tags[*]`) and evaluated as RFC 9535 JSONPath from the root.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{([^}]*)\}").expect("a valid regex"));

/// A template whose every placeholder parsed.
#[derive(Debug, Clone)]
pub struct JsonTemplate {
    template: Value,
}

impl JsonTemplate {
    /// Parses a template, with Quay's messages: `Could not parse template: ...`,
    /// `Empty expression found`, ``For expression `...`: ...``.
    pub fn parse(text: &str) -> Result<JsonTemplate, String> {
        let template: Value =
            serde_json::from_str(text).map_err(|e| format!("Could not parse template: {e}"))?;
        check_strings(&template)?;
        Ok(JsonTemplate { template })
    }

    /// The body for `data`.
    pub fn apply(&self, data: &Value) -> Value {
        fill(&self.template, data)
    }
}

fn check_strings(value: &Value) -> Result<(), String> {
    match value {
        Value::String(text) => check_placeholders(text),
        Value::Array(items) => items.iter().try_for_each(check_strings),
        Value::Object(map) => map.iter().try_for_each(|(key, value)| {
            check_placeholders(key)?;
            check_strings(value)
        }),
        _ => Ok(()),
    }
}

fn check_placeholders(text: &str) -> Result<(), String> {
    PLACEHOLDER.captures_iter(text).try_for_each(|captures| {
        let expression = &captures[1];
        if expression.trim().is_empty() {
            return Err("Empty expression found".to_owned());
        }
        path(expression).map(|_| ())
    })
}

fn path(expression: &str) -> Result<JsonPath, String> {
    let expression = expression.trim();
    let rooted = if expression.starts_with('$') {
        expression.to_owned()
    } else if expression.starts_with('[') {
        format!("${expression}")
    } else {
        format!("$.{expression}")
    };
    JsonPath::parse(&rooted).map_err(|e| format!("For expression `{expression}`: {e}"))
}

fn fill(template: &Value, data: &Value) -> Value {
    match template {
        Value::String(text) => fill_string(text, data),
        Value::Array(items) => items.iter().map(|item| fill(item, data)).collect(),
        Value::Object(map) => {
            let filled: Map<String, Value> = map
                .iter()
                .map(|(key, value)| (inline(key, data), fill(value, data)))
                .collect();
            Value::Object(filled)
        }
        other => other.clone(),
    }
}

fn fill_string(text: &str, data: &Value) -> Value {
    if let Some(captures) = PLACEHOLDER.captures(text)
        && captures[0].len() == text.len()
    {
        let mut found = matches(&captures[1], data);
        return match found.len() {
            0 => Value::Null,
            1 => found.remove(0),
            _ => Value::Array(found),
        };
    }
    Value::String(inline(text, data))
}

fn inline(text: &str, data: &Value) -> String {
    PLACEHOLDER
        .replace_all(text, |captures: &regex::Captures<'_>| {
            let found = matches(&captures[1], data);
            if found.is_empty() {
                "(none)".to_owned()
            } else {
                found.iter().map(as_text).collect::<Vec<_>>().join(",")
            }
        })
        .into_owned()
}

fn matches(expression: &str, data: &Value) -> Vec<Value> {
    match path(expression) {
        Ok(path) => path.query(data).all().into_iter().cloned().collect(),
        Err(_) => Vec::new(),
    }
}

/// A value as text inside a longer string: strings as they are, everything else as JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(template: &str, data: Value) -> Value {
        JsonTemplate::parse(template).unwrap().apply(&data)
    }

    #[test]
    fn templates_follow_quays_rules() {
        let data = json!({"thing": 1234, "first": {"second": "x"}, "tags": ["latest", "prod"]});

        assert_eq!(apply("{}", data.clone()), json!({}));
        assert_eq!(
            apply(r#"{"a": "literal"}"#, data.clone()),
            json!({"a": "literal"})
        );
        assert_eq!(
            apply(r#"{"a": "${thing}"}"#, data.clone()),
            json!({"a": 1234})
        );
        assert_eq!(
            apply(r#"{"a": "is ${thing}"}"#, data.clone()),
            json!({"a": "is 1234"})
        );
        assert_eq!(
            apply(r#"{"a": "${first.second}"}"#, data.clone()),
            json!({"a": "x"})
        );
        assert_eq!(
            apply(r#"{"a": "${first.third}"}"#, data.clone()),
            json!({"a": null})
        );
        assert_eq!(
            apply(r#"{"a": "${tags[0]}"}"#, data.clone()),
            json!({"a": "latest"})
        );
        assert_eq!(
            apply(r#"{"a": "${tags[7]}"}"#, data.clone()),
            json!({"a": null})
        );
        assert_eq!(
            apply(r#"{"a": "x ${tags[7]}"}"#, data.clone()),
            json!({"a": "x (none)"})
        );
        assert_eq!(
            apply(r#"{"a": ["${thing}", "${tags[1]}"]}"#, data.clone()),
            json!({"a": [1234, "prod"]})
        );
        assert_eq!(
            apply(r#"{"a": "${tags[*]}"}"#, data.clone()),
            json!({"a": ["latest", "prod"]})
        );
        assert_eq!(
            apply(r#"{"a": "tags: ${tags[*]}"}"#, data.clone()),
            json!({"a": "tags: latest,prod"})
        );
        assert_eq!(apply(r#"{"${first.second}": 1}"#, data), json!({"x": 1}));
    }

    #[test]
    fn the_push_example_of_the_reference_renders() {
        let template = r#"{"text": "Pushed ${updated_tags[*]} to ${repository}",
                           "tags": "${updated_tags[*]}", "url": "${homepage}"}"#;
        let data = json!({"updated_tags": ["latest", "foo"], "repository": "ns/repo",
                          "homepage": "https://host/repository/ns/repo"});

        assert_eq!(
            apply(template, data),
            json!({"text": "Pushed latest,foo to ns/repo", "tags": ["latest", "foo"],
                   "url": "https://host/repository/ns/repo"})
        );
    }

    #[test]
    fn invalid_templates_are_refused_with_quays_messages() {
        let error = |text| JsonTemplate::parse(text).unwrap_err();

        assert!(error("{").starts_with("Could not parse template:"));
        assert_eq!(error(r#"{"a": "${}"}"#), "Empty expression found");
        assert!(error(r#"{"a": "${;;}"}"#).starts_with("For expression `;;`:"));
        assert!(error(r#"{"a": "${first[}"}"#).starts_with("For expression `first[`:"));
    }
}
