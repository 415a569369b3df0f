//! Routing by method that answers 405 with the `Allow` header RFC 9110
//! requires (poem's `RouteMethod` answers 405 without it). A drop-in for
//! `poem::{get, post}`; the API's operations get theirs from the OpenAPI
//! document ([`api_allow`]).

use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response};

/// Endpoints by method.
#[derive(Default)]
pub struct Methods {
    methods: Vec<(Method, BoxEndpoint<'static>)>,
}

/// `GET` (and so `HEAD`) to `ep`.
pub fn get<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::default().get(ep)
}

/// `POST` to `ep`.
pub fn post<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods::default().post(ep)
}

impl Methods {
    pub fn method<E>(mut self, method: Method, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.methods
            .push((method, ep.into_endpoint().map_to_response().boxed()));
        self
    }

    pub fn get<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::GET, ep)
    }

    pub fn post<E>(self, ep: E) -> Self
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.method(Method::POST, ep)
    }

    fn allow(&self) -> String {
        allow_value(self.methods.iter().map(|(m, _)| m.as_str().to_string()))
    }
}

/// The `Allow` value for these methods: sorted, `HEAD` wherever `GET` is.
fn allow_value(methods: impl IntoIterator<Item = String>) -> String {
    let mut all: Vec<String> = methods.into_iter().collect();
    if all.iter().any(|m| m == "GET") {
        all.push("HEAD".into());
    }
    all.sort();
    all.dedup();
    all.join(", ")
}

/// 405 naming the allowed methods.
pub fn method_not_allowed(allow: &str) -> Response {
    let mut resp = crate::error::problem_response(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("this resource allows {allow}"),
    );
    if let Ok(v) = HeaderValue::from_str(allow) {
        resp.headers_mut().insert("allow", v);
    }
    resp
}

impl Endpoint for Methods {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if let Some((_, ep)) = self.methods.iter().find(|(m, _)| m == req.method()) {
            return ep.call(req).await;
        }
        if req.method() == Method::HEAD
            && let Some((_, ep)) = self.methods.iter().find(|(m, _)| m == Method::GET)
        {
            req.set_method(Method::GET);
            let mut resp = ep.call(req).await?.into_response();
            resp.set_body(());
            return Ok(resp);
        }
        Ok(method_not_allowed(&self.allow()))
    }
}

/// The `Allow` value of an API path (`/api/v1/rooms/…`), from the OpenAPI
/// document's operations.
pub fn api_allow(path: &str) -> Option<String> {
    let (_, ops) = crate::api::shape::template_of(crate::api::shape::spec(), path)?;
    let methods = ops.as_object()?.keys().map(|m| m.to_ascii_uppercase());
    Some(allow_value(methods))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_head_with_get_sorted() {
        assert_eq!(
            allow_value(["POST".to_string(), "GET".to_string()]),
            "GET, HEAD, POST"
        );
        assert_eq!(allow_value(["POST".to_string()]), "POST");
    }

    #[test]
    fn api_paths_match_their_templates() {
        assert_eq!(
            api_allow("/api/v1/rooms").as_deref(),
            Some("GET, HEAD, POST")
        );
        assert_eq!(
            api_allow("/api/v1/rooms/3f0c/bookings").as_deref(),
            Some("GET, HEAD")
        );
        assert_eq!(api_allow("/api/v1/nothing/here"), None);
        assert_eq!(api_allow("/healthz"), None);
    }
}
