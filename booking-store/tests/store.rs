//! BookingService over the real stores: every test runs on a fresh SQLite file
//! and a fresh PostgreSQL database, which are dropped afterwards.

use std::collections::BTreeSet;
use std::sync::Arc;

use booking_core::availability::RoomQuery;
use booking_core::store::BookingFilter;
use booking_core::*;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

/// Monday 2026-03-02 06:00 UTC: "now" in these tests.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 6, 0, 0)
        .single()
        .expect("valid")
}

/// Monday 2026-03-02 at h:m UTC.
fn at(h: i64, m: i64) -> DateTime<Utc> {
    now() - Duration::hours(6) + Duration::hours(h) + Duration::minutes(m)
}

fn t(h: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, 0, 0).expect("valid")
}

struct Env {
    svc: BookingService,
    store: Arc<dyn booking_core::store::Store>,
    clock: Arc<FixedClock>,
    admin: Actor,
    alice: Actor,
    bob: Actor,
    _db: TestDb,
}

async fn env(backend: Backend) -> Env {
    let db = TestDb::create(backend).await;
    let clock = Arc::new(FixedClock::new(now()));
    let store = db.store().await;
    let svc = BookingService::new(store.clone(), clock.clone());
    let mk = |email: &'static str, role| {
        let svc = svc.clone();
        async move {
            Actor::from(
                svc.create_user(email, email, role, None, AccountState::Active)
                    .await
                    .expect("create user"),
            )
        }
    };
    Env {
        admin: mk("admin@example.com", Role::SuperAdmin).await,
        alice: mk("alice@example.com", Role::User).await,
        bob: mk("bob@example.com", Role::User).await,
        svc,
        store,
        clock,
        _db: db,
    }
}

fn spec(name: &str, capacity: u32) -> RoomSpec {
    RoomSpec {
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity,
        floor: Some(2),
        location: "HQ".into(),
        amenities: BTreeSet::new(),
        time_zone: "UTC".into(),
        active: true,
        policy: RoomPolicy {
            business_hours: BusinessHours::weekdays(t(8), t(18)),
            ..RoomPolicy::default()
        },
    }
}

fn req(room: RoomId, start: DateTime<Utc>, end: DateTime<Utc>) -> BookingRequest {
    BookingRequest {
        room_id: room,
        title: "Standup".into(),
        purpose: String::new(),
        attendees: 3,
        start,
        end,
    }
}

async fn all_bookings(svc: &BookingService) -> Vec<Booking> {
    svc.list_bookings(&BookingFilter::default())
        .await
        .expect("list")
}

macro_rules! on_every_backend {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                for backend in backends() {
                    eprintln!("-- {backend:?}");
                    tests::$name(backend).await;
                }
            }
        )+
    };
}

on_every_backend!(
    bad_room_input_is_refused_and_changes_nothing,
    bad_booking_input_is_refused_and_changes_nothing,
    book_conflict_adjacent_and_cancel,
    approval_workflow_and_roles,
    two_hundred_concurrent_writers_one_winner,
    dst_berlin_nine_to_ten,
    moving_a_booking_rechecks_rules,
    availability_and_find_a_room,
    per_user_limit_and_audit_log,
    rooms_soft_delete_and_restore,
    change_stamps_count_every_booking_write,
    a_lost_update_is_stale,
    refused_writers_leave_the_others_of_their_batch_alone,
);

mod tests {
    use super::*;

    /// #20: writers that share a commit (SQLite's group commit) each roll
    /// back alone: of 60 concurrent bookings, the 30 into taken time are
    /// refused and the 30 into free time land, each with its audit entry
    /// and live-update event.
    pub async fn refused_writers_leave_the_others_of_their_batch_alone(b: Backend) {
        use booking_core::store::AuditFilter;
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec("Busy", 4))
            .await
            .expect("room");
        // Monday 10:00-11:00 taken: odd writers aim at it, even ones at
        // free 15-minute slots from Tuesday 08:00 on.
        e.svc
            .book(&e.alice, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect("first booking");
        let events_before = e.store.events_since(0, 10_000).await.expect("events").len();
        let barrier = Arc::new(tokio::sync::Barrier::new(60));
        let mut tasks = Vec::new();
        for i in 0..60i64 {
            let (svc, actor, barrier) = (e.svc.clone(), e.bob.clone(), barrier.clone());
            let start = if i % 2 == 1 {
                at(10, i % 45)
            } else {
                at(24 + 8, 0) + Duration::minutes(15 * (i / 2))
            };
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let r = svc
                    .book(&actor, req(room.id, start, start + Duration::minutes(15)))
                    .await;
                (i, r)
            }));
        }
        for task in tasks {
            let (i, r) = task.await.expect("task");
            match (i % 2, r) {
                (0, Ok(_)) => {}
                (1, Err(CoreError::Rule(RuleViolation::Conflict { .. }))) => {}
                (_, other) => panic!("writer {i}: {other:?}"),
            }
        }
        let landed: Vec<_> = all_bookings(&e.svc)
            .await
            .into_iter()
            .filter(|x| x.organizer_id == e.bob.id)
            .collect();
        assert_eq!(landed.len(), 30, "every free slot was booked");
        let audited = e
            .svc
            .audit_log(
                &e.admin,
                &AuditFilter {
                    entity: Some("booking".into()),
                    limit: 1000,
                    ..AuditFilter::default()
                },
            )
            .await
            .expect("audit");
        let created = audited.iter().filter(|a| a.action == "booking.create");
        assert_eq!(
            created.count(),
            31,
            "one audit entry per booking that landed"
        );
        let events = e.store.events_since(0, 10_000).await.expect("events");
        assert_eq!(events.len() - events_before, 30, "one event per booking");
    }

    /// #19: a writer whose copy of a booking is out of date gets `Stale`
    /// (HTTP 409), like every other stale case, not `Forbidden` (403).
    pub async fn a_lost_update_is_stale(b: Backend) {
        use booking_core::store::{AuditEntry, ChangeLog};
        let db = TestDb::create(b).await;
        let store = db.store().await;
        let svc = BookingService::new(store.clone(), Arc::new(FixedClock::new(now())));
        let admin = Actor::from(
            svc.create_user(
                "a@example.com",
                "A",
                Role::SuperAdmin,
                None,
                AccountState::Active,
            )
            .await
            .expect("user"),
        );
        let room = svc.create_room(&admin, spec("R", 4)).await.expect("room");
        let booking = svc
            .book(&admin, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect("book");
        let next = Booking {
            title: "Renamed".into(),
            sequence: booking.sequence + 1,
            ..booking.clone()
        };
        let log = ChangeLog {
            audit: AuditEntry {
                id: 0,
                at: now(),
                actor_id: Some(admin.id),
                actor_ip: None,
                action: "booking.update".into(),
                entity: "booking".into(),
                entity_id: Some(booking.id.to_string()),
                before: None,
                after: None,
            },
            events: vec![],
        };
        store
            .update_booking(&next, &|_| Ok(()), &log)
            .await
            .expect("the first writer wins");
        let lost = store
            .update_booking(&next, &|_| Ok(()), &log)
            .await
            .expect_err("the second writer's copy is out of date");
        assert!(matches!(lost, CoreError::Stale(_)), "{lost:?}");
        assert_eq!(
            svc.get_booking(booking.id).await.expect("get").sequence,
            next.sequence,
            "nothing more was written"
        );
        let updates = svc
            .audit_log(
                &admin,
                &booking_core::store::AuditFilter {
                    entity_id: Some(booking.id.to_string()),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .expect("audit")
            .into_iter()
            .filter(|e| e.action == "booking.update")
            .count();
        assert_eq!(updates, 1, "the lost update left no audit entry");
    }

    pub async fn bad_room_input_is_refused_and_changes_nothing(b: Backend) {
        let e = env(b).await;
        let cases = [
            (spec("Zero", 0), "capacity must be at least 1"),
            (
                RoomSpec {
                    time_zone: "Mars/Olympus".into(),
                    ..spec("Tz", 4)
                },
                "unknown time zone",
            ),
            (spec("  ", 4), "name must not be empty"),
        ];
        for (s, msg) in cases {
            let err = e.svc.create_room(&e.admin, s).await.expect_err("bad input");
            assert!(matches!(err, CoreError::Input(_)), "{err:?}");
            assert!(err.to_string().contains(msg), "{err}");
        }
        let err = e
            .svc
            .create_room(&e.alice, spec("Mine", 4))
            .await
            .expect_err("a user cannot create rooms");
        assert!(matches!(err, CoreError::RoleDenied { .. }), "{err:?}");
        assert!(
            e.svc
                .list_rooms(RoomListing::WithDeleted)
                .await
                .expect("list")
                .is_empty()
        );
        // Duplicate names are refused too.
        e.svc
            .create_room(&e.admin, spec("Dup", 4))
            .await
            .expect("first");
        let err = e
            .svc
            .create_room(&e.admin, spec("Dup", 4))
            .await
            .expect_err("dup");
        assert!(matches!(err, CoreError::AlreadyExists(_)), "{err:?}");
        assert_eq!(
            e.svc
                .list_rooms(RoomListing::WithDeleted)
                .await
                .expect("list")
                .len(),
            1
        );
    }

    pub async fn bad_booking_input_is_refused_and_changes_nothing(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec("R", 4))
            .await
            .expect("room");
        let unknown = RoomId::new_random();
        let err = e
            .svc
            .book(&e.alice, req(unknown, at(10, 0), at(11, 0)))
            .await
            .expect_err("unknown room");
        assert!(
            matches!(err, CoreError::NotFound { entity: "room", .. }),
            "{err:?}"
        );
        for (s, en) in [(at(10, 0), at(10, 0)), (at(11, 0), at(10, 0))] {
            let err = e
                .svc
                .book(&e.alice, req(room.id, s, en))
                .await
                .expect_err("zero/negative duration");
            assert!(
                matches!(err, CoreError::Rule(RuleViolation::EndNotAfterStart { .. })),
                "{err:?}"
            );
        }
        let mut big = req(room.id, at(10, 0), at(11, 0));
        big.attendees = 5;
        let err = e.svc.book(&e.alice, big).await.expect_err("over capacity");
        assert_eq!(err.to_string(), "5 attendees exceed the room capacity of 4");
        let mut untitled = req(room.id, at(10, 0), at(11, 0));
        untitled.title = " ".into();
        assert!(matches!(
            e.svc.book(&e.alice, untitled).await,
            Err(CoreError::Input(InputError::Empty("title")))
        ));
        assert!(all_bookings(&e.svc).await.is_empty());
    }

    pub async fn book_conflict_adjacent_and_cancel(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec("R", 4))
            .await
            .expect("room");
        let first = e
            .svc
            .book(&e.alice, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect("book");
        assert_eq!(first.status, BookingStatus::Approved);
        assert_eq!(e.svc.get_booking(first.id).await.expect("get"), first);

        let err = e
            .svc
            .book(&e.bob, req(room.id, at(10, 30), at(11, 30)))
            .await
            .expect_err("conflict");
        match err {
            CoreError::Rule(RuleViolation::Conflict { booking_id, .. }) => {
                assert_eq!(booking_id, first.id)
            }
            other => panic!("expected conflict, got {other:?}"),
        }
        // Half-open: back-to-back bookings are fine.
        e.svc
            .book(&e.bob, req(room.id, at(11, 0), at(12, 0)))
            .await
            .expect("adjacent after");
        e.svc
            .book(&e.bob, req(room.id, at(9, 0), at(10, 0)))
            .await
            .expect("adjacent before");

        // Bob may not cancel Alice's booking; Alice may.
        let err = e
            .svc
            .cancel(&e.bob, first.id, None)
            .await
            .expect_err("not his");
        assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
        let cancelled = e
            .svc
            .cancel(&e.alice, first.id, None)
            .await
            .expect("cancel");
        assert_eq!(cancelled.status, BookingStatus::Cancelled);
        assert_eq!(cancelled.sequence, 1);
        // The slot is free again.
        e.svc
            .book(&e.bob, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect("freed slot");
        let err = e
            .svc
            .cancel(&e.alice, first.id, None)
            .await
            .expect_err("twice");
        assert!(
            matches!(err, CoreError::InvalidTransition { .. }),
            "{err:?}"
        );
    }

    pub async fn approval_workflow_and_roles(b: Backend) {
        let e = env(b).await;
        let mut s = spec("Board", 10);
        s.policy.approval_required = true;
        let room = e.svc.create_room(&e.admin, s).await.expect("room");
        let other = e
            .svc
            .create_room(&e.admin, spec("Other", 4))
            .await
            .expect("room");

        let mut ra = e
            .svc
            .create_user(
                "ra@example.com",
                "RA",
                Role::RoomAdmin,
                None,
                AccountState::Active,
            )
            .await
            .expect("user");
        ra.assigned_rooms.insert(other.id);
        let ra = Actor::from(e.svc.update_user(&e.admin, ra).await.expect("assign"));

        let pending = e
            .svc
            .book(&e.alice, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect("book");
        assert_eq!(pending.status, BookingStatus::Pending);
        // Pending bookings hold the room.
        let err = e
            .svc
            .book(&e.bob, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect_err("held by pending");
        assert!(matches!(
            err,
            CoreError::Rule(RuleViolation::Conflict { .. })
        ));

        for who in [&e.alice, &e.bob, &ra] {
            let err = e
                .svc
                .approve(who, pending.id, None)
                .await
                .expect_err("not approver");
            assert!(
                matches!(err, CoreError::Forbidden(_)),
                "{}: {err:?}",
                who.email
            );
        }
        assert!(e.svc.approval_queue(&ra).await.expect("queue").is_empty());
        assert_eq!(
            e.svc.approval_queue(&e.admin).await.expect("queue").len(),
            1
        );

        // Assign the room to the room_admin: now they decide.
        let mut user = ra.user.clone();
        user.assigned_rooms.insert(room.id);
        let ra = Actor::from(e.svc.update_user(&e.admin, user).await.expect("assign"));
        assert_eq!(e.svc.approval_queue(&ra).await.expect("queue").len(), 1);
        let approved = e
            .svc
            .approve(&ra, pending.id, Some("ok".into()))
            .await
            .expect("approve");
        assert_eq!(approved.status, BookingStatus::Approved);
        assert_eq!(approved.approver_id, Some(ra.id));
        let err = e
            .svc
            .approve(&ra, pending.id, None)
            .await
            .expect_err("twice");
        assert!(matches!(err, CoreError::InvalidTransition { .. }));

        // Moving an approved booking in an approval room needs approval again,
        // unless an approver moves it.
        let moved = e
            .svc
            .update_booking(
                &e.alice,
                pending.id,
                BookingChanges {
                    start: Some(at(10, 30)),
                    end: Some(at(11, 30)),
                    ..BookingChanges::default()
                },
            )
            .await
            .expect("move");
        assert_eq!(moved.status, BookingStatus::Pending);
        let moved = e
            .svc
            .update_booking(
                &ra,
                pending.id,
                BookingChanges {
                    start: Some(at(10, 0)),
                    end: Some(at(11, 0)),
                    ..BookingChanges::default()
                },
            )
            .await
            .expect("approver moves it");
        assert_eq!(moved.status, BookingStatus::Pending, "stays as it was");
        let moved = e
            .svc
            .approve(&ra, pending.id, None)
            .await
            .expect("approve again");
        let moved = e
            .svc
            .update_booking(
                &ra,
                moved.id,
                BookingChanges {
                    start: Some(at(10, 15)),
                    end: Some(at(11, 15)),
                    ..BookingChanges::default()
                },
            )
            .await
            .expect("approver moves approved");
        assert_eq!(
            moved.status,
            BookingStatus::Approved,
            "an approver's move keeps approval"
        );

        let second = e
            .svc
            .book(&e.bob, req(room.id, at(12, 0), at(13, 0)))
            .await
            .expect("book");
        let rejected = e
            .svc
            .reject(&e.admin, second.id, Some("board meeting".into()))
            .await
            .expect("reject");
        assert_eq!(rejected.status, BookingStatus::Rejected);
        assert_eq!(rejected.decision_reason.as_deref(), Some("board meeting"));
        // Rejected bookings free the slot.
        e.svc
            .book(&e.alice, req(room.id, at(12, 0), at(13, 0)))
            .await
            .expect("slot free after reject");
    }

    pub async fn two_hundred_concurrent_writers_one_winner(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec("Hot", 4))
            .await
            .expect("room");
        let mut users = Vec::new();
        for i in 0..10 {
            users.push(Actor::from(
                e.svc
                    .create_user(
                        &format!("u{i}@example.com"),
                        "U",
                        Role::User,
                        None,
                        AccountState::Active,
                    )
                    .await
                    .expect("user"),
            ));
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(200));
        let mut tasks = Vec::new();
        for i in 0..200i64 {
            let svc = e.svc.clone();
            let actor = users[(i % 10) as usize].clone();
            let barrier = barrier.clone();
            // Every slot contains 10:29-11:00, so every pair overlaps.
            let start = at(10, i % 30);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                svc.book(&actor, req(room.id, start, start + Duration::hours(1)))
                    .await
            }));
        }
        let mut winners = Vec::new();
        let mut losers = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                Ok(b) => winners.push(b),
                Err(CoreError::Rule(RuleViolation::Conflict { booking_id, .. })) => {
                    losers.push(booking_id)
                }
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one winner");
        assert_eq!(losers.len(), 199);
        assert!(
            losers.iter().all(|id| *id == winners[0].id),
            "losers name the winner"
        );
        assert_eq!(all_bookings(&e.svc).await.len(), 1);
    }

    pub async fn dst_berlin_nine_to_ten(b: Backend) {
        let e = env(b).await;
        e.clock.set(
            Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
                .single()
                .expect("valid"),
        );
        let mut s = spec("Berlin", 6);
        s.time_zone = "Europe/Berlin".into();
        s.policy.booking_window_days = 365;
        s.policy.business_hours = BusinessHours::always();
        let room = e.svc.create_room(&e.admin, s).await.expect("room");
        let tz = room.time_zone;
        // Around 29 March (spring forward) and 25 October 2026 (fall back).
        for (y, m, d, utc_hour) in [
            (2026, 3, 28, 8),
            (2026, 3, 29, 7),
            (2026, 3, 30, 7),
            (2026, 10, 24, 7),
            (2026, 10, 25, 8),
            (2026, 10, 26, 8),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("date");
            let start = rules::local_to_utc(tz, date.and_time(t(9))).expect("exists");
            let end = rules::local_to_utc(tz, date.and_time(t(10))).expect("exists");
            let booked = e
                .svc
                .book(&e.alice, req(room.id, start, end))
                .await
                .expect("book");
            let stored = e.svc.get_booking(booked.id).await.expect("get");
            assert_eq!(stored.start.hour(), utc_hour, "{date}: stored in UTC");
            assert_eq!(
                stored.start.with_timezone(&tz).hour(),
                9,
                "{date}: 09:00 local"
            );
            assert_eq!(
                stored.end.with_timezone(&tz).hour(),
                10,
                "{date}: 10:00 local"
            );
            assert_eq!((stored.end - stored.start).num_minutes(), 60);
        }
        // The spring-forward Sunday has 23 hours: 24 - 1 booked hour = 22 free hours.
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).expect("date");
        let slots = e.svc.free_slots(room.id, spring).await.expect("slots");
        assert_eq!(slots.iter().map(|s| s.minutes()).sum::<i64>(), 22 * 60);
        // The fall-back Sunday has 25 hours.
        let fall = NaiveDate::from_ymd_opt(2026, 10, 25).expect("date");
        let slots = e.svc.free_slots(room.id, fall).await.expect("slots");
        assert_eq!(slots.iter().map(|s| s.minutes()).sum::<i64>(), 24 * 60);
    }

    pub async fn moving_a_booking_rechecks_rules(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec("R", 4))
            .await
            .expect("room");
        let a = e
            .svc
            .book(&e.alice, req(room.id, at(9, 0), at(10, 0)))
            .await
            .expect("a");
        let bk = e
            .svc
            .book(&e.bob, req(room.id, at(11, 0), at(12, 0)))
            .await
            .expect("b");
        let err = e
            .svc
            .update_booking(
                &e.alice,
                a.id,
                BookingChanges {
                    start: Some(at(10, 30)),
                    end: Some(at(11, 30)),
                    ..BookingChanges::default()
                },
            )
            .await
            .expect_err("moved onto bob");
        match err {
            CoreError::Rule(RuleViolation::Conflict { booking_id, .. }) => {
                assert_eq!(booking_id, bk.id)
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e.svc.get_booking(a.id).await.expect("get"), a, "unchanged");
        // Moving within its own slot does not conflict with itself.
        let moved = e
            .svc
            .update_booking(
                &e.alice,
                a.id,
                BookingChanges {
                    start: Some(at(9, 30)),
                    end: Some(at(11, 0)),
                    title: Some("Longer".into()),
                    ..BookingChanges::default()
                },
            )
            .await
            .expect("move");
        assert_eq!(
            (moved.start, moved.end, moved.sequence),
            (at(9, 30), at(11, 0), 1)
        );
        assert_eq!(moved.title, "Longer");
        // The old 09:00-09:30 is free now.
        e.svc
            .book(&e.bob, req(room.id, at(8, 45), at(9, 30)))
            .await
            .expect("old slot freed");
        let err = e
            .svc
            .update_booking(&e.bob, a.id, BookingChanges::default())
            .await
            .expect_err("not bob's");
        assert!(matches!(err, CoreError::Forbidden(_)));
        let err = e
            .svc
            .update_booking(
                &e.alice,
                a.id,
                BookingChanges {
                    attendees: Some(50),
                    ..BookingChanges::default()
                },
            )
            .await
            .expect_err("capacity");
        assert!(matches!(
            err,
            CoreError::Rule(RuleViolation::OverCapacity { .. })
        ));
    }

    pub async fn availability_and_find_a_room(b: Backend) {
        let e = env(b).await;
        let mut s = spec("Small", 4);
        s.policy.buffer_after_minutes = 15;
        s.amenities = ["projector".to_string()].into();
        let small = e.svc.create_room(&e.admin, s).await.expect("room");
        let mut s = spec("Big", 20);
        s.amenities = ["projector".to_string(), "video".to_string()].into();
        let big = e.svc.create_room(&e.admin, s).await.expect("room");
        let mid = e
            .svc
            .create_room(&e.admin, spec("Mid", 8))
            .await
            .expect("room");

        e.svc
            .book(&e.alice, req(small.id, at(10, 0), at(11, 0)))
            .await
            .expect("book");
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let slots = e.svc.free_slots(small.id, date).await.expect("slots");
        let got: Vec<_> = slots.iter().map(|s| (s.start, s.end)).collect();
        // 15 minutes of clean-up after every booking: after the 10-11 one, and
        // after a new one, which must therefore end by 09:45.
        assert_eq!(got, vec![(at(8, 0), at(9, 45)), (at(11, 15), at(18, 0))]);
        // Later in the day, the past is not offered.
        e.clock.set(at(12, 7));
        let slots = e.svc.free_slots(small.id, date).await.expect("slots");
        assert_eq!(slots.first().map(|s| s.start), Some(at(12, 7)));
        e.clock.set(now());

        let q = |start, end, min_capacity, amenities: &[&str]| RoomQuery {
            start,
            end,
            min_capacity,
            amenities: amenities.iter().map(|a| a.to_string()).collect(),
        };
        let names = |m: Vec<availability::RoomMatch>| {
            m.into_iter().map(|m| m.room.name).collect::<Vec<_>>()
        };
        let found = e
            .svc
            .find_rooms(&e.alice, &q(at(14, 0), at(15, 0), 3, &[]))
            .await
            .expect("find");
        assert_eq!(names(found), ["Small", "Mid", "Big"], "best fit first");
        let found = e
            .svc
            .find_rooms(&e.alice, &q(at(10, 30), at(11, 0), 3, &[]))
            .await
            .expect("find");
        assert_eq!(names(found), ["Mid", "Big"], "Small is busy");
        // Small's buffer holds it until 11:15.
        let found = e
            .svc
            .find_rooms(&e.alice, &q(at(11, 0), at(11, 30), 3, &["projector"]))
            .await
            .expect("find");
        assert_eq!(names(found), ["Big"]);
        let found = e
            .svc
            .find_rooms(&e.alice, &q(at(14, 0), at(15, 0), 5, &["Projector"]))
            .await
            .expect("find");
        assert_eq!(names(found), ["Big"], "capacity and amenities");
        let found = e
            .svc
            .find_rooms(&e.alice, &q(at(19, 0), at(20, 0), 1, &[]))
            .await
            .expect("find");
        assert!(found.is_empty(), "outside business hours");
        let _ = (big, mid);
    }

    pub async fn per_user_limit_and_audit_log(b: Backend) {
        let e = env(b).await;
        let mut s = spec("Limited", 4);
        s.policy.max_active_bookings_per_user = Some(2);
        let room = e.svc.create_room(&e.admin, s).await.expect("room");
        e.svc
            .book(&e.alice, req(room.id, at(9, 0), at(10, 0)))
            .await
            .expect("1");
        let second = e
            .svc
            .book(&e.alice, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect("2");
        let err = e
            .svc
            .book(&e.alice, req(room.id, at(11, 0), at(12, 0)))
            .await
            .expect_err("third");
        assert_eq!(
            err.to_string(),
            "you already have 2 active bookings in this room (limit 2)"
        );
        e.svc
            .book(&e.bob, req(room.id, at(11, 0), at(12, 0)))
            .await
            .expect("bob unaffected");
        e.svc
            .cancel(&e.alice, second.id, None)
            .await
            .expect("cancel");
        e.svc
            .book(&e.alice, req(room.id, at(12, 0), at(13, 0)))
            .await
            .expect("room again after cancelling");

        let log = e
            .store
            .list_audit(&booking_core::store::AuditFilter {
                entity_id: Some(second.id.to_string()),
                limit: 10,
                ..Default::default()
            })
            .await
            .expect("audit");
        let actions: Vec<_> = log.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["booking.cancel", "booking.create"]);
        assert_eq!(log[0].actor_id, Some(e.alice.id));
        assert_eq!(
            log[0].before.as_ref().and_then(|b| b["status"].as_str()),
            Some("approved")
        );
        assert_eq!(
            log[0].after.as_ref().and_then(|b| b["status"].as_str()),
            Some("cancelled")
        );
    }

    pub async fn rooms_soft_delete_and_restore(b: Backend) {
        let e = env(b).await;
        let room = e
            .svc
            .create_room(&e.admin, spec("R", 4))
            .await
            .expect("room");
        let err = e
            .svc
            .delete_room(&e.alice, room.id)
            .await
            .expect_err("user");
        assert!(matches!(err, CoreError::Forbidden(_)));
        e.svc.delete_room(&e.admin, room.id).await.expect("delete");
        assert!(
            e.svc
                .list_rooms(RoomListing::Current)
                .await
                .expect("list")
                .is_empty()
        );
        assert_eq!(
            e.svc
                .list_rooms(RoomListing::WithDeleted)
                .await
                .expect("list")
                .len(),
            1
        );
        let err = e
            .svc
            .book(&e.alice, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect_err("deleted");
        assert!(matches!(
            err,
            CoreError::Rule(RuleViolation::RoomInactive { .. })
        ));
        let restored = e
            .svc
            .restore_room(&e.admin, room.id)
            .await
            .expect("restore");
        assert!(restored.deleted_at.is_none());
        e.svc
            .book(&e.alice, req(room.id, at(10, 0), at(11, 0)))
            .await
            .expect("bookable again");
    }

    pub async fn change_stamps_count_every_booking_write(b: Backend) {
        use booking_core::store::VersionScope;
        let e = env(b).await;
        let store = &e.store;
        let stamp = |scope| async move { store.change_stamp(scope).await.expect("stamp") };
        let r1 = e
            .svc
            .create_room(&e.admin, spec("One", 4))
            .await
            .expect("room");
        let r2 = e
            .svc
            .create_room(&e.admin, spec("Two", 4))
            .await
            .expect("room");
        let (room1, all, alice, bob) = (
            VersionScope::Room(r1.id),
            VersionScope::All,
            VersionScope::Organizer(e.alice.id),
            VersionScope::Organizer(e.bob.id),
        );
        let before = (stamp(room1).await, stamp(all).await, stamp(alice).await);
        assert_eq!(before.0.writes, 0, "no bookings yet");
        let bk = e
            .svc
            .book(&e.alice, req(r1.id, at(10, 0), at(11, 0)))
            .await
            .expect("book");
        let booked = (stamp(room1).await, stamp(all).await, stamp(alice).await);
        assert!(booked.0.writes > before.0.writes, "the room's stamp moves");
        assert!(booked.1.writes > before.1.writes, "all rooms' stamp moves");
        assert!(
            booked.2.writes > before.2.writes,
            "the organizer's stamp moves"
        );
        // A booking of someone else in another room leaves both alone.
        let bob_before = stamp(bob).await;
        e.svc
            .book(&e.bob, req(r2.id, at(10, 0), at(11, 0)))
            .await
            .expect("book other room");
        assert_eq!(stamp(room1).await, booked.0);
        assert_eq!(stamp(alice).await, booked.2);
        assert_ne!(stamp(bob).await, bob_before);
        assert_ne!(stamp(all).await, booked.1);
        // Updates and cancellations count too (any status).
        e.svc
            .update_booking(
                &e.alice,
                bk.id,
                BookingChanges {
                    title: Some("Renamed".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("rename");
        let renamed = stamp(room1).await;
        assert!(renamed.writes > booked.0.writes);
        e.svc.cancel(&e.alice, bk.id, None).await.expect("cancel");
        assert!(stamp(room1).await.writes > renamed.writes);
        // A room change shows in every scope's stamp, even within the same
        // second as the room's last change (the clock stands still here).
        let all_before = stamp(all).await;
        e.svc
            .update_room(&e.admin, r2.id, spec("Two (renamed)", 4))
            .await
            .expect("rename room");
        assert!(stamp(room1).await.room_writes > renamed.room_writes);
        assert_ne!(stamp(all).await, all_before);
    }
}
