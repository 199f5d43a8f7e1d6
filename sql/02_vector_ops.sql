-- vector operators and functions: distances, arithmetic, structure, comparison, btree/hash.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

-- Distances on exactly representable inputs (results are exact in float4).
SELECT '[0,0]'::vector <-> '[3,4]' AS l2, l2_distance('[0,0]'::vector, '[3,4]') AS l2_fn,
       vector_l2_squared_distance('[0,0]', '[3,4]') AS l2_squared;
SELECT '[1,2,3]'::vector <#> '[4,5,6]' AS neg_ip, inner_product('[1,2,3]'::vector, '[4,5,6]') AS ip,
       vector_negative_inner_product('[1,2,3]', '[4,5,6]') AS neg_ip_fn;
SELECT '[1,2]'::vector <=> '[2,4]' AS same_direction, '[1,0]'::vector <=> '[0,1]' AS orthogonal,
       '[1,1]'::vector <=> '[-1,-1]' AS opposite, cosine_distance('[3,4]'::vector, '[4,3]') AS cos_fn;
SELECT '[1,2,3]'::vector <+> '[4,0,-3]' AS l1, l1_distance('[1,2,3]'::vector, '[4,0,-3]') AS l1_fn;
SELECT vector_spherical_distance('[1,0]', '[0,1]') AS quarter_turn,
       vector_spherical_distance('[1,0]', '[-1,0]') AS half_turn,
       vector_spherical_distance('[1,0]', '[1,0]') AS same;
-- Zero vectors: cosine distance is NaN (0/0), as in pgvector; other distances are defined.
SELECT '[0,0]'::vector <=> '[1,1]' AS cos_zero, cosine_distance('[0,0]'::vector, '[0,0]') AS cos_zero_zero,
       '[0,0]'::vector <-> '[0,0]' AS l2_zero, '[0,0]'::vector <#> '[1,1]' AS ip_zero;
-- NaN sorts after all numbers, so zero vectors come last in a cosine ORDER BY.
SELECT v, v <=> '[1,1]' AS d FROM (VALUES ('[0,0]'::vector), ('[1,0]'), ('[2,2]')) AS t(v) ORDER BY d;

-- The SIMD kernels on a long odd-length vector agree with an exact computation in numeric.
WITH a AS (SELECT array_agg((i % 11) - 5)::vector AS v FROM generate_series(1, 1001) AS i),
     b AS (SELECT array_agg((i % 13) - 6)::vector AS v FROM generate_series(1, 1001) AS i),
     exact AS (SELECT sum(((i % 11) - 5) * ((i % 13) - 6)) AS ip,
                      sum(((i % 11) - 5 - ((i % 13) - 6)) ^ 2) AS l2sq,
                      sum(abs((i % 11) - 5 - ((i % 13) - 6))) AS l1
               FROM generate_series(1, 1001) AS i)
SELECT inner_product(a.v, b.v) = exact.ip AS ip_exact,
       vector_l2_squared_distance(a.v, b.v) = exact.l2sq AS l2sq_exact,
       l1_distance(a.v, b.v) = exact.l1 AS l1_exact,
       abs(l2_distance(a.v, b.v) - sqrt(exact.l2sq)) < 1e-9 AS l2_exact
FROM a, b, exact;

-- Element-wise arithmetic and concatenation.
SELECT '[1,2,3]'::vector + '[4,5,6]' AS add, '[1,2,3]'::vector - '[4,5,6]' AS sub,
       '[1,2,3]'::vector * '[4,5,6]' AS mul, '[1,2]'::vector || '[3]' AS concat;
SELECT vector_add('[1.5]', '[2]'), vector_sub('[1.5]', '[2]'), vector_mul('[1.5]', '[2]'),
       vector_concat('[1]', '[2,3]');
SELECT '[1,2]'::vector + '[3,4]'::vector * '[2,2]'::vector AS mul_binds_tighter;

-- Norms, normalization, dimensions.
SELECT vector_norm('[3,4]') AS norm, vector_norm('[0,0,0]') AS zero_norm, vector_dims('[1,2,3,4]'::vector) AS dims;
SELECT l2_normalize('[3,4]'::vector) AS unit, l2_normalize('[0,0]'::vector) AS zero_stays_zero, l2_normalize('[-2]'::vector) AS neg;
SELECT vector_norm(l2_normalize('[1,2,3,4,5]'::vector))::numeric(10,6) AS norm_of_normalized;

-- subvector(v, start, count): 1-based, clipped like substring().
SELECT subvector('[1,2,3,4,5]'::vector, 2, 3) AS middle, subvector('[1,2,3,4,5]'::vector, 1, 5) AS whole,
       subvector('[1,2,3,4,5]'::vector, 4, 100) AS clipped_end, subvector('[1,2,3,4,5]'::vector, -1, 3) AS clipped_start,
       subvector('[1,2,3,4,5]'::vector, 5, 2147483647) AS huge_count;

-- binary_quantize: bit i is set when element i is positive.
SELECT binary_quantize('[1,-2,0,3.5,-0,0.001,-5,7,9]'::vector) AS bits,
       length(binary_quantize('[1,-2,0]'::vector)) AS nbits, pg_typeof(binary_quantize('[1]'::vector)) AS type;

-- Bit distances (binary-quantized search): Hamming <~> and Jaccard <%>, long strings use 8-byte steps.
SELECT B'1010' <~> B'0110' AS hamming, hamming_distance(B'1111', B'0000') AS hamming_fn,
       B'1100' <%> B'1010' AS jaccard, jaccard_distance(B'0000', B'0000') AS jaccard_empty,
       jaccard_distance(B'1010', B'1010') AS jaccard_same;
SELECT binary_quantize(a) <~> binary_quantize(b) AS hamming_100, binary_quantize(a) <%> binary_quantize(b) AS jaccard_100
FROM (SELECT array_agg(CASE WHEN i % 3 = 0 THEN 1 ELSE -1 END)::vector AS a,
             array_agg(CASE WHEN i % 5 = 0 THEN 1 ELSE -1 END)::vector AS b
      FROM generate_series(1, 100) AS i) AS t;
WITH q AS (SELECT binary_quantize('[1,-1,1,-1]'::vector) AS bits)
SELECT v, binary_quantize(v) <~> q.bits AS hamming
FROM q, (VALUES ('[1,-1,1,-1]'::vector), ('[-1,1,-1,1]'), ('[1,1,1,-1]')) AS t(v) ORDER BY 2, 1;

-- Comparison operators: element-wise over the common prefix, then shorter first (pgvector's order).
SELECT '[1,2,3]'::vector < '[1,2,4]' AS lt, '[1,2,3]'::vector <= '[1,2,3]' AS le,
       '[1,2,3]'::vector = '[1,2,3]' AS eq, '[1,2,3]'::vector <> '[1,2]' AS ne,
       '[1,3]'::vector >= '[1,2,9]' AS ge, '[1,2,3]'::vector > '[1,2]' AS gt;
SELECT vector_cmp('[1,2]', '[1,3]') AS a, vector_cmp('[1,2]', '[1,2]') AS b, vector_cmp('[2]', '[1,5]') AS c,
       '[0]'::vector = '[-0]' AS zero_equals_minus_zero;
SELECT vector_lt('[1]', '[2]'), vector_le('[2]', '[2]'), vector_eq('[2]', '[2]'), vector_ne('[2]', '[2]'),
       vector_ge('[1]', '[2]'), vector_gt('[3]', '[2]');

-- btree opclass: ORDER BY, DISTINCT, GROUP BY, UNIQUE, merge-joinable equality.
CREATE TABLE jv_ops (id int, v vector);
INSERT INTO jv_ops VALUES (1, '[3,1]'), (2, '[1,2,3]'), (3, '[1,2]'), (4, '[3,1]'), (5, '[-1,9]'), (6, '[1,2,3]'),
                          (7, '[0]'), (8, '[-0]');
SELECT v FROM jv_ops ORDER BY v, id;
SELECT v FROM jv_ops ORDER BY v DESC, id LIMIT 3;
SELECT DISTINCT v FROM jv_ops ORDER BY v;
SELECT v, count(*) FROM jv_ops GROUP BY v ORDER BY v;
CREATE INDEX jv_ops_v_btree ON jv_ops USING btree (v);
SET enable_seqscan = off;
SELECT id FROM jv_ops WHERE v = '[1,2,3]' ORDER BY id;
SELECT id FROM jv_ops WHERE v < '[1,2]' ORDER BY id;
RESET enable_seqscan;
CREATE TABLE jv_unique (v vector UNIQUE);
INSERT INTO jv_unique VALUES ('[1,2]'), ('[1,2,0]');
INSERT INTO jv_unique VALUES ('[1,2]');
SELECT v FROM jv_unique ORDER BY v;
-- Hash opclass: hash aggregation and hash joins; -0 and 0 hash alike because they are equal.
SELECT vector_hash('[0,1]') = vector_hash('[-0,1]') AS hash_consistent,
       vector_hash_extended('[0,1]', 7) = vector_hash_extended('[-0,1]', 7) AS hash_ext_consistent,
       vector_hash_extended('[1,2]', 0) <> vector_hash_extended('[1,2]', 1) AS seed_matters;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT v, count(*) FROM jv_ops GROUP BY v;
SELECT v, count(*) FROM jv_ops GROUP BY v ORDER BY 2 DESC, 1;
RESET enable_sort;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT a.id, b.id FROM jv_ops a JOIN jv_ops b ON a.v = b.v;
SELECT a.id, b.id FROM jv_ops a JOIN jv_ops b ON a.v = b.v WHERE a.id < b.id ORDER BY 1, 2;
RESET enable_mergejoin;
RESET enable_nestloop;
DROP INDEX jv_ops_v_btree;
CREATE INDEX jv_ops_v_hash ON jv_ops USING hash (v);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM jv_ops WHERE v = '[3,1]';
SELECT id FROM jv_ops WHERE v = '[3,1]' ORDER BY id;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT opcname, amname FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE opcintype = 'vector'::regtype AND amname IN ('btree', 'hash') ORDER BY amname;

-- Volatility and strictness are declared as pgvector does (IMMUTABLE STRICT PARALLEL SAFE).
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'jadevector'
WHERE p.proname = ANY (ARRAY['vector_in', 'vector_out', 'vector_typmod_in', 'vector_typmod_out', 'vector_recv',
      'vector_send', 'vector', 'array_to_vector', 'vector_to_float4', 'l2_distance', 'inner_product',
      'cosine_distance', 'l1_distance', 'vector_l2_squared_distance', 'vector_negative_inner_product',
      'vector_spherical_distance', 'vector_dims', 'vector_norm', 'l2_normalize', 'binary_quantize', 'subvector',
      'vector_add', 'vector_sub', 'vector_mul', 'vector_concat', 'vector_lt', 'vector_le', 'vector_eq', 'vector_ne',
      'vector_ge', 'vector_gt', 'vector_cmp', 'vector_hash', 'vector_hash_extended', 'vector_accum', 'vector_avg',
      'vector_combine', 'hamming_distance', 'jaccard_distance'])
ORDER BY p.oid::regprocedure::text;
SELECT l2_distance(NULL, '[1]'::vector) IS NULL AS l2_null, '[1]'::vector + NULL IS NULL AS add_null;

DROP TABLE jv_ops;
DROP TABLE jv_unique;
