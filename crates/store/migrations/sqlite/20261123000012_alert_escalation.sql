-- Escalation, repeats, closing notices, answers by link and SMS reply.
-- A position's holder and deputies form a chain: a covering answer from anyone in it stops
-- the rest of the chain. Group escalation is checked by the worker at escalate_at.
ALTER TABLE alerts ADD COLUMN step_seconds INTEGER NOT NULL DEFAULT 300;
ALTER TABLE alerts ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN repeat_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN escalate_group_id BLOB REFERENCES org_groups (id);
ALTER TABLE alerts ADD COLUMN escalate_min_answers INTEGER;
ALTER TABLE alerts ADD COLUMN escalate_at TEXT;
ALTER TABLE alerts ADD COLUMN escalated_at TEXT;

ALTER TABLE alert_recipients ADD COLUMN chain_root BLOB;
ALTER TABLE alert_recipients ADD COLUMN follows BLOB;
ALTER TABLE alert_recipients ADD COLUMN seen_at TEXT;

-- 'alert' for the alert itself, 'resolved' / 'cancelled' for the notice that it is over.
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'alert';
ALTER TABLE deliveries ADD COLUMN delivered_at TEXT;
CREATE INDEX deliveries_reply ON deliveries (channel, address, status);
CREATE INDEX deliveries_provider_ref ON deliveries (provider, provider_ref);
CREATE INDEX alerts_escalation ON alerts (status, escalate_at);

-- Keys this server signs with (answer links), made once and shared by every node.
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY NOT NULL,
    key_bytes BLOB NOT NULL
);
