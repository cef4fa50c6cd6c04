//! The admin subcommands.

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::Value;

use super::{duration, open};
use crate::admin::{self, Expiration, NewNotification, TagChange};
use crate::config::Config;
use crate::domain::{RepositoryRef, TagRef, hostname_blacklist};
use crate::error::Error;

/// `regnotify user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user, or an organization with --org
    Add {
        /// The user's (namespace's) name
        name: String,
        /// The e-mail address
        #[arg(long)]
        email: Option<String>,
        /// Create an organization instead of a user
        #[arg(long)]
        org: bool,
    },
}

impl UserCommand {
    /// Runs the subcommand.
    pub async fn run(self, config: &Config) -> Result<(), Error> {
        let UserCommand::Add { name, email, org } = self;
        let db = open(config).await?;
        admin::add_user(&db, &name, email.as_deref(), org).await?;
        println!("added {} {name}", if org { "organization" } else { "user" });
        Ok(())
    }
}

/// `regnotify repo ...`
#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Add a repository to an existing namespace
    Add {
        /// NAMESPACE/REPO
        #[arg(value_parser = parse_repository)]
        repository: RepositoryRef,
    },
}

impl RepoCommand {
    /// Runs the subcommand.
    pub async fn run(self, config: &Config) -> Result<(), Error> {
        let RepoCommand::Add { repository } = self;
        let db = open(config).await?;
        admin::add_repository(&db, &repository).await?;
        println!("added repository {repository}");
        Ok(())
    }
}

/// `regnotify tag ...`
#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Set a tag's expiration, creating the tag if it does not exist
    Set(TagSet),
}

/// The arguments of `tag set`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("expiration").required(true)
    .args(["expires_in", "expires_at", "no_expiry"])))]
pub struct TagSet {
    /// NAMESPACE/REPO:TAG
    #[arg(value_parser = parse_tag)]
    tag: TagRef,
    /// Expire after this long from now, e.g. 3d, 12h, 2w
    #[arg(long, value_parser = duration::parse)]
    expires_in: Option<chrono::Duration>,
    /// Expire at this time (RFC 3339, e.g. 2026-12-24T18:00:00Z)
    #[arg(long, value_parser = parse_time)]
    expires_at: Option<DateTime<Utc>>,
    /// Never expire
    #[arg(long)]
    no_expiry: bool,
}

impl TagCommand {
    /// Runs the subcommand.
    pub async fn run(self, config: &Config) -> Result<(), Error> {
        let TagCommand::Set(args) = self;
        let expiration = match (args.expires_in, args.expires_at) {
            (Some(after), _) => Expiration::At(Utc::now() + after),
            (None, Some(at)) => Expiration::At(at),
            (None, None) => Expiration::Never,
        };
        let db = open(config).await?;
        let change = admin::set_tag(&db, &args.tag, expiration).await?;
        let when = match expiration {
            Expiration::At(at) => format!("expires at {}", at.to_rfc3339()),
            Expiration::Never => "never expires".to_owned(),
        };
        let what = match change {
            TagChange::Created => "created",
            TagChange::Changed => "changed",
            TagChange::Unchanged => "unchanged",
        };
        println!("{what}: {}:{} {when}", args.tag.repository, args.tag.tag);
        Ok(())
    }
}

/// `regnotify notification ...`
#[derive(Debug, Subcommand)]
pub enum NotificationCommand {
    /// Add a notification to a repository
    Add {
        /// NAMESPACE/REPO
        #[arg(value_parser = parse_repository)]
        repository: RepositoryRef,
        /// The event, e.g. repo_image_expiry, repo_push, build_success
        #[arg(long)]
        event: String,
        /// The method, e.g. webhook
        #[arg(long)]
        method: String,
        /// The method's settings as JSON, e.g. '{"url": "https://example.com/hook"}'
        #[arg(long, value_parser = parse_json)]
        config: Value,
        /// The event's settings as JSON, e.g. '{"days": 3}'
        #[arg(long, value_parser = parse_json, default_value = "{}")]
        event_config: Value,
        /// A title
        #[arg(long)]
        title: Option<String>,
    },
    /// List a repository's notifications
    List {
        /// NAMESPACE/REPO
        #[arg(value_parser = parse_repository)]
        repository: RepositoryRef,
    },
    /// Set a notification's failures back to 0, enabling it again
    Reset {
        /// NAMESPACE/REPO
        #[arg(value_parser = parse_repository)]
        repository: RepositoryRef,
        /// The notification's uuid
        uuid: String,
    },
    /// Remove a notification
    Remove {
        /// NAMESPACE/REPO
        #[arg(value_parser = parse_repository)]
        repository: RepositoryRef,
        /// The notification's uuid
        uuid: String,
    },
}

impl NotificationCommand {
    /// Runs the subcommand.
    pub async fn run(self, config: &Config) -> Result<(), Error> {
        let db = open(config).await?;
        let threshold = i32::try_from(config.failure_threshold).unwrap_or(i32::MAX);
        match self {
            NotificationCommand::Add {
                repository,
                event,
                method,
                config: method_config,
                event_config,
                title,
            } => {
                let new = NewNotification {
                    event,
                    method,
                    config: method_config,
                    event_config,
                    title,
                };
                let uuid =
                    admin::add_notification(&db, &repository, &new, &blacklist(config)).await?;
                println!("{uuid}");
            }
            NotificationCommand::List { repository } => {
                for row in admin::list_notifications(&db, &repository).await? {
                    let state = if row.number_of_failures >= threshold {
                        "disabled"
                    } else {
                        "enabled"
                    };
                    println!(
                        "{}\t{}\t{}\t{}\tfailures={}\t{}\t{}",
                        row.uuid,
                        row.event,
                        row.method,
                        row.event_config,
                        row.number_of_failures,
                        state,
                        row.title.as_deref().unwrap_or("")
                    );
                }
            }
            NotificationCommand::Reset { repository, uuid } => {
                admin::reset_notification(&db, &repository, &uuid, threshold).await?;
                println!("reset {uuid}");
            }
            NotificationCommand::Remove { repository, uuid } => {
                admin::remove_notification(&db, &repository, &uuid).await?;
                println!("removed {uuid}");
            }
        }
        db.close().await;
        Ok(())
    }
}

fn blacklist(config: &Config) -> Vec<String> {
    hostname_blacklist(
        &config.webhook_hostname_blacklist,
        config.allow_private_targets,
    )
}

fn parse_repository(text: &str) -> Result<RepositoryRef, String> {
    text.parse()
}

fn parse_tag(text: &str) -> Result<TagRef, String> {
    text.parse()
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time ({e}), e.g. 2026-12-24T18:00:00Z"))
}

fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))
}
