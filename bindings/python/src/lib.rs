//! `booking._booking`: the native half of the Python package `booking`
//! (pyo3). The Python half (`python/booking`) re-exports it and adds the
//! asyncio API; `_booking.pyi` types both.

mod errors;
mod handle;
mod json;
mod open;
mod pure;
mod service;
mod types;

use pyo3::prelude::*;

#[pymodule]
fn _booking(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<service::Service>()?;
    m.add_class::<types::User>()?;
    m.add_class::<types::Room>()?;
    m.add_class::<types::Booking>()?;
    m.add_class::<types::FreeSlot>()?;
    m.add_class::<types::RoomFit>()?;
    m.add_class::<types::SeriesResult>()?;
    m.add_class::<types::SkippedOccurrence>()?;
    m.add_class::<types::WaitlistEntry>()?;
    m.add_function(wrap_pyfunction!(open::open, m)?)?;
    m.add_function(wrap_pyfunction!(pure::overlaps, m)?)?;
    m.add_function(wrap_pyfunction!(pure::first_conflict, m)?)?;
    m.add_function(wrap_pyfunction!(pure::expand_series, m)?)?;
    Ok(())
}
