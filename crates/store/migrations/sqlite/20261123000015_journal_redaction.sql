-- Redaction. A new entry's hash commits to its payload's SHA-256 (payload_hash), not to the
-- payload, so an administrator can remove a payload (text posted by mistake) and the chain
-- still verifies. Rows written before this have no payload_hash and cannot be redacted.
ALTER TABLE journal ADD COLUMN payload_hash TEXT;

-- Which rows were redacted, by which journal.redacted entry. A row may only lose its
-- payload once a row here allows it.
CREATE TABLE journal_redactions (
    org_id BLOB NOT NULL REFERENCES orgs (id),
    seq INTEGER NOT NULL,
    redaction_seq INTEGER NOT NULL,
    CONSTRAINT journal_redactions_pkey PRIMARY KEY (org_id, seq)
);

-- The one update the journal allows: a redacted row's payload becomes null, nothing else.
DROP TRIGGER journal_append_only_update;
CREATE TRIGGER journal_append_only_update BEFORE UPDATE ON journal
WHEN NOT (
    NEW.payload = 'null'
    AND OLD.payload_hash IS NOT NULL
    AND NEW.payload_hash IS OLD.payload_hash
    AND NEW.org_id = OLD.org_id AND NEW.seq = OLD.seq AND NEW.at = OLD.at
    AND NEW.actor = OLD.actor AND NEW.kind = OLD.kind AND NEW.subject = OLD.subject
    AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
    AND EXISTS (SELECT 1 FROM journal_redactions r WHERE r.org_id = OLD.org_id AND r.seq = OLD.seq)
)
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

-- A redacted message says so; its text is gone from every version.
ALTER TABLE messages ADD COLUMN redacted_at TEXT;
