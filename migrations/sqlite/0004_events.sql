-- Booking changes for live updates (SSE), kept for a retention window so that
-- clients reconnecting with Last-Event-ID miss nothing.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    room_id      BLOB NOT NULL,
    organizer_id BLOB NOT NULL,
    booking_id   BLOB NOT NULL,
    payload      TEXT NOT NULL
);
CREATE INDEX events_at ON events (at);
