-- Alert templates: an alert written ahead, sent in two taps after a preview. `alert` is
-- the alert as written (JSON); `name_key` is the name in lower case, unique in the
-- organisation; `version` goes up with each save, so a send names what was previewed.
CREATE TABLE alert_templates (
    id UUID PRIMARY KEY NOT NULL,
    org_id UUID NOT NULL REFERENCES orgs (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    alert TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    saved_by UUID REFERENCES accounts (id),
    CONSTRAINT alert_templates_org_name_key UNIQUE (org_id, name_key)
);
