//! A webhook URL that passed Quay's checks.

use std::fmt;

use url::Url;

/// The host names a webhook may not call: `WEBHOOK_HOSTNAME_BLACKLIST`, plus Quay's built-in
/// `localhost` and `127.0.0.1` unless private targets are allowed. Lower-cased.
pub fn hostname_blacklist(configured: &[String], allow_private_targets: bool) -> Vec<String> {
    let built_in = ["localhost", "127.0.0.1"];
    let mut hosts: Vec<String> = configured.iter().map(|h| h.to_ascii_lowercase()).collect();
    if !allow_private_targets {
        hosts.extend(built_in.iter().map(|h| (*h).to_owned()));
    }
    hosts
}

/// An `http` or `https` URL with a host that is not on the hostname blacklist.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// Validates `raw` with Quay's messages: `Missing webhook URL`, `Invalid webhook URL`.
    /// `blacklist` holds lower-case host names that may not be called.
    pub fn parse(raw: &str, blacklist: &[String]) -> Result<WebhookUrl, String> {
        if raw.trim().is_empty() {
            return Err("Missing webhook URL".into());
        }
        let url = Url::parse(raw.trim()).map_err(|_| "Invalid webhook URL".to_owned())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("Invalid webhook URL".into());
        }
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host.trim_end_matches('.').to_ascii_lowercase(),
            _ => return Err("Invalid webhook URL".into()),
        };
        if blacklist
            .iter()
            .any(|blocked| blocked.eq_ignore_ascii_case(&host))
        {
            return Err("Invalid webhook URL".into());
        }
        Ok(WebhookUrl(url))
    }

    /// The URL to call.
    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

/// Only scheme, host and port: paths and queries of webhook URLs often carry tokens.
impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::url_target(&self.0))
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::url_target(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quay_blacklist() -> Vec<String> {
        vec!["localhost".into(), "127.0.0.1".into()]
    }

    #[test]
    fn quays_validation_messages_are_kept() {
        let check = |raw| {
            WebhookUrl::parse(raw, &quay_blacklist())
                .map(|_| ())
                .unwrap_err()
        };

        assert_eq!(check(""), "Missing webhook URL");
        assert_eq!(check("telnet://example.com"), "Invalid webhook URL");
        assert_eq!(check("http://localhost"), "Invalid webhook URL");
        assert_eq!(check("http://LOCALHOST.:5000/x"), "Invalid webhook URL");
        assert_eq!(check("http://127.0.0.1:5000"), "Invalid webhook URL");
    }

    #[test]
    fn a_public_url_is_accepted_and_displayed_without_its_path() {
        let url = WebhookUrl::parse("https://example.com/hooks/s3cr3t?token=x", &[]).unwrap();

        assert_eq!(url.to_string(), "https://example.com/…");
    }
}
