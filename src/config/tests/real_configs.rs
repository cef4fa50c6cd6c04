//! Quay's real configs and regnotify's example.

use super::*;

#[test]
fn the_local_dev_quay_config_loads_with_the_expiry_scan_off() {
    let config = load_file(&format!("{QUAY_CONFIGS}/local-dev.config.yaml")).unwrap();

    assert_eq!(config.database.kind, DatabaseKind::Postgres);
    assert_eq!(config.mail.port, 1025);
    assert!(!config.browser_api_calls_xhr_only);
    assert_eq!(config.super_users, ["admin", "user1", "quayadmin"]);
    assert_eq!(
        config.expiry_scan_disabled_reason(),
        Some("FEATURE_GARBAGE_COLLECTION is false")
    );
}

#[test]
fn the_quay_config_bundle_loads_and_renders_without_its_secrets() {
    let path = format!("{QUAY_CONFIGS}/config-bundle.config.yaml");

    let config = load_file(&path).unwrap();
    let rendered = config.render_effective();

    assert_eq!(config.server_hostname, "quay");
    assert_eq!(config.mail.username.as_deref(), Some("jonathan"));
    assert!(rendered.contains("DB_URI: \"postgresql://user:***@quay-db.invalid/quay\""));
    assert!(
        rendered.contains(&format!("MAIL_PASSWORD: \"***\"  # {path}:")),
        "{rendered}"
    );
    assert!(!rendered.contains("pass"), "{rendered}");
    assert!(!rendered.contains("king"), "{rendered}");
}

#[test]
fn the_example_config_loads_with_the_expiry_scan_on() {
    let config = load_file(EXAMPLE).unwrap();

    assert_eq!(config.expiry_scan_disabled_reason(), None);
    assert_eq!(config.database.expose_url(), DEFAULT_DATABASE_URL);
    let rendered = config.render_effective();
    let defaults = Config::defaults().render_effective();
    let differing: Vec<&str> = (rendered.lines())
        .zip(defaults.lines())
        .filter(|(a, b)| a.split("  # ").next() != b.split("  # ").next())
        .map(|(a, _)| a)
        .collect();
    // The header naming the file, the trigger itself, and the scan line.
    assert_eq!(differing.len(), 3, "{differing:?}");
    assert!(differing[1].starts_with("FEATURE_IMAGE_EXPIRY_TRIGGER: true"));
}

#[test]
fn the_example_config_documents_every_key() {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();

    for key in keys::ALL {
        let set = text.lines().any(|l| l.starts_with(&format!("{key}:")));
        let commented = text.lines().any(|l| l.starts_with(&format!("# {key}:")));
        assert!(set || commented, "{key} is not in config.example.yaml");
    }
}
