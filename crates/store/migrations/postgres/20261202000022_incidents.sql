-- Incidents: a plan activated, with its channel, its alarm, its checklist (the plan's
-- action cards at the incident's severity, each task to whoever was on call) and its
-- roles, every holder kept with when they took over and handed on.
CREATE TABLE incidents (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    title TEXT NOT NULL,
    plan_id UUID REFERENCES plans (id),
    plan_version BIGINT,
    severity TEXT NOT NULL,
    exercise BOOLEAN NOT NULL,
    channel_id UUID NOT NULL REFERENCES channels (id),
    alert_id UUID REFERENCES alerts (id),
    opened_at TIMESTAMPTZ NOT NULL,
    opened_by UUID REFERENCES people (id),
    via TEXT NOT NULL,
    closed_at TIMESTAMPTZ,
    closed_by UUID REFERENCES people (id)
);
CREATE INDEX incidents_org ON incidents (org_id, opened_at);

CREATE TABLE incident_tasks (
    id UUID PRIMARY KEY,
    incident_id UUID NOT NULL REFERENCES incidents (id),
    place BIGINT NOT NULL,
    position TEXT,
    assignee UUID REFERENCES people (id),
    text TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    done_at TIMESTAMPTZ,
    done_by UUID REFERENCES people (id)
);
CREATE INDEX incident_tasks_incident ON incident_tasks (incident_id, place);

CREATE TABLE incident_roles (
    incident_id UUID NOT NULL REFERENCES incidents (id),
    role TEXT NOT NULL,
    person_id UUID NOT NULL REFERENCES people (id),
    since TIMESTAMPTZ NOT NULL,
    until TIMESTAMPTZ,
    handed_by UUID REFERENCES people (id)
);
CREATE INDEX incident_roles_incident ON incident_roles (incident_id, since);
