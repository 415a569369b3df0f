//! JSON values handed to Python as `json.loads` would give them.

use pyo3::prelude::*;

/// A JSON value as the Python value `json.loads` would give.
pub fn json_to_py(py: Python<'_>, v: &serde_json::Value) -> Py<PyAny> {
    let text = v.to_string();
    py.import("json")
        .and_then(|j| j.call_method1("loads", (text,)))
        .map(Bound::unbind)
        .unwrap_or_else(|_| py.None())
}
