//! People waiting for a taken slot.

use async_trait::async_trait;
use booking_core::domain::{BookingId, RoomId, UserId, WaitlistEntry, WaitlistId};
use booking_core::store::WaitlistStore;
use chrono::{DateTime, Utc};

use crate::SqlStore;
use crate::backend::{Row, SqlBackend, args};
use crate::error::StoreError;
use crate::rec::Rec;

macro_rules! cols {
    () => {
        "SELECT id, room_id, user_id, title, purpose, attendees, start_at, end_at, created_at, \
         booking_id, active FROM waitlist"
    };
}

fn entry<B: SqlBackend>(row: &Row<B>) -> Result<WaitlistEntry, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(WaitlistEntry {
        id: WaitlistId(r.uuid("id")?),
        room_id: RoomId(r.uuid("room_id")?),
        user_id: UserId(r.uuid("user_id")?),
        title: r.text("title")?,
        purpose: r.text("purpose")?,
        attendees: r.u32("attendees")?,
        start: r.time("start_at")?,
        end: r.time("end_at")?,
        created_at: r.time("created_at")?,
        booking_id: r.opt_uuid("booking_id")?.map(BookingId),
        active: r.flag("active")?,
    })
}

#[async_trait]
impl<B: SqlBackend> WaitlistStore for SqlStore<B> {
    async fn insert_waitlist(&self, e: &WaitlistEntry) -> Result<(), StoreError> {
        self.run(
            "insert waitlist entry",
            "INSERT INTO waitlist (id, room_id, user_id, title, purpose, attendees, start_at, end_at, \
             created_at, booking_id, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args![
                e.id,
                e.room_id,
                e.user_id,
                &e.title,
                &e.purpose,
                e.attendees,
                e.start,
                e.end,
                e.created_at,
                e.booking_id,
                e.active,
            ],
        ).await
    }

    async fn update_waitlist(&self, e: &WaitlistEntry) -> Result<bool, StoreError> {
        self.changed_one(
            "update waitlist entry",
            "UPDATE waitlist SET booking_id = $1, active = $2 WHERE id = $3",
            args![e.booking_id, e.active, e.id],
        )
        .await
    }

    async fn get_waitlist(&self, id: WaitlistId) -> Result<Option<WaitlistEntry>, StoreError> {
        const Q: &str = concat!(cols!(), " WHERE id = $1");
        self.find("get waitlist entry", Q, args![id], entry::<B>)
            .await
    }

    async fn waiting_for(
        &self,
        room: RoomId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WaitlistEntry>, StoreError> {
        let sql = format!(
            "{} WHERE room_id = $1 AND active AND start_at < $2 AND end_at > $3 \
             ORDER BY created_at, {}",
            cols!(),
            B::INSERTION_ORDER
        );
        self.all(
            "read waitlist",
            sqlx::AssertSqlSafe(sql),
            args![room, to, from],
            entry::<B>,
        )
        .await
    }

    async fn waitlist_of(&self, user: UserId) -> Result<Vec<WaitlistEntry>, StoreError> {
        const Q: &str = concat!(
            cols!(),
            " WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 1000"
        );
        self.all("read user's waitlist", Q, args![user], entry::<B>)
            .await
    }
}
