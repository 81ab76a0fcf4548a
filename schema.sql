-- Developer Hub CRM: the declarative schema, the source of truth.
--
-- Edit this file, then run `devhub db generate <name>` to write the migration that takes a
-- database from the previous schema to this one, and `devhub db migrate` to apply it.
-- The six tables of the original design (user, session, contact, interaction, background,
-- contact_info) are a contract with other clients: keep their names, columns and defaults.
-- Timestamps are Unix seconds, booleans 0/1, ids text.

CREATE TABLE user (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
    -- What the account may do: the first account of an instance is its admin (the admin page,
    -- registration, invitations); every other one a member. An instance keeps one admin.
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')),
    -- When an admin disabled the account (NULL: enabled): it cannot log in, and its sessions
    -- and API tokens do not work.
    disabled_at INTEGER
);
-- The admins (an instance always keeps one), found without reading every account.
CREATE INDEX user_role_idx ON user (role, disabled_at);

-- id is the lowercase hex sha256 of the cookie token; no timestamp columns by design.
CREATE TABLE session (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX session_user_id_idx ON session (user_id);
CREATE INDEX session_expires_at_idx ON session (expires_at);

CREATE TABLE contact (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    relationship TEXT,
    birthday INTEGER,
    industry TEXT,
    location TEXT,
    vip INTEGER NOT NULL DEFAULT 0 CHECK (vip IN (0, 1)),
    last_update INTEGER NOT NULL DEFAULT (unixepoch()),
    last_contacted INTEGER,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
    -- Free notes about the person, on every contact (a VIP's background has notes of its own).
    notes TEXT
);
-- One index per list order and filter, each led by the owner. The name index also carries
-- every column the contact search and filter tabs read, so that counting the matches of a
-- search scans this index alone instead of visiting each row.
CREATE INDEX contact_user_name_idx ON contact (
    user_id, name COLLATE NOCASE, industry, location, relationship, status, vip
);
-- The contact search: the four searched texts, lowercased and joined by a unit separator
-- (char 31, which a search never contains), with the filter tabs' columns. Counting the matches
-- of a search reads this index alone and tests one stored string per contact (`instr`), instead
-- of four LIKE patterns per row: the expression must match the one in ContactRepo::list.
CREATE INDEX contact_user_search_idx ON contact (
    user_id,
    lower(name || char(31) || coalesce(industry, '') || char(31) || coalesce(location, '')
        || char(31) || coalesce(relationship, '')),
    status,
    vip
);
-- The parent key of follow_up's (contact_id, user_id) reference.
CREATE UNIQUE INDEX contact_id_user_idx ON contact (id, user_id);
CREATE INDEX contact_user_industry_idx ON contact (user_id, industry COLLATE NOCASE);
CREATE INDEX contact_user_relationship_idx ON contact (user_id, relationship COLLATE NOCASE);
-- The list by last contact, in both directions (never contacted counts as longest ago; ties
-- by name A→Z either way): each order is one index read forwards or backwards, page by page.
CREATE INDEX contact_user_last_contacted_idx ON contact (
    user_id, last_contacted, name COLLATE NOCASE, id
);
CREATE INDEX contact_user_last_contacted_desc_idx ON contact (
    user_id, last_contacted, name COLLATE NOCASE DESC, id DESC
);
-- "Recently added": an import adds thousands of contacts within one second, read in order here.
CREATE INDEX contact_user_created_idx ON contact (user_id, created_at, id);
-- The list's tabs (active, archived; VIPs, and the dashboard's active VIPs) by name.
CREATE INDEX contact_user_status_idx ON contact (user_id, status, name COLLATE NOCASE, id);
CREATE INDEX contact_user_vip_idx ON contact (user_id, vip, status, name COLLATE NOCASE, id);
-- The dashboard's upcoming birthdays: the active contacts' birthdays by month and day, so that
-- the next days are one or two ranges of this index, whatever the year of birth.
CREATE INDEX contact_user_birthday_idx ON contact (
    user_id, strftime('%m-%d', birthday, 'unixepoch')
) WHERE birthday IS NOT NULL AND status = 'active';
-- The reconnect list: active contacts of one kind (VIP or not) by the date their cadence counts
-- from (the last contact, or when they were added), ties by name.
CREATE INDEX contact_user_reconnect_idx ON contact (
    user_id, status, vip, coalesce(last_contacted, created_at), name COLLATE NOCASE, id
);
-- An import's duplicates by name (case and spacing aside): most names are found in the name
-- index (`COLLATE NOCASE`); the few whose key may differ from their ASCII-lowercased self
-- (another character than printable ASCII or Latin-1's lowercase letters, a double space, a
-- space at either end) are read from this index and compared one by one. The condition is the
-- one of `IRREGULAR_NAME` in crates/db/src/transfer/plan.rs.
CREATE INDEX contact_user_irregular_name_idx ON contact (user_id)
WHERE (name GLOB '*[^ -~ß-ÿ]*' OR name GLOB '*  *' OR name GLOB ' *' OR name GLOB '* ');

-- An interaction carries its owner (`user_id`, added after the original design), so that the
-- interaction log, the dashboard and the API read one range of the owner's index instead of
-- walking all of the owner's contacts. The database fills it from the contact when a client
-- that predates it (the original app's Drizzle code) leaves it out, and the composite key keeps
-- it equal to the contact's owner.
CREATE TABLE interaction (
    id TEXT PRIMARY KEY NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    type TEXT NOT NULL CHECK (type IN ('meeting', 'call', 'email', 'message', 'other')),
    date INTEGER NOT NULL,
    notes TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
    user_id TEXT,
    FOREIGN KEY (contact_id, user_id) REFERENCES contact(id, user_id) ON DELETE CASCADE
);
-- A contact's timeline in its order (latest first: read backwards), however many share a day.
CREATE INDEX interaction_contact_date_idx ON interaction (contact_id, date, created_at, id);
-- The owner's interactions in the log's order (latest first: read backwards), with the contact
-- each belongs to, so that counting a filtered log reads this index alone.
CREATE INDEX interaction_user_date_idx ON interaction (user_id, date, created_at, id, contact_id);
-- The log of one kind (meetings, calls …) in the same order: a page and its count read one range
-- of this index, however rare the kind, instead of testing each of the owner's rows for it.
CREATE INDEX interaction_user_type_idx ON interaction (
    user_id, type, date, created_at, id
);
CREATE TRIGGER interaction_owner_filled AFTER INSERT ON interaction
WHEN NEW.user_id IS NULL
BEGIN
    UPDATE interaction SET user_id = (SELECT user_id FROM contact WHERE id = NEW.contact_id)
    WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER interaction_owner_moved AFTER UPDATE OF contact_id ON interaction
BEGIN
    UPDATE interaction SET user_id = (SELECT user_id FROM contact WHERE id = NEW.contact_id)
    WHERE rowid = NEW.rowid;
END;

-- How many interactions each contact has, kept by triggers on `interaction` (so that a
-- contact's page reads one row instead of counting the contact's whole history; rows other
-- tools write are counted too). A contact without a row is counted the first time one of its
-- interactions is written (in a trigger, `changes()` is the row count of the trigger's previous
-- statement: 0 when the contact had no row to add to), and a reader falls back to counting.
-- No foreign key: a deleted contact's row goes with it by trigger, and the trash's snapshot
-- (every table that references `contact`) leaves it out, so a restore counts the interactions
-- it puts back.
CREATE TABLE interaction_count (
    contact_id TEXT PRIMARY KEY NOT NULL,
    total INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER interaction_count_insert AFTER INSERT ON interaction
BEGIN
    UPDATE interaction_count SET total = total + 1 WHERE contact_id = NEW.contact_id;
    INSERT INTO interaction_count (contact_id, total)
    SELECT NEW.contact_id, (SELECT count(*) FROM interaction WHERE contact_id = NEW.contact_id)
    WHERE changes() = 0;
END;
CREATE TRIGGER interaction_count_delete AFTER DELETE ON interaction
BEGIN
    UPDATE interaction_count SET total = total - 1 WHERE contact_id = OLD.contact_id;
END;
CREATE TRIGGER interaction_count_moved AFTER UPDATE OF contact_id ON interaction
WHEN NEW.contact_id IS NOT OLD.contact_id
BEGIN
    UPDATE interaction_count SET total = total - 1 WHERE contact_id = OLD.contact_id;
    UPDATE interaction_count SET total = total + 1 WHERE contact_id = NEW.contact_id;
    INSERT INTO interaction_count (contact_id, total)
    SELECT NEW.contact_id, (SELECT count(*) FROM interaction WHERE contact_id = NEW.contact_id)
    WHERE changes() = 0;
END;
CREATE TRIGGER interaction_count_contact_deleted AFTER DELETE ON contact
BEGIN
    DELETE FROM interaction_count WHERE contact_id = OLD.id;
END;

-- VIP background: at most one row per contact.
CREATE TABLE background (
    id TEXT PRIMARY KEY NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    family TEXT,
    company TEXT,
    likes_dislikes TEXT,
    misc_notes TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE UNIQUE INDEX background_contact_id_idx ON background (contact_id);

-- Contact info of any contact: at most one row per contact, with its first e-mail and phone;
-- social_links is a JSON array of URLs. The labels (work, home, mobile …) are ours.
CREATE TABLE contact_info (
    id TEXT PRIMARY KEY NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    main_app TEXT,
    email TEXT,
    phone_number TEXT,
    social_links TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
    email_label TEXT,
    phone_label TEXT
);
CREATE UNIQUE INDEX contact_info_contact_id_idx ON contact_info (contact_id);
-- An import's duplicates by e-mail: the contacts with one of a file's e-mails, lowercased.
CREATE INDEX contact_info_email_idx ON contact_info (lower(email));

-- A contact's further e-mails and phones, after the first of each in contact_info, in their
-- order (position).
CREATE TABLE contact_detail (
    id TEXT PRIMARY KEY NOT NULL,
    contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    value TEXT NOT NULL,
    label TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX contact_detail_contact_idx ON contact_detail (contact_id, kind, position);
-- An import's duplicates by a further e-mail, lowercased.
CREATE INDEX contact_detail_email_idx ON contact_detail (lower(value)) WHERE kind = 'email';

-- A follow-up carries its owner, so that the user's open follow-ups (the navigation counts them
-- on every page) are one range of an index rather than a walk through all their contacts; the
-- composite key keeps user_id equal to the contact's owner.
CREATE TABLE follow_up (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    due_date INTEGER NOT NULL,
    note TEXT,
    completed INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    completed_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
    FOREIGN KEY (contact_id, user_id) REFERENCES contact(id, user_id) ON DELETE CASCADE
);
CREATE INDEX follow_up_contact_due_idx ON follow_up (contact_id, completed, due_date);
-- The user's open follow-ups by due date (ties in the order they were made): a page of a
-- group of the follow-ups page reads just its rows.
CREATE INDEX follow_up_user_due_idx ON follow_up (user_id, completed, due_date, id);

-- A contact's own reconnect cadence: get back in touch every `days` days. Contacts without a
-- row use their owner's default (user_settings), which differs for VIPs.
CREATE TABLE contact_cadence (
    contact_id TEXT PRIMARY KEY NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 3650),
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- How many contacts each user has, of each kind, kept by triggers on `contact` (so that the
-- dashboard and the list's tabs read one row instead of counting every contact; rows other
-- tools write are counted too). A user without a row has none.
CREATE TABLE contact_count (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    total INTEGER NOT NULL DEFAULT 0,
    vip INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 0,
    active_vip INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER contact_count_insert AFTER INSERT ON contact
BEGIN
    INSERT INTO contact_count (user_id, total, vip, active, active_vip)
    VALUES (NEW.user_id, 1, NEW.vip = 1, NEW.status = 'active',
        NEW.vip = 1 AND NEW.status = 'active')
    ON CONFLICT (user_id) DO UPDATE SET
        total = total + 1,
        vip = vip + (NEW.vip = 1),
        active = active + (NEW.status = 'active'),
        active_vip = active_vip + (NEW.vip = 1 AND NEW.status = 'active');
END;
CREATE TRIGGER contact_count_delete AFTER DELETE ON contact
BEGIN
    UPDATE contact_count SET
        total = total - 1,
        vip = vip - (OLD.vip = 1),
        active = active - (OLD.status = 'active'),
        active_vip = active_vip - (OLD.vip = 1 AND OLD.status = 'active')
    WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER contact_count_update AFTER UPDATE OF user_id, vip, status ON contact
BEGIN
    UPDATE contact_count SET
        total = total - 1,
        vip = vip - (OLD.vip = 1),
        active = active - (OLD.status = 'active'),
        active_vip = active_vip - (OLD.vip = 1 AND OLD.status = 'active')
    WHERE user_id = OLD.user_id;
    INSERT INTO contact_count (user_id, total, vip, active, active_vip)
    VALUES (NEW.user_id, 1, NEW.vip = 1, NEW.status = 'active',
        NEW.vip = 1 AND NEW.status = 'active')
    ON CONFLICT (user_id) DO UPDATE SET
        total = total + 1,
        vip = vip + (NEW.vip = 1),
        active = active + (NEW.status = 'active'),
        active_vip = active_vip + (NEW.vip = 1 AND NEW.status = 'active');
END;

-- Per-user preferences: at most one row per user; a user without one has the defaults.
-- time_zone is an IANA name ("Europe/Berlin"): what "today" means for the user's follow-ups.
-- calendar_token_hash is the lowercase hex sha256 of the private calendar feed's token
-- (NULL: no feed).
CREATE TABLE user_settings (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    cadence_days INTEGER NOT NULL DEFAULT 90 CHECK (cadence_days BETWEEN 1 AND 3650),
    vip_cadence_days INTEGER NOT NULL DEFAULT 30 CHECK (vip_cadence_days BETWEEN 1 AND 3650),
    calendar_token_hash TEXT UNIQUE,
    calendar_token_created_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

CREATE TABLE tag (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    color TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE UNIQUE INDEX tag_user_name_idx ON tag (user_id, name COLLATE NOCASE);

CREATE TABLE contact_tag (
    contact_id TEXT NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tag(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX contact_tag_tag_id_idx ON contact_tag (tag_id);

-- A contact's photo (uploaded on its page), at most one; the avatar shows it instead of the
-- initials.
CREATE TABLE contact_photo (
    contact_id TEXT PRIMARY KEY NOT NULL REFERENCES contact(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL
        CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif')),
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Personal access tokens for the API: only the sha256 of the token is stored.
CREATE TABLE api_token (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    last_used_at INTEGER,
    expires_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX api_token_user_id_idx ON api_token (user_id);

-- A file uploaded for import, kept between its preview and the confirmation (so that the
-- import writes exactly what the preview showed, without sending the file twice). Rows are
-- deleted by the import, and uploads older than a day are deleted on the next upload.
CREATE TABLE import_upload (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX import_upload_user_created_idx ON import_upload (user_id, created_at);

-- Each account's storage estimate as the admin page shows it (`AccountSummary`), measured
-- apart from the page: summing the length of every text an account keeps reads each of its
-- rows, seconds at a million interactions. An account without a row is measured when it is
-- first listed; the hourly sweep measures every account again.
CREATE TABLE account_usage (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    storage_bytes INTEGER NOT NULL,
    measured_at INTEGER NOT NULL
);

-- Periodic work that several instances sharing one database must do once per period (the
-- session sweep): the instance that takes a job's lease does the work; the others skip it
-- until the lease has run out.
CREATE TABLE job_lease (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- What the Sessions page shows of a session, beside it (the `session` table keeps the original
-- design's columns): where and with what browser it was made, and when it was last used
-- (written at most every few minutes). `public_id` names the session in pages and forms, which
-- never show the session's own id. A session made by another tool has no row here: it still
-- works, and is listed as an unknown device.
CREATE TABLE session_meta (
    session_id TEXT PRIMARY KEY NOT NULL REFERENCES session(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    public_id TEXT NOT NULL UNIQUE,
    ip TEXT,
    user_agent TEXT,
    last_used_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX session_meta_user_id_idx ON session_meta (user_id);

-- The security log: what happened to an account (log-ins, failed log-in bursts, password and
-- second-factor changes, tokens, calendar feeds, sessions ended), with the address and browser
-- it came from. `user_id` NULL is an instance-level event (registrations, accounts disabled or
-- deleted, invitations…) for the admin page; its `detail` names the account and who acted,
-- since a deleted user's own rows are gone. `count` is how many failed log-ins a burst row
-- stands for. Kept 90 days (the hourly sweep).
CREATE TABLE security_event (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES user(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    detail TEXT,
    count INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX security_event_user_created_idx ON security_event (user_id, created_at);
-- The sweep of events past 90 days, across users.
CREATE INDEX security_event_created_idx ON security_event (created_at);

-- Log-in and registration attempts, for their rate limits: one row per attempt and limited key
-- (`key` is hex(sha256) of "login-ip:…", "login-user:…" and the like, so neither addresses nor
-- names are stored). In the database, so the limits hold across every instance of the app;
-- rows older than the window are swept.
CREATE TABLE auth_attempt (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    -- Unix milliseconds.
    at INTEGER NOT NULL
);
CREATE INDEX auth_attempt_key_at ON auth_attempt (key, at);

-- Browsers a user has logged in from: the log-in limit's per-username back-off never holds
-- back a log-in from one of them (a cookie, `devhub-device`, carries the token). `id` is
-- hex(sha256) of "user_id:token"; the token itself is never stored.
CREATE TABLE known_device (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    -- Unix milliseconds of the last log-in from it; a device unused for a year is forgotten.
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX known_device_user_id_idx ON known_device (user_id);

-- Two-factor log-in with a time-based one-time password (TOTP, RFC 6238: HMAC-SHA1, six
-- digits, 30-second steps). At most one row per user. `secret` is the shared key in base32, as
-- authenticator apps take it: the server must compute codes from it, so it cannot be hashed.
-- `enabled_at` is NULL while the set-up awaits its confirmation code (the second factor is off
-- until then); `last_used_step` is the time step (Unix seconds / 30) of the last code accepted:
-- a code of that step or an earlier one is refused, so a code seen over a shoulder or a
-- network cannot be replayed within its window.
CREATE TABLE two_factor (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    enabled_at INTEGER,
    last_used_step INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Single-use recovery codes, ten at a time, shown once: `code_hash` is the lowercase hex
-- sha256 of the normalised code (80 random bits each, so a fast hash is enough; see
-- repo::two_factor). `used_at` is set when one is spent.
CREATE TABLE recovery_code (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX recovery_code_user_id_idx ON recovery_code (user_id, code_hash);

-- A log-in halfway done: the password was right, the second factor is still to come. `id` is
-- the sha256 of a random token kept in a short-lived cookie; in the database so that the code
-- may be checked by another instance than the one that checked the password. A few minutes of
-- life and a few attempts.
CREATE TABLE two_factor_challenge (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    next TEXT,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX two_factor_challenge_user_id_idx ON two_factor_challenge (user_id, expires_at);

-- Browsers where the user ticked "remember this device for 30 days": a log-in from one asks
-- for the password only. `id` is the sha256 of the token in the browser's cookie.
CREATE TABLE remembered_device (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX remembered_device_user_id_idx ON remembered_device (user_id, expires_at);
-- Every remembered browser is forgotten when the second factor goes (turned off, cleared by an
-- admin, or the row deleted by any other tool) and when the password changes (by the user, a
-- reset, the command line): the database does it, so no write path can forget to.
CREATE TRIGGER two_factor_off_forgets_devices AFTER DELETE ON two_factor
BEGIN
    DELETE FROM remembered_device WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER password_change_forgets_devices AFTER UPDATE OF password_hash ON user
WHEN NEW.password_hash IS NOT OLD.password_hash
BEGIN
    DELETE FROM remembered_device WHERE user_id = NEW.id;
END;

-- Full-text search over contacts: a trigram index (substrings of three characters or more,
-- case- and accent-insensitive) of each contact's name and details, kept current by triggers
-- on every table it reads, so rows written by other tools (the original app's Drizzle client,
-- the studio) are found too. A contact has up to four rows, one per source, at rowid
-- 4 × the contact's rowid + 0 (name; relationship, industry, location), + 1 (company),
-- + 2 (e-mail, phone, chat app, social links) and + 3 (tags): a search matches a contact when
-- each word matches one of its rows (`rowid >> 2`). Written in increasing rowids as a contact
-- and its details are added, the index keeps its new entries in memory instead of writing a
-- small segment per rewritten document. It stores no text of its own (contentless, rows
-- deleted by rowid).
CREATE VIRTUAL TABLE contact_fts USING fts5(
    name, details, content = '', contentless_delete = 1,
    tokenize = 'trigram remove_diacritics 1'
);
CREATE TRIGGER contact_fts_insert AFTER INSERT ON contact
BEGIN
    INSERT INTO contact_fts (rowid, name, details)
    VALUES (NEW.rowid * 4, NEW.name,
        concat_ws(' ', NEW.relationship, NEW.industry, NEW.location, NEW.notes));
END;
CREATE TRIGGER contact_fts_update
AFTER UPDATE OF name, relationship, industry, location, notes ON contact
BEGIN
    DELETE FROM contact_fts WHERE rowid = OLD.rowid * 4;
    INSERT INTO contact_fts (rowid, name, details)
    VALUES (NEW.rowid * 4, NEW.name,
        concat_ws(' ', NEW.relationship, NEW.industry, NEW.location, NEW.notes));
END;
CREATE TRIGGER contact_fts_delete AFTER DELETE ON contact
BEGIN
    DELETE FROM contact_fts WHERE rowid BETWEEN OLD.rowid * 4 AND OLD.rowid * 4 + 3;
END;
CREATE TRIGGER contact_fts_background_insert AFTER INSERT ON background
BEGIN
    INSERT INTO contact_fts (rowid, details)
    SELECT rowid * 4 + 1, NEW.company FROM contact WHERE id = NEW.contact_id;
END;
CREATE TRIGGER contact_fts_background_update AFTER UPDATE OF company, contact_id ON background
BEGIN
    DELETE FROM contact_fts WHERE rowid IN (
        SELECT rowid * 4 + 1 FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id)
    );
    INSERT INTO contact_fts (rowid, details)
    SELECT rowid * 4 + 1, NEW.company FROM contact WHERE id = NEW.contact_id;
END;
CREATE TRIGGER contact_fts_background_delete AFTER DELETE ON background
BEGIN
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 1 FROM contact WHERE id = OLD.contact_id);
END;
-- The details row of each contact that has contact info or further e-mails and phones.
CREATE VIEW contact_info_document AS
SELECT c.rowid * 4 + 2 AS rid, c.id AS contact_id,
    concat_ws(' ', i.email, i.phone_number, i.main_app, i.social_links,
        (SELECT group_concat(d.value, ' ') FROM contact_detail d WHERE d.contact_id = c.id))
        AS details
FROM contact c LEFT JOIN contact_info i ON i.contact_id = c.id
WHERE i.id IS NOT NULL OR EXISTS (SELECT 1 FROM contact_detail d WHERE d.contact_id = c.id);
CREATE TRIGGER contact_fts_info_insert AFTER INSERT ON contact_info
BEGIN
    -- A document exists before only when further details came first (rare: an import adds
    -- the contact info first); a bulk insert then adds to the index without deletions.
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 2 FROM contact WHERE id = NEW.contact_id)
        AND EXISTS (SELECT 1 FROM contact_detail WHERE contact_id = NEW.contact_id);
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, details FROM contact_info_document WHERE contact_id = NEW.contact_id;
END;
CREATE TRIGGER contact_fts_info_update
AFTER UPDATE OF email, phone_number, main_app, social_links, contact_id ON contact_info
BEGIN
    DELETE FROM contact_fts WHERE rowid IN (
        SELECT rowid * 4 + 2 FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id)
    );
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, details FROM contact_info_document
    WHERE contact_id IN (OLD.contact_id, NEW.contact_id);
END;
CREATE TRIGGER contact_fts_info_delete AFTER DELETE ON contact_info
BEGIN
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 2 FROM contact WHERE id = OLD.contact_id);
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, details FROM contact_info_document WHERE contact_id = OLD.contact_id;
END;
CREATE TRIGGER contact_fts_detail_insert AFTER INSERT ON contact_detail
BEGIN
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 2 FROM contact WHERE id = NEW.contact_id);
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, details FROM contact_info_document WHERE contact_id = NEW.contact_id;
END;
CREATE TRIGGER contact_fts_detail_update AFTER UPDATE OF value, contact_id ON contact_detail
BEGIN
    DELETE FROM contact_fts WHERE rowid IN (
        SELECT rowid * 4 + 2 FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id)
    );
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, details FROM contact_info_document
    WHERE contact_id IN (OLD.contact_id, NEW.contact_id);
END;
CREATE TRIGGER contact_fts_detail_delete AFTER DELETE ON contact_detail
BEGIN
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 2 FROM contact WHERE id = OLD.contact_id);
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, details FROM contact_info_document WHERE contact_id = OLD.contact_id;
END;
-- The tags row of each contact that has tags: its tag names.
CREATE VIEW contact_tag_document AS
SELECT c.rowid * 4 + 3 AS rid, c.id AS contact_id, group_concat(t.name, ' ') AS tags
FROM contact c JOIN contact_tag ct ON ct.contact_id = c.id JOIN tag t ON t.id = ct.tag_id
GROUP BY c.id;
CREATE TRIGGER contact_fts_tag_insert AFTER INSERT ON contact_tag
BEGIN
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 3 FROM contact WHERE id = NEW.contact_id);
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, tags FROM contact_tag_document WHERE contact_id = NEW.contact_id;
END;
CREATE TRIGGER contact_fts_tag_delete AFTER DELETE ON contact_tag
BEGIN
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 3 FROM contact WHERE id = OLD.contact_id);
    INSERT INTO contact_fts (rowid, details)
    SELECT rid, tags FROM contact_tag_document WHERE contact_id = OLD.contact_id;
END;
CREATE TRIGGER contact_fts_tag_rename AFTER UPDATE OF name ON tag
BEGIN
    DELETE FROM contact_fts WHERE rowid IN (
        SELECT c.rowid * 4 + 3 FROM contact_tag ct JOIN contact c ON c.id = ct.contact_id
        WHERE ct.tag_id = NEW.id
    );
    INSERT INTO contact_fts (rowid, details)
    SELECT d.rid, d.tags FROM contact_tag_document d
    WHERE d.contact_id IN (SELECT contact_id FROM contact_tag WHERE tag_id = NEW.id);
END;

-- Full-text search over interaction notes (`/interactions?q=`): the same trigram index, over
-- the table itself (external content), kept by the usual three triggers.
CREATE VIRTUAL TABLE interaction_fts USING fts5(
    notes, content = 'interaction', content_rowid = 'rowid',
    tokenize = 'trigram remove_diacritics 1'
);
CREATE TRIGGER interaction_fts_insert AFTER INSERT ON interaction
BEGIN
    INSERT INTO interaction_fts (rowid, notes) VALUES (NEW.rowid, NEW.notes);
END;
CREATE TRIGGER interaction_fts_update AFTER UPDATE OF notes ON interaction
BEGIN
    INSERT INTO interaction_fts (interaction_fts, rowid, notes)
    VALUES ('delete', OLD.rowid, OLD.notes);
    INSERT INTO interaction_fts (rowid, notes) VALUES (NEW.rowid, NEW.notes);
END;
CREATE TRIGGER interaction_fts_delete AFTER DELETE ON interaction
BEGIN
    INSERT INTO interaction_fts (interaction_fts, rowid, notes)
    VALUES ('delete', OLD.rowid, OLD.notes);
END;

-- Contacts deleted from the web app, kept for 30 days so that they can be restored exactly:
-- `snapshot` is a JSON document holding every column of the contact's row and of every row
-- of the tables that reference it (interactions, details, follow-ups, tags…, found from the
-- schema's foreign keys, so a table added later is covered), and the tags it had. Restoring
-- inserts them back and deletes the snapshot. The API and the CLI delete for good.
CREATE TABLE deleted_contact (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL,
    name TEXT NOT NULL,
    interactions INTEGER NOT NULL DEFAULT 0,
    snapshot TEXT NOT NULL,
    deleted_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX deleted_contact_user_deleted_idx ON deleted_contact (user_id, deleted_at);
-- The purge of snapshots past 30 days, across users.
CREATE INDEX deleted_contact_deleted_at_idx ON deleted_contact (deleted_at);

-- What the flash's "Undo" sets back: one row per undoable action of the web app, with the
-- previous values of exactly the rows it changed (`payload`, JSON), or the snapshots of the
-- contacts it deleted. Undone once (`undone_at`); past `expires_at` it can no longer be used
-- and is purged.
CREATE TABLE undo_action (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    undone_at INTEGER,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX undo_action_user_id_idx ON undo_action (user_id);
CREATE INDEX undo_action_expires_at_idx ON undo_action (expires_at);

-- Instance-wide settings an admin changes on the admin page, one row per key:
-- `registration` = open | invite | closed (no row: the value `serve` starts with).
CREATE TABLE instance_setting (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- Invitations to register while registration is by invitation: single-use links with an
-- expiry. Only the sha256 of the link's token is stored; the link is shown once.
CREATE TABLE invitation (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT REFERENCES user(id) ON DELETE SET NULL,
    note TEXT,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    used_by TEXT REFERENCES user(id) ON DELETE SET NULL,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
-- The admin page lists invitations newest first.
CREATE INDEX invitation_created_at_idx ON invitation (created_at);
CREATE INDEX invitation_created_by_idx ON invitation (created_by);
CREATE INDEX invitation_used_by_idx ON invitation (used_by);

-- One-time password-reset links an admin makes for a user who forgot their password: `id` is
-- the lowercase hex sha256 of the link's token (the token is shown once). A link works for an
-- hour, once.
CREATE TABLE password_reset (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    created_by TEXT REFERENCES user(id) ON DELETE SET NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX password_reset_user_id_idx ON password_reset (user_id);
CREATE INDEX password_reset_created_by_idx ON password_reset (created_by);

-- Reminders (Settings → Reminders): how and when each user is told about follow-ups,
-- birthdays and the reconnect list. One row per user who set anything; a user without one gets
-- no reminders. The digest goes at `digest_hour` in the user's time zone (user_settings), every
-- day or on `digest_weekday` (ISO: 1 = Monday); `next_digest_at` is that moment in UTC, which
-- the scheduler looks for. The e-mail address receives nothing until its confirmation link
-- (sha256 in `email_token_hash`) was used; the unsubscribe link of every reminder e-mail
-- (`unsubscribe_token`, which can do nothing but switch `email_on` off) works without logging
-- in. `webhook_secret` signs the webhook's requests (HMAC-SHA256), so it is kept as is.
CREATE TABLE reminder_settings (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    digest TEXT NOT NULL DEFAULT 'off' CHECK (digest IN ('off', 'daily', 'weekly')),
    digest_hour INTEGER NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 0 AND 23),
    digest_weekday INTEGER NOT NULL DEFAULT 1 CHECK (digest_weekday BETWEEN 1 AND 7),
    include_due INTEGER NOT NULL DEFAULT 1 CHECK (include_due IN (0, 1)),
    include_overdue INTEGER NOT NULL DEFAULT 1 CHECK (include_overdue IN (0, 1)),
    include_birthdays INTEGER NOT NULL DEFAULT 1 CHECK (include_birthdays IN (0, 1)),
    include_reconnect INTEGER NOT NULL DEFAULT 1 CHECK (include_reconnect IN (0, 1)),
    follow_up_push INTEGER NOT NULL DEFAULT 0 CHECK (follow_up_push IN (0, 1)),
    email TEXT,
    email_confirmed_at INTEGER,
    email_token_hash TEXT UNIQUE,
    email_token_expires_at INTEGER,
    email_on INTEGER NOT NULL DEFAULT 1 CHECK (email_on IN (0, 1)),
    unsubscribe_token TEXT UNIQUE,
    webhook_url TEXT,
    webhook_secret TEXT,
    ntfy_url TEXT,
    next_digest_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
-- The scheduler's question: whose digest is due?
CREATE INDEX reminder_settings_next_digest_idx ON reminder_settings (next_digest_at);

-- The schedule and the record of every reminder: one row per reminder per channel, made when
-- it falls due and kept with its outcome. `slot` names the reminder ("digest:2026-12-07",
-- "follow-up:<id>:2026-12-07"); it is unique per user and channel, so planning a reminder twice
-- (two instances, a restart) makes it once. A sender claims a pending row with a lease
-- (`lease_holder` until `lease_until`): a crashed sender's row is claimed again once its lease
-- lapses. Temporary failures are retried at `next_attempt_at`, with a back-off, for a day. A
-- reminder with nothing left to say when its turn came (the follow-up was done, the digest is
-- empty) is 'skipped', with the reason in `last_error`.
CREATE TABLE reminder_delivery (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('digest', 'follow_up', 'test', 'confirm')),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'ntfy')),
    slot TEXT NOT NULL,
    follow_up_id TEXT REFERENCES follow_up(id) ON DELETE CASCADE,
    due_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_holder TEXT,
    lease_until INTEGER,
    last_error TEXT,
    sent_at INTEGER,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE UNIQUE INDEX reminder_delivery_slot_idx ON reminder_delivery (user_id, channel, slot);
-- The senders' question: what is pending and due?
CREATE INDEX reminder_delivery_pending_idx ON reminder_delivery (status, next_attempt_at);
-- A user's record, newest first.
CREATE INDEX reminder_delivery_user_idx ON reminder_delivery (user_id, created_at);
CREATE INDEX reminder_delivery_follow_up_id_idx ON reminder_delivery (follow_up_id);

-- Every attempt to send a reminder: when, how it went ('temporary' failures are retried,
-- 'permanent' ones are not) and what the server answered.
CREATE TABLE reminder_attempt (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES reminder_delivery(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES user(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'temporary', 'permanent')),
    response TEXT,
    created_at INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX reminder_attempt_delivery_idx ON reminder_attempt (delivery_id, at);
CREATE INDEX reminder_attempt_user_id_idx ON reminder_attempt (user_id);
