-- faiss / hnsw / ivfflat access methods: catalog objects, reloptions, resolved factories,
-- default factory choice and the Flat fallback for too few training rows.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

SELECT amname, amtype FROM pg_am WHERE amname IN ('faiss', 'hnsw', 'ivfflat') ORDER BY amname;
SELECT am.amname, opc.opcname, opc.opcdefault
  FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
 WHERE am.amname IN ('faiss', 'hnsw', 'ivfflat') ORDER BY 1, 2;
-- amvalidate accepts every operator class we ship
SELECT opc.opcname, am.amname, amvalidate(opc.oid)
  FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
 WHERE am.amname IN ('faiss', 'hnsw', 'ivfflat') ORDER BY 2, 1;

CREATE TABLE ddl_items (id int PRIMARY KEY, embedding vector(8));
INSERT INTO ddl_items
SELECT i, (SELECT array_agg(round((sin(i * 0.37 + j * 1.3) * 10)::numeric, 2))::float4[]
             FROM generate_series(1, 8) j)::vector
  FROM generate_series(1, 600) i;

-- every family, with its resolved factory
CREATE INDEX ddl_flat ON ddl_items USING faiss (embedding) WITH (factory = 'Flat');
CREATE INDEX ddl_ivf ON ddl_items USING faiss (embedding vector_l2_ops) WITH (factory = 'IVF8,Flat');
CREATE INDEX ddl_sq ON ddl_items USING faiss (embedding vector_ip_ops) WITH (factory = 'IVF8,SQ8');
CREATE INDEX ddl_pq ON ddl_items USING faiss (embedding vector_cosine_ops) WITH (factory = 'IVF4, PQ4');
CREATE INDEX ddl_hnsw ON ddl_items USING faiss (embedding) WITH (factory = 'HNSW8');
CREATE INDEX ddl_hnsw_sq ON ddl_items USING faiss (embedding) WITH (factory = 'HNSW8,SQ8', ef_construction = 40);
CREATE INDEX ddl_l1 ON ddl_items USING faiss (embedding vector_l1_ops) WITH (factory = 'Flat');
CREATE INDEX ddl_default ON ddl_items USING faiss (embedding);
CREATE INDEX ddl_pg_hnsw ON ddl_items USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 32);
CREATE INDEX ddl_pg_ivf ON ddl_items USING ivfflat (embedding vector_ip_ops) WITH (lists = 6);
SELECT c.relname, i.am, i.family, i.factory, i.metric, i.dims, i.lists, i.list_entries, i.graph_vectors,
       i.graph_tombstones, i.delta_vectors, i.auto_nprobe, i.auto_ef, i.format_version,
       i.auto_rerank > 0 AS rerank_calibrated
  FROM pg_class c, LATERAL jadevector_index_info(c.oid) i
 WHERE c.relname LIKE 'ddl\_%' AND c.relkind = 'i' AND c.relname <> 'ddl_items_pkey'
 ORDER BY c.relname;
SELECT relname, reloptions FROM pg_class WHERE relname IN ('ddl_hnsw_sq', 'ddl_pg_hnsw', 'ddl_pg_ivf') ORDER BY 1;

-- reloptions can be changed and take effect at REINDEX
ALTER INDEX ddl_ivf SET (factory = 'IVF4,Flat');
REINDEX INDEX ddl_ivf;
SELECT factory, lists, list_entries FROM jadevector_index_info('ddl_ivf');

-- too few rows to train: documented fallback to an exact Flat index
CREATE TABLE ddl_small (id int, embedding vector(8));
INSERT INTO ddl_small SELECT id, embedding FROM ddl_items WHERE id <= 20;
CREATE INDEX ddl_small_ivf ON ddl_small USING faiss (embedding) WITH (factory = 'IVF64,Flat');
SELECT family, factory, list_entries FROM jadevector_index_info('ddl_small_ivf');
-- an index on an empty table: HNSW keeps rows in its delta until REINDEX
TRUNCATE ddl_small;
CREATE INDEX ddl_small_hnsw ON ddl_small USING hnsw (embedding);
INSERT INTO ddl_small SELECT id, embedding FROM ddl_items WHERE id <= 5;
SELECT family, graph_vectors, delta_vectors FROM jadevector_index_info('ddl_small_hnsw');
REINDEX INDEX ddl_small_hnsw;
SELECT family, graph_vectors, delta_vectors FROM jadevector_index_info('ddl_small_hnsw');

-- CREATE INDEX CONCURRENTLY and unlogged tables
DROP INDEX ddl_default;
CREATE INDEX CONCURRENTLY ddl_conc ON ddl_items USING faiss (embedding) WITH (factory = 'IVF4,Flat');
SELECT indisvalid, indisready FROM pg_index WHERE indexrelid = 'ddl_conc'::regclass;
CREATE UNLOGGED TABLE ddl_unlogged (id int, embedding vector(8));
CREATE INDEX ddl_unlogged_idx ON ddl_unlogged USING faiss (embedding);
INSERT INTO ddl_unlogged SELECT id, embedding FROM ddl_items WHERE id <= 10;
SELECT family, list_entries FROM jadevector_index_info('ddl_unlogged_idx');

-- NULLs are skipped; a column without typmod takes its dimension from the data
CREATE TABLE ddl_notypmod (id int, embedding vector);
INSERT INTO ddl_notypmod VALUES (1, '[1,2,3]'), (2, NULL), (3, '[3,2,1]');
CREATE INDEX ddl_notypmod_idx ON ddl_notypmod USING faiss (embedding);
SELECT dims, list_entries FROM jadevector_index_info('ddl_notypmod_idx');

-- truncate empties the index
TRUNCATE ddl_items CASCADE;
SELECT family, list_entries, graph_vectors FROM jadevector_index_info('ddl_hnsw');

DROP TABLE ddl_items, ddl_small, ddl_unlogged, ddl_notypmod;
