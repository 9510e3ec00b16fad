-- Alerts and their outbox. An alert, its recipients and every planned delivery are
-- committed together; workers claim due deliveries; an answer cancels the person's pending
-- deliveries in the same transaction. Constraint names match between the two trees.
CREATE TABLE alerts (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    created_by UUID REFERENCES accounts (id),
    message TEXT NOT NULL,
    severity TEXT NOT NULL,
    options TEXT NOT NULL,
    exercise BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);

CREATE TABLE alert_recipients (
    alert_id UUID NOT NULL REFERENCES alerts (id),
    person_id UUID NOT NULL REFERENCES people (id),
    reason TEXT NOT NULL,
    answer TEXT,
    answered_at TIMESTAMPTZ,
    answered_via TEXT,
    CONSTRAINT alert_recipients_pkey PRIMARY KEY (alert_id, person_id)
);

CREATE TABLE deliveries (
    id UUID PRIMARY KEY,
    alert_id UUID NOT NULL REFERENCES alerts (id),
    org_id UUID NOT NULL REFERENCES orgs (id),
    person_id UUID NOT NULL REFERENCES people (id),
    step INTEGER NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL CONSTRAINT deliveries_idempotency_key UNIQUE,
    claimed_until TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    provider TEXT,
    provider_ref TEXT,
    last_error TEXT
);
CREATE INDEX deliveries_due ON deliveries (status, due_at);
CREATE INDEX deliveries_recipient ON deliveries (alert_id, person_id);
