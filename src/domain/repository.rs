//! References to repositories and tags as users write them: `ns/repo` and `ns/repo:tag`.

use std::fmt;
use std::str::FromStr;

/// A repository in a namespace. The name may itself contain `/` (Quay allows nested names), so
/// the namespace is what comes before the first `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRef {
    /// The namespace: a user or an organization.
    pub namespace: String,
    /// The repository's name inside the namespace.
    pub name: String,
}

impl FromStr for RepositoryRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (namespace, name) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a repository: write it as NAMESPACE/REPO"))?;
        if namespace.is_empty() || name.is_empty() || name.ends_with('/') {
            return Err(format!(
                "`{text}` is not a repository: write it as NAMESPACE/REPO"
            ));
        }
        Ok(RepositoryRef {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for RepositoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A tag of a repository, written `ns/repo:tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRef {
    /// The repository.
    pub repository: RepositoryRef,
    /// The tag's name.
    pub tag: String,
}

impl FromStr for TagRef {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (repository, tag) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("`{text}` is not a tag: write it as NAMESPACE/REPO:TAG"))?;
        if tag.is_empty() || tag.contains('/') {
            return Err(format!(
                "`{text}` is not a tag: write it as NAMESPACE/REPO:TAG"
            ));
        }
        Ok(TagRef {
            repository: repository.parse()?,
            tag: tag.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_splits_at_the_first_slash() {
        let repo: RepositoryRef = "org/team/app".parse().unwrap();

        assert_eq!(repo.namespace, "org");
        assert_eq!(repo.name, "team/app");
    }

    #[test]
    fn a_tag_splits_at_the_last_colon() {
        let tag: TagRef = "org/app:v1.2".parse().unwrap();

        assert_eq!(tag.repository.to_string(), "org/app");
        assert_eq!(tag.tag, "v1.2");
    }

    #[test]
    fn malformed_references_are_refused_with_the_expected_form() {
        assert!(
            "app"
                .parse::<RepositoryRef>()
                .unwrap_err()
                .contains("NAMESPACE/REPO")
        );
        assert!("org/".parse::<RepositoryRef>().is_err());
        assert!(
            "org/app"
                .parse::<TagRef>()
                .unwrap_err()
                .contains("NAMESPACE/REPO:TAG")
        );
    }
}
