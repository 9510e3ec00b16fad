-- The public status page's ways to get in touch when the organisation's own channels are
-- down: a reserve number, a visiting address, opening hours, a note.
CREATE TABLE public_contacts (
    org_id UUID PRIMARY KEY REFERENCES orgs (id),
    phone TEXT,
    address TEXT,
    opening_hours TEXT,
    note TEXT,
    changed_at TIMESTAMPTZ NOT NULL
);
