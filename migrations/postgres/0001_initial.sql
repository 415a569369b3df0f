CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE rooms (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    capacity    BIGINT NOT NULL CHECK (capacity > 0),
    floor       INTEGER,
    location    TEXT NOT NULL,
    amenities   JSONB NOT NULL,
    time_zone   TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    deleted_at  TIMESTAMPTZ,
    policy      JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX rooms_name_live ON rooms (name) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    assigned_rooms JSONB NOT NULL,
    active         BOOLEAN NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    password_hash  TEXT,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE bookings (
    id              UUID PRIMARY KEY,
    room_id         UUID NOT NULL REFERENCES rooms (id),
    organizer_id    UUID NOT NULL REFERENCES users (id),
    title           TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    attendees       BIGINT NOT NULL,
    start_at        TIMESTAMPTZ NOT NULL,
    end_at          TIMESTAMPTZ NOT NULL,
    held_start      TIMESTAMPTZ NOT NULL,
    held_end        TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    approver_id     UUID,
    decision_reason TEXT,
    sequence        BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CHECK (end_at > start_at),
    CHECK (held_start <= start_at AND held_end >= end_at),
    -- No double booking, enforced by the database for every writer.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        room_id WITH =,
        tstzrange(held_start, held_end, '[)') WITH &&
    ) WHERE (status IN ('pending', 'approved'))
);
CREATE INDEX bookings_room_held ON bookings (room_id, held_start) WHERE status IN ('pending', 'approved');
CREATE INDEX bookings_held ON bookings (held_start, held_end, room_id, id) WHERE status IN ('pending', 'approved');
CREATE INDEX bookings_room_start ON bookings (room_id, start_at);
CREATE INDEX bookings_organizer ON bookings (organizer_id, start_at);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor_id  UUID,
    actor_ip  TEXT,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT,
    before    JSONB,
    after     JSONB
);
CREATE INDEX audit_log_at ON audit_log (at);
