//! The OpenAPI document as served: poem-openapi's, plus an `operationId` on
//! every operation and `links` from each operation that creates something
//! to the operations on it, so clients and schemathesis' stateful tests can
//! chain create → read → change → cancel. (poem-openapi has no attribute for
//! links; the document is extended here once, at start-up.)

use std::sync::OnceLock;

use poem::{IntoResponse, Response, handler};
use serde_json::{Value, json};

/// `(method, path)` → operation id: `get /rooms/{id}/bookings` → `getRoomsIdBookings`.
pub fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for word in path.split(['/', '-', '.', '_']).filter(|w| !w.is_empty()) {
        let word = word.trim_matches(['{', '}']);
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.extend(first.to_uppercase());
            id.push_str(chars.as_str());
        }
    }
    id
}

/// An operation that creates something, and the operations on what it made.
struct Creator {
    method: &'static str,
    path: &'static str,
    status: &'static str,
    /// Where the new thing's id is in the answer.
    id: &'static str,
    /// (method, path) of the operations that take that id as `{id}`.
    targets: &'static [(&'static str, &'static str)],
}

const fn creator(
    method: &'static str,
    path: &'static str,
    status: &'static str,
    id: &'static str,
    targets: &'static [(&'static str, &'static str)],
) -> Creator {
    Creator {
        method,
        path,
        status,
        id,
        targets,
    }
}

const LINKS: &[Creator] = &[
    creator(
        "post",
        "/rooms",
        "201",
        "$response.body#/id",
        &[
            ("get", "/rooms/{id}"),
            ("put", "/rooms/{id}"),
            ("delete", "/rooms/{id}"),
            ("get", "/rooms/{id}/policy"),
            ("get", "/rooms/{id}/bookings"),
        ],
    ),
    creator(
        "post",
        "/bookings",
        "201",
        "$response.body#/id",
        &[
            ("get", "/bookings/{id}"),
            ("patch", "/bookings/{id}"),
            ("post", "/bookings/{id}/approve"),
            ("post", "/bookings/{id}/check-in"),
            ("post", "/bookings/{id}/orders"),
            ("post", "/bookings/{id}/cancel"),
        ],
    ),
    creator(
        "post",
        "/series",
        "201",
        "$response.body#/series/id",
        &[
            ("get", "/series/{id}"),
            ("patch", "/series/{id}"),
            ("post", "/series/{id}/cancel"),
        ],
    ),
    creator(
        "post",
        "/bookings/{id}/orders",
        "201",
        "$response.body#/id",
        &[
            ("get", "/orders/{id}"),
            ("post", "/orders/{id}/advance"),
            ("post", "/orders/{id}/cancel"),
        ],
    ),
    creator(
        "post",
        "/waitlist",
        "201",
        "$response.body#/id",
        &[("delete", "/waitlist/{id}")],
    ),
    creator(
        "post",
        "/users",
        "201",
        "$response.body#/id",
        &[("get", "/users/{id}"), ("patch", "/users/{id}")],
    ),
];

/// Add operation ids and links to a poem-openapi document.
pub fn extend(spec: &mut Value) {
    if let Some(paths) = spec["paths"].as_object_mut() {
        for (path, ops) in paths.iter_mut() {
            if let Some(ops) = ops.as_object_mut() {
                for (method, op) in ops.iter_mut() {
                    op["operationId"] = json!(operation_id(method, path));
                }
            }
        }
    }
    for Creator {
        method,
        path,
        status,
        id,
        targets,
    } in LINKS
    {
        let links: serde_json::Map<String, Value> = targets
            .iter()
            .filter(|(m, p)| spec["paths"][*p][*m].is_object())
            .map(|(m, p)| {
                let op = operation_id(m, p);
                (
                    op.clone(),
                    json!({"operationId": op, "parameters": {"id": id}}),
                )
            })
            .collect();
        let response = &mut spec["paths"][*path][*method]["responses"][*status];
        if response.is_object() {
            response["links"] = Value::Object(links);
        }
    }
}

/// `GET /api/openapi.json`.
#[handler]
pub fn document() -> Response {
    static DOC: OnceLock<String> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        let mut spec: Value = serde_json::from_str(&super::service().spec()).unwrap_or_default();
        extend(&mut spec);
        spec.to_string()
    });
    doc.clone()
        .with_content_type("application/json; charset=utf-8")
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_an_id_and_creators_link_to_what_they_made() {
        assert_eq!(
            operation_id("get", "/rooms/{id}/bookings"),
            "getRoomsIdBookings"
        );
        assert_eq!(
            operation_id("get", "/orders/report.csv"),
            "getOrdersReportCsv"
        );
        let mut spec: Value = serde_json::from_str(&crate::api::service().spec()).expect("spec");
        extend(&mut spec);
        let mut ids = std::collections::BTreeSet::new();
        for ops in spec["paths"].as_object().expect("paths").values() {
            for op in ops.as_object().expect("ops").values() {
                let id = op["operationId"].as_str().expect("id").to_string();
                assert!(ids.insert(id.clone()), "{id} twice");
            }
        }
        for Creator {
            method,
            path,
            status,
            targets,
            ..
        } in LINKS
        {
            let links = &spec["paths"][*path][*method]["responses"][*status]["links"];
            assert_eq!(
                links.as_object().map(|l| l.len()),
                Some(targets.len()),
                "{method} {path}: {links}"
            );
            for link in links.as_object().expect("links").values() {
                let target = link["operationId"].as_str().expect("target");
                assert!(ids.contains(target), "{target}");
            }
        }
    }
}
