//! The environment and `DATABASE_URL` over the file.

use super::*;

#[test]
fn the_environment_overrides_the_file() {
    let setup = Setup::with_file("FEATURE_AUTO_PRUNE: false\nMAIL_PORT: 25\n")
        .env("REGNOTIFY_FEATURE_AUTO_PRUNE", "true")
        .env("REGNOTIFY_NOTIFICATION_RETRY_SCHEDULE_SECONDS", "[1, 2, 3]")
        .env("REGNOTIFY_MAIL_PASSWORD", "#not a comment");

    let config = setup.load().unwrap();

    assert!(config.feature_auto_prune);
    assert_eq!(config.mail.port, 25);
    assert_eq!(config.retry_schedule, [1, 2, 3].map(Duration::from_secs));
    let password = config.mail.password.as_ref().unwrap();
    assert_eq!(password.expose_secret(), "#not a comment");
    let var = "REGNOTIFY_FEATURE_AUTO_PRUNE".to_string();
    assert_eq!(config.origin(keys::FEATURE_AUTO_PRUNE), &Origin::Env(var));
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let bad = Setup::without_file().env("REGNOTIFY_NOTIFICATION_SEND_TIMEOUT", "ten");
    let unparsable = Setup::without_file().env("REGNOTIFY_SUPER_USERS", "[a, b");

    assert_eq!(
        bad.error(),
        "environment variable REGNOTIFY_NOTIFICATION_SEND_TIMEOUT: expected a whole number of \
         seconds from 1 to 300, found \"ten\""
    );
    assert!(
        unparsable
            .error()
            .starts_with("environment variable REGNOTIFY_SUPER_USERS: ")
    );
}

#[test]
fn database_url_overrides_db_uri_from_the_file_and_the_environment() {
    let mut setup = Setup::with_file("DB_URI: postgresql://a:b@file/db\n")
        .env("REGNOTIFY_DB_URI", "postgresql://a:b@env/db");
    setup.database_url = Some("sqlite:///var/lib/regnotify/x.db".to_string());

    let config = setup.load().unwrap();

    assert_eq!(config.database.kind, DatabaseKind::Sqlite);
    assert_eq!(
        config.database.expose_url(),
        "sqlite:///var/lib/regnotify/x.db"
    );
    assert_eq!(config.origin(keys::DB_URI), &Origin::DatabaseUrl);
}
