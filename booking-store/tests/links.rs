//! Linked (divisible) rooms over the real stores, on a fresh SQLite file and
//! a fresh PostgreSQL database per test: a hall made of A and B blocks its
//! parts and they block it — in the rule check, in availability, and in the
//! database itself under 200 concurrent writers.

use std::collections::BTreeSet;
use std::sync::Arc;

use booking_core::links::{RoomLinks, clashes};
use booking_core::store::{BookingFilter, ChangeLog, Store};
use booking_core::*;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

/// Monday 2026-03-02 06:00 UTC.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 6, 0, 0)
        .single()
        .expect("valid")
}

/// Monday 2026-03-02 at h:m UTC.
fn at(h: i64, m: i64) -> DateTime<Utc> {
    now() - Duration::hours(6) + Duration::hours(h) + Duration::minutes(m)
}

struct Env {
    svc: BookingService,
    store: Arc<dyn Store>,
    admin: Actor,
    users: Vec<Actor>,
    hall: Room,
    a: Room,
    b: Room,
    _db: TestDb,
}

fn spec(name: &str) -> RoomSpec {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("valid");
    RoomSpec {
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity: 50,
        floor: Some(0),
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

/// A hall, its parts A and B (not linked yet), an admin and ten users.
async fn env(backend: Backend) -> Env {
    let db = TestDb::create(backend).await;
    let store = db.store().await;
    let svc = BookingService::new(store.clone(), Arc::new(FixedClock::new(now())));
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "Admin",
            Role::SuperAdmin,
            None,
            AccountState::Active,
        )
        .await
        .expect("admin"),
    );
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(Actor::from(
            svc.create_user(
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
    let room = |name: &'static str| {
        let (svc, admin) = (svc.clone(), admin.clone());
        async move { svc.create_room(&admin, spec(name)).await.expect("room") }
    };
    Env {
        hall: room("Hall").await,
        a: room("Hall A").await,
        b: room("Hall B").await,
        svc,
        store,
        admin,
        users,
        _db: db,
    }
}

fn req(room: RoomId, start: DateTime<Utc>, end: DateTime<Utc>) -> BookingRequest {
    BookingRequest {
        room_id: room,
        title: "Town hall".into(),
        purpose: String::new(),
        attendees: 3,
        start,
        end,
    }
}

async fn link(e: &Env) {
    e.svc
        .set_room_parts(&e.admin, e.hall.id, &[e.a.id, e.b.id])
        .await
        .expect("link");
}

async fn blocking(e: &Env) -> Vec<Booking> {
    e.svc
        .list_bookings(&BookingFilter {
            statuses: vec![BookingStatus::Pending, BookingStatus::Approved],
            ..BookingFilter::default()
        })
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
    a_hall_and_its_parts_block_each_other,
    availability_counts_the_linked_rooms,
    links_over_clashing_bookings_are_refused,
    bad_links_are_refused_with_the_reason,
    the_database_refuses_a_writer_that_skips_the_rules,
    two_hundred_writers_race_for_a_hall_and_its_parts,
);

mod tests {
    use super::*;

    fn conflict_with(r: Result<Booking, CoreError>, id: BookingId) {
        match r {
            Err(CoreError::Rule(RuleViolation::Conflict { booking_id, .. })) => {
                assert_eq!(booking_id, id, "the answer names the booking in the way")
            }
            other => panic!("expected a conflict with {id}, got {other:?}"),
        }
    }

    pub async fn a_hall_and_its_parts_block_each_other(b: Backend) {
        let e = env(b).await;
        link(&e).await;
        let links = e.svc.room_links().await.expect("links");
        assert_eq!(links.parts_of(e.hall.id), BTreeSet::from([e.a.id, e.b.id]));
        let u = &e.users[0];
        // A part taken: the hall is not free then, the other part is.
        let in_a = e
            .svc
            .book(u, req(e.a.id, at(10, 0), at(11, 0)))
            .await
            .expect("A");
        conflict_with(
            e.svc.book(u, req(e.hall.id, at(10, 30), at(11, 30))).await,
            in_a.id,
        );
        e.svc
            .book(u, req(e.b.id, at(10, 0), at(11, 0)))
            .await
            .expect("B is another part");
        // The hall taken: neither part is free then.
        let hall = e
            .svc
            .book(u, req(e.hall.id, at(12, 0), at(13, 0)))
            .await
            .expect("hall");
        conflict_with(
            e.svc.book(u, req(e.a.id, at(12, 30), at(13, 0))).await,
            hall.id,
        );
        conflict_with(
            e.svc.book(u, req(e.b.id, at(11, 0), at(12, 15))).await,
            hall.id,
        );
        // Moving a part's booking into the hall's time is refused too.
        let later = e
            .svc
            .book(u, req(e.a.id, at(14, 0), at(15, 0)))
            .await
            .expect("A later");
        let moved = e
            .svc
            .update_booking(
                u,
                later.id,
                BookingChanges {
                    start: Some(at(12, 0)),
                    end: Some(at(12, 30)),
                    title: None,
                    purpose: None,
                    attendees: None,
                },
            )
            .await;
        assert!(
            matches!(moved, Err(CoreError::Rule(RuleViolation::Conflict { .. }))),
            "{moved:?}"
        );
        // Cancelling the hall frees its parts.
        e.svc.cancel(u, hall.id, None).await.expect("cancel");
        e.svc
            .book(u, req(e.a.id, at(12, 30), at(13, 0)))
            .await
            .expect("A after the hall was cancelled");
        // Unlinked, the hall is a room on its own again.
        e.svc
            .set_room_parts(&e.admin, e.hall.id, &[])
            .await
            .expect("unlink");
        assert!(e.svc.room_links().await.expect("links").is_empty());
        e.svc
            .book(u, req(e.hall.id, at(10, 0), at(11, 0)))
            .await
            .expect("the hall alone");
    }

    pub async fn availability_counts_the_linked_rooms(b: Backend) {
        let e = env(b).await;
        link(&e).await;
        let u = &e.users[0];
        e.svc
            .book(u, req(e.a.id, at(10, 0), at(11, 0)))
            .await
            .expect("A");
        let date = at(0, 0).date_naive();
        let slots = e.svc.free_slots(e.hall.id, date).await.expect("slots");
        assert!(
            !slots
                .iter()
                .any(|s| s.start < at(11, 0) && s.end > at(10, 0)),
            "the hall is not offered while A is booked: {slots:?}"
        );
        let b_slots = e.svc.free_slots(e.b.id, date).await.expect("slots");
        assert!(
            b_slots
                .iter()
                .any(|s| s.start <= at(10, 0) && s.end >= at(11, 0))
        );
        let found = e
            .svc
            .find_rooms(
                u,
                &availability::RoomQuery {
                    start: at(10, 0),
                    end: at(11, 0),
                    min_capacity: 1,
                    amenities: vec![],
                },
            )
            .await
            .expect("find");
        let ids: BTreeSet<RoomId> = found.iter().map(|m| m.room.id).collect();
        assert!(ids.contains(&e.b.id) && !ids.contains(&e.hall.id) && !ids.contains(&e.a.id));
    }

    pub async fn links_over_clashing_bookings_are_refused(b: Backend) {
        let e = env(b).await;
        let u = &e.users[0];
        e.svc
            .book(u, req(e.hall.id, at(10, 0), at(11, 0)))
            .await
            .expect("hall");
        let in_a = e
            .svc
            .book(u, req(e.a.id, at(10, 30), at(11, 0)))
            .await
            .expect("A");
        let refused = e
            .svc
            .set_room_parts(&e.admin, e.hall.id, &[e.a.id, e.b.id])
            .await;
        match refused {
            Err(CoreError::WrongState(why)) => assert!(why.contains("Hall A"), "{why}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(
            e.svc.room_links().await.expect("links").is_empty(),
            "nothing changed"
        );
        e.svc.cancel(u, in_a.id, None).await.expect("cancel");
        link(&e).await;
    }

    pub async fn bad_links_are_refused_with_the_reason(b: Backend) {
        let e = env(b).await;
        let field = |r: Result<BTreeSet<RoomId>, CoreError>| match r {
            Err(CoreError::Input(InputError::Invalid { field, reason })) => {
                assert_eq!(field, "parts");
                reason
            }
            other => panic!("expected invalid parts, got {other:?}"),
        };
        let one = field(e.svc.set_room_parts(&e.admin, e.hall.id, &[e.a.id]).await);
        assert!(one.contains("two"), "{one}");
        let own = field(
            e.svc
                .set_room_parts(&e.admin, e.hall.id, &[e.hall.id, e.a.id])
                .await,
        );
        assert!(own.contains("itself"), "{own}");
        link(&e).await;
        let nested = field(
            e.svc
                .set_room_parts(&e.admin, e.a.id, &[e.b.id, e.hall.id])
                .await,
        );
        assert!(nested.contains("Hall"), "{nested}");
        let user = e.svc.set_room_parts(&e.users[0], e.hall.id, &[]).await;
        assert!(matches!(user, Err(CoreError::Forbidden(_))), "{user:?}");
        let audit = e
            .svc
            .audit_log(
                &e.admin,
                &booking_core::store::AuditFilter {
                    entity: Some("room".into()),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .expect("audit");
        assert_eq!(audit.iter().filter(|a| a.action == "room.link").count(), 1);
    }

    pub async fn the_database_refuses_a_writer_that_skips_the_rules(b: Backend) {
        let e = env(b).await;
        link(&e).await;
        let hall = e
            .svc
            .book(&e.users[0], req(e.hall.id, at(10, 0), at(11, 0)))
            .await
            .expect("hall");
        // A booking of A over the hall's time, written with a check that
        // lets everything through: only the database stands in the way.
        let rogue = Booking {
            id: BookingId::new_random(),
            room_id: e.a.id,
            ..hall.clone()
        };
        let log = ChangeLog {
            audit: booking_core::store::AuditEntry {
                id: 0,
                at: now(),
                actor_id: None,
                actor_ip: None,
                action: "booking.create".into(),
                entity: "booking".into(),
                entity_id: Some(rogue.id.to_string()),
                before: None,
                after: None,
            },
            events: vec![],
        };
        let r = e.store.create_booking(&rogue, &|_| Ok(()), &log).await;
        assert!(
            matches!(r, Err(CoreError::Rule(RuleViolation::Conflict { booking_id, .. })) if booking_id == hall.id),
            "{r:?}"
        );
        assert_eq!(blocking(&e).await.len(), 1, "nothing was written");
    }

    pub async fn two_hundred_writers_race_for_a_hall_and_its_parts(b: Backend) {
        let e = env(b).await;
        link(&e).await;
        let rooms = [e.hall.id, e.a.id, e.b.id];
        let barrier = Arc::new(tokio::sync::Barrier::new(200));
        let mut tasks = Vec::new();
        for i in 0..200i64 {
            let (svc, barrier) = (e.svc.clone(), barrier.clone());
            let actor = e.users[(i % 10) as usize].clone();
            let room = rooms[(i % 3) as usize];
            // Every request contains 10:29-11:00, so all of them overlap.
            let start = at(10, i % 30);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                svc.book(&actor, req(room, start, start + Duration::hours(1)))
                    .await
            }));
        }
        let mut won = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                Ok(b) => won.push(b.room_id),
                Err(CoreError::Rule(RuleViolation::Conflict { .. })) => {}
                Err(other) => panic!("unexpected error {other:?}"),
            }
        }
        // Either the hall alone, or at most one booking of each part.
        won.sort();
        let hall_won = won == vec![e.hall.id];
        let parts_won = !won.is_empty()
            && won.len() <= 2
            && !won.contains(&e.hall.id)
            && won.windows(2).all(|w| w[0] != w[1]);
        assert!(hall_won || parts_won, "winners: {won:?}");
        let links = RoomLinks::from_pairs([(e.hall.id, e.a.id), (e.hall.id, e.b.id)]);
        let held = blocking(&e).await;
        assert_eq!(held.len(), won.len());
        assert!(clashes(&links, &held).is_empty(), "no unit held twice");
    }
}
