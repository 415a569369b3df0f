//! booking-core alone, with no database: the service runs its rules over
//! the in-memory store every storage trait has in the crate
//! (`booking_core::memory`, no sqlx, no booking-store). A portal with its own
//! persistence plugs in the same way, with its own implementation of the
//! traits (a real store must also keep the guarantees across processes).

use std::collections::BTreeSet;
use std::sync::Arc;

use booking_core::memory::MemoryStore;
use booking_core::store::*;
use booking_core::*;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};

fn at(h: u32) -> DateTime<Utc> {
    // Monday 2026-03-02.
    Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0)
        .single()
        .expect("valid")
}

#[tokio::test]
async fn the_service_runs_its_rules_over_a_store_of_its_own() {
    let store = Arc::new(MemoryStore::default());
    let svc = BookingService::new(store.clone(), Arc::new(FixedClock::new(at(6))));
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
    let alice = Actor::from(
        svc.create_user(
            "alice@example.com",
            "Alice",
            Role::User,
            None,
            AccountState::Active,
        )
        .await
        .expect("alice"),
    );
    let hours = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
    let room = svc
        .create_room(
            &admin,
            RoomSpec {
                name: "Boardroom".into(),
                category: RoomCategory::Boardroom,
                capacity: 8,
                floor: Some(3),
                location: "HQ".into(),
                amenities: BTreeSet::new(),
                time_zone: "Europe/Berlin".into(),
                active: true,
                policy: RoomPolicy {
                    business_hours: BusinessHours::weekdays(hours(8), hours(18)),
                    ..RoomPolicy::default()
                },
            },
        )
        .await
        .expect("room");
    let request = |title: &str, start, end| BookingRequest {
        room_id: room.id,
        title: title.into(),
        purpose: String::new(),
        attendees: 4,
        start,
        end,
    };

    let first = svc
        .book(&alice, request("Review", at(9), at(10)))
        .await
        .expect("book");
    assert_eq!(first.status, BookingStatus::Approved);

    // The rules hold over this store as over the real ones.
    let clash = svc.book(&admin, request("Clash", at(9), at(10))).await;
    assert!(
        matches!(&clash, Err(CoreError::Rule(RuleViolation::Conflict { booking_id, .. })) if *booking_id == first.id),
        "{clash:?}"
    );
    let too_big = svc
        .book(
            &alice,
            BookingRequest {
                attendees: 20,
                ..request("Big", at(11), at(12))
            },
        )
        .await;
    assert!(matches!(too_big, Err(CoreError::Rule(_))), "{too_big:?}");
    let night = svc.book(&alice, request("Late", at(20), at(21))).await;
    assert!(matches!(night, Err(CoreError::Rule(_))), "{night:?}");

    // Cancelling frees the slot; every change left an audit entry.
    svc.cancel(&alice, first.id, None).await.expect("cancel");
    svc.book(&admin, request("Now free", at(9), at(10)))
        .await
        .expect("free again");
    let audit = svc
        .audit_log(
            &admin,
            &AuditFilter {
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for action in ["room.create", "booking.create", "booking.cancel"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let free = svc
        .list_bookings(&BookingFilter {
            room_id: Some(room.id),
            statuses: vec![BookingStatus::Approved],
            ..BookingFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(free.len(), 1);
    assert_eq!(free[0].title, "Now free");
}
