-- Webhooks: endpoints admins register, and one delivery per event and
-- endpoint, fanned out from the events table (the durable outbox) and sent
-- with retries. The secret signs deliveries (Standard Webhooks), so it is
-- kept as given; a rotated-out secret keeps signing until `previous_until`.
CREATE TABLE webhook_endpoints (
    id              BLOB PRIMARY KEY,
    owner_id        BLOB NOT NULL REFERENCES users (id),
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    kinds           TEXT NOT NULL,
    room_id         BLOB REFERENCES rooms (id),
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    previous_until  INTEGER,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- How far the fan-out has turned events into deliveries.
CREATE TABLE webhook_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    event_id INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     BLOB NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL UNIQUE,
    event_id        INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    booking_id      BLOB NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER,
    last_latency_ms INTEGER,
    last_response   TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, booking_id, id) WHERE state = 'pending';
