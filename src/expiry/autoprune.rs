//! Tags that auto-prune policies will remove within a trigger's window, announced like expiring
//! tags (Quay's `creation_date` and `number_of_tags` policies, on the namespace and on the
//! repository, with an optional tag-name pattern).

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;
use sqlx::{QueryBuilder, Row};

use super::sql::WindowTag;
use crate::db::Tx;
use crate::on_tx;

/// One auto-prune policy.
#[derive(Debug, Clone)]
pub struct PrunePolicy {
    rule: PruneRule,
    /// Only tags whose name matches (or, with `false`, does not match) the pattern.
    pattern: Option<(Regex, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PruneRule {
    /// Tags older than this many milliseconds are pruned.
    CreationDate(i64),
    /// All but the newest N tags are pruned.
    NumberOfTags(usize),
}

impl PrunePolicy {
    /// Parses Quay's policy JSON, e.g. `{"method": "creation_date", "value": "7d"}`.
    pub fn parse(json: &str) -> Result<PrunePolicy, String> {
        let policy: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let rule = match (policy["method"].as_str(), &policy["value"]) {
            (Some("creation_date"), Value::String(age)) => PruneRule::CreationDate(age_ms(age)?),
            (Some("number_of_tags"), value) => PruneRule::NumberOfTags(count(value)?),
            (method, value) => return Err(format!("unknown policy {method:?} with {value}")),
        };
        let pattern = match policy["tag_pattern"].as_str() {
            Some(pattern) if !pattern.is_empty() => {
                let regex = Regex::new(pattern).map_err(|e| format!("bad tag_pattern: {e}"))?;
                Some((
                    regex,
                    policy["tag_pattern_matches"].as_bool().unwrap_or(true),
                ))
            }
            _ => None,
        };
        Ok(PrunePolicy { rule, pattern })
    }

    fn applies_to(&self, name: &str) -> bool {
        match &self.pattern {
            Some((regex, matches)) => regex.is_match(name) == *matches,
            None => true,
        }
    }
}

fn age_ms(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| format!("bad age `{text}`"))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => return Err(format!("bad age `{text}` (use s, m, h, d or w)")),
    };
    Ok(number * unit_ms)
}

fn count(value: &Value) -> Result<usize, String> {
    match value {
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("bad number_of_tags value {value}"))
}

/// A live tag of a repository that policies may prune.
#[derive(Debug, Clone)]
pub struct RepoTag {
    id: i32,
    name: String,
    start_ms: i64,
    announced: bool,
}

/// The policies in force for each repository: its namespace's and its own.
pub async fn policies(
    tx: &mut Tx,
    repository_ids: &[i32],
) -> Result<HashMap<i32, Vec<PrunePolicy>>, sqlx::Error> {
    if repository_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, String)> = on_tx!(tx, conn => {
        let mut query = QueryBuilder::new(
            "SELECT r.id, p.policy FROM repository r \
             JOIN namespaceautoprunepolicy p ON p.namespace_id = r.namespace_user_id \
             WHERE r.id IN (",
        );
        push_ids(&mut query, repository_ids);
        query.push(
            ") UNION ALL SELECT p.repository_id, p.policy FROM repositoryautoprunepolicy p \
             WHERE p.repository_id IN (",
        );
        push_ids(&mut query, repository_ids);
        query.push(")");
        query.build_query_as().fetch_all(conn).await
    })?;

    let mut by_repository: HashMap<i32, Vec<PrunePolicy>> = HashMap::new();
    for (repository_id, json) in rows {
        match PrunePolicy::parse(&json) {
            Ok(policy) => by_repository.entry(repository_id).or_default().push(policy),
            Err(error) => tracing::warn!(repository_id, %error, "ignoring an auto-prune policy"),
        }
    }
    Ok(by_repository)
}

fn push_ids<DB: sqlx::Database>(query: &mut QueryBuilder<DB>, ids: &[i32])
where
    i32: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
}

/// The repository's live, visible, mutable tags, each marked if already announced for the
/// trigger. Policies count every such tag, announced or not.
pub async fn repository_tags(
    tx: &mut Tx,
    notification_id: i32,
    repository_id: i32,
    now_ms: i64,
) -> Result<Vec<RepoTag>, sqlx::Error> {
    let sql = "SELECT t.id, t.name, t.lifetime_start_ms, EXISTS (SELECT 1 FROM \
               tagnotificationsuccess s WHERE s.notification_id = $1 AND s.tag_id = t.id) \
               AS announced FROM tag t WHERE t.repository_id = $2 \
               AND (t.lifetime_end_ms IS NULL OR t.lifetime_end_ms > $3) \
               AND t.hidden = false AND t.immutable = false";
    on_tx!(tx, conn => {
        let rows = sqlx::query(sql)
            .bind(notification_id)
            .bind(repository_id)
            .bind(now_ms)
            .fetch_all(conn)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(RepoTag {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    start_ms: row.try_get("lifetime_start_ms")?,
                    announced: row.try_get("announced")?,
                })
            })
            .collect()
    })
}

/// The not-yet-announced tags that `policies` will prune by `window_end_ms`, each with the time
/// it will be pruned (now, for tags already past a policy's limit).
pub fn pruned_in_window(
    notification_id: i32,
    policies: &[PrunePolicy],
    tags: &[RepoTag],
    now_ms: i64,
    window_end_ms: i64,
) -> Vec<WindowTag> {
    let mut pruned: HashMap<i32, (&RepoTag, i64)> = HashMap::new();
    for policy in policies {
        for (tag, at) in prune_times(policy, tags, now_ms) {
            if at <= window_end_ms && !tag.announced {
                let entry = pruned.entry(tag.id).or_insert((tag, at));
                entry.1 = entry.1.min(at);
            }
        }
    }
    pruned
        .into_values()
        .map(|(tag, at)| WindowTag {
            notification_id,
            tag_id: tag.id,
            name: tag.name.clone(),
            expires_ms: at,
        })
        .collect()
}

fn prune_times<'t>(
    policy: &PrunePolicy,
    tags: &'t [RepoTag],
    now_ms: i64,
) -> Vec<(&'t RepoTag, i64)> {
    let mut matching: Vec<&RepoTag> = tags.iter().filter(|t| policy.applies_to(&t.name)).collect();
    match policy.rule {
        PruneRule::CreationDate(age) => matching
            .into_iter()
            .map(|tag| (tag, (tag.start_ms + age).max(now_ms)))
            .collect(),
        PruneRule::NumberOfTags(keep) => {
            matching.sort_by_key(|tag| std::cmp::Reverse((tag.start_ms, tag.id)));
            matching
                .into_iter()
                .skip(keep)
                .map(|tag| (tag, now_ms))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn tag(id: i32, name: &str, start_ms: i64) -> RepoTag {
        RepoTag {
            id,
            name: name.into(),
            start_ms,
            announced: false,
        }
    }

    #[test]
    fn creation_date_policies_prune_tags_that_grow_too_old_within_the_window() {
        let policy = PrunePolicy::parse(r#"{"method": "creation_date", "value": "4d"}"#).unwrap();
        let now = 100 * DAY;
        let tags = [
            tag(1, "old", now - 5 * DAY),
            tag(2, "soon", now - 3 * DAY),
            tag(3, "new", now),
        ];

        let pruned = pruned_in_window(9, &[policy], &tags, now, now + 2 * DAY);

        let mut names: Vec<_> = pruned
            .iter()
            .map(|t| (t.name.as_str(), t.expires_ms))
            .collect();
        names.sort();
        assert_eq!(names, [("old", now), ("soon", now + DAY)]);
    }

    #[test]
    fn number_of_tags_policies_prune_all_but_the_newest() {
        let policy = PrunePolicy::parse(r#"{"method": "number_of_tags", "value": 2}"#).unwrap();
        let tags = [
            tag(1, "a", 1),
            tag(2, "b", 2),
            tag(3, "c", 3),
            tag(4, "d", 4),
        ];

        let pruned = pruned_in_window(9, &[policy], &tags, 10, 20);

        let mut names: Vec<_> = pruned.iter().map(|t| t.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn two_policies_naming_one_tag_announce_it_once_at_the_earlier_time() {
        let by_age = PrunePolicy::parse(r#"{"method": "creation_date", "value": "1d"}"#).unwrap();
        let by_count = PrunePolicy::parse(r#"{"method": "number_of_tags", "value": 1}"#).unwrap();
        let tags = [tag(1, "a", 0), tag(2, "b", 5)];

        let pruned = pruned_in_window(9, &[by_age, by_count], &tags, 10, 3 * DAY);

        assert_eq!(pruned.len(), 2);
        assert!(pruned.iter().all(|t| t.expires_ms <= DAY + 5));
    }

    #[test]
    fn a_tag_pattern_limits_a_policy_to_matching_names() {
        let json = r#"{"method": "number_of_tags", "value": 0, "tag_pattern": "^dev-"}"#;
        let policy = PrunePolicy::parse(json).unwrap();
        let tags = [tag(1, "dev-1", 1), tag(2, "v1", 2)];

        let pruned = pruned_in_window(9, &[policy], &tags, 10, 20);

        assert_eq!(pruned.len(), 1);
        assert_eq!(pruned[0].name, "dev-1");
    }

    #[test]
    fn malformed_policies_are_refused() {
        assert!(
            PrunePolicy::parse(r#"{"method": "creation_date", "value": "4 parsecs"}"#).is_err()
        );
        assert!(PrunePolicy::parse(r#"{"method": "by_mood"}"#).is_err());
    }
}
