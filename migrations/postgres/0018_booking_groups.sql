-- Several rooms in one booking (a meeting split over two sites, a hall plus
-- a catering room): one booking per room, written all or none, sharing a
-- group id (the first booking's id).
ALTER TABLE bookings ADD COLUMN group_id UUID;
CREATE INDEX bookings_group ON bookings (group_id) WHERE group_id IS NOT NULL;
