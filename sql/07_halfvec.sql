-- halfvec: half-precision vectors (pgvector's type): text and binary I/O, typmod, operators,
-- functions, casts, aggregates, btree/hash opclasses, and every bad input with its SQLSTATE.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

-- Text input: each number is rounded to the nearest half; output is the shortest float text.
SELECT '[1,2,3]'::halfvec;
SELECT ' [ -1.5 , +2.25 ,1e3 ] '::halfvec;
SELECT '[0.1,0.333,1.23456,65504,-65519.9]'::halfvec;
-- 6e-8 is the smallest subnormal half; 2e-8 underflows to zero (accepted, as float4in does).
SELECT '[6e-8,2e-8,-0]'::halfvec;
SELECT v::text::halfvec = v AS round_trip FROM (VALUES ('[0.1,1e-5,33333,7.001,-2.5e-3]'::halfvec)) t(v);

-- Typmod.
SELECT '[1,2,3]'::halfvec(3);
CREATE TABLE hv_items (id serial PRIMARY KEY, embedding halfvec(3), anything halfvec);
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'hv_items'::regclass AND attname IN ('embedding', 'anything') ORDER BY attnum;
INSERT INTO hv_items (embedding, anything) VALUES ('[1,2,3]', '[1]'), ('[4,5,6]', '[1,2,3,4]'), ('[1,1,1]', NULL);
SELECT id, embedding, anything FROM hv_items ORDER BY id;
SELECT pg_column_size('[1,2,3]'::halfvec) AS bytes;
SELECT unnest('{"[1,2,3]", "[4,5,6]"}'::halfvec[]);

-- Binary format: int16 dim, int16 unused, dim big-endian halves.
SELECT halfvec_send('[1,2,-0.5]');
SELECT jadevector_internal_halfvec_recv(halfvec_send(v), 3) = v AS binary_round_trip
  FROM (VALUES ('[1,65504,6e-8]'::halfvec)) t(v);

-- Distances and operators.
SELECT l2_distance('[0,0]'::halfvec, '[3,4]');
SELECT '[0,0]'::halfvec <-> '[3,4]';
SELECT halfvec_l2_squared_distance('[0,0]', '[3,4]');
SELECT inner_product('[1,2]'::halfvec, '[3,4]');
SELECT '[1,2]'::halfvec <#> '[3,4]';
SELECT halfvec_negative_inner_product('[1,2]', '[3,4]');
SELECT cosine_distance('[1,2]'::halfvec, '[2,4]');
SELECT cosine_distance('[1,2]'::halfvec, '[0,0]');
SELECT cosine_distance('[1,1]'::halfvec, '[-1,-1]');
SELECT '[1,2]'::halfvec <=> '[-2,-4]';
SELECT round(halfvec_spherical_distance('[1,0]', '[0,1]')::numeric, 5);
SELECT l1_distance('[0,0]'::halfvec, '[3,4]');
SELECT '[0,0]'::halfvec <+> '[3,-4]';
-- Large dimensions go through the F16C kernels' full and tail steps alike.
SELECT halfvec_l2_squared_distance(array_fill(1, ARRAY[1003])::halfvec, array_fill(0, ARRAY[1003])::halfvec) AS l2sq_1003;
SELECT inner_product(array_fill(2, ARRAY[16000])::halfvec, array_fill(0.5, ARRAY[16000])::halfvec);

-- Arithmetic.
SELECT '[1,2,3]'::halfvec + '[4,5,6]';
SELECT '[1,2,3]'::halfvec - '[4,5,6]';
SELECT '[1,2,3]'::halfvec * '[4,5,6]';
SELECT '[1,2,3]'::halfvec || '[4,5]';

-- Comparison and ordering (element-wise, then the shorter first).
SELECT '[1,2,3]'::halfvec < '[1,2,4]', '[1,2]'::halfvec < '[1,2,3]', '[1,2,3]'::halfvec = '[1,2,3]',
       '[0]'::halfvec = '[-0]', '[1,2,3]'::halfvec <> '[1,2]', '[2]'::halfvec >= '[1,9]', '[2]'::halfvec > '[2]';
SELECT halfvec_cmp('[1,2,3]', '[1,2,3]'), halfvec_cmp('[1,2]', '[1,2,3]'), halfvec_cmp('[2,3]', '[1,2,3]');
SELECT halfvec_hash('[0,1]') = halfvec_hash('[-0,1]') AS hash_folds_negative_zero,
       halfvec_hash_extended('[1,2]', 7) = halfvec_hash_extended('[1,2]', 7) AS hash_extended_stable;
SELECT v FROM unnest('{"[1,2,3]", "[1,2]", "[0,5]", "[1,2,3]"}'::halfvec[]) v ORDER BY v;
SELECT DISTINCT v FROM unnest('{"[1,2,3]", "[1,2]", "[1,2,3]"}'::halfvec[]) v ORDER BY v;
SET enable_sort = off;
SELECT v, count(*) FROM unnest('{"[1,2,3]", "[1,2]", "[1,2,3]", "[-0,0]", "[0,0]"}'::halfvec[]) v
 GROUP BY v ORDER BY count(*) DESC, v;
RESET enable_sort;
CREATE INDEX hv_items_btree ON hv_items (embedding);
SET enable_seqscan = off;
SELECT id FROM hv_items WHERE embedding = '[4,5,6]';
RESET enable_seqscan;

-- Functions.
SELECT vector_dims('[1,2,3]'::halfvec);
SELECT l2_norm('[3,4]'::halfvec);
SELECT l2_normalize('[3,4]'::halfvec);
SELECT l2_normalize('[0,0]'::halfvec);
SELECT binary_quantize('[1,0,-1,0.5,-0,2,3,-4,5]'::halfvec);
SELECT subvector('[1,2,3,4,5]'::halfvec, 2, 3);
SELECT subvector('[1,2,3,4,5]'::halfvec, -1, 3);
SELECT subvector('[1,2,3,4,5]'::halfvec, 4, 10);

-- Aggregates: avg in double precision, sum in half.
SELECT avg(v), sum(v) FROM unnest(ARRAY['[1,2,3]'::halfvec, '[3,5,7]', NULL]) v;
SELECT avg(v), sum(v) FROM unnest(ARRAY[]::halfvec[]) v;
SELECT avg(v) FROM unnest(ARRAY['[65504]'::halfvec, '[65504]']) v;
SELECT halfvec_accum('{0}', '[1,2,3]'), halfvec_accum('{1,1,2,3}', '[1,1,1]');
SELECT halfvec_avg('{2,2,4,6}'), halfvec_avg('{0}');
SELECT halfvec_combine('{1,1,2}', '{2,2,2}');

-- Casts (pgvector's contexts: vector -> halfvec implicit, halfvec -> vector assignment).
SELECT '[1.5,2.25,3]'::vector::halfvec, '[1.5,2.25,3]'::halfvec::vector;
SELECT '[0.1]'::vector::halfvec::vector AS rounded;
SELECT ARRAY[1,2,3]::halfvec, ARRAY[1.5,2.5]::real[]::halfvec, ARRAY[1.5,2.5]::double precision[]::halfvec,
       ARRAY[1.5,2.5]::numeric[]::halfvec;
SELECT '[1,2,3]'::halfvec::real[];
SELECT ARRAY[1,2,3]::halfvec(3);
INSERT INTO hv_items (embedding) VALUES (ARRAY[7,8,9]), ('[7,8,9]'::vector);
SELECT embedding FROM hv_items WHERE id > 3 ORDER BY id;
SELECT l2_distance('[0,0]'::halfvec, '[3,4]'::vector) AS implicit_vector_to_halfvec;

-- Errors, with pgvector's messages and SQLSTATEs.
\set VERBOSITY sqlstate
SELECT '[1,2,3'::halfvec;
SELECT '1,2,3'::halfvec;
SELECT '[1,2,3]x'::halfvec;
SELECT '[hello,1]'::halfvec;
SELECT '[]'::halfvec;
SELECT '[NaN,1]'::halfvec;
SELECT '[Infinity,1]'::halfvec;
SELECT '[65520,1]'::halfvec;
SELECT '[4e38]'::halfvec;
SELECT '[1,2,3]'::halfvec(2);
SELECT '[1,2]'::halfvec(0);
SELECT '[1,2]'::halfvec(16001);
SELECT '[1,2]'::halfvec(1, 2);
SELECT array_fill(0, ARRAY[16001])::halfvec;
SELECT array_fill(0, ARRAY[16000])::halfvec || '[1]';
SELECT '[1,2]'::halfvec <-> '[1]';
SELECT '[1,2]'::halfvec + '[1]';
SELECT '[65504]'::halfvec + '[65504]';
SELECT '[-65504]'::halfvec - '[65504]';
SELECT '[65504]'::halfvec * '[2]';
SELECT '[1e-4]'::halfvec * '[1e-4]';
SELECT ARRAY[70000]::halfvec;
SELECT ARRAY['NaN']::real[]::halfvec;
SELECT ARRAY[1e39]::double precision[]::halfvec;
SELECT ARRAY[[1,2],[3,4]]::halfvec;
SELECT ARRAY[1,NULL]::halfvec;
SELECT ARRAY[]::integer[]::halfvec;
SELECT '[70000]'::vector::halfvec;
SELECT subvector('[1,2,3]'::halfvec, 4, 1);
SELECT subvector('[1,2,3]'::halfvec, 1, 0);
SELECT avg(v) FROM unnest(ARRAY['[1,2]'::halfvec, '[3]']) v;
SELECT halfvec_accum('{0,0}', '[1,2,3]');
SELECT halfvec_accum('{}', '[1,2,3]');
SELECT halfvec_avg('{NULL,1}');
SELECT halfvec_avg('{1}');
INSERT INTO hv_items (embedding) VALUES ('[1,2]');
\set VERBOSITY default
SELECT '[1,2,3]x'::halfvec;
SELECT '[65520]'::halfvec;
SELECT ARRAY[1e5]::halfvec;

-- Binary input errors (as a Bind message or binary COPY would deliver them).
\set VERBOSITY sqlstate
SELECT jadevector_internal_halfvec_recv('\x0001'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x000200003c00'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x000100013c00'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x00000000'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\xffff0000'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x000100007c00'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x00010000fc00'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x000100007e00'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x000100003c000000'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x000100003c00'::bytea, 2);
\set VERBOSITY default
SELECT jadevector_internal_halfvec_recv('\x000100003c00'::bytea, -1);
SELECT jadevector_internal_halfvec_recv('\x0002000000010001'::bytea, -1) AS subnormals;

DROP TABLE hv_items;
