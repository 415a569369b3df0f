//! What every method of `Service` shares: the runtime and service behind
//! the handle, running a call with the GIL released, and reading the
//! arguments every method takes (the acting user, roles, policy dicts).

use std::sync::Arc;

use booking_core::store::Store;
use booking_core::{Actor, BookingService, CoreError, Role, RoomPolicy, UserId};
use pyo3::prelude::*;

use crate::errors::{invalid, to_py};
use crate::types::{User, id, py_to_json};

/// The runtime, the service and its store, shared by a `Service`'s calls.
pub(crate) struct Inner {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) svc: BookingService,
    pub(crate) store: Arc<dyn Store>,
}

/// Run `f` on the service's runtime with the GIL released.
pub(crate) fn run<T: Send>(
    py: Python<'_>,
    inner: &Arc<Inner>,
    f: impl AsyncFnOnce(&BookingService) -> Result<T, CoreError> + Send,
) -> PyResult<T> {
    let inner = inner.clone();
    py.detach(move || inner.rt.block_on(f(&inner.svc)))
        .map_err(|e| to_py(py, e))
}

/// The acting user: a `User` or a user id.
pub(crate) fn actor_id(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<UserId> {
    if let Ok(u) = v.extract::<PyRef<'_, User>>() {
        return u
            .id
            .parse()
            .map_err(|_| invalid(py, "actor", "not a user id"));
    }
    id(py, "actor", v)
}

pub(crate) async fn acting(svc: &BookingService, id: UserId) -> Result<Actor, CoreError> {
    Ok(Actor::from(svc.get_user(id).await?))
}

pub(crate) fn role(py: Python<'_>, v: &str) -> PyResult<Role> {
    v.parse()
        .map_err(|e: booking_core::InputError| invalid(py, "role", &e.to_string()))
}

pub(crate) fn read_policy(
    py: Python<'_>,
    v: Option<&Bound<'_, PyAny>>,
    base: RoomPolicy,
) -> PyResult<RoomPolicy> {
    match v {
        None => Ok(base),
        Some(v) => merge_policy(py, &base, py_to_json(py, "policy", v)?),
    }
}

/// `base` with the fields of `patch` replaced.
pub(crate) fn merge_policy(
    py: Python<'_>,
    base: &RoomPolicy,
    patch: serde_json::Value,
) -> PyResult<RoomPolicy> {
    let serde_json::Value::Object(patch) = patch else {
        return Err(invalid(py, "policy", "give a dict of policy fields"));
    };
    let mut merged =
        serde_json::to_value(base).map_err(|e| invalid(py, "policy", &e.to_string()))?;
    if let serde_json::Value::Object(m) = &mut merged {
        m.extend(patch);
    }
    serde_json::from_value(merged).map_err(|e| invalid(py, "policy", &e.to_string()))
}
