-- Press releases published on the status page: written from a template, edited by the
-- communicator, public once published.
CREATE TABLE press_releases (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    incident_id BLOB REFERENCES incidents (id),
    exercise BOOLEAN NOT NULL,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by BLOB REFERENCES people (id)
);
CREATE INDEX press_releases_org ON press_releases (org_id, published_at);
