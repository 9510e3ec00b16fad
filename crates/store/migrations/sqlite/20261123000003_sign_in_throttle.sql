-- Failed sign-ins per account and per address, for growing lockout windows.
-- Keys: "login:<org>:<login>" and "ip:<address>".
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    blocked_until TEXT
);
