-- The time zone an organisation's pages and messages show times in (an IANA name such as
-- Europe/Stockholm); NULL: its region's.
ALTER TABLE orgs ADD COLUMN time_zone TEXT;
