//! Event and method names, exactly as Quay stores them in its lookup tables.

use std::fmt;
use std::str::FromStr;

/// A name that is not one of Quay's events or methods.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{name}` (known: {known})")]
pub struct UnknownName {
    kind: &'static str,
    name: String,
    known: String,
}

macro_rules! quay_names {
    ($(#[$doc:meta])* $type:ident, $kind:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $type {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )+
        }

        impl $type {
            /// Every name, in Quay's seed order.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            /// The name as stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name,)+
                }
            }
        }

        impl FromStr for $type {
            type Err = UnknownName;

            fn from_str(name: &str) -> Result<Self, Self::Err> {
                match name {
                    $($name => Ok($type::$variant),)+
                    _ => Err(UnknownName {
                        kind: $kind,
                        name: name.to_owned(),
                        known: [$($name),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

quay_names!(
    /// A repository event that a notification can be attached to.
    EventName, "event", {
        BuildFailure => "build_failure",
        BuildQueued => "build_queued",
        BuildStart => "build_start",
        BuildSuccess => "build_success",
        RepoPush => "repo_push",
        VulnerabilityFound => "vulnerability_found",
        BuildCancelled => "build_cancelled",
        RepoMirrorSyncStarted => "repo_mirror_sync_started",
        RepoMirrorSyncSuccess => "repo_mirror_sync_success",
        RepoMirrorSyncFailed => "repo_mirror_sync_failed",
        RepoImageExpiry => "repo_image_expiry",
        QuotaWarning => "quota_warning",
        QuotaError => "quota_error",
    }
);

quay_names!(
    /// A way a notification reaches people.
    MethodName, "method", {
        Email => "email",
        Flowdock => "flowdock",
        Hipchat => "hipchat",
        QuayNotification => "quay_notification",
        Slack => "slack",
        Webhook => "webhook",
    }
);

impl EventName {
    /// Whether this is one of the Dockerfile build events, which share the `ref-regex` filter.
    pub fn is_build(self) -> bool {
        matches!(
            self,
            EventName::BuildFailure
                | EventName::BuildQueued
                | EventName::BuildStart
                | EventName::BuildSuccess
                | EventName::BuildCancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_itself() {
        for event in EventName::ALL {
            assert_eq!(event.as_str().parse::<EventName>(), Ok(*event));
        }
        for method in MethodName::ALL {
            assert_eq!(method.as_str().parse::<MethodName>(), Ok(*method));
        }
    }

    #[test]
    fn an_unknown_event_names_itself_and_the_known_ones() {
        let error = "repo_pushed".parse::<EventName>().unwrap_err().to_string();

        assert!(error.contains("unknown event `repo_pushed`"), "{error}");
        assert!(error.contains("repo_push,"), "{error}");
    }
}
