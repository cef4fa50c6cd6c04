//! Durations as users type them: `90s`, `30m`, `12h`, `3d`, `2w`.

/// Parses a positive duration with a unit (s, m, h, d, w).
pub fn parse(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write a number and a unit, e.g. 3d"))?;
    let duration = match unit {
        "s" => chrono::Duration::try_seconds(number),
        "m" => chrono::Duration::try_minutes(number),
        "h" => chrono::Duration::try_hours(number),
        "d" => chrono::Duration::try_days(number),
        "w" => chrono::Duration::try_weeks(number),
        _ => None,
    };
    match duration {
        Some(duration) if number > 0 => Ok(duration),
        _ => Err(format!(
            "`{text}` is not a duration: use s, m, h, d or w after a positive number"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_number_and_a_unit() {
        assert_eq!(parse("3d"), Ok(chrono::Duration::days(3)));
        assert_eq!(parse("90s"), Ok(chrono::Duration::seconds(90)));
        assert!(parse("3").is_err());
        assert!(parse("0d").is_err());
        assert!(parse("3 days").is_err());
    }
}
