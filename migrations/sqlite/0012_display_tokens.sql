-- Door displays: a tablet at a room's door signs in with a token scoped to
-- that room. Only the token's SHA-256 is kept; revoked tokens stay listed.
CREATE TABLE display_tokens (
    id           BLOB PRIMARY KEY,
    room_id      BLOB NOT NULL REFERENCES rooms (id),
    door_user_id BLOB NOT NULL REFERENCES users (id),
    token_sha256 TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_by   BLOB NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX display_tokens_room ON display_tokens (room_id);
