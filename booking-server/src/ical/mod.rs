//! iCalendar feeds that Outlook, Google, Apple and Thunderbird subscribe to:
//! per room, per user ("my bookings") and all rooms, plus VFREEBUSY.
//!
//! Access is by the user's secret feed token (`?token=`), which they can
//! rotate; a room may also publish its feed without a token. Series are one
//! VEVENT with RRULE and EXDATE (dates not booked or cancelled) plus a
//! RECURRENCE-ID override for every occurrence that differs.
//!
//! `render` writes the iCalendar text of feeds (pure but for the series it
//! reads); `http` serves feeds and free/busy with their ETags, tokens and
//! kept copies.

mod http;
mod render;

pub use http::{
    FeedQuery, all_feed, mailbox_freebusy, my_feed, room_busy, room_feed, room_freebusy,
};
pub(crate) use http::{etag, not_modified};
pub(crate) use render::{Feed, Sight, bookings, host, render, rooms_map, sight_for, window};

/// The PRODID of every calendar the server writes.
pub const PRODID: &str = "-//Room booking//booking-server//EN";
