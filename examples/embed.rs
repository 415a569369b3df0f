//! Embed booking-core in a program with booking-store: an in-memory SQLite store, one room, two bookings.
//! Run: cargo run -p booking-store --example embed
use std::sync::Arc;

use booking_core::*;
use chrono::{Duration, Utc};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let svc = BookingService::new(
        booking_store::open("sqlite::memory:").await?,
        Arc::new(SystemClock),
    );
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "Admin",
            Role::SuperAdmin,
            None,
            AccountState::Active,
        )
        .await?,
    );
    let room = svc
        .create_room(
            &admin,
            RoomSpec {
                name: "Boardroom".into(),
                category: RoomCategory::Boardroom,
                capacity: 12,
                floor: Some(3),
                location: "HQ".into(),
                amenities: ["projector".to_string()].into(),
                time_zone: "Europe/Berlin".into(),
                active: true,
                policy: RoomPolicy {
                    business_hours: BusinessHours::always(),
                    ..RoomPolicy::default()
                },
            },
        )
        .await?;
    let start = Utc::now() + Duration::hours(1);
    let request = |title: &str| BookingRequest {
        room_id: room.id,
        title: title.into(),
        purpose: String::new(),
        attendees: 6,
        start,
        end: start + Duration::hours(1),
    };
    let booking = svc.book(&admin, request("Quarterly review")).await?;
    println!(
        "booked {} ({}) in {} from {}",
        booking.title, booking.status, room.name, booking.start
    );
    match svc.book(&admin, request("Clashing meeting")).await {
        Err(CoreError::Rule(violation)) => {
            println!("refused: {violation} [rule {}]", violation.rule())
        }
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
