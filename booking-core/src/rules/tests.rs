use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime, TimeZone, Timelike};
use proptest::prelude::*;

use super::*;
use crate::domain::{BusinessHours, RoomCategory, UserId};

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

/// Monday 2026-03-02, 00:00 UTC.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("valid")
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    monday() + Duration::hours(i64::from(h)) + Duration::minutes(i64::from(m))
}

fn room() -> Room {
    Room {
        id: RoomId::new_random(),
        name: "Room 101".into(),
        category: RoomCategory::Meeting,
        capacity: 8,
        floor: Some(1),
        location: "HQ".into(),
        amenities: BTreeSet::new(),
        time_zone: chrono_tz::UTC,
        active: true,
        deleted_at: None,
        policy: RoomPolicy {
            booking_window_days: 30,
            min_duration_minutes: 15,
            max_duration_minutes: 240,
            business_hours: BusinessHours::weekdays(t(8, 0), t(18, 0)),
            ..RoomPolicy::default()
        },
        created_at: monday(),
        updated_at: monday(),
    }
}

fn user(role: Role) -> User {
    User {
        id: UserId::new_random(),
        email: "a@example.com".parse().expect("email"),
        display_name: "A".into(),
        role,
        assigned_rooms: BTreeSet::new(),
        active: true,
        created_at: monday(),
    }
}

fn check(
    room: &Room,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    attendees: u32,
) -> Result<(), RuleViolation> {
    let actor = user(Role::User);
    check_static(&RuleInput {
        room,
        actor: &actor,
        start,
        end,
        attendees,
        now: monday(),
    })
}

fn occ(start: DateTime<Utc>, end: DateTime<Utc>) -> Occupancy {
    Occupancy {
        booking_id: BookingId::new_random(),
        start,
        end,
    }
}

#[test]
fn a_valid_request_passes() {
    assert_eq!(check(&room(), at(10, 0), at(11, 0), 4), Ok(()));
}

#[test]
fn end_must_be_after_start() {
    let err = check(&room(), at(11, 0), at(11, 0), 4).expect_err("zero duration");
    assert_eq!(err.rule(), "end_after_start");
    assert!(err.to_string().contains("must be after start"), "{err}");
    let err = check(&room(), at(11, 0), at(10, 0), 4).expect_err("negative duration");
    assert_eq!(err.rule(), "end_after_start");
}

#[test]
fn start_in_the_past_is_refused() {
    let actor = user(Role::User);
    let err = check_static(&RuleInput {
        room: &room(),
        actor: &actor,
        start: at(10, 0),
        end: at(11, 0),
        attendees: 2,
        now: at(10, 1),
    })
    .expect_err("past");
    assert_eq!(err.rule(), "not_in_past");
    assert!(err.to_string().contains("in the past"), "{err}");
}

#[test]
fn booking_window_is_enforced() {
    let r = room();
    let start = at(10, 0) + Duration::days(31);
    let err = check(&r, start, start + Duration::hours(1), 2).expect_err("too far ahead");
    assert_eq!(err.rule(), "booking_window");
    assert!(err.to_string().contains("30 days"), "{err}");
    // Exactly at the edge of the window is still fine (30 days after Monday 10:00 is a Wednesday).
    let edge = at(10, 0) + Duration::days(30);
    let actor = user(Role::User);
    let ok = check_static(&RuleInput {
        room: &r,
        actor: &actor,
        start: edge,
        end: edge + Duration::hours(1),
        attendees: 2,
        now: at(10, 0),
    });
    assert_eq!(ok, Ok(()));
}

#[test]
fn min_and_max_duration() {
    let err = check(&room(), at(10, 0), at(10, 10), 2).expect_err("too short");
    assert_eq!(err.rule(), "min_duration");
    assert!(
        err.to_string()
            .contains("10 minutes is below the minimum of 15"),
        "{err}"
    );
    let err = check(&room(), at(8, 0), at(12, 30), 2).expect_err("too long");
    assert_eq!(err.rule(), "max_duration");
    assert!(
        err.to_string()
            .contains("270 minutes exceeds the maximum of 240"),
        "{err}"
    );
}

#[test]
fn business_hours_in_room_zone() {
    let err = check(&room(), at(7, 30), at(8, 30), 2).expect_err("before opening");
    assert_eq!(err.rule(), "business_hours");
    assert!(err.to_string().contains("08:00-18:00"), "{err}");
    assert_eq!(
        check(&room(), at(17, 0), at(18, 0), 2),
        Ok(()),
        "ending at closing is fine"
    );
    let sat = at(10, 0) + Duration::days(5);
    let err = check(&room(), sat, sat + Duration::hours(1), 2).expect_err("weekend");
    assert!(err.to_string().contains("closed on Sat"), "{err}");

    // Same UTC instants, but the room is in New York: 10:00 UTC is 05:00 there.
    let mut ny = room();
    ny.time_zone = chrono_tz::America::New_York;
    let err = check(&ny, at(10, 0), at(11, 0), 2).expect_err("05:00 local");
    assert!(err.to_string().contains("America/New_York"), "{err}");
    assert_eq!(check(&ny, at(15, 0), at(16, 0), 2), Ok(()), "10:00 local");
}

#[test]
fn midnight_close_means_end_of_day() {
    let mut r = room();
    r.policy.business_hours = BusinessHours::always();
    r.policy.max_duration_minutes = 24 * 60;
    assert_eq!(check(&r, at(23, 0), at(24, 0), 2), Ok(()));
    assert_eq!(check(&r, at(0, 0), at(24, 0), 2), Ok(()));
    // Open around the clock: the hours run on past midnight.
    assert_eq!(check(&r, at(23, 0), at(24, 30), 2), Ok(()));
    // Open until midnight, but the next day opens at 08:00: refused.
    let mut evening = room();
    evening.policy.business_hours =
        BusinessHours::weekdays(NaiveTime::from_hms_opt(8, 0, 0).expect("t"), NaiveTime::MIN);
    evening.policy.max_duration_minutes = 24 * 60;
    assert_eq!(check(&evening, at(23, 0), at(24, 0), 2), Ok(()));
    let err = check(&evening, at(23, 0), at(24, 30), 2).expect_err("closed after midnight");
    assert_eq!(err.rule(), "business_hours");
}

#[test]
fn capacity_and_attendees() {
    let err = check(&room(), at(10, 0), at(11, 0), 9).expect_err("over capacity");
    assert_eq!(err.rule(), "capacity");
    assert_eq!(err.to_string(), "9 attendees exceed the room capacity of 8");
    assert_eq!(check(&room(), at(10, 0), at(11, 0), 8), Ok(()));
    assert_eq!(
        check(&room(), at(10, 0), at(11, 0), 0).map_err(|e| e.rule()),
        Err("attendees")
    );
}

#[test]
fn inactive_or_deleted_room_is_refused() {
    let mut r = room();
    r.active = false;
    assert_eq!(
        check(&r, at(10, 0), at(11, 0), 2).map_err(|e| e.rule()),
        Err("room_active")
    );
    let mut r = room();
    r.deleted_at = Some(monday());
    assert_eq!(
        check(&r, at(10, 0), at(11, 0), 2).map_err(|e| e.rule()),
        Err("room_active")
    );
}

#[test]
fn role_must_be_allowed() {
    let mut r = room();
    r.policy.allowed_roles = [Role::SuperAdmin].into_iter().collect();
    let err = check(&r, at(10, 0), at(11, 0), 2).expect_err("user not allowed");
    assert_eq!(err.rule(), "role_allowed");
    assert_eq!(err.to_string(), "role user may not book this room");
}

#[test]
fn overlap_is_half_open() {
    let p = room().policy;
    let existing = [occ(at(10, 0), at(11, 0))];
    assert_eq!(
        check_against_existing(&p, at(11, 0), at(12, 0), &existing, 0, None),
        Ok(())
    );
    assert_eq!(
        check_against_existing(&p, at(9, 0), at(10, 0), &existing, 0, None),
        Ok(())
    );
    let err = check_against_existing(&p, at(10, 30), at(11, 30), &existing, 0, None)
        .expect_err("overlap");
    assert_eq!(err.rule(), "no_overlap");
    match err {
        RuleViolation::Conflict { booking_id, .. } => {
            assert_eq!(booking_id, existing[0].booking_id)
        }
        other => panic!("unexpected {other:?}"),
    }
    // The booking being moved does not conflict with itself.
    assert_eq!(
        check_against_existing(
            &p,
            at(10, 30),
            at(11, 30),
            &existing,
            0,
            Some(existing[0].booking_id)
        ),
        Ok(())
    );
}

#[test]
fn buffers_widen_the_held_interval() {
    let mut p = room().policy;
    p.buffer_before_minutes = 10;
    p.buffer_after_minutes = 15;
    // Existing 10:00-11:00 holds 09:50-11:15.
    let (s, e) = held_interval(&p, at(10, 0), at(11, 0));
    assert_eq!((s, e), (at(9, 50), at(11, 15)));
    let existing = [occ(s, e)];
    // 11:15 start holds from 11:05: overlaps the clean-up time.
    let err =
        check_against_existing(&p, at(11, 15), at(12, 0), &existing, 0, None).expect_err("buffer");
    assert!(err.to_string().contains("buffers included"), "{err}");
    // 11:25 start holds from 11:15: free.
    assert_eq!(
        check_against_existing(&p, at(11, 25), at(12, 0), &existing, 0, None),
        Ok(())
    );
}

#[test]
fn per_user_limit() {
    let mut p = room().policy;
    p.max_active_bookings_per_user = Some(2);
    assert_eq!(
        check_against_existing(&p, at(10, 0), at(11, 0), &[], 1, None),
        Ok(())
    );
    let err = check_against_existing(&p, at(10, 0), at(11, 0), &[], 2, None).expect_err("limit");
    assert_eq!(err.rule(), "user_limit");
    assert_eq!(
        err.to_string(),
        "you already have 2 active bookings in this room (limit 2)"
    );
}

#[test]
fn approval_workflow() {
    let mut p = room().policy;
    assert_eq!(initial_status(&p), BookingStatus::Approved);
    p.approval_required = true;
    assert_eq!(initial_status(&p), BookingStatus::Pending);

    let r = room();
    let mut admin = user(Role::RoomAdmin);
    assert!(!can_decide(&admin, r.id), "room_admin without assignment");
    admin.assigned_rooms.insert(r.id);
    assert!(can_decide(&admin, r.id));
    assert!(can_decide(&user(Role::SuperAdmin), r.id));
    assert!(!can_decide(&user(Role::User), r.id));
    assert!(!can_decide(&user(Role::ProcurementOfficer), r.id));

    let organizer = user(Role::User);
    assert!(can_cancel(&organizer, organizer.id, r.id));
    assert!(!can_cancel(&user(Role::User), organizer.id, r.id));

    use BookingStatus::*;
    assert!(transition_allowed(Pending, Approved));
    assert!(transition_allowed(Approved, Cancelled));
    assert!(!transition_allowed(Rejected, Approved));
    assert!(!transition_allowed(Cancelled, Approved));
    assert!(!transition_allowed(Approved, Rejected));
}

#[test]
fn dst_berlin_nine_to_ten_keeps_local_time() {
    let mut r = room();
    r.time_zone = chrono_tz::Europe::Berlin;
    r.policy.booking_window_days = 365;
    let actor = user(Role::User);
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("valid");
    // 2026: clocks go forward on Sun 29 March, back on Sun 25 October.
    let cases = [
        (NaiveDate::from_ymd_opt(2026, 3, 27), 8), // Fri before: CET, UTC+1
        (NaiveDate::from_ymd_opt(2026, 3, 30), 7), // Mon after: CEST, UTC+2
        (NaiveDate::from_ymd_opt(2026, 10, 23), 7),
        (NaiveDate::from_ymd_opt(2026, 10, 26), 8),
    ];
    for (date, utc_hour) in cases {
        let date = date.expect("valid date");
        let start = local_to_utc(r.time_zone, date.and_time(t(9, 0))).expect("exists");
        let end = local_to_utc(r.time_zone, date.and_time(t(10, 0))).expect("exists");
        assert_eq!(start.hour(), utc_hour, "{date}");
        assert_eq!((end - start).num_minutes(), 60, "{date}");
        let res = check_static(&RuleInput {
            room: &r,
            actor: &actor,
            start,
            end,
            attendees: 2,
            now,
        });
        assert_eq!(res, Ok(()), "{date}");
    }
    // 02:30 on 29 March does not exist in Berlin.
    let gap = NaiveDate::from_ymd_opt(2026, 3, 29)
        .expect("valid")
        .and_time(t(2, 30));
    assert_eq!(local_to_utc(r.time_zone, gap), None);
}

#[test]
fn conflict_index_finds_neighbours() {
    let idx = ConflictIndex::new(vec![occ(at(12, 0), at(13, 0)), occ(at(9, 0), at(10, 0))]);
    assert!(idx.conflict(at(10, 0), at(12, 0)).is_none());
    assert_eq!(
        idx.conflict(at(9, 30), at(9, 45)).map(|o| o.start),
        Some(at(9, 0))
    );
    assert_eq!(
        idx.conflict(at(11, 0), at(12, 1)).map(|o| o.start),
        Some(at(12, 0))
    );
    assert_eq!(
        idx.conflict(at(8, 0), at(14, 0)).map(|o| o.start),
        Some(at(12, 0))
    );
    assert!(idx.conflict(at(13, 0), at(14, 0)).is_none());
}

fn arb_interval() -> impl Strategy<Value = (i64, i64)> {
    (0i64..2000, 1i64..300).prop_map(|(s, len)| (s, s + len))
}

fn minute(m: i64) -> DateTime<Utc> {
    monday() + Duration::minutes(m)
}

proptest! {
    /// Overlap is symmetric, half-open, and agrees with "some minute is in both".
    #[test]
    fn overlap_matches_minute_sets((a0, a1) in arb_interval(), (b0, b1) in arb_interval()) {
        let brute = (a0..a1).any(|m| (b0..b1).contains(&m));
        prop_assert_eq!(overlaps(a0, a1, b0, b1), brute);
        prop_assert_eq!(overlaps(a0, a1, b0, b1), overlaps(b0, b1, a0, a1));
        prop_assert!(!overlaps(a0, a1, a1, a1 + 10), "touching intervals never overlap");
    }

    /// Buffers: a booking is accepted exactly when the gap to every existing
    /// booking is at least buffer_after + buffer_before on the relevant side.
    #[test]
    fn buffers_require_gaps(
        (e0, e1) in arb_interval(),
        (n0, n1) in arb_interval(),
        before in 0u32..60,
        after in 0u32..60,
    ) {
        let mut p = room().policy;
        p.buffer_before_minutes = before;
        p.buffer_after_minutes = after;
        let (hs, he) = held_interval(&p, minute(e0), minute(e1));
        let existing = [occ(hs, he)];
        let ok = check_against_existing(&p, minute(n0), minute(n1), &existing, 0, None).is_ok();
        let b = i64::from(before + after);
        let expected = n0 >= e1 + b || n1 + b <= e0;
        prop_assert_eq!(ok, expected);
    }

    /// The O(log n) index agrees with a linear scan, and never admits overlaps.
    #[test]
    fn conflict_index_agrees_with_linear_scan(reqs in proptest::collection::vec(arb_interval(), 1..80)) {
        let mut idx = ConflictIndex::default();
        let mut accepted: Vec<Occupancy> = Vec::new();
        for (s, e) in reqs {
            let (s, e) = (minute(s), minute(e));
            let linear = find_conflict(&accepted, s, e, None).copied();
            let indexed = idx.conflict(s, e).copied();
            prop_assert_eq!(linear.is_some(), indexed.is_some());
            let o = occ(s, e);
            match idx.try_insert(o) {
                Ok(()) => { prop_assert!(linear.is_none()); accepted.push(o); }
                Err(c) => prop_assert!(overlaps(c.start, c.end, s, e)),
            }
        }
        for (i, a) in accepted.iter().enumerate() {
            for b in &accepted[i + 1..] {
                prop_assert!(!overlaps(a.start, a.end, b.start, b.end));
            }
        }
        prop_assert_eq!(idx.len(), accepted.len());
    }
}

proptest! {
    /// Several rooms booked together: refused exactly when one of the rooms
    /// alone would be, and a refusal names every taken room, none other.
    #[test]
    fn rooms_together_name_every_taken_room(
        rooms in proptest::collection::vec(proptest::collection::vec(arb_interval(), 0..5), 2..6),
        (n0, n1) in arb_interval(),
    ) {
        let all: Vec<Room> = rooms.iter().map(|_| Room { id: RoomId::new_random(), ..room() }).collect();
        let existing: Vec<Vec<Occupancy>> = rooms
            .iter()
            .map(|list| list.iter().map(|(s, e)| occ(minute(*s), minute(*e))).collect())
            .collect();
        let checks: Vec<_> = all
            .iter()
            .zip(&existing)
            .map(|(r, e)| (r, e.as_slice(), 0u32))
            .collect();
        let (s, e) = (minute(n0), minute(n1));
        let alone: Vec<RoomId> = checks
            .iter()
            .filter(|(r, held, _)| check_against_existing(&r.policy, s, e, held, 0, None).is_err())
            .map(|(r, ..)| r.id)
            .collect();
        match check_rooms_together(&checks, s, e) {
            Ok(()) => prop_assert!(alone.is_empty()),
            Err(RuleViolation::RoomsTaken { taken }) => {
                let named: Vec<RoomId> = taken.iter().map(|t| t.room_id).collect();
                prop_assert_eq!(named, alone);
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}
