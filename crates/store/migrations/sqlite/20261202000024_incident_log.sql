-- An incident's log: decisions (what, who, why, when) and situation reports (conditions,
-- actions, needs). A significant entry enters the shared picture once the scribe has
-- approved it. The incident keeps its cadence of reports and when it last reminded
-- anyone that one was overdue, so a reminder goes out once per missed report.
ALTER TABLE incidents ADD COLUMN report_every_minutes INTEGER;
ALTER TABLE incidents ADD COLUMN report_reminded_at TEXT;

CREATE TABLE incident_log (
    id BLOB PRIMARY KEY NOT NULL,
    incident_id BLOB NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    what TEXT,
    who TEXT,
    why TEXT,
    decided_at TEXT,
    conditions TEXT,
    actions TEXT,
    needs TEXT,
    significant BOOLEAN NOT NULL,
    written_at TEXT NOT NULL,
    written_by BLOB REFERENCES people (id),
    approved_at TEXT,
    approved_by BLOB REFERENCES people (id)
);
CREATE INDEX incident_log_incident ON incident_log (incident_id, written_at);
