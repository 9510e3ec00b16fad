-- Sign-in: credentials, recovery codes and server-side sessions.
-- Constraint names match the other backend's migration.
CREATE TABLE credentials (
    account_id UUID PRIMARY KEY REFERENCES accounts (id),
    password_hash TEXT,
    -- Read back to check codes, so stored as is; protect the database files.
    totp_secret BYTEA,
    totp_last_step BIGINT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE recovery_codes (
    account_id UUID NOT NULL REFERENCES accounts (id),
    code_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (account_id, code_id)
);

CREATE TABLE sessions (
    id UUID PRIMARY KEY,
    secret_hash TEXT NOT NULL CONSTRAINT sessions_secret_hash_key UNIQUE,
    org_id UUID NOT NULL REFERENCES orgs (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    second_factor TEXT,
    user_agent TEXT NOT NULL,
    ip TEXT NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Sign-ins whose password was right and whose second factor is still to come.
CREATE TABLE pending_sign_ins (
    secret_hash TEXT PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    expires_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL
);
