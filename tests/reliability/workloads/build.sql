-- A 200,000-row table built in one transaction, an index, and queries that sort,
-- group and join. Every result is ordered, so the output is deterministic.
PRAGMA journal_mode = DELETE;
PRAGMA cache_size = -16000;
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, bucket INTEGER NOT NULL,
                    price REAL NOT NULL, note TEXT);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO items (id, name, bucket, price, note)
SELECT i, printf('item-%07d', (i * 7919) % 200000), i % 97, (i * 37 % 10007) / 100.0,
       CASE WHEN i % 3 = 0 THEN NULL ELSE substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26) END
FROM n;
COMMIT;
CREATE INDEX items_bucket_price ON items (bucket, price);
CREATE INDEX items_name ON items (name);
SELECT count(*), count(note), sum(bucket), round(sum(price), 2) FROM items;
SELECT bucket, count(*), round(avg(price), 4), min(name), max(name)
FROM items GROUP BY bucket ORDER BY count(*) DESC, bucket LIMIT 10;
SELECT id, name, price FROM items ORDER BY price DESC, name LIMIT 5;
SELECT name FROM items WHERE bucket = 42 AND price BETWEEN 10 AND 11 ORDER BY name;
-- A sort too big for the cache (no index covers it), and a self-join.
SELECT sum(length(x)) FROM (SELECT note || name AS x FROM items ORDER BY note, name DESC);
SELECT a.bucket, count(*) FROM items a JOIN items b ON a.id = b.id + 1 AND a.bucket = b.bucket + 1
GROUP BY a.bucket ORDER BY a.bucket LIMIT 5;
SELECT group_concat(name, ',') FROM (SELECT name FROM items ORDER BY name LIMIT 20);
PRAGMA integrity_check;
