//! # booking-calendar
//!
//! Writes iCalendar (RFC 5545) the way subscription clients (Outlook, Google,
//! Apple, Thunderbird) expect it: CRLF line ends, lines folded at 75 octets
//! without splitting UTF-8 characters, escaped text, and a VTIMEZONE for every
//! zone used, generated from the IANA database (chrono-tz) as the explicit
//! list of offset changes in the years the calendar covers.
//!
//! Reads invitations with the `calcard` parser ([`read`], [`itip`]) and
//! speaks CalDAV's XML ([`dav`]).
//!
//! Reusable alone: it knows nothing about bookings.
#![deny(missing_docs)]

mod content;
pub mod dav;
pub mod itip;
pub mod read;

use std::fmt::Write as _;

use content::{end_line, push_escaped, push_stamp};
pub use content::{escape_text, fold, local_stamp, utc_stamp};

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// A calendar being written.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A raw content line (`NAME;PARAMS:value`), folded.
    pub fn line(&mut self, line: &str) -> &mut Self {
        let start = self.out.len();
        self.out.push_str(line);
        end_line(&mut self.out, start);
        self
    }

    /// A property with an escaped TEXT value.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        let start = self.out.len();
        self.out.push_str(name);
        self.out.push(':');
        push_escaped(&mut self.out, value);
        end_line(&mut self.out, start);
        self
    }

    /// A property whose value is written as given, unescaped: a number,
    /// an enumerated value (`STATUS:CONFIRMED`), a duration.
    pub fn value(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let start = self.out.len();
        let _ = write!(self.out, "{name}:{value}");
        end_line(&mut self.out, start);
        self
    }

    /// `BEGIN:component`.
    pub fn begin(&mut self, component: &str) -> &mut Self {
        self.value("BEGIN", component)
    }

    /// `END:component`.
    pub fn end(&mut self, component: &str) -> &mut Self {
        self.value("END", component)
    }

    /// A UTC date-time property (`NAME:YYYYMMDDTHHMMSSZ`).
    pub fn utc(&mut self, name: &str, t: DateTime<Utc>) -> &mut Self {
        let start = self.out.len();
        self.out.push_str(name);
        self.out.push(':');
        push_stamp(&mut self.out, t.naive_utc());
        self.out.push('Z');
        end_line(&mut self.out, start);
        self
    }

    /// A local date-time with its zone (`NAME;TZID=Zone:YYYYMMDDTHHMMSS`).
    pub fn local(&mut self, name: &str, t: DateTime<Utc>, tz: Tz) -> &mut Self {
        let start = self.out.len();
        self.out.push_str(name);
        self.out.push_str(";TZID=");
        self.out.push_str(tz.name());
        self.out.push(':');
        push_stamp(&mut self.out, t.with_timezone(&tz).naive_local());
        end_line(&mut self.out, start);
        self
    }

    /// A VTIMEZONE for `tz` covering the years `from_year..=to_year`.
    pub fn vtimezone(&mut self, tz: Tz, from_year: i32, to_year: i32) -> &mut Self {
        vtimezone(self, tz, from_year, to_year);
        self
    }

    /// A writer with room for `bytes` of output.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            out: String::with_capacity(bytes),
        }
    }

    /// Content another [`Writer`] produced (already folded, CRLF-ended),
    /// e.g. a component rendered earlier and kept.
    pub fn append(&mut self, written: &str) -> &mut Self {
        self.out.push_str(written);
        self
    }

    /// The text written, CRLF-ended lines.
    pub fn finish(self) -> String {
        self.out
    }
}

fn offset_secs(tz: Tz, t: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

fn fmt_offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.abs();
    format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
}

fn abbreviation(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Z").to_string()
}

/// The instants in `[from, to)` at which `tz` changes its UTC offset.
pub fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut t = from;
    let step = Duration::days(7);
    while t < to {
        let next = (t + step).min(to);
        if offset_secs(tz, t) != offset_secs(tz, next) {
            // Bisect to the second; at most one change per week in practice.
            let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or(t);
            let (mut lo, mut hi) = (t.timestamp(), next.timestamp());
            let before = offset_secs(tz, at(lo));
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_secs(tz, at(mid)) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(at(hi));
        }
        t = next;
    }
    out
}

fn vtimezone(w: &mut Writer, tz: Tz, from_year: i32, to_year: i32) {
    let start = Utc
        .with_ymd_and_hms(from_year, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let end = Utc
        .with_ymd_and_hms(to_year + 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    w.begin("VTIMEZONE").line(&format!("TZID:{}", tz.name()));
    let changes = transitions(tz, start, end);
    let observance = |w: &mut Writer, at: DateTime<Utc>, from: i32, to: i32| {
        // Daylight when the new offset is larger than the other one in the year.
        let jan = offset_secs(
            tz,
            Utc.with_ymd_and_hms(at.year(), 1, 15, 0, 0, 0)
                .single()
                .unwrap_or(at),
        );
        let jul = offset_secs(
            tz,
            Utc.with_ymd_and_hms(at.year(), 7, 15, 0, 0, 0)
                .single()
                .unwrap_or(at),
        );
        let daylight = jan != jul && to == jan.max(jul);
        let kind = if daylight { "DAYLIGHT" } else { "STANDARD" };
        // DTSTART is the local time just before the change, in the old offset.
        let local: NaiveDateTime = at.naive_utc() + Duration::seconds(i64::from(from));
        let mut start = String::with_capacity(15);
        push_stamp(&mut start, local);
        w.begin(kind)
            .value("DTSTART", start)
            .value("TZOFFSETFROM", fmt_offset(from))
            .value("TZOFFSETTO", fmt_offset(to))
            .text("TZNAME", &abbreviation(tz, at))
            .end(kind);
    };
    if changes.is_empty() {
        // A fixed offset all along: one STANDARD observance.
        let off = offset_secs(tz, start);
        observance(w, start, off, off);
    } else {
        // The offset in force at the start, then every change.
        let first_from = offset_secs(tz, start);
        observance(w, start, first_from, first_from);
        for at in changes {
            let from = offset_secs(tz, at - Duration::seconds(1));
            let to = offset_secs(tz, at);
            observance(w, at, from, to);
        }
    }
    w.end("VTIMEZONE");
}

/// A busy period of free/busy time; `tentative` while awaiting approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// Start of the busy period.
    pub start: DateTime<Utc>,
    /// End of the busy period.
    pub end: DateTime<Utc>,
    /// `FBTYPE=BUSY-TENTATIVE`: awaiting approval.
    pub tentative: bool,
}

/// A VFREEBUSY calendar: `busy` intervals of `[from, to)` for `organizer` (e.g. a room).
pub fn freebusy(
    prodid: &str,
    uid: &str,
    name: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    busy: &[Busy],
    now: DateTime<Utc>,
) -> String {
    let mut w = Writer::new();
    w.begin("VCALENDAR")
        .line("VERSION:2.0")
        .text("PRODID", prodid)
        .begin("VFREEBUSY")
        .text("UID", uid)
        .utc("DTSTAMP", now)
        .utc("DTSTART", from)
        .utc("DTEND", to)
        .text("SUMMARY", name);
    for b in busy {
        let kind = if b.tentative {
            "BUSY-TENTATIVE"
        } else {
            "BUSY"
        };
        let l = format!(
            "FREEBUSY;FBTYPE={kind}:{}/{}",
            utc_stamp(b.start),
            utc_stamp(b.end)
        );
        w.line(&l);
    }
    w.end("VFREEBUSY").end("VCALENDAR");
    let mut s = String::new();
    let _ = write!(s, "{}", w.finish());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// What the writer writes, calcard reads back unchanged — any text,
        /// any length, folded anywhere.
        #[test]
        fn writer_output_round_trips(summary in "\\PC{0,200}", loc in "[a-zA-Z0-9 ,;:\\\\\"é€😀]{0,120}") {
            use calcard::icalendar::{ICalendar, ICalendarComponentType, ICalendarProperty, ICalendarValue};
            let mut w = Writer::new();
            w.begin("VCALENDAR").begin("VEVENT")
                .text("SUMMARY", &summary)
                .text("LOCATION", &loc)
                .end("VEVENT").end("VCALENDAR");
            let cal = ICalendar::parse(w.finish()).expect("calcard reads it");
            let ev = cal
                .components
                .iter()
                .find(|c| c.component_type == ICalendarComponentType::VEvent)
                .expect("vevent");
            let text = |p: ICalendarProperty| {
                ev.property(&p)
                    .and_then(|e| e.values.first())
                    .and_then(ICalendarValue::as_text)
                    .unwrap_or_default()
                    .to_string()
            };
            let clean = |s: &str| s.chars().filter(|c| *c == '\n' || !c.is_control()).collect::<String>();
            proptest::prop_assert_eq!(text(ICalendarProperty::Summary), clean(&summary));
            proptest::prop_assert_eq!(text(ICalendarProperty::Location), clean(&loc));
        }
    }

    #[test]
    fn folding_is_utf8_safe_and_crlf() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "Café Überraschung ".repeat(10));
        fold(&long, &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        assert!(!out.replace("\r\n", "").contains('\n'), "no bare LF");
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end_matches("\r\n"), long);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn berlin_has_two_changes_a_year_with_the_right_offsets() {
        let tz = chrono_tz::Europe::Berlin;
        let y = |m, d| {
            Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0)
                .single()
                .expect("t")
        };
        let t = transitions(tz, y(1, 1), y(12, 31));
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0],
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0)
                .single()
                .expect("t")
        );
        assert_eq!(
            t[1],
            Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0)
                .single()
                .expect("t")
        );
        let mut w = Writer::new();
        w.vtimezone(tz, 2026, 2026);
        let s = w.finish();
        assert!(s.contains("BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST"), "{s}");
        assert!(s.contains("BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET"), "{s}");
    }

    #[test]
    fn fixed_zone_has_one_standard_observance() {
        let mut w = Writer::new();
        w.vtimezone(chrono_tz::Asia::Tokyo, 2026, 2027);
        let s = w.finish();
        assert_eq!(s.matches("BEGIN:STANDARD").count(), 1);
        assert!(s.contains("TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900"));
    }
}
