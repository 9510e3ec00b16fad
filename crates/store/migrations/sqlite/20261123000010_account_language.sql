-- The language a person reads the pages in (sv, da, en), so a new device starts in it.
ALTER TABLE accounts ADD COLUMN language TEXT;
