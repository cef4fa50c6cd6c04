//! Per-event filters: whether a notification wants a given event, as Quay decides it.

use regex::Regex;
use serde_json::Value;

use crate::domain::EventName;

/// Quay's severity names, most severe first; a notification's `level` is an index into them.
const PRIORITY_LEVELS: [&str; 6] = ["Critical", "High", "Medium", "Low", "Negligible", "Unknown"];

/// Whether a notification with `event_config` fires for `event_data`.
pub fn should_perform(event: EventName, event_config: &Value, event_data: &Value) -> bool {
    if event.is_build() {
        build_ref_matches(event_config, event_data)
    } else if event == EventName::VulnerabilityFound {
        vulnerability_is_severe_enough(event_config, event_data)
    } else {
        true
    }
}

/// Builds: no `ref-regex` fires; otherwise the build's ref must match it from the start (Python's
/// `re.match`). No ref, or an invalid regex, never fires.
fn build_ref_matches(event_config: &Value, event_data: &Value) -> bool {
    let pattern = match event_config.get("ref-regex").and_then(Value::as_str) {
        None | Some("") => return true,
        Some(pattern) => pattern,
    };
    let Some(reference) = event_data
        .pointer("/trigger_metadata/ref")
        .and_then(Value::as_str)
    else {
        return false;
    };
    match Regex::new(&format!("^(?:{pattern})")) {
        Ok(regex) => regex.is_match(reference),
        Err(error) => {
            tracing::warn!(%error, "a build notification's ref-regex does not compile");
            false
        }
    }
}

/// Vulnerabilities: no `level` fires; new-index reports always fire; otherwise the priority's
/// index must be at most the level.
fn vulnerability_is_severe_enough(event_config: &Value, event_data: &Value) -> bool {
    let Some(level) = event_config.get("level") else {
        return true;
    };
    if event_data.get("vulnerable_index_report_created").is_some() {
        return true;
    }
    let level = match level {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let priority = event_data
        .pointer("/vulnerability/priority")
        .and_then(Value::as_str);
    let index = priority.and_then(|p| PRIORITY_LEVELS.iter().position(|known| *known == p));
    matches!((index, level), (Some(index), Some(level)) if index as u64 <= level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(reference: Option<&str>) -> Value {
        match reference {
            Some(r) => json!({"trigger_metadata": {"ref": r}}),
            None => json!({}),
        }
    }

    #[test]
    fn build_filters_follow_quays_ref_regex_rules() {
        let event = EventName::BuildSuccess;
        let master = build(Some("refs/heads/master"));

        assert!(should_perform(event, &json!({}), &master));
        assert!(should_perform(event, &json!({"ref-regex": ""}), &master));
        assert!(should_perform(
            event,
            &json!({"ref-regex": "refs/heads/.+"}),
            &master
        ));
        assert!(!should_perform(
            event,
            &json!({"ref-regex": "refs/tags/.+"}),
            &master
        ));
        assert!(!should_perform(
            event,
            &json!({"ref-regex": "heads"}),
            &master
        ));
        assert!(!should_perform(event, &json!({"ref-regex": "]["}), &master));
        assert!(!should_perform(
            event,
            &json!({"ref-regex": ".*"}),
            &build(None)
        ));
    }

    #[test]
    fn vulnerability_filters_compare_the_priority_index_with_the_level() {
        let event = EventName::VulnerabilityFound;
        let critical = json!({"vulnerability": {"priority": "Critical"}});
        let low = json!({"vulnerability": {"priority": "Low"}});

        assert!(should_perform(event, &json!({}), &low));
        assert!(should_perform(event, &json!({"level": "3"}), &critical));
        assert!(!should_perform(event, &json!({"level": 1}), &low));
        assert!(!should_perform(event, &json!({"level": "3"}), &json!({})));
        assert!(should_perform(
            event,
            &json!({"level": "0"}),
            &json!({"vulnerable_index_report_created": "true"})
        ));
    }
}
