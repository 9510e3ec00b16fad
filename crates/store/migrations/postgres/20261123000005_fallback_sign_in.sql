-- Per organisation: may people who have not enrolled sign in with a one-time code sent to a
-- verified fallback contact point? Off unless an administrator turns it on.
ALTER TABLE orgs ADD COLUMN fallback_sign_in BOOLEAN NOT NULL DEFAULT FALSE;

-- A pending sign-in started by sending such a code keeps the code's hash.
ALTER TABLE pending_sign_ins ADD COLUMN code_hash TEXT;
