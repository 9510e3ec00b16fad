-- The priority list: citizens with special needs, a restricted register of five fields.
-- Only the holders of the positions named here open it. During an incident it is copied
-- into call tasks, whose details are purged some days after the incident ends unless a
-- decision in its log keeps them.
CREATE TABLE priority_list (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    place BIGINT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    phone TEXT,
    need TEXT NOT NULL,
    contact_person TEXT
);
CREATE INDEX priority_list_org ON priority_list (org_id, place);

CREATE TABLE priority_list_settings (
    org_id UUID PRIMARY KEY REFERENCES orgs (id),
    calls_days BIGINT NOT NULL,
    imported_at TIMESTAMPTZ
);

CREATE TABLE priority_list_positions (
    org_id UUID NOT NULL REFERENCES orgs (id),
    position_id UUID NOT NULL REFERENCES positions (id),
    PRIMARY KEY (org_id, position_id)
);

-- A copy of each citizen per incident; name to contact_person and the note are emptied
-- when purged, the outcome stays for the after-action report.
CREATE TABLE priority_calls (
    id UUID PRIMARY KEY,
    incident_id UUID NOT NULL REFERENCES incidents (id),
    place BIGINT NOT NULL,
    name TEXT,
    address TEXT,
    phone TEXT,
    need TEXT,
    contact_person TEXT,
    outcome TEXT,
    note TEXT,
    attempts BIGINT NOT NULL,
    called_by UUID REFERENCES people (id),
    called_at TIMESTAMPTZ
);
CREATE INDEX priority_calls_incident ON priority_calls (incident_id, place);

ALTER TABLE incidents ADD COLUMN calls_started_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN calls_kept_by UUID REFERENCES incident_log (id);
ALTER TABLE incidents ADD COLUMN calls_purged_at TIMESTAMPTZ;
