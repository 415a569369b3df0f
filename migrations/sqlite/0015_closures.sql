-- Closures (blackouts): periods when a room, a floor, a location or every
-- room is closed, once or repeating, with a reason. Bookings into them are
-- refused (rule `closed`); feeds and free/busy show them as busy.
CREATE TABLE closures (
    id         BLOB PRIMARY KEY,
    scope      TEXT NOT NULL,
    start_at   INTEGER NOT NULL,
    end_at     INTEGER NOT NULL,
    rrule      TEXT,
    time_zone  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX closures_end ON closures (end_at);

-- A closure changes what every covered room offers: count it as a room
-- write, so kept feeds and availability answers are made afresh.
CREATE TRIGGER closures_feed_changes_insert AFTER INSERT ON closures
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('rooms', X'00000000000000000000000000000000', 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER closures_feed_changes_delete AFTER DELETE ON closures
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('rooms', X'00000000000000000000000000000000', 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;
