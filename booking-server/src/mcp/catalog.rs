//! The catalog of tools an assistant may call: names, titles,
//! descriptions and input schemas, with hints of which ones change things.

use serde_json::{Value, json};

/// The tools that change state (refused to a read-only token).
pub(super) const WRITES: &[&str] = &[
    "book",
    "book_series",
    "cancel_booking",
    "check_in",
    "join_waitlist",
];

fn instant(desc: &str) -> Value {
    json!({"type": "string", "format": "date-time", "description": desc})
}

fn tool(name: &str, title: &str, description: &str, props: Value, required: &[&str]) -> Value {
    let read_only = !WRITES.contains(&name);
    json!({
        "name": name,
        "title": title,
        "description": description,
        "inputSchema": {"type": "object", "properties": props, "required": required,
                        "additionalProperties": false},
        "annotations": {"readOnlyHint": read_only, "destructiveHint": name == "cancel_booking",
                        "idempotentHint": read_only, "openWorldHint": false},
    })
}

/// Every tool, with its input schema.
pub fn catalog() -> Vec<Value> {
    let booking_props = json!({
        "room_id": {"type": "string", "format": "uuid"},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "purpose": {"type": "string", "maxLength": 2000},
        "attendees": {"type": "integer", "minimum": 1},
        "start": instant("RFC 3339, e.g. 2026-12-01T09:00:00+01:00"),
        "end": instant("RFC 3339; after start"),
    });
    let mut book_props = booking_props.clone();
    book_props["idempotency_key"] = json!({"type": "string", "minLength": 1, "maxLength": 200,
        "description": "Any unique string; a retried call with the same key answers the first call's booking instead of booking again."});
    book_props["for_email"] = json!({"type": "string", "format": "email",
        "description": "Book in this person's name (an assistant for their manager): they must have let you book for them, or you manage the room. The booking is theirs and names you as the booker."});
    vec![
        tool(
            "list_rooms",
            "List rooms",
            "Rooms that can be booked, with capacity, floor, amenities and time zone.",
            json!({}),
            &[],
        ),
        tool(
            "find_rooms",
            "Find free rooms",
            "Rooms free for the whole time range with enough seats and every amenity asked for, best fit first.",
            json!({
                "start": instant("RFC 3339 start"),
                "end": instant("RFC 3339 end (or give duration_minutes)"),
                "duration_minutes": {"type": "integer", "minimum": 1, "description": "Instead of end"},
                "attendees": {"type": "integer", "minimum": 1, "description": "Seats needed (default 1)"},
                "amenities": {"type": "array", "items": {"type": "string"}},
            }),
            &["start"],
        ),
        tool(
            "room_availability",
            "Free times of a room",
            "The free slots of one room on a date (in the room's time zone).",
            json!({"room_id": {"type": "string", "format": "uuid"},
                   "date": {"type": "string", "format": "date", "description": "YYYY-MM-DD"}}),
            &["room_id", "date"],
        ),
        tool(
            "book",
            "Book a room",
            "Book a room for a time range. The room's rules apply (opening hours, durations, capacity, approval); a taken slot is refused with the booking in the way and rooms free at that time.",
            book_props,
            &["room_id", "title", "attendees", "start", "end"],
        ),
        tool(
            "book_series",
            "Book a recurring meeting",
            "Book a series from an RRULE (FREQ=DAILY|WEEKLY|MONTHLY, BYDAY, COUNT, UNTIL, INTERVAL) starting at a wall-clock time in the room's zone; occurrences that cannot be booked are listed.",
            json!({
                "room_id": {"type": "string", "format": "uuid"},
                "title": {"type": "string", "minLength": 1, "maxLength": 200},
                "purpose": {"type": "string"},
                "attendees": {"type": "integer", "minimum": 1},
                "local_start": {"type": "string", "description": "e.g. 2026-12-07T09:00:00 (room's time zone)"},
                "duration_minutes": {"type": "integer", "minimum": 1},
                "rrule": {"type": "string", "description": "e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=6"},
            }),
            &[
                "room_id",
                "title",
                "attendees",
                "local_start",
                "duration_minutes",
                "rrule",
            ],
        ),
        tool(
            "my_bookings",
            "My bookings",
            "My bookings in a range (default: from yesterday, 31 days).",
            json!({"from": instant("range start"), "to": instant("range end")}),
            &[],
        ),
        tool(
            "cancel_booking",
            "Cancel a booking",
            "Cancel one of my bookings (or one in a room I approve for).",
            json!({"booking_id": {"type": "string", "format": "uuid"},
                   "reason": {"type": "string", "maxLength": 500}}),
            &["booking_id"],
        ),
        tool(
            "check_in",
            "Check in",
            "Check in to a booking that is about to start (rooms with check-in release bookings nobody checks in to).",
            json!({"booking_id": {"type": "string", "format": "uuid"},
                   "code": {"type": "string", "description": "The room's check-in code, where it has one"}}),
            &["booking_id"],
        ),
        tool(
            "join_waitlist",
            "Join the waitlist",
            "Wait for a taken slot: it is booked for me when it frees up.",
            booking_props,
            &["room_id", "title", "attendees", "start", "end"],
        ),
    ]
}
