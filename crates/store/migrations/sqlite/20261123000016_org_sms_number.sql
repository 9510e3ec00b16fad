-- An organisation's own SMS number: its SMS are sent from it, and replies to it answer
-- only its alerts. One organisation's only; NULL shares the server's sender.
ALTER TABLE orgs ADD COLUMN sms_number TEXT;
CREATE UNIQUE INDEX orgs_sms_number_key ON orgs (sms_number) WHERE sms_number IS NOT NULL;
