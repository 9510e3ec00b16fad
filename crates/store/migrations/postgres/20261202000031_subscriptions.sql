-- Subscriptions to the status page's notices (double opt-in), and the public outbox that
-- carries their confirmations and notices. Only the address, language, services and
-- times are kept; removing a subscription deletes its rows here.
CREATE TABLE subscription_requests (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    lang TEXT NOT NULL,
    services TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX subscription_requests_org ON subscription_requests (org_id, created_at);
CREATE INDEX subscription_requests_address ON subscription_requests (org_id, channel, address);

CREATE TABLE subscriptions (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    lang TEXT NOT NULL,
    services TEXT NOT NULL,
    confirmed_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT subscriptions_address UNIQUE (org_id, channel, address)
);

CREATE TABLE public_deliveries (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    purpose TEXT NOT NULL,
    request_id UUID,
    subscription_id UUID,
    notice_id UUID,
    seq BIGINT,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    lang TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL CONSTRAINT public_deliveries_idempotency_key UNIQUE,
    claimed_until TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    provider TEXT,
    provider_ref TEXT,
    last_error TEXT
);
CREATE INDEX public_deliveries_due ON public_deliveries (status, due_at);
CREATE INDEX public_deliveries_subscription ON public_deliveries (subscription_id);
CREATE INDEX public_deliveries_request ON public_deliveries (request_id);
