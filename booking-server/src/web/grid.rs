//! The board's grid: rooms × columns of a day, or rooms × days of a week,
//! in the viewer's zone. Pure: rooms, bookings, the viewer and the clock in,
//! cells out. Busy blocks carry only what the viewer may see (the room's
//! feed privacy masks others' titles as "Busy").

use std::collections::HashMap;

use booking_core::{Booking, BookingStatus, Room, RoomCategory, RoomId, User};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use super::time;

/// Minutes per column of the day view.
pub const STEP_MINUTES: i64 = 30;

/// May `viewer` see what `b` is about (the core's rule).
pub fn sees_details(viewer: &User, b: &Booking) -> bool {
    booking_core::rules::may_see_details(viewer, b)
}

/// What the board shows of `b`: its title as the viewer may see it ("Busy"
/// where the room's privacy hides it from this viewer, as its feeds do).
pub fn block_label(viewer: &User, room: &Room, b: &Booking) -> String {
    booking_core::rules::visible_title(viewer, room, b).to_string()
}

/// Which rooms the board lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub capacity: Option<u32>,
    pub floor: Option<i32>,
    pub category: Option<RoomCategory>,
    pub amenities: Vec<String>,
}

impl Filters {
    pub fn matches(&self, room: &Room) -> bool {
        self.capacity.is_none_or(|c| room.capacity >= c)
            && self.floor.is_none_or(|f| room.floor == Some(f))
            && self.category.is_none_or(|c| room.category == c)
            && room.has_amenities(&self.amenities)
    }
}

/// The head of a room's row.
#[derive(Debug, Clone)]
pub struct RoomHead {
    pub id: String,
    pub name: String,
    pub meta: String,
    /// The room's own zone, when it differs from the board's.
    pub zone_note: Option<String>,
}

impl RoomHead {
    fn new(room: &Room, tz: Tz) -> Self {
        let mut meta = format!("{} seats", room.capacity);
        if let Some(f) = room.floor {
            meta.push_str(&format!(" · floor {f}"));
        }
        Self {
            id: room.id.to_string(),
            name: room.name.clone(),
            meta,
            zone_note: (room.time_zone != tz).then(|| room.time_zone.name().to_string()),
        }
    }
}

/// A cell of a room's day row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Bookable: `minute` counts from the start of the day.
    Free {
        minute: i64,
        label: String,
    },
    /// Outside business hours ("closed") or over ("past").
    Shade {
        span: usize,
        kind: &'static str,
    },
    Busy(Block),
}

/// One or more bookings that touch neighbouring columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub span: usize,
    pub label: String,
    pub when: String,
    pub pending: bool,
    pub mine: bool,
    /// Further bookings in the same block.
    pub more: usize,
}

#[derive(Debug, Clone)]
pub struct Lane {
    pub room: RoomHead,
    pub cells: Vec<Cell>,
}

/// A column heading of the day view.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadCell {
    pub label: String,
    pub span: usize,
}

#[derive(Debug, Clone)]
pub struct DayGrid {
    pub cols: usize,
    pub head: Vec<HeadCell>,
    pub lanes: Vec<Lane>,
}

/// What a grid is built from.
pub struct GridInput<'a> {
    pub rooms: &'a [Room],
    pub bookings: &'a [Booking],
    pub viewer: &'a User,
    pub tz: Tz,
    pub date: NaiveDate,
    pub now: DateTime<Utc>,
}

impl GridInput<'_> {
    fn by_room(&self) -> HashMap<RoomId, Vec<&Booking>> {
        let mut map: HashMap<RoomId, Vec<&Booking>> = HashMap::new();
        for b in self.bookings.iter().filter(|b| b.status.is_blocking()) {
            map.entry(b.room_id).or_default().push(b);
        }
        for list in map.values_mut() {
            list.sort_by_key(|b| (b.start, b.end));
        }
        map
    }
}

/// A room's opening windows (UTC) that touch `[from, to)`.
fn windows(
    room: &Room,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let first = from.with_timezone(&room.time_zone).date_naive();
    let last = to.with_timezone(&room.time_zone).date_naive();
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .filter_map(|d| booking_core::rules::business_window(&room.policy, room.time_zone, d))
        .filter(|(o, c)| *o < to && *c > from)
        .collect()
}

fn slot_index(day_start: DateTime<Utc>, t: DateTime<Utc>, round_up: bool) -> i64 {
    let minutes = (t - day_start).num_minutes();
    if round_up {
        (minutes + STEP_MINUTES - 1).div_euclid(STEP_MINUTES)
    } else {
        minutes.div_euclid(STEP_MINUTES)
    }
}

/// Rooms × columns of one day in the viewer's zone: the columns run from the
/// earliest opening to the latest closing of the listed rooms that day.
pub fn day_grid(input: &GridInput<'_>) -> DayGrid {
    let (day_start, day_end) = time::day_bounds(input.tz, input.date);
    let total = slot_index(day_start, day_end, true);
    let by_room = input.by_room();
    let room_windows: Vec<_> = input
        .rooms
        .iter()
        .map(|r| windows(r, day_start, day_end))
        .collect();
    let mut lo = i64::MAX;
    let mut hi = i64::MIN;
    // Windows that opened the day before (a room far west) do not widen the
    // board back to midnight; they still count as open where shown.
    for (o, c) in room_windows
        .iter()
        .flatten()
        .filter(|(o, _)| *o >= day_start)
    {
        lo = lo.min(slot_index(day_start, *o, false));
        hi = hi.max(slot_index(day_start, *c, true));
    }
    for b in by_room.values().flatten() {
        lo = lo.min(slot_index(day_start, b.start, false));
        hi = hi.max(slot_index(day_start, b.end, true));
    }
    if lo >= hi {
        // Nothing open: show office hours.
        lo = 8 * 60 / STEP_MINUTES;
        hi = 18 * 60 / STEP_MINUTES;
    }
    let (lo, hi) = (lo.clamp(0, total), hi.clamp(0, total));
    let at = |i: i64| day_start + Duration::minutes(i * STEP_MINUTES);

    let mut head: Vec<HeadCell> = Vec::new();
    for i in lo..hi {
        let local = at(i).with_timezone(&input.tz);
        if i == lo || local.minute() == 0 {
            head.push(HeadCell {
                label: local.format("%H:%M").to_string(),
                span: 1,
            });
        } else if let Some(last) = head.last_mut() {
            last.span += 1;
        }
    }

    let none = Vec::new();
    let lanes = input
        .rooms
        .iter()
        .zip(&room_windows)
        .map(|(room, wins)| {
            let list = by_room.get(&room.id).unwrap_or(&none);
            let mut cells: Vec<Cell> = Vec::new();
            let mut i = lo;
            while i < hi {
                let (s, e) = (at(i), at(i + 1));
                let mut touching = list.iter().filter(|b| b.start < e && b.end > s);
                if let Some(first) = touching.next() {
                    // Grow the block over every booking that reaches into it.
                    let mut end = first.end;
                    let mut count = 1 + touching.count();
                    let mut j = i + 1;
                    while j < hi && at(j) < end {
                        let (js, je) = (at(j), at(j + 1));
                        for b in list
                            .iter()
                            .filter(|b| b.start >= e && b.start < je && b.end > js)
                        {
                            end = end.max(b.end);
                            count += 1;
                        }
                        j += 1;
                    }
                    cells.push(Cell::Busy(Block {
                        span: usize::try_from(j - i).unwrap_or(1),
                        label: block_label(input.viewer, room, first),
                        when: time::clock_range(input.tz, first.start, first.end),
                        pending: first.status == BookingStatus::Pending,
                        mine: first.organizer_id == input.viewer.id,
                        more: count - 1,
                    }));
                    i = j;
                    continue;
                }
                let kind = if e <= input.now {
                    Some("past")
                } else if !wins.iter().any(|(o, c)| *o <= s && e <= *c) {
                    Some("closed")
                } else {
                    None
                };
                match (kind, cells.last_mut()) {
                    (Some(k), Some(Cell::Shade { span, kind })) if *kind == k => *span += 1,
                    (Some(k), _) => cells.push(Cell::Shade { span: 1, kind: k }),
                    (None, _) => cells.push(Cell::Free {
                        minute: i * STEP_MINUTES,
                        label: s.with_timezone(&input.tz).format("%H:%M").to_string(),
                    }),
                }
                i += 1;
            }
            Lane {
                room: RoomHead::new(room, input.tz),
                cells,
            }
        })
        .collect();
    DayGrid {
        cols: usize::try_from(hi - lo).unwrap_or(0),
        head,
        lanes,
    }
}

/// A room's day in the week view.
#[derive(Debug, Clone)]
pub struct WeekCell {
    pub date: String,
    pub items: Vec<(String, String, bool)>,
    pub more: usize,
    pub closed: bool,
}

#[derive(Debug, Clone)]
pub struct WeekLane {
    pub room: RoomHead,
    pub cells: Vec<WeekCell>,
}

#[derive(Debug, Clone)]
pub struct WeekGrid {
    /// (label, date) of Monday … Sunday.
    pub days: Vec<(String, String)>,
    pub lanes: Vec<WeekLane>,
}

/// The week (Monday to Sunday) that holds `input.date`.
pub fn week_grid(input: &GridInput<'_>) -> WeekGrid {
    const SHOWN: usize = 3;
    let monday =
        input.date - Duration::days(i64::from(input.date.weekday().num_days_from_monday()));
    let dates: Vec<NaiveDate> = monday.iter_days().take(7).collect();
    let by_room = input.by_room();
    let none = Vec::new();
    let lanes = input
        .rooms
        .iter()
        .map(|room| {
            let list = by_room.get(&room.id).unwrap_or(&none);
            let cells = dates
                .iter()
                .map(|d| {
                    let (s, e) = time::day_bounds(input.tz, *d);
                    let day: Vec<&&Booking> =
                        list.iter().filter(|b| b.start < e && b.end > s).collect();
                    WeekCell {
                        date: d.to_string(),
                        items: day
                            .iter()
                            .take(SHOWN)
                            .map(|b| {
                                (
                                    time::clock_range(input.tz, b.start, b.end),
                                    block_label(input.viewer, room, b),
                                    b.status == BookingStatus::Pending,
                                )
                            })
                            .collect(),
                        more: day.len().saturating_sub(SHOWN),
                        closed: windows(room, s, e).is_empty(),
                    }
                })
                .collect();
            WeekLane {
                room: RoomHead::new(room, input.tz),
                cells,
            }
        })
        .collect();
    WeekGrid {
        days: dates
            .iter()
            .map(|d| (d.format("%a %-d %b").to_string(), d.to_string()))
            .collect(),
        lanes,
    }
}

#[cfg(test)]
#[path = "grid_tests.rs"]
mod tests;
