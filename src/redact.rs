//! Shortening URLs for messages and logs so that credentials and tokens stay out of them.

use std::ops::Range;

use url::Url;

/// What [`redact_url_password`] returns for text that is not a URL.
pub const UNPARSABLE: &str = "<unparsable url>";

/// Replaces the password in `url`'s userinfo with `***`, leaving the rest of the text as it was.
pub fn redact_url_password(url: &str) -> String {
    let Ok(parsed) = Url::parse(url) else {
        return UNPARSABLE.to_string();
    };
    if parsed.password().is_none() {
        return url.to_string();
    }

    match password_span(url) {
        Some(span) => format!("{}***{}", &url[..span.start], &url[span.end..]),
        // The text is laid out unusually (e.g. `http:/user:pw@host`): let the parser rebuild it.
        None => {
            let mut redacted = parsed;
            match redacted.set_password(Some("***")) {
                Ok(()) => redacted.to_string(),
                Err(()) => UNPARSABLE.to_string(),
            }
        }
    }
}

/// The byte range of the password in `scheme://user:password@host/...`, if written that way.
fn password_span(url: &str) -> Option<Range<usize>> {
    let start = url.find("://")? + "://".len();
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some(start + colon + 1..start + at)
}

/// `scheme://host[:port]` of `url`, then `/…` if anything followed: webhook paths and queries
/// often carry tokens, so logs show only where a request went.
pub fn url_target(url: &Url) -> String {
    let mut target = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        (None, _) => format!("{}:", url.scheme()),
    };
    let elided = (url.has_host() && url.path() != "/" && !url.path().is_empty())
        || (!url.has_host() && !url.path().is_empty())
        || url.query().is_some()
        || url.fragment().is_some();
    if elided {
        target.push_str(if url.has_host() { "/…" } else { "…" });
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_replaced_and_everything_else_kept() {
        let redacted = redact_url_password("postgresql://quay:s3cret@quay-db:5432/quay?ssl=1");

        assert_eq!(redacted, "postgresql://quay:***@quay-db:5432/quay?ssl=1");
    }

    #[test]
    fn a_password_with_an_at_sign_is_fully_replaced() {
        let redacted = redact_url_password("postgres://u:p%40ss@host/db");

        assert_eq!(redacted, "postgres://u:***@host/db");
    }

    #[test]
    fn a_url_without_a_password_is_unchanged() {
        for url in [
            "postgresql://quay@quay-db/quay",
            "https://hooks.example.com/x?token=abc",
            "sqlite:///var/lib/regnotify.db",
            "sqlite::memory:",
        ] {
            assert_eq!(redact_url_password(url), url);
        }
    }

    #[test]
    fn unparsable_input_is_not_echoed() {
        assert_eq!(redact_url_password("not a url:secret@"), UNPARSABLE);
        assert_eq!(redact_url_password(""), UNPARSABLE);
    }

    #[test]
    fn a_target_keeps_scheme_host_and_port_only() {
        let url = Url::parse("https://bot:pw@hooks.example.com:8443/T0/B1/xyz?token=t#f").unwrap();

        assert_eq!(url_target(&url), "https://hooks.example.com:8443/…");
    }

    #[test]
    fn a_target_of_a_bare_host_has_no_ellipsis() {
        let url = Url::parse("http://receiver.local/").unwrap();

        assert_eq!(url_target(&url), "http://receiver.local");
    }

    #[test]
    fn a_target_omits_the_default_port_and_keeps_ipv6_brackets() {
        let url = Url::parse("https://[::1]:443/hook").unwrap();

        assert_eq!(url_target(&url), "https://[::1]/…");
    }

    #[test]
    fn a_target_of_a_hostless_url_shows_only_the_scheme() {
        let url = Url::parse("mailto:ops@example.com").unwrap();

        assert_eq!(url_target(&url), "mailto:…");
    }
}
