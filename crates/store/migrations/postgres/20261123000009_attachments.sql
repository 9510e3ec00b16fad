-- Files attached to messages. The bytes live in the data directory under their SHA-256
-- (content-addressed: the same file stored once); this table says who may fetch them.
-- An attachment is uploaded first and linked to the message it is posted with.
CREATE TABLE attachments (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs (id),
    message_id UUID REFERENCES messages (id),
    uploaded_by UUID NOT NULL REFERENCES accounts (id),
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    filename TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
