-- An announcement sent out by SMS, email and push travels as an alert that names it: the
-- alert's outbox, answer links and SMS replies serve it, and its roster is the
-- announcement's. One alert at most per announcement.
ALTER TABLE alerts ADD COLUMN message_id BLOB REFERENCES messages (id);
CREATE UNIQUE INDEX alerts_message ON alerts (message_id);

-- A group's channel now follows the group: its members see it through the group, so the
-- rows copied when the channel was made would keep a person who leaves the group in it.
DELETE FROM channel_members WHERE EXISTS (
    SELECT 1 FROM channels c JOIN accounts a ON a.id = channel_members.account_id
    JOIN group_members g ON g.group_id = c.group_id AND g.person_id = a.person_id
    WHERE c.id = channel_members.channel_id AND c.kind = 'group');
