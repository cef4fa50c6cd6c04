//! The words of the domain: events, methods, repositories, expiry windows, webhook URLs.

mod envelope;
mod expiry_window;
mod json_template;
mod names;
mod repository;
mod webhook_url;

pub use envelope::{RegistryUrls, repository_event_data};
pub use expiry_window::ExpiryWindow;
pub use json_template::JsonTemplate;
pub use names::{EventName, MethodName, UnknownName};
pub use repository::{RepositoryRef, TagRef};
pub use webhook_url::{WebhookUrl, hostname_blacklist};
