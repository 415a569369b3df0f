-- Webhooks: endpoints admins register, and one delivery per event and
-- endpoint, fanned out from the events table (the durable outbox) and sent
-- with retries. The secret signs deliveries (Standard Webhooks), so it is
-- kept as given; a rotated-out secret keeps signing until `previous_until`.
CREATE TABLE webhook_endpoints (
    id              UUID PRIMARY KEY,
    owner_id        UUID NOT NULL REFERENCES users (id),
    url             TEXT NOT NULL,
    description     TEXT NOT NULL,
    kinds           TEXT NOT NULL,
    room_id         UUID REFERENCES rooms (id),
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    previous_until  TIMESTAMPTZ,
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failures        BIGINT NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- How far the fan-out has turned events into deliveries.
CREATE TABLE webhook_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    event_id BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    endpoint_id     UUID NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL UNIQUE,
    event_id        BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    booking_id      UUID NOT NULL,
    body            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_status     BIGINT,
    last_latency_ms BIGINT,
    last_response   TEXT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, booking_id, id) WHERE state = 'pending';
