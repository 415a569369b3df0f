//! Series, check-in / no-show release, waitlist and quotas over the real
//! stores (fresh SQLite file and fresh PostgreSQL database per test).

use std::collections::BTreeSet;
use std::sync::Arc;

use booking_core::workflow::SeriesScope;
use booking_core::*;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};

/// Monday 2026-01-05 06:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 6, 0, 0)
        .single()
        .expect("valid")
}

fn local(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, 0, 0))
        .expect("valid")
}

struct Env {
    svc: BookingService,
    clock: Arc<FixedClock>,
    admin: Actor,
    alice: Actor,
    bob: Actor,
    _db: TestDb,
}

async fn env(backend: Backend) -> Env {
    let db = TestDb::create(backend).await;
    let clock = Arc::new(FixedClock::new(now()));
    let svc = BookingService::new(db.store().await, clock.clone());
    let mut users = Vec::new();
    for (email, role) in [
        ("admin@example.com", Role::SuperAdmin),
        ("alice@example.com", Role::User),
        ("bob@example.com", Role::User),
    ] {
        users.push(Actor::from(
            svc.create_user(email, email, role, None, AccountState::Active)
                .await
                .expect("user"),
        ));
    }
    let mut it = users.into_iter();
    let (admin, alice, bob) = (
        it.next().expect("admin"),
        it.next().expect("alice"),
        it.next().expect("bob"),
    );
    Env {
        svc,
        clock,
        admin,
        alice,
        bob,
        _db: db,
    }
}

fn spec(policy: RoomPolicy) -> RoomSpec {
    RoomSpec {
        name: "Berlin".into(),
        category: RoomCategory::Meeting,
        capacity: 10,
        floor: Some(1),
        location: "HQ".into(),
        amenities: BTreeSet::new(),
        time_zone: "Europe/Berlin".into(),
        active: true,
        policy: RoomPolicy {
            booking_window_days: 400,
            business_hours: BusinessHours::always(),
            ..policy
        },
    }
}

fn series(room: RoomId, start: NaiveDateTime, rrule: &str) -> SeriesRequest {
    SeriesRequest {
        room_id: room,
        title: "Weekly sync".into(),
        purpose: String::new(),
        attendees: 4,
        local_start: start,
        duration_minutes: 60,
        rrule: rrule.into(),
    }
}

fn req(room: RoomId, start: DateTime<Utc>, minutes: i64) -> BookingRequest {
    BookingRequest {
        room_id: room,
        title: "One-off".into(),
        purpose: String::new(),
        attendees: 2,
        start,
        end: start + Duration::minutes(minutes),
    }
}

fn berlin(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    rules::local_to_utc(chrono_tz::Europe::Berlin, local(y, m, d, h)).expect("exists")
}

macro_rules! on_every_backend {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                for backend in backends() {
                    eprintln!("-- {backend:?}");
                    cases::$name(backend).await;
                }
            }
        )+
    };
}

on_every_backend!(
    weekly_series_keeps_local_time_over_dst,
    series_thresholds_book_rest_or_decline_all,
    one_occurrence_cancel_and_move_touch_only_it,
    no_show_release_with_a_controllable_clock,
    waitlist_promotion_honours_rules_and_order,
    quotas_per_room_and_global,
    a_series_over_a_quota_skips_the_dates_over_it,
);

mod cases {
    use super::*;

    pub async fn weekly_series_keeps_local_time_over_dst(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec(RoomPolicy::default()))
            .await
            .expect("room");
        let out = e
            .svc
            .book_series(
                &e.alice,
                series(
                    room.id,
                    local(2026, 1, 5, 9),
                    "FREQ=WEEKLY;BYDAY=MO;COUNT=52",
                ),
            )
            .await
            .expect("series");
        assert_eq!(out.booked.len(), 52);
        assert!(out.skipped.is_empty() && !out.trimmed);
        let stored = e.svc.series_occurrences(out.series.id).await.expect("list");
        assert_eq!(stored.len(), 52);
        let mut utc_hours = BTreeSet::new();
        for o in &stored {
            let l = o.start.with_timezone(&chrono_tz::Europe::Berlin);
            assert_eq!(l.hour(), 9, "{l}");
            utc_hours.insert(o.start.hour());
            assert_eq!(o.occurrence_start, Some(o.start));
        }
        assert_eq!(
            utc_hours,
            BTreeSet::from([7, 8]),
            "both sides of both DST changes"
        );
        assert_eq!(
            e.svc.get_series(out.series.id).await.expect("get"),
            out.series
        );

        // A rule without end is trimmed to the booking window, and says so.
        let mut s = series(room.id, local(2026, 1, 6, 11), "FREQ=DAILY");
        s.title = "Daily".into();
        let out = e.svc.book_series(&e.bob, s).await.expect("daily");
        assert!(out.trimmed);
        assert!(out.booked.iter().all(|b| b.start <= out.window_end));
        // The window ends 400 days after now (5 Jan 2026 06:00 UTC), i.e. on
        // 9 Feb 2027 06:00 UTC, before that day's 10:00 UTC occurrence:
        // 6 Jan 2026 ..= 8 Feb 2027 is 399 days.
        assert_eq!(out.booked.len(), 399);
        assert_eq!(
            out.booked.last().map(|b| b.start.date_naive()),
            NaiveDate::from_ymd_opt(2027, 2, 8)
        );
    }

    pub async fn series_thresholds_book_rest_or_decline_all(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(
                &e.admin,
                spec(RoomPolicy {
                    series_max_conflicts: 5,
                    series_max_conflict_percent: 10,
                    ..RoomPolicy::default()
                }),
            )
            .await
            .expect("room");
        // Bob holds three Mondays.
        let taken = [
            berlin(2026, 2, 2, 9),
            berlin(2026, 3, 30, 9),
            berlin(2026, 11, 2, 9),
        ];
        for t in taken {
            e.svc.book(&e.bob, req(room.id, t, 30)).await.expect("bob");
        }
        let out = e
            .svc
            .book_series(
                &e.alice,
                series(
                    room.id,
                    local(2026, 1, 5, 9),
                    "FREQ=WEEKLY;BYDAY=MO;COUNT=52",
                ),
            )
            .await
            .expect("within threshold");
        assert_eq!(out.booked.len(), 49);
        assert_eq!(
            out.skipped.iter().map(|s| s.start).collect::<Vec<_>>(),
            taken
        );
        assert!(
            out.skipped
                .iter()
                .all(|s| s.violation.rule() == "no_overlap")
        );

        // Three more of Bob's Tuesdays: a Tuesday series now has 6 conflicts > 5.
        let before = e
            .svc
            .list_bookings(&Default::default())
            .await
            .expect("list")
            .len();
        for d in [6, 13, 20, 27] {
            e.svc
                .book(&e.bob, req(room.id, berlin(2026, 1, d, 9), 30))
                .await
                .expect("bob");
        }
        for d in [3, 10] {
            e.svc
                .book(&e.bob, req(room.id, berlin(2026, 2, d, 9), 30))
                .await
                .expect("bob");
        }
        let err = e
            .svc
            .book_series(
                &e.alice,
                series(
                    room.id,
                    local(2026, 1, 6, 9),
                    "FREQ=WEEKLY;BYDAY=TU;COUNT=52",
                ),
            )
            .await
            .expect_err("over threshold");
        match &err {
            CoreError::SeriesDeclined(d) => {
                assert_eq!(d.skipped.len(), 6);
                assert_eq!(d.total, 52);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string()
                .contains("6 of 52 occurrences cannot be booked"),
            "{err}"
        );
        assert_eq!(
            e.svc
                .list_bookings(&Default::default())
                .await
                .expect("list")
                .len(),
            before + 6,
            "a declined series books nothing"
        );
    }

    pub async fn one_occurrence_cancel_and_move_touch_only_it(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec(RoomPolicy::default()))
            .await
            .expect("room");
        let out = e
            .svc
            .book_series(
                &e.alice,
                series(
                    room.id,
                    local(2026, 1, 5, 9),
                    "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
                ),
            )
            .await
            .expect("series");
        let third = &out.booked[2];
        e.svc
            .cancel(&e.alice, third.id, None)
            .await
            .expect("cancel one");
        let occ = e.svc.series_occurrences(out.series.id).await.expect("list");
        let statuses: Vec<_> = occ.iter().map(|b| b.status).collect();
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == BookingStatus::Cancelled)
                .count(),
            1
        );
        assert_eq!(statuses[2], BookingStatus::Cancelled);
        // The freed slot is bookable, with no phantom conflict from the cancelled occurrence.
        e.svc
            .book(&e.bob, req(room.id, third.start, 60))
            .await
            .expect("freed");
        // Moving another occurrence re-checks only it.
        let fifth = &out.booked[4];
        let moved = e
            .svc
            .update_booking(
                &e.alice,
                fifth.id,
                BookingChanges {
                    start: Some(fifth.start + Duration::hours(2)),
                    end: Some(fifth.end + Duration::hours(2)),
                    ..Default::default()
                },
            )
            .await
            .expect("move one");
        assert_eq!(
            moved.occurrence_start,
            Some(fifth.start),
            "keeps its recurrence id"
        );
        assert_eq!(moved.series_id, Some(out.series.id));
        // Moving onto Bob's slot is refused and changes nothing.
        let err = e
            .svc
            .update_booking(
                &e.alice,
                out.booked[6].id,
                BookingChanges {
                    start: Some(third.start),
                    end: Some(third.end),
                    ..Default::default()
                },
            )
            .await
            .expect_err("onto bob");
        assert!(matches!(
            err,
            CoreError::Rule(RuleViolation::Conflict { .. })
        ));
        // This-and-following from the 8th.
        let change = e
            .svc
            .cancel_series(
                &e.alice,
                out.series.id,
                SeriesScope::FromOccurrence(out.booked[7].start),
                None,
            )
            .await
            .expect("cancel following");
        assert_eq!(change.changed.len(), 3);
        let occ = e.svc.series_occurrences(out.series.id).await.expect("list");
        let live = occ.iter().filter(|b| b.status.is_blocking()).count();
        assert_eq!(live, 6, "10 - 1 cancelled - 3 following");
        let err = e
            .svc
            .cancel_series(&e.bob, out.series.id, SeriesScope::All, None)
            .await
            .expect_err("not bob's");
        assert!(matches!(err, CoreError::Forbidden(_)));
    }

    pub async fn no_show_release_with_a_controllable_clock(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(
                &e.admin,
                spec(RoomPolicy {
                    check_in: Some(CheckInPolicy {
                        opens_minutes_before: 10,
                        release_after_minutes: 15,
                        room_code: Some("4711".into()),
                    }),
                    ..RoomPolicy::default()
                }),
            )
            .await
            .expect("room");
        let mut events = e.svc.subscribe();
        let start = now() + Duration::hours(2);
        let kept = e
            .svc
            .book(&e.alice, req(room.id, start, 60))
            .await
            .expect("kept");
        let other_room = e
            .svc
            .create_room(
                &e.admin,
                RoomSpec {
                    name: "No check-in".into(),
                    ..spec(RoomPolicy::default())
                },
            )
            .await
            .expect("room");
        let lost = e
            .svc
            .book(&e.bob, req(room.id, start + Duration::hours(2), 60))
            .await
            .expect("lost");
        let exempt = e
            .svc
            .book(&e.bob, req(other_room.id, start, 60))
            .await
            .expect("no policy");

        // Too early to check in.
        let err = e
            .svc
            .check_in(&e.alice, kept.id, None)
            .await
            .expect_err("early");
        assert!(
            matches!(err, CoreError::Rule(RuleViolation::CheckInClosed { .. })),
            "{err:?}"
        );
        e.clock.set(start - Duration::minutes(5));
        // Bob is not the organizer and has the wrong code; then the right one.
        let err = e
            .svc
            .check_in(&e.bob, kept.id, Some("0000"))
            .await
            .expect_err("wrong code");
        assert!(matches!(err, CoreError::Forbidden(_)));
        let checked = e
            .svc
            .check_in(&e.bob, kept.id, Some("4711"))
            .await
            .expect("room code");
        assert!(checked.checked_in_at.is_some());

        // 14 minutes after the second booking's start: not yet released.
        e.clock
            .set(start + Duration::hours(2) + Duration::minutes(14));
        assert!(e.svc.release_no_shows().await.expect("sweep").is_empty());
        e.clock
            .set(start + Duration::hours(2) + Duration::minutes(16));
        let released = e.svc.release_no_shows().await.expect("sweep");
        assert_eq!(released.iter().map(|b| b.id).collect::<Vec<_>>(), [lost.id]);
        let stored = e.svc.get_booking(lost.id).await.expect("get");
        assert_eq!(
            (stored.status, stored.no_show),
            (BookingStatus::Cancelled, true)
        );
        assert_eq!(
            e.svc.get_booking(kept.id).await.expect("get").status,
            BookingStatus::Approved
        );
        assert_eq!(
            e.svc.get_booking(exempt.id).await.expect("get").status,
            BookingStatus::Approved
        );
        assert!(
            e.svc.release_no_shows().await.expect("sweep").is_empty(),
            "released once"
        );
        // The organizer is told: a NoShowReleased event for Bob's booking.
        let mut told = false;
        while let Ok(ev) = events.try_recv() {
            told |= ev.kind == EventKind::NoShowReleased && ev.booking.id == lost.id;
        }
        assert!(told);
        let log = e
            .svc
            .audit_log(
                &e.admin,
                &store::AuditFilter {
                    entity_id: Some(lost.id.to_string()),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .expect("audit");
        assert_eq!(log[0].action, "booking.no_show");
    }

    pub async fn waitlist_promotion_honours_rules_and_order(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec(RoomPolicy::default()))
            .await
            .expect("room");
        let carol = Actor::from(
            e.svc
                .create_user(
                    "carol@example.com",
                    "Carol",
                    Role::User,
                    None,
                    AccountState::Active,
                )
                .await
                .expect("carol"),
        );
        let start = now() + Duration::days(1);
        let held = e
            .svc
            .book(&e.admin, req(room.id, start, 60))
            .await
            .expect("held");
        // A free slot is not waited for.
        let err = e
            .svc
            .join_waitlist(&e.alice, req(room.id, start + Duration::hours(3), 60))
            .await;
        assert!(matches!(err, Err(CoreError::Input(_))), "{err:?}");
        let mut big = req(room.id, start, 60);
        big.attendees = 9;
        let first = e
            .svc
            .join_waitlist(&e.alice, big)
            .await
            .expect("alice waits");
        let second = e
            .svc
            .join_waitlist(&e.bob, req(room.id, start, 60))
            .await
            .expect("bob waits");
        let third = e
            .svc
            .join_waitlist(&carol, req(room.id, start, 60))
            .await
            .expect("carol waits");
        // Alice's request no longer fits: the room shrinks to 6 seats.
        let mut s = spec(RoomPolicy::default());
        s.capacity = 6;
        e.svc
            .update_room(&e.admin, room.id, s)
            .await
            .expect("shrink");

        let mut events = e.svc.subscribe();
        e.svc
            .cancel(&e.admin, held.id, None)
            .await
            .expect("free it");
        let bookings = e
            .svc
            .list_bookings(&Default::default())
            .await
            .expect("list");
        let live: Vec<_> = bookings.iter().filter(|b| b.status.is_blocking()).collect();
        assert_eq!(live.len(), 1);
        assert_eq!(
            live[0].organizer_id, e.bob.id,
            "first request that satisfies every rule, in order"
        );
        let mine = e.svc.my_waitlist(&e.bob).await.expect("bob's");
        assert_eq!(mine[0].id, second.id);
        assert_eq!(
            (mine[0].active, mine[0].booking_id),
            (false, Some(live[0].id))
        );
        assert!(
            e.svc.my_waitlist(&e.alice).await.expect("alice")[0].active,
            "alice still waits"
        );
        assert!(
            e.svc.my_waitlist(&carol).await.expect("carol")[0].active,
            "carol still waits"
        );
        let mut told = false;
        while let Ok(ev) = events.try_recv() {
            told |= ev.kind == EventKind::WaitlistBooked && ev.booking.organizer_id == e.bob.id;
        }
        assert!(told, "the owner is notified");
        e.svc.leave_waitlist(&carol, third.id).await.expect("leave");
        let err = e
            .svc
            .leave_waitlist(&e.bob, first.id)
            .await
            .expect_err("not bob's");
        assert!(matches!(err, CoreError::Forbidden(_)));
    }

    pub async fn quotas_per_room_and_global(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(
                &e.admin,
                spec(RoomPolicy {
                    quotas: vec![Quota {
                        period: QuotaPeriod::Day,
                        max_bookings: Some(2),
                        max_minutes: None,
                    }],
                    ..RoomPolicy::default()
                }),
            )
            .await
            .expect("room");
        let day = berlin(2026, 1, 7, 9);
        e.svc
            .book(&e.alice, req(room.id, day, 30))
            .await
            .expect("1");
        e.svc
            .book(&e.alice, req(room.id, day + Duration::hours(1), 30))
            .await
            .expect("2");
        let err = e
            .svc
            .book(&e.alice, req(room.id, day + Duration::hours(2), 30))
            .await
            .expect_err("3");
        match &err {
            CoreError::Rule(v) => assert_eq!(v.rule(), "quota"),
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string()
                .contains("room quota per day reached: 2 of 2 bookings used"),
            "{err}"
        );
        e.svc
            .book(&e.alice, req(room.id, day + Duration::days(1), 30))
            .await
            .expect("next day");
        e.svc
            .book(&e.bob, req(room.id, day + Duration::hours(2), 30))
            .await
            .expect("bob unaffected");

        // Global: 90 minutes a week across rooms.
        let svc = e.svc.clone().with_global_quotas(vec![Quota {
            period: QuotaPeriod::Week,
            max_bookings: None,
            max_minutes: Some(90),
        }]);
        let other = svc
            .create_room(
                &e.admin,
                RoomSpec {
                    name: "Other".into(),
                    ..spec(RoomPolicy::default())
                },
            )
            .await
            .expect("room");
        // Bob has 30 minutes this week; 60 more fit, 61 do not.
        let err = svc
            .book(&e.bob, req(other.id, day + Duration::hours(5), 61))
            .await
            .expect_err("over");
        assert!(err.to_string().contains("global quota per week"), "{err}");
        svc.book(&e.bob, req(other.id, day + Duration::hours(5), 60))
            .await
            .expect("fits");
    }

    /// #17 item 6: a monthly quota of 3 and a series of 5 Mondays with 4 in
    /// January books 4 (3 in January, 1 in February) and lists the 4th
    /// January date as skipped by rule `quota`, instead of refusing it all.
    pub async fn a_series_over_a_quota_skips_the_dates_over_it(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(
                &e.admin,
                spec(RoomPolicy {
                    quotas: vec![Quota {
                        period: QuotaPeriod::Month,
                        max_bookings: Some(3),
                        max_minutes: None,
                    }],
                    series_max_conflicts: 10,
                    series_max_conflict_percent: 100,
                    ..RoomPolicy::default()
                }),
            )
            .await
            .expect("room");
        let out = e
            .svc
            .book_series(
                &e.alice,
                series(
                    room.id,
                    local(2026, 1, 5, 9),
                    "FREQ=WEEKLY;BYDAY=MO;COUNT=5",
                ),
            )
            .await
            .expect("booked, with a date skipped");
        let booked: Vec<DateTime<Utc>> = out.booked.iter().map(|b| b.start).collect();
        assert_eq!(
            booked,
            [
                berlin(2026, 1, 5, 9),
                berlin(2026, 1, 12, 9),
                berlin(2026, 1, 19, 9),
                berlin(2026, 2, 2, 9)
            ]
        );
        assert_eq!(out.skipped.len(), 1, "{:?}", out.skipped);
        assert_eq!(out.skipped[0].start, berlin(2026, 1, 26, 9));
        assert_eq!(out.skipped[0].violation.rule(), "quota");
        // With the default thresholds (at most 5 or 10 %), 1 of 5 is too many.
        let strict = e
            .svc
            .create_room(
                &e.admin,
                RoomSpec {
                    name: "Strict".into(),
                    ..spec(RoomPolicy {
                        quotas: vec![Quota {
                            period: QuotaPeriod::Month,
                            max_bookings: Some(3),
                            max_minutes: None,
                        }],
                        ..RoomPolicy::default()
                    })
                },
            )
            .await
            .expect("room");
        let err = e
            .svc
            .book_series(
                &e.bob,
                series(
                    strict.id,
                    local(2026, 1, 5, 9),
                    "FREQ=WEEKLY;BYDAY=MO;COUNT=5",
                ),
            )
            .await
            .expect_err("declined");
        assert!(matches!(err, CoreError::SeriesDeclined(_)), "{err:?}");
    }
}
