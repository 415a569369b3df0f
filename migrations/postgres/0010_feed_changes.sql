-- A change counter per room and per organizer, bumped by the database in
-- the transaction of every booking write (whoever writes), and one for all
-- room writes (kind 'rooms', id all zeros), so a feed's validator is a
-- primary-key read however many bookings it holds.
-- Locks are taken room first, then organizer, as booking writes already
-- hold the room's advisory lock.
CREATE TABLE feed_changes (
    kind TEXT NOT NULL CHECK (kind IN ('room', 'organizer', 'rooms')),
    id   UUID NOT NULL,
    n    BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

CREATE FUNCTION bump_feed_changes() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO feed_changes (kind, id, n) VALUES ('room', NEW.room_id, 1)
            ON CONFLICT (kind, id) DO UPDATE SET n = feed_changes.n + 1;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.room_id <> NEW.room_id) THEN
        INSERT INTO feed_changes (kind, id, n) VALUES ('room', OLD.room_id, 1)
            ON CONFLICT (kind, id) DO UPDATE SET n = feed_changes.n + 1;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO feed_changes (kind, id, n) VALUES ('organizer', NEW.organizer_id, 1)
            ON CONFLICT (kind, id) DO UPDATE SET n = feed_changes.n + 1;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.organizer_id <> NEW.organizer_id) THEN
        INSERT INTO feed_changes (kind, id, n) VALUES ('organizer', OLD.organizer_id, 1)
            ON CONFLICT (kind, id) DO UPDATE SET n = feed_changes.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER bookings_feed_changes AFTER INSERT OR UPDATE OR DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION bump_feed_changes();

CREATE FUNCTION bump_rooms_changes() RETURNS trigger AS $$
BEGIN
    INSERT INTO feed_changes (kind, id, n)
        VALUES ('rooms', '00000000-0000-0000-0000-000000000000', 1)
        ON CONFLICT (kind, id) DO UPDATE SET n = feed_changes.n + 1;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER rooms_feed_changes AFTER INSERT OR UPDATE OR DELETE ON rooms
    FOR EACH STATEMENT EXECUTE FUNCTION bump_rooms_changes();
