//! The admin pages: rooms with their policies and door displays (room
//! admins for their rooms, super admins for all), users and the audit log
//! (super admins).

pub mod audit;
pub mod closures;
pub mod import;
mod room_form;
pub mod room_parts;
pub mod rooms;
pub mod users;
pub mod webhooks;

use booking_core::Role;

use super::session::Viewer;

/// Room admins and super admins.
pub fn manages_rooms(v: &Viewer) -> bool {
    matches!(v.actor.role, Role::RoomAdmin | Role::SuperAdmin)
}

pub fn is_super(v: &Viewer) -> bool {
    v.actor.role == Role::SuperAdmin
}
