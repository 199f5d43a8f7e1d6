-- HNSW family: graph search, the exact delta for rows inserted after the build, tombstones
-- from VACUUM, REINDEX merging the delta, iterative scans growing ef, SQ8 re-ranking.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;
SET enable_seqscan = off;

CREATE TABLE hnsw_items (id int PRIMARY KEY, cat int, embedding vector(8));
INSERT INTO hnsw_items
SELECT i, i % 20, (SELECT array_agg(round((sin(i * 0.37 + j * 1.3) * 10 + (i % 5) * 3)::numeric, 2))::float4[]
                     FROM generate_series(1, 8) j)::vector
  FROM generate_series(1, 1000) i;

-- exact answer for a query, by sequential scan
CREATE FUNCTION hnsw_exact(q vector, k int) RETURNS int[] LANGUAGE sql AS $$
  SELECT array_agg(id ORDER BY d, id) FROM (
    SELECT id, embedding <-> q AS d FROM hnsw_items ORDER BY d, id LIMIT k) s
$$ SET enable_seqscan = on SET enable_indexscan = off;
-- the index's answer and whether its distances are non-decreasing
CREATE FUNCTION hnsw_got(q vector, k int, OUT ids int[], OUT ordered boolean) LANGUAGE sql AS $$
  SELECT array_agg(id ORDER BY rn), bool_and(d >= coalesce(prev, d)) FROM (
    SELECT id, d, rn, lag(d) OVER (ORDER BY rn) AS prev FROM (
      SELECT id, embedding <-> q AS d, row_number() OVER () AS rn
        FROM (SELECT id, embedding FROM hnsw_items ORDER BY embedding <-> q LIMIT k) x) y) z
$$;

CREATE INDEX hnsw_idx ON hnsw_items USING faiss (embedding) WITH (factory = 'HNSW16', ef_construction = 64);
SELECT family, factory, graph_vectors, delta_vectors FROM jadevector_index_info('hnsw_idx');
-- recall@10 over 20 queries against the exact answer (the graph is deterministic with one thread)
SELECT round(avg(cardinality(ARRAY(SELECT unnest((hnsw_got(embedding, 10)).ids)
                                   INTERSECT SELECT unnest(hnsw_exact(embedding, 10))))) / 10.0, 2) >= 0.95 AS recall_ok,
       bool_and((hnsw_got(embedding, 10)).ordered) AS ordered
  FROM hnsw_items WHERE id % 50 = 0;

-- rows inserted after the build go to the exact delta and are found at once
INSERT INTO hnsw_items VALUES (5000, 0, '[100,100,100,100,100,100,100,100]'),
                              (5001, 0, '[99,99,99,99,99,99,99,98]');
SELECT id FROM hnsw_items ORDER BY embedding <-> '[99,99,99,99,99,99,99,99]' LIMIT 2;
SELECT graph_vectors, delta_vectors FROM jadevector_index_info('hnsw_idx');

-- VACUUM: graph nodes become tombstones, delta entries are removed
DELETE FROM hnsw_items WHERE id % 4 = 0 OR id = 5000;
VACUUM hnsw_items;
SELECT graph_vectors, graph_tombstones, delta_vectors FROM jadevector_index_info('hnsw_idx');
SELECT count(*) AS dead_returned
  FROM (SELECT id FROM hnsw_items ORDER BY embedding <-> '[0,0,0,0,0,0,0,0]' LIMIT 100) s
 WHERE id % 4 = 0 OR id = 5000;

-- iterative scan: ef grows until LIMIT rows pass the filter
SET jadevector.ef_search = 10;
SELECT count(*) FROM (SELECT id FROM hnsw_items WHERE cat = 3 ORDER BY embedding <-> '[1,2,3,4,5,6,7,8]' LIMIT 40) s;
SET jadevector.iterative_scan = off;
SELECT count(*) < 40 AS short_without_iterative
  FROM (SELECT id FROM hnsw_items WHERE cat = 3 ORDER BY embedding <-> '[1,2,3,4,5,6,7,8]' LIMIT 40) s;
SET jadevector.iterative_scan = strict_order;
SELECT (hnsw_got('[1,2,3,4,5,6,7,8]', 300)).ordered AS strict_ordered;
RESET jadevector.iterative_scan;
RESET jadevector.ef_search;
-- all live rows are reachable
SELECT count(*) FROM (SELECT id FROM hnsw_items ORDER BY embedding <-> '[0,0,0,0,0,0,0,0]' LIMIT 5000) s;

-- jadevector_merge_delta() (and VACUUM, once the delta has grown) folds the delta into the graph
INSERT INTO hnsw_items VALUES (5002, 0, '[98,98,98,98,98,98,98,98]');
SELECT graph_vectors, graph_tombstones, delta_vectors FROM jadevector_index_info('hnsw_idx');
SELECT jadevector_merge_delta('hnsw_idx');
SELECT graph_vectors, graph_tombstones, delta_vectors FROM jadevector_index_info('hnsw_idx');
SELECT id FROM hnsw_items ORDER BY embedding <-> '[99,99,99,99,99,99,99,99]' LIMIT 2;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hnsw_items ORDER BY embedding <-> '[0,0,0,0,0,0,0,0]' LIMIT 5000) s;
INSERT INTO hnsw_items
SELECT i, i % 20, (SELECT array_agg(round((cos(i * 0.29 + j * 0.9) * 10)::numeric, 2))::float4[]
                     FROM generate_series(1, 8) j)::vector
  FROM generate_series(10001, 11200) i;
VACUUM hnsw_items;
SELECT graph_vectors, delta_vectors FROM jadevector_index_info('hnsw_idx');
SELECT id FROM hnsw_items ORDER BY embedding <-> (SELECT embedding FROM hnsw_items WHERE id = 11111) LIMIT 1;
DELETE FROM hnsw_items WHERE id > 10000;
VACUUM hnsw_items;
SELECT graph_vectors, graph_tombstones, delta_vectors FROM jadevector_index_info('hnsw_idx');

-- REINDEX folds the delta into a new graph and drops the tombstones
REINDEX INDEX hnsw_idx;
SELECT graph_vectors, graph_tombstones, delta_vectors FROM jadevector_index_info('hnsw_idx');
SELECT id FROM hnsw_items ORDER BY embedding <-> '[99,99,99,99,99,99,99,99]' LIMIT 1;
DROP INDEX hnsw_idx;

-- an HNSW index created on an empty table gets its graph from the first merge
CREATE TABLE hnsw_empty (id int, embedding vector(8));
CREATE INDEX hnsw_empty_idx ON hnsw_empty USING hnsw (embedding);
INSERT INTO hnsw_empty SELECT id, embedding FROM hnsw_items WHERE id <= 200;
SELECT graph_vectors, delta_vectors FROM jadevector_index_info('hnsw_empty_idx');
SELECT jadevector_merge_delta('hnsw_empty_idx');
SELECT graph_vectors, delta_vectors FROM jadevector_index_info('hnsw_empty_idx');
SELECT id FROM hnsw_empty ORDER BY embedding <-> (SELECT embedding FROM hnsw_empty WHERE id = 77) LIMIT 1;
DROP TABLE hnsw_empty;

-- HNSW,SQ8 is re-ranked with exact heap distances
CREATE INDEX hnsw_sq ON hnsw_items USING faiss (embedding) WITH (factory = 'HNSW16,SQ8');
SELECT bool_and((hnsw_got(embedding, 10)).ordered) AS ordered,
       bool_and((hnsw_got(embedding, 1)).ids[1] = id) AS finds_itself
  FROM hnsw_items WHERE id % 50 = 1;
DROP INDEX hnsw_sq;

-- cosine and inner product graphs
CREATE INDEX hnsw_cos ON hnsw_items USING faiss (embedding vector_cosine_ops) WITH (factory = 'HNSW8');
SELECT id, round((embedding <=> '[1,1,1,1,1,1,1,1]')::numeric, 4) AS d
  FROM hnsw_items ORDER BY embedding <=> '[1,1,1,1,1,1,1,1]' LIMIT 3;
DROP INDEX hnsw_cos;
CREATE INDEX hnsw_ip ON hnsw_items USING faiss (embedding vector_ip_ops) WITH (factory = 'HNSW8');
SELECT id, round((embedding <#> '[1,1,1,1,1,1,1,1]')::numeric, 3) AS d
  FROM hnsw_items ORDER BY embedding <#> '[1,1,1,1,1,1,1,1]' LIMIT 3;

-- the cached graph is rebuilt-aware: a REINDEX in this session is seen by the next scan
REINDEX INDEX hnsw_ip;
SELECT id FROM hnsw_items ORDER BY embedding <#> '[1,1,1,1,1,1,1,1]' LIMIT 1;

DROP TABLE hnsw_items;
DROP FUNCTION hnsw_exact(vector, int), hnsw_got(vector, int);
