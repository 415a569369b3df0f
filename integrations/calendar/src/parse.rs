//! iCalendar (RFC 5545) reading: content lines → components and properties.
//!
//! Lenient where real clients are sloppy (bare LF line ends, lower-case
//! names, folded lines starting with a tab) and strict where a wrong guess
//! would lose data (unbalanced BEGIN/END, unterminated quoted parameters,
//! nesting deeper than [`MAX_DEPTH`]). Values stay raw; typed accessors
//! ([`Property::text`], [`Property::date_time`]) decode them on demand.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Components nest at most this deep (VCALENDAR > VEVENT > VALARM is 3).
pub const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("no calendar data: the input holds no BEGIN:VCALENDAR")]
    Empty,
}

fn syntax(line: usize, message: impl Into<String>) -> ParseError {
    ParseError::Syntax {
        line,
        message: message.into(),
    }
}

/// One property: `NAME;PARAM=a,b:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Upper-cased.
    pub name: String,
    /// Parameter names upper-cased; values unquoted, in order.
    pub params: Vec<(String, Vec<String>)>,
    /// The raw value (escapes not decoded).
    pub value: String,
}

/// A component with its properties and sub-components.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    /// Upper-cased (`VCALENDAR`, `VEVENT`, …).
    pub name: String,
    pub properties: Vec<Property>,
    pub components: Vec<Component>,
}

/// A DATE or DATE-TIME value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeValue {
    Utc(DateTime<Utc>),
    /// Local time in a zone named by TZID (or floating when `None`).
    Local(NaiveDateTime, Option<Tz>),
    Date(NaiveDate),
}

impl DateTimeValue {
    /// The instant, resolving local times in their zone (or `fallback` for
    /// floating times and dates). Times in a DST gap move forward; ambiguous
    /// times take the earlier instant, as RFC 5545 §3.3.5 says.
    pub fn to_utc(self, fallback: Tz) -> DateTime<Utc> {
        let resolve = |tz: Tz, t: NaiveDateTime| {
            tz.from_local_datetime(&t)
                .earliest()
                .or_else(|| {
                    tz.from_local_datetime(&(t + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_else(|| t.and_utc())
        };
        match self {
            Self::Utc(t) => t,
            Self::Local(t, tz) => resolve(tz.unwrap_or(fallback), t),
            Self::Date(d) => resolve(fallback, d.and_time(chrono::NaiveTime::MIN)),
        }
    }
}

impl Property {
    /// The first value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }

    /// The value as TEXT, escapes decoded.
    pub fn text(&self) -> String {
        unescape_text(&self.value)
    }

    /// The value as DATE or DATE-TIME. A TZID names an IANA zone; unknown
    /// zone names are an error (the caller may fall back to the VTIMEZONE).
    pub fn date_time(&self) -> Result<DateTimeValue, String> {
        parse_date_time(&self.value, self.param("TZID"))
    }

    /// A comma-separated list of DATE-TIMEs (EXDATE, RDATE).
    pub fn date_times(&self) -> Result<Vec<DateTimeValue>, String> {
        self.value
            .split(',')
            .map(|v| parse_date_time(v.trim(), self.param("TZID")))
            .collect()
    }
}

/// Parse a DATE (`20260105`) or DATE-TIME (`20260105T090000[Z]`).
pub fn parse_date_time(value: &str, tzid: Option<&str>) -> Result<DateTimeValue, String> {
    if let Some(t) = value.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%S")
            .map_err(|e| format!("bad UTC date-time {value:?}: {e}"))?;
        return Ok(DateTimeValue::Utc(t.and_utc()));
    }
    if value.len() == 8 {
        let d = NaiveDate::parse_from_str(value, "%Y%m%d")
            .map_err(|e| format!("bad date {value:?}: {e}"))?;
        return Ok(DateTimeValue::Date(d));
    }
    let t = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
        .map_err(|e| format!("bad date-time {value:?}: {e}"))?;
    let tz = match tzid {
        None => None,
        Some(name) => {
            // Some writers put a leading '/' (a "globally unique" TZID).
            let name = name.trim_start_matches('/');
            Some(
                name.parse::<Tz>()
                    .map_err(|_| format!("unknown time zone {name:?}"))?,
            )
        }
    };
    Ok(DateTimeValue::Local(t, tz))
}

/// Decode TEXT escapes (`\\`, `\;`, `\,`, `\n`/`\N`).
pub fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

impl Component {
    /// The first property called `name`.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Every property called `name`.
    pub fn properties_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> {
        self.properties
            .iter()
            .filter(move |p| p.name.eq_ignore_ascii_case(name))
    }

    /// Sub-components called `name`.
    pub fn components_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> {
        self.components
            .iter()
            .filter(move |c| c.name.eq_ignore_ascii_case(name))
    }
}

/// Undo line folding: a line starting with a space or tab continues the
/// previous one. Accepts CRLF and bare LF. Returns (first line number, line).
fn unfold(input: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in input.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = raw.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.1.push_str(rest);
            continue;
        }
        if !raw.is_empty() {
            lines.push((i + 1, raw.to_string()));
        }
    }
    lines
}

/// Split one unfolded content line into a property.
pub fn parse_line(line: &str, n: usize) -> Result<Property, ParseError> {
    // The name runs to the first ';' or ':'.
    let name_end = line
        .find([';', ':'])
        .ok_or_else(|| syntax(n, format!("no ':' in content line {:?}", short(line))))?;
    let name = &line[..name_end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(syntax(n, format!("bad property name {:?}", short(name))));
    }
    let mut params = Vec::new();
    let mut rest = &line[name_end..];
    while let Some(after) = rest.strip_prefix(';') {
        let eq = after
            .find('=')
            .ok_or_else(|| syntax(n, format!("parameter without '=' in {:?}", short(line))))?;
        let pname = after[..eq].to_ascii_uppercase();
        let mut values = Vec::new();
        let mut s = &after[eq + 1..];
        loop {
            if let Some(q) = s.strip_prefix('"') {
                let close = q
                    .find('"')
                    .ok_or_else(|| syntax(n, "unterminated quoted parameter value"))?;
                values.push(q[..close].to_string());
                s = &q[close + 1..];
            } else {
                let end = s.find([',', ';', ':']).unwrap_or(s.len());
                values.push(s[..end].to_string());
                s = &s[end..];
            }
            match s.strip_prefix(',') {
                Some(more) => s = more,
                None => break,
            }
        }
        params.push((pname, values));
        rest = s;
    }
    let value = rest
        .strip_prefix(':')
        .ok_or_else(|| syntax(n, format!("no ':' before the value in {:?}", short(line))))?;
    Ok(Property {
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_string(),
    })
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Parse an iCalendar stream into its top-level components (usually one
/// VCALENDAR). Lines outside any component are an error.
pub fn parse(input: &str) -> Result<Vec<Component>, ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut out = Vec::new();
    let mut stack: Vec<Component> = Vec::new();
    for (n, line) in unfold(input) {
        let prop = parse_line(&line, n)?;
        match prop.name.as_str() {
            "BEGIN" => {
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(n, "components nested too deeply"));
                }
                if prop.value.is_empty() {
                    return Err(syntax(n, "BEGIN without a component name"));
                }
                stack.push(Component {
                    name: prop.value.to_ascii_uppercase(),
                    ..Component::default()
                });
            }
            "END" => {
                let done = stack
                    .pop()
                    .ok_or_else(|| syntax(n, format!("END:{} without BEGIN", prop.value)))?;
                if !done.name.eq_ignore_ascii_case(&prop.value) {
                    return Err(syntax(
                        n,
                        format!("END:{} closes BEGIN:{}", prop.value, done.name),
                    ));
                }
                match stack.last_mut() {
                    Some(parent) => parent.components.push(done),
                    None => out.push(done),
                }
            }
            _ => match stack.last_mut() {
                Some(c) => c.properties.push(prop),
                None => {
                    return Err(syntax(
                        n,
                        format!("property {} outside any component", prop.name),
                    ));
                }
            },
        }
    }
    if let Some(open) = stack.last() {
        return Err(ParseError::Syntax {
            line: 0,
            message: format!("BEGIN:{} is never closed", open.name),
        });
    }
    if !out.iter().any(|c| c.name == "VCALENDAR") {
        return Err(ParseError::Empty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Writer;
    use proptest::prelude::*;

    #[test]
    fn reads_params_quotes_and_folding() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nORGANIZER;CN=\"Doe, J\";ROLE=CHAIR:mailto:j@\r\n example.org\r\nATTENDEE;MEMBER=\"a\",\"b\":mailto:x@y\r\nSUMMARY:a\\, b\\; c\\nd\r\nDTSTART;TZID=Europe/Berlin:20260329T023000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let cals = parse(ics).expect("parse");
        let ev = cals[0].components_named("VEVENT").next().expect("vevent");
        let org = ev.property("organizer").expect("organizer");
        assert_eq!(org.param("cn"), Some("Doe, J"));
        assert_eq!(org.value, "mailto:j@example.org");
        let att = ev.property("ATTENDEE").expect("attendee");
        assert_eq!(att.params[0].1, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(ev.property("SUMMARY").expect("s").text(), "a, b; c\nd");
        // 02:30 on the spring-forward day does not exist in Berlin: it moves on.
        let start = ev.property("DTSTART").expect("d").date_time().expect("dt");
        assert_eq!(
            start.to_utc(chrono_tz::UTC).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
    }

    #[test]
    fn broken_input_is_refused_with_a_line_number() {
        for (ics, want) in [
            (
                "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
                "closes",
            ),
            ("BEGIN:VCALENDAR\r\nSUMMARY\r\nEND:VCALENDAR\r\n", "no ':'"),
            ("BEGIN:VCALENDAR\r\n", "never closed"),
            (
                "BEGIN:VCALENDAR\r\nX;A=\"open:v\r\nEND:VCALENDAR\r\n",
                "unterminated",
            ),
            ("SUMMARY:x\r\n", "outside"),
        ] {
            let err = parse(ics).expect_err(ics).to_string();
            assert!(err.contains(want), "{ics:?}: {err}");
        }
        assert_eq!(parse("").expect_err("empty"), ParseError::Empty);
        let deep = "BEGIN:X\r\n".repeat(20);
        assert!(parse(&deep).expect_err("deep").to_string().contains("deep"));
    }

    proptest! {
        /// What the writer writes, the parser reads back unchanged — any
        /// text, any length, folded anywhere.
        #[test]
        fn writer_output_round_trips(summary in "\\PC{0,200}", loc in "[a-zA-Z0-9 ,;:\\\\\"é€😀]{0,120}") {
            let mut w = Writer::new();
            w.begin("VCALENDAR").begin("VEVENT")
                .text("SUMMARY", &summary)
                .text("LOCATION", &loc)
                .end("VEVENT").end("VCALENDAR");
            let cals = parse(&w.finish()).expect("parse");
            let ev = &cals[0].components[0];
            let clean = |s: &str| s.chars().filter(|c| *c == '\n' || !c.is_control()).collect::<String>();
            prop_assert_eq!(ev.property("SUMMARY").expect("s").text(), clean(&summary));
            prop_assert_eq!(ev.property("LOCATION").expect("l").text(), clean(&loc));
        }

        /// Arbitrary input never panics.
        #[test]
        fn never_panics(s in "\\PC{0,400}") {
            let _ = parse(&s);
        }
    }
}
