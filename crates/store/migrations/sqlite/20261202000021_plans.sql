-- Continuity plans: every saved version is kept (plan_versions, the document as JSON),
-- the plans row points at the newest and at the last approval. plan_approvals keeps
-- every approval, so who approved which version stays on record.
CREATE TABLE plans (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB REFERENCES people (id),
    approved_version INTEGER,
    approved_by BLOB REFERENCES people (id),
    approved_at TEXT,
    review_by TEXT,
    CONSTRAINT plans_org_slug_key UNIQUE (org_id, slug)
);

CREATE TABLE plan_versions (
    plan_id BLOB NOT NULL REFERENCES plans (id),
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    saved_by BLOB REFERENCES people (id),
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE plan_approvals (
    plan_id BLOB NOT NULL REFERENCES plans (id),
    version INTEGER NOT NULL,
    approved_by BLOB REFERENCES people (id),
    approved_at TEXT NOT NULL,
    review_by TEXT NOT NULL
);
