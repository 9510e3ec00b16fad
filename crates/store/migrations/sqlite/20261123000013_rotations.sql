-- On-call rotations and overrides: who holds a position at a given moment.
CREATE TABLE rotations (
    position_id BLOB PRIMARY KEY NOT NULL REFERENCES positions (id),
    org_id BLOB NOT NULL REFERENCES orgs (id),
    starts_at TEXT NOT NULL,
    period_days INTEGER NOT NULL,
    members TEXT NOT NULL
);

CREATE TABLE rotation_overrides (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    position_id BLOB NOT NULL REFERENCES positions (id),
    person_id BLOB NOT NULL REFERENCES people (id),
    from_at TEXT NOT NULL,
    until_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX rotation_overrides_position ON rotation_overrides (position_id, until_at);
