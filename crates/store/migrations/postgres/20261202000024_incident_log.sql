-- An incident's log: decisions (what, who, why, when) and situation reports (conditions,
-- actions, needs). A significant entry enters the shared picture once the scribe has
-- approved it. The incident keeps its cadence of reports and when it last reminded
-- anyone that one was overdue, so a reminder goes out once per missed report.
ALTER TABLE incidents ADD COLUMN report_every_minutes BIGINT;
ALTER TABLE incidents ADD COLUMN report_reminded_at TIMESTAMPTZ;

CREATE TABLE incident_log (
    id UUID PRIMARY KEY,
    incident_id UUID NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    what TEXT,
    who TEXT,
    why TEXT,
    decided_at TIMESTAMPTZ,
    conditions TEXT,
    actions TEXT,
    needs TEXT,
    significant BOOLEAN NOT NULL,
    written_at TIMESTAMPTZ NOT NULL,
    written_by UUID REFERENCES people (id),
    approved_at TIMESTAMPTZ,
    approved_by UUID REFERENCES people (id)
);
CREATE INDEX incident_log_incident ON incident_log (incident_id, written_at);
