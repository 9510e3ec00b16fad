-- The contact directory's external contacts (suppliers, utilities, partners, the alarm
-- centre): whom to call, on which number, what for. An import replaces them all; `place`
-- keeps the file's order.
CREATE TABLE external_contacts (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    place INTEGER NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT,
    phone TEXT,
    email TEXT,
    call_for TEXT NOT NULL,
    category TEXT
);
CREATE INDEX external_contacts_org ON external_contacts (org_id, place);
