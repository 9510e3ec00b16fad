-- Notices on the public status page, each with its timeline of updates. An update is
-- whole: its phase, its title and text in each language written (JSON: [{lang, title,
-- body}]) and the services it is about (JSON: [id]). `ended_at` is the time of the update
-- that ended it, kept on the notice so the page can read what is still shown by an index.
CREATE TABLE public_notices (
    id BLOB PRIMARY KEY NOT NULL,
    org_id BLOB NOT NULL REFERENCES orgs (id),
    incident_id BLOB REFERENCES incidents (id),
    kind TEXT NOT NULL,
    exercise BOOLEAN NOT NULL,
    starts_at TEXT,
    ends_at TEXT,
    published_at TEXT NOT NULL,
    ended_at TEXT,
    updates INTEGER NOT NULL
);
CREATE INDEX public_notices_org ON public_notices (org_id, ended_at);

CREATE TABLE public_notice_updates (
    notice_id BLOB NOT NULL REFERENCES public_notices (id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    written_by BLOB REFERENCES people (id),
    phase TEXT NOT NULL,
    texts TEXT NOT NULL,
    services TEXT NOT NULL,
    PRIMARY KEY (notice_id, seq)
);

-- A service's state as the public page shows it: the overview's, except for what was set
-- while only exercises were open, so a drill does not tell citizens the phones are down.
ALTER TABLE services ADD COLUMN public_state TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE services ADD COLUMN public_changed_at TEXT;
UPDATE services SET public_state = state, public_changed_at = changed_at;
