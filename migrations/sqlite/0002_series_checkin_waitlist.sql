-- Recurring series, check-in / no-show release, waitlist.
ALTER TABLE bookings ADD COLUMN series_id BLOB;
ALTER TABLE bookings ADD COLUMN occurrence_start INTEGER;
ALTER TABLE bookings ADD COLUMN checked_in_at INTEGER;
ALTER TABLE bookings ADD COLUMN no_show INTEGER NOT NULL DEFAULT 0;
CREATE INDEX bookings_series ON bookings (series_id, start_at) WHERE series_id IS NOT NULL;
CREATE INDEX bookings_awaiting_checkin ON bookings (start_at) WHERE status = 'approved' AND checked_in_at IS NULL;

CREATE TABLE series (
    id               BLOB PRIMARY KEY,
    room_id          BLOB NOT NULL REFERENCES rooms (id),
    organizer_id     BLOB NOT NULL REFERENCES users (id),
    title            TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    attendees        INTEGER NOT NULL,
    local_start      TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    rrule            TEXT NOT NULL,
    trimmed          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);

CREATE TABLE waitlist (
    id         BLOB PRIMARY KEY,
    room_id    BLOB NOT NULL REFERENCES rooms (id),
    user_id    BLOB NOT NULL REFERENCES users (id),
    title      TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    attendees  INTEGER NOT NULL,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    booking_id BLOB,
    active     INTEGER NOT NULL
);
CREATE INDEX waitlist_room_active ON waitlist (room_id, start_at) WHERE active = 1;
CREATE INDEX waitlist_user ON waitlist (user_id, start_at);
