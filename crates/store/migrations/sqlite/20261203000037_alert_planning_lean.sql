-- As on PostgreSQL: the planning queue, written up to 100,000 rows at a time in the
-- transaction that sends an alert and emptied within minutes, goes without foreign keys
-- (a lookup per row each). Alerts and people are never deleted, and planning joins the
-- people it plans. SQLite cannot drop a constraint: the table is made again.
CREATE TABLE alert_planning_lean (
    seq INTEGER PRIMARY KEY,
    alert_id BLOB NOT NULL,
    person_id BLOB NOT NULL,
    reason TEXT NOT NULL,
    start_at TEXT NOT NULL,
    CONSTRAINT alert_planning_person UNIQUE (alert_id, person_id)
);
INSERT INTO alert_planning_lean (seq, alert_id, person_id, reason, start_at)
    SELECT seq, alert_id, person_id, reason, start_at FROM alert_planning;
DROP TABLE alert_planning;
ALTER TABLE alert_planning_lean RENAME TO alert_planning;
CREATE INDEX alert_planning_alert ON alert_planning (alert_id, seq);
