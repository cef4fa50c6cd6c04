//! regnotify: Red Hat Quay's repository notifications and image-expiry reminders, in Rust.
//!
//! It works on Quay's own tables, so it can replace Quay's notification worker on a live Quay
//! database, and it runs standalone on PostgreSQL or on an embedded SQLite file.

pub mod admin;
pub mod cli;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod domain;
pub mod error;
pub mod expiry;
pub mod logging;
pub mod queue;
pub mod redact;
pub mod service;

/// Installs ring as the process's one rustls crypto provider (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
