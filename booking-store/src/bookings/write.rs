//! Writing bookings: the statements, the one-round-trip snapshot the rules
//! judge, and the write transaction that must never double-book.

use booking_core::CoreError;
use booking_core::domain::{Booking, BookingId, MAX_HELD_MINUTES, Occupancy};
use booking_core::store::{ChangeLog, CheckFn, Snapshot, conflict_from};
use chrono::Duration;

use crate::SqlStore;
use crate::backend::{Arg, Conn, SqlBackend, args, read_conn};
use crate::error::{StoreError, db};
use crate::query::{Script, commit, fetch};
use crate::rec::Rec;

/// The statement inserting booking `b`.
fn insert_statement(b: &Booking) -> (&'static str, Vec<Arg>) {
    (
        "INSERT INTO bookings (id, room_id, organizer_id, title, purpose, attendees, start_at, \
         end_at, held_start, held_end, status, approver_id, decision_reason, sequence, created_at, \
         updated_at, series_id, occurrence_start, checked_in_at, no_show, booked_by, group_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $21, $22)",
        args![
            b.id,
            b.room_id,
            b.organizer_id,
            &b.title,
            &b.purpose,
            b.attendees,
            b.start,
            b.end,
            b.held_start,
            b.held_end,
            b.status.as_str(),
            b.approver_id,
            &b.decision_reason,
            b.sequence,
            b.created_at,
            b.updated_at,
            b.series_id,
            b.occurrence_start,
            b.checked_in_at,
            b.no_show,
            b.booked_by,
            b.group_id,
        ],
    )
}

/// The statement moving or editing booking `b` if nobody changed it since
/// the version before `b.sequence`.
fn update_statement(b: &Booking) -> (&'static str, Vec<Arg>) {
    (
        "UPDATE bookings SET title = $1, purpose = $2, attendees = $3, start_at = $4, \
         end_at = $5, held_start = $6, held_end = $7, status = $8, sequence = $9, \
         updated_at = $10 WHERE id = $11 AND sequence = $12",
        args![
            &b.title,
            &b.purpose,
            b.attendees,
            b.start,
            b.end,
            b.held_start,
            b.held_end,
            b.status.as_str(),
            b.sequence,
            b.updated_at,
            b.id,
            i64::from(b.sequence) - 1,
        ],
    )
}

/// Rows the first statement of a script changed, from what
/// [`Script::run`] returned: one count per statement, or one total of which
/// `others` belong to the statements after the first.
fn booking_rows(changed: &[u64], others: u64) -> u64 {
    match changed {
        [total] => total.saturating_sub(others),
        [first, ..] => *first,
        [] => 0,
    }
}

/// Insert one booking inside the caller's transaction; the raw error, so
/// the caller can recognise an overlap.
pub(crate) async fn insert<B: SqlBackend>(
    conn: &mut Conn<B>,
    b: &Booking,
) -> Result<u64, sqlx::Error> {
    let (sql, args) = insert_statement(b);
    B::execute(conn, sqlx::SqlSafeStr::into_sql_str(sql), args).await
}

/// What the rules need to judge writing booking `$2` of organizer `$4` in
/// room `$1`, in one round trip: the only blocking occupancy of the room
/// that can overlap it — the latest one starting before its end `$3`, as
/// blocking occupancies never overlap — and how many open bookings the
/// organizer holds in the room (ending after `$5`); then, for a linked room,
/// the holds of other bookings on its units that can overlap it (those
/// starting in the `MAX_HELD_MINUTES` before its start `$6`, `$7`).
const SNAPSHOT: &str = "SELECT l.id, l.held_start, l.held_end, \
     (SELECT COUNT(*) FROM bookings WHERE room_id = $1 AND organizer_id = $4 AND id <> $2 \
        AND status IN ('pending', 'approved') AND end_at > $5) AS n \
     FROM (SELECT 1 AS one) AS o LEFT JOIN ( \
       SELECT id, held_start, held_end FROM bookings \
       WHERE room_id = $1 AND status IN ('pending', 'approved') AND id <> $2 AND held_start < $3 \
       ORDER BY held_start DESC LIMIT 1) AS l ON 1 = 1 \
     UNION ALL \
     SELECT h.booking_id, h.held_start, h.held_end, -1 \
     FROM room_parts p JOIN booking_holds h ON h.part_id = p.part_id \
     WHERE p.room_id = $1 AND h.booking_id <> $2 AND h.held_start < $3 \
       AND h.held_start > $7 AND h.held_end > $6";

/// What the rules need to judge writing `b`, read on `conn`.
pub(crate) async fn snapshot<B: SqlBackend>(
    conn: &mut Conn<B>,
    b: &Booking,
) -> Result<Snapshot, StoreError> {
    const OP: &str = "read booking snapshot";
    let args = args![
        b.room_id,
        b.id,
        b.held_end,
        b.organizer_id,
        b.updated_at,
        b.held_start,
        b.held_start - Duration::minutes(MAX_HELD_MINUTES)
    ];
    let rows = fetch::<B>(conn, OP, SNAPSHOT, args).await?;
    let mut conflicting: Vec<Occupancy> = Vec::new();
    let mut user_active_in_room = None;
    for row in &rows {
        let r = Rec::<B>::new(row);
        // The room's own row carries the count; hold rows carry -1.
        if r.int("n")? >= 0 {
            user_active_in_room = Some(r.u32("n")?);
        }
        if let Some(id) = r.opt_uuid("id")? {
            let o = Occupancy {
                booking_id: BookingId(id),
                start: r.time("held_start")?,
                end: r.time("held_end")?,
            };
            if o.end > b.held_start && !conflicting.iter().any(|c| c.booking_id == o.booking_id) {
                conflicting.push(o);
            }
        }
    }
    let Some(user_active_in_room) = user_active_in_room else {
        return Err(StoreError::Corrupt(format!("{OP}: no row")));
    };
    conflicting.sort_by_key(|o| o.start);
    Ok(Snapshot {
        conflicting,
        user_active_in_room,
    })
}

/// The database refused `b` as overlapping: name the booking in the way.
/// The failed transaction may be unusable, so look it up on a fresh connection.
pub(crate) async fn overlap_error<B: SqlBackend>(
    store: &SqlStore<B>,
    b: &Booking,
    e: sqlx::Error,
    op: &'static str,
) -> CoreError {
    let found = async {
        let mut conn = read_conn(&store.b, op).await?;
        snapshot::<B>(&mut conn, b).await
    };
    match found.await {
        Ok(snap) => snap
            .conflicting
            .first()
            .map(conflict_from)
            .unwrap_or_else(|| db(op)(e).into()),
        Err(other) => other.into(),
    }
}

impl<B: SqlBackend> SqlStore<B> {
    pub(super) async fn write_booking(
        &self,
        b: &Booking,
        check: &CheckFn<'_>,
        update: bool,
        log: &ChangeLog,
    ) -> Result<(), CoreError> {
        let op = if update {
            "update booking"
        } else {
            "insert booking"
        };
        let mut tx = self.begin(op, Some(b.room_id)).await?;
        let snap = snapshot::<B>(&mut tx, b).await?;
        check(&snap)?;
        // The booking, its audit entry and its events: one script (one
        // round trip on SQLite, whose writer is the bottleneck).
        let (sql, args) = if update {
            update_statement(b)
        } else {
            insert_statement(b)
        };
        let mut script = Script::default();
        script.push(sql, args);
        crate::audit::statement(&mut script, &log.audit);
        crate::events::statements::<B>(&mut script, &log.events);
        let others = 1 + log.events.len() as u64;
        // A new booking is kept when every statement succeeds, so the end
        // of the writer's turn can travel with them (no round trip of its
        // own); an update is kept only if it changed the row, which is
        // known after the script.
        let end = if update { None } else { B::END_TURN };
        if let Some(end) = end {
            script.push(end, Vec::new());
        }
        match script.run::<B>(&mut tx).await {
            // Only the booking's statement can change no row: the audit
            // entry and events always insert theirs.
            Ok(changed) if update && booking_rows(&changed, others) == 0 => {
                return Err(CoreError::Stale(format!(
                    "booking {} was changed by someone else; reload and retry",
                    b.id
                )));
            }
            Ok(_) => {
                if end.is_some() {
                    B::turn_ended(&mut tx);
                }
            }
            Err(e) if B::is_overlap(&e) => {
                // Cannot happen while every writer takes the write lock, but
                // a writer that bypasses the service still gets a clear answer.
                drop(tx);
                return Err(overlap_error(self, b, e, op).await);
            }
            Err(e) => return Err(db(op)(e).into()),
        }
        commit::<B>(op, tx).await?;
        Ok(())
    }
}
