//! `booking.Service`: the booking service over one database. Every call
//! releases the GIL while the service and the database work, so threads
//! really run side by side (and race for a slot as the server's requests do).

use std::collections::BTreeSet;
use std::sync::Arc;

use booking_core::availability::RoomQuery;
use booking_core::store::BookingFilter;
use booking_core::{
    BookingChanges, BookingId, BookingRequest, RoomId, RoomPolicy, RoomSpec, SeriesRequest, UserId,
    WaitlistId,
};
use chrono::{DateTime, NaiveDate, Utc};
use pyo3::prelude::*;

use crate::errors::{invalid, to_py};
use crate::handle::{Inner, acting, actor_id, merge_policy, read_policy, role, run};
use crate::types::{
    Booking, FreeSlot, Room, RoomFit, SeriesResult, User, WaitlistEntry, aware, id, opt_aware,
    py_to_json,
};

/// The booking service over one database (the server's schema: what is
/// booked here the server sees, and the other way round).
#[pyclass(frozen, module = "booking")]
pub struct Service {
    pub(crate) inner: Arc<Inner>,
}

#[pymethods]
impl Service {
    /// Close the database connections. The service is unusable afterwards.
    fn close(&self, py: Python<'_>) {
        let inner = self.inner.clone();
        py.detach(move || inner.rt.block_on(inner.store.close()));
    }

    // ---- users ------------------------------------------------------------

    /// Create an account (no password: your portal signs people in).
    #[pyo3(signature = (email, display_name, role = "user"))]
    fn create_user(
        &self,
        py: Python<'_>,
        email: String,
        display_name: String,
        role: &str,
    ) -> PyResult<User> {
        let role = self::role(py, role)?;
        run(py, &self.inner, async move |s| {
            s.create_user_via("python", &email, &display_name, role, None)
                .await
        })
        .map(Into::into)
    }

    /// The account with this e-mail address, or `None` (how a portal maps
    /// its own signed-in people to booking users).
    fn user_by_email(&self, py: Python<'_>, email: String) -> PyResult<Option<User>> {
        let inner = self.inner.clone();
        let found = py
            .detach(move || {
                inner.rt.block_on(
                    inner
                        .store
                        .get_user_by_email(&email.trim().to_ascii_lowercase()),
                )
            })
            .map_err(|e| to_py(py, e.into()))?;
        Ok(found.map(Into::into))
    }

    fn get_user(&self, py: Python<'_>, user_id: &Bound<'_, PyAny>) -> PyResult<User> {
        let uid: UserId = id(py, "user_id", user_id)?;
        run(py, &self.inner, async move |s| s.get_user(uid).await).map(Into::into)
    }

    /// Change a user's role, assigned rooms, name or active flag (super admins).
    #[pyo3(signature = (actor, user_id, *, role = None, assigned_rooms = None, display_name = None, active = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_user(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        user_id: &Bound<'_, PyAny>,
        role: Option<&str>,
        assigned_rooms: Option<Vec<Bound<'_, PyAny>>>,
        display_name: Option<String>,
        active: Option<bool>,
    ) -> PyResult<User> {
        let who = actor_id(py, actor)?;
        let uid: UserId = id(py, "user_id", user_id)?;
        let role = role.map(|r| self::role(py, r)).transpose()?;
        let rooms: Option<BTreeSet<RoomId>> = assigned_rooms
            .map(|v| v.iter().map(|r| id(py, "assigned_rooms", r)).collect())
            .transpose()?;
        run(py, &self.inner, async move |s| {
            let a = acting(s, who).await?;
            let before = s.get_user(uid).await?;
            let after = booking_core::User {
                role: role.unwrap_or(before.role),
                assigned_rooms: rooms.unwrap_or_else(|| before.assigned_rooms.clone()),
                display_name: display_name.unwrap_or_else(|| before.display_name.clone()),
                active: active.unwrap_or(before.active),
                ..before
            };
            s.update_user(&a, after).await
        })
        .map(Into::into)
    }

    // ---- rooms ------------------------------------------------------------

    /// Create a room (super admins). `policy` is a dict of policy fields as
    /// in the REST API (`{"approval_required": True, "business_hours": …}`);
    /// fields left out take their defaults.
    #[pyo3(signature = (actor, name, capacity, time_zone, *, category = "meeting", floor = None, location = String::new(), amenities = Vec::new(), active = true, policy = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_room(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        name: String,
        capacity: u32,
        time_zone: String,
        category: &str,
        floor: Option<i32>,
        location: String,
        amenities: Vec<String>,
        active: bool,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Room> {
        let who = actor_id(py, actor)?;
        let policy = read_policy(py, policy, RoomPolicy::default())?;
        let category = category
            .parse()
            .map_err(|e: booking_core::InputError| invalid(py, "category", &e.to_string()))?;
        let spec = RoomSpec {
            name,
            category,
            capacity,
            floor,
            location,
            amenities: amenities.into_iter().collect(),
            time_zone,
            active,
            policy,
        };
        run(py, &self.inner, async move |s| {
            s.create_room(&acting(s, who).await?, spec).await
        })
        .map(Into::into)
    }

    /// Change a room; `policy` fields given replace the room's, the rest stay.
    #[pyo3(signature = (actor, room_id, *, name = None, capacity = None, time_zone = None, location = None, active = None, policy = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_room(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        room_id: &Bound<'_, PyAny>,
        name: Option<String>,
        capacity: Option<u32>,
        time_zone: Option<String>,
        location: Option<String>,
        active: Option<bool>,
        policy: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Room> {
        let who = actor_id(py, actor)?;
        let rid: RoomId = id(py, "room_id", room_id)?;
        let patch = policy.map(|p| py_to_json(py, "policy", p)).transpose()?;
        let room = run(py, &self.inner, async move |s| s.get_room(rid).await)?;
        let policy = match patch {
            None => room.policy.clone(),
            Some(p) => merge_policy(py, &room.policy, p)?,
        };
        let spec = RoomSpec {
            name: name.unwrap_or_else(|| room.name.clone()),
            category: room.category,
            capacity: capacity.unwrap_or(room.capacity),
            floor: room.floor,
            location: location.unwrap_or_else(|| room.location.clone()),
            amenities: room.amenities.clone(),
            time_zone: time_zone.unwrap_or_else(|| room.time_zone.name().to_string()),
            active: active.unwrap_or(room.active),
            policy,
        };
        run(py, &self.inner, async move |s| {
            s.update_room(&acting(s, who).await?, rid, spec).await
        })
        .map(Into::into)
    }

    /// Soft-delete a room (its bookings stay); `restore_room` undoes it.
    fn delete_room(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        room_id: &Bound<'_, PyAny>,
    ) -> PyResult<Room> {
        self.set_deleted(py, actor, room_id, true)
    }

    fn restore_room(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        room_id: &Bound<'_, PyAny>,
    ) -> PyResult<Room> {
        self.set_deleted(py, actor, room_id, false)
    }

    fn get_room(&self, py: Python<'_>, room_id: &Bound<'_, PyAny>) -> PyResult<Room> {
        let rid: RoomId = id(py, "room_id", room_id)?;
        run(py, &self.inner, async move |s| s.get_room(rid).await).map(Into::into)
    }

    #[pyo3(signature = (include_deleted = false))]
    fn list_rooms(&self, py: Python<'_>, include_deleted: bool) -> PyResult<Vec<Room>> {
        run(py, &self.inner, async move |s| {
            s.list_rooms(booking_core::RoomListing::from_include_deleted(
                include_deleted,
            ))
            .await
        })
        .map(|v| v.into_iter().map(Into::into).collect())
    }

    // ---- bookings ---------------------------------------------------------

    /// Book `[start, end)` of a room: every rule applies (conflicts with
    /// buffers, business hours, window, durations, capacity, roles, quotas).
    #[pyo3(signature = (actor, room_id, title, start, end, attendees = 1, purpose = String::new()))]
    #[allow(clippy::too_many_arguments)]
    fn book(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        room_id: &Bound<'_, PyAny>,
        title: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        attendees: u32,
        purpose: String,
    ) -> PyResult<Booking> {
        let who = actor_id(py, actor)?;
        let req = request(py, room_id, title, start, end, attendees, purpose)?;
        run(py, &self.inner, async move |s| {
            s.book(&acting(s, who).await?, req).await
        })
        .map(Into::into)
    }

    /// Book a recurring series from `start` (its wall-clock time in the
    /// room's zone is kept across DST) with an RFC 5545 rule such as
    /// `FREQ=WEEKLY;COUNT=10`.
    #[pyo3(signature = (actor, room_id, title, start, duration_minutes, rrule, attendees = 1, purpose = String::new()))]
    #[allow(clippy::too_many_arguments)]
    fn book_series(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        room_id: &Bound<'_, PyAny>,
        title: String,
        start: &Bound<'_, PyAny>,
        duration_minutes: u32,
        rrule: String,
        attendees: u32,
        purpose: String,
    ) -> PyResult<SeriesResult> {
        let who = actor_id(py, actor)?;
        let rid: RoomId = id(py, "room_id", room_id)?;
        let at = aware(py, "start", start)?;
        run(py, &self.inner, async move |s| {
            let room = s.get_room(rid).await?;
            let req = SeriesRequest {
                room_id: rid,
                title,
                purpose,
                attendees,
                local_start: at.with_timezone(&room.time_zone).naive_local(),
                duration_minutes,
                rrule,
            };
            s.book_series(&acting(s, who).await?, req).await
        })
        .map(Into::into)
    }

    fn get_booking(&self, py: Python<'_>, booking_id: &Bound<'_, PyAny>) -> PyResult<Booking> {
        let bid: BookingId = id(py, "booking_id", booking_id)?;
        run(py, &self.inner, async move |s| s.get_booking(bid).await).map(Into::into)
    }

    /// Bookings, filtered; `start`/`end` select those overlapping the range.
    #[pyo3(signature = (*, room_id = None, organizer_id = None, start = None, end = None))]
    fn list_bookings(
        &self,
        py: Python<'_>,
        room_id: Option<&Bound<'_, PyAny>>,
        organizer_id: Option<&Bound<'_, PyAny>>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Booking>> {
        let filter = BookingFilter {
            room_id: room_id.map(|r| id(py, "room_id", r)).transpose()?,
            organizer_id: organizer_id
                .map(|r| id(py, "organizer_id", r))
                .transpose()?,
            from: opt_aware(py, "start", start)?,
            to: opt_aware(py, "end", end)?,
            ..Default::default()
        };
        run(py, &self.inner, async move |s| {
            s.list_bookings(&filter).await
        })
        .map(|v| v.into_iter().map(Into::into).collect())
    }

    /// Change a booking; a move is checked by every rule again.
    #[pyo3(signature = (actor, booking_id, *, title = None, purpose = None, attendees = None, start = None, end = None))]
    #[allow(clippy::too_many_arguments)]
    fn update(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        booking_id: &Bound<'_, PyAny>,
        title: Option<String>,
        purpose: Option<String>,
        attendees: Option<u32>,
        start: Option<&Bound<'_, PyAny>>,
        end: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Booking> {
        let who = actor_id(py, actor)?;
        let bid: BookingId = id(py, "booking_id", booking_id)?;
        let changes = BookingChanges {
            title,
            purpose,
            attendees,
            start: opt_aware(py, "start", start)?,
            end: opt_aware(py, "end", end)?,
        };
        run(py, &self.inner, async move |s| {
            s.update_booking(&acting(s, who).await?, bid, changes).await
        })
        .map(Into::into)
    }

    #[pyo3(signature = (actor, booking_id, reason = None))]
    fn cancel(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        booking_id: &Bound<'_, PyAny>,
        reason: Option<String>,
    ) -> PyResult<Booking> {
        let who = actor_id(py, actor)?;
        let bid: BookingId = id(py, "booking_id", booking_id)?;
        run(py, &self.inner, async move |s| {
            s.cancel(&acting(s, who).await?, bid, reason).await
        })
        .map(Into::into)
    }

    #[pyo3(signature = (actor, booking_id, reason = None))]
    fn approve(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        booking_id: &Bound<'_, PyAny>,
        reason: Option<String>,
    ) -> PyResult<Booking> {
        let who = actor_id(py, actor)?;
        let bid: BookingId = id(py, "booking_id", booking_id)?;
        run(py, &self.inner, async move |s| {
            s.approve(&acting(s, who).await?, bid, reason).await
        })
        .map(Into::into)
    }

    fn reject(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        booking_id: &Bound<'_, PyAny>,
        reason: String,
    ) -> PyResult<Booking> {
        let who = actor_id(py, actor)?;
        let bid: BookingId = id(py, "booking_id", booking_id)?;
        run(py, &self.inner, async move |s| {
            s.reject(&acting(s, who).await?, bid, Some(reason)).await
        })
        .map(Into::into)
    }

    /// Pending bookings of the rooms `actor` approves for.
    fn approval_queue(&self, py: Python<'_>, actor: &Bound<'_, PyAny>) -> PyResult<Vec<Booking>> {
        let who = actor_id(py, actor)?;
        run(py, &self.inner, async move |s| {
            s.approval_queue(&acting(s, who).await?.user).await
        })
        .map(|v| v.into_iter().map(Into::into).collect())
    }

    /// Check in (the organizer, or anyone with the room's code) inside the window.
    #[pyo3(signature = (actor, booking_id, code = None))]
    fn check_in(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        booking_id: &Bound<'_, PyAny>,
        code: Option<String>,
    ) -> PyResult<Booking> {
        let who = actor_id(py, actor)?;
        let bid: BookingId = id(py, "booking_id", booking_id)?;
        run(py, &self.inner, async move |s| {
            s.check_in(&acting(s, who).await?, bid, code.as_deref())
                .await
        })
        .map(Into::into)
    }

    // ---- availability -----------------------------------------------------

    /// The free intervals of a room on a local date (a `datetime.date`).
    fn free_slots(
        &self,
        py: Python<'_>,
        room_id: &Bound<'_, PyAny>,
        date: NaiveDate,
    ) -> PyResult<Vec<FreeSlot>> {
        let rid: RoomId = id(py, "room_id", room_id)?;
        run(py, &self.inner, async move |s| {
            s.free_slots(rid, date).await
        })
        .map(|v| v.into_iter().map(Into::into).collect())
    }

    /// Rooms `actor` could book for `[start, end)` now, best fit first.
    #[pyo3(signature = (actor, start, end, min_capacity = 1, amenities = Vec::new()))]
    fn find_rooms(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        min_capacity: u32,
        amenities: Vec<String>,
    ) -> PyResult<Vec<RoomFit>> {
        let who = actor_id(py, actor)?;
        let query = RoomQuery {
            start: aware(py, "start", start)?,
            end: aware(py, "end", end)?,
            min_capacity,
            amenities,
        };
        run(py, &self.inner, async move |s| {
            let a = acting(s, who).await?;
            s.find_rooms(&a, &query).await
        })
        .map(|v| v.into_iter().map(Into::into).collect())
    }

    // ---- waitlist ---------------------------------------------------------

    /// Queue for a taken slot; it is booked for `actor` when it frees up.
    #[pyo3(signature = (actor, room_id, title, start, end, attendees = 1, purpose = String::new()))]
    #[allow(clippy::too_many_arguments)]
    fn join_waitlist(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        room_id: &Bound<'_, PyAny>,
        title: String,
        start: &Bound<'_, PyAny>,
        end: &Bound<'_, PyAny>,
        attendees: u32,
        purpose: String,
    ) -> PyResult<WaitlistEntry> {
        let who = actor_id(py, actor)?;
        let req = request(py, room_id, title, start, end, attendees, purpose)?;
        run(py, &self.inner, async move |s| {
            s.join_waitlist(&acting(s, who).await?, req).await
        })
        .map(Into::into)
    }

    fn leave_waitlist(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        entry_id: &Bound<'_, PyAny>,
    ) -> PyResult<WaitlistEntry> {
        let who = actor_id(py, actor)?;
        let wid: WaitlistId = id(py, "entry_id", entry_id)?;
        run(py, &self.inner, async move |s| {
            s.leave_waitlist(&acting(s, who).await?, wid).await
        })
        .map(Into::into)
    }

    fn my_waitlist(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<WaitlistEntry>> {
        let who = actor_id(py, actor)?;
        run(py, &self.inner, async move |s| {
            s.my_waitlist(&acting(s, who).await?).await
        })
        .map(|v| v.into_iter().map(Into::into).collect())
    }

    /// The current time as the service sees it (aware, UTC).
    fn now(&self) -> DateTime<Utc> {
        self.inner.svc.now()
    }
}

impl Service {
    fn set_deleted(
        &self,
        py: Python<'_>,
        actor: &Bound<'_, PyAny>,
        room_id: &Bound<'_, PyAny>,
        deleted: bool,
    ) -> PyResult<Room> {
        let who = actor_id(py, actor)?;
        let rid: RoomId = id(py, "room_id", room_id)?;
        run(py, &self.inner, async move |s| {
            let a = acting(s, who).await?;
            if deleted {
                s.delete_room(&a, rid).await
            } else {
                s.restore_room(&a, rid).await
            }
        })
        .map(Into::into)
    }
}

/// A booking request from `book`'s and `join_waitlist`'s arguments.
fn request(
    py: Python<'_>,
    room_id: &Bound<'_, PyAny>,
    title: String,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
    attendees: u32,
    purpose: String,
) -> PyResult<BookingRequest> {
    Ok(BookingRequest {
        room_id: id(py, "room_id", room_id)?,
        title,
        purpose,
        attendees,
        start: aware(py, "start", start)?,
        end: aware(py, "end", end)?,
    })
}
