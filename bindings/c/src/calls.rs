//! The exported functions. Each checks its pointers, runs the service call
//! on the handle's runtime and writes results through out-pointers.

use std::ffi::{CStr, CString, c_char};
use std::sync::Arc;

use booking_core::{
    Actor, Booking, BookingId, BookingRequest, BookingService, CoreError, Role, RoomCategory,
    RoomId, RoomPolicy, RoomSpec, SystemClock, UserId,
};
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{BkStatus, from_core, guard, set_error};
use crate::{BkBooking, BkService};

type Result<T> = std::result::Result<T, BkStatus>;

fn invalid(field: &str, rule: &str) -> BkStatus {
    set_error(BkStatus::BkInvalidInput, &format!("{field}: {rule}"))
}

/// A required UTF-8 string argument.
fn text<'a>(ptr: *const c_char, field: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(invalid(field, "must not be NULL"));
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|_| invalid(field, "is not UTF-8"))
}

fn optional_text<'a>(ptr: *const c_char, field: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        text(ptr, field).map(Some)
    }
}

fn parse<T: std::str::FromStr>(ptr: *const c_char, field: &str, what: &str) -> Result<T> {
    text(ptr, field)?
        .trim()
        .parse()
        .map_err(|_| invalid(field, &format!("is not {what}")))
}

fn unix(secs: i64, field: &str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| invalid(field, "is out of range"))
}

fn owned(s: &str) -> *mut c_char {
    CString::new(s.replace('\0', " "))
        .unwrap_or_default()
        .into_raw()
}

/// Write through an out-pointer that must not be NULL.
fn put<T>(out: *mut T, value: T, field: &str) -> Result<()> {
    if out.is_null() {
        return Err(invalid(field, "must not be NULL"));
    }
    // SAFETY: checked non-null; the caller gives a writable location.
    unsafe { out.write(value) };
    Ok(())
}

fn service<'a>(svc: *const BkService) -> Result<&'a BkService> {
    // SAFETY: a handle from `bk_open` that has not been closed, or NULL.
    unsafe { svc.as_ref() }.ok_or_else(|| invalid("svc", "must not be NULL"))
}

fn done(r: Result<()>) -> BkStatus {
    match r {
        Ok(()) => BkStatus::BkOk,
        Err(status) => status,
    }
}

fn core<T>(r: std::result::Result<T, CoreError>) -> Result<T> {
    r.map_err(from_core)
}

impl BkService {
    fn actor(&self, id: *const c_char) -> Result<Actor> {
        let id: UserId = parse(id, "actor_id", "a user id")?;
        let user = core(self.rt.block_on(self.svc.get_user(id)))?;
        Ok(Actor::from(user))
    }
}

/// Open the database a URL names (`sqlite://FILE?mode=rwc` or
/// `postgres://…`), migrating it, and write the handle to `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn bk_open(url: *const c_char, out: *mut *mut BkService) -> BkStatus {
    guard(|| {
        done((|| {
            let url = text(url, "url")?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| set_error(BkStatus::BkInternal, &format!("no runtime: {e}")))?;
            let store = rt
                .block_on(booking_store::open(url))
                .map_err(|e| from_core(e.into()))?;
            let svc = BookingService::new(store.clone(), Arc::new(SystemClock));
            put(
                out,
                Box::into_raw(Box::new(BkService { rt, svc, store })),
                "out",
            )
        })())
    })
}

/// Close the database and free the handle (NULL is ignored).
///
/// # Safety
/// `svc` is NULL or a handle from `bk_open` not closed before; it must not
/// be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bk_close(svc: *mut BkService) {
    let _ = guard(|| {
        if !svc.is_null() {
            // SAFETY: a handle from `bk_open`, closed once.
            let s = unsafe { Box::from_raw(svc) };
            s.rt.block_on(s.store.close());
            let BkService { rt, svc, store } = *s;
            drop(svc);
            drop(store);
            rt.shutdown_timeout(std::time::Duration::from_secs(5));
        }
        BkStatus::BkOk
    });
}

/// Free a string this library returned (NULL is ignored).
///
/// # Safety
/// `s` is NULL or a string this library returned, freed only once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bk_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: a string from `CString::into_raw` in this library, freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Create an account (no password: the embedding portal signs people in).
/// `role` is `user`, `room_admin`, `procurement_officer` or `super_admin`.
/// Writes the new user's id to `*out_id`.
#[unsafe(no_mangle)]
pub extern "C" fn bk_create_user(
    svc: *const BkService,
    email: *const c_char,
    display_name: *const c_char,
    role: *const c_char,
    out_id: *mut *mut c_char,
) -> BkStatus {
    guard(|| {
        done((|| {
            let s = service(svc)?;
            let role: Role = text(role, "role")?
                .parse()
                .map_err(|e: booking_core::InputError| invalid("role", &e.to_string()))?;
            let user = core(s.rt.block_on(s.svc.create_user_via(
                "c",
                text(email, "email")?,
                text(display_name, "display_name")?,
                role,
                None,
            )))?;
            put(out_id, owned(&user.id.to_string()), "out_id")
        })())
    })
}

/// Create a room (super admins). `policy_json` is the room's policy as JSON
/// (`RoomPolicy`, fields as in the REST API; missing fields take their
/// defaults), or NULL for the defaults. Writes the room's id to `*out_id`.
#[unsafe(no_mangle)]
pub extern "C" fn bk_create_room(
    svc: *const BkService,
    actor_id: *const c_char,
    name: *const c_char,
    capacity: u32,
    time_zone: *const c_char,
    policy_json: *const c_char,
    out_id: *mut *mut c_char,
) -> BkStatus {
    guard(|| {
        done((|| {
            let s = service(svc)?;
            let actor = s.actor(actor_id)?;
            let policy: RoomPolicy = match optional_text(policy_json, "policy_json")? {
                None => RoomPolicy::default(),
                Some(j) => serde_json::from_str(j)
                    .map_err(|e| invalid("policy_json", &format!("is not a room policy: {e}")))?,
            };
            let spec = RoomSpec {
                name: text(name, "name")?.to_string(),
                category: RoomCategory::Meeting,
                capacity,
                floor: None,
                location: String::new(),
                amenities: Default::default(),
                time_zone: text(time_zone, "time_zone")?.to_string(),
                active: true,
                policy,
            };
            let room = core(s.rt.block_on(s.svc.create_room(&actor, spec)))?;
            put(out_id, owned(&room.id.to_string()), "out_id")
        })())
    })
}

/// Book `[start, end)` (Unix seconds) of a room for `actor_id`. On
/// `BK_CONFLICT`, `bk_last_conflict` names the booking in the way. Writes
/// the booking's id to `*out_id` (pending when the room needs approval).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn bk_book(
    svc: *const BkService,
    actor_id: *const c_char,
    room_id: *const c_char,
    title: *const c_char,
    attendees: u32,
    start: i64,
    end: i64,
    out_id: *mut *mut c_char,
) -> BkStatus {
    guard(|| {
        done((|| {
            let s = service(svc)?;
            let actor = s.actor(actor_id)?;
            let req = BookingRequest {
                room_id: parse::<RoomId>(room_id, "room_id", "a room id")?,
                title: text(title, "title")?.to_string(),
                purpose: String::new(),
                attendees,
                start: unix(start, "start")?,
                end: unix(end, "end")?,
            };
            let b = core(s.rt.block_on(s.svc.book(&actor, req)))?;
            put(out_id, owned(&b.id.to_string()), "out_id")
        })())
    })
}

/// Cancel a booking (its organizer or a room admin of its room).
#[unsafe(no_mangle)]
pub extern "C" fn bk_cancel(
    svc: *const BkService,
    actor_id: *const c_char,
    booking_id: *const c_char,
) -> BkStatus {
    guard(|| {
        done((|| {
            let s = service(svc)?;
            let actor = s.actor(actor_id)?;
            let id: BookingId = parse(booking_id, "booking_id", "a booking id")?;
            core(s.rt.block_on(s.svc.cancel(&actor, id, None)))?;
            Ok(())
        })())
    })
}

fn to_c(b: Booking, zone: &str) -> BkBooking {
    BkBooking {
        id: owned(&b.id.to_string()),
        room_id: owned(&b.room_id.to_string()),
        organizer_id: owned(&b.organizer_id.to_string()),
        title: owned(&b.title),
        start: b.start.timestamp(),
        end: b.end.timestamp(),
        time_zone: owned(zone),
        status: owned(b.status.as_str()),
        attendees: b.attendees,
    }
}

/// Read a booking; free it with `bk_booking_free`.
#[unsafe(no_mangle)]
pub extern "C" fn bk_get_booking(
    svc: *const BkService,
    booking_id: *const c_char,
    out: *mut *mut BkBooking,
) -> BkStatus {
    guard(|| {
        done((|| {
            let s = service(svc)?;
            let id: BookingId = parse(booking_id, "booking_id", "a booking id")?;
            let b = core(s.rt.block_on(s.svc.get_booking(id)))?;
            let room = core(s.rt.block_on(s.svc.get_room(b.room_id)))?;
            put(
                out,
                Box::into_raw(Box::new(to_c(b, room.time_zone.name()))),
                "out",
            )
        })())
    })
}

/// Free a booking from `bk_get_booking` (NULL is ignored).
///
/// # Safety
/// `b` is NULL or a booking from `bk_get_booking`, freed only once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bk_booking_free(b: *mut BkBooking) {
    if b.is_null() {
        return;
    }
    // SAFETY: a booking from `bk_get_booking`, freed once.
    let b = unsafe { Box::from_raw(b) };
    for s in [
        b.id,
        b.room_id,
        b.organizer_id,
        b.title,
        b.time_zone,
        b.status,
    ] {
        // SAFETY: each field is a string of ours, owned by this booking.
        unsafe { bk_string_free(s) };
    }
}

/// Wall-clock `date` (`YYYY-MM-DD`) at `hour:minute` in `time_zone` as Unix
/// seconds. Refuses times that do not exist there (a DST gap).
#[unsafe(no_mangle)]
pub extern "C" fn bk_local_to_unix(
    time_zone: *const c_char,
    date: *const c_char,
    hour: u32,
    minute: u32,
    out: *mut i64,
) -> BkStatus {
    guard(|| {
        done((|| {
            let tz: chrono_tz::Tz = parse(time_zone, "time_zone", "an IANA time zone")?;
            let day: NaiveDate = parse(date, "date", "a date (YYYY-MM-DD)")?;
            let local = day
                .and_hms_opt(hour, minute, 0)
                .ok_or_else(|| invalid("hour", "give 0-23 and a minute 0-59"))?;
            let at = booking_core::rules::local_to_utc(tz, local).ok_or_else(|| {
                invalid("hour", "this time does not exist in the zone (a DST gap)")
            })?;
            put(out, at.timestamp(), "out")
        })())
    })
}
