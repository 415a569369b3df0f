use std::collections::BTreeSet;

use booking_core::{
    Booking, BookingId, BookingStatus, BusinessHours, Role, Room, RoomCategory, RoomId, RoomPolicy,
    User, UserId,
};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

fn berlin() -> Tz {
    "Europe/Berlin".parse().expect("zone")
}

fn room(name: &str, zone: &str, hides: bool) -> Room {
    let h = |x| NaiveTime::from_hms_opt(x, 0, 0).expect("time");
    Room {
        id: RoomId::new_random(),
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity: 8,
        floor: Some(2),
        location: "HQ".into(),
        amenities: BTreeSet::new(),
        time_zone: zone.parse().expect("zone"),
        active: true,
        deleted_at: None,
        policy: RoomPolicy {
            business_hours: BusinessHours::weekdays(h(8), h(18)),
            feed_hides_details: hides,
            ..RoomPolicy::default()
        },
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

fn user(role: Role) -> User {
    User {
        id: UserId::new_random(),
        email: "u@example.com".parse().expect("email"),
        display_name: "U".into(),
        role,
        assigned_rooms: BTreeSet::new(),
        active: true,
        created_at: Utc::now(),
    }
}

fn local(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    berlin()
        .from_local_datetime(&date.and_hms_opt(h, m, 0).expect("t"))
        .earliest()
        .expect("exists")
        .with_timezone(&Utc)
}

fn booking(
    room: &Room,
    who: &User,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    status: BookingStatus,
) -> Booking {
    Booking {
        id: BookingId::new_random(),
        room_id: room.id,
        organizer_id: who.id,
        title: "Secret plans".into(),
        purpose: String::new(),
        attendees: 2,
        start,
        end,
        held_start: start,
        held_end: end,
        status,
        approver_id: None,
        decision_reason: None,
        sequence: 0,
        created_at: start,
        updated_at: start,
        series_id: None,
        occurrence_start: None,
        checked_in_at: None,
        no_show: false,
        booked_by: None,
        group_id: None,
    }
}

fn spans(cells: &[Cell]) -> usize {
    cells
        .iter()
        .map(|c| match c {
            Cell::Free { .. } => 1,
            Cell::Shade { span, .. } => *span,
            Cell::Busy(b) => b.span,
        })
        .sum()
}

fn grid_for(r: &Room, bookings: &[Booking], viewer: &User) -> DayGrid {
    day_grid(&GridInput {
        rooms: std::slice::from_ref(r),
        bookings,
        viewer,
        tz: berlin(),
        date: wed(),
        now: local(wed(), 0, 0),
    })
}

fn wed() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 13).expect("date")
}

#[test]
fn a_booking_spans_the_columns_it_touches_and_others_see_busy() {
    let r = room("Huddle", "Europe/Berlin", true);
    let owner = user(Role::User);
    let other = user(Role::User);
    let b = booking(
        &r,
        &owner,
        local(wed(), 9, 15),
        local(wed(), 10, 30),
        BookingStatus::Pending,
    );
    let bookings = [b];
    let g = grid_for(&r, &bookings, &other);
    // Open 08–18: 20 half-hour columns, headed by hour.
    assert_eq!(g.cols, 20);
    assert_eq!(
        g.head.first(),
        Some(&HeadCell {
            label: "08:00".into(),
            span: 2
        })
    );
    let lane = &g.lanes[0];
    assert_eq!(spans(&lane.cells), g.cols);
    let busy: Vec<&Block> = lane
        .cells
        .iter()
        .filter_map(|c| if let Cell::Busy(b) = c { Some(b) } else { None })
        .collect();
    assert_eq!(busy.len(), 1);
    // 09:15–10:30 touches 09:00, 09:30 and 10:00.
    assert_eq!(busy[0].span, 3);
    assert_eq!(busy[0].label, "Busy", "the room hides details from others");
    assert!(busy[0].pending && !busy[0].mine);
    assert_eq!(busy[0].when, "09:15–10:30");
    // Free slots are addressed by minutes from local midnight.
    assert!(lane.cells.contains(&Cell::Free {
        minute: 8 * 60,
        label: "08:00".into()
    }));
    assert!(lane.cells.contains(&Cell::Free {
        minute: 10 * 60 + 30,
        label: "10:30".into()
    }));

    let mine = grid_for(&r, &bookings, &owner);
    let Cell::Busy(b) = &mine.lanes[0].cells[2] else {
        panic!("busy at 09:00")
    };
    assert_eq!((b.label.as_str(), b.mine), ("Secret plans", true));
    for role in [Role::SuperAdmin, Role::ProcurementOfficer] {
        let viewer = user(role);
        let g = grid_for(&r, &bookings, &viewer);
        let Cell::Busy(b) = &g.lanes[0].cells[2] else {
            panic!("busy")
        };
        assert_eq!(b.label, "Secret plans", "{role}");
    }
}

#[test]
fn the_past_and_closed_hours_are_shaded_and_cancelled_bookings_free() {
    let r = room("Huddle", "Europe/Berlin", false);
    let u = user(Role::User);
    let gone = booking(
        &r,
        &u,
        local(wed(), 12, 0),
        local(wed(), 13, 0),
        BookingStatus::Cancelled,
    );
    let bookings = [gone];
    let g = day_grid(&GridInput {
        rooms: std::slice::from_ref(&r),
        bookings: &bookings,
        viewer: &u,
        tz: berlin(),
        date: wed(),
        now: local(wed(), 11, 10),
    });
    let cells = &g.lanes[0].cells;
    // 08:00–11:00 is over (six columns in one shade); 11:00 is not over yet.
    assert_eq!(
        cells[0],
        Cell::Shade {
            span: 6,
            kind: "past"
        }
    );
    assert_eq!(
        cells[1],
        Cell::Free {
            minute: 11 * 60,
            label: "11:00".into()
        }
    );
    assert!(
        cells.iter().all(|c| !matches!(c, Cell::Busy(_))),
        "cancelled bookings free their slot"
    );
}

#[test]
fn a_room_in_another_zone_is_shaded_by_its_own_hours() {
    let here = room("Berlin room", "Europe/Berlin", false);
    let there = room("New York room", "America/New_York", false);
    let u = user(Role::User);
    let rooms = [here, there];
    let g = day_grid(&GridInput {
        rooms: &rooms,
        bookings: &[],
        viewer: &u,
        tz: berlin(),
        date: wed(),
        now: local(wed(), 0, 0),
    });
    // 08:00 Berlin to 18:00 New York (= 24:00 Berlin).
    assert_eq!(g.head[0].label, "08:00");
    assert_eq!(g.cols, 32);
    let ny = &g.lanes[1];
    assert_eq!(ny.room.zone_note.as_deref(), Some("America/New_York"));
    // New York opens at 08:00 there = 14:00 here: twelve closed columns first.
    assert_eq!(
        ny.cells[0],
        Cell::Shade {
            span: 12,
            kind: "closed"
        }
    );
    assert_eq!(
        ny.cells[1],
        Cell::Free {
            minute: 14 * 60,
            label: "14:00".into()
        }
    );
    assert!(g.lanes[0].room.zone_note.is_none());
}

#[test]
fn a_day_when_clocks_go_forward_has_its_real_columns() {
    let mut r = room("Night room", "Europe/Berlin", false);
    r.policy.business_hours = BusinessHours::always();
    let u = user(Role::User);
    let sunday = NaiveDate::from_ymd_opt(2027, 3, 28).expect("date");
    let g = day_grid(&GridInput {
        rooms: std::slice::from_ref(&r),
        bookings: &[],
        viewer: &u,
        tz: berlin(),
        date: sunday,
        now: local(wed(), 0, 0),
    });
    // 23 hours: 46 columns, and 02:00 does not exist.
    assert_eq!(g.cols, 46);
    let labels: Vec<&str> = g.head.iter().map(|h| h.label.as_str()).collect();
    assert_eq!(&labels[..4], ["00:00", "01:00", "03:00", "04:00"]);
    assert_eq!(spans(&g.lanes[0].cells), 46);
}

#[test]
fn the_week_lists_each_day_and_marks_closed_days() {
    let r = room("Huddle", "Europe/Berlin", false);
    let u = user(Role::User);
    let b = booking(
        &r,
        &u,
        local(wed(), 9, 0),
        local(wed(), 10, 0),
        BookingStatus::Approved,
    );
    let bookings = [b];
    let w = week_grid(&GridInput {
        rooms: std::slice::from_ref(&r),
        bookings: &bookings,
        viewer: &u,
        tz: berlin(),
        date: wed(),
        now: local(wed(), 0, 0),
    });
    assert_eq!(w.days.len(), 7);
    assert_eq!(
        w.days[0],
        ("Mon 11 Jan".to_string(), "2027-01-11".to_string())
    );
    let cells = &w.lanes[0].cells;
    assert_eq!(
        cells[2].items,
        vec![("09:00–10:00".to_string(), "Secret plans".to_string(), false)]
    );
    assert!(cells[5].closed && cells[6].closed && !cells[0].closed);
}

#[test]
fn filters_pick_rooms_by_seats_floor_category_and_amenities() {
    let mut r = room("Huddle", "Europe/Berlin", false);
    r.amenities.insert("screen".into());
    let all = Filters::default();
    assert!(all.matches(&r));
    assert!(
        !Filters {
            capacity: Some(9),
            ..Filters::default()
        }
        .matches(&r)
    );
    assert!(
        Filters {
            floor: Some(2),
            ..Filters::default()
        }
        .matches(&r)
    );
    assert!(
        !Filters {
            category: Some(RoomCategory::Boardroom),
            ..Filters::default()
        }
        .matches(&r)
    );
    assert!(
        Filters {
            amenities: vec!["screen".into()],
            ..Filters::default()
        }
        .matches(&r)
    );
    assert!(
        !Filters {
            amenities: vec!["screen".into(), "video".into()],
            ..Filters::default()
        }
        .matches(&r)
    );
}

proptest! {
    /// Whatever the bookings, every row covers exactly the board's columns,
    /// and every booking that is in view lies under a busy block.
    #[test]
    fn rows_cover_the_columns_and_hide_no_booking(
        slots in proptest::collection::vec((0u32..40, 1u32..12), 0..12),
        now_minutes in 0u32..1440,
    ) {
        let r = room("Huddle", "Europe/Berlin", false);
        let u = user(Role::User);
        let day_start = local(wed(), 0, 0);
        let bookings: Vec<Booking> = slots
            .iter()
            .map(|(s, len)| {
                let start = day_start + chrono::Duration::minutes(i64::from(7 * 60 + s * 15));
                booking(&r, &u, start, start + chrono::Duration::minutes(i64::from(len * 15)), BookingStatus::Approved)
            })
            .collect();
        let g = day_grid(&GridInput {
            rooms: std::slice::from_ref(&r),
            bookings: &bookings,
            viewer: &u,
            tz: berlin(),
            date: wed(),
            now: day_start + chrono::Duration::minutes(i64::from(now_minutes)),
        });
        prop_assert_eq!(spans(&g.lanes[0].cells), g.cols);
        let first = g.head.first().map(|h| h.label.clone()).unwrap_or_default();
        let lo = i64::from(first[..2].parse::<u32>().unwrap_or(0)) * 60 + i64::from(first[3..].parse::<u32>().unwrap_or(0));
        // Walk the row: a column under a booking is never free.
        let mut col = lo / STEP_MINUTES;
        for cell in &g.lanes[0].cells {
            let span = match cell {
                Cell::Free { minute, .. } => {
                    let s = day_start + chrono::Duration::minutes(*minute);
                    let e = s + chrono::Duration::minutes(STEP_MINUTES);
                    prop_assert!(!bookings.iter().any(|b| b.start < e && b.end > s), "free over a booking at {}", minute);
                    prop_assert_eq!(*minute, col * STEP_MINUTES);
                    1
                }
                Cell::Shade { span, .. } => *span,
                Cell::Busy(b) => b.span,
            };
            col += i64::try_from(span).unwrap_or(0);
        }
    }
}
