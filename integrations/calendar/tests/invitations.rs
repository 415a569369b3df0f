//! Invitations as Outlook (desktop and on the web), Google Calendar, Apple
//! Calendar and Thunderbird write them (fixtures in `tests/invitations/`),
//! read by the calcard-based reader: the right instants across DST changes,
//! Windows zone names, the organizer (or none), rooms by CUTYPE.

use booking_calendar::itip::{Method, parse_invitation, zone};
use chrono::{DateTime, Utc};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/invitations")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

struct Want {
    file: &'static str,
    start: &'static str,
    end: &'static str,
    zone: chrono_tz::Tz,
    organizer: &'static str,
    room: &'static str,
    room_cutype: &'static str,
    rrule: Option<&'static str>,
    sequence: u32,
}

#[test]
fn every_client_s_invitation_books_the_right_instants() {
    let cases = [
        // 10:00 in Berlin before the spring change: UTC+1.
        Want {
            file: "outlook-desktop.ics",
            start: "2027-03-24T09:00:00Z",
            end: "2027-03-24T10:00:00Z",
            zone: chrono_tz::Europe::Berlin,
            organizer: "jane.doe@example.com",
            room: "blue-room@rooms.example.com",
            room_cutype: "RESOURCE",
            rrule: Some("FREQ=WEEKLY;COUNT=4;INTERVAL=1;BYDAY=WE;WKST=MO"),
            sequence: 0,
        },
        // "Eastern Standard Time", days before the US change: UTC-5.
        Want {
            file: "outlook-web.ics",
            start: "2027-03-10T14:00:00Z",
            end: "2027-03-10T14:30:00Z",
            zone: chrono_tz::America::New_York,
            organizer: "sam.lee@example.com",
            room: "new-york@rooms.example.com",
            room_cutype: "RESOURCE",
            rrule: Some("FREQ=WEEKLY;UNTIL=20270317T130000Z;INTERVAL=1;BYDAY=WE;WKST=SU"),
            sequence: 0,
        },
        // Still summer time in Berlin (the change is on 31 October): UTC+2.
        Want {
            file: "google.ics",
            start: "2027-10-27T12:00:00Z",
            end: "2027-10-27T13:30:00Z",
            zone: chrono_tz::Europe::Berlin,
            organizer: "ana.garcia@example.com",
            room: "green-room@rooms.example.com",
            room_cutype: "RESOURCE",
            rrule: None,
            sequence: 0,
        },
        // New York before its autumn change: UTC-4; Apple says CUTYPE=ROOM.
        Want {
            file: "apple.ics",
            start: "2027-11-03T13:00:00Z",
            end: "2027-11-03T14:00:00Z",
            zone: chrono_tz::America::New_York,
            organizer: "chris@example.com",
            room: "new-york@rooms.example.com",
            room_cutype: "ROOM",
            rrule: None,
            sequence: 1,
        },
        // 01:30 on the night Berlin springs forward, for two hours by
        // DURATION: 00:30–02:30 UTC (the wall clock jumps from 02:00 to 03:00).
        Want {
            file: "thunderbird.ics",
            start: "2027-03-28T00:30:00Z",
            end: "2027-03-28T02:30:00Z",
            zone: chrono_tz::Europe::Berlin,
            organizer: "lena@example.com",
            room: "blue-room@rooms.example.com",
            room_cutype: "ROOM",
            rrule: None,
            sequence: 0,
        },
        // An Outlook update without ORGANIZER (after the autumn change: UTC+1).
        Want {
            file: "outlook-update-without-organizer.ics",
            start: "2027-11-03T14:00:00Z",
            end: "2027-11-03T15:00:00Z",
            zone: chrono_tz::Europe::Berlin,
            organizer: "",
            room: "blue-room@rooms.example.com",
            room_cutype: "RESOURCE",
            rrule: None,
            sequence: 1,
        },
    ];
    for want in cases {
        let inv =
            parse_invitation(&fixture(want.file)).unwrap_or_else(|e| panic!("{}: {e}", want.file));
        assert_eq!(inv.method, Method::Request, "{}", want.file);
        assert_eq!(inv.start, utc(want.start), "{}", want.file);
        assert_eq!(inv.end, utc(want.end), "{}", want.file);
        assert_eq!(inv.zone, want.zone, "{}", want.file);
        assert_eq!(inv.organizer.email, want.organizer, "{}", want.file);
        assert_eq!(inv.sequence, want.sequence, "{}", want.file);
        assert_eq!(inv.rrule.as_deref(), want.rrule, "{}", want.file);
        let room = inv
            .attendees
            .iter()
            .find(|a| a.email == want.room)
            .unwrap_or_else(|| panic!("{}: no room among {:?}", want.file, inv.attendees));
        assert_eq!(room.cutype, want.room_cutype, "{}", want.file);
        assert!(
            !inv.uid.is_empty() && !inv.summary.is_empty(),
            "{}",
            want.file
        );
    }
}

#[test]
fn windows_zone_names_map_to_iana_zones() {
    for (windows, iana) in [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Eastern Standard Time", "America/New_York"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("GMT Standard Time", "Europe/London"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        // Beyond the 41 names the earlier table knew:
        ("Myanmar Standard Time", "Asia/Rangoon"),
        ("Nepal Standard Time", "Asia/Katmandu"),
        ("Cape Verde Standard Time", "Atlantic/Cape_Verde"),
        ("Europe/Paris", "Europe/Paris"),
    ] {
        let got = zone(windows).unwrap_or_else(|| panic!("{windows}"));
        let want: chrono_tz::Tz = iana.parse().expect("iana");
        // Aliases (Asia/Rangoon = Asia/Yangon) count as the same zone.
        let t = utc("2027-07-01T12:00:00Z");
        assert_eq!(
            t.with_timezone(&got).naive_local(),
            t.with_timezone(&want).naive_local(),
            "{windows} → {got}"
        );
    }
    assert_eq!(zone("Mars/Olympus Mons"), None);
}
