-- A crisis lead's PIN for activating a plan by SMS from their own confirmed mobile
-- number, as an Argon2id hash.
CREATE TABLE activation_pins (
    account_id BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id),
    org_id BLOB NOT NULL REFERENCES orgs (id),
    pin_hash TEXT NOT NULL,
    set_at TEXT NOT NULL
);
