-- A change counter per room and per organizer, bumped by the database in
-- the transaction of every booking write (whoever writes), and one for all
-- room writes (kind 'rooms', id all zeros), so a feed's validator is a
-- primary-key read however many bookings it holds.
CREATE TABLE feed_changes (
    kind TEXT NOT NULL CHECK (kind IN ('room', 'organizer', 'rooms')),
    id   BLOB NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TRIGGER bookings_feed_changes_insert AFTER INSERT ON bookings
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('room', NEW.room_id, 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
    INSERT INTO feed_changes (kind, id, n) VALUES ('organizer', NEW.organizer_id, 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER bookings_feed_changes_update AFTER UPDATE ON bookings
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('room', NEW.room_id, 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
    INSERT INTO feed_changes (kind, id, n) VALUES ('organizer', NEW.organizer_id, 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
    INSERT INTO feed_changes (kind, id, n)
        SELECT 'room', OLD.room_id, 1 WHERE OLD.room_id IS NOT NEW.room_id
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
    INSERT INTO feed_changes (kind, id, n)
        SELECT 'organizer', OLD.organizer_id, 1 WHERE OLD.organizer_id IS NOT NEW.organizer_id
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER bookings_feed_changes_delete AFTER DELETE ON bookings
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('room', OLD.room_id, 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
    INSERT INTO feed_changes (kind, id, n) VALUES ('organizer', OLD.organizer_id, 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER rooms_feed_changes_insert AFTER INSERT ON rooms
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('rooms', X'00000000000000000000000000000000', 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER rooms_feed_changes_update AFTER UPDATE ON rooms
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('rooms', X'00000000000000000000000000000000', 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER rooms_feed_changes_delete AFTER DELETE ON rooms
BEGIN
    INSERT INTO feed_changes (kind, id, n) VALUES ('rooms', X'00000000000000000000000000000000', 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
END;
