-- Per-user secret for calendar feed URLs (rotatable).
ALTER TABLE users ADD COLUMN feed_token TEXT;
CREATE UNIQUE INDEX users_feed_token ON users (feed_token) WHERE feed_token IS NOT NULL;
