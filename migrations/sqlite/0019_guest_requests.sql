-- Requests from guests (people without an account) on a room's public
-- request form. A request reaches approvers only once its guest opened the
-- confirmation link sent to their address; only the link token's SHA-256
-- is kept. booking_id is set when it was confirmed.
CREATE TABLE guest_requests (
    id           BLOB PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    room_id      BLOB NOT NULL REFERENCES rooms (id),
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    title        TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    attendees    INTEGER NOT NULL,
    start_at     INTEGER NOT NULL,
    end_at       INTEGER NOT NULL,
    ip           TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    booking_id   BLOB
);
CREATE INDEX guest_requests_expires ON guest_requests (expires_at);
