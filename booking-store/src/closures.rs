//! Closures: periods when rooms are closed.

use async_trait::async_trait;
use booking_core::closures::{Closure, ClosureId};
use booking_core::domain::UserId;
use booking_core::store::ClosureStore;
use chrono::{DateTime, Utc};

use crate::SqlStore;
use crate::backend::{Arg, Row, SqlBackend, args};
use crate::error::StoreError;
use crate::rec::Rec;

macro_rules! cols {
    () => {
        "SELECT id, scope, start_at, end_at, rrule, time_zone, reason, created_by, created_at \
         FROM closures"
    };
}

fn closure<B: SqlBackend>(row: &Row<B>) -> Result<Closure, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(Closure {
        id: ClosureId(r.uuid("id")?),
        scope: r.json("scope")?,
        start: r.time("start_at")?,
        end: r.time("end_at")?,
        rrule: r.opt_text("rrule")?,
        time_zone: r.parse("time_zone")?,
        reason: r.text("reason")?,
        created_by: UserId(r.uuid("created_by")?),
        created_at: r.time("created_at")?,
    })
}

#[async_trait]
impl<B: SqlBackend> ClosureStore for SqlStore<B> {
    async fn insert_closure(&self, c: &Closure) -> Result<(), StoreError> {
        self.run(
            "insert closure",
            "INSERT INTO closures (id, scope, start_at, end_at, rrule, time_zone, reason, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                c.id,
                Arg::json(&c.scope)?,
                c.start,
                c.end,
                c.rrule.as_deref(),
                c.time_zone.name(),
                &c.reason,
                c.created_by,
                c.created_at
            ],
        )
        .await
    }

    async fn delete_closure(&self, id: ClosureId) -> Result<bool, StoreError> {
        self.changed_one(
            "delete closure",
            "DELETE FROM closures WHERE id = $1",
            args![id],
        )
        .await
    }

    async fn get_closure(&self, id: ClosureId) -> Result<Option<Closure>, StoreError> {
        const Q: &str = concat!(cols!(), " WHERE id = $1");
        self.find("read closure", Q, args![id], closure::<B>).await
    }

    async fn list_closures(&self, after: DateTime<Utc>) -> Result<Vec<Closure>, StoreError> {
        const Q: &str = concat!(
            cols!(),
            " WHERE end_at > $1 OR rrule IS NOT NULL ORDER BY start_at, id"
        );
        self.all("list closures", Q, args![after], closure::<B>)
            .await
    }
}
