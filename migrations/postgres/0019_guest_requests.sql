-- Requests from guests (people without an account) on a room's public
-- request form. A request reaches approvers only once its guest opened the
-- confirmation link sent to their address; only the link token's SHA-256
-- is kept. booking_id is set when it was confirmed.
CREATE TABLE guest_requests (
    id           UUID PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    room_id      UUID NOT NULL REFERENCES rooms (id),
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    title        TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    attendees    BIGINT NOT NULL,
    start_at     TIMESTAMPTZ NOT NULL,
    end_at       TIMESTAMPTZ NOT NULL,
    ip           TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    booking_id   UUID
);
CREATE INDEX guest_requests_expires ON guest_requests (expires_at);
