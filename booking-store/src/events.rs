//! The live-update event log: written in each change's transaction (an
//! outbox), read by the server's broadcaster.

use async_trait::async_trait;
use booking_core::domain::{BookingId, RoomId, UserId};
use booking_core::store::{EventStore, StoredEvent};
use chrono::{DateTime, Utc};

use crate::SqlStore;
use crate::backend::{Arg, Conn, SqlBackend, args};
use crate::error::StoreError;
use crate::error::db;
use crate::query::{Script, commit};
use crate::rec::Rec;

/// The statements writing `events` (and announcing them where the backend
/// tells other processes).
pub(crate) fn statements<B: SqlBackend>(script: &mut Script, events: &[StoredEvent]) {
    for e in events {
        script.push(
            "INSERT INTO events (at, kind, room_id, organizer_id, booking_id, payload) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![
                e.at,
                &e.kind,
                e.room_id,
                e.organizer_id,
                e.booking_id,
                Arg::Json(Some(e.payload.clone())),
            ],
        );
    }
    if let (Some(notify), false) = (B::NOTIFY, events.is_empty()) {
        script.push(notify, vec![]);
    }
}

/// Write events on `conn` (inside the change's transaction) and announce
/// them to other processes when it commits.
pub(crate) async fn insert<B: SqlBackend>(
    conn: &mut Conn<B>,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    let mut script = Script::default();
    statements::<B>(&mut script, events);
    script
        .run::<B>(conn)
        .await
        .map(|_| ())
        .map_err(db("write events"))
}

#[async_trait]
impl<B: SqlBackend> EventStore for SqlStore<B> {
    async fn append_events(&self, events: &[StoredEvent]) -> Result<(), StoreError> {
        const OP: &str = "append events";
        let mut tx = self.begin(OP, None).await?;
        insert::<B>(&mut tx, events).await?;
        commit::<B>(OP, tx).await
    }

    async fn latest_event_id(&self) -> Result<i64, StoreError> {
        let row = self
            .one(
                "read latest event",
                "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM events",
                vec![],
            )
            .await?;
        Rec::<B>::new(&row).int("id")
    }

    async fn events_since(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = self
            .rows(
                "read events",
                "SELECT id, at, kind, room_id, organizer_id, booking_id, payload FROM events \
                 WHERE id > $1 ORDER BY id LIMIT $2",
                args![after, limit],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let r = Rec::<B>::new(row);
                Ok(StoredEvent {
                    id: r.int("id")?,
                    at: r.time("at")?,
                    kind: r.text("kind")?,
                    room_id: RoomId(r.uuid("room_id")?),
                    organizer_id: UserId(r.uuid("organizer_id")?),
                    booking_id: BookingId(r.uuid("booking_id")?),
                    payload: r.json("payload")?,
                })
            })
            .collect()
    }

    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(
            "prune events",
            "DELETE FROM events WHERE at < $1",
            args![before],
        )
        .await
    }

    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        self.b.remote_events().await
    }
}
