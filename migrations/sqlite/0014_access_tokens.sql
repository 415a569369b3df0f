-- Personal access tokens for scripts and AI assistants (MCP): a bearer
-- token that acts as its owner, read-only or read-write, revocable. Only
-- the token's SHA-256 is kept.
CREATE TABLE access_tokens (
    id           BLOB PRIMARY KEY,
    user_id      BLOB NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX access_tokens_user ON access_tokens (user_id);

-- Idempotency keys of booking calls (MCP `book` with `idempotency_key`):
-- a retried call with the same key answers the booking the first one made
-- (booking_id is empty while the first call runs).
CREATE TABLE idempotency_keys (
    user_id    BLOB NOT NULL REFERENCES users (id),
    key        TEXT NOT NULL,
    booking_id BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
