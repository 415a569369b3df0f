//! The rules without a database: the overlap test, the first conflict in a
//! list of held intervals, and series expansion in a zone across DST.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;

use crate::errors::{invalid, to_py};
use crate::types::aware;

/// Whether `[a_start, a_end)` and `[b_start, b_end)` overlap (half-open:
/// one ending at 10:00 and one starting at 10:00 do not).
#[pyfunction]
pub fn overlaps(
    py: Python<'_>,
    a_start: &Bound<'_, PyAny>,
    a_end: &Bound<'_, PyAny>,
    b_start: &Bound<'_, PyAny>,
    b_end: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    Ok(booking_core::rules::overlaps(
        aware(py, "a_start", a_start)?,
        aware(py, "a_end", a_end)?,
        aware(py, "b_start", b_start)?,
        aware(py, "b_end", b_end)?,
    ))
}

/// The index of the first `(start, end)` in `held` that overlaps
/// `[start, end)`, or `None`.
#[pyfunction]
pub fn first_conflict(
    py: Python<'_>,
    held: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)>,
    start: &Bound<'_, PyAny>,
    end: &Bound<'_, PyAny>,
) -> PyResult<Option<usize>> {
    let (s, e) = (aware(py, "start", start)?, aware(py, "end", end)?);
    for (i, (hs, he)) in held.iter().enumerate() {
        if booking_core::rules::overlaps(aware(py, "held", hs)?, aware(py, "held", he)?, s, e) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The occurrences of an RFC 5545 rule (`FREQ=WEEKLY;COUNT=4`) from
/// `start`, read as a wall-clock time in `time_zone` and kept across DST
/// changes, up to `until`: a list of `(start, end)` aware UTC datetimes.
#[pyfunction]
pub fn expand_series(
    py: Python<'_>,
    rrule: &str,
    start: &Bound<'_, PyAny>,
    time_zone: &str,
    duration_minutes: u32,
    until: &Bound<'_, PyAny>,
) -> PyResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let tz: chrono_tz::Tz = time_zone
        .parse()
        .map_err(|_| invalid(py, "time_zone", &format!("unknown time zone {time_zone:?}")))?;
    let at = aware(py, "start", start)?;
    let until = aware(py, "until", until)?;
    let local = at.with_timezone(&tz).naive_local();
    let expansion = booking_core::recurrence::expand(rrule, tz, local, duration_minutes, at, until)
        .map_err(|e| to_py(py, e.into()))?;
    Ok(expansion
        .occurrences
        .into_iter()
        .map(|o| (o.start, o.end))
        .collect())
}
