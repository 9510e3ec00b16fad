-- Redaction. A new entry's hash commits to its payload's SHA-256 (payload_hash), not to the
-- payload, so an administrator can remove a payload (text posted by mistake) and the chain
-- still verifies. Rows written before this have no payload_hash and cannot be redacted.
ALTER TABLE journal ADD COLUMN payload_hash TEXT;

-- Which rows were redacted, by which journal.redacted entry. A row may only lose its
-- payload once a row here allows it.
CREATE TABLE journal_redactions (
    org_id UUID NOT NULL REFERENCES orgs (id),
    seq BIGINT NOT NULL,
    redaction_seq BIGINT NOT NULL,
    CONSTRAINT journal_redactions_pkey PRIMARY KEY (org_id, seq)
);

-- The one update the journal allows: a redacted row's payload becomes null, nothing else.
CREATE OR REPLACE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.payload = 'null'
        AND OLD.payload_hash IS NOT NULL
        AND NEW.payload_hash IS NOT DISTINCT FROM OLD.payload_hash
        AND (NEW.org_id, NEW.seq, NEW.at, NEW.actor, NEW.kind, NEW.subject, NEW.prev_hash, NEW.hash)
            = (OLD.org_id, OLD.seq, OLD.at, OLD.actor, OLD.kind, OLD.subject, OLD.prev_hash, OLD.hash)
        AND EXISTS (SELECT 1 FROM journal_redactions r WHERE r.org_id = OLD.org_id AND r.seq = OLD.seq)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the journal is append-only';
END;
$$;

-- A redacted message says so; its text is gone from every version.
ALTER TABLE messages ADD COLUMN redacted_at TIMESTAMPTZ;
