-- Flat and IVF families: exact answers on small data, inserts after build, VACUUM, filtered
-- (iterative) scans, exact re-ranking of lossy codes.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;
SET enable_seqscan = off;

CREATE TABLE ivf_items (id int PRIMARY KEY, cat int, embedding vector(8));
INSERT INTO ivf_items
SELECT i, i % 10, (SELECT array_agg(round((sin(i * 0.37 + j * 1.3) * 10 + (i % 5) * 3)::numeric, 2))::float4[]
                     FROM generate_series(1, 8) j)::vector
  FROM generate_series(1, 1000) i;
CREATE TABLE ivf_queries (qid int, q vector(8));
INSERT INTO ivf_queries SELECT id, embedding FROM ivf_items WHERE id IN (3, 250, 777);
INSERT INTO ivf_queries VALUES (0, '[1,2,3,4,5,6,7,8]');

-- ground truth from a sequential scan (with id as tie breaker)
SET enable_seqscan = on; SET enable_indexscan = off;
CREATE TABLE ivf_truth AS
SELECT qid, array_agg(id ORDER BY d, id) AS ids
  FROM ivf_queries, LATERAL (SELECT id, embedding <-> q AS d FROM ivf_items ORDER BY d, id LIMIT 10) s
 GROUP BY qid;
RESET enable_indexscan; SET enable_seqscan = off;

-- the result of one query through the index, checked against the truth
CREATE FUNCTION ivf_check(label text) RETURNS TABLE (label text, qid int, same_set boolean, ordered boolean)
LANGUAGE sql AS $$
  SELECT label, t.qid, got.ids @> t.ids AND t.ids @> got.ids, got.ordered
    FROM ivf_truth t,
         LATERAL (SELECT array_agg(id ORDER BY rn) ids,
                         bool_and(d >= coalesce(prev, d)) ordered
                    FROM (SELECT id, d, rn, lag(d) OVER (ORDER BY rn) prev
                            FROM (SELECT id, embedding <-> t2.q d, row_number() OVER () rn
                                    FROM (SELECT id, embedding FROM ivf_items
                                           ORDER BY embedding <-> (SELECT q FROM ivf_queries WHERE qid = t.qid)
                                           LIMIT 10) x,
                                         ivf_queries t2 WHERE t2.qid = t.qid) y) z) got
   ORDER BY t.qid
$$;

-- Flat: exact
CREATE INDEX ivf_flat ON ivf_items USING faiss (embedding) WITH (factory = 'Flat');
EXPLAIN (COSTS OFF) SELECT id FROM ivf_items ORDER BY embedding <-> '[1,2,3,4,5,6,7,8]' LIMIT 5;
SELECT * FROM ivf_check('flat');
DROP INDEX ivf_flat;

-- IVF,Flat probing every list: exact
CREATE INDEX ivf_ivf ON ivf_items USING faiss (embedding) WITH (factory = 'IVF16,Flat');
SET jadevector.nprobe = 16;
SELECT * FROM ivf_check('ivf all lists');
-- one list: results stay exactly ordered
SET jadevector.nprobe = 1;
SELECT label, bool_and(ordered) FROM ivf_check('ivf 1 list') GROUP BY label;

-- inserts after the build are found at once
INSERT INTO ivf_items VALUES (5000, 0, '[100,100,100,100,100,100,100,100]');
SELECT id FROM ivf_items ORDER BY embedding <-> '[99,99,99,99,99,99,99,99]' LIMIT 1;
SELECT list_entries FROM jadevector_index_info('ivf_ivf');

-- filtered scan: iterative scan keeps probing lists until LIMIT rows pass the filter
SET jadevector.nprobe = 1;
SELECT count(*) FROM (SELECT id FROM ivf_items WHERE cat = 7 ORDER BY embedding <-> '[1,2,3,4,5,6,7,8]' LIMIT 50) s;
SET jadevector.iterative_scan = off;
SELECT count(*) < 50 AS short_without_iterative
  FROM (SELECT id FROM ivf_items WHERE cat = 7 ORDER BY embedding <-> '[1,2,3,4,5,6,7,8]' LIMIT 50) s;
-- the bound stops an iterative scan
SET jadevector.iterative_scan = relaxed_order;
SET jadevector.max_scan_tuples = 1;
SELECT count(*) < 100 AS bounded
  FROM (SELECT id FROM ivf_items WHERE cat = 7 ORDER BY embedding <-> '[1,2,3,4,5,6,7,8]' LIMIT 100) s;
RESET jadevector.max_scan_tuples;
-- probe-ahead: a filtered scan returns the nearest matching rows (here exactly), not the
-- matching rows of the first lists in list order
SET jadevector.nprobe = 1;
SELECT f.ids = t.ids AS exact_filtered_top10
  FROM (SELECT array_agg(id ORDER BY rn) ids FROM (SELECT id, row_number() OVER () rn FROM
          (SELECT id FROM ivf_items WHERE cat = 7 ORDER BY embedding <-> '[1,2,3,4,5,6,7,8]' LIMIT 10) a) b) f,
       (SELECT array_agg(id ORDER BY d, id) ids FROM
          (SELECT id, embedding <-> '[1,2,3,4,5,6,7,8]' d FROM ivf_items WHERE cat = 7 ORDER BY d, id LIMIT 10) a) t;
-- every row is reachable through the index
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM ivf_items ORDER BY embedding <-> '[0,0,0,0,0,0,0,0]' LIMIT 5000) s;

-- DELETE + VACUUM: dead rows leave the lists and are never returned
DELETE FROM ivf_items WHERE id % 3 = 0;
VACUUM ivf_items;
SELECT list_entries FROM jadevector_index_info('ivf_ivf');
SELECT count(*) AS dead_returned
  FROM (SELECT id FROM ivf_items ORDER BY embedding <-> '[0,0,0,0,0,0,0,0]' LIMIT 5000) s WHERE id % 3 = 0;
SELECT count(*) FROM (SELECT id FROM ivf_items ORDER BY embedding <-> '[0,0,0,0,0,0,0,0]' LIMIT 5000) s;
-- UPDATE moves a row; the old version is vacuumed away
UPDATE ivf_items SET embedding = '[-50,-50,-50,-50,-50,-50,-50,-50]' WHERE id = 1;
VACUUM ivf_items;
SELECT id FROM ivf_items ORDER BY embedding <-> '[-50,-50,-50,-50,-50,-50,-50,-50]' LIMIT 1;
SELECT list_entries FROM jadevector_index_info('ivf_ivf');
DROP INDEX ivf_ivf;

-- lossy codes are re-ranked with exact distances from the heap: exact order, exact values
DELETE FROM ivf_truth;
INSERT INTO ivf_truth
SELECT qid, array_agg(id ORDER BY d, id)
  FROM ivf_queries, LATERAL (SELECT id, embedding <-> q AS d FROM ivf_items ORDER BY d, id LIMIT 10) s
 GROUP BY qid;
CREATE INDEX ivf_sq ON ivf_items USING faiss (embedding) WITH (factory = 'IVF4,SQ8');
SET jadevector.nprobe = 4;
SELECT * FROM ivf_check('ivf sq8');
DROP INDEX ivf_sq;
SET jadevector.rerank_factor = 10;
CREATE INDEX ivf_pq ON ivf_items USING faiss (embedding) WITH (factory = 'IVF2,PQ4');
SELECT label, bool_and(ordered) AS ordered FROM ivf_check('ivf pq4') GROUP BY label;
RESET jadevector.rerank_factor;
-- the default (rerank_factor 0): the share of candidates to re-rank calibrated at build
SELECT auto_rerank > 0 AND auto_rerank <= 1 AS calibrated FROM jadevector_index_info('ivf_pq');
SELECT label, bool_and(ordered) AS ordered FROM ivf_check('ivf pq4 calibrated') GROUP BY label;
DROP INDEX ivf_pq;

-- inner product and cosine
CREATE INDEX ivf_ip ON ivf_items USING faiss (embedding vector_ip_ops) WITH (factory = 'IVF4,Flat');
SET jadevector.nprobe = 4;
SELECT id, round((embedding <#> '[1,1,1,1,1,1,1,1]')::numeric, 3) FROM ivf_items ORDER BY embedding <#> '[1,1,1,1,1,1,1,1]' LIMIT 3;
DROP INDEX ivf_ip;
CREATE INDEX ivf_cos ON ivf_items USING faiss (embedding vector_cosine_ops) WITH (factory = 'Flat');
INSERT INTO ivf_items VALUES (6000, 0, '[0,0,0,0,0,0,0,0]');  -- zero vector: not indexed for cosine
SELECT id, round((embedding <=> '[1,1,1,1,1,1,1,1]')::numeric, 4) FROM ivf_items ORDER BY embedding <=> '[1,1,1,1,1,1,1,1]' LIMIT 3;
SELECT list_entries FROM jadevector_index_info('ivf_cos');
DROP INDEX ivf_cos;
-- L1 (Flat only)
CREATE INDEX ivf_l1 ON ivf_items USING faiss (embedding vector_l1_ops);
SELECT id, embedding <+> '[1,2,3,4,5,6,7,8]' FROM ivf_items ORDER BY embedding <+> '[1,2,3,4,5,6,7,8]' LIMIT 3;

-- a NULL query returns rows in no particular order (as a sequential scan sorts them)
SELECT count(*) FROM (SELECT id FROM ivf_items ORDER BY embedding <+> NULL LIMIT 10) s;

DROP TABLE ivf_items, ivf_queries, ivf_truth;
DROP FUNCTION ivf_check(text);
