-- A significant entry the scribe sent back: it stays out of the shared picture, kept with
-- who sent it back and when.
ALTER TABLE incident_log ADD COLUMN declined_at TEXT;
ALTER TABLE incident_log ADD COLUMN declined_by BLOB REFERENCES people (id);
