//! Procurement orders: the state machine, roles, and orders following their
//! booking, on SQLite and PostgreSQL.

use std::sync::Arc;

use booking_core::procurement::{OrderItem, OrderKind, OrderRequest, OrderStatus, Priority};
use booking_core::*;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{Duration, TimeZone, Utc};

fn order(kind: OrderKind, priority: Priority) -> OrderRequest {
    OrderRequest {
        kind,
        items: vec![
            OrderItem {
                name: "Sandwiches".into(),
                quantity: 12,
                unit_cost_cents: 450,
            },
            OrderItem {
                name: "Coffee".into(),
                quantity: 2,
                unit_cost_cents: 1500,
            },
        ],
        priority,
        cost_centre: "CC-4711".into(),
        notes: "vegetarian".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_state_machine_roles_and_following_the_booking() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        run(backend).await;
    }
}

async fn run(b: Backend) {
    let db = TestDb::create(b).await;
    let now = Utc
        .with_ymd_and_hms(2026, 3, 2, 6, 0, 0)
        .single()
        .expect("t");
    let svc = BookingService::new(db.store().await, Arc::new(FixedClock::new(now)));
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
    let officer = mk("buyer@example.com", Role::ProcurementOfficer).await;
    let alice = mk("alice@example.com", Role::User).await;
    let bob = mk("bob@example.com", Role::User).await;
    let room = svc
        .create_room(
            &admin,
            RoomSpec {
                name: "R".into(),
                category: RoomCategory::Meeting,
                capacity: 20,
                floor: None,
                location: String::new(),
                amenities: Default::default(),
                time_zone: "UTC".into(),
                active: true,
                policy: RoomPolicy {
                    business_hours: BusinessHours::always(),
                    ..RoomPolicy::default()
                },
            },
        )
        .await
        .expect("room");
    let start = now + Duration::days(1);
    let booking = svc
        .book(
            &alice,
            BookingRequest {
                room_id: room.id,
                title: "Offsite".into(),
                purpose: String::new(),
                attendees: 12,
                start,
                end: start + Duration::hours(2),
            },
        )
        .await
        .expect("book");

    // Only the organizer (or an officer) orders for a booking; bad input is refused.
    let err = svc
        .place_order(&bob, booking.id, order(OrderKind::Catering, Priority::High))
        .await
        .expect_err("bob");
    assert!(matches!(err, CoreError::Forbidden(_)));
    let mut empty = order(OrderKind::Catering, Priority::Low);
    empty.items.clear();
    assert!(matches!(
        svc.place_order(&alice, booking.id, empty).await,
        Err(CoreError::Input(_))
    ));
    let catering = svc
        .place_order(
            &alice,
            booking.id,
            order(OrderKind::Catering, Priority::Medium),
        )
        .await
        .expect("order");
    assert_eq!(
        (catering.status, catering.estimated_cost_cents()),
        (OrderStatus::Pending, 12 * 450 + 2 * 1500)
    );
    let equipment = svc
        .place_order(
            &alice,
            booking.id,
            order(OrderKind::Equipment, Priority::Urgent),
        )
        .await
        .expect("order");

    // Officer queue: pending first, most urgent first.
    let queue = svc
        .list_orders(Some(OrderStatus::Pending), None)
        .await
        .expect("queue");
    assert_eq!(
        queue.iter().map(|o| o.id).collect::<Vec<_>>(),
        [equipment.id, catering.id]
    );

    // Users cannot approve; officers advance step by step.
    let err = svc
        .advance_order(&alice, catering.id)
        .await
        .expect_err("user");
    assert!(matches!(err, CoreError::RoleDenied { .. }));
    let mut o = catering.clone();
    for want in [
        OrderStatus::Approved,
        OrderStatus::Ordered,
        OrderStatus::Delivered,
    ] {
        o = svc.advance_order(&officer, o.id).await.expect("advance");
        assert_eq!(o.status, want);
    }
    assert!(
        matches!(
            svc.advance_order(&officer, o.id).await,
            Err(booking_core::CoreError::WrongState(_))
        ),
        "delivered is final: a state conflict, not bad input"
    );
    assert!(
        matches!(
            svc.cancel_order(&officer, o.id, None).await,
            Err(booking_core::CoreError::WrongState(_))
        ),
        "a delivered order cannot be cancelled"
    );
    assert!(
        svc.cancel_order(&officer, o.id, None).await.is_err(),
        "delivered cannot be cancelled"
    );

    // The booking moves: open orders are flagged for review.
    svc.update_booking(
        &alice,
        booking.id,
        BookingChanges {
            start: Some(start + Duration::hours(3)),
            end: Some(start + Duration::hours(5)),
            ..Default::default()
        },
    )
    .await
    .expect("move");
    let flagged = svc.get_order(equipment.id).await.expect("get");
    assert!(flagged.needs_review, "moved booking flags the order");
    assert!(
        !svc.get_order(catering.id).await.expect("get").needs_review,
        "delivered orders stay"
    );
    let approved = svc
        .advance_order(&officer, equipment.id)
        .await
        .expect("approve");
    assert!(!approved.needs_review, "reviewing clears the flag");

    // The booking is cancelled: open orders are cancelled with a notice.
    svc.cancel(&alice, booking.id, None)
        .await
        .expect("cancel booking");
    let gone = svc.get_order(equipment.id).await.expect("get");
    assert_eq!(gone.status, OrderStatus::Cancelled);
    assert_eq!(gone.notice.as_deref(), Some("booking cancelled"));
    assert_eq!(
        svc.get_order(catering.id).await.expect("get").status,
        OrderStatus::Delivered
    );
    let err = svc
        .place_order(
            &alice,
            booking.id,
            order(OrderKind::Supplies, Priority::Low),
        )
        .await
        .expect_err("gone");
    assert!(matches!(err, CoreError::Input(_)));
}
