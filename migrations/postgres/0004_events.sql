-- Booking changes for live updates (SSE), kept for a retention window so that
-- clients reconnecting with Last-Event-ID miss nothing. Inserts are announced
-- with NOTIFY booking_events so every server process forwards them.
CREATE TABLE events (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    kind         TEXT NOT NULL,
    room_id      UUID NOT NULL,
    organizer_id UUID NOT NULL,
    booking_id   UUID NOT NULL,
    payload      JSONB NOT NULL
);
CREATE INDEX events_at ON events (at);
