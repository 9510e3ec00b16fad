-- The nodes serving one database, each with a heartbeat, and which node holds each claimed
-- outbox row: what a node held when it stopped is freed as soon as that is known (its
-- heartbeat stopped, or it started again under its name), not when the lease ends.
CREATE TABLE nodes (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
CREATE INDEX nodes_name ON nodes (name);

ALTER TABLE deliveries ADD COLUMN claimed_by BLOB;
ALTER TABLE public_deliveries ADD COLUMN claimed_by BLOB;
ALTER TABLE activation_sends ADD COLUMN claimed_by BLOB;
CREATE INDEX deliveries_claimed_by ON deliveries (claimed_by) WHERE status = 'claimed';
CREATE INDEX public_deliveries_claimed_by ON public_deliveries (claimed_by)
    WHERE status = 'claimed';
CREATE INDEX activation_sends_claimed_by ON activation_sends (claimed_by)
    WHERE status = 'claimed';
