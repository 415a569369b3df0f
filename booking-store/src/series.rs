//! Recurring series: the series and the occurrences its check accepts, in
//! one transaction.

use async_trait::async_trait;
use booking_core::CoreError;
use booking_core::domain::{Booking, BookingId, Occupancy, RoomId, Series, SeriesId, UserId};
use booking_core::store::{ChangeLog, SeriesCheckFn, SeriesStore, Snapshot, StoredEvent};

use crate::SqlStore;
use crate::backend::{Conn, SqlBackend, args};
use crate::bookings::{insert, overlap_error, snapshot};
use crate::error::{StoreError, db};
use crate::query::{commit, exec};
use crate::rec::Rec;

/// Wall-clock local times (series starts) are stored as ISO text.
const LOCAL_FMT: &str = "%Y-%m-%dT%H:%M:%S";

/// One snapshot per occurrence, in one statement.
async fn snapshots<B: SqlBackend>(
    conn: &mut Conn<B>,
    occurrences: &[Booking],
) -> Result<Vec<Snapshot>, StoreError> {
    const OP: &str = "read series snapshot";
    let Some(first) = occurrences.first() else {
        return Ok(Vec::new());
    };
    let (sql, args) = B::series_probe(first.room_id, occurrences)?;
    let rows = B::fetch_all(conn, sql, args).await.map_err(db(OP))?;
    let mut snaps: Vec<Snapshot> = vec![Snapshot::default(); occurrences.len()];
    for row in &rows {
        let r = Rec::<B>::new(row);
        let Some(i) = usize::try_from(r.int("idx")?).ok() else {
            continue;
        };
        let (Some(snap), Some(own)) = (snaps.get_mut(i), occurrences.get(i)) else {
            continue;
        };
        let Some(id) = r.opt_uuid("id")? else {
            continue;
        };
        let (Some(start), Some(end)) = (r.opt_time("held_start")?, r.opt_time("held_end")?) else {
            continue;
        };
        if end > own.held_start {
            snap.conflicting.push(Occupancy {
                booking_id: BookingId(id),
                start,
                end,
            });
        }
    }
    // Holds of bookings in linked rooms, over the series' whole span.
    let from = occurrences.iter().map(|o| o.held_start).min();
    let to = occurrences.iter().map(|o| o.held_end).max();
    if let (Some(from), Some(to)) = (from, to) {
        let holds = crate::links::holds_in_way::<B>(conn, first.room_id, None, from, to).await?;
        for (snap, own) in snaps.iter_mut().zip(occurrences) {
            let extra: Vec<Occupancy> = holds
                .iter()
                .filter(|h| {
                    h.start < own.held_end
                        && h.end > own.held_start
                        && !snap
                            .conflicting
                            .iter()
                            .any(|c| c.booking_id == h.booking_id)
                })
                .copied()
                .collect();
            snap.conflicting.extend(extra);
        }
    }
    // The per-user count is the same for every occurrence.
    let n = snapshot::<B>(conn, first).await?.user_active_in_room;
    for s in &mut snaps {
        s.user_active_in_room = n;
    }
    Ok(snaps)
}

#[async_trait]
impl<B: SqlBackend> SeriesStore for SqlStore<B> {
    async fn create_series(
        &self,
        series: &Series,
        occurrences: &[Booking],
        check: &SeriesCheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<Vec<usize>, CoreError> {
        const OP: &str = "insert series";
        let mut tx = self.begin(OP, Some(series.room_id)).await?;
        let snaps = snapshots::<B>(&mut tx, occurrences).await?;
        let chosen = check(&snaps)?;
        exec::<B>(
            &mut tx,
            OP,
            "INSERT INTO series (id, room_id, organizer_id, title, purpose, attendees, local_start, \
             duration_minutes, rrule, trimmed, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args![
                series.id,
                series.room_id,
                series.organizer_id,
                &series.title,
                &series.purpose,
                series.attendees,
                series.local_start.format(LOCAL_FMT).to_string(),
                series.duration_minutes,
                &series.rrule,
                series.trimmed,
                series.created_at,
            ],
        )
        .await?;
        for &i in &chosen {
            if let Some(b) = occurrences.get(i)
                && let Err(e) = insert::<B>(&mut tx, b).await
            {
                if B::is_overlap(&e) {
                    drop(tx);
                    return Err(overlap_error(self, b, e, OP).await);
                }
                return Err(db(OP)(e).into());
            }
        }
        crate::audit::insert::<B>(&mut tx, &log.audit).await?;
        let events: Vec<StoredEvent> = chosen
            .iter()
            .filter_map(|&i| log.events.get(i).cloned())
            .collect();
        crate::events::insert::<B>(&mut tx, &events).await?;
        commit::<B>(OP, tx).await?;
        Ok(chosen)
    }

    async fn get_series(&self, id: SeriesId) -> Result<Option<Series>, StoreError> {
        let row = self
            .row(
                "get series",
                "SELECT id, room_id, organizer_id, title, purpose, attendees, local_start, \
                 duration_minutes, rrule, trimmed, created_at FROM series WHERE id = $1",
                args![id],
            )
            .await?;
        row.map(|row| {
            let r = Rec::<B>::new(&row);
            let local = r.text("local_start")?;
            Ok(Series {
                id: SeriesId(r.uuid("id")?),
                room_id: RoomId(r.uuid("room_id")?),
                organizer_id: UserId(r.uuid("organizer_id")?),
                title: r.text("title")?,
                purpose: r.text("purpose")?,
                attendees: r.u32("attendees")?,
                local_start: chrono::NaiveDateTime::parse_from_str(&local, LOCAL_FMT)
                    .map_err(|_| StoreError::Corrupt(format!("bad local_start {local:?}")))?,
                duration_minutes: r.u32("duration_minutes")?,
                rrule: r.text("rrule")?,
                trimmed: r.flag("trimmed")?,
                created_at: r.time("created_at")?,
            })
        })
        .transpose()
    }
}
