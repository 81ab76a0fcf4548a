-- Full-text search (issue 13): trigram FTS5 indexes over contacts (name and details) and
-- interaction notes, kept current by triggers, and filled here from the rows already there.

-- Full-text search over contacts: a trigram index (substrings of three characters or more,
-- case- and accent-insensitive) of each contact's name and of its details — relationship,
-- industry, location, company, e-mail, phone, chat app, social links and tags — kept current by
-- triggers on every table a document reads, so rows written by other tools (the original
-- app's Drizzle client, the studio) are found too. The index stores no text of its own
-- (contentless, rows deleted by rowid): each trigger refreshes the documents it touches, the
-- contact's rowid being the document's.
CREATE VIEW contact_document AS
SELECT
    c.rowid AS rid,
    c.name AS name,
    concat_ws(' ', c.relationship, c.industry, c.location,
        (SELECT b.company FROM background b WHERE b.contact_id = c.id),
        (SELECT concat_ws(' ', ci.email, ci.phone_number, ci.main_app, ci.social_links)
            FROM contact_info ci WHERE ci.contact_id = c.id),
        (SELECT group_concat(t.name, ' ') FROM contact_tag ct JOIN tag t ON t.id = ct.tag_id
            WHERE ct.contact_id = c.id)) AS details
FROM contact c;
CREATE VIRTUAL TABLE contact_fts USING fts5(
    name, details, content = '', contentless_delete = 1,
    tokenize = 'trigram remove_diacritics 1'
);
CREATE TRIGGER contact_fts_insert AFTER INSERT ON contact
BEGIN
    INSERT INTO contact_fts (rowid, name, details)
    SELECT rid, name, details FROM contact_document WHERE rid = NEW.rowid;
END;
CREATE TRIGGER contact_fts_update AFTER UPDATE OF name, relationship, industry, location ON contact
BEGIN
    DELETE FROM contact_fts WHERE rowid = NEW.rowid;
    INSERT INTO contact_fts (rowid, name, details)
    SELECT rid, name, details FROM contact_document WHERE rid = NEW.rowid;
END;
CREATE TRIGGER contact_fts_delete AFTER DELETE ON contact
BEGIN
    DELETE FROM contact_fts WHERE rowid = OLD.rowid;
END;
CREATE TRIGGER contact_fts_background_insert AFTER INSERT ON background
BEGIN
    DELETE FROM contact_fts WHERE rowid = (SELECT rowid FROM contact WHERE id = NEW.contact_id);
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid = (SELECT rowid FROM contact WHERE id = NEW.contact_id);
END;
CREATE TRIGGER contact_fts_background_update AFTER UPDATE OF company, contact_id ON background
BEGIN
    DELETE FROM contact_fts
    WHERE rowid IN (SELECT rowid FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id));
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid IN (SELECT rowid FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id));
END;
CREATE TRIGGER contact_fts_background_delete AFTER DELETE ON background
BEGIN
    DELETE FROM contact_fts WHERE rowid = (SELECT rowid FROM contact WHERE id = OLD.contact_id);
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid = (SELECT rowid FROM contact WHERE id = OLD.contact_id);
END;
CREATE TRIGGER contact_fts_info_insert AFTER INSERT ON contact_info
BEGIN
    DELETE FROM contact_fts WHERE rowid = (SELECT rowid FROM contact WHERE id = NEW.contact_id);
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid = (SELECT rowid FROM contact WHERE id = NEW.contact_id);
END;
CREATE TRIGGER contact_fts_info_update
AFTER UPDATE OF email, phone_number, main_app, social_links, contact_id ON contact_info
BEGIN
    DELETE FROM contact_fts
    WHERE rowid IN (SELECT rowid FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id));
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid IN (SELECT rowid FROM contact WHERE id IN (OLD.contact_id, NEW.contact_id));
END;
CREATE TRIGGER contact_fts_info_delete AFTER DELETE ON contact_info
BEGIN
    DELETE FROM contact_fts WHERE rowid = (SELECT rowid FROM contact WHERE id = OLD.contact_id);
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid = (SELECT rowid FROM contact WHERE id = OLD.contact_id);
END;
CREATE TRIGGER contact_fts_tag_insert AFTER INSERT ON contact_tag
BEGIN
    DELETE FROM contact_fts WHERE rowid = (SELECT rowid FROM contact WHERE id = NEW.contact_id);
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid = (SELECT rowid FROM contact WHERE id = NEW.contact_id);
END;
CREATE TRIGGER contact_fts_tag_delete AFTER DELETE ON contact_tag
BEGIN
    DELETE FROM contact_fts WHERE rowid = (SELECT rowid FROM contact WHERE id = OLD.contact_id);
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d
    WHERE d.rid = (SELECT rowid FROM contact WHERE id = OLD.contact_id);
END;
CREATE TRIGGER contact_fts_tag_rename AFTER UPDATE OF name ON tag
BEGIN
    DELETE FROM contact_fts WHERE rowid IN (
        SELECT c.rowid FROM contact_tag ct JOIN contact c ON c.id = ct.contact_id
        WHERE ct.tag_id = NEW.id
    );
    INSERT INTO contact_fts (rowid, name, details)
    SELECT d.rid, d.name, d.details FROM contact_document d WHERE d.rid IN (
        SELECT c.rowid FROM contact_tag ct JOIN contact c ON c.id = ct.contact_id
        WHERE ct.tag_id = NEW.id
    );
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

-- Fill both indexes from the rows already there.
INSERT INTO contact_fts (rowid, name, details) SELECT rid, name, details FROM contact_document;
INSERT INTO interaction_fts (interaction_fts) VALUES ('rebuild');
