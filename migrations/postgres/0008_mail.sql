-- Outgoing mail: a persistent outbox the sender drains with retries, so no
-- message is sent inside a booking transaction and none is lost in a crash.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    dedupe_key      TEXT UNIQUE,
    kind            TEXT NOT NULL,
    sender          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message         BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- How far the notifier has turned booking events into mail.
CREATE TABLE mail_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    event_id BIGINT NOT NULL
);

-- Invitations a room answered: the organizer's UID → what was booked.
CREATE TABLE invites (
    uid        TEXT NOT NULL,
    room_id    UUID NOT NULL REFERENCES rooms (id),
    organizer  TEXT NOT NULL,
    sequence   BIGINT NOT NULL,
    booking_id UUID,
    series_id  UUID,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uid, room_id)
);
CREATE INDEX invites_booking ON invites (booking_id);
CREATE INDEX invites_series ON invites (series_id);
