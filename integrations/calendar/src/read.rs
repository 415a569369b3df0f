//! Reading invitations with `calcard` (the iCalendar parser of the Stalwart
//! mail server): typed METHOD, PARTSTAT and CUTYPE, and time zones resolved
//! the way Outlook, Exchange, Google and Apple write them — IANA names,
//! about 380 Windows names ("W. Europe Standard Time"), VTIMEZONEs with
//! `X-LIC-LOCATION` or `X-MICROSOFT-CDO-TZID`.

use calcard::common::timezone::Tz as CalTz;
use calcard::common::{IanaString, PartialDateTime};
use calcard::icalendar::timezone::TzResolver;
use calcard::icalendar::{
    ICalendar, ICalendarComponent, ICalendarComponentType, ICalendarEntry, ICalendarMethod,
    ICalendarParameterName, ICalendarParameterValue, ICalendarProperty, ICalendarValue,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::itip::{Address, Invitation, ItipError, MAX_INVITATION, Method};

/// A local time in `tz` as an instant: a time in a DST gap moves forward by
/// the gap, an ambiguous one takes the earlier instant (RFC 5545 §3.3.5).
fn resolve(tz: Tz, t: NaiveDateTime) -> DateTime<Utc> {
    use chrono::TimeZone;
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(t + Duration::hours(1))).earliest())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|| t.and_utc())
}

/// An IANA zone for a TZID: an IANA name, or one of the Windows names
/// Outlook writes.
pub fn zone(tzid: &str) -> Option<Tz> {
    match tzid.parse::<CalTz>() {
        Ok(CalTz::Tz(tz)) => Some(tz),
        _ => None,
    }
}

fn text(entry: &ICalendarEntry) -> Option<&str> {
    entry.values.first().and_then(ICalendarValue::as_text)
}

fn address(entry: &ICalendarEntry) -> Address {
    let email = entry
        .calendar_address()
        .map(|a| {
            a.trim()
                .trim_start_matches("MAILTO:")
                .trim_start_matches("mailto:")
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let name = entry
        .parameter(&ICalendarParameterName::Cn)
        .and_then(ICalendarParameterValue::as_text)
        .unwrap_or("")
        .to_string();
    let cutype = match entry.parameter(&ICalendarParameterName::Cutype) {
        Some(ICalendarParameterValue::Cutype(t)) => t.as_str().to_ascii_uppercase(),
        Some(other) => other.as_text().unwrap_or("UNKNOWN").to_ascii_uppercase(),
        None => "INDIVIDUAL".to_string(),
    };
    Address {
        email,
        name,
        cutype,
    }
}

fn local(dt: &PartialDateTime) -> Option<NaiveDateTime> {
    let date = NaiveDate::from_ymd_opt(
        i32::from(dt.year?),
        u32::from(dt.month?),
        u32::from(dt.day?),
    )?;
    let time = match dt.hour {
        Some(h) => NaiveTime::from_hms_opt(
            u32::from(h),
            u32::from(dt.minute.unwrap_or(0)),
            u32::from(dt.second.unwrap_or(0)),
        )?,
        None => NaiveTime::MIN,
    };
    Some(date.and_time(time))
}

/// A DATE-TIME property as an instant and the zone it was written in
/// (UTC for UTC, floating and fixed-offset times).
fn instant(
    zones: &TzResolver<&str>,
    ev: &ICalendarComponent,
    prop: ICalendarProperty,
    name: &'static str,
) -> Result<Option<(DateTime<Utc>, Tz)>, ItipError> {
    let Some(entry) = ev.property(&prop) else {
        return Ok(None);
    };
    let bad = |reason: String| ItipError::Value {
        property: name,
        reason,
    };
    let Some(ICalendarValue::PartialDateTime(dt)) = entry.values.first() else {
        return Err(bad("not a date or date-time".into()));
    };
    let t = local(dt).ok_or_else(|| bad("not a valid date or date-time".into()))?;
    // A UTC ("Z") or offset time is an instant already.
    if let (Some(h), Some(m)) = (dt.tz_hour, dt.tz_minute) {
        let offset = i64::from(h) * 3600 + i64::from(m) * 60;
        let offset = if dt.tz_minus { -offset } else { offset };
        return Ok(Some((
            t.and_utc() - Duration::seconds(offset),
            chrono_tz::UTC,
        )));
    }
    let tzid = entry
        .parameter(&ICalendarParameterName::Tzid)
        .and_then(ICalendarParameterValue::as_text);
    let zone = match tzid {
        Some(id) => match zones.resolve(id) {
            Some(CalTz::Tz(tz)) => tz,
            Some(CalTz::Fixed(off)) => {
                let utc = t - Duration::seconds(i64::from(off.local_minus_utc()));
                return Ok(Some((utc.and_utc(), chrono_tz::UTC)));
            }
            _ => {
                return Err(bad(format!(
                    "unknown time zone {id:?}; use an IANA zone name such as Europe/Berlin"
                )));
            }
        },
        None => chrono_tz::UTC,
    };
    // A DATE (no time) starts at midnight in that zone.
    Ok(Some((resolve(zone, t), zone)))
}

/// Read an invitation (REQUEST or CANCEL, or a REPLY) from iCalendar text.
/// ORGANIZER may be missing (Outlook leaves it out of REPLYs and some
/// updates): the address is then empty and the caller looks it up by UID.
pub fn parse_invitation(text_in: &str) -> Result<Invitation, ItipError> {
    if text_in.len() > MAX_INVITATION {
        return Err(ItipError::TooLarge);
    }
    let ical = ICalendar::parse(text_in).map_err(|_| ItipError::Unreadable)?;
    let cal = ical
        .components
        .iter()
        .find(|c| c.component_type == ICalendarComponentType::VCalendar)
        .ok_or(ItipError::NoEvent)?;
    let method = match cal
        .property(&ICalendarProperty::Method)
        .and_then(|e| e.values.first())
    {
        Some(ICalendarValue::Method(ICalendarMethod::Request)) => Method::Request,
        Some(ICalendarValue::Method(ICalendarMethod::Cancel)) => Method::Cancel,
        Some(ICalendarValue::Method(ICalendarMethod::Reply)) => Method::Reply,
        Some(ICalendarValue::Method(other)) => {
            return Err(ItipError::Method(other.as_str().to_string()));
        }
        Some(other) => {
            return Err(ItipError::Method(
                other.as_text().unwrap_or("(unreadable)").to_string(),
            ));
        }
        None => return Err(ItipError::Method("(none)".into())),
    };
    // The master, or the only event.
    let events: Vec<&ICalendarComponent> = ical
        .components
        .iter()
        .filter(|c| c.component_type == ICalendarComponentType::VEvent)
        .collect();
    let ev = events
        .iter()
        .find(|e| e.property(&ICalendarProperty::RecurrenceId).is_none())
        .or_else(|| events.first())
        .copied()
        .ok_or(ItipError::NoEvent)?;
    let e = read_event(&ical, ev, method == Method::Request)?;
    Ok(Invitation {
        method,
        uid: e.uid,
        sequence: e.sequence,
        summary: e.summary,
        description: e.description,
        start: e.start,
        end: e.end,
        zone: e.zone,
        rrule: e.rrule,
        recurrence_id: e.recurrence_id,
        organizer: e.organizer,
        attendees: e.attendees,
    })
}

/// One VEVENT, read.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEvent {
    /// UID.
    pub uid: String,
    /// SEQUENCE (0 when absent).
    pub sequence: u32,
    /// SUMMARY (the title).
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// LOCATION (often the room's name).
    pub location: String,
    /// DTSTART as an instant.
    pub start: DateTime<Utc>,
    /// DTEND (or DTSTART + DURATION) as an instant.
    pub end: DateTime<Utc>,
    /// The zone DTSTART was written in (UTC for UTC or floating times).
    pub zone: Tz,
    /// RRULE of a recurring event.
    pub rrule: Option<String>,
    /// Set on a changed occurrence of a recurring event.
    pub recurrence_id: Option<DateTime<Utc>>,
    /// ORGANIZER.
    pub organizer: Address,
    /// Every ATTENDEE.
    pub attendees: Vec<Address>,
}

/// Every VEVENT of a calendar (an export to import), each read on its own:
/// one unreadable event does not spoil the others.
pub fn parse_events(text_in: &str) -> Result<Vec<Result<CalendarEvent, ItipError>>, ItipError> {
    if text_in.len() > MAX_CALENDAR {
        return Err(ItipError::TooLarge);
    }
    let ical = ICalendar::parse(text_in).map_err(|_| ItipError::Unreadable)?;
    if !ical
        .components
        .iter()
        .any(|c| c.component_type == ICalendarComponentType::VCalendar)
    {
        return Err(ItipError::Unreadable);
    }
    Ok(ical
        .components
        .iter()
        .filter(|c| c.component_type == ICalendarComponentType::VEvent)
        .map(|ev| read_event(&ical, ev, true))
        .collect())
}

/// The largest calendar [`parse_events`] reads.
pub const MAX_CALENDAR: usize = 10 * 1024 * 1024;

/// One VEVENT's fields; `needs_end`: a missing DTEND/DURATION or an end
/// before the start is an error (otherwise the end is the start).
fn read_event(
    ical: &ICalendar,
    ev: &ICalendarComponent,
    needs_end: bool,
) -> Result<CalendarEvent, ItipError> {
    let uid = ev
        .uid()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .ok_or(ItipError::Missing("UID"))?;
    let sequence = match ev.property(&ICalendarProperty::Sequence) {
        Some(e) => match e.values.first() {
            Some(ICalendarValue::Integer(n)) => {
                u32::try_from(*n).map_err(|_| ItipError::Value {
                    property: "SEQUENCE",
                    reason: format!("{n} is out of range"),
                })?
            }
            _ => {
                return Err(ItipError::Value {
                    property: "SEQUENCE",
                    reason: "not a number".into(),
                });
            }
        },
        None => 0,
    };
    let organizer = ev
        .property(&ICalendarProperty::Organizer)
        .map(address)
        .filter(|a| a.email.contains('@'))
        .unwrap_or_default();
    let attendees = ev
        .properties(&ICalendarProperty::Attendee)
        .map(address)
        .filter(|a| a.email.contains('@'))
        .collect();
    // The calendar's VTIMEZONEs (and Windows names) resolved once.
    let zones = ical.build_tz_resolver();
    let (start, zone) = instant(&zones, ev, ICalendarProperty::Dtstart, "DTSTART")?
        .ok_or(ItipError::Missing("DTSTART"))?;
    let end = match instant(&zones, ev, ICalendarProperty::Dtend, "DTEND")? {
        Some((e, _)) => e,
        None => match ev.property(&ICalendarProperty::Duration) {
            Some(e) => match e.values.first() {
                Some(ICalendarValue::Duration(d)) => {
                    start
                        + d.to_time_delta().ok_or_else(|| ItipError::Value {
                            property: "DURATION",
                            reason: "out of range".into(),
                        })?
                }
                _ => {
                    return Err(ItipError::Value {
                        property: "DURATION",
                        reason: "not a duration".into(),
                    });
                }
            },
            None if !needs_end => start,
            None => return Err(ItipError::Missing("DTEND or DURATION")),
        },
    };
    if needs_end && end <= start {
        return Err(ItipError::Value {
            property: "DTEND",
            reason: "the event ends before it starts".into(),
        });
    }
    let recurrence_id =
        instant(&zones, ev, ICalendarProperty::RecurrenceId, "RECURRENCE-ID")?.map(|(t, _)| t);
    let rrule = ev
        .property(&ICalendarProperty::Rrule)
        .and_then(|e| e.values.first())
        .and_then(|v| match v {
            ICalendarValue::RecurrenceRule(r) => Some(r.to_string()),
            other => other.as_text().map(str::to_string),
        });
    let prop_text = |p: ICalendarProperty| {
        ev.property(&p)
            .and_then(text)
            .unwrap_or_default()
            .to_string()
    };
    Ok(CalendarEvent {
        uid,
        sequence,
        summary: prop_text(ICalendarProperty::Summary),
        description: prop_text(ICalendarProperty::Description),
        location: prop_text(ICalendarProperty::Location),
        start,
        end,
        zone,
        rrule,
        recurrence_id,
        organizer,
        attendees,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// No input makes the reader panic; what it accepts as a REQUEST
        /// ends after it starts.
        #[test]
        fn never_panics(s in "\\PC{0,400}") {
            if let Ok(inv) = parse_invitation(&s) && inv.method == Method::Request {
                prop_assert!(inv.end > inv.start);
            }
        }
    }

    #[test]
    fn every_event_of_an_export_is_read_on_its_own() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n\
            BEGIN:VEVENT\r\nUID:a@x\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Board\r\n\
            LOCATION:Boardroom\r\nDTSTART;TZID=Europe/Berlin:20270104T100000\r\n\
            DTEND;TZID=Europe/Berlin:20270104T110000\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:b@x\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Broken\r\n\
            DTSTART:20270105T100000Z\r\nDTEND:20270105T090000Z\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let events = parse_events(text).expect("calendar");
        assert_eq!(events.len(), 2);
        let a = events[0].as_ref().expect("first");
        assert_eq!((a.uid.as_str(), a.location.as_str()), ("a@x", "Boardroom"));
        assert_eq!(a.start.to_rfc3339(), "2027-01-04T09:00:00+00:00");
        assert_eq!(a.zone, chrono_tz::Europe::Berlin);
        assert_eq!(a.rrule.as_deref(), Some("FREQ=WEEKLY;COUNT=3"));
        assert!(events[1].is_err(), "ends before it starts");
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_on() {
        let t = NaiveDate::from_ymd_opt(2026, 3, 29)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .expect("t");
        assert_eq!(
            resolve(chrono_tz::Europe::Berlin, t).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
    }
}
