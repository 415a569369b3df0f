//! WebDAV / CalDAV XML (RFC 4918, RFC 4791, RFC 6578): reading PROPFIND and
//! REPORT bodies, writing `207 Multi-Status` responses.
//!
//! It knows nothing about HTTP or bookings: the server decides which
//! resources exist and what their properties are.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDateTime, Utc};

/// The WebDAV namespace (RFC 4918).
pub const DAV: &str = "DAV:";
/// The CalDAV namespace (RFC 4791).
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// Apple's calendarserver.org namespace (`getctag`).
pub const CALSERVER: &str = "http://calendarserver.org/ns/";
/// Apple iCal's namespace (`calendar-color`, `calendar-order`).
pub const APPLE_ICAL: &str = "http://apple.com/ns/ical/";

/// Request bodies larger than this are refused.
pub const MAX_BODY: usize = 256 * 1024;

/// Why a WebDAV request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DavError {
    /// Not well-formed XML.
    #[error("the request body is not well-formed XML: {0}")]
    Xml(String),
    /// Well-formed, but not the element the request needs.
    #[error("unexpected XML: {0}")]
    Unexpected(String),
    #[error(
        "unsupported REPORT {0}; supported: calendar-query, calendar-multiget, sync-collection"
    )]
    /// A REPORT this server does not answer.
    UnsupportedReport(String),
}

/// A property name: namespace and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropName {
    /// The namespace URI.
    pub ns: String,
    /// The local name.
    pub local: String,
}

impl PropName {
    /// The property `local` of namespace `ns`.
    pub fn new(ns: &str, local: &str) -> Self {
        Self {
            ns: ns.to_string(),
            local: local.to_string(),
        }
    }

    /// Whether this is the property `local` of namespace `ns`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// What a PROPFIND (or REPORT) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropRequest {
    /// `<allprop/>` or an empty body.
    All,
    /// `<propname/>`: names only.
    Names,
    /// `<prop>`: these properties.
    Props(Vec<PropName>),
}

/// A `time-range`: either end may be open.
pub type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A REPORT request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// `calendar-query`, with the time range of the VEVENT comp-filter if any.
    CalendarQuery {
        /// The properties asked for.
        props: PropRequest,
        /// The VEVENT `time-range`, if the filter has one.
        range: Option<TimeRange>,
        /// The component asked for inside VCALENDAR (`VEVENT`, `VTODO`, …);
        /// `None` when the filter names none (every object matches).
        component: Option<String>,
    },
    /// `free-busy-query` over a time range (RFC 4791 §7.10).
    FreeBusy {
        /// The range to report free/busy time for.
        range: TimeRange,
    },
    /// `calendar-multiget` of the given hrefs.
    Multiget {
        /// The properties asked for.
        props: PropRequest,
        /// The calendar objects asked for.
        hrefs: Vec<String>,
    },
    /// `sync-collection` from a token (empty for the initial sync).
    SyncCollection {
        /// The properties asked for.
        props: PropRequest,
        /// The sync token of the last sync, empty for the first.
        token: String,
    },
}

fn doc(body: &str) -> Result<roxmltree::Document<'_>, DavError> {
    if body.len() > MAX_BODY {
        return Err(DavError::Unexpected(format!(
            "request body over {MAX_BODY} bytes"
        )));
    }
    roxmltree::Document::parse(body).map_err(|e| DavError::Xml(e.to_string()))
}

fn name_of(n: roxmltree::Node<'_, '_>) -> PropName {
    PropName::new(n.tag_name().namespace().unwrap_or(""), n.tag_name().name())
}

fn child<'a, 'i>(
    n: roxmltree::Node<'a, 'i>,
    ns: &str,
    local: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.has_tag_name((ns, local)))
}

fn prop_request(parent: roxmltree::Node<'_, '_>) -> PropRequest {
    if child(parent, DAV, "propname").is_some() {
        return PropRequest::Names;
    }
    match child(parent, DAV, "prop") {
        Some(p) => PropRequest::Props(
            p.children()
                .filter(|c| c.is_element())
                .map(name_of)
                .collect(),
        ),
        None => PropRequest::All,
    }
}

/// Parse a PROPFIND body; an empty body means allprop (RFC 4918 §9.1).
pub fn parse_propfind(body: &str) -> Result<PropRequest, DavError> {
    if body.trim().is_empty() {
        return Ok(PropRequest::All);
    }
    let d = doc(body)?;
    let root = d.root_element();
    if !root.has_tag_name((DAV, "propfind")) {
        return Err(DavError::Unexpected(format!(
            "expected DAV:propfind, got {}",
            root.tag_name().name()
        )));
    }
    Ok(prop_request(root))
}

/// An iCalendar UTC time as used in `time-range` (`20260105T000000Z`).
fn range_time(v: Option<&str>) -> Result<Option<DateTime<Utc>>, DavError> {
    let Some(v) = v else { return Ok(None) };
    let t = v
        .strip_suffix('Z')
        .and_then(|t| NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%S").ok())
        .ok_or_else(|| {
            DavError::Unexpected(format!(
                "time-range value {v:?} is not a UTC date-time like 20260105T000000Z"
            ))
        })?;
    Ok(Some(t.and_utc()))
}

/// Parse a REPORT body.
pub fn parse_report(body: &str) -> Result<Report, DavError> {
    let d = doc(body)?;
    let root = d.root_element();
    let props = prop_request(root);
    let tag = root.tag_name();
    match (tag.namespace().unwrap_or(""), tag.name()) {
        (CALDAV, "calendar-query") => {
            // The time-range may sit on the VEVENT comp-filter (or deeper).
            let range = root
                .descendants()
                .find(|n| n.has_tag_name((CALDAV, "time-range")))
                .map(|n| -> Result<_, DavError> {
                    Ok((
                        range_time(n.attribute("start"))?,
                        range_time(n.attribute("end"))?,
                    ))
                })
                .transpose()?;
            let component = root
                .descendants()
                .find(|n| {
                    n.has_tag_name((CALDAV, "comp-filter"))
                        && n.attribute("name")
                            .is_some_and(|c| c.eq_ignore_ascii_case("VCALENDAR"))
                })
                .and_then(|cal| child(cal, CALDAV, "comp-filter"))
                .and_then(|c| c.attribute("name"))
                .map(str::to_ascii_uppercase);
            Ok(Report::CalendarQuery {
                props,
                range,
                component,
            })
        }
        (CALDAV, "free-busy-query") => {
            let range = child(root, CALDAV, "time-range")
                .map(|n| -> Result<_, DavError> {
                    Ok((
                        range_time(n.attribute("start"))?,
                        range_time(n.attribute("end"))?,
                    ))
                })
                .transpose()?
                .ok_or_else(|| DavError::Unexpected("free-busy-query needs a time-range".into()))?;
            Ok(Report::FreeBusy { range })
        }
        (CALDAV, "calendar-multiget") => {
            let hrefs = root
                .children()
                .filter(|c| c.has_tag_name((DAV, "href")))
                .map(|c| c.text().unwrap_or("").trim().to_string())
                .collect();
            Ok(Report::Multiget { props, hrefs })
        }
        (DAV, "sync-collection") => {
            let token = child(root, DAV, "sync-token")
                .and_then(|t| t.text())
                .unwrap_or("")
                .trim()
                .to_string();
            Ok(Report::SyncCollection { props, token })
        }
        (_, other) => Err(DavError::UnsupportedReport(other.to_string())),
    }
}

/// Escape text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A property value to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Empty element.
    Empty,
    /// Escaped text content.
    Text(String),
    /// One `<D:href>`.
    Href(String),
    /// Trusted XML content using the prefixes `D`, `C`, `CS`, `I`.
    Xml(String),
}

fn prefix(ns: &str) -> Option<&'static str> {
    match ns {
        DAV => Some("D"),
        CALDAV => Some("C"),
        CALSERVER => Some("CS"),
        APPLE_ICAL => Some("I"),
        _ => None,
    }
}

fn open_tag(out: &mut String, name: &PropName, empty: bool) {
    let close = if empty { "/" } else { "" };
    match prefix(&name.ns) {
        Some(p) => {
            let _ = write!(out, "<{p}:{}{close}>", name.local);
        }
        None => {
            let _ = write!(
                out,
                "<X:{} xmlns:X=\"{}\"{close}>",
                name.local,
                escape(&name.ns)
            );
        }
    }
}

fn close_tag(out: &mut String, name: &PropName) {
    let p = prefix(&name.ns).unwrap_or("X");
    let _ = write!(out, "</{p}:{}>", name.local);
}

/// One `<D:response>`: found properties (200) and missing ones (404).
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// The resource the response is about.
    pub href: String,
    /// Properties found, with their values.
    pub found: Vec<(PropName, Value)>,
    /// Properties asked for that this resource does not have.
    pub missing: Vec<PropName>,
    /// A status for the whole response instead of propstats (e.g. 404 for a
    /// multiget href that does not exist).
    pub status: Option<u16>,
}

impl Response {
    /// Answer `req` from the properties the resource has.
    pub fn for_request(href: String, req: &PropRequest, available: Vec<(PropName, Value)>) -> Self {
        match req {
            PropRequest::All => Self {
                href,
                found: available,
                ..Self::default()
            },
            PropRequest::Names => Self {
                href,
                found: available
                    .into_iter()
                    .map(|(n, _)| (n, Value::Empty))
                    .collect(),
                ..Self::default()
            },
            PropRequest::Props(wanted) => {
                let mut found = Vec::new();
                let mut missing = Vec::new();
                for w in wanted {
                    match available.iter().find(|(n, _)| n == w) {
                        Some((n, v)) => found.push((n.clone(), v.clone())),
                        None => missing.push(w.clone()),
                    }
                }
                Self {
                    href,
                    found,
                    missing,
                    status: None,
                }
            }
        }
    }
}

fn status_line(code: u16) -> &'static str {
    match code {
        200 => "HTTP/1.1 200 OK",
        403 => "HTTP/1.1 403 Forbidden",
        404 => "HTTP/1.1 404 Not Found",
        _ => "HTTP/1.1 500 Internal Server Error",
    }
}

/// A `207 Multi-Status` body.
pub fn multistatus(responses: &[Response], sync_token: Option<&str>) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\" xmlns:CS=\"http://calendarserver.org/ns/\" xmlns:I=\"http://apple.com/ns/ical/\">",
    );
    for r in responses {
        let _ = write!(out, "<D:response><D:href>{}</D:href>", escape(&r.href));
        if let Some(code) = r.status {
            let _ = write!(out, "<D:status>{}</D:status>", status_line(code));
        } else {
            if !r.found.is_empty() || r.missing.is_empty() {
                out.push_str("<D:propstat><D:prop>");
                for (name, value) in &r.found {
                    match value {
                        Value::Empty => open_tag(&mut out, name, true),
                        Value::Text(t) => {
                            open_tag(&mut out, name, false);
                            out.push_str(&escape(t));
                            close_tag(&mut out, name);
                        }
                        Value::Href(h) => {
                            open_tag(&mut out, name, false);
                            let _ = write!(out, "<D:href>{}</D:href>", escape(h));
                            close_tag(&mut out, name);
                        }
                        Value::Xml(x) => {
                            open_tag(&mut out, name, false);
                            out.push_str(x);
                            close_tag(&mut out, name);
                        }
                    }
                }
                let _ = write!(
                    out,
                    "</D:prop><D:status>{}</D:status></D:propstat>",
                    status_line(200)
                );
            }
            if !r.missing.is_empty() {
                out.push_str("<D:propstat><D:prop>");
                for name in &r.missing {
                    open_tag(&mut out, name, true);
                }
                let _ = write!(
                    out,
                    "</D:prop><D:status>{}</D:status></D:propstat>",
                    status_line(404)
                );
            }
        }
        out.push_str("</D:response>");
    }
    if let Some(t) = sync_token {
        let _ = write!(out, "<D:sync-token>{}</D:sync-token>", escape(t));
    }
    out.push_str("</D:multistatus>\n");
    out
}

/// A `DAV:error` body with one precondition element, e.g.
/// `error_body(DAV, "valid-sync-token", "…")`.
pub fn error_body(ns: &str, condition: &str, message: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">",
    );
    open_tag(&mut out, &PropName::new(ns, condition), true);
    let _ = writeln!(
        out,
        "<D:responsedescription>{}</D:responsedescription></D:error>",
        escape(message)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propfind_variants() {
        assert_eq!(parse_propfind("").expect("empty"), PropRequest::All);
        let body = r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"><d:prop><d:displayname/><cs:getctag/><x:foo xmlns:x="urn:x"/></d:prop></d:propfind>"#;
        assert_eq!(
            parse_propfind(body).expect("props"),
            PropRequest::Props(vec![
                PropName::new(DAV, "displayname"),
                PropName::new(CALSERVER, "getctag"),
                PropName::new("urn:x", "foo"),
            ])
        );
        let names = r#"<propfind xmlns="DAV:"><propname/></propfind>"#;
        assert_eq!(parse_propfind(names).expect("names"), PropRequest::Names);
        assert!(matches!(parse_propfind("<propfind"), Err(DavError::Xml(_))));
        assert!(matches!(
            parse_propfind(r#"<x xmlns="DAV:"/>"#),
            Err(DavError::Unexpected(_))
        ));
    }

    #[test]
    fn reports() {
        let q = r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20260101T000000Z" end="20260201T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#;
        let Report::CalendarQuery {
            props,
            range,
            component,
        } = parse_report(q).expect("query")
        else {
            panic!("not a query")
        };
        assert_eq!(component.as_deref(), Some("VEVENT"));
        let todo = q.replace("name=\"VEVENT\"", "name=\"vtodo\"");
        assert!(matches!(
            parse_report(&todo),
            Ok(Report::CalendarQuery { component: Some(c), .. }) if c == "VTODO"
        ));
        let fb = r#"<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260101T000000Z" end="20260108T000000Z"/></C:free-busy-query>"#;
        assert!(matches!(
            parse_report(fb),
            Ok(Report::FreeBusy {
                range: (Some(_), Some(_))
            })
        ));
        assert_eq!(
            props,
            PropRequest::Props(vec![
                PropName::new(DAV, "getetag"),
                PropName::new(CALDAV, "calendar-data")
            ])
        );
        let (s, e) = range.expect("range");
        assert_eq!(s.expect("s").to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(e.expect("e").to_rfc3339(), "2026-02-01T00:00:00+00:00");
        let bad = q.replace("20260101T000000Z", "yesterday");
        assert!(parse_report(&bad).is_err());
        let m = r#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><d:href>/dav/a.ics</d:href><d:href> /dav/b.ics </d:href></c:calendar-multiget>"#;
        assert_eq!(
            parse_report(m).expect("multiget"),
            Report::Multiget {
                props: PropRequest::Props(vec![PropName::new(DAV, "getetag")]),
                hrefs: vec!["/dav/a.ics".into(), "/dav/b.ics".into()]
            }
        );
        let s = r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#;
        assert!(matches!(
            parse_report(s).expect("sync"),
            Report::SyncCollection { token, .. } if token.is_empty()
        ));
        assert!(matches!(
            parse_report(r#"<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"/>"#),
            Err(DavError::Unexpected(_))
        ));
        assert!(matches!(
            parse_report(r#"<d:expand-property xmlns:d="DAV:"/>"#),
            Err(DavError::UnsupportedReport(_))
        ));
    }

    #[test]
    fn multistatus_is_well_formed_and_splits_found_from_missing() {
        let req = PropRequest::Props(vec![
            PropName::new(DAV, "displayname"),
            PropName::new("urn:x", "foo"),
        ]);
        let r = Response::for_request(
            "/dav/rooms/a&b/".into(),
            &req,
            vec![(
                PropName::new(DAV, "displayname"),
                Value::Text("R&D <1>".into()),
            )],
        );
        let xml = multistatus(&[r], Some("tok"));
        let d = roxmltree::Document::parse(&xml).expect("well-formed");
        let texts: Vec<&str> = d.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.contains(&"R&D <1>"));
        assert!(texts.contains(&"/dav/rooms/a&b/"));
        assert!(xml.contains("404 Not Found"), "{xml}");
        assert!(d.descendants().any(|n| n.has_tag_name(("urn:x", "foo"))));
    }
}
