-- Full-text search (issue 13): trigram FTS5 indexes over contacts (one row per source: name
-- and fields, company, contact details, tags) and interaction notes, kept current by
-- triggers, and filled here from the rows already there.

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
        concat_ws(' ', NEW.relationship, NEW.industry, NEW.location));
END;
CREATE TRIGGER contact_fts_update AFTER UPDATE OF name, relationship, industry, location ON contact
BEGIN
    DELETE FROM contact_fts WHERE rowid = OLD.rowid * 4;
    INSERT INTO contact_fts (rowid, name, details)
    VALUES (NEW.rowid * 4, NEW.name,
        concat_ws(' ', NEW.relationship, NEW.industry, NEW.location));
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
CREATE TRIGGER contact_fts_info_insert AFTER INSERT ON contact_info
BEGIN
    INSERT INTO contact_fts (rowid, details)
    SELECT rowid * 4 + 2,
        concat_ws(' ', NEW.email, NEW.phone_number, NEW.main_app, NEW.social_links)
    FROM contact WHERE id = NEW.contact_id;
END;
CREATE TRIGGER contact_fts_info_update
AFTER UPDATE OF email, phone_number, main_app, social_links, contact_id ON contact_info
BEGIN
    DELETE FROM contact_fts WHERE rowid IN (
        SELECT rowid * 4 + 2 FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id)
    );
    INSERT INTO contact_fts (rowid, details)
    SELECT rowid * 4 + 2,
        concat_ws(' ', NEW.email, NEW.phone_number, NEW.main_app, NEW.social_links)
    FROM contact WHERE id = NEW.contact_id;
END;
CREATE TRIGGER contact_fts_info_delete AFTER DELETE ON contact_info
BEGIN
    DELETE FROM contact_fts
    WHERE rowid = (SELECT rowid * 4 + 2 FROM contact WHERE id = OLD.contact_id);
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

-- Fill both indexes from the rows already there, in increasing rowids.
INSERT INTO contact_fts (rowid, name, details)
SELECT rowid * 4 + 0, name, concat_ws(' ', relationship, industry, location) FROM contact
UNION ALL
SELECT c.rowid * 4 + 1, NULL, b.company FROM background b JOIN contact c ON c.id = b.contact_id
UNION ALL
SELECT c.rowid * 4 + 2, NULL, concat_ws(' ', i.email, i.phone_number, i.main_app, i.social_links)
FROM contact_info i JOIN contact c ON c.id = i.contact_id
UNION ALL
SELECT rid, NULL, tags FROM contact_tag_document
ORDER BY 1;
INSERT INTO interaction_fts (interaction_fts) VALUES ('rebuild');
