//! The admin actions a standalone deployment needs: namespaces, repositories, tag expirations
//! and notifications, written the way Quay writes them.

mod notifications;
mod tags;

use chrono::Utc;

use crate::db::{Db, Tx, db_time};
use crate::domain::RepositoryRef;
use crate::error::Error;
use crate::on_tx;

pub use notifications::{
    NewNotification, NotificationRow, add_notification, list_notifications, remove_notification,
    reset_notification,
};
pub use tags::{Expiration, TagChange, set_tag};

/// Adds a user or, with `organization`, an organization: a namespace repositories live in.
pub async fn add_user(
    db: &Db,
    name: &str,
    email: Option<&str>,
    organization: bool,
) -> Result<(), Error> {
    if name.is_empty() || name.contains('/') || name.contains(':') {
        return Err(Error::Invalid(format!("`{name}` is not a valid user name")));
    }
    let mut tx = db
        .begin_write()
        .await
        .map_err(Error::db("adding the user"))?;
    if namespace_id(&mut tx, name).await?.is_some() {
        return Err(Error::Invalid(format!("user {name} already exists")));
    }
    let email = email.map_or_else(|| format!("{name}@users.regnotify.invalid"), str::to_owned);
    let now = db_time(Utc::now());
    let sql = "INSERT INTO \"user\" (uuid, username, email, verified, organization, robot, \
               invoice_email, invalid_login_attempts, last_invalid_login, \
               removed_tag_expiration_s, enabled, creation_date) \
               VALUES ($1, $2, $3, true, $4, false, false, 0, $5, 1209600, true, $5)";
    on_tx!(&mut tx, conn => sqlx::query(sql)
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(name)
        .bind(email)
        .bind(organization)
        .bind(now)
        .execute(conn)
        .await.map(|done| done.rows_affected()))
    .map_err(Error::db("adding the user"))?;
    tx.commit().await.map_err(Error::db("adding the user"))
}

/// Adds a repository to an existing namespace.
pub async fn add_repository(db: &Db, repository: &RepositoryRef) -> Result<(), Error> {
    let mut tx = db
        .begin_write()
        .await
        .map_err(Error::db("adding the repository"))?;
    let Some(namespace) = namespace_id(&mut tx, &repository.namespace).await? else {
        return Err(Error::Invalid(format!(
            "namespace {} does not exist; create it with `regnotify user add {}`",
            repository.namespace, repository.namespace
        )));
    };
    if repository_id(&mut tx, repository).await.is_ok() {
        return Err(Error::Invalid(format!(
            "repository {repository} already exists"
        )));
    }
    let sql = "INSERT INTO repository (namespace_user_id, name, visibility_id, description, \
               badge_token, kind_id, trust_enabled, state) \
               SELECT $1, $2, v.id, '', $3, k.id, false, 0 FROM visibility v, repositorykind k \
               WHERE v.name = 'private' AND k.name = 'image'";
    on_tx!(&mut tx, conn => sqlx::query(sql)
        .bind(namespace)
        .bind(&repository.name)
        .bind(uuid::Uuid::new_v4().simple().to_string())
        .execute(conn)
        .await.map(|done| done.rows_affected()))
    .map_err(Error::db("adding the repository"))?;
    tx.commit()
        .await
        .map_err(Error::db("adding the repository"))
}

async fn namespace_id(tx: &mut Tx, name: &str) -> Result<Option<i32>, Error> {
    let sql = "SELECT id FROM \"user\" WHERE username = $1";
    on_tx!(tx, conn => sqlx::query_scalar(sql).bind(name).fetch_optional(conn).await)
        .map_err(Error::db("looking up the namespace"))
}

/// The id of an existing repository, or an error naming it.
pub(crate) async fn repository_id(tx: &mut Tx, repository: &RepositoryRef) -> Result<i32, Error> {
    let sql = "SELECT r.id FROM repository r JOIN \"user\" u ON u.id = r.namespace_user_id \
               WHERE u.username = $1 AND r.name = $2";
    let id: Option<i32> = on_tx!(tx, conn => sqlx::query_scalar(sql)
        .bind(&repository.namespace)
        .bind(&repository.name)
        .fetch_optional(conn)
        .await)
    .map_err(Error::db("looking up the repository"))?;
    match id {
        Some(id) => Ok(id),
        None => Err(Error::Invalid(format!(
            "repository {repository} does not exist; create it with `regnotify repo add {repository}`"
        ))),
    }
}
