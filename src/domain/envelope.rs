//! The common part of every event's data, as Quay builds it.

use serde_json::{Map, Value, json};

use super::RepositoryRef;

/// Where the registry is reached: Quay's `SERVER_HOSTNAME` and `PREFERRED_URL_SCHEME`.
#[derive(Debug, Clone)]
pub struct RegistryUrls {
    /// Host and optional port, e.g. `quay.example.com`.
    pub server_hostname: String,
    /// `http` or `https`.
    pub scheme: String,
}

/// `{repository, namespace, name, docker_url, homepage}` merged with `extra` (whose keys win,
/// as in Quay).
pub fn repository_event_data(
    urls: &RegistryUrls,
    repository: &RepositoryRef,
    extra: Map<String, Value>,
) -> Value {
    let mut data = json!({
        "repository": repository.to_string(),
        "namespace": repository.namespace,
        "name": repository.name,
        "docker_url": format!("{}/{}", urls.server_hostname, repository),
        "homepage": format!(
            "{}://{}/repository/{}",
            urls.scheme, urls.server_hostname, repository
        ),
    });
    if let Value::Object(map) = &mut data {
        map.extend(extra);
    }
    data
}
