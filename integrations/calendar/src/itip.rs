//! iTIP (RFC 5546) for rooms that answer invitations: reading a REQUEST or
//! CANCEL, writing the room's REPLY, and writing the REQUEST / CANCEL that
//! put a booking into its organizer's own calendar.
//!
//! Invitations are read with `calcard` ([`crate::read`]): Outlook's Windows
//! time zones ("W. Europe Standard Time") and the others map to IANA zones
//! ([`zone`]).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::{Writer, local_stamp, utc_stamp};

/// Invitations larger than this are refused unread.
pub const MAX_INVITATION: usize = 256 * 1024;

/// Why calendar data could not be read as an invitation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItipError {
    /// Not iCalendar at all.
    #[error("the calendar data is not valid iCalendar")]
    Unreadable,
    /// Larger than we read.
    #[error("the calendar data is over {MAX_INVITATION} bytes")]
    TooLarge,
    /// A METHOD other than REQUEST, CANCEL or REPLY.
    #[error("METHOD {0:?} is not handled here (expected REQUEST, CANCEL or REPLY)")]
    Method(String),
    /// No VEVENT inside.
    #[error("the invitation holds no VEVENT")]
    NoEvent,
    /// A property the event must have is missing.
    #[error("the event has no {0}")]
    Missing(&'static str),
    /// A property's value cannot be used.
    #[error("bad {property}: {reason}")]
    Value {
        /// The property (`DTSTART`, `RRULE`, …).
        property: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// What the organizer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Book (or change) the meeting.
    Request,
    /// The meeting (or one date of it) is off.
    Cancel,
    /// An attendee's answer to an invitation the booking system sent.
    Reply,
}

/// A room's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartStat {
    /// The room takes the meeting.
    Accepted,
    /// Held, awaiting an approver's decision.
    Tentative,
    /// The room cannot take it.
    Declined,
}

impl PartStat {
    /// The PARTSTAT value (`ACCEPTED`, `TENTATIVE`, `DECLINED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "ACCEPTED",
            Self::Tentative => "TENTATIVE",
            Self::Declined => "DECLINED",
        }
    }
}

/// A calendar user: `mailto:` address and display name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// Lower-cased, without `mailto:`.
    pub email: String,
    /// The display name (CN), possibly empty.
    pub name: String,
    /// CUTYPE (INDIVIDUAL, ROOM, RESOURCE, …), upper-cased.
    pub cutype: String,
}

/// The parts of an invitation the booking rules need.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// What the organizer asks for.
    pub method: Method,
    /// The event's UID, stable across changes.
    pub uid: String,
    /// SEQUENCE: higher means a newer version of the invitation.
    pub sequence: u32,
    /// SUMMARY (the meeting's title).
    pub summary: String,
    /// DESCRIPTION.
    pub description: String,
    /// DTSTART as an instant.
    pub start: DateTime<Utc>,
    /// DTEND (or DTSTART + DURATION) as an instant.
    pub end: DateTime<Utc>,
    /// The zone DTSTART was written in (UTC for UTC or floating times).
    pub zone: Tz,
    /// RRULE of a recurring meeting.
    pub rrule: Option<String>,
    /// RECURRENCE-ID: the invitation changes one occurrence only.
    pub recurrence_id: Option<DateTime<Utc>>,
    /// ORGANIZER.
    pub organizer: Address,
    /// Every ATTENDEE (people and rooms).
    pub attendees: Vec<Address>,
}

pub use crate::read::{CalendarEvent, MAX_CALENDAR, parse_events, parse_invitation, zone};

fn mailto(w: &mut Writer, name: &str, params: &str, who: &Address) {
    let cn = if who.name.is_empty() {
        String::new()
    } else {
        // Quoted: names like "Doe, J" hold commas and semicolons.
        format!(";CN=\"{}\"", who.name.replace('"', "'"))
    };
    w.line(&format!("{name}{cn}{params}:mailto:{}", who.email));
}

/// A date of a recurring invitation the room declines while accepting the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclinedDate {
    /// The instance's start as the invitation's rule puts it (its RECURRENCE-ID).
    pub start: DateTime<Utc>,
    /// The instance's end.
    pub end: DateTime<Utc>,
    /// Why the room declines it (the rule's words).
    pub reason: String,
}

/// The room's REPLY to `inv`: PARTSTAT and, when declining, why (COMMENT).
/// `declined` dates of a recurring invitation get an instance each with
/// their RECURRENCE-ID, PARTSTAT=DECLINED and the reason, as Exchange
/// answers for a room that is taken on some dates; the master's COMMENT
/// names them too, for clients that show only the master.
pub fn reply(
    inv: &Invitation,
    room: &Address,
    partstat: PartStat,
    comment: Option<&str>,
    declined: &[DeclinedDate],
    prodid: &str,
    now: DateTime<Utc>,
) -> String {
    let mut w = Writer::new();
    w.begin("VCALENDAR")
        .line("VERSION:2.0")
        .text("PRODID", prodid)
        .line("METHOD:REPLY")
        .begin("VEVENT")
        .text("UID", &inv.uid)
        .line(&format!("SEQUENCE:{}", inv.sequence))
        .utc("DTSTAMP", now)
        .utc("DTSTART", inv.start)
        .utc("DTEND", inv.end);
    if let Some(r) = inv.recurrence_id {
        w.utc("RECURRENCE-ID", r);
    }
    mailto(&mut w, "ORGANIZER", "", &inv.organizer);
    mailto(
        &mut w,
        "ATTENDEE",
        &format!(";CUTYPE=ROOM;PARTSTAT={}", partstat.as_str()),
        room,
    );
    if !inv.summary.is_empty() {
        w.text("SUMMARY", &inv.summary);
    }
    let mut note = comment.map(str::to_string);
    if !declined.is_empty() {
        let dates: Vec<String> = declined.iter().map(|d| utc_stamp(d.start)).collect();
        let line = format!("Declined dates: {}", dates.join(", "));
        note = Some(match note {
            Some(c) => format!("{c}. {line}"),
            None => line,
        });
    }
    if let Some(c) = &note {
        w.text("COMMENT", c);
    }
    let status = match partstat {
        PartStat::Declined => "REQUEST-STATUS:3.8;Request denied",
        _ => "REQUEST-STATUS:2.0;Success",
    };
    w.line(status).end("VEVENT");
    for d in declined {
        w.begin("VEVENT")
            .text("UID", &inv.uid)
            .line(&format!("SEQUENCE:{}", inv.sequence))
            .utc("DTSTAMP", now)
            .utc("RECURRENCE-ID", d.start)
            .utc("DTSTART", d.start)
            .utc("DTEND", d.end);
        mailto(&mut w, "ORGANIZER", "", &inv.organizer);
        mailto(&mut w, "ATTENDEE", ";CUTYPE=ROOM;PARTSTAT=DECLINED", room);
        if !inv.summary.is_empty() {
            w.text("SUMMARY", &inv.summary);
        }
        w.text("COMMENT", &d.reason)
            .line("REQUEST-STATUS:3.8;Request denied")
            .end("VEVENT");
    }
    w.end("VCALENDAR");
    w.finish()
}

/// A booking as an event in its organizer's calendar.
#[derive(Debug, Clone)]
pub struct EventInvite<'a> {
    /// The event's UID.
    pub uid: &'a str,
    /// SEQUENCE of this version.
    pub sequence: u32,
    /// SUMMARY.
    pub summary: &'a str,
    /// DESCRIPTION.
    pub description: &'a str,
    /// LOCATION (the room).
    pub location: &'a str,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// End instant.
    pub end: DateTime<Utc>,
    /// The room's zone: DTSTART/DTEND are written in it, with its VTIMEZONE.
    pub zone: Tz,
    /// For a series: its rule (UNTIL/COUNT included) and excluded dates.
    pub rrule: Option<&'a str>,
    /// Dates of the series that are not (or no longer) booked.
    pub exdates: &'a [DateTime<Utc>],
    /// The booking system (ORGANIZER).
    pub organizer: &'a Address,
    /// The person who booked.
    pub attendee: &'a Address,
    /// The room (CUTYPE=ROOM).
    pub room: &'a Address,
    /// More rooms of the same meeting (several rooms booked together).
    pub other_rooms: &'a [Address],
    /// TENTATIVE while pending approval.
    pub tentative: bool,
}

fn event(w: &mut Writer, ev: &EventInvite<'_>, method: Method, now: DateTime<Utc>) {
    w.begin("VEVENT")
        .text("UID", ev.uid)
        .line(&format!("SEQUENCE:{}", ev.sequence))
        .utc("DTSTAMP", now)
        .local("DTSTART", ev.start, ev.zone)
        .local("DTEND", ev.end, ev.zone);
    if let Some(rule) = ev.rrule {
        w.line(&format!("RRULE:{rule}"));
        if !ev.exdates.is_empty() {
            let list: Vec<String> = ev
                .exdates
                .iter()
                .map(|d| local_stamp(*d, ev.zone))
                .collect();
            w.line(&format!(
                "EXDATE;TZID={}:{}",
                ev.zone.name(),
                list.join(",")
            ));
        }
    }
    w.text("SUMMARY", ev.summary).text("LOCATION", ev.location);
    if !ev.description.is_empty() {
        w.text("DESCRIPTION", ev.description);
    }
    mailto(w, "ORGANIZER", "", ev.organizer);
    mailto(
        w,
        "ATTENDEE",
        ";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE",
        ev.attendee,
    );
    let room_state = if ev.tentative {
        "TENTATIVE"
    } else {
        "ACCEPTED"
    };
    for room in std::iter::once(ev.room).chain(ev.other_rooms) {
        mailto(
            w,
            "ATTENDEE",
            &format!(";CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT={room_state};RSVP=FALSE"),
            room,
        );
    }
    let status = match method {
        Method::Cancel => "CANCELLED",
        Method::Request | Method::Reply if ev.tentative => "TENTATIVE",
        Method::Request | Method::Reply => "CONFIRMED",
    };
    w.line(&format!("STATUS:{status}"))
        .line("TRANSP:OPAQUE")
        .line(&format!(
            "X-MICROSOFT-CDO-BUSYSTATUS:{}",
            outlook_busy(status)
        ))
        .line(&format!(
            "X-MICROSOFT-CDO-INTENDEDSTATUS:{}",
            outlook_busy(status)
        ))
        .end("VEVENT");
}

/// Outlook's free/busy state for an iCalendar `STATUS` (Outlook and
/// Exchange read `X-MICROSOFT-CDO-BUSYSTATUS` rather than `STATUS`/`TRANSP`).
pub fn outlook_busy(status: &str) -> &'static str {
    match status {
        "TENTATIVE" => "TENTATIVE",
        "CANCELLED" => "FREE",
        _ => "BUSY",
    }
}

/// METHOD:REQUEST (new or changed) or METHOD:CANCEL for `ev` (a REPLY is
/// the room's, written by [`reply`]; asked for here it is a REQUEST).
pub fn invite(ev: &EventInvite<'_>, method: Method, prodid: &str, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    let m = match method {
        Method::Request | Method::Reply => "REQUEST",
        Method::Cancel => "CANCEL",
    };
    w.begin("VCALENDAR")
        .line("VERSION:2.0")
        .text("PRODID", prodid)
        .line(&format!("METHOD:{m}"));
    let years = (
        ev.start.format("%Y").to_string().parse().unwrap_or(2000),
        ev.end.format("%Y").to_string().parse().unwrap_or(2000) + 2,
    );
    w.vtimezone(ev.zone, years.0, years.1);
    event(&mut w, ev, method, now);
    w.end("VCALENDAR");
    w.finish()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use calcard::icalendar::{
        ICalendar, ICalendarComponentType, ICalendarMethod, ICalendarParameterName,
        ICalendarParameterValue, ICalendarParticipationStatus, ICalendarProperty, ICalendarValue,
    };

    use super::*;

    #[test]
    fn outlook_reads_busy_status_from_its_own_properties() {
        let who = |email: &str| Address {
            email: email.into(),
            name: String::new(),
            cutype: "INDIVIDUAL".into(),
        };
        let (org, att, room) = (who("rooms@x"), who("a@x"), who("blue@x"));
        let start = Utc::now();
        let ev = |tentative| EventInvite {
            uid: "u1",
            sequence: 0,
            summary: "S",
            description: "",
            location: "Blue",
            start,
            end: start + chrono::Duration::hours(1),
            zone: chrono_tz::Europe::Berlin,
            rrule: None,
            exdates: &[],
            organizer: &org,
            attendee: &att,
            room: &room,
            other_rooms: &[],
            tentative,
        };
        let pending = invite(&ev(true), Method::Request, "-//t//EN", start);
        assert!(
            pending.contains("X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\n"),
            "{pending}"
        );
        assert!(pending.contains("X-MICROSOFT-CDO-INTENDEDSTATUS:TENTATIVE\r\n"));
        let confirmed = invite(&ev(false), Method::Request, "-//t//EN", start);
        assert!(
            confirmed.contains("X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n"),
            "{confirmed}"
        );
        let cancelled = invite(&ev(false), Method::Cancel, "-//t//EN", start);
        assert!(
            cancelled.contains("X-MICROSOFT-CDO-BUSYSTATUS:FREE\r\n"),
            "{cancelled}"
        );
    }

    const OUTLOOK: &str = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nORGANIZER;CN=\"Doe, Jane\":mailto:Jane.Doe@Example.com\r\nATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob:mailto:bob@example.com\r\nATTENDEE;CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT;RSVP=TRUE;CN=Blue:mailto:blue-room@rooms.example.com\r\nSUMMARY;LANGUAGE=en-US:Planning\r\nDTSTART;TZID=W. Europe Standard Time:20270315T100000\r\nDTEND;TZID=W. Europe Standard Time:20270315T110000\r\nUID:040000008200E00074C5B7101A82E008000000\r\nSEQUENCE:2\r\nDTSTAMP:20270301T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_an_outlook_invitation_with_a_windows_zone() {
        let inv = parse_invitation(OUTLOOK).expect("parse");
        assert_eq!(inv.method, Method::Request);
        assert_eq!(inv.sequence, 2);
        assert_eq!(inv.organizer.email, "jane.doe@example.com");
        assert_eq!(inv.organizer.name, "Doe, Jane");
        assert_eq!(inv.zone, chrono_tz::Europe::Berlin);
        assert_eq!(inv.start.to_rfc3339(), "2027-03-15T09:00:00+00:00");
        assert_eq!(inv.end - inv.start, Duration::hours(1));
        assert_eq!(inv.attendees.len(), 2);
        assert_eq!(inv.attendees[1].cutype, "RESOURCE");
    }

    #[test]
    fn refuses_what_it_cannot_handle() {
        let publish = OUTLOOK.replace("METHOD:REQUEST", "METHOD:PUBLISH");
        assert_eq!(
            parse_invitation(&publish),
            Err(ItipError::Method("PUBLISH".into()))
        );
        let no_org = OUTLOOK.replace(
            "ORGANIZER;CN=\"Doe, Jane\":mailto:Jane.Doe@Example.com\r\n",
            "",
        );
        // Outlook leaves ORGANIZER out of some updates: read, with no
        // address, for the caller to look up by UID.
        assert_eq!(
            parse_invitation(&no_org).map(|i| i.organizer.email),
            Ok(String::new())
        );
        let zone = OUTLOOK.replace(
            "TZID=W. Europe Standard Time:2027",
            "TZID=Mars/Olympus:2027",
        );
        assert!(matches!(
            parse_invitation(&zone),
            Err(ItipError::Value {
                property: "DTSTART",
                ..
            })
        ));
        let backwards = OUTLOOK.replace("20270315T110000", "20270315T090000");
        assert!(parse_invitation(&backwards).is_err());
        assert!(parse_invitation("BEGIN:VCALENDAR\r\n").is_err());
        assert!(parse_invitation("not a calendar at all").is_err());
        assert_eq!(
            parse_invitation(&"x".repeat(MAX_INVITATION + 1)),
            Err(ItipError::TooLarge)
        );
        let dur = OUTLOOK.replace(
            "DTEND;TZID=W. Europe Standard Time:20270315T110000",
            "DURATION:PT1H30M",
        );
        let inv = parse_invitation(&dur).expect("duration");
        assert_eq!(inv.end - inv.start, Duration::minutes(90));
    }

    #[test]
    fn reply_round_trips_through_our_parser() {
        let inv = parse_invitation(OUTLOOK).expect("parse");
        let room = Address {
            email: "blue-room@rooms.example.com".into(),
            name: "Blue".into(),
            cutype: "ROOM".into(),
        };
        let text = reply(
            &inv,
            &room,
            PartStat::Declined,
            Some("Taken, sorry; try Red"),
            &[],
            "-//t//EN",
            Utc::now(),
        );
        let cal = ICalendar::parse(&text).expect("calcard reads our REPLY");
        assert!(matches!(
            cal.components[0]
                .property(&ICalendarProperty::Method)
                .and_then(|e| e.values.first()),
            Some(ICalendarValue::Method(ICalendarMethod::Reply))
        ));
        let ev = cal
            .components
            .iter()
            .find(|c| c.component_type == ICalendarComponentType::VEvent)
            .expect("vevent");
        let att = ev.property(&ICalendarProperty::Attendee).expect("attendee");
        assert_eq!(
            att.parameter(&ICalendarParameterName::Partstat),
            Some(&ICalendarParameterValue::Partstat(
                ICalendarParticipationStatus::Declined
            ))
        );
        let text_of = |p: ICalendarProperty| {
            ev.property(&p)
                .and_then(|e| e.values.first())
                .and_then(ICalendarValue::as_text)
                .map(str::to_string)
        };
        assert_eq!(
            text_of(ICalendarProperty::Comment).as_deref(),
            Some("Taken, sorry; try Red")
        );
        assert_eq!(
            ev.property(&ICalendarProperty::Organizer)
                .and_then(|o| o.parameter(&ICalendarParameterName::Cn))
                .and_then(ICalendarParameterValue::as_text),
            Some("Doe, Jane")
        );
    }
}
