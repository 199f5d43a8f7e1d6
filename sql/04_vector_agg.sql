-- avg(vector) and sum(vector): serial, grouped, empty, and parallel (combine functions).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

SELECT avg(v), sum(v) FROM (VALUES ('[1,2,3]'::vector), ('[3,4,5]'), ('[5,0,-2]')) AS t(v);
SELECT avg(v) IS NULL AS avg_empty, sum(v) IS NULL AS sum_empty FROM (SELECT '[1]'::vector WHERE false) AS t(v);
SELECT avg(v), sum(v) FROM (VALUES (NULL::vector), ('[2,4]'), (NULL)) AS t(v);
-- avg keeps double precision sums: 16777216 + 1 + 1 + 0 is exact before dividing.
SELECT avg(v) FROM (VALUES ('[16777216,1]'::vector), ('[1,1]'), ('[1,1]'), ('[0,1]')) AS t(v);
-- sum adds in float4 like pgvector (vector_add): 16777216 + 1 rounds back to 16777216.
SELECT sum(v) FROM (VALUES ('[16777216,1]'::vector), ('[1,1]')) AS t(v);
-- Grouped.
SELECT g, avg(v), sum(v) FROM (VALUES (1, '[1,1]'::vector), (1, '[3,3]'), (2, '[10,20]')) AS t(g, v)
GROUP BY g ORDER BY g;
-- The state functions called directly.
SELECT vector_accum('{0}', '[1,2]') AS first, vector_accum('{1,1,2}', '[3,4]') AS second,
       vector_avg('{2,4,6}') AS avg, vector_avg('{0}') IS NULL AS avg_of_nothing,
       vector_combine('{1,1,2}', '{2,3,4}') AS combined, vector_combine('{0}', '{1,5,5}') AS with_empty;
-- A state takes its size from the first vector only while it has no elements (pgvector's rule):
-- '{0,0,0,0}' is an empty sum of 3 dimensions, '{0,0}' one of 1 dimension.
SELECT vector_accum('{0,0,0,0}', '[1,2,3]') AS empty_of_three, vector_accum('{5}', '[1,2]') AS count_kept;
-- Malformed states and states of another dimension, with pgvector's wording.
SELECT vector_accum('{0,0}', '[1,2,3]');
SELECT vector_accum('{{0}}', '[1,2,3]');
SELECT vector_accum('{NULL}', '[1,2,3]');
SELECT vector_accum('{}', '[1,2,3]');
SELECT vector_avg('{{2,2,4,6}}');
SELECT vector_avg('{NULL,2,4,6}');
SELECT vector_avg('{1}');
SELECT vector_combine('{1,2}', '{{3,4}}');
SELECT vector_combine('{NULL,2}', '{3,4}');
SELECT vector_combine('{0}', '{0}');
SELECT vector_combine('{1,1,1}', '{1,1}');

-- Parallel aggregation: partial aggregates in workers merged by the combine functions.
CREATE TABLE jv_agg (id int, v vector(4));
INSERT INTO jv_agg SELECT i, ARRAY[i % 10, (i % 7) - 3, 1, i % 2]::vector FROM generate_series(1, 20000) AS i;
ANALYZE jv_agg;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM jv_agg;
SELECT avg(v), sum(v), count(*) FROM jv_agg;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- Same answer serially.
SET max_parallel_workers_per_gather = 0;
SELECT avg(v), sum(v), count(*) FROM jv_agg;
RESET max_parallel_workers_per_gather;
SELECT proname, proparallel FROM pg_proc WHERE proname IN ('avg', 'sum') AND proargtypes[0] = 'vector'::regtype
ORDER BY proname;
SELECT aggfnoid::regprocedure, aggtransfn, aggcombinefn, aggfinalfn, aggtranstype::regtype, agginitval
FROM pg_aggregate WHERE aggfnoid::regprocedure::text IN ('avg(vector)', 'sum(vector)') ORDER BY 1::text;

DROP TABLE jv_agg;
