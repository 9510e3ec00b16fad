-- Per organisation: must members and guests have a second factor? Administrators and crisis
-- leads always must. Required unless an administrator decides otherwise.
ALTER TABLE orgs ADD COLUMN members_need_second_factor BOOLEAN NOT NULL DEFAULT TRUE;
