-- pgvector-compatible DDL and settings: USING hnsw / ivfflat with pgvector's reloptions, opclass
-- names and GUCs, so existing schemas and application settings migrate unchanged.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;
-- settings exist once the library is loaded (by the first use of the extension, or explicitly)
LOAD 'jadevector';

-- the settings, with pgvector's defaults
SHOW hnsw.ef_search;
SHOW hnsw.iterative_scan;
SHOW hnsw.max_scan_tuples;
SHOW ivfflat.probes;
SHOW ivfflat.iterative_scan;
SHOW ivfflat.max_probes;
SHOW jadevector.nprobe;
SHOW jadevector.ef_search;
SHOW jadevector.rerank_factor;
SHOW jadevector.build_threads;
SHOW jadevector.hnsw_cache_mb;
SHOW jadevector.iterative_scan;
SHOW jadevector.max_scan_tuples;
SET hnsw.iterative_scan = relaxed_order;
SET ivfflat.iterative_scan = relaxed_order;
SET hnsw.ef_search = 100;
\set VERBOSITY sqlstate
SET hnsw.ef_search = 0;
SET hnsw.ef_search = 1001;
SET ivfflat.probes = 0;
SET ivfflat.iterative_scan = strict_order;
SET hnsw.iterative_scan = sideways;
SET jadevector.build_threads = -1;
SET hnsw.no_such_setting = 1;
\set VERBOSITY default
RESET ALL;

CREATE TABLE compat_items (id bigserial PRIMARY KEY, embedding vector(3));
INSERT INTO compat_items (embedding) VALUES ('[1,2,3]'), ('[4,5,6]'), ('[1,1,1]'), ('[9,9,9]'), ('[2,2,2]');
INSERT INTO compat_items (embedding) SELECT ARRAY[i % 13, i % 7, i % 11]::float4[]::vector FROM generate_series(1, 300) i;

-- the statements from pgvector's README
CREATE INDEX ON compat_items USING hnsw (embedding vector_l2_ops);
CREATE INDEX ON compat_items USING hnsw (embedding vector_ip_ops);
CREATE INDEX ON compat_items USING hnsw (embedding vector_cosine_ops);
CREATE INDEX compat_hnsw_opts ON compat_items USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64);
SELECT c.relname, i.am, i.factory, i.metric
  FROM pg_class c, LATERAL jadevector_index_info(c.oid) i
 WHERE c.relname LIKE 'compat\_%' AND c.relkind = 'i' AND c.relname <> 'compat_items_pkey' ORDER BY c.relname;
SET enable_seqscan = off;
SELECT id, embedding FROM compat_items ORDER BY embedding <-> '[3,1,2]' LIMIT 5;
BEGIN;
SET LOCAL hnsw.ef_search = 100;
SELECT id FROM compat_items ORDER BY embedding <-> '[3,1,2]' LIMIT 5;
COMMIT;
SELECT id, embedding <#> '[3,1,2]' AS neg_ip FROM compat_items ORDER BY embedding <#> '[3,1,2]' LIMIT 3;
SELECT id, round((1 - (embedding <=> '[3,1,2]'))::numeric, 4) AS cosine_similarity
  FROM compat_items ORDER BY embedding <=> '[3,1,2]' LIMIT 3;
-- hnsw.iterative_scan continues under a filter
SET hnsw.ef_search = 10;
SELECT count(*) < 20 AS short_without_iterative
  FROM (SELECT id FROM compat_items WHERE id % 9 = 0 ORDER BY embedding <-> '[3,1,2]' LIMIT 20) s;
SET hnsw.iterative_scan = relaxed_order;
SELECT count(*) FROM (SELECT id FROM compat_items WHERE id % 9 = 0 ORDER BY embedding <-> '[3,1,2]' LIMIT 20) s;
RESET hnsw.ef_search;
RESET hnsw.iterative_scan;
DROP INDEX compat_items_embedding_idx, compat_items_embedding_idx1, compat_items_embedding_idx2, compat_hnsw_opts;

CREATE INDEX ON compat_items USING ivfflat (embedding vector_l2_ops) WITH (lists = 10);
CREATE INDEX ON compat_items USING ivfflat (embedding vector_ip_ops) WITH (lists = 10);
CREATE INDEX ON compat_items USING ivfflat (embedding vector_cosine_ops) WITH (lists = 10);
SELECT c.relname, i.am, i.factory, i.metric
  FROM pg_class c, LATERAL jadevector_index_info(c.oid) i
 WHERE c.relname LIKE 'compat\_%' AND c.relkind = 'i' AND c.relname <> 'compat_items_pkey' ORDER BY c.relname;
SET ivfflat.probes = 10;
SELECT id, embedding FROM compat_items ORDER BY embedding <-> '[3,1,2]' LIMIT 5;
SELECT id, embedding <#> '[3,1,2]' AS neg_ip FROM compat_items ORDER BY embedding <#> '[3,1,2]' LIMIT 3;
SELECT id, round((1 - (embedding <=> '[3,1,2]'))::numeric, 4) AS cosine_similarity
  FROM compat_items ORDER BY embedding <=> '[3,1,2]' LIMIT 3;
-- ivfflat.probes = 1 without iterative scan may return fewer rows under a filter; with
-- relaxed_order the scan keeps probing (pgvector 0.8 behaviour), up to ivfflat.max_probes
SET ivfflat.probes = 1;
SELECT count(*) < 20 AS short_without_iterative
  FROM (SELECT id FROM compat_items WHERE id % 9 = 0 ORDER BY embedding <-> '[3,1,2]' LIMIT 20) s;
SET ivfflat.iterative_scan = relaxed_order;
SELECT count(*) FROM (SELECT id FROM compat_items WHERE id % 9 = 0 ORDER BY embedding <-> '[3,1,2]' LIMIT 20) s;
SET ivfflat.max_probes = 2;
SELECT count(*) < 20 AS bounded_by_max_probes
  FROM (SELECT id FROM compat_items WHERE id % 9 = 0 ORDER BY embedding <-> '[3,1,2]' LIMIT 20) s;

DROP TABLE compat_items;
