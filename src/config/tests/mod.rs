//! Loading `config.yaml` and its overrides.

mod files;
mod overrides;
mod real_configs;
mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::ExposeSecret;
use tempfile::TempDir;

use super::*;

const QUAY_CONFIGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/quay/config");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.yaml");

/// A temporary directory, an optional config file in it, and a fake environment.
struct Setup {
    dir: TempDir,
    path: Option<PathBuf>,
    env: HashMap<String, String>,
    database_url: Option<String>,
}

impl Setup {
    fn without_file() -> Setup {
        Setup {
            dir: tempfile::tempdir().unwrap(),
            path: None,
            env: HashMap::new(),
            database_url: None,
        }
    }

    fn with_file(text: &str) -> Setup {
        let mut setup = Setup::without_file();
        let path = setup.dir.path().join("config.yaml");
        std::fs::write(&path, text).unwrap();
        setup.path = Some(path);
        setup
    }

    fn env(mut self, var: &str, value: &str) -> Setup {
        self.env.insert(var.to_string(), value.to_string());
        self
    }

    fn load(&self) -> Result<Config, ConfigError> {
        let env = |var: &str| self.env.get(var).cloned();
        let opts = LoadOptions {
            explicit_path: self.path.as_deref(),
            database_url: self.database_url.as_deref(),
            env: &env,
        };
        Config::load_with_default_path(&opts, &self.dir.path().join("absent.yaml"))
    }

    fn error(&self) -> String {
        self.load().unwrap_err().to_string()
    }

    fn file(&self) -> String {
        self.path.as_deref().unwrap().display().to_string()
    }
}

fn load_file(path: &str) -> Result<Config, ConfigError> {
    let env = |_: &str| None;
    let opts = LoadOptions {
        explicit_path: Some(Path::new(path)),
        database_url: None,
        env: &env,
    };
    Config::load(&opts)
}
