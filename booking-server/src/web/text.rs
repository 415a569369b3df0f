//! The English texts the web app builds in code (page titles, flashes, labels
//! of statuses and roles). The pages' own wording is in `templates/`.

use booking_core::{BookingStatus, Role};

pub const APP_NAME: &str = "Room booking";

pub const TITLE_SIGN_IN: &str = "Sign in";
pub const TITLE_BOARD: &str = "Booking board";
pub const TITLE_BOOK: &str = "Book a room";
pub const TITLE_FIND: &str = "Find a room";
pub const TITLE_MINE: &str = "My bookings";
pub const TITLE_SERIES: &str = "Series";
pub const TITLE_APPROVALS: &str = "Approvals";
pub const TITLE_CALENDAR: &str = "My calendar links";
pub const TITLE_ERROR: &str = "Something went wrong";

pub const BAD_LOGIN_FORM: &str = "This sign-in form expired. Please try again.";
pub const FORM_EXPIRED: &str =
    "This form has expired or came from another site. Reload the page and try again.";
pub const SIGNED_OUT: &str = "You are signed out.";
pub const SESSION_EXPIRED: &str = "Your session has ended. Please sign in again.";
pub const NOT_FOUND: &str = "There is no such page.";
pub const NOT_APPROVER: &str = "Only room admins and super admins approve bookings.";

pub const FLASH_CANCELLED: &str = "The booking is cancelled.";
pub const FLASH_CHECKED_IN: &str = "You are checked in.";
pub const FLASH_WAITLIST_JOINED: &str =
    "You are on the waitlist: if the slot frees up it is booked for you and you get a message.";
pub const FLASH_WAITLIST_LEFT: &str = "You have left the waitlist.";
pub const FLASH_APPROVED: &str = "Approved: the organizer is told.";
pub const FLASH_REJECTED: &str = "Rejected: the organizer is told with your reason.";
pub const FLASH_ROTATED: &str =
    "New feed links made: the old links stop working now. Update your calendar subscriptions.";

pub fn status(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Pending => "Pending approval",
        BookingStatus::Approved => "Confirmed",
        BookingStatus::Rejected => "Rejected",
        BookingStatus::Cancelled => "Cancelled",
    }
}

pub fn role(r: Role) -> &'static str {
    match r {
        Role::User => "Employee",
        Role::RoomAdmin => "Room admin",
        Role::ProcurementOfficer => "Procurement officer",
        Role::SuperAdmin => "Super admin",
    }
}

pub fn series_cancelled(n: usize, failed: usize) -> String {
    match failed {
        0 => format!("{n} occurrence(s) cancelled."),
        f => format!("{n} occurrence(s) cancelled; {f} could not be cancelled."),
    }
}

pub fn booked(room: &str, when: &str, pending: bool) -> String {
    if pending {
        format!("Requested {room}, {when}. It is pending: a room admin must approve it.")
    } else {
        format!("Booked {room}, {when}.")
    }
}

pub fn category(c: booking_core::RoomCategory) -> &'static str {
    use booking_core::RoomCategory as C;
    match c {
        C::Conference => "Conference room",
        C::Meeting => "Meeting room",
        C::Boardroom => "Boardroom",
        C::Training => "Training room",
        C::Auditorium => "Auditorium",
    }
}

pub const TITLE_ADMIN_ROOMS: &str = "Rooms";
pub const TITLE_NEW_ROOM: &str = "New room";
pub const TITLE_USERS: &str = "Users";
pub const TITLE_AUDIT: &str = "Audit log";
pub const TITLE_ORDERS: &str = "Orders";
pub const TITLE_REQUISITION: &str = "Requisition";
pub const TITLE_DASHBOARD: &str = "Dashboard";
pub const NOT_ROOM_ADMIN: &str = "Only room admins and super admins manage rooms.";
pub const NOT_SUPER_ADMIN: &str = "Only super admins manage users and read the audit log.";
pub const NOT_OFFICER: &str = "Only procurement officers and super admins work the order queue.";
pub const NOT_ANALYST: &str =
    "The dashboard is for room admins, procurement officers and super admins.";
pub const FLASH_ROOM_SAVED: &str = "The room is saved.";
pub const FLASH_ROOM_DELETED: &str =
    "The room is deleted: nobody can book it; its bookings stay. Restore it any time.";
pub const FLASH_ROOM_RESTORED: &str = "The room is restored.";
pub const FLASH_USER_SAVED: &str = "The user is saved.";

pub const TITLE_WEBHOOKS: &str = "Webhooks";
pub const TITLE_CLOSURES: &str = "Closures";
pub const TITLE_IMPORT: &str = "Import";
pub const FLASH_CLOSED: &str = "Closed: nobody can book into that time.";
pub const FLASH_REOPENED: &str = "Reopened: the time can be booked again.";
pub const TITLE_TOKENS: &str = "Access tokens";
pub const NOT_WEBHOOK_ADMIN: &str =
    "Only room admins (for their rooms) and super admins manage webhooks.";
pub const FLASH_WEBHOOK_CREATED: &str = "The endpoint is registered: the next change is sent to it. Give its receiver the secret below.";
pub const FLASH_WEBHOOK_SAVED: &str = "The endpoint is saved.";
pub const FLASH_WEBHOOK_ROTATED: &str =
    "A new secret is made; the old one also signs for 24 hours. Give the receiver the new one.";
pub const FLASH_WEBHOOK_ENABLED: &str = "The endpoint is enabled: waiting changes go out now.";
pub const FLASH_WEBHOOK_DISABLED: &str = "The endpoint is disabled: changes wait for it.";
pub const FLASH_WEBHOOK_DELETED: &str = "The endpoint and its delivery log are deleted.";
pub const FLASH_WEBHOOK_REDELIVER: &str = "The delivery is queued to be sent again.";
pub const FLASH_TOKEN_REVOKED: &str = "The token is revoked: it stops working now.";
pub const FLASH_DISPLAY_REVOKED: &str = "The display token is revoked: its page stops working now.";

pub fn order_advanced(status: booking_core::procurement::OrderStatus) -> String {
    format!("The order is now {status}.")
}

pub fn order_status(s: booking_core::procurement::OrderStatus) -> &'static str {
    use booking_core::procurement::OrderStatus as S;
    match s {
        S::Pending => "Waiting for approval",
        S::Approved => "Approved",
        S::Ordered => "Ordered",
        S::Delivered => "Delivered",
        S::Cancelled => "Cancelled",
    }
}
