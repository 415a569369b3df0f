//! Cheap fingerprints of bookings, for feed ETags and CalDAV sync tokens.

use async_trait::async_trait;
use booking_core::domain::RoomId;
use booking_core::store::{BookingsVersion, ChangeStamp, VersionScope, VersionStore};
use chrono::{DateTime, Utc};

use crate::SqlStore;
use crate::backend::{Row, SqlBackend, args};
use crate::error::StoreError;
use crate::rec::Rec;

const AGG: &str = "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(sequence), 0) AS BIGINT) AS seqs, \
     MAX(updated_at) AS last_change, (SELECT MAX(updated_at) FROM rooms) AS rooms_change, \
     (SELECT COUNT(*) FROM rooms) AS rooms";

fn version<B: SqlBackend>(row: &Row<B>) -> Result<BookingsVersion, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(BookingsVersion {
        count: r.int("n")?,
        sequence_sum: r.int("seqs")?,
        last_change: r.opt_time("last_change")?,
        rooms_change: r.opt_time("rooms_change")?,
        rooms: r.int("rooms")?,
    })
}

#[async_trait]
impl<B: SqlBackend> VersionStore for SqlStore<B> {
    async fn bookings_version(
        &self,
        scope: VersionScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BookingsVersion, StoreError> {
        // One statement per scope, so each uses its index.
        let (filter, id) = match scope {
            VersionScope::Room(r) => ("room_id = $1", Some(r.0)),
            VersionScope::Organizer(u) => ("organizer_id = $1", Some(u.0)),
            VersionScope::All => ("$1 IS NULL", None),
        };
        let sql = format!("{AGG} FROM bookings WHERE {filter} AND start_at < $2 AND end_at > $3");
        let row = self
            .one(
                "read bookings version",
                sqlx::AssertSqlSafe(sql),
                args![id, to, from],
            )
            .await?;
        version::<B>(&row)
    }

    async fn change_stamp(&self, scope: VersionScope) -> Result<ChangeStamp, StoreError> {
        const ROOMS: &str =
            "COALESCE((SELECT n FROM feed_changes WHERE kind = 'rooms'), 0) AS room_writes";
        let (kind, id) = match scope {
            VersionScope::Room(r) => ("room", Some(r.0)),
            VersionScope::Organizer(u) => ("organizer", Some(u.0)),
            VersionScope::All => ("room", None),
        };
        // One key lookup for a room or organizer; a sum over the rooms' rows for all.
        let writes = if id.is_some() {
            "COALESCE((SELECT n FROM feed_changes WHERE kind = $1 AND id = $2), 0)"
        } else {
            "COALESCE((SELECT CAST(SUM(n) AS BIGINT) FROM feed_changes WHERE kind = $1 \
             AND $2 IS NULL), 0)"
        };
        let sql = format!("SELECT {writes} AS writes, {ROOMS}");
        let read = async {
            let row = self
                .one(
                    "read change stamp",
                    sqlx::AssertSqlSafe(sql),
                    args![kind, id],
                )
                .await?;
            let r = Rec::<B>::new(&row);
            Ok(ChangeStamp {
                writes: r.int("writes")?,
                room_writes: r.int("room_writes")?,
            })
        };
        self.unless_changed(format!("change stamp {kind} {id:?}"), read)
            .await
    }

    async fn room_writes(&self) -> Result<i64, StoreError> {
        let read = async {
            let row = self
                .one(
                    "read room writes",
                    "SELECT COALESCE((SELECT n FROM feed_changes WHERE kind = 'rooms'), 0) AS n",
                    vec![],
                )
                .await?;
            Rec::<B>::new(&row).int("n")
        };
        self.unless_changed("room writes".into(), read).await
    }

    async fn room_versions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, BookingsVersion)>, StoreError> {
        let sql = format!(
            "{AGG}, room_id FROM bookings WHERE start_at < $1 AND end_at > $2 GROUP BY room_id"
        );
        let rows = self
            .rows(
                "read room versions",
                sqlx::AssertSqlSafe(sql),
                args![to, from],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    RoomId(Rec::<B>::new(row).uuid("room_id")?),
                    version::<B>(row)?,
                ))
            })
            .collect()
    }
}
