-- The contact list by last contact reads an index in either direction, ties by name included.
DROP INDEX contact_user_last_contacted_idx;
CREATE INDEX contact_user_last_contacted_idx ON contact (
    user_id, last_contacted, name COLLATE NOCASE, id
);
CREATE INDEX contact_user_last_contacted_desc_idx ON contact (
    user_id, last_contacted, name COLLATE NOCASE DESC, id DESC
);

-- Interactions carry their owner: `interaction.user_id`, filled from each interaction's
-- contact (here for the rows already there; by a trigger for clients that leave it out), kept
-- equal to the contact's owner by a composite foreign key, and indexed in the log's order.
-- A table rebuild (SQLite's documented procedure; the runner turns foreign keys off around
-- it and checks them before committing), keeping every row and its rowid.
CREATE TABLE "__new_interaction" (
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
INSERT INTO "__new_interaction" (rowid, id, contact_id, type, date, notes, created_at, updated_at, user_id)
SELECT i.rowid, i.id, i.contact_id, i.type, i.date, i.notes, i.created_at, i.updated_at,
       (SELECT c.user_id FROM contact c WHERE c.id = i.contact_id)
FROM interaction i;
DROP TABLE interaction;
ALTER TABLE "__new_interaction" RENAME TO interaction;
CREATE INDEX interaction_contact_date_idx ON interaction (contact_id, date);
CREATE INDEX interaction_user_date_idx ON interaction (user_id, date, created_at, id, contact_id);
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
