-- The language an organisation's people get until they choose their own, and its SMS and
-- email go out in (a code of the text catalogue such as sv); NULL: its region's.
ALTER TABLE orgs ADD COLUMN language TEXT;
