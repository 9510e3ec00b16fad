-- An alert to many people is planned in parts. Its first transaction writes the alert,
-- the people its groups reach (one row each, in order) and the first wave's deliveries;
-- the rest are planned a part at a time, each part's rows leaving this table in the same
-- transaction that writes their recipients and deliveries, so a crash resumes where
-- planning stopped and nobody is planned twice.
CREATE TABLE alert_planning (
    seq INTEGER PRIMARY KEY,
    alert_id BLOB NOT NULL REFERENCES alerts (id),
    person_id BLOB NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    -- When their schedule starts: the alert's sending, or its escalation.
    start_at TEXT NOT NULL,
    CONSTRAINT alert_planning_person UNIQUE (alert_id, person_id)
);
CREATE INDEX alert_planning_alert ON alert_planning (alert_id, seq);

-- True from the alert's sending until its last part is planned and journaled.
ALTER TABLE alerts ADD COLUMN planning BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX alerts_planning ON alerts (planning) WHERE planning;
