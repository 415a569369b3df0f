-- Chat platform requests already executed (signature or request id), kept
-- for the platforms' signature window so a replayed request runs once.
CREATE TABLE chat_requests (
    key     TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
CREATE INDEX chat_requests_seen_at ON chat_requests (seen_at);
