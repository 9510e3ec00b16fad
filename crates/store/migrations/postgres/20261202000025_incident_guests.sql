-- Guests from partner organisations invited to one incident: they see it (its page, its
-- log, its channel) and no other.
CREATE TABLE incident_guests (
    incident_id UUID NOT NULL REFERENCES incidents (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    invited_at TIMESTAMPTZ NOT NULL,
    invited_by UUID REFERENCES people (id),
    PRIMARY KEY (incident_id, account_id)
);
CREATE INDEX incident_guests_account ON incident_guests (account_id);
