-- Press releases published on the status page: written from a template, edited by the
-- communicator, public once published.
CREATE TABLE press_releases (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    incident_id UUID REFERENCES incidents (id),
    exercise BOOLEAN NOT NULL,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    published_by UUID REFERENCES people (id)
);
CREATE INDEX press_releases_org ON press_releases (org_id, published_at);
