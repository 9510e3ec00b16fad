-- Incidents: a plan activated, with its channel, its alarm, its checklist (the plan's
-- action cards at the incident's severity, each task to whoever was on call) and its
-- roles, every holder kept with when they took over and handed on.
CREATE TABLE incidents (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    title TEXT NOT NULL,
    plan_id BLOB REFERENCES plans (id),
    plan_version INTEGER,
    severity TEXT NOT NULL,
    exercise BOOLEAN NOT NULL,
    channel_id BLOB NOT NULL REFERENCES channels (id),
    alert_id BLOB REFERENCES alerts (id),
    opened_at TEXT NOT NULL,
    opened_by BLOB REFERENCES people (id),
    via TEXT NOT NULL,
    closed_at TEXT,
    closed_by BLOB REFERENCES people (id)
);
CREATE INDEX incidents_org ON incidents (org_id, opened_at);

CREATE TABLE incident_tasks (
    id BLOB PRIMARY KEY NOT NULL,
    incident_id BLOB NOT NULL REFERENCES incidents (id),
    place INTEGER NOT NULL,
    position TEXT,
    assignee BLOB REFERENCES people (id),
    text TEXT NOT NULL,
    due_at TEXT NOT NULL,
    done_at TEXT,
    done_by BLOB REFERENCES people (id)
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, place);

CREATE TABLE incident_roles (
    incident_id BLOB NOT NULL REFERENCES incidents (id),
    role TEXT NOT NULL,
    person_id BLOB NOT NULL REFERENCES people (id),
    since TEXT NOT NULL,
    until TEXT,
    handed_by BLOB REFERENCES people (id)
);
CREATE INDEX incident_roles_incident ON incident_roles (incident_id, since);
