-- sparsevec: sparse vectors (pgvector's type, text form {index:value,...}/dim with 1-based
-- indices): I/O, typmod, operators, functions, casts, btree/hash opclasses, bad input.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS jadevector;
RESET client_min_messages;

-- Text input: elements in any order, zeros dropped, whitespace anywhere.
SELECT '{1:1.5,3:3.5}/5'::sparsevec;
SELECT ' { 3 : -2 , 1 : 1e3 , 2 : 0 } / 4 '::sparsevec;
SELECT '{}/3'::sparsevec;
SELECT '{1:1e-45,2:3.4028235e38}/2'::sparsevec;
SELECT '{1000000000:1}/1000000000'::sparsevec;
SELECT v::text::sparsevec = v AS round_trip FROM (VALUES ('{2:0.1,7:-3e-7,9:33333.332}/10'::sparsevec)) t(v);

-- Typmod.
SELECT '{}/3'::sparsevec(3);
CREATE TABLE sv_items (id serial PRIMARY KEY, embedding sparsevec(5), anything sparsevec);
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'sv_items'::regclass AND attname IN ('embedding', 'anything') ORDER BY attnum;
INSERT INTO sv_items (embedding, anything) VALUES ('{1:1,3:2}/5', '{1:1}/1'), ('{5:5}/5', '{}/100000'), ('{}/5', NULL);
SELECT id, embedding, anything FROM sv_items ORDER BY id;
SELECT pg_column_size('{1:1,3:2}/5'::sparsevec) AS bytes;

-- Binary format: int32 dim, int32 nnz, int32 unused, nnz 0-based int32 indices, nnz float4 values.
SELECT sparsevec_send('{1:1,3:2}/5');
SELECT jadevector_internal_sparsevec_recv(sparsevec_send(v), 9) = v AS binary_round_trip
  FROM (VALUES ('{2:1.5,9:-2}/9'::sparsevec)) t(v);

-- Distances (absent elements count as zeros).
SELECT l2_distance('{1:3}/2'::sparsevec, '{2:4}/2');
SELECT '{1:3}/2'::sparsevec <-> '{2:4}/2';
SELECT sparsevec_l2_squared_distance('{1:3,2:1}/2', '{2:4}/2');
SELECT inner_product('{1:1,2:2,3:3}/4'::sparsevec, '{2:5,3:1,4:9}/4');
SELECT '{1:1,2:2}/2'::sparsevec <#> '{1:3,2:4}/2';
SELECT sparsevec_negative_inner_product('{1:1,2:2}/2', '{1:3,2:4}/2');
SELECT cosine_distance('{1:1,2:2}/2'::sparsevec, '{1:2,2:4}/2');
SELECT cosine_distance('{1:1}/2'::sparsevec, '{2:1}/2');
SELECT cosine_distance('{1:1}/2'::sparsevec, '{}/2');
SELECT '{1:1}/2'::sparsevec <=> '{1:-1}/2';
SELECT l1_distance('{1:3}/2'::sparsevec, '{2:-4}/2');
SELECT '{1:3,2:1}/2'::sparsevec <+> '{2:-4}/2';
-- The sparse results equal the dense ones.
SELECT l2_distance(a, b) = l2_distance(a::vector, b::vector) AS l2, inner_product(a, b) = inner_product(a::vector, b::vector) AS ip,
       l1_distance(a, b) = l1_distance(a::vector, b::vector) AS l1
  FROM (VALUES ('{1:0.5,4:2,7:-1}/8'::sparsevec, '{2:1,4:-3,8:0.25}/8'::sparsevec)) t(a, b);

-- Comparison and ordering: as dense vectors, then the smaller dimension first.
SELECT '{1:1}/2'::sparsevec < '{1:2}/2', '{2:1}/2'::sparsevec < '{1:1}/2', '{1:-1}/2'::sparsevec < '{}/2',
       '{1:1,2:2}/2'::sparsevec = '{2:2,1:1}/2', '{}/2'::sparsevec = '{}/3', '{}/2'::sparsevec <> '{}/3',
       '{1:1}/2'::sparsevec >= '{1:1}/3', '{1:1}/3'::sparsevec > '{1:1}/2';
SELECT sparsevec_cmp('{1:1,2:2}/3', '{1:1,2:2}/3'), sparsevec_cmp('{1:1}/3', '{1:1,2:2}/3'), sparsevec_cmp('{2:2}/3', '{1:1}/3');
SELECT sparsevec_hash('{1:1,3:2}/5') = sparsevec_hash('{3:2,1:1,2:0}/5') AS hash_consistent,
       sparsevec_hash_extended('{1:1}/5', 3) = sparsevec_hash_extended('{1:1}/5', 3) AS hash_extended_stable;
SELECT v FROM unnest('{"{1:1}/3","{}/3","{2:1}/3","{1:-1}/3","{}/2"}'::sparsevec[]) v ORDER BY v;
SET enable_sort = off;
SELECT v, count(*) FROM unnest('{"{1:1}/3","{}/3","{1:1}/3","{1:1}/4"}'::sparsevec[]) v GROUP BY v ORDER BY count(*) DESC, v;
RESET enable_sort;
CREATE INDEX sv_items_btree ON sv_items (embedding);
SET enable_seqscan = off;
SELECT id FROM sv_items WHERE embedding = '{5:5}/5';
RESET enable_seqscan;

-- Functions.
SELECT l2_norm('{1:3,5:4}/5'::sparsevec);
SELECT l2_normalize('{1:3,5:4}/5'::sparsevec);
SELECT l2_normalize('{}/5'::sparsevec);
-- An element that underflows to zero when normalized is dropped (no zero is ever stored).
SELECT l2_normalize('{1:3e38,2:1e-38}/2'::sparsevec);

-- Casts.
SELECT '[0,1.5,0,-2]'::vector::sparsevec, '{2:1.5,4:-2}/4'::sparsevec::vector;
SELECT '[0,1.5,0,-2]'::halfvec::sparsevec, '{2:1.5,4:-2}/4'::sparsevec::halfvec;
SELECT ARRAY[0,1,0,2]::sparsevec, ARRAY[0,1.5]::real[]::sparsevec, ARRAY[0,1.5]::double precision[]::sparsevec,
       ARRAY[0,1.5]::numeric[]::sparsevec;
SELECT ARRAY[0,1,0]::sparsevec(3);
INSERT INTO sv_items (embedding) VALUES (ARRAY[0,0,7,0,0]), ('[0,0,0,0,9]'::vector);
SELECT embedding FROM sv_items WHERE id > 3 ORDER BY id;
SELECT l2_distance('{1:3}/2'::sparsevec, '[0,4]'::vector) AS implicit_vector_to_sparsevec;

-- Errors, with pgvector's messages and SQLSTATEs.
\set VERBOSITY sqlstate
SELECT '1:1}/2'::sparsevec;
SELECT '{1:1/2'::sparsevec;
SELECT '{1:1}'::sparsevec;
SELECT '{1:1}/2x'::sparsevec;
SELECT '{1:a}/2'::sparsevec;
SELECT '{1}/2'::sparsevec;
SELECT '{1:1,}/2'::sparsevec;
SELECT '{1:NaN}/2'::sparsevec;
SELECT '{1:-Infinity}/2'::sparsevec;
SELECT '{1:4e38}/2'::sparsevec;
SELECT '{1:1e-46}/2'::sparsevec;
SELECT '{0:1}/2'::sparsevec;
SELECT '{3:1}/2'::sparsevec;
SELECT '{1:1,1:2}/2'::sparsevec;
SELECT '{}/0'::sparsevec;
SELECT '{}/1000000001'::sparsevec;
SELECT '{}/3'::sparsevec(2);
SELECT '{}/3'::sparsevec(0);
SELECT '{}/3'::sparsevec(1000000001);
SELECT '{}/3'::sparsevec(1, 2);
SELECT ('{' || array_to_string(array_agg(i || ':1'), ',') || '}/20000')::sparsevec FROM generate_series(1, 16001) i;
SELECT '{1:1}/2'::sparsevec <-> '{1:1}/3';
SELECT '{1:1}/2'::sparsevec <#> '{1:1}/3';
SELECT '{}/16001'::sparsevec::vector;
SELECT '{}/16001'::sparsevec::halfvec;
SELECT '{1:1e5}/2'::sparsevec::halfvec;
SELECT array_fill(1, ARRAY[16001])::sparsevec;
SELECT ARRAY['NaN']::real[]::sparsevec;
SELECT ARRAY[[1,2]]::sparsevec;
SELECT ARRAY[1,NULL]::sparsevec;
SELECT ARRAY[]::integer[]::sparsevec;
INSERT INTO sv_items (embedding) VALUES ('{1:1}/4');
\set VERBOSITY default
SELECT '{1:1}/2x'::sparsevec;
SELECT '{1:1e-46}/2'::sparsevec;
SELECT '{1:1}'::sparsevec;
SELECT '1:1}/2'::sparsevec;

-- Binary input errors.
\set VERBOSITY sqlstate
SELECT jadevector_internal_sparsevec_recv('\x0000000300000001'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x00000000000000000000000000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x00000003ffffffff00000000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x000000030000000400000000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x000000030000000000000001'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x0000000300000001000000000000000300000000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x00000003000000020000000000000001000000003f8000003f800000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x00000003000000010000000000000000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x0000000300000001000000000000000000000000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x000000030000000100000000000000007fc00000'::bytea, -1);
SELECT jadevector_internal_sparsevec_recv('\x000000030000000000000000'::bytea, 2);
\set VERBOSITY default
SELECT jadevector_internal_sparsevec_recv('\x000000030000000100000000000000003f800000'::bytea, -1);

DROP TABLE sv_items;
