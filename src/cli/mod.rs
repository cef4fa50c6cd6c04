//! The command line: `regnotify [--config PATH] [--database-url URL] [--log-format text|json]
//! COMMAND`.

mod admin;
mod duration;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, LoadOptions};
use crate::db;
use crate::error::Error;
use crate::expiry;
use crate::logging::{self, LogFormat};
use crate::service;

pub use admin::{NotificationCommand, RepoCommand, TagCommand, UserCommand};

/// Quay-compatible repository notifications and image-expiry reminders.
#[derive(Debug, Parser)]
#[command(name = "regnotify", version, about)]
pub struct Cli {
    /// Quay's config.yaml [default: ./config.yaml, if present]. Give it before the command:
    /// `notification add` has a `--config` of its own
    #[arg(long, env = "REGNOTIFY_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// The database URL; overrides DB_URI
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// How logs are written to stderr
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scheduler and the queue poller until SIGTERM or SIGINT
    Run,
    /// Scan every due trigger, deliver everything due, print a summary and exit
    RunOnce {
        /// Show what would be queued and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Create or upgrade the schema (leaves Quay's existing tables alone)
    Migrate,
    /// Validate the configuration and print the effective settings, secrets redacted
    CheckConfig,
    /// Users and organizations (namespaces)
    #[command(subcommand)]
    User(UserCommand),
    /// Repositories
    #[command(subcommand)]
    Repo(RepoCommand),
    /// Tag expirations
    #[command(subcommand)]
    Tag(TagCommand),
    /// Notifications of a repository
    #[command(subcommand)]
    Notification(NotificationCommand),
}

impl Cli {
    /// Loads the configuration and runs the command.
    pub async fn run(self) -> Result<(), Error> {
        logging::init(self.log_format);
        let env = |key: &str| std::env::var(key).ok();
        let config = Config::load(&LoadOptions {
            explicit_path: self.config.as_deref(),
            database_url: self.database_url.as_deref(),
            env: &env,
        })?;
        match self.command {
            Command::CheckConfig => {
                print!("{}", config.render_effective());
                Ok(())
            }
            Command::Run => service::run(config).await,
            Command::RunOnce { dry_run } => run_once(&config, dry_run).await,
            Command::Migrate => migrate(&config).await,
            Command::User(command) => command.run(&config).await,
            Command::Repo(command) => command.run(&config).await,
            Command::Tag(command) => command.run(&config).await,
            Command::Notification(command) => command.run(&config).await,
        }
    }
}

async fn run_once(config: &Config, dry_run: bool) -> Result<(), Error> {
    let db = if dry_run {
        service::open_database_read_only(config).await?
    } else {
        service::open_database(config).await?
    };
    let mut show = |digest: &expiry::Digest| {
        if dry_run {
            println!(
                "would queue a digest for {} (notification {}): {}",
                digest.repository, digest.notification_uuid, digest.event_data
            );
        }
    };
    let summary = service::run_once(config, &db, dry_run, &mut show).await?;
    db.close().await;
    if dry_run {
        println!("dry run: nothing was written or sent");
    }
    print!("{}", summary.render());
    Ok(())
}

async fn migrate(config: &Config) -> Result<(), Error> {
    let db = db::Db::connect(config.database.expose_url(), 2)
        .await
        .map_err(Error::db(format!("connecting to {}", config.database)))?;
    let report = db::migrate(&db).await.map_err(Error::db("migrating"))?;
    db.close().await;
    if report.is_empty() {
        println!("the schema is up to date");
    }
    for table in &report.created_tables {
        println!("created table {table}");
    }
    for version in &report.applied_versions {
        println!("applied regnotify migration {version}");
    }
    for row in &report.inserted_lookup_rows {
        println!("inserted lookup row {row}");
    }
    Ok(())
}

/// Opens the database for an admin command (migrating an SQLite file, as `run` does).
async fn open(config: &Config) -> Result<db::Db, Error> {
    service::open_database(config).await
}
