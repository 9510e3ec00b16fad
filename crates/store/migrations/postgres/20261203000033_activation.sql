-- Bulk activation: enrolment links for everyone in a group or the whole register who has
-- not activated an account. Each person's link is an outbox row (the alerts' columns, so
-- the same claim and finish serve it); its secret is made when it is handed over, so no
-- usable link is stored. People nothing could be sent to are rows too, with the reason.
CREATE TABLE activation_batches (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL REFERENCES orgs (id),
    group_id UUID REFERENCES org_groups (id),
    started_at TIMESTAMPTZ NOT NULL,
    started_by UUID REFERENCES people (id)
);
CREATE INDEX activation_batches_org ON activation_batches (org_id, started_at);

CREATE TABLE activation_sends (
    id UUID PRIMARY KEY NOT NULL,
    batch_id UUID NOT NULL REFERENCES activation_batches (id),
    org_id UUID NOT NULL REFERENCES orgs (id),
    person_id UUID NOT NULL REFERENCES people (id),
    account_id UUID REFERENCES accounts (id),
    channel TEXT,
    address TEXT,
    reason TEXT,
    due_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL CONSTRAINT activation_sends_idempotency_key UNIQUE,
    claimed_until TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    provider TEXT,
    provider_ref TEXT,
    last_error TEXT
);
CREATE INDEX activation_sends_due ON activation_sends (status, due_at);
CREATE INDEX activation_sends_batch ON activation_sends (batch_id);
CREATE INDEX activation_sends_person ON activation_sends (person_id, status);
