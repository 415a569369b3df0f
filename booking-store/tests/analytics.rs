//! Analytics figures against a hand-computed fixture, on SQLite and PostgreSQL.

use std::sync::Arc;

use booking_core::analytics::Bucket;
use booking_core::*;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

/// Monday 2026-03-02 00:00 UTC.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("t")
}

fn at(day: i64, h: i64, m: i64) -> DateTime<Utc> {
    monday() + Duration::days(day) + Duration::hours(h) + Duration::minutes(m)
}

fn spec(name: &str, approval: bool, check_in: bool) -> RoomSpec {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("t");
    RoomSpec {
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity: 8,
        floor: None,
        location: String::new(),
        amenities: Default::default(),
        time_zone: "UTC".into(),
        active: true,
        policy: RoomPolicy {
            business_hours: BusinessHours::weekdays(t(8), t(18)),
            approval_required: approval,
            check_in: check_in.then_some(CheckInPolicy {
                opens_minutes_before: 10,
                release_after_minutes: 15,
                room_code: None,
            }),
            ..RoomPolicy::default()
        },
    }
}

fn req(room: RoomId, start: DateTime<Utc>, minutes: i64, attendees: u32) -> BookingRequest {
    BookingRequest {
        room_id: room,
        title: "T".into(),
        purpose: String::new(),
        attendees,
        start,
        end: start + Duration::minutes(minutes),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_match_the_hand_computed_fixture() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        run(backend).await;
    }
}

async fn run(b: Backend) {
    let db = TestDb::create(b).await;
    let clock = Arc::new(FixedClock::new(at(0, 6, 0)));
    let svc = BookingService::new(db.store().await, clock.clone());
    let mk = |email: &'static str, role| {
        let svc = svc.clone();
        async move {
            Actor::from(
                svc.create_user(email, email, role, None, AccountState::Active)
                    .await
                    .expect("user"),
            )
        }
    };
    let admin = mk("admin@example.com", Role::SuperAdmin).await;
    let alice = mk("alice@example.com", Role::User).await;
    let bob = mk("bob@example.com", Role::User).await;
    let a = svc
        .create_room(&admin, spec("A", false, true))
        .await
        .expect("a");
    let bee = svc
        .create_room(&admin, spec("B", true, false))
        .await
        .expect("b");

    // Room A: Mon 09-10 (4 people), Mon 10:00-11:30 (2), Tue 09-10 cancelled, Wed 14-15 no-show.
    let m1 = svc
        .book(&alice, req(a.id, at(0, 9, 0), 60, 4))
        .await
        .expect("m1");
    let m2 = svc
        .book(&bob, req(a.id, at(0, 10, 0), 90, 2))
        .await
        .expect("m2");
    let t1 = svc
        .book(&alice, req(a.id, at(1, 9, 0), 60, 2))
        .await
        .expect("t1");
    svc.cancel(&alice, t1.id, None).await.expect("cancel");
    svc.book(&bob, req(a.id, at(2, 14, 0), 60, 8))
        .await
        .expect("w1");
    // Room B: Mon 09-10 approved after 30 min; Tue 10-11 rejected after 90 min.
    let p1 = svc
        .book(&alice, req(bee.id, at(0, 9, 0), 60, 6))
        .await
        .expect("p1");
    let p2 = svc
        .book(&bob, req(bee.id, at(1, 10, 0), 60, 4))
        .await
        .expect("p2");
    clock.set(at(0, 6, 30));
    svc.approve(&admin, p1.id, None).await.expect("approve");
    clock.set(at(0, 7, 30));
    svc.reject(&admin, p2.id, Some("no".into()))
        .await
        .expect("reject");
    // Both Monday meetings check in; nobody comes on Wednesday.
    clock.set(at(0, 9, 5));
    svc.check_in(&alice, m1.id, None).await.expect("check in");
    clock.set(at(0, 10, 5));
    svc.check_in(&bob, m2.id, None).await.expect("check in");
    clock.set(at(2, 14, 20));
    assert_eq!(
        svc.release_no_shows().await.expect("sweep").len(),
        1,
        "only Wednesday's"
    );

    let rooms = svc.list_rooms(RoomListing::Current).await.expect("rooms");
    let (from, to) = (monday(), monday() + Duration::days(7));

    // Utilisation per day: A on Monday 150 of 600 minutes.
    let util = svc
        .utilisation(&rooms, from, to, Bucket::Day)
        .await
        .expect("util");
    assert_eq!(util.len(), 2 * 7, "every room and day");
    let cell = |room: RoomId, day: i64| {
        util.iter()
            .find(|u| u.room_id == room && u.bucket_start == at(day, 0, 0))
            .cloned()
            .expect("cell")
    };
    let mon_a = cell(a.id, 0);
    assert_eq!(
        (
            mon_a.bookings,
            mon_a.booked_minutes,
            mon_a.available_minutes
        ),
        (2, 150, 600)
    );
    assert!((mon_a.utilisation - 0.25).abs() < 1e-9);
    assert_eq!(
        cell(a.id, 1).booked_minutes,
        0,
        "cancelled bookings do not count"
    );
    assert_eq!(
        cell(a.id, 2).booked_minutes,
        0,
        "released no-shows do not count"
    );
    assert_eq!(
        cell(bee.id, 1).booked_minutes,
        0,
        "rejected bookings do not count"
    );
    assert_eq!(cell(bee.id, 0).booked_minutes, 60);
    assert_eq!(cell(a.id, 5).available_minutes, 0, "Saturday is closed");

    // Hourly: Monday 10:00 of A holds the 90-minute booking that starts then.
    let hourly = svc
        .utilisation(&rooms, from, from + Duration::days(1), Bucket::Hour)
        .await
        .expect("hourly");
    assert_eq!(hourly.len(), 2 * 24);
    let ten = hourly
        .iter()
        .find(|u| u.room_id == a.id && u.bucket_start == at(0, 10, 0))
        .expect("10h");
    assert_eq!((ten.booked_minutes, ten.available_minutes), (90, 60));

    // Heat map: Monday (0) 09:00 has two bookings (A and B), 10:00 one.
    let heat = svc.heat_map(from, to).await.expect("heat");
    let h = |wd: u32, hour: u32| {
        heat.iter()
            .find(|c| c.weekday == wd && c.hour == hour)
            .map(|c| (c.bookings, c.booked_minutes))
    };
    assert_eq!(h(0, 9), Some((2, 120)));
    assert_eq!(h(0, 10), Some((1, 90)));
    assert_eq!(h(1, 9), None);

    // Summaries.
    let sums = svc.room_summaries(&rooms, from, to).await.expect("summary");
    let sa = sums.iter().find(|s| s.room_id == a.id).expect("a");
    assert_eq!(
        (sa.bookings, sa.cancellations, sa.no_shows, sa.rejections),
        (4, 1, 1, 0)
    );
    assert!(
        (sa.no_show_rate - 1.0 / 3.0).abs() < 1e-9,
        "1 no-show of 3 approved-or-released"
    );
    assert_eq!(sa.approval_lead_minutes, None, "auto-approved");
    // (4 + 2 + 2 + 8) / 4 bookings / 8 seats = 0.5
    assert_eq!(sa.attendee_fit, Some(0.5));
    let sb = sums.iter().find(|s| s.room_id == bee.id).expect("b");
    assert_eq!((sb.bookings, sb.rejections), (2, 1));
    assert_eq!(sb.approval_lead_minutes, Some(60.0), "(30 + 90) / 2");
    assert_eq!(sums[0].room_id, a.id, "busiest first");

    let err = svc
        .utilisation(&rooms, from, from + Duration::days(40), Bucket::Hour)
        .await
        .expect_err("range");
    assert!(err.to_string().contains("limited to 31 days"), "{err}");
}
