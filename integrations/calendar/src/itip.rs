//! iTIP (RFC 5546) for rooms that answer invitations: reading a REQUEST or
//! CANCEL, writing the room's REPLY, and writing the REQUEST / CANCEL that
//! put a booking into its organizer's own calendar.
//!
//! Invitations from Outlook name Windows time zones ("W. Europe Standard
//! Time"); the common ones are mapped to IANA zones ([`zone`]).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::parse::{Component, DateTimeValue, ParseError, parse};
use crate::{Writer, local_stamp, utc_stamp};

/// Invitations larger than this are refused unread.
pub const MAX_INVITATION: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItipError {
    #[error("the calendar data is not valid iCalendar: {0}")]
    Syntax(#[from] ParseError),
    #[error("the calendar data is over {MAX_INVITATION} bytes")]
    TooLarge,
    #[error("METHOD {0:?} is not handled here (expected REQUEST or CANCEL)")]
    Method(String),
    #[error("the invitation holds no VEVENT")]
    NoEvent,
    #[error("the event has no {0}")]
    Missing(&'static str),
    #[error("bad {property}: {reason}")]
    Value {
        property: &'static str,
        reason: String,
    },
}

/// What the organizer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

/// A room's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartStat {
    Accepted,
    Tentative,
    Declined,
}

impl PartStat {
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
    pub name: String,
    /// CUTYPE (INDIVIDUAL, ROOM, RESOURCE, …), upper-cased.
    pub cutype: String,
}

/// The parts of an invitation the booking rules need.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub method: Method,
    pub uid: String,
    pub sequence: u32,
    pub summary: String,
    pub description: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The zone DTSTART was written in (UTC for UTC or floating times).
    pub zone: Tz,
    pub rrule: Option<String>,
    /// RECURRENCE-ID: the invitation changes one occurrence only.
    pub recurrence_id: Option<DateTime<Utc>>,
    pub organizer: Address,
    pub attendees: Vec<Address>,
}

/// Windows zone names (as Outlook writes them) → IANA, from CLDR's
/// windowsZones "001" territory.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("UTC", "UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("Romance Standard Time", "Europe/Paris"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("India Standard Time", "Asia/Calcutta"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("Canada Central Standard Time", "America/Regina"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Buenos_Aires"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
];

/// An IANA zone for a TZID: an IANA name, or a Windows name Outlook uses.
pub fn zone(tzid: &str) -> Option<Tz> {
    let name = tzid.trim().trim_start_matches('/');
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    WINDOWS_ZONES
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(name))
        .and_then(|(_, iana)| iana.parse().ok())
}

fn address(p: &crate::Property) -> Address {
    let v = p.value.trim();
    let email = v
        .strip_prefix("mailto:")
        .or_else(|| v.strip_prefix("MAILTO:"))
        .unwrap_or(v)
        .trim()
        .to_ascii_lowercase();
    Address {
        email,
        name: p.param("CN").unwrap_or("").to_string(),
        cutype: p
            .param("CUTYPE")
            .unwrap_or("INDIVIDUAL")
            .to_ascii_uppercase(),
    }
}

fn instant(ev: &Component, name: &'static str) -> Result<Option<(DateTime<Utc>, Tz)>, ItipError> {
    let Some(p) = ev.property(name) else {
        return Ok(None);
    };
    let bad = |reason: String| ItipError::Value {
        property: name,
        reason,
    };
    let tz = match p.param("TZID") {
        Some(id) => Some(zone(id).ok_or_else(|| {
            bad(format!(
                "unknown time zone {id:?}; use an IANA zone name such as Europe/Berlin"
            ))
        })?),
        None => None,
    };
    let value = crate::parse::parse_date_time(&p.value, None).map_err(bad)?;
    let value = match (value, tz) {
        (DateTimeValue::Local(t, _), Some(z)) => DateTimeValue::Local(t, Some(z)),
        (v, _) => v,
    };
    let zone = tz.unwrap_or(chrono_tz::UTC);
    Ok(Some((value.to_utc(zone), zone)))
}

/// An ISO 8601 duration as iCalendar writes it (`PT1H30M`, `P1D`).
fn duration(v: &str) -> Option<Duration> {
    let (neg, v) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let v = v.strip_prefix('P')?;
    let (days_part, time_part) = v.split_once('T').unwrap_or((v, ""));
    let mut total = Duration::zero();
    let mut num = String::new();
    for c in days_part.chars() {
        match c {
            '0'..='9' => num.push(c),
            'W' => total += Duration::weeks(num.parse().ok()?),
            'D' => total += Duration::days(num.parse().ok()?),
            _ => return None,
        }
        if !c.is_ascii_digit() {
            num.clear();
        }
    }
    for c in time_part.chars() {
        match c {
            '0'..='9' => num.push(c),
            'H' => total += Duration::hours(num.parse().ok()?),
            'M' => total += Duration::minutes(num.parse().ok()?),
            'S' => total += Duration::seconds(num.parse().ok()?),
            _ => return None,
        }
        if !c.is_ascii_digit() {
            num.clear();
        }
    }
    Some(if neg { -total } else { total })
}

/// Read an invitation (REQUEST or CANCEL) from iCalendar text.
pub fn parse_invitation(text: &str) -> Result<Invitation, ItipError> {
    if text.len() > MAX_INVITATION {
        return Err(ItipError::TooLarge);
    }
    let cals = parse(text)?;
    let cal = cals
        .iter()
        .find(|c| c.name == "VCALENDAR")
        .ok_or(ItipError::NoEvent)?;
    let method = match cal
        .property("METHOD")
        .map(|p| p.value.trim().to_ascii_uppercase())
        .as_deref()
    {
        Some("REQUEST") => Method::Request,
        Some("CANCEL") => Method::Cancel,
        Some(other) => return Err(ItipError::Method(other.to_string())),
        None => return Err(ItipError::Method("(none)".into())),
    };
    // The master, or the only event.
    let events: Vec<&Component> = cal.components_named("VEVENT").collect();
    let ev = events
        .iter()
        .find(|e| e.property("RECURRENCE-ID").is_none())
        .or_else(|| events.first())
        .copied()
        .ok_or(ItipError::NoEvent)?;
    let uid = ev
        .property("UID")
        .map(|p| p.value.trim().to_string())
        .filter(|u| !u.is_empty())
        .ok_or(ItipError::Missing("UID"))?;
    let sequence = match ev.property("SEQUENCE") {
        Some(p) => p.value.trim().parse().map_err(|_| ItipError::Value {
            property: "SEQUENCE",
            reason: format!("{:?} is not a number", p.value),
        })?,
        None => 0,
    };
    let organizer = ev
        .property("ORGANIZER")
        .map(address)
        .filter(|a| a.email.contains('@'))
        .ok_or(ItipError::Missing("ORGANIZER"))?;
    let attendees = ev
        .properties_named("ATTENDEE")
        .map(address)
        .filter(|a| a.email.contains('@'))
        .collect();
    let (start, zone) = instant(ev, "DTSTART")?.ok_or(ItipError::Missing("DTSTART"))?;
    let end = match instant(ev, "DTEND")? {
        Some((e, _)) => e,
        None => match ev.property("DURATION") {
            Some(p) => {
                start
                    + duration(p.value.trim()).ok_or_else(|| ItipError::Value {
                        property: "DURATION",
                        reason: format!("{:?} is not a duration", p.value),
                    })?
            }
            None if method == Method::Cancel => start,
            None => return Err(ItipError::Missing("DTEND or DURATION")),
        },
    };
    if method == Method::Request && end <= start {
        return Err(ItipError::Value {
            property: "DTEND",
            reason: "the event ends before it starts".into(),
        });
    }
    let recurrence_id = instant(ev, "RECURRENCE-ID")?.map(|(t, _)| t);
    Ok(Invitation {
        method,
        uid,
        sequence,
        summary: ev.property("SUMMARY").map(|p| p.text()).unwrap_or_default(),
        description: ev
            .property("DESCRIPTION")
            .map(|p| p.text())
            .unwrap_or_default(),
        start,
        end,
        zone,
        rrule: ev.property("RRULE").map(|p| p.value.trim().to_string()),
        recurrence_id,
        organizer,
        attendees,
    })
}

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
    pub end: DateTime<Utc>,
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
    pub uid: &'a str,
    pub sequence: u32,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub zone: Tz,
    /// For a series: its rule (UNTIL/COUNT included) and excluded dates.
    pub rrule: Option<&'a str>,
    pub exdates: &'a [DateTime<Utc>],
    /// The booking system (ORGANIZER).
    pub organizer: &'a Address,
    /// The person who booked.
    pub attendee: &'a Address,
    /// The room (CUTYPE=ROOM).
    pub room: &'a Address,
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
    mailto(
        w,
        "ATTENDEE",
        &format!(";CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT={room_state};RSVP=FALSE"),
        ev.room,
    );
    let status = match method {
        Method::Cancel => "CANCELLED",
        Method::Request if ev.tentative => "TENTATIVE",
        Method::Request => "CONFIRMED",
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

/// METHOD:REQUEST (new or changed) or METHOD:CANCEL for `ev`.
pub fn invite(ev: &EventInvite<'_>, method: Method, prodid: &str, now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    let m = match method {
        Method::Request => "REQUEST",
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
        assert_eq!(
            parse_invitation(&no_org),
            Err(ItipError::Missing("ORGANIZER"))
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
        assert!(matches!(
            parse_invitation("BEGIN:VCALENDAR\r\n"),
            Err(ItipError::Syntax(_))
        ));
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
        let cal = &parse(&text).expect("parse")[0];
        assert_eq!(cal.property("METHOD").expect("m").value, "REPLY");
        let ev = &cal.components[0];
        let att = ev.property("ATTENDEE").expect("attendee");
        assert_eq!(att.param("PARTSTAT"), Some("DECLINED"));
        assert_eq!(
            ev.property("COMMENT").expect("c").text(),
            "Taken, sorry; try Red"
        );
        assert_eq!(
            ev.property("ORGANIZER").expect("o").param("CN"),
            Some("Doe, Jane")
        );
    }
}
