//! Converting one YAML value to the type of its key; errors say what was expected and found.

use std::net::SocketAddr;
use std::time::Duration;

use yaml_serde::Value;

use super::UrlScheme;

/// The longest wait between two retries: a week.
const MAX_RETRY_SECONDS: u64 = 604_800;

/// A short description of `value` for "found ..." in messages.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 60 => {
            format!(
                "{:?}",
                format!("{}…", s.chars().take(60).collect::<String>())
            )
        }
        Value::String(s) => format!("{s:?}"),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

/// Like [`describe`], but never shows the value itself: for secrets.
fn describe_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// `expected {what}, found {value}`, with a hint when a number or boolean was quoted.
fn expected(what: &str, value: &Value) -> String {
    let hint = match value {
        Value::String(s) if s.trim().parse::<f64>().is_ok() || is_bool_word(s) => {
            "; write it without quotes"
        }
        _ => "",
    };
    format!("expected {what}, found {}{hint}", describe(value))
}

fn is_bool_word(s: &str) -> bool {
    matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "false")
}

/// A YAML boolean.
pub(super) fn boolean(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| expected("true or false", value))
}

/// A YAML string.
pub(super) fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        _ => Err(expected("a string", value)),
    }
}

/// A YAML string whose content must not appear in messages.
pub(super) fn secret_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        _ => Err(format!(
            "expected a string, found {}; quote the value",
            describe_kind(value)
        )),
    }
}

/// A list of strings.
pub(super) fn text_list(value: &Value) -> Result<Vec<String>, String> {
    let Value::Sequence(items) = value else {
        return Err(expected("a list of strings, such as [a, b]", value));
    };
    let to_text =
        |(i, item): (usize, &Value)| text(item).map_err(|e| format!("item {}: {e}", i + 1));
    items.iter().enumerate().map(to_text).collect()
}

/// A whole number from `min` to `max`; `what` names it, e.g. "a whole number of seconds".
pub(super) fn whole_number(value: &Value, min: u64, max: u64, what: &str) -> Result<u64, String> {
    match value.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(expected(&format!("{what} from {min} to {max}"), value)),
    }
}

/// A whole number of seconds from `min` to `max`.
pub(super) fn seconds(value: &Value, min: u64, max: u64) -> Result<Duration, String> {
    whole_number(value, min, max, "a whole number of seconds").map(Duration::from_secs)
}

/// A whole number of minutes, 1 or more.
pub(super) fn minutes(value: &Value) -> Result<Duration, String> {
    match value.as_u64() {
        Some(n @ 1..) if n <= u64::MAX / 60 => Ok(Duration::from_secs(n * 60)),
        _ => Err(expected("a whole number of minutes, 1 or more", value)),
    }
}

/// An interval a six-field cron schedule (with seconds) can repeat at evenly: a divisor of a
/// minute in seconds, or a divisor of an hour in whole minutes.
pub(super) fn cron_step(value: &Value) -> Result<Duration, String> {
    let divides_60 = |k: u64| k > 0 && 60 % k == 0;
    let fits = |n: u64| (n < 60 && divides_60(n)) || (n.is_multiple_of(60) && divides_60(n / 60));
    match value.as_u64() {
        Some(n) if fits(n) => Ok(Duration::from_secs(n)),
        _ => Err(expected(
            "a number of seconds a cron schedule can repeat at evenly: 1, 2, 3, 4, 5, 6, 10, \
             12, 15, 20 or 30, or whole minutes that divide an hour: 60, 120, 180, 240, 300, \
             360, 600, 720, 900, 1200, 1800 or 3600",
            value,
        )),
    }
}

/// A non-empty list of waits before successive retries, each from 1 second to a week.
pub(super) fn retry_schedule(value: &Value) -> Result<Vec<Duration>, String> {
    let list_of = "a non-empty list of whole numbers of seconds, such as [30, 120, 600]";
    let items = match value {
        Value::Sequence(items) if !items.is_empty() => items,
        Value::Sequence(_) => return Err(format!("expected {list_of}, found an empty list")),
        _ => return Err(expected(list_of, value)),
    };
    let to_wait = |(i, item): (usize, &Value)| {
        seconds(item, 1, MAX_RETRY_SECONDS).map_err(|e| format!("item {}: {e} (7 days)", i + 1))
    };
    items.iter().enumerate().map(to_wait).collect()
}

/// An IP address and port to listen on.
pub(super) fn socket_addr(value: &Value) -> Result<SocketAddr, String> {
    let what = "an IP address and port such as 127.0.0.1:8089 or [::]:8089";
    match value {
        Value::String(s) => s.trim().parse().map_err(|_| expected(what, value)),
        _ => Err(expected(what, value)),
    }
}

/// `http` or `https`.
pub(super) fn url_scheme(value: &Value) -> Result<UrlScheme, String> {
    match value.as_str() {
        Some("http") => Ok(UrlScheme::Http),
        Some("https") => Ok(UrlScheme::Https),
        _ => Err(expected("http or https", value)),
    }
}
