-- A contact check is an alert of its own kind: every contact point of every person gets a
-- message at once with a link that confirms that point, until a deadline.
ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'alert';
ALTER TABLE alerts ADD COLUMN deadline_at TEXT;
ALTER TABLE deliveries ADD COLUMN confirmed_at TEXT;
