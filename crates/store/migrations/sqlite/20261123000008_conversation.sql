-- Conversation: channels, members, messages with every version, reactions, mentions and
-- announcement receipts. Constraint names match between migrations/sqlite and /postgres.
-- A message's seq is the journal sequence number of its posting.
ALTER TABLE orgs ADD COLUMN classifications TEXT;

CREATE TABLE channels (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    classification TEXT NOT NULL,
    group_id BLOB REFERENCES org_groups (id),
    created_at TEXT NOT NULL
);
CREATE INDEX channels_org ON channels (org_id);

CREATE TABLE channel_members (
    channel_id BLOB NOT NULL REFERENCES channels (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    added_at TEXT NOT NULL,
    CONSTRAINT channel_members_pkey PRIMARY KEY (channel_id, account_id)
);
CREATE INDEX channel_members_account ON channel_members (account_id);

CREATE TABLE messages (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    channel_id BLOB NOT NULL REFERENCES channels (id),
    seq INTEGER NOT NULL,
    thread_root BLOB REFERENCES messages (id),
    author BLOB NOT NULL REFERENCES accounts (id),
    body TEXT NOT NULL,
    announcement BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    idempotency_key TEXT,
    created_at TEXT NOT NULL,
    edited_at TEXT,
    deleted_at TEXT,
    CONSTRAINT messages_org_seq_key UNIQUE (org_id, seq),
    CONSTRAINT messages_author_idempotency_key UNIQUE (author, idempotency_key)
);
CREATE INDEX messages_channel_seq ON messages (channel_id, seq);
CREATE INDEX messages_thread ON messages (thread_root, seq);

CREATE TABLE message_versions (
    message_id BLOB NOT NULL REFERENCES messages (id),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    written_at TEXT NOT NULL,
    CONSTRAINT message_versions_pkey PRIMARY KEY (message_id, version)
);

CREATE TABLE message_mentions (
    message_id BLOB NOT NULL REFERENCES messages (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    CONSTRAINT message_mentions_pkey PRIMARY KEY (message_id, account_id)
);

CREATE TABLE reactions (
    message_id BLOB NOT NULL REFERENCES messages (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    emoji TEXT NOT NULL,
    reacted_at TEXT NOT NULL,
    CONSTRAINT reactions_pkey PRIMARY KEY (message_id, account_id, emoji)
);

CREATE TABLE receipts (
    message_id BLOB NOT NULL REFERENCES messages (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    sent_at TEXT NOT NULL,
    seen_at TEXT,
    confirmed_at TEXT,
    CONSTRAINT receipts_pkey PRIMARY KEY (message_id, account_id)
);
CREATE INDEX receipts_account ON receipts (account_id, confirmed_at);
