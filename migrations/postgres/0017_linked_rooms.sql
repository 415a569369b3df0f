-- Linked (divisible) rooms: a combined room (a hall) is made of parts (A and
-- B). Every room of a link stands on physical units: a combined room on its
-- parts, a part on itself (the row (A, A)). A blocking booking of such a
-- room holds each of its units, and holds of one unit never overlap: booking
-- the hall holds A and B, booking A holds the hall — for every writer, under
-- any concurrency (an exclusion constraint, like bookings_no_overlap).
CREATE TABLE room_parts (
    room_id UUID NOT NULL REFERENCES rooms (id),
    part_id UUID NOT NULL REFERENCES rooms (id),
    PRIMARY KEY (room_id, part_id)
);
CREATE INDEX room_parts_part ON room_parts (part_id);

CREATE TABLE booking_holds (
    booking_id UUID NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    part_id    UUID NOT NULL,
    held_start TIMESTAMPTZ NOT NULL,
    held_end   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (booking_id, part_id),
    CONSTRAINT booking_holds_no_overlap EXCLUDE USING gist (
        part_id WITH =,
        tstzrange(held_start, held_end, '[)') WITH &&
    )
);
CREATE INDEX booking_holds_part ON booking_holds (part_id, held_start);

CREATE FUNCTION booking_hold_units() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM booking_holds WHERE booking_id = NEW.id;
    END IF;
    IF NEW.status IN ('pending', 'approved') THEN
        INSERT INTO booking_holds (booking_id, part_id, held_start, held_end)
        SELECT NEW.id, p.part_id, NEW.held_start, NEW.held_end
        FROM room_parts p WHERE p.room_id = NEW.room_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- Named to fire before bookings_feed_changes (triggers fire in name order):
-- a writer waits for another's hold before it locks any change counter, so
-- two writers of one organizer never wait on each other in a circle.
CREATE TRIGGER bookings_claim_units
AFTER INSERT OR UPDATE OF room_id, held_start, held_end, status ON bookings
FOR EACH ROW EXECUTE FUNCTION booking_hold_units();
