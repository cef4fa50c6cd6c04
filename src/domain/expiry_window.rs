//! The window of an image-expiry trigger: announce tags expiring within `days` days.

use serde_json::Value;

/// A trigger's window in whole days, at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    days: u32,
}

/// The longest window accepted: ten years, far beyond any tag expiration policy.
const MAX_DAYS: u64 = 3650;

impl ExpiryWindow {
    /// A window of `days` days, if `days` is from 1 to 3650.
    pub fn new(days: u64) -> Result<ExpiryWindow, String> {
        if (1..=MAX_DAYS).contains(&days) {
            Ok(ExpiryWindow { days: days as u32 })
        } else {
            Err(format!(
                "days must be a whole number from 1 to {MAX_DAYS}, found {days}"
            ))
        }
    }

    /// Reads `days` from a trigger's `event_config`, as Quay's UI stores it (a number, or a
    /// string of digits).
    pub fn from_event_config(config: &Value) -> Result<ExpiryWindow, String> {
        let days = match config.get("days") {
            None | Some(Value::Null) => return Err("event config has no `days`".into()),
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match days {
            Some(days) => ExpiryWindow::new(days),
            None => Err(format!(
                "`days` must be a whole number from 1 to {MAX_DAYS}, found {}",
                config["days"]
            )),
        }
    }

    /// The number of days.
    pub fn days(self) -> u32 {
        self.days
    }

    /// The window's length in milliseconds.
    pub fn as_millis(self) -> i64 {
        i64::from(self.days) * 86_400_000
    }

    /// The `expiring_in` text of Quay's payload, e.g. `"3 days"` (Quay writes `"1 days"` too).
    pub fn expiring_in(self) -> String {
        format!("{} days", self.days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn days_are_read_from_numbers_and_digit_strings() {
        assert_eq!(
            ExpiryWindow::from_event_config(&json!({"days": 3}))
                .unwrap()
                .days(),
            3
        );
        assert_eq!(
            ExpiryWindow::from_event_config(&json!({"days": "7"}))
                .unwrap()
                .days(),
            7
        );
    }

    #[test]
    fn zero_missing_or_fractional_days_are_refused() {
        assert!(ExpiryWindow::from_event_config(&json!({"days": 0})).is_err());
        assert!(ExpiryWindow::from_event_config(&json!({})).is_err());
        assert!(ExpiryWindow::from_event_config(&json!({"days": 1.5})).is_err());
        assert!(ExpiryWindow::from_event_config(&json!({"days": -2})).is_err());
    }

    #[test]
    fn expiring_in_reads_like_quays() {
        assert_eq!(ExpiryWindow::new(1).unwrap().expiring_in(), "1 days");
    }
}
