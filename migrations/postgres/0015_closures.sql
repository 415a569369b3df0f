-- Closures (blackouts): periods when a room, a floor, a location or every
-- room is closed, once or repeating, with a reason. Bookings into them are
-- refused (rule `closed`); feeds and free/busy show them as busy.
CREATE TABLE closures (
    id         UUID PRIMARY KEY,
    scope      JSONB NOT NULL,
    start_at   TIMESTAMPTZ NOT NULL,
    end_at     TIMESTAMPTZ NOT NULL,
    rrule      TEXT,
    time_zone  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX closures_end ON closures (end_at);

-- A closure changes what every covered room offers: count it as a room
-- write, so kept feeds and availability answers are made afresh.
CREATE TRIGGER closures_feed_changes AFTER INSERT OR UPDATE OR DELETE ON closures
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rooms_changes();
