-- Chat accounts linked to platform accounts, and one-time link codes.
CREATE TABLE chat_links (
    platform    TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (platform, external_id)
);

CREATE TABLE chat_link_codes (
    code       TEXT PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL
);
