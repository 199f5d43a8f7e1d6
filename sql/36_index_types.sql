-- faiss and ivfflat indexes on halfvec and bit columns: halfvec_l2/ip/cosine/l1_ops,
-- bit_hamming_ops and bit_jaccard_ops; exact answers where the family is exact, inserts after the
-- build, VACUUM, NULL queries, the binary_quantize expression index with re-ranking, bad input.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;
-- enable_seqscan = off gives every plan a cost far above jit_above_cost: no JIT for tiny queries.
SET jit = off;

CREATE TABLE ht (id int PRIMARY KEY, v halfvec(8));
INSERT INTO ht
SELECT i, (SELECT array_agg(round((sin(i * 0.37 + j * 1.3) * 10 + (i % 5) * 3)::numeric, 2))::float4[]
             FROM generate_series(1, 8) j)::halfvec
  FROM generate_series(1, 600) i;
CREATE TABLE hq (qid int, q halfvec(8));
INSERT INTO hq SELECT id, v FROM ht WHERE id IN (3, 250, 577);
INSERT INTO hq VALUES (0, '[1,2,3,4,5,6,7,8]');

-- the top 10 by one operator through whatever plan runs, with id as tie breaker in the truth
CREATE FUNCTION top10(op text, qid int) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ht ORDER BY v %s (SELECT q FROM hq WHERE qid = %s) LIMIT 10) s',
                 op, qid) INTO r;
  RETURN r;
END $$;
CREATE FUNCTION truth10(op text, qid int) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  EXECUTE format('SELECT array_agg(id ORDER BY d, id) FROM (SELECT id, v %s (SELECT q FROM hq WHERE qid = %s) d FROM ht ORDER BY d, id LIMIT 10) s',
                 op, qid) INTO r;
  RETURN r;
END $$;
-- same set as the truth (ties at the 10th place could differ in id; none here)
CREATE FUNCTION agrees(op text) RETURNS TABLE (qid int, same boolean) LANGUAGE sql AS $$
  SELECT qid, top10(op, qid) @> truth10(op, qid) AND truth10(op, qid) @> top10(op, qid) FROM hq ORDER BY qid
$$;

SET enable_seqscan = off;

-- ivfflat on halfvec: lists of binary16 codes, exact distances for L2 and inner product
CREATE INDEX ht_ivf_l2 ON ht USING ivfflat (v halfvec_l2_ops) WITH (lists = 4);
SELECT am, family, factory, metric, dims, lists FROM jadevector_index_info('ht_ivf_l2');
EXPLAIN (COSTS OFF) SELECT id FROM ht ORDER BY v <-> '[1,2,3,4,5,6,7,8]' LIMIT 5;
SET ivfflat.probes = 4;
SELECT * FROM agrees('<->');
-- the ORDER BY value the index hands out equals the operator's
SELECT bool_and(d = v <-> '[1,2,3,4,5,6,7,8]') FROM (SELECT v, v <-> '[1,2,3,4,5,6,7,8]' d FROM ht ORDER BY v <-> '[1,2,3,4,5,6,7,8]' LIMIT 20) s;
DROP INDEX ht_ivf_l2;
CREATE INDEX ht_ivf_ip ON ht USING ivfflat (v halfvec_ip_ops) WITH (lists = 4);
SELECT * FROM agrees('<#>');
DROP INDEX ht_ivf_ip;
-- cosine stores normalized vectors (rounded to half): re-ranked exactly from the heap
CREATE INDEX ht_ivf_cos ON ht USING ivfflat (v halfvec_cosine_ops) WITH (lists = 4);
SELECT factory, metric FROM jadevector_index_info('ht_ivf_cos');
SELECT * FROM agrees('<=>');
DROP INDEX ht_ivf_cos;
RESET ivfflat.probes;

-- faiss on halfvec: Flat (exact), IVF default codes SQfp16, halfvec_l1_ops Flat only
CREATE INDEX ht_flat ON ht USING faiss (v halfvec_l2_ops) WITH (factory = 'Flat');
SELECT * FROM agrees('<->');
DROP INDEX ht_flat;
CREATE INDEX ht_faiss_ivf ON ht USING faiss (v) WITH (factory = 'IVF8,SQfp16');
SET jadevector.nprobe = 8;
SELECT * FROM agrees('<->');
DROP INDEX ht_faiss_ivf;
CREATE INDEX ht_faiss_pq ON ht USING faiss (v halfvec_ip_ops) WITH (factory = 'IVF4,SQ8');
SELECT * FROM agrees('<#>');
DROP INDEX ht_faiss_pq;
RESET jadevector.nprobe;
CREATE INDEX ht_l1 ON ht USING faiss (v halfvec_l1_ops) WITH (factory = 'Flat');
SELECT * FROM agrees('<+>');
DROP INDEX ht_l1;

-- inserts after the build, NULLs, deletes + VACUUM, NULL query, TRUNCATE
CREATE INDEX ht_ivf ON ht USING ivfflat (v halfvec_l2_ops) WITH (lists = 2);
INSERT INTO ht VALUES (1000, '[100,100,100,100,100,100,100,100]'), (1001, NULL);
SELECT id FROM ht ORDER BY v <-> '[99,99,99,99,99,99,99,99]' LIMIT 1;
DELETE FROM ht WHERE id = 1000;
VACUUM ht;
SELECT id FROM ht ORDER BY v <-> '[99,99,99,99,99,99,99,99]' LIMIT 1;
SELECT count(*) FROM (SELECT id FROM ht ORDER BY v <-> NULL::halfvec) s;
SELECT list_entries FROM jadevector_index_info('ht_ivf');
CREATE TABLE ht_empty (LIKE ht INCLUDING INDEXES);
INSERT INTO ht_empty SELECT * FROM ht WHERE id < 50;
TRUNCATE ht_empty;
SELECT count(*) FROM (SELECT id FROM ht_empty ORDER BY v <-> '[1,2,3,4,5,6,7,8]' LIMIT 3) s;
INSERT INTO ht_empty VALUES (1, '[1,2,3,4,5,6,7,8]');
SELECT id FROM ht_empty ORDER BY v <-> '[1,2,3,4,5,6,7,9]' LIMIT 3;
DROP TABLE ht_empty;

-- bit strings: ivfflat / faiss bit_hamming_ops (binary codes), bit_jaccard_ops (Flat)
CREATE TABLE bt (id int PRIMARY KEY, b bit(64));
INSERT INTO bt SELECT i, (SELECT string_agg(CASE WHEN ((i * 2654435761 + j * 40503) % 97) < 40 + (i % 3) * 10 THEN '1' ELSE '0' END, '')
                            FROM generate_series(1, 64) j)::bit(64)
  FROM generate_series(1, 500) i;
CREATE TABLE bq (qid int, q bit(64));
INSERT INTO bq SELECT id, b FROM bt WHERE id IN (7, 123, 480);
CREATE FUNCTION bit_agrees(op text) RETURNS TABLE (qid int, same boolean) LANGUAGE plpgsql AS $$
DECLARE got int[]; want int[]; dlast float8;
BEGIN
  FOR qid IN SELECT bq.qid FROM bq ORDER BY 1 LOOP
    EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM bt ORDER BY b %s (SELECT q FROM bq WHERE qid = %s) LIMIT 10) s', op, qid) INTO got;
    -- ties are common with bit distances: compare against every row within the 10th distance
    EXECUTE format('SELECT max(d) FROM (SELECT b %s (SELECT q FROM bq WHERE qid = %s) d FROM bt ORDER BY d LIMIT 10) s', op, qid) INTO dlast;
    EXECUTE format('SELECT array_agg(id) FROM bt WHERE b %s (SELECT q FROM bq WHERE qid = %s) <= %s', op, qid, dlast) INTO want;
    same := want @> got AND cardinality(got) = 10;
    RETURN NEXT;
  END LOOP;
END $$;
CREATE INDEX bt_ivf ON bt USING ivfflat (b bit_hamming_ops) WITH (lists = 4);
SELECT am, family, factory, metric, dims, lists FROM jadevector_index_info('bt_ivf');
SET ivfflat.probes = 4;
SELECT * FROM bit_agrees('<~>');
-- the hamming values the index returns are exact
SELECT bool_and(d = b <~> B'1010101010101010101010101010101010101010101010101010101010101010')
  FROM (SELECT b, b <~> B'1010101010101010101010101010101010101010101010101010101010101010' d FROM bt
         ORDER BY b <~> B'1010101010101010101010101010101010101010101010101010101010101010' LIMIT 20) s;
RESET ivfflat.probes;
INSERT INTO bt VALUES (9999, ~B'0'::bit(64));
SELECT id FROM bt ORDER BY b <~> ~B'0'::bit(64) LIMIT 1;
DROP INDEX bt_ivf;
CREATE INDEX bt_faiss ON bt USING faiss (b) WITH (factory = 'IVF8,Flat');
SET jadevector.nprobe = 8;
SELECT * FROM bit_agrees('<~>');
RESET jadevector.nprobe;
DROP INDEX bt_faiss;
CREATE INDEX bt_jac ON bt USING faiss (b bit_jaccard_ops);
SELECT factory, metric FROM jadevector_index_info('bt_jac');
SELECT * FROM bit_agrees('<%>');
DROP INDEX bt_jac;
-- too few rows for the lists: an exact Flat index with a NOTICE, as for vector
CREATE TABLE bsmall (b bit(3));
INSERT INTO bsmall VALUES (B'000'), (B'100'), (B'111'), (NULL);
CREATE INDEX ON bsmall USING ivfflat (b bit_hamming_ops) WITH (lists = 4);
INSERT INTO bsmall VALUES (B'110');
SELECT b FROM bsmall ORDER BY b <~> B'111';
DROP TABLE bsmall;

-- the binary-quantization pattern: an expression index on binary_quantize(v)::bit(n) finds
-- candidates by Hamming distance, an exact distance re-ranks them
CREATE TABLE emb (id int PRIMARY KEY, v vector(16));
INSERT INTO emb SELECT i, (SELECT array_agg(sin(i * 1.7 + j * 0.9) + cos(i * 0.3 * j))::float4[] FROM generate_series(1, 16) j)::vector
  FROM generate_series(1, 400) i;
CREATE INDEX emb_bq ON emb USING ivfflat ((binary_quantize(v)::bit(16)) bit_hamming_ops) WITH (lists = 4);
EXPLAIN (COSTS OFF)
SELECT id FROM (SELECT id, v FROM emb ORDER BY binary_quantize(v)::bit(16) <~> binary_quantize('[1,-1,1,-1,1,-1,1,-1,1,-1,1,-1,1,-1,1,-1]'::vector) LIMIT 40) c
 ORDER BY v <-> '[1,-1,1,-1,1,-1,1,-1,1,-1,1,-1,1,-1,1,-1]' LIMIT 5;
SET ivfflat.probes = 4;
SELECT id FROM (SELECT id, v FROM emb ORDER BY binary_quantize(v)::bit(16) <~> binary_quantize((SELECT v FROM emb WHERE id = 17)) LIMIT 40) c
 ORDER BY v <-> (SELECT v FROM emb WHERE id = 17) LIMIT 3;
RESET ivfflat.probes;
DROP TABLE emb;

-- hnsw.scan_mem_multiplier: pgvector's setting (range 1..1000) bounding iterative hnsw scans
SHOW hnsw.scan_mem_multiplier;
SET hnsw.scan_mem_multiplier = 2.5;
SHOW hnsw.scan_mem_multiplier;
RESET hnsw.scan_mem_multiplier;

-- errors
\set VERBOSITY sqlstate
SET hnsw.scan_mem_multiplier = 0.5;
SET hnsw.scan_mem_multiplier = 1001;
SELECT id FROM ht ORDER BY v <-> '[1,2,3]' LIMIT 1;
SELECT id FROM bt ORDER BY b <~> B'101' LIMIT 1;
CREATE INDEX ON ht USING faiss (v) WITH (factory = 'HNSW16');
CREATE INDEX ON ht USING faiss (v halfvec_l1_ops) WITH (factory = 'IVF4,Flat');
CREATE INDEX ON bt USING faiss (b) WITH (factory = 'IVF4,SQ8');
CREATE INDEX ON bt USING faiss (b bit_jaccard_ops) WITH (factory = 'IVF4,Flat');
CREATE INDEX ON bt USING faiss (b) WITH (factory = 'HNSW16');
CREATE TABLE vb (b varbit(8));
CREATE INDEX ON vb USING ivfflat (b bit_hamming_ops);
CREATE INDEX ON vb USING ivfflat ((b::bit(64001)) bit_hamming_ops);
CREATE INDEX ON vb USING ivfflat ((b::bit(64000)) bit_hamming_ops);
DROP TABLE vb;
CREATE TABLE ht2 (v halfvec(3));
INSERT INTO ht2 VALUES ('[1,2,3]');
CREATE INDEX ON ht2 USING hnsw (v halfvec_l2_ops);
DROP TABLE ht2;
\set VERBOSITY default
SELECT id FROM ht ORDER BY v <-> '[1,2,3]' LIMIT 1;
CREATE INDEX ON bt USING faiss (b) WITH (factory = 'IVF4,SQ8');
CREATE INDEX ON ht USING faiss (v) WITH (factory = 'HNSW16');

RESET enable_seqscan;
DROP TABLE ht, hq, bt, bq;
DROP FUNCTION top10, truth10, agrees, bit_agrees;
