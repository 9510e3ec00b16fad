-- Passkeys (WebAuthn credentials) and the state of ceremonies in progress.
CREATE TABLE passkeys (
    id BLOB PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    credential_id TEXT NOT NULL CONSTRAINT passkeys_credential_id_key UNIQUE,
    -- The credential as webauthn-rs serialises it (public key, counter).
    passkey TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX passkeys_account ON passkeys (account_id);

-- A registration or sign-in ceremony between its challenge and its answer; used once.
CREATE TABLE webauthn_ceremonies (
    key TEXT PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    state TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
