-- The planning queue takes up to 100,000 rows in the transaction that sends an alert to a
-- whole university, and is emptied within minutes. Its two foreign keys (a trigger call
-- per row each) and a second index beside the primary key more than doubled the cost of
-- that insert, which the first hand-off waits for. Alerts and people are never deleted,
-- and planning joins the people it plans.
ALTER TABLE alert_planning DROP CONSTRAINT alert_planning_alert_id_fkey;
ALTER TABLE alert_planning DROP CONSTRAINT alert_planning_person_id_fkey;
DROP INDEX alert_planning_alert;
ALTER TABLE alert_planning DROP CONSTRAINT alert_planning_pkey;
ALTER TABLE alert_planning ADD PRIMARY KEY (alert_id, seq);
