-- The register and the journal. Constraint names match migrations/postgres.
CREATE TABLE orgs (
    id BLOB PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL CONSTRAINT orgs_slug_key UNIQUE,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The last sequence number and hash of each organisation's journal. Updating it first in
-- every writing transaction serialises an organisation's writers on this row.
CREATE TABLE journal_heads (
    org_id BLOB PRIMARY KEY NOT NULL REFERENCES orgs (id),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE journal (
    org_id BLOB NOT NULL REFERENCES orgs (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    CONSTRAINT journal_pkey PRIMARY KEY (org_id, seq)
);

-- Appending a row moves the organisation's head to it, in the same statement.
CREATE TRIGGER journal_advance_head AFTER INSERT ON journal
BEGIN
    UPDATE journal_heads SET seq = NEW.seq, hash = NEW.hash WHERE org_id = NEW.org_id;
END;

CREATE TRIGGER journal_append_only_update BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

CREATE TRIGGER journal_append_only_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

CREATE TABLE people (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    external_id TEXT,
    name TEXT NOT NULL,
    title TEXT,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT people_org_external_id_key UNIQUE (org_id, external_id)
);
CREATE INDEX people_org_name ON people (org_id, name);

CREATE TABLE contact_points (
    person_id BLOB NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    value TEXT NOT NULL,
    verified BOOLEAN NOT NULL,
    CONSTRAINT contact_points_pkey PRIMARY KEY (person_id, ord)
);

CREATE TABLE org_groups (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    CONSTRAINT org_groups_org_slug_key UNIQUE (org_id, slug)
);

CREATE TABLE group_members (
    group_id BLOB NOT NULL REFERENCES org_groups (id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    person_id BLOB NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    CONSTRAINT group_members_pkey PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_members_person ON group_members (person_id);

CREATE TABLE positions (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    CONSTRAINT positions_org_slug_key UNIQUE (org_id, slug)
);

CREATE TABLE position_holders (
    position_id BLOB NOT NULL REFERENCES positions (id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    person_id BLOB NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    CONSTRAINT position_holders_pkey PRIMARY KEY (position_id, ord),
    CONSTRAINT position_holders_person_key UNIQUE (position_id, person_id)
);

CREATE TABLE accounts (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    person_id BLOB NOT NULL REFERENCES people (id),
    login TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT accounts_org_login_key UNIQUE (org_id, login),
    CONSTRAINT accounts_person_key UNIQUE (person_id)
);

CREATE TABLE enrolments (
    secret_hash TEXT PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    label TEXT NOT NULL,
    secret_hash TEXT NOT NULL CONSTRAINT api_tokens_secret_hash_key UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
