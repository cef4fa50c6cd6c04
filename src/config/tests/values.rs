//! Converting each key to its type, and the messages when that fails.

use super::*;

#[test]
fn a_bad_value_names_the_key_the_file_and_the_line() {
    let setup = Setup::with_file("# regnotify\nMAIL_PORT: 25\n\nNOTIFICATION_SEND_TIMEOUT: ten\n");

    let message = setup.error();

    let expected = format!(
        "{}:4: NOTIFICATION_SEND_TIMEOUT: expected a whole number of seconds from 1 to 300, \
         found \"ten\"",
        setup.file()
    );
    assert_eq!(message, expected);
}

#[test]
fn a_quoted_number_gets_a_hint_to_drop_the_quotes() {
    let message = Setup::with_file("MAIL_PORT: \"25\"\n").error();

    assert!(
        message.ends_with("found \"25\"; write it without quotes"),
        "{message}"
    );
}

#[test]
fn an_out_of_range_value_is_an_error() {
    let cases = [
        (
            "MAIL_PORT: 70000",
            "MAIL_PORT: expected a port number from 1 to 65535, found 70000",
        ),
        (
            "NOTIFICATION_WORKER_CONCURRENCY: 0",
            "from 1 to 256, found 0",
        ),
        (
            "NOTIFICATION_FAILURE_THRESHOLD: 1001",
            "from 1 to 1000, found 1001",
        ),
        (
            "NOTIFICATION_TASK_RUN_MINIMUM_INTERVAL_MINUTES: 0",
            "1 or more, found 0",
        ),
        ("NOTIFICATION_SEND_TIMEOUT: -1", "from 1 to 300, found -1"),
    ];
    for (line, wanted) in cases {
        let message = Setup::with_file(line).error();

        assert!(
            message.contains(":1: ") && message.ends_with(wanted),
            "{message}"
        );
    }
}

#[test]
fn a_ticker_must_be_an_interval_cron_can_repeat_at() {
    let message = Setup::with_file("NOTIFICATION_SCHEDULER_TICK_SECONDS: 45").error();
    assert!(
        message.contains("cron schedule can repeat at evenly"),
        "{message}"
    );
    assert!(message.ends_with("found 45"), "{message}");

    for (seconds, ok) in [
        (15, true),
        (120, true),
        (3600, true),
        (90, false),
        (7200, false),
    ] {
        let setup = Setup::with_file(&format!("NOTIFICATION_WORKER_POLL_SECONDS: {seconds}"));

        assert_eq!(setup.load().is_ok(), ok, "{seconds}");
    }
}

#[test]
fn a_retry_schedule_must_be_a_non_empty_list_of_waits() {
    let empty = Setup::with_file("NOTIFICATION_RETRY_SCHEDULE_SECONDS: []").error();
    let zero = Setup::with_file("NOTIFICATION_RETRY_SCHEDULE_SECONDS: [5, 0]").error();

    assert!(empty.ends_with("found an empty list"), "{empty}");
    assert!(
        zero.contains("item 2: expected a whole number of seconds"),
        "{zero}"
    );
}

#[test]
fn null_means_the_default() {
    let config = Setup::with_file("MAIL_PORT: null\nSUPER_USERS: ~\n")
        .load()
        .unwrap();

    assert_eq!(config.mail.port, 587);
    assert!(config.super_users.is_empty());
}

#[test]
fn sqlite_urls_are_accepted_absolute_and_relative() {
    for url in ["sqlite:///abs/x.db", "sqlite://rel.db"] {
        let config = Setup::with_file(&format!("DB_URI: {url}\n"))
            .load()
            .unwrap();

        assert_eq!(config.database.kind, DatabaseKind::Sqlite);
        assert_eq!(config.database.expose_url(), url);
    }
}

#[test]
fn a_mysql_db_uri_is_rejected_naming_db_uri_and_the_supported_schemes() {
    let setup = Setup::with_file("A: 1\nDB_URI: mysql+pymysql://quay:s3cret@db/quay\n");

    let message = setup.error();

    assert!(
        message.starts_with(&format!("{}:2: DB_URI: ", setup.file())),
        "{message}"
    );
    assert!(
        message.contains("postgresql://") && message.contains("sqlite://"),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn a_secret_of_the_wrong_type_is_not_echoed() {
    let message = Setup::with_file("MAIL_PASSWORD: 918273\n").error();

    assert!(message.ends_with("MAIL_PASSWORD: expected a string, found a number; quote the value"));
}
