-- Bad input to the index access methods: a clear ERROR with the right SQLSTATE at CREATE INDEX
-- or INSERT time, never a crash, and the table stays usable.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;
\set VERBOSITY default
CREATE TABLE err_items (id int, embedding vector(8), txt text);
INSERT INTO err_items SELECT i, ARRAY[i, 1, 2, 3, 4, 5, 6, 7]::float4[]::vector FROM generate_series(1, 300) i;

\set VERBOSITY sqlstate
-- factory strings FAISS would reject (or abort on) are refused before FAISS sees them: 22023
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'IVF10,Bogus');
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'LSH');
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'IVF0,Flat');
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'IVF99999999,Flat');
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'HNSW1');
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'HNSW16,PQ4');
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'IVF10');
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'IDMap,Flat');
-- unknown / out-of-range reloptions: 22023
CREATE INDEX ON err_items USING faiss (embedding) WITH (nosuch = 1);
CREATE INDEX ON err_items USING hnsw (embedding) WITH (m = 1);
CREATE INDEX ON err_items USING hnsw (embedding) WITH (m = 16, ef_construction = 10);
CREATE INDEX ON err_items USING ivfflat (embedding) WITH (lists = 0);
CREATE INDEX ON err_items USING ivfflat (embedding) WITH (lists = 40000);
-- metric / family mismatch: 0A000
CREATE INDEX ON err_items USING faiss (embedding vector_l1_ops) WITH (factory = 'IVF10,Flat');
CREATE INDEX ON err_items USING faiss (embedding vector_l1_ops) WITH (factory = 'IVF10,SQ8');
CREATE INDEX ON err_items USING faiss (embedding vector_l1_ops) WITH (factory = 'HNSW16');
-- no such operator class for the AM (pgvector has no l1 for ivfflat either): 42704
CREATE INDEX ON err_items USING ivfflat (embedding vector_l1_ops);
-- wrong column type: 42704
CREATE INDEX ON err_items USING faiss (txt);
-- multi-column: 0A000
CREATE INDEX ON err_items USING faiss (embedding, embedding);
-- unique: 0A000
CREATE UNIQUE INDEX ON err_items USING faiss (embedding);
\set VERBOSITY default
-- the dimension must divide into PQ sub-quantizers
CREATE INDEX ON err_items USING faiss (embedding) WITH (factory = 'IVF10,PQ3');
-- and the same through ALTER INDEX
CREATE INDEX err_ok ON err_items USING faiss (embedding) WITH (factory = 'Flat');
ALTER INDEX err_ok SET (factory = 'IVF4,Nope');
-- only ORDER BY is served; a WHERE on the distance is a plain filter
SET enable_seqscan = off;
SELECT count(*) FROM err_items WHERE embedding <-> '[1,1,2,3,4,5,6,7]' < 3;

-- a column without typmod: mixed dimensions are refused at CREATE INDEX and INSERT (22000)
CREATE TABLE err_mixed (id int, embedding vector);
INSERT INTO err_mixed VALUES (1, '[1,2,3]'), (2, '[1,2]');
CREATE INDEX ON err_mixed USING faiss (embedding);
DELETE FROM err_mixed WHERE id = 2;
CREATE INDEX err_mixed_idx ON err_mixed USING faiss (embedding);
INSERT INTO err_mixed VALUES (3, '[1,2]');
INSERT INTO err_mixed VALUES (4, '[3,2,1]');
-- a query of another dimension fails like the operator does
SELECT id FROM err_mixed ORDER BY embedding <-> '[1,2]' LIMIT 1;
SELECT id FROM err_mixed ORDER BY embedding <-> '[1,2,3]' LIMIT 2;

-- corrupted metapage: rejected, not misread
CREATE TABLE err_bt (id int);
CREATE INDEX err_bt_idx ON err_bt (id);
SELECT * FROM jadevector_index_info('err_bt_idx');
SELECT * FROM jadevector_index_info('err_bt');

-- the table stays usable after every error above
SELECT count(*) FROM err_items;
DROP TABLE err_items, err_mixed, err_bt;
