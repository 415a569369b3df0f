//! Operations: health and readiness probes, Prometheus metrics, and the
//! middleware every response passes through (request id, logs, metrics,
//! security headers, problem+json for every error).

use std::sync::Arc;
use std::time::Instant;

use poem::PathPattern;
use poem::http::{HeaderValue, StatusCode};
use poem::web::Data;
use poem::{Endpoint, IntoResponse, Request, Response, handler};
use tracing::Instrument;

use crate::error::problem_response;
use crate::metrics::ScrapeValues;
use crate::state::AppState;

/// Liveness: the process answers.
#[handler]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            let mut resp = problem_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable".into(),
            );
            resp.headers_mut().insert(
                "retry-after",
                HeaderValue::from(crate::error::UNAVAILABLE_RETRY_SECS),
            );
            resp
        }
    }
}

/// Prometheus metrics.
#[handler]
pub async fn metrics(state: Data<&AppState>) -> Response {
    let bookings_by_status = match state.store.count_bookings_by_status().await {
        Ok(c) => c
            .into_iter()
            .map(|(s, n)| (s.as_str().to_string(), n))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot count bookings for /metrics");
            Vec::new()
        }
    };
    let outbox = match state.store.outbox_counts().await {
        Ok(o) => Some((o.pending, o.sent)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot count the outbox for /metrics");
            None
        }
    };
    let body = state.metrics.render(&ScrapeValues {
        bookings_by_status,
        feeds: state.feeds.stats(),
        outbox,
    });
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

fn is_problem(resp: &Response) -> bool {
    resp.content_type()
        .is_some_and(|c| c.starts_with("application/problem+json"))
}

/// Turn any error response that is not yet a problem document into one,
/// keeping the headers clients act on (`WWW-Authenticate`, `Allow`, …).
/// WebDAV's XML error bodies stay as they are: DAV clients read them.
async fn as_problem(resp: Response) -> Response {
    // WebDAV's XML, the web app's HTML pages and MCP's JSON-RPC errors
    // (plain application/json) keep their own bodies.
    let own_body = resp.content_type().is_some_and(|c| {
        c.starts_with("application/xml")
            || c.starts_with("text/html")
            || c.starts_with("application/json")
    });
    if resp.status().as_u16() < 400 || is_problem(&resp) || own_body {
        return resp;
    }
    let status = resp.status();
    let kept: Vec<(poem::http::HeaderName, poem::http::HeaderValue)> = resp
        .headers()
        .iter()
        .filter(|(n, _)| {
            matches!(
                n.as_str(),
                "www-authenticate" | "allow" | "retry-after" | "location"
            )
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let body = resp.into_body().into_string().await.unwrap_or_default();
    let detail = if body.trim().is_empty() {
        match status {
            StatusCode::NOT_FOUND => "no such resource".to_string(),
            StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this resource".to_string(),
            s => s.canonical_reason().unwrap_or("error").to_string(),
        }
    } else {
        body.trim().to_string()
    };
    let mut out = problem_response(status, detail);
    for (n, v) in kept {
        out.headers_mut().insert(n, v);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE && !out.headers().contains_key("retry-after") {
        out.headers_mut().insert(
            "retry-after",
            HeaderValue::from(crate::error::UNAVAILABLE_RETRY_SECS),
        );
    }
    out
}

/// Refuse a body over the limit before it is read whole: by its
/// Content-Length, or, for a chunked body, while reading at most the limit.
/// Answers 413 with `Connection: close` (the rest of the body is not read).
async fn cap_body(mut req: Request) -> Result<Request, Response> {
    let Some(config) = req.data::<AppState>().map(|s| s.config.clone()) else {
        return Ok(req);
    };
    let path = req.uri().path();
    let kib = if path.starts_with("/api/v1/mail/") || path.starts_with("/dav") {
        config.server.max_mail_body_kb
    } else {
        config.server.max_body_kb
    };
    let limit = usize::try_from(kib.saturating_mul(1024)).unwrap_or(usize::MAX);
    let too_large = || {
        let mut resp = problem_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {kib} KiB"),
        );
        resp.headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
        resp
    };
    let declared = req
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > kib.saturating_mul(1024) => Err(too_large()),
        Some(_) => Ok(req),
        None if req.header("transfer-encoding").is_some() => {
            match req.take_body().into_bytes_limit(limit).await {
                Ok(bytes) => {
                    req.set_body(bytes);
                    Ok(req)
                }
                Err(_) => Err(too_large()),
            }
        }
        None => Ok(req),
    }
}

/// An API request's JSON body, kept (it is already within the body limit)
/// to say which field was wrong if the API refuses its shape.
async fn keep_json_body(mut req: Request, path: &str) -> (Request, Option<bytes::Bytes>) {
    let json = req.content_type().is_some_and(|c| c.contains("json"));
    if !path.starts_with("/api/v1/") || !json {
        return (req, None);
    }
    match req.take_body().into_bytes().await {
        Ok(bytes) => {
            req.set_body(bytes.clone());
            (req, Some(bytes))
        }
        Err(_) => (req, None),
    }
}

/// When poem-openapi refused a body's shape in its own words, answer with
/// the field (JSON pointer) and what was expected instead.
async fn name_the_field(resp: Response, method: &str, path: &str, body: &[u8]) -> Response {
    let (parts, answer) = resp.into_parts();
    let Ok(answer) = answer.into_bytes().await else {
        return Response::from_parts(parts, poem::Body::empty());
    };
    // A plain-text error here (as_problem wraps it later), or a problem.
    let text = serde_json::from_slice::<serde_json::Value>(&answer)
        .ok()
        .and_then(|p| p["detail"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(&answer).into_owned());
    let from_parser = text.starts_with("parse request payload error");
    match from_parser
        .then(|| crate::api::shape::check(method, path, body))
        .flatten()
    {
        Some(e) => crate::error::ApiError::bad_field(&e.pointer, e.to_string()).into_response(),
        None => Response::from_parts(parts, poem::Body::from(answer)),
    }
}

/// The middleware around every route.
pub async fn around<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let request_id = req
        .header("x-request-id")
        .filter(|v| v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let recorder = req.data::<AppState>().map(|s| s.metrics.clone());
    let has_body = req.header("transfer-encoding").is_some()
        || req
            .header("content-length")
            .is_some_and(|v| v.trim() != "0");
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);

    let resp = async {
        let req = match cap_body(req).await {
            Ok(r) => r,
            Err(refused) => return refused,
        };
        let (req, json_body) = keep_json_body(req, &path).await;
        let resp = match ep.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        match json_body {
            Some(body) if resp.status() == StatusCode::BAD_REQUEST => {
                name_the_field(resp, &method, &path, &body).await
            }
            _ => resp,
        }
    }
    .instrument(span.clone())
    .await;
    let route = resp
        .data::<PathPattern>()
        .map(|p| p.0.to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let mut resp = as_problem(resp).await;
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED
        && !resp.headers().contains_key("allow")
        && let Some(allow) = crate::methods::api_allow(&path)
    {
        resp = crate::methods::method_not_allowed(&allow);
    }
    let status = resp.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(m) = recorder {
        m.observe(&method, &route, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(status, route = %route, elapsed_ms = elapsed * 1e3, "request done");
    });

    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    // An error may have been answered before the body was read (a missing
    // token, an unknown path): say so, or a keep-alive client reuses a
    // connection the server is about to drop.
    if status >= 400 && has_body {
        h.insert("connection", HeaderValue::from_static("close"));
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "strict-transport-security",
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    // Swagger UI needs its own scripts and styles; everything else needs nothing.
    let csp = if path.starts_with("/api/docs") {
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    // The web app's pages bring their own policy.
    if !h.contains_key("content-security-policy") {
        h.insert("content-security-policy", HeaderValue::from_static(csp));
    }
    if path.starts_with("/api/v1") && !h.contains_key("cache-control") {
        h.insert("cache-control", HeaderValue::from_static("no-store"));
    }
    Ok(resp)
}
