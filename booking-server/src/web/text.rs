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
