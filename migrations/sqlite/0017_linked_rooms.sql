-- Linked (divisible) rooms: a combined room (a hall) is made of parts (A and
-- B). Every room of a link stands on physical units: a combined room on its
-- parts, a part on itself (the row (A, A)). A blocking booking of such a
-- room holds each of its units, and holds of one unit never overlap: booking
-- the hall holds A and B, booking A holds the hall — for every writer.
CREATE TABLE room_parts (
    room_id BLOB NOT NULL REFERENCES rooms (id),
    part_id BLOB NOT NULL REFERENCES rooms (id),
    PRIMARY KEY (room_id, part_id)
);
CREATE INDEX room_parts_part ON room_parts (part_id);

CREATE TABLE booking_holds (
    booking_id BLOB NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    part_id    BLOB NOT NULL,
    held_start INTEGER NOT NULL,
    held_end   INTEGER NOT NULL,
    PRIMARY KEY (booking_id, part_id)
);
CREATE INDEX booking_holds_part ON booking_holds (part_id, held_start);

-- Holds of one unit never overlap, so the latest one starting before NEW
-- ends is the only candidate (as for bookings of one room).
CREATE TRIGGER booking_holds_no_overlap
BEFORE INSERT ON booking_holds
BEGIN
    SELECT RAISE(ABORT, 'booking_conflict')
    WHERE (SELECT h.held_end FROM booking_holds h
           WHERE h.part_id = NEW.part_id AND h.booking_id <> NEW.booking_id
             AND h.held_start < NEW.held_end
           ORDER BY h.held_start DESC LIMIT 1) > NEW.held_start;
END;

CREATE TRIGGER bookings_hold_units_insert
AFTER INSERT ON bookings
WHEN NEW.status IN ('pending', 'approved')
BEGIN
    INSERT INTO booking_holds (booking_id, part_id, held_start, held_end)
    SELECT NEW.id, p.part_id, NEW.held_start, NEW.held_end
    FROM room_parts p WHERE p.room_id = NEW.room_id;
END;

CREATE TRIGGER bookings_hold_units_update
AFTER UPDATE OF room_id, held_start, held_end, status ON bookings
BEGIN
    DELETE FROM booking_holds WHERE booking_id = NEW.id;
    INSERT INTO booking_holds (booking_id, part_id, held_start, held_end)
    SELECT NEW.id, p.part_id, NEW.held_start, NEW.held_end
    FROM room_parts p
    WHERE p.room_id = NEW.room_id AND NEW.status IN ('pending', 'approved');
END;
