-- Booking for someone else: the organizer is the other person, the booker
-- is recorded. People let others book for them (assistants, reception).
ALTER TABLE bookings ADD COLUMN booked_by UUID REFERENCES users (id);

CREATE TABLE delegations (
    principal_id UUID NOT NULL REFERENCES users (id),
    delegate_id  UUID NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal_id, delegate_id)
);
CREATE INDEX delegations_delegate ON delegations (delegate_id);
