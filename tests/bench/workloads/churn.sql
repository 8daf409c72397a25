-- Allocation churn in SQLite, in memory: inserts, indexes, updates, deletes, joins and
-- aggregates. The last line of output is a checksum.
-- usage: sqlite3 :memory: '.read churn.sql'
PRAGMA cache_size = -65536;
CREATE TABLE item(id INTEGER PRIMARY KEY, kind INTEGER, label TEXT, payload BLOB);
CREATE TABLE note(id INTEGER PRIMARY KEY, item INTEGER, body TEXT);
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000)
INSERT INTO item(kind, label, payload)
  SELECT (x * 2654435761) % 1000,
         printf('%08x-%s', (x * 40503) % 4294967291, substr('abcdefghijklmnopqrstuvwxyz0123456789', 1 + x % 30, 3 + x % 40)),
         zeroblob(x % 300)
  FROM n;
CREATE INDEX item_kind ON item(kind);
CREATE INDEX item_label ON item(label);
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 120000)
INSERT INTO note(item, body) SELECT 1 + (x * 7919) % 300000, 'note ' || x || ' ' || hex(x * x) FROM n;
CREATE INDEX note_item ON note(item);
UPDATE item SET label = label || '-updated' WHERE kind % 7 = 3;
DELETE FROM item WHERE kind % 13 = 5;
SELECT count(*), sum(length(label)), sum(length(payload)) FROM item;
SELECT count(*), sum(length(note.body)) FROM note JOIN item ON item.id = note.item WHERE item.kind < 500;
SELECT count(DISTINCT label) || ':' || sum(kind) FROM item;
