-- What each API token may be used for: space-separated scope names (read, write, admin).
-- Tokens issued before scopes existed could do everything their account's role allowed.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write admin';
