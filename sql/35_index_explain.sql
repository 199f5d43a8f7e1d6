-- Planner: the index is chosen for ORDER BY col <op> const LIMIT k on a large table, and not for
-- a tiny table, a query without ORDER BY, without LIMIT, or with an operator outside the opclass.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

CREATE TABLE items (id int PRIMARY KEY, cat int, embedding vector(16));
INSERT INTO items
SELECT i, i % 10, (SELECT array_agg(round((sin(i * 0.11 + j * 0.7) * 10)::numeric, 2))::float4[]
                     FROM generate_series(1, 16) j)::vector
  FROM generate_series(1, 20000) i;
CREATE INDEX items_ivf ON items USING faiss (embedding) WITH (factory = 'IVF64,Flat');
ANALYZE items;

-- ORDER BY distance LIMIT k: index scan
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' LIMIT 10;
-- with a filter the index scan still serves (iterative scan continues past rejected rows)
EXPLAIN (COSTS OFF) SELECT id FROM items WHERE cat = 3 ORDER BY embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' LIMIT 10;
-- a prepared statement with the query vector as a parameter
PREPARE knn(vector) AS SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5;
EXPLAIN (COSTS OFF) EXECUTE knn('[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]');
DEALLOCATE knn;
-- no ORDER BY: never the index
EXPLAIN (COSTS OFF) SELECT id FROM items WHERE embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' < 1;
-- no LIMIT: every row is wanted in exact order, which a sort gives and an approximate index does not
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]';
-- an operator the opclass does not have (<#> for an L2 index): not the index
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <#> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' LIMIT 10;
-- ordering the other way round cannot use the index
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' DESC LIMIT 10;

-- a tiny table: sequential scan and top-N sort
CREATE TABLE tiny (id int, embedding vector(16));
INSERT INTO tiny SELECT id, embedding FROM items WHERE id <= 20;
CREATE INDEX tiny_idx ON tiny USING faiss (embedding);
ANALYZE tiny;
EXPLAIN (COSTS OFF) SELECT id FROM tiny ORDER BY embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' LIMIT 10;
-- ... unless sequential scans are disabled
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM tiny ORDER BY embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' LIMIT 10;
RESET enable_seqscan;

-- the same choices for pgvector-style DDL
DROP INDEX items_ivf;
CREATE INDEX items_hnsw ON items USING hnsw (embedding vector_cosine_ops);
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <=> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding <-> '[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]' LIMIT 10;

DROP TABLE items, tiny;
