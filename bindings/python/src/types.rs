//! What the service returns, as read-only Python objects, and the
//! conversions of arguments: aware datetimes (naive ones are refused), ids,
//! JSON-shaped dicts.

use booking_core::availability::{RoomMatch, Slot};
use booking_core::recurrence::Skipped;
use booking_core::workflow::SeriesOutcome;
use chrono::{DateTime, Utc};
use pyo3::prelude::*;

use crate::errors::invalid;
use crate::json::json_to_py;

/// An aware `datetime` as UTC; a naive one is an `InvalidInput` naming `field`.
pub fn aware(py: Python<'_>, field: &str, v: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    let naive = v.getattr("tzinfo").map(|t| t.is_none()).unwrap_or(true)
        || v.call_method0("utcoffset")
            .map(|o| o.is_none())
            .unwrap_or(true);
    if naive {
        return Err(invalid(
            py,
            field,
            "give a timezone-aware datetime (a naive one has no zone to read it in), \
             e.g. datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo(\"Europe/Berlin\"))",
        ));
    }
    // Through Python's own arithmetic, so any tzinfo (zoneinfo, pytz, …) works.
    let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
    v.call_method1("astimezone", (utc,))
        .and_then(|u| u.extract::<DateTime<Utc>>())
        .map_err(|_| invalid(py, field, "give a datetime.datetime"))
}

/// An optional aware datetime.
pub fn opt_aware(
    py: Python<'_>,
    field: &str,
    v: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<DateTime<Utc>>> {
    v.filter(|v| !v.is_none())
        .map(|v| aware(py, field, v))
        .transpose()
}

/// An id (`str` or a UUID object) of type `T`.
pub fn id<T: std::str::FromStr>(py: Python<'_>, field: &str, v: &Bound<'_, PyAny>) -> PyResult<T> {
    let text = v.str()?.to_string();
    text.trim()
        .parse()
        .map_err(|_| invalid(py, field, &format!("{text:?} is not an id")))
}

/// A dict (or anything `json.dumps` takes) as a JSON value.
pub fn py_to_json(
    py: Python<'_>,
    field: &str,
    v: &Bound<'_, PyAny>,
) -> PyResult<serde_json::Value> {
    let text: String = py
        .import("json")?
        .call_method1("dumps", (v,))
        .map_err(|e| invalid(py, field, &format!("is not JSON-shaped: {e}")))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| invalid(py, field, &e.to_string()))
}

/// An account.
#[pyclass(frozen, get_all, module = "booking")]
#[derive(Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    /// `user`, `room_admin`, `procurement_officer` or `super_admin`.
    pub role: String,
    pub assigned_rooms: Vec<String>,
    pub active: bool,
}

impl From<booking_core::User> for User {
    fn from(u: booking_core::User) -> Self {
        Self {
            id: u.id.to_string(),
            role: u.role.to_string(),
            assigned_rooms: u.assigned_rooms.iter().map(ToString::to_string).collect(),
            active: u.active,
            email: u.email.into(),
            display_name: u.display_name,
        }
    }
}

#[pymethods]
impl User {
    fn __repr__(&self) -> String {
        format!(
            "User(id={:?}, email={:?}, role={:?})",
            self.id, self.email, self.role
        )
    }
}

/// A room and its policy.
#[pyclass(frozen, module = "booking")]
#[derive(Clone)]
pub struct Room {
    #[pyo3(get)]
    pub id: String,
    #[pyo3(get)]
    pub name: String,
    #[pyo3(get)]
    pub category: String,
    #[pyo3(get)]
    pub capacity: u32,
    #[pyo3(get)]
    pub floor: Option<i32>,
    #[pyo3(get)]
    pub location: String,
    #[pyo3(get)]
    pub amenities: Vec<String>,
    /// IANA zone name.
    #[pyo3(get)]
    pub time_zone: String,
    #[pyo3(get)]
    pub active: bool,
    #[pyo3(get)]
    pub deleted: bool,
    policy_json: String,
}

impl From<booking_core::Room> for Room {
    fn from(r: booking_core::Room) -> Self {
        Self {
            id: r.id.to_string(),
            category: r.category.to_string(),
            capacity: r.capacity,
            floor: r.floor,
            amenities: r.amenities.iter().cloned().collect(),
            time_zone: r.time_zone.name().to_string(),
            active: r.active,
            deleted: r.deleted_at.is_some(),
            policy_json: serde_json::to_string(&r.policy).unwrap_or_default(),
            name: r.name,
            location: r.location,
        }
    }
}

#[pymethods]
impl Room {
    /// The policy as a dict (fields as in the REST API).
    #[getter]
    fn policy(&self, py: Python<'_>) -> Py<PyAny> {
        let v: serde_json::Value = serde_json::from_str(&self.policy_json).unwrap_or_default();
        json_to_py(py, &v)
    }

    fn __repr__(&self) -> String {
        format!(
            "Room(id={:?}, name={:?}, time_zone={:?})",
            self.id, self.name, self.time_zone
        )
    }
}

/// A booking. Times are aware UTC datetimes.
#[pyclass(frozen, get_all, module = "booking")]
#[derive(Clone)]
pub struct Booking {
    pub id: String,
    pub room_id: String,
    pub organizer_id: String,
    pub title: String,
    pub purpose: String,
    pub attendees: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `pending`, `approved`, `rejected` or `cancelled`.
    pub status: String,
    pub series_id: Option<String>,
    pub approver_id: Option<String>,
    pub decision_reason: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub no_show: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<booking_core::Booking> for Booking {
    fn from(b: booking_core::Booking) -> Self {
        Self {
            id: b.id.to_string(),
            room_id: b.room_id.to_string(),
            organizer_id: b.organizer_id.to_string(),
            attendees: b.attendees,
            start: b.start,
            end: b.end,
            status: b.status.to_string(),
            series_id: b.series_id.map(|s| s.to_string()),
            approver_id: b.approver_id.map(|s| s.to_string()),
            checked_in_at: b.checked_in_at,
            no_show: b.no_show,
            created_at: b.created_at,
            updated_at: b.updated_at,
            title: b.title,
            purpose: b.purpose,
            decision_reason: b.decision_reason,
        }
    }
}

#[pymethods]
impl Booking {
    fn __repr__(&self) -> String {
        format!(
            "Booking(id={:?}, title={:?}, start={}, end={}, status={:?})",
            self.id,
            self.title,
            self.start.to_rfc3339(),
            self.end.to_rfc3339(),
            self.status
        )
    }
}

/// A free interval of a room.
#[pyclass(frozen, get_all, module = "booking")]
#[derive(Clone)]
pub struct FreeSlot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl From<Slot> for FreeSlot {
    fn from(s: Slot) -> Self {
        Self {
            start: s.start,
            end: s.end,
        }
    }
}

/// A room that fits a search, best first.
#[pyclass(frozen, get_all, module = "booking")]
#[derive(Clone)]
pub struct RoomFit {
    pub room: Room,
    /// Seats beyond what was asked for.
    pub spare_seats: u32,
}

impl From<RoomMatch> for RoomFit {
    fn from(m: RoomMatch) -> Self {
        Self {
            room: m.room.into(),
            spare_seats: m.spare_seats,
        }
    }
}

/// An occurrence of a series that could not be booked.
#[pyclass(frozen, get_all, module = "booking")]
#[derive(Clone)]
pub struct SkippedOccurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The rule that refused it.
    pub rule: String,
    pub reason: String,
}

impl From<Skipped> for SkippedOccurrence {
    fn from(s: Skipped) -> Self {
        Self {
            start: s.start,
            end: s.end,
            rule: s.violation.rule().to_string(),
            reason: s.violation.to_string(),
        }
    }
}

/// What booking a series did.
#[pyclass(frozen, get_all, module = "booking")]
#[derive(Clone)]
pub struct SeriesResult {
    pub series_id: String,
    pub booked: Vec<Booking>,
    pub skipped: Vec<SkippedOccurrence>,
    /// The rule ran past the booking window and was cut there.
    pub trimmed: bool,
}

impl From<SeriesOutcome> for SeriesResult {
    fn from(o: SeriesOutcome) -> Self {
        Self {
            series_id: o.series.id.to_string(),
            booked: o.booked.into_iter().map(Into::into).collect(),
            skipped: o.skipped.into_iter().map(Into::into).collect(),
            trimmed: o.trimmed,
        }
    }
}

/// A place in a room's waitlist.
#[pyclass(frozen, get_all, module = "booking")]
#[derive(Clone)]
pub struct WaitlistEntry {
    pub id: String,
    pub room_id: String,
    pub user_id: String,
    pub title: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub active: bool,
    /// The booking made when the slot freed up.
    pub booking_id: Option<String>,
}

impl From<booking_core::WaitlistEntry> for WaitlistEntry {
    fn from(e: booking_core::WaitlistEntry) -> Self {
        Self {
            id: e.id.to_string(),
            room_id: e.room_id.to_string(),
            user_id: e.user_id.to_string(),
            start: e.start,
            end: e.end,
            active: e.active,
            booking_id: e.booking_id.map(|b| b.to_string()),
            title: e.title,
        }
    }
}
