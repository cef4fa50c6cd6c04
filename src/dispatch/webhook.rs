//! The webhook method: POST the event data as JSON.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;

use super::Attempt;
use crate::domain::WebhookUrl;

/// The header carrying a delivery's id, the same in every attempt.
pub const DELIVERY_HEADER: &str = "X-Regnotify-Delivery";

/// Sends webhook POSTs with the configured timeout, never following redirects, and refusing
/// addresses on loopback, private and link-local networks unless told otherwise.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    allow_private: bool,
}

impl WebhookSender {
    /// A sender with `timeout` per request.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<WebhookSender, reqwest::Error> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("regnotify/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .build()?;
        Ok(WebhookSender {
            client,
            allow_private,
        })
    }

    /// POSTs `body` to `url`, with the delivery's id in `X-Regnotify-Delivery` so that a
    /// receiver can drop a duplicate; a 2xx answer is success.
    pub async fn send(&self, url: &WebhookUrl, body: &Value, delivery_id: &str) -> Attempt {
        let started = Instant::now();
        if let Some(ip) = literal_ip(url.as_url())
            && !self.allow_private
            && !is_public(ip)
        {
            return Attempt::failed(None, format!("{url} is on a private network"), started);
        }
        let response = self
            .client
            .post(url.as_url().clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(DELIVERY_HEADER, delivery_id)
            .body(body.to_string())
            .send()
            .await;
        match response {
            Ok(response) if response.status().is_success() => {
                Attempt::delivered(response.status().as_u16(), started)
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let error = format!("{status} response for webhook to url: {url}");
                Attempt::failed(Some(status), error, started)
            }
            Err(error) => {
                let error = format!("webhook to {url}: {}", describe(error));
                Attempt::failed(None, error, started)
            }
        }
    }
}

/// The error's cause chain without the URL, which may carry a token.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&strip_urls(&cause.to_string()));
        source = cause.source();
    }
    text
}

/// Replaces every `http(s)://...` in `text` with `<url>`.
fn strip_urls(text: &str) -> String {
    text.split(' ')
        .map(
            |word| match word.find("http://").or_else(|| word.find("https://")) {
                Some(at) => format!("{}<url>", &word[..at]),
                None => word.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join(" ")
}

fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared (CGNAT),
/// unspecified or broadcast.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// Resolves host names and drops the addresses webhooks may not reach, so that a name cannot
/// smuggle a request onto an internal network.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| allow_private || is_public(addr.ip()))
                .collect();
            if allowed.is_empty() {
                let error = format!("{host} resolves only to private or local addresses");
                return Err(error.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
