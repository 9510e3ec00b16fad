-- A group's members in their order, and the next place at its end, without reading the
-- whole group: importing a university's 50,000 students into one group read every
-- member placed so far for each one added.
CREATE INDEX group_members_order ON group_members (group_id, ord);
