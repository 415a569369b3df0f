//! The exceptions Python sees, one per kind of refusal, with the details a
//! caller acts on as attributes (`.field`, `.rule`, `.limits`, the
//! conflicting booking's `.booking_id`, `.start`, `.end`).

use booking_core::{CoreError, RuleViolation as Rule};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    booking,
    BookingError,
    PyException,
    "Any refusal of the booking service."
);
create_exception!(
    booking,
    InvalidInput,
    BookingError,
    "An argument breaks a field rule; `.field` names it."
);
create_exception!(
    booking,
    NotFound,
    BookingError,
    "No such room, user, booking or entry."
);
create_exception!(
    booking,
    Forbidden,
    BookingError,
    "The actor may not do this."
);
create_exception!(
    booking,
    RuleViolation,
    BookingError,
    "A booking rule refused; `.rule` names it (as the REST API does) and `.limits` holds its values."
);
create_exception!(
    booking,
    ConflictError,
    RuleViolation,
    "The room is taken: `.booking_id`, `.start` and `.end` describe the booking in the way."
);
create_exception!(
    booking,
    StaleError,
    BookingError,
    "The record changed meanwhile, or its state does not allow this (e.g. cancelling twice)."
);
create_exception!(
    booking,
    Unavailable,
    BookingError,
    "The database cannot be reached; nothing was changed."
);

/// An `InvalidInput` about `field`.
pub fn invalid(py: Python<'_>, field: &str, reason: &str) -> PyErr {
    let e = InvalidInput::new_err(format!("{field}: {reason}"));
    let _ = e.value(py).setattr("field", field);
    e
}

fn rule_error(py: Python<'_>, r: &Rule) -> PyErr {
    let message = format!("{r} ({})", r.rule());
    let e = match r {
        Rule::Conflict { .. } => ConflictError::new_err(message),
        _ => RuleViolation::new_err(message),
    };
    let v = e.value(py);
    let _ = v.setattr("rule", r.rule());
    let limits = PyDict::new(py);
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(r) {
        for (k, val) in map {
            if k == "rule" {
                continue;
            }
            let _ = limits.set_item(k, crate::json::json_to_py(py, &val));
        }
    }
    let _ = v.setattr("limits", limits);
    if let Rule::Conflict {
        booking_id,
        start,
        end,
    } = r
    {
        let _ = v.setattr("booking_id", booking_id.to_string());
        let _ = v.setattr("start", *start);
        let _ = v.setattr("end", *end);
    }
    e
}

/// The Python exception for a core error.
pub fn to_py(py: Python<'_>, err: CoreError) -> PyErr {
    match &err {
        CoreError::Input(i) => invalid(py, i.field(), &i.to_string()),
        CoreError::Rule(r) => rule_error(py, r),
        CoreError::SeriesDeclined(d) => {
            let e = RuleViolation::new_err(err.to_string());
            let v = e.value(py);
            let _ = v.setattr("rule", "series_declined");
            let _ = v.setattr("limits", PyDict::new(py));
            let _ = v.setattr("skipped", d.skipped.len());
            e
        }
        CoreError::NotFound { .. } => NotFound::new_err(err.to_string()),
        CoreError::Forbidden(_) | CoreError::RoleDenied { .. } => {
            Forbidden::new_err(err.to_string())
        }
        CoreError::InvalidTransition { .. }
        | CoreError::Stale(_)
        | CoreError::WrongState(_)
        | CoreError::AlreadyExists(_) => StaleError::new_err(err.to_string()),
        CoreError::Store(s) if s.is_unavailable() => Unavailable::new_err(err.to_string()),
        CoreError::Store(_) => BookingError::new_err(err.to_string()),
    }
}

/// Add the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("BookingError", py.get_type::<BookingError>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("Forbidden", py.get_type::<Forbidden>())?;
    m.add("RuleViolation", py.get_type::<RuleViolation>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("StaleError", py.get_type::<StaleError>())?;
    m.add("Unavailable", py.get_type::<Unavailable>())?;
    Ok(())
}
