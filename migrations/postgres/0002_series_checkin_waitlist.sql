-- Recurring series, check-in / no-show release, waitlist.
ALTER TABLE bookings ADD COLUMN series_id UUID;
ALTER TABLE bookings ADD COLUMN occurrence_start TIMESTAMPTZ;
ALTER TABLE bookings ADD COLUMN checked_in_at TIMESTAMPTZ;
ALTER TABLE bookings ADD COLUMN no_show BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX bookings_series ON bookings (series_id, start_at) WHERE series_id IS NOT NULL;
CREATE INDEX bookings_awaiting_checkin ON bookings (start_at) WHERE status = 'approved' AND checked_in_at IS NULL;

CREATE TABLE series (
    id               UUID PRIMARY KEY,
    room_id          UUID NOT NULL REFERENCES rooms (id),
    organizer_id     UUID NOT NULL REFERENCES users (id),
    title            TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    attendees        BIGINT NOT NULL,
    local_start      TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    rrule            TEXT NOT NULL,
    trimmed          BOOLEAN NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE waitlist (
    id         UUID PRIMARY KEY,
    room_id    UUID NOT NULL REFERENCES rooms (id),
    user_id    UUID NOT NULL REFERENCES users (id),
    title      TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    attendees  BIGINT NOT NULL,
    start_at   TIMESTAMPTZ NOT NULL,
    end_at     TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    booking_id UUID,
    active     BOOLEAN NOT NULL,
    -- Queue order for entries made in the same instant.
    seq        BIGSERIAL
);
CREATE INDEX waitlist_room_active ON waitlist (room_id, start_at) WHERE active;
CREATE INDEX waitlist_user ON waitlist (user_id, start_at);
