//! Finding, reading and parsing the config file.

use super::*;

#[test]
fn a_missing_default_file_means_defaults() {
    let config = Setup::without_file().load().unwrap();

    assert_eq!(config.source, ConfigSource::Defaults);
    assert_eq!(config.database.kind, DatabaseKind::Sqlite);
    assert_eq!(config.database.expose_url(), "sqlite://regnotify.db");
    assert_eq!(config.server_hostname, "localhost:8080");
    assert_eq!(
        config.notification_task_run_minimum_interval,
        Duration::from_secs(18_000)
    );
    assert_eq!(config.notification_send_timeout, Duration::from_secs(10));
    assert_eq!(config.mail.port, 587);
    assert_eq!(config.retry_schedule.len(), 5);
    assert!(config.origins.is_empty());
}

#[test]
fn the_default_file_is_read_when_present() {
    let setup = Setup::without_file();
    let default_path = setup.dir.path().join("config.yaml");
    std::fs::write(&default_path, "FEATURE_AUTO_PRUNE: true\n").unwrap();
    let env = |_: &str| None;
    let opts = LoadOptions {
        explicit_path: None,
        database_url: None,
        env: &env,
    };

    let config = Config::load_with_default_path(&opts, &default_path).unwrap();

    assert!(config.feature_auto_prune);
    assert_eq!(config.source, ConfigSource::File(default_path));
}

#[test]
fn a_missing_explicit_file_is_an_error_naming_the_path() {
    let mut setup = Setup::without_file();
    let path = setup.dir.path().join("nope.yaml");
    setup.path = Some(path.clone());

    let message = setup.error();

    assert!(message.starts_with(&format!("{}: config file not found", path.display())));
    assert!(message.contains("--config"), "{message}");
}

#[test]
fn an_unreadable_file_is_an_error_naming_the_path() {
    let mut setup = Setup::without_file();
    setup.path = Some(setup.dir.path().to_path_buf());

    let message = setup.error();

    assert!(message.contains("cannot read the config file"), "{message}");
    assert!(
        message.starts_with(&setup.dir.path().display().to_string()),
        "{message}"
    );
}

#[test]
fn a_yaml_syntax_error_names_the_file_and_the_line() {
    let setup = Setup::with_file("SERVER_HOSTNAME: quay\nSUPER_USERS: [a, b\nMAIL_PORT: 25\n");

    let message = setup.error();

    assert!(
        message.starts_with(&format!("{}:3: invalid YAML", setup.file())),
        "{message}"
    );
}

#[test]
fn unknown_keys_are_ignored() {
    let setup = Setup::with_file("SOME_QUAY_KEY: {a: [1]}\nMAIL_PORT: 25\nOTHER: x\n");

    let config = setup.load().unwrap();

    assert_eq!(config.mail.port, 25);
}
