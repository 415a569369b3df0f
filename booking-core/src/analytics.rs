//! Analytics for facility managers and BI tools: utilisation, heat map,
//! no-shows, approval lead time, cancellations, top rooms, attendee fit.
//! Aggregation runs in SQL (the stores); this module adds the available time
//! from each room's business hours and derives the rates.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::{Booking, BookingStatus, Room, RoomId};
use crate::error::{CoreError, InputError};
use crate::rules;
use crate::service::BookingService;
pub use crate::store::{Bucket, HeatCell};

/// Booked versus available time of one room in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UtilisationRow {
    /// The room.
    pub room_id: RoomId,
    /// The room's name.
    pub room_name: String,
    /// Start of the hour or day counted.
    pub bucket_start: DateTime<Utc>,
    /// Pending and approved bookings that start in the bucket.
    pub bookings: i64,
    /// Minutes booked.
    pub booked_minutes: i64,
    /// Business-hours minutes of the room inside the bucket.
    pub available_minutes: i64,
    /// booked / available (0 when the room is closed).
    pub utilisation: f64,
}

/// Per-room figures over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoomSummary {
    /// The room.
    pub room_id: RoomId,
    /// The room's name.
    pub room_name: String,
    /// Seats of the room.
    pub capacity: u32,
    /// Bookings in the range.
    pub bookings: i64,
    /// Of them, cancelled.
    pub cancellations: i64,
    /// Of them, rejected.
    pub rejections: i64,
    /// Of them, released as no-shows.
    pub no_shows: i64,
    /// no-shows / (approved + no-shows), 0 without bookings.
    pub no_show_rate: f64,
    /// Average minutes from request to decision, for decided bookings.
    pub approval_lead_minutes: Option<f64>,
    /// Average attendees / capacity over the room's bookings in the range.
    pub attendee_fit: Option<f64>,
}

/// Minutes of business hours of `room` inside `[start, start + bucket)`.
pub fn available_minutes(room: &Room, start: DateTime<Utc>, bucket: Bucket) -> i64 {
    let end = start
        + match bucket {
            Bucket::Hour => Duration::hours(1),
            Bucket::Day => Duration::days(1),
        };
    // The local days that can touch the bucket.
    let first = (start - Duration::days(1))
        .with_timezone(&room.time_zone)
        .date_naive();
    let last = (end + Duration::days(1))
        .with_timezone(&room.time_zone)
        .date_naive();
    let mut total = 0;
    let mut d = first;
    while d <= last {
        if let Some((open, close)) = rules::business_window(&room.policy, room.time_zone, d) {
            let s = open.max(start);
            let e = close.min(end);
            if e > s {
                total += (e - s).num_minutes();
            }
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    total
}

/// The room's opening windows (UTC) of every local day touching `[from, to)`, in order.
fn opening_windows(
    room: &Room,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut d = from.with_timezone(&room.time_zone).date_naive();
    let last = to.with_timezone(&room.time_zone).date_naive();
    while d <= last {
        if let Some(w) = rules::business_window(&room.policy, room.time_zone, d) {
            out.push(w);
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

fn bucket_floor(t: DateTime<Utc>, bucket: Bucket) -> DateTime<Utc> {
    let size = match bucket {
        Bucket::Hour => 3600,
        Bucket::Day => 86_400,
    };
    DateTime::from_timestamp(t.timestamp().div_euclid(size) * size, 0).unwrap_or(t)
}

/// How many bookings of each status started in one UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatusDay {
    /// The day (in UTC).
    pub day: chrono::NaiveDate,
    /// Bookings made that day still pending.
    pub pending: i64,
    /// Bookings made that day that were approved.
    pub approved: i64,
    /// Bookings made that day that were rejected.
    pub rejected: i64,
    /// Bookings made that day that were cancelled.
    pub cancelled: i64,
    /// Approved bookings released because nobody checked in (also in `approved`).
    pub no_shows: i64,
}

/// Count `bookings` by the UTC day they start and their status, one row per
/// day of `[from, to)` (days without bookings too), oldest first.
pub fn status_by_day(
    bookings: &[Booking],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<StatusDay> {
    let mut days: BTreeMap<chrono::NaiveDate, StatusDay> = BTreeMap::new();
    let last = (to - Duration::nanoseconds(1)).date_naive();
    let mut d = from.date_naive();
    while d <= last {
        days.insert(
            d,
            StatusDay {
                day: d,
                ..StatusDay::default()
            },
        );
        let Some(next) = d.succ_opt() else { break };
        d = next;
    }
    for b in bookings.iter().filter(|b| b.start >= from && b.start < to) {
        let Some(row) = days.get_mut(&b.start.date_naive()) else {
            continue;
        };
        match b.status {
            BookingStatus::Pending => row.pending += 1,
            BookingStatus::Approved => row.approved += 1,
            BookingStatus::Rejected => row.rejected += 1,
            BookingStatus::Cancelled => row.cancelled += 1,
        }
        row.no_shows += i64::from(b.no_show);
    }
    days.into_values().collect()
}

/// Longest range per bucket size, to keep reports bounded.
pub fn max_range(bucket: Bucket) -> Duration {
    match bucket {
        Bucket::Hour => Duration::days(31),
        Bucket::Day => Duration::days(366),
    }
}

fn check_range(from: DateTime<Utc>, to: DateTime<Utc>, max: Duration) -> Result<(), CoreError> {
    if to <= from {
        return Err(InputError::Invalid {
            field: "to",
            reason: "must be after `from`".into(),
        }
        .into());
    }
    if to - from > max {
        return Err(InputError::Invalid {
            field: "to",
            reason: format!("the range is limited to {} days", max.num_days()),
        }
        .into());
    }
    Ok(())
}

impl BookingService {
    /// Utilisation of `rooms` per UTC bucket over `[from, to)`: every room and
    /// bucket, booked minutes from SQL, available minutes from business hours.
    pub async fn utilisation(
        &self,
        rooms: &[Room],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
    ) -> Result<Vec<UtilisationRow>, CoreError> {
        check_range(from, to, max_range(bucket))?;
        let booked: HashMap<(RoomId, DateTime<Utc>), (i64, i64)> = self
            .store
            .usage_by_bucket(from, to, bucket)
            .await?
            .into_iter()
            .map(|u| ((u.room_id, u.bucket_start), (u.bookings, u.booked_minutes)))
            .collect();
        let step = match bucket {
            Bucket::Hour => Duration::hours(1),
            Bucket::Day => Duration::days(1),
        };
        let first = bucket_floor(from, bucket);
        let mut rows = Vec::new();
        for room in rooms {
            // The room's opening windows over the range, computed once.
            let windows = opening_windows(room, first - Duration::days(1), to + Duration::days(1));
            let mut w = 0;
            let mut b = first;
            while b < to {
                let end = b + step;
                while w < windows.len() && windows[w].1 <= b {
                    w += 1;
                }
                let available_minutes: i64 = windows[w..]
                    .iter()
                    .take_while(|(open, _)| *open < end)
                    .map(|(open, close)| ((*close).min(end) - (*open).max(b)).num_minutes().max(0))
                    .sum();
                let (bookings, booked_minutes) =
                    booked.get(&(room.id, b)).copied().unwrap_or((0, 0));
                rows.push(UtilisationRow {
                    room_id: room.id,
                    room_name: room.name.clone(),
                    bucket_start: b,
                    bookings,
                    booked_minutes,
                    available_minutes,
                    utilisation: if available_minutes > 0 {
                        booked_minutes as f64 / available_minutes as f64
                    } else {
                        0.0
                    },
                });
                b = end;
            }
        }
        Ok(rows)
    }

    /// Bookings of `rooms` by the UTC day they start and their status over
    /// `[from, to)` (at most 366 days).
    pub async fn statuses_by_day(
        &self,
        rooms: &[Room],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StatusDay>, CoreError> {
        check_range(from, to, max_range(Bucket::Day))?;
        let wanted: std::collections::HashSet<RoomId> = rooms.iter().map(|r| r.id).collect();
        let list = self
            .store
            .list_bookings(&crate::store::BookingFilter {
                from: Some(from),
                to: Some(to),
                ..Default::default()
            })
            .await?;
        let list: Vec<Booking> = list
            .into_iter()
            .filter(|b| wanted.contains(&b.room_id))
            .collect();
        Ok(status_by_day(&list, from, to))
    }

    /// Pending + approved bookings by weekday × hour (UTC).
    pub async fn heat_map(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HeatCell>, CoreError> {
        check_range(from, to, max_range(Bucket::Day))?;
        Ok(self.store.heat_map(from, to).await?)
    }

    /// Per-room no-show rate, approval lead time, cancellations and attendee
    /// fit over `[from, to)`, busiest rooms first.
    pub async fn room_summaries(
        &self,
        rooms: &[Room],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RoomSummary>, CoreError> {
        check_range(from, to, max_range(Bucket::Day))?;
        let stats: BTreeMap<RoomId, _> = self
            .store
            .room_stats(from, to)
            .await?
            .into_iter()
            .map(|s| (s.room_id, s))
            .collect();
        let mut out: Vec<RoomSummary> = rooms
            .iter()
            .map(|room| {
                let s = stats.get(&room.id);
                let get = |f: fn(&crate::store::RoomStats) -> i64| s.map(f).unwrap_or(0);
                let approved = get(|s| s.approved);
                let no_shows = get(|s| s.no_shows);
                let decided = get(|s| s.decided);
                RoomSummary {
                    room_id: room.id,
                    room_name: room.name.clone(),
                    capacity: room.capacity,
                    bookings: get(|s| s.total),
                    cancellations: get(|s| s.cancelled) - no_shows,
                    rejections: get(|s| s.rejected),
                    no_shows,
                    no_show_rate: if approved + no_shows > 0 {
                        no_shows as f64 / (approved + no_shows) as f64
                    } else {
                        0.0
                    },
                    approval_lead_minutes: (decided > 0)
                        .then(|| get(|s| s.decision_minutes) as f64 / decided as f64),
                    attendee_fit: (get(|s| s.total) > 0 && room.capacity > 0).then(|| {
                        get(|s| s.attendees) as f64
                            / get(|s| s.total) as f64
                            / f64::from(room.capacity)
                    }),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.bookings
                .cmp(&a.bookings)
                .then_with(|| a.room_name.cmp(&b.room_name))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};

    use super::*;
    use crate::domain::{BusinessHours, RoomCategory, RoomPolicy};

    fn room(tz: chrono_tz::Tz) -> Room {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        Room {
            id: RoomId::new_random(),
            name: "R".into(),
            category: RoomCategory::Meeting,
            capacity: 4,
            floor: None,
            location: String::new(),
            amenities: Default::default(),
            time_zone: tz,
            active: true,
            deleted_at: None,
            policy: RoomPolicy {
                business_hours: BusinessHours::weekdays(t(8), t(18)),
                ..RoomPolicy::default()
            },
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn available_time_follows_business_hours_and_zone() {
        let monday = Utc
            .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
            .single()
            .expect("t");
        let utc = room(chrono_tz::UTC);
        assert_eq!(available_minutes(&utc, monday, Bucket::Day), 600);
        assert_eq!(
            available_minutes(&utc, monday + Duration::days(5), Bucket::Day),
            0,
            "Saturday"
        );
        assert_eq!(
            available_minutes(&utc, monday + Duration::hours(8), Bucket::Hour),
            60
        );
        assert_eq!(
            available_minutes(&utc, monday + Duration::hours(7), Bucket::Hour),
            0
        );
        // Berlin opens at 07:00 UTC in winter: the UTC day still holds 10 hours.
        let berlin = room(chrono_tz::Europe::Berlin);
        assert_eq!(available_minutes(&berlin, monday, Bucket::Day), 600);
        assert_eq!(
            available_minutes(&berlin, monday + Duration::hours(7), Bucket::Hour),
            60
        );
        // New York's Monday 08:00-18:00 is 13:00-23:00 UTC.
        let ny = room(chrono_tz::America::New_York);
        assert_eq!(
            available_minutes(&ny, monday + Duration::hours(22), Bucket::Hour),
            60
        );
        assert_eq!(
            available_minutes(&ny, monday + Duration::hours(12), Bucket::Hour),
            0
        );
    }

    fn booking(start: DateTime<Utc>, status: BookingStatus, no_show: bool) -> Booking {
        Booking {
            id: crate::domain::BookingId::new_random(),
            room_id: RoomId::new_random(),
            organizer_id: crate::domain::UserId::new_random(),
            title: "t".into(),
            purpose: String::new(),
            attendees: 1,
            start,
            end: start + Duration::hours(1),
            held_start: start,
            held_end: start + Duration::hours(1),
            status,
            approver_id: None,
            decision_reason: None,
            sequence: 0,
            created_at: start,
            updated_at: start,
            series_id: None,
            occurrence_start: None,
            checked_in_at: None,
            no_show,
            booked_by: None,
            group_id: None,
        }
    }

    #[test]
    fn statuses_are_counted_per_utc_day_with_empty_days_kept() {
        let day1 = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
        let at = |d: i64, h: i64| day1 + Duration::days(d) + Duration::hours(h);
        let list = vec![
            booking(at(0, 9), BookingStatus::Approved, false),
            booking(at(0, 23), BookingStatus::Approved, true),
            booking(at(0, 10), BookingStatus::Cancelled, false),
            booking(at(2, 8), BookingStatus::Pending, false),
            booking(at(2, 9), BookingStatus::Rejected, false),
            // Outside the range: not counted.
            booking(at(3, 0), BookingStatus::Approved, false),
            booking(at(-1, 23), BookingStatus::Approved, false),
        ];
        let rows = status_by_day(&list, day1, at(3, 0));
        let days: Vec<_> = rows.iter().map(|r| r.day.to_string()).collect();
        assert_eq!(days, ["2026-03-02", "2026-03-03", "2026-03-04"]);
        assert_eq!(
            (rows[0].approved, rows[0].cancelled, rows[0].no_shows),
            (2, 1, 1)
        );
        assert_eq!(
            rows[1],
            StatusDay {
                day: rows[1].day,
                ..StatusDay::default()
            }
        );
        assert_eq!(
            (rows[2].pending, rows[2].rejected, rows[2].approved),
            (1, 1, 0)
        );
    }
}
