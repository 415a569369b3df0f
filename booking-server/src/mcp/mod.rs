//! The Model Context Protocol endpoint at `/mcp` (Streamable HTTP transport,
//! JSON answers): AI assistants find and book rooms as the person whose
//! bearer token — a sign-in token or a personal access token — they hold,
//! under the same rules and audit as every other door.
//!
//! Hosted here rather than with the `rmcp` crate: its HTTP server side is
//! built on tower 0.5 / axum, poem speaks tower 0.4, and the transport is
//! plain JSON-RPC 2.0 over one POST route. We speak the handshake-era
//! revisions (2024-11-05 … 2025-11-25); a `server/discover` probe gets
//! "method not found", which tells newer clients to use `initialize`.

mod catalog;
mod resources;
mod tools;

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Data;
use poem::{Body, IntoResponse, Request, Response, handler};
use serde_json::{Value, json};

use crate::auth::{Session, client_ip};
use crate::state::AppState;

/// Revisions we answer, newest first.
const VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
pub(crate) const INVALID_PARAMS: i64 = -32602;

/// A JSON-RPC error.
#[derive(Debug)]
pub(crate) struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn params(message: impl Into<String>) -> Self {
        Self {
            code: INVALID_PARAMS,
            message: message.into(),
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

fn rpc_error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// 401 with the challenge MCP clients look for.
fn unauthorized(detail: &str) -> Response {
    let mut r = crate::error::problem_response(StatusCode::UNAUTHORIZED, detail.to_string());
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer realm="booking", error="invalid_token""#),
    );
    r
}

/// The caller, from `Authorization: Bearer …`.
async fn session(state: &AppState, req: &Request) -> Result<Session, Response> {
    let Some(token) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return Err(unauthorized(
            "send Authorization: Bearer <token> (a personal access token from /api/v1/me/tokens)",
        ));
    };
    match state.authenticate(token.trim(), "access").await {
        Ok((user, claims)) => Ok(Session {
            actor: booking_core::Actor {
                user,
                ip: client_ip(req),
            },
            claims,
        }),
        Err(e) if e.status() == 401 => Err(unauthorized(e.detail())),
        Err(e) => Err(crate::error::problem_response(
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN),
            e.detail().to_string(),
        )),
    }
}

/// Browsers may not drive this endpoint from other sites (DNS rebinding):
/// an `Origin` must be ours or one CORS allows.
fn origin_allowed(state: &AppState, req: &Request) -> bool {
    let Some(origin) = req.header("origin") else {
        return true;
    };
    let ours = state.config.server.public_url.trim_end_matches('/');
    origin == ours
        || state
            .config
            .server
            .cors_origins
            .iter()
            .any(|o| o == "*" || o == origin)
}

/// `/mcp`: POST one JSON-RPC message (or a batch); GET and DELETE are not
/// offered (no server-initiated stream, no sessions).
#[handler]
pub async fn endpoint(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    if req.method() != poem::http::Method::POST {
        let mut r = crate::error::problem_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST JSON-RPC messages to /mcp; this server opens no event stream".into(),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    if !origin_allowed(&state, req) {
        return crate::error::problem_response(
            StatusCode::FORBIDDEN,
            "this Origin may not call /mcp".into(),
        );
    }
    if let Some(v) = req.header("mcp-protocol-version")
        && !VERSIONS.contains(&v)
    {
        return crate::error::problem_response(
            StatusCode::BAD_REQUEST,
            format!(
                "MCP-Protocol-Version {v:?} is not supported; use one of {}",
                VERSIONS.join(", ")
            ),
        );
    }
    let session = match session(&state, req).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let limit =
        usize::try_from(state.config.server.max_body_kb.saturating_mul(1024)).unwrap_or(1 << 20);
    let bytes = match body.into_bytes_limit(limit).await {
        Ok(b) => b,
        Err(e) => {
            return crate::error::problem_response(StatusCode::PAYLOAD_TOO_LARGE, e.to_string());
        }
    };
    let Ok(message) = serde_json::from_slice::<Value>(&bytes) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &rpc_error(Value::Null, PARSE_ERROR, "the body is not JSON"),
        );
    };
    match message {
        Value::Array(batch) if !batch.is_empty() => {
            let mut answers = Vec::new();
            for m in batch {
                if let Some(a) = answer(&state, &session, m).await {
                    answers.push(a);
                }
            }
            if answers.is_empty() {
                StatusCode::ACCEPTED.into_response()
            } else {
                json_response(StatusCode::OK, &Value::Array(answers))
            }
        }
        m => match answer(&state, &session, m).await {
            Some(a) => json_response(StatusCode::OK, &a),
            None => StatusCode::ACCEPTED.into_response(),
        },
    }
}

/// The answer to one message (`None` for notifications and responses).
async fn answer(state: &AppState, session: &Session, m: Value) -> Option<Value> {
    let Some(method) = m.get("method").and_then(Value::as_str) else {
        // A response to something we never ask, or garbage.
        return m
            .get("id")
            .is_none_or(|_| m.get("result").is_none())
            .then(|| {
                rpc_error(
                    m.get("id").cloned().unwrap_or(Value::Null),
                    INVALID_REQUEST,
                    "not a JSON-RPC request",
                )
            });
    };
    let id = m.get("id").cloned()?; // notifications need no answer
    let params = m.get("params").cloned().unwrap_or_else(|| json!({}));
    let result = match method {
        "initialize" => Ok(initialize(&params)),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": catalog::catalog() })),
        "tools/call" => tools::call(state, session, &params).await,
        "resources/list" => Ok(json!({ "resources": resources::catalog() })),
        "resources/templates/list" => Ok(json!({ "resourceTemplates": [] })),
        "resources/read" => resources::read(state, session, &params).await,
        "prompts/list" => Ok(json!({ "prompts": [] })),
        other => Err(RpcError {
            code: METHOD_NOT_FOUND,
            message: format!("no method {other:?}"),
        }),
    };
    Some(match result {
        Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
        Err(e) => rpc_error(id, e.code, &e.message),
    })
}

fn initialize(params: &Value) -> Value {
    let asked = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let version = VERSIONS
        .iter()
        .find(|v| **v == asked)
        .unwrap_or(&VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {
            "tools": {"listChanged": false},
            "resources": {"subscribe": false, "listChanged": false},
            "prompts": {"listChanged": false},
        },
        "serverInfo": {
            "name": "booking-server",
            "title": "Room booking",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "instructions": "Meeting-room booking. Times are RFC 3339 instants (UTC or with an \
            offset); rooms have IANA time zones. Use find_rooms for a time, then book with an \
            idempotency_key so a retried call books once. Refusals carry the rule, the \
            conflicting booking and, for a taken slot, rooms free at that time.",
    })
}
