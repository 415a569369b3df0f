-- Covering indexes for the feed/CalDAV version query (count, sum of
-- sequence, latest change per room or organizer), so a 304 reads no rows.
CREATE INDEX bookings_room_version ON bookings (room_id, start_at, end_at, sequence, updated_at);
CREATE INDEX bookings_organizer_version ON bookings (organizer_id, start_at, end_at, sequence, updated_at);
