-- Chat accounts linked to platform accounts, and one-time link codes.
CREATE TABLE chat_links (
    platform    TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id     UUID NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, external_id)
);

CREATE TABLE chat_link_codes (
    code       TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id),
    expires_at TIMESTAMPTZ NOT NULL
);
