//! Tag expirations, set the way Quay's `change_tag_expiration` does: a changed expiration
//! forgets which triggers announced the tag, so that it is announced again.

use super::repository_id;
use crate::db::{Db, epoch_ms};
use crate::domain::TagRef;
use crate::error::Error;
use crate::on_tx;
use chrono::{DateTime, Utc};

/// A tag's new expiration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    /// Expires at this time.
    At(DateTime<Utc>),
    /// Never expires.
    Never,
}

impl Expiration {
    fn epoch_ms(self) -> Option<i64> {
        match self {
            Expiration::At(at) => Some(epoch_ms(at)),
            Expiration::Never => None,
        }
    }
}

/// What `set_tag` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    /// The tag did not exist and was created.
    Created,
    /// The expiration changed; earlier announcements were forgotten.
    Changed,
    /// The tag already had this expiration.
    Unchanged,
}

/// Sets the expiration of the live tag `tag`, creating the tag when it does not exist.
pub async fn set_tag(db: &Db, tag: &TagRef, expiration: Expiration) -> Result<TagChange, Error> {
    let now = Utc::now();
    if let Expiration::At(at) = expiration
        && at <= now
    {
        return Err(Error::Invalid(format!(
            "the expiration {at} is in the past"
        )));
    }
    let context = "setting the tag";
    let mut tx = db.begin_write().await.map_err(Error::db(context))?;
    let repository = repository_id(&mut tx, &tag.repository).await?;

    let live = "SELECT id, lifetime_end_ms FROM tag WHERE repository_id = $1 AND name = $2 \
                AND hidden = false AND (lifetime_end_ms IS NULL OR lifetime_end_ms > $3)";
    let found: Option<(i32, Option<i64>)> = on_tx!(&mut tx, conn => sqlx::query_as(live)
        .bind(repository)
        .bind(&tag.tag)
        .bind(epoch_ms(now))
        .fetch_optional(conn)
        .await)
    .map_err(Error::db(context))?;

    let change = match found {
        None => {
            let insert = "INSERT INTO tag (name, repository_id, manifest_id, lifetime_start_ms, \
                          lifetime_end_ms, hidden, reversion, tag_kind_id, immutable) \
                          SELECT $1, $2, NULL, $3, $4, false, false, k.id, false \
                          FROM tagkind k WHERE k.name = 'tag'";
            on_tx!(&mut tx, conn => sqlx::query(insert)
                .bind(&tag.tag)
                .bind(repository)
                .bind(epoch_ms(now))
                .bind(expiration.epoch_ms())
                .execute(conn)
                .await.map(|done| done.rows_affected()))
            .map_err(Error::db(context))?;
            TagChange::Created
        }
        Some((id, end)) => {
            if end == expiration.epoch_ms() {
                TagChange::Unchanged
            } else {
                change_expiration(&mut tx, id, expiration.epoch_ms()).await?;
                TagChange::Changed
            }
        }
    };
    tx.commit().await.map_err(Error::db(context))?;
    Ok(change)
}

async fn change_expiration(
    tx: &mut crate::db::Tx,
    tag_id: i32,
    end_ms: Option<i64>,
) -> Result<(), Error> {
    let context = "changing the tag's expiration";
    let update = "UPDATE tag SET lifetime_end_ms = $1 WHERE id = $2";
    on_tx!(&mut *tx, conn => sqlx::query(update).bind(end_ms).bind(tag_id).execute(conn).await.map(|done| done.rows_affected()))
        .map_err(Error::db(context))?;
    let forget = "DELETE FROM tagnotificationsuccess WHERE tag_id = $1";
    on_tx!(tx, conn => sqlx::query(forget).bind(tag_id).execute(conn).await.map(|done| done.rows_affected()))
        .map_err(Error::db(context))?;
    Ok(())
}
