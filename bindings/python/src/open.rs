//! `booking.open(url)`: the database, its runtime and a [`Service`] over them.

use std::sync::Arc;

use booking_core::{BookingService, SystemClock};
use pyo3::prelude::*;

use crate::errors::to_py;
use crate::handle::Inner;
use crate::service::Service;

/// Open the database a URL names — `sqlite:///path/rooms.db` (created when
/// missing) or `postgresql://user@host/db` — and migrate it.
#[pyfunction]
pub fn open(py: Python<'_>, url: &str) -> PyResult<Service> {
    let url = match url.strip_prefix("sqlite:///") {
        // Python's spelling (three slashes, like SQLAlchemy) → sqlx's.
        Some(path) if !path.contains("mode=") => format!("sqlite:///{path}?mode=rwc"),
        _ => url.to_string(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| crate::errors::BookingError::new_err(format!("no runtime: {e}")))?;
    let store = py
        .detach(|| rt.block_on(booking_store::open(&url)))
        .map_err(|e| to_py(py, e.into()))?;
    let svc = BookingService::new(store.clone(), Arc::new(SystemClock));
    Ok(Service {
        inner: Arc::new(Inner { rt, svc, store }),
    })
}
