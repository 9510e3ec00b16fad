-- Subscriptions to the status page's notices (double opt-in), and the public outbox that
-- carries their confirmations and notices. Only the address, language, services and
-- times are kept; removing a subscription deletes its rows here.
CREATE TABLE subscription_requests (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    lang TEXT NOT NULL,
    services TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX subscription_requests_org ON subscription_requests (org_id, created_at);
CREATE INDEX subscription_requests_address ON subscription_requests (org_id, channel, address);

CREATE TABLE subscriptions (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    lang TEXT NOT NULL,
    services TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    CONSTRAINT subscriptions_address UNIQUE (org_id, channel, address)
);

CREATE TABLE public_deliveries (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    purpose TEXT NOT NULL,
    request_id BLOB,
    subscription_id BLOB,
    notice_id BLOB,
    seq INTEGER,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    lang TEXT NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL CONSTRAINT public_deliveries_idempotency_key UNIQUE,
    claimed_until TEXT,
    sent_at TEXT,
    provider TEXT,
    provider_ref TEXT,
    last_error TEXT
);
CREATE INDEX public_deliveries_due ON public_deliveries (status, due_at);
CREATE INDEX public_deliveries_subscription ON public_deliveries (subscription_id);
CREATE INDEX public_deliveries_request ON public_deliveries (request_id);
