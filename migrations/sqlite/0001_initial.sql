-- Times are INTEGER seconds since the Unix epoch (UTC). IDs are UUID blobs.
CREATE TABLE rooms (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    floor       INTEGER,
    location    TEXT NOT NULL,
    amenities   TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    active      INTEGER NOT NULL,
    deleted_at  INTEGER,
    policy      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX rooms_name_live ON rooms (name) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id             BLOB PRIMARY KEY,
    email          TEXT NOT NULL COLLATE NOCASE UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    assigned_rooms TEXT NOT NULL,
    active         INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    password_hash  TEXT,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER
);

CREATE TABLE bookings (
    id              BLOB PRIMARY KEY,
    room_id         BLOB NOT NULL REFERENCES rooms (id),
    organizer_id    BLOB NOT NULL REFERENCES users (id),
    title           TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    attendees       INTEGER NOT NULL,
    start_at        INTEGER NOT NULL,
    end_at          INTEGER NOT NULL,
    held_start      INTEGER NOT NULL,
    held_end        INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    approver_id     BLOB,
    decision_reason TEXT,
    sequence        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK (end_at > start_at),
    CHECK (held_start <= start_at AND held_end >= end_at)
);
CREATE INDEX bookings_room_held ON bookings (room_id, held_start) WHERE status IN ('pending', 'approved');
CREATE INDEX bookings_held ON bookings (held_start, held_end, room_id, id) WHERE status IN ('pending', 'approved');
CREATE INDEX bookings_room_start ON bookings (room_id, start_at);
CREATE INDEX bookings_organizer ON bookings (organizer_id, start_at);

-- Backstop for the rule check: blocking bookings of one room never overlap.
-- Because they never overlap, the latest one starting before NEW ends is the
-- only candidate, which keeps the check O(log n).
CREATE TRIGGER bookings_no_overlap_insert
BEFORE INSERT ON bookings
WHEN NEW.status IN ('pending', 'approved')
BEGIN
    SELECT RAISE(ABORT, 'booking_conflict')
    WHERE (SELECT b.held_end FROM bookings b
           WHERE b.room_id = NEW.room_id AND b.status IN ('pending', 'approved')
             AND b.held_start < NEW.held_end
           ORDER BY b.held_start DESC LIMIT 1) > NEW.held_start;
END;

CREATE TRIGGER bookings_no_overlap_update
BEFORE UPDATE OF room_id, held_start, held_end, status ON bookings
WHEN NEW.status IN ('pending', 'approved')
BEGIN
    SELECT RAISE(ABORT, 'booking_conflict')
    WHERE (SELECT b.held_end FROM bookings b
           WHERE b.room_id = NEW.room_id AND b.status IN ('pending', 'approved')
             AND b.id <> NEW.id AND b.held_start < NEW.held_end
           ORDER BY b.held_start DESC LIMIT 1) > NEW.held_start;
END;

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    actor_id  BLOB,
    actor_ip  TEXT,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT,
    before    TEXT,
    after     TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
