-- Continuity plans: every saved version is kept (plan_versions, the document as JSON),
-- the plans row points at the newest and at the last approval. plan_approvals keeps
-- every approval, so who approved which version stays on record.
CREATE TABLE plans (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID REFERENCES people (id),
    approved_version BIGINT,
    approved_by UUID REFERENCES people (id),
    approved_at TIMESTAMPTZ,
    review_by TIMESTAMPTZ,
    CONSTRAINT plans_org_slug_key UNIQUE (org_id, slug)
);

CREATE TABLE plan_versions (
    plan_id UUID NOT NULL REFERENCES plans (id),
    version BIGINT NOT NULL,
    document TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    saved_by UUID REFERENCES people (id),
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE plan_approvals (
    plan_id UUID NOT NULL REFERENCES plans (id),
    version BIGINT NOT NULL,
    approved_by UUID REFERENCES people (id),
    approved_at TIMESTAMPTZ NOT NULL,
    review_by TIMESTAMPTZ NOT NULL
);
