//! Usage analytics over bookings, aggregated by the database.

use async_trait::async_trait;
use booking_core::domain::RoomId;
use booking_core::store::{AnalyticsStore, Bucket, HeatCell, RoomStats, UsageRow};
use chrono::{DateTime, Utc};

use crate::SqlStore;
use crate::backend::{SqlBackend, args};
use crate::error::{StoreError, corrupt};
use crate::rec::Rec;

#[async_trait]
impl<B: SqlBackend> AnalyticsStore for SqlStore<B> {
    async fn usage_by_bucket(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let size: i64 = match bucket {
            Bucket::Hour => 3600,
            Bucket::Day => 86_400,
        };
        // One row per room, its buckets as a JSON array: a year of days for
        // hundreds of rooms is far cheaper to ship as 500 rows than as 180,000.
        let sql = format!(
            "SELECT room_id, {rows} AS buckets FROM ( \
               SELECT room_id, ({start} / $3) * $3 AS bucket, COUNT(*) AS n, \
                      CAST(SUM({end} - {start}) / 60 AS BIGINT) AS minutes \
               FROM bookings \
               WHERE status IN ('pending', 'approved') AND start_at >= $1 AND start_at < $2 \
               GROUP BY room_id, bucket ORDER BY room_id, bucket) per_bucket \
             GROUP BY room_id ORDER BY room_id",
            rows = B::json_rows(&["bucket", "n", "minutes"], "bucket"),
            start = B::epoch("start_at"),
            end = B::epoch("end_at"),
        );
        let rows = self
            .rows(
                "read usage by bucket",
                sqlx::AssertSqlSafe(sql),
                args![from, to, size],
            )
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let r = Rec::<B>::new(row);
            let room_id = RoomId(r.uuid("room_id")?);
            let buckets: Vec<[i64; 3]> = r.json("buckets")?;
            for [b, n, minutes] in buckets {
                out.push(UsageRow {
                    room_id,
                    bucket_start: DateTime::from_timestamp(b, 0)
                        .ok_or_else(|| corrupt("bucket", b))?,
                    bookings: n,
                    booked_minutes: minutes,
                });
            }
        }
        Ok(out)
    }

    async fn heat_map(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HeatCell>, StoreError> {
        let (weekday, hour) = B::weekday_hour("start_at");
        let sql = format!(
            "SELECT {weekday} AS weekday, {hour} AS hour, COUNT(*) AS n, \
             CAST(SUM({end} - {start}) / 60 AS BIGINT) AS minutes \
             FROM bookings WHERE status IN ('pending', 'approved') AND start_at >= $1 \
             AND start_at < $2 GROUP BY 1, 2 ORDER BY 1, 2",
            start = B::epoch("start_at"),
            end = B::epoch("end_at"),
        );
        let rows = self
            .rows("read heat map", sqlx::AssertSqlSafe(sql), args![from, to])
            .await?;
        rows.iter()
            .map(|row| {
                let r = Rec::<B>::new(row);
                Ok(HeatCell {
                    weekday: r.u32("weekday")?,
                    hour: r.u32("hour")?,
                    bookings: r.int("n")?,
                    booked_minutes: r.int("minutes")?,
                })
            })
            .collect()
    }

    async fn room_stats(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RoomStats>, StoreError> {
        const DECIDED: &str = "approver_id IS NOT NULL AND status IN ('approved', 'rejected')";
        let sql = format!(
            "SELECT room_id, COUNT(*) AS total, \
             COUNT(*) FILTER (WHERE status = 'approved') AS approved, \
             COUNT(*) FILTER (WHERE status = 'pending') AS pending, \
             COUNT(*) FILTER (WHERE status = 'rejected') AS rejected, \
             COUNT(*) FILTER (WHERE status = 'cancelled') AS cancelled, \
             COUNT(*) FILTER (WHERE no_show) AS no_shows, \
             CAST(SUM(attendees) AS BIGINT) AS attendees, \
             CAST(COALESCE(SUM({updated} - {created}) FILTER (WHERE {DECIDED}), 0) / 60 AS BIGINT) \
                 AS decision_minutes, \
             COUNT(*) FILTER (WHERE {DECIDED}) AS decided \
             FROM bookings WHERE start_at >= $1 AND start_at < $2 GROUP BY room_id ORDER BY room_id",
            updated = B::epoch("updated_at"),
            created = B::epoch("created_at"),
        );
        let rows = self
            .rows(
                "read room statistics",
                sqlx::AssertSqlSafe(sql),
                args![from, to],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let r = Rec::<B>::new(row);
                Ok(RoomStats {
                    room_id: RoomId(r.uuid("room_id")?),
                    total: r.int("total")?,
                    approved: r.int("approved")?,
                    pending: r.int("pending")?,
                    rejected: r.int("rejected")?,
                    cancelled: r.int("cancelled")?,
                    no_shows: r.int("no_shows")?,
                    attendees: r.int("attendees")?,
                    decision_minutes: r.int("decision_minutes")?,
                    decided: r.int("decided")?,
                })
            })
            .collect()
    }
}
