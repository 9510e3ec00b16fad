-- The overview of what is affected: the services the organisation depends on, with their
-- state now. `name_key` is the name in lower case while the service is in use (NULL once
-- retired), so two services in use cannot share a name. Every state set is also kept in
-- service_changes, from which an incident's report tells how long each was down.
CREATE TABLE services (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    place INTEGER NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT,
    owner TEXT,
    alternative TEXT,
    state TEXT NOT NULL,
    impact TEXT,
    workaround TEXT,
    changed_at TEXT NOT NULL,
    changed_by BLOB REFERENCES people (id),
    retired_at TEXT,
    CONSTRAINT services_org_name_key UNIQUE (org_id, name_key)
);
CREATE INDEX services_org ON services (org_id, place);

CREATE TABLE service_changes (
    service_id BLOB NOT NULL REFERENCES services (id),
    org_id BLOB NOT NULL REFERENCES orgs (id),
    at TEXT NOT NULL,
    state TEXT NOT NULL,
    impact TEXT,
    workaround TEXT,
    changed_by BLOB REFERENCES people (id)
);
CREATE INDEX service_changes_org_at ON service_changes (org_id, at);
