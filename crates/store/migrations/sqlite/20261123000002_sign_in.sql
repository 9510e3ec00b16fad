-- Sign-in: credentials, recovery codes and server-side sessions.
-- Constraint names match the other backend's migration.
CREATE TABLE credentials (
    account_id BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id),
    password_hash TEXT,
    -- Read back to check codes, so stored as is; protect the database files.
    totp_secret BLOB,
    totp_last_step INTEGER,
    updated_at TEXT NOT NULL
);

CREATE TABLE recovery_codes (
    account_id BLOB NOT NULL REFERENCES accounts (id),
    code_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at TEXT,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (account_id, code_id)
);

CREATE TABLE sessions (
    id BLOB PRIMARY KEY NOT NULL,
    secret_hash TEXT NOT NULL CONSTRAINT sessions_secret_hash_key UNIQUE,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    second_factor TEXT,
    user_agent TEXT NOT NULL,
    ip TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Sign-ins whose password was right and whose second factor is still to come.
CREATE TABLE pending_sign_ins (
    secret_hash TEXT PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    expires_at TEXT NOT NULL,
    attempts INTEGER NOT NULL
);
