//! Demo data for `serve --demo`: rooms with amenities and policies, and one
//! account per role with a fresh random password, printed once.

use std::collections::BTreeSet;

use booking_core::{
    Actor, BusinessHours, Role, RoomCategory, RoomListing, RoomPolicy, RoomSpec, User,
};
use chrono::NaiveTime;
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::ServerError;
use crate::auth::hash_password;
use crate::state::AppState;

fn t(h: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN)
}

fn room(
    name: &str,
    category: RoomCategory,
    capacity: u32,
    floor: i32,
    amenities: &[&str],
    time_zone: &str,
    policy: RoomPolicy,
) -> RoomSpec {
    RoomSpec {
        name: name.into(),
        category,
        capacity,
        floor: Some(floor),
        location: "Head office".into(),
        amenities: amenities.iter().map(|a| a.to_string()).collect(),
        time_zone: time_zone.into(),
        active: true,
        policy,
    }
}

/// A random password of 16 letters and digits.
pub fn random_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// Create (or refresh) the demo data; returns (email, role, password) lines.
pub async fn load(state: &AppState) -> Result<Vec<(String, Role, String)>, ServerError> {
    let svc = &state.svc;
    let store = &state.store;
    let accounts = [
        ("admin@demo.example", "Demo Admin", Role::SuperAdmin),
        (
            "facilities@demo.example",
            "Facilities (room admin)",
            Role::RoomAdmin,
        ),
        (
            "procurement@demo.example",
            "Procurement Officer",
            Role::ProcurementOfficer,
        ),
        ("alice@demo.example", "Alice Employee", Role::User),
    ];
    let mut out = Vec::new();
    let mut users: Vec<User> = Vec::new();
    for (email, name, role) in accounts {
        let password = random_password();
        let hash =
            hash_password(&password).map_err(|_| ServerError::Other("hashing failed".into()))?;
        let user = match store.get_user_by_email(email).await? {
            Some(u) => {
                svc.reset_password_via("demo", u.id, &hash).await?;
                u
            }
            None => {
                svc.create_user_via("demo", email, name, role, Some(&hash))
                    .await?
            }
        };
        users.push(user);
        out.push((email.to_string(), role, password));
    }
    let admin = Actor::from(users[0].clone());
    if svc.list_rooms(RoomListing::WithDeleted).await?.is_empty() {
        let office = RoomPolicy {
            business_hours: BusinessHours::weekdays(t(7), t(20)),
            ..RoomPolicy::default()
        };
        let specs = [
            room(
                "Huddle 1",
                RoomCategory::Meeting,
                4,
                1,
                &["screen"],
                "Europe/Berlin",
                office.clone(),
            ),
            room(
                "Conference A",
                RoomCategory::Conference,
                20,
                2,
                &["projector", "video", "whiteboard"],
                "Europe/Berlin",
                RoomPolicy {
                    buffer_after_minutes: 15,
                    ..office.clone()
                },
            ),
            room(
                "Boardroom",
                RoomCategory::Boardroom,
                12,
                3,
                &["projector", "video", "catering"],
                "Europe/Berlin",
                RoomPolicy {
                    approval_required: true,
                    max_active_bookings_per_user: Some(3),
                    ..office.clone()
                },
            ),
            room(
                "Training Lab",
                RoomCategory::Training,
                30,
                2,
                &["projector", "computers"],
                "Europe/Berlin",
                RoomPolicy {
                    max_duration_minutes: 8 * 60,
                    buffer_before_minutes: 15,
                    ..office.clone()
                },
            ),
            room(
                "Auditorium",
                RoomCategory::Auditorium,
                200,
                0,
                &["projector", "microphone", "stage"],
                "America/New_York",
                RoomPolicy {
                    approval_required: true,
                    booking_window_days: 365,
                    allowed_roles: [Role::SuperAdmin, Role::RoomAdmin]
                        .into_iter()
                        .collect::<BTreeSet<_>>(),
                    ..office
                },
            ),
        ];
        let mut managed = BTreeSet::new();
        for spec in specs {
            let r = svc.create_room(&admin, spec).await?;
            if matches!(r.name.as_str(), "Boardroom" | "Training Lab") {
                managed.insert(r.id);
            }
        }
        let facilities = User {
            assigned_rooms: managed,
            ..users[1].clone()
        };
        svc.update_user(&admin, facilities).await?;
    }
    Ok(out)
}
