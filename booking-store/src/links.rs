//! Linked rooms: which rooms are made of which parts, and the holds that
//! keep the link rule in the database (migration 0017: a hold per physical
//! unit of every blocking booking of a linked room, written by triggers on
//! `bookings`, refused when two holds of one unit overlap).

use std::collections::BTreeSet;

use async_trait::async_trait;
use booking_core::CoreError;
use booking_core::domain::{BookingId, MAX_HELD_MINUTES, Occupancy, RoomId};
use booking_core::store::{AuditEntry, RoomLinkStore};
use chrono::{DateTime, Duration, Utc};

use crate::SqlStore;
use crate::backend::{Conn, SqlBackend, args};
use crate::error::{StoreError, db};
use crate::query::{commit, exec, fetch};
use crate::rec::Rec;

/// Holds on the units of room `room` that may overlap `[from, to)` (held
/// intervals are at most [`MAX_HELD_MINUTES`] long, which bounds the scan),
/// other than those of booking `except`. Empty for a room without links.
pub(crate) async fn holds_in_way<B: SqlBackend>(
    conn: &mut Conn<B>,
    room: RoomId,
    except: Option<BookingId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Occupancy>, StoreError> {
    let rows = fetch::<B>(
        conn,
        "read holds of linked rooms",
        "SELECT DISTINCT h.booking_id, h.held_start, h.held_end \
         FROM room_parts p JOIN booking_holds h ON h.part_id = p.part_id \
         WHERE p.room_id = $1 AND ($2 IS NULL OR h.booking_id <> $2) \
           AND h.held_start < $3 AND h.held_start > $4 AND h.held_end > $5 \
         ORDER BY h.held_start",
        args![
            room,
            except,
            to,
            from - Duration::minutes(MAX_HELD_MINUTES),
            from
        ],
    )
    .await?;
    rows.iter()
        .map(|row| {
            let r = Rec::<B>::new(row);
            Ok(Occupancy {
                booking_id: BookingId(r.uuid("booking_id")?),
                start: r.time("held_start")?,
                end: r.time("held_end")?,
            })
        })
        .collect()
}

#[async_trait]
impl<B: SqlBackend> RoomLinkStore for SqlStore<B> {
    async fn room_links(&self) -> Result<Vec<(RoomId, RoomId)>, StoreError> {
        self.all(
            "read room links",
            "SELECT room_id, part_id FROM room_parts WHERE room_id <> part_id \
             ORDER BY room_id, part_id",
            vec![],
            |row| {
                let r = Rec::<B>::new(row);
                Ok((RoomId(r.uuid("room_id")?), RoomId(r.uuid("part_id")?)))
            },
        )
        .await
    }

    async fn set_room_parts(
        &self,
        room: RoomId,
        parts: &BTreeSet<RoomId>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), CoreError> {
        const OP: &str = "link rooms";
        let mut tx = self.begin(OP, None).await?;
        if let Some(lock) = B::LOCK_BOOKINGS {
            // No booking may be written between reading what to hold and
            // the link taking effect.
            exec::<B>(&mut tx, OP, lock, vec![]).await?;
        }
        let old = fetch::<B>(
            &mut tx,
            OP,
            "SELECT part_id FROM room_parts WHERE room_id = $1 AND part_id <> $1",
            args![room],
        )
        .await?
        .iter()
        .map(|row| Ok(RoomId(Rec::<B>::new(row).uuid("part_id")?)))
        .collect::<Result<BTreeSet<_>, StoreError>>()?;
        exec::<B>(
            &mut tx,
            OP,
            "DELETE FROM room_parts WHERE room_id = $1",
            args![room],
        )
        .await?;
        for part in parts {
            exec::<B>(
                &mut tx,
                OP,
                "INSERT INTO room_parts (room_id, part_id) VALUES ($1, $2), ($2, $2) \
                 ON CONFLICT DO NOTHING",
                args![room, *part],
            )
            .await?;
        }
        // A unit no combined room stands on any more is a room on its own.
        exec::<B>(
            &mut tx,
            OP,
            "DELETE FROM room_parts WHERE room_id = part_id AND NOT EXISTS ( \
               SELECT 1 FROM room_parts q WHERE q.part_id = room_parts.room_id \
                 AND q.room_id <> q.part_id)",
            vec![],
        )
        .await?;
        let concerned: BTreeSet<RoomId> = std::iter::once(room)
            .chain(old.iter().copied())
            .chain(parts.iter().copied())
            .collect();
        for r in &concerned {
            exec::<B>(
                &mut tx,
                OP,
                "DELETE FROM booking_holds WHERE booking_id IN \
                 (SELECT id FROM bookings WHERE room_id = $1)",
                args![*r],
            )
            .await?;
        }
        for r in &concerned {
            let held = B::execute(
                &mut tx,
                sqlx::SqlSafeStr::into_sql_str(
                    "INSERT INTO booking_holds (booking_id, part_id, held_start, held_end) \
                     SELECT b.id, p.part_id, b.held_start, b.held_end \
                     FROM bookings b JOIN room_parts p ON p.room_id = b.room_id \
                     WHERE b.room_id = $1 AND b.status IN ('pending', 'approved') \
                       AND b.held_end > $2",
                ),
                args![*r, now],
            )
            .await;
            match held {
                Ok(_) => {}
                Err(e) if B::is_overlap(&e) => {
                    return Err(CoreError::WrongState(
                        "bookings of these rooms overlap; cancel or move them before linking \
                         the rooms"
                            .into(),
                    ));
                }
                Err(e) => return Err(db(OP)(e).into()),
            }
        }
        crate::audit::insert::<B>(&mut tx, audit).await?;
        commit::<B>(OP, tx).await?;
        Ok(())
    }
}
