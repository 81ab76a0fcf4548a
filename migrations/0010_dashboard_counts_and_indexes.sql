-- The dashboard at any size (issue 13): contact counts kept by triggers instead of counted,
-- the upcoming birthdays by month and day, and the reconnect list by the date a contact's
-- cadence counts from.
DROP INDEX follow_up_user_due_idx;
CREATE INDEX follow_up_user_due_idx ON follow_up (user_id, completed, due_date, id);
DROP INDEX contact_user_status_idx;
DROP INDEX contact_user_vip_idx;
CREATE INDEX contact_user_status_idx ON contact (user_id, status, name COLLATE NOCASE, id);
CREATE INDEX contact_user_vip_idx ON contact (user_id, vip, status, name COLLATE NOCASE, id);
CREATE INDEX contact_user_birthday_idx ON contact (
    user_id, strftime('%m-%d', birthday, 'unixepoch')
) WHERE birthday IS NOT NULL AND status = 'active';
CREATE INDEX contact_user_reconnect_idx ON contact (
    user_id, status, vip, coalesce(last_contacted, created_at), name COLLATE NOCASE, id
);
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

-- The counts of the contacts already there.
INSERT INTO contact_count (user_id, total, vip, active, active_vip)
SELECT user_id, count(*), sum(vip = 1), sum(status = 'active'), sum(vip = 1 AND status = 'active')
FROM contact GROUP BY user_id;
