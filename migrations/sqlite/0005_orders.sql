-- Procurement orders attached to bookings.
CREATE TABLE orders (
    id           BLOB PRIMARY KEY,
    booking_id   BLOB NOT NULL REFERENCES bookings (id),
    requested_by BLOB NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL,
    items        TEXT NOT NULL,
    priority     TEXT NOT NULL,
    status       TEXT NOT NULL,
    cost_centre  TEXT NOT NULL,
    notes        TEXT NOT NULL,
    needs_review INTEGER NOT NULL,
    notice       TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX orders_booking ON orders (booking_id);
CREATE INDEX orders_status ON orders (status, created_at);
