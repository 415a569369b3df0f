-- Procurement orders attached to bookings.
CREATE TABLE orders (
    id           UUID PRIMARY KEY,
    booking_id   UUID NOT NULL REFERENCES bookings (id),
    requested_by UUID NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    items        JSONB NOT NULL,
    priority     TEXT NOT NULL,
    status       TEXT NOT NULL,
    cost_centre  TEXT NOT NULL,
    notes        TEXT NOT NULL,
    needs_review BOOLEAN NOT NULL,
    notice       TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_booking ON orders (booking_id);
CREATE INDEX orders_status ON orders (status, created_at);
