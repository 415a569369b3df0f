-- The write transaction counts the organizer's open bookings in the room
-- (the per-person limit): from this index alone, without reading a row.
CREATE INDEX bookings_room_organizer_open ON bookings (room_id, organizer_id, end_at, id)
    WHERE status IN ('pending', 'approved');
